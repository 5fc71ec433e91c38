// The test media (tests/tools/make-media.mjs, issue 16 point 4) checked from outside: ffprobe
// says what each rendition is (codec, size, duration, keyframes, segment timing), m3u8-parser
// reads the playlists, fast-xml-parser the MPD, and Debian's Chromium says it can play them.
// What is expected is written here, not taken from the maker: an H.264 ladder of 854x480,
// 1920x1080 and 3840x2160 in folders named 480p, 1080p and 2160p, AAC stereo in audio_aac,
// WebVTT in subs_en, 20 s in 4 s segments, and no URI that does not resolve to a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './helpers.mjs';
import { makeMedia } from '../tools/make-media.mjs';

const LADDER = [
  { name: '480p', width: 854, height: 480 },
  { name: '1080p', width: 1920, height: 1080 },
  { name: '2160p', width: 3840, height: 2160 },
];
const AUDIO = 'audio_aac';
const SUBS = 'subs_en';
const SECONDS = 20;
const SEGMENTS = 5;

function ffprobe(input, entries) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-of', 'json', ...entries, '-i', input], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out);
}
const concat = (dir, files) => `concat:${files.map((f) => path.join(dir, f)).join('|')}`;

function parseM3u8(file) {
  const parser = new M3u8Parser();
  parser.push(readFileSync(file, 'utf8'));
  parser.end();
  return parser.manifest;
}

/** A relative URI of `from` resolved to a path under `root`; fails on anything else. */
function resolveUri(root, from, uri) {
  assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('/'), `${path.relative(root, from)}: URI ${uri} is not relative`);
  const target = path.resolve(path.dirname(from), decodeURIComponent(uri));
  assert.ok(target.startsWith(root + path.sep), `${path.relative(root, from)}: URI ${uri} leaves the title`);
  assert.ok(existsSync(target) && statSync(target).isFile(), `${path.relative(root, from)}: URI ${uri} names no file`);
  return target;
}

function isoSeconds(d) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(d);
  assert.ok(m, `an ISO 8601 duration: ${d}`);
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0);
}

