//! JWT verification with fixed keys (an HS256 secret and an ES256 pair; the seeds are signed with
//! them, fuzz/seeds.mjs). The input is a byte that picks (0 an HS256 verifier, 1 an ES256 one,
//! 2 a valid HS256 token with the rest of the input XORed into it), 8 bytes of `now` (little-
//! endian i64 milliseconds added to 2024-11-15T12:00:00Z, saturating) and the token.
//! Checked: no panic; a failure has a JWT code; a token that verifies is not expired or
//! immature at `now` beyond the leeway (60 s), carries the `exp` the verifier requires and the
//! audience it names; the platform (WebCrypto) path accepts what `verify` accepts with the same
//! claims; a playback token's scope passes every scope check; and a mutated token that still
//! verifies carries exactly the claims that were signed (base64url may spell the same bytes two
//! ways; the signed content cannot change).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use playgate::ErrorCode;
use playgate::token::jwt::{Signer, Verifier};
use playgate::token::momento::PermissionScope;

const HS_KEY: &str =
    r#"{"kty":"oct","k":"CzBVep_E6Q4zWH2ix-wRNluApcrvFDleg6jN8hc8YYY","kid":"k1"}"#;
const ES_PRIVATE: &str = r#"{"kty":"EC","crv":"P-256","x":"tVQNkbw8Sv_X10RYZfckVjrmjSclkBke1qiq5F4s4ps","y":"a0jPfQ2-wVHlXMrZLVaVURF10Q2KL34yRGDTCTyJxb8","d":"lI4tN4tM66gd-yoqPZWkAW8sAPFqxkWNuxBugN8Hno4","kid":"e1"}"#;
const ES_PUBLIC: &str = r#"{"kty":"EC","crv":"P-256","x":"tVQNkbw8Sv_X10RYZfckVjrmjSclkBke1qiq5F4s4ps","y":"a0jPfQ2-wVHlXMrZLVaVURF10Q2KL34yRGDTCTyJxb8","kid":"e1"}"#;
const NOW: i64 = 1_731_672_000_000;

