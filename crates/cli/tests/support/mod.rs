//! Real `applinks` processes for the tests: a fresh data directory, a free loopback port, the
//! server started and awaited, plain HTTP/1.1 requests, a browser over them, and the user
//! command.

#![allow(dead_code, reason = "each test file uses its own part of the support")]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) mod browser;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_applinks");
pub(crate) const ADMIN_PASSWORD: &str = "the admin's password";

/// Signs `username` in through the form and returns the `name=value` of the session cookie.
pub(crate) fn sign_in(server: &Server, username: &str, password: &str) -> String {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("username", username)
        .append_pair("password", password)
        .append_pair("next", "/")
        .finish();
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let answer = request(server.port, "POST", "/login", &form, &body).expect("an answer");
    assert_eq!(answer.status, 303, "signing in {username}: {}", answer.body);
    let cookie = answer.header("Set-Cookie");
    cookie.split(';').next().unwrap().to_owned()
}

/// The CSRF token in a page's forms.
pub(crate) fn csrf_token(page: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

/// A fresh data directory for one test.
pub(crate) fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("applinks-it-{}-{name}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `applinks serve --data-dir <dir>`, without any admin password from the test's environment.
pub(crate) fn serve_command(data_dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("APPLINKS_ADMIN_PASSWORD");
    command
}

/// A running `applinks serve`, stopped when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Server {
    /// Starts a server on a free port whose base URL is its loopback address, with the admin
    /// password [`ADMIN_PASSWORD`].
    pub(crate) fn start(data_dir: &Path) -> Self {
        Self::start_with(
            data_dir,
            &[],
            &[("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)],
        )
    }

    /// Starts a server on a free port with `extra` flags and `env` variables.
    pub(crate) fn start_with(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = serve_command(data_dir);
        command
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--base-url", &format!("http://127.0.0.1:{port}")])
            .args(extra)
            .envs(env.iter().copied());
        Self::spawn(command, port)
    }

    /// Starts a prepared command that will listen on `port`, and waits until it serves.
    ///
    /// With `APPLINKS_TEST_LOG_DIR` set, the server's log goes to `<dir>/server-<port>.log`.
    pub(crate) fn spawn(command: Command, port: u16) -> Self {
        let log = match std::env::var_os("APPLINKS_TEST_LOG_DIR") {
            Some(dir) => {
                let path = Path::new(&dir).join(format!("server-{port}.log"));
                Stdio::from(std::fs::File::create(path).unwrap())
            }
            None => Stdio::null(),
        };
        Self::spawn_logging(command, port, log)
    }

    /// [`Server::spawn`] with the server's log (its standard error) going to `log`.
    pub(crate) fn spawn_logging(mut command: Command, port: u16, log: Stdio) -> Self {
        let child = command.stdout(Stdio::piped()).stderr(log).spawn().unwrap();
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
            if self.get("/healthz", &[]).map(|answer| answer.status) == Some(200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not become healthy");
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn get(&self, path: &str, headers: &[(&str, &str)]) -> Option<Answer> {
        request(self.port, "GET", path, headers, "")
    }

    /// A JSON call by the administrator, as a REST client sends it.
    pub(crate) fn admin_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Answer {
        let authorization = basic("admin", ADMIN_PASSWORD);
        let headers = [
            ("Authorization", authorization.as_str()),
            ("X-Atlassian-Token", "no-check"),
            ("Content-Type", "application/json"),
        ];
        request(self.port, method, path, &headers, &body.to_string())
            .unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }

    /// Stops the server with SIGTERM and returns what it printed on standard output.
    pub(crate) fn stop(mut self) -> String {
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

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Answer {
    /// The first value of header `name` (any case), or an empty string.
    pub(crate) fn header(&self, name: &str) -> &str {
        let found = self
            .headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name));
        found.map_or("", |(_, value)| value.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }
}

/// A plain HTTP/1.1 request on loopback; `None` when nothing (or no HTTP) answers.
pub(crate) fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    stream.write_all(raw.as_bytes()).ok()?;

    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let split = answer.windows(4).position(|window| window == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&answer[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let body = &answer[split + 4..];
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunked(body)?
    } else {
        body.to_vec()
    };
    Some(Answer {
        status,
        headers,
        body: text(&body),
    })
}

/// A chunked body (RFC 9112 §7.1) decoded; `None` when it stops before its last chunk, as a
/// cut connection leaves it.
fn dechunked(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|window| window == b"\r\n")?;
        let size = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

pub(crate) fn basic(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// Runs `applinks user …` with `extra` arguments (e.g. `--data-dir D` or `--database-url U`),
/// with `stdin` as standard input.
pub(crate) fn user(args: &[&str], extra: &[&std::ffi::OsStr], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("user")
        .args(args)
        .args(extra)
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

/// The password the tests give `username`.
pub(crate) fn password_of(username: &str) -> String {
    format!("{username}'s password")
}

/// Adds a user with the CLI, as an operator does while the server runs.
pub(crate) fn add_user(data_dir: &Path, username: &str) {
    add_user_at(
        &[std::ffi::OsStr::new("--data-dir"), data_dir.as_os_str()],
        username,
    );
}

/// Adds a user with the CLI to the database that `storage` names (`--data-dir D` or
/// `--database-url U`).
pub(crate) fn add_user_at(storage: &[&std::ffi::OsStr], username: &str) {
    let stdin = format!("{}\n", password_of(username));
    let output = user(&["add", username, "--password-stdin"], storage, &stdin);
    assert!(
        output.status.success(),
        "adding {username}: {}",
        text(&output.stderr)
    );
}

/// The wizard's create call on `from`, linking to `to` (2-way with the remote `admin`'s
/// `password`, the userbase shared or not).
pub(crate) fn create_link(
    from: &Server,
    to: &Server,
    two_way: bool,
    share_userbase: bool,
    password: &str,
) -> Answer {
    let body = serde_json::json!({
        "applicationLink": {"displayUrl": to.base_url()},
        "username": "admin",
        "password": password,
        "createTwoWayLink": two_way,
        "configFormValues": {"shareUserbase": share_userbase, "trustEachOther": false},
    });
    from.admin_json(
        "POST",
        "/rest/applinks/1.0/applicationlinkForm/createAppLink",
        &body,
    )
}

/// A TCP relay to a local port that passes a number of HTTP requests, then cuts the connection
/// that carries the next one and refuses new connections until reopened. It counts requests,
/// not connections, because the client keeps a connection open for the requests that follow.
pub(crate) struct Relay {
    port: u16,
    allowance: Arc<AtomicUsize>,
}

impl Relay {
    pub(crate) fn start(target: u16, open_for: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let allowance = Arc::new(AtomicUsize::new(open_for));
        let remaining = allowance.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if remaining.load(Ordering::SeqCst) > 0 {
                    let remaining = remaining.clone();
                    std::thread::spawn(move || pipe(client, target, &remaining));
                }
            }
        });
        Self { port, allowance }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn reopen(&self) {
        self.allowance.store(usize::MAX, Ordering::SeqCst);
    }
}

/// Copies bytes both ways between a client and the target port until either side closes, or
/// until the client starts a request past the allowance.
fn pipe(client: TcpStream, target: u16, allowance: &AtomicUsize) {
    let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let (server_read, client_write) = (server.try_clone().unwrap(), client.try_clone().unwrap());
    let downstream = std::thread::spawn(move || {
        let (mut from, mut to) = (server_read, client_write);
        let mut buffer = [0; 8192];
        while let Ok(read) = from.read(&mut buffer) {
            if read == 0 || to.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });

    let (mut from, mut to) = (client, server);
    let mut requests = RequestStarts::default();
    let mut buffer = [0; 8192];
    while let Ok(read) = from.read(&mut buffer) {
        let admitted = (0..requests.feed(&buffer[..read])).all(|_| {
            allowance
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                    left.checked_sub(1)
                })
                .is_ok()
        });
        if !admitted {
            let _ = from.shutdown(std::net::Shutdown::Both);
            break;
        }
        if read == 0 || to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
    let _ = downstream.join();
}

/// Finds where requests begin in the bytes a client sends: a head up to its blank line, then
/// as many body bytes as its `Content-Length` says.
#[derive(Default)]
struct RequestStarts {
    head: Vec<u8>,
    body_left: usize,
}

impl RequestStarts {
    /// How many requests begin in `bytes`, the next bytes from the client.
    fn feed(&mut self, mut bytes: &[u8]) -> usize {
        let mut started = 0;
        while let Some((&first, rest)) = bytes.split_first() {
            if self.body_left > 0 {
                let skipped = self.body_left.min(bytes.len());
                self.body_left -= skipped;
                bytes = &bytes[skipped..];
                continue;
            }
            if self.head.is_empty() {
                started += 1;
            }
            self.head.push(first);
            bytes = rest;
            if self.head.ends_with(b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.head).to_ascii_lowercase();
                self.body_left = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:")?.trim().parse().ok())
                    .unwrap_or(0);
                self.head.clear();
            }
        }
        started
    }
}
