//! The `.mpy` container format: header, qstr table, constant table and raw-code tree.
//!
//! Corresponds to MicroPython's `py/persistentcode.h` and `py/persistentcode.c` (layout,
//! constants, `mp_raw_code_load`), `docs/reference/mpyfiles.rst`, and the
//! `static_qstr_list` of `py/makeqstrdata.py` ([`STATIC_QSTRS`]).
//!
//! Layout of a file:
//! - header: `'M'`, version 6, feature byte (bit 6: an arch-flags vuint follows the header;
//!   bits 5..2: native arch; bits 1..0: sub-version), small-int bits;
//! - optional arch-flags vuint;
//! - vuint qstr count, vuint constant count, the qstrs, the constants;
//! - the module's raw code, its children following it recursively (pre-order).
//!
//! [`MpyFile::parse`] validates a whole file without allocating; [`MpyFile`], [`RawCode`],
//! [`Const`] and [`Qstr`] are zero-copy views of it. Writing `.mpy` files is the
//! compiler's job; the constants and encoders it needs are here and in
//! [`crate::prelude`], [`crate::vuint`] and [`crate::insn`].

mod reader;
mod static_qstrs;

pub(crate) use reader::split_complex;
pub use reader::{
    ArgNames, Children, Const, Consts, MpyFile, NativeInfo, Prelude, Qstr, Qstrs, RawCode,
    RawCodes, ReadError, Section, Tuple, TupleItems, MAX_CONST_DEPTH, MAX_RAW_CODE_DEPTH,
};
pub use static_qstrs::{STATIC_QSTRS, STATIC_QSTR_COUNT};

/// First header byte.
pub const MAGIC: u8 = b'M';
/// The `.mpy` major version this crate reads and writes (`MPY_VERSION`).
pub const VERSION: u8 = 6;
/// The sub-version written by MicroPython 1.23 and later (`MPY_SUB_VERSION`); only checked
/// by MicroPython for files containing native code.
pub const SUB_VERSION: u8 = 3;
/// Header length in bytes.
pub const HEADER_LEN: usize = 4;
/// Feature-byte bit: an architecture-flags vuint follows the header (`MPY_FEATURE_ARCH_FLAGS`).
pub const FEATURE_ARCH_FLAGS: u8 = 0x40;
/// Feature-byte bit reserved by the format (must be 0).
pub const FEATURE_RESERVED: u8 = 0x80;
/// Small-int bits that `mpy-cross` writes by default (`-msmall-int-bits=31`).
pub const DEFAULT_SMALL_INT_BITS: u8 = 31;

/// Sub-version stored in a feature byte (`MPY_FEATURE_DECODE_SUB_VERSION`).
pub const fn decode_sub_version(feature: u8) -> u8 {
    feature & 3
}

/// Native arch number stored in a feature byte, decoded as MicroPython does
/// (`MPY_FEATURE_DECODE_ARCH`: the mask `0x2f` also picks up the reserved bit 7, so a
/// feature byte with that bit set decodes to an unknown arch).
pub const fn decode_arch(feature: u8) -> u8 {
    (feature >> 2) & 0x2f
}

/// Feature byte for an arch (`Arch::None` for bytecode-only files, whose sub-version bits
/// stay 0 as MicroPython writes them).
pub const fn encode_feature(arch: Arch, has_arch_flags: bool) -> u8 {
    let flags = if has_arch_flags {
        FEATURE_ARCH_FLAGS
    } else {
        0
    };
    match arch {
        Arch::None => flags,
        _ => flags | SUB_VERSION | (arch as u8) << 2,
    }
}

/// The four header bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// Major version (6).
    pub version: u8,
    /// Feature byte: arch-flags bit, native arch and sub-version.
    pub feature: u8,
    /// Number of bits in a small int on the target the file was compiled for.
    pub small_int_bits: u8,
}

impl Header {
    /// Header of a bytecode-only file as `mpy-cross` writes it.
    pub const fn bytecode(small_int_bits: u8) -> Header {
        Header {
            version: VERSION,
            feature: 0,
            small_int_bits,
        }
    }

    /// The header as stored.
    pub const fn to_bytes(&self) -> [u8; HEADER_LEN] {
        [MAGIC, self.version, self.feature, self.small_int_bits]
    }

    /// Sub-version bits of the feature byte.
    pub const fn sub_version(&self) -> u8 {
        decode_sub_version(self.feature)
    }

    /// Native arch number as MicroPython decodes it (see [`decode_arch`]).
    pub const fn arch_index(&self) -> u8 {
        decode_arch(self.feature)
    }

    /// Native arch, if known.
    pub const fn arch(&self) -> Option<Arch> {
        Arch::from_u8(self.arch_index())
    }

    /// Whether an arch-flags vuint follows the header.
    pub const fn has_arch_flags(&self) -> bool {
        self.feature & FEATURE_ARCH_FLAGS != 0
    }
}

