// The machinery of hostile.test.mjs: a seeded PRNG, the hostile value pool (every value is
// JavaScript source, so a failing case prints as a line of JS that rebuilds it), a printer that
// writes a call's arguments with one hole, and the outcome judge.
//
// Nothing here knows playgate's rules; the test file holds the base cases and what they may and
// may not decide.

/** mulberry32: a small, fast, seedable PRNG (returns floats in [0, 1)). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string: derives one independent PRNG stream per test from the seed. */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ---- structure nodes of base arguments ----
const REF = Symbol('ref');
const RAW = Symbol('raw');
const MAP = Symbol('map');
/** A fixture by name (printed as its name, not descended into). */
export const ref = (name) => ({ [REF]: name });
/** JavaScript source printed as is (a function, an expression); not descended into. */
export const raw = (src) => ({ [RAW]: src });
/** A Map literal; its entries are paths `.get("key")`. */
export const mapOf = (entries) => ({ [MAP]: entries });
export const isRef = (node) => node !== null && typeof node === 'object' && REF in node;
export const refName = (node) => node[REF];

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** JavaScript source of a number, exact (-0 included). */
export function numberSource(n) {
  if (Object.is(n, -0)) return '-0';
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return String(n);
}

function keySource(k) {
  if (k === '__proto__') return '["__proto__"]'; // an own property, not the prototype
  return IDENT.test(k) ? k : JSON.stringify(k);
}

/** Whether path `pattern` (with '*' for any array index) names `at`. */
function matches(pattern, at) {
  if (pattern.length !== at.length) return false;
  for (let i = 0; i < at.length; i++) {
    if (pattern[i] === '*' ? typeof at[i] !== 'number' : pattern[i] !== at[i]) return false;
  }
  return true;
}

/**
 * JavaScript source of a base node with `hole` = { path, mode } replaced: mode 'value' prints
 * `V`; on an object property, 'getterThrows' a getter that throws, 'getterSame' a getter
 * returning the base value, 'getterOnce' a getter returning the base value on the first read and
 * `V` on every later read (R is a fresh `{ n: 0 }` per call: it counts the reads).
 */
export function source(node, at = [], hole = null) {
  if (hole && hole.mode === 'value' && matches(hole.path, at)) return 'V';
  switch (typeof node) {
    case 'undefined': return 'undefined';
    case 'boolean': return String(node);
    case 'number': return numberSource(node);
    case 'bigint': return `${node}n`;
    case 'string': return JSON.stringify(node);
    default:
  }
  if (node === null) return 'null';
  if (REF in node) return node[REF];
  if (RAW in node) return node[RAW];
  if (MAP in node) {
    return `new Map([${node[MAP].map(([k, v]) => `[${JSON.stringify(k)}, ${source(v, [...at, k], hole)}]`).join(', ')}])`;
  }
  if (Array.isArray(node)) return `[${node.map((v, i) => source(v, [...at, i], hole)).join(', ')}]`;
  const parts = Object.keys(node).map((k) => {
    const p = [...at, k];
    if (hole && hole.mode !== 'value' && matches(hole.path, p)) {
      const base = source(node[k], p, null);
      if (hole.mode === 'getterThrows') return `get ${keySource(k)}() { throw new Error('hostile getter ${k}'); }`;
      if (hole.mode === 'getterSame') return `get ${keySource(k)}() { return ${base}; }`;
      return `get ${keySource(k)}() { return R.n++ === 0 ? ${base} : V; }`;
    }
    return `${keySource(k)}: ${source(node[k], p, hole)}`;
  });
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

/** Every path of `args` (argument index first), depth first; refs and raw nodes are leaves. */
export function paths(args) {
  const out = [];
  const walk = (node, at) => {
    out.push(at);
    if (node === null || typeof node !== 'object' || REF in node || RAW in node) return;
    if (MAP in node) for (const [k, v] of node[MAP]) walk(v, [...at, k]);
    else if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...at, i]));
    else for (const k of Object.keys(node)) walk(node[k], [...at, k]);
  };
  args.forEach((a, i) => walk(a, [i]));
  return out;
}

/** The base node at `path` (the first array element for '*'). */
export function nodeAt(args, path) {
  let node = args;
  for (const k of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (MAP in node) node = new Map(node[MAP]).get(k);
    else node = node[k === '*' ? 0 : k];
  }
  return node;
}

/** Whether the parent of `path` is a plain object node (so a getter can stand there). */
export function parentIsObject(args, path) {
  if (path.length < 2) return false;
  const parent = nodeAt(args, path.slice(0, -1));
  return parent !== null && typeof parent === 'object' && !Array.isArray(parent) && !(REF in parent) && !(RAW in parent) && !(MAP in parent);
}

