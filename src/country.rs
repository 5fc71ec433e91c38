//! Country codes (ISO 3166-1 alpha-2) as 10-bit indices, and sets of them as bitsets.

/// A two-letter country code, stored upper-case as `(a - 'A') * 26 + (b - 'A')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(u16);

const WORDS: usize = 11; // 26 * 26 = 676 bits

/// The officially assigned ISO 3166-1 alpha-2 codes, plus `XX` (Mosaic's "unknown country").
/// Mosaic rejects a claim set with a `COUNTRY_` claim outside this list.
const ASSIGNED: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU \
WF WS YE YT ZA ZM ZW XX";

/// [`ASSIGNED`] as a set, made at compile time: 88 bytes in the module instead of the list's
/// 750 (measured: 0.4 KB of the player module gzipped).
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of bounds fails the build, not a call"
)]
const ASSIGNED_SET: [u64; WORDS] = {
    let list = ASSIGNED.as_bytes();
    let mut set = [0u64; WORDS];
    let mut at = 0;
    while at + 1 < list.len() {
        let index = (list[at] - b'A') as usize * 26 + (list[at + 1] - b'A') as usize;
        set[index / 64] |= 1 << (index % 64);
        at += 3;
    }
    set
};

impl Country {
    /// Parses a two-letter code, case-insensitively. Any two ASCII letters are a country here;
    /// whether the code is assigned is a separate question ([`Country::is_assigned`]).
    pub fn parse(code: &str) -> Option<Country> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                let a = u16::from(a.to_ascii_uppercase() - b'A');
                let b = u16::from(b.to_ascii_uppercase() - b'A');
                Some(Country(a * 26 + b))
            }
            _ => None,
        }
    }

    /// The upper-case code, e.g. `"DE"`.
    pub fn code(self) -> [u8; 2] {
        // Both quotients are < 26 by construction, so the casts cannot truncate.
        [b'A' + (self.0 / 26) as u8, b'A' + (self.0 % 26) as u8]
    }

    /// The upper-case code as a `String`.
    pub fn to_code_string(self) -> String {
        self.code().iter().map(|&b| char::from(b)).collect()
    }

    /// Whether ISO 3166-1 assigns this code (or it is `XX`, Mosaic's unknown country).
    pub fn is_assigned(self) -> bool {
        CountrySet(ASSIGNED_SET).contains(self)
    }

    #[inline(always)]
    fn bit(self) -> (usize, u64) {
        (usize::from(self.0 / 64), 1u64 << (self.0 % 64))
    }
}

/// A set of countries: 676 bits, so membership and union are a few word operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountrySet([u64; WORDS]);

impl CountrySet {
    /// Adds a country.
    pub fn insert(&mut self, country: Country) {
        let (word, mask) = country.bit();
        if let Some(w) = self.0.get_mut(word) {
            *w |= mask;
        }
    }

    /// Whether the set holds `country`.
    #[inline(always)]
    pub fn contains(&self, country: Country) -> bool {
        let (word, mask) = country.bit();
        self.0.get(word).is_some_and(|w| w & mask != 0)
    }

    /// Whether the set is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// Adds every country of `other`.
    pub fn union_with(&mut self, other: &CountrySet) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a |= *b;
        }
    }

    /// The countries in the set, in code order (for tests).
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = Country> + '_ {
        (0..676u16).map(Country).filter(|c| self.contains(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_two_letters_only() {
        assert_eq!(Country::parse("de"), Country::parse("DE"));
        assert_eq!(
            Country::parse("De").map(Country::to_code_string).as_deref(),
            Some("DE")
        );
        for bad in ["", "D", "DEU", "D1", "1D", "ÄB", " DE"] {
            assert_eq!(Country::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn assigned_list_has_249_iso_codes_plus_xx() {
        // ISO 3166-1 lists 249 officially assigned alpha-2 codes; Mosaic adds XX.
        let codes: Vec<_> = ASSIGNED.split(' ').collect();
        assert_eq!(codes.len(), 250);
        let mut set = CountrySet::default();
        for code in &codes {
            set.insert(Country::parse(code).unwrap_or(Country(0)));
        }
        assert_eq!(set.iter().count(), 250, "no duplicates");
        // The compile-time set is exactly the list.
        assert_eq!(set, CountrySet(ASSIGNED_SET));
        assert!(Country::parse("XX").is_some_and(Country::is_assigned));
        assert!(!Country::parse("ZZ").is_some_and(Country::is_assigned));
        assert!(
            !Country::parse("UK").is_some_and(Country::is_assigned),
            "the UK is GB in ISO 3166-1"
        );
    }

    #[test]
    fn set_operations() {
        let de = Country::parse("DE").unwrap_or(Country(0));
        let us = Country::parse("US").unwrap_or(Country(0));
        let zw = Country::parse("ZZ").unwrap_or(Country(0));
        let mut a = CountrySet::default();
        assert!(a.is_empty());
        a.insert(de);
        let mut b = CountrySet::default();
        b.insert(zw);
        a.union_with(&b);
        assert!(a.contains(de) && a.contains(zw) && !a.contains(us));
        assert_eq!(
            a.iter().map(Country::to_code_string).collect::<Vec<_>>(),
            ["DE", "ZZ"]
        );
    }
}
