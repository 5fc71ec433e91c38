// The edge gate outside a worker (issue 15, point 4): `http.createServer(gate.node)` (the node:http
// adapter) on 127.0.0.1 with the real global fetch as the client, and `Deno.serve(gate.fetch)` in
// real Deno (npm `deno`) importing the packed package as a Deno user with a node_modules project
// does. Both in front of a local origin (node:http serving seed 000's MediaStore layout, as
// gate.test.mjs's) that counts every request, so "no origin call" is observed, and that records
// whether a request it was still answering was aborted. Tokens are minted by the package's own
// PlaybackTokenMinter (HS256); the master playlist's expected variants come from m3u8-parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { GATE_MASTER, REPO, PKG, gateSegment } from './helpers.mjs';

const edge = await import(path.join(PKG, 'edge/node/index.mjs'));
const { createGate, PlaybackTokenMinter } = edge;

const MASTER = GATE_MASTER;
const segment = gateSegment;
const CHUNK = 'x'.repeat(64 * 1024);

/** The origin: seed 000's layout under /Movie1 and /Movie2; /Movie1/1080p/slow.ts sends one chunk and then waits. */
async function startOrigin() {
  const seen = [];
  const aborted = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, method: req.method, headers: req.headers });
    const { pathname } = new URL(req.url, 'http://origin');
    const send = (status, type, body, extra = {}) => {
      res.writeHead(status, { 'content-type': type, etag: '"v1"', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (pathname === '/Movie1/1080p/slow.ts') {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      res.write(CHUNK);
      res.on('close', () => { if (!res.writableFinished) aborted.push(pathname); });
      return undefined; // never ends: only the client's going away ends it
    }
    if (pathname === '/Movie1/1080p/gzip.ts') {
      // Compresses when the request accepts gzip, as a real origin (or its CDN) does.
      const body = segment(pathname).repeat(50);
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
        return send(200, 'video/mp2t', gzipSync(body), { 'content-encoding': 'gzip' });
      }
      return send(200, 'video/mp2t', body);
    }
    if (pathname === '/Movie1/1080p/stored-gzip.ts') {
      // An object stored compressed (S3 with Content-Encoding: gzip): gzip whatever was asked.
      return send(200, 'video/mp2t', gzipSync(segment(pathname).repeat(50)), { 'content-encoding': 'gzip' });
    }
    if (pathname === '/Movie1/1080p/reason.ts') {
      // A reason phrase in Latin-1 (Node's fetch reads it as UTF-8: U+FFFD, which Node will not write).
      res.writeHead(200, 'caf\xe9', { 'content-type': 'video/mp2t' });
      return res.end('ok');
    }
    if (pathname === '/Movie1/1080p/cookies.ts') {
      return send(200, 'video/mp2t', 'c', { 'set-cookie': ['a=1; Path=/', 'b=2; Path=/; HttpOnly'] });
    }
    if (/^\/Movie[12]\/playlist\.m3u8$/.test(pathname)) return send(200, 'application/vnd.apple.mpegurl', MASTER);
    if (/^\/Movie[12]\/\w+\/segment\d+\.ts$/.test(pathname)) return send(200, 'video/mp2t', segment(pathname));
    return send(404, 'text/plain', 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, aborted, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

const HS_JWK = { kty: 'oct', k: Buffer.from(new Uint8Array(32).map((_, i) => (i * 31 + 7) & 0xff)).toString('base64url'), kid: 'hs1' };
const VERIFIER = { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge', leewaySeconds: 0 };
const minter = PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: HS_JWK, kid: 'hs1', audience: 'edge' });
const SCOPE = (title) => ({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: `/${title}/` } }] });
const mint = (entitlement, title = 'Movie1') => minter.mint({ scope: SCOPE(title), subject: 'viewer-1', entitlement });

function variants(text) {
  const p = new M3u8Parser();
  p.push(text);
  p.end();
  return (p.manifest.playlists ?? []).map((v) => v.uri);
}

const origin = await startOrigin();
test.after(() => origin.close());

/** Asserts a JSON refusal with status and code, and that the origin got no request for it. */
async function refused(promise, status, code, what) {
  const before = origin.seen.length;
  const res = await promise;
  const body = await res.text();
  assert.equal(res.status, status, `${what}: ${body}`);
  assert.match(res.headers.get('content-type'), /^application\/json/, what);
  assert.equal(JSON.parse(body).code, code, `${what}: ${body}`);
  assert.equal(origin.seen.length, before, `${what}: the origin was called after the refusal`);
}

