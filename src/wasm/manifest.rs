//! Manifests: the binding of `playgate::manifest`. The JS layer (`js/manifests.mjs`) checks the
//! arguments, passes the manifest's UTF-8 bytes and the cap as a rank (0 uncapped, else
//! `Quality::rank`), and builds the text itself from the ranges that come back: from the
//! caller's own string when it is ASCII (no text is copied back out of wasm at all), else by
//! decoding the kept pieces. Measured against returning the text: see README "Manifests".

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use super::reject;
use playgate::manifest::manifest_cuts;
use playgate::{Error, Quality};

thread_local! {
    /// The last result's format and counts, for `_manifestCounts`.
    static COUNTS: Cell<f64> = const { Cell::new(0.0) };
}

/// Internal: the byte ranges to drop from the manifest `bytes` under the cap of `rank`, flat
/// (`start, end, start, end, ...`, in order); the format and counts wait in `_manifestCounts`.
/// (Bytes, not a string: wasm-bindgen's string passing copies ASCII one character at a time in
/// JS, measured at half the speed of `TextEncoder.encode` and a byte copy.)
#[wasm_bindgen(js_name = _filterManifestBytes, skip_typescript)]
pub fn filter_manifest_bytes(bytes: &[u8], rank: u8) -> Result<Vec<u32>, JsValue> {
    let cuts = manifest_cuts(bytes, cap(rank)?).or_else(reject)?;
    let format = f64::from(u8::from(cuts.format.as_str() == "dash"));
    let packed = format + 2.0 * f64::from(cuts.kept) + 134_217_728.0 * f64::from(cuts.removed);
    COUNTS.with(|c| c.set(packed));
    let mut flat = Vec::with_capacity(2 * cuts.dropped.len());
    for (start, end) in cuts.dropped {
        // A wasm32 input is under 4 GiB: the offsets fit.
        flat.push(u32::try_from(start).unwrap_or(u32::MAX));
        flat.push(u32::try_from(end).unwrap_or(u32::MAX));
    }
    Ok(flat)
}

/// Internal: the last filtered manifest's format and counts in one number:
/// `format + 2 * kept + 2^27 * removed` (format 0 HLS, 1 DASH; exact in an f64: a manifest
/// that fits in memory has fewer than 2^26 renditions).
#[wasm_bindgen(js_name = _manifestCounts, skip_typescript)]
pub fn manifest_counts() -> f64 {
    COUNTS.with(Cell::get)
}

fn cap(rank: u8) -> Result<Option<Quality>, JsValue> {
    match rank {
        0 => Ok(None),
        rank => Quality::from_rank(rank)
            .map(Some)
            .ok_or_else(|| super::js_error(&Error::request("maxQuality: not a quality rank"))),
    }
}
