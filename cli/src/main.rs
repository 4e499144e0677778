//! The `upyc` binary: the only place with process exit codes and terminal output.
//!
//! Invoked through a link named `mpy-cross`, it behaves as mpy-cross: the same argv, without
//! a subcommand, so `MICROPY_MPYCROSS=.../mpy-cross` works in MicroPython's own tools.

mod build;
mod compile;
mod freeze;
mod mpycross;
mod new;
mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "upyc",
    version,
    about = "A Rust toolchain for MicroPython",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile a .py file to .mpy v6.3, byte-identical to mpy-cross 1.29 (same arguments).
    #[command(disable_help_flag = true, disable_version_flag = true)]
    Compile {
        /// mpy-cross's arguments: [-o OUT] [-s NAME] [-O[N]] [-msmall-int-bits=N]
        /// [-march=ARCH] [-X OPT] [--diagnostics=rich] [--] INPUT
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Run a .py or .mpy file on the upyc runtime (as MicroPython's unix `micropython`).
    #[command(disable_help_flag = true)]
    Run {
        /// [-X emit=bytecode] [--heap SIZE] [--stats] [-c CMD | -m MODULE | FILE] [ARGS...]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
    /// Build a project: every .py under DIR (or as upyc.toml says) to build/, incrementally.
    Build(build::BuildArgs),
    /// Create a new project directory with a upyc.toml and a main.py.
    New {
        /// The directory to create (its name is the project's name).
        name: PathBuf,
    },
    /// Compile and freeze modules into an ELF object (or raw image, or Rust source) whose
    /// code the runtime runs in place from flash.
    Freeze(freeze::FreezeArgs),
    /// Find the frozen image in an object or firmware ELF and list its modules and sizes.
    Inspect(freeze::InspectArgs),
    /// Print the contents of a .mpy file as `mpy-tool.py -d` does.
    Disasm {
        /// The .mpy file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let prog = argv.first().cloned().unwrap_or_else(|| "upyc".into());
    let invoked_as = Path::new(&prog)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if invoked_as == "mpy-cross" {
        return compile::run_mpy_cross(&prog, &argv[1..], false);
    }
    // `upyc compile ARGS` skips clap: its arguments are mpy-cross's, parsed by `mpycross`, and
    // building clap's command tree is a measurable part of compiling a small file (see
    // docs/PERFORMANCE.md). Passing them on untouched also keeps a `--` for mpy-cross's parser.
    if argv.get(1).map(String::as_str) == Some("compile") {
        return compile_command(&argv[2..]);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Compile { args } => compile_command(&args),
        Command::Disasm { file } => disasm(&file),
        Command::Run { args } => run::run(&args),
        Command::Build(args) => build::run(&args),
        Command::New { name } => new::run(&name),
        Command::Freeze(a) => freeze::freeze(&a),
        Command::Inspect(a) => freeze::inspect_cmd(&a),
    }
}

/// `upyc compile ARGS`.
fn compile_command(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", mpycross::usage("upyc compile"));
        return ExitCode::SUCCESS;
    }
    compile::run_mpy_cross("upyc compile", args, true)
}

fn disasm(file: &Path) -> ExitCode {
    let data = match std::fs::read(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("upyc disasm: can't read {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let mut text = String::new();
    match upyc_bytecode::disasm::disassemble_file(&file.to_string_lossy(), &data, &mut text) {
        Ok(()) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            print!("{text}");
            eprintln!("upyc disasm: {}: {e}", file.display());
            ExitCode::FAILURE
        }
    }
}
