//! Number literals: parsing and constant text, as MicroPython's `py/parsenum.c`,
//! `py/parsenumbase.c`, `py/formatfloat.c`, `py/objfloat.c` and `py/objcomplex.c` do them in
//! mpy-cross 1.29 (double-precision floats, mpz big ints, 64-bit host).
//!
//! Why this is not `str::parse::<f64>` / `{:?}`: mpy-cross is built on x86-64 Linux, where
//! `long double` is the x87 80-bit format, so MicroPython selects
//! `MICROPY_FLOAT_FORMAT_IMPL_EXACT`. Its float parser accumulates up to 19 decimal digits in a
//! `u64`, then multiplies or divides by powers of ten built by repeated squaring **in 80-bit
//! extended precision** (no `pow()`, no `strtod`), then rounds to `double`. Its `repr` guesses a
//! decimal exponent, scales in extended precision, and tries 16, 17, 18 then 19 significant
//! digits, re-parsing each candidate with that same parser. Both differ from correctly rounded
//! conversions in the last bit or digit for some inputs, and `.mpy` files store float constants
//! as that `repr` text, so we reproduce the arithmetic exactly with a small software model of
//! the x87 extended format (`Ext`). The model is pure Rust, so results do not depend on the
//! host running upyc.
//!
//! Checked against mpy-cross by `scripts/num-oracle.py`, which writes the literal -> stored
//! text data under `tests/data/num/` that `tests/num_oracle.rs` replays.
//!
//! Where we differ: only the `repr` formatting mode is ported (what `.mpy` files need), not the
//! `%e`/`%f`/`%g` modes with arbitrary precision. Literal functions ([`parse_int`],
//! [`parse_float_literal`]) drop `_` first, as MicroPython's lexer does before it calls the
//! parsers; [`parse_int_radix`] and [`parse_float`] take text as `int(s, base)` and `float(s)`
//! do, with every quirk of the C functions (including `mpz` not skipping `_` after an overflow).

use std::fmt;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

/// An integer literal's value. MicroPython builds a small int or an mpz; we keep one
/// arbitrary-precision value and let [`fits_small_int`] decide.
pub type IntValue = BigInt;

/// Why a number's text was rejected. `Display` gives MicroPython's message (the compiler reports
/// it as a `SyntaxError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumError {
    /// `int(s, base)` with a base outside `2..=36` (and not 0). Never raised for a literal.
    InvalidBase,
    /// `invalid syntax for integer with base B: 'DIGITS'` where `DIGITS` is the text after the
    /// sign and base prefix. `base` is 0 for a decimal literal with a leading zero (`0777`).
    InvalidInteger { base: u32, digits: Box<[u8]> },
    /// `invalid syntax for number` (floats and imaginary numbers).
    InvalidNumber,
}

impl fmt::Display for NumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumError::InvalidBase => f.write_str("int() arg 2 must be >= 2 and <= 36"),
            NumError::InvalidInteger { base, digits } => {
                write!(f, "invalid syntax for integer with base {base}: ")?;
                f.write_str(&quote_bytes(digits))
            }
            NumError::InvalidNumber => f.write_str("invalid syntax for number"),
        }
    }
}

impl std::error::Error for NumError {}

