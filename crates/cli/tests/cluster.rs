//! A cluster: two `applinks serve` nodes on one real PostgreSQL server (started from Debian's
//! binaries by `scripts/test-postgres`), behind one base URL as a load balancer would give them.
//! Whatever one node writes or remembers, the other sees; a database restart in the middle of
//! a stream of writes loses nothing that was acknowledged.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use applinks_oauth1::{ClientRequest, PrivateKey, Secret, SigningKey};
use serde_json::{Value, json};
use support::{
    ADMIN_PASSWORD, Answer, Server, add_user_at, basic, data_dir, free_port, request, serve_command,
};

/// The base URL both nodes share, as a load balancer's would be.
const BASE_URL: &str = "http://links.cluster.test";
const LINK_ID: &str = "5c1d2e3f-0a9b-4c8d-8e7f-6a5b4c3d2e1f";
const CONSUMER: &str = "cluster-peer:1";
const CALLBACK: &str = "https://peer.example.com/callback";

/// A throwaway PostgreSQL server, stopped and deleted when dropped.
struct Postgres {
    url: String,
    data: String,
}

impl Postgres {
    fn start() -> Self {
        let output = Command::new(script())
            .arg("start")
            .output()
            .expect("scripts/test-postgres");
        assert!(
            output.status.success(),
            "cannot start PostgreSQL (apt-get install postgresql): {}",
            support::text(&output.stderr)
        );
        let exports = support::text(&output.stdout);
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} in {exports}"))
                .to_owned()
        };
        Self {
            url: value("APPLINKS_TEST_POSTGRES_URL"),
            data: value("PGDATA_TEST"),
        }
    }

    fn control(&self, action: &str) {
        let status = Command::new(script())
            .args([action, &self.data])
            .status()
            .unwrap();
        assert!(status.success(), "scripts/test-postgres {action} failed");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", &self.data]).status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-postgres")
}

/// Two nodes on one database, sharing the base URL and the secret key.
struct Cluster {
    nodes: [Server; 2],
    postgres: Postgres,
    dir: PathBuf,
}

impl Cluster {
    fn start(name: &str) -> Self {
        Self::start_with(name, &[])
    }

    /// Starts the two nodes with `extra` flags.
    fn start_with(name: &str, extra: &[&str]) -> Self {
        let postgres = Postgres::start();
        let dir = data_dir(name);
        let start = |node: &str| {
            let port = free_port();
            let mut command = serve_command(&dir.join(node));
            command
                .args(["--database-url", &postgres.url])
                .arg("--secret-key-file")
                .arg(dir.join("secret.key"))
                .args([
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--base-url",
                    BASE_URL,
                ])
                .args(extra)
                .env("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD);
            Server::spawn(command, port)
        };
        // The first node creates the identity and the secret key; the second finds them.
        let first = start("node-1");
        let second = start("node-2");
        Self {
            nodes: [first, second],
            postgres,
            dir,
        }
    }

    fn node(&self, index: usize) -> &Server {
        &self.nodes[index]
    }

    fn add_user(&self, name: &str) {
        add_user_at(
            &[
                std::ffi::OsStr::new("--database-url"),
                self.postgres.url.as_ref(),
            ],
            name,
        );
    }

    /// A link and an RSA consumer allowing 3-legged, 2-legged and impersonation, via node 1.
    fn add_consumer(&self, key: &PrivateKey) {
        let link = json!({"id": LINK_ID, "name": "Peer", "displayUrl": "https://peer.example.com"});
        let created = self.node(0).admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{LINK_ID}"),
            &link,
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let consumer = json!({
            "key": CONSUMER, "name": "Peer", "publicKey": key.public_key().to_base64_der(),
            "callback": CALLBACK, "twoLOAllowed": true, "twoLOImpersonationAllowed": true,
        });
        let path =
            format!("/rest/applinks-oauth/1.0/applicationlink/{LINK_ID}/authentication/consumer");
        assert_eq!(self.node(0).admin_json("PUT", &path, &consumer).status, 204);
    }
}

/// Signs a request for the shared base URL.
fn signed(
    key: &PrivateKey,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: Extra<'_>,
) -> String {
    let url = format!("{BASE_URL}{path}");
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    ClientRequest {
        method,
        url: &url,
        realm: Some(BASE_URL),
        consumer_key: CONSUMER,
        token,
        timestamp,
        nonce: &applinks_oauth1::generate_nonce(),
        callback: extra.callback,
        verifier: extra.verifier,
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(key))
    .unwrap()
}

#[derive(Default, Clone, Copy)]
struct Extra<'a> {
    callback: Option<&'a str>,
    verifier: Option<&'a Secret>,
}

