// Playback tokens verified on the platform's own WebCrypto, for the edge gate in either module:
// the signature by `crypto.subtle` (HS256, ES256, RS256, EdDSA: no curve or bignum code in the
// module), the header and claims by JSON.parse. The rules are the edge module's JwtVerifier's
// (src/token/jwt.rs `Verifier::from_json`, `verify`, `verify_playback`), the same codes in the same
// order; tests/node/webjwt.test.mjs holds the two to the same answers on every token it builds.
// Owns the verifier options' reading, the keys imported into WebCrypto, and nothing else: the
// scope a token carries is the scope API's (wasm), read by the gate.

import { MAX_TOKEN_CHARS, fail, isWellFormed } from './checks.mjs';

const FIELDS = new Set(['algorithms', 'keys', 'issuer', 'audience', 'leewaySeconds', 'requireKid', 'requireExp']);
const QUALITIES = new Set(['SD', 'HD', 'UHD1', 'UHD2']);
const B64URL = /^[A-Za-z0-9_-]*$/;
// chrono's range of UTC times, in epoch seconds (jwt-compact refuses a claim outside it).
const MAX_SECONDS = 8_210_266_876_799;
const MIN_SECONDS = -8_334_601_228_800;

// Each algorithm: the key type it takes (kty, crv), and WebCrypto's names for it.
const ALGORITHMS = {
  HS256: { kty: 'oct', importParams: { name: 'HMAC', hash: 'SHA-256' }, verifyParams: { name: 'HMAC' } },
  ES256: { kty: 'EC', crv: 'P-256', importParams: { name: 'ECDSA', namedCurve: 'P-256' }, verifyParams: { name: 'ECDSA', hash: 'SHA-256' } },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', importParams: { name: 'Ed25519' }, verifyParams: { name: 'Ed25519' } },
  RS256: { kty: 'RSA', importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyParams: { name: 'RSASSA-PKCS1-v1_5' } },
};

// Curves of kinds verified nowhere here: their keys are left out of a set, not refused.
const OTHER_CURVES = ['EC P-384', 'EC P-521', 'EC secp256k1', 'OKP Ed448', 'OKP X25519', 'OKP X448'];

