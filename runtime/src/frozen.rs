//! Frozen ROM images: the format's constants, a validating reader ([`Frozen`]) and the VM
//! side (the image's qstr pool as a second, read-only qstr table; raw codes, qstr tables
//! and constants read in place; `import` of frozen modules).
//!
//! Corresponds to what MicroPython gets from `tools/mpy-tool.py -f` (frozen modules as C
//! structures compiled into the firmware) and `py/builtinimport.c`'s frozen lookup. Where
//! we differ: the image is data, not C: little-endian, tables 4-byte aligned, offsets only
//! (no pointers, so no relocations), checked at [`Frozen::from_static`] (magic, version,
//! the runtime's built-in qstr table, every offset, the raw-code tree). The layout is
//! documented in `docs/frozen-image.md`; `crates/upyc-freeze` writes it with the
//! constants defined here.
//!
//! In place: bytecode, qstr texts, per-module qstr tables, raw-code records, `str`
//! constants (image qstrs), small ints and `None`/`True`/`False`/`...`. Importing a frozen
//! module allocates its module object and globals dict, one 5-word context, and one heap
//! object per `bytes`/big-int/`float`/`complex`/`tuple` constant (made at import from the
//! image's layout of it); then what the module's code creates.
//!
//! Qstr ids: `1..DYN_BASE` are the runtime's built-in qstrs (the image refers to them
//! directly, so the image is tied to the runtime's built-in table, checked by a
//! fingerprint); `QSTR_BASE + i` is entry `i` of the image's pool; heap-interned qstrs
//! stay below `QSTR_BASE`.

use crate::obj::fun::{self, RC};
use crate::obj::str::SRef;
use crate::obj::{Obj, TypeId};
use crate::q;
use crate::qstr::{self, Qstr, DYN_BASE};
use crate::vm::Vm;
use crate::PyResult;

/// First bytes of an image.
pub const MAGIC: [u8; 4] = *b"UPYF";
/// Format version written and accepted.
pub const VERSION: u16 = 2;
/// Size of the header (the module table follows it).
pub const HEADER_LEN: usize = 32;
/// Size of a module-table record.
pub const MODULE_LEN: usize = 12;
/// Pool entries per block (a `u32` offset to the block's first entry; entries in a block
/// are found by skipping length-prefixed entries).
pub const QSTR_BLOCK: usize = 16;
/// Largest image (pool references are 24-bit offsets).
pub const MAX_IMAGE_LEN: usize = 1 << 24;
/// Alignment of every table (constant objects: [`OBJ_ALIGN`]).
pub const ALIGN: usize = 4;
/// Alignment of constant objects (a constant entry counts in these units).
pub const OBJ_ALIGN: usize = 2;
/// Qstr id of image pool entry 0.
pub const QSTR_BASE: u16 = 0x8000;
/// Most qstrs an image pool holds.
pub const MAX_QSTRS: usize = 0x7fff;
/// Deepest raw-code nesting accepted.
pub const MAX_RC_DEPTH: usize = upyc_bytecode::mpy::MAX_RAW_CODE_DEPTH;
/// Entries of the VM's cache of image-qstr hashes (a `u16` and a word each).
pub const FROZEN_HASH_CACHE: usize = if usize::BITS >= 64 { 32 } else { 8 };
/// Deepest constant-tuple nesting accepted.
pub const MAX_CONST_DEPTH: usize = upyc_bytecode::mpy::MAX_CONST_DEPTH;

/// Header field offsets.
pub mod hdr {
    /// `u16` format version.
    pub const VERSION: usize = 4;
    /// `u8` small-int bits the code was compiled for (the `.mpy` header's).
    pub const SMALL_INT_BITS: usize = 6;
    /// `u32` total image length.
    pub const IMAGE_LEN: usize = 8;
    /// `u16` number of built-in qstr ids (the runtime's `DYN_BASE`).
    pub const BUILTIN_QSTRS: usize = 12;
    /// `u32` fingerprint of the built-in qstr texts ([`super::BUILTIN_FINGERPRINT`]).
    pub const FINGERPRINT: usize = 16;
    /// `u32` number of pool qstrs.
    pub const N_QSTR: usize = 20;
    /// `u32` offset of the pool's block table: for each block `k` of
    /// [`super::QSTR_BLOCK`] entries, the `u32` offset of entry `16 * k`. Entries are
    /// sorted by text (lookup is a binary search).
    pub const QSTR_BASES: usize = 24;
    /// `u32` number of modules (their records follow the header).
    pub const N_MODULES: usize = 28;
}

/// Pool entries: a vuint `len << 1 | ref`, then the text (`ref` 0) or the `u24` image
/// offset of `len` bytes elsewhere in the image that are the text (`ref` 1: the text is
/// a part of another entry's text).
pub mod pool {
    /// Bytes of a reference to a text stored elsewhere.
    pub const REF_LEN: usize = 3;
}

/// Module-record field offsets.
pub mod module {
    /// `u16` qstr id of the dotted module name.
    pub const NAME: usize = 0;
    /// `u16` entries in the qstr table, and [`FLAG_PACKAGE`].
    pub const N_QSTRS: usize = 2;
    /// `u16` entries in the constant table.
    pub const N_CONSTS: usize = 4;
    /// `u24` offset of the module's tables: the qstr table (`u16` qstr ids), the constant
    /// table (`u16` entries) right after it, then the constant objects.
    pub const TABLES: usize = 6;
    /// `u24` offset of the module body's raw-code record (the module's records follow it
    /// breadth first, so every record's children are consecutive and after it).
    pub const RAW_CODE: usize = 9;
    /// In the `N_QSTRS` field: the module is a package (`__init__`).
    pub const FLAG_PACKAGE: u16 = 0x8000;
}

/// Raw-code records, in the byte area: a vuint `data_len << 1 | has_children`; with
/// children a vuint child count and a vuint byte distance from this record to its first
/// child (children are consecutive records); then the function data (prelude and bytecode,
/// unchanged from the `.mpy`), whose end is where the next record starts. The prelude is
/// decoded when needed, as MicroPython does.
pub mod rc {
    /// Most bytes of a record's vuints (data length, count, distance: 4 bytes each).
    pub const MAX_HEAD_LEN: usize = 12;
}

