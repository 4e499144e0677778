//! Board support shared by the firmware binaries: console output, exit status, panic and
//! fault handlers, and the stack-use measurement, all over ARM semihosting (QEMU's
//! `-semihosting-config enable=on,target=native`); and [`run_program`], which boots
//! upyc-runtime on a static heap and runs one program (the `src/bin/*.rs` programs): its
//! `.mpy` with feature `mpy-load`, else its module in the frozen image of `programs/`.
//!
//! Nothing here formats with `core::fmt`: numbers are written by [`write_decimal`], so a
//! binary's flash holds only what it uses (`scripts/firmware-size.sh` checks for
//! `core::fmt` symbols).
//!
//! `unsafe` appears in three places, each with its argument: the semihosting calls (the
//! parameter blocks outlive the call), reading the painted stack (addresses come from the
//! linker script and lie inside RAM), and [`take_heap`] (a `static mut` handed out once).
#![no_std]

pub mod board;
pub mod clock;

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_semihosting::hio::{self, HostStream};
use upyc_runtime::vm::Out;
use upyc_runtime::{Config, Vm};

// Links the critical-section implementation that cortex-m-semihosting relies on.
use cortex_m as _;

/// Exit status when the VM cannot start (the heap is too small for its own tables).
pub const EXIT_NO_VM: i32 = 3;
/// Exit status after a Rust panic (the runtime must never panic: this is a bug).
pub const EXIT_PANIC: i32 = 101;
/// Exit status after a HardFault (a stack overflow, usually).
pub const EXIT_HARD_FAULT: i32 = 102;
/// Exit status after any other unexpected exception.
pub const EXIT_FAULT: i32 = 103;
/// Exit status when the stack grew down into .bss (the heap may be corrupt).
pub const EXIT_STACK_OVERFLOW: i32 = 104;
/// Exit status when the frozen image is refused (wrong magic or version, malformed).
pub const EXIT_BAD_IMAGE: i32 = 4;

/// SYS_EXIT_EXTENDED: like SYS_EXIT, but the host sees the status code.
const SYS_EXIT_EXTENDED: usize = 0x20;
/// ADP_Stopped_ApplicationExit, the reason code of a normal exit.
const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;

/// End the program: QEMU exits with `code` (low 8 bits on the host side).
pub fn exit(code: i32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    // SAFETY: SYS_EXIT_EXTENDED reads a two-word block through the pointer; `block` lives
    // on the stack for the duration of the call.
    unsafe {
        cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block);
    }
    // A debugger may resume the program; there is nothing left to do.
    loop {
        cortex_m::asm::wfi();
    }
}

