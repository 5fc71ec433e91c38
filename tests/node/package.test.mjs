// The package as a user gets it: `npm pack` the built pkg/, install the tarball into a fresh
// project, and use it through `import` and `require` (one shared instance), through the `web`
// entry with initSync, and through the `bundler` entry (the .wasm imported as an ES module).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PKG, loadVectors } from './helpers.mjs';

let dir;
const node = (args, cwd = dir) => execFileSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 30_000 });

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'playgate-pack-'));
  const out = execFileSync('npm', ['pack', PKG, '--pack-destination', dir, '--json', '--loglevel=error'], { encoding: 'utf8', timeout: 60_000 });
  const [{ filename, files }] = JSON.parse(out);
  const names = files.map((f) => f.path);
  for (const must of ['package.json', 'README.md', 'api.mjs', 'cache.mjs', 'web/index.js', 'web/index.d.ts', 'web/playgate.d.ts', 'web/playgate_bg.wasm', 'node/index.mjs', 'node/index.cjs', 'bundler/index.js', 'edge/web/index.js', 'edge/web/index.d.ts', 'edge/node/index.mjs', 'edge/node/index.cjs']) {
    assert.ok(names.includes(must), `the tarball holds ${must}`);
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, filename)], { cwd: dir, timeout: 120_000 });
  assert.ok(existsSync(path.join(dir, 'node_modules/playgate/package.json')));
});

after(() => dir && rmSync(dir, { recursive: true, force: true }));

const SCRIPT_BODY = `
  const ent = Entitlement.fromBlob(JSON.stringify({ subscription_level: 'premium', region: 'US', valid_until: '2024-12-31T23:59:59Z' }));
  const policy = Policy.fromJson({ tiers: { premium: { maxQuality: 'UHD1' } } });
  const d = policy.evaluate(ent, { entityId: 'movie-123', country: 'US', now: Date.parse('2024-11-15T12:00:00Z') });
  console.log(JSON.stringify(d));`;
const EXPECTED = { allowed: true, code: null, reasons: [], claims: [], maxQuality: 'UHD1', allowPersistence: false, validUntil: Date.parse('2024-12-31T23:59:59Z') };

test('import (ESM) works in Node, ready on import', () => {
  writeFileSync(path.join(dir, 'esm.mjs'), `import init, { Policy, Entitlement } from 'playgate';\nawait init();\n${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['esm.mjs'])), EXPECTED);
});

test('require (CommonJS) works in Node, ready on require', () => {
  writeFileSync(path.join(dir, 'cjs.cjs'), `const { Policy, Entitlement } = require('playgate');\n${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['cjs.cjs'])), EXPECTED);
});

test('the Node entries are one file each: no relative require() or import (one module load at start-up)', () => {
  for (const entry of ['node/index.cjs', 'node/index.mjs', 'edge/node/index.cjs', 'edge/node/index.mjs']) {
    const text = readFileSync(path.join(dir, 'node_modules/playgate', entry), 'utf8');
    assert.deepEqual(text.match(/require\(['"]\.[^'"]*['"]\)/g), null, `${entry} requires no other file of the package`);
    assert.deepEqual(text.match(/(?:from|import\()\s*['"]\.[^'"]*['"]/g), null, `${entry} imports no other file of the package`);
  }
});

test('import works without process.getBuiltinModule (Node < 20.16 falls back to node:module)', () => {
  writeFileSync(path.join(dir, 'old-node.mjs'), `delete process.getBuiltinModule;
    if (process.getBuiltinModule !== undefined) throw new Error('process.getBuiltinModule is still there');
    const { Policy, Entitlement } = await import('playgate');
    ${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['old-node.mjs'])), EXPECTED);
});

test('require first, then import: still one module instance', () => {
  writeFileSync(path.join(dir, 'dual.cjs'), `const cjs = require('playgate');
    const edge = require('playgate/edge');
    Promise.all([import('playgate'), import('playgate/edge')]).then(([esm, esmEdge]) => {
      const ent = cjs.Entitlement.fromBlob('{"subscription_level":"basic"}');
      const d = esm.Policy.fromJson({}).evaluate(ent, { entityId: 'x', now: 0 });
      console.log(JSON.stringify({ same: esm.Policy === cjs.Policy && esmEdge.JwtVerifier === edge.JwtVerifier,
        edgeSeparate: edge.Policy !== cjs.Policy, allowed: d.allowed }));
    });`);
  assert.deepEqual(JSON.parse(node(['dual.cjs'])), { same: true, edgeSeparate: true, allowed: true });
});

test('a global object that cannot be extended (a hardened realm): import still works', () => {
  writeFileSync(path.join(dir, 'frozen.mjs'), `Object.preventExtensions(globalThis);
    const { Policy, Entitlement } = await import('playgate');
    ${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['frozen.mjs'])), EXPECTED);
});

