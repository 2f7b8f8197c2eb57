//! Interoperability with independent OAuth 1.0a peers: Python's `oauthlib` (from PyPI) on one
//! side and a real `applinks serve` on loopback on the other, in both roles.
//!
//! As a consumer (`tests/interop/consumer.py`, with `requests-oauthlib`) against our provider:
//! the harness sets the server up the way an administrator would (users with the CLI, the link
//! and its incoming consumer over the admin REST API) and the script signs with oauthlib and
//! prints what it observed as one JSON line.
//!
//! As a provider (`tests/interop/provider.py`, oauthlib's endpoints behind Python's
//! `http.server`) for our consumer: the script reads our consumer-info, and our server gets a
//! generic link to it with outgoing authentication configured by hand; a browser then drives
//! the 3-legged dance through both, and the proxy reads the provider's `myself`.
//!
//! Each test runs against servers of its own. The Python side lives in a virtual environment
//! under the Cargo target directory, built on first use from `tests/interop/requirements.txt`;
//! without `python3`, `venv` or network access to PyPI for that first build, these tests fail.
//!
//! It does not test HMAC-SHA1 in either direction, nor plain 2-legged OAuth from our consumer.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CONSUMER_KEY: &str = "python-consumer";
const LINK_ID: &str = "0b6c8a1e-4f5d-4c3b-9a7e-2d1f0e9c8b7a";

mod support;

use serde_json::json;
use support::browser::{Browser, form, hidden};
use support::{ADMIN_PASSWORD, BIN, Server, add_user, basic, data_dir, password_of, request, text};

#[test]
fn three_legged_dance_acts_as_the_approving_user_and_renews() {
    let provider = Provider::start("three-legged");
    let result = provider.run_consumer("three-legged");

    assert_eq!(result["myself"], "alice", "{result}");
    assert_eq!(result["renewed_myself"], "alice", "{result}");
}

#[test]
fn two_legged_acts_as_the_execute_as_user() {
    let provider = Provider::start("two-legged");
    let result = provider.run_consumer("two-legged");

    assert_eq!(result["myself"], "bob", "{result}");
}

#[test]
fn two_legged_impersonation_acts_as_the_requestor_and_refuses_strangers() {
    let provider = Provider::start("impersonation");
    let result = provider.run_consumer("impersonation");

    assert_eq!(result["myself"], "alice", "{result}");
    assert_eq!(result["unknown_user"]["status"], 401, "{result}");
    assert_eq!(
        result["unknown_user"]["oauth_problem"], "permission_denied",
        "{result}"
    );
}

#[test]
fn three_legged_dance_with_an_oauthlib_provider_acts_as_whoever_approved_there() {
    let consumer = Consumer::start("consumer-three-legged", &["alice"]);
    let known_as = ["--consumer-key", OUTBOUND_KEY];
    let provider = OauthlibProvider::start(&consumer.server, &["alice", "bob"], &known_as);
    consumer.link_three_legged(&provider);
    let mut browser = Browser::default();
    browser.sign_in(&consumer.server, "alice");

    // No token yet: the proxy sends alice through the dance, and the provider's approval page
    // takes the request token oauthlib issued.
    let uri = consumer.authorisation_required(&mut browser);
    let (done, at) = provider.approve(&mut browser, &uri, "alice", "allow");
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Access granted"), "{}", done.body);
    let callback = format!(
        "{}/plugins/servlet/applinks/oauth/login-dance/access",
        consumer.server.base_url()
    );
    assert!(
        at.starts_with(&format!(
            "{callback}?applicationLinkID={PROVIDER_LINK_ID}&oauth_token="
        )),
        "oauthlib appends the token and verifier to our callback's own query: {at}"
    );

    // Every request is signed with the access token and acts as its user, until it is revoked.
    for _ in 0..2 {
        let myself = browser.myself_through(&consumer.server, PROVIDER_LINK_ID);
        assert_eq!(myself.status, 200, "{}", myself.body);
        assert_eq!(
            myself.json(),
            json!({"name": "alice", "authentication": "3-legged"})
        );
    }
    assert_eq!(
        consumer.authorised_links("alice"),
        json!([PROVIDER_LINK_ID])
    );

    // Revoked at the provider, which says token_revoked: the token is dropped, alice is asked
    // again, and whoever approves over there is whom the requests act as.
    assert_eq!(provider.revoke("alice"), 1);
    let uri = consumer.authorisation_required(&mut browser);
    assert_eq!(consumer.authorised_links("alice"), json!([]));
    let (done, _) = provider.approve(&mut browser, &uri, "bob", "allow");
    assert_eq!(done.status, 200, "{}", done.body);
    let myself = browser.myself_through(&consumer.server, PROVIDER_LINK_ID);
    assert_eq!(myself.json()["name"], "bob", "{}", myself.body);

    // Denied over there: nothing is granted here.
    let dropped = consumer.alice(
        "DELETE",
        &format!("/rest/applinks/1.0/authorised-links/{PROVIDER_LINK_ID}"),
    );
    assert_eq!(dropped.status, 204, "{}", dropped.body);
    let uri = consumer.authorisation_required(&mut browser);
    let (denied, _) = provider.approve(&mut browser, &uri, "alice", "deny");
    assert!(denied.body.contains("not granted"), "{}", denied.body);
    assert_eq!(consumer.authorised_links("alice"), json!([]));
}

