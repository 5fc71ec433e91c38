export * from './playgate.js';
export { default } from './playgate.js';

import type { Decision, DecisionRequest, Policy, Quality, UnverifiedMomentoToken } from './playgate.js';

/** Error codes of the cache client (`CacheError.code`). */
export type CacheErrorCode =
  | 'INVALID_REQUEST' | 'PERMISSION_DENIED' | 'TOKEN_EXPIRED' | 'AUTHENTICATION_FAILED'
  | 'CACHE_NOT_FOUND' | 'BAD_REQUEST' | 'THROTTLED' | 'SERVER_ERROR' | 'UNEXPECTED_RESPONSE'
  | 'TIMEOUT' | 'NETWORK_ERROR' | 'RESPONSE_TOO_LARGE';

/** A failure of the cache client. `local` is true when refused before any request was sent. */
export declare class CacheError extends Error {
  readonly code: CacheErrorCode;
  /** The HTTP status, when the service answered. */
  readonly status: number | null;
  /** Whether the failure is of a kind a read may retry (429, 5xx, timeout). */
  readonly retryable: boolean;
  readonly local: boolean;
  /** How many requests were sent. */
  readonly attempts: number;
}

export interface CacheClientOptions {
  /** A Momento token (v1 disposable, legacy or v2 key); with an explicit `baseUrl`, any token the service accepts. */
  token: string;
  /** The HTTP API base URL; default `https://api.cache.<endpoint>` from the token (required for v2 keys). */
  baseUrl?: string;
  /** One deadline for a whole call, retries included (default 5000). */
  timeoutMs?: number;
  /** Extra attempts for reads answered 429 or 5xx (default 2). */
  retries?: number;
  /** The first back-off, doubled per retry, with jitter (default 100). */
  retryDelayMs?: number;
  /** Responses over this many bytes are refused unread (default 5 MiB). */
  maxResponseBytes?: number;
  /** Where the token goes: the `Authorization` header (default) or the `token` query parameter. */
  tokenIn?: 'header' | 'query';
  /** Refuse locally what the token's decoded scope does not allow (default true). */
  checkScope?: boolean;
  /** The TTL for `set` when none is given. */
  defaultTtlSeconds?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof globalThis.fetch;
}

export interface CacheCallOptions { signal?: AbortSignal; timeoutMs?: number }

/** Scalar items over the cache's HTTP API, on the platform's `fetch`. */
export declare class CacheClient {
  constructor(options: CacheClientOptions);
  readonly baseUrl: string;
  /** What the token says about itself (advisory: only the service can verify it); null for a token that does not decode (accepted only with an explicit `baseUrl`). */
  readonly tokenInfo: UnverifiedMomentoToken | null;
  /** Whether the token's decoded scope lets it do `operation` on the key (advisory). */
  allows(operation: string, cacheName: string, key: string | Uint8Array): boolean;
  /** The item's bytes, or `null` on a miss. Retries 429/5xx; throws CacheError. */
  get(cacheName: string, key: string | Uint8Array, options?: CacheCallOptions & { maxBytes?: number }): Promise<Uint8Array | null>;
  set(cacheName: string, key: string | Uint8Array, value: string | Uint8Array | ArrayBuffer, options?: CacheCallOptions & { ttlSeconds?: number }): Promise<void>;
  delete(cacheName: string, key: string | Uint8Array, options?: CacheCallOptions): Promise<void>;
}

/** What a loader may return: a blob, dictionary fields, a Momento SDK dictionary response, or null. */
export type EntitlementSource = string | Uint8Array | ArrayBuffer | Record<string, string> | Map<string, string> | { type: string } | null | undefined;

export interface EntitlementStoreOptions {
  policy: Policy;
  /** Read blobs with this client (or anything with its `get`) from `cacheName`... */
  cache?: CacheClient | Pick<CacheClient, 'get'>;
  cacheName?: string;
  /** ...or with this loader (e.g. the Momento SDK's `dictionaryFetch`). */
  load?: (userKey: string, options: { signal?: AbortSignal }) => Promise<EntitlementSource> | EntitlementSource;
  /** Documents held at most (least recently used go first; default 1000). */
  maxEntries?: number;
  /** A document is re-read after this long at most (default 60000), sooner when a decision's validUntil comes first. */
  maxAgeMs?: number;
  /** How long "no document" is remembered (default 0: not at all). */
  missTtlMs?: number;
  /** A load that takes longer is abandoned (its `signal` aborted): ENTITLEMENT_UNAVAILABLE (default 10000). */
  loadTimeoutMs?: number;
  /** The largest document read, in bytes: a larger one is the denial ENTITLEMENT_INVALID (default 1 MiB, at most 64 MiB). */
  maxBytes?: number;
  /** The clock for ages and for requests without `now` (default Date.now). */
  clock?: () => number;
}

