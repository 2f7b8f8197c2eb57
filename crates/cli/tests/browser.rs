//! Administration → Application Links in a real headless Chromium, against real `applinks
//! serve` processes on loopback: the wizard 1-way and 2-way up to its result page, a hostile
//! remote shown inert, and — over plain HTTP, no browser needed — CSRF refusals and the 403
//! for users who are not administrators.
//!
//! The browser tests need Debian's `chromium` and `chromium-driver`; without them they fail
//! with the command that installs them (`.ci/run` does). Screenshots of the pages they reach go
//! to `$CARGO_TARGET_DIR/browser-artifacts/` (or `target/browser-artifacts/`).

mod support;

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use support::{
    ADMIN_PASSWORD, Answer, Server, add_user, data_dir, free_port, password_of, request,
};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
const LIST_PATH: &str = "/plugins/servlet/applinks/listApplicationLinks";

#[tokio::test]
async fn the_wizard_creates_a_one_way_link_in_the_browser() {
    let (alpha, _alpha_dir) = peer("browser-1way-alpha", "Alpha");
    let (beta, _beta_dir) = peer("browser-1way-beta", "Beta");
    let browser = Browser::start("one-way").await;
    browser.sign_in(&alpha, LIST_PATH).await;

    browser.fill("#url", &beta.base_url()).await;
    browser.click("#create-new-link").await;
    assert_eq!(browser.text("#remote-name").await, "Beta");
    // "I am an administrator on both instances" starts ticked, as in the reference wizard.
    browser.click("#two_way").await;
    browser.click("#create-link").await;

    assert_eq!(browser.text("#result-title").await, "Link created");
    assert_eq!(browser.text("#created-name").await, "Beta");
    assert_eq!(browser.text("#created-direction").await, "1-way");
    assert_eq!(browser.text("#created-authentication").await, "OAuth");
    browser.screenshot("wizard-1-way-result").await;

    assert_eq!(link_ids(&alpha), vec![server_id(&beta)]);
    assert!(
        link_ids(&beta).is_empty(),
        "a 1-way link touches only our side"
    );

    browser.click("#back-to-list").await;
    let row = browser.text(&format!("#link-{}", server_id(&beta))).await;
    assert!(row.contains("Beta") && row.contains("OAuth"), "{row}");
    browser.screenshot("list-after-1-way").await;
    browser.finish().await;
}

#[tokio::test]
async fn the_wizard_creates_a_two_way_link_with_impersonation_in_the_browser() {
    let (alpha, _alpha_dir) = peer("browser-2way-alpha", "Alpha");
    let (beta, _beta_dir) = peer("browser-2way-beta", "Beta");
    let browser = Browser::start("two-way").await;
    browser.sign_in(&alpha, LIST_PATH).await;

    browser.fill("#url", &beta.base_url()).await;
    browser.click("#create-new-link").await;
    assert_eq!(browser.text("#remote-name").await, "Beta");
    browser.click("#share_userbase").await;
    browser.fill("#remote_username", "admin").await;
    browser.fill("#remote_password", ADMIN_PASSWORD).await;
    browser.screenshot("wizard-2-way-options").await;
    browser.click("#create-link").await;

    assert_eq!(browser.text("#result-title").await, "Link created");
    assert_eq!(
        browser.text("#created-direction").await,
        "2-way (reciprocal link created)"
    );
    assert_eq!(
        browser.text("#created-authentication").await,
        "OAuth (impersonation)"
    );
    browser.screenshot("wizard-2-way-result").await;

    assert_eq!(link_ids(&alpha), vec![server_id(&beta)]);
    assert_eq!(link_ids(&beta), vec![server_id(&alpha)]);

    // What users see of the new link: who they are in Beta, asked of Beta through the link.
    browser
        .goto(&format!(
            "{}/plugins/servlet/applinks/linked-applications",
            alpha.base_url()
        ))
        .await;
    let row = format!("#link-{} ", server_id(&beta));
    assert_eq!(browser.text(&format!("{row}.link-name")).await, "Beta");
    assert_eq!(
        browser.text(&format!("{row}.remote-user")).await,
        "Administrator (admin)"
    );
    browser.screenshot("linked-applications-2-way").await;
    browser.finish().await;
}

#[tokio::test]
async fn a_wrong_remote_password_keeps_the_wizard_on_its_questions() {
    let (alpha, _alpha_dir) = peer("browser-wrong-alpha", "Alpha");
    let (beta, _beta_dir) = peer("browser-wrong-beta", "Beta");
    let browser = Browser::start("wrong-password").await;
    browser.sign_in(&alpha, LIST_PATH).await;

    browser.fill("#url", &beta.base_url()).await;
    browser.click("#create-new-link").await;
    browser.fill("#remote_username", "admin").await;
    browser.fill("#remote_password", "not the password").await;
    browser.click("#create-link").await;

    let alert = browser.text(".message.error").await;
    assert!(!alert.is_empty(), "the refusal is shown");
    assert_eq!(browser.text("#remote-name").await, "Beta");
    browser.screenshot("wizard-wrong-remote-password").await;
    assert!(link_ids(&alpha).is_empty() && link_ids(&beta).is_empty());
    browser.finish().await;
}

