//! Variable-length unsigned and signed integers (vuints), as used in `.mpy` files and in
//! bytecode operands.
//!
//! Corresponds to `mp_encode_uint` / `mp_decode_uint` in MicroPython's `py/bc.c`, the
//! signed operand encoding of `emit_write_bytecode_byte_int` in `py/emitbc.c`, and
//! `read_uint` in `py/persistentcode.c`.
//!
//! Encoding: 7 bits per byte, most-significant group first; every byte but the last has
//! the top bit (0x80) set. The signed variant is the same layout holding a two's
//! complement number: bit 6 of the first byte is the sign, and an extra leading group is
//! added when needed so that this bit matches the sign.
//!
//! Differences from MicroPython: decoding is bounds-checked and rejects values that do not
//! fit in 64 bits (MicroPython silently truncates to the machine word).

use core::fmt;

/// Longest encoding of a `u64` (or `i64` in the signed variant): 10 groups of 7 bits.
pub const MAX_LEN: usize = 10;

/// Why a vuint could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VuintError {
    /// The input ended before the last byte (one without the 0x80 bit).
    Truncated,
    /// The value does not fit in 64 bits.
    Overflow,
}

impl fmt::Display for VuintError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VuintError::Truncated => f.write_str("truncated variable-length integer"),
            VuintError::Overflow => f.write_str("variable-length integer does not fit in 64 bits"),
        }
    }
}

/// Number of bytes [`encode`] writes for `v`.
#[inline]
pub const fn encoded_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    if bits == 0 {
        1
    } else {
        bits.div_ceil(7)
    }
}

/// Encode `v` into `buf`, returning the used tail of `buf`.
pub fn encode(v: u64, buf: &mut [u8; MAX_LEN]) -> &[u8] {
    let mut v = v;
    let mut start = MAX_LEN - 1;
    buf[start] = (v & 0x7f) as u8;
    v >>= 7;
    while v != 0 {
        start -= 1;
        buf[start] = 0x80 | (v & 0x7f) as u8;
        v >>= 7;
    }
    &buf[start..]
}

/// Encode `v`, passing each byte to `out` in order.
pub fn encode_with(v: u64, mut out: impl FnMut(u8)) {
    let mut buf = [0; MAX_LEN];
    for &b in encode(v, &mut buf) {
        out(b);
    }
}

