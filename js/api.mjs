// playgate's thin JS layer, shared by every entry point (web, node, bundler).
//
// It does three things the wasm-bindgen glue cannot do cheaply or safely:
// 1. checks argument types before they reach wasm (the release glue does not: a number where a
//    string is expected traps inside wasm), turning mistakes into Errors with a stable `code`;
// 2. moves the request without allocating: the entity id and device are written as bytes into
//    an I/O buffer in wasm memory (ASCII by a plain loop, anything else by TextEncoder), the
//    country travels as two character codes in one number, so a decision is one call of numbers;
// 3. builds the decision object from the packed u32 and static string tables.
// The bit layout is Decision::pack in src/decision.rs; the I/O area is described in src/wasm/lib.rs
// (`Io`, `_io`, `IDS_AT`).

/** Every decision code, in check order (bit i of a packed decision). */
const DECISION_CODES = Object.freeze([
  'ENTITLEMENT_NOT_YET_VALID', 'ENTITLEMENT_EXPIRED', 'COUNTRY_UNKNOWN', 'LICENSE_NOT_FOUND',
  'LICENSE_IS_NOT_VALID', 'CONTENT_NOT_ALLOWED', 'SUBSCRIPTION_NOT_ACTIVE', 'NO_CLAIMS',
  'ENTITY_TYPE_NOT_ALLOWED', 'PERSISTENCE_NOT_ALLOWED', 'COUNTRY_NOT_ALLOWED', 'DEVICE_NOT_ALLOWED',
]);
export { DECISION_CODES };
const QUALITIES = [null, 'SD', 'HD', 'UHD1', 'UHD2'];
const TYPE_CLAIMS = [null, 'ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES', 'ENTITY_TYPE_CHANNELS'];
const QUALITY_CLAIMS = [null, 'QUALITY_SD', 'QUALITY_HD', 'QUALITY_UHD1', 'QUALITY_UHD2'];

// ---- the ABI: src/abi.rs states each of these (its doc is the whole protocol); tests/abi.rs
// fails on any difference of name or value between this block and that file.
const FAILED = 0xffffffff; // _decide, _catalog: the error waits in _takeError
const NUL_IN_ID = 0xfffffffe; // _catalog: an id holds a NUL, send the page length-prefixed
const IDS_AT = 64; // the device class sits at the start of the I/O buffer, ids from here
const REASON_MASK = 0xfff; // a packed decision's reasons, bit i = DECISION_CODES[i]
const MAX_QUALITY_SHIFT = 12;
const ENTITY_TYPE_SHIFT = 15;
const COUNTRY_CLAIM_BIT = 17;
const DOWNLOAD_CLAIM_BIT = 18;
const QUALITY_CLAIM_SHIFT = 19;
const PERSISTENCE_BIT = 22;
const CATALOG_CODE_MASK = 15; // a catalog byte: 0 allowed, else 1 + the first failed check
const CATALOG_QUALITY_SHIFT = 4;
// Bounds of src/wire/json.rs and src/entitlement.rs, checked while caller data is written as JSON,
// so that deep, cyclic, huge or long values fail here, with a code.
const MAX_DEPTH = 64;
const MAX_LIST_ITEMS = 65536;
const MAX_JSON_BYTES = 1 << 20;
const MAX_DOCUMENT_LIMIT = 64 << 20;
// ---- end of the ABI

const DEVICE_UNITS = IDS_AT; // the longest device class in UTF-16 units (then checked in bytes)
const COUNTRY_CLAIM = 1 << COUNTRY_CLAIM_BIT;
const DOWNLOAD_CLAIM = 1 << DOWNLOAD_CLAIM_BIT;
const PERSISTENCE = 1 << PERSISTENCE_BIT;

