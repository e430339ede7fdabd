//! MQTT's basic encodings: two- and four-byte integers, variable byte integers and
//! length-prefixed strings and binary data.

/// The largest variable byte integer (a packet's remaining length, a property length).
pub const MAX_VARINT: usize = 268_435_455;

/// Reads MQTT's encodings from a slice, failing (never panicking) when it runs short.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// True when everything was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// How many bytes are left.
    pub fn remaining(&self) -> usize {
        self.data.len()
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.data.len() {
            return Err(format!(
                "the packet ends early ({n} bytes wanted, {} left)",
                self.data.len()
            ));
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian two-byte integer.
    pub fn u16(&mut self) -> Result<u16, String> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    /// A big-endian four-byte integer.
    pub fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A variable byte integer (at most four bytes).
    pub fn varint(&mut self) -> Result<u32, String> {
        let mut value = 0u32;
        for shift in 0..4 {
            let byte = self.u8()?;
            value |= u32::from(byte & 0x7F) << (7 * shift);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a variable byte integer longer than four bytes".to_owned())
    }

    /// Length-prefixed binary data.
    pub fn binary(&mut self) -> Result<&'a [u8], String> {
        let length = self.u16()?;
        self.take(usize::from(length))
    }

    /// A length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<String, String> {
        let bytes = self.binary()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| "a string that is not UTF-8".to_owned())
    }
}

/// Writes a variable byte integer.
pub fn put_varint(out: &mut Vec<u8>, mut value: usize) -> Result<(), String> {
    if value > MAX_VARINT {
        return Err(format!(
            "{value} bytes is more than MQTT can carry ({MAX_VARINT})"
        ));
    }
    loop {
        let mut byte = (value % 128) as u8;
        value /= 128;
        if value > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            return Ok(());
        }
    }
}

/// Writes length-prefixed binary data.
pub fn put_binary(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
    let length = u16::try_from(bytes.len()).map_err(|_| {
        format!(
            "{} bytes is too long for an MQTT string (65535)",
            bytes.len()
        )
    })?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Writes a length-prefixed UTF-8 string.
pub fn put_string(out: &mut Vec<u8>, text: &str) -> Result<(), String> {
    put_binary(out, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_byte_integers_round_trip_at_their_edges() {
        for value in [
            0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, MAX_VARINT,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value).unwrap();
            assert_eq!(Reader::new(&out).varint().unwrap() as usize, value);
        }
        assert!(put_varint(&mut Vec::new(), MAX_VARINT + 1).is_err());
        assert!(
            Reader::new(&[0xFF, 0xFF, 0xFF, 0xFF, 0x01])
                .varint()
                .is_err()
        );
        assert!(Reader::new(&[0x80]).varint().is_err());
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        assert!(Reader::new(&[0, 5, b'a']).string().is_err());
        assert!(Reader::new(&[1]).u16().is_err());
        assert!(Reader::new(&[0, 1, 0xFF]).string().is_err());
    }
}
