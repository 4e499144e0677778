//! The bytecode function prelude: signature, size, and line-number info encodings.
//!
//! Corresponds to the `MP_BC_PRELUDE_SIG_*` and `MP_BC_PRELUDE_SIZE_*` macros and
//! `mp_bytecode_decode_lineinfo` in MicroPython's `py/bc.h` (the line-info writer is in
//! `py/emitbc.c`).
//!
//! A bytecode function's data starts with:
//! 1. the signature: `n_state`, `n_exc_stack`, `scope_flags`, `n_pos_args`,
//!    `n_kwonly_args`, `n_def_pos_args`, bit-interleaved (first byte `xSSSSEAA`, then
//!    `xFSSKAED` bytes, least-significant bits first; `S` stores `n_state - 1`);
//! 2. the size: `n_info` and `n_cell`, bit-interleaved as `xIIIIIIC` bytes;
//! 3. `n_info` bytes of source info: the function's name and argument names as qstr-index
//!    vuints, then the line-number table;
//! 4. `n_cell` bytes: local numbers of the cells to create;
//! 5. the opcodes.
//!
//! Differences from MicroPython: decoding is bounds-checked and rejects values above
//! `u32::MAX` instead of silently truncating.

use core::fmt;

/// `MP_SCOPE_FLAG_GENERATOR`.
pub const SCOPE_FLAG_GENERATOR: u32 = 0x01;
/// `MP_SCOPE_FLAG_VARKEYWORDS`.
pub const SCOPE_FLAG_VARKEYWORDS: u32 = 0x02;
/// `MP_SCOPE_FLAG_VARARGS`.
pub const SCOPE_FLAG_VARARGS: u32 = 0x04;
/// `MP_SCOPE_FLAG_DEFKWARGS`.
pub const SCOPE_FLAG_DEFKWARGS: u32 = 0x08;
/// `MP_SCOPE_FLAG_ALL_SIG`: the flags stored in the signature.
pub const SCOPE_FLAG_ALL_SIG: u32 = 0x0f;
/// `MP_SCOPE_FLAG_VIPERRELOC`: a viper function has relocations (native code only).
pub const SCOPE_FLAG_VIPERRELOC: u32 = 0x10;
/// `MP_SCOPE_FLAG_VIPERRODATA`: a viper function has rodata (native code only).
pub const SCOPE_FLAG_VIPERRODATA: u32 = 0x20;
/// `MP_SCOPE_FLAG_VIPERBSS`: a viper function has bss (native code only).
pub const SCOPE_FLAG_VIPERBSS: u32 = 0x40;

/// Longest signature encoding of `u32` fields: one byte for the first bits, then one byte
/// per remaining bit of the widest field.
pub const SIGNATURE_MAX_LEN: usize = 33;
/// Longest size encoding of `u32` fields (`n_cell` takes one bit per byte).
pub const SIZE_MAX_LEN: usize = 32;

/// Why a prelude field could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreludeError {
    /// The data ended inside the encoding.
    Truncated,
    /// A field does not fit in 32 bits.
    Overflow,
}

impl fmt::Display for PreludeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PreludeError::Truncated => f.write_str("truncated function prelude"),
            PreludeError::Overflow => f.write_str("function prelude field does not fit in 32 bits"),
        }
    }
}

/// The function signature at the start of a bytecode prelude.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Signature {
    /// Number of state slots (locals plus value stack), at least 1.
    pub n_state: u32,
    /// Number of exception-stack entries.
    pub n_exc_stack: u32,
    /// `MP_SCOPE_FLAG_*` bits within [`SCOPE_FLAG_ALL_SIG`].
    pub scope_flags: u32,
    /// Number of positional parameters.
    pub n_pos_args: u32,
    /// Number of keyword-only parameters.
    pub n_kwonly_args: u32,
    /// Number of positional parameters with defaults.
    pub n_def_pos_args: u32,
}

