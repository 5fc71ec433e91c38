//! Entitlement documents: the per-user record the auth server computes and stores in the cache,
//! read from a JSON blob or from cache dictionary fields.

use crate::country::{Country, CountrySet};
use crate::decide::claims::{Claim, ClaimSet};
use crate::decide::id_hash::StrTable;
use crate::error::Error;
use crate::quality::Quality;
use crate::wire::json::{self, JsonError, Kind, Reader, MAX_JSON_BYTES, MAX_LIST_ITEMS};
use crate::wire::time::{self, Millis};

/// One Mosaic-style subscription of the viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The plan id, looked up in the policy.
    pub plan: Box<str>,
    /// Whether the lifecycle status is one that can be active (ACTIVE, CANCELLED, ON_HOLD).
    pub status_counts: bool,
    /// The end of the paid period; active while `now < period_end`.
    pub period_end: Millis,
}

impl Subscription {
    /// Active at `now`: a counting status and a period that has not ended.
    #[inline(always)]
    pub fn is_active(&self, now: Millis) -> bool {
        self.status_counts && now < self.period_end
    }
}

/// Which device classes may play.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceRule {
    /// No restriction (field absent, or `"none"` anywhere in it).
    #[default]
    Any,
    /// Only these classes, lower-cased (ASCII). Empty = no device.
    Only(Vec<Box<str>>),
}

impl DeviceRule {
    /// Whether `device` (compared ASCII case-insensitively) may play; `None` = unknown device.
    #[inline(always)]
    pub fn allows(&self, device: Option<&str>) -> bool {
        match self {
            Self::Any => true,
            Self::Only(classes) => {
                device.is_some_and(|d| classes.iter().any(|c| c.eq_ignore_ascii_case(d)))
            }
        }
    }

    fn from_list(items: Vec<String>) -> DeviceRule {
        if items.iter().any(|d| d.eq_ignore_ascii_case("none")) {
            return Self::Any;
        }
        Self::Only(
            items
                .into_iter()
                .map(|d| d.to_ascii_lowercase().into_boxed_str())
                .collect(),
        )
    }
}

/// A set of entity ids.
pub type IdSet = StrTable<()>;

/// A parsed entitlement document. Unknown fields are ignored (forward compatibility); a known
/// field of the wrong type is an error; `null` means absent.
#[derive(Debug, Clone, Default)]
pub struct Entitlement {
    /// Tier name, looked up in the policy's tiers.
    pub subscription_level: Option<Box<str>>,
    /// Mosaic plan id, looked up in the policy's plans.
    pub plan: Option<Box<str>>,
    /// Mosaic-style subscriptions; the first active one contributes its plan's claims.
    pub subscriptions: Option<Vec<Subscription>>,
    /// Claims held directly (unknown names are dropped: they grant nothing).
    pub claims: Option<ClaimSet>,
    /// Countries the viewer may watch from.
    pub region: Option<CountrySet>,
    /// Device classes that may play.
    pub devices: DeviceRule,
    /// Start of the entitlement window (inclusive).
    pub valid_from: Option<Millis>,
    /// End of the entitlement window (exclusive).
    pub valid_until: Option<Millis>,
    /// Entity ids (or ancestor ids) the viewer may play.
    pub allowed_content: Option<IdSet>,
    /// Explicit quality cap.
    pub max_quality: Option<Quality>,
}

/// The document's known fields.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    SubscriptionLevel,
    Plan,
    Subscriptions,
    Claims,
    Region,
    DeviceRestriction,
    ValidFrom,
    ValidUntil,
    AllowedContent,
    MaxQuality,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "subscription_level" => Self::SubscriptionLevel,
            "plan" => Self::Plan,
            "subscriptions" => Self::Subscriptions,
            "claims" => Self::Claims,
            "region" => Self::Region,
            "device_restriction" => Self::DeviceRestriction,
            "valid_from" => Self::ValidFrom,
            "valid_until" => Self::ValidUntil,
            "allowed_content" => Self::AllowedContent,
            "max_quality" => Self::MaxQuality,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::SubscriptionLevel => "subscription_level",
            Self::Plan => "plan",
            Self::Subscriptions => "subscriptions",
            Self::Claims => "claims",
            Self::Region => "region",
            Self::DeviceRestriction => "device_restriction",
            Self::ValidFrom => "valid_from",
            Self::ValidUntil => "valid_until",
            Self::AllowedContent => "allowed_content",
            Self::MaxQuality => "max_quality",
        }
    }
}

