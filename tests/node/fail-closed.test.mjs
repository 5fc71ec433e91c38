// Issue 11's defects, each as a regression test that failed on the main it was filed against:
// a caller value that used to become "absent" (and absent grants), an error without a `code`, a
// stack overflow, a corrupt token read as "unknown", a scope form wider than the scope, a fixed
// document limit, and seed 002's own topic example refused. The truth of each expected outcome
// comes from the decision rules (a license that is not valid now denies), seed 002 (the topic
// examples) and docs/momento.md (the token shapes), not from the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PKG, REPO, rejects } from './helpers.mjs';

const playgate = await import(path.join(PKG, 'node/index.mjs'));
const { Policy, Entitlement, PermissionScope, decodeMomentoToken, EntitlementStore, qualityForSize } = playgate;
const NOW = Date.parse('2024-11-15T12:00:00Z');
const SEED = {
  subscription_level: 'premium', region: 'US', device_restriction: 'none',
  valid_from: '2024-10-01T00:00:00Z', valid_until: '2024-12-31T23:59:59Z',
  allowed_content: ['movie_id_123', 'series_id_456'],
};


/** The module still decides a known question right (no poisoned instance). */
function stillWorks() {
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const d = new Policy().evaluate(ent, { entityId: 'movie_id_123', country: 'US', now: NOW });
  assert.equal(d.allowed, true);
  assert.equal(d.validUntil, Date.parse('2024-12-31T23:59:59Z'));
  ent.free();
}

test('defect 1: a non-finite number, an invalid Date or a non-date string in a license is INVALID_REQUEST naming the field, never "no end"', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const policy = new Policy();
  const base = { entityId: 'movie_id_123', country: 'US', now: NOW };
  // The rules: a license ended in 2020 is not valid now, so the title is denied.
  assert.equal(policy.evaluate(ent, { ...base, licenses: [{ countries: ['US'], end: Date.parse('2020-01-01T00:00:00Z') }] }).code, 'LICENSE_IS_NOT_VALID');
  const cases = [
    [{ countries: ['US'], end: NaN }, /licenses\[0\]\.end/],
    [{ countries: ['US'], end: Infinity }, /licenses\[0\]\.end/],
    [{ countries: ['US'], end: -Infinity }, /licenses\[0\]\.end/],
    [{ countries: ['US'], start: NaN }, /licenses\[0\]\.start/],
    [{ countries: ['US'], end: new Date(NaN) }, /licenses\[0\]\.end.*invalid Date/],
    [{ countries: ['US'], end: 'not a date' }, /licenses\[0\]\.end/],
    [{ countries: ['US'], end: 10n }, /licenses\[0\]\.end.*BigInt/],
    [{ countries: [NaN] }, /licenses\[0\]\.countries\[0\]/],
    [{ countries: ['US', undefined] }, /licenses\[0\]\.countries\[1\]/],
    [{ countries: new Set(['US']) }, /licenses\[0\]\.countries/],
  ];
  for (const [license, message] of cases) {
    rejects(() => policy.evaluate(ent, { ...base, licenses: [license] }), 'INVALID_REQUEST', message);
    rejects(() => policy.evaluateMany(ent, [base, { ...base, licenses: [license] }]), 'INVALID_REQUEST', /^requests\[1\]: /);
  }
  rejects(() => policy.evaluate(ent, { ...base, licenses: [undefined] }), 'INVALID_REQUEST', /licenses\[0\]/);
  rejects(() => policy.evaluate(ent, { ...base, licenses: new Array(1) }), 'INVALID_REQUEST', /licenses\[0\]/);
  rejects(() => policy.evaluate(ent, { ...base, entityType: NaN }), 'INVALID_REQUEST', /entityType/);
  rejects(() => policy.evaluate(ent, { ...base, ancestors: [NaN] }), 'INVALID_REQUEST', /ancestors\[0\]/);
  for (const now of [NaN, Infinity, new Date(NaN), 'tomorrow', 10n, Symbol('now')]) {
    rejects(() => policy.evaluate(ent, { ...base, now }), 'INVALID_REQUEST', /now/);
    rejects(() => policy.evaluateMany(ent, [{ ...base, now }, { ...base, now }]), 'INVALID_REQUEST', /^requests\[0\]: now/);
    rejects(() => policy.evaluateCatalog(ent, ['movie_id_123'], { country: 'US', now }), 'INVALID_REQUEST', /now/);
  }
  // A valid Date is its instant, in a license as in `now`.
  const ended = policy.evaluate(ent, { ...base, licenses: [{ countries: ['US'], end: new Date('2020-01-01T00:00:00Z') }] });
  assert.equal(ended.code, 'LICENSE_IS_NOT_VALID');
  const open = policy.evaluate(ent, { ...base, licenses: [{ countries: ['US'], end: new Date('2030-01-01T00:00:00Z') }] });
  assert.equal(open.allowed, true);
  assert.equal(open.validUntil, Date.parse('2024-12-31T23:59:59Z'));
  // `undefined` in an object is absent, as everywhere in the API (a license with no end).
  assert.equal(policy.evaluate(ent, { ...base, licenses: [{ countries: ['US'], end: undefined }] }).allowed, true);
  stillWorks();
});

