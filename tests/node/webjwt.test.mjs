// The gate's WebCrypto verifier (js/webjwt.mjs, what createGate uses in both modules) against
// the edge module's JwtVerifier (jwt-compact in wasm, src/token/jwt.rs): the same configurations
// accepted or refused, and for every token, the same claims, scope and entitlement, or the same
// error code. Tokens are signed by jose (npm) with keys it generates (HS256, ES256, EdDSA,
// RS256), then bent one way at a time: times, issuer, audience, headers, claims, signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO, PKG } from './helpers.mjs';
import { webVerifier } from '../../js/webjwt.mjs';

const jose = await import(path.join(REPO, 'tests/node_modules/jose/dist/webapi/index.js'));
const { JwtVerifier, PermissionScope } = await import(path.join(PKG, 'edge/node/index.mjs'));

const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const T = Math.floor(NOW / 1000);
const SCOPE = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };

const hsSecret = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
const pairs = {
  ES256: await jose.generateKeyPair('ES256', { extractable: true }),
  EdDSA: await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true }),
  RS256: await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true }),
};
const other = await jose.generateKeyPair('ES256', { extractable: true });
const publicJwk = async (alg) => ({ ...(await jose.exportJWK(pairs[alg].publicKey)), kid: alg.toLowerCase() });
const exportedEs = () => publicJwk('ES256');
const HS_JWK = { kty: 'oct', k: Buffer.from(hsSecret).toString('base64url'), kid: 'hs256' };
const JWKS = { keys: [HS_JWK, await publicJwk('ES256'), await publicJwk('EdDSA'), await publicJwk('RS256')] };
const signingKey = (alg) => (alg === 'HS256' ? hsSecret : pairs[alg].privateKey);

/** A jose-signed token: `claims` over the defaults, `header` over { alg, kid }. */
async function sign(alg, claims = {}, header = {}, key = signingKey(alg)) {
  const body = { scope: SCOPE, ent: { maxQuality: 'HD', country: 'DE' }, aud: 'edge', iss: 'auth', iat: T - 10, exp: T + 300, ...claims };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return new jose.SignJWT(body).setProtectedHeader({ alg, kid: alg.toLowerCase(), ...header }).sign(key);
}
const part = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const { createHmac } = await import('node:crypto');
/** An HS256 token with exactly this header and payload, signed by node:crypto (jose refuses odd headers). */
function hsRaw(header, claims = {}) {
  const body = { scope: SCOPE, aud: 'edge', iss: 'auth', exp: T + 300, ...claims };
  const signed = `${part({ alg: 'HS256', kid: 'hs256', ...header })}.${part(body)}`;
  return `${signed}.${createHmac('sha256', hsSecret).update(signed).digest('base64url')}`;
}

/** An HS256 token whose payload is exactly these bytes (UTF-8 or not), signed by node:crypto. */
function hsBytes(payload) {
  const signed = `${part({ alg: 'HS256', kid: 'hs256' })}.${Buffer.from(payload).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', hsSecret).update(signed).digest('base64url')}`;
}
const payloadText = (claims) => JSON.stringify({ scope: SCOPE, aud: 'edge', iss: 'auth', exp: T + 300, ...claims });

/** Both verifiers on one token: `{ ok, claims, scope, entitlement }` or `{ code }` each. */
async function both(config, token, now = NOW) {
  let wasm;
  try {
    const verifier = JwtVerifier.fromJson(config);
    try {
      const r = verifier.verifyPlayback(token, { now });
      wasm = { claims: r.claims, scope: r.scope.toJSON(), entitlement: r.entitlement };
    } finally {
      verifier.free();
    }
  } catch (error) {
    wasm = { code: error.code };
  }
  let web;
  try {
    const r = await webVerifier(JSON.parse(JSON.stringify(config))).verifyPlayback(token, now);
    let scope;
    try {
      scope = PermissionScope.fromJson(r.scope).toJSON();
    } catch (error) {
      throw Object.assign(new Error('scope'), { code: error.code });
    }
    web = { claims: r.claims, scope, entitlement: r.entitlement };
  } catch (error) {
    web = { code: error.code };
  }
  return { wasm, web };
}

const BASE = { algorithms: ['HS256', 'ES256', 'EdDSA', 'RS256'], keys: JWKS, audience: 'edge', issuer: 'auth' };

test('valid tokens of every algorithm: the same claims, scope and entitlement', async () => {
  for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256']) {
    for (const claims of [{}, { ent: undefined }, { ent: null }, { aud: ['player', 'edge'] }, { nbf: T - 5 }, { ent: { maxQuality: 'UHD2', country: 'fr', device: 'tv' } },
      { sub: 'Zuschauerin Jürgensen \u{1F3AC}', ent: { device: 'télé' } }]) { // UTF-8 beyond ASCII
      const { wasm, web } = await both(BASE, await sign(alg, claims));
      assert.equal(wasm.code, undefined, `${alg} ${JSON.stringify(claims)}: wasm refused ${wasm.code}`);
      assert.deepEqual(web, wasm, `${alg} ${JSON.stringify(claims)}`);
    }
  }
});

