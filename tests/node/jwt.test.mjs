// JWT verification in the edge module against tokens minted by `jose` (npm) for every
// algorithm, and the attacks a verifier must refuse: tampered signatures and payloads,
// `alg: none`, HS/RS key confusion, unknown kids, expired and not-yet-valid tokens, wrong
// issuer or audience. Truth comes from jose (it signs) and from RFC 7515/7518/7519.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO, PKG } from './helpers.mjs';

const jose = await import(path.join(REPO, 'tests/node_modules/jose/dist/webapi/index.js'));
const { JwtVerifier } = await import(path.join(PKG, 'edge/node/index.mjs'));
const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const NOW = Date.parse('2026-01-01T00:00:00Z');
const S = NOW / 1000;

/** A key pair for `alg` from jose: the signing key, and the public JWK with a kid. */
async function keys(alg, kid = 'k1') {
  if (alg === 'HS256') {
    const secret = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    return { sign: secret, jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid } };
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  return { sign: privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid } };
}

async function mint(alg, key, claims = {}, header = {}) {
  const payload = { sub: 'user-42', iss: 'playgate-auth', aud: 'edge', iat: S, nbf: S - 60, exp: S + 600, ...claims };
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid: 'k1', ...header }).sign(key.sign);
}

const code = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error);
    return e.code;
  }
  return 'OK';
};

for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256']) {
  test(`${alg}: jose-minted tokens verify; tampering and time are refused`, async () => {
    const key = await keys(alg);
    const verifier = JwtVerifier.fromJson({ algorithms: [alg], keys: { keys: [key.jwk] }, issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30 });
    const token = await mint(alg, key, { scope: { permissions: [] } });
    const verified = verifier.verify(token, { now: NOW });
    assert.equal(verified.algorithm, alg);
    assert.equal(verified.keyId, 'k1');
    assert.deepEqual(verified.claims, jose.decodeJwt(token));
    // Every region of the signature, flipped.
    const [h, p, sig] = token.split('.');
    for (const at of [0, Math.floor(sig.length / 2), sig.length - 2]) {
      const flipped = sig.slice(0, at) + (sig[at] === 'A' ? 'B' : 'A') + sig.slice(at + 1);
      assert.equal(code(() => verifier.verify(`${h}.${p}.${flipped}`, { now: NOW })), 'BAD_SIGNATURE', `signature char ${at}`);
    }
    // The payload edited (another subject), the signature kept.
    const edited = b64u({ ...jose.decodeJwt(token), sub: 'admin' });
    assert.equal(code(() => verifier.verify(`${h}.${edited}.${sig}`, { now: NOW })), 'BAD_SIGNATURE');
    // exp and nbf with the 30 s leeway.
    assert.equal(code(() => verifier.verify(token, { now: NOW + 629_000 })), 'OK', 'within the leeway after exp');
    assert.equal(code(() => verifier.verify(token, { now: NOW + 631_000 })), 'TOKEN_EXPIRED');
    assert.equal(code(() => verifier.verify(token, { now: NOW - 89_000 })), 'OK', 'within the leeway before nbf');
    assert.equal(code(() => verifier.verify(token, { now: NOW - 91_000 })), 'TOKEN_NOT_YET_VALID');
    // Issuer and audience.
    const [otherIssuer, twoAudiences, otherAudience, otherKid] = await Promise.all([
      mint(alg, key, { iss: 'someone-else' }), mint(alg, key, { aud: ['other', 'edge'] }),
      mint(alg, key, { aud: 'player' }), mint(alg, key, {}, { kid: 'k2' }),
    ]);
    assert.equal(code(() => verifier.verify(otherIssuer, { now: NOW })), 'WRONG_ISSUER');
    assert.equal(code(() => verifier.verify(twoAudiences, { now: NOW })), 'OK');
    assert.equal(code(() => verifier.verify(otherAudience, { now: NOW })), 'WRONG_AUDIENCE');
    // A kid the verifier does not have.
    assert.equal(code(() => verifier.verify(otherKid, { now: NOW })), 'UNKNOWN_KEY');
  });
}

