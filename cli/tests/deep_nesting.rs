//! Deeply nested code compiles (or fails cleanly) on a small thread stack, in debug builds too.

fn compile_on_small_stack(src: String) -> Result<Vec<u8>, String> {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            upyc_compiler::compile_source(src.as_bytes(), &Default::default())
                .map_err(|e| e.render())
        })
        .unwrap()
        .join()
        .expect("compiler must not overflow its stack")
}

#[test]
fn nesting_around_the_shallow_limit_compiles_on_a_1mib_stack() {
    for depth in [50, 150, 190, 199, 200, 201, 210, 400, 2000] {
        let not_chain = format!("x = {}y\n", "not ".repeat(depth));
        assert!(
            compile_on_small_stack(not_chain).is_ok(),
            "not-chain of depth {depth}"
        );
        let calls = format!("x = {}1{}\n", "f(".repeat(depth / 2), ")".repeat(depth / 2));
        let r = compile_on_small_stack(calls);
        // mpy-cross's parser limits bracket nesting; either way no crash.
        let _ = r;
    }
}
