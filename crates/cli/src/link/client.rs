//! The connection to the server that `applinks link …` administers: where it is, who signs in,
//! and one REST call turned into a JSON answer or an error that says what went wrong for a
//! person to act on.
//!
//! Requests go through the server crate's guarded client with every address allowed: the
//! operator names the server explicitly, so the deny-list that protects a server from the URLs
//! of strangers has nothing to protect here. It is not a general REST client: it speaks JSON to
//! the applinks REST API only.

use std::fmt;
use std::io::{BufRead as _, IsTerminal as _};
use std::time::Duration;

use anyhow::{Context as _, bail};
use applinks_server::outbound::{
    AllowList, Outbound, OutboundError, OutboundPolicy, Redirects, RequestOptions,
};
use base64::Engine as _;
use clap::Args;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// The server `--url` names when nothing else does.
pub(crate) const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// The longest a call may take: a 2-way create makes several calls to the remote application,
/// each with the server's own 10-second timeouts, and may roll them back.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest answer accepted, enough for thousands of links.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Where the server is and who signs in; every `link` subcommand takes these.
#[derive(Debug, Clone, Args)]
pub(crate) struct Connection {
    /// The base URL of the applinks server to administer.
    #[arg(
        long,
        env = "APPLINKS_URL",
        default_value = DEFAULT_URL,
        value_name = "URL",
        value_parser = parse_server_url,
        global = true
    )]
    pub(crate) url: Url,
    /// The administrator to sign in as.
    #[arg(
        long,
        env = "APPLINKS_USER",
        default_value = "admin",
        value_name = "NAME",
        global = true
    )]
    pub(crate) user: String,
    /// Read the administrator's password from the first line of standard input, instead of
    /// APPLINKS_PASSWORD or a prompt.
    #[arg(long, global = true)]
    pub(crate) password_stdin: bool,
}

/// An authenticated client of one applinks server.
pub(crate) struct Client {
    outbound: Outbound,
    base: Url,
    user: String,
    authorization: HeaderValue,
}

impl Client {
    /// Reads the password and prepares the client; nothing is sent yet.
    pub(crate) fn new(connection: &Connection) -> anyhow::Result<Self> {
        let password = local_password(connection)?;
        let credentials = format!("{}:{password}", connection.user);
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        let mut authorization = HeaderValue::from_str(&format!("Basic {encoded}"))
            .context("the user name or password contains characters HTTP cannot carry")?;
        authorization.set_sensitive(true);

        let allow: AllowList = "0.0.0.0/0,::/0"
            .parse()
            .context("cannot build the allow-list")?;
        let policy = OutboundPolicy {
            allow,
            ..OutboundPolicy::default()
        };
        let outbound = Outbound::new(policy).context("cannot set up TLS")?;
        Ok(Self {
            outbound,
            base: connection.url.clone(),
            user: connection.user.clone(),
            authorization,
        })
    }

    /// The server's base URL, for messages.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Result<Value, CallError> {
        self.call(Method::GET, path, None).await
    }

    /// Sends `body` (if any) as JSON to `path`, relative to the base URL, and returns the JSON
    /// answer (`Null` for an empty one, such as `204 No Content`).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, CallError> {
        let url = self.url(path)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, self.authorization.clone());
        headers.insert("x-atlassian-token", HeaderValue::from_static("no-check"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let body = match body {
            Some(body) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                body.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let options = RequestOptions {
            timeout: CALL_TIMEOUT,
            max_response_bytes: MAX_ANSWER_BYTES,
            redirects: Redirects::Refuse,
            ..RequestOptions::default()
        };

        let answer = self
            .outbound
            .send(method.clone(), &url, headers, body.into(), &options)
            .await
            .map_err(|source| Failure::Transport {
                base: self.base.clone(),
                source,
            })?;

        if answer.status.is_success() {
            if answer.body.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&answer.body).map_err(|_| {
                CallError::from(Failure::NotApplinks {
                    base: self.base.clone(),
                    what: format!("{method} {path} answered {} without JSON", answer.status),
                })
            });
        }
        Err(self.failure(&method, path, answer.status, &answer.body))
    }

    /// The URL of `path` on the server, keeping any context path of the base URL.
    fn url(&self, path: &str) -> Result<Url, CallError> {
        let joined = format!("{}{path}", self.base.as_str().trim_end_matches('/'));
        Url::parse(&joined).map_err(|_| {
            CallError::from(Failure::NotApplinks {
                base: self.base.clone(),
                what: format!("{joined} is not a valid URL"),
            })
        })
    }

    /// What a refusal means, from the API's error body when there is one.
    fn failure(&self, method: &Method, path: &str, status: StatusCode, body: &[u8]) -> CallError {
        let Ok(api) = serde_json::from_slice::<ErrorBody>(body) else {
            return Failure::NotApplinks {
                base: self.base.clone(),
                what: format!("{method} {path} answered {status}"),
            }
            .into();
        };
        let problem = match status {
            StatusCode::UNAUTHORIZED => Problem::Unauthenticated {
                user: self.user.clone(),
            },
            StatusCode::FORBIDDEN => Problem::Forbidden {
                user: self.user.clone(),
                message: api.message,
            },
            _ => Problem::Refused {
                message: api.message,
                errors: api.errors,
            },
        };
        Failure::Api(ApiFailure {
            base: self.base.clone(),
            status,
            problem,
            request_id: api.request_id,
        })
        .into()
    }
}

