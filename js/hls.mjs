// playgate/hls: `guardHls(hls, options)` makes an hls.js player enforce a playgate decision
// (issue 16). Plain JS over the player module (no second .wasm): the master playlist is capped
// with `filterManifest` inside hls.js's own playlist loader, before hls.js parses it, so no level
// above the cap exists for ABR, a manual `currentLevel`, or a master loaded again; every request
// (playlists and fragments) is checked against the scope and the cap before it leaves, and
// carries the playback token; the token is refreshed before it expires, without a reload.
// Owns the loaders it installs, the request log and the refresh timer; the rules are playgate's.
//
// Why a loader and not MANIFEST_PARSED + removeLevel: a loader sees the master before hls.js
// does, on every load (loadSource again, a redundant-stream reload), and refuses a request
// before it is sent; level removal races hls.js's own start and never removes the last level.

import { filterManifest, qualityForSize } from 'playgate';

const RANKS = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };

/** A coded Error (the decision's code, or the guard's own), as playgate's errors are. */
function coded(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/** The `exp` (epoch seconds) of a JWT, read without verifying it (the edge verifies); or null. */
export function tokenExpiry(token) {
  try {
    const payload = token.split('.')[1];
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof json.exp === 'number' && Number.isFinite(json.exp) ? json.exp : null;
  } catch {
    return null;
  }
}

/**
 * The shared part of guardHls and guardShaka: the options read and checked, the request check,
 * the request log, the token and its refresh. `fail(error)` surfaces a fatal error in the player.
 */
export function guardCore(options, fail) {
  if (options === null || typeof options !== 'object') throw coded('INVALID_ARGUMENT', 'options: expected { decision, token?, scope?, refresh?, refreshBeforeSeconds? }');
  const {
    decision, token: firstToken = null, scope = null, refresh = null, refreshBeforeSeconds = 60,
    tokenIn = 'header', cacheName = 'media', clock = Date.now,
  } = options;
  if (decision === null || typeof decision !== 'object' || typeof decision.allowed !== 'boolean') {
    throw coded('INVALID_ARGUMENT', 'decision: expected a playgate decision ({ allowed, code, maxQuality, ... })');
  }
  const cap = decision.allowed ? decision.maxQuality ?? null : null;
  if (cap !== null && RANKS[cap] === undefined) throw coded('INVALID_ARGUMENT', `decision.maxQuality: ${String(cap)} is not a quality`);
  if (firstToken !== null && typeof firstToken !== 'string') throw coded('INVALID_ARGUMENT', 'token: expected a string');
  if (scope !== null && (typeof scope !== 'object' || typeof scope.allows !== 'function')) throw coded('INVALID_ARGUMENT', 'scope: expected a PermissionScope');
  if (refresh !== null && typeof refresh !== 'function') throw coded('INVALID_ARGUMENT', 'refresh: expected an async function returning the new token');
  if (!Number.isFinite(refreshBeforeSeconds) || refreshBeforeSeconds < 0) throw coded('INVALID_ARGUMENT', 'refreshBeforeSeconds: expected seconds, 0 or more');
  if (tokenIn !== 'header' && tokenIn !== 'query') throw coded('INVALID_ARGUMENT', "tokenIn: expected 'header' or 'query'");

  const requests = [];
  let token = firstToken;
  let timer = null;
  let stopped = false;

  /** Whether `url` (a rendition of `quality`, or null when unknown) may be requested: `{ allowed, reason }`. */
  function check(url, quality) {
    if (!decision.allowed) return { allowed: false, reason: decision.code ?? 'DENIED' };
    if (stopped && refresh !== null && token === null) return { allowed: false, reason: 'TOKEN_EXPIRED' };
    if (cap !== null && quality !== null && RANKS[quality] > RANKS[cap]) return { allowed: false, reason: 'QUALITY_EXCEEDS_ENTITLEMENT' };
    if (scope !== null) {
      let key;
      try {
        key = decodeURIComponent(new URL(url, globalThis.location?.href).pathname);
      } catch {
        return { allowed: false, reason: 'INVALID_PATH' };
      }
      if (!scope.allows('get', cacheName, key)) return { allowed: false, reason: 'SCOPE_DENIED' };
    }
    return { allowed: true, reason: null };
  }

  /** `url` with the token in its query (tokenIn: 'query'). */
  function withToken(url) {
    if (token === null || tokenIn !== 'query') return url;
    const u = new URL(url, globalThis.location?.href);
    u.searchParams.set('token', token);
    return u.href;
  }

  /** Refresh `refreshBeforeSeconds` before `exp`; on failure retry with back-off until exp, then fail. */
  function schedule() {
    if (refresh === null || token === null || stopped) return;
    const exp = tokenExpiry(token);
    if (exp === null) return;
    const due = exp * 1000 - refreshBeforeSeconds * 1000 - clock();
    let delay = 1000;
    const attempt = async () => {
      timer = null;
      if (stopped) return;
      try {
        const next = await refresh();
        if (typeof next !== 'string' || next === '') throw coded('TOKEN_REFRESH_FAILED', 'refresh: returned no token');
        if (stopped) return;
        token = next;
        schedule();
      } catch (error) {
        if (stopped) return;
        if (clock() + delay >= exp * 1000) {
          token = null;
          stopped = true;
          fail(coded('TOKEN_REFRESH_FAILED', `the playback token expires and could not be refreshed: ${String(error?.message ?? error)}`));
          return;
        }
        timer = setTimeout(attempt, delay);
        delay = Math.min(delay * 2, 30_000);
      }
    };
    timer = setTimeout(attempt, Math.max(0, due));
  }

  return {
    decision,
    cap,
    requests,
    check,
    withToken,
    get token() {
      return token;
    },
    log(url, verdict) {
      requests.push({ url, allowed: verdict.allowed, reason: verdict.reason });
    },
    start() {
      schedule();
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

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

  /** The quality of what a loader context asks for: its level's size, when hls.js knows it. */
  function qualityOf(context) {
    const index = context.frag ? context.frag.level : context.type === 'level' ? context.level : null;
    const level = typeof index === 'number' ? hls.levels?.[index] : undefined;
    return level && level.height > 0 ? qualityForSize(level.width || 0, level.height) : null;
  }

  class GuardedLoader extends Base {
    load(context, config, callbacks) {
      const verdict = core.check(context.url, qualityOf(context));
      core.log(context.url, verdict);
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
      if (core.token !== null && options.tokenIn !== 'query') context.headers = { ...context.headers, Authorization: `Bearer ${core.token}` };
      if (context.type === 'manifest' && core.cap !== null) {
        const onSuccess = callbacks.onSuccess;
        callbacks = {
          ...callbacks,
          onSuccess(response, stats, ctx, details) {
            if (typeof response.data === 'string' && response.data.includes('#EXT-X-STREAM-INF')) {
              try {
                response.data = filterManifest(response.data, { maxQuality: core.cap }).text;
              } catch (error) {
                fail(error);
                return;
              }
            }
            onSuccess(response, stats, ctx, details);
          },
        };
      }
      super.load(context, config, callbacks);
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