/// Constant-table entries (`u16`): `0` `None`; a qstr id (`1..DYN_BASE` or from
/// `QSTR_BASE`): a `str` constant; [`FALSE`], [`TRUE`], [`ELLIPSIS`]; from [`OBJ_FIRST`]:
/// the constant object at `objects + 2 * (entry - OBJ_FIRST)`, where `objects` is the end
/// of the module's constant table. An object is a `kind` byte ([`SLOT`] set: a vuint slot
/// follows, for the objects made at import), a vuint length, then the payload: bytes
/// (`kind` 1), decimal text of an int beyond the small range (2), the `.mpy` text of a
/// float (3) or complex (4), `len` `u16` entries (5, tuple), a small int as an `i32` (6,
/// `len` 4).
pub mod konst {
    use crate::qstr::DYN_BASE;
    /// `None`.
    pub const NONE: u16 = 0;
    /// `False`.
    pub const FALSE: u16 = DYN_BASE;
    /// `True`.
    pub const TRUE: u16 = DYN_BASE + 1;
    /// `...`.
    pub const ELLIPSIS: u16 = DYN_BASE + 2;
    /// Entry of the first constant object (the module's object area, 4-byte units).
    pub const OBJ_FIRST: u16 = DYN_BASE + 3;
    /// Object kind: bytes (data: the bytes).
    pub const KIND_BYTES: u8 = 1;
    /// Object kind: int too big for a small int (data: decimal text).
    pub const KIND_INT: u8 = 2;
    /// Object kind: float (data: the `.mpy` text).
    pub const KIND_FLOAT: u8 = 3;
    /// Object kind: complex (data: the `.mpy` text).
    pub const KIND_COMPLEX: u8 = 4;
    /// Object kind: tuple (len: item count; data: `u16` entries).
    pub const KIND_TUPLE: u8 = 5;
    /// Object kind: small int (data: `i32`, in `-2^30 .. 2^30`); not made at import.
    pub const KIND_SMALL: u8 = 6;
    /// Kind-byte flag: a vuint slot follows (the object is made at import).
    pub const SLOT: u8 = 0x80;
    /// Slot of a constant object not made on its own at import (nested in a tuple, or a
    /// small int).
    pub const NO_SLOT: u16 = 0xffff;
}

const fn fingerprint() -> u32 {
    let mut h: u32 = 5381;
    let mut id = 1;
    while id < DYN_BASE as usize {
        let t = qstr::text_at(id);
        let mut i = 0;
        while i < t.len() {
            h = h.wrapping_mul(33) ^ t[i] as u32;
            i += 1;
        }
        h = h.wrapping_mul(33);
        id += 1;
    }
    h
}

/// Fingerprint of the runtime's built-in qstr texts, in id order: an image refers to
/// built-in qstrs by id, so it only runs on a runtime with the same table.
pub const BUILTIN_FINGERPRINT: u32 = fingerprint();

/// The part of an image found malformed.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum Part {
    /// The header's offsets and counts.
    Header,
    /// The qstr pool (offsets, texts).
    QstrPool,
    /// The qstr hash index.
    QstrIndex,
    /// The module table.
    ModuleTable,
    /// A module's qstr table.
    QstrTable,
    /// A constant.
    Constant,
    /// A raw-code record or its function data.
    RawCode,
}

/// Why an image is rejected.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum FrozenError {
    /// Too short for a header.
    Truncated,
    /// The first bytes are not [`MAGIC`].
    BadMagic,
    /// Another format version.
    Version(u16),
    /// Made for a runtime with another built-in qstr table.
    QstrTable,
    /// The code needs more small-int bits than this runtime has.
    SmallIntBits(u8),
    /// An offset, count or field out of range.
    Malformed(Part),
    /// The VM already has a frozen image.
    AlreadySet,
}

impl FrozenError {
    /// A message for the user.
    pub fn message(self) -> &'static str {
        match self {
            FrozenError::Truncated => "frozen image: too short",
            FrozenError::BadMagic => "frozen image: bad magic (not a upyc frozen image)",
            FrozenError::Version(_) => {
                "frozen image: unsupported version (rebuild it with this upyc)"
            }
            FrozenError::QstrTable => {
                "frozen image: made for another runtime's qstr table (rebuild it with this upyc)"
            }
            FrozenError::SmallIntBits(_) => {
                "frozen image: code needs more small-int bits than this runtime has"
            }
            FrozenError::Malformed(p) => match p {
                Part::Header => "frozen image: malformed header",
                Part::QstrPool => "frozen image: malformed qstr pool",
                Part::QstrIndex => "frozen image: malformed qstr index",
                Part::ModuleTable => "frozen image: malformed module table",
                Part::QstrTable => "frozen image: malformed module qstr table",
                Part::Constant => "frozen image: malformed constant",
                Part::RawCode => "frozen image: malformed raw code",
            },
            FrozenError::AlreadySet => "frozen image: the VM already has one",
        }
    }
}

#[cfg(feature = "std")]
impl core::fmt::Display for FrozenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            FrozenError::Version(v) => {
                write!(f, "{} (image v{v}, runtime v{VERSION})", self.message())
            }
            FrozenError::SmallIntBits(b) => write!(f, "{} ({b})", self.message()),
            _ => f.write_str(self.message()),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FrozenError {}

#[inline]
fn u8_at(d: &[u8], off: usize) -> Option<u8> {
    d.get(off).copied()
}

#[inline]
fn u16_at(d: &[u8], off: usize) -> Option<u16> {
    let b = d.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

#[inline]
fn u32_at(d: &[u8], off: usize) -> Option<u32> {
    let b = d.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

#[inline]
fn usize_at(d: &[u8], off: usize) -> Option<usize> {
    u32_at(d, off).map(|v| v as usize)
}

/// A vuint (most significant group first) of at most 4 bytes at `off`: value and the
/// offset after it.
#[inline]
fn vuint_at(d: &[u8], off: usize) -> Option<(usize, usize)> {
    vuint_at_inline(d, off)
}

/// [`vuint_at`], always inlined (see [`Frozen::entry_at_inline`]).
#[inline(always)]
fn vuint_at_inline(d: &[u8], off: usize) -> Option<(usize, usize)> {
    let mut v = 0usize;
    let mut q = off;
    for _ in 0..4 {
        let b = *d.get(q)?;
        q += 1;
        v = (v << 7) | (b & 0x7f) as usize;
        if b & 0x80 == 0 {
            return Some((v, q));
        }
    }
    None
}

/// A validated image.
#[derive(Clone, Copy)]
pub struct Frozen<'a> {
    data: &'a [u8],
    small_int_bits: u8,
    n_qstr: usize,
    qstr_bases: usize,
    n_modules: usize,
}

/// A module of an image.
#[derive(Clone, Copy)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct FrozenModule<'a> {
    /// Dotted name.
    pub name: &'a [u8],
    /// Whether it is a package (its `__init__`).
    pub is_package: bool,
    /// Offset of its record.
    pub record: usize,
    /// Qstr-table entries.
    pub n_qstrs: usize,
    /// Constant-table entries.
    pub n_consts: usize,
}

