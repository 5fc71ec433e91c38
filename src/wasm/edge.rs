//! Bindings of the edge module (feature `edge`): JWT verification. The player module has none
//! of this: it holds no keys.

use js_sys::Object;
use wasm_bindgen::prelude::*;

use super::scope::{scope_from, scope_summary};
use super::{js_error, json_text, set};
use playgate::binding::time;
use playgate::binding::{check_device, parse_country};
use playgate::token::axinom::LicenseMessage;
use playgate::token::jwt::{PlaybackEntitlement, Signer, Verifier};
use playgate::token::momento::MomentoIssuer;
use playgate::Quality;
use playgate::{Error, ErrorCode};

/// Verifies JWTs with configured keys and algorithms (never the token's own `alg` choice).
#[wasm_bindgen(js_name = JwtVerifier)]
pub struct JsJwtVerifier {
    inner: Verifier,
}

#[wasm_bindgen(js_class = JwtVerifier)]
impl JsJwtVerifier {
    /// `{algorithms, keys (JWK | JWKS | JWK[]), issuer?, audience?, leewaySeconds?, requireKid?,
    /// requireExp?}`. Throws `INVALID_KEY`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "JwtVerifierConfig | string")] config: JsValue,
    ) -> Result<JsJwtVerifier, JsValue> {
        let text = json_text(&config, "verifier")
            .map_err(|m| js_error(&Error::new(ErrorCode::InvalidKey, m)))?;
        Verifier::from_json(&text)
            .map(|inner| JsJwtVerifier { inner })
            .map_err(|e| js_error(&e))
    }

    /// The Mosaic end-user token profile: RS256, `iss` = `ax-user-service`, `kid` required, keys
    /// from the user service's JWKS (object or JSON text). Throws `INVALID_KEY`.
    #[wasm_bindgen(js_name = mosaicEndUser)]
    pub fn mosaic_end_user(
        #[wasm_bindgen(unchecked_param_type = "object | string")] jwks: JsValue,
    ) -> Result<JsJwtVerifier, JsValue> {
        let text = json_text(&jwks, "jwks")
            .map_err(|m| js_error(&Error::new(ErrorCode::InvalidKey, m)))?;
        Verifier::mosaic_end_user(&text)
            .map(|inner| JsJwtVerifier { inner })
            .map_err(|e| js_error(&e))
    }

    /// The clock leeway for `exp` and `nbf`, in seconds (the edge gate holds the tokens it
    /// remembers to it).
    #[wasm_bindgen(getter, js_name = leewaySeconds)]
    pub fn leeway_seconds(&self) -> f64 {
        // At most 86,400 (from_json): exact as a double.
        i32::try_from(self.inner.leeway_seconds()).map_or(f64::MAX, f64::from)
    }

    /// Internal: verifies `token` at `now` (epoch ms); the JS layer defaults `now`.
    #[wasm_bindgen(js_name = _verify, skip_typescript)]
    pub fn verify(&self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        let verified = self
            .inner
            .verify(token, now_millis(now)?)
            .map_err(|e| js_error(&e))?;
        Ok(verified_parts(&verified).into())
    }

    /// Internal: a verification whose signature WebCrypto checks (ES256, RS256, EdDSA), for
    /// `verifyAsync` and (`playback`) `verifyPlaybackAsync`, from one parse of the token:
    /// `[signed, signature, [keyIndex, ...], verified, error]`: `verified` is what `_verify` or
    /// `_verifyPlayback` returns once the signature is valid for one of the keys, or `undefined`
    /// and `error` the error they throw then. `undefined` for an algorithm WebCrypto does not
    /// check (HS256): the JS layer verifies in wasm. Errors found before the signature are thrown.
    /// (Arrays, not objects: each property set from wasm is three calls into JS.)
    #[wasm_bindgen(js_name = _preparePlatform, skip_typescript)]
    pub fn prepare_platform(
        &self,
        token: &str,
        now: f64,
        playback: bool,
    ) -> Result<JsValue, JsValue> {
        let now = now_millis(now)?;
        let fail = |e: Error| js_error(&e);
        let (signed, signature, keys, outcome) = if playback {
            let Some(p) = self
                .inner
                .prepare_platform_playback(token, now)
                .map_err(fail)?
            else {
                return Ok(JsValue::UNDEFINED);
            };
            let outcome = p.if_signature_valid.map(|v| playback_parts(&v));
            (p.signed, p.signature, p.keys, outcome)
        } else {
            let Some(p) = self.inner.prepare_platform(token, now).map_err(fail)? else {
                return Ok(JsValue::UNDEFINED);
            };
            let outcome = p.if_signature_valid.map(|v| verified_parts(&v));
            (p.signed, p.signature, p.keys, outcome)
        };
        let indices = js_sys::Array::new();
        for index in keys {
            indices.push(&JsValue::from_f64(index as f64));
        }
        let (verified, error) = match outcome {
            Ok(parts) => (parts.into(), JsValue::UNDEFINED),
            Err(e) => (JsValue::UNDEFINED, fail(e)),
        };
        let parts = js_sys::Array::of3(
            &js_sys::Uint8Array::from(signed).into(),
            &js_sys::Uint8Array::from(signature.as_slice()).into(),
            &indices.into(),
        );
        parts.push(&verified);
        parts.push(&error);
        Ok(parts.into())
    }

    /// Internal: the public JWK (as configured) of key `index`, for WebCrypto to import.
    #[wasm_bindgen(js_name = _platformJwk, skip_typescript)]
    pub fn platform_jwk(&self, index: u32) -> Option<String> {
        self.inner.platform_jwk(index as usize).map(str::to_owned)
    }

    /// Internal: verifies a playback token; adds its `scope` (a PermissionScope) and `entitlement`.
    #[wasm_bindgen(js_name = _verifyPlayback, skip_typescript)]
    pub fn verify_playback(&self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        let playback = self
            .inner
            .verify_playback(token, now_millis(now)?)
            .map_err(|e| js_error(&e))?;
        Ok(playback_parts(&playback).into())
    }
}

