// The edge gate against origins that read a path their own way (fail closed). The gate checks
// the path it was sent: the scope's key prefix and the rendition's quality. An origin may read
// the path it is forwarded differently: decode it once or twice, resolve dot segments, take `\`
// for `/` (IIS), drop `;params` from a segment (Tomcat, Jetty, Spring), normalise Unicode to NFKC,
// stop at a NUL (C), decode then parse the path as a URL (which drops tab, CR and LF). Whatever the gate lets through must, under every one of those readings and
// their combinations, still be a file of the token's title within its cap.
//
// The gate runs in real workerd (which hands a worker the path as the client sent it), bundled
// from the packed package as wrangler bundles it (tests/workerd/gate-worker.mjs), and in Node
// behind `gate.node` (which sees the path as the WHATWG parser resolves it). Raw paths go over
// node:http's client, which sends a path as given. The origin records what it is asked. The
// readings are Node's (`decodeURIComponent`, `path.posix.normalize`, `String.prototype.normalize`,
// the WHATWG URL parser), not the gate's. The paths: every title x rendition x file of the pools
// below (tricky encodings of each part), ways up out of a folder, and seeded random paths of one
// to five parts; each sent with a playback token capped at HD, one not capped, and the segment
// token the gate writes into the capped viewer's master (which opens the title's folder alone).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import { GATE_MASTER, PKG, REPO, freePort } from './helpers.mjs';
import { mulberry32 } from './hostile-lib.mjs';
import { capnpText, startWorkerd, writeBundle } from './workerd-bundle.mjs';

// Raw path parts, as a client may send them (non-ASCII percent-encoded as UTF-8, as clients do).
const TITLES = ['Movie1', 'Movie2', '%4dovie1', 'Movie%31', 'Movie1;x', 'Movie1%3bx', '%EF%BC%ADovie1', '..', '.', '%2e%2e', '%2E',
  'Movie1%2f..', 'Movie1%5c..', 'Movie1%00', 'Movie1%252f..', 'Movie1..;', '..;', '%2e%2e;', '.;', '..%3b'];
const RENDITIONS = ['1080p', '720p', '480p', '2160p', '4320p', '2160p;x', '1080p;x', '1080p..;', '%32160p', '%EF%BC%92160p', '2160%EF%BD%90',
  '..', '.', '%2e%2e', '..;', '1080p%2f..%2f2160p', '1080p%5c..%5c2160p', '1080p\\..\\2160p', '1080p%252f..%252f2160p', '1080p%00', 'audio',
  'video_2160p', '1080p%2e2160p', '1080p%EF%BC%8F..%EF%BC%8F2160p'];
const FILES = ['segment1.ts', 'playlist.m3u8', 'manifest.mpd', '..', '%2e%2e', 'x.ts;..', 'a%2f..%2f..%2fMovie2%2f2160p%2fs.ts', '..%5c..%5cMovie2',
  's.ts%00..', '%EF%BC%8E%EF%BC%8E'];
// Under the HD cap, the renditions a reading may land on (docs/decision-rules.md: SD below 720
// lines, HD up to 1080); a title-level file may only be a playlist or an MPD (seed 000's master).
const WITHIN_CAP = new Set(['480p', '720p', '1080p']);

// A small MPD (ISO/IEC 23009-1) of two renditions, for an .mpd the gate lets through.
const MPD = `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT12S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
  <Period><AdaptationSet mimeType="video/mp4" codecs="avc1.64001f">
    <Representation id="1080p" bandwidth="5000000" width="1920" height="1080"><BaseURL>1080p/</BaseURL></Representation>
    <Representation id="2160p" bandwidth="15000000" width="3840" height="2160"><BaseURL>2160p/</BaseURL></Representation>
  </AdaptationSet></Period>
</MPD>
`;

