//! `set` and `frozenset`.
//!
//! Corresponds to MicroPython's `py/objset.c`.
//!
//! Layout: the dict layout ([`crate::obj::dict`]) with the keys as elements and NULL
//! values; iteration follows insertion order.
//!
//! Where we differ: MicroPython's sets iterate in hash-table order, CPython's in its own
//! hash order; ours in insertion order (programs that print sets should sort them).

use crate::builtins::{method, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::{q, PyResult};
use upyc_bytecode::opcode::BinaryOp;

impl<'h> Vm<'h> {
    /// A new empty set (`tid` SET or FROZENSET).
    pub(crate) fn set_new(&mut self, tid: TypeId) -> PyResult<Obj> {
        self.dict_like_new(tid, 0)
    }

    /// Whether `o` is a set or frozenset.
    pub(crate) fn is_set(&self, o: Obj) -> bool {
        o.is_heap() && matches!(self.heap.tid(o), TypeId::SET | TypeId::FROZENSET)
    }

    /// Add an element.
    pub(crate) fn set_add(&mut self, s: Obj, x: Obj) -> PyResult<()> {
        if self.dict_get(s, x)?.is_some() {
            return Ok(());
        }
        self.dict_set(s, x, Obj::NONE)
    }

    /// A set of the items of an iterable.
    pub(crate) fn set_from_iter(&mut self, tid: TypeId, it: Obj) -> PyResult<Obj> {
        let s = self.set_new(tid)?;
        let mark = self.roots_mark();
        let r = (|| {
            self.root(s)?;
            let iter = self.get_iter(it)?;
            self.root(iter)?;
            let slot = self.root(Obj::NULL)?;
            loop {
                let x = self.iter_next(iter)?;
                if x == Obj::STOP {
                    return Ok(s);
                }
                self.set_rooted(slot, x);
                self.set_add(s, x)?;
            }
        })();
        self.unroot_to(mark);
        r
    }

    fn set_contains(&mut self, s: Obj, x: Obj) -> PyResult<bool> {
        // A set element being looked up may itself be a (mutable) set: use frozenset hash.
        if x.is_heap() && self.heap.tid(x) == TypeId::SET {
            let f = self.set_from_iter(TypeId::FROZENSET, x)?;
            self.root(f)?;
            return Ok(self.dict_get(s, f)?.is_some());
        }
        Ok(self.dict_get(s, x)?.is_some())
    }

    fn set_issubset(&mut self, a: Obj, b: Obj) -> PyResult<bool> {
        let mut i = 0;
        while i < self.dict_used(a) {
            if let Some((k, _)) = self.dict_entry(a, i) {
                if !self.set_contains(b, k)? {
                    return Ok(false);
                }
            }
            i += 1;
        }
        Ok(true)
    }

    /// Set operators.
    pub(crate) fn set_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        if op == B::Contains {
            return self.set_contains(a, b).map(|r| Some(Obj::bool(r)));
        }
        if !self.is_set(b) {
            return Ok(None);
        }
        let tid = self.heap.tid(a);
        match op {
            B::Equal => {
                let r = self.dict_len(a) == self.dict_len(b) && self.set_issubset(a, b)?;
                Ok(Some(Obj::bool(r)))
            }
            B::LessEqual => self.set_issubset(a, b).map(|r| Some(Obj::bool(r))),
            B::MoreEqual => self.set_issubset(b, a).map(|r| Some(Obj::bool(r))),
            B::Less => {
                let r = self.dict_len(a) < self.dict_len(b) && self.set_issubset(a, b)?;
                Ok(Some(Obj::bool(r)))
            }
            B::More => {
                let r = self.dict_len(a) > self.dict_len(b) && self.set_issubset(b, a)?;
                Ok(Some(Obj::bool(r)))
            }
            B::Or
            | B::And
            | B::Subtract
            | B::Xor
            | B::InplaceOr
            | B::InplaceAnd
            | B::InplaceSubtract
            | B::InplaceXor => {
                let inplace = matches!(
                    op,
                    B::InplaceOr | B::InplaceAnd | B::InplaceSubtract | B::InplaceXor
                );
                let r = self.set_op(tid, crate::obj::int::normal_op(op), a, b)?;
                if inplace && tid == TypeId::SET {
                    // Replace a's contents with the result.
                    let t = self.heap.get_obj(r, 2);
                    let n = self.heap.get_int(r, 1);
                    self.heap.set_obj(a, 2, t);
                    self.heap.set_int(a, 1, n);
                    return Ok(Some(a));
                }
                Ok(Some(r))
            }
            _ => Ok(None),
        }
    }

    fn set_op(&mut self, tid: TypeId, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Obj> {
        let r = self.set_new(tid)?;
        let mark = self.roots_mark();
        let res = (|| {
            self.root(r)?;
            let mut i = 0;
            while i < self.dict_used(a) {
                if let Some((k, _)) = self.dict_entry(a, i) {
                    let inb = self.set_contains(b, k)?;
                    let keep = match op {
                        BinaryOp::Or => true,
                        BinaryOp::And => inb,
                        _ => !inb,
                    };
                    if keep {
                        self.set_add(r, k)?;
                    }
                }
                i += 1;
            }
            if matches!(op, BinaryOp::Or | BinaryOp::Xor) {
                let mut i = 0;
                while i < self.dict_used(b) {
                    if let Some((k, _)) = self.dict_entry(b, i) {
                        if op == BinaryOp::Or || !self.set_contains(a, k)? {
                            self.set_add(r, k)?;
                        }
                    }
                    i += 1;
                }
            }
            Ok(r)
        })();
        self.unroot_to(mark);
        res
    }
}

/// `set(iterable)`.
pub fn make_set(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        Some(&x) => vm.set_from_iter(TypeId::SET, x),
        None => vm.set_new(TypeId::SET),
    }
}

