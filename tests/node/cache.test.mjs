// The cache HTTP client and the entitlement store in Node, against the local emulator on
// 127.0.0.1 (www/cache-emulator.mjs): the shared scenarios (cache-scenarios.mjs, also run in
// Chromium and workerd), then what only Node checks here: the store's LRU and TTLs, the Momento
// SDK's own dictionary responses (@gomomento/sdk-core), network errors and argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheDictionaryFetch, UnknownError } from '@gomomento/sdk-core';
import { PKG, REPO, VECTORS, runCase, expected, pick } from './helpers.mjs';
import { cacheScenarios, startTestEmulator, READWRITE_ALL } from './cache-scenarios.mjs';
import { runCacheOp } from '../../www/cache-runner.js';

const playgate = await import(pathToFileURL(path.join(PKG, 'node/index.mjs')).href);
const { CacheClient, CacheError, EntitlementStore, Policy, Entitlement } = playgate;

const fixture = await startTestEmulator();
const { emu, clock } = fixture;
test.after(() => emu.close());

test('cache client in Node', async (t) => {
  await cacheScenarios(t, emu, clock, (spec) => runCacheOp(playgate, spec), 'node', fixture);
});

const token = emu.mintToken({ scope: READWRITE_ALL, tokenId: 'node-only' });
const client = () => new CacheClient({ token, baseUrl: emu.url, timeoutMs: 3000, retryDelayMs: 5 });
const request = { entityId: 'movie_id_123', country: 'US', now: '2024-11-15T12:00:00Z' };
const seedDoc = JSON.stringify(VECTORS.documents.seed000);

test('every vector with a named or blob document decides the same through the store', async () => {
  const cache = client();
  const stores = new Map();
  let seen = 0;
  let checked = 0;
  for (const [i, c] of VECTORS.cases.entries()) {
    seen++;
    if (c.dictionary !== undefined) continue; // dictionaries have no HTTP API: the SDK test below
    const policyJson = c.policy === undefined ? undefined : (typeof c.policy === 'string' ? VECTORS.policies[c.policy] : c.policy);
    const policyKey = JSON.stringify(policyJson ?? null);
    let policy;
    try {
      policy = policyJson === undefined ? new Policy() : Policy.fromJson(policyJson);
    } catch {
      continue; // a policy error case: nothing to read
    }
    if (!stores.has(policyKey)) stores.set(policyKey, new EntitlementStore({ cache, cacheName: 'entitlements', policy }));
    const store = stores.get(policyKey);
    const blob = c.blobText ?? JSON.stringify(typeof c.entitlement === 'string' ? VECTORS.documents[c.entitlement] : c.entitlement);
    emu.put('entitlements', `vector-${i}`, blob, 60);
    const direct = runCase(playgate, VECTORS, c); // the package's own evaluate, itself checked against the vectors
    assert.deepEqual(pick(direct, expected(c)), expected(c), c.name);
    let got;
    try {
      got = await store.decide(`vector-${i}`, c.request);
    } catch (error) {
      got = { error: error.code };
    }
    if (direct.error === 'INVALID_ENTITLEMENT') {
      assert.deepEqual([got.allowed, got.code, got.cause?.code], [false, 'ENTITLEMENT_INVALID', 'INVALID_ENTITLEMENT'], c.name);
    } else {
      assert.deepEqual(pick(got, expected(c)), expected(c), c.name);
    }
    checked++;
  }
  assert.equal(seen, VECTORS.count);
  assert.ok(checked > 60, `only ${checked} vectors went through the store`);
});

test('the store keeps at most maxEntries documents, least recently used out first', async () => {
  for (const user of ['lru-a', 'lru-b', 'lru-c']) emu.put('entitlements', user, seedDoc, 60);
  // The clock sits inside the document's window: a decision's validUntil caps how long it is held.
  const at = Date.parse('2024-11-15T12:00:00Z');
  const store = new EntitlementStore({ cache: client(), cacheName: 'entitlements', policy: new Policy(), maxEntries: 2, clock: () => at });
  const request = { entityId: 'movie_id_123', country: 'US' };
  const reads = (user) => emu.requests.filter((r) => r.key === user).length;
  await store.decide('lru-a', request);
  await store.decide('lru-b', request);
  await store.decide('lru-a', request); // a is now the most recent
  await store.decide('lru-c', request); // evicts b
  assert.equal(store.size, 2);
  await store.decide('lru-a', request);
  assert.deepEqual([reads('lru-a'), reads('lru-b'), reads('lru-c')], [1, 1, 1]);
  await store.decide('lru-b', request);
  assert.equal(reads('lru-b'), 2, 'b was evicted and read again');
  assert.deepEqual(store.stats, { hits: 2, loads: 4, failures: 0 });
});

