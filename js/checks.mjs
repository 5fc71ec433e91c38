// Argument checks shared by every part of the JS layer: coded errors, the strict JSON writer
// for caller data, receiver guards on the generated classes, and the readers of common fields.
// Owns no state. Every error it throws carries a stable `code` (see ErrorCode in the .d.ts).

import { MAX_DEPTH, MAX_JSON_BYTES, MAX_LIST_ITEMS } from './abi.mjs';
import { fieldNames, isObjectPrototype } from './fields.mjs';

export function fail(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/**
 * `error` as a coded Error: a caller's getter or Proxy trap that throws, a stack overflow, a
 * TypeError from a value the checks let through all become `code`, with the original as
 * `cause`. A wasm trap is left as it is: that is a bug of ours, never to be disguised.
 */
export function coded(error, code, what) {
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

// The longest token read (a JWT, a playback token): longer is MALFORMED_TOKEN before any of it is parsed.
export const MAX_TOKEN_CHARS = 16384;

export const MAX_JSON_UNITS = MAX_JSON_BYTES; // UTF-16 units: over this, the UTF-8 text is over the bytes too

/**
 * Whether `value` is plain JSON data (an object literal, `Object.create(null)`, or one from another
 * realm) whose members are all its own and enumerable: an inherited or a non-enumerable member is
 * one that `in` and the SDK see and `Object.keys` does not, so a restriction (a scope's `item`, a
 * document's `region`) written so would be dropped, and the data read wider than it is.
 */
export function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return (proto === null || isObjectPrototype(proto)) && Object.getOwnPropertyNames(value).length === Object.keys(value).length;
}

// Selector positions in a Momento scope (the SDK's sentinels stand there for "all").
const SELECTORS = new Set(['cache', 'topic', 'item', 'func']);

/**
 * JSON text of caller data, strictly, where `JSON.stringify` would quietly change its meaning:
 * NaN and ±Infinity (written `null`, which reads as "absent": a license `end: NaN` was "no end"),
 * a Date whose time is NaN (also `null`), `undefined` or a hole in an array (`null`), a Map, Set
 * or class instance (`{}`) are errors naming the field; a BigInt, a Symbol or a function too. A
 * valid Date is its epoch milliseconds. Object properties that are `undefined` are absent, as
 * everywhere in the API. With `selectors`, the Momento SDK's sentinel Symbols (AllCaches,
 * AllTopics, AllCacheItems, AllFunctions) in a selector position are `{}` ("all"). Throws `code`.
 */
export function strictJson(value, code, what, selectors = false) {
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
        throw fail(code, `${path}: a Symbol is not JSON data (but the SDK's All* selectors: "all")`);
      case 'bigint': throw fail(code, `${path}: a BigInt is not JSON (pass a Number)`);
      case 'undefined': throw fail(code, `${path}: undefined where a value is expected`);
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
    if (!isPlainObject(v)) throw fail(code, `${path}: expected plain JSON data`);
    put('{');
    let first = true;
    for (const k of Object.keys(v)) {
      const item = v[k];
      if (item === undefined) {
        // In a scope an undefined selector is an error, not a member left out: `{ keyPrefix:
        // undefined }` written as `{}` would be "every key" (the SDK refuses it too).
        if (selectors) throw fail(code, `${path === '' ? k : `${path}.${k}`}: undefined where a value is expected`);
        continue;
      }
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
export function jsonInput(value, code, what, selectors = false) {
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
export function internals(Class) {
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
export function guardReceivers(Class, code) {
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


/** `value instanceof Class`, false where asking throws (a Proxy whose getPrototypeOf trap throws). */
export function isA(value, Class) {
  try {
    return value instanceof Class;
  } catch {
    return false;
  }
}

/**
 * Throws INVALID_REQUEST for a field of a request (or, `context`, of a catalog's context, which
 * holds no title's own fields: licenses go to evaluate or evaluateMany) that docs/decision-rules.md
 * does not name: a misspelt field must not silently drop a restriction (`licences` would skip the
 * license check). Every name destructuring reads (fields.mjs: a class's accessors and members
 * defined non-enumerable too); no getter is asked. A switch, as a Set's lookups cost about 8% of a
 * decision (Node, measured).
 */
export function onlyKnownFields(value, what, context) {
  const names = fieldNames(value);
  for (let i = 0; i < names.length; i++) knownField(names[i], what, context);
}

function knownField(name, what, context) {
  switch (name) {
    case 'country': case 'device': case 'now': case 'allowPersistence':
      return;
    case 'entityId': case 'entityType': case 'ancestors': case 'licenses':
      if (!context) return;
    // falls through: not a field of a context
    default:
      throw fail('INVALID_REQUEST', `${what}: unknown field ${JSON.stringify(name.slice(0, 64))}`);
  }
}

/**
 * Throws INVALID_ARGUMENT for an own field of the options `value` that `names` does not list: a
 * misspelt option (`ipheader`, `scopes`) would leave its default in force unseen.
 */
export function onlyOptions(value, names, what, code = 'INVALID_ARGUMENT') {
  for (const name of fieldNames(value, true)) {
    if (!names.includes(name)) throw fail(code, `${what}: unknown option ${JSON.stringify(name.slice(0, 64))} (the options: ${names.join(', ')})`);
  }
}

export function optionalString(value, name) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw fail('INVALID_REQUEST', `${name}: expected a string`);
  return value;
}

/** A request's `now`: epoch ms, an RFC 3339 string (parsed by `raw`'s wasm) or a Date; absent is the clock. */
export function readNow(now, raw) {
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
  throw fail('INVALID_REQUEST', 'now: expected epoch milliseconds, RFC 3339 text or a Date');
}

// A UTF-16 code unit of a surrogate pair standing alone: text no UTF-8 can carry.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** String.prototype.isWellFormed where the platform has it (ES2024): no lone surrogate. */
export function isWellFormed(text) {
  return typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text);
}
