//! The 3-legged OAuth login dance between two real `applinks serve` processes, driven the way a
//! browser drives it: a cookie jar per server, redirects followed by hand, the approval form
//! posted with its CSRF token. A user without a token is asked to authorise, allows access once,
//! and is asked again after revoking it on either side. An expired token is renewed with its
//! session handle without the user; one that cannot be renewed asks the user again.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use support::browser::{Browser, form, hidden};
use support::{
    ADMIN_PASSWORD, Answer, Server, add_user, basic, create_link, data_dir, password_of, request,
};

/// A server whose outgoing client may reach loopback, where its peer lives in these tests.
fn peer(name: &str) -> (Server, std::path::PathBuf) {
    peer_with(name, &[])
}

/// [`peer`] with `extra` flags.
fn peer_with(name: &str, extra: &[&str]) -> (Server, std::path::PathBuf) {
    let dir = data_dir(name);
    let mut flags = vec!["--outbound-allow", "127.0.0.0/8", "--name", name];
    flags.extend_from_slice(extra);
    let server = Server::start_with(&dir, &flags, &[("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)]);
    (server, dir)
}

fn server_id(server: &Server) -> String {
    let manifest = server
        .get(
            "/rest/applinks/1.0/manifest",
            &[("Accept", "application/json")],
        )
        .unwrap();
    manifest.json()["id"].as_str().unwrap().to_owned()
}

/// A 2-way link from `a` to `b` with plain OAuth (3-legged and 2-legged, no impersonation).
fn link_with_plain_oauth(a: &Server, b: &Server) {
    let created = create_link(a, b, true, false, ADMIN_PASSWORD);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["authenticationLevel"], "OAuth");
}

/// Asserts the proxy's "authorise first" answer and returns its authorisation URI.
fn authorisation_required(answer: &Answer, remote: &Server, via: &Server) -> String {
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(
        answer.header("www-authenticate"),
        format!("OAuth realm=\"{}\"", remote.base_url())
    );
    let uri = answer.json()["authorisationUri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        uri.starts_with(&format!(
            "{}/plugins/servlet/applinks/oauth/login-dance/authorize?applicationLinkID=",
            via.base_url()
        )),
        "{uri}"
    );
    uri
}

