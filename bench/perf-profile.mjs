// Where a workerd's CPU goes per request, from Linux `perf` (bench/gate-ab.mjs --perf): the
// samples of `perf record -g` on one workerd under load, read back with `perf script`, and
// divided by the requests served while they were taken. workerd runs with V8's
// --perf-basic-prof (its JIT code named in /tmp/perf-<pid>.map), so the gate's own functions
// appear by name beside V8's builtins and workerd's C++.
//
// Sampling has its own cost (the figures run 20-40% above gate-ab's CPU per request); compare
// workers of one run with each other, never with another tool's figures.
import { spawn, spawnSync } from 'node:child_process';

/** Whether `perf record` can sample here (a software clock: no hardware counters needed). */
export function perfAvailable() {
  const probe = spawnSync('perf', ['record', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Starts sampling `pid` (every thread, with call stacks) into `file` for `seconds`; resolves when done. */
export function recordPerf(pid, file, seconds) {
  const child = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(SAMPLE_HZ), '-g', '-p', String(pid), '-o', file, '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`perf record exited ${code}`))));
  });
}

const SAMPLE_HZ = 4999;

/** The call stacks of `file`, each leaf first, as lists of symbol names. */
export function readStacks(file) {
  const out = spawnSync('perf', ['script', '-i', file, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`perf script: ${out.stderr}`);
  const stacks = [];
  let current = [];
  for (const line of out.stdout.split('\n')) {
    const frame = line.trim().replace(/^[0-9a-f]+ /, ''); // the address, then the symbol
    if (frame === '') {
      if (current.length > 0) stacks.push(current);
      current = [];
    } else current.push(frame);
  }
  if (current.length > 0) stacks.push(current);
  return stacks;
}

// What the summary's rows count: a sample counts in a row when a frame of its stack matches.
const ROWS = [
  ['the fetch handler (JS, and what it calls)', /^JS:.'fetch /],
  ['  of which Response constructors', /ConstructorCallback<.*api::Response/],
  ['microtasks (promise reactions, workerd\'s continuations)', /RunMicrotasks/],
  ['young-generation GC (scavenges)', /MinorGCJob|ScavengerCollector::CollectGarbage/],
  ['  of which C++ objects freed after GC (Request, Response, Headers)', /CallGCEpilogueCallbacks/],
  ['full GC (V8 mark-compact, C++ heap sweeping)', /MarkCompactCollector::CollectGarbage|FinishAtomicSweepingIfRunning/],
  ['the kernel (sockets, wakeups)', /^entry_SYSCALL|^do_syscall_64$/],
  ['HTTP (hyper)', /hyper::/],
];

// A sample in JS: the fetch handler's, or a promise reaction's (a first verification goes on there).
const JS = /^JS:/;
// The frames a JS sample is named by: the first (from the leaf) of JS code, a builtin, a
// runtime call, an API callback (a Request or Headers member) or GC.
const NAMED = /JS:|RegExp\.<|Builtins_|MethodCallback|PropertyGetterCallback|Runtime_|Builtin_|Heap::CollectGarbage|ConstructorCallback/;

/**
 * The per-request figures of one worker: `{ total, rows: [[label, us]], handler: [[frame, us]] }`,
 * microseconds a request; `handler` is what the samples with JS on their stack (the fetch
 * handler and promise reactions) are named by, without the Response constructors (the floor's
 * and the stub origin's too).
 */
export function perRequest(stacks, requests, top = 25) {
  const us = 1e6 / SAMPLE_HZ / requests;
  const rows = ROWS.map(([label, pattern]) => [label, stacks.filter((s) => s.some((f) => pattern.test(f))).length * us]);
  const named = new Map();
  for (const s of stacks) {
    if (!s.some((f) => JS.test(f)) || s.some((f) => ROWS[1][1].test(f))) continue;
    let frame = s.find((f) => NAMED.test(f)) ?? s[0];
    // workerd's callbacks for an API class's members, named by the class (perf leaves them mangled).
    const api = /3api\d+([A-Za-z]+?)\d+registerMembers/.exec(frame);
    frame = api !== null ? `workerd: a ${api[1]} member (getter or method)` : frame.slice(0, 120);
    named.set(frame, (named.get(frame) ?? 0) + 1);
  }
  const handler = [...named].sort((a, b) => b[1] - a[1]).slice(0, top).map(([frame, n]) => [frame, n * us]);
  return { total: stacks.length * us, rows, handler };
}
