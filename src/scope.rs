//! Momento permission scopes: which caches, items and topics a token may touch, and how.
//!
//! Read from the JSON the Momento JS SDK writes (`JSON.stringify(scope)`: `{}` is an "all"
//! selector, `{name}` or a string a named one) and from the protobuf `p` claim of a token; both
//! give the same [`PermissionScope`], which answers [`PermissionScope::allows`] and
//! [`PermissionScope::allows_topic`] and serialises back to the SDK's JSON form.
//!
//! Checks never widen: an item selector that is present always restricts (the SDK drops `item`
//! in some disposable-token scopes, widening access to the whole cache; see the reference), a
//! cache named `*` is a literal name, an unknown operation is denied, and a permission whose
//! role is "permit none" or whose selector is missing grants nothing. Conversions never widen
//! either: [`PermissionScope::to_json`] writes the scope exactly or fails.

use std::fmt::Write as _;

use crate::error::{Error, ErrorCode};
use crate::json::{self, JsonError, Kind, Reader, MAX_JSON_BYTES};

/// A cache role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheRole {
    /// Every cache operation.
    ReadWrite,
    /// Non-destructive reads.
    ReadOnly,
    /// Writes that return no stored state.
    WriteOnly,
}

/// A topic role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicRole {
    /// Publish and subscribe.
    PublishSubscribe,
    /// Subscribe only.
    SubscribeOnly,
    /// Publish only.
    PublishOnly,
}

/// A function role. `functionpermitnone` is a permission with no role (`None`), as for caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionRole {
    /// Invoke the selected functions.
    Invoke,
}

/// Which caches (or topic namespaces) a permission covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheSelector {
    /// `AllCaches` (`{}` in JSON).
    All,
    /// One cache, by exact name (`"*"` is a name like any other).
    Named(String),
}

/// Which items of a cache a permission covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemSelector {
    /// Every item (`AllItems`, `{}`, or no `item` at all).
    All,
    /// One key, compared as UTF-8 bytes.
    Key(Vec<u8>),
    /// Every key starting with these UTF-8 bytes.
    Prefix(Vec<u8>),
}

/// Which topics (or functions) a permission covers: the two selectors have one shape, in JSON
/// (`"x"`, `{name}`, `{namePrefix}`, `{}`) and in protobuf alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSelector {
    /// `AllTopics` / `AllFunctions` (`{}` in JSON).
    All,
    /// One topic or function, by exact name.
    Named(String),
    /// Every name starting with this prefix.
    Prefix(String),
}

/// Which topics a topic permission covers.
pub type TopicSelector = NameSelector;

/// Which functions a function permission covers.
pub type FunctionSelector = NameSelector;

/// One permission of a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Cache data. `role: None` is protobuf's "permit none"; `cache: None` a missing selector.
    Cache {
        role: Option<CacheRole>,
        cache: Option<CacheSelector>,
        items: ItemSelector,
    },
    /// Topics. `role: None` is "permit none"; `cache`/`topic: None` a missing selector.
    Topic {
        role: Option<TopicRole>,
        cache: Option<CacheSelector>,
        topic: Option<TopicSelector>,
    },
    /// Functions (Momento Functions). They grant nothing playgate checks, but are kept so the
    /// scope is written back exactly (a token minted from it carries them). `role: None` is
    /// `functionpermitnone`.
    Function {
        role: Option<FunctionRole>,
        cache: Option<CacheSelector>,
        func: Option<FunctionSelector>,
    },
}

/// A permission scope: super user, or a union of permissions (any one that matches grants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionScope {
    super_user: bool,
    permissions: Vec<Permission>,
}

/// What an operation needs from a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationClass {
    /// A non-destructive read: readonly or readwrite.
    Read,
    /// A write that returns no stored state: writeonly or readwrite.
    Write,
    /// Anything else (conditional writes, writes returning state): readwrite only.
    ReadWrite,
    /// Publishing to a topic: publishonly or publishsubscribe.
    Publish,
    /// Subscribing to a topic: subscribeonly or publishsubscribe.
    Subscribe,
}

/// The operation table: every operation playgate knows and what it needs. An operation not
/// in this table is denied, whatever the role. Names are the Momento SDK method names; `get`,
/// `set` and `delete` are also the HTTP API's GET, PUT and DELETE. Where each entry comes from
/// is in [`OPERATION_SOURCES`] (kept apart so the sources do not ship in the module).
pub const OPERATIONS: &[(&str, OperationClass)] = {
    use OperationClass::{Publish, Read, ReadWrite, Subscribe, Write};
    &[
        ("get", Read),
        ("getBatch", Read),
        ("keyExists", Read),
        ("keysExist", Read),
        ("itemGetType", Read),
        ("itemGetTtl", Read),
        ("dictionaryFetch", Read),
        ("dictionaryGetField", Read),
        ("dictionaryGetFields", Read),
        ("dictionaryLength", Read),
        ("setFetch", Read),
        ("setContainsElement", Read),
        ("setContainsElements", Read),
        ("setLength", Read),
        ("setSample", Read),
        ("listFetch", Read),
        ("listLength", Read),
        ("sortedSetFetchByRank", Read),
        ("sortedSetFetchByScore", Read),
        ("sortedSetGetRank", Read),
        ("sortedSetGetScore", Read),
        ("sortedSetGetScores", Read),
        ("sortedSetLength", Read),
        ("sortedSetLengthByScore", Read),
        ("set", Write),
        ("delete", Write),
        ("setBatch", Write),
        ("dictionarySetField", Write),
        ("dictionarySetFields", Write),
        ("dictionaryRemoveField", Write),
        ("dictionaryRemoveFields", Write),
        ("setAddElement", Write),
        ("setAddElements", Write),
        ("setRemoveElement", Write),
        ("setRemoveElements", Write),
        ("sortedSetPutElement", Write),
        ("sortedSetPutElements", Write),
        ("sortedSetRemoveElement", Write),
        ("sortedSetRemoveElements", Write),
        ("sortedSetIncrementScore", Write),
        ("listPopFront", Write),
        ("setIfNotExists", ReadWrite),
        ("setIfAbsent", ReadWrite),
        ("setIfPresent", ReadWrite),
        ("setIfEqual", ReadWrite),
        ("setIfNotEqual", ReadWrite),
        ("setIfPresentAndNotEqual", ReadWrite),
        ("setIfAbsentOrEqual", ReadWrite),
        ("increment", ReadWrite),
        ("increaseTtl", ReadWrite),
        ("decreaseTtl", ReadWrite),
        ("updateTtl", ReadWrite),
        ("dictionaryIncrement", ReadWrite),
        ("listPushBack", ReadWrite),
        ("listPushFront", ReadWrite),
        ("listConcatenateBack", ReadWrite),
        ("listConcatenateFront", ReadWrite),
        ("listPopBack", ReadWrite),
        ("listRemoveValue", ReadWrite),
        ("listRetain", ReadWrite),
        ("setPop", ReadWrite),
        ("publish", Publish),
        ("subscribe", Subscribe),
    ]
};

