//! The OAuth 1.0a service provider end to end, in process: the 3-legged dance, 2-legged and
//! impersonated requests, token renewal and revocation, and one test per attack, each failing
//! if its defence is removed. No refusal may be a 5xx.

use std::sync::OnceLock;

use applinks_oauth1::{
    ClientRequest, PrivateKey, Secret, SharedSecrets, SigningKey, percent_encode,
};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{BASE_URL, Harness};

mod support;

const LINK_ID: &str = "7f0d4f5e-4b7a-3c4e-9f8e-0a1b2c3d4e5f";
const CONSUMER: &str = "peer:1234";
const CALLBACK: &str = "https://peer.example.com/plugins/servlet/applinks/oauth/login-dance/access";

/// The consumer's key pair, generated once for the whole test binary.
fn consumer_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

/// Another key pair, for signatures by the wrong key.
fn stranger_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

/// What a test's consumer may do.
struct Permissions {
    two_lo: bool,
    execute_as: Option<&'static str>,
    impersonation: bool,
}

const ALL: Permissions = Permissions {
    two_lo: true,
    execute_as: Some("bob"),
    impersonation: true,
};

/// A harness with users alice and bob, a link and its consumer.
async fn provider(permissions: Permissions) -> Harness {
    let harness = Harness::new().await;
    harness.add_user("alice", "alice password").await;
    harness.add_user("bob", "bob password").await;
    add_consumer(&harness, LINK_ID, CONSUMER, consumer_key(), &permissions).await;
    harness
}

async fn add_consumer(
    harness: &Harness,
    link: &str,
    key: &str,
    private: &PrivateKey,
    permissions: &Permissions,
) {
    let link_body = json!({
        "id": link, "name": "Peer", "typeId": "jira", "displayUrl": "https://peer.example.com",
    });
    let path = format!("/rest/applinks/1.0/applicationlink/{link}");
    let created = harness.admin_json("PUT", &path, link_body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let consumer_body = json!({
        "key": key, "name": "Peer Jira", "description": "the peer's issue tracker",
        "signatureMethod": "RSA-SHA1", "publicKey": private.public_key().to_pem(),
        "callback": CALLBACK, "twoLOAllowed": permissions.two_lo,
        "executingTwoLOUser": permissions.execute_as,
        "twoLOImpersonationAllowed": permissions.impersonation,
    });
    let path = format!("/rest/applinks-oauth/1.0/applicationlink/{link}/authentication/consumer");
    let set = harness.admin_json("PUT", &path, consumer_body).await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);
}

/// A unique nonce.
fn nonce() -> String {
    applinks_oauth1::generate_nonce()
}

/// The parts of a signed request a test can vary.
#[derive(Clone, Copy)]
struct Signing<'a> {
    method: &'a str,
    url: &'a str,
    consumer: &'a str,
    key: &'a PrivateKey,
    token: Option<&'a str>,
    timestamp: i64,
    callback: Option<&'a str>,
    verifier: Option<&'a Secret>,
    session_handle: Option<&'a Secret>,
    /// The decoded parameters of a form-encoded body, which the signature covers.
    form: &'a [(&'a str, &'a str)],
}

impl<'a> Signing<'a> {
    fn new(harness: &Harness, method: &'a str, url: &'a str) -> Self {
        use applinks_core::clock::Clock as _;
        Self {
            method,
            url,
            consumer: CONSUMER,
            key: consumer_key(),
            token: Some(""),
            timestamp: harness.clock.now(),
            callback: None,
            verifier: None,
            session_handle: None,
            form: &[],
        }
    }

    fn header(&self, nonce: &str) -> String {
        ClientRequest {
            method: self.method,
            url: self.url,
            realm: Some(BASE_URL),
            consumer_key: self.consumer,
            token: self.token,
            timestamp: self.timestamp as u64,
            nonce,
            callback: self.callback,
            verifier: self.verifier,
            session_handle: self.session_handle,
            form: self.form,
        }
        .authorization_header(&SigningKey::RsaSha1(self.key))
        .unwrap()
    }

    /// The request as signed, sent to the server's path of its URL.
    fn request(&self) -> Request<Body> {
        self.request_with(&self.header(&nonce()))
    }

    fn request_with(&self, authorization: &str) -> Request<Body> {
        let path = self.url.strip_prefix(BASE_URL).unwrap_or(self.url);
        Request::builder()
            .method(self.method)
            .uri(path)
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap()
    }
}

fn url(path: &str) -> String {
    format!("{BASE_URL}{path}")
}

/// The protocol parameters of a signed `Authorization` header, form-encoded for the query
/// (RFC 5849 §3.5.3) or the body (§3.5.2). The signature covers the same parameters whichever
/// transport carries them; `realm` is not one of them.
fn protocol_form(authorization: &str) -> String {
    let params = applinks_oauth1::parse_auth_params(authorization)
        .unwrap()
        .unwrap();
    params
        .iter()
        .filter(|(name, _)| name != "realm")
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

const MYSELF: &str = "/rest/api/1.0/myself";

async fn refused(harness: &Harness, request: Request<Body>, status: StatusCode, problem: &str) {
    let answer = harness.send(request).await;
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.oauth_problem(), problem);
    let challenge = answer.header(header::WWW_AUTHENTICATE);
    assert!(
        challenge.starts_with(&format!("OAuth realm=\"{BASE_URL}\"")),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("oauth_problem=\"{problem}\"")),
        "{challenge}"
    );
}