fn status_counts(status: &str) -> bool {
    ["ACTIVE", "CANCELLED", "ON_HOLD"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(status))
}

/// Reads `{plan, status, period_end}` (all required; other members ignored). In dictionary
/// text, `period_end` may also be decimal epoch-milliseconds text.
fn read_subscription(r: &mut Reader<'_>, dictionary: bool) -> json::Result<Subscription> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("a subscription object {plan, status, period_end}"));
    }
    let start = r.position();
    let (mut plan, mut status, mut period_end) = (None, None, None);
    r.object(|r, key| {
        let slot = match &*key {
            "plan" => &mut plan,
            "status" => &mut status,
            "period_end" => {
                if period_end.is_some() {
                    return Err(r.error("duplicate field `period_end`"));
                }
                let at = r.position();
                period_end = Some(if dictionary && r.peek()? == Kind::String {
                    let text = r.string()?;
                    text_time(&text, false).map_err(|m| JsonError::at(at, m))?
                } else {
                    r.time(false)?
                });
                return Ok(());
            }
            _ => return r.skip(),
        };
        if slot.is_some() {
            return Err(r.error(format!("duplicate field `{key}`")));
        }
        *slot = Some(r.string().map_err(|e| e.within(&key))?.into_owned());
        Ok(())
    })?;
    let missing = |name: &str| JsonError::at(start, format!("a subscription needs `{name}`"));
    let status = status.ok_or_else(|| missing("status"))?;
    Ok(Subscription {
        plan: plan.ok_or_else(|| missing("plan"))?.into_boxed_str(),
        status_counts: status_counts(&status),
        period_end: period_end.ok_or_else(|| missing("period_end"))?,
    })
}

fn read_subscriptions(r: &mut Reader<'_>, dictionary: bool) -> json::Result<Vec<Subscription>> {
    let mut subs = Vec::new();
    r.array(|r, i| {
        subs.push(read_subscription(r, dictionary).map_err(|e| e.within(&format!("[{i}]")))?);
        Ok(())
    })?;
    Ok(subs)
}

fn claim_set(names: &[String]) -> ClaimSet {
    let mut set = ClaimSet::default();
    names
        .iter()
        .filter_map(|n| Claim::parse(n))
        .for_each(|c| set.insert(c));
    set
}

fn country_set(codes: &[String]) -> Result<CountrySet, String> {
    let mut set = CountrySet::default();
    for code in codes {
        let country = Country::parse(code)
            .ok_or_else(|| format!("\"{code}\" is not a two-letter country code"))?;
        set.insert(country);
    }
    Ok(set)
}

fn quality(name: &str) -> Result<Quality, String> {
    Quality::parse(name).ok_or_else(|| format!("\"{name}\" is not one of SD, HD, UHD1, UHD2"))
}

fn id_set(ids: Vec<String>) -> IdSet {
    ids.into_iter().map(String::into_boxed_str).collect()
}

/// The largest document read by default, in bytes (a blob's bytes, or a dictionary's names and
/// values together): far above any real entitlement, far below what would hurt a player.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = MAX_JSON_BYTES;

/// The largest limit a caller may choose (`maxBytes`): lists stay bounded by
/// [`MAX_LIST_ITEMS`] whatever the size.
pub const MAX_DOCUMENT_BYTES_LIMIT: usize = 64 << 20;

impl Entitlement {
    /// Reads a blob: JSON text (UTF-8, an optional byte-order mark) holding one object, of at
    /// most [`DEFAULT_MAX_DOCUMENT_BYTES`].
    pub fn from_json(bytes: &[u8]) -> Result<Entitlement, Error> {
        Self::from_json_within(bytes, DEFAULT_MAX_DOCUMENT_BYTES)
    }