/// The source of each entry of [`OPERATIONS`], in the same order.
pub const OPERATION_SOURCES: &[(&str, &str)] = {
    const SEED: &str = "seed 002 (Momento docs: roles)";
    const REF_READ: &str = "docs/momento.md (readonly: non-destructive reads)";
    const REF_WRITE: &str = "docs/momento.md (writeonly: writes that return no stored state)";
    const REF_RW: &str = "docs/momento.md (readwrite: everything; conditional writes and writes returning state are not writeonly)";
    &[
        ("get", SEED),
        ("getBatch", REF_READ),
        ("keyExists", REF_READ),
        ("keysExist", REF_READ),
        ("itemGetType", REF_READ),
        ("itemGetTtl", REF_READ),
        ("dictionaryFetch", SEED),
        (
            "dictionaryGetField",
            "docs/momento.md (readonly: dictionaryGetField(s))",
        ),
        (
            "dictionaryGetFields",
            "docs/momento.md (readonly: dictionaryGetField(s))",
        ),
        ("dictionaryLength", REF_READ),
        ("setFetch", SEED),
        ("setContainsElement", REF_READ),
        ("setContainsElements", REF_READ),
        ("setLength", REF_READ),
        ("setSample", REF_READ),
        ("listFetch", "docs/momento.md (readonly: listFetch)"),
        ("listLength", REF_READ),
        (
            "sortedSetFetchByRank",
            "docs/momento.md (readonly: sortedSetFetch)",
        ),
        (
            "sortedSetFetchByScore",
            "docs/momento.md (readonly: sortedSetFetch)",
        ),
        ("sortedSetGetRank", REF_READ),
        ("sortedSetGetScore", REF_READ),
        ("sortedSetGetScores", REF_READ),
        ("sortedSetLength", REF_READ),
        ("sortedSetLengthByScore", REF_READ),
        ("set", SEED),
        ("delete", "docs/momento.md (writeonly: delete)"),
        ("setBatch", REF_WRITE),
        (
            "dictionarySetField",
            "docs/momento.md (writeonly: dictionarySetField(s))",
        ),
        (
            "dictionarySetFields",
            "docs/momento.md (writeonly: dictionarySetField(s))",
        ),
        ("dictionaryRemoveField", REF_WRITE),
        ("dictionaryRemoveFields", REF_WRITE),
        (
            "setAddElement",
            "docs/momento.md (writeonly: setAddElement(s))",
        ),
        (
            "setAddElements",
            "docs/momento.md (writeonly: setAddElement(s))",
        ),
        ("setRemoveElement", REF_WRITE),
        ("setRemoveElements", REF_WRITE),
        ("sortedSetPutElement", REF_WRITE),
        ("sortedSetPutElements", REF_WRITE),
        ("sortedSetRemoveElement", REF_WRITE),
        ("sortedSetRemoveElements", REF_WRITE),
        ("sortedSetIncrementScore", SEED),
        ("listPopFront", "seed 002 (writeonly example, sic)"),
        ("setIfNotExists", REF_RW),
        ("setIfAbsent", REF_RW),
        ("setIfPresent", REF_RW),
        ("setIfEqual", REF_RW),
        ("setIfNotEqual", REF_RW),
        ("setIfPresentAndNotEqual", REF_RW),
        ("setIfAbsentOrEqual", REF_RW),
        ("increment", REF_RW),
        ("increaseTtl", REF_RW),
        ("decreaseTtl", REF_RW),
        ("updateTtl", REF_RW),
        ("dictionaryIncrement", REF_RW),
        (
            "listPushBack",
            "docs/momento.md (listPushBack returns the new length)",
        ),
        ("listPushFront", REF_RW),
        ("listConcatenateBack", REF_RW),
        ("listConcatenateFront", REF_RW),
        ("listPopBack", REF_RW),
        ("listRemoveValue", REF_RW),
        ("listRetain", REF_RW),
        ("setPop", REF_RW),
        ("publish", SEED),
        ("subscribe", SEED),
    ]
};

/// Looks an operation up in [`OPERATIONS`]: its index and class.
pub fn operation(name: &str) -> Option<(usize, OperationClass)> {
    OPERATIONS
        .iter()
        .position(|(n, _)| *n == name)
        .and_then(|i| OPERATIONS.get(i).map(|(_, c)| (i, *c)))
}

impl CacheRole {
    fn name(self) -> &'static str {
        match self {
            Self::ReadWrite => "readwrite",
            Self::ReadOnly => "readonly",
            Self::WriteOnly => "writeonly",
        }
    }

    fn parse(name: &str) -> Option<CacheRole> {
        [Self::ReadWrite, Self::ReadOnly, Self::WriteOnly]
            .into_iter()
            .find(|r| r.name() == name)
    }

    /// Whether this role permits an operation of `class`.
    #[inline(always)]
    pub fn permits(self, class: OperationClass) -> bool {
        use OperationClass::{Read, ReadWrite, Write};
        match self {
            Self::ReadWrite => matches!(class, Read | Write | ReadWrite),
            Self::ReadOnly => class == Read,
            Self::WriteOnly => class == Write,
        }
    }
}

impl TopicRole {
    fn name(self) -> &'static str {
        match self {
            Self::PublishSubscribe => "publishsubscribe",
            Self::SubscribeOnly => "subscribeonly",
            Self::PublishOnly => "publishonly",
        }
    }

    fn parse(name: &str) -> Option<TopicRole> {
        [
            Self::PublishSubscribe,
            Self::SubscribeOnly,
            Self::PublishOnly,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    /// Whether this role permits an operation of `class`.
    #[inline(always)]
    pub fn permits(self, class: OperationClass) -> bool {
        match self {
            Self::PublishSubscribe => {
                matches!(class, OperationClass::Publish | OperationClass::Subscribe)
            }
            Self::SubscribeOnly => class == OperationClass::Subscribe,
            Self::PublishOnly => class == OperationClass::Publish,
        }
    }
}

impl CacheSelector {
    #[inline(always)]
    fn matches(&self, cache: &[u8]) -> bool {
        match self {
            Self::All => true,
            Self::Named(name) => !name.is_empty() && name.as_bytes() == cache,
        }
    }
}

impl ItemSelector {
    #[inline(always)]
    fn matches(&self, key: &[u8]) -> bool {
        match self {
            Self::All => true,
            // Empty only from a protobuf selector that names nothing: it matches nothing.
            Self::Key(k) => !k.is_empty() && k == key,
            Self::Prefix(p) => !p.is_empty() && key.starts_with(p),
        }
    }
}

impl NameSelector {
    #[inline(always)]
    fn matches(&self, topic: &[u8]) -> bool {
        match self {
            Self::All => true,
            Self::Named(name) => !name.is_empty() && name.as_bytes() == topic,
            Self::Prefix(prefix) => !prefix.is_empty() && topic.starts_with(prefix.as_bytes()),
        }
    }
}

/// Why a check came out as it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Whether the operation is allowed.
    pub allowed: bool,
    /// The index of the permission that granted it (`None` when denied, or for a super user).
    pub permission: Option<usize>,
    /// A sentence saying which permission granted it, or why none did.
    pub reason: String,
}

/// What is being checked. Names are compared as UTF-8 bytes: for UTF-8 text the same as
/// comparing strings, and what item keys (bytes in a token's protobuf) need anyway.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Item { cache: &'a [u8], key: &'a [u8] },
    Topic { cache: &'a [u8], topic: &'a [u8] },
}

impl PermissionScope {
    /// The super-user scope (everything).
    pub fn super_user() -> PermissionScope {
        PermissionScope {
            super_user: true,
            permissions: Vec::new(),
        }
    }

    /// A scope of explicit permissions. Errors like the service: an empty or white-space key,
    /// key prefix or name, and conflicting roles on an identical selector.
    pub fn new(permissions: Vec<Permission>) -> Result<PermissionScope, Error> {
        for (i, p) in permissions.iter().enumerate() {
            check_permission(p).map_err(|m| scope_error(format!("permissions[{i}]: {m}")))?;
            let conflict = permissions
                .iter()
                .take(i)
                .position(|q| same_selector_other_role(p, q));
            if let Some(j) = conflict {
                return Err(scope_error(format!("permissions[{i}]: conflicts with permissions[{j}] (another role on the same selector)")));
            }
        }
        Ok(PermissionScope {
            super_user: false,
            permissions,
        })
    }

    /// Whether this is the super-user scope.
    pub fn is_super_user(&self) -> bool {
        self.super_user
    }

    /// The permissions, in order.
    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// May `operation` touch `key` (UTF-8 bytes) in `cache`? Unknown operations and topic
    /// operations are denied.
    pub fn allows(&self, operation: &str, cache: &str, key: &[u8]) -> bool {
        self.check(
            operation,
            Target::Item {
                cache: cache.as_bytes(),
                key,
            },
        )
        .0
    }

    /// May `operation` (`publish`, `subscribe`) touch `topic` in `cache`?
    pub fn allows_topic(&self, operation: &str, cache: &str, topic: &str) -> bool {
        self.check(
            operation,
            Target::Topic {
                cache: cache.as_bytes(),
                topic: topic.as_bytes(),
            },
        )
        .0
    }

