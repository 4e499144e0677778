//! The runtime on a microcontroller: builds the `firmware/` workspace (upyc-runtime for
//! thumbv7m-none-eabi and thumbv6m-none-eabi, no_std, no alloc, with `core` built by
//! Debian's rustc through -Zbuild-std) and runs its programs in QEMU (lm3s6965evb,
//! semihosting). Stdout must equal CPython's output of the same `.py`
//! (`firmware/programs/NAME.out`, written by `scripts/firmware-gen-expected.sh`) and the
//! exit status must be the program's.
//!
//! Needs Debian's rustc-web/cargo-web with rust-web-src, lld (the target of
//! /usr/bin/rust-lld) and qemu-system-arm; a missing tool fails the test with the apt-get
//! line that installs it. The builds use `firmware/target` (never this workspace's
//! target dir: the two cargos must not share one).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The firmware builds share `firmware/target/<triple>/release/<bin>`: one at a time.
static FIRMWARE: Mutex<()> = Mutex::new(());

const APT: &str = "apt-get install -y --no-install-recommends rustc-web cargo-web \
                   rust-web-src rust-web-llvm qemu-system-arm binutils-arm-none-eabi \
                   && apt-get install -y --no-install-recommends \"$(readlink /usr/bin/rust-lld)\"";

fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../firmware")
}

/// Fails, naming what to install, if a tool the firmware build or run needs is missing.
fn require_tools() {
    let mut missing = Vec::new();
    for path in ["/usr/bin/rustc", "/usr/bin/cargo"] {
        if !Path::new(path).exists() {
            missing.push(path.to_string());
        }
    }
    if !Path::new("/usr/lib/rustlib/src/rust/library/core").exists() {
        missing.push("the library source of /usr/bin/rustc (rust-web-src)".to_string());
    }
    // rust-lld is a symlink into an lld package that rustc-web does not pull in.
    if std::fs::metadata("/usr/bin/rust-lld").is_err() {
        missing.push("/usr/bin/rust-lld and its target (lld-NN)".to_string());
    }
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    if !qemu.is_ok_and(|o| o.status.success()) {
        missing.push("qemu-system-arm".to_string());
    }
    assert!(
        missing.is_empty(),
        "firmware test needs: {}.\nInstall (Debian 12, as root): apt-get update && {APT}",
        missing.join(", ")
    );
}

/// `cargo run --release --bin BIN` inside firmware/ (the runner is QEMU).
fn run_firmware(bin: &str, target: &str, extra: &[&str]) -> Output {
    let dir = firmware_dir();
    let mut cmd = Command::new("/usr/bin/cargo");
    cmd.current_dir(&dir)
        .args([
            "run",
            "--quiet",
            "--release",
            "--bin",
            bin,
            "--target",
            target,
        ])
        .args(extra)
        .env("RUSTC", "/usr/bin/rustc")
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", dir.join("target"));
    // What the outer (rustup) cargo sets for its own builds must not leak into this one.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTC",
        "CARGO_MAKEFLAGS",
        "LD_LIBRARY_PATH",
        "RUSTUP_TOOLCHAIN",
        "UPYC_FW_HEAP",
    ] {
        cmd.env_remove(var);
    }
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot start /usr/bin/cargo: {e}\nInstall: {APT}"),
    }
}

fn expected(name: &str) -> String {
    let path = firmware_dir().join("programs").join(format!("{name}.out"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run scripts/firmware-gen-expected.sh)",
            path.display()
        )
    })
}

/// Runs BIN and checks its stdout against NAME.out and its exit status; returns stderr.
fn check(bin: &str, target: &str, features: &[&str], status: i32) -> String {
    check_with_elf(bin, target, features, status).0
}

