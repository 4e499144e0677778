//! The `sys` module and the `sys.stdout`/`sys.stderr` objects.
//!
//! Corresponds to MicroPython's `py/modsys.c` and the unix port's stdio objects.
//!
//! Layout of a stdio object: `[header, fd]` (1 stdout, 2 stderr, 0 stdin).

use crate::builtins::{function, method, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::{Out, Vm};
use crate::{q, PyResult};

/// The `_mpy` value: `.mpy` version 6, sub-version 3, no native arch.
pub const MPY_VALUE: isize = 6 | 3 << 8;

fn new_stdio(vm: &mut Vm, fd: usize) -> PyResult<Obj> {
    let o = vm.alloc(TypeId::STDIO, 0, 2)?;
    vm.heap.set_int(o, 1, fd);
    Ok(o)
}

/// The output a stdio object writes to.
pub fn stdio_out(vm: &Vm, o: Obj) -> Option<Out> {
    if o.is_heap() && vm.heap.tid(o) == TypeId::STDIO {
        return match vm.heap.get_int(o, 1) {
            2 => Some(Out::Stderr),
            _ => Some(Out::Stdout),
        };
    }
    None
}

fn implementation_repr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let _ = args;
    vm.new_str(b"(name='micropython', version=(1, 29, 0, ''), _machine='upyc', _mpy=774)")
}

/// Fill in the data attributes.
pub fn init(vm: &mut Vm, m: Obj) -> PyResult<()> {
    let g = vm.module_globals(m);
    vm.dict_set(g, Obj::qstr(q!("argv")), vm.sys_argv)?;
    vm.dict_set(g, Obj::qstr(q!("path")), vm.sys_path)?;
    vm.dict_set(g, Obj::qstr(q!("modules")), vm.modules)?;
    let out = new_stdio(vm, 1)?;
    vm.dict_set(g, Obj::qstr(q!("stdout")), out)?;
    let err = new_stdio(vm, 2)?;
    vm.dict_set(g, Obj::qstr(q!("stderr")), err)?;
    let inp = new_stdio(vm, 0)?;
    vm.dict_set(g, Obj::qstr(q!("stdin")), inp)?;
    vm.dict_set(g, Obj::qstr(q!("platform")), Obj::qstr(q!("linux")))?;
    vm.dict_set(g, Obj::qstr(q!("byteorder")), Obj::qstr(q!("little")))?;
    let maxsize = vm.new_int(crate::obj::SMALL_INT_MAX as i128)?;
    vm.dict_set(g, Obj::qstr(q!("maxsize")), maxsize)?;
    let v = vm.new_str(b"3.4.0; MicroPython v1.29.0 (upyc)")?;
    vm.dict_set(g, Obj::qstr(q!("version")), v)?;
    let vi = vm.new_tuple(&[
        Obj::small_unchecked(3),
        Obj::small_unchecked(4),
        Obj::small_unchecked(0),
    ])?;
    vm.dict_set(g, Obj::qstr(q!("version_info")), vi)?;
    // sys.implementation: an instance of a small class with a native __repr__.
    let d = vm.dict_new(4)?;
    vm.root(d)?;
    vm.dict_set(
        d,
        Obj::qstr(q!("__repr__")),
        Obj::native_fun(crate::builtins::tables::SYS, 0),
    )?;
    let bases = vm.new_tuple(&[])?;
    let cls = vm.new_class(q!("implementation"), bases, d)?;
    vm.root(cls)?;
    let imp = vm.make_instance(cls, &crate::vm::CallArgs::slice(&[]))?;
    vm.root(imp)?;
    let ver = vm.new_tuple(&[
        Obj::small_unchecked(1),
        Obj::small_unchecked(29),
        Obj::small_unchecked(0),
        Obj::qstr(q!("")),
    ])?;
    vm.root(ver)?;
    vm.store_attr(imp, q!("name"), Obj::qstr(q!("micropython")))?;
    vm.store_attr(imp, q!("version"), ver)?;
    vm.store_attr(imp, q!("_mpy"), Obj::small_unchecked(MPY_VALUE))?;
    vm.store_attr(imp, q!("_machine"), Obj::qstr(q!("upyc")))?;
    vm.dict_set(g, Obj::qstr(q!("implementation")), imp)?;
    Ok(())
}

fn exit(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    let e = crate::obj::exception::new(vm, Obj::type_obj(TypeId::SYSTEM_EXIT), args)?;
    Err(vm.raise_obj(e))
}

fn print_exception(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let file = args.get(1).copied().or(vm.kwarg(kw, q!("file"))?);
    let out = match file {
        Some(f) => stdio_out(vm, f).unwrap_or(Out::Stdout),
        None => Out::Stdout,
    };
    vm.print_exception(out, args[0])?;
    Ok(Obj::NONE)
}

fn exc_info(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.new_tuple(&[Obj::NONE, Obj::NONE, Obj::NONE])
}

fn getsizeof(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let n = if args[0].is_heap() {
        vm.heap.alloc_size(args[0])
    } else {
        0
    };
    vm.new_int(n as i128)
}

/// `sys` functions (entry 0 is the implementation's `__repr__`, not exported by name).
pub static FUNS: [NativeDef; 5] = [
    function(q!("__repr__"), implementation_repr),
    function(q!("exc_info"), exc_info),
    function(q!("exit"), exit),
    function(q!("getsizeof"), getsizeof),
    function(q!("print_exception"), print_exception),
];

fn write(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let out = stdio_out(vm, args[0]).unwrap_or(Out::Stdout);
    let n = match vm.buffer_ref(args[1]) {
        Some(r) => r.len(),
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "object with buffer protocol required")),
    };
    vm.out_str(out, args[1])?;
    if vm.is_str(args[1]) {
        let c = vm.str_char_len(args[1]);
        return Ok(Obj::small_unchecked(c as isize));
    }
    Ok(Obj::small_unchecked(n as isize))
}

fn flush(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::NONE)
}

/// Methods of `sys.stdout` and friends.
pub static STDIO_METHODS: [NativeDef; 2] = [method(q!("flush"), flush), method(q!("write"), write)];
