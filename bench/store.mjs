// playgate entitlement-store benchmark (issue 4, point 5): decisions per second through
// `store.decide` with a warm store, and the latency a cold read from the cache emulator adds,
// against hand-written JS (a Map of pre-parsed documents + the baselines' checks; fetch +
// JSON.parse + the straightforward check), after checking that they decide identically.
//
//   node bench/store.mjs                 # ~20 s
//   BENCH_QUICK=1 node bench/store.mjs   # ~6 s smoke run
//   PLAYGATE_PKG=/tmp/pb-pkg node bench/store.mjs
//
// Prints a Markdown table, writes it to bench/results/store.md and the raw numbers to
// bench/results/store.json. Exits 1 if the cross-check fails; a missed target is reported
// (MISS), not an error. The cache emulator (www/cache-emulator.mjs) serves HTTP from this same
// Node process: its request handling (token verification included) shares the event loop and the
// CPU with the client, for every contender alike.
//
// Knobs (env): BENCH_ROUNDS (warm rounds, default 31), BENCH_SAMPLE_MS (default 30),
// BENCH_WARM_MS (warm-up per contender, default 600), BENCH_COLD_ROUNDS (default 31),
// BENCH_COLD_PER_ROUND (cold samples per contender and round, default 100).

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import { compileTuned, compileTunedPolicy, straightforwardEvaluate } from './baselines.mjs';
import { stats } from './stats.mjs';
import { startCacheEmulator } from '../www/cache-emulator.mjs';
import { loadVectors } from '../tests/node/helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const PKG = resolve(process.env.PLAYGATE_PKG || join(ROOT, 'pkg'));
const ENTRY = join(PKG, 'node', 'index.mjs');
const RESULTS = join(HERE, 'results');

const QUICK = process.env.BENCH_QUICK === '1';
const num = (name, full, quick) => Number(process.env[name] || (QUICK ? quick : full));
const ROUNDS = num('BENCH_ROUNDS', 31, 11);
const SAMPLE_MS = num('BENCH_SAMPLE_MS', 30, 20);
const WARM_MS = num('BENCH_WARM_MS', 600, 300);
const COLD_ROUNDS = num('BENCH_COLD_ROUNDS', 31, 11);
const COLD_PER_ROUND = num('BENCH_COLD_PER_ROUND', 100, 50);

const started = Date.now();
const log = (...args) => console.error('[store-bench]', ...args);

const playgate = await import(pathToFileURL(ENTRY).href);
const { Policy, Entitlement, CacheClient, EntitlementStore } = playgate;

// -------------------------------------------------------------------------------------------
// Fixtures
// -------------------------------------------------------------------------------------------

const NOW = Date.parse('2024-11-15T12:00:00Z');
const VECTORS = loadVectors('decisions.json');
const DOC = VECTORS.documents.seed000;
const DOC_TEXT = JSON.stringify(DOC);
// The vectors' Mosaic policy: its `premium` tier (the seed document's subscription_level) caps
// maxQuality at UHD1, so the policy takes part in every decision.
const POLICY = VECTORS.policies.mosaic;
const POLICY_TEXT = JSON.stringify(POLICY);
const CACHE_NAME = 'entitlements';

// 5 ids × 3 countries (coprime: the cycle is all 15 pairs); seed000 lists movie_id_123 and
// series_id_456 and allows the US only: 4 of 15 allowed, the rest CONTENT_NOT_ALLOWED and/or
// COUNTRY_NOT_ALLOWED.
const IDS = ['movie_id_123', 'series_id_456', 'movie_id_0', 'movie_id_7', 'episode_id_9'];
const COUNTRIES = ['US', 'US', 'CA'];
const REQUESTS = Array.from({ length: IDS.length * COUNTRIES.length }, (_, i) => ({
  entityId: IDS[i % IDS.length], country: COUNTRIES[i % COUNTRIES.length], device: 'web', now: NOW,
}));
const WARM_USERS = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
const COLD_USERS = Array.from({ length: 100 }, (_, i) => `cold-user-${String(i).padStart(3, '0')}`);

// -------------------------------------------------------------------------------------------
// Setup: emulator, token, documents, the store, the hand-written JS side
// -------------------------------------------------------------------------------------------