function paths() {
  const out = [];
  for (const t of TITLES) for (const r of RENDITIONS) for (const f of FILES) out.push(`/${t}/${r}/${f}`);
  for (const t of TITLES) for (const f of FILES) out.push(`/${t}/${f}`);
  // A way up out of the title or the rendition, in every form an origin may take for `..`.
  // `..%CD%BE`: U+037E GREEK QUESTION MARK, `;` in NFC as in NFKC (a canonical singleton).
  // `%09..`, `..%0A`, `%0D%0A..`: tab, LF and CR, which the WHATWG parser drops (an origin that
  // decodes, then parses the path as a URL); `%20..`, `..%20`: spaces at the ends of a segment.
  for (const up of ['..', '.', '%2e%2e', '%2E%2e', '..;', '%2e%2e;', '.;', '..%3b', '..%CD%BE', '..%00', '..%5c', '..\\', '%EF%BC%8E%EF%BC%8E', '%252e%252e',
    '%09..', '..%0A', '%0D%0A..', '.%09.', '%20..', '..%20', '%1F..']) {
    out.push(`/Movie1/${up}/Movie2/1080p/segment1.ts`, `/Movie1/1080p/${up}/2160p/segment1.ts`, `/Movie1/${up}/2160p/segment1.ts`, `/Movie1/${up}/playlist.m3u8`);
  }
  const next = mulberry32(20261206); // seeded: a failure names a path that a rerun sends again
  const all = [...TITLES, ...RENDITIONS, ...FILES, ''];
  for (let i = 0; i < 400; i++) {
    const n = 1 + Math.floor(next() * 5);
    out.push(`/${Array.from({ length: n }, () => all[Math.floor(next() * all.length)]).join('/')}`);
  }
  return out;
}

const decode = (s) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

/** Every way of reading `raw` (what the origin was asked for, its query cut off) as a file path. */
function readings(raw) {
  const bases = new Set();
  const once = decode(raw);
  if (once !== null) {
    bases.add(once);
    const twice = decode(once);
    if (twice !== null) bases.add(twice);
  }
  const whatwg = decode(new URL(raw, 'http://origin.example').pathname);
  if (whatwg !== null) bases.add(whatwg);
  // Decoded, then parsed as a URL (WHATWG: tab, LF and CR dropped, controls and spaces trimmed
  // from the ends, dot segments resolved), `?` and `#` kept in the path.
  if (once !== null) {
    const reparsed = decode(new URL(once.replace(/[?#%]/g, encodeURIComponent), 'http://origin.example').pathname);
    if (reparsed !== null) bases.add(reparsed);
  }
  const steps = [
    (s) => s.normalize('NFKC'),
    (s) => s.replace(/\\/g, '/'),
    (s) => s.split('/').map((segment) => segment.split(';')[0]).join('/'),
    (s) => s.split('\0')[0],
  ];
  const out = new Set();
  for (const base of bases) {
    for (let mask = 0; mask < 1 << steps.length; mask++) {
      let s = base;
      steps.forEach((step, i) => { if (mask & (1 << i)) s = step(s); });
      out.add(path.posix.normalize(s));
    }
  }
  return [...out];
}

/** Whether a file path read by the origin is the title's (and, `capped`, within the HD cap). */
function withinGrant(file, capped) {
  const parts = file.split('/').slice(1);
  if (parts[0] !== 'Movie1') return false;
  if (!capped) return parts.length >= 2 && parts[1] !== '';
  if (parts.length === 2) return /\.(m3u8|mpd)$/i.test(parts[1]);
  return parts.length >= 3 && WITHIN_CAP.has(parts[1]);
}

/** The origin (records every request's target), the key, the tokens and the gate's options. */
async function setUp(t) {
  const asked = [];
  const origin = http.createServer((req, res) => {
    asked.push(req.url);
    const file = req.url.split('?')[0];
    if (/\.m3u8$/i.test(file)) {
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      return res.end(GATE_MASTER);
    }
    if (/\.mpd$/i.test(file)) {
      res.writeHead(200, { 'content-type': 'application/dash+xml' });
      return res.end(MPD);
    }
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    return res.end('ok');
  });
  await new Promise((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    origin.closeAllConnections?.();
    origin.close();
  });
  const es = await jose.generateKeyPair('ES256', { extractable: true });
  const verifier = { algorithms: ['ES256'], keys: { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'e1' }] }, audience: 'edge' };
  // Seed 000's token: readonly on the title's folder in cache `media`; capped at HD, and not
  // capped (then only the title's folder holds the origin's reading).
  const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
  const mint = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'e1' })
    .setAudience('edge').setIssuedAt().setExpirationTime('10m').sign(es.privateKey);
  const tokens = { capped: await mint({ scope, ent: { maxQuality: 'HD' } }), uncapped: await mint({ scope }) };
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const segmentTokens = { secret: 'gate-paths-test-secret-of-32-bytes+', lifetimeSeconds: 600, via: 'uri' };
  return { asked, verifier, tokens, originUrl, segmentTokens };
}

