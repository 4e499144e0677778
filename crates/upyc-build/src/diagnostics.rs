//! Rich diagnostics: every error with a source snippet and a caret (codespan-reporting), for
//! compile errors (`upyc build`, `upyc compile --diagnostics=rich`) and manifest errors; and
//! the line/column arithmetic the JSON messages use.
//!
//! Rendering returns text; whether it goes to a terminal, and in colour, is the caller's choice.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};
use upyc_compiler::CompileError;

use crate::manifest::ManifestError;

/// One located message of a compile error (a parse error may carry several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// `SyntaxError: invalid syntax`.
    pub message: String,
    /// Byte range in the source, when known.
    pub span: Option<std::ops::Range<usize>>,
    /// 1-based line and column (column counts characters), when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Every message of `err`, located in `source`.
pub fn locate(err: &CompileError, source: &[u8]) -> Vec<Located> {
    let clamp = |start: u32, end: u32| {
        let s = (start as usize).min(source.len());
        s..(end as usize).clamp(s, source.len())
    };
    let at = |span: std::ops::Range<usize>| {
        let (line, column) = line_column(source, span.start);
        (Some(span), Some(line), Some(column))
    };
    match err {
        CompileError::Parse { diagnostics, .. } => diagnostics
            .iter()
            .map(|d| {
                let (span, line, column) = at(clamp(d.span.start, d.span.end));
                Located {
                    message: format!("{}: {}", d.kind.exception().name(), d.message),
                    span,
                    line,
                    column,
                }
            })
            .collect(),
        other => {
            let (span, line, column) = match other.span() {
                Some(s) => at(clamp(s.start, s.end)),
                None => (None, other.line().map(|l| l as usize), None),
            };
            vec![Located {
                message: other.to_string(),
                span,
                line,
                column,
            }]
        }
    }
}

/// `span` shrunk to char boundaries of `text` (spans are byte offsets into the source, which
/// may not be UTF-8; the text shown is its lossy conversion).
pub fn fit(text: &str, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    start..floor(span.end).max(start)
}

fn emit(file: &SimpleFile<&str, &str>, diags: &[Diagnostic<()>], color: bool) -> String {
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = term::Config::default();
    for d in diags {
        let _ = term::emit_to_write_style(&mut buf, &config, file, d);
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

/// Every diagnostic of `err` against `source` (read from `file_name`), snippets and carets.
/// Returns the text and the number of diagnostics.
pub fn render_compile_error(
    err: &CompileError,
    file_name: &str,
    source: &[u8],
    color: bool,
) -> (String, usize) {
    let text = String::from_utf8_lossy(source);
    let file = SimpleFile::new(file_name, text.as_ref());
    let diags: Vec<Diagnostic<()>> = locate(err, source)
        .into_iter()
        .map(|l| {
            let d = Diagnostic::error().with_message(l.message);
            match (l.span, l.line) {
                (Some(span), _) => d.with_labels(vec![Label::primary((), fit(&text, span))]),
                (None, Some(line)) => d.with_notes(vec![format!("in {file_name} at line {line}")]),
                (None, None) => d.with_notes(vec![format!("in {file_name}")]),
            }
        })
        .collect();
    (emit(&file, &diags, color), diags.len())
}

/// `upyc compile --diagnostics=rich`: every diagnostic, then a one-line summary.
pub fn render_rich(err: &CompileError, file_name: &str, source: &[u8], color: bool) -> String {
    let (mut out, count) = render_compile_error(err, file_name, source, color);
    out.push_str(&format!(
        "error: could not compile `{file_name}` ({count} error{})\n",
        if count == 1 { "" } else { "s" }
    ));
    out
}

/// A manifest error with a snippet of the manifest.
pub fn render_manifest_error(err: &ManifestError, color: bool) -> String {
    let name = err.path.display().to_string();
    let file = SimpleFile::new(name.as_str(), err.text.as_str());
    let mut message = err.message.clone();
    if let Some(key) = &err.key {
        message = format!("invalid manifest key `{key}`: {message}");
    } else {
        message = format!("invalid manifest: {message}");
    }
    let d = Diagnostic::error()
        .with_message(message)
        .with_labels(vec![Label::primary((), fit(&err.text, err.span.clone()))]);
    emit(&file, &[d], color)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any bytes (invalid UTF-8 included) that fail to compile render without panicking.
        #[test]
        fn rendering_never_panics(mut src in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            src.extend_from_slice(b"\n(\xff");
            let opts = upyc_compiler::CompileOptions::default();
            if let Err(e) = upyc_compiler::compile_source(&src, &opts) {
                let (text, n) = render_compile_error(&e, "x.py", &src, false);
                proptest::prop_assert!(n >= 1 && !text.is_empty());
                for l in locate(&e, &src) {
                    proptest::prop_assert!(l.line.is_some());
                }
            }
        }
    }

    #[test]
    fn line_column_counts_characters() {
        let text = "ab\nçd\n".as_bytes();
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        // 'ç' is two bytes: the 'd' after it is column 2.
        assert_eq!(line_column(text, 5), (2, 2));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
