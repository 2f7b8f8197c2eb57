//! Signature costs against the physical limit of SPEC §8 (`openssl speed rsa2048`): RSA-SHA1
//! signing and verification with a 2048-bit key, HMAC-SHA1, and the whole server path of
//! collecting and verifying a realistic signed request. Results go in `docs/performance.md`.

use std::hint::black_box;

use applinks_oauth1::{PrivateKey, Secret, SharedSecrets, SignedRequest, SigningKey, VerifyingKey};
use criterion::{Criterion, criterion_group, criterion_main};
use realistic_request::{incoming, signed_header};

mod realistic_request;

fn rsa(c: &mut Criterion) {
    let private = PrivateKey::generate().unwrap();
    let public = private.public_key();
    let header = signed_header(&SigningKey::RsaSha1(&private));
    let request = SignedRequest::collect(&incoming(&header)).unwrap();
    let base_string = request.base_string();
    let signature = private.sign(&base_string).unwrap();
    let verifying = VerifyingKey::RsaSha1(&public);

    c.bench_function("rsa_sha1_sign_2048", |b| {
        b.iter(|| private.sign(black_box(&base_string)).unwrap())
    });
    c.bench_function("rsa_sha1_verify_2048", |b| {
        b.iter(|| assert!(public.verify(black_box(&base_string), black_box(&signature))))
    });
    c.bench_function("rsa_sha1_collect_and_verify_2048", |b| {
        b.iter(|| {
            let request = SignedRequest::collect(&incoming(black_box(&header))).unwrap();
            request.verify(&verifying).unwrap()
        })
    });
    c.bench_function("rsa_sha1_verify_collected_2048", |b| {
        b.iter(|| black_box(&request).verify(&verifying).unwrap())
    });
    c.bench_function("collect_only", |b| {
        b.iter(|| SignedRequest::collect(&incoming(black_box(&header))).unwrap())
    });
    // Everything a verification does besides the RSA operation and its digest.
    c.bench_function("collect_and_base_string", |b| {
        b.iter(|| {
            SignedRequest::collect(&incoming(black_box(&header)))
                .unwrap()
                .base_string()
        })
    });
}

fn hmac(c: &mut Criterion) {
    let consumer_secret = Secret::new("0fc7d3d1f2a64c2c9bb1a0f7e1b54d9e");
    let token_secret = Secret::new("b3c1f0a8d2e94f7aa6c5d4e3f2a1b0c9");
    let secrets = SharedSecrets {
        consumer_secret: &consumer_secret,
        token_secret: Some(&token_secret),
    };
    let signing = SigningKey::HmacSha1(secrets);
    let header = signed_header(&signing);
    let base_string = SignedRequest::collect(&incoming(&header))
        .unwrap()
        .base_string();

    c.bench_function("hmac_sha1_sign", |b| {
        b.iter(|| signing.sign(black_box(&base_string)).unwrap())
    });
    c.bench_function("hmac_sha1_collect_and_verify", |b| {
        let verifying = VerifyingKey::HmacSha1(secrets);
        b.iter(|| {
            let request = SignedRequest::collect(&incoming(black_box(&header))).unwrap();
            request.verify(&verifying).unwrap()
        })
    });
}

criterion_group!(benches, rsa, hmac);
criterion_main!(benches);
