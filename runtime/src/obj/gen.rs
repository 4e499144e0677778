//! Generators: an object holding a suspended heap frame.
//!
//! Corresponds to MicroPython's `py/objgenerator.c`.
//!
//! Layout: `[header, frame, state]` (state tagged: 0 suspended or not started, 1 running,
//! 2 finished). The frame's mode carries a generator bit and its aux slot points back here.
//! Resuming from `FOR_ITER`/`YIELD_FROM` links the frame into the running chain without
//! recursion ([`resume_frame`] with [`FrameMode::GenReexec`]); natives (`next()`,
//! `list(gen)`, `send`) resume it through [`Vm::gen_resume`], which runs a nested loop.

use crate::builtins::{method, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::{FrameMode, Vm};
use crate::{q, PyResult};

const G_FRAME: usize = 1;
const G_STATE: usize = 2;
const SUSPENDED: usize = 0;
const RUNNING: usize = 1;
const FINISHED: usize = 2;

/// A generator around a bound frame.
pub fn new_generator(vm: &mut Vm, frame: Obj) -> PyResult<Obj> {
    let mark = vm.roots_mark();
    vm.root(frame)?;
    let g = vm.alloc(TypeId::GENERATOR, 0, 3);
    vm.unroot_to(mark);
    let g = g?;
    vm.heap.set_obj(g, G_FRAME, frame);
    vm.heap.set_int(g, G_STATE, SUSPENDED);
    vm.set_frame_generator(frame, g);
    Ok(g)
}

fn is_gen(vm: &Vm, o: Obj) -> bool {
    o.is_heap() && vm.heap.tid(o) == TypeId::GENERATOR
}

/// Whether `o` is a generator that can be resumed now.
pub fn is_resumable(vm: &Vm, o: Obj) -> bool {
    is_gen(vm, o) && vm.heap.get_int(o, G_STATE) == SUSPENDED
}

/// The generator finished (returned or raised).
pub fn finished(vm: &mut Vm, g: Obj) {
    if is_gen(vm, g) {
        vm.heap.set_int(g, G_STATE, FINISHED);
    }
}

/// The generator yielded.
pub fn suspended(vm: &mut Vm, g: Obj) {
    if is_gen(vm, g) {
        vm.heap.set_int(g, G_STATE, SUSPENDED);
    }
}

/// The function name of a generator (for repr).
pub fn name(vm: &Vm, g: Obj) -> crate::Qstr {
    let fr = vm.heap.get_obj(g, G_FRAME);
    let f = vm.heap.get_obj(fr, crate::vm::F_FUN);
    crate::obj::fun::fun_name(vm, f)
}

/// Link a suspended generator's frame as the innermost one, sending `send` into it.
pub fn resume_frame(vm: &mut Vm, g: Obj, send: Obj, mode: FrameMode) -> PyResult<()> {
    let fr = vm.heap.get_obj(g, G_FRAME);
    let sp = vm.frame_sp(fr);
    if sp == 0 {
        if send != Obj::NONE {
            return Err(vm.raise(
                TypeId::TYPE_ERROR,
                "can't send non-None value to a just-started generator",
            ));
        }
    } else {
        vm.frame_set_tos(fr, send);
    }
    vm.heap.set_int(g, G_STATE, RUNNING);
    if let Err(e) = vm.push_frame(fr, mode, Obj::NULL) {
        vm.heap.set_int(g, G_STATE, SUSPENDED);
        return Err(e);
    }
    Ok(())
}

impl<'h> Vm<'h> {
    /// Resume a generator from native code: `Ok(Some(v))` if it yielded `v`, `Ok(None)`
    /// with the return value in `ret` if it finished.
    pub fn gen_resume(&mut self, g: Obj, send: Obj, throw: Obj) -> PyResult<(bool, Obj)> {
        match self.heap.get_int(g, G_STATE) {
            FINISHED => {
                if !throw.is_null() {
                    let e = self.make_raise_obj(throw)?;
                    return Err(self.raise_obj(e));
                }
                return Ok((false, Obj::NONE));
            }
            RUNNING => {
                return Err(self.raise(TypeId::VALUE_ERROR, "generator already executing"));
            }
            _ => {}
        }
        resume_frame(self, g, send, FrameMode::Native)?;
        if !throw.is_null() {
            self.pending = throw;
        }
        self.gen_status = crate::vm::GenStatus::None;
        let r = self.execute();
        let status = core::mem::replace(&mut self.gen_status, crate::vm::GenStatus::None);
        let v = r?;
        Ok((status == crate::vm::GenStatus::Yielded, v))
    }
}

fn self_gen(vm: &mut Vm, args: &[Obj]) -> PyResult<Obj> {
    match args.first() {
        Some(&g) if is_gen(vm, g) => Ok(g),
        _ => Err(vm.raise(TypeId::TYPE_ERROR, "expected generator")),
    }
}

/// Raise `StopIteration(value)` (or bare when None).
fn stop_iteration(vm: &mut Vm, v: Obj) -> crate::PyErr {
    let args: &[Obj] = if v == Obj::NONE {
        &[]
    } else {
        core::slice::from_ref(&v)
    };
    match crate::obj::exception::new(vm, Obj::type_obj(TypeId::STOP_ITERATION), args) {
        Ok(e) => vm.raise_obj(e),
        Err(e) => e,
    }
}

fn send(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let g = self_gen(vm, args)?;
    let (yielded, v) = vm.gen_resume(g, args[1], Obj::NULL)?;
    if yielded {
        Ok(v)
    } else {
        Err(stop_iteration(vm, v))
    }
}

fn throw(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 4)?;
    let g = self_gen(vm, args)?;
    let exc = match args.get(2) {
        Some(&v) if v != Obj::NONE => v,
        _ => args[1],
    };
    let (yielded, v) = vm.gen_resume(g, Obj::NONE, exc)?;
    if yielded {
        Ok(v)
    } else {
        Err(stop_iteration(vm, v))
    }
}