struct Fixture {
    hs: Verifier,
    es: Verifier,
    token: String,
    claims: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let hs = Verifier::from_json(&format!(r#"{{"algorithms":["HS256"],"keys":[{HS_KEY}]}}"#)).unwrap();
        let es = Verifier::from_json(&format!(r#"{{"algorithms":["ES256"],"keys":[{ES_PUBLIC}],"audience":"edge"}}"#)).unwrap();
        // Signed once by the ES256 minter too, so the signer is exercised, then by HS256.
        let scope = PermissionScope::from_json(r#"{"permissions":[{"role":"readonly","cache":"media","item":{"keyPrefix":"/Movie1/"}}]}"#).unwrap();
        let es_signer = Signer::from_json(&format!(r#"{{"algorithm":"ES256","key":{ES_PRIVATE},"kid":"e1","audience":"edge"}}"#)).unwrap();
        es.verify_playback(&es_signer.mint(&scope, Some("u"), None, NOW).unwrap(), NOW).unwrap();
        let signer = Signer::from_json(&format!(r#"{{"algorithm":"HS256","key":{HS_KEY},"kid":"k1"}}"#)).unwrap();
        let token = signer.mint(&scope, Some("user-42"), None, NOW).unwrap();
        let claims = hs.verify(&token, NOW).unwrap().claims_json;
        Fixture { hs, es, token, claims }
    })
}

fn jwt_code(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::MalformedToken
            | ErrorCode::AlgorithmNotAllowed
            | ErrorCode::UnknownKey
            | ErrorCode::BadSignature
            | ErrorCode::TokenExpired
            | ErrorCode::TokenNotYetValid
            | ErrorCode::WrongIssuer
            | ErrorCode::WrongAudience
            | ErrorCode::InvalidScope
    )
}

const LEEWAY_MS: i64 = 60_000;

/// What a verified token's claims must say at `now`.
fn check_claims(claims_json: &str, now: i64, audience: Option<&str>) {
    let claims: serde_json::Value = serde_json::from_str(claims_json).unwrap();
    let seconds = |name: &str| {
        claims.get(name).map(|v| {
            v.as_f64()
                .unwrap_or_else(|| panic!("{name} is not a number: {claims_json}"))
        })
    };
    let exp = seconds("exp").expect("exp is required and was verified missing");
    assert!(
        exp * 1000.0 + LEEWAY_MS as f64 > now as f64,
        "an expired token verified at {now}: {claims_json}"
    );
    if let Some(nbf) = seconds("nbf") {
        assert!(
            nbf * 1000.0 - LEEWAY_MS as f64 <= now as f64,
            "a token not yet valid verified at {now}: {claims_json}"
        );
    }
    if let Some(audience) = audience {
        let aud = claims.get("aud");
        let named = aud.and_then(|a| a.as_str()) == Some(audience)
            || aud
                .and_then(|a| a.as_array())
                .is_some_and(|l| l.iter().any(|a| a.as_str() == Some(audience)));
        assert!(
            named,
            "a token for another audience verified: {claims_json}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Some((delta, rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let now = NOW.saturating_add(i64::from_le_bytes(*delta));
    match pick % 3 {
        0 | 1 => {
            let Ok(token) = std::str::from_utf8(rest) else {
                return;
            };
            let (verifier, audience) = if pick % 3 == 0 {
                (&f.hs, None)
            } else {
                (&f.es, Some("edge"))
            };
            let verified = verifier.verify(token, now);
            match &verified {
                Ok(v) => check_claims(&v.claims_json, now, audience),
                Err(e) => assert!(jwt_code(e.code()), "{:?}: {}", e.code(), e.message()),
            }
            match verifier.verify_playback(token, now) {
                Ok(playback) => {
                    assert_eq!(Some(&playback.verified), verified.as_ref().ok());
                    playgate_fuzz::check_scope(&playback.scope, rest);
                }
                Err(e) => {
                    assert!(jwt_code(e.code()), "{:?}: {}", e.code(), e.message());
                    if let Err(v) = &verified {
                        assert_eq!(e.code(), v.code(), "playback fails as verify does");
                    }
                }
            }
            // The platform path: what verifies natively is what WebCrypto would be asked to
            // check, and its held answer is what the native path gives (verify and playback).
            let platform = verifier.prepare_platform(token, now);
            let platform_playback = verifier.prepare_platform_playback(token, now);
            match (platform, platform_playback) {
                (Ok(Some(check)), Ok(Some(playback))) => {
                    assert!(!check.keys.is_empty());
                    assert!(token.as_bytes().starts_with(check.signed));
                    assert_eq!(check.keys, playback.keys);
                    if let Ok(v) = &verified {
                        assert_eq!(check.if_signature_valid.as_ref().ok(), Some(v));
                        match (&playback.if_signature_valid, verifier.verify_playback(token, now)) {
                            (Ok(a), Ok(b)) => {
                                assert_eq!(a.verified, b.verified);
                                assert_eq!(a.scope, b.scope);
                                assert_eq!(a.entitlement_json, b.entitlement_json);
                            }
                            (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
                            _ => panic!("the held playback answer differs from verify_playback"),
                        }
                    }
                }
                (Ok(None), Ok(None)) => {
                    // Only HS256 has no platform path.
                    assert!(pick % 3 == 0);
                }
                (Err(a), Err(b)) => {
                    assert!(jwt_code(a.code()), "{:?}: {}", a.code(), a.message());
                    assert_eq!(a.code(), b.code());
                    assert!(verified.is_err(), "{}", a.message());
                }
                _ => panic!("prepare_platform and prepare_platform_playback disagree"),
            }
        }
        _ => {
            let mut token = f.token.clone().into_bytes();
            for (i, b) in rest.iter().enumerate() {
                if let Some(t) = token.get_mut(i % f.token.len()) {
                    *t ^= b;
                }
            }
            let Ok(token) = String::from_utf8(token) else {
                return;
            };
            if let Ok(v) = f.hs.verify(&token, now) {
                assert_eq!(
                    v.claims_json, f.claims,
                    "a changed token verified with other claims: {token}"
                );
                check_claims(&v.claims_json, now, None);
            }
        }
    }
});