test('http.createServer(gate.node): the gate in front of the origin, fetch as the client', async (t) => {
  const gate = createGate({ verifier: VERIFIER, origin: origin.url });
  assert.equal(typeof gate.node, 'function');
  const server = http.createServer(gate.node);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => { server.closeAllConnections(); server.close(r); }));
  const base = `http://127.0.0.1:${server.address().port}`;
  const hd = mint({ maxQuality: 'HD' });
  const get = (p, init = {}) => fetch(`${base}${p}`, { signal: AbortSignal.timeout(10_000), ...init });

  await t.test('an origin that would compress: the bytes the client reads are the segment\'s (the gate asks for identity)', async () => {
    // Node's fetch decodes a gzip body but keeps its content-encoding header: passed on as it
    // came, the client would be told gzip and given plain bytes.
    const res = await get('/Movie1/1080p/gzip.ts', { headers: { authorization: `Bearer ${hd}`, 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), segment('/Movie1/1080p/gzip.ts').repeat(50));
    assert.equal(origin.seen.at(-1).headers['accept-encoding'], 'identity');
  });

  await t.test('an origin that compresses whatever was asked: decoded by fetch, passed on without its encoding or its encoded length', async () => {
    // Passed on as it came, the length would be the compressed one over the decoded bytes, and on
    // a kept-alive connection the rest would be read as the next request's answer.
    const res = await get('/Movie1/1080p/stored-gzip.ts', { headers: { authorization: `Bearer ${hd}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-encoding'), null);
    const text = await res.text();
    assert.equal(text, segment('/Movie1/1080p/stored-gzip.ts').repeat(50));
    const length = res.headers.get('content-length');
    assert.ok(length === null || Number(length) === Buffer.byteLength(text), `content-length ${length}`);
  });

  await t.test('an origin\'s reason phrase is not passed on: the answer is the segment, not a dropped connection', async () => {
    const res = await get('/Movie1/1080p/reason.ts', { headers: { authorization: `Bearer ${hd}` } });
    assert.deepEqual([res.status, await res.text()], [200, 'ok']);
  });

  await t.test('a Host with userinfo or a target naming another authority (`//cdn.example/...`) is 400 INVALID_PATH, the origin not asked', async () => {
    const before = origin.seen.length;
    for (const [target, host] of [['/Movie1/1080p/segment1.ts', 'u:p@gate.example'], ['/Movie1/1080p/segment1.ts', 'u@gate.example'],
      ['//cdn.example/Movie1/1080p/segment1.ts', 'gate.example'], ['http://u:p@gate.example/Movie1/1080p/segment1.ts', 'gate.example'],
      // A Host holding a path: it would become part of the path served (a log or WAF in front sees another).
      ['/1080p/segment1.ts', 'gate.example/Movie1'], ['/segment1.ts', 'gate.example\\Movie1\\1080p']]) {
      const { status, body } = await new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: server.address().port, path: target, headers: { host, authorization: `Bearer ${hd}` } }, (res) => {
          let data = '';
          res.on('data', (c) => { data += c; });
          res.on('end', () => resolve({ status: res.statusCode, body: data }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual([status, JSON.parse(body).code], [400, 'INVALID_PATH'], `${target}, Host ${host}`);
    }
    assert.equal(origin.seen.length, before);
  });

  await t.test('an allowed segment, token in the Authorization header', async () => {
    const before = origin.seen.length;
    const res = await get('/Movie1/1080p/segment1.ts?x=1', { headers: { authorization: `Bearer ${hd}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp2t');
    assert.equal(res.headers.get('etag'), '"v1"');
    assert.equal(await res.text(), segment('/Movie1/1080p/segment1.ts'));
    assert.equal(origin.seen.length, before + 1);
    assert.equal(origin.seen.at(-1).url, '/Movie1/1080p/segment1.ts?x=1');
    assert.equal(origin.seen.at(-1).headers.authorization, undefined, 'the token is not sent on');
  });

  await t.test('token in the query and in the playgate_token cookie', async () => {
    let res = await get(`/Movie1/720p/segment2.ts?token=${encodeURIComponent(hd)}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), segment('/Movie1/720p/segment2.ts'));
    assert.equal(origin.seen.at(-1).url, '/Movie1/720p/segment2.ts');
    res = await get('/Movie1/720p/segment1.ts', { headers: { cookie: `theme=dark; playgate_token=${hd}; lang=de` } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), segment('/Movie1/720p/segment1.ts'));
    assert.equal(origin.seen.at(-1).headers.cookie, undefined, 'no cookie goes on (forwardHeaders\' default)');
  });

  await t.test('refusals: JSON code and status, no origin call', async () => {
    await refused(get('/Movie1/1080p/segment1.ts'), 401, 'TOKEN_MISSING', 'no token');
    await refused(get('/Movie1/2160p/segment1.ts', { headers: { authorization: `Bearer ${hd}` } }), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', '2160p under HD');
    await refused(get('/Movie2/1080p/segment1.ts', { headers: { authorization: `Bearer ${hd}` } }), 403, 'SCOPE_DENIED', 'another title');
    await refused(get('/Movie1/1080p/segment1.ts', { headers: { authorization: `Bearer ${hd}x` } }), 401, 'BAD_SIGNATURE', 'a forged token');
    await refused(get('/Movie1/1080p/segment1.ts', { method: 'POST', body: 'ignored', headers: { authorization: `Bearer ${hd}` } }), 405, 'METHOD_NOT_ALLOWED', 'POST (with a body)');
    await refused(get('/Movie1/1080p/segment1.ts', { method: 'DELETE', headers: { authorization: `Bearer ${hd}` } }), 405, 'METHOD_NOT_ALLOWED', 'DELETE');
  });

  await t.test('a master playlist is capped (HD: the 2160p variant goes; SD: 480p only)', async () => {
    let res = await get('/Movie1/playlist.m3u8', { headers: { authorization: `Bearer ${hd}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    assert.equal(res.headers.get('etag'), null);
    assert.deepEqual(variants(await res.text()), ['480p/playlist.m3u8', '1080p/playlist.m3u8']);
    res = await get('/Movie1/playlist.m3u8', { headers: { authorization: `Bearer ${mint({ maxQuality: 'SD' })}` } });
    assert.deepEqual(variants(await res.text()), ['480p/playlist.m3u8']);
    res = await get('/Movie1/playlist.m3u8', { headers: { authorization: `Bearer ${mint(null)}` } });
    assert.equal(await res.text(), MASTER, 'uncapped: as the origin sent it');
  });

  await t.test('HEAD: proxied as HEAD, headers and no body', async () => {
    const res = await get('/Movie1/1080p/segment1.ts', { method: 'HEAD', headers: { authorization: `Bearer ${hd}` } });
    assert.equal(res.status, 200);
    assert.equal(origin.seen.at(-1).method, 'HEAD');
    assert.equal(res.headers.get('content-type'), 'video/mp2t');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  await t.test('every Set-Cookie of the origin reaches the client', async () => {
    const res = await get('/Movie1/1080p/cookies.ts', { headers: { authorization: `Bearer ${hd}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    assert.equal(await res.text(), 'c');
  });

  await t.test('a client gone mid-response aborts the origin request; the server lives on', async () => {
    const controller = new AbortController();
    const res = await get('/Movie1/1080p/slow.ts', { headers: { authorization: `Bearer ${hd}` }, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const first = await reader.read();
    assert.ok(first.value.byteLength > 0, 'the first chunk came through');
    controller.abort();
    await reader.read().catch(() => {});
    const deadline = Date.now() + 5000;
    while (!origin.aborted.includes('/Movie1/1080p/slow.ts')) {
      assert.ok(Date.now() < deadline, 'the origin request was not aborted within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const next = await get('/Movie1/1080p/segment2.ts', { headers: { authorization: `Bearer ${hd}` } });
    assert.equal(next.status, 200);
    assert.equal(await next.text(), segment('/Movie1/1080p/segment2.ts'));
  });

  await t.test('failures: the gate\'s own (500 GATE_ERROR from gate.fetch), the adapter\'s (500 GATE_ERROR, no throw)', async () => {
    const bad = createGate({ verifier: VERIFIER, origin: origin.url, clock: () => { throw new Error('clock'); } });
    const s3 = http.createServer(bad.node);
    await new Promise((r) => s3.listen(0, '127.0.0.1', r));
    try {
      const r3 = await fetch(`http://127.0.0.1:${s3.address().port}/Movie1/1080p/segment1.ts`, { headers: { authorization: `Bearer ${hd}` } });
      assert.equal(r3.status, 500);
      assert.equal((await r3.json()).code, 'GATE_ERROR');
    } finally {
      await new Promise((r) => { s3.closeAllConnections(); s3.close(r); });
    }
    // A response object whose first writeHead throws: the listener returns, nothing escapes, and
    // the 500 JSON is written instead.
    const written = [];
    let calls = 0;
    const res = {
      headersSent: false, writableFinished: false, destroyed: false,
      on() {}, off() {},
      writeHead(status, ...rest) { calls++; if (calls === 1) throw new Error('writeHead'); written.push(status, rest.at(-1)); },
      write() { return true; },
      end(body) { written.push(body); },
      destroy() { written.push('destroyed'); },
    };
    const req = { method: 'GET', url: '/Movie1/1080p/segment1.ts', headers: { host: 'gate.example' }, rawHeaders: ['Host', 'gate.example'], socket: {} };
    assert.equal(gate.node(req, res), undefined);
    const deadline = Date.now() + 5000;
    while (written.length < 3) {
      assert.ok(Date.now() < deadline, `no 500 written: ${JSON.stringify(written)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(written[0], 500);
    assert.equal(JSON.parse(written[2]).code, 'GATE_ERROR');
  });
});

const DENO = path.join(REPO, 'tests', 'node_modules', '.bin', 'deno');

test('Deno.serve(gate.fetch) in real Deno, the packed package installed in a node_modules project', { timeout: 180_000 }, async (t) => {
  assert.ok(existsSync(DENO), `deno missing: ${DENO} (npm install in tests/)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-deno-gate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = execFileSync('npm', ['pack', PKG, '--pack-destination', dir, '--json', '--loglevel=error'], { encoding: 'utf8', timeout: 60_000 });
  const [{ filename }] = JSON.parse(out);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, filename)], { cwd: dir, timeout: 120_000 });
  writeFileSync(path.join(dir, 'server.ts'), `import { createGate } from 'playgate/edge';
const { verifier, origin } = JSON.parse(Deno.args[0]);
const gate = createGate({ verifier, origin });
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log('listening ' + port) }, gate.fetch);
`);
  const child = spawn(DENO, [
    'run', '--quiet', '--no-prompt', '--allow-net=127.0.0.1', `--allow-read=${dir}`, '--allow-env',
    path.join(dir, 'server.ts'), JSON.stringify({ verifier: VERIFIER, origin: origin.url }),
  ], { cwd: dir, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(os.tmpdir(), 'playgate-deno-dir') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deno did not listen within 60 s:\n${output}`)), 60_000);
    const onData = (c) => {
      output += c;
      const m = /listening (\d+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`deno exited (${code}):\n${output}`)); });
  });
  const exited = new Promise((r) => child.on('exit', r));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const base = `http://127.0.0.1:${port}`;
  const hd = mint({ maxQuality: 'HD' });
  const before = origin.seen.length;
  const res = await fetch(`${base}/Movie1/1080p/segment1.ts`, { headers: { authorization: `Bearer ${hd}` }, signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200, output);
  assert.equal(await res.text(), segment('/Movie1/1080p/segment1.ts'));
  assert.equal(origin.seen.length, before + 1);
  assert.equal(origin.seen.at(-1).headers.authorization, undefined);
  await refused(fetch(`${base}/Movie1/2160p/segment1.ts`, { headers: { authorization: `Bearer ${hd}` }, signal: AbortSignal.timeout(20_000) }), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', 'Deno: 2160p under HD');
  await refused(fetch(`${base}/Movie1/1080p/segment1.ts`, { signal: AbortSignal.timeout(20_000) }), 401, 'TOKEN_MISSING', 'Deno: no token');
  child.kill('SIGTERM');
  await exited;
});

test('http2.createServer(gate.node): the gate\'s own URL is the :authority (HTTP/2 has no Host), so its own URIs get the segment tokens', async (t) => {
  const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nhttp://gate.example/Movie1/480p/seg1.ts\n#EXTINF:4,\nhttp://localhost/Movie1/480p/seg2.ts\n#EXT-X-ENDLIST\n';
  const gate = createGate({
    verifier: VERIFIER, origin: 'http://origin.example', fetch: async () => new Response(playlist),
    segmentTokens: { secret: 'segment-secret-of-at-least-32-bytes!!' },
  });
  const server = http2.createServer(gate.node);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const client = http2.connect(`http://127.0.0.1:${server.address().port}`);
  t.after(() => { client.close(); server.close(); });
  const text = await new Promise((resolve, reject) => {
    const stream = client.request({ ':path': '/Movie1/480p/playlist.m3u8', ':authority': 'gate.example', authorization: `Bearer ${mint({ maxQuality: 'HD' })}` });
    let data = '';
    stream.on('data', (c) => { data += c; });
    stream.on('end', () => resolve(data));
    stream.on('error', reject);
    stream.end();
  });
  assert.match(text, /^http:\/\/gate\.example\/Movie1\/480p\/seg1\.ts\?segment_token=v1\./m, text);
  assert.match(text, /^http:\/\/localhost\/Movie1\/480p\/seg2\.ts$/m, 'another host (localhost) gets none');
});
