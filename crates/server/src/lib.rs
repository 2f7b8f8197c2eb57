//! The applinks HTTP server, as an axum [`Router`](axum::Router) and a function that runs it.
//!
//! This crate wires the domain of `applinks-core` to the network: the protocol endpoints peers
//! call while linking (manifest, consumer-info), the REST API, the pages people use, and the
//! layers every request passes through (request ids, tracing, body limits). Business rules stay
//! in `applinks-core`; SQL stays in `applinks-store`.
//!
//! [`run`] is what `applinks serve` calls; [`app`] builds the router alone so that an embedding
//! application or a test can mount it without sockets.

mod access_tokens;
mod account;
mod admin;
mod audit;
mod caller;
mod config;
mod consumers;
mod csrf;
mod dance;
mod error;
mod health;
mod identity;
mod linked_apps;
mod links;
mod manifest;
mod myself;
pub mod outbound;
pub mod password;
mod provider;
mod providers;
mod proxy;
mod recent;
mod remote;
mod request_id;
mod secrets;
mod signed;
mod state;
mod status;
mod throttle;
mod wizard;

pub use config::{
    DEFAULT_PROXY_MAX_RESPONSE_BYTES, DEFAULT_PROXY_TIMEOUT, DEFAULT_STATUS_INTERVAL_SECS,
    DEFAULT_TIMESTAMP_WINDOW_SECS, ServerConfig,
};
pub use identity::{Bootstrap, BootstrapError, Identity, bootstrap};
pub use remote::{ActingError, RemoteError, request_as_user, request_as_user_streaming};
pub use secrets::{SecretKey, SecretKeyError};
pub use state::{AppState, OsEntropy};

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;

/// The largest request body any endpoint reads: forms and JSON bodies of the API are small.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the whole application: every route, behind the layers every request passes through.
pub fn app(state: AppState) -> Router {
    // Routes that act as a user accept OAuth-signed requests; the layer verifies them.
    let protected = Router::new()
        .merge(myself::routes())
        .merge(links::routes())
        .merge(consumers::routes())
        .merge(access_tokens::api_routes())
        .merge(wizard::routes())
        .merge(proxy::routes())
        .merge(linked_apps::api_routes())
        .merge(audit::api_routes())
        .merge(providers::routes())
        .merge(status::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            signed::authenticate,
        ));
    Router::new()
        .merge(protected)
        .merge(manifest::routes())
        .merge(provider::routes())
        .merge(dance::routes())
        .merge(linked_apps::page_routes())
        .merge(account::routes())
        .merge(admin::routes())
        .merge(access_tokens::page_routes())
        .merge(audit::page_routes())
        .merge(health::routes())
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http().make_span_with(request_id::span_for))
        .layer(axum::middleware::from_fn(request_id::scope))
}

/// Runs the server until `shutdown` resolves, then drains requests in flight.
pub async fn run(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(state.clone().sweep_expired(Duration::from_secs(600)));
    let interval = state.config().status_interval_secs;
    let checker = (interval > 0).then(|| {
        tokio::spawn(status::check_in_background(
            state.clone(),
            Duration::from_secs(interval),
        ))
    });
    let service = app(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    if let Some(checker) = checker {
        checker.abort();
    }
    state.database().close().await;
    result
}
