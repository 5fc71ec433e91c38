//! The JS/wasm protocol of a decision, whole: what `js/api.mjs` and the binding layer
//! (`src/wasm/lib.rs`) exchange, and every constant both sides must agree on. `js/api.mjs`
//! restates these constants by the same names in one block; `tests/abi.rs` fails on any
//! difference of name or value ([`SHARED_WITH_JS`]).
//!
//! # The I/O area
//! One buffer in wasm memory, sized by `_io(len)` (which returns its address and size: the
//! address moves when the buffer grows, so JS asks again before a large write), plus one `f64`
//! output cell at `_out()`. JS holds typed-array views on both, taken from `_memory()`, and
//! renews them when the memory grows (a detached view has length 0).
//! - `[0, IDS_AT)`: the device class, UTF-8 (at most [`IDS_AT`] bytes). It stays there
//!   between calls; a call says how long it is (`device_len`, or -1: no device).
//! - from [`IDS_AT`]: the entity id, UTF-8, `ids_len` bytes; for `_decide` its ancestors may
//!   follow, each as a u32 little-endian byte length and its bytes (`ancestors_len` bytes in all).
//! - `_catalog` reads `count` ids there: NUL-separated (`separated`), or each length-prefixed as
//!   above. It writes its results after the ids and returns their offset: one byte per id (the
//!   catalog byte below), or with `full`, from the next 8-aligned offset, `count` f64
//!   `validUntil`s (NaN = none) and then `count` u32 packed decisions.
//! - The output cell holds the last `_decide`'s `validUntil` in epoch ms, NaN when none.
//!
//! # The documents
//! An `Entitlement` is a JS object that keeps its source (the blob, or the dictionary's fields)
//! and a document id (a whole number below 2^53, never reused); the parsed document lives in
//! one of a bounded set of wasm-side slots (`_loadBlob` / `_loadDictionary` parse it into a
//! slot and return the slot's index; `_dropDocument` empties it). A call names the document by
//! slot and id; when the slot holds another document by then (given to a newer one), the call
//! returns [`NOT_RESIDENT`] and JS loads the source again. So wasm memory stays bounded whether
//! or not anyone calls `free()`.
//!
//! # The call
//! `Policy._decide(slot, document_id, ids_len, ancestors_len, device_len, country, now,
//! allow_persistence) -> u32`: `country` is the two character codes of an ISO 3166-1 alpha-2
//! code as `(c0 << 16) | c1`, 0 for none; `now` is epoch ms. The rare extras (`entityType`,
//! `ancestors`, `licenses`) go before the call as JSON through `_setExtras`, held until cleared.
//!
//! # What comes back
//! A packed decision, [`FAILED`] (the error waits for `_takeError`, so the hot call returns a
//! plain number instead of a `Result` the glue would allocate for), or from `_catalog`
//! [`NUL_IN_ID`] (an id holds a NUL: send the page again length-prefixed), or from either
//! [`NOT_RESIDENT`] (the document is no longer in its slot: load it again and repeat the call).
//!
//! The packed decision ([`crate::Decision::pack`], 23 bits):
//!
//! | bits | field |
//! |---|---|
//! | 0-11 ([`REASON_MASK`]) | one bit per failed check, bit i = [`crate::decide::decision::Reason::ALL`]\[i\]; 0 = allowed |
//! | 12-14 ([`MAX_QUALITY_SHIFT`]) | the maximum quality's rank (0 none, 1 SD .. 4 UHD2) |
//! | 15-16 ([`ENTITY_TYPE_SHIFT`]) | the entity-type claim (0 none, 1 movies, 2 episodes, 3 channels) |
//! | 17 ([`COUNTRY_CLAIM_BIT`]) | the `COUNTRY_<request's country>` claim |
//! | 18 ([`DOWNLOAD_CLAIM_BIT`]) | the `ENABLE_VIDEOS_DOWNLOAD` claim |
//! | 19-21 ([`QUALITY_CLAIM_SHIFT`]) | the quality claim's rank |
//! | 22 ([`PERSISTENCE_BIT`]) | `allowPersistence` |
//!
//! The catalog byte ([`crate::Decision::catalog_byte`]): the low 4 bits ([`CATALOG_CODE_MASK`])
//! are 0 when allowed, else 1 + the first failed check's index; the bits from
//! [`CATALOG_QUALITY_SHIFT`] are the maximum quality's rank.

/// What `_decide` and `_catalog` return on failure (a packed decision uses 23 bits, an offset
/// into the buffer stays below 16 MiB).
pub const FAILED: u32 = u32::MAX;
/// What `_catalog` returns when NUL-separated ids do not split into their count.
pub const NUL_IN_ID: u32 = u32::MAX - 1;
/// What `_decide` and `_catalog` return when the document's slot holds another document.
pub const NOT_RESIDENT: u32 = u32::MAX - 2;
/// Where entity ids start in the I/O buffer: the device class (at most this many bytes) comes
/// first, so it is rewritten only when it changes, not whenever an id's length does.
pub const IDS_AT: usize = 64;

