// A local emulator of the Momento cache HTTP API (scalar items only), for tests and the demo.
// Facts it matches: /work/shared/docs/momento.md ("HTTP API"). Tokens are real v1 Momento
// tokens minted and verified by the package's MomentoTokenIssuer, so the permission checks are
// the same code a player or edge function runs, and every answer can be reproduced offline.
//
//   import { startCacheEmulator } from './cache-emulator.mjs';
//   const emu = await startCacheEmulator({ mediaDir });
//   const token = emu.mintToken({ scope: { permissions: [{ role: 'readwrite', cache: {} }] } });
//   await fetch(`${emu.url}/cache/media?key=a&ttl_seconds=60`, { method: 'PUT', headers: { Authorization: token }, body: 'x' });
//
// Faults (tests): `emu.inject({ ...what, times = 1, match: { method, cache, key } })` applies to
// the next `times` requests that match, then the emulator answers normally again. What:
//   status, body, bodyBytes   answer this instead of the real answer (bodyBytes: that many `{`
//                             bytes, streamed in 64 KiB chunks with back-pressure: never held
//                             whole, so a 100 MB body costs the emulator ~64 KiB)
//   contentType, headers      the answer's Content-Type (null: none) and extra headers, on an
//                             injected answer or the real one (an injected 200 is
//                             application/octet-stream like the service's, other statuses text/plain)
//   chunked: true             no Content-Length (chunked transfer encoding)
//   delayMs                   wait before answering
//   stallMs                   send the headers and half the body, the rest after stallMs
//   dripBytesPerSecond        send the body at that rate (1: one byte a second), headers at once
//   resetAfterBytes           send the headers and that many body bytes, then reset the connection
//   closeBeforeHeaders: true  read the request, then close the connection without answering
//   raw                       write these bytes (string or Uint8Array) on the socket instead of an
//                             HTTP answer, then close; with dripBytesPerSecond they drip, status
//                             line included
// Every request is logged in `emu.requests` ({ method, path, cache, key, keyParam, status, auth });
// each entry's non-enumerable `response` tells what went out: { bodyBytes (planned), bytesSent
// (handed to the socket), closedEarly (the connection closed before the answer was complete),
// done (a Promise of this record, settled when the connection is finished with) }.
//
// CLI: node www/cache-emulator.mjs [--port N] [--media DIR]
import http from 'node:http';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The package's edge module, from $PLAYGATE_PKG like the tests (default <repo>/pkg).
const PKG = process.env.PLAYGATE_PKG ? path.resolve(process.env.PLAYGATE_PKG) : fileURLToPath(new URL('../pkg', import.meta.url));
const { MomentoTokenIssuer } = await import(pathToFileURL(path.join(PKG, 'edge/node/index.mjs')).href);

const OPS = { GET: 'get', PUT: 'set', DELETE: 'delete' }; // HTTP method -> scope operation
const CONTENT_TYPES = { '.m3u8': 'application/vnd.apple.mpegurl', '.mpd': 'application/dash+xml',
  '.ts': 'video/mp2t', '.m4s': 'video/mp4', '.mp4': 'video/mp4' };
const CORS = { 'Access-Control-Allow-Origin': '*' };
const PREFLIGHT = { ...CORS, 'Access-Control-Allow-Methods': 'GET, PUT, DELETE',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Max-Age': '600' };
// A byte order mark is bytes of the key: kept, so the scope checks the key's own text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** An error that is an HTTP answer: thrown anywhere in a handler, sent by the top level. */
class HttpError extends Error {
  constructor(status, body) { super(body); this.status = status; this.body = body; }
}
const bad = (why) => new HttpError(400, `Bad Request: ${why}`);

// decodeURIComponent throws URIError on malformed %-escapes and on invalid UTF-8: both are 400.
function decodePart(s, plusIsSpace = false) {
  try { return decodeURIComponent(plusIsSpace ? s.replace(/\+/g, ' ') : s); }
  catch { throw bad('malformed percent-encoding'); }
}

// Form semantics ('+' = space), like URLSearchParams and Go's ParseQuery: a client must
// URL-encode tokens and keys (the reference says so), so an unencoded '+' in a token fails.
function parseQuery(search) {
  const params = new Map();
  for (const part of search.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodePart(eq < 0 ? part : part.slice(0, eq), true);
    const value = eq < 0 ? '' : decodePart(part.slice(eq + 1), true);
    params.set(name, [...(params.get(name) ?? []), value]);
  }
  return params;
}

function single(params, name) {
  const values = params.get(name);
  if (values && values.length > 1) throw bad(`${name} given more than once`);
  return values?.[0];
}

// Base64url padded or not, and the standard alphabet too (Buffer's 'base64' accepts both).
function decodeBase64Key(s) {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) throw bad('key_base64 is not base64');
  return new Uint8Array(Buffer.from(s, 'base64'));
}