/** A decision from the store; a denial with ENTITLEMENT_* codes carries the failure as `cause`. */
export type StoreDecision = Omit<Decision, 'code' | 'reasons'> & {
  code: Decision['code'] | 'ENTITLEMENT_UNAVAILABLE' | 'ENTITLEMENT_MISSING' | 'ENTITLEMENT_INVALID';
  reasons: Array<StoreDecision['code'] & string>;
  cause?: { code: string | null; message: string } | null;
};

/** Reads, caches and decides users' entitlement documents; fails closed. */
export declare class EntitlementStore {
  constructor(options: EntitlementStoreOptions);
  readonly size: number;
  readonly stats: { hits: number; loads: number; failures: number };
  decide(userKey: string, request: DecisionRequest): Promise<StoreDecision>;
  invalidate(userKey: string): void;
  clear(): void;
}

/** A manifest capped to a quality by `filterManifest`. */
export interface FilteredManifest {
  /** What was read: an HLS playlist or a DASH MPD. */
  format: 'hls' | 'dash';
  /** The manifest with the renditions above the cap removed; every other byte as it was. */
  text: string;
  /** Video renditions kept: HLS variants (I-frame entries are not counted), DASH Representations. */
  kept: number;
  /** Video renditions removed. */
  removed: number;
}

/**
 * Removes the video renditions above `maxQuality` (by the shorter side of their picture) from
 * an HLS master playlist or a DASH MPD, given as text or UTF-8 bytes; `maxQuality: null` only
 * checks. Throws INVALID_MANIFEST (the message starts with the line: "line N: ..."),
 * NOTHING_PLAYABLE (video was there and none is within the cap) or INVALID_ARGUMENT.
 */
export declare function filterManifest(
  manifest: string | Uint8Array | ArrayBuffer,
  options: { maxQuality: Quality | null },
): FilteredManifest;

/** JwtVerifier.fromJson's options (the same fields), as createGate reads them: the algorithms are fixed here, never by the token. */
export interface GateVerifierConfig {
  algorithms: Array<'HS256' | 'ES256' | 'EdDSA' | 'RS256'>;
  /** A JWK, a JWKS ({ keys: [...] }) or a list of JWKs; each key's `kid` and `alg` are honoured. */
  keys: object | object[];
  issuer?: string;
  audience?: string;
  /** Clock leeway for exp and nbf, in seconds (default 60). */
  leewaySeconds?: number;
  /** Refuse tokens without `kid` (default false). */
  requireKid?: boolean;
  /** Refuse tokens without `exp` (default true). */
  requireExp?: boolean;
}

