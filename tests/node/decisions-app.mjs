// The decisions-only browser app: imports only Policy and Entitlement. Built by every bundler in
// tests/node/bundlers.test.mjs (which runs it in Chromium), and by bench/bench.mjs, which reports
// the gzipped JavaScript Vite bundles for it (issue 12: at most 10 KB).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO } from './helpers.mjs';

// Seed 000's document shape, premium tier capped at UHD1, a US viewer inside the window.
export const APP = `import { Policy, Entitlement } from 'playgate';

const policy = Policy.fromJson({ tiers: { premium: { maxQuality: 'UHD1' } } });
const ent = Entitlement.fromBlob(JSON.stringify({ subscription_level: 'premium', region: 'US', valid_until: '2024-12-31T23:59:59Z' }));
const decision = policy.evaluate(ent, { entityId: 'movie-123', country: 'US', now: Date.parse('2024-11-15T12:00:00Z') });
document.querySelector('#decision').textContent = JSON.stringify(decision);
`;

/** The page of an app: `script` is its module; the decision appears in #decision. */
export const page = (script, head = '') => `<!doctype html><meta charset="utf-8"><title>playgate app</title><link rel="icon" href="data:,">${head}
<pre id="decision">pending</pre>
<script type="module" src="${script}"></script>
`;

export const VITE_JS_BUDGET = 10 * 1024;

/** The JavaScript files under `dir`, recursively. */
export function jsFiles(dir) {
  return readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f))
    .filter((f) => /\.m?js$/.test(f) && statSync(f).isFile());
}

/** `vite build` (no config) of the app in `dir` (playgate installed there) -> { dist, jsGzip }. */
export function viteBuild(dir) {
  writeFileSync(path.join(dir, 'main.js'), APP);
  writeFileSync(path.join(dir, 'index.html'), page('./main.js'));
  execFileSync(path.join(REPO, 'tests/node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  const dist = path.join(dir, 'dist');
  const jsGzip = jsFiles(dist).reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
  return { dist, jsGzip };
}
