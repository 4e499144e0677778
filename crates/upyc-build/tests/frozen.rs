//! The frozen-output path of a build, with a readable stand-in freezer (the real one,
//! upyc-freeze, is checked in cli/tests/build.rs): the freezer gets every module, sorted by
//! dotted name, with mpy-cross's bytes; the object is rewritten only when a module changed; a
//! failing module leaves no object.

use std::path::Path;
use std::process::Command;

use upyc_build::frozen::FreezeError;
use upyc_build::manifest::FrozenSpec;
use upyc_build::{build, BuildOptions, FrozenModule, NoProgress, Project, Report};

/// A readable stand-in for an object file: the spec, then each module's name, kind and bytes.
fn fake_freezer(spec: &FrozenSpec, modules: &[FrozenModule]) -> Result<Vec<u8>, FreezeError> {
    let mut out = format!("{} {}\n", spec.triple, spec.symbol).into_bytes();
    for m in modules {
        out.extend(format!("{} {} {}\n", m.name, m.is_package, m.mpy.len()).bytes());
        out.extend(&m.mpy);
        out.push(b'\n');
    }
    Ok(out)
}

/// Splits a fake object back into (name, is_package, mpy).
fn parse_fake(mut bytes: &[u8]) -> (String, Vec<(String, bool, Vec<u8>)>) {
    let line = |b: &mut &[u8]| {
        let n = b.iter().position(|&c| c == b'\n').unwrap();
        let l = String::from_utf8(b[..n].to_vec()).unwrap();
        *b = &b[n + 1..];
        l
    };
    let head = line(&mut bytes);
    let mut mods = Vec::new();
    while !bytes.is_empty() {
        let l = line(&mut bytes);
        let parts: Vec<&str> = l.split(' ').collect();
        let len: usize = parts[2].parse().unwrap();
        mods.push((
            parts[0].to_string(),
            parts[1] == "true",
            bytes[..len].to_vec(),
        ));
        bytes = &bytes[len + 1..];
    }
    (head, mods)
}

fn mpy_cross(root: &Path, rel: &str) -> Vec<u8> {
    let out = tempfile::NamedTempFile::new().unwrap();
    let st = Command::new(upyc_testkit::mpy_cross())
        .current_dir(root)
        .arg("-o")
        .arg(out.path())
        .args(["-s", rel, "-O1", rel])
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read(out.path()).unwrap()
}

fn run(root: &Path) -> Report {
    let project = Project::load(root).unwrap();
    let options = BuildOptions {
        freezer: Some(fake_freezer),
        ..BuildOptions::default()
    };
    build(&project, &options, &NoProgress).unwrap()
}

const MANIFEST: &str = "[project]\nopt-level = 1\n\n[target.board]\noutput = [\"frozen\"]\n\
                        triple = \"thumbv7m-none-eabi\"\nsymbol = \"frozen_py\"\n";

#[test]
fn frozen_output_gets_every_module_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for (rel, text) in [
        ("upyc.toml", MANIFEST),
        ("main.py", "import drv\n"),
        ("drv/__init__.py", "X = 1\n"),
        ("drv/spi.py", "def f(a):\n    return a\n"),
        ("a_first.py", "A = 1\n"),
    ] {
        std::fs::create_dir_all(p.join(rel).parent().unwrap()).unwrap();
        std::fs::write(p.join(rel), text).unwrap();
    }
    let object = p.join("build/board/frozen.o");
    let r = run(p);
    assert!(r.success());
    assert_eq!(
        r.targets[0].frozen_written.as_deref(),
        Some(object.as_path())
    );
    let (head, mods) = parse_fake(&std::fs::read(&object).unwrap());
    assert_eq!(head, "thumbv7m-none-eabi frozen_py");
    let names: Vec<(&str, bool)> = mods.iter().map(|(n, p, _)| (n.as_str(), *p)).collect();
    assert_eq!(
        names,
        [
            ("a_first", false),
            ("drv", true),
            ("drv.spi", false),
            ("main", false)
        ]
    );
    for ((_, _, mpy), rel) in
        mods.iter()
            .zip(["a_first.py", "drv/__init__.py", "drv/spi.py", "main.py"])
    {
        assert_eq!(mpy, &mpy_cross(p, rel), "{rel}");
    }
    // A frozen-only target has no .mpy tree (its .mpy files are kept out of sight).
    assert!(!p.join("build/board/main.mpy").exists());

    // No-op: the object is not rewritten.
    let before = std::fs::metadata(&object).unwrap().modified().unwrap();
    let r = run(p);
    assert!(r.targets[0].frozen_written.is_none());
    assert_eq!(
        std::fs::metadata(&object).unwrap().modified().unwrap(),
        before
    );

    // One edit: the object is rebuilt with the new module and the others read back.
    std::fs::write(p.join("drv/spi.py"), "def f(a):\n    return a * 2\n").unwrap();
    let r = run(p);
    assert_eq!(r.targets[0].compiled(), 1);
    assert!(r.targets[0].frozen_written.is_some());
    let (_, mods) = parse_fake(&std::fs::read(&object).unwrap());
    assert_eq!(mods[2].2, mpy_cross(p, "drv/spi.py"));
    assert_eq!(mods[3].2, mpy_cross(p, "main.py"));

    // A failing module: no object left to flash.
    std::fs::write(p.join("drv/spi.py"), "def f(a:\n").unwrap();
    let r = run(p);
    assert!(!r.success());
    assert!(!object.exists());
    std::fs::write(p.join("drv/spi.py"), "def f(a):\n    return a\n").unwrap();
    assert!(run(p).success());
    assert!(object.exists());
}
