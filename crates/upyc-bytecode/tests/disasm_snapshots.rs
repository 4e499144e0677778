//! Disassembly snapshots: for each `tests/data/NAME.py`, `NAME.mpy` was written by
//! mpy-cross 1.29 and `NAME.dis` by `mpy-tool.py -d NAME.mpy` (see
//! `scripts/bytecode-gen-testdata.sh`). Our text must equal the oracle's byte for byte.

use std::path::PathBuf;
use upyc_bytecode::disasm::{disassemble, disassemble_file};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn check(name: &str) {
    let dir = data_dir();
    let mpy = std::fs::read(dir.join(format!("{name}.mpy"))).unwrap();
    let expected = std::fs::read_to_string(dir.join(format!("{name}.dis"))).unwrap();
    let path = format!("{name}.mpy");
    let mut got = String::new();
    disassemble_file(&path, &mpy, &mut got).unwrap_or_else(|e| panic!("{name}: {e}"));
    if got != expected {
        let line = got.lines().zip(expected.lines()).position(|(a, b)| a != b);
        let (g, e) = match line {
            Some(i) => (got.lines().nth(i), expected.lines().nth(i)),
            None => (None, None),
        };
        panic!(
            "{name}: disassembly differs from mpy-tool.py at line {:?}\n  ours:   {g:?}\n  oracle: {e:?}\n(lengths {} vs {})",
            line.map(|i| i + 1),
            got.len(),
            expected.len()
        );
    }
    // Without a path, only the first line is left out.
    let mut anonymous = String::new();
    disassemble(&mpy, &mut anonymous).unwrap();
    assert_eq!(anonymous, expected.split_once('\n').unwrap().1);
}

#[test]
fn consts() {
    check("consts");
}

#[test]
fn control() {
    check("control");
}

#[test]
fn functions() {
    check("functions");
}

#[test]
fn statements() {
    check("statements");
}

#[test]
fn big() {
    check("big");
}

#[test]
fn native() {
    check("native");
}

/// Every `.py` in the data directory has its snapshot checked above.
#[test]
fn all_inputs_have_a_test() {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "py").then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "big",
            "consts",
            "control",
            "functions",
            "native",
            "statements"
        ]
    );
}

/// Compare against a directory of `NAME.mpy` + `NAME.dis` pairs made by
/// `scripts/bytecode-corpus-compare.sh` (dev only; skipped unless
/// `UPYC_BYTECODE_CORPUS` is set).
#[test]
#[ignore = "needs a generated corpus; see scripts/bytecode-corpus-compare.sh"]
fn corpus() {
    let Some(dir) = std::env::var_os("UPYC_BYTECODE_CORPUS") else {
        return;
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "mpy") {
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(path.with_extension("dis")) else {
            continue;
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut got = String::new();
        let result = disassemble_file(&name, &std::fs::read(&path).unwrap(), &mut got);
        checked += 1;
        if result.is_err() || got != expected {
            // Left beside the pair for diffing.
            std::fs::write(path.with_extension("ours"), &got).unwrap();
            let line = got.lines().zip(expected.lines()).position(|(a, b)| a != b);
            failures.push(format!(
                "{name}: {result:?}, first difference at line {line:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} files identical");
}
