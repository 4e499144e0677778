//! VM behaviour that needs a small heap or a direct look at the heap: MemoryError on
//! exhaustion (and recovery), collection of cycles, deep recursion.

use upyc_compiler::{compile_source, CompileOptions};
use upyc_runtime::vm::Out;
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

fn run_with(src: &str, heap_size: usize, config: Config) -> String {
    let opts = CompileOptions {
        source_name: "t.py".into(),
        ..CompileOptions::default()
    };
    let mpy = compile_source(src.as_bytes(), &opts).expect("compiles");
    let mut heap = vec![0u8; heap_size];
    let mut host = Sink(Vec::new());
    {
        let Ok(mut vm) = Vm::new(&mut heap, config, &mut host) else {
            panic!("vm")
        };
        if vm.exec_mpy("__main__", &mpy).is_err() {
            let e = vm.take_exception();
            let _ = vm.print_exception(Out::Stdout, e);
        }
    }
    String::from_utf8_lossy(&host.0).into_owned()
}

fn run(src: &str, heap_size: usize) -> String {
    run_with(src, heap_size, Config::default())
}

#[test]
fn memory_error_then_recovery() {
    let out = run(
        "l = []\ntry:\n    while True:\n        l.append([0] * 100)\nexcept MemoryError:\n    n = len(l)\n    l = None\n    print('recovered', n > 10)\nprint(sum(range(100)))\n",
        32 * 1024,
    );
    assert_eq!(out, "recovered True\n4950\n");
}

#[test]
fn uncaught_memory_error_traceback() {
    let out = run("x = 'a' * 100000\n", 16 * 1024);
    assert!(out.ends_with("MemoryError: \n"), "{out}");
}

#[test]
fn cycles_are_collected() {
    let out = run(
        "import gc\nclass N:\n    pass\ndef make():\n    a = N(); b = N(); a.b = b; b.a = a\nfor i in range(2000):\n    make()\ngc.collect()\nprint(gc.mem_alloc() < 20000)\n",
        64 * 1024,
    );
    assert_eq!(out, "True\n");
}

#[test]
#[cfg(feature = "error-text")]
fn recursion_depth_is_bounded() {
    let cfg = Config {
        max_depth: 50,
        ..Config::default()
    };
    let out = run_with(
        "def f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept RuntimeError as e:\n    print(e)\n",
        64 * 1024,
        cfg,
    );
    assert_eq!(out, "maximum recursion depth exceeded\n");
}

#[test]
fn deep_python_recursion_does_not_use_rust_stack() {
    // 20000 nested Python calls run in a thread with a small Rust stack.
    let h = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let cfg = Config {
                max_depth: 100_000,
                ..Config::default()
            };
            run_with(
                "def f(n):\n    return 0 if n == 0 else 1 + f(n - 1)\nprint(f(20000))\n",
                8 << 20,
                cfg,
            )
        })
        .unwrap();
    assert_eq!(h.join().unwrap(), "20000\n");
}

#[test]
fn traceback_text() {
    let out = run(
        "def f():\n    raise ValueError('bad', 1)\n\nf()\n",
        64 * 1024,
    );
    assert_eq!(
        out,
        "Traceback (most recent call last):\n  File \"t.py\", line 4, in <module>\n  File \"t.py\", line 2, in f\nValueError: ('bad', 1)\n"
    );
}

#[test]
#[cfg(all(feature = "struct", feature = "float"))]
fn builtin_module_names_and_u_aliases() {
    // Each builtin module by its name, and the five that also answer to a `u` prefix (the
    // same module object, whichever name is imported first).
    let out = run(
        "import usys, sys, time, utime, umath, math, errno, uerrno, ustruct, struct\n\
         import gc, micropython, builtins\n\
         print(sys is usys, time is utime, math is umath, errno is uerrno, struct is ustruct)\n\
         print(gc.collect.__name__, micropython.const(3), builtins.len('ab'))\n\
         for name in ('ugc', 'umicropython', 'ubuiltins', 'board', 'ustructx', 'u'):\n\
         \x20   try:\n\
         \x20       __import__(name)\n\
         \x20       print(name, 'found')\n\
         \x20   except ImportError:\n\
         \x20       print(name, 'missing')\n",
        64 * 1024,
    );
    assert_eq!(
        out,
        "True True True True True\ncollect 3 2\nugc missing\numicropython missing\n\
         ubuiltins missing\nboard missing\nustructx missing\nu missing\n"
    );
}

/// Without `error-text`, the runtime's own exceptions carry no message; a program's own
/// exceptions keep theirs.
#[test]
#[cfg(not(feature = "error-text"))]
fn no_error_text_drops_runtime_messages_only() {
    let out = run(
        "try:\n    'abc'.index('x')\nexcept ValueError as e:\n    print(type(e).__name__, e.args)\n\
         try:\n    iter(5)\nexcept TypeError as e:\n    print(type(e).__name__, e.args)\n\
         try:\n    raise ValueError('mine', 2)\nexcept ValueError as e:\n    print(e.args)\n",
        64 * 1024,
    );
    assert_eq!(out, "ValueError ()\nTypeError ()\n('mine', 2)\n");
}
