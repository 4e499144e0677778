//! The `micropython` module.
//!
//! Corresponds to MicroPython's `py/modmicropython.c`.

use crate::builtins::{function, NativeDef};
use crate::obj::Obj;
use crate::vm::Vm;
use crate::{q, PyResult};

fn const_(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    Ok(args[0])
}

fn opt_level(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        Some(&v) => {
            vm.opt_level = vm.to_isize(v)?;
            Ok(Obj::NONE)
        }
        None => Ok(Obj::small_unchecked(vm.opt_level)),
    }
}

fn heap_lock(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.heap_locked += 1;
    Ok(Obj::NONE)
}

fn schedule(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    vm.call(args[0], &args[1..], Obj::NULL)?;
    Ok(Obj::NONE)
}

fn stack_use(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(0))
}

fn nothing(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::NONE)
}

fn heap_unlock(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.heap_locked = vm.heap_locked.saturating_sub(1);
    Ok(Obj::small_unchecked(vm.heap_locked as isize))
}

/// `micropython` functions.
pub static FUNS: [NativeDef; 9] = [
    function(q!("const"), const_),
    function(q!("heap_lock"), heap_lock),
    function(q!("heap_unlock"), heap_unlock),
    function(q!("kbd_intr"), nothing),
    function(q!("mem_info"), nothing),
    function(q!("opt_level"), opt_level),
    function(q!("qstr_info"), nothing),
    function(q!("schedule"), schedule),
    function(q!("stack_use"), stack_use),
];
