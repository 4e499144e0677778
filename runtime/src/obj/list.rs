//! `list`.
//!
//! Corresponds to MicroPython's `py/objlist.c`.
//!
//! Layout: `[header, length, items array]`; the array (`ARRAY`) is
//! `[header, capacity, items...]` (counts tagged as small ints), NULL while empty.
//! `sort` is a stable bottom-up merge sort (MicroPython uses a recursive quicksort, which
//! is not stable; CPython's sort is stable, and programs rely on it).

use crate::builtins::{method, NativeDef};
use crate::obj::tuple::Items;
use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Vm};
use crate::{q, PyResult};
use upyc_bytecode::opcode::BinaryOp;

/// Word index of the first item in an `ARRAY`.
pub const A_ITEMS: usize = 2;

impl<'h> Vm<'h> {
    /// A new list with these items.
    /// The items are rooted while the list is allocated.
    pub fn new_list(&mut self, items: &[Obj]) -> PyResult<Obj> {
        let mark = self.roots_mark();
        for &x in items.iter().take(16) {
            self.root(x)?;
        }
        let l = self.alloc(TypeId::LIST, 0, 3);
        self.unroot_to(mark);
        let l = l?;
        self.heap.set_int(l, 1, 0);
        if !items.is_empty() {
            let mark = self.roots_mark();
            self.root(l)?;
            for &x in items.iter().take(16) {
                self.root(x)?;
            }
            let a = self.alloc_array(items.len());
            self.unroot_to(mark);
            let a = a?;
            for (i, &x) in items.iter().enumerate() {
                self.heap.set_obj(a, A_ITEMS + i, x);
            }
            self.heap.set_obj(l, 2, a);
            self.heap.set_int(l, 1, items.len());
        }
        Ok(l)
    }

    /// A new list holding items `[start, end)` of an items view (source rooted).
    pub(crate) fn list_from_items(
        &mut self,
        src: Items,
        start: usize,
        end: usize,
    ) -> PyResult<Obj> {
        let n = end.saturating_sub(start);
        let l = self.new_list(&[])?;
        if n == 0 {
            return Ok(l);
        }
        let mark = self.roots_mark();
        self.root(l)?;
        let a = self.alloc_array(n);
        self.unroot_to(mark);
        let a = a?;
        for i in 0..n {
            let x = self.heap.get_obj(src.base, src.first + start + i);
            self.heap.set_obj(a, A_ITEMS + i, x);
        }
        self.heap.set_obj(l, 2, a);
        self.heap.set_int(l, 1, n);
        Ok(l)
    }

    pub(crate) fn alloc_array(&mut self, cap: usize) -> PyResult<Obj> {
        let a = self.alloc(TypeId::ARRAY, 0, A_ITEMS + cap)?;
        self.heap.set_int(a, 1, cap);
        Ok(a)
    }

    /// Whether `o` is a list.
    pub(crate) fn is_list(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::LIST
    }

    /// Length of a list.
    pub fn list_len(&self, l: Obj) -> usize {
        if !self.is_list(l) {
            return 0;
        }
        self.heap.get_int(l, 1)
    }

    /// Item `i` of a list (NULL out of range).
    pub fn list_get(&self, l: Obj, i: usize) -> Obj {
        if i >= self.list_len(l) {
            return Obj::NULL;
        }
        let a = self.heap.get_obj(l, 2);
        self.heap.get_obj(a, A_ITEMS + i)
    }

    /// Set item `i` of a list (ignored out of range).
    pub fn list_set(&mut self, l: Obj, i: usize, x: Obj) {
        if i < self.list_len(l) {
            let a = self.heap.get_obj(l, 2);
            self.heap.set_obj(a, A_ITEMS + i, x);
        }
    }

    /// Make room for `n` items in total.
    pub(crate) fn list_reserve(&mut self, l: Obj, n: usize) -> PyResult<()> {
        if !self.is_list(l) {
            return Err(self.raise(TypeId::TYPE_ERROR, "expected list"));
        }
        let a = self.heap.get_obj(l, 2);
        let cap = if a.is_null() {
            0
        } else {
            self.heap.get_int(a, 1)
        };
        if n <= cap {
            return Ok(());
        }
        let ncap = n.max(cap + cap / 2 + 2).max(4);
        let na = if a.is_null() {
            let mark = self.roots_mark();
            self.root(l)?;
            let na = self.alloc_array(ncap);
            self.unroot_to(mark);
            na?
        } else {
            let na = self.realloc(a, A_ITEMS + ncap)?;
            self.heap.set_int(na, 1, ncap);
            na
        };
        self.heap.set_obj(l, 2, na);
        Ok(())
    }

