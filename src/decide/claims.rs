//! Mosaic claims (entity types, countries, maximum quality, downloadability) and claim sets.

use crate::country::{Country, CountrySet};
use crate::quality::Quality;

/// What kind of entity a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    /// `movie-…`, needs `ENTITY_TYPE_MOVIES`.
    Movie,
    /// `episode-…`, needs `ENTITY_TYPE_EPISODES`.
    Episode,
    /// `channel-…`, needs `ENTITY_TYPE_CHANNELS`; skips licensing and persistence rules.
    Channel,
}

impl EntityType {
    /// Parses `"movie"`, `"episode"` or `"channel"`.
    pub fn parse(name: &str) -> Option<EntityType> {
        match name {
            "movie" => Some(Self::Movie),
            "episode" => Some(Self::Episode),
            "channel" => Some(Self::Channel),
            _ => None,
        }
    }

    /// Derives the type from an id that starts with `movie`, `episode` or `channel` followed by
    /// `-` or `_` (Mosaic ids are `movie-<digits>`; the MediaStore seed writes `movie_id_123`).
    #[inline(always)]
    pub fn from_id(id: &str) -> Option<EntityType> {
        let bytes = id.as_bytes();
        // Literal prefixes compile to integer compares (a prefix chosen at run time would not).
        let (ty, len) = if bytes.starts_with(b"movie") {
            (Self::Movie, 5)
        } else if bytes.starts_with(b"episode") {
            (Self::Episode, 7)
        } else if bytes.starts_with(b"channel") {
            (Self::Channel, 7)
        } else {
            return None;
        };
        matches!(bytes.get(len), Some(b'-' | b'_')).then_some(ty)
    }

    /// The claim that allows this type.
    pub const fn claim(self) -> &'static str {
        match self {
            Self::Movie => "ENTITY_TYPE_MOVIES",
            Self::Episode => "ENTITY_TYPE_EPISODES",
            Self::Channel => "ENTITY_TYPE_CHANNELS",
        }
    }

    /// 1..=3, for packed results.
    #[inline(always)]
    pub const fn rank(self) -> u8 {
        match self {
            Self::Movie => 1,
            Self::Episode => 2,
            Self::Channel => 3,
        }
    }

    #[inline(always)]
    const fn flag(self) -> u8 {
        1 << (self.rank() - 1)
    }
}

/// One claim of Mosaic's claim definition groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// `ENTITY_TYPE_MOVIES` / `_EPISODES` / `_CHANNELS`.
    EntityType(EntityType),
    /// `COUNTRY_<cc>`.
    Country(Country),
    /// `QUALITY_SD` … `QUALITY_UHD2`.
    Quality(Quality),
    /// `ENABLE_VIDEOS_DOWNLOAD`.
    Download,
}

impl Claim {
    /// Parses a claim name as Mosaic defines it. `None` for anything else, including
    /// `COUNTRY_` with a code ISO 3166-1 does not assign (Mosaic's list, plus `XX`).
    pub fn parse(name: &str) -> Option<Claim> {
        match name {
            "ENTITY_TYPE_MOVIES" => Some(Self::EntityType(EntityType::Movie)),
            "ENTITY_TYPE_EPISODES" => Some(Self::EntityType(EntityType::Episode)),
            "ENTITY_TYPE_CHANNELS" => Some(Self::EntityType(EntityType::Channel)),
            "ENABLE_VIDEOS_DOWNLOAD" => Some(Self::Download),
            _ => {
                if let Some(q) = name.strip_prefix("QUALITY_") {
                    return Quality::parse(q).map(Self::Quality);
                }
                let code = name.strip_prefix("COUNTRY_")?;
                // Claims are upper-case names: `COUNTRY_de` is not a claim.
                if !code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return None;
                }
                Country::parse(code)
                    .filter(|c| c.is_assigned())
                    .map(Self::Country)
            }
        }
    }
}

const DOWNLOAD: u8 = 1 << 3;

