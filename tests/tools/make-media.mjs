#!/usr/bin/env node
// Test media for the edge gate, the player guards and the demo (issues 15, 16, 17), made with
// Debian's ffmpeg at test time and never committed:
//
//   node tests/tools/make-media.mjs [outDir]        (default <repo>/target/media, ignored by git)
//   import { makeMedia } from '../tools/make-media.mjs'; const media = await makeMedia(outDir);
//
// One title, `demo`, in seed 000's MediaStore layout `/{content}/{rendition}/{file}`:
//
//   demo/playlist.m3u8            HLS master: the video ladder, an AUDIO group, a SUBTITLES group
//   demo/manifest.mpd             DASH: the same ladder, audio and subtitles, SegmentTemplate
//   demo/480p/  demo/1080p/  demo/2160p/   H.264 video, 854x480, 1920x1080, 3840x2160 (16:9)
//   demo/audio_aac/               AAC-LC stereo, 48 kHz
//       each: index.m3u8 (HLS media playlist), init.mp4, seg-1.m4s ... seg-5.m4s (fMP4, 4 s)
//   demo/subs_en/                 WebVTT: index.m3u8 + seg-1.vtt ... seg-5.vtt (HLS, 4 s each)
//                                 and subs.vtt (the whole track, DASH's one file)
//
// HLS and DASH share the segments (ffmpeg's dash muxer writes them; the HLS media playlists are
// written here from the fMP4 boxes: EXTINF is each segment's own duration). A 20-second clip:
// testsrc2 with the rendition's name, frame number and time drawn on it (a screenshot says which
// rendition played), a 440 Hz tone beeping for audio, one subtitle cue every 2 seconds.
//
// Made only when missing or when this script changed: `.make-media.json` in outDir holds this
// file's hash, ffmpeg's version and the result, and a rerun with all files present returns it.
// A lock directory keeps two concurrent callers from building over each other.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

const SCRIPT = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(SCRIPT), '../..');
export const DEFAULT_DIR = path.join(REPO, 'target', 'media');

export const TITLE = 'demo';
export const SECONDS = 20;
export const SEGMENT_SECONDS = 4;
export const FPS = 15;
// The ladder: SD, HD and UHD1 by their folder names (the gate's renditionQuality), small bitrates.
export const LADDER = [
  { name: '480p', width: 854, height: 480, kbps: 250 },
  { name: '1080p', width: 1920, height: 1080, kbps: 500 },
  { name: '2160p', width: 3840, height: 2160, kbps: 1000 },
];
export const AUDIO = { name: 'audio_aac', kbps: 64, rate: 48000, channels: 2, lang: 'en' };
export const SUBS = { name: 'subs_en', lang: 'en', cueSeconds: 2 };
const PRESET = 'superfast'; // 'veryfast' costs 1.5x the CPU, 'fast' 3x, nearly all of it in the 2160p rendition
const STAMP = '.make-media.json';
const LOCK = '.make-media.lock';
const FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
];

