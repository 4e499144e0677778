//! `str()`/`repr()` of every type, number formatting and parsing, `%` formatting and
//! format specs.
//!
//! Corresponds to MicroPython's `py/mpprint.c` (`mp_print_int`, `mp_print_float`),
//! `py/obj.c` (`mp_obj_print_helper`), the `print` slots of `py/obj*.c`, `py/objstr.c`
//! (`str_modulo_format`, `mp_obj_str_format`), `py/formatfloat.c` and `py/parsenum.c`.
//!
//! No `core::fmt`: integers are formatted by hand; floats use exact decimal expansion
//! (a double is `m * 2^e`, so its decimal digits are those of `m * 5^-e` or `m << e`,
//! computed with [`Big`]), rounded half-to-even, and `repr` picks the shortest digit
//! string that parses back to the same double, as CPython and MicroPython 1.29 do.
//!
//! Where we differ from MicroPython: float formatting is exact for every precision
//! (MicroPython's is approximate beyond ~16 digits); subnormal reprs are the shortest
//! round-trip strings (CPython's), e.g. `5e-324`.

#[cfg(any(feature = "bigint", feature = "float"))]
use crate::obj::bigint::Big;
use crate::obj::str::SRef;
use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Out, Vm};
use crate::{q, PyResult};

/// Deepest nesting of containers printed (deeper raises RuntimeError).
pub const MAX_PRINT_DEPTH: usize = 64;

/// Format a signed integer in decimal into the end of `buf`.
pub fn fmt_isize(v: isize, buf: &mut [u8; 24]) -> &[u8] {
    let mut pos = buf.len();
    let mut m = v.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if v < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    &buf[pos..]
}

/// Format an unsigned integer in `base` (2..=16) into the end of `buf`.
pub fn fmt_usize_base(v: usize, base: usize, upper: bool, buf: &mut [u8; 72]) -> &[u8] {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut pos = buf.len();
    let mut m = v;
    loop {
        pos -= 1;
        buf[pos] = digits[m % base];
        m /= base;
        if m == 0 {
            break;
        }
    }
    &buf[pos..]
}

impl<'h> Vm<'h> {
    /// Print `o` as `str(o)` (or `repr(o)`).
    pub fn print_obj(&mut self, out: Out, o: Obj, repr: bool) -> PyResult<()> {
        if self.print_depth >= MAX_PRINT_DEPTH {
            return Err(self.recursion_error());
        }
        self.print_depth += 1;
        let mark = self.roots_mark();
        let r = self.print_inner(out, o, repr);
        self.unroot_to(mark);
        self.print_depth -= 1;
        r
    }

    /// Print a small int. Not inlined: its digit buffer would otherwise take stack under
    /// every other print (a str's text going out to the host, say).
    #[inline(never)]
    fn print_small(&mut self, out: Out, v: isize) -> PyResult<()> {
        let mut buf = [0u8; 24];
        let s = fmt_isize(v, &mut buf);
        self.out(out, s)
    }

    fn print_inner(&mut self, out: Out, o: Obj, repr: bool) -> PyResult<()> {
        if o.is_small() {
            return self.print_small(out, o.small_value());
        }
        match o {
            Obj::NONE => return self.out(out, b"None"),
            Obj::TRUE => return self.out(out, b"True"),
            Obj::FALSE => return self.out(out, b"False"),
            Obj::ELLIPSIS => return self.out(out, b"Ellipsis"),
            Obj::NOT_IMPLEMENTED => return self.out(out, b"NotImplemented"),
            _ => {}
        }
        let tid = self.tid_of(o);
        match tid {
            TypeId::STR => {
                if repr {
                    print_quoted(self, out, o, false)
                } else {
                    self.out_str(out, o)
                }
            }
            TypeId::BYTES => print_quoted(self, out, o, true),
            TypeId::BYTEARRAY => {
                self.out(out, b"bytearray(")?;
                let r = self.buffer_ref(o).unwrap_or(SRef::Static(b""));
                print_bytes_lit(self, out, r)?;
                self.out(out, b")")
            }
            TypeId::BIGINT => print_int_base(self, out, o, 10, ""),
            TypeId::MEMVIEW => self.out(out, b"<memoryview>"),
            TypeId::BOARD_PIN
            | TypeId::DIGITALINOUT
            | TypeId::MACHINE_PIN
            | TypeId::DIRECTION
            | TypeId::PULL
            | TypeId::DRIVE_MODE => crate::modules::board::print(self, out, o, tid),
            #[cfg(feature = "float")]
            TypeId::FLOAT => print_float(self, out, o),
            #[cfg(feature = "complex")]
            TypeId::COMPLEX => self.print_complex(out, o),
            TypeId::TUPLE => {
                self.root(o)?;
                self.out(out, b"(")?;
                let n = self.tuple_len(o);
                for i in 0..n {
                    if i > 0 {
                        self.out(out, b", ")?;
                    }
                    let x = self.tuple_get(o, i);
                    self.print_obj(out, x, true)?;
                }
                if n == 1 {
                    self.out(out, b",")?;
                }
                self.out(out, b")")
            }
            TypeId::LIST => {
                self.root(o)?;
                self.out(out, b"[")?;
                let mut i = 0;
                while i < self.list_len(o) {
                    if i > 0 {
                        self.out(out, b", ")?;
                    }
                    let x = self.list_get(o, i);
                    self.print_obj(out, x, true)?;
                    i += 1;
                }
                self.out(out, b"]")
            }
            TypeId::DICT => {
                self.root(o)?;
                self.out(out, b"{")?;
                let mut first = true;
                let mut i = 0;
                while i < self.dict_used(o) {
                    if let Some((k, v)) = self.dict_entry(o, i) {
                        if !first {
                            self.out(out, b", ")?;
                        }
                        first = false;
                        self.print_obj(out, k, true)?;
                        self.out(out, b": ")?;
                        self.print_obj(out, v, true)?;
                    }
                    i += 1;
                }
                self.out(out, b"}")
            }
            #[cfg(feature = "set")]
            TypeId::SET | TypeId::FROZENSET => {
                self.root(o)?;
                let frozen = tid == TypeId::FROZENSET;
                if self.dict_len(o) == 0 {
                    return self.out(out, if frozen { b"frozenset()" } else { b"set()" });
                }
                if frozen {
                    self.out(out, b"frozenset(")?;
                }
                self.out(out, b"{")?;
                let mut first = true;
                let mut i = 0;
                while i < self.dict_used(o) {
                    if let Some((k, _)) = self.dict_entry(o, i) {
                        if !first {
                            self.out(out, b", ")?;
                        }
                        first = false;
                        self.print_obj(out, k, true)?;
                    }
                    i += 1;
                }
                self.out(out, b"}")?;
                if frozen {
                    self.out(out, b")")?;
                }
                Ok(())
            }
            TypeId::RANGE => {
                let (start, stop, step) = (
                    self.heap.get_obj(o, 1),
                    self.heap.get_obj(o, 2),
                    self.heap.get_obj(o, 3),
                );
                self.out(out, b"range(")?;
                self.print_obj(out, start, true)?;
                self.out(out, b", ")?;
                self.print_obj(out, stop, true)?;
                if step != Obj::small_unchecked(1) {
                    self.out(out, b", ")?;
                    self.print_obj(out, step, true)?;
                }
                self.out(out, b")")
            }
            TypeId::SLICE => {
                self.out(out, b"slice(")?;
                for i in 1..4 {
                    if i > 1 {
                        self.out(out, b", ")?;
                    }
                    let x = self.heap.get_obj(o, i);
                    self.print_obj(out, x, true)?;
                }
                self.out(out, b")")
            }
            TypeId::TYPE => {
                self.out(out, b"<class '")?;
                let n = self.class_name(o);
                self.out_qstr(out, n)?;
                self.out(out, b"'>")
            }
            TypeId::FUNCTION => {
                self.out(out, b"<function ")?;
                let n = crate::obj::fun::fun_name(self, o);
                self.out_qstr(out, n)?;
                self.out(out, b" at ")?;
                print_addr(self, out, o)?;
                self.out(out, b">")
            }
            TypeId::NATIVE_FUN => {
                self.out(out, b"<function ")?;
                let n = crate::builtins::native_name(self, o);
                self.out_qstr(out, n)?;
                self.out(out, b">")
            }
            TypeId::BOUND_METH => self.out(out, b"<bound_method>"),
            TypeId::GENERATOR => {
                self.out(out, b"<generator object '")?;
                let n = crate::obj::gen::name(self, o);
                self.out_qstr(out, n)?;
                self.out(out, b"' at ")?;
                print_addr(self, out, o)?;
                self.out(out, b">")
            }
            TypeId::MODULE => {
                self.out(out, b"<module '")?;
                let n = self.heap.get_obj(o, 1);
                self.out_str(out, n)?;
                self.out(out, b"'>")
            }
            TypeId::EXC => {
                let cls = self.heap.get_obj(o, 1);
                let special = if repr { q!("__repr__") } else { q!("__str__") };
                if cls.is_heap() {
                    if let Some(m) = self.class_lookup_user(cls, special) {
                        return self.print_via(out, m, o);
                    }
                    if !repr {
                        if let Some(m) = self.class_lookup_user(cls, q!("__repr__")) {
                            let _ = m;
                        }
                    }
                }
                if repr {
                    self.print_exc_repr(out, o)
                } else {
                    self.print_exc_str(out, o)
                }
            }
            TypeId::INSTANCE => {
                let cls = self.heap.get_obj(o, 1);
                let mut m = None;
                if !repr {
                    m = self.class_lookup_user(cls, q!("__str__"));
                }
                if m.is_none() {
                    m = self.class_lookup_user(cls, q!("__repr__"));
                }
                if let Some(m) = m {
                    return self.print_via(out, m, o);
                }
                let sub = self.heap.get_obj(o, crate::obj::instance::INST_SUB);
                if !sub.is_null() {
                    return self.print_obj(out, sub, repr);
                }
                print_default_repr(self, out, o)
            }
            TypeId::PROPERTY => self.out(out, b"<property>"),
            TypeId::CELL => self.out(out, b"<cell>"),
            TypeId::STDIO => self.out(out, b"<io.TextIOWrapper>"),
            TypeId::DICT_VIEW => crate::obj::iter::print_dict_view(self, out, o),
            _ => print_default_repr(self, out, o),
        }
    }

