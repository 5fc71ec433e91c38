//! The decision: the checks in their fixed order, the granted claims, the quality cap, and how
//! long the answer holds. See `docs/decision-rules.md`.

use crate::abi;
use crate::country::Country;
use crate::decide::claims::{ClaimSet, EntityType};
use crate::decide::entitlement::{Entitlement, IdSet};
use crate::decide::license::License;
use crate::decide::policy::{Policy, Resolution};
use crate::decide::request::{check_entity_id, Request};
use crate::error::{Error, ErrorCode};
use crate::quality::{lowest_cap, Quality};
use crate::wire::time::Millis;

/// A failed check. The discriminant is the check's position: `code` is the lowest one set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// 1: `now < valid_from`.
    NotYetValid = 0,
    /// 2: `now >= valid_until`.
    Expired,
    /// 3: a geo rule needs the country and the request has none.
    CountryUnknown,
    /// 4: licenses given, but none.
    LicenseNotFound,
    /// 4: licenses given, none valid now in this country.
    LicenseNotValid,
    /// 5: `allowed_content` holds neither the entity nor an ancestor.
    ContentNotAllowed,
    /// 6: the document uses subscriptions and none is active.
    SubscriptionNotActive,
    /// 7: claim rules apply and no claim is held.
    NoClaims,
    /// 8: claim rules apply and the entity-type claim is missing.
    EntityTypeNotAllowed,
    /// 9: persistence asked for, not a channel, no `ENABLE_VIDEOS_DOWNLOAD`.
    PersistenceNotAllowed,
    /// 10: country claims or `region` exclude the country.
    CountryNotAllowed,
    /// 11: `device_restriction` excludes the device.
    DeviceNotAllowed,
}

impl Reason {
    /// Every reason, in check order.
    pub const ALL: [Reason; 12] = [
        Reason::NotYetValid,
        Reason::Expired,
        Reason::CountryUnknown,
        Reason::LicenseNotFound,
        Reason::LicenseNotValid,
        Reason::ContentNotAllowed,
        Reason::SubscriptionNotActive,
        Reason::NoClaims,
        Reason::EntityTypeNotAllowed,
        Reason::PersistenceNotAllowed,
        Reason::CountryNotAllowed,
        Reason::DeviceNotAllowed,
    ];

    /// The decision code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotYetValid => "ENTITLEMENT_NOT_YET_VALID",
            Self::Expired => "ENTITLEMENT_EXPIRED",
            Self::CountryUnknown => "COUNTRY_UNKNOWN",
            Self::LicenseNotFound => "LICENSE_NOT_FOUND",
            Self::LicenseNotValid => "LICENSE_IS_NOT_VALID",
            Self::ContentNotAllowed => "CONTENT_NOT_ALLOWED",
            Self::SubscriptionNotActive => "SUBSCRIPTION_NOT_ACTIVE",
            Self::NoClaims => "NO_CLAIMS",
            Self::EntityTypeNotAllowed => "ENTITY_TYPE_NOT_ALLOWED",
            Self::PersistenceNotAllowed => "PERSISTENCE_NOT_ALLOWED",
            Self::CountryNotAllowed => "COUNTRY_NOT_ALLOWED",
            Self::DeviceNotAllowed => "DEVICE_NOT_ALLOWED",
        }
    }
}

/// The set of failed checks, one bit per [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reasons(u16);

impl Reasons {
    #[inline(always)]
    fn add_if(&mut self, failed: bool, reason: Reason) {
        self.0 |= u16::from(failed) << (reason as u8);
    }

    /// No check failed.
    #[inline(always)]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The first failed check.
    #[inline(always)]
    pub fn first(self) -> Option<Reason> {
        Reason::ALL.get(self.0.trailing_zeros() as usize).copied()
    }

    /// Every failed check, in check order.
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL
            .into_iter()
            .filter(move |r| self.0 & (1 << (*r as u8)) != 0)
    }

    /// The raw bits (bit `i` = `Reason::ALL[i]`).
    #[inline(always)]
    pub fn bits(self) -> u16 {
        self.0
    }
}

/// The claims a successful decision returns, in Mosaic's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GrantedClaims {
    /// The entity-type claim, when held.
    pub entity_type: Option<EntityType>,
    /// `COUNTRY_<cc>`, when country claims exist.
    pub country: Option<Country>,
    /// `ENABLE_VIDEOS_DOWNLOAD`, when persistence was asked for, held, and not a channel.
    pub download: bool,
    /// The single highest `QUALITY_*` held.
    pub quality: Option<Quality>,
}

