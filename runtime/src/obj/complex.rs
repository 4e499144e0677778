//! `complex` (feature `complex`).
//!
//! Corresponds to MicroPython's `py/objcomplex.c`.
//!
//! Layout: `[header (LEAF), real f64, imag f64]`.

use crate::builtins::{getter, method, NativeDef};
use crate::gc::WORD;
use crate::obj::float::{self as fl, fabs};
use crate::obj::{header, Obj, TypeId};
use crate::vm::{Out, Vm};
use crate::{q, PyResult};
use upyc_bytecode::opcode::{BinaryOp, UnaryOp};

impl<'h> Vm<'h> {
    /// A new complex object.
    pub fn new_complex(&mut self, re: f64, im: f64) -> PyResult<Obj> {
        let o = self.alloc(TypeId::COMPLEX, header::LEAF, 1 + 16usize.div_ceil(WORD))?;
        let b = self.heap.bytes_mut(o.offset() + WORD, 16);
        b[..8].copy_from_slice(&re.to_bits().to_le_bytes());
        b[8..].copy_from_slice(&im.to_bits().to_le_bytes());
        Ok(o)
    }

    /// Whether `o` is a complex.
    pub fn is_complex(&self, o: Obj) -> bool {
        o.is_heap() && self.heap.tid(o) == TypeId::COMPLEX
    }

    /// (real, imag) of a complex.
    pub fn complex_value(&self, o: Obj) -> (f64, f64) {
        let b = self.heap.bytes(o.offset() + WORD, 16);
        let mut r = [0u8; 8];
        let mut i = [0u8; 8];
        r.copy_from_slice(&b[..8]);
        i.copy_from_slice(&b[8..]);
        (
            f64::from_bits(u64::from_le_bytes(r)),
            f64::from_bits(u64::from_le_bytes(i)),
        )
    }

    /// A number as (real, imag), if it is one.
    pub(crate) fn as_complex(&self, o: Obj) -> Option<(f64, f64)> {
        if self.is_complex(o) {
            return Some(self.complex_value(o));
        }
        if self.is_float(o) {
            return Some((self.float_value(o), 0.0));
        }
        if self.is_int(o) {
            return Some((self.int_to_f64(o), 0.0));
        }
        None
    }

    /// Binary operation with a complex left value; `None` is NotImplemented.
    pub(crate) fn complex_binary_op(
        &mut self,
        op: BinaryOp,
        a: (f64, f64),
        b: Obj,
    ) -> PyResult<Option<Obj>> {
        use BinaryOp as B;
        let (c, d) = match self.as_complex(b) {
            Some(v) => v,
            None => return Ok(None),
        };
        let (x, y) = a;
        let op = crate::obj::int::normal_op(op);
        let (re, im) = match op {
            B::Add => (x + c, y + d),
            B::Subtract => (x - c, y - d),
            B::Multiply => (x * c - y * d, x * d + y * c),
            B::TrueDivide => {
                if c == 0.0 && d == 0.0 {
                    return Err(self.raise(TypeId::ZERO_DIVISION_ERROR, "complex divide by zero"));
                }
                complex_div(x, y, c, d)
            }
            B::Power => {
                if c == 0.0 && d == 0.0 {
                    (1.0, 0.0)
                } else if x == 0.0 && y == 0.0 {
                    if d != 0.0 || c < 0.0 {
                        return Err(
                            self.raise(TypeId::ZERO_DIVISION_ERROR, "0.0 to a complex power")
                        );
                    }
                    (0.0, 0.0)
                } else if d == 0.0 && c == fl::trunc(c) && fabs(c) < 1024.0 {
                    // Integral powers by repeated multiplication (exact for small cases).
                    let mut n = fabs(c) as u32;
                    let (mut br, mut bi) = (x, y);
                    let (mut rr, mut ri) = (1.0, 0.0);
                    while n > 0 {
                        if n & 1 == 1 {
                            let t = rr * br - ri * bi;
                            ri = rr * bi + ri * br;
                            rr = t;
                        }
                        let t = br * br - bi * bi;
                        bi *= 2.0 * br;
                        br = t;
                        n >>= 1;
                    }
                    if c < 0.0 {
                        complex_div(1.0, 0.0, rr, ri)
                    } else {
                        (rr, ri)
                    }
                } else {
                    // exp((c + di) * log(x + yi))
                    let r = fl::sqrt(x * x + y * y);
                    let th = crate::modules::math::atan2_pub(y, x);
                    let lr = fl::ln(r);
                    let er = c * lr - d * th;
                    let ei = d * lr + c * th;
                    let m = fl::exp(er);
                    let (s, co) = crate::modules::math::sincos(ei);
                    (m * co, m * s)
                }
            }
            B::Equal => return Ok(Some(Obj::bool(x == c && y == d))),
            B::NotEqual => return Ok(Some(Obj::bool(x != c || y != d))),
            B::Less | B::More | B::LessEqual | B::MoreEqual | B::FloorDivide | B::Modulo => {
                return Ok(None);
            }
            _ => return Ok(None),
        };
        self.new_complex(re, im).map(Some)
    }

