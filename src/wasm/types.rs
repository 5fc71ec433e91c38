//! TypeScript declarations for what the JS layer adds on top of the generated classes.
//! wasm-bindgen writes this text into the package's `.d.ts`; interfaces named like a class
//! merge into it, so `Policy` gets the `evaluate*` methods that `js/api.mjs` installs.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A quality class, by the shorter side of the picture: SD < 720 < HD <= 1080 < UHD1 <= 2160 < UHD2. */
export type Quality = 'SD' | 'HD' | 'UHD1' | 'UHD2';

/** Why a decision denies, in check order. */
export type DecisionCode =
  | 'ENTITLEMENT_NOT_YET_VALID' | 'ENTITLEMENT_EXPIRED' | 'COUNTRY_UNKNOWN'
  | 'LICENSE_NOT_FOUND' | 'LICENSE_IS_NOT_VALID' | 'CONTENT_NOT_ALLOWED'
  | 'SUBSCRIPTION_NOT_ACTIVE' | 'NO_CLAIMS' | 'ENTITY_TYPE_NOT_ALLOWED'
  | 'PERSISTENCE_NOT_ALLOWED' | 'COUNTRY_NOT_ALLOWED' | 'DEVICE_NOT_ALLOWED';

/** The `code` of a thrown error. */
export type ErrorCode =
  | 'INVALID_POLICY' | 'INVALID_ENTITLEMENT' | 'INVALID_REQUEST' | 'INVALID_ENTITY_ID'
  | 'INVALID_SCOPE' | 'MALFORMED_TOKEN' | 'INVALID_KEY' | 'ALGORITHM_NOT_ALLOWED' | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE' | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'WRONG_ISSUER' | 'WRONG_AUDIENCE'
  | 'ENTITLEMENT_MISSING' | 'ENTITLEMENT_UNAVAILABLE' | 'WASM_UNAVAILABLE' | 'INVALID_MANIFEST'
  | 'NOTHING_PLAYABLE' | 'INVALID_ARGUMENT';

/** An error thrown by playgate: a real `Error` with a stable `code`. */
export interface PlaygateError extends Error { code: ErrorCode }

/** An instant: epoch milliseconds, RFC 3339 text, or a Date. */
export type Instant = number | string | Date;

/** The policy: Mosaic claim sets and plans, and tiers named by `subscription_level`. */
export interface PolicyJson {
  claimSets?: { key: string; claims: string[] }[] | null;
  plans?: { id: string; claimSetKeys: string[] }[] | null;
  tiers?: Record<string, { plan?: string | null; claims?: string[] | null; maxQuality?: Quality | null }> | null;
}

/** One licensing window of an entity (Mosaic semantics). */
export interface License { countries?: string[] | null; start?: Instant | null; end?: Instant | null }

/** One decision request. */
export interface DecisionRequest {
  entityId: string;
  entityType?: 'movie' | 'episode' | 'channel' | null;
  ancestors?: string[] | null;
  country?: string | null;
  device?: string | null;
  now?: Instant | null;
  allowPersistence?: boolean | null;
  licenses?: License[] | null;
}

/** What a catalog page shares across its titles. */
export interface CatalogContext {
  country?: string | null;
  device?: string | null;
  now?: Instant | null;
  allowPersistence?: boolean | null;
}

/** One decision: a denial is a value, not an error. */
export interface Decision {
  allowed: boolean;
  code: DecisionCode | null;
  reasons: DecisionCode[];
  claims: string[];
  maxQuality: Quality | null;
  allowPersistence: boolean;
  validUntil: number | null;
}

/** Options of `Entitlement.fromBlob` and `fromDictionary`. */
export interface EntitlementOptions {
  /** The largest document read, in bytes (a blob's bytes; a dictionary's names and values together): default 1 MiB (1048576), at most 64 MiB. */
  maxBytes?: number;
}

/**
 * A parsed entitlement document. It keeps its source; the parsed form lives in a bounded set of
 * wasm slots (at most 1,024 documents, about 8 MiB of source) and is read again when its slot
 * went to a newer document, so memory stays bounded without `free()`.
 */
export class Entitlement {
  private constructor();
  /** Gives the document's slot back now; deciding on it afterwards throws `INVALID_ENTITLEMENT`. */
  free(): void;
  [Symbol.dispose](): void;
  /**
   * Reads a cache blob: JSON text, or its UTF-8 bytes (`Uint8Array` / `ArrayBuffer`, copied), of
   * at most `options.maxBytes` (default 1 MiB, at most 64 MiB). Throws `INVALID_ENTITLEMENT`.
   */
  static fromBlob(blob: string | Uint8Array | ArrayBuffer, options?: EntitlementOptions | null): Entitlement;
  /**
   * Reads cache dictionary fields: a record or `Map` of string to string (or the Momento SDK's
   * dictionary fetch response), names and values together at most `options.maxBytes` (default
   * 1 MiB). Throws `INVALID_ENTITLEMENT`.
   */
  static fromDictionary(fields: Record<string, string> | Map<string, string>, options?: EntitlementOptions | null): Entitlement;
}