    /// `l.append(x)` (x must be rooted by the caller).
    pub fn list_append(&mut self, l: Obj, x: Obj) -> PyResult<()> {
        if !self.is_list(l) {
            return Err(self.raise(TypeId::TYPE_ERROR, "expected list"));
        }
        let n = self.list_len(l);
        if n + 1 > self.list_cap(l) {
            let mark = self.roots_mark();
            self.root(x)?;
            let r = self.list_reserve(l, n + 1);
            self.unroot_to(mark);
            r?;
        }
        let a = self.heap.get_obj(l, 2);
        self.heap.set_obj(a, A_ITEMS + n, x);
        self.heap.set_int(l, 1, n + 1);
        Ok(())
    }

    fn list_cap(&self, l: Obj) -> usize {
        let a = self.heap.get_obj(l, 2);
        if a.is_null() {
            0
        } else {
            self.heap.get_int(a, 1)
        }
    }

    /// Insert `x` before index `i` (clamped).
    pub(crate) fn list_insert(&mut self, l: Obj, i: usize, x: Obj) -> PyResult<()> {
        self.list_append(l, x)?;
        let n = self.list_len(l);
        let i = i.min(n - 1);
        let a = self.heap.get_obj(l, 2);
        let mut j = n - 1;
        while j > i {
            let prev = self.heap.get_obj(a, A_ITEMS + j - 1);
            self.heap.set_obj(a, A_ITEMS + j, prev);
            j -= 1;
        }
        self.heap.set_obj(a, A_ITEMS + i, x);
        Ok(())
    }

    /// Remove and return item `i` (must be in range).
    pub(crate) fn list_remove_at(&mut self, l: Obj, i: usize) -> Obj {
        let n = self.list_len(l);
        let a = self.heap.get_obj(l, 2);
        let x = self.heap.get_obj(a, A_ITEMS + i);
        for j in i..n - 1 {
            let next = self.heap.get_obj(a, A_ITEMS + j + 1);
            self.heap.set_obj(a, A_ITEMS + j, next);
        }
        self.heap.set_obj(a, A_ITEMS + n - 1, Obj::NULL);
        self.heap.set_int(l, 1, n - 1);
        x
    }

    /// Append every item of an iterable.
    pub(crate) fn list_extend(&mut self, l: Obj, iterable: Obj) -> PyResult<()> {
        if let Some(it) = self.items(iterable) {
            let n = self.list_len(l);
            self.list_reserve(l, n + it.len)?;
            // Re-read after a possible reallocation (and in case iterable is l itself).
            let it = self.items(iterable).unwrap_or(it);
            let a = self.heap.get_obj(l, 2);
            for i in 0..it.len {
                let x = self.item(it, i);
                self.heap.set_obj(a, A_ITEMS + n + i, x);
            }
            self.heap.set_int(l, 1, n + it.len);
            return Ok(());
        }
        let mark = self.roots_mark();
        let r = (|| {
            let iter = self.get_iter(iterable)?;
            self.root(iter)?;
            loop {
                let x = self.iter_next(iter)?;
                if x == Obj::STOP {
                    return Ok(());
                }
                self.list_append(l, x)?;
            }
        })();
        self.unroot_to(mark);
        r
    }

    /// A new list of the items of any iterable.
    pub(crate) fn list_from_iter(&mut self, iterable: Obj) -> PyResult<Obj> {
        let l = self.new_list(&[])?;
        let mark = self.roots_mark();
        self.root(l)?;
        let r = self.list_extend(l, iterable);
        self.unroot_to(mark);
        r.map(|_| l)
    }

    /// Sort a list in place (stable), optionally by `key` and reversed.
    pub(crate) fn list_sort(&mut self, l: Obj, key: Obj, reverse: bool) -> PyResult<()> {
        let n = self.list_len(l);
        if n < 2 {
            return Ok(());
        }
        let mark = self.roots_mark();
        let r = self.list_sort_inner(l, n, key, reverse);
        self.unroot_to(mark);
        r
    }

