//! Operations on objects: types, truth, hashing, equality, operators, attributes,
//! subscripts, lengths and unpacking.
//!
//! Corresponds to MicroPython's `py/runtime.c` (`mp_binary_op`, `mp_unary_op`,
//! `mp_load_method`, `mp_store_attr`, `mp_unpack_*`), `py/obj.c` (`mp_obj_is_true`,
//! `mp_obj_hash`, `mp_obj_equal`, `mp_obj_len`, `mp_obj_subscr`) and the instance parts
//! of `py/objtype.c` (special-method dispatch).
//!
//! Where we differ: behaviour slots are a `match` on the type id instead of function
//! pointers in type structures.

use crate::builtins::{self, NativeKind};
use crate::obj::exception;
use crate::obj::instance::{
    CLS_BASES, CLS_DICT, CLS_MRO, CLS_NAME, INST_CLASS, INST_DICT, INST_SUB,
};
use crate::obj::types;
use crate::obj::{Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{Fmt, Vm};
use crate::{q, PyErr, PyResult};
use upyc_bytecode::opcode::{BinaryOp, UnaryOp};

const HASH_MASK: usize = usize::MAX >> 2;

impl<'h> Vm<'h> {
    // ------------------------------------------------------------ types

    /// The builtin type id that decides an object's behaviour (`INSTANCE`/`EXC` for
    /// instances of user classes).
    #[inline]
    pub fn tid_of(&self, o: Obj) -> TypeId {
        if o.is_small() {
            return TypeId::INT;
        }
        if o.is_qstr() {
            return TypeId::STR;
        }
        if o.is_heap() {
            return self.heap.tid(o);
        }
        match o {
            Obj::NONE => TypeId::NONE,
            Obj::TRUE | Obj::FALSE => TypeId::BOOL,
            Obj::ELLIPSIS => TypeId::ELLIPSIS_T,
            Obj::NOT_IMPLEMENTED => TypeId::NOTIMPL_T,
            _ if o.as_builtin_type().is_some() => TypeId::TYPE,
            _ if o.as_native_fun().is_some() => TypeId::NATIVE_FUN,
            _ if o.as_board_pin().is_some() => TypeId::BOARD_PIN,
            _ => match o.as_enum_value() {
                Some((t, _)) => t,
                None => TypeId::OBJECT,
            },
        }
    }

    /// `type(o)`: a builtin type object or a user class.
    pub fn type_of(&self, o: Obj) -> Obj {
        match self.tid_of(o) {
            TypeId::INSTANCE | TypeId::EXC => self.heap.get_obj(o, 1),
            TypeId::BIGINT => Obj::type_obj(TypeId::INT),
            t => Obj::type_obj(t),
        }
    }

    /// Name of `type(o)`.
    pub fn type_name(&self, o: Obj) -> Qstr {
        let t = self.type_of(o);
        self.class_name(t)
    }

    /// Name of a class or builtin type.
    pub fn class_name(&self, cls: Obj) -> Qstr {
        if let Some(t) = cls.as_builtin_type() {
            return types::info(t).name;
        }
        if self.is_user_class(cls) {
            return self.heap.get_obj(cls, CLS_NAME).qstr_value();
        }
        q!("object")
    }

    /// Whether class `t` is `base` or derives from it.
    pub fn is_subclass(&self, t: Obj, base: Obj) -> bool {
        if t == base || base == Obj::type_obj(TypeId::OBJECT) {
            return true;
        }
        if let Some(tt) = t.as_builtin_type() {
            return match base.as_builtin_type() {
                Some(bt) => types::builtin_is_subclass(tt, bt),
                None => false,
            };
        }
        if self.is_user_class(t) {
            let mro = self.heap.get_obj(t, CLS_MRO);
            for i in 0..self.tuple_len(mro) {
                if self.tuple_get(mro, i) == base {
                    return true;
                }
            }
        }
        false
    }

    /// `isinstance(o, cls)` for one class.
    pub fn isinstance(&self, o: Obj, cls: Obj) -> bool {
        let t = self.type_of(o);
        self.is_subclass(t, cls)
    }

    /// Whether exception `exc` is an instance of builtin exception type `t`.
    pub fn exception_matches(&self, exc: Obj, t: TypeId) -> bool {
        exception::is_exception(self, exc) && self.isinstance(exc, Obj::type_obj(t))
    }

    /// Whether `o` is an exception class (builtin or user).
    pub(crate) fn is_exception_class(&self, o: Obj) -> bool {
        (o.as_builtin_type().is_some() || self.is_user_class(o))
            && self.is_subclass(o, Obj::type_obj(TypeId::BASE_EXCEPTION))
    }

    /// The exception instance `raise o` raises.
    pub(crate) fn make_raise_obj(&mut self, o: Obj) -> PyResult<Obj> {
        if exception::is_exception(self, o) {
            return Ok(o);
        }
        if self.is_exception_class(o) {
            let e = self.call(o, &[], Obj::NULL)?;
            if exception::is_exception(self, e) {
                return Ok(e);
            }
        }
        Err(self.raise(
            TypeId::TYPE_ERROR,
            "exceptions must derive from BaseException",
        ))
    }

    // ------------------------------------------------------------ truth, hash, equality

    /// `bool(o)`.
    pub fn is_true(&mut self, o: Obj) -> PyResult<bool> {
        match o {
            Obj::NONE | Obj::FALSE => return Ok(false),
            Obj::TRUE => return Ok(true),
            _ => {}
        }
        if o.is_small() {
            return Ok(o.small_value() != 0);
        }
        if o.is_qstr() {
            return Ok(!self.str_bytes(o).is_empty());
        }
        if !o.is_heap() {
            return Ok(true);
        }
        match self.heap.tid(o) {
            TypeId::STR | TypeId::BYTES => Ok(self.heap.get(o, 2) != 0),
            TypeId::MEMVIEW => Ok(self.heap.get_int(o, 3) != 0),
            TypeId::LIST
            | TypeId::TUPLE
            | TypeId::DICT
            | TypeId::SET
            | TypeId::FROZENSET
            | TypeId::BYTEARRAY => Ok(self.heap.get_int(o, 1) != 0),
            #[cfg(feature = "float")]
            TypeId::FLOAT => Ok(self.float_value(o) != 0.0),
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => {
                let (x, y) = self.complex_value(o);
                Ok(x != 0.0 || y != 0.0)
            }
            TypeId::RANGE | TypeId::DICT_VIEW => Ok(self.len(o)? != 0),
            TypeId::INSTANCE => {
                if let Some(m) = self.lookup_special(o, q!("__bool__")) {
                    let r = self.call(m, &[o], Obj::NULL)?;
                    return self.is_true(r);
                }
                if let Some(m) = self.lookup_special(o, q!("__len__")) {
                    let r = self.call(m, &[o], Obj::NULL)?;
                    return self.is_true(r);
                }
                let sub = self.heap.get_obj(o, INST_SUB);
                if !sub.is_null() {
                    return self.is_true(sub);
                }
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    /// `hash(o)`.
    pub fn hash(&mut self, o: Obj) -> PyResult<usize> {
        if o.is_small() {
            return Ok(o.small_value() as usize & HASH_MASK);
        }
        if o.is_qstr() {
            return Ok(self.str_hash(o));
        }
        if !o.is_heap() {
            return Ok(match o {
                Obj::FALSE => 0,
                Obj::TRUE => 1,
                _ => (o.raw() >> 3) & HASH_MASK,
            });
        }
        match self.heap.tid(o) {
            TypeId::STR | TypeId::BYTES => Ok(self.str_hash_cached(o)),
            TypeId::TUPLE => self.tuple_hash(o),
            #[cfg(feature = "float")]
            TypeId::FLOAT => Ok(crate::obj::float::float_hash(self.float_value(o))),
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => {
                let r = self.complex_unary_op(UnaryOp::Hash, o)?;
                Ok(r.map_or(0, |r| r.small_value() as usize & HASH_MASK))
            }
            TypeId::BIGINT => {
                let r = self.int_unary_op(UnaryOp::Hash, o)?;
                Ok(r.map_or(0, |r| r.small_value() as usize & HASH_MASK))
            }
            TypeId::FROZENSET => {
                let mut h: usize = 0x2f1;
                let mut i = 0;
                while i < self.dict_used(o) {
                    if let Some((k, _)) = self.dict_entry(o, i) {
                        h ^= self.hash(k)?.wrapping_mul(0x9e37_79b9);
                    }
                    i += 1;
                }
                Ok(h & HASH_MASK)
            }
            TypeId::LIST | TypeId::DICT | TypeId::SET | TypeId::BYTEARRAY => {
                Err(crate::obj::dict::unhashable(self, o))
            }
            TypeId::BOUND_METH => {
                let f = self.heap.get_obj(o, 1);
                let s = self.heap.get_obj(o, 2);
                let hs = self.hash(s).unwrap_or((s.raw() >> 3) & HASH_MASK);
                self.pending = Obj::NULL;
                Ok(((f.raw() >> 3) ^ hs.wrapping_mul(31)) & HASH_MASK)
            }
            TypeId::INSTANCE | TypeId::EXC => {
                if let Some(m) = self.lookup_special(o, q!("__hash__")) {
                    if m == Obj::NONE {
                        return Err(crate::obj::dict::unhashable(self, o));
                    }
                    let r = self.call(m, &[o], Obj::NULL)?;
                    let v = self.to_isize(r)?;
                    return Ok(v as usize & HASH_MASK);
                }
                if self.lookup_special(o, q!("__eq__")).is_some() {
                    return Err(crate::obj::dict::unhashable(self, o));
                }
                if self.heap.tid(o) == TypeId::INSTANCE {
                    let sub = self.heap.get_obj(o, INST_SUB);
                    if !sub.is_null() {
                        return self.hash(sub);
                    }
                }
                Ok((o.raw() >> 3) & HASH_MASK)
            }
            _ => Ok((o.raw() >> 3) & HASH_MASK),
        }
    }

    /// `a == b`.
    pub fn equal(&mut self, a: Obj, b: Obj) -> PyResult<bool> {
        // Two small ints, two qstrs (interned: equal text is the same qstr).
        if (a.is_small() && b.is_small()) || (a.is_qstr() && b.is_qstr()) {
            return Ok(a == b);
        }
        // Comparing nested containers recurses on the Rust stack: bound it.
        if self.print_depth >= crate::print::MAX_PRINT_DEPTH * 2 {
            return Err(self.recursion_error());
        }
        self.print_depth += 1;
        let r = self.equal_inner(a, b);
        self.print_depth -= 1;
        r
    }

    fn equal_inner(&mut self, a: Obj, b: Obj) -> PyResult<bool> {
        if a == b {
            #[cfg(feature = "float")]
            if self.is_float(a) {
                let v = self.float_value(a);
                return Ok(!v.is_nan());
            }
            return Ok(true);
        }
        if a.is_small() && b.is_small() {
            return Ok(false);
        }
        let (sa, sb) = (self.is_str(a), self.is_str(b));
        if sa && sb {
            return Ok(self.str_eq(a, b));
        }
        if self.is_number(a) && self.is_number(b) {
            let r = self.binary_op_number(BinaryOp::Equal, a, b)?;
            return Ok(r == Obj::TRUE);
        }
        if a.is_heap()
            && b.is_heap()
            && self.heap.tid(a) == TypeId::BOUND_METH
            && self.heap.tid(b) == TypeId::BOUND_METH
        {
            return Ok(self.heap.get_obj(a, 1) == self.heap.get_obj(b, 1)
                && self.heap.get_obj(a, 2) == self.heap.get_obj(b, 2));
        }
        if let Some(r) = self.type_binary_op(BinaryOp::Equal, a, b)? {
            return self.is_true(r);
        }
        if let Some(r) = self.type_binary_op(BinaryOp::Equal, b, a)? {
            return self.is_true(r);
        }
        Ok(false)
    }

    fn is_number(&self, o: Obj) -> bool {
        if self.is_int(o) {
            return true;
        }
        #[cfg(feature = "complex")]
        if self.is_complex(o) {
            return true;
        }
        #[cfg(feature = "float")]
        if self.is_float(o) {
            return true;
        }
        false
    }

    fn binary_op_number(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Obj> {
        #[cfg(feature = "complex")]
        if self.is_complex(a) || self.is_complex(b) {
            let v = self.as_complex(a).unwrap_or((0.0, 0.0));
            return Ok(self.complex_binary_op(op, v, b)?.unwrap_or(Obj::FALSE));
        }
        #[cfg(feature = "float")]
        if self.is_float(a) {
            let x = self.float_value(a);
            return Ok(self.float_binary_op(op, x, b)?.unwrap_or(Obj::FALSE));
        }
        Ok(self.int_binary_op(op, a, b)?.unwrap_or(Obj::FALSE))
    }

    // ------------------------------------------------------------ operators

    /// `a op b`.
    pub fn binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Obj> {
        use BinaryOp as B;
        match op {
            B::Is => return Ok(Obj::bool(a == b)),
            B::IsNot => return Ok(Obj::bool(a != b)),
            B::Equal => return self.equal(a, b).map(Obj::bool),
            B::NotEqual => {
                if self.is_instance_obj(a) {
                    if let Some(m) = self.lookup_special(a, q!("__ne__")) {
                        let r = self.call(m, &[a, b], Obj::NULL)?;
                        if r != Obj::NOT_IMPLEMENTED {
                            return Ok(r);
                        }
                    }
                }
                return self.equal(a, b).map(|e| Obj::bool(!e));
            }
            B::ExceptionMatch => return self.exception_match(a, b).map(Obj::bool),
            B::NotIn => {
                let r = self.binary_op(B::In, a, b)?;
                return Ok(Obj::bool(r == Obj::FALSE));
            }
            _ => {}
        }
        if a.is_small() && b.is_small() {
            if let Some(r) = crate::obj::int::small_binary_op(op, a.small_value(), b.small_value())
            {
                return Ok(r);
            }
        }
        // Ordering two strs (characters, in pystone), without the type dispatch.
        if matches!(op, B::Less | B::More | B::LessEqual | B::MoreEqual)
            && self.is_str(a)
            && self.is_str(b)
        {
            return Ok(self.str_order(op, a, b));
        }
        let (mut op, mut lhs, mut rhs) = (op, a, b);
        if op == B::In {
            op = B::Contains;
            core::mem::swap(&mut lhs, &mut rhs);
        }
        loop {
            if let Some(r) = self.type_binary_op(op, lhs, rhs)? {
                if op == B::Contains {
                    let t = self.is_true(r)?;
                    return Ok(Obj::bool(t));
                }
                return Ok(r);
            }
            let n = op as u8;
            if (B::InplaceOr as u8..=B::InplacePower as u8).contains(&n) {
                op = crate::obj::int::normal_op(op);
                continue;
            }
            if (B::Or as u8..=B::Power as u8).contains(&n) {
                core::mem::swap(&mut lhs, &mut rhs);
                op = BinaryOp::from_u8(n - B::Or as u8 + B::ReverseOr as u8).unwrap_or(op);
                continue;
            }
            if n >= B::ReverseOr as u8 && n <= B::ReversePower as u8 {
                core::mem::swap(&mut lhs, &mut rhs);
                op = BinaryOp::from_u8(n - B::ReverseOr as u8 + B::Or as u8).unwrap_or(op);
            }
            break;
        }
        if op == B::Contains {
            // Walk the iterator.
            let mark = self.roots_mark();
            let r = (|| {
                let it = self.get_iter(lhs)?;
                self.root(it)?;
                loop {
                    let x = self.iter_next(it)?;
                    if x == Obj::STOP {
                        return Ok(Obj::FALSE);
                    }
                    if self.equal(x, rhs)? {
                        return Ok(Obj::TRUE);
                    }
                }
            })();
            self.unroot_to(mark);
            return r;
        }
        let (ta, tb) = (self.type_name(lhs), self.type_name(rhs));
        Err(self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                Fmt::S("unsupported types for "),
                Fmt::S(op.method_name()),
                Fmt::S(": '"),
                Fmt::Q(ta),
                Fmt::S("', '"),
                Fmt::Q(tb),
                Fmt::S("'"),
            ],
        ))
    }

    fn exception_match(&mut self, exc: Obj, t: Obj) -> PyResult<bool> {
        if self.is_tuple(t) {
            for i in 0..self.tuple_len(t) {
                let c = self.tuple_get(t, i);
                if self.exception_match(exc, c)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        if !self.is_exception_class(t) {
            return Err(self.raise(
                TypeId::TYPE_ERROR,
                "catching classes that do not inherit from BaseException is not allowed",
            ));
        }
        Ok(self.isinstance(exc, t))
    }

    /// The type's own operator; `None` is NotImplemented.
    pub(crate) fn type_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        match self.tid_of(a) {
            TypeId::INT | TypeId::BOOL | TypeId::BIGINT => self.int_binary_op(op, a, b),
            #[cfg(feature = "float")]
            TypeId::FLOAT => {
                let x = self.float_value(a);
                self.float_binary_op(op, x, b)
            }
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => {
                let v = self.complex_value(a);
                self.complex_binary_op(op, v, b)
            }
            TypeId::STR | TypeId::BYTES => self.str_binary_op(op, a, b),
            TypeId::TUPLE | TypeId::LIST => self.seq_binary_op(op, a, b),
            TypeId::DICT => self.dict_binary_op(op, a, b),
            TypeId::SET | TypeId::FROZENSET => self.set_binary_op(op, a, b),
            TypeId::RANGE => self.range_binary_op(op, a, b),
            TypeId::DICT_VIEW => self.dict_view_binary_op(op, a, b),
            TypeId::BYTEARRAY => self.bytearray_binary_op(op, a, b),
            TypeId::MEMVIEW if op == B::Equal => {
                let x = self.buffer_ref(a);
                let y = self.buffer_ref(b);
                match (x, y) {
                    (Some(x), Some(y)) => Ok(Some(Obj::bool(self.sbytes(x) == self.sbytes(y)))),
                    _ => Ok(None),
                }
            }
            TypeId::INSTANCE | TypeId::EXC => self.instance_binary_op(op, a, b),
            TypeId::TYPE if op == B::Or || op == B::ReverseOr => Ok(None),
            _ => Ok(None),
        }
    }

    fn instance_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        let name = match op {
            BinaryOp::Contains => q!("__contains__"),
            _ => match self.find_qstr(op.method_name().as_bytes()) {
                Some(q) => q,
                None => return Ok(None),
            },
        };
        if let Some(m) = self.lookup_special(a, name) {
            let r = self.call(m, &[a, b], Obj::NULL)?;
            if r == Obj::NOT_IMPLEMENTED {
                return Ok(None);
            }
            return Ok(Some(r));
        }
        if self.heap.tid(a) == TypeId::INSTANCE {
            let sub = self.heap.get_obj(a, INST_SUB);
            if !sub.is_null() {
                let b2 = if self.is_instance_obj(b) {
                    let s = self.heap.get_obj(b, INST_SUB);
                    if s.is_null() {
                        b
                    } else {
                        s
                    }
                } else {
                    b
                };
                return self.type_binary_op(op, sub, b2);
            }
        }
        Ok(None)
    }

    /// `a < b` (`>`, `<=`, `>=`: `op`) for two str-like objects.
    fn str_order(&self, op: BinaryOp, a: Obj, b: Obj) -> Obj {
        let c = self.str_cmp(a, b);
        Obj::bool(match op {
            BinaryOp::Less => c.is_lt(),
            BinaryOp::More => c.is_gt(),
            BinaryOp::LessEqual => c.is_le(),
            _ => c.is_ge(),
        })
    }

    fn str_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        let tid = if self.is_bytes(a) {
            TypeId::BYTES
        } else {
            TypeId::STR
        };
        let same = if tid == TypeId::STR {
            self.is_str(b)
        } else {
            self.is_bytes(b)
        };
        match op {
            B::Add | B::InplaceAdd if same => self.str_concat(tid, a, b).map(Some),
            B::Multiply | B::InplaceMultiply | B::ReverseMultiply => match self.small_of(b) {
                Some(n) => self.str_repeat(tid, a, n).map(Some),
                None => Ok(None),
            },
            B::Modulo | B::InplaceModulo if tid == TypeId::STR => {
                crate::print::str_percent(self, a, b).map(Some)
            }
            B::Contains if same || (tid == TypeId::BYTES && b.is_small()) => {
                if b.is_small() {
                    let c = b.small_value();
                    return Ok(Some(Obj::bool(
                        self.str_bytes(a).iter().any(|&x| x as isize == c),
                    )));
                }
                Ok(Some(Obj::bool(self.str_contains(a, b))))
            }
            B::Contains => {
                if tid == TypeId::STR {
                    let tn = self.type_name(b);
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S("can't convert '"),
                            Fmt::Q(tn),
                            Fmt::S("' object to str implicitly"),
                        ],
                    ));
                }
                Ok(None)
            }
            B::Less | B::More | B::LessEqual | B::MoreEqual if same => {
                Ok(Some(self.str_order(op, a, b)))
            }
            B::Equal if same => Ok(Some(Obj::bool(self.str_eq(a, b)))),
            _ => Ok(None),
        }
    }

    fn seq_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        let ta = self.heap.tid(a);
        let same = b.is_heap() && self.heap.tid(b) == ta;
        match op {
            B::InplaceAdd if ta == TypeId::LIST => {
                if !same && self.items(b).is_none() {
                    // list += any iterable
                    self.list_extend(a, b)?;
                    return Ok(Some(a));
                }
                self.list_extend(a, b)?;
                Ok(Some(a))
            }
            B::Add | B::InplaceAdd if same => {
                let (ia, ib) = match (self.items(a), self.items(b)) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return Ok(None),
                };
                let n = ia.len + ib.len;
                let r = if ta == TypeId::TUPLE {
                    self.alloc_tuple(n)?
                } else {
                    let l = self.list_from_items(ia, 0, ia.len)?;
                    let mark = self.roots_mark();
                    self.root(l)?;
                    let r = self.list_extend(l, b);
                    self.unroot_to(mark);
                    r?;
                    return Ok(Some(l));
                };
                let (ia, ib) = match (self.items(a), self.items(b)) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return Ok(None),
                };
                for i in 0..ia.len {
                    let x = self.item(ia, i);
                    self.heap.set_obj(r, crate::obj::tuple::T_ITEMS + i, x);
                }
                for i in 0..ib.len {
                    let x = self.item(ib, i);
                    self.heap
                        .set_obj(r, crate::obj::tuple::T_ITEMS + ia.len + i, x);
                }
                Ok(Some(r))
            }
            B::Multiply | B::InplaceMultiply | B::ReverseMultiply => {
                let n = match self.small_of(b) {
                    Some(n) => n.max(0) as usize,
                    None => return Ok(None),
                };
                let ia = match self.items(a) {
                    Some(x) => x,
                    None => return Ok(None),
                };
                let total = match ia.len.checked_mul(n) {
                    Some(t) if t < (1 << 28) => t,
                    _ => return Err(self.memory_error()),
                };
                if op == B::InplaceMultiply && ta == TypeId::LIST {
                    let len = ia.len;
                    self.list_reserve(a, total)?;
                    for k in 1..n {
                        for i in 0..len {
                            let x = self.list_get(a, i);
                            let arr = self.heap.get_obj(a, 2);
                            self.heap
                                .set_obj(arr, crate::obj::list::A_ITEMS + k * len + i, x);
                        }
                    }
                    self.heap.set_int(a, 1, total);
                    return Ok(Some(a));
                }
                let r = if ta == TypeId::TUPLE {
                    self.alloc_tuple(total)?
                } else {
                    let l = self.new_list(&[])?;
                    let mark = self.roots_mark();
                    self.root(l)?;
                    let rr = self.list_reserve(l, total);
                    self.unroot_to(mark);
                    rr?;
                    self.heap.set_int(l, 1, total);
                    l
                };
                let ia = match self.items(a) {
                    Some(x) => x,
                    None => return Ok(None),
                };
                let dst = self.items(r).unwrap_or(ia);
                for k in 0..n {
                    for i in 0..ia.len {
                        let x = self.item(ia, i);
                        self.heap.set_obj(dst.base, dst.first + k * ia.len + i, x);
                    }
                }
                Ok(Some(r))
            }
            B::Less | B::More | B::LessEqual | B::MoreEqual | B::Equal if same => {
                self.seq_compare(op, a, b).map(|r| Some(Obj::bool(r)))
            }
            B::Contains => {
                let mut i = 0;
                loop {
                    let it = match self.items(a) {
                        Some(it) if i < it.len => it,
                        _ => return Ok(Some(Obj::FALSE)),
                    };
                    let x = self.item(it, i);
                    if self.equal(x, b)? {
                        return Ok(Some(Obj::TRUE));
                    }
                    i += 1;
                }
            }
            _ => Ok(None),
        }
    }

    fn dict_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        match op {
            B::Contains => Ok(Some(Obj::bool(self.dict_get(a, b)?.is_some()))),
            B::Equal => {
                let b = self.native_base(b, TypeId::DICT);
                if !self.is_dict(b) {
                    return Ok(None);
                }
                if self.dict_len(a) != self.dict_len(b) {
                    return Ok(Some(Obj::FALSE));
                }
                let mut i = 0;
                while i < self.dict_used(a) {
                    if let Some((k, v)) = self.dict_entry(a, i) {
                        match self.dict_get(b, k)? {
                            Some(v2) if self.equal(v, v2)? => {}
                            _ => return Ok(Some(Obj::FALSE)),
                        }
                    }
                    i += 1;
                }
                Ok(Some(Obj::TRUE))
            }
            B::Or | B::InplaceOr => {
                let b = self.native_base(b, TypeId::DICT);
                if !self.is_dict(b) {
                    return Ok(None);
                }
                let d = if op == B::Or { self.dict_copy(a)? } else { a };
                let mark = self.roots_mark();
                self.root(d)?;
                let r = self.dict_update(d, b);
                self.unroot_to(mark);
                r.map(|_| Some(d))
            }
            _ => Ok(None),
        }
    }

    /// Unary operator.
    pub fn unary_op(&mut self, op: UnaryOp, a: Obj) -> PyResult<Obj> {
        match op {
            UnaryOp::Not => return self.is_true(a).map(|t| Obj::bool(!t)),
            UnaryOp::Bool => return self.is_true(a).map(Obj::bool),
            UnaryOp::Len => {
                let n = self.len(a)?;
                return self.new_int(n as i128);
            }
            UnaryOp::Hash => {
                let h = self.hash(a)?;
                return Ok(Obj::small_unchecked(h as isize));
            }
            _ => {}
        }
        let r = match self.tid_of(a) {
            TypeId::INT | TypeId::BOOL | TypeId::BIGINT => self.int_unary_op(op, a)?,
            #[cfg(feature = "float")]
            TypeId::FLOAT => self.float_unary_op(op, a)?,
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => self.complex_unary_op(op, a)?,
            TypeId::INSTANCE | TypeId::EXC => {
                let name = self.find_qstr(op.method_name().as_bytes());
                match name.and_then(|n| self.lookup_special(a, n)) {
                    Some(m) => Some(self.call(m, &[a], Obj::NULL)?),
                    None => {
                        let sub = if self.heap.tid(a) == TypeId::INSTANCE {
                            self.heap.get_obj(a, INST_SUB)
                        } else {
                            Obj::NULL
                        };
                        if sub.is_null() {
                            None
                        } else {
                            Some(self.unary_op(op, sub)?)
                        }
                    }
                }
            }
            _ => None,
        };
        match r {
            Some(r) => Ok(r),
            None => {
                let tn = self.type_name(a);
                Err(self.raise_fmt(
                    TypeId::TYPE_ERROR,
                    &[
                        Fmt::S("unsupported type for "),
                        Fmt::S(op.method_name()),
                        Fmt::S(": '"),
                        Fmt::Q(tn),
                        Fmt::S("'"),
                    ],
                ))
            }
        }
    }

    /// `len(o)`.
    pub fn len(&mut self, o: Obj) -> PyResult<usize> {
        if o.is_qstr() {
            return Ok(self.str_char_len(o));
        }
        if o.is_heap() {
            match self.heap.tid(o) {
                TypeId::STR => return Ok(self.str_char_len(o)),
                TypeId::BYTES => return Ok(self.heap.get(o, 2)),
                TypeId::LIST
                | TypeId::TUPLE
                | TypeId::DICT
                | TypeId::SET
                | TypeId::FROZENSET
                | TypeId::BYTEARRAY => return Ok(self.heap.get_int(o, 1)),
                TypeId::RANGE => return Ok(self.range_len(o)),
                TypeId::MEMVIEW => return Ok(self.buffer_ref(o).map_or(0, |r| r.len())),
                TypeId::DICT_VIEW => {
                    let d = self.heap.get_obj(o, 1);
                    return Ok(self.dict_len(d));
                }
                TypeId::INSTANCE => {
                    if let Some(m) = self.lookup_special(o, q!("__len__")) {
                        let r = self.call(m, &[o], Obj::NULL)?;
                        let n = self.to_isize(r)?;
                        if n < 0 {
                            return Err(
                                self.raise(TypeId::VALUE_ERROR, "__len__() should return >= 0")
                            );
                        }
                        return Ok(n as usize);
                    }
                    let sub = self.heap.get_obj(o, INST_SUB);
                    if !sub.is_null() {
                        return self.len(sub);
                    }
                }
                _ => {}
            }
        }
        Err(self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                Fmt::S("object of type '"),
                Fmt::T(o),
                Fmt::S("' has no len()"),
            ],
        ))
    }

    // ------------------------------------------------------------ attributes

    /// `o.q`.
    pub fn load_attr(&mut self, o: Obj, q: Qstr) -> PyResult<Obj> {
        let (m, s) = self.load_method(o, q)?;
        if s.is_null() {
            return Ok(m);
        }
        let mark = self.roots_mark();
        self.root(m)?;
        self.root(s)?;
        let r = self.new_bound_method(m, s);
        self.unroot_to(mark);
        r
    }

    /// `o.q` or `None` if there is no such attribute.
    pub fn load_attr_opt(&mut self, o: Obj, q: Qstr) -> PyResult<Option<Obj>> {
        match self.load_method_opt(o, q)? {
            None => Ok(None),
            Some((m, s)) if s.is_null() => Ok(Some(m)),
            Some((m, s)) => {
                let mark = self.roots_mark();
                self.root(m)?;
                self.root(s)?;
                let r = self.new_bound_method(m, s);
                self.unroot_to(mark);
                r.map(Some)
            }
        }
    }

    /// Method lookup: (function, self) for a method, (value, NULL) for other attributes.
    pub fn load_method(&mut self, o: Obj, q: Qstr) -> PyResult<(Obj, Obj)> {
        match self.load_method_opt(o, q)? {
            Some(r) => Ok(r),
            None => Err(self.attribute_error(o, q)),
        }
    }

    /// Raise AttributeError for `o.q`.
    pub(crate) fn attribute_error(&mut self, o: Obj, q: Qstr) -> PyErr {
        if self.is_user_class(o) || o.as_builtin_type().is_some() {
            let n = self.class_name(o);
            return self.raise_fmt(
                TypeId::ATTRIBUTE_ERROR,
                &[
                    Fmt::S("type object '"),
                    Fmt::Q(n),
                    Fmt::S("' has no attribute '"),
                    Fmt::Q(q),
                    Fmt::S("'"),
                ],
            );
        }
        if o.is_heap() && self.heap.tid(o) == TypeId::MODULE {
            let n = self.heap.get_obj(o, 1).qstr_value();
            return self.raise_fmt(
                TypeId::ATTRIBUTE_ERROR,
                &[
                    Fmt::S("module '"),
                    Fmt::Q(n),
                    Fmt::S("' has no attribute '"),
                    Fmt::Q(q),
                    Fmt::S("'"),
                ],
            );
        }
        let tn = self.type_name(o);
        self.raise_fmt(
            TypeId::ATTRIBUTE_ERROR,
            &[
                Fmt::S("'"),
                Fmt::Q(tn),
                Fmt::S("' object has no attribute '"),
                Fmt::Q(q),
                Fmt::S("'"),
            ],
        )
    }

    pub(crate) fn load_method_opt(&mut self, o: Obj, q: Qstr) -> PyResult<Option<(Obj, Obj)>> {
        if q == q!("__class__") {
            return Ok(Some((self.type_of(o), Obj::NULL)));
        }
        let tid = self.tid_of(o);
        match tid {
            TypeId::INSTANCE | TypeId::EXC => {
                let d = self.heap.get_obj(o, INST_DICT);
                if !d.is_null() {
                    if let Some(v) = self.dict_get_q(d, q) {
                        return Ok(Some((v, Obj::NULL)));
                    }
                }
                let cls = self.heap.get_obj(o, INST_CLASS);
                if q == q!("__dict__") {
                    let d = self.instance_dict(o)?;
                    return Ok(Some((d, Obj::NULL)));
                }
                if let Some(v) = self.class_lookup(cls, q) {
                    let kind = builtins::kind_of(self, v);
                    return self.bind_class_attr(v, kind, o, cls).map(Some);
                }
                if let Some(ga) = self.class_lookup_user(cls, q!("__getattr__")) {
                    let r = self.call(ga, &[o, Obj::qstr(q)], Obj::NULL)?;
                    return Ok(Some((r, Obj::NULL)));
                }
                Ok(None)
            }
            TypeId::TYPE => self.class_attr(o, q),
            TypeId::SUPER => {
                let t = self.heap.get_obj(o, 1);
                let obj = self.heap.get_obj(o, 2);
                match self.load_super_method(t, obj, q) {
                    Ok(r) => Ok(Some(r)),
                    Err(e) => {
                        if self.exception_matches(self.pending, TypeId::ATTRIBUTE_ERROR) {
                            self.pending = Obj::NULL;
                            Ok(None)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
            TypeId::MODULE => {
                // A builtin module may have no dict yet (see `Vm::module_dict`).
                let g = self.heap.get_obj(o, 2);
                if !g.is_null() {
                    if let Some(v) = self.dict_get_q(g, q) {
                        return Ok(Some((v, Obj::NULL)));
                    }
                } else if q == q!("__name__") {
                    return Ok(Some((self.heap.get_obj(o, 1), Obj::NULL)));
                }
                if let Some(v) = crate::modules::module_attr(self, o, q) {
                    return Ok(Some((v, Obj::NULL)));
                }
                if q == q!("__dict__") {
                    return Ok(Some((self.module_dict(o)?, Obj::NULL)));
                }
                Ok(None)
            }
            TypeId::FUNCTION if q == q!("__name__") => Ok(Some((
                Obj::qstr(crate::obj::fun::fun_name(self, o)),
                Obj::NULL,
            ))),
            TypeId::NATIVE_FUN if q == q!("__name__") => {
                let n = builtins::native_name(self, o);
                Ok(Some((Obj::qstr(n), Obj::NULL)))
            }
            TypeId::BOUND_METH => match q {
                _ if q == q!("__self__") => Ok(Some((self.heap.get_obj(o, 2), Obj::NULL))),
                _ if q == q!("__func__") => Ok(Some((self.heap.get_obj(o, 1), Obj::NULL))),
                _ if q == q!("__name__") => {
                    let f = self.heap.get_obj(o, 1);
                    self.load_method_opt(f, q)
                }
                _ => Ok(None),
            },
            TypeId::PROPERTY => {
                let (slot, which) = match q {
                    _ if q == q!("getter") => (1, true),
                    _ if q == q!("setter") => (2, true),
                    _ if q == q!("deleter") => (3, true),
                    _ if q == q!("fget") => (1, false),
                    _ if q == q!("fset") => (2, false),
                    _ if q == q!("fdel") => (3, false),
                    _ => return Ok(None),
                };
                if !which {
                    return Ok(Some((self.heap.get_obj(o, slot), Obj::NULL)));
                }
                let f = builtins::property_modifier(slot);
                Ok(Some((f, o)))
            }
            _ => {
                if let Some(v) = crate::modules::board::instance_attr(self, o, tid, q)? {
                    return Ok(Some((v, Obj::NULL)));
                }
                let t = if tid == TypeId::BIGINT {
                    TypeId::INT
                } else {
                    tid
                };
                match self.type_lookup_cached(t, q) {
                    Some((v, kind)) => self.bind_class_attr(v, kind, o, Obj::type_obj(t)).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// Attributes of a class object (user or builtin).
    fn class_attr(&mut self, cls: Obj, q: Qstr) -> PyResult<Option<(Obj, Obj)>> {
        if q == q!("__name__") || q == q!("__qualname__") {
            return Ok(Some((Obj::qstr(self.class_name(cls)), Obj::NULL)));
        }
        if self.is_user_class(cls) {
            if q == q!("__bases__") {
                return Ok(Some((self.heap.get_obj(cls, CLS_BASES), Obj::NULL)));
            }
            if q == q!("__dict__") {
                // Its dict can be changed behind store_attr's back from now on.
                self.class_hooks_added = true;
                return Ok(Some((self.heap.get_obj(cls, CLS_DICT), Obj::NULL)));
            }
            if q == q!("__mro__") {
                return Ok(Some((self.heap.get_obj(cls, CLS_MRO), Obj::NULL)));
            }
        } else if q == q!("__bases__") {
            let t = cls.as_builtin_type().unwrap_or(TypeId::OBJECT);
            let b = types::info(t).base;
            if b == t {
                return self.new_tuple(&[]).map(|x| Some((x, Obj::NULL)));
            }
            return self
                .new_tuple(&[Obj::type_obj(b)])
                .map(|x| Some((x, Obj::NULL)));
        }
        if let Some(v) = cls
            .as_builtin_type()
            .and_then(|t| crate::modules::board::class_const(t, q))
        {
            return Ok(Some((v, Obj::NULL)));
        }
        let v = match self.class_lookup(cls, q) {
            Some(v) => v,
            None => return Ok(None),
        };
        if v.as_native_fun().is_some() {
            return Ok(Some(match builtins::kind_of(self, v) {
                NativeKind::Class => (v, cls),
                _ => (v, Obj::NULL),
            }));
        }
        if v.is_heap() {
            match self.heap.tid(v) {
                TypeId::STATICMETHOD => return Ok(Some((self.heap.get_obj(v, 1), Obj::NULL))),
                TypeId::CLASSMETHOD => return Ok(Some((self.heap.get_obj(v, 1), cls))),
                _ => {}
            }
        }
        Ok(Some((v, Obj::NULL)))
    }

    /// The attribute dict of an instance (created on demand for exceptions).
    pub(crate) fn instance_dict(&mut self, o: Obj) -> PyResult<Obj> {
        let d = self.heap.get_obj(o, INST_DICT);
        if !d.is_null() {
            return Ok(d);
        }
        let d = self.dict_new(0)?;
        self.heap.set_obj(o, INST_DICT, d);
        Ok(d)
    }

    /// `o.q = v` (`v` NULL: `del o.q`).
    pub fn store_attr(&mut self, o: Obj, q: Qstr, v: Obj) -> PyResult<()> {
        match self.tid_of(o) {
            TypeId::INSTANCE | TypeId::EXC => {
                let cls = self.heap.get_obj(o, INST_CLASS);
                if self.is_user_class(cls) && !self.class_is_plain(cls) {
                    let hook = if v.is_null() {
                        q!("__delattr__")
                    } else {
                        q!("__setattr__")
                    };
                    // Both lookups are pure: do them in one walk of the MRO.
                    let [attr, hook_fn] = self.class_lookup_user2(cls, q, hook);
                    if let Some(p) = attr {
                        if p.is_heap() && self.heap.tid(p) == TypeId::INSTANCE {
                            let hook = if v.is_null() {
                                q!("__delete__")
                            } else {
                                q!("__set__")
                            };
                            if let Some(m) = self.lookup_special(p, hook) {
                                if v.is_null() {
                                    self.call(m, &[p, o], Obj::NULL)?;
                                } else {
                                    self.call(m, &[p, o, v], Obj::NULL)?;
                                }
                                return Ok(());
                            }
                        }
                        if p.is_heap() && self.heap.tid(p) == TypeId::PROPERTY {
                            let f = self.heap.get_obj(p, if v.is_null() { 3 } else { 2 });
                            if f.is_null() || f == Obj::NONE {
                                return Err(
                                    self.raise(TypeId::ATTRIBUTE_ERROR, "can't set attribute")
                                );
                            }
                            if v.is_null() {
                                self.call(f, &[o], Obj::NULL)?;
                            } else {
                                self.call(f, &[o, v], Obj::NULL)?;
                            }
                            return Ok(());
                        }
                    }
                    if let Some(m) = hook_fn {
                        if v.is_null() {
                            self.call(m, &[o, Obj::qstr(q)], Obj::NULL)?;
                        } else {
                            self.call(m, &[o, Obj::qstr(q), v], Obj::NULL)?;
                        }
                        return Ok(());
                    }
                }
                self.note_instance_attrs(cls);
                let d = self.instance_dict(o)?;
                self.dict_store_or_delete(d, o, q, v)
            }
            TypeId::TYPE => {
                self.note_class_store(Obj::qstr(q), v);
                let d = self.heap.get_obj(o, CLS_DICT);
                self.dict_store_or_delete(d, o, q, v)
            }
            TypeId::MODULE => {
                let d = self.module_dict(o)?;
                self.dict_store_or_delete(d, o, q, v)
            }
            TypeId::DIGITALINOUT => crate::modules::board::dio_store(self, o, q, v),
            _ => Err(self.attribute_error(o, q)),
        }
    }

    /// Generic `object.__setattr__`: store into the instance dict.
    pub(crate) fn generic_setattr(&mut self, o: Obj, q: Qstr, v: Obj) -> PyResult<()> {
        if !self.is_instance_obj(o) {
            return Err(self.attribute_error(o, q));
        }
        let d = self.instance_dict(o)?;
        self.dict_store_or_delete(d, o, q, v)
    }

    fn dict_store_or_delete(&mut self, d: Obj, o: Obj, q: Qstr, v: Obj) -> PyResult<()> {
        if v.is_null() {
            if self.dict_del(d, Obj::qstr(q))?.is_none() {
                return Err(self.attribute_error(o, q));
            }
            return Ok(());
        }
        self.dict_set(d, Obj::qstr(q), v)
    }

    // ------------------------------------------------------------ subscripts

    /// Normalise an index into `0..len` (negative counts from the end).
    pub fn normalize_index(&self, idx: Obj, len: usize) -> Option<usize> {
        let i = self.small_of(idx)?;
        let i = if i < 0 { i + len as isize } else { i };
        if i >= 0 && (i as usize) < len {
            Some(i as usize)
        } else {
            None
        }
    }

    /// A slice bound argument clamped into `0..=len`.
    pub(crate) fn slice_bound(&mut self, o: Obj, len: usize) -> PyResult<usize> {
        if o == Obj::NONE {
            return Ok(len);
        }
        let i = self.to_isize(o)?;
        let i = if i < 0 { (i + len as isize).max(0) } else { i };
        Ok((i as usize).min(len))
    }

    /// `o[idx]`.
    pub fn subscr(&mut self, o: Obj, idx: Obj) -> PyResult<Obj> {
        let tid = self.tid_of(o);
        match tid {
            TypeId::LIST | TypeId::TUPLE => {
                let it = match self.items(o) {
                    Some(it) => it,
                    None => return Err(self.bad_type(o)),
                };
                if self.is_slice(idx) {
                    let (start, stop, step) = self.slice_indices(idx, it.len)?;
                    return self.seq_slice(o, start, stop, step);
                }
                match self.normalize_index(idx, it.len) {
                    Some(i) => Ok(self.item(it, i)),
                    None => {
                        if !self.is_int(idx) {
                            let tn = self.type_name(o);
                            return Err(self.raise_fmt(
                                TypeId::TYPE_ERROR,
                                &[
                                    Fmt::Q(tn),
                                    Fmt::S(" indices must be integers, not "),
                                    Fmt::T(idx),
                                ],
                            ));
                        }
                        let what = if tid == TypeId::LIST { "list" } else { "tuple" };
                        Err(crate::obj::list::index_error(self, what))
                    }
                }
            }
            TypeId::STR | TypeId::BYTES => {
                if self.is_slice(idx) {
                    return self.str_slice(o, idx);
                }
                self.str_index(o, idx)
            }
            TypeId::DICT => crate::obj::dict::subscr(self, o, idx),
            TypeId::RANGE => self.range_subscr(o, idx),
            TypeId::BYTEARRAY => self.bytearray_subscr(o, idx, Obj::SENTINEL),
            TypeId::MEMVIEW => self.memview_subscr(o, idx, Obj::SENTINEL),
            TypeId::INSTANCE => {
                if let Some(m) = self.lookup_special(o, q!("__getitem__")) {
                    return self.call(m, &[o, idx], Obj::NULL);
                }
                let sub = self.heap.get_obj(o, INST_SUB);
                if !sub.is_null() {
                    if self.is_dict(sub) {
                        if let Some(v) = self.dict_get(sub, idx)? {
                            return Ok(v);
                        }
                        if let Some(m) = self.lookup_special(o, q!("__missing__")) {
                            return self.call(m, &[o, idx], Obj::NULL);
                        }
                        return Err(crate::obj::dict::key_error(self, idx));
                    }
                    return self.subscr(sub, idx);
                }
                Err(self.not_subscriptable(o))
            }
            TypeId::TYPE => {
                // `list[int]` style annotations evaluate to the class itself.
                Ok(o)
            }
            _ => Err(self.not_subscriptable(o)),
        }
    }

    fn not_subscriptable(&mut self, o: Obj) -> PyErr {
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                Fmt::S("'"),
                Fmt::T(o),
                Fmt::S("' object isn't subscriptable"),
            ],
        )
    }

    fn bad_type(&mut self, o: Obj) -> PyErr {
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[Fmt::S("bad type '"), Fmt::T(o), Fmt::S("'")],
        )
    }

    /// A mapping lookup that returns None for missing keys (dicts, or `__getitem__` with
    /// KeyError).
    pub(crate) fn mapping_get(&mut self, m: Obj, key: Obj) -> PyResult<Option<Obj>> {
        let d = self.native_base(m, TypeId::DICT);
        if self.is_dict(d) && self.lookup_special(m, q!("__getitem__")).is_none() {
            return self.dict_get(d, key);
        }
        match self.subscr(m, key) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                if self.exception_matches(self.pending, TypeId::KEY_ERROR) {
                    self.pending = Obj::NULL;
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// `o[idx] = v` (`v` NULL: `del o[idx]`).
    pub fn store_subscr(&mut self, o: Obj, idx: Obj, v: Obj) -> PyResult<()> {
        match self.tid_of(o) {
            TypeId::LIST => {
                if self.is_slice(idx) {
                    return self.list_store_slice(o, idx, v);
                }
                let n = self.list_len(o);
                match self.normalize_index(idx, n) {
                    Some(i) => {
                        if v.is_null() {
                            self.list_remove_at(o, i);
                        } else {
                            self.list_set(o, i, v);
                        }
                        Ok(())
                    }
                    None => {
                        if !self.is_int(idx) {
                            return Err(self.raise_fmt(
                                TypeId::TYPE_ERROR,
                                &[Fmt::S("list indices must be integers, not "), Fmt::T(idx)],
                            ));
                        }
                        Err(self.raise(TypeId::INDEX_ERROR, "list index out of range"))
                    }
                }
            }
            TypeId::DICT => {
                if v.is_null() {
                    if self.dict_del(o, idx)?.is_none() {
                        return Err(crate::obj::dict::key_error(self, idx));
                    }
                    Ok(())
                } else {
                    self.dict_set(o, idx, v)
                }
            }
            TypeId::BYTEARRAY => self.bytearray_subscr(o, idx, v).map(|_| ()),
            TypeId::MEMVIEW => self.memview_subscr(o, idx, v).map(|_| ()),
            TypeId::INSTANCE => {
                let name = if v.is_null() {
                    q!("__delitem__")
                } else {
                    q!("__setitem__")
                };
                if let Some(m) = self.lookup_special(o, name) {
                    if v.is_null() {
                        self.call(m, &[o, idx], Obj::NULL)?;
                    } else {
                        self.call(m, &[o, idx, v], Obj::NULL)?;
                    }
                    return Ok(());
                }
                let sub = self.heap.get_obj(o, INST_SUB);
                if !sub.is_null() {
                    return self.store_subscr(sub, idx, v);
                }
                Err(self.no_item_assignment(o, v))
            }
            _ => Err(self.no_item_assignment(o, v)),
        }
    }

    fn no_item_assignment(&mut self, o: Obj, v: Obj) -> PyErr {
        let what = if v.is_null() {
            "' object doesn't support item deletion"
        } else {
            "' object doesn't support item assignment"
        };
        self.raise_fmt(TypeId::TYPE_ERROR, &[Fmt::S("'"), Fmt::T(o), Fmt::S(what)])
    }

    // ------------------------------------------------------------ unpacking

    /// `UNPACK_SEQUENCE`: write the `n` items of `seq` into words `first..first+n` of
    /// `dst`, last item first (so item 0 ends on top of the stack).
    pub(crate) fn unpack_sequence(
        &mut self,
        dst: Obj,
        first: usize,
        seq: Obj,
        n: usize,
    ) -> PyResult<()> {
        if let Some(it) = self.items(seq) {
            if it.len < n {
                return Err(self.raise_fmt(
                    TypeId::VALUE_ERROR,
                    &[
                        Fmt::S("need more than "),
                        Fmt::I(it.len as isize),
                        Fmt::S(" values to unpack"),
                    ],
                ));
            }
            if it.len > n {
                return Err(self.too_many_values(n));
            }
            for i in 0..n {
                let x = self.item(it, i);
                self.heap.set_obj(dst, first + n - 1 - i, x);
            }
            return Ok(());
        }
        let mark = self.roots_mark();
        let r = (|| {
            let iter = self.get_iter(seq)?;
            self.root(iter)?;
            for i in 0..n {
                let x = self.iter_next(iter)?;
                if x == Obj::STOP {
                    return Err(self.raise_fmt(
                        TypeId::VALUE_ERROR,
                        &[
                            Fmt::S("need more than "),
                            Fmt::I(i as isize),
                            Fmt::S(" values to unpack"),
                        ],
                    ));
                }
                self.heap.set_obj(dst, first + n - 1 - i, x);
            }
            if self.iter_next(iter)? != Obj::STOP {
                return Err(self.too_many_values(n));
            }
            Ok(())
        })();
        self.unroot_to(mark);
        r
    }

    fn too_many_values(&mut self, n: usize) -> PyErr {
        self.raise_fmt(
            TypeId::VALUE_ERROR,
            &[
                Fmt::S("too many values to unpack (expected "),
                Fmt::I(n as isize),
                Fmt::S(")"),
            ],
        )
    }

    /// `UNPACK_EX`: `nl` leading items, a list of the middle, `nr` trailing items.
    pub(crate) fn unpack_ex(
        &mut self,
        dst: Obj,
        first: usize,
        seq: Obj,
        nl: usize,
        nr: usize,
    ) -> PyResult<()> {
        let mark = self.roots_mark();
        let r = (|| {
            let all = self.list_from_iter(seq)?;
            self.root(all)?;
            let len = self.list_len(all);
            if len < nl + nr {
                return Err(self.raise_fmt(
                    TypeId::VALUE_ERROR,
                    &[
                        Fmt::S("need more than "),
                        Fmt::I(len as isize),
                        Fmt::S(" values to unpack"),
                    ],
                ));
            }
            let it = self.items(all).unwrap_or(crate::obj::tuple::Items {
                base: Obj::NULL,
                first: 0,
                len: 0,
            });
            let mid = self.list_from_items(it, nl, len - nr)?;
            for i in 0..nr {
                let x = self.list_get(all, len - 1 - i);
                self.heap.set_obj(dst, first + i, x);
            }
            self.heap.set_obj(dst, first + nr, mid);
            for i in 0..nl {
                let x = self.list_get(all, nl - 1 - i);
                self.heap.set_obj(dst, first + nr + 1 + i, x);
            }
            Ok(())
        })();
        self.unroot_to(mark);
        r
    }

    /// Unpack exactly `out.len()` items of `seq` into `out` (in order).
    pub(crate) fn unpack_into(&mut self, seq: Obj, out: &mut [Obj]) -> PyResult<()> {
        let n = out.len();
        if let Some(it) = self.items(seq) {
            if it.len != n {
                return Err(self.too_many_values(n));
            }
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = self.item(it, i);
            }
            return Ok(());
        }
        let l = self.list_from_iter(seq)?;
        if self.list_len(l) != n {
            return Err(self.too_many_values(n));
        }
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.list_get(l, i);
        }
        Ok(())
    }
}
