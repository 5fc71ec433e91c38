// The server of `./build.sh serve`: the player demo (index.html, issue 17), the decision
// playground (playground.html) and the browser test harness (harness.html).
//
//   /           -> www/                  (this directory)
//   /pkg/       -> the built package     (env PLAYGATE_PKG, default <repo>/pkg)
//   /vectors/   -> the test vectors      (env PLAYGATE_VECTORS, default <repo>/tests/vectors)
//   /build/     -> the demo page's bundle, /api/ its back end (with `demo`: demo-stack.mjs,
//                  which also starts the cache emulator and the edge gate in workerd)
//
// Binds 127.0.0.1 only. `node www/server.mjs` listens on $PORT (default 8080), starts the demo
// and prints its URL; Ctrl-C stops every process it started. Tests call
// `start({ port: 0, pkgDir, demo? })` and get `{ url, close, stack }`.
// Files are read on every request and sent with `Cache-Control: no-store`, so a rebuilt pkg/ is
// picked up by a reload.

import http from 'node:http';
import os from 'node:os';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HOST = '127.0.0.1';
const WWW_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_DIR = path.dirname(WWW_DIR);

export const DEFAULT_PKG_DIR = process.env.PLAYGATE_PKG || path.join(REPO_DIR, 'pkg');
export const DEFAULT_VECTORS_DIR = process.env.PLAYGATE_VECTORS || path.join(REPO_DIR, 'tests', 'vectors');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/**
 * Maps a URL path to `{ root, rel }` or an HTTP status for a refused path.
 * Refuses anything that is not a plain path below its root: `..` or `.` segments (also
 * percent-encoded), backslashes, NUL bytes, malformed percent-encoding.
 */
function route(pathname, mounts) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 400;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 400;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return 403;
  for (const [prefix, root] of mounts) {
    if (root === null) continue; // a mount not in use (/build/ without the demo)
    if (decoded === prefix.slice(0, -1)) return { redirect: prefix };
    if (decoded.startsWith(prefix)) return { root, rel: decoded.slice(prefix.length) };
  }
  return 404;
}

async function resolveFile(root, rel) {
  const realRoot = await fs.realpath(root);
  let file = path.resolve(realRoot, '.' + path.sep + rel);
  let stat = await fs.stat(file);
  if (stat.isDirectory()) {
    file = path.join(file, 'index.html');
    stat = await fs.stat(file);
  }
  // Symlinks must not lead out of the root either.
  const real = await fs.realpath(file);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
  if (!stat.isFile()) return null;
  return real;
}

function handler(mounts) {
  return async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
        return;
      }
      const rawPath = (req.url || '/').split(/[?#]/, 1)[0];
      if (!rawPath.startsWith('/')) {
        send(res, 400, 'bad request\n');
        return;
      }
      const target = route(rawPath, mounts);
      if (typeof target === 'number') {
        send(res, target, `${http.STATUS_CODES[target].toLowerCase()}\n`);
        return;
      }
      if (target.redirect) {
        send(res, 301, '', { Location: target.redirect });
        return;
      }
      let file;
      try {
        file = await resolveFile(target.root, target.rel);
      } catch (error) {
        if (error && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) file = null;
        else throw error;
      }
      if (!file) {
        send(res, 404, 'not found\n');
        return;
      }
      const body = await fs.readFile(file);
      send(res, 200, req.method === 'HEAD' ? undefined : body, {
        'Content-Type': mimeType(file),
        'Content-Length': body.length,
      });
    } catch (error) {
      if (!res.headersSent) send(res, 500, `internal error: ${error && error.message}\n`);
      else res.destroy();
    }
  };
}

