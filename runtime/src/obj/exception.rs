//! Exceptions: instances of `BaseException` and its subclasses (builtin or user).
//!
//! Corresponds to MicroPython's `py/objexcept.c` and `mp_obj_print_exception` in
//! `py/obj.c`.
//!
//! Layout: `[header, class, attribute dict|NULL, args tuple, traceback list|NULL]`. The
//! class is a builtin exception type (immediate) or a user class deriving from one. The
//! traceback holds `(file qstr, line, block qstr)` triples, innermost first, as
//! MicroPython's `mp_obj_exception_add_traceback` records them.

use crate::builtins::{getter, method, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::{Out, Vm};
use crate::{q, PyResult};

/// Class word.
pub const EXC_CLASS: usize = 1;
/// Attribute dict word.
pub const EXC_DICT: usize = 2;
/// Args tuple word.
pub const EXC_ARGS: usize = 3;
/// Traceback list word.
pub const EXC_TRACEBACK: usize = 4;
/// Size in words.
pub const EXC_WORDS: usize = 5;

/// A new exception of `class` with `args` (rooted by the caller).
pub fn new(vm: &mut Vm, class: Obj, args: &[Obj]) -> PyResult<Obj> {
    let t = vm.new_tuple(args)?;
    new_with_tuple(vm, class, t)
}

/// A new exception of `class` with an args tuple.
pub fn new_with_tuple(vm: &mut Vm, class: Obj, args: Obj) -> PyResult<Obj> {
    let mark = vm.roots_mark();
    vm.root(args)?;
    vm.root(class)?;
    let e = vm.alloc(TypeId::EXC, 0, EXC_WORDS);
    vm.unroot_to(mark);
    let e = e?;
    vm.heap.set_obj(e, EXC_CLASS, class);
    vm.heap.set_obj(e, EXC_ARGS, args);
    Ok(e)
}

/// Whether `o` is an exception instance.
pub fn is_exception(vm: &Vm, o: Obj) -> bool {
    o.is_heap() && vm.heap.tid(o) == TypeId::EXC
}

/// Record a traceback entry (allocation failures are ignored).
pub fn add_traceback(vm: &mut Vm, exc: Obj, file: crate::Qstr, line: usize, block: crate::Qstr) {
    if !is_exception(vm, exc) || exc == vm.mem_err {
        return;
    }
    let saved = vm.pending;
    let mark = vm.roots_mark();
    let r = (|| {
        vm.root(exc)?;
        let mut tb = vm.heap.get_obj(exc, EXC_TRACEBACK);
        if tb.is_null() {
            tb = vm.new_list(&[])?;
            vm.heap.set_obj(exc, EXC_TRACEBACK, tb);
        }
        let line = Obj::small(line as isize).unwrap_or(Obj::small_unchecked(0));
        vm.list_append(tb, Obj::qstr(file))?;
        vm.list_append(tb, line)?;
        vm.list_append(tb, Obj::qstr(block))
    })();
    vm.unroot_to(mark);
    let _ = r;
    vm.pending = saved;
}

/// The value of a StopIteration (its first arg, or None).
pub fn stop_iteration_value(vm: &Vm, exc: Obj) -> Obj {
    if !is_exception(vm, exc) {
        return Obj::NONE;
    }
    let args = vm.heap.get_obj(exc, EXC_ARGS);
    if vm.tuple_len(args) > 0 {
        vm.tuple_get(args, 0)
    } else {
        Obj::NONE
    }
}

impl<'h> Vm<'h> {
    /// Print an exception with its traceback as MicroPython does.
    pub fn print_exception(&mut self, out: Out, exc: Obj) -> PyResult<()> {
        if is_exception(self, exc) {
            let tb = self.heap.get_obj(exc, EXC_TRACEBACK);
            if !tb.is_null() {
                let n = self.list_len(tb) / 3;
                if n > 0 {
                    self.out(out, b"Traceback (most recent call last):\n")?;
                    for i in (0..n).rev() {
                        let file = self.list_get(tb, 3 * i);
                        let line = self.list_get(tb, 3 * i + 1);
                        let block = self.list_get(tb, 3 * i + 2);
                        self.out(out, b"  File \"")?;
                        self.out_str(out, file)?;
                        self.out(out, b"\", line ")?;
                        let mut buf = [0u8; 24];
                        let s = crate::print::fmt_isize(line.small_value(), &mut buf);
                        self.out(out, s)?;
                        self.out(out, b", in ")?;
                        self.out_str(out, block)?;
                        self.out(out, b"\n")?;
                    }
                }
            }
        }
        self.print_exc_line(out, exc)?;
        self.out(out, b"\n")
    }

    /// `TypeName: message` (the last line of a traceback).
    pub(crate) fn print_exc_line(&mut self, out: Out, exc: Obj) -> PyResult<()> {
        let q = self.type_name(exc);
        self.out_qstr(out, q)?;
        if !is_exception(self, exc) {
            return Ok(());
        }
        // A user __str__ decides the message.
        let cls = self.type_of(exc);
        if cls.is_heap() {
            if let Some(m) = self.class_lookup_user(cls, q!("__str__")) {
                let s = self.call(m, &[exc], Obj::NULL)?;
                self.root(s)?;
                self.out(out, b": ")?;
                return self.out_str(out, s);
            }
        }
        let args = self.heap.get_obj(exc, EXC_ARGS);
        let n = self.tuple_len(args);
        self.out(out, b": ")?;
        if n == 0 {
            return Ok(());
        }
        if self.print_errno(out, exc)? {
            return Ok(());
        }
        if n == 1 {
            let a = self.tuple_get(args, 0);
            return self.print_obj(out, a, false);
        }
        self.print_obj(out, args, true)
    }

    /// `[Errno 2] ENOENT: text` for an OSError with a known errno (false otherwise).
    fn print_errno(&mut self, out: Out, exc: Obj) -> PyResult<bool> {
        if self.heap.get_obj(exc, EXC_CLASS) != Obj::type_obj(TypeId::OS_ERROR) {
            return Ok(false);
        }
        let args = self.heap.get_obj(exc, EXC_ARGS);
        let n = self.tuple_len(args);
        if n == 0 || n > 2 {
            return Ok(false);
        }
        let a0 = self.tuple_get(args, 0);
        let name = match a0
            .is_small()
            .then(|| crate::modules::errno::name(a0.small_value()))
            .flatten()
        {
            Some(q) => q,
            None => return Ok(false),
        };
        self.out(out, b"[Errno ")?;
        let mut buf = [0u8; 24];
        let s = crate::print::fmt_isize(a0.small_value(), &mut buf);
        self.out(out, s)?;
        self.out(out, b"] ")?;
        self.out_qstr(out, name)?;
        if n > 1 {
            self.out(out, b": ")?;
            let a1 = self.tuple_get(args, 1);
            self.print_obj(out, a1, false)?;
        }
        Ok(true)
    }

    /// `str(exc)`.
    pub(crate) fn print_exc_str(&mut self, out: Out, exc: Obj) -> PyResult<()> {
        let args = self.heap.get_obj(exc, EXC_ARGS);
        let n = self.tuple_len(args);
        if n == 0 {
            return Ok(());
        }
        if self.print_errno(out, exc)? {
            return Ok(());
        }
        if n == 1 {
            let a = self.tuple_get(args, 0);
            if self.exception_matches(exc, TypeId::KEY_ERROR) {
                return self.print_obj(out, a, true);
            }
            return self.print_obj(out, a, false);
        }
        self.print_obj(out, args, true)
    }

    /// `repr(exc)`: `Type(args...)`.
    pub(crate) fn print_exc_repr(&mut self, out: Out, exc: Obj) -> PyResult<()> {
        let q = self.type_name(exc);
        self.out_qstr(out, q)?;
        let args = self.heap.get_obj(exc, EXC_ARGS);
        if self.tuple_len(args) == 1 {
            self.out(out, b"(")?;
            let a = self.tuple_get(args, 0);
            self.print_obj(out, a, true)?;
            return self.out(out, b")");
        }
        self.print_obj(out, args, true)
    }
}

fn args_getter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(vm.heap.get_obj(args[0], EXC_ARGS))
}

fn value_getter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(stop_iteration_value(vm, args[0]))
}

fn exc_init(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if let Some(&e) = args.first() {
        if is_exception(vm, e) {
            let t = vm.new_tuple(&args[1..])?;
            vm.heap.set_obj(e, EXC_ARGS, t);
        }
    }
    Ok(Obj::NONE)
}

fn with_traceback(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(args[0])
}

/// Exception methods and attributes.
pub static METHODS: [NativeDef; 6] = [
    method(q!("__init__"), exc_init),
    getter(q!("args"), args_getter),
    getter(q!("code"), value_getter),
    getter(q!("errno"), value_getter),
    getter(q!("value"), value_getter),
    method(q!("with_traceback"), with_traceback),
];
