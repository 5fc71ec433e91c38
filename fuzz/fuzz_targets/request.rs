//! A request's JSON text, and the extras the JS layer sends alone.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::request::{EntityExtras, OwnedRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EntityExtras::from_json(text);
    if let Ok(request) = OwnedRequest::from_json(text) {
        // What reads must be a request the rules can take: a non-blank id.
        assert!(!request
            .entity_id
            .trim_matches(|c: char| c.is_ascii_whitespace())
            .is_empty());
    }
});
