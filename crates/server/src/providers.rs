//! `GET, PUT, DELETE /rest/applinks/2.0/applicationlink/{id}/authentication/provider`: the
//! outgoing authentication of a generic application, configured by hand when the remote does
//! not speak application links (SPEC §5.2 step 5): 3-legged OAuth with the remote's token and
//! authorise URLs, 2-legged OAuth, or Basic with a service account (legacy, deprecated by the
//! reference products): [`basic_account`] gives the request API that account when the link
//! has no outgoing OAuth.
//!
//! Setting or removing an OAuth provider also turns the matching outgoing level of the link on
//! or off, as in the reference products, where a link's outgoing OAuth status is the set of
//! providers configured for it: configuring one is what makes requests across the link use it.

use std::collections::BTreeMap;

use applinks_core::consumer::{ConsumerKey, Sealed};
use applinks_core::link::{ApplicationLink, OAuthLevels, normalise_url};
use applinks_core::manifest::AuthenticationProvider;
use applinks_core::store::{LinkStore, ProviderStore, StoreError};
use applinks_oauth1::Secret;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit;
use crate::caller::Caller;
use crate::error::{ApiError, JsonBody};
use crate::links::find_link;
use crate::state::AppState;

/// The purpose a Basic service account's password is sealed under.
const BASIC_PASSWORD: &str = "provider.basic.password";

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/rest/applinks/2.0/applicationlink/{id}/authentication/provider",
        get(list).put(put).delete(remove),
    )
}

