//! `GET /plugins/servlet/applinks/proxy?appId=…&path=…`: a signed-in user reads a resource of a
//! linked application as themselves, through this server.
//!
//! The request goes to the link's rpc URL only: `path` must be a path on that application (no
//! scheme, host, `..` segment or backslash); a link whose address is on the outgoing deny-list
//! is refused (409) before anything is contacted. It is sent with the link's outgoing
//! authentication ([`remote::request_as_user_streaming`]); when the user must first allow
//! 3-legged access, the answer is a 401 with `WWW-Authenticate: OAuth realm="<the remote's
//! display URL>"` and a JSON body whose `authorisationUri` starts the login dance (SPEC §4).
//!
//! Any other answer streams to the user as it arrives, with its status, content type and
//! length, within the proxy's limits (`ServerConfig::proxy_limits`). When the size cap or the
//! deadline ends it, the connection is cut, so the user sees a truncated answer, never one that
//! looks complete.

use std::pin::Pin;
use std::task::{Context, Poll};

use applinks_core::link::{ApplicationId, ApplicationLink};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use hyper::body::{Frame, SizeHint};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::outbound::{OutboundError, ResponseBody, StreamingResponse};
use crate::remote::{self, ActingError, RemoteError};
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/plugins/servlet/applinks/proxy", get(proxy))
}

#[derive(Debug, Deserialize)]
struct ProxyQuery {
    #[serde(rename = "appId")]
    app_id: Option<String>,
    path: Option<String>,
}

async fn proxy(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ProxyQuery>,
) -> Result<Response, ApiError> {
    let app_id = query.app_id.as_deref().unwrap_or_default();
    let Ok(app_id) = ApplicationId::parse(app_id) else {
        return Err(ApiError::bad_request(
            "appId must name a linked application",
        ));
    };
    // Read on every proxied request, so through the one-second cache that every change to
    // links on this node clears.
    let link = state
        .recent()
        .link(state.database(), &app_id, state.now())
        .await?
        .ok_or(ApiError::NotFound)?;
    let path = confined_path(query.path.as_deref().unwrap_or_default())?;

    let answered = remote::request_as_user_streaming(
        &state,
        &link,
        &caller.user.username,
        Method::GET,
        path,
        None,
        &state.config().proxy_limits,
    )
    .await;
    let answer = match answered {
        Ok(answer) => answer,
        Err(ActingError::AuthorisationRequired { authorise_url }) => {
            return Ok(authorisation_required(&link, &authorise_url));
        }
        Err(
            error @ ActingError::Remote(RemoteError::Unreachable(OutboundError::Denied { .. })),
        ) => {
            tracing::info!(link = %link.id, %error, "the proxy refused a link's denied address");
            return Err(error.into());
        }
        Err(other) => return Err(other.into()),
    };
    Ok(passed_on(&link, answer))
}

/// The remote's answer as ours: its status, content type and length, and its body as it
/// arrives.
fn passed_on(link: &ApplicationLink, answer: StreamingResponse) -> Response {
    let status = StatusCode::from_u16(answer.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let content_type = answer
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    let body = Body::new(Relayed {
        body: answer.body,
        link: link.id.clone(),
    });
    let mut response = (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response();
    if let Some(length) = answer.headers.get(header::CONTENT_LENGTH) {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length.clone());
    }
    response
}

/// The remote's body on its way to the user. When it ends with an error (past the size cap or
/// the deadline, or the remote closed early), the error reaches the server, which cuts the
/// connection instead of ending the answer as if it were complete.
struct Relayed {
    body: ResponseBody,
    link: ApplicationId,
}

impl hyper::body::Body for Relayed {
    type Data = bytes::Bytes;
    type Error = OutboundError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let next = Pin::new(&mut this.body).poll_frame(cx);
        if let Poll::Ready(Some(Err(error))) = &next {
            let link = &this.link;
            tracing::info!(%link, %error, "the proxy cut a linked application's answer short");
        }
        next
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The answer when the user must first allow access: the remote's realm in the challenge, and
/// where to start the dance in the body, as the reference products' proxy answers.
fn authorisation_required(link: &ApplicationLink, authorise_url: &str) -> Response {
    let realm = link.display_url.replace(['"', '\\'], "");
    let challenge = HeaderValue::from_str(&format!("OAuth realm=\"{realm}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("OAuth"));
    let body = json!({
        "authorisationUri": authorise_url,
        "message": format!("Allow access to {} first, at authorisationUri.", link.name),
    });
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::WWW_AUTHENTICATE, challenge),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Json(body),
    )
        .into_response()
}

/// Keeps `path` to a path on the linked application: absolute, without a scheme, authority,
/// `..` segment, backslash or control character, in either its raw or decoded form.
fn confined_path(path: &str) -> Result<&str, ApiError> {
    let refuse = || {
        ApiError::bad_request(
            "path must be a path on the linked application, such as /rest/api/1.0/myself",
        )
    };
    let decoded = percent_decoded(path).ok_or_else(refuse)?;
    for form in [path, decoded.as_str()] {
        let (route, _) = form.split_once('?').unwrap_or((form, ""));
        let escapes = !route.starts_with('/')
            || route.starts_with("//")
            || route.contains('\\')
            || route.contains('@')
            || route.chars().any(char::is_control)
            || route
                .split('/')
                .any(|segment| segment == ".." || segment == ".");
        if escapes {
            return Err(refuse());
        }
    }
    // The user may not choose whom the request acts as: the server signs as them.
    if remote::names_protocol_parameters(path) {
        return Err(ApiError::bad_request(
            "path may not carry OAuth or xoauth_requestor_id parameters",
        ));
    }
    Ok(path)
}

/// `path` with its %-escapes decoded, repeatedly, so that double encoding hides nothing.
fn percent_decoded(path: &str) -> Option<String> {
    let mut current = path.to_owned();
    for _ in 0..3 {
        let next = percent_decode_once(&current)?;
        if next == current {
            return Some(next);
        }
        current = next;
    }
    Some(current)
}

fn percent_decode_once(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::confined_path;

    #[test]
    fn paths_stay_on_the_linked_application() {
        for fine in [
            "/rest/api/1.0/myself",
            "/rest/api/2/search?jql=a%20b",
            "/a/b.c/d",
        ] {
            assert!(confined_path(fine).is_ok(), "{fine}");
        }
        for escape in [
            "rest/api",
            "//evil.test/x",
            "http://evil.test/",
            "/../admin",
            "/a/../../b",
            "/%2e%2e/admin",
            "/%252e%252e/admin",
            "/a\\b",
            "/@evil.test",
            "/a/%2E/b",
            "",
            "/a%0d%0aHost:x",
            "/rest/api/1.0/myself?xoauth_requestor_id=admin",
            "/x?a=1&oauth_token=t",
            "/x?xoauth%5Frequestor%5Fid=admin",
        ] {
            assert!(confined_path(escape).is_err(), "{escape}");
        }
    }
}
