//! The wizard's pages: the remote URL, then what was found there with the two questions (the
//! same users? an administrator on both?), then the link created.
//!
//! The probed URL travels between the steps in a hidden field and is checked again on every
//! submission; the creation itself is the REST wizard's [`create_link`], which probes again.

use applinks_core::link::{ApplicationLink, OAuthLevels};
use applinks_core::manifest::{ApplicationType, RemoteManifest};
use applinks_core::store::ConsumerStore as _;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;

use super::{Admin, problems, ticked, type_name, web_href};
use crate::account::render;
use crate::error::ApiError;
use crate::links::{find_link, incoming_levels};
use crate::state::AppState;
use crate::wizard::{CreateRequest, Probe, check_first, checked_url, create_link, probe_url};
use crate::{consumers, providers};

/// The path of the wizard's first step.
const CREATE_PATH: &str = "/plugins/servlet/applinks/create";

#[derive(Template)]
#[template(path = "admin/remote_url.html")]
struct RemoteUrlPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    url: &'a str,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/link_options.html")]
struct LinkOptionsPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    csrf_token: &'a str,
    /// The URL as probed and normalised.
    url: &'a str,
    remote: Option<RemoteFacts>,
    redirect: Option<&'a str>,
    warnings: &'a [String],
    errors: Vec<String>,
    /// What the administrator chose before, when the page is shown again after an error.
    form: &'a OptionsForm,
    types: Vec<(&'static str, String)>,
}

/// What a remote's manifest says, for people.
struct RemoteFacts {
    name: String,
    type_name: String,
    version: String,
    id: String,
    announced_url: String,
}

