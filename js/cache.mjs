// The cache HTTP client and the entitlement store: the I/O shell around the wasm decisions.
//
// Why JS and not Rust: every step here is a call into the platform (fetch, AbortController,
// timers, promises), and the one runtime-neutral way to reach them is the global `fetch`. Done
// from Rust, each would cross the boundary through wasm-bindgen-futures closures and still
// run the same JS; done here it adds no bytes to the wasm module (whose gzip budget it would
// otherwise spend) and the decisions, the token decoding and the scope check stay in Rust.
//
// Behaviour follows the Momento HTTP API (docs/momento.md): GET/PUT/DELETE
// /cache/{cache}?key=|key_base64=, the token raw in `Authorization`, 404 bodies `Key Not Found`
// and `Cache Not Found`. Choices are written in the README ("Reading entitlements").

import { fieldNames } from './fields.mjs';

const MIB = 1024 * 1024;
/** The largest entitlement document read by default (src/decide/entitlement.rs DEFAULT_MAX_DOCUMENT_BYTES); `maxBytes` changes it. */
const MAX_DOCUMENT_BYTES = MIB;
/** The largest `maxBytes` a store accepts (src/decide/entitlement.rs MAX_DOCUMENT_BYTES_LIMIT). */
const MAX_DOCUMENT_LIMIT = 64 * MIB;
// RFC 3986 unreserved characters plus `/` (MediaStore keys are paths): sent as `key=`.
const URL_SAFE_KEY = /^[A-Za-z0-9\-._~/]+$/;

/** An error of the cache client: `code`, and `status` (HTTP) when the service answered. */
export class CacheError extends Error {
  constructor(code, message, details) {
    super(typeof message === 'string' ? message : text(message));
    let d = {};
    try {
      if (details !== null && typeof details === 'object') {
        const { status, retryable, local, attempts, cause } = details;
        d = { status, retryable, local, attempts, cause };
      }
    } catch {
      // details that cannot be read (a throwing getter or Proxy) are left out: an error is made anyway
    }
    this.name = 'CacheError';
    this.code = typeof code === 'string' && code !== '' ? code : 'UNEXPECTED_RESPONSE';
    this.status = d.status ?? null;
    this.retryable = d.retryable ?? false;
    this.local = d.local ?? false;
    this.attempts = d.attempts ?? 0;
    if (d.cause !== undefined) this.cause = d.cause;
  }
}

/** `String(value)`, or its type where that throws (a Symbol's description is fine; an object without toString is not). */
function text(value) {
  try {
    return String(value);
  } catch {
    return `(a ${typeof value})`;
  }
}

function invalid(message) {
  return new CacheError('INVALID_REQUEST', message, { local: true });
}

/**
 * `error` as a CacheError: a caller's getter or Proxy trap that throws (options, keys, values)
 * becomes INVALID_REQUEST with the original as `cause`; a CacheError passes through.
 */
function asCacheError(error, what) {
  if (error instanceof CacheError) return error;
  if (error instanceof Error && typeof error.code === 'string' && /^[A-Z_]+$/.test(error.code)) return error; // playgate's own
  return new CacheError('INVALID_REQUEST', `${what}: could not be read: ${error instanceof Error ? error.message : text(error)}`, { local: true, cause: error });
}

/** base64url with padding of UTF-8 bytes (`key_base64`). */
function base64Url(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_');
}

