//! mpy-cross's command line (`mpy-cross/main.c`), parsed exactly as mpy-cross parses it, so
//! that `upyc compile ARGS` and a `mpy-cross` link to `upyc` accept the same argv.
//!
//! Differences from mpy-cross: `-X emit=native|viper` and `-march` targets are accepted but
//! compiling native code is reported as not supported yet; `--diagnostics=rich` is ours.

use std::fmt;

/// The code emitter selected with `-X emit=...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitOpt {
    Bytecode,
    Native,
    Viper,
}

/// How compile errors are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diagnostics {
    /// mpy-cross's traceback text, byte for byte.
    Plain,
    /// Every error with a source snippet and a caret.
    Rich,
}

/// What one mpy-cross invocation asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub input: String,
    pub output: Option<String>,
    pub source_name: Option<String>,
    pub opt_level: u8,
    pub small_int_bits: u32,
    pub arch: Option<String>,
    pub arch_flags: Option<String>,
    pub emit: EmitOpt,
    pub source_lines: bool,
    pub heap_size: u64,
    pub verbose: u32,
    pub diagnostics: Diagnostics,
}

/// The outcome of parsing argv.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Compile(Box<Invocation>),
    /// `--version`: print the banner, exit 0.
    Version,
    /// Bad arguments: print the usage text to stdout and exit 1 (as mpy-cross does).
    Usage,
    /// An error mpy-cross reports with a one-line message on stderr and exit code 1.
    Fail(ArgError),
}

/// Argument errors mpy-cross reports by message rather than by usage text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgError {
    MultipleInputs,
    NoInput,
    ArchNotSpecified,
    UnrecognisedArchFlags,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArgError::MultipleInputs => "multiple input files",
            ArgError::NoInput => "no input file",
            ArgError::ArchNotSpecified => "arch not specified",
            ArgError::UnrecognisedArchFlags => "unrecognised arch flags",
        })
    }
}

/// The architectures `-march=` accepts.
pub const ARCHES: &[&str] = &[
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
    "host",
    "debug",
];

/// Default GC heap size of mpy-cross (accepted and reported, not needed by upyc).
pub const DEFAULT_HEAP_SIZE: u64 = 2 * 1024 * 1024;

/// mpy-cross's usage text; `prog` is argv[0].
pub fn usage(prog: &str) -> String {
    format!(
        "usage: {prog} [<opts>] [-X <implopt>] [--] <input filename>\n\
Options:\n\
--version : show version information\n\
-o : output file for compiled bytecode (defaults to input filename with .mpy extension, or stdout if input is stdin)\n\
-s : source filename to embed in the compiled bytecode (defaults to input file)\n\
-v : verbose (trace various operations); can be multiple\n\
-O[N] : apply bytecode optimizations of level N\n\
\n\
Target specific options:\n\
-msmall-int-bits=number : set the maximum bits used to encode a small-int\n\
-march=<arch> : set architecture for native emitter;\n\
\x20               x86, x64, armv6, armv6m, armv7m, armv7em, armv7emsp,\n\
\x20               armv7emdp, xtensa, xtensawin, rv32imc, rv64imc, host, debug\n\
-march-flags=<flags> : set architecture-specific flags (can be either a dec/hex/bin value or a comma-separated flags string)\n\
\x20                      supported flags for rv32imc: zba, zcmp\n\
\n\
Implementation specific options:\n\
\x20 emit={{bytecode,native,viper}} -- set the default code emitter\n\
\x20 heapsize=<n> -- set the heap size for the GC (default {DEFAULT_HEAP_SIZE})\n\
\x20 source-lines    -- include source line numbers (default)\n\
\x20 no-source-lines -- exclude source line numbers\n\
\n\
upyc extensions:\n\
--diagnostics=rich : show every error with a source snippet and a caret\n"
    )
}

/// C's `strtol(s, &end, 0)` prefix parse: returns the value and the unparsed rest.
fn strtol0(s: &str) -> (i64, &str) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let (radix, start) = if b.len() > i + 1 && b[i] == b'0' && (b[i + 1] | 0x20) == b'x' {
        // "0x" without hex digits parses as "0" followed by "x..."
        if b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) {
            (16, i + 2)
        } else {
            (10, i)
        }
    } else if i < b.len() && b[i] == b'0' {
        (8, i)
    } else {
        (10, i)
    };
    let mut j = start;
    let mut v: i64 = 0;
    while j < b.len() {
        let d = match (b[j] as char).to_digit(radix) {
            Some(d) => d as i64,
            None => break,
        };
        v = v.saturating_mul(radix as i64).saturating_add(d);
        j += 1;
    }
    if j == start {
        // no digits at all: nothing consumed
        return (0, s);
    }
    (if neg { -v } else { v }, &s[j..])
}

