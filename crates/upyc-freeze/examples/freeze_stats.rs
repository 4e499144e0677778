//! Where the bytes of a frozen image would go: statistics over a set of `.mpy` files.
//! usage: cargo run --release -p upyc-freeze --example freeze_stats -- FILE.mpy...
use std::collections::{HashMap, HashSet};
use upyc_bytecode::mpy::{Const, MpyFile};
use upyc_runtime::qstr as rq;

fn builtin(t: &str) -> bool {
    rq::find_builtin(t.as_bytes(), rq::hash_bytes(t.as_bytes())).is_some()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    image_breakdown(&args);
    let files: Vec<Vec<u8>> = std::env::args()
        .skip(1)
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut mpy_total = 0;
    let (mut fun, mut sig, mut names, mut line, mut cells, mut code) = (0, 0, 0, 0, 0, 0);
    let mut n_rc = 0;
    let mut n_rc_children = 0;
    let mut texts: HashSet<String> = HashSet::new();
    let (mut qt_entries, mut qt_fresh, mut qt_builtin) = (0, 0, 0);
    let mut const_kinds: HashMap<&str, usize> = HashMap::new();
    let mut fresh_run_breaks = 0;
    let mut shared_delta_small = 0;
    let mut global: HashMap<String, usize> = HashMap::new();
    let mut steps: HashMap<(u32, u32), usize> = HashMap::new();
    for d in &files {
        mpy_total += d.len();
        let f = MpyFile::parse(d).unwrap();
        let mut prev_fresh = false;
        let mut prev_gid: isize = -1;
        for q in f.qstrs() {
            qt_entries += 1;
            let t = q.as_str();
            if builtin(t) {
                qt_builtin += 1;
                prev_fresh = false;
                continue;
            }
            texts.insert(t.to_owned());
            if !global.contains_key(t) {
                qt_fresh += 1;
                let id = global.len();
                global.insert(t.to_owned(), id);
                if !prev_fresh {
                    fresh_run_breaks += 1;
                }
                prev_fresh = true;
                prev_gid = id as isize;
            } else {
                let g = global[t] as isize;
                if (g - prev_gid).abs() < 128 {
                    shared_delta_small += 1;
                }
                prev_gid = g;
                prev_fresh = false;
            }
        }
        for c in f.consts() {
            let k = match c {
                Const::Str(s) => {
                    if !builtin(s) {
                        texts.insert(s.to_owned());
                    }
                    "str"
                }
                Const::Int(t) => {
                    if t.parse::<i64>().is_ok_and(|v| v.abs() < 1 << 30) {
                        "smallint"
                    } else {
                        "bigint"
                    }
                }
                Const::Bytes(_) => "bytes",
                Const::Float(_) => "float",
                Const::Complex(_) => "complex",
                Const::Tuple(_) => "tuple",
                _ => "imm",
            };
            *const_kinds.entry(k).or_default() += 1;
        }
        for rc in f.raw_codes() {
            n_rc += 1;
            if rc.child_count() > 0 {
                n_rc_children += 1;
            }
            let fd = rc.fun_data();
            fun += fd.len();
            let p = rc.prelude().unwrap();
            sig += p.source_info_offset;
            names += p.line_info_offset - p.source_info_offset;
            line += p.closure_offset - p.line_info_offset;
            cells += p.opcodes_offset - p.closure_offset;
            code += fd.len() - p.opcodes_offset;
            for st in upyc_bytecode::prelude::LineInfo::new(p.line_info()) {
                *steps
                    .entry((st.bc_increment, st.line_increment))
                    .or_insert(0usize) += 1;
            }
        }
    }
    let mut v: Vec<&String> = texts.iter().collect();
    v.sort();
    let text_sum: usize = v.iter().map(|s| s.len()).sum();
    println!("mpy total {mpy_total}; fun data {fun} (sig+size {sig}, names {names}, line {line}, cells {cells}, code {code})");
    let n_steps: usize = steps.values().sum();
    let ent: f64 = steps
        .values()
        .map(|&c| {
            let p = c as f64 / n_steps as f64;
            -p.log2() * c as f64
        })
        .sum();
    let mut top: Vec<_> = steps.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    println!(
        "line steps {n_steps}, entropy {:.0} B; top {:?}",
        ent / 8.0,
        &top[..20]
    );
    println!("raw codes {n_rc} ({n_rc_children} with children)");
    println!("distinct texts {} sum {text_sum}", v.len());
    let len_hist = [4usize, 8, 16, 32, 64, 1 << 20];
    let mut lo = 0;
    for hi in len_hist {
        let s: Vec<_> = v.iter().filter(|t| t.len() >= lo && t.len() < hi).collect();
        println!(
            "  len {lo}..{hi}: {} strings, {} B",
            s.len(),
            s.iter().map(|t| t.len()).sum::<usize>()
        );
        lo = hi;
    }
    // Substring elimination.
    let mut by_len: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    by_len.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let mut kept: Vec<&str> = Vec::new();
    let mut blob = String::new();
    for s in &by_len {
        if !blob.contains(s) {
            kept.push(s);
            blob.push('\0');
            blob.push_str(s);
        }
    }
    let kept_sum: usize = kept.iter().map(|s| s.len()).sum();
    println!(
        "after substring elimination: {} strings, {kept_sum} B",
        kept.len()
    );
    // Greedy overlap merge over kept strings.
    let mut strs: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
    let maxk = strs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut alive = vec![true; strs.len()];
    // next/prev chains
    let mut has_pred = vec![false; strs.len()];
    let mut succ: Vec<Option<usize>> = vec![None; strs.len()];
    let mut chain_end: Vec<usize> = (0..strs.len()).collect(); // head -> tail (for cycle check we track tail->head)
    let mut head_of: Vec<usize> = (0..strs.len()).collect();
    let mut saved = 0;
    for k in (1..maxk).rev() {
        let mut pref: HashMap<&[u8], Vec<usize>> = HashMap::new();
        for (i, s) in strs.iter().enumerate() {
            if !has_pred[i] && s.len() > k {
                pref.entry(&s.as_bytes()[..k]).or_default().push(i);
            }
        }
        if pref.is_empty() {
            continue;
        }
        for i in 0..strs.len() {
            if succ[i].is_some() || strs[i].len() <= k {
                continue;
            }
            let suf = &strs[i].as_bytes()[strs[i].len() - k..];
            if let Some(c) = pref.get_mut(suf) {
                while let Some(&j) = c.last() {
                    if has_pred[j] {
                        c.pop();
                        continue;
                    }
                    if head_of[i] == j {
                        break;
                    } // would close a cycle
                    c.pop();
                    succ[i] = Some(j);
                    has_pred[j] = true;
                    let h = head_of[i];
                    let t = chain_end[j];
                    chain_end[h] = t;
                    head_of[t] = h;
                    saved += k;
                    break;
                }
            }
        }
    }
    let _ = (&mut alive, &mut strs);
    println!(
        "greedy overlap saves {saved} B more: {} B",
        kept_sum - saved
    );
    println!("qstr table entries {qt_entries}: builtin {qt_builtin}, fresh {qt_fresh}, shared {}, fresh runs {fresh_run_breaks}, shared with |delta|<128 {shared_delta_small}", qt_entries - qt_builtin - qt_fresh);
    println!("consts {:?}", const_kinds);
}

