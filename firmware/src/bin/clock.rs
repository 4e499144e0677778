//! `clock`: runs `programs/clock.py` on the board of [`upyc_firmware::board`] with the blink
//! firmware's RAM budget (a 2 KB heap); last line `ram: heap_size=N heap_peak=N stack_peak=N`.
#![no_std]
#![no_main]

use upyc_firmware::{run_on_board, take_heap};

/// Heap bytes (the 8 KB part's budget).
const HEAP_BYTES: usize = 2048;

#[cortex_m_rt::entry]
fn main() -> ! {
    run_on_board(
        include_bytes!(concat!(env!("OUT_DIR"), "/programs/upyc_frozen.bin")),
        "clock",
        take_heap!(HEAP_BYTES),
    )
}
