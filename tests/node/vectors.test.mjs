// The decision vectors through the built package's Node entry, as a user calls it: each case is
// one test. Expected answers come from the vectors (which cite the seeds, rules and references);
// validUntil strings are converted with JavaScript's own Date.parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG, VECTORS } from './helpers.mjs';
import { runCase, checkCase } from '../../www/vectors.js';

const playgate = await import(path.join(PKG, 'node/index.mjs'));

// Each case by the rules the browser harness and the workerd test run too (www/vectors.js).
let ran = 0;
for (const c of VECTORS.cases) {
  test(`vector: ${c.name}`, () => {
    ran++;
    const failure = checkCase(c, runCase(playgate, VECTORS, c));
    assert.equal(failure, null, `${c.source}\n${JSON.stringify(failure, null, 2)}`);
  });
}

test('every decision vector ran, as many as the file\'s count', () => {
  assert.equal(ran, VECTORS.count);
});

test('evaluateMany gives the same answers as evaluate one by one', () => {
  const { Policy, Entitlement } = playgate;
  const policy = Policy.fromJson(VECTORS.policies.mosaic);
  const ent = Entitlement.fromBlob(JSON.stringify({ plan: 'basic', region: ['DE', 'AT', 'FR'], valid_until: '2025-01-01T00:00:00Z' }));
  const requests = [];
  for (const country of ['DE', 'AT', 'FR', 'US', null]) {
    for (const entityId of ['movie-1', 'episode-2', 'channel-3']) {
      for (const allowPersistence of [false, true]) {
        requests.push({ entityId, country, allowPersistence, now: Date.parse('2024-11-15T12:00:00Z') });
      }
    }
  }
  const many = policy.evaluateMany(ent, requests);
  assert.equal(many.length, requests.length);
  assert.deepEqual(many, requests.map((r) => policy.evaluate(ent, r)));
  assert.ok(many.some((d) => d.allowed) && many.some((d) => !d.allowed), 'the batch mixes allowed and denied');
});

test('evaluateMany on requests sharing one context (one crossing) equals evaluate, for every vector', () => {
  // Each vector's request, its id swapped for others (unlisted, non-ASCII, long, holding a NUL,
  // the other vectors' ids): one context, so evaluateMany takes its batch form.
  const { Policy, Entitlement } = playgate;
  const allIds = [...new Set(VECTORS.cases.map((c) => c.request && c.request.entityId).filter((id) => typeof id === 'string' && id))];
  const extra = ['movie-🎬', 'épisode-1', 'x'.repeat(5000), 'movie\u00001', 'series-9', 'channel-3'];
  let seen = 0;
  let batches = 0;
  for (const c of VECTORS.cases) {
    seen++;
    const r = c.request;
    if (!r || r.entityType != null || r.ancestors != null || r.licenses != null || c.expectError) continue;
    let policy, ent;
    try {
      policy = c.policy === undefined ? new Policy() : Policy.fromJson(typeof c.policy === 'string' ? VECTORS.policies[c.policy] : c.policy);
      if (c.blobText !== undefined) ent = Entitlement.fromBlob(c.blobText);
      else if (c.dictionary !== undefined) ent = Entitlement.fromDictionary(c.dictionary);
      else ent = Entitlement.fromBlob(JSON.stringify(typeof c.entitlement === 'string' ? VECTORS.documents[c.entitlement] : c.entitlement));
    } catch {
      continue;
    }
    const requests = [r.entityId, ...allIds, ...extra].map((entityId) => ({ ...r, entityId }));
    const one = requests.map((q) => {
      try {
        return policy.evaluate(ent, q);
      } catch (error) {
        return { error: error.code };
      }
    });
    const firstError = one.findIndex((d) => d.error);
    if (firstError >= 0) {
      // The batch fails as a whole, naming the first failing request, as one by one does.
      assert.throws(() => policy.evaluateMany(ent, requests), (e) => e.code === one[firstError].error && e.message.startsWith(`requests[${firstError}]`), c.name);
      const ok = requests.filter((_, i) => !one[i].error);
      assert.deepEqual(policy.evaluateMany(ent, ok), one.filter((d) => !d.error), c.name);
    } else {
      assert.deepEqual(policy.evaluateMany(ent, requests), one, c.name);
    }
    batches++;
  }
  assert.equal(seen, VECTORS.count);
  assert.ok(batches >= 20, `${batches} batches`);
});

