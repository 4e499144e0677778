//! Native functions: the definition type, the method tables of every builtin type, the
//! `builtins` namespace and its functions, and the builtin types' constructors.
//!
//! Corresponds to MicroPython's `py/modbuiltins.c`, `py/objfun.c` (native function
//! objects) and the `make_new` slots of the `py/obj*.c` types.
//!
//! A native function is an immediate object naming (table, index) in [`TABLES`]; a
//! method table belongs to a builtin type ([`crate::obj::types::TypeInfo::methods`]).
//! Looking a builtin name up goes through a compile-time index by qstr id.

use crate::obj::instance::CLS_NAME;
use crate::obj::types;
use crate::obj::{Obj, TypeId};
use crate::qstr::{Qstr, DYN_BASE};
use crate::vm::{CallArgs, Fmt, Out, Vm};
use crate::{q, PyResult};
use upyc_bytecode::opcode::{BinaryOp, UnaryOp};

/// A native function: `(vm, positional args (self first for methods), kwargs dict or
/// NULL)`.
pub type NativeFn = fn(&mut Vm<'_>, &[Obj], Obj) -> PyResult<Obj>;

/// How a native found on a type binds when looked up on an instance.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum NativeKind {
    /// A method: the instance becomes the first argument.
    Method,
    /// A static method / plain module function.
    Static,
    /// A class method: the class becomes the first argument.
    Class,
    /// A computed attribute: called with the instance on lookup.
    Getter,
}

/// A named native function.
pub struct NativeDef {
    /// Its name.
    pub name: Qstr,
    /// The function.
    pub f: NativeFn,
    /// How it binds.
    pub kind: NativeKind,
}

/// A method.
pub const fn method(name: Qstr, f: NativeFn) -> NativeDef {
    NativeDef {
        name,
        f,
        kind: NativeKind::Method,
    }
}

/// A static method or module function.
pub const fn function(name: Qstr, f: NativeFn) -> NativeDef {
    NativeDef {
        name,
        f,
        kind: NativeKind::Static,
    }
}

/// A class method.
pub const fn method_class(name: Qstr, f: NativeFn) -> NativeDef {
    NativeDef {
        name,
        f,
        kind: NativeKind::Class,
    }
}

/// A computed attribute.
pub const fn getter(name: Qstr, f: NativeFn) -> NativeDef {
    NativeDef {
        name,
        f,
        kind: NativeKind::Getter,
    }
}

/// A function of a module registered at run time ([`crate::vm::ModuleDef`]).
pub struct ExtFun {
    /// Attribute name.
    pub name: &'static str,
    /// The function.
    pub f: NativeFn,
}

/// Native table ids.
pub mod tables {
    #![allow(missing_docs)]
    pub const BUILTINS: u8 = 0;
    pub const STR: u8 = 1;
    pub const LIST: u8 = 2;
    pub const DICT: u8 = 3;
    pub const TUPLE: u8 = 4;
    pub const SET: u8 = 5;
    pub const FROZENSET: u8 = 6;
    pub const BYTES: u8 = 7;
    pub const INT: u8 = 8;
    pub const FLOAT: u8 = 9;
    pub const EXC: u8 = 10;
    pub const GEN: u8 = 11;
    pub const OBJECT: u8 = 12;
    pub const TYPE: u8 = 13;
    pub const PROPERTY: u8 = 14;
    pub const RANGE: u8 = 15;
    pub const SLICE: u8 = 16;
    pub const STDIO: u8 = 17;
    pub const MISC: u8 = 18;
    pub const SYS: u8 = 19;
    pub const GC: u8 = 20;
    pub const TIME: u8 = 21;
    pub const MICROPYTHON: u8 = 22;
    pub const MATH: u8 = 23;
    pub const COMPLEX: u8 = 24;
    pub const BYTEARRAY: u8 = 25;
    pub const MEMVIEW: u8 = 26;
    pub const STRUCT: u8 = 27;
    pub const DIGITALINOUT: u8 = 28;
    pub const MACHINE_PIN: u8 = 29;
    /// Registered modules: `EXT_BASE + slot`.
    pub const EXT_BASE: u8 = 64;
    /// No table.
    pub const NONE: u8 = 255;
}

#[cfg(feature = "float")]
const MATH_TABLE: &[NativeDef] = &crate::modules::math::FUNS;
#[cfg(not(feature = "float"))]
const MATH_TABLE: &[NativeDef] = &[];

/// Every static native table, by id.
pub static TABLES: [&[NativeDef]; 30] = [
    &FUNS,
    crate::obj::strmethods::METHODS,
    &crate::obj::list::METHODS,
    &crate::obj::dict::METHODS,
    &crate::obj::tuple::METHODS,
    &crate::obj::set::METHODS,
    &crate::obj::set::FROZEN_METHODS,
    crate::obj::bytes::METHODS,
    &crate::obj::int::METHODS,
    FLOAT_TABLE,
    &crate::obj::exception::METHODS,
    &crate::obj::gen::METHODS,
    &OBJECT_METHODS,
    &[],
    &[],
    &crate::obj::range::METHODS,
    &crate::obj::range::SLICE_METHODS,
    &crate::modules::sys::STDIO_METHODS,
    &MISC,
    &crate::modules::sys::FUNS,
    &crate::modules::gc::FUNS,
    &crate::modules::time::FUNS,
    &crate::modules::micropython::FUNS,
    MATH_TABLE,
    COMPLEX_TABLE,
    crate::obj::bytes::BYTEARRAY_METHODS,
    &crate::obj::bytes::MEMVIEW_METHODS,
    STRUCT_TABLE,
    &crate::modules::board::DIO_METHODS,
    &crate::modules::board::PIN_METHODS,
];

#[cfg(feature = "struct")]
const STRUCT_TABLE: &[NativeDef] = &crate::modules::ustruct::FUNS;
#[cfg(not(feature = "struct"))]
const STRUCT_TABLE: &[NativeDef] = &[];

#[cfg(feature = "complex")]
const COMPLEX_TABLE: &[NativeDef] = &crate::obj::complex::METHODS;
#[cfg(not(feature = "complex"))]
const COMPLEX_TABLE: &[NativeDef] = &[];

#[cfg(feature = "float")]
const FLOAT_TABLE: &[NativeDef] = &crate::obj::float::METHODS;
#[cfg(not(feature = "float"))]
const FLOAT_TABLE: &[NativeDef] = &[];

/// The function and binding of a native function object.
pub fn native(vm: &Vm, table: u8, idx: u16) -> Option<(NativeFn, NativeKind)> {
    if table >= tables::EXT_BASE {
        let m = (*vm.ext_modules.get((table - tables::EXT_BASE) as usize)?)?;
        let f = m.funs.get(idx as usize)?;
        return Some((f.f, NativeKind::Static));
    }
    let d = TABLES.get(table as usize)?.get(idx as usize)?;
    Some((d.f, d.kind))
}

