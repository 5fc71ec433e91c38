// The MaxMind DB (mmdb) country reader behind the edge gate's `country: { mmdb }` option (issue
// 15): `mmdbCountryReader(bytes)` checks a whole MaxMind DB v2 file given as bytes and returns
// `{ country(ip) }`, the viewer's two-letter country code (upper case) or null.
// Owns the file format (https://maxmind.github.io/MaxMind-DB/) and nothing else: which IP is the
// viewer's and what a null country means (a refusal, COUNTRY_UNKNOWN) are the gate's.
// Which field: ip-location-db's records (`@ip-location-db/*-mmdb`, e.g. GeoLite2 country) are
// `{ country_code: 'US' }`; MaxMind's own (GeoIP2/GeoLite2 Country, City) are
// `{ country: { iso_code }, registered_country: { iso_code }, ... }`. A record's `country_code`
// wins, then `country.iso_code`; a value that is not two ASCII letters is no country.
// `registered_country` is never read: it is where the network was registered, which "may differ
// from the user's country" (MaxMind's GeoIP2 documentation), and a record with only it (anycast,
// satellite and anonymous networks) is a viewer whose country MaxMind does not know.
// Addresses: IPv4 dotted quads (no leading zeros) and IPv6 text (`::`, a trailing dotted quad;
// no zone, no brackets). An IPv4-mapped address (`::ffff:1.2.3.4`) is its IPv4 address: Node
// reports IPv4 clients of a dual-stack socket that way, and the ip-location-db files have no
// ::ffff:0:0/96 alias in their tree. IPv4 in an IPv6 database is looked up under ::/96, as
// MaxMind's readers do; IPv6 in an IPv4 database is null.
// A bad database throws INVALID_ARGUMENT when the reader is made; `country` never throws: a
// malformed IP, an address outside the database, a record without a country and a record the
// database cannot decode are all null. The bytes are read in place (not copied) and a lookup
// checks every read: bytes changed afterwards change answers, they cannot make `country` throw.

import { fail } from './checks.mjs';

// "\xAB\xCD\xEFMaxMind.com": the metadata follows the last one in the file.
const METADATA_MARKER = [0xab, 0xcd, 0xef, 0x4d, 0x61, 0x78, 0x4d, 0x69, 0x6e, 0x64, 0x2e, 0x63, 0x6f, 0x6d];
const MAX_METADATA_BYTES = 128 * 1024; // the spec's bound: the marker is searched for only there
const DATA_SEPARATOR_BYTES = 16; // between the search tree and the data section
// Maps and arrays nested deeper are a bad database: no schema needs more, and it bounds recursion.
const MAX_NESTING = 64;
const MAX_IP_CHARS = 45; // 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'
// Distinct records remembered (a country database has a few hundred; a city one, millions).
const MAX_MEMO = 1 << 16;

// Data types (the control byte's top 3 bits; 0 means "extended": the next byte + 7).
const POINTER = 1;
const UTF8 = 2;
const DOUBLE = 3;
const BYTES = 4;
const UINT16 = 5;
const UINT32 = 6;
const MAP = 7;
const INT32 = 8;
const UINT64 = 9;
const UINT128 = 10;
const ARRAY = 11;
const BOOLEAN = 14;
const FLOAT = 15;
// The largest payload each fixed-width type may have (its exact size for DOUBLE and FLOAT).
const MAX_PAYLOAD = { [UINT16]: 2, [UINT32]: 4, [INT32]: 4, [UINT64]: 8, [UINT128]: 16 };

const asciiBytes = (text) => Array.from(text, (c) => c.charCodeAt(0));
const KEY_COUNTRY_CODE = /* @__PURE__ */ asciiBytes('country_code');
const KEY_COUNTRY = /* @__PURE__ */ asciiBytes('country');
const KEY_ISO_CODE = /* @__PURE__ */ asciiBytes('iso_code');

/**
 * A reader of `bytes` (a Uint8Array or ArrayBuffer holding a whole MaxMind DB v2 file): `{
 * country(ip) }`. `what` names the bytes in error messages. Throws INVALID_ARGUMENT.
 */
