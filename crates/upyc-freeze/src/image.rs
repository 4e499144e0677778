//! The frozen ROM image: writing it from `.mpy` modules, reading it back into `.mpy`
//! modules (the round trip the tests check) and measuring what each module costs.
//!
//! Corresponds to `tools/mpy-tool.py -f` in MicroPython, which writes C; we write the
//! image itself. The layout constants are `upyc_runtime::frozen`'s (the one definition the
//! runtime's validating reader also uses); `docs/frozen-image.md` describes the format.
//!
//! Layout, in order: header, module table, qstr-pool offsets, qstr hash index, then per
//! module its qstr table, constant table, constant objects and raw-code records (all
//! 4-byte aligned), then the byte data: qstr texts and the function data (prelude and
//! bytecode, unchanged from the `.mpy`).

use std::collections::HashMap;

use upyc_bytecode::mpy::{self, Const, MpyFile, RawCode};
use upyc_runtime::frozen::{self as fz, hdr, konst, module as mrec, rc as rrec, Frozen};
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
    /// Size of the `.mpy` it came from.
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
    /// Bytes of the shared pool (texts, offsets, hash index).
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
            let mut flash = fz::MODULE_LEN + align(2 * m.n_qstrs) + 4 * m.n_consts;
            for k in 0..m.n_consts {
                if let Some(e) = f.module_const(r, k) {
                    flash += const_obj_size(&f, e, 0);
                }
            }
            let raw_codes = f.module_field(r, mrec::N_RAW_CODES);
            let mut rc = f.module_field(r, mrec::RAW_CODE);
            for _ in 0..raw_codes {
                let next = f.next_raw_code(rc).unwrap_or(rc);
                flash += next - rc + f.raw_code(rc).map_or(0, |x| x.data_len);
                rc = next;
            }
            flash += fz::RC_LEN;
            owned += flash;
            modules.push(ModuleCost {
                name: String::from_utf8_lossy(m.name).into_owned(),
                is_package: m.is_package,
                mpy_len: m.mpy_len,
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

fn const_obj_size(f: &Frozen, e: u32, depth: usize) -> usize {
    match f.decode_const(e) {
        Some(fz::ConstEntry::Obj {
            kind, len, data, ..
        }) if depth < fz::MAX_CONST_DEPTH => {
            if kind == konst::KIND_TUPLE {
                let items: usize = (0..len)
                    .filter_map(|k| u32_at(f.data(), data + 4 * k))
                    .map(|it| const_obj_size(f, it, depth + 1))
                    .sum();
                fz::OBJ_HEADER_LEN + 4 * len + items
            } else {
                fz::OBJ_HEADER_LEN + align(len)
            }
        }
        _ => 0,
    }
}

fn u32_at(d: &[u8], off: usize) -> Option<u32> {
    let b = d.get(off..off + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

// ---------------------------------------------------------------- writing

/// A reference from the aligned area into the byte area, patched once the aligned area's
/// length is known.
struct Fixup {
    /// Where the `u32` is in the aligned area.
    at: usize,
    /// Offset in the byte area.
    off: usize,
    /// For a raw-code record: the children count that goes in the high byte.
    high: Option<u8>,
}

#[derive(Default)]
struct Writer {
    /// Header, tables and records (aligned).
    a: Vec<u8>,
    /// Qstr texts and function data.
    b: Vec<u8>,
    fixups: Vec<Fixup>,
    /// Pool texts in id order, and text -> pool index.
    pool: Vec<String>,
    pool_ids: HashMap<String, u16>,
}

impl Writer {
    fn put_u16(&mut self, at: usize, v: u16) {
        self.a[at..at + 2].copy_from_slice(&v.to_le_bytes());
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
        // Module tables and records first (they fill the pool), then the pool.
        let mut bodies = Vec::new();
        for (m, f) in modules.iter().zip(&files) {
            bodies.push(self.module_body(m, f)?);
        }
        let n_qstr = self.pool.len();
        let bases = self.reserve(4 * n_qstr.div_ceil(fz::QSTR_BLOCK));
        for i in 0..n_qstr {
            if i % fz::QSTR_BLOCK == 0 {
                self.fixups.push(Fixup {
                    at: bases + 4 * (i / fz::QSTR_BLOCK),
                    off: self.b.len(),
                    high: None,
                });
            }
            let t = std::mem::take(&mut self.pool[i]);
            put_vuint(&mut self.b, t.len() as u64);
            self.b.extend_from_slice(t.as_bytes());
            self.pool[i] = t;
        }
        // Module table.
        for (i, (m, body)) in modules.iter().zip(&bodies).enumerate() {
            let r = table + i * fz::MODULE_LEN;
            let name = self.pool_ids.get(&m.name).copied();
            let name = match name {
                Some(q) => q,
                None => self.qstr(&m.name)?,
            };
            self.put_u16(r + mrec::NAME, name);
            self.put_u16(
                r + mrec::FLAGS,
                if m.is_package { mrec::FLAG_PACKAGE } else { 0 },
            );
            self.put_u32(r + mrec::QSTRS, body.qstrs);
            self.put_u32(r + mrec::N_QSTRS, body.n_qstrs);
            self.put_u32(r + mrec::CONSTS, body.consts);
            self.put_u32(r + mrec::N_CONSTS, body.n_consts);
            self.put_u32(r + mrec::N_SLOTS, body.n_slots);
            self.put_u32(r + mrec::RAW_CODE, body.raw_code);
            self.put_u32(r + mrec::MPY_LEN, Self::off32(m.mpy.len(), "module")?);
            self.put_u32(r + mrec::N_RAW_CODES, body.n_raw_codes);
        }
        // Header.
        let base = self.a.len();
        let total = base + self.b.len();
        let total32 = Self::off32(total, "image")?;
        self.a[..4].copy_from_slice(&fz::MAGIC);
        self.put_u16(hdr::VERSION, fz::VERSION);
        self.a[hdr::SMALL_INT_BITS] = small_int_bits;
        self.put_u32(hdr::IMAGE_LEN, total32);
        self.put_u16(hdr::BUILTIN_QSTRS, rq::DYN_BASE);
        self.put_u32(hdr::FINGERPRINT, fz::BUILTIN_FINGERPRINT);
        self.put_u32(hdr::N_QSTR, n_qstr as u32);
        self.put_u32(hdr::QSTR_BASES, bases as u32);
        self.put_u32(hdr::N_MODULES, Self::off32(modules.len(), "module table")?);
        self.put_u32(hdr::MODULES, table as u32);
        if total > fz::MAX_IMAGE_LEN {
            return Err(FreezeError::TooLarge("image (16 MB)"));
        }
        for fx in std::mem::take(&mut self.fixups) {
            let v = Self::off32(base + fx.off, "image")?;
            let v = match fx.high {
                Some(h) => v | u32::from(h) << 24,
                None => v,
            };
            self.put_u32(fx.at, v);
        }
        let mut out = self.a;
        out.extend_from_slice(&self.b);
        // The runtime's reader is the judge: an image we write must pass it.
        Frozen::parse(&out)?;
        Ok(out)
    }

    fn module_body(&mut self, m: &Module, f: &MpyFile) -> Result<Body, FreezeError> {
        let n_qstrs = f.qstr_count();
        let qstrs = self.reserve(2 * n_qstrs);
        for (i, q) in f.qstrs().enumerate() {
            let id = self.qstr(q.as_str())?;
            self.put_u16(qstrs + 2 * i, id);
        }
        let n_consts = f.const_count();
        let consts = self.reserve(4 * n_consts);
        let mut slot = 0u16;
        for (i, c) in f.consts().enumerate() {
            let e = self.constant(&m.name, c, Some(&mut slot), 0)?;
            self.put_u32(consts + 4 * i, e);
        }
        let (raw_code, n_raw_codes) = self.raw_codes(&m.name, f.raw_code())?;
        Ok(Body {
            n_raw_codes,
            qstrs: qstrs as u32,
            n_qstrs: n_qstrs as u32,
            consts: consts as u32,
            n_consts: n_consts as u32,
            n_slots: slot as u32,
            raw_code,
        })
    }

    /// Encode a constant; objects get the next slot when `slot` is given (top level).
    fn constant(
        &mut self,
        module: &str,
        c: Const,
        slot: Option<&mut u16>,
        depth: usize,
    ) -> Result<u32, FreezeError> {
        let obj = |w: &mut Writer, kind: u8, len: usize, slot: Option<&mut u16>| {
            let at = w.reserve(fz::OBJ_HEADER_LEN);
            w.a[at] = kind;
            let s = match slot {
                Some(s) => {
                    let v = *s;
                    *s = s
                        .checked_add(1)
                        .filter(|&n| n != konst::NO_SLOT)
                        .ok_or(FreezeError::TooLarge("constant table"))?;
                    v
                }
                None => konst::NO_SLOT,
            };
            w.put_u16(at + 2, s);
            w.put_u32(at + 4, Self::off32(len, "constant")?);
            Ok::<usize, FreezeError>(at)
        };
        let bytes_obj = |w: &mut Writer, kind: u8, b: &[u8], slot: Option<&mut u16>| {
            let at = obj(w, kind, b.len(), slot)?;
            let d = w.reserve(b.len());
            w.a[d..d + b.len()].copy_from_slice(b);
            Ok::<u32, FreezeError>(at as u32)
        };
        Ok(match c {
            Const::None => konst::NONE,
            Const::False => konst::FALSE,
            Const::True => konst::TRUE,
            Const::Ellipsis => konst::ELLIPSIS,
            Const::Str(s) => (u32::from(self.qstr(s)?) << 2) | 2,
            Const::Int(t) => match t.parse::<i64>() {
                Ok(v) if (-(1i64 << 30)..(1i64 << 30)).contains(&v) => ((v as i32) << 1) as u32 | 1,
                _ => bytes_obj(self, konst::KIND_INT, t.as_bytes(), slot)?,
            },
            Const::Bytes(b) => bytes_obj(self, konst::KIND_BYTES, b, slot)?,
            Const::Float(t) => bytes_obj(self, konst::KIND_FLOAT, t.as_bytes(), slot)?,
            Const::Complex(t) => bytes_obj(self, konst::KIND_COMPLEX, t.as_bytes(), slot)?,
            Const::Tuple(t) => {
                if depth >= fz::MAX_CONST_DEPTH {
                    return Err(FreezeError::TooLarge("constant nesting"));
                }
                let at = obj(self, konst::KIND_TUPLE, t.len(), slot)?;
                let items = self.reserve(4 * t.len());
                for (k, item) in t.iter().enumerate() {
                    let e = self.constant(module, item, None, depth + 1)?;
                    self.put_u32(items + 4 * k, e);
                }
                at as u32
            }
            Const::FunTable => return Err(FreezeError::Native(module.to_owned())),
        })
    }

    /// Write a module's raw-code table (breadth first, so each record's children are
    /// consecutive and after it) and the function data in the same order; returns the
    /// table's offset and its record count (without the sentinel).
    fn raw_codes(&mut self, module: &str, root: RawCode) -> Result<(u32, u32), FreezeError> {
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
        // Record offsets within the table: 4 bytes, 6 with children; then the sentinel.
        let mut at = Vec::with_capacity(n + 1);
        let mut size = 0;
        for rc in &order {
            at.push(size);
            size += match rc.child_count() {
                0 => fz::RC_LEN,
                1..255 => fz::RC_LEN + 2,
                _ => fz::RC_LEN + 4,
            };
        }
        at.push(size);
        let table = self.reserve(size + fz::RC_LEN);
        let mut next_child = 1;
        for (i, rc) in order.iter().enumerate() {
            let r = table + at[i];
            if rc.prelude().is_none() {
                return Err(bad("raw code without a bytecode prelude"));
            }
            let n_children = rc.child_count();
            let high = u8::try_from(n_children.min(255)).unwrap_or(255);
            if n_children >= 255 {
                let many = u16::try_from(n_children)
                    .map_err(|_| FreezeError::TooLarge("children (65535)"))?;
                self.put_u16(r + rrec::MANY_CHILDREN, many);
            }
            self.fixups.push(Fixup {
                at: r + rrec::HEAD,
                off: self.b.len(),
                high: Some(high),
            });
            self.b.extend_from_slice(rc.fun_data());
            if n_children > 0 {
                let delta = u16::try_from(at[next_child] - at[i])
                    .map_err(|_| FreezeError::TooLarge("raw-code table (64 KB)"))?;
                self.put_u16(r + rrec::FIRST_CHILD, delta);
            }
            next_child += n_children;
        }
        self.fixups.push(Fixup {
            at: table + size + rrec::HEAD,
            off: self.b.len(),
            high: Some(0),
        });
        Ok((table as u32, Self::off32(n, "raw-code table")?))
    }
}

fn builtin(text: &str) -> Option<u16> {
    rq::find_builtin(text.as_bytes(), rq::hash_bytes(text.as_bytes())).map(|q| q.0)
}

struct Body {
    qstrs: u32,
    n_qstrs: u32,
    consts: u32,
    n_consts: u32,
    n_slots: u32,
    raw_code: u32,
    n_raw_codes: u32,
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
    let nq = f.module_field(r, mrec::N_QSTRS);
    let nc = f.module_field(r, mrec::N_CONSTS);
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
        rebuild_const(f, e, &mut out, 0)?;
    }
    let mut stack = vec![(f.module_field(r, mrec::RAW_CODE), 0usize)];
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

fn rebuild_const(f: &Frozen, e: u32, out: &mut Vec<u8>, depth: usize) -> Result<(), FreezeError> {
    use upyc_bytecode::mpy::obj;
    let c = f.decode_const(e).ok_or(FreezeError::Corrupt("constant"))?;
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
                        u32_at(f.data(), data + 4 * k).ok_or(FreezeError::Corrupt("constant"))?;
                    rebuild_const(f, it, out, depth + 1)?;
                }
            }
        },
    }
    Ok(())
}
