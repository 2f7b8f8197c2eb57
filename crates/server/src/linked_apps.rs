//! Authorised links: the access tokens a user holds at linked applications (from the login
//! dance), listed and dropped by their holder (SPEC §5.4).
//!
//! `GET /rest/applinks/1.0/authorised-links` lists the links the caller holds a token for;
//! `DELETE /rest/applinks/1.0/authorised-links/{linkId}` drops one, so that the next request
//! across that link asks the user again. Dropping forgets our copy only: the remote keeps its
//! record of the grant until the user revokes it there too.
//!
//! The page `/plugins/servlet/applinks/linked-applications` shows every link with who the user
//! is over there: it asks each remote `GET /rest/api/1.0/myself` through
//! [`remote::request_as_user`], all at once and within a few seconds in all, and shows a short
//! message for people when one cannot say (the cause goes to the log). Links that use 3-legged
//! OAuth get an Authorise link or a Revoke button (a CSRF-protected form). This is the mirror of
//! [`crate::access_tokens`], which lists the tokens this application has issued.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use applinks_core::link::{ApplicationId, ApplicationLink};
use applinks_core::manifest::AuthenticationProvider;
use applinks_core::store::{ConsumerTokenStore, LinkStore};
use applinks_core::user::Username;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::account::render;
use crate::admin;
use crate::caller::{Caller, Visitor};
use crate::csrf;
use crate::error::ApiError;
use crate::outbound::{OutboundError, Response as RemoteResponse};
use crate::providers;
use crate::remote::{self, ActingError, RemoteError};
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
    tracing::info!(
        link = %link_id, username = %caller.user.username,
        "a user dropped their access to a linked application"
    );
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
    wait_secs: u64,
}

/// One linked application as the page shows it.
struct LinkRow {
    id: String,
    name: String,
    type_name: String,
    display_url: String,
    /// The display URL as a link, when it is an http(s) URL.
    display_href: Option<String>,
    /// How this server acts as the user there, in words.
    acting_as: &'static str,
    /// Who the user is over there, when the remote said so.
    remote_user: Option<RemoteUser>,
    /// Where to authorise 3-legged access, when the user has not yet.
    authorise_url: Option<String>,
    /// Whether the user holds a 3-legged token for the link, which Revoke drops.
    authorised: bool,
    /// Why the remote could not say who the user is, in words for people.
    problem: Option<&'static str>,
}

/// Who the remote application says the user is (`GET /rest/api/1.0/myself`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoteUser {
    name: String,
    #[serde(default)]
    display_name: String,
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
        tracing::info!(
            link = %link_id, %username,
            "a user dropped their access to a linked application"
        );
        return Ok(Redirect::to(PAGE).into_response());
    }
    render_page(&state, &caller, Some("That access was already revoked.")).await
}