/// Set bit `bit` of `*field` from `value` (0 or 1), failing when the bit is out of range.
#[inline]
fn put_bit(field: &mut u32, bit: u32, value: u8) -> Result<(), PreludeError> {
    if value & 1 == 0 {
        return Ok(());
    }
    if bit >= 32 {
        return Err(PreludeError::Overflow);
    }
    *field |= 1 << bit;
    Ok(())
}

impl Signature {
    /// Encode the signature into `buf`, returning the used head of `buf`.
    ///
    /// `n_state` of 0 is encoded as 1, as MicroPython's compiler never writes less.
    pub fn encode<'b>(&self, buf: &'b mut [u8; SIGNATURE_MAX_LEN]) -> &'b [u8] {
        let mut s = self.n_state.max(1) - 1;
        let mut e = self.n_exc_stack;
        let mut f = self.scope_flags;
        let mut a = self.n_pos_args;
        let mut k = self.n_kwonly_args;
        let mut d = self.n_def_pos_args;
        let mut z = ((s & 0xf) << 3 | (e & 1) << 2 | (a & 3)) as u8;
        s >>= 4;
        e >>= 1;
        a >>= 2;
        let mut len = 0;
        while s | e | f | a | k | d != 0 {
            buf[len] = 0x80 | z;
            len += 1;
            z = ((f & 1) << 6 | (s & 3) << 4 | (k & 1) << 3 | (a & 1) << 2 | (e & 1) << 1 | (d & 1))
                as u8;
            s >>= 2;
            e >>= 1;
            f >>= 1;
            a >>= 1;
            k >>= 1;
            d >>= 1;
        }
        buf[len] = z;
        &buf[..len + 1]
    }

    /// Encode the signature, passing each byte to `out` in order.
    pub fn encode_with(&self, mut out: impl FnMut(u8)) {
        let mut buf = [0; SIGNATURE_MAX_LEN];
        for &b in self.encode(&mut buf) {
            out(b);
        }
    }

    /// Decode a signature from the start of `data`, returning it and the bytes consumed.
    pub fn decode(data: &[u8]) -> Result<(Signature, usize), PreludeError> {
        let z = *data.first().ok_or(PreludeError::Truncated)?;
        let mut sig = Signature {
            n_state: u32::from((z >> 3) & 0xf),
            n_exc_stack: u32::from((z >> 2) & 1),
            scope_flags: 0,
            n_pos_args: u32::from(z & 3),
            n_kwonly_args: 0,
            n_def_pos_args: 0,
        };
        let mut pos = 1;
        let mut more = z & 0x80 != 0;
        let mut n: u32 = 0;
        while more {
            let z = *data.get(pos).ok_or(PreludeError::Truncated)?;
            pos += 1;
            more = z & 0x80 != 0;
            put_bit(&mut sig.n_state, 4 + 2 * n, z >> 4)?;
            put_bit(&mut sig.n_state, 5 + 2 * n, z >> 5)?;
            put_bit(&mut sig.n_exc_stack, 1 + n, z >> 1)?;
            put_bit(&mut sig.scope_flags, n, z >> 6)?;
            put_bit(&mut sig.n_pos_args, 2 + n, z >> 2)?;
            put_bit(&mut sig.n_kwonly_args, n, z >> 3)?;
            put_bit(&mut sig.n_def_pos_args, n, z)?;
            n = n.saturating_add(1);
        }
        sig.n_state = sig.n_state.checked_add(1).ok_or(PreludeError::Overflow)?;
        Ok((sig, pos))
    }
}

/// The prelude size: the byte lengths of the source-info and closure sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Size {
    /// Bytes of source info (names and line-number table).
    pub n_info: u32,
    /// Number of cells (one byte each in the closure section).
    pub n_cell: u32,
}

