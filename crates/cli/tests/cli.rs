//! The `applinks` binary as an operator uses it: real processes, a real SQLite file, real HTTP
//! on loopback.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

mod support;

use support::{BIN, Server, basic, data_dir, free_port, serve_command, text};

fn manifest_id(server: &Server) -> String {
    let answer = server
        .get(
            "/rest/applinks/1.0/manifest",
            &[("Accept", "application/json")],
        )
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
    json["id"].as_str().unwrap().to_owned()
}

/// Runs `applinks user …` against `data_dir`, with `stdin` as standard input.
fn user(data_dir: &Path, args: &[&str], stdin: &str) -> Output {
    support::user(
        args,
        &[OsStr::new("--data-dir"), data_dir.as_os_str()],
        stdin,
    )
}

#[test]
fn first_start_prints_a_password_once_and_the_id_survives_restarts() {
    let dir = data_dir("restart");
    let first = Server::start_with(&dir, &[], &[]);
    let id = manifest_id(&first);
    let printed = first.stop();
    let password = printed
        .split("password: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or_else(|| panic!("no generated password in {printed:?}"))
        .to_owned();

    let second = Server::start_with(&dir, &[], &[]);
    assert_eq!(manifest_id(&second), id, "the server id is stable");
    let me = second.get(
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
    let server = Server::start_with(
        &dir,
        &[],
        &[("APPLINKS_ADMIN_PASSWORD", "from the environment")],
    );
    let auth = basic("admin", "from the environment");
    let me = server
        .get("/rest/api/1.0/myself", &[("Authorization", &auth)])
        .unwrap();
    assert_eq!(me.status, 200);
    assert!(me.body.contains("\"name\":\"admin\""), "{}", me.body);
    assert!(!server.stop().contains("password"));
}

#[test]
fn users_are_managed_while_the_server_runs() {
    let dir = data_dir("users");
    let server = Server::start_with(&dir, &[], &[("APPLINKS_ADMIN_PASSWORD", "admin password")]);

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
    let me = server
        .get("/rest/api/1.0/myself", &[("Authorization", &auth)])
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
            .any(|line| line.starts_with("admin") && line.ends_with("admin  enabled")),
        "{listing}"
    );

    let changed = user(
        &dir,
        &["passwd", "alice", "--password-stdin"],
        "a new password\n",
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    let old = server
        .get("/rest/api/1.0/myself", &[("Authorization", &auth)])
        .unwrap();
    assert_eq!(old.status, 401);
    let new_auth = basic("alice", "a new password");
    assert_eq!(
        server
            .get("/rest/api/1.0/myself", &[("Authorization", &new_auth)])
            .unwrap()
            .status,
        200
    );
}

#[test]
fn a_disabled_user_is_out_and_back_when_enabled() {
    let dir = data_dir("disable");
    let server = Server::start_with(&dir, &[], &[("APPLINKS_ADMIN_PASSWORD", "admin password")]);
    support::add_user(&dir, "alice");
    let auth = basic("alice", &support::password_of("alice"));
    let cookie = sign_in(&server, "alice");
    let myself = |credential: (&str, &str)| {
        let answer = server.get("/rest/api/1.0/myself", &[credential]).unwrap();
        answer.status
    };
    assert_eq!(myself(("Authorization", &auth)), 200);
    assert_eq!(myself(("Cookie", &cookie)), 200);

    let disabled = user(&dir, &["disable", "alice"], "");
    assert!(disabled.status.success(), "{}", text(&disabled.stderr));
    assert_eq!(
        text(&disabled.stdout).trim(),
        "Disabled alice; ended 1 session(s)."
    );
    // Basic credentials are refused at once; the session within a second, because the server
    // reads sessions through a one-second cache that changes made by this command (another
    // process) cannot clear.
    assert_eq!(myself(("Authorization", &auth)), 401);
    let disabled_at = std::time::Instant::now();
    while myself(("Cookie", &cookie)) != 401 {
        assert!(
            disabled_at.elapsed() < std::time::Duration::from_millis(1500),
            "the disabled user's session still works"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let listing = text(&user(&dir, &["list"], "").stdout);
    assert!(
        listing
            .lines()
            .any(|line| line.starts_with("alice") && line.ends_with("user   disabled")),
        "{listing}"
    );
    let again = user(&dir, &["disable", "alice"], "");
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout).trim(),
        "alice was already disabled; ended 0 session(s)."
    );

    let enabled = user(&dir, &["enable", "alice"], "");
    assert!(enabled.status.success(), "{}", text(&enabled.stderr));
    assert_eq!(text(&enabled.stdout).trim(), "Enabled alice.");
    assert_eq!(myself(("Authorization", &auth)), 200);
    assert_eq!(
        myself(("Cookie", &cookie)),
        401,
        "ended sessions stay ended"
    );

    // `admin` is the only administrator: refused, and still able to sign in.
    let last = user(&dir, &["disable", "admin"], "");
    assert_eq!(last.status.code(), Some(1));
    let stderr = text(&last.stderr);
    assert!(
        stderr.contains("admin is the last enabled administrator and stays enabled"),
        "{stderr}"
    );
    assert!(text(&last.stdout).is_empty());
    assert_eq!(
        myself(("Authorization", &basic("admin", "admin password"))),
        200
    );
}

/// Signs `username` in through the form and returns the session cookie (`name=value`).
fn sign_in(server: &Server, username: &str) -> String {
    support::sign_in(server, username, &support::password_of(username))
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
        (&["disable", "nobody"][..], "", "no user named nobody"),
        (&["enable", "nobody"][..], "", "no user named nobody"),
        (&["disable", "b o b"][..], "", "user name"),
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
             base-url = \"https://wiki.example.com/\"\n\
             proxy-timeout = 30\nproxy-max-response-bytes = 1048576\n"
        ),
    )
    .unwrap();
    let mut command = serve_command(&dir);
    command.arg("--config").arg(&config);
    let server = Server::spawn(command, port);

    let manifest = server.get("/rest/applinks/1.0/manifest", &[]).unwrap().body;
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
    let bad_proxy_config = dir.join("bad-proxy.toml");
    std::fs::write(&bad_proxy_config, "proxy-max-response-bytes = 100\n").unwrap();
    let bad_proxy_config = bad_proxy_config.to_str().unwrap().to_owned();
    for (args, message) in [
        (vec!["--type-id", "wiki"], "is not one of"),
        (vec!["--listen", "localhost"], "is not an address"),
        (
            vec!["--base-url", "links.example.com"],
            "must start with http",
        ),
        (vec!["--config", bad_config.as_str()], "is not valid"),
        (
            vec!["--proxy-timeout", "0"],
            "--proxy-timeout 0 must be 1 to 86400 seconds",
        ),
        (
            vec!["--config", bad_proxy_config.as_str()],
            "--proxy-max-response-bytes 100 must be at least 1024 bytes",
        ),
    ] {
        let output = serve_command(&dir).args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            text(&output.stderr).contains(message),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let from_env = serve_command(&dir)
        .env("APPLINKS_PROXY_MAX_RESPONSE_BYTES", "1000")
        .output()
        .unwrap();
    assert_eq!(from_env.status.code(), Some(1));
    assert!(
        text(&from_env.stderr).contains("--proxy-max-response-bytes 1000 must be at least"),
        "{}",
        text(&from_env.stderr)
    );
    let unknown_flag = Command::new(BIN)
        .args(["serve", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(unknown_flag.status.code(), Some(2));
}

#[test]
fn a_log_that_is_not_a_terminal_has_no_colour_codes() {
    let dir = data_dir("plain-log");
    let log_path = dir.join("server.log");
    let port = free_port();
    let mut command = serve_command(&dir);
    command
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--base-url", &format!("http://127.0.0.1:{port}")])
        .env("APPLINKS_ADMIN_PASSWORD", "admin password")
        .env("RUST_LOG", "info");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::spawn_logging(command, port, log.into());
    server.stop();

    let written = std::fs::read_to_string(&log_path).unwrap();
    assert!(written.contains("applinks stopped"), "{written}");
    assert!(!written.contains('\u{1b}'), "{written:?}");
}
