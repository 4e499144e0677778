//! The bytecode opcode table: values, operand formats and names.
//!
//! Corresponds to MicroPython's `py/bc0.h` (opcode values and the `MP_BC_FORMAT` /
//! `MP_BC_MASK_EXTRA_BYTE` classification) and `py/runtime0.h` (the unary and binary
//! operator numbering used by `UNARY_OP_MULTI` / `BINARY_OP_MULTI`).
//!
//! Every single-valued opcode is declared exactly once, in the `opcodes!` table below; the
//! constants, [`TABLE`], [`operand`] and [`name`] are all generated from it, so the emitter,
//! the VM and the disassembler cannot disagree. The five "multi" opcode ranges (an operand
//! folded into the opcode byte) are described by [`multi`] and the `*_MULTI*` constants.
//!
//! Operand encodings after the opcode byte (see [`crate::insn`] for a decoder):
//! - [`OpFormat::Byte`]: no operand.
//! - [`OpFormat::Qstr`] and [`OpFormat::VarUint`]: a vuint (most-significant group first);
//!   for `LOAD_CONST_SMALL_INT` it is the signed variant ([`crate::vuint::decode_signed`]).
//! - [`OpFormat::Offset`]: a relative jump, one byte when its top bit is clear, otherwise two
//!   bytes (low 7 bits first, then the next 8 bits). The four opcodes
//!   `UNWIND_JUMP..=POP_JUMP_IF_FALSE` store it biased (signed): subtract `0x40` (one byte) or
//!   `0x4000` (two bytes).
//! - Opcodes with `op & MASK_EXTRA_BYTE == 0` carry one more raw byte after the operand.

use core::fmt;

/// Mask selecting the high nibble of an opcode (its format group).
pub const MASK_FORMAT: u8 = 0xf0;
/// An opcode `op` carries an extra raw byte after its operand iff `op & MASK_EXTRA_BYTE == 0`.
pub const MASK_EXTRA_BYTE: u8 = 0x9e;

/// Operand format of an opcode, as computed by `MP_BC_FORMAT` (values are the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OpFormat {
    /// No operand (the opcode is one byte, plus possibly the extra byte).
    Byte = 0,
    /// A vuint index into the module's qstr table.
    Qstr = 1,
    /// A vuint (signed for `LOAD_CONST_SMALL_INT`).
    VarUint = 2,
    /// A one- or two-byte relative jump offset.
    Offset = 3,
}

/// Packed 2-bit format per high nibble; nibble `n` uses bits `2n..2n+2`.
const FORMAT_BITS: u32 = 0x0000_03a4;

/// Operand format of any opcode byte (also defined for unused bytes: they are `Byte`).
#[inline]
pub const fn format(op: u8) -> OpFormat {
    match (FORMAT_BITS >> (2 * (op >> 4) as u32)) & 3 {
        0 => OpFormat::Byte,
        1 => OpFormat::Qstr,
        2 => OpFormat::VarUint,
        _ => OpFormat::Offset,
    }
}

/// Whether `op` is followed by one extra raw byte after its operand.
#[inline]
pub const fn has_extra_byte(op: u8) -> bool {
    op & MASK_EXTRA_BYTE == 0
}

/// Whether an [`OpFormat::Offset`] opcode stores a signed (biased) offset.
#[inline]
pub const fn has_signed_offset(op: u8) -> bool {
    UNWIND_JUMP <= op && op <= POP_JUMP_IF_FALSE
}

/// What the operand of an opcode means: a finer view of [`OpFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// No operand.
    None,
    /// Qstr index (into the module's qstr table).
    Qstr,
    /// Unsigned vuint: a local/cell number, a count, or packed call arguments.
    Uint,
    /// Signed vuint: the small-int value of `LOAD_CONST_SMALL_INT`.
    SmallInt,
    /// Unsigned vuint index into the module's constant object table.
    ConstObj,
    /// Unsigned vuint index into the raw code's children.
    Child,
    /// Signed relative jump offset.
    SignedOffset,
    /// Unsigned (forward) relative jump offset.
    UnsignedOffset,
}

