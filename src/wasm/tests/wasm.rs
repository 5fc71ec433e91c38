//! The decision vectors through the wasm build and its binding layer, driven the way the JS
//! layer drives it (request slot + packed result). Runs in Node and, with
//! `WASM_BINDGEN_USE_BROWSER=1`, in headless Chromium (`./build.sh test` does both).
#![cfg(target_arch = "wasm32")]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

#[path = "../../../tests/support/vectors.rs"]
mod vectors_support;

use js_sys::Reflect;
use playgate::abi::{SCOPE_ALLOWS, SCOPE_JSON, SCOPE_PROTOBUF, SCOPE_READ};
use playgate::DecisionView;
use playgate::{Country, Decision};
use playgate_wasm::{
    check_country, drop_document, input_write, io_read, io_write, load_blob, load_dictionary,
    parse_time, scope_call, set_extras, take_error, JsPolicy, FAILED, IDS_AT, NOT_RESIDENT,
};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

/// A document as the JS layer holds it: its slot and its id (ids are never reused).
#[derive(Clone, Copy)]
struct Doc {
    slot: u32,
    id: f64,
}

fn next_id() -> f64 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static LAST: AtomicU32 = AtomicU32::new(0);
    f64::from(LAST.fetch_add(1, Ordering::Relaxed) + 1)
}

/// `Entitlement.fromBlob` as the JS layer does it: the text into the input area, then the
/// call (0: the default size limit).
fn from_blob(text: &str) -> Result<Doc, JsValue> {
    let id = next_id();
    load_blob(input_write(text.as_bytes()), 0.0, id).map(|slot| Doc { slot, id })
}

// Embedded: the tests run in Node and Chromium, without the repository's files.
const VECTORS: &str = include_str!("../../../tests/vectors/decisions.json");

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
        inline => JsPolicy::from_json(JsValue::from_str(&inline.to_string())).map_err(code_of)?,
    };
    let ent = if let Some(text) = case["blobText"].as_str() {
        from_blob(text)
    } else if let Some(fields) = case["dictionary"].as_object() {
        // Names and values in turn, one JSON array, as the JS layer sends a record or Map.
        let flat: Vec<&str> = fields
            .iter()
            .flat_map(|(k, v)| [k.as_str(), v.as_str().unwrap()])
            .collect();
        let id = next_id();
        let len = input_write(serde_json::to_string(&flat).unwrap().as_bytes());
        load_dictionary(len, 0.0, id).map(|slot| Doc { slot, id })
    } else {
        let doc = match &case["entitlement"] {
            Value::String(name) => &file["documents"][name],
            inline => inline,
        };
        from_blob(&doc.to_string())
    }
    .map_err(code_of)?;
    let request = &case["request"];
    let country = request["country"].as_str();
    let code = country_code(country).map_err(code_of)?;
    let id = request["entityId"].as_str().unwrap();
    io_write(IDS_AT, id.as_bytes()).map_err(code_of)?;
    let device_len = match request["device"].as_str() {
        Some(device) => {
            io_write(0, device.as_bytes()).map_err(code_of)?;
            device.len() as i32
        }
        None => -1,
    };
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
    let bits = checked(policy.decide(
        ent.slot,
        ent.id,
        id.len() as u32,
        0,
        device_len,
        code,
        now,
        persist,
    ))?;
    let (until, _) = io_read(0, 0);
    let decision = Decision::unpack(
        bits,
        country.and_then(Country::parse),
        (!until.is_nan()).then_some(until as i64),
    );
    Ok(DecisionView::from(&decision))
}

/// What the JS layer does with a raw result: `FAILED` means "throw `_takeError()`".
fn checked(value: u32) -> Result<u32, String> {
    if value == FAILED {
        return Err(code_of(take_error()));
    }
    Ok(value)
}

/// The country as the JS layer passes it: two UTF-16 code units in one number.
fn country_code(country: Option<&str>) -> Result<u32, JsValue> {
    let Some(country) = country else { return Ok(0) };
    let units: Vec<u16> = country.encode_utf16().collect();
    match units[..] {
        [a, b] => Ok(u32::from(a) << 16 | u32::from(b)),
        _ => check_country(country).map(|()| 0),
    }
}

