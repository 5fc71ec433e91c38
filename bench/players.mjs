// The player guards' cost (issue 16, point 6), in headless Chromium with the real hls.js and
// Shaka Player, the pages of the tests (tests/players/*-page.mjs) bundled from the packed package:
//   - the hook's own cost per request: hls.js's loader path with a loader that sends nothing,
//     guarded (guardHls) and bare; Shaka's request filter (guardShaka's) against one that does
//     nothing; 1,000 distinct segment URLs, 5 rounds of 50,000 calls, in the page. Target: under
//     5 us per request more than the bare path.
//   - time to first frame: from loadSource/load to the first frame the video presents
//     (requestVideoFrameCallback), guarded and bare, the ladder played through the edge gate in
//     workerd (tests/node/media-stack.mjs), 5 interleaved rounds each, a fresh browser context
//     every time. Bare: the token in the master's query and the gate's segment tokens after it.
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
lines.push('| player | hook per request, guarded | bare | the guard adds | target < 5 us | first frame, guarded (median of 5) | bare | ratio |', '|---|---|---|---|---|---|---|---|');
for (const name of ['hls', 'shaka']) {
  const { micro } = await once(name, { src: SRC[name], micro: true }, () => window.playgateTest?.micro !== undefined);
  const guardedNs = median(micro.map((r) => r.guarded));
  const bareNs = median(micro.map((r) => r.bare));
  const frames = { guarded: [], bare: [] };
  for (let round = 0; round < 5; round++) {
    for (const bare of round % 2 === 0 ? [false, true] : [true, false]) {
      const s = await once(name, { src: SRC[name], bare }, () => typeof window.playgateTest?.firstFrameMs === 'number');
      frames[bare ? 'bare' : 'guarded'].push(s.firstFrameMs);
    }
  }
  const g = median(frames.guarded);
  const b = median(frames.bare);
  const added = (guardedNs - bareNs) / 1000;
  lines.push(`| ${name === 'hls' ? 'hls.js' : 'Shaka'} | ${(guardedNs / 1000).toFixed(2)} us | ${(bareNs / 1000).toFixed(2)} us | ${added.toFixed(2)} us | ${added < 5 ? 'PASS' : 'MISS'} | ${g.toFixed(0)} ms | ${b.toFixed(0)} ms | ${(g / b).toFixed(2)}x |`);
  console.error(`[players] ${name}: first frames guarded ${frames.guarded.map((x) => x.toFixed(0)).join(' ')} ms, bare ${frames.bare.map((x) => x.toFixed(0)).join(' ')} ms`);
}
console.log(lines.join('\n'));
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'results', 'players.md'), `${lines.join('\n')}\n`);
for (const fn of cleanups) await fn();
await pages.close();
await emu.close();
