//! Real code: every CPython 3.11 standard-library file that mpy-cross accepts is compiled by
//! both compilers (as processes, same argv); at least 99.5% must be byte-identical, and upyc
//! must not reject any file mpy-cross accepts without the difference being listed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use upyc_testkit::{cpython_stdlib, mpy_cross};

fn py_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "site-packages") {
                py_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "py") {
            out.push(p);
        }
    }
}

fn compile(bin: &Path, sub: Option<&str>, file: &Path, name: &str, out: &Path) -> Option<Vec<u8>> {
    let _ = fs::remove_file(out);
    let mut cmd = Command::new(bin);
    if let Some(s) = sub {
        cmd.arg(s);
    }
    let status = cmd
        .args(["-s", name, "-o"])
        .arg(out)
        .arg(file)
        .output()
        .expect("run compiler");
    if status.status.success() {
        fs::read(out).ok()
    } else {
        None
    }
}

#[test]
fn cpython_stdlib_is_byte_identical() {
    let stdlib = cpython_stdlib();
    let mut files = Vec::new();
    py_files(&stdlib, &mut files);
    files.sort();
    assert!(
        files.len() > 500,
        "CPython stdlib not found at {}",
        stdlib.display()
    );
    let upyc = PathBuf::from(env!("CARGO_BIN_EXE_upyc"));
    let tmp = tempfile::tempdir().unwrap();
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (files, results, next, upyc, tmp, stdlib) =
                (&files, &results, &next, &upyc, &tmp, &stdlib);
            s.spawn(move || {
                let out_a = tmp.path().join(format!("a{t}.mpy"));
                let out_b = tmp.path().join(format!("b{t}.mpy"));
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(f) = files.get(i) else { break };
                    let name = f
                        .strip_prefix(stdlib)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    let theirs = compile(mpy_cross(), None, f, &name, &out_a);
                    let ours = compile(upyc, Some("compile"), f, &name, &out_b);
                    results.lock().unwrap().push((name, theirs, ours));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();
    let accepted: Vec<_> = results.iter().filter(|r| r.1.is_some()).collect();
    let identical = accepted.iter().filter(|r| r.1 == r.2).count();
    let mut differing: Vec<String> = accepted
        .iter()
        .filter(|r| r.1 != r.2)
        .map(|r| {
            format!(
                "{} ({})",
                r.0,
                if r.2.is_none() {
                    "upyc rejected it"
                } else {
                    "bytes differ"
                }
            )
        })
        .collect();
    differing.sort();
    let wrongly_accepted: Vec<_> = results
        .iter()
        .filter(|r| r.1.is_none() && r.2.is_some())
        .map(|r| &r.0)
        .collect();
    let ratio = identical as f64 / accepted.len() as f64;
    println!(
        "stdlib: {} files, mpy-cross accepts {}, identical {} ({:.2}%), upyc accepts {} that mpy-cross rejects",
        results.len(),
        accepted.len(),
        identical,
        ratio * 100.0,
        wrongly_accepted.len()
    );
    for d in &differing {
        println!("  differs: {d}");
    }
    assert!(
        accepted.len() > 900,
        "expected about 950 accepted files, got {}",
        accepted.len()
    );
    assert!(
        wrongly_accepted.is_empty(),
        "upyc accepts files mpy-cross rejects: {wrongly_accepted:?}"
    );
    assert!(
        ratio >= 0.995,
        "only {identical}/{} identical; differing:\n{}",
        accepted.len(),
        differing.join("\n")
    );
}
