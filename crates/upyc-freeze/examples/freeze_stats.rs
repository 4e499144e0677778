//! Where the bytes of a frozen image go, and what the ideas for shrinking it would save:
//! statistics over a set of `.mpy` files (module names from the file names).
//!
//! usage: `cargo run --release -p upyc-freeze --example freeze_stats -- DIR/*.mpy`
//!
//! Prints the image's parts (as written now), the parts of the function data (prelude
//! sections and bytecode), the distinct pool texts with what removing texts that are parts
//! of others and a greedy shortest common superstring would leave, how the qstr-table
//! entries split (built-in, a module's new texts, shared texts) and the order-0 entropy of
//! the line-number tables.

use std::collections::{HashMap, HashSet};
use std::error::Error;

use upyc_bytecode::mpy::{Const, MpyFile};
use upyc_bytecode::prelude::LineInfo;
use upyc_freeze::{Image, Module};
use upyc_runtime::frozen::{self as fz, Frozen};
use upyc_runtime::qstr as rq;

fn builtin(t: &str) -> bool {
    rq::find_builtin(t.as_bytes(), rq::hash_bytes(t.as_bytes())).is_some()
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut mods = Vec::new();
    for (i, p) in std::env::args().skip(1).enumerate() {
        let path = std::path::Path::new(&p);
        let name = path
            .file_stem()
            .map_or(format!("m{i}"), |s| s.to_string_lossy().into_owned());
        let mpy = std::fs::read(path).map_err(|e| format!("{p}: {e}"))?;
        mods.push(Module {
            name,
            is_package: false,
            mpy,
        });
    }
    image_parts(&mods)?;
    mpy_parts(&mods)
}

