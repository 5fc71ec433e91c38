// What each part of the player module costs (issue 14, point 7), from the module variants
// `./build.sh bench` builds (the binding crate with one part's cargo feature alone, optimised as
// the package's module is): decisions alone (the base: the decision rules, documents, policies,
// the binding and the allocator), then what scopes, Momento token decoding (with the scopes it
// needs) and manifests each add to it; and the package's two modules as shipped. Sizes are gzip
// -9 by Node's zlib (the shell's gzip -9 is 1-1.5% smaller on this module).
//
//   node bench/size-parts.mjs <dir of variants> <pkg dir>    (writes bench/results/size-parts.md)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const [dir, pkg] = process.argv.slice(2);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizeOf = (file) => {
  const bytes = readFileSync(file);
  return { raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length };
};
const part = (name) => sizeOf(path.join(dir, name, 'optimised.wasm'));
const base = part('decisions');
const player = sizeOf(path.join(pkg, 'web', 'playgate_bg.wasm'));
const edge = sizeOf(path.join(pkg, 'edge', 'web', 'playgate_bg.wasm'));
const int = (n) => n.toLocaleString('en-US');
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const rows = [
  ['decisions (the base: rules, documents, policies, binding, allocator)', base, null],
  ['+ scopes (PermissionScope: JSON and protobuf readers, check plans, explain)', part('scopes'), base],
  ['+ Momento token decoding (decodeMomentoToken, with the scopes it needs)', part('tokens'), base],
  ['+ manifests (filterManifest: HLS, DASH and the XML tag reader)', part('manifests'), base],
  ['the player module as shipped (all of the above)', player, null],
  ['the edge module as shipped (+ JWT verification and minting, the DRM message)', edge, player],
];
const lines = [
  `Module size by part (\`./build.sh bench\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC): each part built alone on the base, optimised as shipped; gzip -9 (Node's zlib).`,
  '',
  '| part | module raw | module gzip -9 | the part adds, gzip -9 |',
  '|---|---|---|---|',
];
for (const [label, size, over] of rows) {
  const adds = over === null ? '' : `+${int(size.gzip - over.gzip)} B (${kb(size.gzip - over.gzip)})`;
  lines.push(`| ${label} | ${int(size.raw)} B | ${int(size.gzip)} B (${kb(size.gzip)}) | ${adds} |`);
}
const scopes = part('scopes');
const tokens = part('tokens');
const manifests = part('manifests');
const sum = base.gzip + (tokens.gzip - base.gzip) + (manifests.gzip - base.gzip);
lines.push('');
lines.push(`Token decoding includes the scopes (a token carries one): the decoder itself adds ${int(tokens.gzip - scopes.gzip)} B over the scopes row. `
  + `The base plus the token and manifest rows' additions is ${int(sum)} B, the shipped player module ${int(player.gzip)} B (parts built together compress a little differently).`);
const md = lines.join('\n') + '\n';
mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'results', 'size-parts.md'), md);
process.stdout.write(md);
