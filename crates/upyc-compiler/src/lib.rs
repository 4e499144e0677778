//! upyc-compiler
