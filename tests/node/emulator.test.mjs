// Protocol tests of the local Momento cache emulator (www/cache-emulator.mjs), spoken to with the
// platform's plain fetch (no playgate client), so a client bug cannot hide an emulator bug.
// Every expectation comes from /work/shared/docs/momento.md, "HTTP API" (status codes,
// `Key Not Found` / `Cache Not Found` bodies, raw-token Authorization header or `token=` query,
// permission check before lookup, 204 for PUT/DELETE) and "MediaStore key layout" (seed 000:
// readonly on cache `media`, key prefix `/{ContentName}/`). Where a test pins something the
// reference leaves open (TTL boundary, CORS, faults, traversal), the comment says it is the
// emulator's own contract.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startCacheEmulator } from '../../www/cache-emulator.mjs';
import { MomentoTokenIssuer } from '../../pkg/edge/node/index.mjs';

let clock = Date.parse('2030-01-01T00:00:00Z');
let emu, mediaDir, outsideDir;
const SECRET = { kty: 'oct', k: randomBytes(32).toString('base64url') };

const ALL = { permissions: [{ role: 'readwrite', cache: {} }] };
const MOVIE1 = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] }; // seed 000
const SEGMENT = Uint8Array.from([0x47, 0x40, 0x00, 0x10, 0x00, 0xff, 0x00, 0x7f]); // TS sync byte first

before(async () => {
  outsideDir = await fs.mkdtemp(path.join(os.tmpdir(), 'playgate-emu-'));
  mediaDir = path.join(outsideDir, 'media');
  await fs.mkdir(path.join(mediaDir, 'Movie1/1080p'), { recursive: true });
  await fs.mkdir(path.join(mediaDir, 'Movie2'), { recursive: true });
  await fs.writeFile(path.join(mediaDir, 'Movie1/playlist.m3u8'), '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5000000\n1080p/playlist.m3u8\n');
  await fs.writeFile(path.join(mediaDir, 'Movie1/1080p/segment1.ts'), SEGMENT);
  await fs.writeFile(path.join(mediaDir, 'Movie2/playlist.m3u8'), '#EXTM3U\n');
  await fs.writeFile(path.join(outsideDir, 'outside.txt'), 'secret');
  emu = await startCacheEmulator({ now: () => clock, mediaDir, secret: SECRET });
});
after(async () => {
  await emu.close();
  await fs.rm(outsideDir, { recursive: true, force: true });
});

// Tokens are minted at the current injected clock, so moving the clock in one test never
// expires the tokens of the next.
const token = (scope = ALL, extra = {}) => emu.mintToken({ scope, ...extra });
const cacheUrl = (cache, query) => `${emu.url}/cache/${encodeURIComponent(cache)}?${new URLSearchParams(query)}`;
const call = (method, url, { auth = token(), body, headers = {} } = {}) =>
  fetch(url, { method, body, headers: auth === null ? headers : { Authorization: auth, ...headers } });
const b64url = (s) => Buffer.from(s).toString('base64url');

/** A request fetch cannot send (raw, un-normalised path): status and body text. */
function rawGet(pathAndQuery, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: emu.port, path: pathAndQuery, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => { text += d; }).on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject).end();
  });
}

async function expectStatus(responsePromise, status, bodyText) {
  const res = await responsePromise;
  const text = await res.text();
  assert.equal(res.status, status, `status ${res.status}, body ${JSON.stringify(text)}`);
  if (bodyText !== undefined) assert.equal(text, bodyText);
  return res;
}

test('health answers ok without a token', async () => {
  await expectStatus(fetch(`${emu.url}/_emulator/health`), 200, 'ok');
});

test('PUT then GET: 204, then 200 with the raw bytes as octet-stream', async () => {
  const value = Uint8Array.from([0, 255, 1, 254, 0x7b, 10, 13]);
  const put = await call('PUT', cacheUrl('entitlements', { key: 'user-42', ttl_seconds: '60' }), { body: value });
  assert.equal(put.status, 204);
  const res = await call('GET', cacheUrl('entitlements', { key: 'user-42' }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), value);
  assert.deepEqual(emu.peek('entitlements', 'user-42'), value);
});

test('misses, unknown caches, DELETE', async () => {
  await expectStatus(call('GET', cacheUrl('entitlements', { key: 'nobody' })), 404, 'Key Not Found');
  await expectStatus(call('GET', cacheUrl('no-such-cache', { key: 'a' })), 404, 'Cache Not Found');
  emu.put('entitlements', 'gone', 'x', 60);
  await expectStatus(call('DELETE', cacheUrl('entitlements', { key: 'gone' })), 204);
  await expectStatus(call('GET', cacheUrl('entitlements', { key: 'gone' })), 404, 'Key Not Found');
  await expectStatus(call('DELETE', cacheUrl('entitlements', { key: 'gone' })), 204); // absent: still 204
});

