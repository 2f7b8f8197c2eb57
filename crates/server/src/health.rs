//! Health endpoints for load balancers: `/healthz` says the process serves, `/readyz` that it
//! can do useful work (the database answers).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::AppState;

/// How long `/readyz` waits for the database before calling it down.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(DATABASE_TIMEOUT, state.database().ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok" })),
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness check: database timed out");
            unavailable()
        }
    }
}

fn unavailable() -> (StatusCode, Json<Value>) {
    let body = json!({ "status": "unavailable", "database": "unavailable" });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body))
}
