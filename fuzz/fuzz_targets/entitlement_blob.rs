//! A cache blob: any bytes. Checked: every failure is `INVALID_ENTITLEMENT`; the size limit is
//! exact (a limit of the input's size reads as the default does, one byte less is an error
//! naming the limit, whatever the bytes); a document that reads is decided without a panic,
//! and a denial or grant for it is consistent (the decision target checks decisions deeply).
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::evaluate;
use playgate::Entitlement;
use playgate::ErrorCode;
use playgate::Policy;
use playgate::Request;

fuzz_target!(|data: &[u8]| {
    let read = Entitlement::from_json(data);
    if let Err(e) = &read {
        assert_eq!(e.code(), ErrorCode::InvalidEntitlement, "{}", e.message());
    }
    if !data.is_empty() {
        let exact = Entitlement::from_json_within(data, data.len());
        assert_eq!(exact.is_ok(), read.is_ok(), "a limit of the input's size");
        if let Some(max) = data.len().checked_sub(1).filter(|&m| m > 0) {
            let e = Entitlement::from_json_within(data, max).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidEntitlement);
            assert!(e.message().contains(&max.to_string()), "{}", e.message());
        }
    }
    if let Ok(doc) = read {
        let policy = Policy::new();
        let resolution = policy.resolve(&doc);
        for (id, now) in [("movie-1", 0), ("episode_2", 1_735_689_600_000), ("x", -1)] {
            if let Ok(d) = evaluate(&doc, &resolution, &Request::new(id, now)) {
                assert_eq!(d.allowed(), d.code().is_none());
                assert!(d.valid_until.is_none_or(|t| t > now));
            }
        }
    }
});