/** Options of `createGate` (the edge gate). */
export interface GateOptions {
  /**
   * The playback tokens' verifier: JwtVerifier.fromJson's options (algorithms pinned there),
   * checked on the platform's WebCrypto; or, in playgate/edge, a JwtVerifier (its verifyPlaybackAsync).
   */
  verifier: GateVerifierConfig | { verifyPlayback(token: string, options?: { now?: number }): unknown };
  /**
   * The origin's base URL (http or https; the request's path and query, without the tokens, are
   * appended), or the cache itself: each allowed path read with the cache HTTP API's get, the
   * decoded path as the key, from `cacheName` (default: the gate's cacheName).
   */
  origin: string | { cache: CacheClient | CacheClientOptions; cacheName?: string };
  /**
   * Where the viewer's country comes from: trusted request headers holding it (the first one
   * present), e.g. ['CF-IPCountry'], and/or a MaxMind country database (the .mmdb file's bytes:
   * GeoLite2/GeoIP2 Country or ip-location-db's country files) for the client's address: the
   * platform's (Deno's info.remoteAddr, gate.node's socket) or, with `ipHeader`, a trusted
   * header's (Cloudflare: 'CF-Connecting-IP'). Headers first, the database when none is present.
   */
  country?: { headers?: string[]; mmdb?: Uint8Array | ArrayBuffer; ipHeader?: string } | null;
  /** How paths name content, rendition and file (default '/{content}/{rendition}/{file}', seed 000's MediaStore layout). */
  layout?: string;
  /** The cache the token's scope must allow `get` on for the path (default 'media', seed 000's cache). */
  cacheName?: string;
  /** Verified tokens remembered (least recently used go first; default 1000; 0: none). */
  maxTokens?: number;
  /**
   * The origin's deadline per request, in ms (default 10000): no answer by then is 502
   * ORIGIN_UNAVAILABLE. null: no deadline of the gate's own (in Node and Deno the client's going
   * away, and the platform's own limits, still end the origin request; in workerd nothing does).
   * In workerd (compatibility date 2024-10-14 or later) the requests' deadlines share one timer,
   * run in `ctx.waitUntil` of the request that started it: give the gate `ctx` (without it, a
   * deadline may be met only when the next request arrives).
   */
  timeoutMs?: number | null;
  /** The clock, epoch ms (default Date.now). */
  clock?: () => number;
  /**
   * The fetch used to reach the origin (default the global fetch). `init.headers` is a plain
   * object of the forwarded headers (a Headers with `forwardHeaders: 'all'`). In workerd a
   * request with no forwarded header gets `{ redirect: 'manual' }` only (`method: 'HEAD'` for
   * HEAD): an init with more costs workerd more.
   */
  fetch?: (url: string, init: { method?: string; headers?: Record<string, string> | Headers; redirect: 'manual'; signal?: AbortSignal }) => Promise<Response>;
  /**
   * The viewer's request headers the origin gets (default: range, if-range, if-none-match,
   * if-modified-since: what serves media, nothing about the viewer), or 'all' (every header but
   * the tokens' carriers: Authorization, and the gate's own cookies out of Cookie). Never
   * forwarded: authorization, cookie, host, proxy-authorization, hop-by-hop headers and
   * accept-encoding (the origin is asked for `identity`; in workerd for nothing).
   */
  forwardHeaders?: string[] | 'all';
  /**
   * The client's query the origin gets: true (default: as sent, without the gate's `token` and
   * `segment_token` parameters, read as URLSearchParams reads them; the other pairs as written),
   * false (none), or the names of the parameters that go on (each pair as the client wrote it,
   * in its order; a name read as URLSearchParams reads it). Not with a cache origin (it reads
   * keys by path: INVALID_ARGUMENT).
   */
  forwardQuery?: boolean | string[];
  /**
   * Segment tokens the gate mints itself for a title's folder, so players with no request hooks
   * (Safari's native HLS) reach every segment: written into the URIs of the playlists and MPDs it
   * serves (`via: 'uri'`, the `segment_token` query parameter) or set as an HttpOnly cookie on
   * the folder (`via: 'cookie'`, `playgate_segment`). HMAC-SHA256 with `secret` (at least 32
   * bytes), bound to the folder, the cap and the country; `lifetimeSeconds` 1..3600 (default 120,
   * plus a VOD playlist's duration); a playlist renews an expired one until `sessionSeconds`
   * (default 21600) after the session's first.
   */
  segmentTokens?: { secret: string | Uint8Array | ArrayBuffer; lifetimeSeconds?: number; via?: 'uri' | 'cookie'; sessionSeconds?: number } | null;
  /** Rendition names that are not video (audio, subtitles): no quality cap applies to them (default none). */
  uncappedRenditions?: string[];
  /**
   * CORS, for a player page on another origin (default none: same origin only, OPTIONS is 405):
   * preflights from `origins` answered 204 (GET, HEAD, the headers asked for), and every answer to
   * them, refusals included, carries Access-Control-Allow-Origin. `credentials` (cookies: segment
   * tokens via 'cookie' across origins) needs the origins named.
   */
  cors?: { origins: string[] | '*'; credentials?: boolean; maxAgeSeconds?: number } | null;
}

/** What a refusal's JSON body carries: `{ code, reason }`. */
export type GateRefusalCode =
  | 'TOKEN_MISSING' | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'BAD_SIGNATURE' | 'MALFORMED_TOKEN'
  | 'ALGORITHM_NOT_ALLOWED' | 'UNKNOWN_KEY' | 'WRONG_ISSUER' | 'WRONG_AUDIENCE'
  | 'SCOPE_DENIED' | 'QUALITY_EXCEEDS_ENTITLEMENT' | 'COUNTRY_NOT_ALLOWED' | 'COUNTRY_UNKNOWN' | 'RENDITION_UNKNOWN'
  | 'SEGMENT_TOKEN_INVALID' | 'SEGMENT_TOKEN_EXPIRED' | 'NOT_FOUND' | 'ORIGIN_NOT_ALLOWED'
  | 'INVALID_PATH' | 'METHOD_NOT_ALLOWED' | 'ORIGIN_UNAVAILABLE' | 'INVALID_MANIFEST' | 'NOTHING_PLAYABLE' | 'GATE_ERROR';

