//! The storage conformance suite: every storage trait, against every backend available here.
//!
//! SQLite always runs. PostgreSQL runs when `APPLINKS_TEST_POSTGRES_URL` names a server the
//! tests may create databases on; `.ci/run` starts one.

use applinks_core::session::Session;
use applinks_core::store::{SessionStore, SettingStore, StoreError, UserStore};
use applinks_core::user::{NewUser, Username};
use applinks_store::Database;

/// A fresh, empty SQLite database in its own file.
async fn sqlite() -> Database {
    let dir = std::env::temp_dir().join(format!(
        "applinks-store-test-{}-{}",
        std::process::id(),
        unique()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/applinks.db?mode=rwc", dir.display());
    Database::open(&url).await.unwrap()
}

/// A number no other database of this test process uses.
fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// Every backend this machine can run the suite against.
async fn backends() -> Vec<Database> {
    let mut all = vec![sqlite().await];
    if let Ok(url) = std::env::var("APPLINKS_TEST_POSTGRES_URL") {
        all.push(postgres(&url).await);
    }
    all
}

/// A fresh PostgreSQL database on the server at `url`.
async fn postgres(url: &str) -> Database {
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(url).await.unwrap();
    let name = format!("applinks_test_{}_{}", std::process::id(), unique());
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    Database::open(&format!("{base}/{name}")).await.unwrap()
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
async fn migrations_are_idempotent_across_reopens() {
    let dir = std::env::temp_dir().join(format!("applinks-store-reopen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/applinks.db?mode=rwc", dir.display());
    let first = Database::open(&url).await.unwrap();
    first.setting_or_insert("k", "v").await.unwrap();
    first.close().await;

    let opened: Vec<_> = open_concurrently(&url).await;
    for db in opened {
        assert_eq!(db.setting("k").await.unwrap().as_deref(), Some("v"));
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Opens the same database from several tasks at once, as nodes starting together would.
async fn open_concurrently(url: &str) -> Vec<Database> {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { Database::open(&url).await.unwrap() })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.unwrap());
    }
    all
}
