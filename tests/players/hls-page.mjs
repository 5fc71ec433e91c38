// The test page of tests/node/player-hls.test.mjs: a web player as an app would write it with
// hls.js and playgate/hls, bundled with esbuild from the packed package. Its configuration comes
// in the page URL (?cfg=JSON): the entitlement document and request (decided here by playgate's
// Policy), the master URL on the gate, the viewer's token, scope, and the refresh URL. What the
// test reads: window.playgateTest ({ decision, errors, events, refreshes, guard, hls }).
import Hls from 'hls.js';
import { Entitlement, PermissionScope, Policy } from 'playgate';
import { guardHls } from 'playgate/hls';

const cfg = JSON.parse(new URLSearchParams(location.search).get('cfg'));
const decision = new Policy().evaluate(Entitlement.fromBlob(cfg.entitlement), cfg.request);
const state = { decision, errors: [], events: [], refreshes: 0, waiting: 0, playing: false, levels: () => hls.levels.map((l) => l.height) };
window.playgateTest = state;

const video = document.querySelector('video');
const hls = new Hls({ maxBufferLength: cfg.maxBufferLength ?? 30, maxMaxBufferLength: cfg.maxBufferLength ?? 60, capLevelToPlayerSize: false });
const guard = guardHls(hls, {
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
state.guard = guard;
state.hls = hls;
hls.on(Hls.Events.ERROR, (_, data) => {
  state.errors.push({ fatal: data.fatal, details: data.details, code: data.error?.code ?? null, response: data.response?.code ?? null });
});
hls.on(Hls.Events.MANIFEST_LOADING, () => state.events.push('MANIFEST_LOADING'));
video.addEventListener('playing', () => { state.playing = true; });
video.addEventListener('waiting', () => { if (state.playing) state.waiting++; });
video.muted = true;
hls.attachMedia(video);
hls.loadSource(cfg.src);
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
