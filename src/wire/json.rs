//! A small strict JSON reader (RFC 8259) for policies, documents and requests.
//!
//! Why not serde_json: in the wasm build, serde_json with serde's derives and error
//! formatting (which drags in float printing) measured 40 KB of the module's 80 KB gzipped;
//! this reader is a few KB. It reads straight into the target types, names the field in every
//! error, never recurses deeper than [`MAX_DEPTH`], and reads numbers as whole integers only
//! (epoch milliseconds: a fraction or exponent is an error, not a silent rounding).

use std::borrow::Cow;

use crate::wire::time::{self, Millis};

/// The most items any one list may hold (`allowed_content`, claims, regions, licenses...).
pub const MAX_LIST_ITEMS: usize = 65_536;

/// The largest JSON text (policy, document, request extras) accepted, in bytes.
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// The deepest nesting of arrays and objects accepted (skipped unknown values included).
pub const MAX_DEPTH: u32 = 64;

/// What went wrong, and where: the field path and a byte offset into the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// The field path, e.g. `claimSets[2].claims[0]` (empty at the top level).
    pub path: String,
    /// What was expected or found.
    pub message: String,
    /// Byte offset.
    pub at: usize,
}

impl JsonError {
    /// An error at byte `at`.
    pub fn at(at: usize, message: impl Into<String>) -> JsonError {
        JsonError {
            path: String::new(),
            message: message.into(),
            at,
        }
    }

    /// The same error inside field (or index) `segment`: `within("claims")` of an error at
    /// `[0]` is at `claims[0]`.
    #[must_use]
    pub fn within(mut self, segment: &str) -> JsonError {
        if !self.path.is_empty() && !self.path.starts_with('[') {
            self.path.insert(0, '.');
        }
        self.path.insert_str(0, segment);
        self
    }
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{} (at byte {})", self.message, self.at)
    }
}

/// A value's kind, seen before reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool,
    /// a number
    Number,
    /// a string
    String,
    /// `[...]`
    Array,
    /// `{...}`
    Object,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool => "a boolean",
            Self::Number => "a number",
            Self::String => "a string",
            Self::Array => "a list",
            Self::Object => "an object",
        }
    }
}

/// A pull reader over one JSON text.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
}

/// A result of reading JSON.
pub type Result<T> = std::result::Result<T, JsonError>;

