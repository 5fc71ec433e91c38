// JWTs (the edge module only): the checked JwtVerifier, PlaybackTokenMinter and
// MomentoTokenIssuer API (`installJwt`), the Axinom license message (`axinomMessage`), with WebCrypto verification for `verifyAsync` (ES256,
// RS256: wasm checks the algorithm and picks the keys, the platform checks the signature).
// Owns the WebCrypto keys imported per verifier.

import { coded, fail, guardReceivers, internals, isA, jsonInput, optionalString, readNow } from './checks.mjs';
import { SCOPE_JSON, SCOPE_TOKEN } from './abi.mjs';
import { scopeApi } from './scopes.mjs';

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
    // Keys imported into WebCrypto, per verifier and JWK text.
    const platformKeys = new WeakMap();
    // What WebCrypto checks for (src/jwt.rs PLATFORM_ALGS): only the public members of a key are
    // imported, so `use`, `key_ops` or private members of a configured JWK cannot get in the way.
    const PLATFORM = {
      ES256: {
        importParams: { name: 'ECDSA', namedCurve: 'P-256' },
        verifyParams: { name: 'ECDSA', hash: 'SHA-256' },
        publicJwk: ({ kty, crv, x, y }) => ({ kty, crv, x, y }),
      },
      RS256: {
        importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        verifyParams: { name: 'RSASSA-PKCS1-v1_5' },
        publicJwk: ({ kty, n, e }) => ({ kty, n, e }),
      },
    };
    const b64urlJson = (part) => {
      try {
        const text = part.replace(/-/g, '+').replace(/_/g, '/');
        return JSON.parse(decodeURIComponent(escape(atob(text + '='.repeat((4 - (text.length % 4)) % 4)))));
      } catch {
        return null;
      }
    };
    const verifyAsync = method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function start(token, options) {
      return [tokenString(token), verifyNow(options)];
    });
    Object.defineProperties(JwtVerifier.prototype, {
      verify: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verify(token, options) {
          return verifier._verify.call(this, tokenString(token), verifyNow(options));
        }),
      },
      verifyPlayback: {
        value: method(JwtVerifier, 'verifier', 'INVALID_REQUEST', function verifyPlayback(token, options) {
          const verified = verifier._verifyPlayback.call(this, tokenString(token), verifyNow(options));
          verified.scope = wrap(verified.scope, SCOPE_JSON, verified.scopeSource);
          delete verified.scopeSource;
          return verified;
        }),
      },
      verifyAsync: {
        async value(...args) {
          const [token, now] = verifyAsync.apply(this, args); // the checks, synchronously coded
          const header = b64urlJson(token.split('.')[0] ?? '');
          const subtle = globalThis.crypto?.subtle;
          const alg = header !== null && typeof header === 'object' ? header.alg : undefined;
          const platform = (alg === 'ES256' || alg === 'RS256') ? PLATFORM[alg] : undefined;
          if (!platform || !subtle) return verifier._verify.call(this, token, now);
          // playgate checks the algorithm and selects the keys; WebCrypto checks the signature.
          const { signed, signature, keys } = verifier._preparePlatform.call(this, token);
          let cache = platformKeys.get(this);
          if (!cache) platformKeys.set(this, (cache = new Map()));
          for (const [index, jwk] of keys) {
            let key = cache.get(jwk);
            if (!key) {
              try {
                key = await subtle.importKey('jwk', platform.publicJwk(JSON.parse(jwk)), platform.importParams, false, ['verify']);
              } catch (error) {
                throw coded(error, 'INVALID_KEY', `keys[${index}]: WebCrypto refused the key`);
              }
              cache.set(jwk, key);
            }
            if (await subtle.verify(platform.verifyParams, key, signature, signed)) {
              return verifier._finishPlatform.call(this, token, index, now);
            }
          }
          throw fail('BAD_SIGNATURE', 'signature: does not verify');
        },
      },
    });
  }

  /** The source of a scope given to a minter: a live PermissionScope's, or what PermissionScope.fromJson reads. */
  const scopeOf = (scope) => sourceOf(scope) ?? sourceOf(PermissionScope.fromJson(scope));

  if (PlaybackTokenMinter) {
    configured(PlaybackTokenMinter, 'fromJson');
    Object.defineProperty(PlaybackTokenMinter.prototype, 'mint', {
      value: method(PlaybackTokenMinter, 'minter', 'INVALID_REQUEST', function mint(options) {
        if (options === null || typeof options !== 'object') throw fail('INVALID_REQUEST', 'options: expected { scope, subject?, entitlement?, now? }');
        const { scope, subject, entitlement, now } = options;
        const summary = entitlement ?? {}; // null or undefined: no summary, as everywhere
        if (typeof summary !== 'object') throw fail('INVALID_REQUEST', 'entitlement: expected an object');
        const { maxQuality, country, device } = summary;
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
          const { scope, tokenId, lifetimeSeconds, now } = options;
          const lifetime = lifetimeSeconds ?? 3600; // null or undefined: the default
          if (typeof tokenId !== 'string') throw fail('INVALID_REQUEST', 'tokenId: expected a string');
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
 * wasm (src/axinom.rs). `policy` defaults to DEFAULT, `allowPersistence` to false.
 */
export function axinomMessage(raw) {
  const sign = raw._axinomLicenseMessage;
  return function axinomLicenseMessage(options) {
    try {
      if (options === null || typeof options !== 'object') {
        throw fail('INVALID_ARGUMENT', 'options: expected { keyIds, comKeyId, comKey, policy?, allowPersistence?, expiresAt? }');
      }
      const { keyIds, comKeyId, comKey, policy, allowPersistence, expiresAt } = options;
      if (!Array.isArray(keyIds)) throw fail('INVALID_ARGUMENT', 'keyIds: expected an array of content key ids');
      const ids = Array.from(keyIds, (id, i) => {
        if (typeof id !== 'string') throw fail('INVALID_ARGUMENT', `keyIds[${i}]: expected a string`);
        return id;
      });
      if (typeof comKeyId !== 'string') throw fail('INVALID_ARGUMENT', 'comKeyId: expected a string');
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
