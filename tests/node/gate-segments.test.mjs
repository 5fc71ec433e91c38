// The edge gate's segment tokens (issue 15 point 2): the gate mints short HMAC tokens for a
// title's folder and writes them into the playlists and MPDs it serves (`via: 'uri'`) or sets
// them as a cookie on that folder (`via: 'cookie'`), so a player that sends no custom header
// (Safari's native HLS) reaches every segment. Truth from outside the code under test: each
// token is recomputed with node:crypto's HMAC-SHA256 from the format the README and
// js/segments.mjs document (RFC 2104), the playlists are read back with m3u8-parser and the MPD
// with fast-xml-parser, and the origin counts its requests (a refusal never reaches it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { XMLParser } from 'fast-xml-parser';
import { GATE_MASTER, PKG, gateSegment } from './helpers.mjs';

const { createGate, PlaybackTokenMinter } = await import(path.join(PKG, 'edge/node/index.mjs'));

const SECRET = 'segment-secret-of-at-least-32-bytes!!';
const LIFETIME = 120;
const SESSION = 21_600;
const MEDIA = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:6.0,\nsegment1.ts\n#EXTINF:4.5,\nsegment2.ts\n#EXT-X-ENDLIST\n';
const MEDIA_SECONDS = 11; // ceil(6.0 + 4.5)
// One fMP4 file, byte ranges of it: the init segment and the media segments share it.
const SINGLE_FILE_MEDIA = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI="main.mp4",BYTERANGE="800@0"\n#EXTINF:6.0,\n#EXT-X-BYTERANGE:5000@800\nmain.mp4\n#EXTINF:4.5,\n#EXT-X-BYTERANGE:4000@5800\nmain.mp4\n#EXT-X-ENDLIST\n';
const MPD = `<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10.5S" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">
  <Period>
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
      <SegmentTemplate initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/seg-$Number$.m4s?v=1&amp;w=2" startNumber="1" duration="6" timescale="1"/>
      <Representation id="480p" bandwidth="1000000" width="854" height="480" codecs="avc1.4d401e"/>
      <Representation id="1080p" bandwidth="5000000" width="1920" height="1080" codecs="avc1.640028"/>
      <Representation id="2160p" bandwidth="15000000" width="3840" height="2160" codecs="avc1.640033"/>
    </AdaptationSet>
    <AdaptationSet mimeType="text/vtt" lang="en">
      <Representation id="subs_en" bandwidth="256"><BaseURL>subs_en/subs.vtt</BaseURL></Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4" lang="de">
      <BaseURL>audio_aac/</BaseURL>
      <Representation id="audio_de" bandwidth="128000" codecs="mp4a.40.2">
        <SegmentTemplate initialization="init-de.mp4" media="seg-de-$Number$.m4s" startNumber="1" duration="6" timescale="1"/>
      </Representation>
    </AdaptationSet>
    <AdaptationSet mimeType="audio/mp4" lang="en">
      <Representation id="audio_aac" bandwidth="128000" codecs="mp4a.40.2">
        <SegmentTemplate initialization="https://keys.example/init.mp4" media="audio_aac/seg-$Number$.m4s" startNumber="1" duration="6" timescale="1"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;

async function startOrigin() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    const { pathname } = new URL(req.url, 'http://origin');
    const send = (type, body) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (/^\/Movie[12]\/playlist\.m3u8$/.test(pathname)) return send('application/vnd.apple.mpegurl', GATE_MASTER);
    if (/^\/Movie[12]\/manifest\.mpd$/.test(pathname)) return send('application/dash+xml', MPD);
    // The same MPD two hours long, live, or stating its length only in its Periods.
    if (pathname === '/Movie1/long.mpd') return send('application/dash+xml', MPD.replace('mediaPresentationDuration="PT10.5S"', 'mediaPresentationDuration="PT2H0M0.5S"'));
    if (pathname === '/Movie1/live.mpd') return send('application/dash+xml', MPD.replace('type="static" mediaPresentationDuration="PT10.5S"', 'type="dynamic" availabilityStartTime="2026-12-05T00:00:00Z" minimumUpdatePeriod="PT6S"'));
    if (pathname === '/Movie1/periods.mpd') return send('application/dash+xml', MPD.replace(' mediaPresentationDuration="PT10.5S"', '').replace('<Period', '<Period duration="PT1M30S"'));
    if (/^\/Movie[12]\/\w+\/playlist\.m3u8$/.test(pathname)) return send('application/vnd.apple.mpegurl', req.url.endsWith('?layout=single') ? SINGLE_FILE_MEDIA : MEDIA);
    if (/^\/Movie[12]\/\w+\/[\w.-]+\.(ts|mp4|m4s)$/.test(pathname)) return send('video/mp2t', gateSegment(pathname));
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

const origin = await startOrigin();
test.after(() => origin.close());

const HS_JWK = { kty: 'oct', k: Buffer.from(new Uint8Array(32).map((_, i) => (i * 31 + 7) & 0xff)).toString('base64url'), kid: 'hs1' };
const VERIFIER = { algorithms: ['HS256'], keys: { keys: [HS_JWK] }, audience: 'edge', leewaySeconds: 0 };
const minter = PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: HS_JWK, kid: 'hs1', audience: 'edge' });
const FOLDER_SCOPE = (title) => ({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: `/${title}/` } }] });
let clockMs = Date.UTC(2026, 11, 5, 12, 0, 0);
const nowSeconds = () => Math.floor(clockMs / 1000);
const playback = (entitlement = { maxQuality: 'HD' }, scope = FOLDER_SCOPE('Movie1')) => minter.mint({ scope, subject: 'v', entitlement, now: clockMs });

const gateOf = (segmentTokens = {}, extra = {}) => createGate({
  verifier: VERIFIER, origin: origin.url, country: { headers: ['CF-IPCountry'] }, clock: () => clockMs,
  uncappedRenditions: ['audio_aac'],
  segmentTokens: { secret: SECRET, lifetimeSeconds: LIFETIME, via: 'uri', ...segmentTokens }, ...extra,
});
const request = (gate, url, headers = {}) => gate.fetch(new Request(new URL(url, 'https://edge.example'), { headers }), {}, {});

/** The documented tag, recomputed with node:crypto (a file token's with its own label). */
function expectedTag(path, exp, until, cap, country, label = 'playgate-segment-v1') {
  const mac = createHmac('sha256', SECRET).update(`${label}\n${path}\n${exp}\n${until}\n${cap}\n${country}`).digest();
  return mac.subarray(0, 16).toString('base64url');
}

/**
 * Reads a segment token and checks its tag against node:crypto's: `{ exp, until, cap, country }`.
 * `path`: a folder (ending in `/`), or a file for a file token.
 */
function readToken(token, path) {
  const parts = token.split('.');
  assert.equal(parts.length, 6, token);
  const [version, exp, until, cap, country, tag] = parts;
  assert.equal(version, 'v1');
  const label = path.endsWith('/') ? 'playgate-segment-v1' : 'playgate-segment-file-v1';
  assert.equal(tag, expectedTag(path, exp, until, cap, country, label), `the tag of ${token} for ${path}`);
  return { exp: Number(exp), until: Number(until), cap: Number(cap), country };
}

/** Every URI of a playlist (m3u8-parser's reading): variants, media groups, segments and maps. */
function playlistUris(text) {
  const parser = new M3u8Parser();
  parser.push(text);
  parser.end();
  const m = parser.manifest;
  const uris = [...(m.playlists ?? []).map((p) => p.uri), ...(m.segments ?? []).flatMap((s) => [s.uri, s.map?.uri].filter(Boolean))];
  for (const group of Object.values(m.mediaGroups ?? {})) {
    for (const names of Object.values(group)) for (const r of Object.values(names)) if (r.uri) uris.push(r.uri);
  }
  return uris;
}
const tokenOf = (uri) => new URL(uri, 'https://edge.example/').searchParams.get('segment_token');

async function refused(promise, status, code, what) {
  const before = origin.seen.length;
  const res = await promise;
  const body = await res.text();
  assert.equal(res.status, status, `${what}: ${body}`);
  assert.equal(JSON.parse(body).code, code, `${what}: ${body}`);
  assert.equal(origin.seen.length, before, `${what}: the origin was called`);
}

test('via uri: the capped master carries a segment token on every variant; playlists and segments open with it alone', async () => {
  const gate = gateOf();
  const master = await request(gate, `/Movie1/playlist.m3u8?token=${playback()}`);
  assert.equal(master.status, 200);
  assert.equal(master.headers.get('cache-control'), 'private, no-store');
  const masterText = await master.text();
  const variants = playlistUris(masterText);
  assert.deepEqual(variants.map((u) => u.split('?')[0]), ['480p/playlist.m3u8', '1080p/playlist.m3u8'], 'capped at HD');
  const token = tokenOf(variants[0]);
  assert.ok(token, masterText);
  assert.ok(variants.every((u) => tokenOf(u) === token));
  assert.deepEqual(readToken(token, '/Movie1/'), { exp: nowSeconds() + LIFETIME, until: nowSeconds() + SESSION, cap: 2, country: '-' });

  // The media playlist with the segment token only: its segments and map carry a token that lasts the playlist's duration more.
  const mediaRes = await request(gate, `/Movie1/${variants[1]}`);
  assert.equal(mediaRes.status, 200);
  const uris = playlistUris(await mediaRes.text());
  assert.deepEqual([...new Set(uris.map((u) => u.split('?')[0]))], ['segment1.ts', 'init.mp4', 'segment2.ts']);
  const segmentToken = tokenOf(uris[0]);
  assert.deepEqual(readToken(segmentToken, '/Movie1/'), { exp: nowSeconds() + LIFETIME + MEDIA_SECONDS, until: nowSeconds() + SESSION, cap: 2, country: '-' });

  // A segment with it: proxied, the token not passed on.
  const seg = await request(gate, `/Movie1/1080p/${uris[0]}`);
  assert.equal(seg.status, 200);
  assert.equal(await seg.text(), gateSegment('/Movie1/1080p/segment1.ts'));
  assert.equal(origin.seen.at(-1).url, '/Movie1/1080p/segment1.ts');
  // Audio named in uncappedRenditions is not capped; 480p within the cap.
  assert.equal((await request(gate, `/Movie1/audio_aac/seg-1.m4s?segment_token=${segmentToken}`)).status, 200);
  assert.equal((await request(gate, `/Movie1/480p/segment2.ts?segment_token=${segmentToken}`)).status, 200);
});

test('a segment token is refused for another title, above its cap, expired, forged or raised', async () => {
  const gate = gateOf();
  const master = await (await request(gate, `/Movie1/playlist.m3u8?token=${playback()}`)).text();
  const token = tokenOf(playlistUris(master)[0]);
  await refused(request(gate, `/Movie2/480p/segment1.ts?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another title');
  await refused(request(gate, `/Movie2/480p/playlist.m3u8?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another title\'s playlist');
  // Once its grant is remembered (the gate keeps grants by the token's text), still only its folder.
  assert.equal((await request(gate, `/Movie1/480p/segment1.ts?segment_token=${token}`)).status, 200);
  await refused(request(gate, `/Movie2/480p/segment1.ts?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another title, the grant remembered');
  await refused(request(gate, `/Movie2/480p/playlist.m3u8?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another title\'s playlist, the grant remembered');
  await refused(request(gate, `/Movie1/2160p/segment1.ts?segment_token=${token}`), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', 'above the cap');
  await refused(request(gate, `/Movie1/2160p/playlist.m3u8?segment_token=${token}`), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', 'a playlist above the cap');
  const parts = token.split('.');
  const flipped = parts[5][3] === 'A' ? 'B' : 'A';
  const forged = [...parts.slice(0, 5), parts[5].slice(0, 3) + flipped + parts[5].slice(4)].join('.');
  await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${forged}`), 403, 'SEGMENT_TOKEN_INVALID', 'a changed tag');
  const raised = [parts[0], parts[1], parts[2], '4', ...parts.slice(4)].join('.');
  await refused(request(gate, `/Movie1/2160p/segment1.ts?segment_token=${raised}`), 403, 'SEGMENT_TOKEN_INVALID', 'the cap raised');
  const longer = [parts[0], String(Number(parts[1]) + 3600), ...parts.slice(2)].join('.');
  await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${longer}`), 403, 'SEGMENT_TOKEN_INVALID', 'the expiry moved');
  for (const junk of ['x', 'v1.1.2.3.-.', `v2.${parts.slice(1).join('.')}`, token + 'A']) {
    await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${encodeURIComponent(junk)}`), 403, 'SEGMENT_TOKEN_INVALID', `junk ${junk}`);
  }
  // Another gate's secret: invalid.
  const other = gateOf({ secret: 'another-secret-of-at-least-32-bytes!!' });
  await refused(request(other, `/Movie1/480p/segment1.ts?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another secret');

  // Expired for segments after lifetime; a playlist still renews until the session ends.
  const start = clockMs;
  try {
    clockMs = start + (LIFETIME + 1) * 1000;
    await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${token}`), 403, 'SEGMENT_TOKEN_EXPIRED', 'after its lifetime');
    const renewed = await request(gate, `/Movie1/480p/playlist.m3u8?segment_token=${token}`);
    assert.equal(renewed.status, 200, 'a playlist renews an expired token within the session');
    const fresh = tokenOf(playlistUris(await renewed.text())[0]);
    assert.deepEqual(readToken(fresh, '/Movie1/'), { exp: nowSeconds() + LIFETIME + MEDIA_SECONDS, until: start / 1000 + SESSION, cap: 2, country: '-' });
    assert.equal((await request(gate, `/Movie1/480p/segment1.ts?segment_token=${fresh}`)).status, 200);
    clockMs = start + SESSION * 1000;
    await refused(request(gate, `/Movie1/480p/playlist.m3u8?segment_token=${fresh}`), 403, 'SEGMENT_TOKEN_EXPIRED', 'after the session');
  } finally {
    clockMs = start;
  }
  // A gate without segmentTokens reads none.
  const plain = createGate({ verifier: VERIFIER, origin: origin.url });
  await refused(request(plain, `/Movie1/480p/segment1.ts?segment_token=${token}`), 401, 'TOKEN_MISSING', 'no segment tokens configured');
});

