//! Calling objects: argument sources, binding arguments to a bytecode frame, calling
//! natives, and `*args`/`**kwargs` flattening.
//!
//! Corresponds to MicroPython's `py/bc.c` (`mp_setup_code_state`), `py/runtime.c`
//! (`mp_call_function_n_kw`, `mp_call_prepare_args_n_kw_var`), `py/objfun.c` and
//! `py/objclosure.c`.
//!
//! Where we differ: a closure is a function object with a tuple of cells; calling it binds
//! the cells as the leading positional arguments without building a new argument array.
//! Arguments are read where they are (the caller's value stack in the heap, or a Rust
//! slice) instead of being copied into a C array.

use super::dispatch::{FrameMode, F_NSTATE, F_STATE};
use super::{Fmt, Vm, FRAME_CACHE};
use crate::builtins::NativeKind;
use crate::gc::{BLOCK, WORD};
use crate::obj::fun::{self, RC};
use crate::obj::list::A_ITEMS;
use crate::obj::{Obj, TypeId};
use crate::{q, PyResult};
use upyc_bytecode::prelude::{
    SCOPE_FLAG_DEFKWARGS, SCOPE_FLAG_GENERATOR, SCOPE_FLAG_VARARGS, SCOPE_FLAG_VARKEYWORDS,
};

/// Positional arguments of a native call that are passed from a buffer on the stack.
pub const MAX_NATIVE_ARGS: usize = if usize::BITS >= 64 { 24 } else { 8 };
/// Most positional arguments a native function can be passed (`print(*items)`): calls with
/// more than [`MAX_NATIVE_ARGS`] take a bigger buffer, on the stack only while they run.
pub const MAX_NATIVE_ARGS_SPILLED: usize = if usize::BITS >= 64 { 1024 } else { 64 };

/// Where call arguments are.
#[derive(Clone, Copy)]
pub(crate) enum ArgSrc<'a> {
    /// Heap words `first..` of object `base`: positional args, then key/value pairs.
    Heap(Obj, usize),
    /// A Rust slice of positional args (rooted by the caller).
    Slice(&'a [Obj]),
}

/// The arguments of a call.
#[derive(Clone, Copy)]
pub(crate) struct CallArgs<'a> {
    /// A leading positional argument (a bound method's self), or NULL.
    pub self_: Obj,
    pub src: ArgSrc<'a>,
    /// Positional arguments in `src`.
    pub n_pos: usize,
    /// Key/value pairs after them in `src` (keys are qstrs).
    pub n_kw: usize,
    /// A dict of more keyword arguments, or NULL.
    pub kw_dict: Obj,
}

impl<'a> CallArgs<'a> {
    /// Positional arguments from a slice, no keywords.
    pub fn slice(args: &'a [Obj]) -> Self {
        CallArgs {
            self_: Obj::NULL,
            src: ArgSrc::Slice(args),
            n_pos: args.len(),
            n_kw: 0,
            kw_dict: Obj::NULL,
        }
    }

    /// Number of positional arguments including self.
    pub fn n_args(&self) -> usize {
        self.n_pos + usize::from(!self.self_.is_null())
    }

    fn raw(&self, vm: &Vm, i: usize) -> Obj {
        match self.src {
            ArgSrc::Heap(base, first) => vm.heap.get_obj(base, first + i),
            ArgSrc::Slice(s) => s.get(i).copied().unwrap_or(Obj::NULL),
        }
    }

    /// Positional argument `i` (self included).
    pub fn pos(&self, vm: &Vm, i: usize) -> Obj {
        if !self.self_.is_null() {
            if i == 0 {
                return self.self_;
            }
            return self.raw(vm, i - 1);
        }
        self.raw(vm, i)
    }

    /// Keyword pair `i` (of the inline pairs).
    pub fn kw(&self, vm: &Vm, i: usize) -> (Obj, Obj) {
        (
            self.raw(vm, self.n_pos + 2 * i),
            self.raw(vm, self.n_pos + 2 * i + 1),
        )
    }
}