impl Operand {
    /// The `MP_BC_FORMAT` this operand kind is encoded with.
    pub const fn format(self) -> OpFormat {
        match self {
            Operand::None => OpFormat::Byte,
            Operand::Qstr => OpFormat::Qstr,
            Operand::Uint | Operand::SmallInt | Operand::ConstObj | Operand::Child => {
                OpFormat::VarUint
            }
            Operand::SignedOffset | Operand::UnsignedOffset => OpFormat::Offset,
        }
    }
}

/// One row of the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpInfo {
    /// Name without the `MP_BC_` prefix, as printed by the disassembler.
    pub name: &'static str,
    /// The opcode byte.
    pub op: u8,
    /// Meaning of the operand.
    pub operand: Operand,
}

impl OpInfo {
    /// Whether the opcode carries the extra raw byte.
    pub const fn has_extra_byte(&self) -> bool {
        has_extra_byte(self.op)
    }
}

/// Format-group base values (`MP_BC_BASE_*`); the letter after the underscore tells whether
/// the group holds the opcodes with (E) or without (O) an extra byte in its low slots.
pub const BASE_RESERVED: u8 = 0x00;
/// Qstr-operand group.
pub const BASE_QSTR_O: u8 = 0x10;
/// Var-uint group whose first two slots take an extra byte.
pub const BASE_VINT_E: u8 = 0x20;
/// Var-uint group.
pub const BASE_VINT_O: u8 = 0x30;
/// Jump group whose first two slots take an extra byte.
pub const BASE_JUMP_E: u8 = 0x40;
/// Operand-less group.
pub const BASE_BYTE_O: u8 = 0x50;
/// Operand-less group whose first two slots take an extra byte.
pub const BASE_BYTE_E: u8 = 0x60;

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $name:ident = $value:expr, $operand:ident; )*) => {
        $(
            $(#[$doc])*
            #[allow(clippy::identity_op)] // `BASE + 0x00` mirrors the layout of the groups
            pub const $name: u8 = $value;
        )*

        /// Every single-valued opcode, in declaration order.
        pub const TABLE: &[OpInfo] = &[
            $( OpInfo { name: stringify!($name), op: $name, operand: Operand::$operand }, )*
        ];

    };
}

