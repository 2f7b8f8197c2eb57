//! Property tests: whatever a client signs, the server verifies; any change to what was signed
//! (method, scheme, host, port, path, a query or form parameter, the token, the timestamp)
//! makes verification fail; and the network-facing parsers never panic.

use std::sync::OnceLock;

use applinks_oauth1::{
    ClientRequest, IncomingRequest, PrivateKey, Problem, PublicKey, Secret, SharedSecrets,
    SignedRequest, SigningKey, Url, VerifyingKey, form_decode, parse_auth_params, parse_form,
    percent_decode, percent_encode,
};
use proptest::prelude::*;

/// One 2048-bit key for every RSA case: generating it is far slower than any test case.
fn rsa_key() -> &'static (PrivateKey, PublicKey) {
    static KEY: OnceLock<(PrivateKey, PublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = PrivateKey::generate().unwrap();
        let public = private.public_key();
        (private, public)
    })
}

#[derive(Debug, Clone)]
struct Case {
    method: String,
    scheme: &'static str,
    host: String,
    port: Option<u16>,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    token: Option<String>,
    timestamp: u64,
    nonce: String,
}

/// What the server received, owned so that tests can change one part at a time.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    scheme: String,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    header: String,
    body: String,
}

impl Received {
    fn collect(&self) -> Result<SignedRequest, Problem> {
        SignedRequest::collect(&IncomingRequest {
            method: &self.method,
            scheme: &self.scheme,
            host: &self.host,
            port: self.port,
            path: &self.path,
            query: self.query.as_deref(),
            authorization: Some(&self.header),
            content_type: Some("application/x-www-form-urlencoded"),
            body: self.body.as_bytes(),
        })
    }

    fn verify(&self, key: &VerifyingKey<'_>) -> Result<(), Problem> {
        self.collect()?.verify(key)
    }
}

fn form_encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs `case` as a client and returns what the server receives.
fn sign(case: &Case, key: &SigningKey<'_>) -> Received {
    let port = case.port.map(|port| format!(":{port}")).unwrap_or_default();
    let query = form_encode(&case.query);
    let url = format!("{}://{}{port}{}?{query}", case.scheme, case.host, case.path);
    let form: Vec<(&str, &str)> = case
        .form
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();

    let header = ClientRequest {
        method: &case.method,
        url: &url,
        form: &form,
        realm: Some("https://realm.example/"),
        consumer_key: "consumer",
        token: case.token.as_deref(),
        timestamp: case.timestamp,
        nonce: &case.nonce,
        ..ClientRequest::default()
    }
    .authorization_header(key)
    .unwrap();

    let parsed = Url::parse(&url).unwrap();
    Received {
        method: case.method.clone(),
        scheme: parsed.scheme().to_owned(),
        host: parsed.host_str().unwrap().to_owned(),
        port: case.port,
        path: parsed.path().to_owned(),
        query: parsed.query().map(str::to_owned),
        header,
        body: form_encode(&case.form),
    }
}

/// Every single-part change of a signed request that must break its signature.
fn tampered(case: &Case, received: &Received) -> Vec<(&'static str, Received)> {
    let mut changes = Vec::new();
    let mut change = |what, edit: &dyn Fn(&mut Received)| {
        let mut copy = received.clone();
        edit(&mut copy);
        changes.push((what, copy));
    };

    change("method", &|r| {
        r.method = if r.method.eq_ignore_ascii_case("GET") {
            "POST"
        } else {
            "GET"
        }
        .into()
    });
    change("scheme", &|r| {
        r.scheme = if r.scheme == "http" { "https" } else { "http" }.into()
    });
    change("host", &|r| r.host.insert(0, 'x'));
    change("port", &|r| {
        r.port = Some(if r.port == Some(8443) { 9443 } else { 8443 })
    });
    change("path", &|r| r.path.push('x'));
    change("query", &|r| {
        let query = r.query.get_or_insert_with(String::new);
        query.push_str("&tampered=1");
    });
    change("form", &|r| r.body.push_str("&tampered=1"));
    if !case.query.is_empty() {
        change("query value", &|r| {
            let mut pairs = parse_form(r.query.as_deref().unwrap()).unwrap();
            pairs[0].1.push('x');
            r.query = Some(form_encode(&pairs));
        });
    }
    if !case.form.is_empty() {
        change("form value", &|r| {
            let mut pairs = parse_form(&r.body).unwrap();
            pairs[0].1.push('x');
            r.body = form_encode(&pairs);
        });
    }
    change("token", &|r| match &case.token {
        Some(token) => {
            let sent = format!("oauth_token=\"{}\"", percent_encode(token));
            let changed = format!("oauth_token=\"{}x\"", percent_encode(token));
            r.header = r.header.replacen(&sent, &changed, 1);
        }
        None => r.header.push_str(", oauth_token=\"x\""),
    });
    change("timestamp", &|r| {
        let sent = format!("oauth_timestamp=\"{}\"", case.timestamp);
        let changed = format!("oauth_timestamp=\"{}\"", case.timestamp + 1);
        r.header = r.header.replacen(&sent, &changed, 1);
    });
    changes
}

