//! The frozen ROM image: writing it from `.mpy` modules, reading it back into `.mpy`
//! modules (the round trip the tests check) and measuring what each module costs.
//!
//! Corresponds to `tools/mpy-tool.py -f` in MicroPython, which writes C; we write the
//! image itself. The layout constants are `upyc_runtime::frozen`'s (the one definition the
//! runtime's validating reader also uses); `docs/frozen-image.md` describes the format.
//!
//! Layout, in order: header, module table, qstr-pool block table, then per module its qstr
//! and constant tables and constant objects (all 4-byte aligned), then the byte area: the
//! pool entries (texts, or references to a text inside a longer one) and each module's
//! raw-code records with their function data (prelude and bytecode, unchanged from the
//! `.mpy`).

use std::collections::HashMap;

use upyc_bytecode::mpy::{self, Const, MpyFile, RawCode};
use upyc_runtime::frozen::{self as fz, hdr, konst, module as mrec, Frozen};
use upyc_runtime::qstr as rq;

use crate::FreezeError;

/// A module to freeze: its dotted name, whether it is a package's `__init__`, its `.mpy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// Dotted module name (`pkg.sub`; a package's `__init__` is named after the package).
    pub name: String,
    /// Whether this is a package (`pkg/__init__.py`).
    pub is_package: bool,
    /// The `.mpy` v6.3 bytes (bytecode only).
    pub mpy: Vec<u8>,
}

/// What one module costs in the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleCost {
    /// Dotted name.
    pub name: String,
    /// Whether it is a package.
    pub is_package: bool,
    /// Size of the `.mpy` it came from (rebuilt from the image, which gives back the
    /// same bytes for `.mpy` files as mpy-cross writes them).
    pub mpy_len: usize,
    /// Bytes of the image that belong to it alone: its module record, qstr and constant
    /// tables, constant objects, raw-code records and function data.
    pub flash: usize,
    /// Raw codes (functions, classes, the module body).
    pub raw_codes: usize,
}

/// Facts about an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Format version.
    pub version: u16,
    /// Total size.
    pub len: usize,
    /// Qstrs in the shared pool.
    pub qstr_count: usize,
    /// Bytes of the shared pool (entries and block table) and padding.
    pub pool_bytes: usize,
    /// Header bytes.
    pub header_bytes: usize,
    /// The modules.
    pub modules: Vec<ModuleCost>,
}

/// The image writer and readers.
pub struct Image;

impl Image {
    /// Build an image from modules (names unique; every `.mpy` bytecode-only).
    pub fn from_modules(modules: &[Module]) -> Result<Vec<u8>, FreezeError> {
        Writer::default().write(modules)
    }

    /// Read an image back into modules whose `.mpy` bytes equal the ones it was built
    /// from (for `.mpy` files as mpy-cross writes them).
    pub fn to_modules(image: &[u8]) -> Result<Vec<Module>, FreezeError> {
        let f = Frozen::parse(image)?;
        let mut out = Vec::with_capacity(f.module_count());
        for i in 0..f.module_count() {
            let m = f.module(i).ok_or(FreezeError::Corrupt("module table"))?;
            out.push(Module {
                name: String::from_utf8_lossy(m.name).into_owned(),
                is_package: m.is_package,
                mpy: rebuild_mpy(&f, m.record)?,
            });
        }
        Ok(out)
    }

    /// Sizes: the shared parts and what each module costs.
    pub fn summary(image: &[u8]) -> Result<Summary, FreezeError> {
        let f = Frozen::parse(image)?;
        let mut modules = Vec::new();
        let mut owned = 0;
        for i in 0..f.module_count() {
            let m = f.module(i).ok_or(FreezeError::Corrupt("module table"))?;
            let r = m.record;
            let mut tables = 2 * (m.n_qstrs + m.n_consts);
            for k in 0..m.n_consts {
                if let Some(e) = f.module_const(r, k) {
                    tables += const_obj_size(&f, r, e, 0);
                }
            }
            let mut flash = fz::MODULE_LEN + align(tables);
            // Records: the module body and every child, breadth first.
            let mut raw_codes = 0;
            let mut claimed = 1;
            let mut rc = f.module_raw_code(r);
            while raw_codes < claimed {
                let rec = f.raw_code(rc).ok_or(FreezeError::Corrupt("raw code"))?;
                flash += rec.next() - rc;
                claimed += rec.n_children;
                raw_codes += 1;
                rc = rec.next();
            }
            owned += flash;
            modules.push(ModuleCost {
                name: String::from_utf8_lossy(m.name).into_owned(),
                is_package: m.is_package,
                mpy_len: rebuild_mpy(&f, r)?.len(),
                flash,
                raw_codes,
            });
        }
        Ok(Summary {
            version: fz::VERSION,
            len: image.len(),
            qstr_count: f.qstr_count(),
            pool_bytes: image.len().saturating_sub(owned + fz::HEADER_LEN),
            header_bytes: fz::HEADER_LEN,
            modules,
        })
    }
}

