//! `upyc compile` / `mpy-cross`: read the input, compile, write the output atomically, and
//! report errors exactly as mpy-cross does (or with snippets under `--diagnostics=rich`).

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use crate::mpycross::{self, Diagnostics, EmitOpt, Invocation, Parsed};

/// Banner printed by `--version`, as mpy-cross prints its own.
pub const VERSION_BANNER: &str = concat!(
    "upyc ",
    env!("CARGO_PKG_VERSION"),
    "; mpy-cross 1.29 compatible, emitting mpy v6.3"
);

/// Runs one mpy-cross style invocation. `ours` selects upyc's own spelling of a few messages
/// (the banner); the compile output and error texts are mpy-cross's either way.
pub fn run_mpy_cross(prog: &str, args: &[String], _ours: bool) -> ExitCode {
    let inv = match mpycross::parse(args) {
        Parsed::Compile(inv) => inv,
        Parsed::Version => {
            println!("{VERSION_BANNER}");
            return ExitCode::SUCCESS;
        }
        Parsed::Usage => {
            print!("{}", mpycross::usage(prog));
            return ExitCode::FAILURE;
        }
        Parsed::Fail(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match compile_and_save(&inv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(text) => {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            ExitCode::FAILURE
        }
    }
}

/// The errno behind an I/O error, looking through wrappers (tempfile adds the path).
fn os_error(e: &std::io::Error) -> i32 {
    if let Some(n) = e.raw_os_error() {
        return n;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(n) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.raw_os_error())
        {
            return n;
        }
        source = s.source();
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => 2,          // ENOENT
        std::io::ErrorKind::PermissionDenied => 13, // EACCES
        std::io::ErrorKind::IsADirectory => 21,     // EISDIR
        std::io::ErrorKind::NotADirectory => 20,    // ENOTDIR
        _ => 5,                                     // EIO
    }
}

/// Compiles and writes; on failure returns the text for stderr.
fn compile_and_save(inv: &Invocation) -> Result<(), String> {
    let (lexer_name, source) = if inv.input == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("OSError: {}\n", os_error(&e)))?;
        ("<stdin>".to_string(), buf)
    } else {
        let mut f = std::fs::File::open(&inv.input).map_err(|e| {
            format!(
                "OSError: ({}, \"can't open {}\")\n",
                os_error(&e),
                inv.input
            )
        })?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)
            .map_err(|e| format!("OSError: {}\n", os_error(&e)))?;
        (inv.input.clone(), buf)
    };
    let options = upyc_compiler::CompileOptions {
        source_name: inv
            .source_name
            .clone()
            .unwrap_or_else(|| lexer_name.clone()),
        input_path: Some(lexer_name.clone()),
        opt_level: inv.opt_level,
        // mpy-cross keeps the value in a byte
        small_int_bits: inv.small_int_bits as u8,
        emit: match inv.emit {
            EmitOpt::Bytecode => upyc_compiler::Emit::Bytecode,
            EmitOpt::Native => upyc_compiler::Emit::Native,
            EmitOpt::Viper => upyc_compiler::Emit::Viper,
        },
        arch: inv.arch.as_deref().and_then(arch_from_name),
        source_lines: inv.source_lines,
    };
    // The process ends right after writing: the compiler need not free its tree.
    let mpy = match upyc_compiler::compile_source_before_exit(&source, &options) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Err(match inv.diagnostics {
                Diagnostics::Plain => e.render(),
                Diagnostics::Rich => upyc_build::diagnostics::render_rich(
                    &e,
                    &lexer_name,
                    &source,
                    std::io::stderr().is_terminal(),
                ),
            })
        }
    };
    let to_stdout =
        inv.output.as_deref() == Some("-") || (inv.output.is_none() && inv.input == "-");
    if to_stdout {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(&mpy)
            .and_then(|_| out.flush())
            .map_err(|e| format!("OSError: {}\n", os_error(&e)));
    }
    let out_path = inv
        .output
        .clone()
        .unwrap_or_else(|| mpycross::default_output(&inv.input));
    write_atomically(Path::new(&out_path), &mpy)
        .map_err(|e| format!("OSError: ({}, \"can't open {}\")\n", os_error(&e), out_path))
}

/// The `-march=` names; `host` is the machine upyc runs on.
fn arch_from_name(name: &str) -> Option<upyc_bytecode::mpy::Arch> {
    use upyc_bytecode::mpy::Arch;
    Some(match name {
        "x86" => Arch::X86,
        "x64" => Arch::X64,
        "armv6" => Arch::Armv6,
        "armv6m" => Arch::Armv6m,
        "armv7m" => Arch::Armv7m,
        "armv7em" => Arch::Armv7em,
        "armv7emsp" => Arch::Armv7emsp,
        "armv7emdp" => Arch::Armv7emdp,
        "xtensa" => Arch::Xtensa,
        "xtensawin" => Arch::Xtensawin,
        "rv32imc" => Arch::Rv32imc,
        "rv64imc" => Arch::Rv64imc,
        "debug" => Arch::Debug,
        "host" if cfg!(target_arch = "x86_64") => Arch::X64,
        "host" if cfg!(target_arch = "x86") => Arch::X86,
        "host" if cfg!(target_arch = "riscv64") => Arch::Rv64imc,
        "host" if cfg!(target_arch = "arm") => Arch::Armv6,
        _ => return None,
    })
}

/// Writes `data` to a temporary file beside `path` and renames it over `path`, so an
/// interrupted run never leaves a half-written output.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".upyc-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(data)?;
    // A temporary file is created private (0600); give the output the mode a plain create
    // would (that of the file it replaces, else rw-r--r--).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
