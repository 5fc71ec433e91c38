//! What several fuzz targets check on every scope they manage to read: the answers of every
//! form and view of a scope agree (check plan, `explain`, protobuf and JSON round trips), and a
//! conversion either keeps the scope exactly or fails with `INVALID_SCOPE`: never wider.
//!
//! Written against answers (`allows`, `allows_topic`, `explain`, the plan's JSON), not against
//! the shape of `Permission`: the names worth asking about are taken from the scope's protobuf
//! encoding (whose schema is Momento's, not ours), so a new permission kind or selector does not
//! break these checks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use playgate::ErrorCode;
use playgate::token::momento::{OperationClass, PermissionScope, OPERATIONS};

/// Every length-delimited payload of a protobuf message, with its nesting depth, found by
/// reading the wire format alone (any payload that reads as a message is walked too).
fn payloads<'a>(bytes: &'a [u8], depth: u32, out: &mut Vec<(u32, &'a [u8])>) -> bool {
    fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at)?;
            *at += 1;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    if depth > 8 {
        return false;
    }
    let mark = out.len();
    let mut at = 0;
    while at < bytes.len() {
        let Some(tag) = varint(bytes, &mut at) else {
            out.truncate(mark);
            return false;
        };
        let ok = match tag & 7 {
            0 => varint(bytes, &mut at).is_some(),
            1 => {
                at += 8;
                at <= bytes.len()
            }
            5 => {
                at += 4;
                at <= bytes.len()
            }
            2 => match varint(bytes, &mut at).and_then(|n| usize::try_from(n).ok()) {
                Some(n) if n <= bytes.len() - at => {
                    let payload = &bytes[at..at + n];
                    at += n;
                    out.push((depth, payload));
                    payloads(payload, depth + 1, out);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !ok || tag >> 3 == 0 {
            out.truncate(mark);
            return false;
        }
    }
    true
}

/// Names worth asking about: every name the scope holds (the deepest strings of its protobuf
/// encoding), variations of them (a byte more, a byte less, another case), a few fixed ones,
/// and pieces of the fuzz input itself.
pub fn names(scope: &PermissionScope, data: &[u8]) -> (Vec<String>, Vec<Vec<u8>>) {
    let encoded = scope.to_protobuf();
    let mut found = Vec::new();
    payloads(&encoded, 0, &mut found);
    // Names sit deepest (Permissions > explicit > type > permission > selector > name);
    // prefer them, then the shortest.
    found.sort_by_key(|(depth, bytes)| (std::cmp::Reverse(*depth), bytes.len()));
    let mut held: Vec<&[u8]> = Vec::new();
    for (_, bytes) in found {
        if !held.contains(&bytes) && held.len() < 4 {
            held.push(bytes);
        }
    }
    // The scope's own names first, then a few fixed ones, then pieces of the input; bounded so
    // that a scope costs a few hundred queries and the fuzzer keeps its pace.
    let mut caches: Vec<String> = held
        .iter()
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect();
    let mut keys: Vec<Vec<u8>> = Vec::new();
    for name in &held {
        keys.push(name.to_vec());
        let mut longer = name.to_vec();
        longer.push(b'x');
        keys.push(longer);
        if let Some((_, shorter)) = name.split_last() {
            keys.push(shorter.to_vec());
        }
        keys.push(name.to_ascii_uppercase());
    }
    caches.extend(["", "*", "media"].map(str::to_owned));
    keys.extend([&b""[..], b"/Movie1/a.ts"].map(<[u8]>::to_vec));
    for piece in data.split(|&b| b == b'|').take(2) {
        keys.push(piece.to_vec());
        caches.push(String::from_utf8_lossy(piece).into_owned());
    }
    let mut seen = std::collections::HashSet::new();
    caches.retain(|c| seen.insert(c.clone()));
    caches.truncate(7);
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k| seen.insert(k.clone()));
    keys.truncate(18);
    (caches, keys)
}

/// The operations asked about: one of each class, two picked by the input (so that every
/// operation of the table is reached over a run), and one the table does not have.
fn operations(data: &[u8]) -> Vec<(&'static str, Option<OperationClass>)> {
    let mut ops: Vec<(&'static str, Option<OperationClass>)> = Vec::new();
    for class in OperationClass::ALL {
        if let Some((name, _)) = OPERATIONS.iter().find(|(_, c)| *c == class) {
            ops.push((name, Some(class)));
        }
    }
    let h = data.iter().fold(0usize, |h, &b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    for i in [h, h / 97] {
        let (name, class) = OPERATIONS[i % OPERATIONS.len()];
        ops.push((name, Some(class)));
    }
    ops.push(("notAnOperation", None));
    ops
}

/// One grant of a check plan (`PermissionScope::check_plan`), as the JS layer runs it.
struct Grant {
    classes: u64,
    cache: Option<String>,
    topics: bool,
    kind: u64,
    name: String,
}

fn plan_of(scope: &PermissionScope) -> Option<Vec<Grant>> {
    let text = scope.check_plan()?;
    let value: serde_json::Value = serde_json::from_str(&text).expect("a check plan is JSON");
    let grants = value
        .as_array()
        .expect("a check plan is an array")
        .iter()
        .map(|g| {
            let g = g.as_array().expect("a grant is an array");
            assert_eq!(g.len(), 5, "a grant has five members: {text}");
            let kind = g[3].as_u64().unwrap();
            assert!(kind <= 2, "kind {kind}: {text}");
            Grant {
                classes: g[0].as_u64().unwrap(),
                cache: match &g[1] {
                    serde_json::Value::Null => None,
                    c => Some(c.as_str().expect("cache is a string or null").to_owned()),
                },
                topics: match g[2].as_u64().unwrap() {
                    0 => false,
                    1 => true,
                    t => panic!("topics {t}: {text}"),
                },
                kind,
                name: g[4].as_str().unwrap().to_owned(),
            }
        })
        .collect();
    Some(grants)
}

/// How `js/api.mjs` runs a plan: a class bit test, `===` and `startsWith`.
fn plan_allows(plan: &[Grant], bit: u64, topics: bool, cache: &str, name: &str) -> bool {
    // The JS layer denies a blank cache name first (`!cache.trim()`: JS's white space, which is
    // Unicode's without U+0085, and U+FEFF): the SDK sends no request for one.
    let js_blank = cache
        .chars()
        .all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}');
    !js_blank && plan.iter().any(|g| {
        g.topics == topics
            && g.classes & bit != 0
            && g.cache.as_deref().is_none_or(|c| c == cache)
            && match g.kind {
                0 => true,
                1 => g.name == name,
                _ => name.starts_with(&g.name),
            }
    })
}

/// `explain` agrees with the check it explains, and the permission it names grants alone.
fn check_explanation(
    scope: &PermissionScope,
    allowed: bool,
    e: &playgate::token::momento::Explanation,
    alone: impl Fn(&PermissionScope) -> bool,
) {
    assert_eq!(e.allowed, allowed, "explain: {}", e.reason);
    assert!(!e.reason.is_empty());
    match e.permission {
        Some(i) => {
            assert!(allowed && !scope.is_super_user(), "{}", e.reason);
            let p = scope
                .permissions()
                .get(i)
                .expect("explain names a permission the scope has");
            // The permission named grants this alone (when it is a scope on its own: a
            // protobuf may hold one `new` refuses, e.g. a blank key, which grants nothing).
            if let Ok(single) = PermissionScope::new(vec![p.clone()]) {
                assert!(alone(&single), "permissions[{i}] alone does not grant it");
            }
        }
        None => assert!(!allowed || scope.is_super_user(), "{}", e.reason),
    }
}

/// Every check this crate makes of a scope that was read (`explain` on every grant and on one
/// denial in 8: a denial's reason describes every permission, the costliest check here).
pub fn check_scope(scope: &PermissionScope, data: &[u8]) {
    check_scope_with(scope, data, 8);
}

/// [`check_scope`], explaining one denial in `explain_every` (1: every query).
pub fn check_scope_with(scope: &PermissionScope, data: &[u8], explain_every: usize) {
    let (caches, keys) = names(scope, data);
    let plan = plan_of(scope);
    // The protobuf form holds everything the reader holds: the very same scope back.
    let pb = PermissionScope::from_protobuf(&scope.to_protobuf())
        .expect("the protobuf writer's output reads back");
    assert_eq!(&pb, scope, "protobuf round trip");
    // The JSON form is exact, or there is none (INVALID_SCOPE): never a wider one.
    let json = match scope.to_json() {
        Ok(text) => {
            let back = PermissionScope::from_json(&text).expect("to_json's output reads back");
            assert_eq!(&back, scope, "JSON round trip changed the scope: {text}");
            Some(back)
        }
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidScope, "{}", e.message());
            None
        }
    };
    let mut query = 0usize;
    for (op, class) in operations(data) {
        for cache in &caches {
            for key in &keys {
                query += 1;
                let explain = query % explain_every.max(1) == 0;
                let allowed = scope.allows(op, cache, key);
                assert!(
                    class.is_some() || !allowed,
                    "an unknown operation was allowed"
                );
                if allowed || explain {
                    let explained = scope.explain(op, cache, key);
                    check_explanation(scope, allowed, &explained, |s| s.allows(op, cache, key));
                }
                assert_eq!(
                    pb.allows(op, cache, key),
                    allowed,
                    "protobuf form answers alike"
                );
                if let Some(j) = &json {
                    assert_eq!(j.allows(op, cache, key), allowed, "JSON form answers alike");
                }
                let topic = String::from_utf8_lossy(key);
                let topic_allowed = scope.allows_topic(op, cache, &topic);
                assert!(class.is_some() || !topic_allowed);
                if topic_allowed || explain {
                    let explained = scope.explain_topic(op, cache, &topic);
                    check_explanation(scope, topic_allowed, &explained, |s| {
                        s.allows_topic(op, cache, &topic)
                    });
                }
                assert_eq!(pb.allows_topic(op, cache, &topic), topic_allowed);
                if let Some(j) = &json {
                    assert_eq!(j.allows_topic(op, cache, &topic), topic_allowed);
                }
                if let (Some(plan), Some(class)) = (&plan, class) {
                    let bit = u64::from(class.bit());
                    if let Ok(key_text) = std::str::from_utf8(key) {
                        assert_eq!(
                            plan_allows(plan, bit, false, cache, key_text),
                            allowed,
                            "plan {op} {cache:?} {key_text:?}"
                        );
                    }
                    assert_eq!(
                        plan_allows(plan, bit, true, cache, &topic),
                        topic_allowed,
                        "plan topic {op} {cache:?} {topic:?}"
                    );
                }
            }
        }
    }
}