// Keys are bytes, but PermissionScope.allows takes a string. Limitation: a key whose bytes are
// not valid UTF-8 cannot be checked against a scope here, so it is refused with 400 (real
// Momento compares key-prefix selectors as raw bytes and would accept it).
function keyString(bytes) {
  try { return utf8.decode(bytes); } catch { throw bad('key is not valid UTF-8 (unsupported by this emulator)'); }
}

function readCacheKey(params) {
  const key = single(params, 'key'), b64 = single(params, 'key_base64');
  if ((key === undefined) === (b64 === undefined)) throw bad('give exactly one of key and key_base64');
  const bytes = key !== undefined ? new TextEncoder().encode(key) : decodeBase64Key(b64);
  if (bytes.length === 0) throw bad('the key is empty');
  return { bytes, string: keyString(bytes) };
}

/** What a request addresses. Parse errors are kept (not thrown) so faults can still match. */
function parseTarget(method, rawUrl, mediaCache) {
  const t = { route: 'unknown', path: rawUrl, params: new Map(), cache: null, key: null, keyBytes: null, error: null };
  try {
    if (!rawUrl.startsWith('/')) throw bad('request target must be a path');
    const q = rawUrl.indexOf('?');
    t.path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    t.params = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
    if (t.path === '/_emulator/health') t.route = 'health';
    else if (/^\/cache\/[^/]+$/.test(t.path)) {
      t.route = 'cache';
      t.cache = decodePart(t.path.slice('/cache/'.length));
      if (!(method in OPS)) throw new HttpError(405, 'Method Not Allowed');
      t.keyParam = t.params.has('key') ? 'key' : 'key_base64';
      const key = readCacheKey(t.params);
      [t.keyBytes, t.key] = [key.bytes, key.string];
    } else if (t.path.split('/').length >= 3 && !/^\/(cache|_emulator)\//.test(t.path)) {
      // A media key: /{ContentName}/... (the seed 000 MediaStore layout).
      t.route = 'media';
      t.cache = mediaCache;
      if (method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
      t.key = decodePart(t.path); // decoded as a whole: %2F is a separator like '/'
      if (t.key.split('/').some((s) => s === '.' || s === '..') || /[\\\0]/.test(t.key)) throw bad('path traversal, NUL or backslash in a media key');
    }
  } catch (e) {
    if (!(e instanceof HttpError)) throw e;
    t.error = e;
  }
  return t;
}

async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    // Keep draining past the limit so the socket stays usable, but keep nothing.
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw bad(`item larger than ${limit} bytes`);
  return new Uint8Array(Buffer.concat(chunks));
}

// The file under root for a media key, or null. Resolves symlinks so no link escapes the folder.
async function mediaFile(root, key) {
  if (!root) return null;
  try {
    const realRoot = await fs.realpath(root);
    const file = await fs.realpath(path.resolve(realRoot, '.' + key));
    if (!file.startsWith(realRoot + path.sep) || !(await fs.stat(file)).isFile()) return null;
    return file;
  } catch { return null; }
}

const CHUNK = 64 * 1024;
const FILL = Buffer.alloc(CHUNK, 0x7b); // bodyBytes: `{` bytes, never allocated whole

