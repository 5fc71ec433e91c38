// A seeded hostile-input test of every public JS entry point of both modules, the player module
// (`node/index.mjs`) and the edge module (`edge/node/index.mjs`) (issue 11, point 3).
//
// For every entry point there are base calls; in each, one position at a time (the receiver,
// each argument, each field of an object argument, each item of an array argument) is replaced
// by hostile values: every JS type (NaN, ±Infinity, -0, BigInt, Symbol, functions, Proxies with
// traps that throw, revoked Proxies, getters that throw, frozen, sealed and null-prototype objects,
// objects of another realm, holes, lone surrogates and NUL, typed-array views of every kind,
// SharedArrayBuffer, detached and resizable buffers, Dates valid and invalid, handles fake, freed
// and of the other module, 100k-deep nesting, 10 MB strings), values derived from the base value
// (its bytes, a view into a larger buffer, a frozen or cross-realm copy, an edit), random values
// from a seeded PRNG, and getters on the field (one that throws, one that changes after the first
// read). Inside tokens and signed JWTs, raw JSON texts stand in each field.
//
// Each call must return, or throw (synchronously or as a rejected promise, within a deadline)
// an Error whose `code` is one playgate documents. Base calls whose right answer is a denial
// (an ended license, an expired document, a country outside the region, a scope without the key,
// an expired or badly signed token...) must never answer "allowed" after a substitution, unless
// the substituted value is one that legitimately changes the answer (say `end: undefined`, no end);
// those are named per field. After each group of cases, the same module must still answer a known
// question correctly. Entry points are enumerated from the modules at run time and from their
// .d.ts files: one without cases fails the coverage test as "not covered".
//
// Tests: one per entry point and module (arguments and fields); one per module calling every
// method, static function and getter on foreign receivers (`Class.prototype.m.call(V, ...)`);
// one per module, in a child process of its own, calling free / [Symbol.dispose] on live handles
// of another class or of the other module (a wasm-bindgen free there frees memory as the wrong
// type and can corrupt the instance: the child stops at the first call that breaks it).
//
// PLAYGATE_HOSTILE_SEED=N picks another seed (the default is fixed, so CI is reproducible);
// PLAYGATE_HOSTILE_RANDOM=N the number of random values per position (default 6);
// PLAYGATE_HOSTILE_SLOW=ms logs every call slower than that. A failure prints, per group (entry
// point, what happened, position), the values that did it and one line of JS that reproduces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PKG, freePort } from './helpers.mjs';
import * as H from './hostile-lib.mjs';

const SEED = process.env.PLAYGATE_HOSTILE_SEED !== undefined ? Number(process.env.PLAYGATE_HOSTILE_SEED) >>> 0 : 20261205;
const RANDOM_PER_PATH = process.env.PLAYGATE_HOSTILE_RANDOM !== undefined ? Number(process.env.PLAYGATE_HOSTILE_RANDOM) : 6;
// In a child process (PLAYGATE_HOSTILE_CHILD=player|edge) only the cases that may corrupt a wasm
// instance run (free on another class's live handle), each followed by the known-good check.
const CHILD = process.env.PLAYGATE_HOSTILE_CHILD ?? null;
const SLOW_MS = Number(process.env.PLAYGATE_HOSTILE_SLOW ?? 0); // log calls slower than this (ms)
const HANG_MS = 3000; // an async call that settles later than this is a hang (every base deadline is <= 500 ms)
if (!CHILD) console.log(`hostile seed: ${SEED} (PLAYGATE_HOSTILE_SEED=${SEED} reproduces this run)`); // TAP shows it as "# hostile seed: N"

// The package is rebuilt from time to time: wait for it rather than fail on a half-written pkg/.
const FILES = { player: path.join(PKG, 'node/index.mjs'), edge: path.join(PKG, 'edge/node/index.mjs') };
for (let i = 0; i < 60 && ![FILES.player, FILES.edge, path.join(PKG, 'node/index.cjs'), path.join(PKG, 'edge/node/index.cjs')].every(existsSync); i++) {
  if (i === 0) console.log('hostile: pkg/ is missing, waiting for it');
  await sleep(5000);
}
const PLAYER = await import(FILES.player);
const EDGE = await import(FILES.edge);