/// A raw-code record, decoded.
#[derive(Clone, Copy)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct RawCodeRecord {
    /// Offset of the function data.
    pub data_off: usize,
    /// Length of the function data.
    pub data_len: usize,
    /// Number of children.
    pub n_children: usize,
    /// Offset of the first child's record (0 without children).
    pub first_child: usize,
}

/// A bytecode prelude, decoded (the fields the VM keeps in a heap raw code).
#[derive(Clone, Copy, Default)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct PreludeInfo {
    /// State slots.
    pub n_state: usize,
    /// Exception-stack entries.
    pub n_exc: usize,
    /// Scope flags.
    pub scope_flags: usize,
    /// Positional parameters.
    pub n_pos: usize,
    /// Keyword-only parameters.
    pub n_kwonly: usize,
    /// Positional parameters with defaults.
    pub n_def_pos: usize,
    /// Qstr-table index of the name.
    pub name: usize,
    /// Offset of the argument-name vuints.
    pub names_off: usize,
    /// Offset of the line-number table.
    pub line_info_off: usize,
    /// Offset of the cell-local bytes.
    pub cells_off: usize,
    /// Offset of the first opcode.
    pub code_off: usize,
}

/// A decoded image raw code (the VM's cache of the last one used).
#[derive(Clone, Copy, Default)]
pub(crate) struct RcInfo {
    data_off: usize,
    data_len: usize,
    p: PreludeInfo,
}

/// The signature and section sizes of a prelude (what a call needs); the name fields are
/// left 0. `None` if malformed.
fn decode_head(data: &[u8]) -> Option<PreludeInfo> {
    use upyc_bytecode::prelude::{Signature, Size};
    let (sig, n_sig) = Signature::decode(data).ok()?;
    let (size, n_size) = Size::decode(data.get(n_sig..)?).ok()?;
    let info_off = n_sig + n_size;
    let cells_off = info_off.checked_add(size.n_info as usize)?;
    let code_off = cells_off.checked_add(size.n_cell as usize)?;
    if code_off > data.len() || sig.n_state == 0 || sig.n_def_pos_args > sig.n_pos_args {
        return None;
    }
    Some(PreludeInfo {
        n_state: sig.n_state as usize,
        n_exc: sig.n_exc_stack as usize,
        scope_flags: sig.scope_flags as usize,
        n_pos: sig.n_pos_args as usize,
        n_kwonly: sig.n_kwonly_args as usize,
        n_def_pos: sig.n_def_pos_args as usize,
        name: 0,
        names_off: info_off,
        line_info_off: info_off,
        cells_off,
        code_off,
    })
}

/// Decode a bytecode prelude as the loader does; `None` if malformed.
pub fn decode_prelude(data: &[u8]) -> Option<PreludeInfo> {
    let head = decode_head(data)?;
    let info_off = head.names_off;
    let cells_off = head.cells_off;
    let mut p = info_off;
    let mut name = 0;
    let mut names_off = info_off;
    for k in 0..1 + head.n_pos + head.n_kwonly {
        let mut v = 0usize;
        let mut n = 0;
        loop {
            let b = *data.get(p)?;
            p += 1;
            n += 1;
            if n > 5 {
                return None;
            }
            v = (v << 7) | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                break;
            }
        }
        if k == 0 {
            name = v;
            names_off = p;
        }
    }
    if p > cells_off {
        return None;
    }
    Some(PreludeInfo {
        name,
        names_off,
        line_info_off: p,
        ..head
    })
}

/// A constant-table entry, decoded.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum ConstEntry<'a> {
    /// A small int.
    Small(i32),
    /// A str (a qstr id).
    Str(u16),
    /// `None`, `False`, `True`, `...` ([`konst`] values).
    Imm(u16),
    /// A constant object made at import: kind, slot, length field, payload.
    Obj {
        /// [`konst`] kind.
        kind: u8,
        /// Slot in the module's made-at-import table ([`konst::NO_SLOT`] when nested).
        slot: u16,
        /// Byte length, or item count of a tuple.
        len: usize,
        /// Offset of the payload.
        data: usize,
        /// The payload bytes (for a tuple: `2 * len` bytes of entries).
        bytes: &'a [u8],
    },
}

impl Frozen<'static> {
    /// Check a linked-in image (magic, version, built-in qstr table, every table and
    /// record) and wrap it.
    pub fn from_static(data: &'static [u8]) -> Result<Frozen<'static>, FrozenError> {
        Frozen::parse(data)
    }
}

