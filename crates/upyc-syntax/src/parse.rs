//! The parser (MicroPython `py/parse.c`): a table-driven, non-recursive LL parser with
//! backtracking limited to the first token of a rule, interpreting the grammar of
//! `grammar.rs` with an explicit rule stack and result stack, exactly as `mp_parse` does.
//!
//! Every transformation MicroPython makes while building the tree happens here too, in the
//! same order, because the compiled bytes depend on them: collapsing single-child rules,
//! dropping parentheses around a single expression, discarding lone constant statements
//! (doc strings), `const()` definitions and their substitution, constant folding of
//! `or`/`and`/`not` and of int/float arithmetic, `math` constants, and constant tuples.
//!
//! Where we differ: rule nodes carry byte spans; after a syntax error we skip to the next
//! statement and keep parsing to report further errors (MicroPython stops at the first), and
//! the tree is only returned when there was no error. The rule stack is limited to
//! [`MAX_RULE_DEPTH`] entries (MicroPython's limit is its heap).
//!
//! For speed (docs/PERFORMANCE.md) the loop takes shortcuts that MicroPython does not, each
//! leaving the stacks exactly as the step-by-step interpretation would: rules that cannot start
//! with the current token are failed without being pushed (`grammar::FIRST`), a rule just
//! entered runs without a push and a pop, and the ways down from statements and expressions to
//! an atom that the grammar fixes are taken at once (`grammar::TEST_DESCENT`,
//! `grammar::ATOM_CHAIN`).

use std::collections::HashMap;

use num_bigint::BigInt;

use crate::diag::{Diagnostic, DiagnosticKind};
use crate::fold::{self, BinOp, Num, UnaryOp};
use crate::grammar::{self, may_start, Act, Arg};
use crate::lexer::Lexer;
use crate::num::{self, FloatLiteral};
use crate::qstr::{Qstr, QstrPool, INTERN_STRING_LEN};
use crate::tree::{Arena, ConstNode, ConstRef, ConstValue, Node, Rule, RuleNode, Span, Tok, Tree};

/// The most rule-stack entries the parser uses before it reports that the source nests too
/// deeply. mpy-cross keeps the stack in its 2 MB heap at 16 bytes an entry, so it cannot go
/// beyond this either (in practice it runs out of memory somewhat earlier).
pub const MAX_RULE_DEPTH: usize = 2 * 1024 * 1024 / 16;

/// What the source is (`mp_parse_input_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InputKind {
    /// A module (what mpy-cross compiles).
    #[default]
    File,
    /// One interactive statement (the REPL).
    Single,
    /// An expression (`eval`).
    Eval,
}

/// Options that change the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// The target's small-int width (`-msmall-int-bits`, 31 by default): integers that fit
    /// become [`Node::SmallInt`], others constant objects.
    pub small_int_bits: u32,
    /// The optimisation level (`-O`): `__debug__` is `True` only at level 0.
    pub opt_level: u8,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            small_int_bits: 31,
            opt_level: 0,
        }
    }
}

/// The tree (when there was no error) and every error found.
#[derive(Debug)]
pub struct ParseResult<'a> {
    pub tree: Option<Tree<'a>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `source` the way mpy-cross does.
///
/// The pool must already hold every qstr mpy-cross interns before it parses, because a str
/// longer than [`INTERN_STRING_LEN`] becomes a qstr only if it is already interned: the
/// built-in qstrs (as [`QstrPool::new`] does), then the input file name as given on the
/// command line, then the `-s` source name if one was given. The tree's rule nodes are made
/// in `arena`.
pub fn parse<'a>(
    source: &[u8],
    input: InputKind,
    options: &ParseOptions,
    pool: &mut QstrPool,
    arena: &'a Arena,
) -> ParseResult<'a> {
    let mut p = Parser {
        lex: Lexer::new(source, options.opt_level),
        pool,
        arena,
        tree_consts: Vec::new(),
        options: *options,
        input,
        rule_stack: Vec::new(),
        results: Vec::new(),
        consts: HashMap::new(),
        diagnostics: Vec::new(),
        prev_end: 0,
        recovery_budget: None,
    };
    p.take_lexer_diagnostics();
    let top = match input {
        InputKind::File => Rule::FileInput,
        InputKind::Single => Rule::SingleInput,
        InputKind::Eval => Rule::EvalInput,
    };
    let tree = p.parse_top(top);
    if p.diagnostics.is_empty() {
        ParseResult {
            tree: tree.map(|root| Tree {
                root,
                consts: p.tree_consts,
            }),
            diagnostics: p.diagnostics,
        }
    } else {
        ParseResult {
            tree: None,
            diagnostics: p.diagnostics,
        }
    }
}

/// Why the parse loop stopped early.
enum Stop {
    /// `goto syntax_error` in MicroPython: the current token cannot be matched.
    Syntax,
    /// The rule stack reached [`MAX_RULE_DEPTH`].
    TooDeep,
}

/// A rule in progress (`rule_stack_t`), with the offset where it started. 16 bytes: the
/// parser pushes and pops one for nearly every rule it enters.
struct Frame {
    rule: Rule,
    /// The argument to go on with (for list rules, how many items and separators matched;
    /// bounded by the number of tokens, so by the source length, which spans keep in a u32).
    arg_i: u32,
    line: u32,
    start: u32,
}

/// A result-stack entry: a node and the source it covers.
struct Item<'a> {
    node: Node<'a>,
    span: Span,
}

