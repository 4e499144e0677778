//! The grammar table (MicroPython `py/grammar.h` and the table macros of `py/parse.c`).
//!
//! One entry per [`Rule`]: how the rule combines its arguments ([`Act`]) and the arguments
//! themselves ([`Arg`]). The parser in `parse.rs` interprets this table exactly as
//! MicroPython's parser interprets its generated tables, so the shape of the tree (which nodes
//! collapse, where `Null` is pushed) is fixed here. This is mpy-cross's configuration:
//! async/await, assignment expressions, slices and sets are all enabled.
//!
//! Also here, computed from the table at compile time for the parser's shortcuts (ours, not
//! MicroPython's; see `parse.rs`): the tokens each rule can start with ([`may_start`]), and the
//! fixed ways down to an atom ([`TEST_DESCENT`], [`ATOM_CHAIN`]).

use crate::tree::{Rule, Tok};

/// One argument of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A token that must (for `and`) or may (for `or`) come next.
    Tok(Tok),
    /// A sub-rule that must match.
    Rule(Rule),
    /// A sub-rule that may be absent (`Null` is pushed in its place).
    OptRule(Rule),
}

/// How a rule combines its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The first alternative that matches.
    Or,
    /// All arguments in sequence. `ident`: a node with a single non-null child collapses to
    /// that child. `blank`: a `Null` is appended to the children (the compiler's scratch slot).
    And { ident: bool, blank: bool },
    /// `item item*`.
    OneOrMore,
    /// `item (sep item)*`.
    List,
    /// `item (sep item)* [sep]`.
    ListWithEnd,
}

impl Act {
    /// MicroPython's `n` for list rules: 2 for one_or_more, 1 for list, 3 for list_with_end.
    pub const fn list_n(self) -> usize {
        match self {
            Act::OneOrMore => 2,
            Act::List => 1,
            Act::ListWithEnd => 3,
            _ => 0,
        }
    }
}

/// A rule's definition.
#[derive(Clone, Copy, Debug)]
pub struct RuleDef {
    pub act: Act,
    pub args: &'static [Arg],
}

const fn and(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::And {
            ident: false,
            blank: false,
        },
        args,
    }
}

const fn and_ident(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::And {
            ident: true,
            blank: false,
        },
        args,
    }
}

const fn and_blank(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::And {
            ident: false,
            blank: true,
        },
        args,
    }
}

const fn or(args: &'static [Arg]) -> RuleDef {
    RuleDef { act: Act::Or, args }
}

const fn one_or_more(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::OneOrMore,
        args,
    }
}

const fn list(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::List,
        args,
    }
}

const fn list_with_end(args: &'static [Arg]) -> RuleDef {
    RuleDef {
        act: Act::ListWithEnd,
        args,
    }
}

use Arg::{OptRule as O, Rule as R, Tok as T};
use Rule::*;
use Tok::*;