export function mmdbCountryReader(bytes, what = 'mmdb') {
  let b;
  if (bytes instanceof Uint8Array) b = bytes;
  else if (bytes instanceof ArrayBuffer) b = new Uint8Array(bytes);
  else throw fail('INVALID_ARGUMENT', `${what}: expected the database file's bytes (a Uint8Array or ArrayBuffer)`);
  const bad = (message) => fail('INVALID_ARGUMENT', `${what}: ${message}`);

  const markerAt = lastMarker(b);
  if (markerAt < 0) throw bad('not a MaxMind DB (no metadata marker in its last 128 KiB; an empty, truncated or other file)');
  const metadata = decoder(b, markerAt + METADATA_MARKER.length, b.length, (m) => bad(`metadata: ${m}`));
  // The whole metadata map must be there: a file cut inside it is truncated, even if the fields
  // read below come before the cut.
  metadata.skipMap(metadata.start);
  const field = (key, check, expected) => {
    const at = metadata.find(metadata.start, asciiBytes(key), 0);
    const value = at < 0 ? null : metadata.uint(at);
    if (value === null || !check(value)) throw bad(`metadata: ${key} must be ${expected} (got ${value === null ? 'none, or not an unsigned integer' : value})`);
    return value;
  };
  field('binary_format_major_version', (v) => v === 2, '2 (MaxMind DB format v2)');
  const recordSize = field('record_size', (v) => v === 24 || v === 28 || v === 32, '24, 28 or 32');
  const ipVersion = field('ip_version', (v) => v === 4 || v === 6, '4 or 6');
  const nodeCount = field('node_count', (v) => v >= 1, 'a positive integer');
  const nodeBytes = recordSize / 4; // two records a node
  const treeBytes = nodeCount * nodeBytes;
  if (treeBytes + DATA_SEPARATOR_BYTES > markerAt) {
    throw bad(`node_count ${nodeCount} × ${nodeBytes} bytes: the search tree does not fit in the file (${markerAt} bytes before the metadata)`);
  }
  const dataStart = treeBytes + DATA_SEPARATOR_BYTES;
  const data = decoder(b, dataStart, markerAt, (m) => fail('INVALID_ARGUMENT', `${what}: data section: ${m}`));

  // One record of node `node` (< nodeCount), left (bit 0) or right (bit 1).
  let record;
  if (recordSize === 24) {
    record = (node, bit) => {
      const at = node * 6 + bit * 3;
      return (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
    };
  } else if (recordSize === 28) {
    // The middle byte holds the high nibble of each record: left's above, right's below.
    record = (node, bit) => {
      const at = node * 7;
      return bit === 0
        ? ((b[at + 3] & 0xf0) << 20) | (b[at] << 16) | (b[at + 1] << 8) | b[at + 2]
        : ((b[at + 3] & 0x0f) << 24) | (b[at + 4] << 16) | (b[at + 5] << 8) | b[at + 6];
    };
  } else {
    record = (node, bit) => {
      const at = node * 8 + bit * 4;
      return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
    };
  }

  // Where IPv4 addresses start: node 0 in an IPv4 tree, after 96 zero bits in an IPv6 one
  // (walked once here instead of at every lookup).
  let ipv4Start = 0;
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && ipv4Start < nodeCount; i++) ipv4Start = record(ipv4Start, 0);
  }

  const memo = new Map(); // record value → country (or null)
  const groups = new Uint16Array(8); // the IPv6 address being looked up

  // The country of the record a walk ended on: node_count is "no data", above it a data-section
  // offset + node_count + 16; below it a node, where the tree is deeper than the address (corrupt).
  const countryOf = (value) => {
    if (value <= nodeCount) return null;
    let code = memo.get(value);
    if (code !== undefined) return code;
    const offset = value - nodeCount - DATA_SEPARATOR_BYTES;
    code = null;
    if (offset >= 0 && dataStart + offset < markerAt) {
      try {
        code = recordCountry(data, dataStart + offset);
      } catch {
        code = null; // a record the database cannot decode: no country (it was not checked at load)
      }
    }
    if (memo.size >= MAX_MEMO) memo.clear();
    memo.set(value, code);
    return code;
  };

  const walkIpv4 = (address) => {
    let node = ipv4Start;
    for (let i = 31; i >= 0 && node < nodeCount; i--) node = record(node, (address >>> i) & 1);
    return countryOf(node);
  };

  const walkIpv6 = () => {
    let node = 0;
    for (let g = 0; g < 8 && node < nodeCount; g++) {
      const group = groups[g];
      for (let i = 15; i >= 0 && node < nodeCount; i--) node = record(node, (group >>> i) & 1);
    }
    return countryOf(node);
  };

  return {
    /** The two-letter country code of `ip` (IPv4 or IPv6 text), or null. Never throws. */
    country(ip) {
      if (typeof ip !== 'string' || ip.length === 0 || ip.length > MAX_IP_CHARS) return null;
      if (ip.indexOf(':') < 0) {
        const address = parseIpv4(ip, 0);
        return address < 0 ? null : walkIpv4(address);
      }
      if (!parseIpv6(ip, groups)) return null;
      if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
        return walkIpv4(((groups[6] << 16) | groups[7]) >>> 0); // IPv4-mapped
      }
      return ipVersion === 6 ? walkIpv6() : null;
    },
  };
}

