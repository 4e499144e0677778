//! Development driver with mpy-cross's command line, for comparing against the oracle
//! (`scripts/compiler-stdlib.sh`). The real command is `upyc compile`.
//!
//! Usage: `mpy_compile [-s NAME] [-o OUT] [-O<N>] [-msmall-int-bits=N] [-X no-source-lines]
//! IN.py...`; with several inputs each is written beside its input as `.mpy` (or to
//! `OUT/<index>.mpy` when `-o` names a directory, errors to `OUT/<index>.err`), and one status
//! line per input is printed: `ok`, or `error <message>`.

use std::process::ExitCode;

use upyc_compiler::{compile_source, CompileOptions};

fn main() -> ExitCode {
    let mut options = CompileOptions::default();
    let mut source_name = None;
    let mut out = None;
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "-s" {
            source_name = args.next();
        } else if a == "-o" {
            out = args.next();
        } else if let Some(n) = a.strip_prefix("-msmall-int-bits=") {
            options.small_int_bits = n.parse().unwrap_or(31);
        } else if let Some(n) = a.strip_prefix("-O") {
            options.opt_level = n.parse().unwrap_or(1);
        } else if a == "-X" {
            if args.next().as_deref() == Some("no-source-lines") {
                options.source_lines = false;
            }
        } else {
            inputs.push(a);
        }
    }
    let many = inputs.len() > 1
        || out
            .as_deref()
            .is_some_and(|o| std::path::Path::new(o).is_dir());
    let mut failed = false;
    for (i, input) in inputs.iter().enumerate() {
        let source = match std::fs::read(input) {
            Ok(s) => s,
            Err(e) if many => {
                println!("error read: {e}");
                continue;
            }
            Err(e) => {
                eprintln!("{input}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut opts = options.clone();
        opts.source_name = source_name.clone().unwrap_or_else(|| input.clone());
        opts.input_path = Some(input.clone());
        let path = match (&out, many) {
            (Some(o), false) => o.clone(),
            (Some(dir), true) => format!("{dir}/{i}.mpy"),
            (None, _) => format!("{}.mpy", input.trim_end_matches(".py")),
        };
        match compile_source(&source, &opts) {
            Ok(bytes) => {
                if let Err(e) = std::fs::write(&path, bytes) {
                    eprintln!("{path}: {e}");
                    return ExitCode::FAILURE;
                }
                if many {
                    println!("ok");
                }
            }
            Err(e) => {
                failed = true;
                if many {
                    println!("error {}", e);
                    if let Some(dir) = &out {
                        let _ = std::fs::write(format!("{dir}/{i}.err"), e.render());
                    }
                } else {
                    eprint!("{}", e.render());
                }
            }
        }
    }
    if failed && !many {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
