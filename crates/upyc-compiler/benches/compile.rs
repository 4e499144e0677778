//! In-process compile speed: `cargo bench -p upyc-compiler` (no external harness).
//!
//! Times [`upyc_compiler::compile_source`] (parse, compile, write the `.mpy` bytes, free the
//! tree) on a small, a medium and a large module of CPython's standard library, or on the
//! files named in `UPYC_BENCH_FILES` (separated by `:`), and prints the fastest and the median
//! time per file. Whole-process timing against mpy-cross is `bench/compile_speed.py`; this one
//! leaves out process start-up, to follow the compiler itself.

use std::time::{Duration, Instant};

use upyc_compiler::{compile_source, CompileOptions};

/// Where CPython 3.11's standard library is on the development machine.
const STDLIB: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";
const DEFAULT_FILES: [&str; 3] = ["this.py", "json/encoder.py", "_pydecimal.py"];
/// Stop timing a file after this many runs or this long, whichever comes first.
const MAX_RUNS: usize = 200;
const MAX_TIME: Duration = Duration::from_secs(2);

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let quick = !std::env::args().any(|a| a == "--bench");
    let files: Vec<String> = match std::env::var("UPYC_BENCH_FILES") {
        Ok(list) => list.split(':').map(String::from).collect(),
        Err(_) => DEFAULT_FILES
            .iter()
            .map(|f| format!("{STDLIB}/{f}"))
            .collect(),
    };
    for file in &files {
        let Ok(source) = std::fs::read(file) else {
            println!("{file}: not found, skipped");
            continue;
        };
        let options = CompileOptions {
            source_name: file.clone(),
            input_path: Some(file.clone()),
            ..CompileOptions::default()
        };
        let mut times = Vec::new();
        let started = Instant::now();
        while times.len() < if quick { 1 } else { MAX_RUNS } && started.elapsed() < MAX_TIME {
            let t = Instant::now();
            let out = compile_source(&source, &options);
            times.push(t.elapsed());
            assert!(out.is_ok(), "{file}: {:?}", out.err());
        }
        times.sort();
        println!(
            "{file} ({} bytes): min {:.3} ms, median {:.3} ms over {} runs",
            source.len(),
            times[0].as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3,
            times.len()
        );
    }
}