/// `mp_str_print_quoted(.., is_bytes = true)`: single quotes unless the text has a `'` and no
/// `"`, escapes for the quote, backslash, controls and non-ASCII bytes.
fn quote_bytes(data: &[u8]) -> String {
    let has_single = data.contains(&b'\'');
    let has_double = data.contains(&b'"');
    let quote = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(data.len() + 2);
    out.push(char::from(quote));
    for &b in data {
        match b {
            _ if b == quote => {
                out.push('\\');
                out.push(char::from(quote));
            }
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(char::from(quote));
    out
}

/// `unichar_isspace`: ASCII tab, newline, vertical tab, form feed, carriage return, space.
fn is_space(b: u8) -> bool {
    matches!(b, 9..=13 | b' ')
}

/// The text with every `_` removed (borrowed when there is none).
fn without_underscores(text: &str) -> std::borrow::Cow<'_, [u8]> {
    let bytes = text.as_bytes();
    if bytes.contains(&b'_') {
        std::borrow::Cow::Owned(bytes.iter().copied().filter(|&b| b != b'_').collect())
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// Integers (mp_parse_num_integer, mp_parse_num_base, mpz_set_from_str)
// ---------------------------------------------------------------------------------------------

/// The largest value of a host small int in mpy-cross (63-bit signed on a 64-bit host).
const HOST_SMALL_INT_MAX: i64 = (1 << 62) - 1;

/// Parses an integer literal as written in source (`0x_ff`, `1_000`, `0o17`, `0B101`, `00`):
/// underscores are dropped as MicroPython's lexer does, then the text is parsed with base 0.
/// A decimal literal with a leading zero must be all zeros (`0777` is an error, `00` is 0).
pub fn parse_int(text: &str) -> Result<IntValue, NumError> {
    parse_int_bytes(&without_underscores(text), 0)
}

/// `int(text, base)`: MicroPython's `mp_parse_num_integer` on the text as given (surrounding
/// whitespace, a sign, and for base 0, 2, 8 or 16 a matching prefix are accepted; `_` is skipped
/// between digits unless the value overflowed a 63-bit small int, where the mpz re-parse stops
/// at it). `base` is 0 (auto) or 2..=36.
pub fn parse_int_radix(text: &str, base: u32) -> Result<IntValue, NumError> {
    parse_int_bytes(text.as_bytes(), base)
}

/// `mp_parse_num_base`: detects a `0x`/`0o`/`0b` prefix. Returns the prefix length and the
/// base, which is 1 for base 0 and a leading `0` without prefix (only zeros may follow).
fn parse_base_prefix(s: &[u8], base: u32) -> (usize, u32) {
    if s.len() <= 1 {
        return (0, if base == 0 { 10 } else { base });
    }
    if s[0] != b'0' {
        return (0, if base == 0 { 10 } else { base });
    }
    match (s[1] | 0x20, base) {
        (b'x', 0 | 16) => (2, 16),
        (b'o', 0 | 8) => (2, 8),
        (b'b', 0 | 2) => (2, 2),
        (_, 0) => (0, 1),
        (_, b) => (0, b),
    }
}

/// The value of a digit character in bases up to 36, if it is one.
fn digit_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        _ => {
            let lower = c | 0x20;
            lower
                .is_ascii_lowercase()
                .then(|| u32::from(lower - b'a') + 10)
        }
    }
}

/// Skips leading whitespace and one `+`/`-`: the index after them and whether it was `-`.
fn skip_space_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    match s.get(i) {
        Some(b'+') => (i + 1, false),
        Some(b'-') => (i + 1, true),
        _ => (i, false),
    }
}

fn parse_int_bytes(s: &[u8], base: u32) -> Result<IntValue, NumError> {
    if (base != 0 && base < 2) || base > 36 {
        return Err(NumError::InvalidBase);
    }
    let top = s.len();
    let (mut i, neg) = skip_space_and_sign(s);
    let (prefix, base) = parse_base_prefix(&s[i..], base);
    i += prefix;
    let start = i;

    // Small-int path: digits and `_`, until a non-digit or the value leaves the host small-int
    // range, in which case mpz re-parses from the start (and does not skip `_`).
    let mut small: i64 = 0;
    let mut overflow = false;
    while i < top {
        let c = s[i];
        if c == b'_' {
            i += 1;
            continue;
        }
        let Some(dig) = digit_value(c).filter(|&d| d < base) else {
            break;
        };
        match small
            .checked_mul(i64::from(base))
            .and_then(|v| v.checked_add(i64::from(dig)))
        {
            Some(v) if v <= HOST_SMALL_INT_MAX => small = v,
            _ => {
                overflow = true;
                break;
            }
        }
        i += 1;
    }
    let value = if overflow {
        let mut big = BigInt::from(0u8);
        i = start;
        while i < top {
            let Some(dig) = digit_value(s[i]).filter(|&d| d < base) else {
                break;
            };
            big = big * base + dig;
            i += 1;
        }
        if neg {
            -big
        } else {
            big
        }
    } else {
        BigInt::from(if neg { -small } else { small })
    };

    let invalid = || NumError::InvalidInteger {
        base: if base == 1 { 0 } else { base },
        digits: s[start..].into(),
    };
    if i == start {
        return Err(invalid());
    }
    while i < top && is_space(s[i]) {
        i += 1;
    }
    if i != top {
        return Err(invalid());
    }
    Ok(value)
}

