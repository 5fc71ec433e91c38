// Running a worker in real workerd the way its users deploy it: the packed tarball installed in
// a project, the worker bundled as wrangler bundles it, a workerd config listing the bundle and
// its .wasm modules (writeBundle), and a started workerd on 127.0.0.1 (startWorkerd). Shared by
// the workerd tests and the gate bench.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import path from 'node:path';
import esbuild from 'esbuild';
import { REPO, installPacked } from './helpers.mjs';

export const WORKERD = path.join(REPO, 'tests', 'node_modules', '.bin', 'workerd');
const WORKER_SOURCE = path.join(REPO, 'tests', 'workerd', 'worker.mjs');

/**
 * The user's worker project: the packed tarball installed into `dir`, the worker's source in
 * src/, bundled as wrangler bundles it (esbuild, ESM, the `workerd`, `worker` and `browser`
 * conditions; wrangler's default rule makes each imported .wasm a CompiledWasm module, named by
 * its content hash beside the bundle), and a workerd config listing the bundle and those modules.
 */
export async function writeBundle(dir, port, { source = WORKER_SOURCE, wasmCount = 2, bindings = '' } = {}) {
  installPacked(dir);
  mkdirSync(path.join(dir, 'src'));
  copyFileSync(source, path.join(dir, 'src', 'worker.mjs'));
  copyFileSync(path.join(REPO, 'www', 'cache-runner.js'), path.join(dir, 'src', 'cache-runner.js'));
  const wasmModules = [];
  const compiledWasm = {
    name: 'compiled-wasm (wrangler\'s default rule for **/*.wasm)',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, (args) => {
        const file = path.resolve(args.resolveDir, args.path);
        const bytes = readFileSync(file);
        const name = `${createHash('sha1').update(bytes).digest('hex')}-${path.basename(file)}`;
        if (!wasmModules.includes(name)) {
          writeFileSync(path.join(dir, 'dist', name), bytes);
          wasmModules.push(name);
        }
        return { path: `./${name}`, external: true };
      });
    },
  };
  mkdirSync(path.join(dir, 'dist'));
  await esbuild.build({
    entryPoints: [path.join(dir, 'src', 'worker.mjs')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    outfile: path.join(dir, 'dist', 'worker.js'),
    plugins: [compiledWasm],
    logLevel: 'warning',
  });
  assert.equal(wasmModules.length, wasmCount, `the bundle imports ${wasmCount === 2 ? 'the player and the edge .wasm' : 'one .wasm'}: ${wasmModules}`);
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .playgateWorker),
    # The worker's fetch may reach the cache emulator on loopback (workerd's default: public only).
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const playgateWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
${wasmModules.map((name) => `    (name = "${name}", wasm = embed "dist/${name}"),`).join('\n')}
  ],
  compatibilityDate = "2025-01-01",
  globalOutbound = "loopback",${bindings}
);
`;
  const configPath = path.join(dir, 'config.capnp');
  writeFileSync(configPath, config);
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