/** Where ffmpeg is, or a thrown Error saying how to get it. */
function ffmpegVersion() {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const e = new Error("ffmpeg is missing: install Debian's ffmpeg (`./build.sh setup` does, as root: apt-get install -y ffmpeg)");
    e.code = 'FFMPEG_MISSING';
    throw e;
  }
  return r.stdout.split('\n')[0].trim();
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}:\n${stderr.slice(-4000)}`))));
  });
}

// ---- ISO BMFF: just enough to time the fMP4 segments --------------------------------------

function* boxes(buf, start = 0, end = buf.length) {
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) { size = Number(buf.readBigUInt64BE(at + 8)); header = 16; }
    else if (size === 0) size = end - at;
    if (size < header || at + size > end) throw new Error(`bad box ${type} at ${at}`);
    yield { type, start: at, body: at + header, end: at + size };
    at += size;
  }
}
const child = (buf, box, type) => [...boxes(buf, box.body, box.end)].find((b) => b.type === type);

/** The media timescale of the one track of an init segment. */
function initTimescale(buf) {
  const moov = [...boxes(buf)].find((b) => b.type === 'moov');
  const mdhd = child(buf, child(buf, child(buf, moov, 'trak'), 'mdia'), 'mdhd');
  const version = buf[mdhd.body];
  return buf.readUInt32BE(mdhd.body + (version === 1 ? 20 : 12));
}

/** { start, duration } in timescale units of a media segment: tfdt and the trun durations. */
function segmentTiming(buf) {
  let start = null;
  let duration = 0;
  for (const moof of boxes(buf)) {
    if (moof.type !== 'moof') continue;
    for (const traf of boxes(buf, moof.body, moof.end)) {
      if (traf.type !== 'traf') continue;
      const tfhd = child(buf, traf, 'tfhd');
      const tfhdFlags = buf.readUInt32BE(tfhd.body) & 0xffffff;
      let at = tfhd.body + 8; // version/flags, track_ID
      if (tfhdFlags & 0x01) at += 8;
      if (tfhdFlags & 0x02) at += 4;
      const defaultDuration = tfhdFlags & 0x08 ? buf.readUInt32BE(at) : null;
      const tfdt = child(buf, traf, 'tfdt');
      const t = buf[tfdt.body] === 1 ? Number(buf.readBigUInt64BE(tfdt.body + 4)) : buf.readUInt32BE(tfdt.body + 4);
      if (start === null) start = t;
      for (const trun of boxes(buf, traf.body, traf.end)) {
        if (trun.type !== 'trun') continue;
        const flags = buf.readUInt32BE(trun.body) & 0xffffff;
        const count = buf.readUInt32BE(trun.body + 4);
        let p = trun.body + 8;
        if (flags & 0x01) p += 4;
        if (flags & 0x04) p += 4;
        const per = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length * 4;
        if (!(flags & 0x100) && defaultDuration === null) throw new Error('trun without sample durations and no default');
        for (let i = 0; i < count; i++, p += per) duration += flags & 0x100 ? buf.readUInt32BE(p) : defaultDuration;
      }
    }
  }
  if (start === null) throw new Error('no moof/traf in segment');
  return { start, duration };
}

// ---- what is written ------------------------------------------------------------------------

function drawtext(r, font) {
  const face = font ? `fontfile=${font}` : 'font=Sans';
  const big = Math.round(r.height / 7);
  const small = Math.round(r.height / 14);
  return [
    `drawtext=${face}:text='${r.name}  ${r.width}x${r.height}':x=(w-tw)/2:y=h*0.12:fontsize=${big}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=${Math.round(big / 8)}`,
    `drawtext=${face}:text='frame %{frame_num}   %{pts\\:hms}':x=(w-tw)/2:y=h*0.78:fontsize=${small}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=${Math.round(small / 8)}`,
  ].join(',');
}

function ffmpegArgs(work) {
  const font = FONTS.find((f) => existsSync(f)) ?? null;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  for (const r of LADDER) {
    // setdar: 854x480 is not exactly 16:9, and the dash muxer wants one aspect ratio per set.
    args.push('-f', 'lavfi', '-i', `testsrc2=size=${r.width}x${r.height}:rate=${FPS}:duration=${SECONDS},setdar=16/9,${drawtext(r, font)}`);
  }
  // 1024 samples short of 20 s: with AAC's priming frame the last packet still starts before
  // 20 s, so the audio is 5 segments like the video (not a sixth of one 21 ms frame).
  const audioSeconds = SECONDS - 1024 / AUDIO.rate;
  args.push('-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=${AUDIO.rate}:duration=${audioSeconds}`);
  LADDER.forEach((_, i) => args.push('-map', `${i}:v`));
  args.push('-map', `${LADDER.length}:a`);
  const gop = FPS * SEGMENT_SECONDS;
  args.push('-c:v', 'libx264', '-preset', PRESET, '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-bf', '0', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0');
  LADDER.forEach((r, i) => args.push(`-b:v:${i}`, `${r.kbps}k`, `-maxrate:v:${i}`, `${r.kbps}k`, `-bufsize:v:${i}`, `${r.kbps * 2}k`));
  args.push('-c:a', 'aac', '-b:a', `${AUDIO.kbps}k`, '-ac', String(AUDIO.channels), '-map_metadata', '-1');
  args.push('-f', 'dash', '-seg_duration', String(SEGMENT_SECONDS), '-use_template', '1', '-use_timeline', '0',
    '-init_seg_name', '$RepresentationID$/init.mp4', '-media_seg_name', '$RepresentationID$/seg-$Number$.m4s',
    '-adaptation_sets', 'id=0,streams=v id=1,streams=a', path.join(work, 'manifest.mpd'));
  return args;
}

const XML = { ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, ignoreDeclaration: false, parseAttributeValue: false, parseTagValue: false, trimValues: true };
const name = (node) => Object.keys(node).find((k) => k !== ':@');
const kids = (node, tag) => node[name(node)].filter((n) => name(n) === tag);

