// Property tests through the built package (issue 11, "What must be true" 2): evaluate,
// evaluateMany and evaluateCatalog agree on every generated request, and validUntil is honest.
// Generated: documents, policies (the vectors' and generated ones), ids (unicode, NUL, lone
// surrogates, blank, long), countries, devices, `now` (number, RFC 3339, Date, absent),
// allowPersistence, licenses. The seed is fixed and printed; PLAYGATE_PROPERTY_SEED=<int>
// explores another one, PLAYGATE_PROPERTY_RUNS=<n> changes the number of runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as fc from 'fast-check';
import { PKG, VECTORS } from './helpers.mjs';

const playgate = await import(path.join(PKG, 'node/index.mjs'));
const { Policy, Entitlement } = playgate;

const SEED = process.env.PLAYGATE_PROPERTY_SEED !== undefined ? Number(process.env.PLAYGATE_PROPERTY_SEED) : 20241115;
const RUNS = process.env.PLAYGATE_PROPERTY_RUNS !== undefined ? Number(process.env.PLAYGATE_PROPERTY_RUNS) : null;
console.log(`# property seed ${SEED} (PLAYGATE_PROPERTY_SEED=${SEED} reproduces this run)`);

/** fast-check's parameters for the k-th property: its own seed derived from SEED. */
function params(k, numRuns) {
  return { seed: (SEED + k * 7919) | 0, numRuns: RUNS ?? numRuns, includeErrorInReport: true };
}

// ---- generators --------------------------------------------------------------------------

const BASE = Date.parse('2024-11-15T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_MS = 8_640_000_000_000_000;

/** Instants near each other and near BASE, so that boundaries and `now` often meet. */
const instant = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((d) => BASE + d),
  fc.integer({ min: -48, max: 48 }).map((h) => BASE + h * HOUR),
  fc.integer({ min: -400, max: 400 }).map((d) => BASE + d * DAY),
  fc.integer({ min: -1e11, max: 1e11 }).map((d) => BASE + d),
);
/** Mostly at or before BASE (a start), or at or after it (an end). */
const near = (sign) => fc.oneof(
  fc.integer({ min: 0, max: 2 }).map((d) => BASE + sign * d),
  fc.integer({ min: 0, max: 48 }).map((h) => BASE + sign * h * HOUR),
  fc.integer({ min: 0, max: 400 }).map((d) => BASE + sign * d * DAY),
  instant,
);
/** A decision's `now`: mostly within a day of BASE. */
const nowMs = fc.oneof(
  fc.integer({ min: -2, max: 2 }).map((d) => BASE + d),
  fc.integer({ min: -24 * 60, max: 24 * 60 }).map((m) => BASE + m * 60_000),
  instant,
);
/** An instant as a document holds it: epoch ms or RFC 3339 text (UTC or with an offset). */
const asJsonTime = (t) => fc.constantFrom(0, 1, 2).map((style) => {
  if (style === 0) return t;
  if (style === 1) return new Date(t).toISOString();
  const local = new Date(t + 330 * 60_000).toISOString().slice(0, -1); // +05:30
  return `${local}+05:30`;
});
const time = (arb) => arb.chain(asJsonTime);
/** An instant as a request may hold it: also a Date. */
const requestTime = (arb) => arb.chain((t) => fc.oneof(asJsonTime(t), fc.constant(new Date(t))));

const COMMON_IDS = ['movie-1', 'movie_id_123', 'episode-2', 'channel-3', 'series_id_456'];
const NASTY_IDS = [
  'season-7', 'movie-🎬', 'épisode-1', 'movie-a\u0000b', 'movie-\u0000', '\u0000', 'movie', 'MOVIE-1', 'x',
  ' movie-1', 'movie-1 ', 'channel_news', 'movie-\ud800', 'episode-\udc00x', '\ud83c', 'movie-\ufffd',
  'movie-a\nb', 'movie-ü,ß', 'movie-' + 'x'.repeat(5000), 'movie-' + 'é'.repeat(7000), 'x'.repeat(21845),
];
const BLANK_IDS = [' ', '\t', ' \n '];
const generatedId = fc.tuple(
  fc.constantFrom('movie-', 'episode_', 'channel-', 'series-', ''),
  fc.string({ unit: 'binary', maxLength: 8 }),
).map(([prefix, rest]) => prefix + rest).filter((s) => s.length > 0);
/** Ids a request may carry (lone surrogates and blanks included). */
const requestId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...COMMON_IDS) },
  { weight: 5, arbitrary: fc.constantFrom(...NASTY_IDS) },
  { weight: 3, arbitrary: generatedId },
  { weight: 1, arbitrary: fc.constantFrom(...BLANK_IDS) },
);
/** Ids a document lists (JSON text cannot hold a lone surrogate). */
const docId = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...COMMON_IDS) },
  { weight: 5, arbitrary: fc.constantFrom(...NASTY_IDS.filter((s) => s.isWellFormed())) },
  { weight: 3, arbitrary: generatedId },
);

