//! The table of builtin types: name, base type and method table.
//!
//! Corresponds to the `MP_DEFINE_CONST_OBJ_TYPE` definitions spread over MicroPython's
//! `py/obj*.c` files (the `name`, `parent` and `locals_dict` slots). Behaviour slots
//! (`print`, `binary_op`, `subscr`, `getiter` ...) are not function pointers here: the
//! operations in [`crate::runtime`] and [`crate::print`] dispatch on the type id.

use crate::builtins::tables as t;
use crate::obj::TypeId;
use crate::q;
use crate::qstr::Qstr;

/// A builtin type.
pub struct TypeInfo {
    /// Name as `type(x).__name__` shows it.
    pub name: Qstr,
    /// The base type (`object`'s base is itself).
    pub base: TypeId,
    /// Native method table id ([`crate::builtins::tables`]), or `NONE`.
    pub methods: u8,
    /// Whether user classes may derive from it.
    pub subclassable: bool,
}

const fn ty(name: Qstr, base: TypeId, methods: u8, subclassable: bool) -> TypeInfo {
    TypeInfo {
        name,
        base,
        methods,
        subclassable,
    }
}

const fn exc(name: Qstr, base: TypeId) -> TypeInfo {
    ty(name, base, t::EXC, true)
}

const UNUSED: TypeInfo = ty(q!(""), TypeId::OBJECT, t::NONE, false);

/// Type info by type id.
pub static TYPES: [TypeInfo; TypeId::COUNT] = build();

