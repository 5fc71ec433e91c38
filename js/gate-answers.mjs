// The gate's own answers (js/gate.mjs): refusals (JSON { code, reason }, with the headers of
// their kind) and CORS (the cors option, preflights, and the headers an allowed answer carries).

import { fail, onlyOptions } from './checks.mjs';
import { MAX_OPTION_ITEMS } from './gate-request.mjs';

/**
 * The `cors` option: null (no CORS headers: the player is on the gate's own origin), or
 * `{ origins: Set | '*', credentials, maxAge }`; throws INVALID_ARGUMENT.
 */
export function readCors(cors) {
  if (cors === undefined || cors === null) return null;
  if (typeof cors !== 'object') throw fail('INVALID_ARGUMENT', "cors: expected { origins: ['https://player.example'] | '*', credentials?, maxAgeSeconds? }");
  onlyOptions(cors, ['origins', 'credentials', 'maxAgeSeconds'], 'cors');
  const { origins, credentials = false, maxAgeSeconds = 600 } = cors;
  if (typeof credentials !== 'boolean') throw fail('INVALID_ARGUMENT', 'cors.credentials: expected a boolean');
  if (!Number.isInteger(maxAgeSeconds) || maxAgeSeconds < 0 || maxAgeSeconds > 86_400) throw fail('INVALID_ARGUMENT', 'cors.maxAgeSeconds: expected whole seconds from 0 to 86400');
  let allowed;
  if (origins === '*') {
    // A browser sends no credentials (cookies) to '*'; naming every origin instead would.
    if (credentials) throw fail('INVALID_ARGUMENT', "cors: credentials need the player's origins named, not '*'");
    allowed = '*';
  } else if (Array.isArray(origins) && origins.length > 0 && origins.length <= MAX_OPTION_ITEMS) {
    allowed = new Set(origins.map((o, i) => {
      let url = null;
      try {
        url = typeof o === 'string' ? new URL(o) : null;
      } catch {
        // not a URL
      }
      if (url === null || url.origin !== o) throw fail('INVALID_ARGUMENT', `cors.origins[${i}]: expected an origin such as https://player.example`);
      return o;
    }));
  } else {
    throw fail('INVALID_ARGUMENT', `cors.origins: expected a list of at most ${MAX_OPTION_ITEMS} origins, or '*'`);
  }
  return { origins: allowed, credentials, maxAge: String(maxAgeSeconds) };
}

/** The Access-Control-Allow-Origin for a request's Origin header, or null (not allowed). */
function allowedOrigin(policy, origin) {
  if (origin === null) return null;
  if (policy.origins === '*') return '*';
  return policy.origins.has(origin) ? origin : null;
}

/** The answer to a CORS preflight: 204 with what the gate serves, or 403 ORIGIN_NOT_ALLOWED. */
export function preflight(policy, headers) {
  const allowed = allowedOrigin(policy, headers.get('origin'));
  const wanted = headers.get('access-control-request-method');
  if (allowed === null || (wanted !== 'GET' && wanted !== 'HEAD')) {
    return refusal(403, 'ORIGIN_NOT_ALLOWED', allowed === null ? 'this origin may not use the gate' : `${String(wanted).slice(0, 20)}: the gate serves GET and HEAD only`);
  }
  const out = new Headers({
    'access-control-allow-origin': allowed,
    'access-control-allow-methods': 'GET, HEAD',
    'access-control-max-age': policy.maxAge,
    vary: 'Origin',
  });
  // The headers a player sends (Authorization, Range, ...) are read or passed on, never acted on otherwise.
  const asked = headers.get('access-control-request-headers');
  if (asked !== null && /^[\w\-, ]*$/.test(asked)) out.set('access-control-allow-headers', asked);
  if (policy.credentials) out.set('access-control-allow-credentials', 'true');
  return new Response(null, { status: 204, headers: out });
}

// What a player's script may read of an answer (a refusal's JSON is readable by default).
const EXPOSED = 'content-length, content-range, accept-ranges, www-authenticate';

/**
 * `response` with the CORS headers for the request's Origin (as it is when none is allowed). With
 * `'*'` every answer says so, an Origin or not: a cache may serve a copy made for a request
 * without one to a request with one (the Fetch standard, CORS and HTTP caches).
 */
export function withCors(policy, request, response) {
  const allowed = policy.origins === '*' ? '*' : allowedOrigin(policy, request.headers.get('origin'));
  const out = new Response(response.body, response); // an origin's headers are immutable in workerd
  if (allowed !== null) {
    out.headers.set('access-control-allow-origin', allowed);
    out.headers.set('access-control-expose-headers', EXPOSED);
    if (policy.credentials) out.headers.set('access-control-allow-credentials', 'true');
  }
  // The policy alone says whether credentials go (an origin's `true` is not the gate's).
  if (!policy.credentials) out.headers.delete('access-control-allow-credentials');
  // A list of origins: the answer depends on the Origin, with or without the headers above (the
  // Fetch standard, CORS and HTTP caches), so a cache keeps one copy per Origin.
  if (allowed !== '*' && !/\borigin\b/i.test(out.headers.get('vary') ?? '')) out.headers.append('vary', 'Origin');
  return out;
}

/**
 * `response` without the origin's CORS headers: the gate's `cors` option alone says which pages
 * may read an answer (an origin reflecting any Origin with credentials would let every page read
 * the viewer's media with its cookie). Without `access-control-allow-origin` no browser lets a
 * page read it, so only then is the answer copied.
 */
export function withoutOriginCors(response) {
  if (!response.headers.has('access-control-allow-origin')) return response;
  const out = new Response(response.body, response);
  for (const name of [...out.headers.keys()]) if (name.startsWith('access-control-')) out.headers.delete(name);
  return out;
}

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
// A refusal's headers beyond JSON_HEADERS: one of these (each made into a Headers once).
const NO_EXTRA = /* @__PURE__ */ Object.freeze({});
export const INVALID_TOKEN = /* @__PURE__ */ Object.freeze({ 'www-authenticate': 'Bearer error="invalid_token"' });
export const NO_TOKEN = /* @__PURE__ */ Object.freeze({ 'www-authenticate': 'Bearer' });
export const GET_OR_HEAD = /* @__PURE__ */ Object.freeze({ allow: 'GET, HEAD' });
// A Response copies the Headers it is given (the Fetch standard: measured in workerd, tested in
// Node), and in workerd copying one costs about 5 us a refusal less than reading a plain object.
const refusalHeaders = new Map();

export function refusal(status, code, reason, extra = NO_EXTRA) {
  let headers = refusalHeaders.get(extra);
  if (headers === undefined) {
    headers = new Headers({ ...JSON_HEADERS, ...extra });
    refusalHeaders.set(extra, headers);
  }
  return new Response(`{"code":${jsonText(code)},"reason":${jsonText(reason)}}`, { status, headers });
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * `JSON.stringify(text)` for a string, written here when it is printable ASCII (only `"` and `\`
 * are escaped then): each JSON.stringify is a call into V8's C++, and a refusal made two or three
 * (about 7 us a refusal in workerd, perf).
 */
export function jsonText(text) {
  if (!PRINTABLE_ASCII.test(text)) return JSON.stringify(text);
  if (text.includes('\\')) return `"${text.replace(/["\\]/g, '\\$&')}"`;
  // A reason quoting a path: replaceAll, not a pattern's replace (a call into V8's runtime, perf).
  return `"${text.includes('"') ? text.replaceAll('"', '\\"') : text}"`;
}
