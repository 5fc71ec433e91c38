#!/usr/bin/env node
// Regenerates tests/vectors/momento-scopes.json and tests/vectors/momento-tokens.json from
// Momento's own JavaScript SDK, so that playgate's Momento scope and token parsing is checked
// against the SDK rather than against itself.
//
//   node tests/tools/momento-vectors.mjs            (from the repo root)
//
// Packages (exact versions, see the `sdk` block written into both files): @gomomento/sdk,
// @gomomento/sdk-core, @gomomento/generated-types (and their own dependencies: google-protobuf,
// @grpc/grpc-js, jwt-decode). They are looked up in MOMENTO_SDK_DIR, a node_modules directory
// (default: tests/node_modules, where ./build.sh setup installs them from tests/package.json;
// tests/node/momento-vectors.test.mjs regenerates both files and compares them byte for byte).
// MOMENTO_VECTORS_OUT overrides the output directory (default: tests/vectors). The script is deterministic (fixed times, fixed secrets, fixed search order)
// and exits non-zero on any failure.
//
// Offline: nothing here opens a connection. Two SDK routes are used for every scope and must
// agree byte for byte:
//  1. The SDK's internal conversion functions, imported by path because the package does not
//     export them: permissionsFromTokenScope / permissionsFromDisposableTokenScope from
//     @gomomento/sdk/dist/src/internal/internal-auth-client.js.
//  2. The public AuthClient.generateApiKey / generateDisposableToken with the two gRPC stub
//     methods (authClient.GenerateApiToken, tokenClient.GenerateDisposableToken) of the
//     InternalAuthClient replaced by in-process functions: they capture the request the SDK
//     built and answer like the service would, with a JWT signed by a dummy secret whose `p`
//     claim is the permissions the SDK sent. The token string handed back is then built by the
//     SDK itself (GenerateDisposableToken.Success / GenerateApiKey.Success).
// Other internal modules imported by path (not exported by the packages):
//  - @gomomento/sdk-core/dist/src/internal/utils/auth.js   decodeAuthToken, isV2ApiKey,
//                                                          InternalSuperUserPermissions
//  - @gomomento/sdk-core/dist/src/internal/utils/validators.js  isBase64
//  - @gomomento/sdk-core/dist/src/auth/tokens/disposable-token-scope.js  (branch predicate)
//  - @gomomento/sdk-core/dist/src/auth/tokens/permission-scope.js  PredefinedScope
//  - @gomomento/generated-types/dist/permissionmessages.js  the Permissions protobuf classes
//  - jwt-decode (the JWT decoder sdk-core itself uses)
// Everything is resolved from the @gomomento/sdk package's own location, so that the sentinel
// symbols (AllCaches, ...) are the very objects the SDK compares against.

import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SDK_DIR = path.resolve(process.env.MOMENTO_SDK_DIR || path.join(REPO, 'tests', 'node_modules'));
const OUT_DIR = path.resolve(process.env.MOMENTO_VECTORS_OUT || path.join(REPO, 'tests', 'vectors'));

const failures = [];
function fail(msg) {
  failures.push(msg);
  console.error(`FAIL: ${msg}`);
}
function check(cond, msg) {
  if (!cond) fail(msg);
  return cond;
}

// ---------------------------------------------------------------- loading the SDK
const rootRequire = createRequire(path.join(SDK_DIR, '__momento_vectors__.js'));
let sdkPkgPath;
try {
  sdkPkgPath = rootRequire.resolve('@gomomento/sdk/package.json');
} catch (e) {
  console.error(`Cannot find @gomomento/sdk under ${SDK_DIR} (set MOMENTO_SDK_DIR to a node_modules directory): ${e.message}`);
  process.exit(2);
}
const sdkRequire = createRequire(sdkPkgPath);
const sdkCorePkgPath = sdkRequire.resolve('@gomomento/sdk-core/package.json');
const genPkgPath = sdkRequire.resolve('@gomomento/generated-types/package.json');
const coreRequire = createRequire(sdkCorePkgPath);

const sdk = sdkRequire('@gomomento/sdk');
const core = sdkRequire('@gomomento/sdk-core');
const internalAuth = sdkRequire('@gomomento/sdk/dist/src/internal/internal-auth-client.js');
const authUtils = sdkRequire('@gomomento/sdk-core/dist/src/internal/utils/auth.js');
const validators = sdkRequire('@gomomento/sdk-core/dist/src/internal/utils/validators.js');
const dtScope = sdkRequire('@gomomento/sdk-core/dist/src/auth/tokens/disposable-token-scope.js');
const permScope = sdkRequire('@gomomento/sdk-core/dist/src/auth/tokens/permission-scope.js');
const { permission_messages: pm } = sdkRequire('@gomomento/generated-types/dist/permissionmessages.js');
const jwtDecodeMod = coreRequire('jwt-decode');
const jwtDecode = jwtDecodeMod.default || jwtDecodeMod;

const readVersion = (p) => JSON.parse(fs.readFileSync(p, 'utf8')).version;
const SDK_VERSIONS = {
  '@gomomento/sdk': readVersion(sdkPkgPath),
  '@gomomento/sdk-core': readVersion(sdkCorePkgPath),
  '@gomomento/generated-types': readVersion(genPkgPath),
  'google-protobuf': readVersion(sdkRequire.resolve('google-protobuf/package.json')),
  'jwt-decode': readVersion(coreRequire.resolve('jwt-decode/package.json')),
};

const { AllCaches, AllTopics, AllFunctions, CredentialProvider, ExpiresIn, PermissionScopes, DisposableTokenScopes } = sdk;
const { AllCacheItems } = core; // not re-exported by @gomomento/sdk
const { InternalSuperUserPermissions, decodeAuthToken, isV2ApiKey } = authUtils;
const { isBase64 } = validators;
const { permissionsFromTokenScope, permissionsFromDisposableTokenScope } = internalAuth;

check(typeof permissionsFromTokenScope === 'function', 'permissionsFromTokenScope not found in internal-auth-client.js');
check(typeof permissionsFromDisposableTokenScope === 'function', 'permissionsFromDisposableTokenScope not found');
check(core.AllCaches === AllCaches, '@gomomento/sdk and @gomomento/sdk-core disagree on AllCaches (two copies of sdk-core?)');
if (failures.length) process.exit(1);

