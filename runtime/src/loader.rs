//! Loading `.mpy` v6 files: qstr table, constants and the raw-code tree.
//!
//! Corresponds to the load half of MicroPython's `py/persistentcode.c`
//! (`mp_raw_code_load`, `load_qstr`, `load_obj`, `load_raw_code`).
//!
//! Loading is two passes over the bytes. First the header is checked as MicroPython does
//! (same messages), then the whole file is validated by
//! [`upyc_bytecode::mpy::MpyFile::parse`] (bounds, nesting, UTF-8, prelude sizes): any
//! failure is `ValueError: incompatible .mpy file`. The second pass builds objects from
//! the validated file with a small offset-based cursor, because the file may live in the
//! heap it allocates into (an `MpyFile` borrow cannot be held across allocations).
//!
//! Bytecode is not copied: raw codes point into the file, which is either a heap bytes
//! object (copied once from the caller or the host) or a `'static` image
//! ([`Vm::load_static`]), read in place.
//!
//! Where we differ: the file must end exactly after the raw-code tree and strings must be
//! UTF-8 (the reader's stricter checks); native code is rejected up front.
//!
//! Also here, since they only feed the loader: importing module files through the
//! [`crate::Host`] (`Vm::import_from_files`: each `sys.path` directory or the parent's
//! `__path__`, packages with or without `__init__`) and `exec`/`eval` of source the host
//! compiles. The whole module is feature `mpy-load`; without it code runs only from a frozen
//! image.

use crate::obj::fun::{self, RC};
use crate::obj::module::MAX_PATH;
use crate::obj::str::SRef;
use crate::obj::{Obj, TypeId};
use crate::vm::{CallArgs, FrameMode, Vm};
use crate::{q, ModuleFile, PyErr, PyResult};
use upyc_bytecode::mpy::{self, MpyFile};
use upyc_bytecode::prelude::{Signature, Size};

/// Why a `.mpy` file is rejected (each maps to MicroPython's `ValueError` message).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum LoadError {
    /// Bad header, version or structure: "incompatible .mpy file".
    Incompatible,
    /// The file holds native code: "native code in .mpy unsupported".
    Native,
    /// More read-only images than [`crate::vm::MAX_IMAGES`].
    TooManyImages,
}

impl LoadError {
    /// MicroPython's message.
    pub fn message(self) -> &'static str {
        match self {
            LoadError::Incompatible => "incompatible .mpy file",
            LoadError::Native => "native code in .mpy unsupported",
            LoadError::TooManyImages => "too many read-only images",
        }
    }
}

/// Check the header and validate the whole file (no allocation).
pub fn check(data: &[u8]) -> Result<(), LoadError> {
    if data.len() < mpy::HEADER_LEN {
        return Err(LoadError::Incompatible);
    }
    let arch = mpy::decode_arch(data[2]);
    if data[0] != mpy::MAGIC
        || data[1] != mpy::VERSION
        || (arch != 0 && mpy::decode_sub_version(data[2]) != mpy::SUB_VERSION)
        || data[3] as u32 > crate::obj::SMALL_INT_BITS
    {
        return Err(LoadError::Incompatible);
    }
    if arch != 0 {
        return Err(LoadError::Native);
    }
    if data[2] & mpy::FEATURE_ARCH_FLAGS != 0 {
        return Err(LoadError::Incompatible);
    }
    let f = MpyFile::parse(data).map_err(|_| LoadError::Incompatible)?;
    for rc in f.raw_codes() {
        if rc.kind() != mpy::CodeKind::Bytecode {
            return Err(LoadError::Native);
        }
    }
    Ok(())
}

/// Where the file's bytes are, for the build pass.
#[derive(Clone, Copy)]
enum Src {
    /// A heap bytes object.
    Heap(Obj),
    /// A registered read-only image.
    Image(usize),
}

/// A cursor over the file for the build pass.
struct Cur {
    src: Src,
    pos: usize,
    len: usize,
}

