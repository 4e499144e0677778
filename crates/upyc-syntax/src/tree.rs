//! The parse tree shared by the parser and the compiler (MicroPython `py/parse.h`).
//!
//! Deliberately the same *shape* as MicroPython's generic parse tree: one node kind per grammar
//! rule (`Rule`, named after the productions of `py/grammar.h`), leaves for names, small ints,
//! interned strings and tokens, and constant objects for everything else. The reference compiler
//! walks exactly this shape, and byte-identical output depends on folding, `const()` substitution
//! and string interning happening here just as they do there. Unlike MicroPython, rule nodes
//! also carry the byte span of the source they came from, for diagnostics.

use crate::qstr::Qstr;

/// A byte range `[start, end)` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }
}

macro_rules! define_rules {
    ($($name:ident = $text:literal,)*) => {
        /// Grammar rules, one per production of MicroPython's `py/grammar.h` (mpy-cross's
        /// configuration: async/await, assignment expressions, slices and sets enabled).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Rule {
            $($name,)*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$name,)*];

            /// The production's name as written in `py/grammar.h`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Rule::$name => $text,)*
                }
            }
        }
    };
}

define_rules! {
    GenericColonTest = "generic_colon_test",
    GenericEqualTest = "generic_equal_test",
    SingleInput = "single_input",
    FileInput = "file_input",
    FileInput2 = "file_input_2",
    FileInput3 = "file_input_3",
    EvalInput = "eval_input",
    EvalInput2 = "eval_input_2",
    Decorator = "decorator",
    Decorators = "decorators",
    Decorated = "decorated",
    DecoratedBody = "decorated_body",
    AsyncFuncdef = "async_funcdef",
    Funcdef = "funcdef",
    Funcdefrettype = "funcdefrettype",
    Typedargslist = "typedargslist",
    TypedargslistItem = "typedargslist_item",
    TypedargslistName = "typedargslist_name",
    TypedargslistStar = "typedargslist_star",
    TypedargslistDblStar = "typedargslist_dbl_star",
    Tfpdef = "tfpdef",
    Varargslist = "varargslist",
    VarargslistItem = "varargslist_item",
    VarargslistName = "varargslist_name",
    VarargslistStar = "varargslist_star",
    VarargslistDblStar = "varargslist_dbl_star",
    Vfpdef = "vfpdef",
    Stmt = "stmt",
    SimpleStmt = "simple_stmt",
    SimpleStmt2 = "simple_stmt_2",
    SmallStmt = "small_stmt",
    ExprStmt = "expr_stmt",
    ExprStmt2 = "expr_stmt_2",
    ExprStmtAugassign = "expr_stmt_augassign",
    ExprStmtAssignList = "expr_stmt_assign_list",
    ExprStmtAssign = "expr_stmt_assign",
    ExprStmt6 = "expr_stmt_6",
    TestlistStarExpr = "testlist_star_expr",
    TestlistStarExpr2 = "testlist_star_expr_2",
    Annassign = "annassign",
    Augassign = "augassign",
    DelStmt = "del_stmt",
    PassStmt = "pass_stmt",
    FlowStmt = "flow_stmt",
    BreakStmt = "break_stmt",
    ContinueStmt = "continue_stmt",
    ReturnStmt = "return_stmt",
    YieldStmt = "yield_stmt",
    RaiseStmt = "raise_stmt",
    RaiseStmtArg = "raise_stmt_arg",
    RaiseStmtFrom = "raise_stmt_from",
    ImportStmt = "import_stmt",
    ImportName = "import_name",
    ImportFrom = "import_from",
    ImportFrom2 = "import_from_2",
    ImportFrom2b = "import_from_2b",
    ImportFrom3 = "import_from_3",
    ImportAsNamesParen = "import_as_names_paren",
    OneOrMorePeriodOrEllipsis = "one_or_more_period_or_ellipsis",
    PeriodOrEllipsis = "period_or_ellipsis",
    ImportAsName = "import_as_name",
    DottedAsName = "dotted_as_name",
    AsName = "as_name",
    ImportAsNames = "import_as_names",
    DottedAsNames = "dotted_as_names",
    DottedName = "dotted_name",
    GlobalStmt = "global_stmt",
    NonlocalStmt = "nonlocal_stmt",
    NameList = "name_list",
    AssertStmt = "assert_stmt",
    AssertStmtExtra = "assert_stmt_extra",
    CompoundStmt = "compound_stmt",
    AsyncStmt = "async_stmt",
    AsyncStmt2 = "async_stmt_2",
    IfStmt = "if_stmt",
    IfStmtElifList = "if_stmt_elif_list",
    IfStmtElif = "if_stmt_elif",
    WhileStmt = "while_stmt",
    ForStmt = "for_stmt",
    TryStmt = "try_stmt",
    TryStmt2 = "try_stmt_2",
    TryStmtExceptAndMore = "try_stmt_except_and_more",
    TryStmtExcept = "try_stmt_except",
    TryStmtAsName = "try_stmt_as_name",
    TryStmtExceptList = "try_stmt_except_list",
    TryStmtFinally = "try_stmt_finally",
    ElseStmt = "else_stmt",
    WithStmt = "with_stmt",
    WithStmtList = "with_stmt_list",
    WithItem = "with_item",
    WithItemAs = "with_item_as",
    Suite = "suite",
    SuiteBlock = "suite_block",
    SuiteBlockStmts = "suite_block_stmts",
    NamedexprTest = "namedexpr_test",
    NamedexprTest2 = "namedexpr_test_2",
    Test = "test",
    TestIfExpr = "test_if_expr",
    TestIfElse = "test_if_else",
    TestNocond = "test_nocond",
    Lambdef = "lambdef",
    LambdefNocond = "lambdef_nocond",
    OrTest = "or_test",
    AndTest = "and_test",
    NotTest = "not_test",
    NotTest2 = "not_test_2",
    Comparison = "comparison",
    CompOp = "comp_op",
    CompOpNotIn = "comp_op_not_in",
    CompOpIs = "comp_op_is",
    CompOpIsNot = "comp_op_is_not",
    StarExpr = "star_expr",
    Expr = "expr",
    XorExpr = "xor_expr",
    AndExpr = "and_expr",
    ShiftExpr = "shift_expr",
    ShiftOp = "shift_op",
    ArithExpr = "arith_expr",
    ArithOp = "arith_op",
    Term = "term",
    TermOp = "term_op",
    Factor = "factor",
    Factor2 = "factor_2",
    FactorOp = "factor_op",
    Power = "power",
    AtomExpr = "atom_expr",
    AtomExprAwait = "atom_expr_await",
    AtomExprNormal = "atom_expr_normal",
    AtomExprTrailers = "atom_expr_trailers",
    PowerDblStar = "power_dbl_star",
    Atom = "atom",
    AtomParen = "atom_paren",
    Atom2b = "atom_2b",
    AtomBracket = "atom_bracket",
    AtomBrace = "atom_brace",
    TestlistComp = "testlist_comp",
    TestlistComp2 = "testlist_comp_2",
    TestlistComp3 = "testlist_comp_3",
    TestlistComp3b = "testlist_comp_3b",
    TestlistComp3c = "testlist_comp_3c",
    Trailer = "trailer",
    TrailerParen = "trailer_paren",
    TrailerBracket = "trailer_bracket",
    TrailerPeriod = "trailer_period",
    Subscriptlist = "subscriptlist",
    Subscript = "subscript",
    Subscript2 = "subscript_2",
    Subscript3 = "subscript_3",
    Subscript3b = "subscript_3b",
    Subscript3c = "subscript_3c",
    Subscript3d = "subscript_3d",
    Sliceop = "sliceop",
    Exprlist = "exprlist",
    Exprlist2 = "exprlist_2",
    Testlist = "testlist",
    Dictorsetmaker = "dictorsetmaker",
    DictorsetmakerItem = "dictorsetmaker_item",
    DictorsetmakerTail = "dictorsetmaker_tail",
    DictorsetmakerList = "dictorsetmaker_list",
    DictorsetmakerList2 = "dictorsetmaker_list2",
    Classdef = "classdef",
    Classdef2 = "classdef_2",
    Arglist = "arglist",
    Arglist2 = "arglist_2",
    ArglistStar = "arglist_star",
    ArglistDblStar = "arglist_dbl_star",
    Argument = "argument",
    Argument2 = "argument_2",
    Argument3 = "argument_3",
    CompIter = "comp_iter",
    CompFor = "comp_for",
    CompIf = "comp_if",
    YieldExpr = "yield_expr",
    YieldArg = "yield_arg",
    YieldArgFrom = "yield_arg_from",
}