test('alg none, and algorithms outside the configuration, are refused before any signature check', async () => {
  const key = await keys('ES256');
  const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: [key.jwk] });
  const payload = b64u({ sub: 'user-42', exp: S + 600 });
  for (const header of [{ alg: 'none' }, { alg: 'None' }, { alg: 'HS256', kid: 'k1' }, { alg: 'ES384' }]) {
    assert.equal(code(() => verifier.verify(`${b64u(header)}.${payload}.`, { now: NOW })), 'ALGORITHM_NOT_ALLOWED', JSON.stringify(header));
  }
});

test('HS/RS confusion: an HS256 token signed with the RSA public key is refused', async () => {
  const rsa = await keys('RS256');
  const publicBytes = new TextEncoder().encode(JSON.stringify(rsa.jwk)); // what a confused server might use as an HMAC secret
  const forged = await new jose.SignJWT({ sub: 'admin' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setExpirationTime(S + 600).sign(publicBytes);
  const rsOnly = JwtVerifier.fromJson({ algorithms: ['RS256'], keys: [rsa.jwk] });
  assert.equal(code(() => rsOnly.verify(forged, { now: NOW })), 'ALGORITHM_NOT_ALLOWED');
  const both = JwtVerifier.fromJson({ algorithms: ['RS256', 'HS256'], keys: [rsa.jwk] });
  assert.equal(code(() => both.verify(forged, { now: NOW })), 'UNKNOWN_KEY', 'no HS256 key is configured');
});

test('the Mosaic end-user profile: RS256, kid required, iss ax-user-service', async () => {
  const key = await keys('RS256', 'mosaic-1');
  const verifier = JwtVerifier.mosaicEndUser({ keys: [key.jwk] });
  const good = await new jose.SignJWT({ sub: 'end-user' }).setProtectedHeader({ alg: 'RS256', kid: 'mosaic-1' })
    .setIssuer('ax-user-service').setExpirationTime(S + 600).sign(key.sign);
  assert.equal(verifier.verify(good, { now: NOW }).claims.sub, 'end-user');
  const noKid = await new jose.SignJWT({ sub: 'end-user' }).setProtectedHeader({ alg: 'RS256' })
    .setIssuer('ax-user-service').setExpirationTime(S + 600).sign(key.sign);
  assert.equal(code(() => verifier.verify(noKid, { now: NOW })), 'UNKNOWN_KEY');
  const otherIssuer = await new jose.SignJWT({ sub: 'end-user' }).setProtectedHeader({ alg: 'RS256', kid: 'mosaic-1' })
    .setIssuer('someone').setExpirationTime(S + 600).sign(key.sign);
  assert.equal(code(() => verifier.verify(otherIssuer, { now: NOW })), 'WRONG_ISSUER');
  const noExp = await new jose.SignJWT({ sub: 'end-user' }).setProtectedHeader({ alg: 'RS256', kid: 'mosaic-1' })
    .setIssuer('ax-user-service').sign(key.sign);
  assert.equal(code(() => verifier.verify(noExp, { now: NOW })), 'MALFORMED_TOKEN', 'exp is enforced');
});

test('unusable configurations and malformed tokens are coded errors; the module keeps working', async () => {
  const weak = { kty: 'oct', k: b64u('too short') };
  assert.equal(code(() => JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [weak] })), 'INVALID_KEY', 'RFC 7518: HS256 keys of 32 bytes or more');
  const { generateKeyPairSync } = await import('node:crypto');
  const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  assert.equal(code(() => JwtVerifier.fromJson({ algorithms: ['RS256'], keys: [shortRsa] })), 'INVALID_KEY', 'RFC 7518: RSA keys of 2048 bits or more');
  assert.equal(code(() => JwtVerifier.fromJson({ algorithms: ['PS256'], keys: [] })), 'INVALID_KEY');
  assert.equal(code(() => JwtVerifier.fromJson({ algorithms: ['ES256'], keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] })), 'INVALID_KEY');
  assert.equal(code(() => JwtVerifier.fromJson('{')), 'INVALID_KEY');
  const key = await keys('ES256');
  const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: [key.jwk] });
  for (const bad of ['', 'a.b', 'a.b.c.d', '!!!.???.***', `${b64u('[1]')}.${b64u('{}')}.`]) {
    assert.ok(['MALFORMED_TOKEN', 'ALGORITHM_NOT_ALLOWED'].includes(code(() => verifier.verify(bad, { now: NOW }))), bad);
  }
  assert.equal(code(() => verifier.verify(42)), 'MALFORMED_TOKEN');
  // A token over 16,384 characters is refused before any of it is parsed (jwt-compact reads the
  // claims before the signature: a forged 100 MB one ran wasm out of memory, ending the instance).
  const huge = `${b64u('{"alg":"ES256"}')}.${b64u(`{"x":[${'0,'.repeat(9000)}0]}`)}.${b64u('s')}`;
  assert.ok(huge.length > 16384);
  const started = Date.now();
  for (const call of [() => verifier.verify(huge, { now: NOW }), () => verifier.verifyPlayback(huge, { now: NOW })]) assert.equal(code(call), 'MALFORMED_TOKEN');
  await assert.rejects(verifier.verifyAsync(huge, { now: NOW }), { code: 'MALFORMED_TOKEN' });
  assert.ok(Date.now() - started < 1000);
  assert.equal(verifier.verify(await mint('ES256', key), { now: NOW }).claims.sub, 'user-42', 'still working');
});