// The signature's length by algorithm where it has one (jwt-compact's Signature::LENGTH): checked
// before the claims are read, in its order.
const SIGNATURE_BYTES = { HS256: 32, ES256: 64, EdDSA: 64 };
// P-256's group order n: an ES256 signature's r and s are each from 1 to n - 1, read with its
// length (p256's Signature::try_from, in jwt-compact's order).
const P256_ORDER = [
  0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
  0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/** Whether 32 big-endian bytes (from `at` in `bytes`) are a scalar from 1 to n - 1. */
function inP256Order(bytes, at) {
  let zero = true;
  let below = false;
  for (let i = 0; i < 32; i++) {
    const b = bytes[at + i];
    if (b !== 0) zero = false;
    if (!below) {
      const n = P256_ORDER[i];
      if (b > n) return false;
      if (b < n) below = true;
    }
  }
  return below && !zero;
}

// The header's certificate thumbprints and their digests' lengths (RFC 7515 4.1.7, 4.1.8).
const THUMBPRINTS = [['x5t', 20], ['x5t#S256', 32]];

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Base64url text (no padding) as bytes, or null. Canonical only (RFC 4648 3.5, as jwt-compact's
 * decoder reads it): the bits of the last character past the data must be zero, so one token has
 * one spelling.
 */
function fromBase64url(text) {
  const binary = binaryOf(text);
  return binary === null ? null : bytesOf(binary);
}

/** fromBase64url's bytes as a binary string (a character a byte), or null. */
function binaryOf(text) {
  if (typeof text !== 'string' || !B64URL.test(text) || text.length % 4 === 1) return null;
  const spare = [0, 0, 0x0f, 0x03][text.length % 4];
  if (spare !== 0 && (ALPHABET.indexOf(text[text.length - 1]) & spare) !== 0) return null;
  return atob(text.replace(/-/g, '+').replace(/_/g, '/'));
}

function bytesOf(binary) {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

// ignoreBOM: a byte order mark is kept, so JSON.parse refuses it as serde_json does (the wasm
// verifier's reading): stripped, a token would be accepted here and refused there.
const utf8 = /* @__PURE__ */ new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const utf8Encoder = /* @__PURE__ */ new TextEncoder();

const NON_ASCII = /[^\x00-\x7f]/;

// What jsonObject answers for an object that names a member twice.
const DUPLICATE = Symbol('a member named twice');
// serde_json's recursion limit (the wasm verifier's reading): a value nested 128 deep is refused.
const MAX_DEPTH = 127;

/**
 * Whether a header's thumbprint (`x5t`, `x5t#S256`: a digest of `size` bytes) reads as jwt-compact
 * reads it: absent or null; or a string that, with up to two `=` dropped from its end, is canonical
 * base64url of `size` bytes, or of more bytes that are UTF-8 (which jwt-compact keeps as text).
 */
function thumbprintReads(value, size) {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'string') return false;
  let text = value;
  for (let i = 0; i < 2 && text.endsWith('='); i++) text = text.slice(0, -1);
  const bytes = Math.floor((text.length * 3) / 4);
  const binary = bytes < size ? null : binaryOf(text);
  if (binary === null) return false;
  if (bytes === size) return true;
  try {
    utf8.decode(bytesOf(binary));
    return true;
  } catch {
    return false;
  }
}

/**
 * The JSON object in `binary` (binaryOf's: UTF-8 bytes; null: none) as the wasm verifier reads
 * it: the object, DUPLICATE when an object in it names a member twice (at any depth: JSON.parse
 * keeps the last, so `{"item": {...}, "item": {}}` in a scope would drop a restriction), or null
 * for what is not a JSON object or what serde_json refuses and JSON.parse takes (nesting 128
 * deep, a number beyond a double's range, an escaped lone surrogate). ASCII is its own UTF-8:
 * read as it is (most tokens; no bytes made and decoded again).
 */
function jsonObject(binary) {
  if (binary === null) return null;
  let text;
  let value;
  try {
    text = NON_ASCII.test(binary) ? utf8.decode(bytesOf(binary)) : binary;
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const fault = serdeFault(text);
  return fault === null ? value : fault === DUPLICATE ? DUPLICATE : null;
}

const U64_MAX = 2n ** 64n - 1n;
const I32_MAX = 2 ** 31 - 1;
const isDigit = (c) => c >= 0x30 && c <= 0x39;

/**
 * Whether serde_json (without float_roundtrip, as the wasm verifier has it) refuses a JSON number
 * as out of range: it keeps up to a u64 of digits and multiplies by a power of ten in doubles, so
 * it refuses some numbers just under the largest double (1.7976931348623158e308) that JSON.parse
 * rounds to it. Its steps, for the numbers JSON.parse reads over 1e300 (below, it cannot overflow).
 */
function serdeOutOfRange(text) {
  let i = text.charCodeAt(0) === 0x2d ? 1 : 0;
  let significand = 0n;
  let exponent = 0;
  let full = false; // the integer part past a u64: each digit more is a power of ten
  for (; isDigit(text.charCodeAt(i)); i++) {
    const next = significand * 10n + BigInt(text.charCodeAt(i) - 0x30);
    if (full || next > U64_MAX) {
      full = true;
      exponent++;
    } else significand = next;
  }
  if (text.charCodeAt(i) === 0x2e) {
    let stopped = false; // past a u64: the fraction's digits left are dropped
    for (i++; isDigit(text.charCodeAt(i)); i++) {
      const next = significand * 10n + BigInt(text.charCodeAt(i) - 0x30);
      if (stopped || next > U64_MAX) stopped = true;
      else {
        significand = next;
        exponent--;
      }
    }
  }
  if (i < text.length) { // e or E
    i++;
    const sign = text.charCodeAt(i);
    const up = sign !== 0x2d;
    if (sign === 0x2b || sign === 0x2d) i++;
    let exp = 0;
    for (; i < text.length; i++) {
      const digit = text.charCodeAt(i) - 0x30;
      if (exp > (I32_MAX - digit) / 10) return significand !== 0n && up; // zero or a fraction, else out of range
      exp = exp * 10 + digit;
    }
    exponent = up ? Math.min(exponent + exp, I32_MAX) : Math.max(exponent - exp, -I32_MAX - 1);
  }
  let f = Number(significand);
  for (;;) {
    if (Math.abs(exponent) <= 308) return exponent >= 0 && !Number.isFinite(f * Number(`1e${exponent}`));
    if (f === 0) return false;
    if (exponent >= 0) return true;
    f /= 1e308;
    exponent += 308;
  }
}

/**
 * What serde_json refuses in `text`, JSON that JSON.parse read: DUPLICATE, null (nothing), or
 * false (too deep, a number out of range, a lone surrogate), whichever comes first.
 */
function serdeFault(text) {
  const open = []; // each open container: its member names (an object) or null (an array)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: a member name when `:` follows it in an object
      let end = i + 1;
      let escaped = false;
      for (let d = text.charCodeAt(end); d !== 0x22 && end < text.length; d = text.charCodeAt(end)) {
        if (d === 0x5c) {
          escaped = true;
          end += 2;
        } else end++;
      }
      const start = i;
      i = end;
      const names = open.length === 0 ? null : open[open.length - 1];
      let next = end + 1;
      while (text.charCodeAt(next) <= 0x20) next++; // JSON's white space
      const isName = names !== null && text.charCodeAt(next) === 0x3a;
      if (!escaped && !isName) continue; // a plain value: nothing to check
      const value = escaped ? JSON.parse(text.slice(start, end + 1)) : text.slice(start + 1, end);
      if (escaped && !isWellFormed(value)) return false;
      if (isName) {
        // A list for the few members of a token's objects; a Set past 16 (no square cost).
        if (Array.isArray(names) ? names.includes(value) : names.has(value)) return DUPLICATE;
        if (!Array.isArray(names)) names.add(value);
        else if (names.push(value) > 16) open[open.length - 1] = new Set(names);
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (open.push(c === 0x7b ? [] : null) > MAX_DEPTH) return false;
    } else if (c === 0x7d || c === 0x5d) open.pop();
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      for (let d = text.charCodeAt(end); (d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d; d = text.charCodeAt(end)) end++;
      const number = text.slice(i, end);
      if (!(Math.abs(Number(number)) < 1e300) && serdeOutOfRange(number)) return false;
      i = end - 1;
    }
  }
  return null;
}

// An RSA public exponent as the wasm verifier's `rsa` crate takes it: odd, from 3 to 2^33 - 1.
const MAX_RSA_EXPONENT = 2n ** 33n - 1n;
// P-256 (SEC 2 section 2.4.2): the field's prime and the curve's `b` (y^2 = x^3 - 3x + b).
const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

const bigOf = (bytes) => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);