    /// Like [`PermissionScope::allows`], saying which permission granted it or why none did.
    pub fn explain(&self, operation: &str, cache: &str, key: &[u8]) -> Explanation {
        self.explain_target(
            operation,
            Target::Item {
                cache: cache.as_bytes(),
                key,
            },
        )
    }

    /// Like [`PermissionScope::allows_topic`], with the reason.
    pub fn explain_topic(&self, operation: &str, cache: &str, topic: &str) -> Explanation {
        self.explain_target(
            operation,
            Target::Topic {
                cache: cache.as_bytes(),
                topic: topic.as_bytes(),
            },
        )
    }

    /// The check for a known operation class: the index of the granting permission.
    fn grants(&self, class: OperationClass, target: Target<'_>) -> Option<Option<usize>> {
        if self.super_user {
            return Some(None);
        }
        self.permissions
            .iter()
            .position(|p| permission_grants(p, class, target))
            .map(Some)
    }

    fn check(&self, operation: &str, target: Target<'_>) -> (bool, Option<usize>) {
        match operation_class(operation) {
            Some(class) => match self.grants(class, target) {
                Some(index) => (true, index),
                None => (false, None),
            },
            None => (false, None),
        }
    }

    fn explain_target(&self, operation: &str, target: Target<'_>) -> Explanation {
        let Some(class) = operation_class(operation) else {
            return Explanation {
                allowed: false,
                permission: None,
                reason: format!("denied: \"{operation}\" is not a known operation (unknown operations are denied)"),
            };
        };
        if self.super_user {
            return Explanation {
                allowed: true,
                permission: None,
                reason: "granted: super-user scope".to_owned(),
            };
        }
        if let Some(Some(i)) = self.grants(class, target) {
            let p = self.permissions.get(i).map(describe).unwrap_or_default();
            return Explanation {
                allowed: true,
                permission: Some(i),
                reason: format!("granted by permissions[{i}] ({p})"),
            };
        }
        let wanted = match target {
            Target::Item { cache, key } => format!(
                "{operation} on key \"{}\" in cache \"{}\"",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(cache)
            ),
            Target::Topic { cache, topic } => format!(
                "{operation} on topic \"{}\" in cache \"{}\"",
                String::from_utf8_lossy(topic),
                String::from_utf8_lossy(cache)
            ),
        };
        let mut reason = format!("denied: no permission grants {wanted}");
        for (i, p) in self.permissions.iter().enumerate() {
            let why = verdict(p, class, target).err().unwrap_or("granted");
            let _ = write!(reason, "; permissions[{i}] ({}): {why}", describe(p));
        }
        Explanation {
            allowed: false,
            permission: None,
            reason,
        }
    }
}

fn operation_class(name: &str) -> Option<OperationClass> {
    operation(name).map(|(_, class)| class)
}

fn permission_grants(p: &Permission, class: OperationClass, target: Target<'_>) -> bool {
    verdict(p, class, target).is_ok()
}

/// Whether `p` grants an operation of `class` on `target`, or why not: one place for the rule,
/// so `allows` and `explain` cannot disagree.
fn verdict(p: &Permission, class: OperationClass, target: Target<'_>) -> Result<(), &'static str> {
    let check = |role_permits: bool, cache_matches: bool, name_matches: bool, what| {
        if !role_permits {
            Err("its role does not permit this operation")
        } else if !cache_matches {
            Err("another cache")
        } else if !name_matches {
            Err(what)
        } else {
            Ok(())
        }
    };
    match (p, target) {
        (Permission::Function { .. }, _) => Err("a function permission covers functions only"),
        (Permission::Cache { .. }, Target::Topic { .. }) => {
            Err("a cache permission does not cover topics")
        }
        (Permission::Topic { .. }, Target::Item { .. }) => {
            Err("a topic permission does not cover cache items")
        }
        (Permission::Cache { role: None, .. } | Permission::Topic { role: None, .. }, _) => {
            Err("its role permits nothing")
        }
        (Permission::Cache { cache: None, .. } | Permission::Topic { cache: None, .. }, _) => {
            Err("it names no cache")
        }
        (Permission::Topic { topic: None, .. }, _) => Err("it names no topic"),
        (
            Permission::Cache {
                role: Some(role),
                cache: Some(sel),
                items,
            },
            Target::Item { cache, key },
        ) => check(
            role.permits(class),
            sel.matches(cache),
            items.matches(key),
            "the key does not match",
        ),
        (
            Permission::Topic {
                role: Some(role),
                cache: Some(sel),
                topic: Some(ts),
            },
            Target::Topic { cache, topic },
        ) => check(
            role.permits(class),
            sel.matches(cache),
            ts.matches(topic),
            "the topic does not match",
        ),
    }
}

/// A permission in the SDK's JSON form, for explanations.
fn describe(p: &Permission) -> String {
    let mut out = String::new();
    // Not exact: an explanation shows what is there, `null` for what is missing.
    let _ = write_permission(&mut out, p, false);
    out
}

/// Whether a name is empty or white space as the SDK's validators see it (`!name.trim()` in
/// JS: Unicode white space and U+FEFF, but not U+0085, which Rust counts and JS does not);
/// bytes that are not UTF-8 are not blank.
fn blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| {
        t.chars()
            .all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
    })
}

fn check_permission(p: &Permission) -> Result<(), String> {
    match p {
        Permission::Cache { cache, items, .. } => {
            check_cache(cache)?;
            match items {
                ItemSelector::Key(k) if blank(k) => {
                    Err("item.key must not be empty or white space".to_owned())
                }
                ItemSelector::Prefix(k) if blank(k) => {
                    Err("item.keyPrefix must not be empty or white space".to_owned())
                }
                _ => Ok(()),
            }
        }
        Permission::Topic {
            cache, topic: name, ..
        }
        | Permission::Function {
            cache, func: name, ..
        } => {
            check_cache(cache)?;
            match name {
                Some(NameSelector::Named(t) | NameSelector::Prefix(t)) if blank(t.as_bytes()) => {
                    Err("topic or function name must not be empty or white space".to_owned())
                }
                _ => Ok(()),
            }
        }
    }
}

fn check_cache(cache: &Option<CacheSelector>) -> Result<(), String> {
    match cache {
        Some(CacheSelector::Named(name)) if blank(name.as_bytes()) => {
            Err("cache name must not be empty or white space".to_owned())
        }
        _ => Ok(()),
    }
}

fn same_selector_other_role(a: &Permission, b: &Permission) -> bool {
    match (a, b) {
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
        ) => ca == cb && ia == ib && ra != rb,
        (
            Permission::Topic {
                role: ra,
                cache: ca,
                topic: ta,
            },
            Permission::Topic {
                role: rb,
                cache: cb,
                topic: tb,
            },
        ) => ca == cb && ta == tb && ra != rb,
        (
            Permission::Function {
                role: ra,
                cache: ca,
                func: fa,
            },
            Permission::Function {
                role: rb,
                cache: cb,
                func: fb,
            },
        ) => ca == cb && fa == fb && ra != rb,
        _ => false,
    }
}

fn scope_error(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidScope, message)
}

// ---- the SDK's JSON form ------------------------------------------------------------------

impl PermissionScope {
    /// Reads the JSON the Momento JS SDK writes for a scope: `{permissions: [...]}`, each
    /// `{role, cache, item?}` or `{role, cache, topic}`. Unknown fields are errors.
    pub fn from_json(text: &str) -> Result<PermissionScope, Error> {
        if text.len() > MAX_JSON_BYTES {
            return Err(scope_error(format!(
                "scope is {} bytes; the limit is {MAX_JSON_BYTES}",
                text.len()
            )));
        }
        let (scope, listed) =
            json::read_text(text, read_scope).map_err(|e| scope_error(e.to_string()))?;
        if listed == 0 {
            // The SDK sends an empty list; the service rejects it.
            return Err(scope_error(
                "permissions: an explicit scope needs at least one permission",
            ));
        }
        if scope.super_user {
            return Ok(scope);
        }
        PermissionScope::new(scope.permissions)
    }