/// How a native function object binds (Static for everything else).
pub fn kind_of(vm: &Vm, o: Obj) -> NativeKind {
    match o.as_native_fun() {
        Some((t, i)) => native(vm, t, i).map_or(NativeKind::Static, |d| d.1),
        None => NativeKind::Method,
    }
}

/// The name of a native function object.
pub fn native_name(vm: &Vm, o: Obj) -> Qstr {
    if let Some((t, i)) = o.as_native_fun() {
        if t >= tables::EXT_BASE {
            if let Some(Some(m)) = vm.ext_modules.get((t - tables::EXT_BASE) as usize) {
                if let Some(f) = m.funs.get(i as usize) {
                    return vm.find_qstr(f.name.as_bytes()).unwrap_or(Qstr::NULL);
                }
            }
            return Qstr::NULL;
        }
        if let Some(d) = TABLES.get(t as usize).and_then(|tb| tb.get(i as usize)) {
            return d.name;
        }
    }
    Qstr::NULL
}

/// Look `q` up in the method table of builtin type `t` only.
pub fn type_table_lookup(t: TypeId, q: Qstr) -> Option<(Obj, NativeKind)> {
    let table = types::info(t).methods;
    let tb = TABLES.get(table as usize)?;
    for (i, d) in tb.iter().enumerate() {
        if d.name == q {
            return Some((Obj::native_fun(table, i as u16), d.kind));
        }
    }
    None
}

/// Look `q` up on builtin type `t` and its bases.
pub fn type_lookup(mut t: TypeId, q: Qstr) -> Option<(Obj, NativeKind)> {
    for _ in 0..16 {
        if let Some(r) = type_table_lookup(t, q) {
            return Some(r);
        }
        let b = types::info(t).base;
        if b == t {
            return None;
        }
        t = b;
    }
    None
}

impl Vm<'_> {
    /// [`type_lookup`] through [`Vm::type_cache`].
    #[inline]
    pub(crate) fn type_lookup_cached(&mut self, t: TypeId, q: Qstr) -> Option<(Obj, NativeKind)> {
        if crate::vm::TYPE_CACHE == 0 {
            return type_lookup(t, q);
        }
        let key = (t.0 as u32) << 16 | q.0 as u32;
        let slot = (q.0 as usize).wrapping_add(7 * t.0 as usize) % crate::vm::TYPE_CACHE;
        if let Some(&(k, r)) = self.type_cache.get(slot) {
            if k == key {
                return r;
            }
        }
        let r = type_lookup(t, q);
        if let Some(e) = self.type_cache.get_mut(slot) {
            *e = (key, r);
        }
        r
    }
}

// ---------------------------------------------------------------- the builtins namespace

const N_FUNS: usize = 39;

const FUNS_C: [NativeDef; N_FUNS] = [
    function(q!("__import__"), b_import),
    function(q!("abs"), b_abs),
    function(q!("all"), b_all),
    function(q!("any"), b_any),
    function(q!("bin"), b_bin),
    function(q!("callable"), b_callable),
    function(q!("chr"), b_chr),
    function(q!("delattr"), b_delattr),
    function(q!("dir"), b_dir),
    function(q!("divmod"), b_divmod),
    function(q!("eval"), b_eval),
    function(q!("exec"), b_exec),
    function(q!("format"), b_format),
    function(q!("getattr"), b_getattr),
    function(q!("globals"), b_globals),
    function(q!("hasattr"), b_hasattr),
    function(q!("hash"), b_hash),
    function(q!("hex"), b_hex),
    function(q!("id"), b_id),
    function(q!("input"), b_input),
    function(q!("isinstance"), b_isinstance),
    function(q!("issubclass"), b_issubclass),
    function(q!("iter"), b_iter),
    function(q!("len"), b_len),
    function(q!("locals"), b_globals),
    function(q!("max"), b_max),
    function(q!("min"), b_min),
    function(q!("next"), b_next),
    function(q!("oct"), b_oct),
    function(q!("ord"), b_ord),
    function(q!("pow"), b_pow),
    function(q!("print"), b_print),
    function(q!("repr"), b_repr),
    function(q!("round"), b_round),
    function(q!("setattr"), b_setattr),
    function(q!("sorted"), b_sorted),
    function(q!("sum"), b_sum),
    function(q!("vars"), b_vars),
    function(q!("open"), b_open),
];

/// The builtin functions.
pub static FUNS: [NativeDef; N_FUNS] = FUNS_C;

const BUILTIN_TYPES: [TypeId; 60] = {
    use TypeId as T;
    [
        T::OBJECT,
        T::BOOL,
        T::INT,
        T::FLOAT,
        T::STR,
        T::BYTES,
        T::BYTEARRAY,
        T::TUPLE,
        T::LIST,
        T::DICT,
        T::SET,
        T::FROZENSET,
        T::RANGE,
        T::SLICE,
        T::TYPE,
        T::PROPERTY,
        T::STATICMETHOD,
        T::CLASSMETHOD,
        T::SUPER,
        T::ENUMERATE,
        T::ZIP,
        T::MAP,
        T::FILTER,
        T::REVERSED,
        T::BASE_EXCEPTION,
        T::SYSTEM_EXIT,
        T::KEYBOARD_INTERRUPT,
        T::GENERATOR_EXIT,
        T::EXCEPTION,
        T::STOP_ITERATION,
        T::STOP_ASYNC_ITERATION,
        T::ARITHMETIC_ERROR,
        T::OVERFLOW_ERROR,
        T::ZERO_DIVISION_ERROR,
        T::ASSERTION_ERROR,
        T::ATTRIBUTE_ERROR,
        T::EOF_ERROR,
        T::IMPORT_ERROR,
        T::MODULE_NOT_FOUND_ERROR,
        T::LOOKUP_ERROR,
        T::INDEX_ERROR,
        T::KEY_ERROR,
        T::MEMORY_ERROR,
        T::NAME_ERROR,
        T::UNBOUND_LOCAL_ERROR,
        T::OS_ERROR,
        T::RUNTIME_ERROR,
        T::RECURSION_ERROR,
        T::NOT_IMPLEMENTED_ERROR,
        T::SYNTAX_ERROR,
        T::INDENTATION_ERROR,
        T::TYPE_ERROR,
        T::VALUE_ERROR,
        T::UNICODE_ERROR,
        T::COMPLEX,
        T::MEMVIEW,
        T::OBJECT,
        T::OBJECT,
        T::OBJECT,
        T::OBJECT,
    ]
};

/// Index from qstr id to builtin entry: < N_FUNS a function, then types, then constants.
static INDEX: [u8; DYN_BASE as usize] = build_index();

