//! JWT verification for edge functions, with jwt-compact (feature `jwt`; not in the player
//! module, which never holds keys).
//!
//! Trust shows in the types: a token string is untrusted until [`Verifier::verify`] returns
//! [`Verified`]. The accepted algorithms come from the configuration, never from the token
//! header: a token whose `alg` is not configured, or for which no configured key of that
//! algorithm's type exists, is refused before any signature check (so `alg: none` and HS/RS
//! confusion cannot happen). Time is injected: `verify` takes `now`.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use jwt_compact::alg::{Ed25519, Es256, Hs256, Rsa};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{
    AlgorithmExt as _, AlgorithmSignature as _, Claims, Token, UntrustedToken, ValidationError,
};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::wire::time::Millis;

/// A signature algorithm playgate verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// HMAC with SHA-256 (keys of at least 32 bytes).
    Hs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (keys of at least 2,048 bits).
    Rs256,
}

impl Alg {
    /// The JOSE name (`HS256`, `ES256`, `EdDSA`, `RS256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Rs256 => "RS256",
        }
    }

    fn parse(name: &str) -> Option<Alg> {
        [Self::Hs256, Self::Es256, Self::EdDsa, Self::Rs256]
            .into_iter()
            .find(|a| a.name() == name)
    }
}

enum KeyMaterial {
    Hs256(<Hs256 as jwt_compact::Algorithm>::VerifyingKey),
    Es256(<Es256 as jwt_compact::Algorithm>::VerifyingKey),
    EdDsa(<Ed25519 as jwt_compact::Algorithm>::VerifyingKey),
    Rs256(<Rsa as jwt_compact::Algorithm>::VerifyingKey),
}

impl KeyMaterial {
    fn alg(&self) -> Alg {
        match self {
            Self::Hs256(_) => Alg::Hs256,
            Self::Es256(_) => Alg::Es256,
            Self::EdDsa(_) => Alg::EdDsa,
            Self::Rs256(_) => Alg::Rs256,
        }
    }
}

struct Key {
    kid: Option<String>,
    material: KeyMaterial,
    /// The public JWK as configured, for a platform verifier (WebCrypto) to import.
    jwk: String,
}

/// The algorithms whose signatures a platform verifier (WebCrypto) may check: those slow in
/// wasm that WebCrypto has in Node 20, browsers and workerd (Ed25519 as `{name: "Ed25519"}`).
/// HS256 is as fast in wasm as the platform's call costs.
pub const PLATFORM_ALGS: [Alg; 3] = [Alg::Es256, Alg::Rs256, Alg::EdDsa];

/// A token checked up to its signature, for a platform verifier (WebCrypto) to finish: what the
/// platform must check, and what the verification gives once it has. Built by
/// [`Verifier::prepare_platform`] and [`Verifier::prepare_platform_playback`] from one parse of
/// the token: the header, key choice and claims are read once, and nothing is left to do in
/// wasm after the platform's check.
#[derive(Debug, Clone)]
pub struct PlatformVerification<'t, T> {
    /// The signed bytes: `header.payload` as written.
    pub signed: &'t [u8],
    /// The signature bytes (ES256: r and s, 32 bytes each).
    pub signature: Vec<u8>,
    /// The candidate keys: their index in the verifier (see [`Verifier::platform_jwk`]), in
    /// the order the synchronous path tries them.
    pub keys: Vec<usize>,
    /// What the synchronous path returns for this token when its signature is valid for one of
    /// `keys` (the claims checked at `now`; a claims error in the order that path reports it).
    /// **Untrusted until the platform found the signature valid:** otherwise the answer is
    /// `BAD_SIGNATURE`, whatever this holds. (What the wasm path reports before the signature
    /// itself, a signature of the wrong length or form and claims that do not read, is the
    /// error of the `prepare_platform` call.)
    pub if_signature_valid: Result<T, Error>,
}

fn unknown_key(alg: Alg, kid: Option<&str>) -> Error {
    let which = kid.map_or_else(String::new, |k| format!(" with kid \"{k}\""));
    error(
        ErrorCode::UnknownKey,
        format!("no {} key{which}", alg.name()),
    )
}

/// A verified token: its algorithm, key id and claims (as JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The algorithm the signature was checked with.
    pub alg: Alg,
    /// The `kid` of the header, if any.
    pub key_id: Option<String>,
    /// The claims, as a JSON object's text (`exp`, `nbf`, `iat` as seconds).
    pub claims_json: String,
}

/// Verifies tokens against configured keys, algorithms, issuer, audience and clock leeway.
pub struct Verifier {
    algorithms: Vec<Alg>,
    keys: Vec<Key>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_seconds: i64,
    require_kid: bool,
    require_exp: bool,
}

