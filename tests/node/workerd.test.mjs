// playgate inside a real Cloudflare workerd: tests/workerd/worker.mjs, importing `playgate` and
// `playgate/jwt` from the packed tarball, bundled as wrangler bundles a worker, over HTTP on
// 127.0.0.1: every decision vector gives the result the vectors say, coded errors come back as
// 400 { code, message }, an error leaves the isolate working, and the edge module verifies
// jose-signed tokens (in wasm, and through WebCrypto).
// Env: PLAYGATE_PKG (package dir, default <repo>/pkg), PLAYGATE_VECTORS (vectors dir, default
// <repo>/tests/vectors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as jose from 'jose';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { casePolicy, caseEntitlement, checkCase } from '../../www/vectors.js';
import { cacheScenarios, startTestEmulator } from './cache-scenarios.mjs';
import { GATE_MASTER, PKG, freePort, loadVectors } from './helpers.mjs';
import { WORKERD, capnpText, sleep, startWorkerd, waitForExit, writeBundle } from './workerd-bundle.mjs';

/** `token` with one signature character changed (never the same text; still canonical base64url). */
const forged = (token) => token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VECTORS_DIR = path.resolve(process.env.PLAYGATE_VECTORS || path.join(REPO, 'tests', 'vectors'));
const DECISION_FIELDS = ['allowPersistence', 'allowed', 'claims', 'code', 'maxQuality', 'reasons', 'validUntil'];