/** `args[1].licenses[0].end` for a path. */
export function pathText(path, names) {
  if (path === 'this') return 'this';
  let text = names?.[path[0]] ?? `arg${path[0]}`;
  for (const k of path.slice(1)) text += typeof k === 'number' || k === '*' ? `[${k}]` : IDENT.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
  return text;
}

// ---- the hostile value pool ----
// Each value is { id, src, big?, tags? }: `src` is a JavaScript expression evaluated with the
// module's exports, OTHER (the other module) and the fixtures in scope, fresh for every call.
const THROW_ALL_TRAPS = "Object.fromEntries(['get', 'has', 'ownKeys', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'set', 'defineProperty', 'deleteProperty', 'apply', 'construct', 'isExtensible', 'preventExtensions', 'setPrototypeOf'].map((t) => [t, () => { throw new Error('hostile trap ' + t); }]))";
const VM = "process.getBuiltinModule('node:vm')";

const CHEAP = [
  // primitives
  'undefined', 'null', 'true', 'false',
  '0', '-0', '1', '-1', '0.5', '-0.5', 'NaN', 'Infinity', '-Infinity', 'Number.MAX_VALUE', '-Number.MAX_VALUE',
  'Number.MIN_VALUE', '2 ** 31', '2 ** 32', '2 ** 32 + 1', '-(2 ** 31) - 1', '2 ** 53', '2 ** 53 + 2', '-(2 ** 53)',
  '8.64e15', '8.64e15 + 1', '-8.64e15 - 1', '1e21', '1e-7', '65536',
  '0n', '1n', '-1n', '2n ** 64n', '-(2n ** 63n)', '10n ** 400n',
  'Symbol()', "Symbol('hostile')", 'Symbol.iterator', "Symbol.for('playgate')",
  // strings
  "''", "' '", "'\\0'", "'a\\0b'", "'\\uD800'", "'\\uDC00x'", "'x\\uD83D'", "'\\uFFFD'", "'\\uFEFF'", "'é'", "'😀'",
  "'\\u202E'", "'\\r\\n'", "'0'", "'NaN'", "'true'", "'null'", "'undefined'", "'[object Object]'", "'__proto__'",
  "'constructor'", "'2024-02-30T00:00:00Z'", "'not a date'", "'2024-11-15'", "'1731672000000'", "' 12 '", "'1e400'",
  "'{}'", "'[]'", "'{\"a\":'", "'\\\"'", "'\\\\'", "'%00'", "'../../etc'", "'a'.repeat(70000)",
  // functions
  '() => {}', "function hostile() { throw new Error('hostile function called'); }", 'async () => {}', 'class Hostile {}',
  '() => new Promise(() => {})', 'Object', 'Symbol', '(function () {}).bind(null)', 'function* generator() {}',
  // objects
  '{}', '[]', '[undefined]', '[,]', '[1, , 3]', 'new Array(5)', 'Object.create(null)', 'Object.freeze({})', 'Object.freeze([])',
  'Object.seal({ a: 1 })', 'Object.preventExtensions({})', "{ valueOf() { throw new Error('hostile valueOf'); } }",
  "{ toString() { throw new Error('hostile toString'); } }", "{ toJSON() { throw new Error('hostile toJSON'); } }",
  "{ [Symbol.toPrimitive]() { throw new Error('hostile toPrimitive'); } }", "{ get length() { throw new Error('hostile length'); } }",
  '{ length: 1e9 }', '{ length: -1 }', "{ then(resolve) { resolve('US'); } }", "{ then() { throw new Error('hostile then'); } }",
  '{ then() {} }', "Object.defineProperty(['a'], 0, { get() { throw new Error('hostile index getter'); } })",
  '(() => { const a = []; a.length = 2 ** 32 - 1; return a; })()', "{ ['__proto__']: { region: 'DE' } }",
  'JSON.parse(\'{"__proto__": {"x": 1}}\')',
  '(() => { let o = {}; for (let i = 0; i < 70; i++) o = { a: o }; return o; })()',
  '(() => { let a = []; for (let i = 0; i < 70; i++) a = [a]; return a; })()',
  '((o) => (o.self = o, o))({})', '((a) => (a.push(a), a))([])', "Array(65537).fill('a')",
  // proxies
  `new Proxy({}, ${THROW_ALL_TRAPS})`, `new Proxy([], ${THROW_ALL_TRAPS})`, `new Proxy(function () {}, ${THROW_ALL_TRAPS})`,
  'new Proxy({}, {})', '((r) => (r.revoke(), r.proxy))(Proxy.revocable({}, {}))', 'new Proxy({}, { getPrototypeOf: () => Array.prototype })',
  "new Proxy({ a: 1 }, { ownKeys: () => ['a', 'a'] })",
  // dates
  'new Date(0)', 'new Date(NaN)', 'new Date(8.64e15)', 'new Date(-8.64e15)', "new Date('2024-11-15T12:00:00Z')",
  'Object.create(Date.prototype)', 'Object.setPrototypeOf(new Date(0), null)',
  // other built-ins
  '/re/g', "new Map([['region', 'US']])", 'new Set([1])', 'new WeakMap()', "new Error('hostile error')", 'Promise.resolve(1)',
  "((p) => (p.catch(() => {}), p))(Promise.reject(new Error('hostile rejection')))", 'new Number(1)', "new String('US')",
  'new Boolean(false)', 'Object(1n)', 'Object(Symbol())', 'globalThis', 'Math', 'new (class Hostile {})()', 'new EventTarget()',
  'new AbortController().signal', '((c) => (c.abort(), c.signal))(new AbortController())',
  "new URL('http://127.0.0.1/')", `${VM}.runInNewContext('({})')`, `${VM}.runInNewContext('[]')`,
  `${VM}.runInNewContext('new Date(0)')`, "Buffer.from('{}')",
  // buffers and views
  'new ArrayBuffer(0)', 'new ArrayBuffer(16)', '((b) => (structuredClone(b, { transfer: [b] }), b))(new ArrayBuffer(8))',
  'new SharedArrayBuffer(16)', 'new Int8Array([123, 125])', 'new Uint8Array(0)', 'new Uint8Array([123, 125])',
  'new Uint8Array([0xff, 0xfe, 0xfd])', 'new Uint8Array(new ArrayBuffer(64), 16, 8)', 'new Uint8ClampedArray([123, 125])',
  'new Int16Array(4)', 'new Uint16Array([0x7d7b])', 'new Int32Array(4)', 'new Uint32Array(4)', 'new Float32Array([NaN])',
  'new Float64Array([NaN, Infinity])', 'new BigInt64Array(2)', 'new BigUint64Array(2)', 'new DataView(new ArrayBuffer(8))',
  'new Uint8Array(new SharedArrayBuffer(8))',
  '((b) => { const v = new Uint8Array(b); structuredClone(b, { transfer: [b] }); return v; })(new ArrayBuffer(8))',
  'new Uint8Array(new ArrayBuffer(8, { maxByteLength: 16 }))',
  '((b) => { const v = new Uint8Array(b, 4); b.resize(2); return v; })(new ArrayBuffer(8, { maxByteLength: 16 }))',
];