test('defect 1: policies and scopes given as objects are written strictly too', () => {
  rejects(() => Policy.fromJson({ tiers: { premium: { maxQuality: NaN } } }), 'INVALID_POLICY', /tiers\.premium\.maxQuality/);
  rejects(() => Policy.fromJson({ claimSets: [{ key: 'a', claims: ['ENTITY_TYPE_MOVIES', undefined] }] }), 'INVALID_POLICY', /claimSets\[0\]\.claims\[1\]/);
  rejects(() => Policy.fromJson({ tiers: new Map([['premium', { maxQuality: 'HD' }]]) }), 'INVALID_POLICY', /tiers/);
  rejects(() => PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { key: NaN } }] }), 'INVALID_SCOPE', /permissions\[0\]\.item\.key/);
  stillWorks();
});

test('defect 2: a BigInt anywhere in a request, policy or scope is a coded error', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const policy = new Policy();
  const base = { entityId: 'movie_id_123', country: 'US', now: NOW };
  for (const field of ['entityId', 'country', 'device', 'now', 'allowPersistence', 'entityType']) {
    rejects(() => policy.evaluate(ent, { ...base, [field]: 1n }), 'INVALID_REQUEST', new RegExp(field));
  }
  rejects(() => policy.evaluate(ent, { ...base, ancestors: [1n] }), 'INVALID_REQUEST', /ancestors\[0\]/);
  rejects(() => policy.evaluate(ent, { ...base, licenses: [{ start: 1n }] }), 'INVALID_REQUEST', /licenses\[0\]\.start/);
  rejects(() => policy.evaluateCatalog(ent, ['movie_id_123', 1n]), 'INVALID_REQUEST', /entityIds\[1\]/);
  rejects(() => policy.evaluateCatalog(ent, ['movie_id_123'], { now: 1n }), 'INVALID_REQUEST', /now/);
  rejects(() => Policy.fromJson({ tiers: { premium: { maxQuality: 1n } } }), 'INVALID_POLICY', /BigInt/);
  rejects(() => PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 1n }] }), 'INVALID_SCOPE', /BigInt/);
  rejects(() => qualityForSize(1920n, 1080), 'INVALID_REQUEST', /qualityForSize/);
  stillWorks();
});

test('defect 3: 100k levels of nesting are INVALID_SCOPE / INVALID_POLICY, as objects and as JSON text', () => {
  let deep = {};
  for (let i = 0; i < 100_000; i++) deep = { permissions: [deep] };
  rejects(() => PermissionScope.fromJson(deep), 'INVALID_SCOPE', /nested deeper than 64/);
  // As text the reader stops at the first value a scope cannot hold, long before any depth.
  rejects(() => PermissionScope.fromJson('{"permissions":' + '['.repeat(100_000)), 'INVALID_SCOPE', /permissions\[0\]/);
  rejects(() => Policy.fromJson('{"tiers":'.repeat(100_000)), 'INVALID_POLICY', /tiers/);
  rejects(() => Policy.fromJson(deep), 'INVALID_POLICY', /nested deeper than 64/);
  const cyclic = { permissions: [] };
  cyclic.permissions.push(cyclic);
  rejects(() => PermissionScope.fromJson(cyclic), 'INVALID_SCOPE', /nested deeper/);
  let deepLicense = [];
  for (let i = 0; i < 100_000; i++) deepLicense = [deepLicense];
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  rejects(() => new Policy().evaluate(ent, { entityId: 'movie_id_123', licenses: deepLicense }), 'INVALID_REQUEST', /nested deeper/);
  stillWorks();
});

