//! The SDK's JSON form of a scope (what `JSON.stringify` of a Momento JS SDK scope gives, and
//! what playback tokens carry): read strictly, written exactly or not at all.

use super::validate::scope_error;
use super::{
    CacheRole, CacheSelector, FunctionRole, ItemSelector, NameSelector, Permission,
    PermissionScope, TopicRole,
};
use crate::error::Error;
use crate::wire::json::{
    self, write_string as json_string, JsonError, Kind, Reader, MAX_JSON_BYTES,
};

impl PermissionScope {
    /// Reads the JSON the Momento JS SDK writes for a scope: `{permissions: [...]}`, each
    /// `{role, cache, item?}` or `{role, cache, topic}`. Unknown fields are errors.
    #[inline(never)]
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

/// Writes one permission in the SDK's JSON form. `exact`: fail on what that form cannot say
/// (a role that permits nothing, a missing selector, a key that is not UTF-8), which every
/// reader would take for something wider; otherwise (for explanations) write `null` for a
/// missing role or selector and the key with U+FFFD.
pub(super) fn write_permission(
    out: &mut String,
    p: &Permission,
    exact: bool,
) -> Result<(), &'static str> {
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
            Err(_) => json_string(out, &crate::wire::lossy(bytes)),
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
