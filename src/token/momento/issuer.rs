//! A local stand-in for Momento's token vending (feature `jwt`): mints v1 (disposable) tokens
//! of exactly Momento's shape, `base64(JSON {endpoint, api_key})` with `api_key` an HS256 JWT
//! `{sub, ver: 1, p, exp}` whose `p` is the protobuf permission scope, signed with a local
//! secret; and verifies them. The cache emulator uses it so that a client talks to it with the
//! same token format, headers and scope checks as to the real service. Momento's own tokens
//! are signed with Momento's key and cannot be verified here (see [`crate::token::momento::token`]).

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use jwt_compact::alg::Hs256;
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt as _, Claims, Header};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::token::jwt::Verifier;
use crate::token::momento::PermissionScope;
use crate::token::momento::{decode_momento_token, TokenKind};
use crate::wire::time::Millis;

/// Momento's limit for a disposable token's lifetime: 25 hours.
pub const MAX_LIFETIME_SECONDS: i64 = 25 * 3600;
/// Momento's limit for a disposable token's id.
pub const MAX_TOKEN_ID_CHARS: usize = 64;

/// A verified local token: who it is for, until when, and what it may do.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The endpoint written in the token.
    pub endpoint: String,
    /// The `sub` claim (the token id).
    pub subject: String,
    /// The `exp` claim, epoch milliseconds.
    pub expires_at: Millis,
    /// The permission scope of the `p` claim.
    pub scope: PermissionScope,
}

/// Mints and verifies v1 tokens with one HS256 secret.
pub struct MomentoIssuer {
    endpoint: String,
    key: <Hs256 as jwt_compact::Algorithm>::SigningKey,
    verifier: Verifier,
}

fn invalid_key(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidKey, message)
}

/// The options of [`MomentoIssuer::from_json`]; unknown fields are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerConfig {
    /// An oct JWK.
    secret: Value,
    /// The host name written into tokens.
    endpoint: String,
}

impl MomentoIssuer {
    /// Reads `{secret (an oct JWK of at least 32 bytes), endpoint}`. Errors: `INVALID_KEY`.
    pub fn from_json(config: &str) -> Result<MomentoIssuer, Error> {
        let IssuerConfig { secret, endpoint } =
            serde_json::from_str(config).map_err(|e| invalid_key(format!("issuer: {e}")))?;
        // What decode_momento_token reads back: a host name (the HTTP API's URL is made of it).
        if !super::token::is_host_name(&endpoint) {
            return Err(invalid_key(
                "endpoint: expected a host name such as 127.0.0.1",
            ));
        }
        let jwk: JsonWebKey<'_> = serde_json::from_value(secret.clone())
            .map_err(|e| invalid_key(format!("secret: not a JWK: {e}")))?;
        let key = <Hs256 as jwt_compact::Algorithm>::SigningKey::try_from(&jwk)
            .map_err(|e| invalid_key(format!("secret: {e}")))?;
        if key.as_ref().len() < 32 {
            return Err(invalid_key(
                "secret: an HS256 key needs at least 32 bytes (RFC 7518 section 3.2)",
            ));
        }
        // Momento's tokens carry no `iat`/`nbf`/`iss`; a local token is checked the same way,
        // with no clock leeway: the emulator answers 401 from the second the token expires.
        let verifier = Verifier::from_json(
            &serde_json::json!({
                "algorithms": ["HS256"], "keys": [secret], "leewaySeconds": 0, "requireExp": false,
            })
            .to_string(),
        )?;
        Ok(MomentoIssuer {
            endpoint,
            key,
            verifier,
        })
    }

    /// Mints a v1 token for `scope` at `now`, valid for `lifetime_seconds` (1 to 25 hours'
    /// worth), with `token_id` as its `sub` (at most 64 characters, as Momento requires).
    pub fn mint(
        &self,
        scope: &PermissionScope,
        token_id: &str,
        lifetime_seconds: i64,
        now: Millis,
    ) -> Result<String, Error> {
        if scope.is_super_user() {
            return Err(Error::request(
                "scope: a disposable token is never a super user",
            ));
        }
        if token_id.is_empty() || token_id.chars().count() > MAX_TOKEN_ID_CHARS {
            return Err(Error::request("tokenId: 1 to 64 characters"));
        }
        if !(1..=MAX_LIFETIME_SECONDS).contains(&lifetime_seconds) {
            return Err(Error::request(
                "lifetimeSeconds: 1 to 90000 (a disposable token lives at most 25 hours)",
            ));
        }
        let issued = Utc
            .timestamp_millis_opt(now)
            .single()
            .ok_or_else(|| Error::request("now: out of range"))?;
        let mut custom = BTreeMap::new();
        custom.insert("sub".to_owned(), Value::String(token_id.to_owned()));
        custom.insert("ver".to_owned(), Value::from(1));
        custom.insert(
            "p".to_owned(),
            Value::String(crate::wire::base64::encode(&scope.to_protobuf(), false)),
        );
        let mut claims = Claims::new(custom);
        // `exp` in whole seconds, as Momento writes it.
        // Checked: `+` panics past chrono's last date, and a panic would kill the wasm instance.
        let expires = issued
            .checked_add_signed(Duration::seconds(lifetime_seconds))
            .ok_or_else(|| Error::request("now: too late to add the lifetime"))?;
        claims.expiration = Utc
            .timestamp_opt(expires.timestamp(), 0)
            .single()
            .or(Some(expires));
        let api_key = Hs256
            .token(&Header::empty(), &claims, &self.key)
            .map_err(|e| invalid_key(format!("HS256: {e}")))?;
        let envelope = serde_json::json!({ "endpoint": self.endpoint, "api_key": api_key });
        Ok(crate::wire::base64::encode(
            envelope.to_string().as_bytes(),
            false,
        ))
    }

