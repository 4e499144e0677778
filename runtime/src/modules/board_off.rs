//! The hardware modules (`board`, `digitalio`, `nativeio`, `machine`, `microcontroller`)
//! when the `board` feature is off: their names are not builtin modules (an import looks
//! for a file, or a module the firmware registered), the hardware types cannot be made and
//! their method tables are empty.
//!
//! For a firmware without GPIO, or one that registers its own hardware modules through
//! `Vm::register_module`.

use crate::builtins::NativeDef;
use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{Out, Vm};
use crate::{PyErr, PyResult};

/// No hardware modules to import.
pub fn available(_vm: &mut Vm) -> bool {
    false
}

/// None of the names is a builtin module.
pub fn is_module(_name: Qstr) -> bool {
    false
}

/// No hardware module objects exist.
pub fn module_attr(_vm: &mut Vm, _m: Obj, _q: Qstr) -> Option<Obj> {
    None
}

/// No class constants (`Pin.OUT` ...).
pub fn class_const(_t: TypeId, _q: Qstr) -> Option<Obj> {
    None
}

/// No hardware objects exist to print.
pub fn print(vm: &mut Vm, out: Out, _o: Obj, _tid: TypeId) -> PyResult<()> {
    vm.out(out, b"<hardware>")
}

fn not_built(vm: &mut Vm) -> PyErr {
    vm.raise(
        TypeId::NOT_IMPLEMENTED_ERROR,
        "hardware support not built in",
    )
}

/// Raises: the hardware types are not built in.
pub fn make_dio(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Err(not_built(vm))
}

/// Raises: the hardware types are not built in.
pub fn make_pin(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Err(not_built(vm))
}

/// No properties.
pub fn instance_attr(_vm: &mut Vm, _o: Obj, _tid: TypeId, _q: Qstr) -> PyResult<Option<Obj>> {
    Ok(None)
}

/// Raises: the hardware types are not built in.
pub fn dio_store(vm: &mut Vm, _o: Obj, _q: Qstr, _v: Obj) -> PyResult<()> {
    Err(not_built(vm))
}

/// Methods of `DigitalInOut`: none.
pub static DIO_METHODS: [NativeDef; 0] = [];

/// Methods of `machine.Pin`: none.
pub static PIN_METHODS: [NativeDef; 0] = [];
