//! Administration → Application Links: the pages administrators use to list, create, edit,
//! relocate, delete and repair links, as plain HTML forms that need no script.
//!
//! Every page is for administrators only. Every change carries the session's CSRF token, comes
//! from one of our own pages, and needs a password confirmed in the last ten minutes (the
//! "secure administrator session", SPEC §5.1). The work itself is the REST API's — the
//! wizard's `create_link`, the delete call's reciprocal step, the repair — so the pages and the
//! API cannot drift apart; this module only collects input and shows answers.
//!
//! Everything a remote application told us (names, URLs, type ids, versions) is shown through
//! askama's HTML escaping, and a URL becomes a link only when it is http(s) ([`web_href`]).

mod changes;
mod confirm;
mod list;
mod new_link;

use applinks_core::manifest::ApplicationType;
use applinks_core::session::Session;
use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use url::Url;

use crate::account::render;
use crate::caller::{Caller, Visitor};
use crate::csrf;
use crate::error::ApiError;
use crate::state::AppState;

/// The list of links, at the reference products' path.
pub(crate) const LIST_PATH: &str = "/plugins/servlet/applinks/listApplicationLinks";
/// Where an administrator confirms their password again.
pub(crate) const CONFIRM_PATH: &str = "/plugins/servlet/applinks/confirm-password";
/// How long a password confirmation lasts for administrative changes.
pub(crate) const SECURE_SESSION_SECS: i64 = 10 * 60;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(LIST_PATH, get(list::page))
        .route(
            "/plugins/servlet/applinks/create",
            get(new_link::remote_url_page).post(new_link::probe),
        )
        .route(
            "/plugins/servlet/applinks/create/link",
            post(new_link::create),
        )
        .route(
            "/plugins/servlet/applinks/edit/{id}",
            get(changes::edit_page).post(changes::edit),
        )
        .route(
            "/plugins/servlet/applinks/primary/{id}",
            post(changes::make_primary),
        )
        .route(
            "/plugins/servlet/applinks/relocate/{id}",
            get(changes::relocate_page).post(changes::relocate),
        )
        .route(
            "/plugins/servlet/applinks/delete/{id}",
            get(changes::delete_page).post(changes::delete),
        )
        .route(
            "/plugins/servlet/applinks/repair/{id}",
            get(changes::repair_page).post(changes::repair),
        )
        .route(CONFIRM_PATH, get(confirm::page).post(confirm::confirm))
}

/// A signed-in administrator on one of these pages. Strangers are sent to sign in and back;
/// other users get a 403 page.
pub(crate) struct Admin {
    pub(crate) caller: Caller,
    pub(crate) session: Session,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Visitor(caller) = Visitor::from_request_parts(parts, state).await?;
        if !caller.user.is_admin {
            return Err(notice(
                state,
                &caller,
                StatusCode::FORBIDDEN,
                "Administrators only",
                "Application Links are managed by administrators. Ask one of them if a link \
                 needs to change.",
            ));
        }
        let Some(session) = caller.session.clone() else {
            return Err(Redirect::to("/login").into_response());
        };
        Ok(Self { caller, session })
    }
}

impl Admin {
    /// The display name for the page header.
    pub(crate) fn display_name(&self) -> &str {
        &self.caller.user.display_name
    }

    /// Refuses a form that did not come from one of our pages in this session.
    pub(crate) fn check_form(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        submitted_token: &str,
    ) -> Result<(), Box<Response>> {
        if csrf::same_origin(headers, state.config())
            && csrf::token_matches(&self.session, submitted_token)
        {
            return Ok(());
        }
        tracing::debug!(
            username = %self.caller.user.username,
            "refused an admin form without a valid token"
        );
        Err(Box::new(notice(
            state,
            &self.caller,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form did not come from this session's pages, so nothing was changed. Go back, \
             reload the page and try again.",
        )))
    }

    /// Sends the administrator to confirm their password when their last confirmation is over
    /// ten minutes old, and back to `resume` (a path on this server) afterwards.
    pub(crate) fn require_confirmed(
        &self,
        state: &AppState,
        resume: &str,
    ) -> Result<(), Box<Response>> {
        if state.now() - self.session.confirmed_at <= SECURE_SESSION_SECS {
            return Ok(());
        }
        let next = url::form_urlencoded::byte_serialize(resume.as_bytes()).collect::<String>();
        let confirm = Redirect::to(&format!("{CONFIRM_PATH}?next={next}"));
        Err(Box::new(confirm.into_response()))
    }
}

#[derive(Template)]
#[template(path = "admin/notice.html")]
struct NoticePage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    title: &'a str,
    message: &'a str,
}

/// A page with a title and a message, and the way back to the list.
pub(crate) fn notice(
    state: &AppState,
    caller: &Caller,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    let page = NoticePage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        title,
        message,
    };
    render(status, &page)
}

/// The messages for people in an error of the shared wizard and link code, or the error's own
/// response when it is not the administrator's to fix (a database fault).
///
/// The response is boxed, as it is large and mostly travels through `Result`s.
pub(crate) fn problems(error: ApiError) -> Result<Vec<String>, Box<Response>> {
    match error {
        ApiError::BadRequest(messages)
        | ApiError::Conflict(messages)
        | ApiError::Remote(messages) => {
            Ok(messages.iter().map(|message| sentence(message)).collect())
        }
        ApiError::NotFound => Ok(vec!["The link no longer exists.".to_owned()]),
        other => Err(Box::new(other.into_response())),
    }
}

/// A message as a sentence: a capital first letter and a full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut text = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => return String::new(),
    };
    if !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    text
}

/// `raw` as an `href` when it is an http(s) URL; anything else (`javascript:`, `data:`) is
/// shown as text only.
pub(crate) fn web_href(raw: &str) -> Option<String> {
    let url = Url::parse(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// A name for people of an application type id; an unknown id is shown as it came.
pub(crate) fn type_name(type_id: &str) -> String {
    let known = ApplicationType::parse(type_id).map(|known| match known {
        ApplicationType::Jira => "Jira",
        ApplicationType::Confluence => "Confluence",
        ApplicationType::Stash => "Bitbucket",
        ApplicationType::Bamboo => "Bamboo",
        ApplicationType::Fecru => "Fisheye / Crucible",
        ApplicationType::Crowd => "Crowd",
        ApplicationType::Refapp => "Reference application",
        ApplicationType::Generic => "Generic application",
    });
    known.map_or_else(|| type_id.to_owned(), str::to_owned)
}

/// Whether an HTML checkbox was ticked (browsers send it only then, as `on` by default).
pub(crate) fn ticked(value: Option<&str>) -> bool {
    value.is_some_and(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(
            web_href("https://jira.example.com/jira").as_deref(),
            Some("https://jira.example.com/jira")
        );
        for inert in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,x",
            "jira.example.com",
            "",
        ] {
            assert_eq!(web_href(inert), None, "{inert:?}");
        }
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(sentence("a link exists already"), "A link exists already.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn unknown_types_are_shown_as_they_came() {
        assert_eq!(type_name("stash"), "Bitbucket");
        assert_eq!(type_name("jenkins"), "jenkins");
    }
}