/// `frozenset(iterable)`.
pub fn make_frozenset(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    match args.first() {
        Some(&x) if x.is_heap() && vm.heap.tid(x) == TypeId::FROZENSET => Ok(x),
        Some(&x) => vm.set_from_iter(TypeId::FROZENSET, x),
        None => vm.set_new(TypeId::FROZENSET),
    }
}

fn self_set(vm: &mut Vm, args: &[Obj]) -> PyResult<Obj> {
    match args.first() {
        Some(&s) if vm.is_set(s) => Ok(s),
        Some(&s) => {
            let b = vm.native_base(s, TypeId::SET);
            if vm.is_set(b) {
                Ok(b)
            } else {
                Err(vm.raise(TypeId::TYPE_ERROR, "expected set"))
            }
        }
        None => Err(vm.raise(TypeId::TYPE_ERROR, "expected set")),
    }
}

fn add(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    vm.set_add(s, args[1])?;
    Ok(Obj::NONE)
}

fn discard(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    vm.dict_del(s, args[1])?;
    Ok(Obj::NONE)
}

fn remove(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    if vm.dict_del(s, args[1])?.is_none() {
        return Err(crate::obj::dict::key_error(vm, args[1]));
    }
    Ok(Obj::NONE)
}

fn pop(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let s = self_set(vm, args)?;
    let mut i = 0;
    while i < vm.dict_used(s) {
        if let Some((k, _)) = vm.dict_entry(s, i) {
            vm.dict_del(s, k)?;
            return Ok(k);
        }
        i += 1;
    }
    Err(vm.raise(TypeId::KEY_ERROR, "pop from an empty set"))
}

fn clear(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let s = self_set(vm, args)?;
    vm.dict_clear(s);
    Ok(Obj::NONE)
}

fn copy(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let s = self_set(vm, args)?;
    vm.dict_copy(s)
}

