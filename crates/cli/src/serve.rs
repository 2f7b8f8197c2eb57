//! `applinks serve`: resolve the settings, establish the identity, and run the server.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use applinks_core::clock::SystemClock;
use applinks_core::manifest::ApplicationType;
use applinks_server::outbound::{Outbound, OutboundPolicy};
use applinks_server::{AppState, OsEntropy, SecretKey, ServerConfig};
use clap::{Args, ValueEnum};
use url::Url;

use crate::settings::{FileConfig, ProxyArgs, ProxyLimits, Storage, StorageArgs};

/// Options of `applinks serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// The address to listen on.
    #[arg(long, env = "APPLINKS_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    /// The public base URL peers and browsers use; derived from --listen when absent.
    #[arg(long, env = "APPLINKS_BASE_URL", value_name = "URL")]
    base_url: Option<String>,
    /// The application name shown to peers.
    #[arg(long, env = "APPLINKS_NAME")]
    name: Option<String>,
    /// The application type announced in the manifest (jira, confluence, generic, …).
    #[arg(long, env = "APPLINKS_TYPE_ID", value_name = "TYPE")]
    type_id: Option<String>,
    /// CIDRs or host names exempt from the outgoing deny-list (comma-separated).
    #[arg(
        long,
        env = "APPLINKS_OUTBOUND_ALLOW",
        value_delimiter = ',',
        value_name = "LIST"
    )]
    outbound_allow: Vec<String>,
    /// The file holding the key that encrypts secrets at rest; `secret.key` in the data
    /// directory by default, created on first start.
    #[arg(long, env = "APPLINKS_SECRET_KEY_FILE", value_name = "FILE")]
    secret_key_file: Option<PathBuf>,
    /// How far, in seconds, an OAuth timestamp may be from this server's clock.
    #[arg(long, env = "APPLINKS_OAUTH_TIMESTAMP_WINDOW", value_name = "SECONDS")]
    oauth_timestamp_window: Option<u64>,
    /// How long request tokens live, in seconds.
    #[arg(
        long,
        env = "APPLINKS_OAUTH_REQUEST_TOKEN_LIFETIME",
        value_name = "SECONDS"
    )]
    oauth_request_token_lifetime: Option<u32>,
    /// How long access tokens live, in seconds.
    #[arg(
        long,
        env = "APPLINKS_OAUTH_ACCESS_TOKEN_LIFETIME",
        value_name = "SECONDS"
    )]
    oauth_access_token_lifetime: Option<u32>,
    /// How long an access token can be renewed with its session handle, in seconds.
    #[arg(long, env = "APPLINKS_OAUTH_SESSION_LIFETIME", value_name = "SECONDS")]
    oauth_session_lifetime: Option<u32>,
    /// How often links are checked in the background, in seconds (0 turns checks off).
    #[arg(long, env = "APPLINKS_STATUS_INTERVAL", value_name = "SECONDS")]
    status_interval: Option<u64>,
    #[command(flatten)]
    proxy: ProxyArgs,
    /// The log line format.
    #[arg(long, env = "APPLINKS_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// Runs the server until Ctrl-C or SIGTERM.
pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let file = FileConfig::load(args.storage.config.as_deref())?;
    init_logging(
        args.log_format
            .or(parse_log_format(file.log_format.as_deref())?),
    );

    let storage = Storage::resolve(&args.storage, &file)?;
    let proxy_limits = ProxyLimits::resolve(&args.proxy, &file)?;
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listen: SocketAddr = listen
        .parse()
        .with_context(|| format!("--listen {listen:?} is not an address such as 127.0.0.1:8080"))?;
    let base_url = match args.base_url.or(file.base_url) {
        Some(raw) => parse_base_url(&raw)?,
        None => derived_base_url(listen),
    };
    let type_id = args
        .type_id
        .or(file.type_id)
        .unwrap_or_else(|| "generic".into());
    let Some(type_id) = ApplicationType::parse(&type_id) else {
        let known: Vec<_> = ApplicationType::ALL.iter().map(|t| t.as_str()).collect();
        bail!("--type-id {type_id:?} is not one of {}", known.join(", "));
    };
    let name = args.name.or(file.name).unwrap_or_else(|| "applinks".into());
    if name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        bail!("--name must be 1 to 255 characters without control characters");
    }
    let outbound_allow = if args.outbound_allow.is_empty() {
        file.outbound_allow.unwrap_or_default()
    } else {
        args.outbound_allow
    };
    // Checked now, so a typo stops the start instead of surfacing at the first outgoing call.
    let outbound_allow: applinks_server::outbound::AllowList = outbound_allow
        .join(",")
        .parse()
        .context("--outbound-allow is not valid")?;

    let secret_key_file = args
        .secret_key_file
        .or(file.secret_key_file)
        .unwrap_or_else(|| storage.data_dir.join("secret.key"));
    let secret_key = SecretKey::load_or_create(&secret_key_file)?;
    let database = storage.open().await?;
    let admin_password = std::env::var("APPLINKS_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let bootstrap = applinks_server::bootstrap(&database, &secret_key, admin_password).await?;
    if let Some(password) = &bootstrap.generated_admin_password {
        println!(
            "Created the administrator `admin` with the password: {password}\n\
             It is shown only this once. Change it with `applinks user passwd admin`."
        );
    }

    let mut config = ServerConfig::new(base_url.clone(), name, type_id);
    config.proxy_limits.timeout = proxy_limits.timeout;
    config.proxy_limits.max_response_bytes = proxy_limits.max_response_bytes;
    if let Some(interval) = args.status_interval.or(file.status_interval) {
        config.status_interval_secs = interval;
    }
    if let Some(window) = args.oauth_timestamp_window.or(file.oauth_timestamp_window) {
        config.timestamp_window_secs = window;
    }
    let lifetimes = &mut config.token_lifetimes;
    let lifetime = |flag: Option<u32>, file: Option<u32>, default: i64| {
        flag.or(file).map_or(default, i64::from)
    };
    lifetimes.request = lifetime(
        args.oauth_request_token_lifetime,
        file.oauth_request_token_lifetime,
        lifetimes.request,
    );
    lifetimes.access = lifetime(
        args.oauth_access_token_lifetime,
        file.oauth_access_token_lifetime,
        lifetimes.access,
    );
    lifetimes.session = lifetime(
        args.oauth_session_lifetime,
        file.oauth_session_lifetime,
        lifetimes.session,
    );
    if lifetimes.request < 1 || lifetimes.access < 1 || lifetimes.session < lifetimes.access {
        bail!(
            "OAuth lifetimes must be positive, and the session at least as long as the access token"
        );
    }
    let policy = OutboundPolicy {
        allow: outbound_allow.clone(),
        ..OutboundPolicy::default()
    };
    let outbound = Outbound::new(policy).context("cannot set up the outgoing HTTP client")?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!(
        %listen,
        base_url = %base_url,
        server_id = %bootstrap.identity.server_id(),
        database = %crate::settings::redact_url(&storage.database_url),
        outbound_allow = ?outbound_allow,
        proxy_timeout_secs = proxy_limits.timeout.as_secs(),
        proxy_max_response_bytes = proxy_limits.max_response_bytes,
        "applinks is serving"
    );
    let state = AppState::new(
        config,
        bootstrap.identity,
        database,
        secret_key,
        outbound,
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    );
    applinks_server::run(state, listener, shutdown_signal()).await?;
    tracing::info!("applinks stopped");
    Ok(())
}

/// A base URL must be absolute http(s) without query or fragment; trailing slashes go.
fn parse_base_url(raw: &str) -> anyhow::Result<Url> {
    if !raw.starts_with("https://") && !raw.starts_with("http://") {
        bail!("--base-url {raw:?} must start with https:// or http://");
    }
    let url = Url::parse(raw.trim_end_matches('/'))
        .with_context(|| format!("--base-url {raw:?} is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        bail!("--base-url {raw:?} must start with http:// or https:// and name a host");
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        bail!("--base-url {raw:?} may not contain credentials, a query or a fragment");
    }
    Ok(url)
}

/// `http://<listen>`, with `localhost` for an unspecified address.
fn derived_base_url(listen: SocketAddr) -> Url {
    let host = if listen.ip().is_unspecified() {
        "localhost".to_owned()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    Url::parse(&format!("http://{host}:{}", listen.port())).expect("a socket address makes a URL")
}

fn parse_log_format(raw: Option<&str>) -> anyhow::Result<Option<LogFormat>> {
    match raw {
        None => Ok(None),
        Some(raw) => LogFormat::from_str(raw, true)
            .map(Some)
            .map_err(|_| anyhow::anyhow!("log-format {raw:?} must be text or json")),
    }
}

fn init_logging(format: Option<LogFormat>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: a log file or the journal would keep the escape
    // codes, and drawing them costs every request's span a second formatting pass.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if format == Some(LogFormat::Json) {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            parse_base_url("https://x.example/jira/").unwrap().as_str(),
            "https://x.example/jira"
        );
        for bad in [
            "x.example",
            "ftp://x.example",
            "https://u:p@x",
            "https://x/?q",
            "http://",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_base_url_follows_the_listen_address() {
        assert_eq!(
            derived_base_url("127.0.0.1:8080".parse().unwrap()).as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            derived_base_url("0.0.0.0:9000".parse().unwrap()).as_str(),
            "http://localhost:9000/"
        );
        assert_eq!(
            derived_base_url("[::1]:80".parse().unwrap()).as_str(),
            "http://[::1]/"
        );
    }
}
