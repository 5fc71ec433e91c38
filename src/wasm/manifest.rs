//! Manifests: the binding of `playgate::manifest`. The JS layer (`js/manifests.mjs`) checks the
//! arguments and passes the cap as a rank (0 uncapped, else `Quality::rank`).

use std::cell::Cell;

use wasm_bindgen::prelude::*;

use super::reject;
use playgate::manifest::{filter_manifest, Filtered};
use playgate::{Error, Quality};

thread_local! {
    /// The last result's format and counts, for `_manifestCounts`.
    static COUNTS: Cell<f64> = const { Cell::new(0.0) };
}

/// Internal: filters manifest bytes (UTF-8) to the cap of `rank`; the counts wait in
/// `_manifestCounts`.
#[wasm_bindgen(js_name = _filterManifestBytes, skip_typescript)]
pub fn filter_manifest_bytes(bytes: &[u8], rank: u8) -> Result<Option<String>, JsValue> {
    Ok(keep_counts(
        filter_manifest(bytes, cap(rank)?).or_else(reject)?,
    ))
}

/// Internal: the last filtered manifest's format and counts in one number:
/// `format + 2 * kept + 2^27 * removed` (format 0 HLS, 1 DASH; exact in an f64: a manifest
/// that fits in memory has fewer than 2^26 renditions).
#[wasm_bindgen(js_name = _manifestCounts, skip_typescript)]
pub fn manifest_counts() -> f64 {
    COUNTS.with(Cell::get)
}

fn keep_counts(filtered: Filtered) -> Option<String> {
    let format = f64::from(u8::from(filtered.format.as_str() == "dash"));
    let packed =
        format + 2.0 * f64::from(filtered.kept) + 134_217_728.0 * f64::from(filtered.removed);
    COUNTS.with(|c| c.set(packed));
    Some(filtered.text)
}

fn cap(rank: u8) -> Result<Option<Quality>, JsValue> {
    match rank {
        0 => Ok(None),
        rank => Quality::from_rank(rank)
            .map(Some)
            .ok_or_else(|| super::js_error(&Error::request("maxQuality: not a quality rank"))),
    }
}