/// [`check`], also returning the bytes of the ELF that ran (read before another test can
/// rebuild it).
fn check_with_elf(bin: &str, target: &str, features: &[&str], status: i32) -> (String, Vec<u8>) {
    require_tools();
    let _one_at_a_time = FIRMWARE.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_firmware(bin, target, features);
    let elf_path = firmware_dir().join(format!("target/{target}/release/{bin}"));
    let elf = std::fs::read(&elf_path).unwrap_or_else(|e| panic!("{}: {e}", elf_path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        expected(bin),
        "{bin} ({target} {features:?}): stdout differs from CPython's; stderr:\n{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(status),
        "{bin} ({target} {features:?}): exit status; stderr:\n{stderr}"
    );
    // run_program reports heap and stack use on the way out.
    assert!(
        stderr.contains("heap: "),
        "{bin}: no heap report; stderr:\n{stderr}"
    );
    (stderr.into_owned(), elf)
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Two of the runtime's own exception messages: one raised with `Vm::raise`, one part of a
/// `Vm::raise_fmt` (the preallocated recursion error keeps its text in every build).
const RUNTIME_MESSAGES: [&[u8]; 2] = [b"can't perform relative import", b"' object isn't iterable"];

/// Text only the hardware modules print (feature `board`, off in the minimal build).
const BOARD_TEXT: &[u8] = b"<DigitalInOut>";

/// A message only the `.mpy` loader has (feature `mpy-load`, off in the firmware's default:
/// its programs run from frozen images).
const LOADER_TEXT: &[u8] = b"native code in .mpy unsupported";

/// The firmware's default features: `hello` runs its module of the frozen image of
/// `programs/`, and the `.mpy` loader is not linked.
#[test]
fn hello_cortex_m3_default_features() {
    let (_, elf) = check_with_elf("hello", "thumbv7m-none-eabi", &[], 0);
    for m in RUNTIME_MESSAGES {
        assert!(contains(&elf, m), "default features link the error texts");
    }
    assert!(
        contains(&elf, BOARD_TEXT),
        "default features link the hardware modules"
    );
    assert!(
        !contains(&elf, LOADER_TEXT),
        "frozen-only firmware links the .mpy loader"
    );
}

/// With feature `mpy-load`, `hello` loads the `.mpy` build.rs compiled, in place from flash.
#[test]
fn hello_cortex_m3_loads_mpy() {
    let (_, elf) = check_with_elf(
        "hello",
        "thumbv7m-none-eabi",
        &["--features", "mpy-load"],
        0,
    );
    assert!(contains(&elf, LOADER_TEXT), "mpy-load links the loader");
}

/// The minimal build also leaves out the `error-text` and `board` features: their texts are
/// not linked.
#[test]
fn hello_cortex_m3_minimal_features() {
    let (_, elf) = check_with_elf("hello", "thumbv7m-none-eabi", &["--no-default-features"], 0);
    for m in RUNTIME_MESSAGES {
        assert!(!contains(&elf, m), "minimal build links the error texts");
    }
    assert!(
        !contains(&elf, BOARD_TEXT),
        "minimal build links the hardware modules"
    );
}

#[test]
fn hello_cortex_m0() {
    check("hello", "thumbv6m-none-eabi", &[], 0);
}

/// An uncaught exception: MicroPython's traceback on stderr, exit status 1; from the frozen
/// image and from the `.mpy`.
#[test]
fn uncaught_exception_cortex_m3() {
    let source = std::fs::read_to_string(firmware_dir().join("programs/uncaught.py"))
        .unwrap_or_else(|e| panic!("programs/uncaught.py: {e}"));
    // Line numbers of the three frames, innermost last, found in the source.
    let line_of = |needle: &str| {
        let found = source
            .lines()
            .position(|l| l.starts_with(needle) || l.trim() == needle);
        found
            .map(|i| i + 1)
            .unwrap_or_else(|| panic!("uncaught.py: no line {needle:?}"))
    };
    let traceback = format!(
        "Traceback (most recent call last):\n\
         \x20 File \"uncaught.py\", line {}, in <module>\n\
         \x20 File \"uncaught.py\", line {}, in run\n\
         \x20 File \"uncaught.py\", line {}, in check\n\
         ValueError: too big: 3\n",
        line_of("run()"),
        line_of("print(\"checked\", check(i))"),
        line_of("raise ValueError(\"too big: %d\" % x)"),
    );
    for features in [&[][..], &["--features", "mpy-load"]] {
        let stderr = check("uncaught", "thumbv7m-none-eabi", features, 1);
        assert!(
            stderr.contains(&traceback),
            "{features:?}: expected traceback:\n{traceback}\ngot stderr:\n{stderr}"
        );
    }
}

/// The RAM budget of the 8 KB part (issue 5): data + bss + measured stack peak.
const RAM_BUDGET: usize = 8192;
/// The heap the board binaries get (at most 2 KB).
const HEAP_BUDGET: usize = 2048;

/// `data + bss` of a built firmware ELF, from `arm-none-eabi-size` (Berkeley format).
fn static_ram(bin: &str, target: &str) -> usize {
    let elf = firmware_dir()
        .join("target")
        .join(target)
        .join("release")
        .join(bin);
    let out = Command::new("arm-none-eabi-size")
        .arg(&elf)
        .output()
        .unwrap_or_else(|e| panic!("arm-none-eabi-size: {e}\nInstall: {APT}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<usize> = text
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("arm-none-eabi-size {}: {text}", elf.display()))
        .split_whitespace()
        .take(3)
        .map(|f| f.parse().expect("a number"))
        .collect();
    fields[1] + fields[2]
}

/// Runs a board binary (`run_on_board`): stdout must be `expected` followed by the `ram:`
/// line, and RAM within the 8 KB part's budget. Returns (stdout, stderr, status).
fn check_board(bin: &str, target: &str, expected: &str) -> (String, String, Option<i32>) {
    let (out, _) = check_board_ram(bin, target, expected);
    out
}

/// [`check_board`], also returning (all RAM: data + bss + stack peak, heap size).
fn check_board_ram(
    bin: &str,
    target: &str,
    expected: &str,
) -> ((String, String, Option<i32>), (usize, usize)) {
    require_tools();
    let _one_at_a_time = FIRMWARE.lock().unwrap_or_else(|e| e.into_inner());
    let out = run_firmware(bin, target, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (body, ram) = match stdout.rfind("ram: ") {
        Some(i) => (&stdout[..i], &stdout[i..]),
        None => panic!("{bin} ({target}): no ram: line; stdout:\n{stdout}\nstderr:\n{stderr}"),
    };
    assert_eq!(
        body, expected,
        "{bin} ({target}): stdout; stderr:\n{stderr}"
    );
    // ram: heap_size=N heap_peak=N stack_peak=N
    let field = |name: &str| -> usize {
        ram.split_whitespace()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{bin}: no {name} in {ram:?}"))
    };
    let (heap, peak, stack) = (field("heap_size"), field("heap_peak"), field("stack_peak"));
    assert!(peak <= heap, "{ram}");
    assert!(heap <= HEAP_BUDGET, "{bin}: heap {heap} > {HEAP_BUDGET}");
    let statics = static_ram(bin, target);
    assert!(
        statics + stack <= RAM_BUDGET,
        "{bin} ({target}): data+bss {statics} + stack peak {stack} > {RAM_BUDGET}"
    );
    let status = out.status.code();
    ((stdout, stderr, status), (statics + stack, heap))
}

/// Issue 5's RAM goal, which beats MicroPython's minimal port: all RAM (data + bss + stack
/// peak) at most 3 KB with a heap of at most 1 KB.
const GOAL_RAM: usize = 3072;
const GOAL_HEAP: usize = 1024;

/// The example program, frozen by build.rs, on `target` with an 8 KB part's RAM, and within
/// the goal ([`GOAL_RAM`], [`GOAL_HEAP`]).
fn blink_within_goal(target: &str) {
    let exp = std::fs::read_to_string(firmware_dir().join("programs/blink.expected")).unwrap();
    let ((_, stderr, status), (ram, heap)) = check_board_ram("blink", target, &exp);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        heap <= GOAL_HEAP,
        "blink ({target}): heap {heap} > {GOAL_HEAP}"
    );
    assert!(
        ram <= GOAL_RAM,
        "blink ({target}): all RAM {ram} > {GOAL_RAM} B (the goal)"
    );
}

/// On the Cortex-M3 (thumbv7m, QEMU's lm3s6965evb).
#[test]
fn blink_cortex_m3() {
    blink_within_goal("thumbv7m-none-eabi");
}

/// The same on a Cortex-M0 (thumbv6m, `-cpu cortex-m0`), whose code keeps more on the stack.
#[test]
fn blink_cortex_m0() {
    blink_within_goal("thumbv6m-none-eabi");
}

/// A larger frozen program (classes, exceptions, a generator, formatting) in the same budget;
/// its output is CPython's.
#[test]
fn showcase_cortex_m3() {
    let (_, stderr, status) = check_board("showcase", "thumbv7m-none-eabi", &expected("showcase"));
    assert_eq!(status, Some(0), "{stderr}");
}

/// Running out of heap ends with MemoryError on stderr and status 1, not a fault.
#[test]
fn out_of_heap_is_a_memory_error() {
    let (_, stderr, status) = check_board("oom", "thumbv7m-none-eabi", "");
    assert_eq!(status, Some(1), "{stderr}");
    assert!(stderr.contains("MemoryError"), "{stderr}");
}

/// `time` runs on the board's clock (SysTick): it advances while the program computes, and
/// `sleep_ms` waits on it; on the Cortex-M3 and the Cortex-M0. Output: CPython's.
#[test]
fn clock_cortex_m3() {
    let (_, stderr, status) = check_board("clock", "thumbv7m-none-eabi", &expected("clock"));
    assert_eq!(status, Some(0), "{stderr}");
}

#[test]
fn clock_cortex_m0() {
    let (_, stderr, status) = check_board("clock", "thumbv6m-none-eabi", &expected("clock"));
    assert_eq!(status, Some(0), "{stderr}");
}