opcodes! {
    /// Push `False`.
    LOAD_CONST_FALSE = BASE_BYTE_O + 0x00, None;
    /// Push `None`.
    LOAD_CONST_NONE = BASE_BYTE_O + 0x01, None;
    /// Push `True`.
    LOAD_CONST_TRUE = BASE_BYTE_O + 0x02, None;
    /// Push a small int given by a signed vuint.
    LOAD_CONST_SMALL_INT = BASE_VINT_E + 0x02, SmallInt;
    /// Push a str given by a qstr.
    LOAD_CONST_STRING = BASE_QSTR_O + 0x00, Qstr;
    /// Push an object from the constant table.
    LOAD_CONST_OBJ = BASE_VINT_E + 0x03, ConstObj;
    /// Push the null sentinel.
    LOAD_NULL = BASE_BYTE_O + 0x03, None;

    /// Push local `n` (vuint).
    LOAD_FAST_N = BASE_VINT_E + 0x04, Uint;
    /// Push the content of cell local `n`.
    LOAD_DEREF = BASE_VINT_E + 0x05, Uint;
    /// Push a name (locals, globals, builtins).
    LOAD_NAME = BASE_QSTR_O + 0x01, Qstr;
    /// Push a global (globals, builtins).
    LOAD_GLOBAL = BASE_QSTR_O + 0x02, Qstr;
    /// Replace TOS by its attribute.
    LOAD_ATTR = BASE_QSTR_O + 0x03, Qstr;
    /// Replace TOS by a method and self (or attribute and null).
    LOAD_METHOD = BASE_QSTR_O + 0x04, Qstr;
    /// Method lookup through `super()`.
    LOAD_SUPER_METHOD = BASE_QSTR_O + 0x05, Qstr;
    /// Push `__build_class__`.
    LOAD_BUILD_CLASS = BASE_BYTE_O + 0x04, None;
    /// `TOS1[TOS]`.
    LOAD_SUBSCR = BASE_BYTE_O + 0x05, None;

    /// Pop into local `n` (vuint).
    STORE_FAST_N = BASE_VINT_E + 0x06, Uint;
    /// Pop into cell local `n`.
    STORE_DEREF = BASE_VINT_E + 0x07, Uint;
    /// Pop into a name.
    STORE_NAME = BASE_QSTR_O + 0x06, Qstr;
    /// Pop into a global.
    STORE_GLOBAL = BASE_QSTR_O + 0x07, Qstr;
    /// Store an attribute.
    STORE_ATTR = BASE_QSTR_O + 0x08, Qstr;
    /// Store a subscript.
    STORE_SUBSCR = BASE_BYTE_O + 0x06, None;

    /// Delete local `n`.
    DELETE_FAST = BASE_VINT_E + 0x08, Uint;
    /// Delete cell local `n`.
    DELETE_DEREF = BASE_VINT_E + 0x09, Uint;
    /// Delete a name.
    DELETE_NAME = BASE_QSTR_O + 0x09, Qstr;
    /// Delete a global.
    DELETE_GLOBAL = BASE_QSTR_O + 0x0a, Qstr;

    /// Duplicate TOS.
    DUP_TOP = BASE_BYTE_O + 0x07, None;
    /// Duplicate the top two entries.
    DUP_TOP_TWO = BASE_BYTE_O + 0x08, None;
    /// Discard TOS.
    POP_TOP = BASE_BYTE_O + 0x09, None;
    /// Swap the top two entries.
    ROT_TWO = BASE_BYTE_O + 0x0a, None;
    /// Rotate the top three entries.
    ROT_THREE = BASE_BYTE_O + 0x0b, None;

    /// Jump out of `extra` nested blocks (signed offset, then the unwind count byte).
    UNWIND_JUMP = BASE_JUMP_E + 0x00, SignedOffset;
    /// Unconditional jump.
    JUMP = BASE_JUMP_E + 0x02, SignedOffset;
    /// Pop, jump if true.
    POP_JUMP_IF_TRUE = BASE_JUMP_E + 0x03, SignedOffset;
    /// Pop, jump if false.
    POP_JUMP_IF_FALSE = BASE_JUMP_E + 0x04, SignedOffset;
    /// Jump if true else pop.
    JUMP_IF_TRUE_OR_POP = BASE_JUMP_E + 0x05, UnsignedOffset;
    /// Jump if false else pop.
    JUMP_IF_FALSE_OR_POP = BASE_JUMP_E + 0x06, UnsignedOffset;
    /// Enter a `with` block.
    SETUP_WITH = BASE_JUMP_E + 0x07, UnsignedOffset;
    /// Enter a `try/except` block.
    SETUP_EXCEPT = BASE_JUMP_E + 0x08, UnsignedOffset;
    /// Enter a `try/finally` block.
    SETUP_FINALLY = BASE_JUMP_E + 0x09, UnsignedOffset;
    /// Leave an exception handler and jump.
    POP_EXCEPT_JUMP = BASE_JUMP_E + 0x0a, UnsignedOffset;
    /// Advance the iterator or jump when exhausted.
    FOR_ITER = BASE_JUMP_E + 0x0b, UnsignedOffset;
    /// Leave a `with` block.
    WITH_CLEANUP = BASE_BYTE_O + 0x0c, None;
    /// End of a `finally` block.
    END_FINALLY = BASE_BYTE_O + 0x0d, None;
    /// `iter(TOS)`.
    GET_ITER = BASE_BYTE_O + 0x0e, None;
    /// `iter(TOS)` with the iterator state kept on the stack.
    GET_ITER_STACK = BASE_BYTE_O + 0x0f, None;

    /// Build a tuple of `n` items.
    BUILD_TUPLE = BASE_VINT_E + 0x0a, Uint;
    /// Build a list of `n` items.
    BUILD_LIST = BASE_VINT_E + 0x0b, Uint;
    /// Build a dict presized for `n` items.
    BUILD_MAP = BASE_VINT_E + 0x0c, Uint;
    /// Store a key/value into the dict below them.
    STORE_MAP = BASE_BYTE_E + 0x02, None;
    /// Build a set of `n` items.
    BUILD_SET = BASE_VINT_E + 0x0d, Uint;
    /// Build a slice of `n` (2 or 3) items.
    BUILD_SLICE = BASE_VINT_E + 0x0e, Uint;
    /// Comprehension store (operand packs stack depth and kind).
    STORE_COMP = BASE_VINT_E + 0x0f, Uint;
    /// Unpack TOS into `n` items.
    UNPACK_SEQUENCE = BASE_VINT_O + 0x00, Uint;
    /// Unpack with a starred target (operand packs the counts).
    UNPACK_EX = BASE_VINT_O + 0x01, Uint;

    /// Return TOS.
    RETURN_VALUE = BASE_BYTE_E + 0x03, None;
    /// Bare `raise`.
    RAISE_LAST = BASE_BYTE_E + 0x04, None;
    /// `raise TOS`.
    RAISE_OBJ = BASE_BYTE_E + 0x05, None;
    /// `raise TOS1 from TOS`.
    RAISE_FROM = BASE_BYTE_E + 0x06, None;
    /// `yield TOS`.
    YIELD_VALUE = BASE_BYTE_E + 0x07, None;
    /// `yield from TOS`.
    YIELD_FROM = BASE_BYTE_E + 0x08, None;

    /// Make a function from child `n`.
    MAKE_FUNCTION = BASE_VINT_O + 0x02, Child;
    /// Make a function with default arguments from child `n`.
    MAKE_FUNCTION_DEFARGS = BASE_VINT_O + 0x03, Child;
    /// Make a closure from child `n`; the extra byte is the number of closed-over cells.
    MAKE_CLOSURE = BASE_VINT_E + 0x00, Child;
    /// Make a closure with default arguments; extra byte as for `MAKE_CLOSURE`.
    MAKE_CLOSURE_DEFARGS = BASE_VINT_E + 0x01, Child;
    /// Call; operand is `n_positional | n_keyword << 8`.
    CALL_FUNCTION = BASE_VINT_O + 0x04, Uint;
    /// Call with `*args`/`**kwargs`; operand as for `CALL_FUNCTION`.
    CALL_FUNCTION_VAR_KW = BASE_VINT_O + 0x05, Uint;
    /// Method call; operand as for `CALL_FUNCTION`.
    CALL_METHOD = BASE_VINT_O + 0x06, Uint;
    /// Method call with `*args`/`**kwargs`.
    CALL_METHOD_VAR_KW = BASE_VINT_O + 0x07, Uint;

    /// `import name`.
    IMPORT_NAME = BASE_QSTR_O + 0x0b, Qstr;
    /// `from ... import name`.
    IMPORT_FROM = BASE_QSTR_O + 0x0c, Qstr;
    /// `from ... import *`.
    IMPORT_STAR = BASE_BYTE_E + 0x09, None;
}

