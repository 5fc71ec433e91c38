//! What the service refuses in a scope: blank names and conflicting roles on one selector.

use super::{CacheSelector, ItemSelector, NameSelector, Permission};
use crate::error::{Error, ErrorCode};

/// Whether a name is empty or white space as the SDK's validators see it (`!name.trim()` in
/// JS: Unicode white space and U+FEFF, but not U+0085, which Rust counts and JS does not);
/// bytes that are not UTF-8 are not blank.
pub(super) fn blank(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|t| {
        t.chars()
            .all(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}')
    })
}

pub(super) fn check_permission(p: &Permission) -> Result<(), String> {
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

pub(super) fn same_selector_other_role(a: &Permission, b: &Permission) -> bool {
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

pub(super) fn scope_error(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidScope, message)
}
