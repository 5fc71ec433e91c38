// Bad input never kills the module: every mistake is a thrown Error with a stable `code`, and the
// next call on the same module instance still decides correctly (checked after each case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG } from './helpers.mjs';

const { Policy, Entitlement } = await import(path.join(PKG, 'node/index.mjs'));
const NOW = Date.parse('2024-11-15T12:00:00Z');
const seed = {
  subscription_level: 'premium', region: 'US', device_restriction: 'none',
  valid_from: '2024-10-01T00:00:00Z', valid_until: '2024-12-31T23:59:59Z',
  allowed_content: ['movie_id_123', 'series_id_456'],
};

/** The module still answers a known-good question correctly. */
function stillWorks() {
  const ent = Entitlement.fromBlob(JSON.stringify(seed));
  const d = new Policy().evaluate(ent, { entityId: 'movie_id_123', country: 'US', now: NOW });
  assert.equal(d.allowed, true);
  assert.equal(d.validUntil, Date.parse('2024-12-31T23:59:59Z'));
  ent.free();
}

function rejects(fn, code, message) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, 'a real Error');
    assert.equal(e.code, code, `code of: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
  stillWorks();
}

test('malformed JSON', () => {
  rejects(() => Entitlement.fromBlob('{"region": "US"'), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromBlob('{"region": "US"} trailing'), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromBlob(new Uint8Array([0x7b, 0xff, 0x7d])), 'INVALID_ENTITLEMENT', /UTF-8/);
  rejects(() => Policy.fromJson('{"plans": ['), 'INVALID_POLICY');
  // An unknown field is skipped, but not without bounds: deep nesting cannot overflow the stack.
  rejects(() => Entitlement.fromBlob('{"future": ' + '['.repeat(100000) + ']'.repeat(100000) + '}'), 'INVALID_ENTITLEMENT', /nested deeper/);
});

test('wrong field types name the field', () => {
  rejects(() => Entitlement.fromBlob('{"region": 840}'), 'INVALID_ENTITLEMENT', /region/);
  rejects(() => Entitlement.fromBlob('{"valid_until": true}'), 'INVALID_ENTITLEMENT', /valid_until/);
  rejects(() => Entitlement.fromBlob('{"valid_until": 1.5}'), 'INVALID_ENTITLEMENT', /valid_until/);
  rejects(() => Entitlement.fromBlob('{"claims": "ENTITY_TYPE_MOVIES"}'), 'INVALID_ENTITLEMENT', /claims/);
  rejects(() => Entitlement.fromBlob('{"subscriptions": [{"plan": 1, "status": "ACTIVE", "period_end": 0}]}'), 'INVALID_ENTITLEMENT', /subscriptions\[0\]/);
  rejects(() => Entitlement.fromDictionary({ region: 5 }), 'INVALID_ENTITLEMENT', /region/);
  rejects(() => Entitlement.fromDictionary(new Map([['valid_until', 1735689599000]])), 'INVALID_ENTITLEMENT', /valid_until/);
  rejects(() => Policy.fromJson({ claimSets: [{ key: 'a', claims: 'ENTITY_TYPE_MOVIES' }] }), 'INVALID_POLICY', /claimSets\[0\]\.claims/);
  rejects(() => Policy.fromJson({ tiers: { gold: { plan: 7 } } }), 'INVALID_POLICY', /tiers\.gold\.plan/);
});

test('huge inputs are refused before they are copied or allocated', () => {
  const tenMB = '{"allowed_content": [' + '"movie-000001",'.repeat(700_000) + '"x"]}';
  assert.ok(tenMB.length > 10_000_000);
  rejects(() => Entitlement.fromBlob(tenMB), 'INVALID_ENTITLEMENT', /limit|over/);
  rejects(() => Entitlement.fromBlob(new TextEncoder().encode(tenMB)), 'INVALID_ENTITLEMENT', /limit/);
  rejects(() => Entitlement.fromBlob(new TextEncoder().encode(tenMB).buffer), 'INVALID_ENTITLEMENT', /limit/);
  // 100k allowed_content entries in under 1 MiB: the list limit (65,536) refuses it.
  const ids = Array.from({ length: 100_000 }, (_, i) => 'm' + i.toString(36));
  const blob = JSON.stringify({ allowed_content: ids });
  assert.ok(blob.length < 1 << 20);
  rejects(() => Entitlement.fromBlob(blob), 'INVALID_ENTITLEMENT', /65536 items/);
  rejects(() => Entitlement.fromDictionary({ allowed_content: ids.join(',') }), 'INVALID_ENTITLEMENT', /65536 items/);
  // At the limit it is accepted and decides.
  const ok = Entitlement.fromBlob(JSON.stringify({ allowed_content: ids.slice(0, 65_536) }));
  assert.equal(new Policy().evaluate(ok, { entityId: ids[65_535], now: NOW }).allowed, true);
  assert.equal(new Policy().evaluate(ok, { entityId: ids[65_536], now: NOW }).code, 'CONTENT_NOT_ALLOWED');
  ok.free();
  rejects(() => Policy.fromJson('{"plans": [' + '{"id": "p", "claimSetKeys": []},'.repeat(40_000) + '{"id": "q", "claimSetKeys": []}]}'), 'INVALID_POLICY', /limit/);
});

test('invalid dates', () => {
  for (const bad of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-10-01T25:00:00Z', '2024-10-01T00:00:00', '2024-10-01', 'soon']) {
    rejects(() => Entitlement.fromBlob(JSON.stringify({ valid_from: bad })), 'INVALID_ENTITLEMENT', /valid_from/);
  }
  const ent = Entitlement.fromBlob(JSON.stringify(seed));
  rejects(() => new Policy().evaluate(ent, { entityId: 'movie_id_123', now: '2024-13-01T00:00:00Z' }), 'INVALID_REQUEST', /now/);
  rejects(() => new Policy().evaluate(ent, { entityId: 'movie_id_123', now: NaN }), 'INVALID_REQUEST', /now/);
  rejects(() => new Policy().evaluate(ent, { entityId: 'movie_id_123', now: new Date('x') }), 'INVALID_REQUEST', /now/);
  rejects(() => new Policy().evaluate(ent, { entityId: 'movie_id_123', now: 9e15 }), 'INVALID_REQUEST', /now/);
});

test('unknown claims and malformed policies', () => {
  rejects(() => Policy.fromJson({ claimSets: [{ key: 'x', claims: ['ENTITY_TYPE_MOVIES', 'QUALITY_8K'] }] }), 'INVALID_POLICY', /QUALITY_8K/);
  rejects(() => Policy.fromJson({ tiers: { gold: { claims: ['COUNTRY_UK'] } } }), 'INVALID_POLICY', /COUNTRY_UK/);
  rejects(() => Policy.fromJson({ plans: [{ id: '', claimSetKeys: [] }] }), 'INVALID_POLICY', /plans\[0\]\.id/);
  rejects(() => Policy.fromJson({ plan: [] }), 'INVALID_POLICY', /unknown field/);
  rejects(() => Policy.fromJson('{"tiers": {"a": {}, "a": {}}}'), 'INVALID_POLICY', /duplicate tier/);
});

test('wrong argument types are coded errors, not wasm traps', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(seed));
  const policy = new Policy();
  rejects(() => Entitlement.fromBlob(42), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromBlob(null), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromBlob(undefined), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromDictionary('region=US'), 'INVALID_ENTITLEMENT');
  rejects(() => Entitlement.fromDictionary(['US']), 'INVALID_ENTITLEMENT');
  rejects(() => Policy.fromJson(42), 'INVALID_POLICY');
  rejects(() => Policy.fromJson(null), 'INVALID_POLICY');
  rejects(() => policy.evaluate(ent, null), 'INVALID_REQUEST');
  rejects(() => policy.evaluate(ent, 'movie-1'), 'INVALID_REQUEST');
  rejects(() => policy.evaluate({}, { entityId: 'movie-1' }), 'INVALID_ENTITLEMENT');
  rejects(() => policy.evaluate(null, { entityId: 'movie-1' }), 'INVALID_ENTITLEMENT');
  rejects(() => policy.evaluate(ent, { entityId: 5 }), 'INVALID_REQUEST', /entityId/);
  rejects(() => policy.evaluate(ent, { entityId: '' }), 'INVALID_REQUEST', /entityId/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', country: 276 }), 'INVALID_REQUEST', /country/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', country: 'DEU' }), 'INVALID_REQUEST', /country/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', device: {} }), 'INVALID_REQUEST', /device/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', allowPersistence: 'yes' }), 'INVALID_REQUEST', /allowPersistence/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', ancestors: 'series-1' }), 'INVALID_REQUEST', /ancestors/);
  rejects(() => policy.evaluate(ent, { entityId: 'movie-1', licenses: [{ countries: 'DE' }] }), 'INVALID_REQUEST', /licenses\[0\]\.countries/);
  rejects(() => policy.evaluateMany(ent, 'movie-1'), 'INVALID_REQUEST');
  rejects(() => policy.evaluateCatalog(ent, [1, 2]), 'INVALID_REQUEST', /entityIds\[0\]/);
  // A long id is an id like any other (no length cap beyond the I/O area's 16 MiB).
  const long = 'x'.repeat(30_000);
  assert.equal(policy.evaluateCatalog(ent, ['movie-1', long], { now: NOW }).code(1), policy.evaluate(ent, { entityId: long, now: NOW }).code);
  rejects(() => policy.evaluateCatalog(ent, ['movie-1', '']), 'INVALID_REQUEST', /entityIds\[1\]/);
  const freed = Entitlement.fromBlob('{}');
  freed.free();
  rejects(() => policy.evaluate(freed, { entityId: 'movie-1' }), 'INVALID_ENTITLEMENT', /freed/);
});

test('a batch with one malformed request throws for the whole batch, naming the index', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(seed));
  const good = { entityId: 'movie_id_123', country: 'US', now: NOW };
  rejects(() => new Policy().evaluateMany(ent, [good, good, { entityId: 'movie-1', country: 'U' }, good]), 'INVALID_REQUEST', /^requests\[2\]: country/);
  const policy = Policy.fromJson({ tiers: { premium: { plan: 'p' } }, plans: [{ id: 'p', claimSetKeys: [] }] });
  rejects(() => policy.evaluateMany(ent, [good, { entityId: 'series-9', now: NOW }]), 'INVALID_ENTITY_ID', /^requests\[1\]/);
  rejects(() => policy.evaluateCatalog(ent, ['movie-1', 'series-9'], { country: 'US', now: NOW }), 'INVALID_ENTITY_ID', /entityIds\[1\]/);
});

test('a failed call does not leave stale request state behind', () => {
  const ent = Entitlement.fromBlob(JSON.stringify(seed));
  const policy = new Policy();
  const base = { entityId: 'movie_id_123', country: 'US', now: NOW };
  assert.equal(policy.evaluate(ent, base).allowed, true);
  assert.throws(() => policy.evaluate(ent, { ...base, country: 'USA' }), { code: 'INVALID_REQUEST' });
  assert.equal(policy.evaluate(ent, { ...base, country: 'DE' }).code, 'COUNTRY_NOT_ALLOWED');
  assert.equal(policy.evaluate(ent, base).allowed, true);
  assert.throws(() => policy.evaluate(ent, { ...base, licenses: [{ bad: 1 }] }), { code: 'INVALID_REQUEST' });
  assert.equal(policy.evaluate(ent, base).allowed, true, 'the bad licenses are not remembered');
  assert.equal(policy.evaluate(ent, { ...base, licenses: [] }).code, 'LICENSE_NOT_FOUND');
  assert.equal(policy.evaluate(ent, base).allowed, true, 'licenses from the last call are cleared');
});

test('a decision asked from a getter of another decision\'s request is refused; the outer one is never decided on the inner one\'s bytes', () => {
  // What is checked is what is decided (docs/decision-rules.md): the document allows movie-a on
  // a pc only, the request asks for movie-b on a tv, and its ancestors' getter asks for movie-a on
  // a pc meanwhile. Before, the outer call came back allowed.
  const policy = new Policy();
  const ent = Entitlement.fromBlob(JSON.stringify({ allowed_content: ['movie-a'], device_restriction: ['pc'] }));
  const inner = { entityId: 'movie-a', device: 'pc' };
  assert.equal(policy.evaluate(ent, inner).allowed, true, 'the inner request alone');
  const plain = { entityId: 'movie-b', device: 'tv', ancestors: ['season-1'] };
  assert.equal(policy.evaluate(ent, plain).allowed, false, 'the outer request alone');
  const asking = () => Object.defineProperty([], '0', { enumerable: true, get: () => { policy.evaluate(ent, inner); return 'season-1'; } });
  const hostile = [
    ['evaluate, ancestors written as ids', () => policy.evaluate(ent, { ...plain, ancestors: asking() })],
    ['evaluate, extras written as JSON', () => policy.evaluate(ent, { ...plain, entityType: 'movie', ancestors: asking() })],
    ['evaluateMany', () => policy.evaluateMany(ent, [{ entityId: 'movie-c', device: 'tv' }, { ...plain, ancestors: asking() }])],
    ['evaluateCatalog, a context getter', () => policy.evaluateCatalog(ent, ['movie-b'], { get device() { policy.evaluateCatalog(ent, ['movie-a'], { device: 'pc' }); return 'tv'; } })],
  ];
  for (const [what, run] of hostile) assert.throws(run, { code: 'INVALID_REQUEST' }, what);
  // And the next decisions are right again.
  assert.equal(policy.evaluate(ent, plain).allowed, false);
  assert.equal(policy.evaluate(ent, inner).allowed, true);
});

test('text with a lone surrogate is refused, never decided as the U+FFFD UTF-8 would make of it; two NULs are no country', () => {
  // TextEncoder (UTF-8) writes a lone surrogate as U+FFFD: an id with one is the bytes of an id
  // with U+FFFD in its place, which the document may hold.
  const encode = (text) => [...new TextEncoder().encode(text)];
  assert.deepEqual(encode('x\ud800'), encode('x\ufffd'));
  const policy = new Policy();
  const ent = Entitlement.fromBlob(JSON.stringify({ allowed_content: ['x\ufffd'] }));
  assert.equal(policy.evaluate(ent, { entityId: 'x\ufffd' }).allowed, true, 'the id the document holds');
  const lone = ['x\ud800', 'x\udc00', '\udbffx'];
  for (const id of lone) {
    assert.throws(() => policy.evaluate(ent, { entityId: id }), { code: 'INVALID_REQUEST' }, JSON.stringify(id));
    assert.throws(() => policy.evaluate(ent, { entityId: 'm', device: id }), { code: 'INVALID_REQUEST' }, `device ${JSON.stringify(id)}`);
    assert.throws(() => policy.evaluate(ent, { entityId: 'm', ancestors: [id] }), { code: 'INVALID_REQUEST' }, `ancestor ${JSON.stringify(id)}`);
    assert.throws(() => policy.evaluateMany(ent, [{ entityId: 'a' }, { entityId: id }]), { code: 'INVALID_REQUEST' }, `evaluateMany ${JSON.stringify(id)}`);
    assert.throws(() => policy.evaluateCatalog(ent, ['a', id]), { code: 'INVALID_REQUEST' }, `evaluateCatalog ${JSON.stringify(id)}`);
    assert.throws(() => Entitlement.fromBlob(JSON.stringify({ allowed_content: [id] })), { code: 'INVALID_ENTITLEMENT' }, `a document ${JSON.stringify(id)}`);
  }
  // A pair is well-formed: decided as itself.
  assert.equal(policy.evaluate(Entitlement.fromBlob(JSON.stringify({ allowed_content: ['x\ud83c\udfac'] })), { entityId: 'x\ud83c\udfac' }).allowed, true);
  assert.throws(() => policy.evaluate(ent, { entityId: 'm', country: '\0\0' }), { code: 'INVALID_REQUEST' });
});