fn error(code: ErrorCode, message: impl Into<String>) -> Error {
    Error::new(code, message)
}

fn config_error(message: impl Into<String>) -> Error {
    error(ErrorCode::InvalidKey, message)
}

/// The options of [`Verifier::from_json`] (`JwtVerifier.fromJson`). Unknown fields are
/// errors: a misspelt `audiance` must not leave the audience unchecked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifierConfig {
    algorithms: Vec<String>,
    /// A JWK, a JWKS (`{keys: [...]}`) or a list of JWKs: told apart after reading.
    keys: Value,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_seconds: Option<i64>,
    require_kid: Option<bool>,
    require_exp: Option<bool>,
}

/// The options of [`Signer::from_json`] (`PlaybackTokenMinter.fromJson`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignerConfig {
    algorithm: String,
    key: Value,
    kid: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
    lifetime_seconds: Option<i64>,
}

impl Verifier {
    /// The clock leeway for `exp` and `nbf`, in seconds.
    pub fn leeway_seconds(&self) -> i64 {
        self.leeway_seconds
    }

    /// Reads `{algorithms, keys, issuer?, audience?, leewaySeconds?, requireKid?, requireExp?}`:
    /// `keys` is a JWK, a JWKS (`{keys: [...]}`) or a list of JWKs; a key's `kid` and `alg` are
    /// honoured. Errors (`INVALID_KEY`) name the key.
    pub fn from_json(config: &str) -> Result<Verifier, Error> {
        let config: VerifierConfig =
            serde_json::from_str(config).map_err(|e| config_error(format!("verifier: {e}")))?;
        let algorithms = config
            .algorithms
            .iter()
            .map(|a| {
                Alg::parse(a).ok_or_else(|| {
                    config_error(format!(
                        "algorithms: \"{a}\" is not HS256, ES256, EdDSA or RS256"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if algorithms.is_empty() {
            return Err(config_error("algorithms: at least one"));
        }
        let jwks: Vec<&Value> = match &config.keys {
            Value::Array(list) => list.iter().collect(),
            Value::Object(o) if o.contains_key("keys") => o
                .get("keys")
                .and_then(Value::as_array)
                .ok_or_else(|| config_error("keys.keys: expected a list"))?
                .iter()
                .collect(),
            single @ Value::Object(_) => vec![single],
            _ => {
                return Err(config_error(
                    "keys: expected a JWK, a JWKS or a list of JWKs",
                ))
            }
        };
        let mut keys = Vec::with_capacity(jwks.len());
        for (i, jwk) in jwks.into_iter().enumerate() {
            let read =
                read_key(jwk).map_err(|e| config_error(format!("keys[{i}]: {}", e.message())))?;
            keys.extend(read);
        }
        let leeway_seconds = match config.leeway_seconds {
            None => 60,
            Some(s) if (0..=86_400).contains(&s) => s,
            Some(_) => {
                return Err(config_error(
                    "leewaySeconds: expected whole seconds between 0 and 86400",
                ))
            }
        };
        Ok(Verifier {
            algorithms,
            keys,
            issuer: config.issuer,
            audience: config.audience,
            leeway_seconds,
            require_kid: config.require_kid.unwrap_or(false),
            require_exp: config.require_exp.unwrap_or(true),
        })
    }

    /// The Mosaic end-user token profile: RS256 only, `iss` = `ax-user-service`, `kid`
    /// required, keys from the user service's JWKS, `exp` enforced.
    pub fn mosaic_end_user(jwks: &str) -> Result<Verifier, Error> {
        let keys: Value =
            serde_json::from_str(jwks).map_err(|e| config_error(format!("jwks: {e}")))?;
        let config = serde_json::json!({
            "algorithms": ["RS256"], "keys": keys, "issuer": "ax-user-service", "requireKid": true, "requireExp": true,
        });
        Verifier::from_json(&config.to_string())
    }

    /// Verifies `token` at `now` (epoch ms). Errors: `MALFORMED_TOKEN`, `ALGORITHM_NOT_ALLOWED`,
    /// `UNKNOWN_KEY`, `BAD_SIGNATURE`, `TOKEN_EXPIRED`, `TOKEN_NOT_YET_VALID`, `WRONG_ISSUER`,
    /// `WRONG_AUDIENCE`.
    pub fn verify(&self, token: &str, now: Millis) -> Result<Verified, Error> {
        let (alg, kid, claims) = self.verify_signature(token)?;
        self.accept(alg, kid, &claims, now)
    }

    /// The signature checked in wasm: the algorithm, `kid` and claims of a token signed by a
    /// configured key.
    fn verify_signature(&self, token: &str) -> Result<(Alg, Option<String>, TokenClaims), Error> {
        let untrusted = parse_untrusted(token)?;
        let alg = self.allowed_alg(&untrusted)?;
        let kid = untrusted.header().key_id.clone();
        if self.require_kid && kid.is_none() {
            return Err(error(ErrorCode::UnknownKey, "kid: required"));
        }
        let mut last = None;
        let mut verified = None;
        for key in self.candidates(alg, kid.as_deref()) {
            match check(&key.material, &untrusted) {
                Ok(claims) => {
                    verified = Some(claims);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        match verified {
            Some(claims) => Ok((alg, kid, claims)),
            None => Err(last.unwrap_or_else(|| unknown_key(alg, kid.as_deref()))),
        }
    }

    /// The configured keys that may have signed a token with `alg` and `kid`.
    fn candidates<'a>(
        &'a self,
        alg: Alg,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Key> + 'a {
        self.keys.iter().filter(move |k| {
            k.material.alg() == alg
                && match (kid, k.kid.as_deref()) {
                    (Some(want), Some(have)) => want == have,
                    (Some(_), None) => !self.require_kid,
                    (None, _) => true,
                }
        })
    }

    /// A verification whose signature the platform (WebCrypto) checks, for [`PLATFORM_ALGS`]
    /// (P-256 and RSA arithmetic is 16x and 30x native speed in wasm): checks the algorithm and
    /// `kid` exactly as [`Verifier::verify`], picks the candidate keys, and checks the claims at
    /// `now` as `verify` would once the signature is valid. One parse of the token. `None` for a
    /// token whose (allowed) algorithm the platform does not check: [`Verifier::verify`] it.
    pub fn prepare_platform<'t>(
        &self,
        token: &'t str,
        now: Millis,
    ) -> Result<Option<PlatformVerification<'t, Verified>>, Error> {
        self.prepare_platform_with(token, |alg, kid, claims| {
            self.accept(alg, kid, &claims, now)
        })
    }

    /// [`Verifier::prepare_platform`] for a playback token: what [`Verifier::verify_playback`]
    /// returns once the signature is valid.
    pub fn prepare_platform_playback<'t>(
        &self,
        token: &'t str,
        now: Millis,
    ) -> Result<Option<PlatformVerification<'t, Playback>>, Error> {
        self.prepare_platform_with(token, |alg, kid, claims| {
            let verified = self.accept(alg, kid, &claims, now)?;
            playback(verified, &claims.custom)
        })
    }

    /// The public JWK of key `index` as configured, for the platform to import.
    pub fn platform_jwk(&self, index: usize) -> Option<&str> {
        self.keys.get(index).map(|k| k.jwk.as_str())
    }

    fn prepare_platform_with<'t, T>(
        &self,
        token: &'t str,
        finish: impl FnOnce(Alg, Option<String>, TokenClaims) -> Result<T, Error>,
    ) -> Result<Option<PlatformVerification<'t, T>>, Error> {
        let untrusted = parse_untrusted(token)?;
        let alg = self.allowed_alg(&untrusted)?;
        if !PLATFORM_ALGS.contains(&alg) {
            return Ok(None);
        }
        let kid = untrusted.header().key_id.clone();
        if self.require_kid && kid.is_none() {
            return Err(error(ErrorCode::UnknownKey, "kid: required"));
        }
        let keys: Vec<usize> = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                self.candidates(alg, kid.as_deref())
                    .any(|c| std::ptr::eq(c, *k))
            })
            .map(|(i, _)| i)
            .collect();
        if keys.is_empty() {
            return Err(unknown_key(alg, kid.as_deref()));
        }
        let signed = token
            .rsplit_once('.')
            .map(|(signed, _)| signed.as_bytes())
            .unwrap_or_default();
        // What jwt-compact checks before the signature itself, in its order (so the codes are
        // the wasm path's): the signature's length and form (BAD_SIGNATURE), then that the claims
        // read (MALFORMED_TOKEN, whatever the signature).
        let signature = untrusted.signature_bytes();
        match alg {
            Alg::Es256 => signature_form::<Es256>(signature)?,
            Alg::EdDsa => signature_form::<Ed25519>(signature)?,
            Alg::Rs256 => signature_form::<Rsa>(signature)?,
            Alg::Hs256 => signature_form::<Hs256>(signature)?,
        }
        let claims = untrusted
            .deserialize_claims_unchecked::<BTreeMap<String, Value>>()
            .map_err(claims_error)?;
        let signature = signature.to_vec();
        let if_signature_valid = finish(alg, kid, claims);
        Ok(Some(PlatformVerification {
            signed,
            signature,
            keys,
            if_signature_valid,
        }))
    }

