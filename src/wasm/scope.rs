//! Bindings for permission scopes and Momento token decoding.
//!
//! `PermissionScope.allows` / `allowsTopic` are installed by `js/api.mjs`. It maps the operation
//! name to its class through the operation table (`_operationNames`) and runs the scope's check
//! plan (`_checkPlan`: every decision made here, only string comparisons left). The rare
//! scope without a plan is asked through `_allowsStrings`.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{js_error, json_text, reject};
use playgate::binding::base64::{self, Alphabet};
use playgate::momento::{self, UnverifiedMomentoToken};
use playgate::momento::{PermissionScope, OPERATIONS};
use playgate::{Error, ErrorCode};

/// A Momento permission scope.
#[wasm_bindgen(js_name = PermissionScope)]
pub struct JsPermissionScope {
    pub(crate) inner: PermissionScope,
}

fn scope_error(message: impl Into<String>) -> JsValue {
    js_error(&Error::new(ErrorCode::InvalidScope, message))
}

#[wasm_bindgen(js_class = PermissionScope)]
impl JsPermissionScope {
    /// Reads a scope from the Momento JS SDK's scope object (its `AllCaches`, `AllTopics` and
    /// `AllItems` sentinels included) or from its `JSON.stringify` text. Throws `INVALID_SCOPE`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "PermissionScopeJson | object | string")]
        value: JsValue,
    ) -> Result<JsPermissionScope, JsValue> {
        let text = json_text(&value, "scope").map_err(scope_error)?;
        PermissionScope::from_json(&text)
            .map(|inner| JsPermissionScope { inner })
            .map_err(|e| js_error(&e))
    }

    /// Reads a serialised `Permissions` protobuf message: bytes, or the standard base64 text of
    /// a token's `p` claim. Throws `INVALID_SCOPE`.
    #[wasm_bindgen(js_name = fromProtobuf)]
    pub fn from_protobuf(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] value: JsValue,
    ) -> Result<JsPermissionScope, JsValue> {
        let bytes = if let Some(text) = value.as_string() {
            base64::decode(&text, Alphabet::StandardStrict)
                .ok_or_else(|| scope_error("p: not standard base64"))?
        } else if let Some(array) = value.dyn_ref::<Uint8Array>() {
            array.to_vec()
        } else {
            return Err(scope_error(
                "permissions: expected a Uint8Array or base64 text",
            ));
        };
        PermissionScope::from_protobuf(&bytes)
            .map(|inner| JsPermissionScope { inner })
            .map_err(|e| js_error(&e))
    }

    /// Whether this is the super-user scope.
    #[wasm_bindgen(getter, js_name = isSuperUser)]
    pub fn is_super_user(&self) -> bool {
        self.inner.is_super_user()
    }

    /// Says which permission allows `operation` on `key` in `cache`, or why none does.
    #[wasm_bindgen(unchecked_return_type = "ScopeExplanation")]
    pub fn explain(&self, operation: &str, cache: &str, key: &str) -> JsValue {
        explanation(self.inner.explain(operation, cache, key.as_bytes()))
    }

    /// Says which permission allows `operation` on `topic` in `cache`, or why none does.
    #[wasm_bindgen(js_name = explainTopic, unchecked_return_type = "ScopeExplanation")]
    pub fn explain_topic(&self, operation: &str, cache: &str, topic: &str) -> JsValue {
        explanation(self.inner.explain_topic(operation, cache, topic))
    }

    /// The SDK's JSON form, so `JSON.stringify(scope)` writes what the SDK would. Throws
    /// `INVALID_SCOPE` for a scope that form cannot hold exactly (read from a protobuf: a role
    /// that permits nothing, a missing selector, a key that is not UTF-8): never a wider form.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "PermissionScopeJson")]
    pub fn to_json(&self) -> Result<JsValue, JsValue> {
        let text = self.inner.to_json().map_err(|e| js_error(&e))?;
        js_sys::JSON::parse(&text)
            .map_err(|_| scope_error("toJSON: internal: the JSON form did not parse"))
    }

    /// Internal: the checks as data for the JS layer (see `PermissionScope::check_plan`), or
    /// `undefined` when only wasm compares the scope's names alike.
    #[wasm_bindgen(js_name = _checkPlan, skip_typescript)]
    pub fn check_plan(&self) -> Option<String> {
        self.inner.check_plan()
    }

    /// Internal: a check, for a scope without a check plan.
    #[wasm_bindgen(js_name = _allowsStrings, skip_typescript)]
    pub fn allows_strings(&self, operation: &str, cache: &str, key: &str, topic: bool) -> bool {
        if topic {
            self.inner.allows_topic(operation, cache, key)
        } else {
            self.inner.allows(operation, cache, key.as_bytes())
        }
    }
}

fn explanation(e: playgate::momento::Explanation) -> JsValue {
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
#[wasm_bindgen(js_name = decodeMomentoToken, unchecked_return_type = "UnverifiedMomentoToken")]
pub fn decode_momento_token(token: JsValue) -> Result<JsValue, JsValue> {
    let Some(text) = token.as_string() else {
        return reject(Error::new(
            ErrorCode::MalformedToken,
            "token: expected a string",
        ));
    };
    let decoded = momento::decode_momento_token(&text).map_err(|e| js_error(&e))?;
    Ok(token_object(decoded))
}

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
    set(
        "scope",
        t.scope
            .map_or(JsValue::NULL, |inner| JsPermissionScope { inner }.into()),
    );
    object.into()
}
