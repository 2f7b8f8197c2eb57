//! Where settings come from: command-line flags, then environment variables (both through
//! clap), then the TOML file named by `--config`, then defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use applinks_server::{DEFAULT_PROXY_MAX_RESPONSE_BYTES, DEFAULT_PROXY_TIMEOUT};
use clap::Args;
use serde::Deserialize;

/// The options every command that opens the database takes.
#[derive(Debug, Clone, Args)]
pub(crate) struct StorageArgs {
    /// A TOML file with the same keys as the flags (`listen`, `base-url`, `data-dir`, …).
    #[arg(long, env = "APPLINKS_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The data directory: the SQLite database and the secret key live here.
    #[arg(long, env = "APPLINKS_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// The database: `sqlite://…` or `postgres://…`; SQLite in the data directory by default.
    #[arg(long, env = "APPLINKS_DATABASE_URL", value_name = "URL")]
    pub(crate) database_url: Option<String>,
}

/// The TOML configuration file. Keys are the long flag names.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) listen: Option<String>,
    pub(crate) base_url: Option<String>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) database_url: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) type_id: Option<String>,
    pub(crate) outbound_allow: Option<Vec<String>>,
    pub(crate) secret_key_file: Option<PathBuf>,
    pub(crate) log_format: Option<String>,
    pub(crate) oauth_timestamp_window: Option<u64>,
    pub(crate) oauth_request_token_lifetime: Option<u32>,
    pub(crate) oauth_access_token_lifetime: Option<u32>,
    pub(crate) oauth_session_lifetime: Option<u32>,
    pub(crate) status_interval: Option<u64>,
    pub(crate) proxy_timeout: Option<u64>,
    pub(crate) proxy_max_response_bytes: Option<u64>,
}

impl FileConfig {
    /// Reads the file named by `--config`, or nothing.
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("the configuration file {} is not valid", path.display()))
    }
}

/// The data directory and database URL once every source has had its say.
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    pub(crate) data_dir: PathBuf,
    pub(crate) database_url: String,
}

impl Storage {
    /// Resolves the storage options and creates the data directory.
    pub(crate) fn resolve(args: &StorageArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let data_dir = args
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("applinks-data"));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let database_url = match args
            .database_url
            .clone()
            .or_else(|| file.database_url.clone())
        {
            Some(url) => url,
            None => sqlite_url(&data_dir.join("applinks.db"))?,
        };
        Ok(Self {
            data_dir,
            database_url,
        })
    }

    /// Opens the database, applying migrations.
    pub(crate) async fn open(&self) -> anyhow::Result<applinks_store::Database> {
        applinks_store::Database::open(&self.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    redact_url(&self.database_url)
                )
            })
    }
}

/// The options that bound a request through the proxy.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ProxyArgs {
    /// How long a request through the proxy may take, its answer included, in seconds.
    #[arg(long, env = "APPLINKS_PROXY_TIMEOUT", value_name = "SECONDS")]
    pub(crate) proxy_timeout: Option<u64>,
    /// The largest answer the proxy passes on, in bytes.
    #[arg(long, env = "APPLINKS_PROXY_MAX_RESPONSE_BYTES", value_name = "BYTES")]
    pub(crate) proxy_max_response_bytes: Option<u64>,
}

/// The longest proxy timeout accepted: a day. Longer ones serve no request, and a deadline far
/// enough away would overflow the clock.
const MAX_PROXY_TIMEOUT_SECS: u64 = 24 * 60 * 60;

/// The smallest answer cap accepted: below it, even an error page from the remote is cut.
const MIN_PROXY_MAX_RESPONSE_BYTES: u64 = 1024;

/// The proxy's limits once every source has had its say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProxyLimits {
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
}

