//! The public API: trees built by hand, errors, unsupported native code, determinism and deep
//! trees. Expected bytes and texts come from mpy-cross 1.29 (run here, or recorded from it).

use upyc_compiler::{
    compile_source, compile_tree, Arch, CompileError, CompileOptions, Emit, ErrorKind,
};
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::{Arena, ConstRef, Node, Rule, RuleNode, Span, Tree};

fn rule<'a>(arena: &'a Arena, rule: Rule, line: u32, args: Vec<Node<'a>>) -> Node<'a> {
    Node::Rule(arena.alloc_rule(RuleNode {
        rule,
        line,
        span: Span::default(),
        args: arena.alloc_nodes(args),
    }))
}

fn options(name: &str) -> CompileOptions {
    CompileOptions {
        source_name: name.to_string(),
        ..CompileOptions::default()
    }
}

/// Runs mpy-cross on `source` (saved as `name`) with `flags`: (exit code, output, stderr).
fn oracle(name: &str, source: &str, flags: &[&str]) -> (i32, Vec<u8>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join(name);
    std::fs::write(&input, source).expect("write input");
    let out = dir.path().join("out.mpy");
    let mut args: Vec<&str> = flags.to_vec();
    let (out_s, in_s) = (
        out.to_string_lossy().into_owned(),
        input.to_string_lossy().into_owned(),
    );
    args.extend(["-s", name, "-o", &out_s, &in_s]);
    let (code, _, stderr) = upyc_testkit::run_mpy_cross(&args, dir.path());
    let bytes = std::fs::read(&out).unwrap_or_default();
    (code, bytes, String::from_utf8_lossy(&stderr).into_owned())
}

/// `x = 1\nprint(x)\n` as MicroPython's parser shapes it, compiled without the parser.
#[test]
fn hand_built_tree_compiles_like_mpy_cross() {
    let arena = Arena::new();
    let mut pool = QstrPool::new();
    let x = pool.intern_str("x");
    let print = pool.intern_str("print");
    let root = rule(
        &arena,
        Rule::FileInput2,
        1,
        vec![
            rule(
                &arena,
                Rule::ExprStmt,
                1,
                vec![Node::Id(x), Node::SmallInt(1)],
            ),
            rule(
                &arena,
                Rule::ExprStmt,
                2,
                vec![
                    rule(
                        &arena,
                        Rule::AtomExprNormal,
                        2,
                        vec![
                            Node::Id(print),
                            rule(&arena, Rule::TrailerParen, 2, vec![Node::Id(x)]),
                        ],
                    ),
                    Node::Null,
                ],
            ),
        ],
    );
    let tree = Tree {
        root,
        consts: Vec::new(),
    };
    let ours = compile_tree(&tree, &mut pool, &options("t.py")).expect("compiles");
    // `mpy-cross -s t.py` on that source.
    let expected: &[u8] = &[
        0x4d, 0x06, 0x00, 0x1f, 0x04, 0x00, 0x08, 0x74, 0x2e, 0x70, 0x79, 0x00, 0x0f, 0x02, 0x78,
        0x00, 0x81, 0x77, 0x81, 0x00, 0x08, 0x04, 0x01, 0x23, 0x81, 0x16, 0x02, 0x11, 0x03, 0x11,
        0x02, 0x34, 0x01, 0x59, 0x51, 0x63,
    ];
    assert_eq!(ours, expected);
    let (code, theirs, _) = oracle("t.py", "x = 1\nprint(x)\n", &[]);
    assert_eq!(code, 0);
    assert_eq!(ours, theirs);
}