    /// Print the str returned by a user `__str__`/`__repr__`.
    fn print_via(&mut self, out: Out, m: Obj, o: Obj) -> PyResult<()> {
        let s = self.call(m, &[o], Obj::NULL)?;
        if !self.is_str(s) {
            return Err(self.raise(TypeId::TYPE_ERROR, "__str__ returned non-string"));
        }
        self.root(s)?;
        self.out_str(out, s)
    }
}

/// `<TypeName object at 0x...>`.
pub fn print_default_repr(vm: &mut Vm, out: Out, o: Obj) -> PyResult<()> {
    vm.out(out, b"<")?;
    let n = vm.type_name(o);
    vm.out_qstr(out, n)?;
    vm.out(out, b" object at ")?;
    print_addr(vm, out, o)?;
    vm.out(out, b">")
}

fn print_addr(vm: &mut Vm, out: Out, o: Obj) -> PyResult<()> {
    let mut buf = [0u8; 72];
    let s = fmt_usize_base(o.raw(), 16, false, &mut buf);
    vm.out(out, b"0x")?;
    vm.out(out, s)
}

/// Print a str or bytes literal with quotes and escapes (`repr`).
fn print_quoted(vm: &mut Vm, out: Out, o: Obj, bytes: bool) -> PyResult<()> {
    let r = vm.buffer_ref(o).unwrap_or(SRef::Static(b""));
    if bytes {
        return print_bytes_lit(vm, out, r);
    }
    let (has_sq, has_dq) = {
        let b = vm.sbytes(r);
        (b.contains(&b'\''), b.contains(&b'"'))
    };
    let q = if has_sq && !has_dq { b'"' } else { b'\'' };
    vm.out(out, &[q])?;
    let len = r.len();
    let mut i = 0;
    // U+0080..U+00A0 and U+00AD (UTF-8 0xc2 then that byte) are not printable: CPython
    // writes them as \xNN (the rest of Unicode's non-printables are left as they are).
    let c1 = |b: &[u8], i: usize| b[i] == 0xc2 && matches!(b.get(i + 1), Some(0x80..=0xa0 | 0xad));
    // Write in runs of bytes that need no escaping.
    while i < len {
        let start = i;
        while i < len {
            let c = vm.sbytes(r)[i];
            if c == q || c == b'\\' || c < 0x20 || c == 0x7f || c1(vm.sbytes(r), i) {
                break;
            }
            i += 1;
        }
        if i > start {
            match r {
                SRef::Static(s) => vm.out(out, &s[start..i])?,
                SRef::Heap(off, _) => vm.out_heap(out, off + start, i - start)?,
            }
        }
        if i < len {
            if c1(vm.sbytes(r), i) {
                let c = vm.sbytes(r)[i + 1];
                write_escape(vm, out, c)?;
                i += 2;
            } else {
                let c = vm.sbytes(r)[i];
                write_escape(vm, out, c)?;
                i += 1;
            }
        }
    }
    vm.out(out, &[q])
}

fn write_escape(vm: &mut Vm, out: Out, c: u8) -> PyResult<()> {
    match c {
        b'\\' => vm.out(out, b"\\\\"),
        b'\'' => vm.out(out, b"\\'"),
        b'"' => vm.out(out, b"\\\""),
        b'\n' => vm.out(out, b"\\n"),
        b'\r' => vm.out(out, b"\\r"),
        b'\t' => vm.out(out, b"\\t"),
        _ => {
            let hex = b"0123456789abcdef";
            vm.out(
                out,
                &[b'\\', b'x', hex[(c >> 4) as usize], hex[(c & 15) as usize]],
            )
        }
    }
}

fn print_bytes_lit(vm: &mut Vm, out: Out, r: SRef) -> PyResult<()> {
    let (has_sq, has_dq) = {
        let b = vm.sbytes(r);
        (b.contains(&b'\''), b.contains(&b'"'))
    };
    let q = if has_sq && !has_dq { b'"' } else { b'\'' };
    vm.out(out, &[b'b', q])?;
    for i in 0..r.len() {
        let c = vm.sbytes(r)[i];
        if c == q || c == b'\\' || !(0x20..0x7f).contains(&c) {
            write_escape(vm, out, c)?;
        } else {
            vm.out(out, &[c])?;
        }
    }
    vm.out(out, &[q])
}

/// Print an int (small or big) in `base` with a prefix after the sign.
pub fn print_int_base(vm: &mut Vm, out: Out, o: Obj, base: u32, prefix: &str) -> PyResult<()> {
    if let Some(v) = vm.small_of(o) {
        let mut buf = [0u8; 72];
        let s = fmt_usize_base(v.unsigned_abs(), base as usize, false, &mut buf);
        if v < 0 {
            vm.out(out, b"-")?;
        }
        vm.out(out, prefix.as_bytes())?;
        return vm.out(out, s);
    }
    #[cfg(feature = "bigint")]
    if vm.is_int(o) {
        return print_big_base(vm, out, o, base, prefix);
    }
    Err(vm.raise(TypeId::TYPE_ERROR, "expected int"))
}

/// [`print_int_base`] for a big int: kept out of line, so that printing a small int does
/// not reserve the digit buffer (4 KB) on the stack.
#[cfg(feature = "bigint")]
#[inline(never)]
fn print_big_base(vm: &mut Vm, out: Out, o: Obj, base: u32, prefix: &str) -> PyResult<()> {
    let Some(b) = vm.big_of(o) else {
        return Err(vm.raise(TypeId::TYPE_ERROR, "expected int"));
    };
    let mut buf = [0u8; crate::obj::bigint::FORMAT_BUF];
    let s = b.format(base, &mut buf);
    let (neg, digits) = match s.split_first() {
        Some((b'-', d)) => (true, d),
        _ => (false, s),
    };
    if neg {
        vm.out(out, b"-")?;
    }
    vm.out(out, prefix.as_bytes())?;
    vm.out(out, digits)
}

// ---------------------------------------------------------------- number parsing

