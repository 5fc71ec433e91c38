//! Instants as epoch milliseconds, read from RFC 3339 text or from numbers.
//!
//! Why not a crate (measured 2026-12-05 with the same build): chrono's `parse_from_rfc3339`
//! costs the player module 6.6 KB gzipped (60.1 -> 66.7 KB), the `time` crate 4.4 KB (0.3.55;
//! 1.8 KB for 0.3.44, the last release for our rust-version), each over the 60 KB budget.
//! Semantics: chrono matches this parser on 71,919 inputs but one (it takes U+2212 as an
//! offset sign); `time` reads a leap second as 23:59:59.999 (a document's `valid_until` of
//! 23:59:60 would end a millisecond early) and refuses `:60` elsewhere. Speed is a wash: at
//! opt-level "z" chrono is 0.7-0.9x our time per parse, at 3 it is 1.4x; 18-48 ns either way.

/// Milliseconds since 1970-01-01T00:00:00Z. Finer fractions are truncated toward the past.
pub type Millis = i64;

/// The range of a JavaScript `Date`: ±8.64e15 ms around the epoch.
pub const MAX_ABS_MILLIS: i64 = 8_640_000_000_000_000;

/// Reads an epoch-milliseconds number: finite and within the range of a JS `Date`.
/// A fractional part is floored (exact for comparisons with whole-millisecond bounds).
#[inline(always)]
pub fn from_epoch_f64(ms: f64) -> Option<Millis> {
    if !ms.is_finite() || ms.abs() > MAX_ABS_MILLIS as f64 {
        return None;
    }
    // In range and finite: the cast is exact for the integer part.
    Some(ms.floor() as i64)
}

/// Reads decimal epoch-milliseconds text (`"1735689599000"`, optional leading `-`).
pub fn from_epoch_text(text: &str) -> Option<Millis> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value = super::signed_decimal(text)?;
    (value.abs() <= MAX_ABS_MILLIS).then_some(value)
}

/// Parses an RFC 3339 date-time (`2024-12-31T23:59:59Z`, `2024-12-31t23:59:59.250+01:00`,
/// or with a space for `T` as RFC 3339 section 5.6 permits). A leap second (`:60`) is read as
/// the first instant of the next minute. Anything else, including impossible dates such as
/// `2023-02-29`, is rejected. A fraction below a millisecond is dropped.
pub fn parse_rfc3339(text: &str) -> Option<Millis> {
    parse_rfc3339_rounded(text, false)
}

/// [`parse_rfc3339`], a fraction below a millisecond rounded up when `up`: for a start
/// (`valid_from`, a license's `start`), so that no instant before it reads as at or after it.
/// (An end rounded down ends early at worst: fail closed both ways.)
pub fn parse_rfc3339_rounded(text: &str, mut up: bool) -> Option<Millis> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0i64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let at = |i: usize, expected: &[u8]| b.get(i).is_some_and(|c| expected.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if at(i, b".") {
        i += 1;
        let start = i;
        while let Some(d) = b.get(i).copied().filter(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(d - b'0');
            } else if up && d != b'0' {
                up = false;
                millis += 1; // once: the next millisecond
            }
            i += 1;
        }
        let taken = i - start;
        if taken == 0 {
            return None;
        }
        for _ in taken..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && at(i + 3, b":") => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if *sign == b'-' {
                -minutes
            } else {
                minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_epochs() {
        // Epoch values as computed by JavaScript's Date.UTC / Date.parse.
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-10-01T00:00:00Z"),
            Some(1_727_740_800_000)
        );
        assert_eq!(
            parse_rfc3339("2024-12-31T23:59:59Z"),
            Some(1_735_689_599_000)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.5Z"),
            Some(1_709_208_000_500)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T12:00:00.123456789Z"),
            Some(1_709_208_000_123)
        );
        assert_eq!(
            parse_rfc3339("2025-01-01T01:00:00+01:00"),
            Some(1_735_689_600_000)
        );
        assert_eq!(
            parse_rfc3339("2024-12-31 19:00:00-05:00"),
            Some(1_735_689_600_000)
        );
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59.999Z"), Some(-1));
        assert_eq!(
            parse_rfc3339("2016-12-31T23:59:60Z"),
            Some(1_483_228_800_000)
        );
    }

    #[test]
    fn rfc3339_rejects_impossible_and_partial_dates() {
        for bad in [
            "",
            "2024-10-01",
            "2024-10-01T00:00:00",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-04-31T00:00:00Z",
            "2024-10-01T24:00:00Z",
            "2024-10-01T00:60:00Z",
            "2024-10-01T00:00:61Z",
            "2024-10-01T00:00:00.Z",
            "2024-10-01T00:00:00+0100",
            "2024-10-01T00:00:00ZZ",
            "24-10-01T00:00:00Z",
            "2024-1O-01T00:00:00Z",
            "not a date",
            "2024-10-01T00:00:00+24:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_start_rounds_a_fraction_below_a_millisecond_up() {
        let whole = parse_rfc3339("2024-11-15T12:00:00Z");
        let at = |text, up| {
            parse_rfc3339_rounded(text, up)
                .zip(whole)
                .map(|(t, w)| t - w)
        };
        assert_eq!(at("2024-11-15T12:00:00.0000001Z", true), Some(1));
        assert_eq!(at("2024-11-15T12:00:00.0000001Z", false), Some(0));
        assert_eq!(at("2024-11-15T12:00:00.999001Z", true), Some(1000));
        assert_eq!(at("2024-11-15T12:00:00.250000Z", true), Some(250)); // whole: as it is
        assert_eq!(at("2024-11-15T12:00:00.2500001Z", true), Some(251));
        assert_eq!(at("2024-11-15T12:00:00.25Z", true), Some(250));
    }

    #[test]
    fn epoch_numbers_and_text() {
        assert_eq!(from_epoch_f64(1.5), Some(1));
        assert_eq!(from_epoch_f64(-0.5), Some(-1));
        assert_eq!(from_epoch_f64(f64::NAN), None);
        assert_eq!(from_epoch_f64(f64::INFINITY), None);
        assert_eq!(from_epoch_f64(9e15), None);
        assert_eq!(from_epoch_text("1735689599000"), Some(1_735_689_599_000));
        assert_eq!(from_epoch_text("-5"), Some(-5));
        for bad in ["", "-", "1e3", "12.5", " 1", "99999999999999999"] {
            assert_eq!(from_epoch_text(bad), None, "{bad:?}");
        }
    }
}
