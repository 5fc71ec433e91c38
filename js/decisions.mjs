// Decisions: the checked Policy and Entitlement API of one module (`install`). It writes each
// request into wasm's I/O area (the entity id and device as UTF-8 bytes, the country as two
// character codes in one number), makes one call of numbers, and builds the decision object from
// the packed result (src/abi.rs has the protocol: the area's map, the arguments, the bits).
// Owns the I/O area's state (`buffer` in `install`), one per module.

import {
  CATALOG_CODE_MASK, CATALOG_QUALITY_SHIFT, COUNTRY_CLAIM_BIT, DECISION_CODES, DOWNLOAD_CLAIM_BIT,
  DEFAULT_DOCUMENT_LIMIT, ENTITY_TYPE_SHIFT, FAILED, IDS_AT, MAX_DOCUMENT_LIMIT, MAX_QUALITY_SHIFT, NOT_RESIDENT, NUL_IN_ID,
  PERSISTENCE_BIT, QUALITIES, QUALITY_CLAIMS, QUALITY_CLAIM_SHIFT, REASON_MASK, TYPE_CLAIMS,
} from './abi.mjs';
import {
  coded, fail, guardReceivers, internals, isA, isWellFormed, jsonInput, onlyKnownFields, optionalString, readNow, strictJson,
} from './checks.mjs';
import { dictionaryFields } from './dictionary.mjs';
import { inputWriter } from './input.mjs';

const DEVICE_UNITS = IDS_AT; // the longest device class in UTF-16 units (then checked in bytes)
const COUNTRY_CLAIM = 1 << COUNTRY_CLAIM_BIT;
const DOWNLOAD_CLAIM = 1 << DOWNLOAD_CLAIM_BIT;
const PERSISTENCE = 1 << PERSISTENCE_BIT;

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
    const { entityIds, bytes } = catalogPage(this);
    return entityIds.filter((_, i) => (bytes[i] & CATALOG_CODE_MASK) === 0);
  }
}

// (The class's own methods name it only through these functions: a class that names itself
// would be bundled as `class _CatalogDecisions`, and that is the name users would see.)

/** `value` as a CatalogDecisions, or an error: a foreign receiver must not read as "allowed". */
function catalogPage(value) {
  if (!isA(value, CatalogDecisions)) throw fail('INVALID_REQUEST', 'expected a CatalogDecisions');
  return value;
}

/** The byte of title `i`: an index outside the page must not read as "allowed". */
function byteAt(value, i) {
  const { bytes } = catalogPage(value);
  if (Number.isInteger(i) && i >= 0 && i < bytes.length) return bytes[i];
  throw fail('INVALID_REQUEST', `index: expected a whole number from 0 to ${bytes.length - 1}`);
}

// What `install` returned for each module (keyed by its Policy class): installing is once.
const installed = new WeakMap();

/**
 * Throws INVALID_REQUEST for text with a lone surrogate: UTF-8 would carry it as U+FFFD, so an
 * id would be decided as another (an id of the document's with U+FFFD in its place).
 */
function notLoneSurrogates(text) {
  if (!isWellFormed(text)) throw fail('INVALID_REQUEST', 'request: a lone surrogate (UTF-8 cannot carry it)');
}

// What only fromBlob and fromDictionary pass to the Entitlement constructor.
const MAKE = Symbol('playgate.makeEntitlement');

/**
 * Adds the public decision API to the generated Policy class of one wasm-bindgen module and
 * makes its Entitlement class. Returns what an entry exports in place of the generated names:
 * `Entitlement` and the checked `qualityForSize`.
 */