macro_rules! arches {
    ($( $(#[$doc:meta])* $var:ident = $n:literal, $name:literal; )*) => {
        /// Native architectures (`MP_NATIVE_ARCH_*`), same numbering.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Arch {
            $( $(#[$doc])* $var = $n, )*
        }

        impl Arch {
            /// Arch with this number.
            pub const fn from_u8(n: u8) -> Option<Arch> {
                match n {
                    $( $n => Some(Arch::$var), )*
                    _ => None,
                }
            }

            /// Name as `mpy-tool.py` prints it (`NONE`, `ARMV7M`, ...).
            pub const fn name(self) -> &'static str {
                match self {
                    $( Arch::$var => $name, )*
                }
            }
        }
    };
}

arches! {
    /// Bytecode only.
    None = 0, "NONE";
    /// x86 (32-bit).
    X86 = 1, "X86";
    /// x86-64.
    X64 = 2, "X64";
    /// ARMv6 (ARM mode).
    Armv6 = 3, "ARMV6";
    /// ARMv6-M (Thumb).
    Armv6m = 4, "ARMV6M";
    /// ARMv7-M.
    Armv7m = 5, "ARMV7M";
    /// ARMv7E-M.
    Armv7em = 6, "ARMV7EM";
    /// ARMv7E-M with single-precision FPU.
    Armv7emsp = 7, "ARMV7EMSP";
    /// ARMv7E-M with double-precision FPU.
    Armv7emdp = 8, "ARMV7EMDP";
    /// Xtensa.
    Xtensa = 9, "XTENSA";
    /// Xtensa with windowed registers.
    Xtensawin = 10, "XTENSAWIN";
    /// RISC-V RV32IMC.
    Rv32imc = 11, "RV32IMC";
    /// RISC-V RV64IMC.
    Rv64imc = 12, "RV64IMC";
    /// MicroPython's debug emitter (never in files written by mpy-cross).
    Debug = 13, "DEBUG";
}

/// Constant-table type tags (`MP_PERSISTENT_OBJ_*`).
pub mod obj {
    /// The native function table (`mp_fun_table`), for native code.
    pub const FUN_TABLE: u8 = 0;
    /// `None`.
    pub const NONE: u8 = 1;
    /// `False`.
    pub const FALSE: u8 = 2;
    /// `True`.
    pub const TRUE: u8 = 3;
    /// `...`.
    pub const ELLIPSIS: u8 = 4;
    /// `str`: vuint length, UTF-8 bytes, NUL.
    pub const STR: u8 = 5;
    /// `bytes`: vuint length, bytes, NUL.
    pub const BYTES: u8 = 6;
    /// `int`: vuint length, decimal ASCII text.
    pub const INT: u8 = 7;
    /// `float`: vuint length, ASCII text as MicroPython's `repr` writes it.
    pub const FLOAT: u8 = 8;
    /// `complex`: vuint length, ASCII text as MicroPython's `repr` writes it.
    pub const COMPLEX: u8 = 9;
    /// `tuple`: vuint length, then that many constants.
    pub const TUPLE: u8 = 10;
}

/// Kind of code held by a raw code (`MP_CODE_*`, same numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CodeKind {
    /// Bytecode with prelude.
    Bytecode = 2,
    /// Native code compiled from Python (`@native`), with a bytecode-style prelude.
    NativePy = 3,
    /// Viper code.
    NativeViper = 4,
    /// Inline assembler.
    NativeAsm = 5,
}

impl CodeKind {
    /// Kind from the two low bits of a raw-code header vuint.
    pub const fn from_header_bits(bits: u8) -> CodeKind {
        match bits & 3 {
            0 => CodeKind::Bytecode,
            1 => CodeKind::NativePy,
            2 => CodeKind::NativeViper,
            _ => CodeKind::NativeAsm,
        }
    }

    /// `MP_CODE_*` name, as `mpy-tool.py` uses it.
    pub const fn name(self) -> &'static str {
        match self {
            CodeKind::Bytecode => "MP_CODE_BYTECODE",
            CodeKind::NativePy => "MP_CODE_NATIVE_PY",
            CodeKind::NativeViper => "MP_CODE_NATIVE_VIPER",
            CodeKind::NativeAsm => "MP_CODE_NATIVE_ASM",
        }
    }
}

/// The raw-code header vuint: `fun_data_len << 3 | has_children << 2 | (kind - 2)`.
pub const fn raw_code_header(kind: CodeKind, fun_data_len: u64, has_children: bool) -> u64 {
    fun_data_len << 3 | (has_children as u64) << 2 | (kind as u64 - 2)
}

/// A qstr-table entry for a static qstr is the vuint `id << 1 | 1`; an inline one is
/// `len << 1` followed by the bytes and a NUL.
pub const fn static_qstr(id: usize) -> Option<&'static str> {
    if id == 0 || id > STATIC_QSTR_COUNT {
        None
    } else {
        Some(STATIC_QSTRS[id - 1])
    }
}

/// Static qstr id of `s`, if it is one of [`STATIC_QSTRS`] (what MicroPython's writer
/// stores instead of the string).
pub fn static_qstr_id(s: &str) -> Option<usize> {
    STATIC_QSTRS.iter().position(|&q| q == s).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_feature_bits() {
        let h = Header::bytecode(DEFAULT_SMALL_INT_BITS);
        assert_eq!(h.to_bytes(), [0x4d, 0x06, 0x00, 0x1f]);
        assert_eq!(h.arch(), Some(Arch::None));
        let f = encode_feature(Arch::Armv7m, false);
        assert_eq!(f, 0x17);
        assert_eq!(decode_arch(f), Arch::Armv7m as u8);
        assert_eq!(decode_sub_version(f), SUB_VERSION);
        assert_eq!(decode_arch(0x80), 0x20);
        assert_eq!(Arch::from_u8(0x20), None);
        assert_eq!(raw_code_header(CodeKind::Bytecode, 209, true), 209 << 3 | 4);
    }

    #[test]
    fn static_qstr_ids() {
        assert_eq!(static_qstr(0), None);
        assert_eq!(static_qstr(1), Some(""));
        assert_eq!(static_qstr(7), Some("<module>"));
        assert_eq!(static_qstr_id("<module>"), Some(7));
        assert_eq!(static_qstr(STATIC_QSTR_COUNT), Some("zip"));
        assert_eq!(static_qstr(STATIC_QSTR_COUNT + 1), None);
    }
}
