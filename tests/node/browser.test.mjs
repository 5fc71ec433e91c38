// Headless Chromium against the web build, served by www/server.mjs on 127.0.0.1.
//   (a) www/harness.html runs the shared vectors of every module (decisions, scopes, tokens, fuzz
//       regressions, manifests): all must pass, none may be missing, the same cases as in Node are
//       listed as not run; a flipped expectation fails its module, a lost case fails the harness;
//   (b) www/playground.html shows the default decision (allowed, UHD1), a denial when the country
//       leaves the region, and an entitlement error with its code.
// Env: PLAYGATE_PKG (package dir, default <repo>/pkg), PLAYGATE_VECTORS (vectors dir, default
// <repo>/tests/vectors), PLAYGATE_SCREENSHOT (optional: write a PNG of the demo page there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { start } from '../../www/server.mjs';
import { cacheScenarios, startTestEmulator } from './cache-scenarios.mjs';
import { loadVectors } from './helpers.mjs';
import { VECTOR_KINDS, runVectorFile } from '../../www/vector-checks.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PKG_DIR = path.resolve(process.env.PLAYGATE_PKG || path.join(REPO, 'pkg'));
const VECTORS_DIR = path.resolve(process.env.PLAYGATE_VECTORS || path.join(REPO, 'tests', 'vectors'));
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** The harness's modules and their vector files. */
const HARNESS_MODULES = { decisions: 'decisions.json', ...Object.fromEntries(Object.entries(VECTOR_KINDS).map(([k, v]) => [k, v.file])) };

/**
 * A copy of the vectors directory with one expectation of each module flipped (so that each
 * module has exactly one failing case): returns `{ dir, broken: { module: case name } }`.
 */
function brokenVectors(from) {
  const dir = mkdtempSync(path.join(tmpdir(), 'playgate-broken-vectors-'));
  for (const name of readdirSync(from)) writeFileSync(path.join(dir, name), readFileSync(path.join(from, name)));
  const broken = {};
  const edit = (module, find, change) => {
    const file = path.join(dir, HARNESS_MODULES[module]);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const c = json.cases.find(find);
    assert.ok(c, `${module}: a case to break`);
    change(c);
    broken[module] = c.name;
    writeFileSync(file, JSON.stringify(json));
  };
  edit('decisions', (c) => typeof c.expect?.allowed === 'boolean', (c) => { c.expect.allowed = !c.expect.allowed; });
  edit('scopes', (c) => c.protobufBase64 && !c.itemSelectorsDropped && c.scopeJson?.permissions?.length === 1 && c.scopeJson.permissions[0].cache === 'media',
    (c) => { c.scopeJson.permissions[0].cache = 'other'; });
  edit('tokens', (c) => typeof c.sdkDecoded?.decodeAuthToken?.cacheEndpoint === 'string', (c) => { c.sdkDecoded.decodeAuthToken.cacheEndpoint = 'cache.example.invalid'; });
  edit('fuzzRegressions', (c) => c.checks?.length > 0, (c) => { c.checks[0][3] = !c.checks[0][3]; });
  edit('manifests', (c) => c.expect && typeof c.expect.kept === 'number', (c) => { c.expect.kept += 1; });
  return { dir, broken };
}

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

