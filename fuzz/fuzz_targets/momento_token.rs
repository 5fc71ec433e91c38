//! Momento token strings (v1 disposable, legacy, v2), decoded without verification.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::ErrorCode;
use playgate::token::momento::decode_momento_token;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match decode_momento_token(text) {
        Ok(token) => {
            if let Some(scope) = &token.scope {
                playgate_fuzz::check_scope(scope, data);
            }
            assert_eq!(token.endpoint.is_some(), token.http_base_url.is_some());
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::MalformedToken, "{}", e.message()),
    }
});
