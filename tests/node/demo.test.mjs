// The served demo end to end (issue 17): www/server.mjs as `./build.sh serve` starts it (the
// page, the cache emulator with the ffmpeg media, the edge gate in real workerd, the back end),
// opened in headless Chromium (playwright-core, Debian's Chromium) by deep link. Truth comes from
// outside the page: Chromium's network log (what was requested, what the edge answered), the
// emulator's request log (what the gate read), the decision rules for each embedded viewer, the
// decoder's picture height. No page may log a console error (the forge's own 403 is the one
// failed load a page shows, and only where the forge runs).
// Screenshots of each state go to target/screenshots/ (ignored); PLAYGATE_README_SHOT=<file>
// also writes the README's picture from the forge test (`./build.sh screenshot`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, PKG, REPO, loadVectors } from './helpers.mjs';
import { start } from '../../www/server.mjs';
import { defaultViewers } from '../../www/demo-stack.mjs';

const SHOTS = path.join(REPO, 'target', 'screenshots');
mkdirSync(SHOTS, { recursive: true });

const server = await start({ port: 0, pkgDir: PKG, demo: true });
const { gateUrl, cacheUrl, emu } = server.stack;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'] });
test.after(async () => {
  await browser.close();
  await server.close();
});

/**
 * Opens the demo at `query` (`width` px wide): `{ page, network: [{ url, status }], consoleErrors,
 * demo() (window.playgateDemo's fields) }` once the page says it is ready.
 */
async function open(t, query, { width = 1280 } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const network = [];
  page.on('request', (r) => network.push({ url: r.url(), status: null, request: r }));
  page.on('response', (r) => {
    const entry = network.find((n) => n.request === r.request());
    if (entry) entry.status = r.status();
  });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push({ text: m.text(), url: m.location()?.url ?? '' }); });
  page.on('pageerror', (e) => consoleErrors.push({ text: String(e), url: '' }));
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => window.playgateDemo?.ready === true, null, { timeout: 60_000 });
  const demo = () => page.evaluate(() => {
    const d = window.playgateDemo;
    return { decision: d.decision, requests: d.requests, forge: d.forge, refreshes: d.refreshes, error: d.error, playing: d.playing, height: d.height, viewer: d.viewer, title: d.title, player: d.player };
  });
  return { page, network, consoleErrors, demo };
}

const toGate = (network) => network.filter((n) => n.url.startsWith(gateUrl));
const mediaSegments = (network) => toGate(network).filter((n) => /\/(480p|1080p|2160p)\/seg-/.test(n.url));
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

// What the decision rules (docs/decision-rules.md) say of each embedded viewer watching
// movie_id_123 from its country on the web: the tier's cap, or the first failing check.
const EXPECTED = {
  premium: { allowed: true, maxQuality: 'UHD1' },
  standard: { allowed: true, maxQuality: 'HD' },
  basic: { allowed: true, maxQuality: 'SD' },
  denied: { allowed: false, code: 'ENTITLEMENT_EXPIRED' },
  upcoming: { allowed: false, code: 'ENTITLEMENT_NOT_YET_VALID' },
  traveller: { allowed: false, code: 'COUNTRY_NOT_ALLOWED' },
  'tv-only': { allowed: false, code: 'DEVICE_NOT_ALLOWED' },
};

test('every embedded viewer opens by deep link with the decision the rules give', { timeout: 180_000 }, async (t) => {
  assert.deepEqual(defaultViewers().map((v) => v.id).sort(), Object.keys(EXPECTED).sort(), 'a viewer without an expectation here');
  for (const [viewer, expected] of Object.entries(EXPECTED)) {
    const { page, network, consoleErrors, demo } = await open(t, `?viewer=${viewer}&title=movie_id_123`);
    if (expected.allowed) await page.waitForFunction(() => window.playgateDemo?.playing, null, { timeout: 30_000 });
    else await page.waitForFunction(() => (window.playgateDemo?.error ?? null) !== null, null, { timeout: 30_000 });
    const d = await demo();
    assert.equal(d.viewer, viewer);
    assert.equal(d.decision.allowed, expected.allowed, viewer);
    if (expected.allowed) assert.equal(d.decision.maxQuality, expected.maxQuality, viewer);
    else {
      assert.equal(d.decision.code, expected.code, viewer);
      assert.equal(d.error, expected.code, `${viewer}: the player's error carries the code`);
      assert.match(await page.locator('#overlay').textContent(), new RegExp(expected.code));
      assert.deepEqual(toGate(network), [], `${viewer}: a denied viewer makes no request to the edge`);
    }
    assert.deepEqual(consoleErrors, [], viewer);
    await shot(page, `viewer-${viewer}`);
    await page.context().close();
  }
});