/** What `gate.node` reads of node:http's IncomingMessage. */
export interface GateNodeRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: { readonly host?: string };
  readonly rawHeaders: readonly string[];
  /** Read for `encrypted` (a TLS socket: https). */
  readonly socket: object | null;
}

/** What `gate.node` uses of node:http's ServerResponse. */
export interface GateNodeResponse {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, statusText: string | undefined, headers: Record<string, string | string[]>): unknown;
  writeHead(status: number, headers: Record<string, string | string[]>): unknown;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string): unknown;
  destroy(): unknown;
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** An edge gate: `export default { fetch: (request, env, ctx) => gate.fetch(request, env, ctx) }`. */
export interface Gate {
  /**
   * Refusals are JSON { code, reason }: 401 (token), 403 (scope, quality, country, rendition),
   * 400 INVALID_PATH, 405; origin failures 502 ORIGIN_UNAVAILABLE; a manifest the filter refuses
   * 502 with its code. Rejects (INVALID_ARGUMENT) only when `request` is not a Request.
   */
  fetch(request: Request, env?: unknown, ctx?: unknown): Promise<Response>;
  /**
   * The node:http adapter: `http.createServer(gate.node)`. The request becomes a Request (method,
   * absolute URL from the Host header and the socket's scheme, headers, no body: methods other
   * than GET and HEAD are refused 405 by `fetch`), aborted when the client disconnects (the origin
   * request with it); the Response is written back (status, headers, every Set-Cookie, the body
   * streamed, none for HEAD). Never throws: a failure before the headers is 500 GATE_ERROR, one
   * after them closes the connection. Typed structurally: no node: types are needed.
   */
  readonly node: (req: GateNodeRequest, res: GateNodeResponse) => void;
  /** How many verified tokens are remembered now. */
  readonly tokensCached: number;
}

/**
 * The edge gate (first slice): verifies the playback token once (then remembers it; exp and nbf
 * checked at every use), allows a path when the token's scope allows `get` on it in `cacheName`,
 * its rendition is within the token's maxQuality and the viewer's country is the token's; proxies
 * it to `origin`, capping master playlists and MPDs. Throws INVALID_ARGUMENT (options), INVALID_KEY (verifier).
 */
export declare function createGate(options: GateOptions): Gate;

// @edge-begin (build.sh drops this block from the player module's types)
/**
 * The Axinom DRM license service message for a title's content keys: a JWT signed HS256 with
 * the communication key (server side only). Key ids are trimmed and de-duplicated ignoring
 * case (the first spelling kept); `expiresAt` becomes the envelope's `expiration_date`.
 * Throws INVALID_ARGUMENT (no key id, an empty one, an unknown policy), INVALID_KEY (comKey).
 */
export declare function axinomLicenseMessage(options: {
  keyIds: string[];
  comKeyId: string;
  /** The communication key, base64 or base64url, padding optional. */
  comKey: string;
  /** Default DEFAULT. */
  policy?: 'DEFAULT' | 'DEV' | 'STRICT' | null;
  /** The decision's `allowPersistence`; default false. */
  allowPersistence?: boolean | null;
  /** Epoch ms or a Date; default none. */
  expiresAt?: number | Date | null;
}): string;

// @edge-end

/** Each packaging origin's own filter for a cap: a query string, or null with its reason. */
export interface PackagerFilters {
  /** AWS Elemental MediaPackage: `aws.manifestfilter=video_height:1-N`. */
  mediaPackage: string | null;
  /** Unified Origin: `filter=` with a dynamic track selection expression, percent-encoded. */
  unifiedOrigin: string | null;
  /** Mux: `max_resolution=...`. */
  mux: string | null;
  /** Why a filter is null, by its name. */
  reasons: { mediaPackage?: string; unifiedOrigin?: string; mux?: string };
}

/** The cap `maxQuality` as each packaging origin's own manifest filter (never looser than the cap). */
export declare function packagerFilters(maxQuality: Quality | null): PackagerFilters;