/// How a `PermissionScope`'s source reads (js/scopes.mjs keeps it; the binding reads it again
/// for `explain`, `toJSON`, minting): JSON text, ...
pub const SCOPE_JSON: u32 = 0;
/// ... a `Permissions` protobuf (bytes or standard base64), ...
pub const SCOPE_PROTOBUF: u32 = 1;
/// ... or a Momento token whose scope it is.
pub const SCOPE_TOKEN: u32 = 2;

/// What `_scope` does with the scope its source holds: its summary (the super-user bit and the
/// check plan), ...
pub const SCOPE_READ: u32 = 0;
/// ... which permission allows a check, ...
pub const SCOPE_EXPLAIN: u32 = 1;
/// ... whether it allows it (a scope without a check plan), ...
pub const SCOPE_ALLOWS: u32 = 2;
/// ... or its JSON form.
pub const SCOPE_TO_JSON: u32 = 3;

/// The reasons of a packed decision: one bit per check.
pub const REASON_MASK: u32 = 0xfff;
/// Where the maximum quality's rank (3 bits) sits.
pub const MAX_QUALITY_SHIFT: u32 = 12;
/// Where the entity-type claim's rank (2 bits) sits.
pub const ENTITY_TYPE_SHIFT: u32 = 15;
/// The bit of the country claim.
pub const COUNTRY_CLAIM_BIT: u32 = 17;
/// The bit of the download claim.
pub const DOWNLOAD_CLAIM_BIT: u32 = 18;
/// Where the quality claim's rank (3 bits) sits.
pub const QUALITY_CLAIM_SHIFT: u32 = 19;
/// The bit of `allowPersistence`.
pub const PERSISTENCE_BIT: u32 = 22;
/// The code half of a catalog byte.
pub const CATALOG_CODE_MASK: u8 = 15;
/// Where a catalog byte's maximum quality rank sits.
pub const CATALOG_QUALITY_SHIFT: u32 = 4;

/// Every constant `js/api.mjs` restates, by its name there, with its value here. The bounds
/// of caller JSON are checked in JS while the value is written, with the core's numbers.
pub const SHARED_WITH_JS: &[(&str, u64)] = &[
    ("FAILED", FAILED as u64),
    ("NUL_IN_ID", NUL_IN_ID as u64),
    ("NOT_RESIDENT", NOT_RESIDENT as u64),
    ("SCOPE_JSON", SCOPE_JSON as u64),
    ("SCOPE_PROTOBUF", SCOPE_PROTOBUF as u64),
    ("SCOPE_TOKEN", SCOPE_TOKEN as u64),
    ("SCOPE_READ", SCOPE_READ as u64),
    ("SCOPE_EXPLAIN", SCOPE_EXPLAIN as u64),
    ("SCOPE_ALLOWS", SCOPE_ALLOWS as u64),
    ("SCOPE_TO_JSON", SCOPE_TO_JSON as u64),
    ("IDS_AT", IDS_AT as u64),
    ("REASON_MASK", REASON_MASK as u64),
    ("MAX_QUALITY_SHIFT", MAX_QUALITY_SHIFT as u64),
    ("ENTITY_TYPE_SHIFT", ENTITY_TYPE_SHIFT as u64),
    ("COUNTRY_CLAIM_BIT", COUNTRY_CLAIM_BIT as u64),
    ("DOWNLOAD_CLAIM_BIT", DOWNLOAD_CLAIM_BIT as u64),
    ("QUALITY_CLAIM_SHIFT", QUALITY_CLAIM_SHIFT as u64),
    ("PERSISTENCE_BIT", PERSISTENCE_BIT as u64),
    ("CATALOG_CODE_MASK", CATALOG_CODE_MASK as u64),
    ("CATALOG_QUALITY_SHIFT", CATALOG_QUALITY_SHIFT as u64),
    ("MAX_DEPTH", crate::wire::json::MAX_DEPTH as u64),
    ("MAX_LIST_ITEMS", crate::wire::json::MAX_LIST_ITEMS as u64),
    ("MAX_JSON_BYTES", crate::wire::json::MAX_JSON_BYTES as u64),
    (
        "MAX_DOCUMENT_LIMIT",
        crate::decide::entitlement::MAX_DOCUMENT_BYTES_LIMIT as u64,
    ),
    (
        "DEFAULT_DOCUMENT_LIMIT",
        crate::decide::entitlement::DEFAULT_MAX_DOCUMENT_BYTES as u64,
    ),
];
