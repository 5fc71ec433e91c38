//! The decision vectors through the wasm build and its binding layer, driven the way the JS
//! layer drives it (request slot + packed result). Runs in Node and, with
//! `WASM_BINDGEN_USE_BROWSER=1`, in headless Chromium (`./build.sh test` does both).
#![cfg(target_arch = "wasm32")]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use js_sys::{Map, Reflect, Uint8Array};
use playgate::json_api::DecisionView;
use playgate::wasm::{
    parse_time, set_country, set_device, set_entity, set_extras, valid_until, JsEntitlement,
    JsPolicy,
};
use playgate::{Country, Decision};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const VECTORS: &str = include_str!("vectors/decisions.json");

fn code_of(error: JsValue) -> String {
    assert!(
        error.is_instance_of::<js_sys::Error>(),
        "errors are real JS Error objects"
    );
    Reflect::get(&error, &JsValue::from_str("code"))
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn run(file: &Value, case: &Value) -> Result<DecisionView, String> {
    let policy = match &case["policy"] {
        Value::Null => JsPolicy::new(),
        Value::String(name) => {
            JsPolicy::from_json(JsValue::from_str(&file["policies"][name].to_string()))
                .map_err(code_of)?
        }
        inline => JsPolicy::from_json(js_sys::JSON::parse(&inline.to_string()).unwrap())
            .map_err(code_of)?,
    };
    let ent = if let Some(text) = case["blobText"].as_str() {
        JsEntitlement::from_blob(JsValue::from_str(text))
    } else if let Some(fields) = case["dictionary"].as_object() {
        let map = Map::new();
        for (k, v) in fields {
            map.set(
                &JsValue::from_str(k),
                &JsValue::from_str(v.as_str().unwrap()),
            );
        }
        JsEntitlement::from_dictionary(map.into())
    } else {
        let doc = match &case["entitlement"] {
            Value::String(name) => &file["documents"][name],
            inline => inline,
        };
        JsEntitlement::from_blob(Uint8Array::from(doc.to_string().as_bytes()).into())
    }
    .map_err(code_of)?;
    let request = &case["request"];
    set_entity(request["entityId"].as_str().unwrap()).map_err(code_of)?;
    let country = request["country"].as_str();
    set_country(country.map(String::from)).map_err(code_of)?;
    set_device(request["device"].as_str().map(String::from)).map_err(code_of)?;
    let mut extras = serde_json::Map::new();
    for key in ["entityType", "ancestors", "licenses"] {
        if let Some(v) = request.get(key) {
            extras.insert(key.to_owned(), v.clone());
        }
    }
    set_extras((!extras.is_empty()).then(|| Value::Object(extras).to_string())).map_err(code_of)?;
    let now = match &request["now"] {
        Value::String(text) => parse_time(text).map_err(code_of)?,
        other => other.as_f64().unwrap(),
    };
    let persist = request["allowPersistence"].as_bool().unwrap_or(false);
    let bits = policy
        .evaluate_packed(&ent, now, persist)
        .map_err(code_of)?;
    let until = valid_until();
    let decision = Decision::unpack(
        bits,
        country.and_then(Country::parse),
        (!until.is_nan()).then_some(until as i64),
    );
    Ok(DecisionView::from(&decision))
}

#[wasm_bindgen_test]
fn decision_vectors_through_the_binding_layer() {
    let file: Value = serde_json::from_str(VECTORS).unwrap();
    let mut failures = Vec::new();
    let cases = file["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        match (&case["expectError"], run(&file, case)) {
            (Value::String(want), Err(got)) if *want == got => {}
            (Value::String(want), other) => {
                failures.push(format!("{name}: expected error {want}, got {other:?}"))
            }
            (_, Err(got)) => failures.push(format!("{name}: unexpected error {got}")),
            (_, Ok(decision)) => {
                let actual = serde_json::to_value(&decision).unwrap();
                let mut expect = case["expect"].clone();
                if let Some(Value::String(t)) = expect.get("validUntil") {
                    expect["validUntil"] = Value::from(playgate::time::parse_rfc3339(t).unwrap());
                }
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

#[wasm_bindgen_test]
fn a_huge_blob_is_refused_and_the_module_keeps_working() {
    let huge = format!(
        "{{\"allowed_content\": [{}\"x\"]}}",
        "\"movie-1\",".repeat(1_200_000)
    );
    let err = JsEntitlement::from_blob(JsValue::from_str(&huge))
        .err()
        .map(code_of);
    assert_eq!(err.as_deref(), Some("INVALID_ENTITLEMENT"));
    let ent = JsEntitlement::from_blob(JsValue::from_str("{\"region\": \"US\"}")).unwrap();
    set_entity("movie-1").unwrap();
    set_country(Some("US".into())).unwrap();
    set_device(None).unwrap();
    set_extras(None).unwrap();
    let bits = JsPolicy::new().evaluate_packed(&ent, 0.0, false).unwrap();
    assert!(Decision::unpack(bits, None, None).allowed());
}
