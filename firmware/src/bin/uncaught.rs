//! `uncaught`: runs `programs/uncaught.py`, which ends with an uncaught exception: the
//! firmware must print MicroPython's traceback on stderr and exit with status 1.
#![no_std]
#![no_main]

use upyc_firmware::{run_program, take_heap};

include!(concat!(env!("OUT_DIR"), "/config.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    run_program(
        include_bytes!(concat!(env!("OUT_DIR"), "/uncaught.mpy")),
        take_heap!(HEAP_SIZE),
    )
}
