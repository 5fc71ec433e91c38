// Momento scopes and tokens through the package: the scopes Momento's own SDK sent (protobuf,
// from tests/vectors/momento-scopes.json) and their JSON form must answer alike, the tokens must
// decode as the SDK decodes them, and the seeds' MediaStore layout must be gated as the seed says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG, loadVectors } from './helpers.mjs';
import { VECTOR_KINDS, planMatchesExplain, runVectorFile } from '../../www/vector-checks.js';

const playgate = await import(path.join(PKG, 'node/index.mjs'));
const { PermissionScope, decodeMomentoToken } = playgate;

/**
 * A vector file through the rules www/vector-checks.js gives its kind (those the browser harness
 * runs too): every case holds or is listed as not run, the file-level minimums hold.
 */
function runKind(kind) {
  const file = loadVectors(VECTOR_KINDS[kind].file);
  const run = runVectorFile(kind, VECTOR_KINDS[kind].rules, playgate, file);
  assert.deepEqual(run.failures, [], `${kind}: failing vectors`);
  assert.equal(run.failed, 0);
  assert.equal(run.total, file.count);
  assert.equal(run.passed + run.notRun.length, file.count, 'every case ran or is listed as not run');
  return run;
}

test('the MediaStore seed scope gates segment keys', () => {
  // seed 000: readonly on cache media, key prefix /{ContentName}/.
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] });
  assert.equal(scope.allows('get', 'media', '/Movie1/1080p/segment1.ts'), true);
  assert.equal(scope.allows('get', 'media', '/Movie1/playlist.m3u8'), true);
  assert.equal(scope.allows('get', 'media', '/Movie2/1080p/segment1.ts'), false);
  assert.equal(scope.allows('set', 'media', '/Movie1/1080p/segment1.ts'), false);
  assert.equal(scope.allows('get', 'other', '/Movie1/1080p/segment1.ts'), false);
  assert.equal(scope.allows('teleport', 'media', '/Movie1/x'), false);
  assert.deepEqual(JSON.parse(JSON.stringify(scope)), { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] });
  const why = scope.explain('get', 'media', '/Movie2/a.ts');
  assert.equal(why.allowed, false);
  assert.match(why.reason, /key does not match/);
  assert.equal(scope.explain('get', 'media', '/Movie1/a.ts').permission, 0);
});

test('scope vectors: JSON form = the SDK protobuf; never wider where the SDK dropped item selectors; check plan = explain', () => {
  const run = runKind('scopes');
  const applied = (tally) => run.cases.filter((r) => r.rules.some((x) => x.tally === tally)).length;
  assert.ok(applied('compared') >= 40, `compared ${applied('compared')} scopes`);
  assert.ok(applied('hazard') >= 4, `${applied('hazard')} dropped-selector hazards`);
  const planChecks = run.cases.flatMap((r) => r.rules).reduce((n, x) => n + (x.checked ?? 0), 0);
  assert.ok(planChecks > 50000, `${planChecks} check-plan checks of the vector scopes`);
  // Not run in JS: the scopes the SDK refused whose JSON form is an SDK class (tests/momento.rs).
  assert.ok(run.notRun.length <= 1, JSON.stringify(run.notRun));
});

test('SDK scope objects with Symbol sentinels, and the {} JSON form', () => {
  // @gomomento/sdk-core 1.118 defines AllCaches, AllTopics, AllCacheItems, AllFunctions as
  // `Symbol()` (permission-scope.js); JSON.stringify would drop them.
  const [AllCaches, AllTopics, AllCacheItems, AllFunctions] = [Symbol(), Symbol(), Symbol(), Symbol()];
  const AllDataReadWrite = { permissions: [
    { role: 'readwrite', cache: AllCaches },
    { role: 'publishsubscribe', cache: AllCaches, topic: AllTopics },
    { role: 'functioninvoke', cache: AllCaches, func: AllFunctions },
  ] };
  const all = PermissionScope.fromJson(AllDataReadWrite);
  assert.equal(all.allows('setIfNotExists', 'anything', 'k'), true);
  assert.equal(all.allowsTopic('publish', 'any', 'topic'), true);
  // The same scope as the SDK sends it (momento-scopes.json, "AllDataReadWrite [apiKey]").
  const sdk = loadVectors('momento-scopes.json').cases.find((c) => c.name === 'AllDataReadWrite [apiKey]');
  assert.deepEqual(all.toJSON(), PermissionScope.fromProtobuf(sdk.protobufBase64).toJSON());
  const items = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: AllCacheItems }] });
  assert.equal(items.allows('get', 'media', 'any'), true);
  // A Symbol outside a selector is not guessed at.
  assert.throws(() => PermissionScope.fromJson({ permissions: [{ role: Symbol(), cache: 'media' }] }), { code: 'INVALID_SCOPE' });
  const braces = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: {} }] });
  assert.equal(braces.allows('get', 'anything', 'k'), true);
  assert.equal(braces.allows('set', 'anything', 'k'), false);
});

