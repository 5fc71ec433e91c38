//! The check plan and `explain` (on every grant and every other denial) against `allows`, for
//! scopes from either form (the first byte picks: even = protobuf, odd = JSON), with the
//! queries taken from the rest of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::token::momento::PermissionScope;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (form, queries) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let scope = if pick % 2 == 0 {
        PermissionScope::from_protobuf(form).ok()
    } else {
        std::str::from_utf8(form)
            .ok()
            .and_then(|t| PermissionScope::from_json(t).ok())
    };
    if let Some(scope) = scope {
        playgate_fuzz::check_scope_with(&scope, queries, 2);
    }
});
