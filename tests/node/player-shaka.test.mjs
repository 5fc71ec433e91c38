// playgate/shaka with the real Shaka Player (npm) in headless Chromium, playing the ffmpeg
// ladder's MPD through the edge gate in real workerd (media-stack.mjs), the page
// (tests/players/shaka-page.mjs) bundled from the packed package and served from another origin
// (player-pages.mjs). Truth from outside the code under test: Chromium's network log, the
// emulator's reads, the decoder's picture height, playgate's decision for the document given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCOPE, emu, keysRead, playbackToken, putPreroll, startGate } from './media-stack.mjs';
import { startPlayerPages } from './player-pages.mjs';

const pages = await startPlayerPages(['shaka']);
const open = (t, cfg) => pages.open(t, 'shaka', cfg);
test.after(async () => {
  await pages.close();
  await emu.close();
});

let gate;
test.before(async (t) => {
  gate = await startGate(t, { via: 'uri', cors: { origins: [pages.PAGE] } });
});
const gateRequests = (requests) => requests.filter((u) => u.startsWith(gate.base));
const MPD = () => `${gate.base}/demo/manifest.mpd`;

test('Shaka: a standard (HD) viewer plays; no request above HD leaves the page, also after selecting the top track', { timeout: 120_000 }, async (t) => {
  // The token lets the edge serve UHD1: the HD cap that holds here is the guard's alone (the
  // page's decision), not the gate's.
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const from = emu.requests.length;
  const { page, requests, errors, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: MPD(), token });
  await page.waitForFunction(() => window.playgateTest?.playing && document.querySelector('video')?.currentTime > 1, null, { timeout: 60_000 });
  const before = await state();
  assert.deepEqual(before.levels, [480, 1080], 'the capped ladder');
  await page.evaluate(() => {
    const { player } = window.playgateTest;
    player.configure({ abr: { enabled: false } });
    const top = player.getVariantTracks().sort((a, b) => b.height - a.height)[0];
    player.selectVariantTrack(top, true);
  });
  await page.waitForFunction(() => document.querySelector('video')?.videoHeight === 1080 && document.querySelector('video')?.currentTime > 5, null, { timeout: 60_000 });
  const after = await state();
  assert.deepEqual(after.errors.filter((e) => e.fatal), []);
  assert.ok(gateRequests(requests).some((u) => u.includes('/1080p/seg-')), 'fetched 1080p segments');
  assert.deepEqual(gateRequests(requests).filter((u) => u.includes('/2160p/')), [], 'nothing above HD on the network log');
  assert.deepEqual(keysRead(from).filter((k) => k.includes('/2160p/')), [], 'nor at the origin');
  assert.ok(after.guarded.length > 0 && after.guarded.every((r) => r.allowed));
  assert.deepEqual(errors, []);
});

test('Shaka: an ad the app inserts (a 2160p title, played by Shaka\'s ad manager in its own player) stays within the HD cap', { timeout: 120_000 }, async (t) => {
  // Shaka gives its ad player the main player's configuration and a copy of its request and
  // response filters: the guard's cap and checks go with them. ABR starts from a fast network's
  // estimate: without the guard the ad player fetches 2160p (run with `bare: true`: its 2160p
  // playlist and segments are on the network log).
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const from = emu.requests.length;
  const midroll = `${gate.base}/demo/playlist.m3u8?token=${token}`;
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: MPD(), token, midroll, bandwidth: 100e6 });
  await page.waitForFunction(() => window.playgateTest?.ads > 0 || window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 60_000 });
  await page.waitForTimeout(4000);
  const s = await state();
  assert.ok(s.ads > 0, 'the ad played');
  assert.ok(gateRequests(requests).some((u) => u.includes('/demo/playlist.m3u8')), 'the ad was loaded from the gate');
  assert.ok(s.guarded.some((r) => r.url.includes('/demo/playlist.m3u8') && r.allowed), 'through the guard\'s filters');
  assert.deepEqual(gateRequests(requests).filter((u) => u.includes('/2160p/')), [], 'nothing above HD on the network log');
  assert.deepEqual(keysRead(from).filter((k) => k.includes('/2160p/')), [], 'nor at the origin');
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});

