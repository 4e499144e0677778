//! Diagnostics of the lexer and parser: the exceptions MicroPython's `py/lexer.c`,
//! `py/parse.c` and `py/parsenum.c` raise while parsing, with mpy-cross's exact message text.
//!
//! MicroPython stops at the first exception; we keep going and collect them all, so only the
//! first diagnostic of a [`crate::ParseResult`] is guaranteed to be the one mpy-cross reports.
//! [`Diagnostic::render`] prints it the way mpy-cross prints it on stderr.

use crate::tree::Span;
use std::fmt;

/// The situation a diagnostic describes (one variant per situation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagnosticKind {
    /// The parser could not match the next token.
    InvalidSyntax,
    /// An indented line where no block starts (also the first line being indented).
    UnexpectedIndent,
    /// A dedent to a column that no enclosing block uses.
    UnindentMismatch,
    /// An f-string or t-string the lexer could not turn into a `.format()` call.
    MalformedFstring,
    /// An integer literal that does not parse (`0x`, `09`), with parsenum.c's message.
    InvalidInteger,
    /// A float or imaginary literal that does not parse (`1e`, `1.2.3`).
    InvalidNumber,
    /// `X = const(value)` where `value` is not a constant.
    NotAConstant,
    /// `\N{...}` in a str literal (MicroPython does not support unicode name escapes).
    UnicodeNameEscape,
    /// The source nests deeper than mpy-cross's 2 MB heap allows (MicroPython raises
    /// MemoryError; the exact limit depends on its heap, ours is [`crate::MAX_RULE_DEPTH`]).
    TooDeeplyNested,
}

/// The Python exception type mpy-cross reports for a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExceptionType {
    SyntaxError,
    IndentationError,
    NotImplementedError,
    MemoryError,
}

impl ExceptionType {
    pub const fn name(self) -> &'static str {
        match self {
            ExceptionType::SyntaxError => "SyntaxError",
            ExceptionType::IndentationError => "IndentationError",
            ExceptionType::NotImplementedError => "NotImplementedError",
            ExceptionType::MemoryError => "MemoryError",
        }
    }
}

impl DiagnosticKind {
    /// The exception mpy-cross raises.
    pub const fn exception(&self) -> ExceptionType {
        match self {
            DiagnosticKind::UnexpectedIndent | DiagnosticKind::UnindentMismatch => {
                ExceptionType::IndentationError
            }
            DiagnosticKind::UnicodeNameEscape => ExceptionType::NotImplementedError,
            DiagnosticKind::TooDeeplyNested => ExceptionType::MemoryError,
            _ => ExceptionType::SyntaxError,
        }
    }

    /// Whether mpy-cross prints a traceback with the file and line for it (exceptions raised
    /// by the lexer itself carry no location).
    pub const fn has_location(&self) -> bool {
        !matches!(
            self,
            DiagnosticKind::UnicodeNameEscape | DiagnosticKind::TooDeeplyNested
        )
    }
}

/// One error found while parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: DiagnosticKind,
    /// MicroPython's exact message text.
    pub message: String,
    /// The bytes of the source the error is about (may be empty, e.g. at the end of input).
    pub span: Span,
    /// The line mpy-cross reports (1-based).
    pub line: u32,
    /// The column of the token (1-based, tabs advance to the next multiple of 8, as the lexer
    /// counts).
    pub column: u32,
}

impl Diagnostic {
    /// The text mpy-cross writes to stderr for this error, given the file name it was told.
    pub fn render(&self, source_name: &str) -> String {
        let exc = self.kind.exception().name();
        if self.kind.has_location() {
            format!(
                "Traceback (most recent call last):\n  File \"{}\", line {}\n{}: {}\n",
                source_name, self.line, exc, self.message
            )
        } else {
            format!("{}: {}\n", exc, self.message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line,
            self.column,
            self.kind.exception().name(),
            self.message
        )
    }
}