const fn build() -> [TypeInfo; TypeId::COUNT] {
    use TypeId as T;
    let mut a = [UNUSED; TypeId::COUNT];
    a[T::OBJECT.0 as usize] = ty(q!("object"), T::OBJECT, t::OBJECT, true);
    a[T::NONE.0 as usize] = ty(q!("NoneType"), T::OBJECT, t::NONE, false);
    a[T::BOOL.0 as usize] = ty(q!("bool"), T::OBJECT, t::INT, false);
    a[T::INT.0 as usize] = ty(q!("int"), T::OBJECT, t::INT, true);
    a[T::FLOAT.0 as usize] = ty(q!("float"), T::OBJECT, t::FLOAT, true);
    a[T::COMPLEX.0 as usize] = ty(q!("complex"), T::OBJECT, t::COMPLEX, false);
    a[T::STR.0 as usize] = ty(q!("str"), T::OBJECT, t::STR, true);
    a[T::BYTES.0 as usize] = ty(q!("bytes"), T::OBJECT, t::BYTES, true);
    a[T::BYTEARRAY.0 as usize] = ty(q!("bytearray"), T::OBJECT, t::BYTEARRAY, true);
    a[T::TUPLE.0 as usize] = ty(q!("tuple"), T::OBJECT, t::TUPLE, true);
    a[T::LIST.0 as usize] = ty(q!("list"), T::OBJECT, t::LIST, true);
    a[T::DICT.0 as usize] = ty(q!("dict"), T::OBJECT, t::DICT, true);
    a[T::SET.0 as usize] = ty(q!("set"), T::OBJECT, t::SET, true);
    a[T::FROZENSET.0 as usize] = ty(q!("frozenset"), T::OBJECT, t::FROZENSET, false);
    a[T::RANGE.0 as usize] = ty(q!("range"), T::OBJECT, t::RANGE, false);
    a[T::SLICE.0 as usize] = ty(q!("slice"), T::OBJECT, t::SLICE, false);
    a[T::FUNCTION.0 as usize] = ty(q!("function"), T::OBJECT, t::NONE, false);
    a[T::NATIVE_FUN.0 as usize] = ty(q!("function"), T::OBJECT, t::NONE, false);
    a[T::BOUND_METH.0 as usize] = ty(q!("bound_method"), T::OBJECT, t::NONE, false);
    a[T::GENERATOR.0 as usize] = ty(q!("generator"), T::OBJECT, t::GEN, false);
    a[T::TYPE.0 as usize] = ty(q!("type"), T::OBJECT, t::TYPE, false);
    a[T::MODULE.0 as usize] = ty(q!("module"), T::OBJECT, t::NONE, false);
    a[T::CELL.0 as usize] = ty(q!("cell"), T::OBJECT, t::NONE, false);
    a[T::PROPERTY.0 as usize] = ty(q!("property"), T::OBJECT, t::PROPERTY, true);
    a[T::STATICMETHOD.0 as usize] = ty(q!("staticmethod"), T::OBJECT, t::NONE, false);
    a[T::CLASSMETHOD.0 as usize] = ty(q!("classmethod"), T::OBJECT, t::NONE, false);
    a[T::SUPER.0 as usize] = ty(q!("super"), T::OBJECT, t::NONE, false);
    a[T::ELLIPSIS_T.0 as usize] = ty(q!("ellipsis"), T::OBJECT, t::NONE, false);
    a[T::NOTIMPL_T.0 as usize] = ty(q!("NotImplementedType"), T::OBJECT, t::NONE, false);
    a[T::SEQ_ITER.0 as usize] = ty(q!("iterator"), T::OBJECT, t::NONE, false);
    a[T::RANGE_ITER.0 as usize] = ty(q!("iterator"), T::OBJECT, t::NONE, false);
    a[T::STR_ITER.0 as usize] = ty(q!("iterator"), T::OBJECT, t::NONE, false);
    a[T::DICT_VIEW.0 as usize] = ty(q!("dict_view"), T::OBJECT, t::NONE, false);
    a[T::DICT_ITER.0 as usize] = ty(q!("iterator"), T::OBJECT, t::NONE, false);
    a[T::ENUMERATE.0 as usize] = ty(q!("enumerate"), T::OBJECT, t::NONE, false);
    a[T::ZIP.0 as usize] = ty(q!("zip"), T::OBJECT, t::NONE, false);
    a[T::MAP.0 as usize] = ty(q!("map"), T::OBJECT, t::NONE, false);
    a[T::FILTER.0 as usize] = ty(q!("filter"), T::OBJECT, t::NONE, false);
    a[T::REVERSED.0 as usize] = ty(q!("reversed"), T::OBJECT, t::NONE, false);
    a[T::CALL_ITER.0 as usize] = ty(q!("iterator"), T::OBJECT, t::NONE, false);
    a[T::BIGINT.0 as usize] = ty(q!("int"), T::OBJECT, t::INT, false);
    a[T::MEMVIEW.0 as usize] = ty(q!("memoryview"), T::OBJECT, t::MEMVIEW, false);
    a[T::STDIO.0 as usize] = ty(q!("TextIOWrapper"), T::OBJECT, t::STDIO, false);
    a[T::BOARD_PIN.0 as usize] = ty(q!("Pin"), T::OBJECT, t::NONE, false);
    a[T::DIGITALINOUT.0 as usize] = ty(q!("DigitalInOut"), T::OBJECT, t::DIGITALINOUT, false);
    a[T::MACHINE_PIN.0 as usize] = ty(q!("Pin"), T::OBJECT, t::MACHINE_PIN, false);
    a[T::DIRECTION.0 as usize] = ty(q!("Direction"), T::OBJECT, t::NONE, false);
    a[T::PULL.0 as usize] = ty(q!("Pull"), T::OBJECT, t::NONE, false);
    a[T::DRIVE_MODE.0 as usize] = ty(q!("DriveMode"), T::OBJECT, t::NONE, false);
    a[T::BASE_EXCEPTION.0 as usize] = exc(q!("BaseException"), T::OBJECT);
    a[T::SYSTEM_EXIT.0 as usize] = exc(q!("SystemExit"), T::BASE_EXCEPTION);
    a[T::KEYBOARD_INTERRUPT.0 as usize] = exc(q!("KeyboardInterrupt"), T::BASE_EXCEPTION);
    a[T::GENERATOR_EXIT.0 as usize] = exc(q!("GeneratorExit"), T::BASE_EXCEPTION);
    a[T::EXCEPTION.0 as usize] = exc(q!("Exception"), T::BASE_EXCEPTION);
    a[T::STOP_ITERATION.0 as usize] = exc(q!("StopIteration"), T::EXCEPTION);
    a[T::STOP_ASYNC_ITERATION.0 as usize] = exc(q!("StopAsyncIteration"), T::EXCEPTION);
    a[T::ARITHMETIC_ERROR.0 as usize] = exc(q!("ArithmeticError"), T::EXCEPTION);
    a[T::OVERFLOW_ERROR.0 as usize] = exc(q!("OverflowError"), T::ARITHMETIC_ERROR);
    a[T::ZERO_DIVISION_ERROR.0 as usize] = exc(q!("ZeroDivisionError"), T::ARITHMETIC_ERROR);
    a[T::ASSERTION_ERROR.0 as usize] = exc(q!("AssertionError"), T::EXCEPTION);
    a[T::ATTRIBUTE_ERROR.0 as usize] = exc(q!("AttributeError"), T::EXCEPTION);
    a[T::EOF_ERROR.0 as usize] = exc(q!("EOFError"), T::EXCEPTION);
    a[T::IMPORT_ERROR.0 as usize] = exc(q!("ImportError"), T::EXCEPTION);
    a[T::MODULE_NOT_FOUND_ERROR.0 as usize] = exc(q!("ModuleNotFoundError"), T::IMPORT_ERROR);
    a[T::LOOKUP_ERROR.0 as usize] = exc(q!("LookupError"), T::EXCEPTION);
    a[T::INDEX_ERROR.0 as usize] = exc(q!("IndexError"), T::LOOKUP_ERROR);
    a[T::KEY_ERROR.0 as usize] = exc(q!("KeyError"), T::LOOKUP_ERROR);
    a[T::MEMORY_ERROR.0 as usize] = exc(q!("MemoryError"), T::EXCEPTION);
    a[T::NAME_ERROR.0 as usize] = exc(q!("NameError"), T::EXCEPTION);
    a[T::UNBOUND_LOCAL_ERROR.0 as usize] = exc(q!("UnboundLocalError"), T::NAME_ERROR);
    a[T::OS_ERROR.0 as usize] = exc(q!("OSError"), T::EXCEPTION);
    a[T::RUNTIME_ERROR.0 as usize] = exc(q!("RuntimeError"), T::EXCEPTION);
    a[T::RECURSION_ERROR.0 as usize] = exc(q!("RecursionError"), T::RUNTIME_ERROR);
    a[T::NOT_IMPLEMENTED_ERROR.0 as usize] = exc(q!("NotImplementedError"), T::RUNTIME_ERROR);
    a[T::SYNTAX_ERROR.0 as usize] = exc(q!("SyntaxError"), T::EXCEPTION);
    a[T::INDENTATION_ERROR.0 as usize] = exc(q!("IndentationError"), T::SYNTAX_ERROR);
    a[T::TYPE_ERROR.0 as usize] = exc(q!("TypeError"), T::EXCEPTION);
    a[T::VALUE_ERROR.0 as usize] = exc(q!("ValueError"), T::EXCEPTION);
    a[T::UNICODE_ERROR.0 as usize] = exc(q!("UnicodeError"), T::VALUE_ERROR);
    a
}

/// Type info of a builtin type id (the `object` entry for unknown ids).
pub fn info(t: TypeId) -> &'static TypeInfo {
    TYPES.get(t.0 as usize).unwrap_or(&TYPES[0])
}

/// Whether builtin type `t` is `base` or derives from it.
pub fn builtin_is_subclass(mut t: TypeId, base: TypeId) -> bool {
    if base == TypeId::OBJECT {
        return true;
    }
    for _ in 0..16 {
        if t == base {
            return true;
        }
        let b = info(t).base;
        if b == t {
            return false;
        }
        t = b;
    }
    false
}
