//! Momento scopes and tokens against vectors built by Momento's own JS SDK
//! (`tests/tools/momento-vectors.mjs`, `@gomomento/sdk` 1.118.1): the protobuf the SDK sends for
//! each scope, and how the SDK decodes each token string.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "support/vectors.rs"]
mod vectors_support;

use playgate::test_support::base64::{decode, Alphabet};
use playgate::token::momento::{decode_momento_token, TokenKind};
use playgate::token::momento::{ItemSelector, Permission, PermissionScope};
use serde_json::Value;
use vectors_support::{assert_ran_every_case, cases, load};

/// Where playgate is deliberately stricter than the SDK, and why (the service rejects these,
/// or playgate never guesses): the SDK builds a message, playgate's `from_json` refuses.
const STRICTER: &[&str] = &[
    "empty cache name",             // the service rejects it
    "empty string",                 // an empty key: rejected (the issue, the service)
    "whitespace only",              // a blank key: rejected
    "key and keyPrefix both given", // ambiguous: playgate refuses to pick one
    "conflicting roles",            // the service rejects it
    "empty permissions list",       // the service rejects it
];

/// Where the SDK refuses a form playgate's JSON accepts, and why: `{}` is the all-selector of
/// the JSON form the issue specifies (the SDK's sentinels were `{}`-serialising classes
/// before they became Symbols), and protobuf can express a topic name prefix.
const LOOSER: &[&str] = &[
    "item {} rejected",
    "namePrefix",
    "cache selector given as {}",
];

fn is(name: &str, list: &[&str]) -> bool {
    list.iter().any(|fragment| name.contains(fragment))
}

/// `ours` never grants what `sdk` does not, and differs only where the SDK dropped an item
/// selector (the hazard): same permissions, ours keeping the item restriction.
fn never_wider(ours: &PermissionScope, sdk: &PermissionScope) -> bool {
    ours.permissions().len() == sdk.permissions().len()
        && ours
            .permissions()
            .iter()
            .zip(sdk.permissions())
            .all(|(a, b)| match (a, b) {
                (
                    Permission::Cache {
                        role: ra,
                        cache: ca,
                        items: ia,
                    },
                    Permission::Cache {
                        role: rb,
                        cache: cb,
                        items: ib,
                    },
                ) => ra == rb && ca == cb && (ia == ib || *ib == ItemSelector::All),
                _ => a == b,
            })
}

