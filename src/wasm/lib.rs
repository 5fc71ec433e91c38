//! The binding layer: the only module that imports `wasm_bindgen` and `js_sys`. Its protocol
//! with the JS layer is written down in one place, `playgate::abi` (`src/abi.rs`).
//!
//! Parsed policies stay here as handles; parsed documents in a bounded set of slots. The per-decision path moves no JS
//! objects and allocates nothing: the JS layer (`js/api.mjs`) writes the entity id (and the
//! device) as bytes into a shared I/O buffer in wasm memory (`_io`), passes the country as two
//! character codes in a number, and calls `Policy._decide`, which returns the decision packed
//! into a `u32` ([`playgate::Decision::pack`]) and leaves `validUntil` in the output cell (`_out`).
//! Catalog pages use the same buffer: ids in, one byte per title out. The rare request extras
//! (`entityType`, `ancestors`, `licenses`) travel as JSON through `_setExtras`. Underscored
//! names are internal to the package and absent from its TypeScript definitions.

#[cfg(feature = "edge")]
mod edge;
#[cfg(feature = "edge")]
pub use edge::{JsJwtVerifier, JsPlaybackTokenMinter};
#[cfg(feature = "manifests")]
mod manifest;
#[cfg(feature = "scopes")]
mod scope;
mod types;

// Talc instead of Rust's default dlmalloc: 2.5 KB less of the player module gzipped, parse
// speed and cold start measured the same (ARCHITECTURE.md). Single-threaded wasm only.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(feature = "scopes")]
pub use scope::scope_call;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use playgate::binding::{
    check_device, parse_country, time, EntityExtras, PackedIds, Resolution,
    DEFAULT_MAX_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES_LIMIT,
};
use playgate::{Context, Country, Entitlement, Error, Millis, Policy, Quality};

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

/// Sets a property on a fresh object (which cannot fail).
#[cfg(feature = "edge")]
fn set(object: &js_sys::Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), &value);
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

/// The parsed documents, each in a slot and owned by a JS `Entitlement` (js/decisions.mjs) that
/// keeps the document's source and its id. At most [`RESIDENT_DOCUMENTS`] are held, and about
/// [`RESIDENT_BYTES`] of source: a new document takes the slot of one not used lately (CLOCK),
/// whose owner loads it again from its source when next asked (`NOT_RESIDENT`). Memory is bounded
/// whether or not anyone calls `free()`: a wasm-bindgen handle is freed only by a
/// FinalizationRegistry, after a GC and a turn of the event loop, so a loop that made documents
/// without `free()` grew wasm memory by 563 B each (bench/soak.mjs, 2026-12-05).
struct Residents {
    slots: Vec<Option<Resident>>,
    /// The empty slots (freed, or evicted for a new document).
    empty: Vec<usize>,
    /// The CLOCK hand: where the search for a slot to give away goes on from.
    hand: usize,
    /// The source bytes of the documents held.
    weight: usize,
}

struct Resident {
    id: f64,
    /// Its source's length: what it weighs against [`RESIDENT_BYTES`].
    weight: usize,
    /// Asked since the hand last passed: spared once.
    used: bool,
    doc: Entitlement,
    /// What the last decisions on this document computed, kept while it still holds.
    cache: Cache,
}

/// Enough for an entitlement store's default 1,000 users with room to spare.
const RESIDENT_DOCUMENTS: usize = 1024;
const RESIDENT_BYTES: usize = 8 << 20;

thread_local! {
    static RESIDENTS: RefCell<Residents> = const {
        RefCell::new(Residents { slots: Vec::new(), empty: Vec::new(), hand: 0, weight: 0 })
    };
}

impl Residents {
    /// Puts a document in a slot (giving away others as needed) and returns the slot.
    fn place(&mut self, id: f64, weight: usize, doc: Entitlement) -> usize {
        // Every empty slot is in `empty`, so a full table has only held slots and each turn of
        // the loop either empties one or clears a `used` bit: it ends within two rounds.
        while (self.empty.is_empty() && self.slots.len() >= RESIDENT_DOCUMENTS)
            || (self.weight > 0 && self.weight.saturating_add(weight) > RESIDENT_BYTES)
        {
            let hand = if self.hand < self.slots.len() {
                self.hand
            } else {
                0
            };
            self.hand = hand + 1;
            if let Some(slot) = self.slots.get_mut(hand) {
                match slot {
                    Some(resident) if resident.used => resident.used = false,
                    Some(_) => {
                        if let Some(gone) = slot.take() {
                            self.weight -= gone.weight;
                            self.empty.push(hand);
                        }
                    }
                    None => {}
                }
            }
        }
        let resident = Resident {
            id,
            weight,
            used: false,
            doc,
            cache: Cache::default(),
        };
        self.weight += weight;
        match self.empty.pop() {
            Some(index) => {
                if let Some(slot) = self.slots.get_mut(index) {
                    *slot = Some(resident);
                }
                index
            }
            None => {
                self.slots.push(Some(resident));
                self.slots.len() - 1
            }
        }
    }

