//! The policy: Mosaic claim sets and plans, and the tiers that `subscription_level` names.

use crate::decide::claims::{Claim, ClaimSet};
use crate::decide::entitlement::Entitlement;
use crate::decide::id_hash::StrTable;
use crate::error::Error;
use crate::quality::Quality;
use crate::wire::json::{self, JsonError, Kind, Reader, MAX_JSON_BYTES};

/// What a tier (a `subscription_level` value) grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tier {
    /// The tier's own claims plus the claims of its plan.
    pub claims: ClaimSet,
    /// Whether the tier defines `plan` or `claims` (then claim rules apply to its documents).
    pub defines_claims: bool,
    /// The tier's quality cap.
    pub max_quality: Option<Quality>,
}

/// A parsed policy. Immutable once built; cheap to share.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    plan_index: Names,
    plans: Vec<ClaimSet>,
    tier_index: Names,
    tiers: Vec<Tier>,
}

/// Name -> index into a `Vec`: one map type for plans, tiers and claim sets keeps one copy of
/// the hash table's code in the module.
#[derive(Debug, Clone, Default)]
struct Names(StrTable<u32>);

impl Names {
    /// Adds `name` as the next index; `false` if it is already there.
    fn add(&mut self, name: &str) -> bool {
        let next = self.0.len() as u32;
        self.0.insert(name.into(), next)
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.0.get(name).map(|&i| i as usize)
    }
}

/// What a policy makes of one document, computed once per (policy, document) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Claims that do not depend on time: `claims`, `plan`, the tier's plan and claims.
    pub fixed_claims: ClaimSet,
    /// Claims of each subscription's plan, in document order.
    pub subscription_claims: Vec<ClaimSet>,
    /// Whether claim rules apply (see the decision rules).
    pub claim_rules: bool,
    /// The tier's quality cap, if the document names a tier that has one.
    pub tier_cap: Option<Quality>,
}

impl Policy {
    /// An empty policy: no claim sets, plans or tiers.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Reads a policy from JSON text:
    /// `{claimSets: [{key, claims}], plans: [{id, claimSetKeys}], tiers: {name: {plan, claims, maxQuality}}}`.
    /// Unknown fields, unknown claims, duplicate keys or ids, and empty names are errors.
    #[inline(never)]
    pub fn from_json(text: &str) -> Result<Policy, Error> {
        if text.len() > MAX_JSON_BYTES {
            return Err(Error::policy(format!(
                "policy is {} bytes; the limit is {MAX_JSON_BYTES}",
                text.len()
            )));
        }
        let raw =
            json::read_text(text, RawPolicy::read).map_err(|e| Error::policy(e.to_string()))?;
        raw.build()
    }

    /// The claims of plan `id` (`None` if the policy has no such plan).
    pub fn plan(&self, id: &str) -> Option<&ClaimSet> {
        self.plan_index.get(id).and_then(|i| self.plans.get(i))
    }

    /// The tier named `name`.
    pub fn tier(&self, name: &str) -> Option<&Tier> {
        self.tier_index.get(name).and_then(|i| self.tiers.get(i))
    }

    /// Resolves the plans and tier a document names. Absent plans and tiers contribute nothing.
    pub fn resolve(&self, doc: &Entitlement) -> Resolution {
        let mut fixed_claims = doc.claims.unwrap_or_default();
        if let Some(plan) = doc.plan.as_deref().and_then(|p| self.plan(p)) {
            fixed_claims.union_with(plan);
        }
        let tier = doc.subscription_level.as_deref().and_then(|t| self.tier(t));
        if let Some(tier) = tier {
            fixed_claims.union_with(&tier.claims);
        }
        let subscription_claims = doc
            .subscriptions
            .iter()
            .flatten()
            .map(|s| self.plan(&s.plan).copied().unwrap_or_default())
            .collect();
        Resolution {
            fixed_claims,
            subscription_claims,
            claim_rules: doc.claims.is_some()
                || doc.plan.is_some()
                || doc.subscriptions.is_some()
                || tier.is_some_and(|t| t.defines_claims),
            tier_cap: tier.and_then(|t| t.max_quality),
        }
    }
}

