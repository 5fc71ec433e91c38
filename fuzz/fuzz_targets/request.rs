//! A request's JSON text, and the extras the JS layer sends alone (`_setExtras`). Checked: what
//! reads is a request the rules can take (a non-blank id, a non-blank device, instants a JS
//! `Date` can hold), every failure is `INVALID_REQUEST`, and a request's extras read alone as
//! they read inside it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::ErrorCode;
use playgate::binding::{check_device, EntityExtras};
use playgate::test_support::check_entity_id;
use playgate::OwnedRequest;
use playgate::MAX_ABS_MILLIS;

fn in_range(t: Option<i64>) -> bool {
    t.is_none_or(|t| t.abs() <= MAX_ABS_MILLIS)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let extras = EntityExtras::from_json(text);
    match &extras {
        Ok(x) => {
            for l in x.licenses.iter().flatten() {
                assert!(in_range(l.start) && in_range(l.end), "license instants");
            }
            assert!(x.ancestors.len() <= playgate::test_support::json::MAX_LIST_ITEMS);
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidRequest, "{}", e.message()),
    }
    match OwnedRequest::from_json(text) {
        Ok(request) => {
            assert!(check_entity_id(&request.entity_id).is_ok());
            assert!(request
                .device
                .as_deref()
                .is_none_or(|d| check_device(d).is_ok()));
            assert!(in_range(request.now), "now {:?}", request.now);
            for l in request.extras.licenses.iter().flatten() {
                assert!(in_range(l.start) && in_range(l.end), "license instants");
            }
        }
        Err(e) => assert_eq!(e.code(), ErrorCode::InvalidRequest, "{}", e.message()),
    }
    // Extras that read alone read the same inside a whole request (the JS layer sends them
    // apart from the id, country and device; the native entry points read them together).
    if let Ok(x) = &extras {
        let body = text
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .strip_prefix('{')
            .expect("extras are an object");
        let empty = body
            .trim_start_matches([' ', '\t', '\n', '\r'])
            .starts_with('}');
        let whole = format!(
            "{{\"entityId\":\"movie-1\"{}{body}",
            if empty { "" } else { "," }
        );
        let request = OwnedRequest::from_json(&whole)
            .unwrap_or_else(|e| panic!("{whole:?}: {}", e.message()));
        assert_eq!(&request.extras, x);
    }
});
