//! HLS master playlists (RFC 8216) capped to a quality: the variants above the cap go, line by
//! line, and everything else stays byte for byte.
//!
//! A variant is its `EXT-X-STREAM-INF` line, its URI line and any comment or blank lines
//! between the two (section 4.1 lets them stand there); an `EXT-X-I-FRAME-STREAM-INF` entry is
//! its one line (its URI is an attribute). A variant is video unless its `CODECS` lists only
//! audio or text codecs; its size is the shorter side of `RESOLUTION`. Fail closed: under a cap,
//! a video variant without `RESOLUTION` goes.

use super::{
    audio_or_text_only, decimal, invalid, nothing_playable, shifted, text_of, Cuts, Format,
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

/// Splits `text` into lines, each ended by LF or CR LF (section 4.1); the last may have none.
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        if byte == b'\n' {
            let end = if i > start && text.as_bytes().get(i - 1) == Some(&b'\r') {
                i - 1
            } else {
                i
            };
            out.push(Line {
                start,
                end,
                next: i + 1,
            });
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(Line {
            start,
            end: text.len(),
            next: text.len(),
        });
    }
    out
}

const STREAM_INF: &str = "#EXT-X-STREAM-INF:";
const I_FRAME_STREAM_INF: &str = "#EXT-X-I-FRAME-STREAM-INF:";

/// Filters the playlist `text` (its BOM, if any, already skipped: `bom` bytes precede it).
#[cfg_attr(feature = "fast-manifests", inline(always))]
pub(super) fn filter(source: &str, bom: usize, cap: Option<Quality>) -> Result<Cuts, Error> {
    let text = source.get(bom..).unwrap_or_default();
    let all = lines(text);
    let line_text = |l: &Line| text.get(l.start..l.end).unwrap_or_default();
    if all.first().map(line_text) != Some("#EXTM3U") {
        return Err(invalid(
            1,
            "the first line must be #EXTM3U (RFC 8216 section 4.3.1.1)",
        ));
    }
    let mut dropped: Vec<(usize, usize)> = Vec::new(); // byte ranges of `text`
    let (mut kept, mut removed) = (0u32, 0u32);
    let mut i = 0;
    while let Some(line) = all.get(i) {
        // Leading blanks do not hide a tag: hls.js finds `#EXT-X-STREAM-INF:` anywhere on a
        // line, so a variant the player would see must be one the filter sees.
        let content = line_text(line).trim_ascii_start();
        let number = i + 1;
        if let Some(attributes) = content.strip_prefix(STREAM_INF) {
            // The URI is the next line that is neither blank nor a comment; a tag first is an error.
            let mut j = i + 1;
            loop {
                match all.get(j).map(line_text) {
                    None => {
                        return Err(invalid(number, "EXT-X-STREAM-INF has no URI line after it"));
                    }
                    Some(next) if next.trim_ascii_start().starts_with("#EXT") => {
                        return Err(invalid(
                            number,
                            "EXT-X-STREAM-INF is followed by a tag, not by its URI",
                        ));
                    }
                    Some(next) if next.trim_ascii().is_empty() || next.starts_with('#') => j += 1,
                    Some(_) => break,
                }
            }
            let variant = Variant::read(attributes, number)?;
            if variant.video {
                if variant.allowed(cap) {
                    kept += 1;
                } else {
                    removed += 1;
                    let last = all.get(j).map_or(text.len(), |l| l.next);
                    dropped.push((line.start, last));
                }
            }
            i = j + 1;
            continue;
        }
        if let Some(attributes) = content.strip_prefix(I_FRAME_STREAM_INF) {
            let variant = Variant::read(attributes, number)?;
            if variant.video && !variant.allowed(cap) {
                dropped.push((line.start, line.next));
            }
        }
        i += 1;
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

/// What the filter needs of a variant's attribute list.
struct Variant {
    video: bool,
    /// The quality of its `RESOLUTION`, if it has one.
    quality: Option<Quality>,
}

impl Variant {
    #[cfg_attr(feature = "fast-manifests", inline(always))]
    fn read(attributes: &str, line: usize) -> Result<Variant, Error> {
        let mut codecs = None;
        let mut quality = None;
        for (name, value) in attribute_list(attributes) {
            match name {
                "CODECS" => codecs = Some(unquoted(value)),
                "RESOLUTION" => {
                    let x = value.bytes().position(|b| b == b'x');
                    let size = x
                        .and_then(|x| {
                            Some((decimal(value.get(..x)?)?, decimal(value.get(x + 1..)?)?))
                        })
                        .ok_or_else(|| {
                            invalid(
                                line,
                                "RESOLUTION is not a decimal-resolution such as 1920x1080",
                            )
                        })?;
                    quality = Some(Quality::of_picture(size.0, size.1));
                }
                _ => {}
            }
        }
        let video = !codecs.is_some_and(audio_or_text_only);
        Ok(Variant { video, quality })
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

/// `NAME=VALUE` pairs of an attribute list (section 4.2); a quoted value may hold commas.
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn attribute_list(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let eq = rest.bytes().position(|b| b == b'=')?;
        let name = rest.get(..eq)?.trim_ascii();
        let after = rest.get(eq + 1..)?;
        let end = if after.starts_with('"') {
            after
                .bytes()
                .skip(1)
                .position(|b| b == b'"')
                .map_or(after.len(), |q| q + 2)
        } else {
            after.bytes().position(|b| b == b',').unwrap_or(after.len())
        };
        let value = after.get(..end).unwrap_or(after);
        rest = after.get(end..).unwrap_or_default();
        rest = rest.strip_prefix(',').unwrap_or(rest);
        Some((name, value))
    })
}

/// A quoted-string's text (section 4.2), or the value as it is.
fn unquoted(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}