/// The grants `alice` gave on `server` (the access tokens it issued), through REST.
fn grants(server: &Server) -> Value {
    let authorization = basic("alice", &password_of("alice"));
    let answer = request(
        server.port,
        "GET",
        "/rest/applinks-oauth/1.0/accesstokens",
        &[("Authorization", &authorization)],
        "",
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

/// `alice`'s authorised links on `server`, through REST with Basic credentials.
fn authorised_links(server: &Server) -> Value {
    let authorization = basic("alice", &password_of("alice"));
    let answer = request(
        server.port,
        "GET",
        "/rest/applinks/1.0/authorised-links",
        &[("Authorization", &authorization)],
        "",
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[test]
fn the_login_dance_grants_access_until_the_token_is_revoked_on_either_side() {
    let (a, a_dir) = peer("dance-a");
    let (b, b_dir) = peer("dance-b");
    for dir in [&a_dir, &b_dir] {
        add_user(dir, "alice");
    }
    link_with_plain_oauth(&a, &b);
    let b_id = server_id(&b);
    let mut browser = Browser::default();
    browser.sign_in(&a, "alice");
    browser.sign_in(&b, "alice");

    // No token yet: the proxy asks alice to authorise.
    let uri = authorisation_required(&browser.myself_through(&a, &b_id), &b, &a);
    let (done, at) = browser.authorise(&uri, "allow");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        at.starts_with(&format!(
            "{}/plugins/servlet/applinks/oauth/login-dance/access?",
            a.base_url()
        )),
        "{at}"
    );
    assert!(done.body.contains("Access granted"), "{}", done.body);
    let there = browser.myself_through(&a, &b_id);
    assert_eq!(there.status, 200, "{}", there.body);
    assert_eq!(there.json()["name"], "alice");
    assert_eq!(authorised_links(&a)[0]["id"], b_id);

    // The callback works once.
    let (replayed, _) = browser.follow("GET", &at, "");
    assert_eq!(replayed.status, 400, "{}", replayed.body);

    // Alice revokes the grant on B: A's next request drops its token and asks again.
    let alice = basic("alice", &password_of("alice"));
    let grants = request(
        b.port,
        "GET",
        "/rest/applinks-oauth/1.0/accesstokens",
        &[("Authorization", &alice)],
        "",
    )
    .unwrap();
    let grant = grants.json()[0]["id"].as_str().unwrap().to_owned();
    let revoked = request(
        b.port,
        "DELETE",
        &format!("/rest/applinks-oauth/1.0/accesstokens/{grant}"),
        &[("Authorization", &alice), ("X-Atlassian-Token", "no-check")],
        "",
    )
    .unwrap();
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let uri = authorisation_required(&browser.myself_through(&a, &b_id), &b, &a);
    assert_eq!(
        authorised_links(&a),
        json!([]),
        "the refused token is dropped"
    );

    // A second dance brings alice back to the page she names.
    let back = "/plugins/servlet/oauth/users/access-tokens";
    let (done, at) = browser.authorise(&format!("{uri}&redirectUrl={}", form(back)), "allow");
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(at, format!("{}{back}", a.base_url()));
    assert_eq!(browser.myself_through(&a, &b_id).status, 200);

    // Alice drops the token on A: asked again.
    let dropped = request(
        a.port,
        "DELETE",
        &format!("/rest/applinks/1.0/authorised-links/{b_id}"),
        &[("Authorization", &alice), ("X-Atlassian-Token", "no-check")],
        "",
    )
    .unwrap();
    assert_eq!(dropped.status, 204, "{}", dropped.body);
    let uri = authorisation_required(&browser.myself_through(&a, &b_id), &b, &a);

    // Denying access ends on a page that says so, and grants nothing.
    let (denied, _) = browser.authorise(&uri, "deny");
    assert_eq!(denied.status, 200, "{}", denied.body);
    assert!(denied.body.contains("not granted"), "{}", denied.body);
    assert_eq!(browser.myself_through(&a, &b_id).status, 401);

    // The linked-applications page: Authorise leads through the dance and back to the page,
    // whose Revoke form (with the session's CSRF token) drops the token again.
    let page_url = format!(
        "{}/plugins/servlet/applinks/linked-applications",
        a.base_url()
    );
    let page = browser.send("GET", &page_url, "");
    assert_eq!(page.status, 200, "{}", page.body);
    let start = page
        .body
        .split("href=\"")
        .find(|piece| piece.contains("login-dance/authorize"))
        .and_then(|piece| piece.split('"').next())
        .unwrap_or_else(|| panic!("no Authorise link in {}", page.body))
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let (back, at) = browser.authorise(&start, "allow");
    assert_eq!(at, page_url, "{}", back.body);
    assert!(back.body.contains(">Revoke</button>"), "{}", back.body);
    let row = page_row(&back.body, &b_id);
    assert!(
        row.contains("<strong>alice</strong>"),
        "who alice is on B: {row}"
    );
    assert_eq!(browser.myself_through(&a, &b_id).status, 200);
    let body = format!(
        "link_id={b_id}&csrf_token={}",
        form(&hidden(&back.body, "csrf_token"))
    );
    let (after, _) = browser.follow("POST", &page_url, &body);
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(after.body.contains(">Authorise</a>"), "{}", after.body);
    assert_eq!(browser.myself_through(&a, &b_id).status, 401);
}

#[test]
fn the_dance_refuses_foreign_return_urls_and_the_proxy_foreign_paths() {
    let (a, a_dir) = peer("dance-escape-a");
    let (b, _) = peer("dance-escape-b");
    add_user(&a_dir, "alice");
    link_with_plain_oauth(&a, &b);
    let b_id = server_id(&b);
    let mut browser = Browser::default();
    browser.sign_in(&a, "alice");

    for foreign in ["https://evil.test/", "//evil.test/x"] {
        let url = format!(
            "{}/plugins/servlet/applinks/oauth/login-dance/authorize\
             ?applicationLinkID={b_id}&redirectUrl={}",
            a.base_url(),
            form(foreign)
        );
        assert_eq!(browser.send("GET", &url, "").status, 400, "{foreign}");
    }
    for escape in [
        "%2F..%2Fadmin",
        "http%3A%2F%2Fevil.test%2F",
        "%2F%252e%252e%2Fx",
    ] {
        let url = format!(
            "{}/plugins/servlet/applinks/proxy?appId={b_id}&path={escape}",
            a.base_url()
        );
        assert_eq!(browser.send("GET", &url, "").status, 400, "{escape}");
    }

    // Signed-out visitors are sent to sign in first, and brought back.
    let start =
        format!("/plugins/servlet/applinks/oauth/login-dance/authorize?applicationLinkID={b_id}");
    let anonymous = request(a.port, "GET", &start, &[], "").unwrap();
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.header("location").starts_with("/login?next="));
}

/// Alice on `a` and `b`, `a` linked to `b` with plain OAuth, and alice's access allowed once;
/// returns `b`'s id and the signed-in browser.
fn alice_authorised(a: &Server, a_dir: &Path, b: &Server, b_dir: &Path) -> (String, Browser) {
    for dir in [a_dir, b_dir] {
        add_user(dir, "alice");
    }
    link_with_plain_oauth(a, b);
    let b_id = server_id(b);
    let mut browser = Browser::default();
    browser.sign_in(a, "alice");
    browser.sign_in(b, "alice");
    let uri = authorisation_required(&browser.myself_through(a, &b_id), b, a);
    let (done, _) = browser.authorise(&uri, "allow");
    assert!(done.body.contains("Access granted"), "{}", done.body);
    (b_id, browser)
}

#[test]
fn an_expired_access_token_is_renewed_with_its_session_handle_without_a_new_dance() {
    let (a, a_dir) = peer("renew-a");
    let (b, b_dir) = peer_with("renew-b", &["--oauth-access-token-lifetime", "2"]);
    let (b_id, mut browser) = alice_authorised(&a, &a_dir, &b, &b_dir);
    let before = grants(&b);
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}");

    std::thread::sleep(Duration::from_secs(3));
    let there = browser.myself_through(&a, &b_id);
    assert_eq!(there.status, 200, "{}", there.body);
    assert_eq!(there.json()["name"], "alice");

    // B renewed the grant in place: still one, under a new token that expires later.
    let after = grants(&b);
    assert_eq!(after.as_array().unwrap().len(), 1, "{after}");
    assert_ne!(after[0]["id"], before[0]["id"]);
    assert!(
        after[0]["expiresAt"].as_i64() > before[0]["expiresAt"].as_i64(),
        "{after}"
    );
    assert_eq!(authorised_links(&a)[0]["id"], b_id);
}

#[test]
fn an_access_token_that_cannot_be_renewed_asks_the_user_to_authorise_again() {
    let (a, a_dir) = peer("renew-over-a");
    let lifetimes = [
        "--oauth-access-token-lifetime",
        "2",
        "--oauth-session-lifetime",
        "2",
    ];
    let (b, b_dir) = peer_with("renew-over-b", &lifetimes);
    let (b_id, mut browser) = alice_authorised(&a, &a_dir, &b, &b_dir);

    // The session ends with the token: B refuses the renewal, and A asks alice again rather
    // than failing.
    std::thread::sleep(Duration::from_secs(3));
    let uri = authorisation_required(&browser.myself_through(&a, &b_id), &b, &a);
    assert_eq!(authorised_links(&a), json!([]), "the dead token is dropped");

    let (done, _) = browser.authorise(&uri, "allow");
    assert!(done.body.contains("Access granted"), "{}", done.body);
    assert_eq!(browser.myself_through(&a, &b_id).status, 200);
}

/// A link from `from` to `url` made by hand (as for a generic application), with the outgoing
/// OAuth `levels`.
fn link_by_hand(from: &Server, id: &str, name: &str, url: &str, levels: Value) {
    let body =
        json!({"id": id, "name": name, "typeId": "generic", "displayUrl": url, "rpcUrl": url});
    let path = format!("/rest/applinks/1.0/applicationlink/{id}");
    let made = from.admin_json("PUT", &path, &body);
    assert!(made.status == 200 || made.status == 201, "{}", made.body);
    let levels = from.admin_json(
        "PUT",
        &format!("/rest/applinks/3.0/status/{id}/oauth"),
        &json!({ "outgoing": levels }),
    );
    assert_eq!(levels.status, 200, "{}", levels.body);
}

/// The text of the page's row for the link `id`.
fn page_row<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!("<tr id=\"link-{id}\""))
        .unwrap_or_else(|| panic!("no row for {id} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[test]
fn the_linked_applications_page_shows_who_the_user_is_in_each_application() {
    let (a, a_dir) = peer("page-a");
    let (b, b_dir) = peer("page-b");
    add_user(&a_dir, "alice");
    let hostile = "<script>alert(1)</script>Alice";
    let stdin = format!("{}\n", password_of("alice"));
    let b_storage = [std::ffi::OsStr::new("--data-dir"), b_dir.as_os_str()];
    let args = [
        "add",
        "alice",
        "--password-stdin",
        "--display-name",
        hostile,
    ];
    assert!(support::user(&args, &b_storage, &stdin).status.success());

    // B shares A's users: impersonation, no authorisation needed.
    let created = create_link(&a, &b, true, true, ADMIN_PASSWORD);
    assert_eq!(created.status, 201, "{}", created.body);
    let b_id = server_id(&b);

    // An application that accepts connections and never answers, and one A cannot act in.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let two_lo =
        json!({"enabled": false, "twoLoEnabled": true, "twoLoImpersonationEnabled": false});
    link_by_hand(&a, "silent-1", "Silent", &silent_url, two_lo);
    let off = json!({"enabled": false, "twoLoEnabled": false, "twoLoImpersonationEnabled": false});
    let closed_url = format!("http://127.0.0.1:{}", support::free_port());
    link_by_hand(&a, "reports-1", "Reports", &closed_url, off);

    let mut browser = Browser::default();
    browser.sign_in(&a, "alice");
    let home = browser.send("GET", &format!("{}/", a.base_url()), "");
    assert!(
        home.body
            .contains("href=\"/plugins/servlet/applinks/linked-applications\""),
        "{}",
        home.body
    );
    assert!(
        home.body
            .contains("href=\"/plugins/servlet/oauth/users/access-tokens\""),
        "{}",
        home.body
    );

    let started = std::time::Instant::now();
    let page_url = format!(
        "{}/plugins/servlet/applinks/linked-applications",
        a.base_url()
    );
    let page = browser.send("GET", &page_url, "");
    let took = started.elapsed();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(took < Duration::from_secs(9), "the page took {took:?}");

    // B names alice, escaped; no Authorise or Revoke applies to impersonation.
    let b_row = page_row(&page.body, &b_id);
    assert!(b_row.contains("(alice)"), "{b_row}");
    assert!(b_row.contains("alert(1)"), "{b_row}");
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(
        !b_row.contains("Authorise") && !b_row.contains("Revoke"),
        "{b_row}"
    );

    let silent_row = page_row(&page.body, "silent-1");
    assert!(
        silent_row.contains("did not answer in time"),
        "{silent_row}"
    );
    let reports_row = page_row(&page.body, "reports-1");
    assert!(reports_row.contains("cannot act as you"), "{reports_row}");
    assert!(reports_row.contains(&closed_url), "{reports_row}");
    drop(silent);
}
