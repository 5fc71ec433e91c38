//! Why a check came out as it did: the permission that granted it, or each permission's reason
//! for not granting. The rule itself is [`verdict`], shared with the checks.

use crate::wire::lossy;
use std::fmt::Write as _;

use super::json::write_permission;
use super::{operation_class, verdict, Permission, PermissionScope, Target};

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

impl PermissionScope {
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

    fn explain_target(&self, operation: &str, target: Target<'_>) -> Explanation {
        let Some(class) = operation_class(operation) else {
            return Explanation {
                allowed: false,
                permission: None,
                reason: format!("denied: \"{operation}\" is not a known operation (unknown operations are denied)"),
            };
        };
        if target.names_no_cache() {
            return Explanation {
                allowed: false,
                permission: None,
                reason: "denied: a blank cache name".to_owned(), // the SDK sends no request for one
            };
        }
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
                lossy(key),
                lossy(cache)
            ),
            Target::Topic { cache, topic } => format!(
                "{operation} on topic \"{}\" in cache \"{}\"",
                lossy(topic),
                lossy(cache)
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

/// A permission in the SDK's JSON form, for explanations.
fn describe(p: &Permission) -> String {
    let mut out = String::new();
    // Not exact: an explanation shows what is there, `null` for what is missing.
    let _ = write_permission(&mut out, p, false);
    out
}
