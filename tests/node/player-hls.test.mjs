// playgate/hls with the real hls.js (npm) in headless Chromium (playwright-core driving Debian's
// Chromium), playing the ffmpeg ladder through the edge gate in real workerd (media-stack.mjs:
// the gate reads the media from the cache emulator). The page (tests/players/hls-page.mjs) is
// bundled with esbuild from the packed package, as an app would bundle it, and served from
// another origin than the gate's (the gate's `cors` option). Truth comes from outside the code
// under test: what Chromium's network log says was requested, what the emulator says was read,
// the decoder's picture height, and playgate's own decision for the document given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCOPE, emu, keysRead, playbackToken, putPreroll, startGate } from './media-stack.mjs';
import { startPlayerPages } from './player-pages.mjs';

const pages = await startPlayerPages(['hls']);
const { PAGE } = pages;
const open = (t, cfg) => pages.open(t, 'hls', cfg);
test.after(async () => {
  await pages.close();
  await emu.close();
});

let gate;
test.before(async (t) => {
  gate = await startGate(t, { via: 'uri', cors: { origins: [PAGE] } });
});

const gateRequests = (requests) => requests.filter((u) => u.startsWith(gate.base));

test('a standard (HD) viewer plays; no request above HD leaves the page, also after a forced switch to the top level and a master loaded again', { timeout: 120_000 }, async (t) => {
  // The token lets the edge serve UHD1: the HD cap that holds here is the guard's alone (the
  // page's decision), not the gate's.
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const from = emu.requests.length;
  const { page, requests, errors, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: `${gate.base}/demo/playlist.m3u8`, token });
  await page.waitForFunction(() => window.playgateTest?.playing && document.querySelector('video')?.currentTime > 1, null, { timeout: 60_000 });
  const before = await state();
  assert.equal(before.decision.maxQuality, 'HD');
  assert.deepEqual(before.levels, [480, 1080], 'the capped ladder');
  await page.evaluate(() => { const { hls } = window.playgateTest; hls.currentLevel = hls.levels.length - 1; });
  await page.waitForFunction(() => document.querySelector('video')?.currentTime > 6, null, { timeout: 60_000 });
  const after = await state();
  assert.equal(after.height, 1080, 'playing the top allowed rendition');
  assert.deepEqual(after.errors.filter((e) => e.fatal), []);
  assert.ok(gateRequests(requests).some((u) => u.includes('/1080p/seg-')), 'fetched 1080p segments');
  // The master loaded again mid-stream (loadSource with the same URL): still capped.
  const masters = gateRequests(requests).filter((u) => u.includes('/demo/playlist.m3u8')).length;
  await page.evaluate(() => {
    const { hls } = window.playgateTest;
    window.reparsed = new Promise((resolve) => hls.once('hlsManifestParsed', (_, data) => resolve(data.levels.map((l) => l.height))));
    hls.loadSource(hls.url);
  });
  assert.deepEqual(await page.evaluate(() => window.reparsed), [480, 1080], 'the reloaded master is capped too');
  await page.evaluate(() => { const { hls } = window.playgateTest; hls.currentLevel = hls.levels.length - 1; });
  await page.waitForFunction(() => document.querySelector('video')?.currentTime > 10, null, { timeout: 60_000 });
  assert.equal(gateRequests(requests).filter((u) => u.includes('/demo/playlist.m3u8')).length, masters + 1, 'the master was fetched again');
  assert.deepEqual(gateRequests(requests).filter((u) => u.includes('/2160p/')), [], 'nothing above HD on the network log');
  assert.deepEqual(keysRead(from).filter((k) => k.includes('/2160p/')), [], 'nor at the origin');
  const end = await state();
  assert.ok(end.guarded.length > 0 && end.guarded.every((r) => r.allowed), 'every request the guard saw was allowed');
  assert.deepEqual(end.errors.filter((e) => e.fatal), []);
  assert.deepEqual(errors, []);
});

test('a premium (UHD1) viewer plays and reaches the 2160p rendition', { timeout: 120_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"UHD1"}', src: `${gate.base}/demo/playlist.m3u8`, token });
  await page.waitForFunction(() => window.playgateTest?.playing, null, { timeout: 60_000 });
  await page.evaluate(() => { const { hls } = window.playgateTest; hls.currentLevel = hls.levels.length - 1; });
  await page.waitForFunction(() => document.querySelector('video')?.videoHeight === 2160, null, { timeout: 60_000 });
  const s = await state();
  assert.deepEqual(s.levels, [480, 1080, 2160]);
  assert.ok(gateRequests(requests).some((u) => u.includes('/2160p/seg-')), 'a 2160p segment on the network log');
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});

test('an interstitial\'s asset player (a preroll of a 2160p title) is capped as the player is: its ladder stops at HD, nothing above HD leaves the page', { timeout: 120_000 }, async (t) => {
  // A title whose one rendition (480p) opens with a preroll (RFC 8216bis interstitial, CUE=PRE).
  // The preroll is the demo title's full ladder, its URI carrying a token the gate serves 2160p
  // for: hls.js plays it in an asset player built from the app's own configuration.
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const src = `${gate.base}${putPreroll(`${gate.base}/demo/playlist.m3u8?token=${token}`)}`;

  const from = emu.requests.length;
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src, token });
  await page.waitForFunction(() => window.playgateTest?.assetLevels.length > 0 || window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('video')?.currentTime > 2, null, { timeout: 60_000 });
  const s = await state();
  assert.deepEqual(s.assetLevels[0], [480, 1080], 'the preroll\'s ladder, as hls.js parsed it, is capped');
  assert.ok(gateRequests(requests).some((u) => u.includes('/demo/playlist.m3u8')), 'the preroll was loaded from the gate');
  assert.ok(s.guarded.some((r) => r.url.includes('/demo/playlist.m3u8') && r.allowed), 'through the guard');
  assert.deepEqual(gateRequests(requests).filter((u) => u.includes('/2160p/')), [], 'nothing above HD on the network log');
  assert.deepEqual(keysRead(from).filter((k) => k.includes('/2160p/')), [], 'nor at the origin');
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});

