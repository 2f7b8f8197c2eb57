//! `GET /rest/api/1.0/myself`: who the request acts as. The simplest piece of information one
//! linked application reads from another, and the probe status checks use.

use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::caller::Caller;
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/rest/api/1.0/myself", get(myself))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Myself {
    name: String,
    display_name: String,
    email: String,
}

async fn myself(caller: Caller) -> Json<Myself> {
    let user = caller.user;
    Json(Myself {
        name: user.username.to_string(),
        display_name: user.display_name,
        email: user.email,
    })
}
