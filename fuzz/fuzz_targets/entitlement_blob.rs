//! A cache blob: any bytes. Never a panic; a document that reads is decided without one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::decision::evaluate;
use playgate::entitlement::Entitlement;
use playgate::policy::Policy;
use playgate::request::Request;

fuzz_target!(|data: &[u8]| {
    // A limit below the input's size is an error naming it, whatever the bytes.
    if let Some(max) = data.len().checked_sub(1).filter(|&m| m > 0) {
        let e = Entitlement::from_json_within(data, max).unwrap_err();
        assert!(e.message().contains("limit"), "{}", e.message());
    }
    if let Ok(doc) = Entitlement::from_json(data) {
        let policy = Policy::new();
        for (id, now) in [("movie-1", 0), ("episode_2", 1_735_689_600_000), ("x", -1)] {
            let _ = evaluate(&doc, &policy.resolve(&doc), &Request::new(id, now));
        }
    }
});
