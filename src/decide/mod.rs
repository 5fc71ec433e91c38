//! The decision room: may this viewer play this title, now, from this country, on this device,
//! and at what quality? One file per concept of the rules (`docs/decision-rules.md`):
//!
//! - `claims.rs`: Mosaic claim names, claim sets, entity types;
//! - `policy.rs`: plans, claim sets and tiers, and a document's resolution against them;
//! - `entitlement.rs`: the entitlement document (a JSON blob or dictionary fields), with its id
//!   set in `id_hash.rs`;
//! - `license.rs`: licensing windows;
//! - `request.rs`: what is asked;
//! - `decision.rs`: the checks in order, and the decision they give.
//!
//! The vocabulary shared with the other rooms (qualities, countries, errors, the wire formats)
//! is at the crate's root.

pub(crate) mod claims;
pub(crate) mod decision;
pub(crate) mod entitlement;
pub(crate) mod id_hash;
pub(crate) mod license;
pub(crate) mod policy;
pub(crate) mod request;