test('premium plays and reaches UHD1 (2160p segments answered 200 by the edge, a 2160p picture decoded)', { timeout: 90_000 }, async (t) => {
  const { page, network, consoleErrors, demo } = await open(t, '?viewer=premium&title=movie_id_123&player=hls');
  await page.waitForFunction(() => window.playgateDemo?.height === 2160 && document.querySelector('video')?.currentTime > 2, null, { timeout: 60_000 });
  const d = await demo();
  assert.equal(d.decision.maxQuality, 'UHD1');
  assert.ok(mediaSegments(network).some((n) => n.url.includes('/2160p/seg-') && n.status === 200), 'a 2160p segment, answered 200');
  assert.equal(await page.locator('#ladder li.playing').getAttribute('title').then((s) => s.split(',')[0]), '3840x2160', 'the ladder highlights the playing rung');
  assert.deepEqual(consoleErrors, []);
  await shot(page, 'premium-hls');
});

for (const player of ['hls', 'shaka']) {
  test(`standard (${player}) never requests a segment above HD: network log and the origin's log`, { timeout: 90_000 }, async (t) => {
    const from = emu.requests.length;
    const { page, network, consoleErrors, demo } = await open(t, `?viewer=standard&title=series_id_456&player=${player}`);
    await page.waitForFunction(() => window.playgateDemo?.playing && document.querySelector('video')?.currentTime > 6, null, { timeout: 60_000 });
    const d = await demo();
    assert.equal(d.player, player);
    assert.equal(d.decision.maxQuality, 'HD');
    assert.equal(d.height, 1080, 'the top allowed rendition plays');
    const segments = mediaSegments(network);
    assert.ok(segments.some((n) => n.url.includes('/1080p/seg-') && n.status === 200), '1080p segments answered 200');
    assert.deepEqual(toGate(network).filter((n) => n.url.includes('/2160p/')), [], 'nothing above HD left the page');
    const read = emu.requests.slice(from).map((r) => r.key).filter(Boolean);
    assert.ok(read.some((k) => k.startsWith('/series_id_456/1080p/')));
    assert.deepEqual(read.filter((k) => k.includes('/2160p/')), [], 'nor did the gate read it');
    // The page's log is the network's: every request it lists as answered has that status there.
    for (const r of d.requests.filter((x) => x.status !== null && x.status !== 0)) {
      const seen = network.find((n) => n.url.split('?')[0] === r.url.split('?')[0] && n.status === r.status);
      assert.ok(seen, `the page logs ${r.url} as ${r.status}: not on the network log`);
    }
    assert.ok(d.requests.length > 0 && d.requests.every((r) => r.allowed), 'playgate allowed every request it saw');
    assert.deepEqual(consoleErrors, []);
    await shot(page, `standard-${player}`);
  });
}

test('forge=1: the edge answers the forged request 403 with its code, and the page shows it', { timeout: 90_000 }, async (t) => {
  const { page, network, consoleErrors, demo } = await open(t, '?viewer=standard&title=movie_id_123&forge=1');
  const d = await demo();
  assert.equal(d.forge.status, 403);
  assert.equal(d.forge.code, 'QUALITY_EXCEEDS_ENTITLEMENT');
  const forged = network.find((n) => n.url.startsWith(`${gateUrl}/movie_id_123/2160p/`));
  assert.equal(forged?.status, 403, 'the network log has the forged request and its 403');
  assert.match(await page.locator('#forge-result').textContent(), /403 QUALITY_EXCEEDS_ENTITLEMENT/);
  await page.waitForFunction(() => document.querySelector('video')?.currentTime > 3, null, { timeout: 30_000 });
  if (process.env.PLAYGATE_README_SHOT) await page.screenshot({ path: process.env.PLAYGATE_README_SHOT });
  // Chromium logs the failed load of the forged URL; nothing else may be an error.
  assert.deepEqual(consoleErrors.filter((e) => !(e.text.includes('status of 403') && e.url.startsWith(`${gateUrl}/movie_id_123/2160p/`))), []);
  // Premium has no rung above its cap: its forge asks for another title, outside its token's scope.
  const premium = await open(t, '?viewer=premium&title=movie_id_123&forge=1');
  const p = await premium.demo();
  assert.equal(p.forge.status, 403);
  assert.equal(p.forge.code, 'SCOPE_DENIED');
  // A denied viewer has no playback token at all.
  const denied = await open(t, '?viewer=denied&forge=1');
  assert.equal((await denied.demo()).forge.status, 401);
  assert.equal((await denied.demo()).forge.code, 'TOKEN_MISSING');
  await shot(page, 'forge-standard');
});

