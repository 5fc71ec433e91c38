//! HLS master playlists (RFC 8216) capped to a quality: the variants above the cap go, line by
//! line, and everything else stays byte for byte.
//!
//! A variant is its `EXT-X-STREAM-INF` line, its URI line and any comment or blank lines
//! between the two (section 4.1 lets them stand there); an `EXT-X-I-FRAME-STREAM-INF` entry is
//! its one line (its URI is an attribute). A variant is video if it has a `RESOLUTION`, or
//! unless its `CODECS` lists only audio or text codecs (split at commas and white space, as
//! hls.js splits them); its size is the shorter side of `RESOLUTION`. An `EXT-X-MEDIA` line of
//! `TYPE=VIDEO` (an alternative video rendition: a camera angle, a 3D view) shows at the size
//! of the variants whose `VIDEO` attribute names its `GROUP-ID` (section 4.3.4.2): under a cap
//! it stays only when a variant kept names its group. Fail closed: under a cap, a video variant without `RESOLUTION` goes, and what
//! players read differently from a reader of lines (a lone CR, a variant tag inside a line, an
//! attribute named twice or badly quoted) is INVALID_MANIFEST.

use super::{
    audio_or_text_only, decimal, invalid, line_at, nothing_playable, shifted, text_of, Cuts, Format,
};
use crate::error::Error;
use crate::quality::Quality;

/// A line of the input: where its text starts and ends, and where its terminator ends.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    next: usize,
}

/// The line that starts at byte `start`, ended by LF or CR LF (section 4.1); the last may have
/// none. An error: a CR that does not end a line, or an `EXT-X-STREAM-INF` or
/// `EXT-X-I-FRAME-STREAM-INF` tag that does not start its line (after blanks). Players read both
/// where a reader of lines would not: hls.js and Shaka end a line at a lone CR, and hls.js finds
/// both tags anywhere (its master-playlist pattern is not anchored; I-frame variants since 1.7).
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn line_from(bytes: &[u8], start: usize) -> Result<Line, Error> {
    let mut from = start;
    let stray = loop {
        let Some(at) = bytes.get(from..).and_then(stop).map(|i| from + i) else {
            return Ok(Line {
                start,
                end: bytes.len(),
                next: bytes.len(),
            });
        };
        match bytes.get(at) {
            Some(b'\n') => {
                return Ok(Line {
                    start,
                    end: at,
                    next: at + 1,
                })
            }
            // CR LF, or a CR that ends the text (nothing after it to read either way).
            Some(b'\r') if matches!(bytes.get(at + 1), Some(b'\n') | None) => {
                return Ok(Line {
                    start,
                    end: at,
                    next: (at + 2).min(bytes.len()),
                })
            }
            Some(b'\r') => break at,
            _ => {
                // A `#`: a variant tag must start its line (hls.js reads one anywhere, Shaka
                // reads lines).
                let lead = bytes.get(start..at).unwrap_or_default();
                let rest = bytes.get(at..).unwrap_or_default();
                if !lead.iter().all(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
                    && (rest.starts_with(STREAM_INF.as_bytes())
                        || rest.starts_with(I_FRAME_STREAM_INF.as_bytes()))
                {
                    break at;
                }
                from = at + 1;
            }
        }
    };
    // What players read that a reader of lines would miss is refused, never read one way.
    Err(invalid(
        line_at(bytes, stray),
        "a lone CR, or a variant tag inside a line",
    ))
}

/// The first LF, CR or `#` in `bytes`, eight bytes at a time (the wasm build has no SIMD): a
/// byte of `word ^ pattern` is zero where the pattern's byte is, and the lowest byte a zero test
/// flags is the first one (a test's false flags only stand above a true one). Measured: the
/// byte-by-byte scan for LF was half of the filter's time.
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn stop(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    const CR: u64 = 0x0d0d_0d0d_0d0d_0d0d;
    const HASH: u64 = 0x2323_2323_2323_2323;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(word);
        let w = u64::from_le_bytes(eight);
        let found = zero(w ^ LF) | zero(w ^ CR) | zero(w ^ HASH);
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|b| matches!(b, b'\n' | b'\r' | b'#'))
        .map(|i| at + i)
}

const STREAM_INF: &str = "#EXT-X-STREAM-INF:";
const I_FRAME_STREAM_INF: &str = "#EXT-X-I-FRAME-STREAM-INF:";
const MEDIA: &str = "#EXT-X-MEDIA:";