/// The value as a small int of a target with `bits`-bit small ints (`-msmall-int-bits=BITS`),
/// if mpy-cross would make it one (`make_node_const_object_optimised`): it must be a small int
/// of mpy-cross's 64-bit host (63-bit signed) and pass the target check, whose sign mask is
/// `-(1 << (bits - 1))` with mpy-cross's quirks kept: `bits` is stored in a `u8` (taken modulo
/// 256) and the shift count is taken modulo 64, so 0 acts as 64, 65 as 1 and 100 as 36.
///
/// The host check is on the value; a caller holding an mpz (e.g. `-4611686018427387904`,
/// folded from the literal `4611686018427387904`, which overflowed the host small int) must
/// not ask: MicroPython keeps such a result an object.
pub fn fits_small_int(value: &BigInt, bits: u32) -> Option<i64> {
    let v = value.to_i64()?;
    if !(-(HOST_SMALL_INT_MAX + 1)..=HOST_SMALL_INT_MAX).contains(&v) {
        return None;
    }
    let shift = u32::from(bits as u8).wrapping_sub(1) & 63;
    let sign_mask = (-1i64).wrapping_shl(shift);
    let high = v & sign_mask;
    (high == 0 || high == sign_mask).then_some(v)
}

/// The text mpy-cross stores for an int constant in a `.mpy` (`repr(int)`): plain decimal with
/// a leading `-` when negative.
pub fn int_repr(value: &BigInt) -> String {
    value.to_string()
}

// ---------------------------------------------------------------------------------------------
// x87 80-bit extended precision (mpy-cross's `long double`)
// ---------------------------------------------------------------------------------------------

/// A non-negative x87 extended-precision value: a 64-bit significand with explicit integer bit,
/// a 15-bit exponent, round-to-nearest-even (Linux's default x87 control word). Only the
/// operations MicroPython's float code uses on non-negative values exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ext {
    Zero,
    /// `mant * 2^exp`; normal values have bit 63 of `mant` set, subnormals have
    /// `exp == EXT_MIN_LSB`.
    Finite {
        mant: u64,
        exp: i32,
    },
    Inf,
}

/// Exponent of the least significant bit of the smallest subnormal extended value.
const EXT_MIN_LSB: i32 = -16445;
/// Largest exponent of the most significant bit of a finite extended value.
const EXT_MAX_TOP: i32 = 16383;

fn bit_len(v: u128) -> i32 {
    128 - v.leading_zeros() as i32
}

impl Ext {
    const ONE: Ext = Ext::Finite {
        mant: 1 << 63,
        exp: -63,
    };
    const TEN: Ext = Ext::Finite {
        mant: 10 << 60,
        exp: -60,
    };
    const HALF: Ext = Ext::Finite {
        mant: 1 << 63,
        exp: -64,
    };

    /// Rounds `v * 2^exp` (plus, if `sticky`, a positive amount below `2^exp`) to extended
    /// precision. With `sticky`, `v` must have at least two bits more than the 64 kept.
    fn round(v: u128, exp: i32, sticky: bool) -> Ext {
        if v == 0 {
            return Ext::Zero;
        }
        let top = exp + bit_len(v) - 1;
        let lsb = (top - 63).max(EXT_MIN_LSB);
        let (mant, lsb) = if lsb <= exp {
            // Exact: at most 64 significant bits.
            ((v << (exp - lsb)) as u64, lsb)
        } else {
            let shift = lsb - exp;
            if shift > 127 {
                return Ext::Zero;
            }
            let q = v >> shift;
            let rem = v & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            let up = rem > half || (rem == half && (sticky || q & 1 == 1));
            let q = q + u128::from(up);
            if q >> 64 != 0 {
                ((q >> 1) as u64, lsb + 1)
            } else {
                (q as u64, lsb)
            }
        };
        if mant == 0 {
            return Ext::Zero;
        }
        if lsb + bit_len(u128::from(mant)) - 1 > EXT_MAX_TOP {
            return Ext::Inf;
        }
        Ext::Finite { mant, exp: lsb }
    }

    fn from_u64(v: u64) -> Ext {
        Ext::round(u128::from(v), 0, false)
    }

    /// Exact conversion of a non-negative finite double (`(long double)f`).
    fn from_f64(f: f64) -> Ext {
        if f.is_infinite() {
            return Ext::Inf;
        }
        let bits = f.to_bits() & !(1 << 63);
        let biased = (bits >> 52) as i32;
        let frac = bits & ((1 << 52) - 1);
        if biased == 0 {
            Ext::round(u128::from(frac), -1074, false)
        } else {
            Ext::round(u128::from(frac | (1 << 52)), biased - 1075, false)
        }
    }