/// `[algorithm, keyId, claimsJson, scopeSummary, scopeSource, entitlementJson]` of a verified
/// playback token (js/jwt.mjs makes the object): the PermissionScope is made from the scope's
/// summary and its source, the JSON it was read from (one read: no second JSON form written and
/// read back).
fn playback_parts(playback: &playgate::token::jwt::Playback) -> js_sys::Array {
    let parts = verified_parts(&playback.verified);
    parts.push(&JsValue::from_str(&scope_summary(&playback.scope)));
    parts.push(&JsValue::from_str(&playback.scope_json));
    parts.push(&JsValue::from_str(&playback.entitlement_json));
    parts
}

/// Mints playback tokens (trusted code only: an auth server or an edge function).
#[wasm_bindgen(js_name = PlaybackTokenMinter)]
pub struct JsPlaybackTokenMinter {
    inner: Signer,
}

#[wasm_bindgen(js_class = PlaybackTokenMinter)]
impl JsPlaybackTokenMinter {
    /// `{algorithm, key (a private JWK), kid?, issuer?, audience?, lifetimeSeconds? (default 300)}`.
    /// Throws `INVALID_KEY`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "PlaybackTokenMinterConfig | string")]
        config: JsValue,
    ) -> Result<JsPlaybackTokenMinter, JsValue> {
        let text = json_text(&config, "minter")
            .map_err(|m| js_error(&Error::new(ErrorCode::InvalidKey, m)))?;
        Signer::from_json(&text)
            .map(|inner| JsPlaybackTokenMinter { inner })
            .map_err(|e| js_error(&e))
    }

    /// Internal: mints a token for `scope` at `now`; the JS layer reads the options object.
    #[wasm_bindgen(js_name = _mint, skip_typescript)]
    #[expect(
        clippy::too_many_arguments,
        reason = "the JS layer passes the options read and checked"
    )]
    pub fn mint(
        &self,
        scope_kind: u32,
        scope_source: JsValue,
        subject: Option<String>,
        max_quality: Option<String>,
        country: Option<String>,
        device: Option<String>,
        now: f64,
    ) -> Result<String, JsValue> {
        let fail = |e: Error| js_error(&e);
        let now = now_millis(now)?;
        let scope = scope_from(scope_kind, &scope_source)?;
        let entitlement = if max_quality.is_some() || country.is_some() || device.is_some() {
            let max_quality = match max_quality.as_deref() {
                Some(q) => Some(Quality::parse(q).ok_or_else(|| {
                    fail(Error::request(
                        "entitlement.maxQuality: expected SD, HD, UHD1 or UHD2",
                    ))
                })?),
                None => None,
            };
            let country = country
                .as_deref()
                .map(parse_country)
                .transpose()
                .map_err(fail)?;
            if let Some(d) = &device {
                check_device(d).map_err(fail)?;
            }
            Some(PlaybackEntitlement {
                max_quality,
                country,
                device,
            })
        } else {
            None
        };
        self.inner
            .mint(&scope, subject.as_deref(), entitlement.as_ref(), now)
            .map_err(fail)
    }
}