test('Shaka: an HLS preroll (an RFC 8216bis interstitial of a 2160p title, played by Shaka\'s ad manager in its own player) stays within the HD cap', { timeout: 120_000 }, async (t) => {
  // The title opens with a preroll whose asset is the demo title's full ladder, its URI carrying
  // a token the gate serves 2160p for. Shaka reads the DATERANGE, gives its ad player the main
  // player's configuration and filters (as for an ad the app inserts, above): the guard's cap
  // holds there too. The same page without the guard (`bare: true`) plays the ad at 2160p.
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const from = emu.requests.length;
  const src = `${gate.base}${putPreroll(`${gate.base}/demo/playlist.m3u8?token=${token}`)}`;
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src, token, bandwidth: 100e6 });
  await page.waitForFunction(() => window.playgateTest?.ads > 0 || window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('video')?.videoHeight >= 1080 || window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 60_000 });
  // The picture when the ad first reaches HD or above (read now: the 8-second ad may end below).
  const height = await page.evaluate(() => document.querySelector('video').videoHeight);
  await page.waitForTimeout(3000);
  const s = await state();
  assert.ok(s.ads > 0, 'the preroll played');
  assert.equal(height, 1080, 'at the cap, the ad\'s top rendition within it');
  assert.ok(s.guarded.some((r) => r.url.includes('/demo/playlist.m3u8') && r.allowed), 'the preroll\'s master went through the guard\'s filters');
  assert.deepEqual(gateRequests(requests).filter((u) => u.includes('/2160p/')), [], 'nothing above HD on the network log');
  assert.deepEqual(keysRead(from).filter((k) => k.includes('/2160p/')), [], 'nor at the origin');
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});

test('Shaka: a premium (UHD1) viewer plays and reaches the 2160p representation', { timeout: 120_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'UHD1' });
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"UHD1"}', src: MPD(), token });
  await page.waitForFunction(() => window.playgateTest?.playing, null, { timeout: 60_000 });
  await page.evaluate(() => {
    const { player } = window.playgateTest;
    player.configure({ abr: { enabled: false } });
    player.selectVariantTrack(player.getVariantTracks().sort((a, b) => b.height - a.height)[0], true);
  });
  await page.waitForFunction(() => document.querySelector('video')?.videoHeight === 2160, null, { timeout: 60_000 });
  const s = await state();
  assert.deepEqual(s.levels, [480, 1080, 2160]);
  assert.ok(gateRequests(requests).some((u) => u.includes('/2160p/seg-')));
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});

test('Shaka: a denied viewer makes no request and the error carries the decision\'s code', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' });
  const { page, requests, state } = await open(t, { entitlement: '{"region":[]}', request: { entityId: 'demo', now: new Date().toISOString(), country: 'US' }, src: MPD(), token });
  await page.waitForFunction(() => window.playgateTest?.errors.length > 0, null, { timeout: 30_000 });
  const s = await state();
  assert.equal(s.decision.code, 'COUNTRY_NOT_ALLOWED');
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'COUNTRY_NOT_ALLOWED'), JSON.stringify(s.errors));
  assert.deepEqual(gateRequests(requests), [], 'no request reached the gate');
});

test('Shaka: a key outside the scope is refused before the request leaves the page', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' });
  const { page, requests, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: `${gate.base}/other/manifest.mpd`, token, scope: SCOPE });
  await page.waitForFunction(() => window.playgateTest?.errors.length > 0, null, { timeout: 30_000 });
  const s = await state();
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'SCOPE_DENIED'), JSON.stringify(s.errors));
  assert.deepEqual(gateRequests(requests), []);
});

