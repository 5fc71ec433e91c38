// The part of playgate/hls and playgate/shaka that does not depend on the player: the options
// read and checked, the check of one request (the decision, the cap, the scope), the request
// log, the playback token and its refresh before `exp`. Owns the refresh timer.

import { fieldNames } from '../fields.mjs';
import { rawPathFault } from '../paths.mjs';

export const RANKS = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };
// What a player's part passes to `check` for video of no known quality (null: not video, or
// nothing to hold it to, such as a master playlist or an audio track).
export const UNKNOWN_VIDEO = 'unknown video';
// The request log keeps the latest MAX_LOGGED requests (about 11 hours of 4-second segments),
// trimmed LOG_TRIM at a time: dropping the oldest one per request would move 10,000 entries on
// every request (60 us each, measured in bench/players.mjs), a batch moves 10 per request.
const MAX_LOGGED = 10_000;
const ALLOWED = Object.freeze({ allowed: true, reason: null });
const LOG_TRIM = 1_000;

/** A coded Error (the decision's code, or the guard's own), as playgate's errors are. */
export function coded(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

// An absolute http(s) URL whose origin and path read the same by hand as by the WHATWG parser:
// a lowercase host of letters, digits, dots and dashes, a port that is not the scheme's own, a
// path of plain characters. `new URL` costs about 2 us in Chromium: a guard checks every request.
const PLAIN_URL = /^(https?):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::([1-9][0-9]{0,4}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)?(?:[?#]|$)/;
const DEFAULT_PORT = { http: '80', https: '443' };

/**
 * `{ origin, pathname }` of `url` (relative to the page's), as the WHATWG parser reads them;
 * null when it cannot be parsed. Plain absolute URLs are read by hand; dot segments in any form
 * (which the parser resolves) go to the parser.
 */
export function urlParts(url) {
  const m = typeof url === 'string' ? PLAIN_URL.exec(url) : null;
  if (m !== null) {
    const [, scheme, host, port, path = '/'] = m;
    if ((port === undefined || (Number(port) <= 65535 && port !== DEFAULT_PORT[scheme])) && !/\/\.|%2e/i.test(path)) {
      return { origin: `${scheme}://${host}${port === undefined ? '' : `:${port}`}`, pathname: path };
    }
  }
  try {
    const parsed = new URL(url, globalThis.location?.href);
    return { origin: parsed.origin, pathname: parsed.pathname };
  } catch {
    return null;
  }
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
const GUARD_OPTIONS = ['decision', 'token', 'scope', 'refresh', 'refreshBeforeSeconds', 'tokenIn', 'cacheName', 'clock', 'origins'];

export function guardCore(options, fail) {
  if (options === null || typeof options !== 'object') throw coded('INVALID_ARGUMENT', 'options: expected { decision, token?, scope?, refresh?, refreshBeforeSeconds? }');
  for (const name of fieldNames(options, true)) {
    // A misspelt option (`scopes`) would leave its check off unseen.
    if (!GUARD_OPTIONS.includes(name)) throw coded('INVALID_ARGUMENT', `options: unknown option ${JSON.stringify(name.slice(0, 64))} (the options: ${GUARD_OPTIONS.join(', ')})`);
  }
  const {
    decision: given, token: firstToken = null, scope = null, refresh = null, refreshBeforeSeconds = 60,
    tokenIn = 'header', cacheName = 'media', clock = Date.now, origins = [],
  } = options;
  if (given === null || typeof given !== 'object') {
    throw coded('INVALID_ARGUMENT', 'decision: expected a playgate decision ({ allowed, code, maxQuality, ... })');
  }
  // Read once: every request is checked against the fields as they were read here (a getter
  // that answers differently later changes nothing).
  let decision;
  try {
    decision = Object.freeze({ allowed: given.allowed, code: given.code ?? null, maxQuality: given.maxQuality, validUntil: given.validUntil });
  } catch (error) {
    throw coded('INVALID_ARGUMENT', `decision: could not be read: ${String(error?.message ?? error)}`);
  }
  if (typeof decision.allowed !== 'boolean') {
    throw coded('INVALID_ARGUMENT', 'decision: expected a playgate decision ({ allowed, code, maxQuality, ... })');
  }
  // An allowed decision says its cap (null: uncapped) and until when it holds (null: no end):
  // a field left out is never read as "no cap" or "for ever".
  const cap = decision.allowed ? decision.maxQuality : null;
  const validUntil = decision.allowed ? decision.validUntil : null;
  if (cap === undefined) throw coded('INVALID_ARGUMENT', 'decision.maxQuality: expected a quality, or null for uncapped');
  if (cap !== null && !(typeof cap === 'string' && Object.hasOwn(RANKS, cap))) throw coded('INVALID_ARGUMENT', `decision.maxQuality: ${String(cap)} is not a quality`);
  if (validUntil !== null && !(typeof validUntil === 'number' && Number.isFinite(validUntil))) {
    throw coded('INVALID_ARGUMENT', 'decision.validUntil: expected epoch milliseconds, or null when the decision has no end');
  }
  if (firstToken !== null && typeof firstToken !== 'string') throw coded('INVALID_ARGUMENT', 'token: expected a string');
  if (scope !== null && (typeof scope !== 'object' || typeof scope.allows !== 'function')) throw coded('INVALID_ARGUMENT', 'scope: expected a PermissionScope');
  if (refresh !== null && typeof refresh !== 'function') throw coded('INVALID_ARGUMENT', 'refresh: expected an async function returning the new token');
  if (!Number.isFinite(refreshBeforeSeconds) || refreshBeforeSeconds < 0) throw coded('INVALID_ARGUMENT', 'refreshBeforeSeconds: expected seconds, 0 or more');
  if (tokenIn !== 'header' && tokenIn !== 'query') throw coded('INVALID_ARGUMENT', "tokenIn: expected 'header' or 'query'");
  if (typeof cacheName !== 'string' || !cacheName.trim()) throw coded('INVALID_ARGUMENT', 'cacheName: expected the name of the cache the scope is checked in');
  if (typeof clock !== 'function') throw coded('INVALID_ARGUMENT', 'clock: expected a function returning epoch milliseconds');
  // The time, or NaN when the clock gives no finite number: every comparison below is written so
  // that NaN is the closed answer (expired), never "not yet".
  const now = () => {
    const t = clock();
    return typeof t === 'number' && Number.isFinite(t) ? t : NaN;
  };
  // Where the token may go: the origin of the first request (the manifest the app loads) and
  // `origins`; a request to any other host is sent without it (a CDN's, a key server's, an ad's).
  const isOrigin = (o) => {
    try {
      return typeof o === 'string' && /^https?:\/\/[^/?#]+$/.test(o) && new URL(o).origin === o;
    } catch {
      return false; // not a URL (`http://[`): the same coded error
    }
  };
  if (!Array.isArray(origins) || !origins.every(isOrigin)) {
    throw coded('INVALID_ARGUMENT', "origins: expected origins such as 'https://cdn.example' (scheme, host, port; no path)");
  }
  const tokenOrigins = new Set(origins);
  let firstOrigin = null;

  const requests = [];
  let token = firstToken;
  let timer = null;
  let stopped = false;

  /**
   * Whether `url` may be requested: `{ allowed, reason }`. `quality`: the rendition's, or
   * UNKNOWN_VIDEO, or null for what is not video (playlists, audio, subtitles).
   */
  function check(url, quality, aheadMs = 0) {
    const held = checkAside(aheadMs);
    if (!held.allowed) return held;
    if (cap !== null && quality !== null && RANKS[quality] > RANKS[cap]) return { allowed: false, reason: 'QUALITY_EXCEEDS_ENTITLEMENT' };
    // Video whose quality the player does not know (a media playlist loaded without its master,
    // a stream without a height): under a cap it is not allowed, as filterManifest refuses it.
    if (cap !== null && quality === UNKNOWN_VIDEO) return { allowed: false, reason: 'RENDITION_UNKNOWN' };
    const parsed = partsOf(url);
    if (parsed === null) return { allowed: false, reason: 'INVALID_PATH' };
    // A path an origin may read as another file (encoded separators, dot segments, `;`, a `%`
    // left after decoding, Unicode that normalises to any of them): the edge gate's refusal.
    const { fault, decoded } = rawPathFault(parsed.pathname);
    if (fault !== null) return { allowed: false, reason: 'INVALID_PATH' };
    if (scope !== null && !scope.allows('get', cacheName, decoded)) return { allowed: false, reason: 'SCOPE_DENIED' };
    firstOrigin ??= parsed.origin;
    return ALLOWED;
  }

  /**
   * Whether what is not the title's media (a key, a steering manifest) may be requested;
   * `aheadMs`: how long after now it may be sent at the latest (a player's retry delay).
   */
  function checkAside(aheadMs = 0) {
    if (!decision.allowed) return { allowed: false, reason: decision.code ?? 'DENIED' };
    // The decision holds until its validUntil (docs/decision-rules.md): then a new one is needed.
    if (validUntil !== null && !(now() + aheadMs < validUntil)) return { allowed: false, reason: 'ENTITLEMENT_EXPIRED' };
    if (stopped && refresh !== null && token === null) return { allowed: false, reason: 'TOKEN_EXPIRED' };
    return ALLOWED;
  }

  // The last URL read: a request's URL is checked, then asked where its token goes.
  let lastUrl = null;
  let lastParts = null;
  function partsOf(url) {
    if (url !== lastUrl) {
      lastParts = urlParts(url);
      lastUrl = url;
    }
    return lastParts;
  }

  /** Whether the token goes with a request to `url` (its origin the first request's, or named in `origins`). */
  function tokenGoesTo(url) {
    if (token === null) return false;
    const origin = partsOf(url)?.origin;
    return origin !== undefined && (origin === firstOrigin || tokenOrigins.has(origin));
  }

  /** `url` with the token in its query (tokenIn: 'query', to an origin it goes to). */
  function withToken(url) {
    if (tokenIn !== 'query' || !tokenGoesTo(url)) return url;
    const u = new URL(url, globalThis.location?.href);
    u.searchParams.set('token', token);
    return u.href;
  }

  /** Refresh `refreshBeforeSeconds` before `exp`; on failure retry with back-off until exp, then fail. */
  function schedule() {
    if (refresh === null || token === null || stopped) return;
    const exp = tokenExpiry(token);
    if (exp === null) return;
    const due = exp * 1000 - refreshBeforeSeconds * 1000 - now();
    let delay = 1000;
    const attempt = async () => {
      timer = null;
      if (stopped) return;
      let deadline = null;
      try {
        // An attempt ends at exp at the latest: a refresh that never answers is a failure there.
        const next = await Promise.race([
          Promise.resolve().then(refresh),
          new Promise((_, reject) => {
            deadline = setTimeout(() => reject(coded('TOKEN_REFRESH_FAILED', 'refresh: no answer before the token expired')), Math.max(0, exp * 1000 - now() || 0));
          }),
        ]);
        if (typeof next !== 'string' || next === '') throw coded('TOKEN_REFRESH_FAILED', 'refresh: returned no token');
        const nextExp = tokenExpiry(next);
        if (nextExp !== null && !(nextExp * 1000 > now())) throw coded('TOKEN_REFRESH_FAILED', 'refresh: returned a token that has expired');
        if (stopped) return;
        token = next;
        schedule();
      } catch (error) {
        if (stopped) return;
        if (!(now() + delay < exp * 1000)) {
          token = null;
          stopped = true;
          fail(coded('TOKEN_REFRESH_FAILED', `the playback token expires and could not be refreshed: ${String(error?.message ?? error)}`));
          return;
        }
        timer = setTimeout(attempt, delay);
        delay = Math.min(delay * 2, 30_000);
      } finally {
        if (deadline !== null) clearTimeout(deadline);
      }
    };
    timer = setTimeout(attempt, Math.max(0, due || 0));
  }

  return {
    decision,
    cap,
    tokenIn,
    requests,
    check,
    checkAside,
    withToken,
    tokenGoesTo,
    get token() {
      return token;
    },
    /** Logs a request; the entry's `status` is the answer's HTTP status once it comes (0: none came). */
    log(url, verdict) {
      const entry = { url, allowed: verdict.allowed, reason: verdict.reason, status: null };
      requests.push(entry);
      // A live stream runs for days: the log keeps the latest MAX_LOGGED requests (and up to LOG_TRIM more).
      if (requests.length >= MAX_LOGGED + LOG_TRIM) requests.splice(0, requests.length - MAX_LOGGED);
      return entry;
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

