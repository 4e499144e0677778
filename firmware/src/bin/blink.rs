//! `blink`: the example program (`examples/blink/main.py`) on a Cortex-M3 with the RAM of an
//! 8 KB part: a heap of 1 KB, the board of [`upyc_firmware::board`] (pin changes on
//! semihosting, `time` on SysTick), `main` run as `__main__`. Last line on stdout:
//! `ram: heap_size=N heap_peak=N stack_peak=N`. Exit status 0, or 1 after an uncaught
//! exception (101 panic, 102 HardFault, 104 stack overflow).
//!
//! The heap is 1 KB (the issue allows 2 KB): the program needs about 620 B of it, and data +
//! bss + stack then come to about 3 KB, the goal set by MicroPython's minimal port.
#![no_std]
#![no_main]

upyc_firmware::board_main!("blink", "main", 1024);
