//! The administration pages through `Router::oneshot`, with a clock the test moves: the secure
//! administrator session, CSRF refusals, the 403 for other users, and escaping; the changes
//! (edit, relocate, delete here or on both sides, repair) and what each leaves behind. Where a
//! change reaches the remote application, the remote is a second server on loopback.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{ADMIN_PASSWORD, Answer, Harness, START};

const LIST: &str = "/plugins/servlet/applinks/listApplicationLinks";
const LINK_ID: &str = "5a0b4c1e-0000-4000-8000-00000000a11c";

async fn with_link() -> Harness {
    let harness = Harness::new().await;
    let put = harness
        .admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{LINK_ID}"),
            json!({"name": "<b>Jira</b>", "typeId": "jira", "displayUrl": "http://jira.test"}),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    harness
}

async fn admin_cookie(harness: &Harness) -> String {
    harness
        .sign_in("admin", &ADMIN_PASSWORD.replace(' ', "+"))
        .await
        .session_cookie()
}

async fn page(harness: &Harness, path: &str, cookie: &str) -> Answer {
    harness
        .send(
            Request::get(path)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
}

async fn post(harness: &Harness, path: &str, cookie: &str, body: String) -> Answer {
    harness
        .send(
            Request::post(path)
                .header(header::COOKIE, cookie)
                .header(header::ORIGIN, harness.base_url())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
}

fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

/// Opens the form page at `path`, checks it is shown (with `showing` in it, when given), and
/// returns its CSRF token.
async fn form_token(harness: &Harness, path: &str, cookie: &str, showing: Option<&str>) -> String {
    let form = page(harness, path, cookie).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    if let Some(showing) = showing {
        assert!(form.body.contains(showing), "{}", form.body);
    }
    csrf_token(&form.body)
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Posts the wizard's create form with `fields`, URL-encoded.
async fn create_by_form(harness: &Harness, cookie: &str, fields: &[(&str, String)]) -> Answer {
    let body = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encoded(value)))
        .collect::<Vec<_>>()
        .join("&");
    post(
        harness,
        "/plugins/servlet/applinks/create/link",
        cookie,
        body,
    )
    .await
}

#[tokio::test]
async fn a_stale_confirmation_asks_for_the_password_before_a_change() {
    let harness = with_link().await;
    let cookie = admin_cookie(&harness).await;
    let edit = format!("/plugins/servlet/applinks/edit/{LINK_ID}");

    // Signing in counts as a confirmation.
    let fresh = page(&harness, &edit, &cookie).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    let token = csrf_token(&fresh.body);

    harness.clock.advance(601);
    // Reading the list needs no confirmation; changing anything does.
    assert_eq!(page(&harness, LIST, &cookie).await.status, StatusCode::OK);
    let confirm = format!(
        "/plugins/servlet/applinks/confirm-password?next={}",
        encoded(&edit)
    );
    let stale = page(&harness, &edit, &cookie).await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert_eq!(stale.header(header::LOCATION), confirm);
    let primary = post(
        &harness,
        &format!("/plugins/servlet/applinks/primary/{LINK_ID}"),
        &cookie,
        format!("csrf_token={token}"),
    )
    .await;
    assert_eq!(primary.status, StatusCode::SEE_OTHER);
    assert!(
        primary
            .header(header::LOCATION)
            .starts_with("/plugins/servlet/applinks/confirm-password?next="),
        "{}",
        primary.header(header::LOCATION)
    );

    let form = page(&harness, &confirm, &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    let wrong = post(
        &harness,
        "/plugins/servlet/applinks/confirm-password",
        &cookie,
        format!("csrf_token={token}&password=wrong&next={}", encoded(&edit)),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        page(&harness, &edit, &cookie).await.status,
        StatusCode::SEE_OTHER
    );

    let right = post(
        &harness,
        "/plugins/servlet/applinks/confirm-password",
        &cookie,
        format!(
            "csrf_token={token}&password={}&next={}",
            encoded(ADMIN_PASSWORD),
            encoded(&edit)
        ),
    )
    .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(right.header(header::LOCATION), edit);
    assert_eq!(page(&harness, &edit, &cookie).await.status, StatusCode::OK);

    // The confirmation lasts ten minutes, then lapses again.
    harness.clock.advance(600);
    assert_eq!(page(&harness, &edit, &cookie).await.status, StatusCode::OK);
    harness.clock.advance(1);
    assert_eq!(
        page(&harness, &edit, &cookie).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn edits_need_the_session_token_and_our_origin() {
    let harness = with_link().await;
    let cookie = admin_cookie(&harness).await;
    let edit = format!("/plugins/servlet/applinks/edit/{LINK_ID}");
    let token = csrf_token(&page(&harness, &edit, &cookie).await.body);
    let fields = "name=Renamed&display_url=http%3A%2F%2Fjira2.test&rpc_url=&outgoing=impersonation";

    let forged = post(&harness, &edit, &cookie, fields.to_owned()).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let foreign = harness
        .send(
            Request::post(&edit)
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, "http://evil.test")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf_token={token}&{fields}")))
                .unwrap(),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);

    let saved = post(
        &harness,
        &edit,
        &cookie,
        format!("csrf_token={token}&{fields}"),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let link = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks/3.0/status/{LINK_ID}/oauth"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(link["outgoing"]["twoLoImpersonationEnabled"], true);
    let list = page(&harness, LIST, &cookie).await;
    assert!(list.body.contains("Renamed") && list.body.contains("OAuth (impersonation)"));
}

#[tokio::test]
async fn pages_escape_names_and_refuse_users_who_are_not_administrators() {
    let harness = with_link().await;
    let cookie = admin_cookie(&harness).await;
    let list = page(&harness, LIST, &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.header(header::X_FRAME_OPTIONS), "DENY");
    assert!(
        list.body.contains("&#60;b&#62;Jira&#60;/b&#62;"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("<b>Jira"));

    harness.add_user("bob", "bob's password").await;
    let bob = harness
        .sign_in("bob", "bob%27s+password")
        .await
        .session_cookie();
    for path in [
        LIST.to_owned(),
        format!("/plugins/servlet/applinks/edit/{LINK_ID}"),
        "/plugins/servlet/applinks/confirm-password".to_owned(),
    ] {
        let refused = page(&harness, &path, &bob).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{path}");
    }
    let stranger = harness.get(LIST).await;
    assert_eq!(stranger.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_edit_page_sets_the_incoming_level_and_disabled_removes_the_consumer() {
    let harness = with_link().await;
    let key = applinks_oauth1::PrivateKey::generate().unwrap();
    let public_key = key.public_key().to_base64_der();
    let consumer = json!({"key": "peer:9", "publicKey": public_key, "twoLOAllowed": true});
    let path =
        format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer");
    assert_eq!(
        harness.admin_json("PUT", &path, consumer).await.status,
        StatusCode::NO_CONTENT
    );

    let cookie = admin_cookie(&harness).await;
    let edit = format!("/plugins/servlet/applinks/edit/{LINK_ID}");
    let form = page(&harness, &edit, &cookie).await;
    assert!(
        form.body
            .contains("name=\"incoming\" value=\"oauth\" checked"),
        "{}",
        form.body
    );
    let token = csrf_token(&form.body);
    let fields = "name=Jira&display_url=http%3A%2F%2Fjira.test&rpc_url=&outgoing=oauth";

    let impersonation = post(
        &harness,
        &edit,
        &cookie,
        format!("csrf_token={token}&{fields}&incoming=impersonation"),
    )
    .await;
    assert_eq!(
        impersonation.status,
        StatusCode::SEE_OTHER,
        "{}",
        impersonation.body
    );
    let status = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks/3.0/status/{LINK_ID}/oauth"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(status["incoming"]["twoLoImpersonationEnabled"], true);

    let disabled = post(
        &harness,
        &edit,
        &cookie,
        format!("csrf_token={token}&{fields}&incoming=disabled"),
    )
    .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    assert_eq!(
        harness.admin_json("GET", &path, json!(null)).await.status,
        StatusCode::NOT_FOUND
    );
    let log = harness
        .admin_json("GET", "/rest/applinks/1.0/auditlog", json!(null))
        .await
        .json();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|event| event["action"] == "consumer.levels")
    );
}

/// A web application that does not speak application links: 404 to everything.
async fn plain_web_application() -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0; 4096];
            let _ = stream.read(&mut buffer).await;
            let answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn the_wizard_takes_a_generic_applications_oauth_details() {
    let harness = Harness::new().await;
    let remote = plain_web_application().await;
    let cookie = admin_cookie(&harness).await;
    let list = page(&harness, LIST, &cookie).await;
    let token = csrf_token(&list.body);
    let options = post(
        &harness,
        "/plugins/servlet/applinks/create",
        &cookie,
        format!("csrf_token={token}&url={}", encoded(&remote)),
    )
    .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    assert!(
        options.body.contains("No Application Links were found"),
        "{}",
        options.body
    );

    let key = applinks_oauth1::PrivateKey::generate().unwrap();
    let fields = [
        ("csrf_token", token.clone()),
        ("url", remote.clone()),
        ("name", "Reports".into()),
        ("type_id", "generic".into()),
        ("consumer_key", "reports-app".into()),
        ("public_key", key.public_key().to_pem()),
        ("outbound_consumer_key", "applinks-here".into()),
        ("request_token_url", format!("{remote}/oauth/request-token")),
        ("access_token_url", format!("{remote}/oauth/access-token")),
        ("authorize_url", format!("{remote}/oauth/authorize")),
    ];
    let created = create_by_form(&harness, &cookie, &fields).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(
        created.body.contains("incoming consumer is set")
            && created.body.contains("Outgoing 3-legged OAuth is set"),
        "{}",
        created.body
    );

    let links = harness
        .admin_json("GET", "/rest/applinks/1.0/applicationlink", json!(null))
        .await
        .json();
    let id = links["applicationLinks"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let consumer = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer"),
            json!(null),
        )
        .await;
    assert_eq!(consumer.json()["key"], "reports-app", "{}", consumer.body);
    let providers = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks/2.0/applicationlink/{id}/authentication/provider"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(
        providers[0]["config"]["serviceProvider.authorizeUrl"],
        format!("{remote}/oauth/authorize")
    );
}

/// Gives link `id` of `harness` an incoming consumer with `key`.
async fn with_consumer(harness: &Harness, id: &str, key: &str) {
    let public_key = applinks_oauth1::PrivateKey::generate()
        .unwrap()
        .public_key();
    let consumer = json!({"key": key, "publicKey": public_key.to_base64_der()});
    let path = format!("/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer");
    let put = harness.admin_json("PUT", &path, consumer).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.body);
}

/// Stores an access token issued to consumer `key`, as the token endpoint does; returns its
/// digest.
async fn issue_token(harness: &Harness, key: &str) -> String {
    use applinks_core::consumer::{ConsumerKey, Sealed};
    use applinks_core::store::TokenStore as _;
    use applinks_core::token::{IssuedToken, TokenKind};
    let token = IssuedToken {
        digest: "ab".repeat(32),
        kind: TokenKind::Access,
        consumer_key: ConsumerKey::parse(key).unwrap(),
        secret: Sealed("sealed".into()),
        username: Some(applinks_core::user::Username::parse("admin").unwrap()),
        callback: None,
        verifier_digest: None,
        created_at: START,
        expires_at: START + 3600,
        session_handle_digest: None,
        session_expires_at: None,
    };
    harness.state.database().insert_token(&token).await.unwrap();
    token.digest
}

async fn consumer_exists(harness: &Harness, key: &str) -> bool {
    use applinks_core::consumer::ConsumerKey;
    use applinks_core::store::ConsumerStore as _;
    let key = ConsumerKey::parse(key).unwrap();
    harness
        .state
        .database()
        .consumer(&key)
        .await
        .unwrap()
        .is_some()
}

async fn token_exists(harness: &Harness, digest: &str) -> bool {
    use applinks_core::store::TokenStore as _;
    harness
        .state
        .database()
        .token(digest)
        .await
        .unwrap()
        .is_some()
}

async fn stored_link(harness: &Harness, id: &str) -> Option<applinks_core::link::ApplicationLink> {
    use applinks_core::store::LinkStore as _;
    let id = applinks_core::link::ApplicationId::parse(id).unwrap();
    harness.state.database().link(&id).await.unwrap()
}

/// The id a harness's server links under.
fn server_id(harness: &Harness) -> String {
    harness.state.identity().server_id().to_string()
}

/// Creates a link on `harness` with the given id, name and URL.
async fn link_to(harness: &Harness, id: &str, name: &str, url: &str) {
    let put = harness
        .admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{id}"),
            json!({"name": name, "typeId": "confluence", "displayUrl": url}),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
}

/// A loopback address where nothing listens.
async fn closed_address() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn the_relocate_page_moves_both_urls_and_keeps_the_consumer() {
    let harness = with_link().await;
    with_consumer(&harness, LINK_ID, "jira:1").await;
    let cookie = admin_cookie(&harness).await;
    let relocate = format!("/plugins/servlet/applinks/relocate/{LINK_ID}");
    let showing = "name=\"url\" value=\"http://jira.test\"";
    let token = form_token(&harness, &relocate, &cookie, Some(showing)).await;

    let without_scheme = post(
        &harness,
        &relocate,
        &cookie,
        format!("csrf_token={token}&url=jira.moved.test"),
    )
    .await;
    assert_eq!(without_scheme.status, StatusCode::BAD_REQUEST);
    assert!(
        without_scheme.body.contains("https://"),
        "{}",
        without_scheme.body
    );
    assert_eq!(
        stored_link(&harness, LINK_ID).await.unwrap().rpc_url,
        "http://jira.test"
    );

    let moved = post(
        &harness,
        &relocate,
        &cookie,
        format!(
            "csrf_token={token}&url={}",
            encoded("https://jira.moved.test/")
        ),
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);
    assert_eq!(
        moved.header(header::LOCATION),
        format!("{LIST}?done=relocated")
    );
    let link = harness
        .admin_json(
            "GET",
            &format!("/rest/applinks/1.0/applicationlink/{LINK_ID}"),
            json!(null),
        )
        .await
        .json();
    assert_eq!(link["displayUrl"], "https://jira.moved.test");
    assert_eq!(link["rpcUrl"], "https://jira.moved.test");
    assert_eq!(link["name"], "<b>Jira</b>", "a relocation keeps the rest");
    assert!(consumer_exists(&harness, "jira:1").await);
}

#[tokio::test]
async fn a_change_on_an_admin_page_is_in_the_audit_log_with_who_what_before_and_after() {
    let harness = with_link().await;
    harness.clock.advance(42);
    let cookie = admin_cookie(&harness).await;
    let relocate = format!("/plugins/servlet/applinks/relocate/{LINK_ID}");
    let token = csrf_token(&page(&harness, &relocate, &cookie).await.body);
    let moved = post(
        &harness,
        &relocate,
        &cookie,
        format!(
            "csrf_token={token}&url={}",
            encoded("https://jira.moved.test")
        ),
    )
    .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);

    let log = harness
        .admin_json("GET", "/rest/applinks/1.0/auditlog", json!(null))
        .await
        .json();
    let latest = &log[0];
    assert_eq!(latest["action"], "link.relocate", "{log}");
    assert_eq!(latest["actor"], "admin");
    assert_eq!(latest["target"], LINK_ID);
    assert_eq!(latest["at"], START + 42);
    assert_eq!(latest["before"]["displayUrl"], "http://jira.test");
    assert_eq!(latest["before"]["rpcUrl"], "http://jira.test");
    assert_eq!(latest["after"]["displayUrl"], "https://jira.moved.test");
    assert_eq!(latest["after"]["rpcUrl"], "https://jira.moved.test");
    assert_eq!(latest["after"]["name"], "<b>Jira</b>");
}

#[tokio::test]
async fn the_delete_page_removes_the_link_its_consumer_and_its_tokens() {
    let harness = with_link().await;
    with_consumer(&harness, LINK_ID, "jira:1").await;
    let digest = issue_token(&harness, "jira:1").await;
    assert!(token_exists(&harness, &digest).await);
    let cookie = admin_cookie(&harness).await;
    let delete = format!("/plugins/servlet/applinks/delete/{LINK_ID}");
    let token = form_token(&harness, &delete, &cookie, None).await;

    let deleted = post(&harness, &delete, &cookie, format!("csrf_token={token}")).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(
        deleted.header(header::LOCATION),
        format!("{LIST}?done=deleted")
    );
    assert!(stored_link(&harness, LINK_ID).await.is_none());
    assert!(!consumer_exists(&harness, "jira:1").await);
    assert!(!token_exists(&harness, &digest).await);
    let gone = page(&harness, &delete, &cookie).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_on_both_sides_removes_the_remotes_link_to_us_too() {
    let harness = Harness::new().await;
    let remote = Harness::served().await;
    let (our_id, remote_id) = (server_id(&harness), server_id(&remote));
    link_to(&remote, &our_id, "Us", harness.base_url()).await;
    link_to(&harness, &remote_id, "Remote", remote.base_url()).await;
    let cookie = admin_cookie(&harness).await;
    let delete = format!("/plugins/servlet/applinks/delete/{remote_id}");
    let token = csrf_token(&page(&harness, &delete, &cookie).await.body);

    let body = format!(
        "csrf_token={token}&reciprocate=on&remote_username=admin&remote_password={}",
        encoded(ADMIN_PASSWORD)
    );
    let deleted = post(&harness, &delete, &cookie, body).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert_eq!(
        deleted.header(header::LOCATION),
        format!("{LIST}?done=deleted-both")
    );
    assert!(stored_link(&harness, &remote_id).await.is_none());
    assert!(
        stored_link(&remote, &our_id).await.is_none(),
        "the remote's link to us went too"
    );
}

#[tokio::test]
async fn deleting_on_both_sides_against_an_unreachable_remote_deletes_nothing() {
    let harness = Harness::new().await;
    let remote_id = "c0ffee00-0000-4000-8000-00000000dead";
    link_to(&harness, remote_id, "Gone", &closed_address().await).await;
    with_consumer(&harness, remote_id, "confluence:1").await;
    let digest = issue_token(&harness, "confluence:1").await;
    let cookie = admin_cookie(&harness).await;
    let delete = format!("/plugins/servlet/applinks/delete/{remote_id}");
    let token = csrf_token(&page(&harness, &delete, &cookie).await.body);

    for credentials in ["", "&remote_username=admin&remote_password=secret"] {
        let body = format!("csrf_token={token}&reciprocate=on{credentials}");
        let refused = post(&harness, &delete, &cookie, body).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{credentials:?}: {}",
            refused.body
        );
        assert!(
            refused.body.contains("Delete the link to Gone?")
                && refused.body.contains("role=\"alert\""),
            "the form again, with what went wrong: {}",
            refused.body
        );
        assert!(stored_link(&harness, remote_id).await.is_some());
        assert!(consumer_exists(&harness, "confluence:1").await);
        assert!(token_exists(&harness, &digest).await);
    }
}

#[tokio::test]
async fn the_repair_page_completes_a_half_made_link_on_both_sides() {
    use applinks_core::link::OAuthLevels;
    use applinks_core::store::{ConsumerStore as _, LinkStore as _};
    let harness = Harness::served().await;
    let remote = Harness::served().await;
    let (our_id, remote_id) = (server_id(&harness), server_id(&remote));
    link_to(&harness, &remote_id, "Remote", remote.base_url()).await;
    // What a 2-way creation leaves when the remote went away after our link was stored.
    let mut half_made = stored_link(&harness, &remote_id).await.unwrap();
    half_made.outgoing = OAuthLevels::OAUTH;
    half_made.pending = Some("the remote application could not be reached".into());
    harness.state.database().put_link(&half_made).await.unwrap();

    let cookie = admin_cookie(&harness).await;
    let repair = format!("/plugins/servlet/applinks/repair/{remote_id}");
    let showing = "half-made: the remote application could not be reached";
    let token = form_token(&harness, &repair, &cookie, Some(showing)).await;
    let body = format!(
        "csrf_token={token}&remote_username=admin&remote_password={}",
        encoded(ADMIN_PASSWORD)
    );
    let repaired = post(&harness, &repair, &cookie, body).await;
    assert_eq!(repaired.status, StatusCode::SEE_OTHER, "{}", repaired.body);
    assert_eq!(
        repaired.header(header::LOCATION),
        format!("{LIST}?done=repaired")
    );

    let ours = stored_link(&harness, &remote_id).await.unwrap();
    assert_eq!(ours.pending, None);
    let our_consumer = harness
        .state
        .database()
        .link_consumer(&ours.id)
        .await
        .unwrap()
        .expect("our consumer of the remote, from its consumer-info");
    assert_eq!(
        our_consumer.key.as_str(),
        remote.state.identity().consumer_key()
    );
    let theirs = stored_link(&remote, &our_id)
        .await
        .expect("the remote's link to us");
    assert_eq!(theirs.rpc_url, harness.base_url());
    assert_eq!(theirs.outgoing, OAuthLevels::OAUTH);
    let their_consumer = remote
        .state
        .database()
        .link_consumer(&theirs.id)
        .await
        .unwrap()
        .expect("the remote's consumer of us");
    assert_eq!(
        their_consumer.key.as_str(),
        harness.state.identity().consumer_key()
    );
}

/// The text of the element with `id` in `page`.
fn element_text<'a>(page: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\">");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        + marker.len();
    let end = start + page[start..].find('<').unwrap();
    &page[start..end]
}

