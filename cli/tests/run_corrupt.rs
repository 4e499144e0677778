//! Corrupted `.mpy` files given to `upyc run` end with a clean Python error (exit code 1 and
//! an exception line on stderr), never a panic, a signal or a hang.

use std::path::Path;
use std::process::Command;

fn upyc() -> &'static str {
    env!("CARGO_BIN_EXE_upyc")
}

/// Run `upyc run FILE` and check it ended cleanly; returns stderr.
fn run_clean(file: &Path) -> String {
    let out = Command::new(upyc())
        .arg("run")
        .arg(file)
        .output()
        .expect("run upyc");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{}: exit {code:?} (a crash), stderr:\n{stderr}",
        file.display()
    );
    if code == Some(1) {
        let last = stderr.lines().last().unwrap_or("");
        assert!(
            last.contains("Error") || last.contains("Exception"),
            "{}: no exception line on stderr:\n{stderr}",
            file.display()
        );
    }
    stderr
}

#[test]
fn corrupted_mpy_files_end_with_a_clean_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = upyc_testkit::fixtures().join("run/classes");
    let py = std::fs::read_dir(&src)
        .expect("fixtures/run/classes")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "py"))
        .expect("a class fixture");
    let mpy = dir.path().join("good.mpy");
    let st = Command::new(upyc())
        .args(["compile", "-o"])
        .arg(&mpy)
        .arg(&py)
        .status()
        .expect("compile");
    assert!(st.success());
    let good = std::fs::read(&mpy).expect("read .mpy");
    let bad = dir.path().join("bad.mpy");

    // Truncations: the header, the qstr table, the middle of the code.
    let mut incompatible = 0;
    for n in [
        0,
        1,
        3,
        4,
        5,
        9,
        good.len() / 3,
        good.len() / 2,
        good.len() - 1,
    ] {
        std::fs::write(&bad, &good[..n]).expect("write");
        if run_clean(&bad).contains("ValueError: incompatible .mpy file") {
            incompatible += 1;
        }
    }
    assert!(
        incompatible >= 8,
        "only {incompatible} truncations reported as incompatible"
    );

    // Deterministic byte corruptions spread over the file (an LCG picks positions/values).
    let mut state: u32 = 12345;
    for _ in 0..60 {
        let mut m = good.clone();
        for _ in 0..3 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let pos = (state >> 8) as usize % m.len();
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            m[pos] = (state >> 16) as u8;
        }
        std::fs::write(&bad, &m).expect("write");
        run_clean(&bad);
    }

    // A wrong header byte names the problem as MicroPython does.
    let mut m = good.clone();
    m[1] = 5;
    std::fs::write(&bad, &m).expect("write");
    assert!(run_clean(&bad).contains("ValueError: incompatible .mpy file"));
}
