//! JWT verification with fixed keys (an HS256 secret and an ES256 pair; the seeds are signed with
//! them, fuzz/seeds.mjs). The first byte picks: 0 an HS256 verifier, 1 an ES256 one, 2 a valid
//! HS256 token with the rest of the input XORed into it. Checked: no panic; a failure has a JWT
//! code; a token that verifies is not expired or immature at `now` beyond the leeway; and a
//! mutated token that still verifies carries exactly the claims that were signed (base64url may
//! spell the same bytes two ways; the signed content cannot change).
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use playgate::error::ErrorCode;
use playgate::jwt::{Signer, Verifier};
use playgate::scope::PermissionScope;

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

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 3 {
        0 | 1 => {
            let Ok(token) = std::str::from_utf8(rest) else {
                return;
            };
            let verifier = if pick % 3 == 0 { &f.hs } else { &f.es };
            match verifier.verify(token, NOW) {
                Ok(v) => {
                    let claims: serde_json::Value = serde_json::from_str(&v.claims_json).unwrap();
                    if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_i64) {
                        assert!(exp * 1000 + 60_000 > NOW, "an expired token verified");
                    }
                }
                Err(e) => assert!(jwt_code(e.code()), "{:?}: {}", e.code(), e.message()),
            }
            let _ = verifier.verify_playback(token, NOW);
            let _ = verifier.prepare_platform(token);
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
            if let Ok(v) = f.hs.verify(&token, NOW) {
                assert_eq!(
                    v.claims_json, f.claims,
                    "a changed token verified with other claims: {token}"
                );
            }
        }
    }
});