/// What [`run_program`] runs as `__main__`: with feature `mpy-load`, `.mpy` bytes, loaded
/// in place; without, a module of a frozen ROM image, run in place. One or the other, so
/// that a binary links only the runtime's `.mpy` loader or only its frozen-image checks.
#[derive(Clone, Copy)]
pub enum Program {
    /// `.mpy` bytes.
    #[cfg(feature = "mpy-load")]
    Mpy(&'static [u8]),
    /// A module of a frozen image.
    #[cfg(not(feature = "mpy-load"))]
    Frozen(&'static [u8], &'static str),
}

/// Run `program` as `__main__` in a VM over `heap`, then exit: status 0 on success,
/// 1 after an uncaught exception (its traceback, MicroPython's text, goes to stderr), a
/// `SystemExit`'s own status, [`EXIT_BAD_IMAGE`] if a frozen image is refused. Heap and
/// stack use are reported on stderr.
pub fn run_program(program: Program, heap: Option<&'static mut [u8]>) -> ! {
    let mut console = Console::new();
    let code = match heap {
        Some(heap) => exec(&mut console, program, heap),
        None => EXIT_NO_VM,
    };
    console.flush();
    let (peak, room) = (stack_peak(), stack_room());
    report(&mut console, "stack: peak ", peak, " bytes");
    report(&mut console, " of ", room, "\n");
    if peak >= room {
        console.stderr(b"firmware: stack overflow into .bss\n");
        exit(EXIT_STACK_OVERFLOW)
    }
    exit(code)
}

/// Run frozen module `module` of the ROM image `image` as `__main__` on the board
/// ([`board::BoardHost`]: pins, clock, console) over `heap`, then print
/// `ram: heap_size=N heap_peak=N stack_peak=N` on stdout and exit: 0 on success, 1 after an
/// uncaught exception (traceback on stderr), [`EXIT_BAD_IMAGE`] if the image is refused.
pub fn run_on_board(image: &'static [u8], module: &str, heap: Option<&'static mut [u8]>) -> ! {
    let Some(heap) = heap else { exit(EXIT_NO_VM) };
    let Some(mut core) = cortex_m::Peripherals::take() else {
        exit(EXIT_NO_VM)
    };
    clock::start(&mut core.SYST);
    let mut host = core::mem::MaybeUninit::uninit();
    let host = board::BoardHost::new_in(&mut host);
    let mut slot = core::mem::MaybeUninit::uninit();
    match run_frozen(&mut slot, heap, host, image, module) {
        Ok((code, stats)) => report_ram(&mut host.console, code, stats),
        Err(message) => {
            host.console.stderr(message.as_bytes());
            host.console.stderr(b"\n");
            exit(EXIT_BAD_IMAGE)
        }
    }
}

/// The part of [`run_on_board`] that runs the program: its exit status and heap figures, or
/// why the image was refused. Not inlined, and given the VM's slot and the host by
/// reference: the frame that stays on the stack while the program runs (`run_on_board`'s)
/// then holds the two and nothing else, and what this one needs for the image and the
/// status leaves with it.
#[inline(never)]
fn run_frozen<'h>(
    slot: &mut core::mem::MaybeUninit<Vm<'h>>,
    heap: &'h mut [u8],
    host: &'h mut board::BoardHost,
    image: &'static [u8],
    module: &str,
) -> Result<(i32, upyc_runtime::HeapStats), &'static str> {
    let vm = start_frozen(slot, heap, host, image)?;
    let ok = vm.exec_frozen_as(module, "__main__").is_ok();
    let code = exit_status(vm, ok);
    Ok((code, vm.heap_stats()))
}

/// Check the ROM image, start a VM over `heap` in `slot` and give it the image. Not
/// inlined: what checking the image needs (about 200 B on thumbv6m) leaves the stack
/// before the program runs.
#[inline(never)]
fn start_frozen<'s, 'h>(
    slot: &'s mut core::mem::MaybeUninit<Vm<'h>>,
    heap: &'h mut [u8],
    host: &'h mut board::BoardHost,
    image: &'static [u8],
) -> Result<&'s mut Vm<'h>, &'static str> {
    let frozen = upyc_runtime::Frozen::from_static(image).map_err(|e| e.message())?;
    let Some(vm) = start_vm(slot, heap, host) else {
        exit(EXIT_NO_VM)
    };
    if vm.set_frozen(frozen).is_err() {
        return Err("firmware: frozen image refused");
    }
    Ok(vm)
}

/// Print `ram: heap_size=N heap_peak=N stack_peak=N` and exit with `code` (or
/// [`EXIT_STACK_OVERFLOW`]). Not inlined: its buffer is not on the stack while the program
/// runs.
#[inline(never)]
fn report_ram(c: &mut Console, code: i32, stats: upyc_runtime::HeapStats) -> ! {
    let (peak, room) = (stack_peak(), stack_room());
    let mut buf = [0; 20];
    c.stdout(b"ram: heap_size=");
    c.stdout(write_decimal(stats.total, &mut buf));
    c.stdout(b" heap_peak=");
    c.stdout(write_decimal(stats.peak, &mut buf));
    c.stdout(b" stack_peak=");
    c.stdout(write_decimal(peak, &mut buf));
    c.stdout(b"\n");
    c.flush();
    if peak >= room {
        c.stderr(b"firmware: stack overflow into .bss\n");
        exit(EXIT_STACK_OVERFLOW)
    }
    exit(code)
}

fn exec(console: &mut Console, program: Program, heap: &'static mut [u8]) -> i32 {
    let run = {
        let mut slot = core::mem::MaybeUninit::uninit();
        let Some(vm) = start_vm(&mut slot, heap, console) else {
            return EXIT_NO_VM;
        };
        let ran: Result<bool, upyc_runtime::FrozenError> = match program {
            #[cfg(feature = "mpy-load")]
            Program::Mpy(mpy) => Ok(vm.exec_mpy_static("__main__", mpy).is_ok()),
            #[cfg(not(feature = "mpy-load"))]
            Program::Frozen(image, module) => upyc_runtime::Frozen::from_static(image)
                .and_then(|f| vm.set_frozen(f))
                .map(|()| vm.exec_frozen_as(module, "__main__").is_ok()),
        };
        ran.map(|ok| (exit_status(vm, ok), vm.heap_stats()))
    };
    console.flush();
    let (code, stats) = match run {
        Ok(r) => r,
        Err(e) => {
            console.stderr(e.message().as_bytes());
            console.stderr(b"\n");
            return EXIT_BAD_IMAGE;
        }
    };
    report(console, "heap: ", stats.total, " bytes");
    report(console, ", peak use ", stats.peak, "");
    report(console, ", ", stats.collections, " collections\n");
    code
}

