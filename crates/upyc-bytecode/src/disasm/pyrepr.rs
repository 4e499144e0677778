//! Python `repr()` of the values found in `.mpy` constant tables, as CPython 3 prints
//! them (CPython's `unicode_repr`, `bytes_repr`, `float_repr`, `complex_repr`; the
//! `mpy-tool.py` text is made of these).
//!
//! Differences from CPython: whether a non-ASCII character is printable (kept) or escaped
//! is decided by a small built-in list of control, format, separator, private-use and
//! non-character code points instead of the full Unicode database; unassigned code points
//! are kept rather than escaped.

use core::fmt::{self, Write};

/// A fixed-capacity text buffer for formatting numbers without allocating.
struct StackBuf {
    buf: [u8; 64],
    len: usize,
}

impl StackBuf {
    fn new() -> Self {
        StackBuf {
            buf: [0; 64],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self
            .len
            .checked_add(s.len())
            .filter(|&e| e <= self.buf.len())
            .ok_or(fmt::Error)?;
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Whether CPython's `str.isprintable()` holds for a non-ASCII character (approximated).
fn is_printable_non_ascii(c: char) -> bool {
    let cp = c as u32;
    !matches!(
        cp,
        0x80..=0xa0
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x2066..=0x206f
            | 0x3000
            | 0xd800..=0xf8ff
            | 0xfdd0..=0xfdef
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xf0000..=0x10ffff
    ) && cp & 0xfffe != 0xfffe
}

/// Quote character CPython picks: `"` if the text has `'` and no `"`, else `'`.
fn pick_quote(has_single: bool, has_double: bool) -> char {
    if has_single && !has_double {
        '"'
    } else {
        '\''
    }
}

/// `repr(s)` for a str.
pub fn write_str(out: &mut dyn Write, s: &str) -> fmt::Result {
    let quote = pick_quote(s.contains('\''), s.contains('"'));
    out.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\\' => out.write_str("\\\\")?,
            '\t' => out.write_str("\\t")?,
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            c if c == quote => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(out, "\\x{:02x}", c as u32)?,
            c if c.is_ascii() || is_printable_non_ascii(c) => out.write_char(c)?,
            c if (c as u32) <= 0xff => write!(out, "\\x{:02x}", c as u32)?,
            c if (c as u32) <= 0xffff => write!(out, "\\u{:04x}", c as u32)?,
            c => write!(out, "\\U{:08x}", c as u32)?,
        }
    }
    out.write_char(quote)
}

/// `repr(b)` for a bytes object.
pub fn write_bytes(out: &mut dyn Write, b: &[u8]) -> fmt::Result {
    let quote = pick_quote(b.contains(&b'\''), b.contains(&b'"'));
    out.write_char('b')?;
    out.write_char(quote)?;
    for &c in b {
        match c {
            b'\\' => out.write_str("\\\\")?,
            b'\t' => out.write_str("\\t")?,
            b'\n' => out.write_str("\\n")?,
            b'\r' => out.write_str("\\r")?,
            c if c as char == quote => {
                out.write_char('\\')?;
                out.write_char(c as char)?;
            }
            0x20..=0x7e => out.write_char(c as char)?,
            c => write!(out, "\\x{c:02x}")?,
        }
    }
    out.write_char(quote)
}

/// `repr(int(text))` for decimal text `-?[0-9]+`: drops leading zeros and the sign of 0.
pub fn write_int(out: &mut dyn Write, text: &str) -> fmt::Result {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return out.write_char('0');
    }
    if neg {
        out.write_char('-')?;
    }
    out.write_str(digits)
}

/// How to print the sign and integral values of a float.
#[derive(Clone, Copy)]
struct FloatStyle {
    /// Print `+` for non-negative values (`Py_DTSF_SIGN`).
    plus: bool,
    /// Append `.0` to integral values in fixed notation (`Py_DTSF_ADD_DOT_0`).
    dot_zero: bool,
}

