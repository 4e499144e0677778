//! upyc-syntax: lexer, parser and parse tree for MicroPython's Python (`py/lexer.c`,
//! `py/parse.c`). Knows nothing of bytecode.

pub mod builtin_qstrs;
pub mod qstr;
pub mod tree;
