//! The storage conformance suite: every storage trait, against every backend available here.
//!
//! SQLite always runs. PostgreSQL runs when `APPLINKS_TEST_POSTGRES_URL` names a server the
//! tests may create databases on; `.ci/run` starts one.

use applinks_core::consumer::{Consumer, ConsumerCredential, ConsumerKey, Sealed};
use applinks_core::link::{ApplicationId, ApplicationLink, LinkDraft};
use applinks_core::session::Session;
use applinks_core::store::{
    ConsumerStore, DisabledChange, LinkStore, SessionStore, SettingStore, StoreError, TokenStore,
    UserStore,
};
use applinks_core::token::{IssuedToken, TokenKind};
use applinks_core::user::{NewUser, Username};
use applinks_store::Database;

/// URLs of fresh, empty databases, one per backend this machine can run the suite against.
///
/// Under CI (`CI` set), PostgreSQL is required: a missing server must fail the run rather than
/// silently test SQLite alone.
async fn fresh_urls() -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "applinks-store-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite://{}/applinks.db?mode=rwc", dir.display())];
    match std::env::var("APPLINKS_TEST_POSTGRES_URL") {
        Ok(server) => urls.push(fresh_postgres(&server).await),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI must provide APPLINKS_TEST_POSTGRES_URL (see scripts/test-postgres)")
        }
        Err(_) => {}
    }
    urls
}

/// Every backend, opened on a fresh database.
async fn backends() -> Vec<Database> {
    let mut all = Vec::new();
    for url in fresh_urls().await {
        all.push(Database::open(&url).await.unwrap());
    }
    all
}

/// Creates a fresh database on the PostgreSQL server at `server` and returns its URL.
async fn fresh_postgres(server: &str) -> String {
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(server).await.unwrap();
    let name = format!("applinks_test_{}_{}", std::process::id(), unique());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    // Replace the database name, keeping any query (`?host=/socket/dir`).
    let (address, query) = server.split_once('?').map_or((server, ""), |(a, q)| (a, q));
    let base = address.rsplit_once('/').map_or(address, |(base, _)| base);
    let separator = if query.is_empty() { "" } else { "?" };
    format!("{base}/{name}{separator}{query}")
}

/// A number no other database of this test process uses.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

fn user(name: &str, admin: bool) -> NewUser {
    NewUser::new(
        Username::parse(name).unwrap(),
        Some("Display"),
        Some("a@example.com"),
        admin,
        format!("hash-{name}"),
    )
    .unwrap()
}

#[tokio::test]
async fn settings_keep_the_first_value_written() {
    for db in backends().await {
        assert_eq!(db.setting("server.id").await.unwrap(), None);
        assert_eq!(
            db.setting_or_insert("server.id", "one").await.unwrap(),
            "one"
        );
        assert_eq!(
            db.setting_or_insert("server.id", "two").await.unwrap(),
            "one"
        );
        assert_eq!(
            db.setting("server.id").await.unwrap().as_deref(),
            Some("one")
        );
    }
}