// Ed25519 (RFC 8032 5.1): the field's prime, d, and the square root of -1.
const ED_P = 2n ** 255n - 19n;
const ED_D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;
const ED_SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752n;

/** b ** e mod m, for BigInts (e >= 0). */
function powMod(b, e, m) {
  let result = 1n;
  let base = b % m;
  for (let n = e; n > 0n; n >>= 1n) {
    if (n & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

/**
 * Why 32 bytes are not a usable Ed25519 public key, or null: not the canonical encoding of a
 * point (RFC 8032 5.1.3), or a point of small order. WebCrypto imports any 32 bytes, and under a
 * small-order key (the neutral point, say) it verifies a signature anyone can make for any token
 * (R the neutral point, S = 0); ed25519-compact refuses all of these (PublicKey::validate), and
 * so the configuration does.
 */
function ed25519Fault(bytes) {
  const sign = bytes[31] >> 7;
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i]);
  if (y >= ED_P) return 'is not the canonical encoding of a point';
  const mod = (n) => ((n % ED_P) + ED_P) % ED_P;
  const u = mod(y * y - 1n);
  const v = mod(ED_D * y * y + 1n);
  let x = mod(u * powMod(v, 3n, ED_P) * powMod(mod(u * powMod(v, 7n, ED_P)), (ED_P - 5n) / 8n, ED_P));
  const vxx = mod(v * x * x);
  if (vxx !== u) {
    if (vxx !== mod(-u)) return 'is not a point of Ed25519';
    x = mod(x * ED_SQRT_M1);
  }
  if (x === 0n && sign === 1) return 'is not the canonical encoding of a point';
  // Small order: 8P is the neutral point, that is 4P has x = 0 (doubling: 2(x, y) =
  // (2xy / (y^2 - x^2), (y^2 + x^2) / (2 - y^2 + x^2)) on -x^2 + y^2 = 1 + d x^2 y^2).
  let [px, py] = [x, y];
  for (let i = 0; i < 2; i++) {
    const xx = mod(px * px);
    const yy = mod(py * py);
    [px, py] = [mod(2n * px * py * powMod(mod(yy - xx), ED_P - 2n, ED_P)), mod((yy + xx) * powMod(mod(2n - yy + xx), ED_P - 2n, ED_P))];
  }
  return px === 0n ? 'is a point of small order (anyone can sign for it)' : null;
}

/** Whether (x, y) is a point of P-256 (WebCrypto imports any, then fails every verification). */
function onP256(x, y) {
  if (x >= P256_P || y >= P256_P) return false;
  const mod = (n) => ((n % P256_P) + P256_P) % P256_P;
  return mod(y * y) === mod(x * x * x - 3n * x + P256_B);
}

// Unicode's White_Space (Rust's `str::trim`, the wasm verifier's reading of `ent.device`); JS's
// trim differs on U+0085 and U+FEFF.
const ALL_WHITE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

/**
 * One configured JWK: `{ alg, kid, jwk (its public members), secret? }`, or null for a key not
 * for verifying signatures (`use` other than `sig`, `key_ops` without `verify`: RFC 7517
 * 4.2-4.3) or for another algorithm or curve, left out as jose's key sets leave it out; throws
 * INVALID_KEY. As the wasm verifier.
 */
function readKey(jwk, i) {
  const bad = (m) => fail('INVALID_KEY', `keys[${i}]: ${m}`);
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw bad('expected a JWK object');
  // Each of its type, or absent (null too is refused: jose uses no such key): `kid`, `alg` and
  // `use` strings, `key_ops` a list of at most 16 strings without repeats (each compared with
  // those before it; RFC 7517 names 8).
  const ops = jwk.key_ops;
  if (['kid', 'alg', 'use'].some((name) => jwk[name] !== undefined && typeof jwk[name] !== 'string')
    || (ops !== undefined && !(Array.isArray(ops) && ops.length <= 16 && ops.every((op, k) => typeof op === 'string' && ops.indexOf(op) === k)))) {
    throw bad('`kid`, `alg` and `use` must be strings, `key_ops` a list of at most 16 strings, each once');
  }
  const { kty, crv } = jwk;
  // Not for verifying, or for an algorithm or curve verified nowhere here: left out (as wasm).
  if ((jwk.use ?? 'sig') !== 'sig' || (ops !== undefined && !ops.includes('verify'))
    || (jwk.alg !== undefined && !Object.hasOwn(ALGORITHMS, jwk.alg)) || OTHER_CURVES.includes(`${kty} ${crv}`)) return null;
  const kid = typeof jwk.kid === 'string' ? jwk.kid : null;
  const bytes = (name, min, max = min) => {
    const b = fromBase64url(jwk[name]);
    if (b === null || b.length < min || b.length > max) throw bad(`unusable key: \`${name}\` is not ${min === max ? `${min} bytes` : 'a valid value'} in base64url`);
    return b;
  };
  let alg;
  let key;
  if (kty === 'oct') {
    alg = 'HS256';
    const secret = fromBase64url(jwk.k);
    if (secret === null) throw bad('unusable key: `k` is not base64url');
    if (secret.length < 32) throw bad('an HS256 key needs at least 32 bytes (RFC 7518 section 3.2)');
    key = { secret };
  } else if (kty === 'EC' && crv === 'P-256') {
    alg = 'ES256';
    if (!onP256(bigOf(bytes('x', 32)), bigOf(bytes('y', 32)))) throw bad('unusable key: (x, y) is not a point of P-256');
    key = { jwk: { kty, crv, x: jwk.x, y: jwk.y } };
  } else if (kty === 'OKP' && crv === 'Ed25519') {
    alg = 'EdDSA';
    const fault = ed25519Fault(bytes('x', 32));
    if (fault !== null) throw bad(`unusable key: \`x\` ${fault}`);
    key = { jwk: { kty, crv, x: jwk.x } };
  } else if (kty === 'RSA') {
    alg = 'RS256';
    const n = bytes('n', 1, 2048);
    const e = bigOf(bytes('e', 1, 8));
    // e = 1 would make any padded hash its own signature (RFC 8017 section 3.1: 3 <= e < n).
    if (e < 3n || e > MAX_RSA_EXPONENT || e % 2n === 0n) throw bad('unusable key: the public exponent is not odd from 3 to 2^33 - 1');
    let first = 0;
    while (first < n.length && n[first] === 0) first++;
    const bits = (n.length - first) * 8 - (first < n.length ? Math.clz32(n[first]) - 24 : 8);
    if (bits < 2048) throw bad('an RSA key needs at least 2048 bits (RFC 7518 section 3.3)');
    if (bits > 4096) throw bad('unusable key: the modulus is over 4096 bits');
    key = { jwk: { kty, n: jwk.n, e: jwk.e } };
  } else {
    throw bad(`kty "${String(kty)}" / crv "${String(crv)}" is not an HS256, ES256, EdDSA or RS256 key`);
  }
  // A private key's `d` is not used here, but jwt-compact reads it as base64url (null: absent).
  if ((kty === 'EC' || kty === 'OKP') && jwk.d !== undefined && jwk.d !== null && fromBase64url(jwk.d) === null) {
    throw bad('unusable key: `d` is not base64url');
  }
  if (typeof jwk.alg === 'string' && jwk.alg !== alg) throw bad(`alg "${jwk.alg}" does not fit the key type`);
  return { alg, kid, ...key, imported: null, cryptoKey: null };
}

/**
 * A verifier for JwtVerifier.fromJson's options (`config`: parsed JSON), on WebCrypto:
 * `{ leewayMs, verifyPlayback(token, nowMs) }`, the latter a promise of `{ claims, scope (the
 * JSON text of the token's scope claim), entitlement }`, or a rejection with the verifier's code.
 * Throws INVALID_KEY for options JwtVerifier.fromJson refuses.
 */
export function webVerifier(config) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw fail('INVALID_KEY', 'verifier: this platform has no WebCrypto (crypto.subtle)');
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw fail('INVALID_KEY', 'verifier: expected an object');
  for (const name of Object.keys(config)) {
    if (!FIELDS.has(name)) throw fail('INVALID_KEY', `verifier: unknown field \`${name}\``);
  }
  const { algorithms, keys, issuer = null, audience = null, leewaySeconds = null, requireKid = null, requireExp = null } = config;
  if (!Array.isArray(algorithms)) throw fail('INVALID_KEY', 'verifier: algorithms: expected a list');
  for (const a of algorithms) {
    if (!Object.hasOwn(ALGORITHMS, a)) throw fail('INVALID_KEY', `algorithms: "${String(a)}" is not HS256, ES256, EdDSA or RS256`);
  }
  if (algorithms.length === 0) throw fail('INVALID_KEY', 'algorithms: at least one');
  let list;
  if (Array.isArray(keys)) list = keys;
  else if (keys !== null && typeof keys === 'object' && Object.hasOwn(keys, 'keys')) {
    if (!Array.isArray(keys.keys)) throw fail('INVALID_KEY', 'keys.keys: expected a list');
    list = keys.keys;
  } else if (keys !== null && typeof keys === 'object') list = [keys];
  else throw fail('INVALID_KEY', 'keys: expected a JWK, a JWKS or a list of JWKs');
  const configured = list.map(readKey).filter((key) => key !== null);
  for (const [name, value] of [['issuer', issuer], ['audience', audience]]) {
    if (value !== null && typeof value !== 'string') throw fail('INVALID_KEY', `verifier: ${name}: expected a string`);
  }
  if (leewaySeconds !== null && !(Number.isInteger(leewaySeconds) && leewaySeconds >= 0 && leewaySeconds <= 86_400)) {
    throw fail('INVALID_KEY', 'leewaySeconds: expected whole seconds between 0 and 86400');
  }
  for (const [name, value] of [['requireKid', requireKid], ['requireExp', requireExp]]) {
    if (value !== null && typeof value !== 'boolean') throw fail('INVALID_KEY', `verifier: ${name}: expected a boolean`);
  }
  const allowed = new Set(algorithms);
  const leewayMs = (leewaySeconds ?? 60) * 1000;
  const kidRequired = requireKid ?? false;
  const expRequired = requireExp ?? true;

  // Headers read, by their text: one issuer's tokens carry the same header (alg, kid, typ), so
  // it is decoded and parsed once. Bounded: a flood of headers costs a parse each, as before.
  const headersRead = new Map();
  function headerOf(headerPart) {
    let header = headersRead.get(headerPart);
    if (header === undefined) {
      header = jsonObject(binaryOf(headerPart)); // read only below: shared by the tokens that carry it
      if (headersRead.size >= 64) headersRead.clear();
      headersRead.set(headerPart, header);
    }
    return header;
  }

  /** The key imported into WebCrypto, once (a promise shared by concurrent first uses). */
  function imported(key) {
    if (key.imported === null) {
      const { importParams } = ALGORITHMS[key.alg];
      key.imported = key.secret !== undefined
        ? subtle.importKey('raw', key.secret, importParams, false, ['verify'])
        : subtle.importKey('jwk', key.jwk, importParams, false, ['verify']);
      // Once imported, the key is used without waiting on its promise; a refusal surfaces
      // where the promise is awaited.
      key.imported.then((cryptoKey) => { key.cryptoKey = cryptoKey; }, () => {});
    }
    return key.imported;
  }

  /**
   * `exp`, `nbf`, `iat` in ms: absent (not null), or a number of seconds within chrono's years (±262,143),
   * its fraction dropped (as jwt-compact reads it, and as the claims then show it).
   */
  function timestamp(claims, name) {
    const v = claims[name];
    if (v === undefined) return null; // null is no time: jwt-compact refuses it
    const seconds = typeof v === 'number' ? Math.trunc(v) + 0 : NaN; // + 0: never -0
    if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS)) throw fail('MALFORMED_TOKEN', `claims: \`${name}\` is not a time in seconds`);
    claims[name] = seconds;
    return seconds * 1000;
  }

  async function verifyPlayback(token, now) {
    // A time that is no number would pass every exp and nbf comparison (NaN compares false).
    if (!Number.isFinite(now)) throw fail('INVALID_ARGUMENT', 'now: expected epoch milliseconds');
    if (typeof token !== 'string') throw fail('MALFORMED_TOKEN', 'token: expected a string');
    if (token.length > MAX_TOKEN_CHARS) throw fail('MALFORMED_TOKEN', `token: over ${MAX_TOKEN_CHARS} characters`); // as JwtVerifier
    // The three parts by indexOf: split is a call into V8's runtime (perf: 2 us a token in workerd).
    const first = token.indexOf('.');
    const second = first === -1 ? -1 : token.indexOf('.', first + 1);
    if (second === -1 || token.indexOf('.', second + 1) !== -1) throw fail('MALFORMED_TOKEN', 'token: expected three base64url parts');
    const headerPart = token.slice(0, first);
    const payloadPart = token.slice(first + 1, second);
    const signaturePart = token.slice(second + 1);
    const header = headerOf(headerPart);
    if (header === DUPLICATE) throw fail('MALFORMED_TOKEN', 'header: a member is named twice');
    if (header === null || typeof header.alg !== 'string') throw fail('MALFORMED_TOKEN', 'header: not a base64url JSON object with `alg`');
    for (const name of ['kid', 'typ', 'cty']) {
      const v = header[name];
      // A null `typ` or `cty` is none (jwt-compact's reading); a null `kid` is refused (as wasm):
      // jose picks no key for it, and it is never "any key".
      if (v !== undefined && (v !== null || name === 'kid') && typeof v !== 'string') throw fail('MALFORMED_TOKEN', `header: \`${name}\` is not a string`);
    }
    // A content type other than JSON (any case: jwt-compact's default) says the payload is
    // something else (`JWT`: a nested token): jwt-compact reads none, so none is accepted.
    if (header.cty !== undefined && header.cty !== null && !/^json$/i.test(header.cty)) throw fail('MALFORMED_TOKEN', `token: unsupported content type: ${header.cty}`);
    for (const [name, size] of THUMBPRINTS) {
      if (!thumbprintReads(header[name], size)) throw fail('MALFORMED_TOKEN', `header: \`${name}\` is not a base64url thumbprint of ${size} bytes`);
    }
    const signature = fromBase64url(signaturePart);
    const payload = binaryOf(payloadPart); // decoded once: checked here, read below
    if (signature === null || payload === null) throw fail('MALFORMED_TOKEN', 'token: a part is not base64url');
    if (Object.hasOwn(header, 'crit')) throw fail('MALFORMED_TOKEN', 'header: crit lists extensions playgate does not understand (RFC 7515 4.1.11)');
    for (const name of ['jwk', 'jku', 'x5u', 'x5c']) {
      if (Object.hasOwn(header, name)) throw fail('MALFORMED_TOKEN', `header: \`${name}\` (a key chosen by the token) is refused`);
    }
    // Claims that name a member twice are refused here, as the wasm verifier does; claims that
    // do not read at all, below (after the algorithm and the key, in its order).
    const claims = jsonObject(payload);
    if (claims === DUPLICATE) throw fail('MALFORMED_TOKEN', 'claims: a member is named twice');
    const alg = header.alg;
    if (!allowed.has(alg)) throw fail('ALGORITHM_NOT_ALLOWED', `alg: "${alg}" is not allowed`);
    const kid = typeof header.kid === 'string' ? header.kid : null;
    if (kidRequired && kid === null) throw fail('UNKNOWN_KEY', 'kid: required');
    const candidates = configured.filter((k) => k.alg === alg && (kid === null || (k.kid === null ? !kidRequired : k.kid === kid)));
    if (candidates.length === 0) throw fail('UNKNOWN_KEY', `no ${alg} key${kid === null ? '' : ` with kid "${kid}"`}`);
    // The signature's length, then the claims, before the signature is checked, as jwt-compact
    // reads them: a payload that is not a JSON object with times in seconds is MALFORMED_TOKEN
    // whatever its signature.
    const signatureBytes = SIGNATURE_BYTES[alg];
    if (signatureBytes !== undefined && signature.length !== signatureBytes) {
      throw fail('BAD_SIGNATURE', `signature: expected ${signatureBytes} bytes, got ${signature.length}`);
    }
    if (alg === 'ES256' && !(inP256Order(signature, 0) && inP256Order(signature, 32))) {
      throw fail('BAD_SIGNATURE', 'signature: r or s is not from 1 to n - 1');
    }
    if (claims === null) throw fail('MALFORMED_TOKEN', 'claims: not a JSON object');
    const exp = timestamp(claims, 'exp');
    const nbf = timestamp(claims, 'nbf');
    timestamp(claims, 'iat');
    const signed = utf8Encoder.encode(token.slice(0, headerPart.length + 1 + payloadPart.length));
    let valid = false;
    for (const key of candidates) {
      let { cryptoKey } = key;
      if (cryptoKey === null) {
        try {
          cryptoKey = await imported(key);
        } catch (error) {
          throw fail('INVALID_KEY', `a ${alg} key WebCrypto refused: ${String(error?.message)}`);
        }
      }
      if (await subtle.verify(ALGORITHMS[alg].verifyParams, cryptoKey, signature, signed)) {
        valid = true;
        break;
      }
    }
    if (!valid) throw fail('BAD_SIGNATURE', 'signature: does not verify');

    // RFC 7519 4.1.4 and 4.1.5: not on or after `exp`, nor before `nbf`, give or take the leeway.
    if (exp !== null && now >= exp + leewayMs) throw fail('TOKEN_EXPIRED', 'exp: the token has expired');
    if (exp === null && expRequired) throw fail('MALFORMED_TOKEN', 'exp: required');
    if (nbf !== null && now < nbf - leewayMs) throw fail('TOKEN_NOT_YET_VALID', 'nbf: the token is not valid yet');
    if (issuer !== null && claims.iss !== issuer) throw fail('WRONG_ISSUER', `iss: expected "${issuer}"`);
    if (audience !== null) {
      const aud = claims.aud;
      if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw fail('WRONG_AUDIENCE', `aud: expected "${audience}"`);
    }

    // The playback claims: a scope (read by the scope API), and the entitlement summary.
    if (!Object.hasOwn(claims, 'scope')) throw fail('INVALID_SCOPE', 'scope: missing');
    const ent = claims.ent ?? null;
    if (ent !== null) {
      if (typeof ent !== 'object' || Array.isArray(ent)) throw fail('MALFORMED_TOKEN', 'ent: expected an object');
      for (const [name, value] of Object.entries(ent)) {
        const ok = typeof value === 'string' && (name === 'maxQuality' ? QUALITIES.has(value)
          : name === 'country' ? /^[A-Za-z]{2}$/.test(value)
            : name === 'device' ? !ALL_WHITE_SPACE.test(value) : false);
        if (!ok) throw fail('MALFORMED_TOKEN', `ent: \`${name}\` is not a valid maxQuality, country or device`);
      }
    }
    return { claims, scope: JSON.stringify(claims.scope), entitlement: ent };
  }

  return { leewayMs, verifyPlayback };
}
