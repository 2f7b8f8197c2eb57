//! The list of links: every link with its URL, type, primary mark, status and authentication,
//! the actions on each, and the wizard's first question at the top.

use applinks_core::link::ApplicationLink;
use applinks_core::store::{LinkStore, StatusStore};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Admin, type_name, web_href};
use crate::account::render;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/list.html")]
struct ListPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    links: Vec<LinkRow>,
    done: Option<&'static str>,
}

/// One link as the list shows it.
struct LinkRow {
    id: String,
    name: String,
    display_url: String,
    display_href: Option<String>,
    type_name: String,
    is_primary: bool,
    pending: Option<String>,
    authentication: &'static str,
    /// The last background check: `None` before the first, else its error type when broken.
    status: Option<Result<(), String>>,
}

impl From<&ApplicationLink> for LinkRow {
    fn from(link: &ApplicationLink) -> Self {
        Self {
            id: link.id.to_string(),
            name: link.name.clone(),
            display_url: link.display_url.clone(),
            display_href: web_href(&link.display_url),
            type_name: type_name(&link.type_id),
            is_primary: link.is_primary,
            pending: link.pending.clone(),
            authentication: link.outgoing.label(),
            status: None,
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    done: Option<String>,
}

/// `GET listApplicationLinks`.
pub(crate) async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<ListQuery>,
) -> Response {
    let links = match state.database().links().await {
        Ok(links) => links,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let mut statuses: std::collections::HashMap<_, _> = match state.database().statuses().await {
        Ok(statuses) => statuses.into_iter().collect(),
        Err(error) => return ApiError::from(error).into_response(),
    };
    let rows = links
        .iter()
        .map(|link| {
            let status = statuses.remove(&link.id).map(|status| {
                if status.working {
                    Ok(())
                } else {
                    Err(status
                        .error_type
                        .unwrap_or_else(|| "UNKNOWN".into())
                        .replace('_', " ")
                        .to_lowercase())
                }
            });
            LinkRow {
                status,
                ..LinkRow::from(link)
            }
        })
        .collect();
    let page = ListPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        csrf_token: &admin.session.csrf_token,
        links: rows,
        done: query.done.as_deref().and_then(done_message),
    };
    render(StatusCode::OK, &page)
}

/// The message after a change, from a fixed list: the query never puts its own text on the
/// page.
fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "updated" => "The link was updated.",
        "primary" => "The link is now the primary link of its type.",
        "relocated" => "The link was relocated.",
        "deleted" => "The link was deleted.",
        "deleted-both" => "The link was deleted here and on the remote application.",
        "repaired" => "The link was repaired: both sides are complete.",
        _ => return None,
    })
}
