//! JWT verification against RFC 7515's own example (appendix A.1, HS256), natively.
#![cfg(feature = "jwt")]
// Test code: a panic is a failed test, which is what these lints guard library code from.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use playgate::token::jwt::Verifier;

/// RFC 7515 appendix A.1: the key and the JWS of the example.
pub const RFC7515_A1_KEY: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
/// The example's JWS (its header has "typ":"JWT" and CRLF white space, as in the RFC).
pub const RFC7515_A1_JWS: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The example's `exp`: 1300819380 s.
const EXP_MS: i64 = 1_300_819_380_000;

fn verifier(extra: &str) -> Verifier {
    Verifier::from_json(&format!(
        r#"{{"algorithms": ["HS256"], "keys": [{RFC7515_A1_KEY}], "leewaySeconds": 0{extra}}}"#
    ))
    .unwrap()
}

#[test]
fn rfc7515_a1_verifies_before_exp() {
    let v = verifier(r#", "issuer": "joe""#);
    let verified = v.verify(RFC7515_A1_JWS, EXP_MS - 1).unwrap();
    let claims: serde_json::Value = serde_json::from_str(&verified.claims_json).unwrap();
    assert_eq!(claims["iss"], "joe");
    assert_eq!(claims["http://example.com/is_root"], true);
    assert_eq!(claims["exp"], 1_300_819_380);
}

#[test]
fn rfc7515_a1_expires_and_refuses_tampering_and_other_configurations() {
    let v = verifier("");
    let code = |r: Result<playgate::token::jwt::Verified, playgate::Error>| {
        r.map(|_| "OK").unwrap_or_else(|e| e.code().as_str())
    };
    assert_eq!(code(v.verify(RFC7515_A1_JWS, EXP_MS)), "TOKEN_EXPIRED");
    let tampered = format!("{}A", &RFC7515_A1_JWS[..RFC7515_A1_JWS.len() - 1]);
    assert_eq!(code(v.verify(&tampered, EXP_MS - 1)), "BAD_SIGNATURE");
    assert_eq!(
        code(verifier(r#", "issuer": "jane""#).verify(RFC7515_A1_JWS, EXP_MS - 1)),
        "WRONG_ISSUER"
    );
    assert_eq!(
        code(verifier(r#", "requireKid": true"#).verify(RFC7515_A1_JWS, EXP_MS - 1)),
        "UNKNOWN_KEY"
    );
    let es_only = Verifier::from_json(r#"{"algorithms": ["ES256"], "keys": []}"#).unwrap();
    assert_eq!(
        code(es_only.verify(RFC7515_A1_JWS, EXP_MS - 1)),
        "ALGORITHM_NOT_ALLOWED"
    );
}

#[test]
fn minting_at_the_end_of_chronos_calendar_is_an_error_not_a_panic() {
    let signer = playgate::token::jwt::Signer::from_json(&format!(
        r#"{{"algorithm": "HS256", "key": {RFC7515_A1_KEY}}}"#
    ))
    .unwrap();
    let scope = playgate::token::momento::PermissionScope::from_json(
        r#"{"permissions":[{"role":"readonly","cache":"media"}]}"#,
    )
    .unwrap();
    let last = chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis();
    let e = signer.mint(&scope, None, None, last).unwrap_err();
    assert_eq!(e.code(), playgate::ErrorCode::InvalidRequest);
    assert!(signer.mint(&scope, None, None, 1_700_000_000_000).is_ok());
}

/// The three edge configuration readers (serde derives with `deny_unknown_fields`): a misspelt
/// or mistyped option is `INVALID_KEY` naming it, never a default. A misspelt `audience` would
/// otherwise leave the audience unchecked; a numeric `issuer` was once dropped silently.
#[test]
fn configuration_readers_refuse_unknown_fields_and_wrong_types() {
    use playgate::token::jwt::Signer;
    use playgate::token::momento::MomentoIssuer;
    use playgate::ErrorCode;
    let key = RFC7515_A1_KEY;
    let refused = |result: Result<(), playgate::Error>, field: &str| {
        let e = result.unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidKey, "{}", e.message());
        assert!(e.message().contains(field), "{field}: {}", e.message());
    };
    let verifier = |extra: &str| {
        Verifier::from_json(&format!(
            r#"{{"algorithms": ["HS256"], "keys": [{key}]{extra}}}"#
        ))
        .map(drop)
    };
    assert!(verifier(r#", "audience": "edge", "leewaySeconds": 5"#).is_ok());
    refused(verifier(r#", "audiance": "edge""#), "audiance");
    refused(verifier(r#", "issuer": 5"#), "invalid type");
    refused(verifier(r#", "leewaySeconds": 1.5"#), "invalid type");
    refused(verifier(r#", "leewaySeconds": 86401"#), "leewaySeconds");
    refused(verifier(r#", "requireExp": "no""#), "invalid type");
    refused(
        Verifier::from_json(&format!(r#"{{"keys": [{key}]}}"#)).map(drop),
        "algorithms",
    );
    let signer = |extra: &str| {
        Signer::from_json(&format!(r#"{{"algorithm": "HS256", "key": {key}{extra}}}"#)).map(drop)
    };
    assert!(signer(r#", "issuer": "playgate-auth", "lifetimeSeconds": 60"#).is_ok());
    refused(signer(r#", "issuer": 5"#), "invalid type");
    refused(signer(r#", "lifetime": 60"#), "lifetime");
    refused(signer(r#", "lifetimeSeconds": 0"#), "lifetimeSeconds");
    let issuer = |extra: &str| {
        MomentoIssuer::from_json(&format!(
            r#"{{"secret": {key}, "endpoint": "127.0.0.1"{extra}}}"#
        ))
        .map(drop)
    };
    assert!(issuer("").is_ok());
    refused(issuer(r#", "ttl": 60"#), "ttl");
    refused(
        MomentoIssuer::from_json(&format!(r#"{{"secret": {key}, "endpoint": 7}}"#)).map(drop),
        "invalid type",
    );
}
