// Documents and scopes without free(): an Entitlement keeps its source and its parsed form sits
// in one of at most 1,024 wasm slots (src/abi.rs "The documents"); a PermissionScope keeps its
// source and holds no wasm memory. These tests push documents out of their slots and check that
// every answer stays what the decision vectors (the seeds' rules) and the Momento vectors (the
// SDK's own tokens, seed 000's scope) say, that a document is read from the source it was given
// (not from bytes the caller changed later), and that freed objects stay refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PKG, VECTORS, caseInputs, expected, loadVectors, pick, rejects } from './helpers.mjs';

const playgate = await import(path.join(PKG, 'node/index.mjs'));
const edge = await import(path.join(PKG, 'edge/node/index.mjs'));
const { Policy, Entitlement, PermissionScope, decodeMomentoToken } = playgate;

// More documents than there are slots, each distinct (a slot's document is never reused).
const SLOTS = 1024;
let flooded = 0;
function flood(module = playgate) {
  for (let i = 0; i < SLOTS + 100; i++) module.Entitlement.fromBlob(`{"region": "FR", "allowed_content": ["flood-${flooded++}"]}`);
}


/** A vector case's policy and document (helpers.mjs caseInputs); null when making them fails. */
function made(file, c) {
  try {
    return caseInputs(playgate, file, c);
  } catch {
    return null;
  }
}

function decide(policy, ent, request) {
  try {
    return policy.evaluate(ent, request);
  } catch (error) {
    if (typeof error.code !== 'string') throw error;
    return { error: error.code };
  }
}

test('every decision vector holds on documents read again after newer documents took their slots', () => {
  const cases = [];
  for (const c of VECTORS.cases) {
    const m = made(VECTORS, c);
    if (m !== null) cases.push({ c, ...m });
  }
  assert.ok(cases.length > 60, `cases with a document: ${cases.length}`);
  // Decided once in place, then after every slot went to newer documents (twice over: the
  // documents read again take slots from each other too).
  for (const round of [0, 1, 2]) {
    if (round > 0) flood();
    for (const { c, policy, ent } of cases) {
      const want = expected(c);
      assert.deepEqual(pick(decide(policy, ent, c.request), want), want, `${c.name} (round ${round})`);
    }
  }
});

test('a page of titles and a batch decide a document read again as they decide it in place', () => {
  const policy = Policy.fromJson(VECTORS.policies[Object.keys(VECTORS.policies)[0]]);
  const ent = Entitlement.fromBlob(JSON.stringify({ region: 'US', allowed_content: ['movie-1', 'movie-3'] }));
  const ids = ['movie-1', 'movie-2', 'movie-3'];
  const context = { country: 'US', now: Date.parse('2024-11-15T12:00:00Z') };
  const singles = ids.map((entityId) => policy.evaluate(ent, { entityId, ...context }));
  assert.deepEqual(singles.map((d) => d.allowed), [true, false, true]); // allowed_content lists 1 and 3
  flood();
  assert.deepEqual(Array.from(ids, (_, i) => policy.evaluateCatalog(ent, ids, context).allowed(i)), [true, false, true]);
  flood();
  assert.deepEqual(policy.evaluateMany(ent, ids.map((entityId) => ({ entityId, ...context }))), singles);
  flood();
  const dictionary = Entitlement.fromDictionary({ region: 'US', allowed_content: 'movie-1,movie-3' });
  const before = ids.map((entityId) => policy.evaluate(dictionary, { entityId, ...context }).allowed);
  flood();
  assert.deepEqual(ids.map((entityId) => policy.evaluate(dictionary, { entityId, ...context }).allowed), before);
});

test('a document is read again from what it was given, not from bytes the caller changed since', () => {
  const policy = new Policy();
  const request = { entityId: 'movie-1', country: 'US' };
  const encode = (text) => new TextEncoder().encode(text);
  const bytes = encode('{"region": "US"}');
  const buffer = encode('{"region": "US"}').buffer;
  const fromBytes = Entitlement.fromBlob(bytes);
  const fromBuffer = Entitlement.fromBlob(buffer);
  assert.equal(policy.evaluate(fromBytes, request).allowed, true); // region US: a US viewer may play
  bytes.set(encode('{"region": "FR"}')); // same length: only the region changes
  new Uint8Array(buffer).set(encode('{"region": "FR"}'));
  flood();
  assert.equal(policy.evaluate(fromBytes, request).allowed, true);
  assert.equal(policy.evaluate(fromBuffer, request).allowed, true);
  // And the changed bytes, given anew, are a document of their own (region FR: denied).
  assert.equal(policy.evaluate(Entitlement.fromBlob(bytes), request).code, 'COUNTRY_NOT_ALLOWED');
});

test('a freed document stays refused after its slot went to another; free() is idempotent and checks its receiver', () => {
  const policy = new Policy();
  const ent = Entitlement.fromBlob('{"region": "US"}');
  const other = Entitlement.fromBlob('{"region": "US"}');
  ent.free();
  ent.free();
  rejects(() => policy.evaluate(ent, { entityId: 'm', country: 'US' }), 'INVALID_ENTITLEMENT', /freed/);
  assert.equal(policy.evaluate(other, { entityId: 'm', country: 'US' }).allowed, true, 'freeing one leaves the other');
  flood();
  rejects(() => policy.evaluate(ent, { entityId: 'm', country: 'US' }), 'INVALID_ENTITLEMENT', /freed/);
  rejects(() => Entitlement.prototype.free.call({}), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.prototype.free.call(new Proxy(other, {})), 'INVALID_ENTITLEMENT');
  rejects(() => new Entitlement(), 'INVALID_ENTITLEMENT', /fromBlob/);
  // A document of the other module is not one of this module's.
  rejects(() => policy.evaluate(edge.Entitlement.fromBlob('{}'), { entityId: 'm' }), 'INVALID_ENTITLEMENT');
});