/** A body as its size and a function giving `n` bytes from offset `at`. */
function bodySource(body) {
  if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
    return { size: body.size, chunkAt: (at, n) => FILL.subarray(0, n) };
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { size: bytes.length, chunkAt: (at, n) => bytes.subarray(at, at + n) };
}

/** Resolves on the stream's next 'drain' or 'close'. */
function drained(stream) {
  return new Promise((resolve) => {
    const done = () => { stream.off('drain', done); stream.off('close', done); resolve(); };
    stream.on('drain', done).on('close', done);
  });
}

/**
 * Writes `size` bytes to `out` (a response or a socket), chunk by chunk with back-pressure:
 * at `rate` bytes a second if given, pausing `stallMs` at `half`; then calls `end`. Stops when
 * the other side has gone.
 */
async function pump(out, info, size, chunkAt, { rate, stallMs = 0, half = -1 }, end) {
  const closed = new Promise((resolve) => out.once('close', resolve));
  let written = Promise.resolve();
  let at = 0;
  while (at < size) {
    if (out.destroyed) return;
    let n = Math.min(CHUNK, size - at);
    if (stallMs && at < half) n = Math.min(n, half - at);
    if (rate) n = Math.min(n, Math.max(1, Math.floor(rate / 10))); // a tenth of a second's worth
    let ok;
    written = new Promise((resolve) => { ok = out.write(chunkAt(at, n), () => resolve()); });
    at += n;
    info.bytesSent = at;
    if (stallMs && at === half) await sleep(stallMs);
    else if (rate) await sleep((n * 1000) / rate);
    else if (!ok) await drained(out);
  }
  if (out.destroyed) return;
  await Promise.race([written, closed]); // flushed before the end: a reset would discard it
  if (!out.destroyed) end();
}