#[test]
fn scopes_match_what_the_sdk_sends() {
    let file = load("momento-scopes.json");
    let (mut seen, mut equal, mut narrower) = (0, 0, 0);
    let mut failures = Vec::new();
    for case in cases(&file) {
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let json = &case["scopeJson"];
        let ours = if json.is_object() && json.get("$sdkClass").is_none() {
            Some(PermissionScope::from_json(&json.to_string()))
        } else {
            None
        };
        let Some(b64) = case["protobufBase64"].as_str() else {
            // The SDK refused the scope.
            match &ours {
                Some(Ok(_)) if !is(name, LOOSER) => {
                    failures.push(format!("{name}: the SDK refuses it, playgate accepts it"))
                }
                _ => {}
            }
            continue;
        };
        let sdk = PermissionScope::from_protobuf(&decode(b64, Alphabet::StandardStrict).unwrap());
        let Ok(sdk) = sdk else {
            failures.push(format!("{name}: cannot read the SDK's protobuf: {sdk:?}"));
            continue;
        };
        if json.get("$sdkClass").is_some() {
            if !sdk.is_super_user() {
                failures.push(format!("{name}: expected the super-user scope"));
            }
            continue;
        }
        match ours {
            None => {}
            Some(Err(e)) if is(name, STRICTER) => assert_eq!(e.code().as_str(), "INVALID_SCOPE"),
            Some(Err(e)) => {
                failures.push(format!("{name}: playgate refuses what the SDK sends: {e}"))
            }
            Some(Ok(_)) if is(name, STRICTER) => {
                failures.push(format!("{name}: expected playgate to refuse it"))
            }
            Some(Ok(ours)) => {
                let dropped = case["itemSelectorsDropped"].as_u64().unwrap_or(0);
                if dropped == 0 && ours == sdk {
                    equal += 1;
                } else if dropped > 0 && ours != sdk && never_wider(&ours, &sdk) {
                    narrower += 1;
                } else {
                    failures.push(format!(
                        "{name}: playgate {} differs from the SDK's {}",
                        ours.to_json().unwrap_or_else(|e| e.to_string()),
                        sdk.to_json().unwrap_or_else(|e| e.to_string())
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_ran_every_case(&file, seen);
    assert!(
        equal >= 40 && narrower >= 4,
        "equal {equal}, narrower {narrower}"
    );
}

#[test]
fn tokens_decode_as_the_sdk_decodes_them() {
    let file = load("momento-tokens.json");
    let mut failures = Vec::new();
    let mut seen = 0;
    for case in cases(&file) {
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let Some(token) = case["token"].as_str() else {
            continue;
        };
        let sdk = &case["sdkDecoded"];
        let ours = decode_momento_token(token);
        let sdk_ok = sdk
            .get("decodeAuthToken")
            .is_some_and(|d| !d["cacheEndpoint"].is_null());
        match (ours, sdk_ok, sdk["isV2ApiKey"].as_bool() == Some(true)) {
            (Ok(t), _, true) => {
                if t.kind != TokenKind::V2 || t.endpoint.is_some() {
                    failures.push(format!("{name}: expected a v2 key without endpoint"));
                }
            }
            (Ok(t), true, false) => {
                let d = &sdk["decodeAuthToken"];
                let endpoint = t.endpoint.clone().unwrap_or_default();
                if d["cacheEndpoint"].as_str() != Some(&format!("cache.{endpoint}")) {
                    failures.push(format!(
                        "{name}: endpoint {endpoint} vs SDK cache endpoint {}",
                        d["cacheEndpoint"]
                    ));
                }
                let v1 = sdk["isBase64"].as_bool() == Some(true);
                if v1 != (t.kind == TokenKind::Disposable) {
                    failures.push(format!(
                        "{name}: kind {:?} but the SDK's isBase64 is {v1}",
                        t.kind
                    ));
                }
                if let Some(exp) = case["sdkResponse"]["expiresAtEpoch"].as_i64() {
                    if t.expires_at != Some(exp * 1000) {
                        failures.push(format!("{name}: expiresAt {:?} vs SDK {exp}", t.expires_at));
                    }
                }
                if let Some(scope) = case["built"]["scope"].as_object() {
                    let built =
                        PermissionScope::from_json(&Value::Object(scope.clone()).to_string());
                    match (built, &t.scope) {
                        (Ok(b), Some(s)) if b == *s || never_wider(&b, s) => {}
                        (Err(_), _) => {}
                        (b, s) => {
                            failures.push(format!("{name}: token scope {s:?} vs built {b:?}"))
                        }
                    }
                }
            }
            (Ok(t), false, false) => failures.push(format!(
                "{name}: the SDK refuses it, playgate decoded {t:?}"
            )),
            (Err(e), true, false) => {
                failures.push(format!("{name}: the SDK decodes it, playgate refuses: {e}"))
            }
            (Err(e), _, _) => assert_eq!(e.code().as_str(), "MALFORMED_TOKEN", "{name}"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_ran_every_case(&file, seen);
}

/// playgate's protobuf writer produces the SDK's bytes, byte for byte, for every scope it reads
/// the same (the SDK writes an explicit `all_items` only when given its AllCacheItems sentinel,
/// which playgate's model does not distinguish from no item selector).
#[test]
fn the_protobuf_writer_matches_the_sdk_bytes() {
    let file = load("momento-scopes.json");
    let (mut seen, mut same, mut failures) = (0, 0, Vec::new());
    for case in cases(&file) {
        seen += 1;
        let name = case["name"].as_str().unwrap();
        let (Some(b64), Some(json)) = (
            case["protobufBase64"].as_str(),
            case["scopeJson"].as_object(),
        ) else {
            continue;
        };
        let text = Value::Object(json.clone()).to_string();
        if json.contains_key("$sdkClass")
            || case["itemSelectorsDropped"].as_u64().unwrap_or(0) > 0
            || name.contains("AllCacheItems")
        {
            continue;
        }
        let Ok(ours) = PermissionScope::from_json(&text) else {
            continue;
        };
        let sdk = decode(b64, Alphabet::StandardStrict).unwrap();
        if ours.to_protobuf() == sdk {
            same += 1;
        } else {
            failures.push(format!(
                "{name}: {:02x?} vs SDK {sdk:02x?}",
                ours.to_protobuf()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_ran_every_case(&file, seen);
    assert!(same >= 35, "{same} byte-identical");
}