test('a store smaller than the crowd still decides every concurrent user with the document it loaded', async () => {
  // maxEntries 1 and four users at once: each load evicts the one before, yet each decision
  // must use its own document (an evicted document is freed only after its waiters ran).
  const docs = { a: { region: 'US' }, b: { region: 'DE' }, c: { region: 'US', valid_until: '2020-01-01T00:00:00Z' }, d: { region: ['US', 'CA'] } };
  const policy = new Policy();
  const store = new EntitlementStore({ policy, maxEntries: 1, load: async (user) => JSON.stringify(docs[user]) });
  const req = { entityId: 'movie-1', country: 'US', now: Date.parse('2024-11-15T12:00:00Z') };
  const got = await Promise.all(Object.keys(docs).map((u) => store.decide(u, req)));
  const want = Object.values(docs).map((doc) => policy.evaluate(Entitlement.fromBlob(JSON.stringify(doc)), req));
  assert.deepEqual(got, want);
  assert.deepEqual(got.map((d) => d.code), [null, 'COUNTRY_NOT_ALLOWED', 'ENTITLEMENT_EXPIRED', null]);
  assert.equal(store.size, 1);
});

test('a document is read again after maxAgeMs, and no later than a decision\'s validUntil', async () => {
  emu.put('entitlements', 'ttl-user', seedDoc, 600);
  let now = Date.parse('2024-11-15T12:00:00Z');
  const store = new EntitlementStore({ cache: client(), cacheName: 'entitlements', policy: new Policy(), maxAgeMs: 10_000, clock: () => now });
  const reads = () => emu.requests.filter((r) => r.key === 'ttl-user').length;
  const first = await store.decide('ttl-user', { entityId: 'movie_id_123', country: 'US' });
  assert.equal(first.allowed, true);
  now += 9_999;
  await store.decide('ttl-user', { entityId: 'movie_id_123', country: 'US' });
  assert.equal(reads(), 1);
  now += 2;
  await store.decide('ttl-user', { entityId: 'movie_id_123', country: 'US' });
  assert.equal(reads(), 2, 'read again after maxAgeMs');
  // The seed document ends at valid_until (2024-12-31T23:59:59Z): with a long maxAge the store
  // still reads again once that instant passes (the decision said it holds until then).
  const long = new EntitlementStore({ cache: client(), cacheName: 'entitlements', policy: new Policy(), maxAgeMs: 365 * 86_400_000, clock: () => now });
  const d = await long.decide('ttl-user', { entityId: 'movie_id_123', country: 'US' });
  assert.equal(d.validUntil, Date.parse(VECTORS.documents.seed000.valid_until));
  now = d.validUntil + 1;
  const after = await long.decide('ttl-user', { entityId: 'movie_id_123', country: 'US' });
  assert.equal(reads(), 4, 'read again at validUntil');
  assert.deepEqual([after.allowed, after.code], [false, 'ENTITLEMENT_EXPIRED']);
});

// The README: invalidate() forgets a user's document "e.g. after the auth server wrote a new
// one"; a decision stops holding once its validUntil passes; maxAgeMs bounds a document's age.
const OPEN_DOC = JSON.stringify({ max_quality: 'UHD1' });
const REVOKED_DOC = JSON.stringify({ valid_until: '2000-01-01T00:00:00Z' });