/**
 * Starts the server on 127.0.0.1. `port: 0` picks a free port.
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function start({
  port = 0, pkgDir = DEFAULT_PKG_DIR, vectorsDir = DEFAULT_VECTORS_DIR, wwwDir = WWW_DIR, cache = false, demo = false,
  gatePort = 0, log = () => {},
} = {}) {
  // With `cache`, a cache emulator on another loopback port holds the demo's entitlement
  // documents and media keys; /demo-config.json tells the page where it is and hands it a token.
  const demoCache = cache ? await startDemoCache() : null;
  // Longest prefix first; '/' last.
  const mounts = [
    ['/build/', null], // with `demo`: the bundled player page (demo-stack.mjs)
    ['/pkg/', path.resolve(pkgDir)],
    ['/vectors/', path.resolve(vectorsDir)],
    ['/', path.resolve(wwwDir)],
  ];
  const serveFiles = handler(mounts);
  let stack = null;
  const server = http.createServer(async (req, res) => {
    if (stack !== null && (req.url || '').startsWith('/api/')) {
      if (await stack.handle(req, res, new URL(req.url, 'http://page'))) return;
    }
    if ((req.url || '').split('?')[0] === '/demo-config.json') {
      send(res, 200, JSON.stringify(demoCache?.config ?? { cacheUrl: null }), { 'Content-Type': 'application/json; charset=utf-8' });
      return;
    }
    serveFiles(req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = server.address().port;
  if (demo) {
    // The player demo: the emulator, the media and the gate in workerd behind this page, which
    // they know by its origin (the gate's CORS list).
    try {
      const { startDemoStack } = await import('./demo-stack.mjs');
      stack = await startDemoStack({
        pageOrigins: [`http://${HOST}:${actual}`, `http://localhost:${actual}`], pkgDir: path.resolve(pkgDir), gatePort, log,
      });
    } catch (error) {
      server.close();
      if (demoCache) await demoCache.close();
      throw error;
    }
    mounts[0][1] = stack.pageDir;
  }
  return {
    url: `http://${HOST}:${actual}/`,
    port: actual,
    cache: demoCache?.config ?? null,
    stack,
    close: async () => {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      if (stack) await stack.close();
      if (demoCache) await demoCache.close();
    },
  };
}

/**
 * The demo's cache: the emulator with two viewers' documents (the seed's premium one and a basic
 * one) and a tiny HLS tree for two titles, written to a temporary folder (nothing committed);
 * the page's token may read `viewer-*` documents and `/Movie1/` media only (seed 000's layout).
 */
async function startDemoCache() {
  const { startCacheEmulator } = await import('./cache-emulator.mjs');
  const mediaDir = await fs.mkdtemp(path.join(os.tmpdir(), 'playgate-media-'));
  for (const title of ['Movie1', 'Movie2']) {
    await fs.mkdir(path.join(mediaDir, title, '1080p'), { recursive: true });
    await fs.writeFile(path.join(mediaDir, title, 'playlist.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=5000000,RESOLUTION=1920x1080\n1080p/playlist.m3u8\n');
    await fs.writeFile(path.join(mediaDir, title, '1080p', 'playlist.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nsegment1.ts\n#EXT-X-ENDLIST\n');
    await fs.writeFile(path.join(mediaDir, title, '1080p', 'segment1.ts'), Buffer.alloc(188 * 4, 0x47));
  }
  const emu = await startCacheEmulator({ port: Number(process.env.EMULATOR_PORT ?? 0), mediaDir });
  const premium = {
    subscription_level: 'premium', region: 'US', device_restriction: 'none',
    valid_from: '2024-10-01T00:00:00Z', valid_until: '2024-12-31T23:59:59Z', allowed_content: ['movie_id_123', 'series_id_456'],
  };
  emu.put('entitlements', 'viewer-42', JSON.stringify(premium), 86_400);
  emu.put('entitlements', 'viewer-basic', JSON.stringify({ ...premium, subscription_level: 'basic', region: ['US', 'CA'] }), 86_400);
  const token = emu.mintToken({
    scope: {
      permissions: [
        { role: 'readonly', cache: 'entitlements', item: { keyPrefix: 'viewer-' } },
        { role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } },
      ],
    },
    tokenId: 'viewer-42',
    lifetimeSeconds: 86_400,
  });
  return {
    config: { cacheUrl: emu.url, token, users: ['viewer-42', 'viewer-basic', 'viewer-unknown'] },
    close: async () => {
      await emu.close();
      await fs.rm(mediaDir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const port = Number.parseInt(process.env.PORT ?? '8080', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
    process.exit(2);
  }
  // Progress on stderr; stdout gets the one URL to open.
  const server = await start({ port, cache: true, demo: true, log: (line) => console.error(`playgate demo: ${line}`) });
  console.log(`playgate demo: ${server.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close().finally(() => process.exit(0)); // stops workerd and the emulators, removes temp folders
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
