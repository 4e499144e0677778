//! Number literals against mpy-cross 1.29: for every literal in `tests/data/num/*.txt`
//! (written by `scripts/num-oracle.py` from the text mpy-cross stored in a `.mpy`), our parse
//! followed by our repr must give the same text. `UPYC_NUM_DATA=DIR` reads the files from
//! another directory (e.g. a larger set from `scripts/num-oracle.py --out DIR --scale 20`).

use std::collections::BTreeMap;

use upyc_syntax::num::{
    complex_repr, float_repr, int_repr, parse_literal, NumError, NumberLiteral,
};

fn data(name: &str) -> String {
    let dir = std::env::var("UPYC_NUM_DATA")
        .unwrap_or_else(|_| format!("{}/tests/data/num", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Our stored text for a literal, with the .mpy object kind (`i`, `f`, `c`).
fn stored(lit: &str) -> Result<(char, String), NumError> {
    Ok(match parse_literal(lit)? {
        NumberLiteral::Int(v) => ('i', int_repr(&v)),
        NumberLiteral::Float(f) => ('f', float_repr(f)),
        NumberLiteral::Imag(f) => ('c', complex_repr(0.0, f)),
    })
}

/// Checks every line of a `CATEGORY LITERAL KIND STORED` file; prints pass counts per
/// category and the first failures, then fails if any line differs.
fn check_file(name: &str) {
    let text = data(name);
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [cat, lit, kind, expected] = fields[..] else {
            panic!("{name}: malformed line {line:?}");
        };
        let kind = kind.chars().next().unwrap_or('?');
        let got = stored(lit);
        let entry = counts.entry(cat).or_default();
        entry.1 += 1;
        if got.as_ref().is_ok_and(|(k, s)| *k == kind && s == expected) {
            entry.0 += 1;
        } else {
            failures.push(format!(
                "{cat}: {lit} -> {got:?}, mpy-cross {kind} {expected}"
            ));
        }
    }
    let (pass, total) = counts
        .values()
        .fold((0, 0), |(p, t), (cp, ct)| (p + cp, t + ct));
    println!("{name}: {pass}/{total}");
    for (cat, (p, t)) in &counts {
        println!("  {cat:12} {p}/{t}");
    }
    for f in failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {total} differ",
        failures.len()
    );
}

#[test]
fn floats_match_mpy_cross() {
    check_file("floats.txt");
}

#[test]
fn ints_match_mpy_cross() {
    check_file("ints.txt");
}

#[test]
fn errors_match_mpy_cross() {
    let text = data("errors.txt");
    let mut failures = Vec::new();
    for line in text.lines() {
        let Some((lit, expected)) = line.split_once('\t') else {
            panic!("errors.txt: malformed line {line:?}");
        };
        let got = match parse_literal(lit) {
            Ok(v) => format!("OK {v:?}"),
            Err(e) => e.to_string(),
        };
        if got != expected {
            failures.push(format!("{lit}: {got} / mpy-cross: {expected}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn small_int_range_matches_mpy_cross() {
    use num_bigint::BigInt;
    use upyc_syntax::num::fits_small_int;
    let text = data("smallint.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let [bits, value, expected] = fields[..] else {
            panic!("smallint.txt: malformed line {line:?}");
        };
        let bits: u32 = bits.parse().expect("bits");
        let v: BigInt = value.parse().expect("value");
        // A negative value comes from folding `-LITERAL`: MicroPython keeps it an object when
        // the literal itself was an mpz (did not fit the host's small ints).
        let literal_is_small = fits_small_int(&-v.clone(), 64).is_some() || v >= BigInt::from(0);
        let small = literal_is_small && fits_small_int(&v, bits).is_some();
        let got = if small { "small" } else { "obj" };
        total += 1;
        if got != expected {
            failures.push(format!(
                "bits {bits}: {value} -> {got}, mpy-cross {expected}"
            ));
        }
    }
    println!("smallint.txt: {}/{total}", total - failures.len());
    assert!(failures.is_empty(), "{failures:#?}");
}