test('a layout with a prefix (/vod/{content}/{rendition}/{file}): the token is minted for the title folder under it, and opens only that', async () => {
  // The origin serves /Movie1/...: the gate's fetch option drops the prefix on the way to it.
  const gate = gateOf({}, { layout: '/vod/{content}/{rendition}/{file}', fetch: (url, init) => fetch(url.replace('/vod/', '/'), init) });
  const master = await (await request(gate, `/vod/Movie1/playlist.m3u8?token=${playback({ maxQuality: 'HD' }, FOLDER_SCOPE('vod/Movie1'))}`)).text();
  const token = tokenOf(playlistUris(master)[0]);
  assert.equal(readToken(token, '/vod/Movie1/').cap, 2, 'the tag is over the folder /vod/Movie1/');
  assert.equal((await request(gate, `/vod/Movie1/480p/segment1.ts?segment_token=${token}`)).status, 200);
  await refused(request(gate, `/vod/Movie2/480p/segment1.ts?segment_token=${token}`), 403, 'SEGMENT_TOKEN_INVALID', 'another title under the prefix');
  await refused(request(gate, `/vod/Movie1/2160p/segment1.ts?segment_token=${token}`), 403, 'QUALITY_EXCEEDS_ENTITLEMENT', 'above the cap');
});

