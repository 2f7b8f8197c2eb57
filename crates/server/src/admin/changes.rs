//! The changes to an existing link: edit, make primary, relocate, delete (here, or on both
//! sides) and repair a half-made link.
//!
//! Each change has a page with its form (`GET`) and the change itself (`POST`); both ask for a
//! recent password confirmation, and the change checks the form's CSRF token and origin first.

use applinks_core::link::{ApplicationLink, LinkDraft, OAuthLevels};
use applinks_core::store::LinkStore;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Admin, LIST_PATH, problems, ticked, type_name, web_href};
use crate::account::render;
use crate::audit;
use crate::error::ApiError;
use crate::links::{RemoteCredentials, delete_remote_link, find_link};
use crate::state::AppState;
use crate::wizard::{checked_url, repair_link};
use applinks_core::consumer::Consumer;
use applinks_core::store::ConsumerStore;

/// The outgoing levels an administrator chooses from, by form value.
const LEVELS: [(&str, OAuthLevels); 3] = [
    ("disabled", OAuthLevels::DISABLED),
    ("oauth", OAuthLevels::OAUTH),
    ("impersonation", OAuthLevels::IMPERSONATION),
];

/// The link a form is about, for people.
struct LinkFacts {
    id: String,
    name: String,
    type_name: String,
    display_url: String,
    display_href: Option<String>,
    rpc_url: String,
    outgoing: &'static str,
    pending: Option<String>,
}

