//! The storage conformance suite: every storage trait, against every backend available here.
//!
//! SQLite always runs. PostgreSQL runs when `APPLINKS_TEST_POSTGRES_URL` names a server the
//! tests may create databases on; `.ci/run` starts one.

use applinks_core::session::Session;
use applinks_core::store::{SessionStore, SettingStore, StoreError, UserStore};
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
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    format!("{base}/{name}")
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