/// Runs the dance up to the access token, as alice; returns (token, secret, session handle).
async fn dance(harness: &Harness) -> (String, String, String) {
    let (request_token, verifier) = authorised_request_token(harness).await;
    let verifier = Secret::new(verifier);
    let exchange_url = url("/plugins/servlet/oauth/access-token");
    let signing = Signing {
        token: Some(&request_token),
        verifier: Some(&verifier),
        ..Signing::new(harness, "POST", &exchange_url)
    };
    let answer = harness.send(signing.request()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        "text/plain;charset=UTF-8"
    );
    (
        answer.form_value("oauth_token"),
        answer.form_value("oauth_token_secret"),
        answer.form_value("oauth_session_handle"),
    )
}

/// A request token alice has allowed, and its verifier.
async fn authorised_request_token(harness: &Harness) -> (String, String) {
    let request_token = request_token(harness, CALLBACK).await;
    let cookie = harness
        .sign_in("alice", "alice%20password")
        .await
        .session_cookie();
    let page = approval_page(harness, &cookie, &request_token).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Peer Jira"),
        "the page names the consumer"
    );
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    let csrf = hidden(&page.body, "csrf_token");

    let decision = decide(harness, &cookie, &request_token, &csrf, "allow").await;
    assert_eq!(decision.status, StatusCode::SEE_OTHER, "{}", decision.body);
    let location = url::Url::parse(decision.header(header::LOCATION)).unwrap();
    assert!(location.as_str().starts_with(CALLBACK), "{location}");
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert!(query.contains(&("oauth_token".into(), request_token.clone())));
    let verifier = query
        .iter()
        .find(|(k, _)| k == "oauth_verifier")
        .unwrap()
        .1
        .clone();
    (request_token, verifier)
}

async fn request_token(harness: &Harness, callback: &str) -> String {
    let endpoint = url("/plugins/servlet/oauth/request-token");
    let signing = Signing {
        token: None,
        callback: Some(callback),
        ..Signing::new(harness, "POST", &endpoint)
    };
    let answer = harness.send(signing.request()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.form_value("oauth_callback_confirmed"), "true");
    answer.form_value("oauth_token")
}

/// Opens the approval page for a request token with a session cookie.
async fn approval_page(harness: &Harness, cookie: &str, request_token: &str) -> support::Answer {
    let path = format!("/plugins/servlet/oauth/authorize?oauth_token={request_token}");
    let request = Request::get(path).header(header::COOKIE, cookie);
    harness.send(request.body(Body::empty()).unwrap()).await
}

