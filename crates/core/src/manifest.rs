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

/// The largest manifest document, XML or JSON, that [`RemoteManifest`] parses. The reference
/// products' manifests are under 2 KiB; the cap keeps a hostile peer from spending our memory.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

/// The most XML nodes a manifest may hold: a real one has about thirty.
const MAX_MANIFEST_NODES: u32 = 2_000;

/// The value the reference products put in an otherwise empty provider list, so that old JAXB
/// versions still emit the element. It names no provider and is skipped.
const PROVIDER_PLACEHOLDER: &str = "placeholder.to.ensure.backwards.compatibility";

/// A manifest fetched from a peer, read leniently.
///
/// Unlike [`Manifest`], which describes this application, a remote manifest keeps the peer's
/// `typeId` as the peer spelt it: Jenkins announces `jenkins`, and a link to it must still be
/// possible (as a generic application). Unknown elements and unknown provider names are ignored
/// so that newer peers stay linkable. `id`, `name` and `url` are required; every other field has
/// the default named on it. Text is kept verbatim, markup included: escaping it is the job of
/// whoever renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteManifest {
    /// The peer's application id (a UUID for the reference products, free text for others).
    pub id: String,
    /// The peer's name as its administrators chose it.
    pub name: String,
    /// The `typeId` as sent; `generic` when absent. See [`RemoteManifest::application_type`].
    pub type_id: String,
    /// The product version; empty when absent.
    pub version: String,
    /// The product build number; empty when absent.
    pub build_number: String,
    /// The Application Links protocol version; empty when absent (a peer that is not an
    /// Atlassian product, or one older than the field).
    pub applinks_version: String,
    /// Known providers accepted on incoming requests, in the peer's order, without repeats;
    /// empty when absent.
    pub inbound_authentication_types: Vec<AuthenticationProvider>,
    /// Known providers used on outgoing requests, in the peer's order, without repeats; empty
    /// when absent.
    pub outbound_authentication_types: Vec<AuthenticationProvider>,
    /// Whether anyone may sign up on the peer; `false` when absent.
    pub public_signup: bool,
    /// The peer's base URL as it announces it (not checked to be a URL here).
    pub url: String,
    /// The peer's icon: `iconUrl`, or `iconUri` when only that is present.
    pub icon_url: Option<String>,
}

/// Why a document is not a manifest we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestParseError {
    /// The document is larger than [`MAX_MANIFEST_BYTES`].
    #[error("the manifest is {len} bytes long; at most {limit} are accepted")]
    TooLarge {
        /// The document's length in bytes.
        len: usize,
        /// The largest length accepted.
        limit: usize,
    },
    /// The XML declares a document type. DTDs can define entities that read local files (XXE)
    /// or expand exponentially ("billion laughs"); no manifest needs one, so none is read.
    #[error("the manifest declares a DTD, which is refused")]
    DtdRefused,
    /// The document is not well-formed XML or JSON.
    #[error("the manifest is not well-formed: {0}")]
    Malformed(String),
    /// The document is well-formed but its root is not a manifest.
    #[error("the document is not a manifest (its root is `{0}`)")]
    NotAManifest(String),
    /// A required field is absent or empty.
    #[error("the manifest has no `{0}`")]
    Missing(&'static str),
    /// A field that holds one value appears more than once; which one is meant is ambiguous.
    #[error("the manifest has more than one `{0}`")]
    Duplicate(&'static str),
    /// A field holds a value of the wrong kind.
    #[error("the manifest's `{field}` is not valid: {value:?}")]
    Invalid {
        /// The field's wire name.
        field: &'static str,
        /// The value found (truncated for long values).
        value: String,
    },
}

impl RemoteManifest {
    /// Parses a manifest that may be XML or JSON, telling them apart by the first character.
    ///
    /// Peers answer XML by default but some answer JSON whatever was asked for.
    pub fn parse(document: &str) -> Result<Self, ManifestParseError> {
        if document.trim_start().starts_with(['{', '[']) {
            Self::parse_json(document)
        } else {
            Self::parse_xml(document)
        }
    }

    /// Parses the XML manifest of the reference products (`<manifest>` with one element per
    /// field), refusing any DTD so that no entity is ever resolved or expanded.
    pub fn parse_xml(document: &str) -> Result<Self, ManifestParseError> {
        check_size(document)?;
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_MANIFEST_NODES,
            ..roxmltree::ParsingOptions::default()
        };
        let tree =
            roxmltree::Document::parse_with_options(document, options).map_err(
                |error| match error {
                    roxmltree::Error::DtdDetected => ManifestParseError::DtdRefused,
                    other => ManifestParseError::Malformed(other.to_string()),
                },
            )?;
        let root = tree.root_element();
        if root.tag_name().name() != "manifest" {
            return Err(ManifestParseError::NotAManifest(
                root.tag_name().name().to_owned(),
            ));
        }

        let mut fields = Fields::default();
        for element in root.children().filter(roxmltree::Node::is_element) {
            let text: String = element
                .descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|node| node.text())
                .collect();
            fields.add(element.tag_name().name(), text.trim())?;
        }
        fields.finish()
    }

    /// Parses the JSON form of a manifest (what the reference products answer to `Accept:
    /// application/json`).
    ///
    /// Scalars may be strings, numbers or booleans (Jira sends `buildNumber` as a number), and a
    /// provider list may be a single string, as some JSON mappings write one-element lists.
    pub fn parse_json(document: &str) -> Result<Self, ManifestParseError> {
        check_size(document)?;
        let value: serde_json::Value = serde_json::from_str(document)
            .map_err(|error| ManifestParseError::Malformed(error.to_string()))?;
        let serde_json::Value::Object(object) = value else {
            return Err(ManifestParseError::NotAManifest(
                "a JSON non-object".to_owned(),
            ));
        };

        let mut fields = Fields::default();
        for (key, value) in &object {
            match value {
                serde_json::Value::Array(items) => {
                    for item in items {
                        fields.add(key, json_scalar(key, item)?.trim())?;
                    }
                }
                serde_json::Value::Null => {}
                scalar => fields.add(key, json_scalar(key, scalar)?.trim())?,
            }
        }
        fields.finish()
    }

    /// The application type, when the peer's `typeId` is one we know.
    pub fn application_type(&self) -> Option<ApplicationType> {
        ApplicationType::parse(&self.type_id)
    }
}

