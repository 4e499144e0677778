//! Decoding single bytecode instructions and encoding jump offsets.
//!
//! Corresponds to `mp_opcode_decode` in MicroPython's `py/persistentcode.c` (and the
//! `DECODE_*` macros of `py/vm.c`) for decoding, and `emit_write_bytecode_byte_label` in
//! `py/emitbc.c` for the jump-offset encoding. The layout of each operand is described in
//! [`crate::opcode`].
//!
//! Jump offsets are relative to the end of the offset bytes (for `UNWIND_JUMP` that is
//! before its extra byte), which is how the VM applies them.
//!
//! Differences from MicroPython: decoding is bounds-checked; operands that do not fit in
//! 64 bits are an error instead of being truncated.

use crate::opcode::{self, OpFormat};
use crate::vuint::{self, VuintError};
use core::fmt;

/// The decoded operand of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// No operand (byte-format opcodes, including the multi opcodes).
    None,
    /// An unsigned vuint: qstr index, const index, child index, local number, count...
    Uint(u64),
    /// The signed vuint of `LOAD_CONST_SMALL_INT`.
    Int(i64),
    /// A jump offset, already unbiased, relative to the end of the offset bytes.
    Offset(i32),
}

/// One decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// Offset of the opcode byte in the code slice it was decoded from.
    pub offset: usize,
    /// The opcode byte.
    pub op: u8,
    /// Operand.
    pub arg: Arg,
    /// The extra byte of `MAKE_CLOSURE*` / `UNWIND_JUMP` (and reserved opcodes).
    pub extra: Option<u8>,
    /// Offset just past the operand bytes (where a jump offset is relative to).
    pub arg_end: usize,
    /// Total length in bytes, including the extra byte.
    pub len: usize,
}

impl Insn {
    /// Offset of the next instruction.
    pub fn end(&self) -> usize {
        self.offset + self.len
    }

    /// Absolute jump target for offset-format instructions (`None` if the target would be
    /// before the start of the code).
    pub fn jump_target(&self) -> Option<usize> {
        match self.arg {
            Arg::Offset(rel) => self.arg_end.checked_add_signed(rel as isize),
            _ => None,
        }
    }
}

/// Why an instruction could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InsnError {
    /// The code ends inside the instruction starting at `offset`.
    Truncated {
        /// Offset of the opcode byte.
        offset: usize,
    },
    /// A vuint operand at `offset` does not fit in 64 bits.
    OperandOverflow {
        /// Offset of the opcode byte.
        offset: usize,
    },
}

impl fmt::Display for InsnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsnError::Truncated { offset } => {
                write!(f, "bytecode ends inside the instruction at offset {offset}")
            }
            InsnError::OperandOverflow { offset } => {
                write!(
                    f,
                    "operand of the instruction at offset {offset} does not fit in 64 bits"
                )
            }
        }
    }
}

/// Decode the instruction starting at `code[offset]`.
pub fn decode(code: &[u8], offset: usize) -> Result<Insn, InsnError> {
    let truncated = InsnError::Truncated { offset };
    let op = *code.get(offset).ok_or(truncated)?;
    let mut pos = offset + 1;
    let rest = code.get(pos..).unwrap_or(&[]);
    let map_vuint = |e| match e {
        VuintError::Truncated => truncated,
        VuintError::Overflow => InsnError::OperandOverflow { offset },
    };
    let arg = match opcode::format(op) {
        OpFormat::Byte => Arg::None,
        OpFormat::Qstr | OpFormat::VarUint if op == opcode::LOAD_CONST_SMALL_INT => {
            let (v, n) = vuint::decode_signed(rest).map_err(map_vuint)?;
            pos += n;
            Arg::Int(v)
        }
        OpFormat::Qstr | OpFormat::VarUint => {
            let (v, n) = vuint::decode(rest).map_err(map_vuint)?;
            pos += n;
            Arg::Uint(v)
        }
        OpFormat::Offset => {
            let b0 = *rest.first().ok_or(truncated)?;
            let (raw, bias) = if b0 & 0x80 == 0 {
                pos += 1;
                (i32::from(b0), 0x40)
            } else {
                let b1 = *rest.get(1).ok_or(truncated)?;
                pos += 2;
                (i32::from(b0 & 0x7f) | i32::from(b1) << 7, 0x4000)
            };
            Arg::Offset(if opcode::has_signed_offset(op) {
                raw - bias
            } else {
                raw
            })
        }
    };
    let arg_end = pos;
    let extra = if opcode::has_extra_byte(op) {
        let b = *code.get(pos).ok_or(truncated)?;
        pos += 1;
        Some(b)
    } else {
        None
    };
    Ok(Insn {
        offset,
        op,
        arg,
        extra,
        arg_end,
        len: pos - offset,
    })
}

/// Iterator over the instructions of a code slice; stops after the first error.
#[derive(Clone, Debug)]
pub struct Insns<'a> {
    code: &'a [u8],
    pos: usize,
}