impl From<&RemoteManifest> for RemoteFacts {
    fn from(manifest: &RemoteManifest) -> Self {
        let version = match (manifest.version.as_str(), manifest.build_number.as_str()) {
            ("", _) => String::new(),
            (version, "") => version.to_owned(),
            (version, build) => format!("{version} (build {build})"),
        };
        Self {
            name: manifest.name.clone(),
            type_name: type_name(&manifest.type_id),
            version,
            id: manifest.id.clone(),
            announced_url: manifest.url.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/link_created.html")]
struct CreatedPage<'a> {
    app_name: &'a str,
    display_name: &'a str,
    id: String,
    name: &'a str,
    type_name: String,
    display_url: &'a str,
    display_href: Option<String>,
    two_way: bool,
    /// The levels each direction has once everything typed into the wizard is configured.
    outgoing: &'static str,
    incoming: &'static str,
    warnings: &'a [String],
    pending: Option<&'a str>,
}

#[derive(Deserialize)]
pub(crate) struct UrlQuery {
    url: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct UrlForm {
    #[serde(default)]
    csrf_token: String,
    url: String,
}

/// The second step's form. Checkboxes are absent when cleared.
#[derive(Default, Deserialize)]
pub(crate) struct OptionsForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    name: Option<String>,
    type_id: Option<String>,
    share_userbase: Option<String>,
    two_way: Option<String>,
    remote_username: Option<String>,
    #[serde(default)]
    remote_password: String,
    /// A generic application's incoming consumer and outgoing OAuth, all optional.
    consumer_key: Option<String>,
    public_key: Option<String>,
    shared_secret: Option<String>,
    outbound_consumer_key: Option<String>,
    request_token_url: Option<String>,
    access_token_url: Option<String>,
    authorize_url: Option<String>,
}

/// `GET create?url=`: the first step on a page of its own, where the list's form comes back to
/// after a password confirmation.
pub(crate) async fn remote_url_page(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<UrlQuery>,
) -> Response {
    let page = RemoteUrlPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        csrf_token: &admin.session.csrf_token,
        url: query.url.as_deref().unwrap_or_default(),
        errors: Vec::new(),
    };
    render(StatusCode::OK, &page)
}

/// `POST create`: checks and probes the URL, then asks the questions that fit what was found.
pub(crate) async fn probe(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<UrlForm>,
) -> Response {
    if let Err(refused) = admin.check_form(&state, &headers, &form.csrf_token) {
        return *refused;
    }
    let resume = resume_path(&form.url);
    if let Err(confirm) = admin.require_confirmed(&state, &resume) {
        return *confirm;
    }

    let probed = match checked_url(&form.url) {
        Ok(url) => probe_url(&state, &url).await,
        Err(error) => Err(error),
    };
    match probed {
        Ok((probe, manifest)) => {
            let defaults = OptionsForm {
                two_way: manifest.is_some().then(|| "on".to_owned()),
                ..OptionsForm::default()
            };
            options_page(
                &state,
                &admin,
                &probe,
                manifest.as_ref(),
                &defaults,
                Vec::new(),
            )
        }
        Err(error) => match problems(error) {
            Ok(errors) => url_page_again(&state, &admin, &form.url, errors),
            Err(response) => *response,
        },
    }
}

/// `POST create/link`: creates the link with the wizard's shared code and shows the result.
pub(crate) async fn create(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Form(form): Form<OptionsForm>,
) -> Response {
    if let Err(refused) = admin.check_form(&state, &headers, &form.csrf_token) {
        return *refused;
    }
    let resume = resume_path(&form.url);
    if let Err(confirm) = admin.require_confirmed(&state, &resume) {
        return *confirm;
    }
    // The hidden field is the administrator's browser speaking: check it like typed input.
    let url = match checked_url(&form.url) {
        Ok(url) => url,
        Err(error) => {
            return match problems(error) {
                Ok(errors) => url_page_again(&state, &admin, &form.url, errors),
                Err(response) => *response,
            };
        }
    };

    let two_way = ticked(form.two_way.as_deref());
    let remote_admin = if two_way {
        let username = form.remote_username.clone().unwrap_or_default();
        if username.trim().is_empty() || form.remote_password.is_empty() {
            let errors = vec![
                "Enter the remote administrator's user name and password, or clear \"I am an \
                 administrator on both instances\" to create a 1-way link."
                    .to_owned(),
            ];
            return options_again(&state, &admin, url.as_str(), &form, errors).await;
        }
        Some((username.trim().to_owned(), form.remote_password.clone()))
    } else {
        None
    };
    let request = CreateRequest::from_form(
        url.as_str().trim_end_matches('/').to_owned(),
        form.name.clone().filter(|name| !name.trim().is_empty()),
        form.type_id.clone().filter(|type_id| !type_id.is_empty()),
        ticked(form.share_userbase.as_deref()),
        remote_admin,
    );

    match create_link(&state, &admin.caller, request).await {
        Ok(mut created) => {
            let notes = configure_generic(&state, &admin, &created.link, &form).await;
            created.warnings.extend(notes);
            // A generic application's OAuth details change the levels negotiated at creation:
            // the page shows what the link has now.
            let (link, incoming) = match levels_now(&state, &created.link).await {
                Ok(now) => now,
                Err(error) => return error.into_response(),
            };
            check_first(&state, &link);
            let link = &link;
            let page = CreatedPage {
                app_name: &state.config().name,
                display_name: admin.display_name(),
                id: link.id.to_string(),
                name: &link.name,
                type_name: type_name(&link.type_id),
                display_url: &link.display_url,
                display_href: web_href(&link.display_url),
                two_way,
                outgoing: link.outgoing.label(),
                incoming: incoming.label(),
                warnings: &created.warnings,
                pending: link.pending.as_deref(),
            };
            let status = if link.pending.is_some() {
                StatusCode::ACCEPTED
            } else {
                StatusCode::CREATED
            };
            render(status, &page)
        }
        Err(error) => match problems(error) {
            Ok(errors) => options_again(&state, &admin, url.as_str(), &form, errors).await,
            Err(response) => *response,
        },
    }
}

/// Sets a generic application's OAuth details typed into the wizard, once its link exists;
/// what cannot be set is said on the result page, where the link is shown either way.
async fn configure_generic(
    state: &AppState,
    admin: &Admin,
    link: &ApplicationLink,
    form: &OptionsForm,
) -> Vec<String> {
    let filled = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let mut notes = Vec::new();
    if let Some(key) = filled(&form.consumer_key) {
        let manual = consumers::ManualConsumer {
            key,
            public_key: filled(&form.public_key),
            shared_secret: filled(&form.shared_secret),
        };
        match consumers::configure(state, &admin.caller, link, manual).await {
            Ok(()) => notes.push("The application's incoming consumer is set.".to_owned()),
            Err(error) => notes.push(format!(
                "The incoming consumer was not set: {}. Set it from the link's settings.",
                problems(error).map_or_else(|_| "the database failed".to_owned(), |e| e.join("; "))
            )),
        }
    }
    let urls = [
        (
            "serviceProvider.requestTokenUrl",
            filled(&form.request_token_url),
        ),
        (
            "serviceProvider.accessTokenUrl",
            filled(&form.access_token_url),
        ),
        ("serviceProvider.authorizeUrl", filled(&form.authorize_url)),
        ("consumerKey.outbound", filled(&form.outbound_consumer_key)),
    ];
    if urls.iter().any(|(_, value)| value.is_some()) {
        let config = urls
            .into_iter()
            .filter_map(|(key, value)| value.map(|v| (key.to_owned(), v)))
            .collect();
        let provider = "OAuthAuthenticationProvider".to_owned();
        match providers::configure(state, &admin.caller, link, provider, config).await {
            Ok(()) => notes.push("Outgoing 3-legged OAuth is set.".to_owned()),
            Err(error) => notes.push(format!(
                "Outgoing OAuth was not set: {}.",
                problems(error).map_or_else(|_| "the database failed".to_owned(), |e| e.join("; "))
            )),
        }
    }
    notes
}

/// The link as stored now, with the incoming levels its consumer grants.
async fn levels_now(
    state: &AppState,
    link: &ApplicationLink,
) -> Result<(ApplicationLink, OAuthLevels), ApiError> {
    let link = find_link(state, link.id.as_str()).await?;
    let consumer = state.database().link_consumer(&link.id).await?;
    Ok((link, incoming_levels(consumer.as_ref())))
}

/// Where to come back to after a password confirmation: the first step, with the URL typed.
fn resume_path(url: &str) -> String {
    let url = url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>();
    format!("{CREATE_PATH}?url={url}")
}

fn url_page_again(state: &AppState, admin: &Admin, url: &str, errors: Vec<String>) -> Response {
    let page = RemoteUrlPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        csrf_token: &admin.session.csrf_token,
        url,
        errors,
    };
    render(StatusCode::BAD_REQUEST, &page)
}