const fn build_index() -> [u8; DYN_BASE as usize] {
    let mut idx = [0u8; DYN_BASE as usize];
    let mut i = 0;
    while i < N_FUNS {
        idx[FUNS_C[i].name.0 as usize] = (i + 1) as u8;
        i += 1;
    }
    let mut j = 0;
    while j < BUILTIN_TYPES.len() {
        let t = BUILTIN_TYPES[j];
        if t.0 != TypeId::OBJECT.0 || j == 0 {
            let name = types::TYPES[t.0 as usize].name;
            if idx[name.0 as usize] == 0 {
                idx[name.0 as usize] = (N_FUNS + j + 1) as u8;
            }
        }
        j += 1;
    }
    idx[q!("NotImplemented").0 as usize] = 250;
    idx[q!("Ellipsis").0 as usize] = 251;
    idx[q!("__build_class__").0 as usize] = 252;
    idx
}

/// The builtin types exposed by name.
pub fn builtin_type_names() -> impl Iterator<Item = TypeId> {
    BUILTIN_TYPES
        .iter()
        .copied()
        .enumerate()
        .filter(|&(i, t)| t != TypeId::OBJECT || i == 0)
        .map(|(_, t)| t)
}

/// Look up a name in the builtins namespace.
pub fn lookup(vm: &Vm, q: Qstr) -> Option<Obj> {
    let _ = vm;
    let e = *INDEX.get(q.0 as usize)? as usize;
    match e {
        0 => None,
        250 => Some(Obj::NOT_IMPLEMENTED),
        251 => Some(Obj::ELLIPSIS),
        252 => Some(build_class_obj()),
        e if e <= N_FUNS => Some(Obj::native_fun(tables::BUILTINS, (e - 1) as u16)),
        e => BUILTIN_TYPES.get(e - N_FUNS - 1).map(|&t| Obj::type_obj(t)),
    }
}

// ---------------------------------------------------------------- misc natives

const MISC: [NativeDef; 5] = [
    function(q!("__build_class__"), b_build_class),
    method(q!("getter"), prop_getter),
    method(q!("setter"), prop_setter),
    method(q!("deleter"), prop_deleter),
    function(q!("__init__"), noop),
];

/// `__build_class__`.
pub fn build_class_obj() -> Obj {
    Obj::native_fun(tables::MISC, 0)
}

/// The bound modifier (`getter`/`setter`/`deleter`) of a property, by slot 1..=3.
pub fn property_modifier(slot: usize) -> Obj {
    Obj::native_fun(tables::MISC, slot as u16)
}

/// A native that accepts anything and returns None (`object.__init__`).
pub fn noop_init_obj() -> Obj {
    Obj::native_fun(tables::MISC, 4)
}

fn noop(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::NONE)
}

fn prop_modify(vm: &mut Vm, args: &[Obj], slot: usize) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let p = args[0];
    let mut f = [
        vm.heap.get_obj(p, 1),
        vm.heap.get_obj(p, 2),
        vm.heap.get_obj(p, 3),
    ];
    f[slot - 1] = args[1];
    vm.new_property(f[0], f[1], f[2])
}

fn prop_getter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    prop_modify(vm, args, 1)
}

fn prop_setter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    prop_modify(vm, args, 2)
}

fn prop_deleter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    prop_modify(vm, args, 3)
}

fn b_build_class(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    if args.len() < 2 {
        return Err(vm.raise(TypeId::TYPE_ERROR, "__build_class__ needs 2 arguments"));
    }
    let body = args[0];
    let name = vm.intern_obj(args[1])?;
    let bases = vm.new_tuple(&args[2..])?;
    vm.root(bases)?;
    let locals = vm.dict_new(0)?;
    vm.root(locals)?;
    let meta = vm.kwarg(kw, q!("metaclass"))?;
    let cell = vm.call_with_locals(body, locals)?;
    vm.root(cell)?;
    let cls = match meta {
        Some(m) if m != Obj::type_obj(TypeId::TYPE) => {
            let n = Obj::qstr(name);
            vm.call(m, &[n, bases, locals], Obj::NULL)?
        }
        _ => vm.new_class(name, bases, locals)?,
    };
    if cell.is_heap() && vm.heap.tid(cell) == TypeId::CELL {
        vm.heap.set_obj(cell, 1, cls);
    }
    vm.root(cls)?;
    // __set_name__ on descriptors.
    let mut i = 0;
    while i < vm.dict_used(locals) {
        if let Some((k, v)) = vm.dict_entry(locals, i) {
            if vm.is_instance_obj(v) {
                if let Some(m) = vm.lookup_special(v, q!("__set_name__")) {
                    vm.call(m, &[v, cls, k], Obj::NULL)?;
                }
            }
        }
        i += 1;
    }
    Ok(cls)
}

impl<'h> Vm<'h> {
    /// Run a function (class body, module code) with `locals` as its name dict.
    pub(crate) fn call_with_locals(&mut self, f: Obj, locals: Obj) -> PyResult<Obj> {
        if !(f.is_heap() && self.heap.tid(f) == TypeId::FUNCTION) {
            return Err(self.raise(TypeId::TYPE_ERROR, "expected a function"));
        }
        let frame = self.new_frame(f, &CallArgs::slice(&[]))?;
        self.heap.set_obj(frame, crate::vm::F_LOCALS, locals);
        self.push_frame(frame, crate::vm::FrameMode::Native, Obj::NULL)?;
        self.execute()
    }

    /// The locals dict of the innermost frame (its globals in functions).
    pub(crate) fn current_locals(&self) -> Obj {
        let fr = self.frame;
        if !fr.is_null() {
            let l = self.heap.get_obj(fr, crate::vm::F_LOCALS);
            if !l.is_null() {
                return l;
            }
        }
        self.current_globals()
    }

    /// The globals dict of the innermost frame.
    pub(crate) fn current_globals(&self) -> Obj {
        let fr = self.frame;
        if fr.is_null() {
            return Obj::NULL;
        }
        let f = self.heap.get_obj(fr, crate::vm::F_FUN);
        let ctx = self.heap.get_obj(f, crate::obj::fun::F_CTX);
        self.heap.get_obj(ctx, crate::obj::fun::CTX_GLOBALS)
    }