/// First opcode of the `LOAD_CONST_SMALL_INT n` range (value folded into the opcode).
pub const LOAD_CONST_SMALL_INT_MULTI: u8 = 0x70;
/// Number of opcodes in the `LOAD_CONST_SMALL_INT_MULTI` range.
pub const LOAD_CONST_SMALL_INT_MULTI_NUM: u8 = 64;
/// Bias: opcode `LOAD_CONST_SMALL_INT_MULTI + i` pushes `i - LOAD_CONST_SMALL_INT_MULTI_EXCESS`.
pub const LOAD_CONST_SMALL_INT_MULTI_EXCESS: u8 = 16;
/// First opcode of the `LOAD_FAST n` range.
pub const LOAD_FAST_MULTI: u8 = 0xb0;
/// Number of opcodes in the `LOAD_FAST_MULTI` range.
pub const LOAD_FAST_MULTI_NUM: u8 = 16;
/// First opcode of the `STORE_FAST n` range.
pub const STORE_FAST_MULTI: u8 = 0xc0;
/// Number of opcodes in the `STORE_FAST_MULTI` range.
pub const STORE_FAST_MULTI_NUM: u8 = 16;
/// First opcode of the `UNARY_OP n` range.
pub const UNARY_OP_MULTI: u8 = 0xd0;
/// Number of opcodes in the `UNARY_OP_MULTI` range (`MP_UNARY_OP_NUM_BYTECODE`).
pub const UNARY_OP_MULTI_NUM: u8 = UnaryOp::NUM_BYTECODE;
/// First opcode of the `BINARY_OP n` range.
pub const BINARY_OP_MULTI: u8 = 0xd7;
/// Number of opcodes in the `BINARY_OP_MULTI` range (`MP_BINARY_OP_NUM_BYTECODE`).
pub const BINARY_OP_MULTI_NUM: u8 = BinaryOp::NUM_BYTECODE;

