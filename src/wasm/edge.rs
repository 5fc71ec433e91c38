//! Bindings of the edge module (feature `edge`): JWT verification. The player module has none
//! of this: it holds no keys.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::{js_error, json_text};
use playgate::error::{Error, ErrorCode};
use playgate::jwt::Verifier;
use playgate::time;

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

    /// Internal: verifies `token` at `now` (epoch ms); the JS layer defaults `now`.
    #[wasm_bindgen(js_name = _verify, skip_typescript)]
    pub fn verify(&self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        let now = time::from_epoch_f64(now)
            .ok_or_else(|| js_error(&Error::request("now: must be finite epoch milliseconds")))?;
        let verified = self.inner.verify(token, now).map_err(|e| js_error(&e))?;
        let object = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&object, &JsValue::from_str(k), &v);
        };
        set("algorithm", JsValue::from_str(verified.alg.name()));
        set(
            "keyId",
            verified
                .key_id
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
        );
        set(
            "claims",
            js_sys::JSON::parse(&verified.claims_json).unwrap_or(JsValue::NULL),
        );
        Ok(object.into())
    }
}

#[wasm_bindgen(typescript_custom_section)]
const EDGE_TYPES: &str = r#"
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

export interface JwtVerifier {
  /**
   * Verifies a token at `now` (default: the current time). Throws MALFORMED_TOKEN,
   * ALGORITHM_NOT_ALLOWED, UNKNOWN_KEY, BAD_SIGNATURE, TOKEN_EXPIRED, TOKEN_NOT_YET_VALID,
   * WRONG_ISSUER, WRONG_AUDIENCE.
   */
  verify(token: string, options?: { now?: number | string | Date }): VerifiedJwt;
}
"#;
