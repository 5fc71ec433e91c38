// HTTP faults (issue 11, "What must be true" 5): CacheClient.get and EntitlementStore.decide
// against the local cache emulator (www/cache-emulator.mjs) over real loopback HTTP with the
// platform's global fetch, while the emulator misbehaves: a connection reset mid-body, a wrong
// content type, a 100 MB body, one byte a second, 429 with Retry-After, 1,000 users at once on a
// cold store, and more (empty, non-UTF-8 and non-JSON bodies, redirects, a close before the
// headers, garbage instead of HTTP, oversized headers, a gzip bomb).
//
// Every case must end within the client's deadline in an error with a string `code` (get) or a
// denial `{ allowed: false, code, cause }` (decide), never an allow from a broken answer, with no
// unhandled rejection and with the process's memory bounded (sampled while the case runs).
//
// The package under test is <repo>/pkg ($PLAYGATE_PKG). PLAYGATE_CACHE_SOURCE=js/cache.mjs binds
// that source file to the package's wasm classes instead, to try a change before a rebuild.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { PKG, VECTORS } from './helpers.mjs';
import { startCacheEmulator } from '../../www/cache-emulator.mjs';

// Any unhandled rejection fails the file (each case checks, and the last test again).
const unhandled = [];
process.on('unhandledRejection', (reason) => { unhandled.push(reason); });

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const playgate = await import(pathToFileURL(path.join(PKG, 'node/index.mjs')).href);
const { Policy, Entitlement } = playgate;
let { CacheClient, EntitlementStore } = playgate;
if (process.env.PLAYGATE_CACHE_SOURCE) {
  const cache = await import(pathToFileURL(path.resolve(process.env.PLAYGATE_CACHE_SOURCE)).href);
  CacheClient = cache.cacheClientClass(playgate.decodeMomentoToken);
  EntitlementStore = cache.entitlementStoreClass(playgate);
}

const MB = 1024 * 1024;
const ENT = 'entitlements';
const SLACK_MS = 600; // scheduling on a shared 2-core machine: a deadline is met within this
const emu = await startCacheEmulator();
after(() => emu.close());
const token = emu.mintToken({ scope: { permissions: [{ role: 'readwrite', cache: {} }] }, tokenId: 'faults' });
const policy = new Policy();

const SEED = VECTORS.documents.seed000;
const DOC = JSON.stringify(SEED);
// The seed document padded past a few TCP segments (documents ignore unknown fields).
const BIG_DOC = JSON.stringify({ ...SEED, padding: 'x'.repeat(8000) });
const REQUEST = { entityId: 'movie_id_123', country: 'US', now: '2024-11-15T12:00:00Z' };
assert.equal(policy.evaluate(Entitlement.fromBlob(DOC), REQUEST).allowed, true, 'the seed document allows REQUEST');

const client = (options = {}) => new CacheClient({ token, baseUrl: emu.url, timeoutMs: 2000, retryDelayMs: 10, ...options });
const store = (options = {}, clientOptions = {}) => new EntitlementStore({ cache: client(clientOptions), cacheName: ENT, policy, ...options });
const sent = (key) => emu.requests.filter((r) => r.key === key);
let serial = 0;
const fresh = (name) => `${name}-${++serial}`;

/**
 * Runs `fn`, sampling the process's memory every 5 ms: its outcome, time and peak growth (and
 * with `retained`, the growth left after a GC).
 */
async function measured(fn, { retained = false } = {}) {
  gc();
  const base = process.memoryUsage();
  const peak = { rss: base.rss, arrayBuffers: base.arrayBuffers, heapUsed: base.heapUsed };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
  };
  const timer = setInterval(sample, 5);
  const started = performance.now();
  const out = {};
  try {
    out.value = await fn();
  } catch (error) {
    out.error = error;
  } finally {
    out.ms = performance.now() - started;
    clearInterval(timer);
    sample();
  }
  out.growth = Object.fromEntries(Object.keys(peak).map((k) => [k, peak[k] - base[k]]));
  if (retained) {
    gc();
    const m = process.memoryUsage();
    out.retained = Object.fromEntries(Object.keys(peak).map((k) => [k, m[k] - base[k]]));
  }
  return out;
}

/** Lets pending rejections surface, then fails on any. */
async function noUnhandled() {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(unhandled.map((r) => String(r?.stack ?? r)), [], 'an unhandled rejection');
}