test('defect 4: a v1 token whose api_key is a corrupt JWT is MALFORMED_TOKEN; only an opaque api_key is unknown', () => {
  const b64url = (s) => Buffer.from(s).toString('base64url');
  const jwt = (payload) => `${b64url('{"alg":"HS256"}')}.${b64url(payload)}.c2ln`;
  const v1 = (apiKey) => Buffer.from(JSON.stringify({ endpoint: 'cell-1.example.com', api_key: apiKey })).toString('base64');
  // docs/momento.md: "EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=" is readonly media /Movie1/.
  assert.ok(decodeMomentoToken(v1(jwt('{"sub":"u","p":"EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8="}'))).scope.allows('get', 'media', '/Movie1/a.ts'));
  for (const payload of ['{"sub":"u","p":"EhsKGQoXCAIaBwoFbWVk"}', '{"sub":"u","p":"%%%"}', '{"sub":"u","exp":"soon"}', 'not json']) {
    rejects(() => decodeMomentoToken(v1(jwt(payload))), 'MALFORMED_TOKEN', /api_key/);
  }
  const opaque = decodeMomentoToken(v1('opaque-key'));
  assert.deepEqual([opaque.subject, opaque.expiresAt, opaque.scope], [null, null, null]);
});

test('defect 5: toJSON is exact or INVALID_SCOPE, never a wider form', () => {
  // Hand-encoded Permissions messages (schema: docs/momento.md): explicit { [cache
  // permissions { role readonly (2), <no cache selector> }] } grants nothing as read; written as
  // JSON it used to say `cache: {}` (every cache).
  const noCache = Uint8Array.from([0x12, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x08, 0x02]);
  const scope = PermissionScope.fromProtobuf(noCache);
  assert.equal(scope.allows('get', 'media', 'k'), false);
  rejects(() => scope.toJSON(), 'INVALID_SCOPE', /permissions\[0\].*no cache/);
  rejects(() => JSON.stringify(scope), 'INVALID_SCOPE');
  // A key that is not UTF-8 (0xff): as JSON it was U+FFFD, which then matched another key.
  const badKey = Uint8Array.from([0x12, 0x15, 0x0a, 0x13, 0x0a, 0x11, 0x08, 0x02, 0x1a, 0x07, 0x0a, 0x05, 0x6d, 0x65, 0x64, 0x69, 0x61, 0x2a, 0x04, 0x0a, 0x02, 0x2f, 0xff]);
  const keyScope = PermissionScope.fromProtobuf(badKey);
  assert.equal(keyScope.allows('get', 'media', '/\uFFFD'), false);
  rejects(() => keyScope.toJSON(), 'INVALID_SCOPE', /not UTF-8/);
  // A scope of only function permissions survives its own round trip (it did not).
  const functions = PermissionScope.fromJson({ permissions: [{ role: 'functioninvoke', cache: {}, func: {} }] });
  assert.deepEqual(PermissionScope.fromJson(JSON.stringify(functions)).toJSON(), functions.toJSON());
  stillWorks();
});