/** Values that cost time or memory: used at a bounded number of positions. */
const BIG = [
  "'x'.repeat(10 << 20)",
  '(() => { let o = {}; for (let i = 0; i < 1e5; i++) o = { a: o }; return o; })()',
  '(() => { let a = []; for (let i = 0; i < 1e5; i++) a = [a]; return a; })()',
  "'['.repeat(1e5) + ']'.repeat(1e5)",
  "'{\"a\":'.repeat(1e5) + '1' + '}'.repeat(1e5)",
  'new Uint8Array((1 << 20) + 1).fill(0x20)', // just over the 1 MiB document limit (10 MiB as Object.entries takes ~30 s)
  "Array(1e6).fill('movie-1')",
];

/**
 * Values that need the module: for each class, an object with its prototype that no constructor
 * made, a freed handle, a live handle of the other module (same class name), and live handles of
 * every class (a live handle of the wrong class in any position). `factories[name](prefix)` is the
 * source of a live handle, `prefix` '' or 'OTHER.'.
 */
export function handleValues(classNames, factories, otherClassNames) {
  const out = [];
  for (const name of classNames) {
    out.push({ id: `Object.create(${name}.prototype)`, src: `Object.create(${name}.prototype)` });
    const make = factories[name];
    if (!make) continue;
    out.push({ id: `freed ${name}`, src: `((h) => (h.free(), h))(${make('')})` });
    if (otherClassNames.includes(name)) out.push({ id: `other module's ${name}`, src: make('OTHER.'), tags: { foreign: true } });
    out.push({ id: `live ${name}`, src: make(''), tags: { live: name } });
  }
  return out;
}

