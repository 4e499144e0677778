//! `int` (and `bool` arithmetic): small ints in the object word, big ints in the heap.
//!
//! Corresponds to MicroPython's `py/objint.c`, `py/smallint.c`, `py/objbool.c` and the
//! small-int fast paths of `mp_binary_op` in `py/runtime.c`.
//!
//! Arithmetic on two small ints runs in `i128` (exact for `+ - *` of 63-bit values); a
//! result out of small-int range becomes a big int (feature `bigint`) or raises
//! `OverflowError: small int overflow` without it.

use crate::builtins::{getter, method, method_class, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::{q, PyResult};
use upyc_bytecode::opcode::{BinaryOp, UnaryOp};

/// Python floor division of small values (b != 0).
pub fn floor_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

/// Python modulo of small values (b != 0).
pub fn floor_mod(a: i128, b: i128) -> i128 {
    let r = a % b;
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

/// The fast path for two small ints: `None` when the result needs the heap or raises.
#[inline]
pub fn small_binary_op(op: BinaryOp, a: isize, b: isize) -> Option<Obj> {
    use BinaryOp as B;
    let (x, y) = (a as i128, b as i128);
    let r: i128 = match op {
        B::Add | B::InplaceAdd => x + y,
        B::Subtract | B::InplaceSubtract => x - y,
        B::Multiply | B::InplaceMultiply => x * y,
        B::FloorDivide | B::InplaceFloorDivide if y != 0 => floor_div(x, y),
        B::Modulo | B::InplaceModulo if y != 0 => floor_mod(x, y),
        B::And | B::InplaceAnd => x & y,
        B::Or | B::InplaceOr => x | y,
        B::Xor | B::InplaceXor => x ^ y,
        B::Less => return Some(Obj::bool(a < b)),
        B::More => return Some(Obj::bool(a > b)),
        B::LessEqual => return Some(Obj::bool(a <= b)),
        B::MoreEqual => return Some(Obj::bool(a >= b)),
        B::Equal => return Some(Obj::bool(a == b)),
        B::NotEqual => return Some(Obj::bool(a != b)),
        B::Rshift | B::InplaceRshift if y >= 0 => x >> y.min(127),
        B::Lshift | B::InplaceLshift if (0..64).contains(&y) => {
            let r = x << y;
            if r >> y != x {
                return None;
            }
            r
        }
        _ => return None,
    };
    isize::try_from(r).ok().and_then(Obj::small)
}

impl<'h> Vm<'h> {
    /// An int object for `v` (small, or big with the `bigint` feature).
    pub fn new_int(&mut self, v: i128) -> PyResult<Obj> {
        if let Some(o) = isize::try_from(v).ok().and_then(Obj::small) {
            return Ok(o);
        }
        #[cfg(feature = "bigint")]
        {
            self.new_big_i128(v)
        }
        #[cfg(not(feature = "bigint"))]
        {
            Err(self.raise(TypeId::OVERFLOW_ERROR, "small int overflow"))
        }
    }

    /// A big int object for `v`; out of line so that callers of [`Vm::new_int`] do not
    /// reserve a [`Big`](crate::obj::bigint::Big) (half a KB) in their stack frames.
    #[cfg(feature = "bigint")]
    #[inline(never)]
    fn new_big_i128(&mut self, v: i128) -> PyResult<Obj> {
        let b = crate::obj::bigint::Big::from_i128(v);
        self.big_to_obj(&b)
    }

    /// Whether `o` is an int (small, big, or bool).
    pub fn is_int(&self, o: Obj) -> bool {
        o.is_small() || o == Obj::TRUE || o == Obj::FALSE || self.is_big(o)
    }

    #[inline]
    fn is_big(&self, o: Obj) -> bool {
        #[cfg(feature = "bigint")]
        {
            self.is_bigint(o)
        }
        #[cfg(not(feature = "bigint"))]
        {
            let _ = o;
            false
        }
    }

    /// The value of a small int or bool.
    pub(crate) fn small_of(&self, o: Obj) -> Option<isize> {
        if o.is_small() {
            Some(o.small_value())
        } else if o == Obj::TRUE {
            Some(1)
        } else if o == Obj::FALSE {
            Some(0)
        } else {
            None
        }
    }

    /// An int argument as isize (TypeError for non-ints, OverflowError for huge ones).
    pub fn to_isize(&mut self, o: Obj) -> PyResult<isize> {
        if let Some(v) = self.small_of(o) {
            return Ok(v);
        }
        if self.is_big(o) {
            return Err(self.raise(
                TypeId::OVERFLOW_ERROR,
                "overflow converting long int to machine word",
            ));
        }
        let io = self.native_base(o, TypeId::INT);
        if io != o {
            return self.to_isize(io);
        }
        if let Some(m) = self.lookup_special(o, q!("__index__")) {
            let r = self.call(m, &[o], Obj::NULL)?;
            if self.is_int(r) {
                return self.to_isize(r);
            }
        }
        Err(self.raise_fmt(
            TypeId::TYPE_ERROR,
            &[
                crate::vm::Fmt::S("can't convert "),
                crate::vm::Fmt::T(o),
                crate::vm::Fmt::S(" to int"),
            ],
        ))
    }

    fn zero_division(&mut self) -> crate::PyErr {
        self.raise(TypeId::ZERO_DIVISION_ERROR, "divide by zero")
    }

    /// Binary operation with an int left operand; `None` means NotImplemented.
    pub(crate) fn int_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        #[cfg(feature = "float")]
        if self.is_float(b) {
            let x = self.int_to_f64(a);
            return self.float_binary_op(op, x, b);
        }
        #[cfg(feature = "complex")]
        if self.is_complex(b) {
            let x = self.int_to_f64(a);
            return self.complex_binary_op(op, (x, 0.0), b);
        }
        if !self.is_int(b) {
            return Ok(None);
        }
        let op = normal_op(op);
        if let (Some(x), Some(y)) = (self.small_of(a), self.small_of(b)) {
            if let Some(r) = small_binary_op(op, x, y) {
                return Ok(Some(r));
            }
            let (x, y) = (x as i128, y as i128);
            match op {
                B::Add | B::Subtract | B::Multiply => {
                    let r = match op {
                        B::Add => x + y,
                        B::Subtract => x - y,
                        _ => x * y,
                    };
                    return self.new_int(r).map(Some);
                }
                B::FloorDivide | B::Modulo | B::Divmod if y == 0 => {
                    return Err(self.zero_division());
                }
                B::FloorDivide => return self.new_int(floor_div(x, y)).map(Some),
                B::Modulo => return self.new_int(floor_mod(x, y)).map(Some),
                B::Divmod => {
                    let q = self.new_int(floor_div(x, y))?;
                    let mark = self.roots_mark();
                    self.root(q)?;
                    let r = self.new_int(floor_mod(x, y));
                    self.unroot_to(mark);
                    let r = r?;
                    return self.new_tuple(&[q, r]).map(Some);
                }
                B::TrueDivide => return self.int_true_divide(a, b).map(Some),
                B::Rshift | B::Lshift if y < 0 => {
                    return Err(self.raise(TypeId::VALUE_ERROR, "negative shift count"));
                }
                B::Power => {
                    if y < 0 {
                        return self.int_negative_power(a, b).map(Some);
                    }
                    let mut r: i128 = 1;
                    let mut ok = true;
                    for _ in 0..y.min(200) {
                        match r.checked_mul(x) {
                            Some(v) if v.unsigned_abs() < (1u128 << 100) => r = v,
                            _ => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok && (y <= 200 || x.abs() <= 1) {
                        if x.abs() <= 1 && y > 200 {
                            r = if x == -1 && y % 2 == 1 {
                                -1
                            } else if x == 0 {
                                0
                            } else {
                                1
                            };
                        }
                        return self.new_int(r).map(Some);
                    }
                }
                _ => {}
            }
        }
        self.big_binary_op(op, a, b)
    }

    /// Kept out of line: its `Big` temporaries stay off the small-int path's stack.
    #[cfg(feature = "bigint")]
    #[inline(never)]
    fn big_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use crate::obj::bigint::Big;
        use BinaryOp as B;
        let (x, y) = match (self.big_of(a), self.big_of(b)) {
            (Some(x), Some(y)) => (x, y),
            _ => return Ok(None),
        };
        let r = match op {
            B::Less => return Ok(Some(Obj::bool(x.compare(&y).is_lt()))),
            B::More => return Ok(Some(Obj::bool(x.compare(&y).is_gt()))),
            B::LessEqual => return Ok(Some(Obj::bool(x.compare(&y).is_le()))),
            B::MoreEqual => return Ok(Some(Obj::bool(x.compare(&y).is_ge()))),
            B::Equal => return Ok(Some(Obj::bool(x.compare(&y).is_eq()))),
            B::NotEqual => return Ok(Some(Obj::bool(!x.compare(&y).is_eq()))),
            B::Add => Big::add(&x, &y),
            B::Subtract => Big::sub(&x, &y),
            B::Multiply => Big::mul(&x, &y),
            B::FloorDivide | B::Modulo | B::Divmod => {
                if y.is_zero() {
                    return Err(self.zero_division());
                }
                let (q, r) = match Big::divmod_floor(&x, &y) {
                    Ok(v) => v,
                    Err(_) => return Err(self.too_big()),
                };
                return match op {
                    B::FloorDivide => self.big_to_obj(&q).map(Some),
                    B::Modulo => self.big_to_obj(&r).map(Some),
                    _ => {
                        let qo = self.big_to_obj(&q)?;
                        let mark = self.roots_mark();
                        self.root(qo)?;
                        let ro = self.big_to_obj(&r);
                        self.unroot_to(mark);
                        let ro = ro?;
                        self.new_tuple(&[qo, ro]).map(Some)
                    }
                };
            }
            B::TrueDivide => return self.int_true_divide(a, b).map(Some),
            B::Power => {
                if y.neg {
                    return self.int_negative_power(a, b).map(Some);
                }
                let e = match y.to_i128() {
                    Some(e) if e <= u32::MAX as i128 => e as u64,
                    _ => return Err(self.too_big()),
                };
                Big::pow(&x, e)
            }
            B::And => Ok(Big::bitop(&x, &y, b'&')),
            B::Or => Ok(Big::bitop(&x, &y, b'|')),
            B::Xor => Ok(Big::bitop(&x, &y, b'^')),
            B::Lshift | B::Rshift => {
                if y.neg {
                    return Err(self.raise(TypeId::VALUE_ERROR, "negative shift count"));
                }
                let n = match y.to_i128() {
                    Some(n) if n < 1 << 20 => n as usize,
                    _ if op == B::Rshift => {
                        return Ok(Some(Obj::small_unchecked(if x.neg { -1 } else { 0 })))
                    }
                    _ => return Err(self.too_big()),
                };
                if op == B::Lshift {
                    Big::shl(&x, n)
                } else {
                    Big::shr(&x, n)
                }
            }
            _ => return Ok(None),
        };
        match r {
            Ok(r) => self.big_to_obj(&r).map(Some),
            Err(_) => Err(self.too_big()),
        }
    }

    #[cfg(not(feature = "bigint"))]
    fn big_binary_op(&mut self, op: BinaryOp, a: Obj, b: Obj) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        match op {
            B::Add | B::Subtract | B::Multiply | B::Power | B::Lshift => {
                let _ = (a, b);
                Err(self.raise(TypeId::OVERFLOW_ERROR, "small int overflow"))
            }
            _ => Ok(None),
        }
    }

    /// An int as f64.
    #[cfg_attr(not(feature = "float"), allow(dead_code))]
    pub(crate) fn int_to_f64(&self, o: Obj) -> f64 {
        if let Some(v) = self.small_of(o) {
            return v as f64;
        }
        #[cfg(feature = "bigint")]
        {
            self.big_to_f64(o)
        }
        #[cfg(not(feature = "bigint"))]
        0.0
    }

    /// [`Vm::int_to_f64`] of a big int (0.0 for anything else), out of line.
    #[cfg(feature = "bigint")]
    #[inline(never)]
    fn big_to_f64(&self, o: Obj) -> f64 {
        self.big_of(o).map_or(0.0, |b| b.to_f64())
    }

    #[cfg(feature = "float")]
    fn int_true_divide(&mut self, a: Obj, b: Obj) -> PyResult<Obj> {
        let (x, y) = (self.int_to_f64(a), self.int_to_f64(b));
        if y == 0.0 {
            return Err(self.zero_division());
        }
        self.new_float(x / y)
    }

    #[cfg(not(feature = "float"))]
    fn int_true_divide(&mut self, a: Obj, b: Obj) -> PyResult<Obj> {
        let _ = (a, b);
        Err(self.raise(
            TypeId::TYPE_ERROR,
            "unsupported types for __truediv__: 'int', 'int'",
        ))
    }

    #[cfg(feature = "float")]
    fn int_negative_power(&mut self, a: Obj, b: Obj) -> PyResult<Obj> {
        let x = self.int_to_f64(a);
        if x == 0.0 {
            return Err(self.raise(TypeId::ZERO_DIVISION_ERROR, "0.0 to a negative power"));
        }
        let y = self.int_to_f64(b);
        self.new_float(crate::obj::float::powf(x, y))
    }

    #[cfg(not(feature = "float"))]
    fn int_negative_power(&mut self, a: Obj, b: Obj) -> PyResult<Obj> {
        let _ = (a, b);
        Err(self.raise(TypeId::VALUE_ERROR, "negative power with no float support"))
    }

    /// Unary operation on an int.
    pub(crate) fn int_unary_op(&mut self, op: UnaryOp, a: Obj) -> PyResult<Option<Obj>> {
        if let Some(x) = self.small_of(a) {
            let x = x as i128;
            return match op {
                UnaryOp::Positive | UnaryOp::IntMaybe => self.new_int(x).map(Some),
                UnaryOp::Negative => self.new_int(-x).map(Some),
                UnaryOp::Invert => self.new_int(!x).map(Some),
                UnaryOp::Abs => self.new_int(x.abs()).map(Some),
                UnaryOp::Bool => Ok(Some(Obj::bool(x != 0))),
                UnaryOp::Hash => Ok(Some(Obj::small_unchecked(x as isize))),
                #[cfg(feature = "float")]
                UnaryOp::FloatMaybe => self.new_float(x as f64).map(Some),
                _ => Ok(None),
            };
        }
        #[cfg(feature = "bigint")]
        if self.is_int(a) {
            return self.big_unary_op(op, a);
        }
        Ok(None)
    }

    /// [`Vm::int_unary_op`] on a big int (out of line, as [`Vm::big_binary_op`]).
    #[cfg(feature = "bigint")]
    #[inline(never)]
    fn big_unary_op(&mut self, op: UnaryOp, a: Obj) -> PyResult<Option<Obj>> {
        if let Some(b) = self.big_of(a) {
            use crate::obj::bigint::Big;
            let r = match op {
                UnaryOp::Positive | UnaryOp::IntMaybe => return Ok(Some(a)),
                UnaryOp::Negative => Big::neg(&b),
                UnaryOp::Invert => match Big::sub(&Big::neg(&b), &Big::from_i128(1)) {
                    Ok(r) => r,
                    Err(_) => return Err(self.too_big()),
                },
                UnaryOp::Abs => {
                    let mut r = b.clone();
                    r.neg = false;
                    r
                }
                UnaryOp::Bool => return Ok(Some(Obj::TRUE)),
                UnaryOp::Hash => {
                    let mut h: usize = 0;
                    for i in 0..b.len {
                        h = h.wrapping_mul(31).wrapping_add(b.d[i] as usize);
                    }
                    return Ok(Some(Obj::small_unchecked((h >> 2) as isize)));
                }
                #[cfg(feature = "float")]
                UnaryOp::FloatMaybe => return self.new_float(b.to_f64()).map(Some),
                _ => return Ok(None),
            };
            return self.big_to_obj(&r).map(Some);
        }
        Ok(None)
    }
}

/// The non-inplace form of an operator (ints are immutable).
pub fn normal_op(op: BinaryOp) -> BinaryOp {
    let n = op as u8;
    if (BinaryOp::InplaceOr as u8..=BinaryOp::InplacePower as u8).contains(&n) {
        BinaryOp::from_u8(n - BinaryOp::InplaceOr as u8 + BinaryOp::Or as u8).unwrap_or(op)
    } else {
        op
    }
}

fn bit_length(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    if let Some(v) = vm.small_of(args[0]) {
        let n = usize::BITS - v.unsigned_abs().leading_zeros();
        return Ok(Obj::small_unchecked(n as isize));
    }
    #[cfg(feature = "bigint")]
    if let Some(b) = vm.big_of(args[0]) {
        let top = if b.len == 0 {
            0
        } else {
            32 - b.d[b.len - 1].leading_zeros() as usize
        };
        let n = if b.len == 0 {
            0
        } else {
            (b.len - 1) * 32 + top
        };
        return Ok(Obj::small_unchecked(n as isize));
    }
    Err(vm.raise(TypeId::TYPE_ERROR, "expected int"))
}

fn to_bytes(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let len = match args.get(1) {
        Some(&l) => vm.to_isize(l)?,
        None => match vm.kwarg(kw, q!("length"))? {
            Some(l) => vm.to_isize(l)?,
            None => 1,
        },
    };
    let (little, signed) = byteorder_and_signed(vm, args, kw)?;
    if len < 0 {
        return Err(vm.raise(TypeId::VALUE_ERROR, "length must be non-negative"));
    }
    let len = len as usize;
    let v = match vm.small_of(args[0]) {
        Some(v) => v as i128,
        None => {
            #[cfg(feature = "bigint")]
            {
                match vm.big_of(args[0]).and_then(|b| b.to_i128()) {
                    Some(v) => v,
                    None => return Err(vm.raise(TypeId::OVERFLOW_ERROR, "int too big to convert")),
                }
            }
            #[cfg(not(feature = "bigint"))]
            return Err(vm.raise(TypeId::TYPE_ERROR, "expected int"));
        }
    };
    if v < 0 && !signed {
        return Err(vm.raise(
            TypeId::OVERFLOW_ERROR,
            "can't convert negative int to unsigned",
        ));
    }
    let o = vm.alloc_str(TypeId::BYTES, len)?;
    let off = Vm::str_data(o);
    let mut x = v;
    for i in 0..len {
        let idx = if little { i } else { len - 1 - i };
        vm.heap.bytes_mut(off + idx, 1)[0] = x as u8;
        x >>= 8;
    }
    vm.str_finish(o);
    Ok(o)
}

/// The `byteorder` (positional argument 2 or keyword; `"big"` by default) and `signed`
/// (keyword, false by default) of `int.to_bytes`/`int.from_bytes`: (little-endian, signed).
fn byteorder_and_signed(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<(bool, bool)> {
    let order = match args.get(2) {
        Some(&o) => o,
        None => vm
            .kwarg(kw, q!("byteorder"))?
            .unwrap_or(Obj::qstr(q!("big"))),
    };
    let little = vm.str_bytes(order) == b"little";
    let signed = match vm.kwarg(kw, q!("signed"))? {
        Some(s) => vm.is_true(s)?,
        None => false,
    };
    Ok((little, signed))
}

fn from_bytes(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let (little, signed) = byteorder_and_signed(vm, args, kw)?;
    let mut buf = [0u8; 16];
    let b = vm.str_bytes(args[1]);
    if b.len() > 16 {
        return Err(vm.raise(TypeId::OVERFLOW_ERROR, "int too big to convert"));
    }
    let n = b.len();
    for i in 0..n {
        buf[i] = if little { b[i] } else { b[n - 1 - i] };
    }
    let mut v = u128::from_le_bytes(buf) as i128;
    if signed && n > 0 && n < 16 && buf[n - 1] & 0x80 != 0 {
        v -= 1i128 << (8 * n);
    }
    vm.new_int(v)
}

fn conjugate(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    vm.int_unary_op(UnaryOp::Positive, args[0])
        .map(|r| r.unwrap_or(args[0]))
}

fn real(_vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(args[0])
}

fn imag(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(0))
}

fn one(_vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(1))
}

/// `int` methods.
pub static METHODS: [NativeDef; 8] = [
    method(q!("bit_length"), bit_length),
    method(q!("conjugate"), conjugate),
    getter(q!("denominator"), one),
    method_class(q!("from_bytes"), from_bytes),
    getter(q!("imag"), imag),
    getter(q!("numerator"), real),
    getter(q!("real"), real),
    method(q!("to_bytes"), to_bytes),
];