/** Where the last metadata marker starts, searched for in the file's last 128 KiB; -1 if none. */
function lastMarker(b) {
  const n = METADATA_MARKER.length;
  const lowest = Math.max(0, b.length - MAX_METADATA_BYTES);
  outer: for (let at = b.length - n; at >= lowest; at--) {
    for (let i = 0; i < n; i++) if (b[at + i] !== METADATA_MARKER[i]) continue outer;
    return at;
  }
  return -1;
}

/**
 * The country of the record at `at` (absolute): see the header for the fields read. Only the
 * fields on the way are decoded; the others are skipped. Throws the decoder's error.
 */
function recordCountry(data, at) {
  let value = data.find(at, KEY_COUNTRY_CODE, 0);
  if (value >= 0) return data.countryCode(value);
  const inner = data.find(at, KEY_COUNTRY, 0);
  if (inner < 0) return null;
  value = data.find(inner, KEY_ISO_CODE, 1);
  return value >= 0 ? data.countryCode(value) : null;
}

/**
 * A decoder of the section [start, end) of `b` (the data section or the metadata, whose pointers
 * are relative to their own section's start). Every read is checked against the section; a bad
 * value throws `bad(message)`. Pointers are followed one step only (the spec forbids a pointer to
 * a pointer), and skipping a value never follows one, so no pointer loop can make it hang.
 */
function decoder(b, start, end, bad) {
  // The last control byte read (by `head`): its type, size, and where its payload (or for a
  // pointer, the next item) starts; a pointer's target (absolute) is in `target`.
  let type = 0;
  let size = 0;
  let next = 0;
  let target = 0;

  const head = (at) => {
    if (at < start || at >= end) throw bad(`a value at ${at - start} is outside the section (${end - start} bytes)`);
    const control = b[at++];
    type = control >>> 5;
    if (type === POINTER) {
      const extra = ((control >>> 3) & 3) + 1; // bytes after the control byte
      if (at + extra > end) throw bad('a pointer runs past the section');
      const high = control & 7;
      let offset;
      if (extra === 1) offset = (high << 8) | b[at];
      else if (extra === 2) offset = ((high << 16) | (b[at] << 8) | b[at + 1]) + 2048;
      else if (extra === 3) offset = ((high << 24) | (b[at] << 16) | (b[at + 1] << 8) | b[at + 2]) + 526336;
      else offset = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
      if (offset >= end - start) throw bad(`a pointer to ${offset} is outside the section (${end - start} bytes)`);
      target = start + offset;
      next = at + extra;
      return;
    }
    if (type === 0) {
      if (at >= end) throw bad('an extended type runs past the section');
      type = b[at++] + 7;
      if (!(type >= 8 && type <= FLOAT) || type === 12 || type === 13) throw bad(`unknown data type ${type}`);
    }
    size = control & 31;
    if (size >= 29) {
      const extra = size - 28;
      if (at + extra > end) throw bad('a size runs past the section');
      if (extra === 1) size = 29 + b[at];
      else if (extra === 2) size = 285 + ((b[at] << 8) | b[at + 1]);
      else size = 65821 + ((b[at] << 16) | (b[at + 1] << 8) | b[at + 2]);
      at += extra;
    }
    next = at;
  };

  // The value at `at`, through a pointer if it is one: `head` state of the value itself.
  const resolve = (at) => {
    head(at);
    if (type === POINTER) {
      head(target);
      if (type === POINTER) throw bad('a pointer to a pointer');
    }
  };

  // Where the item after the one at `at` starts (a pointer is its own bytes: not followed).
  const skip = (at, depth) => {
    if (depth > MAX_NESTING) throw bad(`maps and arrays nested deeper than ${MAX_NESTING}`);
    head(at);
    if (type === POINTER) return next;
    const count = size;
    let after = next;
    switch (type) {
      case MAP:
        for (let i = 0; i < count; i++) {
          after = skip(after, depth + 1); // key
          after = skip(after, depth + 1); // value
        }
        return after;
      case ARRAY:
        for (let i = 0; i < count; i++) after = skip(after, depth + 1);
        return after;
      case BOOLEAN:
        if (count > 1) throw bad(`a boolean of size ${count}`);
        return after; // the value is the size: no payload
      case DOUBLE:
      case FLOAT:
        if (count !== (type === DOUBLE ? 8 : 4)) throw bad(`a ${type === DOUBLE ? 'double' : 'float'} of ${count} bytes`);
        break;
      case UTF8:
      case BYTES:
        break;
      default:
        if (count > MAX_PAYLOAD[type]) throw bad(`an integer of type ${type} with ${count} bytes`);
    }
    after += count;
    if (after > end) throw bad('a value runs past the section');
    return after;
  };

  // Whether the UTF-8 string at `head` state equals `key` (ASCII bytes).
  const isKey = (key) => {
    if (type !== UTF8) throw bad('a map key that is not a string');
    if (size !== key.length) return false;
    if (next + size > end) throw bad('a map key runs past the section');
    for (let i = 0; i < size; i++) if (b[next + i] !== key[i]) return false;
    return true;
  };

  return {
    start,
    /** Checks that the value at `at` is a map that lies within the section (nested values too). */
    skipMap(at) {
      head(at);
      if (type !== MAP) throw bad('not a map');
      skip(at, 0);
    },
    /** Where the value of `key` starts in the map at `at` (the first such key), or -1 (also for a value that is not a map). */
    find(at, key, depth) {
      resolve(at);
      if (type !== MAP) return -1;
      let entries = size;
      let item = next;
      while (entries-- > 0) {
        resolve(item);
        const matches = isKey(key);
        item = skip(item, depth + 1);
        if (matches) return item;
        item = skip(item, depth + 1);
      }
      return -1;
    },
    /** The unsigned integer at `at` as a Number, or null (another type, or over 2^53). */
    uint(at) {
      resolve(at);
      if (type !== UINT16 && type !== UINT32 && type !== UINT64 && type !== UINT128) return null;
      if (size > MAX_PAYLOAD[type] || next + size > end) throw bad(`an integer of type ${type} with ${size} bytes`);
      let value = 0;
      for (let i = 0; i < size; i++) value = value * 256 + b[next + i];
      return Number.isSafeInteger(value) ? value : null;
    },
    /** The string at `at` as an upper-case country code if it is two ASCII letters, or null. */
    countryCode(at) {
      resolve(at);
      if (type !== UTF8 || size !== 2 || next + 2 > end) return null;
      const c0 = b[next] & ~0x20; // upper case (and non-letters stay outside A-Z)
      const c1 = b[next + 1] & ~0x20;
      if (c0 < 0x41 || c0 > 0x5a || c1 < 0x41 || c1 > 0x5a) return null;
      return String.fromCharCode(c0, c1);
    },
  };
}

