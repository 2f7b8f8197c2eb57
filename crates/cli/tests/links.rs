//! Links between real `applinks serve` processes on loopback: the wizard's create call 1-way
//! and 2-way, OAuth with impersonation working in both directions, refused credentials,
//! deletion with reciprocation, primary links, relocation, a half-made link repaired, and the
//! deprecated Basic outgoing authentication; the proxy refusing denied addresses, and streaming
//! answers whole under its size cap and cut past it.

mod support;

use serde_json::{Value, json};
use support::{
    ADMIN_PASSWORD, Answer, Relay, Server, add_user, basic, create_link, data_dir, password_of,
    request,
};

/// A server whose outgoing client may reach loopback, where its peers live in these tests.
fn peer(name: &str) -> (Server, std::path::PathBuf) {
    let dir = data_dir(name);
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

/// `GET /rest/api/1.0/myself` on the application `app_id` linked from `via`, as `user`.
fn myself_through(via: &Server, app_id: &str, user: &str) -> Answer {
    let path =
        format!("/plugins/servlet/applinks/proxy?appId={app_id}&path=%2Frest%2Fapi%2F1.0%2Fmyself");
    let authorization = basic(user, &password_of(user));
    request(
        via.port,
        "GET",
        &path,
        &[("Authorization", &authorization)],
        "",
    )
    .unwrap()
}

#[test]
fn a_two_way_link_with_impersonation_acts_as_the_same_user_both_ways() {
    let (a, a_dir) = peer("links-a");
    let (b, b_dir) = peer("links-b");
    for dir in [&a_dir, &b_dir] {
        add_user(dir, "alice");
    }
    let created = create_link(&a, &b, true, true, ADMIN_PASSWORD);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.json()["authenticationLevel"],
        "OAuth (impersonation)"
    );
    assert_eq!(created.json()["id"], server_id(&b));
    assert!(created.json().get("pending").is_none(), "{}", created.body);

    assert_eq!(link_ids(&a), [server_id(&b)]);
    assert_eq!(link_ids(&b), [server_id(&a)], "the reciprocal link exists");
    let status = b.admin_json(
        "GET",
        &format!("/rest/applinks/3.0/status/{}/oauth", server_id(&a)),
        &Value::Null,
    );
    assert_eq!(
        status.json()["incoming"]["twoLoImpersonationEnabled"],
        true,
        "{}",
        status.body
    );

    let there = myself_through(&a, &server_id(&b), "alice");
    assert_eq!(there.status, 200, "{}", there.body);
    assert_eq!(there.json()["name"], "alice");
    let back = myself_through(&b, &server_id(&a), "alice");
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(back.json()["name"], "alice");
}

#[test]
fn a_one_way_link_creates_nothing_on_the_remote() {
    let (a, _) = peer("one-way-a");
    let (b, _) = peer("one-way-b");
    let created = create_link(&a, &b, false, false, "");
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["authenticationLevel"], "OAuth");
    assert_eq!(link_ids(&a), [server_id(&b)]);
    assert!(link_ids(&b).is_empty());
}

#[test]
fn wrong_remote_credentials_are_refused_and_nothing_is_created() {
    let (a, _) = peer("wrong-credentials-a");
    let (b, _) = peer("wrong-credentials-b");
    let refused = create_link(&a, &b, true, true, "not the password");
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("refused the administrator credentials"),
        "{}",
        refused.body
    );
    assert!(link_ids(&a).is_empty());
    assert!(link_ids(&b).is_empty());
}

#[test]
fn deleting_with_reciprocate_removes_both_sides() {
    let (a, _) = peer("delete-a");
    let (b, _) = peer("delete-b");
    assert_eq!(create_link(&a, &b, true, true, ADMIN_PASSWORD).status, 201);
    let path = format!(
        "/rest/applinks/1.0/applicationlink/{}?reciprocate=true",
        server_id(&b)
    );
    let deleted = a.admin_json("DELETE", &path, &Value::Null);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert!(link_ids(&a).is_empty());
    assert!(link_ids(&b).is_empty(), "the remote side went too");
}