    /// Verifies a v1 token minted with this secret at `now`. Errors: `MALFORMED_TOKEN` (not a
    /// v1 token, or no scope), `BAD_SIGNATURE`, `TOKEN_EXPIRED`.
    pub fn verify(&self, token: &str, now: Millis) -> Result<IssuedToken, Error> {
        let decoded = decode_momento_token(token)?;
        if decoded.kind != TokenKind::Disposable {
            return Err(Error::new(
                ErrorCode::MalformedToken,
                "token: not a v1 (disposable) token",
            ));
        }
        let api_key = v1_api_key(token)
            .ok_or_else(|| Error::new(ErrorCode::MalformedToken, "token: no api_key"))?;
        self.verifier.verify(&api_key, now)?;
        let (Some(subject), Some(expires_at), Some(scope), Some(endpoint)) = (
            decoded.subject,
            decoded.expires_at,
            decoded.scope,
            decoded.endpoint,
        ) else {
            return Err(Error::new(
                ErrorCode::MalformedToken,
                "token: sub, exp and p are required",
            ));
        };
        Ok(IssuedToken {
            endpoint,
            subject,
            expires_at,
            scope,
        })
    }
}

/// The `api_key` of a v1 token (already known to be one).
fn v1_api_key(token: &str) -> Option<String> {
    let bytes = crate::wire::base64::decode(token, crate::wire::base64::Alphabet::StandardStrict)?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("api_key")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str =
        r#"{"kty":"oct","k":"cGxheWdhdGUtZW11bGF0b3ItdGVzdC1zZWNyZXQtMzItYnl0ZXMh"}"#;

    fn issuer() -> MomentoIssuer {
        MomentoIssuer::from_json(&format!(r#"{{"secret":{SECRET},"endpoint":"127.0.0.1"}}"#))
            .unwrap()
    }

    fn media_scope() -> PermissionScope {
        PermissionScope::from_json(
            r#"{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"}}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_minted_token_decodes_as_the_sdk_would_and_verifies() {
        let now = 1_735_689_600_000;
        let token = issuer().mint(&media_scope(), "user-42", 3600, now).unwrap();
        let decoded = decode_momento_token(&token).unwrap();
        assert_eq!(decoded.kind, TokenKind::Disposable);
        assert_eq!(decoded.endpoint.as_deref(), Some("127.0.0.1"));
        assert_eq!(decoded.expires_at, Some(now + 3_600_000));
        let verified = issuer().verify(&token, now).unwrap();
        assert_eq!(verified.subject, "user-42");
        assert!(verified
            .scope
            .allows("get", "media", b"/Movie1/1080p/segment1.ts"));
        assert!(!verified
            .scope
            .allows("get", "media", b"/Movie2/1080p/segment1.ts"));
    }

    #[test]
    fn expiry_wrong_secret_and_tampering_are_refused() {
        let now = 1_735_689_600_000;
        let token = issuer().mint(&media_scope(), "user-42", 60, now).unwrap();
        let expired = issuer().verify(&token, now + 60_000).unwrap_err();
        assert_eq!(expired.code(), ErrorCode::TokenExpired);
        let other = MomentoIssuer::from_json(
            r#"{"secret":{"kty":"oct","k":"b3RoZXItc2VjcmV0LW9mLWF0LWxlYXN0LTMyLWJ5dGVzLi4u"},"endpoint":"127.0.0.1"}"#,
        )
        .unwrap();
        assert_eq!(
            other.verify(&token, now).unwrap_err().code(),
            ErrorCode::BadSignature
        );
        assert_eq!(
            issuer().verify("not a token", now).unwrap_err().code(),
            ErrorCode::MalformedToken
        );
    }

    #[test]
    fn a_clock_at_the_end_of_time_is_an_error_not_a_panic() {
        let last = chrono::DateTime::<Utc>::MAX_UTC.timestamp_millis();
        let e = issuer().mint(&media_scope(), "u", 3600, last).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn limits_follow_momento() {
        let scope = media_scope();
        assert!(issuer().mint(&scope, &"x".repeat(65), 60, 0).is_err());
        assert!(issuer().mint(&scope, &"x".repeat(64), 60, 0).is_ok());
        assert!(issuer()
            .mint(&scope, "u", MAX_LIFETIME_SECONDS + 1, 0)
            .is_err());
        assert!(MomentoIssuer::from_json(
            r#"{"secret":{"kty":"oct","k":"c2hvcnQ"},"endpoint":"127.0.0.1"}"#
        )
        .is_err());
    }
}
