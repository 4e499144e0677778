//! Prints the parse tree of a file (or the diagnostics), for development:
//! `cargo run -p upyc-syntax --example dump -- [-O<N>] [-msmall-int-bits=N] FILE.py`.

use std::io::Write;
use upyc_syntax::qstr::QstrPool;

use upyc_syntax::dump::dump_bytes;
use upyc_syntax::{parse, InputKind, ParseOptions};

fn main() {
    let mut options = ParseOptions::default();
    let mut path = None;
    for arg in std::env::args().skip(1) {
        if let Some(bits) = arg.strip_prefix("-msmall-int-bits=") {
            options.small_int_bits = bits.parse().unwrap_or(31);
        } else if let Some(level) = arg.strip_prefix("-O") {
            options.opt_level = level.parse().unwrap_or(1);
        } else {
            path = Some(arg);
        }
    }
    let Some(path) = path else {
        eprintln!("usage: dump [-O<N>] [-msmall-int-bits=N] FILE.py");
        std::process::exit(2);
    };
    let source = match std::fs::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let mut pool = QstrPool::new();
    pool.intern(path.as_bytes());
    let arena = upyc_syntax::tree::Arena::new();
    let result = parse(&source, InputKind::File, &options, &mut pool, &arena);
    if let Some(tree) = &result.tree {
        let _ = std::io::stdout().write_all(&dump_bytes(tree, &pool));
    }
    for d in &result.diagnostics {
        eprint!("{}", d.render(&path));
    }
    if !result.diagnostics.is_empty() {
        std::process::exit(1);
    }
}
