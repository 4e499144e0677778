//! Builtin modules: `sys`, `gc`, `time`, `micropython`, `errno`, `math` (feature `float`),
//! `struct` (feature `struct`), and the native modules a firmware registers.
//!
//! Corresponds to MicroPython's `py/modsys.c`, `py/modgc.c`, `py/modmicropython.c`,
//! `extmod/modtime.c`, `py/modmath.c` and the builtin-module table of `py/objmodule.c`.
//! Modules are created on first import, so an unused module costs no RAM. A module's
//! functions are not copied into its dict: an attribute missing from the dict is looked up
//! in the module's native table ([`module_attr`]), so an imported `time` costs a module
//! object of three words, with no dict until one is needed ([`Vm::module_dict`]).

pub mod board;
pub mod errno;
pub mod gc;
#[cfg(feature = "float")]
pub mod math;
pub mod micropython;
pub mod sys;
pub mod time;
#[cfg(feature = "struct")]
pub mod ustruct;

use crate::builtins::{tables, NativeDef, TABLES};
use crate::obj::Obj;
use crate::vm::Vm;
use crate::PyResult;

/// Fill a module's globals from a native table.
fn fill(vm: &mut Vm, m: Obj, table: u8) -> PyResult<()> {
    let g = vm.module_globals(m);
    let t: &[NativeDef] = TABLES.get(table as usize).copied().unwrap_or(&[]);
    for (i, d) in t.iter().enumerate() {
        vm.dict_set(g, Obj::qstr(d.name), Obj::native_fun(table, i as u16))?;
    }
    Ok(())
}

/// What a builtin module name stands for.
enum Kind {
    /// A module whose functions are a native table (and, for `sys` and `math`, data).
    Table(u8),
    Errno,
    Builtins,
    /// A hardware module (only with a board).
    Board,
    /// A module the firmware registered, in this slot.
    Ext(usize),
}

fn classify(vm: &Vm, name: &[u8]) -> Option<Kind> {
    Some(Kind::Table(match name {
        b"sys" | b"usys" => tables::SYS,
        b"gc" => tables::GC,
        b"time" | b"utime" => tables::TIME,
        b"micropython" => tables::MICROPYTHON,
        #[cfg(feature = "struct")]
        b"struct" | b"ustruct" => tables::STRUCT,
        #[cfg(feature = "float")]
        b"math" | b"umath" => tables::MATH,
        b"errno" | b"uerrno" => return Some(Kind::Errno),
        b"builtins" => return Some(Kind::Builtins),
        _ if board::is_module(name) => return Some(Kind::Board),
        _ => {
            return vm
                .ext_modules
                .iter()
                .position(|d| d.is_some_and(|d| d.name.as_bytes() == name))
                .map(Kind::Ext)
        }
    }))
}

/// A builtin module's `native` word for the hardware modules (table ids are below it).
const NATIVE_BOARD: isize = 0x100;

/// The native table whose functions are the attributes of builtin module `m` (a module
/// object), from its `native` word.
fn module_table(vm: &Vm, m: Obj) -> Option<u8> {
    let native = vm.heap.get_obj(m, crate::obj::module::MODULE_NATIVE);
    native
        .is_small()
        .then(|| u8::try_from(native.small_value()).ok())
        .flatten()
}

/// An attribute of module `m` that its dict lacks: a function of its native table, or a
/// hardware module's attribute.
pub fn module_attr(vm: &mut Vm, m: Obj, q: crate::qstr::Qstr) -> Option<Obj> {
    if let Some(t) = module_table(vm, m) {
        let defs: &[NativeDef] = TABLES.get(t as usize).copied().unwrap_or(&[]);
        return defs
            .iter()
            .position(|d| d.name == q)
            .map(|i| Obj::native_fun(t, i as u16));
    }
    let native = vm.heap.get_obj(m, crate::obj::module::MODULE_NATIVE);
    if native == Obj::small_unchecked(NATIVE_BOARD) {
        return board::module_attr(vm, m, q);
    }
    None
}

/// The names [`module_attr`] answers from module `m`'s native table (for `dir()` and
/// `from m import *`).
pub fn table_names(vm: &Vm, m: Obj) -> &'static [NativeDef] {
    module_table(vm, m)
        .and_then(|t| TABLES.get(t as usize).copied())
        .unwrap_or(&[])
}

/// The builtin module named by str `key` (created and registered on first use), if there
/// is one.
pub fn builtin_module(vm: &mut Vm, key: Obj) -> PyResult<Option<Obj>> {
    let kind = match vm.str_ref(key).map(|r| classify(vm, vm.sbytes(r))) {
        Some(Some(kind)) => kind,
        _ => return Ok(None),
    };
    if matches!(kind, Kind::Board) && !board::available(vm) {
        return Ok(None);
    }
    // Where the module's attributes beyond its dict come from ([`module_attr`]).
    let native = match kind {
        Kind::Table(t) => Obj::small_unchecked(t as isize),
        Kind::Board => Obj::small_unchecked(NATIVE_BOARD),
        _ => Obj::NULL,
    };
    let m = match kind {
        // Functions come from the table, hardware attributes from the board and static
        // tables: no dict until one is needed.
        Kind::Table(t) if t != tables::SYS && t != tables::MATH => {
            vm.new_builtin_module(key, native)?
        }
        Kind::Board => vm.new_builtin_module(key, native)?,
        _ => {
            let m = vm.new_module(key)?;
            vm.heap
                .set_obj(m, crate::obj::module::MODULE_NATIVE, native);
            m
        }
    };
    vm.root(m)?;
    match kind {
        Kind::Table(tables::SYS) => sys::init(vm, m)?,
        #[cfg(feature = "float")]
        Kind::Table(tables::MATH) => math::init(vm, m)?,
        // Functions come from the table, hardware attributes from the board and static
        // tables ([`module_attr`]).
        Kind::Table(_) | Kind::Board => {}
        Kind::Errno => errno::init(vm, m)?,
        Kind::Builtins => {
            fill(vm, m, tables::BUILTINS)?;
            let g = vm.module_globals(m);
            for t in crate::builtins::builtin_type_names() {
                let name = crate::obj::types::info(t).name;
                vm.dict_set(g, Obj::qstr(name), Obj::type_obj(t))?;
            }
        }
        Kind::Ext(slot) => {
            let funs = vm.ext_modules[slot].map_or(&[][..], |d| d.funs);
            let g = vm.module_globals(m);
            for (i, f) in funs.iter().enumerate() {
                let q = vm.intern(f.name.as_bytes())?;
                let o = Obj::native_fun(tables::EXT_BASE + slot as u8, i as u16);
                vm.dict_set(g, Obj::qstr(q), o)?;
            }
        }
    }
    vm.dict_set(vm.modules, key, m)?;
    Ok(Some(m))
}