#[tokio::test]
async fn hostile_names_and_urls_from_a_remote_stay_inert() {
    let (alpha, _alpha_dir) = peer("browser-hostile", "Alpha");
    let hostile = HostileRemote::start();

    // A link whose name a remote chose, stored the way a peer stores its reciprocal link.
    let id = "5a0b4c1e-0000-4000-8000-00000000beef";
    let put = alpha.admin_json(
        "PUT",
        &format!("/rest/applinks/1.0/applicationlink/{id}"),
        &json!({"name": SCRIPT, "typeId": "jira", "displayUrl": "http://127.0.0.1:9/x"}),
    );
    assert!(put.status == 201 || put.status == 200, "{}", put.body);
    // A display URL must be http(s): the API refuses anything else before a page can show it.
    let refused = alpha.admin_json(
        "PUT",
        "/rest/applinks/1.0/applicationlink/5a0b4c1e-0000-4000-8000-00000000dead",
        &json!({"name": "x", "displayUrl": "javascript:alert(1)"}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);

    let browser = Browser::start("hostile").await;
    browser.sign_in(&alpha, LIST_PATH).await;
    let row = format!("#link-{id} .link-name");
    assert_eq!(browser.text(&row).await, SCRIPT);
    browser.assert_inert().await;
    browser.screenshot("list-hostile-name").await;

    // The wizard's second step shows what the hostile manifest says, as text.
    browser.fill("#url", &hostile.url()).await;
    browser.click("#create-new-link").await;
    assert_eq!(browser.text("#remote-name").await, SCRIPT);
    let page = browser.source().await;
    assert!(
        page.contains("javascript:alert(2)"),
        "its URL is shown as text"
    );
    browser.assert_inert().await;
    browser.screenshot("wizard-hostile-manifest").await;
    browser.finish().await;
}

#[test]
fn admin_forms_without_the_token_or_from_another_origin_are_refused() {
    let (alpha, _alpha_dir) = peer("browser-csrf", "Alpha");
    let id = "5a0b4c1e-0000-4000-8000-0000000000c5";
    let first = "5a0b4c1e-0000-4000-8000-0000000000c4";
    for (link, name) in [(first, "First"), (id, "Second")] {
        let put = alpha.admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{link}"),
            &json!({"name": name, "typeId": "jira", "displayUrl": "http://127.0.0.1:9/x"}),
        );
        assert_eq!(put.status, 201, "{}", put.body);
    }
    let cookie = support::sign_in(&alpha, "admin", ADMIN_PASSWORD);
    let list = alpha
        .get(LIST_PATH, &[("Cookie", cookie.as_str())])
        .unwrap();
    assert_eq!(list.status, 200);
    assert_eq!(list.header("X-Frame-Options"), "DENY");
    let token = support::csrf_token(&list.body);
    let origin = alpha.base_url();
    let primary = format!("/plugins/servlet/applinks/primary/{id}");

    let without_token = post_form(&alpha, &primary, &cookie, &origin, "");
    assert_eq!(without_token.status, 403, "{}", without_token.body);
    let wrong_token = post_form(&alpha, &primary, &cookie, &origin, "csrf_token=forged");
    assert_eq!(wrong_token.status, 403);
    let foreign = post_form(
        &alpha,
        &primary,
        &cookie,
        "http://evil.example",
        &format!("csrf_token={token}"),
    );
    assert_eq!(foreign.status, 403);
    let deleted = post_form(
        &alpha,
        &format!("/plugins/servlet/applinks/delete/{id}"),
        &cookie,
        "http://evil.example",
        &format!("csrf_token={token}"),
    );
    assert_eq!(deleted.status, 403);
    assert_eq!(link_ids(&alpha).len(), 2, "nothing changed");

    let accepted = post_form(
        &alpha,
        &primary,
        &cookie,
        &origin,
        &format!("csrf_token={token}"),
    );
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    assert_eq!(
        accepted.header("Location"),
        format!("{LIST_PATH}?done=primary")
    );
    let primary_now = alpha.admin_json(
        "GET",
        "/rest/applinks/1.0/applicationlink/primary/jira",
        &Value::Null,
    );
    assert_eq!(primary_now.json()["id"], id);
}

#[test]
fn the_list_is_for_administrators_only() {
    let (alpha, alpha_dir) = peer("browser-non-admin", "Alpha");
    add_user(&alpha_dir, "bob");

    let stranger = alpha.get(LIST_PATH, &[]).unwrap();
    assert_eq!(stranger.status, 303);
    assert_eq!(
        stranger.header("Location"),
        "/login?next=%2Fplugins%2Fservlet%2Fapplinks%2FlistApplicationLinks"
    );

    let cookie = support::sign_in(&alpha, "bob", &password_of("bob"));
    let refused = alpha
        .get(LIST_PATH, &[("Cookie", cookie.as_str())])
        .unwrap();
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("Administrators only"),
        "{}",
        refused.body
    );
    let home = alpha.get("/", &[("Cookie", cookie.as_str())]).unwrap();
    assert!(
        !home.body.contains(LIST_PATH),
        "no link to the list for bob"
    );

    let admin = support::sign_in(&alpha, "admin", ADMIN_PASSWORD);
    let home = alpha.get("/", &[("Cookie", admin.as_str())]).unwrap();
    assert!(
        home.body.contains(LIST_PATH),
        "admins find the list from home"
    );
}