    fn allowed_alg(&self, untrusted: &UntrustedToken<'_>) -> Result<Alg, Error> {
        // (`crit` was refused by `parse_untrusted`.)
        Alg::parse(untrusted.algorithm())
            .filter(|a| self.algorithms.contains(a))
            .ok_or_else(|| {
                error(
                    ErrorCode::AlgorithmNotAllowed,
                    format!("alg: \"{}\" is not allowed", untrusted.algorithm()),
                )
            })
    }

    fn accept(
        &self,
        alg: Alg,
        key_id: Option<String>,
        claims: &TokenClaims,
        now: Millis,
    ) -> Result<Verified, Error> {
        // RFC 7519 4.1.4 and 4.1.5: not accepted on or after `exp`, nor before `nbf`, give or take
        // the leeway. (jwt-compact's own check still accepts a token at exactly `exp`.)
        let leeway = self.leeway_seconds * 1000;
        match claims.expiration {
            Some(exp) if now >= exp.timestamp_millis().saturating_add(leeway) => {
                return Err(error(ErrorCode::TokenExpired, "exp: the token has expired"));
            }
            None if self.require_exp => {
                return Err(error(ErrorCode::MalformedToken, "exp: required"));
            }
            _ => {}
        }
        if let Some(nbf) = claims.not_before {
            if now < nbf.timestamp_millis().saturating_sub(leeway) {
                return Err(error(
                    ErrorCode::TokenNotYetValid,
                    "nbf: the token is not valid yet",
                ));
            }
        }
        let custom = &claims.custom;
        if let Some(issuer) = &self.issuer {
            if custom.get("iss").and_then(Value::as_str) != Some(issuer) {
                return Err(error(
                    ErrorCode::WrongIssuer,
                    format!("iss: expected \"{issuer}\""),
                ));
            }
        }
        if let Some(audience) = &self.audience {
            let matches = match custom.get("aud") {
                Some(Value::String(a)) => a == audience,
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(audience)),
                _ => false,
            };
            if !matches {
                return Err(error(
                    ErrorCode::WrongAudience,
                    format!("aud: expected \"{audience}\""),
                ));
            }
        }
        let claims_json = serde_json::to_string(claims)
            .map_err(|e| error(ErrorCode::MalformedToken, format!("claims: {e}")))?;
        Ok(Verified {
            alg,
            key_id,
            claims_json,
        })
    }
}

