//! The three signature methods of RFC 5849 §3.4 over a finished base string: HMAC-SHA1,
//! RSA-SHA1 and PLAINTEXT.
//!
//! A key names its method: a [`VerifyingKey::RsaSha1`] can only ever accept an RSA-SHA1
//! signature, so a request cannot downgrade an RSA consumer to a shared-secret method by
//! changing `oauth_signature_method`. Which method a consumer may use is the caller's
//! configuration, expressed by the key variant it builds.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use openssl::sha::{Sha1, sha1};
use subtle::ConstantTimeEq;

use crate::encoding::percent_encode;
use crate::keys::{KeyError, PrivateKey, PublicKey};
use crate::problem::Problem;
use crate::secret::Secret;

/// A value of `oauth_signature_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (RFC 5849 §3.4.2), keyed by the consumer and token secrets.
    HmacSha1,
    /// `RSA-SHA1` (RFC 5849 §3.4.3), RSASSA-PKCS1-v1_5 with SHA-1; what application links use.
    RsaSha1,
    /// `PLAINTEXT` (RFC 5849 §3.4.4): the secrets themselves, safe only over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// The wire name, as in `oauth_signature_method="RSA-SHA1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HMAC-SHA1",
            SignatureMethod::RsaSha1 => "RSA-SHA1",
            SignatureMethod::Plaintext => "PLAINTEXT",
        }
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SignatureMethod {
    type Err = Problem;

    /// Reads a wire name; an unknown method is `signature_method_rejected`. Names are
    /// case-sensitive, as RFC 5849 §3.4 spells them.
    fn from_str(name: &str) -> Result<Self, Problem> {
        match name {
            "HMAC-SHA1" => Ok(SignatureMethod::HmacSha1),
            "RSA-SHA1" => Ok(SignatureMethod::RsaSha1),
            "PLAINTEXT" => Ok(SignatureMethod::Plaintext),
            _ => Err(Problem::SignatureMethodRejected),
        }
    }
}

/// The consumer secret and, once a token is in play, the token secret: the key material of
/// HMAC-SHA1 and PLAINTEXT.
#[derive(Debug, Clone, Copy)]
pub struct SharedSecrets<'a> {
    /// The secret shared with the consumer when it was registered.
    pub consumer_secret: &'a Secret,
    /// The secret of the request or access token; `None` for requests without a token, which
    /// sign with an empty token secret.
    pub token_secret: Option<&'a Secret>,
}

impl SharedSecrets<'_> {
    /// `enc(consumer_secret)&enc(token_secret)`, the HMAC key and the PLAINTEXT signature
    /// (RFC 5849 §3.4.2 and §3.4.4).
    fn key(&self) -> Secret {
        let token_secret = self.token_secret.map(Secret::expose).unwrap_or_default();
        Secret::new(format!(
            "{}&{}",
            percent_encode(self.consumer_secret.expose()),
            percent_encode(token_secret)
        ))
    }
}

