// Scopes: the PermissionScope class of one module (`installScopes`) and its token decoder
// (`tokenDecoder`). A check runs the scope's check plan (compiled in wasm when the scope is
// read, src/token/momento/scope/plan.rs) here in JS: a call into wasm costs more than the comparisons.
// Owns the operation table, read once per module, and each scope's source and plan.

import {
  SCOPE_ALLOWS, SCOPE_EXPLAIN, SCOPE_JSON, SCOPE_PROTOBUF, SCOPE_READ, SCOPE_TO_JSON, SCOPE_TOKEN,
} from './abi.mjs';
import { coded, fail, jsonInput } from './checks.mjs';

// What only the scope API passes to the PermissionScope constructor.
const MAKE = Symbol('playgate.makeScope');

// Each module's scope API (keyed by its `_scope`): made once.
const scopeApis = new WeakMap();

/**
 * One module's PermissionScope class, made on first use. Its own function, called by whatever
 * can hand out a scope (the PermissionScope and decodeMomentoToken exports, the cache client,
 * the JWT layer), each through a call marked pure: a bundle that names none of them carries none
 * of it, and no scope object can exist in it.
 */
export function installScopes(raw) {
  return scopeApi(raw)?.PermissionScope;
}

/**
 * The scope API of one module: `{ PermissionScope, wrap(summary, kind, source), sourceOf(scope) }`.
 * A PermissionScope keeps its source (src/abi.rs SCOPE_*) and its summary (the super-user bit and
 * the check plan); it holds no wasm memory, so nothing needs freeing. The rare call that needs
 * the parsed scope (`explain`, `toJSON`, minting) has wasm read the source again.
 */