impl GrantedClaims {
    /// The claim names, in order.
    pub fn names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(4);
        names.extend(self.entity_type.map(|t| t.claim().to_owned()));
        names.extend(
            self.country
                .map(|c| format!("COUNTRY_{}", c.to_code_string())),
        );
        if self.download {
            names.push("ENABLE_VIDEOS_DOWNLOAD".to_owned());
        }
        names.extend(self.quality.map(|q| format!("QUALITY_{}", q.as_str())));
        names
    }
}

/// One decision. A denial is a normal value: `reasons` says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    /// Every failed check.
    pub reasons: Reasons,
    /// Claims returned (empty when denied).
    pub claims: GrantedClaims,
    /// The lowest applicable quality cap; `None` = uncapped (always `None` when denied).
    pub max_quality: Option<Quality>,
    /// Whether a persistent license may be issued.
    pub allow_persistence: bool,
    /// The earliest instant after `now` at which the same inputs could decide differently.
    pub valid_until: Option<Millis>,
}

impl Decision {
    /// No check failed.
    pub fn allowed(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The first failed check's code; `None` when allowed.
    pub fn code(&self) -> Option<&'static str> {
        self.reasons.first().map(Reason::code)
    }

    /// Packs everything but `valid_until` into 23 bits for the JS layer (the layout: [`abi`]).
    #[inline(always)]
    pub fn pack(&self) -> u32 {
        let rank = |q: Option<Quality>| u32::from(q.map_or(0, Quality::rank));
        u32::from(self.reasons.bits())
            | rank(self.max_quality) << abi::MAX_QUALITY_SHIFT
            | u32::from(self.claims.entity_type.map_or(0, EntityType::rank))
                << abi::ENTITY_TYPE_SHIFT
            | u32::from(self.claims.country.is_some()) << abi::COUNTRY_CLAIM_BIT
            | u32::from(self.claims.download) << abi::DOWNLOAD_CLAIM_BIT
            | rank(self.claims.quality) << abi::QUALITY_CLAIM_SHIFT
            | u32::from(self.allow_persistence) << abi::PERSISTENCE_BIT
    }

    /// The inverse of [`Decision::pack`]; `country` is the request's (for `COUNTRY_<cc>`). Test
    /// support (feature `test-support`): the JS layer decodes, the tests check it against this.
    #[cfg(any(test, feature = "test-support"))]
    pub fn unpack(bits: u32, country: Option<Country>, valid_until: Option<Millis>) -> Decision {
        let field = |shift: u32, width: u32| ((bits >> shift) & ((1 << width) - 1)) as u8;
        let entity_type = match field(abi::ENTITY_TYPE_SHIFT, 2) {
            1 => Some(EntityType::Movie),
            2 => Some(EntityType::Episode),
            3 => Some(EntityType::Channel),
            _ => None,
        };
        Decision {
            reasons: Reasons((bits & abi::REASON_MASK) as u16),
            claims: GrantedClaims {
                entity_type,
                country: country.filter(|_| field(abi::COUNTRY_CLAIM_BIT, 1) == 1),
                download: field(abi::DOWNLOAD_CLAIM_BIT, 1) == 1,
                quality: Quality::from_rank(field(abi::QUALITY_CLAIM_SHIFT, 3)),
            },
            max_quality: Quality::from_rank(field(abi::MAX_QUALITY_SHIFT, 3)),
            allow_persistence: field(abi::PERSISTENCE_BIT, 1) == 1,
            valid_until,
        }
    }

    /// One byte for catalog pages (the layout: [`abi`]): low 4 bits = 0 when allowed, else 1 +
    /// the first failed check's index in [`Reason::ALL`]; high 4 bits = the max quality rank.
    #[inline(always)]
    pub fn catalog_byte(&self) -> u8 {
        let code = self.reasons.first().map_or(0, |r| r as u8 + 1);
        code | self.max_quality.map_or(0, Quality::rank) << abi::CATALOG_QUALITY_SHIFT
    }
}

/// Tracks the earliest instant strictly after `now`.
struct Horizon {
    now: Millis,
    earliest: Option<Millis>,
}

impl Horizon {
    #[inline(always)]
    fn consider(&mut self, instant: Option<Millis>) {
        if let Some(t) = instant.filter(|t| *t > self.now) {
            self.earliest = Some(self.earliest.map_or(t, |e| e.min(t)));
        }
    }
}

/// Everything about a decision that does not depend on the entity: computed once for a
/// request, or once for a whole catalog page sharing country, device and time. It holds for
/// every `now` in `[computed_at, valid_until)` (see [`Context::holds_at`]), so a caller may
/// keep it while the document, policy, country, device and persistence flag stay the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    claim_rules: bool,
    claims: ClaimSet,
    country: Option<Country>,
    allow_persistence: bool,
    reasons: Reasons,
    cap: Option<Quality>,
    computed_at: Millis,
    valid_until: Option<Millis>,
}