    /// The document `id`, if slot `slot` still holds it.
    fn get(&mut self, slot: u32, id: f64) -> Option<&mut Resident> {
        let resident = self.slots.get_mut(slot as usize)?.as_mut()?;
        if resident.id != id {
            return None;
        }
        resident.used = true;
        Some(resident)
    }

    fn drop_document(&mut self, slot: u32, id: f64) {
        if let Some(held) = self.slots.get_mut(slot as usize) {
            if held.as_ref().is_some_and(|r| r.id == id) {
                if let Some(gone) = held.take() {
                    self.weight -= gone.weight;
                    self.empty.push(slot as usize);
                }
            }
        }
    }
}

/// Puts a parsed document into a slot; returns the slot.
fn load(id: f64, weight: usize, doc: Result<Entitlement, Error>) -> Result<u32, JsValue> {
    let doc = doc.map_err(|e| js_error(&e))?;
    if !(id.fract() == 0.0 && (1.0..9_007_199_254_740_992.0).contains(&id)) {
        return reject(Error::entitlement(
            "internal: a document id must be a whole number",
        ));
    }
    RESIDENTS.with(|residents| {
        let mut residents = residents
            .try_borrow_mut()
            .map_err(|_| js_error(&reentrant()))?;
        u32::try_from(residents.place(id, weight, doc))
            .map_err(|_| js_error(&Error::entitlement("internal: too many slots")))
    })
}

/// Per-document memo: the resolution under the last policy (policies are immutable, so the
/// policy id is the key), and the last request context with the inputs it was computed for.
#[derive(Default)]
struct Cache {
    resolution: Option<(u32, Resolution)>,
    /// A few recent contexts: a player or edge function alternates between a handful of
    /// (country, device, persistence) combinations at most.
    contexts: Vec<CachedContext>,
    /// The slot the next new context replaces once `contexts` is full (round robin).
    next: usize,
}

/// How many contexts a document remembers.
const CONTEXTS_PER_DOCUMENT: usize = 4;

struct CachedContext {
    policy: u32,
    country: u32,
    device: Option<Vec<u8>>,
    allow_persistence: bool,
    context: Context,
}

