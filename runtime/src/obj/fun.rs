//! Bytecode functions, closures, raw code and module contexts; cells; bound methods.
//!
//! Corresponds to MicroPython's `py/objfun.c`, `py/objclosure.c`, `py/objcell.c`,
//! `py/objboundmeth.c` and `py/emitglue.c` (raw code).
//!
//! Layouts (numbers tagged as small ints):
//! - function: `[header, raw code, context, defaults tuple|NULL, kw-defaults dict|NULL,
//!   closure cells tuple|NULL]` (a closure is a function with cells, passed as the leading
//!   positional arguments as MicroPython's closures do);
//! - raw code ([`RC`]): where the function data is (a heap bytes object holding the `.mpy`
//!   file, or a read-only image number) and the decoded prelude; a function's raw code
//!   may instead be a ROM reference to a frozen image's record (read by `Vm::rc_int`);
//! - context: `[header, globals dict, qstr table tuple, constants tuple]`; for frozen
//!   code both tables are ROM references to the module's record and a fifth word holds
//!   the tuple of constant objects made at import (see `crate::frozen`);
//! - cell: `[header, value]`; bound method: `[header, function, self]`.

use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::Vm;
use crate::PyResult;

/// Word indexes of a raw code object.
pub struct RC;

impl RC {
    /// Heap bytes object holding the data, or a small int: read-only image number.
    pub const SRC: usize = 1;
    /// Offset of the function data in the source.
    pub const DATA_OFF: usize = 2;
    /// Length of the function data.
    pub const DATA_LEN: usize = 3;
    /// Prelude fields.
    pub const N_STATE: usize = 4;
    #[allow(missing_docs)]
    pub const N_EXC: usize = 5;
    #[allow(missing_docs)]
    pub const SCOPE_FLAGS: usize = 6;
    #[allow(missing_docs)]
    pub const N_POS: usize = 7;
    #[allow(missing_docs)]
    pub const N_KWONLY: usize = 8;
    #[allow(missing_docs)]
    pub const N_DEF_POS: usize = 9;
    /// Qstr-table index of the function name.
    pub const NAME: usize = 10;
    /// Offset (in the function data) of the argument-name vuints.
    pub const NAMES_OFF: usize = 11;
    /// Offset of the line-number table.
    pub const LINE_INFO_OFF: usize = 12;
    /// Offset of the cell-local bytes (end of the line-number table).
    pub const CELLS_OFF: usize = 13;
    /// Number of cell locals.
    pub const N_CELL: usize = 14;
    /// Offset of the first opcode.
    pub const CODE_OFF: usize = 15;
    /// Tuple of child raw codes, or NULL.
    pub const CHILDREN: usize = 16;
    /// Size in words.
    pub const WORDS: usize = 17;
}

/// Function: raw code.
pub const F_RC: usize = 1;
/// Function: module context.
pub const F_CTX: usize = 2;
/// Function: positional defaults tuple.
pub const F_DEFAULTS: usize = 3;
/// Function: keyword-only defaults dict.
pub const F_KWDEFAULTS: usize = 4;
/// Function: closed-over cells tuple.
pub const F_CLOSURE: usize = 5;
const FUN_WORDS: usize = 6;

/// Context: globals dict.
pub const CTX_GLOBALS: usize = 1;
/// Context: qstr table (tuple of qstr objects).
pub const CTX_QSTRS: usize = 2;
/// Context: constant table (tuple).
pub const CTX_CONSTS: usize = 3;
/// Size of a context in words.
pub const CTX_WORDS: usize = 4;

/// A new function object.
pub fn new_function(
    vm: &mut Vm,
    rc: Obj,
    ctx: Obj,
    defaults: Obj,
    kwdefaults: Obj,
    closure: Obj,
) -> PyResult<Obj> {
    let f = vm.alloc(TypeId::FUNCTION, 0, FUN_WORDS)?;
    vm.heap.set_obj(f, F_RC, rc);
    vm.heap.set_obj(f, F_CTX, ctx);
    vm.heap.set_obj(f, F_DEFAULTS, defaults);
    vm.heap.set_obj(f, F_KWDEFAULTS, kwdefaults);
    vm.heap.set_obj(f, F_CLOSURE, closure);
    Ok(f)
}

/// Byte `i` of a raw code's function data.
pub fn code_byte(vm: &Vm, rc: Obj, i: usize) -> Option<u8> {
    let c = vm.code_of(rc);
    vm.code_byte(&c, i)
}

/// The name of a bytecode function.
pub fn fun_name(vm: &Vm, f: Obj) -> Qstr {
    let rc = vm.heap.get_obj(f, F_RC);
    let ctx = vm.heap.get_obj(f, F_CTX);
    let i = vm.rc_int(rc, RC::NAME);
    vm.ctx_qstr(ctx, i).unwrap_or(Qstr::NULL)
}

/// The name of parameter `j` of a bytecode function.
pub fn arg_name(vm: &Vm, f: Obj, j: usize) -> Qstr {
    let rc = vm.heap.get_obj(f, F_RC);
    let ctx = vm.heap.get_obj(f, F_CTX);
    let c = vm.code_of(rc);
    let mut pos = vm.rc_int(rc, RC::NAMES_OFF);
    let mut k = 0;
    loop {
        let mut v: usize = 0;
        for _ in 0..10 {
            let b = match vm.code_byte(&c, pos) {
                Some(b) => b,
                None => return Qstr::NULL,
            };
            pos += 1;
            v = (v << 7) | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                break;
            }
        }
        if k == j {
            return vm.ctx_qstr(ctx, v).unwrap_or(Qstr::NULL);
        }
        k += 1;
    }
}

impl<'h> Vm<'h> {
    /// A new bound method.
    pub(crate) fn new_bound_method(&mut self, f: Obj, slf: Obj) -> PyResult<Obj> {
        let b = self.alloc(TypeId::BOUND_METH, 0, 3)?;
        self.heap.set_obj(b, 1, f);
        self.heap.set_obj(b, 2, slf);
        Ok(b)
    }

    /// The value in a cell.
    pub(crate) fn cell_get(&mut self, c: Obj) -> PyResult<Obj> {
        if c.is_heap() && self.heap.tid(c) == TypeId::CELL {
            Ok(self.heap.get_obj(c, 1))
        } else {
            Err(self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file"))
        }
    }

    /// Set the value in a cell.
    pub(crate) fn cell_set(&mut self, c: Obj, v: Obj) -> PyResult<()> {
        if c.is_heap() && self.heap.tid(c) == TypeId::CELL {
            self.heap.set_obj(c, 1, v);
            Ok(())
        } else {
            Err(self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file"))
        }
    }
}