const MEMORY_BOUND = { rss: 64 * MB, arrayBuffers: 32 * MB }; // a 100 MB body must not show
/** The peak growth of a case, for the test log. */
const grew = (out) => Object.entries(out.growth).map(([k, v]) => `${k} +${(v / MB).toFixed(1)} MB`).join(', ') + ` in ${out.ms.toFixed(0)} ms`;
function bounded(out, bound = MEMORY_BOUND) {
  for (const [k, limit] of Object.entries(bound)) {
    assert.ok(out.growth[k] < limit, `${k} grew by ${(out.growth[k] / MB).toFixed(1)} MB (bound ${limit / MB} MB)`);
  }
}

/** `get` failed with `code` within `deadlineMs` (+ slack), as a CacheError with a string code. */
function failedWith(out, code, deadlineMs, extra = {}) {
  assert.ok(out.error, `expected ${code}, got a value (${out.value?.length} bytes)`);
  assert.ok(out.error instanceof Error, 'an Error');
  assert.equal(typeof out.error.code, 'string', `a string code: ${out.error?.stack}`);
  assert.equal(out.error.code, code, out.error.message);
  assert.ok(out.ms < deadlineMs + SLACK_MS, `ended after ${out.ms.toFixed(0)} ms, deadline ${deadlineMs} ms`);
  for (const [k, v] of Object.entries(extra)) assert.deepEqual(out.error[k], v, `${code}.${k}`);
  bounded(out);
}

/** `decide` resolved to a denial `code` caused by `causeCode` within `deadlineMs` (+ slack). */
function deniedWith(out, code, causeCode, deadlineMs) {
  assert.equal(out.error, undefined, `decide threw: ${out.error?.stack}`);
  const d = out.value;
  assert.deepEqual([d.allowed, d.code, d.cause?.code ?? null], [false, code, causeCode], JSON.stringify(d.cause));
  assert.deepEqual([d.reasons, d.claims, d.maxQuality, d.allowPersistence], [[code], [], null, false]);
  assert.ok(out.ms < deadlineMs + SLACK_MS, `ended after ${out.ms.toFixed(0)} ms, deadline ${deadlineMs} ms`);
  bounded(out);
}

const get = (key, options) => measured(() => client(options).get(ENT, key));
const decide = (key, storeOptions, clientOptions) => measured(() => store(storeOptions, clientOptions).decide(key, REQUEST));

// ---- connection reset mid-body ---------------------------------------------------------------

test('reset mid-body: headers and 1,000 of 8,000 bytes, then RST: NETWORK_ERROR, not retried; a denial', async () => {
  for (const op of ['get', 'decide']) {
    const key = fresh('reset');
    emu.put(ENT, key, BIG_DOC, 60);
    emu.inject({ resetAfterBytes: 1000, match: { key } });
    if (op === 'get') failedWith(await get(key), 'NETWORK_ERROR', 2000, { status: 200, attempts: 1, retryable: false });
    else deniedWith(await decide(key), 'ENTITLEMENT_UNAVAILABLE', 'NETWORK_ERROR', 2000);
    const [entry] = sent(key);
    assert.equal(entry.status, 200);
    const { closedEarly, bytesSent, bodyBytes } = await entry.response.done;
    assert.deepEqual([closedEarly, bytesSent, bodyBytes], [true, 1000, BIG_DOC.length]);
    assert.equal(sent(key).length, 1, 'a broken body is not retried');
  }
  await noUnhandled();
});

test('reset mid-body without Content-Length (chunked), and mid error body (retried as the 5xx it is)', async () => {
  const key = fresh('reset-chunked');
  emu.inject({ status: 200, bodyBytes: MB, chunked: true, resetAfterBytes: 100_000, match: { key } });
  failedWith(await get(key), 'NETWORK_ERROR', 2000, { status: 200 });
  // The body of a 503 breaks off: the status said enough (SERVER_ERROR, retried, then given up).
  const key5 = fresh('reset-503');
  emu.inject({ status: 503, body: 'Service Unavailable '.repeat(100), resetAfterBytes: 10, times: 3, match: { key: key5 } });
  failedWith(await get(key5), 'SERVER_ERROR', 2000, { status: 503, attempts: 3 });
  const keyD = fresh('reset-503-decide');
  emu.inject({ status: 503, body: 'Service Unavailable '.repeat(100), resetAfterBytes: 10, times: 3, match: { key: keyD } });
  deniedWith(await decide(keyD), 'ENTITLEMENT_UNAVAILABLE', 'SERVER_ERROR', 2000);
  await noUnhandled();
});