    /// The SDK's JSON form: `{"permissions":[...]}`, with `{}` for the "all" selectors. The
    /// super-user scope has no SDK JSON form; it is written as `{"superUser":true}`, which
    /// [`Self::from_json`] reads back.
    ///
    /// Exact or an error, never wider: a protobuf scope can hold what this form cannot say (a
    /// role that permits nothing, a missing selector, a key that is not UTF-8), and any reader
    /// of the JSON would take those for more (an absent `cache` is no JSON form, `{}` is every
    /// cache, U+FFFD matches other keys). Those are `INVALID_SCOPE`, naming the permission.
    pub fn to_json(&self) -> Result<String, Error> {
        if self.super_user {
            return Ok("{\"superUser\":true}".to_owned());
        }
        let mut out = String::from("{\"permissions\":[");
        for (i, p) in self.permissions.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_permission(&mut out, p, true).map_err(|why| {
                scope_error(format!("permissions[{i}] has no exact JSON form: {why}"))
            })?;
        }
        out.push_str("]}");
        // The backstop for everything else the reader would refuse or read differently (a
        // blank key from protobuf, two roles on one selector): what is written reads back as
        // this very scope, or nothing is written.
        match PermissionScope::from_json(&out) {
            Ok(back) if back == *self => Ok(out),
            Ok(_) => Err(scope_error(
                "the scope has no exact JSON form: it would read back differently",
            )),
            Err(e) => Err(scope_error(format!(
                "the scope has no exact JSON form: {}",
                e.message()
            ))),
        }
    }
}

impl OperationClass {
    /// Every class, in the order of their bits in [`PermissionScope::check_plan`].
    pub const ALL: [OperationClass; 5] = [
        Self::Read,
        Self::Write,
        Self::ReadWrite,
        Self::Publish,
        Self::Subscribe,
    ];

    /// This class's bit in a plan's class set: 1, 2, 4, 8, 16 in the order of [`Self::ALL`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Writes a number below 100 in decimal.
fn push_small(out: &mut String, n: u8) {
    if n >= 10 {
        out.push(char::from(b'0' + n / 10 % 10));
    }
    out.push(char::from(b'0' + n % 10));
}

/// The bit set of the classes a role permits.
fn class_bits(permits: impl Fn(OperationClass) -> bool) -> u8 {
    OperationClass::ALL
        .into_iter()
        .filter(|c| permits(*c))
        .fold(0, |bits, c| bits | c.bit())
}

impl PermissionScope {
    /// The scope's checks as data, for a caller that compares names next to where they live:
    /// for the JS layer a call into wasm costs several times the string comparisons it needs.
    /// Every decision is made here; the caller only compares. A JSON array with one entry per
    /// permission that can grant anything, `[classes, cache, topics, kind, text]`:
    /// - `classes`: the bit set ([`OperationClass::bit`]) of the classes its role permits;
    /// - `cache`: the cache name, or `null` for all caches;
    /// - `topics`: 0 for cache items, 1 for topics;
    /// - `kind`: 0 every key or topic, 1 exactly `text`, 2 anything starting with `text`.
    ///
    /// A permission grants an operation of class `c` on `(cache, name)` when its `classes` has
    /// `c`'s bit, its cache is `null` or equal, and its kind accepts `name`: exactly the rules of
    /// [`Self::allows`]. For UTF-8 text, comparing JS strings (UTF-16) gives the same answers
    /// as comparing bytes, save one case: a JS string with a lone surrogate reaches wasm as
    /// U+FFFD. So there is no plan (`None`: keep asking wasm) when a name is not UTF-8 (a
    /// protobuf key) or contains U+FFFD.
    pub fn check_plan(&self) -> Option<String> {
        // Written by hand, not with `format!`: integer formatting costs the player module 5 KB.
        if self.super_user {
            return Some("[[31,null,0,0,\"\"],[31,null,1,0,\"\"]]".to_owned());
        }
        let mut out = String::from("[");
        for p in &self.permissions {
            let (classes, cache, topics, kind, text) = match p {
                Permission::Cache {
                    role: Some(role),
                    cache: Some(cache),
                    items,
                } => {
                    let (kind, text) = match items {
                        ItemSelector::All => (0, ""),
                        ItemSelector::Key(k) | ItemSelector::Prefix(k) if k.is_empty() => continue,
                        ItemSelector::Key(k) => (1, std::str::from_utf8(k).ok()?),
                        ItemSelector::Prefix(k) => (2, std::str::from_utf8(k).ok()?),
                    };
                    (class_bits(|c| role.permits(c)), cache, 0, kind, text)
                }
                Permission::Topic {
                    role: Some(role),
                    cache: Some(cache),
                    topic: Some(topic),
                } => {
                    let (kind, text) = match topic {
                        TopicSelector::All => (0, ""),
                        TopicSelector::Named(t) | TopicSelector::Prefix(t) if t.is_empty() => {
                            continue
                        }
                        TopicSelector::Named(t) => (1, t.as_str()),
                        TopicSelector::Prefix(t) => (2, t.as_str()),
                    };
                    (class_bits(|c| role.permits(c)), cache, 1, kind, text)
                }
                _ => continue, // grants nothing
            };
            let cache = match cache {
                CacheSelector::All => None,
                CacheSelector::Named(name) if name.is_empty() => continue, // names nothing
                CacheSelector::Named(name) => Some(name.as_str()),
            };
            let replaced = |t: &str| t.as_bytes().windows(3).any(|w| w == "\u{FFFD}".as_bytes());
            if replaced(text) || cache.is_some_and(replaced) {
                return None;
            }
            if out.len() > 1 {
                out.push(',');
            }
            out.push('[');
            push_small(&mut out, classes);
            out.push(',');
            match cache {
                Some(name) => json_string(&mut out, name),
                None => out.push_str("null"),
            }
            out.push(',');
            push_small(&mut out, topics);
            out.push(',');
            push_small(&mut out, kind);
            out.push(',');
            json_string(&mut out, text);
            out.push(']');
        }
        out.push(']');
        Some(out)
    }
}

/// Writes one permission in the SDK's JSON form. `exact`: fail on what that form cannot say
/// (a role that permits nothing, a missing selector, a key that is not UTF-8), which every
/// reader would take for something wider; otherwise (for explanations) write `null` for a
/// missing role or selector and the key with U+FFFD.
fn write_permission(out: &mut String, p: &Permission, exact: bool) -> Result<(), &'static str> {
    fn name_or_null(
        out: &mut String,
        text: Option<&str>,
        exact: bool,
        missing: &'static str,
    ) -> Result<(), &'static str> {
        match text {
            Some(t) => json_string(out, t),
            None if exact => return Err(missing),
            None => out.push_str("null"),
        }
        Ok(())
    }
    fn key(out: &mut String, bytes: &[u8], exact: bool) -> Result<(), &'static str> {
        match std::str::from_utf8(bytes) {
            Ok(text) => json_string(out, text),
            Err(_) if exact => return Err("its key is not UTF-8 (JSON cannot hold it)"),
            Err(_) => json_string(out, &String::from_utf8_lossy(bytes)),
        }
        Ok(())
    }
    let (role, cache) = match p {
        Permission::Cache { role, cache, .. } => (role.map(CacheRole::name), cache),
        Permission::Topic { role, cache, .. } => (role.map(TopicRole::name), cache),
        Permission::Function { role, cache, .. } => (
            Some(role.map_or("functionpermitnone", |_| "functioninvoke")),
            cache,
        ),
    };
    out.push_str("{\"role\":");
    name_or_null(
        out,
        role,
        exact,
        "its role permits nothing (JSON has no name for that)",
    )?;
    match (cache, p) {
        (Some(CacheSelector::All), _) => out.push_str(",\"cache\":{}"),
        (Some(CacheSelector::Named(n)), _) => {
            out.push_str(",\"cache\":");
            json_string(out, n);
        }
        // A function permission may name no cache (it grants nothing here): as it was given.
        (None, Permission::Function { .. }) => {}
        (None, _) => {
            out.push_str(",\"cache\":");
            name_or_null(
                out,
                None,
                exact,
                "it names no cache (JSON would read all caches)",
            )?;
        }
    }
    match p {
        Permission::Cache { items, .. } => match items {
            ItemSelector::All => {}
            ItemSelector::Key(k) => {
                out.push_str(",\"item\":{\"key\":");
                key(out, k, exact)?;
                out.push('}');
            }
            ItemSelector::Prefix(k) => {
                out.push_str(",\"item\":{\"keyPrefix\":");
                key(out, k, exact)?;
                out.push('}');
            }
        },
        Permission::Topic { topic: names, .. } | Permission::Function { func: names, .. } => {
            let (field, what) = match p {
                Permission::Topic { .. } => {
                    (",\"topic\":", "it names no topic (JSON would read all)")
                }
                _ => (",\"func\":", "it names no function (JSON would read all)"),
            };
            out.push_str(field);
            match names {
                Some(NameSelector::All) => out.push_str("{}"),
                Some(NameSelector::Named(t)) => json_string(out, t),
                Some(NameSelector::Prefix(t)) => {
                    out.push_str("{\"namePrefix\":");
                    json_string(out, t);
                    out.push('}');
                }
                None => name_or_null(out, None, exact, what)?,
            }
        }
    }
    out.push('}');
    Ok(())
}

