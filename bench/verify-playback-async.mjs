// verifyPlayback (ES256, P-256 in wasm) against verifyPlaybackAsync (signature by WebCrypto),
// verifyAsync, jose's jwtVerify and a bare WebCrypto verify (the floor), on the same jose-minted
// ES256 playback tokens (scope + entitlement), many distinct tokens, methods interleaved per
// round. Prints us per verification (median of rounds) and ratios.
//   node bench/verify-playback-async.mjs [rounds] [tokensPerRound]   (PLAYGATE_PKG=... for another build;
//   BASELINE_PKG=... adds that build's verifyAsync, e.g. the one before a change, in the same rounds;
//   STUB=1 answers WebCrypto's verify with an already valid answer after the warm-up: what is left
//   is each library's own work around the signature, with no thread pool or load in the way)
import path from 'node:path';
import { REPO, PKG } from '../tests/node/helpers.mjs';

const jose = await import(path.join(REPO, 'tests/node_modules/jose/dist/webapi/index.js'));
const { JwtVerifier } = await import(path.join(PKG, 'edge/node/index.mjs'));
const ROUNDS = Number(process.argv[2] ?? 21);
const PER_ROUND = Number(process.argv[3] ?? 150);
const SYNC_PER_ROUND = Math.min(PER_ROUND, 30); // P-256 in wasm is ~1.5 ms
const NOW = Date.parse('2026-01-01T00:00:00Z');
const S = NOW / 1000;

const pairs = await Promise.all(['k1', 'k2', 'k3'].map(async (kid) => {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicKey, jwk: { ...(await jose.exportJWK(publicKey)), kid } };
}));
const verifier = JwtVerifier.fromJson({ algorithms: ['ES256'], keys: { keys: pairs.map((p) => p.jwk) }, issuer: 'auth', audience: 'edge' });
const scope = { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] };
const total = ROUNDS * PER_ROUND + 50;
const tokens = [];
for (let i = 0; i < total; i++) {
  const p = pairs[i % pairs.length];
  tokens.push(await new jose.SignJWT({ sub: `viewer-${i}`, iss: 'auth', aud: 'edge', iat: S, exp: S + 300, jti: `j${i}`, scope, ent: { maxQuality: 'HD', country: 'US' } })
    .setProtectedHeader({ alg: 'ES256', kid: p.kid }).sign(p.privateKey));
}
const joseKeys = new Map(pairs.map((p) => [p.kid, p.publicKey]));
const joseGetKey = (header) => joseKeys.get(header.kid);
const subtle = globalThis.crypto.subtle;
const floorKeys = new Map(pairs.map((p) => [p.kid, p.publicKey]));
const enc = new TextEncoder();

let sink = 0;
const methods = {
  verifyPlayback: { sync: true, run: (t) => { sink += verifier.verifyPlayback(t, { now: NOW }).claims.sub.length; } },
  verifyPlaybackAsync: verifier.verifyPlaybackAsync
    ? { run: async (t) => { sink += (await verifier.verifyPlaybackAsync(t, { now: NOW })).claims.sub.length; } }
    : undefined,
  verifyAsync: { run: async (t) => { sink += (await verifier.verifyAsync(t, { now: NOW })).claims.sub.length; } },
  jose: { run: async (t) => { sink += (await jose.jwtVerify(t, joseGetKey, { issuer: 'auth', audience: 'edge', algorithms: ['ES256'], currentDate: new Date(NOW) })).payload.sub.length; } },
  webcrypto: { run: async (t) => {
    // The floor: the signature alone (no header, claims or time checks), key by kid known.
    const dot = t.lastIndexOf('.');
    const ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, floorKeys.get('k' + (1 + (sink % 3))) ?? floorKeys.get('k1'), Buffer.from(t.slice(dot + 1), 'base64url'), enc.encode(t.slice(0, dot)));
    sink += ok ? 1 : 0;
  } },
};
if (process.env.BASELINE_PKG) {
  const base = await import(path.join(path.resolve(process.env.BASELINE_PKG), 'edge/node/index.mjs'));
  const baseVerifier = base.JwtVerifier.fromJson({ algorithms: ['ES256'], keys: { keys: pairs.map((p) => p.jwk) }, issuer: 'auth', audience: 'edge' });
  methods['baseline verifyAsync'] = { run: async (t) => { sink += (await baseVerifier.verifyAsync(t, { now: NOW })).claims.sub.length; } };
}
for (const k of Object.keys(methods)) if (!methods[k]) delete methods[k];

// Warm up (and import the WebCrypto keys).
for (const m of Object.values(methods)) for (const t of tokens.slice(0, 30)) await m.run(t);
if (process.env.STUB === '1') {
  subtle.verify = async () => true;
  delete methods.verifyPlayback; // it never calls WebCrypto
}
const times = Object.fromEntries(Object.keys(methods).map((k) => [k, []]));
const names = Object.keys(methods);
const stubbed = process.env.STUB === '1' ? ', WebCrypto verify stubbed (always valid)' : '';
for (let r = 0; r < ROUNDS; r++) {
  const slice = tokens.slice(50 + r * PER_ROUND, 50 + (r + 1) * PER_ROUND);
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const m = methods[name];
    const n = m.sync ? SYNC_PER_ROUND : PER_ROUND;
    const start = process.hrtime.bigint();
    if (m.sync) for (let i = 0; i < n; i++) m.run(slice[i]);
    else for (let i = 0; i < n; i++) await m.run(slice[i]);
    times[name].push(Number(process.hrtime.bigint() - start) / 1e3 / n);
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const us = Object.fromEntries(names.map((k) => [k, median(times[k])]));
// Ratios: the median of each round's ratio (the rounds are interleaved, so load that drifts
// between rounds cancels), and the same for the overhead over the WebCrypto floor.
const ratio = (a, b) => median(times[a].map((t, r) => t / times[b][r]));
const over = (a) => median(times[a].map((t, r) => t - times.webcrypto[r]));
console.log(`ES256 playback tokens, ${ROUNDS} interleaved rounds of ${PER_ROUND} distinct tokens (${SYNC_PER_ROUND} for the sync wasm path)${stubbed}; median us per verification, median of per-round ratios:`);
for (const k of names) console.log(`  ${k.padEnd(22)} ${us[k].toFixed(1).padStart(8)} us   x jose ${ratio(k, 'jose').toFixed(2)}   x floor ${ratio(k, 'webcrypto').toFixed(2)}   over the floor ${k === 'webcrypto' ? '' : over(k).toFixed(1) + ' us'}`);
if (us.verifyPlaybackAsync && us.verifyPlayback) console.log(`  verifyPlayback / verifyPlaybackAsync ${ratio('verifyPlayback', 'verifyPlaybackAsync').toFixed(1)}x`);
if (sink < 0) console.log(sink);
