//! `upyc run`: run a `.py` (compiled in-process) or `.mpy` file on the upyc runtime, as
//! MicroPython's unix `micropython` command does.
//!
//! `upyc run [-X emit=bytecode] [--heap SIZE] [--stats] [--board sim [--virtual-time]]
//!           [--frozen IMAGE] [-c CMD | -m MODULE | FILE] [ARGS]`
//!
//! `--board sim` gives the program a simulated board ([`SimBoard`]): `board` (D0..D13, LED),
//! `digitalio`/`nativeio` and `machine.Pin` can be imported, and every change of an output
//! pin is printed on stderr with its time (`D13 -> 1 @ 500 ms`). `--virtual-time` makes
//! `time.sleep` advance a virtual clock instead of waiting.
//!
//! `sys.path` is `['<script dir>' or '', MICROPYPATH entries...]`, `sys.argv` is the file
//! and its arguments. Imports go through [`StdHost`]: `X.mpy`, else `X.py` compiled by
//! upyc-compiler, else a package directory. An uncaught exception prints MicroPython's
//! traceback on stderr and exits 1 (`SystemExit` exits with its code); a compile error of
//! the main file prints mpy-cross's SyntaxError text and exits 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use upyc_compiler::{compile_source, CompileOptions};
use upyc_runtime::hal::{Hal, PinMode, PinStates};
use upyc_runtime::vm::Out;
use upyc_runtime::{Config, Host, ModuleFile, Vm};

/// Library modules written in Python (`runtime/pylib`), served from `.frozen` on
/// `sys.path` as MicroPython serves its frozen modules.
const PYLIB: &[(&str, &str)] = &[
    ("array", include_str!("../../runtime/pylib/array.py")),
    (
        "collections",
        include_str!("../../runtime/pylib/collections.py"),
    ),
    ("io", include_str!("../../runtime/pylib/io.py")),
    ("json", include_str!("../../runtime/pylib/json.py")),
];

/// Default heap size (bytes).
pub const DEFAULT_HEAP: usize = 2 * 1024 * 1024;

/// The std implementation of the runtime's host interface.
pub struct StdHost {
    out: std::io::BufWriter<std::io::Stdout>,
    start: Instant,
    found: Vec<u8>,
    /// The simulated board, with `--board sim`.
    board: Option<SimBoard>,
    /// The virtual clock (microseconds), with `--virtual-time`.
    virtual_us: Option<u64>,
}

/// The pins of the simulated board: D0..D13, and LED on D13.
const SIM_PINS: &[(&str, u8)] = upyc_runtime::hal::ARDUINO_PINS;

/// A simulated board: the state of its 14 pins.
pub type SimBoard = PinStates<14>;

impl StdHost {
    /// A host writing to this process's stdout/stderr.
    pub fn new() -> StdHost {
        StdHost {
            out: std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()),
            start: Instant::now(),
            found: Vec::new(),
            board: None,
            virtual_us: None,
        }
    }

    /// The time now on the host's clock (virtual or real), in microseconds.
    fn now_us(&self) -> u64 {
        match self.virtual_us {
            Some(t) => t,
            None => self.start.elapsed().as_micros() as u64,
        }
    }

    /// Report a level change of pin `pin` on stderr, with the time.
    fn report(&mut self, pin: u8, high: Option<bool>) {
        let Some(high) = high else {
            return;
        };
        let now_ms = self.now_us() / 1000;
        let name = upyc_runtime::hal::pin_name(self, pin).unwrap_or("?");
        let line = format!("{name} -> {} @ {now_ms} ms\n", u8::from(high));
        self.write_stderr(line.as_bytes());
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Compile `src` as `source_name`, keeping the `.mpy` bytes (or the error text) for
    /// [`Host::read_module`].
    fn compile_as(&mut self, src: &[u8], source_name: String) -> ModuleFile {
        let opts = CompileOptions {
            source_name,
            ..CompileOptions::default()
        };
        match compile_source(src, &opts) {
            Ok(b) => {
                self.found = b;
                ModuleFile::Mpy(self.found.len())
            }
            Err(e) => {
                self.found = e.message().into_bytes();
                ModuleFile::CompileError(self.found.len())
            }
        }
    }
}