    fn list_sort_inner(&mut self, l: Obj, n: usize, key: Obj, reverse: bool) -> PyResult<()> {
        // keys[i] sorts values[i]; both are permuted together. tmp arrays for merging.
        let vals = self.alloc_array(n)?;
        self.root(vals)?;
        for i in 0..n {
            let x = self.list_get(l, i);
            self.heap.set_obj(vals, A_ITEMS + i, x);
        }
        let keys = if key.is_null() || key == Obj::NONE {
            vals
        } else {
            let k = self.alloc_array(n)?;
            self.root(k)?;
            for i in 0..n {
                let x = self.heap.get_obj(vals, A_ITEMS + i);
                let kx = self.call(key, &[x], Obj::NULL)?;
                self.heap.set_obj(k, A_ITEMS + i, kx);
            }
            k
        };
        let tk = self.alloc_array(n)?;
        self.root(tk)?;
        let tv = if keys == vals {
            tk
        } else {
            let t = self.alloc_array(n)?;
            self.root(t)?;
            t
        };
        let (mut sk, mut sv, mut dk, mut dv) = (keys, vals, tk, tv);
        let mut width = 1;
        while width < n {
            let mut lo = 0;
            while lo < n {
                let mid = (lo + width).min(n);
                let hi = (lo + 2 * width).min(n);
                let (mut i, mut j, mut o) = (lo, mid, lo);
                while i < mid && j < hi {
                    let a = self.heap.get_obj(sk, A_ITEMS + i);
                    let b = self.heap.get_obj(sk, A_ITEMS + j);
                    // Take from the right run only if strictly smaller (stability).
                    let take_right = if reverse {
                        self.less(a, b)?
                    } else {
                        self.less(b, a)?
                    };
                    let src = if take_right { &mut j } else { &mut i };
                    let kx = self.heap.get_obj(sk, A_ITEMS + *src);
                    let vx = self.heap.get_obj(sv, A_ITEMS + *src);
                    *src += 1;
                    self.heap.set_obj(dk, A_ITEMS + o, kx);
                    self.heap.set_obj(dv, A_ITEMS + o, vx);
                    o += 1;
                }
                for src in (i..mid).chain(j..hi) {
                    let kx = self.heap.get_obj(sk, A_ITEMS + src);
                    let vx = self.heap.get_obj(sv, A_ITEMS + src);
                    self.heap.set_obj(dk, A_ITEMS + o, kx);
                    self.heap.set_obj(dv, A_ITEMS + o, vx);
                    o += 1;
                }
                lo = hi;
            }
            core::mem::swap(&mut sk, &mut dk);
            core::mem::swap(&mut sv, &mut dv);
            width *= 2;
        }
        let n_now = self.list_len(l).min(n);
        for i in 0..n_now {
            let x = self.heap.get_obj(sv, A_ITEMS + i);
            self.list_set(l, i, x);
        }
        Ok(())
    }

    /// `a < b` as a bool.
    pub(crate) fn less(&mut self, a: Obj, b: Obj) -> PyResult<bool> {
        if a.is_small() && b.is_small() {
            return Ok(a.small_value() < b.small_value());
        }
        let r = self.binary_op(BinaryOp::Less, a, b)?;
        self.is_true(r)
    }
}

fn self_list(vm: &mut Vm, args: &[Obj]) -> PyResult<Obj> {
    match args.first() {
        Some(&l) if vm.is_list(l) => Ok(l),
        Some(&l) => {
            let l2 = vm.native_base(l, TypeId::LIST);
            if vm.is_list(l2) {
                Ok(l2)
            } else {
                Err(vm.raise(TypeId::TYPE_ERROR, "expected list"))
            }
        }
        None => Err(vm.raise(TypeId::TYPE_ERROR, "expected list")),
    }
}

fn append(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let l = self_list(vm, args)?;
    vm.list_append(l, args[1])?;
    Ok(Obj::NONE)
}

fn extend(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let l = self_list(vm, args)?;
    vm.list_extend(l, args[1])?;
    Ok(Obj::NONE)
}

fn pop(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let l = self_list(vm, args)?;
    let n = vm.list_len(l);
    if n == 0 {
        return Err(vm.raise(TypeId::INDEX_ERROR, "pop from empty list"));
    }
    let i = match args.get(1) {
        Some(&i) => match vm.normalize_index(i, n) {
            Some(i) => i,
            None => return Err(vm.raise(TypeId::INDEX_ERROR, "list index out of range")),
        },
        None => n - 1,
    };
    Ok(vm.list_remove_at(l, i))
}