/// `int(text, base)`.
pub fn parse_int(vm: &mut Vm, r: SRef, base: u32, orig: Obj) -> PyResult<Obj> {
    let b = vm.sbytes(r);
    let mut s = b;
    while let Some((&c, rest)) = s.split_first() {
        if crate::obj::str::is_space(c) {
            s = rest;
        } else {
            break;
        }
    }
    while let Some((&c, rest)) = s.split_last() {
        if crate::obj::str::is_space(c) {
            s = rest;
        } else {
            break;
        }
    }
    let (neg, mut t) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut base = base;
    if t.len() >= 2 && t[0] == b'0' {
        let p = t[1] | 0x20;
        let pb = match p {
            b'x' => 16,
            b'o' => 8,
            b'b' => 2,
            _ => 0,
        };
        if pb != 0 && (base == 0 || base == pb) {
            base = pb;
            t = &t[2..];
            if t.first() == Some(&b'_') {
                t = &t[1..];
            }
        }
    }
    if base == 0 {
        base = 10;
        if t.len() > 1 && t[0] == b'0' && t.iter().any(|&c| c != b'0' && c != b'_') {
            return Err(int_syntax_error(vm, orig, 0));
        }
    }
    let ok = !t.is_empty()
        && t[0] != b'_'
        && t[t.len() - 1] != b'_'
        && !t.windows(2).any(|w| w == b"__")
        && t.iter().all(|&c| c == b'_' || (c as char).is_digit(base));
    if !ok {
        return Err(int_syntax_error(vm, orig, base));
    }
    let mut v: i128 = 0;
    let mut overflow = false;
    for &c in t {
        if c == b'_' {
            continue;
        }
        let d = (c as char).to_digit(base).unwrap_or(0) as i128;
        match v.checked_mul(base as i128).and_then(|x| x.checked_add(d)) {
            Some(x) if x < (1i128 << 120) => v = x,
            _ => {
                overflow = true;
                break;
            }
        }
    }
    if !overflow {
        return vm.new_int(if neg { -v } else { v });
    }
    #[cfg(feature = "bigint")]
    {
        // `t` borrows the heap: pass its position in `r` instead.
        let start = (t.as_ptr() as usize).wrapping_sub(b.as_ptr() as usize);
        let len = t.len();
        parse_big(vm, neg, r, start..start + len, base)
    }
    #[cfg(not(feature = "bigint"))]
    Err(vm.raise(TypeId::OVERFLOW_ERROR, "small int overflow"))
}