fn send(server: &Server, method: &str, path: &str, authorization: &str) -> Answer {
    request(
        server.port,
        method,
        path,
        &[("Authorization", authorization)],
        "",
    )
    .unwrap_or_else(|| panic!("{method} {path}: no answer"))
}

fn form_value(body: &str, name: &str) -> String {
    body.split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .to_owned()
}

#[test]
fn a_link_created_through_one_node_appears_on_the_other() {
    let cluster = Cluster::start("cluster-links");
    let link =
        json!({"name": "Wiki", "typeId": "confluence", "displayUrl": "https://wiki.example.com"});
    let created =
        cluster
            .node(0)
            .admin_json("PUT", "/rest/applinks/1.0/applicationlink/wiki-1", &link);
    assert_eq!(created.status, 201, "{}", created.body);

    let read = cluster.node(1).admin_json(
        "GET",
        "/rest/applinks/1.0/applicationlink/wiki-1",
        &json!(null),
    );
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["name"], "Wiki");
    assert_eq!(read.json()["isPrimary"], true);

    // The audit log is the cluster's too: node 2 reports the change node 1 made.
    let log = cluster
        .node(1)
        .admin_json("GET", "/rest/applinks/1.0/auditlog", &json!(null));
    assert_eq!(log.status, 200, "{}", log.body);
    let events = log.json();
    let created = events
        .as_array()
        .unwrap()
        .iter()
        .find(|event| event["action"] == "link.create" && event["target"] == "wiki-1")
        .unwrap_or_else(|| panic!("no link.create of wiki-1 in {events}"));
    assert_eq!(created["actor"], "admin");
    assert_eq!(created["after"]["name"], "Wiki");

    let manifests: Vec<_> = (0..2)
        .map(|node| {
            cluster
                .node(node)
                .get(
                    "/rest/applinks/1.0/manifest",
                    &[("Accept", "application/json")],
                )
                .unwrap()
                .json()
        })
        .collect();
    assert_eq!(
        manifests[0]["id"], manifests[1]["id"],
        "one application, one id"
    );
    assert_eq!(manifests[0]["url"], BASE_URL);
}

#[test]
fn a_token_issued_by_one_node_works_on_the_other() {
    let cluster = Cluster::start("cluster-tokens");
    cluster.add_user("alice");
    let key = PrivateKey::generate().unwrap();
    cluster.add_consumer(&key);

    // Request token from node 1.
    let endpoint = "/plugins/servlet/oauth/request-token";
    let header = signed(
        &key,
        "POST",
        endpoint,
        None,
        Extra {
            callback: Some(CALLBACK),
            ..Extra::default()
        },
    );
    let issued = send(cluster.node(0), "POST", endpoint, &header);
    assert_eq!(issued.status, 200, "{}", issued.body);
    let request_token = form_value(&issued.body, "oauth_token");

    // Sign in on node 1, approve on node 2: sessions are shared too.
    let cookie = sign_in(cluster.node(0), "alice");
    let page = request(
        cluster.node(1).port,
        "GET",
        &format!("/plugins/servlet/oauth/authorize?oauth_token={request_token}"),
        &[("Cookie", &cookie)],
        "",
    )
    .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = support::csrf_token(&page.body);
    let decision = request(
        cluster.node(1).port,
        "POST",
        "/plugins/servlet/oauth/authorize",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("oauth_token={request_token}&csrf_token={csrf}&decision=allow"),
    )
    .unwrap();
    assert_eq!(decision.status, 303, "{}", decision.body);
    let verifier = form_value(
        decision.header("Location").split_once('?').unwrap().1,
        "oauth_verifier",
    );

    // Access token from node 1, used on node 2.
    let verifier = Secret::new(verifier);
    let endpoint = "/plugins/servlet/oauth/access-token";
    let header = signed(
        &key,
        "POST",
        endpoint,
        Some(&request_token),
        Extra {
            verifier: Some(&verifier),
            ..Extra::default()
        },
    );
    let exchanged = send(cluster.node(0), "POST", endpoint, &header);
    assert_eq!(exchanged.status, 200, "{}", exchanged.body);
    let access_token = form_value(&exchanged.body, "oauth_token");

    let header = signed(
        &key,
        "GET",
        "/rest/api/1.0/myself",
        Some(&access_token),
        Extra::default(),
    );
    let me = send(cluster.node(1), "GET", "/rest/api/1.0/myself", &header);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["name"], "alice");
}

