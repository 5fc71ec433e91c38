//! A policy's JSON text: every failure is `INVALID_POLICY`; one that reads resolves documents
//! and decides without a panic, each decision consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::evaluate;
use playgate::Entitlement;
use playgate::Policy;
use playgate::Request;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let read = Policy::from_json(text);
    if let Err(e) = &read {
        assert_eq!(
            e.code(),
            playgate::ErrorCode::InvalidPolicy,
            "{}",
            e.message()
        );
    }
    if let Ok(policy) = read {
        for doc in [
            r#"{"subscription_level":"premium","region":"US"}"#,
            r#"{"plan":"basic","subscriptions":[{"plan":"p","status":"ACTIVE","period_end":"2030-01-01T00:00:00Z"}]}"#,
            r#"{"claims":["ENTITY_TYPE_MOVIES","QUALITY_HD"],"subscription_level":"gold"}"#,
        ] {
            let doc = Entitlement::from_json(doc.as_bytes()).unwrap();
            if let Ok(d) = evaluate(&doc, &policy.resolve(&doc), &Request::new("movie-1", 0)) {
                assert_eq!(d.allowed(), d.code().is_none());
                assert!(d.allowed() || d.max_quality.is_none());
            }
        }
    }
});
