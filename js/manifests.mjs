// Manifests: `filterManifest` (HLS and DASH capped to a decision's quality, by the wasm core:
// src/manifest/) and `packagerFilters` (the same cap as a packaging origin's own filter, plain
// JS: each vendor's syntax, cited in the README). Owns no state.

import { FAILED } from './abi.mjs';
import { coded, fail } from './checks.mjs';
import { inputWriter } from './input.mjs';

const RANKS = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };

/** `options.maxQuality` as a rank (0 uncapped); it must be given, `null` for uncapped. */
function capRank(options) {
  if (options === null || typeof options !== 'object') {
    throw fail('INVALID_ARGUMENT', "options: expected { maxQuality } ('SD', 'HD', 'UHD1', 'UHD2' or null)");
  }
  const { maxQuality } = options;
  if (maxQuality === null) return 0;
  if (typeof maxQuality === 'string' && Object.prototype.hasOwnProperty.call(RANKS, maxQuality)) return RANKS[maxQuality];
  throw fail('INVALID_ARGUMENT', `maxQuality: expected 'SD', 'HD', 'UHD1', 'UHD2' or null (uncapped), got ${
    maxQuality === undefined ? 'nothing' : typeof maxQuality === 'string' ? JSON.stringify(maxQuality) : typeof maxQuality}`);
}

/**
 * The module's `filterManifest(input, { maxQuality })`: `input` is the manifest's text or its
 * bytes (a Uint8Array, an ArrayBuffer); the result `{ format, text, kept, removed }`. The bytes
 * go straight into wasm memory (js/input.mjs), and the ranges to drop come back in wasm memory
 * too (src/wasm/manifest.rs).
 */
export function manifestFilter(raw) {
  const { _filterManifest: filter, _manifestRanges: rangesAt, _manifestCounts: counts } = raw;
  const input = inputWriter(raw);
  // The bytes were checked as UTF-8 by wasm; the BOM, if any, is part of the text.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  return function filterManifest(manifest, options) {
    try {
      const rank = capRank(options);
      let source = manifest;
      if (manifest instanceof ArrayBuffer) source = new Uint8Array(manifest);
      else if (typeof manifest !== 'string' && !(manifest instanceof Uint8Array)) {
        throw fail('INVALID_ARGUMENT', 'manifest: expected its text (a string) or its bytes (a Uint8Array or an ArrayBuffer)');
      }
      const length = input.write(source, 'INVALID_MANIFEST');
      const ascii = input.ascii;
      const n = filter(length, rank);
      if (n === FAILED) throw raw._takeError();
      // Views taken after the call: the memory may have grown during it.
      const cuts = new Uint32Array(input.memory.buffer, rangesAt(), n); // start, end, start, end, ...
      // The text without the cuts: slices of the caller's own string when it is ASCII (then
      // byte offsets are string offsets), else the kept bytes decoded piece by piece (each cut
      // falls on an ASCII character, so every piece is whole UTF-8).
      let text;
      if (ascii) {
        text = n === 0 ? manifest : manifest.slice(0, cuts[0]);
        for (let i = 1; i < n - 1; i += 2) text += manifest.slice(cuts[i], cuts[i + 1]);
        if (n > 0) text += manifest.slice(cuts[n - 1]);
      } else {
        const bytes = input.bytes(length);
        if (n === 0) {
          text = typeof manifest === 'string' ? manifest : decoder.decode(bytes);
        } else {
          text = decoder.decode(bytes.subarray(0, cuts[0]));
          for (let i = 1; i < n - 1; i += 2) text += decoder.decode(bytes.subarray(cuts[i], cuts[i + 1]));
          text += decoder.decode(bytes.subarray(cuts[n - 1]));
        }
      }
      // format + 2 * kept + 2^27 * removed (src/wasm/manifest.rs)
      const packed = counts();
      const removed = Math.floor(packed / 134217728);
      const rest = packed - removed * 134217728;
      return { format: rest % 2 === 1 ? 'dash' : 'hls', text, kept: Math.floor(rest / 2), removed };
    } catch (error) {
      throw coded(error, 'INVALID_ARGUMENT', 'manifest');
    }
  };
}

// The largest picture height of each cap: SD is below 720 lines, HD up to 1080, UHD1 up to
// 2160 (UHD2 has no ceiling). Origins filter by height, playgate by the shorter side: for
// landscape video the same, for portrait video the origin's filter is stricter, never looser.
const MAX_HEIGHT = { SD: 719, HD: 1080, UHD1: 2160 };
// Mux's `max_resolution` values (https://www.mux.com/docs/guides/control-playback-resolution):
// the highest that does not exceed the cap.
const MUX = { SD: '540p', HD: '1080p', UHD1: '2160p' };

/**
 * The cap `maxQuality` as each packaging origin's own filter, for deployments that filter
 * there: `{ mediaPackage, unifiedOrigin, mux, reasons }`, each a query string (to append to the
 * manifest URL) or `null` with its reason in `reasons`. Never a looser filter than the cap.
 */
export function packagerFilters(maxQuality) {
  if (maxQuality !== null && !(typeof maxQuality === 'string' && Object.prototype.hasOwnProperty.call(RANKS, maxQuality))) {
    throw fail('INVALID_ARGUMENT', "maxQuality: expected 'SD', 'HD', 'UHD1', 'UHD2' or null (uncapped)");
  }
  if (maxQuality === null || maxQuality === 'UHD2') {
    const why = maxQuality === null
      ? 'uncapped: every rendition may play, there is nothing to filter'
      : 'UHD2 is the top of the ladder: every rendition is within it, there is nothing to filter';
    return { mediaPackage: null, unifiedOrigin: null, mux: null, reasons: { mediaPackage: why, unifiedOrigin: why, mux: why } };
  }
  const height = MAX_HEIGHT[maxQuality];
  return {
    // AWS Elemental MediaPackage manifest filtering: `video_height` with an inclusive range.
    mediaPackage: `aws.manifestfilter=video_height:1-${height}`,
    // Unified Origin dynamic track selection: keep every track that is not video, and video
    // tracks whose height is within the cap. The expression is percent-encoded.
    unifiedOrigin: `filter=${encodeURIComponent(`(type!="video")||(MaxHeight<=${height})`)}`,
    mux: `max_resolution=${MUX[maxQuality]}`,
    reasons: {},
  };
}