test('defect 6: the document size limit is an option, and the error names it', () => {
  const big = JSON.stringify({ ...SEED, padding: 'x'.repeat(2 << 20) });
  rejects(() => Entitlement.fromBlob(big), 'INVALID_ENTITLEMENT', /limit of 1048576 bytes/);
  rejects(() => Entitlement.fromBlob(new TextEncoder().encode(big)), 'INVALID_ENTITLEMENT', /limit of 1048576 bytes/);
  const ent = Entitlement.fromBlob(big, { maxBytes: 4 << 20 });
  assert.equal(new Policy().evaluate(ent, { entityId: 'movie_id_123', country: 'US', now: NOW }).allowed, true);
  rejects(() => Entitlement.fromBlob(JSON.stringify(SEED), { maxBytes: 100 }), 'INVALID_ENTITLEMENT', /limit of 100 bytes/);
  const fields = { region: 'US', padding: 'x'.repeat(2 << 20) };
  rejects(() => Entitlement.fromDictionary(fields), 'INVALID_ENTITLEMENT', /limit of 1048576 bytes/);
  assert.ok(Entitlement.fromDictionary(fields, { maxBytes: 4 << 20 }));
  for (const maxBytes of [0, -1, 1.5, NaN, 65 << 20, '1000', 10n]) {
    rejects(() => Entitlement.fromBlob('{}', { maxBytes }), 'INVALID_ENTITLEMENT', /maxBytes/);
  }
  stillWorks();
});

test('defect 6: EntitlementStore reads documents up to its maxBytes', async () => {
  const policy = new Policy();
  const big = JSON.stringify({ ...SEED, padding: 'x'.repeat(2 << 20) });
  const request = { entityId: 'movie_id_123', country: 'US', now: NOW };
  const small = new EntitlementStore({ policy, load: () => big });
  const refused = await small.decide('u', request);
  assert.equal(refused.code, 'ENTITLEMENT_INVALID');
  assert.match(refused.cause.message, /limit of 1048576 bytes/);
  const large = new EntitlementStore({ policy, load: () => big, maxBytes: 4 << 20 });
  assert.equal((await large.decide('u', request)).allowed, true);
  assert.throws(() => new EntitlementStore({ policy, load: () => big, maxBytes: 0 }), { code: 'INVALID_REQUEST' });
});

test('defect 7: seed 002\'s topic examples are accepted with least privilege', () => {
  // The SDK's own sentinels: the Momento SDK (sdk-core) is a test dependency.
  const require = createRequire(path.join(REPO, 'tests/package.json'));
  const { AllCaches, AllTopics } = require('@gomomento/sdk-core');
  for (const scope of [
    PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'demo', topic: 'test' }] }),
    PermissionScope.fromJson('{"permissions":[{"role":"readonly","cache":"demo","topic":"test"}]}'),
    PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: AllCaches, topic: AllTopics }] }),
  ]) {
    assert.equal(scope.allowsTopic('subscribe', 'demo', 'test'), true);
    assert.equal(scope.allowsTopic('publish', 'demo', 'test'), false, 'readonly does not publish');
    assert.equal(scope.allows('get', 'demo', 'test'), false, 'a topic permission covers no cache item');
    assert.equal(scope.toJSON().permissions[0].role, 'subscribeonly');
  }
  const writer = PermissionScope.fromJson({ permissions: [{ role: 'writeonly', cache: 'demo', topic: 'test' }] });
  assert.deepEqual([writer.allowsTopic('publish', 'demo', 'test'), writer.allowsTopic('subscribe', 'demo', 'test')], [true, false]);
});

test('a catalog result answers for the page as decided: an index outside it and a later change of the caller\'s array are not "allowed"', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const ids = ['movie_id_123', 'movie-forbidden'];
  const page = new Policy().evaluateCatalog(ent, ids, { country: 'US', now: NOW });
  assert.deepEqual([page.allowed(0), page.allowed(1)], [true, false]);
  for (const i of [2, -1, 0.5, '0', NaN, undefined]) {
    rejects(() => page.allowed(i), 'INVALID_REQUEST', /index/);
    rejects(() => page.code(i), 'INVALID_REQUEST', /index/);
    rejects(() => page.maxQuality(i), 'INVALID_REQUEST', /index/);
  }
  ids[0] = 'movie-forbidden';
  ids.push('movie-other');
  assert.deepEqual(page.allowedIds(), ['movie_id_123']);
  assert.ok(Object.isFrozen(page.entityIds));
  // Deciding the same page again (the buffer's page is reused) still uses the ids as given.
  const again = new Policy().evaluateCatalog(ent, ['movie_id_123', 'movie-forbidden'], { country: 'US', now: NOW });
  assert.deepEqual(again.allowedIds(), ['movie_id_123']);
});