test('the test media: an H.264/AAC/WebVTT ladder as HLS and DASH, checked with ffprobe, m3u8-parser, fast-xml-parser and Chromium', async (t) => {
  const media = await makeMedia();
  const root = path.join(media.dir, media.title);
  assert.equal(media.title, 'demo');
  assert.equal(media.master, 'demo/playlist.m3u8');
  assert.equal(media.mpd, 'demo/manifest.mpd');
  const referenced = new Set();
  let walked = 0; // the manifest checks that filled `referenced` to the end
  const probed = {}; // folder -> what ffprobe says

  await t.test('ffprobe: each rendition is what its folder says, 20 s, 5 segments each starting on a keyframe', () => {
    for (const r of [...LADDER, { name: AUDIO }]) {
      const dir = path.join(root, r.name);
      const segs = Array.from({ length: SEGMENTS }, (_, i) => `seg-${i + 1}.m4s`);
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.m4s')).sort(), [...segs].sort(), `${r.name}: the segment files`);
      const whole = ffprobe(concat(dir, ['init.mp4', ...segs]), ['-show_streams', '-show_format']);
      assert.equal(whole.streams.length, 1, `${r.name}: one stream`);
      const s = whole.streams[0];
      assert.ok(Math.abs(Number(whole.format.duration) - SECONDS) < 0.1, `${r.name}: duration ${whole.format.duration}`);
      if (r.width) {
        assert.equal(s.codec_name, 'h264', `${r.name}: codec`);
        assert.equal(s.width, r.width, `${r.name}: width`);
        assert.equal(s.height, r.height, `${r.name}: height`);
        assert.equal(s.pix_fmt, 'yuv420p', `${r.name}: pixel format`);
      } else {
        assert.equal(s.codec_name, 'aac', `${r.name}: codec`);
        assert.equal(s.profile, 'LC', `${r.name}: profile`);
        assert.equal(s.channels, 2, `${r.name}: channels`);
      }
      // Each segment alone (after the init segment): where it starts, how long, a keyframe first.
      const timing = segs.map((seg) => {
        const { packets } = ffprobe(concat(dir, ['init.mp4', seg]), ['-show_entries', 'packet=pts_time,duration_time,flags']);
        assert.ok(packets.length > 0, `${r.name}/${seg}: packets`);
        if (r.width) assert.match(packets[0].flags, /K/, `${r.name}/${seg}: starts with a keyframe`);
        const start = Number(packets[0].pts_time);
        // (AAC's priming packet, cut by the edit list, has no duration: it still starts the segment.)
        const end = Math.max(...packets.map((p) => Number(p.pts_time) + Number(p.duration_time)).filter(Number.isFinite));
        return { start, duration: end - start };
      });
      if (r.width) timing.forEach((x, i) => assert.ok(Math.abs(x.start - 4 * i) < 0.001, `${r.name}/seg-${i + 1}: starts at ${x.start}, expected ${4 * i}`));
      probed[r.name] = { stream: s, timing };
    }
    const subs = ffprobe(path.join(root, SUBS, 'subs.vtt'), ['-show_streams', '-show_entries', 'packet=pts_time,duration_time']);
    assert.equal(subs.streams[0].codec_name, 'webvtt');
    assert.ok(subs.packets.length >= 5, 'subtitle cues');
    const last = subs.packets.at(-1);
    assert.ok(Math.abs(Number(last.pts_time) + Number(last.duration_time) - SECONDS) < 0.01, 'the cues run to the end');
    probed[SUBS] = { cues: subs.packets.map((p) => [Number(p.pts_time), Number(p.duration_time)]) };
  });

  await t.test('HLS: the master lists exactly the ladder with ffprobe\'s sizes and codecs, an audio group and subtitles; every URI resolves', () => {
    const masterFile = path.join(media.dir, media.master);
    referenced.add(masterFile);
    const master = parseM3u8(masterFile);
    assert.deepEqual(master.playlists.map((p) => p.uri), LADDER.map((r) => `${r.name}/index.m3u8`), 'the variants, lowest first');
    for (const [i, p] of master.playlists.entries()) {
      const r = LADDER[i];
      const s = probed[r.name].stream;
      assert.deepEqual(p.attributes.RESOLUTION, { width: s.width, height: s.height }, `${r.name}: RESOLUTION is ffprobe's`);
      // avc1.PPCCLL: High profile (0x64), no constraint flags, the level ffprobe reports.
      assert.equal(s.profile, 'High', `${r.name}: profile`);
      const avc = `avc1.6400${s.level.toString(16).padStart(2, '0')}`;
      assert.deepEqual(p.attributes.CODECS.split(','), [avc, 'mp4a.40.2'], `${r.name}: CODECS`);
      assert.equal(p.attributes.AUDIO, 'aud');
      assert.equal(p.attributes.SUBTITLES, 'subs');
      assert.ok(p.attributes.BANDWIDTH > 0);
    }
    const audio = Object.values(master.mediaGroups.AUDIO.aud ?? {});
    assert.equal(audio.length, 1, 'one audio rendition in group aud');
    assert.equal(audio[0].uri, `${AUDIO}/index.m3u8`);
    assert.equal(audio[0].language, 'en');
    const subs = Object.values(master.mediaGroups.SUBTITLES.subs ?? {});
    assert.equal(subs.length, 1, 'one subtitle rendition in group subs');
    assert.equal(subs[0].uri, `${SUBS}/index.m3u8`);

    const peak = (folder, playlist) => Math.max(...playlist.segments.map((seg) => (statSync(path.join(root, folder, seg.uri)).size * 8) / seg.duration));
    const audioPlaylist = parseM3u8(resolveUri(root, masterFile, audio[0].uri));
    for (const uri of [...master.playlists.map((p) => p.uri), audio[0].uri, subs[0].uri]) {
      const file = resolveUri(root, masterFile, uri);
      referenced.add(file);
      const folder = path.basename(path.dirname(file));
      const playlist = parseM3u8(file);
      assert.ok(playlist.endList, `${uri}: VOD (ENDLIST)`);
      assert.equal(playlist.segments.length, SEGMENTS, `${uri}: segments`);
      const total = playlist.segments.reduce((n, s) => n + s.duration, 0);
      assert.ok(Math.abs(total - SECONDS) < 0.05, `${uri}: ${total} s`);
      for (const [i, seg] of playlist.segments.entries()) {
        referenced.add(resolveUri(root, file, seg.uri));
        if (seg.map) referenced.add(resolveUri(root, file, seg.map.uri));
        assert.ok(Math.round(seg.duration) <= playlist.targetDuration, `${uri}: EXTINF within the target duration`);
        const probe = probed[folder].timing?.[i];
        // Audio within one AAC frame: ffprobe gives the last packet a whole frame's duration
        // where the fMP4 gives it only the samples left (the track ends at 20 s exactly).
        const tolerance = folder === AUDIO ? 1024 / 48000 + 0.001 : 0.002;
        if (probe) assert.ok(Math.abs(probe.duration - seg.duration) < tolerance, `${uri} segment ${i + 1}: EXTINF ${seg.duration}, ffprobe ${probe.duration}`);
      }
      if (folder !== SUBS) assert.ok(playlist.segments[0].map, `${uri}: an EXT-X-MAP (fMP4)`);
      const variant = master.playlists.find((p) => p.uri === uri);
      if (variant) {
        assert.ok(variant.attributes.BANDWIDTH >= Math.floor(peak(folder, playlist) + peak(AUDIO, audioPlaylist)), `${uri}: BANDWIDTH covers the peak segment bitrate`);
      }
    }
    // The subtitle segments hold the whole track's cues, each within its segment.
    const subsPlaylist = parseM3u8(path.join(root, SUBS, 'index.m3u8'));
    const cues = [];
    let at = 0;
    for (const seg of subsPlaylist.segments) {
      const { packets } = ffprobe(path.join(root, SUBS, seg.uri), ['-show_entries', 'packet=pts_time,duration_time']);
      for (const p of packets) {
        const start = Number(p.pts_time);
        assert.ok(start >= at - 0.001 && start < at + seg.duration, `${SUBS}/${seg.uri}: cue at ${start} outside ${at}..${at + seg.duration}`);
        cues.push([start, Number(p.duration_time)]);
      }
      at += seg.duration;
    }
    assert.deepEqual(cues, probed[SUBS].cues, 'the HLS subtitle segments are the DASH subtitle file cut up');
    walked++;
  });

  await t.test('DASH: the MPD is well formed, has the same ladder, audio and WebVTT, and its SegmentTemplate URLs resolve', () => {
    const mpdFile = path.join(media.dir, media.mpd);
    referenced.add(mpdFile);
    const text = readFileSync(mpdFile, 'utf8');
    assert.equal(XMLValidator.validate(text), true, 'well-formed XML');
    const isArray = (n) => ['Period', 'AdaptationSet', 'Representation', 'BaseURL'].includes(n);
    const { MPD } = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray }).parse(text);
    assert.equal(MPD.type, 'static');
    const total = isoSeconds(MPD.mediaPresentationDuration);
    assert.ok(Math.abs(total - SECONDS) < 0.1, `mediaPresentationDuration ${MPD.mediaPresentationDuration}`);
    assert.equal(MPD.Period.length, 1);
    const sets = MPD.Period[0].AdaptationSet;
    const byType = (type) => sets.filter((s) => s.contentType === type);
    assert.deepEqual(sets.map((s) => s.contentType).sort(), ['audio', 'text', 'video']);

    const master = parseM3u8(path.join(media.dir, media.master));
    const [video] = byType('video');
    assert.deepEqual(video.Representation.map((r) => r.id), LADDER.map((r) => r.name), 'the ladder, lowest first, named as its folders');
    for (const rep of video.Representation) {
      const s = probed[rep.id].stream;
      assert.equal(Number(rep.width), s.width, `${rep.id}: width is ffprobe's`);
      assert.equal(Number(rep.height), s.height, `${rep.id}: height is ffprobe's`);
      const variant = master.playlists.find((p) => p.uri === `${rep.id}/index.m3u8`);
      assert.equal(rep.codecs, variant.attributes.CODECS.split(',')[0], `${rep.id}: the codec the master names`);
    }
    const [audio] = byType('audio');
    assert.deepEqual(audio.Representation.map((r) => [r.id, r.codecs]), [[AUDIO, 'mp4a.40.2']]);
    const [textSet] = byType('text');
    assert.equal(textSet.mimeType, 'text/vtt');
    assert.equal(textSet.lang, 'en');
    assert.deepEqual(textSet.Representation.map((r) => r.BaseURL), [[`${SUBS}/subs.vtt`]]);
    referenced.add(resolveUri(root, mpdFile, textSet.Representation[0].BaseURL[0]));

    for (const rep of [...video.Representation, ...audio.Representation]) {
      const tpl = rep.SegmentTemplate ?? video.SegmentTemplate;
      const expand = (pattern, number) => pattern.replaceAll('$RepresentationID$', rep.id).replace(/\$Number(?:%0(\d+)d)?\$/g, (_, w) => String(number).padStart(Number(w ?? 0), '0'));
      referenced.add(resolveUri(root, mpdFile, expand(tpl.initialization)));
      const count = Math.ceil(total / (Number(tpl.duration) / Number(tpl.timescale)) - 1e-9);
      assert.equal(count, SEGMENTS, `${rep.id}: segments by the template`);
      const first = Number(tpl.startNumber ?? 1);
      for (let n = first; n < first + count; n++) referenced.add(resolveUri(root, mpdFile, expand(tpl.media, n)));
    }
    walked++;
  });

  await t.test('every file of the title is referenced by the HLS or the DASH manifests (none left over)', (t2) => {
    if (walked !== 2) return t2.skip('a manifest check above failed before walking every URI');
    const all = [];
    const walk = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk : (p) => all.push(p))(path.join(dir, e.name));
    };
    walk(root);
    assert.deepEqual(all.filter((f) => !referenced.has(f)).map((f) => path.relative(root, f)), []);
    assert.equal(all.length, media.files.length, 'makeMedia lists every file');
  });

  await t.test('Debian\'s Chromium supports the codecs (MediaSource.isTypeSupported), plays 480p for a second and decodes the first frame of each rendition', async (t2) => {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>media</title>');
        return;
      }
      const file = path.resolve(media.dir, `.${decodeURIComponent(url.pathname)}`);
      if (!file.startsWith(root + path.sep) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    t2.after(() => server.close());
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'], timeout: 30_000 });
    t2.after(() => browser.close());
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);

    const master = parseM3u8(path.join(media.dir, media.master));
    const types = [...new Set(master.playlists.flatMap((p) => p.attributes.CODECS.split(',')))]
      .map((c) => `${c.startsWith('mp4a') ? 'audio' : 'video'}/mp4; codecs="${c}"`);
    const supported = await page.evaluate((list) => Object.fromEntries(list.map((ty) => [ty, MediaSource.isTypeSupported(ty)])), types);
    t2.diagnostic(`isTypeSupported: ${JSON.stringify(supported)}`);
    assert.deepEqual(Object.values(supported), types.map(() => true), JSON.stringify(supported));

    const play = (spec) => page.evaluate(async ({ tracks, playSeconds }) => {
      const video = document.createElement('video');
      video.muted = true;
      document.body.append(video);
      const source = new MediaSource();
      video.src = URL.createObjectURL(source);
      await new Promise((r) => source.addEventListener('sourceopen', r, { once: true }));
      const append = (buffer, data) => new Promise((resolve, reject) => {
        buffer.addEventListener('updateend', resolve, { once: true });
        buffer.addEventListener('error', () => reject(new Error('appendBuffer failed')), { once: true });
        buffer.appendBuffer(data);
      });
      // Every SourceBuffer before the first append: Chromium takes no new one after an init segment.
      const buffers = tracks.map(({ type }) => source.addSourceBuffer(type));
      for (const [i, { urls }] of tracks.entries()) {
        for (const url of urls) await append(buffers[i], await (await fetch(url)).arrayBuffer());
      }
      await new Promise((resolve, reject) => {
        if (video.readyState >= 2) resolve();
        video.addEventListener('loadeddata', resolve, { once: true });
        video.addEventListener('error', () => reject(new Error(video.error?.message ?? 'media error')), { once: true });
      });
      let played = 0;
      if (playSeconds) {
        await video.play();
        const began = performance.now();
        while (video.currentTime < playSeconds && performance.now() - began < 10_000) await new Promise((r) => setTimeout(r, 100));
        played = video.currentTime;
      }
      const out = { width: video.videoWidth, height: video.videoHeight, played, error: video.error?.message ?? null, frames: video.getVideoPlaybackQuality().totalVideoFrames };
      video.remove();
      return out;
    }, spec);

    const codecOf = (name) => master.playlists.find((p) => p.uri === `${name}/index.m3u8`).attributes.CODECS.split(',')[0];
    const urls = (name, n) => [`/demo/${name}/init.mp4`, ...Array.from({ length: n }, (_, i) => `/demo/${name}/seg-${i + 1}.m4s`)];
    const sd = await play({
      tracks: [
        { type: `video/mp4; codecs="${codecOf('480p')}"`, urls: urls('480p', 2) },
        { type: 'audio/mp4; codecs="mp4a.40.2"', urls: urls(AUDIO, 2) },
      ],
      playSeconds: 1.2,
    });
    t2.diagnostic(`480p with audio: ${JSON.stringify(sd)}`);
    assert.equal(sd.error, null);
    assert.deepEqual([sd.width, sd.height], [854, 480]);
    assert.ok(sd.played >= 1.2, `played ${sd.played} s`);
    for (const r of LADDER.slice(1)) {
      const got = await play({ tracks: [{ type: `video/mp4; codecs="${codecOf(r.name)}"`, urls: urls(r.name, 1) }], playSeconds: 0 });
      assert.equal(got.error, null, `${r.name}: ${got.error}`);
      assert.deepEqual([got.width, got.height], [r.width, r.height], `${r.name}: decoded size`);
    }
    assert.deepEqual(problems, []);
  });
});