#[tokio::test]
async fn users_are_created_listed_and_refused_twice() {
    for db in backends().await {
        db.create_user(&user("bob", false)).await.unwrap();
        db.create_user(&user("alice", true)).await.unwrap();
        let again = db.create_user(&user("alice", false)).await;
        assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

        let names: Vec<_> = db
            .users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.username.to_string())
            .collect();
        assert_eq!(names, ["alice", "bob"]);
        assert_eq!(db.user_count().await.unwrap(), 2);

        let alice = db
            .user(&Username::parse("alice").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(alice.is_admin && !alice.disabled);
        assert_eq!(alice.email, "a@example.com");
        assert!(
            db.user(&Username::parse("carol").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn password_hashes_are_replaced_only_for_existing_users() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        let alice = Username::parse("alice").unwrap();
        assert!(db.set_password_hash(&alice, "new-hash").await.unwrap());
        let (_, hash) = db.user_with_password(&alice).await.unwrap().unwrap();
        assert_eq!(hash, "new-hash");
        let nobody = Username::parse("nobody").unwrap();
        assert!(!db.set_password_hash(&nobody, "x").await.unwrap());
    }
}

#[tokio::test]
async fn users_are_disabled_and_enabled_and_unknown_names_answer_so() {
    for db in backends().await {
        db.create_user(&user("bob", false)).await.unwrap();
        let bob = Username::parse("bob").unwrap();
        let is_disabled = async |name: &Username| db.user(name).await.unwrap().unwrap().disabled;

        assert_eq!(
            db.set_user_disabled(&bob, true).await.unwrap(),
            DisabledChange::Changed
        );
        assert!(is_disabled(&bob).await);
        let (with_password, _) = db.user_with_password(&bob).await.unwrap().unwrap();
        assert!(with_password.disabled);
        assert!(db.users().await.unwrap()[0].disabled);
        assert_eq!(
            db.set_user_disabled(&bob, true).await.unwrap(),
            DisabledChange::Unchanged
        );

        assert_eq!(
            db.set_user_disabled(&bob, false).await.unwrap(),
            DisabledChange::Changed
        );
        assert!(!is_disabled(&bob).await);
        assert_eq!(
            db.set_user_disabled(&bob, false).await.unwrap(),
            DisabledChange::Unchanged
        );

        let nobody = Username::parse("nobody").unwrap();
        for disabled in [true, false] {
            assert_eq!(
                db.set_user_disabled(&nobody, disabled).await.unwrap(),
                DisabledChange::NoSuchUser
            );
        }
        assert!(db.user(&nobody).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn the_last_enabled_administrator_is_never_disabled() {
    for db in backends().await {
        db.create_user(&user("alice", true)).await.unwrap();
        db.create_user(&user("carol", true)).await.unwrap();
        db.create_user(&user("bob", false)).await.unwrap();
        let [alice, carol] = ["alice", "carol"].map(|name| Username::parse(name).unwrap());

        assert_eq!(
            db.set_user_disabled(&alice, true).await.unwrap(),
            DisabledChange::Changed
        );
        // Neither a disabled administrator nor an enabled ordinary user counts.
        assert_eq!(
            db.set_user_disabled(&carol, true).await.unwrap(),
            DisabledChange::LastAdministrator
        );
        assert!(!db.user(&carol).await.unwrap().unwrap().disabled);

        assert_eq!(
            db.set_user_disabled(&alice, false).await.unwrap(),
            DisabledChange::Changed
        );
        assert_eq!(
            db.set_user_disabled(&carol, true).await.unwrap(),
            DisabledChange::Changed
        );
    }
}

#[tokio::test]
async fn administrators_disabled_at_once_leave_one_enabled() {
    for db in backends().await {
        let mut survivor: Option<Username> = None;
        for round in 0..10 {
            let [first, second] = [format!("first{round}"), format!("second{round}")]
                .map(|name| Username::parse(&name).unwrap());
            for name in [&first, &second] {
                db.create_user(&user(name.as_str(), true)).await.unwrap();
            }
            // The previous round's survivor goes, so that these two are the only ones left.
            if let Some(previous) = survivor.take() {
                let outcome = db.set_user_disabled(&previous, true).await.unwrap();
                assert_eq!(outcome, DisabledChange::Changed);
            }

            let (one, two) = tokio::join!(
                db.set_user_disabled(&first, true),
                db.set_user_disabled(&second, true)
            );
            let outcomes = [one.unwrap(), two.unwrap()];
            let changed = outcomes
                .iter()
                .filter(|outcome| **outcome == DisabledChange::Changed)
                .count();
            assert_eq!(changed, 1, "round {round}: {outcomes:?}");
            assert!(
                outcomes.contains(&DisabledChange::LastAdministrator),
                "round {round}: {outcomes:?}"
            );

            let enabled_admins: Vec<_> = db
                .users()
                .await
                .unwrap()
                .into_iter()
                .filter(|user| user.is_admin && !user.disabled)
                .map(|user| user.username)
                .collect();
            assert_eq!(enabled_admins.len(), 1, "round {round}: {enabled_admins:?}");
            survivor = enabled_admins.into_iter().next();
        }
    }
}

#[tokio::test]
async fn sessions_live_until_expiry_and_end_on_request() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        let alice = Username::parse("alice").unwrap();
        let session = |digest: &str, expires_at| Session {
            id_digest: digest.into(),
            username: alice.clone(),
            csrf_token: "csrf".into(),
            created_at: 100,
            expires_at,
            confirmed_at: 100,
        };
        db.create_session(&session("a", 1_000)).await.unwrap();
        db.create_session(&session("b", 2_000)).await.unwrap();
        db.create_session(&session("c", 3_000)).await.unwrap();

        assert_eq!(
            db.live_session("a", 999).await.unwrap(),
            Some(session("a", 1_000))
        );
        assert_eq!(db.live_session("a", 1_000).await.unwrap(), None);
        assert_eq!(db.delete_expired_sessions(1_500).await.unwrap(), 1);

        db.delete_session("b").await.unwrap();
        db.delete_session("b").await.unwrap();
        assert_eq!(db.live_session("b", 0).await.unwrap(), None);

        assert_eq!(db.delete_user_sessions(&alice).await.unwrap(), 1);
        assert_eq!(db.live_session("c", 0).await.unwrap(), None);
    }
}

#[tokio::test]
async fn confirming_a_session_moves_only_its_confirmation_time() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        let session = Session {
            id_digest: "a".into(),
            username: Username::parse("alice").unwrap(),
            csrf_token: "csrf".into(),
            created_at: 100,
            expires_at: 1_000,
            confirmed_at: 100,
        };
        db.create_session(&session).await.unwrap();

        db.confirm_session("a", 700).await.unwrap();
        db.confirm_session("missing", 700).await.unwrap();
        assert_eq!(
            db.live_session("a", 800).await.unwrap(),
            Some(Session {
                confirmed_at: 700,
                ..session
            })
        );
    }
}

#[tokio::test]
async fn nodes_starting_at_once_agree_on_one_schema_and_one_value() {
    for url in fresh_urls().await {
        let tasks: Vec<_> = (0..4)
            .map(|node| {
                let url = url.clone();
                tokio::spawn(async move {
                    let db = Database::open(&url).await.unwrap();
                    db.setting_or_insert("server.id", &format!("node-{node}"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            winners.push(task.await.unwrap());
        }
        assert!(
            winners.iter().all(|winner| *winner == winners[0]),
            "{winners:?}"
        );

        let reopened = Database::open(&url).await.unwrap();
        assert_eq!(
            reopened.setting("server.id").await.unwrap(),
            Some(winners[0].clone())
        );
    }
}

fn link(id: &str, type_id: &str) -> ApplicationLink {
    LinkDraft {
        name: format!("Link {id}"),
        type_id: type_id.into(),
        display_url: format!("https://{id}.example.com"),
        ..LinkDraft::default()
    }
    .into_link(ApplicationId::parse(id).unwrap())
    .unwrap()
}

fn consumer(key: &str, link_id: &str) -> Consumer {
    Consumer {
        key: ConsumerKey::parse(key).unwrap(),
        link_id: ApplicationId::parse(link_id).unwrap(),
        name: "Jira".into(),
        description: "the issue tracker".into(),
        credential: ConsumerCredential::Rsa {
            public_key: "MIIBIjAN".into(),
        },
        callback: Some(
            "https://jira.example.com/plugins/servlet/applinks/oauth/login-dance/access".into(),
        ),
        three_lo_allowed: true,
        two_lo_allowed: true,
        two_lo_execute_as: Some(Username::parse("alice").unwrap()),
        two_lo_impersonation_allowed: false,
    }
}

fn token(
    digest: &str,
    kind: TokenKind,
    key: &str,
    user: Option<&str>,
    expires_at: i64,
) -> IssuedToken {
    IssuedToken {
        digest: digest.into(),
        kind,
        consumer_key: ConsumerKey::parse(key).unwrap(),
        secret: Sealed(format!("sealed-{digest}")),
        username: user.map(|name| Username::parse(name).unwrap()),
        callback: None,
        verifier_digest: None,
        created_at: 100,
        expires_at,
        session_handle_digest: (kind == TokenKind::Access).then(|| format!("handle-{digest}")),
        session_expires_at: (kind == TokenKind::Access).then_some(expires_at + 1_000),
    }
}

#[tokio::test]
async fn the_first_link_of_a_type_is_primary_and_deleting_it_promotes_another() {
    for db in backends().await {
        let (created, first) = db.put_link(&link("jira-1", "jira")).await.unwrap();
        assert!(created && first.is_primary);
        let (_, second) = db.put_link(&link("jira-2", "jira")).await.unwrap();
        assert!(!second.is_primary);
        let (_, wiki) = db.put_link(&link("wiki-1", "confluence")).await.unwrap();
        assert!(wiki.is_primary, "types are independent");

        let (created, updated) = db
            .put_link(
                &LinkDraft {
                    name: "Renamed".into(),
                    ..draft_of(&first)
                }
                .into_link(first.id.clone())
                .unwrap(),
            )
            .await
            .unwrap();
        assert!(!created && updated.is_primary && updated.name == "Renamed");

        assert!(db.make_primary(&second.id).await.unwrap());
        assert!(!db.link(&first.id).await.unwrap().unwrap().is_primary);
        assert!(db.link(&second.id).await.unwrap().unwrap().is_primary);
        assert!(
            db.link(&wiki.id).await.unwrap().unwrap().is_primary,
            "other types keep theirs"
        );
        assert!(db.make_primary(&first.id).await.unwrap());
        let missing = ApplicationId::parse("missing").unwrap();
        assert!(!db.make_primary(&missing).await.unwrap());

        assert!(db.delete_link(&first.id).await.unwrap());
        assert!(!db.delete_link(&first.id).await.unwrap());
        let promoted = db.link(&second.id).await.unwrap().unwrap();
        assert!(promoted.is_primary);
        let names: Vec<_> = db
            .links()
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.id.to_string())
            .collect();
        assert_eq!(names, ["jira-2", "wiki-1"]);
    }
}

#[tokio::test]
async fn a_half_made_link_keeps_what_is_missing() {
    for db in backends().await {
        let half = ApplicationLink {
            pending: Some("reciprocal".into()),
            ..link("jira-1", "jira")
        };
        db.put_link(&half).await.unwrap();
        let stored = db.link(&half.id).await.unwrap().unwrap();
        assert_eq!(stored.pending.as_deref(), Some("reciprocal"));
        db.put_link(&ApplicationLink {
            pending: None,
            ..stored
        })
        .await
        .unwrap();
        assert_eq!(db.link(&half.id).await.unwrap().unwrap().pending, None);
    }
}

fn draft_of(link: &ApplicationLink) -> LinkDraft {
    LinkDraft {
        name: link.name.clone(),
        type_id: link.type_id.clone(),
        display_url: link.display_url.clone(),
        rpc_url: Some(link.rpc_url.clone()),
        is_system: link.is_system,
    }
}

/// Writes that read first (a consumer replaced, a link and its primary mark) run at once from
/// many requests; each must wait for the others, never fail because another wrote between its
/// read and its write ("database is locked" on SQLite).
#[tokio::test]
async fn concurrent_writes_that_read_first_all_succeed() {
    for db in backends().await {
        for index in 0..8 {
            db.put_link(&link(&format!("jira-{index}"), "jira"))
                .await
                .unwrap();
        }
        let mut writers = tokio::task::JoinSet::new();
        for round in 0..4 {
            for index in 0..8 {
                let db = db.clone();
                writers.spawn(async move {
                    let id = format!("jira-{index}");
                    db.put_consumer(&consumer(&format!("jira:{index}:{round}"), &id))
                        .await?;
                    db.put_link(&link(&id, "jira")).await
                });
            }
        }
        while let Some(outcome) = writers.join_next().await {
            outcome.unwrap().unwrap();
        }
        for index in 0..8 {
            let id = format!("jira-{index}");
            let stored = db.link_consumer(&link(&id, "jira").id).await.unwrap();
            assert!(stored.is_some(), "{id} has a consumer");
        }
    }
}

#[tokio::test]
async fn a_link_has_one_consumer_and_keys_are_unique() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.put_link(&link("jira-1", "jira")).await.unwrap();
        db.put_link(&link("jira-2", "jira")).await.unwrap();
        let first = consumer("jira:1", "jira-1");
        db.put_consumer(&first).await.unwrap();
        assert_eq!(db.consumer(&first.key).await.unwrap(), Some(first.clone()));
        assert_eq!(
            db.link_consumer(&first.link_id).await.unwrap(),
            Some(first.clone())
        );

        let clash = db.put_consumer(&consumer("jira:1", "jira-2")).await;
        assert!(matches!(clash, Err(StoreError::Conflict)), "{clash:?}");

        let secret = Consumer {
            credential: ConsumerCredential::SharedSecret(Sealed("v1:abc".into())),
            two_lo_execute_as: None,
            ..consumer("generic-client", "jira-2")
        };
        db.put_consumer(&secret).await.unwrap();
        assert_eq!(
            db.link_consumer(&secret.link_id).await.unwrap(),
            Some(secret)
        );
    }
}

#[tokio::test]
async fn replacing_a_consumer_key_or_deleting_the_link_drops_its_tokens() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.put_link(&link("jira-1", "jira")).await.unwrap();
        db.put_consumer(&consumer("jira:1", "jira-1"))
            .await
            .unwrap();
        db.insert_token(&token(
            "t1",
            TokenKind::Access,
            "jira:1",
            Some("alice"),
            10_000,
        ))
        .await
        .unwrap();

        db.put_consumer(&consumer("jira:1", "jira-1"))
            .await
            .unwrap();
        assert!(
            db.token("t1").await.unwrap().is_some(),
            "same key keeps tokens"
        );
        db.put_consumer(&consumer("jira:2", "jira-1"))
            .await
            .unwrap();
        assert!(
            db.token("t1").await.unwrap().is_none(),
            "a new key drops them"
        );

        db.insert_token(&token(
            "t2",
            TokenKind::Access,
            "jira:2",
            Some("alice"),
            10_000,
        ))
        .await
        .unwrap();
        assert!(
            db.delete_link(&ApplicationId::parse("jira-1").unwrap())
                .await
                .unwrap()
        );
        assert!(db.token("t2").await.unwrap().is_none());
        assert!(
            db.consumer(&ConsumerKey::parse("jira:2").unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn request_tokens_are_authorised_once_and_taken_once() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.put_link(&link("jira-1", "jira")).await.unwrap();
        db.put_consumer(&consumer("jira:1", "jira-1"))
            .await
            .unwrap();
        db.insert_token(&token("r1", TokenKind::Request, "jira:1", None, 1_000))
            .await
            .unwrap();
        let alice = Username::parse("alice").unwrap();

        assert!(
            !db.authorise_request_token("r1", &alice, "v", 1_000)
                .await
                .unwrap(),
            "expired"
        );
        assert!(
            db.authorise_request_token("r1", &alice, "v", 999)
                .await
                .unwrap()
        );
        assert!(
            !db.authorise_request_token("r1", &alice, "w", 999)
                .await
                .unwrap(),
            "only once"
        );
        let stored = db.token("r1").await.unwrap().unwrap();
        assert_eq!(stored.verifier_digest.as_deref(), Some("v"));

        let taken = db.take_request_token("r1").await.unwrap().unwrap();
        assert_eq!(taken.username, Some(alice));
        assert_eq!(db.take_request_token("r1").await.unwrap(), None);
    }
}

#[tokio::test]
async fn access_tokens_are_listed_renewed_and_revoked() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.create_user(&user("bob", false)).await.unwrap();
        db.put_link(&link("jira-1", "jira")).await.unwrap();
        db.put_consumer(&consumer("jira:1", "jira-1"))
            .await
            .unwrap();
        let alice = Username::parse("alice").unwrap();
        let bob = Username::parse("bob").unwrap();
        db.insert_token(&token(
            "a1",
            TokenKind::Access,
            "jira:1",
            Some("alice"),
            10_000,
        ))
        .await
        .unwrap();
        db.insert_token(&token(
            "b1",
            TokenKind::Access,
            "jira:1",
            Some("bob"),
            10_000,
        ))
        .await
        .unwrap();
        db.insert_token(&token("r1", TokenKind::Request, "jira:1", None, 10_000))
            .await
            .unwrap();
        assert_eq!(
            db.take_request_token("a1").await.unwrap(),
            None,
            "not a request token"
        );

        let renewed = token("a2", TokenKind::Access, "jira:1", Some("alice"), 20_000);
        assert!(db.renew_access_token("a1", &renewed).await.unwrap());
        assert!(
            !db.renew_access_token("a1", &renewed).await.unwrap(),
            "renewed once"
        );
        let listed: Vec<_> = db
            .user_access_tokens(&alice)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.digest)
            .collect();
        assert_eq!(listed, ["a2"]);

        assert!(
            !db.revoke_user_token(&alice, "b1").await.unwrap(),
            "not alice's to revoke"
        );
        assert!(db.revoke_user_token(&bob, "b1").await.unwrap());
        assert_eq!(
            db.revoke_consumer_tokens(&ConsumerKey::parse("jira:1").unwrap())
                .await
                .unwrap(),
            2
        );
    }
}

