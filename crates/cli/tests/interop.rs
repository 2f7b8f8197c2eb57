//! Interoperability with an independent OAuth 1.0a consumer: Python's `oauthlib` and
//! `requests-oauthlib` (from PyPI) against a real `applinks serve` on loopback.
//!
//! The harness sets the server up the way an administrator would (users with the CLI, the link
//! and its incoming consumer over the admin REST API) and runs `tests/interop/consumer.py`,
//! which signs with oauthlib and prints what it observed as one JSON line. Each test runs one
//! flow against a server of its own. The Python side lives in a virtual environment under the
//! Cargo target directory, built on first use from `tests/interop/requirements.txt`; without
//! `python3`, `venv` or network access to PyPI for that first build, these tests fail.
//!
//! It does not test our own consumer against a Python provider, nor HMAC-SHA1 consumers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

const CONSUMER_KEY: &str = "python-consumer";
const LINK_ID: &str = "0b6c8a1e-4f5d-4c3b-9a7e-2d1f0e9c8b7a";

mod support;

use support::{BIN, Server, add_user, data_dir, password_of, text};

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
