//! Byte-identity against mpy-cross 1.29: every fixture under `fixtures/compile/` and a sample
//! of the CPython standard library, compiled by us and by the oracle binary with the same
//! flags. A program mpy-cross rejects must be rejected with the same text on stderr.
//!
//! Everything goes through one helper, [`check`]; failures are collected and reported
//! together, each with a hex dump around the first differing byte.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use upyc_compiler::{compile_source, CompileOptions};

/// Differences whose cause is outside this crate: (file name, flags, cause). They are still
/// compiled and reported (on stderr) but do not fail the test; one that stops differing is
/// reported as such, to be removed from here.
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[];

fn known_difference(path: &Path, flags: &[&str]) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let flags = flags.join(" ");
    KNOWN_DIFFERENCES
        .iter()
        .find(|(n, f, _)| *n == name && *f == flags)
        .map(|(_, _, why)| *why)
}

/// The flag sets every fixture is compiled with.
const FLAG_SETS: &[&[&str]] = &[&[], &["-O1"], &["-O3"], &["-msmall-int-bits=63"]];

/// Every `.py` file directly under `dir`, sorted.
fn py_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    files.sort();
    files
}

fn options_for(flags: &[&str], source_name: &str, input_path: &str) -> CompileOptions {
    let mut options = CompileOptions {
        source_name: source_name.to_string(),
        input_path: Some(input_path.to_string()),
        ..CompileOptions::default()
    };
    for f in flags {
        if let Some(n) = f.strip_prefix("-msmall-int-bits=") {
            options.small_int_bits = n.parse().expect("small-int bits");
        } else if let Some(n) = f.strip_prefix("-O") {
            options.opt_level = n.parse().expect("opt level");
        } else if *f == "no-source-lines" {
            options.source_lines = false;
        }
    }
    options
}

fn hex_line(data: &[u8], from: usize) -> String {
    let end = (from + 16).min(data.len());
    let mut s = format!("{from:08x}:");
    for b in &data[from.min(end)..end] {
        let _ = write!(s, " {b:02x}");
    }
    s
}

/// Where two byte strings first differ, with 16 bytes of each from the line around it.
fn hex_diff(ours: &[u8], theirs: &[u8]) -> String {
    let first = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let from = first & !15;
    format!(
        "first difference at offset {first:#x} (ours {} bytes, mpy-cross {} bytes)\n  ours:      {}\n  mpy-cross: {}",
        ours.len(),
        theirs.len(),
        hex_line(ours, from),
        hex_line(theirs, from)
    )
}

/// Compiles `path` with ours and with mpy-cross (`flags`, `-s <file name>`), and says how they
/// differ, if they do.
fn check(path: &Path, flags: &[&str], work: &Path) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let input = path.to_string_lossy().into_owned();
    let out = work.join("out.mpy");
    let _ = std::fs::remove_file(&out);
    let out_s = out.to_string_lossy().into_owned();
    let mut args: Vec<&str> = Vec::new();
    for f in flags {
        if *f == "no-source-lines" {
            args.extend(["-X", "no-source-lines"]);
        } else {
            args.push(f);
        }
    }
    args.extend(["-s", &name, "-o", &out_s, &input]);
    let (code, _stdout, stderr) = upyc_testkit::run_mpy_cross(&args, work);

    let source = std::fs::read(path).map_err(|e| format!("read: {e}"))?;
    let ours = compile_source(&source, &options_for(flags, &name, &input));

    match (code, ours) {
        (0, Ok(bytes)) => {
            let theirs = std::fs::read(&out).map_err(|e| format!("mpy-cross output: {e}"))?;
            if bytes == theirs {
                Ok(())
            } else {
                Err(hex_diff(&bytes, &theirs))
            }
        }
        (0, Err(e)) => Err(format!(
            "mpy-cross accepts it, we reject it:\n{}",
            e.render()
        )),
        (_, Ok(_)) => Err(format!(
            "mpy-cross rejects it, we accept it:\n{}",
            String::from_utf8_lossy(&stderr)
        )),
        (_, Err(e)) => {
            let theirs = String::from_utf8_lossy(&stderr);
            let ours = e.render();
            if ours == theirs {
                Ok(())
            } else {
                Err(format!(
                    "both reject it, differently:\n  ours:      {ours:?}\n  mpy-cross: {theirs:?}"
                ))
            }
        }
    }
}

/// Checks every file with every flag set and panics with a report of all differences.
fn check_all(files: &[PathBuf], flag_sets: &[&[&str]]) {
    let work = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    let mut total = 0;
    for flags in flag_sets {
        for f in files {
            total += 1;
            let result = check(f, flags, work.path());
            match (result, known_difference(f, flags)) {
                (Ok(()), None) => {}
                (Ok(()), Some(_)) => eprintln!(
                    "note: known difference {} {flags:?} is now identical: remove it from \
                     KNOWN_DIFFERENCES",
                    f.display()
                ),
                (Err(why), Some(cause)) => eprintln!(
                    "known difference {} {flags:?} ({cause}): {why}",
                    f.display()
                ),
                (Err(why), None) => failures.push(format!("{} {:?}: {why}", f.display(), flags)),
            }
        }
    }
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(40).collect();
        panic!(
            "{} of {} compilations differ from mpy-cross:\n{}",
            failures.len(),
            total,
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn valid_fixtures_match_mpy_cross() {
    let files = py_files(&upyc_testkit::fixtures().join("compile/valid"));
    assert!(!files.is_empty(), "no fixtures found");
    check_all(&files, FLAG_SETS);
}

#[test]
fn invalid_fixtures_match_mpy_cross() {
    let files = py_files(&upyc_testkit::fixtures().join("compile/invalid"));
    check_all(&files, &[&[]]);
}

#[test]
fn source_lines_can_be_left_out() {
    let files = py_files(&upyc_testkit::fixtures().join("compile/valid"));
    let sample: Vec<PathBuf> = files.into_iter().step_by(7).collect();
    check_all(&sample, &[&["no-source-lines"]]);
}

/// Every 8th file of the CPython standard library (top level), as real-world code.
#[test]
fn stdlib_sample_matches_mpy_cross() {
    let files = py_files(&upyc_testkit::cpython_stdlib());
    let sample: Vec<PathBuf> = files.into_iter().step_by(8).collect();
    assert!(!sample.is_empty(), "no stdlib files found");
    check_all(&sample, &[&[]]);
}