#[tokio::test]
async fn the_wizards_result_shows_the_levels_a_generic_link_has_after_its_oauth_details() {
    let harness = Harness::new().await;
    let remote = plain_web_application().await;
    let cookie = admin_cookie(&harness).await;
    let token = csrf_token(&page(&harness, LIST, &cookie).await.body);
    // Nothing is negotiated with a generic application, but its outgoing OAuth details turn
    // the outgoing level on; without a consumer, the incoming level stays off.
    let fields = [
        ("csrf_token", token),
        ("url", remote.clone()),
        ("name", "Reports".to_owned()),
        ("type_id", "generic".to_owned()),
        ("outbound_consumer_key", "applinks-here".to_owned()),
        ("request_token_url", format!("{remote}/oauth/request-token")),
        ("access_token_url", format!("{remote}/oauth/access-token")),
        ("authorize_url", format!("{remote}/oauth/authorize")),
    ];
    let created = create_by_form(&harness, &cookie, &fields).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(
        element_text(&created.body, "created-authentication"),
        "OAuth",
        "{}",
        created.body
    );
    assert_eq!(
        element_text(&created.body, "created-incoming"),
        "Disabled",
        "{}",
        created.body
    );
    use applinks_core::store::LinkStore as _;
    let links = harness.state.database().links().await.unwrap();
    assert_eq!(
        links[0].outgoing.label(),
        "OAuth",
        "the page says what is stored"
    );
}

