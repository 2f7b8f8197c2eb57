//! The link wizard's REST calls: probing a remote URL, creating a link (1-way or 2-way, with
//! the most secure authentication both sides support), and repairing a link whose creation
//! stopped half-way.
//!
//! A 2-way link follows the reference products' calls, as the caller: check the remote
//! administrator credentials (`authenticationinfo`), create the reciprocal link there
//! (`PUT applicationlink/{our id}`), create ours, read the remote's consumer-info for our
//! incoming consumer, ask the remote to read ours (`consumer?autoConfigure=true`), and set the
//! remote's OAuth levels (`status/{id}/oauth`). Every remote step is an idempotent `PUT`, so a
//! repair is the same sequence run again.

use applinks_core::consumer::{Consumer, ConsumerCredential};
use applinks_core::link::{
    ApplicationId, ApplicationLink, LinkDraft, Negotiated, OAuthLevels, negotiate, normalise_url,
};
use applinks_core::manifest::RemoteManifest;
use applinks_core::store::{ConsumerStore, LinkStore, StatusStore};
use applinks_oauth1::PublicKey;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

use crate::audit;
use crate::caller::Caller;
use crate::error::{ApiError, JsonBody};
use crate::links::{LinkEntity, RemoteCredentials, find_link};
use crate::outbound::ManifestFetchError;
use crate::remote::{self, RemoteAdmin};
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/rest/applinks/1.0/applicationlinkForm/manifest",
            get(probe),
        )
        .route(
            "/rest/applinks/1.0/applicationlinkForm/createAppLink",
            post(create),
        )
        .route(
            "/rest/applinks/1.0/applicationlink/{id}/repair",
            post(repair),
        )
}

#[derive(Debug, Deserialize)]
struct ProbeQuery {
    url: Option<String>,
}

/// What the wizard learns of a URL.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Probe {
    /// The URL as it will be used.
    url: String,
    /// Whether the remote serves a manifest.
    speaks_applinks: bool,
    /// The remote's manifest, when it serves one.
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest: Option<Value>,
    /// Where the remote redirects, when it does: the administrator decides whether to use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect: Option<String>,
    /// Things the administrator should know (plain http, deprecated schemes).
    warnings: Vec<String>,
}

