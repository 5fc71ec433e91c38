//! JSON-text entry points: the same decisions with JSON in and out, so the boundary's shapes
//! (request fields, decision fields) are tested natively and by the vectors.

use serde::Serialize;

use crate::decide::decision::{evaluate, Decision, Reason};
use crate::decide::entitlement::Entitlement;
use crate::decide::policy::Policy;
use crate::decide::request::OwnedRequest;
use crate::error::Error;
use crate::wire::time::Millis;

/// A decision as the JS API returns it.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionView {
    /// No check failed.
    pub allowed: bool,
    /// The first failed check; `null` when allowed.
    pub code: Option<&'static str>,
    /// Every failed check, in order.
    pub reasons: Vec<&'static str>,
    /// Claims returned (empty when denied), in Mosaic's order.
    pub claims: Vec<String>,
    /// `SD` / `HD` / `UHD1` / `UHD2`, or `null` (uncapped, or denied).
    pub max_quality: Option<&'static str>,
    /// Whether a persistent license may be issued.
    pub allow_persistence: bool,
    /// Epoch ms, or `null`.
    pub valid_until: Option<Millis>,
}

impl From<&Decision> for DecisionView {
    fn from(d: &Decision) -> Self {
        DecisionView {
            allowed: d.allowed(),
            code: d.code(),
            reasons: d.reasons.iter().map(Reason::code).collect(),
            claims: d.claims.names(),
            max_quality: d.max_quality.map(|q| q.as_str()),
            allow_persistence: d.allow_persistence,
            valid_until: d.valid_until,
        }
    }
}

/// Decides a request given as JSON text; `default_now` is used when the request has no `now`.
pub fn evaluate_request_json(
    policy: &Policy,
    doc: &Entitlement,
    request_json: &str,
    default_now: Millis,
) -> Result<DecisionView, Error> {
    let request = OwnedRequest::from_json(request_json)?;
    let decision = evaluate(doc, &policy.resolve(doc), &request.as_request(default_now))?;
    Ok(DecisionView::from(&decision))
}