test('every refusal: the same code as the edge module\'s verifier', async () => {
  const es = (claims, header) => sign('ES256', claims, header);
  const valid = await es();
  const [h, p, s] = valid.split('.');
  const flip = (text, i) => text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
  const cases = [
    ['expired', await es({ exp: T - 120 })],
    ['expired within the leeway', await es({ exp: T - 30 })],
    ['exp exactly now + leeway', await es({ exp: T - 60 })],
    ['not yet valid', await es({ nbf: T + 120 })],
    ['nbf within the leeway', await es({ nbf: T + 30 })],
    ['no exp', await es({ exp: undefined })],
    ['exp a float', await es({ exp: T + 0.5 })],
    ['exp a float, now past its whole second', await es({ exp: T - 60 + 0.9 })],
    ['exp past chrono\'s years', await es({ exp: 8.3e12 })],
    ['exp at chrono\'s last second', await es({ exp: 8_210_266_876_799.5 })],
    ['exp a second past it', await es({ exp: 8_210_266_876_800 })],
    ['nbf at chrono\'s first second', await es({ nbf: -8_334_601_228_800.5 })],
    ['nbf a second before it', await es({ nbf: -8_334_601_228_801 })],
    ['nbf negative', await es({ nbf: -5 })],
    ['exp a string', await es({ exp: String(T + 300) })],
    ['exp null', await es({ exp: null })],
    ['iat a string', await es({ iat: 'yesterday' })],
    ['wrong issuer', await es({ iss: 'someone' })],
    ['no issuer', await es({ iss: undefined })],
    ['wrong audience', await es({ aud: 'player' })],
    ['audience a list without edge', await es({ aud: ['player'] })],
    ['audience a number', await es({ aud: 7 })],
    ['no scope', await es({ scope: undefined })],
    ['scope null', await es({ scope: null })],
    ['scope malformed', await es({ scope: { permissions: [{ role: 'nope' }] } })],
    ['ent a list', await es({ ent: [] })],
    ['ent quality FHD', await es({ ent: { maxQuality: 'FHD' } })],
    ['ent country DEU', await es({ ent: { country: 'DEU' } })],
    ['ent device blank', await es({ ent: { device: '  ' } })],
    ['ent extra field', await es({ ent: { maxQuality: 'HD', plan: 'gold' } })],
    ['unknown kid', await es({}, { kid: 'nobody' })],
    ['kid a number', hsRaw({ kid: 7 })],
    ['no kid (any key of the algorithm)', await es({}, { kid: undefined })],
    ['signed by another key', await sign('ES256', {}, {}, other.privateKey)],
    ['crit', hsRaw({ crit: ['exp'] })],
    ['jwk in the header', hsRaw({ jwk: await jose.exportJWK(other.publicKey) })],
    ['jku', hsRaw({ jku: 'https://evil.example/jwks' })],
    ['x5u', hsRaw({ x5u: 'https://evil.example/cert' })],
    ['x5c', hsRaw({ x5c: ['MIIB'] })],
    ['typ a number', hsRaw({ typ: 1 })],
    ['typ JWT, cty null (fine)', hsRaw({ typ: 'JWT', cty: null })],
    ['alg a number', hsRaw({ alg: 256 })],
    ['a header list', (() => { const signed = `${part([1])}.${part({ scope: SCOPE })}`; return `${signed}.${createHmac('sha256', hsSecret).update(signed).digest('base64url')}`; })()],
    ['alg none', `${part({ alg: 'none' })}.${p}.`],
    ['alg HS512', await new jose.SignJWT({ scope: SCOPE, aud: 'edge', iss: 'auth', exp: T + 300 }).setProtectedHeader({ alg: 'HS512' }).sign(new Uint8Array(64))],
    ['HS256 signed with the RSA public key as secret', await new jose.SignJWT({ scope: SCOPE, aud: 'edge', iss: 'auth', exp: T + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'rs256' }).sign(Buffer.from(JSON.stringify(await publicJwk('RS256'))))],
    ['a flipped signature byte', `${h}.${p}.${flip(s, 10)}`],
    ['a flipped payload byte', `${h}.${flip(p, 12)}.${s}`],
    ['a truncated signature', `${h}.${p}.${s.slice(0, 40)}`],
    ['the signature\'s last character with spare bits set (not canonical)', `${h}.${p}.${s.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(s.at(-1)) ^ 1]}`],
    ['no signature', `${h}.${p}.`],
    ['two parts', `${h}.${p}`],
    ['four parts', `${valid}.x`],
    ['dots only', '..'],
    ['three dots', `${h}..${p}.${s}`],
    ['payload not base64url', `${h}.${p}!.${s}`],
    ['header not JSON', `${Buffer.from('{alg').toString('base64url')}.${p}.${s}`],
    ['payload a list (signed)', (() => { const signed = `${part({ alg: 'HS256', kid: 'hs256' })}.${part([1, 2])}`; return `${signed}.${createHmac('sha256', hsSecret).update(signed).digest('base64url')}`; })()],
    ['a payload of UTF-8 (accents, an emoji)', hsBytes(Buffer.from(payloadText({ sub: 'Zoë \u{1F3AC}' })))],
    ['a payload that is not UTF-8 (a lone 0xff)', hsBytes(Buffer.concat([Buffer.from(payloadText({}).slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xff]), Buffer.from('"}')]))],
    ['a payload with a UTF-8 byte order mark', hsBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(payloadText({}))]))],
    ['a payload with an escaped non-ASCII name', hsBytes(Buffer.from(payloadText({ sub: '\\u00fc' })))],
    ['empty', ''],
    ['not a token', 'hello'],
  ];
  for (const [name, token] of cases) {
    const { wasm, web } = await both(BASE, token);
    if (wasm.code === undefined) assert.deepEqual(web, wasm, `${name}: both accept, alike`);
    else assert.equal(web.code, wasm.code, `${name}: wasm ${wasm.code}, web ${web.code}`);
  }
  // Configurations that change the answer: leeway 0, requireKid, requireExp false, no issuer.
  for (const [name, config, token] of [
    ['leeway 0, expired 30 s ago', { ...BASE, leewaySeconds: 0 }, await es({ exp: T - 30 })],
    ['requireKid, no kid', { ...BASE, requireKid: true }, await es({}, { kid: undefined })],
    ['requireKid, a key without kid', { ...BASE, requireKid: true, keys: [{ ...(await publicJwk('ES256')), kid: undefined }] }, valid],
    ['requireExp false, no exp', { ...BASE, requireExp: false }, await es({ exp: undefined })],
    ['only RS256 allowed', { ...BASE, algorithms: ['RS256'] }, valid],
    ['no audience configured', { algorithms: ['ES256'], keys: JWKS }, await es({ aud: 'anything' })],
  ]) {
    const { wasm, web } = await both(config, token);
    if (wasm.code === undefined) assert.deepEqual(web, wasm, name);
    else assert.equal(web.code, wasm.code, `${name}: wasm ${wasm.code}, web ${web.code}`);
  }
});