/// Smallest value `LOAD_CONST_SMALL_INT_MULTI` can push.
pub const SMALL_INT_MULTI_MIN: i8 = -(LOAD_CONST_SMALL_INT_MULTI_EXCESS as i8);
/// Largest value `LOAD_CONST_SMALL_INT_MULTI` can push.
pub const SMALL_INT_MULTI_MAX: i8 =
    (LOAD_CONST_SMALL_INT_MULTI_NUM - LOAD_CONST_SMALL_INT_MULTI_EXCESS) as i8 - 1;

/// An opcode from one of the multi ranges, with the operand folded into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multi {
    /// Push a small int in `SMALL_INT_MULTI_MIN..=SMALL_INT_MULTI_MAX`.
    LoadConstSmallInt(i8),
    /// Push local `n < 16`.
    LoadFast(u8),
    /// Pop into local `n < 16`.
    StoreFast(u8),
    /// A bytecode unary operator.
    UnaryOp(UnaryOp),
    /// A bytecode binary operator.
    BinaryOp(BinaryOp),
}

impl Multi {
    /// The opcode byte for this multi opcode.
    ///
    /// Values out of range are the caller's bug; they are clamped into the range here so the
    /// function stays total (debug builds assert).
    pub const fn opcode(self) -> u8 {
        match self {
            Multi::LoadConstSmallInt(v) => {
                debug_assert!(v >= SMALL_INT_MULTI_MIN && v <= SMALL_INT_MULTI_MAX);
                let i = (v as i16 + LOAD_CONST_SMALL_INT_MULTI_EXCESS as i16) as u8;
                LOAD_CONST_SMALL_INT_MULTI + (i & 63)
            }
            Multi::LoadFast(n) => {
                debug_assert!(n < LOAD_FAST_MULTI_NUM);
                LOAD_FAST_MULTI + (n & 15)
            }
            Multi::StoreFast(n) => {
                debug_assert!(n < STORE_FAST_MULTI_NUM);
                STORE_FAST_MULTI + (n & 15)
            }
            Multi::UnaryOp(u) => UNARY_OP_MULTI + u as u8,
            Multi::BinaryOp(b) => BINARY_OP_MULTI + b as u8,
        }
    }

    /// Mnemonic without the folded operand, e.g. `LOAD_FAST`.
    pub const fn mnemonic(self) -> &'static str {
        match self {
            Multi::LoadConstSmallInt(_) => "LOAD_CONST_SMALL_INT",
            Multi::LoadFast(_) => "LOAD_FAST",
            Multi::StoreFast(_) => "STORE_FAST",
            Multi::UnaryOp(_) => "UNARY_OP",
            Multi::BinaryOp(_) => "BINARY_OP",
        }
    }
}

/// Decode a multi-range opcode (`None` for everything else).
pub const fn multi(op: u8) -> Option<Multi> {
    if op >= LOAD_CONST_SMALL_INT_MULTI && op < LOAD_FAST_MULTI {
        let v = (op - LOAD_CONST_SMALL_INT_MULTI) as i8 - LOAD_CONST_SMALL_INT_MULTI_EXCESS as i8;
        Some(Multi::LoadConstSmallInt(v))
    } else if op >= LOAD_FAST_MULTI && op < STORE_FAST_MULTI {
        Some(Multi::LoadFast(op - LOAD_FAST_MULTI))
    } else if op >= STORE_FAST_MULTI && op < UNARY_OP_MULTI {
        Some(Multi::StoreFast(op - STORE_FAST_MULTI))
    } else if op >= UNARY_OP_MULTI && op < UNARY_OP_MULTI + UNARY_OP_MULTI_NUM {
        match UnaryOp::from_u8(op - UNARY_OP_MULTI) {
            Some(u) => Some(Multi::UnaryOp(u)),
            None => None,
        }
    } else if op >= BINARY_OP_MULTI && op < BINARY_OP_MULTI + BINARY_OP_MULTI_NUM {
        match BinaryOp::from_u8(op - BINARY_OP_MULTI) {
            Some(b) => Some(Multi::BinaryOp(b)),
            None => None,
        }
    } else {
        None
    }
}

