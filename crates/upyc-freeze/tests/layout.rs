//! Format-version-2 layout choices that a round trip alone would not show: texts stored
//! once when one is part of another, constant objects of every kind (large ones placed
//! last) made at import with the same values as from the `.mpy`, and a clean error when a
//! module's constant objects do not fit the 16-bit constant entries.

use upyc_freeze::{FreezeError, FreezeOptions, Image, Module};
use upyc_runtime::{Config, Frozen, Host, Vm};

#[derive(Default)]
struct Out(Vec<u8>);

impl Host for Out {
    fn write_stdout(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn write_stderr(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
}

fn module(name: &str, src: &str) -> Module {
    let file = format!("{name}.py");
    Module {
        name: name.into(),
        is_package: false,
        mpy: upyc_freeze::input::compile(
            src.as_bytes(),
            &file,
            std::path::Path::new(&file),
            &FreezeOptions::default(),
        )
        .unwrap(),
    }
}

/// Output of running module `m` frozen, and of running its `.mpy`.
fn run_both(m: &Module) -> (Vec<u8>, Vec<u8>) {
    let img = Image::from_modules(std::slice::from_ref(m)).unwrap();
    assert_eq!(
        Image::to_modules(&img).unwrap(),
        vec![m.clone()],
        "round trip"
    );
    let img: &'static [u8] = Box::leak(img.into_boxed_slice());
    let mut outs = Vec::new();
    for frozen in [true, false] {
        let mut heap = vec![0u8; 256 * 1024];
        let mut host = Out::default();
        {
            let mut vm = Vm::new(&mut heap, Config::default(), &mut host).unwrap();
            let ok = if frozen {
                vm.set_frozen(Frozen::from_static(img).unwrap()).unwrap();
                vm.exec_frozen(&m.name).is_ok()
            } else {
                vm.exec_mpy(&m.name, &m.mpy).is_ok()
            };
            assert!(ok, "module raised");
        }
        outs.push(host.0);
    }
    let b = outs.pop().unwrap();
    (outs.pop().unwrap(), b)
}

#[test]
fn a_text_inside_another_is_stored_once() {
    let m = module(
        "sub",
        "zqxwvut_long_name = 1\nzqxwvut = 2\nprint(zqxwvut_long_name + zqxwvut)\n",
    );
    let img = Image::from_modules(std::slice::from_ref(&m)).unwrap();
    let count = img.windows(7).filter(|w| w == b"zqxwvut").count();
    assert_eq!(count, 1, "one copy of the text");
    let f = Frozen::parse(&img).unwrap();
    assert!(f.find_pool(b"zqxwvut").is_some() && f.find_pool(b"zqxwvut_long_name").is_some());
    let (frozen, mpy) = run_both(&m);
    assert_eq!(frozen, b"3\n");
    assert_eq!(frozen, mpy);
}

#[test]
fn constant_objects_of_every_kind_match_the_mpy() {
    let big = "ab".repeat(3000);
    let src = format!(
        "B = b'{big}'\nS = '{big}'\nI = 123456789012345678901234567890\nF = 2.5\n\
         C = 3j\nT = (1, None, True, ..., 'x', (2.5, b'y', -7), 1 << 62)\n\
         M = b'mid' * 2\nprint(len(B), len(S), I, F, C, T, M, B[:4], S[-3:])\n"
    );
    let m = module("consts", &src);
    let (frozen, mpy) = run_both(&m);
    assert!(!frozen.is_empty());
    assert_eq!(frozen, mpy);
}

#[test]
fn too_many_constant_objects_is_an_error() {
    // About 100 KB of distinct 50-byte bytes constants: beyond what 16-bit entries reach.
    let mut src = String::from("X = [\n");
    for i in 0..2000 {
        src.push_str(&format!("    b'{i:050}',\n"));
    }
    src.push_str("]\n");
    let m = module("many", &src);
    match Image::from_modules(&[m]) {
        Err(FreezeError::TooLarge(what)) => assert!(what.contains("constant")),
        other => panic!("expected TooLarge, got {:?}", other.map(|i| i.len())),
    }
}
