//! Replays the fuzzers' inputs on the stable toolchain: every file of `fuzz/corpus/*/` and
//! `fuzz/regressions/*/` goes through `upyc_syntax::parse` and `upyc_compiler::compile_source`
//! (mpy-cross's default options and `-O3 -msmall-int-bits=63`), which must return instead of
//! panicking. Every failing file is reported, not just the first.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use upyc_compiler::{compile_source, CompileOptions};
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::{parse, InputKind, ParseOptions};

/// Every file one level below `dir`'s subdirectories (`dir/<target>/<file>`), sorted.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(targets) = fs::read_dir(dir) else {
        return files;
    };
    for target in targets.flatten() {
        let Ok(entries) = fs::read_dir(target.path()) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file()
                && p.file_name()
                    .is_some_and(|n| n != "README.md" && n != ".gitkeep")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Parses and compiles `source` every way the fuzz targets do; a panic escapes.
fn exercise(source: &[u8]) {
    for (small_int_bits, opt_level) in [(31u8, 0u8), (63, 3)] {
        let mut pool = QstrPool::new();
        let options = ParseOptions {
            small_int_bits: u32::from(small_int_bits),
            opt_level,
        };
        let result = parse(source, InputKind::File, &options, &mut pool);
        for d in &result.diagnostics {
            assert!(
                d.span.start <= d.span.end && d.span.end as usize <= source.len(),
                "diagnostic span {:?} outside the input: {d}",
                d.span
            );
        }
        if let Some(tree) = result.tree {
            tree.drop_deep();
        }
        let options = CompileOptions {
            source_name: "fuzz.py".into(),
            opt_level,
            small_int_bits,
            ..CompileOptions::default()
        };
        if let Ok(mpy) = compile_source(source, &options) {
            assert!(
                mpy.starts_with(b"M\x06\x00"),
                "not a .mpy v6 header: {:02x?}",
                &mpy[..mpy.len().min(4)]
            );
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

#[test]
fn fuzz_corpus_and_regressions_do_not_panic() {
    let fuzz = upyc_testkit::root().join("fuzz");
    let mut files = inputs(&fuzz.join("corpus"));
    let corpus_len = files.len();
    files.extend(inputs(&fuzz.join("regressions")));
    assert!(
        corpus_len > 100,
        "fuzz corpus missing under {} ({corpus_len} files)",
        fuzz.display()
    );

    // Keep the default hook's output for the failures only; the list below says which file.
    let mut failures = Vec::new();
    for file in &files {
        let source = fs::read(file).expect("read fuzz input");
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| exercise(&source))) {
            failures.push(format!(
                "{}: {}",
                file.display(),
                panic_text(payload.as_ref())
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fuzz inputs panicked:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
