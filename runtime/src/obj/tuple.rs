//! `tuple`, and the sequence helpers shared with `list`.
//!
//! Corresponds to MicroPython's `py/objtuple.c` (and `py/sequence.c` for the shared
//! comparison, repetition and slicing logic).
//!
//! Layout: `[header, length, items...]` (length tagged as a small int).

use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::PyResult;

/// Word index of the first item.
pub const T_ITEMS: usize = 2;

/// A view of a tuple's or list's items: item `i` is word `first + i` of `base`.
#[derive(Clone, Copy)]
pub struct Items {
    /// The object holding the item words (the tuple, or the list's array).
    pub base: Obj,
    /// Word index of item 0.
    pub first: usize,
    /// Number of items.
    pub len: usize,
}

impl<'h> Vm<'h> {
    /// A new tuple with these items.
    /// The items are rooted while the tuple is allocated.
    pub fn new_tuple(&mut self, items: &[Obj]) -> PyResult<Obj> {
        let t = match self.alloc_fast(TypeId::TUPLE, 0, T_ITEMS + items.len()) {
            // No collection: the items need no rooting (a dict's items() makes a 2-tuple
            // per step of the loop).
            Some(t) => {
                self.heap.set_int(t, 1, items.len());
                t
            }
            None => {
                let mark = self.roots_mark();
                for &x in items.iter().take(16) {
                    self.root(x)?;
                }
                let t = self.alloc_tuple(items.len());
                self.unroot_to(mark);
                t?
            }
        };
        for (i, &x) in items.iter().enumerate() {
            self.heap.set_obj(t, T_ITEMS + i, x);
        }
        Ok(t)
    }

    /// A new tuple of `n` items, all NULL (fill before exposing it).
    pub(crate) fn alloc_tuple(&mut self, n: usize) -> PyResult<Obj> {
        let t = self.alloc(TypeId::TUPLE, 0, T_ITEMS + n)?;
        self.heap.set_int(t, 1, n);
        Ok(t)
    }

    /// A new tuple holding `n` items copied from another items view (source rooted).
    pub(crate) fn tuple_from_items(
        &mut self,
        src: Items,
        start: usize,
        end: usize,
    ) -> PyResult<Obj> {
        let n = end.saturating_sub(start);
        let t = self.alloc_tuple(n)?;
        for i in 0..n {
            let x = self.heap.get_obj(src.base, src.first + start + i);
            self.heap.set_obj(t, T_ITEMS + i, x);
        }
        Ok(t)
    }

    /// The items of a tuple or list (`None` for other objects).
    pub fn items(&self, o: Obj) -> Option<Items> {
        if !o.is_heap() {
            return None;
        }
        match self.heap.tid(o) {
            TypeId::TUPLE => Some(Items {
                base: o,
                first: T_ITEMS,
                len: self.heap.get_int(o, 1),
            }),
            TypeId::LIST => Some(Items {
                base: self.heap.get_obj(o, 2),
                first: crate::obj::list::A_ITEMS,
                len: self.heap.get_int(o, 1),
            }),
            _ => None,
        }
    }

    /// Item `i` of an items view (NULL out of range).
    #[inline]
    pub fn item(&self, it: Items, i: usize) -> Obj {
        if i < it.len {
            self.heap.get_obj(it.base, it.first + i)
        } else {
            Obj::NULL
        }
    }

    /// Number of items of a tuple.
    pub fn tuple_len(&self, t: Obj) -> usize {
        if !self.is_tuple(t) {
            return 0;
        }
        self.heap.get_int(t, 1)
    }

    /// Item `i` of a tuple.
    pub fn tuple_get(&self, t: Obj, i: usize) -> Obj {
        self.heap.get_obj(t, T_ITEMS + i)
    }

    /// Whether `o` is a tuple.
    pub(crate) fn is_tuple(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::TUPLE
    }

    /// Lexicographic comparison of two sequences for `op` (`<`, `<=`, `>`, `>=`, `==`).
    pub(crate) fn seq_compare(
        &mut self,
        op: upyc_bytecode::opcode::BinaryOp,
        a: Obj,
        b: Obj,
    ) -> PyResult<bool> {
        use upyc_bytecode::opcode::BinaryOp as B;
        let (ia, ib) = match (self.items(a), self.items(b)) {
            (Some(x), Some(y)) => (x, y),
            _ => return Ok(false),
        };
        if op == B::Equal && ia.len != ib.len {
            return Ok(false);
        }
        let mut i = 0;
        loop {
            // Re-read: a comparison may have run Python code that changed a list.
            let (ia, ib) = match (self.items(a), self.items(b)) {
                (Some(x), Some(y)) => (x, y),
                _ => return Ok(false),
            };
            if i >= ia.len || i >= ib.len {
                let (la, lb) = (ia.len, ib.len);
                return Ok(match op {
                    B::Less => la < lb,
                    B::LessEqual => la <= lb,
                    B::More => la > lb,
                    B::MoreEqual => la >= lb,
                    _ => la == lb,
                });
            }
            let (x, y) = (self.item(ia, i), self.item(ib, i));
            if !self.equal(x, y)? {
                if op == B::Equal {
                    return Ok(false);
                }
                let r = self.binary_op(op, x, y)?;
                return self.is_true(r);
            }
            i += 1;
        }
    }

    /// `hash(tuple)`.
    pub(crate) fn tuple_hash(&mut self, t: Obj) -> PyResult<usize> {
        if self.print_depth >= crate::print::MAX_PRINT_DEPTH * 2 {
            return Err(self.recursion_error());
        }
        self.print_depth += 1;
        let r = self.tuple_hash_inner(t);
        self.print_depth -= 1;
        r
    }

    fn tuple_hash_inner(&mut self, t: Obj) -> PyResult<usize> {
        let n = self.tuple_len(t);
        let mut h: usize = 0x345678 ^ n;
        for i in 0..n {
            let x = self.tuple_get(t, i);
            let hx = self.hash(x)?;
            h = h.wrapping_mul(1000003) ^ hx;
        }
        Ok(h & (usize::MAX >> 2))
    }
}

fn tuple_new(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let cls = args[0];
    if vm.is_user_class(cls) {
        return vm.make_instance(cls, &crate::vm::CallArgs::slice(&args[1..]));
    }
    vm.call(cls, &args[1..], Obj::NULL)
}

/// `tuple` methods.
pub static METHODS: [crate::builtins::NativeDef; 3] = [
    crate::builtins::function(crate::q!("__new__"), tuple_new),
    crate::builtins::method(crate::q!("count"), crate::obj::list::seq_count),
    crate::builtins::method(crate::q!("index"), crate::obj::list::seq_index),
];
