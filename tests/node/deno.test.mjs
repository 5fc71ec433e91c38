// The package in real Deno (npm `deno`): its web entry imported from disk, the .wasm fetched from a
// file: URL by init(), every decision vector decided as the vectors say, and
// the cache-client scenarios (cache-scenarios.mjs) through Deno's own fetch against the emulator.
// Env: PLAYGATE_PKG (package dir, default <repo>/pkg).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PKG, REPO, VECTORS, expected, pick, freePort } from './helpers.mjs';
import { cacheScenarios, startTestEmulator } from './cache-scenarios.mjs';

const DENO = path.join(REPO, 'tests', 'node_modules', '.bin', 'deno');

test('playgate in Deno', { timeout: 120_000 }, async (t) => {
  assert.ok(existsSync(DENO), `deno missing: ${DENO} (npm install in tests/)`);
  const port = await freePort();
  let output = '';
  const child = spawn(DENO, [
    'run', '--quiet', '--no-prompt', `--allow-net=127.0.0.1`, `--allow-read=${PKG},${REPO}`,
    path.join(REPO, 'tests', 'deno', 'server.mjs'), PKG, String(port),
  ], { env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(os.tmpdir(), 'playgate-deno-dir') }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c) => { output += c; });
  child.stderr.on('data', (c) => { output += c; });
  t.after(() => child.kill('SIGKILL'));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    assert.equal(child.exitCode, null, `deno exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      assert.deepEqual(await res.json(), { ok: true, codes: 12 });
      break;
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      assert.ok(Date.now() < deadline, `deno did not answer within 30 s: ${error.message}\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const post = async (route, body) => {
    const res = await fetch(`${base}${route}`, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
    return { status: res.status, json: await res.json() };
  };

  await t.test('every decision vector decides as the vectors say in Deno', async () => {
    let n = 0;
    for (const c of VECTORS.cases) {
      const policy = c.policy === undefined ? undefined : (typeof c.policy === 'string' ? VECTORS.policies[c.policy] : c.policy);
      const source = c.dictionary !== undefined ? { dictionary: c.dictionary }
        : { blob: c.blobText ?? JSON.stringify(typeof c.entitlement === 'string' ? VECTORS.documents[c.entitlement] : c.entitlement) };
      const { status, json } = await post('/decide', { policy, ...source, request: c.request });
      const want = expected(c);
      const got = status === 200 ? pick(json, want) : { error: json.code };
      assert.deepEqual(got, want, c.name);
      n++;
    }
    assert.equal(n, VECTORS.count);
  });

  await t.test('cache client in Deno against the emulator (Deno\'s fetch)', async (t2) => {
    const fixture = await startTestEmulator();
    t2.after(() => fixture.emu.close());
    const run = async (spec) => {
      const { status, json } = await post('/cache-op', spec);
      assert.equal(status, 200, `cache-op: ${JSON.stringify(json)}\n${output}`);
      return json;
    };
    await cacheScenarios(t2, fixture.emu, fixture.clock, run, 'deno', fixture);
  });
});
