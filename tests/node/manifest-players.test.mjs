// filterManifest against the players that read its output: each crafted master playlist or MPD
// below is one where a player (the real hls.js, Shaka Player's own HLS and DASH parsers, an XML
// parser) reads video above the cap that a reader of lines or tags would miss. The test first
// shows the player reading that video in the manifest as the origin wrote it (so each case is a
// real way past the cap), then holds the filter to it: capped at HD, the manifest is refused
// (INVALID_MANIFEST), or the player reads no video above 1080 lines and none of unknown size in
// what the filter returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import { PKG } from './helpers.mjs';
import { shakaGlobals, textLoader } from './players-in-node.mjs';

const { filterManifest, Entitlement } = await import(path.join(PKG, 'node/index.mjs'));

const BASE = 'https://cdn.example/title/';
const HD_LINES = 1080;

// ---- the players, in Node ---------------------------------------------------------------------
shakaGlobals();
const { default: Hls } = await import('hls.js/dist/hls.mjs');
const shaka = createRequire(import.meta.url)('shaka-player/dist/shaka-player.compiled.debug.js');

/** The video hls.js reads in a master playlist: the heights of its levels and I-frame variants (null: unsized). */
function hlsVideo(text) {
  return new Promise((resolve, reject) => {
    const hls = new Hls({ loader: textLoader(text), enableWorker: false, autoStartLoad: false });
    const timer = setTimeout(() => { hls.destroy(); reject(new Error('hls.js read no playlist')); }, 5000);
    hls.on(Hls.Events.MANIFEST_LOADED, (_event, data) => {
      clearTimeout(timer);
      setTimeout(() => hls.destroy());
      resolve([...data.levels, ...(data.iframeVariants ?? [])].map((l) => l.height || null));
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      clearTimeout(timer);
      setTimeout(() => hls.destroy());
      reject(new Error(`hls.js: ${data.details}`));
    });
    hls.loadSource(`${BASE}master.m3u8`);
  });
}

/** The video Shaka's own parser reads (`kind` 'hls' or 'dash'): its variants' video heights (null: unsized). */
async function shakaVideo(kind, text, files = {}) {
  const url = `${BASE}${kind === 'hls' ? 'master.m3u8' : 'manifest.mpd'}`;
  const served = { ...files, [url]: text };
  const parser = kind === 'hls' ? new shaka.hls.HlsParser() : new shaka.dash.DashParser();
  parser.configure(shaka.util.PlayerConfiguration.createDefault().manifest);
  const networkingEngine = {
    request(_type, request) {
      const uri = request.uris[0];
      const body = served[uri];
      const answer = body === undefined
        ? Promise.reject(new shaka.util.Error(2, 1, 1001, uri, 404))
        : Promise.resolve({ uri, originalUri: uri, data: new TextEncoder().encode(body).buffer, headers: {}, status: 200 });
      return new shaka.util.AbortableOperation(answer, () => Promise.resolve());
    },
  };
  const known = {
    networkingEngine, filter: async () => {}, isLowLatencyMode: () => false, isAutoLowLatencyMode: () => false,
    getBandwidthEstimate: () => 1e6, isOffline: () => false, disableStream: () => false, getPresentationTime: () => 0,
    onError: (error) => { throw error; },
  };
  const manifest = await parser.start(url, new Proxy(known, { get: (t, k) => (k in t ? t[k] : () => {}) }));
  await parser.stop();
  return manifest.variants.filter((v) => v.video).map((v) => v.video.height ?? null);
}

/** An XML parser's reading of an MPD (entities expanded): the video Representations' heights. */
function xmlVideo(text) {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', processEntities: true, htmlEntities: true, isArray: (_name, _path, _leaf, isAttribute) => !isAttribute }).parse(text);
  const heights = [];
  for (const mpd of doc.MPD ?? []) {
    for (const period of mpd.Period ?? []) {
      for (const set of period.AdaptationSet ?? []) {
        for (const rep of set.Representation ?? []) {
          const mime = rep.mimeType ?? set.mimeType ?? '';
          if (mime.startsWith('video/')) heights.push(Number(rep.height ?? set.height) || null);
        }
      }
    }
  }
  return heights;
}

/** Whether `heights` (a player's reading) has video above HD or of no known size. */
const pastTheCap = (heights) => heights.some((h) => h === null || h > HD_LINES);

const media = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4,\nseg1.ts\n#EXT-X-ENDLIST\n';
const playlists = Object.fromEntries(['360p', '2160p', 'hi'].map((r) => [`${BASE}${r}/index.m3u8`, media]));
const SD_VARIANT = '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360\n360p/index.m3u8\n';
const mpd = (body, ns = '') => `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"${ns} type="static" mediaPresentationDuration="PT10S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">\n${body}\n</MPD>\n`;
const SD_SET = '<AdaptationSet contentType="video" mimeType="video/mp4" codecs="avc1.64001e"><Representation id="360p" bandwidth="800000" width="640" height="360"><BaseURL>360p.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet>';
const UHD_SET = '<AdaptationSet xmlns="urn:mpeg:dash:schema:mpd:2011" contentType="video" mimeType="video/mp4" codecs="avc1.640033"><Representation id="2160p" bandwidth="20000000" width="3840" height="2160"><BaseURL>2160p.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet>';
const XLINK = ' xmlns:xlink="http://www.w3.org/1999/xlink"';

