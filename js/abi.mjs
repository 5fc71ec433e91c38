// The JS side of the JS/wasm protocol (src/abi.rs is the whole protocol, on one page): the
// tables a packed decision indexes and the constants both sides use. Owns no state.

/** Every decision code, in check order (bit i of a packed decision). */
export const DECISION_CODES = Object.freeze([
  'ENTITLEMENT_NOT_YET_VALID', 'ENTITLEMENT_EXPIRED', 'COUNTRY_UNKNOWN', 'LICENSE_NOT_FOUND',
  'LICENSE_IS_NOT_VALID', 'CONTENT_NOT_ALLOWED', 'SUBSCRIPTION_NOT_ACTIVE', 'NO_CLAIMS',
  'ENTITY_TYPE_NOT_ALLOWED', 'PERSISTENCE_NOT_ALLOWED', 'COUNTRY_NOT_ALLOWED', 'DEVICE_NOT_ALLOWED',
]);
export const QUALITIES = [null, 'SD', 'HD', 'UHD1', 'UHD2'];
export const TYPE_CLAIMS = [null, 'ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES', 'ENTITY_TYPE_CHANNELS'];
export const QUALITY_CLAIMS = [null, 'QUALITY_SD', 'QUALITY_HD', 'QUALITY_UHD1', 'QUALITY_UHD2'];

// ---- the ABI: src/abi.rs states each of these (its doc is the whole protocol); tests/abi.rs
// fails on any difference of name or value between this block and that file.
export const FAILED = 0xffffffff; // _decide, _catalog: the error waits in _takeError
export const NUL_IN_ID = 0xfffffffe; // _catalog: an id holds a NUL, send the page length-prefixed
export const NOT_RESIDENT = 0xfffffffd; // _decide, _catalog: the document left its slot, load it again
export const SCOPE_JSON = 0; // a PermissionScope's source: JSON text,
export const SCOPE_PROTOBUF = 1; // a Permissions protobuf (bytes or base64),
export const SCOPE_TOKEN = 2; // or the Momento token it came in
export const SCOPE_READ = 0; // _scope: the summary ('1' super user or '0', then the check plan),
export const SCOPE_EXPLAIN = 1; // an explanation,
export const SCOPE_ALLOWS = 2; // a check (a scope without a plan),
export const SCOPE_TO_JSON = 3; // or the JSON form
export const IDS_AT = 64; // the device class sits at the start of the I/O buffer, ids from here
export const REASON_MASK = 0xfff; // a packed decision's reasons, bit i = DECISION_CODES[i]
export const MAX_QUALITY_SHIFT = 12;
export const ENTITY_TYPE_SHIFT = 15;
export const COUNTRY_CLAIM_BIT = 17;
export const DOWNLOAD_CLAIM_BIT = 18;
export const QUALITY_CLAIM_SHIFT = 19;
export const PERSISTENCE_BIT = 22;
export const CATALOG_CODE_MASK = 15; // a catalog byte: 0 allowed, else 1 + the first failed check
export const CATALOG_QUALITY_SHIFT = 4;
// Bounds of src/wire/json.rs and src/decide/entitlement.rs, checked while caller data is written as JSON,
// so that deep, cyclic, huge or long values fail here, with a code.
export const MAX_DEPTH = 64;
export const MAX_LIST_ITEMS = 65536;
export const MAX_JSON_BYTES = 1 << 20;
export const MAX_DOCUMENT_LIMIT = 64 << 20;
export const DEFAULT_DOCUMENT_LIMIT = 1 << 20;
// ---- end of the ABI
