//! Authorised applications: the access tokens a user has granted to consumers, listed and
//! revocable on a page and through REST.

use applinks_core::store::{ConsumerStore, TokenStore};
use applinks_core::token::IssuedToken;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};

use crate::account::render;
use crate::caller::{Caller, Visitor};
use crate::csrf;
use crate::error::ApiError;
use crate::state::AppState;

/// The page's path, where the reference products keep it.
const PAGE: &str = "/plugins/servlet/oauth/users/access-tokens";

/// The routes of this module's pages (session only).
pub(crate) fn page_routes() -> Router<AppState> {
    Router::new().route(PAGE, get(page).post(revoke_from_page))
}

/// The routes of this module's REST resources (any authenticated caller).
pub(crate) fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/rest/applinks-oauth/1.0/accesstokens", get(list))
        .route("/rest/applinks-oauth/1.0/accesstokens/{id}", delete(revoke))
}

/// One authorised application, as REST shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Grant {
    /// The token's digest: enough to name it, useless to sign with.
    id: String,
    consumer_key: String,
    consumer_name: String,
    issued_at: i64,
    expires_at: i64,
}

#[derive(Template)]
#[template(path = "access_tokens.html")]
struct GrantsPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    grants: Vec<GrantRow>,
    csrf_token: &'a str,
    notice: Option<&'a str>,
}

struct GrantRow {
    id: String,
    consumer_name: String,
    issued: String,
    expires: String,
}

#[derive(Deserialize)]
struct RevokeForm {
    id: String,
    csrf_token: String,
}

async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Grant>>, ApiError> {
    let tokens = state
        .database()
        .user_access_tokens(&caller.user.username)
        .await?;
    let mut grants = Vec::with_capacity(tokens.len());
    for token in tokens {
        let consumer_name = consumer_name(&state, &token).await?;
        grants.push(Grant {
            id: token.digest,
            consumer_key: token.consumer_key.to_string(),
            consumer_name,
            issued_at: token.created_at,
            expires_at: token.expires_at,
        });
    }
    Ok(Json(grants))
}

async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.check_xsrf(&headers)?;
    if !state
        .database()
        .revoke_user_token(&caller.user.username, &id)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    tracing::info!(username = %caller.user.username, "access token revoked by its user");
    Ok(StatusCode::NO_CONTENT)
}

async fn page(
    State(state): State<AppState>,
    Visitor(caller): Visitor,
) -> Result<Response, ApiError> {
    render_page(&state, &caller, None).await
}

async fn revoke_from_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Visitor(caller): Visitor,
    Form(form): Form<RevokeForm>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    if !csrf::same_origin(&headers, state.config())
        || !csrf::token_matches(session, &form.csrf_token)
    {
        return Err(ApiError::CrossSite);
    }
    if state
        .database()
        .revoke_user_token(&caller.user.username, &form.id)
        .await?
    {
        tracing::info!(username = %caller.user.username, "access token revoked by its user");
        return Ok(Redirect::to(&format!("{PAGE}?revoked=1")).into_response());
    }
    render_page(&state, &caller, Some("That access was already revoked.")).await
}

async fn render_page(
    state: &AppState,
    caller: &Caller,
    notice: Option<&str>,
) -> Result<Response, ApiError> {
    let session = caller.session.as_ref().ok_or(ApiError::Unauthenticated)?;
    let tokens = state
        .database()
        .user_access_tokens(&caller.user.username)
        .await?;
    let mut grants = Vec::with_capacity(tokens.len());
    for token in tokens {
        grants.push(GrantRow {
            consumer_name: consumer_name(state, &token).await?,
            issued: calendar_date(token.created_at),
            expires: calendar_date(token.expires_at),
            id: token.digest,
        });
    }
    let page = GrantsPage {
        app_name: &state.config().name,
        display_name: &caller.user.display_name,
        grants,
        csrf_token: &session.csrf_token,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}

async fn consumer_name(state: &AppState, token: &IssuedToken) -> Result<String, ApiError> {
    let consumer = state.database().consumer(&token.consumer_key).await?;
    Ok(consumer.map_or_else(|| token.consumer_key.to_string(), |consumer| consumer.name))
}

/// `YYYY-MM-DD` (UTC) of a Unix time, by the days-from-civil algorithm in reverse.
fn calendar_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::calendar_date;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(calendar_date(0), "1970-01-01");
        assert_eq!(calendar_date(951_782_400), "2000-02-29");
        assert_eq!(calendar_date(1_800_000_000), "2027-01-15");
        assert_eq!(calendar_date(-86_400), "1969-12-31");
    }
}
