//! `str` and the heap qstr pool; shared helpers for `bytes`.
//!
//! Corresponds to MicroPython's `py/objstr.c`, `py/objstrunicode.c` and `py/qstr.c`
//! (the dynamic pool).
//!
//! Layout (str, bytes, and the string builder `VSTR`, all `LEAF`):
//! `[header, hash, byte length, character count, bytes...]`. The header's `ASCII` flag
//! says byte index = character index. The hash is 0 until something asks for it
//! ([`Vm::hash`] stores it; most strs a program makes are never hashed); pool strs
//! always have it. A qstr is also a str: its text lives in flash (the
//! static and runtime names) or in the heap pool.
//!
//! Qstr pool layout: `[header, count, capacity, index mask, strs[capacity],
//! index[mask + 1]]` (counts tagged as small ints; the index holds `n + 1` for pool entry
//! `n`, 0 for empty).
//!
//! Where we differ: strings are UTF-8 with a cached character count; indexing a non-ASCII
//! str walks it (MicroPython does the same without the cache).

use crate::gc::WORD;
use crate::obj::{header, Obj, TypeId};
use crate::qstr::{self, Qstr, DYN_BASE};
use crate::vm::{Fmt, Vm};
use crate::{PyErr, PyResult};

/// Word index of the first data byte.
pub const STR_DATA: usize = 4;

/// Where a string's bytes live.
#[derive(Clone, Copy)]
pub enum SRef {
    /// In flash (a static or runtime qstr).
    Static(&'static [u8]),
    /// In the heap: byte offset and length.
    Heap(usize, usize),
}

impl SRef {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        match *self {
            SRef::Static(s) => s.len(),
            SRef::Heap(_, n) => n,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

const POOL_HDR: usize = 4;

/// Number of characters in UTF-8 text.
pub fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c & 0xc0 != 0x80).count()
}

/// Byte offset of character `n` in UTF-8 text (`b.len()` if past the end).
pub fn char_to_byte(b: &[u8], n: usize) -> usize {
    let mut seen = 0;
    for (i, &c) in b.iter().enumerate() {
        if c & 0xc0 != 0x80 {
            if seen == n {
                return i;
            }
            seen += 1;
        }
    }
    b.len()
}

impl<'h> Vm<'h> {
    // ------------------------------------------------------------ construction

    /// Allocate a str-like object (`STR`, `BYTES`) with `len` zero bytes of content; fill
    /// it, then call [`Vm::str_finish`].
    pub(crate) fn alloc_str(&mut self, tid: TypeId, len: usize) -> PyResult<Obj> {
        let o = self.alloc(tid, header::LEAF, STR_DATA + len.div_ceil(WORD))?;
        self.heap.set(o, 2, len);
        Ok(o)
    }

    /// Byte offset of a heap str's data.
    #[inline]
    pub(crate) fn str_data(o: Obj) -> usize {
        o.offset() + STR_DATA * WORD
    }

    /// Compute the cached character count and ASCII flag of a filled str (the hash is
    /// left for [`Vm::str_hash_cached`]).
    pub(crate) fn str_finish(&mut self, o: Obj) {
        let len = self.heap.get(o, 2);
        let b = self.heap.bytes(Self::str_data(o), len);
        let tid = self.heap.tid(o);
        let n = if tid == TypeId::STR {
            char_count(b)
        } else {
            len
        };
        let mut flags = header::LEAF;
        if n == len {
            flags |= header::ASCII;
        }
        self.heap.set(o, 0, header::make(tid, flags));
        self.heap.set(o, 1, 0);
        self.heap.set(o, 3, n);
    }

    /// A new str with this text (an existing qstr if there is one).
    pub fn new_str(&mut self, b: &[u8]) -> PyResult<Obj> {
        if b.len() <= 16 {
            if let Some(q) = self.find_qstr(b) {
                return Ok(Obj::qstr(q));
            }
        }
        self.new_str_like(TypeId::STR, b)
    }