/// The definition of `rule`.
pub const fn rule_def(rule: Rule) -> RuleDef {
    match rule {
        GenericColonTest => and_ident(&[T(DelColon), R(Test)]),
        GenericEqualTest => and_ident(&[T(DelEqual), R(Test)]),
        SingleInput => or(&[T(Newline), R(SimpleStmt), R(CompoundStmt)]),
        FileInput => and_ident(&[O(FileInput2)]),
        FileInput2 => one_or_more(&[R(FileInput3)]),
        FileInput3 => or(&[T(Newline), R(Stmt)]),
        EvalInput => and_ident(&[R(Testlist), O(EvalInput2)]),
        EvalInput2 => and(&[T(Newline)]),
        Decorator => and(&[T(OpAt), R(DottedName), O(TrailerParen), T(Newline)]),
        Decorators => one_or_more(&[R(Decorator)]),
        Decorated => and_ident(&[R(Decorators), R(DecoratedBody)]),
        DecoratedBody => or(&[R(Classdef), R(Funcdef), R(AsyncFuncdef)]),
        AsyncFuncdef => and(&[T(KwAsync), R(Funcdef)]),
        Funcdef => and_blank(&[
            T(KwDef),
            T(Name),
            T(DelParenOpen),
            O(Typedargslist),
            T(DelParenClose),
            O(Funcdefrettype),
            T(DelColon),
            R(Suite),
        ]),
        Funcdefrettype => and_ident(&[T(DelMinusMore), R(Test)]),
        Typedargslist => list_with_end(&[R(TypedargslistItem), T(DelComma)]),
        TypedargslistItem => or(&[
            R(TypedargslistName),
            R(TypedargslistStar),
            R(TypedargslistDblStar),
        ]),
        TypedargslistName => and_ident(&[T(Name), O(GenericColonTest), O(GenericEqualTest)]),
        TypedargslistStar => and(&[T(OpStar), O(Tfpdef)]),
        TypedargslistDblStar => and(&[T(OpDblStar), T(Name), O(GenericColonTest)]),
        Tfpdef => and(&[T(Name), O(GenericColonTest)]),
        Varargslist => list_with_end(&[R(VarargslistItem), T(DelComma)]),
        VarargslistItem => or(&[
            R(VarargslistName),
            R(VarargslistStar),
            R(VarargslistDblStar),
        ]),
        VarargslistName => and_ident(&[T(Name), O(GenericEqualTest)]),
        VarargslistStar => and(&[T(OpStar), O(Vfpdef)]),
        VarargslistDblStar => and(&[T(OpDblStar), T(Name)]),
        Vfpdef => and_ident(&[T(Name)]),
        Stmt => or(&[R(CompoundStmt), R(SimpleStmt)]),
        SimpleStmt => and_ident(&[R(SimpleStmt2), T(Newline)]),
        SimpleStmt2 => list_with_end(&[R(SmallStmt), T(DelSemicolon)]),
        SmallStmt => or(&[
            R(DelStmt),
            R(PassStmt),
            R(FlowStmt),
            R(ImportStmt),
            R(GlobalStmt),
            R(NonlocalStmt),
            R(AssertStmt),
            R(ExprStmt),
        ]),
        ExprStmt => and(&[R(TestlistStarExpr), O(ExprStmt2)]),
        ExprStmt2 => or(&[R(Annassign), R(ExprStmtAugassign), R(ExprStmtAssignList)]),
        ExprStmtAugassign => and_ident(&[R(Augassign), R(ExprStmt6)]),
        ExprStmtAssignList => one_or_more(&[R(ExprStmtAssign)]),
        ExprStmtAssign => and_ident(&[T(DelEqual), R(ExprStmt6)]),
        ExprStmt6 => or(&[R(YieldExpr), R(TestlistStarExpr)]),
        TestlistStarExpr => list_with_end(&[R(TestlistStarExpr2), T(DelComma)]),
        TestlistStarExpr2 => or(&[R(StarExpr), R(Test)]),
        Annassign => and(&[T(DelColon), R(Test), O(ExprStmtAssign)]),
        Augassign => or(&[
            T(DelPlusEqual),
            T(DelMinusEqual),
            T(DelStarEqual),
            T(DelAtEqual),
            T(DelSlashEqual),
            T(DelPercentEqual),
            T(DelAmpersandEqual),
            T(DelPipeEqual),
            T(DelCaretEqual),
            T(DelDblLessEqual),
            T(DelDblMoreEqual),
            T(DelDblStarEqual),
            T(DelDblSlashEqual),
        ]),
        DelStmt => and(&[T(KwDel), R(Exprlist)]),
        PassStmt => and(&[T(KwPass)]),
        FlowStmt => or(&[
            R(BreakStmt),
            R(ContinueStmt),
            R(ReturnStmt),
            R(RaiseStmt),
            R(YieldStmt),
        ]),
        BreakStmt => and(&[T(KwBreak)]),
        ContinueStmt => and(&[T(KwContinue)]),
        ReturnStmt => and(&[T(KwReturn), O(Testlist)]),
        YieldStmt => and(&[R(YieldExpr)]),
        RaiseStmt => and(&[T(KwRaise), O(RaiseStmtArg)]),
        RaiseStmtArg => and_ident(&[R(Test), O(RaiseStmtFrom)]),
        RaiseStmtFrom => and_ident(&[T(KwFrom), R(Test)]),
        ImportStmt => or(&[R(ImportName), R(ImportFrom)]),
        ImportName => and(&[T(KwImport), R(DottedAsNames)]),
        ImportFrom => and(&[T(KwFrom), R(ImportFrom2), T(KwImport), R(ImportFrom3)]),
        ImportFrom2 => or(&[R(DottedName), R(ImportFrom2b)]),
        ImportFrom2b => and_ident(&[R(OneOrMorePeriodOrEllipsis), O(DottedName)]),
        ImportFrom3 => or(&[T(OpStar), R(ImportAsNamesParen), R(ImportAsNames)]),
        ImportAsNamesParen => and_ident(&[T(DelParenOpen), R(ImportAsNames), T(DelParenClose)]),
        OneOrMorePeriodOrEllipsis => one_or_more(&[R(PeriodOrEllipsis)]),
        PeriodOrEllipsis => or(&[T(DelPeriod), T(Ellipsis)]),
        ImportAsName => and(&[T(Name), O(AsName)]),
        DottedAsName => and_ident(&[R(DottedName), O(AsName)]),
        AsName => and_ident(&[T(KwAs), T(Name)]),
        ImportAsNames => list_with_end(&[R(ImportAsName), T(DelComma)]),
        DottedAsNames => list(&[R(DottedAsName), T(DelComma)]),
        DottedName => list(&[T(Name), T(DelPeriod)]),
        GlobalStmt => and(&[T(KwGlobal), R(NameList)]),
        NonlocalStmt => and(&[T(KwNonlocal), R(NameList)]),
        NameList => list(&[T(Name), T(DelComma)]),
        AssertStmt => and(&[T(KwAssert), R(Test), O(AssertStmtExtra)]),
        AssertStmtExtra => and_ident(&[T(DelComma), R(Test)]),
        CompoundStmt => or(&[
            R(IfStmt),
            R(WhileStmt),
            R(ForStmt),
            R(TryStmt),
            R(WithStmt),
            R(Funcdef),
            R(Classdef),
            R(Decorated),
            R(AsyncStmt),
        ]),
        AsyncStmt => and(&[T(KwAsync), R(AsyncStmt2)]),
        AsyncStmt2 => or(&[R(Funcdef), R(WithStmt), R(ForStmt)]),
        IfStmt => and(&[
            T(KwIf),
            R(NamedexprTest),
            T(DelColon),
            R(Suite),
            O(IfStmtElifList),
            O(ElseStmt),
        ]),
        IfStmtElifList => one_or_more(&[R(IfStmtElif)]),
        IfStmtElif => and(&[T(KwElif), R(NamedexprTest), T(DelColon), R(Suite)]),
        WhileStmt => and(&[
            T(KwWhile),
            R(NamedexprTest),
            T(DelColon),
            R(Suite),
            O(ElseStmt),
        ]),
        ForStmt => and(&[
            T(KwFor),
            R(Exprlist),
            T(KwIn),
            R(Testlist),
            T(DelColon),
            R(Suite),
            O(ElseStmt),
        ]),
        TryStmt => and(&[T(KwTry), T(DelColon), R(Suite), R(TryStmt2)]),
        TryStmt2 => or(&[R(TryStmtExceptAndMore), R(TryStmtFinally)]),
        TryStmtExceptAndMore => and_ident(&[R(TryStmtExceptList), O(ElseStmt), O(TryStmtFinally)]),
        TryStmtExcept => and(&[T(KwExcept), O(TryStmtAsName), T(DelColon), R(Suite)]),
        TryStmtAsName => and_ident(&[R(Test), O(AsName)]),
        TryStmtExceptList => one_or_more(&[R(TryStmtExcept)]),
        TryStmtFinally => and(&[T(KwFinally), T(DelColon), R(Suite)]),
        ElseStmt => and_ident(&[T(KwElse), T(DelColon), R(Suite)]),
        WithStmt => and(&[T(KwWith), R(WithStmtList), T(DelColon), R(Suite)]),
        WithStmtList => list(&[R(WithItem), T(DelComma)]),
        WithItem => and_ident(&[R(Test), O(WithItemAs)]),
        WithItemAs => and_ident(&[T(KwAs), R(Expr)]),
        Suite => or(&[R(SuiteBlock), R(SimpleStmt)]),
        SuiteBlock => and_ident(&[T(Newline), T(Indent), R(SuiteBlockStmts), T(Dedent)]),
        SuiteBlockStmts => one_or_more(&[R(Stmt)]),
        NamedexprTest => and_ident(&[R(Test), O(NamedexprTest2)]),
        NamedexprTest2 => and_ident(&[T(OpAssign), R(Test)]),
        Test => or(&[R(Lambdef), R(TestIfExpr)]),
        TestIfExpr => and_ident(&[R(OrTest), O(TestIfElse)]),
        TestIfElse => and(&[T(KwIf), R(OrTest), T(KwElse), R(Test)]),
        TestNocond => or(&[R(LambdefNocond), R(OrTest)]),
        Lambdef => and_blank(&[T(KwLambda), O(Varargslist), T(DelColon), R(Test)]),
        LambdefNocond => and_blank(&[T(KwLambda), O(Varargslist), T(DelColon), R(TestNocond)]),
        OrTest => list(&[R(AndTest), T(KwOr)]),
        AndTest => list(&[R(NotTest), T(KwAnd)]),
        NotTest => or(&[R(NotTest2), R(Comparison)]),
        NotTest2 => and(&[T(KwNot), R(NotTest)]),
        Comparison => list(&[R(Expr), R(CompOp)]),
        CompOp => or(&[
            T(OpLess),
            T(OpMore),
            T(OpDblEqual),
            T(OpLessEqual),
            T(OpMoreEqual),
            T(OpNotEqual),
            T(KwIn),
            R(CompOpNotIn),
            R(CompOpIs),
        ]),
        CompOpNotIn => and(&[T(KwNot), T(KwIn)]),
        CompOpIs => and(&[T(KwIs), O(CompOpIsNot)]),
        CompOpIsNot => and(&[T(KwNot)]),
        StarExpr => and(&[T(OpStar), R(Expr)]),
        Expr => list(&[R(XorExpr), T(OpPipe)]),
        XorExpr => list(&[R(AndExpr), T(OpCaret)]),
        AndExpr => list(&[R(ShiftExpr), T(OpAmpersand)]),
        ShiftExpr => list(&[R(ArithExpr), R(ShiftOp)]),
        ShiftOp => or(&[T(OpDblLess), T(OpDblMore)]),
        ArithExpr => list(&[R(Term), R(ArithOp)]),
        ArithOp => or(&[T(OpPlus), T(OpMinus)]),
        Term => list(&[R(Factor), R(TermOp)]),
        TermOp => or(&[T(OpStar), T(OpAt), T(OpSlash), T(OpPercent), T(OpDblSlash)]),
        Factor => or(&[R(Factor2), R(Power)]),
        Factor2 => and_ident(&[R(FactorOp), R(Factor)]),
        FactorOp => or(&[T(OpPlus), T(OpMinus), T(OpTilde)]),
        Power => and_ident(&[R(AtomExpr), O(PowerDblStar)]),
        AtomExpr => or(&[R(AtomExprAwait), R(AtomExprNormal)]),
        AtomExprAwait => and(&[T(KwAwait), R(Atom), O(AtomExprTrailers)]),
        AtomExprNormal => and_ident(&[R(Atom), O(AtomExprTrailers)]),
        AtomExprTrailers => one_or_more(&[R(Trailer)]),
        PowerDblStar => and_ident(&[T(OpDblStar), R(Factor)]),
        Atom => or(&[
            T(Name),
            T(Integer),
            T(FloatOrImag),
            T(String),
            T(Bytes),
            T(Ellipsis),
            T(KwNone),
            T(KwTrue),
            T(KwFalse),
            R(AtomParen),
            R(AtomBracket),
            R(AtomBrace),
        ]),
        AtomParen => and(&[T(DelParenOpen), O(Atom2b), T(DelParenClose)]),
        Atom2b => or(&[R(YieldExpr), R(TestlistComp)]),
        AtomBracket => and(&[T(DelBracketOpen), O(TestlistComp), T(DelBracketClose)]),
        AtomBrace => and(&[T(DelBraceOpen), O(Dictorsetmaker), T(DelBraceClose)]),
        TestlistComp => and_ident(&[R(TestlistComp2), O(TestlistComp3)]),
        TestlistComp2 => or(&[R(StarExpr), R(NamedexprTest)]),
        TestlistComp3 => or(&[R(CompFor), R(TestlistComp3b)]),
        TestlistComp3b => and_ident(&[T(DelComma), O(TestlistComp3c)]),
        TestlistComp3c => list_with_end(&[R(TestlistComp2), T(DelComma)]),
        Trailer => or(&[R(TrailerParen), R(TrailerBracket), R(TrailerPeriod)]),
        TrailerParen => and(&[T(DelParenOpen), O(Arglist), T(DelParenClose)]),
        TrailerBracket => and(&[T(DelBracketOpen), R(Subscriptlist), T(DelBracketClose)]),
        TrailerPeriod => and(&[T(DelPeriod), T(Name)]),
        Subscriptlist => list_with_end(&[R(Subscript), T(DelComma)]),
        Subscript => or(&[R(Subscript3), R(Subscript2)]),
        Subscript2 => and_ident(&[R(Test), O(Subscript3)]),
        Subscript3 => and(&[T(DelColon), O(Subscript3b)]),
        Subscript3b => or(&[R(Subscript3c), R(Subscript3d)]),
        Subscript3c => and(&[T(DelColon), O(Test)]),
        Subscript3d => and_ident(&[R(Test), O(Sliceop)]),
        Sliceop => and(&[T(DelColon), O(Test)]),
        Exprlist => list_with_end(&[R(Exprlist2), T(DelComma)]),
        Exprlist2 => or(&[R(StarExpr), R(Expr)]),
        Testlist => list_with_end(&[R(Test), T(DelComma)]),
        Dictorsetmaker => and_ident(&[R(DictorsetmakerItem), O(DictorsetmakerTail)]),
        DictorsetmakerItem => and_ident(&[R(Test), O(GenericColonTest)]),
        DictorsetmakerTail => or(&[R(CompFor), R(DictorsetmakerList)]),
        DictorsetmakerList => and(&[T(DelComma), O(DictorsetmakerList2)]),
        DictorsetmakerList2 => list_with_end(&[R(DictorsetmakerItem), T(DelComma)]),
        Classdef => and_blank(&[T(KwClass), T(Name), O(Classdef2), T(DelColon), R(Suite)]),
        Classdef2 => and_ident(&[T(DelParenOpen), O(Arglist), T(DelParenClose)]),
        Arglist => list_with_end(&[R(Arglist2), T(DelComma)]),
        Arglist2 => or(&[R(ArglistStar), R(ArglistDblStar), R(Argument)]),
        ArglistStar => and(&[T(OpStar), R(Test)]),
        ArglistDblStar => and(&[T(OpDblStar), R(Test)]),
        Argument => and_ident(&[R(Test), O(Argument2)]),
        Argument2 => or(&[R(CompFor), R(GenericEqualTest), R(Argument3)]),
        Argument3 => and(&[T(OpAssign), R(Test)]),
        CompIter => or(&[R(CompFor), R(CompIf)]),
        CompFor => and_blank(&[T(KwFor), R(Exprlist), T(KwIn), R(OrTest), O(CompIter)]),
        CompIf => and(&[T(KwIf), R(TestNocond), O(CompIter)]),
        YieldExpr => and(&[T(KwYield), O(YieldArg)]),
        YieldArg => or(&[R(YieldArgFrom), R(Testlist)]),
        YieldArgFrom => and(&[T(KwFrom), R(Test)]),
    }
}

