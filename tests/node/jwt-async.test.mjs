// verifyPlaybackAsync (and verifyAsync) against verifyPlayback (and verify): tokens signed by
// jose (npm) with a kid among several configured keys; the asynchronous methods check ES256,
// RS256 and EdDSA signatures with the platform's WebCrypto and must give exactly what the
// synchronous ones give: the same fields and scope for a valid token, the same error codes
// (as coded rejections, never a throw before the promise) for every refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { REPO, PKG, rejects } from './helpers.mjs';

/** `token` with one signature character changed (never the same text; still canonical base64url). */
const forged = (token) => token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);

const jose = await import(path.join(REPO, 'tests/node_modules/jose/dist/webapi/index.js'));
const { JwtVerifier, PermissionScope } = await import(path.join(PKG, 'edge/node/index.mjs'));
const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const NOW = Date.parse('2026-01-01T00:00:00Z');
const S = NOW / 1000;
const SCOPE = { permissions: [
  { role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } },
  { role: 'readwrite', cache: 'media', item: { key: '/progress/user-42' } },
  { role: 'subscribeonly', cache: 'media', topic: 'live' },
] };
const KEYS_TO_CHECK = ['/Movie1/1080p/segment1.ts', '/Movie1/', '/Movie2/480p/segment1.ts', '/progress/user-42', '/progress/user-43', ''];
const OPERATIONS = ['get', 'set', 'delete', 'unknown-operation'];

/** Key pairs for `alg` from jose: the signing keys and the public JWKs, each with its kid. */
async function keyPairs(alg, kids) {
  return Promise.all(kids.map(async (kid) => {
    if (alg === 'HS256') {
      const secret = new Uint8Array(32).map((_, i) => (i * 37 + kid.length * 11) & 0xff);
      return { kid, sign: secret, jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid } };
    }
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    return { kid, sign: privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid } };
  }));
}

function mint(alg, pair, claims = {}, header = {}) {
  const payload = { sub: 'user-42', iss: 'playgate-auth', aud: 'edge', iat: S, nbf: S - 60, exp: S + 600, scope: SCOPE, ent: { maxQuality: 'HD', country: 'DE' }, ...claims };
  return new jose.SignJWT(payload).setProtectedHeader({ alg, kid: pair.kid, ...header }).sign(pair.sign);
}

/** What a promise-returning call gives: 'OK' or the rejection's code; it must not throw and must be a Promise. */
async function outcome(call) {
  let promise;
  try {
    promise = call();
  } catch (error) {
    assert.fail(`threw before the promise: ${error && error.code} ${error && error.message}`);
  }
  assert.ok(promise instanceof Promise, 'returns a Promise');
  try {
    await promise;
    return 'OK';
  } catch (error) {
    assert.ok(error instanceof Error, `a real Error, got ${String(error)}`);
    assert.equal(typeof error.code, 'string', `a coded error: ${error.message}`);
    return error.code;
  }
}

/** The synchronous method's outcome: 'OK' or the thrown error's code. */
function outcomeSync(call) {
  try {
    call();
    return 'OK';
  } catch (error) {
    assert.ok(error instanceof Error);
    return error.code;
  }
}

/** A playback result as plain data: its fields, with the scope as its JSON and its answers. */
function plain(verified) {
  const { scope, ...rest } = verified;
  assert.ok(scope instanceof PermissionScope);
  const answers = [];
  for (const op of OPERATIONS) for (const key of KEYS_TO_CHECK) answers.push(scope.allows(op, 'media', key), scope.allows(op, 'other', key));
  for (const op of ['publish', 'subscribe']) answers.push(scope.allowsTopic(op, 'media', 'live'), scope.allowsTopic(op, 'media', 'other'));
  return { ...rest, scope: scope.toJSON(), answers, explained: scope.explain('get', 'media', '/Movie1/a.ts') };
}

