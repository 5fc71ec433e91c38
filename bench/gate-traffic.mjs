// The edge gate benchmarks' viewers (bench/gate-workerd.mjs, bench/gate-ab.mjs): an ES256 key
// pair, each viewer's playback token as PlaybackTokenMinter shapes one, and each viewer's n-th
// segment request with what both gates must answer.
import crypto from 'node:crypto';

// The gate's segment tokens' secret in these benchmarks (the segmentTokens option's).
export const SEGMENT_SECRET = 'bench-segment-secret-of-at-least-32-bytes';

/**
 * `{ JWKS, mint(v, { iat, lifetime }), segment(v, n), segmentToken(v, { lifetime }) }` for viewers
 * of `titles` titles.
 */
export function gateTraffic({ titles = 100 } = {}) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const JWKS = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'e1', alg: 'ES256', use: 'sig' }] };
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const HEADER = b64({ alg: 'ES256', kid: 'e1', typ: 'JWT' });
  const capOf = (v) => (v % 4 === 0 ? 'SD' : 'HD');
  const titleOf = (v) => `t${v % titles}`;
  /** Viewer `v`'s playback token (scope: its title's folder; ent.maxQuality SD or HD; jti, iat, exp). */
  function mint(v, { iat = Math.floor(Date.now() / 1000), lifetime = 300 } = {}) {
    const payload = b64({
      sub: `viewer-${v}`, aud: 'edge', iat, exp: iat + lifetime, jti: crypto.randomBytes(16).toString('base64url'),
      scope: { permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: `/${titleOf(v)}/` } }] },
      ent: { maxQuality: capOf(v) },
    });
    const data = `${HEADER}.${payload}`;
    return `${data}.${crypto.sign('sha256', Buffer.from(data), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  }
  /** Viewer v's n-th segment request: its path and the answer (10% refused: half out of scope, half above the cap). */
  function segment(v, n) {
    const own = capOf(v) === 'SD' ? '480p' : '1080p';
    if ((v + n) % 10 !== 9) return { path: `/${titleOf(v)}/${own}/seg${n}.ts`, status: 200, code: null };
    if ((v + n) % 20 === 9) return { path: `/${titleOf(v + 1)}/${own}/seg${n}.ts`, status: 403, code: 'SCOPE_DENIED' };
    return { path: `/${titleOf(v)}/2160p/seg${n}.ts`, status: 403, code: 'QUALITY_EXCEEDS_ENTITLEMENT' };
  }
  /**
   * Viewer v's segment token for its title's folder, at its cap, made with node:crypto from the
   * README's format: `v1.<exp>.<until>.<cap>.<country>.<tag>`, the tag the base64url of the first
   * 16 bytes of HMAC-SHA256(secret, "playgate-segment-v1\n" + folder + "\n" + exp + "\n" + until
   * + "\n" + cap + "\n" + country).
   */
  function segmentToken(v, { lifetime = 3600 } = {}) {
    const exp = Math.floor(Date.now() / 1000) + lifetime;
    const cap = capOf(v) === 'SD' ? 1 : 2;
    const signed = ['playgate-segment-v1', `/${titleOf(v)}/`, exp, exp, cap, '-'].join('\n');
    const tag = crypto.createHmac('sha256', SEGMENT_SECRET).update(signed).digest().subarray(0, 16).toString('base64url');
    return `v1.${exp}.${exp}.${cap}.-.${tag}`;
  }
  return { JWKS, mint, segment, segmentToken };
}
