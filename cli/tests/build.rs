//! `upyc build` end to end: fixture projects under `fixtures/build/` build to the expected
//! tree, every output equals mpy-cross 1.29's bytes (`mpy-cross -s REL [flags] REL` in the
//! project directory), diagnostics of broken projects and invalid manifests (snapshots, with
//! each syntax error's line and message checked against mpy-cross), a build killed mid-way,
//! thread-count independence, and `upyc new`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const UPYC: &str = env!("CARGO_BIN_EXE_upyc");

fn fixture(name: &str) -> PathBuf {
    upyc_testkit::fixtures().join("build").join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Every file under `dir`, relative, `/`-separated, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in rd {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn mpy_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .filter(|(k, _)| k.ends_with(".mpy"))
        .collect()
}

/// What mpy-cross writes for `rel` compiled in `project` with `flags`.
fn mpy_cross(project: &Path, rel: &str, flags: &[&str]) -> Vec<u8> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let status = Command::new(upyc_testkit::mpy_cross())
        .current_dir(project)
        .arg("-o")
        .arg(out.path())
        .arg("-s")
        .arg(rel)
        .args(flags)
        .arg(rel)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "mpy-cross failed on {rel}: {status:?}"
    );
    std::fs::read(out.path()).unwrap()
}

fn upyc(cwd: &Path, args: &[&str]) -> Output {
    Command::new(UPYC)
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn basic_project_builds_the_expected_tree_with_mpy_cross_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    // Two checkouts in different places: outputs must not depend on the location.
    let a = tmp.path().join("a/proj");
    let b = tmp.path().join("somewhere/else/proj");
    copy_dir(&fixture("basic"), &a);
    copy_dir(&fixture("basic"), &b);
    let out = upyc(tmp.path(), &["build", "a/proj"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = upyc(&b, &["build"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let tree: Vec<String> = files(&a.join("build")).into_keys().collect();
    assert_eq!(
        tree,
        [
            ".upyc-cache",
            ".upyc-lock",
            "app/__init__.mpy",
            "app/drivers/__init__.mpy",
            "app/drivers/led.mpy",
            "lib/util.mpy",
            "main.mpy",
            "skipped.py", // part of the fixture: build/ is never a source directory
        ]
    );
    let built = mpy_files(&a.join("build"));
    assert_eq!(built, mpy_files(&b.join("build")));
    for (rel, bytes) in &built {
        let src = rel.replace(".mpy", ".py");
        assert_eq!(
            bytes,
            &mpy_cross(&a, &src, &[]),
            "{rel} differs from mpy-cross"
        );
    }
}

#[test]
fn manifest_options_and_targets_match_mpy_cross_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("proj");
    copy_dir(&fixture("options"), &p);
    let out = upyc(&p, &["build", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "-q prints nothing on success");
    // project opt-level 1 < target < [modules] (longest name wins).
    let expect: [(&str, &str, &[&str]); 10] = [
        ("build/small", "main.py", &["-O1"]),
        ("build/small", "app/__init__.py", &["-O1"]),
        ("build/small", "app/fast/__init__.py", &["-O3"]),
        ("build/small", "app/fast/led.py", &["-O3"]),
        ("build/small", "app/fast/exact.py", &["-O2"]),
        ("out/wide", "main.py", &["-O0", "-msmall-int-bits=63"]),
        (
            "out/wide",
            "app/__init__.py",
            &["-O0", "-msmall-int-bits=63"],
        ),
        (
            "out/wide",
            "app/fast/__init__.py",
            &["-O3", "-msmall-int-bits=63"],
        ),
        (
            "out/wide",
            "app/fast/led.py",
            &["-O3", "-msmall-int-bits=63"],
        ),
        (
            "out/wide",
            "app/fast/exact.py",
            &["-O2", "-msmall-int-bits=63"],
        ),
    ];
    let mut seen = 0;
    for dir in ["build/small", "out/wide"] {
        let built = mpy_files(&p.join(dir));
        for (rel, bytes) in &built {
            let src = rel.replace(".mpy", ".py");
            let (_, _, flags) = expect
                .iter()
                .find(|(d, s, _)| *d == dir && *s == src)
                .unwrap_or_else(|| panic!("unexpected output {dir}/{rel}"));
            assert_eq!(bytes, &mpy_cross(&p, &src, flags), "{dir}/{rel} {flags:?}");
            seen += 1;
        }
    }
    assert_eq!(
        seen,
        expect.len(),
        "tests/ is excluded, everything else built"
    );
    // One target only.
    std::fs::remove_dir_all(p.join("out")).unwrap();
    let out = upyc(&p, &["build", "--target", "wide"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mpy_files(&p.join("out/wide")).len(), 5);
    let out = upyc(&p, &["build", "--target", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no target `nope` (targets: small, wide)"));
}

#[test]
fn output_does_not_depend_on_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for jobs in ["1", "2", "7"] {
        let p = tmp.path().join(jobs);
        copy_dir(&fixture("options"), &p);
        let out = upyc(&p, &["build", "-j", jobs, "--message-format", "json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        trees.push((
            mpy_files(&p.join("build")),
            mpy_files(&p.join("out")),
            out.stdout,
        ));
    }
    assert!(trees.windows(2).all(|w| w[0] == w[1]));
}

/// The project with three broken files: every error, snippets, a summary, exit code 1, no
/// outputs for the broken modules; each error where mpy-cross reports it.
#[test]
fn broken_project_reports_every_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("broken");
    copy_dir(&fixture("broken"), &p);
    let out = upyc(&p, &["build"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("broken_human", text(&out.stderr));
    let built: Vec<String> = mpy_files(&p.join("build")).into_keys().collect();
    assert_eq!(built, ["good.mpy", "pkg/__init__.mpy"]);

    let out = upyc(&p, &["build", "--message-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    insta::assert_snapshot!("broken_json", stdout);
    // The first diagnostic of each broken file is mpy-cross's error: same line, same text.
    let mut checked = 0;
    let mut seen_files = std::collections::BTreeSet::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["reason"] != "diagnostic" {
            continue;
        }
        let file = v["file"].as_str().unwrap().to_string();
        if !seen_files.insert(file.clone()) {
            continue;
        }
        let mc = Command::new(upyc_testkit::mpy_cross())
            .current_dir(&p)
            .args(["-o", "/dev/null", "-s", &file, &file])
            .output()
            .unwrap();
        assert!(!mc.status.success());
        let err = text(&mc.stderr);
        let want_line = format!("File \"{file}\", line {}", v["line"]);
        assert!(err.contains(&want_line), "{file}: {err} vs {v}");
        let msg = v["message"].as_str().unwrap();
        assert!(err.trim_end().ends_with(msg), "{file}: {err} vs {msg}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn invalid_manifests_name_file_line_and_key() {
    let dir = fixture("invalid-manifest");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    for toml in names {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::copy(&toml, tmp.path().join("upyc.toml")).unwrap();
        std::fs::write(tmp.path().join("main.py"), "print(1)\n").unwrap();
        let out = upyc(tmp.path(), &["build"]);
        assert_eq!(out.status.code(), Some(1), "{}", toml.display());
        let stem = toml.file_stem().unwrap().to_string_lossy().into_owned();
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("upyc.toml:"),
            "{stem}: names the file\n{stderr}"
        );
        insta::assert_snapshot!(format!("manifest_{stem}"), stderr);
        // Nothing is built from an invalid manifest.
        assert!(mpy_files(tmp.path()).is_empty(), "{stem}");
        let out = upyc(tmp.path(), &["build", "--message-format", "json"]);
        let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
        assert_eq!(v["reason"], "manifest-error", "{stem}");
        assert!(v["line"].as_u64().unwrap() >= 1, "{stem}");
    }
}

#[test]
fn new_project_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = upyc(tmp.path(), &["new", "blinky"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = tmp.path().join("blinky");
    let out = upyc(&p, &["build"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(p.join("build/main.mpy")).unwrap(),
        mpy_cross(&p, "main.py", &[])
    );
    // Never over an existing directory.
    let out = upyc(tmp.path(), &["new", "blinky"]);
    assert_eq!(out.status.code(), Some(1));
}

/// Sources for the kill test: enough modules that a build takes a while.
fn write_big_project(p: &Path, modules: usize, version: u32) {
    for i in 0..modules {
        let mut s = format!("VERSION = {version}\n");
        for f in 0..120 {
            s.push_str(&format!(
                "def f{f}(a, b=[{i}, {f}]):\n    x = [a * {f} + k for k in b]\n    \
                 return {{'v': x, 's': \"m{i}f{f}\"}}\n\n"
            ));
        }
        let dir = p.join(format!("pkg{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("m{i}.py")), s).unwrap();
    }
}

/// A build killed mid-way (SIGKILL or SIGINT) leaves every output whole (old or new), and the
/// next build trusts none of the old ones.
#[test]
fn killed_build_leaves_no_partial_or_trusted_stale_output() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("big");
    const N: usize = 200;
    write_big_project(&p, N, 1);
    let out = upyc(&p, &["build", "-q"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let old = mpy_files(&p.join("build"));
    assert_eq!(old.len(), N);
    // The bytes each module must have after the edit: from a clean build elsewhere.
    let reference = tmp.path().join("reference");
    write_big_project(&reference, N, 2);
    assert!(upyc(&reference, &["build", "-q"]).status.success());
    let new = mpy_files(&reference.join("build"));

    let mut mixed = 0;
    for (round, delay_ms) in [30u64, 80, 150, 300, 600, 1000].into_iter().enumerate() {
        write_big_project(&p, N, if round % 2 == 0 { 2 } else { 1 });
        let (want, other) = if round % 2 == 0 {
            (&new, &old)
        } else {
            (&old, &new)
        };
        let mut child = Command::new(UPYC)
            .current_dir(&p)
            .args(["build", "-q", "-j", "2"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if round % 2 == 0 {
            let _ = child.kill(); // SIGKILL
        } else {
            // The shell's builtin kill: no procps needed.
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -INT {}", child.id())])
                .status();
        }
        let _ = child.wait();
        // Every output present is a whole file: all old bytes or all new ones.
        let now = mpy_files(&p.join("build"));
        let (mut fresh, mut stale) = (0, 0);
        for (rel, bytes) in &now {
            if Some(bytes) == want.get(rel) {
                fresh += 1;
            } else if Some(bytes) == other.get(rel) {
                stale += 1;
            } else {
                panic!("round {round}: {rel} is neither the old nor the new output");
            }
        }
        if fresh > 0 && stale > 0 {
            mixed += 1;
        }
        // The next build redoes everything the kill left stale, and trusts the rest.
        let out = upyc(&p, &["build", "-q"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(&mpy_files(&p.join("build")), want, "round {round}");
        let leftovers: Vec<String> = files(&p.join("build"))
            .into_keys()
            .filter(|k| k.contains("upyc-tmp") || k.contains("upyc-writing"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    assert!(
        mixed > 0,
        "no kill landed mid-build; the test did not test anything"
    );
}

#[test]
fn frozen_target_writes_an_object_holding_every_module() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    std::fs::create_dir_all(p.join("pkg")).unwrap();
    std::fs::write(
        p.join("main.py"),
        "import pkg.util\nprint(pkg.util.twice(21))\n",
    )
    .unwrap();
    std::fs::write(p.join("pkg/__init__.py"), "NAME = 'pkg'\n").unwrap();
    std::fs::write(p.join("pkg/util.py"), "def twice(x):\n    return 2 * x\n").unwrap();
    std::fs::write(
        p.join("upyc.toml"),
        "[project]\nname = \"fw\"\n\n[target.board]\noutput = [\"mpy\", \"frozen\"]\n\
         triple = \"thumbv7m-none-eabi\"\n",
    )
    .unwrap();
    let out = upyc(p, &["build"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let obj = std::fs::read(p.join("build/board/frozen.o")).expect("the frozen object");
    // An ARM ELF relocatable object whose image holds the three modules, each with the
    // bytes mpy-cross writes (the target's .mpy files are those bytes too).
    assert_eq!(&obj[..4], b"\x7fELF");
    let found = upyc_freeze::inspect::locate(&obj, "upyc_frozen").expect("image symbol");
    let image = upyc_freeze::inspect::image_in(&obj, &found);
    let mut modules = upyc_freeze::Image::to_modules(image).expect("image reads back");
    modules.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<(&str, bool)> = modules
        .iter()
        .map(|m| (m.name.as_str(), m.is_package))
        .collect();
    assert_eq!(names, [("main", false), ("pkg", true), ("pkg.util", false)]);
    for (m, rel) in modules
        .iter()
        .zip(["main.py", "pkg/__init__.py", "pkg/util.py"])
    {
        assert_eq!(m.mpy, mpy_cross(p, rel, &[]), "{rel}");
    }
    // A no-op rebuild leaves the object alone.
    let before = std::fs::metadata(p.join("build/board/frozen.o"))
        .unwrap()
        .modified()
        .unwrap();
    let out = upyc(p, &["build"]);
    assert!(out.status.success());
    let after = std::fs::metadata(p.join("build/board/frozen.o"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}
