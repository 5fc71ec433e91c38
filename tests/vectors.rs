//! Runs `tests/vectors/decisions.json` through the native core: the JSON entry points read the
//! policy, the document (blob or dictionary form) and the request exactly as the JS API does.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/vectors.rs"]
mod vectors_support;

use playgate::{evaluate_request_json, DecisionView};
use playgate::{Entitlement, Policy};
use serde_json::Value;

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

#[test]
fn decision_vectors() {
    vectors_support::check_decision_cases(&vectors_support::load("decisions.json"), run);
}

/// Every case says where its expectation comes from, and what it cites is in the repository: a
/// page of `docs/` that exists, or one of the three seeds `docs/README.md` sums up.
#[test]
fn every_case_cites_a_source_the_repository_holds() {
    let root = env!("CARGO_MANIFEST_DIR");
    let seeds = std::fs::read_to_string(format!("{root}/docs/README.md")).unwrap();
    let file = vectors_support::load("decisions.json");
    let mut checked = 0;
    for case in vectors_support::cases(&file) {
        checked += 1;
        let name = case["name"].as_str().unwrap();
        let source = case["source"].as_str().unwrap();
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
    vectors_support::assert_ran_every_case(&file, checked);
}
