//! The crate's string-keyed table (entitlement id sets, policy names) and its hasher.
//!
//! One small open-addressing table instead of std's `HashMap`/`HashSet`: the crate needs only
//! insert and look up by `&str`, and hashbrown's generic group-probing code was 3,300 of the
//! player module's 91,700 lines of text form; without it the module is 1.4 KB smaller gzipped
//! (66,137 -> 64,745 B, Node's zlib), with catalogs decided as fast (bench: 1.29x the tuned JS
//! loop against 1.26x with std's table).

use std::hash::Hasher;

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

// Inlined into the decision's hot path, which the binding crate builds at opt-level 3 (this
// crate is at "z"); std's table came built at 3.
#[inline(always)]
fn hash(key: &str) -> u32 {
    let mut h = FxHasher::default();
    h.write(key.as_bytes());
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the low bits, which the finaliser mixes"
    )]
    let low = h.finish() as u32;
    low
}

/// Strings, each with a value, found by hash (linear probing). Keys are unique:
/// [`StrTable::insert`] refuses one already there.
#[derive(Clone)]
pub struct StrTable<V> {
    /// A power of two long (or empty), at most a quarter full: a miss, the common case in a
    /// catalog, ends within about one step (at half full catalogs took 10% longer, measured).
    /// Each slot keeps its key's hash, so a probe compares strings only when the hashes match
    /// (ids of one length are the common case). 12 bytes a slot on wasm32, 4 to 8 slots an id:
    /// the longest list a document may hold (65,536 ids) takes 6 MiB.
    slots: Vec<Slot<V>>,
    len: usize,
}

#[derive(Clone)]
struct Slot<V> {
    /// The key's hash, its low 32 bits (the bits the index comes from, and more).
    hash: u32,
    key: Option<Box<str>>,
    value: V,
}

impl<V> Default for StrTable<V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<V> StrTable<V> {
    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The slot of `key` (hashed `hash`): `Ok` if held there, `Err` for the free slot where it
    /// would go; `Err(None)` when there are no slots.
    #[inline(always)]
    fn find(&self, key: &str, hash: u32) -> Result<usize, Option<usize>> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = hash as usize & mask;
        // At most a quarter full: a free slot comes within `slots.len()` steps.
        for _ in 0..self.slots.len() {
            let slot = self.slots.get(at).ok_or(None)?;
            match &slot.key {
                None => return Err(Some(at)),
                Some(k) if slot.hash == hash && **k == *key => return Ok(at),
                Some(_) => at = (at + 1) & mask,
            }
        }
        Err(None)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        let at = self.find(key, hash(key)).ok()?;
        self.slots.get(at).map(|slot| &slot.value)
    }

    /// Whether `key` is held.
    #[inline(always)]
    pub fn contains(&self, key: &str) -> bool {
        self.find(key, hash(key)).is_ok()
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().filter_map(|slot| slot.key.as_deref())
    }
}

impl<V: Default> StrTable<V> {
    /// Adds `key` with `value`; `false` (and nothing changes) if `key` is already held.
    pub fn insert(&mut self, key: Box<str>, value: V) -> bool {
        if (self.len + 1) * 4 > self.slots.len() {
            self.grow();
        }
        let hash = hash(&key);
        match self.find(&key, hash) {
            Ok(_) => false,
            Err(free) => {
                let Some(slot) = free.and_then(|at| self.slots.get_mut(at)) else {
                    return false; // not reached: `grow` left a free slot
                };
                *slot = Slot {
                    hash,
                    key: Some(key),
                    value,
                };
                self.len += 1;
                true
            }
        }
    }

    /// Doubles the slots (at least 8) and places every key again.
    fn grow(&mut self) {
        let len = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(
            &mut self.slots,
            (0..len)
                .map(|_| Slot {
                    hash: 0,
                    key: None,
                    value: V::default(),
                })
                .collect(),
        );
        let mask = len - 1;
        for slot in old {
            if slot.key.is_none() {
                continue;
            }
            let mut at = slot.hash as usize & mask;
            while let Some(free) = self.slots.get_mut(at) {
                if free.key.is_none() {
                    *free = slot;
                    break;
                }
                at = (at + 1) & mask;
            }
        }
    }
}

impl<V> std::fmt::Debug for StrTable<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.keys()).finish()
    }
}

impl FromIterator<Box<str>> for StrTable<()> {
    /// A set: later copies of a key are dropped.
    fn from_iter<I: IntoIterator<Item = Box<str>>>(items: I) -> Self {
        let mut table = Self::default();
        for item in items {
            table.insert(item, ());
        }
        table
    }
}

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

    /// The table against std's HashMap on the same operations: every answer the same.
    #[test]
    fn str_table_answers_as_std_hash_map() {
        use std::collections::HashMap;
        let mut table = StrTable::default();
        let mut map = HashMap::new();
        let mut x: u64 = 1;
        for step in 0..20_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Keys from a small space, so that inserts meet held keys and lookups miss and hit.
            let key = format!("id-{}", (x >> 33) % 3_000);
            if step % 3 == 0 {
                assert_eq!(table.get(&key), map.get(&key), "{key}");
                assert_eq!(table.contains(&key), map.contains_key(&key));
            } else {
                let fresh = !map.contains_key(&key);
                if fresh {
                    map.insert(key.clone(), step);
                }
                assert_eq!(
                    table.insert(key.clone().into_boxed_str(), step),
                    fresh,
                    "{key}"
                );
            }
            assert_eq!(table.len(), map.len());
        }
        assert!(map.keys().all(|k| table.contains(k)));
        assert!(!table.contains("") && !table.contains("id-3000"));
        let set: StrTable<()> = ["a", "b", "a", ""].into_iter().map(Box::from).collect();
        let mut keys = set.keys().collect::<Vec<_>>();
        keys.sort_unstable();
        assert_eq!(keys, ["", "a", "b"]);
        assert!(set.contains("") && !set.is_empty());
    }
}