    fn mul(self, other: Ext) -> Ext {
        match (self, other) {
            (Ext::Inf, _) | (_, Ext::Inf) => Ext::Inf,
            (Ext::Zero, _) | (_, Ext::Zero) => Ext::Zero,
            (Ext::Finite { mant: a, exp: ea }, Ext::Finite { mant: b, exp: eb }) => {
                Ext::round(u128::from(a) * u128::from(b), ea + eb, false)
            }
        }
    }

    fn div(self, other: Ext) -> Ext {
        match (self, other) {
            (Ext::Zero, _) | (Ext::Finite { .. }, Ext::Inf) => Ext::Zero,
            (Ext::Inf, _) | (_, Ext::Zero) => Ext::Inf,
            (Ext::Finite { mant: a, exp: ea }, Ext::Finite { mant: b, exp: eb }) => {
                // Normalise both significands (subnormals have leading zeros).
                let (za, zb) = (a.leading_zeros() as i32, b.leading_zeros() as i32);
                let (a, b) = (u128::from(a << za), u128::from(b << zb));
                let (ea, eb) = (ea - za, eb - zb);
                // q in [2^63, 2^65), then two more quotient bits and a sticky remainder.
                let q = (a << 64) / b;
                let r = (a << 64) % b;
                let q2 = (r << 2) / b;
                let r2 = (r << 2) % b;
                Ext::round((q << 2) | q2, ea - eb - 66, r2 != 0)
            }
        }
    }

    fn add(self, other: Ext) -> Ext {
        match (self, other) {
            (Ext::Inf, _) | (_, Ext::Inf) => Ext::Inf,
            (Ext::Zero, x) | (x, Ext::Zero) => x,
            (Ext::Finite { mant: a, exp: ea }, Ext::Finite { mant: b, exp: eb }) => {
                let top_a = ea + bit_len(u128::from(a)) - 1;
                let top_b = eb + bit_len(u128::from(b)) - 1;
                let ((hi, ehi), (lo, elo)) = if top_a >= top_b {
                    ((a, ea), (b, eb))
                } else {
                    ((b, eb), (a, ea))
                };
                // Place the larger operand's top bit at bit 125 or lower, align the other.
                let base = ehi - 62;
                let vh = u128::from(hi) << 62;
                let (vl, sticky) = if elo >= base {
                    (u128::from(lo) << (elo - base), false)
                } else {
                    let shift = base - elo;
                    if shift > 127 {
                        (0, true)
                    } else {
                        let lo = u128::from(lo);
                        (lo >> shift, lo & ((1u128 << shift) - 1) != 0)
                    }
                };
                Ext::round(vh + vl, base, sticky)
            }
        }
    }

    /// `(double)x`: round to nearest even, with subnormal results and overflow to infinity.
    fn to_f64(self) -> f64 {
        let (mant, exp) = match self {
            Ext::Zero => return 0.0,
            Ext::Inf => return f64::INFINITY,
            Ext::Finite { mant, exp } => (u128::from(mant), exp),
        };
        let top = exp + bit_len(mant) - 1;
        let mut lsb = (top - 52).max(-1074);
        let mut q = if lsb <= exp {
            mant << (exp - lsb)
        } else {
            let shift = lsb - exp;
            if shift > 127 {
                return 0.0;
            }
            let q = mant >> shift;
            let rem = mant & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            q + u128::from(rem > half || (rem == half && q & 1 == 1))
        };
        if q >> 53 != 0 {
            q >>= 1;
            lsb += 1;
        }
        if q == 0 {
            return 0.0;
        }
        if q >> 52 == 0 {
            // Subnormal (lsb is -1074).
            return f64::from_bits(q as u64);
        }
        let biased = lsb + 1075;
        if biased >= 0x7ff {
            return f64::INFINITY;
        }
        f64::from_bits(((biased as u64) << 52) | (q as u64 & ((1 << 52) - 1)))
    }

    /// `(uint64_t)x`: truncation toward zero (only used below 2^64).
    fn to_u64_trunc(self) -> u64 {
        match self {
            Ext::Zero => 0,
            Ext::Inf => u64::MAX,
            Ext::Finite { mant, exp } => {
                if exp >= 64 || (exp >= 0 && (mant.leading_zeros() as i32) < exp) {
                    u64::MAX
                } else if exp >= 0 {
                    mant << exp
                } else if exp <= -64 {
                    0
                } else {
                    mant >> (-exp) as u32
                }
            }
        }
    }

