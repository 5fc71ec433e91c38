// playgate manifest benchmark (issue 14, point 9): filterManifest's throughput in MB/s, string in
// and string out through the package (the edge module, where filterManifest is today), against
// what a user would write instead, in the same process, interleaved:
//   HLS:  a hand-written JS line filter (split on newlines, RESOLUTION by regex, drop the tag and
//         its URI line when the shorter side is above the cap, join);
//   DASH: a filter on fast-xml-parser (parse with preserveOrder, drop the video Representations
//         above the cap, build the text again).
// Manifests of about 2 KB, 64 KB and 2 MB, each a different ladder per copy (ids and URIs vary).
// Cross-checked before timing: the baselines keep the same renditions playgate keeps.
//
//   node bench/manifests.mjs           # the package in <repo>/pkg; writes bench/results/manifests.md
import { writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG = path.resolve(process.env.PLAYGATE_PKG || path.join(ROOT, 'pkg'));
const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
const { XMLParser, XMLBuilder } = require('fast-xml-parser');
const { filterManifest } = await import(path.join(PKG, 'edge/node/index.mjs'));
const ROUNDS = Number(process.env.BENCH_ROUNDS || 15);
const SAMPLE_MS = Number(process.env.BENCH_SAMPLE_MS || 60);
const CAP = 'HD';
const HD_LINES = 1080;

// ---- inputs
const LADDER = [[640, 360], [960, 540], [1280, 720], [1920, 1080], [2560, 1440], [3840, 2160]];
function hls(bytes) {
  let out = '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n'
    + '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="English",LANGUAGE="en",DEFAULT=YES,URI="audio/en.m3u8"\n';
  for (let n = 0; out.length < bytes; n++) {
    const [w, h] = LADDER[n % LADDER.length];
    out += `#EXT-X-STREAM-INF:BANDWIDTH=${400000 + n * 1000},AVERAGE-BANDWIDTH=${380000 + n * 1000},CODECS="avc1.640028,mp4a.40.2",RESOLUTION=${w}x${h},FRAME-RATE=23.976,AUDIO="aac"\n`
      + `video/${n}/${h}p/index.m3u8\n`;
  }
  return out;
}
function dash(bytes) {
  let out = '<?xml version="1.0" encoding="UTF-8"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT10M" minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011">\n';
  for (let p = 0; out.length < bytes; p++) {
    out += `  <Period id="${p}" start="PT${p * 10}S">\n    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true">\n`
      + `      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"/>\n`
      + `      <SegmentTemplate timescale="90000" initialization="p${p}/$RepresentationID$/init.mp4" media="p${p}/$RepresentationID$/$Number$.m4s" duration="180000"/>\n`;
    LADDER.forEach(([w, h], i) => {
      out += `      <Representation id="v${p}-${i}" bandwidth="${(i + 1) * 800000 + p}" codecs="avc1.640028" width="${w}" height="${h}" frameRate="24"/>\n`;
    });
    out += '    </AdaptationSet>\n    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="en">\n'
      + `      <Representation id="a${p}" bandwidth="128000" codecs="mp4a.40.2" audioSamplingRate="48000"/>\n    </AdaptationSet>\n  </Period>\n`;
  }
  return `${out}</MPD>\n`;
}

// ---- what a user would write instead
function jsHls(text, maxLines) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('#EXT-X-STREAM-INF:')) {
      const m = /RESOLUTION=(\d+)x(\d+)/.exec(line);
      if (m && Math.min(+m[1], +m[2]) > maxLines) {
        i++; // and its URI
        continue;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}
const xmlOptions = { ignoreAttributes: false, preserveOrder: true, commentPropName: '#comment', attributeNamePrefix: '@_' };
const parser = new XMLParser(xmlOptions);
const builder = new XMLBuilder({ ...xmlOptions, format: false, suppressEmptyNode: true });
function jsDash(text, maxLines) {
  const doc = parser.parse(text);
  const walk = (nodes) => {
    for (const node of nodes) {
      if (node.AdaptationSet) {
        const attrs = node[':@'] ?? {};
        const video = attrs['@_contentType'] === 'video' || String(attrs['@_mimeType'] ?? '').startsWith('video/');
        if (video) {
          node.AdaptationSet = node.AdaptationSet.filter((child) => {
            if (!child.Representation) return true;
            const a = child[':@'] ?? {};
            return Math.min(+(a['@_width'] ?? attrs['@_width']), +(a['@_height'] ?? attrs['@_height'])) <= maxLines;
          });
        }
      }
      for (const key of Object.keys(node)) if (key !== ':@' && Array.isArray(node[key])) walk(node[key]);
    }
  };
  walk(doc);
  return builder.build(doc);
}

// ---- cross-check: the same renditions kept
const count = (text, re) => (text.match(re) ?? []).length;
const inputs = [];
for (const [label, size] of [['2 KB', 2048], ['64 KB', 65536], ['2 MB', 2 << 20]]) {
  inputs.push({ format: 'HLS', label, text: hls(size), baseline: (t) => jsHls(t, HD_LINES) });
  inputs.push({ format: 'DASH', label, text: dash(size), baseline: (t) => jsDash(t, HD_LINES) });
}
for (const input of inputs) {
  const ours = filterManifest(input.text, { maxQuality: CAP });
  const theirs = input.baseline(input.text);
  const re = input.format === 'HLS' ? /#EXT-X-STREAM-INF/g : /<Representation /g;
  if (count(ours.text, re) !== count(theirs, re)) {
    throw new Error(`${input.format} ${input.label}: playgate keeps ${count(ours.text, re)}, the baseline ${count(theirs, re)}`);
  }
  if (input.format === 'HLS' && ours.text !== theirs) throw new Error(`HLS ${input.label}: outputs differ`);
}

// ---- timing: interleaved rounds, MB/s of input
function rate(fn, text) {
  let n = 0;
  let sink = 0;
  const start = performance.now();
  const end = start + SAMPLE_MS;
  while (performance.now() < end) {
    sink += fn(text).length;
    n++;
  }
  if (sink < 0) throw new Error('unreachable');
  return (n * text.length) / 1e6 / ((performance.now() - start) / 1000);
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const rows = [];
for (const input of inputs) {
  const ours = (t) => filterManifest(t, { maxQuality: CAP }).text;
  for (let i = 0; i < 3; i++) { rate(ours, input.text); rate(input.baseline, input.text); }
  const r = { ours: [], theirs: [], ratio: [] };
  for (let round = 0; round < ROUNDS; round++) {
    // The order alternates between rounds.
    let a;
    let b;
    if (round % 2) {
      a = rate(ours, input.text);
      b = rate(input.baseline, input.text);
    } else {
      b = rate(input.baseline, input.text);
      a = rate(ours, input.text);
    }
    r.ours.push(a);
    r.theirs.push(b);
    r.ratio.push(a / b);
  }
  const target = input.format === 'HLS' ? 1 : 2;
  const ratio = median(r.ratio);
  rows.push({ ...input, ours: median(r.ours), theirs: median(r.theirs), ratio, target, pass: ratio >= target });
  console.log(`[manifests] ${input.format} ${input.label}: playgate ${median(r.ours).toFixed(1)} MB/s, baseline ${median(r.theirs).toFixed(1)} MB/s, ${ratio.toFixed(2)}x (target ${target}x)`);
}

const md = [
  '# playgate manifest bench',
  '',
  `${new Date().toISOString()} · Node ${process.version} · package \`${PKG}\` (edge module) · cap ${CAP}`,
  '',
  `Throughput in MB/s of input, string in and string out; medians of ${ROUNDS} interleaved rounds of ≥ ${SAMPLE_MS} ms per contender in one process; the ratio is the median of per-round ratios. Baselines: a hand-written JS line filter (HLS) and a filter on fast-xml-parser with preserveOrder (DASH), cross-checked to keep the same renditions (HLS: the same text).`,
  '',
  '| manifest | size | playgate MB/s | baseline MB/s | playgate x baseline | target | |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.format} | ${r.label} (${r.text.length.toLocaleString('en')} B) | ${r.ours.toFixed(1)} | ${r.theirs.toFixed(1)} | ${r.ratio.toFixed(2)}x | ≥ ${r.target}x | ${r.pass ? 'PASS' : 'MISS'} |`),
  '',
];
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'results', 'manifests.md'), md.join('\n'));
console.log(`[manifests] bench/results/manifests.md`);