impl<'a> Insns<'a> {
    /// Iterate over `code` (opcodes only, without the prelude).
    pub fn new(code: &'a [u8]) -> Self {
        Insns { code, pos: 0 }
    }
}

impl Iterator for Insns<'_> {
    type Item = Result<Insn, InsnError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.code.len() {
            return None;
        }
        match decode(self.code, self.pos) {
            Ok(insn) => {
                self.pos = insn.end();
                Some(Ok(insn))
            }
            Err(e) => {
                self.pos = self.code.len();
                Some(Err(e))
            }
        }
    }
}

/// Encoded jump offset: one or two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetBytes {
    bytes: [u8; 2],
    len: u8,
}

impl OffsetBytes {
    /// The encoded bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// A jump offset that cannot be encoded in the requested width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetOutOfRange {
    /// The relative offset that was requested.
    pub rel: i64,
}

impl fmt::Display for OffsetOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "jump offset {} does not fit in its encoding", self.rel)
    }
}

/// Whether a jump offset fits the one-byte encoding (`signed`: see
/// [`opcode::has_signed_offset`]). MicroPython's emitter picks one byte exactly when this
/// holds for the offset computed with a one-byte encoding.
pub const fn fits_short_offset(signed: bool, rel: i64) -> bool {
    if signed {
        -0x40 <= rel && rel < 0x40
    } else {
        0 <= rel && rel < 0x80
    }
}

/// Encode a jump offset `rel` (relative to the end of the offset bytes) in one byte
/// (`long == false`) or two bytes.
pub fn encode_offset(signed: bool, rel: i64, long: bool) -> Result<OffsetBytes, OffsetOutOfRange> {
    let err = OffsetOutOfRange { rel };
    if !long {
        if !fits_short_offset(signed, rel) {
            return Err(err);
        }
        let v = if signed { rel + 0x40 } else { rel };
        Ok(OffsetBytes {
            bytes: [v as u8, 0],
            len: 1,
        })
    } else {
        let v = if signed { rel + 0x4000 } else { rel };
        if !(0..=0x7fff).contains(&v) {
            return Err(err);
        }
        Ok(OffsetBytes {
            bytes: [0x80 | (v & 0x7f) as u8, (v >> 7) as u8],
            len: 2,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_mpy_cross_examples() {
        let code = [
            0x42, 0x59, 0x43, 0x22, 0x20, 0x00, 0x01, 0x22, 0x86, 0x8d, 0x20, 0x34, 0x82, 0x01,
        ];
        let v: std::vec::Vec<_> = Insns::new(&code).map(|r| r.unwrap()).collect();
        assert_eq!(v[0].arg, Arg::Offset(25));
        assert_eq!(v[0].jump_target(), Some(27));
        assert_eq!(v[1].arg, Arg::Offset(-30));
        assert_eq!(
            (v[2].op, v[2].arg, v[2].extra, v[2].len),
            (opcode::MAKE_CLOSURE, Arg::Uint(0), Some(1), 3)
        );
        assert_eq!(v[3].arg, Arg::Int(100000));
        assert_eq!(v[4].arg, Arg::Uint(257));
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn truncation() {
        assert_eq!(
            decode(&[0x20, 0x00], 0),
            Err(InsnError::Truncated { offset: 0 })
        );
        assert_eq!(
            decode(&[0x42, 0x80], 0),
            Err(InsnError::Truncated { offset: 0 })
        );
        assert_eq!(decode(&[0x10], 0), Err(InsnError::Truncated { offset: 0 }));
        assert_eq!(decode(&[0x51], 1), Err(InsnError::Truncated { offset: 1 }));
        assert_eq!(Insns::new(&[0x51, 0x10]).count(), 2);
    }

    proptest! {
        #[test]
        fn offsets_round_trip(signed: bool, long: bool, rel in -0x5000i64..0x9000) {
            let op = if signed { opcode::JUMP } else { opcode::FOR_ITER };
            if let Ok(enc) = encode_offset(signed, rel, long) {
                let mut code = std::vec![op];
                code.extend_from_slice(enc.as_slice());
                let insn = decode(&code, 0).unwrap();
                prop_assert_eq!(insn.arg, Arg::Offset(rel as i32));
                prop_assert_eq!(insn.len, code.len());
            } else {
                let (lo, hi) = match (signed, long) {
                    (true, false) => (-0x40, 0x3f),
                    (false, false) => (0, 0x7f),
                    (true, true) => (-0x4000, 0x3fff),
                    (false, true) => (0, 0x7fff),
                };
                prop_assert!(rel < lo || rel > hi);
            }
        }

        #[test]
        fn decode_never_panics(code in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut n = 0;
            for r in Insns::new(&code) {
                if let Ok(i) = r { prop_assert!(i.end() <= code.len()); }
                n += 1;
            }
            prop_assert!(n <= code.len());
        }
    }
}