test('configurations: refused (INVALID_KEY) or accepted alike', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  const rsa1024 = { publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) };
  const es = await publicJwk('ES256');
  const rsaKey = await publicJwk('RS256');
  const bigText = (n) => Buffer.from(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url');
  for (const [name, config] of [
    ['unknown field', { ...BASE, audiance: 'edge' }],
    ['no algorithms', { ...BASE, algorithms: [] }],
    ['algorithm PS256', { ...BASE, algorithms: ['PS256'] }],
    ['algorithms a string', { ...BASE, algorithms: 'ES256' }],
    ['a short HS256 key', { ...BASE, keys: [{ kty: 'oct', k: 'c2hvcnQ' }] }],
    ['an RSA 1024 key', { ...BASE, keys: [rsa1024.publicKey] }],
    ['an EC key on P-384', { ...BASE, keys: [{ ...es, crv: 'P-384' }] }],
    ['an EC x of 31 bytes', { ...BASE, keys: [{ ...es, x: es.x.slice(0, 42) }] }],
    ['an alg that does not fit', { ...BASE, keys: [{ ...es, alg: 'RS256' }] }],
    ['keys a number', { ...BASE, keys: 5 }],
    ['keys.keys not a list', { ...BASE, keys: { keys: 5 } }],
    ['a key that is a string', { ...BASE, keys: ['x'] }],
    ['leeway 1.5', { ...BASE, leewaySeconds: 1.5 }],
    ['leeway -1', { ...BASE, leewaySeconds: -1 }],
    ['leeway over a day', { ...BASE, leewaySeconds: 86_401 }],
    ['requireKid a string', { ...BASE, requireKid: 'yes' }],
    ['issuer a number', { ...BASE, issuer: 5 }],
    ['a single JWK', { ...BASE, keys: es }],
    ['a list of JWKs', { ...BASE, keys: [es, HS_JWK] }],
    ['no keys at all', { ...BASE, keys: [] }],
    ['nulls for the options', { ...BASE, issuer: null, leewaySeconds: null, requireKid: null }],
    // RSA exponents (RFC 8017 section 3.1: 3 <= e < n; e = 1 makes a padded hash its own
    // signature, so anyone could sign) and moduli, as the `rsa` crate takes them.
    ...[1n, 2n, 3n, 4n, 65537n, 2n ** 33n - 1n, 2n ** 33n + 1n].map((e) => [`an RSA key with e = ${e}`, { ...BASE, keys: [{ ...rsaKey, e: bigText(e) }] }]),
    ['an RSA modulus of 4096 bits', { ...BASE, keys: [{ kty: 'RSA', n: bigText((1n << 4095n) | 1n), e: 'AQAB' }] }],
    ['an RSA modulus of 4097 bits', { ...BASE, keys: [{ kty: 'RSA', n: bigText((1n << 4096n) | 1n), e: 'AQAB' }] }],
    // P-256 points: WebCrypto imports any pair, then fails every verification.
    ['an EC point off the curve', { ...BASE, keys: [{ ...es, y: Buffer.alloc(32, 7).toString('base64url') }] }],
    ['an EC x of the field\'s prime', { ...BASE, keys: [{ ...es, x: bigText(2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n) }] }],
    // A private key's members, as jwt-compact reads them (base64url, or null for none).
    ['an EC key with d not base64url', { ...BASE, keys: [{ ...es, d: '!!!' }] }],
    ['an EC key with d a number', { ...BASE, keys: [{ ...es, d: 5 }] }],
    ['an EC key with d null', { ...BASE, keys: [{ ...es, d: null }] }],
    ['an EC key with a d', { ...BASE, keys: [{ ...es, d: Buffer.alloc(32, 9).toString('base64url') }] }],
    ['an Ed25519 key with d not base64url', { ...BASE, keys: [{ ...(await publicJwk('EdDSA')), d: '!!!' }] }],
  ]) {
    let wasm = 'ok';
    try {
      JwtVerifier.fromJson(config).free();
    } catch (error) {
      wasm = error.code;
    }
    let web = 'ok';
    try {
      webVerifier(JSON.parse(JSON.stringify(config)));
    } catch (error) {
      web = error.code;
    }
    assert.equal(web, wasm, name);
  }
});