impl JsPolicy {
    fn wrap(inner: Policy) -> JsPolicy {
        JsPolicy {
            inner,
            id: NEXT_POLICY_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Runs `f` with the entity-independent part of a decision: reused from the document's
    /// cache when the policy, country, device and persistence flag are the same and it still
    /// holds at `now`; otherwise computed (resolving the document under this policy once).
    /// `None` when the slot no longer holds the document (the caller returns `NOT_RESIDENT`).
    fn with_context<T>(
        &self,
        slot: u32,
        document: f64,
        request: &RawRequest,
        f: impl FnOnce(&Entitlement, &Context, Millis, &mut Io) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        let now = time::from_epoch_f64(request.now)
            .ok_or_else(|| Error::request("now: must be finite epoch milliseconds"))?;
        RESIDENTS.with(|residents| {
            let mut residents = residents.try_borrow_mut().map_err(|_| reentrant())?;
            let Some(resident) = residents.get(slot, document) else {
                return Ok(None);
            };
            let Resident { doc, cache, .. } = resident;
            IO.with(|io| {
                let mut io = io.try_borrow_mut().map_err(|_| reentrant())?;
                let device = match usize::try_from(request.device_len) {
                    Ok(len) if len > IDS_AT => {
                        return Err(Error::request(format!(
                            "device: longer than {IDS_AT} bytes"
                        )))
                    }
                    Ok(len) => {
                        let start = 0;
                        Some(
                            io.buffer
                                .get(start..start + len)
                                .ok_or_else(|| Error::request("device: out of bounds"))?,
                        )
                    }
                    Err(_) => None,
                };
                let hit = cache.contexts.iter().position(|c| {
                    c.policy == self.id
                        && c.country == request.country
                        && c.allow_persistence == request.allow_persistence
                        && c.device.as_deref() == device
                        && c.context.holds_at(now)
                });
                let index = match hit {
                    Some(index) => index,
                    None => {
                        let country = match request.country {
                            0 => None,
                            code => Some(country_from_code_units(code)?),
                        };
                        let device_text = device.map(|d| utf8(d, "device")).transpose()?;
                        if let Some(d) = device_text {
                            check_device(d)?;
                        }
                        let resolution = match &cache.resolution {
                            Some((id, resolution)) if *id == self.id => resolution,
                            _ => {
                                &cache
                                    .resolution
                                    .insert((self.id, self.inner.resolve(doc)))
                                    .1
                            }
                        };
                        let context = Context::new(
                            doc,
                            resolution,
                            country,
                            device_text,
                            now,
                            request.allow_persistence,
                        );
                        let entry = CachedContext {
                            policy: self.id,
                            country: request.country,
                            device: device.map(<[u8]>::to_vec),
                            allow_persistence: request.allow_persistence,
                            context,
                        };
                        let index = cache.next;
                        cache.next = (index + 1) % CONTEXTS_PER_DOCUMENT;
                        match cache.contexts.get_mut(index) {
                            Some(slot) => *slot = entry,
                            None => cache.contexts.push(entry),
                        }
                        index.min(cache.contexts.len() - 1)
                    }
                };
                let cached = cache.contexts.get(index).ok_or_else(reentrant)?;
                f(doc, &cached.context, now, &mut io).map(Some)
            })
        })
    }
}

/// What every decision call passes as numbers (strings are in the I/O buffer).
struct RawRequest {
    /// Bytes of the device class at the start of the buffer; negative = no device.
    device_len: i32,
    /// The country as `(first << 16) | second` UTF-16 code units; 0 = none.
    country: u32,
    now: f64,
    allow_persistence: bool,
}

fn reentrant() -> Error {
    Error::request("re-entrant call")
}

/// A country from two UTF-16 code units packed by the JS layer.
fn country_from_code_units(code: u32) -> Result<Country, Error> {
    let (a, b) = (code >> 16, code & 0xffff);
    let letters = [u8::try_from(a).unwrap_or(0), u8::try_from(b).unwrap_or(0)];
    std::str::from_utf8(&letters)
        .ok()
        .and_then(Country::parse)
        .ok_or_else(|| Error::request("country: not an ISO 3166-1 alpha-2 code (two letters)"))
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|_| Error::request(format!("{what}: not UTF-8")))
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

    /// Internal: decides the entity id in `_io[IDS_AT..IDS_AT + ids_len]` (the device in
    /// `_io[0..device_len]` when `device_len >= 0`; ancestors, packed like catalog ids, in the
    /// `ancestors_len` bytes after the id, else those of `_setExtras`). Returns the packed
    /// decision, or [`FAILED`] with the error kept for `_takeError`; `validUntil` is left in `_out`.
    #[wasm_bindgen(js_name = _decide, skip_typescript)]
    #[expect(
        clippy::too_many_arguments,
        reason = "the call's ABI is plain numbers by design"
    )]
    pub fn decide(
        &self,
        slot: u32,
        document: f64,
        ids_len: u32,
        ancestors_len: u32,
        device_len: i32,
        country: u32,
        now: f64,
        allow_persistence: bool,
    ) -> u32 {
        let request = RawRequest {
            device_len,
            country,
            now,
            allow_persistence,
        };
        let result = self.with_context(slot, document, &request, |doc, ctx, now, io| {
            // Checked: a length past the buffer is an error, not a wrapped (wasm32) address.
            let ids_end = IDS_AT
                .checked_add(ids_len as usize)
                .filter(|&end| end <= io.buffer.len())
                .ok_or_else(|| Error::request("entityId: out of bounds"))?;
            let id = utf8(
                io.buffer.get(IDS_AT..ids_end).unwrap_or_default(),
                "entityId",
            )?;
            let extras = &io.extras;
            let decision = if ancestors_len > 0 {
                let packed = ids_end
                    .checked_add(ancestors_len as usize)
                    .and_then(|end| io.buffer.get(ids_end..end))
                    .ok_or_else(|| Error::request("ancestors: out of bounds"))?;
                ctx.decide(
                    doc,
                    now,
                    id,
                    extras.entity_type,
                    PackedIds(packed),
                    extras.licenses.as_deref(),
                )?
            } else {
                ctx.decide(
                    doc,
                    now,
                    id,
                    extras.entity_type,
                    extras.ancestors.as_slice(),
                    extras.licenses.as_deref(),
                )?
            };
            io.out = decision.valid_until.map_or(f64::NAN, |t| t as f64);
            Ok(decision.pack())
        });
        or_failed(result.map(|r| r.unwrap_or(NOT_RESIDENT)))
    }

    /// Internal: decides `count` entity ids in `_io[IDS_AT..IDS_AT + ids_len]` (the device in
    /// `_io[0..device_len]`), sharing one context; writes one byte per id
    /// ([`playgate::Decision::catalog_byte`]) into the buffer right after the ids, or with
    /// `full` whole decisions for `evaluateMany`: from the next 8-aligned address, `count` f64
    /// `validUntil`s (NaN = none), then `count` u32s ([`playgate::Decision::pack`]). The ids are
    /// either `separated`: UTF-8 joined by NUL bytes (what one `TextEncoder.encodeInto` of
    /// `ids.join('\0')` writes, 3x cheaper than a JS loop), or each a u32 length and its bytes
    /// (any character, NUL included). Returns the offset of the first result byte,
    /// [`NUL_IN_ID`] when the separated ids do not split into `count` (an id holds a NUL: the
    /// caller sends them again length-prefixed), or [`FAILED`] with the error kept for
    /// `_takeError`.
    #[wasm_bindgen(js_name = _catalog, skip_typescript)]
    #[expect(
        clippy::too_many_arguments,
        reason = "the call's ABI is plain numbers by design"
    )]
    pub fn catalog(
        &self,
        slot: u32,
        document: f64,
        ids_len: u32,
        count: u32,
        device_len: i32,
        country: u32,
        now: f64,
        allow_persistence: bool,
        separated: bool,
        full: bool,
    ) -> u32 {
        let request = RawRequest {
            device_len,
            country,
            now,
            allow_persistence,
        };
        let result = self.with_context(slot, document, &request, |doc, ctx, now, io| {
            let count = count as usize;
            let too_small = || Error::request("entityIds: the I/O buffer is too small");
            let ids_end = IDS_AT
                .checked_add(ids_len as usize)
                .filter(|&end| end <= io.buffer.len())
                .ok_or_else(too_small)?;
            let (results_at, width) = if full {
                // Aligned in memory, for JS's Float64Array and Uint32Array views.
                let base = io.buffer.as_ptr() as usize;
                let aligned = base
                    .checked_add(ids_end)
                    .and_then(|end| end.checked_next_multiple_of(8))
                    .ok_or_else(too_small)?;
                (aligned - base, 12)
            } else {
                (ids_end, 1)
            };
            let split = results_at.min(io.buffer.len());
            let (input, output) = io.buffer.split_at_mut(split);
            let output = count
                .checked_mul(width)
                .and_then(|len| output.get_mut(..len))
                .ok_or_else(too_small)?;
            if count == 0 {
                return Ok(results_at as u32);
            }
            let mut rest = input.get(IDS_AT..ids_end).unwrap_or_default();
            // A joined page is validated as UTF-8 once (word-at-a-time for ASCII) and cut at
            // each NUL (an ASCII byte: every cut is a char boundary); length-prefixed ids are
            // validated one by one. One loop for both, so the decision code is not duplicated.
            let mut text = if separated {
                let text = utf8(rest, "entityIds")?;
                // A page whose ids hold a NUL does not split into `count` pieces: said before
                // anything is decided, or a piece of an id would be decided (or refused) as an id.
                if text.bytes().filter(|&b| b == 0).count() != count - 1 {
                    return Ok(NUL_IN_ID);
                }
                text
            } else {
                ""
            };
            let mut last_piece = false;
            for i in 0..count {
                let bad = || Error::request(format!("entityIds[{i}]: malformed I/O buffer"));
                let id = if separated {
                    if last_piece {
                        return Ok(NUL_IN_ID); // fewer pieces than ids
                    }
                    let end = text
                        .as_bytes()
                        .iter()
                        .position(|&b| b == 0)
                        .unwrap_or_else(|| {
                            last_piece = true;
                            text.len()
                        });
                    let (id, tail) = text.split_at_checked(end).ok_or_else(bad)?;
                    text = tail.get(1..).unwrap_or_default();
                    id
                } else {
                    // Each id is its UTF-8 length (u32, little-endian) and its bytes: any
                    // character may appear in an id.
                    let (len, tail) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
                    let len = usize::try_from(u32::from_le_bytes(*len)).map_err(|_| bad())?;
                    let (bytes, tail) = tail.split_at_checked(len).ok_or_else(bad)?;
                    rest = tail;
                    utf8(bytes, "entityIds").map_err(|e| e.context(&format!("entityIds[{i}]")))?
                };
                let decision = ctx
                    .decide(doc, now, id, None, PackedIds(&[]), None)
                    .map_err(|e| e.context(&format!("entityIds[{i}]")))?;
                if full {
                    let until = decision.valid_until.map_or(f64::NAN, |t| t as f64);
                    let at = 8 * i;
                    let slot = output.get_mut(at..at + 8).ok_or_else(bad)?;
                    slot.copy_from_slice(&until.to_le_bytes());
                    let at = 8 * count + 4 * i;
                    let slot = output.get_mut(at..at + 4).ok_or_else(bad)?;
                    slot.copy_from_slice(&decision.pack().to_le_bytes());
                } else {
                    *output.get_mut(i).ok_or_else(bad)? = decision.catalog_byte();
                }
            }
            if separated && !last_piece {
                return Ok(NUL_IN_ID); // more pieces than ids
            }
            Ok(results_at as u32)
        });
        or_failed(result.map(|r| r.unwrap_or(NOT_RESIDENT)))
    }
}