/// Start a VM over `heap` in `slot` (None if the heap is too small for its tables). The
/// `Vm` (about a kilobyte) is built in place ([`Vm::new_in`]), not returned by value, and
/// this function is not inlined, so what building it needs leaves the stack before the
/// program runs.
#[inline(never)]
fn start_vm<'s, 'h>(
    slot: &'s mut core::mem::MaybeUninit<Vm<'h>>,
    heap: &'h mut [u8],
    host: &'h mut dyn upyc_runtime::Host,
) -> Option<&'s mut Vm<'h>> {
    let config = Config {
        // Each level of native code calling back into Python costs Rust stack.
        max_native_nesting: 8,
        ..Config::default()
    };
    Vm::new_in(slot, heap, config, host).ok()
}

/// The exit status of a program run: 0, a `SystemExit`'s status, or 1 after printing an
/// uncaught exception's traceback on stderr. Not inlined: printing a traceback is not on
/// the stack while the program runs.
#[inline(never)]
fn exit_status(vm: &mut Vm, ok: bool) -> i32 {
    if ok {
        return 0;
    }
    let exc = vm.take_exception();
    match vm.system_exit_status(exc) {
        Some(code) => code,
        None => {
            let _ = vm.print_exception(Out::Stderr, exc);
            1
        }
    }
}

/// Line-buffered semihosting console. Each semihosting call traps to the debugger (slow on
/// real probes), so output is gathered into lines.
pub struct Console {
    out: Option<HostStream>,
    err: Option<HostStream>,
    buf: [u8; 32],
    len: usize,
}

impl Console {
    /// Opens the host's stdout and stderr (`:tt`).
    pub fn new() -> Console {
        Console {
            out: hio::hstdout().ok(),
            err: hio::hstderr().ok(),
            buf: [0; 32],
            len: 0,
        }
    }

