//! Where settings come from: command-line flags, then environment variables (both through
//! clap), then the TOML file named by `--config`, then defaults.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
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
    fn unknown_keys_in_the_file_are_errors() {
        assert!(toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"").is_ok());
        assert!(toml::from_str::<FileConfig>("lisen = \"127.0.0.1:1\"").is_err());
    }
}
