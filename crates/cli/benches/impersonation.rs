//! Load generator for SPEC §8: 2-legged OAuth 1.0a requests with impersonation through the
//! whole server on loopback, beside the raw RSA-SHA1 rates measured in the same run.
//!
//! It generates a 2048-bit key, starts the release `applinks` binary on a free loopback port
//! with a fresh data directory, adds the user `alice`, and configures a link whose incoming
//! consumer may make 2-legged requests with impersonation. It then signs every request ahead
//! of time (`GET /rest/api/1.0/myself?xoauth_requestor_id=alice`, an empty `oauth_token` as the
//! reference products send it, a unique nonce each), so that the load phase only writes bytes
//! and reads answers. A light client (one thread, a few keep-alive connections, one request in
//! flight per connection) keeps the server busy until the time or the requests run out.
//!
//! It prints the raw single-core rates (RSA-SHA1 verify, collect + verify, sign), the server's
//! requests per second, errors, latency percentiles, and the server's CPU time during the load
//! from `/proc/<pid>/stat`, which gives requests per server-CPU-second: the "per core" figure
//! that SPEC §8 and the issue compare with the verify rate, with the part of it spent in the
//! kernel apart. Figures go in `docs/performance.md`.
//!
//! Not a criterion benchmark (`harness = false`) and Linux only, for `/proc`. Run it with
//! `cargo bench -p applinks --bench impersonation`. It only talks to 127.0.0.1 and stops by
//! itself. Knobs, as environment variables:
//!
//! - `APPLINKS_BENCH_NODES` (default 1, at most 4): above 1, that many nodes on one throwaway
//!   PostgreSQL server (from `scripts/test-postgres`) behind one base URL, connections spread
//!   over them in turn, and the CPU of the nodes and of PostgreSQL counted as server CPU.
//! - `APPLINKS_BENCH_SECONDS` (default 10): the longest the load phase runs.
//! - `APPLINKS_BENCH_CONNECTIONS` (default 16): concurrent keep-alive connections.
//! - `APPLINKS_BENCH_REQUESTS` (default 100000): the most requests signed ahead; the load phase
//!   also ends when they are used up.
//! - `APPLINKS_BENCH_SIGN_SECONDS` (default 60): the time budget for signing ahead, on every
//!   core. Requests are valid for the server's 300-second timestamp window, so signing and
//!   load together must stay well inside it.
//! - `APPLINKS_BENCH_SERVER_THREADS` (default: tokio's, one per core): the server's worker
//!   threads, passed on as `TOKIO_WORKER_THREADS`.
//! - `APPLINKS_BENCH_CLIENT` (default `wait`): how the client waits for answers. `wait` sleeps
//!   in `epoll` like any real client, so every answer's `writev` on loopback also pays, in the
//!   server's CPU time, for waking the client's thread (an inter-processor interrupt, dear on a
//!   virtual machine). `spin` polls its non-blocking sockets in turn without ever sleeping, so
//!   no answer has to wake it: the server's figure then leaves out what the client's machine
//!   would pay on a real network. The spinning client keeps one core busy, so use it with
//!   `APPLINKS_BENCH_SERVER_THREADS=1` on two cores.
//! - `APPLINKS_BENCH_LOG` (default `info`, the server's own default): the servers' `RUST_LOG`.
//!   At `info` every request opens a tracing span; `warn` leaves that cost out.
//! - `APPLINKS_BENCH_BIN` (default: the `applinks` built with this benchmark): the binary to
//!   start, to compare builds or to measure a copy while the tree is being edited.
//! - `APPLINKS_BENCH_ENDPOINT` (default `myself`): what the load requests. `myself` is the
//!   signed request above; `healthz` (unsigned, no database) and `readyz` (unsigned, one
//!   database ping) measure the floors under it with the same client, to tell the framework's
//!   cost and a database round trip's cost from the OAuth work. `proxy` measures the other
//!   direction, acting across a link: a second server (the remote) is started and linked both
//!   ways with impersonation through the wizard's create call, `alice` signs in on the first
//!   one, and every request is her `GET /plugins/servlet/applinks/proxy?appId=<remote>&path=
//!   /rest/api/1.0/myself`, which the first server signs with RSA-SHA1 and sends to the remote.
//!   Server CPU is then the first server's alone (the remote's is reported beside it), and the
//!   figure to compare is requests per server-CPU-second against the sign rate. `links`
//!   measures SPEC §8's 10,000 links instead of a load: `admin` signs in, stores
//!   `APPLINKS_BENCH_LINKS` links (default 10000) through the REST API, then times the
//!   administrators' list page (its first, middle and last page in turn, 60 requests) and the
//!   REST list of every link (5 requests), with the server's resident memory before, idle with
//!   the links, and after each. With `APPLINKS_STATUS_INTERVAL` set (the server inherits it),
//!   it then reads every page until every link has been checked, timing that and the pages.

use std::hint::black_box;
use std::io::{self, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail, ensure};
use applinks_oauth1::{
    ClientRequest, IncomingRequest, PrivateKey, SignedRequest, SigningKey, VerifyingKey,
};
use base64::Engine as _;

/// The `applinks` binary to start and configure.
fn binary() -> PathBuf {
    std::env::var_os("APPLINKS_BENCH_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_applinks")),
        PathBuf::from,
    )
}

/// The servers' log filter: `APPLINKS_BENCH_LOG`, or `info` as `applinks serve` has by default,
/// so that every request pays for its tracing span as it does in production.
fn log_filter() -> String {
    std::env::var("APPLINKS_BENCH_LOG").unwrap_or_else(|_| "info".to_owned())
}

/// The measured request's path and query.
const PATH: &str = "/rest/api/1.0/myself";
const QUERY: &str = "xoauth_requestor_id=alice";
/// The proxy's path; its query names the remote and the path there.
const PROXY_PATH: &str = "/plugins/servlet/applinks/proxy";
/// The administrators' list of links.
const LIST_PATH: &str = "/plugins/servlet/applinks/listApplicationLinks";
const ALICE_PASSWORD: &str = "alice's bench password";