for (const alg of ['ES256', 'RS256', 'EdDSA']) {
  test(`verifyPlaybackAsync, ${alg} (signature by WebCrypto): the same results as verifyPlayback, keys chosen by kid among several`, async () => {
    const pairs = await keyPairs(alg, ['k1', 'k2', 'k3']);
    // Keys as a JWKS publishes them (`use`, `alg`): only their public members reach WebCrypto.
    const verifier = JwtVerifier.fromJson({
      algorithms: [alg, 'HS256'], keys: { keys: pairs.map((p) => ({ ...p.jwk, use: 'sig', alg })) },
      issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30,
    });
    for (const pair of pairs) {
      for (const claims of [{}, { ent: null }, { ent: { maxQuality: 'UHD1', device: 'tv' } }, { sub: 'ünïcødé ☃', extra: [1, 2.5, { deep: true }] }]) {
        const token = await mint(alg, pair, claims);
        const sync = verifier.verifyPlayback(token, { now: NOW });
        const got = await verifier.verifyPlaybackAsync(token, { now: NOW });
        assert.deepEqual(Object.keys(got).sort(), Object.keys(sync).sort());
        assert.deepEqual(plain(got), plain(sync));
        assert.deepEqual(got.claims, jose.decodeJwt(token));
        assert.equal(got.keyId, pair.kid);
        assert.equal(got.algorithm, alg);
        assert.deepEqual(await verifier.verifyAsync(token, { now: NOW }), verifier.verify(token, { now: NOW }));
      }
    }
    // A token without kid: every key of the algorithm is a candidate, tried in order.
    const noKid = await mint(alg, pairs[2], {}, { kid: undefined });
    assert.deepEqual(plain(await verifier.verifyPlaybackAsync(noKid, { now: NOW })), plain(verifier.verifyPlayback(noKid, { now: NOW })));
    // `now` as a Date and as an ISO string, as verifyPlayback reads it; the current time by default.
    const token = await mint(alg, pairs[0]);
    assert.deepEqual(plain(await verifier.verifyPlaybackAsync(token, { now: new Date(NOW) })), plain(verifier.verifyPlayback(token, { now: new Date(NOW).toISOString() })));
    const current = await mint(alg, pairs[0], { iat: Math.floor(Date.now() / 1000), nbf: undefined, exp: Math.floor(Date.now() / 1000) + 600 });
    assert.deepEqual(plain(await verifier.verifyPlaybackAsync(current)), plain(verifier.verifyPlayback(current)));
  });

  test(`verifyPlaybackAsync, ${alg}: the same error codes as verifyPlayback, as coded rejections`, async () => {
    const pairs = await keyPairs(alg, ['k1', 'k2']);
    const [stranger] = await keyPairs(alg, ['k1']);
    const verifier = JwtVerifier.fromJson({ algorithms: [alg], keys: pairs.map((p) => p.jwk), issuer: 'playgate-auth', audience: 'edge', leewaySeconds: 30 });
    const token = await mint(alg, pairs[0]);
    const [h, p, sig] = token.split('.');
    const flip = (text, at) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    const hs = (await keyPairs('HS256', ['k1']))[0];
    const cases = {
      valid: [token, 'OK'],
      expired: [token, 'TOKEN_EXPIRED', NOW + 631_000],
      'expired, within the leeway': [token, 'OK', NOW + 629_000],
      'not yet valid': [token, 'TOKEN_NOT_YET_VALID', NOW - 91_000],
      'wrong audience': [await mint(alg, pairs[0], { aud: 'player' }), 'WRONG_AUDIENCE'],
      'audience list': [await mint(alg, pairs[0], { aud: ['player', 'edge'] }), 'OK'],
      'wrong issuer': [await mint(alg, pairs[0], { iss: 'someone-else' }), 'WRONG_ISSUER'],
      'no exp': [await mint(alg, pairs[0], { exp: undefined }), 'MALFORMED_TOKEN'],
      'no scope': [await mint(alg, pairs[0], { scope: undefined }), 'INVALID_SCOPE'],
      'a bad scope': [await mint(alg, pairs[0], { scope: { permissions: [] } }), 'INVALID_SCOPE'],
      'a bad ent': [await mint(alg, pairs[0], { ent: { maxQuality: '8K' } }), 'MALFORMED_TOKEN'],
      'a flipped signature byte (start)': [`${h}.${p}.${flip(sig, 0)}`, 'BAD_SIGNATURE'],
      'a flipped signature byte (middle)': [`${h}.${p}.${flip(sig, sig.length >> 1)}`, 'BAD_SIGNATURE'],
      'a flipped signature byte (end)': [`${h}.${p}.${flip(sig, sig.length - 2)}`, 'BAD_SIGNATURE'],
      'a truncated signature': [`${h}.${p}.${sig.slice(0, 40)}`, 'BAD_SIGNATURE'],
      'an empty signature': [`${h}.${p}.`, 'BAD_SIGNATURE'],
      'the payload edited': [`${h}.${b64u({ ...jose.decodeJwt(token), sub: 'admin' })}.${sig}`, 'BAD_SIGNATURE'],
      // The signature is checked first, as in wasm: expired and forged is a bad signature.
      'expired and forged': [`${h}.${p}.${flip(sig, 5)}`, 'BAD_SIGNATURE', NOW + 700_000],
      'a bad scope, forged': [forged(await mint(alg, pairs[0], { scope: undefined })), 'BAD_SIGNATURE'],
      'signed by an unconfigured key under a configured kid': [await mint(alg, stranger), 'BAD_SIGNATURE'],
      'signed by k2, naming k1': [await mint(alg, pairs[1], {}, { kid: 'k1' }), 'BAD_SIGNATURE'],
      'an unknown kid': [await mint(alg, pairs[0], {}, { kid: 'k9' }), 'UNKNOWN_KEY'],
      'alg none': [`${b64u({ alg: 'none', kid: 'k1' })}.${p}.`, 'ALGORITHM_NOT_ALLOWED'],
      'alg none, the signature kept': [`${b64u({ alg: 'none', kid: 'k1' })}.${p}.${sig}`, 'ALGORITHM_NOT_ALLOWED'],
      'an algorithm not allowed (HS256)': [await mint('HS256', hs), 'ALGORITHM_NOT_ALLOWED'],
      'the header naming another algorithm': [`${b64u({ alg: alg === 'ES256' ? 'RS256' : 'ES256', kid: 'k1' })}.${p}.${sig}`, 'ALGORITHM_NOT_ALLOWED'],
      'a header with crit': [`${b64u({ alg, kid: 'k1', crit: ['x'], x: 1 })}.${p}.${sig}`, 'MALFORMED_TOKEN'],
      'a header with its own jwk': [`${b64u({ alg, kid: 'k1', jwk: pairs[0].jwk })}.${p}.${sig}`, 'MALFORMED_TOKEN'],
      'malformed: two parts': [`${h}.${p}`, 'MALFORMED_TOKEN'],
      'malformed: four parts': [`${token}.x`, 'MALFORMED_TOKEN'],
      'malformed: not base64url': [`${h}.${p}.@@@`, 'MALFORMED_TOKEN'],
      'malformed: header not JSON': [`${b64u('not json')}.${p}.${sig}`, 'MALFORMED_TOKEN'],
      // jwt-compact reads the claims before it checks the signature: both paths say malformed.
      'malformed: payload not JSON, signature bad': [`${h}.${b64u('not json')}.${sig}`, 'MALFORMED_TOKEN'],
      'malformed: empty': ['', 'MALFORMED_TOKEN'],
      'malformed: non-ASCII': [`${h}.${p}.${sig}é`, 'MALFORMED_TOKEN'],
    };
    for (const [name, [text, expect, now = NOW]] of Object.entries(cases)) {
      assert.equal(outcomeSync(() => verifier.verifyPlayback(text, { now })), expect, `verifyPlayback: ${name}`);
      assert.equal(await outcome(() => verifier.verifyPlaybackAsync(text, { now })), expect, `verifyPlaybackAsync: ${name}`);
      const plainExpect = expect === 'INVALID_SCOPE' || name === 'a bad ent' ? 'OK' : expect; // verify reads no scope
      assert.equal(await outcome(() => verifier.verifyAsync(text, { now })), plainExpect, `verifyAsync: ${name}`);
    }
    // Claims that are not JSON behind a valid signature: malformed on both paths.
    const notJson = await (async () => {
      const signed = `${h}.${b64u('{"sub":')}`;
      const signature = alg === 'EdDSA' ? await crypto.subtle.sign('Ed25519', pairs[0].sign, Buffer.from(signed))
        : alg === 'ES256' ? await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pairs[0].sign, Buffer.from(signed))
          : await crypto.subtle.sign('RSASSA-PKCS1-v1_5', pairs[0].sign, Buffer.from(signed));
      return `${signed}.${Buffer.from(signature).toString('base64url')}`;
    })();
    assert.equal(outcomeSync(() => verifier.verifyPlayback(notJson, { now: NOW })), 'MALFORMED_TOKEN');
    assert.equal(await outcome(() => verifier.verifyPlaybackAsync(notJson, { now: NOW })), 'MALFORMED_TOKEN');
    // What is not a token, or not a call on a verifier: coded rejections, never a throw.
    for (const bad of [undefined, null, 42, {}, ['a.b.c'], Symbol('t')]) {
      assert.equal(outcomeSync(() => verifier.verifyPlayback(bad, { now: NOW })), 'MALFORMED_TOKEN');
      assert.equal(await outcome(() => verifier.verifyPlaybackAsync(bad, { now: NOW })), 'MALFORMED_TOKEN');
    }
    for (const options of [null, 5, { now: 'yesterday-ish' }, { now: NaN }, { get now() { throw new Error('getter'); } }]) {
      const sync = outcomeSync(() => verifier.verifyPlayback(token, options));
      assert.notEqual(sync, 'OK');
      assert.equal(await outcome(() => verifier.verifyPlaybackAsync(token, options)), sync, `options ${String(options)}`);
    }
    assert.equal(await outcome(() => JwtVerifier.prototype.verifyPlaybackAsync.call({}, token)), 'INVALID_KEY');
    assert.equal(await outcome(() => JwtVerifier.prototype.verifyPlaybackAsync.call(undefined, token)), 'INVALID_KEY');
    // A verifier freed before the call, and one freed while WebCrypto works.
    const freed = JwtVerifier.fromJson({ algorithms: [alg], keys: pairs.map((q) => q.jwk) });
    const pending = freed.verifyPlaybackAsync(token, { now: NOW });
    freed.free();
    assert.ok(['OK', 'INVALID_KEY'].includes(await outcome(() => pending)));
    assert.equal(await outcome(() => freed.verifyPlaybackAsync(token, { now: NOW })), 'INVALID_KEY');
  });
}