test('via uri: an init segment (EXT-X-MAP) gets a file token, the same on each reload, opening that one file until the session ends', async () => {
  const gate = gateOf();
  const master = await (await request(gate, `/Movie1/playlist.m3u8?token=${playback()}`)).text();
  const token = tokenOf(playlistUris(master)[0]);
  const reload = async (query = '') => {
    const parser = new M3u8Parser();
    parser.push(await (await request(gate, `/Movie1/480p/playlist.m3u8?${query}segment_token=${token}`)).text());
    parser.end();
    const [segment] = parser.manifest.segments;
    return { map: tokenOf(segment.map.uri), segment: tokenOf(segment.uri) };
  };
  const start = clockMs;
  try {
    const first = await reload();
    // The documented format, its tag over the file's own path, valid until the session's end.
    const sessionEnd = start / 1000 + SESSION;
    assert.deepEqual(readToken(first.map, '/Movie1/480p/init.mp4'), { exp: sessionEnd, until: sessionEnd, cap: 2, country: '-' });
    readToken(first.segment, '/Movie1/');
    clockMs = start + (LIFETIME + MEDIA_SECONDS + 30) * 1000;
    const later = await reload();
    assert.equal(later.map, first.map, 'the same file token on a reload (hls.js keeps a loaded init segment only while its URL is the same)');
    assert.notEqual(later.segment, first.segment, 'the segments\' token rotated');
    await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${first.segment}`), 403, 'SEGMENT_TOKEN_EXPIRED', 'the first folder token');
    const init = await request(gate, `/Movie1/480p/init.mp4?segment_token=${first.map}`);
    assert.equal(init.status, 200, 'the init segment opens with its file token past the folder token\'s exp');
    assert.equal(await init.text(), gateSegment('/Movie1/480p/init.mp4'));
    // It opens nothing else, once its grant is remembered and in a gate that has not seen it.
    for (const g of [gate, gateOf()]) {
      await refused(request(g, `/Movie1/480p/segment1.ts?segment_token=${first.map}`), 403, 'SEGMENT_TOKEN_INVALID', 'a segment');
      await refused(request(g, `/Movie1/1080p/init.mp4?segment_token=${first.map}`), 403, 'SEGMENT_TOKEN_INVALID', 'another rendition\'s init segment');
      await refused(request(g, `/Movie1/480p/playlist.m3u8?segment_token=${first.map}`), 403, 'SEGMENT_TOKEN_INVALID', 'a playlist (it mints nothing)');
    }
    const parts = first.map.split('.');
    const shorter = [parts[0], String(Number(parts[1]) - 1), ...parts.slice(2)].join('.');
    await refused(request(gateOf(), `/Movie1/480p/init.mp4?segment_token=${shorter}`), 403, 'SEGMENT_TOKEN_INVALID', 'its exp changed');
    clockMs = start + SESSION * 1000;
    await refused(request(gate, `/Movie1/480p/init.mp4?segment_token=${first.map}`), 403, 'SEGMENT_TOKEN_EXPIRED', 'after the session');
  } finally {
    clockMs = start;
  }
  // A single-file stream (the init segment's bytes in the media's file): the folder token, or a
  // session-long token would open the media.
  const single = await reload('layout=single&');
  assert.equal(single.map, single.segment);
});

test('a segment token carries the entitlement\'s country; a playback token whose scope does not cover the folder gets none', async () => {
  const gate = gateOf();
  const master = await (await request(gate, `/Movie1/playlist.m3u8?token=${playback({ maxQuality: 'HD', country: 'DE' })}`, { 'CF-IPCountry': 'DE' })).text();
  const token = tokenOf(playlistUris(master)[0]);
  assert.equal(readToken(token, '/Movie1/').country, 'DE');
  assert.equal((await request(gate, `/Movie1/480p/segment1.ts?segment_token=${token}`, { 'CF-IPCountry': 'DE' })).status, 200);
  await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${token}`, { 'CF-IPCountry': 'FR' }), 403, 'COUNTRY_NOT_ALLOWED', 'another country');
  await refused(request(gate, `/Movie1/480p/segment1.ts?segment_token=${token}`, { 'CF-IPCountry': 'T1' }), 403, 'COUNTRY_UNKNOWN', 'Tor');

  // Exact keys only: the scope does not open the folder, so nothing is minted.
  const exact = { permissions: [{ role: 'readonly', cache: 'media', item: { key: '/Movie1/playlist.m3u8' } }] };
  const res = await request(gate, `/Movie1/playlist.m3u8?token=${playback({ maxQuality: 'HD' }, exact)}`);
  assert.equal(res.status, 200);
  assert.ok(playlistUris(await res.text()).every((u) => tokenOf(u) === null));
  // Another cache: nothing either.
  const otherCache = { permissions: [{ role: 'readonly', cache: 'other', item: { keyPrefix: '/' } }, { role: 'readonly', cache: 'media', item: { key: '/Movie1/playlist.m3u8' } }] };
  const res2 = await request(gate, `/Movie1/playlist.m3u8?token=${playback({ maxQuality: 'HD' }, otherCache)}`);
  assert.ok(playlistUris(await res2.text()).every((u) => tokenOf(u) === null));
});