#[test]
fn impersonation_with_an_oauthlib_provider_acts_as_the_user_and_refuses_strangers() {
    let consumer = Consumer::start("consumer-impersonation", &["alice", "carol", ZOE]);
    let provider = OauthlibProvider::start(&consumer.server, &["alice", "bob", ZOE], &[]);
    consumer.link_to(&provider);
    consumer.set_outgoing(IMPERSONATION, json!({}));
    assert_eq!(
        consumer.outgoing_levels(),
        json!({"enabled": false, "twoLoEnabled": false, "twoLoImpersonationEnabled": true}),
        "configuring the provider is what turns impersonation on"
    );

    let myself = consumer.proxied_myself("alice", "");
    assert_eq!(myself.status, 200, "{}", myself.body);
    assert_eq!(
        myself.json(),
        json!({"name": "alice", "authentication": "2-legged impersonation"})
    );
    assert_eq!(
        consumer.authorised_links("alice"),
        json!([]),
        "no dance, no token"
    );

    // A name and a query that percent-encoding must carry intact into both base strings
    // (RFC 5849 §3.4.1.3): `+` and `@` in the requestor, non-ASCII letters, a `+` that form
    // decoding reads as a space, and escapes of reserved characters.
    let query = "?q=a+b%2Bc&sort=%7Ename%2C%C3%A9t%C3%A9&empty=";
    let encoded = consumer.proxied_myself(ZOE, query);
    assert_eq!(encoded.status, 200, "{}", encoded.body);
    assert_eq!(encoded.json()["name"], ZOE);

    // carol exists here but not over there: refused, never mapped to someone else.
    let stranger = consumer.proxied_myself("carol", "");
    assert_eq!(stranger.status, 401, "{}", stranger.body);
    assert_eq!(stranger.body, "oauth_problem=permission_denied");

    // Removing the provider turns impersonation off again.
    let path = format!("{}?provider={IMPERSONATION}", provider_path());
    let removed = consumer.server.admin_json("DELETE", &path, &json!(null));
    assert_eq!(removed.status, 204, "{}", removed.body);
    let off = consumer.proxied_myself("alice", "");
    assert_eq!(off.status, 409, "{}", off.body);
    assert_eq!(
        off.json()["errors"],
        json!(["the link has no outgoing authentication enabled"])
    );
}

#[test]
fn a_token_refused_without_an_oauth_problem_stays_until_the_user_drops_it() {
    let consumer = Consumer::start("consumer-bare-refusal", &["alice"]);
    let options = ["--consumer-key", OUTBOUND_KEY, "--no-problem-reporting"];
    let provider = OauthlibProvider::start(&consumer.server, &["alice"], &options);
    consumer.link_three_legged(&provider);
    let mut browser = Browser::default();
    browser.sign_in(&consumer.server, "alice");
    let uri = consumer.authorisation_required(&mut browser);
    let (done, _) = provider.approve(&mut browser, &uri, "alice", "allow");
    assert!(done.body.contains("Access granted"), "{}", done.body);
    assert_eq!(provider.revoke("alice"), 1);

    // A bare 401 does not say that the token is dead (only token_expired, token_rejected and
    // token_revoked do, SPEC §5.4): the proxy passes the refusal on and keeps the token.
    let refused = browser.myself_through(&consumer.server, PROVIDER_LINK_ID);
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(
        refused.body, "",
        "the provider's answer, not an authorisationUri"
    );
    assert_eq!(
        consumer.authorised_links("alice"),
        json!([PROVIDER_LINK_ID])
    );

    // Once alice drops it here, she is asked again and the new token works.
    let dropped = consumer.alice(
        "DELETE",
        &format!("/rest/applinks/1.0/authorised-links/{PROVIDER_LINK_ID}"),
    );
    assert_eq!(dropped.status, 204, "{}", dropped.body);
    let uri = consumer.authorisation_required(&mut browser);
    provider.approve(&mut browser, &uri, "alice", "allow");
    let myself = browser.myself_through(&consumer.server, PROVIDER_LINK_ID);
    assert_eq!(myself.json()["name"], "alice", "{}", myself.body);
}

