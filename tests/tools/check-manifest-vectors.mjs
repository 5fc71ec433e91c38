#!/usr/bin/env node
// Checks tests/vectors/manifests.json against independent parsers, so that the hand-written
// expectations of the manifest filter (issue 14) are not checked against playgate itself.
//
//   node tests/tools/check-manifest-vectors.mjs [path/to/manifests.json]
//
// Packages (exact versions in tests/package.json): m3u8-parser (Video.js's HLS parser) and
// fast-xml-parser (XML parser and validator). They resolve from tests/node_modules.
//
// For every case with `expect`:
//  - HLS: the input and expect.text are parsed with m3u8-parser. The expected output's variants
//    (EXT-X-STREAM-INF) and I-frame entries must be exactly the input's that pass the rules
//    (audio-only variants always; video with a RESOLUTION whose shorter side is within the cap;
//    video without RESOLUTION only when uncapped), in input order, attributes and URIs equal;
//    everything else the parser reports (EXT-X-MEDIA groups, version, segments, ...) must be
//    equal, except that under a cap the EXT-X-MEDIA TYPE=VIDEO groups (alternative video) that
//    no kept variant or I-frame entry names in its VIDEO attribute go (RFC 8216 section
//    4.3.4.2: a variant's RESOLUTION is that of all the video it names); kept/removed must match.
//  - DASH: the input and expect.text are parsed with fast-xml-parser (order kept, comments kept,
//    whitespace-only text trimmed). Removing from the input tree the video Representations above
//    the cap (size own or inherited from the AdaptationSet; video by contentType, mimeType or
//    codecs at either level), then the AdaptationSets left without a Representation, must give
//    exactly the expected tree; kept/removed must match; expect.text must be well-formed.
//  - Text: expect.text must be the input with whole lines removed (terminators included), and
//    every removed run must be what the vector file's description says may go: for HLS a variant
//    tag, the comment/blank lines after it and its URI line, or one I-frame line; for DASH
//    complete Representation/AdaptationSet elements.
//  - Idempotence: the same rules applied to expect.text remove nothing.
// For every case with `expectError`, the reason is re-derived: INVALID_ARGUMENT (maxQuality not
// one of null/SD/HD/UHD1/UHD2, or missing), INVALID_MANIFEST (not UTF-8 at that line, first line
// not #EXTM3U, variant tag without URI at that line, RESOLUTION not WxH at that line, XML not
// well formed at that element and line per the validator), NOTHING_PLAYABLE (the parser's view:
// video present and none within the cap, in the master or in the named Period).
// Exits non-zero on any failure.

import { checkVectors } from '../../www/vectors.js';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser as M3u8Parser } from 'm3u8-parser';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, '..', 'vectors', 'manifests.json');
const repoRoot = path.resolve(path.dirname(file), '..', '..');
const vectors = checkVectors(path.basename(file), JSON.parse(readFileSync(file, 'utf8')));

const LIMIT = { SD: 719, HD: 1080, UHD1: 2160, UHD2: Infinity };
const QUALITIES = new Set(['SD', 'HD', 'UHD1', 'UHD2']);
const VIDEO = /^(avc1|avc3|hvc1|hev1|dvh1|dvhe|dva1|dvav|vp08|vp09|vp8|vp9|av01|mp4v|vvc1|vvi1)(\.|$)/i;
const AUDIO_OR_TEXT = /^(mp4a|ac-3|ec-3|ac-4|opus|flac|alac|mhm1|mha1|dtsc|dtse|dtsh|dtsl|stpp|wvtt|tx3g|ttml|vtt)(\.|$)/i;

const failures = [];
let checked = 0;
const fail = (c, msg) => failures.push(`${c.name}: ${msg}`);

const within = (w, h, cap) => cap === null || Math.min(w, h) <= LIMIT[cap];
const codecList = (s) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
function hasVideoCodec(codecs, c) {
  for (const k of codecList(codecs)) {
    if (!VIDEO.test(k) && !AUDIO_OR_TEXT.test(k)) fail(c, `codec ${k} is neither known video nor audio/text: extend the checker`);
  }
  return codecList(codecs).some((k) => VIDEO.test(k));
}

