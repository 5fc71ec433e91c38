//! Base64 (RFC 4648) against the `base64` crate: the strict standard alphabet (v1 tokens, `p`
//! claims) must accept exactly what its canonical padded engine accepts, the URL alphabet what
//! the no-padding URL-safe engine accepts (JWT segments), with the same bytes; every decoding
//! re-encodes to its input where the form is canonical.
#![no_main]
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use playgate::test_support::base64::{decode, encode, Alphabet};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let strict = decode(text, Alphabet::StandardStrict);
        assert_eq!(strict, STANDARD.decode(text).ok(), "standard {text:?}");
        if let Some(bytes) = &strict {
            assert_eq!(encode(bytes, false), text);
        }
        let url = decode(text, Alphabet::Url);
        assert_eq!(url, URL_SAFE_NO_PAD.decode(text).ok(), "url {text:?}");
        if let Some(bytes) = &url {
            // Canonical unless the last character carries bits that were ignored.
            let again = encode(bytes, true);
            assert_eq!(decode(&again, Alphabet::Url).as_ref(), Some(bytes));
        }
        let _ = decode(text, Alphabet::Lenient);
    }
    // Any bytes encode and decode back.
    assert_eq!(
        decode(&encode(data, false), Alphabet::StandardStrict).as_deref(),
        Some(data)
    );
    assert_eq!(
        decode(&encode(data, true), Alphabet::Url).as_deref(),
        Some(data)
    );
});