/// The wizard's create call (`createApplicationLinkRequest`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateRequest {
    #[serde(default)]
    application_link: LinkFields,
    username: Option<String>,
    password: Option<String>,
    #[serde(rename = "customRpcURL", default)]
    custom_rpc_url: bool,
    rpc_url: Option<String>,
    #[serde(default)]
    create_two_way_link: bool,
    #[serde(default)]
    config_form_values: ConfigFormValues,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkFields {
    id: Option<String>,
    type_id: Option<String>,
    name: Option<String>,
    display_url: Option<String>,
    rpc_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFormValues {
    #[serde(default)]
    share_userbase: bool,
    /// Trusted Applications' setting: accepted and ignored.
    #[serde(default)]
    #[allow(dead_code, reason = "accepted for compatibility, ignored")]
    trust_each_other: bool,
}

/// `GET applicationlinkForm/manifest?url=`: the wizard's probe.
async fn probe(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ProbeQuery>,
) -> Result<Json<Probe>, ApiError> {
    caller.authorise_admin_read()?;
    let url = checked_url(query.url.as_deref().unwrap_or_default())?;
    Ok(Json(probe_url(&state, &url).await?.0))
}

/// Probes `url`, returning what the wizard shows and the manifest when there is one.
pub(crate) async fn probe_url(
    state: &AppState,
    url: &Url,
) -> Result<(Probe, Option<RemoteManifest>), ApiError> {
    let mut warnings = Vec::new();
    if url.scheme() == "http" && !is_loopback(url) {
        warnings.push(
            "The link uses plain http: requests and tokens cross the network unencrypted."
                .to_owned(),
        );
    }
    let url_text = url.as_str().trim_end_matches('/').to_owned();
    match state.outbound().fetch_manifest(url).await {
        Ok(manifest) => {
            let json = manifest_json(&manifest);
            let probe = Probe {
                url: url_text,
                speaks_applinks: true,
                manifest: Some(json),
                redirect: None,
                warnings,
            };
            Ok((probe, Some(manifest)))
        }
        Err(ManifestFetchError::Redirected {
            location,
            suggested_base,
            ..
        }) => {
            let target = suggested_base.map_or(location, |base| base.to_string());
            warnings.push(format!(
                "The URL redirects to {target}; use that URL if it is the application you mean."
            ));
            let probe = Probe {
                url: url_text,
                speaks_applinks: false,
                manifest: None,
                redirect: Some(target),
                warnings,
            };
            Ok((probe, None))
        }
        Err(error) if error.is_not_application_links() => {
            warnings.push(format!(
                "{error}. Supply its name, type and OAuth details by hand."
            ));
            let probe = Probe {
                url: url_text,
                speaks_applinks: false,
                manifest: None,
                redirect: None,
                warnings,
            };
            Ok((probe, None))
        }
        Err(error) => Err(ApiError::Remote(vec![error.to_string()])),
    }
}

/// `POST applicationlinkForm/createAppLink`: creates a link, 1-way or 2-way.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<Response, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let created = create_link(&state, &caller, request).await?;
    check_first(&state, &created.link);
    let mut body = serde_json::to_value(LinkEntity::new(&state, &created.link))
        .map_err(|error| ApiError::bad_request(error.to_string()))?;
    body["authenticationLevel"] = json!(created.negotiated.levels.label());
    body["warnings"] = json!(created.warnings);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// What creating a link produced.
pub(crate) struct Created {
    pub(crate) link: ApplicationLink,
    pub(crate) negotiated: Negotiated,
    pub(crate) warnings: Vec<String>,
}

/// The wizard's work, shared by the REST call and the admin pages. The caller starts the
/// link's first status check with [`check_first`] when it has configured all it will.
pub(crate) async fn create_link(
    state: &AppState,
    caller: &Caller,
    request: CreateRequest,
) -> Result<Created, ApiError> {
    let fields = request.application_link;
    let display = fields
        .display_url
        .clone()
        .or(fields.rpc_url.clone())
        .unwrap_or_default();
    let rpc = match (&request.rpc_url, request.custom_rpc_url) {
        (Some(rpc), true) => rpc.clone(),
        _ => fields.rpc_url.clone().unwrap_or_else(|| display.clone()),
    };
    let rpc_url = checked_url(&rpc)?;
    let (probe, manifest) = probe_url(state, &rpc_url).await?;
    let mut warnings = probe.warnings;
    if let Some(redirect) = probe.redirect {
        return Err(ApiError::BadRequest(vec![format!(
            "{} redirects to {redirect}: create the link with that URL if it is the application \
             you mean",
            probe.url
        )]));
    }

    let draft = LinkDraft {
        name: fields
            .name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| manifest.as_ref().map(|m| m.name.clone()))
            .unwrap_or_default(),
        type_id: manifest.as_ref().map_or_else(
            || fields.type_id.clone().unwrap_or_else(|| "generic".into()),
            |m| m.type_id.clone(),
        ),
        display_url: if display.is_empty() {
            probe.url.clone()
        } else {
            display
        },
        rpc_url: Some(probe.url.clone()),
        is_system: false,
    };
    let id = match &manifest {
        Some(manifest) => manifest.id.clone(),
        None => fields
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    };
    let id = ApplicationId::parse(&id)
        .map_err(|error| ApiError::bad_request(format!("the remote application id: {error}")))?;
    if id.as_str() == state.identity().server_id().to_string() {
        return Err(ApiError::bad_request("that URL is this application itself"));
    }
    if state.database().link(&id).await?.is_some() {
        return Err(ApiError::Conflict(vec![format!(
            "a link to this application ({id}) exists already"
        )]));
    }
    let mut link = draft
        .into_link(id)
        .map_err(|error| ApiError::bad_request(error.to_string()))?;

    let negotiated = match &manifest {
        Some(manifest) => negotiate(
            &manifest.inbound_authentication_types,
            request.config_form_values.share_userbase,
        ),
        None => Negotiated {
            levels: OAuthLevels::DISABLED,
            notes: vec!["Configure the OAuth details of this generic application by hand.".into()],
        },
    };
    warnings.extend(negotiated.notes.iter().cloned());
    link.outgoing = negotiated.levels;

    let admin = if request.create_two_way_link {
        if manifest.is_none() {
            return Err(ApiError::bad_request(
                "a 2-way link needs an application that speaks application links",
            ));
        }
        let (Some(username), Some(password)) = (&request.username, &request.password) else {
            return Err(ApiError::bad_request(
                "a 2-way link needs the remote administrator's user name and password",
            ));
        };
        let admin = RemoteAdmin::new(state, &link.rpc_url, username, password)?;
        // Nothing is created on either side until the credentials hold.
        admin.check_credentials().await?;
        admin.put_reciprocal_link().await?;
        Some(admin)
    } else {
        None
    };

    let (_, mut stored) = state.database().put_link(&link).await?;
    tracing::info!(
        link = %stored.id, name = %stored.name, two_way = admin.is_some(),
        level = negotiated.levels.label(), by = %caller.user.username,
        "link created"
    );
    let action = if admin.is_some() {
        "link.create_two_way"
    } else {
        "link.create"
    };
    audit::record(
        state,
        caller,
        action,
        stored.id.as_str(),
        None,
        Some(audit::link_summary(&stored)),
    )
    .await;

    if let Err(problem) = complete(state, &stored, negotiated.levels, admin.as_ref()).await {
        // Roll back what can be rolled back; what cannot is marked, never silent.
        let remote_removed = match &admin {
            Some(admin) => admin.delete_reciprocal_link().await.is_ok(),
            None => true,
        };
        if remote_removed {
            state.database().delete_link(&stored.id).await?;
            state.recent().forget_changes();
            tracing::info!(link = %stored.id, %problem, "link creation rolled back");
            return Err(ApiError::Remote(vec![format!(
                "{problem}; nothing was created on either side"
            )]));
        }
        stored.pending = Some(format!("{problem}"));
        state.database().put_link(&stored).await?;
        state.recent().forget_changes();
        tracing::warn!(link = %stored.id, %problem, "link left half-made");
        warnings.push(format!(
            "The link is half-made: {problem}. Repair it once the remote application is back."
        ));
    }
    Ok(Created {
        link: stored,
        negotiated,
        warnings,
    })
}