/// A local stand-in for Momento's token vending: mints v1 (disposable) tokens of Momento's exact
/// shape signed with a local secret, and verifies them (the cache emulator's authority).
#[wasm_bindgen(js_name = MomentoTokenIssuer)]
pub struct JsMomentoTokenIssuer {
    inner: MomentoIssuer,
}

#[wasm_bindgen(js_class = MomentoTokenIssuer)]
impl JsMomentoTokenIssuer {
    /// `{secret (an oct JWK, at least 32 bytes), endpoint}`. Throws `INVALID_KEY`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "MomentoTokenIssuerConfig | string")] config: JsValue,
    ) -> Result<JsMomentoTokenIssuer, JsValue> {
        let text = json_text(&config, "issuer")
            .map_err(|m| js_error(&Error::new(ErrorCode::InvalidKey, m)))?;
        MomentoIssuer::from_json(&text)
            .map(|inner| JsMomentoTokenIssuer { inner })
            .map_err(|e| js_error(&e))
    }

    /// Internal: mints a v1 token; the JS layer reads the options object.
    #[wasm_bindgen(js_name = _mint, skip_typescript)]
    pub fn mint(
        &self,
        scope_kind: u32,
        scope_source: JsValue,
        token_id: &str,
        lifetime_seconds: f64,
        now: f64,
    ) -> Result<String, JsValue> {
        if lifetime_seconds.fract() != 0.0 || !lifetime_seconds.is_finite() {
            return Err(js_error(&Error::request(
                "lifetimeSeconds: expected whole seconds",
            )));
        }
        let scope = scope_from(scope_kind, &scope_source)?;
        self.inner
            .mint(&scope, token_id, lifetime_seconds as i64, now_millis(now)?)
            .map_err(|e| js_error(&e))
    }

    /// Internal: verifies a v1 token: `{endpoint, subject, expiresAt, scope}`.
    #[wasm_bindgen(js_name = _verify, skip_typescript)]
    pub fn verify(&self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        let issued = self
            .inner
            .verify(token, now_millis(now)?)
            .map_err(|e| js_error(&e))?;
        let object = Object::new();
        set(&object, "endpoint", JsValue::from_str(&issued.endpoint));
        set(&object, "subject", JsValue::from_str(&issued.subject));
        set(
            &object,
            "expiresAt",
            JsValue::from_f64(issued.expires_at as f64),
        );
        // The scope's summary: the JS layer makes the PermissionScope, the token its source.
        set(
            &object,
            "scope",
            JsValue::from_str(&scope_summary(&issued.scope)),
        );
        Ok(object.into())
    }
}

#[wasm_bindgen(typescript_custom_section)]
const EDGE_TYPES: &str = r#"
/** A local token issuer's configuration. */
export interface MomentoTokenIssuerConfig {
  /** An oct JWK of at least 32 bytes. */
  secret: object;
  /** The endpoint written into each token (e.g. "127.0.0.1"). */
  endpoint: string;
}

/** A verified local v1 token. */
export interface IssuedMomentoToken { endpoint: string; subject: string; expiresAt: number; scope: PermissionScope }

export interface MomentoTokenIssuer {
  /** A v1 token `base64({endpoint, api_key})`, `api_key` = HS256 JWT `{sub, ver: 1, p, exp}` as Momento writes them. */
  mint(options: { scope: PermissionScope | PermissionScopeJson; tokenId: string; lifetimeSeconds?: number; now?: number | string | Date }): string;
  /** Verifies a token this issuer minted. Throws MALFORMED_TOKEN, BAD_SIGNATURE, TOKEN_EXPIRED. */
  verify(token: string, options?: { now?: number | string | Date }): IssuedMomentoToken;
}