test('via uri: an MPD is capped and its segment templates carry the token; other hosts never get it', async () => {
  const gate = gateOf();
  const res = await request(gate, `/Movie1/manifest.mpd?token=${playback()}`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const mpd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(text).MPD;
  const sets = [mpd.Period.AdaptationSet].flat();
  const video = sets.find((s) => s.mimeType === 'video/mp4');
  assert.deepEqual([video.Representation].flat().map((r) => r.id), ['480p', '1080p'], 'capped at HD');
  const template = video.SegmentTemplate;
  const token = tokenOf(template.media);
  assert.ok(token, template.media);
  readToken(token, '/Movie1/');
  assert.equal(new URL(template.media, 'https://e/').searchParams.get('w'), '2', 'the existing query kept');
  assert.equal(tokenOf(template.initialization), token);
  const audio = [sets.find((x) => x.mimeType === 'audio/mp4' && x.lang === 'en').Representation].flat()[0].SegmentTemplate;
  assert.equal(tokenOf(audio.media), token);
  assert.equal(audio.initialization, 'https://keys.example/init.mp4', 'another host is left alone');
  const subs = [sets.find((x) => x.mimeType === 'text/vtt').Representation].flat()[0];
  assert.equal(tokenOf(subs.BaseURL), token, 'a BaseURL naming a file carries the token');
  const german = sets.find((x) => x.lang === 'de');
  assert.equal(german.BaseURL, 'audio_aac/', 'a BaseURL naming a folder does not');
  assert.equal(tokenOf([german.Representation].flat()[0].SegmentTemplate.media), token);
  // The segment URL a player builds from the template opens.
  const seg = template.media.replace('$RepresentationID$', '1080p').replace('$Number$', '1');
  assert.equal((await request(gate, `/Movie1/${seg}`)).status, 200);
  // A static MPD is loaded once: its token lasts its mediaPresentationDuration (ISO 8601,
  // rounded up) more, as a VOD media playlist's lasts its EXTINFs; a dynamic one is loaded again.
  const expOf = async (file) => {
    const body = await (await request(gate, `/Movie1/${file}?token=${playback()}`)).text();
    const media = /media="([^"]*)"/.exec(body)[1].replaceAll('&amp;', '&');
    return readToken(tokenOf(media), '/Movie1/').exp - nowSeconds();
  };
  assert.equal(readToken(token, '/Movie1/').exp - nowSeconds(), LIFETIME + 11, 'PT10.5S');
  assert.equal(await expOf('long.mpd'), LIFETIME + 7201, 'PT2H0M0.5S');
  assert.equal(await expOf('periods.mpd'), LIFETIME + 90, 'one Period of PT1M30S');
  assert.equal(await expOf('live.mpd'), LIFETIME, 'dynamic');
});