/// Runs a new link's first status check now rather than at the next round, off the request's
/// path. Callers start it once the request has configured all it will, so that the check sees
/// the link as it stays and its write does not race the request's own.
pub(crate) fn check_first(state: &AppState, link: &ApplicationLink) {
    let (checker, checked) = (state.clone(), link.clone());
    tokio::spawn(async move {
        let status = crate::status::check(&checker, &checked).await;
        if let Err(error) = checker.database().put_status(&checked.id, &status).await {
            tracing::warn!(%error, link = %checked.id, "could not record a link status");
        }
    });
}

/// The steps after both links exist: our incoming consumer from the remote's consumer-info,
/// and, for a 2-way link, the remote's consumer of us and its OAuth levels.
async fn complete(
    state: &AppState,
    link: &ApplicationLink,
    levels: OAuthLevels,
    admin: Option<&RemoteAdmin<'_>>,
) -> Result<(), remote::RemoteError> {
    if levels != OAuthLevels::DISABLED {
        let info = remote::fetch_consumer_info(state, &link.rpc_url).await?;
        let public_key =
            PublicKey::parse(&info.public_key).map_err(|error| remote::RemoteError::Unusable {
                step: "the consumer information",
                reason: error.to_string(),
            })?;
        let consumer = Consumer {
            key: info.key,
            link_id: link.id.clone(),
            name: if info.name.is_empty() {
                link.name.clone()
            } else {
                info.name
            },
            description: info.description,
            credential: ConsumerCredential::Rsa {
                public_key: public_key.to_base64_der(),
            },
            callback: None,
            three_lo_allowed: levels.enabled,
            two_lo_allowed: levels.two_lo_enabled,
            two_lo_execute_as: None,
            two_lo_impersonation_allowed: levels.two_lo_impersonation_enabled,
        };
        state
            .database()
            .put_consumer(&consumer)
            .await
            .map_err(|error| remote::RemoteError::Unusable {
                step: "our consumer of the remote",
                reason: error.to_string(),
            })?;
        state.recent().forget_changes();
    }
    if let Some(admin) = admin {
        admin.put_reciprocal_link().await?;
        if levels != OAuthLevels::DISABLED {
            admin.configure_our_consumer(levels).await?;
            admin.set_oauth_levels(levels).await?;
        }
    }
    Ok(())
}

