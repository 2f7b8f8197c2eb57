//! Signing in and out, and the page people land on.
//!
//! `/login` takes a user name and password and starts a session; `?next=` brings the person back
//! where they were, but only to a path on this server. `/logout` ends the session.

use applinks_core::session::Session;
use applinks_core::store::SessionStore;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::caller::{self, SESSION_COOKIE, Visitor};
use crate::csrf;
use crate::error::ApiError;
use crate::secrets::digest;
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", get(logout_page).post(logout))
        .route("/static/applinks.css", get(stylesheet))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    app_name: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    username: &'a str,
    is_admin: bool,
    server_id: String,
    base_url: &'a str,
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf_token: String,
}

async fn home(State(state): State<AppState>, Visitor(caller): Visitor) -> Response {
    let user = &caller.user;
    render(
        StatusCode::OK,
        &HomePage {
            app_name: &state.config().name,
            display_name: &user.display_name,
            username: user.username.as_str(),
            is_admin: user.is_admin,
            server_id: state.identity().server_id().to_string(),
            base_url: state.config().base_url_str(),
        },
    )
}

async fn login_page(State(state): State<AppState>, Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    let page = LoginPage {
        app_name: &state.config().name,
        next,
        username: "",
        error: None,
    };
    render(StatusCode::OK, &page)
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !csrf::same_origin(&headers, state.config()) {
        return (StatusCode::FORBIDDEN, "Cross-site sign-in refused.").into_response();
    }
    let next = safe_next(form.next.as_deref());
    let refuse = |status, error| {
        let page = LoginPage {
            app_name: &state.config().name,
            next,
            username: &form.username,
            error: Some(error),
        };
        render(status, &page)
    };

    let user =
        match caller::authenticate_password(&state, &form.username, form.password.clone()).await {
            Ok(user) => user,
            Err(ApiError::TooManyRequests { .. }) => {
                return refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many failed attempts for this user. Wait a few minutes and try again.",
                );
            }
            Err(ApiError::Unauthenticated) => {
                return refuse(
                    StatusCode::UNAUTHORIZED,
                    "The user name or password is incorrect.",
                );
            }
            Err(other) => return other.into_response(),
        };

    let session_id = state.random_token(32);
    let now = state.now();
    let session = Session {
        id_digest: digest(&session_id),
        username: user.username.clone(),
        csrf_token: state.random_token(24),
        created_at: now,
        expires_at: now + state.config().session_lifetime_secs,
        confirmed_at: now,
    };
    if let Err(error) = state.database().create_session(&session).await {
        return ApiError::from(error).into_response();
    }
    tracing::info!(username = %user.username, "signed in");

    let cookie = session_cookie(&state, &session_id, state.config().session_lifetime_secs);
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

async fn logout_page(State(state): State<AppState>, Visitor(caller): Visitor) -> Response {
    let Some(session) = &caller.session else {
        return Redirect::to("/login").into_response();
    };
    let page = LogoutPage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        csrf_token: &session.csrf_token,
    };
    render(StatusCode::OK, &page)
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Visitor(caller): Visitor,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(session) = caller.session else {
        return Redirect::to("/login").into_response();
    };
    if !csrf::same_origin(&headers, state.config())
        || !csrf::token_matches(&session, &form.csrf_token)
    {
        return (
            StatusCode::FORBIDDEN,
            "The sign-out form has expired. Reload the page.",
        )
            .into_response();
    }
    if let Err(error) = state.database().delete_session(&session.id_digest).await {
        return ApiError::from(error).into_response();
    }
    state.recent().forget_session(&session.id_digest);
    tracing::info!(username = %session.username, "signed out");

    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/applinks.css"),
    )
}

/// A `Set-Cookie` value for the session: HTTP-only, same-site, `Secure` behind https.
fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config().is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&cookie).expect("session ids and attributes are valid header text")
}

/// Keeps a post-login destination only when it is a path on this server.
///
/// `//host` and `/\host` are refused because browsers treat both as another host.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.len() <= 2048
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// Renders a page, answering a 500 without details if a template fails.
pub(crate) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let headers = [
                (header::X_FRAME_OPTIONS, "DENY"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'self'; frame-ancestors 'none'",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ];
            (status, headers, Html(html)).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "page template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(
            safe_next(Some("/plugins/servlet/applinks/listApplicationLinks")),
            "/plugins/servlet/applinks/listApplicationLinks"
        );
        assert_eq!(safe_next(Some("/a?b=c")), "/a?b=c");
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