impl ProxyLimits {
    /// Resolves the proxy's limits, refusing values the proxy cannot work with.
    pub(crate) fn resolve(args: &ProxyArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let timeout = match args.proxy_timeout.or(file.proxy_timeout) {
            None => DEFAULT_PROXY_TIMEOUT,
            Some(secs @ 1..=MAX_PROXY_TIMEOUT_SECS) => Duration::from_secs(secs),
            Some(secs) => {
                bail!("--proxy-timeout {secs} must be 1 to {MAX_PROXY_TIMEOUT_SECS} seconds")
            }
        };
        let max_response_bytes = match args
            .proxy_max_response_bytes
            .or(file.proxy_max_response_bytes)
        {
            None => DEFAULT_PROXY_MAX_RESPONSE_BYTES,
            Some(bytes) if bytes < MIN_PROXY_MAX_RESPONSE_BYTES => bail!(
                "--proxy-max-response-bytes {bytes} must be at least \
                 {MIN_PROXY_MAX_RESPONSE_BYTES} bytes"
            ),
            Some(bytes) => usize::try_from(bytes).with_context(|| {
                format!("--proxy-max-response-bytes {bytes} is too large for this machine")
            })?,
        };
        Ok(Self {
            timeout,
            max_response_bytes,
        })
    }
}

/// The SQLite URL of a file, created when missing.
fn sqlite_url(path: &Path) -> anyhow::Result<String> {
    let Some(text) = path.to_str() else {
        bail!(
            "the data directory path {} is not valid UTF-8",
            path.display()
        );
    };
    if text.contains(['?', '#']) {
        bail!("the data directory path {text} may not contain ? or #");
    }
    Ok(format!("sqlite://{text}?mode=rwc"))
}

/// A database URL without its password, for messages.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_hidden_in_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/applinks"),
            "postgres://app:***@db:5432/applinks"
        );
        assert_eq!(
            redact_url("sqlite://data/applinks.db"),
            "sqlite://data/applinks.db"
        );
    }

    #[test]
    fn proxy_limits_come_from_flags_then_the_file_then_defaults() {
        let file: FileConfig =
            toml::from_str("proxy-timeout = 5\nproxy-max-response-bytes = 2048").unwrap();
        let none = ProxyArgs::default();
        let flags = ProxyArgs {
            proxy_timeout: Some(7),
            proxy_max_response_bytes: Some(4096),
        };

        let defaults = ProxyLimits::resolve(&none, &FileConfig::default()).unwrap();
        assert_eq!(defaults.timeout, DEFAULT_PROXY_TIMEOUT);
        assert_eq!(
            defaults.max_response_bytes,
            DEFAULT_PROXY_MAX_RESPONSE_BYTES
        );
        let from_file = ProxyLimits::resolve(&none, &file).unwrap();
        assert_eq!(from_file.timeout, Duration::from_secs(5));
        assert_eq!(from_file.max_response_bytes, 2048);
        let from_flags = ProxyLimits::resolve(&flags, &file).unwrap();
        assert_eq!(from_flags.timeout, Duration::from_secs(7));
        assert_eq!(from_flags.max_response_bytes, 4096);
    }

    #[test]
    fn proxy_limits_out_of_range_are_refused_wherever_they_come_from() {
        let at_the_bounds = ProxyArgs {
            proxy_timeout: Some(1),
            proxy_max_response_bytes: Some(1024),
        };
        assert!(ProxyLimits::resolve(&at_the_bounds, &FileConfig::default()).is_ok());

        for (flags, toml, message) in [
            (
                Some(0),
                None,
                "--proxy-timeout 0 must be 1 to 86400 seconds",
            ),
            (
                Some(86_401),
                None,
                "--proxy-timeout 86401 must be 1 to 86400",
            ),
            (None, Some("proxy-timeout = 0"), "--proxy-timeout 0 must be"),
            (
                None,
                Some("proxy-max-response-bytes = 1023"),
                "--proxy-max-response-bytes 1023 must be at least 1024 bytes",
            ),
        ] {
            let args = ProxyArgs {
                proxy_timeout: flags,
                ..ProxyArgs::default()
            };
            let file: FileConfig = toml::from_str(toml.unwrap_or_default()).unwrap();
            let error = ProxyLimits::resolve(&args, &file).unwrap_err();
            assert!(error.to_string().contains(message), "{error}");
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"").is_ok());
        assert!(toml::from_str::<FileConfig>("lisen = \"127.0.0.1:1\"").is_err());
    }
}
