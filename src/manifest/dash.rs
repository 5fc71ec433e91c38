//! DASH MPDs (ISO/IEC 23009-1) capped to a quality: the video `Representation`s above the cap
//! go, and an `AdaptationSet` left with none goes with them; every other byte stays.
//!
//! Read with `xml.rs`, which gives each tag's byte position, so the output is the input with
//! whole elements cut out (with their lines, when an element stands on lines of its own). A
//! Representation is a child of an AdaptationSet (one elsewhere is any other element); its
//! attributes override its AdaptationSet's. Video is decided fail
//! closed: anything not known to be audio, text or images counts as video. Its size is the
//! shorter side of `width` x `height`; with one of the two, that one (never looser). Under a
//! cap, a video Representation without a size goes. Periods are filtered on their own: a
//! Period that had video and keeps none is `NOTHING_PLAYABLE`.

use super::xml::{attributes, find, local, Kind, Tags};
use super::{
    at_line, audio_or_text_only, decimal, line_at, nothing_playable, shifted, text_of, Cuts, Format,
};
use crate::error::{Error, ErrorCode};
use crate::quality::Quality;

/// What an AdaptationSet passes down to its Representations.
#[derive(Default, Clone, Copy)]
struct Traits<'a> {
    content_type: Option<&'a str>,
    mime: Option<&'a str>,
    codecs: Option<&'a str>,
    width: Option<u32>,
    height: Option<u32>,
}

impl<'a> Traits<'a> {
    /// Reads the attributes of element `name` (its tag starts at byte `at`); `inherited` fills
    /// the gaps.
    fn read(
        name: &str,
        raw: &'a str,
        text: &str,
        at: usize,
        inherited: &Traits<'a>,
    ) -> Result<Traits<'a>, Error> {
        let mut own = Traits::default();
        for (key, value) in attributes(raw) {
            let size = || {
                decimal(value).filter(|&n| n > 0).ok_or_else(|| {
                    invalid(
                        text,
                        at,
                        &text_of(&[
                            "<",
                            name,
                            ">: width and height must be whole numbers above 0",
                        ]),
                    )
                })
            };
            // Read as players read them: the last of an attribute named twice (the readers'
            // choice: XML allows none), and a type without a character reference (dash.js
            // expands `&#118;ideo/mp4` to video/mp4, which the filter would read as another).
            match key {
                "contentType" | "mimeType" | "codecs" if value.contains('&') => {
                    return Err(invalid(
                        text,
                        at,
                        &text_of(&["<", name, ">: a character reference in a type"]),
                    ))
                }
                "contentType" => own.content_type = Some(value),
                "mimeType" => own.mime = Some(value),
                "codecs" => own.codecs = Some(value),
                "width" => own.width = Some(size()?),
                "height" => own.height = Some(size()?),
                _ => {}
            }
        }
        Ok(Traits {
            // A set that says video makes its Representations video, whatever their own
            // `mimeType` says: Shaka types a Representation by its AdaptationSet.
            content_type: if inherited.says_video() {
                Some("video")
            } else {
                own.content_type.or(inherited.content_type)
            },
            mime: own.mime.or(inherited.mime),
            codecs: own.codecs.or(inherited.codecs),
            width: own.width.or(inherited.width),
            height: own.height.or(inherited.height),
        })
    }

    /// Whether a `contentType` or `mimeType` says video.
    fn says_video(&self) -> bool {
        self.content_type == Some("video") || self.mime.is_some_and(|m| m.starts_with("video/"))
    }

    /// Video unless known to be something else (fail closed): a `contentType` or `mimeType` that
    /// says video, here or on an element above, wins over any other that says not.
    fn video(&self) -> bool {
        if self.says_video() {
            return true;
        }
        let other_type = self
            .content_type
            .is_some_and(|t| matches!(t, "audio" | "text" | "image"));
        let other_mime = self.mime.is_some_and(|m| {
            ["audio/", "text/", "image/", "application/"]
                .iter()
                .any(|p| m.starts_with(p))
        });
        let other_codecs = self.content_type.is_none()
            && self.mime.is_none()
            && self.codecs.is_some_and(audio_or_text_only);
        !(other_type || other_mime || other_codecs)
    }

    /// Within the cap: uncapped, or sized at or below it.
    fn allowed(&self, cap: Option<Quality>) -> bool {
        let Some(cap) = cap else { return true };
        let quality = match (self.width, self.height) {
            (Some(w), Some(h)) => Quality::of_picture(w, h),
            // One side known: it bounds the shorter side from above, so this is never looser.
            (Some(side), None) | (None, Some(side)) => Quality::of_picture(side, side),
            (None, None) => return false,
        };
        quality <= cap
    }
}

