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

use crate::error::Error;

mod explain;
mod json;
mod plan;
mod protobuf;
mod validate;

pub use explain::Explanation;
use validate::{check_permission, same_selector_other_role, scope_error};

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
pub static OPERATIONS: &[(&str, OperationClass)] = {
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

/// What is being checked. Names are compared as UTF-8 bytes: for UTF-8 text the same as
/// comparing strings, and what item keys (bytes in a token's protobuf) need anyway.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    Item { cache: &'a [u8], key: &'a [u8] },
    Topic { cache: &'a [u8], topic: &'a [u8] },
}

impl Target<'_> {
    /// A blank cache name (empty or white space) names no cache: the SDK refuses to send a
    /// request for one, so no scope allows it, a super user's or an all-caches grant's included.
    fn names_no_cache(self) -> bool {
        let (Self::Item { cache, .. } | Self::Topic { cache, .. }) = self;
        validate::blank(cache)
    }
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
    /// operations are denied, and so is a blank cache name (the SDK sends no request for one).
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
        if target.names_no_cache() {
            return (false, None);
        }
        match operation_class(operation) {
            Some(class) => match self.grants(class, target) {
                Some(index) => (true, index),
                None => (false, None),
            },
            None => (false, None),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::wire::base64::{decode, Alphabet};
    use crate::wire::protobuf::{put_bytes_field, put_varint_field};

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