    /// `mp_decimal_exp` in `MICROPY_FLOAT_FORMAT_IMPL_EXACT`: `num * 10^dec_exp`, with the power
    /// built by repeated squaring and each set bit applied as it is reached.
    fn decimal_exp(self, dec_exp: i32) -> Ext {
        if dec_exp == 0 || self == Ext::Zero {
            return self;
        }
        let neg = dec_exp < 0;
        let mut n = dec_exp.unsigned_abs();
        let mut res = self;
        let mut expo = Ext::TEN;
        while n != 0 {
            if n & 1 != 0 {
                res = if neg { res.div(expo) } else { res.mul(expo) };
            }
            n >>= 1;
            if n != 0 {
                expo = expo.mul(expo);
            }
        }
        res
    }
}

// ---------------------------------------------------------------------------------------------
// Floats (mp_parse_float_internal, mp_parse_num_decimal)
// ---------------------------------------------------------------------------------------------

/// Digits accumulate in the u64 mantissa while it is below this (so `10 * m + 9` cannot
/// overflow); later digits only move the exponent.
const MANTISSA_MAX: u64 = 0x1999_9999_9999_9998;

#[derive(Clone, Copy, PartialEq, Eq)]
enum DecPart {
    Int,
    Frac,
    Exp,
}

/// Adds one mantissa digit (or, once the mantissa is full, drops it and adjusts the exponent).
fn accept_digit(mantissa: u64, dig: u64, exp_extra: &mut i32, part: DecPart) -> u64 {
    if mantissa < MANTISSA_MAX {
        if part == DecPart::Frac {
            *exp_extra = exp_extra.wrapping_sub(1);
        }
        10 * mantissa + dig
    } else {
        if part == DecPart::Int {
            *exp_extra = exp_extra.wrapping_add(1);
        }
        mantissa
    }
}

/// `mp_parse_float_internal`: parses an unsigned decimal (`123`, `1.5`, `.5e-3`, `_` skipped)
/// and returns its value and the index where parsing stopped, or `None` when an exponent
/// marker is not followed by anything.
fn parse_float_internal(s: &[u8]) -> Option<(f64, usize)> {
    let top = s.len();
    let mut i = 0;
    let mut part = DecPart::Int;
    let mut exp_neg = false;
    let mut mantissa: u64 = 0;
    let mut exp_val: i32 = 0;
    let mut exp_extra: i32 = 0;
    let mut zeros_int: i32 = 0;
    let mut zeros_frac: i32 = 0;
    while i < top {
        let c = s[i];
        i += 1;
        if c.is_ascii_digit() {
            let dig = u64::from(c - b'0');
            if part == DecPart::Exp {
                // Saturate: the result is already 0 or inf.
                if exp_val < (i32::MAX / 2 - 9) / 10 {
                    exp_val = 10 * exp_val + dig as i32;
                }
            } else if dig == 0 || mantissa >= MANTISSA_MAX {
                // Defer zeros (and digits beyond the mantissa's precision).
                if part == DecPart::Int {
                    zeros_int = zeros_int.wrapping_add(1);
                } else {
                    zeros_frac = zeros_frac.wrapping_add(1);
                }
            } else {
                while zeros_int > 0 {
                    mantissa = accept_digit(mantissa, 0, &mut exp_extra, DecPart::Int);
                    zeros_int -= 1;
                }
                while zeros_frac > 0 {
                    mantissa = accept_digit(mantissa, 0, &mut exp_extra, DecPart::Frac);
                    zeros_frac -= 1;
                }
                mantissa = accept_digit(mantissa, dig, &mut exp_extra, part);
            }
        } else if part == DecPart::Int && c == b'.' {
            part = DecPart::Frac;
        } else if part != DecPart::Exp && c | 0x20 == b'e' {
            part = DecPart::Exp;
            if i < top {
                if s[i] == b'+' {
                    i += 1;
                } else if s[i] == b'-' {
                    i += 1;
                    exp_neg = true;
                }
            }
            if i == top {
                return None;
            }
        } else if c == b'_' {
            continue;
        } else {
            i -= 1;
            break;
        }
    }
    if exp_neg {
        exp_val = -exp_val;
    }
    exp_val = exp_val.wrapping_add(exp_extra).wrapping_add(zeros_int);
    let value = Ext::from_u64(mantissa).decimal_exp(exp_val).to_f64();
    Some((value, i))
}

