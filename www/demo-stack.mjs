// The demo's services (issue 17), started by www/server.mjs for `./build.sh serve` and by the
// end-to-end tests, as a production deployment runs them, all on loopback:
//
//   the cache emulator   entitlement documents (`entitlements` cache, key `viewer-<id>`) and the
//                        ffmpeg media ladder (`media` cache, seed 000's MediaStore keys
//                        `/<title>/<rendition>/<file>`, one copy per title)
//   the edge gate        tests/workerd/gate-worker.mjs bundled as wrangler bundles it and run in
//                        real workerd: it verifies playback tokens, caps masters and MPDs, mints
//                        segment tokens and reads the media from the cache emulator
//   the back end         /api/* on the page's own server: the viewers, their sessions (a cache
//                        token and a playback token each) and token refresh
//
// Least privilege, as seed 000 advises: a viewer's cache token reads that viewer's own
// entitlement document and nothing else; its playback token (an ES256 JWT the back end mints
// with playgate's PlaybackTokenMinter) opens that one title's media at the edge, and only while
// the back end's own decision allows it. Nothing here is secret beyond the run: keys and
// secrets are made at start.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WWW_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(WWW_DIR);
const TEST_MODULES = path.join(REPO_DIR, 'tests', 'node_modules');

/** The embedded default policy: each tier's cap (decision rules: a tier may only cap quality). */
export const POLICY = { tiers: { premium: { maxQuality: 'UHD1' }, standard: { maxQuality: 'HD' }, basic: { maxQuality: 'SD' } } };

/** The titles: entity ids, each a copy of the same generated clip in the media cache. */
export const TITLES = [
  { id: 'movie_id_123', name: 'movie_id_123' },
  { id: 'series_id_456', name: 'series_id_456' },
  { id: 'movie_id_789', name: 'movie_id_789 (nobody\'s)' },
];

/** Playback tokens live this long; the page renews them 15 s before they expire. */
export const TOKEN_SECONDS = 30;
const DAY = 86_400_000;

/**
 * The embedded viewers: a seed-000 entitlement document each (its window set around `now`) and
 * where and on what the viewer watches. `premium`, `standard` and `denied` are the issue's names.
 */
export function defaultViewers(now = Date.now()) {
  const window = { valid_from: new Date(now - 30 * DAY).toISOString(), valid_until: new Date(now + 335 * DAY).toISOString() };
  const doc = (fields) => ({
    subscription_level: 'premium', region: ['US', 'CA'], device_restriction: 'none', ...window,
    allowed_content: ['movie_id_123', 'series_id_456'], ...fields,
  });
  return [
    { id: 'premium', label: 'Premium (UHD1)', country: 'US', device: 'web', document: doc({}) },
    { id: 'standard', label: 'Standard (HD)', country: 'US', device: 'web', document: doc({ subscription_level: 'standard' }) },
    { id: 'basic', label: 'Basic (SD)', country: 'CA', device: 'web', document: doc({ subscription_level: 'basic', allowed_content: ['movie_id_123'] }) },
    { id: 'denied', label: 'Denied: the entitlement ended', country: 'US', device: 'web', document: doc({ subscription_level: 'standard', valid_from: new Date(now - 365 * DAY).toISOString(), valid_until: new Date(now - DAY).toISOString() }) },
    { id: 'upcoming', label: 'Denied: starts next week', country: 'US', device: 'web', document: doc({ valid_from: new Date(now + 7 * DAY).toISOString() }) },
    { id: 'traveller', label: 'Denied: watching from abroad', country: 'FR', device: 'web', document: doc({ subscription_level: 'standard' }) },
    { id: 'tv-only', label: 'Denied: TV devices only', country: 'US', device: 'web', document: doc({ device_restriction: ['tv'] }) },
  ];
}

/** Every file under `dir`, as paths relative to it. */
function files(dir, prefix = '') {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

/** A folder whose node_modules resolves `playgate` to `pkgDir` (the built package), as installed. */
function projectWith(pkgDir) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-demo-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(path.resolve(pkgDir), path.join(dir, 'node_modules', 'playgate'), 'dir');
  return dir;
}

