//! Feeds arbitrary bytes to the parsers of `applinks-oauth1` that face the network: the
//! `Authorization` header, query strings, form bodies and percent-decoding. Any panic is a bug;
//! every input must end as parameters or a `Problem`.

#![no_main]

use applinks_oauth1::{
    IncomingRequest, ProblemReport, SignedRequest, form_decode, parse_auth_params, parse_form,
    percent_decode,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The input is split in three at the first two zero bytes: header, query, body.
    let mut parts = data.splitn(3, |&byte| byte == 0);
    let header = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let body = parts.next().unwrap_or_default();

    let _ = parse_auth_params(&header);
    let _ = parse_form(&query);
    let _ = percent_decode(&query);
    let _ = form_decode(&header);
    let _ = ProblemReport::from_www_authenticate(&header);
    let _ = ProblemReport::from_form_body(&query);

    let request = IncomingRequest {
        method: "POST",
        scheme: "https",
        host: "example.com",
        port: Some(8443),
        path: "/plugins/servlet/oauth/request-token",
        query: Some(&query),
        authorization: Some(&header),
        content_type: Some("application/x-www-form-urlencoded"),
        body,
    };
    if let Ok(signed) = SignedRequest::collect(&request) {
        // The base string is built from whatever was accepted; it must not panic either.
        let _ = signed.base_string();
        let _ = signed
            .protocol()
            .require(&applinks_oauth1::ProtocolParam::SIGNED);
    }
});