test('verifyPlaybackAsync: HS256 takes the wasm path and gives the same answers', async () => {
  const [pair] = await keyPairs('HS256', ['k1']);
  const verifier = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [pair.jwk], audience: 'edge' });
  const token = await mint('HS256', pair);
  assert.deepEqual(plain(await verifier.verifyPlaybackAsync(token, { now: NOW })), plain(verifier.verifyPlayback(token, { now: NOW })));
  const [h, p, sig] = token.split('.');
  assert.equal(await outcome(() => verifier.verifyPlaybackAsync(forged(`${h}.${p}.${sig}`), { now: NOW })), 'BAD_SIGNATURE');
  assert.equal(await outcome(() => verifier.verifyPlaybackAsync(token, { now: NOW + 3_600_000 })), 'TOKEN_EXPIRED');
  rejects(() => verifier.verifyPlayback(token, { now: NOW + 3_600_000 }), 'TOKEN_EXPIRED');
});

test('verifyPlaybackAsync: concurrent verifications of many tokens on one verifier (keys imported once) all agree with verifyPlayback', async () => {
  const pairs = await keyPairs('ES256', ['a', 'b', 'c']);
  const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: { keys: pairs.map((p) => p.jwk) }, audience: 'edge' });
  const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => mint('ES256', pairs[i % 3], { sub: `viewer-${i}`, ...(i % 7 === 0 ? { aud: 'other' } : {}) })));
  const results = await Promise.all(tokens.map((t) => verifier.verifyPlaybackAsync(t, { now: NOW }).then(plain, (e) => e.code)));
  tokens.forEach((t, i) => {
    let sync;
    try {
      sync = plain(verifier.verifyPlayback(t, { now: NOW }));
    } catch (e) {
      sync = e.code;
    }
    assert.deepEqual(results[i], sync, `token ${i}`);
  });
  assert.equal(results.filter((r) => r === 'WRONG_AUDIENCE').length, 9);
});

test('verifyPlaybackAsync: a platform that refuses the key (or has no WebCrypto) leaves the verification to wasm', async () => {
  const pairs = await keyPairs('ES256', ['k1']);
  const token = await mint('ES256', pairs[0]);
  const { subtle } = globalThis.crypto;
  const importKey = subtle.importKey;
  try {
    subtle.importKey = async () => { throw new DOMException('not supported', 'NotSupportedError'); };
    const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: pairs.map((p) => p.jwk) });
    assert.deepEqual(plain(await verifier.verifyPlaybackAsync(token, { now: NOW })), plain(verifier.verifyPlayback(token, { now: NOW })));
    assert.equal(await outcome(() => verifier.verifyPlaybackAsync(forged(token), { now: NOW })), 'BAD_SIGNATURE');
  } finally {
    delete subtle.importKey;
    assert.equal(subtle.importKey, importKey);
  }
});