/** Decisions for a catalog page, one byte per title. */
export interface CatalogDecisions {
  readonly length: number;
  /** Low 4 bits: 0 = allowed, else 1 + the index of the code in DECISION_CODES; high 4 bits: max quality rank (0 = none). */
  readonly bytes: Uint8Array;
  readonly entityIds: readonly string[];
  allowed(index: number): boolean;
  code(index: number): DecisionCode | null;
  maxQuality(index: number): Quality | null;
  allowedIds(): string[];
}

export interface Policy {
  /** Decides one request. Throws `INVALID_REQUEST`, `INVALID_ENTITLEMENT` or `INVALID_ENTITY_ID` for malformed input. */
  evaluate(entitlement: Entitlement, request: DecisionRequest): Decision;
  /** Decides each request; one malformed request throws for the whole batch, naming its index. */
  evaluateMany(entitlement: Entitlement, requests: DecisionRequest[]): Decision[];
  /** Decides many titles sharing one context in a single call across the boundary. */
  evaluateCatalog(entitlement: Entitlement, entityIds: string[], context?: CatalogContext): CatalogDecisions;
}

/** Every decision code, in check order. */
export declare const DECISION_CODES: readonly DecisionCode[];
"#;

/// The scope and token declarations, present when the module has them (feature `scopes`).
#[cfg(feature = "scopes")]
#[wasm_bindgen(typescript_custom_section)]
const SCOPE_TYPES: &str = r#"
/** A Momento permission scope as the JS SDK's `JSON.stringify` writes it (`{}` = all). */
export interface PermissionScopeJson {
  permissions?: Array<{
    role: 'readwrite' | 'readonly' | 'writeonly' | 'publishsubscribe' | 'subscribeonly' | 'publishonly' | string;
    cache: string | { name?: string };
    item?: { key?: string; keyPrefix?: string };
    topic?: string | { name?: string; namePrefix?: string };
    func?: string | { name?: string; namePrefix?: string };
  }>;
  /** Only in playgate's serialisation of a super-user scope (the SDK has no JSON form for it). */
  superUser?: boolean;
}

/** Which permission allowed an operation, or why none did. */
export interface ScopeExplanation { allowed: boolean; permission: number | null; reason: string }

/**
 * A Momento permission scope. It keeps its source (JSON, protobuf or the token it came in) and
 * holds no wasm memory; `free()` only retires it.
 */
export class PermissionScope {
  private constructor();
  /** Retires the scope: using it afterwards throws `INVALID_SCOPE`. */
  free(): void;
  [Symbol.dispose](): void;
  /**
   * Reads a scope from the Momento JS SDK's scope object (its `AllCaches`, `AllTopics` and
   * `AllItems` sentinels included) or from its `JSON.stringify` text. Throws `INVALID_SCOPE`.
   */
  static fromJson(value: PermissionScopeJson | object | string): PermissionScope;
  /**
   * Reads a serialised `Permissions` protobuf message: bytes (copied), or the standard base64
   * text of a token's `p` claim. Throws `INVALID_SCOPE`.
   */
  static fromProtobuf(value: Uint8Array | string): PermissionScope;
  /** May `operation` (an SDK method name: get, set, delete, dictionaryFetch...) touch `key` in `cache`? Unknown operations are denied. */
  allows(operation: string, cache: string, key: string): boolean;
  /** May `operation` (publish, subscribe) touch `topic` in `cache`? */
  allowsTopic(operation: string, cache: string, topic: string): boolean;
  /** Says which permission allows `operation` on `key` in `cache`, or why none does. */
  explain(operation: string, cache: string, key: string): ScopeExplanation;
  /** Says which permission allows `operation` on `topic` in `cache`, or why none does. */
  explainTopic(operation: string, cache: string, topic: string): ScopeExplanation;
  /**
   * The SDK's JSON form, so `JSON.stringify(scope)` writes what the SDK would. Throws
   * `INVALID_SCOPE` for a scope that form cannot hold exactly (read from a protobuf: a role
   * that permits nothing, a missing selector, a key that is not UTF-8): never a wider form.
   */
  toJSON(): PermissionScopeJson;
  /** Whether this is the super-user scope. */
  readonly isSuperUser: boolean;
}

/**
 * What a Momento token says about itself. NOT VERIFIED: Momento signs its tokens, a client
 * cannot check them; treat every field, the scope included, as advisory.
 */
export interface UnverifiedMomentoToken {
  readonly verified: false;
  kind: 'disposable' | 'legacy' | 'v2';
  endpoint: string | null;
  httpBaseUrl: string | null;
  subject: string | null;
  /** Epoch milliseconds, or null (never expires). */
  expiresAt: number | null;
  scope: PermissionScope | null;
}
"#;
