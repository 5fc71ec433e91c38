//! Momento tokens, decoded without verification: Momento signs them with its own key, so a
//! client can read but never verify them. Everything decoded here is advisory; the service
//! (or an edge function holding its own keys) is what enforces it.

use crate::error::{Error, ErrorCode};
use crate::token::momento::PermissionScope;
use crate::wire::base64::{self, Alphabet};
use crate::wire::json::{self, Kind, Reader};
use crate::wire::time::Millis;

/// Which of Momento's token shapes a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// v1 / disposable: `base64(JSON.stringify({endpoint, api_key}))`.
    Disposable,
    /// A legacy API key: a bare JWT with `cp` (control) and `c` (cache) endpoint claims.
    Legacy,
    /// A v2 API key: a bare JWT with `"t": "g"`; the endpoint is configured separately.
    V2,
}

impl TokenKind {
    /// `"disposable"`, `"legacy"` or `"v2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disposable => "disposable",
            Self::Legacy => "legacy",
            Self::V2 => "v2",
        }
    }
}

/// What a Momento token says about itself. **Unverified**: the type name is the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedMomentoToken {
    /// The token's shape.
    pub kind: TokenKind,
    /// The Momento endpoint (`cell-1.prod.a.momentohq.com`), when the token carries one.
    pub endpoint: Option<String>,
    /// The HTTP API base URL, `https://api.cache.<endpoint>`, when the endpoint is known.
    pub http_base_url: Option<String>,
    /// The `sub` claim (for disposable tokens, the issuer's token id or user id).
    pub subject: Option<String>,
    /// The `exp` claim in epoch milliseconds; `None` = never expires.
    pub expires_at: Option<Millis>,
    /// The decoded `p` claim, when present.
    pub scope: Option<PermissionScope>,
}

fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::MalformedToken, message)
}

/// The largest token accepted, in bytes.
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Decodes a Momento token string without verifying it, telling the shapes apart as the SDK
/// does: a strict standard-base64 string holding JSON with `endpoint` and `api_key` is a v1
/// (disposable) token; otherwise it must be a JWT, a v2 key when its payload has `"t": "g"`,
/// a legacy key when it has `c` and `cp`.
#[inline(never)]
pub fn decode_momento_token(token: &str) -> Result<UnverifiedMomentoToken, Error> {
    // No trimming: the SDK refuses a token with a trailing newline, so does playgate.
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(malformed("token: empty or over 64 KiB"));
    }
    if let Some((endpoint, api_key)) = v1_envelope(token) {
        // The SDK does not look inside `api_key`. A key with no `.` is opaque (not a JWT): its
        // claims are unknown (null), never an error and never a default scope. A key that is
        // a JWT must decode whole: a corrupt `p` or `exp` read as "unknown" would let a caller
        // that skips a null scope through everything.
        let claims = if api_key.contains('.') {
            jwt_claims(&api_key).map_err(|e| e.context("api_key"))?
        } else {
            Claims::default()
        };
        return at_endpoint(TokenKind::Disposable, endpoint, claims);
    }
    let mut claims = jwt_claims(token)?;
    if claims.t.as_deref() == Some("g") {
        return Ok(UnverifiedMomentoToken {
            kind: TokenKind::V2,
            endpoint: None,
            http_base_url: None,
            subject: claims.sub,
            expires_at: claims.exp,
            scope: claims.scope,
        });
    }
    let (Some(cache), Some(_control)) = (claims.c.take(), claims.cp.take()) else {
        return Err(malformed(
            "token: neither a v1 token, nor a v2 key (t: g), nor a legacy key (c, cp)",
        ));
    };
    // The `c` claim is the cache endpoint, `cache.<endpoint>`; the HTTP API is `api.cache.<endpoint>`.
    let endpoint = cache.strip_prefix("cache.").unwrap_or(&cache).to_owned();
    at_endpoint(TokenKind::Legacy, endpoint, claims)
}