impl Size {
    /// Encode into `buf`, returning the used head of `buf`.
    pub fn encode<'b>(&self, buf: &'b mut [u8; SIZE_MAX_LEN]) -> &'b [u8] {
        let mut i = self.n_info;
        let mut c = self.n_cell;
        let mut len = 0;
        loop {
            let mut z = ((i & 0x3f) << 1 | (c & 1)) as u8;
            c >>= 1;
            i >>= 6;
            if c | i != 0 {
                z |= 0x80;
            }
            buf[len] = z;
            len += 1;
            if c | i == 0 {
                return &buf[..len];
            }
        }
    }

    /// Encode, passing each byte to `out` in order.
    pub fn encode_with(&self, mut out: impl FnMut(u8)) {
        let mut buf = [0; SIZE_MAX_LEN];
        for &b in self.encode(&mut buf) {
            out(b);
        }
    }

    /// Decode from the start of `data`, returning the size and the bytes consumed.
    pub fn decode(data: &[u8]) -> Result<(Size, usize), PreludeError> {
        let mut size = Size::default();
        let mut n: u32 = 0;
        let mut pos = 0;
        loop {
            let z = *data.get(pos).ok_or(PreludeError::Truncated)?;
            pos += 1;
            put_bit(&mut size.n_cell, n, z)?;
            for b in 0..6 {
                put_bit(
                    &mut size.n_info,
                    n.saturating_mul(6).saturating_add(b),
                    z >> (1 + b),
                )?;
            }
            n = n.saturating_add(1);
            if z & 0x80 == 0 {
                return Ok((size, pos));
            }
        }
    }
}

/// One entry of the line-number table: advance the bytecode offset, then the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineStep {
    /// Bytecode bytes covered by the current line before moving on.
    pub bc_increment: u32,
    /// Lines to add after those bytes.
    pub line_increment: u32,
}

/// Iterator over a line-number table (the part of the source info after the names).
///
/// A truncated two-byte entry at the end ends the iteration (MicroPython would read past
/// the table there).
#[derive(Clone, Debug)]
pub struct LineInfo<'a> {
    data: &'a [u8],
}

impl<'a> LineInfo<'a> {
    /// Iterate over the entries in `data`.
    pub fn new(data: &'a [u8]) -> Self {
        LineInfo { data }
    }
}

impl Iterator for LineInfo<'_> {
    type Item = LineStep;

    fn next(&mut self) -> Option<LineStep> {
        let (&c, rest) = self.data.split_first()?;
        if c & 0x80 == 0 {
            // 0b0LLBBBBB
            self.data = rest;
            Some(LineStep {
                bc_increment: u32::from(c & 0x1f),
                line_increment: u32::from(c >> 5),
            })
        } else {
            // 0b1LLLBBBB 0bLLLLLLLL
            let (&low, rest) = match rest.split_first() {
                Some(x) => x,
                None => {
                    self.data = &[];
                    return None;
                }
            };
            self.data = rest;
            Some(LineStep {
                bc_increment: u32::from(c & 0xf),
                line_increment: (u32::from(c) << 4) & 0x700 | u32::from(low),
            })
        }
    }
}