impl Default for StdHost {
    fn default() -> Self {
        StdHost::new()
    }
}

impl Host for StdHost {
    fn write_stdout(&mut self, b: &[u8]) {
        let _ = self.out.write_all(b);
    }

    fn write_stderr(&mut self, b: &[u8]) {
        let _ = self.out.flush();
        let _ = std::io::stderr().write_all(b);
    }

    fn ticks_us(&mut self) -> u64 {
        self.now_us()
    }

    fn sleep_us(&mut self, us: u64) {
        if let Some(t) = self.virtual_us.as_mut() {
            *t = t.saturating_add(us);
            return;
        }
        let _ = self.out.flush();
        std::thread::sleep(std::time::Duration::from_micros(us));
    }

    fn hal(&mut self) -> Option<&mut dyn Hal> {
        if self.board.is_some() {
            Some(self)
        } else {
            None
        }
    }

    fn find_module(&mut self, path: &str) -> ModuleFile {
        if let Some(name) = path.strip_prefix(".frozen/") {
            let Some((_, src)) = PYLIB.iter().find(|(n, _)| *n == name) else {
                return ModuleFile::NotFound;
            };
            return self.compile_as(src.as_bytes(), format!("{name}.py"));
        }
        let mpy = format!("{path}.mpy");
        if let Ok(b) = std::fs::read(&mpy) {
            self.found = b;
            return ModuleFile::Mpy(self.found.len());
        }
        let py = format!("{path}.py");
        if let Ok(src) = std::fs::read(&py) {
            return self.compile_as(&src, py);
        }
        if Path::new(path).is_dir() {
            return ModuleFile::Package;
        }
        ModuleFile::NotFound
    }

    fn compile(&mut self, src: &[u8]) -> ModuleFile {
        self.compile_as(src, "<string>".into())
    }

    fn read_module(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.found.len());
        buf[..n].copy_from_slice(&self.found[..n]);
        n
    }
}

impl Hal for StdHost {
    fn pins(&self) -> &'static [(&'static str, u8)] {
        SIM_PINS
    }

    fn pin_mode(&mut self, pin: u8, mode: PinMode) {
        let change = self.board.as_mut().and_then(|b| b.set_mode(pin, mode));
        self.report(pin, change);
    }

    fn pin_write(&mut self, pin: u8, high: bool) {
        let change = self.board.as_mut().and_then(|b| b.write(pin, high));
        self.report(pin, change);
    }

    fn pin_read(&mut self, pin: u8) -> bool {
        self.board.as_ref().is_some_and(|b| b.read(pin))
    }
}

/// Parsed `upyc run` arguments.
struct RunArgs {
    heap: usize,
    stats: bool,
    board: bool,
    virtual_time: bool,
    /// `--frozen IMAGE`: a frozen image (raw or in an ELF file) whose modules import first.
    frozen: Option<PathBuf>,
    what: What,
    argv: Vec<String>,
}

enum What {
    File(PathBuf),
    Cmd(String),
    Module(String),
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: upyc run [-X emit=bytecode] [--heap SIZE] [--stats] [--board sim [--virtual-time]] [--frozen IMAGE] [-c CMD | -m MODULE | FILE] [ARGS...]"
    );
    ExitCode::from(2)
}

/// Parse a size like `2M`, `16k`, `4096`.
pub fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1024),
        'm' | 'M' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<usize>().ok()?.checked_mul(mul)
}

