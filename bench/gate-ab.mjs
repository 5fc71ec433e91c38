// An A/B of edge-gate variants in real workerd under load: the tool behind the README's
// "where the cached path's CPU goes" figures. bench/gate-workerd.mjs measures the package as
// shipped against jose; this one measures versions of the gate's JS against each other, paired by
// round, to find what a change is worth (a few us, where gate-workerd.mjs's spread between runs
// is larger).
//
//   node bench/gate-ab.mjs <name>=<js dir> [<name>=<js dir> ...] [--jose] [--fresh]
//        [--mode stub|proxy] [--headers browser|none] [--rounds 8] [--seconds 3]
//
// Each variant is the packed package (<repo>/pkg, or PLAYGATE_PKG) with its api.mjs bundled again
// from <js dir>/api.mjs: copy js/ to a directory, change it, and name it here. The first variant
// is the baseline of the "vs" column. The workers are gate-workerd.mjs's (bench/workers/), each in
// its own workerd pinned to core 1; autocannon and the origin on core 0; the no-op worker (the
// floor) always runs, the jose worker with --jose.
// Traffic: 1,000 viewers with their own ES256 token (all reused after a warm-up pass, or with
// --fresh a token never seen on every request), 100 titles, 10% refused as in gate-workerd.mjs;
// seven browser-like headers beside Authorization (--headers none: Authorization only).
// --segment-tokens: every request carries its viewer's segment token (`segment_token=`, made
// from the README's format) and no Authorization, as Safari's native HLS after the gate's playlist.
// --mode stub: the origin is a stub inside the isolate (the gate alone); proxy: a loopback
// node:http origin answering 18,800 bytes.
// Printed per worker: median CPU per request (utime + stime of its workerd over the run), net of
// the floor, paired difference to the first variant, requests/s and the refused share. Medians
// move by about +-3 us between runs with 8 rounds, and two copies of one code differ by up to
// 3 us paired at 16 rounds (measured): what the load runs can tell apart is 3 us and more.
// --perf: instead of the rounds, each worker sampled by Linux perf (`perf record -g`, V8 naming
// its JIT code) through one run of --seconds: where its CPU goes a request (the fetch handler,
// microtasks, GC, the kernel, HTTP), and what each gate's JS spends it in, frame by frame
// (bench/perf-profile.mjs). Sub-microsecond steps show there that the rounds cannot resolve.
// PERF_KEEP=<dir> keeps each worker's perf file (<name>.perf) and request count (<name>.n).
// --loop: no HTTP and no load generator: each variant's gate called N times in a loop inside one
// request of its workerd (bench/workers/loop-gate.mjs), the same requests as the load runs (the
// browser-like headers, 10% refused, every token seen before), less the same loop answering the
// stub without the gate; rounds interleave the variants. It sees the gate's own JS and what it
// calls, to a few tenths of a microsecond; not what a request costs the platform around it (HTTP,
// reading an incoming request: under load the gate's net is 4-6 times the loop's).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const VIEWERS = 1000;
const TITLES = 100;

await main();

