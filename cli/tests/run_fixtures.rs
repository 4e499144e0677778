//! Runs the runtime conformance fixtures (`fixtures/run/<area>/NNN_topic.py`) through
//! `upyc run`, from the `.py` (compiled in-process) and from `.mpy` files written by
//! mpy-cross 1.29, and compares the output with the `.out`/`.exp` files as
//! `fixtures/run/README.md` defines.
//!
//! Every fixture must pass in both modes. A third mode runs each test with a 16 KiB heap: it
//! may fail (MemoryError), but must never crash the process.
//!
//! Environment: `UPYC_RUN_BIN` runs another `upyc` binary (e.g. one built with the
//! runtime's `gc-stress` feature); `UPYC_RUN_ARGS` adds `upyc run` options (e.g.
//! `--heap 256k`); `UPYC_FIXTURES` keeps only tests whose path contains
//! it; `UPYC_FIXTURES_VERBOSE=1` prints a diff of each failure.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

fn upyc() -> PathBuf {
    match std::env::var_os("UPYC_RUN_BIN") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_BIN_EXE_upyc")),
    }
}

/// A `upyc` built with the runtime's `gc-stress` feature (a collection at every allocation),
/// in its own target directory so it never invalidates the normal build.
fn upyc_gc_stress() -> PathBuf {
    let root = upyc_testkit::root();
    let target = root.join("target").join("gc-stress");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-q", "-p", "upyc", "--features"])
        .arg("upyc-runtime/gc-stress")
        .arg("--target-dir")
        .arg(&target)
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .current_dir(&root)
        .status()
        .expect("cargo (from $CARGO) runs");
    assert!(status.success(), "building upyc with gc-stress failed");
    target.join("release").join("upyc")
}

fn fixtures_run() -> PathBuf {
    upyc_testkit::fixtures().join("run")
}

/// `area/NNN_topic.py` for every test.
fn tests() -> Vec<String> {
    let root = fixtures_run();
    let mut v = Vec::new();
    let Ok(areas) = std::fs::read_dir(&root) else {
        return v;
    };
    for area in areas.flatten() {
        if !area.path().is_dir() {
            continue;
        }
        let aname = area.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(area.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let n = f.file_name().to_string_lossy().into_owned();
            let b = n.as_bytes();
            let is_test = n.ends_with(".py")
                && b.len() > 8
                && b[..3].iter().all(u8::is_ascii_digit)
                && b[3] == b'_';
            if is_test {
                v.push(format!("{aname}/{n}"));
            }
        }
    }
    v.sort();
    if let Ok(filter) = std::env::var("UPYC_FIXTURES") {
        v.retain(|t| t.contains(&filter));
    }
    v
}

/// The expected text of a test.
fn expected(test: &str) -> Option<Vec<u8>> {
    let base = fixtures_run().join(test.trim_end_matches(".py"));
    if let Ok(exp) = std::fs::read(base.with_extension("exp")) {
        let start = exp
            .iter()
            .position(|&c| c == b'\n')
            .map_or(exp.len(), |p| p + 1);
        return Some(exp[start..].to_vec());
    }
    std::fs::read(base.with_extension("out")).ok()
}