    /// Call the constructor of builtin type `t`.
    pub(crate) fn call_native_type(&mut self, t: TypeId, a: &CallArgs) -> PyResult<Obj> {
        if t.is_exception() {
            let n = a.n_args();
            let tup = self.alloc_tuple(n)?;
            for i in 0..n {
                let x = a.pos(self, i);
                self.heap.set_obj(tup, crate::obj::tuple::T_ITEMS + i, x);
            }
            return crate::obj::exception::new_with_tuple(self, Obj::type_obj(t), tup);
        }
        let f: NativeFn = match t {
            TypeId::OBJECT => make_object,
            TypeId::BOOL => make_bool,
            TypeId::INT => make_int,
            #[cfg(feature = "float")]
            TypeId::FLOAT => make_float,
            TypeId::STR => make_str,
            TypeId::BYTES => crate::obj::bytes::make_bytes,
            TypeId::BYTEARRAY => crate::obj::bytes::make_bytearray,
            TypeId::MEMVIEW => crate::obj::bytes::make_memoryview,
            TypeId::TUPLE => make_tuple,
            TypeId::LIST => make_list,
            TypeId::DICT => make_dict,
            TypeId::SET => crate::obj::set::make_set,
            TypeId::FROZENSET => crate::obj::set::make_frozenset,
            TypeId::RANGE => crate::obj::range::make_range,
            TypeId::SLICE => crate::obj::range::make_slice,
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => crate::obj::complex::make_complex,
            TypeId::TYPE => make_type,
            TypeId::PROPERTY => make_property,
            TypeId::STATICMETHOD => make_staticmethod,
            TypeId::CLASSMETHOD => make_classmethod,
            TypeId::SUPER => make_super,
            TypeId::ENUMERATE => crate::obj::iter::make_enumerate,
            TypeId::ZIP => crate::obj::iter::make_zip,
            TypeId::MAP => crate::obj::iter::make_map,
            TypeId::FILTER => crate::obj::iter::make_filter,
            TypeId::REVERSED => crate::obj::iter::make_reversed,
            TypeId::DIGITALINOUT => crate::modules::board::make_dio,
            TypeId::MACHINE_PIN => crate::modules::board::make_pin,
            _ => {
                let n = types::info(t).name;
                return Err(self.raise_fmt(
                    TypeId::TYPE_ERROR,
                    &[Fmt::S("can't create '"), Fmt::Q(n), Fmt::S("' instances")],
                ));
            }
        };
        self.call_native_fn(f, a, NativeKind::Static)
    }

    /// `str(o)` as a str object.
    pub fn obj_str(&mut self, o: Obj) -> PyResult<Obj> {
        if self.is_str(o) {
            return Ok(o);
        }
        self.obj_to_str(o, false)
    }

    /// `repr(o)` as a str object.
    pub fn obj_repr(&mut self, o: Obj) -> PyResult<Obj> {
        self.obj_to_str(o, true)
    }

    fn obj_to_str(&mut self, o: Obj, repr: bool) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = (|| {
            self.root(o)?;
            let sb = self.sb_new(16)?;
            self.print_obj(Out::Sb(sb), o, repr)?;
            self.sb_str(sb)
        })();
        self.unroot_to(mark);
        r
    }
}

// ---------------------------------------------------------------- constructors

fn make_object(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 0)?;
    let d = vm.dict_new(0)?;
    vm.root(d)?;
    let o = vm.alloc(TypeId::INSTANCE, 0, 4)?;
    vm.heap.set_obj(o, 1, Obj::type_obj(TypeId::OBJECT));
    vm.heap.set_obj(o, 2, d);
    Ok(o)
}

fn make_bool(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        Some(&x) => vm.is_true(x).map(Obj::bool),
        None => Ok(Obj::FALSE),
    }
}

fn make_int(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 2)?;
    let base = match args.get(1) {
        Some(&b) => Some(vm.to_isize(b)?),
        None => match vm.kwarg(kw, q!("base"))? {
            Some(b) => Some(vm.to_isize(b)?),
            None => None,
        },
    };
    let x = match args.first() {
        Some(&x) => x,
        None => return Ok(Obj::small_unchecked(0)),
    };
    if let Some(sr) = vm.buffer_ref(x) {
        let base = base.unwrap_or(10);
        if base != 0 && !(2..=36).contains(&base) {
            return Err(vm.raise(TypeId::VALUE_ERROR, "int() arg 2 must be >= 2 and <= 36"));
        }
        return crate::print::parse_int(vm, sr, base as u32, x);
    }
    if base.is_some() {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "can't convert non-string with explicit base",
        ));
    }
    if vm.is_int(x) {
        return vm
            .int_unary_op(UnaryOp::IntMaybe, x)
            .map(|r| r.unwrap_or(x));
    }
    #[cfg(feature = "float")]
    if vm.is_float(x) {
        let v = vm.float_value(x);
        return vm.float_to_int(v);
    }
    for name in [q!("__int__"), q!("__index__"), q!("__trunc__")] {
        if let Some(m) = vm.lookup_special(x, name) {
            return vm.call(m, &[x], Obj::NULL);
        }
    }
    let sub = vm.native_base(x, TypeId::INT);
    if sub != x {
        return Ok(sub);
    }
    Err(vm.raise_fmt(
        TypeId::TYPE_ERROR,
        &[Fmt::S("can't convert "), Fmt::T(x), Fmt::S(" to int")],
    ))
}

#[cfg(feature = "float")]
fn make_float(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    let x = match args.first() {
        Some(&x) => x,
        None => return vm.new_float(0.0),
    };
    if vm.is_float(x) {
        return Ok(x);
    }
    if let Some(sr) = vm.buffer_ref(x) {
        let s = vm.sbytes(sr);
        return match crate::print::parse_float(s) {
            Some(v) => vm.new_float(v),
            None => {
                let r = vm.obj_repr(x)?;
                Err(vm.raise_fmt(
                    TypeId::VALUE_ERROR,
                    &[Fmt::S("could not convert string to float: "), Fmt::O(r)],
                ))
            }
        };
    }
    let v = vm.to_f64(x)?;
    vm.new_float(v)
}

fn make_str(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 3)?;
    let x = match args.first() {
        Some(&x) => x,
        None => return Ok(Obj::qstr(q!(""))),
    };
    let enc = args.get(1).copied().or(vm.kwarg(kw, q!("encoding"))?);
    if enc.is_some() && (vm.is_bytes(x) || vm.tid_of(x) == TypeId::BYTEARRAY) {
        let r = vm
            .buffer_ref(x)
            .unwrap_or(crate::obj::str::SRef::Static(b""));
        if core::str::from_utf8(vm.sbytes(r)).is_err() {
            return Err(vm.raise(TypeId::UNICODE_ERROR, "invalid utf-8"));
        }
        let len = r.len();
        return vm.new_str_from_ref(TypeId::STR, r, 0, len);
    }
    vm.obj_str(x)
}

fn make_tuple(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        None => vm.new_tuple(&[]),
        Some(&x) if vm.is_tuple(x) => Ok(x),
        Some(&x) => {
            let l = vm.list_from_iter(x)?;
            vm.root(l)?;
            let it = vm.items(l).unwrap_or(crate::obj::tuple::Items {
                base: Obj::NULL,
                first: 0,
                len: 0,
            });
            vm.tuple_from_items(it, 0, it.len)
        }
    }
}

fn make_list(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        None => vm.new_list(&[]),
        Some(&x) => vm.list_from_iter(x),
    }
}

fn make_dict(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    let d = vm.dict_new(0)?;
    vm.root(d)?;
    if let Some(&x) = args.first() {
        vm.dict_update(d, x)?;
    }
    if !kw.is_null() {
        vm.dict_update(d, kw)?;
    }
    Ok(d)
}