/// [`parse_int`] for digits (already checked) beyond the i128 range; out of line to keep
/// its buffers off the stack of the common path.
#[cfg(feature = "bigint")]
#[inline(never)]
fn parse_big(
    vm: &mut Vm,
    neg: bool,
    r: SRef,
    at: core::ops::Range<usize>,
    base: u32,
) -> PyResult<Obj> {
    let mut digits = [0u8; 1300];
    let mut n = 0;
    if neg {
        digits[0] = b'-';
        n = 1;
    }
    for &c in vm.sbytes(r).get(at).unwrap_or(&[]) {
        if c != b'_' && n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    match Big::parse(&digits[..n], base) {
        Some(b) => vm.big_to_obj(&b),
        None => Err(vm.too_big()),
    }
}

fn int_syntax_error(vm: &mut Vm, orig: Obj, base: u32) -> crate::PyErr {
    vm.raise_fmt(
        TypeId::VALUE_ERROR,
        &[
            Fmt::S("invalid syntax for integer with base "),
            Fmt::I(base as isize),
            Fmt::S(": "),
            Fmt::R(orig),
        ],
    )
}

// ---------------------------------------------------------------- floats

/// `repr` of a float object; out of line, so that the recursive `print_obj` does not carry
/// a [`FloatBuf`] in each of its frames.
#[cfg(feature = "float")]
#[inline(never)]
fn print_float(vm: &mut Vm, out: Out, o: Obj) -> PyResult<()> {
    let v = vm.float_value(o);
    let mut buf = FloatBuf::new();
    let s = format_float_repr(v, &mut buf);
    vm.out(out, s)
}

/// A buffer for formatted floats (room for `%f` of 1e308 with 100 decimals).
#[cfg(feature = "float")]
pub struct FloatBuf {
    b: [u8; 1200],
    n: usize,
}

#[cfg(feature = "float")]
impl FloatBuf {
    /// An empty buffer.
    pub fn new() -> FloatBuf {
        FloatBuf { b: [0; 1200], n: 0 }
    }

    fn push(&mut self, c: u8) {
        if self.n < self.b.len() {
            self.b[self.n] = c;
            self.n += 1;
        }
    }

    fn push_all(&mut self, s: &[u8]) {
        for &c in s {
            self.push(c);
        }
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        &self.b[..self.n]
    }
}

#[cfg(feature = "float")]
impl Default for FloatBuf {
    fn default() -> Self {
        FloatBuf::new()
    }
}

/// Exact decimal digits of a finite, positive double: `0.d1 d2 ... * 10^exp`.
#[cfg(feature = "float")]
struct Digits {
    d: [u8; 800],
    n: usize,
    /// Position of the decimal point: value = 0.d1d2... * 10^exp.
    exp: i32,
}

#[cfg(feature = "float")]
impl Digits {
    fn exact(v: f64) -> Digits {
        let mut out = Digits {
            d: [0; 800],
            n: 0,
            exp: 0,
        };
        let bits = v.to_bits();
        let be = ((bits >> 52) & 0x7ff) as i32;
        let mut m = bits & ((1 << 52) - 1);
        let e = if be == 0 {
            -1074
        } else {
            m |= 1 << 52;
            be - 1075
        };
        if m == 0 {
            out.d[0] = b'0';
            out.n = 1;
            out.exp = 1;
            return out;
        }
        let mut big = Big::from_i128(m as i128);
        let frac_digits;
        if e >= 0 {
            big = Big::shl(&big, e as usize).unwrap_or(Big::zero());
            frac_digits = 0;
        } else {
            let k = (-e) as usize;
            // m * 5^k, then the point sits k digits from the right.
            let mut rem = k;
            while rem > 0 {
                let step = rem.min(13);
                let p = 5u64.pow(step as u32);
                let mut carry = 0u64;
                for i in 0..big.len {
                    let t = big.d[i] as u64 * p + carry;
                    big.d[i] = t as u32;
                    carry = t >> 32;
                }
                while carry != 0 && big.len < big.d.len() {
                    big.d[big.len] = carry as u32;
                    big.len += 1;
                    carry >>= 32;
                }
                rem -= step;
            }
            frac_digits = k as i32;
        }
        // Decimal digits of big, most significant first.
        let mut tmp = [0u8; 800];
        let mut t = 0;
        while !big.is_zero() && t + 9 <= tmp.len() {
            let mut r = big.divmod_small(1_000_000_000);
            for _ in 0..9 {
                tmp[t] = b'0' + (r % 10) as u8;
                r /= 10;
                t += 1;
            }
        }
        while t > 1 && tmp[t - 1] == b'0' {
            t -= 1;
        }
        for i in 0..t {
            out.d[i] = tmp[t - 1 - i];
        }
        out.n = t;
        out.exp = t as i32 - frac_digits;
        // Drop trailing zeros.
        while out.n > 1 && out.d[out.n - 1] == b'0' {
            out.n -= 1;
        }
        out
    }

    /// Round to `keep` leading digits (half to even); may bump `exp`.
    fn round_to(&mut self, keep: i32) {
        if keep < 0 {
            self.d[0] = b'0';
            self.n = 1;
            return;
        }
        let keep = keep as usize;
        if keep >= self.n {
            return;
        }
        let next = self.d[keep];
        let rest = self.d[keep + 1..self.n].iter().any(|&c| c != b'0');
        let prev_odd = keep > 0 && (self.d[keep - 1] - b'0') & 1 == 1;
        let up = next > b'5' || (next == b'5' && (rest || prev_odd));
        self.n = keep;
        if up {
            let mut i = keep;
            let mut carried_out = true;
            while i > 0 {
                i -= 1;
                if self.d[i] == b'9' {
                    self.d[i] = b'0';
                } else {
                    self.d[i] += 1;
                    carried_out = false;
                    break;
                }
            }
            if carried_out {
                // 999 -> 1000 (or nothing kept -> 1)
                self.d[0] = b'1';
                for j in 1..self.n {
                    self.d[j] = b'0';
                }
                if self.n == 0 {
                    self.n = 1;
                }
                self.exp += 1;
            }
        }
        if self.n == 0 {
            self.d[0] = b'0';
            self.n = 1;
        }
        while self.n > 1 && self.d[self.n - 1] == b'0' {
            self.n -= 1;
        }
    }

    fn digit(&self, i: usize) -> u8 {
        if i < self.n {
            self.d[i]
        } else {
            b'0'
        }
    }
}

/// Parse a decimal float literal (`[+-]digits[.digits][e[+-]digits]`, `inf`, `nan`),
/// correctly rounded. Surrounding whitespace is allowed.
#[cfg(feature = "float")]
pub fn parse_float(s: &[u8]) -> Option<f64> {
    let mut s = s;
    while let Some((&c, r)) = s.split_first() {
        if crate::obj::str::is_space(c) {
            s = r;
        } else {
            break;
        }
    }
    while let Some((&c, r)) = s.split_last() {
        if crate::obj::str::is_space(c) {
            s = r;
        } else {
            break;
        }
    }
    let (neg, t) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let sign = |v: f64| if neg { -v } else { v };
    if t.eq_ignore_ascii_case(b"inf") || t.eq_ignore_ascii_case(b"infinity") {
        return Some(sign(f64::INFINITY));
    }
    if t.eq_ignore_ascii_case(b"nan") {
        return Some(sign(f64::NAN));
    }
    if let Some(v) = parse_float_fast(t) {
        return Some(sign(v));
    }
    parse_float_slow(t).map(sign)
}

/// Clinger's fast path: `digits[.digits][e[+-]digits]` with at most 15 significant digits
/// and a decimal exponent within ±22 is one exact integer times or divided by an exact power
/// of ten, so one f64 operation rounds it correctly. `None`: take the slow path. It keeps
/// the common literals (`0.5`, `1e-3`) off the slow path's kilobytes of stack.
#[cfg(feature = "float")]
fn parse_float_fast(t: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let mut m: u64 = 0;
    let mut nd = 0u32;
    let mut dexp: i32 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut i = 0;
    while let Some(&c) = t.get(i) {
        if c.is_ascii_digit() {
            seen_digit = true;
            if m != 0 || c != b'0' {
                nd += 1;
                if nd > 15 {
                    return None;
                }
                m = m * 10 + u64::from(c - b'0');
            }
            if seen_point {
                dexp -= 1;
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if let Some(&c) = t.get(i) {
        if c | 0x20 != b'e' {
            return None;
        }
        i += 1;
        let neg = match t.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits = t.get(i..)?;
        if digits.is_empty() || digits.len() > 3 || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let e = digits
            .iter()
            .fold(0i32, |a, &c| a * 10 + i32::from(c - b'0'));
        dexp += if neg { -e } else { e };
    }
    if m == 0 {
        return Some(0.0);
    }
    let p = *POW10.get(dexp.unsigned_abs() as usize)?;
    Some(if dexp >= 0 {
        m as f64 * p
    } else {
        m as f64 / p
    })
}

/// The general case of [`parse_float`] (after the sign, `inf` and `nan`): exact big-number
/// arithmetic. Out of line: its buffers take kilobytes of stack.
#[cfg(feature = "float")]
#[inline(never)]
fn parse_float_slow(t: &[u8]) -> Option<f64> {
    let mut digits = [0u8; 800];
    let mut nd = 0usize;
    let mut dexp: i64 = 0;
    let mut i = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut sticky = false;
    let mut prev_us = true;
    while i < t.len() {
        let c = t[i];
        if c.is_ascii_digit() {
            seen_digit = true;
            prev_us = false;
            if nd == 0 && c == b'0' {
                if seen_point {
                    dexp -= 1;
                }
            } else if nd < digits.len() {
                digits[nd] = c - b'0';
                nd += 1;
                if seen_point {
                    dexp -= 1;
                }
            } else {
                if c != b'0' {
                    sticky = true;
                }
                if !seen_point {
                    dexp += 1;
                }
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else if c == b'_' && !prev_us && i + 1 < t.len() && t[i + 1].is_ascii_digit() {
            prev_us = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < t.len() {
        if t[i] | 0x20 != b'e' {
            return None;
        }
        i += 1;
        let (eneg, rest) = match t.get(i) {
            Some(b'-') => (true, i + 1),
            Some(b'+') => (false, i + 1),
            _ => (false, i),
        };
        if rest >= t.len() {
            return None;
        }
        let mut e: i64 = 0;
        for &c in &t[rest..] {
            if !c.is_ascii_digit() {
                return None;
            }
            e = (e * 10 + (c - b'0') as i64).min(100_000);
        }
        dexp += if eneg { -e } else { e };
    }
    if nd == 0 {
        return Some(0.0);
    }
    Some(digits_to_f64(&digits[..nd], dexp, sticky))
}

/// value = digits * 10^dexp (plus a tiny bit if `sticky`), correctly rounded.
#[cfg(feature = "float")]
fn digits_to_f64(digits: &[u8], dexp: i64, sticky: bool) -> f64 {
    let nd = digits.len() as i64;
    if nd + dexp > 310 {
        return f64::INFINITY;
    }
    if nd + dexp < -330 {
        return 0.0;
    }
    let mut d = Big::zero();
    for &c in digits {
        let mut carry = c as u64;
        for i in 0..d.len {
            let t = d.d[i] as u64 * 10 + carry;
            d.d[i] = t as u32;
            carry = t >> 32;
        }
        if carry != 0 && d.len < d.d.len() {
            d.d[d.len] = carry as u32;
            d.len += 1;
        }
    }
    if dexp >= 0 {
        let p = Big::pow(&Big::from_i128(10), dexp as u64).unwrap_or(Big::zero());
        let n = Big::mul(&d, &p).unwrap_or(Big::zero());
        return make_f64(&n, sticky, 0);
    }
    let p = Big::pow(&Big::from_i128(10), (-dexp) as u64).unwrap_or(Big::from_i128(1));
    let bl = |b: &Big| -> i64 {
        if b.len == 0 {
            0
        } else {
            (b.len as i64 - 1) * 32 + (32 - b.d[b.len - 1].leading_zeros() as i64)
        }
    };
    let shift = (64 + bl(&p) - bl(&d)).max(0);
    let num = Big::shl(&d, shift as usize).unwrap_or(Big::zero());
    let (q, r) = Big::divmod_floor(&num, &p).unwrap_or((Big::zero(), Big::zero()));
    make_f64(&q, sticky || !r.is_zero(), -(shift as i32))
}

/// The double nearest to `q * 2^scale` (+ a tiny bit if `sticky`), half to even.
#[cfg(feature = "float")]
fn make_f64(q: &Big, sticky: bool, scale: i32) -> f64 {
    if q.is_zero() {
        return 0.0;
    }
    let top = 32 - q.d[q.len - 1].leading_zeros() as i32;
    let l = (q.len as i32 - 1) * 32 + top;
    let msb_exp = l - 1 + scale;
    if msb_exp >= 1024 {
        return f64::INFINITY;
    }
    let keep = if msb_exp >= -1022 {
        53
    } else {
        53 - (-1022 - msb_exp)
    };
    let bit = |i: i32| -> bool {
        if i < 0 {
            return false;
        }
        let w = (i / 32) as usize;
        w < q.len && (q.d[w] >> (i % 32)) & 1 == 1
    };
    let drop = l - keep;
    let mut mant: u64 = 0;
    if drop <= 0 {
        for i in (0..l).rev() {
            mant = mant << 1 | bit(i) as u64;
        }
        mant <<= -drop;
    } else {
        for i in (drop..l).rev() {
            mant = mant << 1 | bit(i) as u64;
        }
        let round = bit(drop - 1);
        let mut rest = sticky;
        if !rest {
            for i in 0..drop - 1 {
                if bit(i) {
                    rest = true;
                    break;
                }
            }
        }
        if round && (rest || mant & 1 == 1) {
            mant += 1;
        }
    }
    // mant * 2^(drop + scale)
    let mut e2 = scale + drop;
    // Normalise to 53 bits.
    while mant >= 1 << 53 {
        mant >>= 1;
        e2 += 1;
    }
    if mant == 0 {
        return 0.0;
    }
    let mut m = mant;
    let mut e = e2;
    while m < 1 << 52 && e > -1074 {
        m <<= 1;
        e -= 1;
    }
    // value = m * 2^e, m in [2^52, 2^53) or subnormal.
    let biased = e + 52 + 1023;
    if biased >= 2047 {
        return f64::INFINITY;
    }
    if biased <= 0 || m < 1 << 52 {
        // Subnormal: value = m * 2^e with e == -1074 expected.
        let sh = -1074 - e;
        let mm = if sh > 0 { m >> sh } else { m << -sh };
        return f64::from_bits(mm);
    }
    f64::from_bits((biased as u64) << 52 | (m & ((1 << 52) - 1)))
}

/// `repr(float)`.
#[cfg(feature = "float")]
pub fn format_float_repr(v: f64, buf: &mut FloatBuf) -> &[u8] {
    buf.n = 0;
    if v.is_nan() {
        buf.push_all(b"nan");
        return buf.as_bytes();
    }
    if v.is_sign_negative() {
        buf.push(b'-');
    }
    let a = crate::obj::float::fabs(v);
    if a.is_infinite() {
        buf.push_all(b"inf");
        return buf.as_bytes();
    }
    if a == 0.0 {
        buf.push_all(b"0.0");
        return buf.as_bytes();
    }
    let exact = Digits::exact(a);
    let mut dg = Digits {
        d: [0; 800],
        n: 0,
        exp: 0,
    };
    for p in 1..=17 {
        let mut c = Digits {
            d: exact.d,
            n: exact.n,
            exp: exact.exp,
        };
        c.round_to(p);
        let mut raw = [0u8; 17];
        for (r, &d) in raw.iter_mut().zip(&c.d[..c.n.min(17)]) {
            *r = d - b'0';
        }
        let back = digits_to_f64(&raw[..c.n.min(17)], c.exp as i64 - c.n as i64, false);
        if back == a || p == 17 {
            dg = c;
            break;
        }
    }
    let x = dg.exp - 1; // decimal exponent of the first digit
    if (-4..16).contains(&x) {
        write_fixed(buf, &dg, (dg.n as i32 - dg.exp).max(1) as usize, false);
    } else {
        buf.push(dg.d[0]);
        if dg.n > 1 {
            buf.push(b'.');
            buf.push_all(&dg.d[1..dg.n]);
        }
        write_exp(buf, x, b'e');
    }
    buf.as_bytes()
}

/// Write digits in fixed notation with exactly `decimals` digits after the point.
#[cfg(feature = "float")]
fn write_fixed(buf: &mut FloatBuf, dg: &Digits, decimals: usize, alt: bool) {
    if dg.exp <= 0 {
        buf.push(b'0');
    } else {
        for i in 0..dg.exp as usize {
            buf.push(dg.digit(i));
        }
    }
    if decimals > 0 || alt {
        buf.push(b'.');
    }
    for k in 0..decimals {
        let pos = dg.exp + k as i32;
        if pos < 0 {
            buf.push(b'0');
        } else {
            buf.push(dg.digit(pos as usize));
        }
    }
}

#[cfg(feature = "float")]
fn write_exp(buf: &mut FloatBuf, x: i32, e: u8) {
    buf.push(e);
    buf.push(if x < 0 { b'-' } else { b'+' });
    let ax = x.unsigned_abs();
    if ax < 10 {
        buf.push(b'0');
    }
    let mut tmp = [0u8; 24];
    let s = fmt_isize(ax as isize, &mut tmp);
    buf.push_all(s);
}

/// Format a float like C's `%.{prec}{f|e|g}` (`upper` for F/E/G, `alt` for `#`).
#[cfg(feature = "float")]
pub fn format_float(v: f64, kind: u8, prec: usize, upper: bool, alt: bool, buf: &mut FloatBuf) {
    buf.n = 0;
    if v.is_sign_negative() && !v.is_nan() {
        buf.push(b'-');
    }
    let a = crate::obj::float::fabs(v);
    if !a.is_finite() {
        let s: &[u8] = match (a.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        buf.push_all(s);
        return;
    }
    let mut dg = Digits::exact(a);
    let is_zero = a == 0.0;
    match kind {
        b'f' | b'F' => {
            if !is_zero {
                dg.round_to(dg.exp + prec as i32);
            }
            write_fixed(buf, &dg, prec, alt);
        }
        b'e' | b'E' => {
            if !is_zero {
                dg.round_to(prec as i32 + 1);
            }
            let x = if is_zero { 0 } else { dg.exp - 1 };
            buf.push(dg.digit(0));
            if prec > 0 || alt {
                buf.push(b'.');
            }
            for i in 1..=prec {
                buf.push(dg.digit(i));
            }
            write_exp(buf, x, if upper { b'E' } else { b'e' });
        }
        _ => {
            // g
            let p = prec.max(1);
            if !is_zero {
                dg.round_to(p as i32);
            }
            let x = if is_zero { 0 } else { dg.exp - 1 };
            if x >= -4 && x < p as i32 {
                let decimals = (p as i32 - 1 - x).max(0) as usize;
                let start = buf.n;
                write_fixed(buf, &dg, decimals, alt);
                if !alt && decimals > 0 {
                    strip_zeros(buf, start);
                }
            } else {
                let start = buf.n;
                buf.push(dg.digit(0));
                if p > 1 || alt {
                    buf.push(b'.');
                }
                for i in 1..p {
                    buf.push(dg.digit(i));
                }
                if !alt {
                    strip_zeros(buf, start);
                }
                write_exp(buf, x, if upper { b'E' } else { b'e' });
            }
        }
    }
}

#[cfg(feature = "float")]
fn strip_zeros(buf: &mut FloatBuf, start: usize) {
    if !buf.b[start..buf.n].contains(&b'.') {
        return;
    }
    while buf.n > start && buf.b[buf.n - 1] == b'0' {
        buf.n -= 1;
    }
    if buf.n > start && buf.b[buf.n - 1] == b'.' {
        buf.n -= 1;
    }
}

/// Round half to even to an integral value.
#[cfg(feature = "float")]
pub fn round_half_even(v: f64) -> f64 {
    use crate::obj::float::floor;
    let f = floor(v);
    let diff = v - f;
    if diff > 0.5 {
        f + 1.0
    } else if diff < 0.5 {
        f
    } else if floor(f * 0.5) * 2.0 != f {
        // `f` is odd (exact for every integral double; `%` would link a 3 KB `fmod`).
        f + 1.0
    } else {
        f
    }
}

/// `round(v, n)`: the double nearest to the exact decimal rounding of `v` to `n` places.
#[cfg(feature = "float")]
pub fn round_digits(v: f64, n: isize) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    if n > 330 {
        return v;
    }
    let a = crate::obj::float::fabs(v);
    let mut dg = Digits::exact(a);
    let keep = dg.exp as isize + n;
    if keep <= 0 {
        // Rounds to zero unless exactly half or more at the first kept place.
        if keep == 0 {
            dg.round_to(0);
            if dg.exp > Digits::exact(a).exp {
                let r = digits_to_f64(&[1], -(n as i64), false);
                return if v < 0.0 { -r } else { r };
            }
        }
        return if v < 0.0 { -0.0 } else { 0.0 };
    }
    dg.round_to(keep as i32);
    let mut raw = [0u8; 800];
    for (r, &d) in raw.iter_mut().zip(&dg.d[..dg.n]) {
        *r = d - b'0';
    }
    let r = digits_to_f64(&raw[..dg.n], dg.exp as i64 - dg.n as i64, false);
    if v < 0.0 {
        -r
    } else {
        r
    }
}

// ---------------------------------------------------------------- % formatting and specs

/// A parsed format spec (`[[fill]align][sign][#][0][width][,|_][.prec][type]`).
#[derive(Clone, Copy)]
pub struct Spec {
    /// Fill character.
    pub fill: char,
    /// `<`, `>`, `^`, `=` or 0.
    pub align: u8,
    /// `+`, `-`, ` ` or 0.
    pub sign: u8,
    /// `#`.
    pub alt: bool,
    /// Minimum width.
    pub width: usize,
    /// `,` or `_` grouping, or 0.
    pub grouping: u8,
    /// Precision.
    pub prec: Option<usize>,
    /// Type character or 0.
    pub ty: u8,
}

impl Spec {
    /// An empty spec.
    pub const fn empty() -> Spec {
        Spec {
            fill: ' ',
            align: 0,
            sign: 0,
            alt: false,
            width: 0,
            grouping: 0,
            prec: None,
            ty: 0,
        }
    }

    /// Parse a format spec.
    pub fn parse(s: &[u8]) -> Option<Spec> {
        let mut sp = Spec::empty();
        let text = core::str::from_utf8(s).ok()?;
        let mut it = text.char_indices().peekable();
        let chars: [Option<(usize, char)>; 2] = [it.next(), it.next()];
        let mut i = 0;
        let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
        match chars {
            [Some((_, f)), Some((j, a))] if is_align(a) => {
                sp.fill = f;
                sp.align = a as u8;
                i = j + 1;
            }
            [Some((_, a)), _] if is_align(a) => {
                sp.align = a as u8;
                i = 1;
            }
            _ => {}
        }
        let b = s;
        if i < b.len() && matches!(b[i], b'+' | b'-' | b' ') {
            sp.sign = b[i];
            i += 1;
        }
        if i < b.len() && b[i] == b'#' {
            sp.alt = true;
            i += 1;
        }
        if i < b.len() && b[i] == b'0' {
            if sp.align == 0 {
                sp.fill = '0';
                sp.align = b'=';
            }
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            sp.width = sp
                .width
                .saturating_mul(10)
                .saturating_add((b[i] - b'0') as usize);
            i += 1;
        }
        if i < b.len() && (b[i] == b',' || b[i] == b'_') {
            sp.grouping = b[i];
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let mut p = 0usize;
            let st = i;
            while i < b.len() && b[i].is_ascii_digit() {
                p = p.saturating_mul(10).saturating_add((b[i] - b'0') as usize);
                i += 1;
            }
            if i == st {
                return None;
            }
            sp.prec = Some(p);
        }
        if i < b.len() {
            sp.ty = b[i];
            i += 1;
        }
        if i != b.len() {
            return None;
        }
        Some(sp)
    }
}

/// Write `body` (already signed/prefixed) padded per `spec`; `num_start` is where the
/// digits start (for `=` alignment).
fn pad(
    vm: &mut Vm,
    out: Out,
    body: &[u8],
    num_start: usize,
    spec: &Spec,
    default_align: u8,
) -> PyResult<()> {
    let len = crate::obj::str::char_count(body);
    let align = if spec.align == 0 {
        default_align
    } else {
        spec.align
    };
    if len >= spec.width {
        return vm.out(out, body);
    }
    let padn = spec.width - len;
    let mut fb = [0u8; 4];
    let fl = spec.fill.encode_utf8(&mut fb).len();
    let fill = &fb[..fl];
    let (left, right) = match align {
        b'<' => (0, padn),
        b'^' => (padn / 2, padn - padn / 2),
        b'=' => {
            vm.out(out, &body[..num_start])?;
            for _ in 0..padn {
                vm.out(out, fill)?;
            }
            return vm.out(out, &body[num_start..]);
        }
        _ => (padn, 0),
    };
    for _ in 0..left {
        vm.out(out, fill)?;
    }
    vm.out(out, body)?;
    for _ in 0..right {
        vm.out(out, fill)?;
    }
    Ok(())
}

#[cfg(feature = "float")]
/// Insert grouping separators every 3 digits into `digits` (written into `dst`).
fn group_digits(digits: &[u8], sep: u8, every: usize, dst: &mut [u8]) -> usize {
    let n = digits.len();
    let mut o = 0;
    for (i, &c) in digits.iter().enumerate() {
        if i > 0 && (n - i).is_multiple_of(every) && o < dst.len() {
            dst[o] = sep;
            o += 1;
        }
        if o < dst.len() {
            dst[o] = c;
            o += 1;
        }
    }
    o
}

/// Format an object per a format spec (`format(o, spec)`).
pub fn format_with_spec(vm: &mut Vm, out: Out, o: Obj, spec_text: &[u8]) -> PyResult<()> {
    // User __format__.
    if vm.is_instance_obj(o) {
        if let Some(m) = vm.lookup_special(o, q!("__format__")) {
            let s = vm.new_str(spec_text)?;
            vm.root(s)?;
            let r = vm.call(m, &[o, s], Obj::NULL)?;
            vm.root(r)?;
            return vm.out_str(out, r);
        }
    }
    let spec = match Spec::parse(spec_text) {
        Some(s) => s,
        None => return Err(vm.raise(TypeId::VALUE_ERROR, "invalid format specifier")),
    };
    let is_int = vm.is_int(o) && !(spec.ty == 0 && (o == Obj::TRUE || o == Obj::FALSE));
    #[cfg(feature = "float")]
    let is_float = vm.is_float(o);
    #[cfg(not(feature = "float"))]
    let is_float = false;
    if is_int && matches!(spec.ty, 0 | b'd' | b'n' | b'b' | b'o' | b'x' | b'X' | b'c') {
        return format_int_spec(vm, out, o, &spec);
    }
    #[cfg(feature = "float")]
    if (is_float || is_int)
        && matches!(
            spec.ty,
            0 | b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'%' | b'n'
        )
    {
        let v = vm.to_f64(o)?;
        return format_float_spec(vm, out, v, &spec, is_float);
    }
    if spec.ty != 0 && spec.ty != b's' || (is_int || is_float) && spec.ty == b's' {
        let tn = vm.type_name(o);
        let mut c = [0u8; 4];
        let cs = (spec.ty as char).encode_utf8(&mut c);
        let _ = cs;
        return Err(vm.raise_fmt(
            TypeId::VALUE_ERROR,
            &[
                Fmt::S("unknown format code '"),
                Fmt::S(core::str::from_utf8(&c[..1]).unwrap_or("?")),
                Fmt::S("' for object of type '"),
                Fmt::Q(tn),
                Fmt::S("'"),
            ],
        ));
    }
    // Strings (and everything else through str()).
    let s = vm.obj_str(o)?;
    vm.root(s)?;
    let r = vm.str_ref(s).unwrap_or(SRef::Static(b""));
    let text_len = r.len();
    let (a, b) = match spec.prec {
        Some(p) => vm.str_char_range(s, 0, p),
        None => (0, text_len),
    };
    let nchars = crate::obj::str::char_count(&vm.sbytes(r)[a..b]);
    let align = if spec.align == 0 { b'<' } else { spec.align };
    if align == b'=' {
        return Err(vm.raise(
            TypeId::VALUE_ERROR,
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let padn = spec.width.saturating_sub(nchars);
    let (left, right) = match align {
        b'>' => (padn, 0),
        b'^' => (padn / 2, padn - padn / 2),
        _ => (0, padn),
    };
    let mut fb = [0u8; 4];
    let fl = spec.fill.encode_utf8(&mut fb).len();
    for _ in 0..left {
        vm.out(out, &fb[..fl])?;
    }
    match r {
        SRef::Static(t) => vm.out(out, &t[a..b])?,
        SRef::Heap(off, _) => vm.out_heap(out, off + a, b - a)?,
    }
    for _ in 0..right {
        vm.out(out, &fb[..fl])?;
    }
    Ok(())
}

fn format_int_spec(vm: &mut Vm, out: Out, o: Obj, spec: &Spec) -> PyResult<()> {
    if spec.ty == b'c' {
        let c = vm.to_isize(o)?;
        let ch = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{fffd}');
        let mut b = [0u8; 4];
        let s = ch.encode_utf8(&mut b);
        let n = s.len();
        return pad(vm, out, &b[..n], 0, spec, b'<');
    }
    let (base, prefix): (u32, &[u8]) = match spec.ty {
        b'b' => (2, b"0b"),
        b'o' => (8, b"0o"),
        b'x' => (16, b"0x"),
        b'X' => (16, b"0X"),
        _ => (10, b""),
    };
    if let Some(v) = vm.small_of(o) {
        let mut buf = [0u8; 72];
        let s = fmt_usize_base(v.unsigned_abs(), base as usize, spec.ty == b'X', &mut buf);
        return emit_int(vm, out, v < 0, prefix, s, base, spec);
    }
    #[cfg(feature = "bigint")]
    {
        format_big_spec(vm, out, o, base, prefix, spec)
    }
    #[cfg(not(feature = "bigint"))]
    Err(vm.raise(TypeId::TYPE_ERROR, "expected int"))
}

/// [`format_int_spec`] for a big int, out of line to keep its 4 KB digit buffer off the
/// stack of the common small-int path.
#[cfg(feature = "bigint")]
#[inline(never)]
fn format_big_spec(
    vm: &mut Vm,
    out: Out,
    o: Obj,
    base: u32,
    prefix: &[u8],
    spec: &Spec,
) -> PyResult<()> {
    let b = vm.big_of(o).unwrap_or(Big::zero());
    let mut buf = [0u8; crate::obj::bigint::FORMAT_BUF];
    let n = {
        let s = b.format(base, &mut buf);
        s.len()
    };
    let start = buf.len() - n;
    let skip = usize::from(buf.get(start) == Some(&b'-'));
    let digits = &mut buf[start + skip..];
    if spec.ty == b'X' {
        digits.make_ascii_uppercase();
    }
    emit_int(vm, out, b.neg, prefix, digits, base, spec)
}

/// Write a formatted integer: sign, prefix (with `#`), digits (grouped), padded per spec;
/// straight to the output, without an intermediate buffer.
fn emit_int(
    vm: &mut Vm,
    out: Out,
    neg: bool,
    prefix: &[u8],
    digits: &[u8],
    base: u32,
    spec: &Spec,
) -> PyResult<()> {
    let sign: &[u8] = if neg {
        b"-"
    } else if spec.sign == b'+' {
        b"+"
    } else if spec.sign == b' ' {
        b" "
    } else {
        b""
    };
    let prefix = if spec.alt { prefix } else { b"" };
    let every = if base == 10 { 3 } else { 4 };
    let nd = digits.len();
    let seps = if spec.grouping != 0 && nd > 0 {
        (nd - 1) / every
    } else {
        0
    };
    let len = sign.len() + prefix.len() + nd + seps;
    let padn = spec.width.saturating_sub(len);
    let align = if spec.align == 0 { b'>' } else { spec.align };
    let mut fb = [0u8; 4];
    let fl = spec.fill.encode_utf8(&mut fb).len();
    let (left, mid, right) = match align {
        b'<' => (0, 0, padn),
        b'^' => (padn / 2, 0, padn - padn / 2),
        b'=' => (0, padn, 0),
        _ => (padn, 0, 0),
    };
    for _ in 0..left {
        vm.out(out, &fb[..fl])?;
    }
    vm.out(out, sign)?;
    vm.out(out, prefix)?;
    for _ in 0..mid {
        vm.out(out, &fb[..fl])?;
    }
    if seps == 0 {
        vm.out(out, digits)?;
    } else {
        let first = nd - seps * every;
        vm.out(out, &digits[..first])?;
        let mut i = first;
        while i < nd {
            vm.out(out, &[spec.grouping])?;
            vm.out(out, &digits[i..i + every])?;
            i += every;
        }
    }
    for _ in 0..right {
        vm.out(out, &fb[..fl])?;
    }
    Ok(())
}

#[cfg(feature = "float")]
fn format_float_spec(vm: &mut Vm, out: Out, v: f64, spec: &Spec, is_float: bool) -> PyResult<()> {
    let mut fb = FloatBuf::new();
    let upper = matches!(spec.ty, b'E' | b'F' | b'G');
    let mut percent = false;
    match spec.ty {
        b'f' | b'F' => format_float(v, b'f', spec.prec.unwrap_or(6), upper, spec.alt, &mut fb),
        b'e' | b'E' => format_float(v, b'e', spec.prec.unwrap_or(6), upper, spec.alt, &mut fb),
        b'g' | b'G' | b'n' => {
            format_float(v, b'g', spec.prec.unwrap_or(6), upper, spec.alt, &mut fb)
        }
        b'%' => {
            format_float(
                v * 100.0,
                b'f',
                spec.prec.unwrap_or(6),
                false,
                spec.alt,
                &mut fb,
            );
            percent = true;
        }
        _ => {
            // No type: repr-like, or g with the precision.
            match spec.prec {
                Some(p) => {
                    format_float(v, b'g', p, false, spec.alt, &mut fb);
                    let has_point = fb
                        .as_bytes()
                        .iter()
                        .any(|&c| c == b'.' || c == b'e' || c == b'n' || c == b'i');
                    if !has_point && is_float {
                        fb.push_all(b".0");
                    }
                }
                None => {
                    let mut b2 = FloatBuf::new();
                    let s = format_float_repr(v, &mut b2);
                    fb.push_all(s);
                }
            }
        }
    }
    if percent {
        fb.push(b'%');
    }
    // Sign and grouping.
    let text = fb.as_bytes();
    let (neg, mag) = match text.split_first() {
        Some((b'-', r)) => (true, r),
        _ => (false, text),
    };
    let mut body = [0u8; 1600];
    let mut n = 0;
    if neg {
        body[n] = b'-';
        n += 1;
    } else if spec.sign == b'+' || spec.sign == b' ' {
        body[n] = spec.sign;
        n += 1;
    }
    let num_start = n;
    if spec.grouping != 0 {
        let int_end = mag
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(mag.len());
        let mut g = [0u8; 1600];
        let gl = group_digits(&mag[..int_end], spec.grouping, 3, &mut g);
        for &c in g[..gl].iter().chain(&mag[int_end..]) {
            if n < body.len() {
                body[n] = c;
                n += 1;
            }
        }
    } else {
        for &c in mag {
            if n < body.len() {
                body[n] = c;
                n += 1;
            }
        }
    }
    pad(vm, out, &body[..n], num_start, spec, b'>')
}

/// `fmt % args`.
pub fn str_percent(vm: &mut Vm, fmt: Obj, args: Obj) -> PyResult<Obj> {
    let mark = vm.roots_mark();
    let r = str_percent_inner(vm, fmt, args);
    vm.unroot_to(mark);
    r
}

fn str_percent_inner(vm: &mut Vm, fmt: Obj, args: Obj) -> PyResult<Obj> {
    vm.root(fmt)?;
    vm.root(args)?;
    let sb = vm.sb_new(32)?;
    let out = Out::Sb(sb);
    let fr = vm.str_ref(fmt).unwrap_or(SRef::Static(b""));
    let len = fr.len();
    let is_tuple = vm.is_tuple(args);
    let dict = if !is_tuple && vm.is_dict(vm.native_base(args, TypeId::DICT)) {
        Some(args)
    } else {
        None
    };
    let n_args = if is_tuple { vm.tuple_len(args) } else { 1 };
    let mut ai = 0usize;
    let mut i = 0usize;
    let next_arg = |vm: &mut Vm, ai: &mut usize| -> PyResult<Obj> {
        if *ai >= n_args {
            return Err(vm.raise(TypeId::TYPE_ERROR, "format string needs more arguments"));
        }
        let a = if is_tuple {
            vm.tuple_get(args, *ai)
        } else {
            args
        };
        *ai += 1;
        Ok(a)
    };
    while i < len {
        let start = i;
        while i < len && vm.sbytes(fr)[i] != b'%' {
            i += 1;
        }
        if i > start {
            match fr {
                SRef::Static(s) => vm.out(out, &s[start..i])?,
                SRef::Heap(off, _) => vm.out_heap(out, off + start, i - start)?,
            }
        }
        if i >= len {
            break;
        }
        i += 1; // '%'
        if i >= len {
            return Err(vm.raise(TypeId::VALUE_ERROR, "incomplete format"));
        }
        // Mapping key.
        let mut arg = Obj::NULL;
        if vm.sbytes(fr)[i] == b'(' {
            let d = match dict {
                Some(d) => d,
                None => return Err(vm.raise(TypeId::TYPE_ERROR, "format needs a dict")),
            };
            let ks = i + 1;
            let mut depth = 1;
            i += 1;
            while i < len && depth > 0 {
                match vm.sbytes(fr)[i] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            if depth != 0 {
                return Err(vm.raise(TypeId::VALUE_ERROR, "incomplete format key"));
            }
            let key = vm.new_str_from_ref(TypeId::STR, fr, ks, i - 1)?;
            vm.root(key)?;
            arg = vm.subscr(d, key)?;
            vm.root(arg)?;
        }
        let mut spec = Spec::empty();
        spec.align = b'>';
        // Flags.
        while i < len {
            match vm.sbytes(fr)[i] {
                b'-' => spec.align = b'<',
                b'+' => spec.sign = b'+',
                b' ' => {
                    if spec.sign == 0 {
                        spec.sign = b' '
                    }
                }
                b'#' => spec.alt = true,
                b'0' => spec.fill = '0',
                _ => break,
            }
            i += 1;
        }
        if spec.fill == '0' && spec.align != b'<' {
            spec.align = b'=';
        } else {
            spec.fill = ' ';
        }
        // Width.
        if i < len && vm.sbytes(fr)[i] == b'*' {
            let w = next_arg(vm, &mut ai)?;
            spec.width = vm.to_isize(w)?.max(0) as usize;
            i += 1;
        } else {
            while i < len && vm.sbytes(fr)[i].is_ascii_digit() {
                spec.width = spec.width * 10 + (vm.sbytes(fr)[i] - b'0') as usize;
                i += 1;
            }
        }
        if i < len && vm.sbytes(fr)[i] == b'.' {
            i += 1;
            let mut p = 0;
            if i < len && vm.sbytes(fr)[i] == b'*' {
                let w = next_arg(vm, &mut ai)?;
                p = vm.to_isize(w)?.max(0) as usize;
                i += 1;
            } else {
                while i < len && vm.sbytes(fr)[i].is_ascii_digit() {
                    p = p * 10 + (vm.sbytes(fr)[i] - b'0') as usize;
                    i += 1;
                }
            }
            spec.prec = Some(p);
        }
        if i >= len {
            return Err(vm.raise(TypeId::VALUE_ERROR, "incomplete format"));
        }
        let ty = vm.sbytes(fr)[i];
        i += 1;
        if ty == b'%' {
            vm.out(out, b"%")?;
            continue;
        }
        if arg.is_null() {
            arg = next_arg(vm, &mut ai)?;
        }
        match ty {
            b's' | b'r' | b'a' => {
                let s = if ty == b's' {
                    vm.obj_str(arg)?
                } else {
                    vm.obj_repr(arg)?
                };
                vm.root(s)?;
                let mut sp = spec;
                if sp.align == b'=' {
                    sp.align = b'>';
                    sp.fill = ' ';
                }
                let st = vm.str_ref(s).unwrap_or(SRef::Static(b""));
                let stext_len = st.len();
                let (a, b) = match sp.prec {
                    Some(p) => vm.str_char_range(s, 0, p),
                    None => (0, stext_len),
                };
                let t = vm.new_str_from_ref(TypeId::STR, st, a, b)?;
                vm.root(t)?;
                sp.prec = None;
                sp.ty = 0;
                format_str_padded(vm, out, t, &sp)?;
            }
            b'd' | b'i' | b'u' | b'x' | b'X' | b'o' => {
                let iv = if vm.is_int(arg) {
                    arg
                } else {
                    #[cfg(feature = "float")]
                    if vm.is_float(arg) {
                        let f = vm.float_value(arg);
                        vm.float_to_int(f)?
                    } else {
                        return Err(vm.raise(TypeId::TYPE_ERROR, "integer needed"));
                    }
                    #[cfg(not(feature = "float"))]
                    return Err(vm.raise(TypeId::TYPE_ERROR, "integer needed"));
                };
                vm.root(iv)?;
                let mut sp = spec;
                sp.ty = match ty {
                    b'x' => b'x',
                    b'X' => b'X',
                    b'o' => b'o',
                    _ => b'd',
                };
                if sp.alt && ty == b'o' {
                    sp.alt = true;
                }
                if let Some(p) = sp.prec {
                    // Precision on ints: minimum digits.
                    let s = vm.new_str(b"")?;
                    let _ = s;
                    let mut sp2 = sp;
                    sp2.width = p;
                    sp2.fill = '0';
                    sp2.align = b'=';
                    sp2.prec = None;
                    let tmp = vm.sb_new(16)?;
                    format_int_spec(vm, Out::Sb(tmp), iv, &sp2)?;
                    let t = vm.sb_str(tmp)?;
                    vm.root(t)?;
                    sp.prec = None;
                    format_str_padded(vm, out, t, &sp)?;
                } else {
                    format_int_spec(vm, out, iv, &sp)?;
                }
            }
            #[cfg(feature = "float")]
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' => {
                let v = vm.to_f64(arg)?;
                let mut sp = spec;
                sp.ty = ty;
                if sp.prec.is_none() {
                    sp.prec = Some(6);
                }
                format_float_spec(vm, out, v, &sp, true)?;
            }
            b'c' => {
                if vm.is_str(arg) {
                    let s = arg;
                    let mut sp = spec;
                    sp.prec = None;
                    format_str_padded(vm, out, s, &sp)?;
                } else {
                    let mut sp = spec;
                    sp.ty = b'c';
                    format_int_spec(vm, out, arg, &sp)?;
                }
            }
            _ => {
                return Err(vm.raise_fmt(
                    TypeId::VALUE_ERROR,
                    &[
                        Fmt::S("unsupported format character '"),
                        Fmt::S(core::str::from_utf8(&[ty]).unwrap_or("?")),
                        Fmt::S("' (0x"),
                        Fmt::S(hex2(ty).as_str()),
                        Fmt::S(") at index "),
                        Fmt::I(i as isize - 1),
                    ],
                ));
            }
        }
    }
    if ai < n_args && dict.is_none() {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "format string didn't convert all arguments",
        ));
    }
    vm.sb_str(sb)
}

struct Hex2([u8; 2]);

impl Hex2 {
    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("??")
    }
}

fn hex2(b: u8) -> Hex2 {
    let h = b"0123456789abcdef";
    Hex2([h[(b >> 4) as usize], h[(b & 15) as usize]])
}

fn format_str_padded(vm: &mut Vm, out: Out, s: Obj, spec: &Spec) -> PyResult<()> {
    let n = vm.str_char_len(s);
    let padn = spec.width.saturating_sub(n);
    let (left, right) = match spec.align {
        b'<' => (0, padn),
        b'^' => (padn / 2, padn - padn / 2),
        _ => (padn, 0),
    };
    for _ in 0..left {
        vm.out(out, b" ")?;
    }
    vm.out_str(out, s)?;
    for _ in 0..right {
        vm.out(out, b" ")?;
    }
    Ok(())
}

#[cfg(all(test, feature = "float"))]
mod tests {
    use super::round_half_even;

    /// `round_half_even` against std's `round_ties_even`: halves of odd and even integers,
    /// negative values, and magnitudes up to and beyond 2^53.
    #[test]
    fn round_half_even_matches_std() {
        let mut xs = std::vec::Vec::new();
        for i in -40i64..=40 {
            let f = i as f64;
            xs.extend_from_slice(&[f, f + 0.5, f - 0.5, f + 0.25, f + 0.75]);
        }
        for e in [20, 40, 51, 52, 53, 60, 100, 300] {
            let p = 2f64.powi(e);
            xs.extend_from_slice(&[p, p + 1.0, p - 1.0, p + 0.5, -p - 0.5, p * 3.0 + 0.5]);
        }
        for x in xs {
            assert_eq!(round_half_even(x), x.round_ties_even(), "{x}");
        }
    }
}

#[cfg(all(test, feature = "float"))]
mod float_parse_tests {
    use super::{parse_float, parse_float_fast, parse_float_slow};
    use std::format;
    use std::string::ToString;

    /// The fast path agrees with the exact slow path and with Rust's parser wherever it
    /// answers, over a deterministic spread of literals.
    #[test]
    fn fast_path_is_correctly_rounded() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut answered = 0;
        for _ in 0..20_000 {
            let digits = next() % 10u64.pow((next() % 17) as u32 + 1);
            let point = (next() % 18) as usize;
            let exp = (next() % 60) as i64 - 30;
            let mut text = digits.to_string();
            if point < text.len() {
                text.insert(point, '.');
            }
            if next() % 2 == 0 {
                text.push_str(&format!("e{exp}"));
            }
            let expected: f64 = text.parse().expect("a valid literal");
            assert_eq!(parse_float(text.as_bytes()), Some(expected), "{text}");
            if let Some(v) = parse_float_fast(text.as_bytes()) {
                answered += 1;
                assert_eq!(v.to_bits(), expected.to_bits(), "fast: {text}");
                assert_eq!(parse_float_slow(text.as_bytes()), Some(v), "slow: {text}");
            }
        }
        assert!(answered > 5_000, "the fast path answered only {answered}");
        for t in [
            "0.5",
            "1e-3",
            ".5",
            "5.",
            "0",
            "0e500",
            "123456789012345e22",
        ] {
            assert_eq!(parse_float(t.as_bytes()), t.parse().ok(), "{t}");
        }
    }
}
