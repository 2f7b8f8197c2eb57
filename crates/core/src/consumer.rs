//! Incoming OAuth consumers: the linked applications (or generic clients) allowed to sign
//! requests to this one, and the rule that decides whom a signed request acts as.
//!
//! Every consumer belongs to a link. Its permissions are the reference products' three: 3-legged
//! (each user authorises once), 2-legged (acting as one configured user, or anonymously), and
//! 2-legged with impersonation (acting as the user named by `xoauth_requestor_id`).

use std::fmt;

use serde::Serialize;

use crate::link::ApplicationId;
use crate::user::Username;

/// The longest consumer key accepted, in bytes.
pub const MAX_CONSUMER_KEY_LEN: usize = 255;

/// A consumer key: how a consumer names itself in `oauth_consumer_key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ConsumerKey(String);

impl ConsumerKey {
    /// Validates a key: 1 to 255 printable ASCII characters without spaces. The reference
    /// products use `<type>:<number>`; generic clients use any token-like string.
    pub fn parse(raw: &str) -> Result<Self, ConsumerError> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_CONSUMER_KEY_LEN
            && raw.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ConsumerError::InvalidKey)
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConsumerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret sealed by the server's secret key: opaque to the domain, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(pub String);

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealed(<redacted>)")
    }
}

/// How a consumer proves its requests are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerCredential {
    /// RSA-SHA1 with this public key (base64 DER SubjectPublicKeyInfo). The only method
    /// between applications.
    Rsa {
        /// The public key, in the format consumer-info serves.
        public_key: String,
    },
    /// HMAC-SHA1 with a shared secret, for generic consumers configured by hand.
    SharedSecret(Sealed),
}

/// An incoming consumer and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumer {
    /// The consumer key.
    pub key: ConsumerKey,
    /// The link this consumer belongs to.
    pub link_id: ApplicationId,
    /// The name shown to users on the approval page.
    pub name: String,
    /// A description shown to users on the approval page.
    pub description: String,
    /// How its requests are verified.
    pub credential: ConsumerCredential,
    /// The registered callback URL, if any.
    pub callback: Option<String>,
    /// Whether users may authorise it (3-legged OAuth).
    pub three_lo_allowed: bool,
    /// Whether it may make 2-legged requests.
    pub two_lo_allowed: bool,
    /// Whom a 2-legged request without impersonation acts as; anonymous when `None`.
    pub two_lo_execute_as: Option<Username>,
    /// Whether it may impersonate any user with `xoauth_requestor_id`.
    pub two_lo_impersonation_allowed: bool,
}

/// Whom a verified request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    /// A user of this application (who must exist and be enabled).
    User(Username),
    /// Nobody in particular: a 2-legged request without an execute-as user.
    Anonymous,
}

/// Why a consumer may not act as it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ActingRefusal {
    /// The consumer lacks the permission the request needs.
    #[error("the consumer is not allowed to make this kind of request")]
    PermissionDenied,
    /// `xoauth_requestor_id` does not name a valid user.
    #[error("the impersonated user name is not valid")]
    InvalidRequestor,
}

impl Consumer {
    /// Decides whom a request acts as, given the user of its access token (3-legged) and its
    /// `xoauth_requestor_id`.
    ///
    /// A token's user always wins over `xoauth_requestor_id`, so a consumer holding one user's
    /// token cannot switch to another user by adding the parameter.
    pub fn acting_for(
        &self,
        token_user: Option<&Username>,
        requestor_id: Option<&str>,
    ) -> Result<Acting, ActingRefusal> {
        if let Some(user) = token_user {
            return if self.three_lo_allowed {
                Ok(Acting::User(user.clone()))
            } else {
                Err(ActingRefusal::PermissionDenied)
            };
        }
        if let Some(requestor) = requestor_id {
            if !self.two_lo_impersonation_allowed {
                return Err(ActingRefusal::PermissionDenied);
            }
            let user = Username::parse(requestor).map_err(|_| ActingRefusal::InvalidRequestor)?;
            return Ok(Acting::User(user));
        }
        if !self.two_lo_allowed {
            return Err(ActingRefusal::PermissionDenied);
        }
        Ok(self
            .two_lo_execute_as
            .clone()
            .map_or(Acting::Anonymous, Acting::User))
    }
}