/// A token's claims as read: `exp`, `nbf`, `iat` and the rest by name.
type TokenClaims = Claims<BTreeMap<String, Value>>;

fn check(key: &KeyMaterial, token: &UntrustedToken<'_>) -> Result<TokenClaims, Error> {
    let result: Result<Token<BTreeMap<String, Value>>, ValidationError> = match key {
        KeyMaterial::Hs256(k) => Hs256.validator(k).validate(token),
        KeyMaterial::Es256(k) => Es256.validator(k).validate(token),
        KeyMaterial::EdDsa(k) => Ed25519.validator(k).validate(token),
        KeyMaterial::Rs256(k) => Rsa::rs256().validator(k).validate(token),
    };
    match result {
        Ok(token) => Ok(token.into_parts().1),
        Err(e @ ValidationError::MalformedClaims(_)) => Err(claims_error(e)),
        Err(e) => Err(error(ErrorCode::BadSignature, format!("signature: {e}"))),
    }
}

/// The signature's length and form as jwt-compact checks them before the signature itself
/// (`BAD_SIGNATURE`).
fn signature_form<A: jwt_compact::Algorithm>(bytes: &[u8]) -> Result<(), Error> {
    let bad = |m: String| error(ErrorCode::BadSignature, format!("signature: {m}"));
    if let Some(expected) = A::Signature::LENGTH {
        if bytes.len() != expected.get() {
            return Err(bad(format!(
                "expected {expected} bytes, got {}",
                bytes.len()
            )));
        }
    }
    A::Signature::try_from_slice(bytes)
        .map(|_| ())
        .map_err(|e| bad(e.to_string()))
}

/// Claims that do not read: `MALFORMED_TOKEN`, with the same message on every path.
fn claims_error(e: ValidationError) -> Error {
    match e {
        ValidationError::MalformedClaims(e) => {
            error(ErrorCode::MalformedToken, format!("claims: {e}"))
        }
        e => error(ErrorCode::MalformedToken, format!("claims: {e}")),
    }
}

const MEMBER_TYPE: &str =
    "`kid`, `alg` and `use` must be strings, `key_ops` a list of at most 16 strings, each once";