const COUNTRIES = ['US', 'DE', 'AT', 'CH', 'FR', 'XX', 'us', 'de'];
const DEVICES = ['web', 'tv', 'mobile', 'WEB', 'Tv', 'none'];
const CLAIMS = [
  'ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES', 'ENTITY_TYPE_CHANNELS', 'ENABLE_VIDEOS_DOWNLOAD',
  'QUALITY_SD', 'QUALITY_HD', 'QUALITY_UHD1', 'QUALITY_UHD2', 'COUNTRY_US', 'COUNTRY_DE', 'COUNTRY_AT',
  'COUNTRY_XX', 'COUNTRY_FR',
];
const QUALITIES = ['SD', 'HD', 'UHD1', 'UHD2'];
const PLANS = ['basic', 'premium', 'dach-xx', 'empty', 'nope'];
const TIERS = ['premium', 'free', 'gold', 'silver', 'bronze', ''];

const document = fc.record({
  subscription_level: fc.constantFrom(...TIERS),
  plan: fc.constantFrom(...PLANS),
  subscriptions: fc.array(fc.record({
    plan: fc.constantFrom(...PLANS),
    status: fc.constantFrom('ACTIVE', 'CANCELLED', 'ON_HOLD', 'EXPIRED', 'active', 'PAUSED'),
    period_end: time(near(1)),
  }), { maxLength: 3 }),
  claims: fc.array(fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...CLAIMS) },
    { weight: 1, arbitrary: fc.constantFrom('FOO', 'COUNTRY_de', 'QUALITY_4K', '') },
  ), { maxLength: 5 }),
  region: fc.oneof(fc.constantFrom(...COUNTRIES.slice(0, 7)), fc.array(fc.constantFrom(...COUNTRIES.slice(0, 7)), { maxLength: 3 })),
  device_restriction: fc.oneof(fc.constantFrom(...DEVICES), fc.array(fc.constantFrom(...DEVICES), { maxLength: 3 })),
  valid_from: time(near(-1)),
  valid_until: time(near(1)),
  allowed_content: fc.array(docId, { maxLength: 6 }),
  max_quality: fc.constantFrom(...QUALITIES),
  future_field: fc.constant({ nested: [1, 'two', null] }),
}, { requiredKeys: [] }).chain((doc) => {
  // Keep most documents light: each restricting field is dropped with some probability.
  const keys = Object.keys(doc);
  return fc.array(fc.boolean(), { minLength: keys.length, maxLength: keys.length }).map((keep) => {
    const light = {};
    keys.forEach((k, i) => {
      if (keep[i] || k === 'valid_until') light[k] = doc[k];
    });
    return light;
  });
});

const claimList = fc.array(fc.constantFrom(...CLAIMS), { maxLength: 4 });
const generatedPolicy = fc.tuple(
  fc.array(claimList, { maxLength: 4 }),
  fc.array(fc.array(fc.constantFrom('set0', 'set1', 'set2', 'set3', 'nope'), { maxLength: 3 }), { maxLength: 4 }),
  fc.array(fc.record({ plan: fc.constantFrom(...PLANS), claims: claimList, maxQuality: fc.constantFrom(...QUALITIES) }, { requiredKeys: [] }), { maxLength: 4 }),
).map(([sets, plans, tiers]) => ({
  claimSets: sets.map((claims, i) => ({ key: `set${i}`, claims })),
  plans: plans.map((claimSetKeys, i) => ({ id: PLANS[i], claimSetKeys })),
  tiers: Object.fromEntries(tiers.map((t, i) => [TIERS[i], t])),
}));
const policy = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...Object.values(VECTORS.policies)) },
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: generatedPolicy },
);

/**
 * A request's context fields: each a usual value, absent (undefined or null), or, in `bad`
 * per cent of draws (about), malformed.
 */
