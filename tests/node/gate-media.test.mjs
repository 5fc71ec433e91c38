// The edge gate end to end, as issue 15 point 5 asks: the worker (tests/workerd/gate-worker.mjs,
// `createGate` from playgate/edge) bundled from the packed tarball as wrangler bundles it, in a
// real workerd, reading a real HLS/DASH ladder (tests/tools/make-media.mjs: ffmpeg's 480p, 1080p,
// 2160p, AAC audio, WebVTT) from the cache emulator as its origin (seed 000's MediaStore layout,
// keys /demo/...). A native-HLS client that sends no custom header (ffmpeg reading the master
// URL, standing in for Safari) plays the whole capped ladder on segment tokens alone, in the URI
// and in the cookie form; the emulator's own request log says which keys were read, so "never
// above the cap" is observed at the origin, not assumed. Also: the MPD through the gate, and the
// country from the real GeoLite2 database given to the worker as bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import { MMDB, SCOPE, demoFiles, emu, keysRead, playbackToken, startGate } from './media-stack.mjs';

/** `token` with one signature character changed (never the same text; still canonical base64url). */
const forged = (token) => token.slice(0, -3) + (token.at(-3) === 'A' ? 'B' : 'A') + token.slice(-2);

/**
 * ffmpeg reading `url` as a player with no hooks would (`maps`: every stream by default), copied
 * to nowhere. Asynchronous: the emulator answering the gate runs in this process.
 */
