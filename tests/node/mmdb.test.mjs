// js/mmdb.mjs, the MaxMind DB country reader of the gate's `country: { mmdb }` option, against an
// independent reader (mmdb-lib, MaxMind's format as node-maxmind reads it) on the real GeoLite2
// country databases of @ip-location-db/geolite2-country-mmdb (IPv4, IPv6 and both in one), and
// on small databases written here (record sizes 24, 28 and 32, MaxMind's record schema, every
// data type); then hostile databases and hostile IPs: a bad database is INVALID_ARGUMENT when the
// reader is made, a bad record or IP is null, never another throw and never a hang.
// Random inputs come from a seeded PRNG: a failure names its seed and reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { REPO, rejects } from './helpers.mjs';
import { mmdbCountryReader } from '../../js/mmdb.mjs';

const require = createRequire(path.join(REPO, 'tests', 'package.json'));
const { Reader } = require('mmdb-lib');
const GEOLITE_DIR = path.join(REPO, 'tests', 'node_modules', '@ip-location-db', 'geolite2-country-mmdb');
const GEOLITE_FILES = ['geolite2-country-ipv4.mmdb', 'geolite2-country-ipv6.mmdb', 'geolite2-country.mmdb'];

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randomInt = (rand, n) => Math.floor(rand() * n);
const randomBigBits = (rand, bits) => {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(randomInt(rand, 65536));
  return v & ((1n << BigInt(bits)) - 1n);
};

/** What our reader must answer for an mmdb-lib record (the header of js/mmdb.mjs says which field). */
function expectedCountry(record) {
  if (record === null || typeof record !== 'object') return null;
  const valid = (v) => (typeof v === 'string' && /^[A-Za-z]{2}$/.test(v) ? v.toUpperCase() : null);
  if (Object.hasOwn(record, 'country_code')) return valid(record.country_code);
  // Never registered_country: where the network was registered, not where the viewer is.
  const inner = record.country;
  if (inner !== null && typeof inner === 'object' && !Array.isArray(inner) && Object.hasOwn(inner, 'iso_code')) return valid(inner.iso_code);
  return null;
}
const refCountry = (ref, ip) => expectedCountry(ref.get(ip));

const ipv4Text = (n) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
/**
 * IPv6 text of `v` (a BigInt) in one of several spellings: 0 compressed (RFC 5952's `::`), 1 full,
 * 2 upper case, 3 the last 32 bits as a dotted quad, 4 `::` for the first run of zeros (not the longest).
 */
function ipv6Text(v, style = 0) {
  const groups = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  if (style === 1) return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
  const parts = groups.map((g) => g.toString(16));
  if (style === 3) parts.splice(6, 2, `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`);
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < parts.length;) {
    let j = i;
    while (j < parts.length && parts[j] === '0') j++;
    if (j - i > bestLength && !(style === 4 && best >= 0)) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  let text = best < 0 ? parts.join(':') : `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLength).join(':')}`;
  if (style === 2) text = text.toUpperCase();
  return text;
}

/**
 * What mmdb-lib says of the address `value` (a BigInt of `bits` bits) spelt `ip`: an IPv4-mapped
 * IPv6 address is its IPv4 address for our reader, and mmdb-lib is asked for that.
 */
function refAnswer(ref, ip, value, bits) {
  if (bits === 128 && (value >> 32n) === 0xffffn) return refCountry(ref, ipv4Text(Number(value & 0xffffffffn)));
  return refCountry(ref, ip);
}

/** Checks our reader against mmdb-lib on `ip` and on the first and last addresses of its network and their neighbours. */
function checkWithBoundaries(ours, ref, ip, value, bits, text) {
  const [, prefix] = ref.getWithPrefixLength(ip);
  assert.equal(ours.country(ip), refAnswer(ref, ip, value, bits), ip);
  const size = 1n << BigInt(bits - prefix);
  const first = (value / size) * size;
  const max = (1n << BigInt(bits)) - 1n;
  for (const v of [first - 1n, first, first + size - 1n, first + size]) {
    if (v < 0n || v > max) continue;
    const t = text(v);
    assert.equal(ours.country(t), refAnswer(ref, t, v, bits), `${t} (at the edge of ${ip}'s network /${prefix})`);
  }
}

// Where IPv6 addresses are allocated (the RIRs' /12s and 2001::/16), so that random addresses
// mostly land in networks rather than in the unallocated rest of the space.
const IPV6_PREFIXES = [0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00];
function randomIpv6(rand) {
  const v = randomBigBits(rand, 128);
  if (rand() < 0.25) return v;
  const top = IPV6_PREFIXES[randomInt(rand, IPV6_PREFIXES.length)];
  const prefix = top === 0x2001 ? top : top | randomInt(rand, 16);
  return (BigInt(prefix) << 112n) | (v & ((1n << 112n) - 1n));
}

