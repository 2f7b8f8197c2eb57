//! The list of links: every link with its URL, type, primary mark, status and authentication,
//! the actions on each, and the wizard's first question at the top.

use applinks_core::link::ApplicationLink;
use applinks_core::store::{LinkStore, LinksPage, StoreError};
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
    pages: Pages,
}

/// Where the page is in the whole list, for the pager under it.
struct Pages {
    /// The positions of the page's first and last link, counted from 1.
    first_shown: u64,
    last_shown: u64,
    total: u64,
    previous: Option<u64>,
    next: Option<u64>,
}

/// Links per page: a screenful or two, and a page that renders in a few milliseconds however
/// many links there are (SPEC §8 asks for 10,000 links under 50 ms).
const PAGE_SIZE: u64 = 50;

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
    /// The page, from 1; anything else shows the first one.
    page: Option<String>,
}

/// `GET listApplicationLinks`.
pub(crate) async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<ListQuery>,
) -> Response {
    let wanted = query
        .page
        .as_deref()
        .and_then(|page| page.parse::<u64>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1);
    let (number, listed) = match listed_page(&state, wanted).await {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let shown = listed.links.len() as u64;
    let first_shown = (number - 1) * PAGE_SIZE + 1;
    let pages = Pages {
        first_shown,
        last_shown: first_shown + shown.saturating_sub(1),
        total: listed.total,
        previous: (number > 1).then(|| number - 1),
        next: (number * PAGE_SIZE < listed.total).then(|| number + 1),
    };
    let rows = listed
        .links
        .into_iter()
        .map(|(link, status)| {
            let status = status.map(|status| {
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
                ..LinkRow::from(&link)
            }
        })
        .collect();
    let page = ListPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        csrf_token: &admin.session.csrf_token,
        links: rows,
        done: query.done.as_deref().and_then(done_message),
        pages,
    };
    render(StatusCode::OK, &page)
}

/// The page `wanted` of the list with its number, or the last page when there are fewer (a
/// bookmark from when there were more links, or links deleted meanwhile), or the first when
/// there are none.
async fn listed_page(state: &AppState, wanted: u64) -> Result<(u64, LinksPage), StoreError> {
    let offset = |page: u64| (page - 1).saturating_mul(PAGE_SIZE);
    let listed = state
        .database()
        .links_page(offset(wanted), PAGE_SIZE)
        .await?;
    if !listed.links.is_empty() {
        return Ok((wanted, listed));
    }
    if listed.total == 0 {
        return Ok((1, listed));
    }
    let last = listed.total.div_ceil(PAGE_SIZE);
    let listed = state.database().links_page(offset(last), PAGE_SIZE).await?;
    Ok((last, listed))
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
