//! Runs `tests/vectors/manifests.json` through the core's filter. The expected outputs were
//! written by hand from RFC 8216 and ISO/IEC 23009-1 and checked with m3u8-parser and
//! fast-xml-parser (`tests/tools/check-manifest-vectors.mjs`). The cases about the JS API's
//! `maxQuality` argument (not a quality, missing) are the package tests'.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/vectors.rs"]
mod vectors_support;

use playgate::manifest::filter_manifest;
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
fn manifest_vectors() {
    let file = vectors_support::load("manifests.json");
    let mut ran = 0;
    for case in vectors_support::cases(&file) {
        let name = case["name"].as_str().unwrap();
        let cap = match case.get("maxQuality") {
            Some(Value::Null) => None,
            Some(Value::String(q)) if Quality::parse(q).is_some() => Quality::parse(q),
            _ => {
                assert_eq!(case["expectError"]["code"], "INVALID_ARGUMENT", "{name}");
                continue;
            }
        };
        let got = filter_manifest(&input(case), cap);
        if let Some(error) = case.get("expectError") {
            let e = got.expect_err(name);
            assert_eq!(e.code().as_str(), error["code"], "{name}: {}", e.message());
            // Where: the 1-based line (HLS), or the element and the line of its start tag (DASH).
            let (line, element) = match error.get("where") {
                Some(Value::Number(line)) => (line.as_u64(), None),
                Some(place) => (place["line"].as_u64(), place["element"].as_str()),
                None => (None, None),
            };
            if let Some(line) = line {
                let at = format!("line {line}:");
                assert!(e.message().starts_with(&at), "{name}: {}", e.message());
            }
            if let Some(element) = element {
                let named = format!("<{element}>");
                assert!(e.message().contains(&named), "{name}: {}", e.message());
            }
        } else {
            let expect = &case["expect"];
            let got = got.unwrap_or_else(|e| panic!("{name}: {}", e.message()));
            assert_eq!(got.format.as_str(), expect["format"], "{name}");
            assert_eq!(got.text, expect["text"].as_str().unwrap(), "{name}");
            assert_eq!(u64::from(got.kept), expect["kept"], "{name}: kept");
            assert_eq!(u64::from(got.removed), expect["removed"], "{name}: removed");
            // Idempotent: the output filtered again is itself, nothing removed.
            let again = filter_manifest(got.text.as_bytes(), cap).unwrap();
            assert_eq!(
                (again.text.as_str(), again.removed),
                (got.text.as_str(), 0),
                "{name}: again"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 48, "cases run (all but the two about the JS argument)");
}
