//! In-process compile of a whole tree: `cargo bench -p upyc-compiler --bench tree`.
//!
//! Compiles every `.py` file under CPython 3.11's standard library (or under the directory in
//! `UPYC_BENCH_TREE`) once, sequentially on one thread, with the options `upyc build` uses
//! (`-s REL`), and prints the total time and how many files compiled. This is the compiler's
//! share of a `upyc build` without threads, file IO or the cache, so it is the figure to run
//! under `perf stat -e instructions` (the sources are read before timing starts). Files that
//! mpy-cross rejects are compiled too (they end in an error, as they would in a build).
//! `UPYC_BENCH_ROUNDS` repeats the pass (default 1; `cargo test --benches` runs one pass).
//! Files are compiled with one [`Compiler`] context, as each `upyc build` worker does;
//! `UPYC_BENCH_API=source` calls [`compile_source`] for each file instead.

use std::path::{Path, PathBuf};
use std::time::Instant;

use upyc_compiler::{compile_source, CompileOptions, Compiler};

/// Where CPython 3.11's standard library is on the development machine.
const STDLIB: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if path.is_dir() {
            if name.as_deref() != Some("site-packages") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("UPYC_BENCH_TREE").unwrap_or_else(|_| STDLIB.into()));
    let rounds: usize = std::env::var("UPYC_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let mut paths = Vec::new();
    collect(&root, &mut paths);
    let files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&root).ok()?.to_string_lossy().into_owned();
            Some((rel, std::fs::read(p).ok()?))
        })
        .collect();
    if files.is_empty() {
        println!("{}: no .py files, skipped", root.display());
        return;
    }
    let bytes: usize = files.iter().map(|(_, s)| s.len()).sum();
    let fresh = std::env::var("UPYC_BENCH_API").is_ok_and(|a| a == "source");
    let mut compiler = Compiler::new();
    for round in 0..rounds {
        let (mut ok, mut out_bytes) = (0usize, 0usize);
        let started = Instant::now();
        for (rel, source) in &files {
            let options = CompileOptions {
                source_name: rel.clone(),
                input_path: Some(rel.clone()),
                ..CompileOptions::default()
            };
            let out = if fresh {
                compile_source(source, &options)
            } else {
                compiler.compile(source, &options)
            };
            if let Ok(mpy) = out {
                ok += 1;
                out_bytes += mpy.len();
            }
        }
        let elapsed = started.elapsed();
        println!(
            "round {round} ({}): {} files ({} bytes), {ok} compiled ({out_bytes} bytes of .mpy) in {:.3} s",
            if fresh { "compile_source" } else { "Compiler" },
            files.len(),
            bytes,
            elapsed.as_secs_f64()
        );
    }
}