/// A server with users alice and bob, and a link whose incoming consumer is the Python one:
/// RSA-SHA1, 2-legged as bob, impersonation allowed. carol does not exist.
struct Provider {
    server: Server,
}

impl Provider {
    fn start(name: &str) -> Self {
        let dir = data_dir(name);
        let server = Server::start(&dir);
        add_user(&dir, "alice");
        add_user(&dir, "bob");

        let link = serde_json::json!({
            "id": LINK_ID,
            "name": "Python consumer",
            "typeId": "generic",
            "displayUrl": "http://127.0.0.1:9",
            "rpcUrl": "http://127.0.0.1:9",
        });
        let created = server.admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{LINK_ID}"),
            &link,
        );
        assert_eq!(created.status, 201, "creating the link: {}", created.body);

        let consumer = serde_json::json!({
            "key": CONSUMER_KEY,
            "name": "Python consumer",
            "description": "oauthlib",
            "signatureMethod": "RSA-SHA1",
            "publicKey": consumer_key().public_pem,
            "callback": "http://127.0.0.1:9/callback",
            "twoLOAllowed": true,
            "executingTwoLOUser": "bob",
            "twoLOImpersonationAllowed": true,
        });
        let path =
            format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer");
        let configured = server.admin_json("PUT", &path, &consumer);
        assert_eq!(
            configured.status, 204,
            "adding the consumer: {}",
            configured.body
        );
        Self { server }
    }

    /// Runs one flow of `consumer.py` and returns what it reported for that flow.
    fn run_consumer(&self, flow: &str) -> serde_json::Value {
        let output = python()
            .arg(interop_dir().join("consumer.py"))
            .args(["--base-url", &self.server.base_url()])
            .args(["--consumer-key", CONSUMER_KEY])
            .arg("--private-key")
            .arg(&consumer_key().private_pem)
            .args(["--username", "alice", "--password", &password_of("alice")])
            .args(["--execute-as", "bob", "--unknown-user", "carol"])
            .args(["--flow", flow])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "consumer.py failed ({}):\n{}{}",
            output.status,
            text(&output.stdout),
            text(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|error| panic!("{error}: {}", text(&output.stdout)));
        report[flow].clone()
    }
}

/// The id of our link to the oauthlib provider, which has no manifest to give one.
const PROVIDER_LINK_ID: &str = "7d2e4b1c-9a3f-4e8d-b6c5-1f0a2e3d4c5b";

/// The provider name of 2-legged OAuth with impersonation.
const IMPERSONATION: &str = "TwoLeggedOAuthWithImpersonationAuthenticationProvider";

/// A user name with every kind of character user names may hold.
const ZOE: &str = "zoë+ops@example.com";

/// The key the oauthlib provider knows our server by when its administrator chose one.
const OUTBOUND_KEY: &str = "applinksConsumerAtPython";

/// Our server as the consumer of an oauthlib provider: loopback allowed for outgoing requests,
/// with the given users.
struct Consumer {
    server: Server,
}