// ---- wrong content type ------------------------------------------------------------------------

const PORTAL = '<!doctype html><html><head><title>Sign in to the Wi-Fi</title></head><body>Welcome</body></html>';

test('a 200 that is not application/octet-stream (an HTML page, JSON, text) is UNEXPECTED_RESPONSE, never data', async () => {
  const cases = [
    ['an HTML error page', { status: 200, body: PORTAL, contentType: 'text/html; charset=utf-8' }],
    // A valid, granting document, but labelled JSON: not the cache's answer (the service sends
    // the stored bytes as application/octet-stream whatever they hold), so not read.
    ['a granting document labelled JSON', { status: 200, body: DOC, contentType: 'application/json' }],
    ['a JSON error envelope with 200', { status: 200, body: '{"error":"quota exceeded"}', contentType: 'application/json; charset=utf-8' }],
    ['the real item relabelled text/plain', { contentType: 'text/plain' }],
    ['an empty Content-Type', { contentType: '' }],
  ];
  for (const [what, fault] of cases) {
    for (const op of ['get', 'decide']) {
      const key = fresh('ctype');
      emu.put(ENT, key, DOC, 60);
      emu.inject({ ...fault, match: { key } });
      if (op === 'get') {
        const out = await get(key);
        failedWith(out, 'UNEXPECTED_RESPONSE', 2000, { status: 200, attempts: 1, retryable: false });
        assert.match(out.error.message, /content type/, what);
      } else {
        deniedWith(await decide(key), 'ENTITLEMENT_UNAVAILABLE', 'UNEXPECTED_RESPONSE', 2000);
      }
    }
  }
  await noUnhandled();
});

test('application/octet-stream in any case and with parameters, or no Content-Type at all, is read', async () => {
  for (const contentType of ['Application/Octet-Stream', 'application/octet-stream; charset=binary', null]) {
    const key = fresh('ctype-ok');
    emu.put(ENT, key, DOC, 60);
    emu.inject({ contentType, times: 2, match: { key } });
    const out = await get(key);
    assert.equal(new TextDecoder().decode(out.value), DOC, String(contentType));
    const d = await decide(key);
    assert.equal(d.value.allowed, true, String(contentType));
  }
  await noUnhandled();
});

// ---- a 100 MB body ----------------------------------------------------------------------------

test('a 100 MB body with Content-Length is refused from the header: RESPONSE_TOO_LARGE, connection closed early, memory flat', async (t) => {
  for (const op of ['get', 'decide']) {
    const key = fresh('huge');
    emu.inject({ status: 200, bodyBytes: 100 * MB, match: { key } });
    const out = op === 'get' ? await get(key) : await decide(key);
    if (op === 'get') failedWith(out, 'RESPONSE_TOO_LARGE', 2000, { status: 200 });
    else deniedWith(out, 'ENTITLEMENT_INVALID', 'RESPONSE_TOO_LARGE', 2000);
    const info = await sent(key)[0].response.done;
    assert.equal(info.closedEarly, true, 'the client closed the connection');
    assert.ok(info.bytesSent < 32 * MB, `the emulator got ${(info.bytesSent / MB).toFixed(1)} MB out`);
    t.diagnostic(`${op}: ${grew(out)}; the emulator wrote ${(info.bytesSent / MB).toFixed(1)} of 100 MB`);
  }
  await noUnhandled();
});

