//! `clock`: runs `programs/clock.py` on the board of [`upyc_firmware::board`] with a 2 KB
//! heap: `time` reads the board's clock (SysTick), `sleep_ms` waits on it.
#![no_std]
#![no_main]

upyc_firmware::board_main!("programs", "clock", 2048);
