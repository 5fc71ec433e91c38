// Shared by the Node tests (and the benchmarks): where the package is, and the vectors.
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

/** Runs one vector case through a playgate module; returns the decision or `{ error: code }`. */
export function runCase(playgate, file, c) {
  const { Policy, Entitlement } = playgate;
  try {
    const policy = c.policy === undefined ? new Policy()
      : Policy.fromJson(typeof c.policy === 'string' ? file.policies[c.policy] : c.policy);
    let ent;
    if (c.blobText !== undefined) ent = Entitlement.fromBlob(c.blobText);
    else if (c.dictionary !== undefined) ent = Entitlement.fromDictionary(c.dictionary);
    else {
      const doc = typeof c.entitlement === 'string' ? file.documents[c.entitlement] : c.entitlement;
      ent = Entitlement.fromBlob(JSON.stringify(doc));
    }
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
