//! `bytes` and `bytearray`.
//!
//! Corresponds to MicroPython's `py/objstr.c` (bytes share the str code) and
//! `py/objarray.c` (bytearray).
//!
//! Layouts: bytes as str ([`crate::obj::str`]); bytearray `[header, length, data]` where
//! data is a bytes-layout buffer with spare capacity.
//!
//! `bytearray` and `memoryview` are the `bytearray` feature; without it their constructors
//! raise `NotImplementedError`. The str methods marked `str-extra` in
//! [`crate::obj::strmethods`] are left out of the bytes tables too.

use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::PyResult;
use upyc_bytecode::opcode::BinaryOp;

/// Bytes from a constructor argument: int (zeros), str + encoding, buffer, or iterable.
fn bytes_content(vm: &mut Vm, args: &[Obj], kw: Obj, tid: TypeId) -> PyResult<Obj> {
    let x = match args.first() {
        Some(&x) => x,
        None => return vm.new_str_like(tid, b""),
    };
    if vm.is_str(x) {
        let enc = args
            .get(1)
            .copied()
            .or(vm.kwarg(kw, crate::q!("encoding"))?);
        if enc.is_none() {
            return Err(vm.raise(TypeId::TYPE_ERROR, "string argument without an encoding"));
        }
        let r = vm.str_ref(x).unwrap_or(crate::obj::str::SRef::Static(b""));
        let n = r.len();
        return vm.new_str_from_ref(tid, r, 0, n);
    }
    if let Some(r) = vm.buffer_ref(x) {
        let n = r.len();
        return vm.new_str_from_ref(tid, r, 0, n);
    }
    if let Some(n) = vm.small_of(x) {
        if n < 0 {
            return Err(vm.raise(TypeId::VALUE_ERROR, "negative count"));
        }
        let o = vm.alloc_str(tid, n as usize)?;
        vm.str_finish(o);
        return Ok(o);
    }
    let l = vm.list_from_iter(x)?;
    vm.root(l)?;
    let n = vm.list_len(l);
    let o = vm.alloc_str(tid, n)?;
    for i in 0..n {
        let v = vm.list_get(l, i);
        let b = match vm.small_of(v) {
            Some(b) if (0..256).contains(&b) => b as u8,
            _ => return Err(vm.raise(TypeId::VALUE_ERROR, "bytes value out of range")),
        };
        vm.heap.bytes_mut(Vm::str_data(o) + i, 1)[0] = b;
    }
    vm.str_finish(o);
    Ok(o)
}

/// `bytes(...)`.
pub fn make_bytes(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 3)?;
    if let Some(&x) = args.first() {
        if vm.is_bytes(x) {
            return Ok(x);
        }
        if let Some(m) = vm.lookup_special(x, q!("__bytes__")) {
            return vm.call(m, &[x], Obj::NULL);
        }
    }
    bytes_content(vm, args, kw, TypeId::BYTES)
}

/// `bytearray(...)`.
#[cfg(feature = "bytearray")]
pub fn make_bytearray(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 3)?;
    let data = bytes_content(vm, args, kw, TypeId::BYTES)?;
    vm.root(data)?;
    let n = vm.heap.get(data, 2);
    let ba = vm.alloc(TypeId::BYTEARRAY, 0, 3)?;
    vm.heap.set_int(ba, 1, n);
    vm.heap.set_obj(ba, 2, data);
    Ok(ba)
}

#[cfg(feature = "bytearray")]
impl<'h> Vm<'h> {
    fn bytearray_push(&mut self, ba: Obj, b: &[u8]) -> PyResult<()> {
        let data = self.heap.get_obj(ba, 2);
        let n = self.heap.get_int(ba, 1);
        let cap = self
            .heap
            .alloc_size(data)
            .saturating_sub(crate::obj::str::STR_DATA * crate::gc::WORD);
        let data = if n + b.len() > cap {
            let want = (n + b.len()).max(cap * 2).max(8);
            let nd = self.realloc(
                data,
                crate::obj::str::STR_DATA + want.div_ceil(crate::gc::WORD),
            )?;
            self.heap.set_obj(ba, 2, nd);
            nd
        } else {
            data
        };
        self.heap
            .bytes_mut(Vm::str_data(data) + n, b.len())
            .copy_from_slice(b);
        self.heap.set_int(ba, 1, n + b.len());
        self.heap.set(data, 2, n + b.len());
        Ok(())
    }