fn close(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let g = self_gen(vm, args)?;
    if vm.heap.get_int(g, G_STATE) == FINISHED {
        return Ok(Obj::NONE);
    }
    let fr = vm.heap.get_obj(g, G_FRAME);
    if vm.frame_sp(fr) == 0 {
        // Never started: just mark it finished.
        finished(vm, g);
        return Ok(Obj::NONE);
    }
    let ge = Obj::type_obj(TypeId::GENERATOR_EXIT);
    match vm.gen_resume(g, Obj::NONE, ge) {
        Ok((true, _)) => Err(vm.raise(TypeId::RUNTIME_ERROR, "generator ignored GeneratorExit")),
        Ok((false, _)) => Ok(Obj::NONE),
        Err(e) => {
            let exc = vm.pending;
            if vm.exception_matches(exc, TypeId::GENERATOR_EXIT)
                || vm.exception_matches(exc, TypeId::STOP_ITERATION)
            {
                vm.pending = Obj::NULL;
                Ok(Obj::NONE)
            } else {
                Err(e)
            }
        }
    }
}

/// `next(gen)` for native code: the next value or `Obj::STOP`.
pub fn gen_next(vm: &mut Vm, g: Obj) -> PyResult<Obj> {
    let (yielded, v) = vm.gen_resume(g, Obj::NONE, Obj::NULL)?;
    if yielded {
        Ok(v)
    } else {
        let _ = v;
        Ok(Obj::STOP)
    }
}

fn next_(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let g = self_gen(vm, args)?;
    let (yielded, v) = vm.gen_resume(g, Obj::NONE, Obj::NULL)?;
    if yielded {
        Ok(v)
    } else {
        Err(stop_iteration(vm, v))
    }
}

fn iter_(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(args[0])
}

/// Generator methods.
pub static METHODS: [NativeDef; 5] = [
    method(q!("__iter__"), iter_),
    method(q!("__next__"), next_),
    method(q!("close"), close),
    method(q!("send"), send),
    method(q!("throw"), throw),
];