/** The page's script (www/demo.js) bundled with esbuild as an app bundles it, into `outDir`. */
async function bundlePage(dir, outDir) {
  const { default: esbuild } = await import(pathToFileURL(path.join(TEST_MODULES, 'esbuild', 'lib', 'main.js')).href);
  await esbuild.build({
    entryPoints: [path.join(WWW_DIR, 'demo.js')], bundle: true, format: 'esm', target: 'es2022', platform: 'browser',
    outdir: outDir, loader: { '.wasm': 'file' }, nodePaths: [path.join(dir, 'node_modules'), TEST_MODULES], logLevel: 'warning',
    sourcemap: true,
  });
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/** Reads a request body of at most `max` bytes as text. */
function readBody(req, max = 64 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > max) {
        reject(Object.assign(new Error(`the body is over ${max} bytes`), { code: 'TOO_LARGE' }));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts the cache emulator, the media, the gate in workerd and the back end. `pageOrigins`:
 * the origins the page is served from (the gate's CORS list). `gatePort`, `cachePort`: 0 picks.
 * `log(text)`: progress lines. Returns `{ gateUrl, cacheUrl, emu, config, handle(req, res, url),
 * bundleDir, close() }`; `handle` answers /api/* and returns true, else false.
 */
export async function startDemoStack({ pageOrigins, pkgDir, gatePort = 0, cachePort = 0, log = () => {} }) {
  const { makeMedia, LADDER } = await import('../tests/tools/make-media.mjs');
  const { startCacheEmulator } = await import('./cache-emulator.mjs');
  const { bundleWorker, workerdConfig, capnpText, startWorkerd } = await import('../tests/node/workerd-bundle.mjs');
  const { freePort } = await import('../tests/node/helpers.mjs');
  const playgate = await import(pathToFileURL(path.join(pkgDir, 'node', 'index.mjs')).href);
  const edge = await import(pathToFileURL(path.join(pkgDir, 'edge', 'node', 'index.mjs')).href);

  const cleanups = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    log('making the media with ffmpeg (once: it is kept in target/media)');
    const media = await makeMedia();
    const emu = await startCacheEmulator({ port: cachePort });
    cleanups.push(() => emu.close());
    const clip = path.join(media.dir, media.title);
    const clipFiles = files(clip).filter((f) => !f.startsWith('.'));
    for (const title of TITLES) {
      for (const f of clipFiles) emu.put('media', `/${title.id}/${f}`, readFileSync(path.join(clip, f)));
    }
    const viewers = defaultViewers();
    const documents = new Map(viewers.map((v) => [v.id, v.document]));
    for (const v of viewers) emu.put('entitlements', `viewer-${v.id}`, JSON.stringify(v.document));

    // The back end's signing key; the gate gets only its public half.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kid = 'demo-1';
    const minter = edge.PlaybackTokenMinter.fromJson({
      algorithm: 'ES256', key: privateKey.export({ format: 'jwk' }), kid, audience: 'edge', lifetimeSeconds: TOKEN_SECONDS,
    });
    const policy = playgate.Policy.fromJson(POLICY);
    cleanups.push(() => { minter.free(); policy.free(); });

    log('bundling the page and the gate worker (esbuild)');
    const project = projectWith(pkgDir);
    cleanups.push(() => rmSync(project, { recursive: true, force: true }));
    await bundlePage(project, path.join(project, 'page'));
    mkdirSync(path.join(project, 'gate'));
    writeFileSync(path.join(project, 'gate', 'worker.mjs'), readFileSync(path.join(REPO_DIR, 'tests', 'workerd', 'gate-worker.mjs')));
    const wasmModules = await bundleWorker(path.join(project, 'gate', 'worker.mjs'), path.join(project, 'gate', 'dist'), { nodePaths: [path.join(project, 'node_modules')] });
    const verifier = { algorithms: ['ES256'], keys: { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] }, audience: 'edge' };
    // The gate's own cache token reads the media cache and nothing else, for 25 hours (the
    // longest a disposable token lives: a demo left running longer needs a restart).
    const gateCacheToken = emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'media' }] }, tokenId: 'edge-gate', lifetimeSeconds: 90_000 });
    const bindings = [
      ['VERIFIER', verifier],
      ['CACHE', { token: gateCacheToken, baseUrl: emu.url }],
      ['SEGMENT_TOKENS', { secret: randomBytes(32).toString('base64url'), lifetimeSeconds: 60, via: 'uri' }],
      ['UNCAPPED', ['audio_aac', 'subs_en']],
      ['CORS', { origins: pageOrigins }],
    ].map(([name, value]) => `(name = "${name}", text = ${capnpText(JSON.stringify(value))})`);
    const port = gatePort || await freePort();
    const configPath = path.join(project, 'gate', 'config.capnp');
    writeFileSync(configPath, workerdConfig([{ port, dist: 'dist', wasmModules, bindings: `\n  bindings = [\n    ${bindings.join(',\n    ')},\n  ],` }]));
    log('starting the edge gate in workerd');
    const gate = await startWorkerd(configPath, path.join(project, 'gate'), port, '/health');
    cleanups.push(() => gate.stop());

    const viewer = (id) => viewers.find((v) => v.id === id) ?? null;
    const title = (id) => TITLES.find((t) => t.id === id) ?? null;
    const request = (v, t) => ({ entityId: t.id, country: v.country, device: v.device });
    const mediaScope = (t) => ({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: `/${t.id}/` } }] });

    /** The back end's own decision from the stored document, and a playback token when it allows. */
    function playback(v, t) {
      const ent = playgate.Entitlement.fromBlob(JSON.stringify(documents.get(v.id)));
      try {
        const decision = policy.evaluate(ent, { ...request(v, t), now: Date.now() });
        if (!decision.allowed) return { decision, token: null };
        const token = minter.mint({ scope: mediaScope(t), subject: `viewer-${v.id}`, entitlement: { maxQuality: decision.maxQuality } });
        return { decision, token };
      } finally {
        ent.free();
      }
    }

    const config = {
      gateUrl: gate.base,
      cacheUrl: emu.url,
      policy: POLICY,
      titles: TITLES,
      viewers: viewers.map(({ id, label, country, device }) => ({ id, label, country, device })),
      // The video ladder, top first, each rung's quality as playgate classes it.
      ladder: LADDER.map((r) => ({ ...r, quality: playgate.qualityForSize(r.width, r.height) })).reverse(),
      tokenSeconds: TOKEN_SECONDS,
    };

    /** /api/*: the page's back end. */
    async function handle(req, res, url) {
      if (!url.pathname.startsWith('/api/')) return false;
      try {
        const v = viewer(url.searchParams.get('viewer'));
        const t = title(url.searchParams.get('title') ?? TITLES[0].id);
        if (url.pathname === '/api/config' && req.method === 'GET') {
          json(res, 200, config);
        } else if (!v || !t) {
          json(res, 400, { code: 'INVALID_ARGUMENT', message: `unknown ${!v ? 'viewer' : 'title'}: ${!v ? url.searchParams.get('viewer') : url.searchParams.get('title')}` });
        } else if (url.pathname === '/api/session' && req.method === 'GET') {
          // What an app's back end hands a player: where the viewer's document is and a token
          // that reads it alone, the request to decide, and a playback token for this title.
          const { token } = playback(v, t);
          json(res, 200, {
            viewer: { id: v.id, label: v.label, country: v.country, device: v.device },
            title: t,
            document: documents.get(v.id),
            entitlementKey: `viewer-${v.id}`,
            cacheToken: emu.mintToken({ scope: { permissions: [{ role: 'readonly', cache: 'entitlements', item: { key: `viewer-${v.id}` } }] }, tokenId: `viewer-${v.id}`, lifetimeSeconds: 3600 }),
            request: request(v, t),
            scope: mediaScope(t),
            playbackToken: token,
          });
        } else if (url.pathname === '/api/token' && req.method === 'GET') {
          const { decision, token } = playback(v, t);
          if (token === null) json(res, 403, { code: decision.code, reason: `no playback token: ${decision.code}` });
          else {
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
            res.end(token);
          }
        } else if (url.pathname === '/api/entitlement' && req.method === 'PUT') {
          // The "edit the entitlement" control: the document is stored as the entitlement
          // service would store it, after playgate has read it (a bad one is refused with its code).
          const text = await readBody(req);
          let doc;
          try {
            doc = JSON.parse(text);
            playgate.Entitlement.fromBlob(text).free();
          } catch (error) {
            json(res, 400, { code: error.code ?? 'INVALID_ENTITLEMENT', message: error.message });
            return true;
          }
          if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
            json(res, 400, { code: 'INVALID_ENTITLEMENT', message: 'expected a JSON object' });
            return true;
          }
          documents.set(v.id, doc);
          emu.put('entitlements', `viewer-${v.id}`, text);
          json(res, 200, { stored: `viewer-${v.id}` });
        } else if (url.pathname === '/api/entitlement' && req.method === 'DELETE') {
          const original = defaultViewers().find((d) => d.id === v.id).document;
          documents.set(v.id, original);
          emu.put('entitlements', `viewer-${v.id}`, JSON.stringify(original));
          json(res, 200, { document: original });
        } else {
          json(res, 404, { code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` });
        }
      } catch (error) {
        json(res, error.code === 'TOO_LARGE' ? 413 : 500, { code: error.code ?? 'INTERNAL', message: error.message });
      }
      return true;
    }

    return { gateUrl: gate.base, cacheUrl: emu.url, emu, config, handle, pageDir: path.join(project, 'page'), close };
  } catch (error) {
    await close();
    throw error;
  }
}
