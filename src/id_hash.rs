//! The hasher of the crate's id-keyed maps and sets (entitlement id sets, policy names).

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash's mixing step (as in rustc) with a splitmix64 finaliser. Entity ids are short and
/// come from the auth server, so a fast non-cryptographic hash is the right trade for the
/// per-title lookup; the finaliser matters: FxHash alone leaves the low bits (the bucket
/// index) blind to the last bytes of an id, so `movie-1` ... `movie-19` would share a bucket.
#[derive(Default)]
pub struct FxHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline(always)]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline(always)]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        // The tail byte by byte: a variable-length copy would be a memcpy call.
        let rest = chunks.remainder();
        let mut word = (rest.len() as u64) << 56;
        for (i, &b) in rest.iter().enumerate() {
            word |= u64::from(b) << (8 * i);
        }
        self.add(word);
    }

    #[inline(always)]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Builds [`FxHasher`]s for the crate's hash maps and sets.
pub type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fx_hasher_distinguishes_lengths() {
        let hash = |s: &str| {
            let mut h = FxHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_ne!(hash("a"), hash("a\0"));
        assert_ne!(hash("movie-1"), hash("movie-2"));
    }
}