impl<'a> Frozen<'a> {
    /// Check an image and wrap it (never panics on any input).
    pub fn parse(data: &'a [u8]) -> Result<Frozen<'a>, FrozenError> {
        use FrozenError::Malformed as M;
        if data.len() < HEADER_LEN {
            return Err(FrozenError::Truncated);
        }
        if data[..4] != MAGIC {
            return Err(FrozenError::BadMagic);
        }
        let h = |off| usize_at(data, off).ok_or(FrozenError::Truncated);
        let version = u16_at(data, hdr::VERSION).ok_or(FrozenError::Truncated)?;
        if version != VERSION {
            return Err(FrozenError::Version(version));
        }
        if u16_at(data, hdr::BUILTIN_QSTRS) != Some(DYN_BASE)
            || u32_at(data, hdr::FINGERPRINT) != Some(BUILTIN_FINGERPRINT)
        {
            return Err(FrozenError::QstrTable);
        }
        let sib = u8_at(data, hdr::SMALL_INT_BITS).ok_or(FrozenError::Truncated)?;
        if h(hdr::IMAGE_LEN)? != data.len() || data.len() > MAX_IMAGE_LEN {
            return Err(M(Part::Header));
        }
        let f = Frozen {
            data,
            small_int_bits: sib,
            n_qstr: h(hdr::N_QSTR)?,
            qstr_bases: h(hdr::QSTR_BASES)?,
            n_modules: h(hdr::N_MODULES)?,
        };
        f.check_pool()?;
        f.check_modules()?;
        Ok(f)
    }

    /// Whether `[off, off + len)` lies in the image, `off` aligned.
    fn span(&self, off: usize, len: usize, part: Part) -> Result<(), FrozenError> {
        match off.checked_add(len) {
            Some(end) if end <= self.data.len() && off.is_multiple_of(ALIGN) => Ok(()),
            _ => Err(FrozenError::Malformed(part)),
        }
    }

    fn check_pool(&self) -> Result<(), FrozenError> {
        use FrozenError::Malformed as M;
        if self.n_qstr > MAX_QSTRS {
            return Err(M(Part::QstrPool));
        }
        self.span(
            self.qstr_bases,
            4 * self.n_qstr.div_ceil(QSTR_BLOCK),
            Part::QstrPool,
        )?;
        let mut p = 0;
        let mut prev: &[u8] = &[];
        for i in 0..self.n_qstr {
            if i % QSTR_BLOCK == 0 {
                p = usize_at(self.data, self.qstr_bases + 4 * (i / QSTR_BLOCK))
                    .ok_or(M(Part::QstrPool))?;
            }
            let (text, next) = self.entry_at(p).ok_or(M(Part::QstrPool))?;
            // Sorted and unique (binary search), UTF-8, and not a built-in qstr (one
            // text, one id: qstrs compare by id).
            if (i > 0 && text <= prev)
                || core::str::from_utf8(text).is_err()
                || qstr::find_builtin(text, qstr::hash_bytes(text)).is_some()
            {
                return Err(M(Part::QstrPool));
            }
            prev = text;
            p = next;
        }
        Ok(())
    }

    /// The pool entry at `p`: its text and where the next entry starts.
    #[inline]
    fn entry_at(&self, p: usize) -> Option<(&'a [u8], usize)> {
        self.entry_at_inline(p)
    }

    /// [`Frozen::entry_at`], always inlined: for [`Frozen::pool_text`], which runs at the
    /// bottom of the deepest call chain of a program printing a string (`print` of a
    /// frozen string constant), where each call level costs stack.
    #[inline(always)]
    fn entry_at_inline(&self, p: usize) -> Option<(&'a [u8], usize)> {
        let (head, q) = vuint_at_inline(self.data, p)?;
        let len = head >> 1;
        if head & 1 == 0 {
            let end = q.checked_add(len)?;
            return Some((self.data.get(q..end)?, end));
        }
        let b = self.data.get(q..q + pool::REF_LEN)?;
        let at = b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16;
        Some((self.data.get(at..at.checked_add(len)?)?, q + pool::REF_LEN))
    }

    fn check_modules(&self) -> Result<(), FrozenError> {
        use FrozenError::Malformed as M;
        let table = self
            .n_modules
            .checked_mul(MODULE_LEN)
            .ok_or(M(Part::ModuleTable))?;
        self.span(HEADER_LEN, table, Part::ModuleTable)?;
        if HEADER_LEN + table > self.qstr_bases {
            return Err(M(Part::ModuleTable));
        }
        for i in 0..self.n_modules {
            let r = HEADER_LEN + i * MODULE_LEN;
            let name = u16_at(self.data, r + module::NAME).ok_or(M(Part::ModuleTable))?;
            if !self.qstr_valid(name) {
                return Err(M(Part::ModuleTable));
            }
            let nq = self.module_n_qstrs(r);
            let nc = self.module_n_consts(r);
            let qt = self.module_tables(r);
            self.span(qt, 2 * (nq + nc), Part::QstrTable)?;
            for j in 0..nq {
                let q = u16_at(self.data, qt + 2 * j).ok_or(M(Part::QstrTable))?;
                if !self.qstr_valid(q) {
                    return Err(M(Part::QstrTable));
                }
            }
            let mut seen_slots = 0usize;
            for j in 0..nc {
                let e = u16_at(self.data, qt + 2 * (nq + j)).ok_or(M(Part::Constant))?;
                if let ConstEntry::Obj { slot, .. } = self.check_const(r, e, 0)? {
                    if slot != konst::NO_SLOT {
                        if slot as usize != seen_slots {
                            return Err(M(Part::Constant));
                        }
                        seen_slots += 1;
                    }
                }
            }
            self.check_raw_codes(self.module_raw_code(r), nq)?;
        }
        Ok(())
    }

    fn qstr_valid(&self, q: u16) -> bool {
        (q != 0 && q < DYN_BASE) || (q >= QSTR_BASE && ((q - QSTR_BASE) as usize) < self.n_qstr)
    }

    /// Decode a constant entry of module record `r`, checking it (and a tuple's items)
    /// against the image.
    fn check_const(&self, r: usize, e: u16, depth: usize) -> Result<ConstEntry<'a>, FrozenError> {
        use FrozenError::Malformed as M;
        let c = self.decode_const(r, e).ok_or(M(Part::Constant))?;
        match c {
            ConstEntry::Str(q) if !self.qstr_valid(q) => Err(M(Part::Constant)),
            ConstEntry::Obj {
                kind,
                slot,
                data,
                len,
                bytes,
            } => {
                // Top-level objects have slots (they are made at import); nested ones
                // do not.
                if (depth == 0) == (slot == konst::NO_SLOT) {
                    return Err(M(Part::Constant));
                }
                match kind {
                    konst::KIND_BYTES => {}
                    konst::KIND_INT | konst::KIND_FLOAT | konst::KIND_COMPLEX => {
                        if core::str::from_utf8(bytes).is_err() {
                            return Err(M(Part::Constant));
                        }
                    }
                    konst::KIND_TUPLE => {
                        if depth >= MAX_CONST_DEPTH {
                            return Err(M(Part::Constant));
                        }
                        for k in 0..len {
                            let it = u16_at(self.data, data + 2 * k).ok_or(M(Part::Constant))?;
                            self.check_const(r, it, depth + 1)?;
                        }
                    }
                    _ => return Err(M(Part::Constant)),
                }
                Ok(c)
            }
            _ => Ok(c),
        }
    }

    /// Offset of module record `r`'s constant objects (the end of its constant table).
    pub fn module_objects(&self, r: usize) -> usize {
        self.module_tables(r) + 2 * (self.module_n_qstrs(r) + self.module_n_consts(r))
    }