/// A configured JWK, or None for a key that is not for verifying signatures (its `use` is not
/// `sig`, or its `key_ops` lack `verify`: RFC 7517 4.2-4.3) or for another algorithm or curve,
/// which is left out as jose's key sets leave it out. A `kid`, `alg`, `use` or `key_ops` of
/// the wrong type (null too) is INVALID_KEY.
fn read_key(jwk: &Value) -> Result<Option<Key>, Error> {
    let object = jwk
        .as_object()
        .ok_or_else(|| config_error("expected a JWK object"))?;
    // Each read as text once: `kid`, `alg` and `use` are strings (or absent), `key_ops` a list
    // of strings without repeats.
    let text = |name: &str| match object.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(config_error(MEMBER_TYPE)), // null too: jose uses no such key
    };
    let kid = text("kid")?.map(str::to_owned);
    let declared = text("alg")?;
    let usage = text("use")?;
    let mut ops: Vec<&str> = Vec::new();
    let listed = match object.get("key_ops") {
        None => false,
        // Bounded: each is compared with those before it (RFC 7517 names 8 operations).
        Some(Value::Array(list)) if list.len() <= 16 => {
            for op in list {
                match op.as_str() {
                    Some(o) if !ops.contains(&o) => ops.push(o),
                    _ => return Err(config_error(MEMBER_TYPE)), // not a string, or named twice
                }
            }
            true
        }
        Some(_) => return Err(config_error(MEMBER_TYPE)),
    };
    let kty = object.get("kty").and_then(Value::as_str).unwrap_or("");
    let crv = object.get("crv").and_then(Value::as_str).unwrap_or("");
    // Not for verifying, or for an algorithm or curve verified nowhere here (PS256, ES384,
    // P-384...): left out, as jose's key sets never pick it. An unknown kty or crv (a typo) is
    // still refused below.
    if usage.is_some_and(|u| u != "sig")
        || (listed && !ops.contains(&"verify"))
        || declared.is_some_and(|a| Alg::parse(a).is_none())
        || matches!(
            (kty, crv),
            ("EC", "P-384" | "P-521" | "secp256k1") | ("OKP", "Ed448" | "X25519" | "X448")
        )
    {
        return Ok(None);
    }
    let parsed: JsonWebKey<'_> =
        serde_json::from_value(jwk.clone()).map_err(|e| config_error(format!("not a JWK: {e}")))?;
    let bad = |e: &dyn std::fmt::Display| config_error(format!("unusable key: {e}"));
    let material = match (kty, crv) {
        ("oct", _) => {
            let key = <Hs256 as jwt_compact::Algorithm>::VerifyingKey::try_from(&parsed)
                .map_err(|e| bad(&e))?;
            if key.as_ref().len() < 32 {
                return Err(config_error(
                    "an HS256 key needs at least 32 bytes (RFC 7518 section 3.2)",
                ));
            }
            KeyMaterial::Hs256(key)
        }
        ("EC", "P-256") => KeyMaterial::Es256(TryFrom::try_from(&parsed).map_err(|e| bad(&e))?),
        ("OKP", "Ed25519") => {
            let key: <Ed25519 as jwt_compact::Algorithm>::VerifyingKey =
                TryFrom::try_from(&parsed).map_err(|e| bad(&e))?;
            // Not a canonical point, or one of small order: no signature verifies here, but
            // WebCrypto (the async and edge paths) takes a small-order key and verifies a
            // signature anyone can make under it. Refused here, as js/webjwt.mjs refuses it.
            key.validate().map_err(|_| {
                config_error(
                    "unusable key: `x` is not a canonical Ed25519 point of large order (a small-order key lets anyone sign)",
                )
            })?;
            KeyMaterial::EdDsa(key)
        }
        ("RSA", _) => {
            let key: <Rsa as jwt_compact::Algorithm>::VerifyingKey =
                TryFrom::try_from(&parsed).map_err(|e| bad(&e))?;
            if jwt_compact::alg::StrongKey::try_from(key.clone()).is_err() {
                return Err(config_error(
                    "an RSA key needs at least 2048 bits (RFC 7518 section 3.3)",
                ));
            }
            KeyMaterial::Rs256(key)
        }
        _ => {
            return Err(config_error(format!(
                "kty \"{kty}\" / crv \"{crv}\" is not an HS256, ES256, EdDSA or RS256 key"
            )))
        }
    };
    if let Some(declared) = declared {
        if Alg::parse(declared) != Some(material.alg()) {
            return Err(config_error(format!(
                "alg \"{declared}\" does not fit the key type"
            )));
        }
    }
    Ok(Some(Key {
        kid,
        material,
        jwk: jwk.to_string(),
    }))
}

// ---- playback tokens ------------------------------------------------------------------------

enum SigningMaterial {
    Hs256(<Hs256 as jwt_compact::Algorithm>::SigningKey),
    Es256(<Es256 as jwt_compact::Algorithm>::SigningKey),
    EdDsa(<Ed25519 as jwt_compact::Algorithm>::SigningKey),
    // Boxed: an RSA private key is ten times the size of the others.
    Rs256(Box<<Rsa as jwt_compact::Algorithm>::SigningKey>),
}

