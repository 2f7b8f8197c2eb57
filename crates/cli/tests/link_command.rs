//! `applinks link …` as an administrator runs it: a child process talking to real `applinks
//! serve` processes on loopback through the REST API. Covers the 1-way life of a link (create,
//! list, edit, primary, relocate, delete), the authentication levels `edit` sets, a 2-way link
//! deleted on both sides, a half-made link and its repair, and the exit codes of refused
//! credentials, an unreachable server and bad usage.

mod support;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::{ADMIN_PASSWORD, BIN, Relay, Server, data_dir, free_port, text};

/// A server whose outgoing client may reach loopback, where its peers live in these tests.
fn peer(name: &str) -> Server {
    let dir = data_dir(name);
    Server::start_with(
        &dir,
        &["--outbound-allow", "127.0.0.0/8", "--name", name],
        &[("APPLINKS_ADMIN_PASSWORD", ADMIN_PASSWORD)],
    )
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

/// Runs `applinks link ARGS` against `url` as the administrator, with `env` added and `stdin`
/// as standard input. Nothing from the test's own environment chooses the server or the user.
fn link_at(url: &str, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("link")
        .args(args)
        .env("APPLINKS_URL", url)
        .env("APPLINKS_PASSWORD", ADMIN_PASSWORD)
        .env_remove("APPLINKS_USER")
        .env_remove("APPLINKS_REMOTE_PASSWORD")
        .envs(env.iter().copied())
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

/// `applinks link ARGS` against `server`, which must succeed; returns standard output.
fn link_ok(server: &Server, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = link_at(&server.base_url(), args, env, "");
    assert!(
        output.status.success(),
        "applinks link {args:?} failed: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// The links of `server`, from `applinks link list --json`.
fn listed(server: &Server) -> Vec<Value> {
    let json: Value = serde_json::from_str(&link_ok(server, &["list", "--json"], &[])).unwrap();
    json["applicationLinks"].as_array().unwrap().clone()
}

fn link_named<'a>(links: &'a [Value], id: &str) -> &'a Value {
    links
        .iter()
        .find(|link| link["id"] == id)
        .unwrap_or_else(|| panic!("no link {id} in {links:?}"))
}

#[test]
fn a_one_way_link_is_created_listed_edited_made_primary_relocated_and_deleted() {
    let a = peer("cmd-life-a");
    let b = peer("cmd-life-b");
    let c = peer("cmd-life-c");
    let (b_id, c_id) = (server_id(&b), server_id(&c));

    let created = link_ok(&a, &["create", &b.base_url(), "--name", "Bee"], &[]);
    assert!(created.contains("Created a 1-way link to Bee"), "{created}");
    assert!(created.contains(&b_id), "{created}");
    assert!(created.contains("authentication  OAuth"), "{created}");
    assert!(
        listed(&b).is_empty(),
        "a 1-way link creates nothing on the remote"
    );

    let table = link_ok(&a, &["list"], &[]);
    let header = table.lines().next().unwrap();
    for column in ["ID", "NAME", "TYPE", "URL", "AUTH", "PRIMARY", "STATE"] {
        assert!(header.contains(column), "{table}");
    }
    let row = table.lines().find(|line| line.contains(&b_id)).unwrap();
    for cell in ["Bee", "generic", &b.base_url(), "OAuth", "yes", "ok"] {
        assert!(row.contains(cell), "{cell:?} missing from {row:?}");
    }

    link_ok(&a, &["edit", &b_id, "--name", "Bee, renamed"], &[]);
    assert_eq!(link_named(&listed(&a), &b_id)["name"], "Bee, renamed");

    link_ok(&a, &["create", &c.base_url()], &[]);
    assert_eq!(link_named(&listed(&a), &c_id)["isPrimary"], false);
    let made = link_ok(&a, &["primary", &c_id], &[]);
    assert!(made.contains("now the primary generic link"), "{made}");
    let links = listed(&a);
    assert_eq!(link_named(&links, &c_id)["isPrimary"], true);
    assert_eq!(link_named(&links, &b_id)["isPrimary"], false);

    let moved = format!("http://127.0.0.1:{}", free_port());
    link_ok(&a, &["relocate", &b_id, &format!("{moved}/")], &[]);
    let relocated = link_named(&listed(&a), &b_id).clone();
    assert_eq!(relocated["displayUrl"], moved.as_str());
    assert_eq!(relocated["rpcUrl"], moved.as_str());
    assert_eq!(
        relocated["name"], "Bee, renamed",
        "a relocation keeps the rest"
    );

    let deleted = link_ok(&a, &["delete", &b_id], &[]);
    assert!(
        deleted.contains("Deleted the link to Bee, renamed"),
        "{deleted}"
    );
    let ids: Vec<_> = listed(&a).iter().map(|link| link["id"].clone()).collect();
    assert_eq!(ids, [c_id.as_str()]);
}

/// The OAuth levels of both directions of `server`'s link `id`.
fn oauth_status(server: &Server, id: &str) -> Value {
    let path = format!("/rest/applinks/3.0/status/{id}/oauth");
    let answer = server.admin_json("GET", &path, &Value::Null);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()
}

#[test]
fn edit_sets_the_authentication_level_of_each_direction() {
    let a = peer("cmd-levels-a");
    let b = peer("cmd-levels-b");
    let b_id = server_id(&b);
    link_ok(&a, &["create", &b.base_url()], &[]);
    let status = oauth_status(&a, &b_id);
    assert_eq!(status["incoming"]["enabled"], true, "{status}");
    assert_eq!(status["outgoing"]["enabled"], true, "{status}");

    let set = [
        "edit",
        &b_id,
        "--incoming",
        "impersonation",
        "--outgoing",
        "disabled",
    ];
    let printed = link_ok(&a, &set, &[]);
    assert!(
        printed.contains("incoming        OAuth (impersonation)")
            && printed.contains("outgoing        Disabled"),
        "{printed}"
    );
    let status = oauth_status(&a, &b_id);
    assert_eq!(
        status["incoming"]["twoLoImpersonationEnabled"], true,
        "{status}"
    );
    assert_eq!(status["outgoing"]["enabled"], false, "{status}");
    assert_eq!(status["outgoing"]["twoLoEnabled"], false, "{status}");

    link_ok(
        &a,
        &["edit", &b_id, "--outgoing", "oauth", "--name", "Bee"],
        &[],
    );
    let status = oauth_status(&a, &b_id);
    assert_eq!(status["outgoing"]["enabled"], true, "{status}");
    assert_eq!(
        status["outgoing"]["twoLoImpersonationEnabled"], false,
        "{status}"
    );
    assert_eq!(
        status["incoming"]["twoLoImpersonationEnabled"], true,
        "the direction not named stays"
    );
    assert_eq!(link_named(&listed(&a), &b_id)["name"], "Bee");

    let bad = link_at(
        &a.base_url(),
        &["edit", &b_id, "--incoming", "full"],
        &[],
        "",
    );
    let stderr = text(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid value 'full' for '--incoming <LEVEL>'")
            && stderr.contains("disabled, oauth, impersonation"),
        "{stderr}"
    );

    // Disabled removes the consumer; without one, the incoming level cannot be turned on.
    link_ok(&a, &["edit", &b_id, "--incoming", "disabled"], &[]);
    let consumer =
        format!("/rest/applinks-oauth/1.0/applicationlink/{b_id}/authentication/consumer");
    assert_eq!(a.admin_json("GET", &consumer, &Value::Null).status, 404);
    let refused = link_at(
        &a.base_url(),
        &["edit", &b_id, "--incoming", "oauth"],
        &[],
        "",
    );
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot set the authentication of link")
            && stderr.contains("has no incoming consumer"),
        "{stderr}"
    );
}

#[test]
fn a_two_way_link_is_deleted_on_both_sides_with_reciprocate() {
    let a = peer("cmd-two-way-a");
    let b = peer("cmd-two-way-b");
    let (a_id, b_id) = (server_id(&a), server_id(&b));

    let remote_password = [("APPLINKS_REMOTE_PASSWORD", ADMIN_PASSWORD)];
    let create = [
        "create",
        &b.base_url(),
        "--two-way",
        "--remote-user",
        "admin",
        "--shared-users",
    ];
    let created = link_ok(&a, &create, &remote_password);
    assert!(created.contains("Created a 2-way link"), "{created}");
    assert!(created.contains("OAuth (impersonation)"), "{created}");
    assert_eq!(listed(&b)[0]["id"], a_id.as_str(), "the reciprocal link");

    // Both passwords on standard input, the local one first.
    let stdin = format!("{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n");
    let delete = [
        "delete",
        &b_id,
        "--reciprocate",
        "--remote-user",
        "admin",
        "--password-stdin",
        "--remote-password-stdin",
    ];
    let output = link_at(&a.base_url(), &delete, &[("APPLINKS_PASSWORD", "")], &stdin);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("and its link back to us"),
        "{}",
        text(&output.stdout)
    );
    assert!(listed(&a).is_empty());
    assert!(listed(&b).is_empty(), "the remote side went too");
}

