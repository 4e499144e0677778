//! `oom`: runs `programs/oom.py` on the board of [`upyc_firmware::board`] with the showcase
//! budget (a 2 KB heap): it runs out of heap, prints MemoryError and exits with status 1.
#![no_std]
#![no_main]

upyc_firmware::board_main!("programs", "oom", 2048);
