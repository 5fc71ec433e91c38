// A worker bundled as wrangler bundles one, and the workerd config that serves it: shared by
// tests/node/workerd.test.mjs and bench/gate-workerd.mjs, so the benchmark's workers are built
// exactly as the tested ones are (the packed package installed with installPacked, helpers.mjs).
import esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers.mjs';

export const WORKERD = path.join(REPO, 'tests', 'node_modules', '.bin', 'workerd');

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
