//! Fuzz target: arbitrary bytes as a `.mpy` file given to the runtime (`Vm::exec_mpy`).
//!
//! Loading must reject malformed input with a Python exception (`ValueError: incompatible
//! .mpy file` and friends) and whatever loads must run to an end: a result, a Python
//! exception, or the step limit. Never a panic, a hang or an out-of-range access.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upyc_runtime::{Config, Host, Vm};

/// Output is dropped; only termination matters.
struct Null;

impl Host for Null {
    fn write_stdout(&mut self, _: &[u8]) {}
    fn write_stderr(&mut self, _: &[u8]) {}
}

fuzz_target!(|data: &[u8]| {
    let mut heap = vec![0u8; 64 * 1024];
    let mut host = Null;
    let config = Config {
        max_steps: 20_000,
        ..Config::default()
    };
    let Ok(mut vm) = Vm::new(&mut heap, config, &mut host) else {
        panic!("a 64 KiB heap is enough for a VM");
    };
    if vm.exec_mpy("__main__", data).is_err() {
        let e = vm.take_exception();
        // Printing the exception walks its traceback and arguments: also untrusted.
        let _ = vm.print_exception(upyc_runtime::vm::Out::Stdout, e);
    }
});
