//! Authorised links: the access tokens a user holds at linked applications (from the login
//! dance), listed and dropped by their holder (SPEC §5.4).
//!
//! `GET /rest/applinks/1.0/authorised-links` lists the links the caller holds a token for;
//! `DELETE /rest/applinks/1.0/authorised-links/{linkId}` drops one, so that the next request
//! across that link asks the user again. Dropping forgets our copy only: the remote keeps its
//! record of the grant until the user revokes it there too. The page
//! `/plugins/servlet/applinks/linked-applications` shows every link that uses 3-legged OAuth
//! with an Authorise link or a Revoke button (a CSRF-protected form). This is the mirror of
//! [`crate::access_tokens`], which lists the tokens this application has issued.

use applinks_core::link::ApplicationId;
use applinks_core::store::{ConsumerTokenStore, LinkStore};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};

use crate::account::render;
use crate::caller::{Caller, Visitor};
use crate::csrf;
use crate::error::ApiError;
use crate::remote;
use crate::state::AppState;

/// The REST collection of the caller's authorised links.
const COLLECTION: &str = "/rest/applinks/1.0/authorised-links";

/// The page's path.
const PAGE: &str = "/plugins/servlet/applinks/linked-applications";

/// The routes of this module's page (session only).
pub(crate) fn page_routes() -> Router<AppState> {
    Router::new().route(PAGE, get(page).post(revoke_from_page))
}

/// The routes of this module's REST resources (any authenticated caller, for themselves).
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route(COLLECTION, get(list))
        .route(&format!("{COLLECTION}/{{link_id}}"), delete(revoke))
}

/// A link the caller holds an access token for.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthorisedLink {
    /// The link's id (the remote application's id).
    id: String,
    name: String,
    display_url: String,
    /// When the user allowed access, in Unix seconds.
    authorised_at: i64,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AuthorisedLink>>, ApiError> {
    let held = state
        .database()
        .user_held_tokens(&caller.user.username)
        .await?;
    let mut links = Vec::with_capacity(held.len());
    for token in held {
        // A token outlives nothing: deleting a link deletes its tokens.
        if let Some(link) = state.database().link(&token.link_id).await? {
            links.push(AuthorisedLink {
                id: link.id.to_string(),
                name: link.name,
                display_url: link.display_url,
                authorised_at: token.created_at,
            });
        }
    }
    Ok(Json(links))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(link_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.check_xsrf(&headers)?;
    let link_id = ApplicationId::parse(&link_id).map_err(|_| ApiError::NotFound)?;
    if !state
        .database()
        .delete_held_token(&link_id, &caller.user.username)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(link = %link_id, username = %caller.user.username, "a user dropped their access to a linked application");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "linked_applications.html")]
struct LinkedPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    rows: Vec<LinkRow>,
    csrf_token: &'a str,
    notice: Option<&'a str>,
}

struct LinkRow {
    id: String,
    name: String,
    display_url: String,
    authorised: bool,
    authorise_url: String,
}

#[derive(Deserialize)]
struct RevokeForm {
    link_id: String,
    csrf_token: String,
}

async fn page(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
) -> Result<Response, ApiError> {
    render_page(&state, &caller, None).await
}

async fn revoke_from_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Visitor(caller): Visitor,
    Form(form): Form<RevokeForm>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    if !csrf::same_origin(&headers, state.config())
        || !csrf::token_matches(session, &form.csrf_token)
    {
        return Err(ApiError::CrossSite);
    }
    let link_id = ApplicationId::parse(&form.link_id).map_err(|_| ApiError::NotFound)?;
    let username = &caller.user.username;
    if state
        .database()
        .delete_held_token(&link_id, username)
        .await?
    {
        tracing::info!(link = %link_id, %username, "a user dropped their access to a linked application");
        return Ok(Redirect::to(PAGE).into_response());
    }
    render_page(&state, &caller, Some("That access was already revoked.")).await
}

/// Lists the links that use 3-legged OAuth (impersonation needs no permission of the user's).
async fn render_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    let held = state
        .database()
        .user_held_tokens(&caller.user.username)
        .await?;
    let rows = state
        .database()
        .links()
        .await?
        .into_iter()
        .filter(|link| link.outgoing.enabled && !link.outgoing.two_lo_impersonation_enabled)
        .map(|link| LinkRow {
            authorised: held.iter().any(|token| token.link_id == link.id),
            authorise_url: remote::authorise_url(state, &link.id, Some(PAGE)),
            id: link.id.to_string(),
            name: link.name,
            display_url: link.display_url,
        })
        .collect();
    let page = LinkedPage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        rows,
        csrf_token: &session.csrf_token,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}
