//! Modules and `import`.
//!
//! Corresponds to MicroPython's `py/objmodule.c` and `py/builtinimport.c`.
//!
//! Layout: `[header, name (str), globals dict, native]`: `native` is null for a Python
//! module and a small int for a builtin one, naming where its other attributes come from
//! ([`crate::modules::module_attr`]).
//!
//! Import order for a name: `sys.modules`; the frozen image; the builtin modules (`sys`,
//! `gc`, `time`, `micropython`, `math`, and those registered with [`Vm::register_module`]);
//! then, with feature `mpy-load` (`crate::loader`), each `sys.path` entry (or the parent
//! package's `__path__`) through [`crate::Host`]: a `.mpy` file, a `.py` file the host
//! compiles, or a package directory with an optional `__init__`.

use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{CallArgs, Fmt, FrameMode, Vm};
use crate::{q, PyResult};

/// Words of a module object (two heap blocks, as three would take).
const MODULE_WORDS: usize = 4;
/// Slot of a module's `native` word (see the module docs).
pub(crate) const MODULE_NATIVE: usize = 3;

/// Longest module file path handed to the host.
pub const MAX_PATH: usize = 256;

impl<'h> Vm<'h> {
    /// A new module named `name` (a str object) with `__name__` set; not registered.
    pub fn new_module(&mut self, name: Obj) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = (|| {
            self.root(name)?;
            let g = self.dict_new(4)?;
            self.root(g)?;
            self.dict_set(g, Obj::qstr(q!("__name__")), name)?;
            let m = self.alloc(TypeId::MODULE, 0, MODULE_WORDS)?;
            self.heap.set_obj(m, 1, name);
            self.heap.set_obj(m, 2, g);
            self.heap.set_obj(m, MODULE_NATIVE, Obj::NULL);
            Ok(m)
        })();
        self.unroot_to(mark);
        r
    }

    /// A builtin module without a dict: its attributes come from where `native` says
    /// ([`crate::modules::module_attr`]) and `__name__` from the module itself, so importing
    /// one costs a four-word object. A dict is made when one is needed
    /// ([`Vm::module_dict`]).
    pub(crate) fn new_builtin_module(&mut self, name: Obj, native: Obj) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = self
            .root(name)
            .and_then(|_| self.alloc(TypeId::MODULE, 0, MODULE_WORDS));
        self.unroot_to(mark);
        let m = r?;
        self.heap.set_obj(m, 1, name);
        self.heap.set_obj(m, 2, Obj::NULL);
        self.heap.set_obj(m, MODULE_NATIVE, native);
        Ok(m)
    }

    /// The dict of module `m`, made (holding `__name__`) if the module has none yet.
    pub(crate) fn module_dict(&mut self, m: Obj) -> PyResult<Obj> {
        let g = self.heap.get_obj(m, 2);
        if !g.is_null() {
            return Ok(g);
        }
        let mark = self.roots_mark();
        let r = (|| {
            self.root(m)?;
            let g = self.dict_new(4)?;
            self.root(g)?;
            self.dict_set(g, Obj::qstr(q!("__name__")), self.heap.get_obj(m, 1))?;
            self.heap.set_obj(m, 2, g);
            Ok(g)
        })();
        self.unroot_to(mark);
        r
    }

    /// The globals dict of a module (null for a builtin module without one: see
    /// [`Vm::new_builtin_module`]).
    pub fn module_globals(&self, m: Obj) -> Obj {
        self.heap.get_obj(m, 2)
    }

    /// `IMPORT_NAME`: import `name` (dotted) relative to `level`, return the top package
    /// (no fromlist) or the module itself.
    ///
    /// The frames of the import functions stay on the Rust stack while the imported
    /// module's body runs, so they hold no buffers: names live in the heap (or are qstrs),
    /// and what needs a buffer (relative names, file paths) happens in non-inlined helpers
    /// that return before any module code runs.
    pub(crate) fn import_name(
        &mut self,
        name: Qstr,
        fromlist: Obj,
        level: Obj,
        globals: Obj,
    ) -> PyResult<Obj> {
        let level = self.small_of(level).unwrap_or(0).max(0) as usize;
        let mark = self.roots_mark();
        let r = (|| {
            let full = if level > 0 {
                self.resolve_relative(name, level, globals)?
            } else {
                Obj::qstr(name)
            };
            self.root(full)?;
            let len = self.str_len_bytes(full);
            // Import each prefix.
            let mut top = Obj::NULL;
            let mut parent = Obj::NULL;
            let mut start = 0;
            loop {
                let end = self.find_byte(full, b'.', start).unwrap_or(len);
                let key = if end == len {
                    full
                } else {
                    let r = self
                        .str_ref(full)
                        .unwrap_or(crate::obj::str::SRef::Static(b""));
                    self.new_str_from_ref(TypeId::STR, r, 0, end)?
                };
                let m = self.import_one(key, start, parent)?;
                self.root(m)?;
                if top.is_null() {
                    top = m;
                }
                parent = m;
                if end >= len {
                    break;
                }
                start = end + 1;
            }
            let want_leaf =
                fromlist != Obj::NONE && !fromlist.is_null() && self.is_true(fromlist)?;
            Ok(if want_leaf || level > 0 { parent } else { top })
        })();
        self.unroot_to(mark);
        r
    }

    /// Bytes in str `s`.
    fn str_len_bytes(&self, s: Obj) -> usize {
        self.str_bytes(s).len()
    }

    /// Position of the first `c` at or after `from` in str `s`.
    fn find_byte(&self, s: Obj, c: u8, from: usize) -> Option<usize> {
        let b = self.str_bytes(s);
        b.get(from..)?
            .iter()
            .position(|&x| x == c)
            .map(|p| from + p)
    }

    /// The absolute dotted name of a relative import of `name` at `level` from the module
    /// whose globals are `globals`, as a new str.
    #[inline(never)]
    fn resolve_relative(&mut self, name: Qstr, level: usize, globals: Obj) -> PyResult<Obj> {
        let cur = if globals.is_null() {
            None
        } else {
            self.dict_get_q(globals, q!("__name__"))
        };
        let cur = match cur {
            Some(c) if self.is_str(c) => c,
            _ => return Err(self.raise(TypeId::IMPORT_ERROR, "can't perform relative import")),
        };
        let is_pkg = self.dict_get_q(globals, q!("__path__")).is_some();
        let mut full = [0u8; MAX_PATH];
        let cb = self.str_bytes(cur);
        let mut base_len = cb.len();
        let mut up = level - usize::from(is_pkg);
        while up > 0 {
            match cb[..base_len].iter().rposition(|&c| c == b'.') {
                Some(p) => base_len = p,
                None => {
                    if up == 1 && !is_pkg && cb[..base_len] != *b"__main__" {
                        base_len = 0;
                        break;
                    }
                    return Err(self.raise(TypeId::IMPORT_ERROR, "can't perform relative import"));
                }
            }
            up -= 1;
        }
        if base_len == 0 {
            return Err(self.raise(TypeId::IMPORT_ERROR, "can't perform relative import"));
        }
        let nb = self.sbytes(self.qstr_ref(name));
        let sep = usize::from(!nb.is_empty());
        let n = base_len + sep + nb.len();
        if n > MAX_PATH {
            return Err(self.raise(TypeId::IMPORT_ERROR, "name too long"));
        }
        full[..base_len].copy_from_slice(&cb[..base_len]);
        full[base_len..base_len + sep].copy_from_slice(&b"."[..sep]);
        full[base_len + sep..n].copy_from_slice(nb);
        self.new_str(&full[..n])
    }

    /// Import the module whose dotted name is str `key`; its last component starts at
    /// byte `last` (0 for a top-level module, whose `parent` is null).
    #[cfg_attr(not(feature = "mpy-load"), allow(unused_variables))]
    fn import_one(&mut self, key: Obj, last: usize, parent: Obj) -> PyResult<Obj> {
        self.root(key)?;
        if let Some(m) = self.dict_get(self.modules, key)? {
            return Ok(m);
        }
        if let Some(m) = self.import_frozen(key, key)? {
            return Ok(m);
        }
        if parent.is_null() {
            if let Some(m) = crate::modules::builtin_module(self, key)? {
                return Ok(m);
            }
        }
        // Then the host's files: sys.path, or the parent's __path__.
        #[cfg(feature = "mpy-load")]
        if let Some(m) = self.import_from_files(key, last, parent)? {
            return Ok(m);
        }
        Err(self.no_module(key))
    }

    pub(crate) fn no_module(&mut self, key: Obj) -> crate::PyErr {
        self.raise_fmt(
            TypeId::IMPORT_ERROR,
            &[Fmt::S("no module named '"), Fmt::O(key), Fmt::S("'")],
        )
    }

    /// Run a module function (a loaded or frozen module's top-level code) with the module's
    /// globals as locals.
    pub fn exec_code(&mut self, f: Obj, m: Obj) -> PyResult<Obj> {
        let g = self.module_globals(m);
        let frame = self.new_frame(f, &CallArgs::slice(&[]))?;
        self.heap.set_obj(frame, crate::vm::F_LOCALS, g);
        self.push_frame(frame, FrameMode::Native, Obj::NULL)?;
        self.execute()
    }

    /// `exec`/`eval` without the loader (feature `mpy-load`): nothing can run compiled
    /// source, as on a host without a compiler.
    #[cfg(not(feature = "mpy-load"))]
    pub(crate) fn exec_source(&mut self, src: Obj, globals: Obj, locals: Obj) -> PyResult<Obj> {
        let _ = (src, globals, locals);
        Err(self.raise(TypeId::NOT_IMPLEMENTED_ERROR, "compiler not available"))
    }

    /// A package directory without `__init__` (on the host's files, or in the frozen
    /// image): a module with `__path__` = `path` and no code, registered in `sys.modules`
    /// as `key` and bound in its parent package. Out of line: its locals stay out of the
    /// import frames.
    #[inline(never)]
    pub(crate) fn new_namespace_package(&mut self, key: Obj, path: Obj) -> PyResult<Obj> {
        let m = self.new_module(key)?;
        self.root(m)?;
        let g = self.module_globals(m);
        self.dict_set(g, Obj::qstr(q!("__path__")), path)?;
        self.dict_set(self.modules, key, m)?;
        self.bind_in_parent(key, m)?;
        Ok(m)
    }

    /// End the import of module `m` (registered in `sys.modules` under `key`) whose body
    /// ran with result `r`: a module that failed leaves `sys.modules` (its exception stays
    /// pending); one that ran is bound in its parent package.
    pub(crate) fn finish_import<T>(&mut self, key: Obj, m: Obj, r: PyResult<T>) -> PyResult<Obj> {
        if r.is_err() {
            let e = self.take_exception();
            let _ = self.dict_del(self.modules, key);
            self.pending = e;
            return Err(crate::PyErr);
        }
        self.bind_in_parent(key, m)?;
        Ok(m)
    }

    /// Set module `m` (dotted name `key`) as an attribute of its parent package, if that
    /// is imported.
    pub(crate) fn bind_in_parent(&mut self, key: Obj, m: Obj) -> PyResult<()> {
        let Some(p) = self.str_bytes(key).iter().rposition(|&c| c == b'.') else {
            return Ok(());
        };
        let r = self
            .str_ref(key)
            .unwrap_or(crate::obj::str::SRef::Static(b""));
        let pk = self.new_str_from_ref(TypeId::STR, r, 0, p)?;
        self.root(pk)?;
        // (`sys.modules` may hold anything under the parent's name.)
        if let Some(parent) = self.dict_get(self.modules, pk)? {
            if parent.is_heap() && self.heap.tid(parent) == TypeId::MODULE {
                self.root(parent)?;
                let name = self.new_str_from_ref(TypeId::STR, r, p + 1, usize::MAX)?;
                let lq = self.intern_obj(name)?;
                let pg = self.module_dict(parent)?;
                self.dict_set(pg, Obj::qstr(lq), m)?;
            }
        }
        Ok(())
    }

    /// `IMPORT_FROM`: `from module import name` (also imports a submodule).
    pub(crate) fn import_from(&mut self, m: Obj, name: Qstr) -> PyResult<Obj> {
        match self.load_attr_opt(m, name)? {
            Some(v) => Ok(v),
            None => {
                // Maybe a submodule not imported yet.
                if m.is_heap() && self.heap.tid(m) == TypeId::MODULE {
                    let g = self.module_globals(m);
                    if !g.is_null() && self.dict_get_q(g, q!("__path__")).is_some() {
                        let mn = self.heap.get_obj(m, 1);
                        let key = self.dotted(mn, name)?;
                        let last = self.str_len_bytes(mn) + 1;
                        let mark = self.roots_mark();
                        let sub = self.root(key).and_then(|_| self.import_one(key, last, m));
                        self.unroot_to(mark);
                        return sub;
                    }
                }
                Err(self.raise_fmt(
                    TypeId::IMPORT_ERROR,
                    &[Fmt::S("can't import name "), Fmt::Q(name)],
                ))
            }
        }
    }

    /// `package.name` as a new str.
    #[inline(never)]
    fn dotted(&mut self, package: Obj, name: Qstr) -> PyResult<Obj> {
        let mut full = [0u8; MAX_PATH];
        let a = self.str_bytes(package);
        let b = self.sbytes(self.qstr_ref(name));
        let n = a.len() + 1 + b.len();
        if n > MAX_PATH {
            return Err(self.raise(TypeId::IMPORT_ERROR, "name too long"));
        }
        full[..a.len()].copy_from_slice(a);
        full[a.len()] = b'.';
        full[a.len() + 1..n].copy_from_slice(b);
        self.new_str(&full[..n])
    }

    /// `IMPORT_STAR`: copy a module's public names into `locals`.
    pub(crate) fn import_star(&mut self, m: Obj, locals: Obj) -> PyResult<()> {
        if !(m.is_heap() && self.heap.tid(m) == TypeId::MODULE) {
            return Ok(());
        }
        let g = self.module_dict(m)?;
        let mut i = 0;
        while i < self.dict_used(g) {
            if let Some((k, v)) = self.dict_entry(g, i) {
                if !self.str_bytes(k).starts_with(b"_") {
                    self.dict_set(locals, k, v)?;
                }
            }
            i += 1;
        }
        // A builtin module's functions (not in its dict, unless replaced there).
        for def in crate::modules::table_names(self, m) {
            let name = self.sbytes(self.qstr_ref(def.name));
            if !name.starts_with(b"_") && self.dict_get_q(g, def.name).is_none() {
                let f = self.load_attr(m, def.name)?;
                self.dict_set(locals, Obj::qstr(def.name), f)?;
            }
        }
        Ok(())
    }
}
