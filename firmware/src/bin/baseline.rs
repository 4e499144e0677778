//! `baseline`: the `hello` firmware without the runtime (same board support, console and
//! exit), so `scripts/firmware-size.sh` can tell the runtime's share of flash and RAM.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use upyc_firmware::{exit, report, stack_peak, stack_room, Console};

#[entry]
fn main() -> ! {
    let mut console = Console::new();
    console.stdout(b"hello from the baseline\n");
    console.flush();
    report(&mut console, "stack: peak ", stack_peak(), " bytes");
    report(&mut console, " of ", stack_room(), "\n");
    exit(0)
}