    /// Decode a constant entry of module record `r` (bounds of an object's payload
    /// checked, not its items).
    pub fn decode_const(&self, r: usize, e: u16) -> Option<ConstEntry<'a>> {
        match e {
            konst::NONE | konst::FALSE | konst::TRUE | konst::ELLIPSIS => {
                return Some(ConstEntry::Imm(e))
            }
            _ if !(DYN_BASE..QSTR_BASE).contains(&e) => return Some(ConstEntry::Str(e)),
            _ => {}
        }
        let off = self.module_objects(r) + OBJ_ALIGN * (e - konst::OBJ_FIRST) as usize;
        let head = u8_at(self.data, off)?;
        let kind = head & !konst::SLOT;
        let (slot, q) = if head & konst::SLOT != 0 {
            let (s, q) = vuint_at(self.data, off + 1)?;
            (u16::try_from(s).ok().filter(|&s| s != konst::NO_SLOT)?, q)
        } else {
            (konst::NO_SLOT, off + 1)
        };
        let (len, data) = vuint_at(self.data, q)?;
        let n = if kind == konst::KIND_TUPLE {
            len.checked_mul(2)?
        } else {
            len
        };
        let bytes = self.data.get(data..data.checked_add(n)?)?;
        if kind == konst::KIND_SMALL {
            // Only `i32`s in the small-int range of every target.
            let v = u32_at(bytes, 0)? as i32;
            let ok = len == 4 && slot == konst::NO_SLOT && (-(1 << 30)..(1 << 30)).contains(&v);
            return ok.then_some(ConstEntry::Small(v));
        }
        Some(ConstEntry::Obj {
            kind,
            slot,
            len,
            data,
            bytes,
        })
    }

    /// Check a module's raw-code records (from the module body's at `first`): in bounds,
    /// every record but the first the child of exactly one earlier record (children
    /// consecutive, in order: breadth first), preludes decodable.
    fn check_raw_codes(&self, first: usize, n_qstrs: usize) -> Result<(), FrozenError> {
        use FrozenError::Malformed as M;
        // `r`/`i`: the record checked; `c`/`ic`: the next record to be claimed as a child;
        // `n`: records claimed so far (the body and the children seen).
        let mut r = first;
        let mut c = self.raw_code(first).ok_or(M(Part::RawCode))?.next();
        let mut ic = 1;
        let mut i = 0;
        while i < ic {
            let rec = self.raw_code(r).ok_or(M(Part::RawCode))?;
            if rec.n_children > 0 {
                if rec.first_child != c {
                    return Err(M(Part::RawCode));
                }
                for _ in 0..rec.n_children {
                    c = self.raw_code(c).ok_or(M(Part::RawCode))?.next();
                    ic += 1;
                }
            }
            let data = &self.data[rec.data_off..rec.data_off + rec.data_len];
            match decode_prelude(data) {
                Some(p) if p.name < n_qstrs && self.arg_names_valid(data, &p, n_qstrs) => {}
                _ => return Err(M(Part::RawCode)),
            }
            r = rec.next();
            i += 1;
        }
        Ok(())
    }

    /// Whether every argument name of a prelude is in the module's qstr table.
    fn arg_names_valid(&self, data: &[u8], p: &PreludeInfo, n_qstrs: usize) -> bool {
        let mut q = p.names_off;
        for _ in 0..p.n_pos + p.n_kwonly {
            let mut v = 0usize;
            loop {
                let Some(&b) = data.get(q) else {
                    return false;
                };
                q += 1;
                v = (v << 7) | (b & 0x7f) as usize;
                if b & 0x80 == 0 {
                    break;
                }
            }
            if v >= n_qstrs {
                return false;
            }
        }
        true
    }

    /// The record after record `r` in its module.
    pub fn next_raw_code(&self, r: usize) -> Option<usize> {
        self.raw_code(r).map(|x| x.next())
    }

    /// The image bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// Small-int bits the code was compiled for.
    pub fn small_int_bits(&self) -> u8 {
        self.small_int_bits
    }

    /// Number of qstrs in the pool.
    pub fn qstr_count(&self) -> usize {
        self.n_qstr
    }

    /// Text of pool qstr `i` (empty if out of range).
    pub fn pool_text(&self, i: usize) -> &'a [u8] {
        self.pool_entry(i).unwrap_or(&[])
    }

    /// [`Frozen::pool_text`], inlined into it with everything it reads: the block's start
    /// read in place rather than with `usize_at`, and entries decoded by
    /// [`Frozen::entry_at_inline`]. On thumbv6m those helpers stay out of line, and each
    /// call level at the bottom of `print`'s chain adds to the stack peak.
    #[inline(always)]
    fn pool_entry(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.n_qstr {
            return None;
        }
        let at = self.qstr_bases.checked_add(4 * (i / QSTR_BLOCK))?;
        let mut p = u32::from_le_bytes(*self.data.get(at..)?.first_chunk()?) as usize;
        // One entry_at_inline site: the entry wanted is the block's (i % QSTR_BLOCK)th.
        let mut skip = i % QSTR_BLOCK;
        loop {
            let (text, next) = self.entry_at_inline(p)?;
            if skip == 0 {
                return Some(text);
            }
            skip -= 1;
            p = next;
        }
    }

    /// Text of a qstr id the image uses (built-in or pool).
    pub fn qstr_text(&self, q: u16) -> &'a [u8] {
        if q >= QSTR_BASE {
            self.pool_text((q - QSTR_BASE) as usize)
        } else {
            qstr::builtin_text(Qstr(q)).unwrap_or(&[])
        }
    }

    /// Pool index of this text, if the pool has it: a binary search over the blocks'
    /// first entries (texts are sorted), then a scan of one block.
    pub fn find_pool(&self, b: &[u8]) -> Option<usize> {
        let n_blocks = self.n_qstr.div_ceil(QSTR_BLOCK);
        let block_start = |k: usize| usize_at(self.data, self.qstr_bases + 4 * k);
        // The last block whose first text is <= b.
        let (mut lo, mut hi) = (0, n_blocks);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (first, _) = self.entry_at(block_start(mid)?)?;
            if first <= b {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let k = lo.checked_sub(1)?;
        let mut p = block_start(k)?;
        for i in k * QSTR_BLOCK..((k + 1) * QSTR_BLOCK).min(self.n_qstr) {
            let (t, next) = self.entry_at(p)?;
            match t.cmp(b) {
                core::cmp::Ordering::Equal => return Some(i),
                core::cmp::Ordering::Greater => return None,
                core::cmp::Ordering::Less => p = next,
            }
        }
        None
    }

    /// Number of modules.
    pub fn module_count(&self) -> usize {
        self.n_modules
    }

    /// Module `i`.
    pub fn module(&self, i: usize) -> Option<FrozenModule<'a>> {
        if i >= self.n_modules {
            return None;
        }
        let r = HEADER_LEN + i * MODULE_LEN;
        let name = u16_at(self.data, r + module::NAME)?;
        Some(FrozenModule {
            name: self.qstr_text(name),
            is_package: u16_at(self.data, r + module::N_QSTRS)? & module::FLAG_PACKAGE != 0,
            record: r,
            n_qstrs: self.module_n_qstrs(r),
            n_consts: self.module_n_consts(r),
        })
    }

    /// Index of the module with this dotted name.
    pub fn find_module(&self, name: &[u8]) -> Option<usize> {
        (0..self.n_modules).find(|&i| self.module(i).is_some_and(|m| m.name == name))
    }

    /// Whether a module's dotted name starts with `name` + `.`: `name` is then a package
    /// directory without `__init__`, which has no record of its own.
    pub fn has_submodules(&self, name: &[u8]) -> bool {
        (0..self.n_modules).any(|i| {
            self.module(i).is_some_and(|m| {
                m.name
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.first() == Some(&b'.'))
            })
        })
    }

    #[inline]
    fn u24_field(&self, r: usize, f: usize) -> usize {
        // One 4-byte read where the image goes on (it always does after a module record
        // of a valid image: the pool block table or the byte area follows).
        if let Some(v) = u32_at(self.data, r + f) {
            return (v & 0xff_ffff) as usize;
        }
        match self.data.get(r + f..r + f + 3) {
            Some(b) => b[0] as usize | (b[1] as usize) << 8 | (b[2] as usize) << 16,
            None => 0,
        }
    }

    /// Offset of module record `r`'s qstr table (its constant table and objects follow).
    #[inline]
    pub fn module_tables(&self, r: usize) -> usize {
        self.u24_field(r, module::TABLES)
    }

    /// Offset of module record `r`'s module-body raw-code record.
    pub fn module_raw_code(&self, r: usize) -> usize {
        self.u24_field(r, module::RAW_CODE)
    }

    /// Entries in module record `r`'s qstr table.
    #[inline]
    pub fn module_n_qstrs(&self, r: usize) -> usize {
        u16_at(self.data, r + module::N_QSTRS).map_or(0, |v| (v & !module::FLAG_PACKAGE) as usize)
    }

    /// Entries in module record `r`'s constant table.
    pub fn module_n_consts(&self, r: usize) -> usize {
        u16_at(self.data, r + module::N_CONSTS).map_or(0, usize::from)
    }

    /// Entry `i` of the qstr table of module record `r`.
    #[inline]
    pub fn module_qstr(&self, r: usize, i: usize) -> Option<u16> {
        // On every LOAD_NAME, LOAD_ATTR ...: one bounds check for the record's fields.
        let rec: &[u8; MODULE_LEN] = self.data.get(r..r + MODULE_LEN)?.try_into().ok()?;
        let nq = u16::from_le_bytes([rec[module::N_QSTRS], rec[module::N_QSTRS + 1]]);
        if i >= (nq & !module::FLAG_PACKAGE) as usize {
            return None;
        }
        let t = module::TABLES;
        let tables = rec[t] as usize | (rec[t + 1] as usize) << 8 | (rec[t + 2] as usize) << 16;
        u16_at(self.data, tables + 2 * i)
    }

    /// Entry `i` of the constant table of module record `r`.
    pub fn module_const(&self, r: usize, i: usize) -> Option<u16> {
        if i >= self.module_n_consts(r) {
            return None;
        }
        u16_at(
            self.data,
            self.module_tables(r) + 2 * (self.module_n_qstrs(r) + i),
        )
    }

    /// The raw-code record at `r`.
    pub fn raw_code(&self, r: usize) -> Option<RawCodeRecord> {
        let (head, mut q) = vuint_at(self.data, r)?;
        let (mut n_children, mut first_child) = (0, 0);
        if head & 1 == 1 {
            let (n, q2) = vuint_at(self.data, q)?;
            let (d, q3) = vuint_at(self.data, q2)?;
            if n == 0 || d == 0 {
                return None;
            }
            n_children = n;
            first_child = r.checked_add(d)?;
            q = q3;
        }
        let data_len = head >> 1;
        let end = q.checked_add(data_len)?;
        if end > self.data.len() {
            return None;
        }
        Some(RawCodeRecord {
            data_off: q,
            data_len,
            n_children,
            first_child,
        })
    }

    /// Offset of child `i` of raw-code record `r`.
    pub fn raw_code_child(&self, r: usize, i: usize) -> Option<usize> {
        let rec = self.raw_code(r)?;
        if i >= rec.n_children {
            return None;
        }
        let mut c = rec.first_child;
        for _ in 0..i {
            c = self.next_raw_code(c)?;
        }
        Some(c)
    }

    /// The decoded prelude of raw-code record `r`.
    pub fn prelude(&self, r: usize) -> Option<PreludeInfo> {
        let rec = self.raw_code(r)?;
        decode_prelude(self.data.get(rec.data_off..rec.data_off + rec.data_len)?)
    }
}