test('web build in headless Chromium', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(path.join(PKG_DIR, 'web', 'index.js')), `no web build in ${PKG_DIR} (set PLAYGATE_PKG)`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found`);

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

  /** Opens the harness (of `base`, default this server) and returns its window.__results. */
  async function harnessResults(t2, base = url) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    t2.after(() => context.close().catch(() => {}));
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`); });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('response', (res) => { if (res.status() >= 400) problems.push(`HTTP ${res.status()} ${res.url()}`); });
    const response = await page.goto(new URL('harness.html', base).href, { waitUntil: 'load' });
    assert.equal(response.status(), 200, 'GET harness.html');
    await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 60_000 });
    // Set exactly once: a later assignment would be a second outcome.
    await page.evaluate(() => {
      const first = window.__results;
      Object.defineProperty(window, '__results', { get: () => first, set: () => { throw new Error('window.__results set twice'); } });
    });
    return { page, problems, results: await page.evaluate(() => window.__results) };
  }

  await t.test('harness.html passes the vectors of every module', async (t2) => {
    const { page, problems, results } = await harnessResults(t2);
    assert.deepEqual(problems, [], 'no page error, console error or failed request on the harness page');
    assert.equal(results.error, undefined, `harness error: ${results.error}`);
    assert.deepEqual(Object.keys(results.modules), Object.keys(HARNESS_MODULES));
    let total = 0;
    for (const [key, file] of Object.entries(HARNESS_MODULES)) {
      const m = results.modules[key];
      const vectors = loadVectors(file, VECTORS_DIR);
      assert.equal(m.failed, 0, `${key}: failing vectors:\n${JSON.stringify(m.failures, null, 2)}`);
      assert.equal(m.total, vectors.count, `${key}: the harness runs the file it is served, every case`);
      assert.equal(m.passed + m.notRun.length, vectors.count, `${key}: every case passed or is listed as not run`);
      for (const r of m.notRun) assert.ok(typeof r.reason === 'string' && r.reason.length > 10, `${key}: ${r.name}: a reason`);
      // The cases no rule applies to, as Node finds them by the same rules (www/vector-checks.js).
      // Which rules apply does not depend on the library: with none (an empty object) the rules
      // that apply fail at once, and those that do not are listed as not run, with the reason.
      const inNode = key === 'decisions' ? { notRun: [] } : runVectorFile(key, VECTOR_KINDS[key].rules, {}, vectors);
      assert.deepEqual(m.notRun, inNode.notRun, `${key}: the cases not run are those no rule applies to`);
      const section = page.locator(`#module-${key}`);
      assert.equal(await section.locator('tbody tr.pass').count(), m.passed, `${key}: one passing row per passing case`);
      assert.equal(await section.locator('tbody tr.notrun').count(), m.notRun.length, `${key}: one row per case not run`);
      assert.equal(await section.locator('tbody tr.fail').count(), 0);
      assert.match(await section.locator('h2 .count').textContent(), new RegExp(`^${m.passed} passed, 0 failed`));
      total += vectors.count;
    }
    assert.ok(results.modules.decisions.passed > 0 && results.modules.decisions.notRun.length === 0);
    assert.equal(results.modules.fuzzRegressions.notRun.length, 0);
    // The fields the harness published before modules: the decision vectors, and the manifests.
    const decisions = loadVectors('decisions.json', VECTORS_DIR);
    assert.equal(results.failed, 0);
    assert.equal(results.total, decisions.count);
    assert.equal(results.passed, decisions.count);
    assert.deepEqual(results.failures, []);
    assert.equal(results.manifests.passed, loadVectors('manifests.json', VECTORS_DIR).count);
    assert.equal(results.manifests.failed, 0);
    assert.deepEqual(results.overall, { passed: total - results.overall.notRun, failed: 0, notRun: results.overall.notRun, total });
    assert.match(await page.locator('#summary').getAttribute('class'), /\bok\b/);
    assert.match(await page.locator('#summary').textContent(), /^All vectors pass: \d+ passed, 0 failed/);
    // Readable on a phone: 390 px wide, no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no sideways scrolling: the page is ${width} px wide`);
    if (process.env.PLAYGATE_HARNESS_SCREENSHOT) await page.screenshot({ path: process.env.PLAYGATE_HARNESS_SCREENSHOT, fullPage: false });
  });

  await t.test('harness.html fails a module whose vector is broken', async (t2) => {
    const { dir, broken } = brokenVectors(VECTORS_DIR);
    t2.after(() => rmSync(dir, { recursive: true, force: true }));
    const other = await start({ port: 0, pkgDir: PKG_DIR, vectorsDir: dir });
    t2.after(() => other.close());
    const { page, problems, results } = await harnessResults(t2, other.url);
    assert.deepEqual(problems, [], 'a failing vector is a result, not a page error');
    assert.equal(results.error, undefined);
    for (const [key, name] of Object.entries(broken)) {
      const m = results.modules[key];
      assert.equal(m.failed, 1, `${key}: exactly the broken case fails: ${JSON.stringify(m.failures, null, 2)}`);
      assert.deepEqual([...new Set(m.failures.map((f) => f.name))], [name], key);
      assert.ok(m.failures.every((f) => 'expected' in f && 'actual' in f && f.why), `${key}: a failure says what was expected and what came`);
      assert.equal(m.passed + m.notRun.length, m.total - 1, key);
      const row = page.locator(`#module-${key} tbody tr.fail`);
      assert.equal(await row.count(), 1, `${key}: one failure row`);
      assert.match(await row.locator('td.details pre').first().textContent(), /^expected .*\nactual /s);
      assert.match(await page.locator(`#module-${key} h2 .count`).getAttribute('class'), /\bbad\b/);
    }
    assert.equal(results.failed, 1, 'the decision failure is in the top-level fields too');
    assert.equal(results.failures[0].name, broken.decisions);
    assert.equal(results.manifests.failed, 1);
    assert.equal(results.overall.failed, Object.keys(broken).length);
    assert.match(await page.locator('#summary').getAttribute('class'), /\bbad\b/);
  });

  await t.test('harness.html fails when a vector file lost a case', async (t2) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'playgate-lost-vector-'));
    t2.after(() => rmSync(dir, { recursive: true, force: true }));
    for (const name of readdirSync(VECTORS_DIR)) writeFileSync(path.join(dir, name), readFileSync(path.join(VECTORS_DIR, name)));
    const tokens = JSON.parse(readFileSync(path.join(dir, 'momento-tokens.json'), 'utf8'));
    tokens.cases.pop(); // "count" not updated
    writeFileSync(path.join(dir, 'momento-tokens.json'), JSON.stringify(tokens));
    const other = await start({ port: 0, pkgDir: PKG_DIR, vectorsDir: dir });
    t2.after(() => other.close());
    const { page, problems, results } = await harnessResults(t2, other.url);
    assert.deepEqual(problems, []);
    assert.match(results.error, /momento-tokens\.json: .*"count" says/);
    assert.ok(results.modules.tokens.failed >= 1);
    assert.match(results.modules.tokens.error, /a case was lost/);
    assert.equal(results.modules.decisions.failed, 0, 'the other modules still run');
    assert.equal(results.modules.scopes.failed, 0);
    assert.ok(results.overall.failed >= 1);
    assert.match(await page.locator('#module-tokens .load-error').textContent(), /a case was lost/);
  });

  await t.test('harness.html without a web build: every module failed, with the reason', async (t2) => {
    const empty = mkdtempSync(path.join(tmpdir(), 'playgate-no-pkg-'));
    t2.after(() => rmSync(empty, { recursive: true, force: true }));
    const other = await start({ port: 0, pkgDir: empty, vectorsDir: VECTORS_DIR });
    t2.after(() => other.close());
    const { page, problems, results } = await harnessResults(t2, other.url);
    assert.ok(problems.some((p) => p.includes('/pkg/web/index.js')), 'the missing module is the only problem');
    assert.match(results.error, /the web build did not load/);
    for (const key of Object.keys(HARNESS_MODULES)) {
      assert.equal(results.modules[key].failed, 1, key);
      assert.equal(results.modules[key].passed, 0, key);
    }
    assert.equal(results.failed, 1);
    assert.equal(results.failures[0].name, '(load)');
    assert.match(await page.locator('#summary').textContent(), /^Failures: 0 passed, 5 failed/);
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
    await page.waitForFunction(() => /HD$/.test(document.querySelector('#store-quality')?.textContent ?? ''));
    await page.selectOption('#cache-user', 'viewer-unknown');
    await page.waitForSelector('#store-verdict[data-state="denied"]');
    assert.equal((await page.locator('#store-code').textContent()).trim(), 'ENTITLEMENT_MISSING');
    // The miss is the emulator's 404 `Key Not Found`, which the page reads as "no document".
    assert.deepEqual(problems.filter((p) => !p.includes('viewer-unknown')), [], 'page errors');
  });
});