/// Filters the playlist `text` (its BOM, if any, already skipped: `bom` bytes precede it), one
/// line at a time; a line's number is counted only for an error.
#[cfg_attr(feature = "fast-manifests", inline(always))]
pub(super) fn filter(source: &str, bom: usize, cap: Option<Quality>) -> Result<Cuts, Error> {
    let text = source.get(bom..).unwrap_or_default();
    let bytes = text.as_bytes();
    let line_text = |l: &Line| text.get(l.start..l.end).unwrap_or_default();
    let number = |l: &Line| line_at(bytes, l.start);
    let head = line_from(bytes, 0)?;
    // U+2028 and U+2029 end a line to hls.js's attribute pattern (JS's `.` stops there): a quoted
    // value holding one would hide an attribute from the filter that hls.js reads.
    if let Some(at) = text.find(['\u{2028}', '\u{2029}']) {
        return Err(invalid(
            line_at(bytes, at),
            "U+2028 or U+2029 (a line end to hls.js's attribute parser)",
        ));
    }
    if text.is_empty() || line_text(&head) != "#EXTM3U" {
        return Err(invalid(
            1,
            "the first line must be #EXTM3U (RFC 8216 section 4.3.1.1)",
        ));
    }
    // Byte ranges of `text` to drop.
    let mut dropped: Vec<(usize, usize)> = Vec::new();
    let (mut kept, mut removed) = (0u32, 0u32);
    // The video groups that variants kept name. An alternative video rendition of another group
    // goes (under a cap): the first pass learns the groups, and a second is made only when
    // there is such a rendition to drop (the ranges stay in order with no insertion).
    let mut groups: Vec<&str> = Vec::new();
    let mut second_pass = false;
    let mut at = head.next;
    loop {
        let mut video_media = false;
        while at < bytes.len() {
            let line = line_from(bytes, at)?;
            // Leading blanks do not hide a tag: hls.js finds `#EXT-X-STREAM-INF:` anywhere on a
            // line, so a variant the player would see must be one the filter sees.
            let content = line_text(&line).trim_ascii_start();
            if let Some(attributes) = content.strip_prefix(STREAM_INF) {
                // The URI is the next line that is neither blank nor a comment; a tag first is an error.
                let mut next = line.next;
                let uri = loop {
                    if next >= bytes.len() {
                        return Err(invalid(
                            number(&line),
                            "EXT-X-STREAM-INF has no URI line after it",
                        ));
                    }
                    let candidate = line_from(bytes, next)?;
                    let candidate_text = line_text(&candidate);
                    if candidate_text.trim_ascii_start().starts_with("#EXT") {
                        return Err(invalid(
                            number(&line),
                            "EXT-X-STREAM-INF is followed by a tag, not by its URI",
                        ));
                    }
                    if candidate_text.trim_ascii().is_empty() || candidate_text.starts_with('#') {
                        next = candidate.next;
                        continue;
                    }
                    break candidate;
                };
                let variant = Variant::read(attributes, bytes, line.start)?;
                if !variant.video || variant.allowed(cap) {
                    kept += u32::from(variant.video);
                    note_group(&mut groups, variant.group, || number(&line))?;
                } else {
                    removed += 1;
                    dropped.push((line.start, uri.next));
                }
                at = uri.next;
                continue;
            }
            if let Some(attributes) = content.strip_prefix(I_FRAME_STREAM_INF) {
                let variant = Variant::read(attributes, bytes, line.start)?;
                if variant.video && !variant.allowed(cap) {
                    dropped.push((line.start, line.next));
                } else {
                    note_group(&mut groups, variant.group, || number(&line))?;
                }
            } else if let Some(attributes) = content.strip_prefix(MEDIA) {
                let media = Variant::read(attributes, bytes, line.start)?;
                if media.is_video_media && !media.group.is_some_and(|g| groups.contains(&g)) {
                    video_media = true;
                    if second_pass {
                        dropped.push((line.start, line.next));
                    }
                }
            }
            at = line.next;
        }
        if second_pass || !video_media || cap.is_none() {
            break;
        }
        second_pass = true;
        dropped.clear();
        (kept, removed) = (0, 0);
        at = head.next;
    }
    if kept == 0 && removed > 0 {
        let cap = cap.map_or("the cap", Quality::as_str);
        return Err(nothing_playable(text_of(&[
            "every video variant of the master playlist is above ",
            cap,
        ])));
    }
    Ok(Cuts {
        format: Format::Hls,
        dropped: shifted(dropped, bom),
        kept,
        removed,
    })
}

/// The most distinct video groups a master may name: a few in practice, and the bound keeps
/// each lookup among them short whatever the input.
const MAX_VIDEO_GROUPS: usize = 256;

