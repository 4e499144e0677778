//! `float` (feature `float`): f64 values in the heap, arithmetic, and the elementary
//! functions `core` lacks in `no_std` builds.
//!
//! Corresponds to MicroPython's `py/objfloat.c` (arithmetic, comparison, hashing) and
//! `lib/libm` (the maths). Formatting and parsing are in [`crate::print`] and
//! [`crate::print::parse_float`].
//!
//! Layout: `[header (LEAF), f64 bits]` (the bits take two words on 32-bit targets).
//!
//! Where we differ: MicroPython may store floats in the object word (repr C/D); we always
//! box them. `floor`/`sqrt`/`exp`/`log`/`pow` are our own routines (correctly rounded for
//! floor/ceil/trunc/sqrt, within an ulp or two for the others).
#![allow(clippy::excessive_precision)] // published approximation coefficients

use crate::builtins::{getter, method, NativeDef};
use crate::gc::WORD;
use crate::obj::{header, Obj, TypeId};
use crate::vm::Vm;
use crate::{q, PyResult};
use upyc_bytecode::opcode::{BinaryOp, UnaryOp};

impl<'h> Vm<'h> {
    /// A new float object when that takes no search or collection (one heap block on
    /// 64-bit little-endian hosts); `None`: call [`Vm::new_float`]. Always inlined, so the
    /// dispatch loop's float path has it without a call.
    #[cfg_attr(target_pointer_width = "64", inline(always))]
    #[cfg_attr(not(target_pointer_width = "64"), inline)]
    pub(crate) fn new_float_fast(&mut self, v: f64) -> Option<Obj> {
        #[cfg(all(target_pointer_width = "64", target_endian = "little"))]
        return self.alloc_block_fast(
            header::make(TypeId::FLOAT, header::LEAF),
            v.to_bits() as usize,
        );
        #[cfg(not(all(target_pointer_width = "64", target_endian = "little")))]
        {
            let _ = v;
            None
        }
    }

    /// A new float object.
    pub fn new_float(&mut self, v: f64) -> PyResult<Obj> {
        if let Some(o) = self.new_float_fast(v) {
            return Ok(o);
        }
        let o = self.alloc(TypeId::FLOAT, header::LEAF, 1 + 8usize.div_ceil(WORD))?;
        let bits = v.to_bits();
        if cfg!(all(target_pointer_width = "64", target_endian = "little")) {
            // The same bytes, as one word store.
            self.heap.set(o, 1, bits as usize);
        } else {
            self.heap
                .bytes_mut(o.offset() + WORD, 8)
                .copy_from_slice(&bits.to_le_bytes());
        }
        Ok(o)
    }

    /// Whether `o` is a float.
    pub fn is_float(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::FLOAT
    }

    /// The value of a float object.
    #[inline]
    pub fn float_value(&self, o: Obj) -> f64 {
        if cfg!(all(target_pointer_width = "64", target_endian = "little")) {
            return f64::from_bits(self.heap.get(o, 1) as u64);
        }
        let mut a = [0u8; 8];
        if let Some(b) = self.heap.bytes(o.offset() + WORD, 8).get(..8) {
            a.copy_from_slice(b);
        }
        f64::from_le_bytes(a)
    }