test('getters and Proxy traps that throw become coded errors; the module keeps working', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const policy = new Policy();
  const boom = () => { throw new TypeError('boom'); };
  const request = { entityId: 'movie_id_123', get country() { return boom(); } };
  rejects(() => policy.evaluate(ent, request), 'INVALID_REQUEST', /boom/);
  rejects(() => policy.evaluateMany(ent, [request, request]), 'INVALID_REQUEST', /boom/);
  rejects(() => policy.evaluateCatalog(ent, new Proxy(['movie_id_123'], { get: boom })), 'INVALID_REQUEST', /boom/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie_id_123', licenses: [{ get end() { return boom(); } }] }), 'INVALID_REQUEST', /boom/);
  rejects(() => Entitlement.fromDictionary({ get region() { return boom(); } }), 'INVALID_ENTITLEMENT', /boom/);
  rejects(() => Entitlement.fromDictionary(new Proxy({}, { ownKeys: boom })), 'INVALID_ENTITLEMENT', /boom/);
  rejects(() => Policy.fromJson(new Proxy({}, { ownKeys: boom })), 'INVALID_POLICY', /boom/);
  rejects(() => PermissionScope.fromJson({ get permissions() { return boom(); } }), 'INVALID_SCOPE', /boom/);
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  rejects(() => Entitlement.fromBlob(buffer), 'INVALID_ENTITLEMENT', /detached/);
  const freed = new Policy();
  freed.free();
  rejects(() => freed.evaluate(ent, { entityId: 'movie_id_123' }), 'INVALID_POLICY', /live Policy/);
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media' }] });
  rejects(() => scope.explain(1, 2, 3), 'INVALID_REQUEST', /three strings/);
  scope.free();
  rejects(() => scope.explain('get', 'media', 'k'), 'INVALID_SCOPE', /live/);
  rejects(() => scope.toJSON(), 'INVALID_SCOPE', /live/);
  stillWorks();
});