/// How many rules there are.
pub const NUM_RULES: usize = Rule::ALL.len();

// `Rule` and `Tok` are plain enums numbered in declaration order, so `rule as usize` indexes
// the tables below and `tok as u32` numbers a bit of a [`TokSet`].
const _: () = {
    let mut i = 0;
    while i < NUM_RULES {
        assert!(Rule::ALL[i] as usize == i);
        i += 1;
    }
    assert!(Tok::ALL.len() <= 128);
};

/// Every rule's definition, indexed by `rule as usize`. The parser looks a definition up at
/// every step; a load from this table is cheaper than evaluating [`rule_def`]'s `match`
/// (a jump through a table to code that builds the definition).
static RULE_DEFS: [RuleDef; NUM_RULES] = {
    let mut defs = [and(&[]); NUM_RULES];
    let mut i = 0;
    while i < NUM_RULES {
        defs[i] = rule_def(Rule::ALL[i]);
        i += 1;
    }
    defs
};

/// The definition of `rule`, from a static table (same as [`rule_def`]).
#[inline]
pub fn def(rule: Rule) -> &'static RuleDef {
    &RULE_DEFS[rule as usize]
}

/// A set of token kinds, one bit per [`Tok`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokSet(u128);

impl TokSet {
    pub const fn contains(self, tok: Tok) -> bool {
        (self.0 >> tok as u32) & 1 != 0
    }
}

