//! The tokeniser (MicroPython `py/lexer.c`), ported character for character.
//!
//! Like MicroPython's, it reads the source one byte at a time through a three-byte window,
//! turns CR and CR LF into LF, adds a final newline, joins adjacent string literals, and turns
//! f-strings (and t-strings) into ordinary tokens by *injecting* source text: `f"a{x}b"` is
//! lexed as `"a{}b"` followed by the characters `.format((x),)`. The parser asks for one token
//! at a time, so lexer errors surface in the same order as MicroPython's.
//!
//! Differences from MicroPython: every token also carries a byte span into the source
//! (tokens made from injected text get an empty span at the end of their string literal), and
//! the one exception the lexer raises itself (`\N{...}`, NotImplementedError) is recorded as a
//! diagnostic while lexing carries on. For speed, runs of characters that only move the column
//! on (identifiers, comments, indentation, string bodies) are consumed in one step, with the
//! same result as one character at a time (`plain_run`, `skip_plain`).

use crate::diag::{Diagnostic, DiagnosticKind};
use crate::tree::{Span, Tok};

const TAB_SIZE: u32 = 8;
/// The lexer's end-of-input character.
const EOF: u8 = 0;
/// What a NUL byte in the input becomes, so that it is not taken for the end.
const INVALID_BYTE: u8 = 1;
/// The shortest run of plain characters worth [`Lexer::skip_plain`].
const PLAIN_RUN_MIN: usize = 2;

/// MicroPython's `unichar_isspace` on a byte: `\t \n \v \f \r` and space.
fn is_space(c: u8) -> bool {
    c == b' ' || (9..=13).contains(&c)
}

fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic()
}

fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// Appends `c` UTF-8 encoded, as `vstr_add_char` does (surrogates included).
fn push_char(v: &mut Vec<u8>, c: u32) {
    if c < 0x80 {
        v.push(c as u8);
    } else if c < 0x800 {
        v.push((c >> 6) as u8 | 0xc0);
        v.push((c & 0x3f) as u8 | 0x80);
    } else if c < 0x10000 {
        v.push((c >> 12) as u8 | 0xe0);
        v.push(((c >> 6) & 0x3f) as u8 | 0x80);
        v.push((c & 0x3f) as u8 | 0x80);
    } else {
        v.push(((c >> 18) & 0x07) as u8 | 0xf0);
        v.push(((c >> 12) & 0x3f) as u8 | 0x80);
        v.push(((c >> 6) & 0x3f) as u8 | 0x80);
        v.push((c & 0x3f) as u8 | 0x80);
    }
}

/// Keywords, with the token each becomes (`__debug__` is resolved by the lexer).
fn keyword(name: &[u8]) -> Option<Tok> {
    Some(match name {
        b"False" => Tok::KwFalse,
        b"None" => Tok::KwNone,
        b"True" => Tok::KwTrue,
        b"__debug__" => Tok::KwDebug,
        b"and" => Tok::KwAnd,
        b"as" => Tok::KwAs,
        b"assert" => Tok::KwAssert,
        b"async" => Tok::KwAsync,
        b"await" => Tok::KwAwait,
        b"break" => Tok::KwBreak,
        b"class" => Tok::KwClass,
        b"continue" => Tok::KwContinue,
        b"def" => Tok::KwDef,
        b"del" => Tok::KwDel,
        b"elif" => Tok::KwElif,
        b"else" => Tok::KwElse,
        b"except" => Tok::KwExcept,
        b"finally" => Tok::KwFinally,
        b"for" => Tok::KwFor,
        b"from" => Tok::KwFrom,
        b"global" => Tok::KwGlobal,
        b"if" => Tok::KwIf,
        b"import" => Tok::KwImport,
        b"in" => Tok::KwIn,
        b"is" => Tok::KwIs,
        b"lambda" => Tok::KwLambda,
        b"nonlocal" => Tok::KwNonlocal,
        b"not" => Tok::KwNot,
        b"or" => Tok::KwOr,
        b"pass" => Tok::KwPass,
        b"raise" => Tok::KwRaise,
        b"return" => Tok::KwReturn,
        b"try" => Tok::KwTry,
        b"while" => Tok::KwWhile,
        b"with" => Tok::KwWith,
        b"yield" => Tok::KwYield,
        _ => return None,
    })
}

/// One character of the lexer's window: the byte, where it came from and how many source
/// bytes it stands for (0 for injected or added characters, 2 for CR LF).
#[derive(Clone, Copy, Debug, Default)]
struct Chr {
    c: u8,
    off: u32,
    width: u8,
}