/// A name a hostile remote might choose.
const SCRIPT: &str = "<script>alert(1)</script>";

/// A server whose outgoing client may reach loopback, where its peers live in these tests.
fn peer(dir_name: &str, name: &str) -> (Server, PathBuf) {
    let dir = data_dir(dir_name);
    let server = Server::start_with(
        &dir,
        &["--outbound-allow", "127.0.0.0/8", "--name", name],
        &[("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)],
    );
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

fn link_ids(server: &Server) -> Vec<String> {
    let listed = server.admin_json("GET", "/rest/applinks/1.0/applicationlink", &Value::Null);
    assert_eq!(listed.status, 200, "{}", listed.body);
    listed.json()["applicationLinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["id"].as_str().unwrap().to_owned())
        .collect()
}

fn post_form(server: &Server, path: &str, cookie: &str, origin: &str, body: &str) -> Answer {
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin),
    ];
    if !cookie.is_empty() {
        headers.push(("Cookie", cookie));
    }
    request(server.port, "POST", path, &headers, body).expect("an answer")
}

/// Where the screenshots go.
fn artifacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A headless Chromium driven through its own chromedriver on a free port. Both run in a
/// process group of their own, which [`Drop`] ends even when a test fails half-way.
struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

impl Browser {
    async fn start(name: &str) -> Self {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).exists(),
                "the browser tests need {program}; install Chromium and its driver with: {INSTALL}"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|error| panic!("starting {CHROMEDRIVER}: {error}; {INSTALL}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }

        let profile =
            std::env::temp_dir().join(format!("applinks-chromium-{}-{name}", std::process::id()));
        std::fs::remove_dir_all(&profile).ok();
        std::fs::create_dir_all(&profile).unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,900",
        ]
        .map(str::to_owned)
        .into_iter()
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": CHROMIUM, "args": args}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|error| panic!("starting headless Chromium: {error}"));
        Self {
            client,
            driver,
            profile,
        }
    }

    async fn sign_in(&self, server: &Server, next: &str) {
        let next = url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>();
        self.goto(&format!("{}/login?next={next}", server.base_url()))
            .await;
        self.fill("#username", "admin").await;
        self.fill("#password", ADMIN_PASSWORD).await;
        self.click("button[type=submit]").await;
        self.find("h1").await;
    }

    async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("opening {url}: {error}"));
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no {css} on the page: {error}"))
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Clicks and, when the click submits a form, lets the next page load.
    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("clicking {css}: {error}"));
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap().trim().to_owned()
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// No script ran (no alert is open) and no link leads to a `javascript:` URL.
    async fn assert_inert(&self) {
        assert!(
            self.client.get_alert_text().await.is_err(),
            "a script from the remote ran"
        );
        let scripted = self
            .client
            .find_all(Locator::Css(
                "[href^='javascript:' i], [src^='javascript:' i]",
            ))
            .await
            .unwrap();
        assert!(scripted.is_empty(), "a javascript: URL became a link");
        let scripts = self.client.find_all(Locator::Css("script")).await.unwrap();
        assert!(scripts.is_empty(), "the page has a script element");
        assert!(self.source().await.contains("&lt;script&gt;"));
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }

    async fn finish(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.wait();
        std::fs::remove_dir_all(&self.profile).ok();
    }
}

/// A remote that speaks Application Links with a hostile manifest: a script for a name and
/// `javascript:` URLs.
struct HostileRemote {
    port: u16,
}

impl HostileRemote {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || answer_with_manifest(stream));
            }
        });
        Self { port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn answer_with_manifest(mut stream: TcpStream) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut buffer = [0; 4096];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    let manifest = "<manifest>\
        <id>5a0b4c1e-0000-4000-8000-00000000f00d</id>\
        <name>&lt;script&gt;alert(1)&lt;/script&gt;</name>\
        <typeId>jira</typeId>\
        <version>&lt;img src=x onerror=alert(3)&gt;</version>\
        <buildNumber>1</buildNumber>\
        <applinksVersion>9.0.0</applinksVersion>\
        <inboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.\
        OAuthAuthenticationProvider</inboundAuthenticationTypes>\
        <outboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.\
        OAuthAuthenticationProvider</outboundAuthenticationTypes>\
        <publicSignup>false</publicSignup>\
        <url>javascript:alert(2)</url>\
        <iconUrl>javascript:alert(4)</iconUrl>\
        </manifest>";
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/xml;charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{manifest}",
        manifest.len()
    );
    let _ = stream.write_all(answer.as_bytes());
}