/// What calling an object from the dispatch loop did.
pub(crate) enum Called {
    /// The call finished with this value.
    Value(Obj),
    /// A bytecode frame was pushed; the loop continues in it.
    Frame,
}

impl<'h> Vm<'h> {
    /// Call `f` with positional args (rooted by the caller) and an optional kwargs dict.
    /// The function and arguments are rooted for the duration of the call.
    pub fn call(&mut self, f: Obj, args: &[Obj], kw: Obj) -> PyResult<Obj> {
        let mark = self.roots_mark();
        self.root(f)?;
        self.root(kw)?;
        for &x in args.iter().take(16) {
            self.root(x)?;
        }
        let mut a = CallArgs::slice(args);
        a.kw_dict = kw;
        let r = self.call_args(f, &a);
        self.unroot_to(mark);
        r
    }

    /// Call method `name` of `o` with positional args.
    pub fn call_method(&mut self, o: Obj, name: crate::Qstr, args: &[Obj]) -> PyResult<Obj> {
        let mark = self.roots_mark();
        self.root(o)?;
        for &x in args.iter().take(16) {
            self.root(x)?;
        }
        let r = (|| {
            let (m, s) = self.load_method(o, name)?;
            self.root(m)?;
            let mut a = CallArgs::slice(args);
            a.self_ = s;
            self.call_args(m, &a)
        })();
        self.unroot_to(mark);
        r
    }

    /// Call `f`, running Python code to completion if it is a bytecode function.
    pub(crate) fn call_args(&mut self, f: Obj, a: &CallArgs) -> PyResult<Obj> {
        match self.call_prepare(f, a, FrameMode::Native)? {
            Called::Value(v) => Ok(v),
            Called::Frame => self.execute(),
        }
    }

    /// Call `f`; bytecode functions get a new frame (with the given return mode) that the
    /// caller must run. Everything else runs now.
    pub(crate) fn call_prepare(
        &mut self,
        f: Obj,
        a: &CallArgs,
        mode: FrameMode,
    ) -> PyResult<Called> {
        if let Some((table, idx)) = f.as_native_fun() {
            return self.call_native(table, idx, a).map(Called::Value);
        }
        if let Some(t) = f.as_builtin_type() {
            return self.call_native_type(t, a).map(Called::Value);
        }
        if !f.is_heap() {
            return Err(self.not_callable(f));
        }
        match self.heap.tid(f) {
            TypeId::FUNCTION => self.call_function(f, a, mode, Obj::NULL),
            TypeId::BOUND_METH => {
                let fun = self.heap.get_obj(f, 1);
                let slf = self.heap.get_obj(f, 2);
                if !a.self_.is_null() {
                    // Rare: a bound method called as a method; flatten.
                    return self.call_flattened(f, a, mode);
                }
                let mut b = *a;
                b.self_ = slf;
                self.call_prepare(fun, &b, mode)
            }
            TypeId::TYPE => self.call_class(f, a, mode),
            TypeId::STATICMETHOD | TypeId::CLASSMETHOD => {
                let inner = self.heap.get_obj(f, 1);
                self.call_prepare(inner, a, mode)
            }
            _ => {
                // An instance with __call__.
                if self.is_instance_obj(f) {
                    if let Some(m) = self.class_lookup(self.type_of(f), q!("__call__")) {
                        if !a.self_.is_null() {
                            return self.call_flattened(f, a, mode);
                        }
                        let mut b = *a;
                        b.self_ = f;
                        return self.call_prepare(m, &b, mode);
                    }
                }
                Err(self.not_callable(f))
            }
        }
    }

