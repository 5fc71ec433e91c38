//! What several fuzz targets check on every scope they manage to read: the answers of every
//! form and view of a scope agree (check plan, `explain`, protobuf and JSON round trips), and a
//! conversion either keeps the scope exactly or fails with `INVALID_SCOPE`: never wider.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use playgate::error::ErrorCode;
use playgate::scope::{
    CacheSelector, FunctionSelector, ItemSelector, Permission, PermissionScope, TopicSelector,
    OPERATIONS,
};

/// Names worth asking about: every name the scope holds, variations of them (a byte more, a
/// byte less, another case), a few fixed ones, and pieces of the fuzz input itself.
pub fn names(scope: &PermissionScope, data: &[u8]) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut caches = vec![
        String::new(),
        "*".to_owned(),
        "media".to_owned(),
        "demo".to_owned(),
    ];
    let mut keys: Vec<Vec<u8>> = vec![b"".to_vec(), b"/Movie1/a.ts".to_vec(), b"hits".to_vec()];
    let mut add_cache = |c: &CacheSelector| {
        if let CacheSelector::Named(n) = c {
            caches.push(n.clone());
        }
    };
    let mut add_key = |k: &[u8]| {
        keys.push(k.to_vec());
        let mut longer = k.to_vec();
        longer.push(b'x');
        keys.push(longer);
        if let Some((_, shorter)) = k.split_last() {
            keys.push(shorter.to_vec());
        }
        keys.push(k.to_ascii_uppercase());
    };
    for p in scope.permissions() {
        match p {
            Permission::Cache { cache, items, .. } => {
                cache.iter().for_each(&mut add_cache);
                match items {
                    ItemSelector::Key(k) | ItemSelector::Prefix(k) => add_key(k),
                    ItemSelector::All => {}
                }
            }
            Permission::Topic { cache, topic, .. } => {
                cache.iter().for_each(&mut add_cache);
                if let Some(TopicSelector::Named(t) | TopicSelector::Prefix(t)) = topic {
                    add_key(t.as_bytes());
                }
            }
            Permission::Function { cache, func, .. } => {
                cache.iter().for_each(&mut add_cache);
                if let Some(FunctionSelector::Named(f) | FunctionSelector::Prefix(f)) = func {
                    add_key(f.as_bytes());
                }
            }
        }
    }
    for piece in data.split(|&b| b == b'|').take(4) {
        keys.push(piece.to_vec());
        caches.push(String::from_utf8_lossy(piece).into_owned());
    }
    caches.sort();
    caches.dedup();
    keys.sort();
    keys.dedup();
    // Bounded, so that a scope costs about a thousand checks and the fuzzer keeps its pace.
    caches.truncate(8);
    keys.truncate(16);
    (caches, keys)
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
        .map(|g| Grant {
            classes: g[0].as_u64().unwrap(),
            cache: g[1].as_str().map(str::to_owned),
            topics: g[2].as_u64().unwrap() == 1,
            kind: g[3].as_u64().unwrap(),
            name: g[4].as_str().unwrap().to_owned(),
        })
        .collect();
    Some(grants)
}

fn plan_allows(plan: &[Grant], bit: u64, topics: bool, cache: &str, name: &str) -> bool {
    plan.iter().any(|g| {
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

/// Every check this crate makes of a scope that was read.
pub fn check_scope(scope: &PermissionScope, data: &[u8]) {
    let (caches, keys) = names(scope, data);
    let plan = plan_of(scope);
    let pb = PermissionScope::from_protobuf(&scope.to_protobuf())
        .expect("the protobuf writer's output reads back");
    assert_eq!(&pb, scope, "protobuf round trip");
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
    for (op, class) in OPERATIONS
        .iter()
        .step_by(7)
        .chain(OPERATIONS.iter().rev().take(2))
    {
        for cache in &caches {
            for key in &keys {
                let allowed = scope.allows(op, cache, key);
                assert_eq!(
                    scope.explain(op, cache, key).allowed,
                    allowed,
                    "explain {op}"
                );
                assert_eq!(pb.allows(op, cache, key), allowed);
                if let Some(j) = &json {
                    assert_eq!(j.allows(op, cache, key), allowed, "JSON form answers alike");
                }
                let topic = String::from_utf8_lossy(key);
                let topic_allowed = scope.allows_topic(op, cache, &topic);
                assert_eq!(
                    scope.explain_topic(op, cache, &topic).allowed,
                    topic_allowed,
                    "explainTopic {op}"
                );
                if let (Some(plan), Ok(key_text)) = (&plan, std::str::from_utf8(key)) {
                    let bit = u64::from(class.bit());
                    assert_eq!(
                        plan_allows(plan, bit, false, cache, key_text),
                        allowed,
                        "plan {op} {cache:?} {key_text:?}"
                    );
                    assert_eq!(
                        plan_allows(plan, bit, true, cache, &topic),
                        topic_allowed,
                        "plan topic {op}"
                    );
                }
            }
        }
    }
}