fn check_size(document: &str) -> Result<(), ManifestParseError> {
    if document.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestParseError::TooLarge {
            len: document.len(),
            limit: MAX_MANIFEST_BYTES,
        });
    }
    Ok(())
}

/// The text of a JSON scalar; objects are not scalars of any manifest field.
fn json_scalar(key: &str, value: &serde_json::Value) -> Result<String, ManifestParseError> {
    match value {
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Number(number) => Ok(number.to_string()),
        serde_json::Value::Bool(flag) => Ok(flag.to_string()),
        serde_json::Value::Null => Ok(String::new()),
        _ => match known_field(key) {
            Some(field) => Err(ManifestParseError::Invalid {
                field,
                value: truncated(&value.to_string()),
            }),
            // An unknown field may hold anything.
            None => Ok(String::new()),
        },
    }
}

/// The wire name of a field we read, as a `'static` name for error messages.
fn known_field(name: &str) -> Option<&'static str> {
    const KNOWN: [&str; 14] = [
        "id",
        "name",
        "typeId",
        "version",
        "buildNumber",
        "applinksVersion",
        "inboundAuthenticationTypes",
        "outboundAuthenticationTypes",
        "incomingAuthenticationType",
        "outgoingAuthenticationType",
        "publicSignup",
        "url",
        "iconUrl",
        "iconUri",
    ];
    KNOWN.into_iter().find(|known| *known == name)
}

fn truncated(value: &str) -> String {
    const SHOWN: usize = 64;
    match value.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// The fields of a manifest as they are read, one element or JSON value at a time.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    name: Option<String>,
    type_id: Option<String>,
    version: Option<String>,
    build_number: Option<String>,
    applinks_version: Option<String>,
    inbound: Vec<AuthenticationProvider>,
    outbound: Vec<AuthenticationProvider>,
    public_signup: Option<bool>,
    url: Option<String>,
    icon_url: Option<String>,
    icon_uri: Option<String>,
}

