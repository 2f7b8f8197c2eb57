//! The REST resources of links that a peer or a script calls: the 1.0 `applicationlink`
//! resource (a peer creates its reciprocal link with `PUT applicationlink/{id}`) and the 3.0
//! OAuth status a peer reads and sets while configuring OAuth on both sides.

use applinks_core::consumer::Consumer;
use applinks_core::link::{ApplicationId, ApplicationLink, LinkDraft, OAuthLevels};
use applinks_core::store::{ConsumerStore, LinkStore};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::caller::Caller;
use crate::error::{ApiError, JsonBody};
use crate::remote::{self, RemoteAdmin};
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/rest/applinks/1.0/applicationlink", get(list))
        .route(
            "/rest/applinks/1.0/applicationlink/{id}",
            get(read).put(put).delete(remove),
        )
        .route(
            "/rest/applinks/1.0/applicationlink/type/{type_id}",
            get(list_type),
        )
        .route(
            "/rest/applinks/1.0/applicationlink/primary/{id}",
            get(primary_of_type).post(make_primary),
        )
        .route(
            "/rest/applinks/1.0/authenticationinfo",
            get(authentication_info),
        )
        .route("/rest/applinks/3.0/applinks", get(list_v3))
        .route("/rest/applinks/3.0/applinks/{id}", get(read_v3))
        .route(
            "/rest/applinks/3.0/status/{id}/oauth",
            get(oauth_status).put(set_oauth_status),
        )
}

/// A link on the wire (`applicationLink`), as the reference products write it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkEntity {
    id: String,
    type_id: String,
    name: String,
    display_url: String,
    rpc_url: String,
    is_primary: bool,
    is_system: bool,
    /// Set when the link's creation stopped half-way: what the repair action will complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<String>,
    link: SelfLink,
}

#[derive(Debug, Serialize)]
struct SelfLink {
    href: String,
    rel: &'static str,
}

impl LinkEntity {
    pub(crate) fn new(state: &AppState, link: &ApplicationLink) -> Self {
        Self {
            id: link.id.to_string(),
            type_id: link.type_id.clone(),
            name: link.name.clone(),
            display_url: link.display_url.clone(),
            rpc_url: link.rpc_url.clone(),
            is_primary: link.is_primary,
            is_system: link.is_system,
            pending: link.pending.clone(),
            link: SelfLink {
                href: format!(
                    "{}/rest/applinks/1.0/applicationlink/{}",
                    state.config().base_url_str(),
                    link.id
                ),
                rel: "self",
            },
        }
    }
}

/// A link as a peer or script sends it; unknown fields (`iconUrl`, `isPrimary`, …) are
/// accepted and ignored, since primary status follows the primary rules.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkInput {
    id: Option<String>,
    type_id: Option<String>,
    name: Option<String>,
    display_url: Option<String>,
    rpc_url: Option<String>,
    #[serde(default)]
    is_system: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkList {
    application_links: Vec<LinkEntity>,
}

/// Both directions' OAuth levels (`status/{id}/oauth`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct OAuthStatus {
    incoming: Option<OAuthLevels>,
    outgoing: Option<OAuthLevels>,
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<LinkList>, ApiError> {
    caller.authorise_admin_read()?;
    let links = state.database().links().await?;
    let application_links = links
        .iter()
        .map(|link| LinkEntity::new(&state, link))
        .collect();
    Ok(Json(LinkList { application_links }))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LinkEntity>, ApiError> {
    caller.authorise_admin_read()?;
    let link = find_link(&state, &id).await?;
    Ok(Json(LinkEntity::new(&state, &link)))
}

/// Creates or updates the link with `id`: the call a peer makes to create its reciprocal link.
async fn put(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<LinkInput>,
) -> Result<Response, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let id = ApplicationId::parse(&id).map_err(|error| ApiError::bad_request(error.to_string()))?;
    if input
        .id
        .as_deref()
        .is_some_and(|body_id| body_id != id.as_str())
    {
        return Err(ApiError::bad_request(
            "the id in the body differs from the id in the path",
        ));
    }
    let previous = state.database().link(&id).await?;
    let draft = LinkDraft {
        name: input.name.unwrap_or_default(),
        type_id: input.type_id.unwrap_or_else(|| "generic".into()),
        display_url: input.display_url.unwrap_or_default(),
        rpc_url: input.rpc_url,
        is_system: input.is_system,
    };
    let mut link = draft
        .into_link(id)
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    let before = previous.as_ref().map(audit::link_summary);
    if let Some(previous) = previous {
        link.outgoing = previous.outgoing;
        link.pending = previous.pending;
    }

    let (created, stored) = state.database().put_link(&link).await?;
    let entity = LinkEntity::new(&state, &stored);
    if created {
        tracing::info!(
            link = %stored.id, name = %stored.name, by = %caller.user.username,
            "link created"
        );
        audit::record(
            &state,
            &caller,
            "link.create",
            stored.id.as_str(),
            None,
            Some(audit::link_summary(&stored)),
        )
        .await;
        let location = entity.link.href.clone();
        Ok((
            StatusCode::CREATED,
            [(header::LOCATION, location)],
            Json(entity),
        )
            .into_response())
    } else {
        tracing::info!(
            link = %stored.id, name = %stored.name, by = %caller.user.username,
            "link updated"
        );
        audit::record(
            &state,
            &caller,
            "link.update",
            stored.id.as_str(),
            before,
            Some(audit::link_summary(&stored)),
        )
        .await;
        Ok(Json(entity).into_response())
    }
}

