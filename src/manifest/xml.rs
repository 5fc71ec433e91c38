//! Just enough of XML 1.0 to cut elements out of an MPD: tags with their byte positions, the
//! attributes of start tags, and the well-formedness an MPD reader relies on (tags nest and
//! match, attribute values are quoted, comments, CDATA sections, the XML declaration). A
//! DOCTYPE, another declaration, or a processing instruction inside the document is refused:
//! an MPD has none, and players read them differently. Character data is skipped unread;
//! entities are not expanded (MPD attribute values that matter here hold none), so nothing can
//! expand a document.
//!
//! Why not quick-xml (0.38.4, the last release for our rust-version): the DASH filter on it
//! cost the player module 9.0 KB gzipped (6 KB with none of its error messages), against the
//! 5.4 KB the whole manifest room may take of the budget (ARCHITECTURE.md).

/// A tag: where it starts (`<`) and ends (after `>`), and what it is.
pub(super) struct Tag<'a> {
    pub start: usize,
    pub end: usize,
    pub name: &'a str,
    pub kind: Kind<'a>,
}

pub(super) enum Kind<'a> {
    /// A start tag (`empty`: self-closing) and its attributes' text.
    Start { attributes: &'a str, empty: bool },
    /// An end tag.
    End,
}

/// Why the document is not well-formed, at which byte, and in which element's tag (empty
/// when the tag has no name yet).
pub(super) struct Malformed<'a> {
    pub at: usize,
    pub element: &'a str,
    pub message: &'static str,
}

/// The tags of `text`, in order, each checked as it is read; the caller matches end tags.
pub(super) struct Tags<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Tags<'a> {
    pub fn new(text: &'a str) -> Self {
        Tags { text, at: 0 }
    }

    /// The next tag, `None` at the end of the text.
    #[cfg_attr(feature = "fast-manifests", inline(always))]
    pub fn next_tag(&mut self) -> Result<Option<Tag<'a>>, Malformed<'a>> {
        let text = self.text;
        loop {
            let Some(offset) = text.get(self.at..).and_then(|rest| rest.find('<')) else {
                self.at = text.len();
                return Ok(None);
            };
            let start = self.at + offset;
            let rest = text.get(start..).unwrap_or_default();
            let skip = |end: &str, message| match find(rest.as_bytes(), end.as_bytes()) {
                Some(i) => Ok(start + i + end.len()),
                None => Err(Malformed {
                    at: start,
                    element: "",
                    message,
                }),
            };
            if rest.starts_with("<!--") {
                self.at = skip("-->", "a comment is never closed")?;
            } else if rest.starts_with("<![CDATA[") {
                self.at = skip("]]>", "a CDATA section is never closed")?;
            } else if rest.starts_with("<?") {
                // Only the XML declaration, at the very start (XML 1.0 puts it there), holding
                // no `<`: Shaka's reader takes a `<?x >` inside the document for an element and
                // reads on into what this reader would skip.
                let end = skip("?>", "a processing instruction is never closed")?;
                let body = text.get(start + 2..end).unwrap_or_default();
                if start != 0 || body.contains('<') {
                    return Err(Malformed {
                        at: start,
                        element: "",
                        message: "a DOCTYPE, declaration or processing instruction inside",
                    });
                }
                self.at = end;
            } else if rest.starts_with("<!") {
                // A DOCTYPE or another declaration: an MPD has none, and players read them
                // differently (an internal subset, entities), so none is read here.
                return Err(Malformed {
                    at: start,
                    element: "",
                    message: "a DOCTYPE, declaration or processing instruction inside",
                });
            } else {
                let tag = tag(rest, start)?;
                self.at = tag.end;
                return Ok(Some(tag));
            }
        }
    }
}

