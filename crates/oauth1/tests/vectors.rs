//! Every vector of `shared/vectors/oauth1-vectors.md`, in the order of that file: percent
//! encoding, normalisation, base string URIs, the RFC 5849 requests, the OAuth wiki and Eran
//! Hammer-Lahav's cases, and the RSA-SHA1 vectors with their keys (in `tests/fixtures/`).

use applinks_oauth1::{
    ClientRequest, IncomingRequest, PrivateKey, Problem, PublicKey, Secret, SharedSecrets,
    SignatureMethod, SignedRequest, SigningKey, Url, VerifyingKey, base_string_uri_of_url,
    normalize_parameters, parse_form, percent_encode, signature_base_string,
};

const WIKI_PRIVATE_KEY: &str = include_str!("fixtures/wiki_private_key_pkcs8.pem");
const WIKI_CERTIFICATE: &str = include_str!("fixtures/wiki_certificate.pem");
const OAUTHLIB_PRIVATE_KEY: &str = include_str!("fixtures/oauthlib_private_key_pkcs1.pem");
const OAUTHLIB_PUBLIC_KEY: &str = include_str!("fixtures/oauthlib_public_key_pkcs1.pem");

/// The base string of the RFC 5849 §3.1 request, shared by sections 2 and 7.
const RFC_BASE_STRING: &str = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
    %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2\
    %26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201\
    %26oauth_token%3Dkkk9d7dh3k39sjv7";

fn secrets<'a>(consumer: &'a Secret, token: Option<&'a Secret>) -> SharedSecrets<'a> {
    SharedSecrets {
        consumer_secret: consumer,
        token_secret: token,
    }
}

/// HMAC-SHA1 of `base_string` keyed by `enc(cs)&enc(ts)`, in base64.
fn hmac(consumer_secret: &str, token_secret: Option<&str>, base_string: &str) -> String {
    let consumer = Secret::new(consumer_secret);
    let token = token_secret.map(Secret::new);
    let key = SigningKey::HmacSha1(secrets(&consumer, token.as_ref()));
    key.sign(base_string).unwrap().expose().to_owned()
}

fn verify_hmac(
    request: &SignedRequest,
    consumer_secret: &str,
    token_secret: Option<&str>,
) -> Result<(), Problem> {
    let consumer = Secret::new(consumer_secret);
    let token = token_secret.map(Secret::new);
    request.verify(&VerifyingKey::HmacSha1(secrets(&consumer, token.as_ref())))
}

/// Collects a request from a parsed URL, as a server would see it.
fn collect(method: &str, url: &str, header: &str, form_body: &str) -> SignedRequest {
    let url = Url::parse(url).unwrap();
    SignedRequest::collect(&IncomingRequest {
        method,
        scheme: url.scheme(),
        host: url.host_str().unwrap(),
        port: url.port(),
        path: url.path(),
        query: url.query(),
        authorization: Some(header),
        content_type: Some("application/x-www-form-urlencoded"),
        body: form_body.as_bytes(),
    })
    .unwrap()
}

// Section 1: percent-encoding, normalisation, base string URIs.

#[test]
fn percent_encoding_table() {
    let table = [
        ("abcABC123", "abcABC123"),
        ("-._~", "-._~"),
        ("%", "%25"),
        ("+", "%2B"),
        ("&=*", "%26%3D%2A"),
        ("\u{000A}", "%0A"),
        ("\u{0020}", "%20"),
        ("\u{007F}", "%7F"),
        ("\u{0080}", "%C2%80"),
        ("\u{3001}", "%E3%80%81"),
        ("erks823*43=asd&123ls%23", "erks823%2A43%3Dasd%26123ls%2523"),
        ("dis9$#$Js009%==", "dis9%24%23%24Js009%25%3D%3D"),
        (
            "taken with a 30% orange filter",
            "taken%20with%20a%2030%25%20orange%20filter",
        ),
    ];
    for (input, encoded) in table {
        assert_eq!(percent_encode(input), encoded, "{input:?}");
    }
}

