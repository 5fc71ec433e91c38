//! Bindings for permission scopes and Momento token decoding.
//!
//! `PermissionScope` is a JS class (js/scopes.mjs) that keeps the scope's source and its summary
//! (`_scope`: the super-user bit and the check plan). A check maps the operation name to its
//! class through the operation table (`_operationNames`) and runs the check plan in JS (every
//! decision made here, only string comparisons left). The rare scope without a plan is asked
//! through `_scope` too; `explain` and `toJSON` read the source again.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{js_error, json_text};
use playgate::binding::base64::{self, Alphabet};
#[cfg(feature = "tokens")]
use playgate::token::momento::{self, UnverifiedMomentoToken};
use playgate::token::momento::{PermissionScope, OPERATIONS};
use playgate::{Error, ErrorCode};

fn scope_error(message: impl Into<String>) -> JsValue {
    js_error(&Error::new(ErrorCode::InvalidScope, message))
}

// A scope is a JS object (js/scopes.mjs) that keeps its source, so it holds no wasm memory: the
// rare call that needs the parsed scope (explain, toJSON, minting) reads the source again
// (playgate::abi: SCOPE_JSON, SCOPE_PROTOBUF, SCOPE_TOKEN).
use playgate::abi::{SCOPE_ALLOWS, SCOPE_EXPLAIN, SCOPE_JSON, SCOPE_PROTOBUF, SCOPE_TO_JSON};

/// The scope a source holds.
pub(crate) fn scope_from(kind: u32, source: &JsValue) -> Result<PermissionScope, JsValue> {
    match kind {
        SCOPE_JSON => {
            let text = json_text(source, "scope").map_err(scope_error)?;
            PermissionScope::from_json(&text).map_err(|e| js_error(&e))
        }
        SCOPE_PROTOBUF => {
            let bytes = if let Some(text) = source.as_string() {
                base64::decode(&text, Alphabet::StandardStrict)
                    .ok_or_else(|| scope_error("p: not standard base64"))?
            } else if let Some(array) = source.dyn_ref::<Uint8Array>() {
                array.to_vec()
            } else {
                return Err(scope_error(
                    "permissions: expected a Uint8Array or base64 text",
                ));
            };
            PermissionScope::from_protobuf(&bytes).map_err(|e| js_error(&e))
        }
        #[cfg(feature = "tokens")]
        playgate::abi::SCOPE_TOKEN => {
            let text = source.as_string().unwrap_or_default();
            momento::decode_momento_token(&text)
                .map_err(|e| js_error(&e))?
                .scope
                .ok_or_else(|| scope_error("token: holds no scope"))
        }
        _ => Err(scope_error("internal: unknown scope source")),
    }
}

/// What the JS layer keeps of a scope besides its source: `1` (super user) or `0`, then the
/// check plan (see `PermissionScope::check_plan`; nothing when only wasm compares its names).
pub(crate) fn scope_summary(scope: &PermissionScope) -> String {
    let mut summary = String::from(if scope.is_super_user() { "1" } else { "0" });
    if let Some(plan) = scope.check_plan() {
        summary.push_str(&plan);
    }
    summary
}

/// Internal: reads the scope from its source and, by `what`: [`SCOPE_READ`] its summary
/// (`PermissionScope.fromJson`, `fromProtobuf`); [`SCOPE_EXPLAIN`] which permission allows
/// `operation` on `name` (a key, or with `topic` a topic) in `cache`; [`SCOPE_ALLOWS`] the same
/// as a boolean (a scope without a check plan); [`SCOPE_TO_JSON`] the SDK's JSON form as text, or
/// `INVALID_SCOPE` for a scope that form cannot hold exactly (read from a protobuf: a role that
/// permits nothing, a missing selector, a key that is not UTF-8): never a wider form. One entry
/// point, not four: each costs the player module its own argument-passing shim.
#[wasm_bindgen(js_name = _scope, skip_typescript)]
pub fn scope_call(
    what: u32,
    kind: u32,
    source: JsValue,
    operation: &str,
    cache: &str,
    name: &str,
    topic: bool,
) -> Result<JsValue, JsValue> {
    let scope = scope_from(kind, &source)?;
    Ok(match what {
        SCOPE_EXPLAIN => explanation(if topic {
            scope.explain_topic(operation, cache, name)
        } else {
            scope.explain(operation, cache, name.as_bytes())
        }),
        SCOPE_ALLOWS => JsValue::from_bool(if topic {
            scope.allows_topic(operation, cache, name)
        } else {
            scope.allows(operation, cache, name.as_bytes())
        }),
        // The text: the JS layer parses it.
        SCOPE_TO_JSON => JsValue::from_str(&scope.to_json().map_err(|e| js_error(&e))?),
        _ => JsValue::from_str(&scope_summary(&scope)),
    })
}

fn explanation(e: playgate::token::momento::Explanation) -> JsValue {
    let object = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(k), &v);
    };
    set("allowed", JsValue::from_bool(e.allowed));
    set(
        "permission",
        e.permission
            .map_or(JsValue::NULL, |i| JsValue::from_f64(i as f64)),
    );
    set("reason", JsValue::from_str(&e.reason));
    object.into()
}

/// Internal: the operation table's names, comma-separated, in table order; then `;` and each
/// operation's class bit as a letter.
#[wasm_bindgen(js_name = _operationNames, skip_typescript)]
pub fn operation_names() -> String {
    // A loop, not `join`: `join` is a 1.2 KB generic in the module.
    let mut names = String::new();
    for (name, _) in OPERATIONS {
        if !names.is_empty() {
            names.push(',');
        }
        names.push_str(name);
    }
    // Then each operation's class bit (`OperationClass::bit`), as one letter: `A` + bit.
    names.push(';');
    for (_, class) in OPERATIONS {
        names.push(char::from(b'A' + class.bit()));
    }
    names
}

/// Decodes a Momento token (v1 disposable, legacy JWT or v2 key) **without verifying it**:
/// Momento signs it, so nothing decoded here can be trusted; the scope is advisory (a player
/// uses it to avoid asking for what will be refused). Throws `MALFORMED_TOKEN`.
#[cfg(feature = "tokens")]
#[wasm_bindgen(js_name = decodeMomentoToken, unchecked_return_type = "UnverifiedMomentoToken")]
pub fn decode_momento_token(token: JsValue) -> Result<JsValue, JsValue> {
    let Some(text) = token.as_string() else {
        return super::reject(Error::new(
            ErrorCode::MalformedToken,
            "token: expected a string",
        ));
    };
    let decoded = momento::decode_momento_token(&text).map_err(|e| js_error(&e))?;
    Ok(token_object(decoded))
}

#[cfg(feature = "tokens")]
fn token_object(t: UnverifiedMomentoToken) -> JsValue {
    let object = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(k), &v);
    };
    let text = |s: Option<String>| s.map_or(JsValue::NULL, |s| JsValue::from_str(&s));
    set("verified", JsValue::FALSE);
    set("kind", JsValue::from_str(t.kind.as_str()));
    set("endpoint", text(t.endpoint));
    set("httpBaseUrl", text(t.http_base_url));
    set("subject", text(t.subject));
    set(
        "expiresAt",
        t.expires_at
            .map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64)),
    );
    // The scope's summary: the JS layer makes the PermissionScope, with the token as its source.
    set(
        "scope",
        t.scope.map_or(JsValue::NULL, |scope| {
            JsValue::from_str(&scope_summary(&scope))
        }),
    );
    object.into()
}
