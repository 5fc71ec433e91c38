#!/usr/bin/env node
// Writes each fuzz target's seed corpus into fuzz/corpus/<target>/ from the committed vectors
// (tests/vectors/*.json) and a few hand-written inputs, so that no binary corpus is committed.
// Deterministic; run by `./build.sh fuzz` and by the test run before fuzzing.
import { createHash, createHmac, createPrivateKey, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadVectors } from '../tests/node/helpers.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const decisions = loadVectors('decisions.json');
const scopes = loadVectors('momento-scopes.json');
const tokens = loadVectors('momento-tokens.json');
const manifests = loadVectors('manifests.json');

const corpus = new Map();
function add(target, input) {
  if (!corpus.has(target)) corpus.set(target, []);
  corpus.get(target).push(typeof input === 'string' ? Buffer.from(input) : Buffer.from(input));
}

// Documents, dictionaries, policies and requests of the decision vectors.
const docText = (c) => (c.blobText ?? JSON.stringify(typeof c.entitlement === 'string' ? decisions.documents[c.entitlement] : c.entitlement ?? {}));
for (const doc of Object.values(decisions.documents)) add('entitlement_blob', JSON.stringify(doc));
for (const c of decisions.cases) {
  if (c.blobText !== undefined) add('entitlement_blob', c.blobText);
  if (c.dictionary !== undefined) {
    add('entitlement_dictionary', Object.entries(c.dictionary).flat().join('\0'));
  }
  const policy = c.policy === undefined ? '' : JSON.stringify(typeof c.policy === 'string' ? decisions.policies[c.policy] : c.policy);
  if (policy) add('policy', policy);
  add('request', JSON.stringify(c.request));
  const { entityType, ancestors, licenses } = c.request;
  add('request', JSON.stringify({ entityType, ancestors, licenses }));
  add('decision', Buffer.concat([Buffer.from(policy), Buffer.from([0xff]), Buffer.from(docText(c)), Buffer.from([0xff]), Buffer.from(JSON.stringify(c.request))]));
}

// Scopes: the SDK's JSON forms and protobuf encodings (and both to the plan/explain target).
for (const c of scopes.cases) {
  if (c.scopeJson && !c.scopeJson.$sdkClass) {
    const json = JSON.stringify(c.scopeJson);
    add('scope_json', json);
    add('scope_plan_explain', Buffer.concat([Buffer.from([1]), Buffer.from(json), Buffer.from([0]), Buffer.from('media|/Movie1/a.ts|demo')]));
  }
  if (c.protobufBase64) {
    const bytes = Buffer.from(c.protobufBase64, 'base64');
    add('scope_protobuf', bytes);
    add('scope_plan_explain', Buffer.concat([Buffer.from([0]), bytes, Buffer.from([0]), Buffer.from('media|/Movie1/x')]));
  }
}

// Momento tokens as the SDK builds them.
for (const c of tokens.cases) if (typeof c.token === 'string') add('momento_token', c.token);

// JWTs signed with the jwt_verify target's fixed keys (its header names them).
const b64u = (x) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const HS_K = 'CzBVep_E6Q4zWH2ix-wRNluApcrvFDleg6jN8hc8YYY';
const ES = { kty: 'EC', crv: 'P-256', x: 'tVQNkbw8Sv_X10RYZfckVjrmjSclkBke1qiq5F4s4ps', y: 'a0jPfQ2-wVHlXMrZLVaVURF10Q2KL34yRGDTCTyJxb8', d: 'lI4tN4tM66gd-yoqPZWkAW8sAPFqxkWNuxBugN8Hno4' };
const NOW_S = 1_731_672_000;
const claims = [
  { sub: 'user-42', iat: NOW_S, exp: NOW_S + 300 },
  { sub: 'user-42', aud: 'edge', nbf: NOW_S - 60, exp: NOW_S + 300, scope: { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] } },
  { sub: 'user-42', exp: NOW_S - 3600 },
  { aud: ['edge', 'other'], exp: NOW_S + 60, ent: { maxQuality: 'HD', country: 'DE' } },
];
// The target's input: a byte picking the verifier, 8 bytes of `now` (ms after NOW, i64 LE), the token.
const jwtInput = (pick, deltaMs, token) => {
  const now = Buffer.alloc(8);
  now.writeBigInt64LE(BigInt(deltaMs));
  return Buffer.concat([Buffer.from([pick]), now, Buffer.from(token)]);
};
for (const c of claims) {
  const hsInput = `${b64u({ alg: 'HS256', kid: 'k1' })}.${b64u(c)}`;
  const hs = `${hsInput}.${createHmac('sha256', Buffer.from(HS_K, 'base64url')).update(hsInput).digest('base64url')}`;
  const esInput = `${b64u({ alg: 'ES256', kid: 'e1' })}.${b64u(c)}`;
  const key = createPrivateKey({ key: ES, format: 'jwk' });
  const es = `${esInput}.${sign('sha256', Buffer.from(esInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  // Now, just before and after exp (with the 60 s leeway), and before nbf.
  for (const delta of [0, 359_999, 360_000, -120_001]) {
    add('jwt_verify', jwtInput(0, delta, hs));
    add('jwt_verify', jwtInput(1, delta, es));
  }
}
add('jwt_verify', jwtInput(2, 0, [0, 0, 1]));

// Time, base64 and JSON: RFC 3339's own examples (section 5.8), the vectors' texts, edge cases.
for (const t of ['1985-04-12T23:20:50.52Z', '1996-12-19T16:39:57-08:00', '1990-12-31T23:59:60Z',
  '1990-12-31T15:59:60-08:00', '1937-01-01T12:00:27.87+00:20', '2024-02-29t00:00:00z', '2024-11-15 12:00:00.123456789+01:00']) add('rfc3339', t);
for (const c of scopes.cases) if (c.protobufBase64) add('base64', c.protobufBase64);
for (const c of tokens.cases) if (typeof c.token === 'string') for (const part of c.token.split('.')) add('base64', part);
for (const doc of Object.values(decisions.documents)) add('json_differential', JSON.stringify(doc, null, 1));
for (const j of ['[1e400]', '{"a":1,"a":2}', '"\\ud83d\\ude00"', '[-0.0e-0,1E+2,0]', '{"":[{}]}', '\u00ef\u00bb\u00bfnull']) add('json_differential', j);

// Manifests: every vector's input, behind a cap selector byte (rank % 5: 0 uncapped).
for (const c of manifests.cases) {
  const input = c.inputBase64 !== undefined ? Buffer.from(c.inputBase64, 'base64') : Buffer.from(c.input);
  for (const rank of [0, 1, 2, 3]) add('manifest', Buffer.concat([Buffer.from([rank]), input]));
}

let files = 0;
for (const [target, inputs] of corpus) {
  const dir = path.join(HERE, 'corpus', target);
  mkdirSync(dir, { recursive: true });
  for (const input of inputs) {
    writeFileSync(path.join(dir, createHash('sha1').update(input).digest('hex')), input);
    files++;
  }
}
console.log(`fuzz seeds: ${files} inputs for ${corpus.size} targets in fuzz/corpus/`);