for (const file of GEOLITE_FILES) {
  test(`the real GeoLite2 database ${file}: the same countries as mmdb-lib`, () => {
    const bytes = readFileSync(path.join(GEOLITE_DIR, file));
    const ref = new Reader(bytes);
    const ours = mmdbCountryReader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const ipv6Database = ref.metadata.ipVersion === 6;
    const seed = 0x15eed + file.length;
    const rand = prng(seed);

    let found = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = randomInt(rand, 2 ** 32);
      const ip = ipv4Text(n);
      if (ours.country(ip) !== null) found++;
      checkWithBoundaries(ours, ref, ip, BigInt(n), 32, (v) => ipv4Text(Number(v)));
      if (i % 8 === 0) {
        // The IPv4-mapped spelling is the IPv4 address (see js/mmdb.mjs), in either database.
        assert.equal(ours.country(`::ffff:${ip}`), refCountry(ref, ip), `::ffff:${ip} (seed ${seed})`);
        assert.equal(ours.country(`::FFFF:${ip}`), ours.country(ip));
      }
    }
    // The IPv4-only database answers for most of the IPv4 space; the IPv6-only one for none of it.
    if (file.includes('ipv6')) assert.equal(found, 0);
    else assert.ok(found > 15_000, `only ${found} of 20000 random IPv4 addresses have a country`);

    found = 0;
    for (let i = 0; i < 6_000; i++) {
      const v = randomIpv6(rand);
      const ip = ipv6Text(v, randomInt(rand, 5));
      if (!ipv6Database) {
        // mmdb-lib walks an IPv6 address's first 32 bits in an IPv4 tree; there is no answer.
        const mapped = (v >> 32n) === 0xffffn;
        if (!mapped) assert.equal(ours.country(ip), null, ip);
        continue;
      }
      if (ours.country(ip) !== null) found++;
      checkWithBoundaries(ours, ref, ip, v, 128, (w) => ipv6Text(w, randomInt(rand, 5)));
    }
    // (Even in the RIRs' blocks most of the IPv6 space is in no network: about 7% have a country.)
    if (ipv6Database) assert.ok(found > 250, `only ${found} of 6000 random IPv6 addresses have a country`);

    // Anchors, answered by mmdb-lib: well-known resolvers, edges of the space, IPv4 in ::/96.
    const anchors = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '81.2.69.142', '89.160.20.112', '175.16.199.0', '0.0.0.0', '255.255.255.255',
      '127.0.0.1', '10.0.0.1', '192.168.1.1', '224.0.0.1'];
    const anchors6 = ['2001:4860:4860::8888', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2001:db8::1', '::', '::1',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::8.8.8.8', '::0808:0808', '0:0:0:0:0:0:808:808', '2c0f:fb50:4003::'];
    for (const ip of anchors) assert.equal(ours.country(ip), refCountry(ref, ip), ip);
    if (ipv6Database) for (const ip of anchors6) assert.equal(ours.country(ip), refCountry(ref, ip), ip);
    if (!file.includes('ipv6')) {
      assert.equal(ours.country('8.8.8.8'), 'US'); // a sanity check of the helper itself: mmdb-lib says US too
      assert.equal(ours.country('::ffff:8.8.8.8'), 'US');
      assert.equal(ours.country('::ffff:808:808'), 'US'); // mapped, written in hex
    }
    if (ipv6Database) {
      // IPv4 in an IPv6 database is its ::/96 address.
      assert.equal(ours.country('::8.8.8.8'), ours.country('8.8.8.8'));
    }
    // The reader takes an ArrayBuffer too, and a Buffer.
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    assert.equal(mmdbCountryReader(copy).country('81.2.69.142'), refCountry(ref, '81.2.69.142'));
    assert.equal(mmdbCountryReader(bytes).country('8.8.8.8'), refCountry(ref, '8.8.8.8'));
  });
}

test('lookup speed on the real database (reported, not asserted)', (t) => {
  const bytes = new Uint8Array(readFileSync(path.join(GEOLITE_DIR, 'geolite2-country.mmdb')));
  let start = performance.now();
  const ours = mmdbCountryReader(bytes);
  const loadMs = performance.now() - start;
  const rand = prng(42);
  const ipv4 = Array.from({ length: 100_000 }, () => ipv4Text(randomInt(rand, 2 ** 32)));
  const ipv6 = Array.from({ length: 100_000 }, () => ipv6Text(randomIpv6(rand)));
  for (const ip of ipv4.slice(0, 10_000)) ours.country(ip); // warm up
  const rate = (ips) => {
    start = performance.now();
    let found = 0;
    for (const ip of ips) if (ours.country(ip) !== null) found++;
    const ms = performance.now() - start;
    return `${Math.round(ips.length / ms * 1000).toLocaleString('en')} lookups/s (${found} with a country)`;
  };
  t.diagnostic(`reader made in ${loadMs.toFixed(1)} ms; 100,000 random IPv4: ${rate(ipv4)}; 100,000 random IPv6: ${rate(ipv6)}`);
});

// ---- Small databases written here -----------------------------------------------------------