impl Fields {
    fn add(&mut self, name: &str, text: &str) -> Result<(), ManifestParseError> {
        let Some(field) = known_field(name) else {
            return Ok(());
        };
        let slot = match field {
            "id" => &mut self.id,
            "name" => &mut self.name,
            "typeId" => &mut self.type_id,
            "version" => &mut self.version,
            "buildNumber" => &mut self.build_number,
            "applinksVersion" => &mut self.applinks_version,
            "url" => &mut self.url,
            "iconUrl" => &mut self.icon_url,
            "iconUri" => &mut self.icon_uri,
            // The Jenkins Bitbucket plugin writes the provider lists under singular names.
            "inboundAuthenticationTypes" | "incomingAuthenticationType" => {
                add_provider(&mut self.inbound, text);
                return Ok(());
            }
            "outboundAuthenticationTypes" | "outgoingAuthenticationType" => {
                add_provider(&mut self.outbound, text);
                return Ok(());
            }
            "publicSignup" => {
                if self.public_signup.is_some() {
                    return Err(ManifestParseError::Duplicate(field));
                }
                self.public_signup = Some(parse_flag(field, text)?);
                return Ok(());
            }
            _ => return Ok(()),
        };
        if slot.is_some() {
            return Err(ManifestParseError::Duplicate(field));
        }
        *slot = Some(text.to_owned());
        Ok(())
    }

    fn finish(self) -> Result<RemoteManifest, ManifestParseError> {
        let required = |value: Option<String>, field| {
            value
                .filter(|text| !text.is_empty())
                .ok_or(ManifestParseError::Missing(field))
        };
        Ok(RemoteManifest {
            id: required(self.id, "id")?,
            name: required(self.name, "name")?,
            type_id: self
                .type_id
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| ApplicationType::Generic.as_str().to_owned()),
            version: self.version.unwrap_or_default(),
            build_number: self.build_number.unwrap_or_default(),
            applinks_version: self.applinks_version.unwrap_or_default(),
            inbound_authentication_types: self.inbound,
            outbound_authentication_types: self.outbound,
            public_signup: self.public_signup.unwrap_or(false),
            url: required(self.url, "url")?,
            icon_url: self
                .icon_url
                .filter(|text| !text.is_empty())
                .or(self.icon_uri.filter(|text| !text.is_empty())),
        })
    }
}

/// Adds a provider by its wire name; the placeholder, unknown names and repeats are skipped.
fn add_provider(list: &mut Vec<AuthenticationProvider>, name: &str) {
    if name == PROVIDER_PLACEHOLDER {
        return;
    }
    if let Some(provider) = AuthenticationProvider::parse(name)
        && !list.contains(&provider)
    {
        list.push(provider);
    }
}

/// Reads `publicSignup`. A value that is neither true nor false is refused rather than taken as
/// false, because a peer with public sign-up must never be trusted with impersonation.
fn parse_flag(field: &'static str, text: &str) -> Result<bool, ManifestParseError> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(ManifestParseError::Invalid {
            field,
            value: truncated(text),
        })
    }
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

#[cfg(test)]
mod remote_tests {
    use super::*;

    const JIRA_XML: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<manifest>
  <id>144880e9-a353-312f-9412-ed028e8166fa</id>
  <name>Jira &amp; friends</name>
  <typeId>jira</typeId>
  <version>9.12.2</version>
  <buildNumber>9120002</buildNumber>
  <applinksVersion>9.1.4</applinksVersion>
  <inboundAuthenticationTypes>
    com.atlassian.applinks.api.auth.types.BasicAuthenticationProvider
  </inboundAuthenticationTypes>
  <inboundAuthenticationTypes>
    com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider
  </inboundAuthenticationTypes>
  <inboundAuthenticationTypes>
    com.atlassian.applinks.api.auth.types.TwoLeggedOAuthWithImpersonationAuthenticationProvider
  </inboundAuthenticationTypes>
  <inboundAuthenticationTypes>
    com.atlassian.applinks.api.auth.types.CorsAuthenticationProvider
  </inboundAuthenticationTypes>
  <outboundAuthenticationTypes>
    placeholder.to.ensure.backwards.compatibility
  </outboundAuthenticationTypes>
  <publicSignup>false</publicSignup>
  <url>https://jira.example.com</url>
  <iconUrl>https://jira.example.com/favicon.ico</iconUrl>
  <somethingNew><nested>ignored</nested></somethingNew>
</manifest>"#;

    #[test]
    fn reads_a_reference_product_manifest() {
        let manifest = RemoteManifest::parse_xml(JIRA_XML).unwrap();
        assert_eq!(manifest.id, "144880e9-a353-312f-9412-ed028e8166fa");
        assert_eq!(manifest.name, "Jira & friends");
        assert_eq!(manifest.application_type(), Some(ApplicationType::Jira));
        assert_eq!(manifest.build_number, "9120002");
        assert_eq!(
            manifest.inbound_authentication_types,
            [
                AuthenticationProvider::Basic,
                AuthenticationProvider::OAuth,
                AuthenticationProvider::TwoLeggedOAuthWithImpersonation,
            ]
        );
        assert!(manifest.outbound_authentication_types.is_empty());
        assert!(!manifest.public_signup);
        assert_eq!(manifest.url, "https://jira.example.com");
        assert_eq!(
            manifest.icon_url.as_deref(),
            Some("https://jira.example.com/favicon.ico")
        );
    }

