//! upyc-bytecode