/// A hand-built tree whose constant leaf names no constant of the tree is an error, not a
/// panic.
#[test]
fn a_constant_missing_from_the_tree_is_a_malformed_tree() {
    let arena = Arena::new();
    let mut pool = QstrPool::new();
    let x = pool.intern_str("x");
    let root = rule(
        &arena,
        Rule::FileInput2,
        1,
        vec![rule(
            &arena,
            Rule::ExprStmt,
            1,
            vec![Node::Id(x), Node::Const(ConstRef(7))],
        )],
    );
    let tree = Tree {
        root,
        consts: Vec::new(),
    };
    let err = compile_tree(&tree, &mut pool, &options("t.py")).expect_err("malformed");
    assert!(
        matches!(
            err,
            CompileError::Compile {
                kind: ErrorKind::MalformedTree,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn compile_errors_render_as_mpy_cross_prints_them() {
    let cases = [
        "def f():\n  pass\nreturn 5\n",
        "for x in y:\n    pass\nbreak\n",
        "class C:\n    def f(self):\n        nonlocal q\n",
        "def f(a, a):\n    pass\n",
        "f(**a, *b)\n",
        "x = 1\n@micropython.foo\ndef f():\n    pass\n",
        "import micropython\n@micropython.native\ndef f():\n    return 1\n",
    ];
    for src in cases {
        let ours = compile_source(src.as_bytes(), &options("e.py"));
        let (code, _, stderr) = oracle("e.py", src, &[]);
        assert_ne!(code, 0, "mpy-cross accepts {src:?}");
        let err = ours.expect_err("we must reject it too");
        assert_eq!(err.render(), stderr, "for {src:?}");
        assert_eq!(err.exception_type(), Some("SyntaxError"));
    }
}

#[test]
fn native_code_is_unsupported_where_mpy_cross_would_emit_it() {
    let src = "import micropython\n@micropython.native\ndef f():\n    return 1\n";
    let (code, _, _) = oracle("n.py", src, &["-march=x64"]);
    assert_eq!(code, 0, "mpy-cross emits native code here");
    let opts = CompileOptions {
        arch: Some(Arch::X64),
        ..options("n.py")
    };
    let err = compile_source(src.as_bytes(), &opts).expect_err("unsupported");
    assert!(
        matches!(err, CompileError::Unsupported { line: Some(3), .. }),
        "{err:?}"
    );

    // Inline assembler for an architecture without one is mpy-cross's own error.
    let asm = "@micropython.asm_thumb\ndef f():\n    nop()\n";
    let (_, _, stderr) = oracle("a.py", asm, &["-march=x64"]);
    let asm_opts = CompileOptions {
        arch: Some(Arch::X64),
        ..options("a.py")
    };
    let err = compile_source(asm.as_bytes(), &asm_opts).expect_err("invalid arch");
    assert_eq!(err.render(), stderr);

    // Pure bytecode is unaffected by -march.
    let plain = "def f():\n    return 1\n";
    let (_, theirs, _) = oracle("p.py", plain, &["-march=armv7m"]);
    let opts = CompileOptions {
        arch: Some(Arch::Armv7m),
        ..options("p.py")
    };
    assert_eq!(
        compile_source(plain.as_bytes(), &opts).expect("bytecode"),
        theirs
    );
}

#[test]
fn emit_native_needs_an_arch() {
    let opts = CompileOptions {
        emit: Emit::Native,
        ..options("x.py")
    };
    let err = compile_source(b"x = 1\n", &opts).expect_err("no arch");
    assert_eq!(err, CompileError::ArchNotSpecified);
    let (code, _, stderr) = oracle("x.py", "x = 1\n", &["-X", "emit=native"]);
    assert_ne!(code, 0);
    assert_eq!(err.render(), stderr);
}

#[test]
fn output_is_deterministic() {
    let src = b"def f(a, *b, c=1, **d):\n    return [x for x in b if x]\nclass C(f):\n    pass\n";
    let a = compile_source(src, &options("d.py")).expect("compiles");
    let b = compile_source(src, &options("d.py")).expect("compiles");
    assert_eq!(a, b);
}

#[test]
fn deeply_nested_expressions_compile() {
    let src = format!("x = {}y\n", "not ".repeat(30_000));
    let ours = compile_source(src.as_bytes(), &options("n.py")).expect("compiles");
    let (code, theirs, _) = oracle("n.py", &src, &[]);
    assert_eq!(code, 0);
    assert_eq!(ours, theirs);
}

#[test]
fn error_kinds_have_micropython_messages() {
    assert_eq!(
        ErrorKind::CannotAssign.message(),
        "can't assign to expression"
    );
    assert_eq!(ErrorKind::BytecodeOverflow.exception_type(), "RuntimeError");
    assert_eq!(ErrorKind::InvalidArch.exception_type(), "SyntaxError");
}