/// Source line of the instruction at `bc_offset` (relative to the first opcode), as
/// `mp_bytecode_get_source_line` computes it; lines start at 1.
pub fn source_line(line_info: &[u8], bc_offset: usize) -> usize {
    let mut line: usize = 1;
    let mut offset = bc_offset;
    for step in LineInfo::new(line_info) {
        let inc = step.bc_increment as usize;
        if offset >= inc {
            offset -= inc;
            line = line.saturating_add(step.line_increment as usize);
        } else {
            break;
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_signatures() {
        // From mpy-cross output: `def foo(a, b=2, *args, k, **kw)` and `<module>`.
        let (sig, n) = Signature::decode(&[0xb2, 0x89, 0xc0, 0x40, 0x10]).unwrap();
        assert_eq!(n, 4);
        assert_eq!(
            sig,
            Signature {
                n_state: 7,
                n_exc_stack: 0,
                scope_flags: 6,
                n_pos_args: 2,
                n_kwonly_args: 1,
                n_def_pos_args: 1
            }
        );
        let mut buf = [0; SIGNATURE_MAX_LEN];
        assert_eq!(sig.encode(&mut buf), &[0xb2, 0x89, 0xc0, 0x40]);
        let (sig, n) = Signature::decode(&[0xac, 0x02]).unwrap();
        assert_eq!((sig.n_state, sig.n_exc_stack, n), (6, 3, 2));
        let (size, n) = Size::decode(&[0x10, 0x0a]).unwrap();
        assert_eq!(
            (size, n),
            (
                Size {
                    n_info: 8,
                    n_cell: 0
                },
                1
            )
        );
    }

    #[test]
    fn decode_errors() {
        assert_eq!(Signature::decode(&[]), Err(PreludeError::Truncated));
        assert_eq!(Signature::decode(&[0x80]), Err(PreludeError::Truncated));
        assert_eq!(Signature::decode(&[0xff; 40]), Err(PreludeError::Overflow));
        assert_eq!(Size::decode(&[0x81]), Err(PreludeError::Truncated));
        assert_eq!(Size::decode(&[0xff; 40]), Err(PreludeError::Overflow));
        // Long runs of zero bits are fine.
        let mut zeros = [0x80u8; 50];
        zeros[49] = 0;
        assert!(Signature::decode(&zeros).is_ok());
        assert!(Size::decode(&zeros).is_ok());
    }

    #[test]
    fn line_info() {
        // <module> of a small file: lines advance on each entry.
        let steps: std::vec::Vec<_> = LineInfo::new(&[0x26, 0x80, 0x0c]).collect();
        assert_eq!(
            steps[0],
            LineStep {
                bc_increment: 6,
                line_increment: 1
            }
        );
        assert_eq!(
            steps[1],
            LineStep {
                bc_increment: 0,
                line_increment: 12
            }
        );
        assert_eq!(source_line(&[0x26, 0x2c], 0), 1);
        assert_eq!(source_line(&[0x26, 0x2c], 6), 2);
        assert_eq!(source_line(&[0x26, 0x2c], 18), 3);
        assert_eq!(LineInfo::new(&[0x80]).count(), 0);
    }

    fn sig_strategy() -> impl Strategy<Value = Signature> {
        (
            1u32..,
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                |(n_state, n_exc_stack, scope_flags, n_pos_args, n_kwonly_args, n_def_pos_args)| {
                    Signature {
                        n_state,
                        n_exc_stack,
                        scope_flags,
                        n_pos_args,
                        n_kwonly_args,
                        n_def_pos_args,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn signature_round_trip(sig in sig_strategy()) {
            let mut buf = [0; SIGNATURE_MAX_LEN];
            let enc = sig.encode(&mut buf);
            prop_assert_eq!(Signature::decode(enc), Ok((sig, enc.len())));
        }

        #[test]
        fn small_signature_round_trip(
            n_state in 1u32..300, n_exc_stack in 0u32..8, scope_flags in 0u32..16,
            n_pos_args in 0u32..20, n_kwonly_args in 0u32..8, n_def_pos_args in 0u32..8,
        ) {
            let sig = Signature { n_state, n_exc_stack, scope_flags, n_pos_args, n_kwonly_args, n_def_pos_args };
            let mut buf = [0; SIGNATURE_MAX_LEN];
            let enc = sig.encode(&mut buf);
            prop_assert_eq!(Signature::decode(enc), Ok((sig, enc.len())));
        }

        #[test]
        fn size_round_trip(n_info: u32, n_cell: u32) {
            let size = Size { n_info, n_cell };
            let mut buf = [0; SIZE_MAX_LEN];
            let enc = size.encode(&mut buf);
            prop_assert_eq!(Size::decode(enc), Ok((size, enc.len())));
        }

        #[test]
        fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = Signature::decode(&data);
            let _ = Size::decode(&data);
            let _ = LineInfo::new(&data).count();
            let _ = source_line(&data, 1000);
        }
    }
}
