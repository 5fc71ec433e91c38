// The test page of tests/node/player-shaka.test.mjs: a web player as an app would write it with
// Shaka Player and playgate/shaka, bundled with esbuild from the packed package. Its
// configuration comes in the page URL (?cfg=JSON), as hls-page.mjs's. What the test reads:
// window.playgateTest (page-common.mjs's state, with guard, player and levels()).
import shaka from 'shaka-player/dist/shaka-player.compiled.js';
import { guardShaka } from 'playgate/shaka';
import { pageSetup } from './page-common.mjs';

const { cfg, video, state, guardOptions, timeFirstFrame } = pageSetup();
shaka.polyfill.installAll();
const player = new shaka.Player();
state.player = player;
state.levels = () => [...new Set(player.getVariantTracks().map((t) => t.height))].sort((a, b) => a - b);

const record = (error) => state.errors.push({ fatal: error.severity === shaka.util.Error.Severity.CRITICAL, shaka: error.code, code: error.data?.[0]?.code ?? null });
player.addEventListener('error', (event) => record(event.detail));
await player.attach(video);
player.configure({ streaming: { bufferingGoal: cfg.bufferingGoal ?? 10 } });
// cfg.bandwidth: ABR's first estimate (bits/s), as a fast network would give it.
if (cfg.bandwidth) player.configure({ abr: { defaultBandwidthEstimate: cfg.bandwidth } });
// HLS interstitials are played by Shaka's ad manager (in a player of its own): the ads started.
state.ads = 0;
player.getAdManager()?.addEventListener(shaka.ads.Utils.AD_STARTED, () => { state.ads++; });
if (cfg.micro) state.micro = microbench();
// cfg.bare: the same player without the guard (the bench's baseline): the token in the MPD's
// query, the gate's segment tokens carry it on.
state.guard = cfg.bare ? null : guardShaka(player, guardOptions());
timeFirstFrame();
try {
  await player.load(cfg.bare ? `${cfg.src}?token=${cfg.token}` : cfg.src);
  await video.play().catch(() => {});
  // cfg.midroll: an ad the app inserts at 1 s (client-side, Shaka's addCustomInterstitial).
  if (cfg.midroll) {
    player.getAdManager().addCustomInterstitial({
      id: 'midroll', groupId: null, startTime: 1, endTime: null, uri: cfg.midroll, mimeType: null, isSkippable: false, skipOffset: null,
      skipFor: null, canJump: false, resumeOffset: 0, playoutLimit: 4, once: true, pre: false, post: false, timelineRange: false,
      loop: false, overlay: null, displayOnBackground: false, currentVideo: null, background: null, clickThroughUrl: null, tracking: null,
    });
  }
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
  guardShaka({ getNetworkingEngine: () => engine, configure() {} }, guardOptions());
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
