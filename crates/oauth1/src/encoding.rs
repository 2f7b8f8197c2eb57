//! Percent-encoding as OAuth 1.0a defines it (RFC 5849 §3.6), and the strict decoding of
//! header values, query strings and form bodies.
//!
//! OAuth's encoding is deliberately narrower than a browser's: only the unreserved characters
//! of RFC 3986 pass through, so that both sides of a signature produce the same bytes. This
//! module does not know which parameters are protocol parameters; that is `collect`'s job.

use thiserror::Error;

/// Why a percent-encoded string could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A `%` was not followed by two hexadecimal digits.
    #[error("a percent escape is not followed by two hexadecimal digits")]
    BadEscape,
    /// The decoded bytes are not UTF-8, which RFC 5849 §3.6 requires of every value.
    #[error("the decoded bytes are not UTF-8")]
    NotUtf8,
}

/// Encodes `value` per RFC 5849 §3.6: its UTF-8 bytes, with every byte outside the unreserved
/// set written as `%XX` in upper-case hexadecimal.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    encode_into(&mut out, value);
    out
}

/// Appends the encoding of `value` to `out`. Base strings are built by appending, since every
/// request verification encodes each parameter twice (RFC 5849 §3.4.1.1, §3.4.1.3.2).
pub(crate) fn encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        // Only `ALPHA / DIGIT / "-" / "." / "_" / "~"` pass through (RFC 5849 §3.6).
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

/// Decodes a percent-encoded value, keeping `+` as a plus sign.
///
/// This is the decoding of `Authorization` header values (RFC 5849 §3.5.1), where a space is
/// always sent as `%20`.
pub fn percent_decode(value: &str) -> Result<String, DecodeError> {
    decode(value, false)
}

/// Decodes an `application/x-www-form-urlencoded` value, where `+` stands for a space.
///
/// Query strings and form bodies are decoded this way before they enter the base string
/// (RFC 5849 §3.4.1.3.1), so that `a=x+y` and `a=x%20y` sign the same.
pub fn form_decode(value: &str) -> Result<String, DecodeError> {
    decode(value, true)
}

/// Splits an `application/x-www-form-urlencoded` string into decoded name/value pairs.
///
/// Empty segments (`a=1&&b=2`) are skipped and a name without `=` has an empty value, as the
/// normalisation test cases of the OAuth wiki expect (`name` becomes `name=`).
pub fn parse_form(input: &str) -> Result<Vec<(String, String)>, DecodeError> {
    form_pairs(input).collect()
}

/// The lazy form of [`parse_form`], so that callers can stop at a parameter cap before
/// decoding the rest of a hostile input.
pub(crate) fn form_pairs(
    input: &str,
) -> impl Iterator<Item = Result<(String, String), DecodeError>> + '_ {
    input
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((form_decode(name)?, form_decode(value)?))
        })
}

fn decode(value: &str, plus_is_space: bool) -> Result<String, DecodeError> {
    let special = |b: &u8| *b == b'%' || (plus_is_space && *b == b'+');
    let bytes = value.as_bytes();
    let Some(first) = bytes.iter().position(special) else {
        return Ok(value.to_owned());
    };

    // Runs of plain bytes are copied whole; only escapes and `+` are looked at one by one.
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = bytes.get(i + 1).and_then(|b| hex_value(*b));
            let low = bytes.get(i + 2).and_then(|b| hex_value(*b));
            let (Some(high), Some(low)) = (high, low) else {
                return Err(DecodeError::BadEscape);
            };
            out.push(high << 4 | low);
            i += 3;
        } else {
            // A `+` standing for a space.
            out.push(b' ');
            i += 1;
        }
        let run = bytes[i..]
            .iter()
            .position(special)
            .unwrap_or(bytes.len() - i);
        out.extend_from_slice(&bytes[i..i + run]);
        i += run;
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_characters_in_upper_case() {
        assert_eq!(percent_encode("a b/ü"), "a%20b%2F%C3%BC");
    }

    #[test]
    fn percent_decoding_keeps_plus() {
        assert_eq!(percent_decode("a+b%2b").unwrap(), "a+b+");
    }

    #[test]
    fn form_decoding_turns_plus_into_space() {
        assert_eq!(form_decode("a+b%2B").unwrap(), "a b+");
    }

    #[test]
    fn truncated_or_non_hex_escapes_are_rejected() {
        for bad in ["%", "%4", "abc%g1", "%%41"] {
            assert_eq!(percent_decode(bad), Err(DecodeError::BadEscape), "{bad}");
        }
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        assert_eq!(form_decode("%C3%28"), Err(DecodeError::NotUtf8));
        assert_eq!(form_decode("%FF"), Err(DecodeError::NotUtf8));
    }

    #[test]
    fn form_parsing_skips_empty_segments_and_defaults_values() {
        let pairs = parse_form("a=1&&name&b=x+y&=v").unwrap();
        let expected = [("a", "1"), ("name", ""), ("b", "x y"), ("", "v")];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(pairs, expected);
    }
}