/// What a playback token may carry besides its scope: the entitlement's outcome for the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybackEntitlement {
    /// The quality cap (`SD`, `HD`, `UHD1`, `UHD2`).
    pub max_quality: Option<crate::quality::Quality>,
    /// The viewer's country (two letters).
    pub country: Option<crate::country::Country>,
    /// The viewer's device class.
    pub device: Option<String>,
}

/// Mints playback tokens: a JWT carrying a Momento permission scope (SDK JSON form) and,
/// optionally, an entitlement summary, with a random `jti` and a short lifetime. For trusted
/// code only (an auth server, an edge function): players never hold signing keys.
pub struct Signer {
    alg: Alg,
    key: SigningMaterial,
    kid: Option<String>,
    issuer: Option<String>,
    audience: Option<String>,
    lifetime_seconds: i64,
}

/// The default lifetime of a playback token, in seconds.
pub const DEFAULT_PLAYBACK_LIFETIME: i64 = 300;

impl Signer {
    /// Reads `{algorithm, key (a private JWK), kid?, issuer?, audience?, lifetimeSeconds?}`.
    /// Errors: `INVALID_KEY`.
    pub fn from_json(config: &str) -> Result<Signer, Error> {
        let config: SignerConfig =
            serde_json::from_str(config).map_err(|e| config_error(format!("signer: {e}")))?;
        let alg = Alg::parse(&config.algorithm)
            .ok_or_else(|| config_error("algorithm: expected HS256, ES256, EdDSA or RS256"))?;
        let jwk_value = &config.key;
        let jwk: JsonWebKey<'_> = serde_json::from_value(jwk_value.clone())
            .map_err(|e| config_error(format!("key: not a JWK: {e}")))?;
        let bad = |e: &dyn std::fmt::Display| {
            config_error(format!("key: unusable for {}: {e}", alg.name()))
        };
        let key = match alg {
            Alg::Hs256 => {
                let key = <Hs256 as jwt_compact::Algorithm>::SigningKey::try_from(&jwk)
                    .map_err(|e| bad(&e))?;
                if key.as_ref().len() < 32 {
                    return Err(config_error(
                        "key: an HS256 key needs at least 32 bytes (RFC 7518 section 3.2)",
                    ));
                }
                SigningMaterial::Hs256(key)
            }
            Alg::Es256 => SigningMaterial::Es256(TryFrom::try_from(&jwk).map_err(|e| bad(&e))?),
            Alg::EdDsa => SigningMaterial::EdDsa(TryFrom::try_from(&jwk).map_err(|e| bad(&e))?),
            Alg::Rs256 => {
                let key: <Rsa as jwt_compact::Algorithm>::SigningKey =
                    TryFrom::try_from(&jwk).map_err(|e| bad(&e))?;
                if jwt_compact::alg::StrongKey::try_from(key.clone()).is_err() {
                    return Err(config_error(
                        "key: an RSA key needs at least 2048 bits (RFC 7518 section 3.3)",
                    ));
                }
                SigningMaterial::Rs256(Box::new(key))
            }
        };
        let lifetime_seconds = match config.lifetime_seconds {
            None => DEFAULT_PLAYBACK_LIFETIME,
            Some(s) if (1..=86_400).contains(&s) => s,
            Some(_) => {
                return Err(config_error(
                    "lifetimeSeconds: expected whole seconds between 1 and 86400",
                ))
            }
        };
        Ok(Signer {
            alg,
            key,
            kid: config.kid,
            issuer: config.issuer,
            audience: config.audience,
            lifetime_seconds,
        })
    }

