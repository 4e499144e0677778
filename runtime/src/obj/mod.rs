//! Object representation: the tagged machine word [`Obj`], heap object headers and the
//! builtin type ids; one submodule per type, as MicroPython's `py/obj*.c` files.
//!
//! Corresponds to `py/obj.h` (object representation "A": small ints in odd words) and the
//! `mp_obj_type_t` table entries of each `py/objXXX.c`.
//!
//! Where we differ from MicroPython:
//! - heap references are byte offsets from the start of the heap's block area, not pointers;
//! - builtin types, builtin functions and a few constants are *immediates* (tag `..110`)
//!   instead of pointers to ROM structures, so they cost no heap and no relocations;
//! - every heap allocation starts with a header word (type id and flags), including the
//!   internal arrays MicroPython allocates raw; the GC reads it to skip leaf objects
//!   (strings, floats, big-int digits) instead of scanning them conservatively.

#[cfg(any(feature = "bigint", feature = "float"))]
pub mod bigint;
pub mod bytes;
#[cfg(feature = "complex")]
pub mod complex;
pub mod dict;
pub mod exception;
#[cfg(feature = "float")]
pub mod float;
pub mod fun;
pub mod gen;
pub mod instance;
pub mod int;
pub mod iter;
pub mod list;
pub mod module;
pub mod range;
#[cfg(feature = "set")]
pub mod set;
#[cfg(not(feature = "set"))]
#[path = "set_off.rs"]
pub mod set;
pub mod str;
pub mod strmethods;
pub mod tuple;
pub mod types;

use crate::qstr::Qstr;

/// A Python value: one machine word, tagged in its low bits.
///
/// - `...1`: small int (the word shifted right by one, arithmetically);
/// - `..010`: qstr (`id << 3`);
/// - `..110`: immediate (None, booleans, builtin types and functions, internal sentinels);
/// - `..100`: reference into a read-only image (reserved for frozen code);
/// - `..000`: heap reference, a byte offset from the start of the block area; `Obj(0)`
///   is the null object (`MP_OBJ_NULL`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
#[repr(transparent)]
pub struct Obj(pub(crate) usize);

const TAG_QSTR: usize = 0b010;
const TAG_IMM: usize = 0b110;
const TAG_ROM: usize = 0b100;

/// Kinds of immediate objects (the low bits of the immediate payload).
const IMM_KIND_BITS: u32 = 3;
const IMM_CONST: usize = 0;
const IMM_TYPE: usize = 1;
const IMM_FUN: usize = 2;
const IMM_PIN: usize = 3;
const IMM_ENUM: usize = 4;

/// Number of value bits in a small int on this build (the word minus the tag bit).
pub const SMALL_INT_BITS: u32 = usize::BITS - 1;
/// Largest small int.
pub const SMALL_INT_MAX: isize = isize::MAX >> 1;
/// Smallest small int.
pub const SMALL_INT_MIN: isize = isize::MIN >> 1;

/// Native-function tables are addressed by (table, index); this many bits hold the index.
pub(crate) const FUN_INDEX_BITS: u32 = 12;

impl Obj {
    /// `MP_OBJ_NULL`: no object (empty slot, unbound local, "not found").
    pub const NULL: Obj = Obj(0);
    /// `None`.
    pub const NONE: Obj = Obj::imm(IMM_CONST, 0);
    /// `False`.
    pub const FALSE: Obj = Obj::imm(IMM_CONST, 1);
    /// `True`.
    pub const TRUE: Obj = Obj::imm(IMM_CONST, 2);
    /// `...`.
    pub const ELLIPSIS: Obj = Obj::imm(IMM_CONST, 3);
    /// `NotImplemented`.
    pub const NOT_IMPLEMENTED: Obj = Obj::imm(IMM_CONST, 4);
    /// Internal: "no value" distinct from NULL (`MP_OBJ_SENTINEL`).
    pub const SENTINEL: Obj = Obj::imm(IMM_CONST, 5);
    /// Internal: an iterator is exhausted (`MP_OBJ_STOP_ITERATION`).
    pub const STOP: Obj = Obj::imm(IMM_CONST, 6);
    /// Internal: a deleted dict entry.
    pub const DELETED: Obj = Obj::imm(IMM_CONST, 7);
    /// Internal: marks an inline (stack-allocated) sequence iterator in a for loop.
    pub const ITER_SEQ: Obj = Obj::imm(IMM_CONST, 8);
    /// Internal: marks an inline range iterator in a for loop.
    pub const ITER_RANGE: Obj = Obj::imm(IMM_CONST, 9);