test('token vectors decode as the SDK decodes them', () => {
  const run = runKind('tokens');
  // Not run: the cases where the SDK refused to make the token (no token string).
  const file = loadVectors('momento-tokens.json');
  assert.deepEqual(run.notRun.map((r) => r.name), file.cases.filter((c) => typeof c.token !== 'string').map((c) => c.name));
  assert.ok(run.cases.filter((r) => r.rules.some((x) => x.tally === 'decoded')).length >= 10);
});

test('fuzz regressions (tests/vectors/fuzz-regressions.json) hold through the JS layer', () => {
  // Natively: tests/fuzz_regressions.rs. Here the JS check plan answers too (one of them was a JS bug).
  const run = runKind('fuzzRegressions');
  assert.equal(run.notRun.length, 0);
});

test('a token\'s endpoint makes the HTTP API URL only when it is a host name: the URL\'s host is then api.cache.<endpoint> (WHATWG URL)', () => {
  const v1 = (endpoint) => Buffer.from(JSON.stringify({ endpoint, api_key: 'opaque' })).toString('base64');
  const legacy = (endpoint) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ c: `cache.${endpoint}`, cp: `control.${endpoint}` })).toString('base64url')}.c2ln`;
  let accepted = 0;
  for (const endpoint of ['cell-1.prod.a.momentohq.com', 'cell-us-east-1-1.prod.a.momentohq.com', 'x@evil.example/', 'evil.example/path', 'evil.example#',
    'evil.example?', 'a b.example', 'evil.example:8443', 'évil.example', 'evil.example\\', '']) {
    for (const token of [v1(endpoint), legacy(endpoint)]) {
      let decoded;
      try {
        decoded = decodeMomentoToken(token);
      } catch (error) {
        assert.equal(error.code, 'MALFORMED_TOKEN', endpoint);
        continue;
      }
      accepted++;
      assert.equal(new URL(decoded.httpBaseUrl).host, `api.cache.${endpoint}`, `${JSON.stringify(endpoint)}: another host`);
    }
  }
  assert.equal(accepted, 4, 'the two real endpoints, in both token shapes');
});

test('bad scope and token input are coded errors and the module keeps working', () => {
  for (const bad of ['{', '{"permissions": []}', { permissions: [{ role: 'admin', cache: 'x' }] },
    { permissions: [{ role: 'readonly', cache: 'x', item: { key: ' ' } }] }, 42, null]) {
    assert.throws(() => PermissionScope.fromJson(bad), { code: 'INVALID_SCOPE' });
  }
  assert.throws(() => PermissionScope.fromProtobuf('%%%'), { code: 'INVALID_SCOPE' });
  assert.throws(() => PermissionScope.fromProtobuf(new Uint8Array([0x12, 0x05, 0x01])), { code: 'INVALID_SCOPE' });
  for (const bad of ['', 'garbage', 'a.b.c', 42]) assert.throws(() => decodeMomentoToken(bad), { code: 'MALFORMED_TOKEN' });
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readwrite', cache: 'demo', item: { key: 'hits' } }] });
  assert.throws(() => scope.allows('get', 5, 'hits'), { code: 'INVALID_REQUEST' });
  assert.equal(scope.allows('get', 'demo', 'hits'), true);
  const long = 'c'.repeat(500);
  const wide = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: long }] });
  assert.equal(wide.allows('get', long, 'k'), true, 'a long cache name takes the string path');
  assert.equal(wide.allows('get', 'c', 'k'), false);
  scope.free();
  assert.throws(() => scope.allows('get', 'demo', 'hits'), { code: 'INVALID_SCOPE' });
});

test('checks run on the scope\'s check plan in JS and answer as wasm does (explain is the reference)', () => {
  // explain / explainTopic are always answered by the Rust core in wasm; allows / allowsTopic
  // run the plan the core compiled. Every vector scope (both forms) is checked by the scope
  // vectors' rules (www/vector-checks.js); here the super user and every role.
  const scopes = [];
  scopes.push(PermissionScope.fromProtobuf('CAA='));
  scopes.push(PermissionScope.fromJson({ permissions: [
    { role: 'subscribeonly', cache: 'demo', topic: 'test' },
    { role: 'publishsubscribe', cache: 'demo', topic: { namePrefix: 'sc' } },
    { role: 'publishonly', cache: {}, topic: 'alerts' },
    { role: 'writeonly', cache: {}, item: { keyPrefix: '/up/' } },
    { role: 'readwrite', cache: '*', item: { key: '/映画/a' } },
  ] }));
  let checked = 0;
  for (const scope of scopes) {
    const run = planMatchesExplain(scope, JSON.stringify(scope));
    assert.deepEqual(run.failures, []);
    checked += run.checked;
  }
  assert.ok(checked > 5000, `${checked} checks`);
});

test('an All selector that is no All message (another wire type, a body that is no message) is INVALID_SCOPE, as the SDK\'s own decoder refuses it; never every key or cache', async () => {
  const { createRequire } = await import('node:module');
  const { permission_messages: pm } = createRequire(import.meta.url)('@gomomento/generated-types/dist/permissionmessages.js');
  const varint = (n) => { const o = []; while (n >= 0x80) { o.push((n & 0x7f) | 0x80); n >>>= 7; } o.push(n); return o; };
  const bytesField = (num, b) => [...varint((num << 3) | 2), ...varint(b.length), ...b];
  const varintField = (num, v) => [...varint(num << 3), ...varint(v)];
  const text = (t) => [...Buffer.from(t)];
  const entry = (kind, body) => Uint8Array.from(bytesField(2, bytesField(1, bytesField(kind, body))));
  // readonly on cache media, keys under /Movie1/ (topics: subscribeonly, names under /Movie1/).
  const head = [...varintField(1, 2), ...bytesField(3, bytesField(1, text('media'))), ...bytesField(5, bytesField(2, text('/Movie1/')))];
  const control = entry(1, head);
  assert.doesNotThrow(() => pm.Permissions.deserializeBinary(control));
  assert.equal(PermissionScope.fromProtobuf(control).allows('get', 'media', '/Movie2/a.ts'), false);
  const cases = {
    'all_items as a varint': entry(1, [...head, ...varintField(4, 0)]),
    'all_items whose body is no message': entry(1, [...head, ...bytesField(4, [0x0f])]),
    'all_caches whose body is no message': entry(1, [...varintField(1, 2), ...bytesField(3, bytesField(1, text('media'))), ...bytesField(2, text('/Movie1/'))]),
    'all_caches as a varint': entry(1, [...head, ...varintField(2, 0)]),
    'a topic permission\'s all_topics whose body is no message': entry(2, [...head, ...bytesField(4, [0x0f])]),
  };
  for (const [name, bytes] of Object.entries(cases)) {
    assert.throws(() => pm.Permissions.deserializeBinary(bytes), undefined, `${name}: the SDK's decoder refuses it`);
    assert.throws(() => PermissionScope.fromProtobuf(bytes), { code: 'INVALID_SCOPE' }, name);
    // And in a v1 token's p claim.
    const b64url = (v) => Buffer.from(v).toString('base64url');
    const apiKey = `${b64url('{"alg":"HS256"}')}.${b64url(JSON.stringify({ sub: 'u1', ver: 1, p: Buffer.from(bytes).toString('base64'), exp: 4102444800 }))}.c2ln`;
    const token = Buffer.from(JSON.stringify({ endpoint: 'cell-1.example.com', api_key: apiKey })).toString('base64');
    assert.throws(() => playgate.decodeMomentoToken(token), (e) => typeof e.code === 'string', name);
  }
  // An All message with fields of its own (none are known) is still all, as the SDK reads it.
  const wide = entry(1, [...varintField(1, 2), ...bytesField(2, varintField(9, 1))]);
  assert.doesNotThrow(() => pm.Permissions.deserializeBinary(wide));
  assert.equal(PermissionScope.fromProtobuf(wide).allows('get', 'other', 'k'), true);
});

