//! `set` and `frozenset` when the `set` feature is off: the entry points the rest of the
//! runtime calls (`BUILD_SET`, `set()`, dict-view operators) raise `NotImplementedError`,
//! and the method tables are empty.
//!
//! Corresponds to MicroPython built with `MICROPY_PY_BUILTINS_SET` = 0 (there the compiler
//! rejects set displays; here the `.mpy` may come from elsewhere, so the VM reports it).

use crate::builtins::NativeDef;
use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::PyResult;
use upyc_bytecode::opcode::BinaryOp;

const NOT_BUILT: &str = "set support not built in";

impl<'h> Vm<'h> {
    /// Raises: sets are not built in.
    pub(crate) fn set_new(&mut self, _tid: TypeId) -> PyResult<Obj> {
        Err(self.raise(TypeId::NOT_IMPLEMENTED_ERROR, NOT_BUILT))
    }

    /// Raises: sets are not built in.
    pub(crate) fn set_add(&mut self, _s: Obj, _x: Obj) -> PyResult<()> {
        Err(self.raise(TypeId::NOT_IMPLEMENTED_ERROR, NOT_BUILT))
    }

    /// Raises: sets are not built in.
    pub(crate) fn set_from_iter(&mut self, tid: TypeId, _it: Obj) -> PyResult<Obj> {
        self.set_new(tid)
    }

    /// No set operators.
    pub(crate) fn set_binary_op(
        &mut self,
        _op: BinaryOp,
        _a: Obj,
        _b: Obj,
    ) -> PyResult<Option<Obj>> {
        Ok(None)
    }
}

/// `set(iterable)`: raises.
pub fn make_set(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.set_new(TypeId::SET)
}

/// `frozenset(iterable)`: raises.
pub fn make_frozenset(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.set_new(TypeId::FROZENSET)
}

/// `set` methods: none.
pub static METHODS: [NativeDef; 0] = [];

/// `frozenset` methods: none.
pub static FROZEN_METHODS: [NativeDef; 0] = [];