async fn oauth_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OAuthStatus>, ApiError> {
    caller.authorise_admin_read()?;
    let link = find_link(&state, &id).await?;
    let consumer = state.database().link_consumer(&link.id).await?;
    Ok(Json(OAuthStatus {
        incoming: Some(incoming_levels(consumer.as_ref())),
        outgoing: Some(link.outgoing),
    }))
}

/// Sets the OAuth levels of either direction. Incoming levels change the link's consumer;
/// turning every incoming level off removes the consumer and its tokens, as the reference
/// products do.
async fn set_oauth_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(status): JsonBody<OAuthStatus>,
) -> Result<Json<OAuthStatus>, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let mut link = find_link(&state, &id).await?;
    let database = state.database();
    let before = oauth_status_of(&state, &link).await?;
    if let Some(incoming) = status.incoming {
        let consumer = database.link_consumer(&link.id).await?;
        let any =
            incoming.enabled || incoming.two_lo_enabled || incoming.two_lo_impersonation_enabled;
        match consumer {
            Some(consumer) if !any => {
                database.delete_link_consumer(&link.id).await?;
                tracing::info!(
                    link = %link.id, consumer = %consumer.key,
                    "incoming OAuth disabled"
                );
            }
            Some(consumer) => {
                let updated = Consumer {
                    three_lo_allowed: incoming.enabled,
                    two_lo_allowed: incoming.two_lo_enabled,
                    two_lo_impersonation_allowed: incoming.two_lo_impersonation_enabled,
                    ..consumer
                };
                database.put_consumer(&updated).await?;
                tracing::info!(link = %link.id, ?incoming, "incoming OAuth levels changed");
            }
            None if any => {
                return Err(ApiError::Conflict(vec![format!(
                    "link {} has no incoming consumer: set one first with PUT \
                     /rest/applinks-oauth/1.0/applicationlink/{}/authentication/consumer",
                    link.id, link.id
                )]));
            }
            None => {}
        }
    }
    if let Some(outgoing) = status.outgoing {
        link.outgoing = outgoing;
        database.put_link(&link).await?;
        tracing::info!(link = %link.id, ?outgoing, "outgoing OAuth levels changed");
    }
    let after = oauth_status_of(&state, &link).await?;
    let summary = |status: &OAuthStatus| serde_json::to_value(status).ok();
    audit::record(
        &state,
        &caller,
        "link.oauth",
        link.id.as_str(),
        summary(&before),
        summary(&after),
    )
    .await;
    Ok(Json(after))
}

/// Both directions' levels of a link as they stand.
async fn oauth_status_of(
    state: &AppState,
    link: &ApplicationLink,
) -> Result<OAuthStatus, ApiError> {
    let consumer = state.database().link_consumer(&link.id).await?;
    Ok(OAuthStatus {
        incoming: Some(incoming_levels(consumer.as_ref())),
        outgoing: Some(link.outgoing),
    })
}

/// The incoming levels a consumer grants (all off without one).
pub(crate) fn incoming_levels(consumer: Option<&Consumer>) -> OAuthLevels {
    consumer.map_or_else(OAuthLevels::default, |consumer| OAuthLevels {
        enabled: consumer.three_lo_allowed,
        two_lo_enabled: consumer.two_lo_allowed,
        two_lo_impersonation_enabled: consumer.two_lo_impersonation_allowed,
    })
}

/// The link named in a path, or 404.
pub(crate) async fn find_link(state: &AppState, id: &str) -> Result<ApplicationLink, ApiError> {
    let Ok(id) = ApplicationId::parse(id) else {
        return Err(ApiError::NotFound);
    };
    state.database().link(&id).await?.ok_or(ApiError::NotFound)
}

/// A link in the 3.0 resources' shape.
#[derive(Debug, Serialize)]
struct LinkV3 {
    id: String,
    name: String,
    #[serde(rename = "displayUrl")]
    display_url: String,
    #[serde(rename = "rpcUrl")]
    rpc_url: String,
    #[serde(rename = "type")]
    type_id: String,
    system: bool,
    primary: bool,
}

impl From<&ApplicationLink> for LinkV3 {
    fn from(link: &ApplicationLink) -> Self {
        Self {
            id: link.id.to_string(),
            name: link.name.clone(),
            display_url: link.display_url.clone(),
            rpc_url: link.rpc_url.clone(),
            type_id: link.type_id.clone(),
            system: link.is_system,
            primary: link.is_primary,
        }
    }
}