    const fn imm(kind: usize, index: usize) -> Obj {
        Obj((index << IMM_KIND_BITS | kind) << 3 | TAG_IMM)
    }

    /// The raw word (for hashing by identity and debugging).
    #[inline]
    pub const fn raw(self) -> usize {
        self.0
    }

    /// A small int, if `v` fits.
    #[inline]
    pub const fn small(v: isize) -> Option<Obj> {
        if v >= SMALL_INT_MIN && v <= SMALL_INT_MAX {
            Some(Obj((v << 1) as usize | 1))
        } else {
            None
        }
    }

    /// A small int from a value known to fit (values out of range wrap: callers check).
    #[inline]
    pub const fn small_unchecked(v: isize) -> Obj {
        Obj((v << 1) as usize | 1)
    }

    /// Whether this is a small int.
    #[inline]
    pub const fn is_small(self) -> bool {
        self.0 & 1 == 1
    }

    /// The value of a small int (meaningless for other objects).
    #[inline]
    pub const fn small_value(self) -> isize {
        (self.0 as isize) >> 1
    }

    /// A qstr object.
    #[inline]
    pub const fn qstr(q: Qstr) -> Obj {
        Obj((q.0 as usize) << 3 | TAG_QSTR)
    }

    /// Whether this is a qstr.
    #[inline]
    pub const fn is_qstr(self) -> bool {
        self.0 & 7 == TAG_QSTR
    }

    /// The qstr of a qstr object (meaningless for other objects).
    #[inline]
    pub const fn qstr_value(self) -> Qstr {
        Qstr((self.0 >> 3) as u16)
    }

    /// Whether this is an immediate (None, bools, builtin types/functions, sentinels).
    #[inline]
    pub const fn is_imm(self) -> bool {
        self.0 & 7 == TAG_IMM
    }

    /// Whether this is a reference into a read-only image.
    #[inline]
    pub const fn is_rom(self) -> bool {
        self.0 & 7 == TAG_ROM
    }

    /// Whether this is a (non-null) heap reference.
    #[inline]
    pub const fn is_heap(self) -> bool {
        self.0 & 7 == 0 && self.0 != 0
    }

