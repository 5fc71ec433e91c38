//! Manifests capped to a decision's quality: the renditions above `maxQuality` leave the
//! manifest before a player can see or request them. The output is always the input with
//! whole variants removed, byte for byte otherwise (BOM, line endings, comments, unknown tags).
//!
//! - `hls.rs`: HLS master playlists (RFC 8216); media playlists pass through.
//!
//! DASH MPDs (ISO/IEC 23009-1) come next (issue 14); until then only HLS is read here.

mod hls;

use crate::error::{Error, ErrorCode};
use crate::quality::Quality;

/// Which kind of manifest was filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An HLS playlist.
    Hls,
}

impl Format {
    /// `"hls"`, as the JS API names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hls => "hls",
        }
    }
}

/// A filtered manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered {
    /// What was read.
    pub format: Format,
    /// The manifest with the variants above the cap removed.
    pub text: String,
    /// Video variants kept (HLS `EXT-X-STREAM-INF`; I-frame entries are not counted).
    pub kept: u32,
    /// Video variants removed.
    pub removed: u32,
}

/// Filters an HLS playlist given as bytes to `cap` (`None`: uncapped, only checked).
/// Errors: `INVALID_MANIFEST` naming the 1-based line (not UTF-8, no `#EXTM3U` first, a
/// variant without a URI, a bad `RESOLUTION`), `NOTHING_PLAYABLE` (the master had video and
/// none is within the cap).
pub fn filter_hls(input: &[u8], cap: Option<Quality>) -> Result<Filtered, Error> {
    let text = std::str::from_utf8(input).map_err(|e| {
        let line = input
            .get(..e.valid_up_to())
            .map_or(0, |ok| ok.iter().filter(|&&b| b == b'\n').count());
        invalid(line + 1, "not UTF-8 text")
    })?;
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    hls::filter(text, bom, cap)
}

fn invalid(line: usize, message: &str) -> Error {
    Error::new(
        ErrorCode::InvalidManifest,
        format!("line {line}: {message}"),
    )
}

fn nothing_playable(message: String) -> Error {
    Error::new(ErrorCode::NothingPlayable, message)
}