/// Internal: reads a cache blob, the `len` bytes JS wrote at `_input` (JSON text as UTF-8), of at
/// most `max_bytes` (0: the default, 1 MiB) into a slot for document `id`; returns the slot.
/// Throws `INVALID_ENTITLEMENT`. (The JS layer refuses a blob over the limit before writing it.)
#[wasm_bindgen(js_name = _loadBlob, skip_typescript)]
pub fn load_blob(len: u32, max_bytes: f64, id: f64) -> Result<u32, JsValue> {
    let max = document_limit(max_bytes)?;
    let doc = with_input(len, |bytes| Entitlement::from_json_within(bytes, max));
    load(id, len as usize, doc)
}

/// Internal: reads cache dictionary fields, the `len` bytes JS wrote at `_input`: one JSON
/// array of names and values in turn (written from the record or `Map`), at most `max_bytes`
/// together, into a slot for document `id`; returns the slot. Throws `INVALID_ENTITLEMENT`.
#[wasm_bindgen(js_name = _loadDictionary, skip_typescript)]
pub fn load_dictionary(len: u32, max_bytes: f64, id: f64) -> Result<u32, JsValue> {
    let max = document_limit(max_bytes)?;
    let doc = with_input(len, |bytes| {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::entitlement("dictionary: not UTF-8"))?;
        Entitlement::from_dictionary_json_within(text, max)
    });
    load(id, len as usize, doc)
}