impl<'a> Reader<'a> {
    /// A reader over `text`.
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            depth: 0,
        }
    }

    /// The current byte offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<String>) -> JsonError {
        JsonError::at(self.pos, message)
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The kind of the next value.
    #[inline(never)]
    pub fn peek(&mut self) -> Result<Kind> {
        self.skip_ws();
        match self.byte() {
            Some(b'n') => Ok(Kind::Null),
            Some(b't' | b'f') => Ok(Kind::Bool),
            Some(b'-' | b'0'..=b'9') => Ok(Kind::Number),
            Some(b'"') => Ok(Kind::String),
            Some(b'[') => Ok(Kind::Array),
            Some(b'{') => Ok(Kind::Object),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of JSON")),
        }
    }

    /// An error saying what was expected and what kind of value is there.
    #[inline(never)]
    pub fn unexpected(&mut self, expected: &str) -> JsonError {
        match self.peek() {
            Ok(kind) => self.error(format!("expected {expected}, found {}", kind.name())),
            Err(e) => e,
        }
    }

    #[inline(never)]
    fn literal(&mut self, word: &str) -> Result<()> {
        if self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// Consumes `null` if it is next; `null` means "absent" for every optional field.
    #[inline(never)]
    pub fn null(&mut self) -> Result<bool> {
        if self.peek()? == Kind::Null {
            self.literal("null")?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Reads a boolean.
    #[inline(never)]
    pub fn bool(&mut self) -> Result<bool> {
        match self.peek()? {
            Kind::Bool if self.byte() == Some(b't') => self.literal("true").map(|()| true),
            Kind::Bool => self.literal("false").map(|()| false),
            _ => Err(self.unexpected("a boolean")),
        }
    }

    /// Reads a whole number within ±2^53 (a fraction or exponent is an error).
    #[inline(never)]
    pub fn integer(&mut self) -> Result<i64> {
        if self.peek()? != Kind::Number {
            return Err(self.unexpected("a number"));
        }
        let start = self.pos;
        if self.byte() == Some(b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.byte().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits = self.text.get(digits_start..self.pos).unwrap_or("");
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return Err(JsonError::at(start, "invalid number"));
        }
        if matches!(self.byte(), Some(b'.' | b'e' | b'E')) {
            return Err(JsonError::at(
                start,
                "expected a whole number (no fraction or exponent)",
            ));
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        match super::signed_decimal(text) {
            Some(v) if v.unsigned_abs() <= 1 << 53 => Ok(v),
            _ => Err(JsonError::at(start, "number out of range")),
        }
    }

    /// Reads a string (borrowed when it has no escapes).
    #[inline(never)]
    pub fn string(&mut self) -> Result<Cow<'a, str>> {
        if self.peek()? != Kind::String {
            return Err(self.unexpected("a string"));
        }
        self.pos += 1;
        let start = self.pos;
        let bytes = self.text.as_bytes();
        // Fast path: no escapes.
        while let Some(&b) = bytes.get(self.pos) {
            match b {
                b'"' => {
                    let s = self.text.get(start..self.pos).unwrap_or("");
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                b'\\' => break,
                0..=0x1f => return Err(self.error("control character in string")),
                _ => self.pos += 1,
            }
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or(""));
        loop {
            let Some(&b) = bytes.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = match self.byte() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                0..=0x1f => return Err(self.error("control character in string")),
                _ => {
                    // Copy one UTF-8 character (the text is a valid &str).
                    let rest = self.text.get(self.pos..).unwrap_or("");
                    let Some(c) = rest.chars().next() else {
                        return Err(self.error("unterminated string"));
                    };
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    #[inline(never)]
    fn hex4(&mut self) -> Result<u32> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let v = u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid \\u escape"))?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid \\u escape"));
        }
        self.pos += 4;
        Ok(v)
    }

    #[inline(never)]
    fn unicode_escape(&mut self) -> Result<char> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if self.text.get(self.pos..self.pos + 2) != Some("\\u") {
                return Err(self.error("lone surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("lone surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("lone surrogate in \\u escape"))
    }

    #[inline(never)]
    fn enter(&mut self, open: u8, expected: &str) -> Result<()> {
        self.skip_ws();
        if self.byte() != Some(open) {
            return Err(self.unexpected(expected));
        }
        if self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// Reads an array, calling `item` for each element with its index. At most
    /// [`MAX_LIST_ITEMS`] elements.
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> Result<()>) -> Result<()> {
        self.array_dyn(&mut item)
    }

    // One copy of the loop for every caller: the closures differ, the loop does not.
    #[inline(never)]
    fn array_dyn(&mut self, item: &mut dyn FnMut(&mut Self, usize) -> Result<()>) -> Result<()> {
        self.enter(b'[', "a list")?;
        self.skip_ws();
        if self.byte() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        let mut index = 0;
        loop {
            if index == MAX_LIST_ITEMS {
                return Err(self.error(format!("more than {MAX_LIST_ITEMS} items")));
            }
            item(self, index)?;
            index += 1;
            self.skip_ws();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// Reads an object, calling `member` with each key; `member` must consume the value.
    pub fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    ) -> Result<()> {
        self.object_dyn(&mut member)
    }

    #[inline(never)]
    fn object_dyn(
        &mut self,
        member: &mut dyn FnMut(&mut Self, Cow<'a, str>) -> Result<()>,
    ) -> Result<()> {
        self.enter(b'{', "an object")?;
        self.skip_ws();
        if self.byte() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.byte() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.byte() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            member(self, key)?;
            self.skip_ws();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// Skips one value of any kind (an unknown field), checking it is well-formed.
    #[inline(never)]
    pub fn skip(&mut self) -> Result<()> {
        match self.peek()? {
            Kind::Null => self.literal("null"),
            Kind::Bool => self.bool().map(drop),
            Kind::String => self.string().map(drop),
            Kind::Array => self.array(|r, _| r.skip()),
            Kind::Object => self.object(|r, _| r.skip()),
            Kind::Number => {
                let start = self.pos;
                if self.byte() == Some(b'-') {
                    self.pos += 1;
                }
                let mut seen_digit = false;
                while let Some(b) = self.byte() {
                    match b {
                        b'0'..=b'9' => seen_digit = true,
                        b'.' | b'e' | b'E' | b'+' | b'-' => {}
                        _ => break,
                    }
                    self.pos += 1;
                }
                if !seen_digit || !valid_number(self.text.get(start..self.pos).unwrap_or("")) {
                    return Err(JsonError::at(start, "invalid number"));
                }
                Ok(())
            }
        }
    }

    /// Checks nothing but whitespace follows the value.
    #[inline(never)]
    pub fn finish(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos != self.text.len() {
            return Err(self.error("unexpected text after the JSON value"));
        }
        Ok(())
    }

    /// Reads a string, or a list of strings.
    #[inline(never)]
    pub fn string_or_list(&mut self) -> Result<Vec<String>> {
        match self.peek()? {
            Kind::String => Ok(vec![self.string()?.into_owned()]),
            Kind::Array => self.string_list(),
            _ => Err(self.unexpected("a string or a list of strings")),
        }
    }

    /// Reads a list of strings.
    #[inline(never)]
    pub fn string_list(&mut self) -> Result<Vec<String>> {
        let mut items = Vec::new();
        self.array(|r, _| {
            items.push(r.string()?.into_owned());
            Ok(())
        })?;
        Ok(items)
    }

    /// Reads an instant: RFC 3339 text, or whole epoch milliseconds; `start`: a fraction below
    /// a millisecond rounded up (see [`time::parse_rfc3339_rounded`]), else down.
    #[inline(never)]
    pub fn time(&mut self, start: bool) -> Result<Millis> {
        match self.peek()? {
            Kind::String => {
                let at = self.pos;
                let text = self.string()?;
                time::parse_rfc3339_rounded(&text, start).ok_or_else(|| {
                    JsonError::at(at, format!("\"{text}\" is not an RFC 3339 date-time"))
                })
            }
            Kind::Number => {
                let at = self.pos;
                let ms = self.integer()?;
                if ms.abs() > time::MAX_ABS_MILLIS {
                    return Err(JsonError::at(at, "epoch milliseconds out of range"));
                }
                Ok(ms)
            }
            _ => Err(self.unexpected("an RFC 3339 date-time or epoch milliseconds")),
        }
    }
}

/// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn valid_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Reads one whole JSON text with `read`, checking nothing follows it.
pub fn read_text<T>(text: &str, read: impl FnOnce(&mut Reader<'_>) -> Result<T>) -> Result<T> {
    let mut reader = Reader::new(text);
    let value = read(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// Writes `s` as a JSON string literal.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_all(text: &str) -> Result<()> {
        read_text(text, |r| r.skip())
    }

    #[test]
    fn accepts_rfc8259_values() {
        for ok in [
            "null",
            "true",
            " false ",
            "0",
            "-0",
            "12.5e-3",
            "1E+2",
            r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
            "[]",
            "[1, [2, {}], {\"a\": [null]}]",
            "{\"k\": \"v\", \"n\": -1}",
        ] {
            assert_eq!(skip_all(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_what_rfc8259_rejects() {
        for bad in [
            "",
            "nul",
            "tru",
            "01",
            "1.",
            ".5",
            "1e",
            "+1",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{a: 1}",
            "{\"a\":1,}",
            "\"unterminated",
            "\"\u{1}\"",
            r#""\x""#,
            r#""\ud800""#,
            r#""\udc00""#,
            "[] []",
            "'a'",
            "NaN",
        ] {
            assert!(skip_all(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decodes_escapes() {
        let s = read_text(r#""caf\u00e9 \ud83d\ude00 \"q\"""#, |r| {
            r.string().map(Cow::into_owned)
        })
        .unwrap();
        assert_eq!(s, "café 😀 \"q\"");
        let mut reader = Reader::new(r#""plain""#);
        assert!(matches!(reader.string().unwrap(), Cow::Borrowed("plain")));
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(100) + &"]".repeat(100);
        let err = skip_all(&deep).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{err:?}");
        let ok = "[".repeat(64) + &"]".repeat(64);
        assert_eq!(skip_all(&ok), Ok(()));
    }

    #[test]
    fn integers_are_whole_and_bounded() {
        assert_eq!(
            read_text("1735689599000", |r| r.integer()),
            Ok(1_735_689_599_000)
        );
        assert_eq!(read_text("-5", |r| r.integer()), Ok(-5));
        assert!(read_text("1.5", |r| r.integer()).is_err());
        assert!(read_text("1e3", |r| r.integer()).is_err());
        assert!(read_text("99999999999999999999", |r| r.integer()).is_err());
    }
}