/// The tokeniser state (`mp_lexer_t`).
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    chr0: Chr,
    chr1: Chr,
    chr2: Chr,
    line: u32,
    column: u32,
    emit_dent: i64,
    nested_bracket_level: i64,
    /// Indentation levels; 16-bit like MicroPython's.
    indent_level: Vec<u16>,
    inject_chrs: Vec<Chr>,
    inject_chrs_idx: usize,
    fstring_args: Vec<u8>,
    /// End offset of the last character consumed.
    consumed_end: u32,
    /// `__debug__` is `True` only at optimisation level 0.
    opt_level: u8,

    // The current token (`tok_*` and `vstr` in MicroPython).
    pub tok_kind: Tok,
    pub tok_line: u32,
    pub tok_column: u32,
    pub tok_span: Span,
    /// The token's text: the name, the number, or the decoded str/bytes value.
    pub vstr: Vec<u8>,
    /// Errors the lexer raised itself (rare: see the module doc).
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Lexer<'a> {
    /// `mp_lexer_new`: starts lexing `src` and loads the first token.
    /// The length of the source in bytes.
    pub fn source_len(&self) -> usize {
        self.src.len()
    }

    /// Whether the lexer is emitting text it injected (an f-string's `.format()` call).
    pub fn is_injecting(&self) -> bool {
        self.inject_chrs_idx != 0 || !self.fstring_args.is_empty()
    }

    pub fn new(src: &'a [u8], opt_level: u8) -> Self {
        let mut lex = Lexer {
            src,
            pos: 0,
            chr0: Chr::default(),
            chr1: Chr::default(),
            chr2: Chr::default(),
            line: 1,
            // Three dummy characters are shifted through first, taking the column to 1.
            column: 0u32.wrapping_sub(2),
            emit_dent: 0,
            nested_bracket_level: 0,
            indent_level: vec![0],
            inject_chrs: Vec::new(),
            inject_chrs_idx: 0,
            fstring_args: Vec::new(),
            consumed_end: 0,
            opt_level,
            tok_kind: Tok::End,
            tok_line: 1,
            tok_column: 1,
            tok_span: Span::default(),
            vstr: Vec::new(),
            diagnostics: Vec::new(),
        };
        lex.next_char();
        lex.next_char();
        lex.next_char();
        lex.consumed_end = 0;
        lex.to_next();
        // The first token must be in column 1 unless it is a newline; otherwise it becomes an
        // INDENT so that the parser reports "unexpected indent".
        if lex.tok_column != 1 && lex.tok_kind != Tok::Newline {
            lex.tok_kind = Tok::Indent;
        }
        lex
    }

    fn c0(&self) -> u8 {
        self.chr0.c
    }

    fn is_end(&self) -> bool {
        self.chr0.c == EOF
    }

    fn is_char(&self, c: u8) -> bool {
        self.chr0.c == c
    }

    fn is_char_or(&self, a: u8, b: u8) -> bool {
        self.chr0.c == a || self.chr0.c == b
    }

    fn is_char_and(&self, a: u8, b: u8) -> bool {
        self.chr0.c == a && self.chr1.c == b
    }

    fn is_following_or(&self, a: u8, b: u8) -> bool {
        self.chr1.c == a || self.chr1.c == b
    }

    fn is_following_following_or(&self, a: u8, b: u8) -> bool {
        self.chr2.c == a || self.chr2.c == b
    }

    fn is_string_or_bytes(&self) -> bool {
        let c0 = self.chr0.c;
        let quote1 = self.is_following_or(b'\'', b'"');
        let quote2 = self.is_following_following_or(b'\'', b'"');
        self.is_char_or(b'\'', b'"')
            || (matches!(c0, b'r' | b'u' | b'b' | b'f' | b't') && quote1)
            || ((self.is_char_and(b'r', b'f')
                || self.is_char_and(b'f', b'r')
                || self.is_char_and(b'r', b't')
                || self.is_char_and(b't', b'r'))
                && quote2)
            || ((self.is_char_and(b'r', b'b') || self.is_char_and(b'b', b'r')) && quote2)
    }

    /// Identifiers may hold any byte with the high bit set (UTF-8).
    fn is_head_of_identifier(&self) -> bool {
        let c = self.chr0.c;
        is_alpha(c) || c == b'_' || c >= 0x80
    }

    fn is_tail_of_identifier(&self) -> bool {
        self.is_head_of_identifier() || is_digit(self.chr0.c)
    }

    /// Shifts the window by one character (`next_char`).
    fn next_char(&mut self) {
        if self.chr0.c == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if self.chr0.c == b'\t' {
            self.column = ((self.column.wrapping_sub(1).wrapping_add(TAB_SIZE)) / TAB_SIZE)
                .wrapping_mul(TAB_SIZE)
                .wrapping_add(1);
        } else {
            self.column = self.column.wrapping_add(1);
        }
        if self.chr0.width != 0 {
            self.consumed_end = self.chr0.off + u32::from(self.chr0.width);
        }

        self.chr0 = self.chr1;
        self.chr1 = self.chr2;

        let mut chr2;
        loop {
            if self.inject_chrs_idx != 0 {
                chr2 = self.inject_chrs[self.inject_chrs_idx];
                self.inject_chrs_idx += 1;
                if self.inject_chrs_idx >= self.inject_chrs.len() {
                    self.inject_chrs.clear();
                    self.inject_chrs_idx = 0;
                }
            } else if let Some(&b) = self.src.get(self.pos) {
                chr2 = Chr {
                    c: if b == EOF { INVALID_BYTE } else { b },
                    off: self.pos as u32,
                    width: 1,
                };
                self.pos += 1;
            } else {
                chr2 = Chr {
                    c: EOF,
                    off: self.src.len() as u32,
                    width: 0,
                };
            }
            if self.chr1.c == b'\r' {
                // CR is a newline; CR LF is a single newline.
                self.chr1.c = b'\n';
                if chr2.c == b'\n' {
                    self.chr1.width = self.chr1.width.saturating_add(chr2.width);
                    continue;
                }
            }
            break;
        }
        // A newline is added at the end of the input if the last line lacks one.
        if chr2.c == EOF && self.chr1.c != EOF && self.chr1.c != b'\n' {
            chr2 = Chr {
                c: b'\n',
                off: chr2.off,
                width: 0,
            };
        }
        self.chr2 = chr2;
    }

    /// How many characters from the current one on are source bytes satisfying `plain`, when
    /// the window holds three consecutive source bytes (not injected text, no CR LF pair) so
    /// that [`Lexer::skip_plain`] may jump over them; 0 otherwise.
    ///
    /// `plain` must reject `\n`, `\r`, `\t` and NUL: those are the bytes whose
    /// `next_char` does more than move one column on (line and tab counting, CR and CR LF
    /// translation, NUL replacement).
    #[inline]
    fn plain_run(&self, plain: impl Fn(u8) -> bool) -> usize {
        let off0 = self.chr0.off as usize;
        if self.inject_chrs_idx != 0
            || self.chr0.width != 1
            || self.chr1.width != 1
            || self.chr2.width != 1
            || off0 + 3 != self.pos
        {
            return 0;
        }
        match self.src.get(off0..) {
            Some(rest) => rest.iter().take_while(|&&c| plain(c)).count(),
            None => 0,
        }
    }

    /// Consumes `k` characters found by [`Lexer::plain_run`], leaving the lexer exactly as
    /// `k` calls of [`Lexer::next_char`] would.
    ///
    /// Why: `next_char` costs some fifty instructions a character, and identifiers, comments,
    /// indentation and string bodies are most of a file. A plain character only moves the
    /// column on by one, so the run is skipped at once. The window is then filled with the
    /// three bytes after the run when `next_char` would load them unchanged (no CR, no NUL,
    /// not past the end); otherwise all but the last three characters of the run are skipped
    /// and three ordinary `next_char` calls refill the window.
    fn skip_plain(&mut self, k: usize) {
        let off0 = self.chr0.off as usize;
        let end = off0 + k;
        if let Some(&[a, b, c]) = self.src.get(end..end + 3) {
            if ![a, b, c].iter().any(|&x| x == b'\r' || x == 0) {
                self.column = self.column.wrapping_add(k as u32);
                self.consumed_end = end as u32;
                let chr = |c: u8, i: usize| Chr {
                    c,
                    off: i as u32,
                    width: 1,
                };
                self.chr0 = chr(a, end);
                self.chr1 = chr(b, end + 1);
                self.chr2 = chr(c, end + 2);
                self.pos = end + 3;
                return;
            }
        }
        if k < 3 {
            for _ in 0..k {
                self.next_char();
            }
            return;
        }
        let skip = k - 3;
        if skip > 0 {
            self.column = self.column.wrapping_add(skip as u32);
            // The end of the last character shifted out.
            self.consumed_end = (off0 + skip) as u32;
            let at = |i: usize| Chr {
                c: self.src[i],
                off: i as u32,
                width: 1,
            };
            let (c0, c1, c2) = (at(off0 + skip), at(off0 + skip + 1), at(off0 + skip + 2));
            self.chr0 = c0;
            self.chr1 = c1;
            self.chr2 = c2;
            self.pos = off0 + k;
        }
        self.next_char();
        self.next_char();
        self.next_char();
    }

    fn indent_top(&self) -> u16 {
        self.indent_level.last().copied().unwrap_or(0)
    }

    /// Reads up to `num_digits` hex digits after the current character; `None` if one is not a
    /// hex digit (`get_hex`).
    fn get_hex(&mut self, num_digits: usize) -> Option<u32> {
        let mut num: u32 = 0;
        for _ in 0..num_digits {
            self.next_char();
            let c = self.c0();
            let v = (c as char).to_digit(16)?;
            num = num.wrapping_shl(4).wrapping_add(v);
        }
        Some(num)
    }

    fn parse_string_literal(&mut self, is_raw: bool, is_fstring: bool, is_tstring: bool) {
        let quote_char = if self.is_char(b'"') { b'"' } else { b'\'' };
        self.next_char();

        let num_quotes: usize = if self.is_char_and(quote_char, quote_char) {
            self.next_char();
            self.next_char();
            3
        } else {
            1
        };

        let mut n_closing = 0usize;
        if is_fstring && self.fstring_args.is_empty() {
            // Assume there will be interpolations: prepare the injected text.
            self.fstring_args.extend_from_slice(b".format(");
        }
        if is_tstring && self.fstring_args.is_empty() {
            self.vstr.push(b'(');
            self.vstr.push(b'(');
            for _ in 0..num_quotes {
                self.vstr.push(quote_char);
            }
        }

        let mut tstring_num_interpolations = 0usize;
        let mut end_of_format_index = 0usize;
        let mut nested_formatting_in_tstring = 0usize;
        let mut nested_formatting_needs_fstring = false;

        while !self.is_end() && (num_quotes > 1 || !self.is_char(b'\n')) && n_closing < num_quotes {
            if !is_tstring {
                // Fast path: a run of characters that are added to the value as they are.
                let k = self.plain_run(|c| {
                    c != quote_char
                        && c != b'\\'
                        && !(is_fstring && c == b'{')
                        && !matches!(c, b'\n' | b'\r' | b'\t' | 0)
                });
                if k >= PLAIN_RUN_MIN {
                    let off0 = self.chr0.off as usize;
                    self.vstr.extend_from_slice(&self.src[off0..off0 + k]);
                    n_closing = 0;
                    self.skip_plain(k);
                    continue;
                }
            }
            if self.is_char(quote_char) {
                n_closing += 1;
                self.vstr.push(self.c0());
            } else if is_tstring && self.is_char(b'\n') {
                self.vstr.extend_from_slice(b"\\n");
            } else {
                n_closing = 0;

                if (is_fstring || is_tstring) && self.is_char(b'{') {
                    if nested_formatting_in_tstring != 0 {
                        nested_formatting_in_tstring += 1;
                    } else {
                        self.fstring_open_brace(
                            is_tstring,
                            quote_char,
                            num_quotes,
                            &mut nested_formatting_in_tstring,
                            &mut end_of_format_index,
                        );
                        self.vstr.push(b'{');
                        continue;
                    }
                }

                if is_tstring && self.is_char(b'\\') {
                    // Re-parsed later as part of a str literal.
                    self.vstr.push(b'\\');
                    if is_raw {
                        self.vstr.push(b'\\');
                    } else {
                        self.next_char();
                        self.vstr.push(self.c0());
                    }
                } else if self.is_char(b'\\') {
                    self.next_char();
                    if !self.escape(is_raw) {
                        // A backslash-newline: nothing is added.
                    }
                } else if is_tstring && nested_formatting_in_tstring != 0 && self.is_char(b'}') {
                    nested_formatting_in_tstring -= 1;
                    if nested_formatting_in_tstring > 0 {
                        nested_formatting_needs_fstring = true;
                        self.vstr.push(self.c0());
                    } else {
                        // The current interpolation is finished.
                        tstring_num_interpolations += 1;
                        if nested_formatting_needs_fstring {
                            self.fstring_args.push(b'f');
                            nested_formatting_needs_fstring = false;
                        }
                        self.fstring_args.push(quote_char);
                        let from = (end_of_format_index + 1).min(self.vstr.len());
                        let spec = self.vstr[from..].to_vec();
                        self.fstring_args.extend_from_slice(&spec);
                        self.vstr.truncate(end_of_format_index);
                        self.fstring_args.push(quote_char);
                        self.fstring_args.push(b',');
                    }
                } else {
                    // Added as a byte, so the literal stays 8-bit clean.
                    self.vstr.push(self.c0());
                    if is_tstring && self.is_char_and(b'}', b'}') {
                        self.next_char();
                    } else if is_tstring && self.is_char(b'}') {
                        self.tok_kind = Tok::MalformedFstring;
                    }
                }
            }
            self.next_char();
        }

        if n_closing < num_quotes {
            self.tok_kind = Tok::LonelyStringOpen;
        }

        if is_tstring {
            if nested_formatting_in_tstring > 0 {
                self.tok_kind = Tok::MalformedFstring;
            }
            if 1 + tstring_num_interpolations * 4 > 255 {
                // Too many arguments for a call: wrap the interpolations in a tuple.
                self.fstring_args.insert(0, b'(');
                self.fstring_args.push(b')');
            }
        } else {
            // Cut the closing quotes off the token text.
            let len = self.vstr.len().saturating_sub(n_closing);
            self.vstr.truncate(len);
        }
    }

    /// Handles a `{` in an f-string or t-string (the current character): either `{{`, or an
    /// interpolation whose expression is moved to the injected `.format()` arguments.
    fn fstring_open_brace(
        &mut self,
        is_tstring: bool,
        quote_char: u8,
        num_quotes: usize,
        nested_formatting_in_tstring: &mut usize,
        end_of_format_index: &mut usize,
    ) {
        self.next_char();
        if self.is_char(b'{') {
            // `{{` goes through unchanged, for str.format.
            if !is_tstring {
                self.vstr.push(b'{');
            }
            self.next_char();
            return;
        }
        // Each argument is wrapped in (): f"{a,b,}, {c}" --> "{}".format((a,b,), (c),)
        self.fstring_args.push(b'(');
        let i = self.fstring_args.len();
        // Take characters up to the `!r`/`!s` conversion, the `:` format spec or the closing
        // `}` at bracket level zero. MicroPython's limitation: this knows nothing of Python
        // syntax, so an expression containing `}` or `:` does not work.
        let mut nested_bracket_level: u32 = 0;
        while !self.is_end()
            && (nested_bracket_level != 0
                || !(self.is_char_or(b':', b'}')
                    || (self.is_char(b'!')
                        && self.is_following_or(b'r', b's')
                        && self.is_following_following_or(b':', b'}'))))
        {
            let c = self.c0();
            if c == b'[' || c == b'{' {
                nested_bracket_level = nested_bracket_level.wrapping_add(1);
            } else if c == b']' || c == b'}' {
                nested_bracket_level = nested_bracket_level.wrapping_sub(1);
            }
            self.fstring_args.push(c);
            self.next_char();
        }
        let mut was_debug = false;
        if self.fstring_args.last() == Some(&b'=') {
            // f'{a=}' --> 'a={}'.format(a)
            let arg = self.fstring_args[i..].to_vec();
            self.vstr.extend_from_slice(&arg);
            self.fstring_args.pop();
            was_debug = true;
        }
        if is_tstring {
            while self.fstring_args.last().is_some_and(|&c| is_space(c)) {
                self.fstring_args.pop();
            }
        }
        if self.fstring_args.len() == i {
            // An empty expression, e.g. f'{}'.
            self.tok_kind = Tok::MalformedFstring;
        }
        self.fstring_args.push(b')');
        self.fstring_args.push(b',');
        if is_tstring {
            // The expression's text, as a str literal.
            self.fstring_args.push(quote_char);
            let nn = self.fstring_args.len().saturating_sub(i + 3);
            for j in 0..nn {
                let b = self.fstring_args[i + j];
                if b == quote_char || b == b'\\' {
                    self.fstring_args.push(b'\\');
                }
                self.fstring_args.push(b);
            }
            self.fstring_args.push(quote_char);
            self.fstring_args.push(b',');

            // The rest of the string is the next argument of __template__.
            for _ in 0..num_quotes {
                self.vstr.push(quote_char);
            }
            self.vstr.push(b',');
            for _ in 0..num_quotes {
                self.vstr.push(quote_char);
            }

            // The conversion and the format spec.
            if self.is_char(b'!') {
                self.next_char();
                self.fstring_args.push(quote_char);
                self.fstring_args.push(self.c0());
                self.next_char();
                self.fstring_args.push(quote_char);
                self.fstring_args.push(b',');
            } else if was_debug && !self.is_char(b':') {
                self.fstring_args.extend_from_slice(b"'r',");
            } else {
                self.fstring_args.extend_from_slice(b"None,");
            }
            if self.is_char(b':') {
                self.next_char();
            }
            *nested_formatting_in_tstring = 1;
            *end_of_format_index = self.vstr.len();
        }
    }

    /// Decodes the escape whose character (after the backslash) is current. Returns false for
    /// a backslash-newline, which adds nothing.
    fn escape(&mut self, is_raw: bool) -> bool {
        let mut c = u32::from(self.c0());
        if is_raw {
            // Raw strings allow escaping quotes, but the backslash is kept.
            push_char(&mut self.vstr, u32::from(b'\\'));
        } else {
            match self.c0() {
                b'\n' => return false,
                b'\\' | b'\'' | b'"' => {}
                b'a' => c = 0x07,
                b'b' => c = 0x08,
                b't' => c = 0x09,
                b'n' => c = 0x0a,
                b'v' => c = 0x0b,
                b'f' => c = 0x0c,
                b'r' => c = 0x0d,
                b'u' | b'U' if self.tok_kind == Tok::Bytes => {
                    // b'\u1234' == b'\\u1234'
                    push_char(&mut self.vstr, u32::from(b'\\'));
                }
                b'u' | b'U' | b'x' => {
                    let digits = match self.c0() {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    c = match self.get_hex(digits) {
                        Some(num) => num,
                        None => {
                            // Not enough hex digits.
                            self.tok_kind = Tok::Invalid;
                            0
                        }
                    };
                }
                b'N' => {
                    // MicroPython raises NotImplementedError here and stops. We record it and
                    // keep the two characters, so lexing goes on without follow-on errors.
                    let off = self.chr0.off;
                    let end = (off + u32::from(self.chr0.width)).min(self.src.len() as u32);
                    self.diagnostics.push(Diagnostic {
                        kind: DiagnosticKind::UnicodeNameEscape,
                        message: "unicode name escapes".into(),
                        span: Span::new(off.saturating_sub(1).min(end), end),
                        line: self.line,
                        column: self.column,
                    });
                    push_char(&mut self.vstr, u32::from(b'\\'));
                }
                b'0'..=b'7' => {
                    // An octal escape of 1 to 3 digits.
                    let mut digits = 3;
                    let mut num = c - u32::from(b'0');
                    while (b'0'..=b'7').contains(&self.chr1.c) {
                        digits -= 1;
                        if digits == 0 {
                            break;
                        }
                        self.next_char();
                        num = num * 8 + u32::from(self.c0() - b'0');
                    }
                    c = num;
                }
                _ => {
                    // An unknown escape: CPython keeps the backslash and the character.
                    push_char(&mut self.vstr, u32::from(b'\\'));
                }
            }
        }
        if c < 0x110000 && self.tok_kind == Tok::String {
            push_char(&mut self.vstr, c);
        } else if c < 0x100 && self.tok_kind == Tok::Bytes {
            self.vstr.push(c as u8);
        } else {
            // Out of range: a generic SyntaxError.
            self.tok_kind = Tok::Invalid;
        }
        true
    }

    /// Skips spaces, comments and line continuations; returns whether it stopped at a
    /// newline (only when `stop_at_newline`, and only outside brackets).
    fn skip_whitespace(&mut self, stop_at_newline: bool) -> bool {
        while !self.is_end() {
            if self.is_char(b'\n') {
                if stop_at_newline && self.nested_bracket_level == 0 {
                    return true;
                }
                self.next_char();
            } else if is_space(self.c0()) {
                // Fast path: indentation.
                let k = self.plain_run(|c| c == b' ');
                if k >= PLAIN_RUN_MIN {
                    self.skip_plain(k);
                } else {
                    self.next_char();
                }
            } else if self.is_char(b'#') {
                self.next_char();
                while !self.is_end() && !self.is_char(b'\n') {
                    // Fast path: the comment's text.
                    let k = self.plain_run(|c| !matches!(c, b'\n' | b'\r' | b'\t' | 0));
                    if k >= PLAIN_RUN_MIN {
                        self.skip_plain(k);
                    } else {
                        self.next_char();
                    }
                }
            } else if self.is_char_and(b'\\', b'\n') {
                self.next_char();
                self.next_char();
            } else {
                break;
            }
        }
        false
    }

    /// The column (as the lexer counts them) of the source byte at `offset`.
    pub fn column_of(&self, offset: u32) -> u32 {
        let end = (offset as usize).min(self.src.len());
        let start = self.src[..end]
            .iter()
            .rposition(|&c| c == b'\n' || c == b'\r')
            .map_or(0, |i| i + 1);
        self.src[start..end].iter().fold(1u32, |col, &c| {
            if c == b'\t' {
                ((col - 1 + TAB_SIZE) / TAB_SIZE) * TAB_SIZE + 1
            } else {
                col.saturating_add(1)
            }
        })
    }

    /// Forgets open brackets, so that newlines end statements again (error recovery only).
    pub fn reset_brackets(&mut self) {
        self.nested_bracket_level = 0;
    }

    /// Advances to the next token (`mp_lexer_to_next`).
    pub fn to_next(&mut self) {
        self.vstr.clear();

        let had_physical_newline = self.skip_whitespace(true);

        self.tok_line = self.line;
        self.tok_column = self.column;
        let start = self.chr0.off;
        let mut end = None;

        if self.emit_dent < 0 {
            self.tok_kind = Tok::Dedent;
            self.emit_dent += 1;
            end = Some(start);
        } else if self.emit_dent > 0 {
            self.tok_kind = Tok::Indent;
            self.emit_dent -= 1;
            end = Some(start);
        } else if had_physical_newline {
            // At the newline ending the previous line: skip blank lines and comments.
            end = Some(start + u32::from(self.chr0.width));
            self.skip_whitespace(false);
            self.tok_kind = Tok::Newline;

            let num_spaces = self.column.wrapping_sub(1) as usize;
            let top = usize::from(self.indent_top());
            if num_spaces == top {
            } else if num_spaces > top {
                self.indent_level.push(num_spaces as u16);
                self.emit_dent += 1;
            } else {
                while num_spaces < usize::from(self.indent_top()) {
                    self.indent_level.pop();
                    self.emit_dent -= 1;
                }
                if num_spaces != usize::from(self.indent_top()) {
                    self.tok_kind = Tok::DedentMismatch;
                }
            }
        } else if self.is_end() {
            self.tok_kind = Tok::End;
            end = Some(start);
        } else if self.is_string_or_bytes() {
            end = Some(self.lex_strings());
        } else if self.is_head_of_identifier() {
            self.tok_kind = Tok::Name;
            // Fast path: the identifier's characters (they are all plain).
            let k = self.plain_run(|c| is_alpha(c) || is_digit(c) || c == b'_' || c >= 0x80);
            if k >= PLAIN_RUN_MIN {
                let off0 = self.chr0.off as usize;
                self.vstr.extend_from_slice(&self.src[off0..off0 + k]);
                self.skip_plain(k);
            }
            while !self.is_end() && self.is_tail_of_identifier() {
                self.vstr.push(self.c0());
                self.next_char();
            }
            // Keywords; `__debug__` becomes its value here, so that `x.__debug__` is a
            // syntax error.
            if let Some(kw) = keyword(&self.vstr) {
                self.tok_kind = kw;
                if kw == Tok::KwDebug {
                    self.tok_kind = if self.opt_level == 0 {
                        Tok::KwTrue
                    } else {
                        Tok::KwFalse
                    };
                }
            }
        } else if is_digit(self.c0()) || (self.is_char(b'.') && is_digit(self.chr1.c)) {
            self.lex_number();
        } else {
            self.lex_operator();
        }

        self.tok_span = Span::new(start, end.unwrap_or(self.consumed_end).max(start));
    }

    /// A string or bytes literal, with the literals adjacent to it; returns the end offset of
    /// the last one.
    fn lex_strings(&mut self) -> u32 {
        // End marks the first literal.
        self.tok_kind = Tok::End;
        let mut had_tstring = false;
        let mut end = self.chr0.off;
        loop {
            let mut is_raw = false;
            let mut is_fstring = false;
            let mut is_tstring = false;
            let mut kind = Tok::String;
            let mut n_char = 0;
            match self.c0() {
                b'u' => n_char = 1,
                b'b' => {
                    kind = Tok::Bytes;
                    n_char = 1;
                    if self.chr1.c == b'r' {
                        is_raw = true;
                        n_char = 2;
                    }
                }
                b'r' => {
                    is_raw = true;
                    n_char = 1;
                    match self.chr1.c {
                        b'b' => {
                            kind = Tok::Bytes;
                            n_char = 2;
                        }
                        b'f' => {
                            is_fstring = true;
                            n_char = 2;
                        }
                        b't' => {
                            is_tstring = true;
                            n_char = 2;
                        }
                        _ => {}
                    }
                }
                b'f' => {
                    is_fstring = true;
                    n_char = 1;
                    if self.chr1.c == b'r' {
                        is_raw = true;
                        n_char = 2;
                    }
                }
                b't' => {
                    is_tstring = true;
                    n_char = 1;
                    if self.chr1.c == b'r' {
                        is_raw = true;
                        n_char = 2;
                    }
                }
                _ => {}
            }
            if is_tstring {
                had_tstring = true;
            }

            if self.tok_kind == Tok::End {
                self.tok_kind = kind;
            } else if self.tok_kind != kind {
                // str and bytes do not concatenate.
                break;
            }

            for _ in 0..n_char {
                self.next_char();
            }
            self.parse_string_literal(is_raw, is_fstring, is_tstring);
            end = self.consumed_end;

            // Another literal may follow.
            self.skip_whitespace(true);
            if !self.is_string_or_bytes() {
                break;
            }
        }
        if had_tstring {
            self.vstr.extend_from_slice(b",),");
            let mut args = self.vstr.clone();
            args.append(&mut self.fstring_args);
            self.fstring_args = args;
            if self.tok_kind > Tok::MalformedFstring {
                // The token is the name of the function the template is passed to.
                self.tok_kind = Tok::Name;
                self.vstr = b"__template__".to_vec();
            }
        }

        if !self.fstring_args.is_empty() {
            // The f-string is complete: inject its `.format(...)` arguments.
            self.fstring_args.push(b')');
            let at = self.chr0.off;
            let injected = self.fstring_args.iter().map(|&c| Chr {
                c,
                off: at,
                width: 0,
            });
            if self.inject_chrs_idx == 0 {
                // Switch from the source to the injected characters, which end with the three
                // characters of the window.
                self.inject_chrs.clear();
                self.inject_chrs.extend(injected);
                self.inject_chrs.extend([self.chr0, self.chr1, self.chr2]);
                self.inject_chrs_idx = 0;
            } else {
                // Already injecting: rewind over the window and insert the new characters.
                self.inject_chrs_idx = self.inject_chrs_idx.saturating_sub(3);
                let idx = self.inject_chrs_idx;
                self.inject_chrs.splice(idx..idx, injected);
            }
            self.fstring_args.clear();
            let idx = self.inject_chrs_idx;
            self.chr0 = self.inject_chrs[idx];
            self.chr1 = self.inject_chrs[idx + 1];
            self.chr2 = self.inject_chrs[idx + 2];
            self.inject_chrs_idx = idx + 3;
            if self.inject_chrs_idx >= self.inject_chrs.len() {
                self.inject_chrs.clear();
                self.inject_chrs_idx = 0;
            }
        }
        end
    }

    /// A number: digits, letters, `.`, exponents and `_` separators (dropped); checked later
    /// by the number parser.
    fn lex_number(&mut self) {
        let mut forced_integer = false;
        if self.is_char(b'.') {
            self.tok_kind = Tok::FloatOrImag;
        } else {
            self.tok_kind = Tok::Integer;
            if self.is_char(b'0') && matches!(self.chr1.c | 0x20, b'b' | b'o' | b'x') {
                forced_integer = true;
            }
        }
        self.vstr.push(self.c0());
        self.next_char();
        while !self.is_end() {
            if !forced_integer && self.is_char_or(b'e', b'E') {
                self.tok_kind = Tok::FloatOrImag;
                self.vstr.push(b'e');
                self.next_char();
                if self.is_char_or(b'+', b'-') {
                    self.vstr.push(self.c0());
                    self.next_char();
                }
            } else if is_alpha(self.c0()) || is_digit(self.c0()) || self.is_char(b'.') {
                if matches!(self.c0(), b'.' | b'j' | b'J') {
                    self.tok_kind = Tok::FloatOrImag;
                }
                self.vstr.push(self.c0());
                self.next_char();
            } else if self.is_char(b'_') {
                self.next_char();
            } else {
                break;
            }
        }
    }

    /// An operator or delimiter (longest match), or an invalid character.
    fn lex_operator(&mut self) {
        let c = self.c0();
        self.next_char();
        // For `op`, `op=`, and the doubled `opop`, `opop=`.
        let with_eq = |lex: &mut Self, single: Tok, eq: Tok| {
            if lex.is_char(b'=') {
                lex.next_char();
                eq
            } else {
                single
            }
        };
        let doubled = |lex: &mut Self, single: Tok, eq: Tok, dbl: Tok, dbl_eq: Tok| {
            if lex.is_char(b'=') {
                lex.next_char();
                eq
            } else if lex.is_char(c) {
                lex.next_char();
                if lex.is_char(b'=') {
                    lex.next_char();
                    dbl_eq
                } else {
                    dbl
                }
            } else {
                single
            }
        };
        let kind = match c {
            b'(' => Tok::DelParenOpen,
            b')' => Tok::DelParenClose,
            b'[' => Tok::DelBracketOpen,
            b']' => Tok::DelBracketClose,
            b'{' => Tok::DelBraceOpen,
            b'}' => Tok::DelBraceClose,
            b',' => Tok::DelComma,
            b';' => Tok::DelSemicolon,
            b'~' => Tok::OpTilde,
            b':' => with_eq(self, Tok::DelColon, Tok::OpAssign),
            b'<' => doubled(
                self,
                Tok::OpLess,
                Tok::OpLessEqual,
                Tok::OpDblLess,
                Tok::DelDblLessEqual,
            ),
            b'>' => doubled(
                self,
                Tok::OpMore,
                Tok::OpMoreEqual,
                Tok::OpDblMore,
                Tok::DelDblMoreEqual,
            ),
            b'*' => doubled(
                self,
                Tok::OpStar,
                Tok::DelStarEqual,
                Tok::OpDblStar,
                Tok::DelDblStarEqual,
            ),
            b'/' => doubled(
                self,
                Tok::OpSlash,
                Tok::DelSlashEqual,
                Tok::OpDblSlash,
                Tok::DelDblSlashEqual,
            ),
            b'+' => with_eq(self, Tok::OpPlus, Tok::DelPlusEqual),
            b'-' => {
                if self.is_char(b'>') {
                    self.next_char();
                    Tok::DelMinusMore
                } else {
                    with_eq(self, Tok::OpMinus, Tok::DelMinusEqual)
                }
            }
            b'&' => with_eq(self, Tok::OpAmpersand, Tok::DelAmpersandEqual),
            b'|' => with_eq(self, Tok::OpPipe, Tok::DelPipeEqual),
            b'%' => with_eq(self, Tok::OpPercent, Tok::DelPercentEqual),
            b'^' => with_eq(self, Tok::OpCaret, Tok::DelCaretEqual),
            b'@' => with_eq(self, Tok::OpAt, Tok::DelAtEqual),
            b'=' => with_eq(self, Tok::DelEqual, Tok::OpDblEqual),
            // `!` is only valid as part of `!=`.
            b'!' => with_eq(self, Tok::Invalid, Tok::OpNotEqual),
            // `..` is not a token: `.` then `.`.
            b'.' => {
                if self.is_char_and(b'.', b'.') {
                    self.next_char();
                    self.next_char();
                    Tok::Ellipsis
                } else {
                    Tok::DelPeriod
                }
            }
            _ => Tok::Invalid,
        };
        self.tok_kind = kind;
        match kind {
            Tok::DelParenOpen | Tok::DelBracketOpen | Tok::DelBraceOpen => {
                self.nested_bracket_level += 1
            }
            Tok::DelParenClose | Tok::DelBracketClose | Tok::DelBraceClose => {
                self.nested_bracket_level -= 1
            }
            _ => {}
        }
    }
}
