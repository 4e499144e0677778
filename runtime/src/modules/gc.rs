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

fn threshold(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(-1))
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