/// Notes that a variant kept (on line `line`) names video group `group`, once each.
fn note_group<'a>(
    groups: &mut Vec<&'a str>,
    group: Option<&'a str>,
    line: impl FnOnce() -> usize,
) -> Result<(), Error> {
    match group {
        Some(g) if !groups.contains(&g) => {
            if groups.len() >= MAX_VIDEO_GROUPS {
                // The line's number is counted here, for the error only (counted for every
                // variant, a long master took quadratic time).
                return Err(invalid(line(), "more than 256 video groups"));
            }
            groups.push(g);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// What the filter needs of a variant's attribute list (or of an `EXT-X-MEDIA` tag's).
struct Variant<'a> {
    video: bool,
    /// The quality of its `RESOLUTION`, if it has one.
    quality: Option<Quality>,
    /// Its video group: a variant's `VIDEO`, an `EXT-X-MEDIA` tag's `GROUP-ID`.
    group: Option<&'a str>,
    /// An `EXT-X-MEDIA` tag of `TYPE=VIDEO`.
    is_video_media: bool,
}

impl<'a> Variant<'a> {
    #[cfg_attr(feature = "fast-manifests", inline(always))]
    /// Reads the attribute list of the tag on the line at byte `line` of `text` (for an error).
    fn read(attributes: &'a str, text: &[u8], line: usize) -> Result<Self, Error> {
        let bad = |message| invalid(line_at(text, line), message);
        let mut codecs = None;
        let mut quality = None;
        let mut group = None;
        let mut media_type = None;
        let mut supplemental = false;
        for (name, value, well_formed) in attribute_list(attributes) {
            // Players differ on what they read of a malformed list (the first of two values,
            // or a value cut at a stray quote), so it is refused, never read one way.
            if !well_formed {
                return Err(bad("an attribute list players read two ways"));
            }
            let twice = match name {
                "CODECS" => codecs.replace(unquoted(value)).is_some(),
                "VIDEO" | "GROUP-ID" => group.replace(unquoted(value)).is_some(),
                "TYPE" => media_type.replace(unquoted(value)).is_some(),
                "SUPPLEMENTAL-CODECS" => core::mem::replace(&mut supplemental, true),
                "RESOLUTION" => {
                    let x = value.bytes().position(|b| b == b'x');
                    let size = x
                        .and_then(|x| {
                            Some((decimal(value.get(..x)?)?, decimal(value.get(x + 1..)?)?))
                        })
                        .filter(|&(w, h)| w > 0 && h > 0)
                        .ok_or_else(|| {
                            bad("RESOLUTION is not a decimal-resolution such as 1920x1080")
                        })?;
                    quality
                        .replace(Quality::of_picture(size.0, size.1))
                        .is_some()
                }
                _ => false,
            };
            if twice {
                return Err(bad("an attribute list players read two ways"));
            }
        }
        // A RESOLUTION says video whatever CODECS says (players read the size); so do a video
        // group (Shaka plays a variant naming one as video whatever its CODECS), supplemental
        // codecs (Shaka reads them instead of CODECS) and a variable in CODECS (`{$name}`,
        // filled in by the player).
        let video = quality.is_some()
            || group.is_some()
            || supplemental
            || !codecs.is_some_and(|c| !c.contains('{') && audio_or_text_only(c));
        Ok(Variant {
            video,
            quality,
            group,
            is_video_media: media_type.is_some_and(|t| t.eq_ignore_ascii_case("VIDEO")), // Shaka reads TYPE in any case
        })
    }

    /// Within the cap: uncapped, or sized at or below it (an unsized video variant is not).
    fn allowed(&self, cap: Option<Quality>) -> bool {
        match (cap, self.quality) {
            (None, _) => true,
            (Some(cap), Some(q)) => q <= cap,
            (Some(_), None) => false,
        }
    }
}

/// `NAME=VALUE` pairs of an attribute list (section 4.2), each with whether it is well formed:
/// a name of `A-Z`, `0-9` and `-` only (hls.js trims a name with JS's trim, which takes VT and
/// NBSP, and Shaka takes what comes before a first comma for the tag's value: a name holding
/// either would be another attribute to them), a quoted value (which may hold commas) closed,
/// and followed by a comma or the end.
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn attribute_list(text: &str) -> impl Iterator<Item = (&str, &str, bool)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let eq = rest.bytes().position(|b| b == b'=')?;
        let name = rest.get(..eq)?.trim_ascii();
        let after = rest.get(eq + 1..)?;
        let (end, mut well_formed) = if after.starts_with('"') {
            after
                .bytes()
                .skip(1)
                .position(|b| b == b'"')
                .map_or((after.len(), false), |q| (q + 2, true))
        } else {
            (
                after.bytes().position(|b| b == b',').unwrap_or(after.len()),
                true,
            )
        };
        let value = after.get(..end).unwrap_or(after);
        rest = after.get(end..).unwrap_or_default();
        well_formed &= rest.trim_ascii_end().is_empty() || rest.starts_with(',');
        well_formed &= !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        rest = rest.strip_prefix(',').unwrap_or(rest);
        Some((name, value, well_formed))
    })
}

/// A quoted-string's text (section 4.2), or the value as it is.
fn unquoted(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}