impl From<&ApplicationLink> for LinkFacts {
    fn from(link: &ApplicationLink) -> Self {
        let outgoing = LEVELS
            .iter()
            .find(|(_, levels)| *levels == link.outgoing)
            .map_or("custom", |(value, _)| value);
        Self {
            id: link.id.to_string(),
            name: link.name.clone(),
            type_name: type_name(&link.type_id),
            display_url: link.display_url.clone(),
            display_href: web_href(&link.display_url),
            rpc_url: link.rpc_url.clone(),
            outgoing,
            pending: link.pending.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/edit.html")]
struct EditPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    link: LinkFacts,
    /// The incoming level's form value, or `none` when the link has no incoming consumer.
    incoming: &'static str,
    errors: Vec<String>,
}

/// The form value of the incoming level a link's consumer grants.
fn incoming_value(consumer: Option<&Consumer>) -> &'static str {
    let Some(consumer) = consumer else {
        return "none";
    };
    let levels = OAuthLevels {
        enabled: consumer.three_lo_allowed,
        two_lo_enabled: consumer.two_lo_allowed,
        two_lo_impersonation_enabled: consumer.two_lo_impersonation_allowed,
    };
    LEVELS
        .iter()
        .find(|(_, known)| *known == levels)
        .map_or("custom", |(value, _)| value)
}

#[derive(Template)]
#[template(path = "admin/relocate.html")]
struct RelocatePage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    link: LinkFacts,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/delete.html")]
struct DeletePage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    link: LinkFacts,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/repair.html")]
struct RepairPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    link: LinkFacts,
    errors: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct EditForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    display_url: String,
    #[serde(default)]
    rpc_url: String,
    outgoing: String,
    /// Absent when the link has no incoming consumer to configure.
    incoming: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub(crate) struct RelocateForm {
    #[serde(default)]
    csrf_token: String,
    url: String,
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
    reciprocate: Option<String>,
    remote_username: Option<String>,
    remote_password: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct RepairForm {
    #[serde(default)]
    csrf_token: String,
    remote_username: String,
    remote_password: String,
}

/// Which form of a link a page shows.
#[derive(Clone, Copy)]
enum Action {
    Edit,
    Relocate,
    Delete,
    Repair,
}

impl Action {
    fn path(self, id: &str) -> String {
        let action = match self {
            Self::Edit => "edit",
            Self::Relocate => "relocate",
            Self::Delete => "delete",
            Self::Repair => "repair",
        };
        format!("/plugins/servlet/applinks/{action}/{id}")
    }
}

pub(crate) async fn edit_page(state: State<AppState>, admin: Admin, id: Path<String>) -> Response {
    form_page(state, admin, id, Action::Edit).await
}

pub(crate) async fn relocate_page(
    state: State<AppState>,
    admin: Admin,
    id: Path<String>,
) -> Response {
    form_page(state, admin, id, Action::Relocate).await
}

pub(crate) async fn delete_page(
    state: State<AppState>,
    admin: Admin,
    id: Path<String>,
) -> Response {
    form_page(state, admin, id, Action::Delete).await
}

pub(crate) async fn repair_page(
    state: State<AppState>,
    admin: Admin,
    id: Path<String>,
) -> Response {
    form_page(state, admin, id, Action::Repair).await
}

/// A change's form, after a password confirmation when the last one is too old.
async fn form_page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    action: Action,
) -> Response {
    if let Err(confirm) = admin.require_confirmed(&state, &action.path(&id)) {
        return *confirm;
    }
    match find_link(&state, &id).await {
        Ok(link) => show(&state, &admin, action, &link, Vec::new(), StatusCode::OK).await,
        Err(error) => missing(&state, &admin, error),
    }
}

/// `POST edit/{id}`: name, URLs and the outgoing authentication level.
pub(crate) async fn edit(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> Response {
    let link = match authorise(
        &state,
        &admin,
        &headers,
        &form.csrf_token,
        Action::Edit,
        &id,
    )
    .await
    {
        Ok(link) => link,
        Err(response) => return response,
    };
    let Some((_, outgoing)) = LEVELS.iter().find(|(value, _)| *value == form.outgoing) else {
        let errors = vec!["Choose an authentication level.".to_owned()];
        return show(
            &state,
            &admin,
            Action::Edit,
            &link,
            errors,
            StatusCode::BAD_REQUEST,
        )
        .await;
    };

    let draft = LinkDraft {
        name: form.name,
        type_id: link.type_id.clone(),
        display_url: form.display_url,
        rpc_url: Some(form.rpc_url),
        is_system: link.is_system,
    };
    let mut updated = match draft.into_link(link.id.clone()) {
        Ok(updated) => updated,
        Err(error) => {
            let errors = vec![super::sentence(&error.to_string())];
            return show(
                &state,
                &admin,
                Action::Edit,
                &link,
                errors,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    updated.is_primary = link.is_primary;
    updated.outgoing = *outgoing;
    updated.pending = link.pending.clone();
    if let Err(error) = state.database().put_link(&updated).await {
        return ApiError::from(error).into_response();
    }
    let incoming = form.incoming.as_deref();
    if let Some(Err(response)) = match incoming {
        Some(incoming) => Some(set_incoming(&state, &admin, &link, incoming).await),
        None => None,
    } {
        return *response;
    }
    tracing::info!(
        link = %link.id,
        by = %admin.caller.user.username,
        before.name = %link.name, after.name = %updated.name,
        before.display_url = %link.display_url, after.display_url = %updated.display_url,
        before.rpc_url = %link.rpc_url, after.rpc_url = %updated.rpc_url,
        before.outgoing = link.outgoing.label(), after.outgoing = updated.outgoing.label(),
        "link edited"
    );
    let (before, after) = (audit::link_summary(&link), audit::link_summary(&updated));
    let target = link.id.as_str();
    audit::record(
        &state,
        &admin.caller,
        "link.update",
        target,
        Some(before),
        Some(after),
    )
    .await;
    done("updated")
}

/// Applies the incoming level chosen on the edit page to the link's consumer; "disabled"
/// removes the consumer and its tokens, as the reference products do.
async fn set_incoming(
    state: &AppState,
    admin: &Admin,
    link: &ApplicationLink,
    value: &str,
) -> Result<(), Box<Response>> {
    let Some((_, levels)) = LEVELS.iter().find(|(known, _)| *known == value) else {
        return Ok(());
    };
    let database = state.database();
    let consumer = database
        .link_consumer(&link.id)
        .await
        .map_err(|error| Box::new(ApiError::from(error).into_response()))?;
    let Some(consumer) = consumer else {
        return Ok(());
    };
    let before = Some(audit::consumer_summary(&consumer));
    let after = if *levels == OAuthLevels::DISABLED {
        database
            .delete_link_consumer(&link.id)
            .await
            .map_err(|error| Box::new(ApiError::from(error).into_response()))?;
        None
    } else {
        let updated = Consumer {
            three_lo_allowed: levels.enabled,
            two_lo_allowed: levels.two_lo_enabled,
            two_lo_impersonation_allowed: levels.two_lo_impersonation_enabled,
            ..consumer
        };
        database
            .put_consumer(&updated)
            .await
            .map_err(|error| Box::new(ApiError::from(error).into_response()))?;
        Some(audit::consumer_summary(&updated))
    };
    tracing::info!(
        link = %link.id, incoming = value, by = %admin.caller.user.username,
        "incoming authentication changed"
    );
    audit::record(
        state,
        &admin.caller,
        "consumer.levels",
        link.id.as_str(),
        before,
        after,
    )
    .await;
    Ok(())
}

/// `POST primary/{id}`: makes the link the primary one of its type.
pub(crate) async fn make_primary(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(refused) = admin.check_form(&state, &headers, &form.csrf_token) {
        return *refused;
    }
    if let Err(confirm) = admin.require_confirmed(&state, LIST_PATH) {
        return *confirm;
    }
    let link = match find_link(&state, &id).await {
        Ok(link) => link,
        Err(error) => return missing(&state, &admin, error),
    };
    if let Err(error) = state.database().make_primary(&link.id).await {
        return ApiError::from(error).into_response();
    }
    tracing::info!(link = %link.id, by = %admin.caller.user.username, "link made primary");
    let before = audit::link_summary(&link);
    let after = match find_link(&state, &id).await {
        Ok(updated) => audit::link_summary(&updated),
        Err(error) => return error.into_response(),
    };
    let target = link.id.as_str();
    audit::record(
        &state,
        &admin.caller,
        "link.make_primary",
        target,
        Some(before),
        Some(after),
    )
    .await;
    done("primary")
}

/// `POST relocate/{id}`: the application moved; both URLs follow it.
pub(crate) async fn relocate(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RelocateForm>,
) -> Response {
    let mut link = match authorise(
        &state,
        &admin,
        &headers,
        &form.csrf_token,
        Action::Relocate,
        &id,
    )
    .await
    {
        Ok(link) => link,
        Err(response) => return response,
    };
    let url = match checked_url(&form.url) {
        Ok(url) => url.as_str().trim_end_matches('/').to_owned(),
        Err(error) => return show_problems(&state, &admin, Action::Relocate, &link, error).await,
    };
    let summary = audit::link_summary(&link);
    let before = (link.display_url.clone(), link.rpc_url.clone());
    link.display_url = url.clone();
    link.rpc_url = url;
    if let Err(error) = state.database().put_link(&link).await {
        return ApiError::from(error).into_response();
    }
    tracing::info!(
        link = %link.id,
        by = %admin.caller.user.username,
        before.display_url = %before.0, before.rpc_url = %before.1,
        after.url = %link.rpc_url,
        "link relocated"
    );
    let after = audit::link_summary(&link);
    let target = link.id.as_str();
    audit::record(
        &state,
        &admin.caller,
        "link.relocate",
        target,
        Some(summary),
        Some(after),
    )
    .await;
    done("relocated")
}

/// `POST delete/{id}`: deletes the link, and with `reciprocate` the remote's link to us first.
pub(crate) async fn delete(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Response {
    let link = match authorise(
        &state,
        &admin,
        &headers,
        &form.csrf_token,
        Action::Delete,
        &id,
    )
    .await
    {
        Ok(link) => link,
        Err(response) => return response,
    };
    let reciprocate = ticked(form.reciprocate.as_deref());
    if reciprocate {
        let non_empty = |value: Option<String>| value.filter(|value| !value.is_empty());
        let credentials = RemoteCredentials {
            username: non_empty(form.remote_username),
            password: non_empty(form.remote_password),
        };
        if let Err(error) = delete_remote_link(&state, &link, &admin.caller, credentials).await {
            return show_problems(&state, &admin, Action::Delete, &link, error).await;
        }
    }
    if let Err(error) = state.database().delete_link(&link.id).await {
        return ApiError::from(error).into_response();
    }
    tracing::info!(
        link = %link.id, name = %link.name, reciprocate, by = %admin.caller.user.username,
        "link deleted"
    );
    let action = if reciprocate {
        "link.delete_both_sides"
    } else {
        "link.delete"
    };
    let before = Some(audit::link_summary(&link));
    audit::record(
        &state,
        &admin.caller,
        action,
        link.id.as_str(),
        before,
        None,
    )
    .await;
    done(if reciprocate {
        "deleted-both"
    } else {
        "deleted"
    })
}

/// `POST repair/{id}`: completes a half-made link with the remote administrator's credentials.
pub(crate) async fn repair(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RepairForm>,
) -> Response {
    let link = match authorise(
        &state,
        &admin,
        &headers,
        &form.csrf_token,
        Action::Repair,
        &id,
    )
    .await
    {
        Ok(link) => link,
        Err(response) => return response,
    };
    let username = form.remote_username.trim();
    if username.is_empty() || form.remote_password.is_empty() {
        let errors = vec!["Enter the remote administrator's user name and password.".to_owned()];
        return show(
            &state,
            &admin,
            Action::Repair,
            &link,
            errors,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let result = repair_link(
        &state,
        &admin.caller,
        link.clone(),
        username,
        &form.remote_password,
    )
    .await;
    match result {
        Ok(_) => done("repaired"),
        Err(error) => show_problems(&state, &admin, Action::Repair, &link, error).await,
    }
}

/// The steps every change takes first: a form of this session from our pages, a recent
/// password confirmation, and the link it is about.
async fn authorise(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    csrf_token: &str,
    action: Action,
    id: &str,
) -> Result<ApplicationLink, Response> {
    admin
        .check_form(state, headers, csrf_token)
        .map_err(|refused| *refused)?;
    admin
        .require_confirmed(state, &action.path(id))
        .map_err(|confirm| *confirm)?;
    find_link(state, id)
        .await
        .map_err(|error| missing(state, admin, error))
}

/// Back to the list, which says what was done.
fn done(what: &str) -> Response {
    Redirect::to(&format!("{LIST_PATH}?done={what}")).into_response()
}

fn missing(state: &AppState, admin: &Admin, error: ApiError) -> Response {
    match error {
        ApiError::NotFound => super::notice(
            state,
            &admin.caller,
            StatusCode::NOT_FOUND,
            "No such link",
            "The link does not exist: it may have been deleted already.",
        ),
        other => other.into_response(),
    }
}

async fn show_problems(
    state: &AppState,
    admin: &Admin,
    action: Action,
    link: &ApplicationLink,
    error: ApiError,
) -> Response {
    match problems(error) {
        Ok(errors) => show(state, admin, action, link, errors, StatusCode::BAD_REQUEST).await,
        Err(response) => *response,
    }
}

async fn show(
    state: &AppState,
    admin: &Admin,
    action: Action,
    link: &ApplicationLink,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let app_name = &state.config().name;
    let display_name = admin.display_name();
    let csrf_token = &admin.session.csrf_token;
    let incoming = match state.database().link_consumer(&link.id).await {
        Ok(consumer) => incoming_value(consumer.as_ref()),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let link = LinkFacts::from(link);
    match action {
        Action::Edit => render(
            status,
            &EditPage {
                app_name,
                display_name,
                csrf_token,
                link,
                incoming,
                errors,
            },
        ),
        Action::Relocate => render(
            status,
            &RelocatePage {
                app_name,
                display_name,
                csrf_token,
                link,
                errors,
            },
        ),
        Action::Delete => render(
            status,
            &DeletePage {
                app_name,
                display_name,
                csrf_token,
                link,
                errors,
            },
        ),
        Action::Repair => render(
            status,
            &RepairPage {
                app_name,
                display_name,
                csrf_token,
                link,
                errors,
            },
        ),
    }
}