const defaultFaultBody = (status) => (status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : '');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function startCacheEmulator(options = {}) {
  const now = options.now ?? Date.now;
  const mediaCache = options.mediaCache ?? 'media';
  const maxItemBytes = options.maxItemBytes ?? 5 * 1024 * 1024;
  const caches = new Map((options.caches ?? ['entitlements', 'media']).map((name) => [name, new Map()]));
  const secret = options.secret ?? { kty: 'oct', k: randomBytes(32).toString('base64url') };
  const issuer = MomentoTokenIssuer.fromJson({ secret, endpoint: options.endpoint ?? '127.0.0.1' });
  const mediaDir = options.mediaDir ? path.resolve(options.mediaDir) : null;
  const faults = [];
  const requests = [];

  // Items: cache name -> (base64 of the key bytes -> { value, expiresAt }).
  const id = (key) => Buffer.from(typeof key === 'string' ? new TextEncoder().encode(key) : key).toString('base64');
  const live = (item) => item && (item.expiresAt === null || now() < item.expiresAt) ? item : undefined;
  const store = (cache) => {
    if (!caches.has(cache)) throw new Error(`cache emulator: no cache named ${cache}`);
    return caches.get(cache);
  };

  function authenticate(req, t, entry) {
    const header = req.headers.authorization;
    const token = header ?? single(t.params, 'token');
    if (!token) throw new HttpError(401, 'Unauthorized: no token (Authorization header or token query parameter)');
    entry.auth = header !== undefined ? 'header' : 'query';
    try {
      return issuer.verify(token, { now: now() }).scope;
    } catch (e) {
      throw new HttpError(401, e.code === 'TOKEN_EXPIRED' ? 'Unauthorized: the token has expired' : 'Unauthorized: invalid token');
    }
  }

  // The permission check comes before any lookup: 403 even for a key that does not exist.
  function authorize(req, t, entry, op) {
    const scope = authenticate(req, t, entry);
    try {
      if (!scope.allows(op, t.cache, t.key)) throw new HttpError(403, `Forbidden: the token may not ${op} this key`);
    } finally { scope.free?.(); }
  }

  async function cacheRequest(req, t, entry) {
    const ttl = req.method === 'PUT' ? single(t.params, 'ttl_seconds') : undefined;
    if (req.method === 'PUT' && !/^[1-9][0-9]{0,11}$/.test(ttl ?? '')) throw bad('ttl_seconds must be a positive integer');
    authorize(req, t, entry, OPS[req.method]);
    if (!caches.has(t.cache)) throw new HttpError(404, 'Cache Not Found');
    const items = caches.get(t.cache), itemId = id(t.keyBytes);
    if (req.method === 'GET') {
      const item = live(items.get(itemId));
      if (!item) throw new HttpError(404, 'Key Not Found');
      return [200, { 'Content-Type': 'application/octet-stream' }, item.value];
    }
    if (req.method === 'PUT') {
      const value = await readBody(req, maxItemBytes);
      items.set(itemId, { value, expiresAt: now() + Number(ttl) * 1000 });
    } else items.delete(itemId);
    return [204, {}, ''];
  }

  async function mediaRequest(req, t, entry) {
    authorize(req, t, entry, 'get');
    const file = await mediaFile(mediaDir, t.key);
    if (!file) throw new HttpError(404, 'Key Not Found');
    const type = CONTENT_TYPES[path.extname(t.key).toLowerCase()] ?? 'application/octet-stream';
    return [200, { 'Content-Type': type }, await fs.readFile(file)];
  }

  // The first pending fault matching this request, consumed.
  function takeFault(method, t) {
    const i = faults.findIndex(({ match = {} }) => (match.method === undefined || match.method === method)
      && (match.cache === undefined || match.cache === t.cache) && (match.key === undefined || match.key === t.key));
    if (i < 0) return null;
    const fault = faults[i];
    if (--fault.remaining <= 0) faults.splice(i, 1);
    return fault;
  }

  // An answer is [status, headers, body, fault]: body a string, bytes or { size } (bodyBytes),
  // fault the injected fault that shapes how it is sent (or undefined).
  async function route(req, entry) {
    if (req.method === 'OPTIONS') return [204, PREFLIGHT, '']; // preflight: no auth, no faults
    const t = parseTarget(req.method, req.url, mediaCache);
    Object.assign(entry, { path: t.path, cache: t.cache, key: t.key, keyParam: t.keyParam ?? null });
    const fault = takeFault(req.method, t);
    if (fault) {
      await sleep(fault.delayMs ?? 0);
      if (fault.raw !== undefined || fault.closeBeforeHeaders) return [null, {}, '', fault];
      if (fault.answers) {
        const headers = fault.status === 200 ? { 'Content-Type': 'application/octet-stream' } : {};
        return [fault.status, headers, fault.bodyBytes !== undefined ? { size: fault.bodyBytes } : fault.body, fault];
      }
    }
    let answer;
    try {
      answer = await answerFor(req, t, entry);
    } catch (e) {
      if (!(e instanceof HttpError) || !fault) throw e;
      answer = [e.status, {}, e.body]; // a fault shapes an error answer too
    }
    answer[3] = fault ?? undefined;
    return answer;
  }

  async function answerFor(req, t, entry) {
    if (t.error) throw t.error;
    if (t.route === 'health' && req.method === 'GET') return [200, { 'Content-Type': 'text/plain' }, 'ok'];
    if (t.route === 'cache') return cacheRequest(req, t, entry);
    if (t.route === 'media') return mediaRequest(req, t, entry);
    return [404, {}, 'Not Found'];
  }

  async function send(req, res, entry, [status, headers, body, fault = {}]) {
    entry.status = status;
    const info = { bodyBytes: 0, bytesSent: 0, closedEarly: false, done: null };
    Object.defineProperty(entry, 'response', { value: info, enumerable: false });
    info.done = new Promise((resolve) => res.once('close', () => {
      info.closedEarly = !res.writableFinished;
      resolve(info);
    }));
    const rate = fault.dripBytesPerSecond;
    if (fault.closeBeforeHeaders) return void req.socket.destroy();
    if (fault.raw !== undefined) {
      const raw = Buffer.from(fault.raw);
      info.bodyBytes = raw.length;
      return pump(req.socket, info, raw.length, (at, n) => raw.subarray(at, at + n), { rate }, () => req.socket.end());
    }
    const { size, chunkAt } = bodySource(body);
    info.bodyBytes = size;
    const all = { ...CORS, ...(size && !headers['Content-Type'] ? { 'Content-Type': 'text/plain; charset=utf-8' } : {}), ...headers };
    if (fault.contentType !== undefined) all['Content-Type'] = fault.contentType;
    if (all['Content-Type'] === null) delete all['Content-Type'];
    // RFC 9110: a 204 carries neither a body nor Content-Length.
    if (status !== 204 && !fault.chunked) all['Content-Length'] = size;
    Object.assign(all, fault.headers);
    res.writeHead(status, all);
    if (status === 204) return void res.end();
    const reset = fault.resetAfterBytes;
    if (reset === undefined || reset >= size) {
      return pump(res, info, size, chunkAt, { rate, stallMs: size >= 2 ? fault.stallMs : 0, half: size >> 1 }, () => res.end());
    }
    if (reset === 0) {
      res.flushHeaders();
      await sleep(20);
    }
    // RST where the platform can (Node >= 16.17), else a plain close: either way mid-body.
    return pump(res, info, reset, chunkAt, { rate }, () => (res.socket?.resetAndDestroy ? res.socket.resetAndDestroy() : res.destroy()));
  }

  const server = http.createServer(async (req, res) => {
    const entry = { method: req.method, path: req.url.split('?')[0], cache: null, key: null, keyParam: null, status: null, auth: null };
    requests.push(entry);
    let answer;
    try { answer = await route(req, entry); } catch (e) {
      if (!(e instanceof HttpError)) console.error('cache emulator: handler failed:', e);
      answer = e instanceof HttpError ? [e.status, {}, e.body] : [500, {}, 'Internal Server Error'];
    }
    if (!res.headersSent && !res.destroyed) send(req, res, entry, answer).catch((e) => { console.error('cache emulator: sending failed:', e); res.destroy(); });
  });
  // Malformed HTTP (bad request line, bad headers): answer 400 and keep serving others.
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    issuer,
    requests,
    mintToken: ({ scope, tokenId = 'dev', lifetimeSeconds = 3600 }) => issuer.mint({ scope, tokenId, lifetimeSeconds, now: now() }),
    put(cache, key, value, ttlSeconds) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
      store(cache).set(id(key), { value: bytes, expiresAt: ttlSeconds === undefined ? null : now() + ttlSeconds * 1000 });
    },
    peek: (cache, key) => live(store(cache).get(id(key)))?.value,
    clear() { for (const items of caches.values()) items.clear(); faults.length = 0; requests.length = 0; },
    inject({ status, body, bodyBytes, delayMs = 0, stallMs = 0, times = 1, match, contentType, headers, chunked = false,
      dripBytesPerSecond, resetAfterBytes, closeBeforeHeaders = false, raw } = {}) {
      // With no status and no body the fault only shapes the real answer (delayMs before it;
      // stallMs, dripBytesPerSecond, resetAfterBytes, contentType, headers, chunked while it is
      // sent), then the request is answered normally. See the options at the top of this file.
      const answers = status !== undefined || body !== undefined || bodyBytes !== undefined;
      status ??= 200;
      faults.push({ status, body: body ?? defaultFaultBody(status), bodyBytes, delayMs, stallMs, remaining: times, match, answers,
        contentType, headers, chunked, dripBytesPerSecond, resetAfterBytes, closeBeforeHeaders, raw });
    },
    close() {
      return new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); });
    },
  };
}

// CLI: start, print the URL and a development token (readwrite on every cache, one hour).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name) => { const i = process.argv.indexOf(name); return i < 0 ? undefined : process.argv[i + 1]; };
  const emu = await startCacheEmulator({ port: Number(arg('--port') ?? 0), mediaDir: arg('--media') });
  console.log(`cache emulator on ${emu.url}`);
  console.log(`development token (readwrite, all caches, 1 hour):\n${emu.mintToken({ scope: { permissions: [{ role: 'readwrite', cache: {} }] } })}`);
}
