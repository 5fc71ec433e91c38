// Manifests through the package: filterManifest (the player and the edge module) on every vector
// of tests/vectors/manifests.json, as text and as bytes; and packagerFilters on strings, against
// each vendor's documented syntax (README).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PKG, loadVectors } from './helpers.mjs';
import { MANIFEST_RULES, manifestFailure, manifestOptions, runVectorFile } from '../../www/vector-checks.js';

const edge = await import(path.join(PKG, 'edge/node/index.mjs'));
const edgeCjs = createRequire(import.meta.url)(path.join(PKG, 'edge/node/index.cjs'));
const player = await import(path.join(PKG, 'node/index.mjs'));
const VECTORS = loadVectors('manifests.json');

/**
 * Every manifest vector through a module's filterManifest, by the rules the browser harness runs
 * too (www/vector-checks.js: the case's input as text, bytes and ArrayBuffer; the expected result
 * or coded error and where it points; the output filtered again is itself).
 */
for (const [label, module] of [['player', player], ['edge', edge]]) test(`filterManifest (${label} module): every manifest vector, as text and as bytes, idempotent`, () => {
  const run = runVectorFile('manifests', MANIFEST_RULES, module, VECTORS);
  assert.deepEqual(run.failures, []);
  assert.equal(run.passed, VECTORS.count);
  // The edge module's CommonJS entry, on the text cases.
  if (label === 'edge') {
    for (const c of VECTORS.cases.filter((x) => x.inputBase64 === undefined)) {
      assert.equal(manifestFailure(c, () => edgeCjs.filterManifest(c.input, manifestOptions(c))), null, c.name);
    }
  }
});

test('filterManifest: an unchanged text is the caller\'s own string; a changed one a new string', () => {
  const uncapped = VECTORS.cases.find((c) => c.input && c.maxQuality === null && c.expect && c.expect.removed === 0);
  const r = edge.filterManifest(uncapped.input, { maxQuality: null });
  assert.equal(r.text, uncapped.input);
  const capped = VECTORS.cases.find((c) => c.input && c.expect && c.expect.removed > 0);
  assert.notEqual(edge.filterManifest(capped.input, { maxQuality: capped.maxQuality }).text, capped.input);
});

test('filterManifest: bad arguments are INVALID_ARGUMENT, never a default', () => {
  const hls = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=640x360\na.m3u8\n';
  for (const [input, options] of [
    [hls, undefined], [hls, null], [hls, {}], [hls, { maxQuality: 'FHD' }], [hls, { maxQuality: 'hd' }],
    [hls, { maxQuality: 2 }], [hls, { maxQuality: undefined }], [42, { maxQuality: 'HD' }], [null, { maxQuality: 'HD' }],
    [[hls], { maxQuality: 'HD' }], [{ text: hls }, { maxQuality: 'HD' }],
  ]) {
    assert.throws(() => edge.filterManifest(input, options), (e) => e.code === 'INVALID_ARGUMENT', `${typeof input} ${JSON.stringify(options)}`);
  }
  // A getter that throws is coded too.
  const hostile = { get maxQuality() { throw new Error('boom'); } };
  assert.throws(() => edge.filterManifest(hls, hostile), (e) => e.code === 'INVALID_ARGUMENT');
  assert.deepEqual(edge.filterManifest(hls, { maxQuality: 'SD' }), { format: 'hls', text: hls, kept: 1, removed: 0 });
});

test('both modules filter manifests and give packagerFilters; the DRM message is the edge module\'s only', () => {
  for (const module of [player, edge]) {
    assert.equal(typeof module.packagerFilters, 'function');
    assert.equal(typeof module.filterManifest, 'function');
  }
  assert.equal('axinomLicenseMessage' in player, false);
  assert.equal(typeof edge.axinomLicenseMessage, 'function');
});

test('packagerFilters: each vendor\'s own syntax for the cap, never looser', () => {
  // AWS Elemental MediaPackage: aws.manifestfilter=video_height:<min>-<max>, inclusive.
  // Unified Origin: filter=<expression> (type, MaxHeight), percent-encoded.
  // Mux: max_resolution=<270p..2160p>, the highest rendition not above it.
  const expected = {
    SD: ['aws.manifestfilter=video_height:1-719', '(type!="video")||(MaxHeight<=719)', 'max_resolution=540p'],
    HD: ['aws.manifestfilter=video_height:1-1080', '(type!="video")||(MaxHeight<=1080)', 'max_resolution=1080p'],
    UHD1: ['aws.manifestfilter=video_height:1-2160', '(type!="video")||(MaxHeight<=2160)', 'max_resolution=2160p'],
  };
  for (const [quality, [mediaPackage, expression, mux]] of Object.entries(expected)) {
    for (const m of [player, edge]) {
      const f = m.packagerFilters(quality);
      assert.equal(f.mediaPackage, mediaPackage);
      assert.equal(f.unifiedOrigin, `filter=${encodeURIComponent(expression)}`);
      assert.equal(decodeURIComponent(f.unifiedOrigin.slice('filter='.length)), expression);
      assert.equal(f.mux, mux);
      assert.deepEqual(f.reasons, {});
    }
    // Never looser: every landscape 16:9 picture the height range lets through is within the
    // cap on playgate's own ladder (qualityForSize), and the range's top is within it.
    const top = Number(/-(\d+)$/.exec(expected[quality][0])[1]);
    const rank = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };
    for (let h = 1; h <= top; h += 7) {
      assert.ok(rank[player.qualityForSize(Math.round((h * 16) / 9), h)] <= rank[quality], `${quality}: ${h} lines`);
    }
    assert.ok(rank[player.qualityForSize(Math.round((top * 16) / 9), top)] <= rank[quality]);
    assert.ok(rank[player.qualityForSize(Math.round(((top + 1) * 16) / 9), top + 1)] > rank[quality]);
  }
  for (const cap of ['UHD2', null]) {
    const f = player.packagerFilters(cap);
    assert.deepEqual([f.mediaPackage, f.unifiedOrigin, f.mux], [null, null, null]);
    for (const vendor of ['mediaPackage', 'unifiedOrigin', 'mux']) assert.match(f.reasons[vendor], /nothing to filter/);
  }
  for (const bad of ['FHD', 'hd', 2, undefined, {}]) {
    assert.throws(() => player.packagerFilters(bad), (e) => e.code === 'INVALID_ARGUMENT');
  }
});
