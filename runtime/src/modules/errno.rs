//! The `errno` module and errno names for `OSError` messages.
//!
//! Corresponds to MicroPython's `py/moderrno.c` (the default errno table, Linux values).

use crate::obj::Obj;
use crate::qstr::Qstr;
use crate::vm::Vm;
use crate::{q, PyResult};

/// (name, number) of the errno codes MicroPython knows by default.
pub static CODES: [(Qstr, isize); 22] = [
    (q!("EPERM"), 1),
    (q!("ENOENT"), 2),
    (q!("EIO"), 5),
    (q!("EBADF"), 9),
    (q!("EAGAIN"), 11),
    (q!("ENOMEM"), 12),
    (q!("EACCES"), 13),
    (q!("EEXIST"), 17),
    (q!("ENODEV"), 19),
    (q!("EISDIR"), 21),
    (q!("EINVAL"), 22),
    (q!("EOPNOTSUPP"), 95),
    (q!("EADDRINUSE"), 98),
    (q!("ECONNABORTED"), 103),
    (q!("ECONNRESET"), 104),
    (q!("ENOBUFS"), 105),
    (q!("ENOTCONN"), 107),
    (q!("ETIMEDOUT"), 110),
    (q!("ECONNREFUSED"), 111),
    (q!("EHOSTUNREACH"), 113),
    (q!("EALREADY"), 114),
    (q!("EINPROGRESS"), 115),
];

/// The name of an errno value.
pub fn name(n: isize) -> Option<Qstr> {
    CODES.iter().find(|c| c.1 == n).map(|c| c.0)
}

/// Fill in the constants and `errorcode`.
pub fn init(vm: &mut Vm, m: Obj) -> PyResult<()> {
    let g = vm.module_globals(m);
    let codes = vm.dict_new(CODES.len())?;
    vm.root(codes)?;
    for &(n, v) in CODES.iter() {
        vm.dict_set(g, Obj::qstr(n), Obj::small_unchecked(v))?;
        vm.dict_set(codes, Obj::small_unchecked(v), Obj::qstr(n))?;
    }
    vm.dict_set(g, Obj::qstr(q!("errorcode")), codes)?;
    Ok(())
}
