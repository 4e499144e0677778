//! Builtin modules: `sys`, `gc`, `time`, `micropython`, `errno`, `math` (feature `float`),
//! `struct` (feature `struct`), and the native modules a firmware registers.
//!
//! Corresponds to MicroPython's `py/modsys.c`, `py/modgc.c`, `py/modmicropython.c`,
//! `extmod/modtime.c`, `py/modmath.c` and the builtin-module table of `py/objmodule.c`.
//! Modules are created on first import, so an unused module costs no RAM. A module's
//! functions are not copied into its dict: an attribute missing from the dict is looked up
//! in the module's native table ([`module_attr`]), so an imported `time` costs a module
//! object of three words, with no dict until one is needed ([`Vm::module_dict`]).

#[cfg(feature = "board")]
pub mod board;
#[cfg(not(feature = "board"))]
#[path = "board_off.rs"]
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
use crate::q;
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

/// What module `name` stands for, and whether `name` is `u` + a builtin module's name
/// (`sys`, `time`, `struct`, `math` and `errno` answer to one: the same module object).
/// Out of line: the name lookup's locals stay out of the frames below [`builtin_module`]
/// (a module's creation may collect, the deepest point of a program).
#[inline(never)]
fn classify(vm: &Vm, name: &[u8]) -> Option<(Kind, bool)> {
    // Builtin module names (but `struct`) are builtin qstrs: compare ids, not text.
    let (alias, base) = match name {
        [b'u', rest @ ..] => (true, rest),
        _ => (false, name),
    };
    #[cfg(feature = "struct")]
    if base == b"struct" {
        return Some((Kind::Table(tables::STRUCT), alias));
    }
    if let Some(q) = crate::qstr::find_builtin(base, crate::qstr::hash_bytes(base)) {
        let t = match q {
            q if q == q!("sys") => tables::SYS,
            q if q == q!("time") => tables::TIME,
            #[cfg(feature = "float")]
            q if q == q!("math") => tables::MATH,
            q if q == q!("errno") => return Some((Kind::Errno, alias)),
            _ if alias => return ext_module(vm, name),
            q if q == q!("gc") => tables::GC,
            q if q == q!("micropython") => tables::MICROPYTHON,
            q if q == q!("builtins") => return Some((Kind::Builtins, false)),
            q if board::is_module(q) => return Some((Kind::Board, false)),
            _ => return ext_module(vm, name),
        };
        return Some((Kind::Table(t), alias));
    }
    ext_module(vm, name)
}

/// The slot of the firmware-registered module named `name`.
fn ext_module(vm: &Vm, name: &[u8]) -> Option<(Kind, bool)> {
    vm.ext_modules
        .iter()
        .position(|d| d.is_some_and(|d| d.name.as_bytes() == name))
        .map(|slot| (Kind::Ext(slot), false))
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

/// For `u` + a builtin module's name (str `key`): `Ok(m)`, the module without the `u` when
/// it is already imported (now registered under `key` too), else `Err(name)`, that name as
/// a str, for the caller to create the module under. Out of line, so that its locals are
/// not in [`builtin_module`]'s frame.
#[inline(never)]
fn alias_base(vm: &mut Vm, key: Obj) -> PyResult<Result<Obj, Obj>> {
    vm.root(key)?;
    let r = vm
        .str_ref(key)
        .unwrap_or(crate::obj::str::SRef::Static(b""));
    let base = vm.new_str_from_ref(crate::obj::TypeId::STR, r, 1, usize::MAX)?;
    vm.root(base)?;
    if let Some(m) = vm.dict_get(vm.modules, base)? {
        vm.dict_set(vm.modules, key, m)?;
        return Ok(Ok(m));
    }
    Ok(Err(base))
}

/// The builtin module named by str `key` (created and registered on first use), if there
/// is one.
pub fn builtin_module(vm: &mut Vm, key: Obj) -> PyResult<Option<Obj>> {
    let (kind, is_alias) = match vm.str_ref(key).map(|r| classify(vm, vm.sbytes(r))) {
        Some(Some(found)) => found,
        _ => return Ok(None),
    };
    // For `u` + a name: the module is made under the name and also registered as `alias`.
    let (key, alias) = if is_alias {
        match alias_base(vm, key)? {
            Ok(m) => return Ok(Some(m)),
            Err(base) => (base, key),
        }
    } else {
        (key, Obj::NULL)
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
    if !alias.is_null() {
        vm.dict_set(vm.modules, alias, m)?;
    }
    Ok(Some(m))
}
