//! Corrupted images give a clean error at `Frozen::from_static`, never a panic; an image
//! that still passes runs (or raises) without panicking. Mutation testing with proptest,
//! every truncation, the named header errors, and a replay of the fuzz corpus
//! (`fuzz/corpus/frozen_image`, `fuzz/regressions/frozen_image`).

use proptest::prelude::*;
use upyc_freeze::{FreezeOptions, Image};
use upyc_runtime::frozen::{self, FrozenError, Part};
use upyc_runtime::{Config, Frozen, Host, Vm};

struct Sink;

impl Host for Sink {
    fn write_stdout(&mut self, _: &[u8]) {}
    fn write_stderr(&mut self, _: &[u8]) {}
}

fn area_image(area: &str) -> Vec<u8> {
    let dir = upyc_testkit::fixtures().join("run").join(area);
    let mods = upyc_freeze::input::collect_dir(&dir, &FreezeOptions::default()).unwrap();
    Image::from_modules(&mods).unwrap()
}

fn seeds() -> &'static [Vec<u8>] {
    static S: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    S.get_or_init(|| vec![area_image("modules"), area_image("classes")])
}

/// Parse, and if accepted, import every module in a step-bounded VM.
fn exercise(data: &[u8]) -> Result<(), FrozenError> {
    let f = Frozen::parse(data)?;
    let img: &'static [u8] = Box::leak(data.to_vec().into_boxed_slice());
    let f2 = Frozen::from_static(img).expect("same bytes parse again");
    let mut heap = vec![0u8; 128 * 1024];
    let mut host = Sink;
    let config = Config {
        max_steps: 20_000,
        ..Config::default()
    };
    let mut vm = Vm::new(&mut heap, config, &mut host).unwrap();
    vm.set_frozen(f2)?;
    for i in 0..f.module_count() {
        let m = f.module(i).unwrap();
        if let Ok(name) = std::str::from_utf8(m.name) {
            if vm.exec_frozen(name).is_err() {
                let _ = vm.take_exception();
            }
        }
    }
    Ok(())
}

#[test]
fn header_errors_are_named() {
    let img = area_image("modules");
    assert!(exercise(&img).is_ok());
    let mut bad = img.clone();
    bad[0] = b'X';
    assert_eq!(Frozen::parse(&bad).err(), Some(FrozenError::BadMagic));
    let mut bad = img.clone();
    bad[frozen::hdr::VERSION] = 7;
    assert_eq!(Frozen::parse(&bad).err(), Some(FrozenError::Version(7)));
    let mut bad = img.clone();
    bad[frozen::hdr::FINGERPRINT] ^= 1;
    assert_eq!(Frozen::parse(&bad).err(), Some(FrozenError::QstrTable));
    let mut bad = img.clone();
    bad.push(0);
    assert_eq!(
        Frozen::parse(&bad).err(),
        Some(FrozenError::Malformed(Part::Header))
    );
    assert_eq!(
        Frozen::parse(&img[..10]).err(),
        Some(FrozenError::Truncated)
    );
    assert!(FrozenError::Version(7).to_string().contains("image v7"));
}

#[test]
fn pool_lookup_finds_every_text_and_nothing_else() {
    let img = area_image("modules");
    let f = Frozen::parse(&img).unwrap();
    assert!(f.qstr_count() > 2 * frozen::QSTR_BLOCK, "several blocks");
    for i in 0..f.qstr_count() {
        let t = f.pool_text(i).to_vec();
        assert_eq!(f.find_pool(&t), Some(i));
        let mut more = t.clone();
        more.push(0xff);
        assert_eq!(f.find_pool(&more), None);
        if let Some(prefix) = t.get(..t.len().saturating_sub(1)) {
            if let Some(j) = f.find_pool(prefix) {
                assert_eq!(f.pool_text(j), prefix);
            }
        }
    }
    assert_eq!(f.find_pool(b""), None);
    assert_eq!(f.find_pool(b"\xff\xff"), None);
}

#[test]
fn every_truncation_is_an_error() {
    let img = area_image("modules");
    for n in 0..img.len() {
        assert!(Frozen::parse(&img[..n]).is_err(), "accepted {n} bytes");
    }
}

#[test]
fn fuzz_corpus_replays() {
    let root = upyc_testkit::root().join("fuzz");
    let mut n = 0;
    for dir in ["corpus/frozen_image", "regressions/frozen_image"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in rd {
            let path = e.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let r = exercise(&data);
            // The seeds are images of the current format (regenerate them when it changes).
            let seed = path
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with("seed_"));
            assert!(!seed || r.is_ok(), "{}: {r:?}", path.display());
            n += 1;
        }
    }
    assert!(n >= 4, "fuzz/corpus/frozen_image has the seeds");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn mutated_images_never_panic(
        which in 0usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let mut img = seeds()[which].clone();
        for (at, b) in edits {
            let i = at.index(img.len());
            img[i] = b;
        }
        if let Some(c) = cut {
            let n = c.index(img.len());
            img.truncate(n);
        }
        let _ = exercise(&img);
    }

    #[test]
    fn mutated_tables_never_panic(
        which in 0usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u32>()), 1..4),
    ) {
        // Word-sized edits in the aligned tables (offsets and counts), where a byte flip
        // rarely lands on something that still passes the magic and version checks.
        let mut img = seeds()[which].clone();
        let words = img.len() / 4;
        for (at, v) in edits {
            let w = 5 + at.index(words - 5);
            img[4 * w..4 * w + 4].copy_from_slice(&v.to_le_bytes());
        }
        let _ = exercise(&img);
    }
}
