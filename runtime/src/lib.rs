//! upyc-runtime: a `no_std`, no-`alloc` MicroPython virtual machine.
//!
//! [`Vm::new`] takes the heap buffer (everything the VM allocates lives in it), a
//! [`Config`] and a [`Host`] (console, clock, module files). `Vm::exec_mpy` /
//! `Vm::exec_mpy_static` load a `.mpy` v6.3 file (`loader`, feature `mpy-load`) and
//! [`Vm::set_frozen`] / [`Vm::exec_frozen_as`] run a frozen ROM image's modules, with
//! MicroPython's semantics ([`vm`], [`runtime`], [`obj`], [`builtins`]).
//!
//! Module map (MicroPython file in brackets):
//! - [`obj`]: the tagged value [`Obj`], heap object layouts, one module per type
//!   (`py/obj*.c`);
//! - [`gc`]: the block heap and mark-sweep collector (`py/gc.c`);
//! - [`qstr`]: interned strings (`py/qstr.c`);
//! - `loader` (feature `mpy-load`): `.mpy` loading (`py/persistentcode.c`, load half) and
//!   imports of module files through the host (`py/builtinimport.c`'s file half);
//! - [`frozen`]: frozen ROM images run in place (`tools/mpy-tool.py -f`'s output);
//! - [`vm`]: the VM state and the bytecode dispatch loop (`py/vm.c`, `py/bc.c`);
//! - [`runtime`]: operations on objects: attributes, calls, operators, iteration
//!   (`py/runtime.c`, `py/objtype.c`);
//! - [`print`]: `str`/`repr` and number formatting (`py/mpprint.c`, `py/objstr.c`);
//! - [`builtins`]: the builtins module (`py/modbuiltins.c`);
//! - [`modules`]: `sys`, `gc`, `micropython`, `time`, `math`.
//!
//! Invariants: no `unsafe`, no allocation outside the heap, no panics on any input
//! (malformed `.mpy`, hostile programs); Python-to-Python calls do not recurse on the Rust
//! stack.
#![no_std]

#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod builtins;
pub mod frozen;
pub mod gc;
pub mod hal;
#[cfg(feature = "mpy-load")]
pub mod loader;
pub mod modules;
pub mod obj;
pub mod print;
pub mod qstr;
pub mod runtime;
pub mod vm;

pub use frozen::{Frozen, FrozenError};
pub use gc::HeapStats;
#[cfg(feature = "mpy-load")]
pub use loader::LoadError;
pub use obj::{Obj, TypeId};
pub use qstr::Qstr;
pub use vm::Vm;

/// "A Python exception is pending": the exception object is in the VM (see
/// [`Vm::take_exception`]). Zero-sized, so `PyResult<Obj>` is one word plus a tag.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct PyErr;

/// Result of an operation that may raise a Python exception.
pub type PyResult<T> = Result<T, PyErr>;

/// VM limits and options.
#[derive(Clone, Copy)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct Config {
    /// Deepest Python call nesting (`RuntimeError: maximum recursion depth exceeded`).
    pub max_depth: usize,
    /// Deepest nesting of native code calling back into Python (sorted's key, `__eq__`
    /// from a dict lookup, `__str__` from print ...); each level costs Rust stack.
    pub max_native_nesting: usize,
    /// Backward jumps and Python calls allowed before `RuntimeError: step limit exceeded`
    /// (0: no limit);
    /// lets tests and fuzzers bound programs that loop forever.
    pub max_steps: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_depth: 1000,
            max_native_nesting: 40,
            max_steps: 0,
        }
    }
}

/// What the VM needs from the world around it. `upyc run` implements it with std; a
/// firmware implements it with its UART and timer.
pub trait Host {
    /// Write bytes to standard output.
    fn write_stdout(&mut self, b: &[u8]);
    /// Write bytes to standard error.
    fn write_stderr(&mut self, b: &[u8]);
    /// Microseconds since an arbitrary start.
    fn ticks_us(&mut self) -> u64 {
        0
    }
    /// Sleep (or advance virtual time).
    fn sleep_us(&mut self, us: u64) {
        let _ = us;
    }
    /// Look for a module file: `path` has no extension (`dir/pkg/mod`); the host tries
    /// `path.mpy`, then `path.py` (which it compiles to `.mpy` if it can), then a package
    /// directory `path/`. The bytes of a file found are then fetched with
    /// [`Host::read_module`].
    fn find_module(&mut self, path: &str) -> ModuleFile {
        let _ = path;
        ModuleFile::NotFound
    }
    /// Compile Python source (for `eval`/`exec`) as a module named `<string>`: returns
    /// `Mpy` or `CompileError` as [`Host::find_module`] does (`NotFound`: no compiler).
    fn compile(&mut self, src: &[u8]) -> ModuleFile {
        let _ = src;
        ModuleFile::NotFound
    }
    /// Copy the bytes of what [`Host::find_module`] last found (`.mpy` bytes, or the text
    /// of a compile error) into `buf`; returns the number of bytes copied.
    fn read_module(&mut self, buf: &mut [u8]) -> usize {
        let _ = buf;
        0
    }
    /// The board's pins, if there is a board: the hardware modules (`board`, `digitalio`,
    /// `nativeio`, `machine`) can be imported only then.
    fn hal(&mut self) -> Option<&mut dyn hal::Hal> {
        None
    }
}

/// What [`Host::find_module`] found.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum ModuleFile {
    /// Nothing.
    NotFound,
    /// A package directory.
    Package,
    /// `.mpy` bytes of this size are ready.
    Mpy(usize),
    /// The source failed to compile; an error text of this size is ready (the VM raises
    /// `SyntaxError` with it).
    CompileError(usize),
}