/// CPython's `format(x, 'r')` with the given style.
fn write_float_styled(out: &mut dyn Write, x: f64, style: FloatStyle) -> fmt::Result {
    if x.is_nan() {
        return out.write_str(if style.plus { "+nan" } else { "nan" });
    }
    if x.is_sign_negative() {
        out.write_char('-')?;
    } else if style.plus {
        out.write_char('+')?;
    }
    let x = x.abs();
    if x.is_infinite() {
        return out.write_str("inf");
    }
    if x == 0.0 {
        return out.write_str(if style.dot_zero { "0.0" } else { "0" });
    }
    // Shortest round-trip digits: "d.ddde-N" / "de+N" from core's LowerExp.
    let mut sci = StackBuf::new();
    write!(sci, "{x:e}")?;
    let sci = sci.as_str();
    let (mantissa, exp) = sci.split_once('e').ok_or(fmt::Error)?;
    let exp: i32 = exp.parse().map_err(|_| fmt::Error)?;
    let mut digits = StackBuf::new();
    for c in mantissa.chars().filter(char::is_ascii_digit) {
        digits.write_char(c)?;
    }
    let digits = digits.as_str();
    let nd = digits.len() as i32;
    let decpt = exp + 1;
    if decpt <= -4 || decpt > 16 {
        out.write_str(&digits[..1])?;
        if nd > 1 {
            out.write_char('.')?;
            out.write_str(&digits[1..])?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.unsigned_abs())
    } else if decpt <= 0 {
        out.write_str("0.")?;
        for _ in 0..-decpt {
            out.write_char('0')?;
        }
        out.write_str(digits)
    } else if decpt >= nd {
        out.write_str(digits)?;
        for _ in 0..decpt - nd {
            out.write_char('0')?;
        }
        if style.dot_zero {
            out.write_str(".0")?;
        }
        Ok(())
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        out.write_str(int)?;
        out.write_char('.')?;
        out.write_str(frac)
    }
}

/// `repr(x)` for a float.
pub fn write_float(out: &mut dyn Write, x: f64) -> fmt::Result {
    write_float_styled(
        out,
        x,
        FloatStyle {
            plus: false,
            dot_zero: true,
        },
    )
}

/// `repr(complex(re, im))`.
pub fn write_complex(out: &mut dyn Write, re: f64, im: f64) -> fmt::Result {
    let plain = FloatStyle {
        plus: false,
        dot_zero: false,
    };
    if re == 0.0 && re.is_sign_positive() {
        write_float_styled(out, im, plain)?;
        return out.write_char('j');
    }
    out.write_char('(')?;
    write_float_styled(out, re, plain)?;
    write_float_styled(
        out,
        im,
        FloatStyle {
            plus: true,
            dot_zero: false,
        },
    )?;
    out.write_str("j)")
}

/// Parse float text as Python's `float()` does for the texts MicroPython writes.
pub fn parse_float(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn with(f: impl FnOnce(&mut dyn Write) -> fmt::Result) -> String {
        let mut s = String::new();
        f(&mut s).unwrap();
        s
    }

    #[test]
    fn floats_match_cpython() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1e100, "1e+100"),
            (1e-10, "1e-10"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (123456789.123, "123456789.123"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (5e-324, "5e-324"),
            (1e22, "1e+22"),
            (1.2345678901234567e-7, "1.2345678901234566e-07"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.001, "0.001"),
        ];
        for &(x, want) in cases {
            assert_eq!(with(|o| write_float(o, x)), want);
        }
    }

    #[test]
    fn complex_match_cpython() {
        assert_eq!(with(|o| write_complex(o, 0.0, 2.0)), "2j");
        assert_eq!(with(|o| write_complex(o, 0.0, 1e20)), "1e+20j");
        assert_eq!(with(|o| write_complex(o, 1.0, f64::NAN)), "(1+nanj)");
        assert_eq!(with(|o| write_complex(o, -0.0, -1.0)), "(-0-1j)");
        assert_eq!(with(|o| write_complex(o, 0.0, -0.0)), "-0j");
        assert_eq!(with(|o| write_complex(o, 1.0, 1e16)), "(1+1e+16j)");
    }

    #[test]
    fn strings_match_cpython() {
        assert_eq!(with(|o| write_str(o, "a'b")), "\"a'b\"");
        assert_eq!(with(|o| write_str(o, "a\"b'")), "'a\"b\\''");
        assert_eq!(
            with(|o| write_str(
                o,
                "\u{0}\u{80}\u{a0}\u{ad}\u{200b}\u{2028}\u{e000}\u{1f600}\u{e0001}\u{feff}é"
            )),
            "'\\x00\\x80\\xa0\\xad\\u200b\\u2028\\ue000\u{1f600}\\U000e0001\\ufeffé'"
        );
        assert_eq!(with(|o| write_bytes(o, b"a'b")), "b\"a'b\"");
        assert_eq!(with(|o| write_bytes(o, b"\"'")), "b'\"\\''");
        assert_eq!(
            with(|o| write_bytes(o, b"bytes\x00\xff'")),
            "b\"bytes\\x00\\xff'\""
        );
        assert_eq!(with(|o| write_int(o, "-000")), "0");
        assert_eq!(with(|o| write_int(o, "0012")), "12");
    }
}