const emu = await startCacheEmulator({});
const token = emu.mintToken({ scope: { permissions: [{ role: 'readwrite', cache: {} }] }, lifetimeSeconds: 3600 });
for (const user of [...WARM_USERS, ...COLD_USERS]) emu.put(CACHE_NAME, user, DOC_TEXT);
let exitCode = 0;
try {
  await main();
} catch (error) {
  if (!error.reported) console.error(error);
  exitCode = 1;
} finally {
  await emu.close();
}
process.exit(exitCode);

async function main() {
  const policy = Policy.fromJson(POLICY_TEXT);
  const cache = new CacheClient({ token, baseUrl: emu.url, timeoutMs: 5000 });
  const store = new EntitlementStore({ cache, cacheName: CACHE_NAME, policy, maxEntries: 1000, clock: () => NOW });
  const tunedPolicy = compileTunedPolicy(POLICY);

  // Hand-written JS, warm: a Map of documents pre-parsed once per user (raw JSON for the
  // straightforward check, compiled for the tuned one), behind an async function like decide.
  const rawByUser = new Map();
  const tunedByUser = new Map();
  for (const user of WARM_USERS) {
    const raw = JSON.parse(DOC_TEXT);
    rawByUser.set(user, raw);
    tunedByUser.set(user, compileTuned(tunedPolicy, raw));
  }
  const jsWarmTuned = async (userKey, request) => tunedByUser.get(userKey).evaluate(request);
  const jsWarmStraightforward = async (userKey, request) => straightforwardEvaluate(POLICY, rawByUser.get(userKey), request);

  // Hand-written JS, cold: one GET, the body as text, JSON.parse, the straightforward check.
  const headers = { authorization: token };
  const urlOf = (userKey) => `${emu.url}/cache/${CACHE_NAME}?key=${encodeURIComponent(userKey)}`;
  async function jsCold(userKey, request) {
    const res = await fetch(urlOf(userKey), { headers });
    if (res.status !== 200) throw new Error(`GET ${userKey}: ${res.status} ${await res.text()}`);
    const doc = JSON.parse(await res.text());
    return straightforwardEvaluate(POLICY, doc, request);
  }
  // The floor: the same GET, body read as bytes, nothing decided.
  async function fetchFloor(userKey) {
    const res = await fetch(urlOf(userKey), { headers });
    if (res.status !== 200) throw new Error(`GET ${userKey}: ${res.status}`);
    return res.arrayBuffer();
  }

  // -----------------------------------------------------------------------------------------
  // 1. Cross-check (before any timing)
  // -----------------------------------------------------------------------------------------

  const FIELDS = ['allowed', 'code', 'maxQuality', 'validUntil'];
  const pick = (d) => Object.fromEntries(FIELDS.map((f) => [f, d[f]]));
  const failures = [];
  let fullEqual = 0, compared = 0, allowedCount = 0;
  const checkUser = WARM_USERS[0];
  const checkColdUser = COLD_USERS[0];
  for (const request of REQUESTS) {
    store.invalidate(checkColdUser);
    const got = {
      storeCold: await store.decide(checkColdUser, request), // a load from the emulator
      storeWarm: await store.decide(checkColdUser, request), // the document held
      jsTuned: await jsWarmTuned(checkUser, request),
      jsStraightforward: await jsWarmStraightforward(checkUser, request),
      jsCold: await jsCold(checkColdUser, request),
    };
    got.evaluate = policy.evaluate(store._entries.get(checkColdUser).ent, request);
    const expected = pick(got.storeCold);
    for (const [name, d] of Object.entries(got)) {
      compared++;
      if (!isDeepStrictEqual(pick(d), expected)) failures.push({ request, contender: name, got: pick(d), store: expected });
      if (isDeepStrictEqual(d, got.storeCold)) fullEqual++;
    }
    if (got.storeCold.allowed) allowedCount++;
  }
  if (failures.length > 0) {
    console.error(`Cross-check FAILED: playgate's store and the JS baselines do not decide identically (${FIELDS.join(', ')}).`);
    for (const f of failures.slice(0, 10)) console.error(JSON.stringify(f));
    throw Object.assign(new Error('cross-check failed'), { reported: true });
  }
  const check = {
    requests: REQUESTS.length, allowed: allowedCount, comparisons: compared, fields: FIELDS, fullDeepEqual: fullEqual,
    codes: [...new Set(REQUESTS.map((r) => straightforwardEvaluate(POLICY, DOC, r).code))],
  };
  log(`cross-check ok: ${REQUESTS.length} requests (${allowedCount} allowed) × 6 paths agree on ${FIELDS.join(', ')}; `
    + `${fullEqual}/${compared} decisions deep-equal in full`);

  // Load the 1,000 warm users (one cold read each); the store then holds them all.
  for (const user of WARM_USERS) {
    const d = await store.decide(user, REQUESTS[0]);
    if (d.cause) throw new Error(`warm user ${user}: ${d.code} (${d.cause.code}: ${d.cause.message})`);
  }
  if (store.size !== 1000) throw new Error(`store holds ${store.size} documents, expected 1000`);
  const heldEnts = WARM_USERS.map((u) => store._entries.get(u)?.ent ?? Entitlement.fromBlob(DOC_TEXT));
  const entByUser = new Map(WARM_USERS.map((u, i) => [u, heldEnts[i]]));
  const asyncEvaluate = async (userKey, request) => policy.evaluate(entByUser.get(userKey), request);
  const statsBefore = { ...store.stats };

  // -----------------------------------------------------------------------------------------
  // 2. Warm: interleaved rounds, medians (the method of bench.mjs, with async loops)
  // -----------------------------------------------------------------------------------------

  let blackhole = 0;
  const keep = new Array(64);

  /**
   * A timed loop with its own compiled code (no shared type feedback between contenders).
   * `call` is an expression of `user` (key), `u` (its index), `r` (the request) and `ctx`;
   * `awaited`: the loop awaits each result (the async contenders), else it is a plain loop.
   */
  function decisionLoop(call, ctx, awaited) {
    return new Function('ctx', 'users', 'reqs', 'keep', `
      const ulen = users.length, len = reqs.length; let u = 0, j = 0;
      return ${awaited ? 'async ' : ''}function run(n) {
        let sink = 0;
        for (let i = 0; i < n; i++) {
          const r = reqs[j], user = users[u];
          const d = ${awaited ? 'await ' : ''}${call};
          sink = (sink + (d.allowed ? 1 : 2) + d.reasons.length + d.claims.length
            + (d.maxQuality === null ? 0 : d.maxQuality.length) + (d.validUntil === null ? 0 : 1)) | 0;
          keep[i & 63] = d;
          if (++j === len) j = 0;
          if (++u === ulen) u = 0;
        }
        return sink;
      };`)(ctx, WARM_USERS, REQUESTS, keep);
  }

  const hr = () => process.hrtime.bigint();
  async function timeRun(run, n) {
    const t0 = hr();
    blackhole = (blackhole + (await run(n))) | 0;
    return Number(hr() - t0);
  }
  async function warm(run, ms) {
    const end = hr() + BigInt(Math.round(ms * 1e6));
    let n = 16;
    while (hr() < end) if ((await timeRun(run, n)) < 5e6) n *= 2;
  }
  async function calibrate(run, ms) {
    const target = ms * 1e6;
    for (let n = 8; ; n *= 2) {
      const t = await timeRun(run, n);
      if (t >= target / 4) return Math.max(1, Math.round((n * target) / t));
    }
  }
  const ratio = (samples, a, b) => stats(samples[a].map((x, i) => x / samples[b][i]));

  const ctx = { one: WARM_USERS[0], store, entByUser, jsWarmTuned, jsWarmStraightforward, asyncEvaluate, policy, ents: heldEnts, tunedByUser, rawByUser, POLICY, sf: straightforwardEvaluate };
  const WARM = [
    { key: 'store', label: '`await store.decide(user, r)`', run: decisionLoop('ctx.store.decide(user, r)', ctx, true) },
    { key: 'jsTuned', label: 'JS: `await` async fn, `Map.get` + tuned check', run: decisionLoop('ctx.jsWarmTuned(user, r)', ctx, true) },
    // A player decides for one user: the store's LRU never moves anything.
    { key: 'storeOneUser', label: '`await store.decide(oneUser, r)` (a player: one user)', run: decisionLoop('ctx.store.decide(ctx.one, r)', ctx, true) },
    { key: 'jsTunedOneUser', label: 'JS: `await` async fn, `Map.get(oneUser)` + tuned check', run: decisionLoop('ctx.jsWarmTuned(ctx.one, r)', ctx, true) },
    { key: 'jsStraightforward', label: 'JS: `await` async fn, `Map.get` + straightforward check', run: decisionLoop('ctx.jsWarmStraightforward(user, r)', ctx, true) },
    { key: 'asyncEvaluate', label: '`await` async fn, `Map.get` + `policy.evaluate` (no store)', run: decisionLoop('ctx.asyncEvaluate(user, r)', ctx, true) },
    { key: 'evaluate', label: '`policy.evaluate(heldEnt, r)`, sync (the store\'s own Entitlements, from an array)', run: decisionLoop('ctx.policy.evaluate(ctx.ents[u], r)', ctx, false) },
    { key: 'evaluateMap', label: '`Map.get` + `policy.evaluate`, sync', run: decisionLoop('ctx.policy.evaluate(ctx.entByUser.get(user), r)', ctx, false) },
    { key: 'jsTunedSync', label: 'JS: `Map.get` + tuned check, sync', run: decisionLoop('ctx.tunedByUser.get(user).evaluate(r)', ctx, false) },
  ];
  log(`warm: ${WARM.length} contenders, ${ROUNDS} rounds of ≥ ${SAMPLE_MS} ms, warm-up ${WARM_MS} ms each`);
  const tWarm = Date.now();
  for (let s = 0; s < 4; s++) for (const c of WARM) await warm(c.run, WARM_MS / 4);
  for (const c of WARM) c.n = await calibrate(c.run, SAMPLE_MS);
  const warmSamples = Object.fromEntries(WARM.map((c) => [c.key, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < WARM.length; k++) {
      const c = WARM[(k + r) % WARM.length];
      warmSamples[c.key].push((await timeRun(c.run, c.n)) / c.n);
    }
  }
  const warmStats = Object.fromEntries(WARM.map((c) => [c.key, stats(warmSamples[c.key])]));
  const statsAfterWarm = { ...store.stats };
  const warmLoads = statsAfterWarm.loads - statsBefore.loads;
  if (warmLoads !== 0) throw new Error(`the warm phase loaded ${warmLoads} documents: it was not warm`);
  log(`warm: ${WARM.map((c) => `${c.key} ${warmStats[c.key].median.toFixed(0)} ns`).join(', ')} (${((Date.now() - tWarm) / 1000).toFixed(1)} s, ${statsAfterWarm.hits - statsBefore.hits} hits, 0 loads)`);

  // -----------------------------------------------------------------------------------------
  // 3. Cold: one decision whose document is not held, the HTTP GET included
  // -----------------------------------------------------------------------------------------

  // Each store sample: `invalidate` (untimed, frees the held document), then a timed decide
  // that loads it again. The cold users are loaded once first, so the store stays at 1,000
  // documents and a cold load never evicts (it refills the slot the invalidate emptied).
  const COLD = [
    { key: 'store', label: '`await store.decide(user, r)` after `store.invalidate(user)`',
      prepare: (user) => store.invalidate(user), run: (user, r) => store.decide(user, r) },
    { key: 'jsCold', label: 'JS: `fetch` + `res.text()` + `JSON.parse` + straightforward check', prepare: null, run: jsCold },
    { key: 'cacheGet', label: '`await cache.get(cacheName, user)` (the store\'s client, no decision)', prepare: null, run: (user) => cache.get(CACHE_NAME, user) },
    { key: 'fetchFloor', label: 'floor: plain `fetch` + `res.arrayBuffer()`', prepare: null, run: fetchFloor },
  ];
  // The warm rounds never left the microtask queue (every await there is on a settled promise),
  // so no timer ran for seconds: the keep-alive socket to the emulator is past both sides'
  // idle timeouts, and a request sent before their timers run races the server closing it
  // (ECONNRESET: plain fetch rejects, the store answers ENTITLEMENT_UNAVAILABLE). Let the timers
  // run and the stale socket close first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const user of COLD_USERS) {
    const d = await store.decide(user, REQUESTS[0]);
    if (d.cause) throw new Error(`cold user ${user}: ${d.code} (${d.cause.code}: ${d.cause.message})`);
  }
  // Warm-up of every cold path (connection reuse, JIT, wasm tiers for the parse).
  const coldWarmup = QUICK ? 150 : 400;
  for (let i = 0; i < coldWarmup; i++) {
    for (const c of COLD) {
      const user = COLD_USERS[i % COLD_USERS.length];
      c.prepare?.(user);
      const out = await c.run(user, REQUESTS[i % REQUESTS.length]);
      if (out?.cause) throw new Error(`cold warm-up ${c.key} ${user}: ${out.code} (${out.cause.code}: ${out.cause.message})`);
      keep[i & 63] = out;
    }
  }
  log(`cold: ${COLD.length} contenders, ${COLD_ROUNDS} rounds × ${COLD_PER_ROUND} samples each, one at a time, alternating`);
  const tCold = Date.now();
  const coldSamples = Object.fromEntries(COLD.map((c) => [c.key, []])); // every latency, ns
  const coldRoundMedians = Object.fromEntries(COLD.map((c) => [c.key, []]));
  const cursor = Object.fromEntries(COLD.map((c) => [c.key, 0]));
  const loadsBeforeCold = store.stats.loads;
  for (let r = 0; r < COLD_ROUNDS; r++) {
    const round = Object.fromEntries(COLD.map((c) => [c.key, []]));
    for (let i = 0; i < COLD_PER_ROUND; i++) {
      for (let k = 0; k < COLD.length; k++) {
        const c = COLD[(k + i + r) % COLD.length];
        const at = cursor[c.key]++;
        const user = COLD_USERS[at % COLD_USERS.length];
        const request = REQUESTS[at % REQUESTS.length];
        c.prepare?.(user);
        const t0 = hr();
        const out = await c.run(user, request);
        const t = Number(hr() - t0);
        if (out?.cause) throw new Error(`cold ${c.key} ${user}: ${out.code} (${out.cause.code}: ${out.cause.message})`);
        keep[at & 63] = out;
        round[c.key].push(t);
        coldSamples[c.key].push(t);
      }
    }
    for (const c of COLD) coldRoundMedians[c.key].push(stats(round[c.key]).median);
    emu.requests.length = 0; // the emulator logs every request: keep its log from growing
  }
  const coldLoads = store.stats.loads - loadsBeforeCold;
  if (coldLoads !== COLD_ROUNDS * COLD_PER_ROUND) throw new Error(`cold phase: ${coldLoads} loads for ${COLD_ROUNDS * COLD_PER_ROUND} store samples`);
  if (store.stats.failures !== 0) throw new Error(`the store reported ${store.stats.failures} failed loads`);
  const coldStats = Object.fromEntries(COLD.map((c) => [c.key, stats(coldSamples[c.key])]));
  const coldRatio = ratio(coldRoundMedians, 'store', 'jsCold');
  const coldDiff = stats(coldRoundMedians.store.map((x, i) => x - coldRoundMedians.jsCold[i]));
  log(`cold: ${COLD.map((c) => `${c.key} ${(coldStats[c.key].median / 1000).toFixed(1)} µs`).join(', ')} (${((Date.now() - tCold) / 1000).toFixed(1)} s)`);

  // -----------------------------------------------------------------------------------------
  // 4. Report
  // -----------------------------------------------------------------------------------------

  const TARGETS = { warmXTuned: 3, coldXJs: 1.2 };
  const verdict = (ok) => (ok ? 'PASS' : 'MISS');
  const int = (n) => Math.round(n).toLocaleString('en-US');
  const nsCell = (s) => `${s.median < 100 ? s.median.toFixed(1) : int(s.median)} ns [${int(s.min)}–${int(s.max)}]`;
  const perSec = (s) => `${(1e9 / s.median / 1e6).toFixed(2)} M/s`;
  const xr = (s) => `${s.median.toFixed(2)}x [${s.q1.toFixed(2)}–${s.q3.toFixed(2)}]`;
  const us = (v) => (v / 1000).toFixed(1);

  const rStoreTuned = ratio(warmSamples, 'store', 'jsTuned');
  const rStoreSf = ratio(warmSamples, 'store', 'jsStraightforward');
  const summary = { warm: rStoreTuned.median <= TARGETS.warmXTuned, cold: coldRatio.median <= TARGETS.coldXJs };
  const warmRows = [
    ['`await store.decide(user, r)`', nsCell(warmStats.store), perSec(warmStats.store), xr(rStoreTuned), xr(rStoreSf), `≤ ${TARGETS.warmXTuned}x JS tuned`, verdict(summary.warm)],
    ...WARM.slice(1).map((c) => [c.label, nsCell(warmStats[c.key]), perSec(warmStats[c.key]),
      xr(ratio(warmSamples, c.key, 'jsTuned')), xr(ratio(warmSamples, c.key, 'jsStraightforward')), '', '']),
  ];
  const warmTable = [
    '| warm: one decision, document held (1,000 users cycled, 15 requests) | ns per decision [min–max of rounds] | decisions/s (median) | x JS tuned (async) | x JS straightforward (async) | target | |',
    '|---|---|---|---|---|---|---|',
    ...warmRows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

  const b = Object.fromEntries(Object.entries(warmStats).map(([k, s]) => [k, s.median]));
  const breakdownTable = [
    '| where a warm `store.decide` spends its time (medians) | ns |',
    '|---|---|',
    `| \`policy.evaluate\` on the held Entitlement, sync (the decision itself) | ${int(b.evaluate)} |`,
    `| + \`Map.get(user)\` (evaluateMap − evaluate) | ${int(b.evaluateMap - b.evaluate)} |`,
    `| + an async function and its \`await\` (asyncEvaluate − evaluateMap) | ${int(b.asyncEvaluate - b.evaluateMap)} |`,
    `| + the store's own work: checks, \`clock()\`, expiry, LRU \`delete\`+\`set\`, \`__wbg_ptr\` check, validUntil (store − asyncEvaluate) | ${int(b.store - b.asyncEvaluate)} |`,
    `| = \`await store.decide\` | ${int(b.store)} |`,
    `| for comparison: JS tuned check, sync, with \`Map.get\` | ${int(b.jsTunedSync)} |`,
    `| JS: async function + \`await\` around it (jsTuned − jsTunedSync) | ${int(b.jsTuned - b.jsTunedSync)} |`,
  ].join('\n');

  const c = coldStats;
  const coldRow = (key, label, extra) => `| ${label} | ${us(c[key].median)} | ${us(c[key].p90)} | ${us(c[key].min)}–${us(c[key].max)} | ${extra} |`;
  const coldTable = [
    `| cold: one decision, document not held (${int(c.store.n)} samples each) | median µs | p90 µs | min–max µs | vs plain-JS cold read |`,
    '|---|---|---|---|---|',
    coldRow('store', COLD[0].label, `**${xr(coldRatio)}** (ratio of round medians), +${us(coldDiff.median)} µs [${us(coldDiff.q1)}–${us(coldDiff.q3)}]; target ≤ ${TARGETS.coldXJs}x: **${verdict(summary.cold)}**`),
    coldRow('jsCold', COLD[1].label, '1.00x'),
    coldRow('cacheGet', COLD[2].label, `${xr(ratio(coldRoundMedians, 'cacheGet', 'jsCold'))}`),
    coldRow('fetchFloor', COLD[3].label, `${xr(ratio(coldRoundMedians, 'fetchFloor', 'jsCold'))}`),
  ].join('\n');
  const coldSplit = [
    `| cold read, by part (differences of medians) | µs |`,
    '|---|---|',
    `| the GET itself (plain fetch + arrayBuffer, the floor) | ${us(c.fetchFloor.median)} |`,
    `| CacheClient over plain fetch (AbortController + timer, scope check, streamed body read): cacheGet − floor | ${us(c.cacheGet.median - c.fetchFloor.median)} |`,
    `| Entitlement.fromBlob + store bookkeeping + policy.evaluate: store − cacheGet | ${us(c.store.median - c.cacheGet.median)} |`,
    `| plain JS over the floor (text + JSON.parse + straightforward check): jsCold − floor | ${us(c.jsCold.median - c.fetchFloor.median)} |`,
  ].join('\n');

  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const md = `# playgate entitlement-store bench${QUICK ? ' (BENCH_QUICK=1: short smoke run, noisy)' : ''}

${new Date().toISOString()} · Node ${process.version} · ${os.platform()} ${os.arch()} · ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}) · load ${load}
Package: \`${PKG}\`

Document: \`tests/vectors/decisions.json\` \`documents.seed000\` (${DOC_TEXT.length} bytes) for every user, policy \`policies.mosaic\` (tier \`premium\`: maxQuality UHD1). Requests: ${REQUESTS.length} (ids ${IDS.join(', ')} × countries US, US, CA; device web; now 2024-11-15T12:00:00Z; ${allowedCount} allowed). Store: \`new EntitlementStore({ cache, cacheName: 'entitlements', policy, maxEntries: 1000, clock: () => now })\` over \`new CacheClient({ token, baseUrl: emulator, timeoutMs: 5000 })\`.

Cross-check before timing: for every request, store.decide (cold load and warm), policy.evaluate on the held Entitlement, the JS tuned and straightforward warm paths and the JS cold path (fetch + JSON.parse + straightforward) agree on ${FIELDS.join(', ')} (${fullEqual} of ${compared} decisions deep-equal in full).

**The cache emulator (\`www/cache-emulator.mjs\`, loopback HTTP, token verified on every request) runs in this same Node process**: its handling of each GET shares the event loop and the CPU with the client, the same for every cold contender; a real Momento endpoint adds network time to every row and would shrink the ratios.

Warm: medians of ${ROUNDS} interleaved rounds of ≥ ${SAMPLE_MS} ms per contender, each in its own compiled loop (async contenders awaited one by one), after ${WARM_MS} ms warm-up each; ratios are medians of per-round ratios [interquartile range]. The store held 1,000 documents and made 0 loads during the rounds (${int(statsAfterWarm.hits - statsBefore.hits)} hits).

${warmTable}

${breakdownTable}

Cold: ${COLD_ROUNDS} rounds × ${COLD_PER_ROUND} samples per contender, one decision (or GET) at a time, contenders alternating sample by sample, ${COLD_USERS.length} users' keys cycled; each latency timed alone (\`process.hrtime\`); median and p90 of all samples; the ratio is the median of per-round ratios of medians [IQR], the difference likewise. Store samples: \`invalidate\` (untimed), then a decide that loads (the store full at 1,000 documents, a load refills the freed slot: no eviction).

${coldTable}

${coldSplit}

Targets: warm store.decide within ${TARGETS.warmXTuned}x of JS tuned (async): ${verdict(summary.warm)} (${rStoreTuned.median.toFixed(2)}x); cold read within ${TARGETS.coldXJs}x of the plain-JS cold read: ${verdict(summary.cold)} (${coldRatio.median.toFixed(2)}x). Whole bench: ${((Date.now() - started) / 1000).toFixed(0)} s.
`;

  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'store.md'), md);
  writeFileSync(join(RESULTS, 'store.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), package: PKG, quick: QUICK,
    settings: { rounds: ROUNDS, sampleMs: SAMPLE_MS, warmMs: WARM_MS, coldRounds: COLD_ROUNDS, coldPerRound: COLD_PER_ROUND },
    emulatorInProcess: true, document: DOC, requests: REQUESTS, users: { warm: WARM_USERS.length, cold: COLD_USERS.length },
    check: { ...check, failures: [] }, targets: TARGETS, summary,
    warm: {
      stats: warmStats, iterations: Object.fromEntries(WARM.map((w) => [w.key, w.n])), samples: warmSamples,
      ratios: { storeXJsTuned: rStoreTuned, storeXJsStraightforward: rStoreSf, evaluateXJsTunedSync: ratio(warmSamples, 'evaluate', 'jsTunedSync') },
      storeStats: { before: statsBefore, after: statsAfterWarm },
    },
    cold: {
      stats: coldStats, roundMedians: coldRoundMedians, ratioStoreXJs: coldRatio, diffStoreMinusJsNs: coldDiff, samples: coldSamples,
    },
    storeStats: store.stats, blackhole,
  }, null, 1));
  console.log(md);
}