test('playgate in workerd', { timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(WORKERD), `workerd binary missing: ${WORKERD}`);
  const vectors = loadVectors('decisions.json', VECTORS_DIR);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-workerd-'));
  let child;
  let output = '';
  t.after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 3000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 3000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const port = await freePort();
  const configPath = await writeBundle(dir, port);
  child = spawn(WORKERD, ['serve', configPath, '--verbose'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const base = `http://127.0.0.1:${port}`;

  // Wait until the worker answers (startup includes compiling the wasm module).
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.equal(child.exitCode, null, `workerd exited (${child.exitCode}):\n${output}`);
    assert.equal(child.signalCode, null, `workerd killed by ${child.signalCode}:\n${output}`);
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      const health = await res.json();
      assert.equal(res.status, 200);
      assert.equal(health.ok, true);
      assert.equal(health.codes, 12, 'DECISION_CODES imported through the package\'s module entry -> api.mjs');
      break;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      assert.ok(Date.now() < deadline, `workerd did not answer on ${base} within 20 s: ${error.message}\n${output}`);
      await sleep(100);
    }
  }

  async function post(body) {
    const res = await fetch(`${base}/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      assert.fail(`POST /decide -> ${res.status}, not JSON: ${text}\n${output}`);
    }
    return { status: res.status, json };
  }

  /** The outcome of one vector case, decided in workerd. */
  async function decideCase(c) {
    const body = { request: c.request };
    const policy = casePolicy(vectors, c);
    if (policy !== undefined) body.policy = policy;
    const ent = caseEntitlement(vectors, c);
    if (c.entitlement !== undefined) body.entitlement = ent.document;
    else if (ent.kind === 'blob') body.blobText = ent.text;
    else body.dictionary = ent.fields;
    const { status, json } = await post(body);
    if (status === 200) {
      assert.deepEqual(Object.keys(json).sort(), DECISION_FIELDS, `case "${c.name}": decision fields`);
      return { decision: json };
    }
    assert.equal(status, 400, `case "${c.name}": unexpected HTTP ${status} ${JSON.stringify(json)}\n${output}`);
    assert.equal(typeof json.code, 'string', `case "${c.name}": 400 without a code`);
    assert.equal(typeof json.message, 'string', `case "${c.name}": 400 without a message`);
    return { error: json };
  }

  await t.test('every decision vector gives the same result in workerd', async () => {
    const kinds = { allowed: 0, denied: 0, error: 0 };
    const failures = [];
    let ran = 0;
    for (const c of vectors.cases) {
      ran++;
      if (c.expectError !== undefined) kinds.error++;
      else if (c.expect?.allowed === true) kinds.allowed++;
      else if (c.expect?.allowed === false) kinds.denied++;
      const failure = checkCase(c, await decideCase(c));
      if (failure) failures.push(failure);
    }
    assert.ok(kinds.allowed > 0 && kinds.denied > 0 && kinds.error > 0,
      `the vectors must include allowed, denied and expectError cases: ${JSON.stringify(kinds)}`);
    assert.deepEqual(failures, [], `${failures.length} of ${vectors.count} cases differ in workerd`);
    assert.equal(ran, vectors.count, 'every case ran');
  });

  await t.test('coded errors are 400 { code, message } and leave the worker working', async () => {
    const request = { entityId: 'movie-1', country: 'US', device: 'web', now: '2024-11-15T12:00:00Z' };
    const good = { entitlement: { region: ['US', 'CA'], valid_until: '2025-01-01T00:00:00Z' }, request };
    const expected = {
      allowed: true, code: null, reasons: [], claims: [], maxQuality: null, allowPersistence: false,
      validUntil: Date.parse('2025-01-01T00:00:00Z'),
    };

    const before = await post(good);
    assert.equal(before.status, 200);
    assert.deepEqual(before.json, expected);

    for (const bad of [
      { entitlement: { region: 42 }, request },
      { entitlement: { valid_until: 'next tuesday' }, request },
      { blobText: '{"region": ', request },
      { entitlement: 'not a document', request },
    ]) {
      const res = await post(bad);
      assert.equal(res.status, 400, `${JSON.stringify(bad)} -> ${JSON.stringify(res.json)}`);
      assert.equal(res.json.code, 'INVALID_ENTITLEMENT', JSON.stringify(res.json));
      assert.ok(res.json.message.length > 0);

      const after = await post(good);
      assert.equal(after.status, 200, `request after ${JSON.stringify(bad)}: ${JSON.stringify(after.json)}`);
      assert.deepEqual(after.json, expected);
    }

    const badPolicy = await post({ ...good, policy: { claimSets: [{ key: 'x', claims: ['NOT_A_CLAIM'] }] } });
    assert.deepEqual([badPolicy.status, badPolicy.json.code], [400, 'INVALID_POLICY']);
    const badRequest = await post({ ...good, request: { ...request, now: 'yesterday' } });
    assert.deepEqual([badRequest.status, badRequest.json.code], [400, 'INVALID_REQUEST']);
    const badBody = await post('{not json');
    assert.deepEqual([badBody.status, badBody.json.code], [400, 'INVALID_BODY']);

    const denied = await post({ ...good, request: { ...request, country: 'DE' } });
    assert.equal(denied.status, 200);
    assert.equal(denied.json.allowed, false);
    assert.equal(denied.json.code, 'COUNTRY_NOT_ALLOWED');
    assert.equal(child.exitCode, null, `workerd exited:\n${output}`);
  });
  await t.test('playgate/jwt in workerd: jose-signed tokens verify in wasm (HS256) and through WebCrypto (ES256)', async () => {
    const verify = async (body) => {
      const res = await fetch(`${base}/verify`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
      return { status: res.status, json: await res.json() };
    };
    const now = Date.parse('2026-01-01T00:00:00Z');
    const claims = { sub: 'viewer-7', ent: { maxQuality: 'HD' } };
    const sign = (key, alg, kid) => new jose.SignJWT(claims).setProtectedHeader({ alg, kid }).setAudience('edge')
      .setIssuedAt(now / 1000).setExpirationTime(now / 1000 + 300).sign(key);
    const secret = new Uint8Array(32).map((_, i) => i + 1);
    const es = await jose.generateKeyPair('ES256', { extractable: true });
    const keys = [
      { kty: 'oct', k: jose.base64url.encode(secret), kid: 'h1', alg: 'HS256' },
      { ...(await jose.exportJWK(es.publicKey)), kid: 'e1', alg: 'ES256' },
    ];
    const config = { algorithms: ['HS256', 'ES256'], keys, audience: 'edge' };
    for (const [alg, key, kid, platform] of [['HS256', secret, 'h1', false], ['ES256', es.privateKey, 'e1', true]]) {
      const token = await sign(key, alg, kid);
      const ok = await verify({ config, token, now: now + 1000, platform });
      assert.equal(ok.status, 200, `${alg}: ${JSON.stringify(ok.json)}\n${output}`);
      assert.equal(ok.json.algorithm, alg);
      assert.equal(ok.json.keyId, kid);
      assert.deepEqual(ok.json.claims, jose.decodeJwt(token), `${alg}: the claims jose signed`);
      const [head, payload, signature] = token.split('.');
      const forged = `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      const bad = await verify({ config, token: forged, now: now + 1000, platform });
      assert.deepEqual([bad.status, bad.json.code], [400, 'BAD_SIGNATURE'], `${alg}: a changed signature`);
      const late = await verify({ config, token, now: now + 600_000, platform });
      assert.deepEqual([late.status, late.json.code], [400, 'TOKEN_EXPIRED'], `${alg}: after exp`);
    }
  });
  await t.test('playgate/jwt in workerd: verifyPlaybackAsync gives what verifyPlayback gives, the signature by WebCrypto (ES256, RS256, EdDSA)', async () => {
    const verify = async (body) => {
      const res = await fetch(`${base}/verify`, { method: 'POST', body: JSON.stringify({ playback: true, ...body }), signal: AbortSignal.timeout(10_000) });
      return { status: res.status, json: await res.json() };
    };
    const now = Date.parse('2026-01-01T00:00:00Z');
    const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
    const keysToCheck = ['/Movie1/1080p/segment1.ts', '/Movie2/480p/segment1.ts'];
    const secret = new Uint8Array(32).map((_, i) => i + 3);
    const pairs = {};
    for (const alg of ['ES256', 'RS256', 'EdDSA']) {
      pairs[alg] = await Promise.all(['1', '2'].map(() => jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) })));
    }
    const keys = [{ kty: 'oct', k: jose.base64url.encode(secret), kid: 'HS256-1' }];
    for (const [alg, list] of Object.entries(pairs)) {
      for (const [i, pair] of list.entries()) keys.push({ ...(await jose.exportJWK(pair.publicKey)), kid: `${alg}-${i + 1}` });
    }
    const config = { algorithms: ['HS256', 'ES256', 'RS256', 'EdDSA'], keys, audience: 'edge', issuer: 'auth' };
    const sign = (alg, key, kid, extra = {}) => new jose.SignJWT({ sub: 'viewer-7', iss: 'auth', aud: 'edge', scope, ent: { maxQuality: 'HD', country: 'DE' }, ...extra })
      .setProtectedHeader({ alg, kid }).setIssuedAt(now / 1000).setExpirationTime(now / 1000 + 300).sign(key);
    const cases = [['HS256', secret, 'HS256-1']];
    for (const [alg, list] of Object.entries(pairs)) cases.push([alg, list[1].privateKey, `${alg}-2`]);
    for (const [alg, key, kid] of cases) {
      const platformAlg = alg !== 'HS256';
      const token = await sign(alg, key, kid);
      const sync = await verify({ config, token, now: now + 1000, keys: keysToCheck });
      const got = await verify({ config, token, now: now + 1000, keys: keysToCheck, platform: true });
      assert.equal(got.status, 200, `${alg}: ${JSON.stringify(got.json)}\n${output}`);
      assert.equal(sync.json.platformVerifies, 0);
      if (platformAlg) assert.ok(got.json.platformVerifies >= 1, `${alg}: checked by workerd's WebCrypto`);
      else assert.equal(got.json.platformVerifies, 0, 'HS256 stays in wasm');
      assert.deepEqual({ ...got.json, platformVerifies: 0 }, sync.json, `${alg}: verifyPlaybackAsync = verifyPlayback`);
      assert.equal(got.json.keyId, kid);
      assert.deepEqual(got.json.claims, jose.decodeJwt(token));
      assert.deepEqual(got.json.scope, scope);
      assert.deepEqual(got.json.entitlement, { maxQuality: 'HD', country: 'DE' });
      assert.deepEqual(got.json.allows, [true, false]);
      const [head, payload, signature] = token.split('.');
      const refusals = {
        BAD_SIGNATURE: `${head}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
        TOKEN_EXPIRED: [token, now + 600_000],
        WRONG_AUDIENCE: await sign(alg, key, kid, { aud: 'player' }),
        UNKNOWN_KEY: await sign(alg, key, `${alg}-9`),
        ALGORITHM_NOT_ALLOWED: `${jose.base64url.encode(JSON.stringify({ alg: 'none', kid }))}.${payload}.`,
        MALFORMED_TOKEN: `${head}.${payload}`,
        INVALID_SCOPE: await sign(alg, key, kid, { scope: undefined }),
      };
      for (const [code, value] of Object.entries(refusals)) {
        const [text, at] = Array.isArray(value) ? value : [value, now + 1000];
        for (const platform of [false, true]) {
          const refused = await verify({ config, token: text, now: at, platform });
          assert.deepEqual([refused.status, refused.json.code], [400, code], `${alg} ${platform ? 'verifyPlaybackAsync' : 'verifyPlayback'}: ${code}`);
        }
      }
      const notString = await verify({ config, token: 42, now, platform: true });
      assert.deepEqual([notString.status, notString.json.code], [400, 'MALFORMED_TOKEN']);
    }
    assert.equal(child.exitCode, null, `workerd exited:\n${output}`);
  });
  await t.test('cache client in workerd against the emulator (workerd\'s fetch)', async (t2) => {
    const fixture = await startTestEmulator();
    t2.after(() => fixture.emu.close());
    const run = async (spec) => {
      const res = await fetch(`${base}/cache-op`, {
        method: 'POST', body: JSON.stringify(spec), signal: AbortSignal.timeout(20_000),
      });
      assert.equal(res.status, 200, `cache-op: HTTP ${res.status}\n${output}`);
      return res.json();
    };
    await cacheScenarios(t2, fixture.emu, fixture.clock, run, 'workerd', fixture);
  });
});

// The edge gate (createGate, tests/workerd/gate-worker.mjs) in real workerd, bundled from the
// packed tarball like the worker above, in front of an origin on 127.0.0.1 (node:http) that
// counts its requests: a jose-signed ES256 token (the platform's WebCrypto is not involved in
// signing) reads an allowed segment, is refused with a code where the scope or the cap says no
// (and the origin sees no request for it), and gets seed 000's master capped at its quality.
test('the edge gate in workerd: allowed, refused with a code, master rewritten', { timeout: 90_000 }, async (t) => {
  assert.ok(existsSync(WORKERD), `workerd binary missing: ${WORKERD}`);
  const http = await import('node:http');
  const MASTER = GATE_MASTER;
  const seen = [];
  const hangEnded = new Map(); // hang*.ts -> when the origin's request for it ended
  const originServer = http.createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization, headers: req.headers });
    if (req.url === '/Movie1/playlist.m3u8') {
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      return res.end(MASTER);
    }
    if (/^\/Movie1\/1080p\/hang\d*\.ts$/.test(req.url)) {
      res.on('close', () => { hangEnded.set(req.url, Date.now()); });
      return undefined; // never answers: only the gate's abort ends it
    }
    if (req.url === '/Movie1/1080p/slow.ts') {
      // The headers at once, then 30 KB over 3 s: longer than the gate's deadline.
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1000, 0x47));
        if (++sent === 30) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(timer));
      return undefined;
    }
    if (req.url === '/Movie1/stall.m3u8') {
      // A playlist whose headers come at once and whose body never ends: the gate reads it.
      res.on('close', () => { hangEnded.set(req.url, Date.now()); });
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.write('#EXTM3U\n');
      return undefined;
    }
    // Compressed whatever the request asks (RFC 9110 allows it when no Accept-Encoding came).
    if (req.url === '/Movie1/1080p/gz.ts' || req.url === '/Movie1/gzmaster.m3u8') {
      const ts = req.url.endsWith('.ts');
      res.writeHead(200, { 'content-type': ts ? 'video/mp2t' : 'application/vnd.apple.mpegurl', 'content-encoding': 'gzip' });
      return res.end(gzipSync(ts ? 'segment /Movie1/1080p/gz.ts' : MASTER));
    }
    if (/^\/Movie1\/\d+p\/segment\d+\.ts$/.test(req.url)) {
      res.writeHead(200, { 'content-type': 'video/mp2t' });
      return res.end(`segment ${req.url}`);
    }
    res.writeHead(404);
    return res.end();
  });
  await new Promise((resolve) => originServer.listen(0, '127.0.0.1', resolve));
  const originUrl = `http://127.0.0.1:${originServer.address().port}`;

  const es = await jose.generateKeyPair('ES256', { extractable: true });
  const verifierConfig = { algorithms: ['ES256'], keys: { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'e1' }] }, audience: 'edge' };
  const token = (ent, scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] }) => new jose.SignJWT(ent === null ? { scope } : { scope, ent })
    .setProtectedHeader({ alg: 'ES256', kid: 'e1' }).setAudience('edge').setIssuedAt().setExpirationTime('5m').sign(es.privateKey);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-workerd-'));
  let child;
  let output = '';
  t.after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 3000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 3000);
      }
    }
    originServer.closeAllConnections?.();
    originServer.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  const configPath = await writeBundle(dir, port, {
    source: path.join(REPO, 'tests', 'workerd', 'gate-worker.mjs'),
    wasmCount: 1,
    bindings: `\n  bindings = [\n    (name = "VERIFIER", text = ${capnpText(JSON.stringify(verifierConfig))}),\n    (name = "ORIGIN", text = ${capnpText(originUrl)}),\n    (name = "TIMEOUT_MS", text = "1500"),\n  ],`,
  });
  // What wrangler uploads for `import { createGate } from 'playgate/edge'` (issue 15: at most
  // 150 KB gzipped, script + wasm): under the workerd condition `playgate/edge` is the player
  // module, so its one .wasm is the player's, not the JWT module's.
  const dist = path.join(dir, 'dist');
  const [wasmFile, ...more] = readdirSync(dist).filter((f) => f.endsWith('.wasm'));
  assert.deepEqual(more, []);
  assert.ok(readFileSync(path.join(dist, wasmFile)).equals(readFileSync(path.join(PKG, 'web', 'playgate_bg.wasm'))), `${wasmFile}: the player module's .wasm`);
  const gzipped = [wasmFile, 'worker.js'].reduce((sum, f) => sum + gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length, 0);
  assert.ok(gzipped <= 150_000, `the gate worker is ${gzipped} bytes gzipped, over 150 KB`);
  child = spawn(WORKERD, ['serve', configPath, '--verbose'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const base = `http://127.0.0.1:${port}`;
  const hd = await token({ maxQuality: 'HD', country: 'DE' });
  const get = (p, headers = {}) => fetch(`${base}${p}`, { headers: { authorization: `Bearer ${hd}`, 'cf-ipcountry': 'DE', ...headers }, signal: AbortSignal.timeout(5000) });

  // Wait until the gate answers (its first request also compiles the wasm module's functions).
  const deadline = Date.now() + 20_000;
  let first;
  for (;;) {
    assert.equal(child.exitCode, null, `workerd exited (${child.exitCode}):\n${output}`);
    try {
      first = await get('/Movie1/1080p/segment1.ts');
      break;
    } catch (error) {
      assert.ok(Date.now() < deadline, `workerd did not answer on ${base} within 20 s: ${error.message}\n${output}`);
      await sleep(100);
    }
  }
  assert.equal(first.status, 200, `allowed: ${await first.clone().text()}\n${output}`);
  assert.equal(await first.text(), 'segment /Movie1/1080p/segment1.ts');
  assert.equal(seen.at(-1).authorization, undefined, 'the token is not sent to the origin');
  // What the origin gets of the viewer's headers: the media ones (forwardHeaders' default).
  assert.equal((await get('/Movie1/1080p/segment2.ts', { range: 'bytes=0-3', 'if-none-match': '"v1"', 'x-viewer': 'v', cookie: 'a=b' })).status, 200);
  assert.equal(seen.at(-1).headers.range, 'bytes=0-3');
  assert.equal(seen.at(-1).headers['if-none-match'], '"v1"');
  assert.equal(seen.at(-1).headers['x-viewer'], undefined);
  assert.equal(seen.at(-1).headers.cookie, undefined);

  const refusedHere = async (res, status, code, what) => {
    const before = seen.length;
    const body = await res.text();
    assert.equal(res.status, status, `${what}: ${body}\n${output}`);
    assert.equal(JSON.parse(body).code, code, what);
    assert.equal(typeof JSON.parse(body).reason, 'string', what);
    assert.equal(seen.length, before, `${what}: the origin was called`);
  };
  let before = seen.length;
  await refusedHere(await get('/Movie1/2160p/segment1.ts'), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', '2160p under HD');
  await refusedHere(await get('/Movie2/1080p/segment1.ts'), 403, 'SCOPE_DENIED', 'another title');
  await refusedHere(await get('/Movie1/1080p/segment1.ts', { authorization: '' }), 401, 'TOKEN_MISSING', 'no token');
  await refusedHere(await get('/Movie1/1080p/segment1.ts', { 'cf-ipcountry': 'T1' }), 403, 'COUNTRY_UNKNOWN', 'Tor');
  await refusedHere(await get('/Movie1/1080p/segment1.ts', { authorization: `Bearer ${forged(hd)}` }), 401, 'BAD_SIGNATURE', 'forged');
  // workerd passes the path as the client sent it (fetch clients resolve dot segments, a raw
  // client need not): a dot segment is refused, never resolved to another title's path.
  const { connect } = await import('node:net');
  for (const raw of ['/Movie1/../Movie2/1080p/segment1.ts', '/Movie1/%2e%2e/Movie2/1080p/segment1.ts', '/Movie1/./1080p/segment1.ts']) {
    const reply = await new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${raw} HTTP/1.1\r\nHost: gate.example\r\nAuthorization: Bearer ${hd}\r\nCF-IPCountry: DE\r\nConnection: close\r\n\r\n`));
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk) => { text += chunk; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400 /, `${raw}: ${reply.slice(0, 200)}`);
    assert.equal(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).code, 'INVALID_PATH', raw);
  }
  assert.equal(seen.length, before, 'no refusal reached the origin');

  // The origin deadline (timeoutMs 1500; in workerd one timer for every request's deadline, run
  // in the waitUntil of the request that started it): an origin that never answers is 502 after
  // it, not much later, and the origin's request ends with it (the client's going away would not
  // end it in workerd: measured, so the deadline is the one bound). Two such requests 1 s apart,
  // after a pause (no timer runs: the first starts it): each is answered at its own deadline, the
  // second across requests; the first one's origin request ends at its deadline, not when the
  // timer it runs ends at the second's.
  const hungOne = async (p, delay, at = base) => {
    await sleep(delay);
    const t0 = Date.now();
    const res = await fetch(`${at}${p}`, { headers: { authorization: `Bearer ${hd}`, 'cf-ipcountry': 'DE' }, signal: AbortSignal.timeout(8000) });
    const elapsed = Date.now() - t0;
    const body = await res.json();
    return { status: res.status, body, t0, elapsed };
  };
  await sleep(1600);
  const [h1, h2] = await Promise.all([hungOne('/Movie1/1080p/hang.ts', 0), hungOne('/Movie1/1080p/hang2.ts', 1000)]);
  for (const [h, p] of [[h1, 'hang.ts'], [h2, 'hang2.ts']]) {
    assert.equal(h.status, 502, p);
    assert.equal(h.body.code, 'ORIGIN_UNAVAILABLE', p);
    assert.match(h.body.reason, /1500 ms/, p);
    assert.ok(h.elapsed >= 1400 && h.elapsed < 4000, `${p}: 502 after ${h.elapsed} ms (deadline 1500)`);
    const url = `/Movie1/1080p/${p}`;
    while (!hangEnded.has(url)) {
      assert.ok(Date.now() - h.t0 < 5000, `the origin request for ${p} still open 5 s after it was sent`);
      await sleep(20);
    }
  }
  assert.ok(hangEnded.get('/Movie1/1080p/hang.ts') < h2.t0 + 1200, `the timer's own request's origin request ended ${hangEnded.get('/Movie1/1080p/hang.ts') - h1.t0} ms after it was sent (deadline 1500), not at its deadline`);
  // A worker whose compatibility date is before 2024-10-14 (no cross-request promise
  // resolution: one request's timer could not answer another) gets a timer per request.
  const oldPort = await freePort();
  const oldConfig = path.join(dir, 'config-2024.capnp');
  writeFileSync(oldConfig, readFileSync(configPath, 'utf8').replace(`127.0.0.1:${port}`, `127.0.0.1:${oldPort}`).replace('compatibilityDate = "2025-01-01"', 'compatibilityDate = "2024-01-01"'));
  const old = await startWorkerd(oldConfig, dir, oldPort);
  try {
    const [o1, o2] = await Promise.all([hungOne('/Movie1/1080p/hang3.ts', 0, old.base), hungOne('/Movie1/1080p/hang4.ts', 300, old.base)]);
    for (const [h, p] of [[o1, 'hang3.ts'], [o2, 'hang4.ts']]) {
      assert.equal(h.status, 502, `compatibility date 2024-01-01, ${p}: ${JSON.stringify(h.body)}`);
      assert.ok(h.elapsed >= 1400 && h.elapsed < 4000, `compatibility date 2024-01-01, ${p}: 502 after ${h.elapsed} ms (deadline 1500)`);
    }
  } finally {
    await old.stop();
  }
  // With CORS: the shared timer's 502, across requests too, is JSON like the other refusals, and
  // carries the CORS header (made in the request's own context: workerd refuses a Response with
  // a body that another request made).
  const corsPort = await freePort();
  const corsConfig = path.join(dir, 'config-cors.capnp');
  writeFileSync(corsConfig, readFileSync(configPath, 'utf8').replace(`127.0.0.1:${port}`, `127.0.0.1:${corsPort}`)
    .replace('(name = "TIMEOUT_MS", text = "1500"),', `(name = "TIMEOUT_MS", text = "1500"),\n    (name = "CORS", text = ${capnpText(JSON.stringify({ origins: ['https://player.example'] }))}),`));
  assert.ok(readFileSync(corsConfig, 'utf8').includes('"CORS"'), 'the CORS binding is in the config');
  const withCors = await startWorkerd(corsConfig, dir, corsPort);
  try {
    const hungCors = async (p, delay) => {
      await sleep(delay);
      const t0 = Date.now();
      const res = await fetch(`${withCors.base}${p}`, { headers: { authorization: `Bearer ${hd}`, 'cf-ipcountry': 'DE', origin: 'https://player.example' }, signal: AbortSignal.timeout(8000) });
      return { status: res.status, cors: res.headers.get('access-control-allow-origin'), body: await res.json(), elapsed: Date.now() - t0 };
    };
    await sleep(1600);
    const [c1, c2] = await Promise.all([hungCors('/Movie1/1080p/hang5.ts', 0), hungCors('/Movie1/1080p/hang6.ts', 1000)]);
    for (const [h, p] of [[c1, 'hang5.ts'], [c2, 'hang6.ts']]) {
      assert.equal(h.status, 502, `cors, ${p}`);
      assert.equal(h.cors, 'https://player.example', `cors, ${p}`);
      assert.equal(h.body.code, 'ORIGIN_UNAVAILABLE', `cors, ${p}`);
      assert.match(h.body.reason, /1500 ms/, `cors, ${p}`);
      assert.ok(h.elapsed >= 1400 && h.elapsed < 4000, `cors, ${p}: 502 after ${h.elapsed} ms (deadline 1500)`);
    }
  } finally {
    await withCors.stop();
  }
  // A playlist's body is read under the same deadline (the request's second race against it).
  const stall = await hungOne('/Movie1/stall.m3u8', 0);
  assert.equal(stall.status, 502, JSON.stringify(stall.body));
  assert.equal(stall.body.code, 'ORIGIN_UNAVAILABLE');
  assert.ok(stall.elapsed >= 1400 && stall.elapsed < 4000, `stall.m3u8: 502 after ${stall.elapsed} ms (deadline 1500)`);
  while (!hangEnded.has('/Movie1/stall.m3u8')) {
    assert.ok(Date.now() - stall.t0 < 5000, 'the origin request for stall.m3u8 still open 5 s after it was sent');
    await sleep(20);
  }
  const t0 = Date.now();
  const slow = await get('/Movie1/1080p/slow.ts');
  assert.equal(slow.status, 200);
  assert.equal((await slow.arrayBuffer()).byteLength, 30_000, 'the whole body');
  assert.ok(Date.now() - t0 >= 2500, `the body took ${Date.now() - t0} ms: past the deadline`);

  // The master, capped at HD by the gate: the 2160p variant (3840x2160) is gone, the others stay.
  // A compressed answer: a segment passed on labelled as it came (the client decodes it); a
  // master read, capped and sent plain. The gate asked for no encoding in workerd.
  const gz = await get('/Movie1/1080p/gz.ts');
  assert.equal(gz.status, 200);
  assert.equal(await gz.text(), 'segment /Movie1/1080p/gz.ts');
  assert.equal(seen.at(-1).headers['accept-encoding'], undefined, 'the gate asks for no encoding in workerd');
  const gzMaster = await get('/Movie1/gzmaster.m3u8');
  assert.equal(gzMaster.status, 200);
  assert.equal(gzMaster.headers.get('content-encoding'), null);
  assert.equal(await gzMaster.text(), MASTER.replace('#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,CODECS="hvc1.2.4.L153.B0,mp4a.40.2"\n2160p/playlist.m3u8\n', ''));

  const master = await get('/Movie1/playlist.m3u8');
  assert.equal(master.status, 200);
  const text = await master.text();
  assert.equal(text, MASTER.replace('#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,CODECS="hvc1.2.4.L153.B0,mp4a.40.2"\n2160p/playlist.m3u8\n', ''));
  assert.ok(text.includes('1080p/playlist.m3u8') && !text.includes('2160p'));
  // Uncapped token: the master as the origin sent it; the token in the query works too.
  const uncapped = await token(null);
  before = seen.length;
  const full = await fetch(`${base}/Movie1/playlist.m3u8?token=${uncapped}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(await full.text(), MASTER);
  assert.equal(seen.at(-1).url, '/Movie1/playlist.m3u8', 'the token query parameter is not sent on');
  assert.equal(seen.length, before + 1);
  assert.equal(child.exitCode, null, `workerd exited:\n${output}`);
});