export const CHEAP_VALUES = CHEAP.map((src) => ({ id: src, src }));
export const BIG_VALUES = BIG.map((src) => ({ id: src.length > 60 ? src.slice(0, 57) + '...' : src, src, big: true }));

/** Raw JSON texts (for fields inside tokens and signed claims). */
export const JSON_TEXTS = [
  'null', 'true', 'false', '0', '-0', '1.5', '-1', '1e400', '-1e400', '1e-400', '9007199254740993', '123456789012345678901234567890',
  '1E3', '""', '" "', '"x"', '"\\u0000"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ufeff"', '[]', '{}', '[1]', '{"a":1}', '[null]',
  '"1731672000"', '"2024-11-15T12:00:00Z"', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  '"' + 'a'.repeat(100000) + '"', '{"__proto__":{"a":1}}', '['.repeat(1e5) + ']'.repeat(1e5), '{"a":'.repeat(1e5) + '1' + '}'.repeat(1e5),
].map((text) => ({ id: text.length > 60 ? text.slice(0, 57) + '...' : text, src: JSON.stringify(text), text }));

// ---- random values from the PRNG ----
const CHAR_POOLS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./~',
  '\0\x01\x07\x1f\x7f\t\n\r "\\\'`{}[]:,',
  '\uD800\uDBFF\uDC00\uDFFF',
  '\uFEFF\uFFFD\uFFFE\uFFFF\u202E\u0301\u00e9\u4e16',
];

/** A random value of a random kind, with its source. */
export function randomValue(rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const int = (n) => Math.floor(rand() * n);
  const kind = int(8);
  if (kind === 0) { // any double, from random bits (subnormals, huge, NaN payloads)
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, (rand() * 2 ** 32) >>> 0);
    view.setUint32(4, (rand() * 2 ** 32) >>> 0);
    return numberSource(view.getFloat64(0));
  }
  if (kind === 1) { // an integer near a boundary
    const base = pick([0, 2 ** 31, 2 ** 32, 2 ** 53, 8.64e15, 1731672000000, 65536, 86400, 90000]);
    return numberSource((rand() < 0.5 ? -1 : 1) * (base + int(5) - 2));
  }
  if (kind === 2) return numberSource((rand() - 0.5) * 10 ** int(20));
  if (kind === 3) return `${BigInt(Math.floor((rand() - 0.5) * 2 ** 53)) * (rand() < 0.3 ? 10n ** 30n : 1n)}n`;
  if (kind === 4 || kind === 5) {
    const pool = pick(CHAR_POOLS) + (rand() < 0.5 ? CHAR_POOLS[0] : '');
    let s = '';
    const n = int(rand() < 0.2 ? 300 : 12);
    for (let i = 0; i < n; i++) s += pool[int(pool.length)];
    return JSON.stringify(s);
  }
  if (kind === 6) { // a typed array of random bytes, maybe a view into a larger buffer
    const type = pick(['Uint8Array', 'Int8Array', 'Uint16Array', 'Float64Array', 'Uint8ClampedArray', 'Int32Array']);
    const bytes = Array.from({ length: int(24) * 8 }, () => int(256));
    const start = bytes.length > 8 ? int(2) * 8 : 0;
    return `new ${type}(new Uint8Array([${bytes.join(', ')}]).buffer${start ? `, ${start}` : ''})`;
  }
  return randomStructure(rand, 3);
}

/** A random nested structure of hostile leaves. */
function randomStructure(rand, depth) {
  const int = (n) => Math.floor(rand() * n);
  const leaves = ['NaN', 'undefined', 'null', '1n', 'Symbol()', '-0', "'US'", "'\\uD800'", '{}', '[]', 'new Date(NaN)', '1.5', "'movie-1'", 'true'];
  if (depth === 0 || rand() < 0.3) return leaves[int(leaves.length)];
  const n = int(4);
  if (rand() < 0.5) return `[${Array.from({ length: n }, () => randomStructure(rand, depth - 1)).join(', ')}]`;
  const keys = ['a', 'region', 'now', 'end', 'role', 'cache', 'permissions', '__proto__', 'entityId', ''];
  return `{ ${Array.from({ length: n }, () => `${keySource(keys[int(keys.length)])}: ${randomStructure(rand, depth - 1)}`).join(', ')} }`;
}