    /// Raise "'X' object isn't callable".
    pub(crate) fn not_callable(&mut self, f: Obj) -> crate::PyErr {
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[Fmt::S("'"), Fmt::T(f), Fmt::S("' object isn't callable")],
        )
    }

    /// Call `f` after copying all arguments (self included) into a fresh array.
    fn call_flattened(&mut self, f: Obj, a: &CallArgs, mode: FrameMode) -> PyResult<Called> {
        let n = a.n_args();
        let arr = self.alloc_array(n + 2 * a.n_kw)?;
        for i in 0..n {
            let x = a.pos(self, i);
            self.heap.set_obj(arr, A_ITEMS + i, x);
        }
        for i in 0..a.n_kw {
            let (k, v) = a.kw(self, i);
            self.heap.set_obj(arr, A_ITEMS + n + 2 * i, k);
            self.heap.set_obj(arr, A_ITEMS + n + 2 * i + 1, v);
        }
        let mark = self.roots_mark();
        self.root(arr)?;
        let b = CallArgs {
            self_: Obj::NULL,
            src: ArgSrc::Heap(arr, A_ITEMS),
            n_pos: n,
            n_kw: a.n_kw,
            kw_dict: a.kw_dict,
        };
        let r = match f.is_heap().then(|| self.heap.tid(f)) {
            Some(TypeId::BOUND_METH) => {
                let fun = self.heap.get_obj(f, 1);
                let slf = self.heap.get_obj(f, 2);
                let mut c = b;
                // self goes first: shift by building again with self_ set.
                c.self_ = slf;
                self.call_prepare(fun, &c, mode)
            }
            _ => {
                let m = self.class_lookup(self.type_of(f), q!("__call__"));
                match m {
                    Some(m) => {
                        let mut c = b;
                        c.self_ = f;
                        self.call_prepare(m, &c, mode)
                    }
                    None => Err(self.not_callable(f)),
                }
            }
        };
        self.unroot_to(mark);
        r
    }

    /// Call a native function.
    pub(crate) fn call_native(&mut self, table: u8, idx: u16, a: &CallArgs) -> PyResult<Obj> {
        let def = match crate::builtins::native(self, table, idx) {
            Some(d) => d,
            None => return Err(self.raise(TypeId::TYPE_ERROR, "bad native function")),
        };
        let f = def.0;
        self.call_native_fn(f, a, def.1)
    }

    /// Call a native fn pointer with arguments gathered into a Rust buffer.
    pub(crate) fn call_native_fn(
        &mut self,
        f: crate::builtins::NativeFn,
        a: &CallArgs,
        kind: NativeKind,
    ) -> PyResult<Obj> {
        let _ = kind;
        if a.n_args() > MAX_NATIVE_ARGS {
            return self.call_native_spilled(f, a);
        }
        self.call_native_buffered::<MAX_NATIVE_ARGS>(f, a)
    }

    /// [`Vm::call_native_fn`] with more positional args than its buffer holds.
    #[inline(never)]
    #[cold]
    fn call_native_spilled(&mut self, f: crate::builtins::NativeFn, a: &CallArgs) -> PyResult<Obj> {
        if a.n_args() > MAX_NATIVE_ARGS_SPILLED {
            return Err(self.raise(
                TypeId::TYPE_ERROR,
                "too many arguments for a native function",
            ));
        }
        self.call_native_buffered::<MAX_NATIVE_ARGS_SPILLED>(f, a)
    }

    /// Call native `f` with the positional args of `a` copied into a buffer of `N` (which
    /// holds them all) and its keyword args as one dict.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn call_native_buffered<const N: usize>(
        &mut self,
        f: crate::builtins::NativeFn,
        a: &CallArgs,
    ) -> PyResult<Obj> {
        let n = a.n_args().min(N);
        let mut buf = [Obj::NULL; N];
        for (i, slot) in buf.iter_mut().enumerate().take(n) {
            *slot = a.pos(self, i);
        }
        let mark = self.roots_mark();
        let r = (|| {
            let kw = self.gather_kwargs(a)?;
            if !kw.is_null() {
                self.root(kw)?;
            }
            f(self, &buf[..n], kw)
        })();
        self.unroot_to(mark);
        r
    }

    /// The keyword arguments of a call as one dict (NULL if there are none).
    pub(crate) fn gather_kwargs(&mut self, a: &CallArgs) -> PyResult<Obj> {
        if a.n_kw == 0 {
            return Ok(a.kw_dict);
        }
        let d = self.dict_new(a.n_kw)?;
        let mark = self.roots_mark();
        self.root(d)?;
        let r = (|| {
            for i in 0..a.n_kw {
                let (k, v) = a.kw(self, i);
                self.dict_set(d, k, v)?;
            }
            if !a.kw_dict.is_null() {
                self.dict_update(d, a.kw_dict)?;
            }
            Ok(d)
        })();
        self.unroot_to(mark);
        r
    }

    /// Call a bytecode function: bind arguments into a new frame. Generator functions
    /// return a generator object instead.
    pub(crate) fn call_function(
        &mut self,
        f: Obj,
        a: &CallArgs,
        mode: FrameMode,
        aux: Obj,
    ) -> PyResult<Called> {
        // Calls count as steps too: a loop made of calls from native code (`x in obj` over
        // `__getitem__`, a `__next__` that never raises) has no backward jump to count.
        if self.config.max_steps != 0 {
            self.steps += 1;
            if self.steps > self.config.max_steps {
                return Err(self.raise(TypeId::RUNTIME_ERROR, "step limit exceeded"));
            }
        }
        let frame = self.new_frame(f, a)?;
        let rc = self.heap.get_obj(f, fun::F_RC);
        let flags = self.rc_int(rc, RC::SCOPE_FLAGS);
        if flags & SCOPE_FLAG_GENERATOR as usize != 0 {
            let g = crate::obj::gen::new_generator(self, frame)?;
            return Ok(Called::Value(g));
        }
        self.push_frame(frame, mode, aux)?;
        Ok(Called::Frame)
    }

    /// A new frame for bytecode function `f` with arguments bound (not linked yet).
    pub(crate) fn new_frame(&mut self, f: Obj, a: &CallArgs) -> PyResult<Obj> {
        let rc = self.heap.get_obj(f, fun::F_RC);
        let n_state = self.rc_int(rc, RC::N_STATE);
        let n_exc = self.rc_int(rc, RC::N_EXC);
        let frame = self.alloc_frame(F_STATE + n_state + 3 * n_exc)?;
        super::dispatch::init_frame(self, frame, f, n_state, n_exc);
        if self.bind_simple(frame, f, rc, n_state, a) {
            return Ok(frame);
        }
        let mark = self.roots_mark();
        self.root(frame)?;
        let r = self.bind_args(frame, f, rc, a);
        self.unroot_to(mark);
        r.map(|_| frame)
    }

    /// A zeroed frame object of `n_words` words: a cached one of the same size if
    /// there is one, else a new allocation.
    pub(super) fn alloc_frame(&mut self, n_words: usize) -> PyResult<Obj> {
        let blocks = (n_words * WORD).div_ceil(BLOCK);
        let n = self.n_frame_cache;
        for i in (0..n).rev() {
            let (frame, b) = self.frame_cache[i];
            if b == blocks {
                self.frame_cache[i] = self.frame_cache[n - 1];
                self.n_frame_cache = n - 1;
                self.heap.bytes_mut(frame.offset(), blocks * BLOCK).fill(0);
                self.heap
                    .set(frame, 0, crate::obj::header::make(TypeId::FRAME, 0));
                return Ok(frame);
            }
        }
        self.alloc(TypeId::FRAME, 0, n_words)
    }

    /// A frame of a finished call that nothing references any more: keep it for reuse
    /// (or free it when the cache is full).
    pub(crate) fn release_frame(&mut self, frame: Obj) {
        let n_state = self.heap.get_int(frame, F_NSTATE);
        let n_exc = self.heap.get_int(frame, super::dispatch::F_NEXC);
        self.release_frame_of(frame, n_state, n_exc);
    }

    /// [`Vm::release_frame`] when the frame's `n_state` and `n_exc` are known (the
    /// return path has them in its cached state).
    #[inline]
    pub(crate) fn release_frame_of(&mut self, frame: Obj, n_state: usize, n_exc: usize) {
        let blocks = ((F_STATE + n_state + 3 * n_exc) * WORD).div_ceil(BLOCK);
        if self.n_frame_cache < FRAME_CACHE {
            self.frame_cache[self.n_frame_cache] = (frame, blocks);
            self.n_frame_cache += 1;
        } else {
            self.heap.free(frame);
        }
    }

    /// The common call: exactly the positional parameters given, no keywords, no
    /// `*args`/`**kwargs`, keyword-only parameters, closure or cells. Binds and returns
    /// true, or returns false (nothing written) for [`Vm::bind_args`] to do it all.
    #[inline]
    fn bind_simple(&mut self, frame: Obj, f: Obj, rc: Obj, n_state: usize, a: &CallArgs) -> bool {
        const SPECIAL: usize =
            (SCOPE_FLAG_VARARGS | SCOPE_FLAG_VARKEYWORDS | SCOPE_FLAG_DEFKWARGS) as usize;
        let n = a.n_args();
        if a.n_kw != 0
            || !a.kw_dict.is_null()
            || n > n_state
            || self.rc_int(rc, RC::N_POS) != n
            || self.rc_int(rc, RC::SCOPE_FLAGS) & SPECIAL != 0
            || self.rc_int(rc, RC::N_KWONLY) != 0
            || self.rc_int(rc, RC::N_CELL) != 0
            || !self.heap.get_obj(f, fun::F_CLOSURE).is_null()
        {
            return false;
        }
        for i in 0..n {
            let x = a.pos(self, i);
            self.heap.set_obj(frame, F_STATE + n_state - 1 - i, x);
        }
        true
    }

    /// `mp_setup_code_state`: bind arguments to the parameters of `f` in `frame`.
    fn bind_args(&mut self, frame: Obj, f: Obj, rc: Obj, a: &CallArgs) -> PyResult<()> {
        let n_state = self.heap.get_int(frame, F_NSTATE);
        let flags = self.rc_int(rc, RC::SCOPE_FLAGS) as u32;
        let n_pos_args = self.rc_int(rc, RC::N_POS);
        let n_kwonly = self.rc_int(rc, RC::N_KWONLY);
        let n_def_pos = self.rc_int(rc, RC::N_DEF_POS);
        let closure = self.heap.get_obj(f, fun::F_CLOSURE);
        let n_closed = if closure.is_null() {
            0
        } else {
            self.tuple_len(closure)
        };
        let defaults = self.heap.get_obj(f, fun::F_DEFAULTS);
        let n_args = n_closed + a.n_args();
        let need = n_pos_args
            + n_kwonly
            + usize::from(flags & SCOPE_FLAG_VARARGS != 0)
            + usize::from(flags & SCOPE_FLAG_VARKEYWORDS != 0);
        if need > n_state || n_def_pos > n_pos_args {
            return Err(self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file"));
        }
        if !defaults.is_null() && self.tuple_len(defaults) < n_def_pos
            || defaults.is_null() && n_def_pos > 0
        {
            return Err(self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file"));
        }
        let slot = |i: usize| F_STATE + n_state - 1 - i;
        let arg = |vm: &Vm, i: usize| -> Obj {
            if i < n_closed {
                vm.tuple_get(closure, i)
            } else {
                a.pos(vm, i - n_closed)
            }
        };
        let mut var_slot = (F_STATE + n_state).wrapping_sub(1 + n_pos_args + n_kwonly);
        let n_given;
        if n_args > n_pos_args {
            if flags & SCOPE_FLAG_VARARGS == 0 {
                return Err(self.pos_args_mismatch(f, n_pos_args, n_args));
            }
            let extra = n_args - n_pos_args;
            let t = self.alloc_tuple(extra)?;
            for i in 0..extra {
                let x = arg(self, n_pos_args + i);
                self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, x);
            }
            self.heap.set_obj(frame, var_slot, t);
            var_slot = var_slot.wrapping_sub(1);
            n_given = n_pos_args;
        } else {
            if flags & SCOPE_FLAG_VARARGS != 0 {
                let t = self.new_tuple(&[])?;
                self.heap.set_obj(frame, var_slot, t);
                var_slot = var_slot.wrapping_sub(1);
            }
            let no_kw = a.n_kw == 0
                && (a.kw_dict.is_null() || self.dict_len(a.kw_dict) == 0)
                && flags & SCOPE_FLAG_DEFKWARGS == 0;
            if no_kw {
                if n_args + n_def_pos >= n_pos_args {
                    for i in n_args..n_pos_args {
                        let d = self.tuple_get(defaults, i - (n_pos_args - n_def_pos));
                        self.heap.set_obj(frame, slot(i), d);
                    }
                } else {
                    return Err(self.pos_args_mismatch(f, n_pos_args - n_def_pos, n_args));
                }
            }
            n_given = n_args;
        }
        for i in 0..n_given {
            let x = arg(self, i);
            self.heap.set_obj(frame, slot(i), x);
        }
        let has_kw = a.n_kw > 0 || (!a.kw_dict.is_null() && self.dict_len(a.kw_dict) > 0);
        if has_kw || flags & SCOPE_FLAG_DEFKWARGS != 0 {
            let mut dict = Obj::NULL;
            if flags & SCOPE_FLAG_VARKEYWORDS != 0 {
                dict = self.dict_new(a.n_kw)?;
                self.heap.set_obj(frame, var_slot, dict);
            }
            let n_kw_total = a.n_kw
                + if a.kw_dict.is_null() {
                    0
                } else {
                    self.dict_used(a.kw_dict)
                };
            for i in 0..n_kw_total {
                let (key, value) = if i < a.n_kw {
                    a.kw(self, i)
                } else {
                    match self.dict_entry(a.kw_dict, i - a.n_kw) {
                        Some(kv) => kv,
                        None => continue,
                    }
                };
                let key = if key.is_qstr() {
                    key
                } else {
                    Obj::qstr(self.intern_obj(key)?)
                };
                let mut matched = false;
                for j in 0..n_pos_args + n_kwonly {
                    if Obj::qstr(fun::arg_name(self, f, j)) == key {
                        if !self.heap.get_obj(frame, slot(j)).is_null() {
                            return Err(self.raise_fmt(
                                TypeId::TYPE_ERROR,
                                &[
                                    Fmt::S("function got multiple values for argument '"),
                                    Fmt::Q(key.qstr_value()),
                                    Fmt::S("'"),
                                ],
                            ));
                        }
                        self.heap.set_obj(frame, slot(j), value);
                        matched = true;
                        break;
                    }
                }
                if matched {
                    continue;
                }
                if flags & SCOPE_FLAG_VARKEYWORDS == 0 {
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("unexpected keyword argument '"),
                            Fmt::Q(key.qstr_value()),
                            Fmt::S("'"),
                        ],
                    ));
                }
                if self.dict_get(dict, key)?.is_some() {
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("function got multiple values for argument '"),
                            Fmt::Q(key.qstr_value()),
                            Fmt::S("'"),
                        ],
                    ));
                }
                self.dict_set(dict, key, value)?;
            }
            // Defaults for positional parameters.
            for i in 0..n_def_pos {
                let j = n_pos_args - n_def_pos + i;
                if self.heap.get_obj(frame, slot(j)).is_null() {
                    let d = self.tuple_get(defaults, i);
                    self.heap.set_obj(frame, slot(j), d);
                }
            }
            for j in 0..n_pos_args {
                if self.heap.get_obj(frame, slot(j)).is_null() {
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("function missing required positional argument #"),
                            Fmt::I(j as isize + 1),
                        ],
                    ));
                }
            }
            let kwdefaults = self.heap.get_obj(f, fun::F_KWDEFAULTS);
            for i in 0..n_kwonly {
                let j = n_pos_args + i;
                if self.heap.get_obj(frame, slot(j)).is_null() {
                    let name = fun::arg_name(self, f, j);
                    let d = if !kwdefaults.is_null() {
                        self.dict_get_q(kwdefaults, name)
                    } else {
                        None
                    };
                    match d {
                        Some(d) => self.heap.set_obj(frame, slot(j), d),
                        None => {
                            return Err(self.raise_fmt(
                                TypeId::TYPE_ERROR,
                                &[
                                    Fmt::S("function missing required keyword argument '"),
                                    Fmt::Q(name),
                                    Fmt::S("'"),
                                ],
                            ))
                        }
                    }
                }
            }
        } else {
            if n_kwonly != 0 {
                return Err(
                    self.raise(TypeId::TYPE_ERROR, "function missing keyword-only argument")
                );
            }
            if flags & SCOPE_FLAG_VARKEYWORDS != 0 {
                let d = self.dict_new(0)?;
                self.heap.set_obj(frame, var_slot, d);
            }
        }
        // Cells for variables captured by inner functions.
        let n_cell = self.rc_int(rc, RC::N_CELL);
        let cells_off = self.rc_int(rc, RC::CELLS_OFF);
        for i in 0..n_cell {
            let local = match fun::code_byte(self, rc, cells_off + i) {
                Some(b) => b as usize,
                None => break,
            };
            if local >= n_state {
                return Err(self.raise(TypeId::VALUE_ERROR, "incompatible .mpy file"));
            }
            let cur = self.heap.get_obj(frame, slot(local));
            let c = self.alloc(TypeId::CELL, 0, 2)?;
            self.heap.set_obj(c, 1, cur);
            self.heap.set_obj(frame, slot(local), c);
        }
        let _ = WORD;
        Ok(())
    }

    fn pos_args_mismatch(&mut self, f: Obj, expected: usize, given: usize) -> crate::PyErr {
        let name = fun::fun_name(self, f);
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                Fmt::Q(name),
                Fmt::S("() takes "),
                Fmt::I(expected as isize),
                Fmt::S(" positional arguments but "),
                Fmt::I(given as isize),
                Fmt::S(" were given"),
            ],
        )
    }

    /// Flatten a `CALL_*_VAR_KW` argument layout (bitmap of star args, `(NULL, mapping)`
    /// pairs for `**`) into a heap array of positional args then key/value pairs.
    /// Returns (array, n_pos, n_kw); the array is rooted by the caller.
    pub(crate) fn flatten_var_args(
        &mut self,
        base: Obj,
        first: usize,
        n_pos: usize,
        n_kw: usize,
        bitmap: usize,
        self_: Obj,
    ) -> PyResult<(Obj, usize, usize)> {
        // Collect into a list (grows as needed): positional, then pairs.
        let l = self.new_list(&[])?;
        let mark = self.roots_mark();
        self.root(l)?;
        let r = (|| {
            if !self_.is_null() {
                self.list_append(l, self_)?;
            }
            for i in 0..n_pos {
                let x = self.heap.get_obj(base, first + i);
                if i < usize::BITS as usize && (bitmap >> i) & 1 == 1 {
                    self.list_extend(l, x)?;
                } else {
                    self.list_append(l, x)?;
                }
            }
            let n_args = self.list_len(l);
            for i in 0..n_kw {
                let k = self.heap.get_obj(base, first + n_pos + 2 * i);
                let v = self.heap.get_obj(base, first + n_pos + 2 * i + 1);
                if k.is_null() {
                    self.append_mapping(l, v)?;
                } else {
                    self.list_append(l, k)?;
                    self.list_append(l, v)?;
                }
            }
            let total = self.list_len(l);
            Ok((n_args, (total - n_args) / 2))
        })();
        self.unroot_to(mark);
        let (n_args, n_kws) = r?;
        let arr = self.heap.get_obj(l, 2);
        Ok((
            if arr.is_null() {
                self.alloc_array(0)?
            } else {
                arr
            },
            n_args,
            n_kws,
        ))
    }

    /// Append the key/value pairs of a `**` mapping to a list.
    fn append_mapping(&mut self, l: Obj, m: Obj) -> PyResult<()> {
        let d = self.native_base(m, TypeId::DICT);
        if self.is_dict(d) {
            let mut i = 0;
            while i < self.dict_used(d) {
                if let Some((k, v)) = self.dict_entry(d, i) {
                    let k = if k.is_qstr() {
                        k
                    } else {
                        Obj::qstr(self.intern_obj(k)?)
                    };
                    self.list_append(l, k)?;
                    self.list_append(l, v)?;
                }
                i += 1;
            }
            return Ok(());
        }
        let mark = self.roots_mark();
        let r = (|| {
            let keys = self.call_method(m, q!("keys"), &[])?;
            self.root(keys)?;
            let it = self.get_iter(keys)?;
            self.root(it)?;
            let slot = self.root(Obj::NULL)?;
            loop {
                let k = self.iter_next(it)?;
                if k == Obj::STOP {
                    return Ok(());
                }
                let k = if k.is_qstr() {
                    k
                } else {
                    Obj::qstr(self.intern_obj(k)?)
                };
                self.set_rooted(slot, k);
                let v = self.subscr(m, k)?;
                self.list_append(l, k)?;
                self.list_append(l, v)?;
            }
        })();
        self.unroot_to(mark);
        r
    }

    /// Raise "function takes N positional arguments ..." style errors for natives.
    pub fn check_nargs(&mut self, args: &[Obj], min: usize, max: usize) -> PyResult<()> {
        let n = args.len();
        if min == max {
            if n != min {
                return Err(self.raise_fmt(
                    TypeId::TYPE_ERROR,
                    &[
                        Fmt::S("function takes "),
                        Fmt::I(min as isize),
                        Fmt::S(" positional arguments but "),
                        Fmt::I(n as isize),
                        Fmt::S(" were given"),
                    ],
                ));
            }
        } else if n < min {
            return Err(self.raise_fmt(
                TypeId::TYPE_ERROR,
                &[
                    Fmt::S("function missing "),
                    Fmt::I((min - n) as isize),
                    Fmt::S(" required positional arguments"),
                ],
            ));
        } else if n > max {
            return Err(self.raise_fmt(
                TypeId::TYPE_ERROR,
                &[
                    Fmt::S("function expected at most "),
                    Fmt::I(max as isize),
                    Fmt::S(" arguments, got "),
                    Fmt::I(n as isize),
                ],
            ));
        }
        Ok(())
    }

    /// A keyword argument by name.
    pub fn kwarg(&mut self, kw: Obj, name: crate::Qstr) -> PyResult<Option<Obj>> {
        if kw.is_null() {
            return Ok(None);
        }
        Ok(self.dict_get_q(kw, name))
    }

    /// Raise for keyword arguments other than `allowed`.
    pub fn check_kwargs(&mut self, kw: Obj, allowed: &[crate::Qstr]) -> PyResult<()> {
        if kw.is_null() {
            return Ok(());
        }
        let mut i = 0;
        while i < self.dict_used(kw) {
            if let Some((k, _)) = self.dict_entry(kw, i) {
                let ok = k.is_qstr() && allowed.contains(&k.qstr_value());
                if !ok {
                    let k = if k.is_qstr() {
                        k
                    } else {
                        Obj::qstr(self.intern_obj(k)?)
                    };
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("unexpected keyword argument '"),
                            Fmt::Q(k.qstr_value()),
                            Fmt::S("'"),
                        ],
                    ));
                }
            }
            i += 1;
        }
        Ok(())
    }

    /// Raise "function doesn't take keyword arguments" if `kw` is non-empty.
    pub fn no_kwargs(&mut self, kw: Obj) -> PyResult<()> {
        if !kw.is_null() && self.dict_len(kw) > 0 {
            return Err(self.raise(
                TypeId::TYPE_ERROR,
                "function doesn't take keyword arguments",
            ));
        }
        Ok(())
    }
}
