//! `dict` (insertion-ordered hash table), also the storage of `set`, module globals,
//! class and instance attribute dicts.
//!
//! Corresponds to MicroPython's `py/objdict.c` and `py/map.c`.
//!
//! Layout: `[header, length, table]`, the table (`DICT_TABLE`, NULL while empty) is
//! `[header, index size, entries used, index[index size], (key, value)[capacity]]`:
//! an open-addressing index (triangular probing, see `probe_next`; slot = entry number + 1,
//! 0 = empty) into an array of entries kept in insertion order; deleted entries keep their
//! slot with the key `Obj::DELETED` until the next resize compacts them. Capacity is 3/4 of
//! the index size.
//!
//! Where we differ: MicroPython's dicts are unordered (ordered only for `OrderedDict`
//! and small maps); ours keep insertion order like CPython's, so iteration order matches
//! CPython output.

use crate::builtins::{method, method_class, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Vm};
use crate::{q, PyResult};

const T_NINDEX: usize = 1;
const T_NUSED: usize = 2;
const T_INDEX: usize = 3;

fn capacity(n_index: usize) -> usize {
    n_index - n_index / 4
}

/// The index slot probed after slot `i`: 1, 2, 3 ... slots further on (triangular steps visit
/// every slot of a power-of-two index once). Linear probing built long runs where hashes
/// cluster (consecutive small ints, strs that differ in their last characters) and where
/// deleted entries pile up: `dict.get` of an absent key looked at about 9 slots in the
/// dict/class benchmark.
#[cfg_attr(target_pointer_width = "64", inline(always))]
#[cfg_attr(not(target_pointer_width = "64"), inline)]
fn probe_next(i: usize, step: &mut usize, mask: usize) -> usize {
    *step += 1;
    i.wrapping_add(*step) & mask
}

impl<'h> Vm<'h> {
    /// A new empty dict with room for `n` entries.
    pub fn dict_new(&mut self, n: usize) -> PyResult<Obj> {
        self.dict_like_new(TypeId::DICT, n)
    }

    pub(crate) fn dict_like_new(&mut self, tid: TypeId, n: usize) -> PyResult<Obj> {
        let d = self.alloc(tid, 0, 3)?;
        self.heap.set_int(d, 1, 0);
        if n > 0 {
            let mark = self.roots_mark();
            self.root(d)?;
            let t = self.dict_table_new(n);
            self.unroot_to(mark);
            self.heap.set_obj(d, 2, t?);
        }
        Ok(d)
    }

    fn dict_table_new(&mut self, n: usize) -> PyResult<Obj> {
        let mut n_index = 4;
        while capacity(n_index) < n {
            n_index *= 2;
        }
        let cap = capacity(n_index);
        let t = self.alloc(TypeId::DICT_TABLE, 0, T_INDEX + n_index + 2 * cap)?;
        self.heap.set_int(t, T_NINDEX, n_index);
        self.heap.set_int(t, T_NUSED, 0);
        for i in 0..n_index {
            self.heap.set_int(t, T_INDEX + i, 0);
        }
        Ok(t)
    }

    /// Whether `o` is a dict (exactly; subclasses use their native base).
    pub(crate) fn is_dict(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::DICT
    }

    /// Whether `d` has the dict layout (dict, set, frozenset).
    #[inline]
    pub(crate) fn is_dict_like(&self, d: Obj) -> bool {
        d.is_heap()
            && matches!(
                self.heap.tid(d),
                TypeId::DICT | TypeId::SET | TypeId::FROZENSET
            )
    }

    /// The table of a dict-like object (NULL if empty or not dict-like).
    #[inline]
    fn table(&self, d: Obj) -> Obj {
        if self.is_dict_like(d) {
            self.heap.get_obj(d, 2)
        } else {
            Obj::NULL
        }
    }

    fn not_a_dict(&mut self) -> crate::PyErr {
        self.raise(TypeId::TYPE_ERROR, "expected dict")
    }