/// Writes `s` as a JSON string literal.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `{permissions: [...]}`, or `{superUser: true}` (what [`PermissionScope::to_json`] writes
/// for the super user). Returns the scope and how many permissions were listed.
fn read_scope(r: &mut Reader<'_>) -> json::Result<(PermissionScope, usize)> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("a permission scope object {permissions: [...]}"));
    }
    let mut permissions = None;
    let mut super_user = false;
    let mut listed = 0;
    r.object(|r, key| match &*key {
        "permissions" if !super_user && permissions.is_none() => {
            let mut list = Vec::new();
            r.array(|r, i| {
                listed = i + 1;
                list.push(read_permission(r).map_err(|e| e.within(&format!("[{i}]")))?);
                Ok(())
            })
            .map_err(|e| e.within("permissions"))?;
            permissions = Some(list);
            Ok(())
        }
        "superUser" if permissions.is_none() && !super_user => {
            let at = r.position();
            if !r.bool()? {
                return Err(JsonError::at(at, "superUser: only `true` is a scope"));
            }
            super_user = true;
            Ok(())
        }
        "permissions" | "superUser" => Err(r.error(
            "a scope has `permissions` or `superUser`, once (a member given twice is refused)",
        )),
        other => Err(r.error(format!("unknown field `{other}` (expected permissions)"))),
    })?;
    if super_user {
        return Ok((PermissionScope::super_user(), 1));
    }
    permissions
        .map(|permissions| {
            let scope = PermissionScope {
                super_user: false,
                permissions,
            };
            (scope, listed)
        })
        .ok_or_else(|| JsonError::at(0, "missing field `permissions`"))
}

/// `"x"`, `{name: "x"}`, or `{}` (all).
fn read_cache_selector(r: &mut Reader<'_>) -> json::Result<CacheSelector> {
    match r.peek()? {
        Kind::String => Ok(CacheSelector::Named(r.string()?.into_owned())),
        Kind::Object => {
            let mut name = None;
            r.object(|r, key| match &*key {
                "name" if name.is_none() => {
                    name = Some(r.string()?.into_owned());
                    Ok(())
                }
                "name" => Err(r.error("duplicate field `name`")),
                other => Err(r.error(format!(
                    "unknown field `{other}` (expected name, or {{}} for all caches)"
                ))),
            })?;
            Ok(name.map_or(CacheSelector::All, CacheSelector::Named))
        }
        _ => Err(r.unexpected("a cache name, {name}, or {} for all caches")),
    }
}

/// `{role, cache, item?}`, `{role, cache, topic}` or `{role, cache, func}`. A topic permission
/// may also carry a cache role, as seed 002's own example does (`{role: "readonly", cache:
/// "demo", topic: "test"}`; the SDK itself refuses it): read with least privilege, readonly as
/// subscribeonly, writeonly as publishonly, readwrite as publishsubscribe.
fn read_permission(r: &mut Reader<'_>) -> json::Result<Permission> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("a permission object {role, cache, item?|topic?|func?}"));
    }
    let at = r.position();
    let (mut role, mut cache, mut item, mut topic, mut func) = (None, None, None, None, None);
    let mut seen = 0u8;
    r.object(|r, key| {
        // A member given twice is refused, not "the last one wins": a second `item` or `cache`
        // would silently drop the first restriction.
        let bit = match &*key {
            "role" => 1,
            "cache" => 2,
            "item" => 4,
            "topic" => 8,
            "func" => 16,
            _ => 0,
        };
        if seen & bit != 0 {
            return Err(r.error(format!("duplicate field `{key}`")));
        }
        seen |= bit;
        match &*key {
            "role" => role = Some(r.string()?.into_owned()),
            "cache" => cache = Some(read_cache_selector(r).map_err(|e| e.within("cache"))?),
            "item" => item = Some(read_item(r).map_err(|e| e.within("item"))?),
            "topic" | "func" => {
                let named = read_named(r, "a name, {name}, {namePrefix}, or {} for all")
                    .map_err(|e| e.within(&key))?;
                if key == "topic" {
                    topic = Some(named);
                } else {
                    func = Some(named);
                }
            }
            other => {
                return Err(r.error(format!(
                    "unknown field `{other}` (expected role, cache, item, topic, func)"
                )))
            }
        }
        Ok(())
    })?;
    let role = role.ok_or_else(|| JsonError::at(at, "missing field `role`"))?;
    let role_error = |kind: &str, roles: &str| {
        JsonError::at(
            at,
            format!("role: \"{role}\" is not a {kind} role ({roles})"),
        )
    };
    if let (None, None, Some(func)) = (&item, &topic, &func) {
        // Kept as given, `cache` included or not: a function permission grants nothing here.
        let role = match role.as_str() {
            "functioninvoke" => Some(FunctionRole::Invoke),
            "functionpermitnone" => None,
            _ => return Err(role_error("function", "functioninvoke, functionpermitnone")),
        };
        return Ok(Permission::Function {
            role,
            cache,
            func: Some(func.clone()),
        });
    }
    let cache = cache.ok_or_else(|| JsonError::at(at, "missing field `cache`"))?;
    match (item, topic, func) {
        (None, Some(topic), None) => {
            let role = TopicRole::parse(&role)
                .or_else(|| {
                    CacheRole::parse(&role).map(|cache_role| match cache_role {
                        CacheRole::ReadOnly => TopicRole::SubscribeOnly,
                        CacheRole::WriteOnly => TopicRole::PublishOnly,
                        CacheRole::ReadWrite => TopicRole::PublishSubscribe,
                    })
                })
                .ok_or_else(|| {
                    role_error(
                        "topic",
                        "publishsubscribe, subscribeonly, publishonly, or a cache role",
                    )
                })?;
            Ok(Permission::Topic {
                role: Some(role),
                cache: Some(cache),
                topic: Some(topic),
            })
        }
        (item, None, None) => {
            let role = CacheRole::parse(&role)
                .ok_or_else(|| role_error("cache", "readwrite, readonly, writeonly"))?;
            Ok(Permission::Cache {
                role: Some(role),
                cache: Some(cache),
                items: item.unwrap_or(ItemSelector::All),
            })
        }
        _ => Err(JsonError::at(
            at,
            "a permission has at most one of `item`, `topic` and `func`",
        )),
    }
}

/// `"x"`, `{name: "x"}`, `{namePrefix: "x"}` or `{}`.
fn read_named(r: &mut Reader<'_>, expected: &str) -> json::Result<NameSelector> {
    match r.peek()? {
        Kind::String => Ok(NameSelector::Named(r.string()?.into_owned())),
        Kind::Object => {
            let mut named = NameSelector::All;
            let mut seen = false;
            r.object(|r, key| {
                let value = r.string()?.into_owned();
                if std::mem::replace(&mut seen, true) {
                    return Err(r.error("a selector has one of `name` or `namePrefix`"));
                }
                named = match &*key {
                    "name" => NameSelector::Named(value),
                    "namePrefix" => NameSelector::Prefix(value),
                    other => {
                        return Err(r.error(format!(
                            "unknown field `{other}` (expected name or namePrefix)"
                        )))
                    }
                };
                Ok(())
            })?;
            Ok(named)
        }
        _ => Err(r.unexpected(expected)),
    }
}

