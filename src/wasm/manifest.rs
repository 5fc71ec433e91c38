//! Manifests: the binding of `playgate::manifest`. The JS layer (`js/manifests.mjs`) checks the
//! arguments, writes the manifest's UTF-8 bytes straight into wasm memory (`_input`),
//! passes the cap as a rank (0 uncapped, else `Quality::rank`), and builds the text itself from
//! the ranges that come back: from the caller's own string when it is ASCII (no text is copied
//! back out of wasm at all), else by decoding the kept pieces. Measured: see README "Manifests".

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;

use super::{or_failed, with_input};
use playgate::manifest::manifest_cuts;
use playgate::{Error, Quality};

thread_local! {
    /// The last result's byte ranges to drop, flat: `start, end, start, end, ...`.
    static RANGES: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    /// The last result's format and counts, for `_manifestCounts`.
    static COUNTS: Cell<f64> = const { Cell::new(0.0) };
}

/// Internal: filters the `len` bytes JS wrote at `_input` under the cap of `rank` (0
/// uncapped, else `Quality::rank`). Returns how many numbers `_manifestRanges` holds (two per
/// range to drop, in order), or `FAILED` with the error kept for `_takeError`; the format and
/// counts wait in `_manifestCounts`. (Bytes, not a string: wasm-bindgen's string passing copies
/// ASCII one character at a time in JS, half the speed of `encodeInto`.)
#[wasm_bindgen(js_name = _filterManifest, skip_typescript)]
pub fn filter_manifest(len: u32, rank: u8) -> u32 {
    let result = with_input(len, |bytes| {
        let cuts = manifest_cuts(bytes, cap(rank)?)?;
        let format = f64::from(u8::from(cuts.format.as_str() == "dash"));
        let packed = format + 2.0 * f64::from(cuts.kept) + 134_217_728.0 * f64::from(cuts.removed);
        COUNTS.with(|c| c.set(packed));
        RANGES.with(|ranges| {
            let mut ranges = ranges
                .try_borrow_mut()
                .map_err(|_| Error::request("re-entrant call"))?;
            ranges.clear();
            for (start, end) in cuts.dropped {
                // A wasm32 input is under 4 GiB: the offsets fit.
                ranges.push(u32::try_from(start).unwrap_or(u32::MAX));
                ranges.push(u32::try_from(end).unwrap_or(u32::MAX));
            }
            u32::try_from(ranges.len()).map_err(|_| Error::request("manifest: too many cuts"))
        })
    });
    or_failed(result)
}

/// Internal: the address of the last result's ranges (`_filterManifest` says how many).
#[wasm_bindgen(js_name = _manifestRanges, skip_typescript)]
pub fn manifest_ranges() -> u32 {
    RANGES.with(|ranges| ranges.try_borrow().map_or(0, |r| r.as_ptr() as u32))
}

/// Internal: the last filtered manifest's format and counts in one number:
/// `format + 2 * kept + 2^27 * removed` (format 0 HLS, 1 DASH; exact in an f64: a manifest
/// that fits in memory has fewer than 2^26 renditions).
#[wasm_bindgen(js_name = _manifestCounts, skip_typescript)]
pub fn manifest_counts() -> f64 {
    COUNTS.with(Cell::get)
}

fn cap(rank: u8) -> Result<Option<Quality>, Error> {
    match rank {
        0 => Ok(None),
        rank => Quality::from_rank(rank)
            .map(Some)
            .ok_or_else(|| Error::request("maxQuality: not a quality rank")),
    }
}
