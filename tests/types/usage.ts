// Type-checked against the generated pkg/web/index.d.ts by `./build.sh build` (tsc --noEmit).
// It uses the API exactly as the README shows it; a drift in the generated types fails the build.
import init, {
  Policy, Entitlement, qualityForSize, DECISION_CODES, PermissionScope, decodeMomentoToken,
  type UnverifiedMomentoToken, type ScopeExplanation,
  type Decision, type DecisionRequest, type PolicyJson, type Quality, type CatalogDecisions, type PlaygateError,
  CacheClient, CacheError, EntitlementStore, type StoreDecision,
} from 'playgate';
import { JwtVerifier, MomentoTokenIssuer, createGate, type Gate, type VerifiedJwt, type VerifiedPlayback, type JwtVerifierConfig, type IssuedMomentoToken } from 'playgate/edge';

async function main(): Promise<void> {
  await init();
  const json: PolicyJson = {
    claimSets: [{ key: 'hd', claims: ['ENTITY_TYPE_MOVIES', 'QUALITY_HD'] }],
    plans: [{ id: 'basic', claimSetKeys: ['hd'] }],
    tiers: { premium: { maxQuality: 'UHD1' } },
  };
  const policy: Policy = Policy.fromJson(json);
  const empty = new Policy();
  const ent = Entitlement.fromBlob('{"plan": "basic"}');
  const ent2 = Entitlement.fromBlob(new TextEncoder().encode('{}'));
  const ent3 = Entitlement.fromDictionary({ region: 'US,CA' });
  const ent4 = Entitlement.fromDictionary(new Map([['plan', 'basic']]));
  const ent5 = Entitlement.fromBlob('{}', { maxBytes: 4 << 20 });
  const ent6 = Entitlement.fromDictionary({ region: 'US' }, { maxBytes: 4096 });
  const request: DecisionRequest = {
    entityId: 'movie-123', country: 'DE', device: 'web', now: Date.now(), allowPersistence: false,
    licenses: [{ countries: ['DE'], start: '2024-01-01T00:00:00Z', end: new Date() }],
  };
  const d: Decision = policy.evaluate(ent, request);
  const allowed: boolean = d.allowed;
  const q: Quality | null = d.maxQuality;
  const until: number | null = d.validUntil;
  const many: Decision[] = empty.evaluateMany(ent2, [request, { entityId: 'movie-1' }]);
  const page: CatalogDecisions = policy.evaluateCatalog(ent3, ['movie-1', 'movie-2'], { country: 'US', now: Date.now() });
  const shown: string[] = page.allowedIds();
  const firstCode = page.code(0);
  const quality: Quality = qualityForSize(1920, 1080);
  const codes: readonly string[] = DECISION_CODES;
  try {
    Policy.fromJson('{');
  } catch (e) {
    const code: string = (e as PlaygateError).code;
    void code;
  }
  ent4.free();
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] });
  const mayRead: boolean = scope.allows('get', 'media', '/Movie1/1080p/segment1.ts');
  const maySubscribe: boolean = scope.allowsTopic('subscribe', 'demo', 'test');
  const why: ScopeExplanation = scope.explain('get', 'media', '/Movie2/a.ts');
  const fromToken: UnverifiedMomentoToken = decodeMomentoToken('token');
  const unverified: false = fromToken.verified;
  const tokenScope: PermissionScope | null = fromToken.scope;
  const p = PermissionScope.fromProtobuf('CAA=');
  const superUser: boolean = p.isSuperUser;
  void [mayRead, maySubscribe, why, unverified, tokenScope, superUser];
  const config: JwtVerifierConfig = { algorithms: ['RS256'], keys: { keys: [] }, issuer: 'ax-user-service', leewaySeconds: 30 };
  const verifier = JwtVerifier.fromJson(config);
  const verified: VerifiedJwt = verifier.verify('token', { now: Date.now() });
  const mosaic = JwtVerifier.mosaicEndUser({ keys: [] });
  const playback: VerifiedPlayback = await verifier.verifyPlaybackAsync('token', { now: new Date() });
  const segmentAllowed: boolean = playback.scope.allows('get', 'media', '/Movie1/1080p/segment1.ts');
  void [verified.claims, verified.algorithm, mosaic, playback.entitlement?.maxQuality, segmentAllowed];
  void [allowed, q, until, many, shown, firstCode, quality, codes];

  // Issue 4: the cache client and the entitlement store, as the README shows them.
  const cache = new CacheClient({ token: 'token', baseUrl: 'http://127.0.0.1:9090', timeoutMs: 2000 });
  const blob: Uint8Array | null = await cache.get('entitlements', 'user-42');
  await cache.set('entitlements', 'user-42', '{}', { ttlSeconds: 60 });
  await cache.delete('entitlements', 'user-42');
  const store = new EntitlementStore({ cache, cacheName: 'entitlements', policy });
  const decided: StoreDecision = await store.decide('user-42', { entityId: 'movie-123', country: 'DE', device: 'web' });
  const fromSdk = new EntitlementStore({ policy, load: async () => ({ type: 'Miss' }) });
  try {
    await cache.get('media', '/Movie2/a.ts');
  } catch (e) {
    if (e instanceof CacheError) void [e.code, e.status, e.local];
  }
  const issuer = MomentoTokenIssuer.fromJson({ secret: { kty: 'oct', k: 'x' }, endpoint: '127.0.0.1' });
  const minted: string = issuer.mint({ scope: { permissions: [] }, tokenId: 'user-42', lifetimeSeconds: 60 });
  const issued: IssuedMomentoToken = issuer.verify(minted);
  void [blob, decided.allowed, decided.cause, fromSdk, issued.scope];
}
void main;

// The edge gate with segment tokens (issue 15's contract shape).
const gate: Gate = createGate({
  verifier: { algorithms: ['ES256'], keys: { keys: [] }, audience: 'edge' },
  origin: 'https://origin.example',
  country: { headers: ['CF-IPCountry'] },
  segmentTokens: { secret: 'x'.repeat(32), lifetimeSeconds: 120, via: 'uri' },
  uncappedRenditions: ['audio_aac'],
});
// forwardHeaders: a list, or 'all'; the fetch option's headers a plain object or Headers.
createGate({
  verifier: { algorithms: ['ES256'], keys: { keys: [] } },
  origin: 'https://origin.example',
  forwardHeaders: ['range', 'x-request-id'],
  fetch: (url, init) => fetch(url, { method: init.method, headers: init.headers, signal: init.signal }),
});
createGate({ verifier: { algorithms: ['ES256'], keys: { keys: [] } }, origin: 'https://origin.example', forwardHeaders: 'all' });
createGate({ verifier: { algorithms: ['ES256'], keys: { keys: [] } }, origin: 'https://origin.example', forwardQuery: ['v'] });
createGate({ verifier: { algorithms: ['ES256'], keys: { keys: [] } }, origin: 'https://origin.example', forwardQuery: false });
export default { fetch: (request: Request, env: unknown, ctx: unknown) => gate.fetch(request, env, ctx) };