    #[test]
    fn reads_the_jenkins_plugin_shape_and_keeps_an_unknown_type() {
        let xml = "<manifest><applinksVersion>7.2.0</applinksVersion>\
            <buildNumber>201001</buildNumber>\
            <iconUri>https://ci.example.com/logo.svg</iconUri>\
            <id>jenkins-1</id>\
            <incomingAuthenticationType>\
            com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider\
            </incomingAuthenticationType>\
            <name>Jenkins</name><publicSignup>false</publicSignup><typeId>jenkins</typeId>\
            <url>https://ci.example.com</url><version>2.1.1</version></manifest>";
        let manifest = RemoteManifest::parse_xml(xml).unwrap();
        assert_eq!(manifest.type_id, "jenkins");
        assert_eq!(manifest.application_type(), None);
        assert_eq!(
            manifest.inbound_authentication_types,
            [AuthenticationProvider::OAuth]
        );
        assert_eq!(
            manifest.icon_url.as_deref(),
            Some("https://ci.example.com/logo.svg")
        );
    }

    #[test]
    fn missing_optional_fields_take_their_defaults() {
        let xml = "<manifest><id>x</id><name>n</name><url>http://h</url></manifest>";
        let manifest = RemoteManifest::parse_xml(xml).unwrap();
        assert_eq!(manifest.type_id, "generic");
        assert_eq!(manifest.version, "");
        assert_eq!(manifest.applinks_version, "");
        assert!(manifest.inbound_authentication_types.is_empty());
        assert!(manifest.outbound_authentication_types.is_empty());
        assert!(!manifest.public_signup);
        assert_eq!(manifest.icon_url, None);
    }

    #[test]
    fn id_name_and_url_are_required() {
        for (xml, field) in [
            ("<manifest><name>n</name><url>u</url></manifest>", "id"),
            (
                "<manifest><id>i</id><name> </name><url>u</url></manifest>",
                "name",
            ),
            ("<manifest><id>i</id><name>n</name></manifest>", "url"),
        ] {
            assert_eq!(
                RemoteManifest::parse_xml(xml),
                Err(ManifestParseError::Missing(field))
            );
        }
    }

    #[test]
    fn markup_in_text_is_kept_verbatim_as_data() {
        let xml = "<manifest><id>i</id><name>&lt;script&gt;alert(1)&lt;/script&gt;</name>\
            <url>u</url></manifest>";
        let manifest = RemoteManifest::parse_xml(xml).unwrap();
        assert_eq!(manifest.name, "<script>alert(1)</script>");

        let cdata = "<manifest><id>i</id><name><![CDATA[<script>x</script>]]></name>\
            <url>u</url></manifest>";
        assert_eq!(
            RemoteManifest::parse_xml(cdata).unwrap().name,
            "<script>x</script>"
        );
    }

    #[test]
    fn external_entities_are_refused_not_resolved() {
        let xxe = r#"<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<manifest><id>i</id><name>&e;</name><url>u</url></manifest>"#;
        assert_eq!(
            RemoteManifest::parse_xml(xxe),
            Err(ManifestParseError::DtdRefused)
        );
    }

    #[test]
    fn entity_expansion_bombs_are_refused() {
        let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<manifest><id>i</id><name>&lol4;</name><url>u</url></manifest>"#;
        assert_eq!(
            RemoteManifest::parse_xml(laughs),
            Err(ManifestParseError::DtdRefused)
        );
        // Without a DTD an entity has no definition, so it is an error, never an expansion.
        let undefined = "<manifest><id>i</id><name>&e;</name><url>u</url></manifest>";
        assert!(matches!(
            RemoteManifest::parse_xml(undefined),
            Err(ManifestParseError::Malformed(_))
        ));
    }