fn with_set_args(vm: &mut Vm, args: &[Obj], op: BinaryOp) -> PyResult<Obj> {
    let s = self_set(vm, args)?;
    let tid = vm.heap.tid(s);
    let mut acc = s;
    let slot = vm.root(acc)?;
    for &o in &args[1..] {
        let mark = vm.roots_mark();
        let other = if vm.is_set(o) {
            o
        } else {
            vm.set_from_iter(TypeId::SET, o)?
        };
        vm.root(other)?;
        acc = vm.set_op(tid, op, acc, other)?;
        vm.set_rooted(slot, acc);
        vm.unroot_to(mark);
    }
    if args.len() == 1 {
        return vm.dict_copy(s);
    }
    Ok(acc)
}

fn union(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    with_set_args(vm, args, BinaryOp::Or)
}

fn intersection(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    with_set_args(vm, args, BinaryOp::And)
}

fn difference(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    with_set_args(vm, args, BinaryOp::Subtract)
}

fn symmetric_difference(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    with_set_args(vm, args, BinaryOp::Xor)
}

fn update_with(vm: &mut Vm, args: &[Obj], op: BinaryOp) -> PyResult<Obj> {
    let s = self_set(vm, args)?;
    let r = with_set_args(vm, args, op)?;
    let t = vm.heap.get_obj(r, 2);
    let n = vm.heap.get_int(r, 1);
    vm.heap.set_obj(s, 2, t);
    vm.heap.set_int(s, 1, n);
    Ok(Obj::NONE)
}

fn update(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let s = self_set(vm, args)?;
    for &o in &args[1..] {
        let mark = vm.roots_mark();
        let it = vm.get_iter(o)?;
        vm.root(it)?;
        let slot = vm.root(Obj::NULL)?;
        loop {
            let x = vm.iter_next(it)?;
            if x == Obj::STOP {
                break;
            }
            vm.set_rooted(slot, x);
            vm.set_add(s, x)?;
        }
        vm.unroot_to(mark);
    }
    Ok(Obj::NONE)
}

fn intersection_update(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    update_with(vm, args, BinaryOp::And)
}

fn difference_update(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    update_with(vm, args, BinaryOp::Subtract)
}

fn symmetric_difference_update(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    update_with(vm, args, BinaryOp::Xor)
}

fn other_set(vm: &mut Vm, o: Obj) -> PyResult<Obj> {
    if vm.is_set(o) {
        return Ok(o);
    }
    let s = vm.set_from_iter(TypeId::SET, o)?;
    vm.root(s)?;
    Ok(s)
}

fn issubset(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    let o = other_set(vm, args[1])?;
    vm.set_issubset(s, o).map(Obj::bool)
}

fn issuperset(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    let o = other_set(vm, args[1])?;
    vm.set_issubset(o, s).map(Obj::bool)
}

fn isdisjoint(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let s = self_set(vm, args)?;
    let o = other_set(vm, args[1])?;
    let r = vm.set_op(TypeId::SET, BinaryOp::And, s, o)?;
    Ok(Obj::bool(vm.dict_len(r) == 0))
}

/// `set` methods.
pub static METHODS: [NativeDef; 17] = [
    method(q!("add"), add),
    method(q!("clear"), clear),
    method(q!("copy"), copy),
    method(q!("difference"), difference),
    method(q!("difference_update"), difference_update),
    method(q!("discard"), discard),
    method(q!("intersection"), intersection),
    method(q!("intersection_update"), intersection_update),
    method(q!("isdisjoint"), isdisjoint),
    method(q!("issubset"), issubset),
    method(q!("issuperset"), issuperset),
    method(q!("pop"), pop),
    method(q!("remove"), remove),
    method(q!("symmetric_difference"), symmetric_difference),
    method(
        q!("symmetric_difference_update"),
        symmetric_difference_update,
    ),
    method(q!("union"), union),
    method(q!("update"), update),
];

/// `frozenset` methods.
pub static FROZEN_METHODS: [NativeDef; 8] = [
    method(q!("copy"), copy),
    method(q!("difference"), difference),
    method(q!("intersection"), intersection),
    method(q!("isdisjoint"), isdisjoint),
    method(q!("issubset"), issubset),
    method(q!("issuperset"), issuperset),
    method(q!("symmetric_difference"), symmetric_difference),
    method(q!("union"), union),
];