    /// A str of one character `c` (ASCII): its qstr if there is one, as [`Vm::new_str`]
    /// finds it, but remembered per character (`s[i]`, `for ch in s` and `chr()` make
    /// these all the time).
    pub(crate) fn char_str(&mut self, c: u8) -> PyResult<Obj> {
        match self.char_qstrs.get(usize::from(c)).copied() {
            Some(u16::MAX) => return self.new_str_like(TypeId::STR, &[c]),
            Some(q) if q != 0 => return Ok(Obj::qstr(Qstr(q))),
            _ => {}
        }
        let found = self.find_qstr(&[c]);
        if let Some(e) = self.char_qstrs.get_mut(usize::from(c)) {
            *e = found.map_or(u16::MAX, |q| q.0);
        }
        match found {
            Some(q) => Ok(Obj::qstr(q)),
            None => self.new_str_like(TypeId::STR, &[c]),
        }
    }

    /// A new `str` or `bytes` object with these bytes.
    pub(crate) fn new_str_like(&mut self, tid: TypeId, b: &[u8]) -> PyResult<Obj> {
        let o = self.alloc_str(tid, b.len())?;
        self.heap
            .bytes_mut(Self::str_data(o), b.len())
            .copy_from_slice(b);
        self.str_finish(o);
        Ok(o)
    }

    /// A new `bytes` object.
    pub fn new_bytes(&mut self, b: &[u8]) -> PyResult<Obj> {
        self.new_str_like(TypeId::BYTES, b)
    }

    /// A new str (or bytes) from bytes in the heap (the source must stay rooted).
    pub(crate) fn new_str_from_heap(
        &mut self,
        tid: TypeId,
        src: usize,
        len: usize,
    ) -> PyResult<Obj> {
        let o = self.alloc_str(tid, len)?;
        self.heap.copy_within(src, Self::str_data(o), len);
        self.str_finish(o);
        Ok(o)
    }

    /// A str (or bytes) from part of a string reference (the source must stay rooted).
    pub(crate) fn new_str_from_ref(
        &mut self,
        tid: TypeId,
        r: SRef,
        start: usize,
        end: usize,
    ) -> PyResult<Obj> {
        let end = end.min(r.len());
        let start = start.min(end);
        match r {
            SRef::Static(s) => {
                let s = &s[start..end];
                if tid == TypeId::STR {
                    self.new_str(s)
                } else {
                    self.new_str_like(tid, s)
                }
            }
            SRef::Heap(off, _) => self.new_str_from_heap(tid, off + start, end - start),
        }
    }

    // ------------------------------------------------------------ access

    /// The text of a str or qstr (`None` for other objects).
    pub fn str_ref(&self, o: Obj) -> Option<SRef> {
        if o.is_qstr() {
            return Some(self.qstr_ref(o.qstr_value()));
        }
        if o.is_heap() && self.heap.tid(o) == TypeId::STR {
            return Some(SRef::Heap(Self::str_data(o), self.heap.get(o, 2)));
        }
        None
    }

    /// The bytes of a str, qstr, bytes or bytearray object.
    pub fn buffer_ref(&self, o: Obj) -> Option<SRef> {
        if o.is_qstr() {
            return Some(self.qstr_ref(o.qstr_value()));
        }
        if o.is_heap() {
            let t = self.heap.tid(o);
            if t == TypeId::STR || t == TypeId::BYTES {
                return Some(SRef::Heap(Self::str_data(o), self.heap.get(o, 2)));
            }
            if t == TypeId::BYTEARRAY {
                let data = self.heap.get_obj(o, 2);
                let len = self.heap.get_int(o, 1);
                return Some(SRef::Heap(Self::str_data(data), len));
            }
            if t == TypeId::MEMVIEW {
                let base = self.heap.get_obj(o, 1);
                let start = self.heap.get_int(o, 2);
                let len = self.heap.get_int(o, 3);
                return match self.buffer_ref(base)? {
                    SRef::Heap(off, n) => Some(SRef::Heap(
                        off + start.min(n),
                        len.min(n.saturating_sub(start)),
                    )),
                    SRef::Static(s) => Some(SRef::Static(s.get(start..start + len).unwrap_or(&[]))),
                };
            }
        }
        None
    }

