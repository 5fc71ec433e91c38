// playgate/shaka: a Shaka Player enforcing a playgate decision (js/players/shaka.mjs).
import type { PlayerGuard, PlayerGuardOptions } from './hls.js';

export type { GuardedRequest, PlayerGuard, PlayerGuardOptions } from './hls.js';

/**
 * Guards a Shaka Player (call it before load): restrictions.maxHeight from the cap, the MPD or
 * master capped with filterManifest in a response filter, every request checked against the
 * scope and the cap in a request filter and given the token, the token refreshed before exp.
 * Refusals are CRITICAL Shaka errors (NETWORK 1006) whose data[0].code says why.
 */
export declare function guardShaka(player: object, options: PlayerGuardOptions): PlayerGuard;
/** The exp (epoch seconds) of a JWT, read without verifying it; null when it has none. */
export declare function tokenExpiry(token: string): number | null;
