//! `upyc freeze` (compile and freeze modules into an object, raw image or Rust source) and
//! `upyc inspect` (find an image in an object or firmware and list what it holds).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use upyc_freeze::{inspect, object, Format, FreezeOptions, Image, Target};

/// `upyc freeze` arguments.
#[derive(clap::Args)]
pub struct FreezeArgs {
    /// Rust target triple of the firmware (for `--format obj`).
    #[arg(long)]
    target: Option<String>,
    /// Output file.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Symbol naming the image (its version symbol is SYMBOL_version).
    #[arg(long, default_value = "upyc_frozen")]
    symbol: String,
    /// obj (ELF relocatable object), bin (raw image) or rust (a .rs with a static).
    #[arg(long, default_value = "obj")]
    format: String,
    /// Optimisation level for .py inputs, as `upyc compile -O<N>`.
    #[arg(short = 'O', default_value_t = 0)]
    opt: u8,
    /// `-msmall-int-bits=N` for .py inputs, as `upyc compile`.
    #[arg(short = 'm', value_name = "small-int-bits=N")]
    machine: Option<String>,
    /// .py files, directories (every .py below; module names from relative paths), .mpy files.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("upyc: {msg}");
    ExitCode::FAILURE
}

/// Write `data` to `path` through a temporary file in the same directory.
fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(data)?;
    // An ordinary file's permissions (the temporary file is created private).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `upyc freeze`.
pub fn freeze(a: &FreezeArgs) -> ExitCode {
    let Some(format) = Format::from_name(&a.format) else {
        return fail(format_args!(
            "unknown format '{}' (obj, bin, rust)",
            a.format
        ));
    };
    let target = match (&a.target, format) {
        (Some(t), _) => match Target::from_triple(t) {
            Ok(t) => t,
            Err(e) => return fail(e),
        },
        (None, Format::Object) => return fail("--target TRIPLE is needed for an object"),
        (None, _) => Target::X86_64,
    };
    let mut opts = FreezeOptions {
        opt_level: a.opt,
        ..FreezeOptions::default()
    };
    if let Some(m) = &a.machine {
        match m
            .strip_prefix("small-int-bits=")
            .and_then(|n| n.parse::<u8>().ok())
        {
            Some(n) if (1..=63).contains(&n) => opts.small_int_bits = n,
            _ => {
                return fail(format_args!(
                    "bad option -m{m} (expected -msmall-int-bits=N)"
                ))
            }
        }
    }
    let modules = match upyc_freeze::input::collect(&a.inputs, &opts) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let image = match Image::from_modules(&modules) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let out = match object::write(&image, target, &a.symbol, format) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if let Err(e) = write_atomic(&a.output, &out) {
        return fail(format_args!("{}: {e}", a.output.display()));
    }
    ExitCode::SUCCESS
}

/// `upyc inspect` arguments.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// An object from `upyc freeze`, a linked firmware ELF, or a raw image.
    file: PathBuf,
    /// The image's symbol.
    #[arg(long, default_value = "upyc_frozen")]
    symbol: String,
}

macro_rules! out {
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = write!($o, $($t)*);
    }};
}

macro_rules! outln {
    ($o:expr) => {
        $o.push('\n')
    };
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

/// `upyc inspect`.
pub fn inspect_cmd(a: &InspectArgs) -> ExitCode {
    let file = match std::fs::read(&a.file) {
        Ok(f) => f,
        Err(e) => return fail(format_args!("{}: {e}", a.file.display())),
    };
    let found = match inspect::locate(&file, &a.symbol) {
        Ok(f) => f,
        Err(e) => return fail(format_args!("{}: {e}", a.file.display())),
    };
    let image = inspect::image_in(&file, &found);
    let s = match Image::summary(image) {
        Ok(s) => s,
        Err(e) => return fail(format_args!("{}: {e}", a.file.display())),
    };
    let mut o = String::new();
    let kind = match found.elf_type {
        0 => "raw image",
        1 => "ELF relocatable",
        2 => "ELF executable",
        _ => "ELF",
    };
    outln!(
        o,
        "{}: {kind}, {}",
        a.file.display(),
        inspect::machine_name(found.machine)
    );
    out!(
        o,
        "image: {} bytes at file offset {:#x}",
        s.len,
        found.file_offset
    );
    if !found.section.is_empty() {
        out!(o, " in {}", found.section);
    }
    match &found.symbol {
        Some(sym) => outln!(o, " (symbol {sym})"),
        None => outln!(o),
    }
    outln!(
        o,
        "format: version {} (this upyc reads version {})",
        s.version,
        upyc_runtime::frozen::VERSION
    );
    outln!(
        o,
        "qstrs: {} in the shared pool ({} bytes with lengths and block table); header {} bytes",
        s.qstr_count,
        s.pool_bytes,
        s.header_bytes
    );
    let mpy: usize = s.modules.iter().map(|m| m.mpy_len).sum();
    outln!(
        o,
        "modules: {} (.mpy total {} bytes; image/.mpy = {:.3})",
        s.modules.len(),
        mpy,
        if mpy == 0 {
            0.0
        } else {
            s.len as f64 / mpy as f64
        }
    );
    let w = s
        .modules
        .iter()
        .map(|m| m.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    outln!(
        o,
        "  {:w$}  {:>8}  {:>8}  {:>9}",
        "module",
        ".mpy",
        "flash",
        "raw codes"
    );
    for m in &s.modules {
        let name = if m.is_package {
            format!("{} (pkg)", m.name)
        } else {
            m.name.clone()
        };
        outln!(
            o,
            "  {:w$}  {:>8}  {:>8}  {:>9}",
            name,
            m.mpy_len,
            m.flash,
            m.raw_codes,
            w = w
        );
    }
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(o.as_bytes());
    ExitCode::SUCCESS
}