test('playback tokens: minted by playgate for every algorithm, verified by jose and by playgate', async () => {
  const { PlaybackTokenMinter, PermissionScope } = await import(path.join(PKG, 'edge/node/index.mjs'));
  const scopeJson = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
  for (const alg of ['HS256', 'ES256', 'EdDSA', 'RS256']) {
    let privateJwk;
    let verifyKey;
    if (alg === 'HS256') {
      const secret = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
      privateJwk = { kty: 'oct', k: Buffer.from(secret).toString('base64url') };
      verifyKey = secret;
    } else {
      const pair = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
      privateJwk = await jose.exportJWK(pair.privateKey);
      verifyKey = pair.publicKey;
    }
    const publicJwk = alg === 'HS256' ? { ...privateJwk, kid: 'pb' } : { ...(await jose.exportJWK(verifyKey)), kid: 'pb' };
    const minter = PlaybackTokenMinter.fromJson({ algorithm: alg, key: privateJwk, kid: 'pb', issuer: 'playgate-auth', audience: 'edge' });
    const token = minter.mint({ scope: scopeJson, subject: 'user-42', entitlement: { maxQuality: 'HD', country: 'de', device: 'web' }, now: NOW });
    // jose verifies what playgate signed (with jose's own clock checks at NOW).
    const { payload, protectedHeader } = await jose.jwtVerify(token, verifyKey, {
      algorithms: [alg], issuer: 'playgate-auth', audience: 'edge', currentDate: new Date(NOW),
    });
    assert.equal(protectedHeader.alg, alg);
    assert.equal(protectedHeader.kid, 'pb');
    assert.deepEqual(payload.scope, scopeJson);
    assert.deepEqual(payload.ent, { maxQuality: 'HD', country: 'DE', device: 'web' });
    assert.equal(payload.sub, 'user-42');
    assert.equal(payload.iat, S);
    assert.equal(payload.exp, S + 300, 'a short default lifetime: five minutes');
    assert.match(payload.jti, /^[A-Za-z0-9_-]{22}$/, '16 random bytes');
    assert.notEqual(minter.mint({ scope: scopeJson, now: NOW }).split('.')[1], minter.mint({ scope: scopeJson, now: NOW }).split('.')[1], 'a fresh jti each time');
    // playgate verifies it and reads the scope back.
    const verifier = JwtVerifier.fromJson({ algorithms: [alg], keys: [publicJwk], issuer: 'playgate-auth', audience: 'edge' });
    const playback = verifier.verifyPlayback(token, { now: NOW + 1000 });
    assert.ok(playback.scope instanceof PermissionScope);
    assert.equal(playback.scope.allows('get', 'media', '/Movie1/1080p/segment1.ts'), true);
    assert.equal(playback.scope.allows('get', 'media', '/Movie2/1080p/segment1.ts'), false);
    assert.deepEqual(playback.entitlement, { maxQuality: 'HD', country: 'DE', device: 'web' });
    assert.equal(code(() => verifier.verifyPlayback(token, { now: NOW + 301_000 + 60_000 })), 'TOKEN_EXPIRED');
  }
  // A verified JWT without a scope is not a playback token.
  const key = await keys('ES256');
  const plain = await mint('ES256', key);
  const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: [key.jwk] });
  assert.equal(code(() => verifier.verifyPlayback(plain, { now: NOW })), 'INVALID_SCOPE');
  assert.equal(code(() => PlaybackTokenMinter.fromJson({ algorithm: 'ES256', key: key.jwk })), 'INVALID_KEY', 'a public key cannot sign');
});

