//! The people who sign in to applinks and act across links.
//!
//! A user here is what links need to know about a person: the name a remote application
//! addresses them by (`xoauth_requestor_id` carries it), how to show them, and whether they may
//! administer links. Password hashing lives in the server; this module only validates.

use std::fmt;

use serde::Serialize;

/// The longest user name accepted, in bytes.
pub const MAX_USERNAME_LEN: usize = 255;

/// The longest display name or e-mail address accepted, in bytes.
pub const MAX_PROFILE_FIELD_LEN: usize = 255;

/// A user name: the stable key that identifies a person here and, through impersonation, on
/// every linked application that shares this userbase.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Validates a user name.
    ///
    /// Names are 1 to 255 bytes of letters, digits and `.`, `_`, `-`, `@` and `+`. That covers
    /// the names of the reference products' internal directories and of e-mail-shaped LDAP
    /// names, while keeping every name safe to place in a URL path, a header or a log line.
    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let valid_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+');
        if raw.is_empty() || raw.len() > MAX_USERNAME_LEN || !raw.chars().all(valid_char) {
            return Err(UserError::InvalidUsername);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as links and pages see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The unique name.
    pub username: Username,
    /// The name shown to people.
    pub display_name: String,
    /// The e-mail address, possibly empty.
    pub email: String,
    /// Whether this user administers application links.
    pub is_admin: bool,
    /// A disabled user can neither sign in nor be impersonated.
    pub disabled: bool,
}

/// What it takes to create a user, password hash included.
#[derive(Clone)]
pub struct NewUser {
    /// The unique name.
    pub username: Username,
    /// The name shown to people; the user name when left empty.
    pub display_name: String,
    /// The e-mail address, possibly empty.
    pub email: String,
    /// Whether this user administers application links.
    pub is_admin: bool,
    /// The PHC-format password hash (never the password itself).
    pub password_hash: String,
}

impl NewUser {
    /// Builds a new user after checking the profile fields.
    pub fn new(
        username: Username,
        display_name: Option<&str>,
        email: Option<&str>,
        is_admin: bool,
        password_hash: String,
    ) -> Result<Self, UserError> {
        let display_name = profile_field(display_name.unwrap_or(""))?;
        let email = profile_field(email.unwrap_or(""))?;
        if !email.is_empty() && !email.contains('@') {
            return Err(UserError::InvalidEmail);
        }
        let display_name = if display_name.is_empty() {
            username.as_str().to_owned()
        } else {
            display_name
        };
        Ok(Self {
            username,
            display_name,
            email,
            is_admin,
            password_hash,
        })
    }
}

/// Trims a profile field and refuses control characters and oversized values.
fn profile_field(raw: &str) -> Result<String, UserError> {
    let trimmed = raw.trim();
    if trimmed.len() > MAX_PROFILE_FIELD_LEN || trimmed.chars().any(char::is_control) {
        return Err(UserError::InvalidProfileField);
    }
    Ok(trimmed.to_owned())
}

/// Why a user could not be created or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The user name is empty, too long or has characters outside the allowed set.
    #[error("a user name is 1 to 255 characters of letters, digits and . _ - @ +")]
    InvalidUsername,
    /// A display name or e-mail address is too long or holds control characters.
    #[error(
        "display names and e-mail addresses are at most 255 characters, without control characters"
    )]
    InvalidProfileField,
    /// The e-mail address has no `@`.
    #[error("an e-mail address must contain @")]
    InvalidEmail,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_accept_directory_and_email_shapes() {
        for name in [
            "admin",
            "alice.smith",
            "bob_2",
            "carol@example.com",
            "d-e+f",
            "zoë",
        ] {
            assert_eq!(Username::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn usernames_refuse_empty_oversized_and_unsafe_names() {
        let long = "a".repeat(MAX_USERNAME_LEN + 1);
        for name in [
            "",
            " ",
            "a b",
            "a/b",
            "a\nb",
            "<script>",
            "a%2f",
            long.as_str(),
        ] {
            assert_eq!(
                Username::parse(name),
                Err(UserError::InvalidUsername),
                "{name:?}"
            );
        }
    }

    #[test]
    fn display_name_defaults_to_the_username() {
        let user = NewUser::new(
            Username::parse("alice").unwrap(),
            None,
            None,
            false,
            "h".into(),
        );
        assert_eq!(user.unwrap().display_name, "alice");
    }

    #[test]
    fn profile_fields_refuse_control_characters_and_bad_email() {
        let name = || Username::parse("alice").unwrap();
        let bad_display = NewUser::new(name(), Some("A\u{7}"), None, false, String::new());
        assert_eq!(bad_display.err(), Some(UserError::InvalidProfileField));
        let bad_email = NewUser::new(name(), None, Some("nope"), false, String::new());
        assert_eq!(bad_email.err(), Some(UserError::InvalidEmail));
    }
}
