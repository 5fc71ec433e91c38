// Momento scopes and tokens through the package: the scopes Momento's own SDK sent (protobuf,
// from tests/vectors/momento-scopes.json) and their JSON form must answer alike, the tokens must
// decode as the SDK decodes them, and the seeds' MediaStore layout must be gated as the seed says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG, loadVectors } from './helpers.mjs';

const { PermissionScope, decodeMomentoToken } = await import(path.join(PKG, 'node/index.mjs'));

const KEYS = ['/Movie1/playlist.m3u8', '/Movie1/1080p/segment1.ts', '/Movie2/1080p/segment1.ts', 'hits', 'mappings',
  'MYTENANTID-1', '/My Movie/1080p/segment 1.ts', '/映画/a', '/🎬/b', '', ' /Movie1/ x'];
const CACHES = ['media', 'demo', 'chat', 'oauth2', 'fastly-cache', 'uploads', '*', 'other'];
const OPS = ['get', 'set', 'delete', 'setIfNotExists', 'dictionaryFetch', 'listPushBack', 'sortedSetIncrementScore', 'nope'];
const TOPIC_OPS = ['publish', 'subscribe'];
const TOPICS = ['room1', 'test', 'updates', '*', 'room-2'];

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

test('JSON form and the SDK protobuf answer alike (every vector, keys, caches, operations)', () => {
  const file = loadVectors('momento-scopes.json');
  let seen = 0;
  let compared = 0;
  for (const c of file.cases) {
    seen++;
    if (!c.protobufBase64 || !c.scopeJson || c.scopeJson.$sdkClass || c.itemSelectorsDropped) continue;
    let fromJson;
    try {
      fromJson = PermissionScope.fromJson(c.scopeJson);
    } catch (e) {
      assert.equal(e.code, 'INVALID_SCOPE', c.name);
      continue; // playgate is stricter here (see tests/momento.rs)
    }
    const fromSdk = PermissionScope.fromProtobuf(c.protobufBase64);
    for (const cache of CACHES) {
      for (const key of KEYS) {
        for (const op of OPS) assert.equal(fromJson.allows(op, cache, key), fromSdk.allows(op, cache, key), `${c.name}: ${op} ${cache} ${key}`);
      }
      for (const topic of TOPICS) {
        for (const op of TOPIC_OPS) assert.equal(fromJson.allowsTopic(op, cache, topic), fromSdk.allowsTopic(op, cache, topic), `${c.name}: ${op} ${cache} ${topic}`);
      }
    }
    compared++;
  }
  assert.equal(seen, file.count);
  assert.ok(compared >= 40, `compared ${compared} scopes`);
});

test('where the SDK drops item selectors, playgate never grants more than the SDK sent', () => {
  const file = loadVectors('momento-scopes.json');
  let hazards = 0;
  for (const c of file.cases.filter((x) => x.itemSelectorsDropped > 0 && x.protobufBase64)) {
    const ours = PermissionScope.fromJson(c.scopeJson);
    const sdk = PermissionScope.fromProtobuf(c.protobufBase64);
    let narrower = false;
    for (const cache of CACHES) {
      for (const key of KEYS) {
        for (const op of OPS) {
          if (ours.allows(op, cache, key)) assert.ok(sdk.allows(op, cache, key), `${c.name}: ${op} ${cache} ${key}`);
          else if (sdk.allows(op, cache, key)) narrower = true;
        }
      }
    }
    assert.ok(narrower, `${c.name}: the SDK's scope is wider somewhere`);
    hazards++;
  }
  assert.ok(hazards >= 4);
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

test('tokens decode as the SDK decodes them', () => {
  const file = loadVectors('momento-tokens.json');
  let seen = 0;
  let decoded = 0;
  for (const c of file.cases) {
    seen++;
    if (!c.token && c.token !== '') continue;
    const sdk = c.sdkDecoded ?? {};
    const sdkOk = sdk.decodeAuthToken && sdk.decodeAuthToken.cacheEndpoint;
    let t;
    try {
      t = decodeMomentoToken(c.token);
    } catch (e) {
      assert.equal(e.code, 'MALFORMED_TOKEN', c.name);
      assert.ok(!sdkOk && !sdk.isV2ApiKey, `${c.name}: the SDK decodes it`);
      continue;
    }
    decoded++;
    assert.equal(t.verified, false);
    if (sdk.isV2ApiKey) {
      assert.equal(t.kind, 'v2', c.name);
      assert.equal(t.httpBaseUrl, null);
      continue;
    }
    assert.ok(sdkOk, `${c.name}: the SDK refuses it`);
    assert.equal(`cache.${t.endpoint}`, sdk.decodeAuthToken.cacheEndpoint, c.name);
    assert.equal(t.httpBaseUrl, `https://api.cache.${t.endpoint}`);
    assert.equal(t.kind, sdk.isBase64 ? 'disposable' : 'legacy', c.name);
    if (c.sdkResponse?.expiresAtEpoch) assert.equal(t.expiresAt, c.sdkResponse.expiresAtEpoch * 1000, c.name);
  }
  assert.equal(seen, file.count);
  assert.ok(decoded >= 10);
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
  // run the plan the core compiled. Every vector scope (both forms), super user, every role.
  const scopes = [];
  const file = loadVectors('momento-scopes.json');
  let seen = 0;
  for (const c of file.cases) {
    seen++;
    if (c.protobufBase64) scopes.push(PermissionScope.fromProtobuf(c.protobufBase64));
    try {
      if (c.scopeJson && !c.scopeJson.$sdkClass) scopes.push(PermissionScope.fromJson(c.scopeJson));
    } catch (e) {
      assert.equal(e.code, 'INVALID_SCOPE', c.name); // playgate is stricter (tests/momento.rs)
    }
  }
  assert.equal(seen, file.count);
  scopes.push(PermissionScope.fromProtobuf('CAA='));
  scopes.push(PermissionScope.fromJson({ permissions: [
    { role: 'subscribeonly', cache: 'demo', topic: 'test' },
    { role: 'publishsubscribe', cache: 'demo', topic: { namePrefix: 'sc' } },
    { role: 'publishonly', cache: {}, topic: 'alerts' },
    { role: 'writeonly', cache: {}, item: { keyPrefix: '/up/' } },
    { role: 'readwrite', cache: '*', item: { key: '/映画/a' } },
  ] }));
  const lone = ['\uD800', 'x\uDFFF', '\uFFFD'];
  let checked = 0;
  for (const scope of scopes) {
    let label; // a scope read from protobuf may have no exact JSON form (toJSON throws then)
    try {
      label = JSON.stringify(scope);
    } catch (e) {
      assert.equal(e.code, 'INVALID_SCOPE');
      label = `(no JSON form: ${e.message})`;
    }
    for (const cache of [...CACHES, ...lone]) {
      for (const op of [...OPS, ...TOPIC_OPS]) {
        for (const key of [...KEYS, ...lone, '/up/\uD800', '/Movie1/\uD83C']) {
          assert.equal(scope.allows(op, cache, key), scope.explain(op, cache, key).allowed, `${label} ${op} ${cache} ${key}`);
          checked++;
        }
        for (const topic of [...TOPICS, 'scores', 'sc', 'alerts', '', 'tést', ...lone]) {
          assert.equal(scope.allowsTopic(op, cache, topic), scope.explainTopic(op, cache, topic).allowed, `${label} ${op} ${cache} ${topic}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 50000, `${checked} checks`);
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