test('a scope, a policy or a dictionary with an inherited or non-enumerable member is refused: the SDK reads such an item as a restriction, Object.keys would drop it (every key)', async () => {
  const { createRequire } = await import('node:module');
  const { permissionsFromDisposableTokenScope } = createRequire(import.meta.url)('@gomomento/sdk/dist/src/internal/internal-auth-client');
  const inheritedItem = () => {
    const defaults = Object.create(null);
    defaults.item = { keyPrefix: '/Movie1/' };
    return Object.assign(Object.create(defaults), { role: 'readonly', cache: 'media' });
  };
  const hiddenItem = () => Object.defineProperty({ role: 'readonly', cache: 'media' }, 'item', { value: { keyPrefix: '/Movie1/' }, enumerable: false });
  const inheritedPrefix = () => {
    const base = Object.create(null);
    base.keyPrefix = '/Movie1/';
    return { role: 'readonly', cache: 'media', item: Object.create(base) };
  };
  const edge = await import(path.join(PKG, 'edge/node/index.mjs'));
  const minter = edge.PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: { kty: 'oct', k: Buffer.alloc(32, 7).toString('base64url') } });
  const inheritedHiddenItem = () => {
    const defaults = Object.defineProperty(Object.create(null), 'item', { value: { keyPrefix: '/Movie1/' } });
    return Object.assign(Object.create(defaults), { role: 'readonly', cache: 'media' });
  };
  for (const [name, make] of Object.entries({ 'an inherited item': inheritedItem, 'a non-enumerable item': hiddenItem, 'an inherited keyPrefix': inheritedPrefix, 'an inherited non-enumerable item': inheritedHiddenItem })) {
    const scope = { permissions: [make()] };
    // The SDK's own encoding keeps the restriction: /Movie2/ is outside it.
    const sdk = PermissionScope.fromProtobuf(permissionsFromDisposableTokenScope(scope).serializeBinary());
    assert.equal(sdk.allows('get', 'media', '/Movie2/x'), false, `${name}: the SDK restricts`);
    assert.throws(() => PermissionScope.fromJson(scope), { code: 'INVALID_SCOPE' }, name);
    assert.throws(() => edge.PermissionScope.fromJson(scope), { code: 'INVALID_SCOPE' }, `${name} (edge module)`);
    assert.throws(() => minter.mint({ scope, subject: 'viewer-1' }), (e) => typeof e.code === 'string', `${name}: never minted`);
  }
  // The same plain objects, own and enumerable, are read as the SDK reads them.
  const plain = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
  assert.equal(PermissionScope.fromJson(plain).allows('get', 'media', '/Movie1/x'), true);
  assert.equal(PermissionScope.fromJson(plain).allows('get', 'media', '/Movie2/x'), false);
  // A document's region or a policy's tier written so would drop a restriction too.
  const { Entitlement, Policy } = playgate;
  const regionDefaults = Object.create(null);
  regionDefaults.region = 'DE';
  assert.throws(() => Entitlement.fromDictionary(Object.assign(Object.create(regionDefaults), { subscription_level: 'basic' })), { code: 'INVALID_ENTITLEMENT' });
  assert.throws(() => Entitlement.fromDictionary(Object.defineProperty({ subscription_level: 'basic' }, 'region', { value: 'DE' })), { code: 'INVALID_ENTITLEMENT' });
  assert.throws(() => Policy.fromJson({ tiers: { basic: Object.defineProperty({}, 'maxQuality', { value: 'SD' }) } }), { code: 'INVALID_POLICY' });
  const hiddenRegion = Object.defineProperty(Object.create(null), 'region', { value: 'DE' });
  assert.throws(() => Entitlement.fromDictionary(Object.assign(Object.create(hiddenRegion), { subscription_level: 'basic' })), { code: 'INVALID_ENTITLEMENT' });
  assert.equal(Entitlement.fromDictionary(Object.assign(Object.create(null), { region: 'DE' })) instanceof Entitlement, true, 'a null-prototype record of its own fields');
  // Data from another realm (a vm context) is plain data.
  const { runInNewContext } = await import('node:vm');
  const foreign = runInNewContext('({ permissions: [{ role: "readonly", cache: "media", item: { keyPrefix: "/Movie1/" } }] })');
  assert.equal(PermissionScope.fromJson(foreign).allows('get', 'media', '/Movie2/x'), false);
  assert.equal(PermissionScope.fromJson(structuredClone(plain)).allows('get', 'media', '/Movie1/x'), true);
});

