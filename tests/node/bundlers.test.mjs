// The package in a browser app, built the way each tool's own docs say, from the packed tarball
// installed into a fresh project: Vite, webpack 5 (asyncWebAssembly), esbuild (the one flag
// --loader:.wasm=file), Rollup with @rollup/plugin-wasm, and a plain page with an import map.
// Each app runs in headless Chromium and must show the decision; each bundle must leave out the
// cache client the app never names (tree-shaking), and the Vite app's JS must stay in budget.
//
// The app project sits under tests/.apps/ so that the tools (pinned in tests/package.json)
// resolve from tests/node_modules, while `playgate` resolves only from the app's own install.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, REPO, installPacked } from './helpers.mjs';
import { APP, VITE_JS_BUDGET, jsFiles, page, viteBuild } from './decisions-app.mjs';

const BIN = path.join(REPO, 'tests/node_modules/.bin');
const EXPECTED = { allowed: true, code: null, reasons: [], claims: [], maxQuality: 'UHD1', allowPersistence: false, validUntil: Date.parse('2024-12-31T23:59:59Z') };
// Text that only the cache client and the entitlement store carry (js/cache.mjs), and only the
// scope API (js/api.mjs installScopes): a decisions-only app must carry neither.
const LEFT_OUT_MARKERS = ['retryDelayMs', 'expected a CacheClient', 'expected a live PermissionScope'];

let apps;
let project;
let browser;

before(async () => {
  apps = path.join(REPO, 'tests/.apps');
  mkdirSync(apps, { recursive: true });
  project = mkdtempSync(path.join(apps, 'bundlers-'));
  installPacked(project);
  writeFileSync(path.join(project, 'main.js'), APP);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  if (project) rmSync(project, { recursive: true, force: true });
});

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Serves `root` on 127.0.0.1 (the MIME types a static host sends) -> { url, close }. */
function serve(root) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path.join(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => server.close(done)),
  })));
}

/** Opens `root`'s index.html in Chromium and returns the decision the app shows. */
async function decisionShown(t, root) {
  const server = await serve(root);
  const context = await browser.newContext();
  t.after(async () => {
    await context.close().catch(() => {});
    await server.close();
  });
  const tab = await context.newPage();
  const problems = [];
  const wasmRequests = [];
  tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  tab.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`); });
  tab.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`);
    if (res.url().endsWith('.wasm')) wasmRequests.push(res.url());
  });
  await tab.goto(server.url);
  await tab.waitForFunction(() => document.querySelector('#decision')?.textContent !== 'pending' || null, null, { timeout: 20_000 })
    .catch(() => {});
  const text = await tab.locator('#decision').textContent();
  assert.deepEqual(problems, [], 'no page errors, warnings or failed requests');
  return { decision: JSON.parse(text), wasmRequests };
}

function assertTreeShaken(dir) {
  const js = jsFiles(dir).map((f) => readFileSync(f, 'utf8')).join('\n');
  assert.ok(js.includes('fromBlob'), 'the bundle holds the app (sanity check of the markers below)');
  for (const marker of LEFT_OUT_MARKERS) assert.ok(!js.includes(marker), `the cache client and the scope API are left out (found "${marker}")`);
}

/**
 * The bundled app in `dist` (its index.html written unless the tool wrote one) runs in Chromium:
 * it shows the decision, fetches the .wasm once, and its bundle leaves out what it never names.
 */
async function assertAppWorks(t, dist) {
  if (!existsSync(path.join(dist, 'index.html'))) writeFileSync(path.join(dist, 'index.html'), page('./main.js'));
  const { decision, wasmRequests } = await decisionShown(t, dist);
  assert.deepEqual(decision, EXPECTED);
  assert.equal(wasmRequests.length, 1, 'the .wasm is fetched once');
  assertTreeShaken(dist);
}

function run(tool, args, cwd) {
  return execFileSync(path.join(BIN, tool), args, { cwd, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh app directory in the project (its node_modules shared): main.js and what the tool needs. */
function app(name, files) {
  const dir = path.join(project, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'main.js'), APP);
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

test('Vite: `vite build` with no config; the decisions-only app is tree-shaken and within its JS budget', async (t) => {
  const dir = app('vite', {});
  const { dist, jsGzip } = viteBuild(dir);
  await assertAppWorks(t, dist);
  t.diagnostic(`decisions-only Vite app: ${jsGzip} bytes of JS gzipped`);
  assert.ok(jsGzip <= VITE_JS_BUDGET, `the app's JS is ${jsGzip} bytes gzipped, over the ${VITE_JS_BUDGET} budget`);
});

test('webpack 5: `webpack` with experiments.asyncWebAssembly (its documented wasm setting)', async (t) => {
  const dir = app('webpack', {
    'webpack.config.mjs': `export default {
  mode: 'production',
  entry: './main.js',
  experiments: { asyncWebAssembly: true },
  output: { path: new URL('./dist', import.meta.url).pathname, clean: true },
};
`,
  });
  run('webpack', ['--no-stats'], dir);
  await assertAppWorks(t, path.join(dir, 'dist'));
});

test('esbuild: `esbuild --bundle --format=esm` plus the one flag --loader:.wasm=file', async (t) => {
  const dir = app('esbuild', {});
  // Without a loader esbuild stops at the .wasm import (it has no WebAssembly support of its own).
  assert.throws(() => run('esbuild', ['main.js', '--bundle', '--format=esm', '--outdir=plain'], dir), /No loader is configured for "\.wasm" files/);
  run('esbuild', ['main.js', '--bundle', '--format=esm', '--minify', '--loader:.wasm=file', '--outdir=dist', '--log-level=warning'], dir);
  await assertAppWorks(t, path.join(dir, 'dist'));
});

test('Rollup: `rollup -c` with @rollup/plugin-node-resolve and @rollup/plugin-wasm', async (t) => {
  const dir = app('rollup', {
    'rollup.config.mjs': `import { nodeResolve } from '@rollup/plugin-node-resolve';
import { wasm } from '@rollup/plugin-wasm';

export default {
  input: 'main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), wasm({ targetEnv: 'browser' })],
};
`,
  });
  run('rollup', ['-c', '--silent'], dir);
  await assertAppWorks(t, path.join(dir, 'dist'));
});

test('a plain page with an import map: the web entry, `await init()`', async (t) => {
  // Served from the project root, as a site that ships node_modules/playgate as it is.
  const main = APP.replace("import { Policy, Entitlement } from 'playgate';", "import init, { Policy, Entitlement } from 'playgate';\n\nawait init();");
  const dir = app('importmap', {});
  writeFileSync(path.join(dir, 'main.js'), main);
  const map = JSON.stringify({ imports: { playgate: '/node_modules/playgate/web/index.js' } });
  writeFileSync(path.join(project, 'index.html'), page('./importmap/main.js', `\n<script type="importmap">${map}</script>`));
  const { decision, wasmRequests } = await decisionShown(t, project);
  assert.deepEqual(decision, EXPECTED);
  assert.deepEqual(wasmRequests.map((u) => new URL(u).pathname), ['/node_modules/playgate/web/playgate_bg.wasm']);
});
