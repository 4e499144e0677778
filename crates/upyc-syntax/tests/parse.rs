//! Data-driven tests of the parser against MicroPython's own parser.
//!
//! Every expected tree and error here was produced by mpy-cross 1.29 (a debug build that
//! prints its parse tree, see `oracle/regen.py`): the snapshots of `cases/`, and the tree
//! hashes or first errors of the shared fixtures (`fixtures/compile/{valid,invalid}`) and of the
//! top-level modules of CPython 3.11's standard library (skipped when not installed).

use std::fs;
use std::path::{Path, PathBuf};

use upyc_syntax::dump::dump_bytes;
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::{Arena, Node, Span, Tree};
use upyc_syntax::{parse, Diagnostic, InputKind, ParseOptions, ParseResult};

const STDLIB: &str = "/root/.pyenv/versions/3.11.7/lib/python3.11";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures_dir() -> PathBuf {
    crate_dir().join("../../fixtures/compile")
}

/// FNV-1a, 64 bits (as `oracle/regen.py` computes it).
fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// mpy-cross's options from a first line `# mpy-cross: -O1 -msmall-int-bits=63`.
fn options_of(source: &[u8]) -> ParseOptions {
    let mut options = ParseOptions::default();
    let first = source.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    if let Some(flags) = first.strip_prefix("# mpy-cross:") {
        for flag in flags.split_whitespace() {
            if let Some(bits) = flag.strip_prefix("-msmall-int-bits=") {
                options.small_int_bits = bits.parse().expect("small int bits");
            } else if let Some(level) = flag.strip_prefix("-O") {
                options.opt_level = level.parse().expect("-O level");
            }
        }
    }
    options
}

/// Parses a file as mpy-cross does when given `name` on its command line.
fn parse_as_mpy_cross<'a>(
    source: &[u8],
    name: &str,
    arena: &'a Arena,
) -> (ParseResult<'a>, QstrPool) {
    let mut pool = QstrPool::new();
    pool.intern(name.as_bytes());
    let result = parse(
        source,
        InputKind::File,
        &options_of(source),
        &mut pool,
        arena,
    );
    (result, pool)
}

/// Checks that rule spans lie within the source, are ordered, and nest inside their parents.
fn check_spans(tree: &Tree<'_>, len: usize) -> Result<(), String> {
    let mut stack: Vec<(&Node<'_>, Span)> = vec![(&tree.root, Span::new(0, len as u32))];
    while let Some((node, outer)) = stack.pop() {
        let Node::Rule(r) = node else { continue };
        let s = r.span;
        if s.start > s.end || s.start < outer.start || s.end > outer.end {
            return Err(format!(
                "{} at line {}: span {:?} not within {:?}",
                r.rule.name(),
                r.line,
                s,
                outer
            ));
        }
        let mut prev_end = s.start;
        for child in r.args {
            if let Node::Rule(c) = child {
                if c.span.start < prev_end {
                    return Err(format!(
                        "{} at line {}: child {} starts at {} before {}",
                        r.rule.name(),
                        r.line,
                        c.rule.name(),
                        c.span.start,
                        prev_end
                    ));
                }
                prev_end = c.span.end;
            }
            stack.push((child, s));
        }
    }
    Ok(())
}

/// mpy-cross's stderr for `d` (without the `exit status` line the fixtures add).
fn render_first(d: &[Diagnostic], name: &str) -> String {
    d.first().map(|d| d.render(name)).unwrap_or_default()
}

/// `LINE EXCEPTION: MESSAGE`, as `oracle/regen.py` summarises an error.
fn summary(d: &Diagnostic) -> String {
    let line = if d.kind.has_location() { d.line } else { 0 };
    format!("{} {}: {}", line, d.kind.exception().name(), d.message)
}

enum Expected {
    Tree(u64),
    Error(String),
}

fn read_expectations(file: &str) -> Vec<(String, Expected)> {
    let text = fs::read_to_string(crate_dir().join("tests/oracle").join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(' ')?;
            let (kind, value) = rest.split_once(' ')?;
            let exp = match kind {
                "tree" => Expected::Tree(u64::from_str_radix(value, 16).ok()?),
                _ => Expected::Error(value.to_string()),
            };
            Some((name.to_string(), exp))
        })
        .collect()
}