    /// Whether this is the null object.
    #[inline]
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }

    /// Byte offset of a heap object in the block area.
    #[inline]
    pub(crate) const fn offset(self) -> usize {
        self.0
    }

    /// A heap reference from an offset returned by the allocator.
    #[inline]
    pub(crate) const fn from_offset(off: usize) -> Obj {
        Obj(off)
    }

    /// The bool object for `b`.
    #[inline]
    pub const fn bool(b: bool) -> Obj {
        if b {
            Obj::TRUE
        } else {
            Obj::FALSE
        }
    }

    /// The type object of a builtin type.
    #[inline]
    pub const fn type_obj(t: TypeId) -> Obj {
        Obj::imm(IMM_TYPE, t.0 as usize)
    }

    /// The builtin type this immediate names, if it is a builtin type object.
    #[inline]
    pub const fn as_builtin_type(self) -> Option<TypeId> {
        if self.is_imm() && (self.0 >> 3) & ((1 << IMM_KIND_BITS) - 1) == IMM_TYPE {
            Some(TypeId((self.0 >> (3 + IMM_KIND_BITS)) as u16))
        } else {
            None
        }
    }

    /// A native function by table and index.
    /// A board pin (`board.D13`): an immediate holding the board's pin number.
    #[inline]
    pub const fn board_pin(pin: u8) -> Obj {
        Obj::imm(IMM_PIN, pin as usize)
    }

    /// The pin number of a board pin immediate.
    #[inline]
    pub const fn as_board_pin(self) -> Option<u8> {
        if self.is_imm() && (self.0 >> 3) & ((1 << IMM_KIND_BITS) - 1) == IMM_PIN {
            Some((self.0 >> (3 + IMM_KIND_BITS)) as u8)
        } else {
            None
        }
    }

    /// A value of a builtin enumeration type (`digitalio.Direction.OUTPUT`): an immediate
    /// holding the type id and a small value.
    #[inline]
    pub const fn enum_value(t: TypeId, v: u8) -> Obj {
        Obj::imm(IMM_ENUM, (t.0 as usize) << 8 | v as usize)
    }

    /// The type and value of an enumeration immediate.
    #[inline]
    pub const fn as_enum_value(self) -> Option<(TypeId, u8)> {
        if self.is_imm() && (self.0 >> 3) & ((1 << IMM_KIND_BITS) - 1) == IMM_ENUM {
            let p = self.0 >> (3 + IMM_KIND_BITS);
            Some((TypeId((p >> 8) as u16), (p & 0xff) as u8))
        } else {
            None
        }
    }

    #[inline]
    pub const fn native_fun(table: u8, index: u16) -> Obj {
        Obj::imm(IMM_FUN, (table as usize) << FUN_INDEX_BITS | index as usize)
    }

    /// (table, index) of a native function immediate.
    #[inline]
    pub const fn as_native_fun(self) -> Option<(u8, u16)> {
        if self.is_imm() && (self.0 >> 3) & ((1 << IMM_KIND_BITS) - 1) == IMM_FUN {
            let p = self.0 >> (3 + IMM_KIND_BITS);
            Some((
                (p >> FUN_INDEX_BITS) as u8,
                (p & ((1 << FUN_INDEX_BITS) - 1)) as u16,
            ))
        } else {
            None
        }
    }
}

/// A builtin type number. User classes are heap objects; their instances' headers carry
/// [`TypeId::INSTANCE`] (or [`TypeId::EXC`] for exception subclasses).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct TypeId(pub u16);

