// Two hand-written JS implementations of playgate's decision rules (docs: decision-rules.md),
// used by bench.mjs as baselines. Both return the same 7-field decision object as playgate,
// `{allowed, code, reasons, claims, maxQuality, allowPersistence, validUntil}`, with the fields in
// the same order (same object shape), and bench.mjs checks that all three agree before timing.
//
// Covered: valid_from / valid_until (RFC 3339 text or epoch ms), region (string or list),
// device_restriction (string or list, "none" lifts it), allowed_content with ancestors,
// max_quality, subscription_level tiers (plan, claims, maxQuality), `plan`, `claims`,
// `subscriptions`, request licenses, entity types from id prefixes, persistence, validUntil.
// Not covered: the dictionary (cache record) form of documents, and the full input validation
// playgate does (both baselines assume well-formed documents and requests, and check only what
// changes an answer: an empty entity id, a country that is not two letters, an underivable type).
//
// 1. straightforwardEvaluate(policyJson, docJson, request): works on the raw parsed JSON each
//    call (Date.parse per call, Array.includes/find, string compares): what a player team writes
//    in an afternoon.
// 2. compileTuned(policyJson, docJson).evaluate(request): works on data pre-parsed once per
//    document (Sets, epoch numbers, claim bit sets, precomputed caps); `.catalog(ids, context)`
//    decides a page of titles sharing one context into one byte per title, in the same encoding
//    as playgate's evaluateCatalog (low 4 bits: 0 allowed, else 1 + code index; high 4 bits:
//    max quality rank).
// 3. compileScope(scopeJson).allows(operation, cache, key) / .allowsTopic(operation, cache, topic):
//    a hand-written Momento permission-scope checker (docs: src/token/momento/scope/mod.rs), pre-parsed once per
//    scope: a Map from operation name to class, one flat record per permission, `===` for
//    caches, keys and topic names, `startsWith` for prefixes.

export const CODES = Object.freeze([
  'ENTITLEMENT_NOT_YET_VALID', 'ENTITLEMENT_EXPIRED', 'COUNTRY_UNKNOWN', 'LICENSE_NOT_FOUND',
  'LICENSE_IS_NOT_VALID', 'CONTENT_NOT_ALLOWED', 'SUBSCRIPTION_NOT_ACTIVE', 'NO_CLAIMS',
  'ENTITY_TYPE_NOT_ALLOWED', 'PERSISTENCE_NOT_ALLOWED', 'COUNTRY_NOT_ALLOWED', 'DEVICE_NOT_ALLOWED',
]);
const QUALITY_NAMES = [null, 'SD', 'HD', 'UHD1', 'UHD2'];
const TYPE_CLAIMS = { movie: 'ENTITY_TYPE_MOVIES', episode: 'ENTITY_TYPE_EPISODES', channel: 'ENTITY_TYPE_CHANNELS' };
const QUALITY_CLAIM_NAMES = [null, 'QUALITY_SD', 'QUALITY_HD', 'QUALITY_UHD1', 'QUALITY_UHD2'];
// ISO 3166-1 alpha-2 codes plus XX: a COUNTRY_ claim outside this list is not a claim.
const ASSIGNED = new Set(('AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM ' +
  'BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM ' +
  'DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW ' +
  'GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA ' +
  'LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ ' +
  'NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR ' +
  'TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XX').split(' '));

