//! Calls this server makes to a linked application, all through the guarded outgoing client:
//! as the remote administrator while linking (HTTP Basic with the credentials the wizard asked
//! for), and as a user across an established link (OAuth 1.0a, signed with our key).

use applinks_core::consumer::ConsumerInfo;
use applinks_core::link::{ApplicationLink, OAuthLevels};
use applinks_core::user::Username;
use applinks_oauth1::{ClientRequest, SigningKey, generate_nonce, percent_encode};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use url::Url;

use crate::error::ApiError;
use crate::outbound::{OutboundError, RequestOptions, Response};
use crate::state::AppState;

/// Why a call to the remote application failed, in words an administrator can act on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    /// The remote could not be reached (or the deny-list refused it).
    #[error("{0}")]
    Unreachable(#[from] OutboundError),
    /// The remote refused the administrator credentials.
    #[error("the remote application refused the administrator credentials ({0})")]
    CredentialsRefused(StatusCode),
    /// The remote answered a step with an error.
    #[error("the remote application answered {step} with {status}: {body}")]
    Refused {
        /// What we asked for.
        step: &'static str,
        /// Its answer.
        status: StatusCode,
        /// The start of its answer's body.
        body: String,
    },
    /// The remote's answer was not what the protocol says.
    #[error("the remote application's answer to {step} is not usable: {reason}")]
    Unusable {
        /// What we asked for.
        step: &'static str,
        /// Why.
        reason: String,
    },
}

impl From<RemoteError> for ApiError {
    fn from(error: RemoteError) -> Self {
        match error {
            RemoteError::CredentialsRefused(_) => ApiError::bad_request(error.to_string()),
            other => ApiError::Remote(vec![other.to_string()]),
        }
    }
}

/// The remote application as its administrator, for creating and repairing 2-way links.
pub(crate) struct RemoteAdmin<'a> {
    state: &'a AppState,
    base: Url,
    authorization: HeaderValue,
}

impl<'a> RemoteAdmin<'a> {
    pub(crate) fn new(
        state: &'a AppState,
        base: &str,
        username: &str,
        password: &str,
    ) -> Result<Self, ApiError> {
        let base =
            Url::parse(base).map_err(|_| ApiError::bad_request("the remote URL is not valid"))?;
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        let authorization =
            HeaderValue::from_str(&format!("Basic {credentials}")).map_err(|_| {
                ApiError::bad_request("the remote credentials are not valid header text")
            })?;
        Ok(Self {
            state,
            base,
            authorization,
        })
    }

