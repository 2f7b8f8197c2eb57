//! RSA key pairs for RSA-SHA1 (RFC 5849 §3.4.3), parsed once and kept.
//!
//! Parsing a PEM key costs far more than a verification, so a link's keys are parsed when they
//! are loaded and then shared: both types are an `Arc` inside, cheap to clone and usable from
//! any thread. Keys under 1024 bits are refused. Key storage and encryption at rest are the
//! caller's business.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::error::ErrorStack;
use openssl::md::Md;
use openssl::pkey::{HasPublic, Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa};
use openssl::x509::X509;
use thiserror::Error;

use crate::secret::Secret;

/// The smallest RSA modulus accepted, in bits. Atlassian products generate 1024-bit keys on
/// older versions, so 1024 stays acceptable; anything smaller is trivially breakable.
pub const MIN_RSA_BITS: u32 = 1024;

/// The size of keys made by [`PrivateKey::generate`].
pub const GENERATED_RSA_BITS: u32 = 2048;

/// Why a key could not be read, made or used.
#[derive(Debug, Error)]
pub enum KeyError {
    /// The text is none of the accepted formats, or is corrupt.
    #[error("the key is not in a recognised format")]
    Malformed,
    /// The key is not an RSA key.
    #[error("the key is not an RSA key")]
    NotRsa,
    /// The modulus is smaller than [`MIN_RSA_BITS`].
    #[error("the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required")]
    TooSmall {
        /// The size of the refused key.
        bits: u32,
    },
    /// OpenSSL failed while generating, exporting or signing.
    #[error("OpenSSL failed")]
    Crypto(#[from] ErrorStack),
}

/// An RSA private key, for signing outgoing requests with RSA-SHA1.
#[derive(Clone)]
pub struct PrivateKey(Arc<Contexts<Private>>);

impl PrivateKey {
    /// Generates a new 2048-bit key. This takes tens to hundreds of milliseconds: do it once,
    /// when an instance is set up, never on a request path.
    pub fn generate() -> Result<Self, KeyError> {
        let rsa = Rsa::generate(GENERATED_RSA_BITS)?;
        Self::checked(PKey::from_rsa(rsa)?)
    }

    /// Reads a PEM private key, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key =
            PKey::private_key_from_pem(pem.trim().as_bytes()).map_err(|_| KeyError::Malformed)?;
        Self::checked(key)
    }

    /// The key as PKCS#8 PEM, for storing. The result is a [`Secret`] so that it is redacted
    /// wherever it travels.
    pub fn to_pkcs8_pem(&self) -> Result<Secret, KeyError> {
        let pem = self.0.key.private_key_to_pem_pkcs8()?;
        let pem = String::from_utf8(pem).map_err(|_| KeyError::Malformed)?;
        Ok(Secret::new(pem))
    }

    /// The matching public key, as published in consumer-info.
    pub fn public_key(&self) -> PublicKey {
        let der = self
            .0
            .key
            .public_key_to_der()
            .expect("an RSA private key always has an encodable public half");
        PublicKey::from_spki_der(&der).expect("the public half of an accepted key is accepted")
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        self.0.key.bits()
    }

    /// Signs a signature base string with RSASSA-PKCS1-v1_5 over SHA-1 (RFC 5849 §3.4.3) and
    /// returns the signature in base64, as `oauth_signature` carries it.
    pub fn sign(&self, base_string: &str) -> Result<String, KeyError> {
        let digest = openssl::sha::sha1(base_string.as_bytes());
        let signature = self.0.with_context(
            |ctx| {
                ctx.sign_init()?;
                rsassa_pkcs1_sha1(ctx)
            },
            |ctx| {
                let mut signature = Vec::new();
                ctx.sign_to_vec(&digest, &mut signature)?;
                Ok(signature)
            },
        )?;
        Ok(STANDARD.encode(signature))
    }

