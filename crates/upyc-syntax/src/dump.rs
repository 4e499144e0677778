//! A printer for parse trees in the format of MicroPython's `mp_parse_node_print`
//! (`py/parse.c`, built with `MICROPY_DEBUG_PRINTERS` and `MICROPY_DEBUG_PARSE_RULE_NAME`).
//!
//! One node a line; struct nodes (rules and constant objects) are prefixed with their source
//! line, children are indented by two spaces, tokens print as their `mp_token_kind_t` number.
//! Where we differ: a rule prints as `name (n=N)` without MicroPython's internal rule number,
//! and a constant object as `literal const=REPR` without its address (both differ between
//! builds). A debug build of mpy-cross patched the same way prints identical text, which is
//! how the tree shape is checked against MicroPython (see `tests/README.md`).

use std::io::Write;

use crate::num::{complex_repr, float_repr, int_repr};
use crate::qstr::QstrPool;
use crate::tree::{ConstValue, Node, Tok, Tree};

/// `utf8_get_char` and `utf8_next_char`: MicroPython's lenient UTF-8 decoding.
fn utf8_char(s: &[u8]) -> (u32, usize) {
    let Some(&first) = s.first() else {
        return (0, 1);
    };
    if first < 0x80 {
        // `utf8_next_char` skips continuation bytes even after an ASCII character.
        let len = 1 + s[1..].iter().take_while(|&&b| b & 0xc0 == 0x80).count();
        return (u32::from(first), len);
    }
    let mut ord = u32::from(first) & 0x7f;
    let mut mask = 0x40;
    while ord & mask != 0 {
        ord &= !mask;
        mask >>= 1;
    }
    let mut len = 1;
    while let Some(&b) = s.get(len) {
        if b & 0xc0 != 0x80 {
            break;
        }
        ord = (ord << 6) | u32::from(b & 0x3f);
        len += 1;
    }
    (ord, len)
}

/// `repr` of a str (`uni_print_quoted`) or bytes (`mp_str_print_quoted`).
fn quote(out: &mut Vec<u8>, s: &[u8], is_bytes: bool) {
    let has_single = s.contains(&b'\'');
    let has_double = s.contains(&b'"');
    let q = if has_single && !has_double {
        b'"'
    } else {
        b'\''
    };
    if is_bytes {
        out.push(b'b');
    }
    out.push(q);
    let mut i = 0;
    while i < s.len() {
        let (ch, len) = if is_bytes {
            (u32::from(s[i]), 1)
        } else {
            utf8_char(&s[i..])
        };
        let seq = &s[i..(i + len).min(s.len())];
        i += len;
        match ch {
            c if c == u32::from(q) => {
                out.push(b'\\');
                out.push(q);
            }
            0x5c => out.extend_from_slice(b"\\\\"),
            32..=126 => out.push(ch as u8),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            0..=127 => {
                let _ = write!(out, "\\x{ch:02x}");
            }
            _ if is_bytes => {
                let _ = write!(out, "\\x{ch:02x}");
            }
            0x80..=0xd7ff | 0xe000..=0x10ffff => out.extend_from_slice(seq),
            0xd800..=0xffff => {
                let _ = write!(out, "\\u{ch:04x}");
            }
            _ => {
                let _ = write!(out, "\\U{ch:08x}");
            }
        }
    }
    out.push(q);
}

/// The `repr` of a constant object.
pub fn const_repr(value: &ConstValue) -> String {
    let mut out = Vec::new();
    write_const(&mut out, value);
    String::from_utf8_lossy(&out).into_owned()
}

fn write_const(out: &mut Vec<u8>, value: &ConstValue) {
    let mut stack: Vec<Result<&ConstValue, &[u8]>> = vec![Ok(value)];
    while let Some(item) = stack.pop() {
        let v = match item {
            Ok(v) => v,
            Err(text) => {
                out.extend_from_slice(text);
                continue;
            }
        };
        match v {
            ConstValue::Int(i) => out.extend_from_slice(int_repr(i).as_bytes()),
            ConstValue::Float(f) => out.extend_from_slice(float_repr(*f).as_bytes()),
            ConstValue::Complex(re, im) => out.extend_from_slice(complex_repr(*re, *im).as_bytes()),
            ConstValue::Str(s) => quote(out, s, false),
            ConstValue::Bytes(b) => quote(out, b, true),
            ConstValue::None => out.extend_from_slice(b"None"),
            ConstValue::True => out.extend_from_slice(b"True"),
            ConstValue::False => out.extend_from_slice(b"False"),
            ConstValue::Ellipsis => out.extend_from_slice(b"Ellipsis"),
            ConstValue::Tuple(items) => {
                out.push(b'(');
                stack.push(Err(if items.len() == 1 { b",)" } else { b")" }));
                for (k, item) in items.iter().enumerate().rev() {
                    stack.push(Ok(item));
                    if k > 0 {
                        stack.push(Err(b", "));
                    }
                }
            }
        }
    }
}

/// The number MicroPython gives a token kind (its position in `mp_token_kind_t`).
pub fn token_number(t: Tok) -> usize {
    Tok::ALL.iter().position(|&k| k == t).unwrap_or(0)
}

/// Prints the tree's root and its children, one per line (no recursion, so any depth is fine).
/// Names and strings that are not valid UTF-8 are shown with replacement characters; see
/// [`dump_bytes`] for the exact bytes.
pub fn dump(tree: &Tree<'_>, pool: &QstrPool) -> String {
    String::from_utf8_lossy(&dump_bytes(tree, pool)).into_owned()
}

/// [`dump`] as raw bytes, exactly as MicroPython prints it.
pub fn dump_bytes(tree: &Tree<'_>, pool: &QstrPool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack: Vec<(&Node<'_>, usize)> = vec![(&tree.root, 0usize)];
    while let Some((node, indent)) = stack.pop() {
        match node {
            // `[% 4d] `: a space in place of a sign, then the number, in four columns.
            Node::Rule(r) => {
                let _ = write!(out, "[{:>4}] ", format!(" {}", r.line));
            }
            Node::Const(c) => {
                let line = tree.constant(*c).map_or(0, |c| c.line);
                let _ = write!(out, "[{:>4}] ", format!(" {line}"));
            }
            _ => out.extend_from_slice(b"       "),
        }
        out.resize(out.len() + indent, b' ');
        match node {
            Node::Null => out.extend_from_slice(b"NULL"),
            Node::SmallInt(v) => {
                let _ = write!(out, "int({v})");
            }
            Node::Id(q) => {
                out.extend_from_slice(b"id(");
                out.extend_from_slice(pool.get(*q));
                out.push(b')');
            }
            Node::Str(q) => {
                out.extend_from_slice(b"str(");
                out.extend_from_slice(pool.get(*q));
                out.push(b')');
            }
            Node::Token(t) => {
                let _ = write!(out, "tok({})", token_number(*t));
            }
            Node::Const(c) => {
                out.extend_from_slice(b"literal const=");
                match tree.constant(*c) {
                    Some(c) => write_const(&mut out, &c.value),
                    None => out.extend_from_slice(b"<missing>"),
                }
            }
            Node::Rule(r) => {
                let _ = write!(out, "{} (n={})", r.rule.name(), r.args.len());
                for child in r.args.iter().rev() {
                    stack.push((child, indent + 2));
                }
            }
        }
        out.push(b'\n');
    }
    out
}
