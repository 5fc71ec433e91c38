// The gate a careful user writes with jose (bench/gate-workerd.mjs's baseline): the public key
// imported once per isolate, `jwtVerify` on every request with the algorithm pinned and the
// audience checked, then the same checks as playgate's gate on the token's claims, done the
// simplest way: the `scope` claim's permissions (role readonly or readwrite on cache 'media', a
// keyPrefix the path starts with) and the `ent.maxQuality` cap against the rendition's height in
// `/{content}/{rendition}/{file}`. Refusals 401/403 JSON { code, reason }; what is allowed goes
// to the origin without the token.
import { importJWK, jwtVerify } from 'jose';
import { JWKS, MODE, ORIGIN, stubOrigin } from './config.mjs';

const key = await importJWK(JWKS.keys[0], 'ES256');
const originFetch = MODE === 'stub' ? stubOrigin : fetch;
const RANK = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };

function refuse(status, code, reason) {
  return new Response(JSON.stringify({ code, reason }), { status, headers: { 'content-type': 'application/json' } });
}

function quality(rendition) {
  const m = /^(\d+)p$/.exec(rendition ?? '');
  if (m === null) return null;
  const lines = Number(m[1]);
  return lines < 720 ? 'SD' : lines <= 1080 ? 'HD' : lines <= 2160 ? 'UHD1' : 'UHD2';
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const auth = request.headers.get('authorization');
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : url.searchParams.get('token');
    if (!token) return refuse(401, 'TOKEN_MISSING', 'no playback token');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ['ES256'], audience: 'edge' }));
    } catch (error) {
      const code = error.code === 'ERR_JWT_EXPIRED' ? 'TOKEN_EXPIRED'
        : error.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'BAD_SIGNATURE' : 'MALFORMED_TOKEN';
      return refuse(401, code, error.message);
    }
    const path = decodeURIComponent(url.pathname);
    const allowed = payload.scope?.permissions?.some((p) => (p.role === 'readonly' || p.role === 'readwrite')
      && p.cache === 'media' && typeof p.item?.keyPrefix === 'string' && path.startsWith(p.item.keyPrefix));
    if (!allowed) return refuse(403, 'SCOPE_DENIED', `the token does not allow ${path}`);
    const cap = payload.ent?.maxQuality;
    if (cap) {
      const q = quality(path.split('/')[2]);
      if (q === null || !(RANK[q] <= RANK[cap])) return refuse(403, 'QUALITY_EXCEEDS_ENTITLEMENT', `${path} is above ${cap}`);
    }
    const headers = new Headers(request.headers);
    headers.delete('authorization');
    return originFetch(ORIGIN + url.pathname, { headers });
  },
};
