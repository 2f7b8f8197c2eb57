//! The `Authorization: OAuth ...` header (RFC 5849 §3.5.1): reading its parameters from an
//! incoming request and writing them for an outgoing one.
//!
//! Reading is tolerant where real clients differ (case of the scheme, whitespace around commas
//! and `=`, unquoted token values) and strict where a mistake would change what is signed
//! (unterminated quotes, bad escapes, missing `=`). Deciding which parameters count is left to
//! `collect`.

use std::borrow::Cow;

use crate::encoding::percent_decode;
use crate::problem::Problem;

/// The largest `Authorization` header read. Real OAuth headers are a few hundred bytes; a
/// larger one is refused before any parsing work (`parameter_rejected`).
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Reads the parameters of an `OAuth` authorization or challenge header, `realm` included,
/// decoded, in the order sent.
///
/// `Ok(None)` when the header uses another scheme (`Basic`, `Bearer`): such a request is simply
/// not OAuth-signed. A malformed OAuth header is `parameter_rejected`.
pub fn parse_auth_params(header: &str) -> Result<Option<Vec<(String, String)>>, Problem> {
    let mut params = Vec::new();
    let oauth = for_each_auth_param(header, |name, value| {
        params.push((decode(name)?, decode(value)?));
        Ok(())
    })?;
    Ok(oauth.then_some(params))
}

/// Calls `visit` with each parameter of an `OAuth` header in the order sent, its name and
/// value still percent-encoded (the value unquoted), and stops at the first error, the
/// visitor's or the header's. `Ok(false)` when the header uses another scheme.
pub(crate) fn for_each_auth_param(
    header: &str,
    mut visit: impl FnMut(&str, &str) -> Result<(), Problem>,
) -> Result<bool, Problem> {
    if header.len() > MAX_HEADER_LEN {
        return Err(Problem::ParameterRejected);
    }

    let header = header.trim_start();
    let scheme_end = header
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(header.len());
    if !header[..scheme_end].eq_ignore_ascii_case("OAuth") {
        return Ok(false);
    }

    let mut cursor = Cursor {
        rest: &header[scheme_end..],
    };
    loop {
        cursor.skip_whitespace();
        if cursor.rest.is_empty() {
            break;
        }
        let name = cursor.take_name()?;
        cursor.skip_whitespace();
        cursor.expect('=')?;
        cursor.skip_whitespace();
        let value = cursor.take_value()?;
        visit(name, &value)?;

        cursor.skip_whitespace();
        if !cursor.rest.is_empty() {
            cursor.expect(',')?;
        }
    }
    Ok(true)
}

/// Writes an `Authorization` header value: `OAuth realm="...", name="value", ...`, each name
/// and value percent-encoded (RFC 5849 §3.5.1). `realm` is written as given, quoted.
pub(crate) fn write_header<'a>(
    realm: Option<&str>,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    use crate::encoding::encode_into;

    let mut header = String::with_capacity(512);
    header.push_str("OAuth ");
    let mut separator = "";
    if let Some(realm) = realm {
        header.push_str("realm=\"");
        for c in realm.chars() {
            if c == '\\' || c == '"' {
                header.push('\\');
            }
            header.push(c);
        }
        header.push('"');
        separator = ", ";
    }
    for (name, value) in params {
        header.push_str(separator);
        encode_into(&mut header, name);
        header.push_str("=\"");
        encode_into(&mut header, value);
        header.push('"');
        separator = ", ";
    }
    header
}

fn decode(value: &str) -> Result<String, Problem> {
    percent_decode(value).map_err(|_| Problem::ParameterRejected)
}

struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn skip_whitespace(&mut self) {
        self.rest = self.rest.trim_ascii_start();
    }

    fn expect(&mut self, wanted: char) -> Result<(), Problem> {
        self.rest = self
            .rest
            .strip_prefix(wanted)
            .ok_or(Problem::ParameterRejected)?;
        Ok(())
    }

    fn take_name(&mut self) -> Result<&'a str, Problem> {
        // The delimiters are ASCII, so the first of them is on a character boundary.
        let end = self
            .rest
            .bytes()
            .position(|b| matches!(b, b'=' | b',' | b'"') || b.is_ascii_whitespace())
            .unwrap_or(self.rest.len());
        if end == 0 {
            return Err(Problem::ParameterRejected);
        }
        let (name, rest) = self.rest.split_at(end);
        self.rest = rest;
        Ok(name)
    }

    /// A quoted-string with backslash escapes, or a bare token (RFC 7235 §2.1 allows both,
    /// and some clients leave values unquoted). Borrowed unless it has escapes.
    fn take_value(&mut self) -> Result<Cow<'a, str>, Problem> {
        let Some(quoted) = self.rest.strip_prefix('"') else {
            let end = self
                .rest
                .bytes()
                .position(|b| matches!(b, b',' | b'"') || b.is_ascii_whitespace())
                .unwrap_or(self.rest.len());
            let (value, rest) = self.rest.split_at(end);
            self.rest = rest;
            return Ok(Cow::Borrowed(value));
        };

        // Both bytes are ASCII, so they never fall inside a multi-byte character and the
        // slices below are on character boundaries.
        let stop = quoted.bytes().position(|b| b == b'"' || b == b'\\');
        match stop {
            None => return Err(Problem::ParameterRejected),
            Some(end) if quoted.as_bytes()[end] == b'"' => {
                self.rest = &quoted[end + 1..];
                return Ok(Cow::Borrowed(&quoted[..end]));
            }
            Some(_) => {}
        }
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((index, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &quoted[index + 1..];
                    return Ok(Cow::Owned(value));
                }
                '\\' => value.push(chars.next().ok_or(Problem::ParameterRejected)?.1),
                other => value.push(other),
            }
        }
        Err(Problem::ParameterRejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(header: &str) -> Result<Option<Vec<(String, String)>>, Problem> {
        parse_auth_params(header)
    }

    fn pairs(items: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            items
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn reads_quoted_pairs_with_realm_and_decodes_values() {
        let header = r#"OAuth realm="Example", oauth_consumer_key="a%20b", oauth_token="""#;
        let expected = pairs(&[
            ("realm", "Example"),
            ("oauth_consumer_key", "a b"),
            ("oauth_token", ""),
        ]);
        assert_eq!(parse(header), Ok(expected));
    }

    #[test]
    fn tolerates_whitespace_scheme_case_and_trailing_commas() {
        let header = "  oauth   a = \"1\" ,\tb=\"2\"  ,\r\n c=\"3\",";
        assert_eq!(
            parse(header),
            Ok(pairs(&[("a", "1"), ("b", "2"), ("c", "3")]))
        );
    }

    #[test]
    fn accepts_unquoted_token_values() {
        assert_eq!(
            parse("OAuth a=1, b=x%2By"),
            Ok(pairs(&[("a", "1"), ("b", "x+y")]))
        );
    }

    #[test]
    fn other_schemes_are_not_oauth() {
        assert_eq!(parse("Basic dXNlcjpwYXNz"), Ok(None));
        assert_eq!(parse("OAuthx a=\"b\""), Ok(None));
        assert_eq!(parse(""), Ok(None));
    }

    #[test]
    fn empty_oauth_header_has_no_parameters() {
        assert_eq!(parse("OAuth"), Ok(pairs(&[])));
        assert_eq!(parse("OAuth   "), Ok(pairs(&[])));
    }

    #[test]
    fn malformed_headers_are_rejected() {
        let bad = [
            "OAuth a=\"unterminated",
            "OAuth a",
            "OAuth =\"x\"",
            "OAuth a=\"1\" b=\"2\"",
            "OAuth a=\"%zz\"",
            "OAuth a=\"\\",
            "OAuth a=\"1\"\"",
        ];
        for header in bad {
            assert_eq!(parse(header), Err(Problem::ParameterRejected), "{header}");
        }
    }

    #[test]
    fn escaped_quotes_stay_inside_the_value() {
        assert_eq!(parse(r#"OAuth a="x\"y""#), Ok(pairs(&[("a", "x\"y")])));
    }

    #[test]
    fn oversized_headers_are_rejected_before_parsing() {
        let header = format!("OAuth a=\"{}\"", "x".repeat(MAX_HEADER_LEN));
        assert_eq!(parse(&header), Err(Problem::ParameterRejected));
    }

    #[test]
    fn written_headers_encode_values_and_read_back() {
        let header = write_header(Some("Photos"), [("oauth_token", "a b&c"), ("x", "")]);
        assert_eq!(
            header,
            "OAuth realm=\"Photos\", oauth_token=\"a%20b%26c\", x=\"\""
        );
        assert_eq!(
            parse(&header),
            Ok(pairs(&[
                ("realm", "Photos"),
                ("oauth_token", "a b&c"),
                ("x", "")
            ]))
        );
    }

    #[test]
    fn a_written_realm_escapes_quotes_and_backslashes() {
        let header = write_header(Some(r#"a"b\c"#), [("oauth_nonce", "n")]);
        assert_eq!(header, r#"OAuth realm="a\"b\\c", oauth_nonce="n""#);
        assert_eq!(
            parse(&header),
            Ok(pairs(&[("realm", r#"a"b\c"#), ("oauth_nonce", "n")]))
        );
        assert_eq!(write_header(None, []), "OAuth ");
    }
}