test('a request field the rules do not name is INVALID_REQUEST on every path (a misspelt `licenses` dropped the license check); a catalog\'s context takes no licenses', async () => {
  // docs/decision-rules.md: "a policy, a request and a license reject unknown and duplicate
  // fields (a typo such as `start_time` must not silently widen a window)". The rules: a license
  // ended in 2020 is not valid now, so the title is denied.
  const policy = new Policy();
  const ent = Entitlement.fromBlob(JSON.stringify(SEED));
  const ended = [{ countries: ['US'], end: Date.parse('2020-01-01T00:00:00Z') }];
  const base = { entityId: 'movie_id_123', country: 'US', now: NOW };
  assert.equal(policy.evaluate(ent, { ...base, licenses: ended }).code, 'LICENSE_IS_NOT_VALID');
  for (const name of ['license', 'licences', 'Licenses', 'entityid', 'start_time', 'toString', '__proto__x']) {
    assert.throws(() => policy.evaluate(ent, { ...base, [name]: ended }), (e) => e.code === 'INVALID_REQUEST' && e.message.includes(name), `evaluate: ${name}`);
    assert.throws(() => policy.evaluateMany(ent, [base, { ...base, [name]: ended }]), { code: 'INVALID_REQUEST' }, `evaluateMany: ${name}`);
  }
  // An inherited enumerable field is read as the request's own (for-in, as destructuring reads it).
  assert.throws(() => policy.evaluate(ent, Object.create({ licences: ended }, { entityId: { value: 'movie_id_123', enumerable: true } })), { code: 'INVALID_REQUEST' });
  // A class instance's fields are its accessors (not enumerable): a misspelt one is refused too,
  // and one spelt right is read.
  class Misspelt { get entityId() { return 'movie_id_123'; } get country() { return 'US'; } get now() { return NOW; } get licences() { return ended; } }
  class Spelt { get entityId() { return 'movie_id_123'; } get country() { return 'US'; } get now() { return NOW; } get licenses() { return ended; } }
  assert.throws(() => policy.evaluate(ent, new Misspelt()), (e) => e.code === 'INVALID_REQUEST' && e.message.includes('licences'));
  assert.throws(() => policy.evaluateMany(ent, [base, new Misspelt()]), { code: 'INVALID_REQUEST' });
  assert.equal(policy.evaluate(ent, new Spelt()).code, 'LICENSE_IS_NOT_VALID');
  // A member defined non-enumerable (on an object literal, on a null-prototype request), or
  // inherited from a null-prototype object that defines it so; a class's methods are no fields.
  const hidden = Object.defineProperty(Object.assign(Object.create(null), base), 'licences', { value: ended });
  assert.throws(() => policy.evaluate(ent, hidden), { code: 'INVALID_REQUEST' });
  assert.throws(() => policy.evaluate(ent, Object.defineProperty({ ...base }, 'licences', { value: ended })), { code: 'INVALID_REQUEST' });
  assert.throws(() => policy.evaluateMany(ent, [Object.defineProperty({ ...base }, 'licences', { value: ended })]), { code: 'INVALID_REQUEST' });
  assert.throws(() => policy.evaluateCatalog(ent, ['movie_id_123'], Object.defineProperty({ country: 'US', now: NOW }, 'licenses', { value: ended })), { code: 'INVALID_REQUEST' });
  const defaults = Object.defineProperty(Object.create(null), 'licences', { value: ended });
  assert.throws(() => policy.evaluate(ent, Object.assign(Object.create(defaults), base)), { code: 'INVALID_REQUEST' });
  // A prototype chain that loops (a Proxy's getPrototypeOf answering itself) is refused, not walked for ever.
  const looping = new Proxy({ ...base }, { getPrototypeOf: () => looping });
  assert.throws(() => policy.evaluate(ent, looping), { code: 'INVALID_REQUEST' });
  class WithMethods { get entityId() { return 'movie_id_123'; } get country() { return 'US'; } get now() { return NOW; } get licenses() { return ended; } toString() { return 'a request'; } }
  assert.equal(policy.evaluate(ent, new WithMethods()).code, 'LICENSE_IS_NOT_VALID');
  assert.throws(() => policy.evaluateCatalog(ent, ['movie_id_123'], new (class { get country() { return 'US'; } get licenses() { return ended; } })()), { code: 'INVALID_REQUEST' }, 'a context takes no licenses');
  assert.throws(() => policy.evaluateCatalog(ent, ['movie_id_123'], { country: 'US', now: NOW, licenses: ended }), { code: 'INVALID_REQUEST' });
  assert.equal(policy.evaluateCatalog(ent, ['movie_id_123'], { country: 'US', now: NOW }).allowed(0), true);
  const store = new EntitlementStore({ policy, load: async () => JSON.stringify(SEED) });
  await assert.rejects(store.decide('viewer', { ...base, licences: ended }), { code: 'INVALID_REQUEST' });
  // The store copies the fields it reads: the names are checked on the caller's object.
  await assert.rejects(store.decide('viewer', new Misspelt()), { code: 'INVALID_REQUEST' });
  await assert.rejects(store.decide('viewer', Object.defineProperty({ ...base }, 'licences', { value: ended })), { code: 'INVALID_REQUEST' });
  assert.equal((await store.decide('viewer', new Spelt())).code, 'LICENSE_IS_NOT_VALID');
  assert.equal((await store.decide('viewer', { ...base, licenses: ended })).code, 'LICENSE_IS_NOT_VALID');
  ent.free();
  stillWorks();
});