/// A set of claims: entity-type and download flags, quality bits, and a country bitset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClaimSet {
    flags: u8,
    qualities: u8,
    countries: CountrySet,
}

impl ClaimSet {
    /// Adds one claim.
    pub fn insert(&mut self, claim: Claim) {
        match claim {
            Claim::EntityType(t) => self.flags |= t.flag(),
            Claim::Download => self.flags |= DOWNLOAD,
            Claim::Quality(q) => self.qualities |= 1 << q.rank(),
            Claim::Country(c) => self.countries.insert(c),
        }
    }

    /// Adds every claim of `other`.
    pub fn union_with(&mut self, other: &ClaimSet) {
        self.flags |= other.flags;
        self.qualities |= other.qualities;
        self.countries.union_with(&other.countries);
    }

    /// Whether no claim is held.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.flags == 0 && self.qualities == 0 && self.countries.is_empty()
    }

    /// Whether the type claim for `ty` is held.
    #[inline(always)]
    pub fn allows_type(&self, ty: EntityType) -> bool {
        self.flags & ty.flag() != 0
    }

    /// Whether `ENABLE_VIDEOS_DOWNLOAD` is held.
    #[inline(always)]
    pub fn allows_download(&self) -> bool {
        self.flags & DOWNLOAD != 0
    }

    /// Whether any `COUNTRY_*` claim is held (if none, every country is allowed).
    #[inline(always)]
    pub fn has_country_claims(&self) -> bool {
        !self.countries.is_empty()
    }

    /// Whether `COUNTRY_<country>` is held.
    #[inline(always)]
    pub fn allows_country(&self, country: Country) -> bool {
        self.countries.contains(country)
    }

    /// The single highest `QUALITY_*` claim held (several may be; the highest counts).
    #[inline(always)]
    pub fn highest_quality(&self) -> Option<Quality> {
        match self.qualities {
            0 => None,
            bits => Quality::from_rank(7 - bits.leading_zeros() as u8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_type_from_id_prefixes() {
        assert_eq!(EntityType::from_id("movie-123"), Some(EntityType::Movie));
        assert_eq!(EntityType::from_id("movie_id_123"), Some(EntityType::Movie));
        assert_eq!(EntityType::from_id("episode-9"), Some(EntityType::Episode));
        assert_eq!(
            EntityType::from_id("channel-0b1c"),
            Some(EntityType::Channel)
        );
        for id in [
            "series_id_456",
            "movie",
            "movies-1",
            "Movie-1",
            "",
            "xmovie-1",
        ] {
            assert_eq!(EntityType::from_id(id), None, "{id:?}");
        }
    }

    #[test]
    fn claim_names_follow_mosaic_groups() {
        assert_eq!(
            Claim::parse("ENTITY_TYPE_MOVIES"),
            Some(Claim::EntityType(EntityType::Movie))
        );
        assert_eq!(
            Claim::parse("QUALITY_UHD2"),
            Some(Claim::Quality(Quality::Uhd2))
        );
        assert_eq!(
            Claim::parse("ENABLE_VIDEOS_DOWNLOAD"),
            Some(Claim::Download)
        );
        assert!(matches!(
            Claim::parse("COUNTRY_XX"),
            Some(Claim::Country(_))
        ));
        for bad in [
            "COUNTRY_ZZ",
            "COUNTRY_de",
            "COUNTRY_",
            "QUALITY_4K",
            "ENTITY_TYPE_SERIES",
            "entity_type_movies",
        ] {
            assert_eq!(Claim::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn highest_quality_wins() {
        let mut set = ClaimSet::default();
        assert_eq!(set.highest_quality(), None);
        set.insert(Claim::Quality(Quality::Hd));
        set.insert(Claim::Quality(Quality::Sd));
        assert_eq!(set.highest_quality(), Some(Quality::Hd));
        set.insert(Claim::Quality(Quality::Uhd2));
        assert_eq!(set.highest_quality(), Some(Quality::Uhd2));
    }
}
