//! Constant folding arithmetic: the int and float operations MicroPython's parser folds
//! (`fold_constants` in `py/parse.c`), with the runtime semantics mpy-cross computes them with
//! (`mp_binary_op` in `py/runtime.c`, `py/objint_mpz.c`, `mp_obj_float_binary_op` in
//! `py/objfloat.c`, on a 64-bit host with double floats).
//!
//! MicroPython folds by calling the runtime and giving up when it raises (division by zero,
//! negative shift, unsupported operand, a complex result, or running out of its 2 MB heap).
//! Here an operation returns `None` in those cases. Where we differ: MicroPython's memory
//! limit depends on its heap; we refuse results larger than [`MAX_FOLD_BITS`].

use num_bigint::{BigInt, Sign};
use num_traits::{One, Signed, ToPrimitive, Zero};

/// Integer results above this many bits are not folded (MicroPython runs out of heap for
/// results of a few megabytes; the exact point depends on its heap).
pub const MAX_FOLD_BITS: u64 = 1 << 23;

/// A number the parser can fold.
#[derive(Clone, Debug, PartialEq)]
pub enum Num {
    /// An int as the runtime normally holds it: a small int when it fits the host's 63 bits,
    /// else an mpz.
    Int(BigInt),
    /// An mpz whose value would fit a small int. Unary operators on an mpz do not convert
    /// their result back to a small int (`-4611686018427387904`: the literal overflows, its
    /// negation is the smallest small int but stays an mpz), and the parser then keeps such a
    /// value as a constant object even where a small int would do.
    Mpz(BigInt),
    Float(f64),
}

/// The smallest and largest small ints of mpy-cross's 64-bit host.
const HOST_SMALL_INT_MIN: i64 = -(1 << 62);
const HOST_SMALL_INT_MAX: i64 = (1 << 62) - 1;

/// Whether the runtime holds the int `v` as an mpz object.
fn is_mpz(n: &Num) -> bool {
    match n {
        Num::Mpz(_) => true,
        Num::Int(v) => v
            .to_i64()
            .is_none_or(|v| !(HOST_SMALL_INT_MIN..=HOST_SMALL_INT_MAX).contains(&v)),
        Num::Float(_) => false,
    }
}

/// The binary operators that folding handles, in MicroPython's token order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    Xor,
    And,
    LShift,
    RShift,
    Add,
    Sub,
    Mul,
    MatMul,
    FloorDiv,
    TrueDiv,
    Mod,
    Pow,
}

/// The unary operators that folding handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Pos,
    Neg,
    Invert,
}

/// `mpz_as_float`: accumulates 32-bit digits from the most significant, rounding at each step
/// (not always the correctly rounded value for ints above 64 bits).
pub fn int_to_float(v: &BigInt) -> f64 {
    let (sign, digits) = v.to_u32_digits();
    let mut val = 0.0f64;
    for &d in digits.iter().rev() {
        val = val * 4294967296.0 + f64::from(d);
    }
    if sign == Sign::Minus {
        -val
    } else {
        val
    }
}

fn to_float(n: &Num) -> f64 {
    match n {
        Num::Int(i) | Num::Mpz(i) => int_to_float(i),
        Num::Float(f) => *f,
    }
}

/// `mp_unary_op` for `+`, `-`, `~` (`None` for `~` of a float, which raises).
pub fn unary_op(op: UnaryOp, a: Num) -> Option<Num> {
    let mpz = is_mpz(&a);
    let wrap = |v: BigInt| if mpz { Num::Mpz(v) } else { Num::Int(v) };
    match (op, a) {
        (UnaryOp::Pos, a) => Some(a),
        (UnaryOp::Neg, Num::Int(i) | Num::Mpz(i)) => Some(wrap(-i)),
        (UnaryOp::Neg, Num::Float(f)) => Some(Num::Float(-f)),
        (UnaryOp::Invert, Num::Int(i) | Num::Mpz(i)) => Some(wrap(-i - 1)),
        (UnaryOp::Invert, Num::Float(_)) => None,
    }
}

/// `mp_binary_op` restricted to ints and floats; `None` where MicroPython raises or the result
/// is not an int or a float. Int results are normalised ([`Num::Int`]).
pub fn binary_op(op: BinOp, a: &Num, b: &Num) -> Option<Num> {
    match (a, b) {
        (Num::Int(x) | Num::Mpz(x), Num::Int(y) | Num::Mpz(y)) => int_op(op, x, y),
        _ => float_op(op, to_float(a), to_float(b)).map(Num::Float),
    }
}

fn bits(v: &BigInt) -> u64 {
    v.bits()
}