/** The command line: variants, flags and options. */
function readArgs(argv) {
  const args = [...argv];
  const flag = (name) => {
    const i = args.indexOf(`--${name}`);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  const option = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const out = {
    jose: flag('jose'),
    fresh: flag('fresh'),
    segmentTokens: flag('segment-tokens'),
    perf: flag('perf'),
    loop: flag('loop'),
    mode: option('mode', 'stub'),
    headers: option('headers', 'browser'),
    rounds: Number(option('rounds', 8)),
    seconds: Number(option('seconds', 3)),
  };
  out.variants = args.map((a) => {
    const eq = a.indexOf('=');
    if (eq < 1) throw new Error(`expected <name>=<js dir>, got ${a}`);
    const js = path.resolve(a.slice(eq + 1));
    if (!existsSync(path.join(js, 'api.mjs'))) throw new Error(`${js}: no api.mjs`);
    return { name: a.slice(0, eq), js };
  });
  if (out.variants.length === 0 || (out.segmentTokens && (out.jose || out.fresh)) || (out.loop && (out.jose || out.fresh || out.perf || out.segmentTokens || out.mode !== 'stub')) || !['stub', 'proxy'].includes(out.mode) || !['browser', 'none'].includes(out.headers)
    || !(out.rounds > 0) || !(out.seconds > 0)) {
    throw new Error('usage: node bench/gate-ab.mjs <name>=<js dir> ... [--jose | --fresh | --segment-tokens] [--mode stub|proxy] [--headers browser|none] [--rounds N] [--seconds S] [--perf | --loop]');
  }
  return out;
}

async function main() {
  const { installPacked, freePort } = await import('../tests/node/helpers.mjs');
  const { WORKERD, bundleWorker, workerdConfig } = await import('../tests/node/workerd-bundle.mjs');
  const { stats } = await import('./stats.mjs');
  const { SEGMENT_SECRET, gateTraffic } = await import('./gate-traffic.mjs');
  const autocannon = createRequire(path.join(ROOT, 'tests', 'package.json'))('autocannon');
  const ESBUILD = path.join(ROOT, 'tests', 'node_modules', '.bin', 'esbuild');
  const opts = readArgs(process.argv.slice(2));
  const log = (...a) => console.error('[gate-ab]', ...a);

  // Pinning as gate-workerd.mjs pins: workerd on core 1, this process and the origin on core 0.
  const pin = existsSync('/usr/bin/taskset') && os.availableParallelism() >= 2;
  if (pin) spawnSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const pinned = (core, cmd, args) => (pin ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);
  const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const cpuSeconds = (pid) => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  };

  const children = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-ab-'));
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

  // gate-workerd.mjs's origin (its `origin` mode): 18,800 bytes for every request.
  const [oCmd, oArgs] = pinned(0, process.execPath, [path.join(HERE, 'gate-workerd.mjs'), 'origin']);
  const origin = spawn(oCmd, oArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(origin);
  const originPort = await new Promise((resolve) => origin.stdout.once('data', (d) => resolve(Number(String(d).trim()))));

  // Tokens and segments as gate-workerd.mjs makes them (bench/gate-traffic.mjs).
  const { JWKS, mint, segment, segmentToken } = gateTraffic({ titles: TITLES });
  const segmentPath = (v, n) => segment(v, n).path;
  const reused = Array.from({ length: VIEWERS }, (_, v) => mint(v, { lifetime: 3600 }));
  // --segment-tokens: each viewer's segment token in the query (`segment_token=`), no Authorization
  // (Safari's native HLS after the gate's playlist); the playback tokens are then only for the checks.
  const segmentTokens = opts.segmentTokens ? Array.from({ length: VIEWERS }, (_, v) => segmentToken(v)) : null;
  const BROWSER = opts.headers === 'none' ? {} : {
    'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
    accept: '*/*', 'accept-language': 'en-GB,en;q=0.9', 'accept-encoding': 'gzip, deflate, br',
    referer: 'https://player.example/watch/t1', origin: 'https://player.example', 'sec-fetch-mode': 'cors',
  };

  // The workers: one project each, the packed package copied in, the variant's api.mjs bundled
  // over the package's own (the form build.sh writes), then bundled as wrangler bundles.
  log(`installing the packed package; ${opts.variants.length} variant(s), mode ${opts.mode}${opts.fresh ? ', never-seen tokens' : ''}`);
  installPacked(dir);
  const workers = opts.loop ? opts.variants.map((v) => ({ ...v, source: 'loop-gate.mjs' })) : [
    { name: 'noop', source: 'noop.mjs', js: null },
    ...(opts.jose ? [{ name: 'jose', source: 'jose-gate.mjs', js: null }] : []),
    ...opts.variants.map((v) => ({ ...v, source: 'playgate-gate.mjs' })),
  ];
  for (const w of workers) {
    const wd = path.join(dir, `w-${w.name}`);
    mkdirSync(path.join(wd, 'src'), { recursive: true });
    cpSync(path.join(dir, 'node_modules'), path.join(wd, 'node_modules'), { recursive: true, dereference: true });
    if (w.js !== null) {
      execFileSync(ESBUILD, [path.join(w.js, 'api.mjs'), '--bundle', '--format=esm', '--platform=neutral', '--target=es2022',
        '--log-level=warning', `--outfile=${path.join(wd, 'node_modules', 'playgate', 'api.mjs')}`]);
    }
    writeFileSync(path.join(wd, 'src', 'config.mjs'), [
      `export const JWKS = ${JSON.stringify(JWKS)};`,
      `export const ORIGIN = ${JSON.stringify(`http://127.0.0.1:${originPort}`)};`,
      `export const MODE = ${JSON.stringify(opts.mode)};`,
      `export const SEGMENT_TOKENS = ${opts.segmentTokens ? JSON.stringify({ secret: SEGMENT_SECRET, lifetimeSeconds: 3600, via: 'uri' }) : 'null'};`,
      `export const BROWSER = ${JSON.stringify(BROWSER)};`,
      'const STUB = new Uint8Array(188).fill(0x47);',
      'export const stubOrigin = () => new Response(STUB, { headers: { \'content-type\': \'video/mp2t\' } });',
      '',
    ].join('\n'));
    copyFileSync(path.join(HERE, 'workers', w.source), path.join(wd, 'src', w.source));
    const wasmModules = await bundleWorker(path.join(wd, 'src', w.source), path.join(wd, 'dist'), { nodePaths: [path.join(ROOT, 'tests', 'node_modules')] });
    w.port = await freePort();
    let config = workerdConfig([{ port: w.port, dist: 'dist', wasmModules }]);
    // --perf: V8 names its JIT code for perf (/tmp/perf-<pid>.map).
    if (opts.perf) config = config.replace('const config :Workerd.Config = (', 'const config :Workerd.Config = (\n  v8Flags = ["--perf-basic-prof", "--interpreted-frames-native-stack"],');
    writeFileSync(path.join(wd, 'worker.capnp'), config);
    const [cmd, args] = pinned(1, WORKERD, ['serve', path.join(wd, 'worker.capnp')]);
    w.child = spawn(cmd, args, { cwd: wd, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(w.child);
  }
  if (opts.loop) await loops(workers, { cpuSeconds, log, rounds: opts.rounds, seconds: opts.seconds, reused, segment, VIEWERS, stats });
  // Ready, and right: an allowed segment is 200 from every worker.
  for (const w of workers) {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${w.port}${segmentPath(1, 0)}`, { headers: { authorization: `Bearer ${reused[1]}` }, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${w.name}: ${res.status} for an allowed segment`);
        break;
      } catch (error) {
        if (attempt > 300 || w.child.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // The segment tokens made here from the README's format open the viewer's folder, no other.
    if (segmentTokens !== null && w.name !== 'noop') {
      const status = async (p) => {
        const res = await fetch(`http://127.0.0.1:${w.port}${p}`, { signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer();
        return res.status;
      };
      if (await status(`${segmentPath(1, 0)}?segment_token=${segmentTokens[1]}`) !== 200) throw new Error(`${w.name}: a segment token refused`);
      if (await status(`${segmentPath(2, 0)}?segment_token=${segmentTokens[1]}`) !== 403) throw new Error(`${w.name}: a segment token let into another folder`);
    }
  }

  /** One timed run of `w`: CPU per request, requests/s, the refused share. */
  async function run(w, seconds) {
    const pool = opts.fresh ? Array.from({ length: 4000 * seconds }, (_, j) => mint(j % VIEWERS, { lifetime: 3600 })) : null;
    let next = 0;
    const cpu0 = cpuSeconds(w.child.pid);
    const result = await new Promise((resolve, reject) => autocannon({
      url: `http://127.0.0.1:${w.port}`,
      connections: 16,
      duration: seconds,
      requests: [{
        method: 'GET',
        setupRequest(req) {
          const i = next++;
          const t = pool === null ? i % VIEWERS : i % pool.length;
          const token = pool === null ? reused[t] : pool[t];
          const p = segmentPath(t % VIEWERS, Math.floor(i / VIEWERS));
          if (segmentTokens !== null) return { ...req, path: `${p}?segment_token=${segmentTokens[t % VIEWERS]}`, headers: BROWSER };
          return { ...req, path: p, headers: { ...BROWSER, authorization: `Bearer ${token}` } };
        },
      }],
    }, (error, res) => (error ? reject(error) : resolve(res))));
    const n = result.requests.total;
    if (result.errors + result.timeouts > 0) throw new Error(`${w.name}: ${result.errors} errors, ${result.timeouts} timeouts`);
    return { n, us: ((cpuSeconds(w.child.pid) - cpu0) / n) * 1e6, rps: n / seconds, refused: result.non2xx / n };
  }

  for (const w of workers) await run(w, 2); // warm-up (and, reused, every token seen once)
  if (opts.perf) await profiles(workers, run, dir, opts.seconds);
  const runs = Object.fromEntries(workers.map((w) => [w.name, []]));
  for (let round = 0; round < opts.rounds; round++) {
    for (let i = 0; i < workers.length; i++) {
      const w = workers[(i + round) % workers.length]; // the order rotated each round
      runs[w.name].push(await run(w, opts.seconds));
    }
    log(`round ${round + 1}/${opts.rounds}: ${workers.map((w) => `${w.name} ${runs[w.name].at(-1).us.toFixed(1)} us`).join(', ')}`);
  }
  const med = (xs) => stats(xs).median;
  const base = opts.variants[0].name;
  console.log(`| worker | CPU us/request | net of the floor | vs ${base} (paired) | requests/s | x floor | refused |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const w of workers) {
    const rs = runs[w.name];
    const paired = (other) => med(rs.map((r, i) => r.us - runs[other][i].us));
    console.log(`| ${w.name} | ${med(rs.map((r) => r.us)).toFixed(1)} | ${paired('noop').toFixed(1)} | ${paired(base).toFixed(1)} | `
      + `${med(rs.map((r) => r.rps)).toFixed(0)} | ${med(rs.map((r, i) => r.rps / runs.noop[i].rps)).toFixed(2)} | ${(med(rs.map((r) => r.refused)) * 100).toFixed(1)}% |`);
  }
  process.exit(0);
}

/**
 * --loop: each variant's gate called in a loop inside one request of its workerd (no HTTP, no
 * load generator), its CPU read before and after; the same loop with the stub answered without
 * the gate is the floor, taken just before. What a variant costs a call is (loop - floor) / n,
 * as a median over rounds that interleave the variants; the requests are the load runs' (1,000
 * viewers' tokens, all seen before the timing, 10% refused), with the browser-like headers.
 */
async function loops(workers, { cpuSeconds, log, rounds, seconds, reused, segment, VIEWERS, stats }) {
  const requests = Array.from({ length: VIEWERS * 10 }, (_, i) => {
    const v = i % VIEWERS;
    const { path: p, status } = segment(v, Math.floor(i / VIEWERS));
    return { path: p, token: reused[v], status };
  });
  const expected = (n) => { let ok = 0; for (let i = 0; i < n; i++) if (requests[i % requests.length].status === 200) ok++; return ok; };
  const call = async (w, query) => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${w.port}${query}`, query === '/__setup' ? { method: 'POST', body: JSON.stringify(requests) } : {});
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${w.name} ${query}: ${res.status} ${text.slice(0, 200)}`);
        return text;
      } catch (error) {
        if (attempt > 300 || w.child.exitCode !== null) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const timed = async (w, n, floor) => {
    const cpu0 = cpuSeconds(w.child.pid);
    const allowed = Number(await call(w, `/__loop?n=${n}${floor ? '&floor=1' : ''}`));
    const us = ((cpuSeconds(w.child.pid) - cpu0) / n) * 1e6;
    if (!floor && allowed !== expected(n)) throw new Error(`${w.name}: ${allowed} of ${n} allowed, expected ${expected(n)}`);
    return us;
  };
  for (const w of workers) {
    await call(w, '/__setup');
    await timed(w, requests.length, false); // every token verified once
  }
  // n: about `seconds` of gate calls a loop (calibrated on the first variant, ~30 us a call first).
  let n = Math.round((seconds * 1e6) / 30);
  const probe = await timed(workers[0], n, false);
  n = Math.max(1000, Math.round((seconds * 1e6) / probe));
  for (const w of workers) await timed(w, n, false); // warm
  const net = Object.fromEntries(workers.map((w) => [w.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < workers.length; i++) {
      const w = workers[(i + round) % workers.length];
      const floor = await timed(w, n, true);
      net[w.name].push((await timed(w, n, false)) - floor);
    }
    log(`loop round ${round + 1}/${rounds}: ${workers.map((w) => `${w.name} ${net[w.name].at(-1).toFixed(2)} us`).join(', ')}`);
  }
  const med = (xs) => stats(xs).median;
  const base = workers[0].name;
  const lines = [`| variant | gate us a call (loop - floor), median [min-max] | vs ${base} (paired) |`, '|---|---|---|'];
  for (const w of workers) {
    const xs = net[w.name];
    lines.push(`| ${w.name} | ${med(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}] | ${med(xs.map((x, i) => x - net[base][i])).toFixed(2)} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`, () => process.exit(0));
  await new Promise(() => {});
}

/**
 * --perf: each worker sampled by Linux perf through one run under the same load (perf records a
 * second longer; an idle workerd is not sampled), then where its CPU goes a request
 * (bench/perf-profile.mjs): the summary's rows side by side, and what each gate's JS
 * spends its time in.
 */
async function profiles(workers, run, dir, seconds) {
  const { perRequest, perfAvailable, readStacks, recordPerf } = await import('./perf-profile.mjs');
  if (!perfAvailable()) throw new Error('--perf: `perf record` does not run here (Debian: apt-get install linux-perf)');
  const figures = [];
  for (const w of workers) {
    const file = path.join(dir, `${w.name}.perf`);
    const recording = recordPerf(w.child.pid, file, seconds + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { n } = await run(w, seconds);
    await recording;
    figures.push({ name: w.name, ...perRequest(readStacks(file), n) });
    if (process.env.PERF_KEEP) { mkdirSync(process.env.PERF_KEEP, { recursive: true }); copyFileSync(file, path.join(process.env.PERF_KEEP, `${w.name}.perf`)); writeFileSync(path.join(process.env.PERF_KEEP, `${w.name}.n`), String(n)); }
    rmSync(`/tmp/perf-${w.child.pid}.map`, { force: true });
  }
  const lines = [];
  const fmt = (x) => x.toFixed(2);
  lines.push(`| us a request (perf samples) | ${figures.map((f) => f.name).join(' | ')} |`);
  lines.push(`|---|${figures.map(() => '---|').join('')}`);
  lines.push(`| all of workerd | ${figures.map((f) => fmt(f.total)).join(' | ')} |`);
  for (let i = 0; i < figures[0].rows.length; i++) lines.push(`| ${figures[0].rows[i][0]} | ${figures.map((f) => fmt(f.rows[i][1])).join(' | ')} |`);
  for (const f of figures.filter((x) => x.name !== 'noop' && x.name !== 'jose')) {
    lines.push(`\n${f.name}: its JS (the fetch handler, promise reactions) without Response constructors, by the frame its samples are in`);
    for (const [frame, us] of f.handler) lines.push(`${fmt(us).padStart(7)}  ${frame}`);
  }
  // Written whole before exiting (process.exit would cut a piped stdout short).
  process.stdout.write(`${lines.join('\n')}\n`, () => process.exit(0));
  await new Promise(() => {});
}