fn make_type(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    match args.len() {
        1 => Ok(vm.type_of(args[0])),
        3 => {
            let name = vm.intern_obj(args[0])?;
            if !vm.is_tuple(args[1]) || !vm.is_dict(args[2]) {
                return Err(vm.raise(TypeId::TYPE_ERROR, "type() argument types"));
            }
            let d = vm.dict_copy(args[2])?;
            vm.root(d)?;
            vm.new_class(name, args[1], d)
        }
        _ => Err(vm.raise(TypeId::TYPE_ERROR, "type takes 1 or 3 arguments")),
    }
}

fn make_property(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 4)?;
    let mut f = [Obj::NONE; 3];
    for (i, slot) in f.iter_mut().enumerate() {
        if let Some(&x) = args.get(i) {
            *slot = x;
        }
    }
    if let Some(x) = vm.kwarg(kw, q!("fget"))? {
        f[0] = x;
    }
    if let Some(x) = vm.kwarg(kw, q!("fset"))? {
        f[1] = x;
    }
    if let Some(x) = vm.kwarg(kw, q!("fdel"))? {
        f[2] = x;
    }
    vm.new_property(f[0], f[1], f[2])
}

fn make_staticmethod(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.new_wrapper(TypeId::STATICMETHOD, args[0])
}

fn make_classmethod(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.new_wrapper(TypeId::CLASSMETHOD, args[0])
}

fn make_super(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.len() != 2 {
        return Err(vm.raise(TypeId::TYPE_ERROR, "super() can't find self"));
    }
    let s = vm.alloc(TypeId::SUPER, 0, 3)?;
    vm.heap.set_obj(s, 1, args[0]);
    vm.heap.set_obj(s, 2, args[1]);
    Ok(s)
}

// ---------------------------------------------------------------- builtin functions

fn b_import(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 5)?;
    let name = vm.intern_obj(args[0])?;
    let fromlist = args.get(3).copied().unwrap_or(Obj::NONE);
    let level = args.get(4).copied().unwrap_or(Obj::small_unchecked(0));
    let g = vm.current_globals();
    vm.import_name(name, fromlist, level, g)
}

fn b_abs(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.unary_op(UnaryOp::Abs, args[0])
}

fn all_any(vm: &mut Vm, x: Obj, want: bool) -> PyResult<Obj> {
    let it = vm.get_iter(x)?;
    vm.root(it)?;
    loop {
        let v = vm.iter_next(it)?;
        if v == Obj::STOP {
            return Ok(Obj::bool(!want));
        }
        if vm.is_true(v)? == want {
            return Ok(Obj::bool(want));
        }
    }
}

fn b_all(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    all_any(vm, args[0], false)
}

fn b_any(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    all_any(vm, args[0], true)
}

fn int_base_str(vm: &mut Vm, x: Obj, base: u32, prefix: &str) -> PyResult<Obj> {
    let x = if vm.is_int(x) {
        x
    } else {
        let v = vm.to_isize(x)?;
        vm.new_int(v as i128)?
    };
    vm.root(x)?;
    let sb = vm.sb_new(16)?;
    crate::print::print_int_base(vm, Out::Sb(sb), x, base, prefix)?;
    vm.sb_str(sb)
}

fn b_bin(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    int_base_str(vm, args[0], 2, "0b")
}

fn b_oct(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    int_base_str(vm, args[0], 8, "0o")
}

fn b_hex(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    int_base_str(vm, args[0], 16, "0x")
}

fn b_callable(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let o = args[0];
    let r = o.as_native_fun().is_some()
        || o.as_builtin_type().is_some()
        || (o.is_heap()
            && match vm.heap.tid(o) {
                TypeId::FUNCTION | TypeId::BOUND_METH | TypeId::TYPE => true,
                TypeId::INSTANCE | TypeId::EXC => vm.lookup_special(o, q!("__call__")).is_some(),
                _ => false,
            });
    Ok(Obj::bool(r))
}

fn b_chr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let c = vm.to_isize(args[0])?;
    let ch = match u32::try_from(c).ok().and_then(char::from_u32) {
        Some(ch) => ch,
        None => return Err(vm.raise(TypeId::VALUE_ERROR, "chr() arg not in range(0x110000)")),
    };
    if ch.is_ascii() {
        return vm.char_str(ch as u8);
    }
    let mut buf = [0u8; 4];
    let s = ch.encode_utf8(&mut buf);
    vm.new_str(s.as_bytes())
}

fn b_delattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let q = vm.intern_obj(args[1])?;
    vm.store_attr(args[0], q, Obj::NULL)?;
    Ok(Obj::NONE)
}

fn b_dir(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    let l = vm.new_list(&[])?;
    vm.root(l)?;
    let o = match args.first() {
        Some(&o) => o,
        None => {
            let g = vm.current_globals();
            add_keys(vm, l, g)?;
            return Ok(l);
        }
    };
    let tid = vm.tid_of(o);
    if matches!(tid, TypeId::INSTANCE | TypeId::EXC) {
        let d = vm.heap.get_obj(o, 2);
        if !d.is_null() {
            add_keys(vm, l, d)?;
        }
    }
    if tid == TypeId::MODULE {
        let d = vm.module_dict(o)?;
        add_keys(vm, l, d)?;
        for def in crate::modules::table_names(vm, o) {
            if vm.dict_get_q(d, def.name).is_none() {
                vm.list_append(l, Obj::qstr(def.name))?;
            }
        }
        return Ok(l);
    }
    let cls = if vm.is_user_class(o) || o.as_builtin_type().is_some() {
        o
    } else {
        vm.type_of(o)
    };
    if vm.is_user_class(cls) {
        let mro = vm.heap.get_obj(cls, crate::obj::instance::CLS_MRO);
        for i in 0..vm.tuple_len(mro) {
            let c = vm.tuple_get(mro, i);
            if vm.is_user_class(c) {
                let d = vm.heap.get_obj(c, crate::obj::instance::CLS_DICT);
                add_keys(vm, l, d)?;
            } else if let Some(t) = c.as_builtin_type() {
                add_table(vm, l, t)?;
            }
        }
    } else if let Some(mut t) = cls.as_builtin_type() {
        for _ in 0..16 {
            add_table(vm, l, t)?;
            let b = types::info(t).base;
            if b == t {
                break;
            }
            t = b;
        }
    }
    vm.list_sort(l, Obj::NONE, false)?;
    Ok(l)
}

fn add_keys(vm: &mut Vm, l: Obj, d: Obj) -> PyResult<()> {
    let mut i = 0;
    while i < vm.dict_used(d) {
        if let Some((k, _)) = vm.dict_entry(d, i) {
            if vm.binary_op(BinaryOp::In, k, l)? == Obj::FALSE {
                vm.list_append(l, k)?;
            }
        }
        i += 1;
    }
    Ok(())
}