#[test]
fn primary_links_switch_and_another_is_promoted_when_the_primary_goes() {
    let (a, _) = peer("primary-a");
    let (b, _) = peer("primary-b");
    let (c, _) = peer("primary-c");
    assert_eq!(create_link(&a, &b, false, false, "").status, 201);
    assert_eq!(create_link(&a, &c, false, false, "").status, 201);
    let primary = |server: &Server| {
        server
            .admin_json(
                "GET",
                "/rest/applinks/1.0/applicationlink/primary/generic",
                &Value::Null,
            )
            .json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        primary(&a),
        server_id(&b),
        "the first link of a type is primary"
    );

    let made = a.admin_json(
        "POST",
        &format!(
            "/rest/applinks/1.0/applicationlink/primary/{}",
            server_id(&c)
        ),
        &Value::Null,
    );
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(primary(&a), server_id(&c));

    let deleted = a.admin_json(
        "DELETE",
        &format!("/rest/applinks/1.0/applicationlink/{}", server_id(&c)),
        &Value::Null,
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(primary(&a), server_id(&b), "another link was promoted");
}

#[test]
fn a_relocated_link_follows_the_moved_application() {
    let (a, a_dir) = peer("relocate-a");
    let (b, b_dir) = peer("relocate-b");
    for dir in [&a_dir, &b_dir] {
        add_user(dir, "alice");
    }
    assert_eq!(create_link(&a, &b, true, true, ADMIN_PASSWORD).status, 201);
    let b_id = server_id(&b);
    drop(b);

    // The application moves: same data, another address.
    let moved = Server::start_with(&b_dir, &["--outbound-allow", "127.0.0.0/8"], &[]);
    assert_eq!(
        myself_through(&a, &b_id, "alice").status,
        502,
        "the old address is gone"
    );
    let relocation =
        json!({"name": "B, moved", "displayUrl": moved.base_url(), "rpcUrl": moved.base_url()});
    let relocated = a.admin_json(
        "PUT",
        &format!("/rest/applinks/1.0/applicationlink/{b_id}"),
        &relocation,
    );
    assert_eq!(relocated.status, 200, "{}", relocated.body);
    assert_eq!(relocated.json()["rpcUrl"], moved.base_url());
    let there = myself_through(&a, &b_id, "alice");
    assert_eq!(there.status, 200, "{}", there.body);
    assert_eq!(there.json()["name"], "alice");
}

#[test]
fn a_half_made_link_is_marked_and_repaired_once_the_remote_is_back() {
    let (a, _) = peer("half-made-a");
    let (b, _) = peer("half-made-b");
    // A relay in front of B that lets the first connections through, then stops answering:
    // the remote goes away in the middle of the 2-way flow, after the reciprocal link exists.
    let relay = Relay::start(b.port, 4);
    let body = json!({
        "applicationLink": {"displayUrl": relay.url()},
        "username": "admin",
        "password": ADMIN_PASSWORD,
        "createTwoWayLink": true,
        "configFormValues": {"shareUserbase": true},
    });
    let created = a.admin_json(
        "POST",
        "/rest/applinks/1.0/applicationlinkForm/createAppLink",
        &body,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let pending = created.json()["pending"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !pending.is_empty(),
        "the half-made link says so: {}",
        created.body
    );
    assert!(created.body.contains("half-made"), "{}", created.body);
    let listed = a.admin_json(
        "GET",
        &format!("/rest/applinks/1.0/applicationlink/{}", server_id(&b)),
        &Value::Null,
    );
    assert!(
        listed.json()["pending"].is_string(),
        "and stays marked: {}",
        listed.body
    );

    relay.reopen();
    let repair = json!({"username": "admin", "password": ADMIN_PASSWORD});
    let repaired = a.admin_json(
        "POST",
        &format!(
            "/rest/applinks/1.0/applicationlink/{}/repair",
            server_id(&b)
        ),
        &repair,
    );
    assert_eq!(repaired.status, 200, "{}", repaired.body);
    assert!(
        repaired.json().get("pending").is_none(),
        "{}",
        repaired.body
    );
    let consumer = b.admin_json(
        "GET",
        &format!(
            "/rest/applinks-oauth/1.0/applicationlink/{}/authentication/consumer",
            server_id(&a)
        ),
        &Value::Null,
    );
    assert_eq!(
        consumer.status, 200,
        "the remote now trusts us: {}",
        consumer.body
    );
}

#[test]
fn a_link_with_basic_authentication_acts_as_its_service_account_and_is_flagged_deprecated() {
    let (a, a_dir) = peer("basic-a");
    let (b, b_dir) = peer("basic-b");
    add_user(&a_dir, "alice");
    add_user(&b_dir, "robot");
    let created = create_link(&a, &b, false, false, "");
    assert_eq!(created.status, 201, "{}", created.body);
    let b_id = server_id(&b);
    let off = json!({"outgoing": {
        "enabled": false, "twoLoEnabled": false, "twoLoImpersonationEnabled": false,
    }});
    let status_path = format!("/rest/applinks/3.0/status/{b_id}/oauth");
    let changed = a.admin_json("PUT", &status_path, &off);
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(myself_through(&a, &b_id, "alice").status, 409);

    let provider_path =
        format!("/rest/applinks/2.0/applicationlink/{b_id}/authentication/provider");
    let basic_provider = json!({
        "provider": "com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider",
        "config": {"username": "robot", "password": password_of("robot")},
    });
    let set = a.admin_json("PUT", &provider_path, &basic_provider);
    assert_eq!(set.status, 204, "{}", set.body);
    let listed = a.admin_json("GET", &provider_path, &Value::Null);
    assert!(
        !listed.body.contains(&password_of("robot")),
        "{}",
        listed.body
    );

    // Every user acts as the service account over there.
    let there = myself_through(&a, &b_id, "alice");
    assert_eq!(there.status, 200, "{}", there.body);
    assert_eq!(there.json()["name"], "robot");

    let status = a.admin_json(
        "GET",
        &format!("/rest/applinks/3.0/status/{b_id}?refresh=true"),
        &Value::Null,
    );
    assert_eq!(status.json()["working"], false, "{}", status.body);
    assert_eq!(status.json()["error"]["category"], "DEPRECATED");
    assert_eq!(status.json()["error"]["type"], "MANUAL_LEGACY_UPDATE");
}

#[test]
fn the_proxy_refuses_links_to_denied_addresses_without_connecting() {
    // No --outbound-allow: loopback, link-local and private addresses are all denied.
    let dir = data_dir("ssrf");
    let server = Server::start(&dir);
    add_user(&dir, "alice");

    // A loopback listener that would see any connection; nothing accepts, so a connection
    // made would wait in its queue for the check at the end.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let loopback = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    // The other two are never dialled: the guard refuses them before connecting, and the
    // answer says so at once.
    let targets = [
        ("loopback-1", loopback.as_str()),
        ("metadata-1", "http://169.254.169.254"),
        ("private-1", "http://10.0.0.1"),
    ];
    for (id, url) in targets {
        let link =
            json!({"id": id, "name": id, "typeId": "generic", "displayUrl": url, "rpcUrl": url});
        let made = server.admin_json(
            "PUT",
            &format!("/rest/applinks/1.0/applicationlink/{id}"),
            &link,
        );
        assert!(made.status == 200 || made.status == 201, "{}", made.body);
        let two_lo = json!({"outgoing": {
            "enabled": false, "twoLoEnabled": true, "twoLoImpersonationEnabled": false,
        }});
        let path = format!("/rest/applinks/3.0/status/{id}/oauth");
        assert_eq!(server.admin_json("PUT", &path, &two_lo).status, 200);
    }

    for (id, url) in targets {
        let started = std::time::Instant::now();
        let refused = myself_through(&server, id, "alice");
        assert_eq!(refused.status, 409, "{url}: {}", refused.body);
        assert!(
            refused.json()["errors"][0]
                .as_str()
                .unwrap()
                .contains("may not connect to"),
            "{url}: {}",
            refused.body
        );
        assert!(
            !refused.body.contains("--outbound-allow"),
            "{}",
            refused.body
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{url} was refused only after {:?}",
            started.elapsed()
        );
    }

    // Neither the proxy nor the new links' status checks reached the listener.
    listener.set_nonblocking(true).unwrap();
    let accepted = listener.accept();
    assert!(
        accepted
            .as_ref()
            .is_err_and(|error| error.kind() == std::io::ErrorKind::WouldBlock),
        "something connected to the denied loopback address: {accepted:?}"
    );
}

/// A linked application on loopback that answers every request with `length` bytes of text in
/// chunks of 64 KiB, without announcing the length.
fn chunked_remote(length: usize) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let _ = (|| -> std::io::Result<()> {
                    stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
                          Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                    )?;
                    for chunk in text_of(length).as_bytes().chunks(64 * 1024) {
                        write!(stream, "{:x}\r\n", chunk.len())?;
                        stream.write_all(chunk)?;
                        stream.write_all(b"\r\n")?;
                    }
                    stream.write_all(b"0\r\n\r\n")
                })();
            });
        }
    });
    url
}