/** The control byte(s) of a value of `type` and `size` (an extended type for 8 and above). */
function control(type, size) {
  let sizeBits = size;
  let sizeBytes = [];
  if (size >= 65821) [sizeBits, sizeBytes] = [31, [((size - 65821) >> 16) & 255, ((size - 65821) >> 8) & 255, (size - 65821) & 255]];
  else if (size >= 285) [sizeBits, sizeBytes] = [30, [(size - 285) >> 8, (size - 285) & 255]];
  else if (size >= 29) [sizeBits, sizeBytes] = [29, [size - 29]];
  return type > 7 ? [sizeBits, type - 7, ...sizeBytes] : [(type << 5) | sizeBits, ...sizeBytes];
}
const beBytes = (value, width) => {
  let v = BigInt(value);
  const out = [];
  for (let i = 0; i < width; i++, v >>= 8n) out.unshift(Number(v & 255n));
  return out;
};
const minimalBytes = (value) => {
  const out = [];
  for (let v = BigInt(value); v > 0n; v >>= 8n) out.unshift(Number(v & 255n));
  return out;
};
const enc = {
  str: (s) => { const u = [...Buffer.from(s, 'utf8')]; return [...control(2, u.length), ...u]; },
  bytes: (u) => [...control(4, u.length), ...u],
  double: (x) => { const d = Buffer.alloc(8); d.writeDoubleBE(x); return [...control(3, 8), ...d]; },
  float: (x) => { const d = Buffer.alloc(4); d.writeFloatBE(x); return [...control(15, 4), ...d]; },
  uint16: (v) => { const u = minimalBytes(v); return [...control(5, u.length), ...u]; },
  uint32: (v) => { const u = minimalBytes(v); return [...control(6, u.length), ...u]; },
  uint64: (v) => { const u = minimalBytes(v); return [...control(9, u.length), ...u]; },
  uint128: (v) => { const u = minimalBytes(v); return [...control(10, u.length), ...u]; },
  int32: (v) => [...control(8, 4), ...beBytes(BigInt.asUintN(32, BigInt(v)), 4)],
  bool: (b) => control(14, b ? 1 : 0),
  map: (entries) => [...control(7, entries.length), ...entries.flatMap(([k, v]) => [...(typeof k === 'string' ? enc.str(k) : k), ...v])],
  array: (items) => [...control(11, items.length), ...items.flat()],
  pointer: (offset) => {
    if (offset < 2048) return [0x20 | (offset >> 8), offset & 255];
    if (offset < 526336) { const v = offset - 2048; return [0x28 | (v >> 16), (v >> 8) & 255, v & 255]; }
    if (offset < 134744064) { const v = offset - 526336; return [0x30 | (v >> 24), (v >> 16) & 255, (v >> 8) & 255, v & 255]; }
    return [0x38, ...beBytes(offset, 4)];
  },
};

/** The metadata map's entries of a database, with `overrides` (key → encoded value, or undefined to leave it out). */
function metadataBytes(fields, overrides = {}) {
  const entries = {
    binary_format_major_version: enc.uint16(2),
    binary_format_minor_version: enc.uint16(0),
    build_epoch: enc.uint64(1_700_000_000),
    database_type: enc.str('playgate-test'),
    description: enc.map([['en', enc.str('written by mmdb.test.mjs')]]),
    ip_version: enc.uint16(fields.ipVersion),
    languages: enc.array([enc.str('en')]),
    node_count: enc.uint32(fields.nodeCount),
    record_size: enc.uint16(fields.recordSize),
    ...overrides,
  };
  const present = Object.entries(entries).filter(([, v]) => v !== undefined);
  return enc.map(present);
}