fn add_table(vm: &mut Vm, l: Obj, t: TypeId) -> PyResult<()> {
    let table = types::info(t).methods;
    if let Some(tb) = TABLES.get(table as usize) {
        for d in tb.iter() {
            let k = Obj::qstr(d.name);
            if vm.binary_op(BinaryOp::In, k, l)? == Obj::FALSE {
                vm.list_append(l, k)?;
            }
        }
    }
    Ok(())
}

fn b_divmod(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    vm.binary_op(BinaryOp::Divmod, args[0], args[1])
}

fn namespaces(vm: &mut Vm, args: &[Obj]) -> (Obj, Obj) {
    let g = match args.get(1) {
        Some(&g) if g != Obj::NONE => g,
        _ => vm.current_globals(),
    };
    let l = match args.get(2) {
        Some(&l) if l != Obj::NONE => l,
        _ => {
            if args.get(1).is_some_and(|&g| g != Obj::NONE) {
                g
            } else {
                vm.current_locals()
            }
        }
    };
    (g, l)
}

fn b_eval(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let (g, l) = namespaces(vm, args);
    // Compile `__upyc_eval__ = (<expr>)` and fetch the value from the locals.
    let sb = vm.sb_new(32)?;
    vm.sb_push(sb, b"__upyc_eval__ = (")?;
    vm.out_str(Out::Sb(sb), args[0])?;
    vm.sb_push(sb, b"\n)\n")?;
    let src = vm.sb_str(sb)?;
    vm.exec_source(src, g, l)?;
    let key = vm.new_str(b"__upyc_eval__")?;
    vm.root(key)?;
    match vm.dict_del(l, key)? {
        Some(v) => Ok(v),
        None => Ok(Obj::NONE),
    }
}

fn b_exec(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let (g, l) = namespaces(vm, args);
    vm.exec_source(args[0], g, l)?;
    Ok(Obj::NONE)
}

fn b_format(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let mut spec = [0u8; 64];
    let n = match args.get(1) {
        Some(&s) => {
            let b = vm.str_bytes(s);
            let n = b.len().min(64);
            spec[..n].copy_from_slice(&b[..n]);
            n
        }
        None => 0,
    };
    let sb = vm.sb_new(16)?;
    crate::print::format_with_spec(vm, Out::Sb(sb), args[0], &spec[..n])?;
    vm.sb_str(sb)
}

fn b_open(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Err(vm.raise(TypeId::OS_ERROR, "no filesystem"))
}

fn b_getattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let q = match vm.str_ref(args[1]) {
        Some(_) => vm.intern_obj(args[1])?,
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "attribute name must be string")),
    };
    match args.get(2) {
        None => vm.load_attr(args[0], q),
        Some(&dflt) => match vm.load_attr(args[0], q) {
            Ok(v) => Ok(v),
            Err(e) => {
                if vm.exception_matches(vm.pending, TypeId::ATTRIBUTE_ERROR) {
                    vm.pending = Obj::NULL;
                    Ok(dflt)
                } else {
                    Err(e)
                }
            }
        },
    }
}

fn b_globals(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(vm.current_globals())
}

fn b_hasattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let q = vm.intern_obj(args[1])?;
    match vm.load_attr(args[0], q) {
        Ok(_) => Ok(Obj::TRUE),
        Err(e) => {
            if vm.exception_matches(vm.pending, TypeId::ATTRIBUTE_ERROR) {
                vm.pending = Obj::NULL;
                Ok(Obj::FALSE)
            } else {
                Err(e)
            }
        }
    }
}

fn b_hash(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let h = vm.hash(args[0])?;
    if vm.is_int(args[0]) {
        // hash(int) is the int itself for small values.
        if let Some(v) = vm.small_of(args[0]) {
            return Ok(Obj::small_unchecked(v));
        }
    }
    Ok(Obj::small_unchecked(h as isize))
}

fn b_id(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    Ok(Obj::small_unchecked((args[0].raw() >> 1) as isize))
}

fn b_input(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if let Some(&p) = args.first() {
        vm.print_obj(Out::Stdout, p, false)?;
    }
    Err(vm.raise_empty(TypeId::EOF_ERROR))
}

fn class_or_tuple(vm: &mut Vm, o: Obj, cls: Obj, sub: bool) -> PyResult<bool> {
    if vm.is_tuple(cls) {
        for i in 0..vm.tuple_len(cls) {
            let c = vm.tuple_get(cls, i);
            if class_or_tuple(vm, o, c, sub)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if cls.as_builtin_type().is_none() && !vm.is_user_class(cls) {
        let msg = if sub {
            "issubclass() arg 2 must be a class or a tuple of classes"
        } else {
            "isinstance() arg 2 must be a class or a tuple of classes"
        };
        return Err(vm.raise(TypeId::TYPE_ERROR, msg));
    }
    if sub {
        Ok(vm.is_subclass(o, cls))
    } else {
        Ok(vm.isinstance(o, cls))
    }
}

fn b_isinstance(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    class_or_tuple(vm, args[0], args[1], false).map(Obj::bool)
}

fn b_issubclass(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    if args[0].as_builtin_type().is_none() && !vm.is_user_class(args[0]) {
        return Err(vm.raise(TypeId::TYPE_ERROR, "issubclass() arg 1 must be a class"));
    }
    class_or_tuple(vm, args[0], args[1], true).map(Obj::bool)
}

fn b_iter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    if args.len() == 2 {
        return crate::obj::iter::new_call_iter(vm, args[0], args[1]);
    }
    vm.get_iter(args[0])
}

fn b_len(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let n = vm.len(args[0])?;
    vm.new_int(n as i128)
}

fn min_max(vm: &mut Vm, args: &[Obj], kw: Obj, op: BinaryOp) -> PyResult<Obj> {
    let key = vm.kwarg(kw, q!("key"))?.filter(|&k| k != Obj::NONE);
    let dflt = vm.kwarg(kw, q!("default"))?;
    if args.is_empty() {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "function missing 1 required positional arguments",
        ));
    }
    let mut best = Obj::NULL;
    let mut best_key = Obj::NULL;
    let slot_b = vm.root(Obj::NULL)?;
    let slot_k = vm.root(Obj::NULL)?;
    let consider = |vm: &mut Vm, item: Obj, best: &mut Obj, best_key: &mut Obj| -> PyResult<()> {
        vm.root(item)?;
        let k = match key {
            Some(f) => vm.call(f, &[item], Obj::NULL)?,
            None => item,
        };
        if best.is_null() || vm.binary_op(op, k, *best_key)? == Obj::TRUE {
            *best = item;
            *best_key = k;
            vm.set_rooted(slot_b, item);
            vm.set_rooted(slot_k, k);
        }
        Ok(())
    };
    if args.len() == 1 {
        let it = vm.get_iter(args[0])?;
        vm.root(it)?;
        loop {
            let mark = vm.roots_mark();
            let x = vm.iter_next(it)?;
            if x == Obj::STOP {
                break;
            }
            consider(vm, x, &mut best, &mut best_key)?;
            vm.unroot_to(mark);
        }
        if best.is_null() {
            return match dflt {
                Some(d) => Ok(d),
                None => Err(vm.raise(TypeId::VALUE_ERROR, "arg is an empty sequence")),
            };
        }
        return Ok(best);
    }
    for &x in args {
        let mark = vm.roots_mark();
        consider(vm, x, &mut best, &mut best_key)?;
        vm.unroot_to(mark);
    }
    Ok(best)
}

