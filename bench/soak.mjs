// playgate soak (issue 11, "What must be true" 4): 1,000,000 decisions, 100,000 token
// verifications, 100,000 scope checks and 100,000 document parses, without calling free() on
// anything (what a user who forgets free() gets: documents keep their source in JS and their
// parsed form in one of a bounded set of wasm slots, scopes keep their source and plan in JS;
// decisions, catalog pages and verification results are plain JS values). Wasm memory (both
// modules) and the JS heap are measured after a warm-up and at the end; the time per operation of
// the last 10% of the run is compared with the first 10%.
//
//   node bench/soak.mjs                          # ~30 s; the package in <repo>/pkg
//   PLAYGATE_PKG=/tmp/pb-pkg node bench/soak.mjs
//   SOAK_CHUNKS=20 node bench/soak.mjs           # a shorter smoke run (a fifth of the work)
//
// Each mode runs in its own child process (node --expose-gc), since wasm memory never shrinks:
//   sync   no free(), no yield: one synchronous loop. A FinalizationRegistry callback runs only
//          after a GC *and* a turn of the event loop, so in a loop that never yields nothing
//          forgotten would ever be freed through one (wasm-bindgen's handles were, until
//          2026-12-05: +57.7 MiB over this run; documents and scopes need none now).
//   yield  no free(), but the loop yields to the event loop (setImmediate) after every part of
//          every chunk (~2-20 ms of work), as a server or a player does between requests; the
//          ES256 `verifyAsync` share runs here only (WebCrypto answers on a later turn).
//   free   free() on every document and scope, no yield: the control (what the core itself keeps).
// plus two attribution runs in sync mode (documents alone, scopes alone): the wasm memory one
// forgotten document or scope holds.
//
// The work is cut into SOAK_CHUNKS chunks (default 100) after SOAK_WARM_CHUNKS warm-up chunks
// (default 20, not counted; fewer left the first measured chunks still tiering up). One chunk:
// 10,000 `policy.evaluate` (100 titles x 4 countries, 5 documents) and 50 `evaluateCatalog`
// pages of 100 titles (10 pages in turn, 5 documents); 1,000 HS256 `JwtVerifier.verify` of
// distinct tokens (1% with a broken signature: the error path too), minted before the chunk;
// 1,000 scope operations (a quarter `PermissionScope.fromJson` of a scope never seen before, then
// one `allows` on it; the rest `allows`, `allowsTopic` and `explain` with varying keys and topics on
// long-lived scopes); 1,000 `Entitlement.fromBlob` of distinct documents (1% invalid: the error
// path). Every chunk sees inputs of the same shape, and its answers (allowed counts, errors) must
// be the same in every chunk of every mode, else the run fails (exit 1).
//
// Targets (issue 11): wasm memory and JS heap flat within 1 MiB after warm-up (measured after a
// GC, an event-loop turn and a GC, before and after); the last 10% of each workload as fast as
// the first 10% (ratio of the median chunk times <= 1.10, a margin for this shared machine; the
// ratio of the means is shown too; the JS heap also right after the loop, before any turn).
// A miss is reported (MISS), not an error. Prints a Markdown table and writes it to
// bench/results/soak.md, the raw figures to bench/results/soak.json.

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { loadVectors } from '../tests/node/helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const PKG = resolve(process.env.PLAYGATE_PKG || join(ROOT, 'pkg'));
const RESULTS = join(HERE, 'results');
const CHUNKS = Number(process.env.SOAK_CHUNKS || 100);
const WARM_CHUNKS = Number(process.env.SOAK_WARM_CHUNKS || 20);
const MIB = 1024 * 1024;
const FLAT_BYTES = MIB;
const SPEED_RATIO = 1.1;

const PER_CHUNK = { evaluate: 10_000, catalogPages: 50, pageTitles: 100, verify: 1_000, verifyAsync: 20, scope: 1_000, parse: 1_000 };

