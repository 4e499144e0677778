//! The loader on untrusted input: every truncation and many mutations of real `.mpy`
//! files are rejected or run without a panic, a hang or an out-of-range access.

use proptest::prelude::*;
use upyc_compiler::{compile_source, CompileOptions};
use upyc_runtime::{Config, Host, Vm};

struct Sink(Vec<u8>);

impl Host for Sink {
    fn write_stdout(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn write_stderr(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
}

const SAMPLES: &[&str] = &[
    "print('hello', 1 + 2)\n",
    "def f(a, b=2, *args, k=3, **kw):\n    return a + b + k\nprint(f(1), [x * x for x in range(5)])\n",
    "class A:\n    def __init__(self, v):\n        self.v = v\n    def __repr__(self):\n        return 'A(%r)' % (self.v,)\nprint(A((1, 2.5, 'x', b'y', 10**30)))\n",
    "def g():\n    try:\n        yield 1\n        yield from range(3)\n    finally:\n        print('done')\nfor i in g():\n    print(i)\nwith open if False else None or __import__('sys').stdout: pass\n",
    "x = {1: 'a', 'b': (None, True, ..., -5)}\nfor k in sorted(x, key=str):\n    print(k, x[k])\ntry:\n    raise ValueError('bad')\nexcept ValueError as e:\n    print(e)\n",
];

fn compile(src: &str) -> Vec<u8> {
    let opts = CompileOptions {
        source_name: "t.py".into(),
        ..CompileOptions::default()
    };
    compile_source(src.as_bytes(), &opts).expect("sample compiles")
}

/// Load and run; the result does not matter, only that it returns.
fn run(mpy: &[u8]) -> Vec<u8> {
    let mut heap = vec![0u8; 256 * 1024];
    let mut host = Sink(Vec::new());
    {
        let cfg = Config {
            max_steps: 100_000,
            ..Config::default()
        };
        let Ok(mut vm) = Vm::new(&mut heap, cfg, &mut host) else {
            panic!("vm")
        };
        if vm.exec_mpy("__main__", mpy).is_err() {
            let _ = vm.take_exception();
        }
    }
    host.0
}

#[test]
fn samples_run() {
    let out = run(&compile(SAMPLES[0]));
    assert_eq!(out, b"hello 3\n");
    for s in SAMPLES {
        run(&compile(s));
    }
}

#[test]
fn bad_headers_are_value_errors() {
    let good = compile(SAMPLES[0]);
    for (i, b) in [(0usize, b'X'), (1, 5u8), (2, 0x17), (3, 200)] {
        let mut m = good.clone();
        m[i] = b;
        let mut heap = vec![0u8; 64 * 1024];
        let mut host = Sink(Vec::new());
        {
            let Ok(mut vm) = Vm::new(&mut heap, Config::default(), &mut host) else {
                panic!("vm")
            };
            assert!(vm.exec_mpy("__main__", &m).is_err(), "byte {i} = {b}");
            let e = vm.take_exception();
            assert!(vm.print_exception(upyc_runtime::vm::Out::Stdout, e).is_ok());
        }
        let text = String::from_utf8_lossy(&host.0).into_owned();
        assert!(text.starts_with("ValueError: "), "{text}");
        if i == 2 {
            assert_eq!(text, "ValueError: native code in .mpy unsupported\n");
        } else {
            assert_eq!(text, "ValueError: incompatible .mpy file\n");
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    for s in SAMPLES {
        let m = compile(s);
        for n in 0..m.len() {
            let out = run(&m[..n]);
            let text = String::from_utf8_lossy(&out);
            assert!(text.is_empty(), "truncated at {n} printed {text:?}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn mutations_never_panic(which in 0..SAMPLES.len(), edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut m = compile(SAMPLES[which]);
        for (pos, b) in edits {
            let i = pos % m.len();
            m[i] = b;
        }
        run(&m);
    }

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut m = vec![b'M', 6, 0, 31];
        m.extend(data);
        run(&m);
    }
}
