//! The `.mpy` writer (the saving half of MicroPython `py/persistentcode.c`:
//! `mp_raw_code_save`, `save_qstr`, `save_obj`, `save_raw_code`).
//!
//! Layout: the 4-byte header, the qstr and constant counts, the qstr table (static qstrs as
//! `id << 1 | 1`, others inline with a NUL), the constant objects, then the module's raw code
//! with its children depth first. Numbers are stored as their `repr` text.
//!
//! Where we differ: only bytecode is written (no native code, so the feature byte is 0).

use rustc_hash::FxHashMap as HashMap;
use upyc_bytecode::mpy::{self, obj, CodeKind, Header};
use upyc_bytecode::vuint;
use upyc_syntax::num::{complex_repr, float_repr, int_repr};
use upyc_syntax::qstr::{Qstr, QstrPool};

use crate::compile::CompiledModule;
use crate::emitcommon::ConstObj;
use crate::scope::ScopeId;

fn put_uint(out: &mut Vec<u8>, v: u64) {
    vuint::encode_with(v, |b| out.push(b));
}

/// Finds static qstr ids. `mpy::static_qstr_id` scans the table of static qstrs; for a module
/// with many qstrs a hash index of the table, made once, is cheaper (the scans were about 2% of
/// compiling a large module); for a few qstrs making the index would cost more than it saves.
enum StaticQstrs {
    Scan,
    Index(HashMap<&'static str, usize>),
}

/// From this many qstrs on, [`StaticQstrs::Index`].
const STATIC_QSTR_INDEX_MIN: usize = 32;

impl StaticQstrs {
    fn for_count(n: usize) -> Self {
        if n < STATIC_QSTR_INDEX_MIN {
            return StaticQstrs::Scan;
        }
        let mut index = HashMap::default();
        index.reserve(mpy::STATIC_QSTRS.len());
        for (i, &s) in mpy::STATIC_QSTRS.iter().enumerate() {
            // The first occurrence wins, as in the scan.
            index.entry(s).or_insert(i + 1);
        }
        StaticQstrs::Index(index)
    }

    fn id(&self, s: &str) -> Option<usize> {
        match self {
            StaticQstrs::Scan => mpy::static_qstr_id(s),
            StaticQstrs::Index(index) => index.get(s).copied(),
        }
    }
}

/// `save_qstr`.
fn save_qstr(out: &mut Vec<u8>, pool: &QstrPool, statics: &StaticQstrs, q: Qstr) {
    let bytes = pool.get(q);
    let static_id = std::str::from_utf8(bytes).ok().and_then(|s| statics.id(s));
    match static_id {
        Some(id) => put_uint(out, (id as u64) << 1 | 1),
        None => {
            put_uint(out, (bytes.len() as u64) << 1);
            out.extend_from_slice(bytes);
            out.push(0);
        }
    }
}

/// `save_obj`.
fn save_obj(out: &mut Vec<u8>, o: &ConstObj) {
    match o {
        ConstObj::Str(s) | ConstObj::Bytes(s) => {
            out.push(if matches!(o, ConstObj::Str(_)) {
                obj::STR
            } else {
                obj::BYTES
            });
            put_uint(out, s.len() as u64);
            out.extend_from_slice(s);
            out.push(0);
        }
        ConstObj::None => out.push(obj::NONE),
        ConstObj::False => out.push(obj::FALSE),
        ConstObj::True => out.push(obj::TRUE),
        ConstObj::Ellipsis => out.push(obj::ELLIPSIS),
        ConstObj::Tuple(items) => {
            out.push(obj::TUPLE);
            put_uint(out, items.len() as u64);
            for item in items {
                save_obj(out, item);
            }
        }
        // Numbers are stored as their repr text.
        ConstObj::Int(i) => save_number(out, obj::INT, &int_repr(i)),
        ConstObj::Float(f) => save_number(out, obj::FLOAT, &float_repr(*f)),
        ConstObj::Complex(re, im) => save_number(out, obj::COMPLEX, &complex_repr(*re, *im)),
    }
}

fn save_number(out: &mut Vec<u8>, kind: u8, text: &str) {
    out.push(kind);
    put_uint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// `save_raw_code`: the scope's code then its children, depth first.
fn save_raw_code(out: &mut Vec<u8>, module: &CompiledModule, scope: ScopeId) {
    // An explicit stack: scopes can nest deeply.
    let mut stack = vec![scope];
    while let Some(s) = stack.pop() {
        let Some(rc) = module.raw_codes.get(s) else {
            continue;
        };
        let header = mpy::raw_code_header(
            CodeKind::Bytecode,
            rc.fun_data.len() as u64,
            !rc.children.is_empty(),
        );
        put_uint(out, header);
        out.extend_from_slice(&rc.fun_data);
        if !rc.children.is_empty() {
            put_uint(out, rc.children.len() as u64);
            stack.extend(rc.children.iter().rev());
        }
    }
}

/// `mp_raw_code_save`: the bytes of the `.mpy` file.
pub(crate) fn save(module: &CompiledModule, pool: &QstrPool, small_int_bits: u8) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&Header::bytecode(small_int_bits).to_bytes());
    put_uint(&mut out, module.qstrs.len() as u64);
    put_uint(&mut out, module.consts.len() as u64);
    let statics = StaticQstrs::for_count(module.qstrs.len());
    for &q in &module.qstrs {
        save_qstr(&mut out, pool, &statics, q);
    }
    for o in &module.consts {
        save_obj(&mut out, o);
    }
    save_raw_code(&mut out, module, 0);
    out
}
