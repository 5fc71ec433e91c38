// The Momento vectors (tests/vectors/momento-scopes.json, momento-tokens.json) are what
// Momento's own SDK makes (tests/tools/momento-vectors.mjs, with the SDK pinned in
// tests/package.json): regenerated here from the SDK, they must be byte for byte the files the
// other tests check playgate against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './helpers.mjs';

test('the Momento vectors regenerate byte for byte from the pinned SDK', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'momento-vectors-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const log = execFileSync(process.execPath, [path.join(REPO, 'tests/tools/momento-vectors.mjs')], {
    env: { ...process.env, MOMENTO_VECTORS_OUT: out }, encoding: 'utf8', timeout: 60_000,
  });
  assert.match(log, /momento-scopes\.json: \d+ cases; momento-tokens\.json: \d+ cases/);
  for (const file of ['momento-scopes.json', 'momento-tokens.json']) {
    assert.equal(readFileSync(path.join(out, file), 'utf8'), readFileSync(path.join(REPO, 'tests/vectors', file), 'utf8'), file);
  }
});