    /// Number of entries.
    pub fn dict_len(&self, d: Obj) -> usize {
        if !self.is_dict_like(d) {
            return 0;
        }
        self.heap.get_int(d, 1)
    }

    /// Number of entry slots used (live and deleted): iterate `0..dict_used(d)` with
    /// [`Vm::dict_entry`].
    pub fn dict_used(&self, d: Obj) -> usize {
        let t = self.table(d);
        if t.is_null() {
            0
        } else {
            self.heap.get_int(t, T_NUSED)
        }
    }

    /// Entry `i` as (key, value), or `None` if it is deleted or out of range.
    pub fn dict_entry(&self, d: Obj, i: usize) -> Option<(Obj, Obj)> {
        let t = self.table(d);
        if t.is_null() || i >= self.heap.get_int(t, T_NUSED) {
            return None;
        }
        let e = T_INDEX + self.heap.get_int(t, T_NINDEX) + 2 * i;
        let k = self.heap.get_obj(t, e);
        if k == Obj::DELETED || k.is_null() {
            return None;
        }
        Some((k, self.heap.get_obj(t, e + 1)))
    }

    /// Find `key`: `(entry index, index slot)` if present, else `(None, free slot)`.
    fn dict_find(&mut self, d: Obj, key: Obj) -> PyResult<(Option<usize>, usize)> {
        if !self.is_dict_like(d) {
            return Err(self.not_a_dict());
        }
        let t = self.heap.get_obj(d, 2);
        if t.is_null() {
            return Ok((None, 0));
        }
        let h = self.hash(key)?;
        // Re-read the table: hashing may have run Python code.
        let t = self.heap.get_obj(d, 2);
        if t.is_null() {
            return Ok((None, 0));
        }
        let n_index = self.heap.get_int(t, T_NINDEX);
        let mask = n_index - 1;
        let mut i = h & mask;
        let mut step = 0;
        for _ in 0..n_index {
            let slot = self.heap.get_int(t, T_INDEX + i);
            if slot == 0 {
                return Ok((None, i));
            }
            let e = slot - 1;
            let k = self.heap.get_obj(t, T_INDEX + n_index + 2 * e);
            if k == key {
                return Ok((Some(e), i));
            }
            if k != Obj::DELETED && self.keys_maybe_equal(k, key) && self.equal(k, key)? {
                // The table may have changed under a user __eq__; only trust a stable one.
                if self.heap.get_obj(d, 2) == t {
                    return Ok((Some(e), i));
                }
                return self.dict_find(d, key);
            }
            i = probe_next(i, &mut step, mask);
        }
        Ok((None, usize::MAX))
    }

    /// Cheap pre-check before calling `equal` on two dict keys.
    fn keys_maybe_equal(&self, a: Obj, b: Obj) -> bool {
        if a.is_small() && b.is_small() {
            return false;
        }
        if a.is_qstr() && b.is_qstr() {
            return false;
        }
        true
    }

    /// `d[key]` if present.
    pub fn dict_get(&mut self, d: Obj, key: Obj) -> PyResult<Option<Obj>> {
        let (e, _) = self.dict_find(d, key)?;
        Ok(e.map(|e| self.entry_value(d, e)))
    }

    fn entry_value(&self, d: Obj, e: usize) -> Obj {
        let t = self.heap.get_obj(d, 2);
        let n_index = self.heap.get_int(t, T_NINDEX);
        self.heap.get_obj(t, T_INDEX + n_index + 2 * e + 1)
    }

