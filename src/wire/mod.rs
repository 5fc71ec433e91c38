//! The wire formats the rooms read and write, each written here for size (the reasons,
//! measured, are at the top of each file): JSON (RFC 8259), base64 (RFC 4648), RFC 3339
//! instants and the protobuf wire format.

pub mod base64;
pub mod json;
pub mod protobuf;
pub mod time;

/// `-?[0-9]+` text (its callers have checked that it is only that) as an `i64`; `None` when it
/// does not fit. Not `str::parse`: its generic integer parser is 0.6 KB of the player module.
pub(crate) fn signed_decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    // Summed below zero, so that i64::MIN fits.
    let mut value: i64 = 0;
    for b in digits.bytes() {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// `String::from_utf8_lossy`, by hand: each run of bytes that is not UTF-8 becomes one U+FFFD, as
/// there (its `Utf8Error::error_len` is that run). The standard one cost the player module 0.4 KB.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(e) => {
                let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                let skip = e.valid_up_to() + e.error_len().unwrap_or(rest.len());
                rest = rest.get(skip..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn lossy_reads_as_from_utf8_lossy() {
        // Every byte string of length up to 3 over an alphabet of boundary bytes, and some longer.
        let alphabet = [
            0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
            0xff,
        ];
        let mut cases: Vec<Vec<u8>> = vec![
            Vec::new(),
            "Zoë 🎬".as_bytes().to_vec(),
            b"\xf0\x9f\x8e".to_vec(),
        ];
        for a in alphabet {
            cases.push(vec![a]);
            for b in alphabet {
                cases.push(vec![a, b]);
                for c in alphabet {
                    cases.push(vec![a, b, c]);
                }
            }
        }
        for bytes in &cases {
            assert_eq!(
                super::lossy(bytes),
                String::from_utf8_lossy(bytes),
                "{bytes:?}"
            );
        }
    }

    /// The same answers as the standard library's parser, on the text the callers allow.
    #[test]
    fn signed_decimal_reads_as_str_parse_does() {
        let mut cases: Vec<String> = [
            "0",
            "-0",
            "7",
            "-7",
            "00012",
            "-00012",
            "9007199254740992",
            "-9007199254740993",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        // Every power of ten and its neighbours, signed and not.
        let mut p: i128 = 1;
        for _ in 0..20 {
            for v in [p - 1, p, p + 1] {
                cases.push(v.to_string());
                cases.push((-v).to_string());
            }
            p *= 10;
        }
        for text in &cases {
            assert_eq!(
                super::signed_decimal(text),
                text.parse::<i64>().ok(),
                "{text}"
            );
        }
    }
}
