//! The HTTP endpoints of one server, through `Router::oneshot` without sockets, on a real SQLite
//! database in a temporary directory.

use applinks_server::SecretKey;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use support::{ADMIN_PASSWORD, BASE_URL, Harness, basic};

mod support;

#[tokio::test]
async fn the_manifest_is_xml_by_default_in_the_reference_field_order() {
    let harness = Harness::new().await;
    let answer = harness.get("/rest/applinks/1.0/manifest").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        "application/xml;charset=UTF-8"
    );

    let id = harness.state.identity().server_id().to_string();
    let body = &answer.body;
    assert!(body.contains(&format!("<id>{id}</id>")), "{body}");
    assert!(
        body.contains("<name>Test &lt;Links&gt; &amp; Co</name>"),
        "{body}"
    );
    assert!(body.contains("<typeId>confluence</typeId>"), "{body}");
    assert!(body.contains(&format!("<url>{BASE_URL}</url>")), "{body}");
    let fields = [
        "<id>",
        "<name>",
        "<typeId>",
        "<version>",
        "<buildNumber>",
        "<applinksVersion>",
        "<inboundAuthenticationTypes>",
        "<outboundAuthenticationTypes>",
        "<publicSignup>",
        "<url>",
    ];
    let positions: Vec<_> = fields
        .iter()
        .map(|field| body.find(field).unwrap())
        .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{body}");

    // Every provider this build serves and sends, fully qualified, so that peers negotiate
    // from what is really there (3-legged outgoing is the consumer side of the dance).
    let provider = |direction: &str, name: &str| {
        format!(
            "<{direction}AuthenticationTypes>com.atlassian.applinks.api.auth.types.{name}\
             </{direction}AuthenticationTypes>"
        )
    };
    for name in [
        "OAuthAuthenticationProvider",
        "TwoLeggedOAuthAuthenticationProvider",
        "TwoLeggedOAuthWithImpersonationAuthenticationProvider",
    ] {
        for direction in ["inbound", "outbound"] {
            assert!(
                body.contains(&provider(direction, name)),
                "{direction} {name}: {body}"
            );
        }
    }
    assert!(
        body.contains(&provider("inbound", "BasicAuthenticationProvider")),
        "{body}"
    );
    assert!(
        !body.contains("TrustedAppsAuthenticationProvider"),
        "{body}"
    );
}

#[tokio::test]
async fn the_manifest_is_json_when_asked() {
    let harness = Harness::new().await;
    let request = Request::get("/rest/applinks/1.0/manifest")
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .unwrap();
    let answer = harness.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    let json = answer.json();
    assert_eq!(json["id"], harness.state.identity().server_id().to_string());
    assert_eq!(json["typeId"], "confluence");
    assert_eq!(json["publicSignup"], false);
    assert_eq!(json["url"], BASE_URL);
    assert!(json["inboundAuthenticationTypes"].is_array());
}

#[tokio::test]
async fn consumer_info_serves_the_public_key_as_base64_der() {
    let harness = Harness::new().await;
    let answer = harness.get("/plugins/servlet/oauth/consumer-info").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        "application/xml;charset=UTF-8"
    );

    let body = &answer.body;
    let key = body
        .split("<publicKey>")
        .nth(1)
        .unwrap()
        .split("</publicKey>")
        .next()
        .unwrap();
    assert!(!key.contains("BEGIN"), "PEM armour leaked: {key}");
    let parsed = applinks_oauth1::PublicKey::parse(key).unwrap();
    assert_eq!(&parsed, harness.state.identity().public_key());
    assert_eq!(parsed.bits(), 2048);
    let consumer_key = harness.state.identity().consumer_key();
    assert!(
        body.contains(&format!("<key>{consumer_key}</key>")),
        "{body}"
    );
    assert!(
        body.contains("<name>Test &lt;Links&gt; &amp; Co</name>"),
        "{body}"
    );
}

#[tokio::test]
async fn capabilities_is_a_json_list() {
    let answer = Harness::new()
        .await
        .get("/rest/applinks/3.0/capabilities")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.json().is_array());
}

