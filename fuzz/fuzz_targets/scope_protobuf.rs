//! A token's `p` claim, decoded: any bytes as a `Permissions` message.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::token::momento::PermissionScope;

fuzz_target!(|data: &[u8]| {
    if let Ok(scope) = PermissionScope::from_protobuf(data) {
        playgate_fuzz::check_scope(&scope, data);
    }
});
