//! The protobuf form of a scope: the `Permissions` message a Momento token's `p` claim holds.

use super::validate::scope_error;
use super::{
    CacheRole, CacheSelector, FunctionRole, FunctionSelector, ItemSelector, NameSelector,
    Permission, PermissionScope, TopicRole, TopicSelector,
};
use crate::error::Error;
use crate::wire::protobuf::{put_bytes_field, put_varint_field, Fields, Value};

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

/// An `All` selector (all caches, items or topics): an embedded message with no known fields, read
/// whole. A field of another wire type, or a body that is no message, is an error: the SDK's
/// decoder refuses both, and reading either as "all" would widen the scope.
fn all_selector(value: Value<'_>, number: u32) -> PbResult<()> {
    for f in Fields::new(embedded(value, number)?) {
        f.map_err(|e| format!("All: {e}"))?;
    }
    Ok(())
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
                all_selector(v, n)?;
                cache = Some(CacheSelector::All);
            }
            3 => cache = Some(CacheSelector::Named(cache_name(embedded(v, n)?)?)),
            // An unset `items` oneof is all items: that is what the service grants for it.
            4 => {
                all_selector(v, n)?;
                items = ItemSelector::All;
            }
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
                all_selector(v, n)?;
                cache = Some(CacheSelector::All);
            }
            3 => cache = Some(CacheSelector::Named(cache_name(embedded(v, n)?)?)),
            4 => {
                all_selector(v, n)?;
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
    #[inline(never)]
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
                    // The SuperUser enum's one value is 0; another is outside the schema and
                    // grants nothing.
                    scope = Some(if varint(v, n)? == 0 {
                        PermissionScope::super_user()
                    } else {
                        PermissionScope {
                            super_user: false,
                            permissions: Vec::new(),
                        }
                    });
                }
                2 => {
                    let mut permissions = Vec::new();
                    message_fields(embedded(v, n)?, "ExplicitPermissions", |n, v| {
                        if n != 1 {
                            return Ok(());
                        }
                        // One entry is one permission: its kind is a oneof. An entry that sets
                        // it twice is refused: protobuf keeps the last member, or merges two of
                        // the same, and either reading must not become two permissions.
                        let mut kind = None;
                        message_fields(embedded(v, n)?, "PermissionsType", |n, v| {
                            let permission = match n {
                                1 => read_cache_permissions(embedded(v, n)?)?,
                                2 => read_topic_permissions(embedded(v, n)?)?,
                                3 => read_function_permissions(embedded(v, n)?)?,
                                _ => return Ok(()), // whatever comes later
                            };
                            if kind.replace(permission).is_some() {
                                return Err("one entry sets its kind twice".to_owned());
                            }
                            Ok(())
                        })?;
                        permissions.extend(kind);
                        Ok(())
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