test('Shaka: a 10-second token is refreshed during 30 seconds of playback, no stall, no fatal error, no request after its exp carries it', { timeout: 120_000 }, async (t) => {
  const ent = { maxQuality: 'HD' };
  const token = await playbackToken(ent, SCOPE, 'ES256', 10);
  const expiresAt = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp * 1000;
  const { page, requests, sent, state } = await open(t, {
    entitlement: '{"max_quality":"HD"}', src: MPD(), token, bufferingGoal: 4, refreshBeforeSeconds: 4, loop: true,
    refreshUrl: `${pages.PAGE}/token?seconds=10&ent=${encodeURIComponent(JSON.stringify(ent))}`,
  });
  // 30 seconds of playback (the 20-second clip, then again from its start).
  await page.waitForFunction(() => window.playgateTest?.played >= 30, null, { timeout: 90_000, polling: 500 });
  const s = await state();
  assert.ok(s.refreshes >= 1, `refreshed ${s.refreshes} times`);
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
  assert.equal(gateRequests(requests).filter((u) => u.includes('/manifest.mpd')).length, 1, 'the MPD was loaded once');
  const toGate = sent.filter((r) => r.url.startsWith(gate.base) && r.token !== '');
  assert.ok(toGate.some((r) => r.at > expiresAt), 'requests after the first token expired');
  assert.deepEqual(toGate.filter((r) => r.at > expiresAt && r.token === token).map((r) => r.url), []);
  assert.equal(s.waiting, 0, "no stall: no 'waiting' after playback started (the loop's seek back aside)");
  t.diagnostic(`refreshes ${s.refreshes}, waiting events after start ${s.waiting}`);
});

test('Shaka: a refresh that keeps failing is retried, then a fatal TOKEN_REFRESH_FAILED: playback never goes on with the expired token', { timeout: 60_000 }, async (t) => {
  const token = await playbackToken({ maxQuality: 'HD' }, SCOPE, 'ES256', 6);
  const expiresAt = JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp * 1000;
  const { page, sent, state } = await open(t, {
    entitlement: '{"max_quality":"HD"}', src: MPD(), token, bufferingGoal: 2, refreshBeforeSeconds: 5,
    refreshUrl: `${pages.PAGE}/token?fail=1`,
  });
  await page.waitForFunction(() => window.playgateTest?.errors.some((e) => e.fatal), null, { timeout: 30_000 });
  await page.waitForTimeout(1000);
  const s = await state();
  assert.ok(s.refreshes >= 2, `retried: ${s.refreshes} attempts`);
  assert.ok(s.errors.some((e) => e.fatal && e.code === 'TOKEN_REFRESH_FAILED'), JSON.stringify(s.errors));
  assert.deepEqual(sent.filter((r) => r.url.startsWith(gate.base) && r.at > expiresAt + 500).map((r) => r.url), [], 'no request after exp');
});

test('Shaka plays a whole static MPD on segment tokens alone, though they outlive their lifetime (4 s) many times over: a static MPD is loaded once', { timeout: 120_000 }, async (t) => {
  const shortGate = await startGate(t, { via: 'uri', cors: { origins: [pages.PAGE] }, lifetimeSeconds: 4 });
  const token = await playbackToken({ maxQuality: 'HD' });
  // bare: no guard, the playback token on the MPD's URL only; every later request carries the
  // segment token the gate wrote into the MPD, and nothing else.
  const { page, answered, state } = await open(t, { entitlement: '{"max_quality":"HD"}', src: `${shortGate.base}/demo/manifest.mpd`, token, bare: true, bufferingGoal: 2 });
  await page.waitForFunction(() => document.querySelector('video')?.currentTime > 14, null, { timeout: 60_000 });
  const s = await state();
  const toGate = answered.filter((a) => a.url.startsWith(shortGate.base));
  const mpds = toGate.filter((a) => a.url.includes('.mpd'));
  assert.equal(mpds.length, 1, 'the MPD was loaded once');
  const segments = toGate.filter((a) => a.url.includes('/seg-'));
  assert.ok(segments.length >= 6, `${segments.length} segments`);
  assert.ok(segments.every((a) => new URL(a.url).searchParams.has('segment_token') && !new URL(a.url).searchParams.has('token')), 'segment tokens alone');
  const first = mpds[0].at;
  assert.ok(segments.some((a) => a.at - first > 8_000), 'segments asked for well past the token\'s 4-second lifetime');
  assert.deepEqual(toGate.filter((a) => a.status !== 200), [], 'every answer 200');
  assert.deepEqual(s.errors.filter((e) => e.fatal), []);
});
