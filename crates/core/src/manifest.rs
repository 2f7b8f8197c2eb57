//! The manifest: how an application introduces itself to a peer.
//!
//! A peer fetches `/rest/applinks/1.0/manifest` before it links to us, and we fetch theirs. The
//! fields and their order follow the reference products, because their wizards read ours.

use std::fmt;

use serde::{Serialize, Serializer};

/// The prefix of every authentication provider's fully qualified name on the wire.
const PROVIDER_PREFIX: &str = "com.atlassian.applinks.api.auth.types.";

/// The kind of application at one end of a link, as the reference products name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationType {
    /// Jira.
    Jira,
    /// Confluence.
    Confluence,
    /// Bitbucket (formerly Stash).
    Stash,
    /// Bamboo.
    Bamboo,
    /// FishEye and Crucible.
    Fecru,
    /// Crowd.
    Crowd,
    /// The reference application used to test Application Links.
    Refapp,
    /// Any other web application.
    Generic,
}

impl ApplicationType {
    /// Every known type, in the order the admin UI lists them.
    pub const ALL: [Self; 8] = [
        Self::Jira,
        Self::Confluence,
        Self::Stash,
        Self::Bamboo,
        Self::Fecru,
        Self::Crowd,
        Self::Refapp,
        Self::Generic,
    ];

    /// The wire name (`typeId`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jira => "jira",
            Self::Confluence => "confluence",
            Self::Stash => "stash",
            Self::Bamboo => "bamboo",
            Self::Fecru => "fecru",
            Self::Crowd => "crowd",
            Self::Refapp => "refapp",
            Self::Generic => "generic",
        }
    }

    /// Parses a wire name; `None` for a type we do not know.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

impl fmt::Display for ApplicationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApplicationType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An authentication scheme an application accepts (inbound) or uses (outbound) over links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthenticationProvider {
    /// OAuth 1.0a, 3-legged: each user authorises the link once.
    OAuth,
    /// OAuth 1.0a, 2-legged: the consumer acts as a fixed user or anonymously.
    TwoLeggedOAuth,
    /// OAuth 1.0a, 2-legged with `xoauth_requestor_id`: the consumer acts as any user.
    TwoLeggedOAuthWithImpersonation,
    /// HTTP Basic with a service account (legacy).
    Basic,
    /// Atlassian Trusted Applications (deprecated; recognised, never chosen).
    TrustedApps,
}

impl AuthenticationProvider {
    /// Every known provider.
    pub const ALL: [Self; 5] = [
        Self::OAuth,
        Self::TwoLeggedOAuth,
        Self::TwoLeggedOAuthWithImpersonation,
        Self::Basic,
        Self::TrustedApps,
    ];

    /// The short class name, as the reference products' REST resources use it.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::OAuth => "OAuthAuthenticationProvider",
            Self::TwoLeggedOAuth => "TwoLeggedOAuthAuthenticationProvider",
            Self::TwoLeggedOAuthWithImpersonation => {
                "TwoLeggedOAuthWithImpersonationAuthenticationProvider"
            }
            Self::Basic => "BasicAuthenticationProvider",
            Self::TrustedApps => "TrustedAppsAuthenticationProvider",
        }
    }

    /// The fully qualified name used in manifests.
    pub fn qualified_name(self) -> String {
        format!("{PROVIDER_PREFIX}{}", self.short_name())
    }

    /// Parses a fully qualified or short name; `None` for a provider we do not know.
    pub fn parse(raw: &str) -> Option<Self> {
        let short = raw.strip_prefix(PROVIDER_PREFIX).unwrap_or(raw);
        Self::ALL.into_iter().find(|p| p.short_name() == short)
    }
}

impl Serialize for AuthenticationProvider {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.qualified_name())
    }
}

