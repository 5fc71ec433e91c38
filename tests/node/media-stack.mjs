// The media stack the player tests run on, as a deployment runs it: the ffmpeg ladder
// (tests/tools/make-media.mjs) stored in the cache emulator under seed 000's MediaStore keys
// (/demo/...), and the edge gate (tests/workerd/gate-worker.mjs) bundled from the packed package
// in a real workerd, reading the media from the emulator. Viewers' playback tokens are signed by
// jose (ES256, EdDSA, RS256 keys made per run). Shared by gate-media.test.mjs and the player tests.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import { REPO, freePort } from './helpers.mjs';
import { startTestEmulator } from './cache-scenarios.mjs';
import { bundleSize, capnpText as capnp, startWorkerd, writeBundle } from './workerd-bundle.mjs';
import { SEGMENT_SECONDS, makeMedia } from '../tools/make-media.mjs';

export const MMDB = path.join(REPO, 'tests/node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country.mmdb');
export const SCOPE = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/demo/' } }] };
export const UNCAPPED = ['audio_aac', 'subs_en'];

/** Every file under `dir`, as paths relative to it. */
function files(dir, prefix = '') {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

export const media = await makeMedia();
export const { emu } = await startTestEmulator();
export const demoFiles = files(path.join(media.dir, 'demo')).filter((f) => !f.startsWith('.'));
for (const f of demoFiles) emu.put('media', `/demo/${f}`, readFileSync(path.join(media.dir, 'demo', f)));
// The gate's own cache token: it reads the media cache, nothing else.
const cacheToken = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'media' }] } });

const es = await jose.generateKeyPair('ES256', { extractable: true });
const ed = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const rs = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const VERIFIER = {
  algorithms: ['ES256', 'EdDSA', 'RS256'],
  keys: { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'e1' }, { ...(await jose.exportJWK(ed.publicKey)), kid: 'd1' }, { ...(await jose.exportJWK(rs.publicKey)), kid: 'r1' }] },
  audience: 'edge',
  leewaySeconds: 0, // an expired token is refused at once: a refresh that did not happen shows
};
const SIGNERS = { ES256: [es.privateKey, 'e1'], EdDSA: [ed.privateKey, 'd1'], RS256: [rs.privateKey, 'r1'] };
/** A viewer's playback token: `ent` and `scope` claims, `alg`, `lifetime` ('5m', or seconds). */
export const playbackToken = (ent, scope = SCOPE, alg = 'ES256', lifetime = '5m') => new jose.SignJWT({ scope, ent }).setProtectedHeader({ alg, kid: SIGNERS[alg][1] })
  .setAudience('edge').setIssuedAt().setExpirationTime(typeof lifetime === 'number' ? Math.floor(Date.now() / 1000) + lifetime : lifetime).sign(SIGNERS[alg][0]);

/**
 * The gate worker in workerd with these bindings; stopped after the test. The media come from the
 * cache emulator, or from `origin` (a base URL: the ORIGIN binding). `lifetimeSeconds`: the
 * segment tokens'.
 */
