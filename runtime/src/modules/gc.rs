//! The `gc` module.
//!
//! Corresponds to MicroPython's `py/modgc.c`.

use crate::builtins::{function, NativeDef};
use crate::obj::Obj;
use crate::vm::Vm;
use crate::{q, PyResult};

fn collect(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.collect();
    Ok(Obj::NONE)
}

fn mem_free(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let s = vm.heap_stats();
    vm.new_int((s.total - s.used) as i128)
}

fn mem_alloc(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let s = vm.heap_stats();
    vm.new_int(s.used as i128)
}

fn enable(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.gc_enabled = true;
    Ok(Obj::NONE)
}

fn disable(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.gc_enabled = false;
    Ok(Obj::NONE)
}

fn isenabled(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::bool(vm.gc_enabled))
}

/// `gc.threshold([amount])`: collect after `amount` bytes were allocated (-1: only when the
/// heap is full); without an argument, the current setting.
fn threshold(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        None => Ok(Obj::small_unchecked(
            vm.heap.threshold().map_or(-1, |b| b as isize),
        )),
        Some(&a) => {
            let n = vm.to_isize(a)?;
            vm.heap.set_threshold(usize::try_from(n).ok());
            Ok(Obj::NONE)
        }
    }
}

/// `gc` functions.
pub static FUNS: [NativeDef; 7] = [
    function(q!("collect"), collect),
    function(q!("disable"), disable),
    function(q!("enable"), enable),
    function(q!("isenabled"), isenabled),
    function(q!("mem_alloc"), mem_alloc),
    function(q!("mem_free"), mem_free),
    function(q!("threshold"), threshold),
];