    /// [`Self::from_json`] with the caller's size limit (at most [`MAX_DOCUMENT_BYTES_LIMIT`]).
    #[inline(never)]
    pub fn from_json_within(bytes: &[u8], max_bytes: usize) -> Result<Entitlement, Error> {
        check_size(bytes.len(), max_bytes)?;
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Error::entitlement(format!("not UTF-8 text (at byte {})", e.valid_up_to()))
        })?;
        json::read_text(text, read_document).map_err(|e| Error::entitlement(e.to_string()))
    }

    /// Reads cache dictionary fields (all strings). Lists may be JSON array text or
    /// comma-separated text (items trimmed, empty items dropped); times may be RFC 3339 or
    /// decimal epoch-milliseconds text; `subscriptions` is JSON array text.
    pub fn from_dictionary<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Entitlement, Error> {
        Self::from_dictionary_within(fields, DEFAULT_MAX_DOCUMENT_BYTES)
    }

    /// [`Self::from_dictionary`] with the caller's limit on names and values together (at most
    /// [`MAX_DOCUMENT_BYTES_LIMIT`]).
    pub fn from_dictionary_within<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
        max_bytes: usize,
    ) -> Result<Entitlement, Error> {
        let mut doc = Entitlement::default();
        let mut total = 0usize;
        for (name, value) in fields {
            total = total.saturating_add(name.len()).saturating_add(value.len());
            check_size(total, max_bytes)?;
            let Some(field) = Field::parse(name) else {
                continue;
            };
            doc.set_from_text(field, value)
                .map_err(|m| Error::entitlement(format!("{name}: {m}")))?;
        }
        Ok(doc)
    }

    /// [`Self::from_dictionary_within`] with the fields as the JS layer sends them: one JSON
    /// array of names and values in turn (one string crosses into wasm, not one per field).
    #[inline(never)]
    pub fn from_dictionary_json_within(text: &str, max_bytes: usize) -> Result<Entitlement, Error> {
        let items = json::read_text(text, |r| r.string_list())
            .map_err(|e| Error::entitlement(format!("dictionary: {e}")))?;
        let mut pairs = items.chunks_exact(2);
        if !pairs.remainder().is_empty() {
            return Err(Error::entitlement("dictionary: a name without a value"));
        }
        Self::from_dictionary_within(
            pairs.by_ref().filter_map(|pair| match pair {
                [name, value] => Some((name.as_str(), value.as_str())),
                _ => None,
            }),
            max_bytes,
        )
    }

    fn set_from_text(&mut self, field: Field, value: &str) -> Result<(), String> {
        match field {
            Field::SubscriptionLevel => self.subscription_level = Some(value.into()),
            Field::Plan => self.plan = Some(value.into()),
            Field::Subscriptions => {
                let subs = json::read_text(value, |r| read_subscriptions(r, true))
                    .map_err(|e| e.to_string())?;
                self.subscriptions = Some(subs);
            }
            Field::Claims => self.claims = Some(claim_set(&text_list(value)?)),
            Field::Region => self.region = Some(country_set(&text_list(value)?)?),
            Field::DeviceRestriction => self.devices = DeviceRule::from_list(text_list(value)?),
            Field::ValidFrom => self.valid_from = Some(text_time(value, true)?),
            Field::ValidUntil => self.valid_until = Some(text_time(value, false)?),
            Field::AllowedContent => self.allowed_content = Some(id_set(text_list(value)?)),
            Field::MaxQuality => self.max_quality = Some(quality(value.trim())?),
        }
        Ok(())
    }
}

/// Checks a document's size against the limit (itself checked against the largest allowed).
pub fn check_size(len: usize, max_bytes: usize) -> Result<(), Error> {
    if max_bytes == 0 || max_bytes > MAX_DOCUMENT_BYTES_LIMIT {
        return Err(Error::entitlement(format!(
            "maxBytes: {max_bytes} is not between 1 and {MAX_DOCUMENT_BYTES_LIMIT}"
        )));
    }
    if len > max_bytes {
        return Err(Error::entitlement(format!(
            "document is over the limit of {max_bytes} bytes (maxBytes; {len} bytes or more)"
        )));
    }
    Ok(())
}

/// A dictionary list: JSON array text, or comma-separated text.
fn text_list(value: &str) -> Result<Vec<String>, String> {
    let trimmed = value.trim();
    if trimmed.starts_with('[') {
        return json::read_text(trimmed, |r| r.string_list()).map_err(|e| e.to_string());
    }
    let items: Vec<String> = trimmed
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if items.len() > MAX_LIST_ITEMS {
        return Err(format!("more than {MAX_LIST_ITEMS} items"));
    }
    Ok(items)
}