/// A provider's configuration on the wire (`authenticationProvider`).
#[derive(Debug, Deserialize, Serialize)]
struct ProviderEntity {
    provider: String,
    #[serde(default)]
    config: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct RemoveQuery {
    provider: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ProviderEntity>>, ApiError> {
    caller.authorise_admin_read()?;
    let link = find_link(&state, &id).await?;
    let stored = state.database().providers(&link.id).await?;
    let entities = stored
        .into_iter()
        .map(|(provider, config)| {
            let mut config: BTreeMap<String, String> =
                serde_json::from_str(&config).unwrap_or_default();
            // The sealed password stays in the database.
            config.remove(BASIC_PASSWORD);
            ProviderEntity { provider, config }
        })
        .collect();
    Ok(Json(entities))
}

async fn put(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(entity): JsonBody<ProviderEntity>,
) -> Result<StatusCode, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    configure(&state, &caller, &link, entity.provider, entity.config).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks, seals and stores one provider's configuration for `link`, and records the change.
pub(crate) async fn configure(
    state: &AppState,
    caller: &Caller,
    link: &ApplicationLink,
    provider: String,
    config: BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (provider, config) = checked(state, ProviderEntity { provider, config })?;
    let keys: Vec<&String> = config.keys().filter(|key| *key != BASIC_PASSWORD).collect();
    let summary = json!({ "provider": provider, "keys": keys });
    let config =
        serde_json::to_string(&config).map_err(|error| ApiError::bad_request(error.to_string()))?;
    state
        .database()
        .put_provider(&link.id, provider, &config)
        .await?;
    set_level(state, link, provider, true).await?;
    tracing::info!(
        link = %link.id, provider, by = %caller.user.username,
        "outgoing authentication set"
    );
    if provider == AuthenticationProvider::Basic.short_name() {
        tracing::info!(
            link = %link.id, deprecated = true,
            "Basic outgoing authentication is deprecated: configure OAuth for this link instead"
        );
    }
    audit::record(
        state,
        caller,
        "provider.set",
        link.id.as_str(),
        None,
        Some(summary),
    )
    .await;
    Ok(())
}

async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    let Some(provider) = query
        .provider
        .as_deref()
        .and_then(AuthenticationProvider::parse)
    else {
        return Err(ApiError::bad_request(
            "name the provider to remove with ?provider=",
        ));
    };
    if !state
        .database()
        .delete_provider(&link.id, provider.short_name())
        .await?
    {
        return Err(ApiError::NotFound);
    }
    set_level(&state, &link, provider.short_name(), false).await?;
    audit::record(
        &state,
        &caller,
        "provider.delete",
        link.id.as_str(),
        Some(json!({"provider": provider.short_name()})),
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns the outgoing level that `provider` stands for on or off, if it stands for one.
async fn set_level(
    state: &AppState,
    link: &ApplicationLink,
    provider: &str,
    on: bool,
) -> Result<(), ApiError> {
    let Some(outgoing) = AuthenticationProvider::parse(provider)
        .and_then(|provider| with_level(link.outgoing, provider, on))
        .filter(|outgoing| *outgoing != link.outgoing)
    else {
        return Ok(());
    };
    let mut updated = link.clone();
    updated.outgoing = outgoing;
    state.database().put_link(&updated).await?;
    state.recent().forget_changes();
    tracing::info!(link = %link.id, ?outgoing, "outgoing OAuth levels changed");
    Ok(())
}

/// `levels` with the one `provider` stands for set to `on`; `None` for a provider that is not
/// an OAuth level.
fn with_level(
    mut levels: OAuthLevels,
    provider: AuthenticationProvider,
    on: bool,
) -> Option<OAuthLevels> {
    let level = match provider {
        AuthenticationProvider::OAuth => &mut levels.enabled,
        AuthenticationProvider::TwoLeggedOAuth => &mut levels.two_lo_enabled,
        AuthenticationProvider::TwoLeggedOAuthWithImpersonation => {
            &mut levels.two_lo_impersonation_enabled
        }
        AuthenticationProvider::Basic | AuthenticationProvider::TrustedApps => return None,
    };
    *level = on;
    Some(levels)
}

/// Whether an administrator configured `provider` as an outgoing authentication of `link`.
pub(crate) async fn is_configured(
    state: &AppState,
    link: &ApplicationLink,
    provider: AuthenticationProvider,
) -> Result<bool, StoreError> {
    let providers = state.database().providers(&link.id).await?;
    Ok(providers
        .iter()
        .any(|(name, _)| name == provider.short_name()))
}

/// The service account a link's Basic outgoing authentication signs in with (legacy).
pub(crate) struct BasicAccount {
    /// The account's user name at the remote application.
    pub(crate) username: String,
    /// Its password, unsealed for the request that sends it.
    pub(crate) password: Secret,
}

/// The link's Basic service account, when an administrator configured one. A password sealed
/// under another secret key is as good as none (the failure is logged where it is opened).
pub(crate) async fn basic_account(
    state: &AppState,
    link: &ApplicationLink,
) -> Result<Option<BasicAccount>, StoreError> {
    let wanted = AuthenticationProvider::Basic.short_name();
    let providers = state.database().providers(&link.id).await?;
    let Some(mut config) = providers
        .into_iter()
        .find(|(provider, _)| provider == wanted)
        .and_then(|(_, config)| serde_json::from_str::<BTreeMap<String, String>>(&config).ok())
    else {
        return Ok(None);
    };
    let password = config
        .remove(BASIC_PASSWORD)
        .and_then(|sealed| state.unseal(BASIC_PASSWORD, &Sealed(sealed)));
    Ok(config
        .remove("username")
        .zip(password)
        .map(|(username, password)| BasicAccount { username, password }))
}

/// Checks a provider's configuration, listing every mistake, and seals its secrets.
fn checked(
    state: &AppState,
    entity: ProviderEntity,
) -> Result<(&'static str, BTreeMap<String, String>), ApiError> {
    let Some(provider) = AuthenticationProvider::parse(&entity.provider) else {
        return Err(ApiError::bad_request(format!(
            "unknown provider {:?}",
            entity.provider
        )));
    };
    let mut config = entity.config;
    let mut errors = Vec::new();
    let mut require_url = |config: &mut BTreeMap<String, String>, key: &str| match config
        .get(key)
        .map(|url| normalise_url(url))
    {
        Some(Ok(url)) => {
            config.insert(key.to_owned(), url);
        }
        Some(Err(error)) => errors.push(format!("{key}: {error}")),
        None => errors.push(format!("{key}: required")),
    };
    match provider {
        AuthenticationProvider::OAuth => {
            for key in [
                "serviceProvider.requestTokenUrl",
                "serviceProvider.accessTokenUrl",
                "serviceProvider.authorizeUrl",
            ] {
                require_url(&mut config, key);
            }
        }
        AuthenticationProvider::TwoLeggedOAuth
        | AuthenticationProvider::TwoLeggedOAuthWithImpersonation => {}
        AuthenticationProvider::Basic => {
            let username = config
                .get("username")
                .map(String::as_str)
                .unwrap_or_default();
            if username.is_empty() || username.len() > 255 || username.contains(':') {
                errors.push("username: 1 to 255 characters without ':'".into());
            }
            match config.remove("password") {
                Some(password) if !password.is_empty() && password.len() <= 1024 => {
                    config.insert(
                        BASIC_PASSWORD.into(),
                        state.seal(BASIC_PASSWORD, &password).0,
                    );
                }
                _ => errors.push("password: 1 to 1024 characters, required".into()),
            }
        }
        AuthenticationProvider::TrustedApps => {
            errors.push("Trusted Applications is deprecated and never used: choose OAuth".into());
        }
    }
    let consumer_key = config.get("consumerKey.outbound");
    if consumer_key.is_some_and(|key| ConsumerKey::parse(key).is_err()) {
        errors.push("consumerKey.outbound: 1 to 255 printable characters without spaces".into());
    }
    let unknown: Vec<&String> = config
        .keys()
        .filter(|key| !KNOWN_KEYS.contains(&key.as_str()) && key.as_str() != BASIC_PASSWORD)
        .collect();
    if !unknown.is_empty() {
        errors.push(format!("unknown settings: {unknown:?}"));
    }
    if errors.is_empty() {
        Ok((provider.short_name(), config))
    } else {
        Err(ApiError::BadRequest(errors))
    }
}

/// The settings a provider's configuration may hold.
const KNOWN_KEYS: [&str; 6] = [
    "consumerKey.outbound",
    "serviceProvider.requestTokenUrl",
    "serviceProvider.accessTokenUrl",
    "serviceProvider.authorizeUrl",
    "username",
    "password",
];
