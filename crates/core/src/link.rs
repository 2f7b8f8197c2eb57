//! Application links: the remote application as this one knows it.
//!
//! A link's id is the remote application's id (its manifest `id`), so both ends of a 2-way
//! link name it the same way. This module holds what a link is and how its fields are checked;
//! how links are created, discovered and repaired builds on it.

use std::fmt;

use serde::Serialize;

use crate::manifest::AuthenticationProvider;

/// The longest link name accepted, in characters.
pub const MAX_LINK_NAME_LEN: usize = 255;
/// The longest URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// The id of a linked application: the remote manifest's `id`, a UUID in practice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ApplicationId(String);

impl ApplicationId {
    /// Validates an application id: 1 to 64 letters, digits and hyphens. The reference products
    /// use UUIDs; the wider rule keeps older ids working while staying safe in paths and SQL.
    pub fn parse(raw: &str) -> Result<Self, LinkError> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(LinkError::InvalidId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A link to a remote application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationLink {
    /// The remote application's id.
    pub id: ApplicationId,
    /// The name administrators and users see.
    pub name: String,
    /// The remote application's type (`jira`, `confluence`, `generic`, or a type we do not
    /// know, kept as the remote announced it).
    pub type_id: String,
    /// The URL people use to reach the remote application.
    pub display_url: String,
    /// The URL this server uses to call the remote application (often the same).
    pub rpc_url: String,
    /// Whether this is the primary link for its application type.
    pub is_primary: bool,
    /// Whether the link is managed by the system rather than an administrator.
    pub is_system: bool,
    /// The OAuth levels this application uses when it calls the remote one.
    pub outgoing: OAuthLevels,
    /// What is missing when the link's creation stopped half-way; `None` for a whole link.
    pub pending: Option<String>,
}

/// The OAuth levels enabled in one direction of a link, as the reference products' status API
/// names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthLevels {
    /// 3-legged OAuth.
    pub enabled: bool,
    /// 2-legged OAuth.
    pub two_lo_enabled: bool,
    /// 2-legged OAuth with impersonation.
    pub two_lo_impersonation_enabled: bool,
}

impl OAuthLevels {
    /// Nothing enabled.
    pub const DISABLED: Self = Self {
        enabled: false,
        two_lo_enabled: false,
        two_lo_impersonation_enabled: false,
    };
    /// "OAuth": 3-legged and 2-legged, as the reference products configure it.
    pub const OAUTH: Self = Self {
        enabled: true,
        two_lo_enabled: true,
        two_lo_impersonation_enabled: false,
    };
    /// "OAuth (impersonation)": everything, for applications that share their users.
    pub const IMPERSONATION: Self = Self {
        enabled: true,
        two_lo_enabled: true,
        two_lo_impersonation_enabled: true,
    };

    /// A name for people: Disabled, OAuth, or OAuth (impersonation).
    pub fn label(self) -> &'static str {
        if self.two_lo_impersonation_enabled {
            "OAuth (impersonation)"
        } else if self.enabled || self.two_lo_enabled {
            "OAuth"
        } else {
            "Disabled"
        }
    }
}

/// The authentication a new link gets, and what the administrator should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The OAuth levels for both directions.
    pub levels: OAuthLevels,
    /// Notes for the administrator (a weaker choice than asked for, deprecated schemes seen).
    pub notes: Vec<String>,
}