/// What a client signs with; the variant is the signature method.
#[derive(Debug, Clone, Copy)]
pub enum SigningKey<'a> {
    /// RSA-SHA1 with this instance's private key.
    RsaSha1(&'a PrivateKey),
    /// HMAC-SHA1 with shared secrets.
    HmacSha1(SharedSecrets<'a>),
    /// PLAINTEXT with shared secrets.
    Plaintext(SharedSecrets<'a>),
}

impl SigningKey<'_> {
    /// The signature method this key produces.
    pub fn method(&self) -> SignatureMethod {
        match self {
            SigningKey::RsaSha1(_) => SignatureMethod::RsaSha1,
            SigningKey::HmacSha1(_) => SignatureMethod::HmacSha1,
            SigningKey::Plaintext(_) => SignatureMethod::Plaintext,
        }
    }

    /// The value of `oauth_signature` for `base_string` (not yet percent-encoded). PLAINTEXT
    /// ignores the base string.
    pub fn sign(&self, base_string: &str) -> Result<Secret, KeyError> {
        match self {
            SigningKey::RsaSha1(key) => key.sign(base_string).map(Secret::new),
            SigningKey::HmacSha1(secrets) => {
                let mac = hmac_sha1(&secrets.key(), base_string);
                Ok(Secret::new(STANDARD.encode(mac)))
            }
            SigningKey::Plaintext(secrets) => Ok(secrets.key()),
        }
    }
}

/// What a server verifies with; the variant is the only signature method it accepts.
#[derive(Debug, Clone, Copy)]
pub enum VerifyingKey<'a> {
    /// RSA-SHA1 with the consumer's registered public key.
    RsaSha1(&'a PublicKey),
    /// HMAC-SHA1 with shared secrets.
    HmacSha1(SharedSecrets<'a>),
    /// PLAINTEXT with shared secrets. Accept it only over TLS (RFC 5849 §3.4.4).
    Plaintext(SharedSecrets<'a>),
}

impl VerifyingKey<'_> {
    /// The signature method this key accepts.
    pub fn method(&self) -> SignatureMethod {
        match self {
            VerifyingKey::RsaSha1(_) => SignatureMethod::RsaSha1,
            VerifyingKey::HmacSha1(_) => SignatureMethod::HmacSha1,
            VerifyingKey::Plaintext(_) => SignatureMethod::Plaintext,
        }
    }

    /// Checks `signature` (the decoded `oauth_signature`) over `base_string`, which the
    /// caller built with the method `method` named in the request.
    ///
    /// A method other than the key's is `signature_method_rejected`; a wrong signature is
    /// `signature_invalid`. Shared-secret comparisons run in constant time.
    pub fn verify(
        &self,
        method: SignatureMethod,
        base_string: &str,
        signature: &Secret,
    ) -> Result<(), Problem> {
        if method != self.method() {
            return Err(Problem::SignatureMethodRejected);
        }
        let valid = match self {
            VerifyingKey::RsaSha1(key) => key.verify(base_string, signature.expose()),
            VerifyingKey::HmacSha1(secrets) => {
                let expected = hmac_sha1(&secrets.key(), base_string);
                decode_base64(signature.expose()).is_some_and(|given| given.ct_eq(&expected).into())
            }
            VerifyingKey::Plaintext(secrets) => secrets.key() == *signature,
        };
        if valid {
            Ok(())
        } else {
            Err(Problem::SignatureInvalid)
        }
    }
}

/// Decodes a base64 signature. Padding is optional because some clients strip it; the
/// standard alphabet is required, as RFC 5849 §3.4.2 refers to RFC 2045.
pub(crate) fn decode_base64(value: &str) -> Option<Vec<u8>> {
    const LENIENT_PADDING: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT_PADDING.decode(value).ok()
}

/// HMAC-SHA1 (RFC 2104) over OpenSSL's SHA-1.
///
/// Written out rather than through `EVP_PKEY` HMAC because OpenSSL 3 fetches the MAC algorithm
/// from its provider on every new key, which made a signature of a short base string ten times
/// slower than the hashing itself.
fn hmac_sha1(key: &Secret, text: &str) -> [u8; 20] {
    const BLOCK: usize = 64;
    let key = key.expose().as_bytes();
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..20].copy_from_slice(&sha1(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }

    let mut inner = Sha1::new();
    inner.update(&block.map(|byte| byte ^ 0x36));
    inner.update(text.as_bytes());
    let mut outer = Sha1::new();
    outer.update(&block.map(|byte| byte ^ 0x5c));
    outer.update(&inner.finish());

    block.fill(0);
    std::hint::black_box(&block);
    outer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_round_trip_and_unknown_ones_are_rejected() {
        for method in [
            SignatureMethod::HmacSha1,
            SignatureMethod::RsaSha1,
            SignatureMethod::Plaintext,
        ] {
            assert_eq!(method.as_str().parse(), Ok(method));
        }
        for unknown in ["RSA-SHA256", "hmac-sha1", "", "HMAC-SHA256"] {
            assert_eq!(
                unknown.parse::<SignatureMethod>(),
                Err(Problem::SignatureMethodRejected)
            );
        }
    }

    #[test]
    fn a_key_verifies_only_its_own_method() {
        let secret = Secret::new("cs");
        let secrets = SharedSecrets {
            consumer_secret: &secret,
            token_secret: None,
        };
        let plaintext = SigningKey::Plaintext(secrets).sign("bs").unwrap();
        let hmac_key = VerifyingKey::HmacSha1(secrets);
        assert_eq!(
            hmac_key.verify(SignatureMethod::Plaintext, "bs", &plaintext),
            Err(Problem::SignatureMethodRejected)
        );
        assert_eq!(
            VerifyingKey::Plaintext(secrets).verify(SignatureMethod::Plaintext, "bs", &plaintext),
            Ok(())
        );
    }

    #[test]
    fn hmac_signatures_without_padding_are_accepted() {
        let secret = Secret::new("cs");
        let secrets = SharedSecrets {
            consumer_secret: &secret,
            token_secret: None,
        };
        let signature = SigningKey::HmacSha1(secrets).sign("bs").unwrap();
        let unpadded = Secret::new(signature.expose().trim_end_matches('='));
        let key = VerifyingKey::HmacSha1(secrets);
        assert_eq!(
            key.verify(SignatureMethod::HmacSha1, "bs", &unpadded),
            Ok(())
        );
        let garbage = Secret::new("***");
        assert_eq!(
            key.verify(SignatureMethod::HmacSha1, "bs", &garbage),
            Err(Problem::SignatureInvalid)
        );
    }
}