test('a 100 MB body without Content-Length is cut off at the limit while streaming, not buffered', async (t) => {
  const key = fresh('huge-chunked');
  emu.inject({ status: 200, bodyBytes: 100 * MB, chunked: true, match: { key } });
  const out = await get(key); // the client's limit: 5 MiB
  failedWith(out, 'RESPONSE_TOO_LARGE', 2000, { status: 200 });
  let info = await sent(key)[0].response.done;
  assert.equal(info.closedEarly, true);
  assert.ok(info.bytesSent < 32 * MB, `the emulator got ${(info.bytesSent / MB).toFixed(1)} MB out`);
  t.diagnostic(`get: ${grew(out)}; the emulator wrote ${(info.bytesSent / MB).toFixed(1)} of 100 MB`);
  const keyD = fresh('huge-chunked-decide');
  emu.inject({ status: 200, bodyBytes: 100 * MB, chunked: true, match: { key: keyD } });
  const outD = await decide(keyD);
  deniedWith(outD, 'ENTITLEMENT_INVALID', 'RESPONSE_TOO_LARGE', 2000); // the store's: 1 MiB
  info = await sent(keyD)[0].response.done;
  assert.equal(info.closedEarly, true);
  assert.ok(info.bytesSent < 32 * MB);
  t.diagnostic(`decide: ${grew(outD)}; the emulator wrote ${(info.bytesSent / MB).toFixed(1)} of 100 MB`);
  await noUnhandled();
});

test('a gzip bomb (100 KB on the wire, 100 MB inflated) is cut off at the limit as it inflates', async (t) => {
  // fetch inflates Content-Encoding: gzip itself; the limit counts inflated bytes. Concatenated
  // gzip members (one of 1 MiB, 100 times) keep the fixture small to build.
  const member = zlib.gzipSync(Buffer.alloc(MB, 0x7b), { level: 9 });
  const bomb = Buffer.concat(Array.from({ length: 100 }, () => member));
  assert.ok(bomb.length < 200 * 1024);
  for (const op of ['get', 'decide']) {
    const key = fresh('bomb');
    emu.inject({ status: 200, body: bomb, headers: { 'Content-Encoding': 'gzip' }, match: { key } });
    const out = op === 'get' ? await get(key) : await decide(key);
    if (op === 'get') failedWith(out, 'RESPONSE_TOO_LARGE', 2000, { status: 200 });
    else deniedWith(out, 'ENTITLEMENT_INVALID', 'RESPONSE_TOO_LARGE', 2000);
    t.diagnostic(`${op}: ${grew(out)}`);
  }
  await noUnhandled();
});

// ---- one byte a second --------------------------------------------------------------------------

test('one byte a second: TIMEOUT at the deadline (body, status line, store deadline), the connection closed', async () => {
  const key = fresh('drip');
  emu.put(ENT, key, DOC, 60);
  emu.inject({ dripBytesPerSecond: 1, match: { key } });
  const out = await get(key, { timeoutMs: 1200 });
  failedWith(out, 'TIMEOUT', 1200, { retryable: true, attempts: 1 });
  assert.ok(out.ms >= 1150, `gave up early, after ${out.ms.toFixed(0)} ms`);
  const info = await sent(key)[0].response.done;
  assert.ok(info.closedEarly && info.bytesSent <= 3, `the client hung up after ${info.bytesSent} bytes`);

  // The whole answer drips, status line included: no headers before the deadline.
  const keyRaw = fresh('drip-raw');
  emu.inject({ raw: `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DOC.length}\r\n\r\n${DOC}`, dripBytesPerSecond: 1, match: { key: keyRaw } });
  failedWith(await get(keyRaw, { timeoutMs: 1200 }), 'TIMEOUT', 1200);

  // The store's client deadline, then the store's own load deadline shorter than the client's:
  // the load is abandoned and its request aborted (the emulator sees the connection go).
  const keyD = fresh('drip-decide');
  emu.put(ENT, keyD, DOC, 60);
  emu.inject({ dripBytesPerSecond: 1, times: 2, match: { key: keyD } });
  deniedWith(await decide(keyD, {}, { timeoutMs: 1200 }), 'ENTITLEMENT_UNAVAILABLE', 'TIMEOUT', 1200);
  const short = await decide(keyD, { loadTimeoutMs: 700 }, { timeoutMs: 5000 });
  deniedWith(short, 'ENTITLEMENT_UNAVAILABLE', 'TIMEOUT', 700);
  const aborted = await sent(keyD)[1].response.done;
  assert.equal(aborted.closedEarly, true, 'the abandoned load closed its connection');
  await noUnhandled();
});

test('a 429 whose body drips: TIMEOUT at the deadline, not the deadline plus a Retry-After wait', async () => {
  const key = fresh('drip-429');
  emu.inject({ status: 429, headers: { 'Retry-After': '1' }, dripBytesPerSecond: 1, times: 3, match: { key } });
  failedWith(await get(key, { timeoutMs: 1000 }), 'TIMEOUT', 1000);
  await noUnhandled();
});