    /// Checks that the credentials are an administrator's there (`authenticationinfo`).
    pub(crate) async fn check_credentials(&self) -> Result<(), RemoteError> {
        let answer = self
            .call(Method::GET, "/rest/applinks/1.0/authenticationinfo", None)
            .await?;
        match answer.status {
            status if status.is_success() => Ok(()),
            status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                Err(RemoteError::CredentialsRefused(status))
            }
            status => Err(refused("the credential check", status, &answer)),
        }
    }

    /// Creates or updates the remote's link to us (`PUT applicationlink/{our id}`).
    pub(crate) async fn put_reciprocal_link(&self) -> Result<(), RemoteError> {
        let state = self.state;
        let id = state.identity().server_id();
        let base_url = state.config().base_url_str();
        let body = json!({
            "id": id.to_string(),
            "name": state.config().name,
            "typeId": state.config().type_id.as_str(),
            "displayUrl": base_url,
            "rpcUrl": base_url,
        });
        let path = format!("/rest/applinks/1.0/applicationlink/{id}");
        self.expect_success("the reciprocal link", Method::PUT, &path, Some(body))
            .await
    }

    /// Asks the remote to read our consumer-info and trust it for the reciprocal link.
    pub(crate) async fn configure_our_consumer(
        &self,
        levels: OAuthLevels,
    ) -> Result<(), RemoteError> {
        let id = self.state.identity().server_id();
        let path = format!(
            "/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer?autoConfigure=true"
        );
        let body = json!({
            "twoLOAllowed": levels.two_lo_enabled,
            "twoLOImpersonationAllowed": levels.two_lo_impersonation_enabled,
        });
        self.expect_success("the consumer configuration", Method::PUT, &path, Some(body))
            .await
    }

    /// Sets the OAuth levels of the remote's link to us.
    pub(crate) async fn set_oauth_levels(&self, levels: OAuthLevels) -> Result<(), RemoteError> {
        let id = self.state.identity().server_id();
        let path = format!("/rest/applinks/3.0/status/{id}/oauth");
        let body = json!({ "incoming": levels, "outgoing": levels });
        self.expect_success("the OAuth configuration", Method::PUT, &path, Some(body))
            .await
    }

    /// Deletes the remote's link to us.
    pub(crate) async fn delete_reciprocal_link(&self) -> Result<(), RemoteError> {
        let id = self.state.identity().server_id();
        let path = format!("/rest/applinks/1.0/applicationlink/{id}");
        let answer = self.call(Method::DELETE, &path, None).await?;
        if answer.status.is_success() || answer.status == StatusCode::NOT_FOUND {
            Ok(())
        } else {
            Err(refused("the reciprocal deletion", answer.status, &answer))
        }
    }

    async fn expect_success(
        &self,
        step: &'static str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<(), RemoteError> {
        let answer = self.call(method, path, body).await?;
        if answer.status.is_success() {
            Ok(())
        } else {
            Err(refused(step, answer.status, &answer))
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Response, RemoteError> {
        let url = join(&self.base, path);
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, self.authorization.clone());
        headers.insert("x-atlassian-token", HeaderValue::from_static("no-check"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let body = match body {
            Some(json) => {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        Ok(self
            .state
            .outbound()
            .send(method, &url, headers, body, &RequestOptions::default())
            .await?)
    }
}

/// Reads a remote application's consumer-info.
pub(crate) async fn fetch_consumer_info(
    state: &AppState,
    base: &str,
) -> Result<ConsumerInfo, RemoteError> {
    let step = "the consumer information";
    let base = Url::parse(base).map_err(|_| RemoteError::Unusable {
        step,
        reason: "bad URL".into(),
    })?;
    let url = join(&base, "/plugins/servlet/oauth/consumer-info");
    let answer = state
        .outbound()
        .get(&url, &RequestOptions::default())
        .await?;
    if !answer.status.is_success() {
        return Err(refused(step, answer.status, &answer));
    }
    let text = std::str::from_utf8(&answer.body).map_err(|_| RemoteError::Unusable {
        step,
        reason: "not UTF-8".into(),
    })?;
    ConsumerInfo::parse_xml(text).map_err(|error| RemoteError::Unusable {
        step,
        reason: error.to_string(),
    })
}

/// Sends a request across `link` as `user`, signed with our key: 2-legged with impersonation
/// when the link's outgoing levels allow it, plain 2-legged otherwise.
pub(crate) async fn signed_request(
    state: &AppState,
    link: &ApplicationLink,
    method: Method,
    path_and_query: &str,
    user: Option<&Username>,
) -> Result<Response, RemoteError> {
    let step = "the signed request";
    if names_protocol_parameters(path_and_query) {
        return Err(RemoteError::Unusable {
            step,
            reason: "the path names OAuth parameters".into(),
        });
    }
    let base = Url::parse(&link.rpc_url).map_err(|_| RemoteError::Unusable {
        step,
        reason: "bad URL".into(),
    })?;
    let mut url = join(&base, path_and_query);
    if let Some(user) = user.filter(|_| link.outgoing.two_lo_impersonation_enabled) {
        let query = match url.query() {
            Some(query) if !query.is_empty() => format!(
                "{query}&xoauth_requestor_id={}",
                percent_encode(user.as_str())
            ),
            _ => format!("xoauth_requestor_id={}", percent_encode(user.as_str())),
        };
        url.set_query(Some(&query));
    }
    let timestamp = u64::try_from(state.now()).unwrap_or_default();
    let identity = state.identity();
    let authorization = ClientRequest {
        method: method.as_str(),
        url: url.as_str(),
        consumer_key: identity.consumer_key(),
        token: Some(""),
        timestamp,
        nonce: &generate_nonce(),
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(identity.private_key()))
    .map_err(|error| RemoteError::Unusable {
        step,
        reason: error.to_string(),
    })?;
    let mut headers = HeaderMap::new();
    let authorization =
        HeaderValue::from_str(&authorization).map_err(|_| RemoteError::Unusable {
            step,
            reason: "header".into(),
        })?;
    headers.insert(header::AUTHORIZATION, authorization);
    Ok(state
        .outbound()
        .send(
            method,
            &url,
            headers,
            Bytes::new(),
            &RequestOptions::default(),
        )
        .await?)
}

/// Whether a path's query names `xoauth_requestor_id` or an `oauth_` parameter, which only the
/// signer may set.
pub(crate) fn names_protocol_parameters(path_and_query: &str) -> bool {
    let Some((_, query)) = path_and_query.split_once('?') else {
        return false;
    };
    url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| name == "xoauth_requestor_id" || name.starts_with("oauth_"))
}

/// `base` with `path_and_query` appended under its path.
fn join(base: &Url, path_and_query: &str) -> Url {
    let mut joined = base.clone();
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let prefix = base.path().trim_end_matches('/');
    joined.set_path(&format!("{prefix}{path}"));
    joined.set_query((!query.is_empty()).then_some(query));
    joined
}

fn refused(step: &'static str, status: StatusCode, answer: &Response) -> RemoteError {
    let body: String = String::from_utf8_lossy(&answer.body)
        .chars()
        .take(200)
        .collect();
    RemoteError::Refused { step, status, body }
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn paths_join_under_the_base_path() {
        let base = url::Url::parse("https://x.example.com/jira/").unwrap();
        assert_eq!(
            join(&base, "/rest/a?b=c").as_str(),
            "https://x.example.com/jira/rest/a?b=c"
        );
        let root = url::Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            join(&root, "/rest/a").as_str(),
            "http://127.0.0.1:8080/rest/a"
        );
    }
}
