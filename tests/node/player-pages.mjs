// The player test pages (tests/players/*-page.mjs), bundled with esbuild from the packed package
// as an app bundles them (the wasm as a file), served from their own origin with /token (a fresh
// viewer token, as an app's backend hands one out; `?fail` a backend that is down), opened in headless Chromium (playwright-core,
// Debian's Chromium) with every request it makes logged. Shared by the hls.js and Shaka tests.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, REPO, freePort, installPacked } from './helpers.mjs';
import { SCOPE, playbackToken } from './media-stack.mjs';

/** The pages (`names`: hls, shaka) bundled and served; `{ PAGE, open(t, name, cfg), tokensIssued(), close() }`. */
export async function startPlayerPages(names) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-player-pages-'));
  installPacked(dir);
  for (const name of names) writeFileSync(path.join(dir, `${name}.mjs`), readFileSync(path.join(REPO, 'tests', 'players', `${name}-page.mjs`)));
  writeFileSync(path.join(dir, 'page-common.mjs'), readFileSync(path.join(REPO, 'tests', 'players', 'page-common.mjs')));
  await esbuild.build({
    entryPoints: names.map((name) => path.join(dir, `${name}.mjs`)), bundle: true, format: 'esm', target: 'es2022', platform: 'browser',
    outdir: path.join(dir, 'out'), loader: { '.wasm': 'file' }, nodePaths: [path.join(REPO, 'tests', 'node_modules')], logLevel: 'warning',
  });
  const port = await freePort();
  let tokensIssued = 0;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://page');
    const page = /^\/(\w+)\.html$/.exec(url.pathname)?.[1];
    if (page !== undefined && names.includes(page)) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(`<!doctype html><meta charset="utf-8"><video width="640" height="360" playsinline></video><script type="module" src="/out/${page}.js"></script>`);
    }
    if (url.pathname === '/token') {
      if (url.searchParams.has('fail')) return res.writeHead(503).end('token service down');
      tokensIssued++;
      const token = await playbackToken(JSON.parse(url.searchParams.get('ent')), SCOPE, 'ES256', Number(url.searchParams.get('seconds')));
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(token);
    }
    const file = path.join(dir, path.normalize(url.pathname));
    if (file.startsWith(path.join(dir, 'out')) && existsSync(file)) {
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : file.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream' });
      return res.end(readFileSync(file));
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const PAGE = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

  /**
   * Opens page `name` with `cfg` (in its URL): `{ page, requests (every URL Chromium asked
   * for), sent ({ url, token, at } each), answered ({ url, status, at } each: a response, or
   * status 0 and its `failure` for a request that failed), errors (page errors), state() (the page's
   * window.playgateTest and its video) }`.
   */
  async function open(t, name, cfg) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests = [];
    const sent = [];
    page.on('request', (r) => {
      requests.push(r.url());
      sent.push({ url: r.url(), token: (r.headers().authorization ?? '').replace(/^Bearer /, ''), at: Date.now() });
    });
    const answered = [];
    page.on('response', (r) => answered.push({ url: r.url(), status: r.status(), at: Date.now() }));
    page.on('requestfailed', (r) => answered.push({ url: r.url(), status: 0, failure: r.failure()?.errorText ?? null, at: Date.now() }));
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    t.after(() => context.close());
    const now = new Date().toISOString();
    await page.goto(`${PAGE}/${name}.html?cfg=${encodeURIComponent(JSON.stringify({ request: { entityId: 'demo', now, country: 'DE' }, ...cfg }))}`);
    const state = () => page.evaluate(() => {
      const s = window.playgateTest;
      const v = document.querySelector('video');
      return {
        decision: s.decision, errors: s.errors, refreshes: s.refreshes, waiting: s.waiting, playing: s.playing, reloads: s.reloads ?? 0,
        time: v.currentTime, height: v.videoHeight, ended: v.ended, levels: s.levels(), assetLevels: s.assetLevels ?? [], ads: s.ads ?? 0, guarded: s.guard?.requests ?? [],
      };
    });
    return { page, requests, sent, answered, errors, state };
  }
  return {
    PAGE,
    open,
    tokensIssued: () => tokensIssued,
    async close() {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
