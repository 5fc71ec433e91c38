// The test page of tests/node/player-shaka.test.mjs: a web player as an app would write it with
// Shaka Player and playgate/shaka, bundled with esbuild from the packed package. Its
// configuration comes in the page URL (?cfg=JSON), as hls-page.mjs's. What the test reads:
// window.playgateTest ({ decision, errors, refreshes, waiting, playing, levels(), guard, player }).
import shaka from 'shaka-player/dist/shaka-player.compiled.js';
import { Entitlement, PermissionScope, Policy } from 'playgate';
import { guardShaka } from 'playgate/shaka';

const cfg = JSON.parse(new URLSearchParams(location.search).get('cfg'));
const decision = new Policy().evaluate(Entitlement.fromBlob(cfg.entitlement), cfg.request);
const video = document.querySelector('video');
shaka.polyfill.installAll();
const player = new shaka.Player();
const state = {
  decision, errors: [], refreshes: 0, waiting: 0, playing: false, player,
  levels: () => [...new Set(player.getVariantTracks().map((t) => t.height))].sort((a, b) => a - b),
};
window.playgateTest = state;

const record = (error) => state.errors.push({ fatal: error.severity === shaka.util.Error.Severity.CRITICAL, shaka: error.code, code: error.data?.[0]?.code ?? null });
player.addEventListener('error', (event) => record(event.detail));
let looping = false; // a 'waiting' while the loop seeks back is not a stall
video.addEventListener('playing', () => { state.playing = true; looping = false; });
// cfg.loop: the clip played again from the start when it ends, so that a test can watch longer
// than the clip (`state.played`: seconds of media played in all).
state.played = 0;
let lastTime = 0;
video.addEventListener('timeupdate', () => {
  if (video.currentTime > lastTime && video.currentTime - lastTime < 1.5) state.played += video.currentTime - lastTime;
  lastTime = video.currentTime;
});
video.addEventListener('ended', () => {
  if (!cfg.loop) return;
  looping = true;
  lastTime = 0;
  video.currentTime = 0;
  video.play().catch(() => {});
});
video.addEventListener('waiting', () => { if (state.playing && !looping) state.waiting++; });
video.muted = true;
await player.attach(video);
player.configure({ streaming: { bufferingGoal: cfg.bufferingGoal ?? 10 } });
if (cfg.micro) state.micro = microbench();
// cfg.bare: the same player without the guard (the bench's baseline): the token in the MPD's
// query, the gate's segment tokens carry it on.
state.guard = cfg.bare ? null : guardShaka(player, {
  decision,
  token: cfg.token,
  scope: cfg.scope ? PermissionScope.fromJson(cfg.scope) : null,
  refreshBeforeSeconds: cfg.refreshBeforeSeconds ?? 60,
  refresh: cfg.refreshUrl ? async () => {
    state.refreshes++;
    const res = await fetch(cfg.refreshUrl);
    if (!res.ok) throw new Error(`refresh: ${res.status}`);
    return res.text();
  } : null,
});
const started = performance.now();
video.requestVideoFrameCallback?.(() => { state.firstFrameMs = performance.now() - started; });
try {
  await player.load(cfg.bare ? `${cfg.src}?token=${cfg.token}` : cfg.src);
  await video.play().catch(() => {});
} catch (error) {
  record(error);
}

/**
 * The guard's own cost per request (issue 16 point 6): its request filter, taken from a stand-in
 * player whose networking engine keeps the filters, against a filter that does nothing, over many
 * distinct segment requests with Shaka's request shape; ns per request.
 */
function microbench() {
  const filters = [];
  const engine = { registerRequestFilter: (f) => filters.push(f), registerResponseFilter() {}, unregisterRequestFilter() {}, unregisterResponseFilter() {} };
  guardShaka({ getNetworkingEngine: () => engine, configure() {} }, {
    decision, token: cfg.token, scope: cfg.scope ? PermissionScope.fromJson(cfg.scope) : null,
  });
  const guarded = filters[0];
  const bare = () => {};
  const requests = Array.from({ length: 1000 }, (_, i) => ({ uris: [`https://edge.example/demo/1080p/seg-${i}.m4s`], headers: {} }));
  const context = { type: 1, stream: { height: 1080, width: 1920 } };
  const run = (filter, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) filter(1, requests[i % 1000], context);
    return ((performance.now() - t0) * 1e6) / n;
  };
  run(guarded, 20000);
  run(bare, 20000);
  const rounds = [];
  for (let r = 0; r < 5; r++) rounds.push({ guarded: run(guarded, 50000), bare: run(bare, 50000) });
  return rounds;
}