fn b_max(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    min_max(vm, args, kw, BinaryOp::More)
}

fn b_min(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    min_max(vm, args, kw, BinaryOp::Less)
}

fn b_next(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    if args[0].is_heap() && vm.heap.tid(args[0]) == TypeId::GENERATOR {
        let (yielded, v) = vm.gen_resume(args[0], Obj::NONE, Obj::NULL)?;
        if yielded {
            return Ok(v);
        }
        return match args.get(1) {
            Some(&d) => Ok(d),
            None => {
                let a: &[Obj] = if v == Obj::NONE {
                    &[]
                } else {
                    core::slice::from_ref(&v)
                };
                let e = crate::obj::exception::new(vm, Obj::type_obj(TypeId::STOP_ITERATION), a)?;
                Err(vm.raise_obj(e))
            }
        };
    }
    let v = vm.iter_next_checked(args[0])?;
    if v == Obj::STOP {
        return match args.get(1) {
            Some(&d) => Ok(d),
            None => Err(vm.raise_empty(TypeId::STOP_ITERATION)),
        };
    }
    Ok(v)
}

fn b_ord(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let x = args[0];
    let b = match vm.buffer_ref(x) {
        Some(r) => vm.sbytes(r),
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "ord expects a character")),
    };
    if !vm.is_str(x) {
        if b.len() == 1 {
            return Ok(Obj::small_unchecked(b[0] as isize));
        }
    } else if let Ok(s) = core::str::from_utf8(b) {
        let mut chars = s.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Obj::small_unchecked(c as isize));
        }
    }
    let n = vm.len(x)?;
    Err(vm.raise_fmt(
        TypeId::TYPE_ERROR,
        &[
            Fmt::S("ord() expected a character, but string of length "),
            Fmt::I(n as isize),
            Fmt::S(" found"),
        ],
    ))
}

fn b_pow(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    if args.len() == 2 || args[2] == Obj::NONE {
        return vm.binary_op(BinaryOp::Power, args[0], args[1]);
    }
    // Modular exponentiation on ints.
    if !(vm.is_int(args[0]) && vm.is_int(args[1]) && vm.is_int(args[2])) {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "pow() with 3 arguments requires integers",
        ));
    }
    let m = args[2];
    if m == Obj::small_unchecked(0) {
        return Err(vm.raise(TypeId::VALUE_ERROR, "pow() 3rd argument cannot be 0"));
    }
    let mut base = vm.binary_op(BinaryOp::Modulo, args[0], m)?;
    vm.root(base)?;
    let mut e = args[1];
    if vm.binary_op(BinaryOp::Less, e, Obj::small_unchecked(0))? == Obj::TRUE {
        return Err(vm.raise(TypeId::VALUE_ERROR, "negative power with 3 arguments"));
    }
    let mut result = Obj::small_unchecked(1);
    let one = Obj::small_unchecked(1);
    let slot_r = vm.root(result)?;
    let slot_b = vm.root(base)?;
    let slot_e = vm.root(e)?;
    loop {
        if !vm.is_true(e)? {
            break;
        }
        if vm.binary_op(BinaryOp::And, e, one)? == one {
            let t = vm.binary_op(BinaryOp::Multiply, result, base)?;
            vm.set_rooted(slot_r, t);
            result = vm.binary_op(BinaryOp::Modulo, t, m)?;
            vm.set_rooted(slot_r, result);
        }
        e = vm.binary_op(BinaryOp::Rshift, e, one)?;
        vm.set_rooted(slot_e, e);
        let t = vm.binary_op(BinaryOp::Multiply, base, base)?;
        vm.set_rooted(slot_b, t);
        base = vm.binary_op(BinaryOp::Modulo, t, m)?;
        vm.set_rooted(slot_b, base);
    }
    vm.binary_op(BinaryOp::Modulo, result, m)
}

fn b_print(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    let sep = vm.kwarg(kw, q!("sep"))?.filter(|&s| s != Obj::NONE);
    let end = vm.kwarg(kw, q!("end"))?.filter(|&s| s != Obj::NONE);
    let file = vm.kwarg(kw, q!("file"))?.filter(|&s| s != Obj::NONE);
    let out = match file {
        None => Out::Stdout,
        Some(f) => match crate::modules::sys::stdio_out(vm, f) {
            Some(o) => o,
            None => {
                // Any object with write(): build the text, then call write once.
                let sb = vm.sb_new(32)?;
                print_args(vm, Out::Sb(sb), args, sep, end)?;
                let s = vm.sb_str(sb)?;
                vm.call_method(f, q!("write"), &[s])?;
                return Ok(Obj::NONE);
            }
        },
    };
    print_args(vm, out, args, sep, end)?;
    Ok(Obj::NONE)
}

fn print_args(
    vm: &mut Vm,
    out: Out,
    args: &[Obj],
    sep: Option<Obj>,
    end: Option<Obj>,
) -> PyResult<()> {
    for (i, &a) in args.iter().enumerate() {
        if i > 0 {
            match sep {
                Some(s) => vm.out_str(out, s)?,
                None => vm.out(out, b" ")?,
            }
        }
        vm.print_obj(out, a, false)?;
    }
    match end {
        Some(e) => vm.out_str(out, e),
        None => vm.out(out, b"\n"),
    }
}

fn b_repr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.obj_repr(args[0])
}