    fn checked(key: PKey<Private>) -> Result<Self, KeyError> {
        check_rsa(key.id(), key.bits())?;
        Ok(Self(Arc::new(Contexts::new(key))))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// An RSA public key, for verifying incoming RSA-SHA1 signatures and for publishing in
/// consumer-info.
#[derive(Clone)]
pub struct PublicKey(Arc<Contexts<Public>>);

impl PublicKey {
    /// Reads a public key in any of the forms peers publish:
    /// - PEM SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`),
    /// - PEM PKCS#1 (`BEGIN RSA PUBLIC KEY`),
    /// - a PEM X.509 certificate (`BEGIN CERTIFICATE`), whose key is used and whose validity
    ///   is not checked, as OAuth 1.0a uses certificates only as key containers,
    /// - base64 DER SubjectPublicKeyInfo without armour, whitespace and line breaks allowed,
    ///   as Atlassian's consumer-info `<publicKey>` holds it.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let key = if text.contains("-----BEGIN CERTIFICATE-----") {
            X509::from_pem(text.as_bytes()).and_then(|cert| cert.public_key())
        } else if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
            Rsa::public_key_from_pem_pkcs1(text.as_bytes()).and_then(PKey::from_rsa)
        } else if text.contains("-----BEGIN PUBLIC KEY-----") {
            PKey::public_key_from_pem(text.as_bytes())
        } else {
            let compact: String = text.split_ascii_whitespace().collect();
            let der = STANDARD.decode(compact).map_err(|_| KeyError::Malformed)?;
            return Self::from_spki_der(&der);
        };
        Self::checked(key.map_err(|_| KeyError::Malformed)?)
    }

    /// Reads DER SubjectPublicKeyInfo bytes.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = PKey::public_key_from_der(der).map_err(|_| KeyError::Malformed)?;
        Self::checked(key)
    }

    /// The key as base64 DER SubjectPublicKeyInfo on one line, without PEM armour: the format
    /// of consumer-info's `<publicKey>` (SPEC §4).
    pub fn to_base64_der(&self) -> String {
        STANDARD.encode(self.spki_der())
    }

    /// The key as PEM SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`).
    pub fn to_pem(&self) -> String {
        let pem = self
            .0
            .key
            .public_key_to_pem()
            .expect("an accepted RSA public key is always encodable");
        String::from_utf8(pem).expect("PEM is ASCII")
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> u32 {
        self.0.key.bits()
    }

    /// Whether `signature` (base64, as `oauth_signature` carries it) is a valid RSA-SHA1
    /// signature of `base_string` by the matching private key (RFC 5849 §3.4.3.2). A
    /// signature that is not base64 is simply invalid.
    pub fn verify(&self, base_string: &str, signature: &str) -> bool {
        let Some(signature) = crate::signature::decode_base64(signature) else {
            return false;
        };
        let digest = openssl::sha::sha1(base_string.as_bytes());
        self.verify_digest(&digest, &signature).unwrap_or(false)
    }

    fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<bool, ErrorStack> {
        self.0.with_context(
            |ctx| {
                ctx.verify_init()?;
                rsassa_pkcs1_sha1(ctx)
            },
            |ctx| ctx.verify(digest, signature),
        )
    }

    fn spki_der(&self) -> Vec<u8> {
        self.0
            .key
            .public_key_to_der()
            .expect("an accepted RSA public key is always encodable")
    }

    fn checked(key: PKey<Public>) -> Result<Self, KeyError> {
        check_rsa(key.id(), key.bits())?;
        Ok(Self(Arc::new(Contexts::new(key))))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.key.public_eq(&other.0.key)
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// How many initialised contexts a key keeps for reuse: enough for every core of a busy node.
const MAX_IDLE_CONTEXTS: usize = 64;

/// A key with a pool of initialised OpenSSL contexts.
///
/// Creating and initialising an `EVP_PKEY_CTX` makes OpenSSL 3 fetch the algorithm from its
/// provider, which cost about a third of a 2048-bit verification when done per call. Reusing
/// initialised contexts, as `openssl speed` does, brings signing and verifying to its figures
/// (SPEC §8). A context is used by one thread at a time; the lock is held only to take or
/// return one.
struct Contexts<T> {
    key: PKey<T>,
    idle: Mutex<Vec<PkeyCtx<T>>>,
}

impl<T: HasPublic> Contexts<T> {
    fn new(key: PKey<T>) -> Self {
        Self {
            key,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `operation` on an idle context, or on a new one set up by `init`. A context whose
    /// operation failed is dropped rather than reused, in case OpenSSL left it half-done.
    fn with_context<R>(
        &self,
        init: impl FnOnce(&mut PkeyCtx<T>) -> Result<(), ErrorStack>,
        operation: impl FnOnce(&mut PkeyCtx<T>) -> Result<R, ErrorStack>,
    ) -> Result<R, ErrorStack> {
        let idle = self.lock().pop();
        let mut ctx = match idle {
            Some(ctx) => ctx,
            None => {
                let mut ctx = PkeyCtx::new(&self.key)?;
                init(&mut ctx)?;
                ctx
            }
        };

        let result = operation(&mut ctx)?;
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE_CONTEXTS {
            idle.push(ctx);
        }
        Ok(result)
    }

    /// The pool holds no invariant a panic could break, so a poisoned lock is still usable.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PkeyCtx<T>>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// RSASSA-PKCS1-v1_5 over a SHA-1 digest (RFC 5849 §3.4.3, RFC 3447 §8.2).
fn rsassa_pkcs1_sha1<T>(ctx: &mut PkeyCtx<T>) -> Result<(), ErrorStack> {
    ctx.set_rsa_padding(Padding::PKCS1)?;
    ctx.set_signature_md(Md::sha1())
}

fn check_rsa(id: Id, bits: u32) -> Result<(), KeyError> {
    if id != Id::RSA {
        return Err(KeyError::NotRsa);
    }
    if bits < MIN_RSA_BITS {
        return Err(KeyError::TooSmall { bits });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_keys_are_refused() {
        let rsa = Rsa::generate(512).unwrap();
        let pem = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
        assert!(matches!(
            PrivateKey::from_pem(&pem),
            Err(KeyError::TooSmall { bits: 512 })
        ));
        let public = String::from_utf8(rsa.public_key_to_pem().unwrap()).unwrap();
        assert!(matches!(
            PublicKey::parse(&public),
            Err(KeyError::TooSmall { bits: 512 })
        ));
    }

    #[test]
    fn non_rsa_keys_are_refused() {
        let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1);
        let ec = openssl::ec::EcKey::generate(&group.unwrap()).unwrap();
        let pem = PKey::from_ec_key(ec)
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap();
        let pem = String::from_utf8(pem).unwrap();
        assert!(matches!(PrivateKey::from_pem(&pem), Err(KeyError::NotRsa)));
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(
            PublicKey::parse("not a key"),
            Err(KeyError::Malformed)
        ));
        assert!(matches!(PublicKey::parse("QUJD"), Err(KeyError::Malformed)));
        assert!(matches!(PrivateKey::from_pem(""), Err(KeyError::Malformed)));
    }

    #[test]
    fn pooled_contexts_survive_failures_and_threads() {
        let rsa = Rsa::generate(1024).unwrap();
        let private = PrivateKey::checked(PKey::from_rsa(rsa).unwrap()).unwrap();
        let public = private.public_key();
        let signature = private.sign("bs").unwrap();

        // A signature of the wrong length makes OpenSSL fail rather than answer false.
        assert!(!public.verify("bs", "c2hvcnQ="));
        assert!(!public.verify("bs", "not base64!"));
        assert!(public.verify("bs", &signature));

        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        assert!(public.verify("bs", &signature));
                        assert!(!public.verify("bt", &signature));
                        assert_eq!(private.sign("bs").unwrap(), signature);
                    }
                });
            }
        });
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let rsa = Rsa::generate(1024).unwrap();
        let key = PrivateKey::checked(PKey::from_rsa(rsa).unwrap()).unwrap();
        assert_eq!(
            format!("{key:?}"),
            "PrivateKey { bits: 1024, key: \"<redacted>\" }"
        );
    }
}
