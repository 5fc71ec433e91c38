// Scopes: the checked PermissionScope API of one module (`installScopes`) and its token
// decoder (`tokenDecoder`). A check runs the scope's check plan (compiled once in wasm,
// src/momento/scope/plan.rs) here in JS: a call into wasm costs more than the comparisons.
// Owns the operation table, read once per module, and each scope's plan (under PLAN).

import { coded, fail, guardReceivers, internals, isA, jsonInput } from './checks.mjs';

// Where a scope keeps its check plan (a symbol: nothing underscored on the public surface).
const PLAN = Symbol('playgate.checkPlan');

// The modules whose scope API is installed (keyed by PermissionScope): installing is once.
const scopesInstalled = new WeakSet();

/**
 * Adds the checked scope API (allows, allowsTopic, explain, the checked fromJson...) to one
 * module's PermissionScope and returns the class. Its own function, called by whatever can hand
 * out a scope (the PermissionScope and decodeMomentoToken exports, the cache client, the JWT
 * layer), each through a call marked pure: a bundle that names none of them carries none of it,
 * and no scope object can exist in it.
 */
export function installScopes(raw) {
  const { PermissionScope } = raw;
  if (!PermissionScope || scopesInstalled.has(PermissionScope)) return PermissionScope;
  scopesInstalled.add(PermissionScope);
  const { _checkPlan, _allowsStrings } = internals(PermissionScope);
  guardReceivers(PermissionScope, 'INVALID_SCOPE');
  let operations = null; // operation name -> index in the operation table
  let operationBits = null; // index -> the bit of its class in a check plan
  let lastOp = null; // the last operation name looked up, and its index
  let lastOpIndex = 0;

  function check(scope, operation, cache, key, topic) {
    if (!isA(scope, PermissionScope) || !(scope.__wbg_ptr > 0)) {
      throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope');
    }
    if (typeof operation !== 'string' || typeof cache !== 'string' || typeof key !== 'string') {
      throw fail('INVALID_REQUEST', `${topic ? 'allowsTopic' : 'allows'}(operation, cache, ${topic ? 'topic' : 'key'}): expected three strings`);
    }
    if (operations === null) loadOperations();
    const op = operation === lastOp ? lastOpIndex : operations.get(operation);
    if (op === undefined) return false; // unknown operations are denied
    lastOp = operation;
    lastOpIndex = op;
    const plan = scope[PLAN] === undefined ? planOf(scope) : scope[PLAN];
    if (plan === null) return _allowsStrings.call(scope, operation, cache, key, topic);
    return runPlan(topic ? plan.topics : plan.items, operationBits[op], cache, key);
  }

  function loadOperations() {
    const [names, bits] = raw._operationNames().split(';');
    operations = new Map(names.split(',').map((name, i) => [name, i]));
    operationBits = Array.from(bits, (letter) => letter.charCodeAt(0) - 65); // 'A' + bit
  }

  /**
   * A scope's check plan (src/momento/scope/plan.rs `check_plan`), read once: its grants for items and for
   * topics, or null when only wasm compares its names alike (then every check is a call).
   */
  function planOf(scope) {
    const text = _checkPlan.call(scope);
    let plan = null;
    if (text !== undefined) {
      plan = { items: [], topics: [] };
      for (const [classes, cache, topics, kind, name] of JSON.parse(text)) {
        (topics ? plan.topics : plan.items).push({ classes, cache, kind, name });
      }
    }
    Object.defineProperty(scope, PLAN, { value: plan });
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

  const live = (scope) => {
    if (!isA(scope, PermissionScope) || !(scope.__wbg_ptr > 0)) throw fail('INVALID_SCOPE', 'scope: expected a live PermissionScope');
  };
  /** `fn` on a live scope, every failure coded. */
  const scopeMethod = (fn) => function checked(...args) {
    try {
      live(this);
      return fn.apply(this, args);
    } catch (error) {
      throw coded(error, 'INVALID_SCOPE', 'scope');
    }
  };
  const strings = (name, a, b, c) => {
    if (typeof a !== 'string' || typeof b !== 'string' || typeof c !== 'string') {
      throw fail('INVALID_REQUEST', `${name}: expected three strings`);
    }
  };
  // The SDK's sentinels are description-less Symbols, which JSON.stringify drops: in a
  // selector position they can only mean "all", `{}` in the JSON form (strictJson).
  const fromJson = PermissionScope.fromJson;
  const fromProtobuf = PermissionScope.fromProtobuf;
  const { explain, explainTopic, toJSON } = PermissionScope.prototype;
  const superUser = Object.getOwnPropertyDescriptor(PermissionScope.prototype, 'isSuperUser').get;
  Object.defineProperties(PermissionScope, {
    fromJson: {
      value: function fromJsonChecked(value) {
        return fromJson.call(PermissionScope, jsonInput(value, 'INVALID_SCOPE', 'scope', true));
      },
      writable: true,
      configurable: true,
    },
    fromProtobuf: {
      value: function fromProtobufChecked(value) {
        try {
          return fromProtobuf.call(PermissionScope, value);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'permissions');
        }
      },
      writable: true,
      configurable: true,
    },
  });
  Object.defineProperties(PermissionScope.prototype, {
    allows: {
      value(operation, cache, key) {
        try {
          return check(this, operation, cache, key, false);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'scope');
        }
      },
    },
    allowsTopic: {
      value(operation, cache, topic) {
        try {
          return check(this, operation, cache, topic, true);
        } catch (error) {
          throw coded(error, 'INVALID_SCOPE', 'scope');
        }
      },
    },
    explain: {
      value: scopeMethod(function explainChecked(operation, cache, key) {
        strings('explain(operation, cache, key)', operation, cache, key);
        return explain.call(this, operation, cache, key);
      }),
    },
    explainTopic: {
      value: scopeMethod(function explainTopicChecked(operation, cache, topic) {
        strings('explainTopic(operation, cache, topic)', operation, cache, topic);
        return explainTopic.call(this, operation, cache, topic);
      }),
    },
    toJSON: { value: scopeMethod(function toJSONChecked() { return toJSON.call(this); }) },
    isSuperUser: { get: scopeMethod(function isSuperUserChecked() { return superUser.call(this); }), configurable: true },
  });
  return PermissionScope;
}

/** The module's decodeMomentoToken, with the scope API installed on the scopes it returns. */
export function tokenDecoder(raw) {
  installScopes(raw);
  return raw.decodeMomentoToken;
}
