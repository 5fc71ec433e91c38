//! Momento: permission scopes (what a token may read and write), tokens decoded without
//! verification, and (feature `jwt`) a local issuer of tokens in Momento's exact shape.
//!
//! - `scope/`: the scope model and its checks (`mod.rs`), `explain` (why a check came out as
//!   it did), `validate` (what the service refuses), `json` (the SDK's JSON form), `protobuf`
//!   (a token's `p` claim) and `plan` (the checks as data for the JS layer);
//! - `token.rs`: reading a token (v1 disposable, legacy JWT) down to its scope and expiry;
//! - `issuer.rs`: minting and verifying v1 tokens with a local secret (the cache emulator's).
//!
//! The facts these follow are in `docs/momento.md`.

#[cfg(feature = "jwt")]
mod issuer;
mod scope;
mod token;

#[cfg(feature = "jwt")]
pub use issuer::{IssuedToken, MomentoIssuer, MAX_LIFETIME_SECONDS, MAX_TOKEN_ID_CHARS};
pub use scope::{
    operation, CacheRole, CacheSelector, Explanation, FunctionRole, FunctionSelector, ItemSelector,
    NameSelector, OperationClass, Permission, PermissionScope, TopicRole, TopicSelector,
    OPERATIONS, OPERATION_SOURCES,
};
pub use token::{decode_momento_token, TokenKind, UnverifiedMomentoToken};