thread_local! {
    /// Where JS writes a document's or a manifest's bytes (`_input`): kept between calls, so
    /// they cross with one copy (`TextEncoder.encodeInto`, or a byte copy) and no allocation.
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// An input area grown past this for one large input is given back on the next smaller one.
const KEEP_INPUT_BYTES: usize = 1 << 20;

/// Internal: room for `len` bytes of input in wasm memory; returns its address.
#[wasm_bindgen(js_name = _input, skip_typescript)]
pub fn input(len: u32) -> u32 {
    let len = len as usize;
    INPUT.with(|input| {
        let Ok(mut input) = input.try_borrow_mut() else {
            return 0;
        };
        if input.len() > KEEP_INPUT_BYTES && len <= KEEP_INPUT_BYTES {
            *input = Vec::new();
        }
        if input.len() < len {
            input.resize(len, 0);
        }
        input.as_ptr() as u32
    })
}

/// Runs `f` on the first `len` bytes of the input area.
fn with_input<T>(len: u32, f: impl FnOnce(&[u8]) -> Result<T, Error>) -> Result<T, Error> {
    INPUT.with(|input| {
        let input = input.try_borrow().map_err(|_| reentrant())?;
        f(input
            .get(..len as usize)
            .ok_or_else(|| Error::request("input: out of bounds"))?)
    })
}

/// Internal: empties the slot of document `id` (its `free()`); nothing when another holds it.
#[wasm_bindgen(js_name = _dropDocument, skip_typescript)]
pub fn drop_document(slot: u32, id: f64) {
    RESIDENTS.with(|residents| {
        if let Ok(mut residents) = residents.try_borrow_mut() {
            residents.drop_document(slot, id);
        }
    });
}

/// A document size limit as the JS layer passes it (a checked number; 0 for the default).
fn document_limit(max_bytes: f64) -> Result<usize, JsValue> {
    if max_bytes == 0.0 {
        return Ok(DEFAULT_MAX_DOCUMENT_BYTES);
    }
    if max_bytes.fract() == 0.0 && max_bytes >= 1.0 && max_bytes <= MAX_DOCUMENT_BYTES_LIMIT as f64
    {
        return Ok(max_bytes as usize);
    }
    reject(Error::entitlement(format!(
        "maxBytes: expected a whole number of bytes from 1 to {MAX_DOCUMENT_BYTES_LIMIT}"
    )))
}

/// JSON text. Objects are written by the JS layer (`strictJson` in js/api.mjs), never by
/// `JSON.stringify`, which writes NaN and invalid Dates as `null` ("absent").
fn json_text(value: &JsValue, what: &str) -> Result<String, String> {
    value
        .as_string()
        .ok_or_else(|| format!("{what}: expected an object or JSON text"))
}

// The protocol with js/api.mjs (buffer map, sentinels, bit layouts): playgate::abi. On failure
// the error waits in `PENDING_ERROR` for `_takeError` and the call returns `FAILED`.
pub use playgate::abi::{FAILED, IDS_AT, NOT_RESIDENT, NUL_IN_ID};

thread_local! {
    static PENDING_ERROR: RefCell<Option<Error>> = const { RefCell::new(None) };
}

pub(crate) fn or_failed(result: Result<u32, Error>) -> u32 {
    match result {
        Ok(value) => value,
        Err(error) => {
            PENDING_ERROR.with(|pending| {
                if let Ok(mut pending) = pending.try_borrow_mut() {
                    *pending = Some(error);
                }
            });
            FAILED
        }
    }
}

/// Internal: the error of the last call that returned [`FAILED`], as a JS `Error` with `code`.
#[wasm_bindgen(js_name = _takeError, skip_typescript)]
pub fn take_error() -> JsValue {
    let error =
        PENDING_ERROR.with(|pending| pending.try_borrow_mut().ok().and_then(|mut p| p.take()));
    js_error(&error.unwrap_or_else(|| Error::request("internal: no pending error")))
}

/// The shared I/O area: strings in, catalog bytes out, `validUntil` out, and the extras of the
/// next request. JS holds views on `buffer` and `out` (see `_io`, `_out`).
struct Io {
    buffer: Vec<u8>,
    out: f64,
    extras: EntityExtras,
}

/// The buffer's initial size: a request or a catalog page of a few hundred titles.
const IO_INITIAL: usize = 16 * 1024;

thread_local! {
    // Const-initialised: no lazy-init code or check on each access. The buffers are sized by
    // the JS layer's first `_io` call, which it makes before any write.
    static IO: RefCell<Io> = const {
        RefCell::new(Io {
            buffer: Vec::new(),
            out: f64::NAN,
            extras: EntityExtras::NONE,
        })
    };
}

fn with_io<T>(f: impl FnOnce(&mut Io) -> Result<T, Error>) -> Result<T, Error> {
    IO.with(|io| {
        let mut io = io.try_borrow_mut().map_err(|_| reentrant())?;
        f(&mut io)
    })
}

/// Internal: the wasm memory, for the JS layer's views on the I/O area.
#[wasm_bindgen(js_name = _memory, skip_typescript)]
pub fn memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Internal: makes the I/O buffer hold at least `len` bytes; returns its address and size.
/// The address moves when the buffer grows, so JS calls this before a large write.
#[wasm_bindgen(js_name = _io, skip_typescript)]
pub fn io(len: u32) -> Result<Vec<u32>, JsValue> {
    with_io(|io| reserve(&mut io.buffer, len)).map_err(|e| js_error(&e))
}

#[inline(never)]
fn reserve(buffer: &mut Vec<u8>, len: u32) -> Result<Vec<u32>, Error> {
    let len = len as usize;
    if len > MAX_IO_BYTES {
        return Err(Error::request(format!(
            "{len} bytes are over the I/O limit of {MAX_IO_BYTES}"
        )));
    }
    if buffer.is_empty() || buffer.len() < len {
        buffer.resize(len.next_power_of_two().max(IO_INITIAL), 0);
    }
    Ok(vec![buffer.as_ptr() as u32, buffer.len() as u32])
}

/// The largest I/O area (a catalog page's ids): 16 MiB.
const MAX_IO_BYTES: usize = 16 << 20;

/// For wasm-bindgen tests, which drive the binding layer from Rust as `js/api.mjs` does from JS:
/// writes `bytes` into the I/O buffer at `at`.
#[doc(hidden)]
pub fn io_write(at: usize, bytes: &[u8]) -> Result<(), JsValue> {
    io((at + bytes.len()) as u32)?;
    with_io(|io| {
        io.buffer
            .get_mut(at..at + bytes.len())
            .ok_or_else(|| Error::request("out of bounds"))?
            .copy_from_slice(bytes);
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// For wasm-bindgen tests, as `js/input.mjs` does: writes `bytes` into the input area; returns
/// their length.
#[doc(hidden)]
pub fn input_write(bytes: &[u8]) -> u32 {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    input(len);
    INPUT.with(|input| {
        if let Ok(mut input) = input.try_borrow_mut() {
            if let Some(area) = input.get_mut(..bytes.len()) {
                area.copy_from_slice(bytes);
            }
        }
    });
    len
}

/// For wasm-bindgen tests: the output cell (`validUntil` of the last decision) and a copy of
/// `len` bytes of the I/O buffer from `at`.
#[doc(hidden)]
pub fn io_read(at: usize, len: usize) -> (f64, Vec<u8>) {
    IO.with(|io| {
        io.try_borrow()
            .map(|io| {
                (
                    io.out,
                    io.buffer
                        .get(at..at + len)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default(),
                )
            })
            .unwrap_or((f64::NAN, Vec::new()))
    })
}

/// Internal: the address of the output cell holding the last decision's `validUntil` (NaN = none).
#[wasm_bindgen(js_name = _out, skip_typescript)]
pub fn out() -> u32 {
    IO.with(|io| {
        io.try_borrow()
            .map(|io| &io.out as *const f64 as u32)
            .unwrap_or(0)
    })
}

/// Internal: checks a country code as the request gave it, to throw the right error.
#[wasm_bindgen(js_name = _checkCountry, skip_typescript)]
pub fn check_country(code: &str) -> Result<(), JsValue> {
    parse_country(code).map(drop).map_err(|e| js_error(&e))
}

/// Internal: sets (or clears) the next requests' `{entityType, ancestors, licenses}` from JSON.
#[wasm_bindgen(js_name = _setExtras, skip_typescript)]
pub fn set_extras(json: Option<String>) -> Result<(), JsValue> {
    let extras = match json {
        Some(text) => EntityExtras::from_json(&text).map_err(|e| js_error(&e))?,
        None => EntityExtras::default(),
    };
    with_io(|io| {
        io.extras = extras;
        Ok(())
    })
    .map_err(|e| js_error(&e))
}

/// Internal: parses an RFC 3339 request time. Throws `INVALID_REQUEST`.
#[wasm_bindgen(js_name = _parseTime, skip_typescript)]
pub fn parse_time(text: &str) -> Result<f64, JsValue> {
    match time::parse_rfc3339(text) {
        Some(ms) => Ok(ms as f64),
        None => reject(Error::request(format!(
            "now: \"{text}\" is not an RFC 3339 date-time"
        ))),
    }
}

/// The quality class of a `width` x `height` picture, by its shorter side:
/// SD below 720 lines, HD up to 1080, UHD1 up to 2160, UHD2 above. Throws `INVALID_REQUEST`
/// for negative, fractional or non-finite sizes.
#[wasm_bindgen(js_name = qualityForSize, unchecked_return_type = "Quality")]
pub fn quality_for_size(width: f64, height: f64) -> Result<JsValue, JsValue> {
    let side = |v: f64, name: &str| -> Result<u32, JsValue> {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
            Ok(v as u32)
        } else {
            reject(Error::request(format!(
                "{name}: expected a whole number of pixels"
            )))
        }
    };
    let quality = Quality::of_picture(side(width, "width")?, side(height, "height")?);
    Ok(JsValue::from_str(quality.as_str()))
}