#[tokio::test]
async fn myself_needs_credentials_and_names_the_caller() {
    let harness = Harness::new().await;
    let anonymous = harness.get("/rest/api/1.0/myself").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous.header(header::WWW_AUTHENTICATE),
        "Basic realm=\"applinks\""
    );
    let error = anonymous.json();
    assert_eq!(error["status"], 401);
    assert_eq!(
        error["requestId"],
        anonymous.header("x-request-id".parse().unwrap())
    );

    let request = |authorization: String| {
        Request::get("/rest/api/1.0/myself")
            .header(header::AUTHORIZATION, authorization)
            .body(Body::empty())
            .unwrap()
    };
    let answer = harness.send(request(basic("admin", ADMIN_PASSWORD))).await;
    assert_eq!(answer.status, StatusCode::OK);
    let me = answer.json();
    assert_eq!(me["name"], "admin");
    assert_eq!(me["displayName"], "Administrator");
    assert_eq!(me["email"], "");

    for wrong in [
        basic("admin", "wrong password"),
        basic("nobody", "x"),
        "Basic %%%".into(),
    ] {
        let answer = harness.send(request(wrong.clone())).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_name_for_a_while() {
    let harness = Harness::new().await;
    let request = |password: &str| {
        Request::get("/rest/api/1.0/myself")
            .header(header::AUTHORIZATION, basic("admin", password))
            .body(Body::empty())
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(
            harness.send(request("guess")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let locked = harness.send(request(ADMIN_PASSWORD)).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.header(header::RETRY_AFTER).parse::<u64>().unwrap() > 0);
}

#[tokio::test]
async fn signing_in_starts_a_session_that_myself_and_pages_accept() {
    let harness = Harness::new().await;
    let answer = harness.sign_in("admin", "correct%20horse%20battery").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(header::LOCATION), "/done");
    let set_cookie = answer.header(header::SET_COOKIE);
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = answer.session_cookie();

    let with_cookie = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, cookie.clone())
            .body(Body::empty())
            .unwrap()
    };
    let me = harness.send(with_cookie("/rest/api/1.0/myself")).await;
    assert_eq!(me.json()["name"], "admin");
    let home = harness.send(with_cookie("/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("signed in as <strong>admin</strong>"),
        "{}",
        home.body
    );
    assert_eq!(home.header(header::X_FRAME_OPTIONS), "DENY");
}

#[tokio::test]
async fn a_disabled_user_loses_sign_in_and_basic_at_once_and_their_session_within_a_second() {
    let harness = Harness::new().await;
    harness.add_user("alice", "alice password").await;
    let cookie = harness
        .sign_in("alice", "alice%20password")
        .await
        .session_cookie();
    let myself = |credential: (header::HeaderName, String)| {
        Request::get("/rest/api/1.0/myself")
            .header(credential.0, credential.1)
            .body(Body::empty())
            .unwrap()
    };
    let session = || (header::COOKIE, cookie.clone());
    let password = || (header::AUTHORIZATION, basic("alice", "alice password"));
    assert_eq!(harness.send(myself(session())).await.status, StatusCode::OK);
    assert_eq!(
        harness.send(myself(password())).await.status,
        StatusCode::OK
    );

    // The session stays in the store; the server's check alone keeps alice out. Basic reads
    // the user afresh; a session reads it through the one-second cache (`recent.rs`), which
    // only this node's own changes clear at once, and this change came from elsewhere.
    harness.set_disabled("alice", true).await;
    let answer = harness.send(myself(password())).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    harness.clock.advance(1);
    for credential in [session(), password()] {
        let answer = harness.send(myself(credential.clone())).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{credential:?}");
        assert_eq!(answer.json()["status"], 401);
    }
    let home = Request::get("/").header(header::COOKIE, &cookie);
    let page = harness.send(home.body(Body::empty()).unwrap()).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.header(header::LOCATION).starts_with("/login"));
    let sign_in = harness.sign_in("alice", "alice%20password").await;
    assert_eq!(sign_in.status, StatusCode::UNAUTHORIZED);
    assert!(sign_in.headers.get(header::SET_COOKIE).is_none());

    harness.set_disabled("alice", false).await;
    harness.clock.advance(1);
    assert_eq!(harness.send(myself(session())).await.status, StatusCode::OK);
    assert_eq!(
        harness.send(myself(password())).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_without_a_session() {
    let harness = Harness::new().await;
    let answer = harness.sign_in("admin", "nope").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.headers.get(header::SET_COOKIE).is_none());
    assert!(
        answer
            .body
            .contains("The user name or password is incorrect.")
    );
    assert!(
        answer.body.contains("value=\"admin\""),
        "the name is kept for a retry"
    );
}

#[tokio::test]
async fn sign_in_from_a_foreign_origin_is_refused() {
    let harness = Harness::new().await;
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "http://evil.test")
        .body(Body::from(format!(
            "username=admin&password={ADMIN_PASSWORD}"
        )))
        .unwrap();
    let answer = harness.send(request).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_back() {
    let answer = Harness::new().await.get("/?tab=x").await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header(header::LOCATION), "/login?next=%2F%3Ftab%3Dx");
}