/// For each rule, the tokens it may start with; any other token makes it fail at once,
/// having consumed nothing and pushed nothing, exactly as if the parser had pushed it and
/// seen its first argument fail (see [`may_start`]). Not part of MicroPython, which always
/// pushes the rule and lets it fail: an expression such as `x` passes through some twenty
/// rules (`test`, `or_test`, ... `atom`), and most of their alternatives and operator
/// sub-rules (`lambdef`, `not_test_2`, `comp_op`, `arith_op`, `trailer`, ...) would fail this
/// way; skipping them halves the parser's work without changing what it builds.
///
/// Computed at compile time as the least fixed point of: an `or` rule may start with what
/// any alternative may start with; any other rule with what its first argument may start
/// with. A first argument that is an optional rule stands for every token: such a rule does
/// not fail cleanly (after the optional part is skipped, a mismatch is a syntax error).
static FIRST: [TokSet; NUM_RULES] = FIRST_SETS;

/// [`FIRST`], as a constant the other tables can be computed from.
const FIRST_SETS: [TokSet; NUM_RULES] = {
    let mut sets = [TokSet(0); NUM_RULES];
    loop {
        let mut changed = false;
        let mut r = 0;
        while r < NUM_RULES {
            let def = rule_def(Rule::ALL[r]);
            let considered = match def.act {
                Act::Or => def.args.len(),
                _ => 1,
            };
            let mut set = sets[r].0;
            let mut j = 0;
            while j < considered {
                set |= match def.args[j] {
                    Arg::Tok(t) => 1u128 << t as u32,
                    Arg::Rule(sub) => sets[sub as usize].0,
                    Arg::OptRule(_) => u128::MAX,
                };
                j += 1;
            }
            if set != sets[r].0 {
                sets[r] = TokSet(set);
                changed = true;
            }
            r += 1;
        }
        if !changed {
            break;
        }
    }
    sets
};

