//! The `upyc compile` binary against the mpy-cross binary, as processes: same argv, same
//! exit code, same stdout/stderr, same output bytes, and no output left behind on error.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use upyc_testkit::{fixtures, mpy_cross};

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

fn run(bin: &Path, args: &[&str], cwd: &Path, stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(bin);
    if bin != mpy_cross() {
        cmd.arg("compile");
    }
    cmd.args(args).current_dir(cwd);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn compiler");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for compiler");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

fn upyc() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upyc"))
}

/// Runs both compilers with `args` in `cwd` and asserts the same exit code, stderr and stdout.
fn check_same(args: &[&str], cwd: &Path, stdin: Option<&[u8]>) -> (Run, Run) {
    let theirs = run(mpy_cross(), args, cwd, stdin);
    let ours = run(&upyc(), args, cwd, stdin);
    assert_eq!(ours.code, theirs.code, "exit code for {args:?}");
    assert_eq!(
        String::from_utf8_lossy(&ours.stderr),
        String::from_utf8_lossy(&theirs.stderr),
        "stderr for {args:?}"
    );
    (ours, theirs)
}

#[test]
fn argument_errors_match() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.py"), "x = 1\n").unwrap();
    for args in [
        &[][..],
        &["a.py", "b.py"],
        &["-X", "emit=native", "ok.py"],
        &["-march=x64", "-march-flags=zba", "ok.py"],
        &["-O"],
        &["missing.py"],
        &["-o", "no/such/dir/out.mpy", "ok.py"],
        &["."],
    ] {
        check_same(args, dir.path(), None);
    }
    // Usage text goes to stdout with exit code 1; ours names our program, so compare the code
    // and that both printed a usage text.
    for args in [
        &["-q", "ok.py"][..],
        &["-X", "bogus", "ok.py"],
        &["-o"],
        &["-march=z80", "ok.py"],
    ] {
        let (ours, theirs) = check_same(args, dir.path(), None);
        assert!(
            theirs.stdout.starts_with(b"usage: "),
            "mpy-cross printed usage for {args:?}"
        );
        assert!(
            ours.stdout.starts_with(b"usage: "),
            "upyc printed usage for {args:?}"
        );
    }
}

#[test]
fn outputs_match_for_each_way_of_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let src =
        "def f(a, b=2):\n    return a + b\nprint(f(1), 'Programma main.py ir izpild\u{012b}ta')\n";
    fs::write(dir.path().join("m.py"), src).unwrap();
    // default output name (m.mpy), explicit -o, -o - (stdout), stdin, stdin with -s
    check_same(&["m.py"], dir.path(), None);
    let theirs = fs::read(dir.path().join("m.mpy")).unwrap();
    fs::remove_file(dir.path().join("m.mpy")).unwrap();
    let ours_run = run(&upyc(), &["m.py"], dir.path(), None);
    assert_eq!(ours_run.code, 0);
    assert_eq!(
        fs::read(dir.path().join("m.mpy")).unwrap(),
        theirs,
        "default output m.mpy"
    );

    for args in [
        &["-o", "-", "m.py"][..],
        &["-s", "lib/m.py", "-o", "-", "m.py"],
        &["-O2", "-o", "-", "m.py"],
    ] {
        let (ours, theirs) = check_same(args, dir.path(), None);
        assert_eq!(ours.stdout, theirs.stdout, "stdout bytes for {args:?}");
    }
    for args in [&["-"][..], &["-s", "main.py", "-"]] {
        let (ours, theirs) = check_same(args, dir.path(), Some(src.as_bytes()));
        assert_eq!(ours.stdout, theirs.stdout, "stdin to stdout for {args:?}");
    }
}

#[test]
fn invalid_fixtures_give_mpy_cross_errors_and_no_output() {
    let dir = fixtures().join("compile/invalid");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("fixtures/compile/invalid")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 100,
        "expected at least 100 invalid fixtures, found {}",
        files.len()
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        let out = out_dir.path().join("out.mpy");
        let out_s = out.to_str().unwrap();
        let args = ["-s", name, "-o", out_s, name];
        let theirs = run(mpy_cross(), &args, &dir, None);
        let _ = fs::remove_file(&out);
        let ours = run(&upyc(), &args, &dir, None);
        if out.exists() {
            failures.push(format!("{name}: upyc left an output file behind"));
        }
        if ours.code != theirs.code || ours.stderr != theirs.stderr {
            failures.push(format!(
                "{name}: exit {} vs mpy-cross {}\n--- upyc\n{}--- mpy-cross\n{}",
                ours.code,
                theirs.code,
                String::from_utf8_lossy(&ours.stderr),
                String::from_utf8_lossy(&theirs.stderr)
            ));
        }
        assert_ne!(
            theirs.code, 0,
            "{name} is in invalid/ but mpy-cross accepts it"
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
