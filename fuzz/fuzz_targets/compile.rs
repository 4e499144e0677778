//! Fuzz target: arbitrary bytes through `upyc_compiler::compile_source`, with mpy-cross's
//! default options and with `-O3 -msmall-int-bits=63`.
//!
//! Compiling must return `Ok` or `Err` on any input, never panic or hang; an `Ok` must be a
//! `.mpy` v6 file, and compiling twice must give the same bytes (determinism).

#![no_main]

use libfuzzer_sys::fuzz_target;
use upyc_compiler::{compile_source, CompileOptions};

fuzz_target!(|data: &[u8]| {
    let default = CompileOptions {
        source_name: "fuzz.py".into(),
        ..CompileOptions::default()
    };
    let optimised = CompileOptions {
        opt_level: 3,
        small_int_bits: 63,
        ..default.clone()
    };
    for options in [&default, &optimised] {
        match compile_source(data, options) {
            Ok(mpy) => {
                // 'M', version 6, feature flags (arch none, sub-version 3 in the high bits).
                assert!(mpy.len() > 4, "a .mpy file of {} bytes", mpy.len());
                assert_eq!(
                    &mpy[..3],
                    b"M\x06\x00",
                    "not a bytecode .mpy v6 header: {:02x?}",
                    &mpy[..4]
                );
                assert_eq!(mpy[3], options.small_int_bits, "header small-int bits");
                let again = compile_source(data, options);
                assert_eq!(
                    again.as_ref(),
                    Ok(&mpy),
                    "compiling twice gave different results"
                );
            }
            Err(e) => {
                // Rendering the error must not panic either.
                let _ = e.render();
            }
        }
    }
});