impl RawCodeRecord {
    /// Offset of the record after this one (where its function data ends).
    pub fn next(&self) -> usize {
        self.data_off + self.data_len
    }
}

/// Word of a frozen module's context holding the tuple of constant objects made at import
/// (its qstr-table and constants words are ROM references to the module record).
const CTX_MADE: usize = fun::CTX_WORDS;

/// Decoded `Obj` of a ROM reference: the image offset.
#[inline]
fn rom_off(o: Obj) -> usize {
    o.raw() >> 3
}

#[inline]
fn rom(off: usize) -> Obj {
    Obj(off << 3 | 0b100)
}

impl<'h> Vm<'h> {
    /// Give the VM a frozen image: its modules are then found first by `import`.
    pub fn set_frozen(&mut self, f: Frozen<'static>) -> Result<(), FrozenError> {
        if self.frozen.is_some() {
            return Err(FrozenError::AlreadySet);
        }
        if f.small_int_bits() as u32 > crate::obj::SMALL_INT_BITS {
            return Err(FrozenError::SmallIntBits(f.small_int_bits()));
        }
        if self.n_images >= self.images.len() {
            return Err(FrozenError::AlreadySet);
        }
        self.images[self.n_images] = f.data();
        self.frozen_img = self.n_images;
        self.n_images += 1;
        self.frozen = Some(f);
        Ok(())
    }