/// The REST API's error body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: String,
    #[serde(default)]
    errors: Vec<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// Why a call has no JSON answer.
#[derive(Debug)]
pub(crate) struct CallError(Box<Failure>);

impl From<Failure> for CallError {
    fn from(failure: Failure) -> Self {
        Self(Box::new(failure))
    }
}

/// What went wrong with a call.
#[derive(Debug)]
enum Failure {
    /// The server could not be reached, or did not answer in time.
    Transport {
        /// The server's base URL.
        base: Url,
        /// What the HTTP client saw.
        source: OutboundError,
    },
    /// The server answered with an error of the REST API.
    Api(ApiFailure),
    /// Something answered that is not an applinks server (HTML, another application).
    NotApplinks {
        /// The server's base URL.
        base: Url,
        /// What happened.
        what: String,
    },
}

impl CallError {
    /// Whether the server said the thing named does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(&*self.0, Failure::Api(failure) if failure.status == StatusCode::NOT_FOUND)
    }
}

/// An error answer of the REST API.
#[derive(Debug)]
struct ApiFailure {
    base: Url,
    status: StatusCode,
    problem: Problem,
    request_id: Option<String>,
}

#[derive(Debug)]
enum Problem {
    Unauthenticated {
        user: String,
    },
    Forbidden {
        user: String,
        message: String,
    },
    Refused {
        message: String,
        errors: Vec<String>,
    },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            Failure::Transport { base, source } => transport_message(f, base, source),
            Failure::Api(failure) => failure.fmt(f),
            Failure::NotApplinks { base, what } => write!(
                f,
                "{base} does not look like an applinks server ({what}); set --url \
                 (or APPLINKS_URL) to the server's base URL"
            ),
        }
    }
}

fn transport_message(
    f: &mut fmt::Formatter<'_>,
    base: &Url,
    source: &OutboundError,
) -> fmt::Result {
    match source {
        OutboundError::Timeout { after } => {
            write!(f, "the server at {base} did not answer within {after:?}")
        }
        OutboundError::UnexpectedRedirect { location, .. } => write!(
            f,
            "the server at {base} redirects to {location}; set --url (or APPLINKS_URL) to the \
             server's own base URL"
        ),
        _ => write!(
            f,
            "cannot reach the applinks server at {base} (set --url or APPLINKS_URL to its \
             address)"
        ),
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.0 {
            // A timeout or a redirect is said in full by the message itself.
            Failure::Transport {
                source: OutboundError::Timeout { .. } | OutboundError::UnexpectedRedirect { .. },
                ..
            } => None,
            Failure::Transport { source, .. } => Some(source),
            Failure::Api(_) | Failure::NotApplinks { .. } => None,
        }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = &self.base;
        match &self.problem {
            Problem::Unauthenticated { user } => write!(
                f,
                "{base} refused the credentials of {user:?}: check --user (APPLINKS_USER) and \
                 the password (APPLINKS_PASSWORD or --password-stdin)"
            )?,
            Problem::Forbidden { user, message } => write!(
                f,
                "{} ({user:?} must be an administrator of {base})",
                message.trim_end_matches('.')
            )?,
            Problem::Refused { message, errors } => {
                write!(f, "{} ({})", message.trim_end_matches('.'), self.status)?;
                for error in errors {
                    write!(f, "\n  - {error}")?;
                }
            }
        }
        if let Some(request_id) = &self.request_id {
            write!(f, "\n  request id: {request_id} (in the server's log)")?;
        }
        Ok(())
    }
}

/// Checks `--url`: an http(s) URL with a host, without credentials, query or fragment.
fn parse_server_url(raw: &str) -> Result<Url, String> {
    let url = super::parse_http_url(raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the server URL takes no query or fragment".into());
    }
    Ok(url)
}

/// The administrator's password: standard input when asked, else `APPLINKS_PASSWORD`, else a
/// prompt at a terminal.
fn local_password(connection: &Connection) -> anyhow::Result<String> {
    if connection.password_stdin {
        return read_stdin_line("the password");
    }
    if let Some(password) = non_empty_env("APPLINKS_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no password for {:?}: set APPLINKS_PASSWORD, or pass --password-stdin",
            connection.user
        );
    }
    let prompt = format!("Password of {} at {}: ", connection.user, connection.url);
    rpassword::prompt_password(prompt).context("cannot read the password")
}

/// The remote administrator's password: standard input when asked, else
/// `APPLINKS_REMOTE_PASSWORD`, else a prompt at a terminal. With both `--password-stdin` and
/// `--remote-password-stdin`, the local password is the first line and this the second.
pub(crate) fn remote_password(user: &str, from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        return read_stdin_line("the remote password");
    }
    if let Some(password) = non_empty_env("APPLINKS_REMOTE_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no password for the remote administrator {user:?}: set APPLINKS_REMOTE_PASSWORD, \
             or pass --remote-password-stdin"
        );
    }
    rpassword::prompt_password(format!("Password of {user} on the remote application: "))
        .context("cannot read the remote password")
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// One line of standard input, without its line ending.
fn read_stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    if read == 0 {
        bail!("standard input ended before {what}");
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
