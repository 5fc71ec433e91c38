// Paths whose file an origin may read as another (js/gate.mjs, js/players/guard.mjs): the checks
// the edge gate refuses a request by (400 INVALID_PATH) and a player guard refuses to send it by.
// Pure functions of strings; shipped twice: bundled into api.mjs with the gate, and as
// players/paths.js beside the guards (which import nothing of the package's but `playgate`).

const NON_ASCII = /[^\x00-\x7f]/;
const CONTROL_OR_SPACE = /[\x00-\x20\x7f]/;
const CONTROL = /[\x00-\x1f\x7f]/;
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~!$&'()*+,=:@-][A-Za-z0-9._~!$&'()*+,=:@-]*)+$/;

/** `key.slice(1).split('/')` for a path `key` (it starts with `/`), without split's runtime call (perf: 0.6 us a request in workerd). */
export function pathSegments(key) {
  const out = [];
  let start = 1;
  for (;;) {
    const end = key.indexOf('/', start);
    if (end === -1) {
      out.push(key.slice(start));
      return out;
    }
    out.push(key.slice(start, end));
    start = end + 1;
  }
}

export const SEPARATOR_FAULT = 'the path has an empty, dot or encoded separator segment';

/**
 * Why a decoded path (`key`, split into `segments`) is not one an origin can be held to, or
 * null. The origin must serve the file whose path was checked, however it reads the path.
 */
export function pathFault(key, segments) {
  if (key.includes('\\') || segments.some((s) => s === '' || s === '.' || s === '..')) return SEPARATOR_FAULT;
  if (CONTROL_OR_SPACE.test(key)) {
    // An origin that decodes the path and then parses it as a URL drops tab, CR and LF, and
    // trims controls and spaces from the ends: `%09..` is `..` to it; C stops at a NUL.
    if (CONTROL.test(key)) return 'the path has a control character (an origin may drop it, or stop at it, and read another path)';
    if (segments.some((s) => { const t = s.trim(); return t === '' || t === '.' || t === '..'; })) return SEPARATOR_FAULT;
  }
  // A `;` starts a path parameter to some origins (Tomcat, Jetty and Spring drop `;...` from a
  // segment and read `..;` as `..`).
  if (key.includes(';')) return 'the path has a `;` (a path parameter to some origins)';
  // A `%` left after decoding: an origin that decodes twice would read another path.
  if (key.includes('%')) return 'the path is percent-encoded twice';
  if (!NON_ASCII.test(key)) return null;
  // An origin that normalises Unicode reads another path when normalising changes the path's
  // ASCII. A compatibility character (fullwidth forms, ligatures): NFKC reads `．．` as `..`, `／`
  // as `/`, `２１６０p` as `2160p`. Accents, composed or not (NFC or NFD), pass.
  const composed = key.normalize('NFC');
  if (key.normalize('NFKC') !== composed) return 'the path has a Unicode compatibility character (fullwidth forms, ligatures): an origin may read it as another';
  // A canonical singleton: U+037E GREEK QUESTION MARK is `;` in NFC (and NFKC) too. The composed
  // form must pass the same checks, in as many segments.
  if (composed === key) return null;
  const composedSegments = pathSegments(composed);
  const composedFault = composedSegments.length === segments.length ? pathFault(composed, composedSegments) : SEPARATOR_FAULT;
  return composedFault === null ? null : `normalised (NFC), ${composedFault}`;
}

/**
 * Why the raw path of a URL (`pathname`, percent-encoded as sent) is not one an origin can be
 * held to, or null; `decoded` is the key it names when it is one.
 */
export function rawPathFault(pathname) {
  // Most paths: segments of plain characters, none empty or starting with a dot (no `%`, `;`, `\`).
  if (PLAIN_PATH.test(pathname)) return { fault: null, decoded: pathname };
  if (/%2f|%5c/i.test(pathname)) return { fault: SEPARATOR_FAULT, decoded: null };
  let decoded;
  try {
    decoded = pathname.includes('%') ? decodeURIComponent(pathname) : pathname;
  } catch {
    return { fault: 'the path is not valid percent-encoded UTF-8', decoded: null };
  }
  return { fault: pathFault(decoded, pathSegments(decoded)), decoded };
}
