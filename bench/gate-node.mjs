// The edge gate's cost per request in Node (issue 15, first slice; not the workerd bench the
// issue asks for): createGate in front of an in-process fetch double returning an 18.8 KB
// segment, one viewer's token on 100 segment paths, against the same loop without a gate (a
// Request built, its URL parsed, the double called). Cached: the token verified once and then
// taken from the gate's LRU; verified every request: maxTokens 0. Medians of 5 rounds.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const E = await import(path.join(process.env.PLAYGATE_PKG ?? path.join(ROOT, 'pkg'), 'edge/node/index.mjs'));
const jose = await import(path.join(ROOT, 'tests/node_modules/jose/dist/webapi/index.js'));
const HS = { kty: 'oct', k: Buffer.alloc(32, 9).toString('base64url'), kid: 'h' };
const es = await jose.generateKeyPair('ES256', { extractable: true });
const ESPRIV = { ...(await jose.exportJWK(es.privateKey)), kid: 'e' };
const ESPUB = { ...(await jose.exportJWK(es.publicKey)), kid: 'e' };
const verifier = { algorithms: ['HS256', 'ES256'], keys: [HS, ESPUB], audience: 'edge' };
const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
const tok = { HS256: E.PlaybackTokenMinter.fromJson({ algorithm: 'HS256', key: HS, kid: 'h', audience: 'edge' }).mint({ scope, entitlement: { maxQuality: 'HD' } }),
  ES256: E.PlaybackTokenMinter.fromJson({ algorithm: 'ES256', key: ESPRIV, kid: 'e', audience: 'edge' }).mint({ scope, entitlement: { maxQuality: 'HD' } }) };
const body = new Uint8Array(18800);
const fetchDouble = async () => new Response(body);
const noop = { fetch: async (req) => { new URL(req.url); return fetchDouble(); } };
async function run(gate, token, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await gate.fetch(new Request(`http://g/Movie1/1080p/segment${i % 100}.ts`, { headers: { authorization: `Bearer ${token}` } }));
    if (r.status !== 200) throw new Error(String(r.status));
  }
  return Number(process.hrtime.bigint() - t0) / n / 1000;
}
const rows = [];
for (let round = 0; round < 5; round++) {
  for (const alg of ['HS256', 'ES256']) {
    const cached = E.createGate({ verifier, origin: 'http://o', fetch: fetchDouble });
    const uncached = E.createGate({ verifier, origin: 'http://o', fetch: fetchDouble, maxTokens: 0 });
    rows.push([`${alg} cached`, await run(cached, tok[alg], 2000)]);
    rows.push([`${alg} verified every request`, await run(uncached, tok[alg], alg === 'ES256' ? 200 : 2000)]);
  }
  rows.push(['no gate (Request + fetch double)', await run(noop, '', 2000)]);
}
const by = new Map();
for (const [k, v] of rows) by.set(k, [...(by.get(k) ?? []), v]);
for (const [k, v] of by) { v.sort((a, b) => a - b); console.log(`${k}: median ${v[2].toFixed(1)} us/request (5 rounds: ${v.map((x) => x.toFixed(1)).join(', ')})`); }