fn any_parameters() -> impl Strategy<Value = Vec<(String, String)>> {
    // Names never start with `oauth_`, which would clash with the protocol parameters.
    prop::collection::vec(("[a-z][a-z0-9_ +%&=.~-]{0,8}", any::<String>()), 0..4)
}

fn any_case() -> impl Strategy<Value = Case> {
    let path_segment = ("[a-z]", ".{0,6}").prop_map(|(first, rest)| first + &percent_encode(&rest));
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "get"]),
        prop::sample::select(vec!["http", "https"]),
        "[a-z]{1,10}\\.(example|test)",
        prop::option::of(prop::sample::select(vec![80u16, 443, 8080, 8443])),
        prop::collection::vec(path_segment, 0..4),
        any_parameters(),
        any_parameters(),
        prop::option::of("[a-zA-Z0-9 ._=+-]{0,16}"),
        0u64..=99_999_999_999,
        "[a-zA-Z0-9]{1,32}",
    )
        .prop_map(
            |(method, scheme, host, port, segments, query, form, token, timestamp, nonce)| Case {
                method: method.to_owned(),
                scheme,
                host,
                port,
                path: segments.iter().map(|s| format!("/{s}")).collect(),
                query,
                form,
                token,
                timestamp,
                nonce,
            },
        )
}