/// Run `upyc run ARGS` in `cwd`, returning the README's "actual text" and whether the
/// process crashed (killed by a signal, a Rust panic, or a timeout).
fn run(suite: &Suite, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (Vec<u8>, bool) {
    let mut cmd = Command::new(&suite.bin);
    let extra = std::env::var("UPYC_RUN_ARGS").unwrap_or_default();
    cmd.arg("run")
        .args(suite.args)
        .args(extra.split_whitespace())
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("MICROPYPATH");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return (format!("spawn failed: {e}").into_bytes(), true),
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let mut text = t_out.join().unwrap_or_default();
    text.extend(t_err.join().unwrap_or_default());
    let crashed = match status {
        None => {
            text.extend_from_slice(b"# timeout\n");
            true
        }
        Some(s) => match s.code() {
            Some(0) => false,
            Some(101) => true,
            Some(n) => {
                text.extend_from_slice(format!("# exit {n}\n").as_bytes());
                false
            }
            None => true,
        },
    };
    (text, crashed)
}

#[derive(Default)]
struct Tally {
    pass_py: BTreeSet<String>,
    pass_mpy: BTreeSet<String>,
    failures: Vec<(String, &'static str, Vec<u8>, Vec<u8>)>,
    crashes: Vec<(String, &'static str, Vec<u8>)>,
}

fn check_one(bin: &Suite, test: &str, tmp: &Path, tally: &Mutex<Tally>) {
    let dir = fixtures_run()
        .join(test)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let file = Path::new(test)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(exp) = expected(test) else {
        return;
    };
    // From the .py source.
    let (act, crashed) = run(bin, &[&file], &dir, &[]);
    let mut t = tally.lock().unwrap();
    if crashed {
        t.crashes.push((test.to_string(), "py", act.clone()));
    }
    if act == exp {
        t.pass_py.insert(test.to_string());
    } else {
        t.failures.push((test.to_string(), "py", exp.clone(), act));
    }
    drop(t);
    // From an mpy-cross .mpy, with the fixture directory on MICROPYPATH.
    let stem = file.trim_end_matches(".py");
    let sub = tmp.join(test.replace('/', "__"));
    let _ = std::fs::create_dir_all(&sub);
    let mpy = sub.join(format!("{stem}.mpy"));
    let src = dir.join(&file);
    let (code, _o, e) = upyc_testkit::run_mpy_cross(
        &[
            "-s",
            &file,
            "-o",
            &mpy.to_string_lossy(),
            &src.to_string_lossy(),
        ],
        &dir,
    );
    let dir_s = dir.to_string_lossy().into_owned();
    let (act, crashed) = if code == 0 {
        run(
            bin,
            &[&format!("{stem}.mpy")],
            &sub,
            &[("MICROPYPATH", &dir_s)],
        )
    } else {
        (e, false)
    };
    let mut t = tally.lock().unwrap();
    if crashed {
        t.crashes.push((test.to_string(), "mpy", act.clone()));
    }
    if act == exp {
        t.pass_mpy.insert(test.to_string());
    } else {
        t.failures.push((test.to_string(), "mpy", exp, act));
    }
    drop(t);
    // A tiny heap: MemoryError is fine, a crash is not.
    let (act, crashed) = run(bin, &["--heap", "16k", &file], &dir, &[]);
    if crashed {
        tally
            .lock()
            .unwrap()
            .crashes
            .push((test.to_string(), "heap16k", act));
    }
}

/// A `upyc` binary and the `upyc run` options the suite gives it.
struct Suite {
    bin: PathBuf,
    args: &'static [&'static str],
}

#[test]
fn run_fixtures() {
    run_suite(&Suite {
        bin: upyc(),
        args: &[],
    });
}

/// The whole suite again with the runtime's `gc-stress` feature: any object held unrooted
/// across an allocation is collected and the run fails. A 512 KiB heap (every fixture fits)
/// keeps a collection per allocation affordable: its sweep is proportional to the heap.
#[test]
fn run_fixtures_gc_stress() {
    run_suite(&Suite {
        bin: upyc_gc_stress(),
        args: &["--heap", "512k"],
    });
}

fn run_suite(bin: &Suite) {
    let all = tests();
    assert!(
        !all.is_empty(),
        "no fixtures under {}",
        fixtures_run().display()
    );
    upyc_testkit::mpy_cross();
    let tmp = tempfile::tempdir().expect("temp dir");
    let tally = Mutex::new(Tally::default());
    let queue = Mutex::new(all.clone());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().unwrap().pop();
                match next {
                    Some(t) => check_one(bin, &t, tmp.path(), &tally),
                    None => break,
                }
            });
        }
    });
    let t = tally.into_inner().unwrap();
    let verbose = std::env::var("UPYC_FIXTURES_VERBOSE").is_ok();
    let mut failures = t.failures;
    failures.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (test, mode, exp, act) in &failures {
        println!("FAIL [{mode}] {test}");
        if verbose {
            println!(
                "--- expected\n{}--- actual\n{}---",
                String::from_utf8_lossy(exp),
                String::from_utf8_lossy(act)
            );
        }
    }
    let both: BTreeSet<_> = t.pass_py.intersection(&t.pass_mpy).cloned().collect();
    println!(
        "run fixtures: {} tests; pass from .py: {}, from .mpy: {}, both: {}; crashes: {}",
        all.len(),
        t.pass_py.len(),
        t.pass_mpy.len(),
        both.len(),
        t.crashes.len()
    );
    for (test, mode, out) in &t.crashes {
        println!("CRASH [{mode}] {test}:\n{}", String::from_utf8_lossy(out));
    }
    assert!(
        t.crashes.is_empty(),
        "{} runs crashed (see above)",
        t.crashes.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} fixture runs failed (see above; UPYC_FIXTURES_VERBOSE=1 shows diffs)",
        failures.len(),
        2 * all.len()
    );
}
