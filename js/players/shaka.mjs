// playgate/shaka: `guardShaka(player, options)` makes a Shaka Player enforce a playgate decision
// (issue 16), with the options and result of guardHls (guard.mjs). Plain JS over the player
// module (no second .wasm). Two layers for the cap: Shaka's own `restrictions` (hard: a track
// outside them is never chosen, by ABR or by selectVariantTrack) set from the cap, and a response
// filter that caps the MPD or HLS master itself with `filterManifest`, so no representation
// above the cap is even parsed (also on a live MPD's reloads). A request filter checks every
// request against the decision, the scope and the cap before it is sent, and attaches the token.
// Owns its two filters; the request check, log and token refresh are guard.mjs's.

import { filterManifest } from 'playgate';
import { RANKS, UNKNOWN_VIDEO, coded, guardCore } from './guard.mjs';

export { tokenExpiry } from './guard.mjs';

// The tallest picture of each quality (docs/decision-rules.md: SD below 720 lines, HD up to
// 1080, UHD1 up to 2160): Shaka's restrictions.maxHeight for a cap.
const MAX_HEIGHT = { SD: 719, HD: 1080, UHD1: 2160, UHD2: Infinity };
// shaka.net.NetworkingEngine.RequestType.MANIFEST and SEGMENT (stable since Shaka 2): the title's
// media. Other types (LICENSE, KEY, TIMING, ADS, CONTENT_STEERING...) are not: held to the
// decision and the token only, as guardHls holds what hls.js loads beside the media.
const MANIFEST = 0;
const SEGMENT = 1;
// shaka.net.NetworkingEngine.AdvancedRequestType.MEDIA_PLAYLIST: a variant's playlist, which Shaka
// asks for after the title's manifest (a master) listed it.
const MEDIA_PLAYLIST = 2;
const QUALITY_BY_RANK = Object.keys(RANKS);
// Requests awaiting their answer's status at most (a stalled request is dropped from this map only).
const MAX_PENDING = 256;

/**
 * The quality of a video stream from its height, as filterManifest reads a rendition's;
 * UNKNOWN_VIDEO for a video stream without one; null for what is not video.
 */
function qualityOfStream(stream) {
  if (stream?.type !== 'video') return null;
  const height = stream.height;
  if (typeof height !== 'number' || !(height > 0)) return UNKNOWN_VIDEO;
  return QUALITY_BY_RANK.find((q) => height <= MAX_HEIGHT[q]) ?? 'UHD2';
}

/**
 * How long after its request filters a retry of `request` may be sent at the latest: Shaka runs
 * the filters, then waits its back-off (shaka.net.Backoff: none before the first attempt, then
 * baseDelay x backoffFactor^(n-1), fuzzed by fuzzFactor either way).
 */
function retryDelayBound(request) {
  const attempt = request.attempt;
  if (!(attempt > 0)) return 0;
  const given = request.retryParameters ?? {};
  const bound = (given.baseDelay ?? 1000) * (given.backoffFactor ?? 2) ** (attempt - 1) * (1 + (given.fuzzFactor ?? 0.5));
  return bound >= 0 ? bound : Infinity; // NaN: not known, so not before any end
}

/**
 * Guards a Shaka Player (before `load`): `{ requests, detach() }`, the options of guardHls. A
 * denied decision, a refused request or a failed refresh is a CRITICAL Shaka error (NETWORK
 * 1006, a request filter that threw) whose `data[0].code` is the reason's code; `load()` rejects
 * with it before any request when the decision is a denial.
 */