/// Whether `endpoint` is a host name: letters, digits, `-` and `.`.
pub(crate) fn is_host_name(endpoint: &str) -> bool {
    !endpoint.is_empty()
        && endpoint
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// A token of `kind` whose HTTP API is `https://api.cache.<endpoint>`. The endpoint must be a
/// host name (letters, digits, `-` and `.`): `x@evil.example/` would make
/// `https://api.cache.x@evil.example/`, another host.
fn at_endpoint(
    kind: TokenKind,
    endpoint: String,
    claims: Claims,
) -> Result<UnverifiedMomentoToken, Error> {
    if !is_host_name(&endpoint) {
        return Err(malformed("token: its endpoint is not a host name"));
    }
    Ok(UnverifiedMomentoToken {
        kind,
        http_base_url: Some(format!("https://api.cache.{endpoint}")),
        endpoint: Some(endpoint),
        subject: claims.sub,
        expires_at: claims.exp,
        scope: claims.scope,
    })
}

/// `{endpoint, api_key}` from a v1 token, if `token` is one.
fn v1_envelope(token: &str) -> Option<(String, String)> {
    let bytes = base64::decode(token, Alphabet::StandardStrict)?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (mut endpoint, mut api_key) = (None, None);
    json::read_text(text, |r| {
        if r.peek()? != Kind::Object {
            return Err(r.unexpected("an object"));
        }
        r.object(|r, key| {
            match &*key {
                "endpoint" if r.peek()? == Kind::String => {
                    endpoint = Some(r.string()?.into_owned())
                }
                "api_key" if r.peek()? == Kind::String => api_key = Some(r.string()?.into_owned()),
                _ => r.skip()?,
            }
            Ok(())
        })
    })
    .ok()?;
    Some((endpoint?, api_key?))
}

#[derive(Default)]
struct Claims {
    sub: Option<String>,
    exp: Option<Millis>,
    t: Option<String>,
    c: Option<String>,
    cp: Option<String>,
    scope: Option<PermissionScope>,
}

/// The payload of a JWT, unverified.
fn jwt_claims(jwt: &str) -> Result<Claims, Error> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("token: not a JWT (three dot-separated parts)"));
    };
    let bytes = base64::decode(payload, Alphabet::Url)
        .ok_or_else(|| malformed("token: the JWT payload is not base64url"))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| malformed("token: the JWT payload is not UTF-8"))?;
    let mut claims = Claims::default();
    let mut p = None;
    // A member read here named twice is refused, as the edge verifier refuses it: readers keep
    // the first or the last, so `{"p": <a prefix>, "p": <super user>}` would be two scopes.
    let mut read = 0u8;
    json::read_text(text, |r| {
        if r.peek()? != Kind::Object {
            return Err(r.unexpected("a JWT payload object"));
        }
        r.object(|r, key| {
            let bit = match &*key {
                "sub" => 1,
                "exp" => 2,
                "t" => 4,
                "c" => 8,
                "cp" => 16,
                "p" => 32,
                _ => 0,
            };
            if read & bit != 0 {
                return Err(r.error("a member is named twice"));
            }
            read |= bit;
            if r.null()? {
                return Ok(());
            }
            match &*key {
                "sub" => claims.sub = Some(read_string(r)?),
                "exp" => {
                    let seconds = r.integer().map_err(|e| e.within("exp"))?;
                    claims.exp = Some(seconds.saturating_mul(1000));
                }
                "t" => claims.t = Some(read_string(r)?),
                "c" => claims.c = Some(read_string(r)?),
                "cp" => claims.cp = Some(read_string(r)?),
                "p" => p = Some(read_string(r)?),
                _ => r.skip()?,
            }
            Ok(())
        })
    })
    .map_err(|e| malformed(format!("token: {e}")))?;
    if let Some(p) = p {
        let bytes = base64::decode(&p, Alphabet::StandardStrict)
            .or_else(|| base64::decode(&p, Alphabet::Lenient))
            .ok_or_else(|| malformed("token: the p claim is not base64"))?;
        let scope = PermissionScope::from_protobuf(&bytes)
            .map_err(|e| malformed(format!("token: p claim: {}", e.message())))?;
        claims.scope = Some(scope);
    }
    Ok(claims)
}

