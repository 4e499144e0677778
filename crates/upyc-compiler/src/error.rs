//! Compile errors: one variant per situation `py/compile.c` and `py/emitbc.c` report, with the
//! exception type and message text mpy-cross prints for it.

/// Why compiling failed (after a successful parse).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    AwaitOutsideFunction,
    BreakContinueOutsideLoop,
    ReturnOutsideFunction,
    YieldOutsideFunction,
    StarArgAfterDoubleStar,
    StarArgAfterKwarg,
    StarExprNotAssignmentTarget,
    KeywordArgLhsNotId,
    ArgumentNameReused,
    AsyncOutsideAsyncFunction,
    CannotAssign,
    NonlocalAtModuleLevel,
    CannotDelete,
    DefaultExceptNotLast,
    ExpectingJustValueForSet,
    ExpectingKeyValueForDict,
    RedefinedAsGlobal,
    RedefinedAsNonlocal,
    ImportStarNotAtModuleLevel,
    InvalidArch,
    InvalidMicropythonDecorator,
    /// `**kwargs` not last, or two `*` parameters.
    InvalidSyntax,
    MultipleStarsInAssignment,
    NoBindingForNonlocal,
    NonDefaultAfterDefault,
    PositionalAfterDoubleStar,
    PositionalAfterKeyword,
    SuperCannotFindSelf,
    TooManyArgs,
    /// A jump offset does not fit in two bytes.
    BytecodeOverflow,
    /// More scopes than mpy-cross's 2 MiB heap can hold ([`crate::MAX_SCOPES`]).
    OutOfMemory,
    /// `@micropython.native`/`viper` for an architecture without a native emitter.
    NativeNotImplementedForArch,
    /// Native, viper or inline-assembler code for a real architecture: mpy-cross would emit
    /// machine code, which upyc does not support yet.
    NativeCodeUnsupported,
    /// The tree does not have the shape the MicroPython parser gives (a bug in the caller).
    MalformedTree,
}

impl ErrorKind {
    /// The Python exception type mpy-cross raises.
    pub fn exception_type(self) -> &'static str {
        match self {
            ErrorKind::BytecodeOverflow => "RuntimeError",
            ErrorKind::OutOfMemory => "MemoryError",
            ErrorKind::NativeNotImplementedForArch | ErrorKind::NativeCodeUnsupported => {
                "NotImplementedError"
            }
            _ => "SyntaxError",
        }
    }

    /// The message text, exactly as MicroPython words it.
    pub fn message(self) -> &'static str {
        match self {
            ErrorKind::AwaitOutsideFunction => "'await' outside function",
            ErrorKind::BreakContinueOutsideLoop => "'break'/'continue' outside loop",
            ErrorKind::ReturnOutsideFunction => "'return' outside function",
            ErrorKind::YieldOutsideFunction => "'yield' outside function",
            ErrorKind::StarArgAfterDoubleStar => "* arg after **",
            ErrorKind::StarArgAfterKwarg => "* arg after kwarg",
            ErrorKind::StarExprNotAssignmentTarget => "*x must be assignment target",
            ErrorKind::KeywordArgLhsNotId => "LHS of keyword arg must be an id",
            ErrorKind::ArgumentNameReused => "argument name reused",
            ErrorKind::AsyncOutsideAsyncFunction => "async for/with outside async function",
            ErrorKind::CannotAssign => "can't assign to expression",
            ErrorKind::NonlocalAtModuleLevel => "can't declare nonlocal in outer code",
            ErrorKind::CannotDelete => "can't delete expression",
            ErrorKind::DefaultExceptNotLast => "default 'except' must be last",
            ErrorKind::ExpectingJustValueForSet => "expecting just a value for set",
            ErrorKind::ExpectingKeyValueForDict => "expecting key:value for dict",
            ErrorKind::RedefinedAsGlobal => "identifier redefined as global",
            ErrorKind::RedefinedAsNonlocal => "identifier redefined as nonlocal",
            ErrorKind::ImportStarNotAtModuleLevel => "import * not at module level",
            ErrorKind::InvalidArch => "invalid arch",
            ErrorKind::InvalidMicropythonDecorator => "invalid micropython decorator",
            ErrorKind::InvalidSyntax => "invalid syntax",
            ErrorKind::MultipleStarsInAssignment => "multiple *x in assignment",
            ErrorKind::NoBindingForNonlocal => "no binding for nonlocal found",
            ErrorKind::NonDefaultAfterDefault => "non-default argument follows default argument",
            ErrorKind::PositionalAfterDoubleStar => "positional arg after **",
            ErrorKind::PositionalAfterKeyword => "positional arg after keyword arg",
            ErrorKind::SuperCannotFindSelf => "super() can't find self",
            ErrorKind::TooManyArgs => "too many args",
            ErrorKind::BytecodeOverflow => "bytecode overflow",
            ErrorKind::OutOfMemory => "",
            ErrorKind::NativeNotImplementedForArch => {
                "cannot emit native code for this architecture"
            }
            ErrorKind::NativeCodeUnsupported => {
                "native code (native, viper, inline assembler) is not supported by upyc yet"
            }
            ErrorKind::MalformedTree => "internal compiler error: unexpected parse tree shape",
        }
    }
}
