//! Base64 (RFC 4648) decoding and encoding: the standard alphabet (Momento v1 tokens, the `p`
//! claim) and the URL-safe one (JWT segments).
//!
//! Why not the `base64` crate (0.22.1, measured 2026-12-05 with the same build): the player
//! module grew 1.9 KB gzipped with the crate's engines (60.1 -> 62.0 KB, over the 60 KB
//! budget), 2.1 KB with the exact semantics of [`Alphabet::Lenient`], which no engine of the
//! crate has (both alphabets in one string, tolerant padding: 1.9 million of the 11 million
//! short strings compared decode here and not there). The crate decodes a Momento token 4x
//! faster (0.23 vs 0.96 us at this crate's opt-level "z"): once per token, not per decision.

/// Which alphabet, and how strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `+` `/`, padding required to a multiple of 4, non-zero trailing bits rejected: a strict
    /// round trip, which is how Momento's SDK recognises a v1 token.
    StandardStrict,
    /// `+` `/` or `-` `_`, padding optional, trailing bits ignored: what lenient decoders of
    /// keys accept (Axinom communication keys are written this way).
    Lenient,
    /// `-` `_`, no padding (RFC 7515 base64url, JWT segments).
    Url,
}

fn value(c: u8, alphabet: Alphabet) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' if alphabet != Alphabet::Url => Some(62),
        b'/' if alphabet != Alphabet::Url => Some(63),
        b'-' if alphabet != Alphabet::StandardStrict => Some(62),
        b'_' if alphabet != Alphabet::StandardStrict => Some(63),
        _ => None,
    }
}

/// Decodes `text`; `None` if it is not base64 of the given kind.
pub fn decode(text: &str, alphabet: Alphabet) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let data = match alphabet {
        Alphabet::StandardStrict => {
            if bytes.len() % 4 != 0 {
                return None;
            }
            let pad = bytes.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 {
                return None;
            }
            bytes.get(..bytes.len() - pad)?
        }
        Alphabet::Lenient => {
            let trimmed = text.trim_end_matches('=').as_bytes();
            if bytes.len() - trimmed.len() > 2 {
                return None;
            }
            trimmed
        }
        Alphabet::Url => bytes,
    };
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in data {
        acc = (acc << 6) | u32::from(value(c, alphabet)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if alphabet != Alphabet::Lenient && acc != 0 {
        return None; // non-zero trailing bits: not the canonical encoding of any bytes
    }
    Some(out)
}

/// Encodes `bytes` with the standard alphabet and padding, or base64url without padding.
pub fn encode(bytes: &[u8], url: bool) -> String {
    let table: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let sextets = chunk.len() + 1;
        for i in 0..4 {
            if i < sextets {
                let index = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(table.get(index).copied().unwrap_or(b'A')));
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_test_vectors() {
        // RFC 4648 section 10.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes(), false), encoded);
            assert_eq!(
                decode(encoded, Alphabet::StandardStrict).as_deref(),
                Some(plain.as_bytes())
            );
            assert_eq!(
                decode(encoded.trim_end_matches('='), Alphabet::Url).as_deref(),
                Some(plain.as_bytes())
            );
            assert_eq!(
                encode(plain.as_bytes(), true),
                encoded.trim_end_matches('=')
            );
        }
    }

    #[test]
    fn strictness() {
        assert_eq!(
            decode("Zg", Alphabet::StandardStrict),
            None,
            "padding required"
        );
        assert_eq!(
            decode("Zh==", Alphabet::StandardStrict),
            None,
            "non-zero trailing bits"
        );
        assert_eq!(decode("Zm9v-_", Alphabet::StandardStrict), None);
        assert_eq!(decode("Zm9v====", Alphabet::StandardStrict), None);
        assert_eq!(
            decode("Zg==", Alphabet::Url),
            None,
            "no padding in base64url"
        );
        assert_eq!(decode("+/+/", Alphabet::Url), None);
        assert_eq!(decode("Z", Alphabet::Lenient), None);
        // The Axinom communication key of docs/mosaic.md: bytes b1e72b7adfe47b.
        assert_eq!(
            decode("secret_key", Alphabet::Lenient),
            Some(vec![0xb1, 0xe7, 0x2b, 0x7a, 0xdf, 0xe4, 0x7b])
        );
        assert_eq!(decode("-_8=", Alphabet::Lenient), Some(vec![0xfb, 0xff]));
    }
}