test('a denied viewer makes no media request and the player error carries the decision\'s code', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' });
  const { page, requests, state } = await open(t, { entitlement: '{"region":[]}', request: { entityId: 'demo', now: new Date().toISOString(), country: 'US' }, src: `${gate.base}/demo/playlist.m3u8`, token });
  await page.waitForFunction(() => window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 30_000 });
  await page.waitForTimeout(500);
  const s = await state();
  assert.equal(s.decision.allowed, false);
  assert.equal(s.decision.code, 'COUNTRY_NOT_ALLOWED');
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'COUNTRY_NOT_ALLOWED'), JSON.stringify(s.errors));
  assert.deepEqual(gateRequests(requests), [], 'no request reached the gate');
});

test('a media playlist loaded without its master under a cap: its segments are of no known quality, refused before they leave the page', { timeout: 60_000 }, async (t) => {
  // hls.js makes a level of no size from a media playlist; the cap cannot be held to it, so no
  // segment goes (filterManifest and the gate refuse unsized video alike).
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: `${gate.base}/demo/2160p/index.m3u8`, token });
  await page.waitForFunction(() => window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 30_000 });
  const s = await state();
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'RENDITION_UNKNOWN'), JSON.stringify(s.errors));
  assert.deepEqual(gateRequests(requests).filter((u) => !u.includes('.m3u8')), [], 'no segment left the page');
});

test('a key outside the scope is refused before the request leaves the page', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' });
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: `${gate.base}/other/playlist.m3u8`, token, scope: SCOPE });
  await page.waitForFunction(() => window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 30_000 });
  const s = await state();
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'SCOPE_DENIED'), JSON.stringify(s.errors));
  assert.deepEqual(s.guarded.map((r) => [r.allowed, r.reason]), [[false, 'SCOPE_DENIED']]);
  assert.deepEqual(gateRequests(requests), [], 'the refused request never left the page');
});

test('a 10-second token is refreshed during 30 seconds of playback: no reload, no stall, no fatal error, segments after its exp still load', { timeout: 120_000 }, async (t) => {
  const ent = { maxQuality: 'HD' };
  const token = await playbackToken(ent, SCOPE, 'ES256', 10);
  const issued = pages.tokensIssued();
  const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp) * 1000;
  const { page, requests, sent, state } = await open(t, {
    entitlement: '{"max_quality":"HD"}', src: `${gate.base}/demo/playlist.m3u8`, token, maxBufferLength: 4,
    refreshBeforeSeconds: 4, loop: true, refreshUrl: `${PAGE}/token?seconds=10&ent=${encodeURIComponent(JSON.stringify(ent))}`,
  });
  // 30 seconds of playback (the 20-second clip, then again from its start).
  await page.waitForFunction(() => window.playgateTest?.played >= 30, null, { timeout: 90_000, polling: 500 });
  const s = await state();
  assert.ok(s.refreshes >= 1 && pages.tokensIssued() > issued, `refreshed ${s.refreshes} times`);
  assert.deepEqual(s.errors.filter((e) => e.fatal), [], 'no fatal error');
  assert.equal(gateRequests(requests).filter((u) => u.includes('/playlist.m3u8')).length, 1, 'the master was loaded once: no reload');
  assert.ok(gateRequests(requests).some((u) => u.includes('/seg-5.m4s')), 'the last segments loaded');
  const toGate = sent.filter((r) => r.url.startsWith(gate.base) && !r.url.endsWith('/playlist.m3u8') && r.token !== '');
  assert.ok(toGate.some((r) => r.at > expiresAt), 'requests were made after the first token expired');
  assert.deepEqual(toGate.filter((r) => r.at > expiresAt && r.token === token).map((r) => r.url), [], 'none of them with the expired token');
  assert.ok(new Set(toGate.map((r) => r.token)).size >= 2, 'the requests carried the refreshed token');
  assert.equal(s.waiting, 0, "no stall: no 'waiting' after playback started (the loop's seek back aside)");
  t.diagnostic(`refreshes ${s.refreshes}, waiting events after start ${s.waiting}`);
});

test('a refresh that keeps failing is retried, then a fatal TOKEN_REFRESH_FAILED: playback never goes on with the expired token', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' }, SCOPE, 'ES256', 6);
  const expiresAt = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp * 1000;
  const { page, sent, state } = await open(t, {
    entitlement: '{"max_quality":"HD"}', src: `${gate.base}/demo/playlist.m3u8`, token, maxBufferLength: 2, refreshBeforeSeconds: 5,
    refreshUrl: `${PAGE}/token?fail=1`,
  });
  await page.waitForFunction(() => window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 30_000 });
  await page.waitForTimeout(1000);
  const s = await state();
  assert.ok(s.refreshes >= 2, `retried: ${s.refreshes} attempts`);
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'TOKEN_REFRESH_FAILED'), JSON.stringify(s.errors));
  assert.deepEqual(sent.filter((r) => r.url.startsWith(gate.base) && r.at > expiresAt + 500).map((r) => r.url), [], 'no request after exp');
});