    /// Whether `o` is a bytes object.
    pub(crate) fn is_bytes(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::BYTES
    }

    /// Whether `o` is a str (heap str or qstr).
    pub(crate) fn is_str(&self, o: Obj) -> bool {
        o.is_qstr() || (o.is_heap() && self.heap.tid(o) == TypeId::STR)
    }

    /// The bytes a string reference names.
    #[inline]
    pub(crate) fn sbytes(&self, r: SRef) -> &[u8] {
        match r {
            SRef::Static(s) => s,
            SRef::Heap(off, len) => self.heap.bytes(off, len),
        }
    }

    /// Bytes of a str-like object (empty for other objects).
    pub(crate) fn str_bytes(&self, o: Obj) -> &[u8] {
        match self.buffer_ref(o) {
            Some(r) => self.sbytes(r),
            None => &[],
        }
    }

    /// Character count of a str.
    pub(crate) fn str_char_len(&self, o: Obj) -> usize {
        if o.is_qstr() {
            return char_count(self.str_bytes(o));
        }
        self.heap.get(o, 3)
    }

    /// Whether a str is all ASCII.
    pub(crate) fn str_is_ascii(&self, o: Obj) -> bool {
        if o.is_qstr() {
            return self.str_bytes(o).is_ascii();
        }
        header::flags(self.heap.header(o)) & header::ASCII != 0
    }

    /// Hash of a str-like object.
    #[inline]
    pub(crate) fn str_hash(&self, o: Obj) -> usize {
        if o.is_qstr() {
            let q = o.qstr_value();
            if q.0 < DYN_BASE {
                return qstr::builtin_hash(q.0 as usize);
            }
            if q.0 >= crate::frozen::QSTR_BASE {
                return self.frozen_qstr_hash(q);
            }
            let s = self.pool_str(q);
            return self.heap.get(s, 1);
        }
        match self.heap.get(o, 1) {
            0 => self.str_hash_text(o),
            h => h,
        }
    }

    /// The hash of a heap str's text (not cached yet).
    #[inline(never)]
    fn str_hash_text(&self, o: Obj) -> usize {
        qstr::hash_bytes(self.str_bytes(o))
    }

    /// [`Vm::str_hash`], computed once: a heap str keeps it (hash values are never 0).
    pub(crate) fn str_hash_cached(&mut self, o: Obj) -> usize {
        let h = self.str_hash(o);
        if o.is_heap() {
            self.heap.set(o, 1, h);
        }
        h
    }

    /// Compare the texts of two str-like objects.
    pub(crate) fn str_eq(&self, a: Obj, b: Obj) -> bool {
        if a.is_qstr() && b.is_qstr() {
            return a == b;
        }
        // Hashes only where both are known: computing one costs as much as comparing.
        let known = |o: Obj| if o.is_heap() { self.heap.get(o, 1) } else { 0 };
        let (ha, hb) = (known(a), known(b));
        if ha != 0 && hb != 0 && ha != hb {
            return false;
        }
        self.str_bytes(a) == self.str_bytes(b)
    }

    // ------------------------------------------------------------ qstrs

    fn pool_str(&self, q: Qstr) -> Obj {
        let Some(i) = q.0.checked_sub(DYN_BASE) else {
            return Obj::NULL;
        };
        let i = i as usize;
        if self.qpool.is_null() || i >= self.heap.get_int(self.qpool, 1) {
            return Obj::NULL;
        }
        self.heap.get_obj(self.qpool, POOL_HDR + i)
    }