#[derive(Default)]
struct RawPolicy {
    claim_sets: Vec<RawClaimSet>,
    plans: Vec<RawPlan>,
    tiers: Vec<(String, RawTier)>,
}

struct RawClaimSet {
    key: String,
    claims: Vec<String>,
}

struct RawPlan {
    id: String,
    claim_set_keys: Vec<String>,
}

#[derive(Default)]
struct RawTier {
    plan: Option<String>,
    claims: Option<Vec<String>>,
    max_quality: Option<String>,
}

/// Reads an object whose members are all known and required-or-optional, rejecting unknown
/// and duplicate members (policies are strict: a typo must not drop a rule).
fn strict_object<'a>(
    r: &mut Reader<'a>,
    what: &str,
    names: &[&str],
    mut member: impl FnMut(&mut Reader<'a>, usize) -> json::Result<()>,
) -> json::Result<()> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected(what));
    }
    let mut seen = 0u32;
    r.object(|r, key| {
        let Some(index) = names.iter().position(|n| *n == key) else {
            let mut expected = String::new();
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    expected.push_str(", ");
                }
                expected.push_str(name);
            }
            return Err(r.error(format!("unknown field `{key}` (expected {expected})")));
        };
        if seen & (1 << index) != 0 {
            return Err(r.error(format!("duplicate field `{key}`")));
        }
        seen |= 1 << index;
        member(r, index).map_err(|e| e.within(&key))
    })
}

fn required<T>(value: Option<T>, at: usize, name: &str) -> json::Result<T> {
    value.ok_or_else(|| JsonError::at(at, format!("missing field `{name}`")))
}

impl RawPolicy {
    fn read(r: &mut Reader<'_>) -> json::Result<RawPolicy> {
        let mut raw = RawPolicy::default();
        strict_object(
            r,
            "a policy object {claimSets, plans, tiers}",
            &["claimSets", "plans", "tiers"],
            |r, i| {
                if r.null()? {
                    return Ok(());
                }
                match i {
                    0 => r.array(|r, i| {
                        raw.claim_sets
                            .push(read_claim_set(r).map_err(|e| e.within(&format!("[{i}]")))?);
                        Ok(())
                    }),
                    1 => r.array(|r, i| {
                        raw.plans
                            .push(read_plan(r).map_err(|e| e.within(&format!("[{i}]")))?);
                        Ok(())
                    }),
                    _ => read_tiers(r, &mut raw.tiers),
                }
            },
        )?;
        Ok(raw)
    }
}

fn read_claim_set(r: &mut Reader<'_>) -> json::Result<RawClaimSet> {
    let at = r.position();
    let (mut key, mut claims) = (None, None);
    strict_object(
        r,
        "a claim set {key, claims}",
        &["key", "claims"],
        |r, i| {
            match i {
                0 => key = Some(r.string()?.into_owned()),
                _ => claims = Some(r.string_list()?),
            }
            Ok(())
        },
    )?;
    Ok(RawClaimSet {
        key: required(key, at, "key")?,
        claims: required(claims, at, "claims")?,
    })
}

fn read_plan(r: &mut Reader<'_>) -> json::Result<RawPlan> {
    let at = r.position();
    let (mut id, mut keys) = (None, None);
    strict_object(
        r,
        "a plan {id, claimSetKeys}",
        &["id", "claimSetKeys"],
        |r, i| {
            match i {
                0 => id = Some(r.string()?.into_owned()),
                _ => keys = Some(r.string_list()?),
            }
            Ok(())
        },
    )?;
    Ok(RawPlan {
        id: required(id, at, "id")?,
        claim_set_keys: required(keys, at, "claimSetKeys")?,
    })
}