macro_rules! define_tokens {
    ($($name:ident,)*) => {
        /// Token kinds (MicroPython's `mp_token_kind_t` in `py/lexer.h`, same order).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Tok {
            $($name,)*
        }

        impl Tok {
            /// Every token kind, in declaration order.
            pub const ALL: &'static [Tok] = &[$(Tok::$name,)*];
        }
    };
}

define_tokens! {
    End,
    Invalid,
    DedentMismatch,
    LonelyStringOpen,
    MalformedFstring,
    Newline,
    Indent,
    Dedent,
    Name,
    Integer,
    FloatOrImag,
    String,
    Bytes,
    Ellipsis,
    KwFalse,
    KwNone,
    KwTrue,
    KwDebug,
    KwAnd,
    KwAs,
    KwAssert,
    KwAsync,
    KwAwait,
    KwBreak,
    KwClass,
    KwContinue,
    KwDef,
    KwDel,
    KwElif,
    KwElse,
    KwExcept,
    KwFinally,
    KwFor,
    KwFrom,
    KwGlobal,
    KwIf,
    KwImport,
    KwIn,
    KwIs,
    KwLambda,
    KwNonlocal,
    KwNot,
    KwOr,
    KwPass,
    KwRaise,
    KwReturn,
    KwTry,
    KwWhile,
    KwWith,
    KwYield,
    OpAssign,
    OpTilde,
    OpLess,
    OpMore,
    OpDblEqual,
    OpLessEqual,
    OpMoreEqual,
    OpNotEqual,
    OpPipe,
    OpCaret,
    OpAmpersand,
    OpDblLess,
    OpDblMore,
    OpPlus,
    OpMinus,
    OpStar,
    OpAt,
    OpDblSlash,
    OpSlash,
    OpPercent,
    OpDblStar,
    DelPipeEqual,
    DelCaretEqual,
    DelAmpersandEqual,
    DelDblLessEqual,
    DelDblMoreEqual,
    DelPlusEqual,
    DelMinusEqual,
    DelStarEqual,
    DelAtEqual,
    DelDblSlashEqual,
    DelSlashEqual,
    DelPercentEqual,
    DelDblStarEqual,
    DelParenOpen,
    DelParenClose,
    DelBracketOpen,
    DelBracketClose,
    DelBraceOpen,
    DelBraceClose,
    DelComma,
    DelColon,
    DelPeriod,
    DelSemicolon,
    DelEqual,
    DelMinusMore,
}