test('a JWK\'s use and key_ops (RFC 7517 4.2-4.3): a key not for verifying is left out of the set, as jose\'s key sets leave it out; kid, alg, use and key_ops of the wrong type are INVALID_KEY', async () => {
  const es = await exportedEs();
  const otherEs = { ...(await jose.exportJWK(other.publicKey)), kid: 'other' };
  const { generateKeyPairSync } = await import('node:crypto');
  const exported = (type, options) => generateKeyPairSync(type, options).publicKey.export({ format: 'jwk' });
  const p384 = exported('ec', { namedCurve: 'P-384' });
  const ed448 = exported('ed448');
  const x25519 = exported('x25519');
  const config = (keys) => ({ algorithms: ['ES256'], keys: { keys }, audience: 'edge', issuer: 'auth' });
  const cases = [
    ['use sig', [{ ...es, use: 'sig' }]],
    ['use enc', [{ ...es, use: 'enc' }]],
    ['use enc, the same key again for sig', [{ ...es, use: 'enc' }, { ...es, use: 'sig' }]],
    ['use enc, another key for sig', [{ ...es, use: 'enc' }, { ...otherEs, use: 'sig' }]],
    ['key_ops verify', [{ ...es, key_ops: ['verify'] }]],
    ['key_ops sign', [{ ...es, key_ops: ['sign'] }]],
    ['key_ops empty', [{ ...es, key_ops: [] }]],
    ['use sig, key_ops sign', [{ ...es, use: 'sig', key_ops: ['sign'] }]],
    // An encryption key published beside the signing key (an RSA-OAEP `alg` fits no signature
    // algorithm: read as a verification key, it made the whole set INVALID_KEY).
    ['an RSA-OAEP encryption key beside', [{ ...(await publicJwk('RS256')), kid: 'enc1', alg: 'RSA-OAEP', use: 'enc' }, es]],
    // Keys for algorithms or curves verified nowhere here, as identity providers publish them
    // beside their signing keys: left out (they made the whole set INVALID_KEY).
    ['an RSA key for PS256 beside', [{ ...(await publicJwk('RS256')), kid: 'ps', alg: 'PS256' }, es]],
    ['an RSA key for RS384, alone', [{ ...(await publicJwk('RS256')), kid: 'es256', alg: 'RS384' }]],
    ['an EC key on P-384 beside', [{ ...p384, kid: 'p384' }, es]],
    ['an EC key on P-384 with the token\'s kid, beside', [{ ...p384, kid: 'es256' }, es]],
    ['an EC key on P-384 with the token\'s kid, alone', [{ ...p384, kid: 'es256' }]],
    ['an Ed448 and an X25519 key beside', [ed448, x25519, es]],
    ['a secret for HS512 beside', [{ kty: 'oct', k: Buffer.alloc(64, 3).toString('base64url'), alg: 'HS512' }, es]],
    ['this P-256 key declared for ES384', [{ ...es, alg: 'ES384' }]],
  ];
  for (const [name, keys] of cases) {
    for (const kid of ['es256', undefined]) {
      const token = await sign('ES256', {}, { kid });
      // The truth: jose with the same set (createLocalJWKSet picks the key as RFC 7517 says).
      let joseOk = true;
      let joseCode;
      try {
        await jose.jwtVerify(token, jose.createLocalJWKSet({ keys }), { algorithms: ['ES256'], audience: 'edge', issuer: 'auth', currentDate: new Date(NOW) });
      } catch (error) {
        joseOk = false;
        joseCode = { ERR_JWKS_NO_MATCHING_KEY: 'UNKNOWN_KEY', ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'BAD_SIGNATURE' }[error.code] ?? error.code;
      }
      const { wasm, web } = await both(config(keys), token);
      const label = `${name}, token kid ${kid}`;
      assert.deepEqual(web, wasm, label);
      assert.equal(wasm.code === undefined, joseOk, `${label}: jose ${joseOk ? 'accepts' : 'refuses'}, playgate ${wasm.code ?? 'accepts'}`);
      if (!joseOk) assert.equal(wasm.code, joseCode, label);
      // The edge module's WebCrypto path reads the set as its synchronous one does.
      const verifier = JwtVerifier.fromJson(config(keys));
      let async;
      try {
        await verifier.verifyAsync(token, { now: NOW });
        async = 'ok';
      } catch (error) {
        async = error.code;
      } finally {
        verifier.free();
      }
      assert.equal(async, wasm.code ?? 'ok', `${label}: verifyAsync`);
    }
  }
  // `sign` with `verify` is a pair RFC 7517 4.3 allows, and WebCrypto imports such a public key
  // for verifying: accepted by both (jose refuses it: it imports the key for the listed uses).
  const pair = await both(config([{ ...es, key_ops: ['sign', 'verify'] }]), await sign('ES256'));
  assert.equal(pair.wasm.code, undefined);
  assert.deepEqual(pair.web, pair.wasm);
  // A key type or curve not known at all (a typo): refused, where jose passes over it.
  const code = (f) => {
    try {
      f();
      return 'ok';
    } catch (error) {
      return error.code;
    }
  };
  for (const key of [{ ...es, kty: 'ec' }, { ...es, crv: 'P256' }, { ...ed448, crv: 'Ed447' }]) {
    assert.equal(code(() => JwtVerifier.fromJson(config([key])).free()), 'INVALID_KEY', JSON.stringify(key));
    assert.equal(code(() => webVerifier(config([key]))), 'INVALID_KEY', JSON.stringify(key));
  }
  // Members of the wrong type, and an operation listed twice (RFC 7517 4.3: MUST NOT; WebCrypto
  // refuses to import it): refused when the verifier is made (jose passes over the types).
  for (const [name, change] of [['kid', 5], ['alg', 5], ['use', true], ['key_ops', 'verify'], ['key_ops', ['verify', 5]], ['kid', {}], ['key_ops', ['verify', 'verify']],
    ['kid', null], ['alg', null], ['use', null], ['key_ops', null], // jose uses no key with a null member
    ['key_ops', ['verify', ...Array.from({ length: 16 }, (_, k) => `x-op-${k}`)]], ['key_ops', Array.from({ length: 60_000 }, (_, k) => `op${k}`)]]) {
    const keys = [{ ...es, [name]: change }];
    let wasm = 'ok';
    try {
      JwtVerifier.fromJson(config(keys)).free();
    } catch (error) {
      wasm = error.code;
    }
    let web = 'ok';
    try {
      webVerifier(config(keys));
    } catch (error) {
      web = error.code;
    }
    assert.equal(wasm, 'INVALID_KEY', `${name}: ${JSON.stringify(change)}`);
    assert.equal(web, 'INVALID_KEY', `${name}: ${JSON.stringify(change)}`);
  }
});