/// Why a consumer could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsumerError {
    /// The key is empty, too long or has spaces or control characters.
    #[error("a consumer key is 1 to 255 printable characters without spaces")]
    InvalidKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer() -> Consumer {
        Consumer {
            key: ConsumerKey::parse("jira:1234").unwrap(),
            link_id: ApplicationId::parse("link-1").unwrap(),
            name: "Jira".into(),
            description: String::new(),
            credential: ConsumerCredential::Rsa {
                public_key: "MII…".into(),
            },
            callback: None,
            three_lo_allowed: true,
            two_lo_allowed: false,
            two_lo_execute_as: None,
            two_lo_impersonation_allowed: false,
        }
    }

    fn user(name: &str) -> Username {
        Username::parse(name).unwrap()
    }

    #[test]
    fn a_token_user_wins_over_the_requestor_id() {
        let mut consumer = consumer();
        consumer.two_lo_impersonation_allowed = true;
        let acting = consumer.acting_for(Some(&user("alice")), Some("admin"));
        assert_eq!(acting, Ok(Acting::User(user("alice"))));
    }

    #[test]
    fn impersonation_needs_its_own_permission() {
        let mut consumer = consumer();
        consumer.two_lo_allowed = true;
        assert_eq!(
            consumer.acting_for(None, Some("alice")),
            Err(ActingRefusal::PermissionDenied)
        );
        consumer.two_lo_impersonation_allowed = true;
        assert_eq!(
            consumer.acting_for(None, Some("alice")),
            Ok(Acting::User(user("alice")))
        );
        assert_eq!(
            consumer.acting_for(None, Some("a b")),
            Err(ActingRefusal::InvalidRequestor)
        );
    }

    #[test]
    fn two_legged_acts_as_the_configured_user_or_anonymously() {
        let mut consumer = consumer();
        assert_eq!(
            consumer.acting_for(None, None),
            Err(ActingRefusal::PermissionDenied)
        );
        consumer.two_lo_allowed = true;
        assert_eq!(consumer.acting_for(None, None), Ok(Acting::Anonymous));
        consumer.two_lo_execute_as = Some(user("robot"));
        assert_eq!(
            consumer.acting_for(None, None),
            Ok(Acting::User(user("robot")))
        );
    }

    #[test]
    fn three_legged_needs_its_permission() {
        let mut consumer = consumer();
        consumer.three_lo_allowed = false;
        assert_eq!(
            consumer.acting_for(Some(&user("alice")), None),
            Err(ActingRefusal::PermissionDenied)
        );
    }

    #[test]
    fn consumer_keys_are_token_like() {
        assert!(ConsumerKey::parse("applinks:144880e9-a353").is_ok());
        for bad in ["", "a b", "a\u{0}", &"k".repeat(256)] {
            assert_eq!(
                ConsumerKey::parse(bad),
                Err(ConsumerError::InvalidKey),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn sealed_secrets_never_print() {
        assert_eq!(
            format!("{:?}", Sealed("v1:secret".into())),
            "Sealed(<redacted>)"
        );
    }
}

/// What a linked application says of itself as an OAuth consumer, from its consumer-info
/// document (`<consumer><key/><name/><publicKey/><description/></consumer>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    /// The consumer key it signs with.
    pub key: ConsumerKey,
    /// Its name.
    pub name: String,
    /// Its RSA public key, as sent (base64 DER, sometimes PEM).
    pub public_key: String,
    /// Its description.
    pub description: String,
}

impl ConsumerInfo {
    /// The largest consumer-info document read.
    pub const MAX_BYTES: usize = 64 * 1024;

    /// Parses a consumer-info document, without DTDs or entity expansion.
    pub fn parse_xml(text: &str) -> Result<Self, ConsumerInfoError> {
        if text.len() > Self::MAX_BYTES {
            return Err(ConsumerInfoError("the document is over 64 KiB".into()));
        }
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 10_000,
            ..roxmltree::ParsingOptions::default()
        };
        let document = roxmltree::Document::parse_with_options(text, options)
            .map_err(|error| ConsumerInfoError(format!("not XML: {error}")))?;
        let root = document.root_element();
        if root.tag_name().name() != "consumer" {
            return Err(ConsumerInfoError(
                "the root element is not <consumer>".into(),
            ));
        }
        let field = |name: &str| {
            root.children()
                .find(|node| node.is_element() && node.tag_name().name() == name)
                .and_then(|node| node.text())
                .map(|text| text.trim().to_owned())
                .unwrap_or_default()
        };
        let key = ConsumerKey::parse(&field("key"))
            .map_err(|_| ConsumerInfoError("<key> is missing or not a consumer key".into()))?;
        let public_key = field("publicKey");
        if public_key.is_empty() {
            return Err(ConsumerInfoError("<publicKey> is missing".into()));
        }
        Ok(Self {
            key,
            name: field("name"),
            public_key,
            description: field("description"),
        })
    }
}

/// Why a consumer-info document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the consumer information is not usable: {0}")]
pub struct ConsumerInfoError(pub String);

#[cfg(test)]
mod consumer_info_tests {
    use super::*;

    #[test]
    fn consumer_info_reads_the_reference_format() {
        let xml = "<?xml version=\"1.0\"?><consumer><key>jira:123</key><name>Jira &amp; Co</name>\
                   <publicKey>MIIBIjAN</publicKey><description>d</description></consumer>";
        let info = ConsumerInfo::parse_xml(xml).unwrap();
        assert_eq!(info.key.as_str(), "jira:123");
        assert_eq!(info.name, "Jira & Co");
        assert_eq!(info.public_key, "MIIBIjAN");
    }

    #[test]
    fn consumer_info_refuses_entities_and_other_documents() {
        let xxe = "<!DOCTYPE c [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\
                   <consumer><key>&e;</key><publicKey>x</publicKey></consumer>";
        assert!(ConsumerInfo::parse_xml(xxe).is_err());
        assert!(ConsumerInfo::parse_xml("<manifest/>").is_err());
        assert!(ConsumerInfo::parse_xml("<consumer><key>k</key></consumer>").is_err());
    }
}