/// A constant object held by the tree (MicroPython's `RULE_const_object` node): anything that
/// is not a small int, an interned string or a name.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstValue {
    /// An integer that does not fit the target's small-int range (arbitrary precision).
    Int(num_bigint::BigInt),
    Float(f64),
    /// A complex number with the given real and imaginary parts (`1j` is `Complex(0.0, 1.0)`).
    Complex(f64, f64),
    /// A str that was not interned (longer than the intern limit and not already a qstr).
    /// Bytes, not `String`: escapes such as `"\ud800"` produce MicroPython's byte sequences.
    ///
    /// Also used for an interned str that became a constant object: a `const()` value that
    /// was a string and is substituted for its name (MicroPython then holds a qstr object,
    /// emitted with `LOAD_CONST_OBJ` like any str object).
    Str(Vec<u8>),
    Bytes(Vec<u8>),
    /// `None` as an object: only inside a `Tuple`, or as a substituted `const()` value.
    None,
    /// `True` as an object (see `None`).
    True,
    /// `False` as an object (see `None`).
    False,
    /// `...` as an object (see `None`).
    Ellipsis,
    /// A tuple of constants built by the parser (`MICROPY_COMP_CONST_TUPLE`, on in mpy-cross):
    /// `(1, 'a')`, `x = 1, 2`, `return 1, 2`, `x[1, 2]`, and nested constant tuples.
    Tuple(Vec<ConstValue>),
}