export function install(raw) {
  const { Policy } = raw;
  if (installed.has(Policy)) return installed.get(Policy);
  // The internal methods leave the prototypes; the generated ones left check their receiver
  // (the methods defined below check theirs).
  const { _decide, _catalog } = internals(Policy);
  guardReceivers(Policy, 'INVALID_POLICY');
  const { Entitlement, documentOf, loadDocument } = entitlementClass(raw);
  const encoder = new TextEncoder();
  // What the JS side knows of wasm's I/O area (src/abi.rs has its map): views on it, and what
  // it holds already, so that a repeated id, device or catalog page is not written again. One
  // per module; every write into the area goes through it.
  const buffer = {
    memory: null, // the wasm memory: asked for on first use (web targets init after import)
    io: null, // Uint8Array view on the I/O area (renewed when the area or the memory grows)
    out: null, // Float64Array view on the output cell (validUntil)
    id: undefined, // the entity id held from IDS_AT (undefined: none known)
    idBytes: 0,
    device: undefined, // the device class held from offset 0 (undefined: unknown)
    deviceBytes: -1,
    // Whether wasm may hold request extras. It starts with none (EntityExtras::NONE), so the
    // first decision makes no `_setExtras` call (nor compiles it).
    extrasSent: false,
    // The catalog page whose ids are held from IDS_AT (a frozen copy), where they end, and
    // whether they are NUL-joined (else length-prefixed): re-deciding the same page (new time,
    // new document) skips writing the ids again.
    page: null,
    pageEnd: 0,
    pageSeparated: true,
  };

  /** A view on at least `len` bytes of the I/O buffer (a view detached by memory growth has length 0). */
  function ioView(len) {
    // length 0: the memory grew (in any call into wasm) and detached the view.
    if (buffer.io === null || buffer.io.length < len || buffer.io.length === 0) {
      if (buffer.memory === null) buffer.memory = raw._memory();
      const [ptr, size] = raw._io(len);
      buffer.io = new Uint8Array(buffer.memory.buffer, ptr, size);
      buffer.out = new Float64Array(buffer.memory.buffer, raw._out(), 1);
    }
    return buffer.io;
  }

  /** Writes `text` as UTF-8 at `at`; returns the number of bytes written. */
  function writeText(text, at) {
    let view = ioView(at + text.length);
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) {
        if (!isWellFormed(text)) {
          // The bytes before this one are written: what the buffer said it held is gone.
          buffer.id = undefined;
          buffer.device = undefined;
          buffer.page = null;
          notLoneSurrogates(text);
        }
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
    const code = country.length === 2 ? (country.charCodeAt(0) << 16) | country.charCodeAt(1) : 0;
    if (code === 0) raw._checkCountry(country); // throws the coded error (`\0\0` is no country either)
    return code;
  }

  /** The document behind `ent` (a live Entitlement of this module), or a coded error. */
  function documentFor(ent) {
    const doc = documentOf(ent);
    if (doc === undefined) {
      throw fail('INVALID_ENTITLEMENT', 'entitlement: expected an Entitlement');
    }
    if (doc.freed) throw fail('INVALID_ENTITLEMENT', 'entitlement: this Entitlement was freed');
    return doc;
  }

  // The two calls on a document: when its slot went to a newer document, it is loaded again
  // from its source and the call repeated (src/abi.rs, "The documents").
  function decideOn(policy, doc, idLen, ancestorsLen, deviceLen, code, now, persistence) {
    let bits = _decide.call(policy, doc.slot, doc.id, idLen, ancestorsLen, deviceLen, code, now, persistence);
    if (bits === NOT_RESIDENT) {
      loadDocument(doc);
      bits = _decide.call(policy, doc.slot, doc.id, idLen, ancestorsLen, deviceLen, code, now, persistence);
    }
    return bits;
  }

  function catalogOn(policy, doc, idsLen, n, deviceLen, code, now, persistence, separated, full) {
    let offset = _catalog.call(policy, doc.slot, doc.id, idsLen, n, deviceLen, code, now, persistence, separated, full);
    if (offset === NOT_RESIDENT) {
      loadDocument(doc);
      offset = _catalog.call(policy, doc.slot, doc.id, idsLen, n, deviceLen, code, now, persistence, separated, full);
    }
    return offset;
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
      const view = buffer.io; // writeText left a view covering at + 4 + n
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
    if (device === buffer.device) return buffer.deviceBytes;
    if (device === null) return -1;
    if (device.length > DEVICE_UNITS) throw fail('INVALID_REQUEST', `device: longer than ${DEVICE_UNITS} characters`);
    const n = writeText(device, 0);
    if (n > IDS_AT) {
      buffer.id = undefined; // the long device ran over the ids
      buffer.page = null;
      buffer.device = undefined;
      throw fail('INVALID_REQUEST', `device: longer than ${IDS_AT} bytes`);
    }
    buffer.device = device;
    buffer.deviceBytes = n;
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
      throw fail('INVALID_POLICY', 'policy: expected a live Policy');
    }
  }

  function evaluate(policy, doc, request) {
    if (request === null || typeof request !== 'object') throw fail('INVALID_REQUEST', 'request: expected an object');
    // Each field is read once (a getter is asked once; what is checked is what is decided).
    // (One function: split in two, the call measured 10% of a decision.)
    const { entityId: id, country: countryField, device, now, allowPersistence, entityType, ancestors, licenses } = request;
    if (typeof id !== 'string' || id.length === 0) throw fail('INVALID_REQUEST', 'entityId: expected a non-empty string');
    onlyKnownFields(request, 'request', false);
    const country = optionalString(countryField, 'country');
    const code = countryCode(country);
    let idLen;
    if (id === buffer.id) {
      idLen = buffer.idBytes;
    } else {
      idLen = writeText(id, IDS_AT);
      buffer.id = id;
      buffer.idBytes = idLen;
      buffer.page = null;
    }
    const deviceLen = writeDevice(device);
    let ancestorsLen = 0;
    if (entityType != null || licenses != null || (ancestors != null && !Array.isArray(ancestors))) {
      // Rare: sent as JSON every time (arrays may have been mutated since the last call), written
      // strictly: a NaN or an invalid Date in a license must be an error, not an absent end.
      raw._setExtras(strictJson({ entityType, ancestors, licenses }, 'INVALID_REQUEST', 'request'));
      buffer.extrasSent = true;
    } else {
      if (buffer.extrasSent) {
        raw._setExtras(undefined);
        buffer.extrasSent = false;
      }
      // Ancestors (season, series) go into the buffer after the id, packed like catalog ids.
      if (ancestors != null) ancestorsLen = writeIds(ancestors, IDS_AT + idLen, 'ancestors') - (IDS_AT + idLen);
    }
    const bits = decideOn(policy, doc, idLen, ancestorsLen, deviceLen, code, readNow(now, raw), readPersistence(allowPersistence));
    if (bits === FAILED) throw raw._takeError();
    if (buffer.out.length === 0) buffer.out = new Float64Array(buffer.memory.buffer, raw._out(), 1); // the memory grew: a detached view
    return build(bits, country, buffer.out[0]);
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
        onlyKnownFields(r, 'request', false);
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

  function evaluateMany(policy, doc, requests) {
    if (!Array.isArray(requests)) throw fail('INVALID_REQUEST', 'requests: expected an array');
    const n = requests.length;
    const fields = readBatch(requests, n);
    if (n > 1) {
      const shared = evaluateShared(policy, doc, fields, n);
      if (shared !== null) return shared;
    }
    const decisions = new Array(n);
    for (let i = 0, at = 0; i < n; i++, at += REQUEST_FIELDS) {
      try {
        // A plain copy of what was read: reading it again runs no caller code.
        decisions[i] = evaluate(policy, doc, {
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
    // Not ASCII: bytes beyond the characters, or a view (a byte a character) that filled up.
    if (written !== read || read < text.length) notLoneSurrogates(text);
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
  function evaluateShared(policy, doc, fields, n) {
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
    buffer.id = undefined;
    buffer.page = null;
    let written;
    try {
      written = writeJoined(ids);
    } catch {
      return null; // one by one: the exact requests[i] error
    }
    ioView(IDS_AT + written + 8 + 12 * n);
    const offset = catalogOn(policy, doc, written, n, deviceLen, code, when, allowPersistence === true, true, true);
    if (offset === FAILED) {
      raw._takeError(); // decided again one by one, for the exact error
      return null;
    }
    if (offset === NUL_IN_ID) return null;
    const base = ioView(0).byteOffset + offset;
    const untils = new Float64Array(buffer.memory.buffer, base, n);
    const packed = new Uint32Array(buffer.memory.buffer, base + 8 * n, n);
    const decisions = new Array(n);
    for (let i = 0; i < n; i++) decisions[i] = build(packed[i], country, untils[i]);
    return decisions;
  }

  // ---- policies ----

  const policyFromJson = Policy.fromJson;
  Policy.fromJson = function fromJsonChecked(value) {
    return policyFromJson.call(Policy, jsonInput(value, 'INVALID_POLICY', 'policy'));
  };

  // Functions the entries export in place of the generated ones (an ES module namespace
  // cannot be patched): the glue would turn a BigInt or a Symbol into a TypeError without code.
  const rawQuality = raw.qualityForSize;
  const checkedExports = {
    Entitlement,
    qualityForSize(width, height) {
      if (typeof width !== 'number' || typeof height !== 'number') {
        throw fail('INVALID_REQUEST', 'qualityForSize: expected two numbers of pixels');
      }
      return rawQuality(width, height);
    },
  };

  // A decision writes its request into the I/O area field by field, and the caller's getters
  // run on the way (an array's elements, a license's dates): one that asked for another
  // decision would write over the first one's bytes, which would then decide another request.
  // So a decision asked while one is being made is refused.
  let deciding = false;
  const REENTERED = 'a decision asked for inside another (from a getter?)';

  Object.defineProperties(Policy.prototype, {
    evaluate: {
      value(ent, request) {
        if (deciding) throw fail('INVALID_REQUEST', REENTERED);
        deciding = true;
        try {
          checkPolicy(this);
          return evaluate(this, documentFor(ent), request);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'request');
        } finally {
          deciding = false;
        }
      },
    },
    evaluateMany: {
      value(ent, requests) {
        if (deciding) throw fail('INVALID_REQUEST', REENTERED);
        deciding = true;
        try {
          checkPolicy(this);
          return evaluateMany(this, documentFor(ent), requests);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'requests');
        } finally {
          deciding = false;
        }
      },
    },
    evaluateCatalog: {
      value(ent, entityIds, context = {}) {
        if (deciding) throw fail('INVALID_REQUEST', REENTERED);
        deciding = true;
        try {
          checkPolicy(this);
          return evaluateCatalog(this, documentFor(ent), entityIds, context);
        } catch (error) {
          throw coded(error, 'INVALID_REQUEST', 'entityIds');
        } finally {
          deciding = false;
        }
      },
    },
  });

  function evaluateCatalog(policy, doc, entityIds, context) {
    if (!Array.isArray(entityIds)) throw fail('INVALID_REQUEST', 'entityIds: expected an array of strings');
    if (context === null || typeof context !== 'object') throw fail('INVALID_REQUEST', 'context: expected an object');
    onlyKnownFields(context, 'context', true);
    const n = entityIds.length;
    // The page as decided: each id read once into a copy, frozen, which the result keeps (the
    // caller's array may change afterwards; the buffer's page must not change under it).
    const ids = new Array(n);
    let samePage = buffer.page !== null && buffer.page.length === n;
    for (let i = 0; i < n; i++) {
      const id = entityIds[i];
      if (typeof id !== 'string' || id.length === 0) {
        throw fail('INVALID_REQUEST', `entityIds[${i}]: expected a non-empty string`);
      }
      ids[i] = id;
      if (samePage && buffer.page[i] !== id) samePage = false;
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
    buffer.id = undefined;
    if (samePage) {
      at = buffer.pageEnd;
    } else {
      // One native encodeInto of the joined ids instead of a JS loop per character.
      buffer.page = null;
      at = IDS_AT + writeJoined(ids);
      buffer.pageSeparated = true;
      buffer.page = Object.freeze(ids);
      buffer.pageEnd = at;
    }
    const page = buffer.page;
    ioView(at + n);
    let offset = catalogOn(policy, doc, at - IDS_AT, n, deviceLen, code, now, persistence, buffer.pageSeparated, false);
    if (offset === NUL_IN_ID) { // rare: an id holds a NUL, which the joined form cannot carry
      buffer.page = null;
      at = writeIds(page, IDS_AT, 'entityIds');
      buffer.pageSeparated = false;
      buffer.page = page;
      buffer.pageEnd = at;
      ioView(at + n);
      offset = catalogOn(policy, doc, at - IDS_AT, n, deviceLen, code, now, persistence, false, false);
    }
    if (offset === FAILED) throw raw._takeError();
    const bytes = ioView(0).slice(offset, offset + n);
    return new CatalogDecisions(page, bytes);
  }
  installed.set(Policy, checkedExports);
  return checkedExports;
}

/**
 * One module's Entitlement class. An Entitlement keeps its document's source (the blob, or the
 * dictionary's fields) and an id; the parsed document sits in one of a bounded set of wasm slots
 * and is loaded again from the source when its slot went to a newer document (src/abi.rs, "The
 * documents"). So a document nobody frees holds no wasm memory once its slot is reused, and
 * `free()` only gives the slot back early.
 */
function entitlementClass(raw) {
  let documentOf;
  let lastId = 0; // document ids are never reused (doubles: exact to 2^53)

  class Entitlement {
    #doc;
    constructor(make, doc) {
      if (make !== MAKE) throw fail('INVALID_ENTITLEMENT', 'new Entitlement(): use Entitlement.fromBlob or fromDictionary');
      this.#doc = doc;
    }

    static {
      documentOf = (value) => (value !== null && typeof value === 'object' && #doc in value ? value.#doc : undefined);
    }

    /** Gives the document's wasm memory back now; the Entitlement can no longer be decided on. */
    free() {
      const doc = documentOf(this);
      if (doc === undefined) throw fail('INVALID_ENTITLEMENT', 'expected an Entitlement');
      if (doc.freed) return; // freeing twice is a no-op
      doc.freed = true;
      raw._dropDocument(doc.slot, doc.id);
      doc.source = null;
    }
  }
  if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(Entitlement.prototype, Symbol.dispose, { value: Entitlement.prototype.free, writable: true, configurable: true });
  }

  const input = inputWriter(raw);

  /** Parses `doc`'s source into a slot (again, when its slot was given away). */
  function loadDocument(doc) {
    const length = input.write(doc.source, 'INVALID_ENTITLEMENT');
    doc.slot = (doc.dictionary ? raw._loadDictionary : raw._loadBlob)(length, doc.maxBytes, doc.id);
  }

  /** A new Entitlement for `source`: parsed now (a bad document throws here, never later). */
  function make(source, dictionary, maxBytes) {
    const doc = { id: ++lastId, slot: 0, source, dictionary, maxBytes, freed: false };
    loadDocument(doc);
    return new Entitlement(MAKE, doc);
  }

  Object.defineProperties(Entitlement, {
    fromBlob: {
      value: function fromBlob(blob, options) {
        try {
          const maxBytes = documentLimit(options);
          let source = blob;
          if (blob instanceof ArrayBuffer) {
            try {
              source = new Uint8Array(blob);
            } catch {
              throw fail('INVALID_ENTITLEMENT', 'blob: a detached ArrayBuffer');
            }
          } else if (typeof blob !== 'string' && !(blob instanceof Uint8Array)) {
            throw fail('INVALID_ENTITLEMENT', 'blob: expected JSON text, a Uint8Array or an ArrayBuffer');
          } else if (typeof blob === 'string' && !isWellFormed(blob)) {
            // UTF-8 would carry it as U+FFFD: the document would hold ids it was not given.
            throw fail('INVALID_ENTITLEMENT', 'blob: text that is not well-formed (a lone surrogate)');
          }
          // Over the limit before anything is written (UTF-16 units never outnumber UTF-8 bytes).
          overLimit(source.length, maxBytes);
          const ent = make(source, false, maxBytes);
          // Bytes are kept as a copy, taken once they parsed: the caller may write to them later.
          if (source instanceof Uint8Array) documentOf(ent).source = new Uint8Array(source);
          return ent;
        } catch (error) {
          throw coded(error, 'INVALID_ENTITLEMENT', 'blob');
        }
      },
      writable: true,
      configurable: true,
    },
    fromDictionary: {
      value: function fromDictionary(fields, options) {
        try {
          const maxBytes = documentLimit(options);
          // One JSON array of names and values crosses into wasm. Checked here first: a field
          // that is not a string, and a total over the limit (UTF-16 units never outnumber
          // UTF-8 bytes), before anything is written.
          const flat = [];
          let units = 0;
          for (const [name, value] of dictionaryFields(fields)) {
            if (typeof name !== 'string') throw fail('INVALID_ENTITLEMENT', 'dictionary: field names must be strings');
            if (typeof value !== 'string') throw fail('INVALID_ENTITLEMENT', `${name}: dictionary fields must be strings`);
            if (!isWellFormed(name) || !isWellFormed(value)) {
              throw fail('INVALID_ENTITLEMENT', `${name}: not well-formed text (a lone surrogate)`);
            }
            units += name.length + value.length;
            overLimit(units, maxBytes);
            flat.push(name, value);
          }
          return make(JSON.stringify(flat), true, maxBytes);
        } catch (error) {
          throw coded(error, 'INVALID_ENTITLEMENT', 'dictionary');
        }
      },
      writable: true,
      configurable: true,
    },
  });
  return { Entitlement, documentOf, loadDocument };
}

/** Throws when `length` (bytes, or UTF-16 units: never more than its bytes) is over the limit. */
function overLimit(length, maxBytes) {
  const limit = maxBytes || DEFAULT_DOCUMENT_LIMIT;
  if (length > limit) {
    throw fail('INVALID_ENTITLEMENT', `document is over the limit of ${limit} bytes (maxBytes; ${length} bytes or more)`);
  }
}

/** `options.maxBytes`, read once and checked: 0 for the default. */
function documentLimit(options) {
  if (options === undefined || options === null) return 0;
  if (typeof options !== 'object') throw fail('INVALID_ENTITLEMENT', 'options: expected { maxBytes? }');
  const { maxBytes } = options;
  if (maxBytes === undefined || maxBytes === null) return 0;
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_DOCUMENT_LIMIT) {
    throw fail('INVALID_ENTITLEMENT', `maxBytes: expected a whole number of bytes from 1 to ${MAX_DOCUMENT_LIMIT}`);
  }
  return maxBytes;
}
