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
    // Runs of unreserved bytes are copied whole. They are ASCII, and every byte of a multi-byte
    // character is escaped, so each non-empty run starts and ends on a character boundary.
    let mut run_start = 0;
    for (index, &byte) in value.as_bytes().iter().enumerate() {
        if is_unreserved(byte) {
            continue;
        }
        // Between two bytes of one character the run is empty, and `run_start` is not on a
        // boundary.
        if run_start < index {
            out.push_str(&value[run_start..index]);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        run_start = index + 1;
    }
    out.push_str(&value[run_start..]);
}

/// Whether `byte` passes through the encoding unchanged: only `ALPHA / DIGIT / "-" / "." /
/// "_" / "~"` do (RFC 5849 §3.6).
fn is_unreserved(byte: u8) -> bool {
    UNRESERVED[usize::from(byte)]
}

/// [`is_unreserved`] as a table: every base string encodes a few hundred bytes twice.
const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        byte += 1;
    }
    table
};

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
    form_segments(input).map(|(name, value)| Ok((form_decode(name)?, form_decode(value)?)))
}

/// The name and value of each pair of an `application/x-www-form-urlencoded` string, still
/// encoded, with [`parse_form`]'s treatment of empty segments and missing values.
pub(crate) fn form_segments(input: &str) -> impl Iterator<Item = (&str, &str)> + '_ {
    input
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.split_once('=').unwrap_or((segment, "")))
}

fn decode(value: &str, plus_is_space: bool) -> Result<String, DecodeError> {
    let mut out = String::new();
    decode_into(&mut out, &mut Vec::new(), value, plus_is_space)?;
    Ok(out)
}

/// Appends the decoding of `value` to `out`, `+` as a space when `plus_is_space`. A value with
/// escapes is decoded into `scratch` first, to check that its bytes are UTF-8; a caller that
/// decodes many values keeps one `scratch` for all of them. On an error, `out` may hold part
/// of the value.
pub(crate) fn decode_into(
    out: &mut String,
    scratch: &mut Vec<u8>,
    value: &str,
    plus_is_space: bool,
) -> Result<(), DecodeError> {
    let special = |b: &u8| *b == b'%' || (plus_is_space && *b == b'+');
    let bytes = value.as_bytes();
    let Some(first) = bytes.iter().position(special) else {
        out.push_str(value);
        return Ok(());
    };

    // Runs of plain bytes are copied whole; only escapes and `+` are looked at one by one.
    scratch.clear();
    scratch.reserve(bytes.len());
    let out_bytes = &mut *scratch;
    out_bytes.extend_from_slice(&bytes[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = bytes.get(i + 1).and_then(|b| hex_value(*b));
            let low = bytes.get(i + 2).and_then(|b| hex_value(*b));
            let (Some(high), Some(low)) = (high, low) else {
                return Err(DecodeError::BadEscape);
            };
            out_bytes.push(high << 4 | low);
            i += 3;
        } else {
            // A `+` standing for a space.
            out_bytes.push(b' ');
            i += 1;
        }
        let run = bytes[i..]
            .iter()
            .position(special)
            .unwrap_or(bytes.len() - i);
        out_bytes.extend_from_slice(&bytes[i..i + run]);
        i += run;
    }
    out.push_str(std::str::from_utf8(out_bytes).map_err(|_| DecodeError::NotUtf8)?);
    Ok(())
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
