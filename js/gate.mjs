// The edge gate (issue 15), in both modules: `createGate(options)` makes a
// `{ fetch(request, env, ctx) }` handler that takes a viewer's playback token from the request,
// verifies it (once per token: a bounded LRU of verified tokens, `exp` and `nbf` checked again at
// every use), maps the URL path to a cache key and a rendition by a layout, allows only what the
// token's scope and entitlement allow (scope `get` on the key, the rendition's quality within the
// cap, the viewer's country), and proxies what it allows to an origin base URL, capping master
// playlists and MPDs with filterManifest. With `segmentTokens`, a playlist or MPD it serves
// carries (or sets as a cookie) a segment token for the title's folder, which then opens the
// folder's playlists and segments on its own (js/segments.mjs). Refusals are JSON
// `{ code, reason }` (401, 403, 405, 400), origin failures 502; the origin is never called after
// a refusal or an error.
// Owns the gate's options, its steps from a request to its answer, and its LRUs of verified
// tokens. Its parts: gate-request.mjs (the URL, the layout, cookies, what goes on to the origin),
// gate-answers.mjs (refusals, CORS), gate-deadlines.mjs (the origin's deadlines), gate-node.mjs
// (`gate.node`, the node:http adapter; Deno needs none: `Deno.serve(gate.fetch)`). Verification,
// scopes, manifests and segment tokens are webjwt.mjs's and the JWT layer's (jwt.mjs),
// scopes.mjs's, manifests.mjs's and segments.mjs's; the country database is mmdb.mjs's; the
// cache origin is the module's CacheClient.

import { MAX_TOKEN_CHARS, coded, fail, isA, jsonInput, onlyOptions } from './checks.mjs';
import { SEPARATOR_FAULT, pathFault, pathSegments } from './paths.mjs';
import { GET_OR_HEAD, INVALID_TOKEN, NO_TOKEN, jsonText, preflight, readCors, refusal, withCors, withoutOriginCors } from './gate-answers.mjs';
import {
  DueDeadline, DueList, Deadline, NO_DEADLINE, SHARED_DEADLINES, TIMED_OUT, WORKERD,
} from './gate-deadlines.mjs';
import { HOP_HEADERS, nodeAdapter } from './gate-node.mjs';
import {
  DEFAULT_FORWARDED, DEFAULT_LAYOUT, MAX_OPTION_ITEMS, cookieText, keptQuery, matchLayout, readForwardHeaders, readForwardQuery,
  RenditionQualities, readLayout, takeCookie, takeQueryTokens, urlParts,
} from './gate-request.mjs';
import { manifestFilter } from './manifests.mjs';
import { mmdbCountryReader } from './mmdb.mjs';
import { scopeApi } from './scopes.mjs';
import { webVerifier } from './webjwt.mjs';
import {
  SEGMENT_COOKIE, copiesTokens, initSegments, mpdCopiesQuery, mpdSeconds, playlistSeconds, segmentIssuer, tokenizeHls, tokenizeMpd,
} from './segments.mjs';

// What tests read of the gate's parts.
export { keptQuery, renditionQuality, takeQueryTokens, urlParts } from './gate-request.mjs';
export { jsonText } from './gate-answers.mjs';
export { hasManifestExtension };

const RANKS = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };
const QUALITY_NAMES = ['', 'SD', 'HD', 'UHD1', 'UHD2'];
// The verifier's error codes that are the token's fault: 401 with the same code.
const TOKEN_CODES = new Set([
  'MALFORMED_TOKEN', 'ALGORITHM_NOT_ALLOWED', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'TOKEN_EXPIRED',
  'TOKEN_NOT_YET_VALID', 'WRONG_ISSUER', 'WRONG_AUDIENCE',
]);
// Distinct scopes remembered at most (a catalogue's titles in play at once, roughly).
const MAX_SCOPES_READ = 1024;
const GATE_OPTIONS = ['verifier', 'origin', 'country', 'segmentTokens', 'uncappedRenditions', 'cors', 'forwardHeaders', 'forwardQuery', 'layout', 'cacheName', 'maxTokens', 'timeoutMs', 'clock', 'fetch'];
const COOKIE = 'playgate_token';
// Not sent for manifests, which are rewritten per viewer: the origin must send the whole body.
const CONDITIONAL = new Set(['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since']);

const NO_COOKIE = /* @__PURE__ */ Object.freeze({ value: null, rest: null });

/** The path `key` up to its segment `contentIndex` (0: the first after the leading `/`), with a `/` after it. */
function folderOf(key, contentIndex) {
  let end = 0;
  for (let i = 0; i <= contentIndex && end !== -1; i++) end = key.indexOf('/', end + 1);
  return end === -1 ? `${key}/` : key.slice(0, end + 1);
}

/**
 * A verification under way: what the requests that join it wait on (made when one joins). It is
 * settled once, after it has left the gate's `verifying` map, so no request joins it later.
 */
class Verification {
  constructor(token) {
    this.token = token;
    this.waiting = null; // resolvers of the requests that joined
  }

  /** A promise of the verification's entry (or NotVerified). */
  joined() {
    return new Promise((resolve) => { (this.waiting ??= []).push(resolve); });
  }

  settle(entry) {
    if (this.waiting !== null) for (const resolve of this.waiting) resolve(entry);
    this.waiting = null;
  }
}

/** Why a token was not verified (the verifier's error), shared by the requests that brought it. */
class NotVerified {
  constructor(error) {
    this.error = error;
  }
}

/**
 * A verified token's `exp` or `nbf` (epoch seconds) as the gate keeps it: null when absent, else
 * a finite number; anything else is MALFORMED_TOKEN (never "no expiry": a verifier of the
 * caller's that hands back `exp: "1765000000"` must not make the token last until the LRU drops it).
 */
function claimTime(claims, name) {
  const v = claims[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail('MALFORMED_TOKEN', `claims: \`${name}\` is not a time in seconds`);
  return v;
}

/**
 * A small LRU of checked tokens: a Map in use order, keyed by a 30-bit number made from the
 * token's last 8 characters (a signature's or a tag's), each entry keeping the whole text,
 * compared on every hit. Keyed by the text itself, every lookup first looked the request's new
 * string up in V8's string table: 0.7-1 us of a request in workerd (perf, bench/gate-ab.mjs
 * --perf); a number key needs no table. Two tokens with one key share a slot: the one checked
 * last keeps it, the other is checked again when it comes back.
 */
class TokenCache {
  constructor(max) {
    this.max = max;
    this.map = new Map();
  }

  get(token) {
    const key = slotOf(token);
    const slot = this.map.get(key);
    if (slot === undefined || slot.token !== token) return undefined;
    this.map.delete(key);
    this.map.set(key, slot);
    return slot.entry;
  }

  set(token, entry) {
    if (this.max === 0) return;
    const key = slotOf(token);
    this.map.delete(key);
    this.map.set(key, { token, entry });
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value);
  }

  delete(token) {
    const key = slotOf(token);
    if (this.map.get(key)?.token === token) this.map.delete(key);
  }

  get size() {
    return this.map.size;
  }
}