test('import and require share one module instance', () => {
  writeFileSync(path.join(dir, 'dual.mjs'), `import { createRequire } from 'node:module';
    import * as esm from 'playgate';
    const cjs = createRequire(import.meta.url)('playgate');
    console.log(esm.Policy === cjs.Policy && esm.Entitlement === cjs.Entitlement);`);
  assert.equal(node(['dual.mjs']).trim(), 'true');
});

test('the web entry works with initSync (as in workerd and Deno)', () => {
  writeFileSync(path.join(dir, 'web.mjs'), `import { readFileSync } from 'node:fs';
    import { initSync, Policy, Entitlement } from 'playgate/web';
    initSync({ module: readFileSync(new URL('./node_modules/playgate/web/playgate_bg.wasm', import.meta.url)) });
    ${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['web.mjs'])), EXPECTED);
});

test('the web entry: init takes wasm-bindgen\'s argument shapes; what cannot load is WASM_UNAVAILABLE, and a later init may retry', () => {
  writeFileSync(path.join(dir, 'web-init.mjs'), `import { readFileSync } from 'node:fs';
    import init, { initSync, Policy, Entitlement } from 'playgate/web';
    const codes = [];
    for (const arg of [{ module_or_path: 'no-base.wasm' }, { module_or_path: 42 }, { module_or_path: Promise.resolve(null) }]) {
      try { await init(arg); codes.push('loaded'); } catch (e) { codes.push(e.code); }
    }
    try { initSync({ module: 'not a module' }); codes.push('loaded'); } catch (e) { codes.push(e.code); }
    const bytes = readFileSync(new URL('./node_modules/playgate/web/playgate_bg.wasm', import.meta.url));
    const exports = await init({ module_or_path: new Response(bytes, { headers: { 'content-type': 'application/wasm' } }) });
    const again = await init({ module_or_path: 'ignored once started' });
    console.log(JSON.stringify({ codes, same: exports === again, memory: exports.memory instanceof WebAssembly.Memory,
      allowed: new Policy().evaluate(Entitlement.fromBlob('{}'), { entityId: 'x', now: 0 }).allowed }));`);
  assert.deepEqual(JSON.parse(node(['web-init.mjs'])), {
    codes: ['WASM_UNAVAILABLE', 'WASM_UNAVAILABLE', 'WASM_UNAVAILABLE', 'WASM_UNAVAILABLE'], same: true, memory: true, allowed: true,
  });
});

test('the bundler entry imports the .wasm as an ES module', () => {
  writeFileSync(path.join(dir, 'bundler.mjs'), `import init, { Policy, Entitlement } from './node_modules/playgate/bundler/index.js';
    await init();
    ${SCRIPT_BODY}`);
  assert.deepEqual(JSON.parse(node(['--experimental-wasm-modules', '--no-warnings', 'bundler.mjs'])), EXPECTED);
});

test('playgate/edge and playgate/jwt: import and require, with JWT verification; in Node one module', () => {
  writeFileSync(path.join(dir, 'edge.mjs'), `import { JwtVerifier, Policy, PermissionScope } from 'playgate/edge';
    import * as jwt from 'playgate/jwt';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const cjs = require('playgate/edge');
    const v = JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [{ kty: 'oct', k: 'A'.repeat(43) }] });
    let code;
    try { v.verify('x.y.z'); } catch (e) { code = e.code; }
    console.log(JSON.stringify({ same: cjs.JwtVerifier === JwtVerifier && jwt.JwtVerifier === JwtVerifier && require('playgate/jwt').JwtVerifier === JwtVerifier,
      code, policy: typeof Policy, scope: typeof PermissionScope }));`);
  assert.deepEqual(JSON.parse(node(['edge.mjs'])), { same: true, code: 'MALFORMED_TOKEN', policy: 'function', scope: 'function' });
});

test('the cache client and store come with every entry of the packed package', () => {
  // Each entry binds js/cache.mjs to its own module's classes; the files must be in the tarball.
  writeFileSync(path.join(dir, 'cache.mjs'), `import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    import * as esm from 'playgate';
    import * as web from 'playgate/web';
    import * as edge from 'playgate/edge';
    import * as bundler from './node_modules/playgate/bundler/index.js';
    const cjs = createRequire(import.meta.url)('playgate');
    web.initSync({ module: readFileSync(new URL('./node_modules/playgate/web/playgate_bg.wasm', import.meta.url)) });
    const out = {};
    for (const [name, m] of Object.entries({ esm, cjs, web, edge, bundler })) {
      const store = new m.EntitlementStore({ policy: new m.Policy(), load: async () => '{"region": "US"}' });
      const d = await store.decide('u', { entityId: 'movie-1', country: 'US', now: 0 });
      let code;
      try { new m.CacheClient({ token: 'x' }); } catch (e) { code = e.code; }
      out[name] = [typeof m.CacheClient, typeof m.CacheError, d.allowed, code];
    }
    console.log(JSON.stringify(out));`);
  const got = JSON.parse(node(['--experimental-wasm-modules', '--no-warnings', 'cache.mjs']));
  for (const name of ['esm', 'cjs', 'web', 'edge', 'bundler']) assert.deepEqual(got[name], ['function', 'function', true, 'MALFORMED_TOKEN'], name);
});

test('manifests from every entry of the packed package: filterManifest and packagerFilters (the DRM message only in playgate/edge)', () => {
  // Apple's HLS authoring shape (tests/vectors/manifests.json has the real ladders): a 2160p and
  // a 720p variant; capped at HD the 2160p variant and its URI line go.
  writeFileSync(path.join(dir, 'manifests.mjs'), `import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    import * as esm from 'playgate';
    import * as web from 'playgate/web';
    import * as edge from 'playgate/edge';
    import * as bundler from './node_modules/playgate/bundler/index.js';
    const cjs = createRequire(import.meta.url)('playgate');
    const edgeCjs = createRequire(import.meta.url)('playgate/edge');
    web.initSync({ module: readFileSync(new URL('./node_modules/playgate/web/playgate_bg.wasm', import.meta.url)) });
    const master = '#EXTM3U\\n#EXT-X-STREAM-INF:BANDWIDTH=16000000,RESOLUTION=3840x2160\\nuhd.m3u8\\n#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\\nhd.m3u8\\n';
    const out = {};
    for (const [name, m] of Object.entries({ esm, cjs, web, edge, edgeCjs, bundler })) {
      const r = m.filterManifest(new TextEncoder().encode(master), { maxQuality: 'HD' });
      let code;
      try { m.filterManifest('not a playlist', { maxQuality: 'HD' }); } catch (e) { code = e.code; }
      out[name] = [r.text, r.kept, r.removed, code, m.packagerFilters('HD').mux, typeof m.axinomLicenseMessage];
    }
    console.log(JSON.stringify(out));`);
  const got = JSON.parse(node(['--experimental-wasm-modules', '--no-warnings', 'manifests.mjs']));
  const capped = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720\nhd.m3u8\n';
  for (const name of ['esm', 'cjs', 'web', 'bundler']) assert.deepEqual(got[name], [capped, 1, 1, 'INVALID_MANIFEST', 'max_resolution=1080p', 'undefined'], name);
  for (const name of ['edge', 'edgeCjs']) assert.deepEqual(got[name], [capped, 1, 1, 'INVALID_MANIFEST', 'max_resolution=1080p', 'function'], name);
});

test('package.json: exports map, version from Cargo.toml, types', () => {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'node_modules/playgate/package.json'), 'utf8'));
  const cargo = readFileSync(path.join(PKG, '../Cargo.toml'), 'utf8');
  assert.equal(pkg.version, /^version = "([^"]+)"/m.exec(cargo)[1]);
  const root = pkg.exports['.'];
  assert.deepEqual(root.node, { import: { types: './web/index.d.ts', default: './node/index.mjs' }, require: { types: './node/index.d.ts', default: './node/index.cjs' } });
  assert.equal(root.browser, './web/index.js');
  assert.equal(root.workerd, './bundler/index.js', 'workerd (wrangler) imports the .wasm as a CompiledWasm module: ready on import');
  assert.equal(root.deno, './bundler/index.js', 'Deno imports the .wasm as a module: no read permission');
  assert.equal(root.module, './bundler/index.js');
  assert.equal(root.types, './web/index.d.ts');
  const keys = Object.keys(root);
  assert.ok(keys.indexOf('node') < keys.indexOf('module') && keys.indexOf('module') < keys.indexOf('browser'), 'condition order: runtimes, then bundlers, then browsers');
});

test('every entry exports at run time exactly the values its types declare (no internals)', async () => {
  const { default: ts } = await import('typescript');
  const root = path.join(dir, 'node_modules/playgate');
  /** The value exports (classes, functions, consts, default) a .d.ts declares, by TypeScript's own reading. */
  const declared = (dts) => {
    const file = path.join(root, dts);
    const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
    const checker = program.getTypeChecker();
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));
    return exports
      .filter((s) => ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) !== 0)
      .map((s) => s.name)
      .sort();
  };
  writeFileSync(path.join(dir, 'names.mjs'), `import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const keys = (m) => Object.keys(m).sort();
    console.log(JSON.stringify({
      esm: keys(await import('playgate')), cjs: keys(require('playgate')), web: keys(await import('playgate/web')),
      bundler: keys(await import('./node_modules/playgate/bundler/index.js')),
      edge: keys(await import('playgate/edge')), edgeCjs: keys(require('playgate/edge')),
    }));`);
  const got = JSON.parse(node(['--experimental-wasm-modules', '--no-warnings', 'names.mjs']));
  const player = declared('web/index.d.ts');
  const edge = declared('edge/web/index.d.ts');
  assert.ok(player.includes('Policy') && edge.includes('JwtVerifier'), `declared: ${player} / ${edge}`);
  for (const name of ['esm', 'cjs', 'web', 'bundler']) assert.deepEqual(got[name], player, name);
  for (const name of ['edge', 'edgeCjs']) assert.deepEqual(got[name], edge, name);
  for (const names of Object.values(got)) assert.deepEqual(names.filter((n) => n.startsWith('_')), [], 'no underscored internals');
});

// ---- the README's snippets, as written ------------------------------------------------------
// Each `<!-- snippet: name -->` block of the shipped README runs unchanged in the consumer
// project: a prelude supplies the names the snippet leaves to the reader, an epilogue prints what
// it did. Expected outcomes come from the decision rules (docs/decision-rules.md), the seed's
// token vector (generated by the Momento SDK) and jose.
const README = () => readFileSync(path.join(dir, 'node_modules/playgate/README.md'), 'utf8');
const snippet = (name) => {
  const m = new RegExp(`<!-- snippet: ${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\`\\n`).exec(README());
  assert.ok(m, `README: no snippet ${name}`);
  return m[1];
};
/** Runs prelude + snippet + epilogue as an ES module of the consumer project; its JSON output. */
const runSnippet = (name, prelude, epilogue, file = `snippet-${name}.mjs`) => {
  writeFileSync(path.join(dir, file), `${prelude}\n${snippet(name)}\n${epilogue}\n`);
  return JSON.parse(node([file]));
};
const TESTED_SNIPPETS = ['player', 'scope', 'catalog', 'node', 'edge', 'gate', 'gate-node'];