/// What a directory of the search path holds for a module name.
enum Found {
    Nothing,
    /// A module file (`.mpy` bytes of this size are ready).
    Mpy(usize),
    /// A source that failed to compile (an error text of this size is ready).
    CompileError(usize),
    /// A package directory with an `__init__` (its `.mpy` bytes are ready).
    PackageInit(usize),
    /// A package directory without `__init__`.
    PackageDir,
}

impl<'h> Vm<'h> {
    fn src_bytes(&self, src: Src) -> &[u8] {
        match src {
            Src::Heap(o) => {
                let n = self.heap.get(o, 2);
                self.heap.bytes(Vm::str_data(o), n)
            }
            Src::Image(i) => self.images.get(i).copied().unwrap_or(&[]),
        }
    }

    fn cbyte(&mut self, c: &mut Cur) -> PyResult<u8> {
        let b = self.src_bytes(c.src).get(c.pos).copied();
        match b {
            Some(b) if c.pos < c.len => {
                c.pos += 1;
                Ok(b)
            }
            _ => Err(self.raise(TypeId::VALUE_ERROR, LoadError::Incompatible.message())),
        }
    }

    fn cuint(&mut self, c: &mut Cur) -> PyResult<usize> {
        let mut v: usize = 0;
        for _ in 0..10 {
            let b = self.cbyte(c)?;
            v = (v << 7) | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.raise(TypeId::VALUE_ERROR, LoadError::Incompatible.message()))
    }

    fn incompatible(&mut self, e: LoadError) -> PyErr {
        self.raise(TypeId::VALUE_ERROR, e.message())
    }

    /// Load `.mpy` bytes (copied into the heap) as the code of module `m`: returns the
    /// module's function, ready to run with [`Vm::exec_code`].
    pub fn load(&mut self, mpy: &[u8], m: Obj) -> PyResult<Obj> {
        if let Err(e) = check(mpy) {
            return Err(self.incompatible(e));
        }
        let data = self.new_bytes(mpy)?;
        let mark = self.roots_mark();
        let r = self.root(data).and_then(|_| self.build(Src::Heap(data), m));
        self.unroot_to(mark);
        r
    }

    /// Load a `'static` `.mpy` (bytecode, qstr and constant texts stay in place; only the
    /// objects are allocated) as the code of module `m`.
    pub fn load_static(&mut self, mpy: &'static [u8], m: Obj) -> PyResult<Obj> {
        if let Err(e) = check(mpy) {
            return Err(self.incompatible(e));
        }
        let idx = match self.images[..self.n_images]
            .iter()
            .position(|&i| core::ptr::eq(i, mpy))
        {
            Some(i) => i,
            None => {
                if self.n_images >= self.images.len() {
                    return Err(self.incompatible(LoadError::TooManyImages));
                }
                self.images[self.n_images] = mpy;
                self.n_images += 1;
                self.n_images - 1
            }
        };
        self.build(Src::Image(idx), m)
    }

    /// Run `.mpy` bytes already copied into heap bytes object `data` as module `m`.
    pub(crate) fn exec_mpy_in(&mut self, m: Obj, data: Obj) -> PyResult<()> {
        let n = self.heap.get(data, 2);
        let ok = check(self.heap.bytes(Vm::str_data(data), n));
        if let Err(e) = ok {
            return Err(self.incompatible(e));
        }
        let f = self.build(Src::Heap(data), m)?;
        let mark = self.roots_mark();
        self.root(f)?;
        let r = self.exec_code(f, m);
        self.unroot_to(mark);
        r.map(|_| ())
    }