    /// Look up a qstr key without running Python code (str keys compare by text).
    ///
    /// The entry remembered in the VM's lookup cache for the executing instruction is
    /// tried first; a hit found by searching is remembered there.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    pub fn dict_get_q(&self, d: Obj, q: crate::Qstr) -> Option<Obj> {
        let (t, i) = self.dict_slot_q(d, q)?;
        Some(self.heap.get_obj(t, i))
    }

    /// `d[q] = v` when `d` already has the qstr key `q` (true), as [`Vm::dict_get_q`]
    /// finds it; false (nothing written) when it has not.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    pub(crate) fn dict_replace_q(&mut self, d: Obj, q: crate::Qstr, v: Obj) -> bool {
        match self.dict_slot_q(d, q) {
            Some((t, i)) => {
                self.heap.set_obj(t, i, v);
                true
            }
            None => false,
        }
    }

    /// Where the value of qstr key `q` is: (table, word index).
    ///
    /// The lookup-cache hit (most lookups of a name at one bytecode position) is inlined
    /// into the callers on 64-bit hosts; the search is out of line. (On 32-bit targets the
    /// whole lookup stays one function: flash.)
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    fn dict_slot_q(&self, d: Obj, q: crate::Qstr) -> Option<(Obj, usize)> {
        let t = self.table(d);
        if t.is_null() {
            return None;
        }
        let key = Obj::qstr(q);
        if let Some(c) = self.map_cache.get(self.cache_slot) {
            let e = c.get() as usize;
            if e < self.heap.get_int(t, T_NUSED) {
                let at = T_INDEX + self.heap.get_int(t, T_NINDEX) + 2 * e;
                if self.heap.get_obj(t, at) == key {
                    return Some((t, at + 1));
                }
            }
        }
        self.dict_search_q(t, key)
    }

    /// [`Vm::dict_slot_q`] past the lookup cache: search table `t` for qstr `key`.
    #[cfg_attr(target_pointer_width = "64", inline(never))]
    fn dict_search_q(&self, t: Obj, key: Obj) -> Option<(Obj, usize)> {
        let n_index = self.heap.get_int(t, T_NINDEX);
        let cache = self.map_cache.get(self.cache_slot);
        let h = self.str_hash(key);
        let mask = n_index.wrapping_sub(1);
        let mut i = h & mask;
        let mut step = 0;
        for _ in 0..n_index {
            let slot = self.heap.get_int(t, T_INDEX + i);
            if slot == 0 {
                return None;
            }
            let e = T_INDEX + n_index + 2 * (slot - 1);
            let k = self.heap.get_obj(t, e);
            if k == key || (!k.is_qstr() && self.is_str(k) && self.str_eq(k, key)) {
                if let (Some(c), Ok(b)) = (cache, u8::try_from(slot - 1)) {
                    c.set(b);
                }
                return Some((t, e + 1));
            }
            i = probe_next(i, &mut step, mask);
        }
        None
    }

    /// `d[key] = value` (key and value must be rooted by the caller).
    pub fn dict_set(&mut self, d: Obj, key: Obj, value: Obj) -> PyResult<()> {
        let (e, _) = self.dict_find(d, key)?;
        if let Some(e) = e {
            let t = self.heap.get_obj(d, 2);
            let n_index = self.heap.get_int(t, T_NINDEX);
            self.heap.set_obj(t, T_INDEX + n_index + 2 * e + 1, value);
            return Ok(());
        }
        // Make room, then insert without calling Python again (hash is re-computed, but
        // hashes of keys are stable).
        let t = self.heap.get_obj(d, 2);
        let need_grow = t.is_null() || {
            let n_index = self.heap.get_int(t, T_NINDEX);
            self.heap.get_int(t, T_NUSED) >= capacity(n_index)
        };
        if need_grow {
            let mark = self.roots_mark();
            self.root(key)?;
            self.root(value)?;
            let r = self.dict_resize(d, self.dict_len(d) + 1);
            self.unroot_to(mark);
            r?;
        }
        let h = self.hash(key)?;
        let t = self.heap.get_obj(d, 2);
        self.dict_insert_new(d, t, key, value, h);
        Ok(())
    }

    /// `d[q] = v` for a qstr key `q` that `d` is known not to have (a miss of
    /// [`Vm::dict_replace_q`] just before), when its table has room: true. False (nothing
    /// written): it has no table yet or it is full ([`Vm::dict_set`] makes room).
    pub(crate) fn dict_add_q(&mut self, d: Obj, q: crate::Qstr, v: Obj) -> bool {
        let t = self.table(d);
        if t.is_null() || self.heap.get_int(t, T_NUSED) >= capacity(self.heap.get_int(t, T_NINDEX))
        {
            return false;
        }
        let key = Obj::qstr(q);
        let h = self.str_hash(key);
        self.dict_insert_new(d, t, key, v, h);
        true
    }

    /// The first empty index slot of table `t` (index size `n_index`) on the probe path of
    /// hash `h` (a table with room has one).
    fn free_slot(&self, t: Obj, n_index: usize, h: usize) -> usize {
        let mask = n_index.wrapping_sub(1);
        let mut i = h & mask;
        let mut step = 0;
        for _ in 0..n_index {
            if self.heap.get_int(t, T_INDEX + i) == 0 {
                break;
            }
            i = probe_next(i, &mut step, mask);
        }
        i
    }

    /// Append entry (key, value) with hash `h` to table `t` of `d`, which has room for it
    /// and has no such key.
    fn dict_insert_new(&mut self, d: Obj, t: Obj, key: Obj, value: Obj, h: usize) {
        let n_index = self.heap.get_int(t, T_NINDEX);
        let used = self.heap.get_int(t, T_NUSED);
        let i = self.free_slot(t, n_index, h);
        self.heap.set_int(t, T_INDEX + i, used + 1);
        let e = T_INDEX + n_index + 2 * used;
        self.heap.set_obj(t, e, key);
        self.heap.set_obj(t, e + 1, value);
        self.heap.set_int(t, T_NUSED, used + 1);
        self.dict_inserts = self.dict_inserts.wrapping_add(1);
        let n = self.dict_len(d);
        self.heap.set_int(d, 1, n + 1);
    }

    /// Rebuild the table with room for `n` live entries (compacting deleted ones).
    fn dict_resize(&mut self, d: Obj, n: usize) -> PyResult<()> {
        let mark = self.roots_mark();
        self.root(d)?;
        let r = self.dict_resize_inner(d, n);
        self.unroot_to(mark);
        r
    }

    fn dict_resize_inner(&mut self, d: Obj, n: usize) -> PyResult<()> {
        let old = self.heap.get_obj(d, 2);
        let nt = self.dict_table_new(n.max(self.dict_len(d) * 2).max(3))?;
        self.root(nt)?;
        let n_index = self.heap.get_int(nt, T_NINDEX);
        let mut used = 0;
        if !old.is_null() {
            let old_index = self.heap.get_int(old, T_NINDEX);
            let old_used = self.heap.get_int(old, T_NUSED);
            for e in 0..old_used {
                let oe = T_INDEX + old_index + 2 * e;
                let k = self.heap.get_obj(old, oe);
                if k == Obj::DELETED || k.is_null() {
                    continue;
                }
                let v = self.heap.get_obj(old, oe + 1);
                let h = self.hash(k)?;
                let i = self.free_slot(nt, n_index, h);
                self.heap.set_int(nt, T_INDEX + i, used + 1);
                let ne = T_INDEX + n_index + 2 * used;
                self.heap.set_obj(nt, ne, k);
                self.heap.set_obj(nt, ne + 1, v);
                used += 1;
            }
        }
        self.heap.set_int(nt, T_NUSED, used);
        // (Not new keys, but a new table: count it too, to be safe.)
        self.dict_inserts = self.dict_inserts.wrapping_add(1);
        if self.heap.get_obj(d, 2) == old && !old.is_null() {
            self.heap.free(old);
        }
        self.heap.set_obj(d, 2, nt);
        Ok(())
    }

    /// Remove `key`, returning its value if it was present.
    pub fn dict_del(&mut self, d: Obj, key: Obj) -> PyResult<Option<Obj>> {
        let (e, _) = self.dict_find(d, key)?;
        let e = match e {
            Some(e) => e,
            None => return Ok(None),
        };
        let t = self.heap.get_obj(d, 2);
        let n_index = self.heap.get_int(t, T_NINDEX);
        let ei = T_INDEX + n_index + 2 * e;
        let v = self.heap.get_obj(t, ei + 1);
        self.heap.set_obj(t, ei, Obj::DELETED);
        self.heap.set_obj(t, ei + 1, Obj::NULL);
        let n = self.dict_len(d);
        self.heap.set_int(d, 1, n - 1);
        Ok(Some(v))
    }

    /// Remove every entry.
    pub fn dict_clear(&mut self, d: Obj) {
        if !self.is_dict_like(d) {
            return;
        }
        self.heap.set_int(d, 1, 0);
        self.heap.set_obj(d, 2, Obj::NULL);
    }

    /// A copy of a dict (or set).
    pub(crate) fn dict_copy(&mut self, d: Obj) -> PyResult<Obj> {
        let tid = self.heap.tid(d);
        let n = self.dict_len(d);
        let nd = self.dict_like_new(tid, n)?;
        let mark = self.roots_mark();
        self.root(nd)?;
        let r = (|| {
            for i in 0..self.dict_used(d) {
                if let Some((k, v)) = self.dict_entry(d, i) {
                    self.dict_set(nd, k, v)?;
                }
            }
            Ok(nd)
        })();
        self.unroot_to(mark);
        r
    }

    /// `d.update(other)` for a dict or an iterable of pairs.
    pub(crate) fn dict_update(&mut self, d: Obj, other: Obj) -> PyResult<()> {
        let other_d = self.native_base(other, TypeId::DICT);
        if self.is_dict(other_d) {
            let mut i = 0;
            while i < self.dict_used(other_d) {
                if let Some((k, v)) = self.dict_entry(other_d, i) {
                    self.dict_set(d, k, v)?;
                }
                i += 1;
            }
            return Ok(());
        }
        // An object with keys() (a mapping) or an iterable of pairs.
        let mark = self.roots_mark();
        let r = (|| {
            let it = self.get_iter(other)?;
            self.root(it)?;
            loop {
                let pair = self.iter_next(it)?;
                if pair == Obj::STOP {
                    return Ok(());
                }
                let m2 = self.roots_mark();
                self.root(pair)?;
                let mut kv = [Obj::NULL; 2];
                self.unpack_into(pair, &mut kv).map_err(|e| {
                    let _ = e;
                    self.raise(
                        TypeId::VALUE_ERROR,
                        "dictionary update sequence element has wrong length",
                    )
                })?;
                self.root(kv[0])?;
                self.root(kv[1])?;
                self.dict_set(d, kv[0], kv[1])?;
                self.unroot_to(m2);
            }
        })();
        self.unroot_to(mark);
        r
    }
}