function inputBytes(c) {
  if ('inputBase64' in c) return new Uint8Array(Buffer.from(c.inputBase64, 'base64'));
  return new TextEncoder().encode(c.input);
}
function decodeStrict(bytes) {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}
// Lines with their terminators; the last may have none.
function lines(text) {
  const out = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl === -1 ? text.length : nl + 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}
const bare = (line) => line.replace(/\r?\n$/, '');
// Greedy alignment: the removed[] flags of input lines, or null if output is not a line subsequence.
function align(inLines, outLines) {
  const removed = [];
  let j = 0;
  for (let i = 0; i < inLines.length; i++) {
    if (j < outLines.length && inLines[i] === outLines[j]) {
      removed.push(false);
      j++;
    } else removed.push(true);
  }
  return j === outLines.length ? removed : null;
}

// ------------------------------------------------------------------------------------------ HLS
function parseHls(text) {
  const p = new M3u8Parser();
  p.push(text.replace(/^\ufeff/, ''));
  p.end();
  return p.manifest;
}
const isVideoVariant = (attrs, c) => attrs.CODECS === undefined || hasVideoCodec(attrs.CODECS, c);
function keepHls(attrs, cap, c) {
  if (!isVideoVariant(attrs, c)) return true;
  if (cap === null) return true;
  const r = attrs.RESOLUTION;
  if (!r) return false;
  return within(r.width, r.height, cap);
}
function filterHlsModel(m, cap, c) {
  const playlists = m.playlists ?? [];
  const iframes = m.iFramePlaylists ?? [];
  const keptP = playlists.filter((p) => keepHls(p.attributes, cap, c));
  const keptI = iframes.filter((p) => keepHls(p.attributes, cap, c));
  const video = playlists.filter((p) => isVideoVariant(p.attributes, c));
  const keptVideo = keptP.filter((p) => isVideoVariant(p.attributes, c));
  const videoGroups = new Set([...keptP, ...keptI].map((p) => p.attributes.VIDEO).filter((g) => g !== undefined));
  return { keptP, keptI, kept: keptVideo.length, removed: video.length - keptVideo.length, hadVideo: video.length > 0, videoGroups };
}
/** The model without its playlists; under a cap, only the VIDEO media groups that `kept` names. */
function restKept(m, cap, kept) {
  const others = rest(m);
  if (cap === null || others.mediaGroups?.VIDEO === undefined) return others;
  const VIDEO = Object.fromEntries(Object.entries(others.mediaGroups.VIDEO).filter(([group]) => kept.has(group)));
  return { ...others, mediaGroups: { ...others.mediaGroups, VIDEO } };
}
/** The GROUP-ID of an `EXT-X-MEDIA` line of TYPE=VIDEO, else null. */
const videoMediaGroup = (line) => (/^#EXT-X-MEDIA:(?:.*,)?TYPE=VIDEO(?:,|$)/.test(line) ? /GROUP-ID="([^"]*)"/.exec(line)?.[1] ?? null : null);
const strip = (list) => list.map((p) => ({ uri: p.uri, attributes: p.attributes }));
const rest = (m) => {
  const { playlists, iFramePlaylists, ...others } = m;
  return others;
};

function checkHlsExpect(c, text) {
  const cap = c.maxQuality;
  const inM = parseHls(text);
  const outM = parseHls(c.expect.text);
  const f = filterHlsModel(inM, cap, c);
  if (JSON.stringify(strip(outM.playlists ?? [])) !== JSON.stringify(strip(f.keptP))) fail(c, 'variants differ from the input filtered by the rules');
  if (JSON.stringify(strip(outM.iFramePlaylists ?? [])) !== JSON.stringify(strip(f.keptI))) fail(c, 'I-frame entries differ from the input filtered by the rules');
  if (JSON.stringify(rest(outM)) !== JSON.stringify(restKept(inM, cap, f.videoGroups))) fail(c, 'non-variant content (EXT-X-MEDIA, version, segments, ...) differs');
  if (c.expect.kept !== f.kept || c.expect.removed !== f.removed) fail(c, `kept/removed ${c.expect.kept}/${c.expect.removed}, parser says ${f.kept}/${f.removed}`);
  if (f.hadVideo && f.kept === 0) fail(c, 'nothing playable left: should be NOTHING_PLAYABLE');
  // Text: whole lines removed, and only the allowed ones.
  const inL = lines(text);
  const removed = align(inL, lines(c.expect.text));
  if (!removed) return fail(c, 'expect.text is not the input with whole lines removed');
  let pending = false;
  for (let i = 0; i < inL.length; i++) {
    const l = bare(inL[i]).replace(/^\ufeff/, '');
    if (!removed[i]) {
      if (pending) fail(c, `line ${i + 1} kept inside a removed variant`);
      continue;
    }
    if (pending) {
      if (l === '' || (l.startsWith('#') && !l.startsWith('#EXT'))) continue;
      if (l.startsWith('#')) fail(c, `line ${i + 1}: tag removed inside a variant`);
      pending = false;
    } else if (l.startsWith('#EXT-X-STREAM-INF:')) pending = true;
    else if (cap !== null && videoMediaGroup(l) !== null && !f.videoGroups.has(videoMediaGroup(l))) continue;
    else if (!l.startsWith('#EXT-X-I-FRAME-STREAM-INF:')) fail(c, `line ${i + 1} removed but it is no variant/I-frame line: ${l}`);
  }
  if (pending) fail(c, 'a removed variant tag has no removed URI line');
  // Idempotence.
  const again = filterHlsModel(outM, cap, c);
  if (again.removed !== 0 || again.keptI.length !== (outM.iFramePlaylists ?? []).length || again.kept !== c.expect.kept) fail(c, 'filtering expect.text again would change it');
}

function hlsTagLines(text) {
  return lines(text).map((l, i) => ({ n: i + 1, l: bare(l).replace(/^\ufeff/, '') }));
}
function checkHlsError(c, bytes) {
  const { code, where } = c.expectError;
  let text;
  try {
    text = decodeStrict(bytes);
  } catch {
    if (code !== 'INVALID_MANIFEST') return fail(c, 'input is not UTF-8 but the code is not INVALID_MANIFEST');
    // line of the first invalid byte: decode growing prefixes
    let ok = 0;
    for (let n = 1; n <= bytes.length; n++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
        ok = n;
      } catch {
        break;
      }
    }
    const line = bytes.subarray(0, ok).filter((b) => b === 0x0a).length + 1;
    if (where !== line) fail(c, `first invalid byte is on line ${line}, where says ${where}`);
    return;
  }
  const ls = hlsTagLines(text);
  if (code === 'INVALID_MANIFEST') {
    if (ls.length === 0 || ls[0].l.trimEnd() !== '#EXTM3U') {
      if (where !== 1) fail(c, `first line is not #EXTM3U, where should be 1, is ${where}`);
      return;
    }
    for (let k = 0; k < ls.length; k++) {
      const { n, l } = ls[k];
      if (!l.startsWith('#EXT-X-STREAM-INF:') && !l.startsWith('#EXT-X-I-FRAME-STREAM-INF:')) continue;
      const res = /(?:^|[:,])RESOLUTION=([^,]*)/.exec(l);
      if (res && !/^\d+x\d+$/.test(res[1])) {
        const m = parseHls(text);
        const seen = [...(m.playlists ?? []), ...(m.iFramePlaylists ?? [])].some((p) => p.attributes.RESOLUTION && !(Number.isFinite(p.attributes.RESOLUTION.width) && Number.isFinite(p.attributes.RESOLUTION.height)));
        if (!seen) fail(c, 'm3u8-parser does not see a broken RESOLUTION');
        if (where !== n) fail(c, `bad RESOLUTION on line ${n}, where says ${where}`);
        return;
      }
      if (l.startsWith('#EXT-X-STREAM-INF:')) {
        let u = k + 1;
        while (u < ls.length && (ls[u].l === '' || (ls[u].l.startsWith('#') && !ls[u].l.startsWith('#EXT')))) u++;
        if (u >= ls.length || ls[u].l.startsWith('#')) {
          if (where !== n) fail(c, `variant without URI on line ${n}, where says ${where}`);
          return;
        }
      }
    }
    return fail(c, 'no malformation found');
  }
  if (code === 'NOTHING_PLAYABLE') {
    const f = filterHlsModel(parseHls(text), c.maxQuality, c);
    if (!(f.hadVideo && f.kept === 0)) fail(c, `parser says ${f.kept} video variants remain`);
    return;
  }
  fail(c, `unexpected code ${code}`);
}

