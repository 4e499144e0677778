//! Properties of the number functions on arbitrary input: no panics, integer literals in every
//! base and with underscores give back the number they were written from, and MicroPython's
//! float repr reads back to the same double through MicroPython's own parser.

use num_bigint::BigInt;
use proptest::prelude::*;
use upyc_syntax::num::{
    complex_repr, fits_small_int, float_repr, int_repr, parse_float, parse_float_literal,
    parse_imag, parse_int, parse_int_radix, parse_literal, FloatLiteral, NumberLiteral,
};

/// Inserts `_` after the digits chosen by `mask` (never first or last, as in source code).
fn with_underscores(digits: &str, mask: u64) -> String {
    let mut out = String::new();
    let n = digits.len();
    for (i, c) in digits.chars().enumerate() {
        out.push(c);
        if i + 1 < n && mask >> (i % 64) & 1 == 1 {
            out.push('_');
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_panic_on_any_text(s in "\\PC{0,40}", base in 0u32..40) {
        let _ = parse_literal(&s);
        let _ = parse_float(&s);
        let _ = parse_imag(&s);
        let _ = parse_int(&s);
        let _ = parse_int_radix(&s, base);
    }

    #[test]
    fn no_panic_on_number_like_text(s in "[0-9._eEjJxXoObB+\\- a-f]{0,60}", base in 0u32..40) {
        let _ = parse_literal(&s);
        let _ = parse_float(&s);
        let _ = parse_int_radix(&s, base);
        if let Err(e) = parse_literal(&s) {
            let _ = e.to_string();
        }
    }

    #[test]
    fn float_repr_reads_back(bits in any::<u64>()) {
        let f = f64::from_bits(bits);
        let r = float_repr(f);
        let _ = complex_repr(f, f);
        let _ = complex_repr(0.0, f);
        let back = parse_float(&r);
        if f.is_nan() {
            prop_assert!(back.is_ok_and(f64::is_nan), "{r}");
        } else {
            prop_assert_eq!(back.map(f64::to_bits), Ok(bits), "{}", r);
        }
    }

    #[test]
    fn float_repr_of_literal_is_a_float_literal(bits in any::<u64>()) {
        let f = f64::from_bits(bits & !(1 << 63));
        prop_assume!(f.is_finite());
        let r = float_repr(f);
        prop_assert_eq!(parse_literal(&r), Ok(NumberLiteral::Float(f)));
        prop_assert_eq!(parse_float_literal(&format!("{r}j")), Ok(FloatLiteral::Imag(f)));
    }

    #[test]
    fn int_literals_in_every_base(v in any::<u128>(), hi in any::<u64>(), mask in any::<u64>()) {
        let n = (BigInt::from(hi) << 128u32) + v;
        let dec = n.to_str_radix(10);
        prop_assert_eq!(int_repr(&parse_int(&dec).expect("dec")), dec.clone());
        prop_assert_eq!(parse_int(&with_underscores(&dec, mask)).expect("dec_"), n.clone());
        for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
            let text = format!("{prefix}{}", with_underscores(&n.to_str_radix(radix), mask));
            prop_assert_eq!(parse_literal(&text), Ok(NumberLiteral::Int(n.clone())), "{}", text);
            prop_assert_eq!(parse_int_radix(&n.to_str_radix(radix), radix), Ok(n.clone()));
        }
        let small = fits_small_int(&n, 64);
        prop_assert_eq!(small.is_some(), n < (BigInt::from(1u8) << 62u32));
    }
}