    #[test]
    fn oversized_documents_are_refused_before_parsing() {
        let padding = " ".repeat(MAX_MANIFEST_BYTES);
        let xml = format!("<manifest><id>i</id><name>n</name><url>u</url></manifest>{padding}");
        assert!(matches!(
            RemoteManifest::parse_xml(&xml),
            Err(ManifestParseError::TooLarge { .. })
        ));
        let json = format!(r#"{{"id":"i","name":"n","url":"u"}}{padding}"#);
        assert!(matches!(
            RemoteManifest::parse_json(&json),
            Err(ManifestParseError::TooLarge { .. })
        ));
    }

    #[test]
    fn other_documents_are_not_manifests() {
        assert_eq!(
            RemoteManifest::parse("<html><body>Not found</body></html>"),
            Err(ManifestParseError::NotAManifest("html".into()))
        );
        assert!(matches!(
            RemoteManifest::parse("Not found"),
            Err(ManifestParseError::Malformed(_))
        ));
        assert!(matches!(
            RemoteManifest::parse("[1, 2]"),
            Err(ManifestParseError::NotAManifest(_))
        ));
    }

    #[test]
    fn repeated_single_fields_are_ambiguous() {
        let xml = "<manifest><id>i</id><name>a</name><name>b</name><url>u</url></manifest>";
        assert_eq!(
            RemoteManifest::parse_xml(xml),
            Err(ManifestParseError::Duplicate("name"))
        );
    }

    #[test]
    fn public_signup_must_be_a_boolean() {
        let xml = "<manifest><id>i</id><name>n</name><url>u</url>\
            <publicSignup>maybe</publicSignup></manifest>";
        assert!(matches!(
            RemoteManifest::parse_xml(xml),
            Err(ManifestParseError::Invalid {
                field: "publicSignup",
                ..
            })
        ));
        let xml = "<manifest><id>i</id><name>n</name><url>u</url>\
            <publicSignup> TRUE </publicSignup></manifest>";
        assert!(RemoteManifest::parse_xml(xml).unwrap().public_signup);
    }

    #[test]
    fn reads_the_json_form_with_lenient_scalars() {
        let json = r#"{"id":"i","name":"J","typeId":"confluence","buildNumber":8703,
            "inboundAuthenticationTypes":
                "com.atlassian.applinks.api.auth.types.OAuthAuthenticationProvider",
            "outboundAuthenticationTypes":["placeholder.to.ensure.backwards.compatibility","Nope"],
            "publicSignup":true,"url":"https://c.example.com","iconUrl":null,"extra":{"a":1}}"#;
        let manifest = RemoteManifest::parse(json).unwrap();
        assert_eq!(
            manifest.application_type(),
            Some(ApplicationType::Confluence)
        );
        assert_eq!(manifest.build_number, "8703");
        assert_eq!(
            manifest.inbound_authentication_types,
            [AuthenticationProvider::OAuth]
        );
        assert!(manifest.outbound_authentication_types.is_empty());
        assert!(manifest.public_signup);
        assert_eq!(manifest.icon_url, None);

        assert!(matches!(
            RemoteManifest::parse_json(r#"{"id":{"x":1},"name":"n","url":"u"}"#),
            Err(ManifestParseError::Invalid { field: "id", .. })
        ));
    }

    #[test]
    fn our_own_manifest_reads_back_in_both_forms() {
        let ours = Manifest {
            id: "a3c8f6f4-35f6-4f0e-9c3a-3f1e0c7b2d11".into(),
            name: "R&D <tools>".into(),
            type_id: ApplicationType::Generic,
            version: "0.1.0".into(),
            build_number: "1".into(),
            applinks_version: "8.0.0".into(),
            inbound_authentication_types: vec![AuthenticationProvider::Basic],
            outbound_authentication_types: vec![AuthenticationProvider::OAuth],
            public_signup: false,
            url: "http://127.0.0.1:8080".into(),
            icon_url: Some("http://127.0.0.1:8080/icon.png".into()),
        };
        let expected = RemoteManifest {
            id: ours.id.clone(),
            name: ours.name.clone(),
            type_id: "generic".into(),
            version: ours.version.clone(),
            build_number: ours.build_number.clone(),
            applinks_version: ours.applinks_version.clone(),
            inbound_authentication_types: ours.inbound_authentication_types.clone(),
            outbound_authentication_types: ours.outbound_authentication_types.clone(),
            public_signup: false,
            url: ours.url.clone(),
            icon_url: ours.icon_url.clone(),
        };
        assert_eq!(RemoteManifest::parse(&ours.to_xml()).unwrap(), expected);
        let json = serde_json::to_string(&ours).unwrap();
        assert_eq!(RemoteManifest::parse(&json).unwrap(), expected);
    }
}
