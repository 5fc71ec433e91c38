// The cache-client scenarios every environment runs (Node, headless Chromium, workerd) against
// the local emulator (www/cache-emulator.mjs) on 127.0.0.1. `run(spec)` executes one operation
// in the environment under test (www/cache-runner.js) and returns its JSON outcome; the emulator
// stays in this Node process, so each scenario sets up faults and clocks here and reads the
// emulator's request log to see what actually went over the wire.
//
// Expected outcomes come from the Momento HTTP API (../shared/docs/momento.md): 404 bodies
// `Key Not Found` / `Cache Not Found`, 401 for expired or invalid tokens, 403 before the lookup,
// 429 throttling, retries for reads only; and from the decision vectors (seed 000's document).
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadVectors } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = path.resolve(process.env.PLAYGATE_PKG || path.join(REPO, 'pkg'));
const VECTORS = loadVectors('decisions.json');

export const READWRITE_ALL = { permissions: [{ role: 'readwrite', cache: {} }] };
export const MEDIA_MOVIE1 = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };

/**
 * Starts an emulator on 127.0.0.1 with a movable clock (`clock.now`, epoch ms), and mints a
 * token of the right shape signed with another secret (`foreignToken`).
 */
export async function startTestEmulator(options = {}) {
  const { startCacheEmulator } = await import('../../www/cache-emulator.mjs');
  const { MomentoTokenIssuer } = await import(pathToFileURL(path.join(PKG, 'edge/node/index.mjs')).href);
  const clock = { now: Date.now() };
  const secret = { kty: 'oct', k: randomBytes(32).toString('base64url') };
  const emu = await startCacheEmulator({ now: () => clock.now, secret, ...options });
  const other = MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: randomBytes(32).toString('base64url') }, endpoint: '127.0.0.1' });
  const foreignToken = other.mint({ scope: READWRITE_ALL, tokenId: 'intruder', lifetimeSeconds: 3600, now: clock.now });
  other.free();
  // A v1 token is standard base64 of ASCII JSON: `+` and `/` only come from characters such as
  // `~` and `?`, which a host name like 127.0.0.1 lacks. A valid token's envelope with one more
  // member holding them (readers skip members they do not know) is a valid token with + / =.
  const issuer = MomentoTokenIssuer.fromJson({ secret, endpoint: '127.0.0.1' });
  const minted = issuer.mint({ scope: READWRITE_ALL, tokenId: 'awkward', lifetimeSeconds: 3600, now: clock.now });
  issuer.free();
  const envelope = JSON.parse(Buffer.from(minted, 'base64').toString('utf8'));
  let awkwardToken = null;
  for (let i = 0; i < 200 && awkwardToken === null; i++) {
    const t = Buffer.from(JSON.stringify({ ...envelope, note: `${'~'.repeat(i % 7)}???${'x'.repeat(i)}` })).toString('base64');
    if (t.includes('+') && t.includes('/') && t.endsWith('=')) awkwardToken = t;
  }
  assert.ok(awkwardToken, 'a token with + / =');
  return { emu, clock, foreignToken, awkwardToken };
}

/** The seed-000 vector cases that a store can decide from the emulator. */
function seedCases() {
  return VECTORS.cases.filter((c) => c.entitlement === 'seed000' && !c.expectError && c.policy === undefined).slice(0, 4);
}

function expectedDecision(c) {
  const e = { ...c.expect };
  if (typeof e.validUntil === 'string') e.validUntil = Date.parse(e.validUntil);
  return e;
}

const requestsFor = (emu, key) => emu.requests.filter((r) => r.key === key);

/**
 * Runs the scenarios as subtests of `t`. `emu` is a started emulator whose clock is
 * `clock.now` (scenarios move it and put it back); `foreignToken` is a well-formed token signed
 * with another secret, `awkwardToken` a valid one with all of + / = in its text.
 */