/// Checks every file listed in `file` (an oracle expectation list) in `dir`; returns the
/// number checked.
fn check_expectations(dir: &Path, file: &str) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, exp) in read_expectations(file) {
        let Ok(source) = fs::read(dir.join(&name)) else {
            continue;
        };
        checked += 1;
        let arena = Arena::new();
        let (result, pool) = parse_as_mpy_cross(&source, &name, &arena);
        match (exp, &result.tree) {
            (Expected::Tree(hash), Some(tree)) => {
                if let Err(e) = check_spans(tree, source.len()) {
                    failures.push(format!("{name}: {e}"));
                }
                let got = fnv1a(&dump_bytes(tree, &pool));
                if got != hash {
                    failures.push(format!("{name}: tree differs from mpy-cross's"));
                }
            }
            (Expected::Tree(_), None) => failures.push(format!(
                "{name}: mpy-cross parses it, we report {}",
                summary(&result.diagnostics[0])
            )),
            (Expected::Error(err), _) => match result.diagnostics.first() {
                Some(d) if summary(d) == err => {}
                Some(d) => failures.push(format!("{name}: {} instead of {err}", summary(d))),
                None => failures.push(format!("{name}: parsed, mpy-cross reports {err}")),
            },
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn valid_fixtures_match_mpy_cross() {
    let dir = fixtures_dir().join("valid");
    let n = check_expectations(&dir, "valid_fixtures.txt");
    assert!(n > 0, "no fixtures found in {}", dir.display());
}

#[test]
fn every_valid_fixture_parses_cleanly() {
    let dir = fixtures_dir().join("valid");
    let mut failures = Vec::new();
    for entry in fs::read_dir(&dir)
        .expect("fixtures/compile/valid")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let source = fs::read(&path).expect("readable fixture");
        let arena = Arena::new();
        let (result, _) = parse_as_mpy_cross(&source, &name, &arena);
        match (&result.tree, result.diagnostics.first()) {
            (Some(tree), None) => {
                if let Err(e) = check_spans(tree, source.len()) {
                    failures.push(format!("{name}: {e}"));
                }
            }
            (_, Some(d)) => failures.push(format!("{name}: {}", summary(d))),
            (None, None) => failures.push(format!("{name}: no tree and no diagnostic")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_fixtures_match_mpy_cross() {
    let dir = fixtures_dir().join("invalid");
    check_expectations(&dir, "invalid_fixtures.txt");

    // Also every fixture not in the list yet: when we report an error, it must be the text
    // mpy-cross wrote to stderr.
    let listed: Vec<String> = read_expectations("invalid_fixtures.txt")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let mut failures = Vec::new();
    for entry in fs::read_dir(&dir)
        .expect("fixtures/compile/invalid")
        .flatten()
    {
        let path = entry.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if path.extension().is_none_or(|e| e != "py") || listed.contains(&name) {
            continue;
        }
        let Ok(expected) = fs::read_to_string(path.with_extension("err")) else {
            continue;
        };
        let expected: String = expected
            .lines()
            .filter(|l| !l.starts_with("exit status"))
            .map(|l| format!("{l}\n"))
            .collect();
        let source = fs::read(&path).expect("readable fixture");
        let arena = Arena::new();
        let (result, _) = parse_as_mpy_cross(&source, &name, &arena);
        if !result.diagnostics.is_empty() {
            let got = render_first(&result.diagnostics, &name);
            if got != expected && !expected.starts_with("MemoryError") {
                failures.push(format!("{name}:\n{got}instead of\n{expected}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stdlib_modules_match_mpy_cross() {
    let dir = Path::new(STDLIB);
    if !dir.is_dir() {
        eprintln!("skipped: {STDLIB} not found");
        return;
    }
    check_expectations(dir, "stdlib.txt");
}

/// `cases/*.py`: each has the tree mpy-cross built (`.tree`) or its stderr (`.err`).
#[test]
fn cases_match_mpy_cross_snapshots() {
    let dir = crate_dir().join("tests/cases");
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in fs::read_dir(&dir).expect("tests/cases").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let source = fs::read(&path).expect("readable case");
        let arena = Arena::new();
        let (result, pool) = parse_as_mpy_cross(&source, &name, &arena);
        checked += 1;
        if let Ok(expected) = fs::read(path.with_extension("tree")) {
            match &result.tree {
                Some(tree) => {
                    let got = dump_bytes(tree, &pool);
                    if got != expected {
                        failures.push(format!(
                            "{name}: tree differs; ours:\n{}",
                            String::from_utf8_lossy(&got)
                        ));
                    }
                    if let Err(e) = check_spans(tree, source.len()) {
                        failures.push(format!("{name}: {e}"));
                    }
                }
                None => failures.push(format!("{name}: {:?}", result.diagnostics)),
            }
        } else if let Ok(expected) = fs::read_to_string(path.with_extension("err")) {
            let got = render_first(&result.diagnostics, &name);
            if got != expected {
                failures.push(format!(
                    "{name}: we report\n{got}mpy-cross reports\n{expected}"
                ));
            }
        } else {
            failures.push(format!("{name}: no .tree or .err snapshot"));
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