test('the playback token is renewed during playback: later requests carry the new token, no stall, no reload', { timeout: 90_000 }, async (t) => {
  const { page, network, consoleErrors, demo } = await open(t, '?viewer=premium&title=movie_id_123&player=hls');
  await page.evaluate(() => {
    window.__waiting = 0;
    window.__loads = performance.getEntriesByType('navigation').length;
    const v = document.querySelector('video');
    v.addEventListener('waiting', () => { if (v.currentTime > 0.5) window.__waiting++; });
  });
  await page.waitForFunction(() => window.playgateDemo?.refreshes >= 1, null, { timeout: 40_000 });
  // The clip loops: its segments are asked for again, now with the renewed token.
  const tokens = () => new Set(toGate(network).filter((n) => n.status === 200).map((n) => new URL(n.url).searchParams.get('token')).filter(Boolean));
  const until = Date.now() + 40_000;
  while (tokens().size < 2 && Date.now() < until) await page.waitForTimeout(250);
  const d = await demo();
  assert.ok(d.refreshes >= 1);
  assert.ok(tokens().size >= 2, `answered requests carried ${tokens().size} distinct playback tokens`);
  assert.equal(await page.evaluate(() => window.__waiting), 0, 'no stall');
  assert.match(await page.locator('#token').textContent(), /renewed [1-9]/);
  assert.deepEqual(consoleErrors, []);
});

test('least privilege: a viewer\'s cache token reads its own document only; its playback token opens its title only', { timeout: 30_000 }, async () => {
  const session = await (await fetch(`${server.url}api/session?viewer=standard&title=movie_id_123`)).json();
  const read = (key) => fetch(`${cacheUrl}/cache/entitlements?key=${encodeURIComponent(key)}`, { headers: { authorization: session.cacheToken } });
  assert.equal((await read('viewer-standard')).status, 200);
  assert.equal((await read('viewer-premium')).status, 403, 'another viewer\'s document');
  const media = await fetch(`${cacheUrl}/cache/media?key=${encodeURIComponent('/movie_id_123/playlist.m3u8')}`, { headers: { authorization: session.cacheToken } });
  assert.equal(media.status, 403, 'the cache token reads no media: the edge serves it');
  const gate = (p) => fetch(`${gateUrl}${p}?token=${session.playbackToken}`);
  assert.equal((await gate('/movie_id_123/playlist.m3u8')).status, 200);
  const other = await gate('/series_id_456/playlist.m3u8');
  assert.equal(other.status, 403);
  assert.equal((await other.json()).code, 'SCOPE_DENIED');
});

test('picking another viewer and player on the page plays the new choice, and the URL follows (a deep link to it)', { timeout: 90_000 }, async (t) => {
  const { page, network, consoleErrors, demo } = await open(t, '?viewer=premium&title=movie_id_123&player=hls');
  await page.waitForFunction(() => window.playgateDemo?.playing, null, { timeout: 30_000 });
  // Two changes at once: the second load supersedes the first, which must not play on.
  await page.selectOption('#player', 'shaka');
  await page.selectOption('#viewer', 'standard');
  await page.waitForFunction(() => window.playgateDemo.decision?.maxQuality === 'HD' && window.playgateDemo.height === 1080
    && document.querySelector('video')?.currentTime > 3, null, { timeout: 60_000 });
  const d = await demo();
  assert.equal(d.player, 'shaka');
  assert.equal(new URL(page.url()).search, '?viewer=standard&title=movie_id_123&player=shaka');
  const mark = network.length;
  await page.waitForTimeout(4000);
  const later = toGate(network.slice(mark));
  assert.ok(later.length > 0, 'the new player keeps loading');
  assert.deepEqual(later.filter((n) => n.url.includes('/2160p/') || n.url.endsWith('.m3u8') || n.url.includes('.m3u8?')), [], 'nothing of the premium hls.js player after the switch');
  assert.deepEqual(consoleErrors, []);
});

test('an edited entitlement is stored, decided and enforced; a bad one is refused with its code', { timeout: 90_000 }, async (t) => {
  const { page, network, consoleErrors, demo } = await open(t, '?viewer=basic&title=movie_id_123');
  t.after(() => fetch(`${server.url}api/entitlement?viewer=basic`, { method: 'DELETE' }));
  await page.waitForFunction(() => window.playgateDemo?.playing, null, { timeout: 30_000 });
  assert.equal((await demo()).decision.maxQuality, 'SD');
  await page.click('#edit');
  const doc = JSON.parse(await page.inputValue('#document'));
  await page.fill('#document', JSON.stringify({ ...doc, subscription_level: 'standard' }));
  await page.click('#apply');
  await page.waitForFunction(() => window.playgateDemo.decision?.maxQuality === 'HD' && window.playgateDemo.height === 1080, null, { timeout: 30_000 });
  assert.ok(network.some((n) => n.url.startsWith(`${gateUrl}/movie_id_123/1080p/seg-`) && n.status === 200), 'the edge now serves HD: the new token carries the new cap');
  await page.fill('#document', '{"region": 42}');
  await page.click('#apply');
  await page.waitForFunction(() => document.getElementById('editor-error').textContent !== '');
  assert.match(await page.textContent('#editor-error'), /^INVALID_ENTITLEMENT: .*region/);
  assert.equal((await demo()).decision.maxQuality, 'HD', 'a refused document changes nothing');
  assert.deepEqual(consoleErrors.filter((e) => !e.text.includes('status of 400')), []);
});