/// Marks the slot of the first argument of `testlist_comp` that `testlist_comp_3c` steals
/// (MicroPython pushes the same node twice; a tree cannot hold a node twice).
const STOLEN: Node<'static> = Node::Token(Tok::Invalid);

struct Parser<'s, 'p, 'a> {
    lex: Lexer<'s>,
    pool: &'p mut QstrPool,
    /// Where rule nodes and child lists are made.
    arena: &'a Arena,
    /// The constant objects of the tree, indexed by `Node::Const`.
    tree_consts: Vec<ConstNode>,
    options: ParseOptions,
    input: InputKind,
    rule_stack: Vec<Frame>,
    results: Vec<Item<'a>>,
    /// Names defined with `NAME = const(value)`, their values, and whether an int value is
    /// an mpz that would fit a small int (see [`Num::Mpz`]).
    consts: HashMap<Qstr, (ConstValue, bool)>,
    diagnostics: Vec<Diagnostic>,
    /// End offset of the last token consumed.
    prev_end: u32,
    /// During error recovery: how many more tokens may be lexed.
    recovery_budget: Option<usize>,
}

/// `mp_parse_node_is_const`: a node whose value is known at compile time.
fn is_const(node: &Node) -> bool {
    match node {
        Node::SmallInt(_) | Node::Str(_) | Node::Const(_) => true,
        Node::Token(t) => matches!(t, Tok::KwNone | Tok::KwFalse | Tok::KwTrue | Tok::Ellipsis),
        Node::Rule(r) => r.rule == Rule::AtomParen && r.args.first().is_some_and(Node::is_null),
        Node::Null | Node::Id(_) => false,
    }
}

/// Python truthiness of a constant object.
fn const_truth(v: &ConstValue) -> bool {
    match v {
        ConstValue::Int(i) => i != &BigInt::from(0),
        ConstValue::Float(f) => *f != 0.0,
        ConstValue::Complex(re, im) => *re != 0.0 || *im != 0.0,
        ConstValue::Str(s) | ConstValue::Bytes(s) => !s.is_empty(),
        ConstValue::None | ConstValue::False => false,
        ConstValue::True | ConstValue::Ellipsis => true,
        ConstValue::Tuple(items) => !items.is_empty(),
    }
}

/// The binary operator of an operator token in `shift_expr`, `arith_expr` or `term`.
fn token_binop(t: Tok) -> Option<BinOp> {
    Some(match t {
        Tok::OpDblLess => BinOp::LShift,
        Tok::OpDblMore => BinOp::RShift,
        Tok::OpPlus => BinOp::Add,
        Tok::OpMinus => BinOp::Sub,
        Tok::OpStar => BinOp::Mul,
        Tok::OpAt => BinOp::MatMul,
        Tok::OpDblSlash => BinOp::FloorDiv,
        Tok::OpSlash => BinOp::TrueDiv,
        Tok::OpPercent => BinOp::Mod,
        Tok::OpDblStar => BinOp::Pow,
        _ => return None,
    })
}

impl<'a> Parser<'_, '_, 'a> {
    fn take_lexer_diagnostics(&mut self) {
        if !self.lex.diagnostics.is_empty() {
            self.diagnostics.append(&mut self.lex.diagnostics);
        }
    }

    /// Moves to the next token (`mp_lexer_to_next`).
    fn advance(&mut self) {
        if let Some(budget) = self.recovery_budget.as_mut() {
            // Error recovery: end the input rather than lex injected text or run long.
            if *budget == 0 || self.lex.is_injecting() {
                self.lex.tok_kind = Tok::End;
                return;
            }
            *budget -= 1;
        }
        self.prev_end = self.lex.tok_span.end;
        self.lex.to_next();
        self.take_lexer_diagnostics();
    }

    fn tok(&self) -> Tok {
        self.lex.tok_kind
    }

    // -----------------------------------------------------------------------------------------
    // Stacks
    // -----------------------------------------------------------------------------------------

    fn push_rule(&mut self, rule: Rule, arg_i: usize, line: u32, start: u32) -> Result<(), Stop> {
        if self.rule_stack.len() >= MAX_RULE_DEPTH {
            return Err(Stop::TooDeep);
        }
        self.rule_stack.push(Frame {
            rule,
            arg_i: arg_i as u32,
            line,
            start,
        });
        Ok(())
    }

    /// The frame of a sub-rule starting at the current token, to be run next.
    ///
    /// MicroPython pushes it on the rule stack, and the parse loop pops it straight away; the
    /// loop takes it directly instead (see `run`), which saves a push and a pop per rule
    /// entered. The depth limit is checked as if it had been pushed.
    fn enter(&mut self, rule: Rule) -> Result<Frame, Stop> {
        if self.rule_stack.len() >= MAX_RULE_DEPTH {
            return Err(Stop::TooDeep);
        }
        Ok(Frame {
            rule,
            arg_i: 0,
            line: self.lex.tok_line,
            start: self.lex.tok_span.start,
        })
    }

    /// The rule `n` entries below the top of the rule stack (`peek_rule`).
    fn peek_rule(&self, n: usize) -> Option<Rule> {
        let len = self.rule_stack.len();
        len.checked_sub(n + 1)
            .and_then(|i| self.rule_stack.get(i))
            .map(|f| f.rule)
    }

    fn push_node(&mut self, node: Node<'a>, span: Span) {
        self.results.push(Item { node, span });
    }

    fn push_null(&mut self) {
        let at = self.prev_end;
        self.push_node(Node::Null, Span::new(at, at));
    }