test('400 for a bad key or ttl_seconds', async () => {
  await expectStatus(call('GET', cacheUrl('media', {})), 400);
  await expectStatus(call('GET', cacheUrl('media', { key: '' })), 400);
  await expectStatus(call('GET', cacheUrl('media', { key: 'a', key_base64: b64url('a') })), 400);
  await expectStatus(call('GET', `${cacheUrl('media', { key: 'a' })}&key=b`), 400);
  await expectStatus(call('GET', cacheUrl('media', { key_base64: '!!notbase64' })), 400);
  await expectStatus(call('PUT', cacheUrl('media', { key: 'a' }), { body: 'x' }), 400);
  for (const ttl of ['0', '-5', '1.5', 'abc', ''])
    await expectStatus(call('PUT', cacheUrl('media', { key: 'a', ttl_seconds: ttl }), { body: 'x' }), 400, undefined);
  // Emulator limit: items over maxItemBytes (5 MiB by default) are refused.
  await expectStatus(call('PUT', cacheUrl('media', { key: 'big', ttl_seconds: '60' }), { body: new Uint8Array(5 * 1024 * 1024 + 1) }), 400);
  // Emulator limitation: keys are bytes but scopes are checked on strings, so non-UTF-8 is refused.
  await expectStatus(call('GET', cacheUrl('media', { key_base64: '_w' })), 400);
  assert.equal(emu.peek('media', 'a'), undefined);
});

test('405 for other methods, 404 for unknown paths', async () => {
  await expectStatus(call('POST', cacheUrl('media', { key: 'a' })), 405);
  await expectStatus(call('GET', `${emu.url}/nope`), 404);
  await expectStatus(call('GET', `${emu.url}/cache/media/extra?key=a`), 404);
});

test('401: no token, garbage, another secret, expired', async () => {
  const url = cacheUrl('media', { key: '/Movie1/playlist.m3u8' });
  await expectStatus(call('GET', url, { auth: null }), 401);
  await expectStatus(call('GET', url, { auth: 'garbage' }), 401);
  await expectStatus(call('GET', url, { auth: `Bearer ${token()}` }), 401); // raw token, no "Bearer"
  const other = MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: randomBytes(32).toString('base64url') }, endpoint: '127.0.0.1' });
  await expectStatus(call('GET', url, { auth: other.mint({ scope: ALL, tokenId: 'dev', lifetimeSeconds: 3600, now: clock }) }), 401);

  const shortLived = token(ALL, { lifetimeSeconds: 60 });
  await expectStatus(call('GET', url, { auth: shortLived }), 404, 'Key Not Found'); // valid: reaches the lookup
  clock += 60_000; // exactly at exp: expired
  const res = await expectStatus(call('GET', url, { auth: shortLived }), 401);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const again = await call('GET', url, { auth: shortLived });
  assert.match(await again.text(), /expired/);
});

test('a token with + / = works URL-encoded in the query and in the header', async () => {
  // A v1 token is standard base64 of ASCII JSON {api_key: <base64url JWT>, endpoint}: with a host
  // name as endpoint no byte can encode to '+' or '/' (it takes '>', '?', '~' or DEL), only '='
  // padding appears, whatever the tokenId. A valid token's envelope with one more member holding
  // such characters (readers skip members they do not know) is a valid token that carries them.
  const issuer = MomentoTokenIssuer.fromJson({ secret: SECRET, endpoint: '127.0.0.1' });
  const envelope = JSON.parse(Buffer.from(issuer.mint({ scope: ALL, tokenId: 'user', lifetimeSeconds: 3600, now: clock }), 'base64').toString('utf8'));
  let tok, n = 0;
  do tok = Buffer.from(JSON.stringify({ ...envelope, note: `${'~'.repeat(n % 7)}???${'x'.repeat(n)}` })).toString('base64');
  while (!(tok.includes('+') && tok.includes('/') && tok.includes('=')) && ++n < 1000);
  assert.ok(tok.includes('+') && tok.includes('/') && tok.includes('='), 'no token with + / = found');
  emu.put('media', 'k', 'v', 60);
  const query = `${emu.url}/cache/media?key=k&token=${encodeURIComponent(tok)}`;
  await expectStatus(call('GET', query, { auth: null }), 200, 'v');
  assert.equal(emu.requests.at(-1).auth, 'query');
  await expectStatus(call('GET', `${emu.url}/cache/media?key=k`, { auth: tok }), 200, 'v');
  assert.equal(emu.requests.at(-1).auth, 'header');
  // The reference: tokens must be URL-encoded in the query. The emulator decodes a query with form
  // semantics ('+' = space), so the same token left raw is invalid.
  await expectStatus(call('GET', `${emu.url}/cache/media?key=k&token=${tok}`, { auth: null }), 401);
  // The emulator's own tokens (endpoint 127.0.0.1) carry '=' padding: also fine in the query.
  do tok = token(ALL, { tokenId: `user-${n++}` }); while (!tok.includes('='));
  await expectStatus(call('GET', `${emu.url}/cache/media?key=k&token=${encodeURIComponent(tok)}`, { auth: null }), 200, 'v');
});

