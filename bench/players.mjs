// The player guards' cost (issue 16, point 6), in headless Chromium with the real hls.js and
// Shaka Player, the pages of the tests (tests/players/*-page.mjs) bundled from the packed package:
//   - the hook's own cost per request: hls.js's loader path with a loader that sends nothing,
//     guarded (guardHls) and bare; Shaka's request filter (guardShaka's) against one that does
//     nothing; 1,000 distinct segment URLs, 5 rounds of 50,000 calls, in the page. Target: under
//     5 us per request more than the bare path.
//   - time to first frame: from loadSource/load to the first frame the video presents
//     (requestVideoFrameCallback), the ladder played through the edge gate in workerd
//     (tests/node/media-stack.mjs) from a page on another origin, 5 interleaved rounds of three
//     ways, a fresh browser context every time: guarded with the token in a header (each new
//     URL then costs a CORS preflight), guarded with the token in the query, and bare (the token
//     in the master's query and the gate's segment tokens after it).
//
//   node bench/players.mjs        (writes bench/results/players.md)
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emu, playbackToken, startGate } from '../tests/node/media-stack.mjs';
import { startPlayerPages } from '../tests/node/player-pages.mjs';
import { stats } from './stats.mjs';

const median = (values) => stats(values).median;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
const pages = await startPlayerPages(['hls', 'shaka']);
const gate = await startGate(t, { via: 'uri', cors: { origins: [pages.PAGE] } });
const token = await playbackToken({ maxQuality: 'UHD1' });
const entitlement = '{"max_quality":"UHD1"}';
const SRC = { hls: `${gate.base}/demo/playlist.m3u8`, shaka: `${gate.base}/demo/manifest.mpd` };

/** Opens a page and waits for `done` (a predicate on window.playgateTest); closes it; returns the state. */
async function once(name, cfg, done) {
  const local = { after: (fn) => local.fns.push(fn), fns: [] };
  const { page } = await pages.open(local, name, { entitlement, token, ...cfg });
  try {
    await page.waitForFunction(done, null, { timeout: 60_000 });
    return await page.evaluate(() => ({ micro: window.playgateTest.micro, firstFrameMs: window.playgateTest.firstFrameMs }));
  } finally {
    for (const fn of local.fns) await fn();
  }
}

const lines = [`Player guards (\`node bench/players.mjs\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; headless Chromium, hls.js 1.7.4, Shaka Player 5.2.12)`, ''];
lines.push('| player | hook per request, guarded | bare | the guard adds | target < 5 us | first frame, guarded, token in a header (median of 5) | guarded, token in the query | bare |', '|---|---|---|---|---|---|---|---|');
for (const name of ['hls', 'shaka']) {
  const { micro } = await once(name, { src: SRC[name], micro: true }, () => window.playgateTest?.micro !== undefined);
  const guardedNs = median(micro.map((r) => r.guarded));
  const bareNs = median(micro.map((r) => r.bare));
  // Three ways, interleaved: guarded with the token in a header (a CORS preflight per new URL,
  // the page being on another origin than the gate), guarded with the token in the query, bare.
  const ways = { header: { tokenIn: 'header' }, query: { tokenIn: 'query' }, bare: { bare: true } };
  const frames = { header: [], query: [], bare: [] };
  for (let round = 0; round < 5; round++) {
    const order = Object.keys(ways);
    for (let i = 0; i < round % 3; i++) order.push(order.shift());
    for (const way of order) {
      const s = await once(name, { src: SRC[name], ...ways[way] }, () => typeof window.playgateTest?.firstFrameMs === 'number');
      frames[way].push(s.firstFrameMs);
    }
  }
  const [h, q, b] = ['header', 'query', 'bare'].map((way) => median(frames[way]));
  const added = (guardedNs - bareNs) / 1000;
  lines.push(`| ${name === 'hls' ? 'hls.js' : 'Shaka'} | ${(guardedNs / 1000).toFixed(2)} us | ${(bareNs / 1000).toFixed(2)} us | ${added.toFixed(2)} us | ${added < 5 ? 'PASS' : 'MISS'} | ${h.toFixed(0)} ms (${(h / b).toFixed(2)}x) | ${q.toFixed(0)} ms (${(q / b).toFixed(2)}x) | ${b.toFixed(0)} ms |`);
  console.error(`[players] ${name}: first frames ${Object.entries(frames).map(([way, f]) => `${way} ${f.map((x) => x.toFixed(0)).join(' ')}`).join('; ')} ms`);
}
console.log(lines.join('\n'));
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'results', 'players.md'), `${lines.join('\n')}\n`);
for (const fn of cleanups) await fn();
await pages.close();
await emu.close();