test('a read under way when the document is invalidated is not kept, nor joined by the decisions asked after it', async () => {
  const [open, revoked] = [OPEN_DOC, REVOKED_DOC];
  const request = { entityId: 'movie-1' };
  const now = Date.parse('2026-12-07T12:00:00Z');
  let doc = open;
  let reads = 0;
  let release = null;
  const store = new EntitlementStore({
    policy: new Policy(), maxAgeMs: 60_000, clock: () => now,
    load: async () => {
      reads++;
      const snapshot = doc;
      if (release === null) await new Promise((resolve) => { release = resolve; });
      return snapshot;
    },
  });
  const before = store.decide('u1', request); // its read sees the open document, and waits
  await new Promise((resolve) => setImmediate(resolve));
  doc = revoked;
  store.invalidate('u1');
  const after = store.decide('u1', request); // asked after invalidate: a read of its own
  release();
  assert.equal((await before).allowed, true, 'asked before invalidate, answered from the read it started');
  assert.deepEqual([(await after).allowed, (await after).code], [false, 'ENTITLEMENT_EXPIRED'], 'asked after invalidate');
  assert.equal((await store.decide('u1', request)).allowed, false, 'the stale read was not kept');
  assert.equal(reads, 2);
});

test('a decision is made at the time its document came, not the time it was asked for', async () => {
  const request = { entityId: 'movie-1' };
  let now = Date.parse('2026-12-07T12:00:00Z');
  const until = now + 200;
  let arrive = null;
  const slow = new EntitlementStore({
    policy: new Policy(), clock: () => now,
    load: () => new Promise((resolve) => { arrive = () => resolve(JSON.stringify({ valid_until: new Date(until).toISOString() })); }),
  });
  const late = slow.decide('u2', request);
  await new Promise((resolve) => setImmediate(resolve));
  now = until + 1_000;
  arrive();
  assert.deepEqual([(await late).allowed, (await late).code], [false, 'ENTITLEMENT_EXPIRED']);
});

test('a clock that goes back makes a held document\'s age unknown: it is read again', async () => {
  const [open, revoked] = [OPEN_DOC, REVOKED_DOC];
  const request = { entityId: 'movie-1' };
  let now = Date.parse('2026-12-07T12:00:00Z');
  let doc = open;
  let reads = 0;
  const backwards = new EntitlementStore({ policy: new Policy(), maxAgeMs: 60_000, clock: () => now, load: async () => { reads++; return doc; } });
  assert.equal((await backwards.decide('u3', request)).allowed, true);
  doc = revoked;
  now -= 3_600_000;
  assert.equal((await backwards.decide('u3', request)).allowed, false, 'read again after the clock went back');
  assert.equal(reads, 2);
});

test('dictionary documents: the Momento SDK\'s own dictionaryFetch responses, records and Maps', async () => {
  const dictCases = VECTORS.cases.filter((c) => c.dictionary !== undefined);
  assert.ok(dictCases.length > 0);
  const encoder = new TextEncoder();
  for (const c of dictCases) {
    const policy = c.policy === undefined ? new Policy() : Policy.fromJson(typeof c.policy === 'string' ? VECTORS.policies[c.policy] : c.policy);
    const items = Object.entries(c.dictionary).map(([field, value]) => ({ field: encoder.encode(field), value: encoder.encode(value) }));
    const want = expected(c);
    for (const source of [new CacheDictionaryFetch.Hit(items), c.dictionary, new Map(Object.entries(c.dictionary))]) {
      const store = new EntitlementStore({ policy, load: async () => source });
      let got;
      try {
        got = await store.decide('u', c.request);
      } catch (error) {
        got = { error: error.code };
      }
      if (want.error === 'INVALID_ENTITLEMENT') assert.deepEqual([got.code, got.cause?.code], ['ENTITLEMENT_INVALID', 'INVALID_ENTITLEMENT'], c.name);
      else assert.deepEqual(pick(got, want), want, c.name);
    }
  }
  const policy = new Policy();
  const miss = await new EntitlementStore({ policy, load: async () => new CacheDictionaryFetch.Miss() }).decide('u', request);
  assert.deepEqual([miss.allowed, miss.code], [false, 'ENTITLEMENT_MISSING']);
  const error = new CacheDictionaryFetch.Error(new UnknownError('boom'));
  const failed = await new EntitlementStore({ policy, load: async () => error }).decide('u', request);
  assert.deepEqual([failed.allowed, failed.code, failed.cause.code], [false, 'ENTITLEMENT_UNAVAILABLE', 'ENTITLEMENT_UNAVAILABLE']);
  // A loader that never answers: abandoned at loadTimeoutMs, its signal aborted, a denial.
  let aborted = null;
  const hanging = new EntitlementStore({ policy, loadTimeoutMs: 50, load: (_, { signal }) => new Promise(() => { signal.addEventListener('abort', () => { aborted = signal.reason.code; }); }) });
  const late = await hanging.decide('u', request);
  assert.deepEqual([late.allowed, late.code, late.cause.code, aborted], [false, 'ENTITLEMENT_UNAVAILABLE', 'TIMEOUT', 'TIMEOUT']);
  const thrown = await new EntitlementStore({ policy, load: async () => { throw new Error('offline'); } }).decide('u', request);
  assert.deepEqual([thrown.allowed, thrown.code, thrown.cause.message], [false, 'ENTITLEMENT_UNAVAILABLE', 'offline']);
  assert.throws(() => Entitlement.fromDictionary(new CacheDictionaryFetch.Miss()), { code: 'ENTITLEMENT_MISSING' });
});