/// The tokens that start `arg`.
const fn arg_first(arg: Arg) -> TokSet {
    match arg {
        Arg::Tok(t) => TokSet(1u128 << t as u32),
        Arg::Rule(r) | Arg::OptRule(r) => FIRST_SETS[r as usize],
    }
}

/// The rules an expression goes down through to reach an atom, outermost first, each with
/// its first argument matched (`test` and `not_test`, `factor`, `atom_expr`, `or` rules
/// whose last alternative leads on, leave no frame).
///
/// The parser goes down this chain for nearly every name, number and string in the source,
/// pushing a frame per rule, and comes back up popping them one by one, when in most cases
/// none of them has anything more to match (`f(x, 1)`: after `x` and after `1` no operator
/// follows). The parser (`parse.rs`) therefore takes a shortcut when it enters one of these
/// rules at an atom token: it matches the atom, and pushes the chain's frames only if the
/// token after the atom is one that one of them goes on with ([`ATOM_CHAIN_CONT`]); otherwise
/// every rule of the chain would collapse to the atom itself. Either way the stacks end up as
/// the full interpretation leaves them. A unit test checks this table against the grammar.
pub const ATOM_CHAIN: [Rule; 12] = [
    TestIfExpr,
    OrTest,
    AndTest,
    Comparison,
    Expr,
    XorExpr,
    AndExpr,
    ShiftExpr,
    ArithExpr,
    Term,
    Power,
    AtomExprNormal,
];

