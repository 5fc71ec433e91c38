//! Runs `tests/vectors/decisions.json` through the native core: the JSON entry points read the
//! policy, the document (blob or dictionary form) and the request exactly as the JS API does.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use playgate::{evaluate_request_json, DecisionView};
use playgate::{Entitlement, Policy};
use serde_json::Value;

fn vectors() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/decisions.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What a case produced: a decision, or the code of the error thrown on the way.
fn run(file: &Value, case: &Value) -> Result<DecisionView, String> {
    let code = |e: playgate::Error| e.code().as_str().to_owned();
    let policy = match &case["policy"] {
        Value::Null => Policy::new(),
        Value::String(name) => {
            Policy::from_json(&file["policies"][name].to_string()).map_err(code)?
        }
        inline => Policy::from_json(&inline.to_string()).map_err(code)?,
    };
    let doc = if let Some(text) = case["blobText"].as_str() {
        Entitlement::from_json(text.as_bytes())
    } else if let Some(fields) = case["dictionary"].as_object() {
        Entitlement::from_dictionary(
            fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap())),
        )
    } else {
        let doc = match &case["entitlement"] {
            Value::String(name) => &file["documents"][name],
            inline => inline,
        };
        Entitlement::from_json(doc.to_string().as_bytes())
    }
    .map_err(code)?;
    evaluate_request_json(&policy, &doc, &case["request"].to_string(), 0).map_err(code)
}

/// Expected `validUntil` may be written as RFC 3339 text for readability.
fn normalise(mut expect: Value) -> Value {
    if let Some(Value::String(text)) = expect.get("validUntil") {
        let ms = playgate::parse_rfc3339(text).unwrap();
        expect["validUntil"] = Value::from(ms);
    }
    expect
}

#[test]
fn decision_vectors() {
    let file = vectors();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "the vector file lost cases");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        assert!(
            case["source"].as_str().is_some_and(|s| !s.is_empty()),
            "{name}: every case cites its source"
        );
        let outcome = run(&file, case);
        match (&case["expectError"], outcome) {
            (Value::String(want), Err(got)) if *want == got => {}
            (Value::String(want), other) => {
                failures.push(format!("{name}: expected error {want}, got {other:?}"))
            }
            (_, Err(got)) => failures.push(format!("{name}: unexpected error {got}")),
            (_, Ok(decision)) => {
                let actual = serde_json::to_value(&decision).unwrap();
                let expect = normalise(case["expect"].clone());
                for (field, want) in expect.as_object().unwrap() {
                    if &actual[field] != want {
                        failures.push(format!(
                            "{name}: {field}: expected {want}, got {}",
                            actual[field]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing vectors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every case says where its expectation comes from, and what it cites is in the repository: a
/// page of `docs/` that exists, or one of the three seeds `docs/README.md` sums up.
#[test]
fn every_case_cites_a_source_the_repository_holds() {
    let root = env!("CARGO_MANIFEST_DIR");
    let seeds = std::fs::read_to_string(format!("{root}/docs/README.md")).unwrap();
    let file = vectors();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let source = case["source"].as_str().unwrap_or_default();
        assert!(!source.trim().is_empty(), "case {name:?}: no source");
        for (at, _) in source.match_indices("docs/") {
            let page: String = source[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"),;:".contains(*c))
                .collect();
            assert!(
                std::path::Path::new(&format!("{root}/{page}")).is_file(),
                "case {name:?}: {page} is not in the repository"
            );
        }
        for (at, _) in source.match_indices("seed ") {
            let id: String = source[at + 5..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            assert!(
                id.len() == 3 && seeds.contains(&format!("seed {id}_")),
                "case {name:?}: seed {id:?} is not described in docs/README.md"
            );
        }
        assert!(
            !source.contains("reference/") && !source.contains("design/"),
            "case {name:?}: cites a page outside the repository"
        );
    }
}
