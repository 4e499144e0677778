//! Build script: compiles every `programs/*.py` to `.mpy` with upyc's compiler (the bytes
//! mpy-cross 1.29 would write) into OUT_DIR, for the binaries to `include_bytes!`; freezes
//! `../examples/blink` and `programs/` into ROM images with upyc-build's build-script API;
//! writes `config.rs` with the heap size (`UPYC_FW_HEAP` bytes, default 8192); and puts
//! `memory-8k.x` (8 KB of RAM, the board programs) or `memory-32k.x` (the runtime demos), as
//! `memory.x`, on each binary's linker search path.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use upyc_compiler::{compile_source, CompileOptions};

/// Heap bytes when `UPYC_FW_HEAP` is not set.
const DEFAULT_HEAP: usize = 8192;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let root = PathBuf::from(
        env::var("CARGO_MANIFEST_DIR").map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?,
    );

    // cortex-m-rt's link.x includes `memory.x` from the search path: each binary gets a
    // directory holding the one it links with (8 KB of RAM for the board programs).
    for (file, bins) in [
        ("memory-8k.x", &["blink", "showcase", "clock", "oom"][..]),
        ("memory-32k.x", &["hello", "uncaught", "baseline"][..]),
    ] {
        let dir = out.join(file.trim_end_matches(".x"));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        fs::copy(root.join(file), dir.join("memory.x"))
            .map_err(|e| format!("copying {file}: {e}"))?;
        println!("cargo:rerun-if-changed={file}");
        for bin in bins {
            println!("cargo:rustc-link-arg-bin={bin}=-L{}", dir.display());
        }
    }

    let heap = match env::var("UPYC_FW_HEAP") {
        Ok(v) => parse_size(&v).ok_or_else(|| format!("UPYC_FW_HEAP={v}: not a size"))?,
        Err(_) => DEFAULT_HEAP,
    };
    println!("cargo:rerun-if-env-changed=UPYC_FW_HEAP");
    fs::write(
        out.join("config.rs"),
        format!("/// Heap bytes given to the VM (UPYC_FW_HEAP).\npub const HEAP_SIZE: usize = {heap};\n"),
    )
    .map_err(|e| format!("writing config.rs: {e}"))?;

    let programs = root.join("programs");
    println!("cargo:rerun-if-changed={}", programs.display());
    let mut entries: Vec<_> = fs::read_dir(&programs)
        .map_err(|e| format!("{}: {e}", programs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    entries.sort();
    for py in entries {
        compile_program(&py, &out)?;
    }
    // Frozen images (upyc-build's build-script API): the example program for `blink`
    // (OUT_DIR/blink/upyc_frozen.bin) and programs/ for `showcase` and `oom`
    // (OUT_DIR/programs/upyc_frozen.bin).
    for (src, dest) in [("../examples/blink", "blink"), ("programs", "programs")] {
        let src = root.join(src);
        let dest = out.join(dest);
        fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
        upyc_build::build_script::freeze_dir_to(
            &src,
            &dest,
            &upyc_build::FreezeOptions::default(),
            &mut std::io::stdout(),
        )
        .map_err(|e| format!("freezing {}: {e}", src.display()))?;
    }
    Ok(())
}

/// `8192`, `8k` or `8K`.
fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    match s.strip_suffix(['k', 'K']) {
        Some(n) => n.parse::<usize>().ok()?.checked_mul(1024),
        None => s.parse().ok(),
    }
}

fn compile_program(py: &Path, out: &Path) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", py.display());
    let name = py
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: not a UTF-8 name", py.display()))?;
    let source = fs::read(py).map_err(|e| format!("{}: {e}", py.display()))?;
    let options = CompileOptions {
        source_name: name.to_string(),
        ..CompileOptions::default()
    };
    let mpy = compile_source(&source, &options)
        .map_err(|e| format!("{}: does not compile: {e}", py.display()))?;
    let dest = out.join(name).with_extension("mpy");
    fs::write(&dest, mpy).map_err(|e| format!("{}: {e}", dest.display()))
}