impl Context {
    /// Runs every entity-independent check for `doc` (resolved by a policy) at `now`.
    pub fn new(
        doc: &Entitlement,
        resolution: &Resolution,
        country: Option<Country>,
        device: Option<&str>,
        now: Millis,
        allow_persistence: bool,
    ) -> Context {
        let mut claims = resolution.fixed_claims;
        let mut horizon = Horizon {
            now,
            earliest: None,
        };
        horizon.consider(doc.valid_from);
        horizon.consider(doc.valid_until);
        let mut any_active = false;
        for (i, sub) in doc.subscriptions.iter().flatten().enumerate() {
            if sub.status_counts {
                horizon.consider(Some(sub.period_end));
            }
            if !any_active && sub.is_active(now) {
                any_active = true;
                if let Some(plan) = resolution.subscription_claims.get(i) {
                    claims.union_with(plan);
                }
            }
        }
        let country_claims = claims.has_country_claims();
        let mut reasons = Reasons::default();
        reasons.add_if(
            doc.valid_from.is_some_and(|from| now < from),
            Reason::NotYetValid,
        );
        reasons.add_if(
            doc.valid_until.is_some_and(|until| now >= until),
            Reason::Expired,
        );
        reasons.add_if(
            country.is_none() && (doc.region.is_some() || country_claims),
            Reason::CountryUnknown,
        );
        reasons.add_if(
            doc.subscriptions.is_some() && !any_active,
            Reason::SubscriptionNotActive,
        );
        reasons.add_if(
            resolution.claim_rules && claims.is_empty(),
            Reason::NoClaims,
        );
        let country_allowed = match country {
            None => !country_claims && doc.region.is_none(),
            Some(c) => {
                (!country_claims || claims.allows_country(c))
                    && doc.region.is_none_or(|r| r.contains(c))
            }
        };
        reasons.add_if(!country_allowed, Reason::CountryNotAllowed);
        reasons.add_if(!doc.devices.allows(device), Reason::DeviceNotAllowed);
        let cap = lowest_cap(
            lowest_cap(claims.highest_quality(), resolution.tier_cap),
            doc.max_quality,
        );
        Context {
            claim_rules: resolution.claim_rules,
            claims,
            country,
            allow_persistence,
            reasons,
            cap,
            computed_at: now,
            valid_until: horizon.earliest,
        }
    }

    /// Whether this context still describes the document at `now`: nothing it depends on
    /// changes between the instant it was computed at and its `valid_until`.
    #[inline(always)]
    pub fn holds_at(&self, now: Millis) -> bool {
        now >= self.computed_at && self.valid_until.is_none_or(|until| now < until)
    }

    /// Decides for one entity of `doc` (the document the context was computed for) at `now`
    /// (an instant the context holds at). Errors only when claim rules apply and the entity
    /// type can be neither read nor derived (`INVALID_ENTITY_ID`), or the id is empty.
    #[inline(always)]
    pub fn decide(
        &self,
        doc: &Entitlement,
        now: Millis,
        entity_id: &str,
        entity_type: Option<EntityType>,
        ancestors: impl Ancestors,
        licenses: Option<&[License]>,
    ) -> Result<Decision, Error> {
        check_entity_id(entity_id)?;
        let entity_type = entity_type.or_else(|| EntityType::from_id(entity_id));
        if self.claim_rules && entity_type.is_none() {
            return Err(Error::new(
                ErrorCode::InvalidEntityId,
                format!("entityId: \"{entity_id}\" does not start with movie-, episode- or channel- and no entityType is given"),
            ));
        }
        let is_channel = entity_type == Some(EntityType::Channel);
        let mut reasons = self.reasons;
        let mut valid_until = self.valid_until;
        // Channels skip licensing (Mosaic).
        if let Some(licenses) = licenses.filter(|_| !is_channel) {
            let mut horizon = Horizon {
                now,
                earliest: valid_until,
            };
            for license in licenses
                .iter()
                .filter(|l| l.counts() && l.covers(self.country))
            {
                horizon.consider(license.start);
                horizon.consider(license.end);
            }
            valid_until = horizon.earliest;
            let needs_country = licenses.iter().any(|l| !l.countries.is_empty());
            reasons.add_if(
                self.country.is_none() && needs_country,
                Reason::CountryUnknown,
            );
            reasons.add_if(licenses.is_empty(), Reason::LicenseNotFound);
            reasons.add_if(
                !licenses.is_empty() && !licenses.iter().any(|l| l.is_valid(self.country, now)),
                Reason::LicenseNotValid,
            );
        }
        if let Some(allowed) = &doc.allowed_content {
            let listed = allowed.contains(entity_id) || ancestors.any_in(allowed);
            reasons.add_if(!listed, Reason::ContentNotAllowed);
        }
        let type_held = entity_type.is_some_and(|t| self.claims.allows_type(t));
        reasons.add_if(self.claim_rules && !type_held, Reason::EntityTypeNotAllowed);
        let download = self.allow_persistence && !is_channel && self.claims.allows_download();
        reasons.add_if(
            self.allow_persistence && !is_channel && !download,
            Reason::PersistenceNotAllowed,
        );
        if !reasons.is_empty() {
            return Ok(Decision {
                reasons,
                valid_until,
                ..Decision::default()
            });
        }
        Ok(Decision {
            reasons,
            claims: GrantedClaims {
                entity_type: entity_type.filter(|_| type_held),
                country: self.country.filter(|_| self.claims.has_country_claims()),
                download,
                quality: self.claims.highest_quality(),
            },
            max_quality: self.cap,
            allow_persistence: download,
            valid_until,
        })
    }
}

