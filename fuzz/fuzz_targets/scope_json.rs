//! A scope's SDK JSON form: one that reads answers alike in every form and view, and converts
//! exactly (playgate_fuzz::check_scope).
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::token::momento::PermissionScope;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scope) = PermissionScope::from_json(text) {
        // What reads from JSON always has a JSON form (the reader and writer agree).
        let written = scope
            .to_json()
            .expect("a scope read from JSON writes as JSON");
        assert_eq!(PermissionScope::from_json(&written).unwrap(), scope);
        playgate_fuzz::check_scope(&scope, data);
    }
});
