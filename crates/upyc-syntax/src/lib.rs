//! upyc-syntax