function fail(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

function typeFromId(id) {
  for (const type of ['movie', 'episode', 'channel']) {
    if (id.startsWith(type + '-') || id.startsWith(type + '_')) return type;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// 1. Straightforward JS: everything from the raw JSON, every call.
// ---------------------------------------------------------------------------------------------

function toTime(value) {
  return typeof value === 'number' ? value : Date.parse(value);
}

function isClaim(name) {
  if (name === 'ENTITY_TYPE_MOVIES' || name === 'ENTITY_TYPE_EPISODES' || name === 'ENTITY_TYPE_CHANNELS'
    || name === 'ENABLE_VIDEOS_DOWNLOAD') return true;
  if (name.startsWith('QUALITY_')) return QUALITY_NAMES.includes(name.slice(8));
  if (name.startsWith('COUNTRY_')) return ASSIGNED.has(name.slice(8));
  return false;
}

function planClaims(policy, planId) {
  const plan = (policy.plans || []).find((p) => p.id === planId);
  if (!plan) return [];
  const claims = [];
  for (const key of plan.claimSetKeys) {
    const set = (policy.claimSets || []).find((s) => s.key === key);
    if (set) claims.push(...set.claims);
  }
  return claims;
}

export function straightforwardEvaluate(policy, doc, request) {
  const id = request.entityId;
  if (typeof id !== 'string' || id.trim() === '') throw fail('INVALID_REQUEST', 'entityId: expected a non-empty string');
  const country = request.country == null ? null : request.country.toUpperCase();
  if (country !== null && !/^[A-Z]{2}$/.test(country)) throw fail('INVALID_REQUEST', 'country: not a two-letter code');
  const device = request.device == null ? null : request.device.toLowerCase();
  const now = request.now == null ? Date.now() : request.now;
  const persist = request.allowPersistence === true;
  const type = request.entityType != null ? request.entityType : typeFromId(id);
  const isChannel = type === 'channel';

  // Claims in effect.
  const tier = doc.subscription_level != null && policy.tiers && Object.hasOwn(policy.tiers, doc.subscription_level)
    ? policy.tiers[doc.subscription_level] : null;
  const claims = [];
  if (doc.claims != null) claims.push(...doc.claims.filter(isClaim));
  if (doc.plan != null) claims.push(...planClaims(policy, doc.plan));
  if (tier) {
    if (tier.claims != null) claims.push(...tier.claims);
    if (tier.plan != null) claims.push(...planClaims(policy, tier.plan));
  }
  let next = null; // validUntil
  const consider = (t) => { if (t > now && (next === null || t < next)) next = t; };
  const validFrom = doc.valid_from == null ? null : toTime(doc.valid_from);
  const validUntil = doc.valid_until == null ? null : toTime(doc.valid_until);
  if (validFrom !== null) consider(validFrom);
  if (validUntil !== null) consider(validUntil);
  let anyActive = false;
  if (doc.subscriptions != null) {
    for (const sub of doc.subscriptions) {
      const counts = ['ACTIVE', 'CANCELLED', 'ON_HOLD'].includes(sub.status.toUpperCase());
      const end = toTime(sub.period_end);
      if (counts) consider(end);
      if (!anyActive && counts && now < end) {
        anyActive = true;
        claims.push(...planClaims(policy, sub.plan));
      }
    }
  }
  const claimRules = doc.claims != null || doc.plan != null || doc.subscriptions != null
    || (tier != null && (tier.plan != null || tier.claims != null));
  if (claimRules && type === null) throw fail('INVALID_ENTITY_ID', `entityId: ${JSON.stringify(id)} has no type`);
  const countryClaims = claims.some((c) => c.startsWith('COUNTRY_'));
  const region = doc.region == null ? null : Array.isArray(doc.region) ? doc.region : [doc.region];
  const licenses = isChannel || request.licenses == null ? null : request.licenses;

  // The checks, in order.
  const reasons = [];
  if (validFrom !== null && now < validFrom) reasons.push('ENTITLEMENT_NOT_YET_VALID');
  if (validUntil !== null && now >= validUntil) reasons.push('ENTITLEMENT_EXPIRED');
  const licensesNeedCountry = licenses !== null && licenses.some((l) => l.countries != null && l.countries.length > 0);
  if (country === null && (region !== null || countryClaims || licensesNeedCountry)) reasons.push('COUNTRY_UNKNOWN');
  if (licenses !== null) {
    const counts = (l) => (l.countries != null && l.countries.length > 0) || l.start != null || l.end != null;
    const covers = (l) => l.countries == null || l.countries.length === 0
      || (country !== null && l.countries.some((c) => c.toUpperCase() === country));
    if (licenses.length === 0) {
      reasons.push('LICENSE_NOT_FOUND');
    } else if (!licenses.some((l) => counts(l) && covers(l)
      && (l.start == null || now >= toTime(l.start)) && (l.end == null || now < toTime(l.end)))) {
      reasons.push('LICENSE_IS_NOT_VALID');
    }
    for (const l of licenses) {
      if (counts(l) && covers(l)) {
        if (l.start != null) consider(toTime(l.start));
        if (l.end != null) consider(toTime(l.end));
      }
    }
  }
  if (doc.allowed_content != null && !doc.allowed_content.includes(id)
    && !(request.ancestors || []).some((a) => doc.allowed_content.includes(a))) {
    reasons.push('CONTENT_NOT_ALLOWED');
  }
  if (doc.subscriptions != null && !anyActive) reasons.push('SUBSCRIPTION_NOT_ACTIVE');
  if (claimRules && claims.length === 0) reasons.push('NO_CLAIMS');
  const typeClaim = type === null ? null : TYPE_CLAIMS[type];
  const typeHeld = typeClaim !== null && claims.includes(typeClaim);
  if (claimRules && !typeHeld) reasons.push('ENTITY_TYPE_NOT_ALLOWED');
  const download = persist && !isChannel && claims.includes('ENABLE_VIDEOS_DOWNLOAD');
  if (persist && !isChannel && !download) reasons.push('PERSISTENCE_NOT_ALLOWED');
  const countryAllowed = country === null
    ? !countryClaims && region === null
    : (!countryClaims || claims.includes('COUNTRY_' + country))
      && (region === null || region.some((r) => r.toUpperCase() === country));
  if (!countryAllowed) reasons.push('COUNTRY_NOT_ALLOWED');
  if (doc.device_restriction != null) {
    const classes = Array.isArray(doc.device_restriction) ? doc.device_restriction : [doc.device_restriction];
    const lifted = classes.some((d) => d.toLowerCase() === 'none');
    if (!lifted && (device === null || !classes.some((d) => d.toLowerCase() === device))) reasons.push('DEVICE_NOT_ALLOWED');
  }

  if (reasons.length > 0) {
    return {
      allowed: false, code: reasons[0], reasons, claims: [],
      maxQuality: null, allowPersistence: false, validUntil: next,
    };
  }
  let best = 0;
  for (const c of claims) {
    if (c.startsWith('QUALITY_')) best = Math.max(best, QUALITY_NAMES.indexOf(c.slice(8)));
  }
  const granted = [];
  if (typeHeld) granted.push(typeClaim);
  if (countryClaims) granted.push('COUNTRY_' + country);
  if (download) granted.push('ENABLE_VIDEOS_DOWNLOAD');
  if (best > 0) granted.push('QUALITY_' + QUALITY_NAMES[best]);
  let cap = best;
  for (const q of [tier && tier.maxQuality, doc.max_quality]) {
    if (q != null) {
      const rank = QUALITY_NAMES.indexOf(q);
      if (cap === 0 || rank < cap) cap = rank;
    }
  }
  return {
    allowed: true, code: null, reasons: [], claims: granted,
    maxQuality: cap === 0 ? null : QUALITY_NAMES[cap], allowPersistence: download, validUntil: next,
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Tuned JS: parse once per document, then decide on numbers, Sets and bit flags.
// ---------------------------------------------------------------------------------------------

const MOVIE = 1, EPISODE = 2, CHANNEL = 3;
const TYPE_FLAG = [0, 1, 2, 4];
const DOWNLOAD = 8;
const TYPE_NAMES = { movie: MOVIE, episode: EPISODE, channel: CHANNEL };
const TYPE_CLAIM_BY_RANK = [null, 'ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES', 'ENTITY_TYPE_CHANNELS'];
const EMPTY_SET = new Set();

/** A claim set: type + download flags, a quality bit mask, a Set of country codes. */
function claimSet(names) {
  const set = { flags: 0, qualities: 0, countries: new Set() };
  for (const name of names || []) {
    if (!isClaim(name)) continue;
    if (name === 'ENABLE_VIDEOS_DOWNLOAD') set.flags |= DOWNLOAD;
    else if (name.startsWith('ENTITY_TYPE_')) set.flags |= TYPE_FLAG[TYPE_CLAIM_BY_RANK.indexOf(name)];
    else if (name.startsWith('QUALITY_')) set.qualities |= 1 << QUALITY_NAMES.indexOf(name.slice(8));
    else set.countries.add(name.slice(8));
  }
  return set;
}

function union(a, b) {
  return { flags: a.flags | b.flags, qualities: a.qualities | b.qualities, countries: new Set([...a.countries, ...b.countries]) };
}

function lowestCap(a, b) {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** What a claim set means for decisions, precomputed. */
function effective(set, tierCap, docCap) {
  const best = set.qualities === 0 ? 0 : 31 - Math.clz32(set.qualities);
  return {
    empty: set.flags === 0 && set.qualities === 0 && set.countries.size === 0,
    flags: set.flags,
    download: (set.flags & DOWNLOAD) !== 0,
    countries: set.countries,
    hasCountries: set.countries.size > 0,
    qualityClaim: QUALITY_CLAIM_NAMES[best],
    cap: lowestCap(lowestCap(best, tierCap), docCap),
  };
}

function rankOf(quality) {
  return quality == null ? 0 : QUALITY_NAMES.indexOf(quality);
}

function typeRankFromId(id) {
  const c = id.charCodeAt(0);
  let n;
  if (c === 109 && id.startsWith('movie')) n = 5;
  else if (c === 101 && id.startsWith('episode')) n = 7;
  else if (c === 99 && id.startsWith('channel')) n = 7;
  else return 0;
  const sep = id.charCodeAt(n);
  if (sep !== 45 && sep !== 95) return 0;
  return n === 5 ? MOVIE : c === 101 ? EPISODE : CHANNEL;
}

function upperCountry(country) {
  if (country == null) return null;
  if (country.length === 2) { // already upper-case: no new string
    const a = country.charCodeAt(0), b = country.charCodeAt(1);
    if (a >= 65 && a <= 90 && b >= 65 && b <= 90) return country;
  }
  const cc = country.toUpperCase();
  if (cc.length !== 2 || cc.charCodeAt(0) < 65 || cc.charCodeAt(0) > 90 || cc.charCodeAt(1) < 65 || cc.charCodeAt(1) > 90) {
    throw fail('INVALID_REQUEST', 'country: not a two-letter code');
  }
  return cc;
}

/** Pre-parses a policy: plans and tiers as claim sets. */
export function compileTunedPolicy(policy) {
  const sets = new Map();
  for (const cs of policy.claimSets || []) sets.set(cs.key, claimSet(cs.claims));
  const plans = new Map();
  for (const plan of policy.plans || []) {
    let set = claimSet([]);
    for (const key of plan.claimSetKeys) if (sets.has(key)) set = union(set, sets.get(key));
    plans.set(plan.id, set);
  }
  const tiers = new Map();
  for (const [name, tier] of Object.entries(policy.tiers || {})) {
    let set = claimSet(tier.claims);
    if (tier.plan != null && plans.has(tier.plan)) set = union(set, plans.get(tier.plan));
    tiers.set(name, { claims: set, definesClaims: tier.plan != null || tier.claims != null, cap: rankOf(tier.maxQuality) });
  }
  return { plans, tiers };
}

class TunedDocument {
  constructor(policy, doc) {
    const tier = doc.subscription_level != null ? policy.tiers.get(doc.subscription_level) ?? null : null;
    let fixed = claimSet(doc.claims);
    if (doc.plan != null && policy.plans.has(doc.plan)) fixed = union(fixed, policy.plans.get(doc.plan));
    if (tier) fixed = union(fixed, tier.claims);
    const tierCap = tier ? tier.cap : 0;
    const docCap = rankOf(doc.max_quality);
    this.claimRules = doc.claims != null || doc.plan != null || doc.subscriptions != null || (tier != null && tier.definesClaims);
    this.fixed = effective(fixed, tierCap, docCap);
    this.validFrom = doc.valid_from == null ? -Infinity : toTime(doc.valid_from);
    this.validUntil = doc.valid_until == null ? Infinity : toTime(doc.valid_until);
    const instants = [];
    if (doc.valid_from != null) instants.push(this.validFrom);
    if (doc.valid_until != null) instants.push(this.validUntil);
    this.subscriptions = null;
    if (doc.subscriptions != null) {
      this.subscriptions = doc.subscriptions.map((sub) => {
        const counts = ['ACTIVE', 'CANCELLED', 'ON_HOLD'].includes(sub.status.toUpperCase());
        const end = toTime(sub.period_end);
        if (counts) instants.push(end);
        const plan = policy.plans.get(sub.plan);
        return { counts, end, claims: effective(plan ? union(fixed, plan) : fixed, tierCap, docCap) };
      });
    }
    this.instants = instants.sort((a, b) => a - b); // the static part of validUntil
    const region = doc.region == null ? null : Array.isArray(doc.region) ? doc.region : [doc.region];
    this.region = region === null ? null : new Set(region.map((r) => r.toUpperCase()));
    const devices = doc.device_restriction == null ? null
      : Array.isArray(doc.device_restriction) ? doc.device_restriction : [doc.device_restriction];
    this.anyDevice = devices === null || devices.some((d) => d.toLowerCase() === 'none');
    this.devices = this.anyDevice ? EMPTY_SET : new Set(devices.map((d) => d.toLowerCase()));
    this.allowed = doc.allowed_content == null ? null : new Set(doc.allowed_content);
  }

  /** Whether a device class may play (classes are stored lower-case; most requests are too). */
  deviceAllowed(device) {
    return device != null && (this.devices.has(device) || this.devices.has(device.toLowerCase()));
  }

  /** The first static instant after `now` (or null). */
  nextInstant(now) {
    const instants = this.instants;
    for (let i = 0; i < instants.length; i++) if (instants[i] > now) return instants[i];
    return null;
  }

  /** The claims in effect at `now` and whether a subscription is active. */
  claimsAt(now) {
    const subs = this.subscriptions;
    if (subs !== null) {
      for (let i = 0; i < subs.length; i++) {
        if (subs[i].counts && now < subs[i].end) return subs[i].claims;
      }
    }
    return this.fixed;
  }

  evaluate(request) {
    const id = request.entityId;
    if (typeof id !== 'string' || id.length === 0 || (id.charCodeAt(0) <= 32 && id.trim() === '')) {
      throw fail('INVALID_REQUEST', 'entityId: expected a non-empty string');
    }
    const country = upperCountry(request.country);
    const now = request.now == null ? Date.now() : request.now;
    const persist = request.allowPersistence === true;
    const type = request.entityType != null ? TYPE_NAMES[request.entityType] : typeRankFromId(id);
    if (this.claimRules && type === 0) throw fail('INVALID_ENTITY_ID', `entityId: ${JSON.stringify(id)} has no type`);
    const isChannel = type === CHANNEL;
    const claims = this.claimsAt(now);
    let next = this.nextInstant(now);
    const licenses = isChannel || request.licenses == null ? null : request.licenses;

    const reasons = [];
    if (now < this.validFrom) reasons.push('ENTITLEMENT_NOT_YET_VALID');
    if (now >= this.validUntil) reasons.push('ENTITLEMENT_EXPIRED');
    let countryUnknown = country === null && (this.region !== null || claims.hasCountries);
    let licenseReason = null;
    if (licenses !== null) {
      let any = false;
      for (let i = 0; i < licenses.length; i++) {
        const l = licenses[i];
        const cs = l.countries;
        const restricted = cs != null && cs.length > 0;
        if (restricted && country === null) countryUnknown = true;
        if (!(restricted || l.start != null || l.end != null)) continue; // does not count
        if (restricted && (country === null || !cs.some((c) => c.toUpperCase() === country))) continue; // not covered
        const start = l.start == null ? null : toTime(l.start);
        const end = l.end == null ? null : toTime(l.end);
        if ((start === null || now >= start) && (end === null || now < end)) any = true;
        if (start !== null && start > now && (next === null || start < next)) next = start;
        if (end !== null && end > now && (next === null || end < next)) next = end;
      }
      if (licenses.length === 0) licenseReason = 'LICENSE_NOT_FOUND';
      else if (!any) licenseReason = 'LICENSE_IS_NOT_VALID';
    }
    if (countryUnknown) reasons.push('COUNTRY_UNKNOWN');
    if (licenseReason !== null) reasons.push(licenseReason);
    const allowed = this.allowed;
    if (allowed !== null && !allowed.has(id)) {
      const ancestors = request.ancestors;
      let listed = false;
      if (ancestors != null) for (let i = 0; i < ancestors.length && !listed; i++) listed = allowed.has(ancestors[i]);
      if (!listed) reasons.push('CONTENT_NOT_ALLOWED');
    }
    if (this.subscriptions !== null && claims === this.fixed) reasons.push('SUBSCRIPTION_NOT_ACTIVE');
    const typeHeld = type !== 0 && (claims.flags & TYPE_FLAG[type]) !== 0;
    if (this.claimRules) {
      if (claims.empty) reasons.push('NO_CLAIMS');
      if (!typeHeld) reasons.push('ENTITY_TYPE_NOT_ALLOWED');
    }
    const download = persist && !isChannel && claims.download;
    if (persist && !isChannel && !download) reasons.push('PERSISTENCE_NOT_ALLOWED');
    const region = this.region;
    if (country === null
      ? claims.hasCountries || region !== null
      : (claims.hasCountries && !claims.countries.has(country)) || (region !== null && !region.has(country))) {
      reasons.push('COUNTRY_NOT_ALLOWED');
    }
    if (!this.anyDevice && !this.deviceAllowed(request.device)) reasons.push('DEVICE_NOT_ALLOWED');

    if (reasons.length > 0) {
      return {
        allowed: false, code: reasons[0], reasons, claims: [],
        maxQuality: null, allowPersistence: false, validUntil: next,
      };
    }
    const granted = [];
    if (typeHeld) granted.push(TYPE_CLAIM_BY_RANK[type]);
    if (claims.hasCountries) granted.push('COUNTRY_' + country);
    if (download) granted.push('ENABLE_VIDEOS_DOWNLOAD');
    if (claims.qualityClaim !== null) granted.push(claims.qualityClaim);
    return {
      allowed: true, code: null, reasons: [], claims: granted,
      maxQuality: QUALITY_NAMES[claims.cap], allowPersistence: download, validUntil: next,
    };
  }

  /**
   * Decides a page of entity ids sharing one context ({country, device, now, allowPersistence}):
   * the entity-independent checks once, then per title the content, type and persistence checks.
   * One byte per title, playgate's evaluateCatalog encoding.
   */
  catalog(ids, context = {}) {
    const country = upperCountry(context.country);
    const now = context.now == null ? Date.now() : context.now;
    const persist = context.allowPersistence === true;
    const claims = this.claimsAt(now);
    const region = this.region;
    // Entity-independent reasons as bits (bit i = CODES[i]).
    let base = 0;
    if (now < this.validFrom) base |= 1 << 0;
    if (now >= this.validUntil) base |= 1 << 1;
    if (country === null && (region !== null || claims.hasCountries)) base |= 1 << 2;
    if (this.subscriptions !== null && claims === this.fixed) base |= 1 << 6;
    if (this.claimRules && claims.empty) base |= 1 << 7;
    if (country === null
      ? claims.hasCountries || region !== null
      : (claims.hasCountries && !claims.countries.has(country)) || (region !== null && !region.has(country))) {
      base |= 1 << 10;
    }
    if (!this.anyDevice && !this.deviceAllowed(context.device)) base |= 1 << 11;
    const allowed = this.allowed;
    const claimRules = this.claimRules;
    const flags = claims.flags;
    const persistFails = persist && !claims.download;
    const allowedByte = claims.cap << 4;
    const out = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const type = typeRankFromId(id);
      if (claimRules && type === 0) throw fail('INVALID_ENTITY_ID', `entityIds[${i}]: ${JSON.stringify(id)} has no type`);
      let bits = base;
      if (allowed !== null && !allowed.has(id)) bits |= 1 << 5;
      if (claimRules && (type === 0 || (flags & TYPE_FLAG[type]) === 0)) bits |= 1 << 8;
      if (persistFails && type !== CHANNEL) bits |= 1 << 9;
      out[i] = bits === 0 ? allowedByte : 32 - Math.clz32(bits & -bits);
    }
    return out;
  }
}

/** Pre-parses one document (JSON object) under a policy (JSON object or compileTunedPolicy()). */
export function compileTuned(policy, doc) {
  const compiled = policy instanceof Object && policy.plans instanceof Map ? policy : compileTunedPolicy(policy);
  return new TunedDocument(compiled, doc);
}

// ---------------------------------------------------------------------------------------------
// 3. Momento permission scopes: a hand-written checker, pre-parsed once per scope.
// ---------------------------------------------------------------------------------------------

// Operation classes as bits; a role is the set of classes it permits.
const READ = 1, WRITE = 2, READ_WRITE = 4, PUBLISH = 8, SUBSCRIBE = 16;

// The operation table, copied from OPERATIONS in src/token/momento/scope/mod.rs (same names, same order, same
// classes; keep the two in sync). An operation not listed is denied.
const OPERATION_TABLE = [
  ['get', READ], ['getBatch', READ], ['keyExists', READ], ['keysExist', READ], ['itemGetType', READ],
  ['itemGetTtl', READ], ['dictionaryFetch', READ], ['dictionaryGetField', READ],
  ['dictionaryGetFields', READ], ['dictionaryLength', READ], ['setFetch', READ],
  ['setContainsElement', READ], ['setContainsElements', READ], ['setLength', READ], ['setSample', READ],
  ['listFetch', READ], ['listLength', READ], ['sortedSetFetchByRank', READ],
  ['sortedSetFetchByScore', READ], ['sortedSetGetRank', READ], ['sortedSetGetScore', READ],
  ['sortedSetGetScores', READ], ['sortedSetLength', READ], ['sortedSetLengthByScore', READ],
  ['set', WRITE], ['delete', WRITE], ['setBatch', WRITE], ['dictionarySetField', WRITE],
  ['dictionarySetFields', WRITE], ['dictionaryRemoveField', WRITE], ['dictionaryRemoveFields', WRITE],
  ['setAddElement', WRITE], ['setAddElements', WRITE], ['setRemoveElement', WRITE],
  ['setRemoveElements', WRITE], ['sortedSetPutElement', WRITE], ['sortedSetPutElements', WRITE],
  ['sortedSetRemoveElement', WRITE], ['sortedSetRemoveElements', WRITE],
  ['sortedSetIncrementScore', WRITE], ['listPopFront', WRITE],
  ['setIfNotExists', READ_WRITE], ['setIfAbsent', READ_WRITE], ['setIfPresent', READ_WRITE],
  ['setIfEqual', READ_WRITE], ['setIfNotEqual', READ_WRITE], ['setIfPresentAndNotEqual', READ_WRITE],
  ['setIfAbsentOrEqual', READ_WRITE], ['increment', READ_WRITE], ['increaseTtl', READ_WRITE],
  ['decreaseTtl', READ_WRITE], ['updateTtl', READ_WRITE], ['dictionaryIncrement', READ_WRITE],
  ['listPushBack', READ_WRITE], ['listPushFront', READ_WRITE], ['listConcatenateBack', READ_WRITE],
  ['listConcatenateFront', READ_WRITE], ['listPopBack', READ_WRITE], ['listRemoveValue', READ_WRITE],
  ['listRetain', READ_WRITE], ['setPop', READ_WRITE],
  ['publish', PUBLISH],
  ['subscribe', SUBSCRIBE],
];
/** The operation names of the table, in order (for the bench's cross-check). */
export const SCOPE_OPERATIONS = Object.freeze(OPERATION_TABLE.map(([name]) => name));
const OPERATION_CLASS = new Map(OPERATION_TABLE);
const ROLE_PERMITS = new Map([
  ['readonly', READ], ['writeonly', WRITE], ['readwrite', READ | WRITE | READ_WRITE],
  ['publishonly', PUBLISH], ['subscribeonly', SUBSCRIBE], ['publishsubscribe', PUBLISH | SUBSCRIBE],
]);

/** `"name"`, `{name}`, or `{}` (all caches, or all topics): the name, or null for all. */
function selectorName(selector) {
  return typeof selector === 'string' ? selector : selector.name ?? null;
}

class HandScope {
  constructor(items, topics) {
    this.items = items; // [{permits, cache, key, prefix}]: cache/key/prefix null = not restricted
    this.topics = topics; // [{permits, cache, name, prefix}]
  }

  allows(operation, cache, key) {
    const permitted = OPERATION_CLASS.get(operation);
    if (permitted === undefined) return false;
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const p = items[i];
      if ((p.permits & permitted) !== 0 && (p.cache === null || p.cache === cache)
        && (p.key !== null ? p.key === key : p.prefix === null || key.startsWith(p.prefix))) return true;
    }
    return false;
  }

  allowsTopic(operation, cache, topic) {
    const permitted = OPERATION_CLASS.get(operation);
    if (permitted === undefined) return false;
    const topics = this.topics;
    for (let i = 0; i < topics.length; i++) {
      const p = topics[i];
      if ((p.permits & permitted) !== 0 && (p.cache === null || p.cache === cache)
        && (p.name !== null ? p.name === topic : p.prefix === null || topic.startsWith(p.prefix))) return true;
    }
    return false;
  }
}

/**
 * Pre-parses a scope in the SDK's JSON form ({permissions: [{role, cache, item?|topic?|func?}]},
 * `{}` for "all"). Assumes a scope the service accepts (no validation); function permissions
 * grant nothing here and are dropped.
 */
export function compileScope(scope) {
  const items = [], topics = [];
  for (const p of scope.permissions) {
    if (p.func !== undefined || p.role.startsWith('function')) continue;
    const permits = ROLE_PERMITS.get(p.role) ?? 0;
    const cache = selectorName(p.cache);
    if (p.topic !== undefined) {
      const t = p.topic;
      topics.push({ permits, cache, name: selectorName(t), prefix: typeof t === 'string' ? null : t.namePrefix ?? null });
    } else {
      const it = p.item; // undefined or {} = all items; a string is a key
      items.push({
        permits, cache,
        key: typeof it === 'string' ? it : it?.key ?? null,
        prefix: typeof it === 'string' ? null : it?.keyPrefix ?? null,
      });
    }
  }
  return new HandScope(items, topics);
}
