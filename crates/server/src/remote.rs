//! Calls this server makes to a linked application, all through the guarded outgoing client:
//! as the remote administrator while linking (HTTP Basic with the credentials the wizard asked
//! for), and as a user across an established link (OAuth 1.0a, signed with our key, or the
//! deprecated Basic service account of a generic application):
//! [`request_as_user`] is the request API an embedding application uses, and
//! [`request_as_user_streaming`] its form that hands the answer over as it arrives, which the
//! proxy uses.

use std::collections::BTreeMap;

use applinks_core::consumer::ConsumerInfo;
use applinks_core::link::{ApplicationId, ApplicationLink, OAuthLevels};
use applinks_core::manifest::AuthenticationProvider;
use applinks_core::store::{ConsumerTokenStore, ProviderStore, StoreError};
use applinks_core::user::Username;
use applinks_oauth1::{
    ClientRequest, Problem, ProblemReport, Secret, SigningKey, generate_nonce, percent_encode,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use url::Url;

use crate::dance;
use crate::error::ApiError;
use crate::outbound::{OutboundError, RequestOptions, Response, StreamingResponse};
use crate::providers::{self, BasicAccount};
use crate::state::AppState;

/// Why a call to the remote application failed, in words an administrator can act on.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
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
        let authorization = basic_authorization(username, password).ok_or_else(|| {
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
            "/rest/applinks-oauth/1.0/applicationlink/{id}/authentication/consumer\
             ?autoConfigure=true"
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

/// Why [`request_as_user`] has no answer from the remote application.
#[derive(Debug, thiserror::Error)]
pub enum ActingError {
    /// The link uses 3-legged OAuth and the user has not allowed us to act as them over there
    /// yet, or the remote no longer accepts the token they allowed: send them to
    /// `authorise_url`, our login-dance endpoint for the link, which brings them back after.
    #[error("the user must first allow access to the linked application")]
    AuthorisationRequired {
        /// Our `…/login-dance/authorize` URL for the link, absolute, with the return path.
        authorise_url: String,
    },
    /// The link has no outgoing OAuth enabled, nor a Basic service account.
    #[error("the link has no outgoing authentication")]
    NotConfigured,
    /// The remote could not be asked, or its answer was unusable.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// Our database failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl From<ActingError> for ApiError {
    fn from(error: ActingError) -> Self {
        match error {
            // The deny-list's reasons are for administrators; a user learns what they can do.
            ActingError::Remote(RemoteError::Unreachable(OutboundError::Denied { .. })) => {
                ApiError::Conflict(vec![
                    "the linked application's address is one this server may not connect to; \
                     ask an administrator to check the link"
                        .into(),
                ])
            }
            ActingError::Remote(error) => error.into(),
            ActingError::Storage(error) => error.into(),
            ActingError::NotConfigured => ApiError::Conflict(vec![
                "the link has no outgoing authentication enabled".into(),
            ]),
            // Callers that can send a person through the dance answer this themselves.
            ActingError::AuthorisationRequired { .. } => ApiError::Unauthenticated,
        }
    }
}

/// Sends a request to the application behind `link` as our user `user`, with the link's
/// outgoing authentication (SPEC §5.4), and returns the remote's answer, whatever its status:
///
/// - 2-legged OAuth with impersonation (`xoauth_requestor_id`) when the link allows it;
/// - otherwise 3-legged OAuth with the access token the user allowed, when the link uses it.
///   When the remote answers that the token expired and gave us a session handle with it, the
///   token is renewed at the remote's access-token endpoint and the request sent once more.
///   Without a token, or when the remote refuses the token as rejected or revoked, or refuses
///   its renewal (the token is then dropped), [`ActingError::AuthorisationRequired`] names the
///   URL that takes the user through the dance and back to `return_to`, a path on this server;
/// - otherwise plain 2-legged OAuth;
/// - and for a link without outgoing OAuth whose administrator configured Basic authentication
///   (`BasicAuthenticationProvider`, legacy and deprecated), HTTP Basic with the configured
///   service account, whoever `user` is.
///
/// `path_and_query` is joined under the link's rpc URL and may not name OAuth parameters. The
/// request goes through the guarded outgoing client, with its time and size limits.
///
/// # Example
///
/// An embedding application reading who its user is in the linked application:
///
/// ```
/// use applinks_core::link::ApplicationLink;
/// use applinks_core::user::Username;
/// use applinks_server::{ActingError, AppState, request_as_user};
/// use axum::http::Method;
///
/// /// The user's name over there, or where to send them to allow access first.
/// async fn remote_name(
///     state: &AppState,
///     link: &ApplicationLink,
///     user: &Username,
/// ) -> Result<Result<String, String>, ActingError> {
///     let path = "/rest/api/1.0/myself";
///     match request_as_user(state, link, user, Method::GET, path, Some("/dashboard")).await {
///         Ok(answer) => {
///             let me: serde_json::Value =
///                 serde_json::from_slice(&answer.body).unwrap_or_default();
///             Ok(Ok(me["name"].as_str().unwrap_or_default().to_owned()))
///         }
///         Err(ActingError::AuthorisationRequired { authorise_url }) => Ok(Err(authorise_url)),
///         Err(other) => Err(other),
///     }
/// }
/// ```
pub async fn request_as_user(
    state: &AppState,
    link: &ApplicationLink,
    user: &Username,
    method: Method,
    path_and_query: &str,
    return_to: Option<&str>,
) -> Result<Response, ActingError> {
    let options = RequestOptions::default();
    let answer = request_as_user_streaming(
        state,
        link,
        user,
        method,
        path_and_query,
        return_to,
        &options,
    )
    .await?;
    Ok(answer.read_whole().await.map_err(RemoteError::from)?)
}

/// Sends a request like [`request_as_user`], with the limits of `options`, and returns the
/// answer once its head has arrived; its body is read as it comes and ends with an error past
/// the size cap or the call's deadline.
///
/// A `401` is read whole first (up to 64 KiB), because its `oauth_problem` decides whether the
/// token is renewed or dropped; every other answer streams.
pub async fn request_as_user_streaming(
    state: &AppState,
    link: &ApplicationLink,
    user: &Username,
    method: Method,
    path_and_query: &str,
    return_to: Option<&str>,
    options: &RequestOptions,
) -> Result<StreamingResponse, ActingError> {
    let levels = link.outgoing;
    if levels.two_lo_impersonation_enabled || (!levels.enabled && levels.two_lo_enabled) {
        let user = Some(user);
        let answer = signed_request_streaming(state, link, method, path_and_query, user, options);
        return Ok(answer.await?);
    }
    if !levels.enabled {
        let Some(account) = providers::basic_account(state, link).await? else {
            return Err(ActingError::NotConfigured);
        };
        return Ok(basic_request(state, link, method, path_and_query, &account, options).await?);
    }

    let required = || ActingError::AuthorisationRequired {
        authorise_url: authorise_url(state, &link.id, return_to),
    };
    let Some(held) = state.database().held_token(&link.id, user).await? else {
        return Err(required());
    };
    let Some(token) = state.unseal(HELD_TOKEN, &held.token) else {
        // Sealed under another secret key: useless, so the user is asked again.
        state.database().delete_held_token(&link.id, user).await?;
        return Err(required());
    };
    let url = resource_url(link, path_and_query)?;
    let consumer_key = outgoing_consumer_key(state, link).await?;
    let send = |token| SignedCall {
        method: method.clone(),
        url: &url,
        consumer_key: &consumer_key,
        token,
        options,
    };
    let (answer, problem) = match send_with_token(state, send(&token)).await? {
        (answer, None) => return Ok(answer),
        // An expired token is renewed once with its session handle, where the remote gave one
        // (the oauth_session_handle extension the reference products implement).
        (answer, Some(Problem::TokenExpired)) if held.session_handle.is_some() => {
            match dance::renew(state, link, &held, &token).await? {
                Some(renewed) => send_with_token(state, send(&renewed)).await?,
                None => (answer, Some(Problem::TokenExpired)),
            }
        }
        refused => refused,
    };
    if problem.is_none() {
        return Ok(answer);
    }
    state.database().delete_held_token(&link.id, user).await?;
    tracing::info!(
        link = %link.id, username = %user,
        "the linked application refused a held token; dropped it"
    );
    Err(required())
}

/// A 3-legged request signed with an access token.
struct SignedCall<'a> {
    method: Method,
    url: &'a Url,
    consumer_key: &'a str,
    token: &'a Secret,
    options: &'a RequestOptions,
}

/// Sends a 3-legged request, with the problem its answer reports with the token.
async fn send_with_token(
    state: &AppState,
    signed: SignedCall<'_>,
) -> Result<(StreamingResponse, Option<Problem>), RemoteError> {
    let call = OAuthCall {
        method: signed.method,
        url: signed.url,
        consumer_key: signed.consumer_key,
        token: Some(signed.token.expose()),
        callback: None,
        verifier: None,
        session_handle: None,
    };
    let step = "the signed request";
    let answer = send_oauth_streaming(state, step, call, signed.options).await?;
    with_token_problem(answer).await
}

/// The most of a `401` answer's body read to find its `oauth_problem`; challenges are short.
const MAX_CHALLENGE_BYTES: usize = 64 * 1024;

/// The answer, with the problem it reports with the access token: a `401` is read whole (it is
/// small) so that its body can be searched, any other answer is left to stream.
async fn with_token_problem(
    answer: StreamingResponse,
) -> Result<(StreamingResponse, Option<Problem>), RemoteError> {
    if answer.status != StatusCode::UNAUTHORIZED {
        return Ok((answer, None));
    }
    let answer = answer.read_whole_within(MAX_CHALLENGE_BYTES).await?;
    let problem = token_problem(&answer);
    Ok((answer.into(), problem))
}

/// Sends a request across `link` with the HTTP Basic credentials of its service account: every
/// user acts as that one account over there, which is why the reference products deprecate it.
async fn basic_request(
    state: &AppState,
    link: &ApplicationLink,
    method: Method,
    path_and_query: &str,
    account: &BasicAccount,
    options: &RequestOptions,
) -> Result<StreamingResponse, RemoteError> {
    let url = resource_url(link, path_and_query)?;
    let mut authorization = basic_authorization(&account.username, account.password.expose())
        .ok_or_else(|| RemoteError::Unusable {
            step: "the Basic request",
            reason: "the service account is not valid header text".into(),
        })?;
    authorization.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, authorization);
    tracing::debug!(link = %link.id, deprecated = true, "sending a request with Basic credentials");
    Ok(state
        .outbound()
        .send_streaming(method, &url, headers, Bytes::new(), options)
        .await?)
}

/// The `Authorization` value of HTTP Basic (RFC 7617) for `username` and `password`.
fn basic_authorization(username: &str, password: &str) -> Option<HeaderValue> {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    HeaderValue::from_str(&format!("Basic {credentials}")).ok()
}

/// The purpose held tokens' values, secrets and session handles are sealed under.
pub(crate) const HELD_TOKEN: &str = "held_token";

/// Our login-dance URL for `link_id`, absolute, bringing the user back to `return_to`.
pub(crate) fn authorise_url(
    state: &AppState,
    link_id: &ApplicationId,
    return_to: Option<&str>,
) -> String {
    let mut url = format!(
        "{}{DANCE_AUTHORIZE}?applicationLinkID={}",
        state.config().base_url_str(),
        percent_encode(link_id.as_str())
    );
    if let Some(path) = return_to {
        url.push_str(&format!("&redirectUrl={}", percent_encode(path)));
    }
    url
}

/// The path of our login-dance start.
pub(crate) const DANCE_AUTHORIZE: &str = "/plugins/servlet/applinks/oauth/login-dance/authorize";

/// How a remote's answer refuses the access token itself (rather than, say, the user's
/// permissions): a 401 whose `oauth_problem`, in the challenge or the body, says the token is
/// expired, rejected or revoked. `None` for any other answer.
fn token_problem(answer: &Response) -> Option<Problem> {
    if answer.status != StatusCode::UNAUTHORIZED {
        return None;
    }
    let from_header = answer
        .headers
        .get_all(header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(ProblemReport::from_www_authenticate);
    let report = from_header
        .or_else(|| ProblemReport::from_form_body(std::str::from_utf8(&answer.body).ok()?))?;
    let problem = report.problem();
    matches!(
        problem,
        Problem::TokenExpired | Problem::TokenRejected | Problem::TokenRevoked
    )
    .then_some(problem)
}

/// The consumer key we sign with for `link`: the one an administrator configured for a
/// generic application (`consumerKey.outbound`), else our own.
pub(crate) async fn outgoing_consumer_key(
    state: &AppState,
    link: &ApplicationLink,
) -> Result<String, StoreError> {
    let configured = oauth_provider_config(state, link)
        .await?
        .and_then(|mut config| config.remove("consumerKey.outbound"))
        .filter(|key| !key.is_empty());
    Ok(configured.unwrap_or_else(|| state.identity().consumer_key().to_owned()))
}

/// The link's hand-made 3-legged OAuth configuration (`OAuthAuthenticationProvider`), if any.
pub(crate) async fn oauth_provider_config(
    state: &AppState,
    link: &ApplicationLink,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    let wanted = AuthenticationProvider::OAuth.short_name();
    let providers = state.database().providers(&link.id).await?;
    Ok(providers
        .into_iter()
        .find(|(provider, _)| provider == wanted)
        .and_then(|(_, config)| serde_json::from_str(&config).ok()))
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
    let options = RequestOptions::default();
    let answer = signed_request_streaming(state, link, method, path_and_query, user, &options);
    Ok(answer.await?.read_whole().await?)
}

/// [`signed_request`] with the limits of `options`, its answer's body read as it arrives.
async fn signed_request_streaming(
    state: &AppState,
    link: &ApplicationLink,
    method: Method,
    path_and_query: &str,
    user: Option<&Username>,
    options: &RequestOptions,
) -> Result<StreamingResponse, RemoteError> {
    let mut url = resource_url(link, path_and_query)?;
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
    let call = OAuthCall {
        method,
        url: &url,
        consumer_key: state.identity().consumer_key(),
        token: Some(""),
        callback: None,
        verifier: None,
        session_handle: None,
    };
    send_oauth_streaming(state, "the signed request", call, options).await
}

/// `path_and_query` under the link's rpc URL, refused when it names protocol parameters.
fn resource_url(link: &ApplicationLink, path_and_query: &str) -> Result<Url, RemoteError> {
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
    Ok(join(&base, path_and_query))
}

/// An OAuth request we sign with our RSA key (RSA-SHA1, as between the reference products).
pub(crate) struct OAuthCall<'a> {
    /// The method.
    pub(crate) method: Method,
    /// The whole URL, query included.
    pub(crate) url: &'a Url,
    /// The consumer key we present.
    pub(crate) consumer_key: &'a str,
    /// `oauth_token`: empty for 2-legged requests, absent when asking for a request token.
    pub(crate) token: Option<&'a str>,
    /// `oauth_callback`, when asking for a request token.
    pub(crate) callback: Option<&'a str>,
    /// `oauth_verifier`, when exchanging a request token.
    pub(crate) verifier: Option<&'a Secret>,
    /// `oauth_session_handle`, when renewing an access token.
    pub(crate) session_handle: Option<&'a Secret>,
}

/// Signs `call` and sends it, with no body, through the guarded client, and reads the answer.
pub(crate) async fn send_oauth(
    state: &AppState,
    step: &'static str,
    call: OAuthCall<'_>,
) -> Result<Response, RemoteError> {
    let answer = send_oauth_streaming(state, step, call, &RequestOptions::default()).await?;
    Ok(answer.read_whole().await?)
}

/// Signs `call` and sends it like [`send_oauth`], with the limits of `options`, its answer's
/// body read as it arrives.
async fn send_oauth_streaming(
    state: &AppState,
    step: &'static str,
    call: OAuthCall<'_>,
    options: &RequestOptions,
) -> Result<StreamingResponse, RemoteError> {
    let timestamp = u64::try_from(state.now()).unwrap_or_default();
    let authorization = ClientRequest {
        method: call.method.as_str(),
        url: call.url.as_str(),
        consumer_key: call.consumer_key,
        token: call.token,
        timestamp,
        nonce: &generate_nonce(),
        callback: call.callback,
        verifier: call.verifier,
        session_handle: call.session_handle,
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::RsaSha1(state.identity().private_key()))
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
        .send_streaming(call.method, call.url, headers, Bytes::new(), options)
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
pub(crate) fn join(base: &Url, path_and_query: &str) -> Url {
    let mut joined = base.clone();
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let prefix = base.path().trim_end_matches('/');
    joined.set_path(&format!("{prefix}{path}"));
    joined.set_query((!query.is_empty()).then_some(query));
    joined
}

pub(crate) fn refused(step: &'static str, status: StatusCode, answer: &Response) -> RemoteError {
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
