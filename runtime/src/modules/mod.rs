//! Builtin modules: `sys`, `gc`, `time`, `micropython`, `errno`, `math` (feature `float`),
//! `struct` (feature `struct`), and the native modules a firmware registers.
//!
//! Corresponds to MicroPython's `py/modsys.c`, `py/modgc.c`, `py/modmicropython.c`,
//! `extmod/modtime.c`, `py/modmath.c` and the builtin-module table of `py/objmodule.c`.
//! Modules are created on first import, so an unused module costs no RAM. A module's
//! functions are not copied into its dict: an attribute missing from the dict is looked up
//! in the module's native table ([`module_attr`]), so an imported `time` costs a module
//! object and a dict holding `__name__`, not a dict entry per function.

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

/// The native table whose functions are the attributes of builtin module `m` (a module
/// object), found by the module's name.
fn module_table(vm: &Vm, m: Obj) -> Option<u8> {
    let name = vm.heap.get_obj(m, 1);
    Some(match vm.str_ref(name).map(|r| vm.sbytes(r))? {
        b"sys" | b"usys" => tables::SYS,
        b"gc" => tables::GC,
        b"time" | b"utime" => tables::TIME,
        b"micropython" => tables::MICROPYTHON,
        #[cfg(feature = "struct")]
        b"struct" | b"ustruct" => tables::STRUCT,
        #[cfg(feature = "float")]
        b"math" | b"umath" => tables::MATH,
        _ => return None,
    })
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
    board::module_attr(vm, m, q)
}

/// The names [`module_attr`] answers from module `m`'s native table (for `dir()` and
/// `from m import *`).
pub fn table_names(vm: &Vm, m: Obj) -> &'static [NativeDef] {
    module_table(vm, m)
        .and_then(|t| TABLES.get(t as usize).copied())
        .unwrap_or(&[])
}

/// The builtin module named by str `key` (created and registered on first use), if there
/// is one. Not inlined: its name buffer must not sit in the frame of the import that then
/// runs module code.
#[inline(never)]
pub fn builtin_module(vm: &mut Vm, key: Obj) -> PyResult<Option<Obj>> {
    // A copy frees `vm` for what follows; this frame is gone before any module code runs.
    let mut buf = [0u8; crate::obj::module::MAX_PATH];
    let name = {
        let b = vm.str_bytes(key);
        if b.len() > buf.len() {
            return Ok(None);
        }
        buf[..b.len()].copy_from_slice(b);
        &buf[..b.len()]
    };
    let table = match name {
        b"sys" | b"usys" => tables::SYS,
        b"gc" => tables::GC,
        b"time" | b"utime" => tables::TIME,
        b"micropython" => tables::MICROPYTHON,
        #[cfg(feature = "struct")]
        b"struct" | b"ustruct" => tables::STRUCT,
        b"errno" | b"uerrno" => {
            let m = vm.new_module(key)?;
            vm.root(m)?;
            errno::init(vm, m)?;
            vm.dict_set(vm.modules, key, m)?;
            return Ok(Some(m));
        }
        b"builtins" => {
            let m = vm.new_module(key)?;
            vm.root(m)?;
            fill(vm, m, tables::BUILTINS)?;
            let g = vm.module_globals(m);
            for t in crate::builtins::builtin_type_names() {
                let name = crate::obj::types::info(t).name;
                vm.dict_set(g, Obj::qstr(name), Obj::type_obj(t))?;
            }
            vm.dict_set(vm.modules, key, m)?;
            return Ok(Some(m));
        }
        #[cfg(feature = "float")]
        b"math" | b"umath" => tables::MATH,
        _ if board::is_module(name) && board::available(vm) => {
            // Attributes come from the board and static tables (board::module_attr).
            let m = vm.new_module(key)?;
            vm.root(m)?;
            vm.dict_set(vm.modules, key, m)?;
            return Ok(Some(m));
        }
        _ => {
            // Registered native modules.
            for slot in 0..vm.ext_modules.len() {
                let def = match vm.ext_modules[slot] {
                    Some(d) if d.name.as_bytes() == name => d,
                    _ => continue,
                };
                let m = vm.new_module(key)?;
                vm.root(m)?;
                let g = vm.module_globals(m);
                for (i, f) in def.funs.iter().enumerate() {
                    let q = vm.intern(f.name.as_bytes())?;
                    let o = Obj::native_fun(tables::EXT_BASE + slot as u8, i as u16);
                    vm.dict_set(g, Obj::qstr(q), o)?;
                }
                vm.dict_set(vm.modules, key, m)?;
                return Ok(Some(m));
            }
            return Ok(None);
        }
    };
    let _ = table;
    let m = vm.new_module(key)?;
    vm.root(m)?;
    match table {
        tables::SYS => sys::init(vm, m)?,
        #[cfg(feature = "float")]
        tables::MATH => math::init(vm, m)?,
        _ => {}
    }
    vm.dict_set(vm.modules, key, m)?;
    Ok(Some(m))
}