// ---------------------------------------------------------------- fixed inputs
const NOW = 1735689600; // 2025-01-01T00:00:00Z: "issued at" of every generated token
const JWT_SECRET = 'playgate-dummy-hs256-secret-not-momento';
const ENDPOINT = 'cell-4-us-west-2-1.prod.a.momentohq.com';
const TOKEN_ID = 'user-42';

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const b64url = (buf) => Buffer.from(buf).toString('base64url');
function signJwt(payload, header = { alg: 'HS256' }) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(createHmac('sha256', JWT_SECRET).update(input).digest())}`;
}
const errMessage = (e) => (e && e.message !== undefined ? String(e.message) : String(e));

// Sentinels are Symbols in this SDK: JSON.stringify silently drops them. `scopeJson` writes
// them as {} (the convention in docs/momento.md, which is what older SDKs whose sentinels
// were `new All()` produced); `sentinels` says which symbol sat where.
const SENTINEL_NAMES = new Map([
  [AllCaches, 'AllCaches'],
  [AllTopics, 'AllTopics'],
  [AllCacheItems, 'AllCacheItems'],
  [AllFunctions, 'AllFunctions'],
]);
function scopeJson(scope) {
  if (scope instanceof InternalSuperUserPermissions) return { $sdkClass: 'InternalSuperUserPermissions' };
  return JSON.parse(JSON.stringify(scope, (k, v) => (SENTINEL_NAMES.has(v) ? {} : v)));
}
function sentinelsIn(scope) {
  const out = [];
  const walk = (v, at) => {
    if (SENTINEL_NAMES.has(v)) out.push({ at, is: SENTINEL_NAMES.get(v) });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
  };
  walk(scope, '');
  return out;
}
function sdkStringify(scope) {
  const s = JSON.stringify(scope);
  return s === undefined ? null : JSON.parse(s);
}

// The SDK's generated protobuf decoder, with bytes shown as hex and (when valid UTF-8) text.
const utf8 = new TextDecoder('utf-8', { fatal: true });
function plain(v) {
  if (v instanceof Uint8Array) {
    let text = null;
    try { text = utf8.decode(v); } catch { /* not UTF-8 */ }
    return { hex: hex(v), utf8: text };
  }
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
// toObject() of the generated classes fills unset oneof members with defaults (super_user: 0
// next to explicit, key: "" next to key_prefix), so the view below reads each oneof through
// the generated `kind` / `cache` / `cache_item` / `topic` / `function` case getters instead:
// only what is present on the wire appears.
const roleName = (enumObj, v) => enumObj[v] ?? `unknown(${v})`;
function cacheView(m) {
  if (m.cache === 'all_caches') return 'all_caches';
  if (m.cache === 'cache_selector') {
    return m.cache_selector.kind === 'cache_name' ? { cache_name: m.cache_selector.cache_name } : { cache_selector: 'empty' };
  }
  return 'none';
}
function permissionView(t) {
  if (t.kind === 'cache_permissions') {
    const c = t.cache_permissions;
    let items = 'none';
    if (c.cache_item === 'all_items') items = 'all_items';
    else if (c.cache_item === 'item_selector') {
      const sel = c.item_selector;
      items = sel.kind === 'key' ? { key: plain(sel.key) } : sel.kind === 'key_prefix' ? { key_prefix: plain(sel.key_prefix) } : { item_selector: 'empty' };
    }
    return { cache_permissions: { role: c.role, roleName: roleName(pm.CacheRole, c.role), cache: cacheView(c), items } };
  }
  if (t.kind === 'topic_permissions') {
    const c = t.topic_permissions;
    let topic = 'none';
    if (c.topic === 'all_topics') topic = 'all_topics';
    else if (c.topic === 'topic_selector') {
      const sel = c.topic_selector;
      topic = sel.kind === 'none' ? { topic_selector: 'empty' } : { [sel.kind]: sel[sel.kind] };
    }
    return { topic_permissions: { role: c.role, roleName: roleName(pm.TopicRole, c.role), cache: cacheView(c), topic } };
  }
  if (t.kind === 'function_permissions') {
    const c = t.function_permissions;
    let func = 'none';
    if (c.function === 'all_functions') func = 'all_functions';
    else if (c.function === 'function_selector') {
      const sel = c.function_selector;
      func = sel.kind === 'none' ? { function_selector: 'empty' } : { [sel.kind]: sel[sel.kind] };
    }
    return { function_permissions: { role: c.role, roleName: roleName(pm.FunctionRole, c.role), cache: cacheView(c), function: func } };
  }
  return { none: true };
}
function decodePermissions(bytes) {
  const msg = pm.Permissions.deserializeBinary(bytes);
  let view;
  if (msg.kind === 'super_user') view = { super_user: roleName(pm.SuperUserPermissions, msg.super_user) };
  else if (msg.kind === 'explicit') view = { explicit: msg.explicit.permissions.map(permissionView) };
  else view = {};
  return { message: msg, object: view, reencoded: b64(msg.serializeBinary()) };
}

// ---------------------------------------------------------------- the public AuthClient, stubbed transport
const authClient = new sdk.AuthClient({
  configuration: sdk.AuthClientConfigurations.Default.latest(new sdk.NoopMomentoLoggerFactory()),
  // never contacted: both RPC methods are replaced below
  credentialProvider: CredentialProvider.forMomentoLocal({ hostname: '127.0.0.1', port: 9 }),
});
const internal = authClient.authClient; // the InternalAuthClient
check(internal && internal.tokenClient && internal.authClient, 'AuthClient internals moved (authClient.tokenClient / authClient.authClient)');
let lastRequest = null;
let nextJwtPayload = null; // optional override: (p, validFor) => payload
function fakeApiKeyJwt(permissionsBytes, validForSeconds) {
  const p = b64(permissionsBytes);
  if (nextJwtPayload) return signJwt(nextJwtPayload(p, validForSeconds));
  const payload = { sub: 'playgate-vectors', ver: 1, p };
  if (validForSeconds !== undefined) payload.exp = NOW + validForSeconds;
  return signJwt(payload);
}
internal.tokenClient.GenerateDisposableToken = (req, _opts, cb) => {
  lastRequest = req;
  const secs = req.expires.valid_for_seconds;
  cb(null, { api_key: fakeApiKeyJwt(req.permissions.serializeBinary(), secs), endpoint: ENDPOINT, valid_until: NOW + secs });
};
internal.authClient.GenerateApiToken = (req, _opts, cb) => {
  lastRequest = req;
  const secs = req.has_expires ? req.expires.valid_for_seconds : undefined;
  cb(null, {
    api_key: fakeApiKeyJwt(req.permissions.serializeBinary(), secs),
    refresh_token: 'refresh-token-dummy',
    endpoint: ENDPOINT,
    valid_until: secs === undefined ? 0 : NOW + secs,
  });
};
async function viaAuthClient(scope, disposable, expiresIn = ExpiresIn.hours(1), props = undefined) {
  lastRequest = null;
  const resp = disposable
    ? await authClient.generateDisposableToken(scope, expiresIn, props)
    : await authClient.generateApiKey(scope, expiresIn);
  if (resp instanceof (disposable ? sdk.GenerateDisposableToken.Success : sdk.GenerateApiKey.Success)) {
    return { ok: true, resp, request: lastRequest, bytes: lastRequest.permissions.serializeBinary() };
  }
  return { ok: false, resp, error: resp.message(), sent: lastRequest !== null };
}

// ---------------------------------------------------------------- scope cases
// path: 'apiKey' = permissionsFromTokenScope (AuthClient.generateApiKey);
//       'disposable' = permissionsFromDisposableTokenScope (AuthClient.generateDisposableToken).
const C = (name, source, scope, paths, note) => ({ name, source, scope, paths, note });
const SEED2 = 'seeds/002_b09b0ccfbc952c4d.txt';
const SEED0 = 'seeds/000_8ce348efde5f7bac.txt';
const REF = 'docs/momento.md';
const SDK = 'sdk';
const R = 'readonly', RW = 'readwrite', WO = 'writeonly';
const both = ['apiKey', 'disposable'];

const scopeCases = [
  // caches, each role
  C('cache readwrite, named cache', SDK, PermissionScopes.cacheReadWrite('media'), both),
  C('cache readonly, named cache', SEED2, PermissionScopes.cacheReadOnly('media'), both),
  C('cache writeonly, named cache', SDK, PermissionScopes.cacheWriteOnly('media'), ['apiKey']),
  C('cache readonly, AllCaches', SEED2, PermissionScopes.cacheReadOnly(AllCaches), ['apiKey']),
  C('cache readwrite, AllCaches', SDK, PermissionScopes.cacheReadWrite(AllCaches), ['apiKey']),
  C('cache writeonly, AllCaches', SDK, PermissionScopes.cacheWriteOnly(AllCaches), ['apiKey']),
  C('cache readonly, cache literally named "*"', REF, PermissionScopes.cacheReadOnly('*'), ['apiKey'],
    '"*" is a plain cache name to the SDK: cache_selector {cache_name: "*"}, not all_caches'),
  C('cache readonly, { name } form', SDK, PermissionScopes.cacheReadOnly({ name: 'media' }), ['apiKey']),
  C('cache readonly, { name: "*" } form', REF, PermissionScopes.cacheReadOnly({ name: '*' }), ['apiKey']),
  C('cache readonly, empty cache name (SDK accepts)', SDK, PermissionScopes.cacheReadOnly(''), ['apiKey'],
    'no validation of cache names in the scope converters'),
  C('cache readwrite, fastly-cache (momento.md vector 3)', REF, PermissionScopes.cacheReadWrite('fastly-cache'), ['apiKey']),

  // items (disposable tokens)
  C('item key readonly, string form (cacheKeyReadOnly)', SDK, DisposableTokenScopes.cacheKeyReadOnly('media', '/Movie1/playlist.m3u8'), ['disposable']),
  C('item key readwrite, string form (cacheKeyReadWrite)', SDK, DisposableTokenScopes.cacheKeyReadWrite('media', '/Movie1/playlist.m3u8'), ['disposable']),
  C('item key writeonly, string form (cacheKeyWriteOnly)', SDK, DisposableTokenScopes.cacheKeyWriteOnly('media', '/Movie1/playlist.m3u8'), ['disposable']),
  C('item key readonly, { key } form', SEED2, { permissions: [{ role: R, cache: 'demo', item: { key: 'mappings' } }] }, ['disposable']),
  C('item keyPrefix readonly (cacheKeyPrefixReadOnly, MediaStore seed)', SEED0, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/Movie1/'), ['disposable']),
  C('item keyPrefix readwrite (cacheKeyPrefixReadWrite)', SDK, DisposableTokenScopes.cacheKeyPrefixReadWrite('media', '/Movie1/'), ['disposable']),
  C('item keyPrefix writeonly (cacheKeyPrefixWriteOnly)', SDK, DisposableTokenScopes.cacheKeyPrefixWriteOnly('media', '/Movie1/'), ['disposable']),
  C('item keyPrefix readonly, tenant prefix', SEED2, { permissions: [{ role: R, cache: 'demo', item: { keyPrefix: 'MYTENANTID-' } }] }, ['disposable']),
  C('two item permissions, readonly key + readwrite key', SEED2, {
    permissions: [
      { role: R, cache: 'demo', item: { key: 'mappings' } },
      { role: RW, cache: 'demo', item: { key: 'hits' } },
    ],
  }, ['disposable']),
  C('item key with spaces', SDK, { permissions: [{ role: R, cache: 'media', item: { key: '/My Movie/1080p/segment 1.ts' } }] }, ['disposable']),
  C('item keyPrefix with spaces', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/My Movie/'), ['disposable']),
  C('item keyPrefix with leading and trailing space (not blank, so accepted)', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', ' /Movie1/ '), ['disposable']),
  C('item key non-ASCII UTF-8 (Latin-1 range)', SDK, DisposableTokenScopes.cacheKeyReadOnly('media', '/Filme/Ação/1080p/segmento1.ts'), ['disposable']),
  C('item keyPrefix non-ASCII UTF-8 (CJK)', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/映画/'), ['disposable']),
  C('item keyPrefix non-ASCII UTF-8 (astral, emoji)', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/🎬/'), ['disposable']),
  C('item keyPrefix on AllCaches', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly(AllCaches, '/Movie1/'), ['disposable']),
  C('item keyPrefix on { name } cache', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly({ name: 'media' }, '/Movie1/'), ['disposable']),
  C('item AllCacheItems (explicit all_items)', SDK, { permissions: [{ role: R, cache: 'media', item: AllCacheItems }] }, ['disposable'],
    'the SDK calls the sentinel AllCacheItems (momento.md: AllItems); it is encoded as an explicit empty all_items, unlike a plain cache permission where items is unset'),
  C('item key and keyPrefix both given: key wins', SDK, { permissions: [{ role: R, cache: 'media', item: { key: '/Movie1/a.ts', keyPrefix: '/Movie2/' } }] }, ['disposable'],
    'isCacheItemKey is tested first; keyPrefix is ignored'),
  C('item key, string form, empty string (SDK accepts, no validation)', SDK, DisposableTokenScopes.cacheKeyReadOnly('media', ''), ['disposable'],
    'the string form of item skips validateCacheKeyOrPrefix: an empty key selector is sent'),
  C('item key, string form, whitespace only (SDK accepts)', SDK, DisposableTokenScopes.cacheKeyReadOnly('media', '   '), ['disposable']),
  C('item key plus function permission keeps the item (still the disposable branch)', SDK, {
    permissions: [
      { role: R, cache: 'media', item: { keyPrefix: '/Movie1/' } },
      { role: 'functioninvoke', cache: 'media', func: 'transcode' },
    ],
  }, ['disposable']),
  C('conflicting roles on the same cache (SDK accepts; service rejects)', REF, {
    permissions: [{ role: R, cache: 'media' }, { role: RW, cache: 'media' }],
  }, ['apiKey']),

  // item errors
  C('item { key: "" } rejected', REF, { permissions: [{ role: R, cache: 'media', item: { key: '' } }] }, ['disposable']),
  C('item { key: "  " } rejected', REF, { permissions: [{ role: R, cache: 'media', item: { key: '  ' } }] }, ['disposable']),
  C('item { keyPrefix: "" } rejected (cacheKeyPrefixReadOnly)', REF, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', ''), ['disposable']),
  C('item { keyPrefix: " \\t\\n" } rejected', REF, { permissions: [{ role: R, cache: 'media', item: { keyPrefix: ' \t\n' } }] }, ['disposable']),
  C('item {} rejected', SDK, { permissions: [{ role: R, cache: 'media', item: {} }] }, ['disposable']),

  // topics
  C('topic publishsubscribe, named', SDK, PermissionScopes.topicPublishSubscribe('chat', 'room1'), ['apiKey']),
  C('topic subscribeonly, named', SEED2, PermissionScopes.topicSubscribeOnly('demo', 'test'), ['apiKey']),
  C('topic publishonly, named', SDK, PermissionScopes.topicPublishOnly('chat', 'room1'), ['apiKey']),
  C('topic subscribeonly, AllTopics (momento.md vector 2)', REF, PermissionScopes.topicSubscribeOnly('oauth2', AllTopics), ['apiKey']),
  C('topic publishsubscribe, AllCaches + AllTopics', SDK, PermissionScopes.topicPublishSubscribe(AllCaches, AllTopics), ['apiKey']),
  C('topic subscribeonly, { name } forms', SDK, PermissionScopes.topicSubscribeOnly({ name: 'chat' }, { name: 'room1' }), ['apiKey']),
  C('topic subscribeonly, topic literally named "*"', SDK, PermissionScopes.topicSubscribeOnly('chat', '*'), ['apiKey']),
  C('topic name prefix { namePrefix } not supported by the SDK', SDK, { permissions: [{ role: 'subscribeonly', cache: 'chat', topic: { namePrefix: 'room-' } }] }, ['apiKey'],
    'TopicSelector.topic_name_prefix exists in the protobuf schema but the SDK scope converter only knows topic names; see the schema-only case below'),
  C('topic permission via the disposable path (falls back to the general converter)', SDK, PermissionScopes.topicSubscribeOnly('demo', 'test'), ['disposable']),

  // functions (appear in AllDataReadWrite)
  C('function invoke, AllCaches + AllFunctions', SDK, PermissionScopes.functionInvoke(AllCaches, AllFunctions), ['apiKey']),
  C('function invoke, name prefix', SDK, PermissionScopes.functionInvoke('media', { namePrefix: 'fn-' }), ['apiKey']),

  // predefined and super user
  C('AllDataReadWrite', SDK, sdk.AllDataReadWrite, both,
    'current SDK: readwrite all caches + publishsubscribe all caches/topics + functioninvoke all caches/functions'),
  C('super user (InternalSuperUserPermissions, momento.md vector 1)', SDK, new InternalSuperUserPermissions(), both,
    'internal class, not exported; the disposable path refuses any PredefinedScope'),

  // mixes
  C('mix: readonly cache, writeonly cache, topic subscribe, topic publish on AllCaches', SDK, {
    permissions: [
      { role: R, cache: 'media' },
      { role: WO, cache: { name: 'uploads' } },
      { role: 'subscribeonly', cache: 'media', topic: 'updates' },
      { role: 'publishonly', cache: AllCaches, topic: { name: 'events' } },
    ],
  }, ['apiKey']),
  C('momento.md JS example scope (item + topic + AllCaches mixed) -- hazard', REF, {
    permissions: [
      { role: R, cache: 'media', item: { keyPrefix: '/Movie1/' } },
      { role: RW, cache: { name: 'demo' }, item: { key: 'hits' } },
      { role: 'subscribeonly', cache: 'demo', topic: 'test' },
      { role: R, cache: AllCaches },
    ],
  }, ['disposable'], 'both item selectors are dropped: readonly all of media, readwrite all of demo'),

  // the hazard
  C('hazard: item keyPrefix + topic permission', REF, {
    permissions: [
      { role: R, cache: 'media', item: { keyPrefix: '/Movie1/' } },
      { role: 'subscribeonly', cache: 'media', topic: 'updates' },
    ],
  }, ['disposable'], 'item dropped: the token may read every key of cache media'),
  C('hazard: item key + non-item cache permission on another cache', REF, {
    permissions: [
      { role: R, cache: 'media', item: { key: '/Movie1/playlist.m3u8' } },
      { role: R, cache: 'public' },
    ],
  }, ['disposable'], 'item dropped: the token may read every key of cache media'),
  C('hazard: item-scoped readwrite + AllDataReadWrite-style topic', REF, {
    permissions: [
      { role: RW, cache: 'demo', item: { key: 'hits' } },
      { role: 'publishsubscribe', cache: AllCaches, topic: AllTopics },
    ],
  }, ['disposable'], 'item dropped: readwrite on the whole demo cache'),
  C('hazard: item-scoped scope sent as an API key (generateApiKey drops item too)', SDK, DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/Movie1/'), ['apiKey'],
    'permissionsFromTokenScope never looks at item'),

  // scope-level errors / oddities
  C('empty permissions list (SDK accepts; service rejects)', REF, { permissions: [] }, both),
  C('no permissions field', SDK, {}, both),
  C('unknown cache role', SDK, { permissions: [{ role: 'admin', cache: 'media' }] }, ['apiKey']),
  C('permission without role', SDK, { permissions: [{ cache: 'media' }] }, ['apiKey']),
  C('cache selector given as {} (the JSON form of a sentinel) is not AllCaches to the SDK', REF, { permissions: [{ role: R, cache: {} }] }, ['apiKey'],
    'the SDK compares with the AllCaches symbol by identity; {} is neither a string nor { name }'),
];

// Schema-only vectors: built with the SDK's generated protobuf classes, because no SDK scope
// reaches these encodings.
const TP = pm.PermissionsType;
const explicit = (...perms) => new pm.Permissions({ explicit: new pm.ExplicitPermissions({ permissions: perms }) });
const schemaCases = [
  {
    name: 'schema only: topic subscribeonly, topic_name_prefix',
    note: 'TopicSelector.topic_name_prefix = 2; the JS SDK cannot produce it from a scope',
    build: () => explicit(new TP({ topic_permissions: new TP.TopicPermissions({
      role: pm.TopicRole.TopicReadOnly,
      cache_selector: new TP.CacheSelector({ cache_name: 'chat' }),
      topic_selector: new TP.TopicSelector({ topic_name_prefix: 'room-' }),
    }) })),
  },
  {
    name: 'schema only: cache role CachePermitNone (role omitted on the wire)',
    note: 'role 0 is the proto3 default, so it is not written',
    build: () => explicit(new TP({ cache_permissions: new TP.CachePermissions({
      role: pm.CacheRole.CachePermitNone,
      cache_selector: new TP.CacheSelector({ cache_name: 'media' }),
    }) })),
  },
];

// momento.md's four `p` vectors, with the SDK scope that should produce each.
const refVectors = [
  { p: 'CAA=', meaning: 'super user', scope: new InternalSuperUserPermissions(), disposable: false },
  { p: 'EhIKEBIOCAIaCAoGb2F1dGgyIgA=', meaning: 'topic subscribeonly, cache oauth2, all topics', scope: PermissionScopes.topicSubscribeOnly('oauth2', AllTopics), disposable: false },
  { p: 'EhYKFAoSCAEaDgoMZmFzdGx5LWNhY2hl', meaning: 'cache readwrite, cache fastly-cache, all items (items unset)', scope: PermissionScopes.cacheReadWrite('fastly-cache'), disposable: false },
  { p: 'EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=', meaning: 'cache readonly, cache media, key prefix /Movie1/ (hand-encoded)', scope: DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/Movie1/'), disposable: true },
];

function convert(scope, disposable) {
  try {
    const msg = disposable ? permissionsFromDisposableTokenScope(scope) : permissionsFromTokenScope(scope);
    return { ok: true, bytes: msg.serializeBinary() };
  } catch (e) {
    return { ok: false, error: errMessage(e) };
  }
}

function itemsDropped(scope, decoded) {
  if (!decoded || !Array.isArray(scope?.permissions) || !decoded.has_explicit) return 0;
  const out = decoded.explicit.permissions;
  let n = 0;
  scope.permissions.forEach((p, i) => {
    if (p && typeof p === 'object' && 'item' in p) {
      const o = out[i];
      const cp = o && o.has_cache_permissions ? o.cache_permissions : null;
      if (!cp || !(cp.has_all_items || cp.has_item_selector)) n += 1;
    }
  });
  return n;
}

const scopeOut = [];
for (const c of scopeCases) {
  if (!check(c.scope !== null, `${c.name}: scope construction`)) continue;
  for (const pathName of c.paths) {
    const disposable = pathName === 'disposable';
    const direct = convert(c.scope, disposable);
    const viaClient = await viaAuthClient(c.scope, disposable);
    const entry = {
      name: c.paths.length > 1 ? `${c.name} [${pathName}]` : c.name,
      source: c.source,
      sdkScope: sdkStringify(c.scope),
      scopeJson: scopeJson(c.scope),
      sentinels: sentinelsIn(c.scope),
      disposable,
      sdkFunction: disposable ? 'permissionsFromDisposableTokenScope' : 'permissionsFromTokenScope',
      authClientMethod: disposable ? 'generateDisposableToken' : 'generateApiKey',
    };
    if (disposable) {
      entry.disposableBranch = !(c.scope instanceof permScope.PredefinedScope) && dtScope.isDisposableTokenPermissionsObject(c.scope)
        ? 'item-aware (disposableTokenPermissionToGrpcPermission)'
        : 'general (tokenPermissionToGrpcPermission, ignores item)';
    }
    if (direct.ok) {
      const d = decodePermissions(direct.bytes);
      entry.protobufBase64 = b64(direct.bytes);
      entry.protobufHex = hex(direct.bytes);
      entry.sdkDecoded = d.object;
      entry.itemSelectorsDropped = itemsDropped(c.scope, d.message);
      check(d.reencoded === entry.protobufBase64, `${entry.name}: decode/re-encode round trip differs`);
      if (check(viaClient.ok, `${entry.name}: AuthClient failed where the converter succeeded: ${viaClient.error}`)) {
        check(b64(viaClient.bytes) === entry.protobufBase64, `${entry.name}: AuthClient sent different permissions`);
      }
    } else {
      entry.sdkError = direct.error;
      if (check(!viaClient.ok, `${entry.name}: AuthClient succeeded where the converter threw`)) {
        entry.authClientError = viaClient.error;
        check(!viaClient.sent, `${entry.name}: a request was sent for a rejected scope`);
      }
    }
    // What the SDK does with the JSON form (sentinels as {}) fed back to it.
    const back = convert(scopeJson(c.scope), disposable);
    entry.sdkFromScopeJson = back.ok ? { protobufBase64: b64(back.bytes) } : { sdkError: back.error };
    if (c.note) entry.note = c.note;
    scopeOut.push(entry);
  }
}
for (const s of schemaCases) {
  const bytes = s.build().serializeBinary();
  scopeOut.push({
    name: s.name,
    source: 'generated-types',
    sdkScope: null,
    scopeJson: null,
    sentinels: [],
    disposable: null,
    sdkFunction: 'permission_messages.Permissions (generated class, direct)',
    protobufBase64: b64(bytes),
    protobufHex: hex(bytes),
    sdkDecoded: decodePermissions(bytes).object,
    note: s.note,
  });
}
for (const r of refVectors) {
  const bytes = Buffer.from(r.p, 'base64');
  const d = decodePermissions(bytes);
  const produced = convert(r.scope, r.disposable);
  const producedB64 = produced.ok ? b64(produced.bytes) : null;
  const entry = {
    name: `momento.md p vector: ${r.meaning}`,
    source: REF,
    sdkScope: sdkStringify(r.scope),
    scopeJson: scopeJson(r.scope),
    sentinels: sentinelsIn(r.scope),
    disposable: r.disposable,
    sdkFunction: r.disposable ? 'permissionsFromDisposableTokenScope' : 'permissionsFromTokenScope',
    protobufBase64: r.p,
    protobufHex: hex(bytes),
    sdkDecoded: d.object,
    sdkReencodedBase64: d.reencoded,
    sdkProducedBase64: producedB64,
    matchesSdk: producedB64 === r.p,
  };
  check(d.reencoded === r.p, `${entry.name}: the SDK's decoder re-encodes ${r.p} as ${d.reencoded}`);
  check(entry.matchesSdk, `${entry.name}: the SDK produces ${producedB64 ?? produced.error}, momento.md says ${r.p}`);
  scopeOut.push(entry);
}

