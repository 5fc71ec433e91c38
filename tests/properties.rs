//! Property tests (issue 11, "What must be true" 2): scopes in their two forms against a
//! reference model written here, the never-widen and monotonicity rules of scopes, malformed
//! input never decided, `validUntil` honest, and `to_json` exact or `INVALID_SCOPE`.
//!
//! Both scope forms (the SDK's JSON and the `p` protobuf) are written by this file, not by
//! playgate's writers, and every answer is compared with a model of the documented rules
//! (`docs/momento.md`, `docs/decision-rules.md`), never with the shape of playgate's
//! `Permission` values.
//!
//! Seeds: fixed (`SEED`) so a run is reproducible; `PROPTEST_RNG_SEED=<u64>` explores another
//! one and `PROPTEST_CASES=<n>` changes every property's case count.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "support/vectors.rs"]
mod vectors_support;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use playgate::token::momento::{OperationClass, PermissionScope, OPERATIONS};
use playgate::{evaluate_request_json, DecisionView};
use playgate::{Entitlement, ErrorCode, Policy};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngSeed};

/// The default seed of every property (override with `PROPTEST_RNG_SEED`).
const SEED: u64 = 0x706c_6179_6761_7465; // "playgate"

fn config(cases: u32) -> Config {
    Config {
        cases,
        // No `proptest-regressions/` files in the tree: the seed reproduces a run.
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(SEED),
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

// ==== names ==================================================================================

/// Realistic and nasty names: prefixes of each other, `*`, unicode, NUL, quotes, line breaks,
/// white space around names, U+FFFD, white space JS trims but ASCII does not (U+000B, U+00A0).
const POOL: &[&str] = &[
    "media",
    "med",
    "m",
    "media2",
    "media/",
    "demo",
    "chat",
    "*",
    "**",
    "média",
    "MEDIA",
    "🎬",
    "映画/",
    "/Movie1/",
    "/Movie1",
    "/Movie1/a.ts",
    "/Movie10/",
    "/My Movie/",
    " media",
    "media ",
    "a\u{0}b",
    "\u{FFFD}",
    "\u{A0}",
    "\u{B}",
    "\"q\\",
    "line\nbreak",
    "room-",
    "room-1",
];

/// Names the service and playgate reject as empty or white space.
const BLANKS: &[&str] = &["", " ", "\t", " \r\n ", "\u{C}"];

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        20 => select(POOL).prop_map(str::to_owned),
        2 => "\\PC{1,8}",
        1 => select(BLANKS).prop_map(str::to_owned),
        1 => (1usize..4, select(POOL)).prop_map(|(n, s)| s.repeat(60 * n)),
    ]
    .boxed()
}

/// The model's "blank": what the SDK's validators refuse, `!name.trim()` in JS. ECMA-262's
/// `trim` removes WhiteSpace (TAB, VT, FF, ZWNBSP U+FEFF, every Zs) and LineTerminator (LF, CR,
/// LS, PS). Bytes that are not UTF-8 are not blank.
fn blank(s: &[u8]) -> bool {
    const ZS: &[char] = &[
        ' ', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}',
        '\u{2005}', '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{202f}',
        '\u{205f}', '\u{3000}',
    ];
    std::str::from_utf8(s).is_ok_and(|t| {
        t.chars().all(|c| {
            matches!(
                c,
                '\t' | '\u{b}' | '\u{c}' | '\u{feff}' | '\n' | '\r' | '\u{2028}' | '\u{2029}'
            ) || ZS.contains(&c)
        })
    })
}

/// `s` without its last character.
fn drop_last(s: &str) -> String {
    let mut chars = s.chars();
    chars.next_back();
    chars.as_str().to_owned()
}

// ==== the scope model ========================================================================

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CRole {
    ReadWrite,
    ReadOnly,
    WriteOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TRole {
    PublishSubscribe,
    SubscribeOnly,
    PublishOnly,
}

/// A selector: `All`, one exact name, or a prefix (caches are only `All` or `Exact`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sel {
    All,
    Exact(String),
    Prefix(String),
}

impl Sel {
    fn matches(&self, name: &[u8]) -> bool {
        match self {
            Sel::All => true,
            // An empty name or prefix names nothing: it matches nothing (never "everything").
            Sel::Exact(n) => !n.is_empty() && n.as_bytes() == name,
            Sel::Prefix(p) => !p.is_empty() && name.starts_with(p.as_bytes()),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Sel::All => None,
            Sel::Exact(t) | Sel::Prefix(t) => Some(t),
        }
    }
}

/// One permission as a scope author writes it. `form` picks among the equivalent ways of
/// writing it (bit 0: cache as `{name}`; 1: all items as `item: {}`; 2: a key as `{key}`;
/// 3: a topic or function as `{name}`; 4: non-ASCII and `/` as `\u` escapes; 5: members in
/// reverse order; 6: protobuf all items as field 4 rather than unset; 7: protobuf with an
/// unknown field).
#[derive(Debug, Clone)]
enum Perm {
    Cache {
        role: CRole,
        cache: Sel,
        item: Sel,
        form: u8,
    },
    /// `cache_role`: spelt with the cache role of least privilege (seed 002's topic example:
    /// readonly = subscribeonly, writeonly = publishonly, readwrite = publishsubscribe).
    Topic {
        role: TRole,
        cache_role: bool,
        cache: Sel,
        topic: Sel,
        form: u8,
    },
    Function {
        invoke: bool,
        cache: Sel,
        func: Sel,
        form: u8,
    },
}

#[derive(Debug, Clone)]
struct Scope {
    super_user: bool,
    perms: Vec<Perm>,
}

fn class_of(op: &str) -> Option<OperationClass> {
    OPERATIONS.iter().find(|(n, _)| *n == op).map(|(_, c)| *c)
}

fn crole_permits(role: CRole, class: OperationClass) -> bool {
    use OperationClass::{Read, ReadWrite, Write};
    match role {
        CRole::ReadWrite => matches!(class, Read | Write | ReadWrite),
        CRole::ReadOnly => class == Read,
        CRole::WriteOnly => class == Write,
    }
}

fn trole_permits(role: TRole, class: OperationClass) -> bool {
    use OperationClass::{Publish, Subscribe};
    match role {
        TRole::PublishSubscribe => matches!(class, Publish | Subscribe),
        TRole::SubscribeOnly => class == Subscribe,
        TRole::PublishOnly => class == Publish,
    }
}

/// What is asked: `op` on `name` (a key, or a topic when `topic`) in `cache`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Query {
    op: String,
    cache: String,
    name: Vec<u8>,
    topic: bool,
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.topic { "topic" } else { "key" };
        write!(
            f,
            "{}({:?}, {what} {:?})",
            self.op,
            self.cache,
            String::from_utf8_lossy(&self.name)
        )?;
        if std::str::from_utf8(&self.name).is_err() {
            write!(f, " bytes {:02x?}", self.name)?;
        }
        Ok(())
    }
}

/// The reference: least privilege, a union of permissions, unknown operations denied, names
/// compared as bytes, a cache named `*` literal, function permissions grant nothing checked.
fn model(scope: &Scope, q: &Query) -> bool {
    let Some(class) = class_of(&q.op) else {
        return false;
    };
    // A blank cache name is no cache: the SDK sends no request for one.
    if blank(q.cache.as_bytes()) {
        return false;
    }
    if scope.super_user {
        return true;
    }
    scope.perms.iter().any(|p| match p {
        Perm::Cache {
            role, cache, item, ..
        } => {
            !q.topic
                && crole_permits(*role, class)
                && cache.matches(q.cache.as_bytes())
                && item.matches(&q.name)
        }
        Perm::Topic {
            role, cache, topic, ..
        } => {
            q.topic
                && trole_permits(*role, class)
                && cache.matches(q.cache.as_bytes())
                && topic.matches(&q.name)
        }
        Perm::Function { .. } => false,
    })
}

/// Whether the JSON form is valid: at least one permission, no blank name, and no two
/// permissions of one kind on the same selector with different roles (the service's rules).
fn model_json_valid(scope: &Scope) -> bool {
    if scope.super_user {
        return true;
    }
    if scope.perms.is_empty() {
        return false;
    }
    let blank_sel = |s: &Sel| s.text().is_some_and(|t| blank(t.as_bytes()));
    let no_blank = scope.perms.iter().all(|p| match p {
        Perm::Cache { cache, item, .. } => !blank_sel(cache) && !blank_sel(item),
        Perm::Topic { cache, topic, .. } => !blank_sel(cache) && !blank_sel(topic),
        Perm::Function { cache, func, .. } => !blank_sel(cache) && !blank_sel(func),
    });
    let key = |p: &Perm| -> (u8, u8, Sel, Sel) {
        match p {
            Perm::Cache {
                role, cache, item, ..
            } => (0, *role as u8, cache.clone(), item.clone()),
            Perm::Topic {
                role, cache, topic, ..
            } => (1, *role as u8, cache.clone(), topic.clone()),
            Perm::Function {
                invoke,
                cache,
                func,
                ..
            } => (2, u8::from(*invoke), cache.clone(), func.clone()),
        }
    };
    let keys: Vec<_> = scope.perms.iter().map(key).collect();
    let conflict = keys.iter().enumerate().any(|(i, a)| {
        keys.iter()
            .take(i)
            .any(|b| a.0 == b.0 && a.2 == b.2 && a.3 == b.3 && a.1 != b.1)
    });
    no_blank && !conflict
}

// ==== the SDK's JSON form, written here ========================================================

