//! A scope's checks as data (a check plan) for the JS layer, which compares names where they
//! live instead of paying a call into wasm per check.

use super::{
    CacheSelector, ItemSelector, OperationClass, Permission, PermissionScope, TopicSelector,
};
use crate::wire::json::write_string as json_string;

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
    /// [`Self::allows`], once the caller has denied a blank `cache` (JS's `!cache.trim()`). For UTF-8 text, comparing JS strings (UTF-16) gives the same answers
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
