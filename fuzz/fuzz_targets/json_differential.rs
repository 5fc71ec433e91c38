//! playgate's JSON reader (src/wire/json.rs) against serde_json on arbitrary bytes: both accept or
//! both reject, and where both accept, the same value. RFC 8259 decides a disagreement; the
//! differences that are limits RFC 8259 section 9 allows are the only ones let through, and
//! only when the text really goes past them (checked on serde_json's value, not taken from our
//! error message): nesting past playgate's MAX_DEPTH (64; serde_json's is 128), lists past
//! MAX_LIST_ITEMS, and numbers serde_json cannot hold (it refuses `1e400`, a valid number). Duplicate member names
//! are read by both (RFC 8259 4: "SHOULD be unique"); as serde_json keeps the last, so does
//! the comparison.
#![no_main]
use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use playgate::test_support::json::{self, Kind, Reader};
use serde_json::Value;

/// A JSON value as playgate reads it; numbers as their text, compared as f64.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn read(r: &mut Reader<'_>, text: &str) -> json::Result<Json> {
    Ok(match r.peek()? {
        Kind::Null => {
            r.null()?;
            Json::Null
        }
        Kind::Bool => Json::Bool(r.bool()?),
        Kind::String => Json::String(r.string()?.into_owned()),
        Kind::Number => {
            let start = r.position();
            r.skip()?;
            Json::Number(text[start..r.position()].to_owned())
        }
        Kind::Array => {
            let mut items = Vec::new();
            r.array(|r, _| {
                items.push(read(r, text)?);
                Ok(())
            })?;
            Json::Array(items)
        }
        Kind::Object => {
            let mut members = Vec::new();
            r.object(|r, key| {
                members.push((key.into_owned(), read(r, text)?));
                Ok(())
            })?;
            Json::Object(members)
        }
    })
}

fn same(ours: &Json, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Number(text), Value::Number(n)) => {
            let ours: f64 = text
                .parse()
                .expect("a number playgate accepts parses as f64");
            n.as_f64().is_some_and(|theirs| ours == theirs)
        }
        (Json::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Json::Object(members), Value::Object(b)) => {
            let last: BTreeMap<&str, &Json> =
                members.iter().map(|(k, v)| (k.as_str(), v)).collect();
            last.len() == b.len()
                && last
                    .iter()
                    .all(|(k, v)| b.get(*k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// Whether a JSON text (one serde_json read) nests containers deeper than `MAX_DEPTH` or holds
/// a list of more than `MAX_LIST_ITEMS` items: the documented limits of src/wire/json.rs (RFC 8259
/// section 9). Depth is counted on the text, so that a member serde_json drops as a duplicate
/// counts too.
fn beyond_limits(text: &str, value: &Value) -> bool {
    fn long_list(value: &Value) -> bool {
        match value {
            Value::Array(items) => {
                items.len() > json::MAX_LIST_ITEMS || items.iter().any(long_list)
            }
            Value::Object(members) => members.values().any(long_list),
            _ => false,
        }
    }
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0u32, 0u32, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') | (false, _, b'"') => in_string = !in_string,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest > json::MAX_DEPTH || long_list(value)
}

fuzz_target!(|data: &[u8]| {
    let theirs = serde_json::from_slice::<Value>(data);
    let Ok(text) = std::str::from_utf8(data) else {
        // RFC 8259 8.1: JSON text is UTF-8. playgate takes &str; serde_json must refuse too.
        assert!(theirs.is_err(), "serde_json read bytes that are not UTF-8");
        return;
    };
    let ours = json::read_text(text, |r| read(r, text));
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert!(same(a, b), "{text:?}: playgate {a:?}, serde_json {b:?}");
            assert!(
                !beyond_limits(text, b),
                "{text:?}: read past playgate's limits"
            );
        }
        (Err(_), Err(_)) => {}
        (Err(e), Ok(b)) => {
            // Only a documented limit, and only when the text really goes past it.
            assert!(
                beyond_limits(text, b),
                "{text:?}: playgate refuses ({e}), serde_json reads it"
            );
        }
        (Ok(a), Err(e)) => {
            let range = e.to_string().contains("number out of range");
            assert!(
                range,
                "{text:?}: playgate reads {a:?}, serde_json refuses it ({e})"
            );
        }
    }
});
