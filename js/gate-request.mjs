// The gate's reading of a request (js/gate.mjs): the path and query from the URL's text, the
// layout that maps a path to a title and a rendition, a rendition's quality by its name, the
// gate's cookies in a Cookie header, and what of the viewer's headers and query goes on to the
// origin (the forwardHeaders and forwardQuery options). Pure functions of strings: no platform
// calls beyond URLSearchParams, so each is tested on its own (tests/node/gate.test.mjs).

import { fail } from './checks.mjs';
import { SEGMENT_PARAM } from './segments.mjs';

export const DEFAULT_LAYOUT = '/{content}/{rendition}/{file}';
// The longest list an option may hold (header names, parameter names, renditions, origins): a
// sparse array of length 2 ** 32 - 1 would take minutes to walk (found by tests/node/hostile.test.mjs).
export const MAX_OPTION_ITEMS = 1024;
const PLACEHOLDERS = ['{content}', '{rendition}', '{file}'];

// takeCookie's answer for no Cookie header (shared: read only).
const NO_COOKIE = /* @__PURE__ */ Object.freeze({ value: null, rest: null });

/**
 * renditionQuality's answers for the names seen, kept in a short list compared with `===`: a Map
 * looked up with a request's new string costs a call into V8's runtime (perf), and a ladder has a
 * few names. Past `max` names, the oldest entry is replaced.
 */
export class RenditionQualities {
  constructor(max = 32) {
    this.max = max;
    this.names = [];
    this.qualities = [];
    this.next = 0;
  }

  /** renditionQuality(name), remembered. */
  of(name) {
    const { names } = this;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.qualities[i];
    const quality = renditionQuality(name);
    if (names.length < this.max) {
      names.push(name);
      this.qualities.push(quality);
    } else {
      names[this.next] = name;
      this.qualities[this.next] = quality;
      this.next = (this.next + 1) % this.max;
    }
    return quality;
  }
}

/**
 * The quality of a rendition by its name: one `<lines>p` part (`1080p`, `720p60`, `video_1080p`;
 * parts split at `-`, `_` and `.`), SD below 720 lines, HD up to 1080, UHD1 up to 2160, UHD2
 * above. Anything else (no such part, two of them, a part that starts as one and goes on, such as
 * `2160p;x` or `2160px`, 0 lines) is null: the name says nothing it can be held to.
 */
export function renditionQuality(name) {
  let lines = 0;
  for (const part of name.split(/[-_.]/)) {
    const m = /^(\d{2,5})p(\d{2,3})?$/i.exec(part);
    if (!m) {
      if (/^\d{2,5}p/i.test(part)) return null; // a height with more after it: not one to trust
      continue;
    }
    if (lines !== 0) return null; // two heights: ambiguous
    lines = Number(m[1]);
  }
  if (lines <= 0) return null;
  return lines < 720 ? 'SD' : lines <= 1080 ? 'HD' : lines <= 2160 ? 'UHD1' : 'UHD2';
}

/**
 * The layout as its segments (literals and placeholders), and as the two patterns a path is
 * matched with (`full`, and `title`: without `{rendition}`), each with its placeholders' places;
 * throws INVALID_ARGUMENT.
 */
export function readLayout(layout) {
  if (typeof layout !== 'string' || !layout.startsWith('/')) {
    throw fail('INVALID_ARGUMENT', `layout: expected a path pattern such as '${DEFAULT_LAYOUT}'`);
  }
  const segments = layout.slice(1).split('/');
  for (const p of PLACEHOLDERS) {
    if (segments.filter((s) => s === p).length !== 1) throw fail('INVALID_ARGUMENT', `layout: must hold ${p} exactly once as a whole segment: ${layout}`);
  }
  if (segments[segments.length - 1] !== '{file}') throw fail('INVALID_ARGUMENT', `layout: {file} must be the last segment: ${layout}`);
  for (const s of segments) {
    if (s === '' || (!PLACEHOLDERS.includes(s) && (s.includes('{') || s.includes('}')))) {
      throw fail('INVALID_ARGUMENT', `layout: a segment is empty or an unknown placeholder: ${JSON.stringify(s)}`);
    }
  }
  const title = segments.filter((s) => s !== '{rendition}');
  return {
    segments,
    full: { pattern: segments, rendition: segments.indexOf('{rendition}'), content: segments.indexOf('{content}') },
    title: { pattern: title, content: title.indexOf('{content}') },
  };
}

