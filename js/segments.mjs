// Segment tokens (issue 15 point 2): short HMAC tokens the edge gate mints itself, so that a
// player with no request hooks (Safari's native HLS sends no custom headers and drops query
// strings it was not given) still reaches every segment, and a long movie outlives its playback
// token. The gate writes them into the URIs of the playlists and MPDs it serves (`via: 'uri'`)
// or sets them as a cookie whose path is the title's folder (`via: 'cookie'`).
// Owns the token format, its key (imported into WebCrypto once) and the URI rewriting; which
// request may have one is the gate's (js/gate.mjs).
//
// Format, text safe in a URI and a cookie: `v1.<exp>.<until>.<cap>.<country>.<tag>`
// - exp: epoch seconds after which the token opens no segment;
// - until: epoch seconds of the viewing session's end (the first token's minting plus
//   `sessionSeconds`): until then an expired token still renews itself on a playlist request
//   (VOD players fetch a variant's playlist first when they switch to it, an hour in);
// - cap: 0 uncapped, 1..4 SD, HD, UHD1, UHD2: the playback token's entitlement cap;
// - country: the entitlement's country (two letters), or `-` for none;
// - tag: base64url of the first 16 bytes of HMAC-SHA256(secret,
//   "playgate-segment-v1\n<path>\n<exp>\n<until>\n<cap>\n<country>"), <path> being the title's
//   folder (`/demo/`): the path is in the tag, not in the token, so a token opens nothing
//   outside the folder it was minted for.
// An init segment's token (the URI of a media playlist's EXT-X-MAP) is a file token instead: the
// same format with exp = until, <path> the file's own (`/demo/480p/init.mp4`, never ending in
// `/`) and the label "playgate-segment-file-v1" in place of "playgate-segment-v1", so that no
// file token is ever a folder token (an EXT-X-MAP URI of `../` names the folder itself). It
// opens that one file until the session's end, and is the same text on every reload of the
// playlist. Why: hls.js keeps a segment's init segment, URL and all, from the
// playlist that first listed the segment (it matches init segments by URL), so on a live stream a
// segment loaded later than the folder token's lifetime after it was first listed (a pause, a slow
// network) asked for its init segment with an expired token: 403, the segment skipped, a stall. An
// init segment holds the codecs' setup, no picture or sound.

import { fail, isA, onlyOptions } from './checks.mjs';

export const SEGMENT_PARAM = 'segment_token';
export const SEGMENT_COOKIE = 'playgate_segment';
const FORMAT = /^v1\.(\d{1,11})\.(\d{1,11})\.([0-4])\.([A-Z]{2}|-)\.([A-Za-z0-9_-]{22})$/;
const TAG_BYTES = 16; // 128 bits: forging one is 2^128 tries, online, each a request
const MIN_SECRET_BYTES = 32; // RFC 7518 3.2: an HMAC-SHA256 key of at least 256 bits
const MAX_PLAYLIST_SECONDS = 86_400; // a VOD playlist's duration counted for its tokens, at most
const encoder = /* @__PURE__ */ new TextEncoder();
// The first line of what a tag signs: a folder token's, a file token's.
const FOLDER_LABEL = 'playgate-segment-v1';
const FILE_LABEL = 'playgate-segment-file-v1';

function base64url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The segment token issuer of one gate, from its `segmentTokens` option: `{ via, lifetime,
 * mint(path, grant, now, seconds), check(path, token, now) }`, times in epoch seconds. Throws
 * INVALID_ARGUMENT for a bad option.
 */
