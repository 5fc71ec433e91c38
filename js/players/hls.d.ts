// playgate/hls: an hls.js player enforcing a playgate decision (js/hls.mjs).
import type { Decision, PermissionScope } from '../web/index.js';

/** What guardHls and guardShaka take. */
export interface PlayerGuardOptions {
  /** policy.evaluate(...) or store.decide(...): a denied decision stops loading before any request. */
  decision: Decision;
  /** The playback token, attached to every request to the first request's origin or one of `origins` (Authorization: Bearer, or ?token= with tokenIn: 'query'). */
  token?: string | null;
  /** Keys outside this scope are refused before any request (`get` in `cacheName`, the key being the URL's path). */
  scope?: PermissionScope | null;
  /** Called `refreshBeforeSeconds` before the token's exp; resolves to the new token. A failure retries with back-off, then is a fatal player error TOKEN_REFRESH_FAILED. */
  refresh?: (() => Promise<string>) | null;
  /** Default 60. */
  refreshBeforeSeconds?: number;
  /** Default 'header'. */
  tokenIn?: 'header' | 'query';
  /** Default 'media'. */
  cacheName?: string;
  /** Origins (such as 'https://cdn.example') the token also goes to, beside the first request's (the manifest's). Default none. */
  origins?: string[];
  /** Epoch milliseconds now, for the decision's validUntil and the token's exp. Default Date.now. */
  clock?: () => number;
}

/** One request the guard saw, in order. */
export interface GuardedRequest {
  url: string;
  allowed: boolean;
  /** Why it was refused (SCOPE_DENIED, INVALID_PATH, QUALITY_EXCEEDS_ENTITLEMENT, RENDITION_UNKNOWN, ENTITLEMENT_EXPIRED, the decision's code, TOKEN_EXPIRED), or null. */
  reason: string | null;
  /** The answer's HTTP status once it came (0: none came: a network failure, a timeout, an abort); null while none came, or when refused. */
  status: number | null;
}

export interface PlayerGuard {
  /** The requests the guard saw, in order: the latest 10,000 (up to 11,000: trimmed 1,000 at a time). */
  readonly requests: GuardedRequest[];
  /** Puts the player's loaders back and stops refreshing. */
  detach(): void;
}

/**
 * Guards an hls.js player (call it before loadSource): the master is capped with filterManifest
 * in hls.js's playlist loader (no level above the cap ever exists), every request is checked
 * against the scope and the cap before it is sent and carries the token, the token is
 * refreshed before exp. Refusals are fatal hls.js ERRORs whose `error.code` says why. The
 * players hls.js makes beside it (interstitial assets, I-frame players) are guarded too.
 */
export declare function guardHls(hls: object, options: PlayerGuardOptions): PlayerGuard;
/** The exp (epoch seconds) of a JWT, read without verifying it; null when it has none. */
export declare function tokenExpiry(token: string): number | null;
