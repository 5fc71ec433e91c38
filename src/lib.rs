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

// The rooms, each deciding one thing: `decide/` (may this viewer play this title, at what
// quality), `token/` (what a token says and may read), `manifest/` (a manifest capped to a
// quality). At the root, what they share: qualities, countries, errors, the wire formats, and
// the JS protocol (`abi`, `json_api`).
mod country;
mod decide;
mod error;
mod json_api;
mod quality;

pub mod abi;
pub mod manifest;
pub mod token;
mod wire;

pub use country::Country;
pub use decide::claims::{Claim, ClaimSet, EntityType};
pub use decide::decision::{evaluate, Context, Decision, Reason};
pub use decide::entitlement::Entitlement;
pub use decide::license::License;
pub use decide::policy::Policy;
pub use decide::request::{OwnedRequest, Request};
pub use error::{Error, ErrorCode};
pub use json_api::{evaluate_request_json, DecisionView};
pub use quality::Quality;
pub use wire::time::{parse_rfc3339, Millis, MAX_ABS_MILLIS};

/// What the binding crate (`src/wasm/`) needs beyond the public API: the packed forms and the
/// input checks of the JS protocol (`abi`), and the wire readers it calls directly. Not a
/// stable interface.
#[doc(hidden)]
pub mod binding {
    pub use crate::decide::decision::PackedIds;
    pub use crate::decide::entitlement::{DEFAULT_MAX_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES_LIMIT};
    pub use crate::decide::policy::Resolution;
    pub use crate::decide::request::{check_device, parse_country, EntityExtras};
    pub use crate::wire::{base64, time};
}

/// Internals the tests and fuzz targets exercise directly (feature `test-support`).
#[cfg(feature = "test-support")]
#[doc(hidden)]
pub mod test_support {
    pub use crate::decide::request::check_entity_id;
    pub use crate::wire::{base64, json, time};
}