const ADMIN_PASSWORD: &str = "bench admin password";
const LINK_ID: &str = "6f1c7a52-2b1e-4f0e-9a53-3c1d2e4b5a60";
const CONSUMER_KEY: &str = "bench-consumer";

fn main() -> anyhow::Result<()> {
    let knobs = Knobs::from_env()?;
    let key = PrivateKey::generate()?;
    let cluster = Cluster::start(knobs.server_threads)?;
    let server = &cluster.nodes[0];
    if knobs.endpoint == Endpoint::Links {
        return measure_links(server, knobs.links);
    }
    server.configure(&key)?;

    let raw = RawRates::measure(&key, server.port)?;
    let mut remote = None;
    let requests = match knobs.endpoint {
        Endpoint::Myself => presign(&key, server.port, knobs.requests, knobs.sign_budget)?,
        Endpoint::Healthz | Endpoint::Readyz => {
            let request = format!(
                "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: keep-alive\r\n\r\n",
                knobs.endpoint.path(),
                server.port
            );
            vec![request.into_bytes(); knobs.requests]
        }
        Endpoint::Links => unreachable!("measured above"),
        Endpoint::Proxy => {
            let other =
                Server::start_placed(knobs.server_threads, &Placement::default(), "remote")?;
            let request = server.proxy_request(&other)?;
            remote = Some(other);
            vec![request.into_bytes(); knobs.requests]
        }
    };

    let clock_ticks = clock_ticks_per_second();
    let remote_cpu = |remote: &Option<Server>| -> anyhow::Result<Option<f64>> {
        remote
            .as_ref()
            .map(|remote| cpu_seconds(&remote.pid(), clock_ticks))
            .transpose()
    };
    let before = cluster.cpu(clock_ticks)?;
    let remote_before = remote_cpu(&remote)?;
    let client_cpu = cpu_seconds("self", clock_ticks)?;
    let load = run_load(&cluster.ports(), requests, &knobs)?;
    let mut cpu = cluster.cpu(clock_ticks)?.since(&before);
    cpu.remote = remote_cpu(&remote)?
        .zip(remote_before)
        .map(|(now, then)| now - then);
    let client_cpu = cpu_seconds("self", clock_ticks)? - client_cpu;

    report(&knobs, &raw, &load, &cpu, client_cpu);
    Ok(())
}

/// The knobs of a run, from the environment.
#[derive(Debug)]
struct Knobs {
    duration: Duration,
    connections: usize,
    requests: usize,
    sign_budget: Duration,
    server_threads: Option<usize>,
    endpoint: Endpoint,
    /// Whether the client spins instead of sleeping while it waits for answers.
    spin: bool,
    /// How many links `links` stores before it measures.
    links: usize,
}

impl Knobs {
    fn from_env() -> anyhow::Result<Self> {
        let knobs = Self {
            duration: Duration::from_secs(env_number("APPLINKS_BENCH_SECONDS")?.unwrap_or(10)),
            connections: env_number("APPLINKS_BENCH_CONNECTIONS")?.unwrap_or(16),
            requests: env_number("APPLINKS_BENCH_REQUESTS")?.unwrap_or(100_000),
            sign_budget: Duration::from_secs(
                env_number("APPLINKS_BENCH_SIGN_SECONDS")?.unwrap_or(60),
            ),
            server_threads: env_number("APPLINKS_BENCH_SERVER_THREADS")?,
            endpoint: Endpoint::from_env()?,
            spin: match std::env::var("APPLINKS_BENCH_CLIENT").as_deref() {
                Err(_) | Ok("" | "wait") => false,
                Ok("spin") => true,
                Ok(other) => bail!("APPLINKS_BENCH_CLIENT={other:?} is not wait or spin"),
            },
            links: env_number("APPLINKS_BENCH_LINKS")?.unwrap_or(10_000),
        };
        ensure!(
            (1..=1024).contains(&knobs.connections),
            "APPLINKS_BENCH_CONNECTIONS must be 1 to 1024"
        );
        ensure!(
            knobs.duration + knobs.sign_budget < Duration::from_secs(240),
            "signing and load must fit well inside the server's 300-second timestamp window"
        );
        Ok(knobs)
    }
}

/// What the load requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// The signed 2-legged request with impersonation: what is measured.
    Myself,
    /// The framework's floor: routing, layers, a small JSON answer.
    Healthz,
    /// The framework's floor plus one database ping.
    Readyz,
    /// A signed-in user reading the remote `myself` through the proxy of an impersonation link.
    Proxy,
    /// The administrators' list of links with many links stored: latency and memory.
    Links,
}

impl Endpoint {
    fn from_env() -> anyhow::Result<Self> {
        match std::env::var("APPLINKS_BENCH_ENDPOINT").as_deref() {
            Err(_) | Ok("" | "myself") => Ok(Self::Myself),
            Ok("healthz") => Ok(Self::Healthz),
            Ok("readyz") => Ok(Self::Readyz),
            Ok("proxy") => Ok(Self::Proxy),
            Ok("links") => Ok(Self::Links),
            Ok(other) => bail!(
                "APPLINKS_BENCH_ENDPOINT={other:?} is not myself, healthz, readyz, proxy or links"
            ),
        }
    }

    fn path(self) -> &'static str {
        match self {
            Self::Myself => PATH,
            Self::Healthz => "/healthz",
            Self::Readyz => "/readyz",
            Self::Proxy => PROXY_PATH,
            Self::Links => LIST_PATH,
        }
    }

    /// What a correct answer holds.
    fn expected_body(self) -> &'static [u8] {
        match self {
            Self::Myself | Self::Proxy => br#""name":"alice""#,
            Self::Links => b"Configured links",
            Self::Healthz => br#""status":"ok""#,
            Self::Readyz => br#""status":"ready""#,
        }
    }
}

