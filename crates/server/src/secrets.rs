//! Encryption at rest for the secrets the database holds (the private key today; shared secrets
//! and stored tokens as links arrive).
//!
//! The key comes from configuration: a file of 32 random bytes in base64, created with mode
//! 0600 on first start when it does not exist. A copy of the database alone (a backup, a dump
//! of the PostgreSQL server) therefore reveals no key that lets one application act as any user
//! of another. Sealed values are AES-256-GCM with a random nonce, bound to their purpose so one
//! sealed value cannot be swapped for another.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};

/// The prefix of a sealed value, naming the format so that it can change later.
const FORMAT: &str = "v1:";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// The key that seals secrets at rest. Its `Debug` output never shows it.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Why the key could not be loaded, or a sealed value not opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    /// The key file could not be read or created.
    #[error("cannot read or create the secret key file {path}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The key file does not hold 32 bytes of base64.
    #[error("the secret key file {0} must hold 32 bytes in base64")]
    Malformed(String),
    /// A sealed value was made with another key, or altered.
    #[error("a stored secret cannot be decrypted: is this the secret key it was sealed with?")]
    WrongKey,
}

impl SecretKey {
    /// Reads the key from `path`, creating the file with a new random key if it is missing.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretKeyError> {
        let io = |source| SecretKeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(text.trim())
                .ok_or_else(|| SecretKeyError::Malformed(path.display().to_string())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0; 32];
                openssl::rand::rand_bytes(&mut key).expect("the system random generator failed");
                let mut file = create_private_file(path).map_err(io)?;
                file.write_all(format!("{}\n", STANDARD.encode(key)).as_bytes())
                    .map_err(io)?;
                file.sync_all().map_err(io)?;
                tracing::info!(path = %path.display(), "created a new secret key");
                Ok(Self(key))
            }
            Err(error) => Err(io(error)),
        }
    }

    /// Decodes a base64 key of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// Encrypts `plaintext` for storage under `purpose` (e.g. `"server.private_key"`).
    pub(crate) fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce).expect("the system random generator failed");
        let mut tag = [0; TAG_LEN];
        let ciphertext = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(&nonce),
            purpose.as_bytes(),
            plaintext,
            &mut tag,
        )
        .expect("AES-256-GCM encryption with a valid key and nonce cannot fail");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed.extend_from_slice(&tag);
        format!("{FORMAT}{}", STANDARD.encode(sealed))
    }

    /// Decrypts a value sealed under `purpose` by [`SecretKey::seal`].
    pub(crate) fn open(&self, purpose: &str, sealed: &str) -> Result<Vec<u8>, SecretKeyError> {
        let bytes = sealed
            .strip_prefix(FORMAT)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .filter(|bytes| bytes.len() >= NONCE_LEN + TAG_LEN)
            .ok_or(SecretKeyError::WrongKey)?;
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0,
            Some(nonce),
            purpose.as_bytes(),
            ciphertext,
            tag,
        )
        .map_err(|_| SecretKeyError::WrongKey)
    }
}

/// The hex SHA-256 digest under which a bearer value (session id, token, verifier, session
/// handle) is stored and compared, so that the database never holds the value itself.
pub(crate) fn digest(value: &str) -> String {
    openssl::sha::sha256(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Creates a file only its owner can read, failing if it already exists.
fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey([byte; 32])
    }

    #[test]
    fn sealed_values_open_with_the_same_key_and_purpose_only() {
        let sealed = key(1).seal("server.private_key", b"secret bytes");
        assert!(!sealed.contains("secret"));
        assert_eq!(
            key(1).open("server.private_key", &sealed).unwrap(),
            b"secret bytes"
        );
        assert!(matches!(
            key(2).open("server.private_key", &sealed),
            Err(SecretKeyError::WrongKey)
        ));
        assert!(matches!(
            key(1).open("other", &sealed),
            Err(SecretKeyError::WrongKey)
        ));
    }

    #[test]
    fn tampered_or_truncated_values_are_refused() {
        let sealed = key(1).seal("p", b"x");
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for bad in [tampered.as_str(), "v1:AAAA", "plain", ""] {
            assert!(key(1).open("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_are_hex_sha256() {
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(digest("abc"), expected);
    }

    #[test]
    fn debug_output_hides_the_key() {
        assert_eq!(format!("{:?}", key(7)), "SecretKey(<redacted>)");
    }

    #[test]
    fn the_key_file_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("applinks-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret.key");
        std::fs::remove_file(&path).ok();
        let created = SecretKey::load_or_create(&path).unwrap();
        let read = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(created.0, read.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not base64").unwrap();
        assert!(matches!(
            SecretKey::load_or_create(&path),
            Err(SecretKeyError::Malformed(_))
        ));
        std::fs::remove_dir_all(&dir).ok();
    }
}