/**
 * ffmpeg's MPD with the representations named as their folders (ids 0..3 -> 480p ... audio_aac:
 * the templates say `$RepresentationID$/...`), measured bandwidths, no bitstreamSwitching (each
 * rendition has its own init segment), the audio's language, and a WebVTT AdaptationSet.
 */
function rewriteMpd(text, ids, bandwidths) {
  const tree = new XMLParser(XML).parse(text);
  const mpd = tree.find((n) => name(n) === 'MPD');
  if (!mpd) throw new Error('ffmpeg wrote no MPD element');
  mpd.MPD = mpd.MPD.filter((n) => name(n) !== 'ServiceDescription'); // empty
  const info = kids(mpd, 'ProgramInformation')[0];
  if (info) info.ProgramInformation = [{ Title: [{ '#text': 'playgate test clip' }] }];
  const periods = kids(mpd, 'Period');
  if (periods.length !== 1) throw new Error(`expected one Period, ffmpeg wrote ${periods.length}`);
  const period = periods[0];
  const seen = new Set();
  for (const set of kids(period, 'AdaptationSet')) {
    const attrs = set[':@'];
    delete attrs.bitstreamSwitching;
    if (attrs.contentType === 'audio') attrs.lang = AUDIO.lang;
    for (const rep of kids(set, 'Representation')) {
      const a = rep[':@'];
      const to = ids.get(a.id);
      if (!to) throw new Error(`unexpected Representation id ${a.id}`);
      const r = LADDER.find((x) => x.name === to);
      if (r && (Number(a.width) !== r.width || Number(a.height) !== r.height)) throw new Error(`Representation ${a.id} is ${a.width}x${a.height}, expected ${to}`);
      a.id = to;
      a.bandwidth = String(bandwidths.get(to));
      seen.add(to);
    }
  }
  if (seen.size !== ids.size) throw new Error(`the MPD names ${[...seen]}, expected ${[...ids.values()]}`);
  period.Period.push({
    AdaptationSet: [
      { Role: [], ':@': { schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'subtitle' } },
      { Representation: [{ BaseURL: [{ '#text': `${SUBS.name}/subs.vtt` }] }], ':@': { id: SUBS.name, bandwidth: '256' } },
    ],
    ':@': { id: '2', contentType: 'text', mimeType: 'text/vtt', lang: SUBS.lang },
  });
  return new XMLBuilder({ ...XML, format: true, indentBy: '  ', suppressEmptyNode: true }).build(tree);
}

const vttTime = (s) => {
  const ms = Math.round(s * 1000);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}.${p(ms % 1000, 3)}`;
};

/** The cues, one every SUBS.cueSeconds; the whole track and the HLS segments of it. */
function subtitles() {
  const cues = [];
  for (let i = 0, t = 0; t < SECONDS; i++, t += SUBS.cueSeconds) {
    cues.push({ start: t, end: Math.min(t + SUBS.cueSeconds, SECONDS), text: `Subtitle ${i + 1} (${t}-${t + SUBS.cueSeconds} s)` });
  }
  const vtt = (list) => `WEBVTT\n\n${list.map((c) => `${vttTime(c.start)} --> ${vttTime(c.end)}\n${c.text}\n`).join('\n')}`;
  const segments = [];
  for (let t = 0; t < SECONDS; t += SEGMENT_SECONDS) {
    const d = Math.min(SEGMENT_SECONDS, SECONDS - t);
    segments.push({ duration: d, text: vtt(cues.filter((c) => c.start >= t && c.start < t + d)) });
  }
  return { whole: vtt(cues), segments };
}

function mediaPlaylist(segs, init) {
  const target = Math.max(...segs.map((s) => Math.round(s.duration)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:1', '#EXT-X-PLAYLIST-TYPE:VOD'];
  if (init) lines.push('#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-MAP:URI="${init}"`);
  for (const s of segs) lines.push(`#EXTINF:${s.duration.toFixed(6)},`, s.file);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