test('a dictionaryGetFields Hit with a field the cache failed to read is ENTITLEMENT_UNAVAILABLE (the SDK\'s valueRecord leaves that field out: absent, unrestricted); a field missed is absent', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { CacheDictionaryGetFields } = require('@gomomento/sdk-core');
  const { _DictionaryGetResponsePart: Part, _ECacheResult: Result } = require('@gomomento/sdk-core/dist/src/messages/responses/grpc-response-types');
  const encoder = new TextEncoder();
  const names = ['region', 'allowed_content', 'valid_until'].map((n) => encoder.encode(n));
  const hit = (middle) => new CacheDictionaryGetFields.Hit([new Part(Result.Hit, encoder.encode('US')), middle, new Part(Result.Hit, encoder.encode('2030-01-01T00:00:00Z'))], names);
  const failed = hit(new Part(Result.Invalid, new Uint8Array()));
  // The SDK's own reading: the failed part is an Error, and valueRecord has no allowed_content.
  assert.deepEqual(failed.responses.map((r) => r.type), ['Hit', 'Error', 'Hit']);
  assert.deepEqual(Object.keys(failed.valueRecord()), ['region', 'valid_until']);
  assert.throws(() => Entitlement.fromDictionary(failed), { code: 'ENTITLEMENT_UNAVAILABLE' });
  const policy = new Policy();
  const denied = await new EntitlementStore({ policy, load: async () => failed }).decide('u', { entityId: 'movie-999', country: 'US' });
  assert.deepEqual([denied.allowed, denied.code], [false, 'ENTITLEMENT_UNAVAILABLE']);
  // A field that is not stored (a Miss part) is absent, as docs/decision-rules.md reads a missing field.
  const missed = hit(new Part(Result.Miss, new Uint8Array()));
  assert.equal(policy.evaluate(Entitlement.fromDictionary(missed), { entityId: 'movie-999', country: 'US', now: '2024-11-15T12:00:00Z' }).allowed, true);
  const stored = hit(new Part(Result.Hit, encoder.encode('movie-1')));
  assert.equal(policy.evaluate(Entitlement.fromDictionary(stored), { entityId: 'movie-999', country: 'US', now: '2024-11-15T12:00:00Z' }).code, 'CONTENT_NOT_ALLOWED');
});

test('a token that does not decode is sent as is when the base URL is given: the service decides', async () => {
  const opaque = new CacheClient({ token: 'opaque-token', baseUrl: emu.url, timeoutMs: 2000 });
  assert.equal(opaque.tokenInfo, null);
  assert.equal(opaque.allows('get', 'entitlements', 'k'), true, 'nothing to check locally');
  await assert.rejects(opaque.get('entitlements', 'k'), (e) => e.code === 'AUTHENTICATION_FAILED' && e.status === 401 && e.local === false);
});

