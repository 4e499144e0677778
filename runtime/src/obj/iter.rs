//! Iteration: `iter()`/`next()` on every type, the iterator objects of the builtin
//! sequences, dict views, and `enumerate`, `zip`, `map`, `filter`, `reversed`.
//!
//! Corresponds to MicroPython's `mp_getiter`/`mp_iternext` (`py/runtime.c`),
//! `py/objgetitemiter.c`, `py/objenumerate.c`, `py/objzip.c`, `py/objmap.c`,
//! `py/objfilter.c`, `py/objreversed.c` and the dict views of `py/objdict.c`.
//!
//! Layouts (counters tagged as small ints):
//! - sequence iterator `[header, seq, index]` (list, tuple; also `__getitem__` objects);
//! - str iterator `[header, str or bytes, byte index]`;
//! - range iterator `[header, current, stop, step]`;
//! - dict view `[header, dict, kind]`, dict iterator `[header, dict, entry index, kind]`;
//! - enumerate `[header, iterator, count]`, zip `[header, iterators tuple]`,
//!   map `[header, function, iterators tuple]`, filter `[header, function, iterator]`,
//!   reversed `[header, sequence, remaining]`, callable iterator `[header, f, sentinel]`.

use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Out, Vm};
use crate::{q, PyResult};

/// Dict view kinds.
pub const VIEW_KEYS: usize = 0;
/// Values view.
pub const VIEW_VALUES: usize = 1;
/// Items view.
pub const VIEW_ITEMS: usize = 2;

/// A dict view.
pub fn new_dict_view(vm: &mut Vm, d: Obj, kind: usize) -> PyResult<Obj> {
    let v = vm.alloc(TypeId::DICT_VIEW, 0, 3)?;
    vm.heap.set_obj(v, 1, d);
    vm.heap.set_int(v, 2, kind);
    Ok(v)
}

fn new_iter3(vm: &mut Vm, t: TypeId, a: Obj, b: Obj) -> PyResult<Obj> {
    let mark = vm.roots_mark();
    vm.root(a)?;
    vm.root(b)?;
    let it = vm.alloc(t, 0, 3);
    vm.unroot_to(mark);
    let it = it?;
    vm.heap.set_obj(it, 1, a);
    vm.heap.set_obj(it, 2, b);
    Ok(it)
}

/// `iter(f, sentinel)`.
pub fn new_call_iter(vm: &mut Vm, f: Obj, sentinel: Obj) -> PyResult<Obj> {
    new_iter3(vm, TypeId::CALL_ITER, f, sentinel)
}

impl<'h> Vm<'h> {
    /// `iter(o)`.
    pub fn get_iter(&mut self, o: Obj) -> PyResult<Obj> {
        let tid = self.tid_of(o);
        match tid {
            TypeId::LIST | TypeId::TUPLE => {
                new_iter3(self, TypeId::SEQ_ITER, o, Obj::small_unchecked(0))
            }
            TypeId::STR | TypeId::BYTES | TypeId::BYTEARRAY | TypeId::MEMVIEW => {
                new_iter3(self, TypeId::STR_ITER, o, Obj::small_unchecked(0))
            }
            TypeId::RANGE => {
                let (start, stop, step) = (
                    self.heap.get_obj(o, 1),
                    self.heap.get_obj(o, 2),
                    self.heap.get_obj(o, 3),
                );
                let it = self.alloc(TypeId::RANGE_ITER, 0, 4)?;
                self.heap.set_obj(it, 1, start);
                self.heap.set_obj(it, 2, stop);
                self.heap.set_obj(it, 3, step);
                Ok(it)
            }
            TypeId::DICT | TypeId::SET | TypeId::FROZENSET => self.dict_iter(o, VIEW_KEYS),
            TypeId::DICT_VIEW => {
                let d = self.heap.get_obj(o, 1);
                let kind = self.heap.get_int(o, 2);
                self.dict_iter(d, kind)
            }
            TypeId::SEQ_ITER
            | TypeId::STR_ITER
            | TypeId::RANGE_ITER
            | TypeId::DICT_ITER
            | TypeId::ENUMERATE
            | TypeId::ZIP
            | TypeId::MAP
            | TypeId::FILTER
            | TypeId::REVERSED
            | TypeId::CALL_ITER
            | TypeId::GENERATOR => Ok(o),
            TypeId::INSTANCE | TypeId::EXC => {
                if let Some(m) = self.lookup_special(o, q!("__iter__")) {
                    return self.call(m, &[o], Obj::NULL);
                }
                if self.lookup_special(o, q!("__getitem__")).is_some() {
                    return new_iter3(self, TypeId::SEQ_ITER, o, Obj::small_unchecked(0));
                }
                if tid == TypeId::INSTANCE {
                    let sub = self.heap.get_obj(o, crate::obj::instance::INST_SUB);
                    if !sub.is_null() {
                        return self.get_iter(sub);
                    }
                }
                Err(self.not_iterable(o))
            }
            _ => Err(self.not_iterable(o)),
        }
    }

