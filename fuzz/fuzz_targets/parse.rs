//! Fuzz target: arbitrary bytes through `upyc_syntax::parse`.
//!
//! The parser must return on any input (no panic, no hang), and what it returns must be
//! consistent: every diagnostic's span lies within the input, every rule node's span lies
//! within the input and within its parent's span, and sibling rule nodes come in source order.

#![no_main]

use libfuzzer_sys::fuzz_target;
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::{Arena, Node, Span};
use upyc_syntax::{parse, InputKind, ParseOptions};

fuzz_target!(|data: &[u8]| {
    for options in [
        ParseOptions::default(),
        ParseOptions {
            small_int_bits: 63,
            opt_level: 3,
        },
    ] {
        let mut pool = QstrPool::new();
        let arena = Arena::new();
        let result = parse(data, InputKind::File, &options, &mut pool, &arena);
        let len = data.len() as u32;
        for d in &result.diagnostics {
            assert!(
                d.span.start <= d.span.end && d.span.end <= len,
                "diagnostic span {:?} outside input of {len} bytes: {d}",
                d.span
            );
            assert!(d.line >= 1, "diagnostic line 0: {d}");
        }
        if let Some(tree) = result.tree {
            assert!(
                result.diagnostics.is_empty(),
                "a tree is returned only without errors"
            );
            check_spans(&tree.root, len);
        }
    }
});

/// Walks the tree without recursion (trees can be very deep).
fn check_spans(root: &Node<'_>, len: u32) {
    let mut stack: Vec<(&Node<'_>, Span)> = vec![(root, Span::new(0, len))];
    while let Some((node, parent)) = stack.pop() {
        let Node::Rule(r) = node else { continue };
        let s = r.span;
        assert!(
            s.start <= s.end && s.end <= len,
            "{:?} span {s:?} outside input ({len} bytes)",
            r.rule
        );
        assert!(
            parent.start <= s.start && s.end <= parent.end,
            "{:?} span {s:?} not inside its parent's {parent:?}",
            r.rule
        );
        let mut prev_end = s.start;
        for child in r.args {
            if let Node::Rule(c) = child {
                assert!(
                    c.span.start >= prev_end,
                    "{:?} child {:?} span {:?} starts before its previous sibling ends ({prev_end})",
                    r.rule,
                    c.rule,
                    c.span
                );
                prev_end = c.span.end;
            }
            stack.push((child, s));
        }
    }
}