/// Decode a vuint from the start of `data`, returning the value and the bytes consumed.
pub fn decode(data: &[u8]) -> Result<(u64, usize), VuintError> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().enumerate() {
        if value >> 57 != 0 {
            return Err(VuintError::Overflow);
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(VuintError::Truncated)
}

/// Number of bytes [`encode_signed`] writes for `v`.
#[inline]
pub const fn encoded_len_signed(v: i64) -> usize {
    // Bits needed for a two's complement number including its sign bit.
    let magnitude_bits = if v < 0 {
        64 - (!v).leading_zeros() as usize
    } else {
        64 - v.leading_zeros() as usize
    };
    (magnitude_bits + 1).div_ceil(7)
}

/// Encode `v` in the signed variant into `buf`, returning the used tail of `buf`.
///
/// This produces the same bytes as MicroPython's compiler writes for the operand of
/// `LOAD_CONST_SMALL_INT`.
pub fn encode_signed(v: i64, buf: &mut [u8; MAX_LEN]) -> &[u8] {
    let len = encoded_len_signed(v);
    let start = MAX_LEN - len;
    for i in 0..len {
        let shift = 7 * (len - 1 - i);
        // Arithmetic shift keeps the sign; shifts of 63 stay in range.
        let group = (v >> shift.min(63)) as u8 & 0x7f;
        let cont = if i + 1 < len { 0x80 } else { 0 };
        buf[start + i] = group | cont;
    }
    &buf[start..]
}

/// Encode `v` in the signed variant, passing each byte to `out` in order.
pub fn encode_signed_with(v: i64, mut out: impl FnMut(u8)) {
    let mut buf = [0; MAX_LEN];
    for &b in encode_signed(v, &mut buf) {
        out(b);
    }
}

/// Decode a signed vuint from the start of `data`, returning the value and the bytes
/// consumed.
pub fn decode_signed(data: &[u8]) -> Result<(i64, usize), VuintError> {
    let first = *data.first().ok_or(VuintError::Truncated)?;
    let mut value: i64 = i64::from(first & 0x7f);
    if first & 0x40 != 0 {
        value |= -1i64 << 7;
    }
    if first & 0x80 == 0 {
        return Ok((value, 1));
    }
    for (i, &b) in data.iter().enumerate().skip(1) {
        // The top 8 bits must be a pure sign extension before shifting by 7.
        let top = value >> 56;
        if top != 0 && top != -1 {
            return Err(VuintError::Overflow);
        }
        value = (value << 7) | i64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(VuintError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let mut buf = [0; MAX_LEN];
        assert_eq!(encode(0, &mut buf), &[0x00]);
        assert_eq!(encode(127, &mut buf), &[0x7f]);
        assert_eq!(encode(128, &mut buf), &[0x81, 0x00]);
        assert_eq!(encode(257, &mut buf), &[0x82, 0x01]);
        assert_eq!(encode(u64::MAX, &mut buf).len(), 10);
        // Operands seen in mpy-cross output.
        assert_eq!(encode_signed(-17, &mut buf), &[0x6f]);
        assert_eq!(encode_signed(100000, &mut buf), &[0x86, 0x8d, 0x20]);
        assert_eq!(encode_signed(64, &mut buf), &[0x80, 0x40]);
        assert_eq!(encode_signed(-65, &mut buf), &[0xff, 0x3f]);
        assert_eq!(encode_signed(63, &mut buf), &[0x3f]);
        assert_eq!(encode_signed(-64, &mut buf), &[0x40]);
        assert_eq!(encode_signed(i64::MIN, &mut buf).len(), 10);
    }

    #[test]
    fn decode_errors() {
        assert_eq!(decode(&[]), Err(VuintError::Truncated));
        assert_eq!(decode(&[0x80, 0x80]), Err(VuintError::Truncated));
        assert_eq!(decode(&[0xff; 11]), Err(VuintError::Overflow));
        assert_eq!(
            decode(&[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
            Ok((u64::MAX, 10))
        );
        assert_eq!(
            decode(&[0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]),
            Err(VuintError::Overflow)
        );
        assert_eq!(decode_signed(&[]), Err(VuintError::Truncated));
        assert_eq!(decode_signed(&[0xc0]), Err(VuintError::Truncated));
        assert_eq!(decode_signed(&[0x80; 20]), Err(VuintError::Truncated));
        assert_eq!(decode_signed(&[0xbf; 20]), Err(VuintError::Overflow));
    }

    proptest! {
        #[test]
        fn unsigned_round_trip(v: u64, tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut buf = [0; MAX_LEN];
            let enc = encode(v, &mut buf);
            prop_assert_eq!(enc.len(), encoded_len(v));
            let mut data = std::vec::Vec::from(enc);
            data.extend_from_slice(&tail);
            prop_assert_eq!(decode(&data), Ok((v, enc.len())));
            let mut streamed = std::vec::Vec::new();
            encode_with(v, |b| streamed.push(b));
            prop_assert_eq!(&streamed[..], enc);
        }

        #[test]
        fn signed_round_trip(v: i64, tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut buf = [0; MAX_LEN];
            let enc = encode_signed(v, &mut buf);
            prop_assert_eq!(enc.len(), encoded_len_signed(v));
            // The sign bit of the first group matches the sign, and the encoding is minimal.
            prop_assert_eq!(enc[0] & 0x40 != 0, v < 0);
            if enc.len() > 1 {
                let redundant = (enc[0] & 0x7f == 0 && enc[1] & 0x40 == 0)
                    || (enc[0] & 0x7f == 0x7f && enc[1] & 0x40 != 0);
                prop_assert!(!redundant);
            }
            let mut data = std::vec::Vec::from(enc);
            data.extend_from_slice(&tail);
            prop_assert_eq!(decode_signed(&data), Ok((v, enc.len())));
        }

        #[test]
        fn small_signed_matches_micropython_reference(v in -100_000i64..100_000) {
            // Reference: the algorithm of emit_write_bytecode_byte_int, restated.
            let mut groups = std::vec::Vec::new();
            let mut n = v;
            loop {
                groups.push((n & 0x7f) as u8);
                n >>= 7;
                if n == 0 || n == -1 { break; }
            }
            let top = *groups.last().unwrap();
            if n == -1 && top & 0x40 == 0 { groups.push(0x7f); }
            if n == 0 && top & 0x40 != 0 { groups.push(0); }
            groups.reverse();
            let last = groups.len() - 1;
            for g in &mut groups[..last] { *g |= 0x80; }
            let mut buf = [0; MAX_LEN];
            prop_assert_eq!(encode_signed(v, &mut buf), &groups[..]);
        }

        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = decode(&data);
            let _ = decode_signed(&data);
        }
    }
}