/** Another page of the demo's server (no playgateDemo on it): `{ page, consoleErrors }`. */
async function openPlain(t, file) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${server.url}${file}`);
  return { page, consoleErrors };
}

test('the playground page loads without a console error', { timeout: 60_000 }, async (t) => {
  const { page, consoleErrors } = await openPlain(t, 'playground.html');
  await page.waitForSelector('body[data-ready="true"]');
  await page.screenshot({ path: path.join(SHOTS, 'playground.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
});

test('the harness on the served demo passes every vector of every module', { timeout: 60_000 }, async (t) => {
  const { page, consoleErrors } = await openPlain(t, 'harness.html');
  await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 50_000 });
  const r = await page.evaluate(() => window.__results);
  assert.equal(r.error, undefined);
  assert.equal(r.failed, 0, JSON.stringify(r.failures?.slice(0, 3)));
  assert.equal(r.total, loadVectors('decisions.json').count);
  assert.equal(r.passed, r.total);
  assert.equal(r.manifests.failed, 0);
  assert.equal(r.manifests.total, loadVectors('manifests.json').count);
  // Every module's file, every case run (or listed as not run, with its reason) and passed.
  assert.deepEqual(Object.keys(r.modules).sort(), ['decisions', 'fuzzRegressions', 'manifests', 'scopes', 'tokens']);
  for (const [name, m] of Object.entries(r.modules)) {
    assert.equal(m.failed, 0, `${name}: ${JSON.stringify(m.failures?.slice(0, 3))}`);
    assert.equal(m.total, loadVectors(m.file).count, name);
    assert.equal(m.passed + m.notRun.length, m.total, name);
  }
  assert.deepEqual(consoleErrors, []);
  await page.screenshot({ path: path.join(SHOTS, 'harness.png'), fullPage: true });
});

for (const width of [1280, 390]) {
  test(`the page fits ${width} px and nothing shifts while it plays`, { timeout: 90_000 }, async (t) => {
    const { page, consoleErrors } = await open(t, '?viewer=standard&title=movie_id_123&player=hls', { width });
    await page.waitForFunction(() => window.playgateDemo?.playing, null, { timeout: 30_000 });
    // Subtitle cues move inside the video's own box (Chromium reports them as shifts): only
    // boxes outside the picture count as the page's layout.
    await page.evaluate(() => {
      window.__shift = 0;
      const video = document.querySelector('video').getBoundingClientRect();
      const inVideo = (r) => r.top >= video.top && r.bottom <= video.bottom && r.left >= video.left && r.right <= video.right;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.hadRecentInput || e.sources.every((s) => inVideo(s.previousRect) && inVideo(s.currentRect))) continue;
          window.__shift += e.value;
        }
      }).observe({ type: 'layout-shift' });
    });
    await page.waitForTimeout(6000);
    const shift = await page.evaluate(() => window.__shift);
    assert.ok(shift < 0.01, `cumulative layout shift while playing: ${shift}`);
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `no horizontal scrolling: the page is ${scrollWidth} px wide`);
    assert.deepEqual(consoleErrors, []);
    await page.screenshot({ path: path.join(SHOTS, `standard-${width}.png`), fullPage: true });
  });
}

test('`node www/server.mjs` (what ./build.sh serve runs) prints one URL; Ctrl-C stops the page, the emulator and workerd', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [path.join(REPO, 'www', 'server.mjs')], { env: { ...process.env, PORT: '0', PLAYGATE_PKG: PKG }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const until = Date.now() + 60_000;
  while (!out.includes('\n') && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 1, `stdout: ${out}\nstderr: ${err}`);
  const url = /^playgate demo: (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(lines[0])?.[1];
  assert.ok(url, lines[0]);
  const config = await (await fetch(`${url}api/config`)).json();
  assert.equal((await fetch(url)).status, 200);
  const up = await fetch(`${config.gateUrl}/movie_id_123/playlist.m3u8`);
  assert.equal(up.status, 401, 'the gate answers (no token)');
  assert.equal((await fetch(`${config.cacheUrl}/cache/entitlements?key=viewer-premium`)).status, 401, 'the emulator answers (no token)');
  child.kill('SIGINT');
  assert.deepEqual(await exited, { code: 0, signal: null });
  for (const gone of [url, config.gateUrl, config.cacheUrl]) {
    await assert.rejects(fetch(gone, { signal: AbortSignal.timeout(2000) }), `${gone} still answers after Ctrl-C`);
  }
});