/// `"key"` (the SDK's `cacheKey*` helpers write the key as a string), `{key}`, `{keyPrefix}`,
/// or `{}` (all items).
fn read_item(r: &mut Reader<'_>) -> json::Result<ItemSelector> {
    if r.peek()? == Kind::String {
        return Ok(ItemSelector::Key(r.string()?.into_owned().into_bytes()));
    }
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("a key, {key}, {keyPrefix}, or {} for all items"));
    }
    let mut item = ItemSelector::All;
    let mut seen = false;
    r.object(|r, key| {
        let value = r.string()?.into_owned().into_bytes();
        if std::mem::replace(&mut seen, true) {
            return Err(r.error("an item selector has one of `key` or `keyPrefix`"));
        }
        item = match &*key {
            "key" => ItemSelector::Key(value),
            "keyPrefix" => ItemSelector::Prefix(value),
            other => {
                return Err(r.error(format!(
                    "unknown field `{other}` (expected key or keyPrefix)"
                )))
            }
        };
        Ok(())
    })?;
    Ok(item)
}

// ---- the protobuf form (the `p` claim) ------------------------------------------------------

// The `Permissions` message of Momento's permissionmessages.proto, as the reference gives it:
//
//   Permissions         { oneof { SuperUser super_user = 1 (enum); ExplicitPermissions explicit = 2 } }
//   ExplicitPermissions { repeated PermissionsType permissions = 1 }
//   PermissionsType     { oneof { CachePermissions cache = 1; TopicPermissions topic = 2; FunctionPermissions function = 3 } }
//   CachePermissions    { role = 1; oneof { All all_caches = 2; CacheSelector cache_selector = 3 }
//                                   oneof { All all_items = 4; ItemSelector item_selector = 5 } }
//   TopicPermissions    { role = 1; oneof { All all_caches = 2; CacheSelector cache_selector = 3 }
//                                   oneof { All all_topics = 4; TopicSelector topic_selector = 5 } }
//   CacheSelector { string cache_name = 1 }  ItemSelector { oneof { bytes key = 1; bytes key_prefix = 2 } }
//   TopicSelector { oneof { string topic_name = 1; string topic_name_prefix = 2 } }

use crate::protobuf::{put_bytes_field, put_varint_field, Fields, Value};

/// The largest `p` claim accepted, in bytes.
const MAX_PROTOBUF_BYTES: usize = 64 * 1024;

type PbResult<T> = Result<T, String>;

fn message_fields(
    bytes: &[u8],
    what: &str,
    mut field: impl FnMut(u32, Value<'_>) -> PbResult<()>,
) -> PbResult<()> {
    for f in Fields::new(bytes) {
        let (number, value) = f.map_err(|e| format!("{what}: {e}"))?;
        field(number, value).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn embedded<'a>(value: Value<'a>, number: u32) -> PbResult<&'a [u8]> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err(format!("field {number} has the wrong wire type")),
    }
}

fn varint(value: Value<'_>, number: u32) -> PbResult<u64> {
    match value {
        Value::Varint(v) => Ok(v),
        _ => Err(format!("field {number} has the wrong wire type")),
    }
}

fn utf8(bytes: &[u8], number: u32) -> PbResult<String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| format!("field {number} is not UTF-8"))
}

fn cache_name(bytes: &[u8]) -> PbResult<String> {
    let mut name = String::new();
    message_fields(bytes, "CacheSelector", |n, v| {
        if n == 1 {
            name = utf8(embedded(v, n)?, n)?;
        }
        Ok(())
    })?;
    Ok(name)
}

fn read_cache_permissions(bytes: &[u8]) -> PbResult<Permission> {
    let (mut role, mut cache, mut items) = (0, None, ItemSelector::All);
    message_fields(bytes, "CachePermissions", |n, v| {
        match n {
            1 => role = varint(v, n)?,
            2 => {
                embedded(v, n)?;
                cache = Some(CacheSelector::All);
            }
            3 => cache = Some(CacheSelector::Named(cache_name(embedded(v, n)?)?)),
            // An unset `items` oneof is all items: that is what the service grants for it.
            4 => items = ItemSelector::All,
            5 => {
                // A selector without a key matches nothing (no real key is empty).
                items = ItemSelector::Key(Vec::new());
                message_fields(embedded(v, n)?, "ItemSelector", |n, v| {
                    match n {
                        1 => items = ItemSelector::Key(embedded(v, n)?.to_vec()),
                        2 => items = ItemSelector::Prefix(embedded(v, n)?.to_vec()),
                        _ => {}
                    }
                    Ok(())
                })?;
            }
            _ => {}
        }
        Ok(())
    })?;
    let role = match role {
        1 => Some(CacheRole::ReadWrite),
        2 => Some(CacheRole::ReadOnly),
        3 => Some(CacheRole::WriteOnly),
        _ => None, // 0 permits none; an unknown role grants nothing
    };
    Ok(Permission::Cache { role, cache, items })
}