/// Where in [`ATOM_CHAIN`] the frames of `rule` begin, when the parser enters `rule` at an
/// atom token; `None` for rules not on the chain.
pub const fn atom_chain_entry(rule: Rule) -> Option<usize> {
    Some(match rule {
        Test | TestIfExpr => 0,
        OrTest | TestNocond => 1,
        AndTest => 2,
        NotTest | Comparison => 3,
        Expr => 4,
        XorExpr => 5,
        AndExpr => 6,
        ShiftExpr => 7,
        ArithExpr => 8,
        Term => 9,
        Factor | Power => 10,
        AtomExpr | AtomExprNormal => 11,
        _ => return None,
    })
}

/// The tokens `atom` matches by itself (its token alternatives).
pub const ATOM_TOKENS: TokSet = {
    let def = rule_def(Atom);
    let mut set = 0u128;
    let mut j = 0;
    while j < def.args.len() {
        if let Arg::Tok(t) = def.args[j] {
            set |= 1u128 << t as u32;
        }
        j += 1;
    }
    TokSet(set)
};

/// The most frames a [`TEST_DESCENT`] holds.
pub const MAX_TEST_DESCENT: usize = 8;

/// How the parser goes down from a rule to `test` when it enters the rule at an atom token,
/// if it does so without choices: the rules that leave a frame on the way (each with its
/// first argument to match, so resumed at argument 1), outermost first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestDescent {
    len: u8,
    frames: [Rule; MAX_TEST_DESCENT],
}

impl TestDescent {
    pub fn frames(&self) -> &[Rule] {
        &self.frames[..self.len as usize]
    }
}

/// For each rule, its [`TestDescent`], or `None` when entering it at an atom token does not
/// lead straight to `test` (or it is `test` or below: see [`ATOM_CHAIN`]).
///
/// Statements, call arguments, subscripts, list items and the like all reach their
/// expressions through a few rules (`stmt`, `simple_stmt`, `small_stmt`, `expr_stmt`,
/// `testlist_star_expr` ... `test`) that the parser would enter one at a time. On an atom token
/// the way down is fixed by the grammar: an `or` rule goes to its last alternative (the only one
/// that can start with an atom, so it leaves no frame), any other rule leaves a frame and goes
/// to its first argument. The parser pushes the frames of the descent at once and goes on with
/// [`ATOM_CHAIN`] from `test`. Computed from the grammar at compile time; a unit test walks the
/// grammar again to check it.
pub static TEST_DESCENT: [Option<TestDescent>; NUM_RULES] = {
    let mut table = [None; NUM_RULES];
    let mut r = 0;
    while r < NUM_RULES {
        table[r] = test_descent(Rule::ALL[r]);
        r += 1;
    }
    table
};

/// Whether every atom token may start `rule`, and so every one takes the same way into it.
const fn starts_with_any_atom(rule: Rule) -> bool {
    FIRST_SETS[rule as usize].0 & ATOM_TOKENS.0 == ATOM_TOKENS.0
}

const fn test_descent(from: Rule) -> Option<TestDescent> {
    if atom_chain_entry(from).is_some() {
        return None;
    }
    let mut frames = [Test; MAX_TEST_DESCENT];
    let mut len = 0;
    let mut rule = from;
    loop {
        if rule as usize == Test as usize {
            return Some(TestDescent {
                len: len as u8,
                frames,
            });
        }
        let def = rule_def(rule);
        let n = def.args.len();
        match def.act {
            Act::Or => {
                // Only the last alternative may start with an atom, and with any of them.
                let mut j = 0;
                while j + 1 < n {
                    let first = match def.args[j] {
                        Arg::Tok(t) => 1u128 << t as u32,
                        Arg::Rule(x) | Arg::OptRule(x) => FIRST_SETS[x as usize].0,
                    };
                    if first & ATOM_TOKENS.0 != 0 {
                        return None;
                    }
                    j += 1;
                }
                match def.args[n - 1] {
                    Arg::Rule(x) if starts_with_any_atom(x) => rule = x,
                    _ => return None,
                }
            }
            _ => match def.args[0] {
                Arg::Rule(x) if starts_with_any_atom(x) && len < MAX_TEST_DESCENT => {
                    frames[len] = rule;
                    len += 1;
                    rule = x;
                }
                _ => return None,
            },
        }
    }
}

/// For each start `k` in [`ATOM_CHAIN`], the tokens after an atom with which some rule of
/// `ATOM_CHAIN[k..]` goes on (its second argument: an operator, a trailer, `if` ...); after any
/// other token the whole chain collapses to the atom.
pub static ATOM_CHAIN_CONT: [TokSet; ATOM_CHAIN.len()] = {
    let mut conts = [TokSet(0); ATOM_CHAIN.len()];
    let mut set = 0u128;
    let mut k = ATOM_CHAIN.len();
    while k > 0 {
        k -= 1;
        set |= arg_first(rule_def(ATOM_CHAIN[k]).args[1]).0;
        conts[k] = TokSet(set);
    }
    conts
};

