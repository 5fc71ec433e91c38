// Writes Node's two entries of one wasm module (run by build.sh after wasm-bindgen):
//   <out>/index.cjs  js/entries/node.cjs with its require() calls of the wasm-bindgen glue, the
//                    API layer and the cache client replaced by their code, each in its own
//                    function scope (parenthesised: V8 compiles it with the file);
//   <out>/index.mjs  an ES module that compiles index.cjs's text as a function given CommonJS's
//                    names (`require` of builtins, `module`, `exports`, `__dirname`) and runs it.
// Measured on a cold start: one file instead of four saves about 1 ms, and the ES module not
// starting Node's CommonJS loader (createRequire and the first require cost 1.5-2 ms) as much
// again. Both files share one instance per directory (see js/entries/node.cjs).
//
//   node js/build-node-entries.mjs <glue.js> <api.cjs> <cache.cjs> <out dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [glue, api, cache, out] = process.argv.slice(2);
const entry = join(dirname(fileURLToPath(import.meta.url)), 'entries', 'node.cjs');

let code = readFileSync(entry, 'utf8');
for (const [name, file] of [['./playgate.cjs', glue], ['../api.cjs', api], ['../cache.cjs', cache]]) {
  const call = `require('${name}')`;
  if (!code.includes(call)) throw new Error(`${entry}: no ${call}`);
  const body = readFileSync(file, 'utf8');
  code = code.replace(call, () => `inline((function (module, exports) {\n${body}\n}))`);
}
// The .wasm is shipped once per module, in the web/ directory beside node/.
const WASM_PATH = '`${__dirname}/playgate_bg.wasm`';
if (!code.includes(WASM_PATH)) throw new Error(`${glue}: no ${WASM_PATH}`);
code = code.replace(WASM_PATH, () => '`${__dirname}/../web/playgate_bg.wasm`');
writeFileSync(join(out, 'index.cjs'), code);

// The names to export: those of the module the CommonJS entry builds (internal ones start with _).
const raw = createRequire(join(out, 'index.cjs'))('./index.cjs');
const names = Object.keys(raw).filter((n) => n !== 'default' && !n.startsWith('_')).sort();

const esm = `// Node (import): the code of index.cjs, compiled here as the body of a function given
// CommonJS's names, so that an import neither starts Node's CommonJS loader nor ships the code a
// second time; one instance is shared with require().
// process.getBuiltinModule: Node >= 20.16 (older versions import the builtins as ES modules).
const builtin = (name) => process.getBuiltinModule?.(name) ?? import(\`node:\${name}\`);
const fs = await builtin('fs');
const { compileFunction } = await builtin('vm');
const { fileURLToPath } = await builtin('url');
const { dirname } = await builtin('path');
const filename = fileURLToPath(new URL('./index.cjs', import.meta.url));
const cjsModule = { exports: {} };
compileFunction(fs.readFileSync(filename, 'utf8'), ['require', 'module', 'exports', '__dirname'], { filename })((name) => {
  if (name === 'fs') return fs;
  throw new Error(\`playgate: the Node entry has no require('\${name}')\`);
}, cjsModule, cjsModule.exports, dirname(filename));
const raw = cjsModule.exports;
export default raw.default;
${names.map((n) => `export const ${n} = raw.${n};`).join('\n')}
`;
writeFileSync(join(out, 'index.mjs'), esm);