for (const alg of ['ES256', 'RS256']) test(`verifyAsync: ${alg} signatures through WebCrypto, everything else as verify`, async () => {
  const key = await keys(alg);
  const other = await keys(alg, 'k2');
  // The key as a JWKS publishes it (`use`, `alg`): only its public members reach WebCrypto.
  const published = { ...key.jwk, use: 'sig', alg };
  const verifier = JwtVerifier.fromJson({ algorithms: [alg, 'HS256'], keys: [other.jwk, published], issuer: 'playgate-auth', audience: 'edge' });
  const token = await mint(alg, key);
  const sync = verifier.verify(token, { now: NOW });
  assert.deepEqual(await verifier.verifyAsync(token, { now: NOW }), sync);
  const codeAsync = async (p) => p.then(() => 'OK', (e) => e.code);
  const [h, p, sig] = token.split('.');
  const flipped = sig.slice(0, 11) + (sig[11] === 'A' ? 'B' : 'A') + sig.slice(12);
  assert.equal(await codeAsync(verifier.verifyAsync(`${h}.${p}.${flipped}`, { now: NOW })), 'BAD_SIGNATURE');
  assert.equal(await codeAsync(verifier.verifyAsync(`${h}.${b64u({ ...jose.decodeJwt(token), sub: 'admin' })}.${sig}`, { now: NOW })), 'BAD_SIGNATURE');
  assert.equal(await codeAsync(verifier.verifyAsync(token, { now: NOW + 700_000 })), 'TOKEN_EXPIRED');
  assert.equal(await codeAsync(verifier.verifyAsync(await mint(alg, key, {}, { kid: 'k9' }), { now: NOW })), 'UNKNOWN_KEY');
  assert.equal(await codeAsync(verifier.verifyAsync(await mint(alg, key, { aud: 'player' }), { now: NOW })), 'WRONG_AUDIENCE');
  // Signed by the other configured key but naming k1: WebCrypto finds no valid key among k1.
  assert.equal(await codeAsync(verifier.verifyAsync(await mint(alg, other, {}, { kid: 'k1' }), { now: NOW })), 'BAD_SIGNATURE');
  const esOnly = JwtVerifier.fromJson({ algorithms: ['EdDSA'], keys: [(await keys('EdDSA')).jwk] });
  assert.equal(await codeAsync(esOnly.verifyAsync(token, { now: NOW })), 'ALGORITHM_NOT_ALLOWED');
  if (alg === 'RS256') {
    // The Mosaic end-user profile (RS256, kid required, iss ax-user-service) the same way.
    const mosaic = JwtVerifier.mosaicEndUser({ keys: [published] });
    const endUser = await mint('RS256', key, { iss: 'ax-user-service' });
    assert.deepEqual(await mosaic.verifyAsync(endUser, { now: NOW }), mosaic.verify(endUser, { now: NOW }));
    assert.equal(await codeAsync(mosaic.verifyAsync(token, { now: NOW })), 'WRONG_ISSUER');
    assert.equal(await codeAsync(mosaic.verifyAsync(await mint('RS256', key, { iss: 'ax-user-service' }, { kid: undefined }), { now: NOW })), 'UNKNOWN_KEY');
  }
  // Other algorithms take the synchronous path and give the same answers.
  const hs = await keys('HS256');
  const hsVerifier = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [hs.jwk] });
  const hsToken = await mint('HS256', hs);
  assert.deepEqual(await hsVerifier.verifyAsync(hsToken, { now: NOW }), hsVerifier.verify(hsToken, { now: NOW }));
});