    fn not_iterable(&mut self, o: Obj) -> crate::PyErr {
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[Fmt::S("'"), Fmt::T(o), Fmt::S("' object isn't iterable")],
        )
    }

    fn dict_iter(&mut self, d: Obj, kind: usize) -> PyResult<Obj> {
        let mark = self.roots_mark();
        self.root(d)?;
        let it = self.alloc(TypeId::DICT_ITER, 0, 4);
        self.unroot_to(mark);
        let it = it?;
        self.heap.set_obj(it, 1, d);
        self.heap.set_int(it, 2, 0);
        self.heap.set_int(it, 3, kind);
        Ok(it)
    }

    /// `next(it)` for iterators: the next value or `Obj::STOP`.
    pub fn iter_next(&mut self, it: Obj) -> PyResult<Obj> {
        if !it.is_heap() {
            return Err(self.not_iterator(it));
        }
        match self.heap.tid(it) {
            TypeId::SEQ_ITER => {
                let seq = self.heap.get_obj(it, 1);
                let i = self.heap.get_obj(it, 2).small_value() as usize;
                if let Some(items) = self.items(seq) {
                    if i < items.len {
                        self.heap
                            .set_obj(it, 2, Obj::small_unchecked(i as isize + 1));
                        return Ok(self.item(items, i));
                    }
                    return Ok(Obj::STOP);
                }
                // __getitem__ protocol: stop at IndexError/StopIteration.
                match self.subscr(seq, Obj::small_unchecked(i as isize)) {
                    Ok(v) => {
                        self.heap
                            .set_obj(it, 2, Obj::small_unchecked(i as isize + 1));
                        Ok(v)
                    }
                    Err(e) => {
                        let p = self.pending;
                        if self.exception_matches(p, TypeId::INDEX_ERROR)
                            || self.exception_matches(p, TypeId::STOP_ITERATION)
                        {
                            self.pending = Obj::NULL;
                            Ok(Obj::STOP)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
            TypeId::STR_ITER => {
                let s = self.heap.get_obj(it, 1);
                let i = self.heap.get_obj(it, 2).small_value() as usize;
                let r = match self.buffer_ref(s) {
                    Some(r) => r,
                    None => return Ok(Obj::STOP),
                };
                let b = self.sbytes(r);
                if i >= b.len() {
                    return Ok(Obj::STOP);
                }
                if !self.is_str(s) {
                    let v = b[i];
                    self.heap
                        .set_obj(it, 2, Obj::small_unchecked(i as isize + 1));
                    return Ok(Obj::small_unchecked(v as isize));
                }
                let mut j = i + 1;
                while j < b.len() && b[j] & 0xc0 == 0x80 {
                    j += 1;
                }
                let first = b[i];
                self.heap.set_obj(it, 2, Obj::small_unchecked(j as isize));
                if first.is_ascii() {
                    return self.char_str(first);
                }
                self.new_str_from_ref(TypeId::STR, r, i, j)
            }
            TypeId::RANGE_ITER => {
                let cur = self.heap.get_obj(it, 1);
                let stop = self.heap.get_obj(it, 2);
                let step = self.heap.get_obj(it, 3);
                if cur.is_small() && stop.is_small() && step.is_small() {
                    let (c, e, s) = (cur.small_value(), stop.small_value(), step.small_value());
                    if (s > 0 && c < e) || (s < 0 && c > e) {
                        let n = self.new_int(c as i128 + s as i128)?;
                        self.heap.set_obj(it, 1, n);
                        return Ok(cur);
                    }
                    return Ok(Obj::STOP);
                }
                let neg = self.binary_op(
                    upyc_bytecode::opcode::BinaryOp::Less,
                    step,
                    Obj::small_unchecked(0),
                )? == Obj::TRUE;
                let op = if neg {
                    upyc_bytecode::opcode::BinaryOp::More
                } else {
                    upyc_bytecode::opcode::BinaryOp::Less
                };
                if self.binary_op(op, cur, stop)? != Obj::TRUE {
                    return Ok(Obj::STOP);
                }
                let n = self.binary_op(upyc_bytecode::opcode::BinaryOp::Add, cur, step)?;
                self.heap.set_obj(it, 1, n);
                Ok(cur)
            }
            TypeId::DICT_ITER => {
                let d = self.heap.get_obj(it, 1);
                let kind = self.heap.get_int(it, 3);
                let mut i = self.heap.get_int(it, 2);
                while i < self.dict_used(d) {
                    if let Some((k, v)) = self.dict_entry(d, i) {
                        self.heap.set_int(it, 2, i + 1);
                        return match kind {
                            VIEW_KEYS => Ok(k),
                            VIEW_VALUES => Ok(v),
                            _ => self.new_tuple(&[k, v]),
                        };
                    }
                    i += 1;
                }
                self.heap.set_int(it, 2, i);
                Ok(Obj::STOP)
            }
            TypeId::GENERATOR => crate::obj::gen::gen_next(self, it),
            TypeId::ENUMERATE => {
                let inner = self.heap.get_obj(it, 1);
                let v = self.iter_next(inner)?;
                if v == Obj::STOP {
                    return Ok(Obj::STOP);
                }
                let n = self.heap.get_obj(it, 2);
                // A small-int count (all but huge `start`s): no allocation before the tuple.
                if let Some(next) = n
                    .is_small()
                    .then(|| Obj::small(n.small_value().wrapping_add(1)))
                    .flatten()
                {
                    self.heap.set_obj(it, 2, next);
                    return self.new_tuple(&[n, v]);
                }
                let mark = self.roots_mark();
                self.root(v)?;
                let r = (|| {
                    let next = self.binary_op(
                        upyc_bytecode::opcode::BinaryOp::Add,
                        n,
                        Obj::small_unchecked(1),
                    )?;
                    self.heap.set_obj(it, 2, next);
                    self.new_tuple(&[n, v])
                })();
                self.unroot_to(mark);
                r
            }
            TypeId::ZIP => {
                let its = self.heap.get_obj(it, 1);
                let n = self.tuple_len(its);
                if n == 0 {
                    return Ok(Obj::STOP);
                }
                let t = self.alloc_tuple(n)?;
                let mark = self.roots_mark();
                self.root(t)?;
                let r = (|| {
                    for i in 0..n {
                        let sub = self.tuple_get(its, i);
                        let v = self.iter_next(sub)?;
                        if v == Obj::STOP {
                            return Ok(Obj::STOP);
                        }
                        self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, v);
                    }
                    Ok(t)
                })();
                self.unroot_to(mark);
                r
            }
            TypeId::MAP => {
                let f = self.heap.get_obj(it, 1);
                let its = self.heap.get_obj(it, 2);
                let n = self.tuple_len(its);
                let mut buf = [Obj::NULL; 8];
                if n > buf.len() {
                    return Err(self.raise(TypeId::TYPE_ERROR, "too many iterables for map"));
                }
                let mark = self.roots_mark();
                let r = (|| {
                    for (i, slot) in buf.iter_mut().enumerate().take(n) {
                        let sub = self.tuple_get(its, i);
                        let v = self.iter_next(sub)?;
                        if v == Obj::STOP {
                            return Ok(Obj::STOP);
                        }
                        self.root(v)?;
                        *slot = v;
                    }
                    self.call(f, &buf[..n], Obj::NULL)
                })();
                self.unroot_to(mark);
                r
            }
            TypeId::FILTER => {
                let f = self.heap.get_obj(it, 1);
                let inner = self.heap.get_obj(it, 2);
                loop {
                    let v = self.iter_next(inner)?;
                    if v == Obj::STOP {
                        return Ok(Obj::STOP);
                    }
                    let mark = self.roots_mark();
                    self.root(v)?;
                    let keep = if f == Obj::NONE {
                        self.is_true(v)
                    } else {
                        self.call(f, &[v], Obj::NULL).and_then(|r| self.is_true(r))
                    };
                    self.unroot_to(mark);
                    if keep? {
                        return Ok(v);
                    }
                }
            }
            TypeId::REVERSED => {
                let seq = self.heap.get_obj(it, 1);
                let n = self.heap.get_int(it, 2);
                if n == 0 {
                    return Ok(Obj::STOP);
                }
                self.heap.set_int(it, 2, n - 1);
                let idx = Obj::small_unchecked(n as isize - 1);
                self.subscr(seq, idx)
            }
            TypeId::CALL_ITER => {
                let f = self.heap.get_obj(it, 1);
                let sentinel = self.heap.get_obj(it, 2);
                let v = self.call(f, &[], Obj::NULL)?;
                if self.equal(v, sentinel)? {
                    return Ok(Obj::STOP);
                }
                Ok(v)
            }
            TypeId::INSTANCE | TypeId::EXC => {
                let m = match self.lookup_special(it, q!("__next__")) {
                    Some(m) => m,
                    None => return Err(self.not_iterator(it)),
                };
                match self.call(m, &[it], Obj::NULL) {
                    Ok(v) => Ok(v),
                    Err(e) => {
                        if self.exception_matches(self.pending, TypeId::STOP_ITERATION) {
                            self.pending = Obj::NULL;
                            Ok(Obj::STOP)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
            _ => Err(self.not_iterator(it)),
        }
    }

    /// `next(o)` checking that `o` is an iterator.
    pub(crate) fn iter_next_checked(&mut self, o: Obj) -> PyResult<Obj> {
        self.iter_next(o)
    }

    fn not_iterator(&mut self, o: Obj) -> crate::PyErr {
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[Fmt::S("'"), Fmt::T(o), Fmt::S("' object isn't an iterator")],
        )
    }

    /// Operators on dict views (`in`, set operations on keys views).
    pub(crate) fn dict_view_binary_op(
        &mut self,
        op: upyc_bytecode::opcode::BinaryOp,
        a: Obj,
        b: Obj,
    ) -> PyResult<Option<Obj>> {
        use upyc_bytecode::opcode::BinaryOp as B;
        let d = self.heap.get_obj(a, 1);
        let kind = self.heap.get_int(a, 2);
        match op {
            B::Contains => match kind {
                VIEW_KEYS => Ok(Some(Obj::bool(self.dict_get(d, b)?.is_some()))),
                VIEW_ITEMS => {
                    let mut kv = [Obj::NULL; 2];
                    if self.items(b).is_none_or(|it| it.len != 2) {
                        return Ok(Some(Obj::FALSE));
                    }
                    self.unpack_into(b, &mut kv)?;
                    match self.dict_get(d, kv[0])? {
                        Some(v) => Ok(Some(Obj::bool(self.equal(v, kv[1])?))),
                        None => Ok(Some(Obj::FALSE)),
                    }
                }
                _ => Ok(None),
            },
            B::Equal if kind != VIEW_VALUES => {
                let s1 = self.set_from_iter(TypeId::SET, a)?;
                self.root(s1)?;
                let s2 = self.set_from_iter(TypeId::SET, b)?;
                self.root(s2)?;
                self.set_binary_op(op, s1, s2)
            }
            B::And | B::Or | B::Xor | B::Subtract if kind != VIEW_VALUES => {
                let s1 = self.set_from_iter(TypeId::SET, a)?;
                self.root(s1)?;
                let s2 = self.set_from_iter(TypeId::SET, b)?;
                self.root(s2)?;
                self.set_binary_op(op, s1, s2)
            }
            _ => Ok(None),
        }
    }
}

/// `dict_keys([...])` etc.
pub fn print_dict_view(vm: &mut Vm, out: Out, v: Obj) -> PyResult<()> {
    let kind = vm.heap.get_int(v, 2);
    let name: &[u8] = match kind {
        VIEW_KEYS => b"dict_keys(",
        VIEW_VALUES => b"dict_values(",
        _ => b"dict_items(",
    };
    vm.out(out, name)?;
    let l = vm.list_from_iter(v)?;
    vm.root(l)?;
    vm.print_obj(out, l, true)?;
    vm.out(out, b")")
}

/// `enumerate(iterable, start=0)`.
pub fn make_enumerate(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let start = match args.get(1) {
        Some(&s) => s,
        None => vm
            .kwarg(kw, q!("start"))?
            .unwrap_or(Obj::small_unchecked(0)),
    };
    let it = vm.get_iter(args[0])?;
    new_iter3(vm, TypeId::ENUMERATE, it, start)
}

/// `zip(*iterables)`.
pub fn make_zip(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let t = vm.alloc_tuple(args.len())?;
    vm.root(t)?;
    for (i, &a) in args.iter().enumerate() {
        let it = vm.get_iter(a)?;
        vm.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, it);
    }
    let z = vm.alloc(TypeId::ZIP, 0, 2)?;
    vm.heap.set_obj(z, 1, t);
    Ok(z)
}

/// `map(f, *iterables)`.
pub fn make_map(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.len() < 2 {
        return Err(vm.raise(TypeId::TYPE_ERROR, "map() must have at least two arguments"));
    }
    let t = vm.alloc_tuple(args.len() - 1)?;
    vm.root(t)?;
    for (i, &a) in args[1..].iter().enumerate() {
        let it = vm.get_iter(a)?;
        vm.heap.set_obj(t, crate::obj::tuple::T_ITEMS + i, it);
    }
    new_iter3(vm, TypeId::MAP, args[0], t)
}

/// `filter(f, iterable)`.
pub fn make_filter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let it = vm.get_iter(args[1])?;
    new_iter3(vm, TypeId::FILTER, args[0], it)
}

/// `reversed(seq)`.
pub fn make_reversed(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let s = args[0];
    if let Some(m) = vm.lookup_special(s, q!("__reversed__")) {
        return vm.call(m, &[s], Obj::NULL);
    }
    let seq = if vm.is_dict(s) || vm.tid_of(s) == TypeId::DICT_VIEW {
        vm.list_from_iter(s)?
    } else {
        s
    };
    vm.root(seq)?;
    let n = vm.len(seq)?;
    let r = vm.alloc(TypeId::REVERSED, 0, 3)?;
    vm.heap.set_obj(r, 1, seq);
    vm.heap.set_int(r, 2, n);
    Ok(r)
}