/// `POST applicationlink/{id}/repair`: runs the remaining steps of a half-made 2-way link again
/// with the remote administrator's credentials.
async fn repair(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(credentials): JsonBody<RemoteCredentials>,
) -> Result<Json<LinkEntity>, ApiError> {
    caller.authorise_admin_change(&headers)?;
    let link = find_link(&state, &id).await?;
    let (Some(username), Some(password)) = (&credentials.username, &credentials.password) else {
        return Err(ApiError::bad_request(
            "a repair needs the remote administrator's user name and password",
        ));
    };
    let stored = repair_link(&state, &caller, link, username, password).await?;
    Ok(Json(LinkEntity::new(&state, &stored)))
}

/// Checks an administrator's URL: scheme required, `*.atlassian.net` only over https.
pub(crate) fn checked_url(raw: &str) -> Result<Url, ApiError> {
    let normalised =
        normalise_url(raw).map_err(|error| ApiError::bad_request(error.to_string()))?;
    let url = Url::parse(&normalised).map_err(|_| ApiError::bad_request("the URL is not valid"))?;
    let host = url.host_str().unwrap_or_default();
    if (host == "atlassian.net" || host.ends_with(".atlassian.net")) && url.scheme() != "https" {
        return Err(ApiError::bad_request(
            "Atlassian Cloud sites must be linked with https://",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

/// A remote manifest as the probe shows it.
fn manifest_json(manifest: &RemoteManifest) -> Value {
    let names = |providers: &[applinks_core::manifest::AuthenticationProvider]| {
        providers
            .iter()
            .map(|provider| provider.short_name())
            .collect::<Vec<_>>()
    };
    json!({
        "id": manifest.id,
        "name": manifest.name,
        "typeId": manifest.type_id,
        "version": manifest.version,
        "applinksVersion": manifest.applinks_version,
        "inboundAuthenticationTypes": names(&manifest.inbound_authentication_types),
        "outboundAuthenticationTypes": names(&manifest.outbound_authentication_types),
        "publicSignup": manifest.public_signup,
        "url": manifest.url,
    })
}

// ---------------------------------------------------------------------------------------------
// For the administration pages (`crate::admin`): the same wizard, driven by HTML forms.

impl Probe {
    /// The URL as it will be used.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Where the remote redirects, when it does.
    pub(crate) fn redirect(&self) -> Option<&str> {
        self.redirect.as_deref()
    }

    /// Things the administrator should know.
    pub(crate) fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl CreateRequest {
    /// The create call the wizard's pages make: `url` as both URLs, the name and type the
    /// administrator typed (used only when the remote has no manifest), and for a 2-way link
    /// the remote administrator's credentials.
    pub(crate) fn from_form(
        url: String,
        name: Option<String>,
        type_id: Option<String>,
        share_userbase: bool,
        remote_admin: Option<(String, String)>,
    ) -> Self {
        let create_two_way_link = remote_admin.is_some();
        let (username, password) = remote_admin.unzip();
        Self {
            application_link: LinkFields {
                id: None,
                type_id,
                name,
                display_url: Some(url),
                rpc_url: None,
            },
            username,
            password,
            custom_rpc_url: false,
            rpc_url: None,
            create_two_way_link,
            config_form_values: ConfigFormValues {
                share_userbase,
                trust_each_other: false,
            },
        }
    }
}

/// Completes a half-made 2-way link with the remote administrator's credentials, as the
/// `repair` call does.
pub(crate) async fn repair_link(
    state: &AppState,
    caller: &Caller,
    mut link: ApplicationLink,
    username: &str,
    password: &str,
) -> Result<ApplicationLink, ApiError> {
    let before = audit::link_summary(&link);
    let admin = RemoteAdmin::new(state, &link.rpc_url, username, password)?;
    admin.check_credentials().await?;
    complete(state, &link, link.outgoing, Some(&admin)).await?;
    link.pending = None;
    let (_, stored) = state.database().put_link(&link).await?;
    tracing::info!(link = %stored.id, by = %caller.user.username, "link repaired");
    let after = audit::link_summary(&stored);
    audit::record(
        state,
        caller,
        "link.repair",
        stored.id.as_str(),
        Some(before),
        Some(after),
    )
    .await;
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::checked_url;

    #[test]
    fn urls_need_a_scheme_and_cloud_sites_https() {
        assert!(checked_url("jira.example.com").is_err());
        assert!(checked_url("http://team.atlassian.net").is_err());
        assert_eq!(
            checked_url("https://team.atlassian.net/").unwrap().as_str(),
            "https://team.atlassian.net/"
        );
        assert!(checked_url("http://jira.internal:8080/jira/").is_ok());
    }
}
