//! A server on a real SQLite database in a temporary directory, driven through
//! `Router::oneshot` without sockets, with a clock the test controls.

#![allow(dead_code, reason = "each test file uses its own part of the harness")]

use std::sync::Arc;

use applinks_core::clock::FixedClock;
use applinks_core::manifest::ApplicationType;
use applinks_server::outbound::{Outbound, OutboundPolicy};
use applinks_server::{AppState, OsEntropy, SecretKey, ServerConfig};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;

pub(crate) const ADMIN_PASSWORD: &str = "correct horse battery";
pub(crate) const BASE_URL: &str = "http://links.test:8080";
/// The time the harness clock starts at.
pub(crate) const START: i64 = 1_800_000_000;

pub(crate) struct Harness {
    pub(crate) app: Router,
    pub(crate) state: AppState,
    pub(crate) clock: Arc<FixedClock>,
}

impl Harness {
    pub(crate) async fn new() -> Self {
        Self::at(BASE_URL, |_| {}).await
    }

    /// A harness whose configuration `adjust` changes first.
    pub(crate) async fn with_config(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::at(BASE_URL, adjust).await
    }

    /// A harness that also listens on a loopback port, at whose address it knows itself, so
    /// that another harness can call it as a linked application (and be called back).
    pub(crate) async fn served() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let harness = Self::at(&format!("http://127.0.0.1:{port}"), |_| {}).await;
        let service = harness
            .app
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await });
        harness
    }

    /// A harness whose configured base URL is `base_url`, and whose configuration `adjust`
    /// changes first.
    async fn at(base_url: &str, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "applinks-server-test-{}-{}",
            std::process::id(),
            next_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/applinks.db?mode=rwc", dir.display());
        let database = applinks_store::Database::open(&url).await.unwrap();
        let key = SecretKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
        let bootstrap = applinks_server::bootstrap(&database, &key, Some(ADMIN_PASSWORD.into()))
            .await
            .unwrap();
        assert_eq!(bootstrap.generated_admin_password, None);
        let mut config = ServerConfig::new(
            base_url.parse().unwrap(),
            "Test <Links> & Co",
            ApplicationType::Confluence,
        );
        adjust(&mut config);
        let clock = Arc::new(FixedClock::new(START));
        let state = AppState::new(
            config,
            bootstrap.identity,
            database,
            key,
            Outbound::new(OutboundPolicy {
                allow: "127.0.0.0/8".parse().unwrap(),
                ..OutboundPolicy::default()
            })
            .unwrap(),
            clock.clone(),
            Arc::new(OsEntropy),
        );
        Self {
            app: applinks_server::app(state.clone()),
            state,
            clock,
        }
    }

    /// The base URL the server knows itself by, without a trailing slash.
    pub(crate) fn base_url(&self) -> &str {
        self.state.config().base_url_str()
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Signs in through the form; the answer carries the session cookie.
    pub(crate) async fn sign_in(&self, username: &str, password: &str) -> Answer {
        let body = format!("username={username}&password={password}&next=%2Fdone");
        self.send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, self.base_url())
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Sends a JSON body as the administrator, with the XSRF header scripts send.
    pub(crate) async fn admin_json(
        &self,
        method: &str,
        path: &str,
        json: serde_json::Value,
    ) -> Answer {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::AUTHORIZATION, basic("admin", ADMIN_PASSWORD))
                .header("X-Atlassian-Token", "no-check")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string()))
                .unwrap(),
        )
        .await
    }

    /// Creates a user through the store, as `applinks user add` does.
    pub(crate) async fn add_user(&self, name: &str, password: &str) {
        use applinks_core::store::UserStore as _;
        use applinks_core::user::{NewUser, Username};
        let hash = applinks_server::password::hash(password.into())
            .await
            .unwrap();
        let user = NewUser::new(Username::parse(name).unwrap(), None, None, false, hash).unwrap();
        self.state.database().create_user(&user).await.unwrap();
    }

    /// Disables or enables a user through the store, as `applinks user disable|enable` does from
    /// another process: sessions stay, so only the server's own check keeps the user out.
    pub(crate) async fn set_disabled(&self, name: &str, disabled: bool) {
        use applinks_core::store::{DisabledChange, UserStore as _};
        let name = applinks_core::user::Username::parse(name).unwrap();
        let change = self.state.database().set_user_disabled(&name, disabled);
        assert_eq!(change.await.unwrap(), DisabledChange::Changed);
    }
}

fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }

    /// The `name=value` part of the session cookie this answer sets.
    pub(crate) fn session_cookie(&self) -> String {
        let set = self.header(header::SET_COOKIE);
        assert!(
            set.starts_with("applinks_session="),
            "no session cookie: {set:?}"
        );
        set.split(';').next().unwrap().to_owned()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    /// The `oauth_problem` this answer reports, from its body.
    pub(crate) fn oauth_problem(&self) -> String {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(name, _)| name == "oauth_problem")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("no oauth_problem in {} {}", self.status, self.body))
    }

    /// A form-encoded answer's parameter.
    pub(crate) fn form_value(&self, name: &str) -> String {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {} {}", self.status, self.body))
    }
}

pub(crate) fn basic(username: &str, password: &str) -> String {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}
