// playgate's thin JS layer, shared by every entry point (web, node, bundler).
//
// It does three things the wasm-bindgen glue cannot do cheaply or safely:
// 1. checks argument types before they reach wasm (the release glue does not: a number where a
//    string is expected traps inside wasm), turning mistakes into Errors with a stable `code`;
// 2. keeps the request "slot" inside wasm in sync, sending a string only when it changed, so a
//    steady decision crosses the boundary as numbers only;
// 3. builds the decision object from the packed u32 and static string tables.
// The bit layout is Decision::pack in src/decision.rs.

/** Every decision code, in check order (bit i of a packed decision). */
export const DECISION_CODES = Object.freeze([
  'ENTITLEMENT_NOT_YET_VALID', 'ENTITLEMENT_EXPIRED', 'COUNTRY_UNKNOWN', 'LICENSE_NOT_FOUND',
  'LICENSE_IS_NOT_VALID', 'CONTENT_NOT_ALLOWED', 'SUBSCRIPTION_NOT_ACTIVE', 'NO_CLAIMS',
  'ENTITY_TYPE_NOT_ALLOWED', 'PERSISTENCE_NOT_ALLOWED', 'COUNTRY_NOT_ALLOWED', 'DEVICE_NOT_ALLOWED',
]);
const QUALITIES = [null, 'SD', 'HD', 'UHD1', 'UHD2'];
const TYPE_CLAIMS = [null, 'ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES', 'ENTITY_TYPE_CHANNELS'];
const QUALITY_CLAIMS = [null, 'QUALITY_SD', 'QUALITY_HD', 'QUALITY_UHD1', 'QUALITY_UHD2'];
const REASON_MASK = 0xfff;

