//! `showcase`: runs `programs/showcase.py` (classes, exceptions, a generator, formatting) on
//! the board of [`upyc_firmware::board`] with a 2 KB heap; last line
//! `ram: heap_size=N heap_peak=N stack_peak=N`.
#![no_std]
#![no_main]

upyc_firmware::board_main!("programs", "showcase", 2048);