/** Whether `text` has a lone surrogate, which UTF-8 carries as U+FFFD: another key's bytes. */
function hasLoneSurrogate(text) {
  return typeof text.isWellFormed === 'function' ? !text.isWellFormed() : /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** The query parameter for a key: `key=` when it is URL-safe text, `key_base64=` otherwise. */
function keyParam(key, encoder) {
  if (typeof key === 'string') {
    if (key.length === 0) throw invalid('key: expected a non-empty string or Uint8Array');
    if (hasLoneSurrogate(key)) throw invalid('key: text that is not well-formed (a lone surrogate) would be read as another key');
    if (URL_SAFE_KEY.test(key)) return `key=${encodeURIComponent(key)}`;
    return `key_base64=${encodeURIComponent(base64Url(encoder.encode(key)))}`;
  }
  if (isA(key, Uint8Array)) {
    if (key.length === 0) throw invalid('key: expected a non-empty string or Uint8Array');
    return `key_base64=${encodeURIComponent(base64Url(key))}`;
  }
  throw invalid('key: expected a non-empty string or Uint8Array');
}

/** `value instanceof Class`, false where asking throws (a Proxy whose getPrototypeOf trap throws). */
function isA(value, Class) {
  try {
    return value instanceof Class;
  } catch {
    return false;
  }
}

/** INVALID_REQUEST for an own field of `options` not in `names`: a misspelt option leaves its default unseen. */
function onlyOptions(options, names, what) {
  for (const name of fieldNames(options, true)) {
    if (!names.includes(name)) throw invalid(`${what}: unknown option \`${name.slice(0, 64)}\` (the options: ${names.join(', ')})`);
  }
}

function cacheNameOf(name) {
  if (typeof name !== 'string' || name.trim().length === 0) throw invalid('cacheName: expected a non-empty string');
  // A dot segment in the URL's path would address another endpoint (`..` the API's root), and a
  // lone surrogate is read as U+FFFD by the scope check: another name.
  if (name === '.' || name === '..') throw invalid(`cacheName: "${name}" is a dot segment in the URL, another endpoint`);
  if (hasLoneSurrogate(name)) throw invalid('cacheName: text that is not well-formed (a lone surrogate) would be read as another name');
  return name;
}

// The longest wait a timer keeps: a longer delay fires at once (Node, browsers: a 32-bit delay).
const MAX_TIMER_MS = 2 ** 31 - 1;

function wholeNumber(value, name, min, fallback, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Reads a response body up to `maxBytes`; a longer one is cancelled, not buffered. Each read is
 * raced with `signal` (the call's deadline): a body that stalls, from a `fetch` that ignores its
 * signal, ends at the deadline too.
 */
async function readBody(response, maxBytes, signal) {
  const stop = aborted(signal);
  stop.catch(() => {});
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new CacheError('RESPONSE_TOO_LARGE', `response: ${declared} bytes, over the ${maxBytes}-byte limit`, { status: response.status });
  }
  if (!response.body || typeof response.body.getReader !== 'function') {
    const bytes = new Uint8Array(await Promise.race([response.arrayBuffer(), stop]));
    if (bytes.length > maxBytes) throw new CacheError('RESPONSE_TOO_LARGE', `response: over the ${maxBytes}-byte limit`, { status: response.status });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    let read;
    try {
      read = await Promise.race([reader.read(), stop]);
    } catch (error) {
      reader.cancel().catch(() => {});
      throw error;
    }
    const { done, value } = read;
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new CacheError('RESPONSE_TOO_LARGE', `response: over the ${maxBytes}-byte limit`, { status: response.status });
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return bytes;
}

/** `{ signal?, timeoutMs?, maxBytes?, ttlSeconds? }` of one call, each read once into a plain object. */
function callOptions(options) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalid('options: expected an object');
  onlyOptions(options, ['signal', 'timeoutMs', 'maxBytes', 'ttlSeconds'], 'options');
  const { signal, timeoutMs, maxBytes, ttlSeconds } = options;
  if (signal !== undefined && signal !== null && !isA(signal, AbortSignal)) throw invalid('signal: expected an AbortSignal');
  return { signal: signal ?? undefined, timeoutMs, maxBytes, ttlSeconds };
}

/** A promise that rejects with the signal's reason when it aborts (never resolves). */
function aborted(signal) {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Waits `ms`, or rejects when `signal` aborts first (at once if it already has). */
function sleep(ms, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A Retry-After header in milliseconds from `now`: delay-seconds or an HTTP-date (RFC 9110
 * 10.2.3); null when absent or unreadable.
 */
function retryAfterMs(value, now) {
  if (value === null) return null;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}/.test(text)) return null; // an HTTP-date starts with the day's name
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Whether a 200's Content-Type is the cache's: application/octet-stream (any case, parameters), or none. */
function isOctetStream(contentType) {
  return contentType === null || /^\s*application\/octet-stream\s*(;|$)/i.test(contentType);
}

/** A method called on anything but an instance its constructor made (another object, a Proxy). */
function own(self, brand, what) {
  if (!brand.has(self)) throw invalid(`expected a ${what} (a method called on another object)`);
}

/**
 * The cache client class, bound to one wasm module's token decoder (whose scopes have the scope
 * API). Each entry builds it with a call marked pure (as entitlementStoreClass), so that an app
 * that never names CacheClient leaves it out of its bundle.
 */
export function cacheClientClass(decodeMomentoToken) {
  const encoder = new TextEncoder();
  // A byte order mark is bytes of the key: kept, so the scope checks the key's own text.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  // The instances this constructor made: a method called on anything else is INVALID_REQUEST,
  // never a TypeError from inside.
  const clients = new WeakSet();

  class CacheClient {
    /**
     * `{ token, baseUrl?, timeoutMs = 5000, retries = 2, retryDelayMs = 100, maxResponseBytes =
     * 5 MiB, tokenIn = 'header', checkScope = true, defaultTtlSeconds?, fetch? }`, each option
     * read once.
     */
    constructor(options) {
      try {
        this._configure(options);
      } catch (error) {
        throw asCacheError(error, 'options');
      }
      clients.add(this);
    }

    _configure(options) {
      if (options === null || typeof options !== 'object') throw invalid('options: expected { token, baseUrl?, timeoutMs? }');
      onlyOptions(options, ['token', 'baseUrl', 'timeoutMs', 'retries', 'retryDelayMs', 'maxResponseBytes', 'defaultTtlSeconds', 'tokenIn', 'checkScope', 'fetch'], 'options');
      const {
        token, baseUrl: givenBaseUrl, timeoutMs, retries, retryDelayMs, maxResponseBytes,
        defaultTtlSeconds, tokenIn, checkScope, fetch,
      } = options;
      if (typeof token !== 'string' || token.length === 0) throw invalid('token: expected a Momento token string');
      // A token that does not decode is still sent when the base URL is given (the service is
      // the authority; nothing is checked locally then); without one there is no URL to use.
      let decoded = null;
      try {
        decoded = decodeMomentoToken(token);
      } catch (error) {
        if (givenBaseUrl === undefined || givenBaseUrl === null) throw error; // MALFORMED_TOKEN
      }
      const baseUrl = givenBaseUrl ?? decoded.httpBaseUrl;
      if (baseUrl === null || baseUrl === undefined) {
        throw invalid('baseUrl: required, the token names no endpoint (a v2 key)');
      }
      if (typeof baseUrl !== 'string' || !/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(baseUrl)) {
        throw invalid('baseUrl: expected an http(s) URL without query or fragment');
      }
      this.baseUrl = baseUrl.replace(/\/+$/, '');
      this.token = token;
      /** What the token says about itself (advisory: Momento signs it), or null if it does not decode. */
      this.tokenInfo = decoded;
      this.timeoutMs = wholeNumber(timeoutMs, 'timeoutMs', 1, 5000, MAX_TIMER_MS);
      this.retries = wholeNumber(retries, 'retries', 0, 2);
      this.retryDelayMs = wholeNumber(retryDelayMs, 'retryDelayMs', 0, 100, MAX_TIMER_MS);
      this.maxResponseBytes = wholeNumber(maxResponseBytes, 'maxResponseBytes', 1, 5 * MIB);
      this.defaultTtlSeconds = wholeNumber(defaultTtlSeconds, 'defaultTtlSeconds', 1, null);
      if (tokenIn !== undefined && tokenIn !== 'header' && tokenIn !== 'query') {
        throw invalid("tokenIn: expected 'header' or 'query'");
      }
      this.tokenIn = tokenIn ?? 'header';
      if (checkScope != null && typeof checkScope !== 'boolean') throw invalid('checkScope: expected a boolean');
      this.checkScope = checkScope ?? true;
      if (fetch !== undefined && typeof fetch !== 'function') throw invalid('fetch: expected a function');
      this._fetch = fetch ?? null;
    }

    /** Whether the token's decoded scope lets it do `operation` on the key (advisory). */
    allows(operation, cacheName, key) {
      try {
        own(this, clients, 'CacheClient');
        if (typeof key !== 'string' && !isA(key, Uint8Array)) throw invalid('key: expected a string or a Uint8Array');
        const scope = this.tokenInfo?.scope;
        if (!scope) return true; // a token without a `p` claim (or opaque): only the service can say
        if (typeof key !== 'string') {
          try {
            key = utf8.decode(key);
          } catch {
            return true; // not UTF-8: the scope check works on text, leave it to the service
          }
        }
        return scope.allows(operation, cacheName, key);
      } catch (error) {
        throw asCacheError(error, 'allows');
      }
    }

    /** The item's bytes, or `null` on a miss (`Key Not Found`); the body is read within the deadline. */
    async get(cacheName, key, options = {}) {
      let call;
      try {
        own(this, clients, 'CacheClient');
        call = callOptions(options);
        call.maxBytes = wholeNumber(call.maxBytes, 'maxBytes', 1, this.maxResponseBytes);
      } catch (error) {
        throw asCacheError(error, 'options');
      }
      return this._request('GET', 'get', cacheName, key, null, call);
    }

    /** Stores `value` (string as UTF-8, or bytes) for `ttlSeconds`. */
    async set(cacheName, key, value, options = {}) {
      let call;
      let body;
      try {
        own(this, clients, 'CacheClient');
        call = callOptions(options);
        call.ttl = wholeNumber(call.ttlSeconds, 'ttlSeconds', 1, this.defaultTtlSeconds);
        if (call.ttl === null) throw invalid('ttlSeconds: required (the HTTP API has no default TTL)');
        if (typeof value === 'string') body = encoder.encode(value);
        else if (isA(value, Uint8Array)) body = value;
        else if (isA(value, ArrayBuffer)) {
          try {
            body = new Uint8Array(value);
          } catch {
            throw invalid('value: a detached ArrayBuffer (its bytes were transferred)');
          }
        } else throw invalid('value: expected a string, Uint8Array or ArrayBuffer');
      } catch (error) {
        throw asCacheError(error, 'set');
      }
      await this._request('PUT', 'set', cacheName, key, body, call);
    }

    /** Deletes the item (no error when it does not exist). */
    async delete(cacheName, key, options = {}) {
      let call;
      try {
        own(this, clients, 'CacheClient');
        call = callOptions(options);
      } catch (error) {
        throw asCacheError(error, 'options');
      }
      await this._request('DELETE', 'delete', cacheName, key, null, call);
    }

    async _request(method, operation, cacheName, key, body, options) {
      let query;
      try {
        cacheNameOf(cacheName);
        query = keyParam(key, encoder);
      } catch (error) {
        throw asCacheError(error, 'key');
      }
      if (this.checkScope && !this.allows(operation, cacheName, key)) {
        throw new CacheError('PERMISSION_DENIED', `the token's scope does not allow ${operation} on cache "${cacheName}" for this key (refused locally, no request sent)`, { local: true });
      }
      if (options.ttl !== undefined) query += `&ttl_seconds=${options.ttl}`;
      const headers = {};
      if (this.tokenIn === 'query') query += `&token=${encodeURIComponent(this.token)}`;
      else headers.authorization = this.token;
      if (body !== null) headers['content-type'] = 'application/octet-stream';
      const url = `${this.baseUrl}/cache/${encodeURIComponent(cacheName)}?${query}`;

      // One deadline for the whole call: retries, back-off and reading the body included.
      const controller = new AbortController();
      const timeoutMs = wholeNumber(options.timeoutMs, 'timeoutMs', 1, this.timeoutMs, MAX_TIMER_MS);
      const deadline = Date.now() + timeoutMs;
      // The error is built only when the deadline passes: capturing a stack costs ~40 us.
      const timer = setTimeout(() => controller.abort(
        new CacheError('TIMEOUT', `${method} ${cacheName}: no answer within ${timeoutMs} ms`, { retryable: true }),
      ), timeoutMs);
      const outer = options.signal;
      const onOuterAbort = () => controller.abort(outer.reason);
      if (outer) {
        if (outer.aborted) onOuterAbort();
        else outer.addEventListener('abort', onOuterAbort, { once: true });
      }
      const fetchFn = this._fetch ?? ((...args) => globalThis.fetch(...args));
      const attemptsAllowed = method === 'GET' ? this.retries + 1 : 1;
      let attempt = 0;
      try {
        for (;;) {
          attempt++;
          let response;
          try {
            // Redirects are not followed: the cache API never sends one, and following it
            // could carry the token (in the query) or the request to another origin.
            // Raced with the deadline: a fetch that ignores its signal must not outlive it.
            response = await Promise.race([
              fetchFn(url, { method, headers, body, signal: controller.signal, redirect: 'manual' }),
              aborted(controller.signal),
            ]);
            if (response === null || typeof response !== 'object' || typeof response.status !== 'number' || typeof response.headers?.get !== 'function') {
              throw new TypeError(`fetch returned ${response === null ? 'null' : typeof response}, not a Response`);
            }
          } catch (error) {
            if (controller.signal.aborted) {
              const reason = controller.signal.reason;
              if (reason instanceof CacheError) reason.attempts = attempt;
              throw reason;
            }
            throw new CacheError('NETWORK_ERROR', `${method} ${cacheName}: ${error?.message ?? error}`, { cause: error, attempts: attempt });
          }
          const { status } = response;
          if (status === 200 && method === 'GET') {
            // The service sends an item's bytes as application/octet-stream, whatever they hold:
            // anything else (a captive portal's or a proxy's HTML page, a gateway's JSON) is not
            // the item and is never returned as if it were.
            const type = response.headers.get('content-type');
            if (!isOctetStream(type)) {
              await response.body?.cancel().catch(() => {});
              throw new CacheError('UNEXPECTED_RESPONSE', `${method} ${cacheName}: 200 with content type "${type.slice(0, 100)}", not the cache's application/octet-stream`, { status, attempts: attempt });
            }
            // Inside the deadline: a body that stalls is a timeout like a late answer.
            try {
              return await readBody(response, options.maxBytes ?? this.maxResponseBytes, controller.signal);
            } catch (error) {
              if (error instanceof CacheError) throw error;
              if (controller.signal.aborted) throw controller.signal.reason;
              throw new CacheError('NETWORK_ERROR', `${method} ${cacheName}: the body broke off: ${error?.message ?? error}`, { cause: error, status, attempts: attempt });
            }
          }
          // A write's success; a GET answered 204 is no item and no miss: UNEXPECTED_RESPONSE below.
          if ((status === 204 || status === 200) && method !== 'GET') {
            await response.body?.cancel().catch(() => {});
            return null;
          }
          let text = '';
          try {
            text = new TextDecoder().decode(await readBody(response, 4096, controller.signal));
          } catch {
            // An error body that breaks off or is too long says nothing more than its status,
            // but one still coming at the deadline is a timeout.
            if (controller.signal.aborted) throw controller.signal.reason;
          }
          const error = this._statusError(method, cacheName, status, text, attempt, response);
          if (error === null) return null; // Key Not Found
          if (!error.retryable || attempt >= attemptsAllowed) throw error;
          // Retry-After (seconds or an HTTP-date) if the service sent one, else the back-off.
          // A wait that would end past the deadline is not started: the status's own error now.
          const retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
          const wait = retryAfter ?? this.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
          if (Date.now() + wait >= deadline) {
            if (retryAfter !== null) error.retryAfterMs = retryAfter;
            throw error;
          }
          await sleep(wait, controller.signal);
        }
      } catch (error) {
        if (controller.signal.aborted && error === controller.signal.reason && error instanceof CacheError) error.attempts = attempt;
        throw error;
      } finally {
        clearTimeout(timer);
        if (outer) outer.removeEventListener('abort', onOuterAbort);
      }
    }

    /** The typed error for a status, or null for a miss. */
    _statusError(method, cacheName, status, text, attempts, response) {
      const body = text.trim();
      const details = { status, attempts };
      const what = `${method} ${cacheName}`;
      if ((status >= 300 && status < 400) || response?.type === 'opaqueredirect') { // a browser's is status 0
        const to = response?.headers.get('location');
        return new CacheError('UNEXPECTED_RESPONSE', `${what}: redirected (${status}${to ? ` to ${to.slice(0, 200)}` : ''}), not followed: the cache API does not redirect`, details);
      }
      if (status === 404) {
        if (/^key not found/i.test(body)) return null;
        if (/^cache not found/i.test(body)) return new CacheError('CACHE_NOT_FOUND', `${what}: cache not found`, details);
        return new CacheError('UNEXPECTED_RESPONSE', `${what}: 404 "${body.slice(0, 200)}"`, details);
      }
      if (status === 400) return new CacheError('BAD_REQUEST', `${what}: bad request: ${body.slice(0, 200)}`, details);
      if (status === 401) {
        // The service answers 401 for expired and invalid tokens alike; the token's own `exp`
        // (or the body) tells which, so a player knows to renew rather than give up.
        const exp = this.tokenInfo?.expiresAt ?? null;
        const expired = (exp !== null && exp <= Date.now()) || /expired/i.test(body);
        return new CacheError(expired ? 'TOKEN_EXPIRED' : 'AUTHENTICATION_FAILED', `${what}: 401 ${expired ? 'the token has expired' : 'the token was not accepted'}`, details);
      }
      if (status === 403) return new CacheError('PERMISSION_DENIED', `${what}: 403 the token may not do this`, details);
      if (status === 429) return new CacheError('THROTTLED', `${what}: 429 throttled`, { ...details, retryable: true });
      if (status >= 500) return new CacheError('SERVER_ERROR', `${what}: ${status} ${body.slice(0, 200)}`, { ...details, retryable: true });
      return new CacheError('UNEXPECTED_RESPONSE', `${what}: unexpected status ${status}`, details);
    }
  }

  return CacheClient;
}

/** The entitlement store class, bound to one module's Entitlement and its wasm glue's Policy. */
export function entitlementStoreClass(Entitlement, { Policy }) {
  const stores = new WeakSet();

  /** A denial for a document that could not be read: fail closed, never an allow. */
  function denial(code, cause) {
    let summary = null;
    if (cause) {
      try {
        const causeCode = cause.code;
        summary = { code: typeof causeCode === 'string' ? causeCode : null, message: text(cause.message ?? cause) };
      } catch {
        summary = { code: null, message: `a ${typeof cause} that could not be read` };
      }
    }
    return {
      allowed: false, code, reasons: [code], claims: [], maxQuality: null,
      allowPersistence: false, validUntil: null, cause: summary,
    };
  }

  /** Turns what a loader returned into an Entitlement (at most `maxBytes`); null when the user has none. */
  function toEntitlement(value, maxBytes) {
    if (value === null || value === undefined) return null;
    if (typeof value === 'string' || value instanceof Uint8Array || value instanceof ArrayBuffer) {
      return Entitlement.fromBlob(value, { maxBytes });
    }
    return Entitlement.fromDictionary(value, { maxBytes }); // records, Maps and the SDK's fetch responses
  }

  class EntitlementStore {
    /**
     * `{ policy, cache + cacheName | load(userKey, { signal }), maxEntries = 1000, maxAgeMs =
     * 60000, missTtlMs = 0, loadTimeoutMs = 10000, maxBytes = 1 MiB, clock = Date.now }`.
     */
    constructor(options) {
      try {
        this._configure(options);
      } catch (error) {
        throw asCacheError(error, 'options');
      }
      stores.add(this);
    }

    _configure(options) {
      if (options === null || typeof options !== 'object') throw invalid('options: expected { cache, cacheName, policy }');
      onlyOptions(options, ['cache', 'cacheName', 'policy', 'load', 'maxBytes', 'maxEntries', 'maxAgeMs', 'missTtlMs', 'loadTimeoutMs', 'clock'], 'options');
      const {
        cache, cacheName, policy, load, maxBytes, maxEntries, maxAgeMs, missTtlMs, loadTimeoutMs, clock,
      } = options;
      if (!isA(policy, Policy) || !(policy.__wbg_ptr > 0)) throw invalid('policy: expected a live Policy');
      if (load !== undefined) {
        if (typeof load !== 'function') throw invalid('load: expected a function (userKey) => blob | dictionary | null');
        this._load = load;
      } else {
        // Any object with CacheClient's `get` will do (a client of another playgate instance,
        // the app's own client, a test double).
        const get = cache !== null && typeof cache === 'object' ? cache.get : undefined;
        if (typeof get !== 'function') {
          throw invalid('cache: expected a CacheClient (or an object with its get), or give load');
        }
        cacheNameOf(cacheName);
        this._load = (userKey, { signal }) => get.call(cache, cacheName, userKey, { signal, maxBytes: this.maxBytes });
      }
      // The largest document read, from the cache and from a loader alike.
      this.maxBytes = wholeNumber(maxBytes, 'maxBytes', 1, MAX_DOCUMENT_BYTES);
      if (this.maxBytes > MAX_DOCUMENT_LIMIT) throw invalid(`maxBytes: at most ${MAX_DOCUMENT_LIMIT}`);
      this.policy = policy;
      this.maxEntries = wholeNumber(maxEntries, 'maxEntries', 1, 1000);
      this.maxAgeMs = wholeNumber(maxAgeMs, 'maxAgeMs', 0, 60_000);
      this.missTtlMs = wholeNumber(missTtlMs, 'missTtlMs', 0, 0);
      this.loadTimeoutMs = wholeNumber(loadTimeoutMs, 'loadTimeoutMs', 1, 10_000, MAX_TIMER_MS);
      if (clock !== undefined && typeof clock !== 'function') throw invalid('clock: expected a function returning epoch ms');
      this.clock = clock ?? Date.now;
      this._entries = new Map(); // userKey -> { ent (null: missing), loadedAt, expiresAt }; Map order = recency
      this._newest = undefined; // the key last in `_entries`
      // userKey -> { promise (of an entry), stale } (one read per key at a time); a read that
      // invalidate or clear made stale is joined by no later decision and stores nothing.
      this._inflight = new Map();
      this.stats = { hits: 0, loads: 0, failures: 0 };
    }

    /** How many documents are held. */
    get size() {
      own(this, stores, 'EntitlementStore');
      return this._entries.size;
    }

    /**
     * Decides `request` for the user's entitlement document; denials when it cannot be read.
     * Not itself async: the checks reject at once, and the one promise is `_decide`'s (an async
     * function returning another's promise costs extra turns, measured on the warm path).
     */
    decide(userKey, request) {
      let fields;
      try {
        own(this, stores, 'EntitlementStore');
        if (typeof userKey !== 'string' || userKey.length === 0) throw invalid('userKey: expected a non-empty string');
        if (hasLoneSurrogate(userKey)) throw invalid('userKey: text that is not well-formed (a lone surrogate) would be read as another user\'s');
        if (request === null || typeof request !== 'object') throw invalid('request: expected an object');
        // Read once: the same fields are decided as were read (a getter is asked once).
        const { entityId, entityType, ancestors, country, device, now, allowPersistence, licenses } = request;
        fields = { entityId, entityType, ancestors, country, device, now, allowPersistence, licenses };
        // Checked here, before any read of the cache (evaluate sees only the copy): every name
        // destructuring reads (a class's accessors, a member defined non-enumerable).
        for (const name of fieldNames(request)) if (!Object.hasOwn(fields, name)) throw invalid(`request: unknown field \`${name.slice(0, 64)}\``);
      } catch (error) {
        return Promise.reject(asCacheError(error, 'request'));
      }
      return this._decide(userKey, fields);
    }

    /** The store's clock, which must give finite epoch milliseconds. */
    _now() {
      let now;
      try {
        now = this.clock();
      } catch (error) {
        throw asCacheError(error, 'clock');
      }
      if (typeof now !== 'number' || !Number.isFinite(now)) throw invalid('clock: expected finite epoch milliseconds');
      return now;
    }

    async _decide(userKey, request) {
      let now = this._now();
      let entry = this._entries.get(userKey);
      // Held since loadedAt: a clock that went back before it makes the document's age unknown.
      if (entry !== undefined && now < entry.expiresAt && now >= entry.loadedAt) {
        this.stats.hits++;
        if (userKey !== this._newest) { // most recently used goes last (a player's one user: no move)
          this._entries.delete(userKey);
          this._entries.set(userKey, entry);
          this._newest = userKey;
        }
      } else {
        if (entry !== undefined) this._drop(userKey);
        let read = this._inflight.get(userKey);
        if (read === undefined) {
          const started = { promise: null, stale: false };
          started.promise = this._fetchEntry(userKey, started).finally(() => {
            if (this._inflight.get(userKey) === started) this._inflight.delete(userKey);
          });
          this._inflight.set(userKey, started);
          read = started;
        }
        entry = await read.promise;
        if (entry.failure) return denial(entry.failure.code, entry.failure.cause);
        // Decided at the time the document came, not the time it was asked for.
        now = this._now();
      }
      if (entry.ent === null) return denial('ENTITLEMENT_MISSING', null);
      if (request.now == null) request.now = now; // the store's own copy of the fields
      const decision = this.policy.evaluate(entry.ent, request);
      // Keep the document no longer than the decision stays true.
      if (decision.validUntil !== null && decision.validUntil < entry.expiresAt) entry.expiresAt = decision.validUntil;
      return decision;
    }

    /** Forgets one user's document (e.g. after the auth server wrote a new one). */
    invalidate(userKey) {
      own(this, stores, 'EntitlementStore');
      this._drop(userKey);
      this._forgetRead(userKey);
    }

    /** Forgets every document. */
    clear() {
      own(this, stores, 'EntitlementStore');
      for (const key of [...this._entries.keys()]) this._drop(key);
      for (const key of [...this._inflight.keys()]) this._forgetRead(key);
    }

    /** A read under way for `userKey`, made stale: a later decision starts its own. */
    _forgetRead(userKey) {
      const read = this._inflight.get(userKey);
      if (read === undefined) return;
      read.stale = true;
      this._inflight.delete(userKey);
    }

    async _fetchEntry(userKey, read) {
      this.stats.loads++;
      const startedAt = this._now(); // a document is as old as the read that asked for it
      let value;
      // Any loader gets a deadline (a cache client has its own as well) and a signal to stop on.
      const controller = new AbortController();
      let timer;
      const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => {
          const error = new CacheError('TIMEOUT', `loading the entitlement of "${userKey}": no answer within ${this.loadTimeoutMs} ms`, { retryable: true });
          controller.abort(error);
          reject(error);
        }, this.loadTimeoutMs);
      });
      try {
        value = await Promise.race([this._load(userKey, { signal: controller.signal }), deadline]);
      } catch (error) {
        this.stats.failures++;
        const code = error?.code === 'RESPONSE_TOO_LARGE' ? 'ENTITLEMENT_INVALID' : 'ENTITLEMENT_UNAVAILABLE';
        return { failure: { code, cause: error } };
      } finally {
        clearTimeout(timer);
      }
      let ent;
      try {
        ent = toEntitlement(value, this.maxBytes);
      } catch (error) {
        const code = error?.code === 'ENTITLEMENT_MISSING' ? 'ENTITLEMENT_MISSING'
          : error?.code === 'ENTITLEMENT_UNAVAILABLE' ? 'ENTITLEMENT_UNAVAILABLE' : 'ENTITLEMENT_INVALID';
        if (code !== 'ENTITLEMENT_MISSING') {
          this.stats.failures++;
          return { failure: { code, cause: error } };
        }
        ent = null;
      }
      if (ent === null && this.missTtlMs === 0) return { ent: null, loadedAt: startedAt, expiresAt: 0 };
      const entry = { ent, loadedAt: startedAt, expiresAt: startedAt + (ent === null ? this.missTtlMs : this.maxAgeMs) };
      // The decisions that awaited this read use it; a stale one is not kept for later ones.
      if (read.stale) return entry;
      this._drop(userKey);
      this._entries.set(userKey, entry);
      this._newest = userKey;
      while (this._entries.size > this.maxEntries) this._drop(this._entries.keys().next().value);
      return entry;
    }

    /**
     * Forgets a document. It is not freed: a decision that awaited its load may still be about
     * to use it, and a document nobody frees holds no wasm memory once its slot is reused
     * (js/decisions.mjs, entitlementClass).
     */
    _drop(userKey) {
      this._entries.delete(userKey);
    }
  }

  return EntitlementStore;
}
