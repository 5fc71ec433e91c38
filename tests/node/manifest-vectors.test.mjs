// The manifest vectors' expected outputs, written by hand from RFC 8216 and ISO/IEC 23009-1,
// re-derived with independent parsers (m3u8-parser, fast-xml-parser): a wrong expectation in
// tests/vectors/manifests.json fails here, not only in playgate's own filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('manifest vectors agree with m3u8-parser and fast-xml-parser', () => {
  const tool = fileURLToPath(new URL('../tools/check-manifest-vectors.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [tool], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^\d+ manifest vectors agree/m);
});