// ---- fixed inputs ----
const NOW = Date.parse('2024-11-15T12:00:00Z');
const NOW_S = NOW / 1000;
const FROM = Date.parse('2024-10-01T00:00:00Z');
const UNTIL = Date.parse('2024-12-31T23:59:59Z');
const T2019 = Date.parse('2019-01-01T00:00:00Z');
const T2020 = Date.parse('2020-01-01T00:00:00Z');
const LATER = Date.parse('2025-06-01T00:00:00Z');
const DOC = {
  region: 'US', device_restriction: 'none', valid_from: '2024-10-01T00:00:00Z', valid_until: '2024-12-31T23:59:59Z',
  allowed_content: ['movie_id_123', 'series_id_456'],
};
const DOC_TEXT = JSON.stringify(DOC);
const DICT = { ...DOC, allowed_content: 'movie_id_123,series_id_456' };
// A policy that denies a movie in DE for two independent reasons (type claim, country claim).
const POLICY_OBJ = {
  claimSets: [{ key: 'base', claims: ['ENTITY_TYPE_EPISODES', 'COUNTRY_US', 'QUALITY_HD'] }],
  plans: [{ id: 'p', claimSetKeys: ['base'] }],
  tiers: { premium: { plan: 'p', maxQuality: 'HD' } },
};
// readonly media keyPrefix /Movie1/, and publish-only on the topic news.
const SCOPE_OBJ = {
  permissions: [
    { role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } },
    { role: 'publishonly', cache: 'media', topic: 'news' },
  ],
};
const P_B64 = 'EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8='; // docs/momento.md: readonly media keyPrefix /Movie1/
const HS_K = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64url');
const HS_OTHER = Buffer.alloc(32, 0x5a).toString('base64url');
const b64u = (s) => Buffer.from(s).toString('base64url');
const signHS = (h, p, k = HS_K) => {
  const s = `${b64u(h)}.${b64u(p)}`;
  return `${s}.${crypto.createHmac('sha256', Buffer.from(k, 'base64url')).update(s).digest('base64url')}`;
};
const mkJwt = (h, p) => `${b64u(h)}.${b64u(p)}.c2ln`;
const mkV1 = (endpoint, apiKey) => Buffer.from(`{"endpoint":${endpoint},"api_key":${apiKey}}`).toString('base64');
const FAR = 4102444800; // 2100-01-01, seconds
const V1_PAYLOAD = `{"sub":"u","p":"${P_B64}","exp":${FAR}}`;
const V1_TOKEN = mkV1('"cell-1.example.com"', JSON.stringify(mkJwt('{"alg":"HS256"}', V1_PAYLOAD)));
const HDR = '{"alg":"HS256","kid":"k1"}';
const CLAIMS = { sub: 'user-42', iss: 'playgate-auth', aud: 'edge', iat: NOW_S, nbf: NOW_S - 60, exp: NOW_S + 600 };
const claimsText = (extra) => JSON.stringify({ ...CLAIMS, ...extra });
const flip = (token) => token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);
const TOKENS = {
  tGood: signHS(HDR, claimsText({})),
  tExpired: signHS(HDR, claimsText({ iat: NOW_S - 173400, nbf: NOW_S - 173400, exp: NOW_S - 172800 })),
  tWrongIss: signHS(HDR, claimsText({ iss: 'someone-else' })),
  tWrongAud: signHS(HDR, claimsText({ aud: 'player' })),
  tNoExp: signHS(HDR, JSON.stringify({ ...CLAIMS, exp: undefined })),
  tNoKid: signHS('{"alg":"HS256"}', claimsText({})),
  tNone: `${b64u('{"alg":"none","kid":"k1"}')}.${b64u(claimsText({}))}.`,
  tOtherKey: signHS(HDR, claimsText({}), HS_OTHER),
  tPlayback: signHS(HDR, claimsText({ scope: SCOPE_OBJ, ent: { maxQuality: 'HD', country: 'DE', device: 'web' } })),
};
TOKENS.tBadSig = flip(TOKENS.tGood);
// ES256 (verifyAsync goes to WebCrypto) and RS256 (the Mosaic end-user profile) keys, made per run.
const es = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ES_PUBLIC = { ...es.publicKey.export({ format: 'jwk' }), kid: 'e1' };
const signES = (h, p) => {
  const s = `${b64u(h)}.${b64u(p)}`;
  return `${s}.${crypto.sign('sha256', Buffer.from(s), { key: es.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
TOKENS.tEsGood = signES('{"alg":"ES256","kid":"e1"}', claimsText({}));
TOKENS.tEsBadSig = flip(TOKENS.tEsGood);
const rs = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const RS_PUBLIC = { ...rs.publicKey.export({ format: 'jwk' }), kid: 'mosaic-1' };
const signRS = (h, p) => {
  const s = `${b64u(h)}.${b64u(p)}`;
  return `${s}.${crypto.sign('sha256', Buffer.from(s), rs.privateKey).toString('base64url')}`;
};
const MOSAIC_CLAIMS = { sub: 'end-user', iss: 'ax-user-service', iat: NOW_S, exp: NOW_S + 600 };
const RS_TOKENS = {
  wrongIss: signRS('{"alg":"RS256","kid":"mosaic-1"}', JSON.stringify({ ...MOSAIC_CLAIMS, iss: 'someone' })),
  noKid: signRS('{"alg":"RS256"}', JSON.stringify(MOSAIC_CLAIMS)),
  expired: signRS('{"alg":"RS256","kid":"mosaic-1"}', JSON.stringify({ ...MOSAIC_CLAIMS, exp: NOW_S - 172800 })),
  badSig: flip(signRS('{"alg":"RS256","kid":"mosaic-1"}', JSON.stringify(MOSAIC_CLAIMS))),
};
// A local issuer's tokens (edge): minted once here, and its header reused to sign hostile payloads.
const ISSUER_CONFIG = { secret: { kty: 'oct', k: HS_K }, endpoint: '127.0.0.1' };
const T_ISSUED = EDGE.MomentoTokenIssuer.fromJson(JSON.stringify(ISSUER_CONFIG)).mint({ scope: JSON.stringify(SCOPE_OBJ), tokenId: 't1', lifetimeSeconds: 600, now: NOW });
const T_ISSUED_OTHER = EDGE.MomentoTokenIssuer.fromJson(JSON.stringify({ secret: { kty: 'oct', k: HS_OTHER }, endpoint: '127.0.0.1' }))
  .mint({ scope: JSON.stringify(SCOPE_OBJ), tokenId: 't1', lifetimeSeconds: 600, now: NOW });
const ISSUED_HEADER = Buffer.from(JSON.parse(Buffer.from(T_ISSUED, 'base64').toString()).api_key.split('.')[0], 'base64url').toString();
const CLOSED_PORT = await freePort(); // nothing listens there: a request is refused at once

// Fixtures, as source, evaluated in order in each module (later ones may use earlier ones and the
// module's exports). They are printed with a reproduction when a case uses them.
const FAKE_FETCH = "(url, init) => { globalThis.__hostileSent = (globalThis.__hostileSent ?? 0) + 1; return Promise.reject(new TypeError('refused by the test double')); }";
const FIXTURES = [
  ['ent', `Entitlement.fromBlob(${JSON.stringify(DOC_TEXT)})`],
  ['entDevice', 'Entitlement.fromBlob(\'{"device_restriction":["tv"]}\')'],
  ['entClaims', 'Entitlement.fromBlob(\'{"subscription_level":"premium"}\')'],
  ['policy', 'new Policy()'],
  ['policyClaims', `Policy.fromJson(${H.source(POLICY_OBJ)})`],
  ['page', `policy.evaluateCatalog(ent, ['movie_id_123', 'movie-x'], { country: 'DE', now: ${NOW} })`],
  ['scope', `PermissionScope.fromJson(${H.source(SCOPE_OBJ)})`],
  ['pBytes', `new Uint8Array(Buffer.from('${P_B64}', 'base64'))`],
  ['v1Token', JSON.stringify(V1_TOKEN)],
  ['mkJwt', "(h, p) => Buffer.from(h).toString('base64url') + '.' + Buffer.from(p).toString('base64url') + '.c2ln'"],
  ['mkV1', "(endpoint, apiKey) => Buffer.from('{\"endpoint\":' + endpoint + ',\"api_key\":' + apiKey + '}').toString('base64')"],
  ['client', `new CacheClient({ token: v1Token, baseUrl: 'http://127.0.0.1:${CLOSED_PORT}', timeoutMs: 500, retries: 0 })`],
  ['clientFake', `new CacheClient({ token: v1Token, baseUrl: 'http://127.0.0.1:${CLOSED_PORT}', timeoutMs: 500, retries: 0, fetch: ${FAKE_FETCH} })`],
  ['store', `new EntitlementStore({ policy, load: () => ${JSON.stringify(DOC_TEXT)}, clock: () => ${NOW}, loadTimeoutMs: 500 })`],
  // edge only (skipped where the class is missing)
  ['signHS', `(h, p, k = '${HS_K}') => { const c = process.getBuiltinModule('node:crypto'); const s = Buffer.from(h).toString('base64url') + '.' + Buffer.from(p).toString('base64url'); return s + '.' + c.createHmac('sha256', Buffer.from(k, 'base64url')).update(s).digest('base64url'); }`, 'JwtVerifier'],
  ['verifier', `JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [{ kty: 'oct', k: '${HS_K}', kid: 'k1' }], issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30, requireKid: true })`, 'JwtVerifier'],
  ['esVerifier', `JwtVerifier.fromJson({ algorithms: ['ES256'], keys: [${H.source(ES_PUBLIC)}] })`, 'JwtVerifier'],
  ['minter', `PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: { kty: 'oct', k: '${HS_K}' }, kid: 'k1', issuer: 'playgate-auth', audience: 'edge' })`, 'PlaybackTokenMinter'],
  ['issuer', `MomentoTokenIssuer.fromJson(${H.source(ISSUER_CONFIG)})`, 'MomentoTokenIssuer'],
  ['mkIssued', `(payload) => mkV1('"127.0.0.1"', JSON.stringify(signHS(${JSON.stringify(ISSUED_HEADER)}, payload)))`, 'MomentoTokenIssuer'],
  // Token texts: for the verifiers (edge) and the gate (both modules).
  ...Object.entries(TOKENS).map(([name, token]) => [name, JSON.stringify(token), 'createGate']),
  // The gate, in both modules: the verifier's options (the form either module takes).
  ['gate', `createGate({ verifier: { algorithms: ['HS256'], keys: [{ kty: 'oct', k: '${HS_K}', kid: 'k1' }], issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30, requireKid: true }, origin: 'http://127.0.0.1:${CLOSED_PORT}', country: { headers: ['CF-IPCountry'] }, clock: () => ${NOW}, timeoutMs: 300, fetch: ${FAKE_FETCH} })`, 'createGate'],
  ['tIssued', JSON.stringify(T_ISSUED), 'MomentoTokenIssuer'],
  ['tIssuedOther', JSON.stringify(T_ISSUED_OTHER), 'MomentoTokenIssuer'],
];
// Live handles of each class (as source, for the value pool), given a module prefix ('' or 'OTHER.').
const FACTORIES = {
  Policy: (p) => `new ${p}Policy()`,
  Entitlement: (p) => `${p}Entitlement.fromBlob('{}')`,
  PermissionScope: (p) => `${p}PermissionScope.fromJson({ permissions: [{ role: 'readwrite', cache: 'media' }] })`,
  JwtVerifier: (p) => `${p}JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [{ kty: 'oct', k: '${HS_K}' }] })`,
  PlaybackTokenMinter: (p) => `${p}PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: { kty: 'oct', k: '${HS_K}' } })`,
  MomentoTokenIssuer: (p) => `${p}MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: '${HS_K}' }, endpoint: '127.0.0.1' })`,
};

// ---- predicates: which substituted values may legitimately turn a denial into a grant ----
const safe = (fn, fallback = false) => {
  try {
    return fn();
  } catch {
    return fallback;
  }
};
const absent = (v) => v === undefined || v === null;
const ciEq = (v, s) => typeof v === 'string' && v.toLowerCase() === s;
const isPlainish = (v) => safe(() => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
});
const ownDefinedKeys = (v) => safe(() => Object.keys(v).filter((k) => v[k] !== undefined), ['?']);
/** "All" in a Momento selector position: `{}` (plain, no fields) or the SDK's description-less Symbol sentinel. */
const allSelector = (v) => (typeof v === 'symbol' && v.description === undefined) || (isPlainish(v) && ownDefinedKeys(v).length === 0);
const nameLike = (v) => typeof v === 'string' && /^[A-Za-z]+$/.test(v); // could be an operation or role name
/** An instant as the README reads it (epoch ms within a Date's range, a valid Date, RFC 3339 text): ms, null, or 'maybe'. */
function instantOf(v, whole = false) {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Math.abs(v) > 8.64e15 || (whole && !Number.isInteger(v))) return null;
    return Math.floor(v);
  }
  if (v instanceof Date) {
    const t = safe(() => Date.prototype.getTime.call(v), NaN);
    return Number.isNaN(t) ? null : t;
  }
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? 'maybe' : t;
  }
  return null;
}
const within = (v, lo, hi, whole) => {
  const t = instantOf(v, whole);
  return t === 'maybe' || (typeof t === 'number' && t >= lo && t < hi);
};
const utf8 = new TextDecoder('utf-8', { fatal: true });
/** The text of a blob as Entitlement.fromBlob documents it (string, Uint8Array, ArrayBuffer), or null. */
const blobText = (v) => safe(() => {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (v instanceof ArrayBuffer) return utf8.decode(new Uint8Array(v));
  return null;
}, null);
const parseJson = (text) => safe(() => JSON.parse(text.replace(/^\uFEFF/, '')), undefined);
/** Whether a document (parsed) could let DE in: no region, or a region naming DE. */
const regionLetsDeIn = (doc) => isPlainish(doc) && (absent(doc.region) || safe(() => (Array.isArray(doc.region) ? doc.region : String(doc.region).split(',')).some((c) => ciEq(String(c).trim(), 'de'))));
/**
 * Whether `v` is a live object of the module's class `name`: a Policy is a wasm-bindgen handle
 * (a pointer, 0 once freed); an Entitlement or a PermissionScope keeps its state in JS, so it is
 * live when the package itself takes it (a freed one, a Proxy or a look-alike is refused).
 */
const isLive = (v, M, name) => safe(() => {
  if (!(v instanceof M[name])) return false;
  if (name === 'Entitlement') return (new M.Policy().evaluate(v, { entityId: 'probe' }), true);
  if (name === 'PermissionScope') return typeof Reflect.get(M.PermissionScope.prototype, 'isSuperUser', v) === 'boolean';
  return v.__wbg_ptr !== 0;
}, false);
const bytesNotUtf8 = (v) => safe(() => v instanceof Uint8Array && blobText(v) === null);

/** mayGrant from a table of `path -> predicate(v, ctx)` (paths joined with '.', '*' for every item). */
const byTable = (table) => (key, v, ctx) => (table[key] ? table[key](v, ctx) : false);

// The scope probes: each is a check SCOPE_OBJ denies. A grant is reported per probe.
const PROBES = {
  A: ['get', 'other', '/Movie1/x', false],
  B: ['get', 'media', '/Movie2/x', false],
  C: ['set', 'media', '/Movie1/x', false],
  T1: ['subscribe', 'media', 'news', true],
  T2: ['publish', 'media', 'other', true],
};
/** The probes a scope grants, by `allows` (the JS plan) and by `explain` (the core); disagreement is a problem too. */
function scopeGrants(scope) {
  const out = [];
  for (const [name, [op, cache, key, topic]] of Object.entries(PROBES)) {
    const a = topic ? scope.allowsTopic(op, cache, key) : scope.allows(op, cache, key);
    const e = (topic ? scope.explainTopic(op, cache, key) : scope.explain(op, cache, key)).allowed;
    if (a !== e) out.push({ shape: `allows and explain disagree on probe ${name} (${op} ${cache} ${key}): ${a} vs ${e}` });
    if (a === true || e === true) out.push({ probe: name });
  }
  if (scope.isSuperUser) out.push({ probe: 'superUser' });
  return out;
}
/** mayGrant for a scope given as SDK JSON at `prefix` (e.g. '0.' for the first argument). */
function scopeTable(prefix) {
  const p0 = `${prefix}permissions.0.`;
  const p1 = `${prefix}permissions.1.`;
  const keyWidens = (v) => typeof v === 'string' && v.trim() !== '' && '/Movie2/x'.startsWith(v);
  const itemWidens = (v) => absent(v) || allSelector(v) || (isPlainish(v) && (keyWidens(safe(() => v.keyPrefix, undefined)) || safe(() => v.key === '/Movie2/x')));
  return {
    [`${p0}cache`]: (v, { probe }) => probe === 'A' && (allSelector(v) || v === 'other' || (isPlainish(v) && safe(() => v.name === 'other' || ownDefinedKeys(v).length === 0))),
    [`${p0}item`]: (v, { probe }) => probe === 'B' && itemWidens(v),
    [`${p0}item.keyPrefix`]: (v, { probe }) => probe === 'B' && (absent(v) || keyWidens(v)),
    [`${p0}role`]: (v, { probe }) => probe === 'C' && nameLike(v),
    [`${p1}role`]: (v, { probe }) => probe === 'T1' && nameLike(v),
    [`${p1}topic`]: (v, { probe }) => probe === 'T2' && (allSelector(v) || v === 'other' || (isPlainish(v) && safe(() => ['other', undefined].includes(v.name) && (absent(v.namePrefix) || 'other'.startsWith(v.namePrefix))))),
  };
}
const scopeText = (text) => {
  const parsed = parseJson(text);
  return parsed !== null && typeof parsed === 'object'; // a scope in JSON text: its meaning is its own
};

// ---- shape checks of what entry points return ----
const QUALITIES = ['SD', 'HD', 'UHD1', 'UHD2'];
function decisionShape(d, codes) {
  if (d === null || typeof d !== 'object') return `not a decision object: ${typeof d}`;
  if (typeof d.allowed !== 'boolean') return `allowed is ${typeof d.allowed}`;
  if (d.allowed ? d.code !== null : !codes.includes(d.code)) return `code ${String(d.code)} with allowed ${d.allowed}`;
  if (!Array.isArray(d.reasons) || !Array.isArray(d.claims)) return 'reasons or claims is not an array';
  if (d.maxQuality !== null && !QUALITIES.includes(d.maxQuality)) return `maxQuality ${String(d.maxQuality)}`;
  if (d.validUntil !== null && !Number.isFinite(d.validUntil)) return `validUntil ${String(d.validUntil)}`;
  return null;
}
const decisionGrants = (d) => (d && d.allowed === true ? [{ probe: 'allowed' }] : []);
const STORE_CODES = (M) => [...M.DECISION_CODES, 'ENTITLEMENT_MISSING', 'ENTITLEMENT_UNAVAILABLE', 'ENTITLEMENT_INVALID'];
/** JS source of a string expression: `text` with the marker @@V@@ replaced by V (a JSON text). */
const holed = (text) => text.split('@@V@@').map((part) => JSON.stringify(part)).join(' + V + ');
const payloadOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

// ---- the base calls ----
// kind: 'method' (self.method(args)), 'static' (Class.method(args)), 'fn', 'new', 'getter', 'free',
// or 'text' (a template where V is a JSON text or a string). `post(result, ctx)` returns problems:
// { probe } for a grant (checked against mayGrant) or { shape } for a malformed result.
const req = (extra) => ({ entityId: 'movie_id_123', country: 'US', device: 'web', now: NOW, ...extra });
const R = {
  license: { table: { '1.licenses': absent, '1.licenses.0.end': (v) => absent(v) || within(v, NOW + 1, 8.64e15 + 1, true), '1.entityType': (v) => v === 'channel' }, flips: { '1.licenses': ['undefined'], '1.licenses.0.end': ['undefined', String(UNTIL)], '1.entityType': ["'channel'"] },
    request: req({ entityType: 'movie', ancestors: ['series_id_456'], allowPersistence: false, licenses: [{ countries: ['US'], start: T2019, end: T2020 }] }) },
  expired: { table: { '1.now': (v) => within(v, FROM, UNTIL) }, flips: { '1.now': [String(NOW)] }, request: req({ ancestors: ['series_id_456'], now: LATER }) },
  region: { table: { '1.country': (v) => ciEq(v, 'us') }, flips: { '1.country': ["'US'"] }, request: req({ country: 'DE', allowPersistence: false }) },
  content: {
    table: { '1.entityId': (v) => ['movie_id_123', 'series_id_456'].includes(v), '1.ancestors': (v) => safe(() => [...v].some((x) => ['movie_id_123', 'series_id_456'].includes(x))), '1.ancestors.0': (v) => ['movie_id_123', 'series_id_456'].includes(v), '1.ancestors.1': (v) => ['movie_id_123', 'series_id_456'].includes(v) },
    flips: { '1.entityId': ["'movie_id_123'"], '1.ancestors': ["['series_id_456']"] },
    request: req({ entityId: 'movie-999', ancestors: ['series-9', 'season-1'] }),
  },
};
const liveEnt = { 0: (v, { M }) => isLive(v, M, 'Entitlement'), this: (v, { M }) => isLive(v, M, 'Policy') };
const withLive = (table) => byTable({ ...Object.fromEntries(Object.entries(liveEnt).map(([k, f]) => [String(k), f])), ...table });
const evaluateBase = (name, r, extra = {}) => ({
  entry: 'Policy#evaluate', name, kind: 'method', self: 'policy', cls: 'Policy', method: 'evaluate', args: [H.ref('ent'), r.request],
  post: (d, { M }) => { const s = decisionShape(d, M.DECISION_CODES); return s ? [{ shape: s }] : decisionGrants(d); },
  mayGrant: withLive(r.table), flips: r.flips, ...extra,
});
/** evaluateMany: probe i is request i; a substitution in request i (or in all, '*') may grant i as its table says. */
function manyGrant(tables) {
  return (key, v, ctx) => {
    if (key === '0') return isLive(v, ctx.M, 'Entitlement');
    if (key === 'this') return isLive(v, ctx.M, 'Policy');
    const m = /^1\.(\*|\d+)\.(.+)$/.exec(key);
    if (!m) return false;
    const i = Number(ctx.probe);
    if (m[1] !== '*' && Number(m[1]) !== i) return false;
    const f = tables[i]?.[`1.${m[2]}`];
    return f ? f(v, ctx) : false;
  };
}
const manyPost = (ds, { M }) => {
  if (!Array.isArray(ds)) return [{ shape: 'not an array' }];
  const out = [];
  ds.forEach((d, i) => {
    const s = decisionShape(d, M.DECISION_CODES);
    if (s) out.push({ shape: `[${i}] ${s}` });
    else if (d.allowed) out.push({ probe: String(i) });
  });
  return out;
};
function catalogPost(page, { M }) {
  const out = [];
  if (page === null || typeof page !== 'object' || !(page.bytes instanceof Uint8Array)) return [{ shape: 'not a CatalogDecisions' }];
  if (page.bytes.length !== page.length) out.push({ shape: 'bytes.length !== length' });
  for (let i = 0; i < page.length; i++) if (page.allowed(i)) out.push({ probe: String(i) });
  if (page.allowedIds().length > 0 && out.length === 0) out.push({ shape: 'allowedIds() names titles that allowed(i) denies' });
  return out;
}
/** A scope's grants and round trip through toJSON (a JSON form must not say more than the scope). */
function scopePost(scope, ctx) {
  if (!(scope instanceof ctx.M.PermissionScope)) return [{ shape: 'not a PermissionScope' }];
  const out = scopeGrants(scope);
  let json;
  try {
    json = scope.toJSON();
  } catch (e) {
    if (H.judgeThrown(e)) out.push({ shape: `toJSON threw ${H.describeThrown(e)}` });
    return out;
  }
  for (const g of scopeGrants(ctx.M.PermissionScope.fromJson(json))) if (g.probe && !out.some((o) => o.probe === g.probe)) out.push({ shape: `toJSON then fromJson grants probe ${g.probe} the scope denies` });
  return out;
}
const tokenScopePost = (result, ctx) => {
  const out = [];
  if (result?.verified !== false) out.push({ shape: `verified is ${String(result?.verified)}` });
  if (result?.scope) out.push(...scopeGrants(result.scope));
  return out;
};

/** Every base call, for both modules (a base whose class a module lacks is skipped there). */
function bases() {
  const list = [];
  const add = (b) => list.push(b);
  // -- exported functions and constants --
  add({ entry: 'fn default', name: 'init', kind: 'fn', fn: 'init', args: [undefined] });
  add({ entry: 'fn initSync', name: 'initSync', kind: 'fn', fn: 'initSync', args: [undefined] });
  add({ entry: 'fn qualityForSize', name: '1920x1080', kind: 'fn', fn: 'qualityForSize', args: [1920, 1080], post: (q) => (QUALITIES.includes(q) ? [] : [{ shape: `returned ${String(q)}` }]) });
  // -- manifests (filterManifest: the edge module only, for now) --
  const MANIFEST = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360\nsd.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=9000000,RESOLUTION=3840x2160\nuhd.m3u8\n';
  const uncapping = (q) => q === null || q === 'UHD1' || q === 'UHD2';
  add({
    entry: 'fn filterManifest', name: 'HLS capped at HD', kind: 'fn', fn: 'filterManifest', args: [MANIFEST, { maxQuality: 'HD' }],
    post: (r) => (typeof r?.text !== 'string' ? [{ shape: `returned ${String(r)}` }] : r.text.includes('uhd.m3u8') ? [{ probe: 'a variant above the cap kept' }] : []),
    mayGrant: byTable({ 0: (v) => v !== MANIFEST, 1: (v) => safe(() => uncapping(v.maxQuality)), '1.maxQuality': uncapping }),
  });
  const heights = (f) => [
    Number(/video_height:1-(\d+)$/.exec(f.mediaPackage ?? '')?.[1] ?? 0),
    Number(/MaxHeight<=(\d+)/.exec(decodeURIComponent(f.unifiedOrigin ?? ''))?.[1] ?? 0),
    Number(/max_resolution=(\d+)p$/.exec(f.mux ?? '')?.[1] ?? 0),
  ];
  add({
    entry: 'fn packagerFilters', name: 'HD', kind: 'fn', fn: 'packagerFilters', args: ['HD'],
    post: (f) => (f === null || typeof f !== 'object' ? [{ shape: `returned ${String(f)}` }]
      : heights(f).some((h) => h > 1080) || [f.mediaPackage, f.unifiedOrigin, f.mux].some((x) => x === null) ? [{ probe: 'a filter looser than HD' }] : []),
    mayGrant: byTable({ 0: uncapping }),
  });
  // -- the Axinom license message (edge): a message must never grant persistence it was not given
  const AXINOM = { keyIds: ['68945fc1-2337-4685-8dac-31cb808dc747'], comKeyId: '00000000-0000-0000-0000-000000000001', comKey: 'secret_key', policy: 'DEFAULT', allowPersistence: false };
  add({
    entry: 'fn axinomLicenseMessage', name: 'reference', kind: 'fn', fn: 'axinomLicenseMessage', args: [AXINOM],
    post: (jwt) => {
      if (typeof jwt !== 'string') return [{ shape: `returned ${String(jwt)}` }];
      const payload = parseJson(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
      if (!payload || typeof payload !== 'object') return [{ shape: 'payload is not a JSON object' }];
      return payload.message?.license?.allow_persistence === false ? [] : [{ probe: 'persistence granted' }];
    },
    mayGrant: byTable({ 0: (v) => safe(() => v.allowPersistence === true), '0.allowPersistence': (v) => v === true }),
  });
  // -- the edge gate (both modules): createGate's options, gate.fetch's request. Whatever one position
  // holds, a request the rules refuse (a key outside the scope, a rendition above the cap, an
  // expired token) is never proxied (the origin is a fetch double that counts) nor answered 2xx.
  const GATE_DENIED = `new Request('http://gate.example/Movie2/1080p/segment1.ts', { headers: { authorization: 'Bearer ' + tPlayback, 'cf-ipcountry': 'DE' } })`;
  const gateRefuses = async (res) => {
    if (!(res instanceof Response)) return [{ shape: `returned ${String(res)}` }];
    const body = await res.text();
    if (res.status < 400) return [{ probe: `answered ${res.status}` }];
    const json = parseJson(body);
    return json && typeof json.code === 'string' && typeof json.reason === 'string' ? [] : [{ shape: `a refusal without { code, reason }: ${body.slice(0, 100)}` }];
  };
  add({
    entry: 'fn createGate', name: 'a key outside the scope, through the new gate', kind: 'fn', fn: 'createGate',
    args: [{
      verifier: { algorithms: ['HS256'], keys: [{ kty: 'oct', k: HS_K, kid: 'k1' }], issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30, requireKid: true },
      origin: `http://127.0.0.1:${CLOSED_PORT}`, country: { headers: ['CF-IPCountry'] }, layout: '/{content}/{rendition}/{file}', cacheName: 'media',
      maxTokens: 10, timeoutMs: 300, clock: H.raw(`() => ${NOW}`), fetch: H.raw(FAKE_FETCH), forwardHeaders: ['range'], forwardQuery: ['v'],
      uncappedRenditions: ['audio'], cors: { origins: ['https://player.example'], credentials: false, maxAgeSeconds: 600 },
      segmentTokens: { secret: 'a-segment-secret-of-32-bytes-or-more', lifetimeSeconds: 120, via: 'uri' },
    }],
    countSent: true,
    post: async (gate, { F }) => {
      if (gate === null || typeof gate !== 'object' || typeof gate.fetch !== 'function') return [{ shape: `returned ${String(gate)}` }];
      const res = await gate.fetch(new Request('http://gate.example/Movie2/1080p/segment1.ts', { headers: { authorization: `Bearer ${F.tPlayback}`, 'cf-ipcountry': 'DE' } }));
      return gateRefuses(res);
    },
  });
  add({ entry: 'Gate#fetch', name: 'a key outside the scope', kind: 'method', self: 'gate', protoOf: 'gate', method: 'fetch', args: [H.raw(GATE_DENIED), {}, {}], async: true, countSent: true, post: gateRefuses });
  add({
    entry: 'Gate#fetch', name: 'an expired token in the cookie', kind: 'method', self: 'gate', protoOf: 'gate', method: 'fetch', async: true, countSent: true, post: gateRefuses,
    args: [H.raw("new Request('http://gate.example/Movie1/480p/segment1.ts', { headers: { cookie: 'playgate_token=' + tExpired, 'cf-ipcountry': 'DE' } })")],
  });
  add({
    entry: 'Gate#fetch', name: 'any token text, a rendition above the cap', kind: 'text', pool: 'string', async: true, countSent: true, post: gateRefuses,
    template: "gate.fetch((() => { const u = new URL('http://gate.example/Movie1/2160p/segment1.ts'); u.searchParams.set('token', String(V)); return new Request(u, { headers: { 'cf-ipcountry': 'DE' } }); })())",
  });
  // -- Policy --
  add({ entry: 'new Policy', name: 'extra argument', kind: 'new', cls: 'Policy', args: [undefined], post: (p, { M }) => (p instanceof M.Policy ? [] : [{ shape: 'not a Policy' }]) });
  const policyGrant = (v) => {
    const doc = typeof v === 'string' ? parseJson(v) : v;
    return safe(() => isPlainish(doc) && (absent(doc.tiers) || absent(doc.tiers.premium) || (absent(doc.tiers.premium.plan) && absent(doc.tiers.premium.claims))));
  };
  const policyPost = (p, ctx) => {
    if (!(p instanceof ctx.M.Policy)) return [{ shape: 'not a Policy' }];
    const d = p.evaluate(ctx.F.entClaims, { entityId: 'movie-1', country: 'DE', now: NOW });
    return decisionGrants(d);
  };
  const policyTable = {
    0: policyGrant, '0.tiers': (v) => absent(v) || (isPlainish(v) && safe(() => absent(v.premium) || (absent(v.premium.plan) && absent(v.premium.claims)))),
    '0.tiers.premium': (v) => absent(v) || (isPlainish(v) && safe(() => absent(v.plan) && absent(v.claims))), '0.tiers.premium.plan': absent,
  };
  add({ entry: 'Policy.fromJson', name: 'object', kind: 'static', cls: 'Policy', method: 'fromJson', args: [POLICY_OBJ], post: policyPost, mayGrant: byTable(policyTable), flips: { '0.tiers.premium.plan': ['undefined'] } });
  add({ entry: 'Policy.fromJson', name: 'text', kind: 'static', cls: 'Policy', method: 'fromJson', args: [JSON.stringify(POLICY_OBJ)], post: policyPost, mayGrant: byTable(policyTable) });
  add(evaluateBase('license ended', R.license));
  add(evaluateBase('document expired', R.expired));
  add(evaluateBase('country outside region', R.region));
  add(evaluateBase('content not allowed', R.content));
  add(evaluateBase('device not allowed', { table: { '1.device': (v) => ciEq(v, 'tv') }, flips: { '1.device': ["'tv'"] }, request: { entityId: 'movie-1', device: 'web', now: NOW } }, { args: [H.ref('entDevice'), { entityId: 'movie-1', device: 'web', now: NOW }] }));
  add(evaluateBase('claims deny twice', { table: {}, flips: {}, request: req({ entityId: 'movie-1', entityType: 'movie', country: 'DE', allowPersistence: true }) }, { self: 'policyClaims', args: [H.ref('entClaims'), req({ entityId: 'movie-1', entityType: 'movie', country: 'DE', allowPersistence: true })] }));
  const sharedReqs = [R.region.request, { ...R.region.request, entityId: 'series_id_456' }, { ...R.region.request, entityId: 'movie-x' }];
  const manyBase = (name, requests, tables) => ({
    entry: 'Policy#evaluateMany', name, kind: 'method', self: 'policy', cls: 'Policy', method: 'evaluateMany', args: [H.ref('ent'), requests],
    post: manyPost, mayGrant: manyGrant(tables), extraPaths: ['country', 'now', 'device', 'allowPersistence', 'entityId', 'ancestors'].map((k) => [1, '*', k]),
    flips: { '1.*.country': ["'US'"], '1.0.country': ["'US'"] },
  });
  add(manyBase('one shared context', sharedReqs, sharedReqs.map(() => R.region.table)));
  add(manyBase('mixed', [R.license.request, R.region.request, R.expired.request], [R.license.table, R.region.table, R.expired.table]));
  const catalogBase = (name, ids, context, table) => ({
    entry: 'Policy#evaluateCatalog', name, kind: 'method', self: 'policy', cls: 'Policy', method: 'evaluateCatalog', args: [H.ref('ent'), ids, context],
    post: catalogPost, mayGrant: withLive(table), flips: Object.fromEntries(Object.keys(table).map((k) => [k, k.endsWith('now') ? [String(NOW)] : ["'US'"]])),
  });
  add(catalogBase('country outside region', ['movie_id_123', 'series_id_456', 'movie-x'], { country: 'DE', device: 'web', now: NOW, allowPersistence: false }, { '2.country': (v) => ciEq(v, 'us') }));
  add(catalogBase('expired, an id with NUL', ['movie_id_123', 'movie\0x'], { country: 'US', now: LATER }, { '2.now': (v) => within(v, FROM, UNTIL) }));
  // -- CatalogDecisions (not exported: reached through a result) --
  const pageMethod = (method, args, post) => ({ entry: `CatalogDecisions#${method}`, name: 'a denied page', kind: 'method', self: 'page', protoOf: 'Object.getPrototypeOf(page)', method, args, post });
  add(pageMethod('allowed', [0], (r) => (r === true ? [{ probe: 'allowed' }] : typeof r === 'boolean' ? [] : [{ shape: `returned ${typeof r}` }])));
  add(pageMethod('code', [0], (r, { M }) => (r === null ? [{ probe: 'allowed' }] : M.DECISION_CODES.includes(r) ? [] : [{ shape: `returned ${String(r)}` }])));
  add(pageMethod('maxQuality', [0], (r) => (r === null || QUALITIES.includes(r) ? [] : [{ shape: `returned ${String(r)}` }])));
  add(pageMethod('allowedIds', [undefined], (r) => (Array.isArray(r) ? (r.length ? [{ probe: 'allowed' }] : []) : [{ shape: 'not an array' }])));
  // -- Entitlement --
  const entPost = (ent, ctx) => {
    if (!(ent instanceof ctx.M.Entitlement)) return [{ shape: 'not an Entitlement' }];
    return decisionGrants(ctx.F.policy.evaluate(ent, { entityId: 'movie_id_123', country: 'DE', now: NOW }));
  };
  const blobGrant = (v) => regionLetsDeIn(parseJson(blobText(v) ?? ''));
  add({ entry: 'Entitlement.fromBlob', name: 'text', kind: 'static', cls: 'Entitlement', method: 'fromBlob', args: [DOC_TEXT, { maxBytes: 4096 }], post: entPost, mayGrant: byTable({ 0: blobGrant }) });
  const dictGrant = (v) => (v instanceof Map ? !safe(() => v.has('region') && !absent(v.get('region')), true) : regionLetsDeIn(v));
  const dictTable = { 0: dictGrant, '0.region': (v) => absent(v) || (typeof v === 'string' && v.split(',').some((c) => ciEq(c.trim(), 'de'))) };
  add({ entry: 'Entitlement.fromDictionary', name: 'record', kind: 'static', cls: 'Entitlement', method: 'fromDictionary', args: [DICT, { maxBytes: 4096 }], post: entPost, mayGrant: byTable(dictTable), flips: { '0.region': ['undefined'] } });
  add({ entry: 'Entitlement.fromDictionary', name: 'Map', kind: 'static', cls: 'Entitlement', method: 'fromDictionary', args: [H.mapOf(Object.entries(DICT))], post: entPost, mayGrant: byTable(dictTable) });
  add({
    entry: 'Entitlement.fromDictionary', name: 'SDK Hit', kind: 'static', cls: 'Entitlement', method: 'fromDictionary', args: [{ type: 'Hit', valueRecord: H.raw(`() => (${H.source(DICT)})`) }], post: entPost,
    mayGrant: byTable({ 0: dictGrant, '0.valueRecord': (v) => absent(v) || typeof v === 'string' || typeof v === 'function' }),
  });
  // -- PermissionScope --
  add({ entry: 'PermissionScope.fromJson', name: 'SDK object', kind: 'static', cls: 'PermissionScope', method: 'fromJson', args: [SCOPE_OBJ], post: scopePost, mayGrant: byTable({ ...scopeTable('0.'), 0: (v) => typeof v === 'string' && scopeText(v) }), flips: { '0.permissions.0.item.keyPrefix': ['undefined'], '0.permissions.0.item': ['undefined'] } });
  add({ entry: 'PermissionScope.fromJson', name: 'JSON text', kind: 'static', cls: 'PermissionScope', method: 'fromJson', args: [JSON.stringify(SCOPE_OBJ)], post: scopePost, mayGrant: byTable({ 0: (v, { tags }) => tags.mutation || (typeof v === 'string' && scopeText(v)) }) });
  add({ entry: 'PermissionScope.fromProtobuf', name: 'bytes', kind: 'static', cls: 'PermissionScope', method: 'fromProtobuf', args: [H.ref('pBytes')], post: scopePost, mayGrant: byTable({ 0: (v, { tags }) => Boolean(tags.mutation || tags.random) }) });
  add({ entry: 'PermissionScope.fromProtobuf', name: 'base64', kind: 'static', cls: 'PermissionScope', method: 'fromProtobuf', args: [P_B64], post: scopePost, mayGrant: byTable({ 0: (v, { tags }) => Boolean(tags.mutation || tags.random || tags.edit) }) });
  const checkTable = { 0: nameLike, 1: (v) => v === 'media', 2: (v) => typeof v === 'string' && v.startsWith('/Movie1/') };
  const topicTable = { 0: nameLike, 2: (v) => v === 'news' };
  for (const [probe, [op, cache, key, topic]] of Object.entries(PROBES)) {
    const boolPost = (r) => (typeof r !== 'boolean' ? [{ shape: `returned ${typeof r}` }] : r ? [{ probe }] : []);
    const explainPost = (r) => (r === null || typeof r !== 'object' || typeof r.allowed !== 'boolean' ? [{ shape: 'not an explanation' }] : r.allowed ? [{ probe }] : []);
    const method = topic ? 'allowsTopic' : 'allows';
    const table = byTable(topic ? topicTable : checkTable);
    add({ entry: `PermissionScope#${method}`, name: `probe ${probe}`, kind: 'method', self: 'scope', cls: 'PermissionScope', method, args: [op, cache, key], post: boolPost, mayGrant: table });
    add({ entry: `PermissionScope#${topic ? 'explainTopic' : 'explain'}`, name: `probe ${probe}`, kind: 'method', self: 'scope', cls: 'PermissionScope', method: topic ? 'explainTopic' : 'explain', args: [op, cache, key], post: explainPost, mayGrant: table });
  }
  add({ entry: 'PermissionScope#toJSON', name: 'round trip', kind: 'method', self: 'scope', cls: 'PermissionScope', method: 'toJSON', args: [undefined], post: (j, ctx) => scopePost(ctx.M.PermissionScope.fromJson(j), ctx) });
  add({ entry: 'PermissionScope#isSuperUser', name: 'getter', kind: 'getter', self: 'scope', cls: 'PermissionScope', method: 'isSuperUser', args: [], post: (r) => (r === false ? [] : r === true ? [{ probe: 'superUser' }] : [{ shape: `returned ${typeof r}` }]) });
  // -- decodeMomentoToken --
  const tokenGrant = byTable({ 0: (v, { tags }) => Boolean(tags.mutation || tags.edit || tags.random) });
  add({ entry: 'fn decodeMomentoToken', name: 'v1 token', kind: 'fn', fn: 'decodeMomentoToken', args: [H.ref('v1Token')], post: (r, ctx) => [...tokenScopePost(r, ctx), ...(r?.scope ? [] : [{ probe: 'scope null (unknown) for a v1 token whose api_key is a JWT with p' }])], mayGrant: tokenGrant });
  const jwtApiKey = (payloadSource) => `JSON.stringify(mkJwt('{"alg":"HS256"}', ${payloadSource}))`;
  /** After decoding a token whose p is the base scope: the scope must be there and deny. */
  const mustScope = (r, ctx) => [...tokenScopePost(r, ctx), ...(r && r.scope === null ? [{ shape: 'a JWT api_key with a p claim decoded with scope null ("unknown")' }] : [])];
  add({ entry: 'fn decodeMomentoToken', name: 'v1 endpoint field', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkV1(V, ${jwtApiKey(JSON.stringify(V1_PAYLOAD))}))`, post: mustScope });
  add({
    entry: 'fn decodeMomentoToken', name: 'v1 api_key field', kind: 'text', pool: 'json', template: "decodeMomentoToken(mkV1('\"cell-1.example.com\"', V))",
    extra: ['"a.b.c"', '"..."', '"x."', JSON.stringify(mkJwt('{}', '{}')), JSON.stringify(mkJwt('{"alg":"HS256"}', 'not json')), JSON.stringify(mkJwt('{"alg":"HS256"}', `{"p":"${P_B64.slice(0, 20)}"}`)), JSON.stringify(mkJwt('{"alg":"HS256"}', '{"p":"%%%"}')), JSON.stringify(`${mkJwt('{"alg":"HS256"}', V1_PAYLOAD)}.extra`)],
    post: (r, ctx) => {
      const out = tokenScopePost(r, ctx);
      const apiKey = parseJson(ctx.text);
      if (r && r.scope === null && typeof apiKey === 'string' && apiKey.includes('.')) {
        const payload = parseJson(safe(() => Buffer.from(apiKey.split('.')[1], 'base64url').toString(), ''));
        if (payload === undefined || (payload !== null && typeof payload === 'object' && !absent(payload.p))) out.push({ shape: 'an api_key that is a JWT (corrupt, or with a p claim) decoded as "unknown" (scope null)' });
      }
      return out;
    },
  });
  add({ entry: 'fn decodeMomentoToken', name: 'JWT p claim', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkV1('"cell-1.example.com"', ${jwtApiKey(holed('{"sub":"u","exp":4102444800,"p":@@V@@}'))}))`, extra: [`"${P_B64.slice(0, 20)}"`, `"${P_B64.replace(/=+$/, '')}"`, `"${P_B64}=="`, `"${Buffer.from(P_B64, 'base64').toString('base64url')}"`],
    post: (r, ctx) => [...tokenScopePost(r, ctx), ...(r && r.scope === null && parseJson(ctx.text) !== null ? [{ shape: 'a p claim that is present decoded as scope null ("unknown")' }] : [])], mayGrant: (k, v, { tags }) => Boolean(tags.random) });
  add({ entry: 'fn decodeMomentoToken', name: 'JWT exp claim', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkV1('"cell-1.example.com"', ${jwtApiKey(holed(`{"sub":"u","p":"${P_B64}","exp":@@V@@}`))}))`, extra: ['4102444800.5', '"4102444800"', '[4102444800]', '1e300'],
    post: (r, ctx) => {
      const out = mustScope(r, ctx);
      const exp = parseJson(ctx.text);
      if (r && exp === null && r.expiresAt !== null) out.push({ shape: 'exp null but expiresAt set' });
      if (r && exp !== null && !Number.isSafeInteger(exp)) out.push({ shape: `exp ${ctx.text.slice(0, 40)} (not a whole number) accepted: expiresAt ${r.expiresAt}` });
      if (r && r.expiresAt !== null && !Number.isFinite(r.expiresAt)) out.push({ shape: `expiresAt ${r.expiresAt}` });
      return out;
    } });
  add({ entry: 'fn decodeMomentoToken', name: 'JWT sub claim', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkV1('"cell-1.example.com"', ${jwtApiKey(holed(`{"p":"${P_B64}","sub":@@V@@}`))}))`,
    post: (r, ctx) => [...mustScope(r, ctx), ...(r && r.subject !== null && typeof r.subject !== 'string' ? [{ shape: `subject is ${typeof r.subject}` }] : [])] });
  add({ entry: 'fn decodeMomentoToken', name: 'JWT header', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkV1('"cell-1.example.com"', JSON.stringify(mkJwt(V, ${JSON.stringify(V1_PAYLOAD)}))))`, post: mustScope });
  add({ entry: 'fn decodeMomentoToken', name: 'legacy c claim', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkJwt('{"alg":"HS256"}', ${holed(`{"sub":"u","cp":"cp.cell-1.example.com","p":"${P_B64}","c":@@V@@}`)}))`,
    post: (r, ctx) => [...tokenScopePost(r, ctx), ...(r && r.httpBaseUrl !== null && typeof r.httpBaseUrl !== 'string' ? [{ shape: 'httpBaseUrl not a string' }] : [])] });
  add({ entry: 'fn decodeMomentoToken', name: 'v2 t claim', kind: 'text', pool: 'json', template: `decodeMomentoToken(mkJwt('{"alg":"HS256"}', ${holed(`{"id":"x","p":"${P_B64}","t":@@V@@}`)}))`, post: tokenScopePost });
  // -- CacheClient --
  const sent = () => globalThis.__hostileSent ?? 0;
  /** A client the token's scope governs: a key outside it is refused locally, nothing is sent. */
  async function clientRefuses(client, ctx) {
    const out = [];
    if (!(client instanceof ctx.M.CacheClient)) return [{ shape: 'not a CacheClient' }];
    const before = sent();
    const r = await H.outcome(() => client.get('media', '/Movie2/x'), HANG_MS);
    if (r.hang) out.push({ kind: 'hang', shape: `get() of a key outside the scope did not settle within ${HANG_MS} ms` });
    else if (!r.threw) out.push({ probe: 'get /Movie2/x resolved' });
    else if (H.judgeThrown(r.error)) out.push({ kind: `follow-up get(): ${H.judgeThrown(r.error)}`, shape: H.describeThrown(r.error) });
    else if (r.error.code !== 'PERMISSION_DENIED') out.push({ probe: `get /Movie2/x went past the scope check (${r.error.code})` });
    if (sent() !== before) out.push({ probe: 'a request was sent for a key outside the scope' });
    // A key inside the scope goes to fetch: whatever fetch does, the result is coded, in time.
    const ok = await H.outcome(() => client.get('media', '/Movie1/seg.ts', { timeoutMs: 300 }), HANG_MS);
    if (ok.hang) out.push({ kind: 'hang', shape: `get() of a permitted key with timeoutMs 300 did not settle within ${HANG_MS} ms` });
    else if (ok.threw && H.judgeThrown(ok.error)) out.push({ kind: `follow-up get(): ${H.judgeThrown(ok.error)}`, shape: H.describeThrown(ok.error) });
    return out;
  }
  const CLIENT_OPTIONS = { token: H.ref('v1Token'), baseUrl: `http://127.0.0.1:${CLOSED_PORT}`, timeoutMs: 300, retries: 0, retryDelayMs: 0, maxResponseBytes: 4096, tokenIn: 'header', checkScope: true, defaultTtlSeconds: 60, fetch: H.raw(FAKE_FETCH) };
  add({ entry: 'new CacheClient', name: 'options', kind: 'new', cls: 'CacheClient', args: [CLIENT_OPTIONS], post: clientRefuses, async: true, mayGrant: byTable({ '0.token': (v, { tags }) => !tags.sameAsBase, '0.checkScope': (v) => v === false }), flips: { '0.checkScope': ['false'] } });
  const keyGrant = { '1': (v) => bytesNotUtf8(v) };
  /** A call that must be refused locally: it must not resolve, and must not reach fetch. */
  const refusedPost = async () => [{ probe: 'resolved' }];
  const clientCall = (method, name, args, table) => ({ entry: `CacheClient#${method}`, name, kind: 'method', self: 'clientFake', cls: 'CacheClient', method, args, async: true, countSent: true, post: refusedPost, mayGrant: byTable(table) });
  add(clientCall('get', 'key outside the scope', ['media', '/Movie2/x', { timeoutMs: 300, maxBytes: 1024, signal: H.raw('new AbortController().signal') }], { 1: (v) => bytesNotUtf8(v) || (typeof v === 'string' && v.startsWith('/Movie1/')) || safe(() => blobText(v).startsWith('/Movie1/')) }));
  add(clientCall('set', 'readonly token', ['media', '/Movie1/x', 'value', { ttlSeconds: 60, timeoutMs: 300 }], keyGrant));
  add(clientCall('delete', 'readonly token', ['media', '/Movie1/x', { timeoutMs: 300 }], keyGrant));
  add({ entry: 'CacheClient#get', name: 'closed port', kind: 'method', self: 'client', cls: 'CacheClient', method: 'get', args: ['media', '/Movie1/seg.ts', { timeoutMs: 300 }], async: true });
  add({ entry: 'CacheClient#allows', name: 'key outside the scope', kind: 'method', self: 'clientFake', cls: 'CacheClient', method: 'allows', args: ['get', 'media', '/Movie2/x'],
    post: (r) => (typeof r !== 'boolean' ? [{ shape: `returned ${typeof r}` }] : r ? [{ probe: 'allows' }] : []), mayGrant: byTable({ 0: nameLike, 2: (v) => bytesNotUtf8(v) || (typeof v === 'string' && v.startsWith('/Movie1/')) || safe(() => blobText(v).startsWith('/Movie1/')) }) });
  // -- CacheError --
  add({ entry: 'new CacheError', name: 'details', kind: 'new', cls: 'CacheError', args: ['NETWORK_ERROR', 'message', { status: 500, retryable: true, local: false, attempts: 1 }], post: (e, { M }) => (e instanceof M.CacheError && e instanceof Error ? [] : [{ shape: 'not a CacheError' }]) });
  // -- EntitlementStore --
  const storeDecidePost = async (d, ctx) => { const s = decisionShape(d, STORE_CODES(ctx.M)); return s ? [{ shape: s }] : decisionGrants(d); };
  const storeRefuses = async (store, ctx) => {
    if (!(store instanceof ctx.M.EntitlementStore)) return [{ shape: 'not an EntitlementStore' }];
    const r = await H.outcome(() => store.decide('u', R.region.request), HANG_MS);
    if (r.hang) return [{ kind: 'hang', shape: `decide() did not settle within ${HANG_MS} ms` }];
    if (r.threw) return H.judgeThrown(r.error) ? [{ kind: `follow-up decide(): ${H.judgeThrown(r.error)}`, shape: H.describeThrown(r.error) }] : [];
    return storeDecidePost(r.value, ctx);
  };
  const STORE_OPTIONS = { policy: H.ref('policy'), load: H.raw(`() => ${JSON.stringify(DOC_TEXT)}`), maxEntries: 10, maxAgeMs: 1000, missTtlMs: 0, loadTimeoutMs: 300, maxBytes: 4096, clock: H.raw(`() => ${NOW}`) };
  add({ entry: 'new EntitlementStore', name: 'load', kind: 'new', cls: 'EntitlementStore', args: [STORE_OPTIONS], post: storeRefuses, async: true, mayGrant: byTable({ '0.policy': (v, { M }) => isLive(v, M, 'Policy') }) });
  add({ entry: 'new EntitlementStore', name: 'cache', kind: 'new', cls: 'EntitlementStore', args: [{ policy: H.ref('policy'), cache: H.ref('clientFake'), cacheName: 'entitlements', loadTimeoutMs: 300 }], post: storeRefuses, async: true, mayGrant: byTable({ '0.policy': (v, { M }) => isLive(v, M, 'Policy') }) });
  add({ entry: 'EntitlementStore#decide', name: 'country outside region', kind: 'method', self: 'store', cls: 'EntitlementStore', method: 'decide', args: ['u', R.region.request], async: true, post: storeDecidePost, mayGrant: byTable(R.region.table), flips: R.region.flips });
  add({ entry: 'EntitlementStore#decide', name: 'license ended', kind: 'method', self: 'store', cls: 'EntitlementStore', method: 'decide', args: ['u', R.license.request], async: true, post: storeDecidePost, mayGrant: byTable(R.license.table), flips: R.license.flips });
  add({ entry: 'EntitlementStore#decide', name: 'what the loader returns', kind: 'text', pool: 'js', async: true, template: `new EntitlementStore({ policy, load: () => V, clock: () => ${NOW}, loadTimeoutMs: 300 }).decide('u', ${H.source(R.region.request)})`, post: storeDecidePost,
    mayGrant: (k, v) => (v instanceof Map ? dictGrant(v) : blobText(v) !== null ? blobGrant(v) : isPlainish(v) && regionLetsDeIn(v)) });
  add({ entry: 'EntitlementStore#invalidate', name: 'user key', kind: 'method', self: 'store', cls: 'EntitlementStore', method: 'invalidate', args: ['u'] });
  add({ entry: 'EntitlementStore#clear', name: 'extra argument', kind: 'method', self: 'store', cls: 'EntitlementStore', method: 'clear', args: [undefined] });
  add({ entry: 'EntitlementStore#size', name: 'getter', kind: 'getter', self: 'store', cls: 'EntitlementStore', method: 'size', args: [], post: (n) => (Number.isInteger(n) && n >= 0 ? [] : [{ shape: `size ${String(n)}` }]) });
  // -- JwtVerifier (edge) --
  const VERIFIER_CONFIG = { algorithms: ['HS256'], keys: [{ kty: 'oct', k: HS_K, kid: 'k1' }], issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30, requireKid: true, requireExp: true };
  // A leeway a verifier may have: whole seconds, 0 to 86,400 (a live verifier of any config).
  add({ entry: 'JwtVerifier#leewaySeconds', name: 'getter', kind: 'getter', self: 'verifier', cls: 'JwtVerifier', method: 'leewaySeconds', args: [], post: (n) => (Number.isInteger(n) && n >= 0 && n <= 86400 ? [] : [{ shape: `leewaySeconds ${String(n)}` }]) });
  const DENIED = ['tExpired', 'tWrongIss', 'tWrongAud', 'tNoExp', 'tNoKid', 'tNone', 'tOtherKey', 'tBadSig'];
  const verifierPost = (v, ctx) => {
    if (!(v instanceof ctx.M.JwtVerifier)) return [{ shape: 'not a JwtVerifier' }];
    const out = [];
    for (const name of DENIED) {
      try {
        v.verify(TOKENS[name], { now: NOW });
        out.push({ probe: name });
      } catch (e) {
        if (H.judgeThrown(e)) out.push({ shape: `verify(${name}) threw ${H.describeThrown(e)}` });
      }
    }
    return out;
  };
  const configTable = {
    0: (v) => typeof v === 'string' && scopeText(v), '0.issuer': (v, { probe }) => probe === 'tWrongIss' && absent(v),
    '0.audience': (v, { probe }) => probe === 'tWrongAud' && absent(v), '0.requireExp': (v, { probe }) => probe === 'tNoExp' && v === false,
    '0.requireKid': (v, { probe }) => probe === 'tNoKid' && (v === false || absent(v)),
  };
  add({ entry: 'JwtVerifier.fromJson', name: 'HS256 config', kind: 'static', cls: 'JwtVerifier', method: 'fromJson', args: [VERIFIER_CONFIG], post: verifierPost, mayGrant: byTable(configTable), flips: { '0.issuer': ['undefined'], '0.audience': ['undefined'] } });
  add({ entry: 'JwtVerifier.fromJson', name: 'HS256 config text', kind: 'static', cls: 'JwtVerifier', method: 'fromJson', args: [JSON.stringify(VERIFIER_CONFIG)], post: verifierPost, mayGrant: byTable({ 0: (v, { tags }) => Boolean(tags.mutation) || (typeof v === 'string' && scopeText(v)) }) });
  add({
    entry: 'JwtVerifier.mosaicEndUser', name: 'JWKS', kind: 'static', cls: 'JwtVerifier', method: 'mosaicEndUser', args: [{ keys: [RS_PUBLIC] }],
    post: (v, ctx) => {
      if (!(v instanceof ctx.M.JwtVerifier)) return [{ shape: 'not a JwtVerifier' }];
      const out = [];
      for (const [name, token] of Object.entries(RS_TOKENS)) {
        try {
          v.verify(token, { now: NOW });
          out.push({ probe: name });
        } catch (e) {
          if (H.judgeThrown(e)) out.push({ shape: `verify(${name}) threw ${H.describeThrown(e)}` });
        }
      }
      return out;
    },
    bigOnly: true, // RSA verification costs ~1 ms: the generic pool only at the top level
  });
  const verifiedPost = (r) => (r && typeof r === 'object' && r.claims && typeof r.claims === 'object' ? [{ probe: 'verified' }] : [{ shape: 'not a verified token' }]);
  const nowTable = (lo, hi) => byTable({ '1.now': (v) => within(v, lo, hi) });
  for (const method of ['verify', 'verifyAsync', 'verifyPlayback', 'verifyPlaybackAsync']) {
    const async = method.endsWith('Async');
    const playback = method.startsWith('verifyPlayback');
    const entry = `JwtVerifier#${method}`;
    const post = playback ? (r, ctx) => (r?.scope ? scopePost(r.scope, ctx).concat([{ probe: 'verified' }]) : [{ shape: 'no scope' }]) : verifiedPost;
    add({ entry, name: 'expired token', kind: 'method', self: 'verifier', cls: 'JwtVerifier', method, args: [H.ref('tExpired'), { now: NOW }], async, post, mayGrant: nowTable((NOW_S - 173400 - 30) * 1000, (NOW_S - 172800 + 30) * 1000), flips: { '1.now': [String(NOW - 172800_000)] } });
    add({ entry, name: 'bad signature', kind: 'method', self: 'verifier', cls: 'JwtVerifier', method, args: [H.ref('tBadSig'), { now: NOW }], async, post });
    if (playback) {
      add({ entry, name: 'playback token', kind: 'method', self: 'verifier', cls: 'JwtVerifier', method, args: [H.ref('tPlayback'), { now: NOW + 1000 }], async, post: (r, ctx) => (r?.scope ? scopePost(r.scope, ctx) : [{ shape: 'no scope' }]) });
    }
    if (async) {
      add({ entry, name: 'ES256 bad signature (WebCrypto)', kind: 'method', self: 'esVerifier', cls: 'JwtVerifier', method, args: [H.ref('tEsBadSig'), { now: NOW }], async, post });
      add({ entry, name: 'ES256 signature segment', kind: 'text', pool: 'string', async, template: `esVerifier.${method}(${JSON.stringify(TOKENS.tEsGood.split('.').slice(0, 2).join('.'))} + '.' + V, { now: ${NOW} })`, post });
    }
    // Signed with the right key: only the hostile field can refuse the token.
    const playbackPost = (r, ctx) => (r?.scope ? scopePost(r.scope, ctx).concat([{ probe: 'verified' }]) : [{ shape: 'no scope' }]);
    const signedPost = playback ? playbackPost : verifiedPost;
    const signed = (field, where, legit, extra = [], base = {}) => add({
      entry, name: `signed, hostile ${field}`, kind: 'text', pool: 'json', async, extra,
      template: where === 'header'
        ? `verifier.${method}(signHS(${holed(`{"alg":"HS256","kid":"k1","${field}":@@V@@}`)}, ${JSON.stringify(claimsText(base))}), { now: ${NOW} })`
        : `verifier.${method}(signHS(${JSON.stringify(HDR)}, ${holed(claimsText({ ...base, [field]: '@@' }).replace('"@@"', '@@V@@'))}), { now: ${NOW} })`,
      post: signedPost, mayGrant: (k, v, { text, tags }) => Boolean(tags.random) || legit(parseJson(text)),
    });
    const pb = playback ? { scope: SCOPE_OBJ } : {};
    signed('exp', 'claims', (x) => typeof x === 'number' && Number.isFinite(x) && x >= NOW_S - 30, ['"4102444800"', '[4102444800]', '{"exp":4102444800}', '4102444800.5'], pb);
    signed('nbf', 'claims', (x) => x === null || (typeof x === 'number' && Number.isFinite(x) && x <= NOW_S + 30), ['"0"', '[0]', '{}'], pb);
    signed('iss', 'claims', (x) => x === 'playgate-auth', ['"playgate-auth\\u0000"', '"PLAYGATE-AUTH"', '["playgate-auth"]', '" playgate-auth"', '{"playgate-auth":true}'], pb);
    signed('aud', 'claims', (x) => x === 'edge' || (Array.isArray(x) && x.includes('edge')), ['"edge\\u0000"', '"EDGE"', '["edgex"]', '[["edge"]]', '{"edge":1}', '"edg"', '"edge "', '[]'], pb);
    signed('crit', 'header', () => false, ['["exp"]', '["x-unknown"]', '[]'], pb);
    signed('jwk', 'header', (x) => false, [JSON.stringify({ kty: 'oct', k: HS_K, kid: 'k1' })], pb);
    add({
      entry, name: 'signed, hostile alg', kind: 'text', pool: 'json', async, extra: ['"hs256"', '"HS256 "', '"HS256\\u0000"', '["HS256"]', '"none"', '"HS512"', '"ES256"'],
      template: `verifier.${method}(signHS(${holed('{"kid":"k1","alg":@@V@@}')}, ${JSON.stringify(claimsText(pb))}), { now: ${NOW} })`, post: signedPost,
      mayGrant: (k, v, { text }) => parseJson(text) === 'HS256',
    });
    add({
      entry, name: 'signed, hostile kid', kind: 'text', pool: 'json', async, extra: ['"k1\\u0000"', '"K1"', '["k1"]', '"k1 "', '1'],
      template: `verifier.${method}(signHS(${holed('{"alg":"HS256","kid":@@V@@}')}, ${JSON.stringify(claimsText(pb))}), { now: ${NOW} })`, post: signedPost,
      mayGrant: (k, v, { text }) => parseJson(text) === 'k1',
    });
    if (playback) {
      add({ entry, name: 'signed, hostile scope claim', kind: 'text', pool: 'json', async, template: `verifier.${method}(signHS(${JSON.stringify(HDR)}, ${holed(claimsText({ scope: '@@' }).replace('"@@"', '@@V@@'))}), { now: ${NOW} })`,
        post: (r, ctx) => (r?.scope ? scopePost(r.scope, ctx) : [{ shape: 'no scope' }]), mayGrant: (k, v, { text, tags }) => Boolean(tags.random) || scopeText(text) });
      add({ entry, name: 'signed, hostile ent claim', kind: 'text', pool: 'json', async, template: `verifier.${method}(signHS(${JSON.stringify(HDR)}, ${holed(claimsText({ scope: SCOPE_OBJ, ent: '@@' }).replace('"@@"', '@@V@@'))}), { now: ${NOW} })`,
        post: (r, ctx) => [...(r?.scope ? scopePost(r.scope, ctx) : [{ shape: 'no scope' }]), ...(r && r.entitlement !== null && (typeof r.entitlement !== 'object') ? [{ shape: `entitlement is ${typeof r.entitlement}` }] : [])] });
    }
  }
  // -- PlaybackTokenMinter (edge) --
  const minted = (token, ctx) => {
    if (typeof token !== 'string') return [{ shape: `mint returned ${typeof token}` }];
    const payload = payloadOf(token);
    const out = [];
    if (!Number.isSafeInteger(payload.iat) || !Number.isSafeInteger(payload.exp) || payload.exp <= payload.iat) out.push({ shape: `minted iat ${payload.iat} exp ${payload.exp}` });
    let verified;
    try {
      verified = ctx.F.verifier.verifyPlayback(token, { now: payload.iat * 1000 + 1000 });
    } catch (e) {
      if (H.judgeThrown(e)) out.push({ shape: `verifyPlayback of a minted token threw ${H.describeThrown(e)}` });
      return out;
    }
    out.push(...scopePost(verified.scope, ctx));
    const ent = verified.entitlement;
    if (ent !== null && (ent.maxQuality != null && !QUALITIES.includes(ent.maxQuality))) out.push({ shape: `minted maxQuality ${String(ent.maxQuality)}` });
    if (ent !== null && ent.country != null && !/^[A-Z]{2}$/.test(ent.country)) out.push({ shape: `minted country ${JSON.stringify(ent.country)}` });
    return out;
  };
  add({
    entry: 'PlaybackTokenMinter.fromJson', name: 'HS256 config', kind: 'static', cls: 'PlaybackTokenMinter', method: 'fromJson',
    args: [{ algorithm: 'HS256', key: { kty: 'oct', k: HS_K }, kid: 'k1', issuer: 'playgate-auth', audience: 'edge', lifetimeSeconds: 300 }],
    post: (m, ctx) => (m instanceof ctx.M.PlaybackTokenMinter ? minted(m.mint({ scope: SCOPE_OBJ, now: NOW }), ctx) : [{ shape: 'not a minter' }]),
  });
  add({
    entry: 'PlaybackTokenMinter#mint', name: 'options', kind: 'method', self: 'minter', cls: 'PlaybackTokenMinter', method: 'mint',
    args: [{ scope: SCOPE_OBJ, subject: 'user-42', entitlement: { maxQuality: 'HD', country: 'de', device: 'web' }, now: NOW }], post: minted,
    mayGrant: byTable({ ...scopeTable('0.scope.'), '0.scope': (v, { M }) => isLive(v, M, 'PermissionScope') }), flips: { '0.scope.permissions.0.item': ['undefined'] },
  });
  // -- MomentoTokenIssuer (edge) --
  const issued = (token, ctx, issuer = ctx.F.issuer) => {
    if (typeof token !== 'string') return [{ shape: `mint returned ${typeof token}` }];
    const d = ctx.M.decodeMomentoToken(token);
    const out = [];
    if (!Number.isSafeInteger(d.expiresAt)) out.push({ shape: `minted expiresAt ${d.expiresAt}` });
    let v;
    try {
      v = issuer.verify(token, { now: d.expiresAt - 1000 });
    } catch (e) {
      if (H.judgeThrown(e)) out.push({ shape: `verify of a minted token threw ${H.describeThrown(e)}` });
      return out;
    }
    out.push(...scopePost(v.scope, ctx));
    return out;
  };
  add({ entry: 'MomentoTokenIssuer.fromJson', name: 'config', kind: 'static', cls: 'MomentoTokenIssuer', method: 'fromJson', args: [ISSUER_CONFIG],
    post: (i, ctx) => (i instanceof ctx.M.MomentoTokenIssuer ? issued(i.mint({ scope: SCOPE_OBJ, tokenId: 't1', lifetimeSeconds: 600, now: NOW }), ctx, i) : [{ shape: 'not an issuer' }]) });
  add({
    entry: 'MomentoTokenIssuer#mint', name: 'options', kind: 'method', self: 'issuer', cls: 'MomentoTokenIssuer', method: 'mint', args: [{ scope: SCOPE_OBJ, tokenId: 't1', lifetimeSeconds: 600, now: NOW }],
    post: (t, ctx) => {
      const out = issued(t, ctx);
      const d = safe(() => ctx.M.decodeMomentoToken(t), null);
      if (ctx.key === '0.lifetimeSeconds' && ctx.mode === 'value' && d && ctx.value != null && !(Number.isInteger(ctx.value) && ctx.value >= 1 && ctx.value <= 90000)) out.push({ shape: `lifetimeSeconds ${String(ctx.value)} accepted` });
      return out;
    },
    mayGrant: byTable({ ...scopeTable('0.scope.'), '0.scope': (v, { M }) => isLive(v, M, 'PermissionScope') }), flips: { '0.scope.permissions.0.item': ['undefined'] },
  });
  const issuerVerified = (r, ctx) => (r?.scope ? [...scopePost(r.scope, ctx), { probe: 'verified' }] : [{ shape: 'no scope' }]);
  add({ entry: 'MomentoTokenIssuer#verify', name: 'expired token', kind: 'method', self: 'issuer', cls: 'MomentoTokenIssuer', method: 'verify', args: [H.ref('tIssued'), { now: NOW + 172800_000 }], post: issuerVerified, mayGrant: nowTable(-8.64e15, NOW + 600_000), flips: { '1.now': [String(NOW)] } });
  add({ entry: 'MomentoTokenIssuer#verify', name: 'another issuer\'s token', kind: 'method', self: 'issuer', cls: 'MomentoTokenIssuer', method: 'verify', args: [H.ref('tIssuedOther'), { now: NOW }], post: issuerVerified });
  add({ entry: 'MomentoTokenIssuer#verify', name: 'signed, hostile exp', kind: 'text', pool: 'json', template: `issuer.verify(mkIssued(${holed(`{"sub":"t1","ver":1,"p":"${P_B64}","exp":@@V@@}`)}), { now: ${NOW} })`, extra: ['"4102444800"', '1e300', '4102444800.5'],
    post: issuerVerified, mayGrant: (k, v, { text, tags }) => Boolean(tags.random) || ((x) => typeof x === 'number' && Number.isFinite(x) && x > NOW_S && Number.isInteger(x))(parseJson(text)) });
  add({ entry: 'MomentoTokenIssuer#verify', name: 'signed, hostile p', kind: 'text', pool: 'json', template: `issuer.verify(mkIssued(${holed('{"sub":"t1","ver":1,"exp":4102444800,"p":@@V@@}')}), { now: ${NOW} })`,
    post: (r, ctx) => (r?.scope ? scopePost(r.scope, ctx) : [{ shape: 'verified without a scope' }]), mayGrant: (k, v, { tags }) => Boolean(tags.random) });
  return list;
}
const BASES = bases();