/**
 * What a verified token's entitlement grants, read once when it is verified (a frozen
 * `{ cap, country, until }`, shared by its requests): the cap's rank, 0 for none (null, or no
 * entitlement), -1 for a name that is not a quality (it allows nothing; `capText` says what it
 * was); the country it is limited to, upper case, or null.
 */
function grantOf(entitlement) {
  const cap = entitlement?.maxQuality ?? null;
  // Own names only: a cap such as "toString" (a verifier of the caller's may pass one) is no rank.
  const rank = cap === null ? 0 : typeof cap === 'string' && Object.hasOwn(RANKS, cap) ? RANKS[cap] : -1;
  const wanted = entitlement?.country ?? null;
  return Object.freeze({
    cap: rank, country: wanted === null ? null : String(wanted).toUpperCase(), until: undefined,
    ...(rank === -1 ? { capText: JSON.stringify(String(cap)) } : {}),
  });
}

// The platform's fetch decodes what it asks for (undici, Deno); workerd's passes a body on as it came.
const DECODING_FETCH = !WORKERD;
// The codings Node's and Deno's fetch decode.
const DECODED_CODINGS = /^\s*(?:x-)?(?:gzip|deflate|br|zstd)\s*$/i;

/** `response` without the content-encoding its fetch decoded, nor the length of the encoded body. */
function withoutEncoding(response) {
  if (!DECODED_CODINGS.test(response.headers.get('content-encoding'))) return response;
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(response.body, { status: response.status, headers });
}

// Headers that describe the origin's body, not one the gate wrote (a capped manifest, none).
const OF_THE_BODY = /* @__PURE__ */ Object.freeze(['content-length', 'content-encoding', 'etag', 'last-modified', 'accept-ranges', 'content-range', 'content-md5', 'content-digest', 'repr-digest', 'digest']);
// Cache directives for CDNs only (RFC 9213: a CDN that reads them ignores Cache-Control).
const CDN_ONLY = /* @__PURE__ */ Object.freeze(['cdn-cache-control', 'cloudflare-cdn-cache-control', 'surrogate-control']);

/** A copy of the origin's `headers` without those describing its body. */
function withoutBodyHeaders(headers) {
  const out = new Headers(headers);
  for (const name of OF_THE_BODY) out.delete(name);
  return out;
}

/** `out`, marked as an answer for one viewer (capped, or carrying a token): no cache keeps it for others. */
function perViewer(out) {
  for (const name of CDN_ONLY) out.delete(name);
  out.set('cache-control', 'private, no-store');
  return out;
}

/** Whether a redirect's Location (resolved against the request's URL `href`) leaves the gate's origin. */
function redirectsAway(response, href) {
  const location = response.headers.get('location');
  if (location === null) return false;
  try {
    return new URL(location, href).origin !== new URL(href).origin;
  } catch {
    return true;
  }
}

/** `href` as a URL, or null where the URL parser refuses it. */
function urlOf(href) {
  try {
    return new URL(href);
  } catch {
    return null;
  }
}

/**
 * Whether `key` ends in `.m3u8` or `.mpd` (any case), as /\.(m3u8|mpd)$/i reads it: without a
 * pattern, which runs over the whole path to find its end (every request asks).
 */
function hasManifestExtension(key) {
  const n = key.length;
  const at = (i) => key.charCodeAt(n - i);
  const lower = (i) => key.charCodeAt(n - i) | 32; // an ASCII letter in lower case (no other character becomes one)
  return (n >= 5 && at(5) === 46 && lower(4) === 109 && at(3) === 51 && lower(2) === 117 && at(1) === 56) // .m3u8
    || (n >= 4 && at(4) === 46 && lower(3) === 109 && lower(2) === 112 && lower(1) === 100); // .mpd
}

/** `Bearer <token>`'s token (the scheme in any case, one space, the rest as it is), or null. */
function plainBearer(value) {
  return value.length > 7 && value.charCodeAt(6) === 32 && (value.charCodeAt(0) | 32) === 98 && (value.charCodeAt(1) | 32) === 101
    && (value.charCodeAt(2) | 32) === 97 && (value.charCodeAt(3) | 32) === 114 && (value.charCodeAt(4) | 32) === 101
    && (value.charCodeAt(5) | 32) === 114 ? value.slice(7) : null;
}

// An Authorization header's Bearer token (RFC 6750 2.1, read leniently: white space around).
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;

/** A token's slot in a TokenCache: a hash of its last 8 characters, below 2 ** 30 (a small integer to V8). */
function slotOf(token) {
  let h = 0;
  for (let i = Math.max(0, token.length - 8); i < token.length; i++) h = Math.imul(h, 31) + token.charCodeAt(i) | 0;
  return h & 0x3fffffff;
}

// Content types of what the cache origin serves, by extension (RFC 8216, ISO/IEC 23009-1, ...).
const MEDIA_TYPES = {
  m3u8: 'application/vnd.apple.mpegurl', mpd: 'application/dash+xml', ts: 'video/mp2t', m4s: 'video/iso.segment',
  mp4: 'video/mp4', m4a: 'audio/mp4', aac: 'audio/aac', vtt: 'text/vtt', webvtt: 'text/vtt', key: 'application/octet-stream',
};


/**
 * A JwtVerifier of the other module (its class is not this module's): a gate from `playgate`
 * (or from `playgate/edge` in workerd, which is the player module) given `playgate/jwt`'s.
 */
function isForeignVerifier(value) {
  return value !== null && typeof value === 'object' && typeof value.verifyPlaybackAsync === 'function';
}

/**
 * The module's `createGate(options)`: `raw` is the edge module (its JwtVerifier installed),
 * `CacheClient` the module's cache client class (the cache origin's).
 */