    /// Compile `src` through the host and run it with these globals and locals (`exec`).
    pub(crate) fn exec_source(&mut self, src: Obj, globals: Obj, locals: Obj) -> PyResult<Obj> {
        let r = match self.buffer_ref(src) {
            Some(r) => r,
            None => return Err(self.raise(TypeId::TYPE_ERROR, "exec() arg 1 must be a string")),
        };
        let found = match r {
            SRef::Static(s) => self.host.compile(s),
            SRef::Heap(off, n) => self.host.compile(self.heap.bytes(off, n)),
        };
        let size = match found {
            crate::ModuleFile::Mpy(n) => n,
            crate::ModuleFile::CompileError(n) => {
                let o = self.alloc_str(TypeId::STR, n)?;
                let k = self
                    .host
                    .read_module(self.heap.bytes_mut(Vm::str_data(o), n));
                self.heap.set(o, 2, k.min(n));
                self.str_finish(o);
                self.root(o)?;
                let e =
                    crate::obj::exception::new(self, Obj::type_obj(TypeId::SYNTAX_ERROR), &[o])?;
                return Err(self.raise_obj(e));
            }
            _ => return Err(self.raise(TypeId::NOT_IMPLEMENTED_ERROR, "compiler not available")),
        };
        let data = self.alloc_str(TypeId::BYTES, size)?;
        let k = self
            .host
            .read_module(self.heap.bytes_mut(Vm::str_data(data), size));
        self.heap.set(data, 2, k.min(size));
        let mark = self.roots_mark();
        let res = (|| {
            self.root(data)?;
            self.root(globals)?;
            self.root(locals)?;
            if let Err(e) = check(self.heap.bytes(Vm::str_data(data), k.min(size))) {
                return Err(self.incompatible(e));
            }
            let f = self.build_g(Src::Heap(data), globals)?;
            self.root(f)?;
            let frame = self.new_frame(f, &CallArgs::slice(&[]))?;
            self.heap.set_obj(frame, crate::vm::F_LOCALS, locals);
            self.push_frame(frame, FrameMode::Native, Obj::NULL)?;
            self.execute()
        })();
        self.unroot_to(mark);
        res
    }

    /// Create module `name`, register it in `sys.modules`, load and run `mpy` in it.
    pub fn exec_mpy(&mut self, name: &str, mpy: &[u8]) -> PyResult<Obj> {
        self.exec_in_new_module(name, |vm, m| vm.load(mpy, m))
    }

    /// As [`Vm::exec_mpy`] for a `'static` image (frozen code runs in place).
    pub fn exec_mpy_static(&mut self, name: &str, mpy: &'static [u8]) -> PyResult<Obj> {
        self.exec_in_new_module(name, |vm, m| vm.load_static(mpy, m))
    }

