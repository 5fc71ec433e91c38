// JWTs (the edge module only): the checked JwtVerifier, PlaybackTokenMinter and
// MomentoTokenIssuer API (`installJwt`), the Axinom license message (`axinomMessage`), with WebCrypto verification for `verifyAsync`
// and `verifyPlaybackAsync` (ES256, RS256, EdDSA: wasm checks the algorithm, picks the keys and
// checks the claims, the platform checks the signature).
// Owns the WebCrypto keys imported per verifier.

import { MAX_TOKEN_CHARS, coded, fail, guardReceivers, internals, isA, isWellFormed, jsonInput, onlyOptions, optionalString, readNow } from './checks.mjs';

import { SCOPE_JSON, SCOPE_TOKEN } from './abi.mjs';
import { scopeApi } from './scopes.mjs';

/** `text`, refused (`code`) when it is not well-formed: a lone surrogate would reach wasm as U+FFFD, other text. */
function wellFormed(text, code, what) {
  if (typeof text === 'string' && !isWellFormed(text)) throw fail(code, `${what}: text that is not well-formed (a lone surrogate) would be written as U+FFFD`);
  return text;
}

// The modules whose JWT classes are installed (keyed by JwtVerifier): installing is once.
const jwtInstalled = new WeakSet();

/**
 * Adds the checked JWT API (verification, playback and Momento token minting) to the edge
 * module's classes. Its own function, called by the edge module's entries only, so that a
 * player bundle carries none of it.
 */
