//! The bytecode dispatch loop.
//!
//! Corresponds to MicroPython's `py/vm.c` (`mp_execute_bytecode`), run "stackless":
//! frames (`mp_code_state_t`) are heap objects linked to their caller, a call pushes a
//! frame and the loop continues in it, a return pops it. Each frame records what to do with
//! its result ([`FrameMode`]): push it on the caller's stack, hand it back to the native
//! code that started the loop, or hand a generator's yield/return back to the `FOR_ITER` /
//! `YIELD_FROM` instruction that resumed it (which re-executes to pick it up).
//!
//! Frame layout: `[header, prev, function, ip, exception ip, sp, exc sp, mode, aux,
//! locals, n_state, n_exc, state[n_state], exc_stack[n_exc * 3]]` (numbers tagged). Local
//! `i` is `state[n_state - 1 - i]`, the value stack grows up from `state[0]`; `sp` counts
//! the entries. An exception-stack entry is `(handler ip, sp << 1 | is_finally,
//! previous exception)`.
//!
//! A frame that returns (or is unwound) is released to the VM's frame cache for the next
//! call of the same size; only a generator keeps its frame. LOAD_NAME, LOAD_GLOBAL,
//! LOAD_ATTR, LOAD_METHOD, STORE_ATTR and LOAD_SUPER_METHOD select the lookup-cache entry of
//! their bytecode position (`Vm::map_cache`) before looking up.
//!
//! Where we differ: instruction operands are bounds-checked (a malformed `.mpy` raises
//! instead of reading or writing out of range); an iterator on the value stack keeps a
//! list/tuple/range cursor inline instead of MicroPython's `mp_obj_iter_buf_t`.

use super::call::{ArgSrc, CallArgs, Called};
use super::{Fmt, Vm};
use crate::obj::fun::{self, RC};
use crate::obj::{Obj, TypeId};
use crate::{q, PyErr, PyResult};
use upyc_bytecode::opcode::{self as op, Multi, UnaryOp};

pub(crate) const F_PREV: usize = 1;
pub(crate) const F_FUN: usize = 2;
pub(crate) const F_IP: usize = 3;
pub(crate) const F_EXC_IP: usize = 4;
pub(crate) const F_SP: usize = 5;
pub(crate) const F_EXC_SP: usize = 6;
pub(crate) const F_MODE: usize = 7;
pub(crate) const F_AUX: usize = 8;
pub(crate) const F_LOCALS: usize = 9;
pub(crate) const F_NSTATE: usize = 10;
pub(crate) const F_NEXC: usize = 11;
pub(crate) const F_STATE: usize = 12;

/// Stack slots a for-loop iterator takes (`MP_OBJ_ITER_BUF_NSLOTS`).
const ITER_SLOTS: usize = 4;

/// What happens to a frame's result when it returns.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum FrameMode {
    /// Push it on the caller frame's stack.
    Call = 0,
    /// Return it to the native code running the loop.
    Native = 1,
    /// A generator resumed by `FOR_ITER`/`YIELD_FROM`: the caller re-executes that
    /// instruction and picks the result up from the VM.
    GenReexec = 2,
    /// `__init__` of a new instance: check the result is None, push the instance.
    Init = 3,
}

/// Frame mode bit: the frame belongs to a generator (its aux is the generator).
const MODE_GEN: usize = 4;

/// What a resumed generator did.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum GenStatus {
    /// Nothing pending.
    None,
    /// It yielded (value in `gen_result`).
    Yielded,
    /// It returned (value in `gen_result`).
    Returned,
}

/// Where a function's bytecode lives.
#[derive(Clone, Copy)]
pub(crate) struct Code {
    /// Image index, or `HEAP`.
    img: usize,
    /// Byte offset of the function data (in the heap block area or the image).
    base: usize,
    len: usize,
    /// `len` when the code is in the heap, else 0: [`Vm::fetch`]'s fast path (64-bit
    /// hosts, where programs run from the heap; a chip runs frozen code from flash).
    #[cfg(target_pointer_width = "64")]
    heap_len: usize,
}

const HEAP: usize = usize::MAX;

impl Fs {
    /// A placeholder (an empty [`Vm::ret_cache`] entry).
    pub(crate) const EMPTY: Fs = Fs {
        frame: Obj::NULL,
        #[cfg(target_pointer_width = "64")]
        fw: 0,
        ip: 0,
        ip0: 0,
        sp: 0,
        n_state: 0,
        exc_sp: 0,
        n_exc: 0,
        code: Code {
            img: HEAP,
            base: 0,
            len: 0,
            #[cfg(target_pointer_width = "64")]
            heap_len: 0,
        },
        ctx: Obj::NULL,
        rc: Obj::NULL,
    };
}

/// The [`Vm::ret_cache`] entry of the frame at chain depth `depth`.
#[cfg_attr(target_pointer_width = "64", inline(always))]
#[cfg_attr(not(target_pointer_width = "64"), inline)]
fn ret_slot(depth: usize) -> usize {
    // (No entries on 32-bit targets: every index is then out of range.)
    depth & super::RET_CACHE.wrapping_sub(1)
}

/// Cached state of the executing frame.
#[derive(Clone, Copy)]
pub(crate) struct Fs {
    frame: Obj,
    /// `frame`'s word index in the heap (its offset / WORD): [`Vm::fget`] and
    /// [`Vm::fset`] read the frame's words without converting the offset each time
    /// (64-bit hosts; a chip keeps the RAM).
    #[cfg(target_pointer_width = "64")]
    fw: usize,
    ip: usize,
    /// Start of the current instruction.
    ip0: usize,
    sp: usize,
    n_state: usize,
    exc_sp: usize,
    n_exc: usize,
    code: Code,
    ctx: Obj,
    rc: Obj,
}

/// The commonest small-int operations, on the tagged words without untagging both
/// (`None`: not one of them, or the result needs a big int).
#[cfg_attr(target_pointer_width = "64", inline(always))]
#[cfg_attr(not(target_pointer_width = "64"), inline)]
fn small_fast_op(op: op::BinaryOp, a: Obj, b: Obj) -> Option<Obj> {
    use op::BinaryOp as B;
    // Tagged small ints are 2v+1: order and equality carry over to the words.
    let (x, y) = (a.0 as isize, b.0 as isize);
    match op {
        B::Add | B::InplaceAdd => x.checked_add(y - 1).map(|r| Obj(r as usize)),
        B::Subtract | B::InplaceSubtract => x.checked_sub(y - 1).map(|r| Obj(r as usize)),
        B::Less => Some(Obj::bool(x < y)),
        B::More => Some(Obj::bool(x > y)),
        B::LessEqual => Some(Obj::bool(x <= y)),
        B::MoreEqual => Some(Obj::bool(x >= y)),
        B::Equal => Some(Obj::bool(x == y)),
        B::NotEqual => Some(Obj::bool(x != y)),
        _ => None,
    }
}

/// `is`, `is not`, and `==`/`!=` of an object with itself when that is an immediate
/// or a qstr (equal to itself; a heap or image object may not be: a NaN, `__eq__`).
/// `None`: the general operator decides.
#[cfg_attr(target_pointer_width = "64", inline(always))]
#[cfg_attr(not(target_pointer_width = "64"), inline)]
fn identity_op(op: op::BinaryOp, a: Obj, b: Obj) -> Option<Obj> {
    use op::BinaryOp as B;
    match op {
        B::Is => Some(Obj::bool(a == b)),
        B::IsNot => Some(Obj::bool(a != b)),
        B::Equal if a == b && !a.is_heap() && !a.is_rom() => Some(Obj::TRUE),
        B::NotEqual if a == b && !a.is_heap() && !a.is_rom() => Some(Obj::FALSE),
        _ => None,
    }
}

/// A decoded `CALL_*` instruction (see [`Vm::call_operands`]).
struct CallSite {
    /// The callee.
    f: Obj,
    /// A method's self, or NULL.
    self_: Obj,
    /// Frame word of the first argument.
    first: usize,
    n_pos: usize,
    n_kw: usize,
}

/// Set up a new frame's fixed fields (arguments are bound by the caller).
pub(crate) fn init_frame(vm: &mut Vm, frame: Obj, f: Obj, n_state: usize, n_exc: usize) {
    let rc = vm.heap.get_obj(f, fun::F_RC);
    let code_off = vm.rc_int(rc, RC::CODE_OFF);
    let h = &mut vm.heap;
    h.set_obj(frame, F_FUN, f);
    h.set_int(frame, F_IP, code_off);
    h.set_int(frame, F_EXC_IP, code_off);
    h.set_int(frame, F_SP, 0);
    h.set_int(frame, F_EXC_SP, 0);
    h.set_int(frame, F_MODE, 0);
    h.set_int(frame, F_NSTATE, n_state);
    h.set_int(frame, F_NEXC, n_exc);
}

impl<'h> Vm<'h> {
    /// Link a bound frame as the innermost one.
    pub(crate) fn push_frame(&mut self, frame: Obj, mode: FrameMode, aux: Obj) -> PyResult<()> {
        self.check_depth()?;
        let gen = self.heap.get_int(frame, F_MODE) & MODE_GEN;
        self.heap.set_obj(frame, F_PREV, self.frame);
        self.heap.set_int(frame, F_MODE, mode as usize | gen);
        if gen == 0 {
            self.heap.set_obj(frame, F_AUX, aux);
        }
        self.frame = frame;
        self.depth += 1;
        // The caller state kept at this depth was for another frame.
        if let Some(e) = self.ret_cache.get_mut(ret_slot(self.depth)) {
            e.0 = Obj::NULL;
        }
        Ok(())
    }

    /// `RuntimeError` if one more frame would pass `Config::max_depth`.
    #[inline]
    fn check_depth(&mut self) -> PyResult<()> {
        if self.depth >= self.config.max_depth {
            return Err(self.raise(TypeId::RUNTIME_ERROR, "maximum recursion depth exceeded"));
        }
        Ok(())
    }

    /// Number of value-stack entries of a (suspended) frame.
    pub(crate) fn frame_sp(&self, frame: Obj) -> usize {
        self.heap.get_int(frame, F_SP)
    }

    /// Replace the top of a suspended frame's stack (the value sent into a generator).
    pub(crate) fn frame_set_tos(&mut self, frame: Obj, v: Obj) {
        let sp = self.heap.get_int(frame, F_SP);
        if sp > 0 {
            self.heap.set_obj(frame, F_STATE + sp - 1, v);
        }
    }