test('a header with crit is refused (RFC 7515 4.1.11: playgate understands no extension), as jose refuses it; so is a key named by the token', async () => {
  for (const alg of ['HS256', 'ES256']) {
    const key = await keys(alg);
    const verifier = JwtVerifier.fromJson({ algorithms: [alg], keys: [key.jwk] });
    // jose signs it only when told the extension is understood; its verifier, not told, refuses it.
    const token = await new jose.SignJWT({ sub: 'user-42', exp: S + 600 })
      .setProtectedHeader({ alg, kid: 'k1', crit: ['x-unknown'], 'x-unknown': 1 })
      .sign(key.sign, { crit: { 'x-unknown': true } });
    // jose, the reference, rejects the same token.
    const joseKey = alg === 'HS256' ? key.sign : await jose.importJWK(key.jwk, alg);
    await assert.rejects(jose.jwtVerify(token, joseKey, { currentDate: new Date(NOW) }), /crit|Extension/i);
    assert.equal(code(() => verifier.verify(token, { now: NOW })), 'MALFORMED_TOKEN');
    await assert.rejects(verifier.verifyAsync(token, { now: NOW }), { code: 'MALFORMED_TOKEN' });
    // A key carried or pointed to by the token itself (RFC 8725 3.10) is refused, even the right one.
    for (const header of [{ jwk: key.jwk }, { jku: 'https://attacker.example/keys' }, { x5u: 'https://attacker.example/c' }, { x5c: ['MIIB'] }]) {
      const withKey = await mint(alg, key, {}, header);
      assert.equal(code(() => verifier.verify(withKey, { now: NOW })), 'MALFORMED_TOKEN', Object.keys(header)[0]);
    }
    // Without crit the same claims verify.
    const plain = await mint(alg, key);
    assert.equal(code(() => verifier.verify(plain, { now: NOW })), 'OK');
  }
});

test('verifyPlayback refuses an ent claim that is not the summary the minter writes', async () => {
  const key = await keys('HS256');
  const verifier = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [key.jwk] });
  const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
  const good = await mint('HS256', key, { scope, ent: { maxQuality: 'HD', country: 'DE', device: 'web' } });
  assert.deepEqual(verifier.verifyPlayback(good, { now: NOW }).entitlement, { maxQuality: 'HD', country: 'DE', device: 'web' });
  assert.equal(verifier.verifyPlayback(await mint('HS256', key, { scope }), { now: NOW }).entitlement, null);
  for (const ent of ['not an object', 7, true, [], { maxQuality: '8K' }, { country: 'DEU' }, { device: '' }, { extra: 1 }]) {
    const token = await mint('HS256', key, { scope, ent });
    assert.equal(code(() => verifier.verifyPlayback(token, { now: NOW })), 'MALFORMED_TOKEN', JSON.stringify(ent));
  }
});