/// The parts of the image made from `mods`.
fn image_parts(mods: &[Module]) -> Result<(), Box<dyn Error>> {
    let img = Image::from_modules(mods)?;
    let f = Frozen::parse(&img)?;
    let (mut qstr_tables, mut const_tables, mut heads, mut fun) = (0, 0, 0, 0);
    let mut tables_start = usize::MAX;
    for i in 0..f.module_count() {
        let m = f.module(i).ok_or("module")?;
        qstr_tables += 2 * m.n_qstrs;
        const_tables += 2 * m.n_consts;
        tables_start = tables_start.min(f.module_tables(m.record));
        let (mut seen, mut claimed, mut rc) = (0, 1, f.module_raw_code(m.record));
        while seen < claimed {
            let rec = f.raw_code(rc).ok_or("raw code")?;
            heads += rec.data_off - rc;
            fun += rec.data_len;
            claimed += rec.n_children;
            seen += 1;
            rc = rec.next();
        }
    }
    let u32_at = |at: usize| -> Result<usize, Box<dyn Error>> {
        let b = img.get(at..at + 4).ok_or("truncated")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let bases = u32_at(fz::hdr::QSTR_BASES)?;
    let pool_start = if f.qstr_count() > 0 {
        u32_at(bases)?
    } else {
        tables_start
    };
    let first_rc = f.module_raw_code(fz::HEADER_LEN);
    // Pool entries: vuint `len << 1 | ref`, then the text or a 3-byte reference.
    let (mut refs, mut full, mut p) = (0, 0, pool_start);
    for _ in 0..f.qstr_count() {
        let mut v = 0usize;
        loop {
            let b = *img.get(p).ok_or("pool")?;
            p += 1;
            v = v << 7 | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        if v & 1 == 1 {
            refs += 1;
            p += fz::pool::REF_LEN;
        } else {
            full += v >> 1;
            p += v >> 1;
        }
    }
    println!(
        "image {} B: header and module records {}, pool block table {}, qstr tables \
         {qstr_tables}, constant tables {const_tables}, constant objects and padding {}, \
         pool entries {} ({} texts: {refs} references, {full} B of text stored in full), \
         raw-code heads {heads}, function data {fun}",
        img.len(),
        fz::HEADER_LEN + fz::MODULE_LEN * f.module_count(),
        tables_start - bases,
        pool_start - tables_start - qstr_tables - const_tables,
        first_rc - pool_start,
        f.qstr_count(),
    );
    Ok(())
}

/// The `.mpy` files' parts and what the ideas would save.
fn mpy_parts(mods: &[Module]) -> Result<(), Box<dyn Error>> {
    let mut total = 0;
    let (mut fun, mut sig, mut names, mut line, mut cells, mut code) = (0, 0, 0, 0, 0, 0);
    let (mut n_rc, mut n_parents) = (0, 0);
    let mut texts: HashSet<&str> = HashSet::new();
    let mut first_module: HashSet<&str> = HashSet::new();
    let (mut entries, mut fresh, mut builtins) = (0, 0, 0);
    let mut steps: HashMap<(u32, u32), usize> = HashMap::new();
    let files: Vec<MpyFile> = mods
        .iter()
        .map(|m| MpyFile::parse(&m.mpy).map_err(|e| format!("{}: {e:?}", m.name)))
        .collect::<Result<_, _>>()?;
    for (m, f) in mods.iter().zip(&files) {
        total += m.mpy.len();
        for q in f.qstrs() {
            entries += 1;
            let t = q.as_str();
            if builtin(t) {
                builtins += 1;
                continue;
            }
            texts.insert(t);
            if first_module.insert(t) {
                fresh += 1;
            }
        }
        for c in f.consts() {
            if let Const::Str(s) = c {
                if !builtin(s) {
                    texts.insert(s);
                }
            }
        }
        for rc in f.raw_codes() {
            n_rc += 1;
            n_parents += usize::from(rc.child_count() > 0);
            let fd = rc.fun_data();
            fun += fd.len();
            let p = rc.prelude().ok_or("raw code without a prelude")?;
            sig += p.source_info_offset;
            names += p.line_info_offset - p.source_info_offset;
            line += p.closure_offset - p.line_info_offset;
            cells += p.opcodes_offset - p.closure_offset;
            code += fd.len() - p.opcodes_offset;
            for st in LineInfo::new(p.line_info()) {
                *steps
                    .entry((st.bc_increment, st.line_increment))
                    .or_default() += 1;
            }
        }
    }
    println!(
        ".mpy {total} B; function data {fun} (signature and sizes {sig}, names {names}, \
         line tables {line}, cells {cells}, bytecode {code}); raw codes {n_rc} \
         ({n_parents} with children)"
    );
    let n_steps: usize = steps.values().sum();
    let bits: f64 = steps
        .values()
        .map(|&c| -(c as f64 / n_steps as f64).log2() * c as f64)
        .sum();
    println!(
        "line tables: {n_steps} steps, order-0 entropy {:.0} B",
        bits / 8.0
    );
    println!(
        "qstr-table entries {entries}: built-in {builtins}, a module's new text {fresh}, \
         shared {}",
        entries - builtins - fresh
    );
    let mut v: Vec<&str> = texts.into_iter().collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let sum: usize = v.iter().map(|s| s.len()).sum();
    // Texts that are not part of a longer one.
    let mut kept: Vec<&str> = Vec::new();
    let mut blob = String::new();
    for s in &v {
        if !blob.contains(s) {
            kept.push(s);
            blob.push('\0');
            blob.push_str(s);
        }
    }
    let kept_sum: usize = kept.iter().map(|s| s.len()).sum();
    println!(
        "distinct texts {} ({sum} B); not part of another {} ({kept_sum} B); greedy \
         shortest common superstring {} B",
        v.len(),
        kept.len(),
        kept_sum - greedy_overlap(&kept)
    );
    Ok(())
}

/// Bytes saved by chaining texts on their longest suffix-prefix overlaps, longest first.
fn greedy_overlap(texts: &[&str]) -> usize {
    let n = texts.len();
    let max = texts.iter().map(|s| s.len()).max().unwrap_or(0);
    let (mut has_pred, mut has_succ) = (vec![false; n], vec![false; n]);
    // Chains: the head of the chain a text ends, and the tail of the chain a text heads.
    let mut head_of: Vec<usize> = (0..n).collect();
    let mut tail_of: Vec<usize> = (0..n).collect();
    let mut saved = 0;
    for k in (1..max).rev() {
        let mut by_prefix: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for (j, s) in texts.iter().enumerate() {
            if !has_pred[j] && s.len() > k {
                by_prefix.entry(&s.as_bytes()[..k]).or_default().push(j);
            }
        }
        for (i, s) in texts.iter().enumerate() {
            if has_succ[i] || s.len() <= k {
                continue;
            }
            let Some(c) = by_prefix.get_mut(&s.as_bytes()[s.len() - k..]) else {
                continue;
            };
            while let Some(&j) = c.last() {
                if has_pred[j] {
                    c.pop();
                    continue;
                }
                if head_of[i] == j {
                    break; // would close a cycle
                }
                c.pop();
                has_succ[i] = true;
                has_pred[j] = true;
                let (h, t) = (head_of[i], tail_of[j]);
                tail_of[h] = t;
                head_of[t] = h;
                saved += k;
                break;
            }
        }
    }
    saved
}