fn sign_in(node: &Server, username: &str) -> String {
    support::sign_in(node, username, &support::password_of(username))
}

#[test]
fn a_session_ended_on_one_node_stops_on_the_other_within_a_second() {
    let cluster = Cluster::start("cluster-sessions");
    cluster.add_user("alice");
    let cookie = sign_in(cluster.node(0), "alice");
    let myself = |node: &Server| {
        request(
            node.port,
            "GET",
            "/rest/api/1.0/myself",
            &[("Cookie", &cookie)],
            "",
        )
        .unwrap()
        .status
    };
    // Node 2 reads the session once, and keeps it in its one-second cache.
    assert_eq!(myself(cluster.node(1)), 200);

    let page = request(
        cluster.node(0).port,
        "GET",
        "/logout",
        &[("Cookie", &cookie)],
        "",
    )
    .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    let token = support::csrf_token(&page.body);
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let body = format!("csrf_token={token}");
    let out = request(cluster.node(0).port, "POST", "/logout", &headers, &body).unwrap();
    assert_eq!(out.status, 303, "{}", out.body);
    // At once on the node that ended it; within a second on the other.
    assert_eq!(myself(cluster.node(0)), 401);
    let ended = Instant::now();
    while myself(cluster.node(1)) != 401 {
        assert!(
            ended.elapsed() < Duration::from_millis(1500),
            "the other node still honours the ended session"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_nonce_used_on_one_node_is_refused_on_the_other() {
    let cluster = Cluster::start("cluster-nonces");
    cluster.add_user("alice");
    let key = PrivateKey::generate().unwrap();
    cluster.add_consumer(&key);

    let path = "/rest/api/1.0/myself?xoauth_requestor_id=alice";
    let header = signed(&key, "GET", path, Some(""), Extra::default());
    assert_eq!(send(cluster.node(0), "GET", path, &header).status, 200);
    let replay = send(cluster.node(1), "GET", path, &header);
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(
        replay.body.contains("oauth_problem=nonce_used"),
        "{}",
        replay.body
    );
}

#[test]
fn a_database_restart_loses_nothing_acknowledged_and_nodes_recover() {
    let cluster = Cluster::start("cluster-restart");

    // While the database is down, a node still serves what needs no database and says why
    // it cannot serve the rest.
    cluster.postgres.control("pause");
    let node = cluster.node(0);
    assert_eq!(
        node.get("/rest/applinks/1.0/manifest", &[]).unwrap().status,
        200
    );
    assert_eq!(node.get("/readyz", &[]).unwrap().status, 503);
    let refused = node.admin_json(
        "PUT",
        "/rest/applinks/1.0/applicationlink/during-outage",
        &json!({"name": "x", "displayUrl": "https://x.example.com"}),
    );
    assert!(refused.status == 503, "{} {}", refused.status, refused.body);
    cluster.postgres.control("resume");
    wait_until_ready(&cluster);

    // A stream of writes across both nodes, with a restart in the middle.
    let stop_at = Instant::now() + Duration::from_secs(12);
    let restarter = {
        let data = cluster.postgres.data.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let paused = Instant::now();
            for action in ["pause", "resume"] {
                let status = Command::new(script())
                    .args([action, &data])
                    .status()
                    .unwrap();
                assert!(status.success());
                std::thread::sleep(Duration::from_secs(1));
            }
            (paused, Instant::now())
        })
    };
    let first_write = Instant::now();
    let mut acknowledged = Vec::new();
    let mut refusals = 0;
    let mut written = 0;
    while Instant::now() < stop_at {
        let id = format!("stream-{written}");
        let body = json!({"name": id, "displayUrl": format!("https://{id}.example.com")});
        let answer = request(
            cluster.node(written % 2).port,
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{id}"),
            &[
                ("Authorization", &basic("admin", ADMIN_PASSWORD)),
                ("X-Atlassian-Token", "no-check"),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        );
        match answer {
            Some(answer) if answer.status == 201 => acknowledged.push(id),
            Some(answer) => {
                assert!(
                    answer.status == 503,
                    "unexpected {} {}",
                    answer.status,
                    answer.body
                );
                refusals += 1;
            }
            None => refusals += 1,
        }
        written += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    let last_write = Instant::now();
    let (paused, resumed) = restarter.join().unwrap();
    wait_until_ready(&cluster);

    // Requests during the outage either wait for the database (the pool retries within its
    // acquire timeout) or are refused with 503; none may be acknowledged and then lost.
    assert!(
        first_write < paused && resumed < last_write,
        "the restart fell inside the stream"
    );
    eprintln!(
        "{} writes, {} acknowledged, {refusals} refused",
        written,
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 20,
        "writes before and after the restart: {}",
        acknowledged.len()
    );
    let listed =
        cluster
            .node(1)
            .admin_json("GET", "/rest/applinks/1.0/applicationlink", &json!(null));
    let stored: Vec<String> = listed.json()["applicationLinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["id"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let last = acknowledged.last().unwrap();
    let index: usize = last.trim_start_matches("stream-").parse().unwrap();
    assert!(
        index + 20 > written,
        "the nodes recovered by themselves and kept writing ({index} of {written})"
    );
    let _ = &cluster.dir;
}

fn wait_until_ready(cluster: &Cluster) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for node in &cluster.nodes {
        while node.get("/readyz", &[]).map(|answer| answer.status) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "a node did not recover after the database came back"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn background_status_checks_run_once_per_link_across_the_cluster() {
    let cluster = Cluster::start_with(
        "cluster-status",
        &["--status-interval", "1", "--outbound-allow", "127.0.0.0/8"],
    );
    let remote = CountingRemote::start();
    let link = json!({"name": "Reports", "typeId": "generic", "displayUrl": remote.url()});
    let created =
        cluster
            .node(0)
            .admin_json("PUT", "/rest/applinks/1.0/applicationlink/reports-1", &link);
    assert_eq!(created.status, 201, "{}", created.body);

    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(6));
    let checks = remote.requests();
    let elapsed = started.elapsed().as_secs();
    // Each node ticks every second; without the lease the remote would see about two checks a
    // second. With it, one node checks per second at most.
    assert!(
        checks >= 3,
        "the link was checked: {checks} checks in {elapsed} s"
    );
    assert!(
        checks <= elapsed as usize + 2,
        "once per interval across both nodes: {checks} checks in {elapsed} s"
    );

    let status =
        cluster
            .node(1)
            .admin_json("GET", "/rest/applinks/3.0/status/reports-1", &Value::Null);
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.json()["working"], true, "{}", status.body);
}

/// A remote application that is not an application-links peer (it answers 404 to everything)
/// and counts the requests it gets.
struct CountingRemote {
    port: u16,
    count: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingRemote {
    fn start() -> Self {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = count.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut buffer = [0; 4096];
                let _ = stream.read(&mut buffer);
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        Self { port, count }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }
}