/// A positive number from the environment, or `None` when the variable is unset or empty.
fn env_number<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(text) if !text.is_empty() => match text.parse() {
            Ok(number) => Ok(Some(number)),
            Err(_) => bail!("{name}={text:?} is not a number"),
        },
        _ => Ok(None),
    }
}

/// The nodes under load: one on SQLite by default, or with `APPLINKS_BENCH_NODES=2` two nodes
/// on one throwaway PostgreSQL (started by `scripts/test-postgres`) behind one base URL.
struct Cluster {
    nodes: Vec<Server>,
    postgres_data: Option<String>,
    secret_key: Option<PathBuf>,
}

impl Cluster {
    fn start(threads: Option<usize>) -> anyhow::Result<Self> {
        let count: usize = env_number("APPLINKS_BENCH_NODES")?.unwrap_or(1);
        ensure!(
            (1..=4).contains(&count),
            "APPLINKS_BENCH_NODES must be 1 to 4"
        );
        if count == 1 {
            return Ok(Self {
                nodes: vec![Server::start(threads)?],
                postgres_data: None,
                secret_key: None,
            });
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-postgres");
        let output = Command::new(&script).arg("start").output()?;
        ensure!(
            output.status.success(),
            "scripts/test-postgres start failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let exports = String::from_utf8_lossy(&output.stdout).into_owned();
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .map(str::to_owned)
        };
        let (Some(url), Some(data)) = (value("APPLINKS_TEST_POSTGRES_URL"), value("PGDATA_TEST"))
        else {
            bail!("scripts/test-postgres printed no URL: {exports}");
        };
        let secret_key =
            std::env::temp_dir().join(format!("applinks-bench-{}.key", std::process::id()));
        let mut cluster = Self {
            nodes: Vec::new(),
            postgres_data: Some(data),
            secret_key: Some(secret_key.clone()),
        };
        let mut placement = Placement {
            database_url: Some(url),
            secret_key: Some(secret_key),
            base_port: None,
        };
        for index in 0..count {
            let node = Server::start_placed(threads, &placement, &format!("node{index}"))?;
            placement.base_port.get_or_insert(node.port);
            cluster.nodes.push(node);
        }
        Ok(cluster)
    }

    fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// The CPU seconds the nodes and the database server have used so far.
    fn cpu(&self, clock_ticks: f64) -> anyhow::Result<Cpu> {
        let (mut nodes, mut nodes_system) = (0.0, 0.0);
        for node in &self.nodes {
            let (user, system) = cpu_times(&node.pid(), clock_ticks)?;
            nodes += user + system;
            nodes_system += system;
        }
        let database = match &self.postgres_data {
            Some(data) => Some(postgres_cpu_seconds(Path::new(data), clock_ticks)?),
            None => None,
        };
        Ok(Cpu {
            nodes: self.nodes.len(),
            servers: nodes,
            servers_system: nodes_system,
            database,
            remote: None,
        })
    }
}

/// CPU seconds used by the applinks nodes and, in a cluster, by PostgreSQL; with the proxy,
/// the remote's apart.
struct Cpu {
    nodes: usize,
    servers: f64,
    /// The part of `servers` spent in the kernel.
    servers_system: f64,
    database: Option<f64>,
    remote: Option<f64>,
}

impl Cpu {
    fn since(&self, before: &Self) -> Self {
        Self {
            nodes: self.nodes,
            servers: self.servers - before.servers,
            servers_system: self.servers_system - before.servers_system,
            database: self
                .database
                .zip(before.database)
                .map(|(now, then)| now - then),
            remote: None,
        }
    }
}

/// The CPU seconds of the PostgreSQL server in `data`: the postmaster and its children (the
/// backends serving the nodes' pooled connections, which live as long as the pools do).
fn postgres_cpu_seconds(data: &Path, clock_ticks: f64) -> anyhow::Result<f64> {
    let pid_file = std::fs::read_to_string(data.join("postmaster.pid"))
        .context("reading postmaster.pid of the benchmark's PostgreSQL")?;
    let postmaster = pid_file
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut total = cpu_seconds(&postmaster, clock_ticks)?;
    for entry in std::fs::read_dir("/proc")? {
        let pid = entry?.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue; // The process ended while we looked.
        };
        let parent = stat
            .rsplit_once(')')
            .and_then(|(_, fields)| fields.split_whitespace().nth(1));
        if parent == Some(postmaster.as_str()) {
            total += cpu_seconds(&pid, clock_ticks).unwrap_or(0.0);
        }
    }
    Ok(total)
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.nodes.clear();
        if let Some(key) = &self.secret_key {
            std::fs::remove_file(key).ok();
        }
        if let Some(data) = &self.postgres_data {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-postgres");
            let _ = Command::new(script).args(["stop", data]).status();
        }
    }
}

/// A running `applinks serve` with its own data directory, killed and cleaned up when dropped.
struct Server {
    child: Child,
    port: u16,
    data_dir: PathBuf,
    database_url: Option<String>,
}

/// Where a node keeps its state: its own SQLite data directory, or a PostgreSQL database it
/// shares with the other nodes of a cluster behind one base URL.
#[derive(Debug, Clone, Default)]
struct Placement {
    /// `--database-url`, for a cluster.
    database_url: Option<String>,
    /// The secret key file every node of the cluster shares.
    secret_key: Option<PathBuf>,
    /// The port whose URL is the cluster's base URL (the first node's).
    base_port: Option<u16>,
}

impl Server {
    /// Starts the server on a free loopback port and waits until it is healthy.
    fn start(threads: Option<usize>) -> anyhow::Result<Self> {
        Self::start_placed(threads, &Placement::default(), "single")
    }

