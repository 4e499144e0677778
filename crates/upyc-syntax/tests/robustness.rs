//! The parser never panics, always terminates, keeps going after errors, and survives deep
//! nesting on a small stack.

use proptest::prelude::*;

use upyc_syntax::dump::dump;
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::{Arena, Node, Rule, Tree};
use upyc_syntax::{parse, DiagnosticKind, InputKind, ParseOptions, ParseResult};

fn parse_file<'a>(source: &[u8], arena: &'a Arena) -> ParseResult<'a> {
    let mut pool = QstrPool::new();
    parse(
        source,
        InputKind::File,
        &ParseOptions::default(),
        &mut pool,
        arena,
    )
}

/// Runs `f` on a thread with a 256 KiB stack: the parser must not recurse.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("thread")
        .join()
        .expect("no panic")
}

/// Every diagnostic's span lies within the source.
fn check_diagnostics(source: &[u8], result: &ParseResult) {
    for d in &result.diagnostics {
        assert!(d.span.start <= d.span.end, "{d:?}");
        assert!(d.span.end as usize <= source.len(), "{d:?}");
        assert!(!d.message.is_empty());
    }
    assert_eq!(result.tree.is_some(), result.diagnostics.is_empty());
}

const TOKENS: &[&str] = &[
    "x",
    "y",
    "1",
    "2.5",
    "3j",
    "0x1f",
    "'s'",
    "b'b'",
    "f'{x}'",
    "t'{x}'",
    "f'{'",
    "\"\"\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ";",
    ".",
    "...",
    "=",
    "==",
    ":=",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "@",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "~",
    "<",
    ">",
    "!=",
    "->",
    "+=",
    "if",
    "else",
    "elif",
    "while",
    "for",
    "in",
    "not",
    "and",
    "or",
    "is",
    "def",
    "class",
    "return",
    "yield",
    "from",
    "import",
    "as",
    "lambda",
    "try",
    "except",
    "finally",
    "with",
    "async",
    "await",
    "pass",
    "break",
    "continue",
    "del",
    "global",
    "nonlocal",
    "assert",
    "raise",
    "None",
    "True",
    "False",
    "__debug__",
    "const",
    "math",
    "pi",
    "\n",
    "\n    ",
    "\n  ",
    "\n\t",
    "\\\n",
    "#c\n",
    " ",
    "\r\n",
    "\r",
    "\0",
    "$",
    "!",
    "\u{e9}",
    "\u{feff}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_bytes_never_panic(source in proptest::collection::vec(any::<u8>(), 0..400)) {
        let arena = Arena::new();
        let result = parse_file(&source, &arena);
        check_diagnostics(&source, &result);
    }

    #[test]
    fn token_soup_never_panics(
        picks in proptest::collection::vec(0..TOKENS.len(), 0..120),
        single in any::<bool>(),
    ) {
        let source: String = picks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        let mut pool = QstrPool::new();
        let arena = Arena::new();
        let kind = if single { InputKind::Single } else { InputKind::File };
        let result = parse(source.as_bytes(), kind, &ParseOptions::default(), &mut pool, &arena);
        check_diagnostics(source.as_bytes(), &result);
        if let Some(tree) = &result.tree {
            prop_assert!(!dump(tree, &pool).is_empty());
        }
        for kind in [InputKind::Eval, InputKind::Single] {
            let result = parse(source.as_bytes(), kind, &ParseOptions::default(), &mut pool, &arena);
            check_diagnostics(source.as_bytes(), &result);
        }
    }
}

#[test]
fn deep_unary_chains_parse_on_a_small_stack() {
    // mpy-cross compiles 30000 nested `not`s; the tree is 30000 rules deep.
    let result = on_small_stack(|| {
        let source = format!("x = {}y\n", "not ".repeat(30000));
        let arena = Arena::new();
        let result = parse_file(source.as_bytes(), &arena);
        let depth = result.tree.as_ref().map(tree_depth);
        (result.diagnostics.len(), depth)
    });
    assert_eq!(result.0, 0);
    assert!(result.1.unwrap_or(0) > 30000);

    let lambdas = on_small_stack(|| {
        let source = format!("f = {}0\n", "lambda: ".repeat(20000));
        let arena = Arena::new();
        parse_file(source.as_bytes(), &arena).diagnostics.len()
    });
    assert_eq!(lambdas, 0);
}

fn tree_depth(tree: &Tree<'_>) -> usize {
    let mut max = 0;
    let mut stack = vec![(&tree.root, 1)];
    while let Some((n, d)) = stack.pop() {
        max = max.max(d);
        if let Node::Rule(r) = n {
            stack.extend(r.args.iter().map(|c| (c, d + 1)));
        }
    }
    max
}

#[test]
fn nesting_beyond_the_heap_is_a_memory_error() {
    let kinds = on_small_stack(|| {
        let source = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let arena = Arena::new();
        let result = parse_file(source.as_bytes(), &arena);
        result
            .diagnostics
            .iter()
            .map(|d| d.kind.clone())
            .collect::<Vec<_>>()
    });
    assert_eq!(kinds, vec![DiagnosticKind::TooDeeplyNested]);
}

#[test]
fn reports_errors_after_the_first() {
    let source = b"x = (1,\ny = 2\nz = 3\ndef f(:\n    pass\nw = $\nok = 1\n";
    let arena = Arena::new();
    let result = parse_file(source, &arena);
    let lines: Vec<u32> = result.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![2, 4, 6]);
    assert!(result.tree.is_none());
}

#[test]
fn input_kinds() {
    let mut pool = QstrPool::new();
    let arena = Arena::new();
    let opts = ParseOptions::default();

    let eval = parse(b"1 + x", InputKind::Eval, &opts, &mut pool, &arena);
    let tree = eval.tree.expect("an expression");
    let expr = tree
        .root
        .as_rule(Rule::EvalInput)
        .and_then(|r| r.args.first());
    assert!(
        expr.is_some_and(|e| e.as_rule(Rule::ArithExpr).is_some()),
        "{}",
        dump(&tree, &pool)
    );

    // A lone constant is kept in single (REPL) input, so that it is printed.
    let single = parse(b"'doc'\n", InputKind::Single, &opts, &mut pool, &arena);
    let tree = single.tree.expect("a statement");
    assert!(
        tree.root.as_rule(Rule::ExprStmt).is_some(),
        "{}",
        dump(&tree, &pool)
    );
    let file = parse(b"'doc'\n", InputKind::File, &opts, &mut pool, &arena);
    let tree = file.tree.expect("a module");
    assert!(
        tree.root.as_rule(Rule::PassStmt).is_some(),
        "{}",
        dump(&tree, &pool)
    );

    let bad = parse(b"1 +", InputKind::Eval, &opts, &mut pool, &arena);
    assert_eq!(bad.diagnostics.len(), 1, "{:?}", bad.diagnostics);
}

#[test]
fn empty_input_is_an_empty_module() {
    for source in [&b""[..], b"\n\n", b"# comment", b"  \n\t\n"] {
        let arena = Arena::new();
        let result = parse_file(source, &arena);
        assert!(result.diagnostics.is_empty(), "{source:?}");
        assert!(result.tree.is_some(), "{source:?}");
    }
}