test('the store takes anything with CacheClient\'s get, e.g. the edge module\'s client', async () => {
  const edge = await import(pathToFileURL(path.join(PKG, 'edge/node/index.mjs')).href);
  emu.put('entitlements', 'edge-user', seedDoc, 60);
  const edgeClient = new edge.CacheClient({ token, baseUrl: emu.url });
  const store = new EntitlementStore({ cache: edgeClient, cacheName: 'entitlements', policy: new Policy() });
  const d = await store.decide('edge-user', request);
  assert.deepEqual([d.allowed, d.validUntil], [true, Date.parse(VECTORS.documents.seed000.valid_until)]);
  const calls = [];
  const double = { get: async (cacheName, key) => { calls.push([cacheName, key]); return null; } };
  const missing = await new EntitlementStore({ cache: double, cacheName: 'entitlements', policy: new Policy() }).decide('u-1', request);
  assert.deepEqual([missing.code, calls], ['ENTITLEMENT_MISSING', [['entitlements', 'u-1']]]);
  assert.throws(() => new EntitlementStore({ cache: {}, cacheName: 'entitlements', policy: new Policy() }), { code: 'INVALID_REQUEST' });
});

test('a refused connection is NETWORK_ERROR, not retried', async () => {
  const closed = await startTestEmulator();
  const url = closed.emu.url;
  await closed.emu.close();
  const cache = new CacheClient({ token, baseUrl: url, timeoutMs: 2000, retryDelayMs: 5 });
  await assert.rejects(cache.get('entitlements', 'k'), (e) => e instanceof CacheError && e.code === 'NETWORK_ERROR' && e.attempts === 1);
});