/** A JWT verifier's configuration: the algorithms are fixed here, never by the token. */
export interface JwtVerifierConfig {
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

/** A verified token. */
export interface VerifiedJwt {
  algorithm: 'HS256' | 'ES256' | 'EdDSA' | 'RS256';
  keyId: string | null;
  claims: Record<string, unknown>;
}

/** A playback token minter's configuration. */
export interface PlaybackTokenMinterConfig {
  algorithm: 'HS256' | 'ES256' | 'EdDSA' | 'RS256';
  /** The private JWK. */
  key: object;
  kid?: string;
  issuer?: string;
  audience?: string;
  /** Default 300 (five minutes). */
  lifetimeSeconds?: number;
}

/** What a playback token carries besides its scope. */
export interface PlaybackEntitlement { maxQuality?: Quality | null; country?: string | null; device?: string | null }

export interface PlaybackTokenMinter {
  /** A signed JWT with the scope (SDK JSON form), an optional entitlement summary (`ent`), a random `jti`, `iat` and `exp`. */
  mint(options: { scope: PermissionScope | PermissionScopeJson; subject?: string; entitlement?: PlaybackEntitlement; now?: number | string | Date }): string;
}

/** A verified playback token. */
export interface VerifiedPlayback extends VerifiedJwt { scope: PermissionScope; entitlement: PlaybackEntitlement | null }

export interface JwtVerifier {
  /**
   * `verify`, asynchronously: the same result, and the same error codes as a rejected promise
   * (never a throw). ES256, RS256 and EdDSA signatures are checked by the platform's WebCrypto
   * (P-256 and RSA are slow in wasm; a platform without the algorithm, or refusing the key, leaves
   * it to wasm); everything else (algorithm, key, claims) by playgate as in `verify`.
   */
  verifyAsync(token: string, options?: { now?: number | string | Date }): Promise<VerifiedJwt>;
  /** Verifies a playback token (as `verify`) and reads its scope; throws INVALID_SCOPE when it has none. */
  verifyPlayback(token: string, options?: { now?: number | string | Date }): VerifiedPlayback;
  /**
   * `verifyPlayback`, asynchronously, as `verifyAsync` is `verify`: the same fields (`scope` a
   * PermissionScope), the same error codes as a rejected promise (never a throw), the signature
   * checked by WebCrypto for ES256, RS256 and EdDSA.
   */
  verifyPlaybackAsync(token: string, options?: { now?: number | string | Date }): Promise<VerifiedPlayback>;
  /**
   * Verifies a token at `now` (default: the current time). Throws MALFORMED_TOKEN,
   * ALGORITHM_NOT_ALLOWED, UNKNOWN_KEY, BAD_SIGNATURE, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID,
   * WRONG_ISSUER, WRONG_AUDIENCE.
   */
  verify(token: string, options?: { now?: number | string | Date }): VerifiedJwt;
}
"#;

/// Internal: the Axinom license service message for the checked arguments of
/// `axinomLicenseMessage` (js/jwt.mjs); `expires_at` NaN for none.
#[wasm_bindgen(js_name = _axinomLicenseMessage, skip_typescript)]
pub fn axinom_license_message(
    key_ids: Vec<String>,
    com_key_id: &str,
    com_key: &str,
    policy: &str,
    allow_persistence: bool,
    expires_at: f64,
) -> Result<String, JsValue> {
    let expires_at = if expires_at.is_nan() {
        None
    } else {
        Some(time::from_epoch_f64(expires_at).ok_or_else(|| {
            js_error(&Error::new(
                ErrorCode::InvalidArgument,
                "expiresAt: must be finite epoch milliseconds",
            ))
        })?)
    };
    LicenseMessage {
        key_ids: &key_ids,
        com_key_id,
        com_key,
        policy,
        allow_persistence,
        expires_at,
    }
    .sign()
    .map_err(|e| js_error(&e))
}

/// `[algorithm, keyId, claimsJson]` of a verified token: js/jwt.mjs makes `{algorithm, keyId,
/// claims}` with the platform's `JSON.parse`, not serde-wasm-bindgen: that measured 8.6 KB more
/// of the edge module gzipped and HS256 `verify` 22% slower (ARCHITECTURE.md, "Dependencies").
/// An array of three strings, not an object: each property set from wasm is three calls into JS.
fn verified_parts(verified: &playgate::token::jwt::Verified) -> js_sys::Array {
    js_sys::Array::of3(
        &JsValue::from_str(verified.alg.name()),
        &verified
            .key_id
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
        &JsValue::from_str(&verified.claims_json),
    )
}

/// Reads `now` as the JS layer passes it.
fn now_millis(now: f64) -> Result<playgate::Millis, JsValue> {
    time::from_epoch_f64(now)
        .ok_or_else(|| js_error(&Error::request("now: must be finite epoch milliseconds")))
}
