//! Replays the fuzzers' inputs on the stable toolchain: every file of `fuzz/corpus/*/` and
//! `fuzz/regressions/*/` goes through `upyc_syntax::parse` and `upyc_compiler::compile_source`
//! (mpy-cross's default options and `-O3 -msmall-int-bits=63`), which must return instead of
//! panicking; the `load` target's files (`.mpy` bytes) are loaded and run by the runtime as
//! its fuzz target does. Every failing file is reported, not just the first.
//!
//! The regressions are inputs that once crashed, hung or exhausted memory, so each runs in a
//! child process (this test binary again, see [`replay_child`]) under a memory and time limit:
//! a runaway allocation fails the test instead of the machine.

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address-space limit of a regression's child process (the compiler reserves a 1 GiB stack).
const CHILD_MEMORY_KIB: u64 = 4 * 1024 * 1024;
/// Wall-clock limit of a regression's child process (a debug build, on a busy machine).
const CHILD_TIME: Duration = Duration::from_secs(60);
/// The variable that tells [`replay_child`] which file to replay.
const REPLAY_VAR: &str = "UPYC_FUZZ_REPLAY";

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

/// Output of a replayed `.mpy` is dropped; only termination matters.
struct Null;

impl upyc_runtime::Host for Null {
    fn write_stdout(&mut self, _: &[u8]) {}
    fn write_stderr(&mut self, _: &[u8]) {}
}

/// Loads and runs `mpy` as the `load` fuzz target does; a panic escapes.
fn exercise_load(mpy: &[u8]) {
    let mut heap = vec![0u8; 64 * 1024];
    let mut host = Null;
    let config = upyc_runtime::Config {
        max_steps: 20_000,
        ..upyc_runtime::Config::default()
    };
    let mut vm = upyc_runtime::Vm::new(&mut heap, config, &mut host).expect("a 64 KiB VM");
    if vm.exec_mpy("__main__", mpy).is_err() {
        let e = vm.take_exception();
        let _ = vm.print_exception(upyc_runtime::vm::Out::Stdout, e);
    }
}

/// Runs `file` through what its fuzz target (the name of its directory) exercises.
fn exercise_file(file: &Path, data: &[u8]) {
    let target = file.parent().and_then(Path::file_name);
    if target.is_some_and(|t| t == "load") {
        exercise_load(data);
    } else {
        exercise(data);
    }
}

/// Parses and compiles `source` every way the fuzz targets do; a panic escapes.
fn exercise(source: &[u8]) {
    for (small_int_bits, opt_level) in [(31u8, 0u8), (63, 3)] {
        let mut pool = QstrPool::new();
        let options = ParseOptions {
            small_int_bits: u32::from(small_int_bits),
            opt_level,
        };
        let arena = upyc_syntax::tree::Arena::new();
        let result = parse(source, InputKind::File, &options, &mut pool, &arena);
        for d in &result.diagnostics {
            assert!(
                d.span.start <= d.span.end && d.span.end as usize <= source.len(),
                "diagnostic span {:?} outside the input: {d}",
                d.span
            );
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
fn fuzz_corpus_does_not_panic() {
    let fuzz = upyc_testkit::root().join("fuzz");
    let files = inputs(&fuzz.join("corpus"));
    assert!(
        files.len() > 100,
        "fuzz corpus missing under {} ({} files)",
        fuzz.display(),
        files.len()
    );

    // Keep the default hook's output for the failures only; the list below says which file.
    let mut failures = Vec::new();
    for file in &files {
        let source = fs::read(file).expect("read fuzz input");
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| exercise_file(file, &source)))
        {
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

/// Not a test of its own: the child process [`fuzz_regressions_do_not_panic_hang_or_exhaust_memory`]
/// starts replays the one file named by `UPYC_FUZZ_REPLAY` (and does nothing without it).
#[test]
fn replay_child() {
    if let Some(file) = std::env::var_os(REPLAY_VAR) {
        let path = PathBuf::from(file);
        exercise_file(&path, &fs::read(&path).expect("read fuzz regression"));
    }
}

#[test]
fn fuzz_regressions_do_not_panic_hang_or_exhaust_memory() {
    let files = inputs(&upyc_testkit::root().join("fuzz/regressions"));
    let exe = std::env::current_exe().expect("test binary path");
    let mut failures = Vec::new();
    for file in &files {
        // `ulimit -v` through the shell: std has no portable rlimit.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {CHILD_MEMORY_KIB} && exec \"$0\" \"$@\""
            ))
            .arg(&exe)
            .args(["--exact", "replay_child", "--test-threads=1", "--nocapture"])
            .env(REPLAY_VAR, file)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the test binary as a child");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for child") {
                break Some(status);
            }
            if started.elapsed() > CHILD_TIME {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        match status {
            Some(s) if s.success() => {}
            Some(s) => {
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut stderr);
                }
                let why = stderr
                    .lines()
                    .find(|l| l.contains("panicked") || l.contains("memory allocation"))
                    .unwrap_or("")
                    .to_owned();
                failures.push(format!("{}: {s} {why}", file.display()));
            }
            None => failures.push(format!(
                "{}: still running after {CHILD_TIME:?}",
                file.display()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fuzz regressions failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