    /// Mark a frame's generator as not running (after a failed start).
    fn clear_gen_running(&mut self, frame: Obj) {
        if self.heap.get_int(frame, F_MODE) & MODE_GEN != 0 {
            let g = self.heap.get_obj(frame, F_AUX);
            crate::obj::gen::suspended(self, g);
        }
    }

    /// Mark a frame as a generator's (aux = the generator).
    pub(crate) fn set_frame_generator(&mut self, frame: Obj, gen: Obj) {
        self.heap.set_int(frame, F_MODE, MODE_GEN);
        self.heap.set_obj(frame, F_AUX, gen);
    }

    /// Where the bytecode of raw code `rc` lives. (Only the loader makes heap raw codes:
    /// without feature `mpy-load` every raw code is an image record, and the heap paths
    /// here and in `rc_int`, `make_function` and LOAD_CONST_OBJ compile away.)
    pub(crate) fn code_of(&self, rc: Obj) -> Code {
        if rc.is_rom() || !cfg!(feature = "mpy-load") {
            let (img, base, len) = self.frozen_code(rc);
            return Code {
                img,
                base,
                len,
                #[cfg(target_pointer_width = "64")]
                heap_len: 0,
            };
        }
        let src = self.heap.get_obj(rc, RC::SRC);
        let off = self.rc_int(rc, RC::DATA_OFF);
        let len = self.rc_int(rc, RC::DATA_LEN);
        Self::heap_rc_code(src, off, len)
    }

