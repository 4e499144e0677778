//! The grammar table (MicroPython `py/grammar.h` and the table macros of `py/parse.c`).
//!
//! One entry per [`Rule`]: how the rule combines its arguments ([`Act`]) and the arguments
//! themselves ([`Arg`]). The parser in `parse.rs` interprets this table exactly as
//! MicroPython's parser interprets its generated tables, so the shape of the tree (which nodes
//! collapse, where `Null` is pushed) is fixed here. This is mpy-cross's configuration:
//! async/await, assignment expressions, slices and sets are all enabled.

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
}
