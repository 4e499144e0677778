//! `range` and `slice`, and slicing of the builtin sequences.
//!
//! Corresponds to MicroPython's `py/objrange.c`, `py/objslice.c` and the slice parts of
//! `py/sequence.c`, `py/objlist.c`, `py/objtuple.c` and `py/objstr.c`.
//!
//! Layouts: range `[header, start, stop, step]`, slice `[header, start, stop, step]`
//! (all objects; range bounds are ints).

use crate::builtins::{getter, method, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Vm};
use crate::{q, PyResult};
use upyc_bytecode::opcode::BinaryOp;

impl<'h> Vm<'h> {
    /// A new slice object.
    pub(crate) fn new_slice(&mut self, start: Obj, stop: Obj, step: Obj) -> PyResult<Obj> {
        let s = self.alloc(TypeId::SLICE, 0, 4)?;
        self.heap.set_obj(s, 1, start);
        self.heap.set_obj(s, 2, stop);
        self.heap.set_obj(s, 3, step);
        Ok(s)
    }

    /// Whether `o` is a slice.
    pub(crate) fn is_slice(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::SLICE
    }

    /// `slice.indices(len)`: (start, stop, step) as CPython computes them.
    pub(crate) fn slice_indices(&mut self, s: Obj, len: usize) -> PyResult<(isize, isize, isize)> {
        let (a, b, c) = (
            self.heap.get_obj(s, 1),
            self.heap.get_obj(s, 2),
            self.heap.get_obj(s, 3),
        );
        let step = if c == Obj::NONE { 1 } else { self.to_isize(c)? };
        if step == 0 {
            return Err(self.raise(TypeId::VALUE_ERROR, "slice step cannot be zero"));
        }
        let len = len as isize;
        let clamp = |v: isize, lo: isize, hi: isize| v.max(lo).min(hi);
        let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
        let start = if a == Obj::NONE {
            if step > 0 {
                lo
            } else {
                hi
            }
        } else {
            let v = self.to_isize(a)?;
            clamp(if v < 0 { v + len } else { v }, lo, hi)
        };
        let stop = if b == Obj::NONE {
            if step > 0 {
                hi
            } else {
                lo
            }
        } else {
            let v = self.to_isize(b)?;
            clamp(if v < 0 { v + len } else { v }, lo, hi)
        };
        Ok((start, stop, step))
    }

    /// Indices selected by (start, stop, step).
    fn slice_count(start: isize, stop: isize, step: isize) -> usize {
        if step > 0 && stop > start {
            ((stop - start + step - 1) / step) as usize
        } else if step < 0 && start > stop {
            ((start - stop - step - 1) / (-step)) as usize
        } else {
            0
        }
    }