fn b_round(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let x = args[0];
    let nd = match args.get(1) {
        Some(&n) if n != Obj::NONE => Some(vm.to_isize(n)?),
        _ => None,
    };
    if vm.is_int(x) {
        let nd = match nd {
            None => {
                return vm
                    .int_unary_op(UnaryOp::IntMaybe, x)
                    .map(|r| r.unwrap_or(x))
            }
            Some(n) if n >= 0 => return Ok(x),
            Some(n) => n,
        };
        // Round to a negative number of digits: half to even.
        let p = vm.binary_op(
            BinaryOp::Power,
            Obj::small_unchecked(10),
            Obj::small_unchecked(-nd),
        )?;
        vm.root(p)?;
        let dm = vm.binary_op(BinaryOp::Divmod, x, p)?;
        vm.root(dm)?;
        let (q, r) = (vm.tuple_get(dm, 0), vm.tuple_get(dm, 1));
        let r2 = vm.binary_op(BinaryOp::Multiply, r, Obj::small_unchecked(2))?;
        vm.root(r2)?;
        let c = vm.binary_op(BinaryOp::Less, r2, p)?;
        let eq = vm.equal(r2, p)?;
        let odd =
            vm.binary_op(BinaryOp::And, q, Obj::small_unchecked(1))? == Obj::small_unchecked(1);
        let q = if c == Obj::TRUE || (eq && !odd) {
            q
        } else {
            vm.binary_op(BinaryOp::Add, q, Obj::small_unchecked(1))?
        };
        vm.root(q)?;
        return vm.binary_op(BinaryOp::Multiply, q, p);
    }
    #[cfg(feature = "float")]
    if vm.is_float(x) {
        let v = vm.float_value(x);
        return match nd {
            None => {
                let r = crate::print::round_half_even(v);
                vm.float_to_int(r)
            }
            Some(n) => {
                let r = crate::print::round_digits(v, n);
                vm.new_float(r)
            }
        };
    }
    if let Some(m) = vm.lookup_special(x, q!("__round__")) {
        let mut a = [x, Obj::NONE];
        let n = if args.len() == 2 {
            a[1] = args[1];
            2
        } else {
            1
        };
        return vm.call(m, &a[..n], Obj::NULL);
    }
    Err(vm.raise_fmt(
        TypeId::TYPE_ERROR,
        &[
            Fmt::S("type "),
            Fmt::T(x),
            Fmt::S(" doesn't define __round__ method"),
        ],
    ))
}

fn b_setattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 3, 3)?;
    let q = vm.intern_obj(args[1])?;
    vm.store_attr(args[0], q, args[2])?;
    Ok(Obj::NONE)
}

fn b_sorted(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    if args.len() != 1 {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "must use keyword argument for key function",
        ));
    }
    let l = vm.list_from_iter(args[0])?;
    vm.root(l)?;
    let key = vm.kwarg(kw, q!("key"))?.unwrap_or(Obj::NONE);
    let rev = match vm.kwarg(kw, q!("reverse"))? {
        Some(r) => vm.is_true(r)?,
        None => false,
    };
    vm.list_sort(l, key, rev)?;
    Ok(l)
}

fn b_sum(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let mut acc = args.get(1).copied().unwrap_or(Obj::small_unchecked(0));
    let it = vm.get_iter(args[0])?;
    vm.root(it)?;
    let slot = vm.root(acc)?;
    loop {
        let x = vm.iter_next(it)?;
        if x == Obj::STOP {
            return Ok(acc);
        }
        acc = vm.binary_op(BinaryOp::Add, acc, x)?;
        vm.set_rooted(slot, acc);
    }
}

fn b_vars(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        None => Ok(vm.current_globals()),
        Some(&o) => vm.load_attr(o, q!("__dict__")),
    }
}

// ---------------------------------------------------------------- object

fn obj_init(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::NONE)
}

fn obj_setattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 3, 3)?;
    let q = vm.intern_obj(args[1])?;
    vm.generic_setattr(args[0], q, args[2])?;
    Ok(Obj::NONE)
}

fn obj_delattr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let q = vm.intern_obj(args[1])?;
    vm.generic_setattr(args[0], q, Obj::NULL)?;
    Ok(Obj::NONE)
}

fn obj_getattribute(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let q = vm.intern_obj(args[1])?;
    vm.load_attr(args[0], q)
}

fn obj_eq(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.len() == 2 && args[0] == args[1] {
        Ok(Obj::TRUE)
    } else {
        Ok(Obj::NOT_IMPLEMENTED)
    }
}

fn obj_ne(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let e = vm.equal(args[0], args[1])?;
    Ok(Obj::bool(!e))
}

fn obj_hash(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    Ok(Obj::small_unchecked(
        ((args[0].raw() >> 3) & (usize::MAX >> 2)) as isize,
    ))
}

fn obj_repr(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let sb = vm.sb_new(32)?;
    crate::print::print_default_repr(vm, Out::Sb(sb), args[0])?;
    vm.sb_str(sb)
}

fn obj_str(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.obj_repr(args[0])
}

fn obj_new(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.is_empty() {
        return Err(vm.raise(TypeId::TYPE_ERROR, "object.__new__(): not enough arguments"));
    }
    let cls = args[0];
    if !vm.is_user_class(cls) {
        return make_object(vm, &[], Obj::NULL);
    }
    vm.make_instance(cls, &CallArgs::slice(&[]))
}

fn obj_dir(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    b_dir(vm, args, Obj::NULL)
}

/// `object` methods.
pub static OBJECT_METHODS: [NativeDef; 10] = [
    method(q!("__delattr__"), obj_delattr),
    method(q!("__dir__"), obj_dir),
    method(q!("__eq__"), obj_eq),
    method(q!("__getattribute__"), obj_getattribute),
    method(q!("__hash__"), obj_hash),
    method(q!("__init__"), obj_init),
    method(q!("__ne__"), obj_ne),
    function(q!("__new__"), obj_new),
    method(q!("__repr__"), obj_repr),
    method(q!("__setattr__"), obj_setattr),
];

/// Name of a class object (for repr).
pub fn class_name_obj(vm: &Vm, cls: Obj) -> Obj {
    if vm.is_user_class(cls) {
        vm.heap.get_obj(cls, CLS_NAME)
    } else {
        Obj::qstr(vm.class_name(cls))
    }
}

/// Silence an unused warning when `obj_str` isn't in a table.
#[allow(dead_code)]
const _OBJ_STR: NativeFn = obj_str;

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    struct NoOutput;

    impl crate::Host for NoOutput {
        fn write_stdout(&mut self, _: &[u8]) {}
        fn write_stderr(&mut self, _: &[u8]) {}
    }

    /// The builtin-type attribute cache gives what the table scan gives, for every type and
    /// every built-in name, in two orders (so entries are both hit and evicted).
    #[test]
    fn type_cache_agrees_with_the_scan() {
        let mut heap = std::vec![0u8; 64 * 1024];
        let mut host = NoOutput;
        let Ok(mut vm) = Vm::new(&mut heap, crate::Config::default(), &mut host) else {
            panic!("no VM")
        };
        let types = 0..TypeId::COUNT as u16;
        let mut found = 0;
        for round in 0..4 {
            for a in 0..if round % 2 == 0 {
                DYN_BASE
            } else {
                TypeId::COUNT as u16
            } {
                let inner = if round % 2 == 0 {
                    types.clone()
                } else {
                    1..DYN_BASE
                };
                for b in inner {
                    let (t, q) = if round % 2 == 0 { (b, a) } else { (a, b) };
                    let want = type_lookup(TypeId(t), Qstr(q));
                    found += want.is_some() as usize;
                    let got = vm.type_lookup_cached(TypeId(t), Qstr(q));
                    assert!(got == want, "type {t}, qstr {q}");
                }
            }
        }
        assert!(found > 100, "only {found} attributes found");
    }
}
