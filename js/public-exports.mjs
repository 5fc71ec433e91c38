// Replaces an entry's `export * from '<glue>';` with the glue's public names, listed:
// a star export would also carry the binding layer's internal functions (`_io`, `_takeError`,
// ...: wasm-bindgen exports every #[wasm_bindgen] item, and skip_typescript only hides them from
// the types). Public = the classes and functions the glue's .d.ts declares, minus those the entry
// defines itself (a checked `qualityForSize`, its own `initSync`, the scope API's classes).
//
//   node js/public-exports.mjs <entry.js> <glue.d.ts>    (rewrites <entry.js> in place)
import { readFileSync, writeFileSync } from 'node:fs';

const [entry, types] = process.argv.slice(2);
let code = readFileSync(entry, 'utf8');
const star = /^export \* from ('[^']+');$/m.exec(code);
if (!star) throw new Error(`${entry}: no export * of the glue`);
const own = new Set();
for (const m of code.matchAll(/^export (?:const \{([^}]*)\}|(?:const|function) (\w+)|\{([^}]*)\})/gm)) {
  for (const name of (m[1] ?? m[2] ?? m[3]).split(',')) own.add(name.trim().split(/\s+as\s+/).pop());
}
const names = [...readFileSync(types, 'utf8').matchAll(/^export (?:declare )?(?:class|function) (\w+)/gm)]
  .map((m) => m[1])
  .filter((n) => !n.startsWith('_') && !own.has(n));
if (!names.includes('Policy')) throw new Error(`${types}: no Policy among ${names}`);
code = code.replace(star[0], () => `export { ${[...new Set(names)].sort().join(', ')} } from ${star[1]};`);
writeFileSync(entry, code);