/// Where the parse tree's rule nodes and child lists live: a bump arena, one per parse (or
/// reused, [`Arena::reset`], by a caller that parses many files), freed at once.
///
/// MicroPython allocates its parse nodes in chunks for the same reason. Nodes hold nothing
/// that needs dropping (constant objects, which own heap data, are kept in [`Tree::consts`]),
/// so dropping the arena frees the whole tree in a few calls, however many nodes it has.
#[derive(Debug, Default)]
pub struct Arena {
    bump: bumpalo::Bump,
}

impl Arena {
    pub fn new() -> Self {
        Self::default()
    }

    /// Frees every node made in this arena, keeping its largest chunk for the next parse.
    pub fn reset(&mut self) {
        self.bump.reset();
    }

    /// Bytes of nodes allocated since the last reset.
    pub fn allocated_bytes(&self) -> usize {
        self.bump.allocated_bytes()
    }

    /// Makes `node` in the arena (the parser's, or a tree built by hand).
    pub fn alloc_rule<'a>(&'a self, node: RuleNode<'a>) -> &'a RuleNode<'a> {
        self.bump.alloc(node)
    }

    /// A child list made of `nodes`.
    pub fn alloc_nodes<'a, I>(&'a self, nodes: I) -> &'a [Node<'a>]
    where
        I: IntoIterator<Item = Node<'a>>,
        I::IntoIter: ExactSizeIterator,
    {
        self.bump.alloc_slice_fill_iter(nodes)
    }
}

/// A parsed module: the root node, and the constant objects its `Node::Const` leaves index.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree<'a> {
    pub root: Node<'a>,
    pub consts: Vec<ConstNode>,
}

impl<'a> Tree<'a> {
    /// The constant object `c` of this tree (`None` if `c` is not one of its constants, which
    /// happens only in a tree built by hand).
    pub fn constant(&self, c: ConstRef) -> Option<&ConstNode> {
        self.consts.get(c.0 as usize)
    }
}

/// A constant object of a tree: its index in [`Tree::consts`]. Indices are unique within a
/// tree, so they also serve as the identity of the constant (MicroPython compares object
/// pointers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConstRef(pub u32);

/// A parse node (MicroPython's `mp_parse_node_t`). Copied freely: rule nodes live in an
/// [`Arena`], constants in the [`Tree`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Node<'a> {
    /// An absent optional part (`MP_PARSE_NODE_NULL`).
    Null,
    /// `MP_PARSE_NODE_SMALL_INT`: fits the target's small-int width.
    SmallInt(i64),
    /// `MP_PARSE_NODE_ID`: a name.
    Id(Qstr),
    /// `MP_PARSE_NODE_STRING`: an interned str.
    Str(Qstr),
    /// `MP_PARSE_NODE_TOKEN`: a bare token kept in the tree (operators, keywords, `...`).
    Token(Tok),
    /// `RULE_const_object`: see [`Tree::constant`].
    Const(ConstRef),
    /// A rule node (`mp_parse_node_struct_t`).
    Rule(&'a RuleNode<'a>),
}

/// A constant object with the line of the token it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstNode {
    pub line: u32,
    pub value: ConstValue,
}

/// An interior node: the rule, the source line MicroPython would record for it, its byte span,
/// and its children (`nodes[]`, same count and order as MicroPython's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleNode<'a> {
    pub rule: Rule,
    pub line: u32,
    pub span: Span,
    pub args: &'a [Node<'a>],
}

impl<'a> Node<'a> {
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// The rule node if this is one of kind `rule`.
    pub fn as_rule(&self, rule: Rule) -> Option<&'a RuleNode<'a>> {
        match *self {
            Node::Rule(r) if r.rule == rule => Some(r),
            _ => None,
        }
    }

    /// Any rule node.
    pub fn as_any_rule(&self) -> Option<&'a RuleNode<'a>> {
        match *self {
            Node::Rule(r) => Some(r),
            _ => None,
        }
    }

    pub fn is_token(&self, tok: Tok) -> bool {
        matches!(self, Node::Token(t) if *t == tok)
    }
}
