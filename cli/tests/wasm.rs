//! Our `.mpy` files run on the real MicroPython VM: every runnable compiler fixture is compiled
//! by upyc, imported in MicroPython's WebAssembly port under node (`tests/wasm/run.mjs`), and
//! its output compared with CPython 3.11's output for the same source.
//!
//! Fixtures listed in `fixtures/compile/NORUN` (CPython cannot run them) and
//! `fixtures/compile/WASM_SKIP` (MicroPython deliberately differs) are left out, each with its
//! reason in those files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use upyc_testkit::{fixtures, root};

fn listed(file: &Path) -> BTreeSet<String> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `tests/wasm/node_modules`, installed with `npm ci` on first use.
fn wasm_runner() -> PathBuf {
    let dir = root().join("tests/wasm");
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "oracle missing: `node` (Node.js 20) is needed to run MicroPython's WebAssembly port"
    );
    let pkg = dir.join("node_modules/@micropython/micropython-webassembly-pyscript");
    if !pkg.exists() {
        let lock = fs::File::create(root().join("target/wasm-npm.lock")).expect("lock file");
        lock.lock().expect("lock");
        if !pkg.exists() {
            let st = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status();
            assert!(
                st.is_ok_and(|s| s.success()),
                "oracle missing: `npm ci` in tests/wasm failed (needs npm and the npm registry)"
            );
        }
    }
    dir.join("run.mjs")
}

#[test]
fn our_mpy_files_run_on_micropython_like_cpython() {
    let runner = wasm_runner();
    let valid = fixtures().join("compile/valid");
    let skip: BTreeSet<String> = listed(&fixtures().join("compile/NORUN"))
        .union(&listed(&fixtures().join("compile/WASM_SKIP")))
        .cloned()
        .collect();
    let mut files: Vec<PathBuf> = fs::read_dir(&valid)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .filter(|p| !skip.contains(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    files.sort();
    assert!(
        files.len() >= 400,
        "expected at least 400 runnable fixtures, found {}",
        files.len()
    );

    // Compile with upyc into a scratch dir, one module per fixture.
    let out = tempfile::tempdir().unwrap();
    let mut modules = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let stem = f.file_stem().unwrap().to_str().unwrap();
        let options = upyc_compiler::CompileOptions {
            source_name: name.to_string(),
            ..Default::default()
        };
        let src = fs::read(f).unwrap();
        let mpy = upyc_compiler::compile_source(&src, &options)
            .unwrap_or_else(|e| panic!("upyc failed to compile {name}:\n{}", e.render()));
        fs::write(out.path().join(format!("{stem}.mpy")), mpy).unwrap();
        modules.push((stem.to_string(), f.clone()));
    }

    // CPython's output for each (in parallel).
    let expected = Mutex::new(BTreeMap::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some((stem, path)) = modules.get(i) else {
                    break;
                };
                let o = Command::new("python3")
                    .arg(path.file_name().unwrap())
                    .current_dir(&valid)
                    .output()
                    .expect("python3 (CPython 3.11) is the oracle for program output");
                assert!(
                    o.status.success(),
                    "CPython failed on {stem}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                expected.lock().unwrap().insert(
                    stem.clone(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                );
            });
        }
    });
    let expected = expected.into_inner().unwrap();

    // Run them all on MicroPython.
    let o = Command::new("node")
        .arg(&runner)
        .args(["--format", "json", "--jobs", "2"])
        .arg(out.path())
        .args(modules.iter().map(|m| &m.0))
        .output()
        .expect("run tests/wasm/run.mjs");
    assert!(
        o.status.success(),
        "run.mjs failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("run.mjs JSON report");
    let results = report["results"].as_array().expect("results array");
    assert_eq!(results.len(), modules.len(), "one result per module");
    let mut failures = Vec::new();
    for r in results {
        let module = r["module"].as_str().unwrap_or("?");
        let status = r["status"].as_str().unwrap_or("?");
        let stdout = r["stdout"].as_str().unwrap_or("");
        let want = expected
            .get(module)
            .map(String::as_str)
            .unwrap_or("<no CPython output>");
        if status != "ok" || stdout != want {
            failures.push(format!(
                "{module}: status {status}\n--- MicroPython\n{stdout}{}\n--- CPython\n{want}",
                r["error"].as_str().unwrap_or("")
            ));
        }
    }
    println!(
        "{} modules compiled by upyc ran on MicroPython {}",
        results.len(),
        report["micropython"]
    );
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}