test('a token whose api_key names a claim twice is MALFORMED_TOKEN (RFC 7519 section 4: reject, or keep the last; a prefix scope then a super user would be two readings)', () => {
  const b64url = (v) => Buffer.from(v).toString('base64url');
  const token = (payload) => Buffer.from(JSON.stringify({ endpoint: 'cell-1.example.com', api_key: `${b64url('{"alg":"HS256"}')}.${b64url(payload)}.c2ln` })).toString('base64');
  const prefix = 'EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8='; // readonly, media, keys under /Movie1/
  assert.equal(playgate.decodeMomentoToken(token(`{"sub":"u","p":"${prefix}"}`)).scope.allows('get', 'media', '/Movie2/a'), false);
  assert.equal(PermissionScope.fromProtobuf('CAA=').isSuperUser, true);
  for (const payload of [`{"sub":"u","p":"${prefix}","p":"CAA="}`, '{"sub":"u","exp":1,"exp":4102444800}', '{"sub":"a","sub":"b"}']) {
    assert.throws(() => playgate.decodeMomentoToken(token(payload)), { code: 'MALFORMED_TOKEN' }, payload);
  }
  // A member this reader does not read may repeat (it reads none of them).
  assert.equal(playgate.decodeMomentoToken(token(`{"sub":"u","x":1,"x":2,"p":"${prefix}"}`)).scope.allows('get', 'media', '/Movie1/a'), true);
});

