//! The anonymous discovery endpoints a peer calls before and while linking: the manifest, our
//! consumer information, and the capabilities list.

use applinks_core::manifest::{AuthenticationProvider, Manifest, escape_xml};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::state::AppState;

/// The Application Links protocol version we announce. Peers of this generation expect the
/// 3.0 REST resources (status, capabilities) from applinks 5 onward.
pub(crate) const APPLINKS_VERSION: &str = "8.0.0";

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/rest/applinks/1.0/manifest", get(manifest))
        .route("/plugins/servlet/oauth/consumer-info", get(consumer_info))
        .route("/rest/applinks/3.0/capabilities", get(capabilities))
}

/// This application's manifest as the domain describes it.
pub(crate) fn own_manifest(state: &AppState) -> Manifest {
    let config = state.config();
    Manifest {
        id: state.identity().server_id().to_string(),
        name: config.name.clone(),
        type_id: config.type_id,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        build_number: build_number(),
        applinks_version: APPLINKS_VERSION.to_owned(),
        // Only what this build really accepts and sends: peers choose authentication from it.
        inbound_authentication_types: vec![
            AuthenticationProvider::OAuth,
            AuthenticationProvider::TwoLeggedOAuth,
            AuthenticationProvider::TwoLeggedOAuthWithImpersonation,
            AuthenticationProvider::Basic,
        ],
        outbound_authentication_types: vec![
            AuthenticationProvider::OAuth,
            AuthenticationProvider::TwoLeggedOAuth,
            AuthenticationProvider::TwoLeggedOAuthWithImpersonation,
        ],
        public_signup: false,
        url: config.base_url_str().to_owned(),
        icon_url: None,
    }
}

async fn manifest(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let manifest = own_manifest(&state);
    if wants_json(&headers) {
        Json(manifest).into_response()
    } else {
        xml(manifest.to_xml())
    }
}

/// Our consumer description, in the reference products' format: the public key is base64 DER
/// SubjectPublicKeyInfo without PEM armour.
async fn consumer_info(State(state): State<AppState>) -> Response {
    let identity = state.identity();
    let config = state.config();
    let description = format!("{} at {}", config.name, config.base_url_str());
    xml(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <consumer><key>{}</key><name>{}</name><publicKey>{}</publicKey>\
         <description>{}</description></consumer>",
        escape_xml(identity.consumer_key()),
        escape_xml(&config.name),
        identity.public_key_base64(),
        escape_xml(&description),
    ))
}

/// The optional protocol features this server offers. None of the reference products'
/// capabilities (such as `STATUS_API`) is implemented yet, and a peer must not be told so.
async fn capabilities() -> Json<Vec<&'static str>> {
    Json(Vec::new())
}

/// Whether the client prefers JSON: `Accept` names `application/json` and does not name an
/// XML type before it.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    match (accept.find("application/json"), accept.find("xml")) {
        (Some(json), Some(xml)) => json < xml,
        (Some(_), None) => true,
        _ => false,
    }
}

fn xml(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml;charset=UTF-8")],
        body,
    )
        .into_response()
}

/// A build number derived from the version (major × 10000 + minor × 100 + patch), which the
/// reference products compare numerically.
fn build_number() -> String {
    let part = |text: &str| text.parse::<u32>().unwrap_or(0);
    let major = part(env!("CARGO_PKG_VERSION_MAJOR"));
    let minor = part(env!("CARGO_PKG_VERSION_MINOR"));
    let patch = part(env!("CARGO_PKG_VERSION_PATCH"));
    (major * 10_000 + minor * 100 + patch).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_is_chosen_only_when_preferred() {
        let mut headers = HeaderMap::new();
        assert!(!wants_json(&headers));
        for (accept, json) in [
            ("application/json", true),
            ("application/json, application/xml", true),
            ("application/xml, application/json", false),
            ("text/html", false),
            ("*/*", false),
        ] {
            headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
            assert_eq!(wants_json(&headers), json, "{accept}");
        }
    }
}