impl Consumer {
    fn start(name: &str, users: &[&str]) -> Self {
        let dir = data_dir(name);
        let server = Server::start_with(
            &dir,
            &["--outbound-allow", "127.0.0.0/8"],
            &[("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)],
        );
        for user in users {
            add_user(&dir, user);
        }
        Self { server }
    }

    /// A generic link to `provider`, as an administrator makes one for a remote without a
    /// manifest.
    fn link_to(&self, provider: &OauthlibProvider) {
        let link = json!({
            "id": PROVIDER_LINK_ID,
            "name": "oauthlib provider",
            "typeId": "generic",
            "displayUrl": provider.url(""),
            "rpcUrl": provider.url(""),
        });
        let path = format!("/rest/applinks/1.0/applicationlink/{PROVIDER_LINK_ID}");
        let created = self.server.admin_json("PUT", &path, &link);
        assert_eq!(created.status, 201, "creating the link: {}", created.body);
    }

    /// Makes the link to `provider` and configures 3-legged OAuth to it by hand, with the key
    /// the provider's administrator chose for us.
    fn link_three_legged(&self, provider: &OauthlibProvider) {
        self.link_to(provider);
        let config = json!({
            "consumerKey.outbound": OUTBOUND_KEY,
            "serviceProvider.requestTokenUrl": provider.url("/oauth/request-token"),
            "serviceProvider.accessTokenUrl": provider.url("/oauth/access-token"),
            "serviceProvider.authorizeUrl": provider.url("/oauth/authorize"),
        });
        self.set_outgoing("OAuthAuthenticationProvider", config);
    }

    /// The link's outgoing OAuth levels, as the status API shows them.
    fn outgoing_levels(&self) -> serde_json::Value {
        let path = format!("/rest/applinks/3.0/status/{PROVIDER_LINK_ID}/oauth");
        let answer = self.server.admin_json("GET", &path, &json!(null));
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["outgoing"].clone()
    }

    /// Configures the link's outgoing authentication by hand.
    fn set_outgoing(&self, provider: &str, config: serde_json::Value) {
        let body = json!({"provider": provider, "config": config});
        let configured = self.server.admin_json("PUT", &provider_path(), &body);
        assert_eq!(configured.status, 204, "{provider}: {}", configured.body);
    }

    /// Asserts the proxy asks the browser's user to authorise first; returns where to start.
    fn authorisation_required(&self, browser: &mut Browser) -> String {
        let answer = browser.myself_through(&self.server, PROVIDER_LINK_ID);
        assert_eq!(answer.status, 401, "{}", answer.body);
        let uri = answer.json()["authorisationUri"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let start = format!(
            "{}/plugins/servlet/applinks/oauth/login-dance/authorize?applicationLinkID={}",
            self.server.base_url(),
            PROVIDER_LINK_ID
        );
        assert!(uri.starts_with(&start), "{}", answer.body);
        uri
    }

    /// `myself` over there with `query` (empty, or `?` and a query), through our proxy, as
    /// `username` with HTTP Basic.
    fn proxied_myself(&self, username: &str, query: &str) -> support::Answer {
        let authorization = basic(username, &password_of(username));
        let path = format!(
            "/plugins/servlet/applinks/proxy?appId={PROVIDER_LINK_ID}&path={}",
            form(&format!("/rest/api/1.0/myself{query}"))
        );
        request(
            self.server.port,
            "GET",
            &path,
            &[("Authorization", &authorization)],
            "",
        )
        .unwrap()
    }

    /// A REST call by alice with HTTP Basic.
    fn alice(&self, method: &str, path: &str) -> support::Answer {
        let authorization = basic("alice", &password_of("alice"));
        let headers = [
            ("Authorization", authorization.as_str()),
            ("X-Atlassian-Token", "no-check"),
        ];
        request(self.server.port, method, path, &headers, "").unwrap()
    }

    /// The ids of the links `username` holds a token for.
    fn authorised_links(&self, username: &str) -> serde_json::Value {
        let authorization = basic(username, &password_of(username));
        let headers = [("Authorization", authorization.as_str())];
        let answer = request(
            self.server.port,
            "GET",
            "/rest/applinks/1.0/authorised-links",
            &headers,
            "",
        )
        .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        let links = answer.json();
        let ids = links
            .as_array()
            .unwrap()
            .iter()
            .map(|link| link["id"].clone());
        serde_json::Value::Array(ids.collect())
    }
}

/// The resource of our link's outgoing authentication providers.
fn provider_path() -> String {
    format!("/rest/applinks/2.0/applicationlink/{PROVIDER_LINK_ID}/authentication/provider")
}

/// `tests/interop/provider.py` running: an oauthlib provider on loopback that knows our server
/// (read from its consumer-info) as its consumer, and `users`; `options` are the script's
/// (`--consumer-key KEY`, `--no-problem-reporting`). Stopped when dropped, by closing its
/// standard input.
struct OauthlibProvider {
    child: Child,
    port: u16,
}

impl OauthlibProvider {
    fn start(consumer: &Server, users: &[&str], options: &[&str]) -> Self {
        let mut command = python();
        command
            .arg(interop_dir().join("provider.py"))
            .arg("--consumer-info")
            .arg(format!(
                "{}/plugins/servlet/oauth/consumer-info",
                consumer.base_url()
            ));
        command.args(options);
        for user in users {
            command.args(["--user", user]);
        }
        let log = match std::env::var_os("APPLINKS_TEST_LOG_DIR") {
            Some(dir) => {
                let path = Path::new(&dir).join(format!("provider-{}.log", consumer.port));
                Stdio::from(std::fs::File::create(path).unwrap())
            }
            None => Stdio::null(),
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();

        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let Ok(port) = line.trim().parse() else {
            let _ = child.kill();
            let status = child.wait().unwrap();
            panic!(
                "provider.py did not print its port ({status}); APPLINKS_TEST_LOG_DIR keeps its log"
            );
        };
        Self { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Follows `authorisation_uri` to the provider's approval page, answers it as `username`
    /// with `decision`, and returns where the browser ends up.
    fn approve(
        &self,
        browser: &mut Browser,
        authorisation_uri: &str,
        username: &str,
        decision: &str,
    ) -> (support::Answer, String) {
        let (page, at) = browser.follow("GET", authorisation_uri, "");
        assert_eq!(page.status, 200, "the approval page: {}", page.body);
        assert!(
            at.starts_with(&self.url("/oauth/authorize?oauth_token=")),
            "{at}"
        );
        let body = format!(
            "oauth_token={}&username={username}&decision={decision}",
            form(&hidden(&page.body, "oauth_token"))
        );
        browser.follow("POST", &self.url("/oauth/authorize"), &body)
    }

    /// Revokes every access token `username` authorised at the provider; returns how many.
    fn revoke(&self, username: &str) -> u64 {
        let headers = [("Content-Type", "application/x-www-form-urlencoded")];
        let body = format!("username={username}");
        let answer = request(self.port, "POST", "/tokens/revoke", &headers, &body).unwrap();
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["revoked"].as_u64().unwrap()
    }
}

impl Drop for OauthlibProvider {
    fn drop(&mut self) {
        // Closing standard input asks the script to stop; a stuck one is killed.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The consumer's RSA key, made once per test process by `keygen.py`.
struct ConsumerKey {
    private_pem: PathBuf,
    public_pem: String,
}

fn consumer_key() -> &'static ConsumerKey {
    static KEY: OnceLock<ConsumerKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let private_pem = data_dir("consumer-key").join("private.pem");
        let output = python()
            .arg(interop_dir().join("keygen.py"))
            .arg(&private_pem)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "keygen.py: {}",
            text(&output.stderr)
        );
        ConsumerKey {
            private_pem,
            public_pem: text(&output.stdout),
        }
    })
}

/// The Python scripts and their requirements, at the root of the repository.
fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// A command running the virtual environment's Python, which is built on first use.
fn python() -> Command {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    let venv = VENV.get_or_init(virtual_environment);
    let mut command = Command::new(venv.join("bin").join("python"));
    // Keep `__pycache__` out of the source tree.
    command.env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// The virtual environment for the current requirements and `python3`, built if missing.
///
/// It lives in `<target>/interop-venv/<hash>`, named for a hash of `requirements.txt` and the
/// Python version, so a change to either builds a new one beside the old. Building happens in
/// a private directory renamed into place when complete: test processes racing to build it
/// both succeed, one rename wins, and a killed build leaves no half-made environment behind.
fn virtual_environment() -> PathBuf {
    let requirements = interop_dir().join("requirements.txt");
    let pinned = std::fs::read(&requirements).unwrap();
    let version = run_checked(
        Command::new("python3").arg("--version"),
        "python3 --version",
    );
    let parent = target_dir().join("interop-venv");
    let venv = parent.join(format!(
        "{:016x}",
        fnv1a([&pinned[..], &version.stdout].concat())
    ));
    if venv.join("bin").join("python").exists() {
        return venv;
    }

    std::fs::create_dir_all(&parent).unwrap();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let building = parent.join(format!("building-{}-{nanos}", std::process::id()));
    run_checked(
        Command::new("python3").args(["-m", "venv"]).arg(&building),
        "python3 -m venv (on Debian, install python3-venv)",
    );
    run_checked(
        Command::new(building.join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--no-input", "-r"])
            .arg(&requirements),
        "pip install -r tests/interop/requirements.txt",
    );
    if let Err(error) = std::fs::rename(&building, &venv) {
        std::fs::remove_dir_all(&building).ok();
        assert!(
            venv.exists(),
            "could not move {} into place: {error}",
            building.display()
        );
    }
    venv
}

/// The Cargo target directory: `applinks` is built into its `debug` or `release` folder.
fn target_dir() -> PathBuf {
    Path::new(BIN)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_owned()
}

/// FNV-1a: a hash that, unlike std's `DefaultHasher`, stays the same across Rust releases.
fn fnv1a(bytes: Vec<u8>) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs a command to completion and fails the test, naming `what`, unless it succeeds.
fn run_checked(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot run it: {error}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}