test('bad arguments are coded errors before any request', async () => {
  const before = emu.requests.length;
  assert.throws(() => new CacheClient(), { code: 'INVALID_REQUEST' });
  assert.throws(() => new CacheClient({ token: 42 }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new CacheClient({ token: 'not a token' }), { code: 'MALFORMED_TOKEN' }, 'no endpoint to derive a URL from');
  assert.throws(() => new CacheClient({ token, baseUrl: 'ftp://x' }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new CacheClient({ token, timeoutMs: -1 }), { code: 'INVALID_REQUEST' });
  const cache = client();
  await assert.rejects(cache.get('', 'k'), { code: 'INVALID_REQUEST' });
  await assert.rejects(cache.get('entitlements', ''), { code: 'INVALID_REQUEST' });
  await assert.rejects(cache.get('entitlements', 42), { code: 'INVALID_REQUEST' });
  await assert.rejects(cache.set('entitlements', 'k', 'v'), { code: 'INVALID_REQUEST' }); // no TTL
  await assert.rejects(cache.set('entitlements', 'k', {}, { ttlSeconds: 5 }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new EntitlementStore({ cache, cacheName: 'entitlements' }), { code: 'INVALID_REQUEST' });
  const store = new EntitlementStore({ cache, cacheName: 'entitlements', policy: new Policy() });
  await assert.rejects(store.decide('', request), { code: 'INVALID_REQUEST' });
  await assert.rejects(store.decide('u', null), { code: 'INVALID_REQUEST' });
  // A key with a lone surrogate: UTF-8 (TextEncoder) carries it as U+FFFD, the bytes of another
  // user's key, so it is refused before any request.
  assert.deepEqual(new TextEncoder().encode('victim\ud800'), new TextEncoder().encode('victim\ufffd'));
  for (const key of ['victim\ud800', 'victim\udfff', '\udbffx']) {
    await assert.rejects(cache.get('entitlements', key), { code: 'INVALID_REQUEST' }, JSON.stringify(key));
    await assert.rejects(store.decide(key, request), { code: 'INVALID_REQUEST' }, JSON.stringify(key));
  }
  // A cache name that is a dot segment (`..` resolves to the API's root: another endpoint), or
  // that has a lone surrogate (the scope would check U+FFFD, another name).
  for (const name of ['.', '..', 'media\ud800']) {
    await assert.rejects(cache.get(name, 'k'), (e) => e.code === 'INVALID_REQUEST' && e.local === true, JSON.stringify(name));
  }
  // A misspelt option is refused, not left at its default (a `maxAgeMS` would hold documents a
  // minute after a revocation); a timer longer than 2^31 - 1 ms would fire at once.
  assert.throws(() => new CacheClient({ token, baseUrl: emu.url, timeoutMS: 100 }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new CacheClient({ token, baseUrl: emu.url, timeoutMs: 2 ** 31 }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new EntitlementStore({ cache, cacheName: 'entitlements', policy: new Policy(), maxAgeMS: 1 }), { code: 'INVALID_REQUEST' });
  assert.throws(() => new EntitlementStore(Object.defineProperty({ cache, cacheName: 'entitlements', policy: new Policy() }, 'maxAgeMS', { value: 1 })), { code: 'INVALID_REQUEST' });
  assert.throws(() => new CacheClient(Object.assign(Object.create({ timeoutMS: 100 }), { token, baseUrl: emu.url })), { code: 'INVALID_REQUEST' });
  assert.throws(() => new EntitlementStore({ cache, cacheName: 'entitlements', policy: new Policy(), loadTimeoutMs: 2 ** 31 }), { code: 'INVALID_REQUEST' });
  await assert.rejects(cache.get('entitlements', 'k', { timeoutMS: 5 }), { code: 'INVALID_REQUEST' });
  new CacheClient({ token, baseUrl: emu.url, timeoutMs: 2 ** 31 - 1 }); // the longest a timer keeps
  assert.equal(emu.requests.length, before, 'no request was sent');
  // The default base URL comes from the token's endpoint, as Momento's SDK derives it.
  assert.equal(new CacheClient({ token }).baseUrl, 'https://api.cache.127.0.0.1');
});

test('a body that stalls is a TIMEOUT at the deadline, from a fetch that ignores its signal too', async () => {
  // The fetch answers at once; the body never comes, and the signal is not passed on to it.
  const stalled = (status) => async () => new Response(new ReadableStream({ pull: () => new Promise(() => {}) }),
    { status, headers: { 'content-type': 'application/octet-stream' } });
  for (const status of [200, 404, 503]) {
    const cache = new CacheClient({ token, baseUrl: emu.url, timeoutMs: 200, retries: 0, fetch: stalled(status) });
    const started = Date.now();
    await assert.rejects(cache.get('entitlements', 'k'), { code: 'TIMEOUT' }, `status ${status}`);
    assert.ok(Date.now() - started < 2000, `status ${status}: ended at the deadline`);
  }
});

test('a byte key is scope-checked as its bytes: a leading byte order mark is not dropped', async () => {
  // A token that may read /Movie1/ only (the emulator mints it, as Momento's vending would).
  const scoped = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] }, tokenId: 'bom' });
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('/Movie1/a')]);
  const checking = new CacheClient({ token: scoped, baseUrl: emu.url, timeoutMs: 2000 });
  assert.equal(checking.allows('get', 'media', bom), false, 'the key does not start with /Movie1/');
  assert.equal(checking.allows('get', 'media', new TextEncoder().encode('/Movie1/a')), true);
  await assert.rejects(checking.get('media', bom), (e) => e.code === 'PERMISSION_DENIED' && e.local === true);
  // The emulator (the service's stand-in) refuses it as Momento does: 403.
  emu.put('media', '\ufeff/Movie1/a', 'x', 60);
  const unchecked = new CacheClient({ token: scoped, baseUrl: emu.url, timeoutMs: 2000, checkScope: false });
  await assert.rejects(unchecked.get('media', bom), (e) => e.code === 'PERMISSION_DENIED' && e.local === false);
});

test('a record tagged as an SDK response is never read as a document\'s fields', async () => {
  const policy = new Policy();
  // A hand-made (or copied) Error: the cache failed, not an empty, unrestricted document.
  const made = await new EntitlementStore({ policy, load: async () => ({ type: 'Error', message: 'cache down' }) }).decide('u', request);
  assert.deepEqual([made.allowed, made.code], [false, 'ENTITLEMENT_UNAVAILABLE']);
  assert.throws(() => Entitlement.fromDictionary({ type: 'Error', message: 'cache down' }), { code: 'ENTITLEMENT_UNAVAILABLE' });
  assert.throws(() => Entitlement.fromDictionary({ type: 'Hit' }), { code: 'INVALID_ENTITLEMENT' });
  const copied = JSON.parse(JSON.stringify(new CacheDictionaryFetch.Error(new UnknownError('boom'))));
  const fromCopy = await new EntitlementStore({ policy, load: async () => copied }).decide('u', request);
  assert.equal(fromCopy.allowed, false);
});
