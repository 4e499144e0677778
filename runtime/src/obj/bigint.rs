//! Arbitrary-precision ints (feature `bigint`).
//!
//! Corresponds to MicroPython's `py/objint_mpz.c` and `py/mpz.c`, in a deliberately
//! simple form: arithmetic runs on fixed-capacity sign/magnitude values on the Rust stack
//! ([`Big`], up to [`MAX_DIGITS`] 32-bit digits, 4096 bits) and results are stored in the
//! heap as `[header (LEAF), len << 1 | negative, digits...]` (little-endian u32 digits).
//! Results that would not fit raise `OverflowError`; values that fit a small int are
//! always small ints (a big int object is never in small-int range).
//!
//! Where we differ: MicroPython's mpz has no fixed limit (only the heap).

use crate::gc::WORD;
use crate::obj::{header, Obj, TypeId};
use crate::vm::Vm;
use crate::PyResult;
use core::cmp::Ordering;

/// Most 32-bit digits in a big int.
pub const MAX_DIGITS: usize = 128;

/// A sign/magnitude integer on the stack.
#[derive(Clone)]
pub struct Big {
    /// Negative (never set for zero).
    pub neg: bool,
    /// Digits in use (no leading zero digits).
    pub len: usize,
    /// Little-endian base-2^32 digits.
    pub d: [u32; MAX_DIGITS],
}

/// The result does not fit [`MAX_DIGITS`].
pub struct TooBig;

impl Big {
    /// Zero.
    pub const fn zero() -> Big {
        Big {
            neg: false,
            len: 0,
            d: [0; MAX_DIGITS],
        }
    }

    /// From an i128.
    pub fn from_i128(v: i128) -> Big {
        let mut b = Big::zero();
        b.neg = v < 0;
        let mut m = v.unsigned_abs();
        while m != 0 {
            b.d[b.len] = m as u32;
            b.len += 1;
            m >>= 32;
        }
        b
    }

    fn trim(&mut self) {
        while self.len > 0 && self.d[self.len - 1] == 0 {
            self.len -= 1;
        }
        if self.len == 0 {
            self.neg = false;
        }
    }

    /// Whether it is zero.
    pub fn is_zero(&self) -> bool {
        self.len == 0
    }