    /// The text of a qstr.
    pub fn qstr_ref(&self, q: Qstr) -> SRef {
        if let Some(t) = qstr::builtin_text(q) {
            return SRef::Static(t);
        }
        if q.0 >= crate::frozen::QSTR_BASE {
            return self.frozen_qstr_ref(q);
        }
        let s = self.pool_str(q);
        if s.is_null() {
            return SRef::Static(b"");
        }
        SRef::Heap(Self::str_data(s), self.heap.get(s, 2))
    }

    /// The qstr with this text, if interned.
    pub fn find_qstr(&self, b: &[u8]) -> Option<Qstr> {
        let h = qstr::hash_bytes(b);
        if let Some(q) = qstr::find_builtin(b, h) {
            return Some(q);
        }
        if self.frozen.is_some() {
            if let Some(q) = self.frozen_find_qstr(b) {
                return Some(q);
            }
        }
        self.pool_find(b, h).map(|(q, _)| q)
    }

    /// Look up in the pool: (qstr, index slot) or None.
    fn pool_find(&self, b: &[u8], h: usize) -> Option<(Qstr, usize)> {
        let p = self.qpool;
        if p.is_null() {
            return None;
        }
        let cap = self.heap.get_int(p, 2);
        let mask = self.heap.get_int(p, 3);
        let idx = POOL_HDR + cap;
        let mut i = h & mask;
        for _ in 0..=mask {
            let e = self.heap.get_int(p, idx + i);
            if e == 0 {
                return None;
            }
            let s = self.heap.get_obj(p, POOL_HDR + e - 1);
            if self.heap.get(s, 1) == h
                && self.heap.bytes(Self::str_data(s), self.heap.get(s, 2)) == b
            {
                return Some((Qstr(DYN_BASE + (e - 1) as u16), i));
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Intern text, returning its qstr.
    pub fn intern(&mut self, b: &[u8]) -> PyResult<Qstr> {
        if let Some(q) = self.find_qstr(b) {
            return Ok(q);
        }
        let s = self.new_str_like(TypeId::STR, b)?;
        self.intern_new(s)
    }

    /// Intern a str object (qstr or heap str).
    pub fn intern_obj(&mut self, o: Obj) -> PyResult<Qstr> {
        if o.is_qstr() {
            return Ok(o.qstr_value());
        }
        let r = match self.str_ref(o) {
            Some(r) => r,
            None => return Err(self.raise(TypeId::TYPE_ERROR, "expected str")),
        };
        if let Some(q) = self.find_qstr(self.sbytes(r)) {
            return Ok(q);
        }
        self.intern_new(o)
    }

    /// Add heap str `s` (not yet interned) to the pool.
    fn intern_new(&mut self, s: Obj) -> PyResult<Qstr> {
        let mark = self.roots_mark();
        self.root(s)?;
        let r = self.pool_add(s);
        self.unroot_to(mark);
        r
    }

    fn pool_add(&mut self, s: Obj) -> PyResult<Qstr> {
        self.str_hash_cached(s);
        if let [c] = self.str_bytes(s) {
            // A "no qstr" for this character in the one-character cache is stale now.
            let c = usize::from(*c);
            if let Some(e) = self.char_qstrs.get_mut(c) {
                *e = 0;
            }
        }
        let mut p = self.qpool;
        let (count, cap) = if p.is_null() {
            (0, 0)
        } else {
            (self.heap.get_int(p, 1), self.heap.get_int(p, 2))
        };
        if count + DYN_BASE as usize >= crate::frozen::QSTR_BASE as usize {
            return Err(self.raise(TypeId::RUNTIME_ERROR, "too many qstrs"));
        }
        if count == cap {
            let ncap = (cap * 2).max(16);
            let nmask = ncap * 2 - 1;
            let np = self.alloc(TypeId::QSTR_POOL, 0, POOL_HDR + ncap + nmask + 1)?;
            self.heap.set_int(np, 1, count);
            self.heap.set_int(np, 2, ncap);
            self.heap.set_int(np, 3, nmask);
            for i in 0..=nmask {
                self.heap.set_int(np, POOL_HDR + ncap + i, 0);
            }
            for i in 0..count {
                let e = self.heap.get_obj(p, POOL_HDR + i);
                self.heap.set_obj(np, POOL_HDR + i, e);
                let h = self.heap.get(e, 1);
                let mut j = h & nmask;
                while self.heap.get_int(np, POOL_HDR + ncap + j) != 0 {
                    j = (j + 1) & nmask;
                }
                self.heap.set_int(np, POOL_HDR + ncap + j, i + 1);
            }
            self.qpool = np;
            p = np;
        }
        let cap = self.heap.get_int(p, 2);
        let mask = self.heap.get_int(p, 3);
        self.heap.set_obj(p, POOL_HDR + count, s);
        self.heap.set_int(p, 1, count + 1);
        let h = self.heap.get(s, 1);
        let mut j = h & mask;
        while self.heap.get_int(p, POOL_HDR + cap + j) != 0 {
            j = (j + 1) & mask;
        }
        self.heap.set_int(p, POOL_HDR + cap + j, count + 1);
        Ok(Qstr(DYN_BASE + count as u16))
    }

    /// Text of a qstr copied into a Rust buffer (for host interfaces); truncated to fit.
    pub fn qstr_text<'b>(&self, q: Qstr, buf: &'b mut [u8]) -> &'b str {
        let b = self.sbytes(self.qstr_ref(q));
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        core::str::from_utf8(&buf[..n]).unwrap_or("")
    }

    // ------------------------------------------------------------ operations

    /// `a + b` for two str (or two bytes) objects.
    pub(crate) fn str_concat(&mut self, tid: TypeId, a: Obj, b: Obj) -> PyResult<Obj> {
        let (ra, rb) = match (self.buffer_ref(a), self.buffer_ref(b)) {
            (Some(x), Some(y)) => (x, y),
            _ => return Err(self.raise(TypeId::TYPE_ERROR, "can't concat")),
        };
        let n = ra.len() + rb.len();
        let o = self.alloc_str(tid, n)?;
        let d = Self::str_data(o);
        self.copy_sref(ra, d);
        self.copy_sref(rb, d + ra.len());
        self.str_finish(o);
        Ok(o)
    }

    /// Copy a string's bytes to heap offset `dst`.
    pub(crate) fn copy_sref(&mut self, r: SRef, dst: usize) {
        match r {
            SRef::Static(s) => self.heap.bytes_mut(dst, s.len()).copy_from_slice(s),
            SRef::Heap(off, len) => self.heap.copy_within(off, dst, len),
        }
    }

    /// `s * n`.
    pub(crate) fn str_repeat(&mut self, tid: TypeId, s: Obj, n: isize) -> PyResult<Obj> {
        let r = match self.buffer_ref(s) {
            Some(r) => r,
            None => return Err(self.raise(TypeId::TYPE_ERROR, "can't repeat")),
        };
        let n = n.max(0) as usize;
        let total = match r.len().checked_mul(n) {
            Some(t) if t < isize::MAX as usize / 2 => t,
            _ => return Err(self.memory_error()),
        };
        let o = self.alloc_str(tid, total)?;
        let d = Self::str_data(o);
        for i in 0..n {
            self.copy_sref(r, d + i * r.len());
        }
        self.str_finish(o);
        Ok(o)
    }

    /// Compare two str-like objects: -1, 0, 1.
    pub(crate) fn str_cmp(&self, a: Obj, b: Obj) -> core::cmp::Ordering {
        self.str_bytes(a).cmp(self.str_bytes(b))
    }

    /// `sub in s`.
    pub(crate) fn str_contains(&self, s: Obj, sub: Obj) -> bool {
        find(self.str_bytes(s), self.str_bytes(sub), 0).is_some()
    }

    /// Byte range of character index range `[start, end)` of a str (clamped).
    pub(crate) fn str_char_range(&self, s: Obj, start: usize, end: usize) -> (usize, usize) {
        if self.is_bytes(s) || self.str_is_ascii(s) {
            let n = self.str_bytes(s).len();
            return (start.min(n), end.min(n));
        }
        let b = self.str_bytes(s);
        let bs = char_to_byte(b, start);
        let be = if end <= start {
            bs
        } else {
            char_to_byte(b, end)
        };
        (bs, be.max(bs))
    }

    /// `s[i]` for a str (code point) or bytes (int).
    pub(crate) fn str_index(&mut self, s: Obj, idx: Obj) -> PyResult<Obj> {
        let tid = if self.is_bytes(s) {
            TypeId::BYTES
        } else {
            TypeId::STR
        };
        let n = if tid == TypeId::BYTES {
            self.str_bytes(s).len()
        } else {
            self.str_char_len(s)
        };
        let i = match self.normalize_index(idx, n) {
            Some(i) => i,
            None => {
                if !idx.is_small() && !self.is_int(idx) {
                    return Err(self.raise_fmt(
                        TypeId::TYPE_ERROR,
                        &[
                            Fmt::S(if tid == TypeId::STR {
                                "string"
                            } else {
                                "bytes"
                            }),
                            Fmt::S(" indices must be integers, not "),
                            Fmt::T(idx),
                        ],
                    ));
                }
                let msg = if tid == TypeId::STR {
                    "string index out of range"
                } else {
                    "index out of range"
                };
                return Err(self.raise(TypeId::INDEX_ERROR, msg));
            }
        };
        if tid == TypeId::BYTES {
            let b = self.str_bytes(s)[i];
            return Ok(Obj::small_unchecked(b as isize));
        }
        let (a, b) = self.str_char_range(s, i, i + 1);
        let r = self.buffer_ref(s).unwrap_or(SRef::Static(b""));
        if let [c] = self.sbytes(r).get(a..b).unwrap_or(&[]) {
            if c.is_ascii() {
                return self.char_str(*c);
            }
        }
        self.new_str_from_ref(TypeId::STR, r, a, b)
    }

    /// Raise TypeError "can't convert 'X' object to str implicitly".
    pub(crate) fn err_str_implicit(&mut self, o: Obj) -> PyErr {
        let q = self.type_name(o);
        self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                Fmt::S("can't convert '"),
                Fmt::Q(q),
                Fmt::S("' object to str implicitly"),
            ],
        )
    }
}