#[wasm_bindgen_test]
fn decision_vectors_through_the_binding_layer() {
    let file = vectors_support::parse("decisions.json", VECTORS);
    vectors_support::check_decision_cases(&file, run);
}

#[wasm_bindgen_test]
fn a_huge_blob_is_refused_and_the_module_keeps_working() {
    let huge = format!(
        "{{\"allowed_content\": [{}\"x\"]}}",
        "\"movie-1\",".repeat(1_200_000)
    );
    let err = from_blob(&huge).err().map(code_of);
    assert_eq!(err.as_deref(), Some("INVALID_ENTITLEMENT"));
    let ent = from_blob("{\"region\": \"US\"}").unwrap();
    io_write(IDS_AT, b"movie-1").unwrap();
    set_extras(None).unwrap();
    let us = country_code(Some("US")).unwrap();
    let bits = checked(JsPolicy::new().decide(ent.slot, ent.id, 7, 0, -1, us, 0.0, false)).unwrap();
    assert!(Decision::unpack(bits, None, None).allowed());
}

/// Documents are held in a bounded set of slots: a document whose slot went to newer ones is
/// `NOT_RESIDENT` (never decided as the slot's new document), freed ones too, and a slot's new
/// document decides as itself.
#[wasm_bindgen_test]
fn a_document_that_lost_its_slot_is_not_resident_and_never_another() {
    let policy = JsPolicy::new();
    let us = country_code(Some("US")).unwrap();
    io_write(IDS_AT, b"movie-1").unwrap();
    set_extras(None).unwrap();
    let decide = |d: Doc| policy.decide(d.slot, d.id, 7, 0, -1, us, 0.0, false);
    // An "allowed" document, then enough "denied" ones (wrong region) to take every slot.
    let first = from_blob(r#"{"region": "US"}"#).unwrap();
    assert!(Decision::unpack(checked(decide(first)).unwrap(), None, None).allowed());
    let denied: Vec<Doc> = (0..3000)
        .map(|_| from_blob(r#"{"region": "FR"}"#).unwrap())
        .collect();
    assert_eq!(
        decide(first),
        NOT_RESIDENT,
        "the first document lost its slot"
    );
    let taker = denied.iter().find(|d| d.slot == first.slot).unwrap();
    let latest = denied.last().copied().unwrap();
    assert!(!Decision::unpack(checked(decide(latest)).unwrap(), None, None).allowed());
    if taker.id != latest.id && decide(*taker) != NOT_RESIDENT {
        assert!(!Decision::unpack(checked(decide(*taker)).unwrap(), None, None).allowed());
    }
    // Freed: not resident; freeing with a stale id leaves the slot's holder alone.
    drop_document(latest.slot, first.id);
    assert_ne!(decide(latest), NOT_RESIDENT);
    drop_document(latest.slot, latest.id);
    assert_eq!(decide(latest), NOT_RESIDENT);
    // Loaded again (what the JS layer does on NOT_RESIDENT): decided as itself.
    let again = load_blob(input_write(br#"{"region": "US"}"#), 0.0, first.id).unwrap();
    let first = Doc {
        slot: again,
        id: first.id,
    };
    assert!(Decision::unpack(checked(decide(first)).unwrap(), None, None).allowed());
}

#[wasm_bindgen_test]
fn a_catalog_page_matches_single_decisions() {
    let policy = JsPolicy::from_json(JsValue::from_str(
        r#"{"claimSets": [{"key": "m", "claims": ["ENTITY_TYPE_MOVIES", "QUALITY_HD", "COUNTRY_DE"]}],
            "plans": [{"id": "p", "claimSetKeys": ["m"]}]}"#,
    ))
    .unwrap();
    let ent = from_blob(r#"{"plan": "p", "allowed_content": ["movie-1", "episode-2", "movie-3"]}"#)
        .unwrap();
    let ids = ["movie-1", "episode-2", "movie-3", "movie-4", "channel-5"];
    let de = country_code(Some("DE")).unwrap();
    set_extras(None).unwrap();
    let joined: Vec<u8> = ids
        .iter()
        .flat_map(|id| {
            (id.len() as u32)
                .to_le_bytes()
                .into_iter()
                .chain(id.bytes())
        })
        .collect();
    io_write(IDS_AT, &joined).unwrap();
    io_write(IDS_AT + joined.len() + ids.len(), &[]).unwrap();
    io_write(0, b"web").unwrap();
    // One page in the I/O buffer, device "web" (3 bytes), DE, time 0, no persistence; the
    // arguments that differ: the ids' byte length and count, NUL-joined or not, whole decisions.
    let catalog = |len: usize, count: usize, separated: bool, full: bool| {
        policy.catalog(
            ent.slot,
            ent.id,
            len as u32,
            count as u32,
            3,
            de,
            0.0,
            false,
            separated,
            full,
        )
    };
    let offset = checked(catalog(joined.len(), ids.len(), false, false)).unwrap();
    let (_, bytes) = io_read(offset as usize, ids.len());
    // The same page NUL-joined (what the JS layer sends) gives the same bytes.
    let separated = ids.join("\0");
    io_write(IDS_AT, separated.as_bytes()).unwrap();
    io_write(IDS_AT + separated.len() + ids.len(), &[]).unwrap();
    let at = checked(catalog(separated.len(), ids.len(), true, false)).unwrap();
    assert_eq!(io_read(at as usize, ids.len()).1, bytes);
    // A count that does not match the pieces (an id holding a NUL) asks for the other form.
    for count in [ids.len() - 1, ids.len() + 1] {
        assert_eq!(
            catalog(separated.len(), count, true, false),
            playgate_wasm::NUL_IN_ID
        );
    }
    // An ids length past the buffer is an error in both forms, not an overflow (this is a
    // debug build: an overflowing add would panic here).
    for full in [false, true] {
        assert_eq!(
            checked(catalog(u32::MAX as usize, ids.len(), true, full)),
            Err("INVALID_REQUEST".to_string())
        );
    }
    // The same for one decision's id and ancestors lengths.
    for (id_len, ancestors_len) in [(u32::MAX, 0), (3, u32::MAX), (u32::MAX, u32::MAX)] {
        assert_eq!(
            checked(policy.decide(ent.slot, ent.id, id_len, ancestors_len, 3, de, 0.0, false)),
            Err("INVALID_REQUEST".to_string())
        );
    }
    // Whole decisions (evaluateMany's form): 8-aligned validUntils, then the packed bits.
    io_write(IDS_AT, separated.as_bytes()).unwrap();
    io_write(IDS_AT + separated.len() + 8 + 12 * ids.len(), &[]).unwrap();
    let full_at = checked(catalog(separated.len(), ids.len(), true, true)).unwrap() as usize;
    assert!(full_at >= IDS_AT + separated.len());
    let (_, full) = io_read(full_at, 12 * ids.len());
    let mut singles = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        io_write(IDS_AT, id.as_bytes()).unwrap();
        let bits = checked(policy.decide(ent.slot, ent.id, id.len() as u32, 0, -1, de, 0.0, false))
            .unwrap();
        let (until, _) = io_read(0, 0);
        let at = 8 * ids.len() + 4 * i;
        assert_eq!(full[at..at + 4], bits.to_le_bytes(), "{id}");
        let batch_until = f64::from_le_bytes(full[8 * i..8 * i + 8].try_into().unwrap());
        assert!(
            batch_until == until || (batch_until.is_nan() && until.is_nan()),
            "{id}"
        );
        singles.push(Decision::unpack(bits, None, None).catalog_byte());
    }
    assert_eq!(bytes, singles);
    // movie-1 and movie-3: allowed, HD (rank 2); episode-2: no type claim (check 8);
    // movie-4: not listed (check 5); channel-5: both (check 5 first).
    assert_eq!(bytes, [2 << 4, 9, 2 << 4, 6, 6]);
}

const SCOPES: &str = include_str!("../../../tests/vectors/momento-scopes.json");

/// The SDK-built scope vectors through the binding layer: the JSON form and the protobuf the
/// SDK sent must answer alike (where the SDK kept every item selector and playgate accepts the
/// JSON; `tests/momento.rs` covers the other cases natively).
#[wasm_bindgen_test]
fn scope_vectors_through_the_binding_layer() {
    let file = vectors_support::parse("momento-scopes.json", SCOPES);
    let keys = [
        "/Movie1/playlist.m3u8",
        "/Movie2/1080p/segment1.ts",
        "hits",
        "mappings",
        "/映画/a",
        "",
    ];
    let caches = ["media", "demo", "chat", "*", "other"];
    let ops = ["get", "set", "setIfNotExists", "nope"];
    let (mut seen, mut compared) = (0, 0);
    for case in vectors_support::cases(&file) {
        seen += 1;
        let (Some(b64), Some(json)) = (
            case["protobufBase64"].as_str(),
            case["scopeJson"].as_object(),
        ) else {
            continue;
        };
        if json.contains_key("$sdkClass") || case["itemSelectorsDropped"].as_u64().unwrap_or(0) > 0
        {
            continue;
        }
        // Each scope as the JS layer holds it: its source, read again by each call.
        let ours = JsValue::from_str(&Value::Object(json.clone()).to_string());
        if scope_call(SCOPE_READ, SCOPE_JSON, ours.clone(), "", "", "", false).is_err() {
            continue; // playgate is stricter here
        }
        let sdk = JsValue::from_str(b64);
        scope_call(SCOPE_READ, SCOPE_PROTOBUF, sdk.clone(), "", "", "", false).unwrap();
        let allows =
            |source: &JsValue, kind: u32, op: &str, cache: &str, key: &str, topic: bool| {
                scope_call(SCOPE_ALLOWS, kind, source.clone(), op, cache, key, topic)
                    .unwrap()
                    .as_bool()
                    .unwrap()
            };
        for cache in caches {
            for key in keys {
                for op in ops {
                    assert_eq!(
                        allows(&ours, SCOPE_JSON, op, cache, key, false),
                        allows(&sdk, SCOPE_PROTOBUF, op, cache, key, false),
                        "{}: {op} {cache} {key}",
                        case["name"]
                    );
                }
                for op in ["publish", "subscribe"] {
                    assert_eq!(
                        allows(&ours, SCOPE_JSON, op, cache, key, true),
                        allows(&sdk, SCOPE_PROTOBUF, op, cache, key, true),
                        "{}",
                        case["name"]
                    );
                }
            }
        }
        compared += 1;
    }
    vectors_support::assert_ran_every_case(&file, seen);
    assert!(compared >= 40, "compared {compared}");
}

/// RFC 7515 appendix A.1 (HS256) through the edge binding, in Node and Chromium.
#[cfg(feature = "edge")]
#[wasm_bindgen_test]
fn rfc7515_a1_through_the_edge_binding() {
    use playgate_wasm::JsJwtVerifier;
    let key = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    let jws = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let config = format!(
        r#"{{"algorithms": ["HS256"], "keys": [{key}], "issuer": "joe", "leewaySeconds": 0}}"#
    );
    let verifier = JsJwtVerifier::from_json(JsValue::from_str(&config)).unwrap();
    // `[algorithm, keyId, claimsJson]`: js/jwt.mjs makes the object.
    let ok = js_sys::Array::from(&verifier.verify(jws, 1_300_819_379_999.0).unwrap());
    assert_eq!(ok.get(0).as_string().as_deref(), Some("HS256"));
    assert!(ok.get(1).is_null());
    let claims = js_sys::JSON::parse(&ok.get(2).as_string().unwrap()).unwrap();
    assert_eq!(
        Reflect::get(&claims, &JsValue::from_str("iss"))
            .unwrap()
            .as_string()
            .as_deref(),
        Some("joe")
    );
    assert_eq!(
        verifier
            .verify(jws, 1_300_819_380_000.0)
            .err()
            .map(code_of)
            .as_deref(),
        Some("TOKEN_EXPIRED")
    );
}
