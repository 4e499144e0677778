//! User classes and their instances; `super`, `property`, `staticmethod`, `classmethod`.
//!
//! Corresponds to MicroPython's `py/objtype.c` (classes, instances, special-method
//! dispatch, `super`), `py/objproperty.c` and the static/class method wrappers.
//!
//! Layouts:
//! - class: `[header (TYPE), name qstr, bases tuple, attribute dict, mro tuple, native base
//!   type id]`. The MRO lists the class, its ancestors, and the builtin types they derive
//!   from (e.g. `Exception`, `BaseException`, `object`);
//! - instance: `[header (INSTANCE), class, attribute dict, native sub-object|NULL]`; an
//!   instance of a class deriving from a builtin container or number keeps the builtin
//!   value as its sub-object; exception subclasses use the exception layout instead;
//! - property `[header, fget, fset, fdel]`; static/class method `[header, function]`.
//!
//! Where we differ: the MRO is the depth-first left-to-right order with duplicates removed
//! keeping the last occurrence (the C3 order for the usual diamonds); MicroPython searches
//! bases depth-first at each lookup.

use crate::builtins::{self, NativeKind};
use crate::obj::types;
use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{CallArgs, Fmt, FrameMode, Vm};
use crate::{q, PyResult};

/// Class: name (qstr object).
pub const CLS_NAME: usize = 1;
/// Class: bases tuple.
pub const CLS_BASES: usize = 2;
/// Class: attribute dict.
pub const CLS_DICT: usize = 3;
/// Class: method resolution order tuple.
pub const CLS_MRO: usize = 4;
/// Class: the builtin type it ultimately derives from (tagged type id).
pub const CLS_NATIVE: usize = 5;
const CLS_WORDS: usize = 6;
/// Class header flag: no class of its MRO has `__setattr__`, `__delattr__`, `__new__` or a
/// possible data descriptor when it was created, and it derives from no builtin type, so
/// `instance.attr = v` just stores in the instance dict, and calling the class needs no
/// look-up of `__new__`. Stores into class dicts that
/// could break this for any class set [`Vm::class_hooks_added`] (see
/// [`Vm::note_class_store`]) instead of tracking subclasses.
pub const CLS_PLAIN: usize = 4;
/// Class header flag: an attribute was stored into an instance of it, so new instances
/// get a dict with room for three (the size the first store would make) and their first
/// stores take the fast path.
pub const CLS_INST_ATTRS: usize = 8;

/// Instance: class.
pub const INST_CLASS: usize = 1;
/// Instance: attribute dict.
pub const INST_DICT: usize = 2;
/// Instance: builtin sub-object.
pub const INST_SUB: usize = 3;
const INST_WORDS: usize = 4;

impl<'h> Vm<'h> {
    /// Whether `o` is a user class.
    pub(crate) fn is_user_class(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::TYPE
    }

    /// Whether `o` is an instance of a user class (including exception subclasses).
    pub(crate) fn is_instance_obj(&self, o: Obj) -> bool {
        if !o.is_heap() {
            return false;
        }
        match self.heap.tid(o) {
            TypeId::INSTANCE => true,
            TypeId::EXC => self.heap.get_obj(o, 1).is_heap(),
            _ => false,
        }
    }

    /// Create a class: `type(name, bases, dict)`.
    pub fn new_class(&mut self, name: Qstr, bases: Obj, dict: Obj) -> PyResult<Obj> {
        let mark = self.roots_mark();
        self.root(bases)?;
        self.root(dict)?;
        let r = self.new_class_inner(name, bases, dict);
        self.unroot_to(mark);
        r
    }