/// `length` bytes of text that differ along their length, so that a lost or repeated chunk
/// shows.
fn text_of(length: usize) -> String {
    (0..length)
        .map(|index| char::from(b'a' + ((index / 7 + index / 4096) % 26) as u8))
        .collect()
}

#[test]
fn the_proxy_streams_answers_whole_under_its_cap_and_cuts_them_past_it() {
    const MIB: usize = 1024 * 1024;
    let (server, dir) = peer("stream");
    add_user(&dir, "alice");
    // The proxy's cap is 16 MiB by default.
    for (id, length) in [("large-1", 4 * MIB), ("huge-1", 20 * MIB)] {
        let url = chunked_remote(length);
        let link =
            json!({"id": id, "name": id, "typeId": "generic", "displayUrl": url, "rpcUrl": url});
        let path = format!("/rest/applinks/1.0/applicationlink/{id}");
        let made = server.admin_json("PUT", &path, &link);
        assert!(made.status == 200 || made.status == 201, "{}", made.body);
        let two_lo = json!({"outgoing": {
            "enabled": false, "twoLoEnabled": true, "twoLoImpersonationEnabled": false,
        }});
        let path = format!("/rest/applinks/3.0/status/{id}/oauth");
        assert_eq!(server.admin_json("PUT", &path, &two_lo).status, 200);
    }
    let through = |id: &str| {
        let path = format!("/plugins/servlet/applinks/proxy?appId={id}&path=%2Freport");
        let authorization = basic("alice", &password_of("alice"));
        request(
            server.port,
            "GET",
            &path,
            &[("Authorization", &authorization)],
            "",
        )
    };

    let large = through("large-1").expect("a complete answer");
    assert_eq!(large.status, 200);
    assert_eq!(large.header("Content-Type"), "text/plain");
    assert_eq!(large.body.len(), 4 * MIB);
    assert!(large.body == text_of(4 * MIB), "the body arrived altered");

    // Past the cap the connection is cut before the last chunk: no complete answer arrives.
    let started = std::time::Instant::now();
    let huge = through("huge-1");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(9),
        "the answer ended only at the client's read timeout, after {:?}",
        started.elapsed()
    );
    assert!(
        huge.is_none(),
        "an answer past the cap looked complete: {:?} with {:?} bytes",
        huge.as_ref().map(|answer| answer.status),
        huge.as_ref().map(|answer| answer.body.len())
    );
}