    /// The frozen image, if any.
    pub fn frozen(&self) -> Option<&Frozen<'static>> {
        self.frozen.as_ref()
    }

    /// Text of an image qstr (`q >= QSTR_BASE`).
    #[inline(never)]
    pub(crate) fn frozen_qstr_ref(&self, q: Qstr) -> SRef {
        match &self.frozen {
            Some(f) => SRef::Static(f.qstr_text(q.0)),
            None => SRef::Static(b""),
        }
    }

    /// `hash(q)` of an image qstr: from a small direct-mapped cache, else computed from
    /// the text (the image stores no hashes: they would cost 4 bytes per string, and the
    /// runtime's hash depends on the word size).
    #[cold]
    #[inline(never)]
    pub(crate) fn frozen_qstr_hash(&self, q: Qstr) -> usize {
        let slot = q.0 as usize % FROZEN_HASH_CACHE;
        if self.frozen_hash_ids[slot].get() == q.0 {
            return self.frozen_hashes[slot].get();
        }
        let h = qstr::hash_bytes(self.sbytes(self.frozen_qstr_ref(q)));
        self.frozen_hash_ids[slot].set(q.0);
        self.frozen_hashes[slot].set(h);
        h
    }

    /// The image qstr with this text, if the image has it.
    pub(crate) fn frozen_find_qstr(&self, b: &[u8]) -> Option<Qstr> {
        let i = self.frozen.as_ref()?.find_pool(b)?;
        Some(Qstr(QSTR_BASE + i as u16))
    }

    /// A field of raw code `rc` (heap object or image record).
    #[inline]
    pub(crate) fn rc_int(&self, rc: Obj, f: usize) -> usize {
        if rc.is_rom() || !cfg!(feature = "mpy-load") {
            self.frozen_rc_field(rom_off(rc), f)
        } else {
            self.heap.get_int(rc, f)
        }
    }

    /// A field of the image raw-code record at `r`. A call reads several fields of one
    /// record, so the last decoded prelude is kept.
    #[inline(never)]
    fn frozen_rc_field(&self, r: usize, f: usize) -> usize {
        let Some(fr) = &self.frozen else {
            return 0;
        };
        // The argument names and line table: only for keyword arguments and tracebacks.
        if matches!(f, RC::NAME | RC::NAMES_OFF | RC::LINE_INFO_OFF) {
            let p = fr.prelude(r).unwrap_or_default();
            return match f {
                RC::NAME => p.name,
                RC::NAMES_OFF => p.names_off,
                _ => p.line_info_off,
            };
        }
        let info = self.frozen_rc_info(fr, r);
        let p = &info.p;
        match f {
            RC::DATA_OFF => info.data_off,
            RC::DATA_LEN => info.data_len,
            RC::N_STATE => p.n_state,
            RC::N_EXC => p.n_exc,
            RC::SCOPE_FLAGS => p.scope_flags,
            RC::N_POS => p.n_pos,
            RC::N_KWONLY => p.n_kwonly,
            RC::N_DEF_POS => p.n_def_pos,
            RC::NAME => p.name,
            RC::NAMES_OFF => p.names_off,
            RC::LINE_INFO_OFF => p.line_info_off,
            RC::CELLS_OFF => p.cells_off,
            RC::N_CELL => p.code_off - p.cells_off,
            RC::CODE_OFF => p.code_off,
            _ => 0,
        }
    }

    /// The decoded record and prelude head of the image raw code at `r` (the last one is
    /// kept: a call reads its code and several of its fields).
    #[inline]
    fn frozen_rc_info(&self, fr: &Frozen<'static>, r: usize) -> RcInfo {
        let (key, info) = self.frozen_rc_cache.get();
        if key == r {
            return info;
        }
        let info = fr
            .raw_code(r)
            .and_then(|rec| {
                let data = fr.data().get(rec.data_off..rec.data_off + rec.data_len)?;
                Some(RcInfo {
                    data_off: rec.data_off,
                    data_len: rec.data_len,
                    p: decode_head(data)?,
                })
            })
            .unwrap_or_default();
        self.frozen_rc_cache.set((r, info));
        info
    }

    /// (image number, data offset, data length) of an image raw code.
    /// (Not through the decoded-prelude cache: returning to a caller needs its code, and
    /// caching it would evict the callee's prelude.)
    pub(crate) fn frozen_code(&self, rc: Obj) -> (usize, usize, usize) {
        let r = rom_off(rc);
        let (key, info) = self.frozen_rc_cache.get();
        if key == r && info.data_len != 0 {
            return (self.frozen_img, info.data_off, info.data_len);
        }
        match &self.frozen {
            Some(f) => match f.raw_code(r) {
                Some(rec) => (self.frozen_img, rec.data_off, rec.data_len),
                None => (usize::MAX - 1, 0, 0),
            },
            None => (usize::MAX - 1, 0, 0),
        }
    }

    /// Child `i` of an image raw code.
    pub(crate) fn frozen_child(&self, rc: Obj, i: usize) -> Option<Obj> {
        self.frozen
            .as_ref()?
            .raw_code_child(rom_off(rc), i)
            .map(rom)
    }

    /// Qstr `i` of a frozen module's table (`t` is the context's ROM qstr-table reference).
    #[cold]
    #[inline(never)]
    pub(crate) fn frozen_ctx_qstr(&self, t: Obj, i: usize) -> Option<Qstr> {
        self.frozen.as_ref()?.module_qstr(rom_off(t), i).map(Qstr)
    }

    /// Constant `i` of a frozen module (context `ctx`, whose constants word is the ROM
    /// reference `consts` to the module record).
    #[cold]
    #[inline(never)]
    pub(crate) fn frozen_const(&self, ctx: Obj, consts: Obj, i: usize) -> Option<Obj> {
        let f = self.frozen.as_ref()?;
        let r = rom_off(consts);
        let e = f.module_const(r, i)?;
        match f.decode_const(r, e)? {
            ConstEntry::Obj { slot, .. } => {
                let made = self.heap.get_obj(ctx, CTX_MADE);
                if (slot as usize) < self.tuple_len(made) {
                    Some(self.tuple_get(made, slot as usize))
                } else {
                    None
                }
            }
            c => Some(simple_const(c)),
        }
    }

    /// Make a constant object from its image layout.
    fn make_const(
        &mut self,
        f: &Frozen<'static>,
        r: usize,
        c: ConstEntry<'static>,
        depth: usize,
    ) -> PyResult<Obj> {
        let ConstEntry::Obj {
            kind,
            len,
            data,
            bytes,
            ..
        } = c
        else {
            return Ok(simple_const(c));
        };
        match kind {
            konst::KIND_BYTES => self.new_str_like(TypeId::BYTES, bytes),
            konst::KIND_INT => crate::print::parse_int(self, SRef::Static(bytes), 10, Obj::NONE),
            konst::KIND_FLOAT => {
                #[cfg(feature = "float")]
                {
                    match crate::print::parse_float(bytes) {
                        Some(v) => self.new_float(v),
                        None => Err(self.raise(TypeId::VALUE_ERROR, "incompatible frozen image")),
                    }
                }
                #[cfg(not(feature = "float"))]
                Err(self.raise(TypeId::VALUE_ERROR, "float not supported"))
            }
            konst::KIND_COMPLEX => {
                #[cfg(feature = "complex")]
                {
                    match crate::obj::complex::parse_complex(bytes) {
                        Some((re, im)) => self.new_complex(re, im),
                        None => Err(self.raise(TypeId::VALUE_ERROR, "incompatible frozen image")),
                    }
                }
                #[cfg(not(feature = "complex"))]
                Err(self.raise(TypeId::VALUE_ERROR, "complex values not supported"))
            }
            konst::KIND_TUPLE if depth < MAX_CONST_DEPTH => {
                let t = self.alloc_tuple(len)?;
                let mark = self.roots_mark();
                let r = (|| {
                    self.root(t)?;
                    for k in 0..len {
                        let e = u16_at(f.data(), data + 2 * k).unwrap_or(0);
                        let item = match f.decode_const(r, e) {
                            Some(c) => self.make_const(f, r, c, depth + 1)?,
                            None => Obj::NONE,
                        };
                        self.heap.set_obj(t, crate::obj::tuple::T_ITEMS + k, item);
                    }
                    Ok(t)
                })();
                self.unroot_to(mark);
                r
            }
            _ => Err(self.raise(TypeId::VALUE_ERROR, "incompatible frozen image")),
        }
    }

    /// Import frozen module `name` (a str, already known not to be in `sys.modules`) under
    /// `key`; `Ok(None)` if the image has no such module.
    pub(crate) fn import_frozen(&mut self, name: Obj, key: Obj) -> PyResult<Option<Obj>> {
        let f = match self.frozen {
            Some(f) => f,
            None => return Ok(None),
        };
        let idx = match f.find_module(self.str_bytes(name)) {
            Some(i) => i,
            None if f.has_submodules(self.str_bytes(name)) => {
                return self.new_namespace_package(key, key).map(Some)
            }
            None => return Ok(None),
        };
        let Some(info) = f.module(idx) else {
            return Ok(None);
        };
        let m = self.new_module(key)?;
        self.root(m)?;
        let g = self.module_globals(m);
        if info.is_package {
            // Submodules are found by dotted name in the image; `__path__` marks a package.
            self.dict_set(g, Obj::qstr(q!("__path__")), key)?;
        }
        self.dict_set(self.modules, key, m)?;
        // The module's function is made in a helper whose locals leave the stack before the
        // module body runs (this frame stays under everything the module does).
        let res = self.frozen_module_function(&f, &info, g).and_then(|fun| {
            self.root(fun)?;
            self.exec_code(fun, m)
        });
        self.finish_import(key, m, res).map(Some)
    }

    /// The function object of a frozen module's top-level code, with the context (globals
    /// `g`, the image's tables, the module's constant objects) that its code runs in.
    #[inline(never)]
    fn frozen_module_function(
        &mut self,
        f: &Frozen<'static>,
        info: &FrozenModule<'static>,
        g: Obj,
    ) -> PyResult<Obj> {
        let r = info.record;
        let mark = self.roots_mark();
        let res = (|| {
            let n_slots = (0..info.n_consts)
                .filter(|&k| {
                    let c = f.module_const(r, k).and_then(|e| f.decode_const(r, e));
                    matches!(c, Some(ConstEntry::Obj { slot, .. }) if slot != konst::NO_SLOT)
                })
                .count();
            let made = if n_slots == 0 {
                Obj::NULL
            } else {
                let t = self.alloc_tuple(n_slots)?;
                for k in 0..n_slots {
                    self.heap
                        .set_obj(t, crate::obj::tuple::T_ITEMS + k, Obj::NONE);
                }
                t
            };
            self.root(made)?;
            for k in 0..info.n_consts {
                let c = f.module_const(r, k).and_then(|e| f.decode_const(r, e));
                if let Some(c @ ConstEntry::Obj { slot, .. }) = c {
                    let o = self.make_const(f, r, c, 0)?;
                    if (slot as usize) < n_slots {
                        self.heap
                            .set_obj(made, crate::obj::tuple::T_ITEMS + slot as usize, o);
                    }
                }
            }
            let ctx = self.alloc(TypeId::CONTEXT, 0, CTX_MADE + 1)?;
            self.heap.set_obj(ctx, fun::CTX_GLOBALS, g);
            self.heap.set_obj(ctx, fun::CTX_QSTRS, rom(r));
            self.heap.set_obj(ctx, fun::CTX_CONSTS, rom(r));
            self.heap.set_obj(ctx, CTX_MADE, made);
            self.root(ctx)?;
            let rc = rom(f.module_raw_code(r));
            fun::new_function(self, rc, ctx, Obj::NULL, Obj::NULL, Obj::NULL)
        })();
        self.unroot_to(mark);
        res
    }

    /// Import frozen module `name` (registered in `sys.modules` under its name).
    pub fn exec_frozen(&mut self, name: &str) -> PyResult<Obj> {
        self.exec_frozen_as(name, name)
    }

    /// Run frozen module `name` as a new module called `as_name` (e.g. `__main__`).
    pub fn exec_frozen_as(&mut self, name: &str, as_name: &str) -> PyResult<Obj> {
        let mark = self.roots_mark();
        let r = (|| {
            let key = self.new_str(as_name.as_bytes())?;
            self.root(key)?;
            let name = self.new_str(name.as_bytes())?;
            self.root(name)?;
            match self.import_frozen(name, key)? {
                Some(m) => Ok(m),
                None => Err(self.raise(TypeId::IMPORT_ERROR, "no frozen module of that name")),
            }
        })();
        self.unroot_to(mark);
        r
    }
}

fn simple_const(c: ConstEntry) -> Obj {
    match c {
        ConstEntry::Small(v) => Obj::small_unchecked(v as isize),
        ConstEntry::Str(q) => Obj::qstr(Qstr(q)),
        ConstEntry::Imm(konst::FALSE) => Obj::FALSE,
        ConstEntry::Imm(konst::TRUE) => Obj::TRUE,
        ConstEntry::Imm(konst::ELLIPSIS) => Obj::ELLIPSIS,
        _ => Obj::NONE,
    }
}
