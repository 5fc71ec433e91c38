//! Replays tests/vectors/fuzz-regressions.json: what fuzzing and the property tests found
//! (issue 11), each with the outcome the rules give.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/vectors.rs"]
mod vectors_support;

use playgate::test_support::base64::{decode, Alphabet};
use playgate::token::momento::PermissionScope;
use serde_json::Value;

#[test]
fn fuzz_regressions() {
    let file = vectors_support::load("fuzz-regressions.json");
    let mut ran = 0;
    for case in vectors_support::cases(&file) {
        ran += 1;
        let name = case["name"].as_str().unwrap();
        let read = if let Some(b64) = case["protobufBase64"].as_str() {
            PermissionScope::from_protobuf(&decode(b64, Alphabet::StandardStrict).unwrap())
        } else {
            PermissionScope::from_json(case["scopeJson"].as_str().unwrap())
        };
        if let Some(code) = case["error"].as_str() {
            assert_eq!(read.unwrap_err().code().as_str(), code, "{name}");
            continue;
        }
        let scope = read.unwrap_or_else(|e| panic!("{name}: {e}"));
        let plan: Value = serde_json::from_str(&scope.check_plan().unwrap()).unwrap();
        for (list, topic) in [("checks", false), ("topicChecks", true)] {
            for check in case[list].as_array().into_iter().flatten() {
                let [op, cache, key, allowed] = [&check[0], &check[1], &check[2], &check[3]];
                let (op, cache, key) = (
                    op.as_str().unwrap(),
                    cache.as_str().unwrap(),
                    key.as_str().unwrap(),
                );
                let got = if topic {
                    scope.allows_topic(op, cache, key)
                } else {
                    scope.allows(op, cache, key.as_bytes())
                };
                assert_eq!(
                    Some(got),
                    allowed.as_bool(),
                    "{name}: {op} {cache:?} {key:?}"
                );
                // The plan the JS layer runs grants nothing the scope does not.
                let bit = playgate::token::momento::operation(op)
                    .map_or(0, |(_, class)| u64::from(class.bit()));
                let granted_by_plan = plan.as_array().unwrap().iter().any(|g| {
                    (g[2] == 1) == topic
                        && g[0].as_u64().unwrap() & bit != 0
                        && (g[1].is_null() || g[1] == cache)
                        && match g[3].as_u64().unwrap() {
                            0 => true,
                            1 => g[4] == key,
                            _ => key.starts_with(g[4].as_str().unwrap()),
                        }
                });
                assert!(
                    got || !granted_by_plan,
                    "{name}: the check plan grants {cache:?} {key:?}"
                );
            }
        }
        match (case["toJson"].as_str().unwrap(), scope.to_json()) {
            ("ok", Ok(json)) => {
                assert_eq!(PermissionScope::from_json(&json).unwrap(), scope, "{name}")
            }
            ("INVALID_SCOPE", Err(e)) => assert_eq!(e.code().as_str(), "INVALID_SCOPE", "{name}"),
            (want, got) => panic!("{name}: toJson {want}, got {got:?}"),
        }
    }
    vectors_support::assert_ran_every_case(&file, ran);
}