function fail(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

/** Decisions for a catalog page: one byte per title (see CatalogDecisions in the .d.ts). */
class CatalogDecisions {
  constructor(entityIds, bytes) {
    this.entityIds = entityIds;
    this.bytes = bytes;
    this.length = bytes.length;
  }
  allowed(i) { return (this.bytes[i] & 15) === 0; }
  code(i) { const c = this.bytes[i] & 15; return c === 0 ? null : DECISION_CODES[c - 1]; }
  maxQuality(i) { return QUALITIES[this.bytes[i] >> 4] ?? null; }
  allowedIds() { return this.entityIds.filter((_, i) => (this.bytes[i] & 15) === 0); }
}

/** Adds the public decision API to the generated classes of one wasm-bindgen module. */
export function install(raw) {
  const { Policy, Entitlement } = raw;
  if (Policy.prototype.evaluate) return raw;
  const encoder = new TextEncoder();
  // What the wasm request slot holds now (undefined = unknown; forces the first send).
  let slotEntity, slotCountry, slotDevice, slotExtras = true;

  function checkEntitlement(ent) {
    if (!(ent instanceof Entitlement)) {
      throw fail('INVALID_ENTITLEMENT', 'entitlement: expected an Entitlement (Entitlement.fromBlob or fromDictionary)');
    }
    if (ent.__wbg_ptr === 0) throw fail('INVALID_ENTITLEMENT', 'entitlement: this Entitlement was freed');
  }

  function optionalString(value, name) {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') throw fail('INVALID_REQUEST', `${name}: expected a string`);
    return value;
  }

  function readNow(now) {
    if (now === undefined || now === null) return Date.now();
    if (typeof now === 'number') {
      if (!Number.isFinite(now)) throw fail('INVALID_REQUEST', 'now: expected finite epoch milliseconds');
      return now;
    }
    if (typeof now === 'string') return raw._parseTime(now);
    if (now instanceof Date) {
      const t = now.getTime();
      if (Number.isNaN(t)) throw fail('INVALID_REQUEST', 'now: invalid Date');
      return t;
    }
    throw fail('INVALID_REQUEST', 'now: expected epoch milliseconds, an RFC 3339 string or a Date');
  }

  function readPersistence(value) {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw fail('INVALID_REQUEST', 'allowPersistence: expected a boolean');
    return value;
  }

  function setContext(country, device) {
    country = optionalString(country, 'country');
    device = optionalString(device, 'device');
    if (country !== slotCountry) {
      raw._setCountry(country ?? undefined);
      slotCountry = country;
    }
    if (device !== slotDevice) {
      raw._setDevice(device ?? undefined);
      slotDevice = device;
    }
    return country;
  }

  function build(bits, country) {
    const until = raw._validUntil();
    const validUntil = until === until ? until : null; // NaN = none
    if ((bits & REASON_MASK) === 0) {
      const claims = [];
      const type = (bits >>> 15) & 3;
      if (type !== 0) claims.push(TYPE_CLAIMS[type]);
      if (bits & (1 << 17)) claims.push('COUNTRY_' + country.toUpperCase());
      if (bits & (1 << 18)) claims.push('ENABLE_VIDEOS_DOWNLOAD');
      const quality = (bits >>> 19) & 7;
      if (quality !== 0) claims.push(QUALITY_CLAIMS[quality]);
      return {
        allowed: true, code: null, reasons: [], claims,
        maxQuality: QUALITIES[(bits >>> 12) & 7], allowPersistence: (bits & (1 << 22)) !== 0, validUntil,
      };
    }
    const reasons = [];
    for (let i = 0; i < 12; i++) if (bits & (1 << i)) reasons.push(DECISION_CODES[i]);
    return {
      allowed: false, code: reasons[0], reasons, claims: [],
      maxQuality: null, allowPersistence: false, validUntil,
    };
  }

  function evaluate(policy, ent, request) {
    if (request === null || typeof request !== 'object') throw fail('INVALID_REQUEST', 'request: expected an object');
    const id = request.entityId;
    if (typeof id !== 'string') throw fail('INVALID_REQUEST', 'entityId: expected a non-empty string');
    if (id !== slotEntity) {
      raw._setEntity(id);
      slotEntity = id;
    }
    const country = setContext(request.country, request.device);
    const { entityType, ancestors, licenses } = request;
    if (entityType != null || ancestors != null || licenses != null) {
      // Rare: sent as JSON every time (arrays may have been mutated since the last call).
      raw._setExtras(JSON.stringify({ entityType, ancestors, licenses }));
      slotExtras = true;
    } else if (slotExtras) {
      raw._setExtras(undefined);
      slotExtras = false;
    }
    const bits = policy._evaluate(ent, readNow(request.now), readPersistence(request.allowPersistence));
    return build(bits, country);
  }

  Object.defineProperties(Policy.prototype, {
    evaluate: {
      value(ent, request) {
        checkEntitlement(ent);
        return evaluate(this, ent, request);
      },
    },
    evaluateMany: {
      value(ent, requests) {
        checkEntitlement(ent);
        if (!Array.isArray(requests)) throw fail('INVALID_REQUEST', 'requests: expected an array');
        const decisions = new Array(requests.length);
        for (let i = 0; i < requests.length; i++) {
          try {
            decisions[i] = evaluate(this, ent, requests[i]);
          } catch (error) {
            if (error && typeof error.code === 'string') error.message = `requests[${i}]: ${error.message}`;
            throw error;
          }
        }
        return decisions;
      },
    },
    evaluateCatalog: {
      value(ent, entityIds, context = {}) {
        checkEntitlement(ent);
        if (!Array.isArray(entityIds)) throw fail('INVALID_REQUEST', 'entityIds: expected an array of strings');
        if (context === null || typeof context !== 'object') throw fail('INVALID_REQUEST', 'context: expected an object');
        for (let i = 0; i < entityIds.length; i++) {
          const id = entityIds[i];
          if (typeof id !== 'string' || id.indexOf('\n') !== -1) {
            throw fail('INVALID_REQUEST', `entityIds[${i}]: expected a string without newlines`);
          }
        }
        setContext(context.country, context.device);
        const bytes = this._catalog(
          ent, encoder.encode(entityIds.join('\n')), entityIds.length,
          readNow(context.now), readPersistence(context.allowPersistence),
        );
        return new CatalogDecisions(entityIds, bytes);
      },
    },
  });
  return raw;
}