    /// The value as an i128 if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        if self.len > 4 {
            return None;
        }
        let mut m: u128 = 0;
        for i in (0..self.len).rev() {
            m = m << 32 | self.d[i] as u128;
        }
        if self.neg {
            if m <= i128::MAX as u128 + 1 {
                Some((m as i128).wrapping_neg())
            } else {
                None
            }
        } else if m <= i128::MAX as u128 {
            Some(m as i128)
        } else {
            None
        }
    }

    /// Nearest f64.
    pub fn to_f64(&self) -> f64 {
        let mut f = 0.0f64;
        for i in (0..self.len).rev() {
            f = f * 4294967296.0 + self.d[i] as f64;
        }
        if self.neg {
            -f
        } else {
            f
        }
    }

    fn cmp_mag(&self, o: &Big) -> Ordering {
        if self.len != o.len {
            return self.len.cmp(&o.len);
        }
        for i in (0..self.len).rev() {
            if self.d[i] != o.d[i] {
                return self.d[i].cmp(&o.d[i]);
            }
        }
        Ordering::Equal
    }

    /// Compare values.
    pub fn compare(&self, o: &Big) -> Ordering {
        match (self.neg, o.neg) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_mag(o),
            (true, true) => o.cmp_mag(self),
        }
    }

    fn add_mag(a: &Big, b: &Big) -> Result<Big, TooBig> {
        let mut r = Big::zero();
        let n = a.len.max(b.len);
        let mut carry = 0u64;
        for i in 0..n {
            let s = a.d[i] as u64 + b.d[i] as u64 + carry;
            r.d[i] = s as u32;
            carry = s >> 32;
        }
        r.len = n;
        if carry != 0 {
            if n >= MAX_DIGITS {
                return Err(TooBig);
            }
            r.d[n] = carry as u32;
            r.len = n + 1;
        }
        Ok(r)
    }

    /// |a| - |b| with |a| >= |b|.
    fn sub_mag(a: &Big, b: &Big) -> Big {
        let mut r = Big::zero();
        let mut borrow = 0i64;
        for i in 0..a.len {
            let mut s = a.d[i] as i64 - b.d[i] as i64 - borrow;
            if s < 0 {
                s += 1 << 32;
                borrow = 1;
            } else {
                borrow = 0;
            }
            r.d[i] = s as u32;
        }
        r.len = a.len;
        r.trim();
        r
    }

    /// a + b.
    pub fn add(a: &Big, b: &Big) -> Result<Big, TooBig> {
        if a.neg == b.neg {
            let mut r = Big::add_mag(a, b)?;
            r.neg = a.neg;
            r.trim();
            return Ok(r);
        }
        let mut r = if a.cmp_mag(b) != Ordering::Less {
            let mut r = Big::sub_mag(a, b);
            r.neg = a.neg;
            r
        } else {
            let mut r = Big::sub_mag(b, a);
            r.neg = b.neg;
            r
        };
        r.trim();
        Ok(r)
    }

    /// -a.
    pub fn neg(a: &Big) -> Big {
        let mut r = a.clone();
        r.neg = !a.neg;
        r.trim();
        r
    }

    /// a - b.
    pub fn sub(a: &Big, b: &Big) -> Result<Big, TooBig> {
        Big::add(a, &Big::neg(b))
    }

    /// a * b.
    pub fn mul(a: &Big, b: &Big) -> Result<Big, TooBig> {
        if a.is_zero() || b.is_zero() {
            return Ok(Big::zero());
        }
        if a.len + b.len > MAX_DIGITS + 1 {
            return Err(TooBig);
        }
        let mut r = Big::zero();
        let mut tmp = [0u32; MAX_DIGITS + 1];
        for i in 0..a.len {
            let mut carry = 0u64;
            for j in 0..b.len {
                let k = i + j;
                if k > MAX_DIGITS {
                    if a.d[i] as u64 * b.d[j] as u64 + carry != 0 {
                        return Err(TooBig);
                    }
                    continue;
                }
                let t = tmp[k] as u64 + a.d[i] as u64 * b.d[j] as u64 + carry;
                tmp[k] = t as u32;
                carry = t >> 32;
            }
            let mut k = i + b.len;
            while carry != 0 {
                if k > MAX_DIGITS {
                    return Err(TooBig);
                }
                let t = tmp[k] as u64 + carry;
                tmp[k] = t as u32;
                carry = t >> 32;
                k += 1;
            }
        }
        if tmp[MAX_DIGITS] != 0 {
            return Err(TooBig);
        }
        r.d.copy_from_slice(&tmp[..MAX_DIGITS]);
        r.len = MAX_DIGITS;
        r.neg = a.neg != b.neg;
        r.trim();
        Ok(r)
    }

    /// Divide the magnitude by a small divisor, returning the remainder.
    pub fn divmod_small(&mut self, div: u32) -> u32 {
        let mut rem = 0u64;
        for i in (0..self.len).rev() {
            let cur = rem << 32 | self.d[i] as u64;
            self.d[i] = (cur / div as u64) as u32;
            rem = cur % div as u64;
        }
        self.trim();
        rem as u32
    }

    /// Truncating division of magnitudes: (|a| / |b|, |a| % |b|); b non-zero.
    fn divmod_mag(a: &Big, b: &Big) -> (Big, Big) {
        if a.cmp_mag(b) == Ordering::Less {
            let mut r = a.clone();
            r.neg = false;
            return (Big::zero(), r);
        }
        if b.len == 1 {
            let mut q = a.clone();
            q.neg = false;
            let r = q.divmod_small(b.d[0]);
            return (q, Big::from_i128(r as i128));
        }
        // Shift-subtract long division, one bit at a time (simple and adequate).
        let mut q = Big::zero();
        let mut r = Big::zero();
        let nbits = a.len * 32;
        let mut bm = b.clone();
        bm.neg = false;
        for bit in (0..nbits).rev() {
            // r = r << 1 | bit
            let mut carry = (a.d[bit / 32] >> (bit % 32)) & 1;
            for i in 0..r.len {
                let nc = r.d[i] >> 31;
                r.d[i] = r.d[i] << 1 | carry;
                carry = nc;
            }
            if carry != 0 && r.len < MAX_DIGITS {
                r.d[r.len] = carry;
                r.len += 1;
            }
            if r.cmp_mag(&bm) != Ordering::Less {
                r = Big::sub_mag(&r, &bm);
                q.d[bit / 32] |= 1 << (bit % 32);
                if q.len < bit / 32 + 1 {
                    q.len = bit / 32 + 1;
                }
            }
        }
        q.trim();
        r.trim();
        (q, r)
    }

    /// Floor division and modulo (Python semantics); b non-zero.
    pub fn divmod_floor(a: &Big, b: &Big) -> Result<(Big, Big), TooBig> {
        let (mut q, mut r) = Big::divmod_mag(a, b);
        q.neg = a.neg != b.neg;
        q.trim();
        r.neg = a.neg;
        r.trim();
        if !r.is_zero() && r.neg != b.neg {
            q = Big::sub(&q, &Big::from_i128(1))?;
            r = Big::add(&r, b)?;
        }
        Ok((q, r))
    }

    /// a ** e (e >= 0).
    pub fn pow(a: &Big, mut e: u64) -> Result<Big, TooBig> {
        let mut result = Big::from_i128(1);
        let mut base = a.clone();
        while e > 0 {
            if e & 1 == 1 {
                result = Big::mul(&result, &base)?;
            }
            e >>= 1;
            if e > 0 {
                base = Big::mul(&base, &base)?;
            }
        }
        Ok(result)
    }

    /// a << n.
    pub fn shl(a: &Big, n: usize) -> Result<Big, TooBig> {
        if a.is_zero() {
            return Ok(Big::zero());
        }
        let words = n / 32;
        let bits = n % 32;
        if a.len + words + 1 > MAX_DIGITS + 1 {
            return Err(TooBig);
        }
        let mut r = Big::zero();
        for i in 0..a.len {
            let v = (a.d[i] as u64) << bits;
            let k = i + words;
            if k < MAX_DIGITS {
                r.d[k] |= v as u32;
            }
            if (v >> 32) != 0 {
                if k + 1 >= MAX_DIGITS {
                    return Err(TooBig);
                }
                r.d[k + 1] |= (v >> 32) as u32;
            }
        }
        r.len = (a.len + words + 1).min(MAX_DIGITS);
        r.neg = a.neg;
        r.trim();
        Ok(r)
    }

    /// a >> n (floor).
    pub fn shr(a: &Big, n: usize) -> Result<Big, TooBig> {
        if a.neg {
            // floor(a / 2^n) = -((-a - 1) >> n) - 1
            let m = Big::sub(&Big::neg(a), &Big::from_i128(1))?;
            let s = Big::shr(&m, n)?;
            return Big::sub(&Big::neg(&s), &Big::from_i128(1));
        }
        let words = n / 32;
        let bits = n % 32;
        let mut r = Big::zero();
        if words >= a.len {
            return Ok(r);
        }
        for i in words..a.len {
            let lo = (a.d[i] as u64) >> bits;
            let hi = if i + 1 < a.len && bits > 0 {
                (a.d[i + 1] as u64) << (32 - bits)
            } else {
                0
            };
            r.d[i - words] = (lo | hi) as u32;
        }
        r.len = a.len - words;
        r.trim();
        Ok(r)
    }

    /// Two's complement digits over `n` digits (n > len).
    fn twos(&self, n: usize) -> [u32; MAX_DIGITS + 1] {
        let mut t = [0u32; MAX_DIGITS + 1];
        t[..self.len].copy_from_slice(&self.d[..self.len]);
        if self.neg {
            let mut carry = 1u64;
            for x in t.iter_mut().take(n) {
                let v = (!*x) as u64 + carry;
                *x = v as u32;
                carry = v >> 32;
            }
        }
        t
    }

    /// Bitwise and/or/xor (`op` is `&`, `|` or `^`) with Python's infinite two's complement.
    pub fn bitop(a: &Big, b: &Big, op: u8) -> Big {
        let n = (a.len.max(b.len) + 1).min(MAX_DIGITS + 1);
        let (ta, tb) = (a.twos(n), b.twos(n));
        let f = |x: u32, y: u32| match op {
            b'&' => x & y,
            b'|' => x | y,
            _ => x ^ y,
        };
        let mut t = [0u32; MAX_DIGITS + 1];
        for i in 0..n {
            t[i] = f(ta[i], tb[i]);
        }
        let neg_a = a.neg;
        let neg_b = b.neg;
        let neg = match op {
            b'&' => neg_a && neg_b,
            b'|' => neg_a || neg_b,
            _ => neg_a != neg_b,
        };
        let mut r = Big::zero();
        if neg {
            let mut carry = 1u64;
            for x in t.iter_mut().take(n) {
                let v = (!*x) as u64 + carry;
                *x = v as u32;
                carry = v >> 32;
            }
        }
        let m = n.min(MAX_DIGITS);
        r.d[..m].copy_from_slice(&t[..m]);
        r.len = m;
        r.neg = neg;
        r.trim();
        r
    }

    /// Parse digits in `base` (2..=36), with optional sign, no prefix or underscores.
    pub fn parse(s: &[u8], base: u32) -> Option<Big> {
        let (neg, digits) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if digits.is_empty() {
            return None;
        }
        let mut r = Big::zero();
        for &c in digits {
            if c == b'_' {
                continue;
            }
            let v = (c as char).to_digit(base)?;
            // r = r * base + v
            let mut carry = v as u64;
            for i in 0..r.len {
                let t = r.d[i] as u64 * base as u64 + carry;
                r.d[i] = t as u32;
                carry = t >> 32;
            }
            if carry != 0 {
                if r.len >= MAX_DIGITS {
                    return None;
                }
                r.d[r.len] = carry as u32;
                r.len += 1;
            }
        }
        r.neg = neg;
        r.trim();
        Some(r)
    }

    /// Write the value in `base` (2, 8, 10 or 16) into the end of `buf`; returns the text.
    pub fn format<'b>(&self, base: u32, buf: &'b mut [u8]) -> &'b [u8] {
        let mut m = self.clone();
        m.neg = false;
        let mut pos = buf.len();
        if m.is_zero() {
            pos -= 1;
            buf[pos] = b'0';
        }
        while !m.is_zero() && pos > 1 {
            let r = m.divmod_small(base);
            pos -= 1;
            buf[pos] = b"0123456789abcdef"[r as usize];
        }
        if self.neg {
            pos -= 1;
            buf[pos] = b'-';
        }
        &buf[pos..]
    }
}

