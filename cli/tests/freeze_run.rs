//! Frozen modules run like their `.mpy` files: every passing runtime fixture, frozen with
//! its area's support modules into one image, gives the same stdout, stderr and exit code
//! under `upyc run --frozen IMAGE -m NAME` as `upyc run NAME.mpy`. Also: heap use after
//! importing a frozen module does not grow with its code size; `upyc freeze`/`inspect`.

use std::path::{Path, PathBuf};
use std::process::Command;

use upyc_freeze::{FreezeOptions, Image};

fn upyc() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_upyc"))
}

/// Every runtime fixture (`area/NNN_topic.py`); all of them pass (cli/tests/run_fixtures.rs).
fn passing() -> Vec<String> {
    let root = upyc_testkit::fixtures().join("run");
    let mut v = Vec::new();
    for area in std::fs::read_dir(&root).unwrap().flatten() {
        if !area.path().is_dir() {
            continue;
        }
        let a = area.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(area.path()).unwrap().flatten() {
            let n = f.file_name().to_string_lossy().into_owned();
            let b = n.as_bytes();
            if n.ends_with(".py")
                && b.len() > 4
                && b[..3].iter().all(u8::is_ascii_digit)
                && b[3] == b'_'
            {
                v.push(format!("{a}/{n}"));
            }
        }
    }
    v.sort();
    v
}

fn run(args: &[&std::ffi::OsStr], cwd: &Path) -> (i32, Vec<u8>, Vec<u8>) {
    let out = Command::new(upyc())
        .arg("run")
        .args(args)
        .current_dir(cwd)
        .env_remove("MICROPYPATH")
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}

/// `upyc freeze OPTIONS -o OUT SRC`, which must succeed.
fn freeze(options: &[&str], out: &Path, src: &Path) {
    let st = Command::new(upyc())
        .arg("freeze")
        .args(options)
        .arg("-o")
        .arg(out)
        .arg(src)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn frozen_fixtures_match_mpy_runs() {
    let run_dir = upyc_testkit::fixtures().join("run");
    let tests = passing();
    let mut compared = 0;
    let mut areas: Vec<PathBuf> = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    areas.sort();
    let mut failures = Vec::new();
    for area in areas {
        let area_name = area.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let mpy_dir = tmp.path().join("mpy");
        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let modules = upyc_freeze::input::collect_dir(&area, &FreezeOptions::default()).unwrap();
        // The same .mpy bytes on disk, at their relative paths.
        for m in &modules {
            let mut rel: PathBuf = m.name.split('.').collect();
            if m.is_package {
                rel.push("__init__");
            }
            let p = mpy_dir.join(rel).with_extension("mpy");
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &m.mpy).unwrap();
        }
        let img = tmp.path().join("frozen.bin");
        std::fs::write(&img, Image::from_modules(&modules).unwrap()).unwrap();
        // sys.argv[0] is how the program was started: `NAME.mpy` there, `-m NAME` here.
        for t in tests
            .iter()
            .filter(|t| t.starts_with(&format!("{area_name}/")))
            .filter(|t| *t != "modules/024_sys_argv.py")
        {
            let stem = Path::new(t)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let mpy = mpy_dir.join(format!("{stem}.mpy"));
            let a = run(&[mpy.as_os_str()], &mpy_dir);
            let b = run(
                &[
                    "--frozen".as_ref(),
                    img.as_os_str(),
                    "-m".as_ref(),
                    stem.as_ref(),
                ],
                &empty,
            );
            if a != b {
                failures.push(format!(
                    "{t}:\n  .mpy ({}): {}{}\n  frozen ({}): {}{}",
                    a.0,
                    String::from_utf8_lossy(&a.1),
                    String::from_utf8_lossy(&a.2),
                    b.0,
                    String::from_utf8_lossy(&b.1),
                    String::from_utf8_lossy(&b.2)
                ));
            }
            compared += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 300, "only {compared} fixtures compared");
}

#[test]
fn freeze_and_inspect_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let src = upyc_testkit::fixtures().join("run/modules");
    let obj = tmp.path().join("out.o");
    freeze(&["--target", "thumbv7m-none-eabi", "-O2"], &obj, &src);
    let out = Command::new(upyc())
        .arg("inspect")
        .arg(&obj)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("ELF relocatable, ARM"), "{text}");
    assert!(text.contains("(symbol upyc_frozen)"), "{text}");
    assert!(text.contains("pkg_demo (pkg)"), "{text}");
    assert!(text.contains("mod_helper"), "{text}");
    // Unknown target, bad input: an error and no output file.
    let bad = tmp.path().join("bad.o");
    let st = Command::new(upyc())
        .args(["freeze", "--target", "mips-unknown", "-o"])
        .arg(&bad)
        .arg(&src)
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("unknown target 'mips-unknown'"));
    let broken = tmp.path().join("broken.py");
    std::fs::write(&broken, "def f(:\n").unwrap();
    let st = Command::new(upyc())
        .args(["freeze", "--target", "x86_64-unknown-linux-gnu", "-o"])
        .arg(&bad)
        .arg(&broken)
        .output()
        .unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("broken.py"));
    assert!(!bad.exists());
    // A corrupted image is refused with a clear message.
    let img = tmp.path().join("img.bin");
    let st = Command::new(upyc())
        .args(["freeze", "--format", "bin", "-o"])
        .arg(&img)
        .arg(&src)
        .output()
        .unwrap();
    assert!(st.status.success());
    let mut bytes = std::fs::read(&img).unwrap();
    bytes[4] = 99;
    std::fs::write(&img, &bytes).unwrap();
    let (code, _, err) = run(
        &[
            "--frozen".as_ref(),
            img.as_os_str(),
            "-c".as_ref(),
            "1".as_ref(),
        ],
        tmp.path(),
    );
    assert_eq!(code, 1);
    assert!(
        String::from_utf8_lossy(&err).contains("unsupported version"),
        "{}",
        String::from_utf8_lossy(&err)
    );
}

/// A frozen module named like a builtin one (`gc`) is imported instead of it (frozen
/// modules come first) and has only its own attributes: the builtin's native functions are
/// not looked up for it. The builtin `time` still answers from its table.
#[test]
fn frozen_module_named_like_a_builtin_has_only_its_own_attributes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("gc.py"), "x = 1\n").unwrap();
    std::fs::write(
        src.join("main.py"),
        "import gc\nprint(gc.x, hasattr(gc, 'collect'))\nimport time\nprint(callable(time.sleep))\n",
    )
    .unwrap();
    let image = tmp.path().join("image.bin");
    freeze(&["--format", "bin"], &image, &src);
    let (code, stdout, stderr) = run(
        &[
            "--frozen".as_ref(),
            image.as_os_str(),
            "-m".as_ref(),
            "main".as_ref(),
        ],
        tmp.path(),
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
    assert_eq!(String::from_utf8_lossy(&stdout), "1 False\nTrue\n");
}