export function installJwt(raw) {
  const { JwtVerifier, PlaybackTokenMinter, MomentoTokenIssuer } = raw;
  if (jwtInstalled.has(JwtVerifier)) return;
  jwtInstalled.add(JwtVerifier);
  const { PermissionScope, wrap, sourceOf } = scopeApi(raw); // minted tokens and playback claims carry scopes
  const verifier = internals(JwtVerifier);
  const minter = internals(PlaybackTokenMinter);
  const issuer = internals(MomentoTokenIssuer);
  for (const Class of [JwtVerifier, PlaybackTokenMinter, MomentoTokenIssuer]) guardReceivers(Class, 'INVALID_KEY');

  /**
   * `fn` as a method of `Class`: `this` must be a live handle, every failure is coded (`code`
   * for anything the checks did not name, such as a getter of the options that throws).
   */
  function method(Class, what, code, fn) {
    return function checked(...args) {
      try {
        if (!isA(this, Class) || !(this.__wbg_ptr > 0)) throw fail('INVALID_KEY', `${what}: expected a live ${Class.name}`);
        return fn.apply(this, args);
      } catch (error) {
        throw coded(error, code, what);
      }
    };
  }

  /** `{ now? }` of a verification, read once; throws INVALID_REQUEST. */
  function verifyNow(options) {
    if (options === undefined) return Date.now();
    if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected an object');
    return readNow(options.now, raw);
  }

  function tokenString(token) {
    if (typeof token !== 'string') throw fail('MALFORMED_TOKEN', 'token: expected a string');
    // jwt-compact reads the claims before the signature: an unsigned token of any size would be
    // parsed whole (a 100 MB one ran wasm out of memory, ending the instance for every call).
    if (token.length > MAX_TOKEN_CHARS) throw fail('MALFORMED_TOKEN', `token: over ${MAX_TOKEN_CHARS} characters`);
    return token;
  }

  /** Configuration objects become strict JSON text (INVALID_KEY), as policies and scopes do. */
  function configured(Class, name) {
    const original = Class[name];
    Class[name] = function fromConfig(config) {
      return original.call(Class, jsonInput(config, 'INVALID_KEY', name === 'mosaicEndUser' ? 'jwks' : 'config'));
    };
  }

  if (JwtVerifier) {
    configured(JwtVerifier, 'fromJson');
    configured(JwtVerifier, 'mosaicEndUser');
    // What WebCrypto checks (src/token/jwt.rs PLATFORM_ALGS), by the configured key's type: only the
    // public members of a key are imported, so `use`, `key_ops` or private members of a
    // configured JWK cannot get in the way. (A key's type fixes its algorithm: src/token/jwt.rs read_key.)
    const PLATFORM = {
      EC: {
        importParams: { name: 'ECDSA', namedCurve: 'P-256' },
        verifyParams: { name: 'ECDSA', hash: 'SHA-256' },
        publicJwk: ({ kty, crv, x, y }) => ({ kty, crv, x, y }),
      },
      RSA: {
        importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        verifyParams: { name: 'RSASSA-PKCS1-v1_5' },
        publicJwk: ({ kty, n, e }) => ({ kty, n, e }),
      },
      OKP: {
        importParams: { name: 'Ed25519' },
        verifyParams: { name: 'Ed25519' },
        publicJwk: ({ kty, crv, x }) => ({ kty, crv, x }),
      },
    };
    // Keys imported into WebCrypto, per verifier and key index: `{ key, verifyParams }`, or
    // null when the platform refused the key (the wasm path checks that key's tokens).
    const platformKeys = new WeakMap();
    async function importPlatformKey(self, cache, index, inWasm) {
      let entry = null;
      const jwk = JSON.parse(inWasm(verifier._platformJwk, index));
      try {
        const platform = PLATFORM[jwk.kty];
        const key = await globalThis.crypto.subtle.importKey('jwk', platform.publicJwk(jwk), platform.importParams, false, ['verify']);
        entry = { key, verifyParams: platform.verifyParams };
      } catch {
        // A platform without the algorithm (an older runtime's Ed25519), or a key it will not take.
      }
      cache.set(index, entry);
      return entry;
    }
    // The receiver and arguments, checked and read synchronously: a bad call is a rejected
    // promise made here (asyncMethod), never a throw before the promise.
    const start = method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function start(token, options) {
      return [tokenString(token), verifyNow(options)];
    });
    // wasm gives a verification as its parts (src/wasm/edge.rs verified_parts, playback_parts):
    // [algorithm, keyId, claimsJson] and for a playback token [..., scopeSummary, scopeSource,
    // entitlementJson]. The JSON is the core's own writing: it always parses.
    const json = (text) => {
      try {
        return JSON.parse(text);
      } catch {
        throw fail('MALFORMED_TOKEN', 'claims: not JSON');
      }
    };
    const verifiedResult = (parts) => ({ algorithm: parts[0], keyId: parts[1], claims: json(parts[2]) });
    const playbackResult = (parts) => ({
      algorithm: parts[0], keyId: parts[1], claims: json(parts[2]),
      scope: wrap(parts[3], SCOPE_JSON, parts[4]), entitlement: json(parts[5]),
    });
    /**
     * `verify` (or `verifyPlayback`) with the signature checked by the platform's WebCrypto
     * where it has the algorithm. One call into wasm parses the token once: it checks the
     * algorithm, picks the keys and checks the claims, holding back its answer; WebCrypto checks
     * the signature; the held answer (a result or a coded error) is given only for a signature
     * valid with one of the keys, and BAD_SIGNATURE otherwise, exactly as the wasm path orders them.
     */
    async function platformVerify(self, token, now, playback) {
      const sync = playback ? verifier._verifyPlayback : verifier._verify;
      const finish = playback ? playbackResult : verifiedResult;
      // After an await the verifier may have been freed: its wasm calls check that first.
      const inWasm = (fn, ...args) => {
        if (!(self.__wbg_ptr > 0)) throw fail('INVALID_KEY', 'verifier: freed during the verification');
        return fn.call(self, ...args);
      };
      try {
        const subtle = globalThis.crypto?.subtle;
        const prepared = subtle ? verifier._preparePlatform.call(self, token, now, playback) : undefined;
        if (prepared === undefined) return finish(sync.call(self, token, now)); // HS256, or no WebCrypto
        const [signed, signature, keys, heldResult, heldError] = prepared;
        let cache = platformKeys.get(self);
        if (!cache) platformKeys.set(self, (cache = new Map()));
        for (const index of keys) {
          let entry = cache.get(index);
          if (entry === undefined) entry = await importPlatformKey(self, cache, index, inWasm);
          if (entry === null) return finish(inWasm(sync, token, now)); // the platform refused this key: wasm checks
          let valid;
          try {
            valid = await subtle.verify(entry.verifyParams, entry.key, signature, signed);
          } catch {
            valid = false; // a signature WebCrypto will not even read (its length) is not valid
          }
          if (valid) {
            if (heldError !== undefined) throw heldError;
            return finish(heldResult);
          }
        }
        throw fail('BAD_SIGNATURE', 'signature: does not verify');
      } catch (error) {
        throw coded(error, 'INVALID_REQUEST', 'verifier');
      }
    }
    /** An async method: never a throw, a bad call is a rejected promise with a coded error. */
    const asyncMethod = (playback) => function verifyAsync(token, options) {
      let args;
      try {
        args = start.call(this, token, options);
      } catch (error) {
        return Promise.reject(error);
      }
      return platformVerify(this, args[0], args[1], playback);
    };
    Object.defineProperties(JwtVerifier.prototype, {
      verify: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verify(token, options) {
          return verifiedResult(verifier._verify.call(this, tokenString(token), verifyNow(options)));
        }),
      },
      verifyPlayback: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verifyPlayback(token, options) {
          return playbackResult(verifier._verifyPlayback.call(this, tokenString(token), verifyNow(options)));
        }),
      },
      verifyAsync: { value: asyncMethod(false) },
      verifyPlaybackAsync: { value: asyncMethod(true) },
    });
  }

  /** The source of a scope given to a minter: a live PermissionScope's, or what PermissionScope.fromJson reads. */
  const scopeOf = (scope) => sourceOf(scope) ?? sourceOf(PermissionScope.fromJson(wellFormed(scope, 'INVALID_SCOPE', 'scope')));

  if (PlaybackTokenMinter) {
    configured(PlaybackTokenMinter, 'fromJson');
    Object.defineProperty(PlaybackTokenMinter.prototype, 'mint', {
      value: method(PlaybackTokenMinter, 'minter', 'INVALID_REQUEST', function mint(options) {
        if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected { scope, subject?, entitlement?, now? }');
        // A misspelt option (`entitlements`, `maxquality`) would mint an uncapped token.
        onlyOptions(options, ['scope', 'subject', 'entitlement', 'now'], 'options', 'INVALID_REQUEST');
        const { scope, subject, entitlement, now } = options;
        const summary = entitlement ?? {}; // null or undefined: no summary, as everywhere
        if (typeof summary !== 'object') throw fail('INVALID_REQUEST', 'entitlement: expected an object');
        onlyOptions(summary, ['maxQuality', 'country', 'device'], 'entitlement', 'INVALID_REQUEST');
        const { maxQuality, country, device } = summary;
        for (const [name, text] of [['subject', subject], ['entitlement.maxQuality', maxQuality], ['entitlement.country', country], ['entitlement.device', device]]) {
          wellFormed(text, 'INVALID_REQUEST', name);
        }
        const { kind, source } = scopeOf(scope);
        return minter._mint.call(
          this, kind, source, optionalString(subject, 'subject') ?? undefined,
          optionalString(maxQuality, 'entitlement.maxQuality') ?? undefined,
          optionalString(country, 'entitlement.country') ?? undefined,
          optionalString(device, 'entitlement.device') ?? undefined,
          readNow(now, raw),
        );
      }),
    });
  }

  if (MomentoTokenIssuer) {
    configured(MomentoTokenIssuer, 'fromJson');
    Object.defineProperties(MomentoTokenIssuer.prototype, {
      mint: {
        value: method(MomentoTokenIssuer, 'issuer', 'INVALID_REQUEST', function mint(options) {
          if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected { scope, tokenId, lifetimeSeconds?, now? }');
          onlyOptions(options, ['scope', 'tokenId', 'lifetimeSeconds', 'now'], 'options', 'INVALID_REQUEST');
          const { scope, tokenId, lifetimeSeconds, now } = options;
          const lifetime = lifetimeSeconds ?? 3600; // null or undefined: the default
          if (typeof tokenId !== 'string') throw fail('INVALID_REQUEST', 'tokenId: expected a string');
          wellFormed(tokenId, 'INVALID_REQUEST', 'tokenId');
          if (typeof lifetime !== 'number') throw fail('INVALID_REQUEST', 'lifetimeSeconds: expected a number');
          const { kind, source } = scopeOf(scope);
          return issuer._mint.call(this, kind, source, tokenId, lifetime, readNow(now, raw));
        }),
      },
      verify: {
        value: method(MomentoTokenIssuer, 'issuer', 'INVALID_REQUEST', function verify(token, options) {
          const text = tokenString(token);
          const verified = issuer._verify.call(this, text, verifyNow(options));
          verified.scope = wrap(verified.scope, SCOPE_TOKEN, text); // a v1 Momento token
          return verified;
        }),
      },
    });
  }
}