test('a lone surrogate at the end of a long id (past the end of the I/O area\'s view, with ASCII before it) is INVALID_REQUEST in a catalog page, a shared batch and a request', async () => {
  // The README: "Text with a lone surrogate (an id, ...) is INVALID_REQUEST: UTF-8 would carry it
  // as U+FFFD, another id". The document lists that other id, so reading it so would allow. The
  // I/O area is a power of two from 16 KiB, ids from byte 64: in a fresh process (a fresh area),
  // for each path, ids whose length crosses the area's end (each sweep grows it for the next).
  const { spawnSync } = await import('node:child_process');
  const script = `
    const pg = await import(${JSON.stringify(path.join(PKG, 'node/index.mjs'))});
    const NOW = ${NOW};
    const policy = new pg.Policy();
    const out = { checked: 0, wrong: [] };
    const sweep = (what, end, decide) => {
      for (let length = end - 24; length <= end + 8; length++) {
        const stem = 'movie-' + 'a'.repeat(length - 7); // with the surrogate, length UTF-16 units
        const ent = pg.Entitlement.fromBlob(JSON.stringify({ allowed_content: [stem + '\\uFFFD'] }));
        try {
          const allowed = decide(ent, stem + '\\uD800');
          out.wrong.push(what + ' ' + length + ': ' + JSON.stringify(allowed));
        } catch (error) {
          if (error.code !== 'INVALID_REQUEST') out.wrong.push(what + ' ' + length + ': ' + error.code);
        }
        out.checked++;
        ent.free();
      }
    };
    sweep('catalog', 16384 - 64, (ent, id) => policy.evaluateCatalog(ent, [id], { now: NOW }).allowed(0));
    sweep('batch', 32768 - 64 - 8, (ent, id) => policy.evaluateMany(ent, [{ entityId: 'movie-2', now: NOW }, { entityId: id, now: NOW }]).map((d) => d.allowed));
    sweep('request', 65536 - 64, (ent, id) => policy.evaluate(ent, { entityId: id, now: NOW }).allowed);
    console.log(JSON.stringify(out));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const { checked, wrong } = JSON.parse(run.stdout);
  assert.equal(checked, 3 * 33);
  assert.deepEqual(wrong, []);
});

test('a start with a fraction below a millisecond is not reached before it (decision rules: NOT_YET_VALID while now < valid_from; a license is not valid before its start); an end with one ends no later than it', () => {
  // The instants as the rules read them: 12:00:00.0000001 is after 12:00:00.000 and before
  // 12:00:00.001 (found by an independent model of the rules, session 43).
  const at = (ms) => NOW + ms;
  const decide = (doc, now, request = {}) => {
    const ent = Entitlement.fromBlob(JSON.stringify({ ...SEED, ...doc }));
    try {
      return new Policy().evaluate(ent, { entityId: 'movie_id_123', country: 'US', now, ...request });
    } finally {
      ent.free();
    }
  };
  const dictionary = (fields, now) => {
    const ent = Entitlement.fromDictionary({ subscription_level: 'premium', region: 'US', device_restriction: 'none', allowed_content: 'movie_id_123', ...fields });
    try {
      return new Policy().evaluate(ent, { entityId: 'movie_id_123', country: 'US', now });
    } finally {
      ent.free();
    }
  };
  for (const fromText of ['2024-11-15T12:00:00.0000001Z', '2024-11-15T12:00:00.000999999Z', '2024-11-15T13:00:00.0005+01:00']) {
    const early = decide({ valid_from: fromText }, at(0));
    assert.deepEqual([early.allowed, early.code, early.validUntil], [false, 'ENTITLEMENT_NOT_YET_VALID', at(1)], fromText);
    assert.equal(decide({ valid_from: fromText }, at(1)).allowed, true, `${fromText}: from the next millisecond`);
    assert.equal(dictionary({ valid_from: fromText }, at(0)).code, 'ENTITLEMENT_NOT_YET_VALID', `${fromText} (dictionary)`);
    const licensed = decide({}, at(0), { licenses: [{ start: fromText }] });
    assert.deepEqual([licensed.allowed, licensed.code], [false, 'LICENSE_IS_NOT_VALID'], `license start ${fromText}`);
    assert.equal(decide({}, at(1), { licenses: [{ start: fromText }] }).allowed, true);
  }
  // Whole milliseconds written with more digits are those milliseconds.
  assert.equal(decide({ valid_from: '2024-11-15T12:00:00.000000Z' }, at(0)).allowed, true);
  // An end with a fraction: allowed only before it (up to a millisecond early, never after).
  const until = decide({ valid_until: '2024-11-15T12:00:00.0009Z' }, at(0));
  assert.deepEqual([until.allowed, until.code], [false, 'ENTITLEMENT_EXPIRED']);
  assert.equal(decide({ valid_until: '2024-11-15T12:00:00.0009Z' }, at(-1)).allowed, true);
});