    /// `seq[start:stop:step]` for a list or tuple.
    pub(crate) fn seq_slice(
        &mut self,
        o: Obj,
        start: isize,
        stop: isize,
        step: isize,
    ) -> PyResult<Obj> {
        let it = match self.items(o) {
            Some(it) => it,
            None => return Err(self.raise(TypeId::TYPE_ERROR, "expected sequence")),
        };
        let is_list = self.is_list(o);
        if step == 1 {
            let (a, b) = (start as usize, (stop.max(start)) as usize);
            return if is_list {
                self.list_from_items(it, a, b)
            } else {
                self.tuple_from_items(it, a, b)
            };
        }
        let n = Self::slice_count(start, stop, step);
        let t = self.alloc_tuple(n)?;
        let it = self.items(o).unwrap_or(it);
        for k in 0..n {
            let x = self.item(it, (start + k as isize * step) as usize);
            self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + k, x);
        }
        if is_list {
            let mark = self.roots_mark();
            self.root(t)?;
            let ti = self.items(t).unwrap_or(it);
            let r = self.list_from_items(ti, 0, n);
            self.unroot_to(mark);
            return r;
        }
        Ok(t)
    }

    /// `s[slice]` for str and bytes.
    pub(crate) fn str_slice(&mut self, s: Obj, sl: Obj) -> PyResult<Obj> {
        let is_bytes = self.is_bytes(s);
        let tid = if is_bytes { TypeId::BYTES } else { TypeId::STR };
        let n = if is_bytes {
            self.str_bytes(s).len()
        } else {
            self.str_char_len(s)
        };
        let (start, stop, step) = self.slice_indices(sl, n)?;
        let r = self
            .buffer_ref(s)
            .unwrap_or(crate::obj::str::SRef::Static(b""));
        if step == 1 {
            let (a, b) = self.str_char_range(s, start as usize, stop.max(start) as usize);
            return self.new_str_from_ref(tid, r, a, b);
        }
        let count = Self::slice_count(start, stop, step);
        let sb = self.sb_new(count)?;
        let mut k = 0;
        while k < count {
            let ci = (start + k as isize * step) as usize;
            let (a, b) = self.str_char_range(s, ci, ci + 1);
            match r {
                crate::obj::str::SRef::Static(t) => self.sb_push(sb, &t[a..b])?,
                crate::obj::str::SRef::Heap(off, _) => self.sb_push_heap(sb, off + a, b - a)?,
            }
            k += 1;
        }
        self.sb_finish(sb, tid)
    }

    /// `l[slice] = v` / `del l[slice]`.
    pub(crate) fn list_store_slice(&mut self, l: Obj, sl: Obj, v: Obj) -> PyResult<()> {
        let n = self.list_len(l);
        let (start, stop, step) = self.slice_indices(sl, n)?;
        let mark = self.roots_mark();
        let r = (|| {
            if step != 1 {
                let count = Self::slice_count(start, stop, step);
                if v.is_null() {
                    // Delete from the highest index down so indices stay valid.
                    for j in 0..count {
                        let k = if step > 0 { count - 1 - j } else { j };
                        self.list_remove_at(l, (start + k as isize * step) as usize);
                    }
                    return Ok(());
                }
                let src = self.list_from_iter(v)?;
                self.root(src)?;
                if self.list_len(src) != count {
                    return Err(self.raise_fmt(
                        TypeId::VALUE_ERROR,
                        &[
                            Fmt::S("attempt to assign sequence of size "),
                            Fmt::I(self.list_len(src) as isize),
                            Fmt::S(" to extended slice of size "),
                            Fmt::I(count as isize),
                        ],
                    ));
                }
                for k in 0..count {
                    let x = self.list_get(src, k);
                    self.list_set(l, (start + k as isize * step) as usize, x);
                }
                return Ok(());
            }
            let (a, b) = (start as usize, stop.max(start) as usize);
            let src = if v.is_null() {
                self.new_list(&[])?
            } else {
                self.list_from_iter(v)?
            };
            self.root(src)?;
            let m = self.list_len(src);
            let old = b - a;
            let newn = n - old + m;
            if m > old {
                self.list_reserve(l, newn)?;
            }
            let arr = self.heap.get_obj(l, 2);
            // Move the tail.
            if m != old {
                if m > old {
                    let mut i = n;
                    while i > b {
                        i -= 1;
                        let x = self.heap.get_obj(arr, crate::obj::list::A_ITEMS + i);
                        self.heap
                            .set_obj(arr, crate::obj::list::A_ITEMS + i + m - old, x);
                    }
                } else {
                    for i in b..n {
                        let x = self.heap.get_obj(arr, crate::obj::list::A_ITEMS + i);
                        self.heap
                            .set_obj(arr, crate::obj::list::A_ITEMS + i - (old - m), x);
                    }
                }
            }
            for k in 0..m {
                let x = self.list_get(src, k);
                self.heap.set_obj(arr, crate::obj::list::A_ITEMS + a + k, x);
            }
            self.heap.set_int(l, 1, newn);
            Ok(())
        })();
        self.unroot_to(mark);
        r
    }

    /// Length of a range.
    pub(crate) fn range_len(&self, r: Obj) -> usize {
        match self.small_range(r) {
            Some((a, b, s)) => Self::slice_count(a, b, s),
            None => 0,
        }
    }

    /// (start, stop, step) of a range with small-int bounds.
    pub(crate) fn small_range(&self, o: Obj) -> Option<(isize, isize, isize)> {
        if !(o.is_heap() && self.heap.tid(o) == TypeId::RANGE) {
            return None;
        }
        let (a, b, c) = (
            self.heap.get_obj(o, 1),
            self.heap.get_obj(o, 2),
            self.heap.get_obj(o, 3),
        );
        if a.is_small() && b.is_small() && c.is_small() {
            Some((a.small_value(), b.small_value(), c.small_value()))
        } else {
            None
        }
    }

    /// `range[i]` / `range[slice]`.
    pub(crate) fn range_subscr(&mut self, r: Obj, idx: Obj) -> PyResult<Obj> {
        let (a, _b, s) = match self.small_range(r) {
            Some(v) => v,
            None => return Err(self.raise(TypeId::OVERFLOW_ERROR, "range too big")),
        };
        let n = self.range_len(r);
        if self.is_slice(idx) {
            let (st, sp, step) = self.slice_indices(idx, n)?;
            let start = a + st * s;
            let stop = a + sp * s;
            let step = s * step;
            let mark = self.roots_mark();
            let o = self.alloc(TypeId::RANGE, 0, 4);
            self.unroot_to(mark);
            let o = o?;
            self.heap.set_obj(o, 1, Obj::small_unchecked(start));
            self.heap.set_obj(o, 2, Obj::small_unchecked(stop));
            self.heap.set_obj(o, 3, Obj::small_unchecked(step));
            return Ok(o);
        }
        match self.normalize_index(idx, n) {
            Some(i) => Ok(Obj::small_unchecked(a + i as isize * s)),
            None => Err(self.raise(TypeId::INDEX_ERROR, "range object index out of range")),
        }
    }

    /// Operators on ranges (`in`, `==`).
    pub(crate) fn range_binary_op(
        &mut self,
        op: BinaryOp,
        a: Obj,
        b: Obj,
    ) -> PyResult<Option<Obj>> {
        match op {
            BinaryOp::Contains => {
                let (st, sp, s) = match self.small_range(a) {
                    Some(v) => v,
                    None => return Ok(None),
                };
                let v = match self.small_of(b) {
                    Some(v) => v,
                    None => {
                        #[cfg(feature = "float")]
                        if self.is_float(b) {
                            let f = self.float_value(b);
                            if f == crate::obj::float::trunc(f) && crate::obj::float::fabs(f) < 1e18
                            {
                                let v = f as isize;
                                let inr = if s > 0 {
                                    v >= st && v < sp
                                } else {
                                    v <= st && v > sp
                                };
                                return Ok(Some(Obj::bool(inr && (v - st) % s == 0)));
                            }
                        }
                        return Ok(Some(Obj::FALSE));
                    }
                };
                let inr = if s > 0 {
                    v >= st && v < sp
                } else {
                    v <= st && v > sp
                };
                Ok(Some(Obj::bool(inr && (v - st) % s == 0)))
            }
            BinaryOp::Equal => {
                let (x, y) = match (self.small_range(a), self.small_range(b)) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return Ok(Some(Obj::FALSE)),
                };
                let (nx, ny) = (
                    Self::slice_count(x.0, x.1, x.2),
                    Self::slice_count(y.0, y.1, y.2),
                );
                let eq = nx == ny && (nx == 0 || (x.0 == y.0 && (nx == 1 || x.2 == y.2)));
                Ok(Some(Obj::bool(eq)))
            }
            _ => Ok(None),
        }
    }
}