test('a scope whose names JS strings would compare differently is checked in wasm', () => {
  // A JS string with a lone surrogate reaches wasm as U+FFFD (TextEncoder), so '/\uD800/x'
  // is the key '/\uFFFD/x' there. A scope naming U+FFFD has no check plan: every check is a
  // call, and allows keeps agreeing with explain.
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/\uFFFD/' } }] });
  assert.equal(scope.explain('get', 'media', '/\uD800/x').allowed, true);
  assert.equal(scope.allows('get', 'media', '/\uD800/x'), true);
  assert.equal(scope.allows('get', 'media', '/\uFFFD/x'), true);
  assert.equal(scope.allows('get', 'media', '/x/'), false);
  assert.equal(scope.allows('set', 'media', '/\uFFFD/x'), false);
  // A protobuf key prefix that is not UTF-8 (0xff): no JS string encodes to it.
  const bytes = Buffer.from('EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=', 'base64'); // readonly media /Movie1/
  const at = bytes.indexOf(Buffer.from('/Movie1/'));
  bytes[at + 1] = 0xff;
  const binary = PermissionScope.fromProtobuf(new Uint8Array(bytes));
  assert.equal(binary.allows('get', 'media', '/Movie1/a'), false);
  assert.equal(binary.allows('get', 'media', '/\uFFFDovie1/a'), false);
  assert.throws(() => binary.allows('get', 'media', 7), { code: 'INVALID_REQUEST' });
  binary.free();
  assert.throws(() => binary.allows('get', 'media', '/Movie1/a'), { code: 'INVALID_SCOPE' });
  scope.free();
  assert.throws(() => scope.allowsTopic('subscribe', 'demo', 'test'), { code: 'INVALID_SCOPE' });
});