/** Base calls for `free` and `Symbol.dispose`, for every class with a factory. */
function freeBases(M) {
  const out = [];
  for (const [name, make] of Object.entries(FACTORIES)) {
    if (!M[name]) continue;
    out.push({ entry: `${name}#free`, name: 'fresh handle', kind: 'free', cls: name, method: 'free', factory: make(''), args: [undefined] });
    if (typeof M[name].prototype[Symbol.dispose] === 'function') out.push({ entry: `${name}#[Symbol.dispose]`, name: 'fresh handle', kind: 'free', cls: name, method: '[Symbol.dispose]', factory: make(''), args: [undefined] });
  }
  return out;
}

// ---- entry points, from the module at run time and from its .d.ts ----
const WASM_CLASS = (v) => typeof v === 'function' && typeof v.prototype?.free === 'function';
function runtimeEntries(M, F) {
  const out = new Set();
  const addClass = (name, C, exported) => {
    if (exported) out.add(`new ${name}`);
    for (const k of Object.getOwnPropertyNames(C)) if (!['length', 'name', 'prototype', 'caller', 'arguments'].includes(k) && !k.startsWith('_')) out.add(`${name}.${k}`);
    for (const k of Reflect.ownKeys(C.prototype)) {
      if (k === 'constructor' || (typeof k === 'string' && k.startsWith('_'))) continue;
      out.add(`${name}#${k === Symbol.dispose ? '[Symbol.dispose]' : typeof k === 'symbol' ? `[${String(k)}]` : k}`);
    }
  };
  for (const [name, v] of Object.entries(M)) {
    if (typeof v !== 'function') out.add(`const ${name}`);
    else if (/^[A-Z]/.test(name) && v.prototype) addClass(name, v, true);
    else out.add(`fn ${name}`);
  }
  const page = F.page; // CatalogDecisions: a class the module does not export
  addClass(Object.getPrototypeOf(page).constructor.name, Object.getPrototypeOf(page).constructor, false);
  return out;
}
/** Methods and constructors the .d.ts declares for the module's classes and functions. */
async function declaredEntries(dir, M) {
  const { readFile } = await import('node:fs/promises');
  const out = new Set();
  let text = '';
  for (const file of ['index.d.ts', 'playgate.d.ts']) text += await readFile(path.join(PKG, dir, file), 'utf8').catch(() => '');
  for (const m of text.matchAll(/^export (?:declare )?function (\w+)/gm)) out.add(`fn ${m[1]}`);
  if (/^export default function/m.test(text)) out.add('fn default');
  for (const m of text.matchAll(/^export (?:declare )?const (\w+)/gm)) out.add(`const ${m[1]}`);
  for (const m of text.matchAll(/^export (?:declare )?(class|interface) (\w+)[^{]*\{/gm)) {
    const name = m[2];
    if (!(name in M) && name !== 'CatalogDecisions') continue;
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    while (depth > 0 && i < text.length) depth += text[i] === '{' ? 1 : text[i] === '}' ? -1 : 0, i++;
    const body = text.slice(start, i - 1);
    let level = 0;
    for (const line of body.split('\n')) {
      if (level === 0) {
        const mm = /^\s*(private\s+)?(static\s+)?(readonly\s+)?(get\s+)?([A-Za-z_$][\w$]*)\??\s*(\(|:|<)/.exec(line);
        if (mm && !line.trim().startsWith('*') && !line.trim().startsWith('/')) {
          const member = mm[5];
          if (member === 'constructor') { if (!mm[1]) out.add(`new ${name}`); }
          else if (mm[6] !== ':' || (name in M && Object.getOwnPropertyDescriptor(M[name].prototype, member)?.get)) out.add(`${name}${mm[2] ? '.' : '#'}${member}`);
        }
      }
      for (const ch of line) level += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    }
  }
  return out;
}

// ---- the run ----
const MODULES = [
  { name: 'player', M: PLAYER, OTHER: EDGE, file: FILES.player, otherFile: FILES.edge, dts: 'web' },
  { name: 'edge', M: EDGE, OTHER: PLAYER, file: FILES.edge, otherFile: FILES.player, dts: 'edge/web' },
];
const RESERVED = new Set(['default']);
for (const mod of MODULES) {
  mod.exportNames = Object.keys(mod.M).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && !RESERVED.has(n));
  mod.fixtureNames = [];
  mod.fixtureSrc = {};
  mod.F = {};
  for (const [name, src, needs] of FIXTURES) {
    if (needs && !mod.M[needs]) continue;
    const fn = new Function(...mod.exportNames, 'init', 'OTHER', ...mod.fixtureNames, `return (${src});`);
    mod.F[name] = fn(...mod.exportNames.map((n) => mod.M[n]), mod.M.default, mod.OTHER, ...mod.fixtureNames.map((n) => mod.F[n]));
    mod.fixtureNames.push(name);
    mod.fixtureSrc[name] = src;
  }
  mod.params = [...mod.exportNames, 'init', 'OTHER', ...mod.fixtureNames, 'V', 'R'];
  mod.args = (V, R) => [...mod.exportNames.map((n) => mod.M[n]), mod.M.default, mod.OTHER, ...mod.fixtureNames.map((n) => mod.F[n]), V, R];
  const classes = Object.keys(mod.M).filter((n) => WASM_CLASS(mod.M[n]) || ['CacheClient', 'EntitlementStore'].includes(n));
  const otherClasses = Object.keys(mod.OTHER).filter((n) => typeof mod.OTHER[n] === 'function');
  mod.handleValues = H.handleValues(classes, FACTORIES, otherClasses)
    .concat(['page', 'store', 'clientFake', 'scope', 'ent'].map((n) => ({ id: `fixture ${n}`, src: n, tags: { live: mod.F[n].constructor.name, fixture: true } })));
  mod.bases = [...BASES.filter((b) => usable(b, mod.M)), ...freeBases(mod.M)];
}
function usable(base, M) {
  const cls = base.cls ?? /^(?:new |fn )?(\w+)/.exec(base.entry)[1];
  if (base.entry.startsWith('fn ')) return typeof M[base.fn === 'init' ? 'default' : base.fn] === 'function';
  if (base.entry.startsWith('CatalogDecisions')) return true;
  if (base.entry.startsWith('Gate#')) return typeof M.createGate === 'function'; // the object createGate returns
  if (base.kind === 'text') return (!/verifier|signHS/i.test(base.template) || Boolean(M.JwtVerifier)) && (!/issuer\.|mkIssued/.test(base.template) || Boolean(M.MomentoTokenIssuer));
  return Boolean(M[cls]);
}

/** A compiled factory per source and module (values are built fresh for every call). */
const compiled = new Map();
function compile(mod, body) {
  const key = `${mod.name}\n${body}`;
  let fn = compiled.get(key);
  if (!fn) compiled.set(key, (fn = new Function(...mod.params, body)));
  return fn;
}
const bigCache = new Map();
function makeValue(mod, value) {
  if (value.big) {
    const key = `${mod.name}\n${value.src}`;
    if (!bigCache.has(key)) bigCache.set(key, compile(mod, `return (${value.src});`)(...mod.args(undefined, undefined)));
    return bigCache.get(key);
  }
  return compile(mod, `return (${value.src});`)(...mod.args(undefined, undefined));
}

/** Values derived from a base value (its source `S`): same content in another form, or an edit. */
function derivedValues(S, v, rand) {
  const same = { sameAsBase: true };
  const list = [];
  const push = (src, tags = {}) => list.push({ id: src.replaceAll(S, 'BASE').slice(0, 80), src, tags: { derived: true, ...tags } });
  const VM = "process.getBuiltinModule('node:vm')";
  if (typeof v === 'string') {
    for (const src of [`new String(${S})`, `[${S}]`, `{ toString: () => ${S} }`, `${VM}.runInNewContext('new String(s)', { s: ${S} })`]) push(src, same);
    for (const src of [`new TextEncoder().encode(${S})`, `Buffer.from(${S})`, `new TextEncoder().encode(${S}).buffer`,
      `((t) => { const b = new TextEncoder().encode('{}      ' + t + '{}'); return b.subarray(8, b.length - 2); })(${S})`,
      `((t) => { const e = new TextEncoder().encode(t); const s = new Uint8Array(new SharedArrayBuffer(e.length)); s.set(e); return s; })(${S})`]) push(src, same);
    for (const src of [`new Int8Array(new TextEncoder().encode(${S}))`, `new DataView(new TextEncoder().encode(${S}).buffer)`, `Uint16Array.from(${S}, (c) => c.charCodeAt(0))`,
      `${S} + '\\0'`, `'\\uFEFF' + ${S}`, `${S} + '\\uD800'`, `${S}.slice(0, -1)`, `${S}.toUpperCase()`, `' ' + ${S}`]) push(src, { edit: true });
    for (let i = 0; i < Math.ceil(RANDOM_PER_PATH / 2); i++) list.push({ id: 'random edit of BASE', src: H.randomMutation(rand, v), tags: { mutation: true } });
  } else if (typeof v === 'number') {
    for (const src of [`new Number(${S})`, `String(${S})`, `new Date(${S})`, `${S} + 0.5`, `-(${S})`, `${S} * 1000`, `Math.floor(${S} / 1000)`, `[${S}]`]) push(src);
    if (Number.isSafeInteger(v)) push(`BigInt(${S})`);
  } else if (typeof v === 'boolean') {
    for (const src of [`new Boolean(${S})`, `String(${S})`, `+${S}`, `!${S}`]) push(src);
  } else if (v instanceof Uint8Array) {
    for (const src of [`${S}.slice()`, `Buffer.from(${S})`, `${S}.buffer.slice(${S}.byteOffset, ${S}.byteOffset + ${S}.byteLength)`,
      `((s) => { const b = new Uint8Array(s.length + 16); b.set(s, 8); return b.subarray(8, 8 + s.length); })(${S})`, `btoa(String.fromCharCode(...${S}))`,
      `((s) => { const c = new Uint8Array(new SharedArrayBuffer(s.length)); c.set(s); return c; })(${S})`]) push(src, same);
    for (const src of [`new Int8Array(${S}.slice().buffer)`, `new DataView(${S}.slice().buffer)`, `Array.from(${S})`, `${S}.subarray(0, -1)`,
      `((s) => { const c = s.slice(); structuredClone(c.buffer, { transfer: [c.buffer] }); return c; })(${S})`]) push(src, { edit: true });
  } else if (Array.isArray(v)) {
    for (const src of [`Object.freeze(${S})`, `new Proxy(${S}, {})`, `${VM}.runInNewContext('[...s]', { s: ${S} })`, `Object.setPrototypeOf(${S}, null)`, `${S}.concat(${S})`]) push(src, same);
    for (const src of [`[...${S}, undefined]`, `[...${S}, ,]`, `new Set(${S})`, `Object.assign({}, ${S})`]) push(src, same);
  } else if (v !== null && typeof v === 'object') {
    for (const src of [`Object.freeze(${S})`, `Object.assign(Object.create(null), ${S})`, `new Proxy(${S}, {})`, `${VM}.runInNewContext('({ ...s })', { s: ${S} })`,
      `{ ...${S}, [Symbol('extra')]: 1 }`, `Object.defineProperty(${S}, 'hidden', { value: 1 })`, `new Map(Object.entries(${S}))`, `Object.create(${S})`,
      `Object.assign(new (class Request {})(), ${S})`, `{ ...${S}, unknownField: 1 }`]) push(src, same);
  }
  return list;
}

/** The cases of one base: { key, label, mode, value, template }. */
/** Whether a receiver case may corrupt the instance: free / dispose on a live handle (of any class, or the other module). */
const dangerous = (base, c) => base.kind === 'free' && c.key === 'this' && Boolean(c.value.tags?.live || c.value.tags?.foreign);

function* cases(mod, base, rand, first, which = 'args') {
  if (which !== 'args') {
    if (!['method', 'getter', 'free', 'static'].includes(base.kind)) return;
    for (const value of [...H.CHEAP_VALUES, ...mod.handleValues]) {
      const c = { key: 'this', label: 'this', mode: 'value', value, template: receiverSource(base) };
      if (dangerous(base, c) === (which === 'dangerous')) yield c;
    }
    return;
  }
  if (base.kind === 'text') {
    const pool = base.pool === 'json' ? [...H.JSON_TEXTS, ...(base.extra ?? []).map((text) => ({ id: text.slice(0, 60), src: JSON.stringify(text), text }))]
      : base.pool === 'string' ? [...mod.stringValues, ...Array.from({ length: RANDOM_PER_PATH }, () => ({ id: 'random string', src: randomString(rand), tags: { random: true } }))]
        : [...H.CHEAP_VALUES, ...mod.handleValues, ...(first ? H.BIG_VALUES : [])];
    if (base.pool === 'json') for (let i = 0; i < RANDOM_PER_PATH; i++) pool.push({ ...H.randomJsonText(rand), tags: { random: true } });
    if (base.pool === 'js') for (let i = 0; i < RANDOM_PER_PATH; i++) pool.push({ id: 'random', src: H.randomValue(rand), tags: { random: true } });
    for (const value of pool) yield { key: 'V', label: 'V', mode: 'value', value, template: base.template };
    return;
  }
  const args = base.args;
  const call = (hole) => callSource(base, hole);
  const allPaths = [...H.paths(args), ...(base.extraPaths ?? [])];
  for (const p of allPaths) {
    const key = p.join('.');
    const label = H.pathText(p, base.argNames);
    const node = H.nodeAt(args, p);
    const template = call({ path: p, mode: 'value' });
    const topLevel = p.length === 1;
    if (base.bigOnly && !topLevel) continue;
    const pool = [...H.CHEAP_VALUES, ...mod.handleValues];
    if (first && topLevel) pool.push(...H.BIG_VALUES);
    if (!p.includes('*')) {
      const isRef = H.isRef(node);
      const baseValue = isRef ? mod.F[H.refName(node)] : node;
      const S = isRef ? H.refName(node) : H.source(node);
      const special = node !== null && typeof node === 'object' && !isRef && Object.getOwnPropertySymbols(node).length > 0; // raw or Map nodes
      const handle = isRef && typeof baseValue === 'object' && !(baseValue instanceof Uint8Array); // a fixture handle: never copied or frozen
      if (!special && !handle) pool.push(...derivedValues(S, baseValue, rand));
    }
    for (let i = 0; i < RANDOM_PER_PATH; i++) pool.push({ id: 'random', src: H.randomValue(rand), tags: { random: true } });
    for (const value of pool) yield { key, label, mode: 'value', value, template };
    if (H.parentIsObject(args, p) && !p.includes('*')) {
      yield { key, label, mode: 'getterThrows', value: { id: 'a getter that throws', src: 'undefined' }, template: call({ path: p, mode: 'getterThrows' }) };
      yield { key, label, mode: 'getterSame', value: { id: 'a getter returning the same value', src: 'undefined' }, template: call({ path: p, mode: 'getterSame' }) };
      for (const f of ['undefined', 'null', 'NaN', ...(base.flips?.[key] ?? [])]) {
        yield { key, label, mode: 'getterOnce', value: { id: `a getter: the base value on the first read, then ${f}`, src: f }, template: call({ path: p, mode: 'getterOnce' }) };
      }
    }
  }
  for (const [key, flips] of Object.entries(base.flips ?? {})) { // '*' paths: every request at once
    if (!key.includes('*')) continue;
    const p = key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    for (const f of flips) yield { key, label: H.pathText(p, base.argNames), mode: 'value', value: { id: f, src: f }, template: call({ path: p, mode: 'value' }) };
  }
}
function randomString(rand) {
  const src = H.randomValue(rand);
  return src.startsWith('"') ? src : JSON.stringify(src); // a string either way
}
function callSource(base, hole) {
  const args = base.args.map((a, i) => H.source(a, [i], hole)).join(', ');
  switch (base.kind) {
    case 'method': return `${base.self}.${base.method}(${args})`;
    case 'static': return `${base.cls}.${base.method}(${args})`;
    case 'fn': return `${base.fn}(${args})`;
    case 'new': return `new ${base.cls}(${args})`;
    case 'getter': return `${base.self}.${base.method}`;
    case 'free': return base.method === 'free' ? `(${base.factory}).free(${args})` : `(${base.factory})[Symbol.dispose](${args})`;
    default: throw new Error(`kind ${base.kind}`);
  }
}
function receiverSource(base) {
  const args = base.args.map((a) => H.source(a)).join(', ');
  const comma = args ? `, ${args}` : '';
  switch (base.kind) {
    case 'method': return `${base.protoOf ?? `${base.cls}.prototype`}.${base.method}.call(V${comma})`;
    case 'static': return `${base.cls}.${base.method}.call(V${comma})`;
    case 'getter': return `Object.getOwnPropertyDescriptor(${base.cls}.prototype, '${base.method}').get.call(V)`;
    case 'free': return base.method === 'free' ? `${base.cls}.prototype.free.call(V${comma})` : `${base.cls}.prototype[Symbol.dispose].call(V${comma})`;
    default: throw new Error(`kind ${base.kind}`);
  }
}

/** One line of JS reproducing a case: the import, the fixtures it uses, V, and the call. */
function repro(mod, c) {
  const used = new Set();
  const want = (text) => {
    for (const name of mod.fixtureNames) if (!used.has(name) && new RegExp(`\\b${name}\\b`).test(text)) { used.add(name); want(mod.fixtureSrc[name]); }
  };
  const body = `${c.template}`;
  want(body);
  want(c.value.src);
  const lines = [];
  const allText = body + c.value.src + [...used].map((n) => mod.fixtureSrc[n]).join(' ');
  const names = mod.exportNames.filter((n) => new RegExp(`\\b${n}\\b`).test(allText));
  if (/\binit\(/.test(body)) names.push('default: init');
  lines.push(`const { ${names.join(', ')} } = await import(${JSON.stringify(mod.file)});`);
  if (/\bOTHER\b/.test(allText)) lines.push(`const OTHER = await import(${JSON.stringify(mod.otherFile)});`);
  for (const name of mod.fixtureNames) if (used.has(name)) lines.push(`const ${name} = ${mod.fixtureSrc[name]};`);
  if (c.mode === 'getterOnce') lines.push('const R = { n: 0 };');
  lines.push(`const V = ${c.value.src};`);
  lines.push(`${body};`);
  return lines.join(' ');
}

/** The module still answers known questions correctly. */
function stillWorks(mod) {
  const { M } = mod;
  const ent = M.Entitlement.fromBlob(DOC_TEXT);
  const policy = new M.Policy();
  const d = policy.evaluate(ent, { entityId: 'movie_id_123', country: 'US', now: NOW });
  assert.equal(d.allowed, true, 'a known-good request is allowed');
  assert.equal(d.validUntil, UNTIL);
  assert.equal(policy.evaluate(ent, { entityId: 'movie_id_123', country: 'DE', now: NOW }).code, 'COUNTRY_NOT_ALLOWED');
  assert.deepEqual(policy.evaluateCatalog(ent, ['movie_id_123', 'movie-x'], { country: 'US', now: NOW }).allowedIds(), ['movie_id_123']);
  assert.equal(policy.evaluate(ent, { entityId: 'movie_id_123', country: 'US', now: NOW, licenses: [{ countries: ['US'], end: T2020 }] }).code, 'LICENSE_IS_NOT_VALID');
  const scope = M.PermissionScope.fromJson(SCOPE_OBJ);
  assert.equal(scope.allows('get', 'media', '/Movie1/a.ts'), true);
  assert.equal(scope.explain('get', 'media', '/Movie1/a.ts').allowed, true);
  assert.deepEqual(scopeGrants(scope), []);
  assert.equal(M.decodeMomentoToken(V1_TOKEN).scope.allows('get', 'media', '/Movie2/a.ts'), false);
  if (M.JwtVerifier) {
    const verifier = M.JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [{ kty: 'oct', k: HS_K, kid: 'k1' }], issuer: 'playgate-auth', audience: 'edge' });
    assert.equal(verifier.verify(TOKENS.tGood, { now: NOW }).claims.sub, 'user-42');
    assert.throws(() => verifier.verify(TOKENS.tBadSig, { now: NOW }), { code: 'BAD_SIGNATURE' });
  }
  // No free() here: the free tests judge it, and a broken free must not hide every other finding.
}

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(H.describeThrown(reason)));
// An exception thrown from a timer the package set (say, the store freeing dropped documents) is
// recorded for the case that was running; node:test fails the test for it as well.
process.on('uncaughtException', (error) => unhandled.push(`uncaught exception: ${H.describeThrown(error)}`));