async fn list_type(
    State(state): State<AppState>,
    caller: Caller,
    Path(type_id): Path<String>,
) -> Result<Json<LinkList>, ApiError> {
    caller.authorise_admin_read()?;
    let links = state.database().links().await?;
    let application_links = links
        .iter()
        .filter(|link| link.type_id == type_id)
        .map(|link| LinkEntity::new(&state, link))
        .collect();
    Ok(Json(LinkList { application_links }))
}

/// `GET primary/{typeId}`: the primary link of a type.
async fn primary_of_type(
    State(state): State<AppState>,
    caller: Caller,
    Path(type_id): Path<String>,
) -> Result<Json<LinkEntity>, ApiError> {
    caller.authorise_admin_read()?;
    let links = state.database().links().await?;
    let primary = links
        .iter()
        .find(|link| link.type_id == type_id && link.is_primary);
    primary
        .map(|link| Json(LinkEntity::new(&state, link)))
        .ok_or(ApiError::NotFound)
}

/// `POST primary/{id}`: makes a link the primary one of its type.
async fn make_primary(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<LinkEntity>, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    state.database().make_primary(&link.id).await?;
    tracing::info!(link = %link.id, by = %caller.user.username, "link made primary");
    audit::record(
        &state,
        &caller,
        "link.make_primary",
        link.id.as_str(),
        Some(audit::link_summary(&link)),
        None,
    )
    .await;
    let updated = find_link(&state, &id).await?;
    Ok(Json(LinkEntity::new(&state, &updated)))
}

/// `GET authenticationinfo`: 200 for an administrator. A peer calls it to check the remote
/// administrator credentials it was given before creating anything.
async fn authentication_info(caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    caller.authorise_admin_read()?;
    Ok(Json(
        serde_json::json!({ "name": caller.user.username, "admin": true }),
    ))
}

async fn list_v3(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<LinkV3>>, ApiError> {
    caller.authorise_admin_read()?;
    let links = state.database().links().await?;
    Ok(Json(links.iter().map(LinkV3::from).collect()))
}

async fn read_v3(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<LinkV3>, ApiError> {
    caller.authorise_admin_read()?;
    Ok(Json(LinkV3::from(&find_link(&state, &id).await?)))
}

#[derive(Debug, Deserialize)]
struct DeleteQuery {
    #[serde(default)]
    reciprocate: bool,
}

/// Remote administrator credentials, for steps that act on the other side.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RemoteCredentials {
    pub(crate) username: Option<String>,
    pub(crate) password: Option<String>,
}

/// Deletes a link with its consumer and tokens; with `reciprocate=true`, the remote's link to
/// us first, using the remote administrator credentials in the body when given, or else a
/// request signed as the current user across the link. When the remote side cannot be
/// deleted, nothing is.
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<DeleteQuery>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    if query.reciprocate {
        // No body, or `null`, means no remote credentials: the request is signed instead.
        let credentials: Option<RemoteCredentials> = if body.is_empty() {
            None
        } else {
            serde_json::from_slice(&body).map_err(|error| {
                ApiError::bad_request(format!("the body is not valid JSON: {error}"))
            })?
        };
        let credentials = credentials.unwrap_or_default();
        delete_remote_side(&state, &link, &caller, credentials).await?;
    }
    state.database().delete_link(&link.id).await?;
    tracing::info!(
        link = %link.id, name = %link.name, reciprocate = query.reciprocate,
        by = %caller.user.username,
        "link deleted"
    );
    let action = if query.reciprocate {
        "link.delete_both_sides"
    } else {
        "link.delete"
    };
    audit::record(
        &state,
        &caller,
        action,
        link.id.as_str(),
        Some(audit::link_summary(&link)),
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_remote_side(
    state: &AppState,
    link: &ApplicationLink,
    caller: &Caller,
    credentials: RemoteCredentials,
) -> Result<(), ApiError> {
    if let (Some(username), Some(password)) = (&credentials.username, &credentials.password) {
        let admin = RemoteAdmin::new(state, &link.rpc_url, username, password)?;
        admin.check_credentials().await?;
        return Ok(admin.delete_reciprocal_link().await?);
    }
    let path = format!(
        "/rest/applinks/1.0/applicationlink/{}",
        state.identity().server_id()
    );
    let answer = remote::signed_request(
        state,
        link,
        Method::DELETE,
        &path,
        Some(&caller.user.username),
    )
    .await?;
    if answer.status.is_success() || answer.status == StatusCode::NOT_FOUND {
        Ok(())
    } else {
        Err(ApiError::Remote(vec![format!(
            "the remote application refused to delete its link to us ({}); delete it there, or \
             send its administrator's credentials",
            answer.status
        )]))
    }
}

// ---------------------------------------------------------------------------------------------
// For the administration pages (`crate::admin`).

/// Deletes the remote application's link to us, as `DELETE …?reciprocate=true` does first.
pub(crate) async fn delete_remote_link(
    state: &AppState,
    link: &ApplicationLink,
    caller: &Caller,
    credentials: RemoteCredentials,
) -> Result<(), ApiError> {
    delete_remote_side(state, link, caller, credentials).await
}
