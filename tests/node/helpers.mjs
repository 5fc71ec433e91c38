// Shared by the Node tests (and the benchmarks): where the package is, and the vectors.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import path from 'node:path';
import { checkVectors } from '../../www/vectors.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG = process.env.PLAYGATE_PKG ? path.resolve(process.env.PLAYGATE_PKG) : path.join(REPO, 'pkg');

/**
 * The vector file `name` of `dir` (default tests/vectors), checked by `checkVectors`: the one
 * way Node code reads a vector file.
 */
export function loadVectors(name, dir = path.join(REPO, 'tests', 'vectors')) {
  return checkVectors(name, JSON.parse(readFileSync(path.join(dir, name), 'utf8')));
}

export const VECTORS = loadVectors('decisions.json');

/** A vector case's policy and document, made with a playgate module (throws what making them throws). */
export function caseInputs(playgate, file, c) {
  const { Policy, Entitlement } = playgate;
  const policy = c.policy === undefined ? new Policy()
    : Policy.fromJson(typeof c.policy === 'string' ? file.policies[c.policy] : c.policy);
  let ent;
  if (c.blobText !== undefined) ent = Entitlement.fromBlob(c.blobText);
  else if (c.dictionary !== undefined) ent = Entitlement.fromDictionary(c.dictionary);
  else {
    const doc = typeof c.entitlement === 'string' ? file.documents[c.entitlement] : c.entitlement;
    ent = Entitlement.fromBlob(JSON.stringify(doc));
  }
  return { policy, ent };
}

/** Runs one vector case through a playgate module; returns the decision or `{ error: code }`. */
export function runCase(playgate, file, c) {
  try {
    const { policy, ent } = caseInputs(playgate, file, c);
    return policy.evaluate(ent, c.request);
  } catch (error) {
    if (!(error instanceof Error) || typeof error.code !== 'string') throw error;
    return { error: error.code };
  }
}

/** The expected decision fields, with RFC 3339 `validUntil` turned into epoch ms by Date.parse. */
export function expected(c) {
  if (c.expectError) return { error: c.expectError };
  const e = { ...c.expect };
  if (typeof e.validUntil === 'string') e.validUntil = Date.parse(e.validUntil);
  return e;
}

/** The fields of `actual` named in `expect`. */
export function pick(actual, expect) {
  return Object.fromEntries(Object.keys(expect).map((k) => [k, actual[k]]));
}

/** A TCP port free on 127.0.0.1 right now (for a server started in another process). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The package as a user installs it: `npm pack` of the built package into `dir`, then
 * `npm install <tarball>` in `dir` (a fresh project). Returns the pack report of npm.
 */
export function installPacked(dir, { type = 'module' } = {}) {
  const out = execFileSync('npm', ['pack', PKG, '--pack-destination', dir, '--json', '--loglevel=error'], { encoding: 'utf8', timeout: 60_000 });
  const [report] = JSON.parse(out);
  if (!existsSync(path.join(dir, 'package.json'))) {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type }));
  }
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, report.filename)], { cwd: dir, timeout: 120_000 });
  return report;
}

/** Debian's Chromium, as every browser test launches it. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Throws an Error whose `code` is `code` and whose message matches `message` (when given). */
export function rejects(fn, code, message) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `a real Error, got ${String(e)}`);
    assert.equal(e.code, code, `code of: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/**
 * The edge gate tests' master playlist: three renditions named as seed 000 names them (by their
 * height), 480p, 1080p and 2160p; and what their origin serves for a segment.
 */
export const GATE_MASTER = [
  '#EXTM3U', '#EXT-X-VERSION:3',
  '#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=854x480,CODECS="avc1.4d401e,mp4a.40.2"', '480p/playlist.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2"', '1080p/playlist.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,CODECS="hvc1.2.4.L153.B0,mp4a.40.2"', '2160p/playlist.m3u8', '',
].join('\n');
export const gateSegment = (p) => `segment bytes of ${p}`;