#[test]
fn parameter_normalisation_cases() {
    let cases = [
        ("a=x!y&a=x+y", "a=x%20y&a=x%21y"),
        ("x!y=a&x=a", "x=a&x%21y=a"),
        ("name", "name="),
    ];
    for (query, normalised) in cases {
        let pairs = parse_form(query).unwrap();
        let pairs = pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        assert_eq!(normalize_parameters(pairs), normalised, "{query}");
    }
}

#[test]
fn base_string_uri_cases() {
    let cases = [
        (
            "http://EXAMPLE.COM:80/r v/X?id=123",
            "http://example.com/r%20v/X",
        ),
        (
            "https://www.example.net:8080/?q=1",
            "https://www.example.net:8080/",
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(base_string_uri_of_url(&Url::parse(url).unwrap()), expected);
    }
}

#[test]
fn empty_path_becomes_slash_in_the_base_string() {
    let request = SignedRequest::collect(&IncomingRequest {
        method: "GET",
        scheme: "http",
        host: "example.com",
        path: "",
        query: Some("n=v"),
        ..IncomingRequest::default()
    })
    .unwrap();
    assert_eq!(
        request.base_string(),
        "GET&http%3A%2F%2Fexample.com%2F&n%3Dv"
    );

    let url = Url::parse("http://example.com?n=v").unwrap();
    let from_url = signature_base_string("GET", &base_string_uri_of_url(&url), [("n", "v")]);
    assert_eq!(from_url, "GET&http%3A%2F%2Fexample.com%2F&n%3Dv");
}

// Section 2: RFC 5849 §3.1 / §3.4.1.

fn rfc_request(signature: &str) -> SignedRequest {
    let header = format!(
        "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", \
         oauth_token=\"kkk9d7dh3k39sjv7\",\r\n  oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\", oauth_signature=\"{}\"",
        percent_encode(signature)
    );
    collect(
        "POST",
        "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        &header,
        "c2&a3=2+q",
    )
}

#[test]
fn rfc_3_1_request_normalises_and_builds_the_rfc_base_string() {
    let request = rfc_request("unused");
    let pairs = request.parameters();
    assert_eq!(
        normalize_parameters(pairs),
        "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2\
         &oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201\
         &oauth_token=kkk9d7dh3k39sjv7"
    );
    assert_eq!(request.base_string(), RFC_BASE_STRING);
}

#[test]
fn rfc_3_1_request_signs_as_the_erratum_says() {
    let signature = "r6/TJjbCOr97/+UU0NsvSne7s5g=";
    assert_eq!(
        hmac("j49sk3j29djd", Some("dh893hdasih9"), RFC_BASE_STRING),
        signature
    );
    let request = rfc_request(signature);
    assert_eq!(
        verify_hmac(&request, "j49sk3j29djd", Some("dh893hdasih9")),
        Ok(())
    );

    // The value printed in the RFC does not match its own secrets (see the vectors file).
    let printed = rfc_request("bYT5CMsGcbgUdFHObYMEfcx6bsw=");
    assert_eq!(
        verify_hmac(&printed, "j49sk3j29djd", Some("dh893hdasih9")),
        Err(Problem::SignatureInvalid)
    );
}

// Section 3: the RFC 5849 §1.2 walk-through, where the scheme matters.

struct WalkThroughStep {
    method: &'static str,
    /// URL without the scheme, which each test supplies.
    url: &'static str,
    header: &'static str,
    base_string: &'static str,
    token_secret: Option<&'static str>,
    signature: &'static str,
    signature_with_other_scheme: &'static str,
    scheme: &'static str,
    other_scheme: &'static str,
}

const PHOTOS_CONSUMER_SECRET: &str = "kd94hf93k423kf44";

const WALK_THROUGH: [WalkThroughStep; 3] = [
    WalkThroughStep {
        method: "POST",
        url: "photos.example.net/initiate",
        header: "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
                 oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", \
                 oauth_nonce=\"wIjqoS\", \
                 oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\"",
        base_string: "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A\
                      %252F%252Fprinter.example.com%252Fready\
                      %26oauth_consumer_key%3Ddpf43f3p2l4k3l03\
                      %26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1\
                      %26oauth_timestamp%3D137131200",
        token_secret: None,
        signature: "74KNZJeDHnMBp0EMJ9ZHt/XKycU=",
        signature_with_other_scheme: "mIPx9sQqO97OuihOwUEyB7c4/GI=",
        scheme: "https",
        other_scheme: "http",
    },
    WalkThroughStep {
        method: "POST",
        url: "photos.example.net/token",
        header: "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
                 oauth_token=\"hh5s93j4hdidpola\", oauth_signature_method=\"HMAC-SHA1\", \
                 oauth_timestamp=\"137131201\", oauth_nonce=\"walatlh\", \
                 oauth_verifier=\"hfdp7dh39dks9884\"",
        base_string: "POST&https%3A%2F%2Fphotos.example.net%2Ftoken&oauth_consumer_key\
                      %3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dwalatlh%26oauth_signature_method\
                      %3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dhh5s93j4hdidpola\
                      %26oauth_verifier%3Dhfdp7dh39dks9884",
        token_secret: Some("hdhd0244k9j7ao03"),
        signature: "gKgrFCywp7rO0OXSjdot/IHF7IU=",
        signature_with_other_scheme: "ZgObLakjujpjYvaFipAou+ED/Ks=",
        scheme: "https",
        other_scheme: "http",
    },
    WalkThroughStep {
        method: "GET",
        url: "photos.example.net/photos?file=vacation.jpg&size=original",
        header: "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
                 oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", \
                 oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\"",
        base_string: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg\
                      %26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH\
                      %26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202\
                      %26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
        token_secret: Some("pfkkdhi9sl3r4s00"),
        signature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
        signature_with_other_scheme: "91yh92rtXzicpezVYjTDNzieVps=",
        scheme: "http",
        other_scheme: "https",
    },
];

fn walk_through_request(step: &WalkThroughStep, scheme: &str, signature: &str) -> SignedRequest {
    let header = format!(
        "{}, oauth_signature=\"{}\"",
        step.header,
        percent_encode(signature)
    );
    collect(
        step.method,
        &format!("{scheme}://{}", step.url),
        &header,
        "",
    )
}

#[test]
fn rfc_1_2_walk_through_base_strings_and_signatures() {
    for step in &WALK_THROUGH {
        let request = walk_through_request(step, step.scheme, step.signature);
        assert_eq!(request.base_string(), step.base_string, "{}", step.url);
        assert_eq!(
            hmac(PHOTOS_CONSUMER_SECRET, step.token_secret, step.base_string),
            step.signature
        );
        assert_eq!(
            verify_hmac(&request, PHOTOS_CONSUMER_SECRET, step.token_secret),
            Ok(()),
            "{}",
            step.url
        );
    }
}

#[test]
fn rfc_1_2_walk_through_fails_with_the_other_scheme() {
    for step in &WALK_THROUGH {
        // The right signature sent to the wrong scheme does not verify...
        let wrong_scheme = walk_through_request(step, step.other_scheme, step.signature);
        assert_eq!(
            verify_hmac(&wrong_scheme, PHOTOS_CONSUMER_SECRET, step.token_secret),
            Err(Problem::SignatureInvalid),
            "{}",
            step.url
        );
        // ...and what that scheme signs to is the negative vector, which only verifies there.
        let other = wrong_scheme.base_string();
        assert_eq!(
            hmac(PHOTOS_CONSUMER_SECRET, step.token_secret, &other),
            step.signature_with_other_scheme
        );
        let other_signed =
            walk_through_request(step, step.other_scheme, step.signature_with_other_scheme);
        assert_eq!(
            verify_hmac(&other_signed, PHOTOS_CONSUMER_SECRET, step.token_secret),
            Ok(())
        );
        let misdirected = walk_through_request(step, step.scheme, step.signature_with_other_scheme);
        assert_eq!(
            verify_hmac(&misdirected, PHOTOS_CONSUMER_SECRET, step.token_secret),
            Err(Problem::SignatureInvalid)
        );
    }
}

#[test]
fn rfc_plaintext_signatures() {
    let client = Secret::new("ja893SD9");
    let temp = Secret::new("xyz4992k83j47x0b");
    let without_token = SigningKey::Plaintext(secrets(&client, None));
    let with_token = SigningKey::Plaintext(secrets(&client, Some(&temp)));

    assert_eq!(without_token.sign("ignored").unwrap().expose(), "ja893SD9&");
    assert_eq!(
        with_token.sign("ignored").unwrap().expose(),
        "ja893SD9&xyz4992k83j47x0b"
    );

    let header = ClientRequest {
        method: "POST",
        url: "https://photos.example.net/initiate",
        consumer_key: "dpf43f3p2l4k3l03",
        nonce: "n",
        timestamp: 1,
        ..ClientRequest::default()
    }
    .authorization_header(&without_token)
    .unwrap();
    assert!(
        header.contains("oauth_signature=\"ja893SD9%26\""),
        "{header}"
    );

    let request = collect("POST", "https://photos.example.net/initiate", &header, "");
    let verifying = VerifyingKey::Plaintext(secrets(&client, None));
    assert_eq!(request.verify(&verifying), Ok(()));
    let wrong = Secret::new("ja893SD8");
    assert_eq!(
        request.verify(&VerifyingKey::Plaintext(secrets(&wrong, None))),
        Err(Problem::SignatureInvalid)
    );
}

// Section 4: OAuth Core 1.0 Appendix A.5 and raw HMAC.

const A5_BASE_STRING: &str = "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg\
    %26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh\
    %26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096\
    %26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal";

#[test]
fn appendix_a5_through_the_client_and_the_server() {
    let consumer = Secret::new(PHOTOS_CONSUMER_SECRET);
    let token = Secret::new("pfkkdhi9sl3r4s00");
    let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
    assert_eq!(
        hmac(
            PHOTOS_CONSUMER_SECRET,
            Some("pfkkdhi9sl3r4s00"),
            A5_BASE_STRING
        ),
        "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
    );

    let header = ClientRequest {
        method: "GET",
        url,
        consumer_key: "dpf43f3p2l4k3l03",
        token: Some("nnch734d00sl2jdk"),
        timestamp: 1_191_242_096,
        nonce: "kllo9940pd9333jh",
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::HmacSha1(secrets(&consumer, Some(&token))))
    .unwrap();
    assert_eq!(
        header,
        "OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_token=\"nnch734d00sl2jdk\", \
         oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1191242096\", \
         oauth_nonce=\"kllo9940pd9333jh\", oauth_version=\"1.0\", \
         oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\""
    );

    let request = collect("GET", url, &header, "");
    assert_eq!(request.base_string(), A5_BASE_STRING);
    assert_eq!(
        verify_hmac(&request, PHOTOS_CONSUMER_SECRET, Some("pfkkdhi9sl3r4s00")),
        Ok(())
    );
}

#[test]
fn raw_hmac_vectors() {
    assert_eq!(hmac("cs", None, "bs"), "egQqG5AJep5sJ7anhXju1unge2I=");
    assert_eq!(hmac("cs", Some("ts"), "bs"), "VZVjXceV7JgPq/dOTnNmEfO0Fv8=");
}

// Section 5: Eran Hammer-Lahav's case, with special characters in keys and secrets.

#[test]
fn erans_case_with_special_characters() {
    let base_string = "GET&http%3A%2F%2Fexample.com%2Fphoto&file%3Dmountain%2520%2526%2520water\
        %2520view%26format%3Djpeg%26include%3Daperture%26include%3Ddate%26oauth_consumer_key\
        %3D1234%253Dasdf%253D4567%26oauth_nonce%3D3jd834jd9%26oauth_signature_method\
        %3DHMAC-SHA1%26oauth_timestamp%3D12303202302%26oauth_token%3Dasdf-4354%253Dasew-5698\
        %26oauth_version%3D1.0%26title%3Dtaken%2520with%2520a%252030%2525%2520orange\
        %2520filter";
    let signature = "jMdUSR1vOr3SzNv3gZ5DDDuGirA=";
    let consumer_secret = "erks823*43=asd&123ls%23";
    let token_secret = "dis9$#$Js009%==";
    assert_eq!(
        hmac(consumer_secret, Some(token_secret), base_string),
        signature
    );

    let url = "http://example.com:80/photo?title=taken%20with%20a%2030%25%20orange%20filter\
               &file=mountain%20%26%20water%20view&format=jpeg&include=date&include=aperture";
    let consumer = Secret::new(consumer_secret);
    let token = Secret::new(token_secret);
    let header = ClientRequest {
        method: "GET",
        url,
        consumer_key: "1234=asdf=4567",
        token: Some("asdf-4354=asew-5698"),
        timestamp: 12_303_202_302,
        nonce: "3jd834jd9",
        ..ClientRequest::default()
    }
    .authorization_header(&SigningKey::HmacSha1(secrets(&consumer, Some(&token))))
    .unwrap();
    assert!(
        header.contains(&format!(
            "oauth_signature=\"{}\"",
            percent_encode(signature)
        )),
        "{header}"
    );

    let request = collect("GET", url, &header, "");
    assert_eq!(request.base_string(), base_string);
    assert_eq!(
        request.protocol().consumer_key.as_deref(),
        Some("1234=asdf=4567")
    );
    assert_eq!(
        verify_hmac(&request, consumer_secret, Some(token_secret)),
        Ok(())
    );
}

// Section 6: the OAuth wiki's RSA-SHA1 case (the "vacaction" typo is part of the vector).

const WIKI_RSA_BASE_STRING: &str = "GET&http%3A%2F%2Fphotos.example.net%2Fphotos\
    &file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03\
    %26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1\
    %26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal";

const WIKI_RSA_SIGNATURE: &str = "jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5\
    wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5tw\
    t399mXwaYdCwFYE=";

#[test]
fn wiki_rsa_signature_is_reproduced_with_the_pkcs8_key() {
    let key = PrivateKey::from_pem(WIKI_PRIVATE_KEY).unwrap();
    assert_eq!(key.bits(), 1024);
    assert_eq!(key.sign(WIKI_RSA_BASE_STRING).unwrap(), WIKI_RSA_SIGNATURE);
}

#[test]
fn wiki_rsa_signature_verifies_with_the_certificate() {
    let certificate_key = PublicKey::parse(WIKI_CERTIFICATE).unwrap();
    assert!(certificate_key.verify(WIKI_RSA_BASE_STRING, WIKI_RSA_SIGNATURE));
    assert!(!certificate_key.verify(
        &WIKI_RSA_BASE_STRING.replace("GET", "PUT"),
        WIKI_RSA_SIGNATURE
    ));

    let private = PrivateKey::from_pem(WIKI_PRIVATE_KEY).unwrap();
    assert_eq!(private.public_key(), certificate_key);

    // The same request, through the server's path.
    let header = format!(
        "OAuth oauth_consumer_key=\"dpf43f3p2l4k3l03\", oauth_signature_method=\"RSA-SHA1\", \
         oauth_timestamp=\"1196666512\", oauth_nonce=\"13917289812797014437\", \
         oauth_version=\"1.0\", oauth_signature=\"{}\"",
        percent_encode(WIKI_RSA_SIGNATURE)
    );
    let request = collect(
        "GET",
        "http://photos.example.net/photos?file=vacaction.jpg&size=original",
        &header,
        "",
    );
    assert_eq!(request.base_string(), WIKI_RSA_BASE_STRING);
    assert_eq!(
        request.verify(&VerifyingKey::RsaSha1(&certificate_key)),
        Ok(())
    );

    // An RSA consumer never accepts a shared-secret method, whatever the request claims.
    let secret = Secret::new("");
    assert_eq!(
        request.verify(&VerifyingKey::HmacSha1(secrets(&secret, None))),
        Err(Problem::SignatureMethodRejected)
    );
}

#[test]
fn public_keys_survive_every_accepted_format() {
    let key = PublicKey::parse(WIKI_CERTIFICATE).unwrap();
    let base64_der = key.to_base64_der();
    assert!(!base64_der.contains('\n') && !base64_der.contains("BEGIN"));

    // Consumer-info documents wrap the base64 over lines and indent it.
    let wrapped: String = base64_der
        .as_bytes()
        .chunks(64)
        .map(|line| format!("\n    {}", std::str::from_utf8(line).unwrap()))
        .collect();
    assert_eq!(PublicKey::parse(&wrapped).unwrap(), key);
    assert_eq!(PublicKey::parse(&key.to_pem()).unwrap(), key);

    let private = PrivateKey::from_pem(WIKI_PRIVATE_KEY).unwrap();
    let pem = private.to_pkcs8_pem().unwrap();
    assert_eq!(format!("{pem:?}"), "<redacted>");
    let reread = PrivateKey::from_pem(pem.expose()).unwrap();
    assert_eq!(
        reread.sign(WIKI_RSA_BASE_STRING).unwrap(),
        WIKI_RSA_SIGNATURE
    );
}

// Section 7: oauthlib's vectors.

const OAUTHLIB_RSA_SIGNATURE: &str = "mFY2KOEnlYWsTvUA+5kxuBIcvBYXu+ljw9ttVJQxKduMueGSVPCB1tK1Pl\
    qVLK738HK0t19ecBJfb6rMxUwrriw+MlBO+jpojkZIWccw1J4cAb4qu4M81DbpUAq4j/1w/QyTR4TWCODlEfN7Zfgy8+\
    pf+TjiXfIwRC1jEWbuL1E=";

#[test]
fn oauthlib_rsa_vector_with_pkcs1_keys() {
    let private = PrivateKey::from_pem(OAUTHLIB_PRIVATE_KEY).unwrap();
    assert_eq!(
        private.sign(RFC_BASE_STRING).unwrap(),
        OAUTHLIB_RSA_SIGNATURE
    );

    let public = PublicKey::parse(OAUTHLIB_PUBLIC_KEY).unwrap();
    assert_eq!(private.public_key(), public);
    assert!(public.verify(RFC_BASE_STRING, OAUTHLIB_RSA_SIGNATURE));

    let key = VerifyingKey::RsaSha1(&public);
    let signature = Secret::new(OAUTHLIB_RSA_SIGNATURE);
    assert_eq!(
        key.verify(SignatureMethod::RsaSha1, RFC_BASE_STRING, &signature),
        Ok(())
    );
    assert_eq!(
        key.verify(
            SignatureMethod::RsaSha1,
            &RFC_BASE_STRING.replace("POST", "GET"),
            &signature
        ),
        Err(Problem::SignatureInvalid)
    );
}

#[test]
fn oauthlib_hmac_vector() {
    assert_eq!(
        hmac(
            "ECrDNoq1VYzzzzzzzzzyAK7TwZNtPnkqatqZZZZ",
            Some("just-a-string    asdasd"),
            RFC_BASE_STRING
        ),
        "wsdNmjGB7lvis0UJuPAmjvX/PXw="
    );
}