    /// Creates module `name`, registers it in `sys.modules`, and runs the module-level
    /// function `load` makes for it.
    fn exec_in_new_module(
        &mut self,
        name: &str,
        load: impl FnOnce(&mut Self, Obj) -> PyResult<Obj>,
    ) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = (|| {
            let n = self.new_str(name.as_bytes())?;
            self.root(n)?;
            let m = self.new_module(n)?;
            self.root(m)?;
            self.dict_set(self.modules, n, m)?;
            let f = load(self, m)?;
            self.root(f)?;
            self.exec_code(f, m)?;
            Ok(m)
        })();
        self.unroot_to(mark);
        r
    }

    /// The build pass over a validated file: context, qstrs, constants, raw codes; returns
    /// the module-level function.
    fn build(&mut self, src: Src, m: Obj) -> PyResult<Obj> {
        let g = self.module_globals(m);
        self.build_g(src, g)
    }

    /// The build pass with an explicit globals dict.
    fn build_g(&mut self, src: Src, g: Obj) -> PyResult<Obj> {
        let len = self.src_bytes(src).len();
        let mut c = Cur {
            src,
            pos: mpy::HEADER_LEN,
            len,
        };
        let mark = self.roots_mark();
        let r = (|| {
            let n_qstr = self.cuint(&mut c)?;
            let n_const = self.cuint(&mut c)?;
            let qstrs = self.alloc_tuple(n_qstr)?;
            self.root(qstrs)?;
            for i in 0..n_qstr {
                let q = self.load_qstr(&mut c)?;
                self.heap
                    .set_obj(qstrs, crate::obj::tuple::T_ITEMS + i, Obj::qstr(q));
            }
            let consts = self.alloc_tuple(n_const)?;
            self.root(consts)?;
            for i in 0..n_const {
                let o = self.load_const(&mut c, 0)?;
                self.heap.set_obj(consts, crate::obj::tuple::T_ITEMS + i, o);
            }
            let ctx = self.alloc(TypeId::CONTEXT, 0, fun::CTX_WORDS)?;
            self.heap.set_obj(ctx, fun::CTX_GLOBALS, g);
            self.heap.set_obj(ctx, fun::CTX_QSTRS, qstrs);
            self.heap.set_obj(ctx, fun::CTX_CONSTS, consts);
            self.root(ctx)?;
            let rc = self.load_raw_code(&mut c, 0)?;
            self.root(rc)?;
            fun::new_function(self, rc, ctx, Obj::NULL, Obj::NULL, Obj::NULL)
        })();
        self.unroot_to(mark);
        r
    }

    fn load_qstr(&mut self, c: &mut Cur) -> PyResult<crate::Qstr> {
        let v = self.cuint(c)?;
        if v & 1 == 1 {
            return Ok(crate::Qstr((v >> 1) as u16));
        }
        let n = v >> 1;
        let start = c.pos;
        c.pos += n + 1;
        self.intern_from_src(c.src, start, n)
    }

    fn intern_from_src(&mut self, src: Src, start: usize, n: usize) -> PyResult<crate::Qstr> {
        match src {
            Src::Image(i) => {
                let img = self.images.get(i).copied().unwrap_or(&[]);
                let b = img.get(start..start + n).unwrap_or(&[]);
                self.intern(b)
            }
            Src::Heap(o) => {
                let off = Vm::str_data(o) + start;
                if let Some(q) = self.find_qstr(self.heap.bytes(off, n)) {
                    return Ok(q);
                }
                let s = self.new_str_from_heap(TypeId::STR, off, n)?;
                self.intern_obj(s)
            }
        }
    }

    fn src_ref(&self, src: Src, start: usize, n: usize) -> SRef {
        match src {
            Src::Image(i) => {
                let img = self.images.get(i).copied().unwrap_or(&[]);
                SRef::Static(img.get(start..start + n).unwrap_or(&[]))
            }
            Src::Heap(o) => SRef::Heap(Vm::str_data(o) + start, n),
        }
    }

    fn load_const(&mut self, c: &mut Cur, depth: usize) -> PyResult<Obj> {
        let tag = self.cbyte(c)?;
        match tag {
            mpy::obj::NONE => Ok(Obj::NONE),
            mpy::obj::FALSE => Ok(Obj::FALSE),
            mpy::obj::TRUE => Ok(Obj::TRUE),
            mpy::obj::ELLIPSIS => Ok(Obj::ELLIPSIS),
            mpy::obj::STR | mpy::obj::BYTES => {
                let n = self.cuint(c)?;
                let r = self.src_ref(c.src, c.pos, n);
                c.pos += n + 1;
                let tid = if tag == mpy::obj::STR {
                    TypeId::STR
                } else {
                    TypeId::BYTES
                };
                self.new_str_from_ref(tid, r, 0, n)
            }
            mpy::obj::INT => {
                let n = self.cuint(c)?;
                let r = self.src_ref(c.src, c.pos, n);
                c.pos += n;
                crate::print::parse_int(self, r, 10, Obj::NONE)
            }
            mpy::obj::FLOAT => {
                let n = self.cuint(c)?;
                c.pos += n;
                #[cfg(feature = "float")]
                {
                    let r = self.src_ref(c.src, c.pos - n, n);
                    match crate::print::parse_float(self.sbytes(r)) {
                        Some(v) => self.new_float(v),
                        None => Err(self.incompatible(LoadError::Incompatible)),
                    }
                }
                #[cfg(not(feature = "float"))]
                Err(self.raise(TypeId::VALUE_ERROR, "float not supported"))
            }
            mpy::obj::COMPLEX => {
                let n = self.cuint(c)?;
                c.pos += n;
                #[cfg(feature = "complex")]
                {
                    let r = self.src_ref(c.src, c.pos - n, n);
                    match crate::obj::complex::parse_complex(self.sbytes(r)) {
                        Some((re, im)) => self.new_complex(re, im),
                        None => Err(self.incompatible(LoadError::Incompatible)),
                    }
                }
                #[cfg(not(feature = "complex"))]
                Err(self.raise(TypeId::VALUE_ERROR, "complex values not supported"))
            }
            mpy::obj::TUPLE => {
                if depth >= mpy::MAX_CONST_DEPTH {
                    return Err(self.incompatible(LoadError::Incompatible));
                }
                let n = self.cuint(c)?;
                if n > c.len {
                    return Err(self.incompatible(LoadError::Incompatible));
                }
                let t = self.alloc_tuple(n)?;
                let mark = self.roots_mark();
                self.root(t)?;
                let r = (|| {
                    for i in 0..n {
                        let o = self.load_const(c, depth + 1)?;
                        self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, o);
                    }
                    Ok(t)
                })();
                self.unroot_to(mark);
                r
            }
            _ => Err(self.incompatible(LoadError::Incompatible)),
        }
    }

    fn load_raw_code(&mut self, c: &mut Cur, depth: usize) -> PyResult<Obj> {
        if depth >= mpy::MAX_RAW_CODE_DEPTH {
            return Err(self.incompatible(LoadError::Incompatible));
        }
        let h = self.cuint(c)?;
        if h & 3 != 0 {
            return Err(self.incompatible(LoadError::Native));
        }
        let fun_len = h >> 3;
        let has_children = h & 4 != 0;
        let data_off = c.pos;
        if data_off + fun_len > c.len {
            return Err(self.incompatible(LoadError::Incompatible));
        }
        c.pos += fun_len;
        // Decode the prelude from a copy of its first bytes.
        let mut head = [0u8; 96];
        let hn = fun_len.min(head.len());
        head[..hn].copy_from_slice(&self.src_bytes(c.src)[data_off..data_off + hn]);
        let (sig, n_sig) = match Signature::decode(&head[..hn]) {
            Ok(v) => v,
            Err(_) => return Err(self.incompatible(LoadError::Incompatible)),
        };
        let (size, n_size) = match Size::decode(&head[n_sig..hn]) {
            Ok(v) => v,
            Err(_) => return Err(self.incompatible(LoadError::Incompatible)),
        };
        let info_off = n_sig + n_size;
        let cells_off = info_off + size.n_info as usize;
        let code_off = cells_off + size.n_cell as usize;
        if code_off > fun_len || sig.n_state == 0 || sig.n_def_pos_args > sig.n_pos_args {
            return Err(self.incompatible(LoadError::Incompatible));
        }
        // Name and argument names: skip 1 + n_pos + n_kwonly vuints.
        let data = &self.src_bytes(c.src)[data_off..data_off + fun_len];
        let mut p = info_off;
        let mut name = 0usize;
        for k in 0..1 + sig.n_pos_args as usize + sig.n_kwonly_args as usize {
            let mut v = 0usize;
            loop {
                let b = match data.get(p) {
                    Some(&b) => b,
                    None => return Err(self.incompatible(LoadError::Incompatible)),
                };
                p += 1;
                v = (v << 7) | (b & 0x7f) as usize;
                if b & 0x80 == 0 {
                    break;
                }
            }
            if k == 0 {
                name = v;
            }
        }
        let names_off = info_off + {
            // the arg names start after the name vuint
            let mut q = info_off;
            while data.get(q).is_some_and(|&b| b & 0x80 != 0) {
                q += 1;
            }
            q + 1 - info_off
        };
        let line_info_off = p;
        if line_info_off > cells_off {
            return Err(self.incompatible(LoadError::Incompatible));
        }
        let rc = self.alloc(TypeId::RAW_CODE, 0, RC::WORDS)?;
        let src_obj = match c.src {
            Src::Heap(o) => o,
            Src::Image(i) => Obj::small_unchecked(i as isize),
        };
        let hp = &mut self.heap;
        hp.set_obj(rc, RC::SRC, src_obj);
        hp.set_int(rc, RC::DATA_OFF, data_off);
        hp.set_int(rc, RC::DATA_LEN, fun_len);
        hp.set_int(rc, RC::N_STATE, sig.n_state as usize);
        hp.set_int(rc, RC::N_EXC, sig.n_exc_stack as usize);
        hp.set_int(rc, RC::SCOPE_FLAGS, sig.scope_flags as usize);
        hp.set_int(rc, RC::N_POS, sig.n_pos_args as usize);
        hp.set_int(rc, RC::N_KWONLY, sig.n_kwonly_args as usize);
        hp.set_int(rc, RC::N_DEF_POS, sig.n_def_pos_args as usize);
        hp.set_int(rc, RC::NAME, name);
        hp.set_int(rc, RC::NAMES_OFF, names_off);
        hp.set_int(rc, RC::LINE_INFO_OFF, line_info_off);
        hp.set_int(rc, RC::CELLS_OFF, cells_off);
        hp.set_int(rc, RC::N_CELL, size.n_cell as usize);
        hp.set_int(rc, RC::CODE_OFF, code_off);
        hp.set_obj(rc, RC::CHILDREN, Obj::NULL);
        if has_children {
            let n = self.cuint(c)?;
            if n > c.len {
                return Err(self.incompatible(LoadError::Incompatible));
            }
            let mark = self.roots_mark();
            let r = (|| {
                self.root(rc)?;
                let ch = self.alloc_tuple(n)?;
                self.heap.set_obj(rc, RC::CHILDREN, ch);
                for i in 0..n {
                    let child = self.load_raw_code(c, depth + 1)?;
                    self.heap.set_obj(ch, crate::obj::tuple::T_ITEMS + i, child);
                }
                Ok(())
            })();
            self.unroot_to(mark);
            r?;
        }
        Ok(rc)
    }

    /// Import module `key` (its last component at byte `last`, in package `parent` or
    /// top-level when null) from the host's files: each directory of `sys.path`, or of the
    /// parent's `__path__`. `None` if no directory has it.
    pub(crate) fn import_from_files(
        &mut self,
        key: Obj,
        last: usize,
        parent: Obj,
    ) -> PyResult<Option<Obj>> {
        let paths = if parent.is_null() {
            self.sys_path
        } else {
            let g = self.module_globals(parent);
            match (!g.is_null())
                .then(|| self.dict_get_q(g, q!("__path__")))
                .flatten()
            {
                Some(p) => self.new_list(&[p])?,
                None => return Ok(None),
            }
        };
        self.root(paths)?;
        let mut i = 0;
        while i < self.list_len(paths) {
            let p = self.list_get(paths, i);
            i += 1;
            match self.find_in_dir(p, key, last) {
                Found::Nothing => {}
                found => return self.load_found(found, key, last, p).map(Some),
            }
        }
        Ok(None)
    }

    /// Ask the host for module `key[last..]` in directory `dir` (a str). The path buffer
    /// lives only in this frame.
    #[inline(never)]
    fn find_in_dir(&mut self, dir: Obj, key: Obj, last: usize) -> Found {
        let mut path = [0u8; MAX_PATH];
        let n = match self.module_path(&mut path, dir, key, last) {
            Some(n) => n,
            None => return Found::Nothing,
        };
        let Ok(ps) = core::str::from_utf8(&path[..n]) else {
            return Found::Nothing;
        };
        match self.host.find_module(ps) {
            ModuleFile::NotFound => Found::Nothing,
            ModuleFile::Mpy(size) => Found::Mpy(size),
            ModuleFile::CompileError(size) => Found::CompileError(size),
            ModuleFile::Package => {
                // The package's `__init__`, if it has one, else the bare package.
                let init = b"/__init__";
                if n + init.len() <= MAX_PATH {
                    path[n..n + init.len()].copy_from_slice(init);
                    if let Ok(ips) = core::str::from_utf8(&path[..n + init.len()]) {
                        match self.host.find_module(ips) {
                            ModuleFile::Mpy(size) => return Found::PackageInit(size),
                            ModuleFile::CompileError(size) => return Found::CompileError(size),
                            _ => {}
                        }
                    }
                }
                Found::PackageDir
            }
        }
    }

    /// Write `dir/` + `key[last..]` into `path`; its length, or `None` if too long.
    fn module_path(
        &self,
        path: &mut [u8; MAX_PATH],
        dir: Obj,
        key: Obj,
        last: usize,
    ) -> Option<usize> {
        let pb = self.str_bytes(dir);
        let lb = self.str_bytes(key).get(last..)?;
        let mut n = pb.len();
        let slash = usize::from(!pb.is_empty() && pb[n - 1] != b'/');
        if n + slash + lb.len() > MAX_PATH {
            return None;
        }
        path[..n].copy_from_slice(pb);
        path[n..n + slash].copy_from_slice(&b"/"[..slash]);
        n += slash;
        path[n..n + lb.len()].copy_from_slice(lb);
        Some(n + lb.len())
    }

    /// Load what [`Vm::find_in_dir`] found for `key` in directory `dir`.
    fn load_found(&mut self, found: Found, key: Obj, last: usize, dir: Obj) -> PyResult<Obj> {
        match found {
            Found::Mpy(size) => self.load_module_file(key, size, Obj::NULL),
            Found::CompileError(size) => Err(self.compile_error(size)),
            Found::PackageInit(size) => {
                let pathstr = self.package_path(dir, key, last)?;
                self.root(pathstr)?;
                self.load_module_file(key, size, pathstr)
            }
            _ => {
                // A package directory without `__init__`.
                let pathstr = self.package_path(dir, key, last)?;
                self.root(pathstr)?;
                self.new_namespace_package(key, pathstr)
            }
        }
    }

    /// The directory of package `key[last..]` in `dir`, as a new str (its `__path__`).
    #[inline(never)]
    fn package_path(&mut self, dir: Obj, key: Obj, last: usize) -> PyResult<Obj> {
        let mut path = [0u8; MAX_PATH];
        let n = self.module_path(&mut path, dir, key, last).unwrap_or(0);
        self.new_str(&path[..n])
    }

    fn compile_error(&mut self, size: usize) -> crate::PyErr {
        let o = match self.alloc_str(TypeId::STR, size) {
            Ok(o) => o,
            Err(e) => return e,
        };
        let n = self
            .host
            .read_module(self.heap.bytes_mut(Vm::str_data(o), size));
        self.heap.set(o, 2, n.min(size));
        self.str_finish(o);
        let mark = self.roots_mark();
        let _ = self.root(o);
        let e = match crate::obj::exception::new(self, Obj::type_obj(TypeId::SYNTAX_ERROR), &[o]) {
            Ok(e) => self.raise_obj(e),
            Err(e) => e,
        };
        self.unroot_to(mark);
        e
    }

    /// Read the `.mpy` the host found into the heap, create the module, run it.
    fn load_module_file(&mut self, key: Obj, size: usize, pkg_path: Obj) -> PyResult<Obj> {
        let data = self.alloc_str(TypeId::BYTES, size)?;
        let n = self
            .host
            .read_module(self.heap.bytes_mut(Vm::str_data(data), size));
        self.heap.set(data, 2, n.min(size));
        self.root(data)?;
        let m = self.new_module(key)?;
        self.root(m)?;
        if !pkg_path.is_null() {
            let g = self.module_globals(m);
            self.dict_set(g, Obj::qstr(q!("__path__")), pkg_path)?;
        }
        self.dict_set(self.modules, key, m)?;
        let r = self.exec_mpy_in(m, data);
        self.finish_import(key, m, r)
    }
}