/** A random edit of a string (delete, insert, replace, truncate), for tokens, documents and scopes. */
export function randomMutation(rand, text) {
  const int = (n) => Math.floor(rand() * n);
  let s = text;
  const edits = 1 + int(3);
  for (let e = 0; e < edits; e++) {
    const at = int(s.length + 1);
    const op = int(4);
    const ch = '\0"\\{}[],:.=_-/+AaZz09\uD800\uFFFD'[int(22)];
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
    else if (op === 1) s = s.slice(0, at) + ch + s.slice(at);
    else if (op === 2) s = s.slice(0, at) + ch + s.slice(at + 1);
    else s = s.slice(0, at);
  }
  return JSON.stringify(s);
}

/** A random JSON text (for JSON-text positions). */
export function randomJsonText(rand) {
  const int = (n) => Math.floor(rand() * n);
  const gen = (d) => {
    const k = int(d > 0 ? 7 : 5);
    if (k === 0) return String((rand() - 0.5) * 10 ** int(25));
    if (k === 1) return JSON.stringify(Array.from({ length: int(6) }, () => String.fromCharCode(int(0x10000))).join(''));
    if (k === 2) return ['null', 'true', 'false', '-0', '1e999'][int(5)];
    if (k === 3) return String(int(2 ** 31) * (rand() < 0.5 ? -1 : 1));
    if (k === 4) return '"' + 'x'.repeat(int(40)) + '"';
    if (k === 5) return `[${Array.from({ length: int(3) }, () => gen(d - 1)).join(',')}]`;
    return `{${Array.from({ length: int(3) }, () => `${JSON.stringify(['a', 'exp', 'p', ''][int(4)])}:${gen(d - 1)}`).join(',')}}`;
  };
  const text = gen(3);
  return { id: text.length > 60 ? text.slice(0, 57) + '...' : text, src: JSON.stringify(text), text, random: true };
}

// ---- judging outcomes ----
/** The `code`s playgate documents (README, .d.ts): anything else is a failure. */
export const KNOWN_CODES = new Set([
  'INVALID_POLICY', 'INVALID_ENTITLEMENT', 'INVALID_REQUEST', 'INVALID_ENTITY_ID', 'INVALID_SCOPE', 'MALFORMED_TOKEN',
  'INVALID_KEY', 'ALGORITHM_NOT_ALLOWED', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'TOKEN_EXPIRED', 'TOKEN_NOT_YET_VALID',
  'WRONG_ISSUER', 'WRONG_AUDIENCE',
  // CacheError codes
  'PERMISSION_DENIED', 'AUTHENTICATION_FAILED', 'CACHE_NOT_FOUND', 'BAD_REQUEST', 'THROTTLED', 'SERVER_ERROR',
  'UNEXPECTED_RESPONSE', 'TIMEOUT', 'NETWORK_ERROR', 'RESPONSE_TOO_LARGE',
  // Entitlement.fromDictionary on the Momento SDK's Miss and Error responses
  'ENTITLEMENT_MISSING', 'ENTITLEMENT_UNAVAILABLE',
  // Manifests (filterManifest, packagerFilters)
  'INVALID_MANIFEST', 'NOTHING_PLAYABLE', 'INVALID_ARGUMENT',
]);

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** A short description of anything thrown, without running a caller's code where avoidable. */
export function describeThrown(e) {
  if (e instanceof Error) {
    const name = safe(() => e.constructor.name, 'Error');
    const message = safe(() => String(e.message), '?').replace(/\s+/g, ' ');
    const code = safe(() => e.code, undefined);
    return `${name}${code !== undefined ? `[code=${safe(() => String(code), typeof code)}]` : ''}: ${message.slice(0, 160)}`;
  }
  return `${typeof e} ${safe(() => String(e), '?').slice(0, 80)}`;
}

/** Null when `e` is an acceptable throw (an Error with a documented `code`), else why not. */
export function judgeThrown(e) {
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) return 'wasm trap';
  if (!(e instanceof Error)) return 'non-Error thrown';
  const code = safe(() => e.code, undefined);
  if (typeof code !== 'string' || code === '') return `${safe(() => e.constructor.name, 'Error')} without code`;
  if (!KNOWN_CODES.has(code)) return `undocumented code ${code}`;
  return null;
}

/** Calls `fn`; awaits a promise it returns for at most `hangMs`. */
export async function outcome(fn, hangMs) {
  let value;
  try {
    value = fn();
  } catch (error) {
    return { threw: true, error, sync: true };
  }
  if (!(value instanceof Promise)) return { threw: false, value };
  let timer;
  const hang = new Promise((resolve) => { timer = setTimeout(() => resolve({ hang: true }), hangMs); });
  try {
    return await Promise.race([value.then((v) => ({ threw: false, value: v, async: true }), (error) => ({ threw: true, error, async: true })), hang]);
  } finally {
    clearTimeout(timer);
  }
}
