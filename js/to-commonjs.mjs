// Build step: the CommonJS form of an ES module of the JS layer (api.mjs, cache.mjs), which
// js/build-node-entries.mjs inlines into Node's entries. A real transform (TypeScript's
// transpiler, pinned in tests/package.json), not text substitution. Not esbuild's: its CommonJS
// interop defines each export as a getter through helper functions, which cost 0.15 ms per
// module at cold start, measured (compile and run, fresh process, medians of 40); TypeScript
// writes plain `exports.name = ...` assignments.
//
//   node js/to-commonjs.mjs <in.mjs> <out.cjs>
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The build's npm tools live in tests/node_modules (tests/package.json).
const ts = createRequire(new URL('../tests/package.json', import.meta.url))('typescript');

const [input, output] = process.argv.slice(2);
const { outputText, diagnostics } = ts.transpileModule(readFileSync(input, 'utf8'), {
  fileName: input.replace(/\.mjs$/, '.js'), // a .mjs name would keep ES module syntax
  reportDiagnostics: true,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, removeComments: true },
});
if (diagnostics.length > 0) {
  throw new Error(`${input}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
}
// An export the code reads itself must stay a local binding, not a load from `exports`.
const reads = outputText.split('\n').filter((line) => /\bexports\.\w+/.test(line) && !/^exports\.\w+ = /.test(line.trim()));
if (reads.length > 0) throw new Error(`${input}: the CommonJS form reads its own exports: ${reads.join(' | ')}`);
writeFileSync(output, outputText);