fn int_op(op: BinOp, x: &BigInt, y: &BigInt) -> Option<Num> {
    let r = match op {
        BinOp::Or => x | y,
        BinOp::Xor => x ^ y,
        BinOp::And => x & y,
        BinOp::LShift => {
            if y.is_negative() {
                return None;
            }
            // The shift count must fit a machine int (else OverflowError).
            let n = y.to_i64()?;
            if x.is_zero() {
                BigInt::zero()
            } else {
                if bits(x).saturating_add(n as u64) > MAX_FOLD_BITS {
                    return None;
                }
                x << (n as u64)
            }
        }
        BinOp::RShift => {
            if y.is_negative() {
                return None;
            }
            let n = y.to_i64()?;
            // Floor division by a power of two, as Python (and mpz) define it.
            if (n as u64) > bits(x) {
                if x.is_negative() {
                    -BigInt::one()
                } else {
                    BigInt::zero()
                }
            } else {
                x >> (n as u64)
            }
        }
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => {
            if bits(x) + bits(y) > MAX_FOLD_BITS {
                return None;
            }
            x * y
        }
        BinOp::MatMul => return None,
        BinOp::FloorDiv => {
            if y.is_zero() {
                return None;
            }
            floor_divmod(x, y).0
        }
        BinOp::TrueDiv => {
            if y.is_zero() {
                return None;
            }
            return Some(Num::Float(int_true_divide(x, y)));
        }
        BinOp::Mod => {
            if y.is_zero() {
                return None;
            }
            floor_divmod(x, y).1
        }
        BinOp::Pow => {
            if y.is_negative() {
                // A negative power goes to float arithmetic.
                return float_op(BinOp::Pow, int_to_float(x), int_to_float(y)).map(Num::Float);
            }
            if x.is_zero() || x.is_one() {
                return Some(Num::Int(if y.is_zero() {
                    BigInt::one()
                } else {
                    x.clone()
                }));
            }
            if *x == -BigInt::one() {
                return Some(Num::Int(if !y.bit(0) { BigInt::one() } else { x.clone() }));
            }
            let e = y.to_u64()?;
            if bits(x).saturating_mul(e) > MAX_FOLD_BITS {
                return None;
            }
            num_traits::pow::Pow::pow(x, e)
        }
    };
    Some(Num::Int(r))
}

/// Division rounding towards negative infinity, and the matching remainder (`y` is not 0).
fn floor_divmod(x: &BigInt, y: &BigInt) -> (BigInt, BigInt) {
    let mut q = x / y;
    let mut r = x % y;
    if !r.is_zero() && (r.is_negative() != y.is_negative()) {
        q -= 1;
        r += y;
    }
    (q, r)
}

/// Int true division: both small ints (63-bit on the host) are converted with a C cast, big
/// ones with `mpz_as_float`; the two agree for values below 2**64.
fn int_true_divide(x: &BigInt, y: &BigInt) -> f64 {
    int_to_float(x) / int_to_float(y)
}

/// `mp_obj_float_divmod`'s floor division.
fn float_floor_divide(x: f64, y: f64) -> f64 {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m == 0.0 {
        m = 0.0f64.copysign(y);
    } else if (m < 0.0) != (y < 0.0) {
        m += y;
        div -= 1.0;
    }
    let _ = m;
    if div == 0.0 {
        0.0f64.copysign(x / y)
    } else {
        let mut floordiv = div.floor();
        if div - floordiv > 0.5 {
            floordiv += 1.0;
        }
        floordiv
    }
}

/// `mp_obj_float_binary_op`.
fn float_op(op: BinOp, x: f64, y: f64) -> Option<f64> {
    Some(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::FloorDiv => {
            if y == 0.0 {
                return None;
            }
            float_floor_divide(x, y)
        }
        BinOp::TrueDiv => {
            if y == 0.0 {
                return None;
            }
            x / y
        }
        BinOp::Mod => {
            if y == 0.0 {
                return None;
            }
            let m = x % y;
            if m == 0.0 {
                0.0f64.copysign(y)
            } else if (m < 0.0) != (y < 0.0) {
                m + y
            } else {
                m
            }
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 && !y.is_infinite() {
                return None;
            }
            if x < 0.0 && y != y.floor() && !y.is_nan() {
                // A complex result: not folded.
                return None;
            }
            x.powf(y)
        }
        BinOp::Or | BinOp::Xor | BinOp::And | BinOp::LShift | BinOp::RShift | BinOp::MatMul => {
            return None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(v: i64) -> Num {
        Num::Int(BigInt::from(v))
    }

    #[test]
    fn python_semantics() {
        assert_eq!(binary_op(BinOp::FloorDiv, &i(-7), &i(2)), Some(i(-4)));
        assert_eq!(binary_op(BinOp::Mod, &i(-7), &i(2)), Some(i(1)));
        assert_eq!(binary_op(BinOp::RShift, &i(-7), &i(100)), Some(i(-1)));
        assert_eq!(binary_op(BinOp::RShift, &i(-7), &i(1)), Some(i(-4)));
        assert_eq!(binary_op(BinOp::LShift, &i(1), &i(-1)), None);
        assert_eq!(binary_op(BinOp::TrueDiv, &i(1), &i(0)), None);
        assert_eq!(binary_op(BinOp::Pow, &i(2), &i(-1)), Some(Num::Float(0.5)));
        assert_eq!(binary_op(BinOp::Pow, &i(0), &i(-1)), None);
        assert_eq!(
            binary_op(BinOp::Pow, &Num::Float(-8.0), &Num::Float(0.5)),
            None
        );
        assert_eq!(binary_op(BinOp::MatMul, &i(1), &i(2)), None);
        assert_eq!(
            binary_op(BinOp::Mod, &Num::Float(-1.0), &Num::Float(3.0)),
            Some(Num::Float(2.0))
        );
        assert_eq!(
            binary_op(BinOp::FloorDiv, &Num::Float(7.5), &i(2)),
            Some(Num::Float(3.0))
        );
        assert_eq!(unary_op(UnaryOp::Invert, i(5)), Some(i(-6)));
        assert_eq!(binary_op(BinOp::Pow, &i(2), &i(100_000_000)), None);
        assert_eq!(binary_op(BinOp::Pow, &i(-1), &i(1 << 40)), Some(i(1)));
        let big = Num::Int(BigInt::from(1u64 << 62));
        assert_eq!(
            unary_op(UnaryOp::Neg, big),
            Some(Num::Mpz(BigInt::from(-(1i64 << 62))))
        );
        assert_eq!(unary_op(UnaryOp::Neg, i(-(1 << 62))), Some(i(1 << 62)));
    }
}