    /// Where the bytecode of a heap raw code lives, from its `SRC`, `DATA_OFF` and
    /// `DATA_LEN` fields.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn heap_rc_code(src: Obj, off: usize, len: usize) -> Code {
        if src.is_small() {
            Code {
                img: src.small_value() as usize,
                base: off,
                len,
                #[cfg(target_pointer_width = "64")]
                heap_len: 0,
            }
        } else {
            Code {
                img: HEAP,
                base: Vm::str_data(src) + off,
                len,
                #[cfg(target_pointer_width = "64")]
                heap_len: len,
            }
        }
    }

    /// Byte `i` of a function's data.
    #[inline]
    pub(crate) fn code_byte(&self, c: &Code, i: usize) -> Option<u8> {
        if i >= c.len {
            return None;
        }
        if c.img == HEAP && cfg!(feature = "mpy-load") {
            self.heap.byte(c.base + i)
        } else {
            self.images.get(c.img)?.get(c.base + i).copied()
        }
    }

    /// Bytes `[start, end)` of a function's data (empty if out of range).
    pub(crate) fn code_slice(&self, c: &Code, start: usize, end: usize) -> &[u8] {
        if start > end || end > c.len {
            return &[];
        }
        if c.img == HEAP && cfg!(feature = "mpy-load") {
            self.heap.bytes(c.base + start, end - start)
        } else {
            match self.images.get(c.img) {
                Some(img) => img.get(c.base + start..c.base + end).unwrap_or(&[]),
                None => &[],
            }
        }
    }

    fn load_fs(&self, frame: Obj) -> Fs {
        // The fixed fields with one bounds check (a frame is at least that long; outside
        // the heap every word reads 0, as `Heap::get` has it).
        const ZERO: [[u8; crate::gc::WORD]; F_STATE] = [[0; crate::gc::WORD]; F_STATE];
        let w = self.heap.fields::<F_STATE>(frame).unwrap_or(&ZERO);
        let word = |i: usize| usize::from_ne_bytes(w[i]);
        let f = Obj(word(F_FUN));
        let rc = self.heap.get_obj(f, fun::F_RC);
        Fs {
            frame,
            #[cfg(target_pointer_width = "64")]
            fw: frame.offset() / crate::gc::WORD,
            ip: word(F_IP) >> 1,
            ip0: word(F_EXC_IP) >> 1,
            sp: word(F_SP) >> 1,
            n_state: word(F_NSTATE) >> 1,
            exc_sp: word(F_EXC_SP) >> 1,
            n_exc: word(F_NEXC) >> 1,
            code: self.code_of(rc),
            ctx: self.heap.get_obj(f, fun::F_CTX),
            rc,
        }
    }

    fn save_fs(&mut self, fs: &Fs) {
        let fr = fs.frame;
        self.heap.set_int(fr, F_IP, fs.ip);
        self.heap.set_int(fr, F_EXC_IP, fs.ip0);
        self.heap.set_int(fr, F_SP, fs.sp);
        self.heap.set_int(fr, F_EXC_SP, fs.exc_sp);
    }

    // ------------------------------------------------------------ operand decoding

    fn bad_code(&mut self) -> PyErr {
        self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file")
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn fetch(&mut self, fs: &mut Fs) -> PyResult<u8> {
        // Code in the heap: one range check (then the heap's own), without
        // `code_byte`'s choice of where the code lives.
        #[cfg(target_pointer_width = "64")]
        if fs.ip < fs.code.heap_len {
            if let Some(b) = self.heap.byte(fs.code.base + fs.ip) {
                fs.ip += 1;
                return Ok(b);
            }
        }
        self.fetch_code(fs)
    }

    /// [`Vm::fetch`] from wherever the code lives (out of line on 64-bit hosts, where
    /// `fetch` takes heap code itself).
    #[cfg_attr(target_pointer_width = "64", inline(never))]
    #[cfg_attr(not(target_pointer_width = "64"), inline(always))]
    fn fetch_code(&mut self, fs: &mut Fs) -> PyResult<u8> {
        match self.code_byte(&fs.code, fs.ip) {
            Some(b) => {
                fs.ip += 1;
                Ok(b)
            }
            None => Err(self.bad_code()),
        }
    }

    #[inline]
    fn read_uint(&mut self, fs: &mut Fs) -> PyResult<usize> {
        let mut v: usize = 0;
        for _ in 0..10 {
            let b = self.fetch(fs)?;
            v = (v << 7) | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad_code())
    }

    fn read_sint(&mut self, fs: &mut Fs) -> PyResult<isize> {
        let first = match self.code_byte(&fs.code, fs.ip) {
            Some(b) => b,
            None => return Err(self.bad_code()),
        };
        let mut v: isize = if first & 0x40 != 0 { -1 } else { 0 };
        for _ in 0..10 {
            let b = self.fetch(fs)?;
            v = (v << 7) | (b & 0x7f) as isize;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.bad_code())
    }

    #[inline]
    fn read_ulabel(&mut self, fs: &mut Fs) -> PyResult<usize> {
        let b0 = self.fetch(fs)? as usize;
        if b0 & 0x80 != 0 {
            let b1 = self.fetch(fs)? as usize;
            Ok((b0 & 0x7f) | b1 << 7)
        } else {
            Ok(b0)
        }
    }

    #[inline]
    fn read_slabel(&mut self, fs: &mut Fs) -> PyResult<isize> {
        let b0 = self.fetch(fs)? as isize;
        if b0 & 0x80 != 0 {
            let b1 = self.fetch(fs)? as isize;
            Ok(((b0 & 0x7f) | b1 << 7) - 0x4000)
        } else {
            Ok(b0 - 0x40)
        }
    }

    fn jump_rel(&mut self, fs: &mut Fs, rel: isize) -> PyResult<()> {
        if rel < 0 && self.config.max_steps != 0 {
            self.steps += 1;
            if self.steps > self.config.max_steps {
                return Err(self.raise(TypeId::RUNTIME_ERROR, "step limit exceeded"));
            }
        }
        match fs.ip.checked_add_signed(rel) {
            Some(t) if t <= fs.code.len => {
                fs.ip = t;
                Ok(())
            }
            _ => Err(self.bad_code()),
        }
    }

    fn read_qstr(&mut self, fs: &mut Fs) -> PyResult<crate::Qstr> {
        let i = self.read_uint(fs)?;
        self.ctx_qstr(fs.ctx, i).ok_or_else(|| self.bad_code())
    }

    /// Qstr `i` of a module context's table.
    #[inline]
    pub(crate) fn ctx_qstr(&self, ctx: Obj, i: usize) -> Option<crate::Qstr> {
        let t = self.heap.get_obj(ctx, fun::CTX_QSTRS);
        if t.is_rom() {
            return self.frozen_ctx_qstr(t, i);
        }
        // The loader's tuple of qstr objects (read directly: this is every name operand).
        if !t.is_heap() || self.heap.tid(t) != TypeId::TUPLE || i >= self.heap.get_int(t, 1) {
            return None;
        }
        let q = self.heap.get_obj(t, crate::obj::tuple::T_ITEMS + i);
        Some(q.qstr_value())
    }

    /// The lookup cache entry of the current instruction (hashed from its position).
    #[inline]
    fn cache_slot_of(fs: &Fs) -> usize {
        (fs.code.base.wrapping_add(fs.ip0) ^ fs.code.img) & (super::MAP_CACHE - 1)
    }

    // ------------------------------------------------------------ stack

    /// Word `i` of the executing frame (`self.heap.get_obj(fs.frame, i)`).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn fget(&self, fs: &Fs, i: usize) -> Obj {
        #[cfg(target_pointer_width = "64")]
        return Obj(self.heap.word(fs.fw.wrapping_add(i)));
        #[cfg(not(target_pointer_width = "64"))]
        self.heap.get_obj(fs.frame, i)
    }

    /// Set word `i` of the executing frame (`self.heap.set_obj(fs.frame, i, v)`).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn fset(&mut self, fs: &Fs, i: usize, v: Obj) {
        #[cfg(target_pointer_width = "64")]
        self.heap.set_word(fs.fw.wrapping_add(i), v.0);
        #[cfg(not(target_pointer_width = "64"))]
        self.heap.set_obj(fs.frame, i, v);
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn push(&mut self, fs: &mut Fs, v: Obj) -> PyResult<()> {
        if fs.sp >= fs.n_state {
            return Err(self.bad_code());
        }
        self.fset(fs, F_STATE + fs.sp, v);
        fs.sp += 1;
        Ok(())
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn pop(&mut self, fs: &mut Fs) -> PyResult<Obj> {
        if fs.sp == 0 {
            return Err(self.bad_code());
        }
        fs.sp -= 1;
        Ok(self.fget(fs, F_STATE + fs.sp))
    }

    /// Stack entry `n` below the top (0 = TOS).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn peek(&mut self, fs: &Fs, n: usize) -> PyResult<Obj> {
        if n >= fs.sp {
            return Err(self.bad_code());
        }
        Ok(self.fget(fs, F_STATE + fs.sp - 1 - n))
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn set_peek(&mut self, fs: &Fs, n: usize, v: Obj) -> PyResult<()> {
        if n >= fs.sp {
            return Err(self.bad_code());
        }
        self.fset(fs, F_STATE + fs.sp - 1 - n, v);
        Ok(())
    }

    /// Drop `n` entries.
    #[inline]
    fn drop_n(&mut self, fs: &mut Fs, n: usize) -> PyResult<()> {
        if n > fs.sp {
            return Err(self.bad_code());
        }
        fs.sp -= n;
        Ok(())
    }

    #[inline]
    fn local_slot(&mut self, fs: &Fs, n: usize) -> PyResult<usize> {
        if n >= fs.n_state {
            return Err(self.bad_code());
        }
        Ok(F_STATE + fs.n_state - 1 - n)
    }

    fn exc_entry(fs: &Fs, i: usize) -> usize {
        F_STATE + fs.n_state + 3 * i
    }

    fn push_exc_block(&mut self, fs: &mut Fs, finally: bool) -> PyResult<()> {
        let rel = self.read_ulabel(fs)?;
        let handler = fs.ip + rel;
        if fs.exc_sp >= fs.n_exc {
            return Err(self.bad_code());
        }
        let e = Self::exc_entry(fs, fs.exc_sp);
        self.heap.set_int(fs.frame, e, handler);
        self.heap
            .set_int(fs.frame, e + 1, fs.sp << 1 | usize::from(finally));
        self.fset(fs, e + 2, Obj::NULL);
        fs.exc_sp += 1;
        Ok(())
    }

    fn pop_exc_block(&mut self, fs: &mut Fs) -> PyResult<()> {
        if fs.exc_sp == 0 {
            return Err(self.bad_code());
        }
        fs.exc_sp -= 1;
        Ok(())
    }

    /// (handler, val_sp, is_finally) of the exception-stack entry `i`.
    fn exc_get(&self, fs: &Fs, i: usize) -> (usize, usize, bool) {
        let e = Self::exc_entry(fs, i);
        let v = self.heap.get_int(fs.frame, e + 1);
        (self.heap.get_int(fs.frame, e), v >> 1, v & 1 == 1)
    }

    // ------------------------------------------------------------ the loop

    /// Run the innermost frame until the frame that was pushed with
    /// [`FrameMode::Native`] returns (its value) or raises.
    pub(crate) fn execute(&mut self) -> PyResult<Obj> {
        if self.native_depth >= self.config.max_native_nesting {
            // Unlink the frame pushed for us.
            let fr = self.frame;
            self.frame = self.heap.get_obj(fr, F_PREV);
            self.heap.set_obj(fr, F_PREV, Obj::NULL);
            self.depth = self.depth.saturating_sub(1);
            self.clear_gen_running(fr);
            return Err(self.recursion_error());
        }
        self.native_depth += 1;
        let r = self.run();
        self.native_depth -= 1;
        r
    }

    fn run(&mut self) -> PyResult<Obj> {
        let mut fs = self.load_fs(self.frame);
        // A generator resumed with throw(): raise at the resume point.
        if !self.pending.is_null() {
            let at = self.code_byte(&fs.code, fs.ip);
            if at == Some(op::YIELD_FROM) {
                // Forwarded to the delegate by YIELD_FROM itself.
            } else {
                let exc = self.pending;
                let exc = match self.make_raise_obj(exc) {
                    Ok(e) => e,
                    Err(_) => self.pending,
                };
                self.pending = exc;
                fs.ip0 = fs.ip;
                match self.unwind(&mut fs) {
                    Ok(None) => {}
                    Ok(Some(v)) => return Ok(v),
                    Err(e) => return Err(e),
                }
            }
        }
        loop {
            fs.ip0 = fs.ip;
            let r = self.step(&mut fs);
            match r {
                Ok(None) => {}
                Ok(Some(v)) => return Ok(v),
                Err(PyErr) => match self.unwind(&mut fs) {
                    Ok(None) => {}
                    Ok(Some(v)) => return Ok(v),
                    Err(e) => return Err(e),
                },
            }
        }
    }

    /// Execute instructions until something leaves the loop: `Some(v)` when the native
    /// frame returned `v`.
    fn step(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        // On 64-bit hosts the loop works on a local copy: its fields are then at fixed
        // places in this function's frame, not behind a pointer of which the compiler
        // keeps several spilled copies (5% of pystone's instructions). Not on 32-bit
        // targets: the copy is 40 bytes more stack for each nesting of the loop.
        #[cfg(target_pointer_width = "64")]
        {
            let mut local = *fs;
            let r = self.step_loop(&mut local);
            *fs = local;
            r
        }
        #[cfg(not(target_pointer_width = "64"))]
        self.step_loop(fs)
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn step_loop(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        loop {
            fs.ip0 = fs.ip;
            let opc = self.fetch(fs)?;
            match opc {
                op::LOAD_CONST_FALSE => self.push(fs, Obj::FALSE)?,
                op::LOAD_CONST_NONE => self.push(fs, Obj::NONE)?,
                op::LOAD_CONST_TRUE => self.push(fs, Obj::TRUE)?,
                op::LOAD_CONST_SMALL_INT => {
                    let v = self.read_sint(fs)?;
                    let o = self.new_int(v as i128)?;
                    self.push(fs, o)?;
                }
                op::LOAD_CONST_STRING => {
                    let q = self.read_qstr(fs)?;
                    self.push(fs, Obj::qstr(q))?;
                }
                op::LOAD_CONST_OBJ => {
                    let i = self.read_uint(fs)?;
                    let consts = self.heap.get_obj(fs.ctx, fun::CTX_CONSTS);
                    let o = if consts.is_rom() || !cfg!(feature = "mpy-load") {
                        self.frozen_const(fs.ctx, consts, i)
                    } else if i < self.tuple_len(consts) {
                        Some(self.tuple_get(consts, i))
                    } else {
                        None
                    };
                    match o {
                        Some(o) => self.push(fs, o)?,
                        None => return Err(self.bad_code()),
                    }
                }
                op::LOAD_NULL => self.push(fs, Obj::NULL)?,
                op::LOAD_FAST_N => {
                    let n = self.read_uint(fs)?;
                    self.load_fast(fs, n)?;
                }
                op::LOAD_DEREF => {
                    let n = self.read_uint(fs)?;
                    let s = self.local_slot(fs, n)?;
                    let cell = self.fget(fs, s);
                    let v = self.cell_get(cell)?;
                    if v.is_null() {
                        return Err(self.unbound_local());
                    }
                    self.push(fs, v)?;
                }
                op::LOAD_NAME => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let v = self.load_name(fs, q)?;
                    self.push(fs, v)?;
                }
                op::LOAD_GLOBAL => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let g = self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS);
                    let v = self.load_global(g, q)?;
                    self.push(fs, v)?;
                }
                op::LOAD_ATTR => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let o = self.peek(fs, 0)?;
                    let v = match self.instance_field(o, q) {
                        Some(v) => v,
                        None => {
                            self.save_fs(fs);
                            self.load_attr(o, q)?
                        }
                    };
                    self.set_peek(fs, 0, v)?;
                }
                op::LOAD_METHOD => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let o = self.peek(fs, 0)?;
                    let (m, s) = match self.instance_method(o, q) {
                        Some(r) => r,
                        None => {
                            self.save_fs(fs);
                            self.load_method(o, q)?
                        }
                    };
                    self.set_peek(fs, 0, m)?;
                    self.push(fs, s)?;
                }
                op::LOAD_SUPER_METHOD => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    // stack: (..., placeholder, class, self)
                    let slf = self.pop(fs)?;
                    let cls = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let (m, s) = self.load_super_method(cls, slf, q)?;
                    self.set_peek(fs, 1, m)?;
                    self.set_peek(fs, 0, s)?;
                }
                op::LOAD_BUILD_CLASS => {
                    self.push(fs, crate::builtins::build_class_obj())?;
                }
                op::LOAD_SUBSCR => {
                    let idx = self.pop(fs)?;
                    let o = self.peek(fs, 0)?;
                    let v = match self.seq_slot(o, idx, false) {
                        Some((base, i)) => self.heap.get_obj(base, i),
                        None => {
                            self.save_fs(fs);
                            self.subscr(o, idx)?
                        }
                    };
                    self.set_peek(fs, 0, v)?;
                }
                op::STORE_FAST_N => {
                    let n = self.read_uint(fs)?;
                    self.store_fast(fs, n)?;
                }
                op::STORE_DEREF => {
                    let n = self.read_uint(fs)?;
                    let s = self.local_slot(fs, n)?;
                    let v = self.pop(fs)?;
                    let cell = self.fget(fs, s);
                    self.cell_set(cell, v)?;
                }
                op::STORE_NAME => {
                    let q = self.read_qstr(fs)?;
                    let v = self.pop(fs)?;
                    let d = self.locals_of(fs);
                    self.save_fs(fs);
                    self.store_name_in(d, q, v)?;
                }
                op::STORE_GLOBAL => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let v = self.pop(fs)?;
                    let g = self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS);
                    // An existing global (`global x; x = ...`) is replaced in place.
                    if !self.dict_replace_q(g, q, v) {
                        self.save_fs(fs);
                        self.dict_set(g, Obj::qstr(q), v)?;
                    }
                }
                op::STORE_ATTR => {
                    let q = self.read_qstr(fs)?;
                    self.cache_slot = Self::cache_slot_of(fs);
                    let o = self.pop(fs)?;
                    let v = self.pop(fs)?;
                    if !self.store_field(o, q, v) {
                        self.save_fs(fs);
                        self.store_attr(o, q, v)?;
                    }
                }
                op::STORE_SUBSCR => {
                    let idx = self.pop(fs)?;
                    let o = self.pop(fs)?;
                    let v = self.pop(fs)?;
                    // (v NULL: `del o[idx]`.)
                    match self.seq_slot(o, idx, true).filter(|_| !v.is_null()) {
                        Some((base, i)) => self.heap.set_obj(base, i, v),
                        None => {
                            self.save_fs(fs);
                            self.store_subscr(o, idx, v)?;
                        }
                    }
                }
                op::DELETE_FAST => {
                    let n = self.read_uint(fs)?;
                    let s = self.local_slot(fs, n)?;
                    if self.fget(fs, s).is_null() {
                        return Err(self.unbound_local());
                    }
                    self.fset(fs, s, Obj::NULL);
                }
                op::DELETE_DEREF => {
                    let n = self.read_uint(fs)?;
                    let s = self.local_slot(fs, n)?;
                    let cell = self.fget(fs, s);
                    if self.cell_get(cell)?.is_null() {
                        return Err(self.unbound_local());
                    }
                    self.cell_set(cell, Obj::NULL)?;
                }
                op::DELETE_NAME => {
                    let q = self.read_qstr(fs)?;
                    let d = self.locals_of(fs);
                    self.save_fs(fs);
                    if self.dict_del(d, Obj::qstr(q))?.is_none() {
                        return Err(self.name_error(q));
                    }
                }
                op::DELETE_GLOBAL => {
                    let q = self.read_qstr(fs)?;
                    let g = self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS);
                    self.save_fs(fs);
                    if self.dict_del(g, Obj::qstr(q))?.is_none() {
                        return Err(self.name_error(q));
                    }
                }
                op::DUP_TOP => {
                    let v = self.peek(fs, 0)?;
                    self.push(fs, v)?;
                }
                op::DUP_TOP_TWO => {
                    let a = self.peek(fs, 1)?;
                    let b = self.peek(fs, 0)?;
                    self.push(fs, a)?;
                    self.push(fs, b)?;
                }
                op::POP_TOP => self.drop_n(fs, 1)?,
                op::ROT_TWO => {
                    let a = self.peek(fs, 0)?;
                    let b = self.peek(fs, 1)?;
                    self.set_peek(fs, 0, b)?;
                    self.set_peek(fs, 1, a)?;
                }
                op::ROT_THREE => {
                    let a = self.peek(fs, 0)?;
                    let b = self.peek(fs, 1)?;
                    let c = self.peek(fs, 2)?;
                    self.set_peek(fs, 0, b)?;
                    self.set_peek(fs, 1, c)?;
                    self.set_peek(fs, 2, a)?;
                }
                op::JUMP => {
                    let rel = self.read_slabel(fs)?;
                    self.jump_rel(fs, rel)?;
                }
                op::POP_JUMP_IF_TRUE | op::POP_JUMP_IF_FALSE => {
                    let rel = self.read_slabel(fs)?;
                    let v = self.pop(fs)?;
                    let t = self.truth(fs, v)?;
                    if t == (opc == op::POP_JUMP_IF_TRUE) {
                        self.jump_rel(fs, rel)?;
                    }
                }
                op::JUMP_IF_TRUE_OR_POP | op::JUMP_IF_FALSE_OR_POP => {
                    let rel = self.read_ulabel(fs)? as isize;
                    let v = self.peek(fs, 0)?;
                    let t = self.truth(fs, v)?;
                    if t == (opc == op::JUMP_IF_TRUE_OR_POP) {
                        self.jump_rel(fs, rel)?;
                    } else {
                        self.drop_n(fs, 1)?;
                    }
                }
                op::SETUP_WITH => {
                    let mgr = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let (exit_m, exit_s) = self.load_method(mgr, q!("__exit__"))?;
                    self.set_peek(fs, 0, exit_m)?;
                    self.push(fs, exit_s)?;
                    let (enter_m, enter_s) = self.load_method(mgr, q!("__enter__"))?;
                    // keep them on the stack while calling (rooted)
                    self.push(fs, enter_m)?;
                    self.push(fs, enter_s)?;
                    self.save_fs(fs);
                    let mut a = CallArgs::slice(&[]);
                    a.self_ = enter_s;
                    let ret = self.call_args(enter_m, &a)?;
                    self.drop_n(fs, 2)?;
                    self.push_exc_block(fs, true)?;
                    self.push(fs, ret)?;
                }
                op::WITH_CLEANUP => self.op_with_cleanup(fs)?,
                op::UNWIND_JUMP => {
                    let rel = self.read_slabel(fs)?;
                    let unum = self.fetch(fs)? as usize;
                    let dest = match fs.ip.checked_add_signed(rel - 1) {
                        Some(d) => d,
                        None => return Err(self.bad_code()),
                    };
                    self.push(fs, Obj::small_unchecked(dest as isize))?;
                    self.unwind_jump(fs, unum)?;
                }
                op::SETUP_EXCEPT => self.push_exc_block(fs, false)?,
                op::SETUP_FINALLY => self.push_exc_block(fs, true)?,
                op::END_FINALLY => {
                    self.pop_exc_block(fs)?;
                    let t = self.peek(fs, 0)?;
                    if t == Obj::NONE {
                        self.drop_n(fs, 1)?;
                    } else if t.is_small() {
                        self.drop_n(fs, 1)?;
                        let cause = t.small_value();
                        if cause < 0 {
                            if let Some(v) = self.unwind_return(fs)? {
                                return Ok(Some(v));
                            }
                        } else {
                            self.unwind_jump(fs, cause as usize)?;
                        }
                    } else {
                        self.save_fs(fs);
                        return Err(self.raise_obj(t));
                    }
                }
                op::GET_ITER => {
                    let o = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let it = self.get_iter(o)?;
                    self.set_peek(fs, 0, it)?;
                }
                op::GET_ITER_STACK => self.op_get_iter_stack(fs)?,
                op::FOR_ITER => self.op_for_iter(fs)?,
                op::POP_EXCEPT_JUMP => {
                    self.pop_exc_block(fs)?;
                    let rel = self.read_ulabel(fs)? as isize;
                    self.jump_rel(fs, rel)?;
                }
                op::BUILD_TUPLE => {
                    let n = self.read_uint(fs)?;
                    self.drop_n(fs, n)?;
                    let t = self.alloc_tuple(n)?;
                    for i in 0..n {
                        let x = self.fget(fs, F_STATE + fs.sp + i);
                        self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, x);
                    }
                    self.push(fs, t)?;
                }
                op::BUILD_LIST => {
                    let n = self.read_uint(fs)?;
                    self.drop_n(fs, n)?;
                    let it = crate::obj::tuple::Items {
                        base: fs.frame,
                        first: F_STATE + fs.sp,
                        len: n,
                    };
                    let l = self.list_from_items(it, 0, n)?;
                    self.push(fs, l)?;
                }
                op::BUILD_MAP => {
                    let n = self.read_uint(fs)?;
                    let d = self.dict_new(n)?;
                    self.push(fs, d)?;
                }
                op::STORE_MAP => {
                    let k = self.pop(fs)?;
                    let v = self.pop(fs)?;
                    let d = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    self.dict_set(d, k, v)?;
                }
                op::BUILD_SET => {
                    let n = self.read_uint(fs)?;
                    self.drop_n(fs, n)?;
                    self.save_fs(fs);
                    // The items stay in the frame above sp (scanned by the GC).
                    let s = self.set_new(TypeId::SET)?;
                    let mark = self.roots_mark();
                    self.root(s)?;
                    let mut r = Ok(());
                    for i in 0..n {
                        let x = self.fget(fs, F_STATE + fs.sp + i);
                        r = self.set_add(s, x);
                        if r.is_err() {
                            break;
                        }
                    }
                    self.unroot_to(mark);
                    r?;
                    self.push(fs, s)?;
                }
                op::BUILD_SLICE => {
                    let n = self.read_uint(fs)?;
                    let step = if n == 3 { self.pop(fs)? } else { Obj::NONE };
                    let stop = self.pop(fs)?;
                    let start = self.peek(fs, 0)?;
                    let s = self.new_slice(start, stop, step)?;
                    self.set_peek(fs, 0, s)?;
                }
                op::STORE_COMP => {
                    let unum = self.read_uint(fs)?;
                    let target = self.peek(fs, unum >> 2)?;
                    self.save_fs(fs);
                    match unum & 3 {
                        0 => {
                            let v = self.pop(fs)?;
                            self.list_append(target, v)?;
                        }
                        1 => {
                            let k = self.pop(fs)?;
                            let v = self.pop(fs)?;
                            self.dict_set(target, k, v)?;
                        }
                        _ => {
                            let v = self.pop(fs)?;
                            self.set_add(target, v)?;
                        }
                    }
                }
                op::UNPACK_SEQUENCE => {
                    let n = self.read_uint(fs)?;
                    let seq = self.pop(fs)?;
                    if fs.sp + n > fs.n_state {
                        return Err(self.bad_code());
                    }
                    self.save_fs(fs);
                    self.unpack_sequence(fs.frame, F_STATE + fs.sp, seq, n)?;
                    fs.sp += n;
                }
                op::UNPACK_EX => {
                    let unum = self.read_uint(fs)?;
                    let seq = self.pop(fs)?;
                    let (nl, nr) = (unum & 0xff, (unum >> 8) & 0xff);
                    if fs.sp + nl + nr + 1 > fs.n_state {
                        return Err(self.bad_code());
                    }
                    self.save_fs(fs);
                    self.unpack_ex(fs.frame, F_STATE + fs.sp, seq, nl, nr)?;
                    fs.sp += nl + nr + 1;
                }
                op::MAKE_FUNCTION => {
                    let i = self.read_uint(fs)?;
                    let f =
                        self.make_function(fs.rc, fs.ctx, i, Obj::NULL, Obj::NULL, Obj::NULL)?;
                    self.push(fs, f)?;
                }
                op::MAKE_FUNCTION_DEFARGS => {
                    let i = self.read_uint(fs)?;
                    let kwd = self.pop(fs)?;
                    let d = self.peek(fs, 0)?;
                    let f = self.make_function(fs.rc, fs.ctx, i, d, kwd, Obj::NULL)?;
                    self.set_peek(fs, 0, f)?;
                }
                op::MAKE_CLOSURE | op::MAKE_CLOSURE_DEFARGS => {
                    let i = self.read_uint(fs)?;
                    let n = self.fetch(fs)? as usize;
                    self.drop_n(fs, n)?;
                    let cells = self.alloc_tuple(n)?;
                    for j in 0..n {
                        let x = self.fget(fs, F_STATE + fs.sp + j);
                        self.heap.set_obj(cells, crate::obj::tuple::T_ITEMS + j, x);
                    }
                    // Keep the cells rooted on the stack while allocating the function.
                    self.push(fs, cells)?;
                    let f = if opc == op::MAKE_CLOSURE {
                        let f =
                            self.make_function(fs.rc, fs.ctx, i, Obj::NULL, Obj::NULL, cells)?;
                        self.drop_n(fs, 1)?;
                        f
                    } else {
                        let kwd = self.peek(fs, 1)?;
                        let d = self.peek(fs, 2)?;
                        let f = self.make_function(fs.rc, fs.ctx, i, d, kwd, cells)?;
                        self.drop_n(fs, 3)?;
                        f
                    };
                    self.push(fs, f)?;
                }
                op::CALL_FUNCTION | op::CALL_METHOD => {
                    let c = self.call_operands(fs, opc == op::CALL_METHOD, false)?;
                    if let Some(callee) = self.call_simple(fs, &c)? {
                        *fs = callee;
                        continue;
                    }
                    let a = CallArgs {
                        self_: c.self_,
                        src: ArgSrc::Heap(fs.frame, c.first),
                        n_pos: c.n_pos,
                        n_kw: c.n_kw,
                        kw_dict: Obj::NULL,
                    };
                    if self.do_call(fs, c.f, &a)? {
                        *fs = self.load_fs(self.frame);
                    }
                }
                op::CALL_FUNCTION_VAR_KW | op::CALL_METHOD_VAR_KW => {
                    let c = self.call_operands(fs, opc == op::CALL_METHOD_VAR_KW, true)?;
                    let bitmap = self.fget(fs, c.first + c.n_pos + 2 * c.n_kw);
                    let bitmap = if bitmap.is_small() {
                        bitmap.small_value() as usize
                    } else {
                        0
                    };
                    self.save_fs(fs);
                    let (arr, np, nk) =
                        self.flatten_var_args(fs.frame, c.first, c.n_pos, c.n_kw, bitmap, c.self_)?;
                    // Keep the flattened args rooted in the function's stack slot + 1.
                    self.fset(fs, F_STATE + fs.sp + 1, arr);
                    let a = CallArgs {
                        self_: Obj::NULL,
                        src: ArgSrc::Heap(arr, crate::obj::list::A_ITEMS),
                        n_pos: np,
                        n_kw: nk,
                        kw_dict: Obj::NULL,
                    };
                    if self.do_call(fs, c.f, &a)? {
                        *fs = self.load_fs(self.frame);
                    }
                }
                op::RETURN_VALUE => {
                    #[cfg(target_pointer_width = "64")]
                    if self.return_simple(fs)? {
                        continue;
                    }
                    if let Some(v) = self.unwind_return(fs)? {
                        return Ok(Some(v));
                    }
                }
                op::RAISE_LAST => {
                    let mut exc = Obj::NULL;
                    let mut i = fs.exc_sp;
                    while i > 0 {
                        i -= 1;
                        let e = Self::exc_entry(fs, i);
                        let p = self.fget(fs, e + 2);
                        if !p.is_null() {
                            exc = p;
                            break;
                        }
                    }
                    self.save_fs(fs);
                    if exc.is_null() {
                        return Err(
                            self.raise(TypeId::RUNTIME_ERROR, "no active exception to reraise")
                        );
                    }
                    return Err(self.raise_obj(exc));
                }
                op::RAISE_OBJ => {
                    let o = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let e = self.make_raise_obj(o)?;
                    return Err(self.raise_obj(e));
                }
                op::RAISE_FROM => {
                    let from = self.pop(fs)?;
                    let o = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    // MicroPython ignores the cause (the unix port prints nothing).
                    let _ = from;
                    let e = self.make_raise_obj(o)?;
                    return Err(self.raise_obj(e));
                }
                op::YIELD_VALUE => {
                    if let Some(v) = self.do_yield(fs)? {
                        return Ok(Some(v));
                    }
                }
                op::YIELD_FROM => {
                    if let Some(v) = self.op_yield_from(fs)? {
                        return Ok(Some(v));
                    }
                }
                op::IMPORT_NAME => {
                    let q = self.read_qstr(fs)?;
                    let fromlist = self.pop(fs)?;
                    let level = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let g = self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS);
                    let m = self.import_name(q, fromlist, level, g)?;
                    self.set_peek(fs, 0, m)?;
                }
                op::IMPORT_FROM => {
                    let q = self.read_qstr(fs)?;
                    let m = self.peek(fs, 0)?;
                    self.save_fs(fs);
                    let v = self.import_from(m, q)?;
                    self.push(fs, v)?;
                }
                op::IMPORT_STAR => {
                    let m = self.pop(fs)?;
                    let d = self.locals_of(fs);
                    self.save_fs(fs);
                    self.import_star(m, d)?;
                }
                _ => match op::multi(opc) {
                    Some(Multi::LoadConstSmallInt(v)) => {
                        self.push(fs, Obj::small_unchecked(v as isize))?
                    }
                    Some(Multi::LoadFast(n)) => self.load_fast(fs, n as usize)?,
                    Some(Multi::StoreFast(n)) => self.store_fast(fs, n as usize)?,
                    Some(Multi::UnaryOp(u)) => {
                        let o = self.peek(fs, 0)?;
                        let r = if u == UnaryOp::Not {
                            let t = self.truth(fs, o)?;
                            Obj::bool(!t)
                        } else {
                            self.save_fs(fs);
                            self.unary_op(u, o)?
                        };
                        self.set_peek(fs, 0, r)?;
                    }
                    Some(Multi::BinaryOp(b)) => {
                        let rhs = self.pop(fs)?;
                        let lhs = self.peek(fs, 0)?;
                        let r = if lhs.is_small() && rhs.is_small() {
                            match small_fast_op(b, lhs, rhs).or_else(|| {
                                crate::obj::int::small_binary_op(
                                    b,
                                    lhs.small_value(),
                                    rhs.small_value(),
                                )
                            }) {
                                Some(r) => r,
                                None => {
                                    self.save_fs(fs);
                                    self.binary_op(b, lhs, rhs)?
                                }
                            }
                        } else if let Some(r) = identity_op(b, lhs, rhs) {
                            r
                        } else {
                            #[cfg(feature = "float")]
                            let fast = self.float_fast_op(b, lhs, rhs);
                            #[cfg(not(feature = "float"))]
                            let fast: Option<PyResult<Obj>> = None;
                            match fast {
                                Some(r) => r?,
                                None => {
                                    self.save_fs(fs);
                                    self.binary_op(b, lhs, rhs)?
                                }
                            }
                        };
                        self.set_peek(fs, 0, r)?;
                    }
                    None => {
                        self.save_fs(fs);
                        return Err(self.raise(TypeId::NOT_IMPLEMENTED_ERROR, "opcode"));
                    }
                },
            }
        }
    }

    // Always inlined on 64-bit hosts: left to itself the compiler puts one of these two
    // out of line, which costs 2-5% (fannkuch). Chips keep the smaller code.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn load_fast(&mut self, fs: &mut Fs, n: usize) -> PyResult<()> {
        let s = self.local_slot(fs, n)?;
        let v = self.fget(fs, s);
        if v.is_null() {
            return Err(self.unbound_local());
        }
        self.push(fs, v)
    }

    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn store_fast(&mut self, fs: &mut Fs, n: usize) -> PyResult<()> {
        let s = self.local_slot(fs, n)?;
        let v = self.pop(fs)?;
        self.fset(fs, s, v);
        Ok(())
    }

    #[inline]
    fn truth(&mut self, fs: &Fs, v: Obj) -> PyResult<bool> {
        match v {
            Obj::TRUE => Ok(true),
            Obj::FALSE | Obj::NONE => Ok(false),
            _ if v.is_small() => Ok(v.small_value() != 0),
            _ => {
                self.save_fs(fs);
                self.is_true(v)
            }
        }
    }

    /// Where item `idx` of `o` is (object, word) when `o` is a list (or, unless `store`,
    /// a tuple) and `idx` a small int in range, negative ones counting from the end: what
    /// `subscr`/`store_subscr` would read or write, without the general dispatch.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn seq_slot(&self, o: Obj, idx: Obj, store: bool) -> Option<(Obj, usize)> {
        if !idx.is_small() || !o.is_heap() {
            return None;
        }
        let (base, first) = match self.heap.tid(o) {
            TypeId::LIST => (self.heap.get_obj(o, 2), crate::obj::list::A_ITEMS),
            TypeId::TUPLE if !store => (o, crate::obj::tuple::T_ITEMS),
            _ => return None,
        };
        let len = self.heap.get_int(o, 1) as isize;
        let i = idx.small_value();
        let i = if i < 0 { i.checked_add(len)? } else { i };
        (0 <= i && i < len).then(|| (base, first + i as usize))
    }

    /// `o.q` when `o` is a plain instance whose own dict has `q` (what `load_attr`
    /// would find first), without the general lookup.
    #[inline]
    fn instance_field(&self, o: Obj, q: crate::Qstr) -> Option<Obj> {
        if !o.is_heap() || self.heap.tid(o) != TypeId::INSTANCE || q == q!("__class__") {
            return None;
        }
        let d = self.heap.get_obj(o, crate::obj::instance::INST_DICT);
        if d.is_null() {
            return None;
        }
        self.dict_get_q(d, q)
    }

    /// `o.q = v` (not a deletion) when `o` is an instance of a plain class (`CLS_PLAIN`)
    /// whose own dict has `q` already or has room for it (true), without the general
    /// lookup; false: nothing done.
    #[inline]
    fn store_field(&mut self, o: Obj, q: crate::Qstr, v: Obj) -> bool {
        use crate::obj::instance::{INST_CLASS, INST_DICT};
        // (v NULL: `del o.q`.)
        if v.is_null() || !o.is_heap() || self.heap.tid(o) != TypeId::INSTANCE {
            return false;
        }
        let cls = self.heap.get_obj(o, INST_CLASS);
        if !self.is_user_class(cls) || !self.class_is_plain(cls) {
            return false;
        }
        let d = self.heap.get_obj(o, INST_DICT);
        !d.is_null() && (self.dict_replace_q(d, q, v) || self.dict_add_q(d, q, v))
    }

    /// `load_method(o, q)` when `o` is a plain instance and `q` is in its own dict or
    /// is a bytecode function of its class (the two commonest cases), without the
    /// general lookup.
    #[inline]
    fn instance_method(&self, o: Obj, q: crate::Qstr) -> Option<(Obj, Obj)> {
        use crate::obj::instance::{INST_CLASS, INST_DICT};
        if !o.is_heap()
            || self.heap.tid(o) != TypeId::INSTANCE
            || q == q!("__class__")
            || q == q!("__dict__")
        {
            return None;
        }
        let d = self.heap.get_obj(o, INST_DICT);
        if !d.is_null() {
            if let Some(v) = self.dict_get_q(d, q) {
                return Some((v, Obj::NULL));
            }
        }
        let v = self.class_lookup(self.heap.get_obj(o, INST_CLASS), q)?;
        (v.is_heap() && self.heap.tid(v) == TypeId::FUNCTION).then_some((v, o))
    }

    /// Arithmetic and comparison of a float with a float or small int (what
    /// `float_binary_op` does for them), without the general operator dispatch.
    /// `None`: not such an operation (or a division by zero, left to raise there).
    #[cfg(feature = "float")]
    #[inline]
    fn float_fast_op(&mut self, op: op::BinaryOp, a: Obj, b: Obj) -> Option<PyResult<Obj>> {
        use op::BinaryOp as B;
        if !self.is_float(a) {
            return None;
        }
        let x = self.float_value(a);
        let y = if b.is_small() {
            b.small_value() as f64
        } else if self.is_float(b) {
            self.float_value(b)
        } else {
            return None;
        };
        let r = match op {
            B::Add | B::InplaceAdd => x + y,
            B::Subtract | B::InplaceSubtract => x - y,
            B::Multiply | B::InplaceMultiply => x * y,
            B::TrueDivide | B::InplaceTrueDivide if y != 0.0 => x / y,
            B::Less => return Some(Ok(Obj::bool(x < y))),
            B::More => return Some(Ok(Obj::bool(x > y))),
            B::LessEqual => return Some(Ok(Obj::bool(x <= y))),
            B::MoreEqual => return Some(Ok(Obj::bool(x >= y))),
            _ => return None,
        };
        if let Some(o) = self.new_float_fast(r) {
            return Some(Ok(o));
        }
        Some(self.new_float(r))
    }

    fn unbound_local(&mut self) -> PyErr {
        self.raise(
            TypeId::NAME_ERROR,
            "local variable referenced before assignment",
        )
    }

    /// Raise "name 'x' isn't defined".
    pub(crate) fn name_error(&mut self, q: crate::Qstr) -> PyErr {
        self.raise_fmt(
            TypeId::NAME_ERROR,
            &[Fmt::S("name '"), Fmt::Q(q), Fmt::S("' isn't defined")],
        )
    }

    fn locals_of(&self, fs: &Fs) -> Obj {
        let l = self.fget(fs, F_LOCALS);
        if l.is_null() {
            self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS)
        } else {
            l
        }
    }

    fn load_name(&mut self, fs: &Fs, q: crate::Qstr) -> PyResult<Obj> {
        let l = self.fget(fs, F_LOCALS);
        let g = self.heap.get_obj(fs.ctx, fun::CTX_GLOBALS);
        if !l.is_null() && l != g {
            let ld = self.native_base(l, TypeId::DICT);
            if self.is_dict(ld) {
                if let Some(v) = self.dict_get_q(ld, q) {
                    return Ok(v);
                }
            } else {
                self.save_fs(fs);
                if let Some(v) = self.mapping_get(l, Obj::qstr(q))? {
                    return Ok(v);
                }
            }
        }
        self.load_global(g, q)
    }

    /// Look `q` up in globals then builtins.
    ///
    /// Inlined into the loop on 64-bit hosts: the call's register saves and restores
    /// were a good part of a hit (LOAD_GLOBAL is a few percent of pystone's instructions).
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    pub(crate) fn load_global(&mut self, g: Obj, q: crate::Qstr) -> PyResult<Obj> {
        let slot = self.cache_slot & (super::BUILTIN_CACHE - 1);
        if let Some(&(cg, cq, ci, cv)) = self.builtin_cache.get(slot) {
            if cg == g && cq == q.0 && ci == self.dict_inserts && !cv.is_null() {
                return Ok(cv);
            }
        }
        if let Some(v) = self.dict_get_q(g, q) {
            return Ok(v);
        }
        if let Some(v) = crate::builtins::lookup(self, q) {
            if let Some(e) = self.builtin_cache.get_mut(slot) {
                *e = (g, q.0, self.dict_inserts, v);
            }
            return Ok(v);
        }
        Err(self.name_error(q))
    }

    fn store_name_in(&mut self, d: Obj, q: crate::Qstr, v: Obj) -> PyResult<()> {
        let dd = self.native_base(d, TypeId::DICT);
        if self.is_dict(dd) {
            return self.dict_set(dd, Obj::qstr(q), v);
        }
        self.store_subscr(d, Obj::qstr(q), v)
    }

    // ------------------------------------------------------------ calls

    /// Decode a `CALL_*` operand (`n_pos | n_kw << 8`) and drop the call's stack entries:
    /// the function, self (`CALL_METHOD*`: a method's self or NULL), the positional args,
    /// the key/value pairs and (`*_VAR_KW`) the star-args bitmap. They stay in place above
    /// `sp`, where the callee reads them.
    #[inline]
    fn call_operands(&mut self, fs: &mut Fs, is_method: bool, var_kw: bool) -> PyResult<CallSite> {
        let unum = self.read_uint(fs)?;
        let n_pos = unum & 0xff;
        let n_kw = (unum >> 8) & 0xff;
        let n = n_pos + 2 * n_kw + 1 + usize::from(is_method) + usize::from(var_kw);
        self.drop_n(fs, n)?;
        let base = F_STATE + fs.sp;
        let f = self.fget(fs, base);
        let (self_, first) = if is_method {
            (self.fget(fs, base + 1), base + 2)
        } else {
            (Obj::NULL, base + 1)
        };
        Ok(CallSite {
            f,
            self_,
            first,
            n_pos,
            n_kw,
        })
    }

    /// The commonest call from the loop, without the general machinery: a bytecode
    /// function (or a bound method of one), not a generator or closure, called with
    /// exactly its positional parameters and nothing else. Pushes its frame and returns
    /// the callee's state; `None`: not such a call (nothing done).
    #[inline]
    fn call_simple(&mut self, fs: &mut Fs, c: &CallSite) -> PyResult<Option<Fs>> {
        if c.n_kw != 0 || !c.f.is_heap() {
            return Ok(None);
        }
        let (f, slf) = match self.heap.tid(c.f) {
            TypeId::FUNCTION => (c.f, c.self_),
            TypeId::BOUND_METH if c.self_.is_null() => {
                (self.heap.get_obj(c.f, 1), self.heap.get_obj(c.f, 2))
            }
            _ => return Ok(None),
        };
        if !f.is_heap()
            || self.heap.tid(f) != TypeId::FUNCTION
            || !self.heap.get_obj(f, fun::F_CLOSURE).is_null()
        {
            return Ok(None);
        }
        let rc = self.heap.get_obj(f, fun::F_RC);
        let n_args = c.n_pos + usize::from(!slf.is_null());
        // (`code`: None on 32-bit targets, which read it below as before.)
        let Some((n_state, n_exc, code_off, code)) = self.simple_rc(rc, n_args) else {
            return Ok(None);
        };
        if self.config.max_steps != 0 {
            self.steps += 1;
            if self.steps > self.config.max_steps {
                return Err(self.raise(TypeId::RUNTIME_ERROR, "step limit exceeded"));
            }
        }
        // The caller resumes after this instruction with its stack cut to the function;
        // the function and arguments stay above sp (scanned with the frame).
        self.save_fs(fs);
        let frame = self.alloc_frame(F_STATE + n_state + 3 * n_exc)?;
        let top = F_STATE + n_state - 1;
        let mut first = c.first;
        let mut i = 0;
        if !slf.is_null() {
            self.heap.set_obj(frame, top, slf);
            i = 1;
        }
        while i < n_args {
            let x = self.fget(fs, first);
            self.heap.set_obj(frame, top - i, x);
            first += 1;
            i += 1;
        }
        self.check_depth()?;
        // What `init_frame` and `push_frame(frame, FrameMode::Call, NULL)` write, at once
        // (the frame is new: zeroed, no generator's).
        let tag = |v: usize| (v << 1 | 1).to_ne_bytes();
        let prev = self.frame;
        if let Some(w) = self.heap.fields_mut::<F_STATE>(frame) {
            w[F_PREV] = prev.0.to_ne_bytes();
            w[F_FUN] = f.0.to_ne_bytes();
            w[F_IP] = tag(code_off);
            w[F_EXC_IP] = tag(code_off);
            w[F_SP] = tag(0);
            w[F_EXC_SP] = tag(0);
            w[F_MODE] = tag(FrameMode::Call as usize);
            w[F_AUX] = Obj::NULL.0.to_ne_bytes();
            w[F_NSTATE] = tag(n_state);
            w[F_NEXC] = tag(n_exc);
        }
        self.frame = frame;
        self.depth += 1;
        // Keep the caller's state (as just saved to its frame) for the return.
        if let Some(e) = self.ret_cache.get_mut(ret_slot(self.depth)) {
            *e = (frame, *fs);
        }
        Ok(Some(Fs {
            frame,
            #[cfg(target_pointer_width = "64")]
            fw: frame.offset() / crate::gc::WORD,
            ip: code_off,
            ip0: code_off,
            sp: 0,
            n_state,
            exc_sp: 0,
            n_exc,
            code: match code {
                Some(code) => code,
                None => self.code_of(rc),
            },
            ctx: self.heap.get_obj(f, fun::F_CTX),
            rc,
        }))
    }

    /// What [`Vm::call_simple`] needs of raw code `rc` for a call with `n_args`
    /// positional arguments: `(n_state, n_exc, code_off, code)`; `None`: not a simple
    /// call. On 64-bit hosts a heap raw code's fields are read with one bounds check
    /// (`rc_int` checks each, and `code_of` reads three again), `code` included; on
    /// 32-bit targets `code` is None, for the caller to read with `code_of`.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn simple_rc(&self, rc: Obj, n_args: usize) -> Option<(usize, usize, usize, Option<Code>)> {
        use upyc_bytecode::prelude::{
            SCOPE_FLAG_DEFKWARGS, SCOPE_FLAG_GENERATOR, SCOPE_FLAG_VARARGS, SCOPE_FLAG_VARKEYWORDS,
        };
        const SPECIAL: usize = (SCOPE_FLAG_VARARGS
            | SCOPE_FLAG_VARKEYWORDS
            | SCOPE_FLAG_DEFKWARGS
            | SCOPE_FLAG_GENERATOR) as usize;
        #[cfg(target_pointer_width = "64")]
        if !rc.is_rom() && cfg!(feature = "mpy-load") {
            if let Some(w) = self.heap.fields::<{ RC::WORDS }>(rc) {
                let int = |i: usize| usize::from_ne_bytes(w[i]) >> 1;
                let n_state = int(RC::N_STATE);
                if int(RC::N_POS) != n_args
                    || n_args > n_state
                    || int(RC::SCOPE_FLAGS) & SPECIAL != 0
                    || int(RC::N_KWONLY) != 0
                    || int(RC::N_CELL) != 0
                {
                    return None;
                }
                let src = Obj(usize::from_ne_bytes(w[RC::SRC]));
                let code = Self::heap_rc_code(src, int(RC::DATA_OFF), int(RC::DATA_LEN));
                return Some((n_state, int(RC::N_EXC), int(RC::CODE_OFF), Some(code)));
            }
        }
        let n_state = self.rc_int(rc, RC::N_STATE);
        if self.rc_int(rc, RC::N_POS) != n_args
            || n_args > n_state
            || self.rc_int(rc, RC::SCOPE_FLAGS) & SPECIAL != 0
            || self.rc_int(rc, RC::N_KWONLY) != 0
            || self.rc_int(rc, RC::N_CELL) != 0
        {
            return None;
        }
        let n_exc = self.rc_int(rc, RC::N_EXC);
        let code_off = self.rc_int(rc, RC::CODE_OFF);
        Some((n_state, n_exc, code_off, None))
    }

    /// Call from the loop. Returns true if a frame was pushed (the caller reloads).
    fn do_call(&mut self, fs: &mut Fs, f: Obj, a: &CallArgs) -> PyResult<bool> {
        // The caller resumes after this instruction with its stack cut to the function.
        self.save_fs(fs);
        match self.call_prepare(f, a, FrameMode::Call)? {
            Called::Value(v) => {
                self.push(fs, v)?;
                Ok(false)
            }
            Called::Frame => Ok(true),
        }
    }

    fn make_function(
        &mut self,
        rc: Obj,
        ctx: Obj,
        child: usize,
        defaults: Obj,
        kwdefaults: Obj,
        closure: Obj,
    ) -> PyResult<Obj> {
        let crc = if rc.is_rom() || !cfg!(feature = "mpy-load") {
            match self.frozen_child(rc, child) {
                Some(c) => c,
                None => return Err(self.bad_code()),
            }
        } else {
            let children = self.heap.get_obj(rc, RC::CHILDREN);
            if children.is_null() || child >= self.tuple_len(children) {
                return Err(self.bad_code());
            }
            self.tuple_get(children, child)
        };
        let defaults = if defaults == Obj::NONE {
            Obj::NULL
        } else {
            defaults
        };
        let kwdefaults = if kwdefaults == Obj::NONE {
            Obj::NULL
        } else {
            kwdefaults
        };
        if !defaults.is_null() && !self.is_tuple(defaults)
            || !kwdefaults.is_null() && !self.is_dict(kwdefaults)
        {
            return Err(self.bad_code());
        }
        fun::new_function(self, crc, ctx, defaults, kwdefaults, closure)
    }

    // ------------------------------------------------------------ returns and unwinding

    /// RETURN_VALUE: run pending finally blocks, then leave the frame.
    fn unwind_return(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        while fs.exc_sp > 0 {
            let (handler, val_sp, finally) = self.exc_get(fs, fs.exc_sp - 1);
            if finally {
                if handler >= fs.ip {
                    // Run the finally block, then come back here (cause -1).
                    let ret = self.peek(fs, 0)?;
                    if val_sp >= fs.n_state {
                        return Err(self.bad_code());
                    }
                    self.fset(fs, F_STATE + val_sp, ret);
                    fs.sp = val_sp + 1;
                    self.push(fs, Obj::small_unchecked(-1))?;
                    fs.ip = handler;
                    return Ok(None);
                }
                self.cancel_active_finally(fs)?;
            }
            fs.exc_sp -= 1;
        }
        let v = self.peek(fs, 0)?;
        self.leave_frame(fs, v)
    }

    fn cancel_active_finally(&mut self, fs: &mut Fs) -> PyResult<()> {
        let prev = self.peek(fs, 1)?;
        let top = self.peek(fs, 0)?;
        if prev.is_small() {
            // (..., prev_dest_ip, prev_cause, dest_ip)
            self.set_peek(fs, 2, top)?;
            self.drop_n(fs, 2)
        } else {
            // (..., None/exception, dest_ip)
            self.set_peek(fs, 1, top)?;
            self.drop_n(fs, 1)
        }
    }

    /// UNWIND_JUMP (TOS is the destination ip): leave `unum & 0x7f` handlers, running
    /// finally blocks; bit 0x80 pops a for-loop iterator too.
    fn unwind_jump(&mut self, fs: &mut Fs, mut unum: usize) -> PyResult<()> {
        while unum & 0x7f > 0 {
            unum -= 1;
            if fs.exc_sp == 0 {
                return Err(self.bad_code());
            }
            let (handler, _val_sp, finally) = self.exc_get(fs, fs.exc_sp - 1);
            if finally {
                if handler >= fs.ip {
                    self.push(fs, Obj::small_unchecked(unum as isize))?;
                    fs.ip = handler;
                    return Ok(());
                }
                self.cancel_active_finally(fs)?;
            }
            fs.exc_sp -= 1;
        }
        let dest = self.pop(fs)?;
        if !dest.is_small() || dest.small_value() < 0 {
            return Err(self.bad_code());
        }
        fs.ip = dest.small_value() as usize;
        if unum != 0 {
            self.drop_n(fs, ITER_SLOTS)?;
        }
        Ok(())
    }

    /// RETURN_VALUE of the commonest frame, inline in the loop (64-bit hosts): no
    /// exception handler active, pushed by `call_simple` (mode Call, not a generator's,
    /// the caller's state in `ret_cache`). Does what `unwind_return` does then; false:
    /// not such a return (nothing done).
    #[cfg(target_pointer_width = "64")]
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn return_simple(&mut self, fs: &mut Fs) -> PyResult<bool> {
        if fs.exc_sp != 0 {
            return Ok(false);
        }
        let frame = fs.frame;
        let (modebits, prev) = match self.heap.fields::<F_STATE>(frame) {
            Some(w) => (
                usize::from_ne_bytes(w[F_MODE]) >> 1,
                Obj(usize::from_ne_bytes(w[F_PREV])),
            ),
            None => return Ok(false),
        };
        if modebits != FrameMode::Call as usize {
            return Ok(false);
        }
        let caller = match self.ret_cache.get(ret_slot(self.depth)) {
            Some((callee, caller)) if *callee == frame => *caller,
            _ => return Ok(false),
        };
        let v = self.peek(fs, 0)?;
        self.frame = prev;
        self.depth = self.depth.saturating_sub(1);
        self.release_frame_of(frame, fs.n_state, fs.n_exc);
        *fs = caller;
        self.push(fs, v)?;
        Ok(true)
    }

    /// Leave the current frame with result `v`; `Some(v)` if the loop must return it.
    fn leave_frame(&mut self, fs: &mut Fs, v: Obj) -> PyResult<Option<Obj>> {
        let frame = fs.frame;
        // The three fixed fields with one bounds check (as `load_fs` reads them).
        let (modebits, aux, prev) = match self.heap.fields::<F_STATE>(frame) {
            Some(w) => (
                usize::from_ne_bytes(w[F_MODE]) >> 1,
                Obj(usize::from_ne_bytes(w[F_AUX])),
                Obj(usize::from_ne_bytes(w[F_PREV])),
            ),
            None => (0, Obj::NULL, Obj::NULL),
        };
        let depth = self.depth;
        self.frame = prev;
        self.depth = self.depth.saturating_sub(1);
        if modebits & MODE_GEN != 0 {
            // A finished generator's frame stays readable (its state is saved).
            fs.sp = fs.sp.saturating_sub(1);
            self.save_fs(fs);
            self.heap.set_obj(frame, F_PREV, Obj::NULL);
            crate::obj::gen::finished(self, aux);
            self.gen_status = GenStatus::Returned;
        } else {
            // Only a generator keeps its frame after it returns.
            self.release_frame_of(frame, fs.n_state, fs.n_exc);
        }
        match modebits & 3 {
            1 => Ok(Some(v)),
            2 => {
                // The resumer re-executes its instruction.
                self.gen_result = v;
                *fs = self.load_fs(prev);
                fs.ip = fs.ip0;
                Ok(None)
            }
            3 => {
                *fs = self.load_fs(prev);
                if v != Obj::NONE {
                    fs.ip0 = self.heap.get_int(prev, F_EXC_IP);
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("__init__() should return None, not '"),
                            Fmt::T(v),
                            Fmt::S("'"),
                        ],
                    ));
                }
                self.push(fs, aux)?;
                Ok(None)
            }
            _ => {
                *fs = match self.ret_cache.get(ret_slot(depth)) {
                    // Pushed by `call_simple` from `prev`, whose state is as it left it.
                    Some((callee, caller)) if *callee == frame => *caller,
                    _ => self.load_fs(prev),
                };
                self.push(fs, v)?;
                Ok(None)
            }
        }
    }

    /// YIELD_VALUE: suspend the generator frame, hand TOS to its resumer.
    fn do_yield(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        let frame = fs.frame;
        let modebits = self.heap.get_int(frame, F_MODE);
        if modebits & MODE_GEN == 0 {
            return Err(self.bad_code());
        }
        let v = self.peek(fs, 0)?;
        self.save_fs(fs);
        let prev = self.heap.get_obj(frame, F_PREV);
        self.frame = prev;
        self.heap.set_obj(frame, F_PREV, Obj::NULL);
        self.depth = self.depth.saturating_sub(1);
        let g = self.heap.get_obj(frame, F_AUX);
        crate::obj::gen::suspended(self, g);
        self.gen_status = GenStatus::Yielded;
        if modebits & 3 == FrameMode::GenReexec as usize {
            self.gen_result = v;
            *fs = self.load_fs(prev);
            fs.ip = fs.ip0;
            Ok(None)
        } else {
            Ok(Some(v))
        }
    }

    /// Handle the pending exception in the current frame: jump to a handler (`Ok(None)`),
    /// or propagate out of the native-mode frame (`Err`). Frames without a handler are
    /// popped; the frame that resumed a generator or called a function continues unwinding.
    fn unwind(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        loop {
            let exc = self.pending;
            let opc = self.code_byte(&fs.code, fs.ip0);
            if self.exception_matches(exc, TypeId::STOP_ITERATION) {
                if opc == Some(op::FOR_ITER) {
                    // A StopIteration in a for loop's __next__ ends the loop.
                    fs.ip = fs.ip0 + 1;
                    let rel = self.read_ulabel(fs)?;
                    fs.ip += rel;
                    if fs.ip > fs.code.len {
                        return Err(self.bad_code());
                    }
                    self.drop_n(fs, ITER_SLOTS)?;
                    self.pending = Obj::NULL;
                    return Ok(None);
                }
                if opc == Some(op::YIELD_FROM) {
                    let v = crate::obj::exception::stop_iteration_value(self, exc);
                    self.set_peek(fs, 0, v)?;
                    fs.ip = fs.ip0 + 1;
                    self.pending = Obj::NULL;
                    return Ok(None);
                }
            }
            if opc != Some(op::END_FINALLY) && opc != Some(op::RAISE_LAST) {
                self.add_traceback_here(fs, exc);
            }
            while fs.exc_sp > 0 && self.exc_get(fs, fs.exc_sp - 1).0 <= fs.ip0 {
                fs.exc_sp -= 1;
            }
            if fs.exc_sp > 0 {
                let i = fs.exc_sp - 1;
                let (handler, val_sp, _) = self.exc_get(fs, i);
                if handler > fs.code.len || val_sp >= fs.n_state {
                    return Err(self.bad_code());
                }
                let e = Self::exc_entry(fs, i);
                self.fset(fs, e + 2, exc);
                fs.ip = handler;
                fs.sp = val_sp;
                self.push(fs, exc)?;
                self.pending = Obj::NULL;
                return Ok(None);
            }
            // No handler: leave the frame.
            let frame = fs.frame;
            let modebits = self.heap.get_int(frame, F_MODE);
            let prev = self.heap.get_obj(frame, F_PREV);
            self.save_fs(fs);
            self.frame = prev;
            self.heap.set_obj(frame, F_PREV, Obj::NULL);
            self.depth = self.depth.saturating_sub(1);
            if modebits & MODE_GEN != 0 {
                let g = self.heap.get_obj(frame, F_AUX);
                crate::obj::gen::finished(self, g);
                if self.exception_matches(exc, TypeId::STOP_ITERATION) {
                    let _ = self.raise(TypeId::RUNTIME_ERROR, "generator raised StopIteration");
                }
            } else {
                self.release_frame(frame);
            }
            if modebits & 3 == FrameMode::Native as usize || prev.is_null() {
                return Err(PyErr);
            }
            *fs = self.load_fs(prev);
        }
    }

    fn add_traceback_here(&mut self, fs: &Fs, exc: Obj) {
        let rc = fs.rc;
        let code_off = self.rc_int(rc, RC::CODE_OFF);
        let li = self.rc_int(rc, RC::LINE_INFO_OFF);
        let le = self.rc_int(rc, RC::CELLS_OFF);
        let bc = fs.ip0.saturating_sub(code_off);
        let line = upyc_bytecode::prelude::source_line(self.code_slice(&fs.code, li, le), bc);
        let name_idx = self.rc_int(rc, RC::NAME);
        let block = self.ctx_qstr(fs.ctx, name_idx).unwrap_or(q!("<module>"));
        let file = self.ctx_qstr(fs.ctx, 0).unwrap_or(q!(""));
        crate::obj::exception::add_traceback(self, exc, file, line, block);
        self.pending = exc;
    }

    // ------------------------------------------------------------ complex opcodes

    fn op_with_cleanup(&mut self, fs: &mut Fs) -> PyResult<()> {
        let top = self.peek(fs, 0)?;
        self.save_fs(fs);
        if top == Obj::NONE {
            // (..., __exit__, self, None)
            let exit_m = self.peek(fs, 2)?;
            let exit_s = self.peek(fs, 1)?;
            let mut a = CallArgs::slice(&[Obj::NONE, Obj::NONE, Obj::NONE]);
            a.self_ = exit_s;
            self.call_args(exit_m, &a)?;
            self.drop_n(fs, 2)?;
            self.set_peek(fs, 0, Obj::NONE)?;
        } else if top.is_small() {
            // (..., __exit__, self, data, cause)
            let data = self.peek(fs, 1)?;
            let exit_m = self.peek(fs, 3)?;
            let exit_s = self.peek(fs, 2)?;
            let mut a = CallArgs::slice(&[Obj::NONE, Obj::NONE, Obj::NONE]);
            a.self_ = exit_s;
            self.call_args(exit_m, &a)?;
            self.drop_n(fs, 2)?;
            self.set_peek(fs, 1, data)?;
            self.set_peek(fs, 0, top)?;
        } else {
            // (..., __exit__, self, exception)
            let exit_m = self.peek(fs, 2)?;
            let exit_s = self.peek(fs, 1)?;
            let t = self.type_of(top);
            let args = [t, top, Obj::NONE];
            // t may be a heap class: rooted through the exception on the stack.
            let mut a = CallArgs::slice(&args);
            a.self_ = exit_s;
            let r = self.call_args(exit_m, &a)?;
            let swallow = self.is_true(r)?;
            self.drop_n(fs, 2)?;
            if swallow {
                self.set_peek(fs, 0, Obj::NONE)?;
            } else {
                self.set_peek(fs, 0, top)?;
            }
        }
        Ok(())
    }

    fn op_get_iter_stack(&mut self, fs: &mut Fs) -> PyResult<()> {
        let o = self.peek(fs, 0)?;
        if fs.sp + ITER_SLOTS - 1 > fs.n_state {
            return Err(self.bad_code());
        }
        let base = F_STATE + fs.sp - 1;
        if o.is_heap() && matches!(self.heap.tid(o), TypeId::LIST | TypeId::TUPLE) {
            self.fset(fs, base, Obj::ITER_SEQ);
            self.fset(fs, base + 1, o);
            self.fset(fs, base + 2, Obj::small_unchecked(0));
            self.fset(fs, base + 3, Obj::NULL);
        } else if let Some((start, stop, step)) = self.small_range(o) {
            self.fset(fs, base, Obj::ITER_RANGE);
            self.fset(fs, base + 1, Obj::small_unchecked(start));
            self.fset(fs, base + 2, Obj::small_unchecked(stop));
            self.fset(fs, base + 3, Obj::small_unchecked(step));
        } else {
            self.save_fs(fs);
            let it = self.get_iter(o)?;
            self.fset(fs, base, Obj::NULL);
            self.fset(fs, base + 1, it);
            self.fset(fs, base + 2, Obj::NULL);
            self.fset(fs, base + 3, Obj::NULL);
        }
        fs.sp += ITER_SLOTS - 1;
        Ok(())
    }

    fn op_for_iter(&mut self, fs: &mut Fs) -> PyResult<()> {
        let rel = self.read_ulabel(fs)?;
        if fs.sp < ITER_SLOTS {
            return Err(self.bad_code());
        }
        let base = F_STATE + fs.sp - ITER_SLOTS;
        let kind = self.fget(fs, base);
        let value = if kind == Obj::ITER_SEQ {
            let seq = self.fget(fs, base + 1);
            let i = self.fget(fs, base + 2).small_value() as usize;
            match self.items(seq) {
                Some(it) if i < it.len => {
                    self.fset(fs, base + 2, Obj::small_unchecked(i as isize + 1));
                    self.item(it, i)
                }
                _ => Obj::STOP,
            }
        } else if kind == Obj::ITER_RANGE {
            let cur = self.fget(fs, base + 1).small_value();
            let stop = self.fget(fs, base + 2).small_value();
            let step = self.fget(fs, base + 3).small_value();
            if (step > 0 && cur < stop) || (step < 0 && cur > stop) {
                let next = cur.checked_add(step).unwrap_or(stop);
                self.fset(
                    fs,
                    base + 1,
                    Obj::small(next).unwrap_or(Obj::small_unchecked(stop)),
                );
                Obj::small_unchecked(cur)
            } else {
                Obj::STOP
            }
        } else {
            let it = self.fget(fs, base + 1);
            match self.gen_status {
                GenStatus::Yielded => {
                    self.gen_status = GenStatus::None;
                    core::mem::replace(&mut self.gen_result, Obj::NULL)
                }
                GenStatus::Returned => {
                    self.gen_status = GenStatus::None;
                    self.gen_result = Obj::NULL;
                    Obj::STOP
                }
                GenStatus::None => {
                    if crate::obj::gen::is_resumable(self, it) {
                        // Resume the generator in place; we re-execute on its yield.
                        fs.ip = fs.ip0;
                        self.save_fs(fs);
                        crate::obj::gen::resume_frame(self, it, Obj::NONE, FrameMode::GenReexec)?;
                        *fs = self.load_fs(self.frame);
                        return Ok(());
                    }
                    self.save_fs(fs);
                    self.iter_next(it)?
                }
            }
        };
        if value == Obj::STOP {
            fs.sp -= ITER_SLOTS;
            fs.ip += rel;
            if fs.ip > fs.code.len {
                return Err(self.bad_code());
            }
        } else {
            self.push(fs, value)?;
        }
        Ok(())
    }

    fn op_yield_from(&mut self, fs: &mut Fs) -> PyResult<Option<Obj>> {
        // stack: (..., delegate, send_value)
        match self.gen_status {
            GenStatus::Yielded => {
                // The delegate yielded: we yield the same value, and re-run on resume.
                self.gen_status = GenStatus::None;
                let v = core::mem::replace(&mut self.gen_result, Obj::NULL);
                self.set_peek(fs, 0, v)?;
                fs.ip = fs.ip0;
                return self.do_yield(fs);
            }
            GenStatus::Returned => {
                self.gen_status = GenStatus::None;
                let v = core::mem::replace(&mut self.gen_result, Obj::NULL);
                self.drop_n(fs, 1)?;
                self.set_peek(fs, 0, v)?;
                return Ok(None);
            }
            GenStatus::None => {}
        }
        let send = self.pop(fs)?;
        let del = self.peek(fs, 0)?;
        self.save_fs(fs);
        let inject = core::mem::replace(&mut self.pending, Obj::NULL);
        if crate::obj::gen::is_resumable(self, del) {
            // Keep send on the stack for re-execution bookkeeping.
            self.push(fs, send)?;
            fs.ip = fs.ip0;
            self.save_fs(fs);
            crate::obj::gen::resume_frame(self, del, send, FrameMode::GenReexec)?;
            *fs = self.load_fs(self.frame);
            if !inject.is_null() {
                // Throw into the delegate at its resume point.
                let e = self.make_raise_obj(inject)?;
                self.pending = e;
                fs.ip0 = fs.ip;
                return Err(PyErr);
            }
            return Ok(None);
        }
        // A non-generator iterator.
        let r = if !inject.is_null() {
            match self.load_attr_opt(del, q!("throw"))? {
                Some(m) => self.call(m, &[inject], Obj::NULL),
                None => Err(self.raise_obj(inject)),
            }
        } else if send == Obj::NONE {
            let v = self.iter_next(del)?;
            if v == Obj::STOP {
                // Exhausted: the value of yield from is None.
                self.set_peek(fs, 0, Obj::NONE)?;
                return Ok(None);
            }
            Ok(v)
        } else {
            self.call_method(del, q!("send"), &[send])
        };
        let v = r?;
        // Yield v; re-execute YIELD_FROM on resume (the sent value replaces TOS).
        self.push(fs, v)?;
        fs.ip = fs.ip0;
        self.do_yield(fs)
    }
}