#[test]
fn a_half_made_link_prints_the_repair_command_and_exits_1_until_repaired() {
    let a = peer("cmd-half-made-a");
    let b = peer("cmd-half-made-b");
    let b_id = server_id(&b);
    // The remote goes away in the middle of the 2-way flow, after the reciprocal link exists.
    let relay = Relay::start(b.port, 4);

    let remote_password = [("APPLINKS_REMOTE_PASSWORD", ADMIN_PASSWORD)];
    let create = [
        "create",
        &relay.url(),
        "--two-way",
        "--remote-user",
        "admin",
    ];
    let output = link_at(&a.base_url(), &create, &remote_password, "");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HALF-MADE"), "{stderr}");
    let repair = format!(
        "applinks link repair --url {} {b_id} --remote-user admin",
        a.base_url()
    );
    assert!(stderr.contains(&repair), "{stderr}");

    let table = link_ok(&a, &["list"], &[]);
    assert!(table.contains("half-made: "), "{table}");

    relay.reopen();
    let repaired = link_ok(
        &a,
        &["repair", &b_id, "--remote-user", "admin"],
        &remote_password,
    );
    assert!(repaired.contains("both sides are complete"), "{repaired}");
    assert!(link_named(&listed(&a), &b_id).get("pending").is_none());
}