/// A float-or-imaginary literal's value: MicroPython makes a float, or for a `j` suffix the
/// complex number `0 + value*j`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FloatLiteral {
    Float(f64),
    Imag(f64),
}

/// `mp_parse_num_decimal(.., allow_imag, force_complex = false)`.
fn parse_num_decimal(s: &[u8], allow_imag: bool) -> Result<FloatLiteral, NumError> {
    let top = s.len();
    let (mut i, neg) = skip_space_and_sign(s);
    let start = i;
    let word_at = |at: usize, word: &[u8]| {
        s.get(at..at + word.len())
            .is_some_and(|w| w.iter().zip(word).all(|(&c, &x)| c | 0x20 == x))
    };
    let mut value;
    // `inf`, `infinity` and `nan` in any case (as complete words only where they fit).
    if word_at(i, b"inf") {
        i += 3;
        value = f64::INFINITY;
        if word_at(i, b"inity") {
            i += 5;
        }
    } else if word_at(i, b"nan") {
        i += 3;
        value = f64::NAN;
    } else {
        let (v, used) = parse_float_internal(&s[i..]).ok_or(NumError::InvalidNumber)?;
        value = v;
        i += used;
    }
    let mut imag = false;
    if allow_imag && i < top && s[i] | 0x20 == b'j' {
        if i == start {
            value = 1.0;
        }
        i += 1;
        imag = true;
    }
    if neg {
        value = -value;
    }
    if i == start {
        return Err(NumError::InvalidNumber);
    }
    while i < top && is_space(s[i]) {
        i += 1;
    }
    if i != top {
        return Err(NumError::InvalidNumber);
    }
    Ok(if imag {
        FloatLiteral::Imag(value)
    } else {
        FloatLiteral::Float(value)
    })
}

/// Parses a float-or-imaginary literal as written in source (`1.5`, `.5`, `1e-3`, `1_000.0`,
/// `2j`, `1.5e3J`): underscores are dropped as MicroPython's lexer does, then
/// `mp_parse_num_float(.., allow_imag = true)` semantics apply (e.g. `1ej` is `1j`).
pub fn parse_float_literal(text: &str) -> Result<FloatLiteral, NumError> {
    parse_num_decimal(&without_underscores(text), true)
}

/// `float(text)`: MicroPython's parse of a real decimal (also `inf`, `infinity`, `nan` in any
/// case, a sign, surrounding whitespace; `_` skipped), bit for bit. A `j` suffix is an error.
pub fn parse_float(text: &str) -> Result<f64, NumError> {
    match parse_num_decimal(text.as_bytes(), false)? {
        FloatLiteral::Float(f) => Ok(f),
        FloatLiteral::Imag(_) => Err(NumError::InvalidNumber),
    }
}

/// The imaginary part of an imaginary literal (`2j` gives 2.0); the text must end in `j`/`J`.
/// Underscores are dropped as for [`parse_float_literal`].
pub fn parse_imag(text: &str) -> Result<f64, NumError> {
    match parse_float_literal(text)? {
        FloatLiteral::Imag(f) => Ok(f),
        FloatLiteral::Float(_) => Err(NumError::InvalidNumber),
    }
}

/// A number literal's value, as MicroPython's parser makes it.
#[derive(Clone, Debug, PartialEq)]
pub enum NumberLiteral {
    Int(IntValue),
    Float(f64),
    /// `x j`: the complex number `0 + x*j`.
    Imag(f64),
}

/// Parses a whole number token as MicroPython's lexer collects it (underscores included):
/// classifies it as the lexer does (`MP_TOKEN_INTEGER` unless it starts with `.` or contains
/// `.`, `j`, `J`, or an `e`/`E` that is not part of a `0x`/`0o`/`0b` literal), then parses it
/// with [`parse_int`] or [`parse_float_literal`].
pub fn parse_literal(text: &str) -> Result<NumberLiteral, NumError> {
    let b = text.as_bytes();
    let forced_integer = b.len() >= 2 && b[0] == b'0' && matches!(b[1] | 0x20, b'b' | b'o' | b'x');
    let is_float = b
        .iter()
        .any(|&c| c == b'.' || c | 0x20 == b'j' || (!forced_integer && c | 0x20 == b'e'));
    if is_float {
        Ok(match parse_float_literal(text)? {
            FloatLiteral::Float(f) => NumberLiteral::Float(f),
            FloatLiteral::Imag(f) => NumberLiteral::Imag(f),
        })
    } else {
        parse_int(text).map(NumberLiteral::Int)
    }
}