test('evaluateMany without `now` decides the whole batch at one instant', () => {
  const { Policy, Entitlement } = playgate;
  // valid_until a moment from now: every decision of one batch is taken at the same Date.now().
  const ent = Entitlement.fromBlob(JSON.stringify({ subscription_level: 'gold', valid_until: new Date(Date.now() + 3_600_000).toISOString() }));
  const requests = Array.from({ length: 500 }, (_, i) => ({ entityId: `movie-${i}` }));
  const many = new Policy().evaluateMany(ent, requests);
  assert.equal(many.length, 500);
  assert.ok(many.every((d) => d.allowed && d.validUntil === many[0].validUntil));
});

test('evaluateCatalog agrees with evaluate for every title', () => {
  const { Policy, Entitlement, DECISION_CODES } = playgate;
  const policy = Policy.fromJson(VECTORS.policies.mosaic);
  const doc = { subscription_level: 'silver', region: 'US', allowed_content: [] };
  const ids = [];
  for (let i = 0; i < 1000; i++) {
    const id = `${['movie', 'episode', 'channel'][i % 3]}-${i}`;
    ids.push(id);
    if (i % 4 === 0) doc.allowed_content.push(id);
  }
  const ent = Entitlement.fromBlob(JSON.stringify(doc));
  const now = Date.parse('2024-11-15T12:00:00Z');
  for (const country of ['US', 'DE']) {
    const page = policy.evaluateCatalog(ent, ids, { country, device: 'web', now });
    assert.equal(page.length, ids.length);
    const single = ids.map((entityId) => policy.evaluate(ent, { entityId, country, device: 'web', now }));
    for (let i = 0; i < ids.length; i++) {
      assert.equal(page.allowed(i), single[i].allowed, ids[i]);
      assert.equal(page.code(i), single[i].code, ids[i]);
      assert.equal(page.maxQuality(i), single[i].maxQuality, ids[i]);
    }
    assert.deepEqual(page.allowedIds(), ids.filter((_, i) => single[i].allowed));
    if (country === 'US') assert.equal(page.allowedIds().length, 84, 'movies listed in allowed_content (every 12th title)');
  }
  // An empty page, and a page after it, from a fresh page state.
  const empty = Policy.fromJson(VECTORS.policies.mosaic).evaluateCatalog(ent, [], { country: 'US', now });
  assert.equal(empty.length, 0);
  assert.deepEqual(empty.allowedIds(), []);
  assert.deepEqual(policy.evaluateCatalog(ent, ids.slice(0, 12), { country: 'US', device: 'web', now }).allowedIds(), ['movie-0']);
  // Any string is an id: separators, non-ASCII text and long ids cross intact.
  // NUL (the joined form's separator) included: such a page is sent again length-prefixed.
  const odd = ['movie-a\nb', 'movie-ü,ß', 'movie-' + 'x'.repeat(5000), 'movie-😀', 'movie-\0-nul', 'movie-\0'];
  const oddEnt = Entitlement.fromBlob(JSON.stringify({ allowed_content: [odd[0], odd[2], odd[3], odd[4]] }));
  const want = [odd[0], odd[2], odd[3], odd[4]];
  assert.deepEqual(odd.map((entityId) => policy.evaluate(oddEnt, { entityId, now }).allowed), [true, false, true, true, true, false]);
  assert.deepEqual(policy.evaluateCatalog(oddEnt, odd, { now }).allowedIds(), want);
  assert.deepEqual(policy.evaluateCatalog(oddEnt, odd, { now }).allowedIds(), want, 'the same page again');
  assert.deepEqual(policy.evaluateCatalog(oddEnt, odd.slice(0, 4), { now }).allowedIds(), want.slice(0, 3), 'a joined page after it');
  assert.equal(DECISION_CODES.length, 12);
});

test('qualityForSize follows the ladder by the shorter side', () => {
  const { qualityForSize } = playgate;
  // Mosaic quality groups: SD < 720p, HD <= 1080p, UHD1 <= 2160p, UHD2 above.
  assert.equal(qualityForSize(1280, 719), 'SD');
  assert.equal(qualityForSize(1280, 720), 'HD');
  assert.equal(qualityForSize(1080, 1920), 'HD');
  assert.equal(qualityForSize(3840, 2160), 'UHD1');
  assert.equal(qualityForSize(7680, 4320), 'UHD2');
  assert.throws(() => qualityForSize(-1, 720), { code: 'INVALID_REQUEST' });
  assert.throws(() => qualityForSize(NaN, 720), { code: 'INVALID_REQUEST' });
});