#[test]
fn a_wrong_password_exits_1_and_says_the_credentials_were_refused() {
    let a = peer("cmd-wrong-password");
    let output = link_at(
        &a.base_url(),
        &["list"],
        &[("APPLINKS_PASSWORD", "not the password")],
        "",
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("refused the credentials of \"admin\""),
        "{stderr}"
    );
    assert!(stderr.contains("request id: "), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn server_errors_show_their_details_and_request_id() {
    let a = peer("cmd-server-errors");
    let output = link_at(&a.base_url(), &["primary", "no-such-link"], &[], "");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("has no link with id no-such-link"),
        "{stderr}"
    );

    let output = link_at(&a.base_url(), &["create", &a.base_url()], &[], "");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("(400 Bad Request)"), "{stderr}");
    assert!(
        stderr.contains("  - that URL is this application itself"),
        "{stderr}"
    );
    assert!(stderr.contains("request id: "), "{stderr}");
}

#[test]
fn an_unreachable_server_exits_1_and_names_its_url() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = link_at(&url, &["list"], &[], "");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach the applinks server at {url}")),
        "{stderr}"
    );
    assert!(stderr.contains("--url"), "{stderr}");
}

#[test]
fn bad_usage_exits_2() {
    let url = format!("http://127.0.0.1:{}", free_port());
    for args in [
        &["frobnicate"][..],
        &["create"],
        &["create", "jira.example.com"],
        &["create", "https://jira.example.com", "--two-way"],
        &["edit", "some-id"],
        &["delete", "../admin"],
        &["list", "--url", "ftp://example.com"],
    ] {
        let output = link_at(&url, args, &[], "");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}
