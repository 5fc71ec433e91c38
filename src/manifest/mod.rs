//! Manifests capped to a decision's quality: the renditions above `maxQuality` leave the
//! manifest before a player can see or request them. The output is always the input with
//! whole variants removed, byte for byte otherwise (BOM, line endings, comments, unknown tags).
//!
//! - `hls.rs`: HLS master playlists (RFC 8216); media playlists pass through;
//! - `dash.rs`: DASH MPDs (ISO/IEC 23009-1), read with `xml.rs` (tags and their positions).
//!
//! The quality of a rendition is that of its picture's shorter side (`Quality::of_picture`).

mod dash;
mod hls;
mod xml;

use crate::error::{Error, ErrorCode};
use crate::quality::Quality;

/// Which kind of manifest was filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An HLS playlist.
    Hls,
    /// A DASH MPD.
    Dash,
}

impl Format {
    /// `"hls"` or `"dash"`, as the JS API names it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hls => "hls",
            Self::Dash => "dash",
        }
    }
}

/// A filtered manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered {
    /// What was read.
    pub format: Format,
    /// The manifest with the renditions above the cap removed.
    pub text: String,
    /// Video renditions kept: HLS `EXT-X-STREAM-INF` variants (I-frame entries are not
    /// counted) or DASH video `Representation`s.
    pub kept: u32,
    /// Video renditions removed.
    pub removed: u32,
}

/// What the filter takes out of a manifest: the byte ranges to drop, in order, and the counts.
/// The filtered text is the input without them ([`filter_manifest`]); a caller that holds the
/// input (the JS layer, with the caller's string) can cut it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cuts {
    /// What was read.
    pub format: Format,
    /// Byte ranges `start..end` of the input, in order, not overlapping; each starts and ends
    /// at an ASCII character (a line or a tag boundary).
    pub dropped: Vec<(usize, usize)>,
    /// Video renditions kept (as in [`Filtered`]).
    pub kept: u32,
    /// Video renditions removed.
    pub removed: u32,
}

/// Filters a manifest given as bytes to `cap` (`None`: uncapped, only checked). The format is
/// told by the first characters after a BOM: `#EXTM3U` is HLS, `<` (after white space) DASH.
/// Errors: `INVALID_MANIFEST` whose message starts with the 1-based line ("line N: ...", and
/// for DASH the element), `NOTHING_PLAYABLE` (a master or Period had video and none is within
/// the cap).
#[cfg_attr(feature = "fast-manifests", inline(always))]
pub fn filter_manifest(input: &[u8], cap: Option<Quality>) -> Result<Filtered, Error> {
    let cuts = manifest_cuts(input, cap)?;
    let mut text = String::with_capacity(input.len());
    let mut from = 0;
    for &(start, end) in &cuts.dropped {
        text.push_str(source_text(input, from, start));
        from = end;
    }
    text.push_str(source_text(input, from, input.len()));
    Ok(Filtered {
        format: cuts.format,
        text,
        kept: cuts.kept,
        removed: cuts.removed,
    })
}

/// What [`filter_manifest`] would cut out of `input`, without building the text. Same errors.
#[cfg_attr(feature = "fast-manifests", inline(always))]
#[cfg_attr(not(feature = "fast-manifests"), inline(never))]
pub fn manifest_cuts(input: &[u8], cap: Option<Quality>) -> Result<Cuts, Error> {
    let text = std::str::from_utf8(input).map_err(|e| {
        let valid = input.get(..e.valid_up_to()).unwrap_or_default();
        invalid(line_at(valid, valid.len()), "not UTF-8 text")
    })?;
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = text.get(bom..).unwrap_or_default();
    if body.trim_start().starts_with('<') {
        dash::filter(text, bom, cap)
    } else {
        hls::filter(text, bom, cap)
    }
}

/// `input[from..to]` as text (`input` is UTF-8 and the cuts fall on ASCII characters).
fn source_text(input: &[u8], from: usize, to: usize) -> &str {
    input
        .get(from..to)
        .and_then(|piece| std::str::from_utf8(piece).ok())
        .unwrap_or_default()
}

/// Ranges of the text after the BOM as ranges of the whole input.
fn shifted(mut dropped: Vec<(usize, usize)>, bom: usize) -> Vec<(usize, usize)> {
    for range in &mut dropped {
        range.0 += bom;
        range.1 += bom;
    }
    dropped
}

/// Whether a `CODECS` list (RFC 6381, comma-separated) names only audio and text codecs, and
/// at least one. Anything else counts as video: unknown means capped, never let through. Split
/// at white space too: hls.js splits at spaces, so `"mp4a.40.2 avc1.640033"` is video to it.
fn audio_or_text_only(codecs: &str) -> bool {
    // A table walked, not a `matches!` of literals: the same answer in a third of the code.
    const FAMILIES: [&[u8]; 18] = [
        b"mp4a", b"ac-3", b"ec-3", b"ac-4", b"Opus", b"opus", b"fLaC", b"flac", b"alac", b"mhm1",
        b"mhm2", b"dtsc", b"dtse", b"dtsh", b"dtsl", b"dtsx", b"wvtt", b"stpp",
    ];
    let mut named = false;
    codecs
        .as_bytes()
        .split(|&b| b == b',' || b.is_ascii_whitespace())
        .filter(|codec| !codec.is_empty())
        .all(|codec| {
            named = true;
            let family = codec.split(|&b| b == b'.').next().unwrap_or(codec);
            FAMILIES.contains(&family)
        })
        && named
}

/// A whole number written in decimal digits only (an HLS decimal-integer, a DASH
/// `xs:unsignedInt`), within `u32`. (By hand: `str::parse` costs the module 0.5 KB.)
fn decimal(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u32, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        n.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

/// The 1-based line of byte `at` of `bytes`.
fn line_at(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(..at)
        .unwrap_or(bytes)
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// `INVALID_MANIFEST` with the message "line N: ...".
fn invalid(line: usize, message: &str) -> Error {
    Error::new(ErrorCode::InvalidManifest, at_line(line, message))
}

/// The parts, one after the other (not `[..].concat()`, whose generic join is 1 KB of code).
fn text_of(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// "line N: message".
fn at_line(line: usize, message: &str) -> String {
    format!("line {line}: {message}")
}

fn nothing_playable(message: String) -> Error {
    Error::new(ErrorCode::NothingPlayable, message)
}