fn self_dict(vm: &mut Vm, args: &[Obj]) -> PyResult<Obj> {
    let d = match args.first() {
        Some(&d) => vm.native_base(d, TypeId::DICT),
        None => Obj::NULL,
    };
    if vm.is_dict(d) {
        Ok(d)
    } else {
        Err(vm.raise(TypeId::TYPE_ERROR, "expected dict"))
    }
}

/// Raise `KeyError(key)`.
pub(crate) fn key_error(vm: &mut Vm, key: Obj) -> crate::PyErr {
    match crate::obj::exception::new(vm, Obj::type_obj(TypeId::KEY_ERROR), &[key]) {
        Ok(e) => vm.raise_obj(e),
        Err(e) => e,
    }
}

fn get(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let d = self_dict(vm, args)?;
    Ok(vm
        .dict_get(d, args[1])?
        .unwrap_or(args.get(2).copied().unwrap_or(Obj::NONE)))
}

fn pop(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let d = self_dict(vm, args)?;
    match vm.dict_del(d, args[1])? {
        Some(v) => Ok(v),
        None => match args.get(2) {
            Some(&dflt) => Ok(dflt),
            None => Err(key_error(vm, args[1])),
        },
    }
}

fn popitem(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let d = self_dict(vm, args)?;
    let mut i = vm.dict_used(d);
    while i > 0 {
        i -= 1;
        if let Some((k, v)) = vm.dict_entry(d, i) {
            let t = vm.new_tuple(&[k, v])?;
            let mark = vm.roots_mark();
            vm.root(t)?;
            let r = vm.dict_del(d, k);
            vm.unroot_to(mark);
            r?;
            return Ok(t);
        }
    }
    Err(vm.raise(TypeId::KEY_ERROR, "popitem(): dictionary is empty"))
}