    /// Write to standard output; flushed at each newline and when the buffer fills. Byte
    /// by byte: a slice copy would call `memcpy`, whose frame (80 B on thumbv6m) sits at the
    /// bottom of the deepest call chain of a program that prints.
    pub fn stdout(&mut self, b: &[u8]) {
        for &c in b {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = c;
                self.len += 1;
            }
            if self.len == self.buf.len() || c == b'\n' {
                self.flush();
            }
        }
    }

    /// Write to standard error (after flushing standard output, to keep the order).
    pub fn stderr(&mut self, b: &[u8]) {
        self.flush();
        if let Some(s) = self.err.as_mut() {
            let _ = s.write_all(b);
        }
    }

    /// Write buffered standard output.
    pub fn flush(&mut self) {
        if self.len > 0 {
            if let Some(s) = self.out.as_mut() {
                let _ = s.write_all(&self.buf[..self.len]);
            }
            self.len = 0;
        }
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The runtime's view of the board: console only (no clock: `time.ticks_us()` reads 0).
impl upyc_runtime::Host for Console {
    fn write_stdout(&mut self, b: &[u8]) {
        self.stdout(b);
    }

    fn write_stderr(&mut self, b: &[u8]) {
        self.stderr(b);
    }
}

/// `v` in decimal, written into the end of `buf`.
pub fn write_decimal(mut v: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || pos == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// Write `label`, `v` in decimal, then `tail` to standard error.
pub fn report(console: &mut Console, label: &str, v: usize, tail: &str) {
    let mut buf = [0; 20];
    console.stderr(label.as_bytes());
    console.stderr(write_decimal(v, &mut buf));
    console.stderr(tail.as_bytes());
}

extern "C" {
    // From cortex-m-rt's link.x: the stack grows down from _stack_start to _stack_end
    // (the end of .bss); with the `paint-stack` feature the reset handler fills that range
    // with STACK_PAINT_VALUE.
    static _stack_start: u32;
    static _stack_end: u32;
}

/// Bytes of stack used so far (the deepest word whose paint was overwritten).
pub fn stack_peak() -> usize {
    let top = core::ptr::addr_of!(_stack_start) as usize;
    let mut p = core::ptr::addr_of!(_stack_end) as usize;
    while p < top {
        // SAFETY: `p` is word-aligned and between _stack_end and _stack_start, inside RAM
        // (the linker script asserts both); reading a word of RAM has no side effects.
        let w = unsafe { core::ptr::read_volatile(p as *const u32) };
        if w != cortex_m_rt::STACK_PAINT_VALUE {
            break;
        }
        p += 4;
    }
    top - p
}

/// Bytes between the end of .bss and the top of RAM (the most the stack can grow).
pub fn stack_room() -> usize {
    core::ptr::addr_of!(_stack_start) as usize - core::ptr::addr_of!(_stack_end) as usize
}

/// The `main` of a board program: runs frozen module `module` of the image `OUT_DIR/<image>/
/// upyc_frozen.bin` (made by build.rs) as `__main__` with a heap of `heap` bytes
/// ([`run_on_board`]).
#[macro_export]
macro_rules! board_main {
    ($image:literal, $module:literal, $heap:expr) => {
        #[cortex_m_rt::entry]
        fn main() -> ! {
            $crate::run_on_board(
                include_bytes!(concat!(env!("OUT_DIR"), "/", $image, "/upyc_frozen.bin")),
                $module,
                $crate::take_heap!($heap),
            )
        }
    };
}

/// The `main` of a runtime demo: runs program `name` of `programs/` ([`run_program`]) on a
/// heap of `HEAP_SIZE` bytes (`UPYC_FW_HEAP`): with feature `mpy-load` its `.mpy` (compiled
/// by build.rs), else its module of the frozen image of `programs/`.
#[macro_export]
macro_rules! program_main {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/config.rs"));

        #[cortex_m_rt::entry]
        fn main() -> ! {
            $crate::run_program($crate::program!($name), $crate::take_heap!(HEAP_SIZE))
        }
    };
}

/// Program `name` of `programs/` as a [`Program`]: its `.mpy`.
#[cfg(feature = "mpy-load")]
#[macro_export]
macro_rules! program {
    ($name:literal) => {
        $crate::Program::Mpy(include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".mpy")))
    };
}

/// Program `name` of `programs/` as a [`Program`]: its module in the frozen image.
#[cfg(not(feature = "mpy-load"))]
#[macro_export]
macro_rules! program {
    ($name:literal) => {
        $crate::Program::Frozen(
            include_bytes!(concat!(env!("OUT_DIR"), "/programs/upyc_frozen.bin")),
            $name,
        )
    };
}

/// The heap buffer, `N` bytes of `.bss`. Returns `None` on a second call.
#[macro_export]
macro_rules! take_heap {
    ($n:expr) => {{
        static mut HEAP: [u8; $n] = [0; $n];
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        if $crate::take_once(&TAKEN) {
            // SAFETY: TAKEN guarantees this is the only reference ever made to HEAP.
            Some(unsafe { &mut *core::ptr::addr_of_mut!(HEAP) } as &'static mut [u8])
        } else {
            None
        }
    }};
}

/// True the first time it is called for `flag` (single core, so load + store is enough:
/// thumbv6m has no compare-and-swap).
#[doc(hidden)]
pub fn take_once(flag: &AtomicBool) -> bool {
    if flag.load(Ordering::Relaxed) {
        return false;
    }
    flag.store(true, Ordering::Relaxed);
    true
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // No message: formatting it would link core::fmt.
    if let Ok(mut err) = hio::hstderr() {
        let _ = err.write_all(b"firmware: Rust panic\n");
    }
    exit(EXIT_PANIC)
}

#[cortex_m_rt::exception]
unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
    if let Ok(mut err) = hio::hstderr() {
        let _ = err.write_all(b"firmware: HardFault\n");
    }
    exit(EXIT_HARD_FAULT)
}

#[cortex_m_rt::exception]
unsafe fn DefaultHandler(_irqn: i16) {
    if let Ok(mut err) = hio::hstderr() {
        let _ = err.write_all(b"firmware: unexpected exception\n");
    }
    exit(EXIT_FAULT)
}