// ---- 429 with Retry-After -----------------------------------------------------------------------

test('429 with Retry-After in seconds: the client waits that long, then reads', async () => {
  const key = fresh('retry-after');
  emu.put(ENT, key, DOC, 60);
  emu.inject({ status: 429, headers: { 'Retry-After': '1' }, match: { key } });
  const out = await get(key, { timeoutMs: 3000 });
  assert.equal(out.error, undefined, out.error?.message);
  assert.equal(new TextDecoder().decode(out.value), DOC);
  assert.ok(out.ms >= 950 && out.ms < 3000, `waited ${out.ms.toFixed(0)} ms`);
  assert.deepEqual(sent(key).map((r) => r.status), [429, 200]);
  await noUnhandled();
});

test('429 with Retry-After as an HTTP-date: the client waits until then', async () => {
  const key = fresh('retry-date');
  emu.put(ENT, key, DOC, 60);
  // An HTTP-date has whole seconds: 2 s ahead is 1 to 2 s from now (the back-off alone is ~10 ms).
  emu.inject({ status: 429, headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() }, match: { key } });
  const out = await get(key, { timeoutMs: 4000 });
  assert.equal(out.error, undefined, out.error?.message);
  assert.ok(out.ms >= 900 && out.ms < 4000, `waited ${out.ms.toFixed(0)} ms`);
  assert.deepEqual(sent(key).map((r) => r.status), [429, 200]);
  // Unreadable Retry-After values fall back to the back-off.
  for (const value of ['soon', '-5', '1.5', '']) {
    const k = fresh('retry-garbage');
    emu.put(ENT, k, DOC, 60);
    emu.inject({ status: 429, headers: { 'Retry-After': value }, match: { key: k } });
    const o = await get(k, { timeoutMs: 3000 });
    assert.equal(o.error, undefined, `${value}: ${o.error?.message}`);
    assert.ok(o.ms < 900, `Retry-After ${JSON.stringify(value)}: waited ${o.ms.toFixed(0)} ms`);
  }
  await noUnhandled();
});

test('a Retry-After past the deadline fails at once with THROTTLED and retryAfterMs, no wait', async () => {
  const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
  for (const [value, timeoutMs] of [['3600', 2000], [inAnHour, 2000], ['2', 1500]]) {
    const key = fresh('retry-long');
    emu.put(ENT, key, DOC, 60);
    emu.inject({ status: 429, headers: { 'Retry-After': value }, match: { key } });
    const out = await get(key, { timeoutMs });
    failedWith(out, 'THROTTLED', timeoutMs, { status: 429, attempts: 1, retryable: true });
    assert.ok(out.ms < 500, `Retry-After ${value}: waited ${out.ms.toFixed(0)} ms for nothing`);
    const expected = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
    assert.ok(Math.abs(out.error.retryAfterMs - expected) < 2000, `retryAfterMs ${out.error.retryAfterMs}, expected ~${expected}`);
    assert.equal(sent(key).length, 1);
  }
  // Also for a 503 with Retry-After, and through the store.
  const key5 = fresh('retry-503');
  emu.inject({ status: 503, headers: { 'Retry-After': '3600' }, match: { key: key5 } });
  failedWith(await get(key5), 'SERVER_ERROR', 2000, { attempts: 1 });
  const keyD = fresh('retry-decide');
  emu.inject({ status: 429, headers: { 'Retry-After': '3600' }, match: { key: keyD } });
  const d = await decide(keyD);
  deniedWith(d, 'ENTITLEMENT_UNAVAILABLE', 'THROTTLED', 2000);
  assert.ok(d.ms < 500);
  await noUnhandled();
});

// ---- 1,000 users at once on a cold store --------------------------------------------------------