fn setdefault(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let d = self_dict(vm, args)?;
    if let Some(v) = vm.dict_get(d, args[1])? {
        return Ok(v);
    }
    let v = args.get(2).copied().unwrap_or(Obj::NONE);
    vm.dict_set(d, args[1], v)?;
    Ok(v)
}

fn update(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let d = self_dict(vm, args)?;
    if let Some(&o) = args.get(1) {
        vm.dict_update(d, o)?;
    }
    if !kw.is_null() {
        vm.dict_update(d, kw)?;
    }
    Ok(Obj::NONE)
}

fn clear(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let d = self_dict(vm, args)?;
    vm.dict_clear(d);
    Ok(Obj::NONE)
}

fn copy(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let d = self_dict(vm, args)?;
    vm.dict_copy(d)
}

fn view(vm: &mut Vm, args: &[Obj], kind: usize) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let d = self_dict(vm, args)?;
    crate::obj::iter::new_dict_view(vm, d, kind)
}

fn keys(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    view(vm, args, crate::obj::iter::VIEW_KEYS)
}

fn values(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    view(vm, args, crate::obj::iter::VIEW_VALUES)
}

fn items(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    view(vm, args, crate::obj::iter::VIEW_ITEMS)
}

fn fromkeys(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let v = args.get(2).copied().unwrap_or(Obj::NONE);
    let d = vm.dict_new(0)?;
    let mark = vm.roots_mark();
    vm.root(d)?;
    let r = (|| {
        let it = vm.get_iter(args[1])?;
        vm.root(it)?;
        let slot = vm.root(Obj::NULL)?;
        loop {
            let k = vm.iter_next(it)?;
            if k == Obj::STOP {
                return Ok(d);
            }
            vm.set_rooted(slot, k);
            vm.dict_set(d, k, v)?;
        }
    })();
    vm.unroot_to(mark);
    r
}

/// `dict` methods.
pub static METHODS: [NativeDef; 12] = [
    // `dict.__init__(self, [other], **kw)` does what `update` does.
    method(q!("__init__"), update),
    method(q!("clear"), clear),
    method(q!("copy"), copy),
    method_class(q!("fromkeys"), fromkeys),
    method(q!("get"), get),
    method(q!("items"), items),
    method(q!("keys"), keys),
    method(q!("pop"), pop),
    method(q!("popitem"), popitem),
    method(q!("setdefault"), setdefault),
    method(q!("update"), update),
    method(q!("values"), values),
];

/// `d[key]` with KeyError.
pub(crate) fn subscr(vm: &mut Vm, d: Obj, key: Obj) -> PyResult<Obj> {
    match vm.dict_get(d, key)? {
        Some(v) => Ok(v),
        None => Err(key_error(vm, key)),
    }
}

/// Raise TypeError "unhashable type: 'X'".
pub(crate) fn unhashable(vm: &mut Vm, o: Obj) -> crate::PyErr {
    vm.raise_fmt(
        TypeId::TYPE_ERROR,
        &[Fmt::S("unhashable type: '"), Fmt::T(o), Fmt::S("'")],
    )
}