/** Runs every case of `entryBases` on `mod`; returns the failures. */
async function runEntry(mod, entry, entryBases, rand, which = 'args') {
  const failures = [];
  let calls = 0;
  for (const [bi, base] of entryBases.entries()) {
    for (const c of cases(mod, base, rand, bi === 0, which)) {
      calls++;
      const fail = (kind, detail) => failures.push({ entry, base: base.name, label: c.label, mode: c.mode, valueId: c.value.id, kind, detail, repro: () => repro(mod, c) });
      let V;
      try {
        V = makeValue(mod, c.value);
      } catch (e) {
        fail('harness', `the value could not be built: ${H.describeThrown(e)}`);
        continue;
      }
      const fn = compile(mod, `return ${c.template};`);
      const before = globalThis.__hostileSent ?? 0;
      const unhandledBefore = unhandled.length;
      const t0 = performance.now();
      const r = await H.outcome(() => fn(...mod.args(V, { n: 0 })), HANG_MS);
      if (SLOW_MS && performance.now() - t0 > SLOW_MS) console.log(`# slow: ${Math.round(performance.now() - t0)} ms ${entry} ${c.label} ${c.value.id.slice(0, 80)}`);
      const sentDuring = (globalThis.__hostileSent ?? 0) !== before;
      if (r.hang) {
        fail('hang', `did not settle within ${HANG_MS} ms`);
        continue;
      }
      const took = performance.now() - t0;
      if (took > 5000) fail('hang', `took ${Math.round(took)} ms`);
      if (r.threw) {
        const why = H.judgeThrown(r.error);
        if (why) fail(why + (r.async ? ' (rejected)' : ''), H.describeThrown(r.error));
      }
      if (base.countSent && sentDuring && !(c.mode === 'value' && !c.value.tags?.sameAsBase && safe(() => base.mayGrant?.(c.key, V, { M: mod.M, F: mod.F, probe: 'sent', tags: c.value.tags ?? {}, text: c.value.text })))) {
        fail('allowed where the rules deny', 'probe: a request was sent for a key outside the scope');
      }
      if (!r.threw && base.post) {
        const ctx = { M: mod.M, F: mod.F, key: c.key, mode: c.mode, value: V, tags: c.value.tags ?? {}, text: c.value.text, resolved: true, sentDuring };
        let problems;
        try {
          problems = await base.post(r.value, ctx);
        } catch (e) {
          const why = H.judgeThrown(e);
          if (why) fail(`follow-up call: ${why}`, H.describeThrown(e));
          problems = [];
        }
        const legitReceiver = c.key === 'this' && c.value.tags?.live === base.cls; // another live handle of the class: its own answers
        for (const p of problems) {
          if (p.shape) fail(p.kind ?? 'malformed result', p.shape);
          else if (!legitReceiver && !(c.mode === 'value' && !c.value.tags?.sameAsBase && safe(() => base.mayGrant?.(c.key, V, { ...ctx, probe: p.probe })))) fail('allowed where the rules deny', `probe ${p.probe}`);
        }
      }
      if (unhandled.length > unhandledBefore) fail('unhandled rejection or uncaught exception', unhandled.slice(unhandledBefore).join('; '));
      if (which === 'dangerous') {
        try {
          stillWorks(mod);
        } catch (e) {
          fail('module broken by this call', `the next known-good call: ${H.describeThrown(e)}`);
          return { failures, calls, broken: true };
        }
      }
    }
    const before = unhandled.length;
    await sleep(5); // timers the package set during the group (e.g. the store freeing documents) run now
    if (unhandled.length > before) {
      failures.push({ entry, base: base.name, label: '-', mode: '-', valueId: '-', kind: 'unhandled rejection or uncaught exception after the group', detail: unhandled.slice(before).join('; ').slice(0, 400), repro: () => '(from a timer or promise of an earlier call of the group)' });
    }
    try {
      stillWorks(mod);
    } catch (e) {
      failures.push({ entry, base: base.name, label: '-', mode: '-', valueId: '-', kind: 'module broken after the group', detail: H.describeThrown(e), repro: () => '(after the whole group)' });
      break;
    }
  }
  return { failures, calls };
}