macro_rules! type_ids {
    ($($name:ident = $v:expr;)*) => {
        impl TypeId { $( #[allow(missing_docs)] pub const $name: TypeId = TypeId($v); )* }
    };
}

type_ids! {
    OBJECT = 0; NONE = 1; BOOL = 2; INT = 3; FLOAT = 4; COMPLEX = 5; STR = 6; BYTES = 7;
    BYTEARRAY = 8; TUPLE = 9; LIST = 10; DICT = 11; SET = 12; FROZENSET = 13; RANGE = 14;
    SLICE = 15; FUNCTION = 16; NATIVE_FUN = 17; BOUND_METH = 18; GENERATOR = 19; TYPE = 20;
    MODULE = 21; CELL = 22; PROPERTY = 23; STATICMETHOD = 24; CLASSMETHOD = 25; SUPER = 26;
    ELLIPSIS_T = 27; NOTIMPL_T = 28;
    // iterators and views
    SEQ_ITER = 29; RANGE_ITER = 30; STR_ITER = 31; DICT_VIEW = 32; DICT_ITER = 33;
    ENUMERATE = 34; ZIP = 35; MAP = 36; FILTER = 37; REVERSED = 38; CALL_ITER = 39;
    // internal layouts (not Python-visible types)
    INSTANCE = 40; EXC = 41; FRAME = 42; RAW_CODE = 43; CONTEXT = 44; ARRAY = 45;
    DICT_TABLE = 46; VSTR = 47; BIGINT = 48; QSTR_POOL = 49; STDIO = 50; MEMVIEW = 51;
    // hardware (modules/board.rs): board pins and enum values are immediates
    BOARD_PIN = 52; DIGITALINOUT = 53; MACHINE_PIN = 54; DIRECTION = 55; PULL = 56;
    DRIVE_MODE = 57;
    // exceptions
    BASE_EXCEPTION = 64; SYSTEM_EXIT = 65; KEYBOARD_INTERRUPT = 66; GENERATOR_EXIT = 67;
    EXCEPTION = 68; STOP_ITERATION = 69; ARITHMETIC_ERROR = 70; OVERFLOW_ERROR = 71;
    ZERO_DIVISION_ERROR = 72; ASSERTION_ERROR = 73; ATTRIBUTE_ERROR = 74; EOF_ERROR = 75;
    IMPORT_ERROR = 76; LOOKUP_ERROR = 77; INDEX_ERROR = 78; KEY_ERROR = 79; MEMORY_ERROR = 80;
    NAME_ERROR = 81; OS_ERROR = 82; RUNTIME_ERROR = 83; NOT_IMPLEMENTED_ERROR = 84;
    SYNTAX_ERROR = 85; INDENTATION_ERROR = 86; TYPE_ERROR = 87; VALUE_ERROR = 88;
    UNICODE_ERROR = 89; STOP_ASYNC_ITERATION = 90; UNBOUND_LOCAL_ERROR = 91;
    RECURSION_ERROR = 92; MODULE_NOT_FOUND_ERROR = 93;
}

impl TypeId {
    /// First exception type id.
    pub const FIRST_EXC: TypeId = TypeId::BASE_EXCEPTION;
    /// One past the last exception type id.
    pub const END_EXC: TypeId = TypeId(94);
    /// Number of type ids (size of the type table).
    pub const COUNT: usize = 94;

    /// Whether this is one of the builtin exception types.
    pub const fn is_exception(self) -> bool {
        self.0 >= TypeId::FIRST_EXC.0 && self.0 < TypeId::END_EXC.0
    }
}

/// Header word of every heap allocation: `tid << 8 | flags << 1 | 1`. The low bit makes it
/// look like a small int, so conservative scanning never mistakes it for a reference.
pub(crate) mod header {
    use super::TypeId;

    /// The object holds no references (strings, floats, big-int digits): not scanned.
    pub const LEAF: usize = 1;
    /// A str whose text is all ASCII (byte index = character index).
    pub const ASCII: usize = 2;

    /// Header word for a type and flags.
    #[inline]
    pub const fn make(tid: TypeId, flags: usize) -> usize {
        (tid.0 as usize) << 8 | (flags & 0x7f) << 1 | 1
    }

    /// Type id of a header word.
    #[inline]
    pub const fn tid(h: usize) -> TypeId {
        TypeId((h >> 8) as u16)
    }

    /// Flags of a header word.
    #[inline]
    pub const fn flags(h: usize) -> usize {
        (h >> 1) & 0x7f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_disjoint() {
        let s = Obj::small(-5).unwrap();
        assert!(s.is_small() && !s.is_qstr() && !s.is_imm() && !s.is_heap());
        assert_eq!(s.small_value(), -5);
        assert_eq!(
            Obj::small(SMALL_INT_MAX).unwrap().small_value(),
            SMALL_INT_MAX
        );
        assert!(Obj::small(SMALL_INT_MAX + 1).is_none());
        let q = Obj::qstr(Qstr(77));
        assert!(q.is_qstr() && q.qstr_value() == Qstr(77));
        assert!(Obj::NONE.is_imm() && !Obj::NONE.is_heap() && Obj::NULL.is_null());
        let t = Obj::type_obj(TypeId::LIST);
        assert_eq!(t.as_builtin_type(), Some(TypeId::LIST));
        assert_eq!(t.as_native_fun(), None);
        let f = Obj::native_fun(3, 17);
        assert_eq!(f.as_native_fun(), Some((3, 17)));
        assert_eq!(f.as_builtin_type(), None);
        assert!(Obj::from_offset(32).is_heap());
        assert_eq!(
            header::tid(header::make(TypeId::DICT, header::LEAF)),
            TypeId::DICT
        );
        assert_eq!(header::make(TypeId::DICT, 0) & 1, 1);
    }
}
