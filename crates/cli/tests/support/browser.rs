//! A browser for flows across servers on loopback: one cookie jar per port, requests by
//! absolute URL, redirects followed by hand, forms posted URL-encoded.

use std::collections::HashMap;

use super::{Answer, Server, password_of, request};

/// One person's browser.
#[derive(Default)]
pub(crate) struct Browser {
    jars: HashMap<u16, HashMap<String, String>>,
}

impl Browser {
    /// One request with this browser's cookies for the port; keeps the cookies it sets.
    pub(crate) fn send(&mut self, method: &str, url: &str, body: &str) -> Answer {
        let (port, path) = split_url(url);
        let cookies = self
            .jars
            .get(&port)
            .map(|jar| {
                jar.iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let mut headers = vec![("Cookie", cookies.as_str())];
        if method == "POST" {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let answer = request(port, method, &path, &headers, body)
            .unwrap_or_else(|| panic!("{method} {url}: no answer"));
        for (name, value) in &answer.headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    let jar = self.jars.entry(port).or_default();
                    jar.insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        answer
    }

    /// Requests `url` and follows redirects; returns the last answer and the URL it came from.
    pub(crate) fn follow(&mut self, method: &str, url: &str, body: &str) -> (Answer, String) {
        let mut answer = self.send(method, url, body);
        let mut here = url.to_owned();
        for _ in 0..10 {
            if !(300..400).contains(&answer.status) {
                return (answer, here);
            }
            here = resolve(&here, answer.header("location"));
            answer = self.send("GET", &here, "");
        }
        panic!("too many redirects, last at {here}");
    }

    /// Signs in to `server` as `username`, with the password the tests give that user.
    pub(crate) fn sign_in(&mut self, server: &Server, username: &str) {
        let body = format!(
            "username={username}&password={}&next=%2F",
            form(&password_of(username))
        );
        let answer = self.send("POST", &format!("{}/login", server.base_url()), &body);
        assert_eq!(answer.status, 303, "signing in on {}", server.base_url());
    }

    /// `GET …/myself` of the application linked as `app_id`, through `via`'s proxy.
    pub(crate) fn myself_through(&mut self, via: &Server, app_id: &str) -> Answer {
        let url = format!(
            "{}/plugins/servlet/applinks/proxy?appId={app_id}&path=%2Frest%2Fapi%2F1.0%2Fmyself",
            via.base_url()
        );
        self.send("GET", &url, "")
    }

    /// Follows an authorisation URI to an applinks server's approval page and answers it with
    /// `decision` (`allow` or `deny`); returns where the browser ends up.
    pub(crate) fn authorise(
        &mut self,
        authorisation_uri: &str,
        decision: &str,
    ) -> (Answer, String) {
        let (approval, at) = self.follow("GET", authorisation_uri, "");
        assert_eq!(approval.status, 200, "the approval page: {}", approval.body);
        assert!(
            at.contains("/plugins/servlet/oauth/authorize?oauth_token="),
            "{at}"
        );
        let body = format!(
            "oauth_token={}&csrf_token={}&decision={decision}",
            form(&hidden(&approval.body, "oauth_token")),
            form(&hidden(&approval.body, "csrf_token")),
        );
        let (port, _) = split_url(&at);
        let action = format!("http://127.0.0.1:{port}/plugins/servlet/oauth/authorize");
        self.follow("POST", &action, &body)
    }
}

/// The port and path-and-query of a loopback URL.
pub(crate) fn split_url(url: &str) -> (u16, String) {
    let rest = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("not a loopback URL: {url}"));
    let (port, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    (port.parse().unwrap(), path.to_owned())
}

/// A redirect's `Location`, absolute or relative to `from`.
pub(crate) fn resolve(from: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_owned()
    } else {
        let (port, _) = split_url(from);
        format!("http://127.0.0.1:{port}{location}")
    }
}

/// `value` encoded for a form body or a query.
pub(crate) fn form(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The value of the hidden input `name` of a page (values are HTML-escaped; the tests' values
/// are URL-safe and need no unescaping).
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}