    fn pop(&mut self) -> Item<'a> {
        self.results.pop().unwrap_or(Item {
            node: Node::Null,
            span: Span::default(),
        })
    }

    /// The result `pos` entries below the top (`peek_result`).
    fn peek(&self, pos: usize) -> &Node<'a> {
        let len = self.results.len();
        len.checked_sub(pos + 1)
            .and_then(|i| self.results.get(i))
            .map_or(&Node::Null, |it| &it.node)
    }

    /// The span the top `n` results cover.
    fn span_of_top(&self, n: usize) -> Span {
        let from = self.results.len().saturating_sub(n);
        let mut items = self.results[from..].iter();
        match items.next() {
            Some(first) => items.fold(first.span, |s, it| {
                Span::new(s.start.min(it.span.start), s.end.max(it.span.end))
            }),
            None => Span::new(self.prev_end, self.prev_end),
        }
    }

    /// Pops the top `n` results, in stack order, into a child list in the arena, with the
    /// span they cover. This runs for every rule node.
    fn pop_n(&mut self, n: usize) -> (&'a [Node<'a>], Span) {
        let span = self.span_of_top(n);
        let from = self.results.len().saturating_sub(n);
        let nodes = self
            .arena
            .alloc_nodes(self.results.drain(from..).map(|it| it.node));
        (nodes, span)
    }

    /// Pops the top `n` results, returning the span they covered.
    fn discard_n(&mut self, n: usize) -> Span {
        let span = self.span_of_top(n);
        let from = self.results.len().saturating_sub(n);
        self.results.truncate(from);
        span
    }

    /// Adds a constant object to the tree.
    fn new_const(&mut self, c: ConstNode) -> Node<'a> {
        let i = self.tree_consts.len() as u32;
        self.tree_consts.push(c);
        Node::Const(ConstRef(i))
    }

    /// The constant object `c`.
    fn constant(&self, c: ConstRef) -> &ConstNode {
        &self.tree_consts[c.0 as usize]
    }

    // -----------------------------------------------------------------------------------------
    // Leaves
    // -----------------------------------------------------------------------------------------

    /// `make_node_const_object_optimised`: a small int when it fits the target (and the
    /// host's 63 bits) and is not held as an mpz, else a constant object.
    fn const_node_optimised(&mut self, line: u32, value: ConstValue, mpz: bool) -> Node<'a> {
        if let ConstValue::Int(i) = &value {
            if !mpz {
                if let Some(v) = num::fits_small_int(i, self.options.small_int_bits) {
                    return Node::SmallInt(v);
                }
            }
        }
        self.new_const(ConstNode { line, value })
    }

    /// Whether `node` holds an mpz whose value fits a small int: a constant object that
    /// would otherwise have been made a small int.
    fn is_unnormalised_mpz(&self, node: &Node) -> bool {
        match node {
            Node::Const(c) => match &self.constant(*c).value {
                ConstValue::Int(i) => num::fits_small_int(i, self.options.small_int_bits).is_some(),
                _ => false,
            },
            _ => false,
        }
    }

    fn error(&mut self, kind: DiagnosticKind, message: String, span: Span, line: u32, col: u32) {
        self.diagnostics.push(Diagnostic {
            kind,
            message,
            span,
            line,
            column: col,
        });
    }

    /// `push_result_token`: the current token as a leaf.
    fn push_result_token(&mut self, rule: Rule) {
        let line = self.lex.tok_line;
        let span = self.lex.tok_span;
        let node = match self.tok() {
            Tok::Name => {
                let id = self.pool.intern(&self.lex.vstr);
                match self.consts.get(&id) {
                    // A standalone name defined by const() is replaced by its value.
                    Some((value, mpz)) if rule == Rule::Atom => {
                        self.const_node_optimised(line, value.clone(), *mpz)
                    }
                    _ => Node::Id(id),
                }
            }
            Tok::Integer => {
                let text = String::from_utf8_lossy(&self.lex.vstr).into_owned();
                match num::parse_int(&text) {
                    Ok(v) => self.const_node_optimised(line, ConstValue::Int(v), false),
                    Err(e) => {
                        let col = self.lex.tok_column;
                        self.error(
                            DiagnosticKind::InvalidInteger,
                            e.to_string(),
                            span,
                            line,
                            col,
                        );
                        Node::SmallInt(0)
                    }
                }
            }
            Tok::FloatOrImag => {
                let text = String::from_utf8_lossy(&self.lex.vstr).into_owned();
                let value = match num::parse_float_literal(&text) {
                    Ok(FloatLiteral::Float(f)) => ConstValue::Float(f),
                    Ok(FloatLiteral::Imag(f)) => ConstValue::Complex(0.0, f),
                    Err(e) => {
                        let col = self.lex.tok_column;
                        self.error(
                            DiagnosticKind::InvalidNumber,
                            e.to_string(),
                            span,
                            line,
                            col,
                        );
                        ConstValue::Float(0.0)
                    }
                };
                self.new_const(ConstNode { line, value })
            }
            Tok::String => {
                // Short strings are interned; long ones (usually doc strings, which are
                // discarded) only if they already are.
                let s = &self.lex.vstr;
                let q = if s.len() <= INTERN_STRING_LEN {
                    Some(self.pool.intern(s))
                } else {
                    self.pool.find(s)
                };
                match q {
                    Some(q) => Node::Str(q),
                    None => {
                        let value = ConstValue::Str(s.clone());
                        self.new_const(ConstNode { line, value })
                    }
                }
            }
            Tok::Bytes => {
                let value = ConstValue::Bytes(self.lex.vstr.clone());
                self.new_const(ConstNode { line, value })
            }
            t => Node::Token(t),
        };
        self.push_node(node, span);
    }

    // -----------------------------------------------------------------------------------------
    // The parse loop
    // -----------------------------------------------------------------------------------------

    fn syntax_error(&mut self) {
        let (kind, message) = match self.tok() {
            Tok::Indent => (DiagnosticKind::UnexpectedIndent, "unexpected indent"),
            Tok::DedentMismatch => (
                DiagnosticKind::UnindentMismatch,
                "unindent doesn't match any outer indent level",
            ),
            Tok::MalformedFstring => (DiagnosticKind::MalformedFstring, "malformed f-string"),
            _ => (DiagnosticKind::InvalidSyntax, "invalid syntax"),
        };
        let (span, line, col) = (self.lex.tok_span, self.lex.tok_line, self.lex.tok_column);
        self.error(kind, message.into(), span, line, col);
    }

    fn too_deep(&mut self) {
        let (span, line, col) = (self.lex.tok_span, self.lex.tok_line, self.lex.tok_column);
        self.error(
            DiagnosticKind::TooDeeplyNested,
            "memory allocation failed".into(),
            span,
            line,
            col,
        );
    }

    /// Parses from the top rule; returns the root node when the whole input matched.
    fn parse_top(&mut self, top: Rule) -> Option<Node<'a>> {
        let (line, start) = (self.lex.tok_line, self.lex.tok_span.start);
        let outcome = self
            .push_rule(top, 0, line, start)
            .and_then(|()| self.run());
        match outcome {
            Ok(()) if self.tok() == Tok::End && self.results.len() == 1 => {
                return self.results.pop().map(|it| it.node);
            }
            Ok(()) | Err(Stop::Syntax) => self.syntax_error(),
            Err(Stop::TooDeep) => {
                self.too_deep();
                self.discard_stacks();
                return None;
            }
        }
        self.discard_stacks();
        if top == Rule::FileInput {
            self.recover();
        }
        None
    }

    fn discard_stacks(&mut self) {
        self.rule_stack.clear();
        self.results.clear();
    }

    /// After an error, skips to the next statement and parses statements one at a time,
    /// ignoring indentation, to find further errors.
    fn recover(&mut self) {
        // Recovery lexes on past the first error, which mpy-cross never does. Past an error,
        // an f-string or t-string's injected `.format()` text can hold copies of the following
        // lines, each re-injected when lexed: exponential work on hostile input (found by
        // fuzzing). So recovery stops at any injected text and after a budget of tokens
        // proportional to the source (see `advance`).
        self.recovery_budget = Some(4 * self.lex.source_len() + 1024);
        'line: loop {
            // Brackets left open by the error would hide the newlines.
            self.lex.reset_brackets();
            while !matches!(self.tok(), Tok::Newline | Tok::DedentMismatch | Tok::End) {
                self.advance();
            }
            if self.tok() == Tok::End {
                return;
            }
            self.advance();
            loop {
                while matches!(
                    self.tok(),
                    Tok::Newline | Tok::Indent | Tok::Dedent | Tok::DedentMismatch
                ) {
                    self.advance();
                }
                if self.tok() == Tok::End {
                    return;
                }
                let (line, start) = (self.lex.tok_line, self.lex.tok_span.start);
                let outcome = self
                    .push_rule(Rule::Stmt, 0, line, start)
                    .and_then(|()| self.run());
                let parsed = !self.results.is_empty();
                self.discard_stacks();
                match outcome {
                    Ok(()) if parsed => {}
                    Ok(()) | Err(Stop::Syntax) => {
                        self.syntax_error();
                        continue 'line;
                    }
                    Err(Stop::TooDeep) => {
                        self.too_deep();
                        return;
                    }
                }
            }
        }
    }

    /// The main loop of `mp_parse`, until the rule stack is empty.
    fn run(&mut self) -> Result<(), Stop> {
        let mut backtrack = false;
        // A sub-rule just entered: it runs next, without going through the stack.
        let mut entered: Option<Frame> = None;
        while let Some(frame) = entered.take().or_else(|| self.rule_stack.pop()) {
            let Frame {
                rule,
                arg_i,
                line,
                start,
            } = frame;
            let mut i = arg_i as usize;
            if i == 0 && !backtrack && grammar::ATOM_TOKENS.contains(self.tok()) {
                // Entering a rule at an atom: take the ways down that the grammar fixes at
                // once (see `grammar::TEST_DESCENT` and `grammar::ATOM_CHAIN`), when their
                // frames fit under the depth limit as they would one by one.
                let room = grammar::MAX_TEST_DESCENT + grammar::ATOM_CHAIN.len() + 1;
                if self.rule_stack.len() + room < MAX_RULE_DEPTH {
                    if let Some(k) = grammar::atom_chain_entry(rule) {
                        self.take_atom_chain(k);
                        continue;
                    }
                    if let Some(descent) = &grammar::TEST_DESCENT[rule as usize] {
                        let (line, start) = (self.lex.tok_line, self.lex.tok_span.start);
                        for &rule in descent.frames() {
                            self.rule_stack.push(Frame {
                                rule,
                                arg_i: 1,
                                line,
                                start,
                            });
                        }
                        self.take_atom_chain(0);
                        continue;
                    }
                }
            }
            if i == 1 && !backtrack {
                // A frame of the atom chain with nothing more to match here: resuming it would
                // leave the stacks as they are (see `grammar::ATOM_CHAIN_OWN_CONT`; the one
                // result it would keep is checked to be there).
                if let Some(c) = grammar::atom_chain_index(rule) {
                    if !grammar::ATOM_CHAIN_OWN_CONT[c].contains(self.tok())
                        && !self.peek(0).is_null()
                    {
                        continue;
                    }
                }
            }
            let def = grammar::def(rule);
            let args = def.args;
            let n = args.len();
            match def.act {
                Act::Or => {
                    if i > 0 && !backtrack {
                        continue;
                    }
                    backtrack = false;
                    let mut matched = false;
                    while i < n {
                        match args[i] {
                            Arg::Tok(t) => {
                                if self.tok() == t {
                                    self.push_result_token(rule);
                                    self.advance();
                                    matched = true;
                                    break;
                                }
                            }
                            Arg::Rule(r) | Arg::OptRule(r) => {
                                // An alternative that cannot start here is skipped, as if it
                                // had been pushed and had failed (see `may_start`).
                                if may_start(r, self.tok()) {
                                    if i + 1 < n {
                                        // Come back to the next alternative if this one fails.
                                        self.push_rule(rule, i + 1, line, start)?;
                                    }
                                    entered = Some(self.enter(r)?);
                                    matched = true;
                                    break;
                                }
                            }
                        }
                        i += 1;
                    }
                    if !matched {
                        backtrack = true;
                    }
                }

                Act::And { ident, blank } => {
                    if backtrack {
                        if i > 0 && matches!(args[i - 1], Arg::OptRule(_)) {
                            // An optional rule failed: continue with the next argument.
                            self.push_null();
                            backtrack = false;
                        } else if i > 1 {
                            // Tokens were consumed: cannot backtrack any further.
                            return Err(Stop::Syntax);
                        } else {
                            continue;
                        }
                    }

                    let mut suspended = false;
                    while i < n {
                        match args[i] {
                            Arg::Tok(t) => {
                                if self.tok() == t {
                                    if t == Tok::Name {
                                        self.push_result_token(rule);
                                    }
                                    self.advance();
                                } else if i > 0 {
                                    return Err(Stop::Syntax);
                                } else {
                                    backtrack = true;
                                    suspended = true;
                                    break;
                                }
                            }
                            Arg::Rule(r) | Arg::OptRule(r) if !may_start(r, self.tok()) => {
                                // The sub-rule would fail at once (see `may_start`): do here
                                // what resuming this rule after its failure would do.
                                if matches!(args[i], Arg::OptRule(_)) {
                                    self.push_null();
                                } else if i > 0 {
                                    return Err(Stop::Syntax);
                                } else {
                                    backtrack = true;
                                    suspended = true;
                                    break;
                                }
                            }
                            Arg::Rule(r) | Arg::OptRule(r) => {
                                self.push_rule(rule, i + 1, line, start)?;
                                entered = Some(self.enter(r)?);
                                suspended = true;
                                break;
                            }
                        }
                        i += 1;
                    }
                    if suspended {
                        continue;
                    }

                    // The rule matched: build its node.

                    // Lone constant statements (doc strings among them) are discarded.
                    if self.input != InputKind::Single
                        && rule == Rule::ExprStmt
                        && self.peek(0).is_null()
                    {
                        let p = self.peek(1);
                        if matches!(
                            p,
                            Node::SmallInt(_) | Node::Str(_) | Node::Token(_) | Node::Const(_)
                        ) {
                            let span = self.discard_n(2);
                            self.push_result_rule(line, Rule::PassStmt, 0, span.start)?;
                            continue;
                        }
                    }

                    // Count the arguments: rules always push a result, tokens only names.
                    let mut count = 0;
                    let mut num_not_nil = 0;
                    for arg in args.iter().rev() {
                        match *arg {
                            Arg::Tok(t) => {
                                if t == Tok::Name {
                                    count += 1;
                                    num_not_nil += 1;
                                }
                            }
                            Arg::Rule(_) | Arg::OptRule(_) => {
                                if !self.peek(count).is_null() {
                                    num_not_nil += 1;
                                }
                                count += 1;
                            }
                        }
                    }

                    if num_not_nil == 1 && ident {
                        // A single argument: no node for this rule.
                        let mut keep = Item {
                            node: Node::Null,
                            span: Span::new(self.prev_end, self.prev_end),
                        };
                        for _ in 0..count {
                            let it = self.pop();
                            if !it.node.is_null() {
                                keep = it;
                            }
                        }
                        self.results.push(keep);
                    } else {
                        if blank {
                            // A blank slot at the end, for the compiler.
                            self.push_null();
                            count += 1;
                        }
                        self.push_result_rule(line, rule, count, start)?;
                    }
                }

                Act::OneOrMore | Act::List | Act::ListWithEnd => {
                    let n = def.act.list_n();
                    if !backtrack {
                        let mut suspended = false;
                        loop {
                            let slot = i & 1 & n;
                            match args[slot] {
                                Arg::Tok(t) => {
                                    if self.tok() == t {
                                        // Separators that are tokens are not kept.
                                        if slot == 0 {
                                            self.push_result_token(rule);
                                        }
                                        self.advance();
                                        i += 1;
                                    } else {
                                        i += 1;
                                        backtrack = true;
                                        break;
                                    }
                                }
                                Arg::Rule(r) | Arg::OptRule(r) if !may_start(r, self.tok()) => {
                                    // Fails at once (see `may_start`), like a token mismatch.
                                    i += 1;
                                    backtrack = true;
                                    break;
                                }
                                Arg::Rule(r) | Arg::OptRule(r) => {
                                    self.push_rule(rule, i + 1, line, start)?;
                                    entered = Some(self.enter(r)?);
                                    suspended = true;
                                    break;
                                }
                            }
                        }
                        if suspended {
                            continue;
                        }
                    }

                    // An item or separator failed to match.
                    let mut had_trailing_sep = false;
                    if i <= 1 {
                        // On the first item: propagate the failure.
                        continue;
                    }
                    if n != 2 && (i & 1) == 1 {
                        // After a separator.
                        if n == 3 {
                            had_trailing_sep = true;
                        } else {
                            return Err(Stop::Syntax);
                        }
                    }
                    backtrack = false;

                    // The number of items.
                    i -= 1;
                    if (n & 1) == 1 && matches!(args[1], Arg::Tok(_)) {
                        i = i.div_ceil(2);
                    }
                    if i == 1 {
                        // A single item stays as it is, unless it had a trailing separator.
                        if had_trailing_sep {
                            self.push_result_rule(line, rule, i, start)?;
                        }
                    } else {
                        self.push_result_rule(line, rule, i, start)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Goes down [`grammar::ATOM_CHAIN`] from `ATOM_CHAIN[k]` and matches the atom at the
    /// current token, leaving the stacks as interpreting the grammar would (see the table's
    /// doc): the frames of the chain stay only if the next token continues one of its rules.
    /// The caller checks that the current token is an atom token and that the frames fit
    /// under [`MAX_RULE_DEPTH`].
    fn take_atom_chain(&mut self, k: usize) {
        // Every frame starts at the atom: nothing is consumed on the way down.
        let (line, start) = (self.lex.tok_line, self.lex.tok_span.start);
        self.push_result_token(Rule::Atom);
        self.advance();
        if grammar::ATOM_CHAIN_CONT[k].contains(self.tok()) {
            for &rule in &grammar::ATOM_CHAIN[k..] {
                self.rule_stack.push(Frame {
                    rule,
                    arg_i: 1,
                    line,
                    start,
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Building nodes
    // -----------------------------------------------------------------------------------------

    /// `push_result_rule`: makes a node of the top `num_args` results, after MicroPython's
    /// simplifications and folding.
    fn push_result_rule(
        &mut self,
        line: u32,
        rule: Rule,
        mut num_args: usize,
        start: u32,
    ) -> Result<(), Stop> {
        match rule {
            Rule::AtomParen => {
                // Parentheses around a single expression are dropped; they stay for `()` and
                // for tuples and generators (`testlist_comp`).
                let pn = self.peek(0);
                if !(pn.is_null() || pn.as_rule(Rule::TestlistComp).is_some()) {
                    return Ok(());
                }
            }
            Rule::TestlistComp => {
                // The sole argument of `(...)` or `[...]`.
                match self.peek(0).as_any_rule().map(|r| r.rule) {
                    Some(Rule::TestlistComp3b) => {
                        // One item with a trailing comma.
                        self.pop();
                        num_args -= 1;
                    }
                    Some(Rule::TestlistComp3c) => {
                        // Many items: testlist_comp_3c (which took the first item) becomes
                        // this testlist_comp.
                        let mut it = self.pop();
                        let _stolen = self.pop();
                        if let Node::Rule(r) = it.node {
                            it.node = Node::Rule(self.arena.alloc_rule(RuleNode {
                                rule: Rule::TestlistComp,
                                ..*r
                            }));
                        }
                        self.results.push(it);
                        return Ok(());
                    }
                    _ => {}
                }
            }
            Rule::TestlistComp3c => {
                // Take the first item of the enclosing testlist_comp.
                num_args += 1;
            }
            _ => {}
        }

        if self.fold_logical_constants(rule, &mut num_args) {
            return Ok(());
        }
        if self.fold_constants(rule, num_args) {
            return Ok(());
        }
        if self.build_tuple(line, rule, num_args) {
            return Ok(());
        }

        let (args, span) = self.pop_n(num_args);
        let span = Span::new(span.start.min(start), self.prev_end.max(start));
        let node = Node::Rule(self.arena.alloc_rule(RuleNode {
            rule,
            line,
            span,
            args,
        }));
        if rule == Rule::TestlistComp3c {
            // Stands in for the first item taken from testlist_comp.
            self.push_node(STOLEN, Span::new(span.start, span.start));
        }
        self.push_node(node, span);
        Ok(())
    }

    /// `mp_parse_node_convert_to_obj` (on a node that [`is_const`]).
    fn to_const_value(&self, node: Node<'a>) -> ConstValue {
        match node {
            Node::SmallInt(v) => ConstValue::Int(BigInt::from(v)),
            Node::Str(q) => ConstValue::Str(self.pool.get(q).to_vec()),
            Node::Token(Tok::KwNone) => ConstValue::None,
            Node::Token(Tok::KwFalse) => ConstValue::False,
            Node::Token(Tok::KwTrue) => ConstValue::True,
            Node::Token(_) => ConstValue::Ellipsis,
            Node::Const(c) => self.constant(c).value.clone(),
            // The empty tuple `()`.
            _ => ConstValue::Tuple(Vec::new()),
        }
    }

    /// Whether `node` is a constant whose truth is `value` (`parse_node_is_const_bool`).
    fn is_const_bool(&self, node: &Node, value: bool) -> bool {
        let truth = match node {
            Node::SmallInt(v) => *v != 0,
            Node::Str(q) => !self.pool.get(*q).is_empty(),
            Node::Token(Tok::KwNone) | Node::Token(Tok::KwFalse) => false,
            Node::Token(Tok::KwTrue) | Node::Token(Tok::Ellipsis) => true,
            Node::Const(c) => const_truth(&self.constant(*c).value),
            node if is_const(node) => false,
            _ => return false,
        };
        truth == value
    }

    /// `fold_logical_constants`: drops the operands of `or`/`and` that cannot affect the
    /// result and folds `not` of a constant. True if the rule was folded away entirely.
    fn fold_logical_constants(&mut self, rule: Rule, num_args: &mut usize) -> bool {
        match rule {
            Rule::OrTest | Rule::AndTest => {
                let is_or = rule == Rule::OrTest;
                let n = *num_args;
                let from = self.results.len().saturating_sub(n);
                let items: Vec<Item> = self.results.drain(from..).collect();
                let last = items.len().saturating_sub(1);
                let mut dropped = Vec::new();
                let mut stop = false;
                for (j, it) in items.into_iter().enumerate() {
                    if stop {
                        dropped.push(it);
                        continue;
                    }
                    if j == last {
                        // The last operand is always kept.
                        self.results.push(it);
                        break;
                    }
                    if self.is_const_bool(&it.node, is_or) {
                        // Short-circuits: the rest is never evaluated.
                        self.results.push(it);
                        stop = true;
                    } else if self.is_const_bool(&it.node, !is_or) {
                        // Cannot change the result.
                        dropped.push(it);
                    } else {
                        self.results.push(it);
                    }
                }
                let kept = self.results.len() - from;
                drop(dropped);
                *num_args = kept;
                kept == 1
            }
            Rule::NotTest2 => {
                let value = if self.is_const_bool(self.peek(0), false) {
                    Tok::KwTrue
                } else if self.is_const_bool(self.peek(0), true) {
                    Tok::KwFalse
                } else {
                    return false;
                };
                let it = self.pop();
                self.push_node(Node::Token(value), it.span);
                true
            }
            _ => false,
        }
    }

    /// The number held by a small int or an int/float constant.
    fn number(&self, node: &Node) -> Option<Num> {
        match node {
            Node::SmallInt(v) => Some(Num::Int(BigInt::from(*v))),
            Node::Const(c) => match &self.constant(*c).value {
                ConstValue::Int(i) if self.is_unnormalised_mpz(node) => Some(Num::Mpz(i.clone())),
                ConstValue::Int(i) => Some(Num::Int(i.clone())),
                ConstValue::Float(f) => Some(Num::Float(*f)),
                _ => None,
            },
            _ => None,
        }
    }

    /// `fold_constants`: folds int/float arithmetic, records and applies `const()`, and
    /// replaces `math` constants. True if the rule was replaced by a single node.
    fn fold_constants(&mut self, rule: Rule, num_args: usize) -> bool {
        let result = match rule {
            Rule::Expr | Rule::XorExpr | Rule::AndExpr | Rule::Power => {
                let op = match rule {
                    Rule::Expr => BinOp::Or,
                    Rule::XorExpr => BinOp::Xor,
                    Rule::AndExpr => BinOp::And,
                    _ => BinOp::Pow,
                };
                self.fold_binary(num_args, |_| Some(op), 1)
            }
            Rule::ShiftExpr | Rule::ArithExpr | Rule::Term => self.fold_binary(
                num_args,
                |node| match node {
                    Node::Token(t) => token_binop(*t),
                    _ => None,
                },
                2,
            ),
            Rule::Factor2 => {
                let Some(arg) = self.number(self.peek(0)) else {
                    return false;
                };
                let op = match self.peek(1) {
                    Node::Token(Tok::OpTilde) => {
                        if matches!(arg, Num::Float(_)) {
                            return false;
                        }
                        UnaryOp::Invert
                    }
                    Node::Token(Tok::OpMinus) => UnaryOp::Neg,
                    _ => UnaryOp::Pos,
                };
                fold::unary_op(op, arg)
            }
            Rule::ExprStmt => return self.fold_const_definition(),
            Rule::AtomExprNormal => self.module_constant(),
            _ => None,
        };
        let Some(value) = result else {
            return false;
        };
        let span = self.discard_n(num_args);
        let (value, mpz) = match value {
            Num::Int(i) => (ConstValue::Int(i), false),
            Num::Mpz(i) => (ConstValue::Int(i), true),
            Num::Float(f) => (ConstValue::Float(f), false),
        };
        let node = self.const_node_optimised(0, value, mpz);
        self.push_node(node, span);
        true
    }

    /// Folds `a op b op c ...` left to right, where operands are `stride` results apart and
    /// `op_of` reads the operator from the result just after each operand.
    fn fold_binary(
        &self,
        num_args: usize,
        op_of: impl Fn(&Node) -> Option<BinOp>,
        stride: usize,
    ) -> Option<Num> {
        if num_args == 0 {
            return None;
        }
        let mut acc = self.number(self.peek(num_args - 1))?;
        // Index (from the top) of the next operand.
        let mut k = num_args - 1;
        while k >= stride {
            k -= stride;
            let rhs = self.number(self.peek(k))?;
            let op = if stride == 2 {
                op_of(self.peek(k + 1))?
            } else {
                op_of(self.peek(k))?
            };
            acc = fold::binary_op(op, &acc, &rhs)?;
        }
        Some(acc)
    }

    /// `id = const(value)` (also `id: type = const(value)`): records the constant, and either
    /// drops the statement (private names starting with `_`) or keeps it as `id = value`.
    fn fold_const_definition(&mut self) -> bool {
        let pn1 = self.peek(0);
        if pn1.is_null()
            || pn1.as_rule(Rule::ExprStmtAugassign).is_some()
            || pn1.as_rule(Rule::ExprStmtAssignList).is_some()
        {
            return false;
        }
        let Node::Id(id) = *self.peek(1) else {
            return false;
        };
        let rhs = match pn1.as_rule(Rule::Annassign) {
            Some(ann) => ann.args.get(1).unwrap_or(&Node::Null),
            None => pn1,
        };
        let Some(call) = rhs.as_rule(Rule::AtomExprNormal) else {
            return false;
        };
        let is_const_call = matches!(call.args.first(), Some(Node::Id(q)) if self.pool.get(*q) == b"const")
            && call
                .args
                .get(1)
                .is_some_and(|t| t.as_rule(Rule::TrailerParen).is_some());
        if !is_const_call {
            return false;
        }
        let value_node = call
            .args
            .get(1)
            .and_then(|t| t.as_any_rule())
            .and_then(|t| t.args.first())
            .unwrap_or(&Node::Null);
        if !is_const(value_node) {
            let (line, span) = (call.line, call.span);
            let col = self.lex.column_of(span.start);
            self.error(
                DiagnosticKind::NotAConstant,
                "not a constant".into(),
                span,
                line,
                col,
            );
            return false;
        }

        // Take the value node out of the statement.
        let it = self.pop();
        let value_node = extract_const_value(it.node);
        let mpz = self.is_unnormalised_mpz(&value_node);
        let value = self.to_const_value(value_node);
        self.consts.insert(id, (value, mpz));

        if self.pool.get(id).first() == Some(&b'_') {
            // A private constant: no code is emitted for it.
            let id_item = self.pop();
            let span = Span::new(id_item.span.start, it.span.end);
            self.push_node(
                Node::Rule(self.arena.alloc_rule(RuleNode {
                    rule: Rule::PassStmt,
                    line: 0,
                    span,
                    args: &[],
                })),
                span,
            );
            return true;
        }
        // `id = const(value)` becomes `id = value`.
        self.push_node(value_node, it.span);
        false
    }

    /// `math.e`, `math.pi`, `math.tau`, `math.inf`, `math.nan` (MICROPY_COMP_MODULE_CONST; no
    /// other module is in mpy-cross's table).
    fn module_constant(&self) -> Option<Num> {
        let Node::Id(base) = self.peek(1) else {
            return None;
        };
        let period = self.peek(0).as_rule(Rule::TrailerPeriod)?;
        let Some(Node::Id(attr)) = period.args.first() else {
            return None;
        };
        if self.pool.get(*base) != b"math" {
            return None;
        }
        let v = match self.pool.get(*attr) {
            b"e" => std::f64::consts::E,
            b"pi" => std::f64::consts::PI,
            b"tau" => std::f64::consts::TAU,
            b"inf" => f64::INFINITY,
            b"nan" => f64::NAN,
            _ => return None,
        };
        Some(Num::Float(v))
    }

    /// `build_tuple` (MICROPY_COMP_CONST_TUPLE): a tuple display whose items are all
    /// constants becomes one constant tuple.
    fn build_tuple(&mut self, line: u32, rule: Rule, num_args: usize) -> bool {
        match rule {
            Rule::TestlistComp if self.peek_rule(0) == Some(Rule::AtomParen) => {
                // `(a,)`
                self.build_tuple_from_stack(line, num_args)
            }
            // `(a, b)`: testlist_comp_3b and testlist_comp are done with too.
            Rule::TestlistComp3c
                if self.peek_rule(2) == Some(Rule::AtomParen)
                    && self.build_tuple_from_stack(line, num_args) =>
            {
                let len = self.rule_stack.len();
                self.rule_stack.truncate(len.saturating_sub(2));
                true
            }
            // `x = a, b`, `return a, b`, `for x in a, b:`, `x[a, b]`
            Rule::TestlistStarExpr | Rule::Testlist | Rule::Subscriptlist => {
                self.build_tuple_from_stack(line, num_args)
            }
            _ => false,
        }
    }

    fn build_tuple_from_stack(&mut self, line: u32, num_args: usize) -> bool {
        if (0..num_args).any(|k| !is_const(self.peek(k))) {
            return false;
        }
        let span = self.span_of_top(num_args);
        let from = self.results.len().saturating_sub(num_args);
        let items = self.results[from..]
            .iter()
            .map(|it| self.to_const_value(it.node))
            .collect();
        self.results.truncate(from);
        let node = self.new_const(ConstNode {
            line,
            value: ConstValue::Tuple(items),
        });
        self.push_node(node, span);
        true
    }
}

/// The `value` of a `const(value)` call in `rhs` (the right-hand side of an assignment or an
/// annotated assignment), checked to be there by the caller.
fn extract_const_value(rhs: Node<'_>) -> Node<'_> {
    let call = match rhs {
        Node::Rule(r) if r.rule == Rule::Annassign => r.args.get(1).copied().unwrap_or(Node::Null),
        other => other,
    };
    let Node::Rule(call) = call else {
        return Node::Null;
    };
    let Some(Node::Rule(trailer)) = call.args.get(1) else {
        return Node::Null;
    };
    trailer.args.first().copied().unwrap_or(Node::Null)
}