fn parse_args(args: &[String]) -> Result<RunArgs, ExitCode> {
    let mut heap = DEFAULT_HEAP;
    let mut stats = false;
    let mut board = false;
    let mut virtual_time = false;
    let mut frozen = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-X" => {
                i += 2;
                continue;
            }
            "--heap" => {
                heap = args
                    .get(i + 1)
                    .and_then(|s| parse_size(s))
                    .ok_or_else(usage)?;
                i += 2;
                continue;
            }
            "--stats" => {
                stats = true;
                i += 1;
                continue;
            }
            "--board" => {
                match args.get(i + 1).map(String::as_str) {
                    Some("sim") => board = true,
                    Some(other) => {
                        eprintln!("upyc run: unknown board '{other}' (known: sim)");
                        return Err(ExitCode::from(2));
                    }
                    None => return Err(usage()),
                }
                i += 2;
                continue;
            }
            "--virtual-time" => {
                virtual_time = true;
                i += 1;
                continue;
            }
            "--frozen" => {
                frozen = Some(args.get(i + 1).map(PathBuf::from).ok_or_else(usage)?);
                i += 2;
                continue;
            }
            "-c" => {
                let cmd = args.get(i + 1).cloned().ok_or_else(usage)?;
                let mut argv = vec!["-c".to_string()];
                argv.extend(args[i + 2..].iter().cloned());
                return Ok(RunArgs {
                    heap,
                    stats,
                    board,
                    virtual_time,
                    frozen,
                    what: What::Cmd(cmd),
                    argv,
                });
            }
            "-m" => {
                let m = args.get(i + 1).cloned().ok_or_else(usage)?;
                let argv: Vec<String> = args[i + 1..].to_vec();
                return Ok(RunArgs {
                    heap,
                    stats,
                    board,
                    virtual_time,
                    frozen,
                    what: What::Module(m),
                    argv,
                });
            }
            _ if a.starts_with("--heap=") => {
                heap = parse_size(&a[7..]).ok_or_else(usage)?;
            }
            _ if a.starts_with('-') && a.len() > 1 => return Err(usage()),
            _ => {
                return Ok(RunArgs {
                    heap,
                    stats,
                    board,
                    virtual_time,
                    frozen,
                    what: What::File(PathBuf::from(a)),
                    argv: args[i..].to_vec(),
                })
            }
        }
        i += 1;
    }
    Err(usage())
}

/// Compile Python source to `.mpy` bytes, or mpy-cross's error text.
fn compile(src: &[u8], name: &str) -> Result<Vec<u8>, String> {
    let opts = CompileOptions {
        source_name: name.to_string(),
        ..CompileOptions::default()
    };
    compile_source(src, &opts).map_err(|e| e.render())
}