// ---------------------------------------------------------------- tokens
function jwtParts(jwt) {
  const out = {};
  try { out.header = jwtDecode(jwt, { header: true }); } catch (e) { out.headerError = errMessage(e); }
  try { out.claims = jwtDecode(jwt); } catch (e) { out.claimsError = errMessage(e); }
  if (out.claims && typeof out.claims.p === 'string') {
    try {
      const bytes = Buffer.from(out.claims.p, 'base64');
      out.permissions = decodePermissions(bytes).object;
      out.permissionsReencodedBase64 = b64(bytes);
    } catch (e) { out.permissionsError = errMessage(e); }
  }
  return out;
}
function providerView(p) {
  return {
    cacheEndpoint: p.getCacheEndpoint(),
    controlEndpoint: p.getControlEndpoint(),
    tokenEndpoint: p.getTokenEndpoint(),
    secure: p.isEndpointSecure(),
    authToken: p.getAuthToken(),
  };
}
// Everything the SDK does with a token string, without a connection.
function sdkDecode(token, v2Endpoint = ENDPOINT) {
  const out = { isBase64: isBase64(token) };
  try { out.isV2ApiKey = isV2ApiKey(token); } catch (e) { out.isV2ApiKeyError = errMessage(e); }
  try {
    const d = decodeAuthToken(token);
    out.decodeAuthToken = {
      controlEndpoint: d.controlEndpoint ?? null,
      cacheEndpoint: d.cacheEndpoint ?? null,
      tokenEndpoint: d.tokenEndpoint ?? null,
      authToken: d.authToken,
    };
  } catch (e) { out.decodeAuthTokenError = errMessage(e); }
  try { out.fromDisposableToken = providerView(CredentialProvider.fromDisposableToken({ apiKey: token })); } catch (e) { out.fromDisposableTokenError = errMessage(e); }
  try { out.fromApiKeyV2 = providerView(CredentialProvider.fromApiKeyV2({ apiKey: token, endpoint: v2Endpoint })); } catch (e) { out.fromApiKeyV2Error = errMessage(e); }
  // The JWT the SDK would send as the authorization header, read with the SDK's jwt-decode.
  const inner = out.decodeAuthToken?.authToken ?? (out.fromApiKeyV2 ? token : null);
  if (inner) out.jwt = jwtParts(inner);
  return out;
}
const v1Token = (obj) => Buffer.from(JSON.stringify(obj), 'utf8').toString('base64');
const tokenOut = [];
const addToken = (name, source, token, extra = {}) => {
  const entry = { name, source, token, ...extra, sdkDecoded: sdkDecode(token, extra.v2Endpoint) };
  tokenOut.push(entry);
  return entry;
};