test('a PermissionsType entry that sets its kind twice is INVALID_SCOPE (the SDK\'s own decoder reads one permission there, never two); a SuperUser value outside the schema grants nothing; a disposable token is never minted for a super user', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { permission_messages: pm } = require('@gomomento/generated-types/dist/permissionmessages.js');
  for (const [name, p] of [
    ['readwrite on every cache, then subscribeonly on cache c, in one entry', 'EhUKEwoGCAESACIAEgkIAhoDCgFjIgA='],
    ['cache_permissions twice: readwrite on every cache, then cache media, prefix /Movie1/', 'Eh8KHQoECAESAAoVGgcKBW1lZGlhKgoSCC9Nb3ZpZTEv'],
  ]) {
    const sdk = pm.Permissions.deserializeBinary(Buffer.from(p, 'base64')).toObject();
    assert.equal(sdk.explicit.permissions.length, 1, `${name}: the SDK reads one permission`);
    assert.throws(() => PermissionScope.fromProtobuf(p), { code: 'INVALID_SCOPE' }, name);
    for (const edge of [false, true]) {
      const { PermissionScope: Scope } = edge ? await import(path.join(PKG, 'edge/node/index.mjs')) : playgate;
      assert.throws(() => Scope.fromProtobuf(p), { code: 'INVALID_SCOPE' }, `${name} (${edge ? 'edge' : 'player'} module)`);
    }
  }
  // Two entries of one kind each stay two permissions (the SDK's reading too).
  const two = 'EiMKBgoECAESAAoZChcIABoHCgVtZWRpYSoKEggvTW92aWUxLw==';
  assert.equal(pm.Permissions.deserializeBinary(Buffer.from(two, 'base64')).toObject().explicit.permissions.length, 2);
  assert.equal(PermissionScope.fromProtobuf(two).allows('set', 'secret', 'k'), true);
  // SuperUser's one value is 0 (CAA=, a super user); 7 is outside the schema.
  assert.equal(PermissionScope.fromProtobuf('CAA=').isSuperUser, true);
  const seven = PermissionScope.fromProtobuf('CAc=');
  assert.equal(seven.isSuperUser, false);
  assert.equal(seven.allows('get', 'media', '/Movie1/a.ts'), false);
  assert.equal(seven.allowsTopic('subscribe', 'media', 't'), false);
  // The reference: a disposable token is never a super user.
  const { MomentoTokenIssuer } = await import(path.join(PKG, 'edge/node/index.mjs'));
  const { randomBytes } = await import('node:crypto');
  const issuer = MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: randomBytes(32).toString('base64url') }, endpoint: '127.0.0.1' });
  assert.throws(() => issuer.mint({ scope: { superUser: true }, tokenId: 'root', lifetimeSeconds: 60 }), (e) => typeof e.code === 'string' && /super user/.test(e.message));
  assert.equal(typeof issuer.mint({ scope: { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] }, tokenId: 'viewer', lifetimeSeconds: 60 }), 'string');
});

test('a blank cache name (empty or white space) is allowed nowhere, not by a super user or an all-caches grant: the SDK refuses to send a request for one', async () => {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  // The truth: the SDK's own check, which every cache call runs before it sends anything.
  const { validateCacheName } = require('@gomomento/sdk-core/dist/src/internal/utils/validators');
  const sdkSends = (cache) => {
    try {
      validateCacheName(cache);
      return true;
    } catch {
      return false;
    }
  };
  const scopes = [
    PermissionScope.fromJson({ permissions: [{ role: 'readwrite', cache: {} }, { role: 'publishsubscribe', cache: {}, topic: {} }] }), // all caches
    PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: {}, item: { keyPrefix: '/Movie1/' } }] }),
    PermissionScope.fromProtobuf('CAA='), // a super user
  ];
  const names = ['', ' ', '\t', '\n', '\u00a0', '\u2003', '\u2028', '\ufeff', ' \t ', 'media', ' media', '\u0085', 'm'];
  let blanks = 0;
  for (const scope of scopes) {
    for (const cache of names) {
      const sends = sdkSends(cache);
      if (!sends) blanks++;
      const label = `${JSON.stringify(cache)} (${scope.isSuperUser ? 'super user' : JSON.stringify(scope)})`;
      assert.equal(scope.allows('get', cache, '/Movie1/a.ts'), sends, label);
      assert.equal(scope.allowsTopic('publish', cache, 'news'), sends && !JSON.stringify(scope).includes('keyPrefix'), `${label}: topic`);
      assert.equal(scope.explainTopic('publish', cache, 'news').allowed, scope.allowsTopic('publish', cache, 'news'), `${label}: explainTopic`);
      const why = scope.explain('get', cache, '/Movie1/a.ts');
      assert.equal(why.allowed, sends, `${label}: explain`);
      if (!sends) assert.match(why.reason, /blank cache name/);
    }
  }
  assert.ok(blanks >= 3 * 9, 'the SDK refuses the blank names');
});