test('minting never widens what was asked: an undefined selector, a misspelt option or a lone surrogate is a coded error, never a token', async () => {
  const { PlaybackTokenMinter, MomentoTokenIssuer, PermissionScope } = await import(path.join(PKG, 'edge/node/index.mjs'));
  const { DisposableTokenScopes } = await import('@gomomento/sdk-core');
  const key = { kty: 'oct', k: Buffer.from(new Uint8Array(32).map((_, i) => (i * 5 + 1) & 0xff)).toString('base64url') };
  const minter = PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key, kid: 'm', audience: 'edge' });
  const issuer = MomentoTokenIssuer.fromJson({ secret: key, endpoint: 'cache.example' });
  const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
  // The SDK's own helper with a folder that is missing: JSON.stringify writes `item: {}`, every key.
  const missing = DisposableTokenScopes.cacheKeyPrefixReadOnly('media', undefined);
  assert.equal(JSON.stringify(missing.permissions[0].item), '{}', 'JSON would read it as all items');
  for (const widened of [missing,
    { permissions: [{ role: 'readonly', cache: 'media', item: { key: undefined } }] },
    { permissions: [{ role: 'readonly', cache: 'media', item: undefined }] },
    { permissions: [{ role: 'readonly', cache: { name: undefined } }] },
    { permissions: [{ role: 'subscribeonly', cache: 'chat', topic: { name: undefined } }] }]) {
    assert.throws(() => PermissionScope.fromJson(widened), { code: 'INVALID_SCOPE' }, JSON.stringify(widened));
    assert.throws(() => minter.mint({ scope: widened }), { code: 'INVALID_SCOPE' });
    assert.throws(() => issuer.mint({ scope: widened, tokenId: 't' }), { code: 'INVALID_SCOPE' });
  }
  // A misspelt option would mint a token without its cap, its country lock or its lifetime.
  for (const options of [{ scope, entitlements: { maxQuality: 'SD' } }, { scope, entitlement: { maxquality: 'SD' } }, { scope, maxQuality: 'SD' },
    { scope, entitlement: { maxQuality: 'UHD1', contry: 'DE' } }]) {
    assert.throws(() => minter.mint(options), { code: 'INVALID_REQUEST' }, JSON.stringify(options));
  }
  assert.throws(() => issuer.mint({ scope, tokenId: 't', lifetime: 60 }), { code: 'INVALID_REQUEST' });
  // Misspelt the other ways destructuring reads a name: a class's getter, a member defined
  // non-enumerable, one inherited.
  class Misspelt { get maxquality() { return 'SD'; } }
  for (const entitlement of [new Misspelt(), Object.defineProperty({}, 'maxquality', { value: 'SD' }), Object.create({ maxquality: 'SD' })]) {
    assert.throws(() => minter.mint({ scope, entitlement }), { code: 'INVALID_REQUEST' }, String(entitlement));
  }
  // Text UTF-8 cannot carry would be minted as U+FFFD: two subjects one.
  for (const options of [{ scope, subject: 'u\ud800' }, { scope, entitlement: { device: 'tv\udc00' } }]) {
    assert.throws(() => minter.mint(options), { code: 'INVALID_REQUEST' }, JSON.stringify(options));
  }
  assert.throws(() => minter.mint({ scope: '{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/M\ud800/"}}]}' }), { code: 'INVALID_SCOPE' });
  assert.throws(() => issuer.mint({ scope, tokenId: 'a\ud800' }), { code: 'INVALID_REQUEST' });
  // And what is asked is what jose reads.
  const { payload } = await jose.jwtVerify(minter.mint({ scope, entitlement: { maxQuality: 'SD' } }), Buffer.from(key.k, 'base64url'));
  assert.deepEqual([payload.scope, payload.ent], [scope, { maxQuality: 'SD' }]);
});
