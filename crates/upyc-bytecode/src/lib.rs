//! upyc-bytecode: the MicroPython bytecode and `.mpy` format, shared by host and target.
//!
//! `#![no_std]` and no `alloc`: the compiler (host) and the runtime (target) both build on
//! it. Modules, each named after the MicroPython file it follows:
//! - [`opcode`]: the opcode table (`py/bc0.h`) and operator numbering (`py/runtime0.h`);
//! - [`vuint`]: variable-length integers (`py/bc.c`, `py/emitbc.c`);
//! - [`prelude`]: function prelude signature/size and line-number encodings (`py/bc.h`);
//! - [`insn`]: decoding instructions and encoding jump offsets (`py/persistentcode.c`,
//!   `py/emitbc.c`);
//! - [`mpy`]: `.mpy` constants and a validating zero-copy reader (`py/persistentcode.c`);
//! - [`disasm`]: text disassembly in the format of `tools/mpy-tool.py -d`.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod disasm;
pub mod insn;
pub mod mpy;
pub mod opcode;
pub mod prelude;
pub mod vuint;