#[tokio::test]
async fn hostile_next_parameters_land_on_the_home_page() {
    let harness = Harness::new().await;
    let page = harness.get("/login?next=//evil.test/x").await;
    assert!(
        page.body.contains("name=\"next\" value=\"/\""),
        "{}",
        page.body
    );

    let body = format!("username=admin&password={ADMIN_PASSWORD}&next=https://evil.test");
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let answer = harness.send(request).await;
    assert_eq!(answer.header(header::LOCATION), "/");
}

#[tokio::test]
async fn signing_out_needs_the_session_token_and_ends_the_session() {
    let harness = Harness::new().await;
    let cookie = harness
        .sign_in("admin", "correct%20horse%20battery")
        .await
        .session_cookie();
    let logout = |token: &str| {
        Request::post("/logout")
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf_token={token}")))
            .unwrap()
    };
    assert_eq!(
        harness.send(logout("forged")).await.status,
        StatusCode::FORBIDDEN
    );

    let page = harness
        .send(
            Request::get("/logout")
                .header(header::COOKIE, cookie.clone())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let token = page
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap();
    let token = token.split('"').next().unwrap();
    let answer = harness.send(logout(token)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert!(answer.header(header::SET_COOKIE).contains("Max-Age=0"));

    let me = harness
        .send(
            Request::get("/rest/api/1.0/myself")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_requests_get_clear_client_errors() {
    let harness = Harness::new().await;
    let missing_fields = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=admin"))
        .unwrap();
    let oversized = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=admin&password={}",
            "x".repeat(200_000)
        )))
        .unwrap();
    let wrong_type = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let cookie_garbage = Request::get("/rest/api/1.0/myself")
        .header(header::COOKIE, "applinks_session=%00%ff; x")
        .body(Body::empty())
        .unwrap();
    for (request, expected) in [
        (missing_fields, StatusCode::UNPROCESSABLE_ENTITY),
        (oversized, StatusCode::PAYLOAD_TOO_LARGE),
        (wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE),
        (cookie_garbage, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(harness.send(request).await.status, expected);
    }
    assert_eq!(
        harness.get("/no/such/page").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn request_ids_are_echoed_or_made_up() {
    let harness = Harness::new().await;
    let request = Request::get("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        harness
            .send(request)
            .await
            .header("x-request-id".parse().unwrap()),
        "abc-123"
    );
    let forged = Request::get("/healthz")
        .header("x-request-id", "a b\" injected=1")
        .body(Body::empty())
        .unwrap();
    let made_up = harness.send(forged).await;
    let id = made_up.header("x-request-id".parse().unwrap());
    assert_eq!(uuid::Uuid::parse_str(id).map(|_| ()), Ok(()), "{id}");
}

#[tokio::test]
async fn health_and_readiness_report_the_database() {
    let harness = Harness::new().await;
    assert_eq!(harness.get("/healthz").await.status, StatusCode::OK);
    let ready = harness.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["database"], "ok");

    harness.state.database().close().await;
    let down = harness.get("/readyz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json()["database"], "unavailable");
}

#[tokio::test]
async fn the_identity_survives_a_second_bootstrap() {
    let harness = Harness::new().await;
    let state = &harness.state;
    let key = SecretKey::from_base64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap();
    let again = applinks_server::bootstrap(state.database(), &key, None)
        .await
        .unwrap();
    assert_eq!(again.identity.server_id(), state.identity().server_id());
    assert_eq!(again.identity.public_key(), state.identity().public_key());
    assert_eq!(again.generated_admin_password, None, "admin exists already");

    let other_key = SecretKey::from_base64("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=").unwrap();
    let refused = applinks_server::bootstrap(state.database(), &other_key, None).await;
    assert!(
        refused.is_err(),
        "a wrong secret key must not open the private key"
    );
}

#[tokio::test]
async fn a_database_outage_is_a_503_never_a_refused_sign_in() {
    let harness = Harness::new().await;
    harness.state.database().close().await;
    let request = Request::get("/rest/api/1.0/myself")
        .header(header::AUTHORIZATION, basic("admin", ADMIN_PASSWORD))
        .body(Body::empty())
        .unwrap();
    let answer = harness.send(request).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert!(
        answer.json()["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}
