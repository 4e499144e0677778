//! The VM state: heap, roots, pending exception, module table; allocation, collection,
//! raising, string building and output. The dispatch loop is in [`dispatch`], function
//! calls and argument binding in [`call`].
//!
//! Corresponds to MicroPython's `py/mpstate.h` (the state), `py/runtime.c` (`mp_init`,
//! `mp_raise_*`), `py/gc.c` (`gc_collect` roots) and `py/vstr.c` (string building).
//!
//! Where we differ from MicroPython: there is no global state; everything hangs off
//! [`Vm`], and the GC's roots are exactly its fields plus the `roots` stack that native
//! code uses for temporaries (no conservative scan of the C stack).

pub(crate) mod call;
mod dispatch;

use crate::gc::{Heap, BLOCK, WORD};
use crate::obj::str::STR_DATA;
use crate::obj::{header, Obj, TypeId};
use crate::qstr::Qstr;
use crate::{Config, Host, PyErr, PyResult};

pub(crate) use call::CallArgs;
pub use dispatch::{FrameMode, GenStatus};
pub(crate) use dispatch::{F_FUN, F_LOCALS};

// The VM's own tables are sized by the word: a 32-bit build is for a microcontroller, where
// every byte of the `Vm` is RAM that the program does not get (docs/PERFORMANCE.md, firmware).

/// Entries of the temporary-roots stack (each level of native code calling Python uses a
/// few).
pub const MAX_ROOTS: usize = if usize::BITS >= 64 { 384 } else { 64 };
/// Read-only images: `.mpy` files given to `Vm::load_static` (feature `mpy-load`) and the
/// frozen image; without the loader only the frozen one.
pub const MAX_IMAGES: usize = if !cfg!(feature = "mpy-load") {
    1
} else if usize::BITS >= 64 {
    8
} else {
    4
};
/// Native modules registered with [`Vm::register_module`].
pub const MAX_EXT_MODULES: usize = if usize::BITS >= 64 { 8 } else { 4 };
/// Frames of returned calls kept for reuse by the next calls (see [`Vm::frame_cache`]).
pub const FRAME_CACHE: usize = if usize::BITS >= 64 { 8 } else { 4 };
/// Entries of the lookup cache (a power of two; see [`Vm::map_cache`]).
pub const MAP_CACHE: usize = if usize::BITS >= 64 { 256 } else { 16 };

/// Entries of the builtin-type attribute cache (see [`Vm::type_cache`]); none on 32-bit
/// targets, where RAM counts more than the scan it saves.
pub const TYPE_CACHE: usize = if usize::BITS >= 64 { 64 } else { 0 };
/// Entries of the one-character str cache (see [`Vm::char_qstrs`]): the ASCII characters
/// on 64-bit hosts, none on 32-bit targets.
pub const CHAR_QSTRS: usize = if usize::BITS >= 64 { 128 } else { 0 };
/// Caller states kept by the simple call path for the return (a power of two, or none; see
/// [`Vm::ret_cache`]).
pub const RET_CACHE: usize = if usize::BITS >= 64 { 16 } else { 0 };

/// Entries of the builtins lookup cache (a power of two; see [`Vm::builtin_cache`]).
pub const BUILTIN_CACHE: usize = if usize::BITS >= 64 { 64 } else { 1 };

/// A native module a firmware (or host) adds: a name and a table of functions.
pub struct ModuleDef {
    /// Module name, as imported.
    pub name: &'static str,
    /// Its functions.
    pub funs: &'static [crate::builtins::ExtFun],
}

/// Why [`Vm::new`] failed.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum InitError {
    /// The heap buffer is too small for the VM's own tables.
    HeapTooSmall,
}

/// A string builder: a growable str in the heap, rooted at a slot of the roots stack.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sb(pub(crate) usize);

/// Where printed text goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// The host's standard output.
    Stdout,
    /// The host's standard error.
    Stderr,
    /// A string builder.
    Sb(Sb),
}

/// A mini formatting argument for error messages (no `core::fmt`).
#[derive(Clone, Copy)]
pub enum Fmt<'a> {
    /// Literal text.
    S(&'a str),
    /// A decimal integer.
    I(isize),
    /// A qstr's text.
    Q(Qstr),
    /// `str(obj)`.
    O(Obj),
    /// `repr(obj)`.
    R(Obj),
    /// The type name of an object.
    T(Obj),
}

