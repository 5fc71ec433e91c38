// A Cloudflare Worker (ES module syntax) on `playgate` and `playgate/jwt`, as a user writes one
// (in workerd, `playgate/edge` is the player module, the gate's build: JWT classes come from
// `playgate/jwt`).
// Run by tests/node/workerd.test.mjs in a real workerd, bundled from the packed tarball the way
// wrangler bundles (esbuild, the workerd/worker/browser conditions, each .wasm a CompiledWasm
// module).
//
// POST /decide  { policy?: PolicyJson, entitlement: document object, request: DecisionRequest }
//   -> 200 decision JSON | 400 { code, message } for a thrown coded error (INVALID_POLICY,
//   INVALID_ENTITLEMENT, INVALID_REQUEST, INVALID_ENTITY_ID) or a body that is not a JSON object
//   (INVALID_BODY) | 500 { code: 'INTERNAL' } for anything else (a bug)
//   Also accepted instead of `entitlement` (for test vectors): `blobText` (raw blob text) or
//   `dictionary` (record of strings, Entitlement.fromDictionary).
// GET /health   -> 200 { ok: true, codes: DECISION_CODES.length }
// POST /verify  { config: JwtVerifier.fromJson options, token, now?, platform?, playback?, keys? }
//   (playgate/jwt) -> 200 { algorithm, keyId, claims } | 400 { code, message }; `platform: true`
//   verifies with verifyAsync (the signature by WebCrypto), else with verify (in wasm);
//   `playback: true` with verifyPlaybackAsync / verifyPlayback: the answer adds `scope` (its JSON),
//   `entitlement` and `allows` (the scope's `get` answer for each of `keys` in cache media). Each
//   answer says how many times WebCrypto's verify was called for it (`platformVerifies`).
// POST /cache-op  one CacheClient / EntitlementStore operation (www/cache-runner.js) against the
//   cache emulator on 127.0.0.1, through workerd's own fetch -> 200 its JSON outcome
import * as playgate from 'playgate';
import { JwtVerifier } from 'playgate/jwt';
import { runCacheOp } from './cache-runner.js';

// Ready on import: the `workerd` condition takes the package's module entry, and the bundler
// (wrangler, or the test's esbuild with wrangler's options) hands it each .wasm compiled.
const { Policy, Entitlement, DECISION_CODES } = playgate;

// WebCrypto's verify, counted: the test checks that the asynchronous methods use it.
let platformVerifies = 0;
try {
  const subtle = globalThis.crypto.subtle;
  const verify = subtle.verify;
  subtle.verify = function countedVerify(...args) {
    platformVerifies++;
    return verify.apply(subtle, args);
  };
} catch {
  platformVerifies = NaN; // not countable here: the answers say null
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function json(status, body) {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function badBody(message) {
  return json(400, { code: 'INVALID_BODY', message });
}

function decide(body) {
  let policy;
  let ent;
  try {
    policy = body.policy === undefined || body.policy === null ? new Policy() : Policy.fromJson(body.policy);
    if (body.entitlement !== undefined) ent = Entitlement.fromBlob(JSON.stringify(body.entitlement));
    else if (body.blobText !== undefined) ent = Entitlement.fromBlob(body.blobText);
    else ent = Entitlement.fromDictionary(body.dictionary);
    return policy.evaluate(ent, body.request);
  } finally {
    if (ent) ent.free();
    if (policy) policy.free();
  }
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/health') {
      return json(200, { ok: true, codes: DECISION_CODES.length });
    }
    if (url.pathname === '/cache-op' && request.method === 'POST') {
      return json(200, await runCacheOp(playgate, await request.json()));
    }
    if (url.pathname === '/verify' && request.method === 'POST') {
      const { config, token, now, platform, playback, keys = [] } = await request.json();
      const before = platformVerifies;
      try {
        const verifier = JwtVerifier.fromJson(config);
        try {
          let verified;
          if (playback) {
            verified = platform ? await verifier.verifyPlaybackAsync(token, { now }) : verifier.verifyPlayback(token, { now });
            verified.allows = keys.map((key) => verified.scope.allows('get', 'media', key));
          } else {
            verified = platform ? await verifier.verifyAsync(token, { now }) : verifier.verify(token, { now });
          }
          return json(200, { ...verified, platformVerifies: platformVerifies - before });
        } finally {
          verifier.free();
        }
      } catch (error) {
        if (error && typeof error.code === 'string') return json(400, { code: error.code, message: error.message, platformVerifies: platformVerifies - before });
        return json(500, { code: 'INTERNAL', message: String(error && error.stack || error) });
      }
    }
    if (url.pathname !== '/decide') return json(404, { code: 'NOT_FOUND', message: `no route ${url.pathname}` });
    if (request.method !== 'POST') return json(405, { code: 'METHOD_NOT_ALLOWED', message: 'POST only' });

    let body;
    try {
      body = await request.json();
    } catch (error) {
      return badBody(`body: not JSON (${error.message})`);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return badBody('body: expected an object');
    const sources = ['entitlement', 'blobText', 'dictionary'].filter((k) => body[k] !== undefined);
    if (sources.length !== 1) return badBody('body: expected exactly one of entitlement, blobText, dictionary');
    if (body.entitlement !== undefined && (body.entitlement === null || typeof body.entitlement !== 'object' || Array.isArray(body.entitlement))) {
      return json(400, { code: 'INVALID_ENTITLEMENT', message: 'entitlement: expected a document object' });
    }

    try {
      return json(200, decide(body));
    } catch (error) {
      if (error && typeof error.code === 'string') return json(400, { code: error.code, message: error.message });
      return json(500, { code: 'INTERNAL', message: String(error && error.stack || error) });
    }
  },
};