// ------------------------------------------------------------------------------------------ DASH
const xml = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '@_', commentPropName: '#comment', parseAttributeValue: false, parseTagValue: false, trimValues: true, processEntities: false });
const tagOf = (node) => Object.keys(node).find((k) => k !== ':@');
const attrs = (node) => node[':@'] ?? {};
const kids = (node) => node[tagOf(node)];

function filterDashTree(tree, cap, c) {
  const t = structuredClone(tree);
  let kept = 0;
  let removed = 0;
  const periods = [];
  const mpd = t.find((n) => tagOf(n) === 'MPD');
  if (!mpd) {
    fail(c, 'no MPD root');
    return { tree: t, kept, removed, periods };
  }
  for (const period of kids(mpd).filter((n) => tagOf(n) === 'Period')) {
    let hadVideo = false;
    let videoLeft = 0;
    const pk = kids(period);
    for (let a = pk.length - 1; a >= 0; a--) {
      const as = pk[a];
      if (tagOf(as) !== 'AdaptationSet') continue;
      const A = attrs(as);
      const ak = kids(as);
      const repsBefore = ak.filter((n) => tagOf(n) === 'Representation').length;
      for (let r = ak.length - 1; r >= 0; r--) {
        if (tagOf(ak[r]) !== 'Representation') continue;
        const R = attrs(ak[r]);
        const contentType = R['@_contentType'] ?? A['@_contentType'];
        const mime = R['@_mimeType'] ?? A['@_mimeType'];
        const codecs = R['@_codecs'] ?? A['@_codecs'];
        const video = contentType === 'video' || (mime ?? '').startsWith('video/') || hasVideoCodec(codecs, c);
        if (!video) continue;
        hadVideo = true;
        const w = R['@_width'] ?? A['@_width'];
        const h = R['@_height'] ?? A['@_height'];
        const keep = cap === null || (w !== undefined && h !== undefined && within(Number(w), Number(h), cap));
        if (keep) {
          kept++;
          videoLeft++;
        } else {
          removed++;
          ak.splice(r, 1);
        }
      }
      if (repsBefore > 0 && ak.filter((n) => tagOf(n) === 'Representation').length === 0) pk.splice(a, 1);
    }
    periods.push({ hadVideo, videoLeft });
  }
  return { tree: t, kept, removed, periods };
}

