// What the two test pages (hls-page.mjs, shaka-page.mjs) share: the configuration from the page
// URL (?cfg=JSON), playgate's decision for the document it gives, the state the tests read
// (window.playgateTest), the video's playing/stall/loop bookkeeping, and the guard's options
// (the viewer's token, scope and refresh from the page's own /token).
import { Entitlement, PermissionScope, Policy } from 'playgate';

export function pageSetup() {
  const cfg = JSON.parse(new URLSearchParams(location.search).get('cfg'));
  const decision = new Policy().evaluate(Entitlement.fromBlob(cfg.entitlement), cfg.request);
  const video = document.querySelector('video');
  const state = { decision, errors: [], refreshes: 0, waiting: 0, playing: false, played: 0 };
  window.playgateTest = state;

  // `played`: seconds of media played in all; with cfg.loop the clip plays again from its start
  // when it ends, so that a test can watch longer than the clip. A 'waiting' while the loop seeks
  // back is not a stall.
  let looping = false;
  let lastTime = 0;
  video.addEventListener('playing', () => {
    state.playing = true;
    looping = false;
  });
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
  video.addEventListener('waiting', () => {
    if (state.playing && !looping) state.waiting++;
  });
  video.muted = true;

  /** The guard's options for this page's viewer. */
  const guardOptions = () => ({
    decision,
    token: cfg.token,
    scope: cfg.scope ? PermissionScope.fromJson(cfg.scope) : null,
    refreshBeforeSeconds: cfg.refreshBeforeSeconds ?? 60,
    tokenIn: cfg.tokenIn ?? 'header',
    refresh: cfg.refreshUrl ? async () => {
      state.refreshes++;
      const res = await fetch(cfg.refreshUrl);
      if (!res.ok) throw new Error(`refresh: ${res.status}`);
      return res.text();
    } : null,
  });

  /** Times from now to the first frame the video presents (state.firstFrameMs). */
  const timeFirstFrame = () => {
    const started = performance.now();
    video.requestVideoFrameCallback?.(() => { state.firstFrameMs = performance.now() - started; });
  };
  return { cfg, decision, video, state, guardOptions, timeFirstFrame };
}
