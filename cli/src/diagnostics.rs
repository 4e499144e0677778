//! `--diagnostics=rich`: every error with a source snippet and a caret (codespan-reporting).

use std::io::IsTerminal;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use upyc_compiler::CompileError;

/// Renders every diagnostic of `err` against `source` (read from `file_name`).
pub fn render_rich(err: &CompileError, file_name: &str, source: &[u8]) -> String {
    let text = String::from_utf8_lossy(source);
    let file = SimpleFile::new(file_name, text.as_ref());
    let clamp = |start: u32, end: u32| {
        let len = text.len();
        let s = (start as usize).min(len);
        let e = (end as usize).clamp(s, len);
        s..e
    };
    let mut diags = Vec::new();
    match err {
        CompileError::Parse { diagnostics, .. } => {
            for d in diagnostics {
                diags.push(
                    Diagnostic::error()
                        .with_message(format!("{}: {}", d.kind.exception().name(), d.message))
                        .with_labels(vec![Label::primary((), clamp(d.span.start, d.span.end))]),
                );
            }
        }
        other => {
            let mut d = Diagnostic::error().with_message(other.to_string());
            if let Some(span) = other.span() {
                d = d.with_labels(vec![Label::primary((), clamp(span.start, span.end))]);
            } else if let Some(line) = other.line() {
                d = d.with_notes(vec![format!("at line {line}")]);
            }
            diags.push(d);
        }
    }
    let count = diags.len();
    let mut buf = if std::io::stderr().is_terminal() {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = term::Config::default();
    for d in &diags {
        let _ = term::emit_to_write_style(&mut buf, &config, &file, d);
    }
    let mut out = String::from_utf8_lossy(buf.as_slice()).into_owned();
    out.push_str(&format!(
        "error: could not compile `{file_name}` ({count} error{})\n",
        if count == 1 { "" } else { "s" }
    ));
    out
}
