// The test page of tests/node/player-hls.test.mjs: a web player as an app would write it with
// hls.js and playgate/hls, bundled with esbuild from the packed package. Its configuration comes
// in the page URL (?cfg=JSON): the entitlement document and request (decided here by playgate's
// Policy), the master URL on the gate, the viewer's token, scope, and the refresh URL. What the
// test reads: window.playgateTest (page-common.mjs's state, with guard, hls and levels()).
import Hls from 'hls.js';
import { guardHls } from 'playgate/hls';
import { pageSetup } from './page-common.mjs';

const { cfg, video, state, guardOptions, timeFirstFrame } = pageSetup();
if (cfg.micro) state.micro = await microbench();
const hls = new Hls({ maxBufferLength: cfg.maxBufferLength ?? 30, maxMaxBufferLength: cfg.maxBufferLength ?? 60, backBufferLength: cfg.loop ? 0 : Infinity, capLevelToPlayerSize: false });
state.hls = hls;
state.levels = () => hls.levels.map((l) => l.height);
// cfg.bare: the same player without the guard (the bench's baseline): the token in the master's
// query, the gate's segment tokens carry it on.
state.guard = cfg.bare ? null : guardHls(hls, guardOptions());
// An interstitial's asset players (a preroll): the levels each parsed, and their fatal errors.
state.assetLevels = [];
hls.on(Hls.Events.INTERSTITIAL_ASSET_PLAYER_CREATED, (_, { player }) => {
  player.hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => state.assetLevels.push(data.levels.map((l) => l.height)));
});
hls.on(Hls.Events.ERROR, (_, data) => {
  state.errors.push({ fatal: data.fatal, details: data.details, code: data.error?.code ?? null, response: data.response?.code ?? null });
});
timeFirstFrame();
hls.attachMedia(video);
hls.loadSource(cfg.bare ? `${cfg.src}?token=${cfg.token}` : cfg.src);
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));

/**
 * The guard's own cost per request (issue 16 point 6): hls.js's loader path with a stub loader
 * (its load() does nothing), guarded and bare, over many distinct segment URLs; ns per request.
 */
async function microbench() {
  class StubLoader {
    constructor() { this.stats = {}; }
    load() {}
    abort() {}
    destroy() {}
  }
  const make = (guarded) => {
    const fake = new Hls({ loader: StubLoader });
    if (guarded) {
      guardHls(fake, guardOptions());
    }
    return new (fake.config.fLoader ?? StubLoader)(fake.config);
  };
  const urls = Array.from({ length: 1000 }, (_, i) => `https://edge.example/demo/1080p/seg-${i}.m4s`);
  const callbacks = { onSuccess() {}, onError() {}, onTimeout() {} };
  const run = (loader, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) loader.load({ url: urls[i % 1000], type: undefined, frag: undefined }, {}, callbacks);
    return ((performance.now() - t0) * 1e6) / n;
  };
  const guarded = make(true);
  const bare = make(false);
  run(guarded, 20000);
  run(bare, 20000);
  const rounds = [];
  for (let r = 0; r < 5; r++) rounds.push({ guarded: run(guarded, 50000), bare: run(bare, 50000) });
  return rounds;
}
