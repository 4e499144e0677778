//! Frozen code runs in place: the heap used by importing a frozen module does not grow with
//! the module's code size (the same module loaded from `.mpy` does, which shows the
//! measurement can see it).

use upyc_freeze::{FreezeOptions, Image, Module};
use upyc_runtime::{Config, Frozen, Host, Vm};

#[derive(Default)]
struct TestHost {
    out: Vec<u8>,
}

impl Host for TestHost {
    fn write_stdout(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
    fn write_stderr(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }
}

/// A module whose only top-level object is function `big`, with `k` statements and `k`
/// nested functions in its body (none of which run at import).
fn source(k: usize) -> String {
    let mut s = String::from("def big(n):\n    total = 0\n");
    for i in 0..k {
        s.push_str(&format!(
            "    def inner{i}(x):\n        return x + {i} + len('text number {i}')\n"
        ));
        s.push_str(&format!(
            "    total += inner{i}(n) if n > {i} else len('another string {i}')\n"
        ));
    }
    s.push_str("    return total\nprint('loaded', __name__)\n");
    s
}

fn mpy(k: usize) -> Vec<u8> {
    upyc_freeze::input::compile(
        source(k).as_bytes(),
        "big.py",
        std::path::Path::new("big.py"),
        &FreezeOptions::default(),
    )
    .unwrap()
}

/// Heap bytes in use after a collection, before and after `import_it` (then `big(3)` runs).
fn growth(import_it: impl FnOnce(&mut Vm) -> bool) -> (usize, Vec<u8>) {
    let mut heap = vec![0u8; 1 << 20];
    let mut host = TestHost::default();
    let delta = {
        let mut vm = Vm::new(&mut heap, Config::default(), &mut host).unwrap();
        vm.collect();
        let before = vm.heap_stats().used;
        assert!(import_it(&mut vm), "import failed");
        vm.collect();
        let after = vm.heap_stats().used;
        assert!(
            vm.exec_mpy(
                "__main__",
                &upyc_freeze::input::compile(
                    b"import big\nprint(big.big(3))\n",
                    "main.py",
                    std::path::Path::new("main.py"),
                    &FreezeOptions::default()
                )
                .unwrap()
            )
            .is_ok(),
            "calling the frozen function failed"
        );
        after - before
    };
    (delta, host.out)
}

fn frozen_growth(k: usize) -> (usize, Vec<u8>) {
    let img = Image::from_modules(&[Module {
        name: "big".into(),
        is_package: false,
        mpy: mpy(k),
    }])
    .unwrap();
    assert_eq!(
        Image::to_modules(&img).unwrap()[0].mpy,
        mpy(k),
        "round trip"
    );
    let img: &'static [u8] = Box::leak(img.into_boxed_slice());
    let f = Frozen::from_static(img).unwrap();
    growth(|vm| {
        vm.set_frozen(f).unwrap();
        vm.exec_frozen("big").is_ok()
    })
}

fn mpy_growth(k: usize) -> (usize, Vec<u8>) {
    let code = mpy(k);
    growth(|vm| vm.exec_mpy("big", &code).is_ok())
}

#[test]
fn frozen_import_heap_does_not_grow_with_code_size() {
    let (small, out_small) = frozen_growth(2);
    let (large, out_large) = frozen_growth(400);
    assert!(
        mpy(400).len() > 40 * mpy(2).len() / 2,
        "the large module is large"
    );
    assert_eq!(
        small, large,
        "heap after importing a frozen module: {small} B with 2 inner functions, {large} B with 400"
    );
    // The same modules from .mpy: the heap grows with the code (raw codes, bytecode copy).
    let (msmall, mout_small) = mpy_growth(2);
    let (mlarge, mout_large) = mpy_growth(400);
    assert!(
        mlarge > msmall + mpy(400).len() - mpy(2).len(),
        ".mpy: {msmall} B vs {mlarge} B"
    );
    eprintln!("heap growth: frozen {small} B / {large} B, .mpy {msmall} B / {mlarge} B (2 / 400 inner functions)");
    assert!(large < mlarge / 10, "frozen {large} B vs .mpy {mlarge} B");
    // And they print the same.
    assert_eq!(out_small, mout_small);
    assert_eq!(out_large, mout_large);
    assert!(String::from_utf8_lossy(&out_large).starts_with("loaded big\n"));
}