// v1 disposable token for the MediaStore scope through the public AuthClient. The `sub` claim
// is searched (deterministically) until the SDK-built token string ends in '='. A token the
// SDK builds from a hostname endpoint can never hold '+' or '/': its JSON is ASCII made of
// base64url characters, hostname characters and JSON punctuation, and a base64 sextet of 62
// or 63 needs a byte such as '>', '?', '~' or a non-ASCII byte. Tokens with '+' and '/' are
// hand-built below with an extra JSON field, which the SDK ignores.
const mediaScope = DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/Movie1/');
const hasAll = (t) => t.includes('+') && t.includes('/') && t.endsWith('=');
const padded = (t) => t.endsWith('=');
async function disposableWithSub(scope, predicate, payloadFn, expiresIn = ExpiresIn.hours(1), props = { tokenId: TOKEN_ID }) {
  for (let i = 0; i < 5000; i += 1) {
    nextJwtPayload = (p, secs) => payloadFn(`player-${i}`, p, secs);
    const r = await viaAuthClient(scope, true, expiresIn, props);
    nextJwtPayload = null;
    if (!r.ok) return r;
    if (predicate(r.resp.authToken)) return { ...r, sub: `player-${i}` };
  }
  return null;
}
const stdPayload = (sub, p, secs) => ({ sub, ver: 1, p, exp: NOW + secs });
{
  const r = await disposableWithSub(mediaScope, padded, stdPayload);
  if (check(r && r.ok, 'disposable token search for = padding')) {
    addToken('v1 disposable token, readonly media keyPrefix /Movie1/ (AuthClient.generateDisposableToken)', SEED0, r.resp.authToken, {
      built: {
        by: 'AuthClient.generateDisposableToken (transport stubbed) -> GenerateDisposableToken.Success',
        scope: scopeJson(mediaScope),
        tokenIdSent: r.request.token_id,
        validForSecondsSent: r.request.expires.valid_for_seconds,
        jwtSecret: JWT_SECRET,
        issuedAt: NOW,
      },
      sdkResponse: { endpoint: r.resp.endpoint, expiresAtEpoch: r.resp.expiresAt.epoch() },
    });
  }
}
// v1 token whose inner `p` (standard base64) holds '+' or '/', to catch base64url decoders.
{
  const candidates = [
    DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/映画/'),
    DisposableTokenScopes.cacheKeyPrefixReadOnly('media', '/🎬/'),
    DisposableTokenScopes.cacheKeyReadOnly('media', '/Filme/Ação/1080p/segmento1.ts'),
  ];
  for (let j = 0; j < 500; j += 1) candidates.push(DisposableTokenScopes.cacheKeyPrefixReadOnly('media', `/Movie${j}/`));
  const scope = candidates.find((s) => {
    const r = convert(s, true);
    return r.ok && /[+/]/.test(b64(r.bytes));
  });
  if (check(scope, 'no scope found whose protobuf base64 holds + or /')) {
    const r = await disposableWithSub(scope, () => true, stdPayload);
    if (check(r && r.ok, 'disposable token with + or / in p')) {
      addToken('v1 disposable token whose p claim holds + or / (standard base64 inside a base64url JWT)', SDK, r.resp.authToken, {
        built: { by: 'AuthClient.generateDisposableToken (transport stubbed)', scope: scopeJson(scope), pClaim: b64(r.bytes), jwtSecret: JWT_SECRET, issuedAt: NOW },
        sdkResponse: { endpoint: r.resp.endpoint, expiresAtEpoch: r.resp.expiresAt.epoch() },
      });
    }
  }
}
// v1 disposable token for a hazard scope: the p claim shows the widened permission.
{
  const scope = {
    permissions: [
      { role: R, cache: 'media', item: { keyPrefix: '/Movie1/' } },
      { role: 'subscribeonly', cache: 'media', topic: 'updates' },
    ],
  };
  const r = await disposableWithSub(scope, () => true, stdPayload);
  if (check(r && r.ok, 'hazard disposable token')) {
    addToken('v1 disposable token, hazard scope (item keyPrefix + topic): p has no item selector', REF, r.resp.authToken, {
      built: { by: 'AuthClient.generateDisposableToken (transport stubbed)', scope: scopeJson(scope), jwtSecret: JWT_SECRET, issuedAt: NOW },
      sdkResponse: { endpoint: r.resp.endpoint, expiresAtEpoch: r.resp.expiresAt.epoch() },
    });
  }
}
// v1 API keys through generateApiKey (same outer shape as disposable tokens).
for (const [label, scope, expiresIn] of [
  ['v1 API key, AllDataReadWrite, never expires (no exp claim)', sdk.AllDataReadWrite, ExpiresIn.never()],
  ['v1 API key, cache readonly media, 30 days', PermissionScopes.cacheReadOnly('media'), ExpiresIn.days(30)],
]) {
  const r = await viaAuthClient(scope, false, expiresIn);
  if (check(r.ok, `${label}: ${r.error}`)) {
    addToken(label, SDK, r.resp.apiKey, {
      built: { by: 'AuthClient.generateApiKey (transport stubbed) -> GenerateApiKey.Success', scope: scopeJson(scope), jwtSecret: JWT_SECRET, issuedAt: NOW },
      sdkResponse: {
        endpoint: r.resp.endpoint,
        refreshToken: r.resp.refreshToken,
        doesExpire: r.resp.expiresAt.doesExpire(),
        expiresAtEpoch: r.resp.expiresAt.doesExpire() ? r.resp.expiresAt.epoch() : null,
      },
    });
  }
}
// Hand-built v1 shapes (the SDK's decodeAuthToken decides what they mean).
const mediaP = b64(convert(mediaScope, true).bytes);
const mediaJwt = signJwt({ sub: 'player-x', ver: 1, p: mediaP, exp: NOW + 3600 });
let first = null;
for (let i = 0; i < 5000 && !first; i += 1) {
  const t = v1Token({ endpoint: ENDPOINT, api_key: mediaJwt, note: `~?>${'~'.repeat(i % 7)}${'?'.repeat(Math.floor(i / 7))}` });
  if (hasAll(t)) first = t;
}
if (check(first, 'v1 token search for + / =')) {
  addToken('v1 token holding +, / and = (extra JSON field "note" with ~ ? > characters; the SDK ignores it)', SDK, first,
    { built: { by: 'base64(JSON.stringify({endpoint, api_key, note}))', jwtSecret: JWT_SECRET, issuedAt: NOW } });
} else first = '';
addToken('v1 token, JSON keys in the other order {api_key, endpoint}', SDK, v1Token({ api_key: mediaJwt, endpoint: ENDPOINT }));
addToken('v1 token, expired (exp an hour before the fixed issue time): the SDK never reads exp', REF,
  v1Token({ endpoint: ENDPOINT, api_key: signJwt({ sub: 'player-x', ver: 1, p: mediaP, exp: NOW - 3600 }) }),
  { built: { exp: NOW - 3600, jwtSecret: JWT_SECRET } });
