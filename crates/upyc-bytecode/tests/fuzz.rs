//! Robustness: random and mutated bytes never make the reader or the disassembler panic,
//! and every view of a file the reader accepts can be walked completely.

use proptest::prelude::*;
use std::path::PathBuf;
use upyc_bytecode::disasm::disassemble;
use upyc_bytecode::insn::Insns;
use upyc_bytecode::mpy::{Const, MpyFile};

fn seeds() -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    [
        "big",
        "consts",
        "control",
        "functions",
        "native",
        "statements",
    ]
    .iter()
    .map(|n| std::fs::read(dir.join(format!("{n}.mpy"))).unwrap())
    .collect()
}

fn walk_const(c: Const<'_>, depth: usize) -> usize {
    match c {
        Const::Tuple(t) => {
            assert!(depth < 64);
            t.iter()
                .map(|item| walk_const(item, depth + 1))
                .sum::<usize>()
                + 1
        }
        _ => 1,
    }
}

/// Parse, walk every view, and disassemble; nothing may panic.
fn exercise(data: &[u8]) {
    if let Ok(file) = MpyFile::parse(data) {
        assert_eq!(file.qstrs().count(), file.qstr_count());
        for q in file.qstrs() {
            let _ = q.as_str();
        }
        assert_eq!(file.consts().count(), file.const_count());
        for c in file.consts() {
            walk_const(c, 0);
        }
        for rc in file.raw_codes() {
            assert!(rc.end() <= data.len());
            assert_eq!(rc.children().count(), rc.child_count());
            if let Some(p) = rc.prelude() {
                let _ = p.arg_names().count();
                let _ = p.line_info();
                let _ = p.closure();
                for insn in Insns::new(p.code()).map_while(Result::ok) {
                    let _ = insn.jump_target();
                }
            }
        }
    }
    let mut text = String::new();
    let _ = disassemble(data, &mut text);
}

#[derive(Clone, Debug)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(data: &mut Vec<u8>, m: &Mutation) {
    let n = data.len().max(1);
    match *m {
        Mutation::Set(i, b) if !data.is_empty() => data[i % n] = b,
        Mutation::Insert(i, b) => data.insert(i % (data.len() + 1), b),
        Mutation::Remove(i) if !data.is_empty() => {
            data.remove(i % n);
        }
        Mutation::Truncate(i) => data.truncate(i % (data.len() + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(body in proptest::collection::vec(any::<u8>(), 0..200), header: bool) {
        let mut data = if header { b"M\x06\x00\x1f".to_vec() } else { Vec::new() };
        data.extend_from_slice(&body);
        exercise(&data);
    }

    #[test]
    fn mutated_files(seed in 0usize..6, mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut data = seeds()[seed].clone();
        for m in &mutations {
            apply(&mut data, m);
        }
        exercise(&data);
    }
}

/// Every single-byte change of the smaller seed files.
#[test]
fn exhaustive_single_byte_changes() {
    for data in seeds().into_iter().filter(|d| d.len() < 1000) {
        for i in 0..data.len() {
            for b in [
                0x00,
                0x01,
                0x7f,
                0x80,
                0xff,
                data[i] ^ 0x40,
                data[i].wrapping_add(1),
            ] {
                let mut d = data.clone();
                d[i] = b;
                exercise(&d);
            }
        }
    }
}