test('403 before the lookup: readonly /Movie1/ prefix (seed 000)', async () => {
  const ro = token(MOVIE1);
  emu.put('media', '/Movie2/playlist.m3u8', '#EXTM3U', 60);
  await expectStatus(call('GET', cacheUrl('media', { key: '/Movie2/playlist.m3u8' }), { auth: ro }), 403);
  await expectStatus(call('GET', cacheUrl('media', { key: '/Movie2/does-not-exist' }), { auth: ro }), 403);
  await expectStatus(call('GET', cacheUrl('media', { key: '/Movie1/does-not-exist' }), { auth: ro }), 404, 'Key Not Found');
  await expectStatus(call('GET', cacheUrl('no-such-cache', { key: '/Movie1/a' }), { auth: ro }), 403);
  await expectStatus(call('PUT', cacheUrl('media', { key: '/Movie1/x', ttl_seconds: '60' }), { auth: ro, body: 'x' }), 403);
  await expectStatus(call('DELETE', cacheUrl('media', { key: '/Movie2/playlist.m3u8' }), { auth: ro }), 403);
  assert.equal(emu.peek('media', '/Movie1/x'), undefined);
  assert.ok(emu.peek('media', '/Movie2/playlist.m3u8'));
});

test('items expire after ttl_seconds on the injected clock', async () => {
  await expectStatus(call('PUT', cacheUrl('entitlements', { key: 'ttl', ttl_seconds: '10' }), { body: 'x' }), 204);
  const tok = token();
  clock += 9_999;
  await expectStatus(call('GET', cacheUrl('entitlements', { key: 'ttl' }), { auth: tok }), 200, 'x');
  clock += 1; // emulator contract: at exactly ttl the item is gone
  await expectStatus(call('GET', cacheUrl('entitlements', { key: 'ttl' }), { auth: tok }), 404, 'Key Not Found');
  assert.equal(emu.peek('entitlements', 'ttl'), undefined);
});

test('key_base64 and key= address the same bytes (spaces, unicode)', async () => {
  const key = 'user 42/ünïcødé ✓';
  await expectStatus(call('PUT', cacheUrl('entitlements', { key_base64: b64url(key), ttl_seconds: '60' }), { body: 'uni' }), 204);
  await expectStatus(call('GET', `${emu.url}/cache/entitlements?key=${encodeURIComponent(key)}`), 200, 'uni');
  const padded = Buffer.from(key).toString('base64'); // standard alphabet, padded
  await expectStatus(call('GET', cacheUrl('entitlements', { key_base64: padded })), 200, 'uni');
  assert.equal(new TextDecoder().decode(emu.peek('entitlements', key)), 'uni');
  await expectStatus(call('DELETE', cacheUrl('entitlements', { key_base64: b64url(key) })), 204);
  await expectStatus(call('GET', cacheUrl('entitlements', { key })), 404, 'Key Not Found');
});

