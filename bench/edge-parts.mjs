// What the edge module's own parts weigh (issue 15, point 3b): the edge build of the binding
// crate before wasm-opt (it still has its function names), read by twiggy (`twiggy top`, every
// item), the shallow bytes of code grouped by the crate a function's name starts in: the
// signature algorithms the platform's WebCrypto also has (P-256, RSA, Ed25519, SHA-2/HMAC), the
// JSON and time code JWT verification brings (serde_json, chrono, jwt-compact). A gate made from
// the player module (`import { createGate } from 'playgate'`) carries none of them.
// Shares of code before optimisation, not gzipped bytes of the shipped module: wasm-opt shrinks
// each part by its own ratio.
//
//   node bench/edge-parts.mjs <edge build .wasm>    (writes bench/results/edge-parts.md)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [wasm] = process.argv.slice(2);
const csv = execFileSync('twiggy', ['top', '-n', '1000000', '--format', 'csv', wasm], { encoding: 'utf8', maxBuffer: 1 << 28 });
const PARTS = [
  ['Ed25519 (ed25519-compact)', /ed25519_compact/],
  ['serde_json', /serde_json/],
  ['RSA (rsa, num-bigint-dig, pkcs1, der, spki)', /\brsa::|<rsa::|num_bigint_dig|pkcs1|\bder::|<der::|spki|pkcs8/],
  ['P-256 (p256, elliptic-curve, primeorder, ecdsa)', /p256|elliptic_curve|primeorder|ecdsa/],
  ['SHA-2, HMAC (sha2, hmac, digest)', /sha2|hmac|digest::/],
  ['jwt-compact', /jwt_compact/],
  ['chrono', /chrono/],
];
const sums = new Map(PARTS.map(([label]) => [label, 0]));
let code = 0;
for (const line of csv.split('\n').slice(1)) {
  const m = /^("(?:[^"]|"")*"|[^,]*),(\d+),/.exec(line);
  if (!m) continue;
  const name = m[1].replace(/^"|"$/g, '').replace(/""/g, '"');
  if (/^("function names"|custom section|data segment)/.test(name) || name.startsWith('"function names"')) continue;
  const size = Number(m[2]);
  code += size;
  const part = PARTS.find(([, re]) => re.test(name));
  if (part) sums.set(part[0], sums.get(part[0]) + size);
}
const kb = (n) => `${(n / 1000).toFixed(0)} KB`;
const lines = [
  `Edge module parts (\`./build.sh size-parts\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC): twiggy on the edge build before wasm-opt, shallow bytes of code (${kb(code)} in all).`,
  '',
  '| part | code | share |',
  '|---|---|---|',
  ...[...sums].map(([label, n]) => `| ${label} | ${kb(n)} | ${(100 * n / code).toFixed(1)}% |`),
];
console.log(lines.join('\n'));
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'results', 'edge-parts.md'), `${lines.join('\n')}\n`);
