// hls.js plays a live stream through the edge gate in real workerd while the gate rotates its
// segment tokens (issue 16 point 3: "the same for a segment token the edge gate rotates"). The
// origin (media-stack.mjs's startLiveOrigin) serves growing EVENT playlists, so hls.js reloads
// each media playlist every few seconds and each reload brings segment URIs with a fresh
// `segment_token`, minted for 8 seconds. The player is hls.js without the guard, the playback
// token in the master's query only (as Safari's native HLS is given one): after the master, the
// segment tokens are the only credential, so a rotation that failed would show as a 403. The
// viewer pauses for twice the tokens' lifetime with a short buffer, so the segments asked for
// after it were first listed by playlists whose tokens have expired (hls.js keeps each segment's
// init segment, URL and all, from that first playlist: the case the init segments' file tokens
// are for, js/segments.mjs). Truth comes from outside the code under test: Chromium's network log
// (what was asked for, with which token, answered how), the tokens' own exp fields, and the
// origin's request log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCOPE, emu, playbackToken, startGate, startLiveOrigin } from './media-stack.mjs';
import { startPlayerPages } from './player-pages.mjs';

const LIFETIME_SECONDS = 8; // two segment durations: a token outlives its playlist reload, not the test
const PLAYED_SECONDS = 24;
const PAUSED_AFTER_SECONDS = 8;
const PAUSE_MS = 2 * LIFETIME_SECONDS * 1000;

const pages = await startPlayerPages(['hls']);
const { PAGE } = pages;
test.after(async () => {
  await pages.close();
  await emu.close();
});

/** The segment token in `url`'s query and its exp (epoch ms), or null. */
function segmentTokenOf(url) {
  const token = new URL(url).searchParams.get('segment_token');
  if (token === null) return null;
  return { token, expMs: Number(token.split('.')[1]) * 1000 };
}

