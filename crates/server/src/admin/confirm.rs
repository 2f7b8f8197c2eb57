//! The "secure administrator session": before an administrative change, a password typed in
//! the last ten minutes (SPEC §5.1). Signing in counts as a confirmation; this page renews it.

use applinks_core::store::SessionStore;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Admin, LIST_PATH};
use crate::account::render;
use crate::caller::authenticate_password;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/confirm_password.html")]
struct ConfirmPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    username: &'a str,
    csrf_token: &'a str,
    next: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    password: String,
    next: Option<String>,
}

/// `GET confirm-password?next=`.
pub(crate) async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<NextQuery>,
) -> Response {
    show(
        &state,
        &admin,
        admin_next(query.next.as_deref()),
        None,
        StatusCode::OK,
    )
}

/// `POST confirm-password`: checks the password, renews the session's confirmation and goes
/// on to the page the administrator was on.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    if let Err(refused) = admin.check_form(&state, &headers, &form.csrf_token) {
        return *refused;
    }
    let next = admin_next(form.next.as_deref());
    let username = admin.caller.user.username.as_str();
    match authenticate_password(&state, username, form.password).await {
        Ok(_) => {}
        Err(ApiError::Unauthenticated) => {
            let error = "The password is incorrect.";
            return show(&state, &admin, next, Some(error), StatusCode::UNAUTHORIZED);
        }
        Err(ApiError::TooManyRequests { .. }) => {
            let error = "Too many failed attempts. Wait a few minutes and try again.";
            return show(
                &state,
                &admin,
                next,
                Some(error),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(other) => return other.into_response(),
    }

    let database = state.database();
    if let Err(error) = database
        .confirm_session(&admin.session.id_digest, state.now())
        .await
    {
        return ApiError::from(error).into_response();
    }
    state.recent().forget_session(&admin.session.id_digest);
    tracing::info!(%username, "administrator password confirmed");
    Redirect::to(next).into_response()
}

fn show(
    state: &AppState,
    admin: &Admin,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let page = ConfirmPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        username: admin.caller.user.username.as_str(),
        csrf_token: &admin.session.csrf_token,
        next,
        error,
    };
    render(status, &page)
}

/// Keeps a destination only when it is one of the administration pages; anything else goes to
/// the list.
fn admin_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with("/plugins/servlet/applinks/")
                && !path.contains(['\\', '@'])
                && !path.contains("//")
                && !path.contains("..")
                && path.len() <= 2048
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => LIST_PATH,
    }
}

#[cfg(test)]
mod tests {
    use super::admin_next;

    #[test]
    fn destinations_stay_among_the_administration_pages() {
        assert_eq!(
            admin_next(Some("/plugins/servlet/applinks/edit/abc")),
            "/plugins/servlet/applinks/edit/abc"
        );
        for hostile in [
            "//evil.example/plugins/servlet/applinks/",
            "https://evil.example/plugins/servlet/applinks/x",
            "/plugins/servlet/applinks/../../logout",
            "/plugins/servlet/applinks/\\evil",
            "/",
        ] {
            assert_eq!(admin_next(Some(hostile)), super::LIST_PATH, "{hostile:?}");
        }
        assert_eq!(admin_next(None), super::LIST_PATH);
    }
}
