//! Licensing windows of an entity, with Mosaic's semantics.

use crate::country::{Country, CountrySet};
use crate::wire::json::{self, JsonError, Kind, Reader};
use crate::wire::time::Millis;

/// One licensing window: optional countries, optional start (inclusive) and end (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct License {
    /// Countries the license covers; empty = every country.
    pub countries: CountrySet,
    /// Start, inclusive; `None` = since forever.
    pub start: Option<Millis>,
    /// End, exclusive; `None` = forever.
    pub end: Option<Millis>,
}

impl License {
    /// A license "counts" only when it restricts something: Mosaic ignores a license with
    /// neither countries nor a start nor an end.
    #[inline(always)]
    pub fn counts(&self) -> bool {
        !self.countries.is_empty() || self.start.is_some() || self.end.is_some()
    }

    /// Whether the license covers `country` (an unknown country matches only unrestricted licenses).
    #[inline(always)]
    pub fn covers(&self, country: Option<Country>) -> bool {
        self.countries.is_empty() || country.is_some_and(|c| self.countries.contains(c))
    }

    /// Whether the license makes the entity playable at `now` from `country`.
    #[inline(always)]
    pub fn is_valid(&self, country: Option<Country>, now: Millis) -> bool {
        self.counts()
            && self.covers(country)
            && self.start.is_none_or(|s| now >= s)
            && self.end.is_none_or(|e| now < e)
    }
}

impl License {
    /// Reads `{countries?, start?, end?}`. Unknown fields are rejected so that a misspelt
    /// `start_time` cannot silently widen a window.
    pub fn read(r: &mut Reader<'_>) -> json::Result<License> {
        if r.peek()? != Kind::Object {
            return Err(r.unexpected("a license {countries?, start?, end?}"));
        }
        let mut license = License::default();
        let mut seen = 0u8;
        r.object(|r, key| {
            let index = match &*key {
                "countries" => 0,
                "start" => 1,
                "end" => 2,
                _ => {
                    return Err(r.error(format!(
                        "unknown field `{key}` (expected countries, start, end)"
                    )))
                }
            };
            if seen & (1 << index) != 0 {
                return Err(r.error(format!("duplicate field `{key}`")));
            }
            seen |= 1 << index;
            if r.null()? {
                return Ok(());
            }
            let read = |r: &mut Reader<'_>, license: &mut License| -> json::Result<()> {
                match index {
                    0 => {
                        let at = r.position();
                        for code in r.string_list()? {
                            let country = Country::parse(&code).ok_or_else(|| {
                                JsonError::at(
                                    at,
                                    format!("\"{code}\" is not a two-letter country code"),
                                )
                            })?;
                            license.countries.insert(country);
                        }
                    }
                    1 => license.start = Some(r.time(true)?),
                    _ => license.end = Some(r.time(false)?),
                }
                Ok(())
            };
            read(r, &mut license).map_err(|e| e.within(&key))
        })?;
        Ok(license)
    }
}