#[tokio::test]
async fn expired_tokens_are_swept_unless_still_renewable() {
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.put_link(&link("jira-1", "jira")).await.unwrap();
        db.put_consumer(&consumer("jira:1", "jira-1"))
            .await
            .unwrap();
        db.insert_token(&token("r1", TokenKind::Request, "jira:1", None, 500))
            .await
            .unwrap();
        db.insert_token(&token(
            "a1",
            TokenKind::Access,
            "jira:1",
            Some("alice"),
            500,
        ))
        .await
        .unwrap();
        assert_eq!(
            db.delete_expired_tokens(600).await.unwrap(),
            1,
            "the request token only"
        );
        assert!(
            db.token("a1").await.unwrap().is_some(),
            "its session runs until 1500"
        );
        assert_eq!(db.delete_expired_tokens(1_500).await.unwrap(), 1);
    }
}

#[tokio::test]
async fn a_nonce_is_fresh_once_across_every_connection_until_forgotten() {
    use applinks_core::nonce::{NonceStore, NonceVerdict};
    for db in backends().await {
        assert_eq!(
            db.remember("k", 100, "n", 400, 100).await.unwrap(),
            NonceVerdict::Fresh
        );
        assert_eq!(
            db.remember("k", 100, "n", 400, 101).await.unwrap(),
            NonceVerdict::Replayed
        );
        assert_eq!(
            db.remember("k", 101, "n", 401, 101).await.unwrap(),
            NonceVerdict::Fresh
        );
        assert_eq!(
            db.remember("other", 100, "n", 400, 101).await.unwrap(),
            NonceVerdict::Fresh
        );
        assert_eq!(db.forget_expired(400).await.unwrap(), 2);
        assert_eq!(
            db.remember("k", 100, "n", 400, 402).await.unwrap(),
            NonceVerdict::Fresh
        );
    }
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires() {
    use applinks_core::store::LeaseStore;
    for db in backends().await {
        assert!(db.try_lease("sweeper", "node-1", 100, 60).await.unwrap());
        assert!(!db.try_lease("sweeper", "node-2", 120, 60).await.unwrap());
        assert!(
            db.try_lease("sweeper", "node-1", 130, 60).await.unwrap(),
            "renewed by its holder"
        );
        assert!(!db.try_lease("sweeper", "node-2", 189, 60).await.unwrap());
        assert!(
            db.try_lease("sweeper", "node-2", 190, 60).await.unwrap(),
            "taken once expired"
        );
        assert!(
            db.try_lease("status:link-1", "node-1", 190, 60)
                .await
                .unwrap(),
            "names are independent"
        );
    }
}

#[tokio::test]
async fn audit_events_come_back_newest_first() {
    use applinks_core::audit::AuditEvent;
    use applinks_core::store::AuditStore;
    for db in backends().await {
        for (index, action) in ["link.create", "consumer.update", "link.delete"]
            .iter()
            .enumerate()
        {
            let event = AuditEvent {
                at: 100 + index as i64,
                actor: "admin".into(),
                action: (*action).into(),
                target: "jira-1".into(),
                before: (index > 0).then(|| "{\"name\":\"a\"}".into()),
                after: None,
            };
            db.record_event(&event).await.unwrap();
        }
        let events = db.audit_events(2).await.unwrap();
        let actions: Vec<_> = events.iter().map(|event| event.action.as_str()).collect();
        assert_eq!(actions, ["link.delete", "consumer.update"]);
        assert_eq!(events[0].before.as_deref(), Some("{\"name\":\"a\"}"));
    }
}

#[tokio::test]
async fn outgoing_providers_are_kept_per_link_and_go_with_it() {
    use applinks_core::store::ProviderStore;
    for db in backends().await {
        let wiki = link("wiki-1", "generic");
        db.put_link(&wiki).await.unwrap();
        db.put_provider(
            &wiki.id,
            "BasicAuthenticationProvider",
            "{\"username\":\"svc\"}",
        )
        .await
        .unwrap();
        db.put_provider(
            &wiki.id,
            "BasicAuthenticationProvider",
            "{\"username\":\"robot\"}",
        )
        .await
        .unwrap();
        db.put_provider(&wiki.id, "OAuthAuthenticationProvider", "{}")
            .await
            .unwrap();
        let stored = db.providers(&wiki.id).await.unwrap();
        assert_eq!(stored.len(), 2);
        assert_eq!(
            stored[0],
            (
                "BasicAuthenticationProvider".into(),
                "{\"username\":\"robot\"}".into()
            )
        );
        assert!(
            db.delete_provider(&wiki.id, "OAuthAuthenticationProvider")
                .await
                .unwrap()
        );
        assert!(
            !db.delete_provider(&wiki.id, "OAuthAuthenticationProvider")
                .await
                .unwrap()
        );
        db.delete_link(&wiki.id).await.unwrap();
        assert!(db.providers(&wiki.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_last_status_of_a_link_replaces_the_one_before() {
    use applinks_core::link::LinkStatus;
    use applinks_core::store::StatusStore;
    for db in backends().await {
        let (_, wiki) = db.put_link(&link("wiki-1", "generic")).await.unwrap();
        assert_eq!(db.status(&wiki.id).await.unwrap(), None);
        let broken = LinkStatus {
            checked_at: 100,
            working: false,
            error_category: Some("NETWORK".into()),
            error_type: Some("CONNECTION_REFUSED".into()),
            details: Some("refused".into()),
        };
        db.put_status(&wiki.id, &broken).await.unwrap();
        assert_eq!(db.status(&wiki.id).await.unwrap(), Some(broken));
        let fine = LinkStatus {
            checked_at: 200,
            working: true,
            error_category: None,
            error_type: None,
            details: None,
        };
        db.put_status(&wiki.id, &fine).await.unwrap();
        assert_eq!(db.status(&wiki.id).await.unwrap(), Some(fine.clone()));
        let listed = db.links_page(0, 10).await.unwrap();
        assert_eq!(listed.links, vec![(wiki.clone(), Some(fine))]);
        db.delete_link(&wiki.id).await.unwrap();
        assert_eq!(db.status(&wiki.id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_sqlite_file_is_kept_in_wal_mode() {
    use sqlx::Connection as _;
    let url = fresh_urls().await.remove(0);
    let db = Database::open(&url).await.unwrap();
    db.close().await;
    // The mode belongs to the file: a connection of its own finds it.
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn links_come_in_pages_by_name_with_their_last_status() {
    use applinks_core::link::LinkStatus;
    use applinks_core::store::StatusStore;
    for db in backends().await {
        let empty = db.links_page(0, 10).await.unwrap();
        assert_eq!((empty.links.len(), empty.total), (0, 0));

        for id in ["page-c", "page-a", "page-e", "page-b", "page-d"] {
            db.put_link(&link(id, "generic")).await.unwrap();
        }
        let broken = LinkStatus {
            checked_at: 100,
            working: false,
            error_category: Some("NETWORK".into()),
            error_type: Some("CONNECTION_REFUSED".into()),
            details: None,
        };
        let b = ApplicationId::parse("page-b").unwrap();
        db.put_status(&b, &broken).await.unwrap();

        let names = |page: &applinks_core::store::LinksPage| -> Vec<String> {
            page.links
                .iter()
                .map(|(link, _)| link.name.clone())
                .collect()
        };
        let first = db.links_page(0, 2).await.unwrap();
        assert_eq!(first.total, 5);
        assert_eq!(names(&first), ["Link page-a", "Link page-b"]);
        assert_eq!(first.links[0].1, None);
        assert_eq!(first.links[1].1, Some(broken));
        let last = db.links_page(4, 2).await.unwrap();
        assert_eq!(names(&last), ["Link page-e"]);
        assert!(db.links_page(5, 2).await.unwrap().links.is_empty());

        // Every page together is the whole list, in its order.
        let all: Vec<_> = db.links().await.unwrap();
        let paged: Vec<_> = db
            .links_page(0, u64::MAX)
            .await
            .unwrap()
            .links
            .into_iter()
            .map(|(link, _)| link)
            .collect();
        assert_eq!(paged, all);
    }
}

#[tokio::test]
async fn held_tokens_are_kept_per_link_and_user_and_go_with_the_link() {
    use applinks_core::held_token::HeldToken;
    use applinks_core::store::ConsumerTokenStore;
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.create_user(&user("bob", false)).await.unwrap();
        let (jira, wiki) = (link("jira-1", "jira"), link("wiki-1", "confluence"));
        db.put_link(&jira).await.unwrap();
        db.put_link(&wiki).await.unwrap();
        let alice = Username::parse("alice").unwrap();
        let bob = Username::parse("bob").unwrap();
        let held = |link: &ApplicationLink, username: &Username, value: &str| HeldToken {
            link_id: link.id.clone(),
            username: username.clone(),
            token: Sealed(format!("token-{value}")),
            secret: Sealed(format!("secret-{value}")),
            session_handle: Some(Sealed(format!("handle-{value}"))),
            created_at: 100,
        };

        assert_eq!(db.held_token(&jira.id, &alice).await.unwrap(), None);
        db.put_held_token(&held(&jira, &alice, "1")).await.unwrap();
        db.put_held_token(&held(&jira, &alice, "2")).await.unwrap();
        db.put_held_token(&held(&wiki, &alice, "3")).await.unwrap();
        db.put_held_token(&held(&jira, &bob, "4")).await.unwrap();
        assert_eq!(
            db.held_token(&jira.id, &alice).await.unwrap(),
            Some(held(&jira, &alice, "2")),
            "a new token replaces the old one"
        );
        let alices = db.user_held_tokens(&alice).await.unwrap();
        assert_eq!(alices, [held(&jira, &alice, "2"), held(&wiki, &alice, "3")]);

        assert!(db.delete_held_token(&jira.id, &alice).await.unwrap());
        assert!(!db.delete_held_token(&jira.id, &alice).await.unwrap());
        assert_eq!(
            db.held_token(&jira.id, &bob).await.unwrap(),
            Some(held(&jira, &bob, "4")),
            "another user's token stays"
        );
        db.delete_link(&wiki.id).await.unwrap();
        assert_eq!(db.user_held_tokens(&alice).await.unwrap(), []);
    }
}

#[tokio::test]
async fn a_dance_is_finished_once_and_only_by_its_user() {
    use applinks_core::held_token::PendingDance;
    use applinks_core::store::ConsumerTokenStore;
    for db in backends().await {
        db.create_user(&user("alice", false)).await.unwrap();
        db.create_user(&user("bob", false)).await.unwrap();
        let jira = link("jira-1", "jira");
        db.put_link(&jira).await.unwrap();
        let alice = Username::parse("alice").unwrap();
        let bob = Username::parse("bob").unwrap();
        let dance = |digest: &str, username: &Username, started_at: i64| PendingDance {
            token_digest: digest.into(),
            link_id: jira.id.clone(),
            username: username.clone(),
            secret: Sealed(format!("secret-{digest}")),
            return_to: Some("/back".into()),
            started_at,
        };

        db.start_dance(&dance("d1", &alice, 100)).await.unwrap();
        db.start_dance(&dance("d2", &alice, 110)).await.unwrap();
        db.start_dance(&dance("d3", &bob, 120)).await.unwrap();
        assert_eq!(
            db.take_dance("d1", &jira.id, &alice).await.unwrap(),
            None,
            "a new dance replaces the user's unfinished one"
        );
        assert_eq!(
            db.take_dance("d2", &jira.id, &bob).await.unwrap(),
            None,
            "another user cannot finish it"
        );
        let other = ApplicationId::parse("wiki-1").unwrap();
        assert_eq!(db.take_dance("d2", &other, &alice).await.unwrap(), None);
        assert_eq!(
            db.take_dance("d2", &jira.id, &alice).await.unwrap(),
            Some(dance("d2", &alice, 110))
        );
        assert_eq!(db.take_dance("d2", &jira.id, &alice).await.unwrap(), None);

        assert_eq!(db.delete_stale_dances(120).await.unwrap(), 0);
        assert_eq!(db.delete_stale_dances(121).await.unwrap(), 1);
        assert_eq!(db.take_dance("d3", &jira.id, &bob).await.unwrap(), None);
    }
}