export function scopeApi(raw) {
  const call = raw._scope;
  if (!call) return undefined;
  let api = scopeApis.get(call);
  if (api) return api;
  let operations = null; // operation name -> index in the operation table
  let operationBits = null; // index -> the bit of its class in a check plan
  let lastOp = null; // the last operation name looked up, and its index
  let lastOpIndex = 0;
  let stateOf;

  class PermissionScope {
    #scope;
    constructor(make, scope) {
      if (make !== MAKE) throw fail('INVALID_SCOPE', 'new PermissionScope(): use PermissionScope.fromJson or PermissionScope.fromProtobuf');
      this.#scope = scope;
    }

    static {
      stateOf = (value) => (value !== null && typeof value === 'object' && #scope in value ? value.#scope : undefined);
    }

    /** May `operation` touch `key` in `cache`? Unknown operations are denied. */
    allows(operation, cache, key) {
      try {
        return check(this, operation, cache, key, false);
      } catch (error) {
        throw coded(error, 'INVALID_SCOPE', 'scope');
      }
    }

    /** May `operation` (publish, subscribe) touch `topic` in `cache`? */
    allowsTopic(operation, cache, topic) {
      try {
        return check(this, operation, cache, topic, true);
      } catch (error) {
        throw coded(error, 'INVALID_SCOPE', 'scope');
      }
    }

    /** Which permission allows `operation` on `key` in `cache`, or why none does. */
    explain(operation, cache, key) {
      return explained(this, 'explain(operation, cache, key)', operation, cache, key, false);
    }

    /** Which permission allows `operation` on `topic` in `cache`, or why none does. */
    explainTopic(operation, cache, topic) {
      return explained(this, 'explainTopic(operation, cache, topic)', operation, cache, topic, true);
    }

    /** The SDK's JSON form (exact, or INVALID_SCOPE: never a wider form). */
    toJSON() {
      try {
        const scope = live(this);
        return JSON.parse(call(SCOPE_TO_JSON, scope.kind, scope.source, '', '', '', false));
      } catch (error) {
        throw coded(error, 'INVALID_SCOPE', 'scope');
      }
    }

    get isSuperUser() {
      return live(this).superUser;
    }

    /** Nothing to give back (a scope holds no wasm memory); the scope can no longer be used. */
    free() {
      const scope = stateOf(this);
      if (scope === undefined) throw fail('INVALID_SCOPE', 'expected a PermissionScope');
      scope.freed = true;
      scope.source = null;
      scope.plan = null;
    }
  }
  if (typeof Symbol.dispose === 'symbol') {
    Object.defineProperty(PermissionScope.prototype, Symbol.dispose, { value: PermissionScope.prototype.free, writable: true, configurable: true });
  }

  /** The state of a live scope of this module, or a coded error. */
  function live(value) {
    const scope = stateOf(value);
    if (scope === undefined) throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope');
    if (scope.freed) throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope (this one was freed)');
    return scope;
  }

  /** A PermissionScope for a source wasm has read (`summary`: `_scope`'s SCOPE_READ answer). */
  function wrap(summary, kind, source) {
    return new PermissionScope(MAKE, {
      kind, source, freed: false,
      superUser: summary.charCodeAt(0) === 49, // '1'
      planText: summary.length > 1 ? summary.slice(1) : null,
      plan: undefined, // parsed on the first check
    });
  }

  function check(value, operation, cache, key, topic) {
    const scope = live(value);
    if (typeof operation !== 'string' || typeof cache !== 'string' || typeof key !== 'string') {
      throw fail('INVALID_REQUEST', `${topic ? 'allowsTopic' : 'allows'}(operation, cache, ${topic ? 'topic' : 'key'}): expected three strings`);
    }
    if (operations === null) loadOperations();
    const op = operation === lastOp ? lastOpIndex : operations.get(operation);
    if (op === undefined) return false; // unknown operations are denied
    if (!cache.trim()) return false; // a blank cache name names no cache (the SDK's own test)
    lastOp = operation;
    lastOpIndex = op;
    const plan = scope.plan === undefined ? planOf(scope) : scope.plan;
    if (plan === null) return call(SCOPE_ALLOWS, scope.kind, scope.source, operation, cache, key, topic);
    return runPlan(topic ? plan.topics : plan.items, operationBits[op], cache, key);
  }

  function explained(value, what, operation, cache, name, topic) {
    try {
      const scope = live(value);
      if (typeof operation !== 'string' || typeof cache !== 'string' || typeof name !== 'string') {
        throw fail('INVALID_REQUEST', `${what}: expected three strings`);
      }
      return call(SCOPE_EXPLAIN, scope.kind, scope.source, operation, cache, name, topic);
    } catch (error) {
      throw coded(error, 'INVALID_SCOPE', 'scope');
    }
  }

  function loadOperations() {
    const [names, bits] = raw._operationNames().split(';');
    operations = new Map(names.split(',').map((name, i) => [name, i]));
    operationBits = Array.from(bits, (letter) => letter.charCodeAt(0) - 65); // 'A' + bit
  }

  /**
   * A scope's check plan (src/token/momento/scope/plan.rs `check_plan`), parsed once: its grants for
   * items and for topics, or null when only wasm compares its names alike (then every check is
   * a call).
   */
  function planOf(scope) {
    let plan = null;
    if (scope.planText !== null) {
      plan = { items: [], topics: [] };
      for (const [classes, cache, topics, kind, name] of JSON.parse(scope.planText)) {
        (topics ? plan.topics : plan.items).push({ classes, cache, kind, name });
      }
    }
    scope.plan = plan;
    scope.planText = null;
    return plan;
  }

  /** Any grant with the operation's class bit, the cache (or all) and a matching name allows. */
  function runPlan(grants, bit, cache, name) {
    for (let i = 0; i < grants.length; i++) {
      const g = grants[i];
      if ((g.classes & bit) !== 0 && (g.cache === null || g.cache === cache)
        && (g.kind === 0 || (g.kind === 1 ? g.name === name : name.startsWith(g.name)))) return true;
    }
    return false;
  }

  // The SDK's sentinels are description-less Symbols, which JSON.stringify drops: in a
  // selector position they can only mean "all", `{}` in the JSON form (strictJson).
  Object.defineProperties(PermissionScope, {
    fromJson: {
      value: function fromJson(value) {
        try {
          const text = jsonInput(value, 'INVALID_SCOPE', 'scope', true);
          return wrap(call(SCOPE_READ, SCOPE_JSON, text, '', '', '', false), SCOPE_JSON, text);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'scope');
        }
      },
      writable: true,
      configurable: true,
    },
    fromProtobuf: {
      value: function fromProtobuf(value) {
        try {
          const summary = call(SCOPE_READ, SCOPE_PROTOBUF, value, '', '', '', false);
          // Bytes are kept as a copy (the caller may write to them later); text is immutable.
          return wrap(summary, SCOPE_PROTOBUF, value instanceof Uint8Array ? new Uint8Array(value) : value);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'permissions');
        }
      },
      writable: true,
      configurable: true,
    },
  });

  const decode = raw.decodeMomentoToken;
  /** decodeMomentoToken, its scope a PermissionScope whose source is the token. */
  function decodeMomentoToken(token) {
    const decoded = decode(token);
    if (decoded.scope !== null) decoded.scope = wrap(decoded.scope, SCOPE_TOKEN, token);
    return decoded;
  }

  /** The source of a live scope (`{ kind, source }`); undefined for anything else. */
  function sourceOf(value) {
    const scope = stateOf(value);
    if (scope !== undefined && scope.freed) throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope (this one was freed)');
    return scope;
  }

  /**
   * Whether `scope` lets `operation` touch every key that starts with `prefix` in `cache` (a
   * grant of all keys or of a prefix of `prefix`): what a token for a whole folder may carry.
   * False without a check plan (only wasm compares such names): the narrower answer.
   */
  function coversPrefix(value, operation, cache, prefix) {
    const scope = live(value);
    if (operations === null) loadOperations();
    const op = operations.get(operation);
    const plan = scope.plan === undefined ? planOf(scope) : scope.plan;
    if (op === undefined || plan === null) return false;
    const bit = operationBits[op];
    return plan.items.some((g) => (g.classes & bit) !== 0 && (g.cache === null || g.cache === cache)
      && (g.kind === 0 || (g.kind === 2 && prefix.startsWith(g.name))));
  }

  api = { PermissionScope, wrap, sourceOf, decodeMomentoToken, coversPrefix };
  scopeApis.set(call, api);
  return api;
}

/** The module's decodeMomentoToken, its scopes PermissionScopes. */
export function tokenDecoder(raw) {
  return scopeApi(raw).decodeMomentoToken;
}