test('via cookie: a path-scoped cookie, renewed on segments once half spent, never passed to the origin', async () => {
  const gate = gateOf({ via: 'cookie' });
  const master = await request(gate, `/Movie1/playlist.m3u8?token=${playback()}`, { cookie: 'theme=dark' });
  assert.equal(master.status, 200);
  const text = await master.text();
  assert.ok(playlistUris(text).every((u) => tokenOf(u) === null), 'no token in the URIs');
  const cookies = master.headers.getSetCookie();
  assert.equal(cookies.length, 1);
  const m = /^playgate_segment=([^;]+); Max-Age=(\d+); Path=\/Movie1\/; HttpOnly; SameSite=None; Secure$/.exec(cookies[0]);
  assert.ok(m, cookies[0]);
  assert.equal(Number(m[2]), LIFETIME);
  const token = m[1];
  readToken(token, '/Movie1/');

  const withCookie = { cookie: `theme=dark; playgate_segment=${token}` };
  const media = await request(gate, '/Movie1/1080p/playlist.m3u8', withCookie);
  assert.equal(media.status, 200);
  const mediaCookie = /playgate_segment=([^;]+); Max-Age=(\d+)/.exec(media.headers.getSetCookie()[0]);
  assert.equal(Number(mediaCookie[2]), LIFETIME + MEDIA_SECONDS, 'a VOD playlist\'s cookie lasts its duration more');
  const seg = await request(gate, '/Movie1/1080p/segment1.ts', withCookie);
  assert.equal(seg.status, 200);
  assert.deepEqual(seg.headers.getSetCookie(), [], 'a fresh cookie is not renewed');
  assert.equal(origin.seen.at(-1).headers.cookie, undefined, 'the origin never sees the segment cookie');
  const all = gateOf({ via: 'cookie' }, { forwardHeaders: 'all' });
  assert.equal((await request(all, '/Movie1/1080p/segment1.ts', withCookie)).status, 200);
  assert.equal(origin.seen.at(-1).headers.cookie, 'theme=dark', 'forwardHeaders \'all\': the origin gets the other cookies, never the segment cookie');
  const start = clockMs;
  try {
    clockMs = start + (LIFETIME / 2 + 1) * 1000;
    const later = await request(gate, '/Movie1/1080p/segment2.ts', withCookie);
    assert.equal(later.status, 200);
    const renewed = /^playgate_segment=([^;]+); Max-Age=(\d+); Path=\/Movie1\//.exec(later.headers.getSetCookie()[0] ?? '');
    assert.ok(renewed, 'renewed once half spent');
    assert.equal(readToken(renewed[1], '/Movie1/').exp, nowSeconds() + LIFETIME);
  } finally {
    clockMs = start;
  }
  await refused(request(gate, '/Movie2/1080p/segment1.ts', withCookie), 403, 'SEGMENT_TOKEN_INVALID', 'the cookie on another title');
  // A cookie that no longer opens the folder (here: another secret's), with the playback token:
  // the segment is served on the playback token, and the cookie is replaced by a good one.
  const stale = await request(gate, `/Movie1/1080p/segment3.ts?token=${playback()}`, { cookie: `playgate_segment=${token.slice(0, -2)}AA` });
  assert.equal(stale.status, 200);
  const replaced = /^playgate_segment=([^;]+); Max-Age=(\d+); Path=\/Movie1\//.exec(stale.headers.getSetCookie()[0] ?? '');
  assert.ok(replaced, 'a cookie that failed is replaced');
  readToken(replaced[1], '/Movie1/');
  // Over plain http (a loopback demo), SameSite=Lax without Secure: a browser keeps it.
  const local = await gate.fetch(new Request(`http://127.0.0.1/Movie1/playlist.m3u8?token=${playback()}`), {}, {});
  assert.match(local.headers.getSetCookie()[0], /; Path=\/Movie1\/; HttpOnly; SameSite=Lax$/);
});