    /// Starts a node placed as `placement` says; `name` keeps data directories apart.
    fn start_placed(
        threads: Option<usize>,
        placement: &Placement,
        name: &str,
    ) -> anyhow::Result<Self> {
        let data_dir =
            std::env::temp_dir().join(format!("applinks-bench-{}-{name}", std::process::id()));
        std::fs::remove_dir_all(&data_dir).ok();
        std::fs::create_dir_all(&data_dir)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base_port = placement.base_port.unwrap_or(port);

        let mut command = Command::new(binary());
        command
            .arg("serve")
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--base-url")
            .arg(format!("http://127.0.0.1:{base_port}"))
            // The proxy's remote is another server on loopback, which the outgoing client
            // otherwise refuses (SPEC §6).
            .args(["--outbound-allow", "127.0.0.0/8"])
            .env("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", log_filter())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // A file, as an operator's log would be: written, and not a terminal.
            .stderr(std::fs::File::create(data_dir.join("server.log"))?);
        if let Some(threads) = threads {
            command.env("TOKIO_WORKER_THREADS", threads.to_string());
        }
        if let Some(url) = &placement.database_url {
            command.arg("--database-url").arg(url);
        }
        if let Some(key) = &placement.secret_key {
            command.arg("--secret-key-file").arg(key);
        }
        let mut server = Self {
            child: command.spawn()?,
            port,
            data_dir,
            database_url: placement.database_url.clone(),
        };
        server.wait_until_healthy()?;
        Ok(server)
    }

    /// The process id, as `/proc` names it.
    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    fn wait_until_healthy(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited early with {status}");
            }
            if http(self.port, "GET", "/healthz", &[], "").is_ok_and(|(status, _, _)| status == 200)
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the server did not become healthy within 30 seconds")
    }

    /// Adds the user `alice` with the CLI, as an administrator would.
    fn add_alice(&self) -> anyhow::Result<()> {
        let mut add_user = Command::new(binary());
        add_user
            .args(["user", "add", "alice", "--password-stdin", "--data-dir"])
            .arg(&self.data_dir);
        if let Some(url) = &self.database_url {
            add_user.arg("--database-url").arg(url);
        }
        let mut add_user = add_user
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        add_user
            .stdin
            .take()
            .context("the stdin of `applinks user add`")?
            .write_all(format!("{ALICE_PASSWORD}\n").as_bytes())?;
        ensure!(
            add_user.wait()?.success(),
            "`applinks user add alice` failed"
        );
        Ok(())
    }

    /// Adds `alice` and a link whose consumer signs with `key` and may impersonate users, then
    /// checks that one signed request is answered as intended.
    fn configure(&self, key: &PrivateKey) -> anyhow::Result<()> {
        self.add_alice()?;

        let link = serde_json::json!({
            "id": LINK_ID, "name": "Bench", "typeId": "generic",
            "displayUrl": "http://127.0.0.1:9",
        })
        .to_string();
        self.admin_put(
            &format!("/rest/applinks/1.0/applicationlink/{LINK_ID}"),
            &link,
            201,
        )?;
        let consumer = serde_json::json!({
            "key": CONSUMER_KEY, "name": "Bench", "signatureMethod": "RSA-SHA1",
            "publicKey": key.public_key().to_base64_der(),
            "twoLOAllowed": true, "twoLOImpersonationAllowed": true,
        })
        .to_string();
        self.admin_put(
            &format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer"),
            &consumer,
            204,
        )?;

        let authorization = authorization(key, self.port, unix_now(), "configuration-check")?;
        let path = format!("{PATH}?{QUERY}");
        let (status, _, body) = http(
            self.port,
            "GET",
            &path,
            &[("Authorization", &authorization)],
            "",
        )?;
        ensure!(
            status == 200 && body.contains(r#""name":"alice""#),
            "a signed request was answered {status}: {body}"
        );
        Ok(())
    }

    fn admin_put(&self, path: &str, json: &str, expected: u16) -> anyhow::Result<()> {
        self.admin_call("PUT", path, json, expected).map(drop)
    }

    /// A REST call as `admin` with HTTP Basic, as a script would make it; answers the body.
    fn admin_call(
        &self,
        method: &str,
        path: &str,
        json: &str,
        expected: u16,
    ) -> anyhow::Result<String> {
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
        let headers = [
            ("Authorization", format!("Basic {basic}")),
            ("X-Atlassian-Token", "no-check".to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ];
        let headers: Vec<_> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let (status, _, body) = http(self.port, method, path, &headers, json)?;
        ensure!(
            status == expected,
            "{method} {path} answered {status}: {body}"
        );
        Ok(body)
    }

    /// Links this server to `remote` both ways with impersonation (the wizard's create call
    /// with the remote's administrator), signs `alice` in here, and answers her proxied request
    /// for the remote `myself`, checked once.
    fn proxy_request(&self, remote: &Server) -> anyhow::Result<String> {
        remote.add_alice()?;
        let create = serde_json::json!({
            "applicationLink": {"displayUrl": format!("http://127.0.0.1:{}", remote.port)},
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "createTwoWayLink": true,
            "configFormValues": {"shareUserbase": true, "trustEachOther": false},
        });
        let created = self.admin_call(
            "POST",
            "/rest/applinks/1.0/applicationlinkForm/createAppLink",
            &create.to_string(),
            201,
        )?;
        let created: serde_json::Value = serde_json::from_str(&created)?;
        let remote_id = created["id"]
            .as_str()
            .with_context(|| format!("the create call answered no id: {created}"))?;

        let cookie = self.sign_in("alice", ALICE_PASSWORD)?;
        let path = format!("{PROXY_PATH}?appId={remote_id}&path=%2Frest%2Fapi%2F1.0%2Fmyself");
        let (status, _, body) = http(self.port, "GET", &path, &[("Cookie", &cookie)], "")?;
        ensure!(
            status == 200 && body.contains(r#""name":"alice""#),
            "a proxied request was answered {status}: {body}"
        );
        Ok(format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nCookie: {cookie}\r\n\
             Connection: keep-alive\r\n\r\n",
            self.port
        ))
    }
}

impl Server {
    /// Signs `username` in through the form, as a browser would, and answers the session's
    /// `Cookie` header value.
    fn sign_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let form = format!(
            "username={username}&password={}",
            password.replace(' ', "+")
        );
        let form = form.replace('\'', "%27");
        let (status, head, _) = http(
            self.port,
            "POST",
            "/login",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            &form,
        )?;
        head.lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("set-cookie").then(|| {
                    value
                        .trim()
                        .split(';')
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
            })
            .with_context(|| format!("signing in answered {status} without a cookie: {head}"))
    }

    /// The resident memory of the server process, in KiB (`VmRSS` of `/proc/<pid>/status`).
    fn resident_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/<pid>/status")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// One blocking HTTP/1.1 exchange on a fresh connection, for setting up; answers the status,
/// the head and the body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> anyhow::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;

    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .with_context(|| format!("not an HTTP answer: {answer:?}"))?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    Ok((status, head.to_owned(), body.to_owned()))
}

