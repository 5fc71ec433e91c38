// Writes the generated .d.ts of one module without names only the DOM lib declares: a project
// with `lib: ["es2022"]` (Node, workers) and `skipLibCheck: false` must type-check it. The init
// functions' argument and result types are rewritten structurally (wasm-bindgen names
// RequestInfo, BufferSource, Response and WebAssembly.*), the instance's raw exports (internal)
// stay out of the types, and `[Symbol.dispose]` (TypeScript's esnext.disposable lib, which most
// projects lack) is left out; it exists at run time.
//
//   node js/dom-free-types.mjs <generated .d.ts> <out .d.ts>
import { readFileSync, writeFileSync } from 'node:fs';

const [from, to] = process.argv.slice(2);
let text = readFileSync(from, 'utf8');
const replace = (pattern, by) => {
  const matches = text.match(new RegExp(pattern.source, `${pattern.flags}g`));
  if (matches?.length !== 1) throw new Error(`${from}: ${pattern} matched ${matches?.length ?? 0} times, not once`);
  text = text.replace(pattern, by);
};
text = text.split('\n').filter((line) => !line.includes('[Symbol.dispose]()')).join('\n');
replace(/^export type InitInput = .*;$/m,
  '/** A URL (string or URL), a fetch Response or a promise of one, the .wasm bytes, or a compiled WebAssembly.Module. */\n'
  + 'export type InitInput = string | ArrayBuffer | ArrayBufferView | object;');
replace(/^export interface InitOutput \{\n(?: {4}readonly .*\n)*\}$/m,
  '/** The instance made: its exports are the binding\'s internals, not an API. */\nexport type InitOutput = object;');
replace(/^export type SyncInitInput = .*;$/m,
  '/** The .wasm bytes or a compiled WebAssembly.Module. */\nexport type SyncInitInput = ArrayBuffer | ArrayBufferView | object;');
for (const name of ['RequestInfo', 'BufferSource', 'WebAssembly.', 'Response']) {
  const at = text.split('\n').findIndex((line) => !line.trim().startsWith('*') && !line.trim().startsWith('/') && line.includes(name));
  if (at >= 0) throw new Error(`${from}:${at + 1}: still names ${name}`);
}
writeFileSync(to, text);