/// A dictionary time: RFC 3339 text or decimal epoch-milliseconds text (`start`: as
/// [`Reader::time`]).
fn text_time(value: &str, start: bool) -> Result<Millis, String> {
    let v = value.trim();
    time::from_epoch_text(v)
        .or_else(|| time::parse_rfc3339_rounded(v, start))
        .ok_or_else(|| format!("\"{v}\" is neither an RFC 3339 date-time nor epoch milliseconds"))
}

fn read_document(r: &mut Reader<'_>) -> json::Result<Entitlement> {
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("an entitlement document (a JSON object)"));
    }
    let mut doc = Entitlement::default();
    let mut seen = 0u16;
    r.object(|r, key| {
        let Some(field) = Field::parse(&key) else {
            return r.skip(); // unknown fields are kept for the future: ignored, not rejected
        };
        let bit = 1u16 << (field as u16);
        if seen & bit != 0 {
            return Err(r.error(format!("duplicate field `{}`", field.name())));
        }
        seen |= bit;
        if r.null()? {
            return Ok(());
        }
        doc.read_field(field, r).map_err(|e| e.within(field.name()))
    })?;
    Ok(doc)
}

impl Entitlement {
    fn read_field(&mut self, field: Field, r: &mut Reader<'_>) -> json::Result<()> {
        let at = r.position();
        let here = |message: String| JsonError::at(at, message);
        match field {
            Field::SubscriptionLevel => self.subscription_level = Some(r.string()?.into()),
            Field::Plan => self.plan = Some(r.string()?.into()),
            Field::Subscriptions => self.subscriptions = Some(read_subscriptions(r, false)?),
            Field::Claims => self.claims = Some(claim_set(&r.string_list()?)),
            Field::Region => self.region = Some(country_set(&r.string_or_list()?).map_err(here)?),
            Field::DeviceRestriction => self.devices = DeviceRule::from_list(r.string_or_list()?),
            Field::ValidFrom => self.valid_from = Some(r.time(true)?),
            Field::ValidUntil => self.valid_until = Some(r.time(false)?),
            Field::AllowedContent => self.allowed_content = Some(id_set(r.string_list()?)),
            Field::MaxQuality => self.max_quality = Some(quality(&r.string()?).map_err(here)?),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_000_example_object_parses() {
        // The example entitlement object of seed 000 (Momento MediaStore), verbatim.
        let doc = Entitlement::from_json(
            br#"{
  "subscription_level": "premium",
  "region": "US",
  "device_restriction": "none",
  "valid_from": "2024-10-01T00:00:00Z",
  "valid_until": "2024-12-31T23:59:59Z",
  "allowed_content": ["movie_id_123", "series_id_456"]
}"#,
        )
        .unwrap();
        assert_eq!(doc.subscription_level.as_deref(), Some("premium"));
        assert!(doc.region.unwrap().contains(Country::parse("us").unwrap()));
        assert_eq!(doc.devices, DeviceRule::Any);
        assert_eq!(doc.valid_from, Some(1_727_740_800_000));
        assert_eq!(doc.valid_until, Some(1_735_689_599_000));
        assert!(doc
            .allowed_content
            .as_ref()
            .unwrap()
            .contains("series_id_456"));
    }

    #[test]
    fn wrong_types_and_duplicates_name_the_field() {
        for (text, field) in [
            (r#"{"region": 5}"#, "region"),
            (r#"{"region": "USA"}"#, "region"),
            (r#"{"valid_until": "2024-02-30T00:00:00Z"}"#, "valid_until"),
            (r#"{"allowed_content": "movie-1"}"#, "allowed_content"),
            (r#"{"max_quality": "4K"}"#, "max_quality"),
            (
                r#"{"subscriptions": [{"plan": "p", "status": "ACTIVE"}]}"#,
                "subscriptions",
            ),
            (r#"{"plan": "a", "plan": "b"}"#, "plan"),
        ] {
            let err = Entitlement::from_json(text.as_bytes()).unwrap_err();
            assert_eq!(err.code(), crate::ErrorCode::InvalidEntitlement);
            assert!(err.message().contains(field), "{text}: {err}");
        }
    }
}