export function guardShaka(player, options) {
  if (player === null || typeof player !== 'object' || typeof player.getNetworkingEngine !== 'function' || typeof player.configure !== 'function') {
    throw coded('INVALID_ARGUMENT', 'player: expected a shaka.Player');
  }
  let failure = null;
  const core = guardCore(options, (error) => {
    failure = error; // every later request is refused with it: Shaka stops with a CRITICAL error
  });
  const engine = player.getNetworkingEngine();
  if (!engine) throw coded('INVALID_ARGUMENT', 'player: has no networking engine (attach it to a video element first)');

  // The log entries of requests sent and not yet answered, by the URI sent: the answer's status
  // goes on its entry (a response filter sees a success, the player's error and the engine's
  // retry events a failure, each naming the URI).
  const pending = new Map();
  const answered = (uri, status) => {
    const entry = pending.get(uri);
    if (entry === undefined) return;
    entry.status = status;
    pending.delete(uri);
  };
  const requestFilter = (type, request, context) => {
    // Every URI: Shaka sends the next one on a retry (a BaseURL's fallbacks), each with the token.
    const quality = qualityOfStream(context?.stream);
    const aside = type !== MANIFEST && type !== SEGMENT;
    const ahead = retryDelayBound(request); // a retry is sent after its back-off: the decision must hold then
    let url = request.uris[0];
    let verdict = failure !== null ? { allowed: false, reason: failure.code } : { allowed: true, reason: null };
    for (let i = 0; i < request.uris.length && verdict.allowed; i++) {
      url = request.uris[i];
      verdict = aside ? core.checkAside(ahead) : core.check(url, quality, ahead);
    }
    const entry = core.log(url, verdict);
    if (!verdict.allowed) throw coded(verdict.reason, `playgate refused ${url}: ${verdict.reason}`);
    // The header goes to every URI of the request: all of them, or none, must be where the token goes.
    if (core.tokenIn === 'header') {
      if (request.uris.every((u) => core.tokenGoesTo(u))) request.headers.Authorization = `Bearer ${core.token}`;
    } else request.uris = request.uris.map((u) => core.withToken(u));
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value);
    pending.set(request.uris[0], entry);
  };
  // shaka.util.Error: BAD_HTTP_STATUS (1001) has [uri, status, ...], HTTP_ERROR and TIMEOUT [uri, ...].
  const onFailure = (event) => {
    const error = event?.detail ?? event?.error;
    const uri = error?.data?.[0];
    if (typeof uri === 'string') answered(uri, error.code === 1001 && typeof error.data[1] === 'number' ? error.data[1] : 0);
  };
  const responseFilter = (type, response, context) => {
    answered(response.originalUri ?? response.uri, response.status ?? 200);
    if (type !== MANIFEST || core.cap === null) return;
    // The HEAD by which Shaka guesses a manifest's type: no body, nothing to cap.
    if (response.originalRequest?.method === 'HEAD' && response.data.byteLength === 0) return;
    // Under a cap a manifest is read as UTF-8 or refused: Shaka itself reads UTF-16 too (by its
    // byte order mark), which this filter would pass uncapped.
    let text;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(response.data);
    } catch {
      throw coded('INVALID_MANIFEST', `playgate refused the manifest ${response.uri}: not UTF-8`);
    }
    if (text.includes('<MPD') || text.includes('#EXT-X-STREAM-INF') || text.includes('#EXT-X-I-FRAME-STREAM-INF')) {
      response.data = new TextEncoder().encode(filterManifest(text, { maxQuality: core.cap }).text).buffer;
      return;
    }
    // Any other XML (an MPD patch, a remote Period) lists representations this filter cannot cap.
    if (!text.trimStart().startsWith('#EXTM3U')) throw coded('INVALID_MANIFEST', `playgate refused ${response.uri}: a manifest it cannot cap`);
    // A media playlist passes as a variant's. As the title's own manifest it is video of no known
    // quality, whose first segments Shaka fetches to learn what they are (with no stream to check
    // them by): refused under a cap, as guardHls refuses it.
    if (context?.type !== MEDIA_PLAYLIST) throw coded('RENDITION_UNKNOWN', `playgate refused ${response.uri}: a media playlist without its master, of no known quality, under a cap`);
  };
  engine.registerRequestFilter(requestFilter);
  engine.registerResponseFilter(responseFilter);
  player.addEventListener?.('error', onFailure);
  engine.addEventListener?.('retry', onFailure);
  if (core.cap !== null) player.configure({ restrictions: { maxHeight: MAX_HEIGHT[core.cap] } });
  core.start();
  return {
    requests: core.requests,
    detach() {
      core.stop();
      engine.unregisterRequestFilter(requestFilter);
      engine.unregisterResponseFilter(responseFilter);
      player.removeEventListener?.('error', onFailure);
      engine.removeEventListener?.('retry', onFailure);
    },
  };
}