/// Run `upyc run` with its arguments (after `run`).
pub fn run(args: &[String]) -> ExitCode {
    let ra = match parse_args(args) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // The program's bytes (before the VM exists: compile errors need no heap).
    let (mpy, script_dir) = match &ra.what {
        What::File(p) => {
            let name = p.to_string_lossy().into_owned();
            let data = match std::fs::read(p) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!(
                        "upyc run: can't open file '{}': [Errno {}] {}",
                        name,
                        e.raw_os_error().unwrap_or(2),
                        e
                    );
                    return ExitCode::from(2);
                }
            };
            let mpy = if p.extension().is_some_and(|e| e == "mpy") {
                data
            } else {
                match compile(&data, &name) {
                    Ok(m) => m,
                    Err(text) => {
                        let _ = std::io::stderr().write_all(text.as_bytes());
                        return ExitCode::FAILURE;
                    }
                }
            };
            let dir = std::fs::canonicalize(p)
                .ok()
                .and_then(|c| c.parent().map(|d| d.to_string_lossy().into_owned()))
                .unwrap_or_default();
            (Some(mpy), dir)
        }
        What::Cmd(cmd) => match compile(cmd.as_bytes(), "<stdin>") {
            Ok(m) => (Some(m), String::new()),
            Err(text) => {
                let _ = std::io::stderr().write_all(text.as_bytes());
                return ExitCode::FAILURE;
            }
        },
        What::Module(_) => (None, String::new()),
    };
    let frozen = match &ra.frozen {
        Some(p) => match load_frozen(p) {
            Ok(f) => Some(f),
            Err(msg) => {
                eprintln!("upyc run: {}: {msg}", p.display());
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    let mut heap = vec![0u8; ra.heap];
    let mut host = StdHost::new();
    if ra.board {
        host.board = Some(SimBoard::new());
    }
    if ra.virtual_time {
        host.virtual_us = Some(0);
    }
    let code = {
        let mut vm = match Vm::new(&mut heap, Config::default(), &mut host) {
            Ok(vm) => vm,
            Err(_) => {
                eprintln!("upyc run: heap too small");
                return ExitCode::FAILURE;
            }
        };
        if let Some(f) = frozen {
            if let Err(e) = vm.set_frozen(f) {
                eprintln!("upyc run: {e}");
                return ExitCode::FAILURE;
            }
        }
        let code = run_in_vm(&mut vm, &ra, mpy.as_deref(), &script_dir);
        if ra.stats {
            let s = vm.heap_stats();
            eprintln!(
                "heap: {} bytes, peak use {} bytes, {} collections",
                s.total, s.peak, s.collections
            );
        }
        code
    };
    host.flush();
    ExitCode::from(code as u8)
}

fn run_in_vm(vm: &mut Vm, ra: &RunArgs, mpy: Option<&[u8]>, script_dir: &str) -> i32 {
    let setup = (|| {
        vm.sys_path_push(script_dir)?;
        if let Ok(p) = std::env::var("MICROPYPATH") {
            for entry in p.split(':').filter(|e| !e.is_empty()) {
                vm.sys_path_push(entry)?;
            }
        }
        vm.sys_path_push(".frozen")?;
        for a in &ra.argv {
            vm.sys_argv_push(a)?;
        }
        Ok(())
    })();
    let result = setup.and_then(|_| match (&ra.what, mpy) {
        (What::Module(m), _) => run_module(vm, m),
        (_, Some(code)) => vm.exec_mpy("__main__", code).map(|_| ()),
        _ => Ok(()),
    });
    match result {
        Ok(()) => 0,
        Err(_) => {
            let exc = vm.take_exception();
            if let Some(code) = vm.system_exit_status(exc) {
                return code;
            }
            if vm.print_exception(Out::Stderr, exc).is_err() {
                eprintln!("upyc run: error while printing an exception");
            }
            1
        }
    }
}

/// Read a frozen image (a raw image, or an ELF object or firmware holding one) for the
/// life of the process.
fn load_frozen(p: &std::path::Path) -> Result<upyc_runtime::Frozen<'static>, String> {
    let file = std::fs::read(p).map_err(|e| e.to_string())?;
    let found = upyc_freeze::inspect::locate(&file, "upyc_frozen").map_err(|e| e.to_string())?;
    let image: &'static [u8] = Box::leak(
        upyc_freeze::inspect::image_in(&file, &found)
            .to_vec()
            .into_boxed_slice(),
    );
    upyc_runtime::Frozen::from_static(image).map_err(|e| e.to_string())
}

/// `-m MODULE`: a frozen module, or find the module along sys.path; run it as `__main__`.
fn run_module(vm: &mut Vm, name: &str) -> upyc_runtime::PyResult<()> {
    if vm
        .frozen()
        .is_some_and(|f| f.find_module(name.as_bytes()).is_some())
    {
        return vm.exec_frozen_as(name, "__main__").map(|_| ());
    }
    let rel = name.replace('.', "/");
    let mut host = StdHost::new();
    let mut dirs = vec![String::new()];
    if let Ok(p) = std::env::var("MICROPYPATH") {
        dirs.extend(p.split(':').filter(|e| !e.is_empty()).map(String::from));
    }
    for d in dirs {
        let base = if d.is_empty() {
            rel.clone()
        } else {
            format!("{d}/{rel}")
        };
        for candidate in [base.clone(), format!("{base}/__main__")] {
            if let ModuleFile::Mpy(n) = host.find_module(&candidate) {
                let mut buf = vec![0u8; n];
                host.read_module(&mut buf);
                return vm.exec_mpy("__main__", &buf).map(|_| ());
            }
        }
    }
    // Not found: let the import machinery raise ImportError.
    let code = format!("import {name}");
    match compile(code.as_bytes(), "<stdin>") {
        Ok(m) => vm.exec_mpy("__main__", &m).map(|_| ()),
        Err(_) => Ok(()),
    }
}