/// Posts a decision on the approval page.
async fn decide(
    harness: &Harness,
    cookie: &str,
    request_token: &str,
    csrf: &str,
    decision: &str,
) -> support::Answer {
    let form = format!("oauth_token={request_token}&csrf_token={csrf}&decision={decision}");
    let request = Request::post("/plugins/servlet/oauth/authorize")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    harness.send(request.body(Body::from(form)).unwrap()).await
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn myself_name(harness: &Harness, request: Request<Body>) -> String {
    let answer = harness.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()["name"].as_str().unwrap().to_owned()
}

// Flows.

#[tokio::test]
async fn three_legged_dance_acts_as_the_user_who_allowed_it() {
    let harness = provider(ALL).await;
    let (token, _, _) = dance(&harness).await;
    let target = url(MYSELF);
    let signing = Signing {
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    assert_eq!(myself_name(&harness, signing.request()).await, "alice");
}

#[tokio::test]
async fn a_token_user_wins_over_xoauth_requestor_id() {
    let harness = provider(ALL).await;
    let (token, _, _) = dance(&harness).await;
    let target = url(&format!("{MYSELF}?xoauth_requestor_id=bob"));
    let signing = Signing {
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    assert_eq!(myself_name(&harness, signing.request()).await, "alice");
}

#[tokio::test]
async fn two_legged_acts_as_the_execute_as_user_and_impersonates_when_allowed() {
    let harness = provider(ALL).await;
    let plain = url(MYSELF);
    assert_eq!(
        myself_name(&harness, Signing::new(&harness, "GET", &plain).request()).await,
        "bob"
    );
    let absent_token = Signing {
        token: None,
        ..Signing::new(&harness, "GET", &plain)
    };
    assert_eq!(
        myself_name(&harness, absent_token.request()).await,
        "bob",
        "generic libraries omit oauth_token"
    );

    let as_alice = url(&format!("{MYSELF}?xoauth_requestor_id=alice"));
    assert_eq!(
        myself_name(&harness, Signing::new(&harness, "GET", &as_alice).request()).await,
        "alice"
    );
}

#[tokio::test]
async fn protocol_parameters_in_the_query_are_verified_and_act_as_the_signed_user() {
    let harness = provider(ALL).await;
    let signed_for = |requestor: &str| {
        let target = url(&format!("{MYSELF}?xoauth_requestor_id={requestor}"));
        protocol_form(&Signing::new(&harness, "GET", &target).header(&nonce()))
    };
    let in_query = |requestor: &str, protocol: &str| {
        Request::get(format!(
            "{MYSELF}?xoauth_requestor_id={requestor}&{protocol}"
        ))
        .body(Body::empty())
        .unwrap()
    };

    let signed = in_query("alice", &signed_for("alice"));
    assert_eq!(myself_name(&harness, signed).await, "alice");

    let tampered = in_query("admin", &signed_for("alice"));
    refused(
        &harness,
        tampered,
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;
}

#[tokio::test]
async fn protocol_parameters_in_a_form_body_are_verified_and_act_as_the_signed_user() {
    use applinks_core::store::AuditStore as _;
    let harness = provider(ALL).await;
    let path = format!("/rest/applinks/1.0/applicationlink/primary/{LINK_ID}");
    let target = url(&path);
    let signed_for = |requestor: &str| {
        let form = [("xoauth_requestor_id", requestor)];
        let signing = Signing {
            form: &form,
            ..Signing::new(&harness, "POST", &target)
        };
        protocol_form(&signing.header(&nonce()))
    };
    let in_body = |requestor: &str, protocol: &str| {
        Request::post(&path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "xoauth_requestor_id={requestor}&{protocol}"
            )))
            .unwrap()
    };

    let signed = harness.send(in_body("admin", &signed_for("admin"))).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let events = harness.state.database().audit_events(1).await.unwrap();
    assert_eq!(
        (events[0].action.as_str(), events[0].actor.as_str()),
        ("link.make_primary", "admin")
    );

    // Signed for alice, who may not make a link primary, and sent as the administrator.
    let tampered = in_body("admin", &signed_for("alice"));
    refused(
        &harness,
        tampered,
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;
}

#[tokio::test]
async fn anonymous_two_legged_requests_are_nobody_to_myself() {
    let harness = provider(Permissions {
        two_lo: true,
        execute_as: None,
        impersonation: false,
    })
    .await;
    let target = url(MYSELF);
    let signing = Signing::new(&harness, "GET", &target);
    let header = signing.header(&nonce());
    let answer = harness.send(signing.request_with(&header)).await;
    // The signature holds, so the refusal is not an OAuth one: the request acts as no user,
    // and myself has nobody to describe.
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(
        answer.header(header::WWW_AUTHENTICATE),
        "Basic realm=\"applinks\""
    );
    assert_eq!(answer.json()["status"], 401, "{}", answer.body);
    assert!(!answer.body.contains("oauth_problem"), "{}", answer.body);

    // The layer did verify it: its nonce is spent.
    refused(
        &harness,
        signing.request_with(&header),
        StatusCode::UNAUTHORIZED,
        "nonce_used",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_user_is_refused_never_mapped_to_another() {
    let harness = provider(ALL).await;
    let target = url(&format!("{MYSELF}?xoauth_requestor_id=carol"));
    refused(
        &harness,
        Signing::new(&harness, "GET", &target).request(),
        StatusCode::UNAUTHORIZED,
        "permission_denied",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_user_is_refused_through_impersonation_and_as_the_execute_as_user() {
    let harness = provider(ALL).await;
    let as_alice = url(&format!("{MYSELF}?xoauth_requestor_id=alice"));
    let plain = url(MYSELF);
    let impersonating = || Signing::new(&harness, "GET", &as_alice).request();
    let executing_as_bob = || Signing::new(&harness, "GET", &plain).request();
    assert_eq!(myself_name(&harness, impersonating()).await, "alice");
    assert_eq!(myself_name(&harness, executing_as_bob()).await, "bob");

    harness.set_disabled("alice", true).await;
    harness.set_disabled("bob", true).await;
    // Signed requests read users through a cache of one second (`recent.rs`).
    harness.clock.advance(1);
    for request in [impersonating(), executing_as_bob()] {
        refused(
            &harness,
            request,
            StatusCode::UNAUTHORIZED,
            "permission_denied",
        )
        .await;
    }

    harness.set_disabled("alice", false).await;
    harness.clock.advance(1);
    assert_eq!(myself_name(&harness, impersonating()).await, "alice");
}

#[tokio::test]
async fn a_disabled_users_access_token_is_refused_until_they_are_enabled() {
    let harness = provider(ALL).await;
    let (token, _, _) = dance(&harness).await;
    let target = url(MYSELF);
    let with_token = || {
        Signing {
            token: Some(&token),
            ..Signing::new(&harness, "GET", &target)
        }
        .request()
    };
    assert_eq!(myself_name(&harness, with_token()).await, "alice");

    harness.set_disabled("alice", true).await;
    harness.clock.advance(1);
    refused(
        &harness,
        with_token(),
        StatusCode::UNAUTHORIZED,
        "permission_denied",
    )
    .await;

    // The token itself was never revoked: enabling the user makes it work again.
    harness.set_disabled("alice", false).await;
    harness.clock.advance(1);
    assert_eq!(myself_name(&harness, with_token()).await, "alice");
}

#[tokio::test]
async fn an_access_token_renews_with_its_session_handle_once() {
    let harness = provider(ALL).await;
    let (token, _, handle) = dance(&harness).await;
    let handle = Secret::new(handle);
    let endpoint = url("/plugins/servlet/oauth/access-token");
    let renewal = Signing {
        token: Some(&token),
        session_handle: Some(&handle),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    let answer = harness.send(renewal.request()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let renewed = answer.form_value("oauth_token");
    assert_ne!(renewed, token);

    let target = url(MYSELF);
    let old = Signing {
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        old.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
    let new = Signing {
        token: Some(&renewed),
        ..Signing::new(&harness, "GET", &target)
    };
    assert_eq!(myself_name(&harness, new.request()).await, "alice");
    refused(
        &harness,
        renewal.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn expired_access_tokens_answer_token_expired() {
    let harness = provider(ALL).await;
    let (token, _, _) = dance(&harness).await;
    harness
        .clock
        .advance(harness.state.config().token_lifetimes.access);
    let target = url(MYSELF);
    let signing = Signing {
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn a_denied_request_token_cannot_be_exchanged() {
    let harness = provider(ALL).await;
    let request_token = request_token(&harness, CALLBACK).await;
    let cookie = harness
        .sign_in("alice", "alice%20password")
        .await
        .session_cookie();
    let page = approval_page(&harness, &cookie, &request_token).await;
    let csrf = hidden(&page.body, "csrf_token");
    let denied = decide(&harness, &cookie, &request_token, &csrf, "deny").await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    let location = denied.header(header::LOCATION);
    assert!(
        location.starts_with(CALLBACK) && location.ends_with("&oauth_verifier=denied"),
        "{location}"
    );
    let verifier = Secret::new("guess");
    let endpoint = url("/plugins/servlet/oauth/access-token");
    let exchange = Signing {
        token: Some(&request_token),
        verifier: Some(&verifier),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    refused(
        &harness,
        exchange.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn the_approval_page_is_for_signed_in_users_and_forms_need_their_token() {
    let harness = provider(ALL).await;
    let request_token = request_token(&harness, CALLBACK).await;
    let path = format!("/plugins/servlet/oauth/authorize?oauth_token={request_token}");
    let stranger = harness.get(&path).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
    assert!(
        stranger
            .header(header::LOCATION)
            .starts_with("/login?next=%2Fplugins%2Fservlet%2Foauth%2Fauthorize")
    );

    let cookie = harness
        .sign_in("alice", "alice%20password")
        .await
        .session_cookie();
    let forged = decide(&harness, &cookie, &request_token, "forged", "allow").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn users_list_and_revoke_the_applications_they_authorised() {
    let harness = provider(ALL).await;
    let (token, _, _) = dance(&harness).await;
    let alice = support::basic("alice", "alice password");
    let listed = harness
        .send(
            Request::get("/rest/applinks-oauth/1.0/accesstokens")
                .header(header::AUTHORIZATION, &alice)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let grants = listed.json();
    assert_eq!(grants.as_array().unwrap().len(), 1, "{}", listed.body);
    assert_eq!(grants[0]["consumerName"], "Peer Jira");
    let id = grants[0]["id"].as_str().unwrap().to_owned();
    assert!(
        !listed.body.contains(&token),
        "the token itself is never shown"
    );

    let delete = |headers: bool| {
        let mut request = Request::delete(format!("/rest/applinks-oauth/1.0/accesstokens/{id}"))
            .header(header::AUTHORIZATION, &alice);
        if headers {
            request = request.header("X-Atlassian-Token", "no-check");
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(
        harness.send(delete(false)).await.status,
        StatusCode::FORBIDDEN,
        "XSRF header required"
    );
    assert_eq!(
        harness.send(delete(true)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        harness.send(delete(true)).await.status,
        StatusCode::NOT_FOUND
    );

    let target = url(MYSELF);
    let signing = Signing {
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn the_authorised_applications_page_revokes_with_its_form() {
    let harness = provider(ALL).await;
    dance(&harness).await;
    let cookie = harness
        .sign_in("alice", "alice%20password")
        .await
        .session_cookie();
    let page = |cookie: &str| {
        Request::get("/plugins/servlet/oauth/users/access-tokens")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap()
    };
    let listed = harness.send(page(&cookie)).await;
    assert!(listed.body.contains("Peer Jira"), "{}", listed.body);
    let id = hidden(&listed.body, "id");
    let csrf = hidden(&listed.body, "csrf_token");
    let revoked = harness
        .send(
            Request::post("/plugins/servlet/oauth/users/access-tokens")
                .header(header::COOKIE, &cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("id={id}&csrf_token={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert!(
        harness
            .send(page(&cookie))
            .await
            .body
            .contains("You have not authorised any application.")
    );
}

#[tokio::test]
async fn admins_revoke_every_token_of_a_consumer_and_deleting_it_deletes_them() {
    let harness = provider(ALL).await;
    let (first, _, _) = dance(&harness).await;
    let path =
        format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer");
    let revoked = harness
        .admin_json("DELETE", &format!("{path}/tokens"), json!({}))
        .await;
    assert_eq!(revoked.json()["revoked"], 1, "{}", revoked.body);
    let target = url(MYSELF);
    let with_first = Signing {
        token: Some(&first),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        with_first.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;

    let (second, _, _) = dance(&harness).await;
    assert_eq!(
        harness.admin_json("DELETE", &path, json!({})).await.status,
        StatusCode::NO_CONTENT
    );
    let with_second = Signing {
        token: Some(&second),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        with_second.request(),
        StatusCode::UNAUTHORIZED,
        "consumer_key_unknown",
    )
    .await;
    use applinks_core::store::TokenStore as _;
    let alice = applinks_core::user::Username::parse("alice").unwrap();
    assert!(
        harness
            .state
            .database()
            .user_access_tokens(&alice)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn oauth_status_reads_and_sets_both_directions() {
    let harness = provider(Permissions {
        two_lo: false,
        execute_as: None,
        impersonation: false,
    })
    .await;
    let path = format!("/rest/applinks/3.0/status/{LINK_ID}/oauth");
    let read = harness.admin_json("GET", &path, json!(null)).await;
    assert_eq!(
        read.json()["incoming"],
        json!({"enabled": true, "twoLoEnabled": false, "twoLoImpersonationEnabled": false})
    );

    let body = json!({
        "incoming": {"enabled": true, "twoLoEnabled": true, "twoLoImpersonationEnabled": true},
        "outgoing": {"enabled": true, "twoLoEnabled": true, "twoLoImpersonationEnabled": false},
    });
    let set = harness.admin_json("PUT", &path, body.clone()).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.json(), body);
    let as_alice = url(&format!("{MYSELF}?xoauth_requestor_id=alice"));
    assert_eq!(
        myself_name(&harness, Signing::new(&harness, "GET", &as_alice).request()).await,
        "alice"
    );

    let off = json!({
        "incoming": {"enabled": false, "twoLoEnabled": false, "twoLoImpersonationEnabled": false},
    });
    assert_eq!(
        harness.admin_json("PUT", &path, off).await.status,
        StatusCode::OK
    );
    refused(
        &harness,
        Signing::new(&harness, "GET", &as_alice).request(),
        StatusCode::UNAUTHORIZED,
        "consumer_key_unknown",
    )
    .await;
    let on_without_consumer = harness.admin_json("PUT", &path, body).await;
    assert_eq!(on_without_consumer.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn consumer_configuration_is_validated_and_admin_only() {
    let harness = provider(ALL).await;
    let path =
        format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer");
    let bad = harness
        .admin_json(
            "PUT",
            &path,
            json!({"key": "a b", "signatureMethod": "PLAINTEXT", "executingTwoLOUser": "nobody"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let errors = bad.json()["errors"].to_string();
    assert!(
        errors.contains("key")
            && errors.contains("signatureMethod")
            && errors.contains("executingTwoLOUser"),
        "{errors}"
    );
    let short_secret = harness
        .admin_json(
            "PUT",
            &path,
            json!({"key": "k", "signatureMethod": "HMAC-SHA1", "sharedSecret": "short"}),
        )
        .await;
    assert_eq!(short_secret.status, StatusCode::BAD_REQUEST);
    let bad_key = harness
        .admin_json("PUT", &path, json!({"key": "k", "publicKey": "not a key"}))
        .await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);

    let read = harness.admin_json("GET", &path, json!(null)).await;
    assert_eq!(read.json()["key"], CONSUMER);
    assert_eq!(
        read.json()["publicKey"],
        consumer_key().public_key().to_base64_der()
    );

    let as_alice = Request::get(&path)
        .header(
            header::AUTHORIZATION,
            support::basic("alice", "alice password"),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(harness.send(as_alice).await.status, StatusCode::FORBIDDEN);
    let no_xsrf = Request::put(&path)
        .header(
            header::AUTHORIZATION,
            support::basic("admin", support::ADMIN_PASSWORD),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(harness.send(no_xsrf).await.status, StatusCode::FORBIDDEN);
    let unknown_link = harness
        .admin_json(
            "GET",
            "/rest/applinks-oauth/1.0/applicationlink/nope/authentication/consumer",
            json!(null),
        )
        .await;
    assert_eq!(unknown_link.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_generic_consumer_signs_with_hmac_sha1_and_a_shared_secret() {
    let harness = provider(ALL).await;
    let link = add_generic_consumer(&harness).await;
    let read = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks-oauth/latest/applicationlink/{link}/authentication/consumer"),
            json!(null),
        )
        .await;
    assert!(
        !read.body.contains(GENERIC_SECRET),
        "the secret is never sent back"
    );

    let secret = Secret::new(GENERIC_SECRET);
    let target = url(&format!("{MYSELF}?xoauth_requestor_id=alice"));
    let header = hmac_header(&target, GENERIC, &secret, harness.clock_now());
    let request = Request::get(format!("{MYSELF}?xoauth_requestor_id=alice"))
        .header(header::AUTHORIZATION, header)
        .body(Body::empty())
        .unwrap();
    assert_eq!(myself_name(&harness, request).await, "alice");
}

/// The key of the generic consumer, which signs with a shared secret.
const GENERIC: &str = "script";
const GENERIC_SECRET: &str = "a long shared secret";

/// Adds a link to a generic application and its HMAC-SHA1 consumer; returns the link's id.
async fn add_generic_consumer(harness: &Harness) -> &'static str {
    let link = "generic-1";
    let created = harness
        .admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{link}"),
            json!({"name": "Script", "displayUrl": "https://script.example.com"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let consumer = json!({
        "key": GENERIC, "signatureMethod": "HMAC-SHA1", "sharedSecret": GENERIC_SECRET,
        "twoLOAllowed": true, "twoLOImpersonationAllowed": true,
    });
    let set = harness
        .admin_json(
            "PUT",
            &format!("/rest/applinks-oauth/1.0/applicationlink/{link}/authentication/consumer"),
            consumer,
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.body);
    link
}

fn hmac_header(url: &str, consumer: &str, secret: &Secret, timestamp: i64) -> String {
    let secrets = SharedSecrets {
        consumer_secret: secret,
        token_secret: None,
    };
    get_header(url, consumer, &SigningKey::HmacSha1(secrets), timestamp)
}

/// The `Authorization` header of a 2-legged GET signed with `key`, as generic libraries send
/// it (without `oauth_token`).
fn get_header(url: &str, consumer: &str, key: &SigningKey<'_>, timestamp: i64) -> String {
    ClientRequest {
        method: "GET",
        url,
        consumer_key: consumer,
        timestamp: timestamp as u64,
        nonce: &nonce(),
        ..ClientRequest::default()
    }
    .authorization_header(key)
    .unwrap()
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for Harness {
    fn clock_now(&self) -> i64 {
        use applinks_core::clock::Clock as _;
        self.clock.now()
    }
}

// Attacks: each test fails if its defence is removed.

#[tokio::test]
async fn attack_replayed_request_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing::new(&harness, "GET", &target);
    let header = signing.header(&nonce());
    assert_eq!(
        harness.send(signing.request_with(&header)).await.status,
        StatusCode::OK
    );
    refused(
        &harness,
        signing.request_with(&header),
        StatusCode::UNAUTHORIZED,
        "nonce_used",
    )
    .await;
}

#[tokio::test]
async fn attack_stale_and_future_timestamps_are_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let window = harness.state.config().timestamp_window_secs as i64;
    for offset in [-window - 1, window + 1] {
        let signing = Signing {
            timestamp: harness.clock_now() + offset,
            ..Signing::new(&harness, "GET", &target)
        };
        refused(
            &harness,
            signing.request(),
            StatusCode::BAD_REQUEST,
            "timestamp_refused",
        )
        .await;
    }
    let edge = Signing {
        timestamp: harness.clock_now() - window,
        ..Signing::new(&harness, "GET", &target)
    };
    assert_eq!(
        harness.send(edge.request()).await.status,
        StatusCode::OK,
        "the window is inclusive"
    );
}

#[tokio::test]
async fn attack_signature_by_another_key_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing {
        key: stranger_key(),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;
}

#[tokio::test]
async fn attack_corrupted_or_missing_signature_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing::new(&harness, "GET", &target);
    let header = signing.header(&nonce());
    let signature_at = header.find("oauth_signature=\"").unwrap() + "oauth_signature=\"".len();
    let mut corrupted = header.clone().into_bytes();
    corrupted[signature_at + 3] = if corrupted[signature_at + 3] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let corrupted = String::from_utf8(corrupted).unwrap();
    refused(
        &harness,
        signing.request_with(&corrupted),
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;

    let header = signing.header(&nonce());
    let without: Vec<&str> = header
        .split(", ")
        .filter(|part| !part.starts_with("oauth_signature="))
        .collect();
    refused(
        &harness,
        signing.request_with(&without.join(", ")),
        StatusCode::BAD_REQUEST,
        "parameter_absent",
    )
    .await;
}

#[tokio::test]
async fn attack_unknown_consumer_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing {
        consumer: "nobody:1",
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "consumer_key_unknown",
    )
    .await;
}

#[tokio::test]
async fn attack_method_downgrade_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    // PLAINTEXT with the public key as the "secret", and HMAC keyed with the public key: both
    // would verify if the server chose the method from the request instead of the consumer.
    let public = Secret::new(consumer_key().public_key().to_base64_der());
    let secrets = SharedSecrets {
        consumer_secret: &public,
        token_secret: None,
    };
    for key in [
        SigningKey::Plaintext(secrets),
        SigningKey::HmacSha1(secrets),
    ] {
        let header = ClientRequest {
            method: "GET",
            url: &target,
            consumer_key: CONSUMER,
            token: Some(""),
            timestamp: harness.clock_now() as u64,
            nonce: &nonce(),
            ..ClientRequest::default()
        }
        .authorization_header(&key)
        .unwrap();
        let request = Request::get(MYSELF)
            .header(header::AUTHORIZATION, header)
            .body(Body::empty())
            .unwrap();
        refused(
            &harness,
            request,
            StatusCode::BAD_REQUEST,
            "signature_method_rejected",
        )
        .await;
    }
}

#[tokio::test]
async fn attack_method_downgrade_of_a_shared_secret_consumer_is_refused() {
    let harness = provider(ALL).await;
    add_generic_consumer(&harness).await;
    let as_alice = format!("{MYSELF}?xoauth_requestor_id=alice");
    let target = url(&as_alice);
    let secret = Secret::new(GENERIC_SECRET);
    let secrets = SharedSecrets {
        consumer_secret: &secret,
        token_secret: None,
    };
    let signed_with = |key: SigningKey<'_>| {
        let header = get_header(&target, GENERIC, &key, harness.clock_now());
        Request::get(&as_alice)
            .header(header::AUTHORIZATION, header)
            .body(Body::empty())
            .unwrap()
    };
    // PLAINTEXT with the right secret is a valid PLAINTEXT signature: only holding the consumer
    // to its one method refuses it.
    for key in [
        SigningKey::Plaintext(secrets),
        SigningKey::RsaSha1(consumer_key()),
    ] {
        refused(
            &harness,
            signed_with(key),
            StatusCode::BAD_REQUEST,
            "signature_method_rejected",
        )
        .await;
    }
    let hmac = signed_with(SigningKey::HmacSha1(secrets));
    assert_eq!(myself_name(&harness, hmac).await, "alice");
}

#[tokio::test]
async fn attack_tampering_after_signing_is_refused() {
    let harness = provider(ALL).await;
    let signed_url = url(&format!("{MYSELF}?xoauth_requestor_id=bob"));
    let signing = Signing::new(&harness, "GET", &signed_url);

    let query = signing.request_with(&signing.header(&nonce()));
    let (mut parts, body) = query.into_parts();
    parts.uri = format!("{MYSELF}?xoauth_requestor_id=alice")
        .parse()
        .unwrap();
    refused(
        &harness,
        Request::from_parts(parts, body),
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;

    let method = Request::post(format!("{MYSELF}?xoauth_requestor_id=bob"))
        .header(header::AUTHORIZATION, signing.header(&nonce()))
        .body(Body::empty())
        .unwrap();
    refused(
        &harness,
        method,
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;

    // Another route behind the same layer, which would list bob's tokens were the path not
    // signed.
    let path = Request::get("/rest/applinks-oauth/1.0/accesstokens?xoauth_requestor_id=bob")
        .header(header::AUTHORIZATION, signing.header(&nonce()))
        .body(Body::empty())
        .unwrap();
    refused(
        &harness,
        path,
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;

    // Signed for another host, port or scheme than this server's base URL.
    for elsewhere in [
        "http://evil.test:8080/rest/api/1.0/myself",
        "http://links.test:9090/rest/api/1.0/myself",
        "https://links.test:8080/rest/api/1.0/myself",
    ] {
        let signing = Signing::new(&harness, "GET", elsewhere);
        let request = Request::get(MYSELF)
            .header(header::AUTHORIZATION, signing.header(&nonce()))
            .body(Body::empty())
            .unwrap();
        refused(
            &harness,
            request,
            StatusCode::UNAUTHORIZED,
            "signature_invalid",
        )
        .await;
    }
}

#[tokio::test]
async fn attack_tampered_form_body_is_refused() {
    let harness = provider(ALL).await;
    let target = url("/rest/api/1.0/myself");
    let header = ClientRequest {
        method: "POST",
        url: &target,
        form: &[("xoauth_requestor_id", "bob")],
        consumer_key: CONSUMER,
        token: Some(""),
        timestamp: harness.clock_now() as u64,
        nonce: &nonce(),
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(consumer_key()))
    .unwrap();
    let request = Request::post(MYSELF)
        .header(header::AUTHORIZATION, header)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("xoauth_requestor_id=alice"))
        .unwrap();
    refused(
        &harness,
        request,
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;
}

#[tokio::test]
async fn attack_duplicated_protocol_parameters_are_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing::new(&harness, "GET", &target);
    let request = Request::get(format!("{MYSELF}?oauth_nonce=second"))
        .header(header::AUTHORIZATION, signing.header(&nonce()))
        .body(Body::empty())
        .unwrap();
    refused(
        &harness,
        request,
        StatusCode::BAD_REQUEST,
        "parameter_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_oversized_nonce_is_refused() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let signing = Signing::new(&harness, "GET", &target);
    refused(
        &harness,
        signing.request_with(&signing.header(&"n".repeat(300))),
        StatusCode::BAD_REQUEST,
        "parameter_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_impersonation_through_a_consumer_not_allowed_to_is_refused() {
    let harness = provider(Permissions {
        two_lo: true,
        execute_as: Some("bob"),
        impersonation: false,
    })
    .await;
    let target = url(&format!("{MYSELF}?xoauth_requestor_id=alice"));
    refused(
        &harness,
        Signing::new(&harness, "GET", &target).request(),
        StatusCode::UNAUTHORIZED,
        "permission_denied",
    )
    .await;
    let plain = url(MYSELF);
    assert_eq!(
        myself_name(&harness, Signing::new(&harness, "GET", &plain).request()).await,
        "bob"
    );
}

#[tokio::test]
async fn attack_consumer_b_using_consumer_a_token_is_refused() {
    let harness = provider(ALL).await;
    add_consumer(&harness, "other-link", "other:1", stranger_key(), &ALL).await;
    let (token, _, _) = dance(&harness).await;
    let target = url(MYSELF);
    let signing = Signing {
        consumer: "other:1",
        key: stranger_key(),
        token: Some(&token),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_request_token_used_as_access_token_is_refused() {
    let harness = provider(ALL).await;
    let (request_token, _) = authorised_request_token(&harness).await;
    let target = url(MYSELF);
    let signing = Signing {
        token: Some(&request_token),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        signing.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_reused_verifier_is_refused() {
    let harness = provider(ALL).await;
    let (request_token, verifier) = authorised_request_token(&harness).await;
    let verifier = Secret::new(verifier);
    let endpoint = url("/plugins/servlet/oauth/access-token");
    let exchange = Signing {
        token: Some(&request_token),
        verifier: Some(&verifier),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    assert_eq!(
        harness.send(exchange.request()).await.status,
        StatusCode::OK
    );
    refused(
        &harness,
        exchange.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_wrong_verifier_burns_the_request_token() {
    let harness = provider(ALL).await;
    let (request_token, verifier) = authorised_request_token(&harness).await;
    let endpoint = url("/plugins/servlet/oauth/access-token");
    let wrong = Secret::new("wrong");
    let guess = Signing {
        token: Some(&request_token),
        verifier: Some(&wrong),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    refused(
        &harness,
        guess.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
    let right = Secret::new(verifier);
    let exchange = Signing {
        verifier: Some(&right),
        ..guess
    };
    refused(
        &harness,
        exchange.request(),
        StatusCode::UNAUTHORIZED,
        "token_rejected",
    )
    .await;
}

#[tokio::test]
async fn attack_callback_to_a_foreign_host_is_refused() {
    let harness = provider(ALL).await;
    let endpoint = url("/plugins/servlet/oauth/request-token");
    for callback in [
        "https://evil.test/steal",
        "https://peer.example.com.evil.test/plugins/servlet/applinks/oauth/login-dance/access",
        "javascript:alert(1)",
    ] {
        let signing = Signing {
            token: None,
            callback: Some(callback),
            ..Signing::new(&harness, "POST", &endpoint)
        };
        refused(
            &harness,
            signing.request(),
            StatusCode::BAD_REQUEST,
            "parameter_rejected",
        )
        .await;
    }
    assert!(
        !request_token(&harness, "https://peer.example.com/any/page")
            .await
            .is_empty(),
        "the link's URL is allowed"
    );
}

#[tokio::test]
async fn attack_flood_of_bad_signatures_is_braked_before_verifying() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let forged = Signing {
        key: stranger_key(),
        ..Signing::new(&harness, "GET", &target)
    };
    for _ in 0..20 {
        assert_eq!(
            harness.send(forged.request()).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let braked = harness
        .send(Signing::new(&harness, "GET", &target).request())
        .await;
    assert_eq!(
        braked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even a good signature waits out the brake"
    );
    harness.clock.advance(61);
    let later = Signing::new(&harness, "GET", &target);
    assert_eq!(harness.send(later.request()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn attack_hostile_headers_get_client_errors() {
    let harness = provider(ALL).await;
    for hostile in [
        "OAuth oauth_consumer_key=\"unterminated",
        "OAuth ,,,,",
        "OAuth oauth_consumer_key=\"%zz\"",
        &format!("OAuth oauth_consumer_key=\"{}\"", "k".repeat(10_000)),
    ] {
        let request = Request::get(MYSELF)
            .header(header::AUTHORIZATION, hostile)
            .body(Body::empty())
            .unwrap();
        let answer = harness.send(request).await;
        assert!(
            answer.status.is_client_error(),
            "{hostile:.40}: {}",
            answer.status
        );
    }
}

#[tokio::test]
async fn attack_forged_request_does_not_use_up_the_nonce_it_carries() {
    let harness = provider(ALL).await;
    let target = url(MYSELF);
    let taken = nonce();
    let forged = Signing {
        key: stranger_key(),
        ..Signing::new(&harness, "GET", &target)
    };
    refused(
        &harness,
        forged.request_with(&forged.header(&taken)),
        StatusCode::UNAUTHORIZED,
        "signature_invalid",
    )
    .await;

    let genuine = Signing::new(&harness, "GET", &target);
    let request = genuine.request_with(&genuine.header(&taken));
    assert_eq!(myself_name(&harness, request).await, "bob");
}

#[tokio::test]
async fn attack_flood_of_token_requests_is_refused_before_any_signature_work() {
    let harness = provider(ALL).await;
    let endpoint = url("/plugins/servlet/oauth/request-token");
    let unsigned = || {
        Request::post("/plugins/servlet/oauth/request-token")
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..120 {
        refused(
            &harness,
            unsigned(),
            StatusCode::BAD_REQUEST,
            "parameter_absent",
        )
        .await;
    }

    let forged = Signing {
        key: stranger_key(),
        token: None,
        callback: Some(CALLBACK),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    let genuine = Signing {
        key: consumer_key(),
        ..forged
    };
    let genuine_header = genuine.header(&nonce());
    for request in [forged.request(), genuine.request_with(&genuine_header)] {
        let braked = harness.send(request).await;
        assert_eq!(
            braked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            braked.body
        );
        assert_eq!(braked.header(header::RETRY_AFTER), "60");
        assert_eq!(braked.json()["status"], 429, "{}", braked.body);
    }

    // The braked request got no further than the brake: its nonce was never recorded.
    harness.clock.advance(60);
    let later = harness.send(genuine.request_with(&genuine_header)).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.body);
    assert_eq!(later.form_value("oauth_callback_confirmed"), "true");
}

#[tokio::test]
async fn attack_expired_request_token_is_refused_at_the_access_token_endpoint() {
    let harness = provider(ALL).await;
    let (request_token, verifier) = authorised_request_token(&harness).await;
    harness
        .clock
        .advance(harness.state.config().token_lifetimes.request);
    let verifier = Secret::new(verifier);
    let endpoint = url("/plugins/servlet/oauth/access-token");
    let exchange = Signing {
        token: Some(&request_token),
        verifier: Some(&verifier),
        ..Signing::new(&harness, "POST", &endpoint)
    };
    refused(
        &harness,
        exchange.request(),
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
}
