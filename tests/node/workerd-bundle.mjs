// A worker bundled as wrangler bundles one, the workerd config that serves it, and a started
// workerd: shared by the workerd tests (workerd.test.mjs, gate-media.test.mjs) and
// bench/gate-workerd.mjs, so the benchmark's workers are built exactly as the tested ones are
// (the packed package installed with installPacked, helpers.mjs).
import assert from 'node:assert/strict';
import esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO, installPacked } from './helpers.mjs';

export const WORKERD = path.join(REPO, 'tests', 'node_modules', '.bin', 'workerd');
const WORKER_SOURCE = path.join(REPO, 'tests', 'workerd', 'worker.mjs');

/**
 * Bundles `entry` into `outDir/worker.js` as wrangler bundles a worker: esbuild, ESM, the
 * `workerd`, `worker` and `browser` conditions; wrangler's default rule makes each imported
 * .wasm a CompiledWasm module, written beside the bundle and named by its content hash.
 * `nodePaths`: more directories to resolve bare imports from (a dependency not installed in the
 * project). Returns the wasm module names, in import order.
 */
export async function bundleWorker(entry, outDir, { nodePaths = [] } = {}) {
  const wasmModules = [];
  const compiledWasm = {
    name: 'compiled-wasm (wrangler\'s default rule for **/*.wasm)',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        const bytes = readFileSync(file);
        const name = `${createHash('sha1').update(bytes).digest('hex')}-${path.basename(file)}`;
        if (!wasmModules.includes(name)) {
          writeFileSync(path.join(outDir, name), bytes);
          wasmModules.push(name);
        }
        return { path: `./${name}`, external: true };
      });
    },
  };
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    outfile: path.join(outDir, 'worker.js'),
    plugins: [compiledWasm],
    nodePaths,
    logLevel: 'warning',
  });
  return wasmModules;
}

/** A Cap'n Proto text literal (a JSON string is one). */
export const capnpText = (s) => JSON.stringify(s);

/**
 * A workerd config (text) serving one or more workers, each on its own 127.0.0.1 port:
 * `workers` is [{ port, dist, wasmModules, bindings? }], `dist` the bundle's directory relative to
 * the config file, `bindings` Cap'n Proto text for the worker's `bindings = [...]` field (with
 * its leading newline and trailing comma). Every worker's fetch may reach loopback (workerd's
 * default is public addresses only), for an origin or the cache emulator on 127.0.0.1.
 */
export function workerdConfig(workers) {
  const name = (i) => `worker${i}`;
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
${workers.map((_, i) => `    (name = "${name(i)}", worker = .${name(i)}),`).join('\n')}
    # The worker's fetch may reach the cache emulator on loopback (workerd's default: public only).
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
${workers.map((w, i) => `    (name = "http${i}", address = "127.0.0.1:${w.port}", http = (), service = "${name(i)}"),`).join('\n')}
  ],
);
${workers.map((w, i) => `
const ${name(i)} :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "${w.dist}/worker.js"),
${w.wasmModules.map((m) => `    (name = "${m}", wasm = embed "${w.dist}/${m}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
  globalOutbound = "loopback",${w.bindings ?? ''}
);
`).join('')}`;
}

/**
 * The user's worker project: the packed tarball installed into `dir`, the worker's source in
 * src/, bundled as wrangler bundles it (bundleWorker), and a workerd config serving it on `port`
 * (workerdConfig). Returns the config's path.
 */
export async function writeBundle(dir, port, { source = WORKER_SOURCE, wasmCount = 2, bindings = '' } = {}) {
  installPacked(dir);
  mkdirSync(path.join(dir, 'src'));
  copyFileSync(source, path.join(dir, 'src', 'worker.mjs'));
  copyFileSync(path.join(REPO, 'www', 'cache-runner.js'), path.join(dir, 'src', 'cache-runner.js'));
  const wasmModules = await bundleWorker(path.join(dir, 'src', 'worker.mjs'), path.join(dir, 'dist'));
  assert.equal(wasmModules.length, wasmCount, `the bundle imports ${wasmCount === 2 ? 'the player and the edge .wasm' : 'one .wasm'}: ${wasmModules}`);
  const configPath = path.join(dir, 'config.capnp');
  writeFileSync(configPath, workerdConfig([{ port, dist: 'dist', wasmModules, bindings }]));
  return configPath;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * workerd serving `configPath` (cwd `dir`), answering on `port`: `{ base, child, output() ,
 * stop() }` once `probe` (a path) answers, or a failed assertion with workerd's output.
 */
export async function startWorkerd(configPath, dir, port, probe = '/') {
  const child = spawn(WORKERD, ['serve', configPath, '--verbose'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await waitForExit(child, 3000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 3000);
      }
    }
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.equal(child.exitCode, null, `workerd exited (${child.exitCode}):\n${output}`);
    try {
      await fetch(`${base}${probe}`, { signal: AbortSignal.timeout(2000) });
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        assert.fail(`workerd did not answer on ${base} within 20 s: ${error.message}\n${output}`);
      }
      await sleep(100);
    }
  }
  return { base, child, output: () => output, stop };
}

/**
 * What a deployment of the bundle in `dir` uploads (dist/: the script and its .wasm modules):
 * bytes and gzip -9 bytes (Node's zlib), each file and in all.
 */
export function bundleSize(dir) {
  const dist = path.join(dir, 'dist');
  const files = readdirSync(dist).filter((f) => f.endsWith('.js') || f.endsWith('.wasm')).map((f) => {
    const bytes = readFileSync(path.join(dist, f));
    return { file: f, bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
  });
  return { files, bytes: files.reduce((n, f) => n + f.bytes, 0), gzipped: files.reduce((n, f) => n + f.gzipped, 0) };
}