    /// bytearray subscript load (`v` = SENTINEL) or store/delete.
    pub(crate) fn bytearray_subscr(&mut self, ba: Obj, idx: Obj, v: Obj) -> PyResult<Obj> {
        let n = self.heap.get_int(ba, 1);
        let data = self.heap.get_obj(ba, 2);
        if self.is_slice(idx) {
            let (a, b, s) = self.slice_indices(idx, n)?;
            if v == Obj::SENTINEL {
                if s != 1 {
                    return Err(self.raise(
                        TypeId::NOT_IMPLEMENTED_ERROR,
                        "only slices with step=1 (aka None) are supported",
                    ));
                }
                let r = crate::obj::str::SRef::Heap(Vm::str_data(data), n);
                let bytes =
                    self.new_str_from_ref(TypeId::BYTES, r, a as usize, b.max(a) as usize)?;
                self.root(bytes)?;
                return make_bytearray(self, &[bytes], Obj::NULL);
            }
            if s != 1 {
                return Err(self.raise(
                    TypeId::NOT_IMPLEMENTED_ERROR,
                    "only slices with step=1 (aka None) are supported",
                ));
            }
            let (a, b) = (a as usize, b.max(a) as usize);
            let src = if v.is_null() {
                self.new_bytes(b"")?
            } else {
                bytes_content(self, &[v], Obj::NULL, TypeId::BYTES)?
            };
            self.root(src)?;
            let m = self.heap.get(src, 2);
            let old = b - a;
            let newn = n - old + m;
            // Make room, move the tail, copy the new bytes in.
            if newn > n {
                let extra = [0u8; 1];
                for _ in n..newn {
                    self.bytearray_push(ba, &extra)?;
                }
            }
            let data = self.heap.get_obj(ba, 2);
            let off = Vm::str_data(data);
            self.heap.copy_within(off + b, off + a + m, n - b);
            self.heap.copy_within(Vm::str_data(src), off + a, m);
            self.heap.set_int(ba, 1, newn);
            self.heap.set(data, 2, newn);
            return Ok(Obj::NONE);
        }
        let i = match self.normalize_index(idx, n) {
            Some(i) => i,
            None => return Err(self.raise(TypeId::INDEX_ERROR, "bytearray index out of range")),
        };
        if v == Obj::SENTINEL {
            let b = self.heap.bytes(Vm::str_data(data) + i, 1)[0];
            return Ok(Obj::small_unchecked(b as isize));
        }
        if v.is_null() {
            let off = Vm::str_data(data);
            self.heap.copy_within(off + i + 1, off + i, n - i - 1);
            self.heap.set_int(ba, 1, n - 1);
            self.heap.set(data, 2, n - 1);
            return Ok(Obj::NONE);
        }
        let b = match self.small_of(v) {
            Some(b) if (0..256).contains(&b) => b as u8,
            _ => return Err(self.raise(TypeId::VALUE_ERROR, "bytes value out of range")),
        };
        self.heap.bytes_mut(Vm::str_data(data) + i, 1)[0] = b;
        Ok(Obj::NONE)
    }

