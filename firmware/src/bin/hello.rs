//! `hello`: boots upyc-runtime on a Cortex-M3 with a static heap (`UPYC_FW_HEAP` bytes at
//! build time, default 8 KB) and runs `programs/hello.py`, compiled to `.mpy` by build.rs
//! and executed in place from flash. Expected stdout: `programs/hello.out` (CPython's).
#![no_std]
#![no_main]

use upyc_firmware::{run_program, take_heap};

include!(concat!(env!("OUT_DIR"), "/config.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    run_program(
        include_bytes!(concat!(env!("OUT_DIR"), "/hello.mpy")),
        take_heap!(HEAP_SIZE),
    )
}