/** User i's document and request: four kinds of answer, and every 100 users three failures. */
function population(n, prefix) {
  const users = [];
  for (let i = 0; i < n; i++) {
    const key = `${prefix}-${i}`;
    const request = { entityId: `movie-${i}`, country: i % 5 === 0 ? 'DE' : 'US', device: 'web', now: '2024-11-15T12:00:00Z' };
    const doc = [
      { region: 'US', max_quality: 'HD' },
      { region: ['US', 'DE'], allowed_content: [`movie-${i}`] },
      { valid_until: '2020-01-01T00:00:00Z' },
      { allowed_content: [`movie-${i + 1}`], device_restriction: ['web'] },
    ][i % 4];
    const u = { key, request, doc: JSON.stringify(doc), fault: null };
    if (i % 100 === 7) u.fault = 'missing';
    else if (i % 100 === 13) u.fault = 'garbage';
    else if (i % 100 === 29) u.fault = 'down';
    users.push(u);
  }
  for (const u of users) {
    if (u.fault === 'garbage') emu.put(ENT, u.key, Uint8Array.from([0xff, 0xfe, 0x7b]), 60);
    else if (u.fault !== 'missing') emu.put(ENT, u.key, u.doc, 60);
    if (u.fault === 'down') emu.inject({ status: 503, times: 3, match: { key: u.key } });
    if (u.fault === null) {
      const ent = Entitlement.fromBlob(u.doc);
      u.want = policy.evaluate(ent, u.request);
      ent.free();
    } else {
      u.want = { missing: 'ENTITLEMENT_MISSING', garbage: 'ENTITLEMENT_INVALID', down: 'ENTITLEMENT_UNAVAILABLE' }[u.fault];
    }
  }
  return users;
}

for (const maxEntries of [1000, 150]) {
  test(`1,000 concurrent decide calls for 1,000 users on a cold store (maxEntries ${maxEntries}): each its own decision, one load each`, async (t) => {
    const users = population(1000, `crowd${maxEntries}`);
    const s = store({ maxEntries }, { timeoutMs: 10_000 });
    let largest = 0;
    const out = await measured(() => Promise.all(users.map((u) => s.decide(u.key, u.request).then((d) => {
      largest = Math.max(largest, s.size);
      return d;
    }))), { retained: true });
    assert.equal(out.error, undefined, out.error?.stack);
    assert.ok(out.ms < 10_000, `took ${out.ms.toFixed(0)} ms`);
    const kinds = { allowed: 0, denied: 0, failed: 0 };
    for (const [i, u] of users.entries()) {
      const d = out.value[i];
      if (typeof u.want === 'string') {
        assert.deepEqual([d.allowed, d.code], [false, u.want], u.key);
        kinds.failed++;
      } else {
        assert.deepEqual(d, u.want, u.key);
        kinds[d.allowed ? 'allowed' : 'denied']++;
      }
    }
    assert.ok(kinds.allowed > 300 && kinds.denied > 300 && kinds.failed === 30, JSON.stringify(kinds));
    // One load per user; the emulator saw one GET per user (three for the users whose reads got
    // 503 three times: the client's retries inside that one load).
    assert.equal(s.stats.loads, 1000);
    for (const u of users) assert.equal(sent(u.key).length, u.fault === 'down' ? 3 : 1, u.key);
    assert.ok(largest <= maxEntries && s.size <= maxEntries, `held ${largest} documents`);
    // ~100 KB of transient heap per user in flight, client and emulator together (one process,
    // 2,000 sockets); bodies are small, so nothing here grows with them.
    t.diagnostic(`${JSON.stringify(kinds)}; ${grew(out)}; heap kept after a GC +${(out.retained.heapUsed / MB).toFixed(1)} MB; at most ${largest} documents held`);
    bounded(out, { rss: 192 * MB, heapUsed: 128 * MB, arrayBuffers: 24 * MB });
    assert.ok(out.retained.heapUsed < 32 * MB, `heap kept ${(out.retained.heapUsed / MB).toFixed(1)} MB`);
    s.clear();
    await noUnhandled();
  });
}

// ---- other faults ---------------------------------------------------------------------------------

test('a 200 with an empty body is an empty item for get, and ENTITLEMENT_INVALID for the store', async () => {
  const key = fresh('empty');
  emu.put(ENT, key, '', 60);
  const out = await get(key);
  assert.ok(out.value instanceof Uint8Array && out.value.length === 0, 'an empty item');
  deniedWith(await decide(key), 'ENTITLEMENT_INVALID', 'INVALID_ENTITLEMENT', 2000);
  await noUnhandled();
});

test('bodies that are not UTF-8, not JSON, or JSON but not a document are ENTITLEMENT_INVALID', async () => {
  const bodies = [
    Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]), Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
    'hello', PORTAL, '{"region": "US"', 'null', '[]', '"US"', '42', 'true', '{"region": "US"} trailing',
    '{"valid_until": "not a date"}', '{"region": "US", "region": "DE"}',
  ];
  for (const body of bodies) {
    const key = fresh('bad-body');
    emu.put(ENT, key, body, 60);
    deniedWith(await decide(key), 'ENTITLEMENT_INVALID', 'INVALID_ENTITLEMENT', 2000);
  }
  await noUnhandled();
});