fn read_tiers(r: &mut Reader<'_>, tiers: &mut Vec<(String, RawTier)>) -> json::Result<()> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("an object of tiers {name: {plan, claims, maxQuality}}"));
    }
    let mut names = Names::default();
    r.object(|r, name| {
        if !names.add(&name) {
            return Err(r.error(format!("duplicate tier `{name}`")));
        }
        let mut tier = RawTier::default();
        strict_object(
            r,
            "a tier {plan, claims, maxQuality}",
            &["plan", "claims", "maxQuality"],
            |r, i| {
                if r.null()? {
                    return Ok(());
                }
                match i {
                    0 => tier.plan = Some(r.string()?.into_owned()),
                    1 => tier.claims = Some(r.string_list()?),
                    _ => tier.max_quality = Some(r.string()?.into_owned()),
                }
                Ok(())
            },
        )
        .map_err(|e| e.within(&name))?;
        tiers.push((name.into_owned(), tier));
        Ok(())
    })
}

fn claims_of(names: &[String], owner: &str) -> Result<ClaimSet, Error> {
    let mut set = ClaimSet::default();
    for name in names {
        let claim = Claim::parse(name)
            .ok_or_else(|| Error::policy(format!("{owner}: unknown claim \"{name}\"")))?;
        set.insert(claim);
    }
    Ok(set)
}

fn non_empty(name: &str, what: &str) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::policy(format!("{what}: must be a non-empty string")));
    }
    Ok(())
}

impl RawPolicy {
    fn build(self) -> Result<Policy, Error> {
        let mut set_index = Names::default();
        let mut claim_sets = Vec::with_capacity(self.claim_sets.len());
        for (i, cs) in self.claim_sets.iter().enumerate() {
            let owner = format!("claimSets[{i}]");
            non_empty(&cs.key, &format!("{owner}.key"))?;
            claim_sets.push(claims_of(&cs.claims, &format!("{owner}.claims"))?);
            if !set_index.add(&cs.key) {
                return Err(Error::policy(format!(
                    "{owner}.key: duplicate claim set key \"{}\"",
                    cs.key
                )));
            }
        }
        let mut policy = Policy::default();
        for (i, plan) in self.plans.iter().enumerate() {
            non_empty(&plan.id, &format!("plans[{i}].id"))?;
            // A key that names no claim set is ignored, as Mosaic does.
            let mut claims = ClaimSet::default();
            for set in plan
                .claim_set_keys
                .iter()
                .filter_map(|key| set_index.get(key).and_then(|i| claim_sets.get(i)))
            {
                claims.union_with(set);
            }
            policy.plans.push(claims);
            if !policy.plan_index.add(&plan.id) {
                return Err(Error::policy(format!(
                    "plans[{i}].id: duplicate plan id \"{}\"",
                    plan.id
                )));
            }
        }
        for (name, raw) in self.tiers {
            let owner = format!("tiers.{name}");
            let mut claims = match &raw.claims {
                Some(names) => claims_of(names, &format!("{owner}.claims"))?,
                None => ClaimSet::default(),
            };
            if let Some(plan) = raw.plan.as_deref() {
                non_empty(plan, &format!("{owner}.plan"))?;
                if let Some(plan_claims) = policy.plan(plan) {
                    claims.union_with(plan_claims);
                }
            }
            let max_quality = match raw.max_quality.as_deref() {
                Some(q) => Some(Quality::parse(q).ok_or_else(|| {
                    Error::policy(format!(
                        "{owner}.maxQuality: \"{q}\" is not one of SD, HD, UHD1, UHD2"
                    ))
                })?),
                None => None,
            };
            let defines_claims = raw.plan.is_some() || raw.claims.is_some();
            // Names are unique: read_tiers rejects duplicates.
            policy.tier_index.add(&name);
            policy.tiers.push(Tier {
                claims,
                defines_claims,
                max_quality,
            });
        }
        Ok(policy)
    }
}