/** Builds the title in `work` (a fresh folder); returns the description makeMedia returns. */
async function build(work) {
  const ids = new Map([...LADDER.map((r, i) => [String(i), r.name]), [String(LADDER.length), AUDIO.name]]);
  for (const id of ids.keys()) await fs.mkdir(path.join(work, id)); // the dash muxer does not make them
  const began = process.hrtime.bigint();
  await run('ffmpeg', ffmpegArgs(work));
  const encodeSeconds = Number(process.hrtime.bigint() - began) / 1e9;
  for (const [id, to] of ids) await fs.rename(path.join(work, id), path.join(work, to));

  // The segments' durations and sizes, from the files.
  const tracks = new Map();
  for (const to of ids.values()) {
    const dir = path.join(work, to);
    const timescale = initTimescale(await fs.readFile(path.join(dir, 'init.mp4')));
    const files = (await fs.readdir(dir)).filter((f) => /^seg-\d+\.m4s$/.test(f)).sort((a, b) => parseInt(a.slice(4), 10) - parseInt(b.slice(4), 10));
    const segs = [];
    for (const [i, file] of files.entries()) {
      if (file !== `seg-${i + 1}.m4s`) throw new Error(`${to}: segments are not numbered from 1 without gaps: ${files}`);
      const buf = await fs.readFile(path.join(dir, file));
      const { duration } = segmentTiming(buf);
      segs.push({ file, duration: duration / timescale, bytes: buf.length });
    }
    const expected = Math.ceil(SECONDS / SEGMENT_SECONDS);
    if (segs.length !== expected) throw new Error(`${to}: ${segs.length} segments, expected ${expected}`);
    tracks.set(to, segs);
    await fs.writeFile(path.join(dir, 'index.m3u8'), mediaPlaylist(segs, 'init.mp4'));
  }
  const peak = (segs) => Math.ceil(Math.max(...segs.map((s) => (s.bytes * 8) / s.duration)));
  const average = (segs) => Math.ceil((segs.reduce((n, s) => n + s.bytes, 0) * 8) / segs.reduce((n, s) => n + s.duration, 0));
  const bandwidths = new Map([...tracks].map(([to, segs]) => [to, peak(segs)]));

  // Subtitles.
  const subsDir = path.join(work, SUBS.name);
  await fs.mkdir(subsDir);
  const subs = subtitles();
  await fs.writeFile(path.join(subsDir, 'subs.vtt'), subs.whole);
  const subSegs = [];
  for (const [i, s] of subs.segments.entries()) {
    const file = `seg-${i + 1}.vtt`;
    await fs.writeFile(path.join(subsDir, file), s.text);
    subSegs.push({ file, duration: s.duration });
  }
  await fs.writeFile(path.join(subsDir, 'index.m3u8'), mediaPlaylist(subSegs, null));

  // DASH, then the HLS master with the codecs ffmpeg put in the MPD.
  const mpdText = rewriteMpd(await fs.readFile(path.join(work, 'manifest.mpd'), 'utf8'), ids, bandwidths);
  await fs.writeFile(path.join(work, 'manifest.mpd'), mpdText);
  const codecs = new Map();
  for (const m of mpdText.matchAll(/<Representation id="([^"]+)"[^>]*?codecs="([^"]+)"/g)) codecs.set(m[1], m[2]);
  const audioSegs = tracks.get(AUDIO.name);
  const master = [
    '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="${AUDIO.lang}",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="${AUDIO.channels}",URI="${AUDIO.name}/index.m3u8"`,
    `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="${SUBS.lang}",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="${SUBS.name}/index.m3u8"`,
  ];
  const renditions = {};
  for (const r of LADDER) {
    const segs = tracks.get(r.name);
    const codec = codecs.get(r.name);
    master.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${peak(segs) + peak(audioSegs)},AVERAGE-BANDWIDTH=${average(segs) + average(audioSegs)},` +
        `RESOLUTION=${r.width}x${r.height},FRAME-RATE=${FPS.toFixed(3)},CODECS="${codec},${codecs.get(AUDIO.name)}",AUDIO="aud",SUBTITLES="subs",CLOSED-CAPTIONS=NONE`,
      `${r.name}/index.m3u8`,
    );
    renditions[r.name] = describe(r.name, segs, { kind: 'video', width: r.width, height: r.height, codecs: codec, bandwidth: bandwidths.get(r.name) });
  }
  master.push('');
  await fs.writeFile(path.join(work, 'playlist.m3u8'), master.join('\n'));
  renditions[AUDIO.name] = describe(AUDIO.name, audioSegs, { kind: 'audio', codecs: codecs.get(AUDIO.name), bandwidth: bandwidths.get(AUDIO.name) });
  renditions[SUBS.name] = { kind: 'subtitles', playlist: `${TITLE}/${SUBS.name}/index.m3u8`, file: `${TITLE}/${SUBS.name}/subs.vtt`, segments: subSegs.map((s) => `${TITLE}/${SUBS.name}/${s.file}`) };
  return { renditions, encodeSeconds };
}

function describe(folder, segs, extra) {
  return {
    ...extra,
    playlist: `${TITLE}/${folder}/index.m3u8`,
    init: `${TITLE}/${folder}/init.mp4`,
    segments: segs.map((s) => `${TITLE}/${folder}/${s.file}`),
    durations: segs.map((s) => s.duration),
  };
}

async function listFiles(dir, base = dir) {
  const out = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else out.push({ path: path.relative(base, p).split(path.sep).join('/'), bytes: (await fs.stat(p)).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The stamp's result when every file it lists is there with its size, else null. */
async function upToDate(outDir, hash) {
  try {
    const stamp = JSON.parse(await fs.readFile(path.join(outDir, STAMP), 'utf8'));
    if (stamp.scriptHash !== hash) return null;
    for (const f of stamp.files) {
      if ((await fs.stat(path.join(outDir, f.path))).size !== f.bytes) return null;
    }
    return stamp;
  } catch {
    return null;
  }
}

async function withLock(outDir, fn) {
  const lock = path.join(outDir, LOCK);
  for (let waited = 0; ; waited += 200) {
    try {
      await fs.mkdir(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const age = Date.now() - (await fs.stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 10 * 60_000) await fs.rm(lock, { recursive: true, force: true }); // a crashed maker's
      else if (waited > 5 * 60_000) throw new Error(`${lock} held for over 5 minutes`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

/**
 * Makes (or finds up to date) the title in `outDir`. Returns { dir, title, master, mpd,
 * renditions, files, totalBytes, encodeSeconds, fresh }: paths are relative to `dir` (POSIX
 * separators); renditions is keyed by folder (480p, 1080p, 2160p, audio_aac, subs_en).
 */
export async function makeMedia(outDir = DEFAULT_DIR) {
  const dir = path.resolve(outDir);
  const hash = createHash('sha256').update(readFileSync(SCRIPT)).digest('hex');
  const version = ffmpegVersion();
  await fs.mkdir(dir, { recursive: true });
  return withLock(dir, async () => {
    let stamp = await upToDate(dir, hash);
    let fresh = false;
    if (!stamp) {
      const work = await fs.mkdtemp(path.join(dir, '.work-'));
      try {
        const { renditions, encodeSeconds } = await build(work);
        await fs.rm(path.join(dir, STAMP), { force: true });
        await fs.rm(path.join(dir, TITLE), { recursive: true, force: true });
        await fs.rename(work, path.join(dir, TITLE));
        await fs.chmod(path.join(dir, TITLE), 0o755); // mkdtemp's 0700 would hide it from a server run as another user
        const files = (await listFiles(path.join(dir, TITLE))).map((f) => ({ ...f, path: `${TITLE}/${f.path}` }));
        stamp = { scriptHash: hash, ffmpeg: version, encodeSeconds, renditions, files };
        await fs.writeFile(path.join(dir, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
        fresh = true;
      } finally {
        await fs.rm(work, { recursive: true, force: true });
      }
    }
    return {
      dir,
      title: TITLE,
      master: `${TITLE}/playlist.m3u8`,
      mpd: `${TITLE}/manifest.mpd`,
      renditions: stamp.renditions,
      files: stamp.files.map((f) => f.path),
      totalBytes: stamp.files.reduce((n, f) => n + f.bytes, 0),
      encodeSeconds: stamp.encodeSeconds,
      fresh,
    };
  });
}

let invoked = false; // run as a script, not imported
try {
  invoked = Boolean(process.argv[1]) && realpathSync(process.argv[1]) === SCRIPT;
} catch {
  // argv[1] is not a file (node -e, a REPL): imported
}
if (invoked) {
  try {
    const began = Date.now();
    const media = await makeMedia(process.argv[2] ?? DEFAULT_DIR);
    const mb = (media.totalBytes / 1e6).toFixed(1);
    const how = media.fresh
      ? `made in ${((Date.now() - began) / 1000).toFixed(1)} s (ffmpeg ${media.encodeSeconds.toFixed(1)} s)`
      : `up to date (made by this script in ${media.encodeSeconds.toFixed(1)} s of ffmpeg)`;
    console.log(`${path.join(media.dir, TITLE)}: ${media.files.length} files, ${mb} MB, ${how}`);
    console.log(`  HLS  ${path.join(media.dir, media.master)}\n  DASH ${path.join(media.dir, media.mpd)}`);
  } catch (e) {
    console.error(`make-media: ${e.message}`);
    process.exit(1);
  }
}
