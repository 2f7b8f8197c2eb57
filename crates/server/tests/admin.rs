//! The administration pages through `Router::oneshot`, with a clock the test moves: the secure
//! administrator session, CSRF refusals, the 403 for other users, and escaping.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{ADMIN_PASSWORD, Answer, BASE_URL, Harness};

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
                .header(header::ORIGIN, BASE_URL)
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

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
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
    let consumer = json!({"key": "peer:9", "publicKey": key.public_key().to_base64_der(), "twoLOAllowed": true});
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
    let body = fields
        .iter()
        .map(|(name, value)| format!("{name}={}", encoded(value)))
        .collect::<Vec<_>>()
        .join("&");
    let created = post(
        &harness,
        "/plugins/servlet/applinks/create/link",
        &cookie,
        body,
    )
    .await;
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