/**
 * The edge module's `axinomLicenseMessage(options)`: the Axinom DRM license service message (a
 * JWT signed with the communication key) for a title's content keys. Checked here, signed in
 * wasm (src/token/axinom.rs). `policy` defaults to DEFAULT, `allowPersistence` to false.
 */
// A title has a handful of content keys; the message lists each once (a check per pair).
const MAX_KEY_IDS = 1024;

export function axinomMessage(raw) {
  const sign = raw._axinomLicenseMessage;
  return function axinomLicenseMessage(options) {
    try {
      if (options === null || typeof options !== 'object') {
        throw fail('INVALID_ARGUMENT', 'options: expected { keyIds, comKeyId, comKey, policy?, allowPersistence?, expiresAt? }');
      }
      // A misspelt `expiresAt` or `policy` would sign a message that never expires, or under DEFAULT.
      onlyOptions(options, ['keyIds', 'comKeyId', 'comKey', 'policy', 'allowPersistence', 'expiresAt'], 'options');
      const { keyIds, comKeyId, comKey, policy, allowPersistence, expiresAt } = options;
      if (!Array.isArray(keyIds)) throw fail('INVALID_ARGUMENT', 'keyIds: expected an array of content key ids');
      if (keyIds.length > MAX_KEY_IDS) throw fail('INVALID_ARGUMENT', `keyIds: more than ${MAX_KEY_IDS} content keys`);
      const ids = Array.from(keyIds, (id, i) => {
        if (typeof id !== 'string') throw fail('INVALID_ARGUMENT', `keyIds[${i}]: expected a string`);
        return wellFormed(id, 'INVALID_ARGUMENT', `keyIds[${i}]`);
      });
      if (typeof comKeyId !== 'string') throw fail('INVALID_ARGUMENT', 'comKeyId: expected a string');
      wellFormed(comKeyId, 'INVALID_ARGUMENT', 'comKeyId');
      if (typeof comKey !== 'string') throw fail('INVALID_KEY', 'comKey: expected the communication key in base64');
      const preset = policy ?? 'DEFAULT';
      if (typeof preset !== 'string') throw fail('INVALID_ARGUMENT', 'policy: expected DEFAULT, DEV or STRICT');
      const persistence = allowPersistence ?? false;
      if (typeof persistence !== 'boolean') throw fail('INVALID_ARGUMENT', 'allowPersistence: expected a boolean');
      let expires = NaN;
      if (expiresAt !== undefined && expiresAt !== null) {
        expires = isA(expiresAt, Date) ? Date.prototype.getTime.call(expiresAt) : expiresAt;
        if (typeof expires !== 'number' || !Number.isFinite(expires)) {
          throw fail('INVALID_ARGUMENT', 'expiresAt: expected epoch milliseconds or a valid Date');
        }
      }
      return sign(ids, comKeyId, comKey, preset, persistence, expires);
    } catch (error) {
      throw coded(error, 'INVALID_ARGUMENT', 'axinomLicenseMessage');
    }
  };
}
