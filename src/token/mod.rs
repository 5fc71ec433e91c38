//! The token room: what a token says and may do. Momento tokens and their permission scopes
//! (`momento/`: may this token read this key?), and with feature `jwt` (the edge module only)
//! JWTs: playback and end-user tokens verified and minted with jwt-compact (`jwt.rs`), and the
//! Axinom DRM license service message (`axinom.rs`).

#[cfg(feature = "jwt")]
pub mod axinom;
#[cfg(feature = "jwt")]
pub mod jwt;
pub mod momento;