fn parse_heapsize(s: &str) -> u64 {
    let (n, mut rest) = strtol0(s);
    let mut n = n.max(0) as u64;
    let word_adjust = rest.as_bytes().first().is_some_and(|c| c | 0x20 == b'w');
    if word_adjust {
        rest = &rest[1..];
    }
    match rest.as_bytes().first().map(|c| c | 0x20) {
        Some(b'k') => n = n.saturating_mul(1024),
        Some(b'm') => n = n.saturating_mul(1024 * 1024),
        _ => {}
    }
    if word_adjust {
        n = n.saturating_mul(8) / 4;
    }
    n
}

fn parse_arch_flags(flags: &str) -> bool {
    // rv32imc only: a dec/hex/bin number of known bits, or a comma-separated list.
    let number = if let Some(h) = flags
        .strip_prefix("0x")
        .or_else(|| flags.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(b) = flags
        .strip_prefix("0b")
        .or_else(|| flags.strip_prefix("0B"))
    {
        u64::from_str_radix(b, 2).ok()
    } else {
        flags.parse::<u64>().ok()
    };
    if let Some(n) = number {
        return n & !0b11 == 0;
    }
    flags.split(',').all(|f| f == "zba" || f == "zcmp")
}

/// Parses mpy-cross's argv (without argv[0]).
pub fn parse<S: AsRef<str>>(args: &[S]) -> Parsed {
    let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
    let mut inv = Invocation {
        input: String::new(),
        output: None,
        source_name: None,
        opt_level: 0,
        small_int_bits: 31,
        arch: None,
        arch_flags: None,
        emit: EmitOpt::Bytecode,
        source_lines: true,
        heap_size: DEFAULT_HEAP_SIZE,
        verbose: 0,
        diagnostics: Diagnostics::Plain,
    };
    // First pass, as mpy-cross's pre_process_options: the -X options, wherever they are.
    let mut a = 0;
    while a < args.len() {
        if args[a] == "-X" {
            let Some(opt) = args.get(a + 1) else {
                return Parsed::Usage;
            };
            match *opt {
                "emit=bytecode" => inv.emit = EmitOpt::Bytecode,
                "emit=native" => inv.emit = EmitOpt::Native,
                "emit=viper" => inv.emit = EmitOpt::Viper,
                "source-lines" => inv.source_lines = true,
                "no-source-lines" => inv.source_lines = false,
                o if o.starts_with("heapsize=") => inv.heap_size = parse_heapsize(&o[9..]),
                _ => return Parsed::Usage,
            }
            a += 1;
        }
        a += 1;
    }
    // Second pass: everything else.
    let mut input: Option<&str> = None;
    let mut options_active = true;
    let mut a = 0;
    while a < args.len() {
        let arg = args[a];
        if options_active && arg.starts_with('-') && arg.len() > 1 {
            if arg == "-X" {
                a += 1;
            } else if arg == "--version" {
                return Parsed::Version;
            } else if arg == "-v" {
                inv.verbose += 1;
            } else if let Some(rest) = arg.strip_prefix("-O") {
                let b = rest.as_bytes();
                if b.first().is_some_and(|c| c.is_ascii_digit()) {
                    inv.opt_level = b[0] & 0xf;
                } else {
                    // -O, -OO, -OOO...: one level per 'O' (stopping at anything else)
                    inv.opt_level = 1 + b.iter().take_while(|&&c| c == b'O').count() as u8;
                }
            } else if arg == "-o" {
                a += 1;
                match args.get(a) {
                    Some(o) => inv.output = Some((*o).to_string()),
                    None => return Parsed::Usage,
                }
            } else if arg == "-s" {
                a += 1;
                match args.get(a) {
                    Some(s) => inv.source_name = Some(s.replace('\\', "/")),
                    None => return Parsed::Usage,
                }
            } else if let Some(n) = arg.strip_prefix("-msmall-int-bits=") {
                let (v, rest) = strtol0(n);
                if !rest.is_empty() || n.is_empty() {
                    return Parsed::Usage;
                }
                inv.small_int_bits = v.clamp(0, u32::MAX as i64) as u32;
            } else if let Some(arch) = arg.strip_prefix("-march=") {
                if !ARCHES.contains(&arch) {
                    return Parsed::Usage;
                }
                inv.arch = Some(arch.to_string());
            } else if let Some(flags) = arg.strip_prefix("-march-flags=") {
                inv.arch_flags = Some(flags.to_string());
            } else if arg == "--diagnostics=rich" {
                inv.diagnostics = Diagnostics::Rich;
            } else if arg == "--diagnostics=plain" {
                inv.diagnostics = Diagnostics::Plain;
            } else if arg == "--" {
                options_active = false;
            } else {
                return Parsed::Usage;
            }
        } else {
            if input.is_some() {
                return Parsed::Fail(ArgError::MultipleInputs);
            }
            input = Some(arg);
        }
        a += 1;
    }
    if let Some(flags) = &inv.arch_flags {
        if inv.arch.is_some()
            && !(inv.arch.as_deref() == Some("rv32imc") && parse_arch_flags(flags))
        {
            return Parsed::Fail(ArgError::UnrecognisedArchFlags);
        }
    }
    if inv.emit != EmitOpt::Bytecode && inv.arch.is_none() {
        return Parsed::Fail(ArgError::ArchNotSpecified);
    }
    match input {
        Some(i) => {
            inv.input = i.replace('\\', "/");
            Parsed::Compile(Box::new(inv))
        }
        None => Parsed::Fail(ArgError::NoInput),
    }
}

/// The output path mpy-cross derives when `-o` is absent: the input with its last two bytes
/// replaced by "mpy" (so `x.py` becomes `x.mpy`).
pub fn default_output(input: &str) -> String {
    let mut cut = input.len().saturating_sub(2);
    while !input.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}mpy", &input[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(args: &[&str]) -> Invocation {
        match parse(args) {
            Parsed::Compile(i) => *i,
            other => panic!("expected a compile invocation, got {other:?}"),
        }
    }

    #[test]
    fn optimisation_levels() {
        assert_eq!(inv(&["x.py"]).opt_level, 0);
        assert_eq!(inv(&["-O", "x.py"]).opt_level, 1);
        assert_eq!(inv(&["-OO", "x.py"]).opt_level, 2);
        assert_eq!(inv(&["-OOO", "x.py"]).opt_level, 3);
        assert_eq!(inv(&["-O3", "x.py"]).opt_level, 3);
        assert_eq!(inv(&["-O0", "x.py"]).opt_level, 0);
        assert_eq!(inv(&["-Ox", "x.py"]).opt_level, 1);
    }

    #[test]
    fn small_int_bits_like_strtol() {
        assert_eq!(inv(&["-msmall-int-bits=63", "x.py"]).small_int_bits, 63);
        assert_eq!(inv(&["-msmall-int-bits=0x1f", "x.py"]).small_int_bits, 31);
        assert_eq!(parse(&["-msmall-int-bits=31x", "x.py"]), Parsed::Usage);
    }

    #[test]
    fn errors_and_usage() {
        assert_eq!(
            parse(&["a.py", "b.py"]),
            Parsed::Fail(ArgError::MultipleInputs)
        );
        assert_eq!(parse::<&str>(&[]), Parsed::Fail(ArgError::NoInput));
        assert_eq!(parse(&["-q", "x.py"]), Parsed::Usage);
        assert_eq!(
            parse(&["-X", "emit=native", "x.py"]),
            Parsed::Fail(ArgError::ArchNotSpecified)
        );
        assert_eq!(parse(&["-X", "bogus", "x.py"]), Parsed::Usage);
        assert_eq!(parse(&["-o"]), Parsed::Usage);
        assert_eq!(parse(&["--version", "-q"]), Parsed::Version);
        assert_eq!(parse(&["-march=z80", "x.py"]), Parsed::Usage);
        assert_eq!(
            parse(&["-march=x64", "-march-flags=zba", "x.py"]),
            Parsed::Fail(ArgError::UnrecognisedArchFlags)
        );
        assert!(matches!(
            parse(&["-march=rv32imc", "-march-flags=zba,zcmp", "x.py"]),
            Parsed::Compile(_)
        ));
    }

    #[test]
    fn double_dash_and_names() {
        let i = inv(&["-s", "a\\b.py", "--", "-weird.py"]);
        assert_eq!(i.input, "-weird.py");
        assert_eq!(i.source_name.as_deref(), Some("a/b.py"));
        assert_eq!(inv(&["-"]).input, "-");
        assert_eq!(default_output("dir/x.py"), "dir/x.mpy");
        assert_eq!(default_output("x"), "mpy");
    }

    #[test]
    fn heapsize_suffixes() {
        assert_eq!(inv(&["-X", "heapsize=4k", "x.py"]).heap_size, 4096);
        assert_eq!(inv(&["-X", "heapsize=2M", "x.py"]).heap_size, 2 << 20);
        assert_eq!(inv(&["-X", "heapsize=1wk", "x.py"]).heap_size, 2048);
    }
}