// Each: the reader that sees the video, the manifest as the origin wrote it.
const CASES = {
  // hls.js names an attribute with JS's trim (VT, NBSP go) and keeps the last value of a name.
  'HLS: a second RESOLUTION behind a VT (hls.js)': ['hls.js', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=20000000,RESOLUTION=640x360,\x0bRESOLUTION=3840x2160\n2160p/index.m3u8\n${SD_VARIANT}`],
  'HLS: a second RESOLUTION behind an NBSP (hls.js)': ['hls.js', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=20000000,RESOLUTION=640x360,\u00a0RESOLUTION=3840x2160\n2160p/index.m3u8\n${SD_VARIANT}`],
  // Shaka takes what comes before a first comma (before any `=`) as the tag's value, and the first value of a name.
  'HLS: a value before the first comma (Shaka)': ['shaka-hls', `#EXTM3U\n#EXT-X-STREAM-INF:x,RESOLUTION=3840x2160,BANDWIDTH=20000000,CODECS="avc1.640033,mp4a.40.2",RESOLUTION=640x360\n2160p/index.m3u8\n${SD_VARIANT}`],
  // hls.js (1.7 and later) finds I-frame variants anywhere in the text.
  'HLS: an I-frame variant in a comment line (hls.js)': ['hls.js', `#EXTM3U\n${SD_VARIANT}# #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,RESOLUTION=3840x2160,URI="2160p/iframes.m3u8"\n`],
  'HLS: an I-frame variant behind a VT (hls.js)': ['hls.js', `#EXTM3U\n${SD_VARIANT}\x0b#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,RESOLUTION=3840x2160,URI="2160p/iframes.m3u8"\n`],
  // Shaka plays a variant that names a video group as video, whatever its CODECS say; and reads SUPPLEMENTAL-CODECS for CODECS.
  'HLS: audio CODECS naming a video group (Shaka: video of no known size)': ['shaka-hls', `#EXTM3U\n#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID="v",NAME="main"\n#EXT-X-STREAM-INF:BANDWIDTH=20000000,CODECS="mp4a.40.2",VIDEO="v"\nhi/index.m3u8\n${SD_VARIANT}`],
  'HLS: audio CODECS with SUPPLEMENTAL-CODECS (Shaka: video of no known size)': ['shaka-hls', `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=20000000,CODECS="mp4a.40.2",SUPPLEMENTAL-CODECS="dvh1.08.07/db4h"\nhi/index.m3u8\n${SD_VARIANT}`],
  // Shaka's XML reader starts a name at a letter: `_height` is `height`, and the last value wins.
  'DASH: _width and _height (Shaka)': ['shaka-dash', mpd(`<Period id="p1">\n${SD_SET}\n<AdaptationSet contentType="video" mimeType="video/mp4" codecs="avc1.640033"><Representation id="2160p" bandwidth="20000000" width="640" height="360" _width="3840" _height="2160"><BaseURL>2160p.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet>\n</Period>`)],
  // XML expands character references: the type is video/mp4 to any XML reader (dash.js types a set by its mimeType, not contentType).
  'DASH: a character reference in mimeType (an XML parser)': ['xml', mpd(`<Period id="p1">\n${SD_SET}\n<AdaptationSet contentType="audio" mimeType="&#118;ideo/mp4" codecs="avc1.640033"><Representation id="2160p" bandwidth="20000000" width="3840" height="2160"><BaseURL>2160p.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet>\n</Period>`)],
  // ISO/IEC 23009-1 5.5: remote elements; Shaka fetches them and splices them in.
  'DASH: a remote Period (xlink:href, Shaka)': ['shaka-dash', mpd('<Period id="p1" xlink:href="https://cdn.example/title/p1.xml" xlink:actuate="onLoad"/>', XLINK),
    { [`${BASE}p1.xml`]: `<Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="p1">${SD_SET}${UHD_SET}</Period>` }],
  // hls.js's attribute pattern stops at U+2028 (JS's `.`): it reads `X-NOTE` as `"a` and the
  // RESOLUTION after it as the variant's.
  'HLS: U+2028 in a quoted value hides a RESOLUTION that hls.js reads': ['hls.js', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"\nsd/index.m3u8\n'
    + '#EXT-X-STREAM-INF:BANDWIDTH=16000000,RESOLUTION=640x360,CODECS="avc1.640033,mp4a.40.2",X-NOTE="a,RESOLUTION=3840x2160,\u2028"\nuhd/index.m3u8\n'],
  // Shaka drops an element only when its href is the URN itself; elsewhere in the tag it fetches the href.
  'DASH: a remote Period with the resolve-to-zero URN in another attribute (Shaka fetches the href)': ['shaka-dash',
    mpd(`<Period id="p1" xlink:href="${BASE}period.xml" xlink:actuate="onLoad" xlink:title="urn:mpeg:dash:resolve-to-zero:2013">\n${SD_SET}\n</Period>`, XLINK),
    { [`${BASE}period.xml`]: `<Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="p1">${UHD_SET}</Period>` }],
  // hls.js splits CODECS at spaces as well as commas: a video codec after a space is video
  // (found by a differential fuzz, session 43; an I-frame variant too).
  'HLS: CODECS split by a space, audio first (hls.js: video of no known size)': ['hls.js', `#EXTM3U\n${SD_VARIANT}#EXT-X-STREAM-INF:BANDWIDTH=20000000,CODECS="mp4a.40.2 avc1.640033"\nhi/index.m3u8\n`],
  'HLS: an I-frame variant whose CODECS are split by a space (hls.js)': ['hls.js', `#EXTM3U\n${SD_VARIANT}#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,CODECS="stpp.ttml.im1t avc1.640033",URI="2160p/iframes.m3u8"\n`],
  // Shaka types a Representation by its AdaptationSet's mimeType, whatever its own says.
  'DASH: an audio mimeType on a Representation in a video AdaptationSet (Shaka)': ['shaka-dash', mpd(`<Period id="p1">\n${SD_SET}\n<AdaptationSet mimeType="video/mp4" codecs="avc1.640033"><Representation id="2160p" bandwidth="20000000" width="3840" height="2160" mimeType="audio/mp4"><BaseURL>2160p.mp4</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet>\n</Period>`)],
  'DASH: a remote AdaptationSet (xlink:href, Shaka)': ['shaka-dash', mpd(`<Period id="p1">\n${SD_SET}\n<AdaptationSet xlink:href="https://cdn.example/title/as.xml" xlink:actuate="onLoad"/>\n</Period>`, XLINK),
    { [`${BASE}as.xml`]: UHD_SET }],
};