/// Chooses the most secure authentication both sides support (SPEC §5.2 step 6): OAuth with
/// impersonation when the userbase is shared and the remote accepts it, then OAuth, then
/// nothing automatic. Basic is legacy and needs a service account the administrator supplies;
/// Trusted Applications is recognised and never chosen.
pub fn negotiate(remote_inbound: &[AuthenticationProvider], share_userbase: bool) -> Negotiated {
    use AuthenticationProvider as Provider;
    let offers = |provider| remote_inbound.contains(&provider);
    let mut notes = Vec::new();
    if offers(Provider::TrustedApps) {
        notes.push(
            "The remote application offers Trusted Applications, which is deprecated; OAuth is \
                 used instead."
                .to_owned(),
        );
    }
    let levels = if share_userbase && offers(Provider::TwoLeggedOAuthWithImpersonation) {
        OAuthLevels::IMPERSONATION
    } else if offers(Provider::OAuth) {
        if share_userbase {
            notes.push(
                "The remote application does not accept OAuth with impersonation; the link uses \
                 OAuth, so each user authorises it once."
                    .to_owned(),
            );
        }
        OAuthLevels {
            two_lo_enabled: offers(Provider::TwoLeggedOAuth),
            ..OAuthLevels::OAUTH
        }
    } else {
        if offers(Provider::Basic) {
            notes.push(
                "The remote application only accepts Basic authentication (legacy): configure a \
                 service account for the outgoing direction."
                    .to_owned(),
            );
        } else {
            notes.push("The remote application announces no authentication we can use.".to_owned());
        }
        OAuthLevels::DISABLED
    };
    Negotiated { levels, notes }
}

/// The outcome of the last check of a link, with the reference products' error categories
/// (`NETWORK`, `CONFIGURATION`, …) and types (`CONNECTION_REFUSED`, `UNKNOWN_HOST`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    /// When the check ran.
    pub checked_at: crate::clock::UnixTime,
    /// Whether the link works.
    pub working: bool,
    /// The error's category, when it does not.
    pub error_category: Option<String>,
    /// The error's type, when it does not.
    pub error_type: Option<String>,
    /// What the check saw, for the administrator.
    pub details: Option<String>,
}

/// The fields an administrator or a peer supplies for a link, before checks.
#[derive(Debug, Clone, Default)]
pub struct LinkDraft {
    /// The name.
    pub name: String,
    /// The application type.
    pub type_id: String,
    /// The display URL.
    pub display_url: String,
    /// The rpc URL; the display URL when absent.
    pub rpc_url: Option<String>,
    /// Whether the link is managed by the system.
    pub is_system: bool,
}

impl LinkDraft {
    /// Checks the draft and makes it a link with `id`; primary status is decided by the store's
    /// rules when it is saved.
    pub fn into_link(self, id: ApplicationId) -> Result<ApplicationLink, LinkError> {
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_LINK_NAME_LEN
            || name.chars().any(char::is_control)
        {
            return Err(LinkError::InvalidName);
        }
        let type_id = self.type_id.trim();
        let type_ok = !type_id.is_empty()
            && type_id.len() <= 64
            && type_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !type_ok {
            return Err(LinkError::InvalidType);
        }
        let display_url = normalise_url(&self.display_url)?;
        let rpc_url = match self.rpc_url.as_deref().filter(|url| !url.trim().is_empty()) {
            Some(url) => normalise_url(url)?,
            None => display_url.clone(),
        };
        Ok(ApplicationLink {
            id,
            name: name.to_owned(),
            type_id: type_id.to_owned(),
            display_url,
            rpc_url,
            is_primary: false,
            is_system: self.is_system,
            outgoing: OAuthLevels::default(),
            pending: None,
        })
    }
}

/// Checks that `raw` is an absolute http(s) URL with a host and drops trailing slashes.
///
/// The scheme is required: a URL without one is refused with a message that says so, as the
/// reference wizard does. Parsing beyond this shape is the HTTP layer's.
pub fn normalise_url(raw: &str) -> Result<String, LinkError> {
    let trimmed = raw.trim();
    let lower = trimmed.to_ascii_lowercase();
    let rest = if let Some(rest) = lower.strip_prefix("https://") {
        rest
    } else if let Some(rest) = lower.strip_prefix("http://") {
        rest
    } else {
        return Err(LinkError::UrlWithoutScheme);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err(LinkError::InvalidUrl);
    }
    if trimmed.len() > MAX_URL_LEN || trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(LinkError::InvalidUrl);
    }
    Ok(trimmed.trim_end_matches('/').to_owned())
}