/// The `Authorization` header of one measured request.
fn authorization(
    key: &PrivateKey,
    port: u16,
    timestamp: u64,
    nonce: &str,
) -> anyhow::Result<String> {
    let base_url = format!("http://127.0.0.1:{port}");
    let url = format!("{base_url}{PATH}?{QUERY}");
    let header = ClientRequest {
        method: "GET",
        url: &url,
        realm: Some(&base_url),
        consumer_key: CONSUMER_KEY,
        token: Some(""),
        timestamp,
        nonce,
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(key))?;
    Ok(header)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Single-core rates of the signature work alone, measured while the server idles.
#[derive(Debug)]
struct RawRates {
    /// `PublicKey::verify` of one base string: the physical limit SPEC §8 compares with.
    verify: f64,
    /// `SignedRequest::collect` of the header and query, then `verify`: the OAuth work of the
    /// server's path without the framework and the database.
    collect_and_verify: f64,
    /// `PrivateKey::sign`.
    sign: f64,
}

impl RawRates {
    fn measure(key: &PrivateKey, port: u16) -> anyhow::Result<Self> {
        let public = key.public_key();
        let header = authorization(key, port, unix_now(), "raw-rates")?;
        let incoming = IncomingRequest {
            method: "GET",
            scheme: "http",
            host: "127.0.0.1",
            port: Some(port),
            path: PATH,
            query: Some(QUERY),
            authorization: Some(&header),
            ..IncomingRequest::default()
        };
        let verifying = VerifyingKey::RsaSha1(&public);
        let request = SignedRequest::collect(&incoming)?;
        request.verify(&verifying)?;
        let base_string = request.base_string();
        let signature = key.sign(&base_string)?;
        ensure!(
            public.verify(&base_string, &signature),
            "the key cannot verify its own signature"
        );

        let verify = rate(Duration::from_secs(3), || {
            black_box(public.verify(black_box(&base_string), black_box(&signature)));
        });
        let collect_and_verify = rate(Duration::from_secs(2), || {
            let request = SignedRequest::collect(black_box(&incoming)).expect("collected before");
            black_box(request.verify(&verifying)).expect("verified before");
        });
        let sign = rate(Duration::from_secs(2), || {
            black_box(key.sign(black_box(&base_string))).expect("signed before");
        });
        Ok(Self {
            verify,
            collect_and_verify,
            sign,
        })
    }
}

/// Operations per second of `operation` run on this thread for about `budget`; the clock is
/// read once per batch so that reading it costs nothing measurable.
fn rate(budget: Duration, mut operation: impl FnMut()) -> f64 {
    const BATCH: u64 = 32;
    let started = Instant::now();
    let mut count = 0;
    loop {
        for _ in 0..BATCH {
            operation();
        }
        count += BATCH;
        let elapsed = started.elapsed();
        if elapsed >= budget {
            return count as f64 / elapsed.as_secs_f64();
        }
    }
}

/// Signs up to `limit` complete requests on every core within `budget`, each with its own
/// nonce and the current timestamp, as raw HTTP/1.1 bytes ready to write.
fn presign(
    key: &PrivateKey,
    port: u16,
    limit: usize,
    budget: Duration,
) -> anyhow::Result<Vec<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let timestamp = unix_now();
    let started = Instant::now();
    let deadline = started + budget;
    let next = AtomicUsize::new(0);
    let sign_until_done = || -> anyhow::Result<Vec<Vec<u8>>> {
        let mut signed = Vec::new();
        while Instant::now() < deadline {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= limit {
                break;
            }
            let authorization = authorization(key, port, timestamp, &format!("bench{index:09}"))?;
            let request = format!(
                "GET {PATH}?{QUERY} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                 Authorization: {authorization}\r\nConnection: keep-alive\r\n\r\n"
            );
            signed.push(request.into_bytes());
        }
        Ok(signed)
    };

    let batches = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(sign_until_done)).collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a signing thread panicked"))
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    let requests: Vec<_> = batches.into_iter().flatten().collect();
    println!(
        "Signed {} requests ahead on {threads} threads in {:.1} s.",
        requests.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(requests)
}

/// What the load phase saw.
#[derive(Debug, Default)]
struct Load {
    /// Answered 200 naming alice.
    succeeded: u64,
    /// Any other answer, or a broken connection.
    errors: u64,
    /// The first error, for the report.
    first_error: Option<String>,
    /// Latency of every request, in microseconds.
    latencies_us: Vec<u32>,
    elapsed: Duration,
    /// Whether the pre-signed requests ran out before the time did.
    exhausted: bool,
}

