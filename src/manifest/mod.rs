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

/// Filters a manifest given as bytes to `cap` (`None`: uncapped, only checked). The format is
/// told by the first characters after a BOM: `#EXTM3U` is HLS, `<` (after white space) DASH.
/// Errors: `INVALID_MANIFEST` whose message starts with the 1-based line ("line N: ...", and
/// for DASH the element), `NOTHING_PLAYABLE` (a master or Period had video and none is within
/// the cap).
#[inline(always)]
pub fn filter_manifest(input: &[u8], cap: Option<Quality>) -> Result<Filtered, Error> {
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

/// Whether a `CODECS` list (RFC 6381, comma-separated) names only audio and text codecs.
/// Anything else counts as video: unknown means capped, never let through.
fn audio_or_text_only(codecs: &str) -> bool {
    codecs.as_bytes().split(|&b| b == b',').all(|codec| {
        let codec = codec.trim_ascii();
        let family = codec.split(|&b| b == b'.').next().unwrap_or(codec);
        matches!(
            family,
            b"mp4a"
                | b"ac-3"
                | b"ec-3"
                | b"ac-4"
                | b"Opus"
                | b"opus"
                | b"fLaC"
                | b"flac"
                | b"alac"
                | b"mhm1"
                | b"mhm2"
                | b"dtsc"
                | b"dtse"
                | b"dtsh"
                | b"dtsl"
                | b"dtsx"
                | b"wvtt"
                | b"stpp"
        )
    })
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

/// `source` without the byte ranges `dropped` (in order, relative to the text after the
/// `bom` bytes): the output of both filters.
#[inline(always)]
fn cut(source: &str, bom: usize, dropped: &[(usize, usize)]) -> String {
    let text = source.get(bom..).unwrap_or_default();
    let mut out = String::with_capacity(source.len());
    out.push_str(source.get(..bom).unwrap_or_default());
    let mut from = 0;
    for &(start, end) in dropped {
        out.push_str(text.get(from..start).unwrap_or_default());
        from = end;
    }
    out.push_str(text.get(from..).unwrap_or_default());
    out
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
