//! `uncaught`: runs `programs/uncaught.py` (as `hello` runs its program), which ends with an
//! uncaught exception: the firmware must print MicroPython's traceback on stderr and exit
//! with status 1.
#![no_std]
#![no_main]

upyc_firmware::program_main!("uncaught");
