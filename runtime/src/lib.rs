//! upyc-runtime: the no_std, no-alloc MicroPython VM (issue 3; not yet started).
#![no_std]