    /// A number (int, bool or float) as f64.
    pub fn to_f64(&mut self, o: Obj) -> PyResult<f64> {
        if self.is_float(o) {
            return Ok(self.float_value(o));
        }
        if self.is_int(o) {
            return Ok(self.int_to_f64(o));
        }
        let fo = self.native_base(o, TypeId::FLOAT);
        if fo != o {
            return self.to_f64(fo);
        }
        if let Some(m) = self.lookup_special(o, q!("__float__")) {
            let r = self.call(m, &[o], Obj::NULL)?;
            if self.is_float(r) {
                return Ok(self.float_value(r));
            }
        }
        Err(self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                crate::vm::Fmt::S("can't convert "),
                crate::vm::Fmt::T(o),
                crate::vm::Fmt::S(" to float"),
            ],
        ))
    }

    /// Binary operation with a float left value; `None` means NotImplemented.
    pub(crate) fn float_binary_op(
        &mut self,
        op: BinaryOp,
        x: f64,
        b: Obj,
    ) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        #[cfg(feature = "complex")]
        if self.is_complex(b) {
            return self.complex_binary_op(op, (x, 0.0), b);
        }
        let y = if self.is_float(b) {
            self.float_value(b)
        } else if self.is_int(b) {
            self.int_to_f64(b)
        } else {
            return Ok(None);
        };
        let op = crate::obj::int::normal_op(op);
        let r = match op {
            B::Add => x + y,
            B::Subtract => x - y,
            B::Multiply => x * y,
            B::TrueDivide => {
                if y == 0.0 {
                    return Err(self.raise(TypeId::ZERO_DIVISION_ERROR, "divide by zero"));
                }
                x / y
            }
            B::FloorDivide | B::Modulo | B::Divmod => {
                if y == 0.0 {
                    return Err(self.raise(TypeId::ZERO_DIVISION_ERROR, "divide by zero"));
                }
                let (q, m) = float_divmod(x, y);
                match op {
                    B::FloorDivide => q,
                    B::Modulo => m,
                    _ => {
                        let qo = self.new_float(q)?;
                        let mark = self.roots_mark();
                        self.root(qo)?;
                        let mo = self.new_float(m);
                        self.unroot_to(mark);
                        let mo = mo?;
                        return self.new_tuple(&[qo, mo]).map(Some);
                    }
                }
            }
            B::Power => {
                if x == 0.0 && y < 0.0 {
                    return Err(self.raise(TypeId::ZERO_DIVISION_ERROR, "0.0 to a negative power"));
                }
                if x < 0.0 && y != trunc(y) {
                    #[cfg(feature = "complex")]
                    return self.complex_binary_op(op, (x, 0.0), b);
                    #[cfg(not(feature = "complex"))]
                    return Err(self.raise(TypeId::VALUE_ERROR, "math domain error"));
                }
                powf(x, y)
            }
            B::Less => return Ok(Some(Obj::bool(x < y))),
            B::More => return Ok(Some(Obj::bool(x > y))),
            B::LessEqual => return Ok(Some(Obj::bool(x <= y))),
            B::MoreEqual => return Ok(Some(Obj::bool(x >= y))),
            B::Equal => return Ok(Some(Obj::bool(x == y))),
            B::NotEqual => return Ok(Some(Obj::bool(x != y))),
            _ => return Ok(None),
        };
        self.new_float(r).map(Some)
    }

    /// Unary operation on a float.
    pub(crate) fn float_unary_op(&mut self, op: UnaryOp, a: Obj) -> PyResult<Option<Obj>> {
        let x = self.float_value(a);
        match op {
            UnaryOp::Positive | UnaryOp::FloatMaybe => Ok(Some(a)),
            UnaryOp::Negative => self.new_float(-x).map(Some),
            UnaryOp::Abs => self.new_float(fabs(x)).map(Some),
            UnaryOp::Bool => Ok(Some(Obj::bool(x != 0.0))),
            UnaryOp::Hash => Ok(Some(Obj::small_unchecked(float_hash(x) as isize))),
            UnaryOp::IntMaybe => self.float_to_int(x).map(Some),
            _ => Ok(None),
        }
    }

    /// `int(x)` for a float: truncate, raising for inf/nan.
    pub(crate) fn float_to_int(&mut self, x: f64) -> PyResult<Obj> {
        if x.is_nan() {
            return Err(self.raise(TypeId::VALUE_ERROR, "can't convert NaN to int"));
        }
        if x.is_infinite() {
            return Err(self.raise(TypeId::OVERFLOW_ERROR, "can't convert inf to int"));
        }
        let t = trunc(x);
        if fabs(t) < 1.0e38 {
            return self.new_int(t as i128);
        }
        #[cfg(feature = "bigint")]
        {
            self.float_to_big(t)
        }
        #[cfg(not(feature = "bigint"))]
        Err(self.raise(TypeId::OVERFLOW_ERROR, "small int overflow"))
    }

    /// [`Vm::float_to_int`] for an integral `t` beyond the i128 range (out of line: its
    /// `Big` stays off the common path's stack).
    #[cfg(feature = "bigint")]
    #[inline(never)]
    fn float_to_big(&mut self, t: f64) -> PyResult<Obj> {
        {
            let bits = t.to_bits();
            let e = ((bits >> 52) & 0x7ff) as i64 - 1075;
            let m = (bits & ((1 << 52) - 1)) | (1 << 52);
            let b = crate::obj::bigint::Big::from_i128(m as i128);
            let r = match crate::obj::bigint::Big::shl(&b, e.max(0) as usize) {
                Ok(mut r) => {
                    r.neg = t < 0.0;
                    r
                }
                Err(_) => return Err(self.too_big()),
            };
            self.big_to_obj(&r)
        }
    }
}

/// Python's float floor division and modulo.
pub fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = fmod(x, y);
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = if y < 0.0 { -0.0 } else { 0.0 };
    }
    let q = if div != 0.0 {
        let f = floor(div);
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else if x / y < 0.0 {
        -0.0
    } else {
        0.0
    };
    (q, m)
}