test('a valid token bent at random (one character, 600 times, a seeded choice): the same answer every time', async () => {
  let seed = 20261205;
  const random = (n) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=!';
  const tokens = await Promise.all(['HS256', 'ES256', 'EdDSA', 'RS256'].map((alg) => sign(alg)));
  for (let i = 0; i < 600; i++) {
    const token = tokens[i % tokens.length];
    const at = random(token.length);
    const bent = token.slice(0, at) + ALPHABET[random(ALPHABET.length)] + token.slice(at + 1);
    const { wasm, web } = await both(BASE, bent);
    if (wasm.code === undefined) assert.deepEqual(web, wasm, `${bent}: both accept, alike`);
    else assert.equal(web.code, wasm.code, `${bent}: wasm ${wasm.code}, web ${web.code}`);
  }
});

/** An HS256 token of exactly this header and payload text, signed by node:crypto. */
function hsText(header, payload) {
  const signed = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', hsSecret).update(signed).digest('base64url')}`;
}
const HEADER = '{"alg":"HS256","kid":"hs256"}';
const claimsText = (more) => `{"scope":${JSON.stringify(SCOPE)},"aud":"edge","iss":"auth","exp":${T + 300}${more}}`;

test('a member named twice, at any depth, is MALFORMED_TOKEN in both (JSON.parse and serde_json keep the last)', async () => {
  // A scope whose second `item` drops the first's restriction: the scope reader refuses it written
  // so, and a token must not carry it past that reader.
  const widened = '{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"},"item":{}}]}';
  assert.throws(() => PermissionScope.fromJson(widened), { code: 'INVALID_SCOPE' });
  for (const [name, header, payload] of [
    ['a scope naming `item` twice', HEADER, `{"scope":${widened},"aud":"edge","iss":"auth","exp":${T + 300}}`],
    ['exp twice, expired then valid', HEADER, claimsText(`,"exp":${T - 3600}`).replace(`"exp":${T + 300},"exp":${T - 3600}`, `"exp":${T - 3600},"exp":${T + 300}`)],
    ['a claim of ours twice', HEADER, claimsText(',"sub":"a","sub":"b"')],
    ['a name twice, once escaped', HEADER, claimsText(',"x":1,"\\u0078":2')],
    ['ent.maxQuality twice', HEADER, claimsText(',"ent":{"maxQuality":"SD","maxQuality":"UHD2"}')],
    ['alg twice in the header', '{"alg":"none","alg":"HS256","kid":"hs256"}', claimsText('')],
    ['a header member of no meaning twice', '{"alg":"HS256","kid":"hs256","x":1,"x":1}', claimsText('')],
    // Deeper than the core's JSON reader goes (64) and still within serde_json's 128: the walk for
    // names twice is serde_json's match. (A list longer than the reader takes, 65,536 items, is in
    // no token: one over 16,384 characters is MALFORMED_TOKEN before it is read, in both.)
    ['a name twice, 100 deep', HEADER, claimsText(`,"x":${'['.repeat(98)}{"a":1,"a":2}${']'.repeat(98)}`)],
    ['a name twice, 126 deep', HEADER, claimsText(`,"x":${'['.repeat(124)}{"a":1,"a":2}${']'.repeat(124)}`)],
    ['a token over 16,384 characters', HEADER, claimsText(`,"x":[${Array(9_000).fill(0).join(',')}]`)],
  ]) {
    const { wasm, web } = await both(BASE, hsText(header, payload));
    assert.equal(wasm.code, 'MALFORMED_TOKEN', `${name}: wasm`);
    assert.equal(web.code, 'MALFORMED_TOKEN', `${name}: web`);
  }
  // The same names once each, in separate objects (also deep, also after a long list): accepted by both.
  for (const more of [',"x":{"a":1},"y":{"a":1}', `,"x":${'['.repeat(124)}{"a":1},{"a":1}${']'.repeat(124)}`, `,"x":[${Array(5_000).fill(0).join(',')}],"y":{"a":1},"z":{"a":1}`]) {
    const { wasm, web } = await both(BASE, hsText(HEADER, claimsText(more)));
    assert.equal(wasm.code, undefined, more.slice(0, 40));
    assert.deepEqual(web, wasm);
  }
});