export async function cacheScenarios(t, emu, clock, run, label, { foreignToken, awkwardToken }) {
  const token = emu.mintToken({ scope: READWRITE_ALL, tokenId: `rw-${label}` });
  const client = { token, baseUrl: emu.url, timeoutMs: 3000, retryDelayMs: 10 };
  const ent = 'entitlements';
  const doc = JSON.stringify(VECTORS.documents.seed000);

  await t.test(`${label}: hit returns the stored bytes; a miss is null; an unknown cache is CACHE_NOT_FOUND`, async () => {
    emu.put(ent, `hit-${label}`, doc, 60);
    const hit = await run({ op: 'get', client, cacheName: ent, key: `hit-${label}` });
    assert.equal(hit.ok, true, hit.message);
    assert.equal(hit.isUint8Array, true);
    assert.equal(hit.text, doc);
    assert.deepEqual(requestsFor(emu, `hit-${label}`).map((r) => r.keyParam), ['key'], 'a URL-safe key goes as key=');
    const miss = await run({ op: 'get', client, cacheName: ent, key: `none-${label}` });
    assert.deepEqual([miss.ok, miss.length], [true, null]);
    const noCache = await run({ op: 'get', client, cacheName: 'no-such-cache', key: 'k' });
    assert.deepEqual([noCache.ok, noCache.code, noCache.status], [false, 'CACHE_NOT_FOUND', 404]);
  });

  await t.test(`${label}: set with a TTL, get, delete; keys with spaces and unicode go as key_base64`, async () => {
    const key = `user 42/ünïcødé ✓ ${label}`;
    const set = await run({ op: 'set', client, cacheName: ent, key, value: 'café ✓', ttlSeconds: 30 });
    assert.equal(set.ok, true, set.message);
    assert.equal(new TextDecoder().decode(emu.peek(ent, key)), 'café ✓', 'stored under the same key bytes');
    assert.deepEqual(requestsFor(emu, key).map((r) => r.keyParam), ['key_base64'], 'sent as key_base64');
    const got = await run({ op: 'get', client, cacheName: ent, key });
    assert.equal(got.text, 'café ✓');
    const del = await run({ op: 'delete', client, cacheName: ent, key });
    assert.equal(del.ok, true, del.message);
    const gone = await run({ op: 'get', client, cacheName: ent, key });
    assert.deepEqual([gone.ok, gone.length], [true, null]);
    // TTL: the item is gone once the emulator's clock passes it.
    emu.put(ent, `ttl-${label}`, 'x', 5);
    clock.now += 6000;
    try {
      const expired = await run({ op: 'get', client, cacheName: ent, key: `ttl-${label}` });
      assert.deepEqual([expired.ok, expired.length], [true, null]);
    } finally {
      clock.now -= 6000;
    }
  });

  await t.test(`${label}: a token with + / = works in the Authorization header and in the query`, async () => {
    const awkward = awkwardToken;
    assert.ok(/[+]/.test(awkward) && /[/]/.test(awkward) && awkward.endsWith('='));
    emu.put(ent, `awkward-${label}`, 'ok', 60);
    for (const tokenIn of ['header', 'query']) {
      const r = await run({ op: 'get', client: { ...client, token: awkward, tokenIn }, cacheName: ent, key: `awkward-${label}` });
      assert.equal(r.ok, true, `${tokenIn}: ${r.message}`);
      assert.equal(r.text, 'ok');
    }
    const log = requestsFor(emu, `awkward-${label}`);
    assert.deepEqual(log.map((r) => r.auth), ['header', 'query']);
  });

  await t.test(`${label}: an expired token is TOKEN_EXPIRED (401); another issuer's token AUTHENTICATION_FAILED`, async () => {
    const short = emu.mintToken({ scope: READWRITE_ALL, lifetimeSeconds: 60 });
    clock.now += 61_000;
    try {
      const r = await run({ op: 'get', client: { ...client, token: short }, cacheName: ent, key: 'k' });
      assert.deepEqual([r.ok, r.code, r.status], [false, 'TOKEN_EXPIRED', 401]);
    } finally {
      clock.now -= 61_000;
    }
    const forged = await run({ op: 'get', client: { ...client, token: foreignToken }, cacheName: ent, key: 'k' });
    assert.deepEqual([forged.ok, forged.code, forged.status], [false, 'AUTHENTICATION_FAILED', 401]);
  });

  await t.test(`${label}: out of scope: refused locally with no request, and 403 from the service`, async () => {
    const media = emu.mintToken({ scope: MEDIA_MOVIE1, tokenId: 'viewer' });
    const key = `/Movie2/1080p/segment1-${label}.ts`;
    const local = await run({ op: 'get', client: { ...client, token: media }, cacheName: 'media', key });
    assert.deepEqual([local.ok, local.code, local.local, local.status], [false, 'PERMISSION_DENIED', true, null]);
    assert.equal(requestsFor(emu, key).length, 0, 'no request was sent');
    const remote = await run({ op: 'get', client: { ...client, token: media, checkScope: false }, cacheName: 'media', key });
    assert.deepEqual([remote.ok, remote.code, remote.local, remote.status], [false, 'PERMISSION_DENIED', false, 403]);
    assert.equal(requestsFor(emu, key).length, 1);
    // A write with a readonly token: refused locally too.
    const write = await run({ op: 'set', client: { ...client, token: media }, cacheName: 'media', key: '/Movie1/x', value: 'x', ttlSeconds: 5 });
    assert.deepEqual([write.code, write.local], ['PERMISSION_DENIED', true]);
    // In scope: allowed through (a miss here).
    const inScope = await run({ op: 'get', client: { ...client, token: media }, cacheName: 'media', key: `/Movie1/none-${label}` });
    assert.deepEqual([inScope.ok, inScope.length], [true, null]);
  });

  await t.test(`${label}: reads retry 429 and 5xx with back-off; writes do not`, async () => {
    const key = `retry-${label}`;
    emu.put(ent, key, 'after retries', 60);
    emu.inject({ status: 429, times: 2, match: { key } });
    const r = await run({ op: 'get', client, cacheName: ent, key });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.text, 'after retries');
    assert.deepEqual(requestsFor(emu, key).map((x) => x.status), [429, 429, 200]);

    const key5 = `retry5-${label}`;
    emu.put(ent, key5, 'v', 60);
    emu.inject({ status: 503, times: 3, match: { key: key5 } });
    const down = await run({ op: 'get', client, cacheName: ent, key: key5 });
    assert.deepEqual([down.ok, down.code, down.status, down.attempts], [false, 'SERVER_ERROR', 503, 3]);
    const keyW = `write-${label}`;
    emu.inject({ status: 500, times: 1, match: { key: keyW } });
    const w = await run({ op: 'set', client, cacheName: ent, key: keyW, value: 'v', ttlSeconds: 5 });
    assert.deepEqual([w.ok, w.code, w.attempts], [false, 'SERVER_ERROR', 1]);
    assert.equal(requestsFor(emu, keyW).length, 1, 'a write is sent once');
  });

  await t.test(`${label}: a slow answer or a stalled body is TIMEOUT within the deadline`, async () => {
    const key = `slow-${label}`;
    emu.inject({ delayMs: 2500, match: { key } });
    const r = await run({ op: 'get', client: { ...client, timeoutMs: 300 }, cacheName: ent, key });
    assert.deepEqual([r.ok, r.code], [false, 'TIMEOUT']);
    assert.ok(r.ms < 2000, `gave up after ${r.ms} ms`);
    // The headers and half the body arrive at once, the rest too late: still the same deadline.
    const stalled = `stalled-${label}`;
    emu.put(ent, stalled, 'x'.repeat(4096), 60);
    emu.inject({ stallMs: 2500, match: { key: stalled } });
    const s = await run({ op: 'get', client: { ...client, timeoutMs: 300 }, cacheName: ent, key: stalled });
    assert.deepEqual([s.ok, s.code], [false, 'TIMEOUT']);
    assert.ok(s.ms < 2000, `gave up after ${s.ms} ms`);
    assert.equal(requestsFor(emu, stalled)[0].status, 200, 'the service had answered 200');
  });

  await t.test(`${label}: a 10 MiB body is refused unread; garbage is never an allow`, async () => {
    const key = `huge-${label}`;
    emu.inject({ bodyBytes: 10 * 1024 * 1024, match: { key } });
    const r = await run({ op: 'get', client, cacheName: ent, key });
    assert.deepEqual([r.ok, r.code], [false, 'RESPONSE_TOO_LARGE']);
    const request = { entityId: 'movie_id_123', country: 'US', now: '2024-11-15T12:00:00Z' };
    emu.inject({ bodyBytes: 10 * 1024 * 1024, match: { key: `huge-user-${label}` } });
    const huge = await run({ op: 'decide', client, cacheName: ent, userKey: `huge-user-${label}`, request });
    assert.equal(huge.decisions[0].allowed, false);
    assert.equal(huge.decisions[0].code, 'ENTITLEMENT_INVALID');
    emu.put(ent, `garbage-${label}`, new Uint8Array([0xff, 0x00, 0x7b, 0x22]), 60);
    const garbage = await run({ op: 'decide', client, cacheName: ent, userKey: `garbage-${label}`, request });
    assert.equal(garbage.decisions[0].allowed, false);
    assert.equal(garbage.decisions[0].code, 'ENTITLEMENT_INVALID');
    assert.equal(garbage.decisions[0].cause.code, 'INVALID_ENTITLEMENT');
  });

  await t.test(`${label}: the store decides the seed document as the vectors say, and fails closed`, async () => {
    emu.put(ent, `seed-${label}`, doc, 60);
    for (const c of seedCases()) {
      const r = await run({ op: 'decide', client, cacheName: ent, userKey: `seed-${label}`, request: c.request });
      assert.equal(r.ok, true, r.message);
      const got = r.decisions[0];
      const want = expectedDecision(c);
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k]])), want, c.name);
    }
    const request = { entityId: 'movie_id_123', country: 'US', now: '2024-11-15T12:00:00Z' };
    const missing = await run({ op: 'decide', client, cacheName: ent, userKey: `nobody-${label}`, request });
    assert.deepEqual([missing.decisions[0].allowed, missing.decisions[0].code], [false, 'ENTITLEMENT_MISSING']);
    emu.inject({ status: 500, times: 3, match: { key: `seed-${label}` } });
    const down = await run({ op: 'decide', client, cacheName: ent, userKey: `seed-${label}`, request });
    assert.deepEqual([down.decisions[0].allowed, down.decisions[0].code, down.decisions[0].cause.code], [false, 'ENTITLEMENT_UNAVAILABLE', 'SERVER_ERROR']);
  });

  await t.test(`${label}: concurrent decisions for one user share one read`, async () => {
    const key = `shared-${label}`;
    emu.put(ent, key, doc, 60);
    emu.inject({ delayMs: 100, match: { key } });
    const request = { entityId: 'movie_id_123', country: 'US', now: '2024-11-15T12:00:00Z' };
    const r = await run({ op: 'decide', client, cacheName: ent, userKey: key, request, concurrent: 20 });
    assert.equal(r.ok, true, r.message);
    assert.equal(r.decisions.length, 20);
    assert.ok(r.decisions.every((d) => d.allowed === true));
    assert.equal(requestsFor(emu, key).length, 1, 'one GET for 20 decisions');
    assert.deepEqual(r.stats, { hits: 0, loads: 1, failures: 0 });
  });
}
