//! `hello`: boots upyc-runtime on a Cortex-M3 with a static heap (`UPYC_FW_HEAP` bytes at
//! build time, default 8 KB) and runs `programs/hello.py` in place from flash: the `.mpy`
//! build.rs compiled with feature `mpy-load`, else its module in the frozen image of
//! `programs/`. Expected stdout: `programs/hello.out` (CPython's).
#![no_std]
#![no_main]

upyc_firmware::program_main!("hello");