function ffmpegRead(url, maps = ['-map', '0']) {
  return new Promise((resolve) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-i', url, ...maps, '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

test.after(() => emu.close());

for (const via of ['uri', 'cookie']) {
  test(`a native-HLS client (ffmpeg, no custom header) plays the whole ladder capped at HD on segment tokens (via: '${via}')`, { timeout: 180_000 }, async (t) => {
    const gate = await startGate(t, { via });
    const token = await playbackToken({ maxQuality: 'HD' });
    const from = emu.requests.length;
    const run = await ffmpegRead(`${gate.base}/demo/playlist.m3u8?token=${token}`);
    assert.equal(run.status, 0, `ffmpeg failed:\n${run.stderr}\n${gate.output()}`);
    // (ffmpeg's own wording; its log also prints pointers such as 0x5640364..., never matched.)
    assert.doesNotMatch(run.stderr, /HTTP error 4\d\d|Server returned 4\d\d/, 'no refusal on the way');
    const read = new Set(keysRead(from));
    // (ffmpeg's HLS reader plays no subtitle rendition: the WebVTT segments are checked below.)
    const expected = demoFiles.filter((f) => /^(480p|1080p|audio_aac)\/(init\.mp4|seg-\d+\.m4s)$/.test(f));
    for (const f of expected) assert.ok(read.has(`/demo/${f}`), `ffmpeg read /demo/${f} through the gate; it read: ${[...read].join(' ')}`);
    const above = [...read].filter((k) => k.includes('/2160p/'));
    assert.deepEqual(above, [], 'nothing above the cap was read from the origin');
    // Only the master was asked for with the playback token: the rest carried segment tokens.
    assert.ok(read.has('/demo/playlist.m3u8'));
  });
}

test('segment tokens in workerd: refused for another title, above the cap, forged; the MPD capped and tokenised', { timeout: 120_000 }, async (t) => {
  const gate = await startGate(t, { via: 'uri' });
  const token = await playbackToken({ maxQuality: 'HD' });
  const master = await (await fetch(`${gate.base}/demo/playlist.m3u8?token=${token}`)).text();
  assert.ok(!master.includes('2160p'), master);
  const segmentToken = /segment_token=([^\s"&]+)/.exec(master)?.[1];
  assert.ok(segmentToken, master);
  const code = async (p) => {
    const res = await fetch(`${gate.base}${p}`);
    return res.status === 200 ? 200 : `${res.status} ${(await res.json()).code}`;
  };
  assert.equal(await code(`/demo/1080p/seg-1.m4s?segment_token=${segmentToken}`), 200);
  assert.equal(await code(`/demo/audio_aac/seg-1.m4s?segment_token=${segmentToken}`), 200);
  assert.equal(await code(`/demo/subs_en/seg-1.vtt?segment_token=${segmentToken}`), 200, 'subtitles (uncappedRenditions)');
  assert.equal(await code(`/demo/2160p/seg-1.m4s?segment_token=${segmentToken}`), '403 QUALITY_EXCEEDS_ENTITLEMENT');
  assert.equal(await code(`/other/1080p/seg-1.m4s?segment_token=${segmentToken}`), '403 SEGMENT_TOKEN_INVALID');
  assert.equal(await code(`/demo/1080p/seg-1.m4s?segment_token=${forged(segmentToken)}`), '403 SEGMENT_TOKEN_INVALID');
  assert.equal(await code('/demo/1080p/seg-1.m4s'), '401 TOKEN_MISSING');

  const mpdText = await (await fetch(`${gate.base}/demo/manifest.mpd?token=${token}`)).text();
  const mpd = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(mpdText).MPD;
  const sets = [mpd.Period].flat()[0].AdaptationSet;
  const video = [sets].flat().find((s) => s.contentType === 'video' || s.mimeType === 'video/mp4');
  const ids = [video.Representation].flat().map((r) => r.id);
  assert.deepEqual(ids, ['480p', '1080p'], 'the MPD capped at HD');
  const template = video.SegmentTemplate ?? [video.Representation].flat()[0].SegmentTemplate;
  assert.match(template.media, /segment_token=/, 'segment URLs carry the token');
  // ffmpeg reads the capped MPD through the gate on those tokens alone.
  const from = emu.requests.length;
  const run = await ffmpegRead(`${gate.base}/demo/manifest.mpd?token=${token}`, ['-map', '0:v', '-map', '0:a']);
  assert.equal(run.status, 0, run.stderr);
  const read = keysRead(from);
  assert.ok(read.includes('/demo/1080p/seg-5.m4s') && read.includes('/demo/480p/seg-5.m4s'), read.join(' '));
  assert.ok(!read.some((k) => k.includes('/2160p/')), 'nothing above the cap');
});

test('the country in workerd: from CF-IPCountry, else the real GeoLite2 database (a data binding) for CF-Connecting-IP', { timeout: 120_000 }, async (t) => {
  const gate = await startGate(t, { via: 'uri', mmdb: true });
  const { Reader } = createRequire(import.meta.url)('mmdb-lib');
  const truth = new Reader(readFileSync(MMDB));
  const find = (code) => {
    for (let i = 1; i < 200_000; i++) {
      const ip = `${(i * 7919) % 223 + 1}.${(i * 104729) % 256}.${(i * 31) % 256}.${i % 251 + 1}`;
      if (truth.get(ip)?.country_code === code) return ip;
    }
    throw new Error(`no ${code} address`);
  };
  const token = await playbackToken({ maxQuality: 'HD', country: 'DE' });
  const ask = async (headers) => {
    const res = await fetch(`${gate.base}/demo/480p/seg-1.m4s`, { headers: { authorization: `Bearer ${token}`, ...headers } });
    return res.status === 200 ? 200 : (await res.json()).code;
  };
  assert.equal(await ask({ 'CF-IPCountry': 'DE' }), 200);
  assert.equal(await ask({ 'CF-IPCountry': 'FR' }), 'COUNTRY_NOT_ALLOWED');
  assert.equal(await ask({ 'CF-IPCountry': 'XX', 'CF-Connecting-IP': find('DE') }), 'COUNTRY_UNKNOWN');
  assert.equal(await ask({ 'CF-Connecting-IP': find('DE') }), 200);
  assert.equal(await ask({ 'CF-Connecting-IP': find('US') }), 'COUNTRY_NOT_ALLOWED');
  assert.equal(await ask({ 'CF-Connecting-IP': '10.0.0.1' }), 'COUNTRY_UNKNOWN');
  assert.equal(await ask({}), 'COUNTRY_UNKNOWN');
});

test('the gate worker from the player module (createGate from playgate): at most 150 KB gzipped, script and wasm; the same answers in workerd, ES256, EdDSA and RS256 on WebCrypto', { timeout: 120_000 }, async (t) => {
  const small = await startGate(t, { via: 'uri', from: 'playgate' });
  const full = await startGate(t, { via: 'uri' });
  t.diagnostic(`gate worker from playgate: ${small.size.gzipped} B gzipped (${small.size.files.map((f) => `${f.file} ${f.gzipped}`).join(', ')}); from playgate/edge: ${full.size.gzipped} B`);
  assert.ok(small.size.gzipped <= 150 * 1024, `${small.size.gzipped} B gzipped`);
  for (const alg of ['ES256', 'EdDSA', 'RS256']) {
    const token = await playbackToken({ maxQuality: 'HD' }, SCOPE, alg);
    for (const gate of [small, full]) {
      const master = await fetch(`${gate.base}/demo/playlist.m3u8?token=${token}`);
      const text = await master.text();
      assert.equal(master.status, 200, `${alg}: ${text}`);
      assert.ok(text.includes('1080p/index.m3u8?segment_token=') && !text.includes('2160p'), text);
      const seg = await fetch(`${gate.base}/demo/2160p/seg-1.m4s`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await seg.json()).code, 'QUALITY_EXCEEDS_ENTITLEMENT');
    }
  }
  const res = await fetch(`${small.base}/demo/2160p/seg-1.m4s`, { headers: { authorization: `Bearer ${forged(await playbackToken({ maxQuality: 'UHD2' }))}` } });
  assert.equal((await res.json()).code, 'BAD_SIGNATURE');
});