/// Hash of a float: equal to the int hash for integral values.
pub fn float_hash(x: f64) -> usize {
    if x == trunc(x) && fabs(x) < 1e18 {
        return (x as i64) as usize & (usize::MAX >> 2);
    }
    let b = x.to_bits();
    ((b ^ (b >> 32)) as usize) & (usize::MAX >> 2)
}

/// |x|.
pub fn fabs(x: f64) -> f64 {
    f64::from_bits(x.to_bits() & !(1 << 63))
}

/// Round toward zero.
pub fn trunc(x: f64) -> f64 {
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    if e >= 52 {
        return x;
    }
    if e < 0 {
        return f64::from_bits(bits & (1 << 63));
    }
    let mask = (1u64 << (52 - e)) - 1;
    f64::from_bits(bits & !mask)
}

/// Round down.
pub fn floor(x: f64) -> f64 {
    let t = trunc(x);
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// Round up.
pub fn ceil(x: f64) -> f64 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// C's `fmod` (exact).
pub fn fmod(x: f64, y: f64) -> f64 {
    if y == 0.0 || x.is_nan() || y.is_nan() || x.is_infinite() {
        return f64::NAN;
    }
    if y.is_infinite() {
        return x;
    }
    let ay = fabs(y);
    let mut r = fabs(x);
    if r < ay {
        return x;
    }
    // Subtract the largest power-of-two multiple of ay each step (exact).
    while r >= ay {
        let mut t = ay;
        while t * 2.0 <= r && (t * 2.0).is_finite() {
            t *= 2.0;
        }
        r -= t;
    }
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// Integer square root of a u128 (floor), digit by digit.
fn isqrt_u128(n: u128) -> u128 {
    let mut rem = n;
    let mut root: u128 = 0;
    let mut bit: u128 = 1 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// Square root, correctly rounded: the host's (IEEE 754 requires it correctly rounded,
/// so the result is the same) with the `std` feature, else [`soft_sqrt`].
#[inline]
pub fn sqrt(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.sqrt();
    #[cfg(not(feature = "std"))]
    soft_sqrt(x)
}

/// Square root, correctly rounded (exact integer arithmetic on the significand).
pub fn soft_sqrt(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        return x;
    }
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i32;
    let mut m = bits & ((1 << 52) - 1);
    if e == 0 {
        // Subnormal: normalise the significand.
        e = 1;
        while m & (1 << 52) == 0 {
            m <<= 1;
            e -= 1;
        }
    } else {
        m |= 1 << 52;
    }
    // x = m * 2^e2 with m in [2^52, 2^53); make e2 even.
    let mut e2 = e - 1075;
    if e2 & 1 != 0 {
        m <<= 1;
        e2 -= 1;
    }
    // sqrt(m << 56) has 55 bits: keep 53, round half to even with the remainder.
    let n = (m as u128) << 56;
    let r = isqrt_u128(n);
    let exact = r * r == n;
    let mut q = (r >> 2) as u64;
    let round = (r >> 1) & 1 == 1;
    let sticky = r & 1 == 1 || !exact;
    if round && (sticky || q & 1 == 1) {
        q += 1;
    }
    let mut exp = (e2 - 56) / 2 + 2;
    if q == 1 << 53 {
        q >>= 1;
        exp += 1;
    }
    // value = q * 2^exp, q in [2^52, 2^53): always a normal double.
    let biased = exp + 52 + 1023;
    f64::from_bits((biased as u64) << 52 | (q & ((1 << 52) - 1)))
}

/// e^x (argument reduction by ln 2, then a degree-5 rational correction; < 1 ulp).
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_384 {
        return f64::INFINITY;
    }
    if x < -745.133_219_101_941_1 {
        return 0.0;
    }
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const P1: f64 = 1.666_666_666_666_660_190_37e-1;
    const P2: f64 = -2.777_777_777_701_559_338_42e-3;
    const P3: f64 = 6.613_756_321_437_934_361_17e-5;
    const P4: f64 = -1.653_390_220_546_525_153_90e-6;
    const P5: f64 = 4.138_136_797_057_238_460_39e-8;
    let k = floor(x * core::f64::consts::LOG2_E + 0.5);
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let t = r * r;
    let c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    ldexp(y, k as i32)
}

/// x * 2^e.
pub fn ldexp(mut x: f64, mut e: i32) -> f64 {
    let p2 = |k: i32| f64::from_bits(((1023 + k) as u64) << 52);
    while e > 1023 {
        x *= p2(1023);
        e -= 1023;
    }
    while e < -1022 {
        // Scale in two steps so a subnormal result is rounded once.
        if e < -1022 - 53 {
            x *= p2(-1022);
            e += 1022;
        } else {
            x *= p2(-53);
            e += 53;
        }
    }
    x * p2(e)
}

/// Natural logarithm (reduction to [sqrt(2)/2, sqrt(2)), then a degree-14 series in
/// s = f/(2+f); < 1 ulp).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
    const LG1: f64 = 6.666_666_666_666_735_130e-1;
    const LG2: f64 = 3.999_999_999_940_941_908e-1;
    const LG3: f64 = 2.857_142_874_366_239_149e-1;
    const LG4: f64 = 2.222_219_843_214_978_396e-1;
    const LG5: f64 = 1.818_357_216_161_805_012e-1;
    const LG6: f64 = 1.531_383_769_920_937_332e-1;
    const LG7: f64 = 1.479_819_860_511_658_591e-1;
    let mut bits = x.to_bits();
    let mut k: i32 = 0;
    if bits < 1 << 52 {
        // subnormal: scale up
        let y = x * f64::from_bits((1023 + 54) << 52);
        bits = y.to_bits();
        k -= 54;
    }
    k += ((bits >> 52) & 0x7ff) as i32 - 1023;
    let mut m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        k += 1;
    }
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let kf = k as f64;
    kf * LN2_HI - ((hfsq - (s * (hfsq + r) + kf * LN2_LO)) - f)
}