    /// bytearray operators.
    pub(crate) fn bytearray_binary_op(
        &mut self,
        op: BinaryOp,
        a: Obj,
        b: Obj,
    ) -> PyResult<Option<Obj>> {
        match op {
            BinaryOp::InplaceAdd => {
                let r = match self.buffer_ref(b) {
                    Some(r) => r,
                    None => return Ok(None),
                };
                let mut tmp = [0u8; 64];
                let mut off = 0;
                while off < r.len() {
                    let n = (r.len() - off).min(64);
                    tmp[..n].copy_from_slice(&self.sbytes(r)[off..off + n]);
                    self.bytearray_push(a, &tmp[..n])?;
                    off += n;
                }
                Ok(Some(a))
            }
            BinaryOp::Equal
            | BinaryOp::Add
            | BinaryOp::Contains
            | BinaryOp::Less
            | BinaryOp::More => {
                let data = self.heap.get_obj(a, 2);
                let n = self.heap.get_int(a, 1);
                let bytes = self.new_str_from_ref(
                    TypeId::BYTES,
                    crate::obj::str::SRef::Heap(Vm::str_data(data), n),
                    0,
                    n,
                )?;
                self.root(bytes)?;
                let bb = if self.tid_of(b) == TypeId::BYTEARRAY {
                    let d2 = self.heap.get_obj(b, 2);
                    let n2 = self.heap.get_int(b, 1);
                    let x = self.new_str_from_ref(
                        TypeId::BYTES,
                        crate::obj::str::SRef::Heap(Vm::str_data(d2), n2),
                        0,
                        n2,
                    )?;
                    self.root(x)?;
                    x
                } else {
                    b
                };
                let r = self.type_binary_op(op, bytes, bb)?;
                if op == BinaryOp::Add {
                    if let Some(r) = r {
                        self.root(r)?;
                        return make_bytearray(self, &[r], Obj::NULL).map(Some);
                    }
                }
                Ok(r)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(feature = "bytearray")]
fn ba_append(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let b = match vm.small_of(args[1]) {
        Some(b) if (0..256).contains(&b) => b as u8,
        _ => return Err(vm.raise(TypeId::VALUE_ERROR, "bytes value out of range")),
    };
    vm.bytearray_push(args[0], &[b])?;
    Ok(Obj::NONE)
}

#[cfg(feature = "bytearray")]
fn ba_extend(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let data = bytes_content(vm, &args[1..], Obj::NULL, TypeId::BYTES)?;
    vm.root(data)?;
    vm.bytearray_binary_op(BinaryOp::InplaceAdd, args[0], data)?;
    Ok(Obj::NONE)
}

fn decode(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let r = match vm.buffer_ref(args[0]) {
        Some(r) => r,
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "expected bytes")),
    };
    if core::str::from_utf8(vm.sbytes(r)).is_err() {
        return Err(vm.raise(TypeId::UNICODE_ERROR, "invalid utf-8"));
    }
    let n = r.len();
    vm.new_str_from_ref(TypeId::STR, r, 0, n)
}

fn hex(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let r = vm
        .buffer_ref(args[0])
        .unwrap_or(crate::obj::str::SRef::Static(b""));
    let n = r.len();
    let o = vm.alloc_str(TypeId::STR, 2 * n)?;
    let digits = b"0123456789abcdef";
    for i in 0..n {
        let b = vm.sbytes(r)[i];
        let d = vm.heap.bytes_mut(Vm::str_data(o) + 2 * i, 2);
        d[0] = digits[(b >> 4) as usize];
        d[1] = digits[(b & 15) as usize];
    }
    vm.str_finish(o);
    Ok(o)
}

use crate::builtins::{method, method_class, NativeDef};
use crate::q;

#[cfg(feature = "bytearray")]
impl<'h> Vm<'h> {
    /// memoryview subscript load (`v` = SENTINEL) or store.
    pub(crate) fn memview_subscr(&mut self, mv: Obj, idx: Obj, v: Obj) -> PyResult<Obj> {
        let base = self.heap.get_obj(mv, 1);
        let start = self.heap.get_int(mv, 2);
        let n = self.heap.get_int(mv, 3);
        let readonly = self.tid_of(base) != TypeId::BYTEARRAY;
        if self.is_slice(idx) {
            let (a, b, s) = self.slice_indices(idx, n)?;
            if s != 1 {
                return Err(self.raise(
                    TypeId::NOT_IMPLEMENTED_ERROR,
                    "only slices with step=1 (aka None) are supported",
                ));
            }
            let (a, b) = (a as usize, b.max(a) as usize);
            if v == Obj::SENTINEL {
                let o = self.alloc(TypeId::MEMVIEW, 0, 4)?;
                self.heap.set_obj(o, 1, base);
                self.heap.set_int(o, 2, start + a);
                self.heap.set_int(o, 3, b - a);
                return Ok(o);
            }
            if readonly || v.is_null() {
                return Err(self.raise(
                    TypeId::TYPE_ERROR,
                    "'memoryview' object doesn't support item assignment",
                ));
            }
            let r = match self.buffer_ref(v) {
                Some(r) => r,
                None => {
                    return Err(
                        self.raise(TypeId::TYPE_ERROR, "object with buffer protocol required")
                    )
                }
            };
            if r.len() != b - a {
                return Err(self.raise(
                    TypeId::VALUE_ERROR,
                    "memoryview assignment: lvalue and rvalue have different structures",
                ));
            }
            let data = self.heap.get_obj(base, 2);
            self.copy_sref(r, Vm::str_data(data) + start + a);
            return Ok(Obj::NONE);
        }
        let i = match self.normalize_index(idx, n) {
            Some(i) => i,
            None => return Err(self.raise(TypeId::INDEX_ERROR, "index out of range")),
        };
        if v == Obj::SENTINEL {
            let r = self
                .buffer_ref(mv)
                .unwrap_or(crate::obj::str::SRef::Static(b""));
            let b = self.sbytes(r).get(i).copied().unwrap_or(0);
            return Ok(Obj::small_unchecked(b as isize));
        }
        if readonly || v.is_null() {
            return Err(self.raise(
                TypeId::TYPE_ERROR,
                "'memoryview' object doesn't support item assignment",
            ));
        }
        let b = match self.small_of(v) {
            Some(b) if (0..256).contains(&b) => b as u8,
            _ => return Err(self.raise(TypeId::VALUE_ERROR, "bytes value out of range")),
        };
        let data = self.heap.get_obj(base, 2);
        self.heap.bytes_mut(Vm::str_data(data) + start + i, 1)[0] = b;
        Ok(Obj::NONE)
    }
}

/// `memoryview(obj)`.
#[cfg(feature = "bytearray")]
pub fn make_memoryview(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let x = args[0];
    let (base, start, n) = if vm.tid_of(x) == TypeId::MEMVIEW {
        (
            vm.heap.get_obj(x, 1),
            vm.heap.get_int(x, 2),
            vm.heap.get_int(x, 3),
        )
    } else {
        match vm.buffer_ref(x) {
            Some(r) if !vm.is_str(x) => (x, 0, r.len()),
            _ => return Err(vm.raise(TypeId::TYPE_ERROR, "object with buffer protocol required")),
        }
    };
    let o = vm.alloc(TypeId::MEMVIEW, 0, 4)?;
    vm.heap.set_obj(o, 1, base);
    vm.heap.set_int(o, 2, start);
    vm.heap.set_int(o, 3, n);
    Ok(o)
}

fn fromhex(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let r = match vm.str_ref(args[1]) {
        Some(r) => r,
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "fromhex() argument must be str")),
    };
    let mut out = [0u8; 256];
    let sb = vm.sb_new(r.len() / 2)?;
    let mut n = 0;
    let mut hi: Option<u8> = None;
    let len = r.len();
    for i in 0..len {
        let c = vm.sbytes(r)[i];
        if c == b' ' && hi.is_none() {
            continue;
        }
        let d = match (c as char).to_digit(16) {
            Some(d) => d as u8,
            None => return Err(vm.raise(TypeId::VALUE_ERROR, "non-hex digit found")),
        };
        match hi.take() {
            None => hi = Some(d),
            Some(h) => {
                out[n] = h << 4 | d;
                n += 1;
                if n == out.len() {
                    vm.sb_push(sb, &out)?;
                    n = 0;
                }
            }
        }
    }
    if hi.is_some() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "non-hex digit found"));
    }
    vm.sb_push(sb, &out[..n])?;
    let b = vm.sb_finish(sb, TypeId::BYTES)?;
    #[cfg(feature = "bytearray")]
    if args[0] == Obj::type_obj(TypeId::BYTEARRAY) {
        vm.root(b)?;
        return make_bytearray(vm, &[b], Obj::NULL);
    }
    Ok(b)
}