/// This application's manifest, in the field order of the reference products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The stable application id (a UUID), the same on every node of a cluster.
    pub id: String,
    /// The application's name as administrators see it.
    pub name: String,
    /// The application type.
    pub type_id: ApplicationType,
    /// The product version.
    pub version: String,
    /// The product build number.
    pub build_number: String,
    /// The version of the Application Links protocol spoken.
    pub applinks_version: String,
    /// Providers accepted on incoming requests.
    pub inbound_authentication_types: Vec<AuthenticationProvider>,
    /// Providers used on outgoing requests.
    pub outbound_authentication_types: Vec<AuthenticationProvider>,
    /// Whether anyone may sign up (impersonation is unsafe with public sign-up).
    pub public_signup: bool,
    /// The base URL.
    pub url: String,
    /// The URL of the application's icon, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
}

impl Manifest {
    /// Renders the manifest as the XML document the reference products serve.
    pub fn to_xml(&self) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<manifest>",
        );
        let mut element = |name: &str, value: &str| {
            xml.push_str(&format!("<{name}>{}</{name}>", escape_xml(value)));
        };
        element("id", &self.id);
        element("name", &self.name);
        element("typeId", self.type_id.as_str());
        element("version", &self.version);
        element("buildNumber", &self.build_number);
        element("applinksVersion", &self.applinks_version);
        for provider in &self.inbound_authentication_types {
            element("inboundAuthenticationTypes", &provider.qualified_name());
        }
        for provider in &self.outbound_authentication_types {
            element("outboundAuthenticationTypes", &provider.qualified_name());
        }
        element(
            "publicSignup",
            if self.public_signup { "true" } else { "false" },
        );
        element("url", &self.url);
        if let Some(icon) = &self.icon_url {
            element("iconUrl", icon);
        }
        xml.push_str("</manifest>");
        xml
    }
}

/// Escapes text for an XML element or attribute value.
pub fn escape_xml(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            id: "a3c8f6f4-35f6-4f0e-9c3a-3f1e0c7b2d11".into(),
            name: "R&D <tools>".into(),
            type_id: ApplicationType::Generic,
            version: "0.1.0".into(),
            build_number: "1".into(),
            applinks_version: "8.0.0".into(),
            inbound_authentication_types: vec![
                AuthenticationProvider::OAuth,
                AuthenticationProvider::Basic,
            ],
            outbound_authentication_types: vec![],
            public_signup: false,
            url: "http://127.0.0.1:8080".into(),
            icon_url: None,
        }
    }

    #[test]
    fn xml_keeps_the_reference_field_order_and_escapes_text() {
        let xml = sample().to_xml();
        let order = ["<id>", "<name>", "<typeId>", "<version>", "<buildNumber>"];
        let positions: Vec<usize> = order.iter().map(|tag| xml.find(tag).unwrap()).collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{xml}");
        assert!(xml.contains("<name>R&amp;D &lt;tools&gt;</name>"));
        assert!(xml.contains(
            "<inboundAuthenticationTypes>com.atlassian.applinks.api.auth.types.\
             OAuthAuthenticationProvider</inboundAuthenticationTypes>"
        ));
        assert!(xml.find("<publicSignup>").unwrap() < xml.find("<url>").unwrap());
    }

    #[test]
    fn json_uses_camel_case_and_qualified_provider_names() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert!(json.contains("\"typeId\":\"generic\""), "{json}");
        assert!(json.contains("\"applinksVersion\":\"8.0.0\""), "{json}");
        assert!(json.contains("BasicAuthenticationProvider\"]"), "{json}");
        assert!(!json.contains("iconUrl"), "{json}");
    }

    #[test]
    fn providers_parse_short_and_qualified_names() {
        for provider in AuthenticationProvider::ALL {
            assert_eq!(
                AuthenticationProvider::parse(&provider.qualified_name()),
                Some(provider)
            );
            assert_eq!(
                AuthenticationProvider::parse(provider.short_name()),
                Some(provider)
            );
        }
        assert_eq!(
            AuthenticationProvider::parse("placeholder.to.ensure.backwards.compatibility"),
            None
        );
    }

    #[test]
    fn application_types_round_trip() {
        for kind in ApplicationType::ALL {
            assert_eq!(ApplicationType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ApplicationType::parse("JIRA"), None);
    }
}