impl Load {
    fn merge(&mut self, other: Self) {
        self.succeeded += other.succeeded;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.latencies_us.extend(other.latencies_us);
    }

    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// Runs the pre-signed requests over `knobs.connections` keep-alive connections on one
/// client thread, until the time or the requests run out.
fn run_load(ports: &[u16], requests: Vec<Vec<u8>>, knobs: &Knobs) -> anyhow::Result<Load> {
    if knobs.spin {
        return run_spinning(ports, &requests, knobs);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut connections = Vec::with_capacity(knobs.connections);
        // Connections take the nodes in turn, as a round-robin load balancer would.
        for index in 0..knobs.connections {
            let port = ports[index % ports.len()];
            connections.push((port, Connection::open(port).await?));
        }

        let requests = Arc::new(requests);
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let deadline = started + knobs.duration;
        let mut tasks = tokio::task::JoinSet::new();
        for (port, connection) in connections {
            let (requests, next) = (Arc::clone(&requests), Arc::clone(&next));
            let expected = knobs.endpoint.expected_body();
            tasks.spawn(drive(connection, port, expected, requests, next, deadline));
        }
        let mut load = Load::default();
        while let Some(tally) = tasks.join_next().await {
            load.merge(tally?);
        }
        load.elapsed = started.elapsed();
        load.exhausted = next.load(Ordering::Relaxed) >= requests.len();
        Ok(load)
    })
}

/// One connection's share of the load: the next unused request, its answer, again.
async fn drive(
    mut connection: Connection,
    port: u16,
    expected: &'static [u8],
    requests: Arc<Vec<Vec<u8>>>,
    next: Arc<AtomicUsize>,
    deadline: Instant,
) -> Load {
    let mut load = Load::default();
    while Instant::now() < deadline {
        let Some(request) = requests.get(next.fetch_add(1, Ordering::Relaxed)) else {
            break;
        };
        let started = Instant::now();
        match connection.exchange(request).await {
            Ok(answer) if answer.status == 200 && contains(&answer.body, expected) => {
                load.succeeded += 1;
            }
            Ok(answer) => load.error(format!(
                "{} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
            )),
            Err(error) => load.error(format!("connection: {error}")),
        }
        load.latencies_us
            .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
        if connection.closed {
            // The server closed or broke the connection: carry on with a new one, unless none
            // can be made.
            match Connection::open(port).await {
                Ok(fresh) => connection = fresh,
                Err(_) => break,
            }
        }
    }
    load
}

/// [`run_load`] with a client that never sleeps: one thread visits every non-blocking
/// connection in turn, writing the next request where the last answer is in and reading what
/// has arrived elsewhere, so the server's answers find nobody to wake.
fn run_spinning(ports: &[u16], requests: &[Vec<u8>], knobs: &Knobs) -> anyhow::Result<Load> {
    /// A connection and the exchange in flight on it, if any.
    struct Slot {
        stream: TcpStream,
        port: u16,
        buffer: Vec<u8>,
        started: Option<Instant>,
        done: bool,
    }
    let open = |port: u16| -> io::Result<TcpStream> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        Ok(stream)
    };
    let mut slots = Vec::with_capacity(knobs.connections);
    for index in 0..knobs.connections {
        let port = ports[index % ports.len()];
        slots.push(Slot {
            stream: open(port)?,
            port,
            buffer: Vec::with_capacity(4096),
            started: None,
            done: false,
        });
    }
    let expected = knobs.endpoint.expected_body();
    let mut load = Load::default();
    let mut next = 0;
    let started = Instant::now();
    let deadline = started + knobs.duration;
    let mut chunk = [0; 4096];
    while slots.iter().any(|slot| !slot.done) {
        for slot in slots.iter_mut().filter(|slot| !slot.done) {
            let Some(began) = slot.started else {
                let request = requests.get(next).filter(|_| Instant::now() < deadline);
                let Some(request) = request else {
                    slot.done = true;
                    continue;
                };
                next += 1;
                slot.buffer.clear();
                slot.started = Some(Instant::now());
                if let Err(error) = write_spinning(&mut slot.stream, request) {
                    load.error(format!("connection: {error}"));
                    slot.started = None;
                    slot.stream = open(slot.port)?;
                }
                continue;
            };
            let (answer, close) = match slot.stream.read(&mut chunk) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                Ok(0) => (Err("the server closed the connection".to_owned()), true),
                Err(error) => (Err(format!("connection: {error}")), true),
                Ok(read) => {
                    slot.buffer.extend_from_slice(&chunk[..read]);
                    let Some(head_end) = find(&slot.buffer, b"\r\n\r\n").map(|end| end + 4) else {
                        continue;
                    };
                    match parse_head(&slot.buffer[..head_end]) {
                        Err(error) => (Err(format!("connection: {error}")), true),
                        Ok(head) if slot.buffer.len() < head_end + head.length => continue,
                        Ok(head) => {
                            let body = &slot.buffer[head_end..head_end + head.length];
                            let answer = if head.status == 200 && contains(body, expected) {
                                Ok(())
                            } else {
                                let shown = &body[..body.len().min(300)];
                                Err(format!(
                                    "{} {}",
                                    head.status,
                                    String::from_utf8_lossy(shown)
                                ))
                            };
                            (answer, head.close)
                        }
                    }
                }
            };
            match answer {
                Ok(()) => load.succeeded += 1,
                Err(error) => load.error(error),
            }
            load.latencies_us
                .push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
            slot.started = None;
            if close {
                slot.stream = open(slot.port)?;
            }
        }
    }
    load.elapsed = started.elapsed();
    load.exhausted = next >= requests.len();
    Ok(load)
}

/// Writes all of `bytes` to a non-blocking stream, spinning while its buffer is full.
fn write_spinning(stream: &mut TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(written) => bytes = &bytes[written..],
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => std::hint::spin_loop(),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A keep-alive connection with one request in flight at a time.
///
/// Only the status line, `Content-Length` and `Connection` are read: the server answers this
/// endpoint with a sized body.
struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
    /// Whether the server closed the connection, or said it would, or it broke.
    closed: bool,
}

