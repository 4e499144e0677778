//! Modules and `import`.
//!
//! Corresponds to MicroPython's `py/objmodule.c` and `py/builtinimport.c`.
//!
//! Layout: `[header, name (str), globals dict]`.
//!
//! Import order for a name: `sys.modules`; the builtin modules (`sys`, `gc`, `time`,
//! `micropython`, `math`, and those registered with [`Vm::register_module`]); then each
//! `sys.path` entry (or the parent package's `__path__`) through [`crate::Host`]: a
//! `.mpy` file, a `.py` file the host compiles, or a package directory with an optional
//! `__init__`.

use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{Fmt, Vm};
use crate::{q, ModuleFile, PyResult};

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
            let m = self.alloc(TypeId::MODULE, 0, 3)?;
            self.heap.set_obj(m, 1, name);
            self.heap.set_obj(m, 2, g);
            Ok(m)
        })();
        self.unroot_to(mark);
        r
    }

    /// The globals dict of a module.
    pub fn module_globals(&self, m: Obj) -> Obj {
        self.heap.get_obj(m, 2)
    }

    /// `IMPORT_NAME`: import `name` (dotted) relative to `level`, return the top package
    /// (no fromlist) or the module itself.
    pub(crate) fn import_name(
        &mut self,
        name: Qstr,
        fromlist: Obj,
        level: Obj,
        globals: Obj,
    ) -> PyResult<Obj> {
        let level = self.small_of(level).unwrap_or(0).max(0) as usize;
        let mut full = [0u8; MAX_PATH];
        let mut n = 0;
        let push = |b: &[u8], full: &mut [u8; MAX_PATH], n: &mut usize| -> bool {
            if *n + b.len() > full.len() {
                return false;
            }
            full[*n..*n + b.len()].copy_from_slice(b);
            *n += b.len();
            true
        };
        if level > 0 {
            // Resolve against the importing module's package.
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
            let cb = self.str_bytes(cur);
            let mut base_len = cb.len();
            let mut up = level - usize::from(is_pkg);
            while up > 0 {
                match cb[..base_len].iter().rposition(|&c| c == b'.') {
                    Some(p) => base_len = p,
                    None => {
                        if up == 1 && !is_pkg && cb[..base_len] != *b"__main__" {
                            base_len = 0;
                            up = 0;
                            break;
                        }
                        return Err(
                            self.raise(TypeId::IMPORT_ERROR, "can't perform relative import")
                        );
                    }
                }
                up -= 1;
            }
            let _ = up;
            let mut tmp = [0u8; MAX_PATH];
            let bl = base_len.min(MAX_PATH);
            tmp[..bl].copy_from_slice(&cb[..bl]);
            if bl == 0 {
                return Err(self.raise(TypeId::IMPORT_ERROR, "can't perform relative import"));
            }
            if !push(&tmp[..bl], &mut full, &mut n) {
                return Err(self.raise(TypeId::IMPORT_ERROR, "name too long"));
            }
            if name != q!("") {
                push(b".", &mut full, &mut n);
            }
        }
        let nr = self.qstr_ref(name);
        let mut tmp = [0u8; MAX_PATH];
        let nb = self.sbytes(nr);
        let nl = nb.len().min(MAX_PATH);
        tmp[..nl].copy_from_slice(&nb[..nl]);
        if !push(&tmp[..nl], &mut full, &mut n) {
            return Err(self.raise(TypeId::IMPORT_ERROR, "name too long"));
        }
        let full = &full[..n];
        // Import each prefix.
        let mut top = Obj::NULL;
        let mut parent = Obj::NULL;
        let mut start = 0;
        let mark = self.roots_mark();
        let r = (|| {
            loop {
                let end = full[start..]
                    .iter()
                    .position(|&c| c == b'.')
                    .map_or(full.len(), |p| start + p);
                let m = self.import_one(&full[..end], &full[start..end], parent)?;
                self.root(m)?;
                if top.is_null() {
                    top = m;
                }
                parent = m;
                if end >= full.len() {
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

    /// Import the module `full` (dotted), whose last component is `last`.
    fn import_one(&mut self, full: &[u8], last: &[u8], parent: Obj) -> PyResult<Obj> {
        let key = self.new_str(full)?;
        self.root(key)?;
        if let Some(m) = self.dict_get(self.modules, key)? {
            return Ok(m);
        }
        if let Some(m) = self.import_frozen(full, key)? {
            return Ok(m);
        }
        if parent.is_null() {
            if let Some(m) = crate::modules::builtin_module(self, full, key)? {
                return Ok(m);
            }
        }
        // Search paths: the parent's __path__, or sys.path.
        let paths = if parent.is_null() {
            self.sys_path
        } else {
            let g = self.module_globals(parent);
            match self.dict_get_q(g, q!("__path__")) {
                Some(p) => self.new_list(&[p])?,
                None => return Err(self.no_module(key)),
            }
        };
        self.root(paths)?;
        let mut i = 0;
        while i < self.list_len(paths) {
            let p = self.list_get(paths, i);
            i += 1;
            let mut path = [0u8; MAX_PATH];
            let pb = self.str_bytes(p);
            let mut n = 0;
            if !pb.is_empty() {
                if pb.len() + 1 + last.len() > MAX_PATH {
                    continue;
                }
                path[..pb.len()].copy_from_slice(pb);
                n = pb.len();
                if pb[n - 1] != b'/' {
                    path[n] = b'/';
                    n += 1;
                }
            }
            if n + last.len() > MAX_PATH {
                continue;
            }
            path[n..n + last.len()].copy_from_slice(last);
            n += last.len();
            let ps = match core::str::from_utf8(&path[..n]) {
                Ok(s) => s,
                Err(_) => continue,
            };
            match self.host.find_module(ps) {
                ModuleFile::NotFound => continue,
                ModuleFile::Mpy(size) => {
                    return self.load_module_file(key, size, Obj::NULL);
                }
                ModuleFile::CompileError(size) => return Err(self.compile_error(size)),
                ModuleFile::Package => {
                    let pathstr = self.new_str(&path[..n])?;
                    self.root(pathstr)?;
                    // __init__ inside the package.
                    let mut ip = [0u8; MAX_PATH];
                    let init = b"/__init__";
                    if n + init.len() <= MAX_PATH {
                        ip[..n].copy_from_slice(&path[..n]);
                        ip[n..n + init.len()].copy_from_slice(init);
                        if let Ok(ips) = core::str::from_utf8(&ip[..n + init.len()]) {
                            match self.host.find_module(ips) {
                                ModuleFile::Mpy(size) => {
                                    return self.load_module_file(key, size, pathstr)
                                }
                                ModuleFile::CompileError(size) => {
                                    return Err(self.compile_error(size))
                                }
                                _ => {}
                            }
                        }
                    }
                    let m = self.new_module(key)?;
                    self.root(m)?;
                    let g = self.module_globals(m);
                    self.dict_set(g, Obj::qstr(q!("__path__")), pathstr)?;
                    self.dict_set(self.modules, key, m)?;
                    if !parent.is_null() {
                        let lq = self.intern(last)?;
                        let pg = self.module_globals(parent);
                        self.dict_set(pg, Obj::qstr(lq), m)?;
                    }
                    return Ok(m);
                }
            }
        }
        Err(self.no_module(key))
    }

    fn no_module(&mut self, key: Obj) -> crate::PyErr {
        self.raise_fmt(
            TypeId::IMPORT_ERROR,
            &[Fmt::S("no module named '"), Fmt::O(key), Fmt::S("'")],
        )
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
        let full = self.str_bytes(key);
        if let Some(p) = full.iter().rposition(|&c| c == b'.') {
            let mut pb = [0u8; MAX_PATH];
            let pl = p.min(MAX_PATH);
            pb[..pl].copy_from_slice(&full[..pl]);
            let mut lb = [0u8; MAX_PATH];
            let ll = (full.len() - p - 1).min(MAX_PATH);
            lb[..ll].copy_from_slice(&full[p + 1..p + 1 + ll]);
            let pk = self.new_str(&pb[..pl])?;
            self.root(pk)?;
            if let Some(parent) = self.dict_get(self.modules, pk)? {
                let lq = self.intern(&lb[..ll])?;
                let pg = self.module_globals(parent);
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
                    if self.dict_get_q(g, q!("__path__")).is_some() {
                        let mn = self.heap.get_obj(m, 1);
                        let mut full = [0u8; MAX_PATH];
                        let a = self.str_bytes(mn);
                        let b = self.sbytes(self.qstr_ref(name));
                        if a.len() + 1 + b.len() <= MAX_PATH {
                            full[..a.len()].copy_from_slice(a);
                            full[a.len()] = b'.';
                            full[a.len() + 1..a.len() + 1 + b.len()].copy_from_slice(b);
                            let n = a.len() + 1 + b.len();
                            let mut last = [0u8; MAX_PATH];
                            last[..b.len()].copy_from_slice(b);
                            let lb = b.len();
                            let sub = self.import_one(&full[..n], &last[..lb], m)?;
                            return Ok(sub);
                        }
                    }
                }
                Err(self.raise_fmt(
                    TypeId::IMPORT_ERROR,
                    &[Fmt::S("can't import name "), Fmt::Q(name)],
                ))
            }
        }
    }

    /// `IMPORT_STAR`: copy a module's public names into `locals`.
    pub(crate) fn import_star(&mut self, m: Obj, locals: Obj) -> PyResult<()> {
        if !(m.is_heap() && self.heap.tid(m) == TypeId::MODULE) {
            return Ok(());
        }
        let g = self.module_globals(m);
        let mut i = 0;
        while i < self.dict_used(g) {
            if let Some((k, v)) = self.dict_entry(g, i) {
                if !self.str_bytes(k).starts_with(b"_") {
                    self.dict_set(locals, k, v)?;
                }
            }
            i += 1;
        }
        Ok(())
    }
}