test('a GET answered 204 (no item, no miss: the cache API answers 200 or 404) is UNEXPECTED_RESPONSE, never a miss', async () => {
  const key = fresh('no-content');
  emu.inject({ status: 204, body: '', match: { key } });
  failedWith(await get(key), 'UNEXPECTED_RESPONSE', 2000, { status: 204, attempts: 1 });
  const keyD = fresh('no-content-decide');
  emu.inject({ status: 204, body: '', match: { key: keyD } });
  deniedWith(await decide(keyD), 'ENTITLEMENT_UNAVAILABLE', 'UNEXPECTED_RESPONSE', 2000);
  await noUnhandled();
});

test('a redirect is not followed (the cache API never redirects; following could send the token elsewhere)', async () => {
  const hits = [];
  const elsewhere = http.createServer((req, res) => {
    hits.push({ url: req.url, authorization: req.headers.authorization ?? null });
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(DOC);
  });
  await new Promise((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
  const there = `http://127.0.0.1:${elsewhere.address().port}/cache/entitlements?key=x`;
  try {
    for (const [status, location] of [[302, there], [301, there], [307, there], [308, `${emu.url}/cache/entitlements?key=same-origin`]]) {
      for (const tokenIn of ['header', 'query']) {
        const key = fresh('redirect');
        emu.inject({ status, body: '', headers: { Location: location }, match: { key } });
        failedWith(await get(key, { tokenIn }), 'UNEXPECTED_RESPONSE', 2000, { status, attempts: 1 });
      }
      const keyD = fresh('redirect-decide');
      emu.inject({ status, body: '', headers: { Location: location }, match: { key: keyD } });
      deniedWith(await decide(keyD), 'ENTITLEMENT_UNAVAILABLE', 'UNEXPECTED_RESPONSE', 2000);
    }
    assert.deepEqual(hits, [], 'nothing reached the redirect target');
    assert.equal(sent('same-origin').length, 0, 'nor the same-origin one');
  } finally {
    elsewhere.close();
    elsewhere.closeAllConnections();
  }
  await noUnhandled();
});

test('a server that closes before the headers, or answers garbage, or cuts the body short: NETWORK_ERROR', async () => {
  const faults = [
    { closeBeforeHeaders: true },
    { raw: 'hello\r\n\r\n' },
    { raw: `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${DOC.length}\r\n\r\n${DOC.slice(0, 20)}` },
    { raw: 'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n' },
    { raw: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}{}{}{' },
    { status: 200, body: DOC, headers: { 'X-Padding': 'x'.repeat(100_000) } }, // headers past fetch's 16 KiB
  ];
  for (const fault of faults) {
    const what = JSON.stringify(fault).slice(0, 80);
    const key = fresh('broken');
    emu.inject({ ...fault, match: { key } });
    const out = await get(key);
    failedWith(out, 'NETWORK_ERROR', 2000, { attempts: 1 });
    assert.equal(sent(key).length, 1, what);
    const keyD = fresh('broken-decide');
    emu.inject({ ...fault, match: { key: keyD } });
    deniedWith(await decide(keyD), 'ENTITLEMENT_UNAVAILABLE', 'NETWORK_ERROR', 2000);
  }
  await noUnhandled();
});

test('a 404 that is not the service\'s (an HTML page) is UNEXPECTED_RESPONSE, not a miss', async () => {
  const key = fresh('html-404');
  emu.inject({ status: 404, body: '<html><body><h1>404 Not Found</h1></body></html>', contentType: 'text/html', times: 2, match: { key } });
  failedWith(await get(key), 'UNEXPECTED_RESPONSE', 2000, { status: 404 });
  deniedWith(await decide(key), 'ENTITLEMENT_UNAVAILABLE', 'UNEXPECTED_RESPONSE', 2000);
  await noUnhandled();
});

test('no unhandled rejection in the whole file, and the emulator still answers', async () => {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  await noUnhandled();
  const key = fresh('after');
  emu.put(ENT, key, DOC, 60);
  assert.equal((await store().decide(key, REQUEST)).allowed, true);
});