/// Where `needle` first occurs in `haystack`. (Not `str::find`: its substring searcher and the
/// panic path it brings cost the player module 5 KB, measured.)
#[inline(never)]
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where a name ends (at ASCII bytes only, so always at a character boundary).
fn name_end(text: &str) -> usize {
    text.bytes()
        .position(|b| {
            b.is_ascii_whitespace() || matches!(b, b'/' | b'>' | b'=' | b'<' | b'"' | b'\'')
        })
        .unwrap_or(text.len())
}

/// Reads the tag at the start of `rest` (which begins with `<`), `start` bytes into the text.
#[cfg_attr(feature = "fast-manifests", inline(always))]
fn tag(rest: &str, start: usize) -> Result<Tag<'_>, Malformed<'_>> {
    let closing = rest.starts_with("</");
    let from = 1 + usize::from(closing);
    let after = rest.get(from..).unwrap_or_default();
    let name = after.get(..name_end(after)).unwrap_or_default();
    let bad = |message| Malformed {
        at: start,
        element: name,
        message,
    };
    // The tag ends at the first `>` outside quotes; a `<` before it is an error.
    let mut quote = 0u8;
    let mut close = None;
    for (i, &b) in rest.as_bytes().iter().enumerate().skip(from + name.len()) {
        match b {
            b'<' => break,
            _ if quote != 0 => quote = if b == quote { 0 } else { quote },
            b'"' | b'\'' => quote = b,
            b'>' => {
                close = Some(i);
                break;
            }
            _ => {}
        }
    }
    let close = close.ok_or(bad("a tag is never closed"))?;
    if name.is_empty() {
        return Err(bad("a tag without a name"));
    }
    let inner = rest.get(from + name.len()..close).unwrap_or_default();
    let end = start + close + 1;
    if closing {
        if !inner.trim_ascii().is_empty() {
            return Err(bad("an end tag holds more than its name"));
        }
        return Ok(Tag {
            start,
            end,
            name,
            kind: Kind::End,
        });
    }
    let (attributes, empty) = match inner.strip_suffix('/') {
        Some(attributes) => (attributes, true),
        None => (inner, false),
    };
    // Each attribute is `name="value"` (or 'value') after white space.
    let mut rest = attributes;
    loop {
        let trimmed = rest.trim_ascii_start();
        if trimmed.is_empty() {
            return Ok(Tag {
                start,
                end,
                name,
                kind: Kind::Start { attributes, empty },
            });
        }
        if trimmed.len() == rest.len() {
            return Err(bad("attributes must be separated by white space"));
        }
        rest = pair(trimmed)
            .ok_or(bad("an attribute must be name=\"value\", quoted"))?
            .2;
    }
}

/// `name="value"` (or 'value', white space around `=`) at the start of `text`: the name, the
/// value and what follows. A name starts with an ASCII letter: Shaka's and dash.js's readers
/// skip what comes before one, so to them `_width` is `width` (XML allows `_` and `:` there;
/// no MPD attribute starts so).
fn pair(text: &str) -> Option<(&str, &str, &str)> {
    let len = name_end(text);
    let name = text
        .get(..len)
        .filter(|n| n.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()))?;
    let after = text
        .get(len..)?
        .trim_ascii_start()
        .strip_prefix('=')?
        .trim_ascii_start();
    let quote = after.bytes().next().filter(|q| matches!(q, b'"' | b'\''))?;
    let body = after.get(1..)?;
    let close = body.bytes().position(|b| b == quote)?;
    Some((name, body.get(..close)?, body.get(close + 1..)?))
}

/// The `(name, value)` pairs of a start tag's attribute text (already checked by the reader).
pub(super) fn attributes(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let (name, value, after) = pair(rest.trim_ascii_start())?;
        rest = after;
        Some((name, value))
    })
}

/// A name without its namespace prefix.
pub(super) fn local(name: &str) -> &str {
    let from = name.bytes().rposition(|b| b == b':').map_or(0, |i| i + 1);
    name.get(from..).unwrap_or(name)
}
