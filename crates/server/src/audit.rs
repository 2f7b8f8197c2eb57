//! The audit log of administrative changes: written by every handler that changes links,
//! consumers or tokens, read by administrators through REST and a page.

use applinks_core::audit::AuditEvent;
use applinks_core::consumer::{Consumer, ConsumerCredential};
use applinks_core::link::ApplicationLink;
use applinks_core::store::AuditStore;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::account::render;
use crate::caller::{Caller, Visitor};
use crate::error::ApiError;
use crate::state::AppState;

/// The most events one call returns.
const MAX_EVENTS: u32 = 1000;

/// The REST route of this module (any authentication; administrators only).
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new().route("/rest/applinks/1.0/auditlog", get(list))
}

/// The page route of this module.
pub(crate) fn page_routes() -> Router<AppState> {
    Router::new().route("/plugins/servlet/applinks/auditLog", get(page))
}

/// Records a change made by `caller`. The change has happened by now, so a failure to record
/// it is logged as an error of ours rather than undoing it.
pub(crate) async fn record(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) {
    // Every administrative change passes here, so this is also where this node stops trusting
    // what it cached about consumers, users and links; other nodes' caches expire within a
    // second.
    state.recent().forget_changes();
    let event = AuditEvent {
        at: state.now(),
        actor: caller.user.username.to_string(),
        action: action.to_owned(),
        target: target.to_owned(),
        before: before.map(|value| value.to_string()),
        after: after.map(|value| value.to_string()),
    };
    if let Err(error) = state.database().record_event(&event).await {
        tracing::error!(%error, action, target, "could not write the audit log");
    }
}

/// A link as the audit log keeps it.
pub(crate) fn link_summary(link: &ApplicationLink) -> Value {
    json!({
        "name": link.name, "typeId": link.type_id, "displayUrl": link.display_url,
        "rpcUrl": link.rpc_url, "primary": link.is_primary, "outgoing": link.outgoing.label(),
        "pending": link.pending,
    })
}

/// A consumer as the audit log keeps it: never its secret.
pub(crate) fn consumer_summary(consumer: &Consumer) -> Value {
    let method = match consumer.credential {
        ConsumerCredential::Rsa { .. } => "RSA-SHA1",
        ConsumerCredential::SharedSecret(_) => "HMAC-SHA1",
    };
    json!({
        "key": consumer.key, "name": consumer.name, "signatureMethod": method,
        "threeLegged": consumer.three_lo_allowed, "twoLegged": consumer.two_lo_allowed,
        "executeAs": consumer.two_lo_execute_as,
        "impersonation": consumer.two_lo_impersonation_allowed,
    })
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<u32>,
}

/// An event on the wire.
#[derive(Debug, Serialize)]
struct EventEntity {
    at: i64,
    actor: String,
    action: String,
    target: String,
    before: Option<Value>,
    after: Option<Value>,
}

impl From<AuditEvent> for EventEntity {
    fn from(event: AuditEvent) -> Self {
        let parse = |text: Option<String>| text.and_then(|text| serde_json::from_str(&text).ok());
        Self {
            at: event.at,
            actor: event.actor,
            action: event.action,
            target: event.target,
            before: parse(event.before),
            after: parse(event.after),
        }
    }
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<EventEntity>>, ApiError> {
    caller.authorise_admin_read()?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_EVENTS);
    let events = state.database().audit_events(limit).await?;
    Ok(Json(events.into_iter().map(EventEntity::from).collect()))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    events: Vec<AuditEvent>,
}

async fn page(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
) -> Result<Response, ApiError> {
    caller.authorise_admin_read()?;
    let events = state.database().audit_events(200).await?;
    let page = AuditPage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        events,
    };
    Ok(render(StatusCode::OK, &page))
}