/// The position of `rule` in [`ATOM_CHAIN`], if it is there (a table lookup: the parser asks
/// for every frame it resumes after its first argument).
#[inline]
pub fn atom_chain_index(rule: Rule) -> Option<usize> {
    ATOM_CHAIN_INDEX[rule as usize].map(usize::from)
}

static ATOM_CHAIN_INDEX: [Option<u8>; NUM_RULES] = {
    let mut table = [None; NUM_RULES];
    let mut k = 0;
    while k < ATOM_CHAIN.len() {
        table[ATOM_CHAIN[k] as usize] = Some(k as u8);
        k += 1;
    }
    table
};

/// For each rule of [`ATOM_CHAIN`], the tokens its second argument starts with. A frame of
/// the chain resumed after its first argument (arg 1) at any other token does nothing: a list
/// ends with its one item, an `and_ident` rule collapses to its one non-null child.
pub static ATOM_CHAIN_OWN_CONT: [TokSet; ATOM_CHAIN.len()] = {
    let mut conts = [TokSet(0); ATOM_CHAIN.len()];
    let mut k = 0;
    while k < ATOM_CHAIN.len() {
        conts[k] = arg_first(rule_def(ATOM_CHAIN[k]).args[1]);
        k += 1;
    }
    conts
};

/// Whether `rule` may match starting at a `tok` token. When false, pushing `rule` would make
/// it fail at once with nothing consumed and nothing pushed (it backtracks to its caller), so
/// the parser treats it as failed without pushing it.
#[inline]
pub fn may_start(rule: Rule, tok: Tok) -> bool {
    FIRST[rule as usize].contains(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_consistent_definition() {
        for &rule in Rule::ALL {
            let def = rule_def(rule);
            assert!(!def.args.is_empty(), "{}", rule.name());
            assert!(def.args.len() <= 13, "{}", rule.name());
            match def.act {
                // `or` rules never hold optional rules (grammar.h's rule for writing rules).
                Act::Or => assert!(def.args.iter().all(|a| !matches!(a, Arg::OptRule(_)))),
                Act::OneOrMore => assert_eq!(def.args.len(), 1, "{}", rule.name()),
                Act::List | Act::ListWithEnd => assert_eq!(def.args.len(), 2, "{}", rule.name()),
                Act::And { .. } => {}
            }
        }
    }

    #[test]
    fn static_table_matches_the_definitions() {
        for &rule in Rule::ALL {
            let (a, b) = (def(rule), rule_def(rule));
            assert_eq!(a.act, b.act);
            assert_eq!(a.args, b.args);
        }
    }

    /// [`ATOM_CHAIN`] is what interpreting the grammar goes through from each entry rule to
    /// `atom` on a name, and the rules on it collapse to their first argument when their
    /// second cannot start.
    #[test]
    fn atom_chain_follows_the_grammar() {
        for &entry in Rule::ALL {
            let Some(k) = atom_chain_entry(entry) else {
                continue;
            };
            // Walk down as the parser does on a NAME token, recording the frames it pushes.
            let mut frames = Vec::new();
            let mut rule = entry;
            while rule != Atom {
                let def = rule_def(rule);
                match def.act {
                    Act::Or => {
                        let alts: Vec<Rule> = def
                            .args
                            .iter()
                            .filter_map(|a| match a {
                                Arg::Rule(r) if may_start(*r, Tok::Name) => Some(*r),
                                _ => None,
                            })
                            .collect();
                        // One alternative leads on, the last one: no frame is left.
                        assert_eq!(alts.len(), 1, "{}", rule.name());
                        assert_eq!(def.args.last(), Some(&Arg::Rule(alts[0])));
                        rule = alts[0];
                    }
                    act => {
                        let Arg::Rule(first) = def.args[0] else {
                            panic!("{}", rule.name())
                        };
                        match act {
                            Act::And { ident, .. } => {
                                assert!(ident, "{}", rule.name());
                                assert_eq!(def.args.len(), 2, "{}", rule.name());
                                assert!(matches!(def.args[1], Arg::OptRule(_)));
                            }
                            Act::List => {}
                            _ => panic!("{}", rule.name()),
                        }
                        frames.push(rule);
                        rule = first;
                    }
                }
            }
            assert_eq!(frames, ATOM_CHAIN[k..], "{}", entry.name());
        }
        for tok in [
            Tok::Name,
            Tok::Integer,
            Tok::String,
            Tok::KwNone,
            Tok::Ellipsis,
        ] {
            assert!(ATOM_TOKENS.contains(tok));
        }
        assert!(!ATOM_TOKENS.contains(Tok::DelParenOpen));
        let all = ATOM_CHAIN_CONT[0];
        for tok in [
            Tok::OpPlus,
            Tok::KwIf,
            Tok::KwNot,
            Tok::DelPeriod,
            Tok::OpDblStar,
        ] {
            assert!(all.contains(tok), "{tok:?}");
        }
        for tok in [
            Tok::DelComma,
            Tok::DelParenClose,
            Tok::Newline,
            Tok::DelEqual,
        ] {
            assert!(!all.contains(tok), "{tok:?}");
        }
        assert!(!ATOM_CHAIN_CONT[11].contains(Tok::OpPlus));
        for (k, &rule) in ATOM_CHAIN.iter().enumerate() {
            assert_eq!(atom_chain_index(rule), Some(k));
            assert_eq!(
                ATOM_CHAIN_CONT[k].0 & ATOM_CHAIN_OWN_CONT[k].0,
                ATOM_CHAIN_OWN_CONT[k].0
            );
        }
        assert_eq!(atom_chain_index(Test), None);
        assert!(ATOM_CHAIN_OWN_CONT[atom_chain_index(Comparison).unwrap()].contains(Tok::KwIs));
        assert!(ATOM_CHAIN_CONT[11].contains(Tok::DelBracketOpen));
    }

    /// [`TEST_DESCENT`] is what the parser's interpretation of the grammar does on every atom
    /// token, and it covers the common ways to an expression.
    #[test]
    fn test_descents_follow_the_grammar() {
        let atoms: Vec<Tok> = Tok::ALL
            .iter()
            .copied()
            .filter(|t| ATOM_TOKENS.contains(*t))
            .collect();
        for &entry in Rule::ALL {
            let Some(descent) = TEST_DESCENT[entry as usize] else {
                continue;
            };
            for &tok in &atoms {
                // Walk down as `Parser::run` does, recording the frames it leaves.
                let mut frames = Vec::new();
                let mut rule = entry;
                while rule != Test {
                    let def = rule_def(rule);
                    match def.act {
                        Act::Or => {
                            let mut next = None;
                            for (j, a) in def.args.iter().enumerate() {
                                match *a {
                                    Arg::Tok(t) => assert_ne!(t, tok, "{}", rule.name()),
                                    Arg::Rule(r) | Arg::OptRule(r) if may_start(r, tok) => {
                                        // Taken; the last alternative leaves no frame.
                                        assert_eq!(j + 1, def.args.len(), "{}", rule.name());
                                        next = Some(r);
                                        break;
                                    }
                                    _ => {}
                                }
                            }
                            rule = next.expect("an alternative is taken");
                        }
                        _ => {
                            let Arg::Rule(first) = def.args[0] else {
                                panic!("{}", rule.name())
                            };
                            assert!(may_start(first, tok));
                            frames.push(rule);
                            rule = first;
                        }
                    }
                }
                assert_eq!(descent.frames(), &frames[..], "{}", entry.name());
            }
        }
        let frames = |r: Rule| TEST_DESCENT[r as usize].map(|d| d.frames().to_vec());
        assert_eq!(
            frames(Stmt),
            Some(vec![SimpleStmt, SimpleStmt2, ExprStmt, TestlistStarExpr])
        );
        assert_eq!(frames(Arglist), Some(vec![Arglist, Argument]));
        assert_eq!(frames(TestlistStarExpr2), Some(vec![]));
        assert_eq!(frames(Test), None);
        assert_eq!(frames(Atom), None);
        assert_eq!(frames(CompoundStmt), None);
    }

    #[test]
    fn first_sets() {
        // Expressions start with atoms, unary operators, `not`, `lambda`, `await`, `*`?
        for tok in [
            Tok::Name,
            Tok::Integer,
            Tok::String,
            Tok::DelParenOpen,
            Tok::KwNot,
        ] {
            assert!(may_start(Rule::Test, tok), "{tok:?}");
        }
        assert!(may_start(Rule::Test, Tok::KwLambda));
        assert!(may_start(Rule::Test, Tok::OpMinus));
        assert!(!may_start(Rule::Test, Tok::DelParenClose));
        assert!(!may_start(Rule::Test, Tok::OpStar));
        assert!(!may_start(Rule::Lambdef, Tok::Name));
        assert!(may_start(Rule::CompOp, Tok::KwNot));
        assert!(may_start(Rule::CompOp, Tok::KwIs));
        assert!(!may_start(Rule::CompOp, Tok::DelComma));
        assert!(!may_start(Rule::Trailer, Tok::DelColon));
        assert!(may_start(Rule::Trailer, Tok::DelPeriod));
        // A rule whose first argument is optional never fails cleanly.
        assert!(may_start(Rule::FileInput, Tok::DelParenClose));
        // Statements.
        assert!(may_start(Rule::Stmt, Tok::KwDef));
        assert!(may_start(Rule::CompoundStmt, Tok::OpAt));
        assert!(!may_start(Rule::CompoundStmt, Tok::Name));
        assert!(may_start(Rule::SimpleStmt, Tok::Name));
    }
}
