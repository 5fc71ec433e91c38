//! The wire formats the rooms read and write, each written here for size (the reasons,
//! measured, are at the top of each file): JSON (RFC 8259), base64 (RFC 4648), RFC 3339
//! instants and the protobuf wire format.

pub mod base64;
pub mod json;
pub mod protobuf;
pub mod time;