test('decisions on one document follow the clock (no stale memoised context)', () => {
  const { Policy, Entitlement } = playgate;
  const policy = Policy.fromJson(VECTORS.policies.mosaic);
  const ent = Entitlement.fromBlob(JSON.stringify({
    region: ['FR', 'DE', 'AT', 'US', 'CH', 'IT'], valid_from: '2024-10-01T00:00:00Z', valid_until: '2024-12-31T23:59:59Z',
    subscriptions: [{ plan: 'premium', status: 'ACTIVE', period_end: '2024-12-01T00:00:00Z' }],
  }));
  const at = (iso, extra = {}) => policy.evaluate(ent, { entityId: 'episode-1', country: 'FR', now: Date.parse(iso), ...extra });
  // Times chosen on both sides of each boundary, forwards, backwards and forwards again.
  const timeline = [
    ['2024-09-30T23:59:59.999Z', 'ENTITLEMENT_NOT_YET_VALID', Date.parse('2024-10-01T00:00:00Z')],
    ['2024-10-01T00:00:00.000Z', null, Date.parse('2024-12-01T00:00:00Z')],
    ['2024-11-30T23:59:59.999Z', null, Date.parse('2024-12-01T00:00:00Z')],
    ['2024-12-01T00:00:00.000Z', 'SUBSCRIPTION_NOT_ACTIVE', Date.parse('2024-12-31T23:59:59Z')], // the period ended
    ['2024-12-31T23:59:59.000Z', 'ENTITLEMENT_EXPIRED', null],
    ['2024-11-15T00:00:00.000Z', null, Date.parse('2024-12-01T00:00:00Z')],
    ['2024-09-01T00:00:00.000Z', 'ENTITLEMENT_NOT_YET_VALID', Date.parse('2024-10-01T00:00:00Z')],
    ['2024-12-15T00:00:00.000Z', 'SUBSCRIPTION_NOT_ACTIVE', Date.parse('2024-12-31T23:59:59Z')],
  ];
  for (const [iso, code, validUntil] of timeline) {
    const d = at(iso);
    assert.equal(d.code, code, iso);
    assert.equal(d.validUntil, validUntil, iso);
  }
  // Alternating contexts (country, device, persistence) never leak into each other.
  for (let i = 0; i < 20; i++) {
    const now = '2024-11-15T00:00:00Z';
    assert.equal(at(now, { country: ['FR', 'DE', 'AT', 'US', 'CH', 'IT'][i % 6] }).allowed, true);
    assert.equal(at(now, { allowPersistence: i % 2 === 0 }).allowPersistence, i % 2 === 0);
    assert.equal(at(now, { country: null }).code, 'COUNTRY_UNKNOWN');
  }
});

test('re-deciding a catalog page: same ids, other documents and times, a mutated array', () => {
  const { Policy, Entitlement } = playgate;
  const policy = new Policy();
  const ids = Array.from({ length: 300 }, (_, i) => `movie-${i}`);
  const docs = [0, 1, 2].map((k) => Entitlement.fromBlob(JSON.stringify({
    allowed_content: ids.filter((_, i) => i % 3 === k), valid_until: '2024-12-01T00:00:00Z',
  })));
  const now = Date.parse('2024-11-15T12:00:00Z');
  const expect = (ent, list, at) => list.map((entityId) => policy.evaluate(ent, { entityId, now: at }).allowed);
  for (let round = 0; round < 3; round++) {
    for (const [k, ent] of docs.entries()) {
      for (const at of [now, Date.parse('2024-12-02T00:00:00Z')]) {
        const page = policy.evaluateCatalog(ent, ids, { now: at });
        const allowed = ids.map((_, i) => page.allowed(i));
        assert.equal(allowed.filter(Boolean).length, at === now ? 100 : 0, `doc ${k}`);
        if (round === 0) assert.deepEqual(allowed, expect(ent, ids, at));
      }
    }
  }
  // The same array object, changed in place, is noticed.
  ids[0] = 'movie-1';
  const page = policy.evaluateCatalog(docs[1], ids, { now });
  assert.equal(page.allowed(0), true, 'movie-1 is listed in the second document');
  assert.equal(page.allowed(1), true);
  assert.equal(page.allowed(2), false);
});
