// The media stack the player tests run on, as a deployment runs it: the ffmpeg ladder
// (tests/tools/make-media.mjs) stored in the cache emulator under seed 000's MediaStore keys
// (/demo/...), and the edge gate (tests/workerd/gate-worker.mjs) bundled from the packed package
// in a real workerd, reading the media from the emulator. Viewers' playback tokens are signed by
// jose (ES256, EdDSA, RS256 keys made per run). Shared by gate-media.test.mjs and the player tests.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as jose from 'jose';
import { REPO, freePort } from './helpers.mjs';
import { startTestEmulator } from './cache-scenarios.mjs';
import { bundleSize, capnpText as capnp, startWorkerd, writeBundle } from './workerd-bundle.mjs';
import { makeMedia } from '../tools/make-media.mjs';

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

/** The gate worker in workerd with these bindings; stopped after the test. */
export async function startGate(t, { via, mmdb = false, from = 'playgate/edge', cors = null }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-media-'));
  // The worker as issue 15 writes it (playgate/edge), or the same importing the player module.
  const source = path.join(dir, 'gate-worker.mjs');
  writeFileSync(source, readFileSync(path.join(REPO, 'tests', 'workerd', 'gate-worker.mjs'), 'utf8').replace("from 'playgate/edge'", `from '${from}'`));
  const port = await freePort();
  const bindings = [
    `(name = "VERIFIER", text = ${capnp(JSON.stringify(VERIFIER))})`,
    `(name = "CACHE", text = ${capnp(JSON.stringify({ token: cacheToken, baseUrl: emu.url }))})`,
    `(name = "SEGMENT_TOKENS", text = ${capnp(JSON.stringify({ secret: 'a segment secret of 32 bytes or more', lifetimeSeconds: 120, via }))})`,
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

/** The media keys the emulator served since `from` (its request log). */
export function keysRead(from) {
  return emu.requests.slice(from).filter((r) => r.status === 200).map((r) => r.key).filter(Boolean);
}