#[cfg(feature = "bytearray")]
fn ba_pop(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let ba = args[0];
    let n = vm.heap.get_int(ba, 1);
    if n == 0 {
        return Err(vm.raise(TypeId::INDEX_ERROR, "pop from empty bytearray"));
    }
    let i = match args.get(1) {
        Some(&i) => match vm.normalize_index(i, n) {
            Some(i) => i,
            None => return Err(vm.raise(TypeId::INDEX_ERROR, "bytearray index out of range")),
        },
        None => n - 1,
    };
    let v = vm.bytearray_subscr(ba, Obj::small_unchecked(i as isize), Obj::SENTINEL)?;
    vm.bytearray_subscr(ba, Obj::small_unchecked(i as isize), Obj::NULL)?;
    Ok(v)
}

#[cfg(feature = "bytearray")]
fn ba_clear(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let data = vm.heap.get_obj(args[0], 2);
    vm.heap.set_int(args[0], 1, 0);
    vm.heap.set(data, 2, 0);
    Ok(Obj::NONE)
}

#[cfg(feature = "bytearray")]
fn ba_reverse(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let data = vm.heap.get_obj(args[0], 2);
    let n = vm.heap.get_int(args[0], 1);
    vm.heap.bytes_mut(Vm::str_data(data), n).reverse();
    Ok(Obj::NONE)
}