/// `LOOKUP[op]` is the index in [`TABLE`] plus one, or 0 when `op` has no row.
const LOOKUP: [u8; 256] = {
    let mut lookup = [0u8; 256];
    let mut i = 0;
    while i < TABLE.len() {
        lookup[TABLE[i].op as usize] = i as u8 + 1;
        i += 1;
    }
    lookup
};

/// Table row of a single-valued opcode (`None` for multi opcodes and unused bytes).
#[inline]
pub const fn info(op: u8) -> Option<&'static OpInfo> {
    match LOOKUP[op as usize] {
        0 => None,
        i => Some(&TABLE[i as usize - 1]),
    }
}

/// Whether `op` is a defined opcode (single-valued or in a multi range).
pub const fn is_valid(op: u8) -> bool {
    info(op).is_some() || multi(op).is_some()
}

/// The operand meaning of `op` (`Operand::None` for multi opcodes and unused bytes).
pub const fn operand(op: u8) -> Operand {
    match info(op) {
        Some(i) => i.operand,
        None => Operand::None,
    }
}

/// Name of an opcode: the `MP_BC_` name for single-valued opcodes, the mnemonic without the
/// folded operand for multi opcodes (`LOAD_FAST`, `BINARY_OP`, ...), and `"unknown"` for
/// unused bytes (as `mpy-tool.py` prints them).
pub const fn name(op: u8) -> &'static str {
    if let Some(i) = info(op) {
        return i.name;
    }
    match multi(op) {
        Some(m) => m.mnemonic(),
        None => "unknown",
    }
}