addToken('v1 token whose api_key is not a JWT: decodeAuthToken does not look inside', SDK, v1Token({ endpoint: ENDPOINT, api_key: 'not-a-jwt' }));
addToken('v1 token with extra JSON fields', SDK, v1Token({ endpoint: ENDPOINT, api_key: mediaJwt, token_id: TOKEN_ID }));
addToken('v1 token missing endpoint: rejected', REF, v1Token({ api_key: mediaJwt }));
addToken('v1 token missing api_key: rejected', REF, v1Token({ endpoint: ENDPOINT }));
addToken('v1 token with its = padding stripped: not strict base64, so parsed as a JWT and rejected', REF, first.replace(/=+$/, ''));
addToken('v1 token in the base64url alphabet: not strict base64, rejected', REF, first.replace(/\+/g, '-').replace(/\//g, '_'));
addToken('v1 token with a trailing newline: rejected', REF, `${first}\n`);
addToken('v1 token percent-encoded as in a query string: rejected', REF, encodeURIComponent(first));
// Legacy JWT keys with cp / c; the (non-ASCII) sub is searched so that the payload segment
// holds base64url - or _ (ASCII-only claims of this shape cannot produce them).
addToken('legacy JWT key with cp and c claims', REF, signJwt({ sub: 'legacy', cp: `control.${ENDPOINT}`, c: `cache.${ENDPOINT}` }), { built: { jwtSecret: JWT_SECRET } });
{
  let jwt = null;
  for (let i = 0; i < 5000 && !jwt; i += 1) {
    const t = signJwt({ sub: `légacy-${'x'.repeat(i % 3)}¿¾-${i}`, cp: `control.${ENDPOINT}`, c: `cache.${ENDPOINT}` });
    if (/[-_]/.test(t.split('.')[1])) jwt = t;
  }
  if (check(jwt, 'legacy JWT search for - or _')) {
    addToken('legacy JWT key with cp and c claims, non-ASCII sub (payload segment holds - or _)', REF, jwt, { built: { jwtSecret: JWT_SECRET } });
  }
}
addToken('legacy-style JWT without cp / c: endpoints undefined, CredentialProvider refuses', SDK, signJwt({ sub: 'legacy-no-endpoints' }));
addToken('v2 API key (t: "g"): decodeAuthToken refuses it, fromApiKeyV2 takes the endpoint separately', REF,
  signJwt({ t: 'g', id: 'key-0001' }), { v2Endpoint: ENDPOINT, built: { note: 'claims other than t are made up; the SDK reads only t', jwtSecret: JWT_SECRET } });
addToken('empty string', SDK, '');
addToken('garbage', SDK, 'not-a-token');

// Generation-time refusals (no token comes back).
for (const [label, scope, expiresIn, props] of [
  ['disposable token with tokenId longer than 64 characters', mediaScope, ExpiresIn.hours(1), { tokenId: 'x'.repeat(65) }],
  ['disposable token that never expires', mediaScope, ExpiresIn.never(), undefined],
  ['disposable token for super user', new InternalSuperUserPermissions(), ExpiresIn.hours(1), undefined],
]) {
  const r = await viaAuthClient(scope, true, expiresIn, props);
  if (check(!r.ok, `${label}: the SDK should refuse`)) {
    tokenOut.push({ name: label, source: SDK, token: null, generationError: r.error, sdkDecoded: null });
  }
}
// A 64-character tokenId is accepted.
{
  const r = await viaAuthClient(mediaScope, true, ExpiresIn.hours(1), { tokenId: 'x'.repeat(64) });
  check(r.ok && r.request.token_id.length === 64, '64-character tokenId should be accepted');
}

// Self-checks on the token set.
const ok1 = tokenOut[0];
check(ok1 && padded(ok1.token), 'first token must end in =');
check(ok1 && ok1.sdkDecoded.fromDisposableToken?.cacheEndpoint === `cache.${ENDPOINT}`, 'cache endpoint of the first token');
check(tokenOut.some((t) => t.token && hasAll(t.token) && t.sdkDecoded.fromDisposableToken), 'some accepted token holds + / and =');
check(tokenOut.some((t) => /[+/]/.test(t.sdkDecoded?.jwt?.claims?.p ?? '')), 'some p claim holds + or /');

internal.tokenClient.close();
internal.authClient.close();

// ---------------------------------------------------------------- output
const about = {
  generatedBy: 'tests/tools/momento-vectors.mjs',
  sdk: SDK_VERSIONS,
  fixed: { issuedAt: NOW, issuedAtIso: new Date(NOW * 1000).toISOString(), endpoint: ENDPOINT, jwtSecret: JWT_SECRET },
};
const scopesDoc = {
  description:
    'Momento PermissionScope -> protobuf Permissions, as built by the Momento JavaScript SDK (truth = the SDK, not playgate). ' +
    '`sdkScope` is JSON.stringify of the SDK scope object: in this SDK the sentinels AllCaches/AllTopics/AllCacheItems/AllFunctions are Symbols, ' +
    'which JSON.stringify drops, so `sdkScope` is lossy; `scopeJson` writes them as {} (the docs/momento.md convention) and `sentinels` lists them. ' +
    '`disposable` says which SDK converter built the bytes (permissionsFromDisposableTokenScope for generateDisposableToken, permissionsFromTokenScope for generateApiKey). ' +
    '`protobufBase64` is standard base64 with padding of the serialised Permissions; `sdkDecoded` is the protobuf read back with the SDK\'s generated classes, only fields present on the wire, each oneof by its case (bytes as hex + utf8, utf8 null if invalid). ' +
    '`itemSelectorsDropped` counts scope permissions with an `item` whose cache permission came out with no item selector (the SDK hazard). ' +
    '`sdkError` replaces the bytes when the SDK throws. `sdkFromScopeJson` is what the SDK does when handed `scopeJson` parsed back (it does not treat {} as a sentinel). ' +
    'Sources: "sdk" (behaviour of the SDK), seeds/..., docs/momento.md, generated-types (schema-only encodings no SDK scope reaches).',
  ...about,
  count: scopeOut.length,
  cases: scopeOut,
};
const tokensDoc = {
  description:
    'Momento token strings and what the Momento JavaScript SDK extracts from them, offline. `sdkDecoded`: isBase64 (the strict round-trip test that marks a v1 token), ' +
    'isV2ApiKey, decodeAuthToken (sdk-core internal), CredentialProvider.fromDisposableToken (= fromString) and fromApiKeyV2 (endpoint given separately), ' +
    'and `jwt`: the JWT the SDK would send, read with the SDK\'s own jwt-decode (header, claims) plus the `p` claim decoded with the SDK\'s protobuf classes. ' +
    'Keys ending in Error hold the SDK\'s error message. The SDK never checks exp or the signature (the service does). JWTs are HS256 with the dummy secret below.',
  ...about,
  count: tokenOut.length,
  cases: tokenOut,
};
if (failures.length) {
  console.error(`${failures.length} failure(s); vectors not written.`);
  process.exit(1);
}
fs.mkdirSync(OUT_DIR, { recursive: true });
fs.writeFileSync(path.join(OUT_DIR, 'momento-scopes.json'), `${JSON.stringify(scopesDoc, null, 1)}\n`);
fs.writeFileSync(path.join(OUT_DIR, 'momento-tokens.json'), `${JSON.stringify(tokensDoc, null, 1)}\n`);
console.log(`momento-scopes.json: ${scopeOut.length} cases; momento-tokens.json: ${tokenOut.length} cases (SDK ${SDK_VERSIONS['@gomomento/sdk']})`);
process.exit(0);