    fn new_class_inner(&mut self, name: Qstr, bases: Obj, dict: Obj) -> PyResult<Obj> {
        let nb = self.tuple_len(bases);
        for i in 0..nb {
            let b = self.tuple_get(bases, i);
            if let Some(t) = b.as_builtin_type() {
                if !types::info(t).subclassable {
                    let tn = types::info(t).name;
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("type '"),
                            Fmt::Q(tn),
                            Fmt::S("' isn't an acceptable base type"),
                        ],
                    ));
                }
            } else if !self.is_user_class(b) {
                return Err(self.raise(TypeId::TYPE_ERROR, "bases must be types"));
            }
        }
        let c = self.alloc(TypeId::TYPE, 0, CLS_WORDS)?;
        self.heap.set_obj(c, CLS_NAME, Obj::qstr(name));
        self.heap.set_obj(c, CLS_BASES, bases);
        self.heap.set_obj(c, CLS_DICT, dict);
        self.root(c)?;
        // MRO: depth-first, left to right, keep the last occurrence of duplicates.
        let all = self.new_list(&[c])?;
        self.root(all)?;
        for i in 0..nb {
            let b = self.tuple_get(bases, i);
            self.mro_append(all, b)?;
        }
        let obj = Obj::type_obj(TypeId::OBJECT);
        self.list_append(all, obj)?;
        let mro = self.new_list(&[])?;
        self.root(mro)?;
        let n = self.list_len(all);
        let mut native = TypeId::OBJECT;
        for i in 0..n {
            let x = self.list_get(all, i);
            let later = (i + 1..n).any(|j| self.list_get(all, j) == x);
            if !later {
                self.list_append(mro, x)?;
                if let Some(t) = x.as_builtin_type() {
                    if native == TypeId::OBJECT && t != TypeId::OBJECT {
                        native = t;
                    }
                }
            }
        }
        let it = self.items(mro).unwrap_or(crate::obj::tuple::Items {
            base: Obj::NULL,
            first: 0,
            len: 0,
        });
        let mt = self.tuple_from_items(it, 0, it.len)?;
        self.heap.set_obj(c, CLS_MRO, mt);
        self.heap.set_int(c, CLS_NATIVE, native.0 as usize);
        if native == TypeId::OBJECT && self.mro_is_plain(mt) {
            self.heap
                .set(c, 0, crate::obj::header::make(TypeId::TYPE, CLS_PLAIN));
        }
        Ok(c)
    }

    /// Whether no class of an MRO has `__setattr__`/`__delattr__`/`__new__` or an
    /// attribute that may be a data descriptor (a property, or an instance of a class with
    /// `__set__` or `__delete__`).
    fn mro_is_plain(&self, mro: Obj) -> bool {
        for i in 0..self.tuple_len(mro) {
            let x = self.tuple_get(mro, i);
            if !self.is_user_class(x) {
                continue;
            }
            let d = self.heap.get_obj(x, CLS_DICT);
            for e in 0..self.dict_used(d) {
                if let Some((k, v)) = self.dict_entry(d, e) {
                    if self.is_attr_hook_name(k) || self.may_be_data_descriptor(v) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Whether `k` is `__setattr__`, `__delattr__`, `__set__`, `__delete__` or `__new__`.
    fn is_attr_hook_name(&self, k: Obj) -> bool {
        [
            q!("__setattr__"),
            q!("__delattr__"),
            q!("__set__"),
            q!("__delete__"),
            q!("__new__"),
        ]
        .iter()
        .any(|&h| {
            k == Obj::qstr(h) || !k.is_qstr() && self.is_str(k) && self.str_eq(k, Obj::qstr(h))
        })
    }

    /// Record a store of `v` as attribute `k` of a class: if it could make some class
    /// not plain any more, no class is taken as plain from now on.
    pub(crate) fn note_class_store(&mut self, k: Obj, v: Obj) {
        if self.is_attr_hook_name(k) || self.may_be_data_descriptor(v) {
            self.class_hooks_added = true;
        }
    }

    /// Whether `v`, a class attribute, may intercept stores to instances (see
    /// [`CLS_PLAIN`]).
    pub(crate) fn may_be_data_descriptor(&self, v: Obj) -> bool {
        if !v.is_heap() {
            return false;
        }
        match self.heap.tid(v) {
            TypeId::PROPERTY => true,
            TypeId::INSTANCE => {
                let c = self.heap.get_obj(v, INST_CLASS);
                self.class_lookup_user(c, q!("__set__")).is_some()
                    || self.class_lookup_user(c, q!("__delete__")).is_some()
            }
            _ => false,
        }
    }

    /// Record that an instance of `cls` (a user class or not) has attributes
    /// ([`CLS_INST_ATTRS`]).
    pub(crate) fn note_instance_attrs(&mut self, cls: Obj) {
        if self.is_user_class(cls) {
            let h = self.heap.header(cls);
            let flags = crate::obj::header::flags(h) | CLS_INST_ATTRS;
            self.heap
                .set(cls, 0, crate::obj::header::make(TypeId::TYPE, flags));
        }
    }

    /// Whether stores to instances of user class `cls` go straight to the instance
    /// dict (see [`CLS_PLAIN`]).
    #[inline]
    pub(crate) fn class_is_plain(&self, cls: Obj) -> bool {
        !self.class_hooks_added && crate::obj::header::flags(self.heap.header(cls)) & CLS_PLAIN != 0
    }

    fn mro_append(&mut self, all: Obj, b: Obj) -> PyResult<()> {
        if self.is_user_class(b) {
            let m = self.heap.get_obj(b, CLS_MRO);
            for i in 0..self.tuple_len(m) {
                let x = self.tuple_get(m, i);
                if x != Obj::type_obj(TypeId::OBJECT) {
                    self.list_append(all, x)?;
                }
            }
        } else if let Some(mut t) = b.as_builtin_type() {
            for _ in 0..16 {
                if t == TypeId::OBJECT {
                    break;
                }
                self.list_append(all, Obj::type_obj(t))?;
                t = types::info(t).base;
            }
        }
        Ok(())
    }

    /// The builtin type a class derives from (OBJECT if none).
    pub(crate) fn class_native(&self, cls: Obj) -> TypeId {
        if let Some(t) = cls.as_builtin_type() {
            return t;
        }
        if self.is_user_class(cls) {
            return TypeId(self.heap.get_int(cls, CLS_NATIVE) as u16);
        }
        TypeId::OBJECT
    }

    /// Look `q` up along a class's MRO (user dicts and builtin method tables).
    pub(crate) fn class_lookup(&self, cls: Obj, q: Qstr) -> Option<Obj> {
        if let Some(t) = cls.as_builtin_type() {
            return builtins::type_lookup(t, q).map(|(o, _)| o);
        }
        if !self.is_user_class(cls) {
            return None;
        }
        let mro = self.heap.get_obj(cls, CLS_MRO);
        for i in 0..self.tuple_len(mro) {
            let x = self.tuple_get(mro, i);
            if let Some(t) = x.as_builtin_type() {
                if let Some((o, _)) = builtins::type_table_lookup(t, q) {
                    return Some(o);
                }
            } else if self.is_user_class(x) {
                let d = self.heap.get_obj(x, CLS_DICT);
                if let Some(v) = self.dict_get_q(d, q) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// Look `q` up in the user classes of a class's MRO only (special methods).
    pub(crate) fn class_lookup_user(&self, cls: Obj, q: Qstr) -> Option<Obj> {
        if !self.is_user_class(cls) {
            return None;
        }
        let mro = self.heap.get_obj(cls, CLS_MRO);
        for i in 0..self.tuple_len(mro) {
            let x = self.tuple_get(mro, i);
            if self.is_user_class(x) {
                let d = self.heap.get_obj(x, CLS_DICT);
                if let Some(v) = self.dict_get_q(d, q) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// [`Vm::class_lookup_user`] of two names in one walk of the MRO.
    pub(crate) fn class_lookup_user2(&self, cls: Obj, a: Qstr, b: Qstr) -> [Option<Obj>; 2] {
        let mut found = [None, None];
        if !self.is_user_class(cls) {
            return found;
        }
        let mro = self.heap.get_obj(cls, CLS_MRO);
        for i in 0..self.tuple_len(mro) {
            let x = self.tuple_get(mro, i);
            if self.is_user_class(x) {
                let d = self.heap.get_obj(x, CLS_DICT);
                for (slot, q) in found.iter_mut().zip([a, b]) {
                    if slot.is_none() {
                        *slot = self.dict_get_q(d, q);
                    }
                }
                if found[0].is_some() && found[1].is_some() {
                    break;
                }
            }
        }
        found
    }

    /// A special method defined by the user class of `o`, if any.
    pub(crate) fn lookup_special(&self, o: Obj, q: Qstr) -> Option<Obj> {
        if !self.is_instance_obj(o) {
            return None;
        }
        let cls = self.heap.get_obj(o, INST_CLASS);
        self.class_lookup_user(cls, q)
    }

    /// The builtin value inside an instance of a class derived from builtin type `t`
    /// (or `o` itself).
    pub fn native_base(&self, o: Obj, t: TypeId) -> Obj {
        if o.is_heap() && self.heap.tid(o) == TypeId::INSTANCE {
            let sub = self.heap.get_obj(o, INST_SUB);
            if !sub.is_null() && types::builtin_is_subclass(self.tid_of(sub), t) {
                return sub;
            }
        }
        o
    }

    /// Call a user class: create an instance and run `__init__`. Not inlined into
    /// [`Vm::call_prepare`], which every call passes through: its locals would make that
    /// frame larger for all of them (on thumbv6m 120 bytes instead of the 40 or so a call
    /// of a native function needs).
    #[inline(never)]
    pub(crate) fn call_class(
        &mut self,
        cls: Obj,
        a: &CallArgs,
        mode: FrameMode,
    ) -> PyResult<crate::vm::call::Called> {
        use crate::vm::call::Called;
        let mark = self.roots_mark();
        self.root(cls)?;
        let r = (|| {
            // A user __new__ (a plain class has none).
            let newf = if self.class_is_plain(cls) {
                None
            } else {
                self.class_lookup_user(cls, q!("__new__"))
            };
            let inst = if let Some(newf) = newf {
                let newf = if newf.is_heap() && self.heap.tid(newf) == TypeId::STATICMETHOD {
                    self.heap.get_obj(newf, 1)
                } else {
                    newf
                };
                let mut b = *a;
                if !b.self_.is_null() {
                    return Err(self.raise(TypeId::TYPE_ERROR, "unsupported call"));
                }
                b.self_ = cls;
                let o = self.call_args(newf, &b)?;
                if !self.isinstance(o, cls) {
                    return Ok(Called::Value(o));
                }
                o
            } else {
                self.make_instance(cls, a)?
            };
            self.root(inst)?;
            match self.class_lookup_user(cls, q!("__init__")) {
                Some(init) => {
                    let mut b = *a;
                    if !b.self_.is_null() {
                        return Err(self.raise(TypeId::TYPE_ERROR, "unsupported call"));
                    }
                    b.self_ = inst;
                    let is_bc = init.is_heap() && self.heap.tid(init) == TypeId::FUNCTION;
                    if is_bc && mode == FrameMode::Call {
                        return self.call_function(init, &b, FrameMode::Init, inst);
                    }
                    let r = self.call_args(init, &b)?;
                    if r != Obj::NONE {
                        return Err(self.raise_fmt(
                            TypeId::TYPE_ERROR,
                            &[
                                Fmt::S("__init__() should return None, not '"),
                                Fmt::T(r),
                                Fmt::S("'"),
                            ],
                        ));
                    }
                    Ok(Called::Value(inst))
                }
                None => {
                    let native = self.class_native(cls);
                    if native == TypeId::OBJECT && (a.n_args() > 0 || a.n_kw > 0) {
                        return Err(self.raise_fmt(
                            TypeId::TYPE_ERROR,
                            &[
                                Fmt::S("function takes 0 positional arguments but "),
                                Fmt::I(a.n_args() as isize),
                                Fmt::S(" were given"),
                            ],
                        ));
                    }
                    Ok(Called::Value(inst))
                }
            }
        })();
        self.unroot_to(mark);
        r
    }

    /// Allocate an instance of a user class (the native part built from the arguments).
    pub(crate) fn make_instance(&mut self, cls: Obj, a: &CallArgs) -> PyResult<Obj> {
        let native = self.class_native(cls);
        if native.is_exception() {
            let t = self.alloc_tuple(a.n_args())?;
            for i in 0..a.n_args() {
                let x = a.pos(self, i);
                self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, x);
            }
            return crate::obj::exception::new_with_tuple(self, cls, t);
        }
        let sub = if native == TypeId::OBJECT {
            Obj::NULL
        } else {
            let has_init = self.class_lookup_user(cls, q!("__init__")).is_some();
            let mutable = matches!(
                native,
                TypeId::LIST | TypeId::DICT | TypeId::SET | TypeId::BYTEARRAY
            );
            if mutable && has_init {
                self.call_native_type(native, &CallArgs::slice(&[]))?
            } else {
                self.call_native_type(native, a)?
            }
        };
        let mark = self.roots_mark();
        self.root(sub)?;
        let r = (|| {
            let has_attrs = self.is_user_class(cls)
                && crate::obj::header::flags(self.heap.header(cls)) & CLS_INST_ATTRS != 0;
            let room = if has_attrs { 3 } else { 0 };
            let d = self.dict_new(room)?;
            self.root(d)?;
            let o = self.alloc(TypeId::INSTANCE, 0, INST_WORDS)?;
            self.heap.set_obj(o, INST_CLASS, cls);
            self.heap.set_obj(o, INST_DICT, d);
            self.heap.set_obj(o, INST_SUB, sub);
            Ok(o)
        })();
        self.unroot_to(mark);
        r
    }

    /// `super(cls, obj).q` as a method: (method, self or NULL).
    pub(crate) fn load_super_method(
        &mut self,
        cls: Obj,
        obj: Obj,
        q: Qstr,
    ) -> PyResult<(Obj, Obj)> {
        let t = if self.is_user_class(obj) || obj.as_builtin_type().is_some() {
            obj
        } else {
            self.type_of(obj)
        };
        let mut found = None;
        if self.is_user_class(t) {
            let mro = self.heap.get_obj(t, CLS_MRO);
            let n = self.tuple_len(mro);
            let start = (0..n)
                .find(|&i| self.tuple_get(mro, i) == cls)
                .map_or(n, |i| i + 1);
            for i in start..n {
                let x = self.tuple_get(mro, i);
                if let Some(bt) = x.as_builtin_type() {
                    if let Some(v) = builtins::type_table_lookup(bt, q) {
                        found = Some(v);
                        break;
                    }
                } else if self.is_user_class(x) {
                    let d = self.heap.get_obj(x, CLS_DICT);
                    if let Some(v) = self.dict_get_q(d, q) {
                        found = Some((v, NativeKind::Method));
                        break;
                    }
                }
            }
        }
        match found {
            Some((v, kind)) => self.bind_class_attr(v, kind, obj, t),
            None => {
                if q == q!("__init__") {
                    // object.__init__ and friends: accept and ignore.
                    return Ok((builtins::noop_init_obj(), obj));
                }
                Err(self.raise_fmt(
                    TypeId::ATTRIBUTE_ERROR,
                    &[
                        Fmt::S("'super' object has no attribute '"),
                        Fmt::Q(q),
                        Fmt::S("'"),
                    ],
                ))
            }
        }
    }

    /// Bind a class attribute found for instance `obj` of class `cls`: (value, self|NULL).
    pub(crate) fn bind_class_attr(
        &mut self,
        v: Obj,
        kind: NativeKind,
        obj: Obj,
        cls: Obj,
    ) -> PyResult<(Obj, Obj)> {
        if v.as_native_fun().is_some() {
            return match kind {
                NativeKind::Method => Ok((v, obj)),
                NativeKind::Static => Ok((v, Obj::NULL)),
                NativeKind::Class => Ok((v, cls)),
                NativeKind::Getter => {
                    let r = self.call(v, &[obj], Obj::NULL)?;
                    Ok((r, Obj::NULL))
                }
            };
        }
        if v.is_heap() {
            match self.heap.tid(v) {
                TypeId::INSTANCE if obj != cls => {
                    if let Some(g) = self.lookup_special(v, q!("__get__")) {
                        let r = self.call(g, &[v, obj, cls], Obj::NULL)?;
                        return Ok((r, Obj::NULL));
                    }
                }
                TypeId::FUNCTION => return Ok((v, obj)),
                TypeId::STATICMETHOD => return Ok((self.heap.get_obj(v, 1), Obj::NULL)),
                TypeId::CLASSMETHOD => return Ok((self.heap.get_obj(v, 1), cls)),
                TypeId::PROPERTY => {
                    let fget = self.heap.get_obj(v, 1);
                    if fget == Obj::NONE || fget.is_null() {
                        return Err(self.raise(TypeId::ATTRIBUTE_ERROR, "unreadable attribute"));
                    }
                    let r = self.call(fget, &[obj], Obj::NULL)?;
                    return Ok((r, Obj::NULL));
                }
                _ => {}
            }
        }
        Ok((v, Obj::NULL))
    }

    /// A new property object.
    pub(crate) fn new_property(&mut self, fget: Obj, fset: Obj, fdel: Obj) -> PyResult<Obj> {
        let p = self.alloc(TypeId::PROPERTY, 0, 4)?;
        self.heap.set_obj(p, 1, fget);
        self.heap.set_obj(p, 2, fset);
        self.heap.set_obj(p, 3, fdel);
        Ok(p)
    }

    /// A new staticmethod/classmethod wrapper.
    pub(crate) fn new_wrapper(&mut self, t: TypeId, f: Obj) -> PyResult<Obj> {
        let w = self.alloc(t, 0, 2)?;
        self.heap.set_obj(w, 1, f);
        Ok(w)
    }
}