/// The virtual machine.
pub struct Vm<'h> {
    pub(crate) heap: Heap<'h>,
    pub(crate) host: &'h mut dyn Host,
    pub(crate) config: Config,
    /// The pending exception (`PyErr` means "look here").
    pub(crate) pending: Obj,
    roots: [Obj; MAX_ROOTS],
    nroots: usize,
    /// The innermost executing frame (frames link to their callers).
    pub(crate) frame: Obj,
    /// `sys.modules`.
    pub(crate) modules: Obj,
    /// Heap-interned qstrs.
    pub(crate) qpool: Obj,
    /// `sys.path` and `sys.argv` (lists).
    pub(crate) sys_path: Obj,
    pub(crate) sys_argv: Obj,
    /// A preallocated MemoryError instance.
    pub(crate) mem_err: Obj,
    /// A preallocated `RuntimeError('maximum recursion depth exceeded')`.
    pub(crate) rec_err: Obj,
    /// Result of a generator resumed by FOR_ITER/YIELD_FROM, handed back to the caller.
    pub(crate) gen_result: Obj,
    pub(crate) gen_status: dispatch::GenStatus,
    pub(crate) images: [&'static [u8]; MAX_IMAGES],
    pub(crate) n_images: usize,
    /// The frozen image ([`Vm::set_frozen`]) and its number in `images`.
    pub(crate) frozen: Option<crate::frozen::Frozen<'static>>,
    pub(crate) frozen_img: usize,
    /// The last image raw code whose prelude was decoded (offset, fields).
    pub(crate) frozen_rc_cache: core::cell::Cell<(usize, crate::frozen::RcInfo)>,
    /// Hashes of recently used image qstrs (direct-mapped by id; id 0: empty).
    pub(crate) frozen_hash_ids: [core::cell::Cell<u16>; crate::frozen::FROZEN_HASH_CACHE],
    pub(crate) frozen_hashes: [core::cell::Cell<usize>; crate::frozen::FROZEN_HASH_CACHE],
    pub(crate) ext_modules: [Option<&'static ModuleDef>; MAX_EXT_MODULES],
    /// Nesting of native code running Python (`execute` calls).
    pub(crate) native_depth: usize,
    /// Python frames in the chain.
    pub(crate) depth: usize,
    /// Whether `gc.disable()` is in effect (collections then only happen when needed).
    pub(crate) gc_enabled: bool,
    /// Nesting of `print_obj` (guards self-containing containers).
    pub(crate) print_depth: usize,
    /// Backward jumps taken (for `Config::max_steps`).
    pub(crate) steps: u64,
    /// `micropython.opt_level()`.
    pub(crate) opt_level: isize,
    /// `micropython.heap_lock()` depth: allocation raises MemoryError while non-zero.
    pub(crate) heap_locked: usize,
    /// Board pins claimed by a live `DigitalInOut` (bit n: pin n).
    #[cfg(feature = "board")]
    pub(crate) pins_claimed: u128,
    /// Frames of calls that returned (nothing references them any more), with their
    /// size in blocks: a call of the same size reuses one instead of allocating. Not a
    /// root: a collection empties it and sweeps them.
    pub(crate) frame_cache: [(Obj, usize); FRAME_CACHE],
    pub(crate) n_frame_cache: usize,
    /// Lookup cache (MicroPython's `MICROPY_OPT_MAP_LOOKUP_CACHE`): for a bytecode
    /// position (hashed into `cache_slot` by the instructions that look names up), the
    /// dict entry where the last lookup there found its key. Only a guess: a lookup
    /// checks that entry's key first and searches normally when it differs.
    pub(crate) map_cache: [core::cell::Cell<u8>; MAP_CACHE],
    /// The lookup cache entry of the executing name-lookup instruction.
    pub(crate) cache_slot: usize,
    /// A class dict was given something that may intercept attribute stores (or was
    /// exposed through `__dict__`): no class counts as plain any more (see
    /// `obj::instance::CLS_PLAIN`).
    pub(crate) class_hooks_added: bool,
    /// New keys added to any dict so far (wrapping): a dict that had no key `k` when
    /// this was `n` still has none while it is `n`.
    pub(crate) dict_inserts: usize,
    /// Builtins found by name lookups (direct-mapped by the lookup cache slot): (globals
    /// dict, name, `dict_inserts` then, the builtin). Valid while `dict_inserts` is
    /// unchanged: the globals dict still lacks the name, so the lookup goes to the
    /// builtins (an immutable table). Not roots: builtins are immediates, and the dict
    /// is only compared.
    pub(crate) builtin_cache: [(Obj, u16, usize, Obj); BUILTIN_CACHE],
    /// Attributes of builtin types (`builtins::type_lookup`: a scan of the type's method
    /// table, then its bases'), direct-mapped by type and name: (type << 16 | name, what
    /// the scan found). The tables are constant, so an entry never goes stale; key 0 (the
    /// null name) is an empty entry. Not roots: native functions are immediates.
    pub(crate) type_cache: [(u32, Option<(Obj, crate::builtins::NativeKind)>); TYPE_CACHE],
    /// Per ASCII character, what [`Vm::char_str`] found for it: its qstr's id, `u16::MAX`
    /// for "no qstr has that text" (cleared when the pool gains a one-character qstr), 0
    /// for not looked up yet.
    pub(crate) char_qstrs: [u16; CHAR_QSTRS],
    /// Entry `depth % RET_CACHE`: (the frame a simple call pushed at chain depth `depth`,
    /// its caller's state then), so that its return does not reload the caller's state
    /// from the caller's frame. Every frame push at that depth replaces or clears the
    /// entry, so one naming the returning frame is that frame's call (the caller has not
    /// run since). Not roots: the frames are in the chain. None on 32-bit targets (RAM).
    pub(crate) ret_cache: [(Obj, dispatch::Fs); RET_CACHE],
}

impl<'h> Vm<'h> {
    /// A VM whose heap is `heap` (everything it allocates lives there).
    pub fn new(
        heap: &'h mut [u8],
        config: Config,
        host: &'h mut dyn Host,
    ) -> Result<Vm<'h>, InitError> {
        let heap = Heap::new(heap).ok_or(InitError::HeapTooSmall)?;
        let mut vm = Vm::blank(heap, config, host);
        vm.init().map_err(|_| InitError::HeapTooSmall)?;
        Ok(vm)
    }

    /// [`Vm::new`] in place: the VM is built in `slot` (a `static` or a local of the
    /// caller) and a reference to it returned. A `Vm` is about a kilobyte on a 32-bit core;
    /// returning one by value passes through temporaries that cost that much stack again,
    /// which matters on a part with a few KB of RAM. (A `Vm` owns nothing that needs
    /// dropping: leaving it in the slot is fine.)
    pub fn new_in<'s>(
        slot: &'s mut core::mem::MaybeUninit<Vm<'h>>,
        heap: &'h mut [u8],
        config: Config,
        host: &'h mut dyn Host,
    ) -> Result<&'s mut Vm<'h>, InitError> {
        let heap = Heap::new(heap).ok_or(InitError::HeapTooSmall)?;
        let vm = slot.write(Vm::blank(heap, config, host));
        vm.init().map_err(|_| InitError::HeapTooSmall)?;
        Ok(vm)
    }

    /// The fields of a new VM, before `init` fills its heap.
    #[inline(always)]
    fn blank(heap: Heap<'h>, config: Config, host: &'h mut dyn Host) -> Vm<'h> {
        Vm {
            heap,
            host,
            config,
            pending: Obj::NULL,
            roots: [Obj::NULL; MAX_ROOTS],
            nroots: 0,
            frame: Obj::NULL,
            modules: Obj::NULL,
            qpool: Obj::NULL,
            sys_path: Obj::NULL,
            sys_argv: Obj::NULL,
            mem_err: Obj::NULL,
            rec_err: Obj::NULL,
            gen_result: Obj::NULL,
            gen_status: dispatch::GenStatus::None,
            images: [&[]; MAX_IMAGES],
            n_images: 0,
            frozen: None,
            frozen_img: 0,
            frozen_rc_cache: core::cell::Cell::new((usize::MAX, Default::default())),
            frozen_hash_ids: Default::default(),
            frozen_hashes: Default::default(),
            ext_modules: [None; MAX_EXT_MODULES],
            native_depth: 0,
            depth: 0,
            gc_enabled: true,
            print_depth: 0,
            steps: 0,
            opt_level: 0,
            heap_locked: 0,
            #[cfg(feature = "board")]
            pins_claimed: 0,
            frame_cache: [(Obj::NULL, 0); FRAME_CACHE],
            n_frame_cache: 0,
            map_cache: [const { core::cell::Cell::new(0) }; MAP_CACHE],
            cache_slot: 0,
            class_hooks_added: false,
            dict_inserts: 0,
            builtin_cache: [(Obj::NULL, 0, 0, Obj::NULL); BUILTIN_CACHE],
            type_cache: [(0, None); TYPE_CACHE],
            char_qstrs: [0; CHAR_QSTRS],
            ret_cache: [(Obj::NULL, dispatch::Fs::EMPTY); RET_CACHE],
        }
    }

    fn init(&mut self) -> PyResult<()> {
        let args = self.new_tuple(&[])?;
        self.root(args)?;
        let e = self.alloc(TypeId::EXC, 0, crate::obj::exception::EXC_WORDS)?;
        self.unroot_to(0);
        self.heap.set_obj(e, 1, Obj::type_obj(TypeId::MEMORY_ERROR));
        self.heap.set_obj(e, crate::obj::exception::EXC_ARGS, args);
        self.mem_err = e;
        let msg = self.new_str(b"maximum recursion depth exceeded")?;
        self.root(msg)?;
        let args = self.new_tuple(&[msg])?;
        self.root(args)?;
        let r = self.alloc(TypeId::EXC, 0, crate::obj::exception::EXC_WORDS)?;
        self.heap
            .set_obj(r, 1, Obj::type_obj(TypeId::RUNTIME_ERROR));
        self.heap.set_obj(r, crate::obj::exception::EXC_ARGS, args);
        self.rec_err = r;
        self.unroot_to(0);
        self.modules = self.dict_new(4)?;
        self.sys_path = self.new_list(&[])?;
        self.sys_argv = self.new_list(&[])?;
        Ok(())
    }

    /// Heap statistics.
    pub fn heap_stats(&self) -> crate::HeapStats {
        self.heap.stats()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    // ---------------------------------------------------------------- allocation

    /// Allocate a heap object of `n_words` words with the given header.
    pub(crate) fn alloc(&mut self, tid: TypeId, flags: usize, n_words: usize) -> PyResult<Obj> {
        if self.heap_locked != 0 {
            return Err(self.memory_error());
        }
        if let Some(o) = self.alloc_fast(tid, flags, n_words) {
            return Ok(o);
        }
        #[cfg(feature = "gc-stress")]
        self.collect();
        if self.heap.wants_collect() && self.gc_enabled {
            self.collect();
        }
        if let Some(o) = self.heap.alloc_obj(tid, flags, n_words) {
            return Ok(o);
        }
        self.collect();
        match self.heap.alloc_obj(tid, flags, n_words) {
            Some(o) => Ok(o),
            None => Err(self.memory_error()),
        }
    }

    /// Whether an allocation may skip [`Vm::alloc`]'s checks: the heap is not locked, no
    /// collection is due (and `gc-stress` is off).
    #[cfg(target_pointer_width = "64")]
    #[inline(always)]
    fn may_alloc_fast(&self) -> bool {
        self.heap_locked == 0
            && !cfg!(feature = "gc-stress")
            && !(self.heap.wants_collect() && self.gc_enabled)
    }

    /// An object of up to 8 blocks (header written, the rest zeroed) when that takes no
    /// search or collection (what [`Vm::alloc`] would do); `None`: call [`Vm::alloc`]. On
    /// 64-bit hosts only (on a chip the shorter path is not worth its flash).
    #[inline(always)]
    pub(crate) fn alloc_fast(&mut self, tid: TypeId, flags: usize, n_words: usize) -> Option<Obj> {
        #[cfg(target_pointer_width = "64")]
        {
            if !self.may_alloc_fast() {
                return None;
            }
            let h = header::make(tid, flags);
            if n_words <= BLOCK / WORD {
                self.heap.alloc_block(h, 0)
            } else {
                self.heap.alloc_run(n_words.div_ceil(BLOCK / WORD), h)
            }
        }
        #[cfg(not(target_pointer_width = "64"))]
        {
            let _ = (tid, flags, n_words);
            None
        }
    }

    /// A one-block object with words `w0` (its header) and `w1` when that takes no
    /// search or collection (what [`Vm::alloc`] would do, then the store of `w1`);
    /// `None`: call [`Vm::alloc`].
    #[cfg(all(target_pointer_width = "64", feature = "float"))]
    #[inline(always)]
    pub(crate) fn alloc_block_fast(&mut self, w0: usize, w1: usize) -> Option<Obj> {
        if !self.may_alloc_fast() {
            return None;
        }
        self.heap.alloc_block(w0, w1)
    }

    /// Grow (or shrink) an allocation to `n_words`, moving it if needed; the old object
    /// must be referenced only by the caller (its storage is freed when it moves).
    pub(crate) fn realloc(&mut self, o: Obj, n_words: usize) -> PyResult<Obj> {
        if self.heap.resize_in_place(o, n_words * WORD) {
            return Ok(o);
        }
        let old = self.heap.alloc_size(o);
        self.root(o)?;
        let h = self.heap.header(o);
        let n = self.alloc(header::tid(h), header::flags(h), n_words);
        self.nroots -= 1;
        let n = n?;
        self.heap
            .copy_within(o.offset(), n.offset(), old.min(n_words * WORD));
        self.heap.free(o);
        Ok(n)
    }

    /// Raise the preallocated MemoryError.
    pub(crate) fn memory_error(&mut self) -> PyErr {
        let e = self.mem_err;
        self.heap
            .set_obj(e, crate::obj::exception::EXC_TRACEBACK, Obj::NULL);
        self.pending = e;
        PyErr
    }

    /// Raise the preallocated `RuntimeError: maximum recursion depth exceeded`.
    pub(crate) fn recursion_error(&mut self) -> PyErr {
        let e = self.rec_err;
        self.heap
            .set_obj(e, crate::obj::exception::EXC_TRACEBACK, Obj::NULL);
        self.pending = e;
        PyErr
    }

    /// Run a garbage collection now.
    pub fn collect(&mut self) {
        // Cached frames are garbage: let the sweep free them.
        self.n_frame_cache = 0;
        let mut m = self.heap.begin_collect();
        // One at a time (an array of them would be one more thing on the stack at the
        // deepest point of a program: the allocation that collects).
        self.heap.mark_root(&mut m, self.pending);
        self.heap.mark_root(&mut m, self.frame);
        self.heap.mark_root(&mut m, self.modules);
        self.heap.mark_root(&mut m, self.qpool);
        self.heap.mark_root(&mut m, self.sys_path);
        self.heap.mark_root(&mut m, self.sys_argv);
        self.heap.mark_root(&mut m, self.mem_err);
        self.heap.mark_root(&mut m, self.rec_err);
        self.heap.mark_root(&mut m, self.gen_result);
        for i in 0..self.nroots {
            let r = self.roots[i];
            self.heap.mark_root(&mut m, r);
        }
        self.heap.finish_collect(&mut m);
    }

    // ---------------------------------------------------------------- roots

    /// Protect `o` from collection until the roots stack is unwound below it.
    pub fn root(&mut self, o: Obj) -> PyResult<usize> {
        if self.nroots >= MAX_ROOTS {
            // Raising must not need a root itself: use the preallocated instance.
            return Err(self.recursion_error());
        }
        self.roots[self.nroots] = o;
        self.nroots += 1;
        Ok(self.nroots - 1)
    }

    /// The current height of the roots stack.
    pub fn roots_mark(&self) -> usize {
        self.nroots
    }

    /// Unwind the roots stack to a mark from [`Vm::roots_mark`].
    pub fn unroot_to(&mut self, mark: usize) {
        if mark <= self.nroots {
            for r in &mut self.roots[mark..self.nroots] {
                *r = Obj::NULL;
            }
            self.nroots = mark;
        }
    }

    /// The object in a root slot.
    pub(crate) fn rooted(&self, i: usize) -> Obj {
        self.roots.get(i).copied().unwrap_or(Obj::NULL)
    }

    /// Replace the object in a root slot.
    pub(crate) fn set_rooted(&mut self, i: usize, o: Obj) {
        if let Some(r) = self.roots.get_mut(i) {
            *r = o;
        }
    }

    // ---------------------------------------------------------------- exceptions

    /// Set the pending exception.
    pub(crate) fn raise_obj(&mut self, exc: Obj) -> PyErr {
        self.pending = exc;
        PyErr
    }

    /// Raise a builtin exception type with a message (without the `error-text` feature:
    /// no message, and the text is not linked).
    #[cfg_attr(not(feature = "error-text"), inline(always))]
    pub(crate) fn raise(&mut self, t: TypeId, msg: &str) -> PyErr {
        self.raise_fmt(t, &[Fmt::S(msg)])
    }

    /// Raise a builtin exception type without arguments.
    pub(crate) fn raise_empty(&mut self, t: TypeId) -> PyErr {
        match crate::obj::exception::new(self, Obj::type_obj(t), &[]) {
            Ok(e) => self.raise_obj(e),
            Err(e) => e,
        }
    }

    /// Raise a builtin exception type with a message built from pieces (without the
    /// `error-text` feature: no message; inlined, so the pieces are not even built).
    #[cfg(not(feature = "error-text"))]
    #[inline(always)]
    pub(crate) fn raise_fmt(&mut self, t: TypeId, pieces: &[Fmt]) -> PyErr {
        let _ = pieces;
        self.raise_empty(t)
    }

    /// Raise a builtin exception type with a message built from pieces.
    #[cfg(feature = "error-text")]
    pub(crate) fn raise_fmt(&mut self, t: TypeId, pieces: &[Fmt]) -> PyErr {
        let mark = self.roots_mark();
        let r = self.format_pieces(pieces).and_then(|s| {
            self.root(s)?;
            crate::obj::exception::new(self, Obj::type_obj(t), &[s])
        });
        self.unroot_to(mark);
        match r {
            Ok(e) => self.raise_obj(e),
            Err(e) => e,
        }
    }

    /// Build a str from formatting pieces.
    #[cfg(feature = "error-text")]
    pub(crate) fn format_pieces(&mut self, pieces: &[Fmt]) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = (|| {
            let sb = self.sb_new(32)?;
            for p in pieces {
                match *p {
                    Fmt::S(s) => self.sb_push(sb, s.as_bytes())?,
                    Fmt::I(i) => {
                        let mut buf = [0u8; 24];
                        let s = crate::print::fmt_isize(i, &mut buf);
                        self.sb_push(sb, s)?;
                    }
                    Fmt::Q(q) => self.out_qstr(Out::Sb(sb), q)?,
                    Fmt::O(o) => self.print_obj(Out::Sb(sb), o, false)?,
                    Fmt::R(o) => self.print_obj(Out::Sb(sb), o, true)?,
                    Fmt::T(o) => {
                        let q = self.type_name(o);
                        self.out_qstr(Out::Sb(sb), q)?
                    }
                }
            }
            self.sb_str(sb)
        })();
        self.unroot_to(mark);
        r
    }

    /// Take the pending exception (after an `Err(PyErr)`), leaving none.
    pub fn take_exception(&mut self) -> Obj {
        core::mem::replace(&mut self.pending, Obj::NULL)
    }

    // ---------------------------------------------------------------- strings

    /// A new, empty string builder with room for `cap` bytes.
    pub(crate) fn sb_new(&mut self, cap: usize) -> PyResult<Sb> {
        let o = self.alloc(TypeId::VSTR, header::LEAF, STR_DATA + cap.div_ceil(WORD))?;
        let i = self.root(o)?;
        Ok(Sb(i))
    }

    fn sb_reserve(&mut self, sb: Sb, more: usize) -> PyResult<(Obj, usize)> {
        let o = self.rooted(sb.0);
        let len = self.heap.get(o, 2);
        let cap = self.heap.alloc_size(o).saturating_sub(STR_DATA * WORD);
        if len + more <= cap {
            return Ok((o, len));
        }
        let want = (len + more).max(cap * 2);
        let n = self.realloc(o, STR_DATA + want.div_ceil(WORD))?;
        self.set_rooted(sb.0, n);
        Ok((n, len))
    }

    /// Append bytes to a builder.
    pub(crate) fn sb_push(&mut self, sb: Sb, b: &[u8]) -> PyResult<()> {
        let (o, len) = self.sb_reserve(sb, b.len())?;
        let off = o.offset() + STR_DATA * WORD + len;
        self.heap.bytes_mut(off, b.len()).copy_from_slice(b);
        self.heap.set(o, 2, len + b.len());
        Ok(())
    }

    /// Append bytes stored in the heap (the source must stay rooted).
    pub(crate) fn sb_push_heap(&mut self, sb: Sb, src: usize, n: usize) -> PyResult<()> {
        let (o, len) = self.sb_reserve(sb, n)?;
        let off = o.offset() + STR_DATA * WORD + len;
        self.heap.copy_within(src, off, n);
        self.heap.set(o, 2, len + n);
        Ok(())
    }

    /// Turn a builder into a str (in place) and return it.
    pub(crate) fn sb_str(&mut self, sb: Sb) -> PyResult<Obj> {
        self.sb_finish(sb, TypeId::STR)
    }

    /// Turn a builder into a str or bytes object (in place).
    pub(crate) fn sb_finish(&mut self, sb: Sb, tid: TypeId) -> PyResult<Obj> {
        let o = self.rooted(sb.0);
        let len = self.heap.get(o, 2);
        self.heap.set(o, 0, header::make(tid, header::LEAF));
        self.heap
            .resize_in_place(o, (STR_DATA * WORD + len).max(BLOCK));
        self.str_finish(o);
        Ok(o)
    }

    // ---------------------------------------------------------------- output

    /// Write bytes to an output.
    pub(crate) fn out(&mut self, out: Out, b: &[u8]) -> PyResult<()> {
        match out {
            Out::Stdout => {
                self.host.write_stdout(b);
                Ok(())
            }
            Out::Stderr => {
                self.host.write_stderr(b);
                Ok(())
            }
            Out::Sb(sb) => self.sb_push(sb, b),
        }
    }

    /// Write bytes stored in the heap to an output (the source must stay rooted).
    pub(crate) fn out_heap(&mut self, out: Out, off: usize, len: usize) -> PyResult<()> {
        match out {
            Out::Stdout => {
                self.host.write_stdout(self.heap.bytes(off, len));
                Ok(())
            }
            Out::Stderr => {
                self.host.write_stderr(self.heap.bytes(off, len));
                Ok(())
            }
            Out::Sb(sb) => self.sb_push_heap(sb, off, len),
        }
    }

    /// Write the text of a qstr.
    pub(crate) fn out_qstr(&mut self, out: Out, q: Qstr) -> PyResult<()> {
        match self.qstr_ref(q) {
            crate::obj::str::SRef::Static(s) => self.out(out, s),
            crate::obj::str::SRef::Heap(off, len) => self.out_heap(out, off, len),
        }
    }

    /// Write a str object's text (or any str-like: qstr, heap str, bytes).
    pub(crate) fn out_str(&mut self, out: Out, s: Obj) -> PyResult<()> {
        match self.buffer_ref(s) {
            Some(crate::obj::str::SRef::Static(b)) => self.out(out, b),
            Some(crate::obj::str::SRef::Heap(off, len)) => self.out_heap(out, off, len),
            None => Ok(()),
        }
    }

    /// Append an entry to `sys.path`.
    pub fn sys_path_push(&mut self, entry: &str) -> PyResult<()> {
        let s = self.new_str(entry.as_bytes())?;
        self.list_append(self.sys_path, s)
    }

    /// Replace `sys.path[0]`.
    pub fn sys_path_set_first(&mut self, entry: &str) -> PyResult<()> {
        let s = self.new_str(entry.as_bytes())?;
        if self.list_len(self.sys_path) == 0 {
            return self.list_append(self.sys_path, s);
        }
        self.list_set(self.sys_path, 0, s);
        Ok(())
    }

    /// Append an entry to `sys.argv`.
    pub fn sys_argv_push(&mut self, arg: &str) -> PyResult<()> {
        let s = self.new_str(arg.as_bytes())?;
        self.list_append(self.sys_argv, s)
    }

    /// For an uncaught `SystemExit`, the process exit status (None: 0, an int: its low 8
    /// bits, anything else: 1); `None` for other exceptions.
    pub fn system_exit_status(&mut self, exc: Obj) -> Option<i32> {
        if !self.exception_matches(exc, TypeId::SYSTEM_EXIT) {
            return None;
        }
        let v = crate::obj::exception::stop_iteration_value(self, exc);
        if v == Obj::NONE {
            return Some(0);
        }
        match self.small_of(v) {
            Some(i) => Some((i & 255) as i32),
            None => Some(1),
        }
    }

    /// Register a native module (importable by name). Returns false if the table is full.
    pub fn register_module(&mut self, m: &'static ModuleDef) -> bool {
        for slot in self.ext_modules.iter_mut() {
            if slot.is_none() {
                *slot = Some(m);
                return true;
            }
        }
        false
    }
}