function contextOf(bad) {
  const field = (usual, absent, malformed) => fc.oneof(
    { weight: 750, arbitrary: usual },
    { weight: 250, arbitrary: fc.constantFrom(...absent) },
    ...(bad > 0 ? [{ weight: Math.round(bad * 10), arbitrary: fc.constantFrom(...malformed) }] : []),
  );
  return fc.record({
    country: field(fc.constantFrom(...COUNTRIES), [undefined, null], ['USA', 'U', '', '1A', 'ÜS']),
    // 64 characters is the longest device; 'é' x 40 is 80 bytes, over the buffer's 64.
    device: field(fc.constantFrom(...DEVICES.slice(0, 5), 'x'.repeat(64)), [undefined, null], ['', '  ', 'é'.repeat(40), 'x'.repeat(65)]),
    now: field(fc.oneof({ weight: 3, arbitrary: nowMs }, { weight: 1, arbitrary: requestTime(nowMs) }), [undefined, null], [NaN, Infinity, 'soon', '2024-02-30T00:00:00Z']),
    allowPersistence: field(fc.boolean(), [undefined, null], [1, 'true']),
  }, { requiredKeys: [] });
}
const context = contextOf(4);

const license = fc.record({
  countries: fc.array(fc.constantFrom(...COUNTRIES.slice(0, 7)), { maxLength: 2 }),
  start: requestTime(near(-1)),
  end: requestTime(near(1)),
}, { requiredKeys: [] });
const extras = fc.record({
  entityType: fc.constantFrom('movie', 'episode', 'channel'),
  ancestors: fc.array(docId, { maxLength: 3 }),
  licenses: fc.array(license, { maxLength: 3 }),
}, { requiredKeys: [] });
/** A request; with `bad`, its context fields are rarely malformed (see contextOf). */
const requestOf = (id, bad) => fc.tuple(id, contextOf(bad), fc.option(extras, { nil: undefined, freq: 2 }))
  .map(([entityId, ctx, more]) => ({ entityId, ...ctx, ...more }));
const request = requestOf(requestId, 4);
/** Mostly well-formed requests, for batches (one malformed request fails a whole batch). */
/** (Untyped ids are INVALID_ENTITY_ID under claim rules: mostly typed ones in batches.) */
const typedId = docId.filter((id) => /^(movie|episode|channel)[-_]/.test(id));
const batchRequest = requestOf(fc.oneof(
  { weight: 40, arbitrary: typedId },
  { weight: 1, arbitrary: fc.oneof(docId, fc.constantFrom(...BLANK_IDS, 'movie-\ud800')) },
), 0.3);

/** A document, often listing some of `ids` (so that allowed_content does not deny most). */
const documentFor = (ids) => fc.tuple(document, fc.subarray(ids.filter((id) => id.isWellFormed())))
  .map(([doc, listed]) => (doc.allowed_content === undefined || listed.length === 0 ? doc
    : { ...doc, allowed_content: [...doc.allowed_content, ...listed] }));

// ---- helpers -----------------------------------------------------------------------------

/** A decision, or the error's code and message (any throw without a string `code` fails). */
function attempt(f) {
  try {
    return { ok: f() };
  } catch (error) {
    if (!(error instanceof Error) || typeof error.code !== 'string') throw error;
    return { error: error.code, message: error.message };
  }
}

/** `f` with a fresh policy and document handle, freed afterwards. */
function withHandles(policyJson, doc, f) {
  const p = Policy.fromJson(policyJson);
  const ent = Entitlement.fromBlob(JSON.stringify(doc));
  try {
    return f(p, ent);
  } finally {
    ent.free();
    p.free();
  }
}