test('the ErrorCode type names every code the package throws (Rust core, JS layer, loader)', async () => {
  const { default: ts } = await import('typescript');
  const file = path.join(dir, 'node_modules/playgate/web/playgate.d.ts');
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'] });
  const checker = program.getTypeChecker();
  const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file))).find((s) => s.name === 'ErrorCode');
  const declared = checker.getDeclaredTypeOfSymbol(symbol).types.map((t) => t.value).sort();
  const repo = path.join(PKG, '..');
  const thrown = new Set([
    ...[...readFileSync(path.join(repo, 'src/error.rs'), 'utf8').matchAll(/=> "([A-Z_]+)"/g)].map((m) => m[1]),
    // The JS layer: js/api.mjs and every file it imports, transitively.
    ...jsLayerFiles(path.join(repo, 'js/api.mjs')).flatMap((file) => [...readFileSync(file, 'utf8')
      .matchAll(/\bfail\('([A-Z_]+)'|coded\([^,]+, '([A-Z_]+)'/g)].map((m) => m[1] ?? m[2])),
    ...[...readFileSync(path.join(repo, 'js/load.mjs'), 'utf8').matchAll(/code = '([A-Z_]+)'/g)].map((m) => m[1]),
  ]);
  assert.ok(thrown.size >= 15 && thrown.has('INVALID_POLICY') && thrown.has('ENTITLEMENT_MISSING'), [...thrown].join(' '));
  assert.deepEqual(declared, [...thrown].sort());
});

