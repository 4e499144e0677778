//! Development timing: parses and compiles each input N times in-process and prints the
//! average time per phase. Usage: `compile_bench N FILE...`.

use std::time::Instant;

use upyc_compiler::{compile_tree, CompileOptions};
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::Arena;
use upyc_syntax::{parse, InputKind, ParseOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    for file in args {
        let Ok(source) = std::fs::read(&file) else {
            eprintln!("{file}: cannot read");
            continue;
        };
        let (mut t_pool, mut t_parse, mut t_compile) = (0.0, 0.0, 0.0);
        let mut arena = Arena::new();
        for _ in 0..n {
            arena.reset();
            let t0 = Instant::now();
            let mut pool = QstrPool::new();
            let t1 = Instant::now();
            let result = parse(
                &source,
                InputKind::File,
                &ParseOptions::default(),
                &mut pool,
                &arena,
            );
            let t2 = Instant::now();
            if let Some(tree) = result.tree {
                let options = CompileOptions {
                    source_name: file.clone(),
                    ..CompileOptions::default()
                };
                let _ = compile_tree(&tree, &mut pool, &options);
            }
            let t3 = Instant::now();
            t_pool += (t1 - t0).as_secs_f64();
            t_parse += (t2 - t1).as_secs_f64();
            t_compile += (t3 - t2).as_secs_f64();
        }
        let ms = |t: f64| t * 1000.0 / n as f64;
        println!(
            "{file}: pool {:.2} ms, parse {:.2} ms, compile+save {:.2} ms",
            ms(t_pool),
            ms(t_parse),
            ms(t_compile)
        );
    }
}