test('segmentTokens options: coded errors', () => {
  const base = { verifier: VERIFIER, origin: origin.url };
  for (const [what, segmentTokens, extra] of [
    ['not an object', 'x'],
    ['no secret', {}],
    ['a short secret', { secret: 'short' }],
    ['a number secret', { secret: 12 }],
    ['lifetime 0', { secret: SECRET, lifetimeSeconds: 0 }],
    ['lifetime 1.5', { secret: SECRET, lifetimeSeconds: 1.5 }],
    ['lifetime over an hour', { secret: SECRET, lifetimeSeconds: 3601 }],
    ['a session shorter than the lifetime', { secret: SECRET, lifetimeSeconds: 300, sessionSeconds: 100 }],
    ['via header', { secret: SECRET, via: 'header' }],
    ['rendition before content', { secret: SECRET }, { layout: '/{rendition}/{content}/{file}' }],
  ]) {
    assert.throws(() => createGate({ ...base, segmentTokens, ...extra }), (e) => e.code === 'INVALID_ARGUMENT', what);
  }
  assert.throws(() => createGate({ ...base, uncappedRenditions: 'audio' }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => createGate({ ...base, uncappedRenditions: ['a/b'] }), { code: 'INVALID_ARGUMENT' });
  assert.doesNotThrow(() => createGate({ ...base, segmentTokens: { secret: new Uint8Array(32) } }));
});

test('the cache origin: playlists and segments read from the cache HTTP API (the emulator), capped and tokenised as from a URL origin', async () => {
  const { startTestEmulator } = await import('./cache-scenarios.mjs');
  const { emu } = await startTestEmulator();
  try {
    for (const [key, body] of [['/Movie1/playlist.m3u8', GATE_MASTER], ['/Movie1/1080p/playlist.m3u8', MEDIA], ['/Movie1/1080p/segment1.ts', 'seg one bytes']]) {
      emu.put('media', key, body);
    }
    // The gate's own cache token: seed 000's readonly media token.
    const cacheToken = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'media' }] } });
    const gate = gateOf({}, { origin: { cache: { token: cacheToken, baseUrl: emu.url }, cacheName: 'media' } });
    // A cache origin reads keys by path: any forwardQuery is a configuration error.
    for (const forwardQuery of [true, false, ['v']]) {
      assert.throws(() => gateOf({}, { origin: { cache: { token: cacheToken, baseUrl: emu.url }, cacheName: 'media' }, forwardQuery }), { code: 'INVALID_ARGUMENT', message: /forwardQuery/ });
    }
    const master = await request(gate, `/Movie1/playlist.m3u8?token=${playback()}`);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const variants = playlistUris(await master.text());
    assert.deepEqual(variants.map((u) => u.split('?')[0]), ['480p/playlist.m3u8', '1080p/playlist.m3u8']);
    const media = await request(gate, `/Movie1/${variants[1]}`);
    assert.equal(media.status, 200);
    const seg = playlistUris(await media.text())[0];
    const res = await request(gate, `/Movie1/1080p/${seg}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp2t');
    assert.equal(await res.text(), 'seg one bytes');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', 'served as its name says, never sniffed');
    const last = emu.requests.at(-1);
    assert.ok(JSON.stringify(last).includes('segment1.ts'), 'the emulator was asked for the segment\'s key');
    // A name whose extension is a property every object has is no type: bytes, not sniffed.
    emu.put('media', '/Movie1/1080p/page.constructor', '<html><script>alert(1)</script>');
    const odd = await request(gate, `/Movie1/1080p/page.constructor?segment_token=${tokenOf(seg)}`);
    assert.equal(odd.status, 200);
    assert.deepEqual([odd.headers.get('content-type'), odd.headers.get('x-content-type-options')], ['application/octet-stream', 'nosniff']);
    await odd.arrayBuffer();
    // A miss is 404 NOT_FOUND; a refusal never reaches the cache.
    const miss = await request(gate, `/Movie1/1080p/segment9.ts?segment_token=${tokenOf(seg)}`);
    assert.equal(miss.status, 404);
    assert.equal((await miss.json()).code, 'NOT_FOUND');
    const before = emu.requests.length;
    assert.equal((await request(gate, `/Movie1/2160p/segment1.ts?segment_token=${tokenOf(seg)}`)).status, 403);
    assert.equal(emu.requests.length, before, 'no cache request after a refusal');
    // A cache token that cannot read the media cache: 502 ORIGIN_UNAVAILABLE, never the bytes.
    const wrong = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'other' }] } });
    const denied = gateOf({}, { origin: { cache: { token: wrong, baseUrl: emu.url, checkScope: false } } });
    const bad = await request(denied, `/Movie1/1080p/segment1.ts?token=${playback()}`);
    assert.equal(bad.status, 502);
    assert.equal((await bad.json()).code, 'ORIGIN_UNAVAILABLE');
    assert.throws(() => gateOf({}, { origin: { cache: { token: 42 } } }), { code: 'INVALID_ARGUMENT' });
    // A CacheClient of the other module (the player module's, given to this gate) is a client too.
    const player = await import(path.join(PKG, 'node/index.mjs'));
    const across = gateOf({}, { origin: { cache: new player.CacheClient({ token: cacheToken, baseUrl: emu.url }), cacheName: 'media' } });
    const read = await request(across, `/Movie1/1080p/segment1.ts?token=${playback()}`);
    assert.deepEqual([read.status, await read.text()], [200, 'seg one bytes']);
    // The viewer's scope is checked on the cache the media is read from (seed 000: readonly on
    // `media`): media read from another cache is refused, and two cache names that differ are a
    // configuration error, never a check on one cache and a read from the other.
    const everything = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: {} }] } });
    emu.put('entitlements', '/Movie1/1080p/segment1.ts', 'another cache\'s bytes');
    const elsewhere = gateOf({}, { origin: { cache: { token: everything, baseUrl: emu.url }, cacheName: 'entitlements' } });
    const other = await request(elsewhere, `/Movie1/1080p/segment1.ts?token=${playback()}`);
    assert.equal(other.status, 403);
    assert.equal((await other.json()).code, 'SCOPE_DENIED');
    assert.throws(() => gateOf({}, { cacheName: 'media', origin: { cache: { token: everything, baseUrl: emu.url }, cacheName: 'entitlements' } }), { code: 'INVALID_ARGUMENT', message: /differ/ });
    assert.doesNotThrow(() => gateOf({}, { cacheName: 'media', origin: { cache: { token: everything, baseUrl: emu.url }, cacheName: 'media' } }));
  } finally {
    await emu.close?.();
  }
});