test('CORS: preflight without a token, and the header on every answer', async () => {
  const res = await fetch(cacheUrl('media', { key: 'a' }), { method: 'OPTIONS', headers: {
    Origin: 'http://example.test', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'authorization' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, PUT, DELETE');
  assert.equal(res.headers.get('access-control-allow-headers'), 'Authorization, Content-Type');
  assert.equal(res.headers.get('access-control-max-age'), '600');
  for (const r of [await call('GET', cacheUrl('media', { key: 'a' })), await call('GET', `${emu.url}/nope`), await fetch(`${emu.url}/_emulator/health`)]) {
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    await r.arrayBuffer();
  }
});

test('media keys: /{ContentName}/... gated by the token scope (seed 000)', async () => {
  const ro = token(MOVIE1);
  const playlist = await expectStatus(call('GET', `${emu.url}/Movie1/playlist.m3u8`, { auth: ro }), 200);
  assert.equal(playlist.headers.get('content-type'), 'application/vnd.apple.mpegurl');
  const seg = await call('GET', `${emu.url}/Movie1/1080p/segment1.ts?token=${encodeURIComponent(ro)}`, { auth: null });
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get('content-type'), 'video/mp2t');
  assert.deepEqual(new Uint8Array(await seg.arrayBuffer()), SEGMENT);
  await expectStatus(call('GET', `${emu.url}/Movie2/playlist.m3u8`, { auth: ro }), 403);
  await expectStatus(call('GET', `${emu.url}/Movie2/nothing.ts`, { auth: ro }), 403);
  await expectStatus(call('GET', `${emu.url}/Movie1/missing.ts`, { auth: ro }), 404, 'Key Not Found');
  await expectStatus(call('GET', `${emu.url}/Movie1/playlist.m3u8`, { auth: null }), 401);
});

test('media keys: traversal out of the prefix or the folder is refused', async () => {
  const ro = token(MOVIE1), all = token(ALL);
  // fetch would normalise a literal or %2e%2e segment, so these keep the dots inside one segment.
  await expectStatus(call('GET', `${emu.url}/Movie1/%2e%2e%2fMovie2%2fplaylist.m3u8`, { auth: ro }), 400);
  await expectStatus(call('GET', `${emu.url}/Movie1/..%2F..%2Foutside.txt`, { auth: all }), 400);
  for (const p of ['/Movie1/../Movie2/playlist.m3u8', '/Movie1/%2e%2e/%2E%2E/outside.txt', '/Movie1/..\\..\\outside.txt']) {
    const { status, text } = await rawGet(p, { Authorization: all });
    assert.ok(status === 400 || status === 404, `${p}: ${status}`);
    assert.notEqual(text, 'secret');
  }
});

test('faults: a 429 once, then normal answers; logged', async () => {
  emu.put('media', 'f', 'normal', 60);
  emu.inject({ status: 429 });
  await expectStatus(call('GET', cacheUrl('media', { key: 'f' })), 429, 'Too Many Requests');
  assert.deepEqual({ ...emu.requests.at(-1), auth: undefined },
    { method: 'GET', path: '/cache/media', cache: 'media', key: 'f', keyParam: 'key', status: 429, auth: undefined });
  await expectStatus(call('GET', cacheUrl('media', { key: 'f' })), 200, 'normal');
  emu.inject({ status: 503, match: { key: 'other' }, times: 2 });
  await expectStatus(call('GET', cacheUrl('media', { key: 'f' })), 200, 'normal');
  await expectStatus(call('GET', cacheUrl('media', { key: 'other' })), 503, 'Internal Server Error');
  await expectStatus(call('GET', cacheUrl('media', { key: 'other' }), { auth: null }), 503); // before auth
  await expectStatus(call('GET', cacheUrl('media', { key: 'other' })), 404, 'Key Not Found');
});

test('faults: bodyBytes and delayMs', async () => {
  emu.inject({ bodyBytes: 10 * 1024 * 1024 });
  const big = await call('GET', cacheUrl('media', { key: 'f' }));
  assert.equal(big.status, 200);
  const bytes = new Uint8Array(await big.arrayBuffer());
  assert.equal(bytes.length, 10 * 1024 * 1024);
  assert.equal(bytes[0], 0x7b);
  assert.equal(bytes.at(-1), 0x7b);

  emu.put('media', 'slow', 'late', 60);
  emu.inject({ delayMs: 300 });
  const start = performance.now();
  await expectStatus(call('GET', cacheUrl('media', { key: 'slow' })), 200, 'late');
  assert.ok(performance.now() - start >= 290, 'the delay was not honoured');
});

test('keeps serving after malformed requests', async () => {
  await expectStatus(call('GET', `${emu.url}/cache/media?key=%E0%A4%A`), 400);
  await expectStatus(call('GET', `${emu.url}/cache/media?key=%C3%28`), 400); // invalid UTF-8
  await expectStatus(call('GET', `${emu.url}/cache/%ZZ?key=a`), 400);
  await expectStatus(call('GET', `${emu.url}/Movie1/%E0%A4%A.ts`), 400);
  const reply = await new Promise((resolve, reject) => {
    const socket = net.connect(emu.port, '127.0.0.1', () => socket.write('GARBAGE \u0001\r\n\r\n'));
    let text = '';
    socket.on('data', (d) => { text += d; }).on('end', () => resolve(text)).on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400/);
  await expectStatus(fetch(`${emu.url}/_emulator/health`), 200, 'ok');
});

test('an exception inside a handler is a 500, and the server keeps serving', async () => {
  // Emulator contract (the reference lists 500 among the errors). A scope whose check throws
  // stands in for a bug; the handler logs it to stderr.
  Object.defineProperty(emu.issuer, 'verify', { configurable: true,
    value: () => ({ scope: { allows() { throw new Error('injected bug (expected in this test)'); } } }) });
  try {
    await expectStatus(call('GET', cacheUrl('media', { key: 'a' })), 500, 'Internal Server Error');
  } finally { delete emu.issuer.verify; }
  await expectStatus(call('GET', cacheUrl('media', { key: 'a' })), 404, 'Key Not Found');
});
