//! The REST resource of a link's incoming OAuth consumer: who may sign requests to us on
//! behalf of that link, with which key, and with which permissions. Administrators set it by
//! hand for generic applications; a peer sets it while creating a 2-way link.

use applinks_core::consumer::{Consumer, ConsumerCredential, ConsumerKey};
use applinks_core::link::{ApplicationLink, normalise_url};
use applinks_core::store::{ConsumerStore, StoreError, TokenStore, UserStore};
use applinks_core::user::Username;
use applinks_oauth1::PublicKey;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::caller::Caller;
use crate::error::{ApiError, JsonBody};
use crate::links::find_link;
use crate::remote;
use crate::signed::CONSUMER_SECRET;
use crate::state::AppState;

/// The shortest shared secret accepted for HMAC-SHA1 consumers.
const MIN_SHARED_SECRET_LEN: usize = 16;

/// The routes of this module, under both the versioned and the `latest` prefix.
pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for version in ["1.0", "latest"] {
        let base = format!(
            "/rest/applinks-oauth/{version}/applicationlink/{{id}}/authentication/consumer"
        );
        router = router
            .route(&base, get(read).put(put).delete(remove))
            .route(&format!("{base}/tokens"), delete(revoke_tokens));
    }
    router
}

/// A consumer on the wire (`consumer`), as the reference products write it. The shared secret
/// is accepted, never sent back.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConsumerEntity {
    key: Option<String>,
    name: Option<String>,
    description: Option<String>,
    signature_method: Option<String>,
    public_key: Option<String>,
    #[serde(skip_serializing)]
    shared_secret: Option<String>,
    callback: Option<String>,
    #[serde(rename = "twoLOAllowed", default)]
    two_lo_allowed: bool,
    #[serde(rename = "executingTwoLOUser")]
    executing_two_lo_user: Option<String>,
    #[serde(rename = "twoLOImpersonationAllowed", default)]
    two_lo_impersonation_allowed: bool,
    /// Accepted and ignored: the reference products use it to mark their own consumer.
    #[serde(default, skip_serializing)]
    #[allow(dead_code, reason = "accepted for compatibility, ignored")]
    outgoing: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct PutQuery {
    #[serde(rename = "autoConfigure", default)]
    auto_configure: bool,
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ConsumerEntity>, ApiError> {
    caller.authorise_admin_read()?;
    let link = find_link(&state, &id).await?;
    let consumer = state
        .database()
        .link_consumer(&link.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (signature_method, public_key) = match &consumer.credential {
        ConsumerCredential::Rsa { public_key } => ("RSA-SHA1", Some(public_key.clone())),
        ConsumerCredential::SharedSecret(_) => ("HMAC-SHA1", None),
    };
    Ok(Json(ConsumerEntity {
        key: Some(consumer.key.to_string()),
        name: Some(consumer.name),
        description: Some(consumer.description),
        signature_method: Some(signature_method.into()),
        public_key,
        shared_secret: None,
        callback: consumer.callback,
        two_lo_allowed: consumer.two_lo_allowed,
        executing_two_lo_user: consumer.two_lo_execute_as.map(|user| user.to_string()),
        two_lo_impersonation_allowed: consumer.two_lo_impersonation_allowed,
        outgoing: None,
    }))
}

/// Sets the link's consumer. Users may authorise it (3-legged) from now on; the 2-legged
/// permissions are as the body says.
async fn put(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<PutQuery>,
    JsonBody(entity): JsonBody<ConsumerEntity>,
) -> Result<Response, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    let consumer = if query.auto_configure {
        auto_configured(&state, entity, &link).await?
    } else {
        consumer_from(&state, entity, &link).await?
    };
    store(&state, &caller, &link, consumer).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    if !state.database().delete_link_consumer(&link.id).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(
        link = %link.id, by = %caller.user.username,
        "incoming consumer deleted with its tokens"
    );
    audit::record(
        &state,
        &caller,
        "consumer.delete",
        link.id.as_str(),
        None,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every token issued to the link's consumer: every user must authorise again.
async fn revoke_tokens(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    let consumer = state
        .database()
        .link_consumer(&link.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let revoked = state
        .database()
        .revoke_consumer_tokens(&consumer.key)
        .await?;
    tracing::info!(
        link = %link.id, consumer = %consumer.key, revoked, by = %caller.user.username,
        "consumer tokens revoked"
    );
    let after = Some(json!({ "revoked": revoked }));
    audit::record(
        &state,
        &caller,
        "consumer.revoke_tokens",
        link.id.as_str(),
        None,
        after,
    )
    .await;
    Ok(Json(json!({ "revoked": revoked })))
}

/// The consumer an administrator typed into the wizard for a generic application.
pub(crate) struct ManualConsumer {
    pub(crate) key: String,
    pub(crate) public_key: Option<String>,
    pub(crate) shared_secret: Option<String>,
}

/// Checks and stores a consumer the wizard collected for `link`.
pub(crate) async fn configure(
    state: &AppState,
    caller: &Caller,
    link: &ApplicationLink,
    manual: ManualConsumer,
) -> Result<(), ApiError> {
    let entity = ConsumerEntity {
        key: Some(manual.key),
        public_key: manual.public_key,
        shared_secret: manual.shared_secret,
        ..ConsumerEntity::default()
    };
    let consumer = consumer_from(state, entity, link).await?;
    store(state, caller, link, consumer).await
}

/// Stores a checked consumer for `link` and records the change.
async fn store(
    state: &AppState,
    caller: &Caller,
    link: &ApplicationLink,
    consumer: Consumer,
) -> Result<(), ApiError> {
    let database = state.database();
    let before = database
        .link_consumer(&link.id)
        .await?
        .map(|c| audit::consumer_summary(&c));
    match database.put_consumer(&consumer).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::Conflict(vec![format!(
                "the consumer key {} belongs to another link",
                consumer.key
            )]));
        }
        Err(error) => return Err(error.into()),
    }
    tracing::info!(
        link = %link.id, consumer = %consumer.key, by = %caller.user.username,
        "incoming consumer set"
    );
    let after = Some(audit::consumer_summary(&consumer));
    audit::record(
        state,
        caller,
        "consumer.set",
        link.id.as_str(),
        before,
        after,
    )
    .await;
    Ok(())
}

/// `?autoConfigure=true`: the consumer is what the linked application's consumer-info says,
/// with the 2-legged permissions of the body. A peer uses it while creating a 2-way link.
async fn auto_configured(
    state: &AppState,
    entity: ConsumerEntity,
    link: &ApplicationLink,
) -> Result<Consumer, ApiError> {
    let info = remote::fetch_consumer_info(state, &link.rpc_url).await?;
    let fetched = ConsumerEntity {
        key: Some(info.key.to_string()),
        name: Some(if info.name.is_empty() {
            link.name.clone()
        } else {
            info.name
        }),
        description: Some(info.description),
        signature_method: Some("RSA-SHA1".into()),
        public_key: Some(info.public_key),
        ..entity
    };
    consumer_from(state, fetched, link).await
}

/// Checks a consumer body and makes the domain's consumer of it, with every mistake listed.
async fn consumer_from(
    state: &AppState,
    entity: ConsumerEntity,
    link: &ApplicationLink,
) -> Result<Consumer, ApiError> {
    let mut errors = Vec::new();
    let key = match ConsumerKey::parse(entity.key.as_deref().unwrap_or_default()) {
        Ok(key) => Some(key),
        Err(error) => {
            errors.push(format!("key: {error}"));
            None
        }
    };
    let name = entity
        .name
        .unwrap_or_else(|| link.name.clone())
        .trim()
        .to_owned();
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        errors.push("name: 1 to 255 characters without control characters".into());
    }
    let description = entity.description.unwrap_or_default();
    if description.chars().count() > 1000 {
        errors.push("description: at most 1000 characters".into());
    }

    let method = entity
        .signature_method
        .as_deref()
        .unwrap_or(if entity.shared_secret.is_some() {
            "HMAC-SHA1"
        } else {
            "RSA-SHA1"
        });
    let credential = match method {
        "RSA-SHA1" => match entity.public_key.as_deref().map(PublicKey::parse) {
            Some(Ok(key)) => Some(ConsumerCredential::Rsa {
                public_key: key.to_base64_der(),
            }),
            Some(Err(error)) => {
                errors.push(format!("publicKey: {error}"));
                None
            }
            None => {
                errors.push("publicKey: required for RSA-SHA1".into());
                None
            }
        },
        "HMAC-SHA1" => match entity.shared_secret.as_deref() {
            Some(secret)
                if secret.chars().count() >= MIN_SHARED_SECRET_LEN && secret.len() <= 512 =>
            {
                Some(ConsumerCredential::SharedSecret(
                    state.seal(CONSUMER_SECRET, secret),
                ))
            }
            _ => {
                errors.push(format!(
                    "sharedSecret: {MIN_SHARED_SECRET_LEN} to 512 characters, required for \
                     HMAC-SHA1"
                ));
                None
            }
        },
        other => {
            errors.push(format!(
                "signatureMethod: {other:?} is not RSA-SHA1 or HMAC-SHA1"
            ));
            None
        }
    };

    let callback = match entity
        .callback
        .as_deref()
        .filter(|callback| !callback.is_empty())
    {
        Some(callback) => match normalise_url(callback) {
            Ok(url) => Some(url),
            Err(error) => {
                errors.push(format!("callback: {error}"));
                None
            }
        },
        None => None,
    };
    let execute_as = match entity
        .executing_two_lo_user
        .as_deref()
        .filter(|name| !name.is_empty())
    {
        Some(name) => match Username::parse(name) {
            Ok(username) if state.database().user(&username).await?.is_some() => Some(username),
            _ => {
                errors.push(format!(
                    "executingTwoLOUser: there is no user named {name:?}"
                ));
                None
            }
        },
        None => None,
    };

    match (key, credential) {
        (Some(key), Some(credential)) if errors.is_empty() => Ok(Consumer {
            key,
            link_id: link.id.clone(),
            name,
            description,
            credential,
            callback,
            three_lo_allowed: true,
            two_lo_allowed: entity.two_lo_allowed,
            two_lo_execute_as: execute_as,
            two_lo_impersonation_allowed: entity.two_lo_impersonation_allowed,
        }),
        _ => Err(ApiError::BadRequest(errors)),
    }
}