/// Why a link could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The id is not an application id.
    #[error("an application id is 1 to 64 letters, digits and hyphens")]
    InvalidId,
    /// The name is empty, too long or has control characters.
    #[error("a link name is 1 to 255 characters without control characters")]
    InvalidName,
    /// The type is empty or has characters outside letters, digits and `-._`.
    #[error("an application type is 1 to 64 letters, digits, '-', '.' or '_'")]
    InvalidType,
    /// The URL has no scheme.
    #[error("the URL must start with https:// or http://")]
    UrlWithoutScheme,
    /// The URL is malformed, too long, or carries credentials.
    #[error(
        "the URL must name a host, without credentials, spaces or control characters, in at \
         most 2048 characters"
    )]
    InvalidUrl,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(url: &str) -> LinkDraft {
        LinkDraft {
            name: "Jira".into(),
            type_id: "jira".into(),
            display_url: url.into(),
            ..LinkDraft::default()
        }
    }

    #[test]
    fn a_draft_becomes_a_link_with_normalised_urls() {
        let id = ApplicationId::parse("144880e9-a353-312f-9412-ed028e8166fa").unwrap();
        let link = draft("https://jira.example.com/").into_link(id).unwrap();
        assert_eq!(link.display_url, "https://jira.example.com");
        assert_eq!(link.rpc_url, "https://jira.example.com");
        assert!(!link.is_primary);
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert_eq!(
            normalise_url("jira.example.com"),
            Err(LinkError::UrlWithoutScheme)
        );
        assert_eq!(normalise_url("ftp://x"), Err(LinkError::UrlWithoutScheme));
        for bad in [
            "https://",
            "https://u:p@host",
            "http://a b",
            "https://x/\u{7}y",
        ] {
            assert_eq!(normalise_url(bad), Err(LinkError::InvalidUrl), "{bad:?}");
        }
        assert_eq!(
            normalise_url("HTTP://Host:8080/jira//").unwrap(),
            "HTTP://Host:8080/jira"
        );
    }

    #[test]
    fn negotiation_prefers_impersonation_then_oauth_and_never_trusted_apps() {
        use AuthenticationProvider as P;
        let everything = [
            P::OAuth,
            P::TwoLeggedOAuth,
            P::TwoLeggedOAuthWithImpersonation,
            P::Basic,
        ];
        assert_eq!(
            negotiate(&everything, true).levels,
            OAuthLevels::IMPERSONATION
        );
        assert_eq!(negotiate(&everything, false).levels, OAuthLevels::OAUTH);
        let three_legged_only = negotiate(&[P::OAuth], true);
        assert_eq!(three_legged_only.levels.label(), "OAuth");
        assert!(!three_legged_only.levels.two_lo_enabled);
        assert_eq!(
            three_legged_only.notes.len(),
            1,
            "the weaker choice is explained"
        );
        let legacy = negotiate(&[P::TrustedApps, P::Basic], true);
        assert_eq!(legacy.levels, OAuthLevels::DISABLED);
        assert_eq!(legacy.notes.len(), 2);
    }

    #[test]
    fn ids_names_and_types_are_checked() {
        assert!(ApplicationId::parse("../etc").is_err());
        assert!(ApplicationId::parse("").is_err());
        let bad_name = LinkDraft {
            name: " ".into(),
            ..draft("https://x")
        };
        assert_eq!(
            bad_name.into_link(ApplicationId::parse("a").unwrap()),
            Err(LinkError::InvalidName)
        );
        let bad_type = LinkDraft {
            type_id: "<b>".into(),
            ..draft("https://x")
        };
        assert_eq!(
            bad_type.into_link(ApplicationId::parse("a").unwrap()),
            Err(LinkError::InvalidType)
        );
    }
}