/** The video a case's reader finds in `text`. */
function videoOf(reader, text, files) {
  if (reader === 'hls.js') return hlsVideo(text);
  if (reader === 'shaka-hls') return shakaVideo('hls', text, { ...playlists, ...files });
  if (reader === 'shaka-dash') return shakaVideo('dash', text, files);
  return xmlVideo(text);
}

for (const [name, [reader, text, files = {}]] of Object.entries(CASES)) {
  test(`${name}: capped at HD, refused or read by the player with no video past the cap`, async () => {
    assert.ok(pastTheCap(await videoOf(reader, text, files)), 'the player reads video past HD in the manifest as written (the case is real)');
    let capped;
    try {
      capped = filterManifest(text, { maxQuality: 'HD' }).text;
    } catch (error) {
      assert.equal(error.code, 'INVALID_MANIFEST', String(error.message));
      return;
    }
    const seen = await videoOf(reader, capped, files);
    assert.ok(!pastTheCap(seen), `the player reads ${JSON.stringify(seen)} in the capped manifest:\n${capped}`);
  });
}

test('DASH: an MPD Patch (it adds Representations to an MPD the player holds) is refused under a cap, read uncapped', () => {
  const patch = '<?xml version="1.0"?>\n<Patch xmlns="urn:mpeg:dash:schema:mpd-patch:2020" mpdId="m" originalPublishTime="2026-01-01T00:00:00Z" publishTime="2026-01-01T00:00:10Z">\n<add sel="/MPD/Period[@id=\'p1\']/AdaptationSet[@id=\'1\']"><Representation id="2160p" bandwidth="20000000" width="3840" height="2160"/></add>\n</Patch>\n';
  assert.throws(() => filterManifest(patch, { maxQuality: 'HD' }), { code: 'INVALID_MANIFEST' });
  assert.equal(filterManifest(patch, { maxQuality: null }).text, patch);
  // A remote element that resolves to nothing (ISO/IEC 23009-1 5.5.3) is no remote content.
  const zero = mpd(`<Period id="p1">\n${SD_SET}\n<AdaptationSet xlink:href="urn:mpeg:dash:resolve-to-zero:2013"/>\n</Period>`, XLINK);
  assert.equal(filterManifest(zero, { maxQuality: 'HD' }).kept, 1);
});

test('an input over 64 MiB is a coded error before wasm is asked for room (an allocation that fails would trap and end the instance); the module keeps working', () => {
  const big = '#'.repeat((64 << 20) + 1);
  assert.throws(() => filterManifest(big, { maxQuality: 'HD' }), { code: 'INVALID_MANIFEST' });
  assert.throws(() => filterManifest(new Uint8Array((64 << 20) + 1), { maxQuality: 'HD' }), { code: 'INVALID_MANIFEST' });
  assert.throws(() => Entitlement.fromBlob(big), { code: 'INVALID_ENTITLEMENT' });
  assert.equal(filterManifest(`#EXTM3U\n${SD_VARIANT}`, { maxQuality: 'HD' }).kept, 1);
});