#[cfg(feature = "bytearray")]
fn ba_copy(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    make_bytearray(vm, args, Obj::NULL)
}

#[cfg(feature = "bytearray")]
fn mv_tobytes(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    make_bytes(vm, args, Obj::NULL)
}

macro_rules! shared_str_methods {
    ($($extra:expr),* $(,)?) => {
        [
            $($extra,)*
            #[cfg(feature = "str-extra")]
            method(q!("center"), crate::obj::strmethods::center),
            method(q!("count"), crate::obj::strmethods::count),
            method(q!("decode"), decode),
            method(q!("endswith"), crate::obj::strmethods::endswith),
            method(q!("find"), crate::obj::strmethods::find),
            method_class(q!("fromhex"), fromhex),
            method(q!("hex"), hex),
            method(q!("index"), crate::obj::strmethods::index),
            #[cfg(feature = "str-extra")]
            method(q!("isalnum"), crate::obj::strmethods::isalnum),
            method(q!("isalpha"), crate::obj::strmethods::isalpha),
            method(q!("isdigit"), crate::obj::strmethods::isdigit),
            method(q!("islower"), crate::obj::strmethods::islower),
            method(q!("isspace"), crate::obj::strmethods::isspace),
            method(q!("isupper"), crate::obj::strmethods::isupper),
            method(q!("join"), crate::obj::strmethods::join),
            #[cfg(feature = "str-extra")]
            method(q!("ljust"), crate::obj::strmethods::ljust),
            method(q!("lower"), crate::obj::strmethods::lower),
            method(q!("lstrip"), crate::obj::strmethods::lstrip),
            #[cfg(feature = "str-extra")]
            method(q!("partition"), crate::obj::strmethods::partition),
            #[cfg(feature = "str-extra")]
            method(q!("removeprefix"), crate::obj::strmethods::removeprefix),
            #[cfg(feature = "str-extra")]
            method(q!("removesuffix"), crate::obj::strmethods::removesuffix),
            method(q!("replace"), crate::obj::strmethods::replace),
            method(q!("rfind"), crate::obj::strmethods::rfind),
            method(q!("rindex"), crate::obj::strmethods::rindex),
            #[cfg(feature = "str-extra")]
            method(q!("rjust"), crate::obj::strmethods::rjust),
            #[cfg(feature = "str-extra")]
            method(q!("rpartition"), crate::obj::strmethods::rpartition),
            method(q!("rsplit"), crate::obj::strmethods::rsplit),
            method(q!("rstrip"), crate::obj::strmethods::rstrip),
            method(q!("split"), crate::obj::strmethods::split),
            #[cfg(feature = "str-extra")]
            method(q!("splitlines"), crate::obj::strmethods::splitlines),
            method(q!("startswith"), crate::obj::strmethods::startswith),
            method(q!("strip"), crate::obj::strmethods::strip),
            #[cfg(feature = "str-extra")]
            method(q!("swapcase"), crate::obj::strmethods::swapcase),
            #[cfg(feature = "str-extra")]
            method(q!("title"), crate::obj::strmethods::title),
            method(q!("upper"), crate::obj::strmethods::upper),
            #[cfg(feature = "str-extra")]
            method(q!("zfill"), crate::obj::strmethods::zfill),
        ]
    };
}