/// Lists every link with who the user is over there, asked of each remote at once.
async fn render_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    let username = &caller.user.username;
    let held = state.database().user_held_tokens(username).await?;
    let links = state.database().links().await?;
    let mut answers = identities(state, &links, username).await;

    let mut rows = Vec::with_capacity(links.len());
    for (index, link) in links.into_iter().enumerate() {
        let identity = answers
            .remove(&index)
            .unwrap_or(Identity::Unknown(TIMED_OUT));
        let holds_token = held.iter().any(|token| token.link_id == link.id);
        rows.push(row(state, link, holds_token, identity).await?);
    }
    let page = LinkedPage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        rows,
        csrf_token: &session.csrf_token,
        notice,
        wait_secs: IDENTITY_WAIT.as_secs(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// How long the page waits, in all, for the linked applications to say who the user is: a
/// slow or silent remote delays the page by this much at most.
const IDENTITY_WAIT: Duration = Duration::from_secs(5);

/// How many linked applications are asked at the same time for one page.
const CONCURRENT_LOOKUPS: usize = 8;

/// What a linked application said about who the user is there.
enum Identity {
    /// It named them.
    Known(RemoteUser),
    /// The user has not allowed 3-legged access yet: authorise at this URL.
    AuthorisationRequired(String),
    /// It could not say, for this reason, in words for people.
    Unknown(&'static str),
}

/// Asks every linked application who `username` is there, concurrently and within
/// [`IDENTITY_WAIT`]; the answers are keyed by the link's index in `links`, and a link missing
/// from them did not answer in time.
async fn identities(
    state: &AppState,
    links: &[ApplicationLink],
    username: &Username,
) -> HashMap<usize, Identity> {
    let deadline = Instant::now() + IDENTITY_WAIT;
    let permits = Arc::new(Semaphore::new(CONCURRENT_LOOKUPS));
    let mut lookups = JoinSet::new();
    for (index, link) in links.iter().enumerate() {
        let (state, link, username) = (state.clone(), link.clone(), username.clone());
        let permits = Arc::clone(&permits);
        lookups.spawn(async move {
            let lookup = async {
                let _permit = permits.acquire().await;
                let path = "/rest/api/1.0/myself";
                remote::request_as_user(&state, &link, &username, Method::GET, path, Some(PAGE))
                    .await
            };
            let identity = match tokio::time::timeout_at(deadline, lookup).await {
                Ok(Ok(answer)) => {
                    remote_user(&answer).map_or_else(Identity::Unknown, Identity::Known)
                }
                Ok(Err(ActingError::AuthorisationRequired { authorise_url })) => {
                    Identity::AuthorisationRequired(authorise_url)
                }
                Ok(Err(error)) => {
                    tracing::debug!(
                        link = %link.id, %error,
                        "a linked application could not say who a user is"
                    );
                    Identity::Unknown(problem_of(&error))
                }
                Err(_) => Identity::Unknown(TIMED_OUT),
            };
            (index, identity)
        });
    }

    let mut answers = HashMap::new();
    let collect = async {
        while let Some(joined) = lookups.join_next().await {
            if let Ok((index, identity)) = joined {
                answers.insert(index, identity);
            }
        }
    };
    // Each lookup ends by the deadline on its own; the margin only covers their last steps.
    // Whatever still runs after it is aborted when `lookups` is dropped.
    let _ = tokio::time::timeout_at(deadline + Duration::from_millis(200), collect).await;
    answers
}

/// The page's row for `link`, with what it said about the user.
async fn row(
    state: &AppState,
    link: ApplicationLink,
    holds_token: bool,
    identity: Identity,
) -> Result<LinkRow, ApiError> {
    let mut row = LinkRow {
        id: link.id.to_string(),
        type_name: admin::type_name(&link.type_id),
        display_href: admin::web_href(&link.display_url),
        acting_as: acting_as(state, &link).await?,
        remote_user: None,
        authorise_url: None,
        authorised: uses_three_legged(&link) && holds_token,
        problem: None,
        name: link.name,
        display_url: link.display_url,
    };
    match identity {
        Identity::Known(user) => row.remote_user = Some(user),
        // The token the user held, if any, was refused and is gone: Authorise, not Revoke.
        Identity::AuthorisationRequired(url) => {
            row.authorised = false;
            row.authorise_url = Some(url);
        }
        Identity::Unknown(problem) => row.problem = Some(problem),
    }
    Ok(row)
}

/// The message for a linked application that did not answer in time.
const TIMED_OUT: &str = "It did not answer in time. Reload to try again.";

/// Whether requests across `link` act with the user's own 3-legged token.
fn uses_three_legged(link: &ApplicationLink) -> bool {
    link.outgoing.enabled && !link.outgoing.two_lo_impersonation_enabled
}

/// How requests across `link` act as the user, as [`remote::request_as_user`] decides it.
async fn acting_as(state: &AppState, link: &ApplicationLink) -> Result<&'static str, ApiError> {
    let levels = link.outgoing;
    Ok(if levels.two_lo_impersonation_enabled {
        "As the user with your name (impersonation)"
    } else if levels.enabled {
        "As you, once you authorise it (OAuth)"
    } else if levels.two_lo_enabled {
        "As the account it chose for this application (2-legged OAuth)"
    } else if providers::is_configured(state, link, AuthenticationProvider::Basic).await? {
        "As a shared service account (Basic, deprecated)"
    } else {
        "Not at all: no outgoing authentication"
    })
}

/// The user a `myself` answer names, or why it names none.
fn remote_user(answer: &RemoteResponse) -> Result<RemoteUser, &'static str> {
    match answer.status.as_u16() {
        200..=299 => serde_json::from_slice::<RemoteUser>(&answer.body)
            .ok()
            .filter(|user| !user.name.is_empty())
            .ok_or("Its answer did not say who you are."),
        401 | 403 => Err("It did not accept this server's request as you."),
        404 => Err("It does not say who its users are (no /rest/api/1.0/myself)."),
        _ => Err("It answered with an error. Try again later."),
    }
}

/// A short message for people about why a lookup failed; the cause goes to the log.
fn problem_of(error: &ActingError) -> &'static str {
    match error {
        ActingError::NotConfigured => "This link cannot act as you: ask an administrator.",
        ActingError::Remote(RemoteError::Unreachable(OutboundError::Denied { .. })) => {
            "This server may not connect to its address: ask an administrator."
        }
        ActingError::Remote(RemoteError::Unreachable(OutboundError::Timeout { .. })) => TIMED_OUT,
        ActingError::Remote(RemoteError::Unreachable(_)) => {
            "It could not be reached. Try again later."
        }
        ActingError::Remote(_) => "Its answer could not be used.",
        ActingError::Storage(_) => "It could not be asked just now. Try again later.",
        ActingError::AuthorisationRequired { .. } => "Not authorised yet.",
    }
}