/// Find `needle` in `hay` at or after byte `from`.
pub fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return if from <= hay.len() { Some(from) } else { None };
    }
    let last = hay.len().checked_sub(needle.len())?;
    // Scan for the first byte, compare the rest only there (a slice compare per position
    // is a memcmp call).
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    while i <= last {
        let p = i + hay.get(i..=last)?.iter().position(|&b| b == first)?;
        if rest.is_empty() || hay.get(p + 1..p + needle.len()) == Some(rest) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Find the last `needle` in `hay[..end]` at or after `from`.
pub fn rfind(hay: &[u8], needle: &[u8], from: usize, end: usize) -> Option<usize> {
    let end = end.min(hay.len());
    if needle.len() > end {
        return None;
    }
    (from..=end - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

/// Python's `str.isspace` for one ASCII byte.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

#[cfg(test)]
mod tests {
    use super::{find, rfind};
    use proptest::prelude::*;

    fn naive_find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        (from..=hay.len()).find(|&i| hay[i..].starts_with(needle))
    }

    proptest! {
        /// `find` (first-byte scan) agrees with a naive search, over a 3-letter alphabet so
        /// that partial matches are common.
        #[test]
        fn find_matches_a_naive_search(
            hay in proptest::collection::vec(b'a'..=b'c', 0..40),
            needle in proptest::collection::vec(b'a'..=b'c', 0..5),
            from in 0usize..45,
        ) {
            prop_assert_eq!(find(&hay, &needle, from), naive_find(&hay, &needle, from));
            let end = hay.len();
            let naive_r = (from..=end).rev().find(|&i| hay[i..].starts_with(&needle));
            prop_assert_eq!(rfind(&hay, &needle, from, end), naive_r);
        }
    }
}