/// `bytes` methods (the str methods that make sense on bytes, plus these).
pub static METHODS: &[NativeDef] = &shared_str_methods!();

/// `bytearray` methods.
#[cfg(feature = "bytearray")]
pub static BYTEARRAY_METHODS: &[NativeDef] = &shared_str_methods!(
    method(q!("append"), ba_append),
    method(q!("clear"), ba_clear),
    method(q!("copy"), ba_copy),
    method(q!("extend"), ba_extend),
    method(q!("pop"), ba_pop),
    method(q!("reverse"), ba_reverse),
);

/// `memoryview` methods.
#[cfg(feature = "bytearray")]
pub static MEMVIEW_METHODS: [NativeDef; 2] =
    [method(q!("hex"), hex), method(q!("tobytes"), mv_tobytes)];

/// `bytearray` and `memoryview` when the `bytearray` feature is off (as MicroPython's
/// `MICROPY_PY_BUILTINS_BYTEARRAY`/`_MEMORYVIEW` = 0): the constructors raise
/// `NotImplementedError`, so no such object exists and the operations below are never
/// reached with one.
#[cfg(not(feature = "bytearray"))]
mod off {
    use super::*;

    const NOT_BUILT: &str = "bytearray/memoryview support not built in";

    /// `bytearray(...)`: raises.
    pub fn make_bytearray(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
        Err(vm.raise(TypeId::NOT_IMPLEMENTED_ERROR, NOT_BUILT))
    }

    /// `memoryview(...)`: raises.
    pub fn make_memoryview(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
        make_bytearray(vm, &[], Obj::NULL)
    }

    impl<'h> Vm<'h> {
        /// Raises (no bytearray exists).
        pub(crate) fn bytearray_subscr(&mut self, _ba: Obj, _i: Obj, _v: Obj) -> PyResult<Obj> {
            make_bytearray(self, &[], Obj::NULL)
        }

        /// Raises (no memoryview exists).
        pub(crate) fn memview_subscr(&mut self, _mv: Obj, _i: Obj, _v: Obj) -> PyResult<Obj> {
            make_bytearray(self, &[], Obj::NULL)
        }

        /// No operators.
        pub(crate) fn bytearray_binary_op(
            &mut self,
            _op: BinaryOp,
            _a: Obj,
            _b: Obj,
        ) -> PyResult<Option<Obj>> {
            Ok(None)
        }
    }

    /// `bytearray` methods: none.
    pub static BYTEARRAY_METHODS: &[NativeDef] = &[];

    /// `memoryview` methods: none.
    pub static MEMVIEW_METHODS: [NativeDef; 0] = [];
}
#[cfg(not(feature = "bytearray"))]
pub use off::*;