/**
 * Where `segments` (the decoded path's) sit in the layout: `{ rendition }` for a path of the whole
 * layout, `{ rendition: null, titleLevel: true }` for one without its `{rendition}` segment (the
 * master playlist or MPD beside the renditions, seed 000's `/{ContentName}/playlist.m3u8`), or
 * null for a path the layout does not describe.
 */
export function matchLayout(layout, segments) {
  const { full, title } = layout;
  if (matches(full.pattern, segments)) return { rendition: segments[full.rendition], titleLevel: false, contentIndex: full.content };
  if (matches(title.pattern, segments)) return { rendition: null, titleLevel: true, contentIndex: title.content };
  return null;
}

/** Whether `segments` fit `pattern` (placeholders match any segment, literals themselves). */
function matches(pattern, segments) {
  if (pattern.length !== segments.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== '{content}' && p !== '{file}' && p !== '{rendition}' && p !== segments[i]) return false;
  }
  return true;
}

// The characters of a host and port: letters, digits, `-._~`, `:` and the brackets of an IPv6 literal.
// Made by a call marked pure: an app without the gate leaves it out.
const AUTHORITY = /* @__PURE__ */ asciiTable('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:[]');

/** A table of the 128 ASCII codes: 1 for each character of `chars`. */
function asciiTable(chars) {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/**
 * The path and the query (without its `?`) of an absolute http(s) URL's text, as written (the
 * fragment dropped), or null for anything else. `request.url` is always absolute: the platform
 * serialised it (Node, Deno) or put the client's request target after its own origin (workerd).
 */
export function urlParts(href) {
  let i;
  if (href.startsWith('https://')) i = 8;
  else if (href.startsWith('http://')) i = 7;
  else return null;
  // The authority ends at the first '/', '?' or '#'; it is a host and a port, nothing else
  // (no userinfo, no `%`, no space: a Host header a platform passed on as it came).
  const n = href.length;
  while (i < n) {
    const c = href.charCodeAt(i);
    if (c === 47 || c === 63 || c === 35) break;
    if (!(AUTHORITY[c] === 1)) return null;
    i++;
  }
  const hash = href.indexOf('#', i);
  const end = hash < 0 ? n : hash;
  const q = href.indexOf('?', i);
  const pathEnd = q < 0 || q > end ? end : q;
  const pathname = i === pathEnd ? '/' : href.slice(i, pathEnd);
  if (pathname.charCodeAt(0) !== 47) return null;
  return { pathname, search: pathEnd === end ? '' : href.slice(pathEnd + 1, end) };
}

/** A cookie's value, percent-decoded when it was encoded. */
export function cookieText(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The value of cookie `name` in a Cookie header, and the header without it. Two Cookie lines
 * reach the gate joined by ", " (the Fetch standard combines a header's lines so), so a pair
 * after a comma inside a `;` part is read as a pair too, and taken out: else the gate's cookie
 * there would be neither read nor taken out, and `forwardHeaders: 'all'` would pass it on. A
 * pair that starts a `;` part wins over one after a comma (which may be inside another
 * cookie's value). The other cookies keep their text, commas and all.
 */
export function takeCookie(header, name) {
  if (header === null) return NO_COOKIE;
  let first = null; // from a pair that starts a `;` part
  let afterComma = null; // from a pair after a comma
  const kept = [];
  for (const raw of header.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const pairs = part.includes(',') ? part.split(',') : [part];
    const others = [];
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      const eq = pair.indexOf('=');
      if ((eq < 0 ? pair : pair.slice(0, eq)).trim() !== name) others.push(pair);
      else if (i === 0) first ??= pair.slice(eq + 1).trim();
      else afterComma ??= pair.slice(eq + 1).trim();
    }
    const left = others.length === pairs.length ? part : others.join(',').trim();
    if (left !== '') kept.push(left);
  }
  return { value: first ?? afterComma, rest: kept.length ? kept.join('; ') : null };
}

// What the origin gets of the viewer's request headers by default: what serves media (ranges and
// revalidation), nothing about the viewer (no cookies, no tokens, no user agent), as a CDN's
// origin request forwards by default. Not Accept (a file is served by its path; every browser
// sends one, and in workerd any header sent costs, see forward) nor the preconditions of writes
// (If-Match, If-Unmodified-Since).
export const DEFAULT_FORWARDED = /* @__PURE__ */ Object.freeze(['range', 'if-range', 'if-none-match', 'if-modified-since']);
// Never forwarded, whatever forwardHeaders names: the token carriers, the gate's own hop, and
// accept-encoding (the gate's to choose: identity in Node and Deno, none in workerd; see forward).
export const NEVER_FORWARDED = new Set(['authorization', 'cookie', 'host', 'proxy-authorization', 'accept-encoding', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * The forwardHeaders option: `'all'` (a copy of the viewer's headers without the tokens: null
 * here), or an array of header names (lowercased, each once); throws INVALID_ARGUMENT.
 */
export function readForwardHeaders(value) {
  if (value === 'all') return null;
  if (!Array.isArray(value) || value.length > MAX_OPTION_ITEMS) throw fail('INVALID_ARGUMENT', `forwardHeaders: expected an array of at most ${MAX_OPTION_ITEMS} header names, or 'all'`);
  const names = [];
  value.forEach((h, i) => {
    if (typeof h !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(h)) throw fail('INVALID_ARGUMENT', `forwardHeaders[${i}]: expected a header name`);
    const name = h.toLowerCase();
    if (NEVER_FORWARDED.has(name)) throw fail('INVALID_ARGUMENT', `forwardHeaders[${i}]: ${name} is never forwarded (a token carrier, a hop-by-hop header, or accept-encoding, always identity)`);
    if (!names.includes(name)) names.push(name);
  });
  // Range before If-Range: the gate forwards If-Range only with a Range (js/gate.mjs, forward).
  const range = names.indexOf('range');
  const ifRange = names.indexOf('if-range');
  if (ifRange !== -1 && range > ifRange) {
    names.splice(range, 1);
    names.splice(ifRange, 0, 'range');
  }
  return names;
}

/**
 * The forwardQuery option: true (the client's query as sent, without the gate's token
 * parameters: null here), false (none: an empty list), or an array of parameter names (exact,
 * as URLSearchParams reads them); throws INVALID_ARGUMENT.
 */
export function readForwardQuery(value) {
  if (value === true) return null;
  if (value === false) return new Set();
  if (!Array.isArray(value) || value.length > MAX_OPTION_ITEMS) throw fail('INVALID_ARGUMENT', `forwardQuery: expected true, false or an array of at most ${MAX_OPTION_ITEMS} query parameter names`);
  value.forEach((name, i) => {
    if (typeof name !== 'string' || name === '') throw fail('INVALID_ARGUMENT', `forwardQuery[${i}]: expected a query parameter name`);
    if (name === 'token' || name === SEGMENT_PARAM) throw fail('INVALID_ARGUMENT', `forwardQuery[${i}]: ${name} is the gate's token parameter, never forwarded`);
  });
  return new Set(value);
}

/**
 * The parameters of `search` (a query without its `?`) whose names are in `names`, each as the
 * client wrote it (its encoding kept), in the client's order. A name is read as URLSearchParams
 * reads it (`+` a space, percent-decoded), so `a%62=1` is the parameter `ab`.
 */
export function keptQuery(search, names) {
  if (names.size === 0 || search === '') return '';
  let kept = '';
  for (const pair of search.split('&')) {
    if (pair !== '' && names.has(pairName(pair))) kept = kept === '' ? pair : `${kept}&${pair}`;
  }
  return kept;
}

/** The name of a query's `name=value` pair as URLSearchParams reads it (`+` a space, percent-decoded). */
function pairName(pair) {
  const eq = pair.indexOf('=');
  const name = eq === -1 ? pair : pair.slice(0, eq);
  return name.includes('%') || name.includes('+') ? (new URLSearchParams(pair).keys().next().value ?? '') : name;
}

/**
 * The gate's token parameters of `search` (a query without its `?`), read as URLSearchParams
 * reads them (the first of each name; null when absent), and the query without them: the other
 * pairs as the client wrote them, in its order (`search` itself when it held neither). A
 * URLSearchParams round trip cost every request with a segment token 7.9 us more in workerd under
 * load (measured), and wrote the other parameters in its own encoding.
 */
export function takeQueryTokens(search) {
  let token = null;
  let segmentToken = null;
  let seen = false;
  let kept = '';
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const name = pairName(pair);
    if (name !== 'token' && name !== SEGMENT_PARAM) {
      kept = kept === '' ? pair : `${kept}&${pair}`;
      continue;
    }
    seen = true;
    const eq = pair.indexOf('=');
    let value = eq === -1 ? '' : pair.slice(eq + 1);
    if (value.includes('%') || value.includes('+')) value = new URLSearchParams(pair).values().next().value ?? '';
    if (name === 'token') token ??= value;
    else segmentToken ??= value;
  }
  return { token, segmentToken, search: seen ? kept : search };
}
