//! The `applinks` binary as an operator uses it: real processes, a real SQLite file, real HTTP
//! on loopback.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_applinks");

/// `applinks serve --data-dir <dir>`, without any admin password from the test's environment.
fn serve_command(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("APPLINKS_ADMIN_PASSWORD");
    command
}

/// A fresh data directory for one test.
fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("applinks-cli-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `applinks serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts `applinks serve` on a free port with `extra` flags and `env` variables.
    fn start(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = serve_command(data_dir);
        command
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .envs(env.iter().copied());
        Self::spawn(command, port)
    }

    /// Starts a prepared command that will listen on `port`, and waits until it serves.
    fn spawn(mut command: Command, port: u16) -> Self {
        let child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Self { child, port };
        server.wait_until_healthy();
        server
    }

    fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited early with {status}");
            }
            if get(self.port, "/healthz", &[]).map(|answer| answer.status) == Some(200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not become healthy");
    }

    /// Stops the server with SIGTERM and returns what it printed on standard output.
    fn stop(mut self) -> String {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a graceful stop exits 0, got {status}");
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        stdout
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    body: String,
}

/// A plain HTTP/1.1 GET on loopback.
fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let status = raw.split(' ').nth(1)?.parse().ok()?;
    let body = raw.split_once("\r\n\r\n")?.1.to_owned();
    Some(Answer { status, body })
}

fn basic(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

fn manifest_id(port: u16) -> String {
    let answer = get(
        port,
        "/rest/applinks/1.0/manifest",
        &[("Accept", "application/json")],
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    json["id"].as_str().unwrap().to_owned()
}

/// Runs `applinks user …` against `data_dir`, with `stdin` as standard input.
fn user(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn first_start_prints_a_password_once_and_the_id_survives_restarts() {
    let dir = data_dir("restart");
    let first = Server::start(&dir, &[], &[]);
    let id = manifest_id(first.port);
    let printed = first.stop();
    let password = printed
        .split("password: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no generated password in {printed:?}"))
        .to_owned();

    let second = Server::start(&dir, &[], &[]);
    assert_eq!(manifest_id(second.port), id, "the server id is stable");
    let me = get(
        second.port,
        "/rest/api/1.0/myself",
        &[("Authorization", &basic("admin", &password))],
    );
    assert_eq!(me.unwrap().status, 200, "the printed password signs in");
    let printed_again = second.stop();
    assert!(
        !printed_again.contains("password"),
        "printed twice: {printed_again}"
    );
    assert!(dir.join("applinks.db").exists() && dir.join("secret.key").exists());
}

#[test]
fn the_admin_password_can_come_from_the_environment() {
    let dir = data_dir("env-password");
    let server = Server::start(
        &dir,
        &[],
        &[("APPLINKS_ADMIN_PASSWORD", "from the environment")],
    );
    let auth = basic("admin", "from the environment");
    let me = get(
        server.port,
        "/rest/api/1.0/myself",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"name\":\"admin\""), "{}", me.body);
    assert!(!server.stop().contains("password"));
}

#[test]
fn users_are_managed_while_the_server_runs() {
    let dir = data_dir("users");
    let server = Server::start(&dir, &[], &[("APPLINKS_ADMIN_PASSWORD", "admin password")]);

    let added = user(
        &dir,
        &[
            "add",
            "alice",
            "--display-name",
            "Alice Liddell",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        "alice's password\n",
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    assert_eq!(text(&added.stdout).trim(), "Created user alice.");

    let auth = basic("alice", "alice's password");
    let me = get(
        server.port,
        "/rest/api/1.0/myself",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(me.status, 200);
    assert!(
        me.body.contains("\"displayName\":\"Alice Liddell\""),
        "{}",
        me.body
    );

    let listed = user(&dir, &["list"], "");
    let listing = text(&listed.stdout);
    assert!(
        listing.contains("alice") && listing.contains("alice@example.com"),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("admin") && line.ends_with("admin"))
    );

    let changed = user(
        &dir,
        &["passwd", "alice", "--password-stdin"],
        "a new password\n",
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    let old = get(
        server.port,
        "/rest/api/1.0/myself",
        &[("Authorization", &auth)],
    )
    .unwrap();
    assert_eq!(old.status, 401);
    let new_auth = basic("alice", "a new password");
    assert_eq!(
        get(
            server.port,
            "/rest/api/1.0/myself",
            &[("Authorization", &new_auth)]
        )
        .unwrap()
        .status,
        200
    );
}

#[test]
fn user_mistakes_are_explained_and_change_nothing() {
    let dir = data_dir("user-mistakes");
    let first = user(&dir, &["add", "bob", "--password", "bob's password"], "");
    assert!(first.status.success(), "{}", text(&first.stderr));

    for (args, stdin, message) in [
        (
            &["add", "bob", "--password", "another password"][..],
            "",
            "already exists",
        ),
        (
            &["add", "b o b", "--password", "a fine password"][..],
            "",
            "user name",
        ),
        (
            &["add", "carol", "--password-stdin"][..],
            "short\n",
            "at least 8",
        ),
        (
            &["passwd", "nobody", "--password-stdin"][..],
            "long enough\n",
            "no user named nobody",
        ),
    ] {
        let output = user(&dir, args, stdin);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let listing = text(&user(&dir, &["list"], "").stdout);
    assert_eq!(listing.lines().count(), 2, "a header and bob: {listing}");
}

#[test]
fn a_configuration_file_sets_the_same_keys_as_the_flags() {
    let dir = data_dir("config-file");
    let port = free_port();
    let config = dir.join("applinks.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{port}\"\nname = \"Wiki\"\ntype-id = \"confluence\"\n\
             base-url = \"https://wiki.example.com/\"\n"
        ),
    )
    .unwrap();
    let mut command = serve_command(&dir);
    command.arg("--config").arg(&config);
    let server = Server::spawn(command, port);

    let manifest = get(server.port, "/rest/applinks/1.0/manifest", &[])
        .unwrap()
        .body;
    assert!(manifest.contains("<name>Wiki</name>"), "{manifest}");
    assert!(
        manifest.contains("<typeId>confluence</typeId>"),
        "{manifest}"
    );
    assert!(
        manifest.contains("<url>https://wiki.example.com</url>"),
        "{manifest}"
    );
}

#[test]
fn invalid_settings_stop_the_server_with_a_message() {
    let dir = data_dir("invalid-settings");
    let bad_config = dir.join("bad.toml");
    std::fs::write(&bad_config, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let bad_config = bad_config.to_str().unwrap().to_owned();
    for (args, message) in [
        (vec!["--type-id", "wiki"], "is not one of"),
        (vec!["--listen", "localhost"], "is not an address"),
        (
            vec!["--base-url", "links.example.com"],
            "must start with http",
        ),
        (vec!["--config", bad_config.as_str()], "is not valid"),
    ] {
        let output = serve_command(&dir).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            text(&output.stderr).contains(message),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let unknown_flag = Command::new(BIN)
        .args(["serve", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(unknown_flag.status.code(), Some(2));
}
