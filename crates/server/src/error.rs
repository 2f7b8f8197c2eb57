//! The one error type of the REST API, which is an HTTP response.
//!
//! Each variant has a status and a fixed public message. A cause that is ours (a database
//! fault) goes to the log with the request id, which the body also carries; no internal error
//! text reaches a response body. The body is the reference products' shape:
//! `{"status", "message", "errors", "requestId"}`.

use applinks_core::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::request_id;

/// An error answered by the REST API.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// No credentials, or wrong ones.
    #[error("authentication required")]
    Unauthenticated,
    /// Too many attempts; try again later.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
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
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn public_message(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "Sign in, or send HTTP Basic or OAuth credentials.",
            Self::TooManyRequests { .. } => "Too many attempts. Wait a few minutes and try again.",
            Self::Storage(_) => "The database is unavailable. Try again shortly.",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = request_id::current();
        if let Self::Storage(cause) = &self {
            tracing::error!(error = %cause, source = ?std::error::Error::source(cause), "storage failed");
        }
        let errors: &[String] = &[];
        let status = self.status();
        let body = ErrorBody {
            status: status.as_u16(),
            message: self.public_message(),
            errors,
            request_id,
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