/** `text` from `from` as an IPv4 address (four decimal bytes, no leading zeros) as a uint32, or -1. */
function parseIpv4(text, from) {
  let address = 0;
  let parts = 0;
  let at = from;
  const n = text.length;
  while (parts < 4) {
    const first = at;
    let value = 0;
    while (at < n) {
      const c = text.charCodeAt(at);
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      at++;
      if (at - first > 3) return -1;
    }
    const digits = at - first;
    if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(first) === 0x30)) return -1;
    address = address * 256 + value;
    parts++;
    if (parts < 4) {
      if (at >= n || text.charCodeAt(at) !== 0x2e) return -1;
      at++;
    }
  }
  return at === n ? address : -1;
}

/**
 * `text` as an IPv6 address into `groups` (eight 16-bit groups): hex groups of 1 to 4 digits, at
 * most one `::`, optionally a dotted quad as the last 32 bits. False if it is not one. One pass,
 * no allocation: a gate looks up every request's address.
 */
function parseIpv6(text, groups) {
  const n = text.length;
  let count = 0; // groups written
  let gapAt = -1; // where `::` stands, in groups
  let at = 0;
  if (text.charCodeAt(0) === 0x3a) {
    if (text.charCodeAt(1) !== 0x3a) return false; // a lone leading ':'
    gapAt = 0;
    at = 2;
  }
  while (at < n) {
    const first = at;
    let value = 0;
    while (at < n) {
      const digit = hexDigit(text.charCodeAt(at));
      if (digit < 0) break;
      value = (value << 4) | digit;
      if (++at - first > 4) return false;
    }
    if (at < n && text.charCodeAt(at) === 0x2e) {
      // A dotted quad: the rest of the text, the last two groups.
      if (count > 6) return false;
      const ipv4 = parseIpv4(text, first);
      if (ipv4 < 0) return false;
      groups[count++] = ipv4 >>> 16;
      groups[count++] = ipv4 & 0xffff;
      break;
    }
    if (at === first || count === 8) return false; // an empty group (':::') or a ninth
    groups[count++] = value;
    if (at === n) break;
    if (text.charCodeAt(at++) !== 0x3a) return false;
    if (at === n) return false; // a lone trailing ':'
    if (text.charCodeAt(at) === 0x3a) {
      if (gapAt >= 0) return false; // a second '::'
      gapAt = count;
      at++;
    }
  }
  if (gapAt < 0) return count === 8;
  if (count > 7) return false; // `::` stands for one group at least
  // The groups after the gap move to the end; the gap is zeros.
  const after = count - gapAt;
  for (let k = 1; k <= after; k++) groups[8 - k] = groups[count - k];
  for (let k = gapAt; k < 8 - after; k++) groups[k] = 0;
  return true;
}

function hexDigit(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