function fail(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/**
 * `error` as a coded Error: a caller's getter or Proxy trap that throws, a stack overflow, a
 * TypeError from a value the checks let through all become `code`, with the original as
 * `cause`. A wasm trap is left as it is: that is a bug of ours, never to be disguised.
 */
function coded(error, code, what) {
  if (isA(error, Error) && typeof error.code === 'string' && error.code !== '') return error;
  if (typeof WebAssembly !== 'undefined' && isA(error, WebAssembly.RuntimeError)) return error;
  let detail;
  try {
    detail = isA(error, Error) ? error.message : `threw ${String(error)}`;
  } catch {
    detail = `threw a ${typeof error}`;
  }
  const wrapped = fail(code, `${what}: could not be read: ${detail}`);
  wrapped.cause = error;
  return wrapped;
}

const MAX_JSON_UNITS = MAX_JSON_BYTES; // UTF-16 units: over this, the UTF-8 text is over the bytes too

/** Whether `value` is plain JSON data (an object literal, `Object.create(null)`, or one from another realm). */
function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/**
 * JSON text of caller data, strictly, where `JSON.stringify` would quietly change its meaning:
 * NaN and ±Infinity (written `null`, which reads as "absent": a license `end: NaN` was "no end"),
 * a Date whose time is NaN (also `null`), `undefined` or a hole in an array (`null`), a Map, Set
 * or class instance (`{}`) are errors naming the field; a BigInt, a Symbol or a function too. A
 * valid Date is its epoch milliseconds. Object properties that are `undefined` are absent, as
 * everywhere in the API. With `selectors`, the Momento SDK's sentinel Symbols (AllCaches,
 * AllTopics, AllCacheItems, AllFunctions) in a selector position are `{}` ("all"). Throws `code`.
 */
function strictJson(value, code, what, selectors = false) {
  let text = '';
  const put = (part) => {
    text += part;
    if (text.length > MAX_JSON_UNITS) throw fail(code, `${what}: over ${MAX_JSON_UNITS} bytes as JSON`);
  };
  const walk = (v, depth, path, key) => {
    switch (typeof v) {
      case 'string': return put(JSON.stringify(v));
      case 'boolean': return put(v ? 'true' : 'false');
      case 'number':
        if (!Number.isFinite(v)) throw fail(code, `${path}: ${v} is not a finite number`);
        return put(JSON.stringify(v));
      case 'symbol':
        // The SDK's sentinels are `Symbol()`: one with a description is some other value.
        if (selectors && SELECTORS.has(key) && v.description === undefined) return put('{}');
        throw fail(code, `${path}: a Symbol is not JSON data (only the SDK's AllCaches, AllTopics, AllCacheItems, AllFunctions stand for "all")`);
      case 'bigint': throw fail(code, `${path}: a BigInt is not a JSON number (pass a Number)`);
      case 'undefined': throw fail(code, `${path}: undefined (or a hole) where a value is expected`);
      case 'function': throw fail(code, `${path}: a function is not JSON data`);
      default:
    }
    if (v === null) return put('null');
    if (depth >= MAX_DEPTH) throw fail(code, `${path}: nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(v)) {
      const n = v.length;
      if (n > MAX_LIST_ITEMS) throw fail(code, `${path}: more than ${MAX_LIST_ITEMS} items`);
      put('[');
      for (let i = 0; i < n; i++) {
        if (i > 0) put(',');
        walk(v[i], depth + 1, `${path}[${i}]`, null);
      }
      return put(']');
    }
    if (v instanceof Date) {
      const time = Date.prototype.getTime.call(v);
      if (Number.isNaN(time)) throw fail(code, `${path}: an invalid Date`);
      return put(String(time));
    }
    if (!isPlainObject(v)) throw fail(code, `${path}: expected plain JSON data (an object, array, string, number, boolean or null)`);
    put('{');
    let first = true;
    for (const k of Object.keys(v)) {
      const item = v[k];
      if (item === undefined) continue;
      if (!first) put(',');
      first = false;
      put(JSON.stringify(k));
      put(':');
      walk(item, depth + 1, path === '' ? k : `${path}.${k}`, k);
    }
    return put('}');
  };
  try {
    walk(value, 0, '', null);
  } catch (error) {
    throw coded(error, code, what);
  }
  return text;
}

/** A JSON input: text (within the size limit, checked before it is copied into wasm) or data. */
function jsonInput(value, code, what, selectors = false) {
  if (typeof value === 'string') {
    if (value.length > MAX_JSON_UNITS) throw fail(code, `${what}: over the limit of ${MAX_JSON_UNITS} bytes`);
    return value;
  }
  if (value !== null && typeof value === 'object') return strictJson(value, code, what, selectors);
  throw fail(code, `${what}: expected an object or JSON text`);
}

/**
 * Takes a generated class's internal methods (`_decide`, `_verify`...: one underscore) off its
 * prototype, so that only the JS layer can call them (with arguments it has checked), and
 * returns them. A missing class (a module built without it) has none.
 */
function internals(Class) {
  const taken = {};
  if (!Class) return taken;
  for (const key of Object.getOwnPropertyNames(Class.prototype)) {
    if (key.startsWith('_') && !key.startsWith('__')) {
      taken[key] = Class.prototype[key];
      delete Class.prototype[key];
    }
  }
  return taken;
}

/**
 * Makes the generated methods and getters of `Class` that the JS layer does not replace check
 * their receiver: `Policy.prototype.free.call(entitlement)` would free an Entitlement as a Policy
 * (wasm-bindgen's glue only reads `__wbg_ptr`). `free` on a freed handle stays a no-op.
 */
function guardReceivers(Class, code) {
  if (!Class) return;
  const proto = Class.prototype;
  const what = Class.name;
  const check = (self, live) => {
    if (!isA(self, Class)) throw fail(code, `expected a ${what}`);
    if (live && !(self.__wbg_ptr > 0)) throw fail(code, `this ${what} was freed (or is not a handle)`);
  };
  const generatedFree = proto.free;
  const guardedFree = function free() {
    check(this, false);
    if (this.__wbg_ptr > 0) generatedFree.call(this); // freeing twice is a no-op
  };
  for (const key of Reflect.ownKeys(proto)) {
    if (key === 'constructor' || (typeof key === 'string' && key.startsWith('__'))) continue;
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d.value === generatedFree) {
      Object.defineProperty(proto, key, { ...d, value: guardedFree });
    } else if (typeof d.value === 'function') {
      const method = d.value;
      Object.defineProperty(proto, key, { ...d, value: function guarded(...args) { check(this, true); return method.apply(this, args); } });
    } else if (d.get) {
      const get = d.get;
      Object.defineProperty(proto, key, { ...d, get() { check(this, true); return get.call(this); } });
    }
  }
}

// Where a scope keeps its check plan (a symbol: nothing underscored on the public surface).
const PLAN = Symbol('playgate.checkPlan');

// Selector positions in a Momento scope (the SDK's sentinels stand there for "all").
const SELECTORS = new Set(['cache', 'topic', 'item', 'func']);

/**
 * Decisions for a catalog page: one byte per title (see CatalogDecisions in the .d.ts).
 * `entityIds` is the page as decided, a frozen copy: the caller's array may change afterwards.
 */
class CatalogDecisions {
  constructor(entityIds, bytes) {
    this.entityIds = entityIds;
    this.bytes = bytes;
    this.length = bytes.length;
    Object.freeze(this);
  }
  allowed(i) { return (byteAt(this, i) & CATALOG_CODE_MASK) === 0; }
  code(i) { const c = byteAt(this, i) & CATALOG_CODE_MASK; return c === 0 ? null : DECISION_CODES[c - 1]; }
  maxQuality(i) { return QUALITIES[byteAt(this, i) >> CATALOG_QUALITY_SHIFT] ?? null; }
  allowedIds() {
    if (!isA(this, CatalogDecisions)) throw fail('INVALID_REQUEST', 'expected a CatalogDecisions');
    return this.entityIds.filter((_, i) => (this.bytes[i] & CATALOG_CODE_MASK) === 0);
  }
}

/** `value instanceof Class`, false where asking throws (a Proxy whose getPrototypeOf trap throws). */
function isA(value, Class) {
  try {
    return value instanceof Class;
  } catch {
    return false;
  }
}

/** The byte of title `i`: an index outside the page (or a foreign receiver) must not read as "allowed". */
function byteAt(page, i) {
  if (!isA(page, CatalogDecisions)) throw fail('INVALID_REQUEST', 'expected a CatalogDecisions');
  const { bytes } = page;
  if (Number.isInteger(i) && i >= 0 && i < bytes.length) return bytes[i];
  throw fail('INVALID_REQUEST', `index: expected a whole number from 0 to ${page.length - 1}`);
}

function optionalString(value, name) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw fail('INVALID_REQUEST', `${name}: expected a string`);
  return value;
}

/** A request's `now`: epoch ms, an RFC 3339 string (parsed by `raw`'s wasm) or a Date; absent is the clock. */
function readNow(now, raw) {
  if (now === undefined || now === null) return Date.now();
  if (typeof now === 'number') {
    if (!Number.isFinite(now)) throw fail('INVALID_REQUEST', 'now: expected finite epoch milliseconds');
    return now;
  }
  if (typeof now === 'string') {
    if (now.length > 256) throw fail('INVALID_REQUEST', 'now: not an RFC 3339 date-time (over 256 characters)');
    return raw._parseTime(now);
  }
  if (now instanceof Date) {
    const t = Date.prototype.getTime.call(now);
    if (Number.isNaN(t)) throw fail('INVALID_REQUEST', 'now: invalid Date');
    return t;
  }
  throw fail('INVALID_REQUEST', 'now: expected epoch milliseconds, an RFC 3339 string or a Date');
}

// What `install` returned for each module (keyed by its Policy class): installing is once.
const installed = new WeakMap();

/**
 * Adds the public decision API to the generated classes of one wasm-bindgen module. Returns the
 * checked functions an entry exports in place of the generated ones (`qualityForSize`).
 */
export function install(raw) {
  const { Policy, Entitlement } = raw;
  if (installed.has(Policy)) return installed.get(Policy);
  // The internal methods leave the prototypes; the generated ones left check their receiver
  // (the methods defined below check theirs).
  const { _decide, _catalog } = internals(Policy);
  guardReceivers(Policy, 'INVALID_POLICY');
  guardReceivers(Entitlement, 'INVALID_ENTITLEMENT');
  const encoder = new TextEncoder();
  let memory = null; // the wasm memory: asked for on first use (web targets init after import)
  let io = null; // Uint8Array view on the I/O buffer (renewed when the buffer or memory grows)
  let out = null; // Float64Array view on the output cell (validUntil)
  let idInBuffer; // the entity id the buffer holds from IDS_AT (skip rewriting it)
  let idInBufferLen = 0;
  let deviceInBuffer; // the device class the buffer holds from offset 0 (undefined: unknown)
  let deviceInBufferLen = -1;
  // Whether wasm may hold request extras. Its I/O state starts with none (EntityExtras::NONE in
  // src/wasm/lib.rs), so the first decision makes no `_setExtras` call (nor compiles it).
  let extrasSent = false;
  // The catalog page whose ids the buffer holds from IDS_AT (a copy), and their byte length:
  // re-deciding the same page (new time, new document) skips writing the ids again.
  let pageIds = null;
  let pageBytes = 0;
  let pageSeparated = true; // whether the page's ids are NUL-joined (else length-prefixed)

  /** A view on at least `len` bytes of the I/O buffer (a view detached by memory growth has length 0). */
  function ioView(len) {
    // length 0: the memory grew (in any call into wasm) and detached the view.
    if (io === null || io.length < len || io.length === 0) {
      if (memory === null) memory = raw._memory();
      const [ptr, size] = raw._io(len);
      io = new Uint8Array(memory.buffer, ptr, size);
      out = new Float64Array(memory.buffer, raw._out(), 1);
    }
    return io;
  }

  /** Writes `text` as UTF-8 at `at`; returns the number of bytes written. */
  function writeText(text, at) {
    let view = ioView(at + text.length);
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        view = ioView(at + 3 * n); // UTF-16 -> UTF-8 is at most 3 bytes per code unit
        return encoder.encodeInto(text, view.subarray(at)).written;
      }
      view[at + i] = c;
    }
    return n;
  }

  /** The country as two UTF-16 code units in one number; 0 = none. Throws for a bad shape. */
  function countryCode(country) {
    if (country === null) return 0;
    if (country.length !== 2) raw._checkCountry(country); // throws the coded error
    return (country.charCodeAt(0) << 16) | country.charCodeAt(1);
  }

  function checkEntitlement(ent) {
    if (!(ent instanceof Entitlement)) {
      throw fail('INVALID_ENTITLEMENT', 'entitlement: expected an Entitlement (Entitlement.fromBlob or fromDictionary)');
    }
    if (!(ent.__wbg_ptr > 0)) throw fail('INVALID_ENTITLEMENT', 'entitlement: this Entitlement was freed');
  }

  function readPersistence(value) {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw fail('INVALID_REQUEST', 'allowPersistence: expected a boolean');
    return value;
  }

  /** Writes `ids` from `at`, each as a u32 byte length (little-endian) and its UTF-8 bytes; returns the end. */
  function writeIds(ids, at, name) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'string') throw fail('INVALID_REQUEST', `${name}[${i}]: expected a string`);
      const n = writeText(id, at + 4);
      const view = io; // writeText left a view covering at + 4 + n
      view[at] = n & 0xff;
      view[at + 1] = (n >>> 8) & 0xff;
      view[at + 2] = (n >>> 16) & 0xff;
      view[at + 3] = n >>> 24;
      at += 4 + n;
    }
    return at;
  }

  /** Writes the device at the start of the buffer unless it is there already; returns its byte length, or -1. */
  function writeDevice(device) {
    device = optionalString(device, 'device');
    if (device === deviceInBuffer) return deviceInBufferLen;
    if (device === null) return -1;
    if (device.length > DEVICE_UNITS) throw fail('INVALID_REQUEST', `device: longer than ${DEVICE_UNITS} characters`);
    const n = writeText(device, 0);
    if (n > IDS_AT) {
      idInBuffer = undefined; // the long device ran over the ids
      pageIds = null;
      deviceInBuffer = undefined;
      throw fail('INVALID_REQUEST', `device: longer than ${IDS_AT} bytes`);
    }
    deviceInBuffer = device;
    deviceInBufferLen = n;
    return n;
  }

  /** The decision object for packed `bits` (Decision::pack) and `until` (NaN = none). */
  function build(bits, country, until) {
    const validUntil = until === until ? until : null;
    if ((bits & REASON_MASK) === 0) {
      const claims = [];
      const type = (bits >>> ENTITY_TYPE_SHIFT) & 3;
      if (type !== 0) claims.push(TYPE_CLAIMS[type]);
      if (bits & COUNTRY_CLAIM) claims.push('COUNTRY_' + country.toUpperCase());
      if (bits & DOWNLOAD_CLAIM) claims.push('ENABLE_VIDEOS_DOWNLOAD');
      const quality = (bits >>> QUALITY_CLAIM_SHIFT) & 7;
      if (quality !== 0) claims.push(QUALITY_CLAIMS[quality]);
      return {
        allowed: true, code: null, reasons: [], claims,
        maxQuality: QUALITIES[(bits >>> MAX_QUALITY_SHIFT) & 7], allowPersistence: (bits & PERSISTENCE) !== 0, validUntil,
      };
    }
    const reasons = [];
    for (let i = 0; i < DECISION_CODES.length; i++) if (bits & (1 << i)) reasons.push(DECISION_CODES[i]);
    return {
      allowed: false, code: reasons[0], reasons, claims: [],
      maxQuality: null, allowPersistence: false, validUntil,
    };
  }

  function checkPolicy(policy) {
    // Plain instanceof: every caller is inside a try that codes what a Proxy's trap throws.
    if (!(policy instanceof Policy) || !(policy.__wbg_ptr > 0)) {
      throw fail('INVALID_POLICY', 'policy: expected a live Policy (Policy.fromJson or new Policy)');
    }
  }

  function evaluate(policy, ent, request) {
    if (request === null || typeof request !== 'object') throw fail('INVALID_REQUEST', 'request: expected an object');
    // Each field is read once (a getter is asked once; what is checked is what is decided).
    // (One function: split in two, the call measured 10% of a decision.)
    const { entityId: id, country: countryField, device, now, allowPersistence, entityType, ancestors, licenses } = request;
    if (typeof id !== 'string' || id.length === 0) throw fail('INVALID_REQUEST', 'entityId: expected a non-empty string');
    const country = optionalString(countryField, 'country');
    const code = countryCode(country);
    let idLen;
    if (id === idInBuffer) {
      idLen = idInBufferLen;
    } else {
      idLen = writeText(id, IDS_AT);
      idInBuffer = id;
      idInBufferLen = idLen;
      pageIds = null;
    }
    const deviceLen = writeDevice(device);
    let ancestorsLen = 0;
    if (entityType != null || licenses != null || (ancestors != null && !Array.isArray(ancestors))) {
      // Rare: sent as JSON every time (arrays may have been mutated since the last call), written
      // strictly: a NaN or an invalid Date in a license must be an error, not an absent end.
      raw._setExtras(strictJson({ entityType, ancestors, licenses }, 'INVALID_REQUEST', 'request'));
      extrasSent = true;
    } else {
      if (extrasSent) {
        raw._setExtras(undefined);
        extrasSent = false;
      }
      // Ancestors (season, series) go into the buffer after the id, packed like catalog ids.
      if (ancestors != null) ancestorsLen = writeIds(ancestors, IDS_AT + idLen, 'ancestors') - (IDS_AT + idLen);
    }
    const bits = _decide.call(policy, ent, idLen, ancestorsLen, deviceLen, code, readNow(now, raw), readPersistence(allowPersistence));
    if (bits === FAILED) throw raw._takeError();
    if (out.length === 0) out = new Float64Array(memory.buffer, raw._out(), 1); // memory grew: a detached view
    return build(bits, country, out[0]);
  }


  // A batch's requests are read once, field by field, into one flat array (REQUEST_FIELDS slots
  // each): the shared-context test and either way of deciding then use what was read.
  const REQUEST_FIELDS = 8;

  function readBatch(requests, n) {
    const fields = new Array(n * REQUEST_FIELDS);
    for (let i = 0; i < n; i++) {
      const r = requests[i];
      if (r === null || typeof r !== 'object') throw fail('INVALID_REQUEST', `requests[${i}]: request: expected an object`);
      let at = i * REQUEST_FIELDS;
      try {
        const { entityId, country, device, now, allowPersistence, entityType, ancestors, licenses } = r;
        fields[at++] = entityId; fields[at++] = country; fields[at++] = device; fields[at++] = now;
        fields[at++] = allowPersistence; fields[at++] = entityType; fields[at++] = ancestors; fields[at] = licenses;
      } catch (error) {
        const e = coded(error, 'INVALID_REQUEST', 'request');
        e.message = `requests[${i}]: ${e.message}`;
        throw e;
      }
    }
    return fields;
  }

  function evaluateMany(policy, ent, requests) {
    if (!Array.isArray(requests)) throw fail('INVALID_REQUEST', 'requests: expected an array');
    const n = requests.length;
    const fields = readBatch(requests, n);
    if (n > 1) {
      const shared = evaluateShared(policy, ent, fields, n);
      if (shared !== null) return shared;
    }
    const decisions = new Array(n);
    for (let i = 0, at = 0; i < n; i++, at += REQUEST_FIELDS) {
      try {
        // A plain copy of what was read: reading it again runs no caller code.
        decisions[i] = evaluate(policy, ent, {
          entityId: fields[at], country: fields[at + 1], device: fields[at + 2], now: fields[at + 3],
          allowPersistence: fields[at + 4], entityType: fields[at + 5], ancestors: fields[at + 6], licenses: fields[at + 7],
        });
      } catch (error) {
        const e = coded(error, 'INVALID_REQUEST', 'request');
        if (typeof e.code === 'string') e.message = `requests[${i}]: ${e.message}`;
        throw e;
      }
    }
    return decisions;
  }

  /** Writes `ids` joined by NUL at IDS_AT with one native encodeInto; returns the byte count. */
  function writeJoined(ids) {
    const text = ids.join('\0');
    let view = ioView(IDS_AT + text.length);
    let { read, written } = encoder.encodeInto(text, view.subarray(IDS_AT));
    if (read < text.length) {
      view = ioView(IDS_AT + 3 * text.length);
      ({ written } = encoder.encodeInto(text, view.subarray(IDS_AT)));
    }
    return written;
  }

  /**
   * evaluateMany's fast form, for requests that share one context (country, device, now,
   * allowPersistence, no entityType, ancestors or licenses: a page of titles): the ids cross
   * once, like a catalog page, and wasm writes whole decisions. Returns null when the requests
   * do not share a context or anything is unusual; the caller then decides them one by one,
   * which also gives the exact `requests[i]` error.
   */
  function evaluateShared(policy, ent, fields, n) {
    const country = fields[1];
    const device = fields[2];
    const now = fields[3];
    const allowPersistence = fields[4];
    const ids = new Array(n);
    for (let i = 0, at = 0; i < n; i++, at += REQUEST_FIELDS) {
      const id = fields[at];
      if (typeof id !== 'string' || id.length === 0
        || fields[at + 1] !== country || fields[at + 2] !== device || fields[at + 3] !== now
        || fields[at + 4] !== allowPersistence || fields[at + 5] != null || fields[at + 6] != null
        || fields[at + 7] != null) return null;
      ids[i] = id;
    }
    let code, deviceLen;
    try {
      code = countryCode(optionalString(country, 'country'));
      deviceLen = writeDevice(device);
    } catch {
      return null;
    }
    // One Date.now() for the batch when the requests carry no `now`: decided at one instant.
    const when = now === undefined || now === null ? Date.now() : now;
    if (typeof when !== 'number' || !Number.isFinite(when) || (allowPersistence != null && typeof allowPersistence !== 'boolean')) return null;
    idInBuffer = undefined;
    pageIds = null;
    const written = writeJoined(ids);
    ioView(IDS_AT + written + 8 + 12 * n);
    const offset = _catalog.call(policy, ent, written, n, deviceLen, code, when, allowPersistence === true, true, true);
    if (offset === FAILED) {
      raw._takeError(); // decided again one by one, for the exact error
      return null;
    }
    if (offset === NUL_IN_ID) return null;
    const base = ioView(0).byteOffset + offset;
    const untils = new Float64Array(memory.buffer, base, n);
    const packed = new Uint32Array(memory.buffer, base + 8 * n, n);
    const decisions = new Array(n);
    for (let i = 0; i < n; i++) decisions[i] = build(packed[i], country, untils[i]);
    return decisions;
  }

  // ---- documents and policies ----

  /** `{ maxBytes }` read once into a fresh object wasm can read without running caller code. */
  function documentOptions(options) {
    if (options === undefined || options === null) return undefined;
    if (typeof options !== 'object') throw fail('INVALID_ENTITLEMENT', 'options: expected { maxBytes? }');
    const { maxBytes } = options;
    if (maxBytes === undefined || maxBytes === null) return undefined;
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_DOCUMENT_LIMIT) {
      throw fail('INVALID_ENTITLEMENT', `maxBytes: expected a whole number of bytes from 1 to ${MAX_DOCUMENT_LIMIT}`);
    }
    return { maxBytes };
  }

  const fromBlob = Entitlement.fromBlob;
  Entitlement.fromBlob = function fromBlobChecked(blob, options) {
    try {
      const limits = documentOptions(options);
      if (blob instanceof ArrayBuffer) {
        try {
          blob = new Uint8Array(blob);
        } catch {
          throw fail('INVALID_ENTITLEMENT', 'blob: a detached ArrayBuffer (its bytes were transferred)');
        }
      }
      return fromBlob.call(Entitlement, blob, limits);
    } catch (error) {
      throw coded(error, 'INVALID_ENTITLEMENT', 'blob');
    }
  };

  // The Momento SDK's dictionary responses (dictionaryFetch, dictionaryGetFields) as well as
  // records and Maps: a Hit gives its fields, a Miss means the user has no document, an Error
  // is the cache's failure. Told apart by the SDK's own `type` tag, so no SDK import is needed.
  // The fields are copied into a Map here, once, so wasm never runs a caller's getter.
  const fromDictionary = Entitlement.fromDictionary;
  Entitlement.fromDictionary = function fromDictionaryChecked(fields, options) {
    try {
      const limits = documentOptions(options);
      if (fields !== null && typeof fields === 'object' && !(fields instanceof Map) && typeof fields.type === 'string'
          && (typeof fields.valueRecord === 'function' || typeof fields.errorCode === 'function' || fields.type === 'Miss')) {
        if (fields.type === 'Hit' && typeof fields.valueRecord === 'function') fields = fields.valueRecord();
        else if (fields.type === 'Miss') throw fail('ENTITLEMENT_MISSING', 'dictionary: the cache has no such dictionary (Miss)');
        else if (fields.type === 'Error') {
          const detail = typeof fields.message === 'function' ? fields.message() : String(fields);
          throw fail('ENTITLEMENT_UNAVAILABLE', `dictionary: the cache answered an error: ${detail}`);
        } else throw fail('INVALID_ENTITLEMENT', `dictionary: a "${fields.type}" response is not a dictionary`);
      }
      // Only a Map or a plain record: a Date, a Set, a typed array or a class instance has no
      // own fields and would read as an empty, unrestricted document.
      let entries;
      if (fields instanceof Map) entries = fields;
      else if (fields !== null && typeof fields === 'object' && !Array.isArray(fields) && isPlainObject(fields)) entries = Object.entries(fields);
      else throw fail('INVALID_ENTITLEMENT', 'dictionary: expected a record or a Map of string fields');
      return fromDictionary.call(Entitlement, new Map(entries), limits);
    } catch (error) {
      throw coded(error, 'INVALID_ENTITLEMENT', 'dictionary');
    }
  };

  const policyFromJson = Policy.fromJson;
  Policy.fromJson = function fromJsonChecked(value) {
    return policyFromJson.call(Policy, jsonInput(value, 'INVALID_POLICY', 'policy'));
  };

  // Functions the entries export in place of the generated ones (an ES module namespace
  // cannot be patched): the glue would turn a BigInt or a Symbol into a TypeError without code.
  const rawQuality = raw.qualityForSize;
  const checkedExports = {
    qualityForSize(width, height) {
      if (typeof width !== 'number' || typeof height !== 'number') {
        throw fail('INVALID_REQUEST', 'qualityForSize(width, height): expected two numbers of pixels');
      }
      return rawQuality(width, height);
    },
  };

  Object.defineProperties(Policy.prototype, {
    evaluate: {
      value(ent, request) {
        try {
          checkPolicy(this);
          checkEntitlement(ent);
          return evaluate(this, ent, request);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'request');
        }
      },
    },
    evaluateMany: {
      value(ent, requests) {
        try {
          checkPolicy(this);
          checkEntitlement(ent);
          return evaluateMany(this, ent, requests);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'requests');
        }
      },
    },
    evaluateCatalog: {
      value(ent, entityIds, context = {}) {
        try {
          checkPolicy(this);
          checkEntitlement(ent);
          return evaluateCatalog(this, ent, entityIds, context);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'entityIds');
        }
      },
    },
  });

  function evaluateCatalog(policy, ent, entityIds, context) {
    if (!Array.isArray(entityIds)) throw fail('INVALID_REQUEST', 'entityIds: expected an array of strings');
    if (context === null || typeof context !== 'object') throw fail('INVALID_REQUEST', 'context: expected an object');
    const n = entityIds.length;
    // The page as decided: each id read once into a copy, frozen, which the result keeps (the
    // caller's array may change afterwards; the buffer's page must not change under it).
    const ids = new Array(n);
    let samePage = pageIds !== null && pageIds.length === n;
    for (let i = 0; i < n; i++) {
      const id = entityIds[i];
      if (typeof id !== 'string' || id.length === 0) {
        throw fail('INVALID_REQUEST', `entityIds[${i}]: expected a non-empty string`);
      }
      ids[i] = id;
      if (samePage && pageIds[i] !== id) samePage = false;
    }
    const { country: contextCountry, device, now: contextNow, allowPersistence } = context;
    const country = optionalString(contextCountry, 'country');
    const code = countryCode(country);
    // The device first, then the ids (NUL-joined, or each a u32 length and its UTF-8 bytes),
    // then one result byte per id.
    const deviceLen = writeDevice(device);
    let at = IDS_AT;
    const now = readNow(contextNow, raw);
    const persistence = readPersistence(allowPersistence);
    idInBuffer = undefined;
    if (samePage) {
      at = pageBytes;
    } else {
      // One native encodeInto of the joined ids instead of a JS loop per character.
      pageIds = null;
      at = IDS_AT + writeJoined(ids);
      pageSeparated = true;
      pageIds = Object.freeze(ids);
      pageBytes = at;
    }
    const page = pageIds;
    ioView(at + n);
    let offset = _catalog.call(policy, ent, at - IDS_AT, n, deviceLen, code, now, persistence, pageSeparated, false);
    if (offset === NUL_IN_ID) { // rare: an id holds a NUL, which the joined form cannot carry
      pageIds = null;
      at = writeIds(page, IDS_AT, 'entityIds');
      pageSeparated = false;
      pageIds = page;
      pageBytes = at;
      ioView(at + n);
      offset = _catalog.call(policy, ent, at - IDS_AT, n, deviceLen, code, now, persistence, false, false);
    }
    if (offset === FAILED) throw raw._takeError();
    const bytes = ioView(0).slice(offset, offset + n);
    return new CatalogDecisions(page, bytes);
  }
  installed.set(Policy, checkedExports);
  return checkedExports;
}

// The modules whose scope API is installed (keyed by PermissionScope): installing is once.
const scopesInstalled = new WeakSet();

/**
 * Adds the checked scope API (allows, allowsTopic, explain, the checked fromJson...) to one
 * module's PermissionScope and returns the class. Its own function, called by whatever can hand
 * out a scope (the PermissionScope and decodeMomentoToken exports, the cache client, the JWT
 * layer), each through a call marked pure: a bundle that names none of them carries none of it,
 * and no scope object can exist in it.
 */
export function installScopes(raw) {
  const { PermissionScope } = raw;
  if (!PermissionScope || scopesInstalled.has(PermissionScope)) return PermissionScope;
  scopesInstalled.add(PermissionScope);
  const { _checkPlan, _allowsStrings } = internals(PermissionScope);
  guardReceivers(PermissionScope, 'INVALID_SCOPE');
  let operations = null; // operation name -> index in the operation table
  let operationBits = null; // index -> the bit of its class in a check plan
  let lastOp = null; // the last operation name looked up, and its index
  let lastOpIndex = 0;

  function check(scope, operation, cache, key, topic) {
    if (!isA(scope, PermissionScope) || !(scope.__wbg_ptr > 0)) {
      throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope');
    }
    if (typeof operation !== 'string' || typeof cache !== 'string' || typeof key !== 'string') {
      throw fail('INVALID_REQUEST', `${topic ? 'allowsTopic' : 'allows'}(operation, cache, ${topic ? 'topic' : 'key'}): expected three strings`);
    }
    if (operations === null) loadOperations();
    const op = operation === lastOp ? lastOpIndex : operations.get(operation);
    if (op === undefined) return false; // unknown operations are denied
    lastOp = operation;
    lastOpIndex = op;
    const plan = scope[PLAN] === undefined ? planOf(scope) : scope[PLAN];
    if (plan === null) return _allowsStrings.call(scope, operation, cache, key, topic);
    return runPlan(topic ? plan.topics : plan.items, operationBits[op], cache, key);
  }

  function loadOperations() {
    const [names, bits] = raw._operationNames().split(';');
    operations = new Map(names.split(',').map((name, i) => [name, i]));
    operationBits = Array.from(bits, (letter) => letter.charCodeAt(0) - 65); // 'A' + bit
  }

  /**
   * A scope's check plan (src/momento/scope/plan.rs `check_plan`), read once: its grants for items and for
   * topics, or null when only wasm compares its names alike (then every check is a call).
   */
  function planOf(scope) {
    const text = _checkPlan.call(scope);
    let plan = null;
    if (text !== undefined) {
      plan = { items: [], topics: [] };
      for (const [classes, cache, topics, kind, name] of JSON.parse(text)) {
        (topics ? plan.topics : plan.items).push({ classes, cache, kind, name });
      }
    }
    Object.defineProperty(scope, PLAN, { value: plan });
    return plan;
  }

  /** Any grant with the operation's class bit, the cache (or all) and a matching name allows. */
  function runPlan(grants, bit, cache, name) {
    for (let i = 0; i < grants.length; i++) {
      const g = grants[i];
      if ((g.classes & bit) !== 0 && (g.cache === null || g.cache === cache)
        && (g.kind === 0 || (g.kind === 1 ? g.name === name : name.startsWith(g.name)))) return true;
    }
    return false;
  }

  const live = (scope) => {
    if (!isA(scope, PermissionScope) || !(scope.__wbg_ptr > 0)) throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope');
  };
  /** `fn` on a live scope, every failure coded. */
  const scopeMethod = (fn) => function checked(...args) {
    try {
      live(this);
      return fn.apply(this, args);
    } catch (error) {
      throw coded(error, 'INVALID_SCOPE', 'scope');
    }
  };
  const strings = (name, a, b, c) => {
    if (typeof a !== 'string' || typeof b !== 'string' || typeof c !== 'string') {
      throw fail('INVALID_REQUEST', `${name}: expected three strings`);
    }
  };
  // The SDK's sentinels are description-less Symbols, which JSON.stringify drops: in a
  // selector position they can only mean "all", `{}` in the JSON form (strictJson).
  const fromJson = PermissionScope.fromJson;
  const fromProtobuf = PermissionScope.fromProtobuf;
  const { explain, explainTopic, toJSON } = PermissionScope.prototype;
  const superUser = Object.getOwnPropertyDescriptor(PermissionScope.prototype, 'isSuperUser').get;
  Object.defineProperties(PermissionScope, {
    fromJson: {
      value: function fromJsonChecked(value) {
        return fromJson.call(PermissionScope, jsonInput(value, 'INVALID_SCOPE', 'scope', true));
      },
      writable: true,
      configurable: true,
    },
    fromProtobuf: {
      value: function fromProtobufChecked(value) {
        try {
          return fromProtobuf.call(PermissionScope, value);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'permissions');
        }
      },
      writable: true,
      configurable: true,
    },
  });
  Object.defineProperties(PermissionScope.prototype, {
    allows: {
      value(operation, cache, key) {
        try {
          return check(this, operation, cache, key, false);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'scope');
        }
      },
    },
    allowsTopic: {
      value(operation, cache, topic) {
        try {
          return check(this, operation, cache, topic, true);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'scope');
        }
      },
    },
    explain: {
      value: scopeMethod(function explainChecked(operation, cache, key) {
        strings('explain(operation, cache, key)', operation, cache, key);
        return explain.call(this, operation, cache, key);
      }),
    },
    explainTopic: {
      value: scopeMethod(function explainTopicChecked(operation, cache, topic) {
        strings('explainTopic(operation, cache, topic)', operation, cache, topic);
        return explainTopic.call(this, operation, cache, topic);
      }),
    },
    toJSON: { value: scopeMethod(function toJSONChecked() { return toJSON.call(this); }) },
    isSuperUser: { get: scopeMethod(function isSuperUserChecked() { return superUser.call(this); }), configurable: true },
  });
  return PermissionScope;
}

/** The module's decodeMomentoToken, with the scope API installed on the scopes it returns. */
export function tokenDecoder(raw) {
  installScopes(raw);
  return raw.decodeMomentoToken;
}

// The modules whose JWT classes are installed (keyed by JwtVerifier): installing is once.
const jwtInstalled = new WeakSet();

/**
 * Adds the checked JWT API (verification, playback and Momento token minting) to the edge
 * module's classes. Its own function, called by the edge module's entries only, so that a
 * player bundle carries none of it.
 */
export function installJwt(raw) {
  const { JwtVerifier, PlaybackTokenMinter, MomentoTokenIssuer } = raw;
  if (jwtInstalled.has(JwtVerifier)) return;
  jwtInstalled.add(JwtVerifier);
  const PermissionScope = installScopes(raw); // minted tokens and playback claims carry scopes
  const verifier = internals(JwtVerifier);
  const minter = internals(PlaybackTokenMinter);
  const issuer = internals(MomentoTokenIssuer);
  for (const Class of [JwtVerifier, PlaybackTokenMinter, MomentoTokenIssuer]) guardReceivers(Class, 'INVALID_KEY');

  /**
   * `fn` as a method of `Class`: `this` must be a live handle, every failure is coded (`code`
   * for anything the checks did not name, such as a getter of the options that throws).
   */
  function method(Class, what, code, fn) {
    return function checked(...args) {
      try {
        if (!isA(this, Class) || !(this.__wbg_ptr > 0)) throw fail('INVALID_KEY', `${what}: expected a live ${Class.name}`);
        return fn.apply(this, args);
      } catch (error) {
        throw coded(error, code, what);
      }
    };
  }

  /** `{ now? }` of a verification, read once; throws INVALID_REQUEST. */
  function verifyNow(options) {
    if (options === undefined) return Date.now();
    if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected an object');
    return readNow(options.now, raw);
  }

  function tokenString(token) {
    if (typeof token !== 'string') throw fail('MALFORMED_TOKEN', 'token: expected a string');
    return token;
  }

  /** Configuration objects become strict JSON text (INVALID_KEY), as policies and scopes do. */
  function configured(Class, name) {
    const original = Class[name];
    Class[name] = function fromConfig(config) {
      return original.call(Class, jsonInput(config, 'INVALID_KEY', name === 'mosaicEndUser' ? 'jwks' : 'config'));
    };
  }

  if (JwtVerifier) {
    configured(JwtVerifier, 'fromJson');
    configured(JwtVerifier, 'mosaicEndUser');
    // Keys imported into WebCrypto, per verifier and JWK text.
    const platformKeys = new WeakMap();
    // What WebCrypto checks for (src/jwt.rs PLATFORM_ALGS): only the public members of a key are
    // imported, so `use`, `key_ops` or private members of a configured JWK cannot get in the way.
    const PLATFORM = {
      ES256: {
        importParams: { name: 'ECDSA', namedCurve: 'P-256' },
        verifyParams: { name: 'ECDSA', hash: 'SHA-256' },
        publicJwk: ({ kty, crv, x, y }) => ({ kty, crv, x, y }),
      },
      RS256: {
        importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        verifyParams: { name: 'RSASSA-PKCS1-v1_5' },
        publicJwk: ({ kty, n, e }) => ({ kty, n, e }),
      },
    };
    const b64urlJson = (part) => {
      try {
        const text = part.replace(/-/g, '+').replace(/_/g, '/');
        return JSON.parse(decodeURIComponent(escape(atob(text + '='.repeat((4 - (text.length % 4)) % 4)))));
      } catch {
        return null;
      }
    };
    const verifyAsync = method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function start(token, options) {
      return [tokenString(token), verifyNow(options)];
    });
    Object.defineProperties(JwtVerifier.prototype, {
      verify: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verify(token, options) {
          return verifier._verify.call(this, tokenString(token), verifyNow(options));
        }),
      },
      verifyPlayback: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verifyPlayback(token, options) {
          return verifier._verifyPlayback.call(this, tokenString(token), verifyNow(options));
        }),
      },
      verifyAsync: {
        async value(...args) {
          const [token, now] = verifyAsync.apply(this, args); // the checks, synchronously coded
          const header = b64urlJson(token.split('.')[0] ?? '');
          const subtle = globalThis.crypto?.subtle;
          const alg = header !== null && typeof header === 'object' ? header.alg : undefined;
          const platform = (alg === 'ES256' || alg === 'RS256') ? PLATFORM[alg] : undefined;
          if (!platform || !subtle) return verifier._verify.call(this, token, now);
          // playgate checks the algorithm and selects the keys; WebCrypto checks the signature.
          const { signed, signature, keys } = verifier._preparePlatform.call(this, token);
          let cache = platformKeys.get(this);
          if (!cache) platformKeys.set(this, (cache = new Map()));
          for (const [index, jwk] of keys) {
            let key = cache.get(jwk);
            if (!key) {
              try {
                key = await subtle.importKey('jwk', platform.publicJwk(JSON.parse(jwk)), platform.importParams, false, ['verify']);
              } catch (error) {
                throw coded(error, 'INVALID_KEY', `keys[${index}]: WebCrypto refused the key`);
              }
              cache.set(jwk, key);
            }
            if (await subtle.verify(platform.verifyParams, key, signature, signed)) {
              return verifier._finishPlatform.call(this, token, index, now);
            }
          }
          throw fail('BAD_SIGNATURE', 'signature: does not verify');
        },
      },
    });
  }

  /** A scope given to a minter: a live PermissionScope, or what PermissionScope.fromJson reads. */
  const scopeOf = (scope) => (scope instanceof PermissionScope && scope.__wbg_ptr > 0 ? scope : PermissionScope.fromJson(scope));

  if (PlaybackTokenMinter) {
    configured(PlaybackTokenMinter, 'fromJson');
    Object.defineProperty(PlaybackTokenMinter.prototype, 'mint', {
      value: method(PlaybackTokenMinter, 'minter', 'INVALID_REQUEST', function mint(options) {
        if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected { scope, subject?, entitlement?, now? }');
        const { scope, subject, entitlement, now } = options;
        const summary = entitlement ?? {}; // null or undefined: no summary, as everywhere
        if (typeof summary !== 'object') throw fail('INVALID_REQUEST', 'entitlement: expected an object');
        const { maxQuality, country, device } = summary;
        return minter._mint.call(
          this, scopeOf(scope), optionalString(subject, 'subject') ?? undefined,
          optionalString(maxQuality, 'entitlement.maxQuality') ?? undefined,
          optionalString(country, 'entitlement.country') ?? undefined,
          optionalString(device, 'entitlement.device') ?? undefined,
          readNow(now, raw),
        );
      }),
    });
  }

  if (MomentoTokenIssuer) {
    configured(MomentoTokenIssuer, 'fromJson');
    Object.defineProperties(MomentoTokenIssuer.prototype, {
      mint: {
        value: method(MomentoTokenIssuer, 'issuer', 'INVALID_REQUEST', function mint(options) {
          if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected { scope, tokenId, lifetimeSeconds?, now? }');
          const { scope, tokenId, lifetimeSeconds, now } = options;
          const lifetime = lifetimeSeconds ?? 3600; // null or undefined: the default
          if (typeof tokenId !== 'string') throw fail('INVALID_REQUEST', 'tokenId: expected a string');
          if (typeof lifetime !== 'number') throw fail('INVALID_REQUEST', 'lifetimeSeconds: expected a number');
          return issuer._mint.call(this, scopeOf(scope), tokenId, lifetime, readNow(now, raw));
        }),
      },
      verify: {
        value: method(MomentoTokenIssuer, 'issuer', 'INVALID_REQUEST', function verify(token, options) {
          return issuer._verify.call(this, tokenString(token), verifyNow(options));
        }),
      },
    });
  }
}