/** Every path through the gate on `port` with each token; what reached the origin, read every way. */
async function probe(t, port, { asked, tokens }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  t.after(() => agent.destroy());
  // A playback token in Authorization; or, `segment`, the gate's own segment token in the query.
  const send = (raw, token, segment = false) => new Promise((resolve, reject) => {
    const target = segment ? `${raw}?segment_token=${token}` : raw;
    const req = http.request({ host: '127.0.0.1', port, path: target, agent, headers: segment ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });

  // The segment token the gate writes into the title's master for the capped viewer: it opens
  // the folder /Movie1/ within HD on its own.
  const master = await (await fetch(`http://127.0.0.1:${port}/Movie1/playlist.m3u8`, { headers: { authorization: `Bearer ${tokens.capped}` } })).text();
  const segmentToken = /segment_token=([^&\s]+)/.exec(master)?.[1];
  assert.ok(segmentToken, `no segment token in the master:\n${master}`);
  assert.doesNotMatch(master, /2160p/, 'the master is capped');

  const all = paths();
  const allowed = { capped: [], uncapped: [], segment: [] };
  const wrong = [];
  for (const [kind, token] of Object.entries({ ...tokens, segment: segmentToken })) {
    for (let i = 0; i < all.length; i += 8) {
      const batch = all.slice(i, i + 8);
      const before = asked.length;
      const statuses = await Promise.all(batch.map((raw) => send(raw, token, kind === 'segment')));
      const got = asked.slice(before);
      const passed = batch.filter((_, j) => statuses[j] < 400);
      // Only what the gate answered 2xx reached the origin (a refusal never does).
      assert.ok(statuses.every((status) => status < 500), `${kind}: ${batch.join(' ')}: statuses ${statuses}`);
      assert.equal(got.length, passed.length, `${kind}: ${batch.join(' ')}: statuses ${statuses}, the origin was asked ${got.join(' ')}`);
      allowed[kind].push(...passed);
      for (const url of got) {
        const raw = url.split('?')[0];
        for (const file of readings(raw)) if (!withinGrant(file, kind !== 'uncapped')) wrong.push(`${kind}: ${raw} read as ${file}`);
      }
    }
  }
  assert.deepEqual(wrong, [], `the origin may serve another file than the gate checked:\n${wrong.slice(0, 20).join('\n')}`);
  // Not vacuous: the plain forms of the grant pass, and encodings of them every reading agrees on.
  for (const p of ['/Movie1/1080p/segment1.ts', '/Movie1/480p/segment1.ts', '/Movie1/playlist.m3u8', '/%4dovie1/1080p/segment1.ts', '/Movie%31/720p/manifest.mpd']) {
    assert.ok(allowed.capped.includes(p), `${p} was refused`);
    assert.ok(allowed.segment.includes(p), `${p} was refused with the segment token`);
  }
  for (const p of ['/Movie1/2160p/segment1.ts', '/Movie1/audio/segment1.ts', '/Movie1/segment1.ts']) {
    assert.ok(allowed.uncapped.includes(p) && !allowed.capped.includes(p), `${p}: uncapped only`);
  }
  t.diagnostic(`${all.length} paths sent with each token; let through: ${allowed.capped.length} capped, ${allowed.uncapped.length} uncapped, ${allowed.segment.length} with the segment token; each origin request read up to ${16 * 3} ways`);
}

test('in workerd: whatever the gate lets through is the token\'s title within its cap, however the origin reads the path', { timeout: 180_000 }, async (t) => {
  const setup = await setUp(t);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-paths-'));
  const port = await freePort();
  const configPath = await writeBundle(dir, port, {
    source: path.join(REPO, 'tests', 'workerd', 'gate-worker.mjs'),
    wasmCount: 1,
    bindings: `\n  bindings = [\n    (name = "VERIFIER", text = ${capnpText(JSON.stringify(setup.verifier))}),\n    (name = "ORIGIN", text = ${capnpText(setup.originUrl)}),\n    (name = "SEGMENT_TOKENS", text = ${capnpText(JSON.stringify(setup.segmentTokens))}),\n  ],`,
  });
  const workerd = await startWorkerd(configPath, dir, port);
  t.after(async () => {
    await workerd.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await probe(t, port, setup);
});

// In Node the gate sees the path after the WHATWG parser has read it (gate.node builds a Request
// from the request target), and the origin gets it from Node's fetch.
test('in Node (gate.node): the same', { timeout: 180_000 }, async (t) => {
  const setup = await setUp(t);
  const { createGate } = await import(path.join(PKG, 'edge', 'node', 'index.mjs'));
  const gate = createGate({ verifier: setup.verifier, origin: setup.originUrl, segmentTokens: setup.segmentTokens });
  const server = http.createServer(gate.node);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections?.();
    server.close();
  });
  await probe(t, server.address().port, setup);
});
