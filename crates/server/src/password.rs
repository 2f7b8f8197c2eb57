//! Password hashing with Argon2id, off the async threads.
//!
//! Hashing costs tens of milliseconds by design, so it runs on the blocking pool. Checking a
//! password for a user who does not exist still runs one verification against a fixed hash, so
//! the time taken does not tell an attacker which names exist.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// The shortest password accepted for a new or changed password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// The longest password accepted: enough for any passphrase, small enough to hash quickly.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_LEN`] characters.
    #[error("a password needs at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    /// Longer than [`MAX_PASSWORD_LEN`] bytes.
    #[error("a password can be at most {MAX_PASSWORD_LEN} bytes")]
    TooLong,
    /// Hashing failed (the blocking pool is gone, or the hasher refused its input).
    #[error("the password could not be hashed")]
    Hashing,
}

/// Checks a new password against the length rules.
pub fn validate(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// Hashes a password that passed [`validate`], returning the PHC string to store.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    validate(&password)?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|_| PasswordError::Hashing)?
}

/// Whether `password` matches the stored `hash`; with no hash (an unknown user) it spends the
/// same time and answers no.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| decoy_hash().to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}

fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// A hash of a random password, made once, to verify against when the user is unknown.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        openssl::rand::rand_bytes(&mut random).expect("the system random generator failed");
        hash_blocking(&format!("{random:?}")).expect("hashing a fixed-size password succeeds")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hashed = hash("correct horse".into()).await.unwrap();
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(hashed.clone())).await);
        assert!(!verify("wrong horse".into(), Some(hashed)).await);
    }

    #[tokio::test]
    async fn unknown_users_and_garbage_hashes_never_verify() {
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("anything".into(), Some("not a hash".into())).await);
    }

    #[test]
    fn length_rules_are_enforced() {
        assert_eq!(validate("short"), Err(PasswordError::TooShort));
        assert_eq!(
            validate(&"x".repeat(MAX_PASSWORD_LEN + 1)),
            Err(PasswordError::TooLong)
        );
        assert_eq!(validate("long enough"), Ok(()));
    }
}