fn read_string(r: &mut Reader<'_>) -> json::Result<String> {
    Ok(r.string()?.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64url(s: &str) -> String {
        base64::encode(s.as_bytes(), true)
    }

    fn jwt(payload: &str) -> String {
        format!("{}.{}.c2ln", b64url(r#"{"alg":"HS256"}"#), b64url(payload))
    }

    #[test]
    fn v1_disposable_token() {
        // The shape of docs/momento.md: base64(JSON.stringify({endpoint, api_key})).
        let api_key = jwt(
            r#"{"sub":"user-42","ver":1,"p":"EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=","exp":1735689600}"#,
        );
        let envelope =
            format!(r#"{{"endpoint":"cell-1.prod.a.momentohq.com","api_key":"{api_key}"}}"#);
        let token = base64::encode(envelope.as_bytes(), false);
        let t = decode_momento_token(&token).unwrap();
        assert_eq!(t.kind, TokenKind::Disposable);
        assert_eq!(t.endpoint.as_deref(), Some("cell-1.prod.a.momentohq.com"));
        assert_eq!(
            t.http_base_url.as_deref(),
            Some("https://api.cache.cell-1.prod.a.momentohq.com")
        );
        assert_eq!(t.subject.as_deref(), Some("user-42"));
        assert_eq!(t.expires_at, Some(1_735_689_600_000));
        assert!(t
            .scope
            .unwrap()
            .allows("get", "media", b"/Movie1/playlist.m3u8"));
    }

    #[test]
    fn v2_and_legacy_keys() {
        let v2 = decode_momento_token(&jwt(r#"{"t":"g","id":"abc"}"#)).unwrap();
        assert_eq!(
            (v2.kind, v2.endpoint, v2.expires_at),
            (TokenKind::V2, None, None)
        );
        let legacy = decode_momento_token(&jwt(r#"{"sub":"me","cp":"control.cell-4.prod.a.momentohq.com","c":"cache.cell-4.prod.a.momentohq.com"}"#)).unwrap();
        assert_eq!(legacy.kind, TokenKind::Legacy);
        assert_eq!(
            legacy.endpoint.as_deref(),
            Some("cell-4.prod.a.momentohq.com")
        );
        assert!(legacy.scope.is_none());
    }

    #[test]
    fn a_v1_token_whose_api_key_is_a_corrupt_jwt_is_malformed() {
        // Issue 11, defect 4: these decoded with subject, expiresAt and scope all null.
        let v1 = |api_key: &str| {
            let envelope = format!(r#"{{"endpoint":"cell-1.example.com","api_key":"{api_key}"}}"#);
            base64::encode(envelope.as_bytes(), false)
        };
        // "EhsKGQoXCAIaBwoFbWVkaWEqChIIL01vdmllMS8=" truncated: a protobuf cut mid-field.
        for api_key in [
            jwt(r#"{"sub":"u","p":"EhsKGQoXCAIaBwoFbWVk"}"#),
            jwt(r#"{"sub":"u","p":"%%% not base64"}"#),
            jwt(r#"{"sub":"u","exp":"tomorrow"}"#),
            jwt(r#"{"sub":"u","exp":1.5}"#),
            jwt("not json"),
            format!("{}.e30", b64url(r#"{"alg":"HS256"}"#)),
        ] {
            let err = decode_momento_token(&v1(&api_key)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedToken, "{api_key}");
            assert!(err.message().contains("api_key"), "{}", err.message());
        }
        // A key that is not a JWT at all stays unknown, as documented (and as the SDK reads it).
        let opaque = decode_momento_token(&v1("opaque-key-123")).unwrap();
        assert_eq!(
            (opaque.subject, opaque.expires_at, opaque.scope),
            (None, None, None)
        );
    }

    #[test]
    fn malformed_tokens() {
        for bad in [
            "",
            "not a token",
            "a.b",
            &jwt(r#"{"sub":"x"}"#),
            &jwt(r#"{"t":"g","p":"%%%"}"#),
            &jwt("[1]"),
        ] {
            assert_eq!(
                decode_momento_token(bad).unwrap_err().code(),
                ErrorCode::MalformedToken,
                "{bad}"
            );
        }
    }
}