test('what serde_json refuses and JSON.parse takes: nesting 128 deep, numbers past a double, escaped lone surrogates, a content type; ent.device blank by Unicode', async () => {
  const nested = (depth) => `${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}`; // in the claims object: depth in all
  for (const [name, header, payload, accepted] of [
    ['nesting 127 deep', HEADER, claimsText(`,"x":${nested(127)}`), true],
    ['nesting 128 deep', HEADER, claimsText(`,"x":${nested(128)}`), false],
    ['a header nested 128 deep', `{"alg":"HS256","kid":"hs256","x":${nested(128)}}`, claimsText(''), false],
    ['1e308', HEADER, claimsText(',"x":1e308'), true],
    ['1e309 (Infinity to JSON.parse)', HEADER, claimsText(',"x":1e309'), false],
    ['-1e400', HEADER, claimsText(',"x":-1e400'), false],
    ['1e-400 (zero to both)', HEADER, claimsText(',"x":1e-400'), true],
    // serde_json multiplies up to a u64 of digits by a power of ten in doubles: it refuses some
    // numbers just under the largest double that JSON.parse rounds to it.
    ['1.7976931348623157e308 (the largest double)', HEADER, claimsText(',"x":1.7976931348623157e308'), true],
    ['1.7976931348623158e308', HEADER, claimsText(',"x":1.7976931348623158e308'), false],
    ['-1.7976931348623158e308', HEADER, claimsText(',"x":-1.7976931348623158e308'), false],
    ['the largest double\'s 309 digits (serde_json: out of range)', HEADER, claimsText(`,"x":${(2n ** 1024n - 2n ** 971n).toString()}`), false],
    ['179769313486231580000 x 1e288', HEADER, claimsText(',"x":179769313486231580000e288'), false],
    ['0.1e309 (a significand of 1)', HEADER, claimsText(',"x":0.1e309'), true],
    ['1.79769313486231570e308 (a fraction digit more)', HEADER, claimsText(',"x":1.79769313486231570e308'), true],
    ['1e2147483648 (an exponent past an i32)', HEADER, claimsText(',"x":1e2147483648'), false],
    ['0e2147483648', HEADER, claimsText(',"x":0e2147483648'), true],
    ['1e-2147483648', HEADER, claimsText(',"x":1e-2147483648'), true],
    ['an escaped lone surrogate', HEADER, claimsText(',"x":"\\ud800"'), false],
    ['an escaped lone surrogate as a name', HEADER, claimsText(',"\\udc00":1'), false],
    ['an escaped surrogate pair', HEADER, claimsText(',"x":"\\ud83c\\udfac"'), true],
    ['cty JWT (a nested token)', '{"alg":"HS256","kid":"hs256","cty":"JWT"}', claimsText(''), false],
    ['cty of anything', '{"alg":"HS256","kid":"hs256","cty":"text/plain"}', claimsText(''), false],
    // Rust's trim is Unicode's White_Space: U+0085 and U+00A0 are blank, U+FEFF is not (JS's trim says the opposite of both ends).
    ['ent.device U+0085', HEADER, claimsText(',"ent":{"device":"\\u0085"}'), false],
    ['ent.device U+00A0 U+3000', HEADER, claimsText(',"ent":{"device":"\\u00a0\\u3000"}'), false],
    ['ent.device U+FEFF', HEADER, claimsText(',"ent":{"device":"\\ufeff"}'), true],
  ]) {
    const { wasm, web } = await both(BASE, hsText(header, payload));
    assert.equal(wasm.code === undefined, accepted, `${name}: wasm ${wasm.code}`);
    if (accepted) assert.deepEqual(web, wasm, name);
    else assert.equal(web.code, wasm.code, `${name}: wasm ${wasm.code}, web ${web.code}`);
  }
});