const MARKER = [0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com')];

/**
 * A MaxMind DB file: `nodes` are [left, right] records, each a node index (a number), null (no
 * data), `{ at }` (a data-section offset) or `{ raw }` (the record's value as written).
 */
function writeDatabase({ recordSize = 24, ipVersion = 4, nodes, data, metadata = {}, metadataRaw }) {
  const nodeCount = nodes.length;
  const value = (r) => (r === null ? nodeCount : typeof r === 'number' ? r : r.raw !== undefined ? r.raw : nodeCount + 16 + r.at);
  const tree = [];
  for (const [l, r] of nodes.map(([a, b]) => [value(a), value(b)])) {
    if (recordSize === 24) tree.push(...beBytes(l, 3), ...beBytes(r, 3));
    else if (recordSize === 28) tree.push(...beBytes(l & 0xffffff, 3), ((l >>> 24) << 4) | (r >>> 24), ...beBytes(r & 0xffffff, 3));
    else tree.push(...beBytes(l, 4), ...beBytes(r, 4));
  }
  const meta = metadataRaw ?? metadataBytes({ ipVersion, nodeCount, recordSize }, metadata);
  const out = new Uint8Array(tree.length + 16 + data.length + MARKER.length + meta.length);
  out.set(tree, 0);
  out.set(data, tree.length + 16);
  out.set(MARKER, tree.length + 16 + data.length);
  out.set(meta, tree.length + 16 + data.length + MARKER.length);
  return out;
}

/** A data section built item by item: `add(bytes)` returns the item's offset. */
function dataSection() {
  const bytes = [];
  return {
    bytes,
    add(item) {
      const at = bytes.length;
      for (const b of item) bytes.push(b);
      return at;
    },
  };
}

/** Records of every shape the reader must handle, in a data section; returns the section and the records' offsets. */
function sampleRecords() {
  const d = dataSection();
  const at = [];
  at.push(d.add(enc.map([['country_code', enc.str('FR')]])));
  const germany = enc.map([['geoname_id', enc.uint32(2921044)], ['iso_code', enc.str('DE')],
    ['names', enc.map([['en', enc.str('Germany')], ['fr', enc.str('Allemagne')], ['ja', enc.str('ドイツ連邦共和国')]])]]);
  at.push(d.add(enc.map([['continent', enc.map([['code', enc.str('EU')], ['geoname_id', enc.uint32(6255148)]])],
    ['country', germany], ['registered_country', germany]])));
  at.push(d.add(enc.map([['registered_country', enc.map([['iso_code', enc.str('US')]])]]))); // satellite: no `country`, no country
  at.push(d.add(enc.map([['continent', enc.map([['code', enc.str('AS')]])]]))); // no country at all
  at.push(d.add(enc.map([['country_code', enc.str('gb')]]))); // lower case: GB
  at.push(d.add(enc.map([['country_code', enc.str('USA')]]))); // not two letters: none
  at.push(d.add(enc.map([['country', enc.map([['iso_code', enc.str('CA')]])], ['country_code', enc.str('MX')]]))); // country_code wins
  at.push(d.add(enc.map([['country_code', enc.str('é')]]))); // two bytes, one letter: none
  at.push(d.add(enc.map([['country', enc.map([['names', enc.map([])]])], ['registered_country', enc.map([['iso_code', enc.str('NZ')]])]])));
  // Every data type before the field, skipped on the way (some of them large: sizes over 29, 285 and 65821).
  at.push(d.add(enc.map([
    ['extra', enc.array([enc.uint16(65535), enc.uint32(4294967295), enc.uint64(2n ** 64n - 1n), enc.uint128(2n ** 128n - 1n),
      enc.int32(-5), enc.double(2.5), enc.float(1.5), enc.bool(true), enc.bool(false), enc.bytes([1, 2, 3]),
      enc.str('x'.repeat(40)), enc.str('y'.repeat(300)), enc.bytes(new Array(70_000).fill(7)),
      enc.array([enc.array([enc.map([['deep', enc.array([])]])])]), enc.map([])])],
    ['country_code', enc.str('JP')]])));
  // Pointers: keys and values pointing at earlier items (in the pointers' three short forms).
  const keyCountry = d.add(enc.str('country'));
  const keyIso = d.add(enc.str('iso_code'));
  const italy = d.add(enc.map([[enc.pointer(keyIso), enc.str('IT')]]));
  at.push(d.add(enc.map([[enc.pointer(keyCountry), enc.pointer(italy)]])));
  d.add(new Array(2100).fill(0)); // filler: the next pointer needs its 3-byte form
  const portugal = d.add(enc.map([['iso_code', enc.str('PT')]]));
  at.push(d.add(enc.map([['country', enc.pointer(portugal)]])));
  d.add(new Array(530_000).fill(0)); // and the next ones their 4-byte form
  const spain = d.add(enc.map([['iso_code', enc.str('ES')]]));
  at.push(d.add(enc.map([['country', enc.pointer(spain)]])));
  at.push(d.add(enc.map([[enc.pointer(keyCountry), enc.pointer(italy)], ['registered_country', enc.pointer(spain)]])));
  return { data: d.bytes, records: at };
}

/**
 * A random tree over `bits`-bit addresses whose leaves are the records (by offset) or no data;
 * in an IPv6 tree, the ::/96 path (IPv4) is always there. Returns the nodes and, for each leaf,
 * its path as a prefix (bits, length).
 */
function randomTree(rand, bits, records, maxNodes) {
  const nodes = [];
  const leaves = [];
  const leaf = () => (rand() < 0.2 ? null : { at: records[randomInt(rand, records.length)] });
  const build = (depth, prefix, forced) => {
    const stop = !forced && (depth === bits || nodes.length >= maxNodes || (depth > 0 && rand() < 0.08));
    if (stop) {
      leaves.push([prefix, depth]);
      return leaf();
    }
    const index = nodes.length;
    nodes.push(null);
    const zeroPath = forced && depth < 95; // the 96th bit's node still forces: the IPv4 subtree below it
    // Either side first: the node limit then cuts the tree short on either side.
    let left;
    let right;
    if (zeroPath || rand() < 0.5) {
      left = build(depth + 1, prefix << 1n, zeroPath);
      right = build(depth + 1, (prefix << 1n) | 1n, false);
    } else {
      right = build(depth + 1, (prefix << 1n) | 1n, false);
      left = build(depth + 1, prefix << 1n, false);
    }
    nodes[index] = [left, right];
    return index;
  };
  build(0, 0n, bits === 128);
  return { nodes, leaves };
}

test('small databases: record sizes 24, 28 and 32, IPv4 and IPv6, MaxMind\'s record schema: the same countries as mmdb-lib', () => {
  const { data, records } = sampleRecords();
  for (const recordSize of [24, 28, 32]) {
    for (const ipVersion of [4, 6]) {
      const seed = recordSize * 10 + ipVersion;
      const rand = prng(seed);
      const bits = ipVersion === 4 ? 32 : 128;
      const { nodes, leaves } = randomTree(rand, bits, records, 3000);
      const bytes = writeDatabase({ recordSize, ipVersion, nodes, data });
      const ref = new Reader(Buffer.from(bytes));
      const ours = mmdbCountryReader(bytes);
      const text = (v) => (bits === 32 ? ipv4Text(Number(v)) : ipv6Text(v, randomInt(rand, 5)));
      const seen = new Set();
      for (let i = 0; i < 4000; i++) {
        // Half at random, half inside a random leaf's network (and at its edges).
        let v = randomBigBits(rand, bits);
        if (i % 2 === 1) {
          const [prefix, length] = leaves[randomInt(rand, leaves.length)];
          const rest = BigInt(bits - length);
          v = (prefix << rest) | (v & ((1n << rest) - 1n));
        }
        const ip = text(v);
        const country = ours.country(ip);
        seen.add(country);
        checkWithBoundaries(ours, ref, ip, v, bits, text);
      }
      // US and NZ are in records with only a registered_country: never answered.
      for (const expected of ['FR', 'DE', 'GB', 'MX', 'JP', 'IT', 'PT', 'ES', null]) {
        assert.ok(seen.has(expected), `record size ${recordSize}, IPv${ipVersion} (seed ${seed}): ${expected} was never answered`);
      }
      for (const never of ['US', 'NZ']) assert.ok(!seen.has(never), `${never}: a registered country answered as the viewer's`);
      if (ipVersion === 6) {
        for (let i = 0; i < 500; i++) {
          const ip = ipv4Text(randomInt(rand, 2 ** 32));
          assert.equal(ours.country(ip), refCountry(ref, ip), ip);
          assert.equal(ours.country(`::${ip}`), ours.country(ip), `::${ip}`);
        }
      }
    }
  }
});

test('records whose values have the high bits of 28- and 32-bit records (a data section over 16 MiB)', () => {
  const d = dataSection();
  d.add(new Array(2 ** 24 + 100).fill(0));
  const far = d.add(enc.map([['country_code', enc.str('SE')]]));
  for (const recordSize of [28, 32]) {
    const bytes = writeDatabase({ recordSize, ipVersion: 4, nodes: [[{ at: far }, null]], data: d.bytes });
    const ours = mmdbCountryReader(bytes);
    const ref = new Reader(Buffer.from(bytes));
    assert.equal(ours.country('1.2.3.4'), 'SE', `record size ${recordSize}`);
    assert.equal(refCountry(ref, '1.2.3.4'), 'SE');
    assert.equal(ours.country('200.2.3.4'), null);
  }
});

// ---- Hostile databases ------------------------------------------------------------------------

const FRANCE = () => enc.map([['country_code', enc.str('FR')]]);
/** An IPv4 database of one node: 0.0.0.0/1 is `left`, 128.0.0.0/1 is `right`. */
const oneNode = (left, right, data, options = {}) => writeDatabase({ nodes: [[left, right]], data, ...options });

test('a well-formed one-node database answers (the base of the hostile ones below)', () => {
  const ours = mmdbCountryReader(oneNode({ at: 0 }, null, FRANCE()));
  assert.equal(ours.country('1.2.3.4'), 'FR');
  assert.equal(ours.country('200.1.1.1'), null);
  assert.equal(ours.country('::ffff:1.2.3.4'), 'FR');
  assert.equal(ours.country('::1'), null); // IPv6 in an IPv4 database
});

test('bad databases throw INVALID_ARGUMENT when the reader is made', () => {
  const base = { nodes: [[{ at: 0 }, null]], data: FRANCE() };
  const cases = {
    'empty bytes': new Uint8Array(0),
    'one byte': new Uint8Array(1),
    'only the marker': new Uint8Array(MARKER),
    'the marker and an empty map': new Uint8Array([...MARKER, 0xe0]),
    'record_size 20': writeDatabase({ ...base, metadata: { record_size: enc.uint16(20) } }),
    'record_size 0': writeDatabase({ ...base, metadata: { record_size: enc.uint16(0) } }),
    'record_size as a string': writeDatabase({ ...base, metadata: { record_size: enc.str('24') } }),
    'no record_size': writeDatabase({ ...base, metadata: { record_size: undefined } }),
    'node_count too large': writeDatabase({ ...base, metadata: { node_count: enc.uint32(1_000_000) } }),
    'node_count 2^53': writeDatabase({ ...base, metadata: { node_count: enc.uint64(2n ** 53n) } }),
    'node_count 2^100': writeDatabase({ ...base, metadata: { node_count: enc.uint128(2n ** 100n) } }),
    'node_count 0': writeDatabase({ ...base, metadata: { node_count: enc.uint32(0) } }),
    'node_count a double': writeDatabase({ ...base, metadata: { node_count: enc.double(1) } }),
    'no node_count': writeDatabase({ ...base, metadata: { node_count: undefined } }),
    'major version 1': writeDatabase({ ...base, metadata: { binary_format_major_version: enc.uint16(1) } }),
    'major version 3': writeDatabase({ ...base, metadata: { binary_format_major_version: enc.uint16(3) } }),
    'no major version': writeDatabase({ ...base, metadata: { binary_format_major_version: undefined } }),
    'ip_version 5': writeDatabase({ ...base, metadata: { ip_version: enc.uint16(5) } }),
    'ip_version 0': writeDatabase({ ...base, metadata: { ip_version: enc.uint16(0) } }),
    'metadata a string': writeDatabase({ ...base, metadataRaw: enc.str('metadata') }),
    'metadata an array': writeDatabase({ ...base, metadataRaw: enc.array([enc.uint16(2)]) }),
    'metadata a map of more entries than it holds': writeDatabase({ ...base, metadataRaw: [0xe0 | 12, ...metadataBytes({ ipVersion: 4, nodeCount: 1, recordSize: 24 }).slice(1)] }),
    'metadata with a pointer outside it': writeDatabase({ ...base, metadata: { node_count: enc.pointer(1000) } }),
    // The pointer is at 12 (after the map's control byte and the 11 bytes of its key): it points at itself.
    'metadata with a pointer to itself': writeDatabase({ ...base, metadataRaw: enc.map([['node_count', enc.pointer(12)]]) }),
    'metadata nested 100 deep': writeDatabase({ ...base, metadata: { description: Array.from({ length: 100 }).reduce((inner) => enc.array([inner]), enc.array([])) } }),
    'metadata with an unknown type (12)': writeDatabase({ ...base, metadata: { languages: control(12, 0) } }),
    'metadata with a uint16 of 3 bytes': writeDatabase({ ...base, metadata: { record_size: [0xa3, 0, 0, 24] } }),
    'metadata with a double of 4 bytes': writeDatabase({ ...base, metadata: { languages: [0x64, 0, 0, 0, 0] } }),
    'metadata with a string past its end': writeDatabase({ ...base, metadata: { languages: [0x5f, 0xff, 0xff, 0xff, 0x41] } }),
    'no room for the data separator': writeDatabase({ nodes: [[null, null]], data: [], metadata: { node_count: enc.uint32(3) } }),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    assert.doesNotThrow(() => rejects(() => mmdbCountryReader(bytes), 'INVALID_ARGUMENT', /^mmdb: /), name);
    rejects(() => mmdbCountryReader(bytes.buffer), 'INVALID_ARGUMENT');
  }
  // The message says what is wrong.
  rejects(() => mmdbCountryReader(cases['record_size 20']), 'INVALID_ARGUMENT', /record_size must be 24, 28 or 32 \(got 20\)/);
  rejects(() => mmdbCountryReader(cases['node_count too large']), 'INVALID_ARGUMENT', /search tree does not fit/);
  rejects(() => mmdbCountryReader(cases['major version 3']), 'INVALID_ARGUMENT', /binary_format_major_version must be 2/);
  rejects(() => mmdbCountryReader(cases['empty bytes']), 'INVALID_ARGUMENT', /not a MaxMind DB/);
  rejects(() => mmdbCountryReader(cases['record_size 20'], 'country.mmdb'), 'INVALID_ARGUMENT', /^country\.mmdb: /);
  // Not bytes at all.
  for (const notBytes of [undefined, null, 42, 'bytes', [1, 2, 3], {}, new Uint16Array(8), new DataView(new ArrayBuffer(8))]) {
    rejects(() => mmdbCountryReader(notBytes), 'INVALID_ARGUMENT', /expected the database file's bytes/);
  }
});

test('random bytes, and the real database cut short, throw INVALID_ARGUMENT', () => {
  const rand = prng(7);
  for (let i = 0; i < 50; i++) {
    const bytes = Uint8Array.from({ length: randomInt(rand, 5000) }, () => randomInt(rand, 256));
    rejects(() => mmdbCountryReader(bytes), 'INVALID_ARGUMENT');
    // With a marker and random metadata after it: a bad database, or one whose lookups are null or a country.
    const tail = Uint8Array.from({ length: randomInt(rand, 300) }, () => randomInt(rand, 256));
    const withMarker = new Uint8Array([...bytes, ...MARKER, ...tail]);
    try {
      const ours = mmdbCountryReader(withMarker);
      for (const ip of ['1.2.3.4', '200.0.0.1', '::1', '2001:db8::1']) assert.ok(ours.country(ip) === null || /^[A-Z]{2}$/.test(ours.country(ip)));
    } catch (error) {
      assert.equal(error.code, 'INVALID_ARGUMENT', error.message);
    }
  }
  const real = new Uint8Array(readFileSync(path.join(GEOLITE_DIR, 'geolite2-country-ipv4.mmdb')));
  const markerAt = Buffer.from(real).lastIndexOf(Buffer.from(MARKER));
  for (const cut of [1, 100, 6 * 1000, real.length >> 1, markerAt - 1, markerAt, markerAt + 5, markerAt + MARKER.length + 1,
    real.length - 60, real.length - 10, real.length - 1]) {
    rejects(() => mmdbCountryReader(real.subarray(0, cut)), 'INVALID_ARGUMENT');
  }
});

test('hostile records (pointer loops, pointers and tree records outside the data section, deep nesting) are null, never a throw or a hang', () => {
  const nullAt = (bytes, ip = '1.2.3.4') => assert.equal(mmdbCountryReader(bytes).country(ip), null);
  // A pointer to itself; a map whose `country` points back at the map; a key that points at itself.
  nullAt(oneNode({ at: 0 }, null, enc.pointer(0)));
  nullAt(oneNode({ at: 0 }, null, enc.map([['country', enc.pointer(0)]])));
  nullAt(oneNode({ at: 0 }, null, enc.map([['registered_country', enc.pointer(0)]])));
  nullAt(oneNode({ at: 0 }, null, [...control(7, 1), ...enc.pointer(1), ...enc.str('FR')]));
  // Two pointers pointing at each other.
  nullAt(oneNode({ at: 0 }, null, [...enc.pointer(2), ...enc.pointer(0)]));
  // A pointer, a key, a record outside the data section (into the metadata, past the file).
  nullAt(oneNode({ at: 0 }, null, enc.map([['country_code', enc.pointer(500)]])));
  nullAt(oneNode({ at: 0 }, null, enc.map([[enc.pointer(4000), enc.str('FR')]])));
  const data = FRANCE();
  nullAt(oneNode({ at: data.length + 3 }, null, data)); // into the metadata marker
  nullAt(oneNode({ at: 2 ** 20 }, null, data));
  nullAt(oneNode({ raw: 2 ** 24 - 1 }, null, data));
  nullAt(oneNode({ raw: 1 + 5 }, null, data)); // into the 16-byte separator
  // A map claiming more entries than the section holds (read lazily: the entries before the end
  // answer, as 'FR' does here, and the search for one that is not there reaches the end); a string past the end.
  assert.equal(mmdbCountryReader(oneNode({ at: 0 }, null, [0xe0 | 28, ...enc.str('country_code'), ...enc.str('FR')])).country('1.2.3.4'), 'FR');
  nullAt(oneNode({ at: 0 }, null, [0xe0 | 28, ...enc.str('continent'), ...enc.str('EU')]));
  nullAt(oneNode({ at: 0 }, null, [0xe1, ...enc.str('country_code'), 0x5f, 0xff, 0xff, 0xff]));
  // Types 12 and 13 (not data), a non-string key, nesting deeper than the limit before the field.
  nullAt(oneNode({ at: 0 }, null, [0xe1, ...control(12, 0), ...enc.str('FR')]));
  nullAt(oneNode({ at: 0 }, null, [0xe1, ...enc.uint16(1), ...enc.str('FR')]));
  const deep = Array.from({ length: 100 }).reduce((inner) => enc.array([inner]), enc.array([]));
  nullAt(oneNode({ at: 0 }, null, enc.map([['deep', deep], ['country_code', enc.str('FR')]])));
  // A tree that loops (node 0 → node 0), in IPv4 and IPv6 databases: the walk stops after the address's bits.
  nullAt(oneNode(0, 0, data));
  nullAt(oneNode(0, 0, data, { ipVersion: 6 }), '2001:db8::1');
  nullAt(oneNode(0, 0, data, { ipVersion: 6 }), '1.2.3.4');
});

test('mutated databases: the reader is made or refused with INVALID_ARGUMENT, lookups are null or a country', () => {
  const { data, records } = sampleRecords();
  const rand = prng(99);
  const { nodes } = randomTree(rand, 32, records, 200);
  const small = writeDatabase({ nodes, data: data.slice(0, 2000), recordSize: 28 });
  const real = new Uint8Array(readFileSync(path.join(GEOLITE_DIR, 'geolite2-country-ipv4.mmdb')));
  const ips = Array.from({ length: 300 }, (_, i) => (i % 2 ? ipv4Text(randomInt(rand, 2 ** 32)) : ipv6Text(randomBigBits(rand, 128))));
  const check = (bytes) => {
    let ours;
    try {
      ours = mmdbCountryReader(bytes);
    } catch (error) {
      assert.equal(error.code, 'INVALID_ARGUMENT', error.message);
      return;
    }
    for (const ip of ips) {
      const c = ours.country(ip);
      assert.ok(c === null || /^[A-Z]{2}$/.test(c), `${ip}: ${c}`);
    }
  };
  for (let i = 0; i < 1000; i++) {
    const bytes = small.slice();
    for (let j = 1 + randomInt(rand, 8); j > 0; j--) bytes[randomInt(rand, bytes.length)] = randomInt(rand, 256);
    check(bytes);
  }
  for (let i = 0; i < 10; i++) {
    const bytes = real.slice();
    for (let j = 0; j < 2000; j++) bytes[randomInt(rand, bytes.length)] = randomInt(rand, 256);
    check(bytes);
  }
});

test('which texts are addresses: the same as node:net says (no zones), on 30,000 random texts', () => {
  // Every address of this database has a country: null means the text was not an address.
  const everywhere = mmdbCountryReader(writeDatabase({ ipVersion: 6, nodes: [[{ at: 0 }, { at: 0 }]], data: FRANCE() }));
  const tokens = ['', '0', '1', '9', 'a', 'ff', 'FFFF', 'fFfF', '12345', '00000', ':', ':', ':', '::', '.', '1.2.3.4', '255', '256', '01', 'g', ' ', '%'];
  const rand = prng(2026);
  const seen = { valid: 0, invalid: 0 };
  for (let i = 0; i < 30_000; i++) {
    let text = '';
    if (i % 2 === 0) {
      for (let k = randomInt(rand, 14); k >= 0; k--) text += tokens[randomInt(rand, tokens.length)];
    } else {
      // An address, in some spelling, with up to two characters changed, inserted or removed.
      text = rand() < 0.3 ? ipv4Text(randomInt(rand, 2 ** 32)) : ipv6Text(randomIpv6(rand) >> BigInt(randomInt(rand, 128)), randomInt(rand, 5));
      for (let k = randomInt(rand, 3); k > 0; k--) {
        const at = randomInt(rand, text.length + 1);
        const char = ':.0aFg'[randomInt(rand, 6)];
        const edit = randomInt(rand, 3);
        text = text.slice(0, at) + (edit === 2 ? '' : char) + text.slice(edit === 1 ? at : at + 1);
      }
    }
    const valid = text.length <= 45 && !text.includes('%') && (net.isIPv6(text) || net.isIPv4(text));
    seen[valid ? 'valid' : 'invalid']++;
    assert.equal(everywhere.country(text), valid ? 'FR' : null, JSON.stringify(text));
  }
  assert.ok(seen.valid > 8000 && seen.invalid > 15_000, `only ${seen.valid} valid and ${seen.invalid} invalid texts`);
});

test('hostile IPs are null', () => {
  const ours = mmdbCountryReader(new Uint8Array(readFileSync(path.join(GEOLITE_DIR, 'geolite2-country.mmdb'))));
  const hostile = ['', '1.2.3', '256.1.1.1', '1.2.3.4.5', '::1::', 'x', '1.2.3.4 ', ' 1.2.3.4', '01.2.3.4', '1.2.3.04', '1.2.3.-4',
    '1..2.3', '1.2.3.', '.1.2.3', '1.2.3.4/24', '0x1.2.3.4', '١.٢.٣.٤', '8.8.8.8\n', '1.2.3.1000', '4294967295', '1e3.1.1.1',
    ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::1', 'g::1', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '1::2::3',
    '::ffff:1.2.3', '::ffff:256.1.1.1', '1.2.3.4::', '::1.2.3.4:5', '2001:db8::1%eth0', '[2001:db8::1]', 'fe80::1%1',
    '::ffff:1.2.3.4.5', '1:2:3:4:5:6:7:1.2.3.4', '1::2:3:4:5:6:7:8', 'x'.repeat(10_000), '1.2.3.4'.repeat(2000),
    '8.8.8.8\u0000', '2001:4860:4860::8888 ', 'localhost'];
  for (const ip of hostile) assert.equal(ours.country(ip), null, JSON.stringify(ip.slice(0, 40)));
  for (const ip of [42, null, undefined, {}, ['8.8.8.8'], new String('8.8.8.8'), Symbol('ip'), 8n, () => '8.8.8.8',
    { toString: () => '8.8.8.8' }, { toString() { throw new Error('no'); } }]) {
    assert.equal(ours.country(ip), null, String(typeof ip));
  }
  // And the good ones around them answer (the check above is not trivially true).
  assert.equal(ours.country('8.8.8.8'), 'US');
  assert.notEqual(ours.country('2001:4860:4860::8888'), null);
  assert.equal(ours.country('2001:4860:4860:0:0:0:0:8888'), ours.country('2001:4860:4860::8888'));
  assert.equal(ours.country('2001:4860:4860:0000:0000:0000:0000:8888'), ours.country('2001:4860:4860::8888'));
});