/// x ** y.
pub fn powf(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return 1.0;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    // Integral exponents: exact repeated squaring where possible.
    if y == trunc(y) && fabs(y) < 1e9 {
        let mut n = fabs(y) as u64;
        let mut base = x;
        let mut r = 1.0;
        while n > 0 {
            if n & 1 == 1 {
                r *= base;
            }
            base *= base;
            n >>= 1;
        }
        return if y < 0.0 { 1.0 / r } else { r };
    }
    if x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return 0.0;
    }
    if y == 0.5 {
        return sqrt(x);
    }
    exp(y * ln(x))
}

fn self_float(vm: &mut Vm, args: &[Obj]) -> PyResult<f64> {
    match args.first() {
        Some(&f) => vm.to_f64(f),
        None => Err(vm.raise(TypeId::TYPE_ERROR, "expected float")),
    }
}

fn is_integer(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let x = self_float(vm, args)?;
    Ok(Obj::bool(x.is_finite() && x == trunc(x)))
}

fn real(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(args[0])
}

fn imag(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.new_float(0.0)
}

fn conjugate(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(args[0])
}

fn as_integer_ratio(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let x = self_float(vm, args)?;
    if !x.is_finite() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "cannot convert to integer ratio"));
    }
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64;
    let mut m = (bits & ((1 << 52) - 1)) as i128;
    if e == 0 {
        e = 1;
    } else {
        m |= 1 << 52;
    }
    e -= 1075;
    while m != 0 && m & 1 == 0 && e < 0 {
        m >>= 1;
        e += 1;
    }
    if x < 0.0 {
        m = -m;
    }
    let (n, d) = if e >= 0 {
        (m << e.min(60), 1i128)
    } else {
        (m, 1i128 << (-e).min(120))
    };
    let no = vm.new_int(n)?;
    let mark = vm.roots_mark();
    vm.root(no)?;
    let d = vm.new_int(d);
    vm.unroot_to(mark);
    let d = d?;
    vm.new_tuple(&[no, d])
}

/// `float` methods.
pub static METHODS: [NativeDef; 5] = [
    method(q!("as_integer_ratio"), as_integer_ratio),
    method(q!("conjugate"), conjugate),
    getter(q!("imag"), imag),
    method(q!("is_integer"), is_integer),
    getter(q!("real"), real),
];

#[cfg(test)]
mod tests {
    /// The soft square root (the target's) is the correctly rounded one, as the host's.
    #[test]
    fn soft_sqrt_matches_the_hosts() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for i in 0..50_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Positive doubles of all exponents, subnormals included, and small integers.
            let x = if i % 4 == 0 {
                (seed % 100_000) as f64
            } else {
                f64::from_bits(seed >> 1)
            };
            let (a, b) = (super::soft_sqrt(x), x.sqrt());
            assert!(
                a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
                "{x:e}"
            );
        }
        assert!(super::soft_sqrt(-1.0).is_nan());
        assert_eq!(super::soft_sqrt(f64::INFINITY), f64::INFINITY);
    }
}