    /// Mints a playback token at `now` for `scope`, with a `jti` of 16 random bytes.
    pub fn mint(
        &self,
        scope: &crate::token::momento::PermissionScope,
        subject: Option<&str>,
        entitlement: Option<&PlaybackEntitlement>,
        now: Millis,
    ) -> Result<String, Error> {
        let mut random = [0u8; 16];
        getrandom::getrandom(&mut random)
            .map_err(|e| error(ErrorCode::InvalidKey, format!("jti: no randomness: {e}")))?;
        let mut custom = BTreeMap::new();
        custom.insert(
            "jti".to_owned(),
            Value::String(crate::wire::base64::encode(&random, true)),
        );
        let scope_json: Value = serde_json::from_str(&scope.to_json()?)
            .map_err(|e| error(ErrorCode::InvalidScope, e.to_string()))?;
        custom.insert("scope".to_owned(), scope_json);
        if let Some(iss) = &self.issuer {
            custom.insert("iss".to_owned(), Value::String(iss.clone()));
        }
        if let Some(aud) = &self.audience {
            custom.insert("aud".to_owned(), Value::String(aud.clone()));
        }
        if let Some(sub) = subject {
            custom.insert("sub".to_owned(), Value::String(sub.to_owned()));
        }
        if let Some(ent) = entitlement {
            let mut summary = serde_json::Map::new();
            if let Some(q) = ent.max_quality {
                summary.insert(
                    "maxQuality".to_owned(),
                    Value::String(q.as_str().to_owned()),
                );
            }
            if let Some(c) = ent.country {
                summary.insert("country".to_owned(), Value::String(c.to_code_string()));
            }
            if let Some(d) = &ent.device {
                summary.insert("device".to_owned(), Value::String(d.clone()));
            }
            custom.insert("ent".to_owned(), Value::Object(summary));
        }
        let issued = Utc
            .timestamp_millis_opt(now)
            .single()
            .ok_or_else(|| error(ErrorCode::InvalidRequest, "now: out of range"))?;
        let mut claims = Claims::new(custom);
        claims.issued_at = Some(issued);
        // Checked: `+` panics past chrono's last date, and a panic would kill the wasm instance.
        let expires = issued
            .checked_add_signed(Duration::seconds(self.lifetime_seconds))
            .ok_or_else(|| {
                error(
                    ErrorCode::InvalidRequest,
                    "now: too late to add the lifetime",
                )
            })?;
        claims.expiration = Some(expires);
        let mut header = jwt_compact::Header::empty();
        if let Some(kid) = &self.kid {
            header = header.with_key_id(kid.clone());
        }
        let minted = match &self.key {
            SigningMaterial::Hs256(k) => Hs256.token(&header, &claims, k),
            SigningMaterial::Es256(k) => Es256.token(&header, &claims, k),
            SigningMaterial::EdDsa(k) => Ed25519.token(&header, &claims, k),
            SigningMaterial::Rs256(k) => Rsa::rs256().token(&header, &claims, k),
        };
        minted.map_err(|e| error(ErrorCode::InvalidKey, format!("{}: {e}", self.alg.name())))
    }
}

/// Checks a playback token's `ent` claim: what [`Signer::mint`] writes (`maxQuality`, `country`,
/// `device`), nothing else. A token signed by a trusted key with another shape is refused, not
/// passed on as whatever it holds.
fn check_entitlement_summary(ent: &Value) -> Result<(), Error> {
    let bad = |m: &str| error(ErrorCode::MalformedToken, format!("ent: {m}"));
    let Value::Object(fields) = ent else {
        return Err(bad("expected an object"));
    };
    for (name, value) in fields {
        let ok = match (name.as_str(), value) {
            ("maxQuality", Value::String(q)) => crate::quality::Quality::parse(q).is_some(),
            ("country", Value::String(c)) => crate::country::Country::parse(c).is_some(),
            ("device", Value::String(d)) => !d.trim().is_empty(),
            _ => false,
        };
        if !ok {
            return Err(bad(&format!(
                "`{name}` is not a valid maxQuality, country or device"
            )));
        }
    }
    Ok(())
}

/// Splits a token and reads its header. A header with `crit` is refused: RFC 7515 4.1.11 says
/// a recipient that does not understand a listed extension must reject the token, and
/// playgate understands none (jwt-compact ignores `crit`). So is one naming its own key.
fn parse_untrusted(token: &str) -> Result<UntrustedToken<'_>, Error> {
    let untrusted = UntrustedToken::new(token)
        .map_err(|e| error(ErrorCode::MalformedToken, format!("token: {e}")))?;
    let header = token.split('.').next().unwrap_or_default();
    let bytes = crate::wire::base64::decode(header, crate::wire::base64::Alphabet::Url)
        .ok_or_else(|| error(ErrorCode::MalformedToken, "header: not base64url"))?;
    let fields: serde_json::Map<String, Value> = serde_json::from_slice(&bytes)
        .map_err(|e| error(ErrorCode::MalformedToken, format!("header: {e}")))?;
    if fields.contains_key("crit") {
        return Err(error(
            ErrorCode::MalformedToken,
            "header: crit lists extensions playgate does not understand (RFC 7515 4.1.11)",
        ));
    }
    // A `kid` of null is no key id (jose picks no key for one), never "any key".
    if fields.get("kid").is_some_and(Value::is_null) {
        return Err(error(
            ErrorCode::MalformedToken,
            "header: `kid` is not a string",
        ));
    }
    // Keys come from the configuration only. A token that carries or points to its own key
    // (RFC 7515 4.1.2-4.1.6) is an attempt to choose it (RFC 8725 3.10): refused, not ignored.
    if let Some(name) = ["jwk", "jku", "x5u", "x5c"]
        .into_iter()
        .find(|name| fields.contains_key(*name))
    {
        return Err(error(
            ErrorCode::MalformedToken,
            format!("header: `{name}` (a key chosen by the token) is refused"),
        ));
    }
    // A member named twice, at any depth, is refused: serde_json keeps the last, so a scope
    // `{"item": {"keyPrefix": "/a/"}, "item": {}}` would be read as all items, while the scope
    // reader refuses it written so (RFC 7519 section 4 lets a parser reject duplicates).
    let payload = token.split('.').nth(1).unwrap_or_default();
    let payload = crate::wire::base64::decode(payload, crate::wire::base64::Alphabet::Url)
        .unwrap_or_default();
    for (part, bytes) in [("header", &bytes), ("claims", &payload)] {
        if let Some(name) = std::str::from_utf8(bytes).ok().and_then(duplicate_member) {
            return Err(error(
                ErrorCode::MalformedToken,
                format!("{part}: duplicate member `{name}`"),
            ));
        }
    }
    Ok(untrusted)
}

