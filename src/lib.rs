//! # playgate
//!
//! Entitlement decisions for web media players and CDN edge functions: may this viewer play
//! this title, now, from this country, on this device, and at what maximum quality?
//!
//! This crate is the pure Rust core; the thin binding layer that the npm package is built
//! from is the separate crate `playgate-wasm` in `src/wasm/`, the only one that imports
//! wasm-bindgen.
//!
//! ```
//! use playgate::{Entitlement, Policy, Request, Country};
//!
//! let policy = Policy::from_json(r#"{"tiers": {"premium": {"maxQuality": "UHD1"}}}"#)?;
//! let doc = Entitlement::from_json(br#"{"subscription_level": "premium", "region": "US",
//!     "valid_from": "2024-10-01T00:00:00Z", "valid_until": "2024-12-31T23:59:59Z",
//!     "allowed_content": ["movie_id_123", "series_id_456"]}"#)?;
//! let mut request = Request::new("movie_id_123", 1_730_000_000_000);
//! request.country = Country::parse("US");
//! let decision = policy.evaluate(&doc, &request)?;
//! assert!(decision.allowed());
//! assert_eq!(decision.max_quality.map(|q| q.as_str()), Some("UHD1"));
//! # Ok::<(), playgate::Error>(())
//! ```
//!
//! ## Design choices
//! - Parsed state (policies, documents, their resolution) stays in Rust; a decision is a
//!   small `Copy` value that packs into 23 bits for the JS layer, which builds the JS object.
//! - Decisions are values, failures are errors: a denial carries reasons; only malformed
//!   input is an [`Error`], with a stable [`ErrorCode`].
//! - The clock is injected: every decision takes `now`.
//! - No panics on any input: the crate denies `unwrap`, `expect`, `panic` and indexing.

pub mod abi;
pub mod base64;
pub mod claims;
pub mod country;
pub mod decision;
pub mod entitlement;
pub mod error;
pub mod json;
pub mod json_api;
#[cfg(feature = "jwt")]
pub mod jwt;
pub mod license;
#[cfg(feature = "jwt")]
pub mod momento_issuer;
pub mod momento_token;
pub mod policy;
pub mod protobuf;
pub mod quality;
pub mod request;
pub mod scope;
pub mod time;

pub use claims::{Claim, ClaimSet, EntityType};
pub use country::Country;
pub use decision::{evaluate, Context, Decision, Reason};
pub use entitlement::Entitlement;
pub use error::{Error, ErrorCode};
pub use license::License;
pub use policy::Policy;
pub use quality::Quality;
pub use request::{OwnedRequest, Request};