macro_rules! op_enum {
    (
        $(#[$edoc:meta])* $ty:ident, num_bytecode = $nbc:ident;
        $( $(#[$doc:meta])* $var:ident = $mp:literal, $method:literal; )*
    ) => {
        $(#[$edoc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum $ty {
            $( $(#[$doc])* $var, )*
        }

        impl $ty {
            /// Every operator, in numbering order.
            pub const ALL: &'static [$ty] = &[ $( $ty::$var, )* ];
            /// Number of operators that may appear in bytecode (they come first).
            pub const NUM_BYTECODE: u8 = $ty::$nbc as u8 + 1;

            /// Operator with this number.
            pub const fn from_u8(n: u8) -> Option<$ty> {
                if (n as usize) < Self::ALL.len() {
                    Some(Self::ALL[n as usize])
                } else {
                    None
                }
            }

            /// Name without the `MP_*_OP_` prefix, e.g. `INPLACE_ADD`.
            pub const fn name(self) -> &'static str {
                match self { $( $ty::$var => $mp, )* }
            }

            /// Special method name (`__add__`), or `<...>` for operators without one.
            pub const fn method_name(self) -> &'static str {
                match self { $( $ty::$var => $method, )* }
            }

            /// Whether this operator may appear in bytecode.
            pub const fn in_bytecode(self) -> bool {
                (self as u8) < Self::NUM_BYTECODE
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

op_enum! {
    /// Unary operators (`mp_unary_op_t`), same numbering as MicroPython.
    UnaryOp, num_bytecode = Not;
    /// `+x`
    Positive = "POSITIVE", "__pos__";
    /// `-x`
    Negative = "NEGATIVE", "__neg__";
    /// `~x`
    Invert = "INVERT", "__invert__";
    /// `not x`
    Not = "NOT", "<not>";
    /// `__bool__` (runtime only)
    Bool = "BOOL", "__bool__";
    /// `__len__` (runtime only)
    Len = "LEN", "__len__";
    /// `__hash__` (runtime only)
    Hash = "HASH", "__hash__";
    /// `__abs__` (runtime only)
    Abs = "ABS", "__abs__";
    /// `__int__` (runtime only)
    IntMaybe = "INT_MAYBE", "__int__";
    /// `__float__` (runtime only)
    FloatMaybe = "FLOAT_MAYBE", "__float__";
    /// `__complex__` (runtime only)
    ComplexMaybe = "COMPLEX_MAYBE", "__complex__";
    /// `sys.getsizeof` (runtime only)
    Sizeof = "SIZEOF", "__sizeof__";
}

op_enum! {
    /// Binary operators (`mp_binary_op_t`), same numbering as MicroPython.
    BinaryOp, num_bytecode = Power;
    /// `<`
    Less = "LESS", "__lt__";
    /// `>`
    More = "MORE", "__gt__";
    /// `==`
    Equal = "EQUAL", "__eq__";
    /// `<=`
    LessEqual = "LESS_EQUAL", "__le__";
    /// `>=`
    MoreEqual = "MORE_EQUAL", "__ge__";
    /// `!=`
    NotEqual = "NOT_EQUAL", "__ne__";
    /// `in`
    In = "IN", "<in>";
    /// `is`
    Is = "IS", "<is>";
    /// exception matching in `except`
    ExceptionMatch = "EXCEPTION_MATCH", "<exception match>";
    /// `|=`
    InplaceOr = "INPLACE_OR", "__ior__";
    /// `^=`
    InplaceXor = "INPLACE_XOR", "__ixor__";
    /// `&=`
    InplaceAnd = "INPLACE_AND", "__iand__";
    /// `<<=`
    InplaceLshift = "INPLACE_LSHIFT", "__ilshift__";
    /// `>>=`
    InplaceRshift = "INPLACE_RSHIFT", "__irshift__";
    /// `+=`
    InplaceAdd = "INPLACE_ADD", "__iadd__";
    /// `-=`
    InplaceSubtract = "INPLACE_SUBTRACT", "__isub__";
    /// `*=`
    InplaceMultiply = "INPLACE_MULTIPLY", "__imul__";
    /// `@=`
    InplaceMatMultiply = "INPLACE_MAT_MULTIPLY", "__imatmul__";
    /// `//=`
    InplaceFloorDivide = "INPLACE_FLOOR_DIVIDE", "__ifloordiv__";
    /// `/=`
    InplaceTrueDivide = "INPLACE_TRUE_DIVIDE", "__itruediv__";
    /// `%=`
    InplaceModulo = "INPLACE_MODULO", "__imod__";
    /// `**=`
    InplacePower = "INPLACE_POWER", "__ipow__";
    /// `|`
    Or = "OR", "__or__";
    /// `^`
    Xor = "XOR", "__xor__";
    /// `&`
    And = "AND", "__and__";
    /// `<<`
    Lshift = "LSHIFT", "__lshift__";
    /// `>>`
    Rshift = "RSHIFT", "__rshift__";
    /// `+`
    Add = "ADD", "__add__";
    /// `-`
    Subtract = "SUBTRACT", "__sub__";
    /// `*`
    Multiply = "MULTIPLY", "__mul__";
    /// `@`
    MatMultiply = "MAT_MULTIPLY", "__matmul__";
    /// `//`
    FloorDivide = "FLOOR_DIVIDE", "__floordiv__";
    /// `/`
    TrueDivide = "TRUE_DIVIDE", "__truediv__";
    /// `%`
    Modulo = "MODULO", "__mod__";
    /// `**`
    Power = "POWER", "__pow__";
    /// `divmod()` (runtime only)
    Divmod = "DIVMOD", "__divmod__";
    /// containment with swapped operands (runtime only)
    Contains = "CONTAINS", "__contains__";
    /// reflected `|` (runtime only)
    ReverseOr = "REVERSE_OR", "__ror__";
    /// reflected `^` (runtime only)
    ReverseXor = "REVERSE_XOR", "__rxor__";
    /// reflected `&` (runtime only)
    ReverseAnd = "REVERSE_AND", "__rand__";
    /// reflected `<<` (runtime only)
    ReverseLshift = "REVERSE_LSHIFT", "__rlshift__";
    /// reflected `>>` (runtime only)
    ReverseRshift = "REVERSE_RSHIFT", "__rrshift__";
    /// reflected `+` (runtime only)
    ReverseAdd = "REVERSE_ADD", "__radd__";
    /// reflected `-` (runtime only)
    ReverseSubtract = "REVERSE_SUBTRACT", "__rsub__";
    /// reflected `*` (runtime only)
    ReverseMultiply = "REVERSE_MULTIPLY", "__rmul__";
    /// reflected `@` (runtime only)
    ReverseMatMultiply = "REVERSE_MAT_MULTIPLY", "__rmatmul__";
    /// reflected `//` (runtime only)
    ReverseFloorDivide = "REVERSE_FLOOR_DIVIDE", "__rfloordiv__";
    /// reflected `/` (runtime only)
    ReverseTrueDivide = "REVERSE_TRUE_DIVIDE", "__rtruediv__";
    /// reflected `%` (runtime only)
    ReverseModulo = "REVERSE_MODULO", "__rmod__";
    /// reflected `**` (runtime only)
    ReversePower = "REVERSE_POWER", "__rpow__";
    /// `not in`: synthesised by the emitter, never in bytecode or the runtime
    NotIn = "NOT_IN", "<not in>";
    /// `is not`: synthesised by the emitter, never in bytecode or the runtime
    IsNot = "IS_NOT", "<is not>";
}

// Compile-time checks that the table agrees with the byte-level classification.
const _: () = {
    let mut i = 0;
    while i < TABLE.len() {
        let row = &TABLE[i];
        assert!(row.operand.format() as u8 == format(row.op) as u8);
        assert!(multi(row.op).is_none());
        i += 1;
    }
    assert!(UNARY_OP_MULTI + UNARY_OP_MULTI_NUM <= BINARY_OP_MULTI);
    assert!(UnaryOp::NUM_BYTECODE == 4);
    assert!(BinaryOp::NUM_BYTECODE == 35);
    assert!(BinaryOp::IsNot as u8 == 51);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_match_micropython() {
        assert_eq!(LOAD_CONST_FALSE, 0x50);
        assert_eq!(LOAD_CONST_SMALL_INT, 0x22);
        assert_eq!(MAKE_CLOSURE, 0x20);
        assert_eq!(UNWIND_JUMP, 0x40);
        assert_eq!(IMPORT_STAR, 0x69);
        assert_eq!(name(CALL_METHOD_VAR_KW), "CALL_METHOD_VAR_KW");
        assert_eq!(name(0xb3), "LOAD_FAST");
        assert_eq!(name(0x00), "unknown");
        assert_eq!(name(0xfa), "unknown");
        assert_eq!(multi(0x70), Some(Multi::LoadConstSmallInt(-16)));
        assert_eq!(multi(0xaf), Some(Multi::LoadConstSmallInt(47)));
        assert_eq!(multi(0xf9), Some(Multi::BinaryOp(BinaryOp::Power)));
        assert_eq!(multi(0xfa), None);
        assert_eq!(multi(0xd3), Some(Multi::UnaryOp(UnaryOp::Not)));
        assert_eq!(multi(0xd4), None);
        assert_eq!(name(0xd6), "unknown");
    }

    #[test]
    fn table_is_unique_and_classification_consistent() {
        let mut seen = [false; 256];
        for row in TABLE {
            assert!(!seen[row.op as usize], "duplicate {}", row.name);
            seen[row.op as usize] = true;
            assert_eq!(info(row.op), Some(row));
        }
        for op in 0..=255u8 {
            if let Some(m) = multi(op) {
                assert_eq!(m.opcode(), op);
                assert_eq!(format(op), OpFormat::Byte);
                assert!(!has_extra_byte(op));
            }
        }
        let extra: [u8; 4] = [MAKE_CLOSURE, MAKE_CLOSURE_DEFARGS, UNWIND_JUMP, 0x41];
        for op in extra {
            assert!(has_extra_byte(op));
        }
        assert!(!has_extra_byte(JUMP));
    }

    #[test]
    fn operator_numbering() {
        assert_eq!(BinaryOp::InplaceOr as u8, 9);
        assert_eq!(BinaryOp::Or as u8, 22);
        assert_eq!(BinaryOp::Divmod as u8, 35);
        assert_eq!(BinaryOp::ReverseOr as u8, 37);
        assert_eq!(UnaryOp::Sizeof as u8, 11);
        assert_eq!(BinaryOp::from_u8(52), None);
    }
}
