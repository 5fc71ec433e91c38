// Writes Node's two entries of one wasm module (run by build.sh once the module's web/ directory,
// the package root's api.mjs, cache.mjs and load.mjs are in place):
//   <out>/index.cjs  js/entries/node.cjs, with the path from <out> to the package root; it runs
//                    the package's ES modules (the glue in web/, load.mjs, api.mjs, cache.mjs)
//                    as function bodies, so the tarball carries the JS layer once;
//   <out>/index.mjs  an ES module that compiles index.cjs's text as a function given CommonJS's
//                    names (`require` of fs and vm, `module`, `exports`, `__dirname`) and runs it.
// Measured on a cold start: the ES module not starting Node's CommonJS loader (createRequire and
// the first require cost 1.5-2 ms) saves that much. Both files share one instance per directory
// (see js/entries/node.cjs).
// Checks, for each ES module that entry runs, that it is esbuild's form (no import, one export
// list at the end and no other export) and that the list names exactly what Node's import of it
// gives.
//
//   node js/build-node-entries.mjs <out dir> <path from out dir to the package root>
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [out, root] = process.argv.slice(2);
const entry = join(dirname(fileURLToPath(import.meta.url)), 'entries', 'node.cjs');

for (const file of [join(out, '..', 'web', 'playgate_bg.js'), ...['load.mjs', 'api.mjs', 'cache.mjs'].map((f) => join(out, root, f))]) {
  const text = readFileSync(file, 'utf8');
  // As a data: URL: the glue's .js is not an ES module to Node by its name.
  const namespace = Object.keys(await import(`data:text/javascript,${encodeURIComponent(text)}`)).sort();
  if (/^import\b/m.test(text)) throw new Error(`${file}: an import statement (Node's entry runs it as a function body)`);
  const exports = text.match(/^export\b.*$/gm) ?? [];
  const list = /\nexport \{([^}]*)\};?\s*$/.exec(text);
  if (exports.length !== 1 || list === null) throw new Error(`${file}: expected one export list at the end, and no other export (esbuild's form)`);
  const read = list[1].split(',').map((item) => item.trim().split(/\s+as\s+/)).filter(([local]) => local !== '').map(([local, exported = local]) => exported);
  if (read.sort().join() !== namespace.join()) throw new Error(`${file}: its exports as Node's entry reads them differ from Node's import: ${read.join()} / ${namespace.join()}`);
}

const code = readFileSync(entry, 'utf8');
if (!code.includes('__ROOT__')) throw new Error(`${entry}: no __ROOT__`);
writeFileSync(join(out, 'index.cjs'), code.replace('__ROOT__', root));

// The names to export: those of the module the CommonJS entry builds (internal ones start with _).
const raw = createRequire(join(out, 'index.cjs'))('./index.cjs');
const names = Object.keys(raw).filter((n) => n !== 'default' && !n.startsWith('_')).sort();

const esm = `// Node (import): the code of index.cjs, compiled here as the body of a function given
// CommonJS's names, so that an import neither starts Node's CommonJS loader nor ships the code a
// second time; one instance is shared with require().
// process.getBuiltinModule: Node >= 20.16 (older versions import the builtins as ES modules).
const builtin = (name) => process.getBuiltinModule?.(name) ?? import(\`node:\${name}\`);
const fs = await builtin('fs');
const vm = await builtin('vm');
const { fileURLToPath } = await builtin('url');
const { dirname } = await builtin('path');
const filename = fileURLToPath(new URL('./index.cjs', import.meta.url));
const cjsModule = { exports: {} };
vm.compileFunction(fs.readFileSync(filename, 'utf8'), ['require', 'module', 'exports', '__dirname'], { filename })((name) => {
  if (name === 'fs') return fs;
  if (name === 'vm') return vm;
  throw new Error(\`playgate: the Node entry has no require('\${name}')\`);
}, cjsModule, cjsModule.exports, dirname(filename));
const raw = cjsModule.exports;
export default raw.default;
${names.map((n) => `export const ${n} = raw.${n};`).join('\n')}
`;
writeFileSync(join(out, 'index.mjs'), esm);