test('scopes keep their source: the SDK token vector and protobuf bytes answer alike after the bytes change', () => {
  const tokens = loadVectors('momento-tokens.json');
  // Seed 000's token: readonly on cache "media", keys under "/Movie1/".
  const seed = tokens.cases.find((c) => c.built?.scope?.permissions?.[0]?.item?.keyPrefix === '/Movie1/');
  assert.ok(seed, 'the seed 000 token vector');
  const { scope } = decodeMomentoToken(seed.token);
  for (const s of [scope, PermissionScope.fromJson(scope.toJSON())]) {
    assert.equal(s.allows('get', 'media', '/Movie1/seg1.ts'), true);
    assert.equal(s.allows('get', 'media', '/Movie2/seg1.ts'), false);
    assert.equal(s.allows('set', 'media', '/Movie1/seg1.ts'), false); // readonly
    assert.equal(s.explain('get', 'media', '/Movie1/seg1.ts').allowed, true);
    assert.equal(s.explain('get', 'media', '/Movie2/seg1.ts').allowed, false);
  }
  assert.deepEqual(scope.toJSON(), seed.built.scope);
  // Protobuf bytes (the SDK's own encoding, momento-scopes.json) changed after reading.
  const scopes = loadVectors('momento-scopes.json');
  const readonlyMedia = scopes.cases.find((c) => c.name === 'cache readonly, named cache [disposable]');
  const bytes = Buffer.from(readonlyMedia.protobufBase64, 'base64');
  const fromBytes = PermissionScope.fromProtobuf(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  bytes.fill(0);
  assert.deepEqual(fromBytes.toJSON(), readonlyMedia.scopeJson);
  assert.equal(fromBytes.explain('get', 'media', 'k').allowed, true);
  assert.equal(fromBytes.explain('set', 'media', 'k').allowed, false);
  fromBytes.free();
  rejects(() => fromBytes.allows('get', 'media', 'k'), 'INVALID_SCOPE', /live/);
  rejects(() => fromBytes.isSuperUser, 'INVALID_SCOPE', /live/);
  rejects(() => new PermissionScope(), 'INVALID_SCOPE');
});

test('the edge module: scopes of verified playback tokens and local Momento tokens, minted again from their source', async () => {
  const { JwtVerifier, PlaybackTokenMinter, MomentoTokenIssuer } = edge;
  const key = { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url'), kid: 'k1', alg: 'HS256' };
  const minter = PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key, audience: 'edge' });
  const verifier = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: { keys: [key] }, audience: 'edge' });
  const granted = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: 'title-1/' } }] };
  const token = minter.mint({ scope: granted, entitlement: { maxQuality: 'HD' } });
  const { scope } = verifier.verifyPlayback(token);
  assert.deepEqual(scope.toJSON(), granted);
  assert.equal(scope.explain('get', 'media', 'title-1/hd/1.m4s').allowed, true);
  assert.equal(scope.allows('get', 'media', 'title-2/hd/1.m4s'), false);
  // A verified scope mints again as itself.
  assert.deepEqual(verifier.verifyPlayback(minter.mint({ scope })).scope.toJSON(), granted);
  const issuer = MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: Buffer.alloc(32, 9).toString('base64url') }, endpoint: '127.0.0.1' });
  const local = issuer.verify(issuer.mint({ scope: granted, tokenId: 'viewer-1' }));
  assert.deepEqual(local.scope.toJSON(), granted);
  assert.equal(local.scope.allows('get', 'media', 'title-1/a'), true);
  assert.deepEqual(edge.decodeMomentoToken(issuer.mint({ scope: local.scope, tokenId: 'viewer-2' })).scope.toJSON(), granted);
  local.scope.free();
  rejects(() => issuer.mint({ scope: local.scope, tokenId: 'x' }), 'INVALID_SCOPE', /live/);
});

test('wasm memory stays flat while documents and scopes are made and never freed, in a loop that never yields', () => {
  // A fresh process: the package's instance is watched being made, for its memory. Documents
  // nobody freed used to hold 563 B of wasm memory each until a FinalizationRegistry callback,
  // which a loop that never yields never lets run (bench/soak.mjs): 20,000 would be 11 MiB.
  const script = `
    const Native = WebAssembly.Instance;
    let memory = null;
    WebAssembly.Instance = new Proxy(Native, { construct(target, args) { const i = Reflect.construct(target, args); memory ??= i.exports.memory; return i; } });
    const { Policy, Entitlement, PermissionScope } = await import(${JSON.stringify(pathToFileURL(path.join(PKG, 'node/index.mjs')).href)});
    WebAssembly.Instance = Native;
    const policy = new Policy();
    let allowed = 0;
    const round = (from, to) => {
      for (let i = from; i < to; i++) {
        const ent = Entitlement.fromBlob('{"region": "US", "allowed_content": ["movie-' + i + '"]}');
        if (policy.evaluate(ent, { entityId: 'movie-' + i, country: 'US' }).allowed) allowed++;
        const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: 't' + i + '/' } }] });
        if (scope.allows('get', 'media', 't' + i + '/a')) allowed++;
      }
    };
    round(0, 5000); // warm-up: every slot taken
    const before = memory.buffer.byteLength;
    round(5000, 25000);
    console.log(JSON.stringify({ growth: memory.buffer.byteLength - before, allowed }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 }));
  assert.equal(out.allowed, 50000, 'every document allows its own title, every scope its own prefix');
  assert.ok(out.growth <= 1 << 20, `wasm memory grew ${out.growth} bytes over 20,000 documents and scopes`);
});