/// An answer: its status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Connection {
    async fn open(port: u16) -> io::Result<Self> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
            closed: false,
        })
    }

    /// Writes `request` and reads its answer; an error leaves the connection closed.
    async fn exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        let answer = self.try_exchange(request).await;
        if answer.is_err() {
            self.closed = true;
        }
        answer
    }

    async fn try_exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        self.write_all(request).await?;
        self.buffer.clear();
        let head_end = loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                break end + 4;
            }
            self.read_more().await?;
        };
        let head = parse_head(&self.buffer[..head_end])?;
        self.closed = head.close;
        while self.buffer.len() < head_end + head.length {
            self.read_more().await?;
        }
        let body = self.buffer[head_end..head_end + head.length].to_vec();
        Ok(Answer {
            status: head.status,
            body,
        })
    }

    async fn write_all(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(bytes) {
                Ok(written) => bytes = &bytes[written..],
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Appends what the socket has to the buffer, waiting for at least one byte.
    async fn read_more(&mut self) -> io::Result<()> {
        let mut chunk = [0; 4096];
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(read) => {
                    self.buffer.extend_from_slice(&chunk[..read]);
                    return Ok(());
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// What the load reads of a response head.
struct Head {
    status: u16,
    /// `Content-Length`.
    length: usize,
    /// Whether the server said `Connection: close`.
    close: bool,
}

/// Reads the status line, `Content-Length` and `Connection` of a response head.
fn parse_head(head: &[u8]) -> io::Result<Head> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let head = std::str::from_utf8(head).map_err(|_| invalid("a head that is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|status| status.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let mut length = None;
    let mut close = false;
    for (name, value) in lines.filter_map(|line| line.split_once(':')) {
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse().ok();
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.trim().eq_ignore_ascii_case("close");
        }
    }
    let length = length.ok_or_else(|| invalid("an answer without Content-Length"))?;
    Ok(Head {
        status,
        length,
        close,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    find(haystack, needle).is_some()
}

/// `sysconf(_SC_CLK_TCK)`, the unit of `/proc/<pid>/stat` times, asked of `getconf` since this
/// crate forbids the `unsafe` a direct call needs; 100, Linux's value, if that fails.
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User plus system CPU time of a process, every thread included, in seconds.
fn cpu_seconds(pid: &str, clock_ticks: f64) -> anyhow::Result<f64> {
    let (user, system) = cpu_times(pid, clock_ticks)?;
    Ok(user + system)
}

/// The user and the system (kernel) CPU time of a process, every thread included, in seconds.
/// On loopback the system time holds the receiver's TCP path and the wake-ups that each send
/// runs, so it is the part of a request's cost that no change to the server's code removes.
fn cpu_times(pid: &str, clock_ticks: f64) -> anyhow::Result<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat (this benchmark needs Linux)"))?;
    // The command name, in parentheses, may hold spaces; fields 14 and 15 (utime, stime)
    // count from the state, field 3, which follows its closing parenthesis.
    let (_, fields) = stat
        .rsplit_once(')')
        .context("an unexpected /proc stat format")?;
    let fields: Vec<&str> = fields.split_whitespace().collect();
    let ticks = |field: usize| -> anyhow::Result<f64> {
        let value = fields
            .get(field - 3)
            .context("a /proc stat line too short")?;
        Ok(value.parse::<f64>()?)
    };
    Ok((ticks(14)? / clock_ticks, ticks(15)? / clock_ticks))
}

/// Prints the run's figures as a Markdown table, ready for `docs/performance.md`.
fn report(knobs: &Knobs, raw: &RawRates, load: &Load, cpu: &Cpu, client_cpu: f64) {
    let mut latencies = load.latencies_us.clone();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies
            .get(index)
            .map_or(0.0, |&us| f64::from(us) / 1000.0)
    };
    let seconds = load.elapsed.as_secs_f64();
    let throughput = load.succeeded as f64 / seconds;
    // In a cluster the database works for every request too, so it counts as server CPU.
    let server_cpu = cpu.servers + cpu.database.unwrap_or(0.0);
    let per_cpu_second = load.succeeded as f64 / server_cpu;
    let server_threads = knobs
        .server_threads
        .map_or_else(|| "tokio default".to_owned(), |threads| threads.to_string());

    println!();
    println!(
        "GET {}: {}, {} connections ({} client), {} server worker threads, {seconds:.2} s{}, \
         {} cores",
        knobs.endpoint.path(),
        if cpu.database.is_some() {
            format!("{} nodes on one PostgreSQL", cpu.nodes)
        } else {
            "1 node on SQLite".to_owned()
        },
        knobs.connections,
        if knobs.spin { "spinning" } else { "waiting" },
        server_threads,
        if load.exhausted {
            " (requests used up)"
        } else {
            ""
        },
        std::thread::available_parallelism().map_or(1, usize::from),
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| RSA-SHA1 verify, 1 core | {:.0}/s ({:.1} µs) |",
        raw.verify,
        1e6 / raw.verify
    );
    println!(
        "| collect + verify, 1 core | {:.0}/s ({:.1} µs) |",
        raw.collect_and_verify,
        1e6 / raw.collect_and_verify
    );
    println!(
        "| RSA-SHA1 sign, 1 core | {:.0}/s ({:.0} µs) |",
        raw.sign,
        1e6 / raw.sign
    );
    println!("| requests answered 200 | {} |", load.succeeded);
    println!("| errors | {} |", load.errors);
    println!("| server throughput | {throughput:.0} req/s |");
    println!(
        "| latency p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
        percentile(0.5),
        percentile(0.99),
        percentile(1.0)
    );
    println!(
        "| server CPU | {server_cpu:.2} s ({:.2} cores busy) |",
        server_cpu / seconds
    );
    println!(
        "| of which the nodes' kernel time | {:.2} s ({:.1} µs per request) |",
        cpu.servers_system,
        1e6 * cpu.servers_system / load.succeeded as f64
    );
    if let Some(database) = cpu.database {
        println!(
            "| of which PostgreSQL | {database:.2} s ({:.2} cores busy) |",
            database / seconds
        );
    }
    if let Some(remote) = cpu.remote {
        println!(
            "| remote server CPU (not counted above) | {remote:.2} s ({:.2} cores busy) |",
            remote / seconds
        );
    }
    println!(
        "| client CPU | {client_cpu:.2} s ({:.2} cores busy) |",
        client_cpu / seconds
    );
    println!(
        "| requests per server-CPU-second | {per_cpu_second:.0} ({:.1} µs each) |",
        1e6 / per_cpu_second
    );
    println!("| throughput ÷ verify/s | {:.2} |", throughput / raw.verify);
    println!(
        "| per server-CPU-second ÷ verify/s | {:.2} |",
        per_cpu_second / raw.verify
    );
    println!(
        "| per server-CPU-second ÷ sign/s | {:.2} |",
        per_cpu_second / raw.sign
    );
    if let Some(error) = &load.first_error {
        println!();
        println!("First error: {error}");
    }
}

/// `APPLINKS_BENCH_ENDPOINT=links` (SPEC §8): stores `count` links through the REST API as an
/// administrator's session, then times the administrators' list (its first, a middle and its
/// last page, in turn) and the REST list of every link, and reads the server's resident
/// memory before, once idle with the links, and after each.
fn measure_links(server: &Server, count: usize) -> anyhow::Result<()> {
    let empty_kib = server.resident_kib()?;
    let cookie = server.sign_in("admin", ADMIN_PASSWORD)?;
    let session = [
        ("Cookie", cookie.as_str()),
        ("X-Atlassian-Token", "no-check"),
        ("Content-Type", "application/json"),
    ];
    let storing = Instant::now();
    for index in 0..count {
        // A closed port on loopback (allowed to this server), so that a background check
        // fails at once, without waiting on a resolver for a name that does not exist.
        let link = serde_json::json!({
            "name": format!("Jira {index:05}"), "typeId": "jira",
            "displayUrl": format!("http://127.0.0.1:9/jira{index}"),
        });
        let path =
            format!("/rest/applinks/1.0/applicationlink/6f1c7a52-0000-4000-8000-{index:012}");
        let (status, _, body) = http(server.port, "PUT", &path, &session, &link.to_string())?;
        ensure!(status == 201, "PUT {path} answered {status}: {body}");
    }
    let stored_in = storing.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let idle_kib = server.resident_kib()?;

    let pages = count.div_ceil(50).max(1);
    let mut list_ms = Vec::new();
    for round in 0..60 {
        let page = [1, pages.div_ceil(2), pages][round % 3];
        let path = format!("{LIST_PATH}?page={page}");
        let started = Instant::now();
        let (status, _, body) = http(server.port, "GET", &path, &session[..1], "")?;
        list_ms.push(started.elapsed().as_secs_f64() * 1e3);
        ensure!(
            status == 200 && contains(body.as_bytes(), Endpoint::Links.expected_body()),
            "GET {path} answered {status}"
        );
    }
    let listed_kib = server.resident_kib()?;

    let mut rest_ms = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let (status, _, body) = http(
            server.port,
            "GET",
            "/rest/applinks/1.0/applicationlink",
            &session[..1],
            "",
        )?;
        rest_ms.push(started.elapsed().as_secs_f64() * 1e3);
        ensure!(status == 200, "the REST list answered {status}: {body}");
    }
    let rest_kib = server.resident_kib()?;
    let refresh = match std::env::var("APPLINKS_STATUS_INTERVAL") {
        Ok(interval) if interval.parse::<u64>().is_ok_and(|secs| secs > 0) => {
            Some(await_refresh(server, &session[..1], pages)?)
        }
        _ => None,
    };

    let spread = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
        format!("{:.1} / {:.1} / {:.1} ms", at(0.5), at(0.9), at(1.0))
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!();
    println!("The administrators' list with {count} links, 1 node on SQLite");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| links stored through the REST API | {count} in {:.1} s |",
        stored_in.as_secs_f64()
    );
    println!(
        "| list page (first, middle, last), p50 / p90 / max | {} |",
        spread(list_ms)
    );
    println!(
        "| REST list of every link, p50 / p90 / max | {} |",
        spread(rest_ms)
    );
    println!("| resident memory, no links | {:.1} MiB |", mib(empty_kib));
    println!(
        "| resident memory, idle with the links | {:.1} MiB |",
        mib(idle_kib)
    );
    println!(
        "| resident memory, after the list pages | {:.1} MiB |",
        mib(listed_kib)
    );
    println!(
        "| resident memory, after the REST lists | {:.1} MiB |",
        mib(rest_kib)
    );
    if let Some((took, during)) = refresh {
        println!(
            "| every link checked, from the end of the REST lists | {:.1} s |",
            took.as_secs_f64()
        );
        println!(
            "| list page while the checks ran, p50 / p90 / max | {} |",
            spread(during)
        );
    }
    Ok(())
}

/// With background checks on (`APPLINKS_STATUS_INTERVAL`, which the server inherits), reads
/// every page of the list until no link is "Not checked yet"; answers how long that took and
/// the latency of each page read meanwhile.
fn await_refresh(
    server: &Server,
    cookie: &[(&str, &str)],
    pages: usize,
) -> anyhow::Result<(Duration, Vec<f64>)> {
    let started = Instant::now();
    let mut during = Vec::new();
    loop {
        let mut unchecked = 0;
        for page in 1..=pages {
            let path = format!("{LIST_PATH}?page={page}");
            let asked = Instant::now();
            let (status, _, body) = http(server.port, "GET", &path, cookie, "")?;
            during.push(asked.elapsed().as_secs_f64() * 1e3);
            ensure!(status == 200, "GET {path} answered {status}");
            unchecked += body.matches("Not checked yet").count();
        }
        if unchecked == 0 {
            return Ok((started.elapsed(), during));
        }
        ensure!(
            started.elapsed() < Duration::from_secs(600),
            "{unchecked} links were still unchecked after 10 minutes"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}