test('an Ed25519 key of small order (libsodium\'s list, either sign bit) or not a canonical point: INVALID_KEY in both verifiers and both modules\' gates; under one, OpenSSL verifies a signature anyone can make', async () => {
  const { createPublicKey, verify } = await import('node:crypto');
  // libsodium's ge25519_has_small_order list (ed25519_ref10.c): the encodings of the points of
  // order 1, 2, 4 and 8, and the non-canonical ones among them (y = p, y = p + 1).
  const ff = 'ff'.repeat(30);
  const SMALL_ORDER = [
    '00'.repeat(32), `01${'00'.repeat(31)}`,
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    `ec${ff}7f`, `ed${ff}7f`, `ee${ff}7f`,
  ];
  // The danger: the neutral point as the key, R the neutral point and S = 0 as the signature.
  const neutral = Buffer.from(SMALL_ORDER[1], 'hex');
  const openssl = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: neutral.toString('base64url') }, format: 'jwk' });
  assert.equal(verify(null, Buffer.from('any header.any payload'), openssl, Buffer.concat([neutral, Buffer.alloc(32)])), true, 'OpenSSL takes the forgery');
  const configs = [];
  for (const hex of SMALL_ORDER) {
    for (const signBit of [0, 0x80]) {
      const x = Buffer.from(hex, 'hex');
      x[31] |= signBit;
      configs.push([`small order ${x.toString('hex')}`, x]);
    }
  }
  // y = p + 2 (not canonical whether or not it is a point), and the first y that is no point.
  const P = 2n ** 255n - 19n;
  const le = (n) => Buffer.from(n.toString(16).padStart(64, '0'), 'hex').reverse();
  configs.push(['y = p + 2', le(P + 2n)]);
  const powMod = (b, e) => {
    let r = 1n;
    let x = ((b % P) + P) % P;
    for (let n = e; n > 0n; n >>= 1n) {
      if (n & 1n) r = (r * x) % P;
      x = (x * x) % P;
    }
    return r;
  };
  const d = ((-121665n * powMod(121666n, P - 2n)) % P + P) % P; // RFC 8032 5.1: d = -121665/121666
  // The first y for which x^2 = (y^2 - 1) / (d y^2 + 1) has no root (Euler's criterion).
  let y = 2n;
  while (powMod((y * y - 1n) * powMod(d * y * y + 1n, P - 2n), (P - 1n) / 2n) !== P - 1n) y++;
  configs.push([`y = ${y}, no point`, le(y)]);
  const player = await import(path.join(PKG, 'node/index.mjs'));
  const edgeModule = await import(path.join(PKG, 'edge/node/index.mjs'));
  for (const [name, x] of configs) {
    const config = { algorithms: ['EdDSA'], keys: [{ kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }] };
    assert.throws(() => JwtVerifier.fromJson(config), { code: 'INVALID_KEY' }, `${name}: wasm`);
    assert.throws(() => webVerifier(config), { code: 'INVALID_KEY' }, `${name}: web`);
    for (const m of [player, edgeModule]) assert.throws(() => m.createGate({ verifier: config, origin: 'https://origin.example' }), { code: 'INVALID_KEY' }, `${name}: a gate`);
  }
  // jose's key is taken by both.
  const good = { algorithms: ['EdDSA'], keys: [await publicJwk('EdDSA')] };
  JwtVerifier.fromJson(good).free();
  webVerifier(good);
});

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

