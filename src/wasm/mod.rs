//! The binding layer: the only module that imports `wasm_bindgen` and `js_sys`.
//!
//! Parsed policies and documents stay here as handles. The per-decision path takes numbers
//! and, only when they change, short strings: the JS layer (`js/api.mjs`) keeps a "request
//! slot" in sync (`_setEntity`, `_setCountry`, `_setDevice`, `_setExtras`) and calls
//! `Policy._evaluate(ent, now, persist)`, which returns the decision packed into a `u32`
//! ([`Decision::pack`]); `validUntil` is read with `_validUntil()`. Underscored names are
//! internal to the package and absent from its TypeScript definitions.

mod types;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use js_sys::{Array, JsString, Map, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::decision::Context;
use crate::entitlement::Entitlement;
use crate::error::Error;
use crate::json::MAX_JSON_BYTES;
use crate::policy::{Policy, Resolution};
use crate::quality::Quality;
use crate::request::{check_device, check_entity_id, parse_country, EntityExtras};
use crate::time;
use crate::Country;

/// The one conversion of a core error into a JS `Error` carrying `code`.
fn js_error(error: &Error) -> JsValue {
    let js = js_sys::Error::new(error.message());
    // Setting a property on a fresh, unfrozen Error object cannot fail.
    let _ = Reflect::set(
        &js,
        &JsValue::from_str("code"),
        &JsValue::from_str(error.code().as_str()),
    );
    js.into()
}

fn reject<T>(error: Error) -> Result<T, JsValue> {
    Err(js_error(&error))
}

static NEXT_POLICY_ID: AtomicU32 = AtomicU32::new(1);

/// A parsed policy (claim sets, plans, tiers).
#[wasm_bindgen(js_name = Policy)]
pub struct JsPolicy {
    inner: Policy,
    id: u32,
}

/// A parsed entitlement document.
#[wasm_bindgen(js_name = Entitlement)]
pub struct JsEntitlement {
    doc: Entitlement,
    /// The resolution for the policy that last evaluated this document (policies are immutable).
    resolved: RefCell<Option<(u32, Resolution)>>,
}

impl JsPolicy {
    fn wrap(inner: Policy) -> JsPolicy {
        JsPolicy {
            inner,
            id: NEXT_POLICY_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Runs `f` with the document's resolution under this policy, computing it once.
    fn with_context<T>(
        &self,
        ent: &JsEntitlement,
        now: f64,
        allow_persistence: bool,
        f: impl FnOnce(&Context<'_>, &Slot) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let now = time::from_epoch_f64(now)
            .ok_or_else(|| Error::request("now: must be finite epoch milliseconds"))?;
        let mut cache = ent
            .resolved
            .try_borrow_mut()
            .map_err(|_| Error::request("re-entrant call"))?;
        let resolution = match &*cache {
            Some((id, resolution)) if *id == self.id => resolution,
            _ => &cache.insert((self.id, self.inner.resolve(&ent.doc))).1,
        };
        with_slot(|slot| {
            let ctx = Context::new(
                &ent.doc,
                resolution,
                slot.country,
                slot.device.as_deref(),
                now,
                allow_persistence,
            );
            f(&ctx, slot)
        })
    }
}

#[wasm_bindgen(js_class = Policy)]
impl JsPolicy {
    /// An empty policy: documents are decided by their own fields only.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> JsPolicy {
        JsPolicy::wrap(Policy::new())
    }

    /// Reads a policy from an object or from JSON text. Throws `INVALID_POLICY`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "PolicyJson | string")] value: JsValue,
    ) -> Result<JsPolicy, JsValue> {
        let text = json_text(&value, "policy").map_err(|m| js_error(&Error::policy(m)))?;
        Policy::from_json(&text)
            .map(JsPolicy::wrap)
            .map_err(|e| js_error(&e))
    }

    /// Internal: decides the request held in the slot. Returns the packed decision.
    #[wasm_bindgen(js_name = _evaluate, skip_typescript)]
    pub fn evaluate_packed(
        &self,
        ent: &JsEntitlement,
        now: f64,
        allow_persistence: bool,
    ) -> Result<u32, JsValue> {
        let result = self.with_context(ent, now, allow_persistence, |ctx, slot| {
            ctx.decide(
                &slot.entity,
                slot.extras.entity_type,
                &slot.extras.ancestors,
                slot.extras.licenses.as_deref(),
            )
        });
        match result {
            Ok(decision) => {
                let _ = with_slot_mut(|slot| {
                    slot.valid_until = decision.valid_until.map_or(f64::NAN, |t| t as f64);
                    Ok(())
                });
                Ok(decision.pack())
            }
            Err(e) => reject(e),
        }
    }

    /// Internal: decides `count` newline-separated UTF-8 entity ids sharing the slot's
    /// country and device. One byte per id ([`crate::Decision::catalog_byte`]).
    #[wasm_bindgen(js_name = _catalog, skip_typescript)]
    pub fn catalog(
        &self,
        ent: &JsEntitlement,
        ids: &[u8],
        count: u32,
        now: f64,
        allow_persistence: bool,
    ) -> Result<Vec<u8>, JsValue> {
        let result = self.with_context(ent, now, allow_persistence, |ctx, _| {
            let mut out = Vec::with_capacity(count as usize);
            if count == 0 {
                return Ok(out);
            }
            let text =
                std::str::from_utf8(ids).map_err(|_| Error::request("entityIds: not UTF-8"))?;
            for (i, id) in text.split('\n').enumerate() {
                let decision = ctx
                    .decide(id, None, &[], None)
                    .map_err(|e| e.context(&format!("entityIds[{i}]")))?;
                out.push(decision.catalog_byte());
            }
            if out.len() != count as usize {
                return Err(Error::request("entityIds: an id contains a newline"));
            }
            Ok(out)
        });
        result.map_err(|e| js_error(&e))
    }
}

#[wasm_bindgen(js_class = Entitlement)]
impl JsEntitlement {
    /// Reads a cache blob: JSON text, or its UTF-8 bytes (`Uint8Array` / `ArrayBuffer`).
    /// Throws `INVALID_ENTITLEMENT`.
    #[wasm_bindgen(js_name = fromBlob)]
    pub fn from_blob(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | ArrayBuffer")] blob: JsValue,
    ) -> Result<JsEntitlement, JsValue> {
        let bytes = if let Some(text) = blob.dyn_ref::<JsString>() {
            // A UTF-16 length over the limit is over it in UTF-8 too: refuse before copying.
            if text.length() as usize > MAX_JSON_BYTES {
                return reject(Error::entitlement(format!(
                    "document is over {MAX_JSON_BYTES} bytes"
                )));
            }
            String::from(text).into_bytes()
        } else if let Some(array) = blob.dyn_ref::<Uint8Array>() {
            bytes_within_limit(array)?
        } else if let Some(buffer) = blob.dyn_ref::<js_sys::ArrayBuffer>() {
            bytes_within_limit(&Uint8Array::new(buffer))?
        } else {
            return reject(Error::entitlement(
                "blob: expected JSON text, a Uint8Array or an ArrayBuffer",
            ));
        };
        Entitlement::from_json(&bytes)
            .map(JsEntitlement::wrap)
            .map_err(|e| js_error(&e))
    }