/// The open Period: where it starts, its video Representations seen and kept.
type Period = (usize, u32, u32);

#[cfg_attr(feature = "fast-manifests", inline(always))]
pub(super) fn filter(source: &str, bom: usize, cap: Option<Quality>) -> Result<Cuts, Error> {
    let text = source.get(bom..).unwrap_or_default();
    let mut tags = Tags::new(text);
    // Open elements: name, start, and whether the element goes when it closes.
    let mut open: Vec<(&str, usize, bool)> = Vec::new();
    // Byte ranges to in order.
    let mut dropped: Vec<(usize, usize)> = Vec::new();
    let mut period: Option<Period> = None;
    // The open AdaptationSet: its start, traits, Representations, and where its cuts begin.
    let mut set: Option<(usize, Traits<'_>, u32, usize)> = None;
    let (mut kept, mut removed) = (0u32, 0u32);
    let mut root_seen = false;
    loop {
        let tag = match tags.next_tag() {
            Ok(Some(tag)) => tag,
            Ok(None) => break,
            Err(e) => {
                // "<Representation>: not well-formed XML: ...", or without a name.
                let mut message = String::new();
                if !e.element.is_empty() {
                    message = text_of(&["<", e.element, ">: "]);
                }
                message.push_str("not well-formed XML: ");
                message.push_str(e.message);
                return Err(invalid(text, e.at, &message));
            }
        };
        let (at, end, name) = (tag.start, tag.end, tag.name);
        let Kind::Start {
            attributes: raw,
            empty,
        } = tag.kind
        else {
            let Some((opened, start, drop)) = open.pop() else {
                return Err(invalid(
                    text,
                    at,
                    &text_of(&["not well-formed XML: </", name, "> closes nothing"]),
                ));
            };
            if opened != name {
                return Err(invalid(
                    text,
                    at,
                    &text_of(&["not well-formed XML: </", name, "> closes <", opened, ">"]),
                ));
            }
            if drop {
                dropped.push(lines_of(text, start, end));
            }
            match local(name) {
                "AdaptationSet" if set.is_some_and(|(s, ..)| s == start) => {
                    if let Some((_, _, representations, first)) = set.take() {
                        let cut = dropped.len().saturating_sub(first);
                        if representations > 0 && cut == representations as usize {
                            dropped.truncate(first);
                            dropped.push(lines_of(text, start, end));
                        }
                    }
                }
                "Period" => close_period(text, period.take())?,
                _ => {}
            }
            continue;
        };
        let mut drop = false;
        // Under a cap, what the filter cannot see is refused: a document that is not an MPD (an
        // MPD Patch adds Representations to one the player holds), and an element to be fetched
        // from elsewhere (`xlink:href`: Shaka and dash.js load remote Periods and AdaptationSets
        // and splice them in), unless it resolves to nothing. Any tag whose text holds `href` is
        // taken for one (fail closed: reading each attribute cost the module bytes), but a tag
        // whose one `href` is `href="urn:mpeg:dash:resolve-to-zero:2013"` (the URN elsewhere in
        // the tag, in another attribute's value, resolved nothing: Shaka fetched the href).
        let root = !root_seen;
        root_seen = true;
        let hidden = cap.is_some()
            && ((root && local(name) != "MPD") || (has(raw, "href") && !resolves_to_zero(raw)));
        if hidden {
            return Err(invalid(
                text,
                at,
                &text_of(&["<", name, ">: remote (xlink:href) or not an MPD"]),
            ));
        }
        match local(name) {
            "Period" => {
                close_period(text, period.take())?;
                period = Some((at, 0, 0));
            }
            "AdaptationSet" if set.is_none() => {
                let traits = Traits::read(name, raw, text, at, &Traits::default())?;
                set = Some((at, traits, 0, dropped.len()));
            }
            // Only a child of the AdaptationSet is a rendition (what players read, ISO/IEC
            // 23009-1 5.3.5); one nested deeper is any other element, and goes with its parent.
            "Representation"
                if set.is_some_and(|(s, ..)| {
                    open.last().is_some_and(|(_, parent, _)| *parent == s)
                }) =>
            {
                if let Some((_, inherited, representations, _)) = set.as_mut() {
                    let traits = Traits::read(name, raw, text, at, inherited)?;
                    *representations += 1;
                    if traits.video() {
                        let (_, video, kept_here) = period.get_or_insert((0, 0, 0));
                        *video += 1;
                        if traits.allowed(cap) {
                            *kept_here += 1;
                            kept += 1;
                        } else {
                            removed += 1;
                            drop = true;
                        }
                    }
                }
            }
            _ => {}
        }
        if !empty {
            open.push((name, at, drop));
        } else if drop {
            dropped.push(lines_of(text, at, end));
        }
        if empty && local(name) == "AdaptationSet" {
            set = set.filter(|(s, ..)| *s != at);
        }
    }
    if let Some((name, start, _)) = open.last() {
        return Err(invalid(
            text,
            *start,
            &text_of(&["not well-formed XML: <", name, "> is never closed"]),
        ));
    }
    close_period(text, period.take())?;
    Ok(Cuts {
        format: Format::Dash,
        dropped: shifted(dropped, bom),
        kept,
        removed,
    })
}

/// A Period that had video must keep some.
fn close_period(text: &str, period: Option<Period>) -> Result<(), Error> {
    match period {
        Some((start, video, 0)) if video > 0 => Err(nothing_playable(at_line(
            line_at(text.as_bytes(), start),
            "<Period>: none of its video Representations is within the cap",
        ))),
        _ => Ok(()),
    }
}

/// The byte range of an element from `start` (its `<`) to `end` (after its `>`), widened to
/// whole lines when nothing but white space shares them. Only the white space around the element
/// is read (a scan to the line's ends made a one-line MPD with many cuts quadratic).
fn lines_of(text: &str, start: usize, end: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let before = bytes.get(..start).unwrap_or_default();
    let line_start = match before.iter().rposition(|b| !matches!(b, b' ' | b'\t')) {
        None => Some(0),
        Some(i) if before.get(i) == Some(&b'\n') => Some(i + 1),
        Some(_) => None,
    };
    let after = bytes.get(end..).unwrap_or_default();
    let line_end = match after
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r'))
    {
        None => Some(text.len()),
        Some(i) if after.get(i) == Some(&b'\n') => Some(end + i + 1),
        Some(_) => None,
    };
    match (line_start, line_end) {
        (Some(from), Some(to)) => (from, to),
        _ => (start, end),
    }
}

#[inline(never)]
fn invalid(text: &str, at: usize, message: &str) -> Error {
    Error::new(
        ErrorCode::InvalidManifest,
        at_line(line_at(text.as_bytes(), at), message),
    )
}

/// Whether `needle` is in `haystack`.
fn has(haystack: &str, needle: &str) -> bool {
    find(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether a tag's text holds `href` once, as `href="urn:mpeg:dash:resolve-to-zero:2013"` (either
/// quote): an element that resolves to nothing (ISO/IEC 23009-1 5.5.3), which players drop.
fn resolves_to_zero(raw: &str) -> bool {
    const URN: &str = "urn:mpeg:dash:resolve-to-zero:2013";
    let Some(at) = find(raw.as_bytes(), b"href") else {
        return false;
    };
    let after = raw.get(at + 4..).unwrap_or_default();
    let once = find(after.as_bytes(), b"href").is_none();
    let value = after
        .strip_prefix("=\"")
        .and_then(|v| v.strip_prefix(URN))
        .is_some_and(|v| v.starts_with('"'))
        || after
            .strip_prefix("='")
            .and_then(|v| v.strip_prefix(URN))
            .is_some_and(|v| v.starts_with('\''));
    once && value
}
