// playgate/hls: `guardHls(hls, options)` makes an hls.js player enforce a playgate decision
// (issue 16). Plain JS over the player module (no second .wasm): the master playlist is capped
// with `filterManifest` inside hls.js's own playlist loader, before hls.js parses it, so no level
// above the cap exists for ABR, a manual `currentLevel`, or a master loaded again; every request
// (playlists and fragments) is checked against the scope and the cap before it leaves, and
// carries the playback token; the token is refreshed before it expires, without a reload.
// Owns the loaders it installs; the request check, log and token refresh are guard.mjs's, the
// rules playgate's.
//
// Why a loader and not MANIFEST_PARSED + removeLevel: a loader sees the master before hls.js
// does, on every load (loadSource again, a redundant-stream reload), and refuses a request
// before it is sent; level removal races hls.js's own start and never removes the last level.

import { filterManifest, qualityForSize } from 'playgate';
import { UNKNOWN_VIDEO, coded, guardCore } from './guard.mjs';

export { tokenExpiry } from './guard.mjs';

/**
 * Guards an hls.js player (before `loadSource`): `{ requests, detach() }`. Options: `decision`
 * (policy.evaluate(...) or store.decide(...)), `token` (the playback token, sent as
 * `Authorization: Bearer`, or `?token=` with tokenIn: 'query'), `scope` (a PermissionScope:
 * keys outside it are refused before any request), `refresh` (async () => a new token, called
 * `refreshBeforeSeconds` (60) before the token's exp), `cacheName` ('media').
 * A denied decision, a refused request or a failed refresh is a fatal hls.js ERROR whose
 * `error.code` is the reason's code (the decision's for a denial), raised before any request.
 */
export function guardHls(hls, options) {
  if (hls === null || typeof hls !== 'object' || hls.config === null || typeof hls.config !== 'object' || typeof hls.on !== 'function') {
    throw coded('INVALID_ARGUMENT', 'hls: expected an hls.js instance (new Hls(...))');
  }
  const Hls = hls.constructor;
  const Base = hls.config.loader;
  const saved = { pLoader: hls.config.pLoader, fLoader: hls.config.fLoader };
  let failed = false;
  const fail = (error) => {
    if (failed) return;
    failed = true;
    hls.stopLoad();
    hls.trigger(Hls.Events.ERROR, { type: Hls.ErrorTypes.OTHER_ERROR, details: 'playgateRefused', fatal: true, error, reason: error.message });
  };
  const core = guardCore(options, fail);

  /**
   * The quality of what a loader context asks for: its level's size, when hls.js knows it;
   * UNKNOWN_VIDEO for a level (its playlist, its segments) of no known size that may be video
   * (no CODECS, as a media playlist loaded without its master, or a video codec); null for the
   * rest (the master, audio and subtitle tracks, an audio-only level).
   */
  function qualityOf(context) {
    const main = context.frag ? context.frag.type === 'main' : context.type === 'level';
    if (!main) return null;
    const index = context.frag ? context.frag.level : context.level;
    const level = typeof index === 'number' ? hls.levels?.[index] : undefined;
    if (level && level.height > 0) return qualityForSize(level.width || 0, level.height);
    return level?.audioCodec && !level.videoCodec ? null : UNKNOWN_VIDEO;
  }

  class GuardedLoader extends Base {
    load(context, config, callbacks) {
      const verdict = core.check(context.url, qualityOf(context));
      const entry = core.log(context.url, verdict);
      this.playgateEntry = entry;
      if (!verdict.allowed) {
        // Refused before anything is sent: the error carries the code; hls.js does not retry a 403.
        const stats = this.stats;
        queueMicrotask(() => {
          callbacks.onError({ code: 403, text: `playgate: ${verdict.reason}` }, context, null, stats);
          if (verdict.reason !== 'QUALITY_EXCEEDS_ENTITLEMENT') fail(coded(verdict.reason, `playgate refused ${context.url}: ${verdict.reason}`));
        });
        return;
      }
      context.url = core.withToken(context.url);
      if (core.tokenIn === 'header' && core.tokenGoesTo(context.url)) context.headers = { ...context.headers, Authorization: `Bearer ${core.token}` };
      const capMaster = context.type === 'manifest' && core.cap !== null;
      const { onSuccess, onError, onTimeout } = callbacks;
      callbacks = {
        ...callbacks,
        onSuccess(response, stats, ctx, details) {
          entry.status = response.code ?? 200;
          if (capMaster && typeof response.data === 'string' && response.data.includes('#EXT-X-STREAM-INF')) {
            try {
              response.data = filterManifest(response.data, { maxQuality: core.cap }).text;
            } catch (error) {
              fail(error);
              return;
            }
          }
          onSuccess(response, stats, ctx, details);
        },
        onError(error, ctx, details, stats) {
          entry.status = error?.code ?? 0;
          onError(error, ctx, details, stats);
        },
        onTimeout(stats, ctx, details) {
          entry.status = 0;
          onTimeout?.(stats, ctx, details);
        },
      };
      super.load(context, config, callbacks);
    }

    abort() {
      if (this.playgateEntry?.status === null) this.playgateEntry.status = 0; // no answer will come
      super.abort();
    }
  }

  hls.config.pLoader = GuardedLoader;
  hls.config.fLoader = GuardedLoader;
  if (!core.decision.allowed) {
    // Denied: nothing may load; the player hears why at once.
    queueMicrotask(() => fail(coded(core.decision.code ?? 'DENIED', `playgate denied playback: ${core.decision.code}`)));
  }
  core.start();
  return {
    requests: core.requests,
    detach() {
      core.stop();
      hls.config.pLoader = saved.pLoader;
      hls.config.fLoader = saved.fLoader;
    },
  };
}