    /// Unary operation on a complex.
    pub(crate) fn complex_unary_op(&mut self, op: UnaryOp, a: Obj) -> PyResult<Option<Obj>> {
        let (x, y) = self.complex_value(a);
        match op {
            UnaryOp::Positive => Ok(Some(a)),
            UnaryOp::Negative => self.new_complex(-x, -y).map(Some),
            UnaryOp::Abs => self.new_float(fl::sqrt(x * x + y * y)).map(Some),
            UnaryOp::Bool => Ok(Some(Obj::bool(x != 0.0 || y != 0.0))),
            UnaryOp::Hash => {
                let h = crate::obj::float::float_hash(x)
                    ^ crate::obj::float::float_hash(y).wrapping_mul(1000003);
                Ok(Some(Obj::small_unchecked((h & (usize::MAX >> 2)) as isize)))
            }
            _ => Ok(None),
        }
    }

    /// `repr(complex)`.
    pub(crate) fn print_complex(&mut self, out: Out, o: Obj) -> PyResult<()> {
        let (x, y) = self.complex_value(o);
        let mut buf = crate::print::FloatBuf::new();
        if x == 0.0 && !x.is_sign_negative() {
            let s = component(y, &mut buf);
            self.out(out, s)?;
            return self.out(out, b"j");
        }
        self.out(out, b"(")?;
        let s = component(x, &mut buf);
        self.out(out, s)?;
        if !(y < 0.0 || (y == 0.0 && y.is_sign_negative())) || y.is_nan() {
            self.out(out, b"+")?;
        }
        let s = component(y, &mut buf);
        self.out(out, s)?;
        self.out(out, b"j)")
    }
}

fn complex_div(x: f64, y: f64, c: f64, d: f64) -> (f64, f64) {
    let den = c * c + d * d;
    ((x * c + y * d) / den, (y * c - x * d) / den)
}

/// A component's repr without a trailing `.0`.
fn component(v: f64, buf: &mut crate::print::FloatBuf) -> &[u8] {
    let s = crate::print::format_float_repr(v, buf);
    let n = s.len();
    if n >= 2 && s.ends_with(b".0") {
        &s[..n - 2]
    } else {
        s
    }
}

/// Parse complex text: `1.5`, `2j`, `(1+2j)`, `-1-0.5j`, with surrounding spaces.
pub fn parse_complex(s: &[u8]) -> Option<(f64, f64)> {
    let mut s = s;
    while let Some((&c, r)) = s.split_first() {
        if c == b' ' {
            s = r;
        } else {
            break;
        }
    }
    while let Some((&c, r)) = s.split_last() {
        if c == b' ' {
            s = r;
        } else {
            break;
        }
    }
    if s.first() == Some(&b'(') && s.last() == Some(&b')') {
        s = &s[1..s.len() - 1];
    }
    let body = match s.last() {
        Some(b'j') | Some(b'J') => &s[..s.len() - 1],
        _ => return crate::print::parse_float(s).map(|v| (v, 0.0)),
    };
    // Split at the last sign that is not after an exponent marker.
    let split = (1..body.len())
        .rev()
        .find(|&i| (body[i] == b'+' || body[i] == b'-') && !matches!(body[i - 1], b'e' | b'E'));
    match split {
        Some(i) => {
            let re = crate::print::parse_float(&body[..i])?;
            let im_text = &body[i..];
            let im = if im_text == b"+" {
                1.0
            } else if im_text == b"-" {
                -1.0
            } else {
                crate::print::parse_float(im_text)?
            };
            Some((re, im))
        }
        None => {
            let im = if body.is_empty() || body == b"+" {
                1.0
            } else if body == b"-" {
                -1.0
            } else {
                crate::print::parse_float(body)?
            };
            Some((0.0, im))
        }
    }
}

/// `complex(real=0, imag=0)` or `complex(text)`.
pub fn make_complex(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 2)?;
    if let Some(&a) = args.first() {
        if vm.is_str(a) {
            let b = vm.str_bytes(a);
            return match parse_complex(b) {
                Some((re, im)) => vm.new_complex(re, im),
                None => Err(vm.raise(TypeId::VALUE_ERROR, "complex() arg is a malformed string")),
            };
        }
    }
    let (ar, ai) = match args.first() {
        Some(&a) => match vm.as_complex(a) {
            Some(v) => v,
            None => return Err(vm.raise(TypeId::TYPE_ERROR, "complex() argument must be a number")),
        },
        None => (0.0, 0.0),
    };
    let (br, bi) = match args.get(1) {
        Some(&b) => match vm.as_complex(b) {
            Some(v) => v,
            None => return Err(vm.raise(TypeId::TYPE_ERROR, "complex() argument must be a number")),
        },
        None => (0.0, 0.0),
    };
    vm.new_complex(ar - bi, ai + br)
}

fn real(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let (x, _) = vm.complex_value(args[0]);
    vm.new_float(x)
}

fn imag(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let (_, y) = vm.complex_value(args[0]);
    vm.new_float(y)
}

fn conjugate(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let (x, y) = vm.complex_value(args[0]);
    vm.new_complex(x, -y)
}

/// `complex` methods and attributes.
pub static METHODS: [NativeDef; 3] = [
    method(q!("conjugate"), conjugate),
    getter(q!("imag"), imag),
    getter(q!("real"), real),
];