// ---------------------------------------------------------------------------------------------
// repr (mp_format_float in repr mode, float_print, complex_print)
// ---------------------------------------------------------------------------------------------

/// Significant digits `repr` may use (a u64 holds 19 decimal digits).
const MAX_MANTISSA_DIGITS: i32 = 19;
/// Significant digits tried first.
const SAFE_MANTISSA_DIGITS: i32 = 16;
/// Exponents below this print as plain digits (`1e+16` but `1000000000000000.0`).
const REPR_MAX_EXP_ZEROS: i32 = 16;

/// A byte buffer that ignores writes past its end, so no index can panic.
struct Buf {
    bytes: [u8; 64],
}

impl Buf {
    fn set(&mut self, i: i32, b: u8) {
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| self.bytes.get_mut(i)) {
            *slot = b;
        }
    }

    fn get(&self, i: i32) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.bytes.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// `mp_format_mantissa` for the `g` format: writes `mantissa` (with `num_digits` digits, the
/// point after digit `dec`, decimal exponent `e`) into `buf`, returns the length.
#[allow(clippy::too_many_arguments)]
fn format_mantissa(
    buf: &mut Buf,
    mut mantissa: u64,
    mantissa_cap: u64,
    mut num_digits: i32,
    max_exp_zeros: i32,
    mut trailing_zeros: i32,
    mut dec: i32,
    mut e: i32,
) -> i32 {
    let mut s: i32 = 0;
    if mantissa != 0 && mantissa >= mantissa_cap {
        // Rounding produced an extra digit.
        mantissa /= 10;
        e += 1;
    }
    if e != 0 {
        if e >= 0 {
            if e < max_exp_zeros {
                dec += e;
                if dec >= num_digits {
                    trailing_zeros = dec - (num_digits - 1);
                }
                e = 0;
            }
        } else if e >= -4 {
            let mut cnt = 0;
            #[allow(clippy::manual_is_multiple_of)] // MSRV 1.80
            while e < 0 && mantissa % 10 == 0 {
                mantissa /= 10;
                cnt += 1;
                e += 1;
            }
            num_digits -= cnt;
            buf.set(s, b'0');
            buf.set(s + 1, b'.');
            s += 2;
            for _ in 0..(cnt - e - 1).max(0) {
                buf.set(s, b'0');
                s += 1;
            }
            dec = 255;
            e = 0;
        }
    }
    for digit in (0..num_digits).rev() {
        let ofs = if digit > dec { digit + 1 } else { digit };
        buf.set(s + ofs, b'0' + (mantissa % 10) as u8);
        mantissa /= 10;
    }
    let mut dot = dec >= 255;
    if dec + 1 < num_digits {
        dot = true;
        s += 1;
        buf.set(s + dec, b'.');
    }
    s += num_digits;
    if trailing_zeros > 0 {
        dec -= num_digits - 1;
        for _ in 0..trailing_zeros {
            if dec == 0 {
                buf.set(s, b'.');
                s += 1;
                dot = true;
            }
            dec -= 1;
            buf.set(s, b'0');
            s += 1;
        }
    }
    if dot {
        while s > 0 && buf.get(s - 1) == b'0' {
            s -= 1;
        }
        if s > 0 && buf.get(s - 1) == b'.' {
            s -= 1;
        }
    }
    if e != 0 {
        buf.set(s, b'e');
        buf.set(s + 1, if e >= 0 { b'+' } else { b'-' });
        s += 2;
        let e = e.unsigned_abs();
        if e >= 100 {
            buf.set(s, b'0' + (e / 100 % 10) as u8);
            s += 1;
        }
        buf.set(s, b'0' + (e / 10 % 10) as u8);
        buf.set(s + 1, b'0' + (e % 10) as u8);
        s += 2;
    }
    s
}