// ---------------------------------------------------------------------------------------------
// Parent: runs the modes in child processes, prints and writes the table.
// ---------------------------------------------------------------------------------------------

async function parent() {
  const started = Date.now();
  const runs = [
    ['sync', 'all'], ['yield', 'all'], ['free', 'all'],
    ['sync', 'parse'], ['sync', 'scope'],
  ];
  const results = [];
  for (const [mode, only] of runs) {
    console.error(`[soak] ${mode}${only === 'all' ? '' : ` (${only} only)`}...`);
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', mode, only], {
      encoding: 'utf8', maxBuffer: 64 * MIB, env: process.env,
    });
    if (r.status !== 0) {
      console.error(r.stderr);
      console.error(`[soak] the ${mode} run failed (exit ${r.status})`);
      process.exit(1);
    }
    if (r.stderr.trim()) console.error(r.stderr.trim());
    results.push(JSON.parse(r.stdout));
  }
  // The answers of every chunk of every full run must be the same.
  const full = results.filter((r) => r.only === 'all');
  const reference = JSON.stringify(full[0].answers);
  for (const r of full) {
    if (JSON.stringify(r.answers) !== reference) {
      console.error(`[soak] the ${r.mode} run answered differently: ${JSON.stringify(r.answers)} vs ${reference}`);
      process.exit(1);
    }
  }
  const md = render(results, Date.now() - started);
  console.log(md);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'soak.md'), md);
  writeFileSync(join(RESULTS, 'soak.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, chunks: CHUNKS, warmChunks: WARM_CHUNKS, perChunk: PER_CHUNK, results }, null, 1));
  console.error(`[soak] done in ${((Date.now() - started) / 1000).toFixed(0)} s; bench/results/soak.md`);
}

const fmtBytes = (b) => {
  const sign = b < 0 ? '-' : '';
  const a = Math.abs(b);
  return a >= MIB ? `${sign}${(a / MIB).toFixed(2)} MiB` : `${sign}${(a / 1024).toFixed(1)} KiB`;
};
const growth = (b) => (b > 0 ? `+${fmtBytes(b)}` : fmtBytes(b));
const fmtNs = (ns) => (ns >= 10_000 ? `${(ns / 1000).toFixed(1)} us` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} us` : `${ns.toFixed(0)} ns`);
const count = (n) => n.toLocaleString('en-US');
const verdict = (ok) => (ok ? 'PASS' : '**MISS**');

const MODE_NAMES = {
  sync: 'no free(), never yields',
  yield: 'no free(), yields between chunk parts',
  free: 'free() on every handle, never yields (control)',
};

function render(results, ms) {
  const lines = [];
  const full = results.filter((r) => r.only === 'all');
  const first = full[0];
  lines.push(`Soak (\`node bench/soak.mjs\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${os.cpus().length} cores, ${(ms / 1000).toFixed(0)} s in all.`);
  lines.push(`Per full run, after ${WARM_CHUNKS} warm-up chunks, ${CHUNKS} chunks: ${count(first.totals.evaluate)} \`evaluate\` + ${count(first.totals.catalogPages)} \`evaluateCatalog\` pages (${count(first.totals.catalogTitles)} titles); ${count(first.totals.verify)} HS256 \`verify\` (distinct tokens)${full.find((r) => r.mode === 'yield')?.totals.verifyAsync ? ` (+ ${count(full.find((r) => r.mode === 'yield').totals.verifyAsync)} ES256 \`verifyAsync\` in the yield run)` : ''}; ${count(first.totals.scope)} scope operations (${count(first.totals.scopeHandles)} \`fromJson\`); ${count(first.totals.parse)} \`Entitlement.fromBlob\`.`);
  lines.push('Memory "before" is after the warm-up, a GC, an event-loop turn and a GC; "after" the same at the end (what the application holds once idle), and for the JS heap also after a GC at the end of the loop before any turn (what a loop that never yields holds while it runs; wasm memory never shrinks, so it is the same either way). Speed: the median time per operation over the chunks of the first and of the last 10%, their ratio (and the ratio of the means, which a single pause of the shared machine can move).');
  lines.push('');
  lines.push('| run | measure | before | after | change | target | result |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of full) {
    const name = `${r.mode}: ${MODE_NAMES[r.mode]}`;
    const rows = [
      ['player', 'afterTurn', 'wasm memory, player module (documents, scopes, decisions)'],
      ['edge', 'afterTurn', 'wasm memory, edge module (token verification)'],
      ['heapUsed', 'afterTurn', 'JS heap used, idle (GC, turn, GC)'],
      ['heapUsed', 'after', 'JS heap used, end of the loop (GC, no turn)'],
    ];
    for (const [key, when, label] of rows) {
      const before = r.memory.before[key];
      const after = r.memory[when][key];
      const change = after - before;
      lines.push(`| ${name} | ${label} | ${fmtBytes(before)} | ${fmtBytes(after)} | ${growth(change)} | <= 1 MiB | ${verdict(change <= FLAT_BYTES)} |`);
    }
    for (const w of ['evaluate', 'catalog', 'verify', 'verifyAsync', 'scope', 'parse']) {
      const s = r.speed[w];
      if (!s) continue;
      const label = {
        evaluate: '`evaluate`, per decision', catalog: '`evaluateCatalog`, per page of 100', verify: 'HS256 `verify`, per token',
        verifyAsync: 'ES256 `verifyAsync`, per token', scope: 'scope operation (fromJson / allows / allowsTopic / explain)', parse: '`Entitlement.fromBlob`, per document',
      }[w];
      lines.push(`| ${name} | speed: ${label}, first 10% -> last 10% | ${fmtNs(s.firstNs)} | ${fmtNs(s.lastNs)} | ${s.ratio.toFixed(2)}x (mean ${s.meanRatio.toFixed(2)}x) | <= ${SPEED_RATIO.toFixed(2)}x | ${verdict(s.ratio <= SPEED_RATIO)} |`);
    }
  }
  lines.push('');
  lines.push('What one forgotten document or scope holds (sync runs of one workload alone, no free(), never yielding; wasm memory growth over the run / objects made):');
  lines.push('');
  lines.push('| workload alone | made | wasm memory before | after | per object |');
  lines.push('|---|---|---|---|---|');
  for (const r of results.filter((x) => x.only !== 'all')) {
    // Handles made: documents that parsed (the invalid 1% make none), or scopes from fromJson.
    const handles = r.only === 'parse' ? (r.totals.parse / PER_CHUNK.parse) * Number(r.answers.parse.split('/')[0]) : r.totals.scopeHandles;
    const g = r.memory.after.player - r.memory.before.player;
    lines.push(`| ${r.only === 'parse' ? '`Entitlement.fromBlob` (1% invalid: none made)' : 'scope operations (a quarter `fromJson`)'} | ${count(handles)} | ${fmtBytes(r.memory.before.player)} | ${fmtBytes(r.memory.after.player)} | ${(g / handles).toFixed(0)} B |`);
  }
  lines.push('');
  lines.push('Wasm memory of the player module (and JS heap used, no GC forced) after the chunks at 0, 25, 50, 75 and 100% of the run: growth that goes on to the end is not a warm-up.');
  lines.push('');
  for (const r of full) {
    const { trace } = r.memory;
    const at = [0, 0.25, 0.5, 0.75, 1].map((q) => trace[Math.min(trace.length - 1, Math.round(q * (trace.length - 1)))]);
    lines.push(`- ${r.mode}: ${at.map(([wasm, heap]) => `${fmtBytes(wasm)} (${fmtBytes(heap)})`).join(' -> ')}`);
  }
  lines.push('');
  const yieldRun = full.find((r) => r.mode === 'yield');
  if (yieldRun) {
    lines.push(`FinalizationRegistry callbacks run in the yield run: ${count(yieldRun.finalized.entitlements + yieldRun.finalized.scopes + yieldRun.finalized.other)} (documents and scopes register none: what they hold is bounded without one).`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Child: one mode, measured.
// ---------------------------------------------------------------------------------------------

async function child(mode, only) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const doFree = mode === 'free';
  const yields = mode === 'yield';
  const want = (w) => only === 'all' || only === w;

  // Count what FinalizationRegistry callbacks free, by wrapping the registries the glue creates
  // (this file's own import of the package is the first one): policies and verifiers only.
  const finalized = { entitlements: 0, scopes: 0, other: 0 };
  const NativeRegistry = globalThis.FinalizationRegistry;
  globalThis.FinalizationRegistry = class extends NativeRegistry {
    constructor(callback) {
      const source = String(callback);
      const kind = source.includes('entitlement_free') ? 'entitlements' : source.includes('permissionscope_free') ? 'scopes' : 'other';
      super((held) => {
        finalized[kind]++;
        callback(held);
      });
    }
  };
  const pg = await importKeepingMemory(join(PKG, 'node', 'index.mjs'));
  const edge = await importKeepingMemory(join(PKG, 'edge', 'node', 'index.mjs'));
  globalThis.FinalizationRegistry = NativeRegistry;
  const { Policy, Entitlement, PermissionScope } = pg.module;
  const { JwtVerifier } = edge.module;
  const playerMemory = pg.memory;
  const edgeMemory = edge.memory;

  // ---- fixtures ----
  const VECTORS = loadVectors('decisions.json');
  const NOW = Date.parse('2024-11-15T12:00:00Z');
  const NOW_S = Math.floor(NOW / 1000);
  const policy = Policy.fromJson(VECTORS.policies.mosaic);
  const docs = [
    VECTORS.documents.seed000, VECTORS.documents.premium, VECTORS.documents.basic, VECTORS.documents['dach-xx'],
    { subscription_level: 'silver', region: ['US', 'CA', 'DE'], device_restriction: ['web', 'tv'], valid_from: '2024-10-01T00:00:00Z', valid_until: '2025-01-01T00:00:00Z' },
  ].map((d) => Entitlement.fromBlob(JSON.stringify(d)));
  const titles = Array.from({ length: 100 }, (_, k) => (k < 60 ? `movie_id_${k}` : k < 90 ? `episode-${k}` : `channel-${k}`));
  const countries = ['US', 'DE', 'CA', 'FR'];
  const requests = countries.flatMap((country) => titles.map((entityId) => ({ entityId, country, device: 'web', now: NOW })));
  const pages = Array.from({ length: 10 }, (_, p) => Array.from({ length: PER_CHUNK.pageTitles }, (_, k) => (k % 3 === 0 ? `episode-${p}-${k}` : `movie_id_${p * 1000 + k}`)));
  const catalogContext = { country: 'DE', device: 'web', now: NOW };

  // HS256: a 32-byte key; tokens minted per chunk (distinct: sub and jti), 1% with a broken signature.
  const hsKey = crypto.randomBytes(32);
  const ISS = 'soak-issuer', AUD = 'edge';
  const verifier = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: { keys: [{ kty: 'oct', k: hsKey.toString('base64url'), kid: 'soak-hs', alg: 'HS256' }] }, issuer: ISS, audience: AUD });
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid: 'soak-hs' });
  const mintHs = (i) => {
    const signed = `${hsHeader}.${b64({ iss: ISS, aud: AUD, sub: `user-${i}`, jti: `t-${i}`, iat: NOW_S, nbf: NOW_S, exp: NOW_S + 300, ent: { maxQuality: 'HD', country: 'US' } })}`;
    const sig = crypto.createHmac('sha256', hsKey).update(signed).digest('base64url');
    return `${signed}.${i % 100 === 99 ? (sig[10] === 'A' ? sig.slice(0, 10) + 'B' + sig.slice(11) : sig.slice(0, 10) + 'A' + sig.slice(11)) : sig}`;
  };
  // ES256 for verifyAsync (yield run only).
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const esVerifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'soak-es', alg: 'ES256' }] }, issuer: ISS, audience: AUD });
  const esHeader = b64({ alg: 'ES256', typ: 'JWT', kid: 'soak-es' });
  const mintEs = (i) => {
    const signed = `${esHeader}.${b64({ iss: ISS, aud: AUD, sub: `user-${i}`, jti: `e-${i}`, iat: NOW_S, exp: NOW_S + 300 })}`;
    return `${signed}.${crypto.sign('sha256', Buffer.from(signed), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };

  // Scopes: long-lived ones checked with varying keys and topics; new ones made from JSON.
  const media = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }, { role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie3/' } }] });
  const mixed = PermissionScope.fromJson({ permissions: [
    { role: 'readwrite', cache: 'demo', item: { key: 'hits' } },
    { role: 'subscribeonly', cache: 'demo', topic: { namePrefix: 'live-' } },
    { role: 'publishsubscribe', cache: 'chat', topic: {} },
    { role: 'readonly', cache: { name: 'media' } },
  ] });
  const scopeOps = ['get', 'set', 'itemGetTtl', 'dictionaryFetch', 'delete'];
  const topicOps = ['subscribe', 'publish'];
  const scopeJson = (n) => ({ permissions: [
    { role: 'readonly', cache: 'media', item: { keyPrefix: `/Movie${n}/` } },
    { role: 'subscribeonly', cache: 'demo', topic: `room-${n}` },
  ] });

  // Documents: distinct text each time (ids, windows), 1% invalid.
  const docText = (i) => (i % 100 === 42
    ? `{"subscription_level":"premium","valid_until":"2024-02-30T00:00:00Z","n":${i}}`
    : `{"subscription_level":"${i % 2 ? 'premium' : 'silver'}","region":["US","CA"],"device_restriction":["web","tv"],"valid_from":"2024-10-01T00:00:00Z","valid_until":"2025-0${1 + (i % 9)}-01T00:00:00Z","allowed_content":["movie_id_${i}","series_id_${i}","episode-${i % 997}"],"claims":["ENTITY_TYPE_MOVIES","QUALITY_HD"],"user":"u-${i}"}`);

  // ---- the workloads: each returns its answers (the same for every chunk) ----
  let sink = 0; // results consumed, so nothing is optimised away
  const workloads = {
    evaluate(c) {
      let allowed = 0;
      const n = PER_CHUNK.evaluate;
      for (let j = 0; j < n; j++) {
        const i = c * n + j;
        const d = policy.evaluate(docs[Math.floor(i / requests.length) % docs.length], requests[i % requests.length]);
        if (d.allowed) allowed++;
        sink += d.reasons.length;
      }
      return allowed;
    },
    catalog(c) {
      let allowed = 0;
      for (let j = 0; j < PER_CHUNK.catalogPages; j++) {
        const page = policy.evaluateCatalog(docs[j % docs.length], pages[j % pages.length], catalogContext);
        const { bytes } = page;
        for (let k = 0; k < bytes.length; k++) if ((bytes[k] & 15) === 0) allowed++;
      }
      return allowed;
    },
    verify(c, tokens) {
      let ok = 0, bad = 0;
      for (const token of tokens) {
        try {
          const r = verifier.verify(token, { now: NOW });
          sink += r.claims.sub.length;
          ok++;
        } catch (error) {
          if (error.code !== 'BAD_SIGNATURE') throw error;
          bad++;
        }
      }
      return `${ok}/${bad}`;
    },
    scope(c) {
      let yes = 0;
      const n = PER_CHUNK.scope;
      for (let j = 0; j < n; j++) {
        const key = `/Movie${j % 5}/${j % 2 ? '1080p' : '720p'}/segment${j}.ts`;
        switch (j % 4) {
          case 0: {
            const id = c * n + j;
            const s = PermissionScope.fromJson(scopeJson(id));
            if (s.allows('get', 'media', `/Movie${id}/playlist.m3u8`)) yes++;
            if (doFree) s.free();
            break;
          }
          case 1: if ((j % 8 === 1 ? media : mixed).allows(scopeOps[j % scopeOps.length], 'media', key)) yes++; break;
          case 2: if (mixed.allowsTopic(topicOps[j % 2], j % 3 ? 'demo' : 'chat', `live-${j}`)) yes++; break;
          default: if (media.explain(scopeOps[j % scopeOps.length], 'media', key).allowed) yes++;
        }
      }
      return yes;
    },
    parse(c) {
      let ok = 0, invalid = 0;
      const n = PER_CHUNK.parse;
      for (let j = 0; j < n; j++) {
        try {
          const ent = Entitlement.fromBlob(docText(c * n + j));
          ok++;
          if (doFree) ent.free();
        } catch (error) {
          if (error.code !== 'INVALID_ENTITLEMENT') throw error;
          invalid++;
        }
      }
      return `${ok}/${invalid}`;
    },
  };
  const order = ['evaluate', 'catalog', 'verify', 'scope', 'parse'].filter((w) => want(w === 'catalog' ? 'evaluate' : w === 'verify' ? 'verify' : w));
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const times = Object.fromEntries([...order, 'verifyAsync'].map((w) => [w, []]));
  const answers = Object.fromEntries(order.map((w) => [w, new Set()]));
  const counts = { evaluate: 0, catalogPages: 0, catalogTitles: 0, verify: 0, verifyAsync: 0, scope: 0, scopeHandles: 0, parse: 0 };
  const warmCounts = { ...counts };

  /** One workload's part of chunk `c`, timed (HS256 tokens are minted first, untimed). */
  function part(w, c, tally, record) {
    const tokens = w === 'verify' ? Array.from({ length: PER_CHUNK.verify }, (_, j) => mintHs(c * PER_CHUNK.verify + j)) : undefined;
    const t0 = performance.now();
    const answer = workloads[w](c, tokens);
    const t1 = performance.now();
    if (record) {
      times[w].push(t1 - t0);
      answers[w].add(answer);
    }
    tallyOf(w, tally);
  }
  // sync and free: one chunk with no await anywhere.
  function chunk(c, tally, record) {
    for (const w of order) part(w, c, tally, record);
  }
  // yield: a turn of the event loop after every part, and the ES256 share.
  async function chunkYielding(c, tally, record) {
    for (const w of order) {
      part(w, c, tally, record);
      await turn();
    }
    if (want('verify')) {
      const tokens = Array.from({ length: PER_CHUNK.verifyAsync }, (_, j) => mintEs(c * PER_CHUNK.verifyAsync + j));
      const t0 = performance.now();
      for (const token of tokens) sink += (await esVerifier.verifyAsync(token, { now: NOW })).claims.sub.length;
      if (record) times.verifyAsync.push(performance.now() - t0);
      tally.verifyAsync += tokens.length;
      await turn();
    }
  }
  function tallyOf(w, tally) {
    if (w === 'evaluate') tally.evaluate += PER_CHUNK.evaluate;
    else if (w === 'catalog') {
      tally.catalogPages += PER_CHUNK.catalogPages;
      tally.catalogTitles += PER_CHUNK.catalogPages * PER_CHUNK.pageTitles;
    } else if (w === 'verify') tally.verify += PER_CHUNK.verify;
    else if (w === 'scope') {
      tally.scope += PER_CHUNK.scope;
      tally.scopeHandles += PER_CHUNK.scope / 4;
    } else if (w === 'parse') tally.parse += PER_CHUNK.parse;
  }

  async function snapshot() {
    gc();
    const m = process.memoryUsage();
    return { player: playerMemory.buffer.byteLength, edge: edgeMemory.buffer.byteLength, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
  }
  async function settled() {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await turn();
    return snapshot();
  }

  // Warm-up (chunk numbers past the measured ones: their tokens, scopes and documents are new).
  const start = performance.now();
  for (let c = 0; c < WARM_CHUNKS; c++) {
    if (yields) await chunkYielding(CHUNKS + c, warmCounts, false);
    else chunk(CHUNKS + c, warmCounts, false);
  }
  const before = await settled();
  const finalizedBefore = { ...finalized };
  const loopStart = performance.now();
  const trace = []; // wasm memory (player module) and JS heap used after each chunk, no GC forced
  if (yields) {
    for (let c = 0; c < CHUNKS; c++) {
      await chunkYielding(c, counts, true);
      trace.push([playerMemory.buffer.byteLength, process.memoryUsage().heapUsed]);
    }
  } else {
    for (let c = 0; c < CHUNKS; c++) { // never awaits
      chunk(c, counts, true);
      trace.push([playerMemory.buffer.byteLength, process.memoryUsage().heapUsed]);
    }
  }
  const loopMs = performance.now() - loopStart;
  const after = await snapshot(); // no turn yet: what the loop leaves
  const finalizedAtEnd = { ...finalized };
  const afterTurn = await settled();

  const tenth = Math.max(1, Math.round(CHUNKS / 10));
  const speed = {};
  for (const [w, list] of Object.entries(times)) {
    if (list.length < 2 * tenth) continue;
    const per = { evaluate: PER_CHUNK.evaluate, catalog: PER_CHUNK.catalogPages, verify: PER_CHUNK.verify, verifyAsync: PER_CHUNK.verifyAsync, scope: PER_CHUNK.scope, parse: PER_CHUNK.parse }[w];
    const sum = (xs) => xs.reduce((a, b) => a + b, 0);
    const median = (xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    };
    const firstNs = (median(list.slice(0, tenth)) / per) * 1e6;
    const lastNs = (median(list.slice(-tenth)) / per) * 1e6;
    const meanRatio = sum(list.slice(-tenth)) / sum(list.slice(0, tenth));
    speed[w] = { firstNs, lastNs, ratio: lastNs / firstNs, meanRatio, chunkMs: list };
  }
  for (const [w, set] of Object.entries(answers)) {
    if (set.size !== 1) throw new Error(`${w}: the answers changed between chunks: ${[...set].join(', ')}`);
  }
  process.stdout.write(JSON.stringify({
    mode, only, totals: counts, warm: warmCounts, loopMs, totalMs: performance.now() - start,
    memory: { before, after, afterTurn, trace },
    finalized: { entitlements: finalizedAtEnd.entitlements - finalizedBefore.entitlements, scopes: finalizedAtEnd.scopes - finalizedBefore.scopes },
    answers: Object.fromEntries(Object.entries(answers).map(([w, s]) => [w, [...s][0]])),
    speed, sink,
  }));
}

/**
 * Imports a package entry and keeps the WebAssembly.Memory of the instance its import creates
 * (the entries export no internals: the instance is seen being made, by the one constructor
 * Node's wasm-bindgen glue calls).
 */
async function importKeepingMemory(file) {
  const Native = WebAssembly.Instance;
  let memory = null;
  WebAssembly.Instance = new Proxy(Native, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget === WebAssembly.Instance ? Native : newTarget);
      memory ??= instance.exports.memory ?? null;
      return instance;
    },
  });
  try {
    const module = await import(pathToFileURL(file).href);
    if (!(memory instanceof WebAssembly.Memory)) throw new Error(`${file}: no wasm instance made on import`);
    return { module, memory };
  } finally {
    WebAssembly.Instance = Native;
  }
}

// Last, so that every constant above is initialised.
if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4] ?? 'all');
else await parent();