/// The ancestor ids of an entity (season, series...), as a list of strings or packed bytes.
pub trait Ancestors {
    /// Whether any ancestor id is in `set`.
    fn any_in(&self, set: &IdSet) -> bool;
}

impl Ancestors for &[Box<str>] {
    #[inline(always)]
    fn any_in(&self, set: &IdSet) -> bool {
        self.iter().any(|a| set.contains(a))
    }
}

/// Ids packed as a little-endian u32 byte length and UTF-8 bytes each (the binding layer's
/// buffer format). Malformed input holds no ids.
#[derive(Debug, Clone, Copy)]
pub struct PackedIds<'a>(pub &'a [u8]);

impl<'a> PackedIds<'a> {
    /// The ids, in order; stops at the first malformed entry.
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first_chunk::<4>().map(|(h, t)| (*h, t))?;
            let len = usize::try_from(u32::from_le_bytes(len)).ok()?;
            let (bytes, tail) = tail.split_at_checked(len)?;
            rest = tail;
            std::str::from_utf8(bytes).ok()
        })
    }
}

impl Ancestors for PackedIds<'_> {
    #[inline(always)]
    fn any_in(&self, set: &IdSet) -> bool {
        self.iter().any(|a| set.contains(a))
    }
}

/// Decides one request for a document already resolved by a policy.
pub fn evaluate(
    doc: &Entitlement,
    resolution: &Resolution,
    request: &Request<'_>,
) -> Result<Decision, Error> {
    Context::new(
        doc,
        resolution,
        request.country,
        request.device,
        request.now,
        request.allow_persistence,
    )
    .decide(
        doc,
        request.now,
        request.entity_id,
        request.entity_type,
        request.ancestors,
        request.licenses,
    )
}

impl Policy {
    /// Decides one request (resolving the document's plans and tier first; to decide many
    /// requests for one document, resolve once with [`Policy::resolve`] and call [`evaluate`]).
    pub fn evaluate(&self, doc: &Entitlement, request: &Request<'_>) -> Result<Decision, Error> {
        evaluate(doc, &self.resolve(doc), request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::time::parse_rfc3339;

    /// A context kept while it `holds_at` must decide exactly like a fresh one: sweep `now`
    /// across every boundary of a document with a window and two subscriptions.
    #[test]
    fn a_kept_context_decides_like_a_fresh_one() {
        let policy = Policy::from_json(
            r#"{"claimSets": [{"key": "m", "claims": ["ENTITY_TYPE_MOVIES", "QUALITY_HD"]}],
                "plans": [{"id": "p", "claimSetKeys": ["m"]}]}"#,
        )
        .unwrap();
        let doc = Entitlement::from_json(
            br#"{"valid_from": "2024-10-01T00:00:00Z", "valid_until": "2024-12-31T00:00:00Z",
                 "subscriptions": [{"plan": "p", "status": "CANCELLED", "period_end": "2024-11-01T00:00:00Z"},
                                   {"plan": "p", "status": "ACTIVE", "period_end": "2024-12-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        let resolution = policy.resolve(&doc);
        let day = 86_400_000;
        let start = parse_rfc3339("2024-09-25T00:00:00Z").unwrap();
        let mut kept: Option<Context> = None;
        let mut reused = 0;
        for step in 0..(100 * 24) {
            let now = start + step * day / 24;
            let fresh = Context::new(&doc, &resolution, None, None, now, false);
            let context = match kept.take() {
                Some(c) if c.holds_at(now) => {
                    reused += 1;
                    c
                }
                _ => fresh.clone(),
            };
            let a = context
                .decide(&doc, now, "movie-1", None, PackedIds(&[]), None)
                .unwrap();
            let b = fresh
                .decide(&doc, now, "movie-1", None, PackedIds(&[]), None)
                .unwrap();
            assert_eq!(a, b, "at {now}");
            kept = Some(context);
        }
        assert!(
            reused > 2000,
            "the context is reused between boundaries ({reused})"
        );
    }
}