/** Failures grouped by what happened, each with its paths, values and one reproduction. */
function report(failures) {
  const groups = new Map();
  for (const f of failures) {
    const detail = f.detail.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"…"').slice(0, 120);
    const key = `${f.entry} | ${f.kind} | ${f.label}${f.mode !== 'value' ? ` (${f.mode})` : ''} | ${detail}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { first: f, count: 0, values: new Set() }));
    g.count++;
    if (g.values.size < 6) g.values.add(f.valueId);
  }
  const lines = [];
  for (const [key, g] of groups) {
    lines.push(`- ${key} ×${g.count} [base: ${g.first.base}] values: ${[...g.values].join(' ; ')}`);
    lines.push(`    ${g.first.detail}`);
    lines.push(`    repro: ${g.first.repro()}`);
  }
  return lines.join('\n');
}

// One test per entry point and module; one per module for foreign receivers; one per module, in
// a child process, for the receivers that may corrupt an instance.
const COVERED = new Map(MODULES.map((mod) => [mod.name, new Set(mod.bases.map((b) => b.entry))]));
for (const mod of MODULES) {
  mod.stringValues = H.CHEAP_VALUES.filter((v) => safe(() => typeof makeValue(mod, v) === 'string'));
  // Values made with the module (live, freed, foreign handles): one that cannot be made is a
  // failure of its own test, and left out of the pool rather than failing every case.
  mod.poolProblems = [];
  mod.handleValues = mod.handleValues.filter((v) => {
    try {
      makeValue(mod, v);
      return true;
    } catch (e) {
      mod.poolProblems.push(`${v.id}: ${v.src} threw ${H.describeThrown(e)}`);
      return false;
    }
  });
}
if (CHILD) {
  const mod = MODULES.find((m) => m.name === CHILD);
  const out = [];
  let calls = 0;
  for (const base of mod.bases) {
    if (base.kind !== 'free') continue;
    const r = await runEntry(mod, base.entry, [base], H.mulberry32(SEED), 'dangerous');
    calls += r.calls;
    out.push(...r.failures.map((f) => ({ ...f, repro: f.repro() })));
    if (r.broken) break;
  }
  process.stdout.write(`\n${JSON.stringify({ calls, failures: out })}\n`);
  process.exit(0);
}
for (const mod of MODULES) {
  test(`${mod.name}: the hostile handles (live, freed, of the other module) can be made`, () => {
    assert.deepEqual(mod.poolProblems, [], 'making a handle, or freeing one, failed');
  });
  const byEntry = new Map();
  for (const b of mod.bases) byEntry.set(b.entry, [...(byEntry.get(b.entry) ?? []), b]);
  for (const [entry, entryBases] of byEntry) {
    test(`${mod.name}: ${entry}`, async (t) => {
      const rand = H.mulberry32(SEED ^ H.hash32(`${mod.name}:${entry}`));
      const started = performance.now();
      const { failures, calls } = await runEntry(mod, entry, entryBases, rand);
      t.diagnostic(`${calls} calls in ${Math.round(performance.now() - started)} ms, seed ${SEED}`);
      if (failures.length) assert.fail(`${failures.length} of ${calls} hostile calls failed (seed ${SEED}):\n${report(failures)}`);
    });
  }
  test(`${mod.name}: every method, static function and getter called on a foreign receiver (this)`, async (t) => {
    const failures = [];
    let calls = 0;
    for (const [entry, entryBases] of byEntry) {
      const r = await runEntry(mod, entry, entryBases.slice(0, 1), H.mulberry32(SEED), 'receiver');
      failures.push(...r.failures);
      calls += r.calls;
    }
    t.diagnostic(`${calls} calls`);
    if (failures.length) assert.fail(`${failures.length} of ${calls} calls on a foreign receiver failed (seed ${SEED}):\n${report(failures)}`);
  });
  test(`${mod.name}: free and [Symbol.dispose] called on a live handle of another class or module (own process)`, async (t) => {
    const { spawnSync } = await import('node:child_process');
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, PLAYGATE_HOSTILE_CHILD: mod.name, PLAYGATE_HOSTILE_SEED: String(SEED) }, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20,
    });
    const last = child.stdout.trim().split('\n').at(-1);
    let result;
    try {
      result = JSON.parse(last);
    } catch {
      assert.fail(`the child process ended without a result (status ${child.status}, signal ${child.signal}):\n${child.stderr.slice(-2000)}`);
    }
    t.diagnostic(`${result.calls} calls`);
    if (result.failures.length) {
      assert.fail(`${result.failures.length} of ${result.calls} calls failed (seed ${SEED}; the child stops at the first call that breaks the instance):\n${report(result.failures.map((f) => ({ ...f, repro: () => f.repro })))}`);
    }
  });
}

test('DECISION_CODES: frozen, the twelve codes, unchanged by everything above', () => {
  for (const { M } of MODULES) {
    assert.ok(Object.isFrozen(M.DECISION_CODES));
    assert.equal(M.DECISION_CODES.length, 12);
    assert.throws(() => { 'use strict'; M.DECISION_CODES.push('X'); }, TypeError);
  }
});

test('coverage: every public entry point of both modules has hostile cases', async () => {
  const missing = [];
  for (const mod of MODULES) {
    const covered = new Set([...COVERED.get(mod.name), 'const DECISION_CODES']);
    const found = runtimeEntries(mod.M, mod.F);
    const declared = await declaredEntries(mod.dts, mod.M);
    for (const e of found) {
      // A wasm class whose .d.ts constructor is private (made by its static functions only).
      if (e.startsWith('new ') && WASM_CLASS(mod.M[e.slice(4)]) && !declared.has(e)) continue;
      if (!covered.has(e)) missing.push(`${mod.name}: ${e} (not covered)`);
    }
    for (const e of declared) {
      if (!found.has(e)) missing.push(`${mod.name}: ${e} (declared in ${mod.dts}/*.d.ts but missing at run time)`);
      else if (!covered.has(e)) missing.push(`${mod.name}: ${e} (declared, not covered)`);
    }
  }
  assert.deepEqual([...new Set(missing)], [], 'entry points without hostile cases');
});
