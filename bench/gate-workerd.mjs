// The edge gate in real workerd under load (issue 15, point 6): playgate's gate (createGate from
// `playgate/edge`, bench/workers/playgate-gate.mjs) against the same gate written with jose as a
// careful user writes it (key imported once, `jwtVerify` per request, bench/workers/jose-gate.mjs)
// and a worker that decides nothing (bench/workers/noop.mjs), the floor. For information, a
// fourth: the floor that first reads the method, the URL and `Authorization`
// (bench/workers/reader.mjs), what the platform costs any gate before it decides.
//
//   node bench/gate-workerd.mjs        # the package in <repo>/pkg (PLAYGATE_PKG=... for another)
//
// Workers: each bundled from the PACKED package as wrangler bundles one (tests/node/helpers.mjs
// installPacked, tests/node/workerd-bundle.mjs bundleWorker: esbuild with the workerd, worker and
// browser conditions, each .wasm a CompiledWasm module). One workerd process per worker, holding
// two copies of it (two isolates, two ports), one per origin:
//   gate alone: the origin is a stub inside the isolate answering a 188-byte body (the gates get
//     it through the `fetch` option of createGate and the jose worker's origin function; the
//     floor returns it). No network behind the worker: what is measured is the gate and workerd's
//     own serving, and requests/s is bounded by the worker's core, not by an origin process.
//   proxying: every allowed request is fetched by workerd from a loopback node:http origin (a
//     child process) answering an 18,800-byte segment; the floor proxies every request.
// Traffic (autocannon, in this process): VIEWERS viewers (1,000), each with its own ES256 playback
// token (5-minute exp, minted with node:crypto before the timed part: scope keyPrefix of the
// viewer's title, ent.maxQuality SD or HD, no country), requests cycling through the viewers so that each
// fetches its segments in turn; a viewer's token changes every REUSE (50) of its segments (6-second
// segments under a 5-minute token), each viewer at its own segment, so that 1/REUSE of requests
// bring a new token at any time (the "new tokens" column). A timed run is preceded by one untimed
// pass over the viewers with their current tokens (the steady state of viewers already watching;
// without it a run shorter than 50 passes would be mostly first uses). 10% of requests are refused
// (half out of scope: another title; half above the cap: 2160p), decided the same by both gates.
// Scenarios: reuse/gate alone, reuse/proxying, and never-seen tokens/gate alone (every request
// carries a token minted for it: a pool of BENCH_FRESH_TOKENS per round, shared by the four
// workerd processes, which share nothing). Fresh tokens every round and scenario, so a round never
// finds the previous round's tokens cached.
// Measures per worker and scenario: requests/s (responses over the run's wall time), p50/p99
// latency (every response, from autocannon's per-response times), workerd CPU per request
// (utime+stime of the workerd process, all its threads, from /proc/<pid>/stat, over the run,
// divided by the responses) and how busy workerd was (CPU over wall: below ~90% something else
// bounded requests/s: the load generator, the origin, or other work on a shared machine; then
// "x floor by CPU", the floor's CPU per request over the worker's, is the requests/s ratio a
// saturated workerd would show, and the target rows print both). Rounds interleave the workers,
// and within a round their time is cut in BENCH_SLICES slices taken in turn (the order rotated
// each slice): a worker's round is the sum of its slices. This machine's floor moves by 20%
// within a minute, and a worker's 5 s taken whole, 10 s from the floor's, made per-round ratios
// of 0.59-0.92x for code that did not change. A ratio to the floor or to jose is the median of
// the per-round ratios (differences for CPU net of the floor), so drift hits both sides.
// Pinning (when taskset exists and there are 2+ cores): workerd on core 1, this process (the load
// generator) and the origin on core 0. Gzipped size: gzip -9 (Node zlib) of the worker's script
// and of each wasm module, summed (the proxying bundle: the worker as deployed).
// Checked before timing: every worker answers a sample of requests (allowed, both refusals, no
// token, a forged and an expired token) with the expected status, code and body, on both origins;
// a timed run whose statuses are not the expected mix is reported as invalid. Exits 1 on a failed
// check; a missed target is reported, not an error.
// Knobs (env): BENCH_ROUNDS (5), BENCH_ROUND_SECONDS (5, per worker and scenario), BENCH_SLICES (5),
// BENCH_WARMUP_SECONDS (2),
// BENCH_CONNECTIONS (16), BENCH_VIEWERS (1000), BENCH_REUSE (50), BENCH_FRESH_TOKENS (tokens
// minted per round for the never-seen scenario; default 12,000 per round second).
// Writes bench/results/gate-workerd.md and .json.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const SEGMENT_BYTES = 18_800; // 100 MPEG-TS packets
const STUB_BYTES = 188; // one

