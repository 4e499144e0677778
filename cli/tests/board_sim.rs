//! The hardware modules on the host simulator: every `fixtures/board/NNN_*.py` runs as
//! `upyc run --board sim --virtual-time` and its stdout and stderr (one stream, in order) must
//! equal its `.exp` file; the example `examples/blink/main.py` must print its 20 pin changes
//! and its UTF-8 line (`fixtures/board/blink.exp`). Without `--board` the hardware modules
//! are not importable.

use std::path::Path;
use std::process::Command;

fn upyc() -> &'static str {
    env!("CARGO_BIN_EXE_upyc")
}

/// Run `upyc ARGS` in `dir` with stdout and stderr into one file, as a terminal shows them.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let tmp = tempfile::NamedTempFile::new().expect("temp file");
    let out = tmp.reopen().expect("reopen");
    let err = out.try_clone().expect("dup");
    let status = Command::new(upyc())
        .args(args)
        .current_dir(dir)
        .stdout(out)
        .stderr(err)
        .status()
        .expect("run upyc");
    let text = std::fs::read_to_string(tmp.path()).expect("read output");
    (status.code(), text)
}

/// The expected text of a `.exp` file (its `# reason:` line skipped).
fn expected(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read .exp");
    assert!(
        text.starts_with("# reason: "),
        "{} must start with '# reason: '",
        path.display()
    );
    text.split_once('\n').map_or("", |x| x.1).to_string()
}

#[test]
fn board_fixtures() {
    let dir = upyc_testkit::fixtures().join("board");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures/board")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".py"))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "board fixtures missing: {names:?}");
    let mut failures = Vec::new();
    for n in &names {
        let exp = expected(&dir.join(n.replace(".py", ".exp")));
        let (code, act) = run(&dir, &["run", "--board", "sim", "--virtual-time", n]);
        if code != Some(0) || act != exp {
            failures.push(format!(
                "{n}: exit {code:?}\n--- expected\n{exp}--- actual\n{act}---"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn blink_example_on_the_simulator() {
    let root = upyc_testkit::root();
    let exp = expected(&root.join("fixtures/board/blink.exp"));
    let (code, act) = run(
        &root,
        &[
            "run",
            "--board",
            "sim",
            "--virtual-time",
            "examples/blink/main.py",
        ],
    );
    assert_eq!(code, Some(0), "{act}");
    assert_eq!(act, exp);
    assert_eq!(act.lines().filter(|l| l.starts_with("D13 -> ")).count(), 20);
}

#[test]
fn hardware_modules_need_a_board() {
    let root = upyc_testkit::root();
    for m in ["board", "digitalio", "nativeio", "machine"] {
        let (code, act) = run(&root, &["run", "-c", &format!("import {m}")]);
        assert_eq!(code, Some(1), "{m}: {act}");
        assert!(
            act.ends_with(&format!("ImportError: no module named '{m}'\n")),
            "{m}: {act}"
        );
    }
}
