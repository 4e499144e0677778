//! Fuzz target: arbitrary bytes as a frozen ROM image.
//!
//! `Frozen::parse` must return `Ok` or `Err` on any input, never panic or read out of
//! bounds. An image it accepts is walked through the reader API, then given to a VM whose
//! every module is imported (bounded by a step limit): errors are fine, panics are not.
//! The VM needs a `'static` image, so accepted inputs are leaked, up to a budget.

#![no_main]

use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;
use upyc_runtime::{Config, Frozen, Host, Vm};

struct Sink;

impl Host for Sink {
    fn write_stdout(&mut self, _: &[u8]) {}
    fn write_stderr(&mut self, _: &[u8]) {}
}

static LEAKED: AtomicUsize = AtomicUsize::new(0);
const LEAK_BUDGET: usize = 256 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(f) = Frozen::parse(data) else {
        return;
    };
    for i in 0..f.qstr_count() {
        let t = f.pool_text(i);
        assert_eq!(f.find_pool(t), Some(i));
    }
    for i in 0..f.module_count() {
        let m = f.module(i).expect("module in range");
        for k in 0..m.n_consts {
            let e = f.module_const(m.record, k).expect("const in range");
            assert!(f.decode_const(m.record, e).is_some(), "validated constant");
        }
        // The module body's record, then its descendants breadth first.
        let mut r = f.module_raw_code(m.record);
        let (mut seen, mut claimed) = (0, 1);
        while seen < claimed {
            let rec = f.raw_code(r).expect("validated record");
            assert!(f.prelude(r).is_some(), "validated prelude");
            claimed += rec.n_children;
            seen += 1;
            r = rec.next();
        }
    }
    if LEAKED.fetch_add(data.len(), Ordering::Relaxed) > LEAK_BUDGET {
        return;
    }
    let img: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
    let Ok(f) = Frozen::from_static(img) else {
        panic!("an image that parsed once does not parse again");
    };
    let mut heap = vec![0u8; 64 * 1024];
    let mut host = Sink;
    let config = Config {
        max_steps: 20_000,
        ..Config::default()
    };
    let Ok(mut vm) = Vm::new(&mut heap, config, &mut host) else {
        return;
    };
    if vm.set_frozen(f).is_err() {
        return;
    }
    for i in 0..f.module_count() {
        let Some(m) = f.module(i) else { continue };
        if let Ok(name) = std::str::from_utf8(m.name) {
            if vm.exec_frozen(name).is_err() {
                let _ = vm.take_exception();
            }
        }
    }
});