/** `entry` and the files it imports from `./...`, transitively. */
function jsLayerFiles(entry, seen = new Set()) {
  if (seen.has(entry)) return [];
  seen.add(entry);
  const imports = [...readFileSync(entry, 'utf8').matchAll(/^(?:import|export) [^;]*? from '(\.\/[\w-]+\.mjs)';/gms)];
  return [entry, ...imports.flatMap((m) => jsLayerFiles(path.join(path.dirname(entry), m[1]), seen))];
}

test('README: every snippet is one this file runs', () => {
  const names = [...README().matchAll(/<!-- snippet: ([\w-]+) -->/g)].map((m) => m[1]);
  assert.deepEqual(names.sort(), [...TESTED_SNIPPETS].sort());
});

test('README: the shipped one is the repository\'s without its repo-only sections, every snippet and in-page link kept', () => {
  const shipped = README();
  const repo = readFileSync(path.join(PKG, '..', 'README.md'), 'utf8');
  const snippets = (text) => [...text.matchAll(/<!-- snippet: [\w-]+ -->\n```js\n[\s\S]*?```\n/g)].map((m) => m[0]);
  assert.deepEqual(snippets(shipped), snippets(repo));
  assert.ok(!shipped.includes('repo-only') && !shipped.includes('```sh\n./build.sh serve') && !shipped.includes('## The demo'));
  assert.ok(shipped.length < repo.length && shipped.includes('## Edge gate') && shipped.includes('## License'));
  // Each `](#anchor)` names a heading still there (GitHub's slugs: lower case, spaces to `-`, punctuation dropped).
  const slugs = new Set([...shipped.matchAll(/^#+ (.+)$/gm)].map((m) => m[1].toLowerCase().replace(/[^\w\- ]/g, '').replaceAll(' ', '-')));
  for (const [, anchor] of shipped.matchAll(/\]\(#([\w-]+)\)/g)) assert.ok(slugs.has(anchor), `#${anchor}`);
});

test('README snippet "player": caps the renditions at the decision (HD: up to 1080 lines), shows a denial', () => {
  const prelude = (region) => `
    const policyJson = { tiers: { premium: { maxQuality: 'HD' } } };
    const entitlementUrl = 'data:application/json,' + encodeURIComponent(JSON.stringify({ subscription_level: 'premium', region: '${region}' }));
    const renditions = [[640, 360], [1280, 720], [1920, 1080], [2560, 1440], [3840, 2160]].map(([width, height]) => ({ width, height }));
    const out = {};
    const startPlayback = (list) => { out.playable = list.map((r) => r.height); };
    const showError = (code) => { out.error = code; };`;
  const epilogue = 'console.log(JSON.stringify(out));';
  // decision-rules.md: HD is up to 1080 lines (by the shorter side); region DE licenses DE only.
  assert.deepEqual(runSnippet('player', prelude('DE'), epilogue, 'player-de.mjs'), { playable: [360, 720, 1080] });
  assert.deepEqual(runSnippet('player', prelude('US'), epilogue, 'player-us.mjs'), { error: 'COUNTRY_NOT_ALLOWED' });
});

test('README snippet "scope": requests only the keys seed 000\'s token can read, with the token attached', () => {
  const vectors = loadVectors('momento-tokens.json');
  const seed = vectors.cases.find((c) => c.source === 'seeds/000_8ce348efde5f7bac.txt' && c.token);
  assert.match(seed.name, /readonly media keyPrefix \/Movie1\//);
  const got = runSnippet('scope', `const momentoToken = ${JSON.stringify(seed.token)}; const cacheBaseUrl = 'https://api.cache.example.com';`, `
    const out = {};
    for (const key of ['/Movie1/1080p/segment1.ts', '/Movie1/', '/Movie2/1080p/segment1.ts', '/movie1/a.ts']) {
      try { const r = segmentRequest(key); out[key] = [r.url, r.headers.get('authorization') === momentoToken]; }
      catch (e) { out[key] = e.message; }
    }
    out.expiresAt = expiresAt;
    console.log(JSON.stringify(out));`);
  assert.deepEqual(got['/Movie1/1080p/segment1.ts'], ['https://api.cache.example.com/cache/media?key=%2FMovie1%2F1080p%2Fsegment1.ts', true]);
  assert.deepEqual(got['/Movie1/'], ['https://api.cache.example.com/cache/media?key=%2FMovie1%2F', true]);
  assert.equal(got['/Movie2/1080p/segment1.ts'], 'token cannot read /Movie2/1080p/segment1.ts');
  assert.equal(got['/movie1/a.ts'], 'token cannot read /movie1/a.ts', 'key prefixes are case-sensitive');
  assert.equal(got.expiresAt * (got.expiresAt < 1e12 ? 1000 : 1) > 0, true);
});

test('README snippet "catalog": the allowed titles, why one is hidden, the cap', () => {
  const got = runSnippet('catalog', `import { Policy, Entitlement } from 'playgate';
    const policy = Policy.fromJson({ tiers: { premium: { maxQuality: 'HD' } } });
    const ent = Entitlement.fromBlob(JSON.stringify({ subscription_level: 'premium', region: 'DE', allowed_content: ['movie-1', 'episode-3'] }));`,
  `console.log(JSON.stringify({ ids: page.allowedIds(), code1: page.code(1), q0: page.maxQuality(0) }));`);
  // decision-rules.md: a title outside allowed_content is CONTENT_NOT_ALLOWED.
  assert.deepEqual(got, { ids: ['movie-1', 'episode-3'], code1: 'CONTENT_NOT_ALLOWED', q0: 'HD' });
});

test('README snippet "node": a Momento SDK dictionary hit decides, a miss is ENTITLEMENT_MISSING', () => {
  // The SDK's own response classes (sdk-core), from the test tools' node_modules.
  const sdk = path.join(PKG, '../tests/node_modules/@gomomento/sdk-core/dist/src/index.js');
  const prelude = (hit) => `
    import { createRequire } from 'node:module';
    const { CacheDictionaryFetch } = createRequire(import.meta.url)(${JSON.stringify(sdk)});
    const userId = 'user-42';
    const fields = [['subscription_level', 'basic'], ['region', 'US']].map(([k, v]) => ({ field: Buffer.from(k), value: Buffer.from(v) }));
    const cache = { dictionaryFetch: async (name, key) =>
      ${hit} && name === 'entitlements' && key === userId ? new CacheDictionaryFetch.Hit(fields) : new CacheDictionaryFetch.Miss() };
    process.on('uncaughtException', (e) => { console.log(JSON.stringify({ threw: e.code })); process.exit(0); });`;
  const epilogue = 'console.log(JSON.stringify({ allowed: d.allowed, code: d.code }));';
  assert.deepEqual(runSnippet('node', prelude(true), epilogue, 'node-hit.mjs'), { allowed: true, code: null });
  assert.deepEqual(runSnippet('node', prelude(false), epilogue, 'node-miss.mjs'), { threw: 'ENTITLEMENT_MISSING' });
});

test('README snippet "edge": verifies a jose-signed ES256 playback token; the Mosaic verifier reads a JWKS', () => {
  const jose = import.meta.resolve('jose');
  const got = runSnippet('edge', `
    const jose = await import(${JSON.stringify(jose)});
    const es = await jose.generateKeyPair('ES256', { extractable: true });
    const rs = await jose.generateKeyPair('RS256', { extractable: true });
    const PUBLIC_JWK = { ...(await jose.exportJWK(es.publicKey)), kid: 'p1' };
    const JWKS_URL = 'data:application/json,' + encodeURIComponent(JSON.stringify({ keys: [{ ...(await jose.exportJWK(rs.publicKey)), kid: 'u1', alg: 'RS256' }] }));
    const sign = (aud, key = es.privateKey, kid = 'p1', alg = 'ES256') => new jose.SignJWT({ sub: 'viewer-7' })
      .setProtectedHeader({ alg, kid }).setAudience(aud).setIssuedAt().setExpirationTime('5m').sign(key);
    const token = await sign('edge');
    const others = { wrongAudience: await sign('other'), wrongKey: await sign('edge', rs.privateKey, 'p1', 'RS256') };`, `
    const out = { sub: claims.sub, users: typeof users.verify };
    for (const [name, t] of Object.entries(others)) { try { playback.verify(t); out[name] = 'verified'; } catch (e) { out[name] = e.code; } }
    const user = await new jose.SignJWT({ sub: 'u' }).setProtectedHeader({ alg: 'RS256', kid: 'u1' }).setIssuer('ax-user-service').setExpirationTime('5m').sign(rs.privateKey);
    try { out.user = (await users.verifyAsync(user)).claims.sub; } catch (e) { out.user = e.code + ' ' + e.message; }
    console.log(JSON.stringify(out));`);
  assert.equal(got.sub, 'viewer-7');
  assert.equal(got.users, 'function');
  assert.equal(got.wrongAudience, 'WRONG_AUDIENCE');
  assert.ok(['ALGORITHM_NOT_ALLOWED', 'UNKNOWN_KEY'].includes(got.wrongKey), JSON.stringify(got));
  assert.equal(got.user, 'u');
});

test('README snippet "gate": the worker it exports refuses with codes before any origin call (jose-signed ES256 tokens)', () => {
  const jose = import.meta.resolve('jose');
  const got = runSnippet('gate', `
    const jose = await import(${JSON.stringify(jose)});
    const es = await jose.generateKeyPair('ES256', { extractable: true });
    const JWKS = { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'p1' }] };
    const SEGMENT_SECRET = 'a segment secret of 32 bytes or more';
    const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
    const sign = (claims, aud = 'edge') => new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'p1' })
      .setAudience(aud).setIssuedAt().setExpirationTime('5m').sign(es.privateKey);
    let originCalls = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (...args) => { originCalls++; return realFetch(...args); };`, `
    const worker = { fetch: (request, env, ctx) => gate.fetch(request, env, ctx) }; // as the snippet exports it
    const ask = async (p, headers = {}) => {
      const res = await worker.fetch(new Request('https://gate.example' + p, { headers }), {}, {});
      return [res.status, (await res.json()).code];
    };
    const hd = await sign({ scope, ent: { maxQuality: 'HD', country: 'DE' } });
    const out = {
      missing: await ask('/Movie1/1080p/segment1.ts'),
      above: await ask('/Movie1/2160p/segment1.ts', { authorization: 'Bearer ' + hd, 'cf-ipcountry': 'DE' }),
      scope: await ask('/Movie2/1080p/segment1.ts', { authorization: 'Bearer ' + hd, 'cf-ipcountry': 'DE' }),
      tor: await ask('/Movie1/1080p/segment1.ts', { authorization: 'Bearer ' + hd, 'cf-ipcountry': 'T1' }),
      audience: await ask('/Movie1/1080p/segment1.ts', { authorization: 'Bearer ' + (await sign({ scope }, 'player')) }),
      forgedSegment: await ask('/Movie1/1080p/segment1.ts?segment_token=v1.4102444800.4102444800.0.-.AAAAAAAAAAAAAAAAAAAAAA'),
      originCalls,
    };
    console.log(JSON.stringify(out));`);
  assert.deepEqual(got, {
    missing: [401, 'TOKEN_MISSING'], above: [403, 'QUALITY_EXCEEDS_ENTITLEMENT'], scope: [403, 'SCOPE_DENIED'],
    tor: [403, 'COUNTRY_UNKNOWN'], audience: [401, 'WRONG_AUDIENCE'], forgedSegment: [403, 'SEGMENT_TOKEN_INVALID'], originCalls: 0,
  });
});

test('README snippet "gate-node": http.createServer(gate.node) serves an allowed segment and refuses with a code before any origin call', () => {
  const jose = import.meta.resolve('jose');
  const got = runSnippet('gate-node', `
    const jose = await import(${JSON.stringify(jose)});
    const nodeHttp = (await import('node:http')).default;
    const es = await jose.generateKeyPair('ES256', { extractable: true });
    const JWKS = { keys: [{ ...(await jose.exportJWK(es.publicKey)), kid: 'p1' }] };
    const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
    const token = await new jose.SignJWT({ scope, ent: { maxQuality: 'HD' } }).setProtectedHeader({ alg: 'ES256', kid: 'p1' })
      .setAudience('edge').setIssuedAt().setExpirationTime('5m').sign(es.privateKey);
    const originPaths = [];
    const originServer = nodeHttp.createServer((req, res) => { originPaths.push(req.url); res.writeHead(200, { 'content-type': 'video/mp2t' }); res.end('bytes of ' + req.url); });
    await new Promise((r) => originServer.listen(0, '127.0.0.1', r));
    const ORIGIN = 'http://127.0.0.1:' + originServer.address().port;
    const PORT = 0; // any free port`, `
    await new Promise((r) => (server.listening ? r() : server.once('listening', r)));
    const base = 'http://127.0.0.1:' + server.address().port;
    const ok = await fetch(base + '/Movie1/1080p/segment1.ts', { headers: { authorization: 'Bearer ' + token } });
    const above = await fetch(base + '/Movie1/2160p/segment1.ts', { headers: { authorization: 'Bearer ' + token } });
    const out = { ok: [ok.status, await ok.text()], above: [above.status, (await above.json()).code], originPaths };
    server.closeAllConnections(); server.close(); originServer.closeAllConnections(); originServer.close();
    console.log(JSON.stringify(out));`);
  assert.deepEqual(got, {
    ok: [200, 'bytes of /Movie1/1080p/segment1.ts'], above: [403, 'QUALITY_EXCEEDS_ENTITLEMENT'], originPaths: ['/Movie1/1080p/segment1.ts'],
  });
});

test('each .wasm is in the package once (player and edge), and no two of its code files (JS, wasm) are the same bytes', async () => {
  const { createHash } = await import('node:crypto');
  const { readdirSync } = await import('node:fs');
  const root = path.join(dir, 'node_modules/playgate');
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)));
  assert.deepEqual(files.filter((f) => f.endsWith('.wasm')).sort(), ['edge/web/playgate_bg.wasm', 'web/playgate_bg.wasm']);
  const byHash = new Map();
  for (const f of files.filter((name) => /\.(js|mjs|cjs|wasm)$/.test(name))) {
    const hash = createHash('sha256').update(readFileSync(path.join(root, f))).digest('hex');
    assert.ok(!byHash.has(hash), `${f} has the same bytes as ${byHash.get(hash)}`);
    byHash.set(hash, f);
  }
});

test('Deno: `npm:playgate`, `npm:playgate/edge` and `npm:playgate/jwt` with no permission flags (the .wasm imported as a module)', () => {
  // Deno resolves npm: specifiers from the project's node_modules with nodeModulesDir "manual".
  const deno = path.join(PKG, '../tests/node_modules/.bin/deno');
  writeFileSync(path.join(dir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }));
  writeFileSync(path.join(dir, 'deno-app.mjs'), `import init, { Policy, Entitlement } from 'npm:playgate';
    import { JwtVerifier } from 'npm:playgate/edge';
    import { JwtVerifier as JwtModuleVerifier } from 'npm:playgate/jwt';
    await init();
    if (JwtModuleVerifier !== JwtVerifier) throw new Error('playgate/jwt is not playgate/edge in Deno');
    let code;
    try { JwtVerifier.fromJson({ algorithms: ['HS256'], keys: [{ kty: 'oct', k: 'A'.repeat(43) }] }).verify('x.y.z'); } catch (e) { code = e.code; }
    if (code !== 'MALFORMED_TOKEN') throw new Error('edge: ' + code);
    ${SCRIPT_BODY}`);
  const out = execFileSync(deno, ['run', '--quiet', '--no-prompt', 'deno-app.mjs'], {
    cwd: dir, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', DENO_DIR: path.join(dir, '.deno-dir') },
  });
  assert.deepEqual(JSON.parse(out), EXPECTED);
});

test('TypeScript: strict, no DOM lib, skipLibCheck false, under node16 (an ESM file and a .cts file) and bundler resolution; deliberate misuses fail', () => {
  const tests = path.join(PKG, '../tests');
  const tsc = path.join(tests, 'node_modules/typescript/bin/tsc');
  writeFileSync(path.join(dir, 'ts-esm.ts'), `import init, { Policy, Entitlement, PermissionScope, decodeMomentoToken, qualityForSize, CacheClient, EntitlementStore, DECISION_CODES } from 'playgate';
import type { Decision, Quality } from 'playgate';
import { JwtVerifier } from 'playgate/edge';
await init();
const ent: Entitlement = Entitlement.fromBlob('{"region":"US"}');
const d: Decision = new Policy().evaluate(ent, { entityId: 'm', country: 'US', now: 0 });
const q: Quality = qualityForSize(1920, 1080);
export const ok: boolean = d.allowed && q === 'HD' && DECISION_CODES.length > 0;
export { JwtVerifier, CacheClient, EntitlementStore, PermissionScope, decodeMomentoToken };
`);
  writeFileSync(path.join(dir, 'ts-cjs.cts'), `import { Policy, Entitlement } from 'playgate';
import { JwtVerifier } from 'playgate/edge';
const d = new Policy().evaluate(Entitlement.fromBlob('{}'), { entityId: 'm', now: 0 });
export const allowed: boolean = d.allowed;
export const verifier = JwtVerifier;
`);
  writeFileSync(path.join(dir, 'ts-misuse.ts'), `import { Policy, Entitlement, qualityForSize, DECISION_CODES } from 'playgate';
// @ts-expect-error: the entry has no internals
import { _io } from 'playgate';
const ent = Entitlement.fromBlob('{}');
// @ts-expect-error: a request names its entity
new Policy().evaluate(ent, { country: 'US' });
// @ts-expect-error: maxQuality is a quality name or null
export const n: number = new Policy().evaluate(ent, { entityId: 'm' }).maxQuality;
// @ts-expect-error: qualityForSize takes numbers
qualityForSize('1920', 1080);
// @ts-expect-error: the decision codes are read-only
DECISION_CODES.push('X');
export { _io };
`);
  // A worker checked as wrangler resolves it (the workerd condition): playgate/edge is the
  // player module there, typed as such, and the JWT classes come from playgate/jwt.
  writeFileSync(path.join(dir, 'ts-workerd.ts'), `import { createGate, Policy } from 'playgate/edge';
// @ts-expect-error: under workerd, playgate/edge is the player module (the JWT classes are in playgate/jwt)
import { JwtVerifier as NotHere } from 'playgate/edge';
import { JwtVerifier } from 'playgate/jwt';
const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: { keys: [] } });
export const gate = createGate({ verifier, origin: 'https://origin.example' });
export { Policy, NotHere };
`);
  const base = { strict: true, target: 'es2022', lib: ['es2022'], types: ['node'], typeRoots: [path.join(tests, 'node_modules/@types')], skipLibCheck: false, noEmit: true };
  const configs = {
    'tsconfig.node16.json': { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['ts-esm.ts', 'ts-cjs.cts', 'ts-misuse.ts'] },
    'tsconfig.bundler.json': { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['ts-esm.ts', 'ts-misuse.ts'] },
    'tsconfig.workerd.json': { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler', customConditions: ['workerd'] }, files: ['ts-workerd.ts'] },
  };
  for (const [name, config] of Object.entries(configs)) {
    writeFileSync(path.join(dir, name), JSON.stringify(config));
    try {
      execFileSync(process.execPath, [tsc, '-p', name], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    } catch (error) {
      assert.fail(`${name}: tsc failed:\n${error.stdout}${error.stderr}`);
    }
  }
});