export function segmentIssuer(options) {
  if (options === null || typeof options !== 'object') {
    throw fail('INVALID_ARGUMENT', "segmentTokens: expected { secret, lifetimeSeconds?, via?: 'uri' | 'cookie', sessionSeconds? }");
  }
  onlyOptions(options, ['secret', 'lifetimeSeconds', 'via', 'sessionSeconds'], 'segmentTokens');
  const { secret, lifetimeSeconds = 120, via = 'uri', sessionSeconds = 21_600 } = options;
  let secretBytes;
  if (typeof secret === 'string') secretBytes = encoder.encode(secret);
  else if (isA(secret, Uint8Array)) secretBytes = new Uint8Array(secret);
  else if (isA(secret, ArrayBuffer)) secretBytes = new Uint8Array(secret.slice(0));
  else throw fail('INVALID_ARGUMENT', 'segmentTokens.secret: expected a string or bytes');
  if (secretBytes.length < MIN_SECRET_BYTES) {
    throw fail('INVALID_ARGUMENT', `segmentTokens.secret: ${secretBytes.length} bytes; an HMAC-SHA256 key needs at least ${MIN_SECRET_BYTES}`);
  }
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > 3600) {
    throw fail('INVALID_ARGUMENT', 'segmentTokens.lifetimeSeconds: expected whole seconds from 1 to 3600');
  }
  if (!Number.isInteger(sessionSeconds) || sessionSeconds < lifetimeSeconds || sessionSeconds > 86_400) {
    throw fail('INVALID_ARGUMENT', 'segmentTokens.sessionSeconds: expected whole seconds from lifetimeSeconds to 86400');
  }
  if (via !== 'uri' && via !== 'cookie') throw fail('INVALID_ARGUMENT', "segmentTokens.via: expected 'uri' or 'cookie'");
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw fail('INVALID_ARGUMENT', 'segmentTokens: this platform has no WebCrypto (crypto.subtle)');
  let key = null; // imported on first use: createGate stays synchronous

  /** Whether two tags are equal, every character compared: the time says nothing about where they differ. */
  function sameTag(expected, given) {
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
    return diff === 0;
  }

  async function tag(path, exp, until, cap, country, label = FOLDER_LABEL) {
    if (key === null) {
      key = subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    }
    const data = encoder.encode(`${label}\n${path}\n${exp}\n${until}\n${cap}\n${country}`);
    const mac = new Uint8Array(await subtle.sign('HMAC', await key, data));
    return base64url(mac.subarray(0, TAG_BYTES));
  }

  return {
    via,
    lifetime: lifetimeSeconds,

    /**
     * A token for the title folder `path` and `grant` ({ cap, country, until? }: until absent for
     * a grant from a playback token, which starts a session), opening segments for
     * `lifetimeSeconds` plus `seconds` (a VOD playlist's duration) from `now`.
     */
    async mint(path, grant, now, seconds = 0) {
      const until = grant.until ?? now + sessionSeconds;
      const extra = Math.min(Math.max(0, Math.ceil(seconds)), MAX_PLAYLIST_SECONDS);
      const exp = Math.min(now + lifetimeSeconds + extra, until);
      const country = grant.country ?? '-';
      return `v1.${exp}.${until}.${grant.cap}.${country}.${await tag(path, exp, until, grant.cap, country)}`;
    },

    /**
     * A file token for the init segment `file` (its decoded path) and a grant that carries
     * `until` (from a segment token, or from a playback token's session starting at `now`):
     * valid until the session's end, the same text for the same grant.
     */
    async mintFile(file, grant, now) {
      const until = grant.until ?? now + sessionSeconds;
      const country = grant.country ?? '-';
      return `v1.${until}.${until}.${grant.cap}.${country}.${await tag(file, until, until, grant.cap, country, FILE_LABEL)}`;
    },

    /**
     * `{ exp, until, cap, country, file }` of a token minted for the folder `path` (file null) or
     * a file token minted for `file` (the requested key), or `{ code, reason }`: the format, then
     * the tag (another path or a forgery), then `exp` (or, with `renewing`, the session's end).
     */
    async check(path, token, now, renewing, file = null) {
      const m = FORMAT.exec(token);
      if (m === null) return { code: 'SEGMENT_TOKEN_INVALID', reason: 'the segment token is not one this gate mints' };
      const [, expText, untilText, capText, country, given] = m;
      let scope = null;
      if (!sameTag(await tag(path, expText, untilText, capText, country), given)) {
        // A file token has exp = until: only then is the second MAC worth computing.
        if (file === null || expText !== untilText || !sameTag(await tag(file, expText, untilText, capText, country, FILE_LABEL), given)) {
          return { code: 'SEGMENT_TOKEN_INVALID', reason: `the segment token was not minted for ${path}` };
        }
        scope = file;
      }
      const exp = Number(expText);
      const until = Number(untilText);
      if (now >= (renewing ? until : exp)) {
        return { code: 'SEGMENT_TOKEN_EXPIRED', reason: renewing ? 'the viewing session has ended: start again with a playback token' : 'the segment token has expired' };
      }
      return { exp, until, cap: Number(capText), country: country === '-' ? null : country, file: scope };
    },
  };
}