/// The exponent field of a double minus the bias (`fp_expval`; -1023 for 0 and subnormals).
fn exp_field(f: f64) -> i32 {
    ((f.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

/// `mp_format_float(f, .., 'g', MP_FLOAT_REPR_PREC, sign)` without `PF_FLAG_ALWAYS_DECIMAL`.
fn format_repr(f: f64, sign: Option<char>) -> String {
    let mut out = String::new();
    let mut f = f;
    let mut sign = sign;
    if f.is_sign_negative() && !f.is_nan() {
        f = -f;
        sign = Some('-');
    }
    if let Some(c) = sign {
        out.push(c);
    }
    if f.is_infinite() {
        out.push_str("inf");
        return out;
    }
    if f.is_nan() {
        out.push_str("nan");
        return out;
    }

    // The decimal exponent: a guess from the binary exponent, corrected against powers of ten
    // computed in extended precision and rounded to double.
    let mut e: i32 = 0;
    if f != 0.0 {
        // MicroPython's constant 0.3010299956639812 is this double.
        e = (f64::from(exp_field(f)) * std::f64::consts::LOG10_2) as i32;
        let positive = f >= 1.0;
        let step = if positive { 1 } else { -1 };
        let power = |e: i32| Ext::ONE.decimal_exp(e + i32::from(positive)).to_f64();
        let mut u_base = power(e);
        while (f >= u_base) == positive {
            e += step;
            u_base = power(e);
        }
    }

    let max_digits = MAX_MANTISSA_DIGITS;
    let mut num_digits = SAFE_MANTISSA_DIGITS;
    let mut buf = Buf { bytes: [0; 64] };
    loop {
        let extra_zeros = max_digits - num_digits;
        let decexp = if f == 0.0 { 0 } else { num_digits - e - 1 };
        let mantissa_cap = 10u64.pow(num_digits as u32);
        let mantissa_f = Ext::from_f64(f).decimal_exp(decexp);
        let mantissa = mantissa_f.add(Ext::HALF).to_u64_trunc();
        let len = format_mantissa(
            &mut buf,
            mantissa,
            mantissa_cap,
            num_digits,
            REPR_MAX_EXP_ZEROS,
            extra_zeros,
            0,
            e,
        );
        let text = buf.bytes.get(..len.max(0) as usize).unwrap_or(&[]);
        if num_digits < max_digits {
            // Not exact at this precision: try one more digit.
            let check = parse_float_internal(text).map(|(v, _)| v);
            if check != Some(f) {
                num_digits += 1;
                continue;
            }
        }
        out.extend(text.iter().map(|&b| char::from(b)));
        return out;
    }
}

/// `repr(float)` in MicroPython 1.29 (double precision, exact format): the text mpy-cross
/// stores for a float constant in a `.mpy`. Up to 19 significant digits, `e+NN` exponents
/// from 1e16 and below 1e-4, `.0` added to integral values, `inf`, `-inf`, `nan`.
pub fn float_repr(f: f64) -> String {
    let mut s = format_repr(f, None);
    if !s.contains(['.', 'e', 'n']) {
        s.push_str(".0");
    }
    s
}

/// `repr(complex)` as MicroPython prints it (and mpy-cross stores complex constants):
/// `2j`, `-0j`, `(1+2j)`, `(nan+infj)`. A real part equal to zero (either sign) is omitted.
pub fn complex_repr(re: f64, im: f64) -> String {
    if re != 0.0 {
        let mut s = String::from("(");
        s.push_str(&format_repr(re, None));
        s.push_str(&format_repr(im, Some('+')));
        s.push_str("j)");
        s
    } else {
        let mut s = format_repr(im, None);
        s.push('j');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_arithmetic_is_exact_where_it_must_be() {
        assert_eq!(Ext::from_u64(10), Ext::TEN);
        assert_eq!(Ext::ONE.decimal_exp(22).to_f64(), 1e22);
        assert_eq!(Ext::from_f64(0.5), Ext::HALF);
        assert_eq!(Ext::from_f64(5e-324).to_f64(), 5e-324);
        assert_eq!(Ext::from_f64(f64::MAX).to_f64(), f64::MAX);
        assert_eq!(Ext::from_u64(7).div(Ext::from_u64(7)), Ext::ONE);
        assert_eq!(Ext::from_u64(3).add(Ext::HALF).to_u64_trunc(), 3);
        assert_eq!(Ext::ONE.decimal_exp(5000), Ext::Inf);
        assert_eq!(Ext::ONE.decimal_exp(-5000).to_f64(), 0.0);
    }
}