// The origin, as a child process (its own event loop and, pinned, the load generator's core).
if (process.argv[2] === 'origin') {
  const body = Buffer.alloc(SEGMENT_BYTES, 0x47);
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 120_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
} else {
  await main();
}

async function main() {
  const { PKG, freePort, installPacked } = await import('../tests/node/helpers.mjs');
  const { WORKERD, bundleWorker, workerdConfig } = await import('../tests/node/workerd-bundle.mjs');
  const { stats } = await import('./stats.mjs');
  const { gateTraffic } = await import('./gate-traffic.mjs');
  const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
  const autocannon = require('autocannon');

  const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
  const SECONDS = Number(process.env.BENCH_ROUND_SECONDS || 5);
  const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS || 2);
  const SLICES = Math.max(1, Math.round(Number(process.env.BENCH_SLICES || 5)));
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
  const VIEWERS = Number(process.env.BENCH_VIEWERS || 1000);
  const REUSE = Number(process.env.BENCH_REUSE || 50);
  const FRESH = Number(process.env.BENCH_FRESH_TOKENS || 12_000 * SECONDS);
  const TITLES = 100;
  const TARGETS = { cpuReuse: 1 / 5, cpuFresh: 1, rpsAlone: 0.8, rpsProxy: 0.85, gzipBytes: 150 * 1024 };
  const RESULTS = path.join(HERE, 'results');
  const log = (...args) => console.error('[gate-workerd]', ...args);

  if (!existsSync(path.join(PKG, 'edge'))) throw new Error(`no built package at ${PKG} (./build.sh build)`);
  if (!existsSync(WORKERD)) throw new Error(`workerd missing: ${WORKERD} (./build.sh setup)`);

  // ---- pinning (the core count first: pinned, this process sees one)
  const CORES = os.availableParallelism();
  const pin = existsSync('/usr/bin/taskset') && CORES >= 2;
  if (pin) spawnSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
  const pinned = (core, cmd, args) => (pin ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);
  const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  /** utime + stime (+ waited-for children's) of a process, all its threads, in seconds. */
  function cpuSeconds(pid) {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
  }

  // ---- processes (all ended on exit, by pid)
  const children = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'playgate-gate-bench-'));
  const cleanup = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(130));

  const [oCmd, oArgs] = pinned(0, process.execPath, [fileURLToPath(import.meta.url), 'origin']);
  const origin = spawn(oCmd, oArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(origin);
  const originPort = await new Promise((resolve, reject) => {
    origin.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    origin.once('exit', (code) => reject(new Error(`the origin exited (${code})`)));
  });
  const ORIGIN = `http://127.0.0.1:${originPort}`;

  // ---- keys and tokens (bench/gate-traffic.mjs)
  const { JWKS, mint, segment } = gateTraffic({ titles: TITLES });
  // Request i of a run: viewer i mod VIEWERS, its segment i / VIEWERS; the token of that segment.
  // Reuse: a viewer's token changes every REUSE segments, at a segment of its own (viewers started
  // at different times), so any pass over the viewers brings VIEWERS / REUSE new tokens, as in a
  // steady state; a run is preceded by one untimed pass (PRIME), the viewers' current tokens, so a
  // short run is not all first uses. Fresh: token i of the pool.
  const PRIME = VIEWERS;
  const GENERATIONS = 2 + Math.ceil((40_000 * SECONDS + PRIME) / (VIEWERS * REUSE)); // up to 40,000 req/s
  function reuseTraffic() {
    const tokens = Array.from({ length: VIEWERS * GENERATIONS }, (_, j) => mint(j % VIEWERS));
    return {
      tokens,
      prime: PRIME,
      at(i) {
        const v = i % VIEWERS;
        const n = Math.floor(i / VIEWERS);
        const t = (Math.floor((n + (v % REUSE)) / REUSE) % GENERATIONS) * VIEWERS + v;
        return { ...segment(v, n), t, token: tokens[t] };
      },
    };
  }
  function freshTraffic(pool) {
    return {
      tokens: pool,
      prime: 0,
      at(i) {
        const t = i % pool.length; // pool token t was minted for viewer t mod VIEWERS
        return { ...segment(t % VIEWERS, Math.floor(i / VIEWERS)), t, token: pool[t] };
      },
    };
  }

  // ---- workers
  log(`installing the packed package (${PKG}) and bundling four workers`);
  installPacked(dir);
  mkdirSync(path.join(dir, 'src'));
  const WORKERS = [
    { name: 'noop', label: 'no-op worker (floor)', source: 'noop.mjs' },
    { name: 'jose', label: 'jose gate', source: 'jose-gate.mjs' },
    { name: 'playgate', label: 'playgate gate', source: 'playgate-gate.mjs' },
    // For information: the floor plus reading what any gate reads (bench/workers/reader.mjs).
    { name: 'reader', label: 'reading floor (method, URL, Authorization)', source: 'reader.mjs', floor: true },
  ];
  const MODES = ['stub', 'proxy'];
  for (const w of WORKERS) {
    copyFileSync(path.join(HERE, 'workers', w.source), path.join(dir, 'src', w.source));
    w.ports = {};
    const services = [];
    for (const mode of MODES) {
      // The worker's constants, as a user's worker holds them (a module of its own).
      writeFileSync(path.join(dir, 'src', 'config.mjs'), [
        `export const JWKS = ${JSON.stringify(JWKS)};`,
        `export const ORIGIN = ${JSON.stringify(ORIGIN)};`,
        `export const MODE = ${JSON.stringify(mode)};`,
        'export const SEGMENT_TOKENS = null;',
        `const STUB = new Uint8Array(${STUB_BYTES}).fill(0x47);`,
        'export const stubOrigin = () => new Response(STUB, { headers: { \'content-type\': \'video/mp2t\' } });',
        '',
      ].join('\n'));
      const dist = `dist/${w.name}-${mode}`;
      const wasmModules = await bundleWorker(path.join(dir, 'src', w.source), path.join(dir, dist),
        { nodePaths: [path.join(ROOT, 'tests', 'node_modules')] }); // jose from the test dependencies
      w.ports[mode] = await freePort();
      services.push({ port: w.ports[mode], dist, wasmModules });
      if (mode === 'proxy') {
        const parts = [['worker.js', readFileSync(path.join(dir, dist, 'worker.js'))],
          ...wasmModules.map((m) => [m.replace(/^[0-9a-f]{40}-/, ''), readFileSync(path.join(dir, dist, m))])];
        w.size = { parts: Object.fromEntries(parts.map(([n, b]) => [n, { raw: b.length, gzip9: zlib.gzipSync(b, { level: 9 }).length }])) };
        w.size.gzip9 = Object.values(w.size.parts).reduce((s, p) => s + p.gzip9, 0);
      }
    }
    const configPath = path.join(dir, `${w.name}.capnp`);
    writeFileSync(configPath, workerdConfig(services));
    const [cmd, args] = pinned(1, WORKERD, ['serve', configPath]);
    w.child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    w.output = '';
    w.child.stderr.on('data', (d) => { w.output += d; });
    children.push(w.child);
  }
  // Ready: every port answers (workerd compiles the wasm at startup).
  for (const w of WORKERS) {
    for (const mode of MODES) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        if (w.child.exitCode !== null) throw new Error(`${w.name}: workerd exited (${w.child.exitCode}):\n${w.output}`);
        try {
          await (await fetch(`http://127.0.0.1:${w.ports[mode]}/`, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
          break;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`${w.name}/${mode}: no answer in 30 s: ${error.message}\n${w.output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  // ---- correctness, before any timing
  {
    const traffic = reuseTraffic();
    const sample = [];
    for (let i = 0; i < 60; i++) sample.push(traffic.at(i * 997 + (i % 7)));
    for (let i = VIEWERS * 9; i < VIEWERS * 9 + 40; i++) sample.push(traffic.at(i));
    const good = traffic.at(0);
    const [h, p, s] = good.token.split('.');
    sample.push({ path: good.path, token: null, status: 401, code: 'TOKEN_MISSING' });
    sample.push({ path: good.path, token: `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`, status: 401, code: 'BAD_SIGNATURE' });
    sample.push({ path: good.path, token: mint(0, { iat: Math.floor(Date.now() / 1000) - 1200 }), status: 401, code: 'TOKEN_EXPIRED' });
    const kinds = new Set(sample.map((r) => r.code));
    if (!kinds.has(null) || !kinds.has('SCOPE_DENIED') || !kinds.has('QUALITY_EXCEEDS_ENTITLEMENT')) throw new Error('the sample lacks a kind of request');
    const failures = [];
    for (const w of WORKERS) {
      for (const mode of MODES) {
        for (const r of sample) {
          const res = await fetch(`http://127.0.0.1:${w.ports[mode]}${r.path}`, {
            headers: r.token === null ? {} : { authorization: `Bearer ${r.token}` }, signal: AbortSignal.timeout(5000),
          });
          const body = Buffer.from(await res.arrayBuffer());
          const want = w.name === 'noop' || w.floor ? { status: 200, code: null } : r;
          let code = null;
          if (res.status !== 200) {
            try { code = JSON.parse(body).code; } catch { code = `not JSON: ${body.subarray(0, 80)}`; }
          } else if (body.length !== (mode === 'proxy' ? SEGMENT_BYTES : STUB_BYTES)) code = `a ${body.length}-byte body`;
          if (res.status !== want.status || code !== want.code) {
            failures.push(`${w.name}/${mode} ${r.path}: ${res.status} ${code}, expected ${want.status} ${want.code}`);
          }
        }
      }
    }
    if (failures.length > 0) {
      for (const w of WORKERS) if (w.output) log(`${w.name} workerd output:\n${w.output.slice(-2000)}`);
      throw new Error(`${failures.length} answers differ from the expected ones:\n${failures.slice(0, 20).join('\n')}`);
    }
    log(`checked: ${sample.length} requests x ${WORKERS.length} workers x ${MODES.length} origins give the expected status, code and body`);
  }

  // ---- one timed measurement of a worker: a session, run in slices
  // A session's requests continue through its slices (request i of the session is traffic.at(i)),
  // and its figures are the sums over the slices: the rounds interleave the workers slice by slice
  // (BENCH_SLICES a round), so a spell of other work on the machine falls on all of them alike.
  function session(w, mode, traffic) {
    let next = 0;
    const used = new Uint8Array(traffic.tokens.length);
    let firstUses = 0;
    let timed = false;
    const expected = new Map(); // status -> count, from the model, in the timed part
    const statuses = new Map();
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const sum = { wall: 0, cpu: 0, load: 0, origin: 0, errors: 0, timeouts: 0 };
    const opts = {
      url: `http://127.0.0.1:${w.ports[mode]}`,
      connections: CONNECTIONS,
      requests: [{
        method: 'GET',
        setupRequest(req) {
          const r = traffic.at(next++);
          if (used[r.t] === 0) {
            used[r.t] = 1;
            if (timed) firstUses++;
          }
          if (timed) {
            const status = w.name === 'noop' || w.floor ? 200 : r.status;
            expected.set(status, (expected.get(status) ?? 0) + 1);
          }
          return { ...req, path: r.path, headers: { authorization: `Bearer ${r.token}` } };
        },
      }],
    };
    return {
      /** The untimed pass (reuse: the viewers' current tokens). */
      async prime() {
        if (traffic.prime === 0) return;
        await new Promise((resolve, reject) => autocannon({ ...opts, amount: traffic.prime },
          (error, res) => (error ? reject(error) : res.errors + res.timeouts > 0 ? reject(new Error(`${w.name}: the priming pass failed`)) : resolve())));
      },
      /** One timed slice of `seconds`. */
      async slice(seconds) {
        timed = true;
        const cpu0 = cpuSeconds(w.child.pid);
        const load0 = process.cpuUsage();
        const origin0 = cpuSeconds(origin.pid);
        const t0 = process.hrtime.bigint();
        const result = await new Promise((resolve, reject) => {
          const instance = autocannon({ ...opts, duration: seconds }, (error, res) => (error ? reject(error) : resolve(res)));
          instance.on('response', (client, statusCode, bytes, ms) => {
            if (count === latencies.length) {
              const grown = new Float64Array(latencies.length * 2);
              grown.set(latencies);
              latencies = grown;
            }
            latencies[count++] = ms;
            statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
          });
        });
        sum.wall += Number(process.hrtime.bigint() - t0) / 1e9;
        sum.cpu += cpuSeconds(w.child.pid) - cpu0;
        const load = process.cpuUsage(load0);
        sum.load += (load.user + load.system) / 1e6;
        sum.origin += cpuSeconds(origin.pid) - origin0;
        sum.errors += result.errors;
        sum.timeouts += result.timeouts;
      },
      /** The session's figures, over all its slices. */
      result() {
        const { wall, cpu } = sum;
        const sorted = latencies.subarray(0, count).sort();
        const at = (q) => sorted[Math.min(count - 1, Math.round((count - 1) * q))];
        const refused = count - (statuses.get(200) ?? 0);
        // Valid: no errors or timeouts, only the statuses the model gives, refusals within a point
        // of what the model sent (requests still being set up at the end make the two differ).
        const sent = [...expected.values()].reduce((a, b) => a + b, 0);
        const refusedSent = sent - (expected.get(200) ?? 0);
        const unexpected = [...statuses.keys()].filter((s) => !expected.has(s));
        const problems = [];
        if (sum.errors > 0 || sum.timeouts > 0) problems.push(`${sum.errors} errors, ${sum.timeouts} timeouts`);
        if (unexpected.length > 0) problems.push(`unexpected statuses ${unexpected.join(', ')}`);
        if (Math.abs(refused / count - refusedSent / sent) > 0.01) problems.push(`refused ${refused}/${count}, sent ${refusedSent}/${sent}`);
        return {
          requests: count, wall, rps: count / wall, p50Ms: at(0.5), p99Ms: at(0.99),
          cpuUsPerRequest: (cpu / count) * 1e6, workerdBusy: cpu / wall,
          loadgenBusy: sum.load / wall, originBusy: sum.origin / wall,
          refusedShare: refused / count, newTokenShare: firstUses / sent,
          statuses: Object.fromEntries(statuses), problems,
        };
      },
    };
  }

  // ---- warm-up, then interleaved rounds
  const SCENARIOS = [
    { key: 'reuse-alone', label: `gate alone, tokens reused (~${REUSE} requests each)`, mode: 'stub', fresh: false },
    { key: 'reuse-proxy', label: `proxying ${SEGMENT_BYTES} B segments, tokens reused`, mode: 'proxy', fresh: false },
    { key: 'fresh-alone', label: 'gate alone, never-seen tokens', mode: 'stub', fresh: true },
  ];
  log(`warm-up: ${WARMUP} s per worker and origin`);
  for (const w of WORKERS) {
    for (const mode of MODES) {
      const warm = session(w, mode, reuseTraffic());
      await warm.prime();
      await warm.slice(WARMUP);
    }
  }
  const runs = Object.fromEntries(SCENARIOS.map((s) => [s.key, Object.fromEntries(WORKERS.map((w) => [w.name, []]))]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = WORKERS.map((_, i) => WORKERS[(i + round) % WORKERS.length]);
    const pool = Array.from({ length: FRESH }, (_, j) => mint(j % VIEWERS));
    for (const s of SCENARIOS) {
      // The pool is shared by the workers (separate processes: none has seen another's tokens).
      const traffic = s.fresh ? null : reuseTraffic();
      const sessions = new Map(order.map((w) => [w, session(w, s.mode, s.fresh ? freshTraffic(pool) : traffic)]));
      for (const w of order) await sessions.get(w).prime();
      // The slices: every worker in turn, the order rotated each slice.
      for (let k = 0; k < SLICES; k++) {
        for (let i = 0; i < order.length; i++) await sessions.get(order[(i + k) % order.length]).slice(SECONDS / SLICES);
      }
      for (const w of order) {
        const r = sessions.get(w).result();
        runs[s.key][w.name].push(r);
        log(`round ${round + 1}/${ROUNDS} ${s.key} ${w.name}: ${r.rps.toFixed(0)} req/s, ${r.cpuUsPerRequest.toFixed(0)} us CPU/req, `
          + `p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, workerd ${(r.workerdBusy * 100).toFixed(0)}% busy, `
          + `load generator ${(r.loadgenBusy * 100).toFixed(0)}%, origin ${(r.originBusy * 100).toFixed(0)}%, ${(r.newTokenShare * 100).toFixed(1)}% new tokens${r.problems.length ? `; INVALID: ${r.problems.join('; ')}` : ''}`);
      }
    }
  }
  for (const w of WORKERS) if (w.child.exitCode !== null) throw new Error(`${w.name}: workerd exited during the bench:\n${w.output}`);

  // ---- summary
  const med = (xs) => stats(xs).median;
  const summary = {};
  for (const s of SCENARIOS) {
    summary[s.key] = {};
    const floor = runs[s.key].noop;
    const jose = runs[s.key].jose;
    for (const w of WORKERS) {
      const rs = runs[s.key][w.name];
      const pick = (k) => med(rs.map((r) => r[k]));
      summary[s.key][w.name] = {
        rps: pick('rps'), p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms'), cpuUsPerRequest: pick('cpuUsPerRequest'),
        workerdBusy: pick('workerdBusy'), loadgenBusy: pick('loadgenBusy'), originBusy: pick('originBusy'), newTokenShare: pick('newTokenShare'),
        refusedShare: pick('refusedShare'),
        // Paired by round: the same round's floor and jose.
        cpuNetUs: med(rs.map((r, i) => r.cpuUsPerRequest - floor[i].cpuUsPerRequest)),
        rpsXFloor: med(rs.map((r, i) => r.rps / floor[i].rps)),
        rpsXFloorRounds: rs.map((r, i) => r.rps / floor[i].rps),
        // What requests/s would be on a saturated core (1 / CPU per request), against the floor's:
        // the requests/s ratio of a quiet machine, read here when other work kept workerd idle.
        cpuRpsXFloor: med(rs.map((r, i) => floor[i].cpuUsPerRequest / r.cpuUsPerRequest)),
        cpuNetXJoseRounds: rs.map((r, i) => (r.cpuUsPerRequest - floor[i].cpuUsPerRequest) / (jose[i].cpuUsPerRequest - floor[i].cpuUsPerRequest)),
        cpuNetXJose: w.name === 'noop' ? null : med(rs.map((r, i) => (r.cpuUsPerRequest - floor[i].cpuUsPerRequest) / (jose[i].cpuUsPerRequest - floor[i].cpuUsPerRequest))),
        invalidRuns: rs.filter((r) => r.problems.length > 0).length,
      };
    }
  }
  const pg = (k) => summary[k].playgate;
  // The spread behind a median: each round's ratio, lowest to highest.
  const rounds = (xs) => `rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;
  const rpsText = (k) => `${pg(k).rpsXFloor.toFixed(2)}x the floor (${rounds(pg(k).rpsXFloorRounds)}; workerd ${(pg(k).workerdBusy * 100).toFixed(0)}% busy, `
    + `the floor's ${(summary[k].noop.workerdBusy * 100).toFixed(0)}%; by CPU per request ${pg(k).cpuRpsXFloor.toFixed(2)}x)`;
  const targets = [
    ['gate CPU net of the floor, tokens reused', `${pg('reuse-alone').cpuNetXJose.toFixed(2)}x jose's (${rounds(pg('reuse-alone').cpuNetXJoseRounds)})`, `<= ${TARGETS.cpuReuse}x`, pg('reuse-alone').cpuNetXJose <= TARGETS.cpuReuse],
    ['gate CPU net of the floor, never-seen tokens', `${pg('fresh-alone').cpuNetXJose.toFixed(2)}x jose's (${rounds(pg('fresh-alone').cpuNetXJoseRounds)})`, `<= ${TARGETS.cpuFresh}x`, pg('fresh-alone').cpuNetXJose <= TARGETS.cpuFresh],
    ['requests/s, gate alone', rpsText('reuse-alone'), `>= ${TARGETS.rpsAlone}x`, pg('reuse-alone').rpsXFloor >= TARGETS.rpsAlone],
    ['requests/s, proxying', rpsText('reuse-proxy'), `>= ${TARGETS.rpsProxy}x`, pg('reuse-proxy').rpsXFloor >= TARGETS.rpsProxy],
    ['edge worker (script + wasm), gzip -9', `${(WORKERS[2].size.gzip9 / 1024).toFixed(1)} KiB`, `<= ${TARGETS.gzipBytes / 1024} KiB`, WORKERS[2].size.gzip9 <= TARGETS.gzipBytes],
  ];

  const f0 = (x) => x.toFixed(0);
  const lines = [
    `# The edge gate in workerd (issue 15, point 6), ${new Date().toISOString()}`,
    '',
    `${ROUNDS} interleaved rounds of ${SECONDS} s per worker and scenario (in ${SLICES} slices taken in turn), medians; ${CONNECTIONS} connections (autocannon); `
      + `${VIEWERS} viewers, ES256 tokens; ${pin ? 'workerd pinned to core 1, load generator and origin to core 0' : 'not pinned'}; `
      + `${CORES} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end. Ratios: medians of per-round ratios.`,
    '',
    '| scenario | worker | requests/s | x floor | x floor by CPU | p50 ms | p99 ms | workerd CPU us/req | net of floor | net x jose | workerd busy | load gen busy | new tokens | refused | invalid runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of SCENARIOS) {
    for (const w of WORKERS) {
      const m = summary[s.key][w.name];
      lines.push(`| ${s.label} | ${w.label} | ${f0(m.rps)} | ${m.rpsXFloor.toFixed(2)} | ${m.cpuRpsXFloor.toFixed(2)} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${f0(m.cpuUsPerRequest)} | `
        + `${w.name === 'noop' ? '–' : f0(m.cpuNetUs)} | ${m.cpuNetXJose === null ? '–' : m.cpuNetXJose.toFixed(2)} | ${f0(m.workerdBusy * 100)}% | ${f0(m.loadgenBusy * 100)}% | `
        + `${(m.newTokenShare * 100).toFixed(1)}% | ${(m.refusedShare * 100).toFixed(1)}% | ${m.invalidRuns}/${ROUNDS} |`);
    }
  }
  lines.push('', '| worker | gzip -9 (script + wasm) | parts |', '|---|---|---|');
  for (const w of WORKERS) {
    lines.push(`| ${w.label} | ${(w.size.gzip9 / 1024).toFixed(1)} KiB | ${Object.entries(w.size.parts).map(([n, p]) => `${n} ${p.gzip9} B`).join(', ')} |`);
  }
  lines.push('', '| target | measured | target | verdict |', '|---|---|---|---|');
  for (const [what, got, want, ok] of targets) lines.push(`| ${what} | ${got} | ${want} | ${ok ? 'PASS' : 'MISS'} |`);
  const overReader = runs['reuse-alone'].playgate.map((r, i) => r.rps / runs['reuse-alone'].reader[i].rps);
  lines.push('', `For information (no target): the reading floor is ${summary['reuse-alone'].reader.rpsXFloor.toFixed(2)}x the no-op floor's requests/s `
    + `(${rounds(summary['reuse-alone'].reader.rpsXFloorRounds)}), and the gate alone ${med(overReader).toFixed(2)}x the reading floor's (${rounds(overReader)}).`);
  const invalid = SCENARIOS.flatMap((s) => WORKERS.filter((w) => summary[s.key][w.name].invalidRuns > 0).map((w) => `${s.key}/${w.name}`));
  if (invalid.length > 0) lines.push('', `Runs with errors or an unexpected status mix (see the log): ${invalid.join(', ')}.`);
  const busy = SCENARIOS.flatMap((s) => WORKERS.filter((w) => summary[s.key][w.name].workerdBusy < 0.9).map((w) => `${s.key}/${w.name}`));
  if (busy.length > 0) lines.push('', `workerd below 90% busy (requests/s bounded by something else: the load generator, the origin, or other processes on workerd's core): ${busy.join(', ')}.`);
  const core0 = SCENARIOS.flatMap((s) => WORKERS.filter((w) => summary[s.key][w.name].loadgenBusy + summary[s.key][w.name].originBusy > 0.85).map((w) => `${s.key}/${w.name}`));
  if (core0.length > 0) lines.push('', `Load generator and origin over 85% of a core (they may have bounded requests/s): ${core0.join(', ')}.`);
  const table = lines.join('\n');
  console.log(table);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'gate-workerd.md'), `${table}\n`);
  writeFileSync(path.join(RESULTS, 'gate-workerd.json'), `${JSON.stringify({
    date: new Date().toISOString(), cores: CORES, loadavg: os.loadavg(), pinned: pin,
    knobs: { ROUNDS, SECONDS, SLICES, WARMUP, CONNECTIONS, VIEWERS, REUSE, FRESH, SEGMENT_BYTES, STUB_BYTES },
    targets: Object.fromEntries(targets.map(([what, got, want, ok]) => [what, { got, want, ok }])),
    sizes: Object.fromEntries(WORKERS.map((w) => [w.name, w.size])),
    summary, runs,
  }, null, 2)}\n`);
  log(`wrote ${path.join(RESULTS, 'gate-workerd.md')} and .json`);
  process.exit(0);
}