fn align(n: usize) -> usize {
    n.div_ceil(fz::ALIGN) * fz::ALIGN
}

/// Bytes of the constant object an entry of module record `r` refers to (with nested
/// objects, without padding), 0 for other entries.
fn const_obj_size(f: &Frozen, r: usize, e: u16, depth: usize) -> usize {
    if !(konst::OBJ_FIRST..fz::QSTR_BASE).contains(&e) {
        return 0;
    }
    let off = f.module_objects(r) + fz::OBJ_ALIGN * usize::from(e - konst::OBJ_FIRST);
    match f.decode_const(r, e) {
        Some(fz::ConstEntry::Obj {
            kind,
            len,
            data,
            bytes,
            ..
        }) if depth < fz::MAX_CONST_DEPTH => {
            let own = data + bytes.len() - off;
            if kind == konst::KIND_TUPLE {
                let items: usize = (0..len)
                    .filter_map(|k| u16_at(f.data(), data + 2 * k))
                    .map(|it| const_obj_size(f, r, it, depth + 1))
                    .sum();
                own + items
            } else {
                own
            }
        }
        Some(fz::ConstEntry::Small(_)) => 6,
        _ => 0,
    }
}

fn u16_at(d: &[u8], off: usize) -> Option<u16> {
    let b = d.get(off..off + 2)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

// ---------------------------------------------------------------- writing

#[derive(Default)]
struct Writer {
    /// Header, tables and constant objects (aligned).
    a: Vec<u8>,
    /// Pool texts in id order, and text -> pool index.
    pool: Vec<String>,
    pool_ids: HashMap<String, u16>,
}

impl Writer {
    fn put_u16(&mut self, at: usize, v: u16) {
        self.a[at..at + 2].copy_from_slice(&v.to_le_bytes());
    }

    fn put_u24(&mut self, at: usize, v: usize) -> Result<(), FreezeError> {
        if v >= fz::MAX_IMAGE_LEN {
            return Err(FreezeError::TooLarge("image (16 MB)"));
        }
        self.a[at..at + 3].copy_from_slice(&(v as u32).to_le_bytes()[..3]);
        Ok(())
    }

    fn put_u32(&mut self, at: usize, v: u32) {
        self.a[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Reserve `n` zero bytes (rounded up to the alignment) in the aligned area.
    fn reserve(&mut self, n: usize) -> usize {
        let at = self.a.len();
        self.a.resize(at + align(n), 0);
        at
    }

    fn off32(v: usize, what: &'static str) -> Result<u32, FreezeError> {
        u32::try_from(v).map_err(|_| FreezeError::TooLarge(what))
    }

    /// The image qstr id of a text: the runtime's built-in id, or a pool entry.
    fn qstr(&mut self, text: &str) -> Result<u16, FreezeError> {
        if let Some(q) = builtin(text) {
            return Ok(q);
        }
        self.pool_ids
            .get(text)
            .copied()
            .ok_or(FreezeError::Corrupt("qstr missing from the pool"))
    }

    /// Sort the texts the modules use into the pool and number them.
    fn make_pool(&mut self, modules: &[Module], files: &[MpyFile]) -> Result<(), FreezeError> {
        let mut texts = std::collections::BTreeSet::new();
        for (m, f) in modules.iter().zip(files) {
            texts.insert(m.name.as_str());
            for q in f.qstrs() {
                texts.insert(q.as_str());
            }
            let mut stack: Vec<(Const, usize)> = f.consts().map(|c| (c, 0)).collect();
            while let Some((c, depth)) = stack.pop() {
                match c {
                    Const::Str(t) => {
                        texts.insert(t);
                    }
                    Const::Tuple(t) if depth < fz::MAX_CONST_DEPTH => {
                        stack.extend(t.iter().map(|c| (c, depth + 1)));
                    }
                    _ => {}
                }
            }
        }
        for t in texts {
            if builtin(t).is_some() {
                continue;
            }
            if self.pool.len() >= fz::MAX_QSTRS {
                return Err(FreezeError::TooLarge("qstr pool"));
            }
            let q = fz::QSTR_BASE + self.pool.len() as u16;
            self.pool.push(t.to_owned());
            self.pool_ids.insert(t.to_owned(), q);
        }
        Ok(())
    }

    fn write(mut self, modules: &[Module]) -> Result<Vec<u8>, FreezeError> {
        let mut files = Vec::with_capacity(modules.len());
        let mut small_int_bits = 0u8;
        let mut seen = HashMap::new();
        for m in modules {
            if m.name.is_empty() || m.name.split('.').any(str::is_empty) {
                return Err(FreezeError::ModuleName(m.name.clone()));
            }
            if seen.insert(m.name.as_str(), ()).is_some() {
                return Err(FreezeError::DuplicateModule(m.name.clone()));
            }
            let f = MpyFile::parse(&m.mpy).map_err(|e| FreezeError::Mpy {
                module: m.name.clone(),
                reason: format!("{e:?}"),
            })?;
            if f.raw_codes().any(|rc| rc.kind() != mpy::CodeKind::Bytecode)
                || f.header().arch_index() != 0
            {
                return Err(FreezeError::Native(m.name.clone()));
            }
            small_int_bits = small_int_bits.max(f.header().small_int_bits);
            files.push(f);
        }
        self.make_pool(modules, &files)?;
        self.reserve(fz::HEADER_LEN);
        let table = self.reserve(fz::MODULE_LEN * modules.len());
        debug_assert_eq!(table, fz::HEADER_LEN);
        let n_qstr = self.pool.len();
        let bases = self.reserve(4 * n_qstr.div_ceil(fz::QSTR_BLOCK));
        // Per module: qstr and constant tables, constant objects (aligned area).
        for (i, (m, f)) in modules.iter().zip(&files).enumerate() {
            let r = table + i * fz::MODULE_LEN;
            let name = self.qstr(&m.name)?;
            self.put_u16(r + mrec::NAME, name);
            self.module_tables(r, m, f)?;
        }
        // The byte area: the pool, then each module's raw-code records and function data.
        let base = self.a.len();
        let mut b = Vec::new();
        let starts = self.write_pool(base, &mut b)?;
        for (k, &at) in starts.iter().enumerate() {
            self.put_u32(bases + 4 * k, Self::off32(base + at, "image")?);
        }
        for (i, (m, f)) in modules.iter().zip(&files).enumerate() {
            self.put_u24(table + i * fz::MODULE_LEN + mrec::RAW_CODE, base + b.len())?;
            write_raw_codes(&m.name, f.raw_code(), &mut b)?;
        }
        let total = base + b.len();
        if total > fz::MAX_IMAGE_LEN {
            return Err(FreezeError::TooLarge("image (16 MB)"));
        }
        // Header.
        self.a[..4].copy_from_slice(&fz::MAGIC);
        self.put_u16(hdr::VERSION, fz::VERSION);
        self.a[hdr::SMALL_INT_BITS] = small_int_bits;
        self.put_u32(hdr::IMAGE_LEN, Self::off32(total, "image")?);
        self.put_u16(hdr::BUILTIN_QSTRS, rq::DYN_BASE);
        self.put_u32(hdr::FINGERPRINT, fz::BUILTIN_FINGERPRINT);
        self.put_u32(hdr::N_QSTR, n_qstr as u32);
        self.put_u32(hdr::QSTR_BASES, bases as u32);
        self.put_u32(hdr::N_MODULES, Self::off32(modules.len(), "module table")?);
        let mut out = self.a;
        out.extend_from_slice(&b);
        // The runtime's reader is the judge: an image we write must pass it.
        Frozen::parse(&out)?;
        Ok(out)
    }

    /// Write the pool entries (sorted, as numbered) into `b` (which starts at image
    /// offset `base`); returns each block's first entry's offset in `b`. A text found
    /// inside a longer text stored in full is stored as a reference to those bytes.
    fn write_pool(&self, base: usize, b: &mut Vec<u8>) -> Result<Vec<usize>, FreezeError> {
        let n = self.pool.len();
        // Longest first: each text is looked up in the texts already stored in full.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&x, &y| self.pool[y].len().cmp(&self.pool[x].len()).then(x.cmp(&y)));
        let mut full = SubstringIndex::default();
        // For a reference: (pool index of the text stored in full, offset in it).
        let mut refs: Vec<Option<(usize, usize)>> = vec![None; n];
        for &i in &order {
            let t = self.pool[i].as_bytes();
            if t.len() > fz::pool::REF_LEN {
                if let Some(found) = full.find(t) {
                    refs[i] = Some(found);
                    continue;
                }
            }
            full.add(i, t);
        }
        // Offsets of the texts stored in full (entries in id order).
        let mut text_at = vec![0usize; n];
        let mut at = b.len();
        for (i, t) in self.pool.iter().enumerate() {
            let head = (t.len() as u64) << 1 | u64::from(refs[i].is_some());
            at += vuint_len(head);
            text_at[i] = at;
            at += if refs[i].is_some() {
                fz::pool::REF_LEN
            } else {
                t.len()
            };
        }
        let mut starts = Vec::with_capacity(n.div_ceil(fz::QSTR_BLOCK));
        for (i, t) in self.pool.iter().enumerate() {
            if i % fz::QSTR_BLOCK == 0 {
                starts.push(b.len());
            }
            let head = (t.len() as u64) << 1 | u64::from(refs[i].is_some());
            put_vuint(b, head);
            match refs[i] {
                Some((c, off)) => {
                    let abs = base + text_at[c] + off;
                    if abs >= fz::MAX_IMAGE_LEN {
                        return Err(FreezeError::TooLarge("image (16 MB)"));
                    }
                    b.extend_from_slice(&(abs as u32).to_le_bytes()[..fz::pool::REF_LEN]);
                }
                None => b.extend_from_slice(t.as_bytes()),
            }
        }
        Ok(starts)
    }

    /// Write module record `r`'s counts, qstr and constant tables and constant objects.
    fn module_tables(&mut self, r: usize, m: &Module, f: &MpyFile) -> Result<(), FreezeError> {
        let n_qstrs = f.qstr_count();
        let n_consts = f.const_count();
        let nq = u16::try_from(n_qstrs)
            .ok()
            .filter(|&n| n & mrec::FLAG_PACKAGE == 0)
            .ok_or(FreezeError::TooLarge("qstr table (32767)"))?;
        let nc =
            u16::try_from(n_consts).map_err(|_| FreezeError::TooLarge("constant table (65535)"))?;
        let flag = if m.is_package { mrec::FLAG_PACKAGE } else { 0 };
        self.put_u16(r + mrec::N_QSTRS, nq | flag);
        self.put_u16(r + mrec::N_CONSTS, nc);
        let mut t = Vec::with_capacity(2 * (n_qstrs + n_consts));
        for q in f.qstrs() {
            let id = self.qstr(q.as_str())?;
            t.extend_from_slice(&id.to_le_bytes());
        }
        // Constant objects follow the table; large payloads go last, so that the entries
        // (which count 2-byte units from the objects' start) reach every object.
        let mut objs = Objects::default();
        let mut slot = 0u16;
        let mut deferred = Vec::new();
        for (i, c) in f.consts().enumerate() {
            let large = match c {
                Const::Bytes(b) => b.len() >= LARGE_OBJECT,
                Const::Int(x) | Const::Float(x) | Const::Complex(x) => x.len() >= LARGE_OBJECT,
                _ => false,
            };
            let e = if large {
                deferred.push((i, c, slot));
                slot = next_slot(slot)?;
                0
            } else {
                self.constant(&m.name, &mut objs, c, Some(&mut slot), 0)?
            };
            t.extend_from_slice(&e.to_le_bytes());
        }
        for (i, c, mut s) in deferred {
            let e = self.constant(&m.name, &mut objs, c, Some(&mut s), 0)?;
            t[2 * (n_qstrs + i)..2 * (n_qstrs + i) + 2].copy_from_slice(&e.to_le_bytes());
        }
        t.extend_from_slice(&objs.b);
        let at = self.reserve(t.len());
        self.a[at..at + t.len()].copy_from_slice(&t);
        self.put_u24(r + mrec::TABLES, at)
    }

    /// Encode a constant (objects appended to `objs`); objects made at import get the
    /// next slot when `slot` is given (top level).
    fn constant(
        &mut self,
        module: &str,
        objs: &mut Objects,
        c: Const,
        slot: Option<&mut u16>,
        depth: usize,
    ) -> Result<u16, FreezeError> {
        Ok(match c {
            Const::None => konst::NONE,
            Const::False => konst::FALSE,
            Const::True => konst::TRUE,
            Const::Ellipsis => konst::ELLIPSIS,
            Const::Str(s) => self.qstr(s)?,
            Const::Int(t) => match t.parse::<i64>() {
                Ok(v) if (-(1i64 << 30)..(1i64 << 30)).contains(&v) => {
                    objs.put(konst::KIND_SMALL, None, 4, &(v as i32).to_le_bytes())?
                }
                _ => objs.put(konst::KIND_INT, slot, t.len(), t.as_bytes())?,
            },
            Const::Bytes(b) => objs.put(konst::KIND_BYTES, slot, b.len(), b)?,
            Const::Float(t) => objs.put(konst::KIND_FLOAT, slot, t.len(), t.as_bytes())?,
            Const::Complex(t) => objs.put(konst::KIND_COMPLEX, slot, t.len(), t.as_bytes())?,
            Const::Tuple(t) => {
                if depth >= fz::MAX_CONST_DEPTH {
                    return Err(FreezeError::TooLarge("constant nesting"));
                }
                let e = objs.put(konst::KIND_TUPLE, slot, t.len(), &[])?;
                let items = objs.b.len();
                objs.b.resize(items + 2 * t.len(), 0);
                for (k, item) in t.iter().enumerate() {
                    let ie = self.constant(module, objs, item, None, depth + 1)?;
                    objs.b[items + 2 * k..items + 2 * k + 2].copy_from_slice(&ie.to_le_bytes());
                }
                e
            }
            Const::FunTable => return Err(FreezeError::Native(module.to_owned())),
        })
    }
}

/// Payloads from this size are placed after the other constant objects of their module.
const LARGE_OBJECT: usize = 64;

fn next_slot(s: u16) -> Result<u16, FreezeError> {
    s.checked_add(1)
        .filter(|&n| n != konst::NO_SLOT)
        .ok_or(FreezeError::TooLarge("constant table"))
}

/// A module's constant objects, as written after its constant table.
#[derive(Default)]
struct Objects {
    b: Vec<u8>,
}

impl Objects {
    /// Append an object (at an even offset) and return its constant entry; `slot` is
    /// given (and advanced) for an object made at import.
    fn put(
        &mut self,
        kind: u8,
        slot: Option<&mut u16>,
        len: usize,
        payload: &[u8],
    ) -> Result<u16, FreezeError> {
        if !self.b.len().is_multiple_of(fz::OBJ_ALIGN) {
            self.b.push(0);
        }
        let at = self.b.len();
        let e = u16::try_from(at / fz::OBJ_ALIGN)
            .ok()
            .and_then(|k| konst::OBJ_FIRST.checked_add(k))
            .filter(|&e| e < fz::QSTR_BASE)
            .ok_or(FreezeError::TooLarge(
                "constant objects of a module (64 KB)",
            ))?;
        match slot {
            Some(s) => {
                self.b.push(kind | konst::SLOT);
                put_vuint(&mut self.b, u64::from(*s));
                *s = next_slot(*s)?;
            }
            None => self.b.push(kind),
        }
        if vuint_len(len as u64) > 4 {
            return Err(FreezeError::TooLarge("constant (256 MB)"));
        }
        put_vuint(&mut self.b, len as u64);
        self.b.extend_from_slice(payload);
        Ok(e)
    }
}

/// Texts stored in full in the pool, to find a text inside one of them.
#[derive(Default)]
struct SubstringIndex {
    /// The texts, each followed by a 0xff byte (never in UTF-8).
    blob: Vec<u8>,
    /// (offset in `blob`, pool index) of each text.
    starts: Vec<(usize, usize)>,
    /// Offsets in `blob` of each 4-byte sequence.
    grams: HashMap<[u8; 4], Vec<u32>>,
}

impl SubstringIndex {
    fn add(&mut self, i: usize, t: &[u8]) {
        let at = self.blob.len();
        self.starts.push((at, i));
        self.blob.extend_from_slice(t);
        self.blob.push(0xff);
        for (k, w) in t.windows(4).enumerate() {
            let g = self.grams.entry([w[0], w[1], w[2], w[3]]).or_default();
            // Bounded lists keep the search linear on repetitive inputs.
            if g.len() < 4096 {
                g.push((at + k) as u32);
            }
        }
    }

    /// (pool index, offset in its text) of a text containing `t` (4 bytes or more).
    fn find(&self, t: &[u8]) -> Option<(usize, usize)> {
        let g = self.grams.get(&[t[0], t[1], t[2], t[3]])?;
        let at = *g
            .iter()
            .find(|&&p| self.blob.get(p as usize..p as usize + t.len()) == Some(t))?
            as usize;
        let k = self.starts.partition_point(|&(s, _)| s <= at) - 1;
        let (s, i) = self.starts[k];
        Some((i, at - s))
    }
}

fn vuint_len(v: u64) -> usize {
    let mut n = 1;
    let mut v = v >> 7;
    while v != 0 {
        n += 1;
        v >>= 7;
    }
    n
}

/// Append a module's raw-code records (breadth first from the module body, so each
/// record's children are consecutive and after it) with their function data.
fn write_raw_codes(module: &str, root: RawCode, b: &mut Vec<u8>) -> Result<(), FreezeError> {
    let bad = |what: &str| FreezeError::Mpy {
        module: module.to_owned(),
        reason: what.to_owned(),
    };
    let mut order = vec![root];
    let mut i = 0;
    while i < order.len() {
        let rc = order[i];
        order.extend(rc.children());
        i += 1;
    }
    let n = order.len();
    let mut first_child = Vec::with_capacity(n);
    let mut next = 1;
    for rc in &order {
        if rc.prelude().is_none() {
            return Err(bad("raw code without a bytecode prelude"));
        }
        first_child.push(next);
        next += rc.child_count();
    }
    let head = |rc: &RawCode| (rc.fun_data().len() as u64) << 1 | u64::from(rc.child_count() > 0);
    // The distance to the first child depends on the records' sizes, which depend on
    // the distances' vuint lengths: grow those until they fit.
    let mut dist_len = vec![1usize; n];
    let (at, dists) = loop {
        let mut at = Vec::with_capacity(n + 1);
        let mut p = 0;
        for (k, rc) in order.iter().enumerate() {
            at.push(p);
            p += vuint_len(head(rc)) + rc.fun_data().len();
            if rc.child_count() > 0 {
                p += vuint_len(rc.child_count() as u64) + dist_len[k];
            }
        }
        at.push(p);
        let mut grew = false;
        let mut dists = vec![0usize; n];
        for (k, rc) in order.iter().enumerate() {
            if rc.child_count() > 0 {
                dists[k] = at[first_child[k]] - at[k];
                let need = vuint_len(dists[k] as u64);
                if need > dist_len[k] {
                    dist_len[k] = need;
                    grew = true;
                }
            }
        }
        if !grew {
            break (at, dists);
        }
    };
    let start = b.len();
    for (k, rc) in order.iter().enumerate() {
        debug_assert_eq!(b.len() - start, at[k]);
        let v = head(rc);
        if vuint_len(v) > 4 {
            return Err(FreezeError::TooLarge("function (256 MB)"));
        }
        put_vuint(b, v);
        if rc.child_count() > 0 {
            put_vuint(b, rc.child_count() as u64);
            // Pad the distance's vuint to the length the layout reserved.
            put_vuint_len(b, dists[k] as u64, dist_len[k]);
        }
        b.extend_from_slice(rc.fun_data());
    }
    Ok(())
}

/// A vuint of exactly `len` bytes (leading 0x80 groups).
fn put_vuint_len(out: &mut Vec<u8>, v: u64, len: usize) {
    for k in (0..len).rev() {
        let g = ((v >> (7 * k)) & 0x7f) as u8;
        out.push(if k > 0 { g | 0x80 } else { g });
    }
}

fn builtin(text: &str) -> Option<u16> {
    rq::find_builtin(text.as_bytes(), rq::hash_bytes(text.as_bytes())).map(|q| q.0)
}

// ---------------------------------------------------------------- reading back

fn put_vuint(out: &mut Vec<u8>, v: u64) {
    upyc_bytecode::vuint::encode_with(v, |b| out.push(b));
}

/// The `.mpy` a module record was made from.
fn rebuild_mpy(f: &Frozen, r: usize) -> Result<Vec<u8>, FreezeError> {
    let mut out = Vec::new();
    let sib = f.small_int_bits();
    out.extend_from_slice(&mpy::Header::bytecode(sib).to_bytes());
    let nq = f.module_n_qstrs(r);
    let nc = f.module_n_consts(r);
    put_vuint(&mut out, nq as u64);
    put_vuint(&mut out, nc as u64);
    for i in 0..nq {
        let q = f
            .module_qstr(r, i)
            .ok_or(FreezeError::Corrupt("qstr table"))?;
        if (1..=mpy::STATIC_QSTR_COUNT).contains(&(q as usize)) {
            put_vuint(&mut out, (q as u64) << 1 | 1);
        } else {
            let t = f.qstr_text(q);
            put_vuint(&mut out, (t.len() as u64) << 1);
            out.extend_from_slice(t);
            out.push(0);
        }
    }
    for i in 0..nc {
        let e = f
            .module_const(r, i)
            .ok_or(FreezeError::Corrupt("constant table"))?;
        rebuild_const(f, r, e, &mut out, 0)?;
    }
    let mut stack = vec![(f.module_raw_code(r), 0usize)];
    // Depth-first, writing each record when first visited and its children count after
    // its data, as the `.mpy` orders them.
    while let Some(&(rc, next)) = stack.last() {
        let rec = f.raw_code(rc).ok_or(FreezeError::Corrupt("raw code"))?;
        if next == 0 {
            let data = f
                .data()
                .get(rec.data_off..rec.data_off + rec.data_len)
                .ok_or(FreezeError::Corrupt("raw code"))?;
            let has_children = rec.n_children > 0;
            put_vuint(
                &mut out,
                mpy::raw_code_header(mpy::CodeKind::Bytecode, data.len() as u64, has_children),
            );
            out.extend_from_slice(data);
            if has_children {
                put_vuint(&mut out, rec.n_children as u64);
            }
        }
        if next < rec.n_children {
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let c = f
                .raw_code_child(rc, next)
                .ok_or(FreezeError::Corrupt("raw code"))?;
            if stack.len() > fz::MAX_RC_DEPTH {
                return Err(FreezeError::Corrupt("raw code"));
            }
            stack.push((c, 0));
        } else {
            stack.pop();
        }
    }
    Ok(out)
}

fn rebuild_const(
    f: &Frozen,
    r: usize,
    e: u16,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), FreezeError> {
    use upyc_bytecode::mpy::obj;
    let c = f
        .decode_const(r, e)
        .ok_or(FreezeError::Corrupt("constant"))?;
    match c {
        fz::ConstEntry::Imm(konst::NONE) => out.push(obj::NONE),
        fz::ConstEntry::Imm(konst::FALSE) => out.push(obj::FALSE),
        fz::ConstEntry::Imm(konst::TRUE) => out.push(obj::TRUE),
        fz::ConstEntry::Imm(_) => out.push(obj::ELLIPSIS),
        fz::ConstEntry::Small(v) => {
            let t = v.to_string();
            out.push(obj::INT);
            put_vuint(out, t.len() as u64);
            out.extend_from_slice(t.as_bytes());
        }
        fz::ConstEntry::Str(q) => {
            let t = f.qstr_text(q);
            out.push(obj::STR);
            put_vuint(out, t.len() as u64);
            out.extend_from_slice(t);
            out.push(0);
        }
        fz::ConstEntry::Obj {
            kind,
            len,
            data,
            bytes,
            ..
        } => match kind {
            konst::KIND_BYTES => {
                out.push(obj::BYTES);
                put_vuint(out, len as u64);
                out.extend_from_slice(bytes);
                out.push(0);
            }
            konst::KIND_INT | konst::KIND_FLOAT | konst::KIND_COMPLEX => {
                out.push(match kind {
                    konst::KIND_INT => obj::INT,
                    konst::KIND_FLOAT => obj::FLOAT,
                    _ => obj::COMPLEX,
                });
                put_vuint(out, len as u64);
                out.extend_from_slice(bytes);
            }
            _ => {
                if depth >= fz::MAX_CONST_DEPTH {
                    return Err(FreezeError::Corrupt("constant"));
                }
                out.push(obj::TUPLE);
                put_vuint(out, len as u64);
                for k in 0..len {
                    let it =
                        u16_at(f.data(), data + 2 * k).ok_or(FreezeError::Corrupt("constant"))?;
                    rebuild_const(f, r, it, out, depth + 1)?;
                }
            }
        },
    }
    Ok(())
}