/// The shape topic and function permissions share on the wire: a role (1), the cache oneof
/// (all = 2 | selector = 3) and a name oneof (all = 4 | selector = 5, whose field 1 is a name
/// and 2 a prefix). A selector with neither is `None`: it names nothing and grants nothing.
fn read_named_permission(
    bytes: &[u8],
    what: &str,
) -> PbResult<(u64, Option<CacheSelector>, Option<NameSelector>)> {
    let (mut role, mut cache, mut named) = (0, None, None);
    message_fields(bytes, what, |n, v| {
        match n {
            1 => role = varint(v, n)?,
            2 => {
                embedded(v, n)?;
                cache = Some(CacheSelector::All);
            }
            3 => cache = Some(CacheSelector::Named(cache_name(embedded(v, n)?)?)),
            4 => {
                embedded(v, n)?;
                named = Some(NameSelector::All);
            }
            5 => {
                named = None;
                message_fields(embedded(v, n)?, "selector", |n, v| {
                    match n {
                        1 => named = Some(NameSelector::Named(utf8(embedded(v, n)?, n)?)),
                        2 => named = Some(NameSelector::Prefix(utf8(embedded(v, n)?, n)?)),
                        _ => {}
                    }
                    Ok(())
                })?;
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok((role, cache, named))
}

fn read_topic_permissions(bytes: &[u8]) -> PbResult<Permission> {
    let (role, cache, topic) = read_named_permission(bytes, "TopicPermissions")?;
    let role = match role {
        1 => Some(TopicRole::PublishSubscribe),
        2 => Some(TopicRole::SubscribeOnly),
        3 => Some(TopicRole::PublishOnly),
        _ => None,
    };
    Ok(Permission::Topic { role, cache, topic })
}

fn read_function_permissions(bytes: &[u8]) -> PbResult<Permission> {
    let (role, cache, func) = read_named_permission(bytes, "FunctionPermissions")?;
    // FunctionRole: 0 permit none, 1 invoke; an unknown role permits nothing.
    let role = (role == 1).then_some(FunctionRole::Invoke);
    Ok(Permission::Function { role, cache, func })
}

impl PermissionScope {
    /// Reads a serialised `Permissions` message (the decoded `p` claim of a Momento token).
    /// A message with no kind set is an error; roles and selectors outside the schema grant
    /// nothing (they are kept as "permit none" / missing, never widened). Function
    /// permissions are kept (they grant nothing playgate checks, but are written back).
    pub fn from_protobuf(bytes: &[u8]) -> Result<PermissionScope, Error> {
        if bytes.len() > MAX_PROTOBUF_BYTES {
            return Err(scope_error(format!(
                "permissions message is {} bytes; the limit is {MAX_PROTOBUF_BYTES}",
                bytes.len()
            )));
        }
        let mut scope = None;
        message_fields(bytes, "Permissions", |n, v| {
            match n {
                1 => {
                    varint(v, n)?;
                    scope = Some(PermissionScope::super_user());
                }
                2 => {
                    let mut permissions = Vec::new();
                    message_fields(embedded(v, n)?, "ExplicitPermissions", |n, v| {
                        if n != 1 {
                            return Ok(());
                        }
                        message_fields(embedded(v, n)?, "PermissionsType", |n, v| {
                            match n {
                                1 => permissions.push(read_cache_permissions(embedded(v, n)?)?),
                                2 => permissions.push(read_topic_permissions(embedded(v, n)?)?),
                                3 => permissions.push(read_function_permissions(embedded(v, n)?)?),
                                _ => {} // whatever comes later
                            }
                            Ok(())
                        })
                    })?;
                    scope = Some(PermissionScope {
                        super_user: false,
                        permissions,
                    });
                }
                _ => {}
            }
            Ok(())
        })
        .map_err(|e| scope_error(format!("permissions protobuf: {e}")))?;
        scope.ok_or_else(|| {
            scope_error("permissions protobuf: neither super_user nor explicit is set")
        })
    }

    /// Serialises to a `Permissions` message (what a token's `p` claim holds, before base64).
    pub fn to_protobuf(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.super_user {
            put_varint_field(&mut out, 1, 0);
            return out;
        }
        let mut explicit = Vec::new();
        for p in &self.permissions {
            // Each permission: role = 1, the cache oneof (all = 2 | selector = 3), the items or
            // topic oneof (all = 4 | selector = 5, whose field 1 is a key or name, 2 a prefix).
            let mut body = Vec::new();
            let (number, role, cache, selector) = match p {
                Permission::Cache { role, cache, items } => {
                    let role = role.map_or(0, |r| match r {
                        CacheRole::ReadWrite => 1,
                        CacheRole::ReadOnly => 2,
                        CacheRole::WriteOnly => 3,
                    });
                    // All items is written as an unset oneof, as the SDK writes it.
                    let selector = match items {
                        ItemSelector::All => None,
                        ItemSelector::Key(k) => Some(Some((1, k.as_slice()))),
                        ItemSelector::Prefix(k) => Some(Some((2, k.as_slice()))),
                    };
                    (1, role, cache, selector)
                }
                Permission::Topic { role, cache, topic } => {
                    let role = role.map_or(0, |r| match r {
                        TopicRole::PublishSubscribe => 1,
                        TopicRole::SubscribeOnly => 2,
                        TopicRole::PublishOnly => 3,
                    });
                    let selector = topic.as_ref().map(|t| match t {
                        TopicSelector::All => None,
                        TopicSelector::Named(n) => Some((1, n.as_bytes())),
                        TopicSelector::Prefix(n) => Some((2, n.as_bytes())),
                    });
                    (2, role, cache, selector)
                }
                Permission::Function { role, cache, func } => {
                    let role = role.map_or(0, |FunctionRole::Invoke| 1);
                    let selector = func.as_ref().map(|f| match f {
                        FunctionSelector::All => None,
                        FunctionSelector::Named(n) => Some((1, n.as_bytes())),
                        FunctionSelector::Prefix(n) => Some((2, n.as_bytes())),
                    });
                    (3, role, cache, selector)
                }
            };
            put_varint_field(&mut body, 1, role);
            match cache {
                None => {}
                Some(CacheSelector::All) => put_bytes_field(&mut body, 2, &[]),
                Some(CacheSelector::Named(name)) => put_selector(&mut body, 3, 1, name.as_bytes()),
            }
            match selector {
                None => {}
                Some(None) => put_bytes_field(&mut body, 4, &[]),
                Some(Some((tag, bytes))) => put_selector(&mut body, 5, tag, bytes),
            }
            let mut wrapper = Vec::new();
            put_bytes_field(&mut wrapper, number, &body);
            put_bytes_field(&mut explicit, 1, &wrapper);
        }
        put_bytes_field(&mut out, 2, &explicit);
        out
    }
}

/// Writes field `number` holding a one-field message `{tag: bytes}`.
fn put_selector(body: &mut Vec<u8>, number: u32, tag: u32, bytes: &[u8]) {
    let mut selector = Vec::new();
    put_bytes_field(&mut selector, tag, bytes);
    put_bytes_field(body, number, &selector);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64::{decode, Alphabet};

    fn pb(b64: &str) -> PermissionScope {
        PermissionScope::from_protobuf(&decode(b64, Alphabet::StandardStrict).unwrap()).unwrap()
    }

    #[test]
    fn check_plans_of_reference_scopes() {
        // docs/momento.md `p` vectors. readonly permits Read (bit 1), readwrite Read, Write
        // and ReadWrite (1|2|4), subscribeonly Subscribe (16); super user every class.
        assert_eq!(
            pb("CAA=").check_plan().unwrap(),
            r#"[[31,null,0,0,""],[31,null,1,0,""]]"#
        );
        assert_eq!(
            pb("EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=")
                .check_plan()
                .unwrap(),
            r#"[[1,"media",0,2,"/Movie1/"]]"#
        );
        assert_eq!(
            pb("EhYKFAoSCAEaDgoMZmFzdGx5LWNhY2hl").check_plan().unwrap(),
            r#"[[7,"fastly-cache",0,0,""]]"#
        );
        assert_eq!(
            pb("EhIKEBIOCAIaCAoGb2F1dGgyIgA=").check_plan().unwrap(),
            r#"[[16,"oauth2",1,0,""]]"#
        );
    }

    #[test]
    fn no_check_plan_where_js_strings_would_compare_differently() {
        let key = |k: &[u8]| {
            PermissionScope::new(vec![Permission::Cache {
                role: Some(CacheRole::ReadOnly),
                cache: Some(CacheSelector::Named("media".into())),
                items: ItemSelector::Key(k.to_vec()),
            }])
            .unwrap()
        };
        assert!(key(b"plain \"quoted\" key").check_plan().is_some());
        // A protobuf key that is not UTF-8 has no JS string form.
        assert!(key(&[0x2f, 0xff, 0x2f]).check_plan().is_none());
        // A JS string with a lone surrogate reaches wasm as U+FFFD: only wasm compares it alike.
        assert!(key("a\u{FFFD}b".as_bytes()).check_plan().is_none());
        let cache = PermissionScope::new(vec![Permission::Topic {
            role: Some(TopicRole::PublishOnly),
            cache: Some(CacheSelector::Named("\u{FFFD}".into())),
            topic: Some(TopicSelector::All),
        }])
        .unwrap();
        assert!(cache.check_plan().is_none());
    }

    #[test]
    fn reference_p_vectors() {
        // docs/momento.md: `p` value -> meaning.
        assert!(pb("CAA=").is_super_user());
        let oauth = pb("EhIKEBIOCAIaCAoGb2F1dGgyIgA=");
        assert!(oauth.allows_topic("subscribe", "oauth2", "anything"));
        assert!(!oauth.allows_topic("publish", "oauth2", "anything"));
        assert!(!oauth.allows_topic("subscribe", "other", "anything"));
        let fastly = pb("EhYKFAoSCAEaDgoMZmFzdGx5LWNhY2hl");
        assert!(fastly.allows("set", "fastly-cache", b"any key"));
        assert!(fastly.allows("setIfNotExists", "fastly-cache", b"k"));
        assert!(!fastly.allows("get", "fastly-cache-2", b"k"));
        let media = pb("EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=");
        assert!(media.allows("get", "media", b"/Movie1/1080p/segment1.ts"));
        assert!(!media.allows("get", "media", b"/Movie2/1080p/segment1.ts"));
        assert!(!media.allows("set", "media", b"/Movie1/1080p/segment1.ts"));
        assert_eq!(
            media.to_json().unwrap(),
            r#"{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"}}]}"#
        );
    }

    #[test]
    fn json_and_protobuf_agree() {
        let json = r#"{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"}},
            {"role":"readwrite","cache":{"name":"demo"},"item":{"key":"hits"}},
            {"role":"subscribeonly","cache":"demo","topic":"test"},
            {"role":"readonly","cache":{}}]}"#;
        let a = PermissionScope::from_json(json).unwrap();
        let b = PermissionScope::from_protobuf(&a.to_protobuf()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            PermissionScope::from_json(&a.to_json().unwrap()).unwrap(),
            a
        );
    }

    /// A protobuf field list: `(number, bytes)` as length-delimited, `(number, None)` as varint 0.
    fn pb_message(fields: &[(u32, Option<&[u8]>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, bytes) in fields {
            match bytes {
                Some(b) => put_bytes_field(&mut out, *number, b),
                None => put_varint_field(&mut out, *number, 0),
            }
        }
        out
    }

    /// `Permissions { explicit { permissions: [PermissionsType { <kind> = body }] } }`.
    fn pb_scope(kind: u32, body: &[u8]) -> PermissionScope {
        let wrapper = pb_message(&[(kind, Some(body))]);
        let explicit = pb_message(&[(1, Some(&wrapper))]);
        PermissionScope::from_protobuf(&pb_message(&[(2, Some(&explicit))])).unwrap()
    }

    #[test]
    fn to_json_is_exact_or_an_error_never_wider() {
        // Issue 11, defect 5 (found by fuzzing the protobuf path): each of these grants nothing
        // as read, and its JSON form used to grant (`{}` is every cache or topic, U+FFFD matches
        // other keys). Now each is INVALID_SCOPE.
        let media = pb_message(&[(1, Some(b"media"))]);
        let readonly_no_cache = pb_message(&[(1, None)]); // role 0 = permit none, no cache
        let mut role_readonly = Vec::new();
        put_varint_field(&mut role_readonly, 1, 2);
        let readonly_without_cache = role_readonly.clone();
        let mut readonly_media_no_topic = role_readonly.clone();
        put_bytes_field(&mut readonly_media_no_topic, 3, &media);
        let mut bad_key = role_readonly.clone();
        put_bytes_field(&mut bad_key, 3, &media);
        put_bytes_field(&mut bad_key, 5, &pb_message(&[(1, Some(&[0x2f, 0xff]))]));
        for (kind, body, what) in [
            (1, readonly_no_cache, "a role that permits nothing"),
            (
                1,
                readonly_without_cache.clone(),
                "a cache permission with no cache",
            ),
            (
                2,
                readonly_without_cache,
                "a topic permission with no cache",
            ),
            (
                2,
                readonly_media_no_topic,
                "a topic permission with no topic",
            ),
            (1, bad_key, "a key that is not UTF-8"),
        ] {
            let scope = pb_scope(kind, &body);
            assert!(
                !scope.allows("get", "media", b"/\xef\xbf\xbd")
                    && !scope.allows_topic("subscribe", "media", "t"),
                "{what}: grants nothing as read"
            );
            let err = scope.to_json().unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidScope, "{what}");
            assert!(
                err.message().contains("permissions[0]"),
                "{what}: {}",
                err.message()
            );
        }
        // The super user round-trips through its own form.
        let su = PermissionScope::super_user();
        assert_eq!(
            PermissionScope::from_json(&su.to_json().unwrap()).unwrap(),
            su
        );
    }

    #[test]
    fn function_permissions_are_kept_and_grant_nothing_checked() {
        // Issue 11: a scope of only function permissions did not survive its own toJSON.
        let text = r#"{"permissions":[{"role":"functioninvoke","cache":{},"func":{}},{"role":"functionpermitnone","cache":"media","func":{"namePrefix":"fn-"}}]}"#;
        let scope = PermissionScope::from_json(text).unwrap();
        assert_eq!(scope.to_json().unwrap(), text);
        assert!(!scope.allows("get", "media", b"k"));
        assert!(!scope.allows_topic("publish", "media", "t"));
        assert_eq!(
            PermissionScope::from_protobuf(&scope.to_protobuf()).unwrap(),
            scope
        );
        assert_eq!(scope.check_plan().unwrap(), "[]");
        assert!(scope
            .explain("get", "media", b"k")
            .reason
            .contains("covers functions only"));
    }

    #[test]
    fn the_seed_002_scope_and_hazards() {
        // seed 002: readonly on cache demo, key "mappings"; readwrite on key "hits".
        let s = PermissionScope::from_json(
            r#"{"permissions":[{"role":"readonly","cache":"demo","item":{"key":"mappings"}},
                               {"role":"readwrite","cache":"demo","item":{"key":"hits"}}]}"#,
        )
        .unwrap();
        assert!(s.allows("get", "demo", b"mappings"));
        assert!(!s.allows("set", "demo", b"mappings"));
        assert!(s.allows("set", "demo", b"hits"));
        assert!(!s.allows("get", "demo", b"other"));
        assert!(
            !s.allows("frobnicate", "demo", b"hits"),
            "unknown operations are denied"
        );
        let star =
            PermissionScope::from_json(r#"{"permissions":[{"role":"readonly","cache":"*"}]}"#)
                .unwrap();
        assert!(star.allows("get", "*", b"k"));
        assert!(
            !star.allows("get", "media", b"k"),
            "a cache named * is a literal name"
        );
        for bad in [
            r#"{"permissions":[]}"#,
            r#"{"permissions":[{"role":"readonly","cache":"c","item":{"key":" "}}]}"#,
            r#"{"permissions":[{"role":"readonly","cache":"c","item":{"keyPrefix":""}}]}"#,
            r#"{"permissions":[{"role":"subscribeonly","cache":"c"}]}"#,
            r#"{"permissions":[{"role":"readonly","cache":"c","topic":"t","item":"k"}]}"#,
            r#"{"permissions":[{"role":"functioninvoke","cache":"c","topic":"t"}]}"#,
            r#"{"permissions":[{"role":"readonly","cache":"c","func":"f"}]}"#,
            r#"{"superUser":false}"#,
            r#"{"superUser":true,"permissions":[{"role":"readonly","cache":"c"}]}"#,
            r#"{"permissions":[{"role":"readonly","cache":"c"},{"role":"readwrite","cache":"c"}]}"#,
        ] {
            assert_eq!(
                PermissionScope::from_json(bad).unwrap_err().code(),
                ErrorCode::InvalidScope,
                "{bad}"
            );
        }
    }

    #[test]
    fn seed_002_topic_examples_read_with_least_privilege() {
        // seed 002 "Topic examples": a cache role on a topic permission. readonly reads the
        // topic (subscribe) and no more; writeonly publishes; readwrite does both.
        for (role, subscribe, publish) in [
            ("readonly", true, false),
            ("writeonly", false, true),
            ("readwrite", true, true),
        ] {
            for (cache, topic) in [(r#""demo""#, r#""test""#), ("{}", "{}")] {
                let text = format!(
                    r#"{{"permissions":[{{"role":"{role}","cache":{cache},"topic":{topic}}}]}}"#
                );
                let s = PermissionScope::from_json(&text).unwrap();
                assert_eq!(
                    s.allows_topic("subscribe", "demo", "test"),
                    subscribe,
                    "{text}"
                );
                assert_eq!(s.allows_topic("publish", "demo", "test"), publish, "{text}");
                assert!(!s.allows("get", "demo", b"test"), "{text}: no cache items");
                let back = PermissionScope::from_json(&s.to_json().unwrap()).unwrap();
                assert_eq!(back, s, "{text}");
            }
        }
    }

    #[test]
    fn explain_names_the_permission() {
        let s = PermissionScope::from_json(r#"{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"}}]}"#).unwrap();
        let yes = s.explain("get", "media", b"/Movie1/a.ts");
        assert!(yes.allowed);
        assert_eq!(yes.permission, Some(0));
        let no = s.explain("get", "media", b"/Movie2/a.ts");
        assert!(
            !no.allowed && no.reason.contains("the key does not match"),
            "{}",
            no.reason
        );
        assert!(s
            .explain("teleport", "media", b"x")
            .reason
            .contains("not a known operation"));
    }

    #[test]
    fn operation_table_is_consistent() {
        let mut names: Vec<_> = OPERATIONS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len(), "no operation listed twice");
        let sourced: Vec<_> = OPERATION_SOURCES.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            sourced,
            OPERATIONS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            "every operation has its source, in order"
        );
        assert!(OPERATION_SOURCES
            .iter()
            .all(|(_, source)| !source.is_empty()));
    }
}
