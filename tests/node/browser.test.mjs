// Headless Chromium against the web build, served by www/server.mjs on 127.0.0.1.
//   (a) www/harness.html runs every case of the decision vectors: all must pass, none may be missing;
//   (b) www/playground.html shows the default decision (allowed, UHD1), a denial when the country
//       leaves the region, and an entitlement error with its code.
// Env: PLAYGATE_PKG (package dir, default <repo>/pkg), PLAYGATE_VECTORS (vectors dir, default
// <repo>/tests/vectors), PLAYGATE_SCREENSHOT (optional: write a PNG of the demo page there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { start } from '../../www/server.mjs';
import { cacheScenarios, startTestEmulator } from './cache-scenarios.mjs';
import { loadVectors } from './helpers.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG_DIR = path.resolve(process.env.PLAYGATE_PKG || path.join(REPO, 'pkg'));
const VECTORS_DIR = path.resolve(process.env.PLAYGATE_VECTORS || path.join(REPO, 'tests', 'vectors'));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** A raw GET (no URL normalisation, unlike fetch) -> { status, type }. */
function rawGet(port, rawPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${rawPath}: timeout`)));
    req.end();
  });
}

test('web build in headless Chromium', { timeout: 60_000 }, async (t) => {
  assert.ok(existsSync(path.join(PKG_DIR, 'web', 'index.js')), `no web build in ${PKG_DIR} (set PLAYGATE_PKG)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);
  const vectors = loadVectors('decisions.json', VECTORS_DIR);

  const server = await start({ port: 0, pkgDir: PKG_DIR, vectorsDir: VECTORS_DIR });
  let browser;
  t.after(async () => {
    if (browser) await browser.close().catch(() => {});
    await server.close();
  });
  const { url, port } = server;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  await t.test('static server: MIME types and path traversal', async () => {
    const expectations = [
      ['/', 200, 'text/html'],
      ['/app.js', 200, 'text/javascript'],
      ['/style.css', 200, 'text/css'],
      ['/pkg/web/index.js', 200, 'text/javascript'],
      ['/pkg/api.mjs', 200, 'text/javascript'],
      ['/pkg/web/playgate_bg.wasm', 200, 'application/wasm'],
      ['/vectors/decisions.json', 200, 'application/json'],
      ['/no-such-file.js', 404],
      ['/pkg/../server.mjs', 403],
      ['/pkg/%2e%2e/%2e%2e/package.json', 403],
      ['/vectors/..%2f..%2fCargo.toml', 403],
      ['/pkg/web/..%5c..%5cCargo.toml', 400],
    ];
    for (const [rawPath, status, type] of expectations) {
      const res = await rawGet(port, rawPath);
      assert.equal(res.status, status, `GET ${rawPath}: status`);
      if (type) assert.equal(res.type?.split(';')[0], type, `GET ${rawPath}: content-type`);
    }
  });

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });

  async function openPage(t2, pagePath) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t2.after(() => context.close().catch(() => {}));
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`); });
    const response = await page.goto(new URL(pagePath, url).href, { waitUntil: 'load' });
    assert.equal(response.status(), 200, `GET ${pagePath}`);
    return { page, problems };
  }

  await t.test('harness.html passes every decision vector', async (t2) => {
    const { page, problems } = await openPage(t2, 'harness.html');
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 30_000 });
    const results = await page.evaluate(() => window.__results);
    assert.deepEqual(problems, [], 'page errors');
    assert.equal(results.error, undefined, `harness error: ${results.error}`);
    assert.equal(results.failed, 0, `failing vectors:\n${JSON.stringify(results.failures, null, 2)}`);
    assert.equal(results.total, vectors.count, 'the harness runs the file it is served');
    assert.equal(results.passed, vectors.count, `passed ${results.passed} of ${vectors.count} cases`);
    const rows = await page.locator('#results tbody tr.pass').count();
    assert.equal(rows, vectors.count, 'one passing row per case in the result table');
    // The manifest vectors, through the player module's filterManifest in Chromium.
    const manifests = loadVectors('manifests.json', VECTORS_DIR);
    assert.equal(results.manifests.failed, 0, `failing manifest vectors:\n${JSON.stringify(results.manifests.failures, null, 2)}`);
    assert.equal(results.manifests.total, manifests.count);
    assert.equal(results.manifests.passed, manifests.count);
  });

  await t.test('playground.html decides live', async (t2) => {
    const { page, problems } = await openPage(t2, 'playground.html');
    await page.waitForSelector('body[data-ready="true"]');

    const decisionJson = async () => JSON.parse(await page.locator('#decision-json').textContent());

    // Default: the seed document, premium tier, US, web, 2024-11-15.
    await page.waitForSelector('#verdict[data-state="allowed"]');
    assert.equal((await page.locator('#verdict-label').textContent()).trim(), 'ALLOWED');
    const allowed = await decisionJson();
    assert.equal(allowed.allowed, true);
    assert.equal(allowed.code, null);
    assert.equal(allowed.maxQuality, 'UHD1');
    assert.deepEqual(allowed.claims, ['ENTITY_TYPE_MOVIES', 'COUNTRY_US', 'QUALITY_UHD2']);
    assert.equal(allowed.validUntil, '2024-12-31T23:59:59.000Z');

    const catalogRows = page.locator('#catalog tbody tr');
    assert.equal(await catalogRows.count(), 12, 'catalog shows a dozen titles');
    const firstRow = await catalogRows.first().locator('td').allTextContents();
    assert.deepEqual(firstRow.map((s) => s.trim()), ['movie_id_123', 'allowed', '—', 'UHD1']);
    assert.equal(await page.locator('#catalog tbody tr.denied').count(), 11);

    if (process.env.PLAYGATE_SCREENSHOT) await page.screenshot({ path: process.env.PLAYGATE_SCREENSHOT, fullPage: true });

    // A country outside the document's region.
    await page.fill('#country', 'DE');
    await page.waitForSelector('#verdict[data-state="denied"]');
    assert.equal((await page.locator('#decision-code').textContent()).trim(), 'COUNTRY_NOT_ALLOWED');
    const denied = await decisionJson();
    assert.equal(denied.allowed, false);
    assert.equal(denied.code, 'COUNTRY_NOT_ALLOWED');
    assert.equal(denied.maxQuality, null);
    assert.equal((await catalogRows.first().locator('td').nth(2).textContent()).trim(), 'COUNTRY_NOT_ALLOWED');

    // Back in the region, then a malformed document: an error with its code, then recovery.
    await page.fill('#country', 'us');
    await page.waitForSelector('#verdict[data-state="allowed"]');
    const original = await page.inputValue('#entitlement');
    await page.fill('#entitlement', '{"region": ');
    await page.waitForSelector('#verdict[data-state="error"]');
    assert.equal((await page.locator('#error-code').textContent()).trim(), 'INVALID_ENTITLEMENT');
    await page.fill('#entitlement', original);
    await page.waitForSelector('#verdict[data-state="allowed"]');
    assert.equal((await decisionJson()).maxQuality, 'UHD1');

    assert.deepEqual(problems, [], 'page errors');
  });
  await t.test('cache client in Chromium against the emulator (cross-origin fetch, CORS)', async (t2) => {
    const fixture = await startTestEmulator();
    t2.after(() => fixture.emu.close());
    const context = await browser.newContext();
    t2.after(() => context.close().catch(() => {}));
    const page = await context.newPage();
    // Any page of the www origin will do: the runner imports the package from /pkg/web/.
    await page.goto(new URL('cache-runner.js', url).href);
    const run = (spec) => page.evaluate(async (spec) => {
      const playgate = await import('/pkg/web/index.js');
      await playgate.default();
      const { runCacheOp } = await import('/cache-runner.js');
      return runCacheOp(playgate, spec);
    }, spec);
    await cacheScenarios(t2, fixture.emu, fixture.clock, run, 'chromium', fixture);
  });
  await t.test('cache client in a Chromium web worker against the emulator', async (t2) => {
    const fixture = await startTestEmulator();
    t2.after(() => fixture.emu.close());
    const context = await browser.newContext();
    t2.after(() => context.close().catch(() => {}));
    const page = await context.newPage();
    await page.goto(new URL('cache-runner.js', url).href);
    // A module worker (no window, no document): the package, init() and fetch as a worker sees them.
    await page.evaluate((origin) => {
      const source = `import * as playgate from '${origin}pkg/web/index.js';
        import { runCacheOp } from '${origin}cache-runner.js';
        const ready = playgate.default();
        self.onmessage = async ({ data: { id, spec } }) => {
          await ready;
          self.postMessage({ id, result: await runCacheOp(playgate, spec), inWorker: typeof window === 'undefined' });
        };`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      const pending = new Map();
      let next = 0;
      worker.onmessage = ({ data }) => { pending.get(data.id)(data); pending.delete(data.id); };
      window.__inWorker = (spec) => new Promise((resolve) => { const id = next++; pending.set(id, resolve); worker.postMessage({ id, spec }); });
    }, url);
    const run = async (spec) => {
      const { result, inWorker } = await page.evaluate((spec) => window.__inWorker(spec), spec);
      assert.equal(inWorker, true, 'ran in a worker');
      return result;
    };
    await cacheScenarios(t2, fixture.emu, fixture.clock, run, 'worker', fixture);
  });

  await t.test('playground.html with the cache emulator: store decisions and media gating', async (t2) => {
    const withCache = await start({ port: 0, pkgDir: PKG_DIR, vectorsDir: VECTORS_DIR, cache: true });
    t2.after(() => withCache.close());
    const context = await browser.newContext();
    t2.after(() => context.close().catch(() => {}));
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`); });
    await page.goto(new URL('playground.html', withCache.url).href, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]');
    // viewer-42 holds the seed document (premium tier, capped at UHD1 by the demo policy).
    await page.waitForSelector('#store-verdict[data-state="allowed"]');
    assert.match(await page.locator('#store-quality').textContent(), /UHD1/);
    // The token reads /Movie1/ only (seed 000): two keys fetched (200), the third never requested.
    const rows = page.locator('#media tbody tr');
    assert.equal(await rows.count(), 3);
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.status ?? null)), ['200', '200', null]);
    assert.equal((await rows.nth(2).locator('td').nth(2).textContent()).trim(), 'not requested');
    // The basic viewer is capped at HD; an unknown viewer has no document: a denial, not an error.
    await page.selectOption('#cache-user', 'viewer-basic');
    await page.waitForFunction(() => /HD$/.test(document.querySelector('#store-quality').textContent));
    await page.selectOption('#cache-user', 'viewer-unknown');
    await page.waitForSelector('#store-verdict[data-state="denied"]');
    assert.equal((await page.locator('#store-code').textContent()).trim(), 'ENTITLEMENT_MISSING');
    // The miss is the emulator's 404 `Key Not Found`, which the page reads as "no document".
    assert.deepEqual(problems.filter((p) => !p.includes('viewer-unknown')), [], 'page errors');
  });
});