#[tokio::test]
async fn a_long_list_of_links_comes_in_pages_of_fifty() {
    use applinks_core::link::{ApplicationId, LinkDraft, LinkStatus};
    use applinks_core::store::{LinkStore as _, StatusStore as _};
    let harness = Harness::new().await;
    let cookie = admin_cookie(&harness).await;
    let none = page(&harness, &format!("{LIST}?page={}", u64::MAX), &cookie).await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(none.body.contains("No application links yet"));
    for index in 0..120 {
        let id = ApplicationId::parse(&format!("5a0b4c1e-0000-4000-8000-{index:012}")).unwrap();
        let link = LinkDraft {
            name: format!("Wiki {index:03}"),
            type_id: "confluence".into(),
            display_url: format!("https://wiki{index}.example.com"),
            ..LinkDraft::default()
        }
        .into_link(id.clone())
        .unwrap();
        harness.state.database().put_link(&link).await.unwrap();
        if index == 110 {
            let broken = LinkStatus {
                checked_at: START,
                working: false,
                error_category: Some("NETWORK".into()),
                error_type: Some("CONNECTION_REFUSED".into()),
                details: None,
            };
            harness
                .state
                .database()
                .put_status(&id, &broken)
                .await
                .unwrap();
        }
    }
    let rows = |body: &str| body.matches("<tr id=\"link-").count();

    let first = page(&harness, LIST, &cookie).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first.body), 50);
    assert!(first.body.contains("Wiki 000") && first.body.contains("Wiki 049"));
    assert!(!first.body.contains("Wiki 050"));
    assert!(first.body.contains("Links 1–50 of 120"), "{}", first.body);
    assert!(first.body.contains(&format!("href=\"{LIST}?page=2\"")));
    assert!(!first.body.contains("rel=\"prev\""));

    let last = page(&harness, &format!("{LIST}?page=3"), &cookie).await;
    assert_eq!(rows(&last.body), 20);
    assert!(last.body.contains("Links 101–120 of 120"));
    assert!(
        last.body.contains("connection refused"),
        "the status shows on its page"
    );
    assert!(last.body.contains(&format!("href=\"{LIST}?page=2\"")));
    assert!(!last.body.contains("rel=\"next\""));

    // A page past the end shows the last one; a page that is not a number, the first.
    let past = page(&harness, &format!("{LIST}?page=99"), &cookie).await;
    assert!(past.body.contains("Links 101–120 of 120"));
    let huge = page(&harness, &format!("{LIST}?page={}", u64::MAX), &cookie).await;
    assert!(huge.body.contains("Links 101–120 of 120"));
    for odd in ["0", "-1", "abc", "99999999999999999999999"] {
        let answer = page(&harness, &format!("{LIST}?page={odd}"), &cookie).await;
        assert_eq!(answer.status, StatusCode::OK, "{odd}");
        assert!(answer.body.contains("Links 1–50 of 120"), "{odd}");
    }
}