export function gateFactory(raw, CacheClient) {
  const { JwtVerifier } = raw;
  const filterManifest = manifestFilter(raw);
  const { coversPrefix, PermissionScope } = scopeApi(raw);

  return function createGate(options) {
    try {
      return makeGate(options);
    } catch (error) {
      throw coded(error, 'INVALID_ARGUMENT', 'createGate(options)');
    }
  };

  function makeGate(options) {
    if (options === null || typeof options !== 'object') {
      throw fail('INVALID_ARGUMENT', 'options: expected { verifier, origin, country?, segmentTokens?, uncappedRenditions?, cors?, forwardHeaders?, forwardQuery?, layout?, cacheName?, maxTokens?, timeoutMs?, clock?, fetch? }');
    }
    onlyOptions(options, GATE_OPTIONS, 'createGate');
    const {
      verifier: verifierOption, origin, country, layout = DEFAULT_LAYOUT, cacheName = 'media',
      maxTokens = 1000, timeoutMs = 10_000, clock = Date.now, fetch: fetchOption,
      segmentTokens, uncappedRenditions = [], cors, forwardHeaders = DEFAULT_FORWARDED, forwardQuery,
    } = options;

    // The verifier: JwtVerifier.fromJson's options, verified on the platform's WebCrypto
    // (webjwt.mjs; in the edge module JwtVerifier.fromJson reads them too, so a configuration is
    // refused exactly as there), or a JwtVerifier (its verifyPlaybackAsync): this module's, or
    // the JWT module's (`playgate/jwt`) given to a gate from the other module (in workerd,
    // `playgate/edge` is the player module: package.json's exports say why).
    let verify; // (token, at) => a promise of { claims, scope, entitlement }
    let scopeOf = (scope) => scope; // that scope as this module's PermissionScope
    let leewayMs = 0;
    // Scopes read, by their JSON text: the viewers of one title carry the same scope (seed 000:
    // a token scoped to the title's folder), so a new token for a title already seen costs no
    // read in wasm and no new check plan. Scopes are never freed or changed here.
    const scopesRead = new Map();
    const readScope = (text) => {
      let read = scopesRead.get(text);
      if (read === undefined) {
        read = PermissionScope.fromJson(text);
        if (scopesRead.size >= MAX_SCOPES_READ) scopesRead.clear();
        scopesRead.set(text, read);
      }
      return read;
    };
    if (isA(verifierOption, JwtVerifier) || isForeignVerifier(verifierOption)) {
      // Its WebCrypto path; remembered tokens held to its leeway, as it holds a fresh one (a
      // verifier without the getter: none, stricter).
      verify = (token, at) => verifierOption.verifyPlaybackAsync(token, { now: at });
      const leeway = verifierOption.leewaySeconds;
      leewayMs = Number.isFinite(leeway) && leeway >= 0 ? leeway * 1000 : 0;
      // The JWT module's verifier given to this module's gate: its scope is that module's, read
      // again here from its JSON form (this module's checks run on this module's scopes).
      if (!isA(verifierOption, JwtVerifier)) scopeOf = (scope) => readScope(JSON.stringify(scope));
    } else if (verifierOption !== null && typeof verifierOption === 'object') {
      const text = jsonInput(verifierOption, 'INVALID_KEY', 'verifier');
      if (JwtVerifier) JwtVerifier.fromJson(text).free();
      const web = webVerifier(JSON.parse(text));
      leewayMs = web.leewayMs;
      verify = web.verifyPlayback; // its scope: the claim's JSON text
      scopeOf = readScope;
    } else {
      throw fail('INVALID_ARGUMENT', 'verifier: expected JwtVerifier.fromJson options, or a JwtVerifier');
    }

    // The origin: a base URL (http or https), or the cache itself (seed 000's MediaStore keeps
    // the segments there): `{ cache: a CacheClient or its options, cacheName? }`, each allowed
    // path read with the cache HTTP API's get (the key: the decoded path, as the scope checked).
    let originBase = null;
    let mediaCache = null;
    let mediaCacheName = cacheName;
    if (origin !== null && typeof origin === 'object') {
      onlyOptions(origin, ['cache', 'cacheName'], 'origin');
      const { cache, cacheName: originCacheName } = origin;
      // A CacheClient, this module's or the other's (any object with its get), or its options.
      if (isA(cache, CacheClient) || typeof cache?.get === 'function') mediaCache = cache;
      else {
        try {
          mediaCache = new CacheClient(cache);
        } catch (error) {
          throw fail('INVALID_ARGUMENT', `origin.cache: ${String(error?.message)}`);
        }
      }
      if (originCacheName !== undefined) mediaCacheName = originCacheName;
      if (typeof mediaCacheName !== 'string' || !mediaCacheName.trim()) throw fail('INVALID_ARGUMENT', 'origin.cacheName: expected a cache name (not blank)');
      // The scope is checked on the cache the media is read from: two names would check one
      // cache and read another (a token for `media` reading the same keys in `secret`).
      if (options.cacheName !== undefined && options.cacheName !== mediaCacheName) {
        throw fail('INVALID_ARGUMENT', `cacheName ${JSON.stringify(String(options.cacheName).slice(0, 100))} and origin.cacheName ${JSON.stringify(mediaCacheName.slice(0, 100))} differ: the scope would be checked on one cache and the media read from the other`);
      }
    } else {
      if (typeof origin !== 'string') throw fail('INVALID_ARGUMENT', 'origin: expected a base URL such as https://origin.example, or { cache, cacheName }');
      let originUrl;
      try {
        originUrl = new URL(origin);
      } catch {
        throw fail('INVALID_ARGUMENT', `origin: not a URL: ${JSON.stringify(origin.slice(0, 200))}`);
      }
      if (originUrl.protocol !== 'https:' && originUrl.protocol !== 'http:') throw fail('INVALID_ARGUMENT', 'origin: expected an http or https URL');
      if (originUrl.search !== '' || originUrl.hash !== '' || originUrl.username !== '' || originUrl.password !== '') {
        throw fail('INVALID_ARGUMENT', 'origin: a base URL without query, fragment or credentials');
      }
      originBase = originUrl.origin + originUrl.pathname.replace(/\/+$/, '');
    }

    // Country: trusted request headers, in order (the first one present is the viewer's), and/or
    // a MaxMind country database for the client's address: the platform's (Deno's
    // `info.remoteAddr`, gate.node's socket) or a trusted header's (`ipHeader`, such as
    // Cloudflare's CF-Connecting-IP: a worker sees no socket).
    let countryHeaders = null;
    let countryDb = null;
    let ipHeader = null;
    if (country !== undefined && country !== null) {
      if (typeof country !== 'object') throw fail('INVALID_ARGUMENT', 'country: expected { headers: [...] } or { mmdb: bytes, ipHeader? }');
      onlyOptions(country, ['headers', 'mmdb', 'ipHeader'], 'country');
      const { headers, mmdb, ipHeader: ipHeaderOption } = country;
      const headerName = (h, what) => {
        if (typeof h !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h)) throw fail('INVALID_ARGUMENT', `${what}: expected a header name`);
        return h.toLowerCase();
      };
      if (headers !== undefined || mmdb === undefined) {
        if (!Array.isArray(headers) || headers.length === 0 || headers.length > MAX_OPTION_ITEMS) throw fail('INVALID_ARGUMENT', `country.headers: expected a non-empty array of at most ${MAX_OPTION_ITEMS} header names`);
        countryHeaders = Array.from(headers, (h, i) => headerName(h, `country.headers[${i}]`));
      }
      if (mmdb !== undefined) countryDb = mmdbCountryReader(mmdb, 'country.mmdb');
      if (ipHeaderOption !== undefined) {
        if (countryDb === null) throw fail('INVALID_ARGUMENT', 'country.ipHeader: only with country.mmdb');
        ipHeader = headerName(ipHeaderOption, 'country.ipHeader');
      }
    }

    /**
     * The viewer's country: `{ code }` (two letters) or `{ unknown }` (why not). The first
     * configured header present wins; else the database's answer for the client's address.
     * Cloudflare's XX (unknown) and T1 (Tor), anything not two letters, no header, no address,
     * and an address not in the database are unknown.
     */
    function viewerCountry(headers, env) {
      if (countryHeaders !== null) {
        for (const h of countryHeaders) {
          const v = headers.get(h);
          if (v === null) continue;
          // Two ASCII letters before any change of case (`ß` upper-cases to `SS`).
          const trimmed = v.trim();
          const seen = /^[A-Za-z]{2}$/.test(trimmed) ? trimmed.toUpperCase() : null;
          if (seen === null || seen === 'XX' || seen === 'T1') return { unknown: `${h}: ${JSON.stringify(trimmed.slice(0, 8))}` };
          return { code: seen };
        }
        if (countryDb === null) return { unknown: 'no country header' };
      }
      if (countryDb === null) return { unknown: 'the gate has no country source' };
      let address = null;
      if (ipHeader !== null) address = headers.get(ipHeader)?.trim() ?? null;
      else if (env !== null && typeof env === 'object' && typeof env.remoteAddr?.hostname === 'string') address = env.remoteAddr.hostname;
      if (address === null || address === '') return { unknown: ipHeader !== null ? `no ${ipHeader} header` : 'no client address (a worker behind a proxy: set country.ipHeader)' };
      const code = countryDb.country(address);
      return code === null ? { unknown: `the address ${JSON.stringify(address.slice(0, 45))} is not in the country database` } : { code };
    }

    const layoutSegments = readLayout(layout);
    // Segment tokens: minted for a title's folder, so {content} must come before {rendition}.
    const segments$ = segmentTokens === undefined || segmentTokens === null ? null : segmentIssuer(segmentTokens);
    if (segments$ !== null && layoutSegments.full.content > layoutSegments.full.rendition) {
      throw fail('INVALID_ARGUMENT', 'segmentTokens: the layout must put {content} before {rendition} (a token opens one title folder)');
    }
    // Renditions that are not video (audio, subtitles): no quality cap applies to them.
    if (!Array.isArray(uncappedRenditions) || uncappedRenditions.length > MAX_OPTION_ITEMS
      || uncappedRenditions.some((r) => typeof r !== 'string' || r === '' || r.includes('/'))) {
      throw fail('INVALID_ARGUMENT', `uncappedRenditions: expected an array of at most ${MAX_OPTION_ITEMS} rendition names (such as audio and subtitle folders)`);
    }
    // null when none is named: a Set lookup with a request's string costs a runtime call (perf).
    const uncapped = uncappedRenditions.length === 0 ? null : new Set(uncappedRenditions);
    const forwarded = readForwardHeaders(forwardHeaders);
    // The query the origin gets: the client's, or the parameters named (least privilege). A cache
    // origin reads a key by its path alone: it has no query to give.
    if (mediaCache !== null && forwardQuery !== undefined) throw fail('INVALID_ARGUMENT', 'forwardQuery: a cache origin reads keys by path; no query goes to it');
    const queryKept = readForwardQuery(forwardQuery === undefined ? true : forwardQuery);
    // A playlist or an MPD is rewritten here: the origin's 304 or partial answer to a
    // conditional or ranged request would not be the rewritten text, so none are asked for.
    const forwardedForManifests = forwarded === null ? null : forwarded.filter((h) => !CONDITIONAL.has(h));
    const corsPolicy = readCors(cors);
    if (typeof cacheName !== 'string' || !cacheName.trim()) throw fail('INVALID_ARGUMENT', 'cacheName: expected a cache name (not blank)');
    // The cache a token's scope must allow `get` in: the one the media is read from.
    const scopeCache = mediaCache !== null ? mediaCacheName : cacheName;
    if (!Number.isInteger(maxTokens) || maxTokens < 0 || maxTokens > 1_000_000) throw fail('INVALID_ARGUMENT', 'maxTokens: expected an integer from 0 to 1000000');
    if (timeoutMs !== null && (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > 600_000)) {
      throw fail('INVALID_ARGUMENT', 'timeoutMs: expected milliseconds, more than 0, at most 600000 (or null: no deadline of the gate\'s own)');
    }
    if (typeof clock !== 'function') throw fail('INVALID_ARGUMENT', 'clock: expected a function returning epoch milliseconds');
    if (fetchOption !== undefined && typeof fetchOption !== 'function') throw fail('INVALID_ARGUMENT', 'fetch: expected a function');
    const originFetch = fetchOption ?? ((...args) => globalThis.fetch(...args));

    const tokens = new TokenCache(maxTokens);
    // workerd: the requests' origin deadlines under one timer (elsewhere a timer each).
    const dueList = SHARED_DEADLINES && timeoutMs !== null ? new DueList(timeoutMs) : null;
    // Rendition names read (a ladder has a handful): their quality is read once.
    const qualities = new RenditionQualities();

    /**
     * An allowed path read from the cache origin: `{ response }` (200, the bytes, a content type
     * by extension), or `{ status, code, reason }`: 404 NOT_FOUND for a miss, 502
     * ORIGIN_UNAVAILABLE for a cache that fails or refuses (its own code in the reason). Whole
     * items only: a Range header is not served from the cache (the answer is the whole 200).
     */
    async function cachedMedia(key, method, signal) {
      let bytes;
      try {
        bytes = await mediaCache.get(mediaCacheName, key, { signal });
      } catch (error) {
        if (error?.name === 'AbortError' || error?.name === 'TimeoutError') throw error;
        return { status: 502, code: 'ORIGIN_UNAVAILABLE', reason: `the cache answered ${String(error?.code ?? 'an error')}: ${String(error?.message).slice(0, 200)}` };
      }
      if (bytes === null) return { status: 404, code: 'NOT_FOUND', reason: `${JSON.stringify(key)} is not in cache ${JSON.stringify(mediaCacheName)}` };
      const extension = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase();
      // Own names only (`.constructor` is no type), and never sniffed: an item is served as its name says.
      const type = extension !== undefined && Object.hasOwn(MEDIA_TYPES, extension) ? MEDIA_TYPES[extension] : 'application/octet-stream';
      const headers = { 'content-type': type, 'content-length': String(bytes.length), 'x-content-type-options': 'nosniff' };
      return { response: new Response(method === 'HEAD' ? null : bytes, { status: 200, headers }) };
    }
    // Checked segment tokens, by their text: a segment is a cache hit, not a MAC. A grant keeps
    // the folder (or, for a file token, the file) its tag was checked for; the same text for
    // another folder is refused without a MAC (it would take a 128-bit tag collision to be valid
    // for two).
    const segmentTokensSeen = new TokenCache(maxTokens);

    /**
     * A segment token's grant for `folder` and the requested `key` (remembered once its tag
     * checks; a file token's only for its own file), or `{ code, reason }`: at once for a
     * remembered token, else a promise of it (the MAC is WebCrypto's).
     */
    function segmentGrant(folder, key, segmentToken, atSeconds, renewing) {
      const grant = segmentTokensSeen.get(segmentToken);
      if (grant === undefined) {
        return segments$.check(folder, segmentToken, atSeconds, renewing, key).then((checked) => {
          if (checked.code !== undefined) return checked;
          checked.folder = folder;
          segmentTokensSeen.set(segmentToken, checked);
          return segmentInTime(checked, atSeconds, renewing);
        });
      }
      if (grant.file !== null ? grant.file !== key : grant.folder !== folder) {
        return { code: 'SEGMENT_TOKEN_INVALID', reason: `the segment token was not minted for ${folder}` };
      }
      return segmentInTime(grant, atSeconds, renewing);
    }

    /** `grant`, or SEGMENT_TOKEN_EXPIRED once its time (a renewal's: the viewing session's) is up. */
    function segmentInTime(grant, atSeconds, renewing) {
      if (atSeconds >= (renewing ? grant.until : grant.exp)) {
        return { code: 'SEGMENT_TOKEN_EXPIRED', reason: renewing ? 'the viewing session has ended: start again with a playback token' : 'the segment token has expired' };
      }
      return grant;
    }

    /** The clock, checked: a clock that fails or lies is an error, never "no time". */
    function now() {
      const t = clock();
      if (typeof t !== 'number' || !Number.isFinite(t)) throw fail('INVALID_ARGUMENT', 'clock: returned no finite epoch milliseconds');
      return t;
    }

    // Verifications under way, by the token's slot (slotOf, as the LRU keys them: no string-table
    // lookup of the token's text): concurrent first requests with one token share one. A token
    // whose slot another's verification holds is verified on its own.
    const verifying = new Map();

    /** A verified token's entry at `at` (epoch ms), or the refusal its `exp` or `nbf` makes then. */
    function inTime(entry, at) {
      if (entry.exp !== null && at >= entry.exp * 1000 + leewayMs) {
        return refusal(401, 'TOKEN_EXPIRED', 'the token has expired', INVALID_TOKEN);
      }
      if (entry.nbf !== null && at < entry.nbf * 1000 - leewayMs) {
        return refusal(401, 'TOKEN_NOT_YET_VALID', 'the token is not valid yet', INVALID_TOKEN);
      }
      return entry;
    }

    /**
     * A token not remembered, for the request `st`: a promise of its answer. The token is verified
     * once however many requests bring it at once; the request that starts the verification goes
     * on in the verification's own `then` (no async frame, no promise more: a first verification
     * is most of a never-seen token's request), and those that join it wait on a promise made only
     * for them. Each makes its own refusal of a NotVerified (a Response is read once), and a
     * request that joins is held to its own time: the verifier checked `exp` and `nbf` at the
     * first request's.
     */
    function verifiedFirst(st) {
      const { token, at } = st;
      const slot = slotOf(token);
      const underWay = verifying.get(slot);
      if (underWay !== undefined && underWay.token === token) {
        return underWay.joined().then((entry) => withEntry(st, entry instanceof NotVerified ? entry : inTime(entry, at)));
      }
      const verification = new Verification(token);
      if (underWay === undefined) verifying.set(slot, verification);
      const done = () => {
        if (verifying.get(slot) === verification) verifying.delete(slot);
      };
      let started;
      try {
        started = verify(token, at);
      } catch (error) {
        started = Promise.reject(error);
      }
      return Promise.resolve(started).then((result) => {
        let entry;
        try {
          const { claims, entitlement } = result;
          entry = {
            claims, scope: scopeOf(result.scope), entitlement, exp: claimTime(claims, 'exp'), nbf: claimTime(claims, 'nbf'), grant: grantOf(entitlement),
          };
          tokens.set(token, entry);
        } catch (error) {
          entry = new NotVerified(error); // a scope this module cannot read (SCOPE_DENIED), a time that is not one
        }
        done();
        verification.settle(entry);
        return withEntry(st, entry);
      }, (error) => {
        const failed = new NotVerified(error);
        done();
        verification.settle(failed);
        return withEntry(st, failed);
      });
    }

    /** A NotVerified's refusal: 401 with the verifier's code, 403 for no usable scope; else thrown. */
    function notVerified({ error }) {
      const code = error !== null && typeof error === 'object' ? error.code : undefined;
      if (TOKEN_CODES.has(code)) {
        return refusal(401, code, String(error.message), INVALID_TOKEN);
      }
      if (code === 'INVALID_SCOPE') return refusal(403, 'SCOPE_DENIED', `the token carries no usable scope: ${String(error.message)}`);
      throw error;
    }

    /**
     * One request's answer: a Response at once (a refusal, the preflight), or a promise of one
     * (what waits on the origin, a first verification, a segment token's first MAC check).
     * Throws INVALID_ARGUMENT for a value that is not a Request. A request whose token is
     * remembered is decided synchronously up to the origin call, in plain functions: no async
     * frame and no await before it (in workerd the async form cost 6.6 us a request more under
     * load, 3 us in a loop, measured). The steps: handle (the request, its tokens and path),
     * fromSegmentToken / fromPlaybackToken / withEntry (the grant), decided (cap and country),
     * forward (the origin), answered (its answer: capped, tokens written in).
     */
    function handle(request, env, ctx) {
      // Reading the request: a value that is not a Request is the caller's error (INVALID_ARGUMENT).
      let method;
      let href;
      let headers;
      try {
        if (!isA(request, Request)) throw fail('INVALID_ARGUMENT', 'request: expected a Request');
        method = request.method;
        href = request.url;
        headers = request.headers; // read only: the origin gets what forwardHeaders names
      } catch (error) {
        throw coded(error, 'INVALID_ARGUMENT', 'request');
      }
      // The path and the query, read from the URL's text (a URL object is built only for a
      // playlist's rewriting: parsing one costs about 4 us a request under load in workerd).
      // request.url is absolute; workerd passes the path as the client sent it, dot segments
      // and all, where new URL would resolve them: here such a path is refused below.
      const parts = urlParts(href);
      if (parts === null) return refusal(400, 'INVALID_PATH', 'the request\'s URL is not an http(s) URL');
      const { pathname } = parts;
      if (method === 'OPTIONS' && corsPolicy !== null && headers.get('access-control-request-method') !== null) {
        return preflight(corsPolicy, headers);
      }
      if (method !== 'GET' && method !== 'HEAD') {
        return refusal(405, 'METHOD_NOT_ALLOWED', `${method.slice(0, 20)}: the gate serves GET and HEAD only`, GET_OR_HEAD);
      }

      // The playback token: Authorization: Bearer, then ?token=, then the playgate_token cookie;
      // the segment token: ?segment_token=, then the playgate_segment cookie. Every carrier is
      // removed before the request goes on.
      let token = null;
      let remembered; // the LRU's entry for a Bearer token in the common form, found here
      let plain = null;
      const authorization = headers.get('authorization');
      if (authorization !== null) {
        // `Bearer <token>` as players send it: the text after the space is looked up at once. A
        // hit is a token verified before, so it has no white space and is what the pattern below
        // would take; anything else is read by the pattern (a pattern over a 600-character token
        // cost 0.4 us a request in workerd, perf).
        plain = plainBearer(authorization);
        if (plain !== null) remembered = tokens.get(plain);
        if (remembered !== undefined) token = plain;
        else {
          const m = BEARER.exec(authorization);
          if (m) token = m[1];
        }
      }
      // The query goes on as the client wrote it, without the gate's token parameters (read as
      // URLSearchParams reads them), unless forwardQuery names what goes on.
      let { search } = parts;
      let segmentToken = null;
      if (search !== '') {
        const taken = takeQueryTokens(search);
        if (token === null && taken.token !== null && taken.token !== '') token = taken.token;
        segmentToken = taken.segmentToken || null;
        search = taken.search;
      }
      // forwardQuery: only the named parameters, as written (the tokens are never named).
      if (queryKept !== null) search = keptQuery(parts.search, queryKept);
      let segmentFrom = segmentToken === null ? null : 'query';
      // The Cookie header is read only when it may carry a token of the gate's, or when it goes on
      // ('all') without them.
      const cookie = token === null || segments$ !== null || forwarded === null ? takeCookie(headers.get('cookie'), COOKIE) : NO_COOKIE;
      const segmentCookie = takeCookie(cookie.rest, SEGMENT_COOKIE);
      if (token === null && cookie.value !== null && cookie.value !== '') token = cookieText(cookie.value);
      if (segmentToken === null && segmentCookie.value !== null && segmentCookie.value !== '') {
        segmentToken = cookieText(segmentCookie.value);
        segmentFrom = 'cookie';
      }
      if (segments$ === null) segmentToken = null; // a gate without segment tokens reads none
      if (token === null && segmentToken === null) return refusal(401, 'TOKEN_MISSING', 'no playback token: expected Authorization: Bearer, a token query parameter or the playgate_token cookie', NO_TOKEN);
      if (token !== null && token.length > MAX_TOKEN_CHARS) return refusal(401, 'MALFORMED_TOKEN', `the token is over ${MAX_TOKEN_CHARS} characters`, INVALID_TOKEN);

      // The key: the path itself, decoded (seed 000's keys are plain text); a path whose decoding
      // would change its segments is refused, so the key checked is the path the origin serves.
      let key;
      const encoded = pathname.includes('%');
      try {
        key = encoded ? decodeURIComponent(pathname) : pathname; // the same string without a `%`
      } catch {
        return refusal(400, 'INVALID_PATH', 'the path is not valid percent-encoded UTF-8');
      }
      const segments = pathSegments(key);
      const fault = encoded && /%2f|%5c/i.test(pathname) ? SEPARATOR_FAULT : pathFault(key, segments);
      if (fault !== null) return refusal(400, 'INVALID_PATH', fault);
      const isManifestPath = hasManifestExtension(key);
      // A playlist is rewritten against its URL: one the URL parser refuses (a Host header no
      // URL has, from a platform that passes it on) is refused before the origin is asked.
      if (isManifestPath && urlOf(href) === null) return refusal(400, 'INVALID_PATH', 'the request\'s URL does not parse');
      const place = matchLayout(layoutSegments, segments);
      // The title's folder (the path up to {content}): what a segment token is minted for.
      const folder = place === null || segments$ === null ? null : folderOf(key, place.contentIndex);

      // What the next steps read of this request.
      const at = now();
      const st = {
        request, env, ctx, method, href, headers, pathname, search, key, isManifestPath, place, folder,
        authorization, token, remembered, lookedUp: plain !== null && token === plain, cookie, segmentCookie, segmentFrom, at, atSeconds: Math.floor(at / 1000), scope: null,
      };
      // The grant: { cap, country, until } from a segment token minted for this folder, or else
      // from the playback token (verified once, then remembered) whose scope allows get on the key.
      if (segmentToken !== null) {
        const checked = folder === null
          ? { code: 'SEGMENT_TOKEN_INVALID', reason: `${JSON.stringify(key)} is not in a title folder of the layout` }
          : segmentGrant(folder, key, segmentToken, st.atSeconds, isManifestPath);
        return checked instanceof Promise ? checked.then((c) => fromSegmentToken(st, c)) : fromSegmentToken(st, checked);
      }
      return fromPlaybackToken(st);
    }

    /** The segment token's grant, or else the playback token's (a refusal when there is none). */
    function fromSegmentToken(st, checked) {
      if (checked.code === undefined) return decided(st, checked);
      if (st.token === null) return refusal(403, checked.code, checked.reason);
      return fromPlaybackToken(st);
    }

    /** The playback token's grant: a remembered token's at once, without a promise. */
    function fromPlaybackToken(st) {
      const { token, at } = st;
      // Looked up already (a Bearer token in the common form): a miss there is a miss here.
      const cached = st.lookedUp ? st.remembered : tokens.get(token);
      if (cached === undefined) return verifiedFirst(st);
      if (cached.exp !== null && at >= cached.exp * 1000 + leewayMs) tokens.delete(token); // spent: forgotten
      return withEntry(st, inTime(cached, at));
    }

    /** The playback token's grant: its scope must allow get on the key; its cap and country. */
    function withEntry(st, entry) {
      if (entry instanceof Response) return entry;
      if (entry instanceof NotVerified) return notVerified(entry);
      const { key } = st;
      st.scope = entry.scope;
      if (!entry.scope.allows('get', scopeCache, key)) {
        return refusal(403, 'SCOPE_DENIED', `the token's scope does not allow get on ${jsonText(key)} in cache ${jsonText(scopeCache)}`);
      }
      const { grant } = entry;
      if (grant.cap === -1) return refusal(403, 'QUALITY_EXCEEDS_ENTITLEMENT', `the token's cap ${grant.capText} is not a quality`);
      return decided(st, grant);
    }

    /** The rendition within the grant's cap, the viewer in its country: then the origin. */
    function decided(st, grant) {
      const { key, place, isManifestPath, headers, env } = st;
      // The rendition's quality within the cap (renditions named in uncappedRenditions, such as
      // audio and subtitles, are not video: no cap applies).
      const capName = QUALITY_NAMES[grant.cap];
      if (grant.cap !== 0) {
        if (place === null || (place.titleLevel && !isManifestPath)) {
          return refusal(403, 'RENDITION_UNKNOWN', `${jsonText(key)} is not a rendition of the layout, and the token is capped at ${capName}`);
        }
        if (!place.titleLevel && (uncapped === null || !uncapped.has(place.rendition))) {
          const quality = qualities.of(place.rendition);
          if (quality === null) return refusal(403, 'RENDITION_UNKNOWN', `the rendition name ${jsonText(place.rendition)} says nothing about its quality, and the token is capped at ${capName}`);
          if (RANKS[quality] > grant.cap) return refusal(403, 'QUALITY_EXCEEDS_ENTITLEMENT', `rendition ${jsonText(place.rendition)} is ${quality}, above the token's cap ${capName}`);
        }
      }

      // Country: applied when the grant carries one (viewerCountry).
      if (grant.country !== null) {
        const seen = viewerCountry(headers, env);
        if (seen.code === undefined) return refusal(403, 'COUNTRY_UNKNOWN', `the token is limited to ${grant.country} and the viewer's country is unknown (${seen.unknown})`);
        if (seen.code !== grant.country) {
          return refusal(403, 'COUNTRY_NOT_ALLOWED', `the token is limited to ${grant.country}; the viewer is in ${seen.code}`);
        }
      }

      return forward(st, grant);
    }

    /** What the grant allows, from the origin (without the tokens): a promise of the answer. */
    function forward(st, grant) {
      const { request, method, headers, authorization, cookie, segmentCookie, isManifestPath, key, pathname, search } = st;
      // What the origin gets of the viewer's headers (forwardHeaders): the named ones, in a plain
      // object (a Headers built from it cost 4 us more under load in workerd, measured); or with
      // 'all', a copy, then the few that must not go on removed (a copy and three deletes cost
      // less than a pass over every header, measured). Hop-by-hop headers: workerd consumes
      // them; elsewhere they are deleted.
      // In workerd a request to the origin with no headers of ours and no other option than
      // `redirect` costs 9-15 us a request less than one with them, proxying (measured): there
      // the gate sends none when the viewer sent none of the list, and no accept-encoding
      // (workerd asks for none, and passes a compressed answer on labelled as it came, tested).
      let upstreamHeaders = null;
      if (mediaCache === null && forwarded !== null) {
        // The named headers the viewer sent, and no others (least privilege: no cookie, no token).
        if (!WORKERD) upstreamHeaders = { 'accept-encoding': 'identity' };
        const names = isManifestPath ? forwardedForManifests : forwarded;
        let ranged = false;
        for (let i = 0; i < names.length; i++) {
          const name = names[i];
          // If-Range means nothing without Range (RFC 9110 13.1.5: a server ignores it): not read
          // then (forwarded lists Range first).
          if (name === 'if-range' && !ranged) continue;
          const value = headers.get(name);
          if (value !== null) {
            (upstreamHeaders ??= {})[name] = value;
            if (name === 'range') ranged = true;
          }
        }
      } else if (mediaCache === null) {
        // forwardHeaders: 'all': a copy of the viewer's headers without the tokens.
        upstreamHeaders = new Headers(headers);
        if (authorization !== null) upstreamHeaders.delete('authorization');
        upstreamHeaders.delete('host');
        upstreamHeaders.delete('proxy-authorization');
        if (!WORKERD) for (const name of HOP_HEADERS) upstreamHeaders.delete(name); // a Request made by hand may hold them
        if (cookie.value !== null || segmentCookie.value !== null) {
          if (segmentCookie.rest === null) upstreamHeaders.delete('cookie');
          else upstreamHeaders.set('cookie', segmentCookie.rest);
        }
        if (isManifestPath) for (const name of CONDITIONAL) upstreamHeaders.delete(name);
        // The origin's bytes as they are: fetch in Node and Deno decodes a compressed body but keeps
        // its content-encoding header, so a compressed answer passed on would be labelled wrongly.
        upstreamHeaders.set('accept-encoding', 'identity');
      }
      // The client's going away (request.signal: Deno, gate.node) aborts the origin request;
      // the deadline is a timer raced against it (in Node a timer costs a fraction of an
      // AbortSignal.timeout joined to it with AbortSignal.any, measured), and an answer that
      // comes after it is cancelled. In workerd the deadlines share one timer (DueList).
      const deadline = timeoutMs === null || (WORKERD && dueList === null) ? NO_DEADLINE
        : dueList !== null ? dueList.start(st.ctx, clock === Date.now ? st.at : Date.now()) : new Deadline(timeoutMs);
      let pending;
      try {
        // workerd: the watch's own request's abort, or (no shared deadlines) the deadline itself.
        const signal = !WORKERD ? request.signal
          : dueList !== null ? deadline.controller?.signal
            : timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs);
        if (mediaCache !== null) pending = cachedMedia(key, method, signal);
        else {
          const target = `${originBase}${pathname}${search === '' ? '' : `?${search}`}`;
          // redirect 'manual': a redirect goes to the viewer, whose next request the gate checks.
          pending = originFetch(target, WORKERD && upstreamHeaders === null && signal === undefined
            ? (method === 'GET' ? { redirect: 'manual' } : { method, redirect: 'manual' })
            : { method, headers: upstreamHeaders ?? undefined, redirect: 'manual', signal });
        }
      } catch (error) {
        deadline.clear();
        return originFailed(request, error);
      }
      const then = (value) => answered(st, grant, value, pending, deadline);
      const otherwise = (error) => originFailed(request, error);
      if (deadline instanceof DueDeadline) {
        const answer = deadline.settle(pending, then, otherwise); // TIMED_OUT: answered by gate.fetch
        // In this request's context (an abort is this request's I/O), whoever saw the deadline pass.
        if (deadline.controller !== null) answer.then((value) => { if (value === TIMED_OUT) deadline.controller.abort(); }, () => {});
        return answer;
      }
      const answer = Promise.resolve(deadline.race(pending)).then(then, otherwise);
      return deadline instanceof Deadline ? answer.finally(() => deadline.clear()) : answer;
    }

    /** The origin could not answer: 502 (why, without the origin's details). */
    function originFailed(request, error) {
      const aborted = error !== null && typeof error === 'object' && (error.name === 'TimeoutError' || error.name === 'AbortError');
      if (aborted && request.signal?.aborted === true) return refusal(502, 'ORIGIN_UNAVAILABLE', 'the client went away before the origin answered');
      return refusal(502, 'ORIGIN_UNAVAILABLE', aborted ? `the origin did not answer within ${timeoutMs} ms` : 'the origin could not be reached');
    }

    const timedOut = () => refusal(502, 'ORIGIN_UNAVAILABLE', `the origin did not answer within ${timeoutMs} ms`);
    // The last step of every answer: a deadline passed in workerd (DueDeadline.settle) is answered here.
    const answerOf = (value) => (value === TIMED_OUT ? timedOut() : value);

    /**
     * The origin's answer (`value`: its Response, the cache origin's `{ response }` or refusal,
     * or TIMED_OUT) as the client gets it: 502 for a failure, else as it is, a playlist or MPD
     * capped and carrying segment tokens, a segment with its renewed cookie.
     */
    function answered(st, grant, value, pending, deadline) {
      if (value === TIMED_OUT) {
        Promise.resolve(pending).then((late) => (late?.response ?? late)?.body?.cancel?.(), () => {});
        return timedOut();
      }
      let response;
      if (mediaCache !== null) {
        if (value.code !== undefined) return refusal(value.status, value.code, value.reason);
        response = value.response;
      } else response = value;
      if (!isA(response, Response)) return originFailed(st.request, fail('INVALID_ARGUMENT', 'fetch: did not return a Response'));
      // Node's and Deno's fetch decode a gzip, deflate or br body the origin sent though the gate
      // asked for none, and keep its content-encoding and content-length: passed on so, the
      // bytes would be labelled gzip and their length wrong (a connection's framing with it).
      if (DECODING_FETCH && fetchOption === undefined && response.headers.has('content-encoding')) response = withoutEncoding(response);
      const { status } = response;
      if (status >= 500) {
        response.body?.cancel().catch(() => {});
        return refusal(502, 'ORIGIN_UNAVAILABLE', `the origin answered ${status}`);
      }
      response = withoutOriginCors(response);
      // A redirect to another host: the viewer's next request would not come to the gate.
      if (status >= 300 && status < 400 && redirectsAway(response, st.href)) {
        response.body?.cancel().catch(() => {});
        return refusal(502, 'ORIGIN_UNAVAILABLE', 'the origin redirected to another host');
      }
      const { method, isManifestPath, folder, scope, atSeconds, segmentFrom } = st;
      if (isManifestPath) {
        // A playlist or MPD is capped whole: a part of one (206), or another success with a body,
        // would reach the viewer as the origin wrote it.
        if (method !== 'HEAD' && status > 200 && status < 300 && status !== 204) {
          response.body?.cancel().catch(() => {});
          return refusal(502, 'ORIGIN_UNAVAILABLE', `the origin answered ${status} for a playlist or MPD: only a whole one (200) can be capped`);
        }
        // Another answer's body (a 3xx's, a 4xx's) is no capped manifest: not passed on. A HEAD
        // gets the headers its GET would (RFC 9110 9.3.2): those of a capped manifest.
        if (status >= 300 && status !== 304) {
          response.body?.cancel().catch(() => {});
          return new Response(null, { status, headers: withoutBodyHeaders(response.headers) });
        }
        if (method === 'HEAD' && status === 200) return new Response(null, { status, headers: perViewer(withoutBodyHeaders(response.headers)) });
      }

      // A segment token for what comes next: minted for a playlist or MPD, and in cookie mode
      // renewed on a segment once its cookie is half spent. From a playback token only when its
      // scope allows get on the whole title folder (a token opens every file in it).
      const mints = segments$ !== null && folder !== null && response.status === 200 && !grant.file // a file token opens its file, no more
        && (grant.until !== undefined || (scope !== null && coversPrefix(scope, 'get', scopeCache, folder)));
      if (!isManifestPath || method === 'HEAD' || status !== 200) {
        const renew = mints && segments$.via === 'cookie' && !isManifestPath
          && (segmentFrom !== 'cookie' || grant.exp === undefined || grant.exp - atSeconds < segments$.lifetime / 2);
        return renew ? withRenewedCookie(st, grant, response) : response;
      }
      return rewritten(st, grant, response, deadline, mints);
    }

    /** Sets the folder's segment cookie on `out` (`url`: the request's, parsed): a token minted now, for `seconds` more. */
    async function setSegmentCookie(st, grant, out, seconds, url) {
      const { place, folder, atSeconds } = st;
      const fresh = await segments$.mint(folder, grant, atSeconds, seconds);
      const exp = Number(fresh.split('.')[1]);
      const path = `/${url.pathname.slice(1).split('/').slice(0, place.contentIndex + 1).join('/')}/`;
      out.append('set-cookie', `${SEGMENT_COOKIE}=${fresh}; Max-Age=${Math.max(1, exp - atSeconds)}; Path=${path}; HttpOnly; ${url.protocol === 'https:' ? 'SameSite=None; Secure' : 'SameSite=Lax'}`);
    }

    /** A segment's response with a renewed segment cookie. */
    async function withRenewedCookie(st, grant, response) {
      const url = urlOf(st.href);
      if (url === null) {
        response.body?.cancel().catch(() => {});
        return refusal(400, 'INVALID_PATH', 'the request\'s URL does not parse');
      }
      // With this viewer's token in it: for this viewer only.
      const out = perViewer(new Headers(response.headers));
      await setSegmentCookie(st, grant, out, 0, url);
      // Not the origin's statusText: a reason phrase outside Latin-1 is no Response's (and HTTP/2 has none).
      return new Response(response.body, { status: response.status, headers: out });
    }

    /** A playlist or an MPD: masters and MPDs capped, then segment tokens written in or set. */
    async function rewritten(st, grant, response, deadline, mints) {
      const { key, folder, atSeconds } = st;
      const url = new URL(st.href);
      const capName = QUALITY_NAMES[grant.cap];
      let text;
      try {
        text = await deadline.race(response.text());
      } catch {
        return refusal(502, 'ORIGIN_UNAVAILABLE', 'the origin\'s body could not be read');
      }
      if (text === TIMED_OUT) {
        response.body?.cancel().catch(() => {});
        return timedOut();
      }
      const isMpd = /\.mpd$/i.test(key);
      // A playlist that has the player copy its URL's token into URIs would hand it to any host.
      if (isMpd ? mpdCopiesQuery(text) : copiesTokens(text)) {
        return refusal(502, 'INVALID_MANIFEST', 'the origin\'s manifest has the player copy its URL\'s query (the tokens) into URIs');
      }
      // A master lists variants, or I-frame playlists only.
      const isMaster = !isMpd && /#EXT-X-(?:I-FRAME-)?STREAM-INF/.test(text);
      if (isMpd || isMaster) {
        try {
          text = filterManifest(text, { maxQuality: grant.cap === 0 ? null : capName }).text;
        } catch (error) {
          const code = error !== null && typeof error === 'object' && typeof error.code === 'string' ? error.code : 'INVALID_MANIFEST';
          return refusal(502, code, `the origin's manifest was refused: ${String(error?.message).slice(0, 300)}`);
        }
      }
      const out = withoutBodyHeaders(response.headers);
      if (mints) {
        // A VOD playlist's or static MPD's segments are asked for as it plays: its token lasts its
        // duration more (a master's tokens only open the media playlists, which mint their own).
        const seconds = isMaster ? 0 : isMpd ? mpdSeconds(text) : playlistSeconds(text);
        if (segments$.via === 'cookie') await setSegmentCookie(st, grant, out, seconds, url);
        else {
          const fresh = await segments$.mint(folder, grant, atSeconds, seconds);
          if (isMpd) text = tokenizeMpd(text, url, folder, fresh);
          else {
            // Init segments get a file token (segments.mjs says why).
            const fileTokens = new Map();
            if (!isMaster) for (const { uri, file } of initSegments(text, url, folder)) fileTokens.set(uri, await segments$.mintFile(file, grant, atSeconds));
            text = tokenizeHls(text, url, folder, fresh, fileTokens);
          }
        }
      }
      // Capped, or carrying tokens, for this viewer only.
      if (isMpd || isMaster || mints) perViewer(out);
      return new Response(text, { status: 200, headers: out });
    }

    /** A failure of ours (or of the clock): refused, never proxied; the caller's errors thrown. */
    function gateFailure(error) {
      if (isA(error, Error) && error.code === 'INVALID_ARGUMENT') throw error;
      return refusal(500, 'GATE_ERROR', 'the gate failed on this request');
    }

    const gate = {
      /** A promise of the answer to one request: a refusal, a 502, or the origin's response (manifests capped). */
      fetch(request, env, ctx) {
        let answer;
        try {
          answer = handle(request, env, ctx);
          // An answer made at once (a refusal, a preflight): settled as it is, no step more.
          if (!(answer instanceof Promise)) return Promise.resolve(corsPolicy !== null ? withCors(corsPolicy, request, answer) : answer);
        } catch (error) {
          answer = Promise.reject(error);
        }
        if (corsPolicy !== null) return answer.then((value) => withCors(corsPolicy, request, answerOf(value))).catch(gateFailure);
        return answer.then(answerOf, gateFailure);
      },
    };
    gate.node = nodeAdapter(gate.fetch);
    Object.defineProperty(gate, 'tokensCached', { get: () => tokens.size, enumerable: true });
    return Object.freeze(gate);
  }
}
