//! Builtin modules: `sys`, `gc`, `time`, `micropython`, `errno`, `math` (feature `float`),
//! `struct` (feature `struct`), and the native modules a firmware registers.
//!
//! Corresponds to MicroPython's `py/modsys.c`, `py/modgc.c`, `py/modmicropython.c`,
//! `extmod/modtime.c`, `py/modmath.c` and the builtin-module table of `py/objmodule.c`.
//! Modules are created on first import (their dict filled from a native table), so an
//! unused module costs no RAM.

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
    let m = vm.new_module(key)?;
    vm.root(m)?;
    fill(vm, m, table)?;
    match table {
        tables::SYS => sys::init(vm, m)?,
        #[cfg(feature = "float")]
        tables::MATH => math::init(vm, m)?,
        _ => {}
    }
    vm.dict_set(vm.modules, key, m)?;
    Ok(Some(m))
}
