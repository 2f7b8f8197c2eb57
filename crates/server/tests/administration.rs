//! Administration through REST, in process: only administrators read or change links, cookie
//! callers need the XSRF header, every change lands in the audit log, and the wizard's probe
//! never reaches an address the deny-list refuses.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use support::{Harness, basic};

mod support;

fn as_alice(method: &str, path: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, basic("alice", "alice password"))
        .header("X-Atlassian-Token", "no-check")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn only_administrators_list_or_change_links() {
    let harness = Harness::new().await;
    harness.add_user("alice", "alice password").await;
    let link = json!({"name": "Wiki", "displayUrl": "https://wiki.example.com"});
    for (method, path, body) in [
        ("GET", "/rest/applinks/1.0/applicationlink", json!(null)),
        (
            "PUT",
            "/rest/applinks/1.0/applicationlink/wiki-1",
            link.clone(),
        ),
        (
            "DELETE",
            "/rest/applinks/1.0/applicationlink/wiki-1",
            json!(null),
        ),
        (
            "POST",
            "/rest/applinks/1.0/applicationlink/primary/wiki-1",
            json!(null),
        ),
        ("GET", "/rest/applinks/3.0/applinks", json!(null)),
        ("GET", "/rest/applinks/1.0/authenticationinfo", json!(null)),
        (
            "GET",
            "/rest/applinks/1.0/applicationlinkForm/manifest?url=https://x.example.com",
            json!(null),
        ),
        (
            "POST",
            "/rest/applinks/1.0/applicationlinkForm/createAppLink",
            json!({"applicationLink": {"displayUrl": "https://x.example.com"}}),
        ),
        ("GET", "/rest/applinks/1.0/auditlog", json!(null)),
    ] {
        let answer = harness.send(as_alice(method, path, body)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            answer.body
        );
    }
    assert_eq!(
        harness
            .admin_json("PUT", "/rest/applinks/1.0/applicationlink/wiki-1", link)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        harness
            .admin_json("GET", "/rest/applinks/1.0/authenticationinfo", json!(null))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_signed_in_administrator_needs_the_xsrf_header_or_token_to_change_links() {
    let harness = Harness::new().await;
    let cookie = harness
        .sign_in("admin", "correct%20horse%20battery")
        .await
        .session_cookie();
    let put = |extra: Option<(&str, String)>| {
        let mut request = Request::put("/rest/applinks/1.0/applicationlink/wiki-1")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        request
            .body(Body::from(
                json!({"name": "Wiki", "displayUrl": "https://wiki.example.com"}).to_string(),
            ))
            .unwrap()
    };
    let forged = harness.send(put(None)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let wrong_token = harness
        .send(put(Some(("X-CSRF-Token", "forged".into()))))
        .await;
    assert_eq!(wrong_token.status, StatusCode::FORBIDDEN);
    assert_eq!(
        harness
            .send(put(Some(("X-Atlassian-Token", "no-check".into()))))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn every_change_is_in_the_audit_log_with_before_and_after() {
    let harness = Harness::new().await;
    let path = "/rest/applinks/1.0/applicationlink/wiki-1";
    harness
        .admin_json(
            "PUT",
            path,
            json!({"name": "Wiki", "displayUrl": "https://wiki.example.com"}),
        )
        .await;
    harness
        .admin_json(
            "PUT",
            path,
            json!({"name": "Team wiki", "displayUrl": "https://wiki.example.com"}),
        )
        .await;
    harness.admin_json("DELETE", path, json!(null)).await;

    let log = harness
        .admin_json("GET", "/rest/applinks/1.0/auditlog", json!(null))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let events = log.json();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["link.delete", "link.update", "link.create"]);
    assert_eq!(events[1]["actor"], "admin");
    assert_eq!(events[1]["before"]["name"], "Wiki");
    assert_eq!(events[1]["after"]["name"], "Team wiki");
    assert_eq!(events[0]["target"], "wiki-1");

    let cookie = harness
        .sign_in("admin", "correct%20horse%20battery")
        .await
        .session_cookie();
    let page = harness
        .send(
            Request::get("/plugins/servlet/applinks/auditLog")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("link.update") && page.body.contains("Team wiki"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_wizard_probe_refuses_denied_addresses() {
    let harness = Harness::new().await;
    for target in [
        "http://169.254.169.254/",
        "http://10.0.0.1/",
        "http://[::ffff:10.0.0.1]/",
        "http://2130706433.example.invalid/",
    ] {
        let path = format!(
            "/rest/applinks/1.0/applicationlinkForm/manifest?url={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        let answer = harness.admin_json("GET", &path, json!(null)).await;
        assert!(
            answer.status == StatusCode::BAD_GATEWAY,
            "{target}: {} {}",
            answer.status,
            answer.body
        );
    }
    let no_scheme = harness
        .admin_json(
            "GET",
            "/rest/applinks/1.0/applicationlinkForm/manifest?url=jira.example.com",
            json!(null),
        )
        .await;
    assert_eq!(no_scheme.status, StatusCode::BAD_REQUEST);
    assert!(no_scheme.body.contains("https://"), "{}", no_scheme.body);
}

#[tokio::test]
async fn remote_markup_is_kept_as_data_and_never_as_a_link_scheme() {
    let harness = Harness::new().await;
    let hostile = harness
        .admin_json(
            "PUT",
            "/rest/applinks/1.0/applicationlink/x-1",
            json!({"name": "<script>alert(1)</script>", "displayUrl": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(
        hostile.status,
        StatusCode::BAD_REQUEST,
        "a javascript: URL is never a link URL"
    );
    let named = harness
        .admin_json(
            "PUT",
            "/rest/applinks/1.0/applicationlink/x-1",
            json!({"name": "<script>alert(1)</script>", "displayUrl": "https://x.example.com"}),
        )
        .await;
    assert_eq!(named.status, StatusCode::CREATED);
    assert_eq!(
        named.json()["name"],
        "<script>alert(1)</script>",
        "JSON carries it verbatim"
    );
    let cookie = harness
        .sign_in("admin", "correct%20horse%20battery")
        .await
        .session_cookie();
    let page = harness
        .send(
            Request::get("/plugins/servlet/applinks/auditLog")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        !page.body.contains("<script>alert(1)</script>"),
        "pages escape it"
    );
}

#[tokio::test]
async fn a_generic_application_gets_its_outgoing_authentication_by_hand() {
    let harness = Harness::new().await;
    let link = "/rest/applinks/1.0/applicationlink/reports-1";
    harness
        .admin_json(
            "PUT",
            link,
            json!({"name": "Reports", "displayUrl": "https://reports.example.com"}),
        )
        .await;
    let path = "/rest/applinks/2.0/applicationlink/reports-1/authentication/provider";
    let oauth = json!({
        "provider": "com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider",
        "config": {
            "consumerKey.outbound": "applinks-reports",
            "serviceProvider.requestTokenUrl": "https://reports.example.com/oauth/request-token",
            "serviceProvider.accessTokenUrl": "https://reports.example.com/oauth/access-token",
            "serviceProvider.authorizeUrl": "https://reports.example.com/oauth/authorize",
        },
    });
    assert_eq!(
        harness.admin_json("PUT", path, oauth).await.status,
        StatusCode::NO_CONTENT
    );
    let basic = json!({
        "provider": "BasicAuthenticationProvider",
        "config": {"username": "svc", "password": "s3cret-service"},
    });
    assert_eq!(
        harness.admin_json("PUT", path, basic).await.status,
        StatusCode::NO_CONTENT
    );

    let listed = harness.admin_json("GET", path, json!(null)).await;
    assert!(
        !listed.body.contains("s3cret-service"),
        "the password never comes back: {}",
        listed.body
    );
    let providers = listed.json();
    assert_eq!(providers.as_array().unwrap().len(), 2, "{}", listed.body);
    assert_eq!(
        providers[1]["config"]["serviceProvider.authorizeUrl"],
        "https://reports.example.com/oauth/authorize"
    );

    let bad = json!({
        "provider": "OAuthAuthenticationProvider",
        "config": {"serviceProvider.requestTokenUrl": "ftp://x", "surprise": "1"},
    });
    let refused = harness.admin_json("PUT", path, bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let errors = refused.json()["errors"].to_string();
    assert!(
        errors.contains("requestTokenUrl")
            && errors.contains("authorizeUrl")
            && errors.contains("surprise"),
        "{errors}"
    );
    let trusted = harness
        .admin_json(
            "PUT",
            path,
            json!({"provider": "TrustedAppsAuthenticationProvider"}),
        )
        .await;
    assert_eq!(trusted.status, StatusCode::BAD_REQUEST);

    let removed = harness
        .admin_json(
            "DELETE",
            &format!("{path}?provider=BasicAuthenticationProvider"),
            json!(null),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        harness
            .admin_json("GET", path, json!(null))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
