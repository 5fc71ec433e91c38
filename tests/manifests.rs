//! Runs the HLS cases of `tests/vectors/manifests.json` through the core's filter. The expected
//! outputs were written by hand from RFC 8216 and checked with m3u8-parser
//! (`tests/tools/check-manifest-vectors.mjs`); the DASH cases wait for the DASH filter.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/vectors.rs"]
mod vectors_support;

use playgate::manifest::filter_hls;
use playgate::test_support::base64::{decode, Alphabet};
use playgate::Quality;
use serde_json::Value;

fn input(case: &Value) -> Vec<u8> {
    match (&case["input"], &case["inputBase64"]) {
        (Value::String(text), _) => text.as_bytes().to_vec(),
        (_, Value::String(b64)) => decode(b64, Alphabet::StandardStrict).unwrap(),
        _ => panic!("{}: no input", case["name"]),
    }
}

#[test]
fn hls_vectors() {
    let file = vectors_support::load("manifests.json");
    let mut ran = 0;
    for case in vectors_support::cases(&file) {
        let name = case["name"].as_str().unwrap();
        if !name.starts_with("HLS ") {
            continue;
        }
        let cap = match &case["maxQuality"] {
            Value::Null => None,
            Value::String(q) => Some(Quality::parse(q).unwrap()),
            other => panic!("{name}: maxQuality {other}"),
        };
        let got = filter_hls(&input(case), cap);
        if let Some(error) = case.get("expectError") {
            let e = got.expect_err(name);
            assert_eq!(e.code().as_str(), error["code"], "{name}: {}", e.message());
            if let Some(line) = error.get("where").and_then(Value::as_u64) {
                assert!(
                    e.message().starts_with(&format!("line {line}:")),
                    "{name}: {}",
                    e.message()
                );
            }
        } else {
            let expect = &case["expect"];
            let got = got.unwrap_or_else(|e| panic!("{name}: {}", e.message()));
            assert_eq!(got.format.as_str(), expect["format"], "{name}");
            assert_eq!(got.text, expect["text"].as_str().unwrap(), "{name}");
            assert_eq!(u64::from(got.kept), expect["kept"], "{name}: kept");
            assert_eq!(u64::from(got.removed), expect["removed"], "{name}: removed");
            // Idempotent: the output filtered again is itself, nothing removed.
            let again = filter_hls(got.text.as_bytes(), cap).unwrap();
            assert_eq!(
                (again.text.as_str(), again.removed),
                (got.text.as_str(), 0),
                "{name}: again"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 32, "HLS cases run");
}
