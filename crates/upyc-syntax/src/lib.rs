//! upyc-syntax: lexer, parser and parse tree for MicroPython's Python (`py/lexer.c`,
//! `py/parse.c`). Knows nothing of bytecode.
//!
//! The entry point is [`parse()`]: source bytes in, the parse tree (MicroPython's generic tree
//! shape, see [`tree`]) and every [`Diagnostic`] out. [`dump()`] prints a tree.

pub mod builtin_qstrs;
pub mod diag;
pub mod dump;
pub mod fold;
pub mod grammar;
pub mod lexer;
pub mod num;
pub mod parse;
pub mod qstr;
pub mod tree;

pub use diag::{Diagnostic, DiagnosticKind, ExceptionType};
pub use dump::dump;
pub use parse::{parse, InputKind, ParseOptions, ParseResult, MAX_RULE_DEPTH};