const show = (value) => JSON.stringify(value, (_, v) => (typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}...(${v.length})` : v));

/** evaluateMany against evaluate one by one: the same decisions, or the same first error. */
function checkMany(p, ent, requests) {
  const one = requests.map((r) => attempt(() => p.evaluate(ent, r)));
  const many = attempt(() => p.evaluateMany(ent, requests));
  const firstError = one.findIndex((d) => d.error);
  if (firstError >= 0) {
    assert.equal(many.error, one[firstError].error, `evaluateMany throws like requests[${firstError}]: ${show(requests[firstError])}`);
    assert.ok(many.message.startsWith(`requests[${firstError}]`), `the message names requests[${firstError}]: ${many.message}`);
  } else {
    assert.ok(many.ok, `evaluateMany threw ${many.error}: ${many.message}`);
    assert.deepEqual(many.ok, one.map((d) => d.ok));
  }
  return one;
}

// ---- properties --------------------------------------------------------------------------

test('evaluate, evaluateMany (one shared context: the fast path) and evaluateCatalog agree', (t) => {
  t.diagnostic(`seed ${params(1).seed}`);
  let allowed = 0, decided = 0, failed = 0;
  // The document depends on the ids (listing some of them): chained arbitraries.
  const arb = fc.tuple(policy, fc.array(requestId, { minLength: 1, maxLength: 40 }), context)
    .chain(([pol, ids, ctx]) => documentFor(ids).map((doc) => [pol, doc, ids, ctx]));
  fc.assert(fc.property(arb, ([pol, doc, ids, ctx]) => withHandles(pol, doc, (p, ent) => {
    const requests = ids.map((entityId) => ({ entityId, ...ctx }));
    const one = checkMany(p, ent, requests);
    const page = attempt(() => p.evaluateCatalog(ent, ids, ctx));
    // A page holding text that is not well-formed (a lone surrogate) is refused as a whole, as
    // evaluate refuses each such id: UTF-8 cannot carry it.
    if (ids.some((id) => !id.isWellFormed())) {
      assert.equal(page.error, 'INVALID_REQUEST', 'a page with a lone surrogate');
      failed++;
      return;
    }
    const firstError = one.findIndex((d) => d.error);
    if (firstError >= 0) {
      failed++;
      assert.equal(page.error, one[firstError].error, `evaluateCatalog throws like evaluate(${show(requests[firstError])})`);
      return;
    }
    assert.ok(page.ok, `evaluateCatalog threw ${page.error}: ${page.message}`);
    assert.equal(page.ok.length, ids.length);
    for (let i = 0; i < ids.length; i++) {
      const d = one[i].ok;
      const where = `title ${i} ${show(ids[i])}`;
      assert.equal(page.ok.allowed(i), d.allowed, where);
      assert.equal(page.ok.code(i), d.code, where);
      assert.equal(page.ok.maxQuality(i), d.maxQuality, where);
      decided++;
      if (d.allowed) allowed++;
    }
    assert.deepEqual(page.ok.allowedIds(), ids.filter((_, i) => one[i].ok.allowed));
    // The same page again (the buffer keeps it), and at another instant.
    if (typeof ctx.now === 'number') {
      const again = p.evaluateCatalog(ent, ids, ctx);
      assert.deepEqual([...again.bytes], [...page.ok.bytes], 'the same page decided again');
    }
  })), params(1, 1000));
  t.diagnostic(`${decided} titles decided (${allowed} allowed), ${failed} pages failing as a whole`);
  assert.ok(allowed > 0 && allowed < decided, 'the pages mix allowed and denied titles');
});

test('evaluate and evaluateMany agree on batches that do not share a context', (t) => {
  t.diagnostic(`seed ${params(2).seed}`);
  let batches = 0, failing = 0;
  const arb = fc.tuple(policy, fc.array(batchRequest, { maxLength: 20 }))
    .chain(([pol, requests]) => documentFor(requests.map((r) => r.entityId)).map((doc) => [pol, doc, requests]));
  fc.assert(fc.property(arb, ([pol, doc, requests]) => withHandles(pol, doc, (p, ent) => {
    const one = checkMany(p, ent, requests);
    batches++;
    if (one.some((d) => d.error)) failing++;
    // Every request on its own as a batch of one, and twice (a shared context of two).
    const i = requests.length > 0 ? batches % requests.length : -1;
    if (i >= 0) checkMany(p, ent, [requests[i], requests[i]]);
  })), params(2, 800));
  t.diagnostic(`${batches} batches, ${failing} failing as a whole`);
  assert.ok(failing > 0 && failing < batches, 'some batches fail, most do not');
});

test('validUntil is honest through the package', (t) => {
  t.diagnostic(`seed ${params(3).seed}`);
  let withUntil = 0, total = 0;
  const arb = fc.tuple(policy, request, nowMs)
    .chain(([pol, r, now]) => documentFor([r.entityId]).map((doc) => [pol, doc, r, now]));
  const samples = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 });
  fc.assert(fc.property(arb, samples, ([pol, doc, r0, now], fractions) => withHandles(pol, doc, (p, ent) => {
    const r = { ...r0, now };
    const first = attempt(() => p.evaluate(ent, r));
    if (first.error) {
      // An error is not a decision; it does not depend on the time either.
      assert.equal(attempt(() => p.evaluate(ent, { ...r, now: now + DAY })).error, first.error);
      return;
    }
    total++;
    const until = first.ok.validUntil;
    if (until !== null) {
      withUntil++;
      assert.ok(until > now, `validUntil ${until} is after now ${now}`);
    }
    const end = until ?? MAX_MS + 1;
    const instants = [now + 1, end - 1, now + Math.floor((end - now) / 2), ...fractions.map((f) => now + Math.floor((end - now) * f))];
    if (until === null) instants.push(now + HOUR, now + 400 * DAY, MAX_MS);
    // Forwards, backwards, and at `now` again: the document's memoised contexts must follow.
    for (const at of [...instants, ...instants.slice().reverse(), now]) {
      if (at < now || at >= end) continue;
      const again = attempt(() => p.evaluate(ent, { ...r, now: at }));
      assert.deepEqual(again, first, `decided at ${now} (validUntil ${until}), then at ${at}: ${show(r)} ${show(doc)}`);
    }
    // The same through a batch of one and a catalog page, at the last instant before the end.
    if (r.entityType == null && r.ancestors == null && r.licenses == null && end - 1 >= now) {
      const at = Math.min(end - 1, MAX_MS);
      const page = attempt(() => p.evaluateCatalog(ent, [r.entityId], { ...r, now: at }));
      if (page.ok) {
        assert.equal(page.ok.allowed(0), first.ok.allowed);
        assert.equal(page.ok.code(0), first.ok.code);
        assert.equal(page.ok.maxQuality(0), first.ok.maxQuality);
      }
    }
  })), params(3, 1500));
  t.diagnostic(`${total} decisions, ${withUntil} with a validUntil`);
  assert.ok(withUntil > 0 && withUntil < total);
});

test('one document decided under several policies and contexts in turn decides like a fresh one', (t) => {
  t.diagnostic(`seed ${params(4).seed}`);
  // The document memoises its resolution (by policy) and its last contexts: interleave them.
  const arb = fc.tuple(fc.array(policy, { minLength: 2, maxLength: 3 }), fc.array(request, { minLength: 1, maxLength: 12 }))
    .chain(([pols, requests]) => fc.tuple(
      documentFor(requests.map((r) => r.entityId)),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 24 }),
    ).map(([doc, steps]) => [pols, requests, doc, steps]));
  fc.assert(fc.property(arb, ([pols, requests, doc, steps]) => {
    const policies = pols.map((pj) => Policy.fromJson(pj));
    const ent = Entitlement.fromBlob(JSON.stringify(doc));
    try {
      for (const [pi, ri] of steps) {
        const pol = pols[pi % pols.length];
        const r = requests[ri % requests.length];
        const kept = attempt(() => policies[pi % pols.length].evaluate(ent, r));
        const fresh = withHandles(pol, doc, (p, e) => attempt(() => p.evaluate(e, r)));
        if (fresh.error) assert.equal(kept.error, fresh.error, show(r));
        else assert.deepEqual(kept, fresh, `${show(r)} under ${show(pol)}`);
      }
    } finally {
      ent.free();
      for (const p of policies) p.free();
    }
  }), params(4, 500));
});

test('ids the joined catalog form cannot carry: evaluateCatalog agrees with evaluate', () => {
  // The page crosses as ids.join('\0'): an id with a NUL cuts into other "ids" (empty, or
  // untyped), and the form it falls back to carries each id's length (a u16 once capped an id at
  // 21845 UTF-16 units). evaluate takes any of them; the catalog must answer alike, title by title.
  const cases = [
    [{}, ['movie-\0', 'movie-1']],
    [{}, ['movie-1', '\0movie-2']],
    [{ claims: ['ENTITY_TYPE_MOVIES'] }, ['movie-1\0x', 'movie-2']],
    [{ allowed_content: ['movie-1\0movie-2'] }, ['movie-1\0movie-2', 'movie-3']],
    [{}, ['x'.repeat(21846)]],
    [{}, ['movie-' + '😀'.repeat(10920)]],
  ];
  const failures = [];
  for (const [doc, ids] of cases) {
    withHandles({}, doc, (p, ent) => {
      const one = ids.map((entityId) => attempt(() => p.evaluate(ent, { entityId, now: BASE })));
      const page = attempt(() => p.evaluateCatalog(ent, ids, { now: BASE }));
      const firstError = one.findIndex((d) => d.error);
      const label = `${show(ids)} (document ${show(doc)})`;
      if (firstError >= 0) {
        if (page.error !== one[firstError].error) failures.push(`${label}: evaluate throws ${one[firstError].error}, evaluateCatalog ${page.error ?? 'decides'}`);
      } else if (page.error) {
        failures.push(`${label}: evaluate decides (${one.map((d) => d.ok.code ?? 'allowed').join(', ')}), evaluateCatalog throws ${page.error}: ${page.message}`);
      } else {
        ids.forEach((id, i) => {
          if (page.ok.allowed(i) !== one[i].ok.allowed || page.ok.code(i) !== one[i].ok.code) failures.push(`${label}: title ${i} differs`);
        });
      }
    });
  }
  assert.deepEqual(failures, []);
});