/// `range(stop)` / `range(start, stop[, step])`.
pub fn make_range(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let (mut start, mut stop, mut step) =
        (Obj::small_unchecked(0), args[0], Obj::small_unchecked(1));
    if args.len() >= 2 {
        start = args[0];
        stop = args[1];
    }
    if args.len() == 3 {
        step = args[2];
    }
    for o in [start, stop, step] {
        if !vm.is_int(o) {
            vm.to_isize(o)?;
        }
    }
    let start = Obj::small_unchecked(vm.to_isize(start)?);
    let stop = Obj::small_unchecked(vm.to_isize(stop)?);
    let step = Obj::small_unchecked(vm.to_isize(step)?);
    if step.small_value() == 0 {
        return Err(vm.raise(TypeId::VALUE_ERROR, "zero step"));
    }
    let r = vm.alloc(TypeId::RANGE, 0, 4)?;
    vm.heap.set_obj(r, 1, start);
    vm.heap.set_obj(r, 2, stop);
    vm.heap.set_obj(r, 3, step);
    Ok(r)
}

/// `slice(stop)` / `slice(start, stop[, step])`.
pub fn make_slice(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    match args.len() {
        1 => vm.new_slice(Obj::NONE, args[0], Obj::NONE),
        2 => vm.new_slice(args[0], args[1], Obj::NONE),
        _ => vm.new_slice(args[0], args[1], args[2]),
    }
}

fn r_start(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(vm.heap.get_obj(args[0], 1))
}

fn r_stop(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(vm.heap.get_obj(args[0], 2))
}

fn r_step(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(vm.heap.get_obj(args[0], 3))
}

fn r_count(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let r = vm.range_binary_op(BinaryOp::Contains, args[0], args[1])?;
    Ok(Obj::small_unchecked(isize::from(r == Some(Obj::TRUE))))
}

fn r_index(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let r = vm.range_binary_op(BinaryOp::Contains, args[0], args[1])?;
    if r != Some(Obj::TRUE) {
        return Err(vm.raise_fmt(
            TypeId::VALUE_ERROR,
            &[Fmt::O(args[1]), Fmt::S(" is not in range")],
        ));
    }
    let (a, _, s) = vm.small_range(args[0]).unwrap_or((0, 0, 1));
    let v = vm.small_of(args[1]).unwrap_or(0);
    Ok(Obj::small_unchecked((v - a) / s))
}

fn s_indices(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let n = vm.to_isize(args[1])?.max(0) as usize;
    let (a, b, c) = vm.slice_indices(args[0], n)?;
    vm.new_tuple(&[
        Obj::small_unchecked(a),
        Obj::small_unchecked(b),
        Obj::small_unchecked(c),
    ])
}

/// `range` methods and attributes.
pub static METHODS: [NativeDef; 5] = [
    method(q!("count"), r_count),
    method(q!("index"), r_index),
    getter(q!("start"), r_start),
    getter(q!("step"), r_step),
    getter(q!("stop"), r_stop),
];

/// `slice` methods and attributes.
pub static SLICE_METHODS: [NativeDef; 4] = [
    method(q!("indices"), s_indices),
    getter(q!("start"), r_start),
    getter(q!("step"), r_step),
    getter(q!("stop"), r_stop),
];
