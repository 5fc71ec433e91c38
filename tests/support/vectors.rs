//! The one loader of `tests/vectors/*.json` and the one decision-case runner, shared by the
//! native tests and the wasm-bindgen tests (`src/wasm/tests/wasm.rs`), each including this file
//! with `#[path]`. A file whose case count differs from its `count`, or a case without a `name`
//! (unique in the file) or a `source`, fails the test that loads it.

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::collections::HashSet;

use playgate::DecisionView;
use serde_json::Value;

/// Reads `tests/vectors/<name>` and checks it (see [`parse`]). Native tests only: the wasm tests
/// have no file system and pass the text they embed to [`parse`].
#[cfg(not(target_arch = "wasm32"))]
pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(name, &text)
}

/// Parses a vector file and checks that `cases` is a non-empty array of exactly `count` cases,
/// each with a non-empty `name` (unique in the file) and a non-empty `source`.
pub fn parse(name: &str, text: &str) -> Value {
    let file: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let Some(cases) = file["cases"].as_array().filter(|c| !c.is_empty()) else {
        panic!("{name}: \"cases\" is not a non-empty array");
    };
    let Some(count) = file["count"].as_u64() else {
        panic!("{name}: no \"count\" (the number of cases)");
    };
    assert_eq!(
        cases.len() as u64,
        count,
        "{name}: {} cases but \"count\" says {count}: a case was lost or added without updating \"count\"",
        cases.len()
    );
    let mut names = HashSet::new();
    for (i, case) in cases.iter().enumerate() {
        let Some(case_name) = case["name"].as_str().filter(|s| !s.trim().is_empty()) else {
            panic!("{name}: case #{}: no \"name\"", i + 1);
        };
        assert!(
            names.insert(case_name),
            "{name}: case name {case_name:?} given twice"
        );
        assert!(
            case["source"]
                .as_str()
                .is_some_and(|s| !s.trim().is_empty()),
            "{name}: case {case_name:?}: no \"source\""
        );
    }
    file
}

/// The cases of a file that [`load`] or [`parse`] checked.
pub fn cases(file: &Value) -> &[Value] {
    file["cases"].as_array().map_or(&[], Vec::as_slice)
}

/// Asserts that a runner went through every case of the file.
pub fn assert_ran_every_case(file: &Value, ran: usize) {
    assert_eq!(
        Some(ran as u64),
        file["count"].as_u64(),
        "ran {ran} cases, the file has \"count\" {}",
        file["count"]
    );
}

/// Runs every case of `decisions.json` through `evaluate` (the file, the case -> the decision
/// or the code of the error on the way) and fails listing each case whose outcome differs from
/// its `expect` (the fields it names) or `expectError`.
pub fn check_decision_cases(
    file: &Value,
    mut evaluate: impl FnMut(&Value, &Value) -> Result<DecisionView, String>,
) {
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases(file) {
        ran += 1;
        let name = case["name"].as_str().unwrap_or_default();
        match (&case["expectError"], evaluate(file, case)) {
            (Value::String(want), Err(got)) if *want == got => {}
            (Value::String(want), other) => {
                failures.push(format!("{name}: expected error {want}, got {other:?}"))
            }
            (_, Err(got)) => failures.push(format!("{name}: unexpected error {got}")),
            (_, Ok(decision)) => {
                let actual = serde_json::to_value(&decision).unwrap();
                let expect = normalise(case["expect"].clone());
                let Some(expect) = expect.as_object() else {
                    failures.push(format!("{name}: neither \"expect\" nor \"expectError\""));
                    continue;
                };
                for (field, want) in expect {
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
    assert_ran_every_case(file, ran);
}

/// Expected `validUntil` may be written as RFC 3339 text for readability.
fn normalise(mut expect: Value) -> Value {
    if let Some(Value::String(text)) = expect.get("validUntil") {
        let ms = playgate::parse_rfc3339(text)
            .unwrap_or_else(|| panic!("expect.validUntil {text:?} is not RFC 3339"));
        expect["validUntil"] = Value::from(ms);
    }
    expect
}