/// Where the bytes of the image made from these files go.
pub fn image_breakdown(paths: &[String]) {
    use upyc_freeze::image::{Image, Module};
    use upyc_runtime::frozen::{self as fz, Frozen};
    let mods: Vec<Module> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| Module {
            name: std::path::Path::new(p)
                .file_stem()
                .map_or(format!("m{i}"), |s| s.to_string_lossy().into_owned()),
            is_package: false,
            mpy: std::fs::read(p).unwrap(),
        })
        .collect();
    let img = Image::from_modules(&mods).unwrap();
    let f = Frozen::parse(&img).unwrap();
    let (mut tables_q, mut tables_c, mut objects, mut rc_heads, mut fun) = (0, 0, 0, 0, 0);
    let mut lo_obj = usize::MAX;
    let mut hi_obj = 0;
    for i in 0..f.module_count() {
        let m = f.module(i).unwrap();
        let r = m.record;
        tables_q += 2 * m.n_qstrs;
        tables_c += 2 * m.n_consts;
        let t = f.module_tables(r);
        lo_obj = lo_obj.min(t);
        hi_obj = hi_obj.max(t + 2 * (m.n_qstrs + m.n_consts));
        let mut claimed = 1;
        let mut n = 0;
        let mut rc = f.module_raw_code(r);
        while n < claimed {
            let rec = f.raw_code(rc).unwrap();
            rc_heads += rec.data_off - rc;
            fun += rec.data_len;
            claimed += rec.n_children;
            n += 1;
            rc = rec.next();
        }
    }
    let _ = (&mut objects, hi_obj);
    let first_rc = f.module_raw_code(fz::HEADER_LEN);
    let bases = u32::from_le_bytes(
        img[fz::hdr::QSTR_BASES..fz::hdr::QSTR_BASES + 4]
            .try_into()
            .unwrap(),
    ) as usize;
    let pool_start = u32::from_le_bytes(img[bases..bases + 4].try_into().unwrap()) as usize;
    let aligned_end = pool_start;
    let (mut refs, mut inline_bytes, mut p) = (0, 0, pool_start);
    for _ in 0..f.qstr_count() {
        let (mut v, mut q) = (0usize, p);
        loop {
            let b = img[q];
            q += 1;
            v = v << 7 | (b & 0x7f) as usize;
            if b & 0x80 == 0 {
                break;
            }
        }
        if v & 1 == 1 {
            refs += 1;
            p = q + 3;
        } else {
            inline_bytes += v >> 1;
            p = q + (v >> 1);
        }
    }
    println!(
        "pool: {} entries, {refs} references, {inline_bytes} B of texts stored in full",
        f.qstr_count()
    );
    let per_module_aligned = aligned_end - lo_obj;
    println!(
        "image {}: header+modules {}, block table {}, qstr tables {tables_q}, const tables {tables_c}, objects+padding {}, pool entries {}, raw-code heads {rc_heads}, function data {fun}",
        img.len(),
        fz::HEADER_LEN + fz::MODULE_LEN * f.module_count(),
        lo_obj - bases,
        per_module_aligned - tables_q - tables_c,
        first_rc - pool_start,
    );
}