/// Bytes needed to format a big int in base 2 with sign.
pub const FORMAT_BUF: usize = MAX_DIGITS * 32 + 2;

const B_LEN: usize = 1;
const B_DIGITS: usize = 2;

impl<'h> Vm<'h> {
    /// Whether `o` is a heap big int.
    pub(crate) fn is_bigint(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::BIGINT
    }

    /// A big int object's value.
    pub(crate) fn big_read(&self, o: Obj) -> Big {
        let mut b = Big::zero();
        let lw = self.heap.get(o, B_LEN);
        b.neg = lw & 1 == 1;
        b.len = (lw >> 1).min(MAX_DIGITS);
        let off = o.offset() + B_DIGITS * WORD;
        let bytes = self.heap.bytes(off, b.len * 4);
        for (i, c) in bytes.chunks_exact(4).enumerate() {
            b.d[i] = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
        b
    }

    /// An int value (small, bool or big) as a [`Big`].
    pub(crate) fn big_of(&self, o: Obj) -> Option<Big> {
        if o.is_small() {
            return Some(Big::from_i128(o.small_value() as i128));
        }
        match o {
            Obj::TRUE => return Some(Big::from_i128(1)),
            Obj::FALSE => return Some(Big::zero()),
            _ => {}
        }
        if self.is_bigint(o) {
            return Some(self.big_read(o));
        }
        None
    }

    /// Store a [`Big`] as an int object (a small int when it fits).
    pub(crate) fn big_to_obj(&mut self, b: &Big) -> PyResult<Obj> {
        if let Some(v) = b.to_i128() {
            if let Some(o) = isize::try_from(v).ok().and_then(Obj::small) {
                return Ok(o);
            }
        }
        let words = B_DIGITS + (b.len * 4).div_ceil(WORD);
        let o = self.alloc(TypeId::BIGINT, header::LEAF, words)?;
        self.heap.set(o, B_LEN, b.len << 1 | usize::from(b.neg));
        let off = o.offset() + B_DIGITS * WORD;
        let dst = self.heap.bytes_mut(off, b.len * 4);
        for (i, c) in dst.chunks_exact_mut(4).enumerate() {
            c.copy_from_slice(&b.d[i].to_le_bytes());
        }
        Ok(o)
    }

    /// Raise for a result beyond the big-int capacity.
    pub(crate) fn too_big(&mut self) -> crate::PyErr {
        self.raise(TypeId::OVERFLOW_ERROR, "result too big")
    }
}