fn assert_round_trip_and_tamper_detection(
    case: &Case,
    signing: &SigningKey<'_>,
    verifying: &VerifyingKey<'_>,
    sensitive: &dyn Fn(&str) -> bool,
) -> Result<(), TestCaseError> {
    let received = sign(case, signing);
    prop_assert_eq!(received.verify(verifying), Ok(()), "{:?}", received);

    for (what, changed) in tampered(case, &received) {
        if sensitive(what) {
            prop_assert_eq!(
                changed.verify(verifying),
                Err(Problem::SignatureInvalid),
                "changing the {} still verified: {:?}",
                what,
                changed
            );
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn hmac_sign_then_verify(
        case in any_case(),
        cs in ".{0,12}",
        ts in prop::option::of(".{0,12}"),
    ) {
        let consumer = Secret::new(cs);
        let token = ts.map(Secret::new);
        let secrets = SharedSecrets { consumer_secret: &consumer, token_secret: token.as_ref() };
        assert_round_trip_and_tamper_detection(
            &case,
            &SigningKey::HmacSha1(secrets),
            &VerifyingKey::HmacSha1(secrets),
            &|_| true,
        )?;
    }

    #[test]
    fn plaintext_sign_then_verify(case in any_case(), cs in ".{0,12}", ts in ".{0,12}") {
        let consumer = Secret::new(cs);
        let token = Secret::new(ts);
        let secrets = SharedSecrets { consumer_secret: &consumer, token_secret: Some(&token) };
        // PLAINTEXT signs nothing but the secrets (RFC 5849 §3.4.4), so only the round trip
        // and a wrong secret are checked.
        assert_round_trip_and_tamper_detection(
            &case,
            &SigningKey::Plaintext(secrets),
            &VerifyingKey::Plaintext(secrets),
            &|_| false,
        )?;
        let wrong = Secret::new(format!("{}x", consumer.expose()));
        let received = sign(&case, &SigningKey::Plaintext(secrets));
        let wrong_secrets = SharedSecrets { consumer_secret: &wrong, ..secrets };
        let wrong_key = VerifyingKey::Plaintext(wrong_secrets);
        prop_assert_eq!(received.verify(&wrong_key), Err(Problem::SignatureInvalid));
    }

    #[test]
    fn hmac_and_plaintext_signatures_never_verify_against_an_rsa_key(case in any_case()) {
        let (_, public) = rsa_key();
        let secret = Secret::new("s");
        let secrets = SharedSecrets { consumer_secret: &secret, token_secret: None };
        for signing in [SigningKey::HmacSha1(secrets), SigningKey::Plaintext(secrets)] {
            let received = sign(&case, &signing);
            prop_assert_eq!(
                received.verify(&VerifyingKey::RsaSha1(public)),
                Err(Problem::SignatureMethodRejected)
            );
        }
    }
}

proptest! {
    // Each case costs a 2048-bit signature; fewer cases keep the suite quick.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rsa_sign_then_verify(case in any_case()) {
        let (private, public) = rsa_key();
        assert_round_trip_and_tamper_detection(
            &case,
            &SigningKey::RsaSha1(private),
            &VerifyingKey::RsaSha1(public),
            &|_| true,
        )?;
    }
}

/// Header-like strings: an OAuth scheme and fragments that stress quoting and separators.
fn header_like() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "oauth_nonce",
        "realm",
        "=",
        "\"",
        ",",
        " ",
        "\\",
        "%",
        "%2",
        "%zz",
        "%C3",
        "oauth_token",
        "a",
        "\t",
        "oauth_version=\"2\"",
        "oauth_signature_method=\"x\"",
        "oauth_timestamp=\"-1\"",
    ]);
    (
        prop::sample::select(vec!["OAuth ", "oauth", "Basic ", ""]),
        prop::collection::vec(
            prop_oneof![fragment.prop_map(str::to_owned), ".{0,4}"],
            0..40,
        ),
    )
        .prop_map(|(scheme, parts)| format!("{scheme}{}", parts.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parsers_never_panic(
        header in prop_oneof![header_like(), any::<String>()],
        query in any::<String>(),
        body in any::<Vec<u8>>(),
        text in any::<String>(),
    ) {
        let _ = parse_auth_params(&header);
        let _ = parse_form(&query);
        let _ = percent_decode(&text);
        let _ = form_decode(&text);
        let _ = SignedRequest::collect(&IncomingRequest {
            method: "POST",
            scheme: "https",
            host: "example.com",
            path: "/",
            query: Some(&query),
            authorization: Some(&header),
            content_type: Some("application/x-www-form-urlencoded"),
            body: &body,
            ..IncomingRequest::default()
        });
    }

    #[test]
    fn encoding_round_trips(text in any::<String>()) {
        prop_assert_eq!(percent_decode(&percent_encode(&text)), Ok(text.clone()));
        prop_assert_eq!(form_decode(&percent_encode(&text)), Ok(text));
    }

    #[test]
    fn decoding_matches_a_byte_at_a_time_reading(
        pieces in prop::collection::vec(
            prop_oneof![
                Just("a".to_owned()), Just("+".to_owned()), Just("%".to_owned()),
                Just("%4".to_owned()), Just("%2b".to_owned()), Just("%C3%BC".to_owned()),
                Just("%FF".to_owned()), Just("ü".to_owned()), "[a-z0-9%+]{1,4}",
            ],
            0..12,
        ),
    ) {
        let text = pieces.concat();
        prop_assert_eq!(percent_decode(&text).ok(), slow_decode(&text, false));
        prop_assert_eq!(form_decode(&text).ok(), slow_decode(&text, true));
    }

    #[test]
    fn encoding_matches_a_byte_at_a_time_writing(
        text in prop_oneof![any::<String>(), "[a-zA-Z0-9._~ %+&=/ü-]{0,24}"],
    ) {
        prop_assert_eq!(percent_encode(&text), slow_encode(&text));
    }
}

/// Percent-encoding as RFC 5849 §3.6 reads, one byte at a time.
fn slow_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Percent-decoding as the RFC reads, one byte at a time: the reference the fast decoder must
/// agree with.
fn slow_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}