test('header thumbprints, content types, null times and serde_json\'s refusals read alike, and the signature\'s length is checked before the claims', async () => {
  const b64 = (n, fill = 7) => Buffer.alloc(n, fill).toString('base64url');
  const spare = b64(20).slice(0, -1) + 'F'; // the last character's spare bits set (not canonical)
  const headerCases = [
    { x5t: b64(20) }, { x5t: `${b64(20)}=` }, { x5t: `${b64(20)}==` }, { x5t: `${b64(20)}===` }, { x5t: b64(19) }, { x5t: spare },
    { x5t: 'abc' }, { x5t: 5 }, { x5t: null }, { x5t: {} }, { x5t: Buffer.from('a thumbprint written as text').toString('base64url') },
    { x5t: Buffer.from([0xff, ...Array(25).fill(0x41)]).toString('base64url') }, { x5t: `${b64(20)}!` },
    { 'x5t#S256': b64(32) }, { 'x5t#S256': b64(20) }, { 'x5t#S256': 'abc' }, { 'x5t#S256': {} }, { 'x5t#S256': Buffer.from('x'.repeat(40)).toString('base64url') },
    { cty: 'json' }, { cty: 'JSON' }, { cty: 'Json' }, { cty: 'cbor' }, { cty: 'jsonx' }, { cty: 'ſon' },
  ];
  for (const header of headerCases) {
    const { wasm, web } = await both(BASE, hsRaw(header));
    if (wasm.code === undefined) assert.deepEqual(web, wasm, `${JSON.stringify(header)}: both accept, alike`);
    else assert.equal(web.code, wasm.code, `${JSON.stringify(header)}: wasm ${wasm.code}, web ${web.code}`);
  }
  const lax = { ...BASE, requireExp: false };
  const nested = `${'['.repeat(127)}${']'.repeat(127)}`;
  const hs = (payload) => hsText(HEADER, payload);
  const badSignature = (token) => token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);
  for (const [name, config, token] of [
    ['exp null, exp not required', lax, await sign('ES256', { exp: null })],
    ['nbf null', BASE, await sign('ES256', { nbf: null })],
    ['iat null', BASE, await sign('ES256', { iat: null })],
    ['nesting 128 deep, exp not required', lax, hs(claimsText(`,"x":${nested}`))],
    ['1e309, an issuer configured', BASE, hs(claimsText(',"x":1e309'))],
    ['an escaped lone surrogate, a bad signature', BASE, badSignature(hs(claimsText(',"x":"\\ud800"')))],
    ...['ES256', 'EdDSA', 'HS256'].map((alg) => [`${alg}: a signature a byte short, claims that are a list`, BASE, (() => {
      const sig = Buffer.alloc(alg === 'HS256' ? 31 : 63, 1).toString('base64url');
      return `${part({ alg, kid: alg.toLowerCase() })}.${part([1])}.${sig}`;
    })()]),
    // ES256's r and s out of 1..n-1 (p256 reads them with the length), then in range, with
    // claims that are a list: jwt-compact's order decides the code.
    ...[['r = 0', 0n, 1n], ['r = n', P256_N, 1n], ['r = 2^256 - 1', 2n ** 256n - 1n, 1n], ['s = 0', 1n, 0n], ['s = n', 1n, P256_N],
      ['s = n + 1', 1n, P256_N + 1n], ['r = n - 1, s = 1 (in range)', P256_N - 1n, 1n]].map(([what, r, s]) => [`ES256: ${what}, claims that are a list`, BASE,
      `${part({ alg: 'ES256', kid: 'es256' })}.${part([1])}.${Buffer.from(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'), 'hex').toString('base64url')}`]),
  ]) {
    const { wasm, web } = await both(config, token);
    assert.notEqual(wasm.code, undefined, `${name}: refused`);
    assert.equal(web.code, wasm.code, `${name}: wasm ${wasm.code}, web ${web.code}`);
  }
});

test('a token whose header has `kid: null` is refused (MALFORMED_TOKEN) by every verifier, as jose\'s key set picks no key for it: never "any key"', async () => {
  const es = await exportedEs();
  const config = { algorithms: ['ES256'], keys: { keys: [es] }, audience: 'edge', issuer: 'auth' };
  const signed = `${part({ alg: 'ES256', kid: null })}.${part({ scope: SCOPE, aud: 'edge', iss: 'auth', exp: T + 300 })}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pairs.ES256.privateKey, new TextEncoder().encode(signed));
  const token = `${signed}.${Buffer.from(signature).toString('base64url')}`;
  // The truth: jose with the same set refuses it; without the kid member it verifies.
  await assert.rejects(jose.jwtVerify(token, jose.createLocalJWKSet({ keys: [es] }), { algorithms: ['ES256'], audience: 'edge', issuer: 'auth', currentDate: new Date(NOW) }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  const plain = `${part({ alg: 'ES256' })}.${signed.split('.')[1]}`;
  const plainToken = `${plain}.${Buffer.from(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pairs.ES256.privateKey, new TextEncoder().encode(plain))).toString('base64url')}`;
  await jose.jwtVerify(plainToken, jose.createLocalJWKSet({ keys: [es] }), { algorithms: ['ES256'], audience: 'edge', issuer: 'auth', currentDate: new Date(NOW) });
  assert.equal((await both(config, plainToken)).wasm.code, undefined, 'the same token without kid verifies here too');
  const { wasm, web } = await both(config, token);
  assert.equal(wasm.code, 'MALFORMED_TOKEN');
  assert.equal(web.code, 'MALFORMED_TOKEN');
  const verifier = JwtVerifier.fromJson(config);
  try {
    await assert.rejects(verifier.verifyAsync(token, { now: NOW }), { code: 'MALFORMED_TOKEN' });
    assert.throws(() => verifier.verify(token, { now: NOW }), { code: 'MALFORMED_TOKEN' });
  } finally {
    verifier.free();
  }
});
