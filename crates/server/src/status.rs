//! Link status: a check of each link in the background, once per link across a cluster (the
//! node holding the link's `status:<id>` lease runs it), and on demand through
//! `GET /rest/applinks/3.0/status/{id}`.
//!
//! A check reads the remote manifest through the guarded client and sorts what goes wrong into
//! the reference products' error categories and types, so the administrator sees what is wrong
//! and, in `docs/troubleshooting.md`, how to fix it. A link that answers but is configured
//! with Basic outgoing authentication is reported in the `DEPRECATED` category.

use std::sync::Arc;
use std::time::Duration;

use applinks_core::link::{ApplicationLink, LinkStatus};
use applinks_core::manifest::AuthenticationProvider;
use applinks_core::store::{LeaseStore, LinkStore, StatusStore};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::links::find_link;
use crate::outbound::{ManifestFetchError, OutboundError};
use crate::providers;
use crate::state::AppState;

/// How many links are checked at once, so that checks never starve requests.
const CONCURRENT_CHECKS: usize = 8;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/rest/applinks/3.0/status/{id}", get(read))
}

#[derive(Debug, Deserialize)]
struct ReadQuery {
    #[serde(default)]
    refresh: bool,
}

/// `GET status/{id}`: the link's last status, checked now when it never was or when asked.
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ReadQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.authorise_admin_read()?;
    let link = find_link(&state, &id).await?;
    let status = match state.database().status(&link.id).await? {
        Some(status) if !query.refresh => status,
        _ => {
            let status = check(&state, &link).await;
            state.database().put_status(&link.id, &status).await?;
            status
        }
    };
    let error = (!status.working).then(|| {
        json!({
            "category": status.error_category,
            "type": status.error_type,
            "details": status.details,
        })
    });
    Ok(Json(json!({
        "link": {
            "id": link.id,
            "name": link.name,
            "displayUrl": link.display_url,
            "rpcUrl": link.rpc_url,
            "type": link.type_id,
            "primary": link.is_primary,
            "system": link.is_system,
        },
        "working": status.working,
        "checkedAt": status.checked_at,
        "error": error,
        "localAuthentication": { "outgoing": link.outgoing },
    })))
}

/// Checks one link now.
pub(crate) async fn check(state: &AppState, link: &ApplicationLink) -> LinkStatus {
    let checked_at = state.now();
    let broken = |category: &str, kind: &str, details: String| LinkStatus {
        checked_at,
        working: false,
        error_category: Some(category.to_owned()),
        error_type: Some(kind.to_owned()),
        details: Some(details),
    };
    if let Some(pending) = &link.pending {
        return broken(
            "CONFIGURATION",
            "NO_REMOTE_APPLINK",
            format!("the link is half-made: {pending}"),
        );
    }
    let Ok(url) = url::Url::parse(&link.rpc_url) else {
        return broken(
            "CONFIGURATION",
            "UNEXPECTED_RESPONSE",
            "the link's URL is not valid".into(),
        );
    };
    let reached = match state.outbound().fetch_manifest(&url).await {
        Ok(manifest) if manifest.id != link.id.as_str() => broken(
            "CONFIGURATION",
            "MANIFEST_ID_MISMATCH",
            format!(
                "the application at {} now has the id {}: relocate or recreate the link",
                link.rpc_url, manifest.id
            ),
        ),
        Ok(_) => LinkStatus {
            checked_at,
            working: true,
            error_category: None,
            error_type: None,
            details: None,
        },
        // A generic application serves no manifest; answering at all is all we can ask.
        Err(error) if error.is_not_application_links() && link.type_id == "generic" => LinkStatus {
            checked_at,
            working: true,
            error_category: None,
            error_type: None,
            details: None,
        },
        Err(ManifestFetchError::Request(error)) => {
            let kind = match &error {
                OutboundError::UnknownHost { .. } => "UNKNOWN_HOST",
                OutboundError::ConnectionRefused { .. } | OutboundError::Denied { .. } => {
                    "CONNECTION_REFUSED"
                }
                OutboundError::TlsUntrusted { .. } => "SSL_UNTRUSTED",
                OutboundError::TlsHostnameMismatch { .. } => "SSL_HOSTNAME_UNMATCHED",
                _ => "UNEXPECTED_RESPONSE",
            };
            broken("NETWORK", kind, error.to_string())
        }
        Err(error) => broken("NETWORK", "UNEXPECTED_RESPONSE", error.to_string()),
    };
    if !reached.working {
        return reached;
    }
    match legacy_authentication(state, link).await {
        Some((kind, details)) => broken("DEPRECATED", kind, details.into()),
        None => reached,
    }
}