/// The first member an object of the JSON `text` names twice, at any depth; `None` when there
/// is none, or when the text does not read (which is refused where it is read, with that step's
/// message). A walk of its own over the text, without a stack of calls: serde_json, which reads
/// the claims after it, goes 128 deep and takes lists of any length, past the core reader's 64
/// levels and 65,536 items, and a name twice there must be found too. Names and scalars are read
/// with the core's reader (a serde visitor cost the module 4 KB gzipped).
fn duplicate_member(text: &str) -> Option<String> {
    use crate::wire::json::Reader;
    const SERDE_JSON_DEPTH: usize = 128;
    // The names of each open object (its own map type: its code is in the module already), or
    // `None` for an open array; innermost last.
    let mut open: Vec<Option<BTreeMap<String, Value>>> = Vec::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            at += 1;
        }
        match bytes.get(at)? {
            // Deeper than serde_json reads (its recursion limit): refused where it is read.
            b'{' | b'[' if open.len() >= SERDE_JSON_DEPTH => return None,
            b'{' => open.push(Some(BTreeMap::new())),
            b'[' => open.push(None),
            b'}' | b']' => {
                open.pop()?;
                if open.is_empty() {
                    return None;
                }
            }
            b',' | b':' => {}
            b'"' => {
                let mut reader = Reader::new(text.get(at..)?);
                let string = reader.string().ok()?;
                at += reader.position();
                while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    at += 1;
                }
                // A string before `:` in an object is a member's name.
                if let (Some(b':'), Some(Some(names))) = (bytes.get(at), open.last_mut()) {
                    let name = string.into_owned();
                    if names.insert(name.clone(), Value::Null).is_some() {
                        return Some(name);
                    }
                }
                continue;
            }
            _ => {
                // A number, `true`, `false` or `null`: no nesting in it.
                let mut reader = Reader::new(text.get(at..)?);
                reader.skip().ok()?;
                at += reader.position();
                continue;
            }
        }
        at += 1;
    }
}

/// A verified playback token: its claims, its scope and entitlement summary.
#[derive(Debug, Clone)]
pub struct Playback {
    /// The verified token.
    pub verified: Verified,
    /// The scope it carries.
    pub scope: crate::token::momento::PermissionScope,
    /// The JSON text `scope` was read from (the claim as the token carries it, written compactly):
    /// [`crate::token::momento::PermissionScope::from_json`] reads it back as `scope`.
    pub scope_json: String,
    /// The entitlement summary it carries, as JSON text (`null` when absent).
    pub entitlement_json: String,
}

impl Verifier {
    /// Verifies a playback token and reads its scope (`INVALID_SCOPE` when it carries none or
    /// a malformed one).
    pub fn verify_playback(&self, token: &str, now: Millis) -> Result<Playback, Error> {
        let (alg, kid, claims) = self.verify_signature(token)?;
        let verified = self.accept(alg, kid, &claims, now)?;
        playback(verified, &claims.custom)
    }
}

/// A verified token's scope and entitlement summary, read from its claims as read (not from
/// `claims_json` parsed again).
fn playback(verified: Verified, claims: &BTreeMap<String, Value>) -> Result<Playback, Error> {
    let scope_value = claims
        .get("scope")
        .ok_or_else(|| error(ErrorCode::InvalidScope, "scope: missing"))?;
    let scope_json = scope_value.to_string();
    let scope = crate::token::momento::PermissionScope::from_json(&scope_json)?;
    let entitlement_json = match claims.get("ent") {
        None | Some(Value::Null) => "null".to_owned(),
        Some(ent) => {
            check_entitlement_summary(ent)?;
            ent.to_string()
        }
    };
    Ok(Playback {
        verified,
        scope,
        scope_json,
        entitlement_json,
    })
}