fn insert(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 3, 3)?;
    let l = self_list(vm, args)?;
    let n = vm.list_len(l) as isize;
    let mut i = vm.to_isize(args[1])?;
    if i < 0 {
        i = (i + n).max(0);
    }
    vm.list_insert(l, i.min(n) as usize, args[2])?;
    Ok(Obj::NONE)
}

fn find_index(vm: &mut Vm, l: Obj, x: Obj, start: usize, end: usize) -> PyResult<Option<usize>> {
    let mut i = start;
    while i < end.min(vm.list_len(l)) {
        let y = vm.list_get(l, i);
        if vm.equal(y, x)? {
            return Ok(Some(i));
        }
        i += 1;
    }
    Ok(None)
}

fn remove(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let l = self_list(vm, args)?;
    match find_index(vm, l, args[1], 0, usize::MAX)? {
        Some(i) => {
            vm.list_remove_at(l, i);
            Ok(Obj::NONE)
        }
        None => Err(vm.raise(TypeId::VALUE_ERROR, "object not in sequence")),
    }
}

/// `seq.index(x[, start[, end]])` for lists and tuples.
pub(crate) fn seq_index(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 4)?;
    let s = args[0];
    let len = vm.items(s).map_or(0, |it| it.len);
    let start = match args.get(2) {
        Some(&a) => vm.slice_bound(a, len)?,
        None => 0,
    };
    let end = match args.get(3) {
        Some(&a) => vm.slice_bound(a, len)?,
        None => len,
    };
    let mut i = start;
    while i < end {
        let it = match vm.items(s) {
            Some(it) if i < it.len => it,
            _ => break,
        };
        let y = vm.item(it, i);
        if vm.equal(y, args[1])? {
            return Ok(Obj::small_unchecked(i as isize));
        }
        i += 1;
    }
    Err(vm.raise(TypeId::VALUE_ERROR, "object not in sequence"))
}

/// `seq.count(x)` for lists and tuples.
pub(crate) fn seq_count(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let mut n = 0;
    let mut i = 0;
    loop {
        let it = match vm.items(args[0]) {
            Some(it) if i < it.len => it,
            _ => break,
        };
        let y = vm.item(it, i);
        if vm.equal(y, args[1])? {
            n += 1;
        }
        i += 1;
    }
    Ok(Obj::small_unchecked(n))
}

fn reverse(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let l = self_list(vm, args)?;
    let n = vm.list_len(l);
    for i in 0..n / 2 {
        let a = vm.list_get(l, i);
        let b = vm.list_get(l, n - 1 - i);
        vm.list_set(l, i, b);
        vm.list_set(l, n - 1 - i, a);
    }
    Ok(Obj::NONE)
}

fn clear(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let l = self_list(vm, args)?;
    vm.heap.set_int(l, 1, 0);
    vm.heap.set_obj(l, 2, Obj::NULL);
    Ok(Obj::NONE)
}

fn copy(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let l = self_list(vm, args)?;
    let it = vm.items(l).unwrap_or(Items {
        base: Obj::NULL,
        first: 0,
        len: 0,
    });
    vm.list_from_items(it, 0, it.len)
}

fn sort(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let l = self_list(vm, args)?;
    let key = vm.kwarg(kw, q!("key"))?.unwrap_or(Obj::NONE);
    let rev = match vm.kwarg(kw, q!("reverse"))? {
        Some(r) => vm.is_true(r)?,
        None => false,
    };
    vm.check_kwargs(kw, &[q!("key"), q!("reverse")])?;
    vm.list_sort(l, key, rev)?;
    Ok(Obj::NONE)
}

fn init(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let l = self_list(vm, args)?;
    if let Some(&o) = args.get(1) {
        vm.list_extend(l, o)?;
    }
    Ok(Obj::NONE)
}

/// `list` methods.
pub static METHODS: [NativeDef; 12] = [
    method(q!("__init__"), init),
    method(q!("append"), append),
    method(q!("clear"), clear),
    method(q!("copy"), copy),
    method(q!("count"), seq_count),
    method(q!("extend"), extend),
    method(q!("index"), seq_index),
    method(q!("insert"), insert),
    method(q!("pop"), pop),
    method(q!("remove"), remove),
    method(q!("reverse"), reverse),
    method(q!("sort"), sort),
];

/// Raise "list index out of range" etc.
pub(crate) fn index_error(vm: &mut Vm, what: &str) -> crate::PyErr {
    vm.raise_fmt(
        TypeId::INDEX_ERROR,
        &[Fmt::S(what), Fmt::S(" index out of range")],
    )
}