/// Whether the link is configured with Basic outgoing authentication, which the reference
/// products deprecate: in use (`MANUAL_LEGACY_UPDATE`, configure OAuth instead) when the link
/// has no outgoing OAuth, else configured but unused (`MANUAL_LEGACY_REMOVAL`).
async fn legacy_authentication(
    state: &AppState,
    link: &ApplicationLink,
) -> Option<(&'static str, &'static str)> {
    match providers::is_configured(state, link, AuthenticationProvider::Basic).await {
        Ok(true) => {}
        Ok(false) => return None,
        Err(error) => {
            tracing::warn!(link = %link.id, %error, "could not read the link's providers");
            return None;
        }
    }
    let levels = link.outgoing;
    if levels.enabled || levels.two_lo_enabled || levels.two_lo_impersonation_enabled {
        Some((
            "MANUAL_LEGACY_REMOVAL",
            "Basic authentication is configured but unused, since the link uses OAuth: remove it",
        ))
    } else {
        Some((
            "MANUAL_LEGACY_UPDATE",
            "requests to this link use Basic authentication with a service account, which is \
             deprecated: configure OAuth for the link instead",
        ))
    }
}

/// Checks every link every `interval`, forever, each on one node of the cluster at a time;
/// [`crate::run`] aborts it on shutdown.
pub(crate) async fn check_in_background(state: AppState, interval: Duration) {
    let permits = Arc::new(Semaphore::new(CONCURRENT_CHECKS));
    // A second longer than the interval: the holder renews at its next tick before the lease
    // can lapse, so another node, whose ticks fall elsewhere in the second, cannot take it
    // over in between and check the link a second time. Leases count whole seconds.
    let ttl = i64::try_from(interval.as_secs())
        .unwrap_or(i64::MAX / 2)
        .max(1)
        .saturating_add(1);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let mut checks = tokio::task::JoinSet::new();
        // A page of links at a time, so that a refresh of many links holds one page and the
        // checks in flight, not every link at once. A link added or deleted meanwhile may shift
        // the pages by one: at worst a link waits for the next round or is checked twice.
        let mut offset = 0;
        loop {
            let links = match state.database().links_page(offset, CHECKED_PER_PAGE).await {
                Ok(page) => page.links,
                Err(error) => {
                    tracing::warn!(%error, "status checks skipped: cannot list links");
                    break;
                }
            };
            if links.is_empty() {
                break;
            }
            offset += links.len() as u64;
            for (link, _) in links {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let state = state.clone();
                checks.spawn(async move {
                    let _permit = permit;
                    check_once_leased(&state, &link, ttl).await;
                });
                // Finished checks leave their slot at once, not at the end of the round.
                while checks.try_join_next().is_some() {}
            }
        }
        while checks.join_next().await.is_some() {}
    }
}

/// How many links a background round reads at a time.
const CHECKED_PER_PAGE: u64 = 500;

/// Checks `link` and records the outcome, unless another node holds its lease (for `ttl`
/// seconds) and checks it this round.
async fn check_once_leased(state: &AppState, link: &ApplicationLink, ttl: i64) {
    let lease = format!("status:{}", link.id);
    match state
        .database()
        .try_lease(&lease, state.node_id(), state.now(), ttl)
        .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(error) => {
            tracing::warn!(%error, link = %link.id, "status check skipped: no lease");
            return;
        }
    }
    let status = check(state, link).await;
    if !status.working {
        tracing::info!(
            link = %link.id, category = ?status.error_category,
            kind = ?status.error_type,
            "link is not working"
        );
    }
    if let Err(error) = state.database().put_status(&link.id, &status).await {
        tracing::warn!(%error, link = %link.id, "could not record a link status");
    }
}