// 1-based line of the start tag of each element named `name`, comments blanked out.
function startTagLines(text, name) {
  const blank = text.replace(/<!--[\s\S]*?-->/g, (m) => m.replace(/[^\n]/g, ' '));
  const out = [];
  const re = new RegExp(`<${name}[\\s/>]`, 'g');
  let m;
  while ((m = re.exec(blank))) out.push(blank.slice(0, m.index).split('\n').length);
  return out;
}

function checkDashExpect(c, text) {
  const cap = c.maxQuality;
  for (const [label, t] of [['input', text], ['expect.text', c.expect.text]]) {
    const v = XMLValidator.validate(t);
    if (v !== true) fail(c, `${label} is not well-formed XML: ${JSON.stringify(v.err)}`);
  }
  const inT = xml.parse(text);
  const outT = xml.parse(c.expect.text);
  const f = filterDashTree(inT, cap, c);
  if (JSON.stringify(f.tree) !== JSON.stringify(outT)) fail(c, 'expected tree differs from the input tree filtered by the rules');
  if (c.expect.kept !== f.kept || c.expect.removed !== f.removed) fail(c, `kept/removed ${c.expect.kept}/${c.expect.removed}, parser says ${f.kept}/${f.removed}`);
  if (f.periods.some((p) => p.hadVideo && p.videoLeft === 0)) fail(c, 'a Period is left without video: should be NOTHING_PLAYABLE');
  // Text: whole lines removed, each removed run made of whole Representation/AdaptationSet elements.
  const inL = lines(text);
  const removed = align(inL, lines(c.expect.text));
  if (!removed) return fail(c, 'expect.text is not the input with whole lines removed');
  for (let i = 0; i < inL.length; ) {
    if (!removed[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < inL.length && removed[j]) j++;
    const run = inL.slice(i, j).join('');
    const wrapped = `<run>${run}</run>`;
    const v = XMLValidator.validate(wrapped);
    const parsed = v === true ? xml.parse(wrapped) : null;
    const top = parsed ? kids(parsed[0]).map(tagOf) : null;
    if (!top || top.length === 0 || !top.every((t) => t === 'Representation' || t === 'AdaptationSet')) fail(c, `removed lines ${i + 1}-${j} are not whole Representation/AdaptationSet elements`);
    i = j;
  }
  const again = filterDashTree(outT, cap, c);
  if (again.removed !== 0 || again.kept !== c.expect.kept) fail(c, 'filtering expect.text again would change it');
}

function checkDashError(c, text) {
  const { code, where } = c.expectError;
  if (code === 'INVALID_MANIFEST') {
    const v = XMLValidator.validate(text);
    if (v === true) return fail(c, 'fast-xml-parser finds the XML well formed');
    if (where) {
      if (v.err.line !== where.line) fail(c, `validator reports line ${v.err.line}, where says ${where.line}`);
      if (!startTagLines(text, where.element).includes(where.line)) fail(c, `no <${where.element} start tag on line ${where.line}`);
    }
    return;
  }
  if (code === 'NOTHING_PLAYABLE') {
    const f = filterDashTree(xml.parse(text), c.maxQuality, c);
    const first = f.periods.findIndex((p) => p.hadVideo && p.videoLeft === 0);
    if (first === -1) return fail(c, 'every Period with video keeps some');
    if (where) {
      const line = startTagLines(text, 'Period')[first];
      if (where.element !== 'Period' || where.line !== line) fail(c, `first Period without video starts on line ${line}, where says ${JSON.stringify(where)}`);
    }
    return;
  }
  fail(c, `unexpected code ${code}`);
}

// ------------------------------------------------------------------------------------------ main
if (vectors.count !== vectors.cases.length) failures.push(`count ${vectors.count} != ${vectors.cases.length} cases`);
const names = new Set();
for (const c of vectors.cases) {
  checked++;
  if (names.has(c.name)) fail(c, 'duplicate name');
  names.add(c.name);
  if (typeof c.source !== 'string' || !c.source.trim()) fail(c, 'no source');
  if (/reference\/|design\//.test(c.source)) fail(c, 'source points outside the repository');
  for (const m of c.source.matchAll(/docs\/[^\s),;:]+/g)) {
    if (existsSync(path.join(repoRoot, 'Cargo.toml')) && !existsSync(path.join(repoRoot, m[0]))) fail(c, `${m[0]} is not in the repository`);
  }
  if (('input' in c) === ('inputBase64' in c)) fail(c, 'exactly one of input / inputBase64');
  if (('expect' in c) === ('expectError' in c)) fail(c, 'exactly one of expect / expectError');
  const bytes = inputBytes(c);
  const hasCap = 'maxQuality' in c;
  if (hasCap && c.maxQuality !== null && !QUALITIES.has(c.maxQuality)) {
    if (c.expectError?.code !== 'INVALID_ARGUMENT') fail(c, `maxQuality ${c.maxQuality} is invalid but the case does not expect INVALID_ARGUMENT`);
    continue;
  }
  if (!hasCap) {
    if (c.expectError?.code !== 'INVALID_ARGUMENT') fail(c, 'maxQuality missing but the case does not expect INVALID_ARGUMENT');
    continue;
  }
  if (c.expectError?.code === 'INVALID_ARGUMENT') {
    fail(c, 'INVALID_ARGUMENT expected but maxQuality is valid');
    continue;
  }
  let text = null;
  try {
    text = decodeStrict(bytes);
  } catch {
    /* only error cases may be non-UTF-8 */
  }
  const isDash = text !== null && /^\ufeff?\s*</.test(text);
  if (c.expect) {
    if (text === null) {
      fail(c, 'input is not UTF-8 but a result is expected');
      continue;
    }
    const format = isDash ? 'dash' : 'hls';
    if (c.expect.format !== format) fail(c, `format ${c.expect.format}, input looks like ${format}`);
    if (isDash) checkDashExpect(c, text);
    else checkHlsExpect(c, text);
  } else if (isDash) checkDashError(c, text);
  else checkHlsError(c, bytes);
}

if (failures.length) {
  console.error(`${failures.length} failure(s) in ${checked} cases:\n${failures.join('\n')}`);
  process.exit(1);
}
console.log(`${checked} manifest vectors agree with m3u8-parser and fast-xml-parser`);
