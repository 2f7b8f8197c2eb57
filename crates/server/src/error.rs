//! The one error type of the REST API and the OAuth endpoints, which is an HTTP response.
//!
//! Each variant has a status and a fixed public message. A cause that is ours (a database
//! fault) goes to the log with the request id, which the body also carries; no internal error
//! text reaches a response body. REST errors use the reference products' body,
//! `{"status", "message", "errors", "requestId"}`; OAuth refusals use the `oauth_problem`
//! convention (a `WWW-Authenticate: OAuth` header and the same report form-encoded).

use applinks_core::store::StoreError;
use applinks_oauth1::ProblemReport;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::request_id;

/// An error answered by the REST API or an OAuth endpoint.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The caller sent something we cannot accept; the messages say what, for people.
    #[error("bad request")]
    BadRequest(Vec<String>),
    /// No credentials, or wrong ones.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// A state-changing call without the XSRF header or token.
    #[error("cross-site request refused")]
    CrossSite,
    /// The thing named does not exist.
    #[error("not found")]
    NotFound,
    /// The request conflicts with what exists; the messages say how.
    #[error("conflict")]
    Conflict(Vec<String>),
    /// A linked application failed a step; the messages say which and how.
    #[error("remote application failed")]
    Remote(Vec<String>),
    /// Too many attempts; try again later.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds until the caller may try again.
        retry_after_secs: u64,
    },
    /// An OAuth request refused, answered in the `oauth_problem` convention.
    #[error("OAuth problem {}", .report.problem().as_str())]
    OAuth {
        /// The problem and its parameters.
        report: ProblemReport,
        /// The realm: our base URL.
        realm: String,
    },
    /// The database failed us.
    #[error("storage failed")]
    Storage(#[from] StoreError),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    status: u16,
    message: &'a str,
    errors: &'a [String],
    request_id: String,
}

impl ApiError {
    /// A bad request with one message.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(vec![message.into()])
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Remote(_) => StatusCode::BAD_GATEWAY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::OAuth { report, .. } => {
                StatusCode::from_u16(report.status()).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn public_message(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "The request is not valid.",
            Self::Unauthenticated => "Sign in, or send HTTP Basic or OAuth credentials.",
            Self::Forbidden => "You are not allowed to do this.",
            Self::CrossSite => {
                "State-changing calls need the header X-Atlassian-Token: no-check \
                 (or the page's CSRF token)."
            }
            Self::NotFound => "Not found.",
            Self::Conflict(_) => "The request conflicts with the current state.",
            Self::Remote(_) => "The linked application could not complete the request.",
            Self::TooManyRequests { .. } => "Too many attempts. Wait a few minutes and try again.",
            Self::OAuth { .. } => "The OAuth request was refused.",
            Self::Storage(_) => "The database is unavailable. Try again shortly.",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Storage(cause) => {
                tracing::error!(
                    error = %cause, source = ?std::error::Error::source(cause),
                    "storage failed"
                );
            }
            Self::OAuth { report, realm } => return oauth_problem(status, report, realm),
            _ => {}
        }

        let errors = match &self {
            Self::BadRequest(errors) | Self::Conflict(errors) | Self::Remote(errors) => {
                errors.as_slice()
            }
            _ => &[],
        };
        let body = ErrorBody {
            status: status.as_u16(),
            message: self.public_message(),
            errors,
            request_id: request_id::current(),
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthenticated => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"applinks\""),
                );
            }
            Self::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// An `oauth_problem` answer: the report in `WWW-Authenticate` and, form-encoded, in the body.
fn oauth_problem(status: StatusCode, report: &ProblemReport, realm: &str) -> Response {
    tracing::debug!(problem = report.problem().as_str(), "OAuth request refused");
    let challenge = HeaderValue::from_str(&report.www_authenticate(realm))
        .unwrap_or_else(|_| HeaderValue::from_static("OAuth"));
    (
        status,
        [
            (header::WWW_AUTHENTICATE, challenge),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            ),
        ],
        report.form_body(),
    )
        .into_response()
}

/// A JSON request body whose rejections (bad syntax, wrong types, wrong content type) are
/// answered as [`ApiError::BadRequest`] in the API's error shape.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::bad_request(rejection.body_text())),
        }
    }
}
