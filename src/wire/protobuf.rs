//! The protobuf wire format (varints and length-delimited fields), just enough to read and
//! write Momento's `Permissions` message (see `token/momento/scope/protobuf.rs` for the schema).
//!
//! Why not prost: with prost's derived messages (and the `bytes` crate it needs) the player
//! module was 17 KB larger raw; this reader is under 2 KB. Unknown fields are skipped, as
//! proto3 requires; groups (wire types 3 and 4) are rejected.

/// A field's value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 2: bytes, a string or an embedded message.
    Bytes(&'a [u8]),
    /// Wire types 1 and 5 (fixed 64 and 32 bits), which the schema does not use.
    Fixed,
}

/// Reads the fields of one message, in order.
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The fields of the message encoded in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Fields<'a> {
        Fields { rest: bytes }
    }

    fn varint(&mut self) -> Result<u64, &'static str> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let (&byte, rest) = self.rest.split_first().ok_or("truncated varint")?;
            self.rest = rest;
            if shift == 63 && byte > 1 {
                return Err("varint overflows 64 bits");
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes")
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let (head, rest) = self.rest.split_at_checked(n).ok_or("truncated field")?;
        self.rest = rest;
        Ok(head)
    }
}

impl<'a> Iterator for Fields<'a> {
    /// `(field number, value)`.
    type Item = Result<(u32, Value<'a>), &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = (|| {
            let key = self.varint()?;
            let number = u32::try_from(key >> 3).map_err(|_| "field number out of range")?;
            if number == 0 {
                return Err("field number 0");
            }
            let value = match key & 7 {
                0 => Value::Varint(self.varint()?),
                1 => self.take(8).map(|_| Value::Fixed)?,
                2 => {
                    let len = usize::try_from(self.varint()?).map_err(|_| "length out of range")?;
                    Value::Bytes(self.take(len)?)
                }
                5 => self.take(4).map(|_| Value::Fixed)?,
                _ => return Err("unsupported wire type (groups are not used by this schema)"),
            };
            Ok((number, value))
        })();
        if field.is_err() {
            self.rest = &[]; // stop after the first error
        }
        Some(field)
    }
}

/// Appends a varint.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a varint field.
pub fn put_varint_field(out: &mut Vec<u8>, number: u32, value: u64) {
    put_varint(out, u64::from(number) << 3);
    put_varint(out, value);
}

/// Appends a length-delimited field.
pub fn put_bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_varint(out, (u64::from(number) << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        // protobuf encoding guide: 150 -> 96 01; 300 -> ac 02.
        let mut out = Vec::new();
        put_varint(&mut out, 150);
        assert_eq!(out, [0x96, 0x01]);
        out.clear();
        put_varint_field(&mut out, 1, 300);
        assert_eq!(out, [0x08, 0xac, 0x02]);
        let fields: Vec<_> = Fields::new(&out).collect();
        assert_eq!(fields, [Ok((1, Value::Varint(300)))]);
        for v in [0, 1, 127, 128, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint_field(&mut out, 7, v);
            assert_eq!(Fields::new(&out).next(), Some(Ok((7, Value::Varint(v)))));
        }
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in [
            &[0x08][..],
            &[0x0a, 0x05, 0x01],
            &[0x0b],
            &[0x00, 0x00],
            &[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
        ] {
            assert!(Fields::new(bad).any(|f| f.is_err()), "{bad:x?}");
        }
        // Unknown fields of every supported wire type are skipped.
        let skipped: Vec<_> =
            Fields::new(&[0x0d, 1, 2, 3, 4, 0x11, 1, 2, 3, 4, 5, 6, 7, 8]).collect();
        assert_eq!(skipped, [Ok((1, Value::Fixed)), Ok((2, Value::Fixed))]);
    }
}