export async function startGate(t, { via, mmdb = false, from = 'playgate/edge', cors = null, origin = null, lifetimeSeconds = 120 }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-media-'));
  // The worker as issue 15 writes it (playgate/edge), or the same importing the player module.
  const source = path.join(dir, 'gate-worker.mjs');
  writeFileSync(source, readFileSync(path.join(REPO, 'tests', 'workerd', 'gate-worker.mjs'), 'utf8').replace("from 'playgate/edge'", `from '${from}'`));
  const port = await freePort();
  const bindings = [
    `(name = "VERIFIER", text = ${capnp(JSON.stringify(VERIFIER))})`,
    origin === null
      ? `(name = "CACHE", text = ${capnp(JSON.stringify({ token: cacheToken, baseUrl: emu.url }))})`
      : `(name = "ORIGIN", text = ${capnp(origin)})`,
    `(name = "SEGMENT_TOKENS", text = ${capnp(JSON.stringify({ secret: 'a segment secret of 32 bytes or more', lifetimeSeconds, via }))})`,
    `(name = "UNCAPPED", text = ${capnp(JSON.stringify(UNCAPPED))})`,
  ];
  if (cors !== null) bindings.push(`(name = "CORS", text = ${capnp(JSON.stringify(cors))})`);
  if (mmdb) {
    writeFileSync(path.join(dir, 'country.mmdb'), readFileSync(MMDB));
    bindings.push('(name = "MMDB", data = embed "country.mmdb")');
  }
  const configPath = await writeBundle(dir, port, {
    source,
    wasmCount: 1,
    bindings: `\n  bindings = [\n    ${bindings.join(',\n    ')},\n  ],`,
  });
  const worker = await startWorkerd(configPath, dir, port, '/health');
  t.after(async () => {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ...worker, size: bundleSize(dir) };
}

const CONTENT_TYPES = { m3u8: 'application/vnd.apple.mpegurl', m4s: 'video/iso.segment', mp4: 'video/mp4', vtt: 'text/vtt' };

/**
 * A live origin for the demo title over node:http (async: nothing blocks the other in-process
 * servers), in the gate's layout `/{content}/{rendition}/{file}`: the master and the segment files
 * as the ladder has them, and each media playlist as a growing EVENT playlist looping the
 * 20-second clip. `startSegments` are listed at the first media playlist request, one more every
 * segment duration after it (the clock is shared by every rendition, as a live encoder's), an
 * #EXT-X-DISCONTINUITY where the clip starts again (its timestamps restart), and #EXT-X-ENDLIST
 * once `totalSegments` are listed. `{ url, requests ({ path, at } each) }`; closed after the test.
 */
export async function startLiveOrigin(t, { startSegments = 4, totalSegments = 60 } = {}) {
  const root = path.join(media.dir, 'demo');
  let startedAt = null;
  const requests = [];

  /** The VOD playlist of `rendition` as an EVENT playlist of the segments listed by now. */
  async function livePlaylist(rendition) {
    const vod = (await readFile(path.join(root, rendition, 'index.m3u8'), 'utf8')).split('\n');
    const firstSegment = vod.findIndex((line) => line.startsWith('#EXTINF'));
    const header = vod.slice(0, firstSegment).filter((line) => line !== '' && !line.startsWith('#EXT-X-PLAYLIST-TYPE'));
    const clip = [];
    for (let i = firstSegment; i < vod.length; i++) {
      if (vod[i].startsWith('#EXTINF')) clip.push([vod[i], vod[i + 1]]);
    }
    startedAt ??= Date.now();
    const listed = Math.min(totalSegments, startSegments + Math.floor((Date.now() - startedAt) / (SEGMENT_SECONDS * 1000)));
    const lines = [...header, '#EXT-X-PLAYLIST-TYPE:EVENT'];
    for (let n = 0; n < listed; n++) {
      if (n > 0 && n % clip.length === 0) lines.push('#EXT-X-DISCONTINUITY');
      lines.push(...clip[n % clip.length]);
    }
    if (listed === totalSegments) lines.push('#EXT-X-ENDLIST');
    return `${lines.join('\n')}\n`;
  }

  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://origin');
    requests.push({ path: req.url, at: Date.now() });
    const m = /^\/demo\/(?:([\w-]+)\/)?([\w.-]+)$/.exec(pathname);
    const type = CONTENT_TYPES[m?.[2].split('.').pop()];
    if (m === null || type === undefined) return res.writeHead(404).end();
    const [, rendition, file] = m;
    try {
      const body = rendition !== undefined && file === 'index.m3u8'
        ? await livePlaylist(rendition)
        : await readFile(path.join(root, rendition ?? '', file));
      res.writeHead(200, { 'content-type': type, 'cache-control': type === CONTENT_TYPES.m3u8 ? 'no-cache' : 'max-age=3600' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${port}`, requests };
}

/**
 * A title at `/demo/preroll.m3u8` in the emulator: the demo master with its 480p variant only,
 * whose media playlists (480p, audio) open with a preroll (an RFC 8216bis interstitial, CUE=PRE, 8 s) whose
 * asset is `assetUrl` (a player built from the app's configuration would reach 2160p with the
 * demo title's master there). Returns the master's path.
 */
export function putPreroll(assetUrl) {
  const master = readFileSync(path.join(media.dir, 'demo', 'playlist.m3u8'), 'utf8').trim().split('\n');
  const isVariant = (line, i) => line.startsWith('#EXT-X-STREAM-INF') || master[i - 1]?.startsWith('#EXT-X-STREAM-INF');
  const inf480 = master.find((line, i) => master[i + 1] === '480p/index.m3u8');
  // The audio rendition's playlist dated as the video's, with the same DATERANGE: Shaka places a
  // DATERANGE only once every audio and video playlist is read (it has no program date before),
  // so it reads the one in the playlist it reads last.
  const titleLines = master.filter((line, i) => !isVariant(line, i)).map((line) => line.replace('URI="audio_aac/index.m3u8"', 'URI="audio_aac/preroll.m3u8"'));
  if (!titleLines.some((line) => line.includes('URI="audio_aac/preroll.m3u8"'))) throw new Error('putPreroll: the demo master names no audio_aac/index.m3u8 rendition');
  emu.put('media', '/demo/preroll.m3u8', [...titleLines, inf480, '480p/preroll.m3u8', ''].join('\n'));
  const start = '2026-01-01T00:00:00.000Z';
  const dated = (file) => readFileSync(path.join(media.dir, 'demo', file), 'utf8').replace('#EXT-X-MAP:', `#EXT-X-PROGRAM-DATE-TIME:${start}\n#EXT-X-MAP:`);
  const ad = `#EXT-X-DATERANGE:ID="preroll",CLASS="com.apple.hls.interstitial",START-DATE="${start}",DURATION=8,X-ASSET-URI="${assetUrl}",X-RESUME-OFFSET=0,CUE="PRE"\n`;
  emu.put('media', '/demo/480p/preroll.m3u8', dated('480p/index.m3u8').replace('#EXT-X-MAP:', `${ad}#EXT-X-MAP:`));
  emu.put('media', '/demo/audio_aac/preroll.m3u8', dated('audio_aac/index.m3u8').replace('#EXT-X-MAP:', `${ad}#EXT-X-MAP:`));
  return '/demo/preroll.m3u8';
}

/** The media keys the emulator served since `from` (its request log). */
export function keysRead(from) {
  return emu.requests.slice(from).filter((r) => r.status === 200).map((r) => r.key).filter(Boolean);
}

