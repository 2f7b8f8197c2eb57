//! [`Secret`], the one type that holds a shared secret, token secret, verifier, session handle,
//! signature or private key PEM inside this crate.
//!
//! Redaction is a property of the type, not of each struct that holds one: `Debug` and
//! `Display` never show the value, and reading it takes an explicit [`Secret::expose`]. It is
//! not a defence against an attacker who can read process memory; it keeps secrets out of
//! logs, panics and error bodies.

use std::fmt;

use subtle::ConstantTimeEq;

/// A string that must not leak: redacted when formatted, compared in constant time, and
/// overwritten when dropped.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Call this only where the value is used (signing, storing), never to
    /// log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is the empty string (an empty token secret is common and legal).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Constant-time in the contents; two values of different lengths compare unequal at once,
/// which only reveals the length (SPEC §6: secrets and signatures compared in constant time).
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort without `unsafe`: take the bytes out and zero them. `black_box` keeps the
        // optimiser from proving the writes dead; a copy made by an earlier reallocation of the
        // `String` is out of reach.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        std::hint::black_box(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(<redacted>)");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(Secret::new("abc"), Secret::from("abc"));
        assert_ne!(Secret::new("abc"), Secret::new("abd"));
        assert_ne!(Secret::new("abc"), Secret::new("abcd"));
    }
}