test(`hls.js plays a live stream for ${PLAYED_SECONDS} s, paused ${PAUSE_MS / 1000} s on the way, while the gate rotates ${LIFETIME_SECONDS}-second segment tokens: every segment 200 before its token's exp, no stall, no reload`, { timeout: 120_000 }, async (t) => {
  const origin = await startLiveOrigin(t);
  const gate = await startGate(t, { via: 'uri', cors: { origins: [PAGE] }, origin: origin.url, lifetimeSeconds: LIFETIME_SECONDS });
  // SD: one rendition, the least decoding on a 2-core machine.
  const token = await playbackToken({ maxQuality: 'SD' }, SCOPE, 'ES256', 300);
  const { page, sent, answered, errors, state } = await pages.open(t, 'hls', {
    entitlement: '{"max_quality":"SD"}', src: `${gate.base}/demo/playlist.m3u8`, token, bare: true, maxBufferLength: 4,
  });
  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
  const played = (seconds) => page.waitForFunction((s) => window.playgateTest?.played >= s, seconds, { timeout: 60_000, polling: 250 });
  await played(PAUSED_AFTER_SECONDS);
  await page.evaluate(() => document.querySelector('video').pause());
  await page.waitForTimeout(PAUSE_MS);
  const resumedAt = Date.now();
  await page.evaluate(() => document.querySelector('video').play());
  // Longer than the 4 segments listed at first could play: the playlists grew while it played.
  await played(PLAYED_SECONDS);
  const s = await state();
  const checkedAt = Date.now();

  const toGate = sent.filter((r) => r.url.startsWith(gate.base));
  const isMaster = (r) => new URL(r.url).pathname === '/demo/playlist.m3u8';
  assert.equal(toGate.filter(isMaster).length, 1, 'the master was loaded once: no reload');
  assert.equal(navigations, 0, 'the page never navigated');
  const children = toGate.filter((r) => !isMaster(r)).map((r) => ({ ...r, ...segmentTokenOf(r.url) }));
  assert.deepEqual(children.filter((r) => r.token === undefined).map((r) => r.url), [], 'every request after the master carried a segment token');

  const segments = children.filter((r) => /\/seg-\d+\.(m4s|vtt)$/.test(new URL(r.url).pathname));
  const playlists = children.filter((r) => new URL(r.url).pathname.endsWith('/index.m3u8'));
  assert.deepEqual(segments.filter((r) => r.at >= r.expMs).map((r) => r.url), [], 'each segment was asked for before its own token\'s exp');
  const tokens = [...new Set(segments.map((r) => r.token))];
  assert.ok(tokens.length >= 3, `segments used ${tokens.length} distinct tokens`);
  // The tokens rotated because they had to: the stream outlived several of them.
  const lastSegmentAt = Math.max(...segments.map((r) => r.at));
  const outlived = tokens.filter((tk) => segments.find((r) => r.token === tk).expMs < lastSegmentAt);
  assert.ok(outlived.length >= 2, `segments were still asked for after ${outlived.length} tokens had expired`);
  assert.ok(segments.some((r) => r.at > resumedAt), 'segments were asked for after the pause');
  // Each rendition's later playlist reloads brought later tokens, never an older one.
  for (const rendition of new Set(segments.map((r) => new URL(r.url).pathname.split('/')[2]))) {
    const exps = segments.filter((r) => new URL(r.url).pathname.split('/')[2] === rendition).map((r) => r.expMs);
    assert.deepEqual(exps, [...exps].sort((a, b) => a - b), `${rendition}: token exps in request order`);
    assert.ok(new Set(exps).size >= 2, `${rendition}: its segments carried more than one token`);
  }
  // A media playlist reload keeps the token the master wrote into its URI: once that token is
  // past its exp, the gate renews it (until the viewing session ends) rather than refusing it.
  assert.ok(playlists.some((r) => r.at > r.expMs + 1000), 'media playlists were reloaded with their token past its exp');

  const answers = answered.filter((r) => r.url.startsWith(gate.base));
  // hls.js itself may cancel a request (a subtitle fragment at start-up, when it selects the
  // default track): Chromium says net::ERR_ABORTED and hls.js a non-fatal 'aborted'. A refusal
  // by the gate is an HTTP status, never that.
  const aborted = answers.filter((r) => r.status === 0 && r.failure === 'net::ERR_ABORTED');
  assert.deepEqual(answers.filter((r) => r.status !== 200 && !aborted.includes(r)).map((r) => `${r.status} ${r.failure ?? ''} ${r.url}`), [], 'every answer of the gate was 200');
  assert.deepEqual(s.errors.filter((e) => e.details !== 'aborted'), [], 'no player error but the player\'s own aborts');
  const loaded = segments.filter((r) => answers.some((a) => a.url === r.url && a.status === 200));
  const unanswered = segments.filter((r) => !answers.some((a) => a.url === r.url));
  assert.deepEqual(unanswered.filter((r) => r.at < checkedAt - 2000).map((r) => r.url), [], 'every segment was answered (bar one still in flight)');
  // The gate took the tokens off before the origin; the origin served each segment loaded.
  assert.deepEqual(origin.requests.filter((r) => r.path.includes('token=')).map((r) => r.path), [], 'no token reached the origin');
  const loadedUrls = new Set(loaded.map((r) => r.url)); // a request the player cancelled may be asked for again
  const servedByOrigin = origin.requests.filter((r) => /\/seg-\d+\./.test(r.path)).length;
  assert.ok(servedByOrigin >= loadedUrls.size, `the origin served the segments: ${servedByOrigin} of ${loadedUrls.size}`);

  assert.deepEqual(s.errors.filter((e) => e.fatal), [], 'no fatal player error');
  assert.equal(s.waiting, 0, 'no stall after playback started');
  assert.equal(s.height, 480);
  assert.deepEqual(errors, []);
  t.diagnostic(`segments ${segments.length} with ${tokens.length} tokens (${outlived.length} expired during playback), playlist loads ${playlists.length}, aborted by the player ${aborted.length}, init segment requests ${children.filter((r) => r.url.includes('/init.mp4')).length}, segment requests ${segments.length} (${loadedUrls.size} distinct URLs loaded, ${servedByOrigin} at the origin)`);
});
