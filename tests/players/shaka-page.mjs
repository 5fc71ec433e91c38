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
video.addEventListener('playing', () => { state.playing = true; });
video.addEventListener('waiting', () => { if (state.playing) state.waiting++; });
video.muted = true;
await player.attach(video);
player.configure({ streaming: { bufferingGoal: cfg.bufferingGoal ?? 10 } });
state.guard = guardShaka(player, {
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
try {
  await player.load(cfg.src);
  await video.play().catch(() => {});
} catch (error) {
  record(error);
}