    /// Reads cache dictionary fields: a record or `Map` of string to string.
    /// Throws `INVALID_ENTITLEMENT`.
    #[wasm_bindgen(js_name = fromDictionary)]
    pub fn from_dictionary(
        #[wasm_bindgen(unchecked_param_type = "Record<string, string> | Map<string, string>")]
        fields: JsValue,
    ) -> Result<JsEntitlement, JsValue> {
        let entries: Array = if let Some(map) = fields.dyn_ref::<Map>() {
            Array::from(&map.entries().into())
        } else if fields.is_object() && !Array::is_array(&fields) {
            Object::entries(fields.unchecked_ref())
        } else {
            return reject(Error::entitlement(
                "dictionary: expected a record or a Map of string fields",
            ));
        };
        let mut pairs: Vec<(String, String)> = Vec::with_capacity(entries.length() as usize);
        let mut total = 0usize;
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let name = entry.get(0).as_string().ok_or_else(|| {
                js_error(&Error::entitlement(
                    "dictionary: field names must be strings",
                ))
            })?;
            let value = entry.get(1);
            let Some(value) = value.as_string() else {
                return reject(Error::entitlement(format!(
                    "{name}: dictionary fields must be strings"
                )));
            };
            total = total.saturating_add(name.len() + value.len());
            if total > MAX_JSON_BYTES {
                return reject(Error::entitlement(format!(
                    "dictionary is over {MAX_JSON_BYTES} bytes"
                )));
            }
            pairs.push((name, value));
        }
        Entitlement::from_dictionary(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map(JsEntitlement::wrap)
            .map_err(|e| js_error(&e))
    }
}

impl JsEntitlement {
    fn wrap(doc: Entitlement) -> JsEntitlement {
        JsEntitlement {
            doc,
            resolved: RefCell::new(None),
        }
    }
}

fn bytes_within_limit(array: &Uint8Array) -> Result<Vec<u8>, JsValue> {
    if array.length() as usize > MAX_JSON_BYTES {
        return reject(Error::entitlement(format!(
            "document is {} bytes; the limit is {MAX_JSON_BYTES}",
            array.length()
        )));
    }
    Ok(array.to_vec())
}

/// JSON text from a string, or from an object through `JSON.stringify`.
fn json_text(value: &JsValue, what: &str) -> Result<String, String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if value.is_object() && !Array::is_array(value) {
        let text = js_sys::JSON::stringify(value)
            .map_err(|_| format!("{what}: cannot be serialised to JSON"))?;
        return Ok(String::from(text));
    }
    Err(format!("{what}: expected an object or JSON text"))
}

/// The request being decided, kept in sync by the JS layer.
#[derive(Default)]
struct Slot {
    entity: String,
    country: Option<Country>,
    device: Option<String>,
    extras: EntityExtras,
    valid_until: f64,
}

thread_local! {
    static SLOT: RefCell<Slot> = RefCell::new(Slot::default());
}

fn with_slot<T>(f: impl FnOnce(&Slot) -> Result<T, Error>) -> Result<T, Error> {
    SLOT.with(|slot| {
        let slot = slot
            .try_borrow()
            .map_err(|_| Error::request("re-entrant call"))?;
        f(&slot)
    })
}

fn with_slot_mut<T>(f: impl FnOnce(&mut Slot) -> Result<T, Error>) -> Result<T, Error> {
    SLOT.with(|slot| {
        let mut slot = slot
            .try_borrow_mut()
            .map_err(|_| Error::request("re-entrant call"))?;
        f(&mut slot)
    })
}

/// Internal: sets the slot's entity id.
#[wasm_bindgen(js_name = _setEntity, skip_typescript)]
pub fn set_entity(id: &str) -> Result<(), JsValue> {
    with_slot_mut(|slot| {
        check_entity_id(id)?;
        slot.entity.clear();
        slot.entity.push_str(id);
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// Internal: sets (or clears) the slot's country.
#[wasm_bindgen(js_name = _setCountry, skip_typescript)]
pub fn set_country(code: Option<String>) -> Result<(), JsValue> {
    with_slot_mut(|slot| {
        slot.country = code.as_deref().map(parse_country).transpose()?;
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// Internal: sets (or clears) the slot's device class.
#[wasm_bindgen(js_name = _setDevice, skip_typescript)]
pub fn set_device(device: Option<String>) -> Result<(), JsValue> {
    with_slot_mut(|slot| {
        if let Some(d) = &device {
            check_device(d)?;
        }
        slot.device = device;
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// Internal: sets (or clears) the slot's `{entityType, ancestors, licenses}` from JSON text.
#[wasm_bindgen(js_name = _setExtras, skip_typescript)]
pub fn set_extras(json: Option<String>) -> Result<(), JsValue> {
    let extras = match json {
        Some(text) => EntityExtras::from_json(&text).map_err(|e| js_error(&e))?,
        None => EntityExtras::default(),
    };
    with_slot_mut(|slot| {
        slot.extras = extras;
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// Internal: the last decision's `validUntil` (NaN = none).
#[wasm_bindgen(js_name = _validUntil, skip_typescript)]
pub fn valid_until() -> f64 {
    with_slot(|slot| Ok(slot.valid_until)).unwrap_or(f64::NAN)
}

/// Internal: parses an RFC 3339 request time. Throws `INVALID_REQUEST`.
#[wasm_bindgen(js_name = _parseTime, skip_typescript)]
pub fn parse_time(text: &str) -> Result<f64, JsValue> {
    match time::parse_rfc3339(text) {
        Some(ms) => Ok(ms as f64),
        None => reject(Error::request(format!(
            "now: {text:?} is not an RFC 3339 date-time"
        ))),
    }
}

/// The quality class of a `width` x `height` picture, by its shorter side:
/// SD below 720 lines, HD up to 1080, UHD1 up to 2160, UHD2 above. Throws `INVALID_REQUEST`
/// for negative, fractional or non-finite sizes.
#[wasm_bindgen(js_name = qualityForSize, unchecked_return_type = "Quality")]
pub fn quality_for_size(width: f64, height: f64) -> Result<String, JsValue> {
    let side = |v: f64, name: &str| -> Result<u32, JsValue> {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
            Ok(v as u32)
        } else {
            reject(Error::request(format!(
                "{name}: expected a whole number of pixels"
            )))
        }
    };
    Ok(
        Quality::of_picture(side(width, "width")?, side(height, "height")?)
            .as_str()
            .to_owned(),
    )
}