/// The second step again, with `errors`: the remote is probed afresh, since it may have
/// changed since.
async fn options_again(
    state: &AppState,
    admin: &Admin,
    url: &str,
    form: &OptionsForm,
    errors: Vec<String>,
) -> Response {
    let probed = match checked_url(url) {
        Ok(url) => probe_url(state, &url).await,
        Err(error) => Err(error),
    };
    match probed {
        Ok((probe, manifest)) => {
            let mut response = options_page(state, admin, &probe, manifest.as_ref(), form, errors);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        }
        Err(error) => {
            let mut all = errors;
            match problems(error) {
                Ok(more) => all.extend(more),
                Err(response) => return *response,
            }
            url_page_again(state, admin, url, all)
        }
    }
}

fn options_page(
    state: &AppState,
    admin: &Admin,
    probe: &Probe,
    manifest: Option<&RemoteManifest>,
    form: &OptionsForm,
    errors: Vec<String>,
) -> Response {
    let types = ApplicationType::ALL
        .iter()
        .map(|known| (known.as_str(), type_name(known.as_str())))
        .collect();
    let page = LinkOptionsPage {
        app_name: &state.config().name,
        display_name: admin.display_name(),
        csrf_token: &admin.session.csrf_token,
        url: probe.url(),
        remote: manifest.map(RemoteFacts::from),
        redirect: probe.redirect(),
        warnings: probe.warnings(),
        errors,
        form,
        types,
    };
    render(StatusCode::OK, &page)
}

impl OptionsForm {
    fn share_userbase(&self) -> bool {
        ticked(self.share_userbase.as_deref())
    }

    fn two_way(&self) -> bool {
        ticked(self.two_way.as_deref())
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }

    fn remote_username(&self) -> &str {
        self.remote_username.as_deref().unwrap_or_default()
    }

    fn consumer_key(&self) -> &str {
        self.consumer_key.as_deref().unwrap_or_default()
    }

    fn public_key(&self) -> &str {
        self.public_key.as_deref().unwrap_or_default()
    }

    fn outbound_consumer_key(&self) -> &str {
        self.outbound_consumer_key.as_deref().unwrap_or_default()
    }

    fn request_token_url(&self) -> &str {
        self.request_token_url.as_deref().unwrap_or_default()
    }

    fn access_token_url(&self) -> &str {
        self.access_token_url.as_deref().unwrap_or_default()
    }

    fn authorize_url(&self) -> &str {
        self.authorize_url.as_deref().unwrap_or_default()
    }

    fn type_selected(&self, type_id: &str) -> bool {
        self.type_id.as_deref().unwrap_or("generic") == type_id
    }
}
