//! `blink`: the example program (`examples/blink/main.py`) on a Cortex-M3 with the RAM of an
//! 8 KB part: a heap of `BLINK_HEAP` bytes, the board of [`upyc_firmware::board`] (pin
//! changes on semihosting), `main` run as `__main__`. Last line on stdout:
//! `ram: heap_size=N heap_peak=N stack_peak=N`. Exit status 0, or 1 after an uncaught
//! exception (101 panic, 102 HardFault, 104 stack overflow).
#![no_std]
#![no_main]

use upyc_firmware::{run_on_board, take_heap};

/// Heap bytes (the budget: at most 2 KB).
const BLINK_HEAP: usize = 1024;

#[cortex_m_rt::entry]
fn main() -> ! {
    run_on_board(
        include_bytes!(concat!(env!("OUT_DIR"), "/blink/upyc_frozen.bin")),
        "main",
        take_heap!(BLINK_HEAP),
    )
}