fn json_str(out: &mut String, s: &str, escape_all: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if escape_all => out.push_str("\\/"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if escape_all && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn quoted(s: &str) -> String {
    let mut out = String::new();
    json_str(&mut out, s, false);
    out
}

fn perm_json(p: &Perm) -> String {
    let form = match p {
        Perm::Cache { form, .. } | Perm::Topic { form, .. } | Perm::Function { form, .. } => *form,
    };
    let bit = |n: u8| form & (1 << n) != 0;
    let esc = bit(4);
    let s = |t: &str| {
        let mut out = String::new();
        json_str(&mut out, t, esc);
        out
    };
    let cache_json = |c: &Sel| match c {
        Sel::All => "{}".to_owned(),
        Sel::Exact(n) if bit(0) => format!("{{\"name\":{}}}", s(n)),
        Sel::Exact(n) | Sel::Prefix(n) => s(n),
    };
    let named_json = |t: &Sel| match t {
        Sel::All => "{}".to_owned(),
        Sel::Exact(n) if bit(3) => format!("{{\"name\":{}}}", s(n)),
        Sel::Exact(n) => s(n),
        Sel::Prefix(n) => format!("{{\"namePrefix\":{}}}", s(n)),
    };
    let mut members: Vec<(&str, String)> = Vec::new();
    match p {
        Perm::Cache {
            role, cache, item, ..
        } => {
            let role = match role {
                CRole::ReadWrite => "readwrite",
                CRole::ReadOnly => "readonly",
                CRole::WriteOnly => "writeonly",
            };
            members.push(("role", s(role)));
            members.push(("cache", cache_json(cache)));
            match item {
                Sel::All if bit(1) => members.push(("item", "{}".to_owned())),
                Sel::All => {}
                Sel::Exact(k) if bit(2) => {
                    members.push(("item", format!("{{\"key\":{}}}", s(k))));
                }
                Sel::Exact(k) => members.push(("item", s(k))),
                Sel::Prefix(k) => members.push(("item", format!("{{\"keyPrefix\":{}}}", s(k)))),
            }
        }
        Perm::Topic {
            role,
            cache_role,
            cache,
            topic,
            ..
        } => {
            let role = match (role, cache_role) {
                (TRole::PublishSubscribe, false) => "publishsubscribe",
                (TRole::SubscribeOnly, false) => "subscribeonly",
                (TRole::PublishOnly, false) => "publishonly",
                (TRole::PublishSubscribe, true) => "readwrite",
                (TRole::SubscribeOnly, true) => "readonly",
                (TRole::PublishOnly, true) => "writeonly",
            };
            members.push(("role", s(role)));
            members.push(("cache", cache_json(cache)));
            members.push(("topic", named_json(topic)));
        }
        Perm::Function {
            invoke,
            cache,
            func,
            ..
        } => {
            let role = if *invoke {
                "functioninvoke"
            } else {
                "functionpermitnone"
            };
            members.push(("role", s(role)));
            members.push(("cache", cache_json(cache)));
            members.push(("func", named_json(func)));
        }
    }
    if bit(5) {
        members.reverse();
    }
    // Bit 7 (unused by the JSON form otherwise): white space between every token.
    let (colon, comma) = if bit(7) {
        (" :\n\t", " ,\r\n ")
    } else {
        (":", ",")
    };
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}{colon}{v}", quoted(k)))
        .collect();
    format!("{{{}}}", body.join(comma))
}

fn scope_json(scope: &Scope) -> String {
    if scope.super_user {
        return r#"{"superUser":true}"#.to_owned();
    }
    let perms: Vec<String> = scope.perms.iter().map(perm_json).collect();
    format!("{{\"permissions\":[{}]}}", perms.join(","))
}

// ==== the protobuf form, written here =========================================================

fn pb_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn pb_uint(out: &mut Vec<u8>, field: u32, v: u64) {
    pb_varint(out, u64::from(field) << 3);
    pb_varint(out, v);
}

fn pb_bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
    pb_varint(out, (u64::from(field) << 3) | 2);
    pb_varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

/// A one-field message `{field: data}`.
fn pb_msg(field: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pb_bytes(&mut out, field, data);
    out
}

/// A permission's protobuf body, in pieces: a role, the cache oneof, the name oneof.
#[derive(Debug, Clone)]
struct RawPerm {
    /// 1 cache, 2 topic, 3 function (`PermissionsType` field numbers).
    kind: u32,
    /// The role enum value (0 = permit none; 4 and 7 are outside the schema).
    role: u64,
    cache: Option<RawCache>,
    sel: Option<RawSel>,
    form: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RawCache {
    All,
    Named(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RawSel {
    /// `all_* = 4`; for items, `items_unset` says whether the oneof is left unset instead.
    All { unset: bool },
    /// Field 1 of the selector: a key, or a topic or function name.
    Exact(Vec<u8>),
    /// Field 2 of the selector: a prefix.
    Prefix(Vec<u8>),
    /// The selector message with neither field set.
    Empty,
}

fn raw_perm_pb(p: &RawPerm) -> Vec<u8> {
    let bit = |n: u8| p.form & (1 << n) != 0;
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    if p.role != 0 || bit(1) {
        let mut role = Vec::new();
        pb_uint(&mut role, 1, p.role);
        pieces.push(role);
    }
    let cache = |c: &RawCache| match c {
        RawCache::All => pb_msg(2, &[]),
        RawCache::Named(n) => pb_msg(3, &pb_msg(1, n)),
    };
    if let Some(c) = &p.cache {
        // bit 2: another member of the cache oneof first; the last one read wins.
        if bit(2) {
            pieces.push(match c {
                RawCache::All => cache(&RawCache::Named(b"shadow".to_vec())),
                RawCache::Named(_) => cache(&RawCache::All),
            });
        }
        pieces.push(cache(c));
    }
    match &p.sel {
        // An unset items oneof is all items; topics and functions have no such form.
        None => {}
        Some(RawSel::All { unset: true }) if p.kind == 1 => {}
        Some(RawSel::All { .. }) => pieces.push(pb_msg(4, &[])),
        Some(RawSel::Exact(b)) => pieces.push(pb_msg(5, &pb_msg(1, b))),
        Some(RawSel::Prefix(b)) => pieces.push(pb_msg(5, &pb_msg(2, b))),
        Some(RawSel::Empty) => pieces.push(pb_msg(5, &[])),
    }
    if bit(5) {
        // Fields in another order (a reader takes them in any order), except the shadowed
        // cache selector, which must stay before the real one.
        if !bit(2) {
            pieces.reverse();
        }
    }
    if bit(7) {
        let mut unknown = Vec::new();
        pb_uint(&mut unknown, 14, 1);
        pieces.insert(0, unknown);
    }
    pieces.concat()
}

fn raw_scope_pb(super_user: bool, perms: &[RawPerm]) -> Vec<u8> {
    if super_user {
        return vec![0x08, 0x00];
    }
    let mut explicit = Vec::new();
    for p in perms {
        pb_bytes(&mut explicit, 1, &pb_msg(p.kind, &raw_perm_pb(p)));
    }
    pb_msg(2, &explicit)
}

/// The model permission as protobuf pieces.
fn to_raw(p: &Perm) -> RawPerm {
    let cache = |c: &Sel| match c {
        Sel::All => RawCache::All,
        Sel::Exact(n) | Sel::Prefix(n) => RawCache::Named(n.as_bytes().to_vec()),
    };
    let sel = |s: &Sel, unset: bool| match s {
        Sel::All => RawSel::All { unset },
        Sel::Exact(n) => RawSel::Exact(n.as_bytes().to_vec()),
        Sel::Prefix(n) => RawSel::Prefix(n.as_bytes().to_vec()),
    };
    match p {
        Perm::Cache {
            role,
            cache: c,
            item,
            form,
        } => RawPerm {
            kind: 1,
            role: match role {
                CRole::ReadWrite => 1,
                CRole::ReadOnly => 2,
                CRole::WriteOnly => 3,
            },
            cache: Some(cache(c)),
            sel: Some(sel(item, form & (1 << 6) == 0)),
            // Bits 1 and 2 of a RawPerm's form are its own nasties; keep them off here.
            form: form & !0b110,
        },
        Perm::Topic {
            role,
            cache: c,
            topic,
            form,
            ..
        } => RawPerm {
            kind: 2,
            role: match role {
                TRole::PublishSubscribe => 1,
                TRole::SubscribeOnly => 2,
                TRole::PublishOnly => 3,
            },
            cache: Some(cache(c)),
            sel: Some(sel(topic, false)),
            form: form & !0b110,
        },
        Perm::Function {
            invoke,
            cache: c,
            func,
            form,
        } => RawPerm {
            kind: 3,
            role: u64::from(*invoke),
            cache: Some(cache(c)),
            sel: Some(sel(func, false)),
            form: form & !0b110,
        },
    }
}

fn scope_pb(scope: &Scope) -> Vec<u8> {
    let raw: Vec<RawPerm> = scope.perms.iter().map(to_raw).collect();
    raw_scope_pb(scope.super_user, &raw)
}

/// The least-privilege model of a protobuf scope that may hold what the JSON form cannot: a
/// role that permits nothing (0, or outside the schema), a missing selector, a selector
/// message with nothing set: each grants nothing. Keys are bytes.
fn raw_model(super_user: bool, perms: &[RawPerm], q: &Query) -> bool {
    let Some(class) = class_of(&q.op) else {
        return false;
    };
    if blank(q.cache.as_bytes()) {
        return false;
    }
    if super_user {
        return true;
    }
    perms.iter().any(|p| {
        let cache_ok = match &p.cache {
            None => false,
            Some(RawCache::All) => true,
            // An empty name names nothing (the SDK refuses empty names): it matches nothing.
            Some(RawCache::Named(n)) => !n.is_empty() && n.as_slice() == q.cache.as_bytes(),
        };
        let sel_ok = match &p.sel {
            None => p.kind == 1, // an unset items oneof is all items; a missing topic is none
            Some(RawSel::All { .. }) => true,
            // Empty keys and prefixes likewise: an empty prefix is not "every key".
            Some(RawSel::Exact(b)) => !b.is_empty() && b.as_slice() == q.name.as_slice(),
            Some(RawSel::Prefix(b)) => !b.is_empty() && q.name.starts_with(b),
            Some(RawSel::Empty) => false,
        };
        let role_ok = match (p.kind, p.role) {
            (1, 1) => crole_permits(CRole::ReadWrite, class),
            (1, 2) => crole_permits(CRole::ReadOnly, class),
            (1, 3) => crole_permits(CRole::WriteOnly, class),
            (2, 1) => trole_permits(TRole::PublishSubscribe, class),
            (2, 2) => trole_permits(TRole::SubscribeOnly, class),
            (2, 3) => trole_permits(TRole::PublishOnly, class),
            _ => false,
        };
        let kind_ok = match p.kind {
            1 => !q.topic,
            2 => q.topic,
            _ => false,
        };
        kind_ok && role_ok && cache_ok && sel_ok
    })
}

/// Whether the JSON form can say exactly what a protobuf scope says (so `to_json` should
/// succeed): roles in the schema, every selector present and set, UTF-8, nothing blank, no
/// conflicting roles on one selector, at least one permission.
fn raw_expressible(super_user: bool, perms: &[RawPerm]) -> bool {
    if super_user {
        return true;
    }
    if perms.is_empty() {
        return false;
    }
    let ok = |b: &[u8]| std::str::from_utf8(b).is_ok() && !blank(b);
    let each = perms.iter().all(|p| {
        let role_ok = match p.kind {
            1 | 2 => (1..=3).contains(&p.role),
            _ => true, // functions: 1 invoke, anything else permit none (both have JSON names)
        };
        let cache_ok = match &p.cache {
            None => false,
            Some(RawCache::All) => true,
            Some(RawCache::Named(n)) => ok(n),
        };
        let sel_ok = match &p.sel {
            None => p.kind == 1,
            Some(RawSel::All { .. }) => true,
            Some(RawSel::Exact(b) | RawSel::Prefix(b)) => ok(b),
            Some(RawSel::Empty) => false,
        };
        role_ok && cache_ok && sel_ok
    });
    let norm = |p: &RawPerm| {
        let role = match p.kind {
            3 => u64::from(p.role == 1),
            _ => p.role,
        };
        let sel = match &p.sel {
            None | Some(RawSel::All { .. }) => RawSel::All { unset: true },
            Some(s) => s.clone(),
        };
        (p.kind, role, p.cache.clone(), sel)
    };
    let keys: Vec<_> = perms.iter().map(norm).collect();
    let conflict = keys.iter().enumerate().any(|(i, a)| {
        keys.iter()
            .take(i)
            .any(|b| a.0 == b.0 && a.2 == b.2 && a.3 == b.3 && a.1 != b.1)
    });
    each && !conflict
}

// ==== scope generators ==========================================================================

fn cache_sel() -> BoxedStrategy<Sel> {
    prop_oneof![1 => Just(Sel::All), 4 => name().prop_map(Sel::Exact)].boxed()
}

fn named_sel() -> BoxedStrategy<Sel> {
    prop_oneof![
        2 => Just(Sel::All),
        3 => name().prop_map(Sel::Exact),
        3 => name().prop_map(Sel::Prefix),
    ]
    .boxed()
}

fn crole() -> impl Strategy<Value = CRole> {
    select(vec![CRole::ReadWrite, CRole::ReadOnly, CRole::WriteOnly])
}

fn trole() -> impl Strategy<Value = TRole> {
    select(vec![
        TRole::PublishSubscribe,
        TRole::SubscribeOnly,
        TRole::PublishOnly,
    ])
}

fn perm() -> BoxedStrategy<Perm> {
    prop_oneof![
        6 => (crole(), cache_sel(), named_sel(), any::<u8>()).prop_map(|(role, cache, item, form)| {
            Perm::Cache { role, cache, item, form }
        }),
        4 => (trole(), any::<bool>(), cache_sel(), named_sel(), any::<u8>()).prop_map(
            |(role, cache_role, cache, topic, form)| Perm::Topic { role, cache_role, cache, topic, form }
        ),
        1 => (any::<bool>(), cache_sel(), named_sel(), any::<u8>()).prop_map(
            |(invoke, cache, func, form)| Perm::Function { invoke, cache, func, form }
        ),
    ]
    .boxed()
}

fn scope() -> BoxedStrategy<Scope> {
    prop_oneof![
        1 => Just(Scope { super_user: true, perms: Vec::new() }),
        1 => Just(Scope { super_user: false, perms: Vec::new() }),
        30 => prop::collection::vec(perm(), 1..5).prop_map(|perms| Scope { super_user: false, perms }),
    ]
    .boxed()
}

fn op() -> BoxedStrategy<String> {
    let known: Vec<&'static str> = OPERATIONS.iter().map(|(n, _)| *n).collect();
    prop_oneof![
        8 => select(known).prop_map(str::to_owned),
        1 => select(vec!["", "GET", "get ", "Publish", "frobnicate", "*", "subscribe\u{0}"])
            .prop_map(str::to_owned),
    ]
    .boxed()
}

fn query() -> BoxedStrategy<Query> {
    (
        op(),
        name(),
        name(),
        select(vec!["", "", "x", "/a.ts", "é"]),
        any::<bool>(),
    )
        .prop_map(|(op, cache, name, suffix, topic)| Query {
            op,
            cache,
            name: format!("{name}{suffix}").into_bytes(),
            topic,
        })
        .boxed()
}

/// One operation of each class, and one unknown.
const CLASS_OPS: &[&str] = &[
    "get",
    "set",
    "increment",
    "publish",
    "subscribe",
    "teleport",
];

/// Queries aimed at a scope's own names: for each permission, the cache it names (and near
/// misses) with the name it names (exact, longer, shorter, empty), for an operation of each
/// class, as key and topic; then every cache with every name, for a read and a publish.
fn queries_near(perms: &[&Perm], extra: &[Query]) -> Vec<Query> {
    let caches_of = |c: &Sel| -> Vec<String> {
        match c.text() {
            Some(c) => vec![c.to_owned(), format!("{c}x"), drop_last(c)],
            None => vec!["media".to_owned(), "*".to_owned()],
        }
    };
    let names_of = |n: &Sel| -> Vec<Vec<u8>> {
        match n.text() {
            Some(n) => [
                n.to_owned(),
                format!("{n}x"),
                format!("{n}/a.ts"),
                drop_last(n),
            ]
            .map(String::into_bytes)
            .to_vec(),
            None => vec![b"k".to_vec(), Vec::new()],
        }
    };
    let mut out: BTreeSet<Query> = extra.iter().cloned().collect();
    let mut all_caches: BTreeSet<String> = ["media", "other"].map(str::to_owned).into();
    let mut all_names: BTreeSet<Vec<u8>> = [b"k".to_vec()].into();
    let push = |out: &mut BTreeSet<Query>, ops: &[&str], cache: &str, name: &[u8]| {
        for op in ops {
            for topic in [false, true] {
                out.insert(Query {
                    op: (*op).to_owned(),
                    cache: cache.to_owned(),
                    name: name.to_vec(),
                    topic,
                });
            }
        }
    };
    for p in perms {
        let (c, n) = match p {
            Perm::Cache { cache, item, .. } => (cache, item),
            Perm::Topic { cache, topic, .. } => (cache, topic),
            Perm::Function { cache, func, .. } => (cache, func),
        };
        let (caches, names) = (caches_of(c), names_of(n));
        for cache in &caches {
            for name in &names {
                push(&mut out, CLASS_OPS, cache, name);
            }
        }
        all_caches.extend(caches);
        all_names.extend(names);
    }
    for cache in &all_caches {
        for name in &all_names {
            push(&mut out, &["get", "publish"], cache, name);
        }
    }
    out.into_iter().collect()
}

fn answer(s: &PermissionScope, q: &Query) -> bool {
    if q.topic {
        match std::str::from_utf8(&q.name) {
            Ok(topic) => s.allows_topic(&q.op, &q.cache, topic),
            Err(_) => false, // a topic is a string: such a query cannot be asked
        }
    } else {
        s.allows(&q.op, &q.cache, &q.name)
    }
}

/// Checks that `s` answers every query like `expect`; the first difference as an error.
fn same_answers(
    what: &str,
    s: &PermissionScope,
    queries: &[Query],
    expect: impl Fn(&Query) -> bool,
) -> Result<(), String> {
    for q in queries {
        if q.topic && std::str::from_utf8(&q.name).is_err() {
            continue;
        }
        let (got, want) = (answer(s, q), expect(q));
        if got != want {
            return Err(format!(
                "{what}: {q} is {} but should be {}",
                if got { "granted" } else { "denied" },
                if want { "granted" } else { "denied" },
            ));
        }
    }
    Ok(())
}

// ==== property 1: the two forms agree with each other and with the model ===================

proptest! {
    #![proptest_config(config(800))]

    /// A scope never grants more in one form than another: the SDK JSON form and the protobuf
    /// form, both written here, answer every query as the model does; the JSON form is
    /// rejected (`INVALID_SCOPE`) exactly when the model says the service would reject it.
    #[test]
    fn p1_json_and_protobuf_answer_like_the_model(
        scope in scope(),
        extra in prop::collection::vec(query(), 0..24),
    ) {
        let json = scope_json(&scope);
        let pb = scope_pb(&scope);
        let refs: Vec<&Perm> = scope.perms.iter().collect();
        let queries = queries_near(&refs, &extra);
        let from_pb = PermissionScope::from_protobuf(&pb)
            .map_err(|e| TestCaseError::fail(format!("protobuf {pb:02x?} refused: {e}")))?;
        same_answers("protobuf form", &from_pb, &queries, |q| model(&scope, q))
            .map_err(|m| TestCaseError::fail(format!("{m}\nprotobuf {pb:02x?}\nJSON {json}")))?;
        match (model_json_valid(&scope), PermissionScope::from_json(&json)) {
            (true, Ok(from_json)) => {
                same_answers("JSON form", &from_json, &queries, |q| model(&scope, q))
                    .map_err(|m| TestCaseError::fail(format!("{m}\nJSON {json}")))?;
            }
            (false, Err(e)) => prop_assert_eq!(e.code(), ErrorCode::InvalidScope, "{}", json),
            (true, Err(e)) => prop_assert!(false, "valid JSON scope refused: {e}\nJSON {json}"),
            (false, Ok(_)) => prop_assert!(false, "invalid JSON scope accepted\nJSON {json}"),
        }
    }
}

// ==== property 2: a narrower role never grants what the wider role denies ==================

fn widen(p: &Perm) -> Perm {
    match p.clone() {
        Perm::Cache {
            cache, item, form, ..
        } => Perm::Cache {
            role: CRole::ReadWrite,
            cache,
            item,
            form,
        },
        Perm::Topic {
            cache_role,
            cache,
            topic,
            form,
            ..
        } => Perm::Topic {
            role: TRole::PublishSubscribe,
            cache_role,
            cache,
            topic,
            form,
        },
        f @ Perm::Function { .. } => f,
    }
}

/// Both parsed forms of a scope: protobuf always, JSON when playgate accepts it.
fn parsed(scope: &Scope) -> Vec<(&'static str, PermissionScope, String)> {
    let mut out = Vec::new();
    let pb = scope_pb(scope);
    if let Ok(s) = PermissionScope::from_protobuf(&pb) {
        out.push(("protobuf", s, format!("{pb:02x?}")));
    }
    let json = scope_json(scope);
    if let Ok(s) = PermissionScope::from_json(&json) {
        out.push(("JSON", s, json));
    }
    out
}

/// For each form both scopes parse in: every query `narrow` grants, `wide` grants.
fn never_more(narrow: &Scope, wide: &Scope, queries: &[Query]) -> Result<(), TestCaseError> {
    let narrow_forms = parsed(narrow);
    let wide_forms = parsed(wide);
    for (form, n, n_text) in &narrow_forms {
        let Some((_, w, w_text)) = wide_forms.iter().find(|(f, ..)| f == form) else {
            continue;
        };
        for q in queries {
            if answer(n, q) && !answer(w, q) {
                return Err(TestCaseError::fail(format!(
                    "{form}: {q} granted by\n  {n_text}\nbut denied by\n  {w_text}"
                )));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(500))]

    /// readonly and writeonly never grant what readwrite denies on the same selectors;
    /// subscribeonly and publishonly never grant what publishsubscribe denies.
    #[test]
    fn p2_a_narrower_role_never_grants_more(
        scope in prop::collection::vec(perm(), 1..5)
            .prop_map(|perms| Scope { super_user: false, perms }),
        which in any::<Index>(),
        extra in prop::collection::vec(query(), 0..16),
    ) {
        let i = which.index(scope.perms.len());
        let mut wide = scope.clone();
        wide.perms[i] = widen(&scope.perms[i]);
        let refs: Vec<&Perm> = scope.perms.iter().collect();
        let queries = queries_near(&refs, &extra);
        never_more(&scope, &wide, &queries)?;
        // The same for a lone permission, without the rest of the scope.
        let lone = Scope { super_user: false, perms: vec![scope.perms[i].clone()] };
        let lone_wide = Scope { super_user: false, perms: vec![wide.perms[i].clone()] };
        never_more(&lone, &lone_wide, &queries)?;
    }

    /// Adding a permission (anywhere in the list) never removes a grant.
    #[test]
    fn p3_adding_a_permission_never_removes_a_grant(
        scope in prop::collection::vec(perm(), 0..5)
            .prop_map(|perms| Scope { super_user: false, perms }),
        added in perm(),
        at in any::<Index>(),
        extra in prop::collection::vec(query(), 0..16),
    ) {
        let mut more = scope.clone();
        more.perms.insert(at.index(scope.perms.len() + 1), added);
        let refs: Vec<&Perm> = more.perms.iter().collect();
        let queries = queries_near(&refs, &extra);
        never_more(&scope, &more, &queries)?;
    }
}

// ==== property 6: to_json is exact or INVALID_SCOPE, never wider ===========================

/// `s.to_json()` read back answers exactly like `s`; `Ok(None)` when `to_json` refused with
/// `INVALID_SCOPE`.
fn round_trip(s: &PermissionScope, queries: &[Query]) -> Result<Option<String>, String> {
    let text = match s.to_json() {
        Ok(text) => text,
        Err(e) if e.code() == ErrorCode::InvalidScope => return Ok(None),
        Err(e) => return Err(format!("to_json failed with {:?}: {e}", e.code())),
    };
    let back = PermissionScope::from_json(&text)
        .map_err(|e| format!("to_json wrote {text}, which from_json refuses: {e}"))?;
    same_answers("read back from to_json", &back, queries, |q| answer(s, q))
        .map_err(|m| format!("{m}\nto_json wrote {text}"))?;
    let again = back
        .to_json()
        .map_err(|e| format!("the JSON form {text} does not write itself again: {e}"))?;
    if again != text {
        return Err(format!(
            "to_json is not a fixed point: {text}\nthen {again}"
        ));
    }
    Ok(Some(text))
}

fn raw_cache() -> BoxedStrategy<Option<RawCache>> {
    prop_oneof![
        1 => Just(None),
        2 => Just(Some(RawCache::All)),
        6 => name().prop_map(|n| Some(RawCache::Named(n.into_bytes()))),
    ]
    .boxed()
}

/// Key bytes: UTF-8 names, and bytes that are not UTF-8 (a lone continuation byte, a
/// truncated sequence, an encoded surrogate, an overlong `/`).
fn raw_bytes(utf8_only: bool) -> BoxedStrategy<Vec<u8>> {
    let text = name().prop_map(String::into_bytes);
    if utf8_only {
        return text.boxed();
    }
    let bad: &[&[u8]] = &[
        b"/\xff/",
        b"\xc3",
        b"/Movie1/\xed\xa0\x80",
        b"\xc0\xaf",
        b"/Movie1/\x80",
    ];
    prop_oneof![6 => text, 1 => select(bad).prop_map(<[u8]>::to_vec)].boxed()
}

fn raw_perm() -> BoxedStrategy<RawPerm> {
    (
        1u32..=3,
        select(vec![0u64, 1, 1, 2, 2, 3, 3, 4, 7]),
        raw_cache(),
        any::<u8>(),
    )
        .prop_flat_map(|(kind, role, cache, form)| {
            let bytes = raw_bytes(kind != 1);
            let sel = prop_oneof![
                1 => Just(None),
                2 => any::<bool>().prop_map(|unset| Some(RawSel::All { unset })),
                3 => bytes.clone().prop_map(|b| Some(RawSel::Exact(b))),
                3 => bytes.prop_map(|b| Some(RawSel::Prefix(b))),
                1 => Just(Some(RawSel::Empty)),
            ];
            sel.prop_map(move |sel| RawPerm {
                kind,
                role,
                cache: cache.clone(),
                sel,
                form,
            })
        })
        .boxed()
}

fn raw_queries(perms: &[RawPerm], extra: &[Query]) -> Vec<Query> {
    let mut caches: BTreeSet<String> = ["media", "other", "shadow", ""].map(str::to_owned).into();
    let mut names: BTreeSet<Vec<u8>> = [b"k".to_vec(), Vec::new(), "\u{FFFD}".into()].into();
    for p in perms {
        if let Some(RawCache::Named(n)) = &p.cache {
            let n = String::from_utf8_lossy(n).into_owned();
            caches.insert(format!("{n}x"));
            caches.insert(n);
        }
        if let Some(RawSel::Exact(b) | RawSel::Prefix(b)) = &p.sel {
            let lossy = String::from_utf8_lossy(b).into_owned().into_bytes();
            for v in [
                b.clone(),
                [b.as_slice(), b"x"].concat(),
                lossy.clone(),
                [lossy.as_slice(), b"x"].concat(),
            ] {
                names.insert(v);
            }
        }
    }
    let mut out = extra.to_vec();
    for cache in &caches {
        for name in &names {
            for op in CLASS_OPS {
                for topic in [false, true] {
                    out.push(Query {
                        op: (*op).to_owned(),
                        cache: cache.clone(),
                        name: name.clone(),
                        topic,
                    });
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config(500))]

    /// Every scope `from_json` accepts survives `to_json`: it succeeds, reads back with the
    /// same answers, and writes itself again.
    #[test]
    fn p6_json_scopes_survive_to_json(
        scope in scope(),
        extra in prop::collection::vec(query(), 0..16),
    ) {
        let json = scope_json(&scope);
        let Ok(s) = PermissionScope::from_json(&json) else {
            return Ok(()); // property 1 checks what is refused
        };
        let refs: Vec<&Perm> = scope.perms.iter().collect();
        let queries = queries_near(&refs, &extra);
        match round_trip(&s, &queries) {
            Ok(Some(_)) => {}
            Ok(None) => prop_assert!(false, "to_json refused a scope read from JSON: {json}"),
            Err(m) => prop_assert!(false, "{m}\nread from {json}"),
        }
    }

    /// A protobuf scope (roles outside the schema, missing or empty selectors, keys that are
    /// not UTF-8, blank names, conflicting roles, a shadowed oneof member) is answered with
    /// least privilege: what the schema does not say grants nothing.
    #[test]
    fn p1_protobuf_edge_forms_answer_with_least_privilege(
        super_user in prop::bool::weighted(0.03),
        perms in prop::collection::vec(raw_perm(), 0..4),
        extra in prop::collection::vec(query(), 0..16),
    ) {
        let pb = raw_scope_pb(super_user, &perms);
        let queries = raw_queries(&perms, &extra);
        let s = PermissionScope::from_protobuf(&pb)
            .map_err(|e| TestCaseError::fail(format!("protobuf {pb:02x?} refused: {e}")))?;
        same_answers("protobuf form", &s, &queries, |q| raw_model(super_user, &perms, q))
            .map_err(|m| TestCaseError::fail(format!("{m}\nprotobuf {pb:02x?}\n{perms:?}")))?;
    }

    /// The same protobuf scopes: `to_json` is exact (read back, the same answers) or
    /// `INVALID_SCOPE`, never wider; and it succeeds when the JSON form can say the scope.
    #[test]
    fn p6_protobuf_scopes_to_json_exact_or_invalid(
        super_user in prop::bool::weighted(0.03),
        perms in prop::collection::vec(raw_perm(), 0..4),
        extra in prop::collection::vec(query(), 0..16),
    ) {
        let pb = raw_scope_pb(super_user, &perms);
        let queries = raw_queries(&perms, &extra);
        let s = match PermissionScope::from_protobuf(&pb) {
            Ok(s) => s,
            // Only a topic or function name that is not UTF-8 may be refused; none is made.
            Err(e) => return Err(TestCaseError::fail(format!("protobuf {pb:02x?} refused: {e}"))),
        };
        match round_trip(&s, &queries) {
            Ok(Some(_)) => {}
            Ok(None) => prop_assert!(
                !raw_expressible(super_user, &perms),
                "to_json refused a scope the JSON form can say exactly: {:02x?}\n{:?}", pb, perms
            ),
            Err(m) => prop_assert!(false, "{m}\nprotobuf {pb:02x?}\n{perms:?}"),
        }
    }
}

/// The fixed cases of property 6: a scope of only function permissions (issue 11), seed 002's
/// topic example with a cache role, its all-caches form, and the JSON the SDK writes for
/// `AllDataReadWrite`.
#[test]
fn p6_fixed_scopes_round_trip() {
    let probe: Vec<Query> = {
        let mut q = Vec::new();
        for op in CLASS_OPS {
            for (cache, name) in [("demo", "test"), ("demo", "other"), ("media", "test")] {
                for topic in [false, true] {
                    q.push(Query {
                        op: (*op).to_owned(),
                        cache: cache.to_owned(),
                        name: name.as_bytes().to_vec(),
                        topic,
                    });
                }
            }
        }
        q
    };
    type Expect = fn(&Query) -> bool;
    let cases: &[(&str, Expect)] = &[
        (
            r#"{"permissions":[{"role":"functioninvoke","func":{}}]}"#,
            |_| false,
        ),
        (
            r#"{"permissions":[{"role":"functioninvoke","cache":{},"func":{}}]}"#,
            |_| false,
        ),
        (
            r#"{"permissions":[{"role":"readonly","cache":"demo","topic":"test"}]}"#,
            |q| q.topic && q.op == "subscribe" && q.cache == "demo" && q.name == b"test",
        ),
        (
            r#"{"permissions":[{"role":"writeonly","cache":"demo","topic":"test"}]}"#,
            |q| q.topic && q.op == "publish" && q.cache == "demo" && q.name == b"test",
        ),
        (
            r#"{"permissions":[{"role":"readonly","cache":{},"topic":{}}]}"#,
            |q| q.topic && q.op == "subscribe",
        ),
        (
            r#"{"permissions":[{"role":"readwrite","cache":{}},{"role":"publishsubscribe","cache":{},"topic":{}},{"role":"functioninvoke","cache":{},"func":{}}]}"#,
            |q| {
                class_of(&q.op).is_some_and(|c| {
                    use OperationClass::{Publish, Subscribe};
                    matches!(c, Publish | Subscribe) == q.topic
                })
            },
        ),
    ];
    let mut failures = Vec::new();
    for (text, expect) in cases {
        let s = match PermissionScope::from_json(text) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{text}: from_json refused it: {e}"));
                continue;
            }
        };
        if let Err(m) = same_answers("as read", &s, &probe, expect) {
            failures.push(format!("{text}: {m}"));
        }
        match round_trip(&s, &probe) {
            Ok(Some(_)) => {}
            Ok(None) => failures.push(format!("{text}: to_json refused it")),
            Err(m) => failures.push(format!("{text}: {m}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ==== documents, policies and requests ========================================================

/// 2024-11-15T12:00:00Z, the vectors' `now`.
const BASE: i64 = 1_731_672_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

/// Instants near each other and near `BASE`, so boundaries and `now` often meet.
fn instant() -> BoxedStrategy<i64> {
    prop_oneof![
        2 => (-3i64..=3).prop_map(|d| BASE + d),
        2 => (-48i64..=48).prop_map(|h| BASE + h * HOUR),
        2 => (-400i64..=400).prop_map(|d| BASE + d * DAY),
        1 => (-100_000_000_000i64..100_000_000_000).prop_map(|d| BASE + d),
    ]
    .boxed()
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// An instant as JSON: epoch ms (style 0), or RFC 3339 in UTC, with an offset, or with
/// lower-case `t`/`z`.
fn time_json(ms: i64, style: u8) -> String {
    let offset_min: i64 = match style % 4 {
        0 => return ms.to_string(),
        2 => 330,
        3 => -480,
        _ => 0,
    };
    let local = ms + offset_min * 60_000;
    let (y, mo, d) = civil(local.div_euclid(DAY));
    let in_day = local.rem_euclid(DAY);
    let (h, mi, s, frac) = (
        in_day / HOUR,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let t = if style >= 4 { 't' } else { 'T' };
    let mut out = format!("\"{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}");
    if frac != 0 {
        let _ = write!(out, ".{frac:03}");
    }
    match offset_min {
        0 if style >= 4 => out.push('z'),
        0 => out.push('Z'),
        o => {
            let sign = if o < 0 { '-' } else { '+' };
            let _ = write!(out, "{sign}{:02}:{:02}", o.abs() / 60, o.abs() % 60);
        }
    }
    out.push('"');
    out
}

/// A decision's `now`: mostly within a day of `BASE` (where documents' windows are open),
/// sometimes anywhere.
fn now() -> BoxedStrategy<i64> {
    prop_oneof![
        2 => (-2i64..=2).prop_map(|d| BASE + d),
        3 => (-24 * 60i64..=24 * 60).prop_map(|m| BASE + m * 60_000),
        2 => instant(),
    ]
    .boxed()
}

/// An instant mostly at or before `BASE` (a start), or mostly at or after it (an end).
fn instant_near(after: bool) -> BoxedStrategy<i64> {
    let sign = if after { 1 } else { -1 };
    prop_oneof![
        1 => (0i64..=2).prop_map(move |d| BASE + sign * d),
        2 => (0i64..=48).prop_map(move |h| BASE + sign * h * HOUR),
        2 => (0i64..=400).prop_map(move |d| BASE + sign * d * DAY),
        1 => instant(),
    ]
    .boxed()
}

fn time_near(after: bool) -> BoxedStrategy<String> {
    (instant_near(after), 0u8..8)
        .prop_map(|(t, style)| time_json(t, style))
        .boxed()
}

fn time() -> BoxedStrategy<String> {
    (instant(), 0u8..8)
        .prop_map(|(t, style)| time_json(t, style))
        .boxed()
}

const IDS: &[&str] = &[
    "movie-1",
    "movie_id_123",
    "episode-2",
    "channel-3",
    "series_id_456",
    "season-7",
    "movie-🎬",
    "épisode-1",
    "movie-a\u{0}b",
    "movie",
    "MOVIE-1",
    "x",
    " movie-1",
    "movie-1 ",
    "channel_news",
    "episode-\u{FFFD}",
];

fn id() -> BoxedStrategy<String> {
    prop_oneof![
        12 => select(&IDS[..5]).prop_map(str::to_owned),
        8 => select(IDS).prop_map(str::to_owned),
        1 => (1usize..4).prop_map(|n| format!("movie-{}", "9".repeat(200 * n))),
        1 => "(movie|episode|channel)[-_]\\PC{0,6}",
    ]
    .boxed()
}

const COUNTRIES: &[&str] = &["US", "DE", "AT", "CH", "FR", "XX", "us", "de", "QQ"];
const DEVICES: &[&str] = &["web", "tv", "mobile", "WEB", "Tv", " web", "none", "NONE"];
const CLAIMS: &[&str] = &[
    "ENTITY_TYPE_MOVIES",
    "ENTITY_TYPE_EPISODES",
    "ENTITY_TYPE_CHANNELS",
    "ENABLE_VIDEOS_DOWNLOAD",
    "QUALITY_SD",
    "QUALITY_HD",
    "QUALITY_UHD1",
    "QUALITY_UHD2",
    "COUNTRY_US",
    "COUNTRY_DE",
    "COUNTRY_AT",
    "COUNTRY_XX",
    "COUNTRY_FR",
];
const QUALITIES: &[&str] = &["SD", "HD", "UHD1", "UHD2"];
const PLANS: &[&str] = &["basic", "premium", "dach-xx", "empty", "nope"];
const TIERS: &[&str] = &["premium", "free", "gold", "silver", "bronze", ""];

fn str_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", quoted.join(","))
}

fn list_of(pool: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    prop::collection::vec(select(pool).prop_map(str::to_owned), 0..=max)
        .prop_map(|v| str_list(&v))
        .boxed()
}

/// A JSON object written field by field: `(name, value as JSON text)`.
#[derive(Debug, Clone)]
struct Obj(Vec<(String, String)>);

impl Obj {
    fn json(&self) -> String {
        let members: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}: {v}", quoted(k)))
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    fn set(&mut self, field: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == field) {
            Some(slot) => slot.1 = value,
            None => self.0.push((field.to_owned(), value)),
        }
    }

    fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

fn opt(weight: f64, s: BoxedStrategy<String>) -> BoxedStrategy<Option<String>> {
    prop::option::weighted(weight, s).boxed()
}

fn subscription() -> BoxedStrategy<String> {
    (
        select(PLANS),
        select(vec![
            "ACTIVE",
            "CANCELLED",
            "ON_HOLD",
            "EXPIRED",
            "active",
            "PAUSED",
        ]),
        time_near(true),
    )
        .prop_map(|(plan, status, end)| {
            format!(
                "{{\"plan\": {}, \"status\": {}, \"period_end\": {end}}}",
                quoted(plan),
                quoted(status)
            )
        })
        .boxed()
}

fn document() -> BoxedStrategy<Obj> {
    let strings = |pool: &'static [&'static str]| select(pool).prop_map(quoted).boxed();
    let region = prop_oneof![strings(&COUNTRIES[..7]), list_of(&COUNTRIES[..7], 3),].boxed();
    let devices = prop_oneof![strings(DEVICES), list_of(DEVICES, 3)].boxed();
    let subs = prop::collection::vec(subscription(), 0..3)
        .prop_map(|v| format!("[{}]", v.join(", ")))
        .boxed();
    let claims = prop::collection::vec(
        prop_oneof![
            8 => select(CLAIMS).prop_map(str::to_owned),
            1 => select(vec!["FOO", "COUNTRY_de", "QUALITY_4K", ""]).prop_map(str::to_owned),
        ],
        0..5,
    )
    .prop_map(|v| str_list(&v))
    .boxed();
    let content = prop::collection::vec(id(), 0..6)
        .prop_map(|v| str_list(&v))
        .boxed();
    (
        (
            opt(0.3, strings(TIERS)),
            opt(0.3, strings(PLANS)),
            opt(0.3, subs),
            opt(0.3, claims),
            opt(0.3, region),
        ),
        (
            opt(0.3, devices),
            opt(0.4, time_near(false)),
            opt(0.5, time_near(true)),
            opt(0.3, content),
            opt(0.2, strings(QUALITIES)),
            prop::bool::weighted(0.1),
        ),
    )
        .prop_map(
            |((level, plan, subs, claims, region), (devices, from, until, content, q, extra))| {
                let mut doc = Obj(Vec::new());
                for (k, v) in [
                    ("subscription_level", level),
                    ("plan", plan),
                    ("subscriptions", subs),
                    ("claims", claims),
                    ("region", region),
                    ("device_restriction", devices),
                    ("valid_from", from),
                    ("valid_until", until),
                    ("allowed_content", content),
                    ("max_quality", q),
                ] {
                    if let Some(v) = v {
                        doc.set(k, v);
                    }
                }
                if extra {
                    doc.set("future_field", r#"{"nested": [1, "two", null]}"#.to_owned());
                }
                doc
            },
        )
        .boxed()
}

fn license() -> BoxedStrategy<String> {
    (
        opt(0.5, list_of(&COUNTRIES[..7], 2)),
        opt(0.5, time_near(false)),
        opt(0.5, time_near(true)),
        any::<bool>(),
    )
        .prop_map(|(countries, start, end, nulls)| {
            let mut l = Obj(Vec::new());
            for (k, v) in [("countries", countries), ("start", start), ("end", end)] {
                match v {
                    Some(v) => l.set(k, v),
                    None if nulls => l.set(k, "null".to_owned()),
                    None => {}
                }
            }
            l.json()
        })
        .boxed()
}

/// A request without `now` (the decision's instant is passed as the default).
fn request() -> BoxedStrategy<Obj> {
    let strings = |pool: &'static [&'static str]| select(pool).prop_map(quoted).boxed();
    (
        id().prop_map(|s| quoted(&s)),
        opt(0.2, strings(&["movie", "episode", "channel"])),
        opt(
            0.3,
            prop::collection::vec(id(), 0..3)
                .prop_map(|v| str_list(&v))
                .boxed(),
        ),
        opt(0.8, strings(&COUNTRIES[..8])),
        opt(0.6, strings(&DEVICES[..6])),
        opt(0.4, any::<bool>().prop_map(|b| b.to_string()).boxed()),
        opt(
            0.25,
            prop::collection::vec(license(), 0..3)
                .prop_map(|v| format!("[{}]", v.join(", ")))
                .boxed(),
        ),
    )
        .prop_map(|(id, ty, ancestors, country, device, persist, licenses)| {
            let mut r = Obj(vec![("entityId".to_owned(), id)]);
            for (k, v) in [
                ("entityType", ty),
                ("ancestors", ancestors),
                ("country", country),
                ("device", device),
                ("allowPersistence", persist),
                ("licenses", licenses),
            ] {
                if let Some(v) = v {
                    r.set(k, v);
                }
            }
            r
        })
        .boxed()
}

/// A document and a request, the request's id often listed in `allowed_content` (so that
/// check does not deny most decisions).
fn doc_and_request() -> BoxedStrategy<(Obj, Obj)> {
    (document(), request(), any::<bool>())
        .prop_map(|(mut doc, request, list_it)| {
            if let (true, Some(list), Some(id)) =
                (list_it, doc.get("allowed_content"), request.get("entityId"))
            {
                let list = with_item(list, id).unwrap();
                doc.set("allowed_content", list);
            }
            (doc, request)
        })
        .boxed()
}

fn vectors_policy() -> String {
    vectors_support::load("decisions.json")["policies"]["mosaic"].to_string()
}

/// Policies: the vectors' Mosaic policy, the empty policy, and generated ones.
fn policy() -> BoxedStrategy<String> {
    let claims = || {
        prop::collection::vec(select(CLAIMS).prop_map(str::to_owned), 0..4)
            .prop_map(|v| str_list(&v))
    };
    let sets = prop::collection::vec(claims(), 0..4).prop_map(|sets| {
        let items: Vec<String> = sets
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{{\"key\": \"set{i}\", \"claims\": {c}}}"))
            .collect();
        format!("[{}]", items.join(", "))
    });
    let plans = prop::collection::vec(
        prop::collection::vec(select(vec!["set0", "set1", "set2", "set3", "nope"]), 0..3),
        0..4,
    )
    .prop_map(|plans| {
        let items: Vec<String> = plans
            .iter()
            .enumerate()
            .map(|(i, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
                format!(
                    "{{\"id\": {}, \"claimSetKeys\": {}}}",
                    quoted(PLANS[i]),
                    str_list(&keys)
                )
            })
            .collect();
        format!("[{}]", items.join(", "))
    });
    let tier = (
        prop::option::of(select(PLANS)),
        prop::option::of(claims()),
        prop::option::of(select(QUALITIES)),
    )
        .prop_map(|(plan, claims, q)| {
            let mut t = Obj(Vec::new());
            if let Some(p) = plan {
                t.set("plan", quoted(p));
            }
            if let Some(c) = claims {
                t.set("claims", c);
            }
            if let Some(q) = q {
                t.set("maxQuality", quoted(q));
            }
            t.json()
        });
    let tiers = prop::collection::vec(tier, 0..4).prop_map(|tiers| {
        let items: Vec<String> = tiers
            .iter()
            .enumerate()
            .map(|(i, t)| format!("{}: {t}", quoted(TIERS[i])))
            .collect();
        format!("{{{}}}", items.join(", "))
    });
    let generated = (sets, plans, tiers)
        .prop_map(|(s, p, t)| format!("{{\"claimSets\": {s}, \"plans\": {p}, \"tiers\": {t}}}"));
    prop_oneof![
        1 => Just("{}".to_owned()),
        2 => Just(vectors_policy()),
        4 => generated,
    ]
    .boxed()
}

// ==== property 4: a malformed field never yields a decision ================================

const BAD_TIMES: &[&str] = &[
    "\"2024-13-01T00:00:00Z\"",
    "\"2024-02-30T00:00:00Z\"",
    "\"2024-11-15T25:00:00Z\"",
    "\"2024-11-15\"",
    "\"yesterday\"",
    "\"1731672000000\"",
    "\"\"",
    "1.5",
    "1e3",
    "-0.5",
    "true",
    "[0]",
    "{}",
    "9007199254740993",
    "8640000000000001",
];

/// `(field, bad value)`: each a known document field of the wrong type or shape.
fn document_corruptions() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut add = |field: &'static str, values: &[&str]| {
        out.extend(values.iter().map(|v| (field, (*v).to_owned())));
    };
    add("subscription_level", &["5", "[\"premium\"]", "true", "{}"]);
    add("plan", &["1", "[]", "false"]);
    add(
        "subscriptions",
        &[
            "\"ACTIVE\"",
            "{}",
            "[1]",
            "[null]",
            "[\"basic\"]",
            r#"[{"plan": "basic", "status": "ACTIVE"}]"#,
            r#"[{"plan": "basic", "period_end": "2025-01-01T00:00:00Z"}]"#,
            r#"[{"status": "ACTIVE", "period_end": "2025-01-01T00:00:00Z"}]"#,
            r#"[{"plan": "basic", "status": "ACTIVE", "period_end": "2024-02-30T00:00:00Z"}]"#,
            r#"[{"plan": "basic", "status": "ACTIVE", "period_end": "soon"}]"#,
            r#"[{"plan": "basic", "status": "ACTIVE", "period_end": 1.5}]"#,
            r#"[{"plan": "basic", "status": "ACTIVE", "period_end": null}]"#,
            r#"[{"plan": "basic", "status": 1, "period_end": 0}]"#,
            r#"[{"plan": 5, "status": "ACTIVE", "period_end": 0}]"#,
            r#"[{"plan": "basic", "status": "ACTIVE", "period_end": 0, "period_end": 1}]"#,
        ],
    );
    add(
        "claims",
        &[
            "\"ENTITY_TYPE_MOVIES\"",
            "[1]",
            "[null]",
            "{}",
            "[[\"X\"]]",
            "7",
        ],
    );
    add(
        "region",
        &[
            "5",
            "\"USA\"",
            "\"\"",
            "\"U\"",
            "[\"U\"]",
            "[\"US\", 1]",
            "[\"\"]",
            "[\"U S\"]",
            "\"1A\"",
            "{}",
            "[\"ÜS\"]",
            "[null]",
        ],
    );
    add("device_restriction", &["5", "[1]", "{}", "true", "[null]"]);
    add("valid_from", BAD_TIMES);
    add("valid_until", BAD_TIMES);
    add(
        "allowed_content",
        &[
            "\"movie-1\"",
            "[1]",
            "[null]",
            "{}",
            "[\"movie-1\", [\"x\"]]",
        ],
    );
    add(
        "max_quality",
        &["\"4K\"", "\"hd\"", "\"\"", "5", "[\"HD\"]", "\" HD\""],
    );
    out
}

fn request_corruptions() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut add = |field: &'static str, values: &[&str]| {
        out.extend(values.iter().map(|v| (field, (*v).to_owned())));
    };
    add(
        "entityId",
        &[
            "\"\"",
            "\"   \"",
            "\"\\t\\n\"",
            "5",
            "null",
            "[\"movie-1\"]",
            "{}",
        ],
    );
    add(
        "entityType",
        &["\"film\"", "\"Movie\"", "5", "\"\"", "[\"movie\"]"],
    );
    add("ancestors", &["\"series-1\"", "[1]", "[null]", "{}", "5"]);
    add(
        "country",
        &[
            "\"USA\"", "\"U\"", "\"\"", "5", "\"1A\"", "\"ÜS\"", "[\"US\"]", "\" US\"",
        ],
    );
    add(
        "device",
        &["\"\"", "\"  \"", "5", "[]", "[\"web\"]", "true"],
    );
    add("now", BAD_TIMES);
    add("allowPersistence", &["\"true\"", "1", "[]", "0", "\"\""]);
    add(
        "licenses",
        &[
            "{}",
            "[1]",
            "\"US\"",
            "[null]",
            "[{\"start\": \"bad\"}]",
            "[{\"end\": \"2024-02-30T00:00:00Z\"}]",
            "[{\"end\": 1.5}]",
            "[{\"countries\": [\"USA\"]}]",
            "[{\"countries\": \"US\"}]",
            "[{\"countries\": [\"\"]}]",
            "[{\"countries\": [null]}]",
            "[{\"foo\": 1}]",
            "[{\"start_time\": 0}]",
            "[{\"end\": 0, \"end\": 1}]",
        ],
    );
    out
}

fn dictionary_corruptions() -> Vec<(&'static str, &'static str)> {
    vec![
        ("valid_until", "tomorrow"),
        ("valid_until", "2024-02-30T00:00:00Z"),
        ("valid_until", "1.5"),
        ("valid_until", "1e3"),
        ("valid_until", ""),
        ("valid_until", "99999999999999999"),
        ("valid_from", "2024-11-15"),
        ("region", "USA"),
        ("region", "US,XYZ"),
        ("region", "[\"US\",1]"),
        ("region", "[\"US\""),
        ("region", "U S"),
        ("max_quality", "4K"),
        ("max_quality", ""),
        ("subscriptions", "[{\"plan\":\"basic\"}]"),
        ("subscriptions", "not json"),
        (
            "subscriptions",
            "[{\"plan\":\"basic\",\"status\":\"ACTIVE\",\"period_end\":\"soon\"}]",
        ),
        ("claims", "[1]"),
        ("device_restriction", "[1]"),
        ("allowed_content", "[\"a\",1]"),
        ("allowed_content", "[\"a\""),
    ]
}

fn policy_corruptions() -> Vec<(&'static str, &'static str)> {
    vec![
        ("claimSets", "{}"),
        ("claimSets", "[1]"),
        ("claimSets", r#"[{"key": "a"}]"#),
        (
            "claimSets",
            r#"[{"key": "a", "claims": ["ENTITY_TYPE_MOVIE"]}]"#,
        ),
        ("claimSets", r#"[{"key": "a", "claims": ["COUNTRY_de"]}]"#),
        ("claimSets", r#"[{"key": "a", "claims": ["COUNTRY_ZZ"]}]"#),
        ("claimSets", r#"[{"key": "a", "claims": [1]}]"#),
        ("claimSets", r#"[{"key": "", "claims": []}]"#),
        (
            "claimSets",
            r#"[{"key": "a", "claims": []}, {"key": "a", "claims": []}]"#,
        ),
        ("claimSets", r#"[{"key": "a", "claims": [], "extra": 1}]"#),
        ("plans", r#"[{"id": "p"}]"#),
        ("plans", r#"[{"id": 5, "claimSetKeys": []}]"#),
        ("plans", r#"[{"id": "p", "claimSetKeys": "a"}]"#),
        (
            "plans",
            r#"[{"id": "p", "claimSetKeys": []}, {"id": "p", "claimSetKeys": []}]"#,
        ),
        ("plans", r#"[{"id": " ", "claimSetKeys": []}]"#),
        ("tiers", "[]"),
        ("tiers", r#"{"t": 5}"#),
        ("tiers", r#"{"t": {"maxQuality": "4K"}}"#),
        ("tiers", r#"{"t": {"claims": ["NOPE"]}}"#),
        ("tiers", r#"{"t": {"plan": 5}}"#),
        ("tiers", r#"{"t": {"unknown": 1}}"#),
        ("tiers", r#"{"t": {}, "t": {}}"#),
    ]
}

/// A list value with one more (bad) item, or `None` when `value` is not a list.
fn with_item(value: &str, item: &str) -> Option<String> {
    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
    Some(if inner.trim().is_empty() {
        format!("[{item}]")
    } else {
        format!("[{inner}, {item}]")
    })
}

/// Bad list items that can be appended to a valid list of each list field.
fn bad_item(field: &str) -> &'static [&'static str] {
    match field {
        "region" => &["1", "\"USA\"", "\"\"", "null"],
        "claims" | "allowed_content" | "device_restriction" | "ancestors" => &["1", "null", "{}"],
        "subscriptions" => &[
            "1",
            "{}",
            r#"{"plan": "basic", "status": "ACTIVE", "period_end": "2024-02-30T00:00:00Z"}"#,
        ],
        "licenses" => &["1", "{\"end\": \"never\"}", "{\"countries\": [\"USA\"]}"],
        _ => &[],
    }
}

/// Decides `request` (JSON text) for `doc` (JSON text) under `policy` at `now`, through the
/// JSON entry points; any error as its code and message.
fn decide(
    policy: &Policy,
    doc: &str,
    request: &str,
    now: i64,
) -> Result<DecisionView, (ErrorCode, String)> {
    let doc =
        Entitlement::from_json(doc.as_bytes()).map_err(|e| (e.code(), e.message().to_owned()))?;
    evaluate_request_json(policy, &doc, request, now)
        .map_err(|e| (e.code(), e.message().to_owned()))
}

fn expect_error(
    what: &str,
    result: Result<impl std::fmt::Debug, (ErrorCode, String)>,
    code: ErrorCode,
    field: &str,
) -> Result<(), TestCaseError> {
    match result {
        Ok(decision) => Err(TestCaseError::fail(format!(
            "{what}: decided instead of failing: {decision:?}"
        ))),
        Err((got, message)) => {
            prop_assert_eq!(got, code, "{}: {}", what, message);
            prop_assert!(
                message.contains(field),
                "{}: the message does not name `{}`: {}",
                what,
                field,
                message
            );
            Ok(())
        }
    }
}

proptest! {
    #![proptest_config(config(500))]

    /// A document with one known field corrupted (replaced, given a bad item, or given twice)
    /// is `INVALID_ENTITLEMENT` naming the field, never a decision.
    #[test]
    fn p4_a_malformed_document_field_is_an_error(
        policy in policy(),
        (doc, request) in doc_and_request(),
        which in any::<Index>(),
        item in any::<Index>(),
        mode in 0u8..3,
    ) {
        let policy = Policy::from_json(&policy).unwrap();
        // The valid document decides (or fails only on the entity id).
        if let Err((code, m)) = decide(&policy, &doc.json(), &request.json(), BASE) {
            prop_assert_eq!(code, ErrorCode::InvalidEntityId, "{}", m);
        }
        let corruptions = document_corruptions();
        let (field, bad) = which.get(&corruptions).clone();
        let mut broken = doc.clone();
        let bad_value = match (mode, doc.get(field)) {
            (1, Some(v)) if !bad_item(field).is_empty() => {
                with_item(v, item.get::<&str>(bad_item(field))).unwrap_or(bad)
            }
            _ => bad,
        };
        if mode == 2 && doc.get(field).is_some() {
            broken.0.push((field.to_owned(), doc.get(field).unwrap().to_owned()));
        } else {
            broken.set(field, bad_value);
        }
        let text = broken.json();
        expect_error(&text, decide(&policy, &text, &request.json(), BASE), ErrorCode::InvalidEntitlement, field)?;
    }

    /// A request with one known field corrupted, misspelt or given twice is
    /// `INVALID_REQUEST` naming the field, never a decision.
    #[test]
    fn p4_a_malformed_request_field_is_an_error(
        policy in policy(),
        (doc, request) in doc_and_request(),
        now in time(),
        which in any::<Index>(),
        item in any::<Index>(),
        mode in 0u8..4,
    ) {
        let policy = Policy::from_json(&policy).unwrap();
        let mut request = request;
        request.set("now", now);
        if let Err((code, m)) = decide(&policy, &doc.json(), &request.json(), BASE) {
            prop_assert_eq!(code, ErrorCode::InvalidEntityId, "{}", m);
        }
        let corruptions = request_corruptions();
        let (field, bad) = which.get(&corruptions).clone();
        let mut broken = request.clone();
        let named = match (mode, request.get(field)) {
            (1, Some(v)) if !bad_item(field).is_empty() => {
                broken.set(field, with_item(v, item.get::<&str>(bad_item(field))).unwrap_or(bad));
                field.to_owned()
            }
            (2, Some(v)) => {
                broken.0.push((field.to_owned(), v.to_owned()));
                field.to_owned()
            }
            (3, Some(v)) => {
                // A misspelt field must not silently drop a restriction.
                let misspelt = format!("{}_", field);
                let v = v.to_owned();
                broken.0.retain(|(k, _)| k != field);
                broken.0.push((misspelt.clone(), v));
                misspelt
            }
            _ => {
                broken.set(field, bad);
                field.to_owned()
            }
        };
        let text = broken.json();
        let result = decide(&policy, &doc.json(), &text, BASE);
        if named == "entityId_" {
            // Misspelling the id leaves none: that is an error too, about entityId.
            expect_error(&text, result, ErrorCode::InvalidRequest, "entityId")?;
        } else {
            expect_error(&text, result, ErrorCode::InvalidRequest, &named)?;
        }
    }

    /// The same for dictionary fields (cache dictionaries): `INVALID_ENTITLEMENT` naming the
    /// field.
    #[test]
    fn p4_a_malformed_dictionary_field_is_an_error(
        which in any::<Index>(),
        until in instant(),
        region in select(vec!["US", "US,DE", " us , de ", "[\"US\",\"AT\"]", ""]),
        first in any::<bool>(),
    ) {
        let until_text = until.to_string();
        let mut fields: Vec<(&str, &str)> = vec![
            ("plan", "basic"),
            ("region", region),
            ("valid_until", &until_text),
            ("device_restriction", "web, tv"),
            ("claims", "ENTITY_TYPE_MOVIES,QUALITY_HD"),
        ];
        prop_assert!(Entitlement::from_dictionary(fields.iter().copied()).is_ok());
        let corruptions = dictionary_corruptions();
        let (field, bad) = *which.get(&corruptions);
        fields.retain(|(k, _)| *k != field);
        if first {
            fields.insert(0, (field, bad));
        } else {
            fields.push((field, bad));
        }
        match Entitlement::from_dictionary(fields.iter().copied()) {
            Ok(doc) => prop_assert!(false, "{field}={bad:?} read as {doc:?}"),
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidEntitlement, "{}", e);
                prop_assert!(e.message().contains(field), "{field}: {}", e.message());
            }
        }
    }

    /// A policy with one field corrupted is `INVALID_POLICY` naming the field.
    #[test]
    fn p4_a_malformed_policy_field_is_an_error(
        policy in policy(),
        which in any::<Index>(),
    ) {
        let (field, bad) = *which.get(&policy_corruptions());
        let mut value: serde_json::Value = serde_json::from_str(&policy).unwrap();
        value[field] = serde_json::Value::Null;
        let text = value.to_string();
        // Put the bad text in place of the `null` (serde_json would rewrite duplicates).
        let text = text.replacen(&format!("\"{field}\":null"), &format!("\"{field}\":{bad}"), 1);
        match Policy::from_json(&text) {
            Ok(_) => prop_assert!(false, "a bad policy was read: {text}"),
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::InvalidPolicy, "{}", e);
                prop_assert!(e.message().contains(field), "{field}: {}", e.message());
            }
        }
    }
}

// ==== property 5: validUntil is honest ======================================================

proptest! {
    #![proptest_config(config(1200))]

    /// Decided at `now` with `validUntil = t`, the same request at any instant in `[now, t)`
    /// gets the same decision (allowed, code, reasons, claims, maxQuality, allowPersistence,
    /// and `validUntil` itself); with no `validUntil`, at any later instant.
    #[test]
    fn p5_valid_until_is_honest(
        policy in policy(),
        (doc, request) in doc_and_request(),
        now in now(),
        fractions in prop::collection::vec(0.0f64..1.0, 3),
        later in prop::collection::vec(1i64..(1i64 << 52), 2),
    ) {
        let policy = Policy::from_json(&policy).unwrap();
        let (doc, request) = (doc.json(), request.json());
        let first = decide(&policy, &doc, &request, now);
        let until = match &first {
            Ok(d) => d.valid_until,
            Err(_) => None,
        };
        if let Some(t) = until {
            prop_assert!(t > now, "validUntil {} is not after now {}", t, now);
        }
        let end = until.unwrap_or(playgate::MAX_ABS_MILLIS + 1);
        let mut instants = vec![now + 1, end - 1, now + (end - now) / 2];
        instants.extend(fractions.iter().map(|f| now + ((end - now) as f64 * f) as i64));
        if until.is_none() {
            instants.extend([now + HOUR, now + 400 * DAY, playgate::MAX_ABS_MILLIS]);
            instants.extend(later.iter().map(|l| (now + l).min(playgate::MAX_ABS_MILLIS)));
        }
        for at in instants {
            if at < now || at >= end {
                continue;
            }
            let again = decide(&policy, &doc, &request, at);
            prop_assert_eq!(
                &again, &first,
                "decided at {} (validUntil {:?}), then at {}\ndoc {}\nrequest {}",
                now, until, at, doc, request
            );
        }
    }
}

// ==== the generators reach the interesting cases ============================================

/// The properties above are only as good as what they are given: enough valid JSON scopes,
/// granted queries, allowed decisions, `validUntil`s, malformed fields of every kind.
#[test]
fn generators_reach_the_interesting_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::new(config(1));
    let n = 300;
    let (mut json_valid, mut queries, mut granted, mut pb_granted) = (0, 0, 0, 0);
    for _ in 0..n {
        let scope = scope().new_tree(&mut runner).unwrap().current();
        json_valid += usize::from(PermissionScope::from_json(&scope_json(&scope)).is_ok());
        let refs: Vec<&Perm> = scope.perms.iter().collect();
        for q in queries_near(&refs, &[]) {
            queries += 1;
            granted += usize::from(model(&scope, &q));
        }
        let perms = prop::collection::vec(raw_perm(), 0..4)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        for q in raw_queries(&perms, &[]) {
            pb_granted += usize::from(raw_model(false, &perms, &q));
        }
    }
    let (mut decided, mut allowed, mut until, mut entity_errors) = (0, 0, 0, 0);
    let mut codes = std::collections::BTreeMap::new();
    let mut capped = 0;
    // How often the decision does change at its validUntil (it may not: a boundary that
    // could change it, need not).
    let mut changes_at_t = 0;
    for _ in 0..n {
        let policy = Policy::from_json(&policy().new_tree(&mut runner).unwrap().current()).unwrap();
        let (doc, request) = doc_and_request().new_tree(&mut runner).unwrap().current();
        let (doc, request) = (doc.json(), request.json());
        let now = now().new_tree(&mut runner).unwrap().current();
        match decide(&policy, &doc, &request, now) {
            Ok(d) => {
                if let Some(t) = d.valid_until {
                    let at_t = decide(&policy, &doc, &request, t).ok();
                    let answer = |d: &DecisionView| {
                        (
                            d.allowed,
                            d.code,
                            d.reasons.clone(),
                            d.max_quality,
                            d.claims.clone(),
                        )
                    };
                    changes_at_t += usize::from(at_t.as_ref().map(answer) != Some(answer(&d)));
                }
                *codes.entry(d.code).or_insert(0) += 1;
                capped += usize::from(d.max_quality.is_some());
                decided += 1;
                allowed += usize::from(d.allowed);
                until += usize::from(d.valid_until.is_some());
            }
            Err((ErrorCode::InvalidEntityId, _)) => entity_errors += 1,
            Err((code, m)) => panic!("a generated input failed: {code:?} {m}\n{doc}\n{request}"),
        }
    }
    println!(
        "scopes: {json_valid}/{n} valid JSON, {granted}/{queries} model grants, \
         {pb_granted} protobuf edge grants; decisions: {allowed}/{decided} allowed ({capped} capped), \
         {until} with validUntil ({changes_at_t} change then), {entity_errors} INVALID_ENTITY_ID; codes {codes:?}"
    );
    assert!(json_valid * 2 > n, "most generated scopes are valid JSON");
    assert!(granted * 50 > queries, "at least 2% of queries are granted");
    assert!(pb_granted > 0, "protobuf edge scopes grant something");
    assert!(allowed * 10 > decided, "at least 10% of decisions allow");
    assert!(capped > 0, "some allowed decisions are capped");
    assert!(
        codes.len() >= 10,
        "most decision codes are reached: {codes:?}"
    );
    assert!(
        until * 3 > decided,
        "a third of decisions have a validUntil"
    );
    assert!(
        changes_at_t * 4 > until,
        "a quarter of them change at validUntil"
    );
    assert!(
        entity_errors > 0 && entity_errors * 5 < n,
        "some, not many, INVALID_ENTITY_ID"
    );
}