/** `uri` with `name=value` added to its query (before any fragment). */
function withParam(uri, name, value, amp) {
  const hash = uri.indexOf('#');
  const head = hash < 0 ? uri : uri.slice(0, hash);
  const tail = hash < 0 ? '' : uri.slice(hash);
  return `${head}${head.includes('?') ? amp : '?'}${name}=${value}${tail}`;
}

// A URI as every player reads it alike: no whitespace or control characters (the WHATWG parser
// drops a tab or CR inside a URL where hls.js ends a line at a CR), no `\` (a `/` to WHATWG, not to
// every reader), no `{` (an EXT-X-DEFINE variable, substituted by the player after this check),
// no quotes, `<`, `>`, `^`, backquote or `|`.
const PLAIN_URI = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#[\]]*$/;
// A scheme: then the URI must spell out the gate's own origin (`https:seg.ts` is relative to
// WHATWG's parser and to the player page's URL to a browser that is handed it).
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Whether `uri` (relative to `base`, the playlist's URL as the client asked for it) is one of
 * the gate's own URLs in the title folder `path`: only those carry the token (never a key
 * server's, a CDN's or another title's). Anything a player could read otherwise than this check
 * does is not.
 */
function ownUri(uri, base, path) {
  if (!PLAIN_URI.test(uri) || (SCHEME.test(uri) && !uri.startsWith(`${base.origin}/`))) return false;
  // A relative URI's first segment has no `:` (RFC 3986 4.2): a template's `$RepresentationID$:`
  // or `a$Number$:` becomes a scheme once the player fills it in.
  if (!SCHEME.test(uri) && /^[^/?#]*:/.test(uri)) return false;
  let url;
  try {
    url = new URL(uri, base);
  } catch {
    return false;
  }
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return false;
  let decoded;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return false;
  }
  return decoded.startsWith(path) && !url.searchParams.has(SEGMENT_PARAM);
}

/**
 * The seconds a static (VOD) MPD plays: its mediaPresentationDuration, else the sum of its
 * Periods' durations, else Infinity (its tokens then last the session); 0 for a dynamic (live)
 * MPD, which players load again (each load mints anew). A static MPD is loaded once: its tokens
 * must outlive the film, as a VOD media playlist's do.
 */
export function mpdSeconds(text) {
  const head = /<MPD\b[^>]*>/.exec(text)?.[0] ?? '';
  if (/\stype\s*=\s*["']dynamic["']/.test(head)) return 0;
  const total = isoSeconds(/\smediaPresentationDuration\s*=\s*["']([^"']*)["']/.exec(head)?.[1]);
  if (total !== null) return total;
  let sum = 0;
  let periods = 0;
  for (const m of text.matchAll(/<Period\b[^>]*?\sduration\s*=\s*["']([^"']*)["']/g)) {
    const seconds = isoSeconds(m[1]);
    if (seconds === null) return Infinity;
    sum += seconds;
    periods++;
  }
  return periods > 0 ? sum : Infinity;
}

/** An xs:duration (ISO 8601: PnDTnHnMnS) in seconds, or null when it is not one. */
function isoSeconds(value) {
  if (value === undefined) return null;
  const m = /^\s*P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?\s*$/.exec(value);
  if (m === null || m.slice(1).every((part) => part === undefined)) return null;
  const [days, hours, minutes, seconds] = m.slice(1).map((part) => Number(part ?? 0));
  return days * 86_400 + hours * 3600 + minutes * 60 + seconds;
}

/** The seconds a VOD media playlist plays (its EXTINF durations), or 0 for a live one. */
export function playlistSeconds(text) {
  if (!text.includes('#EXT-X-ENDLIST')) return 0;
  let total = 0;
  for (const m of text.matchAll(/^#EXTINF:\s*([0-9.]+)/gm)) total += Number(m[1]) || 0;
  return total;
}

/** The decoded path of `uri` relative to `base`, or null. */
function pathOf(uri, base) {
  try {
    return decodeURIComponent(new URL(uri, base).pathname);
  } catch {
    return null;
  }
}

// One attribute of an HLS attribute list (RFC 8216 4.2), read where the last one ended: spaces
// (hls.js trims a name, Shaka skips them after a comma), a name, then a quoted string (no quote,
// CR or LF inside) or an unquoted value up to the next comma. No space after a closing quote:
// hls.js then reads the quotes and the space as part of the value (attr-list.ts), a URI the
// gate's would not be.
const HLS_ATTRIBUTE = /[ \t]*([A-Za-z0-9-]+)=(?:"([^"\r\n]*)"|([^",\r\n]*))(,|$)/y;

/**
 * A tag line's attributes as `{ name, value, quoted, start, end }` (the value's place in the
 * line), or null when the line is no tag with an attribute list read whole (`#EXTINF:6,title`,
 * a stray quote, a CR: hls.js would read such a line otherwise).
 */
function hlsAttributes(line) {
  const colon = line.indexOf(':');
  if (!line.startsWith('#EXT') || colon < 0) return null;
  const out = [];
  let at = colon + 1;
  while (at < line.length) {
    HLS_ATTRIBUTE.lastIndex = at;
    const m = HLS_ATTRIBUTE.exec(line);
    if (m === null) return null;
    const quoted = m[2] !== undefined;
    const start = at + m[0].indexOf('=') + 1 + (quoted ? 1 : 0);
    const value = quoted ? m[2] : m[3];
    out.push({ name: m[1], value, quoted, start, end: start + value.length });
    at = HLS_ATTRIBUTE.lastIndex;
    if (m[4] === '') break;
  }
  return at === line.length ? out : null;
}

/** The quoted `URI` attribute of a tag line, or undefined (none, or a line not read whole). */
function tagUri(line) {
  const uri = hlsAttributes(line)?.find((a) => a.name === 'URI');
  return uri?.quoted ? uri.value : undefined;
}

// Line ends as hls.js reads them (a bare CR ends a line too); a playlist is read line by line so.
const LINE_END = /\r\n|\r|\n/;
// Line ends to other readers (a Unicode line or paragraph separator, NEL): a playlist holding one
// gets no token (a line the gate reads as one could be two).
const OTHER_LINE_END = /[\u2028\u2029\u0085]/;

/**
 * Whether an HLS playlist may copy a token into its URIs by itself: an EXT-X-DEFINE QUERYPARAM has
 * the player fill a parameter of the playlist's URL (where the gate's tokens travel) into any URI,
 * another host's included (RFC 8216bis 4.4.2.3). hls.js finds a tag inside a line and fills
 * variables into the parameter's name, so any QUERYPARAM anywhere counts.
 */
export function copiesTokens(text) {
  return /QUERYPARAM/i.test(text);
}

/**
 * Whether an MPD may copy the MPD URL's query (where the gate's tokens travel) into its segment
 * URLs: the URL query parameters scheme (ISO/IEC 23009-1 Annex I, `urn:mpeg:dash:urlparam:*`:
 * UrlQueryInfo, ExtUrlQueryInfo with useMPDUrlQuery or a `$query...$` template), which Shaka follows.
 */
export function mpdCopiesQuery(text) {
  return /urn:mpeg:dash:urlparam|UrlQueryInfo|useMPDUrlQuery|queryTemplate/i.test(text);
}

/**
 * The init segments of a media playlist that get a file token: `{ uri, file }` for each EXT-X-MAP
 * URI that is the gate's own in `path`, is not a playlist, and is no media segment's file too (a
 * single-file stream's byte ranges: a file token there would open the media for the session).
 */
export function initSegments(text, base, path) {
  if (OTHER_LINE_END.test(text)) return [];
  const lines = text.split(LINE_END);
  const segmentFiles = new Set();
  for (const line of lines) {
    if (line.startsWith('#EXT-X-PART:') || line.startsWith('#EXT-X-PRELOAD-HINT:')) {
      // Every quoted URI, read loosely: a file counted as media too gets no file token.
      for (const m of line.matchAll(/URI\s*=\s*"([^"]*)"/gi)) segmentFiles.add(pathOf(m[1], base));
      continue;
    }
    const uri = line.startsWith('#') ? undefined : line.trim();
    if (uri !== undefined && uri !== '') segmentFiles.add(pathOf(uri, base));
  }
  const found = new Map();
  for (const line of lines) {
    if (!line.startsWith('#EXT-X-MAP:')) continue;
    const uri = tagUri(line);
    if (uri === undefined || found.has(uri) || !ownUri(uri, base, path)) continue;
    const file = pathOf(uri, base);
    if (file === null || file.endsWith('/') || /\.(m3u8|mpd)$/i.test(file) || segmentFiles.has(file)) continue;
    found.set(uri, file);
  }
  return [...found].map(([uri, file]) => ({ uri, file }));
}

/**
 * An HLS playlist (master or media) with `token` in the query of each of its URIs that is the
 * gate's own in `path`: URI lines and the URI attributes of tags (EXT-X-MEDIA, EXT-X-MAP,
 * EXT-X-I-FRAME-STREAM-INF, EXT-X-PART, ...); an EXT-X-MAP URI found in `fileTokens` (a Map
 * of URI to file token, initSegments') gets its file token instead.
 */
export function tokenizeHls(text, base, path, token, fileTokens = new Map()) {
  // Content steering: the player may move these URIs to another host (a pathway clone).
  if (text.includes('#EXT-X-CONTENT-STEERING')) return text;
  if (OTHER_LINE_END.test(text)) return text;
  const add = (uri, own = token) => (ownUri(uri, base, path) ? withParam(uri, SEGMENT_PARAM, own, '&') : uri);
  // The lines as hls.js reads them, each line end kept as written (at the odd places).
  return text.split(/(\r\n|\r|\n)/).map((line, i) => {
    if (i % 2 === 1) return line;
    if (line.startsWith('#')) {
      // The attribute named URI, its value quoted, in a tag read whole; nothing else in a tag.
      if (!line.includes('URI=')) return line;
      const uri = hlsAttributes(line)?.find((a) => a.name === 'URI' && a.quoted);
      if (uri === undefined) return line;
      const own = line.startsWith('#EXT-X-MAP:') ? fileTokens.get(uri.value) : token;
      return `${line.slice(0, uri.start)}${add(uri.value, own)}${line.slice(uri.end)}`;
    }
    const uri = line.trim();
    return uri === '' ? line : line.replace(uri, () => add(uri)); // a function: `$&` in a URI stays as written
  }).join('');
}

// A Representation id as `$RepresentationID$` may put it into a URL: a path segment's text.
const PLAIN_ID = /^[A-Za-z0-9_~=+,-][A-Za-z0-9._~=+,-]*$/;
// One attribute of a tag, read where the last one ended (a quoted value is skipped whole).
const ATTRIBUTE = /\s+([^\s=/>"'<]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

/**
 * A start tag's attributes in order as `{ name, value, start, end }` (the value's place in the
 * tag), or null when its text is not only those.
 */
function tagAttributes(tag) {
  const open = /^<[^\s/>]+/.exec(tag);
  if (open === null) return null;
  const out = [];
  let at = open[0].length;
  ATTRIBUTE.lastIndex = at;
  for (let m = ATTRIBUTE.exec(tag); m !== null; m = ATTRIBUTE.exec(tag)) {
    const value = m[2] ?? m[3];
    at = ATTRIBUTE.lastIndex;
    out.push({ name: m[1], value, start: at - 1 - value.length, end: at - 1 }); // before the closing quote
  }
  return /^\s*\/?>$/.test(tag.slice(at)) ? out : null;
}

/**
 * A start tag with `add(value)` (a value with the token, or null: as it is) written into its
 * media, initialization and sourceURL attributes; null when its text is not only attributes.
 */
function withUrlAttributes(tag, add) {
  const attributes = tagAttributes(tag);
  if (attributes === null) return null;
  let out = '';
  let at = 0;
  for (const { name, value, start, end } of attributes) {
    if (name !== 'media' && name !== 'initialization' && name !== 'sourceURL') continue;
    const added = add(value);
    if (added === null) continue;
    out += `${tag.slice(at, start)}${added}`;
    at = end;
  }
  return out + tag.slice(at);
}

// The text of a BaseURL, Location or PatchLocation element, up to its end tag.
// Text only (`[^<]*`: linear; a child, CDATA, a comment or a self-closing element is not counted,
// and the MPD then gets no token).
const URL_ELEMENTS = /<((?:[A-Za-z_][\w.-]*:)?(?:BaseURL|Location|PatchLocation))\b[^>]*>([^<]*)<\/\1\s*>/g;

/**
 * Whether the MPD's segment URLs resolve where this module reads them to: against the MPD's own
 * URL, below relative BaseURLs of plain text. Not when a BaseURL is absolute, climbs (`..`),
 * starts at the root or is anything but plain text (CDATA, a comment, a character reference,
 * `\`: an XML parser and a player read those otherwise than a pattern does); when a Location or
 * PatchLocation (the MPD's new URL to the player, ISO/IEC 23009-1 5.3.1.2) is not the gate's own
 * in the folder; with content steering (it moves URLs to other hosts); or when a template puts a
 * Representation id that is not a plain name into a URL.
 */
function mpdUrlsAreOwn(text, base, path) {
  if (/<(?:[A-Za-z_][\w.-]*:)?ContentSteering\b/.test(text)) return false;
  const elements = text.match(/<(?:[A-Za-z_][\w.-]*:)?(?:BaseURL|Location|PatchLocation)\b/g)?.length ?? 0;
  let read = 0;
  for (const [, name, content] of text.matchAll(URL_ELEMENTS)) {
    read++;
    const value = content.trim();
    if (!PLAIN_URI.test(value) || value.includes('&')) return false;
    if (/BaseURL$/.test(name)) {
      // `%2e%2e` is `..` to a URL parser (WHATWG, Shaka): the segments are read decoded.
      let decoded;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        return false;
      }
      if (SCHEME.test(value) || decoded.startsWith('/') || decoded.split('/').includes('..')) return false;
    } else if (!ownUri(value, base, path)) return false;
  }
  if (read !== elements) return false; // one that is not written as `<X ...>text</X>`
  if (/\$RepresentationID/.test(text)) {
    // The id attribute itself, read as an XML parser reads the tag (an ` id="..."` inside another
    // attribute's value is not it), once.
    for (const m of text.matchAll(/<(?:[A-Za-z_][\w.-]*:)?Representation\b[^>]*>/g)) {
      const ids = tagAttributes(m[0])?.filter((a) => a.name === 'id');
      if (ids === undefined || ids.length !== 1 || !PLAIN_ID.test(ids[0].value)) return false;
    }
  }
  return true;
}

/**
 * An MPD with `token` in the segment URLs it names (SegmentTemplate `media` and
 * `initialization`, SegmentURL `media`, Initialization and RepresentationIndex `sourceURL`, and
 * a BaseURL that names a file), each in `path`; or the MPD as it is when its URLs could resolve
 * elsewhere than this module reads them to (mpdUrlsAreOwn): a token never leaves for a URL this
 * check cannot see.
 */
export function tokenizeMpd(text, base, path, token) {
  if (!mpdUrlsAreOwn(text, base, path)) return text;
  const add = (value) => {
    if (value.includes('&#')) return null; // a character reference: its `#` is not a fragment's
    const uri = value.replace(/&amp;/g, '&');
    if (uri.includes('&') && !value.includes('&amp;')) return null; // not the XML this reads
    return ownUri(uri, base, path) ? withParam(value, SEGMENT_PARAM, token, '&amp;') : null;
  };
  // The URL attributes of each start tag, read as an XML parser reads the tag (a `media="..."`
  // inside another attribute's single-quoted value is not one); a tag not read whole: no token.
  let whole = true;
  const tagged = text.replace(/<[A-Za-z_][^>]*>/g, (tag) => {
    if (!/\s(?:media|initialization|sourceURL)\s*=/.test(tag)) return tag;
    const rewritten = withUrlAttributes(tag, add);
    if (rewritten === null) whole = false;
    return rewritten ?? tag;
  });
  if (!whole) return text;
  return tagged
    // A BaseURL naming a file (a Representation in one file, or a subtitle track) is itself
    // fetched: it carries the token too. One naming a folder does not: URLs resolve below it.
    .replace(/(<(?:[A-Za-z_][\w.-]*:)?BaseURL\b[^>]*>)([^<]*)</g, (whole, open, value) => {
      const trimmed = value.trim();
      if (trimmed === '' || trimmed.endsWith('/')) return whole;
      const added = add(trimmed);
      return added === null ? whole : `${open}${added}<`;
    });
}
