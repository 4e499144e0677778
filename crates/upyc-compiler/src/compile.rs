//! Parse tree to emitter calls (MicroPython `py/compile.c`, bytecode emitter only).
//!
//! The structure follows `compile.c` function by function (`compile_if_stmt` is
//! [`Compiler::compile_if_stmt`], and so on), because byte-identical output depends on the
//! exact sequence of emitter calls, labels and passes. Every scope goes through the SCOPE pass
//! first (in creation order, scopes being created as their definitions are met), then each
//! scope through STACK_SIZE, CODE_SIZE and as many EMIT passes as the jumps need.
//!
//! Where we differ:
//! - MicroPython stores a scope pointer in a spare slot of the funcdef/classdef/lambdef/
//!   comp_for parse node; our tree is immutable, so we map the node's address to the scope.
//! - Native, viper and inline-assembler code is not generated: where mpy-cross would emit
//!   machine code we stop with [`ErrorKind::NativeCodeUnsupported`].
//! - Only file input is compiled (no REPL, no eval input), as mpy-cross does.
//! - A tree of an unexpected shape gives [`ErrorKind::MalformedTree`] instead of undefined
//!   behaviour.

use rustc_hash::FxHashMap as HashMap;

use upyc_bytecode::opcode::{BinaryOp, UnaryOp};
use upyc_syntax::qstr::{Qstr, QstrPool};
use upyc_syntax::tree::{ConstNode, Node, Rule, RuleNode, Span, Tok, Tree};

use crate::emitbc::{
    AccessKind, BlockKind, BuildKind, ConstTok, Emitter, GlobalKind, ImportKind, LocalKind, Pass,
    PassEnd, YieldKind, BREAK_FROM_FOR, STAR_FLAG_DOUBLE, STAR_FLAG_SINGLE,
};
use crate::emitcommon::{ConstObj, EmitCommon};
use crate::error::ErrorKind;
use crate::scope::{
    EmitOpt, IdKind, Scope, ScopeId, ScopeKind, ScopeNode, Scopes, ID_FLAG_IS_DBL_STAR_PARAM,
    ID_FLAG_IS_PARAM, ID_FLAG_IS_STAR_PARAM, SCOPE_FLAG_DEFKWARGS, SCOPE_FLAG_GENERATOR,
    SCOPE_FLAG_HASCONSTS, SCOPE_FLAG_REFGLOBALS, SCOPE_FLAG_VARARGS, SCOPE_FLAG_VARKEYWORDS,
};
use crate::{Arch, Emit};

/// `INVALID_LABEL`: no enclosing loop.
const INVALID_LABEL: u32 = 0xffff;

/// Emit passes to try before giving up on a scope whose code never stops shrinking (cannot
/// happen with a correct emitter; guards against looping forever).
const MAX_EMIT_PASSES: usize = 64;

static NULL_NODE: Node = Node::Null;

/// The qstrs compile.c refers to by name (`MP_QSTR_*`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Names {
    pub empty: Qstr,
    pub star: Qstr,
    pub module: Qstr,
    lambda: Qstr,
    listcomp: Qstr,
    dictcomp: Qstr,
    setcomp: Qstr,
    genexpr: Qstr,
    pub dunder_class: Qstr,
    dunder_name: Qstr,
    dunder_module: Qstr,
    dunder_qualname: Qstr,
    super_: Qstr,
    range: Qstr,
    micropython: Qstr,
    bytecode: Qstr,
    native: Qstr,
    viper: Qstr,
    asm_thumb: Qstr,
    asm_xtensa: Qstr,
    asm_rv32: Qstr,
    assertion_error: Qstr,
    stop_async_iteration: Qstr,
    base_exception: Qstr,
    aiter: Qstr,
    anext: Qstr,
    aenter: Qstr,
    aexit: Qstr,
}

impl Names {
    pub fn new(pool: &mut QstrPool) -> Self {
        let mut q = |s: &str| pool.intern_str(s);
        Names {
            empty: q(""),
            star: q("*"),
            module: q("<module>"),
            lambda: q("<lambda>"),
            listcomp: q("<listcomp>"),
            dictcomp: q("<dictcomp>"),
            setcomp: q("<setcomp>"),
            genexpr: q("<genexpr>"),
            dunder_class: q("__class__"),
            dunder_name: q("__name__"),
            dunder_module: q("__module__"),
            dunder_qualname: q("__qualname__"),
            super_: q("super"),
            range: q("range"),
            micropython: q("micropython"),
            bytecode: q("bytecode"),
            native: q("native"),
            viper: q("viper"),
            asm_thumb: q("asm_thumb"),
            asm_xtensa: q("asm_xtensa"),
            asm_rv32: q("asm_rv32"),
            assertion_error: q("AssertionError"),
            stop_async_iteration: q("StopAsyncIteration"),
            base_exception: q("BaseException"),
            aiter: q("__aiter__"),
            anext: q("__anext__"),
            aenter: q("__aenter__"),
            aexit: q("__aexit__"),
        }
    }
}

/// Assignment contexts (`assign_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AssignKind {
    Store,
    AugLoad,
    AugStore,
}

/// The first error of a compilation, with what mpy-cross reports about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub kind: ErrorKind,
    /// `None` when mpy-cross prints no traceback (errors raised by the emitter).
    pub line: Option<u32>,
    /// The name of the scope being compiled (`in NAME` of the traceback).
    pub block: Option<Qstr>,
    pub span: Option<Span>,
}

/// The result of compiling a module: what the `.mpy` writer needs.
#[derive(Debug)]
pub(crate) struct CompiledModule {
    pub qstrs: Vec<Qstr>,
    pub consts: Vec<ConstObj>,
    /// Raw code of every scope, indexed by scope id; scope 0 is the module.
    pub raw_codes: Vec<crate::scope::RawCode>,
}

/// Compiler options that matter inside `compile.c`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    pub opt_level: u8,
    pub small_int_bits: u8,
    pub emit: Emit,
    pub arch: Option<Arch>,
    pub source_lines: bool,
}

/// `compiler_t`.
pub(crate) struct Compiler<'a, 'p> {
    pool: &'p mut QstrPool,
    names: Names,
    settings: Settings,
    root: &'a Node<'a>,
    /// The tree's constant objects (`Node::Const` indexes them).
    consts: &'a [ConstNode],

    pass: Pass,
    have_star: bool,
    error: Option<ErrorKind>,
    error_line: u32,
    error_span: Option<Span>,
    /// The error is [`ErrorKind::OutOfMemory`]: scopes are missing from then on.
    out_of_memory: bool,

    next_label: u32,
    num_dict_params: u32,
    num_default_params: u32,
    break_label: u32,
    continue_label: u32,
    cur_except_level: u32,
    break_continue_except_level: u32,

    scopes: Scopes<'a>,
    /// Scopes by the address of the parse node that holds them.
    scope_of_node: HashMap<*const RuleNode<'a>, ScopeId>,
    cur: ScopeId,
    emit: Emitter,
    /// Buffers for `compile_atom_expr_normal`'s trailers, one per level of nesting
    /// (`f(g(x))`), kept between calls: it runs for every attribute access and call in every
    /// pass, and a fresh vector each time was a measurable share of compiling (allocation in
    /// a new process is slow).
    trailer_bufs: Vec<Vec<&'a RuleNode<'a>>>,
}

/// Compiles a parse tree (`mp_compile_to_raw_code`).
pub(crate) fn compile_module(
    tree: &Tree<'_>,
    pool: &mut QstrPool,
    source_file: Qstr,
    settings: Settings,
) -> Result<CompiledModule, Failure> {
    let names = Names::new(pool);
    let source_lines = settings.source_lines && settings.opt_level < 3;
    let emit = Emitter::new(EmitCommon::new(source_file), source_lines, names.star);
    let mut comp = Compiler {
        pool,
        names,
        settings,
        root: &tree.root,
        consts: &tree.consts,
        pass: Pass::Scope,
        have_star: false,
        error: None,
        error_line: 0,
        error_span: None,
        out_of_memory: false,
        next_label: 0,
        num_dict_params: 0,
        num_default_params: 0,
        break_label: INVALID_LABEL,
        continue_label: INVALID_LABEL,
        cur_except_level: 0,
        break_continue_except_level: 0,
        scopes: Scopes::default(),
        scope_of_node: HashMap::default(),
        cur: 0,
        emit,
        trailer_bufs: Vec::new(),
    };
    comp.run()
}

impl<'a> Compiler<'a, '_> {
    /// The tree's constant object `c` (`None` only in a malformed hand-built tree).
    fn constant(&self, c: upyc_syntax::tree::ConstRef) -> Option<&'a ConstNode> {
        self.consts.get(c.0 as usize)
    }

    fn run(&mut self) -> Result<CompiledModule, Failure> {
        let default_emit = match self.settings.emit {
            Emit::Bytecode => EmitOpt::None,
            Emit::Native => EmitOpt::NativePython,
            Emit::Viper => EmitOpt::Viper,
        };
        let module = Scope::new(
            ScopeKind::Module,
            ScopeNode::Root(self.root),
            self.names.module,
            default_emit,
        );
        self.scopes.add(module, None);

        // MP_PASS_SCOPE for every scope, including those created while doing it.
        let mut max_num_labels = 0;
        let mut s = 0;
        while s < self.scopes.list.len() && self.error.is_none() {
            if self.scopes.get(s).emit_options == EmitOpt::Asm {
                self.cur = s;
                self.error = Some(ErrorKind::NativeCodeUnsupported);
                break;
            }
            self.compile_scope(s, Pass::Scope);
            // Implicit globals that an enclosing function binds are closed over.
            for i in 0..self.scopes.get(s).id_info.len() {
                if self.scopes.get(s).id_info[i].kind == IdKind::GlobalImplicit {
                    self.scopes.check_to_close_over(s, i);
                }
            }
            max_num_labels = max_num_labels.max(self.next_label);
            s += 1;
        }

        if self.error.is_none() {
            for s in 0..self.scopes.list.len() {
                self.scopes.compute_things(s, self.names.dunder_class);
            }
        }
        self.emit.set_max_num_labels(max_num_labels as usize);

        // MP_PASS_STACK_SIZE, MP_PASS_CODE_SIZE and MP_PASS_EMIT, scope by scope.
        let mut s = 0;
        while s < self.scopes.list.len() && self.error.is_none() {
            match self.scopes.get(s).emit_options {
                EmitOpt::NativePython | EmitOpt::Viper => {
                    self.cur = s;
                    self.error = Some(match self.settings.arch {
                        Some(Arch::Rv64imc) | None => ErrorKind::NativeNotImplementedForArch,
                        Some(_) => ErrorKind::NativeCodeUnsupported,
                    });
                    break;
                }
                EmitOpt::Asm => {
                    self.cur = s;
                    self.error = Some(ErrorKind::NativeCodeUnsupported);
                    break;
                }
                EmitOpt::None | EmitOpt::Bytecode => {}
            }
            self.compile_scope(s, Pass::StackSize);
            if self.error.is_none() {
                self.compile_scope(s, Pass::CodeSize);
            }
            if self.error.is_none() {
                let mut done = false;
                for _ in 0..MAX_EMIT_PASSES {
                    match self.compile_scope(s, Pass::Emit) {
                        PassEnd::Done => {
                            done = true;
                            break;
                        }
                        PassEnd::Again => {}
                        PassEnd::Overflow => {
                            // Raised by the emitter itself: no traceback.
                            return Err(Failure {
                                kind: ErrorKind::BytecodeOverflow,
                                line: None,
                                block: None,
                                span: None,
                            });
                        }
                    }
                }
                if !done {
                    return Err(Failure {
                        kind: ErrorKind::BytecodeOverflow,
                        line: None,
                        block: None,
                        span: None,
                    });
                }
            }
            s += 1;
        }

        if self.out_of_memory {
            return Err(Failure {
                kind: ErrorKind::OutOfMemory,
                line: None,
                block: None,
                span: None,
            });
        }
        if let Some(kind) = self.error {
            if self.error_line == 0 {
                if let Some(line) = self.scopes.get(self.cur).pn.line(self.consts) {
                    self.error_line = line;
                }
                if self.error_span.is_none() {
                    if let ScopeNode::Rule(r) = self.scopes.get(self.cur).pn {
                        self.error_span = Some(r.span);
                    }
                }
            }
            return Err(Failure {
                kind,
                line: Some(self.error_line),
                block: Some(self.scopes.get(self.cur).simple_name),
                span: self.error_span,
            });
        }

        let mut raw_codes = Vec::with_capacity(self.scopes.list.len());
        for scope in &mut self.scopes.list {
            raw_codes.push(scope.raw_code.take().unwrap_or_default());
        }
        // Moved out, not copied: the compiler is done with them (`run` is its last step).
        Ok(CompiledModule {
            qstrs: std::mem::take(&mut self.emit.common.qstrs),
            consts: std::mem::take(&mut self.emit.common.consts)
                .into_iter()
                .map(|(_, o)| o)
                .collect(),
            raw_codes,
        })
    }

    // ---------------------------------------------------------------------------------------
    // Errors, labels and scopes

    /// `compile_error_set_line`: the first struct node met gives the line.
    fn error_set_line(&mut self, pn: &Node) {
        if self.error_line == 0 {
            match pn {
                Node::Rule(r) => {
                    self.error_line = r.line;
                    self.error_span = Some(r.span);
                }
                Node::Const(c) => {
                    if let Some(c) = self.constant(*c) {
                        self.error_line = c.line;
                    }
                }
                _ => {}
            }
        }
    }

    /// `compile_syntax_error`: records the first error only.
    fn syntax_error(&mut self, pn: &Node, kind: ErrorKind) {
        if self.error.is_none() {
            self.error = Some(kind);
            self.error_set_line(pn);
        }
    }

    fn syntax_error_rule(&mut self, r: &RuleNode, kind: ErrorKind) {
        if self.error.is_none() {
            self.error = Some(kind);
            if self.error_line == 0 {
                self.error_line = r.line;
                self.error_span = Some(r.span);
            }
        }
    }

    fn malformed(&mut self, pn: &Node) {
        self.syntax_error(pn, ErrorKind::MalformedTree);
    }

    fn next_label(&mut self) -> u32 {
        let l = self.next_label;
        self.next_label += 1;
        l
    }

    fn scope_cur(&self) -> &Scope<'a> {
        self.scopes.get(self.cur)
    }

    fn scope_cur_mut(&mut self) -> &mut Scope<'a> {
        self.scopes.get_mut(self.cur)
    }

    /// `scope_new_and_link`, remembering which node (`key`) the scope belongs to.
    fn new_scope(
        &mut self,
        kind: ScopeKind,
        pn: &'a RuleNode<'a>,
        key: &'a RuleNode<'a>,
        name: Qstr,
        emit: EmitOpt,
    ) {
        if self.scopes.list.len() >= crate::MAX_SCOPES {
            // mpy-cross's heap is exhausted; it raises MemoryError without a traceback.
            if self.error.is_none() {
                self.error = Some(ErrorKind::OutOfMemory);
                self.out_of_memory = true;
            }
            return;
        }
        let scope = Scope::new(kind, ScopeNode::Rule(pn), name, emit);
        let id = self.scopes.add(scope, Some(self.cur));
        self.scope_of_node.insert(key as *const RuleNode, id);
    }

    fn scope_of(&mut self, pn: &'a RuleNode<'a>) -> Option<ScopeId> {
        let id = self.scope_of_node.get(&(pn as *const RuleNode)).copied();
        if id.is_none() && !self.out_of_memory {
            self.syntax_error_rule(pn, ErrorKind::MalformedTree);
        }
        id
    }

    fn increase_except_level(&mut self, label: u32, kind: BlockKind) {
        self.emit.setup_block(label, kind);
        self.cur_except_level += 1;
        let level = self.cur_except_level as u16;
        let scope = self.scope_cur_mut();
        if level > scope.exc_stack_size {
            scope.exc_stack_size = level;
        }
    }

    fn decrease_except_level(&mut self) {
        self.cur_except_level = self.cur_except_level.saturating_sub(1);
        self.emit.end_finally();
    }

    fn emit_yield(&mut self, kind: YieldKind) {
        self.emit.yield_(kind);
        self.scope_cur_mut().scope_flags |= SCOPE_FLAG_GENERATOR;
    }

    fn load_const_tok(&mut self, pn: &Node, tok: Tok) {
        let t = match tok {
            Tok::KwFalse => ConstTok::False,
            Tok::KwNone => ConstTok::None,
            Tok::KwTrue => ConstTok::True,
            Tok::Ellipsis => ConstTok::Ellipsis,
            _ => return self.malformed(pn),
        };
        self.emit.load_const_tok(t);
    }

    fn id(&mut self, pn: &Node) -> Qstr {
        match pn {
            Node::Id(q) => *q,
            _ => {
                self.malformed(pn);
                self.names.empty
            }
        }
    }

    /// The truth value of `pn` if it is a constant (`mp_parse_node_is_const` and
    /// `mp_obj_is_true`).
    fn const_truth(&self, pn: &Node) -> Option<bool> {
        match pn {
            Node::SmallInt(v) => Some(*v != 0),
            Node::Str(q) => Some(!self.pool.get(*q).is_empty()),
            Node::Token(Tok::KwNone | Tok::KwFalse) => Some(false),
            Node::Token(Tok::KwTrue | Tok::Ellipsis) => Some(true),
            Node::Const(c) => self
                .constant(*c)
                .map(|c| crate::emitcommon::value_is_true(&c.value)),
            Node::Rule(r) if r.rule == Rule::AtomParen && arg(r, 0).is_null() => Some(false),
            _ => None,
        }
    }

    /// `mp_parse_node_is_const_false`.
    fn is_const_false(&self, pn: &Node) -> bool {
        self.const_truth(pn) == Some(false)
    }

    /// `mp_parse_node_is_const_true`.
    fn is_const_true(&self, pn: &Node) -> bool {
        self.const_truth(pn) == Some(true)
    }

    // ---------------------------------------------------------------------------------------
    // Identifiers

    /// `mp_emit_common_id_op`: emits the load/store/delete for how `qst` is bound.
    fn id_op(&mut self, qst: Qstr, op: AccessKind) {
        let Some(i) = self.scope_cur().find(qst) else {
            self.error.get_or_insert(ErrorKind::MalformedTree);
            return;
        };
        let id = self.scope_cur().id_info[i];
        enum Target {
            Global(GlobalKind),
            Local(LocalKind),
        }
        let target = match id.kind {
            IdKind::GlobalImplicit | IdKind::GlobalImplicitAssigned | IdKind::Undecided => {
                Target::Global(GlobalKind::Name)
            }
            IdKind::GlobalExplicit => Target::Global(GlobalKind::Global),
            IdKind::Local => Target::Local(LocalKind::Fast),
            IdKind::Cell | IdKind::Free => Target::Local(LocalKind::Deref),
        };
        match (op, target) {
            (AccessKind::Load, Target::Global(k)) => self.emit.load_global(qst, k),
            (AccessKind::Load, Target::Local(k)) => self.emit.load_local(id.local_num, k),
            (AccessKind::Store, Target::Global(k)) => self.emit.store_global(qst, k),
            (AccessKind::Store, Target::Local(k)) => self.emit.store_local(id.local_num, k),
            (AccessKind::Delete, Target::Global(k)) => self.emit.delete_global(qst, k),
            (AccessKind::Delete, Target::Local(k)) => self.emit.delete_local(id.local_num, k),
        }
    }

    fn load_id(&mut self, qst: Qstr) {
        if self.pass == Pass::Scope {
            self.scope_cur_mut()
                .find_or_add_id(qst, IdKind::GlobalImplicit);
        } else {
            self.id_op(qst, AccessKind::Load);
        }
    }

    fn store_id(&mut self, qst: Qstr) {
        if self.pass == Pass::Scope {
            self.scope_cur_mut().get_id_for_modification(qst);
        } else {
            self.id_op(qst, AccessKind::Store);
        }
    }

    fn delete_id(&mut self, qst: Qstr) {
        if self.pass == Pass::Scope {
            self.scope_cur_mut().get_id_for_modification(qst);
        } else {
            self.id_op(qst, AccessKind::Delete);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Generic helpers

    /// `apply_to_single_or_list`.
    fn apply_to_single_or_list(
        &mut self,
        pn: &'a Node<'a>,
        kind: Rule,
        f: fn(&mut Self, &'a Node<'a>),
    ) {
        if let Some(r) = pn.as_rule(kind) {
            for n in r.args {
                f(self, n);
            }
        } else if !pn.is_null() {
            f(self, pn);
        }
    }

    /// `compile_generic_all_nodes`.
    fn compile_generic_all_nodes(&mut self, pns: &'a RuleNode<'a>) {
        for n in pns.args {
            self.compile_node(n);
            if self.error.is_some() {
                self.error_set_line(n);
                return;
            }
        }
    }

    /// `compile_generic_tuple`.
    fn compile_generic_tuple(&mut self, pns: &'a RuleNode<'a>) {
        for n in pns.args {
            self.compile_node(n);
        }
        self.emit.build(pns.args.len() as u64, BuildKind::Tuple);
    }

    /// `c_if_cond`: jumps to `label` if `pn` is `jump_if`, short-circuiting `and`/`or`/`not`.
    fn c_if_cond(&mut self, pn: &'a Node<'a>, jump_if: bool, label: u32) {
        if self.is_const_false(pn) {
            if !jump_if {
                self.emit.jump(label);
            }
            return;
        }
        if self.is_const_true(pn) {
            if jump_if {
                self.emit.jump(label);
            }
            return;
        }
        if let Node::Rule(r) = pn {
            let logic1 = match r.rule {
                Rule::OrTest => Some(!jump_if),
                Rule::AndTest => Some(jump_if),
                Rule::NotTest2 => {
                    self.c_if_cond(arg(r, 0), !jump_if, label);
                    return;
                }
                _ => None,
            };
            if let Some(logic1) = logic1 {
                if logic1 {
                    let label2 = self.next_label();
                    if let Some((last, init)) = r.args.split_last() {
                        for n in init {
                            self.c_if_cond(n, !jump_if, label2);
                        }
                        self.c_if_cond(last, jump_if, label);
                    }
                    self.emit.label_assign(label2);
                } else {
                    for n in r.args {
                        self.c_if_cond(n, jump_if, label);
                    }
                }
                return;
            }
        }
        self.compile_node(pn);
        self.emit.pop_jump_if(jump_if, label);
    }

    // ---------------------------------------------------------------------------------------
    // Assignment

    fn c_assign_atom_expr(&mut self, pns: &'a RuleNode<'a>, kind: AssignKind) {
        if kind != AssignKind::AugStore {
            self.compile_node(arg(pns, 0));
        }
        if let Node::Rule(pns1) = arg(pns, 1) {
            let mut pns1: &'a RuleNode<'a> = pns1;
            if pns1.rule == Rule::AtomExprTrailers {
                let n = pns1.args.len();
                if kind != AssignKind::AugStore {
                    for t in pns1.args.iter().take(n.saturating_sub(1)) {
                        self.compile_node(t);
                    }
                }
                match pns1.args.last() {
                    Some(Node::Rule(last)) => pns1 = last,
                    _ => return self.syntax_error_rule(pns, ErrorKind::CannotAssign),
                }
            }
            if pns1.rule == Rule::TrailerBracket {
                if kind == AssignKind::AugStore {
                    self.emit.rot_three();
                    self.emit.subscr(AccessKind::Store);
                } else {
                    self.compile_node(arg(pns1, 0));
                    if kind == AssignKind::AugLoad {
                        self.emit.dup_top_two();
                        self.emit.subscr(AccessKind::Load);
                    } else {
                        self.emit.subscr(AccessKind::Store);
                    }
                }
                return;
            } else if pns1.rule == Rule::TrailerPeriod {
                let q = self.id(arg(pns1, 0));
                if kind == AssignKind::AugLoad {
                    self.emit.dup_top();
                    self.emit.attr(q, AccessKind::Load);
                } else {
                    if kind == AssignKind::AugStore {
                        self.emit.rot_two();
                    }
                    self.emit.attr(q, AccessKind::Store);
                }
                return;
            }
        }
        self.syntax_error_rule(pns, ErrorKind::CannotAssign);
    }

    fn c_assign_tuple(&mut self, nodes: &'a [Node<'a>]) {
        let mut have_star_index = None;
        for (i, n) in nodes.iter().enumerate() {
            if n.as_rule(Rule::StarExpr).is_some() {
                if have_star_index.is_none() {
                    self.emit.unpack_ex(i as u64, (nodes.len() - i - 1) as u64);
                    have_star_index = Some(i);
                } else {
                    self.syntax_error(n, ErrorKind::MultipleStarsInAssignment);
                    return;
                }
            }
        }
        if have_star_index.is_none() {
            self.emit.unpack_sequence(nodes.len() as u64);
        }
        for (i, n) in nodes.iter().enumerate() {
            if Some(i) == have_star_index {
                if let Node::Rule(r) = n {
                    self.c_assign(arg(r, 0), AssignKind::Store);
                }
            } else {
                self.c_assign(n, AssignKind::Store);
            }
        }
    }

    /// `c_assign`: assigns the top of the stack to `pn`.
    fn c_assign(&mut self, pn: &'a Node<'a>, kind: AssignKind) {
        match pn {
            Node::Id(q) => match kind {
                AssignKind::Store | AssignKind::AugStore => self.store_id(*q),
                AssignKind::AugLoad => self.load_id(*q),
            },
            Node::Rule(pns) => {
                let testlist_comp: &'a RuleNode<'a> = match pns.rule {
                    Rule::AtomExprNormal => return self.c_assign_atom_expr(pns, kind),
                    Rule::TestlistStarExpr | Rule::Exprlist => {
                        if kind != AssignKind::Store {
                            return self.syntax_error(pn, ErrorKind::CannotAssign);
                        }
                        return self.c_assign_tuple(pns.args);
                    }
                    Rule::AtomParen => match arg(pns, 0) {
                        Node::Rule(inner) if kind == AssignKind::Store => inner,
                        _ => return self.syntax_error(pn, ErrorKind::CannotAssign),
                    },
                    Rule::AtomBracket => {
                        if kind != AssignKind::Store {
                            return self.syntax_error(pn, ErrorKind::CannotAssign);
                        }
                        let inner = arg(pns, 0);
                        if inner.is_null() {
                            return self.c_assign_tuple(&[]);
                        } else if let Some(tc) = inner.as_rule(Rule::TestlistComp) {
                            tc
                        } else {
                            return self.c_assign_tuple(&pns.args[..1]);
                        }
                    }
                    _ => return self.syntax_error(pn, ErrorKind::CannotAssign),
                };
                if has_comp_for(testlist_comp) {
                    return self.syntax_error(pn, ErrorKind::CannotAssign);
                }
                self.c_assign_tuple(testlist_comp.args);
            }
            _ => self.syntax_error(pn, ErrorKind::CannotAssign),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Functions, lambdas, classes

    /// `close_over_variables_etc`: makes the function or closure for `this_scope`; defaults
    /// (if any) are on the stack.
    fn close_over_variables_etc(&mut self, this_scope: ScopeId, n_pos: u32, n_kw: u32) {
        {
            let s = self.scopes.get_mut(this_scope);
            if n_kw > 0 {
                s.scope_flags |= SCOPE_FLAG_DEFKWARGS;
            }
            s.num_def_pos_args = n_pos as u16;
        }
        // A native emitter would want to know the scope refers to globals and constants.
        self.scope_cur_mut().scope_flags |= SCOPE_FLAG_REFGLOBALS | SCOPE_FLAG_HASCONSTS;

        // Closed-over variables are loaded in the order of the outer scope.
        let mut nfree = 0;
        if self.scope_cur().kind != ScopeKind::Module {
            let mut loads = Vec::new();
            for id in &self.scope_cur().id_info {
                if id.kind == IdKind::Cell || id.kind == IdKind::Free {
                    for id2 in &self.scopes.get(this_scope).id_info {
                        if id2.kind == IdKind::Free && id.qst == id2.qst {
                            loads.push(id.local_num);
                        }
                    }
                }
            }
            for local_num in loads {
                self.emit.load_local(local_num, LocalKind::Fast);
                nfree += 1;
            }
        }

        if nfree == 0 {
            self.emit.make_function(this_scope, n_pos, n_kw);
        } else {
            self.emit.make_closure(this_scope, nfree, n_pos, n_kw);
        }
    }

    fn compile_funcdef_lambdef_param(&mut self, pn: &'a Node<'a>) {
        let kind = match pn {
            Node::Id(_) => None,
            Node::Rule(r) => Some(r.rule),
            _ => return self.malformed(pn),
        };
        match kind {
            Some(Rule::TypedargslistStar | Rule::VarargslistStar) => self.have_star = true,
            Some(Rule::TypedargslistDblStar | Rule::VarargslistDblStar) => {}
            _ => {
                let (pn_id, pn_equal) = match pn {
                    Node::Rule(r) if r.rule == Rule::TypedargslistName => (arg(r, 0), arg(r, 2)),
                    Node::Rule(r) => (arg(r, 0), arg(r, 1)),
                    _ => (pn, &NULL_NODE),
                };
                if pn_equal.is_null() {
                    // Non-default parameters after default ones (the parser allows it).
                    if !self.have_star && self.num_default_params != 0 {
                        self.syntax_error(pn, ErrorKind::NonDefaultAfterDefault);
                    }
                } else if self.have_star {
                    self.num_dict_params += 1;
                    // Keyword-only defaults go into a dict; the positional defaults (or a
                    // null) go first.
                    if self.num_dict_params == 1 {
                        if self.num_default_params > 0 {
                            self.emit
                                .build(self.num_default_params as u64, BuildKind::Tuple);
                        } else {
                            self.emit.load_null();
                        }
                        self.emit.build(0, BuildKind::Map);
                    }
                    self.compile_node(pn_equal);
                    let q = self.id(pn_id);
                    self.emit.load_const_str(q);
                    self.emit.store_map();
                } else {
                    self.num_default_params += 1;
                    self.compile_node(pn_equal);
                }
            }
        }
    }

    fn compile_funcdef_lambdef(&mut self, scope: ScopeId, pn_params: &'a Node<'a>, list: Rule) {
        // Default values may contain lambdas, which come back here: save the state.
        let orig = (
            self.have_star,
            self.num_dict_params,
            self.num_default_params,
        );
        self.have_star = false;
        self.num_dict_params = 0;
        self.num_default_params = 0;
        self.apply_to_single_or_list(pn_params, list, Self::compile_funcdef_lambdef_param);
        if self.error.is_some() {
            return;
        }
        if self.num_default_params > 0 && self.num_dict_params == 0 {
            self.emit
                .build(self.num_default_params as u64, BuildKind::Tuple);
            self.emit.load_null();
        }
        self.close_over_variables_etc(scope, self.num_default_params, self.num_dict_params);
        (
            self.have_star,
            self.num_dict_params,
            self.num_default_params,
        ) = orig;
    }

    /// Leaves the function on the stack and returns its name.
    fn compile_funcdef_helper(&mut self, pns: &'a RuleNode<'a>, emit_options: EmitOpt) -> Qstr {
        if self.pass == Pass::Scope {
            let name = self.id(arg(pns, 0));
            self.new_scope(ScopeKind::Function, pns, pns, name, emit_options);
        }
        let Some(fscope) = self.scope_of(pns) else {
            return self.names.empty;
        };
        self.compile_funcdef_lambdef(fscope, arg(pns, 1), Rule::Typedargslist);
        self.scopes.get(fscope).simple_name
    }

    /// Leaves the class on the stack and returns its name.
    fn compile_classdef_helper(&mut self, pns: &'a RuleNode<'a>, emit_options: EmitOpt) -> Qstr {
        if self.pass == Pass::Scope {
            let name = self.id(arg(pns, 0));
            self.new_scope(ScopeKind::Class, pns, pns, name, emit_options);
        }
        self.emit.load_build_class();
        let Some(cscope) = self.scope_of(pns) else {
            return self.names.empty;
        };
        self.close_over_variables_etc(cscope, 0, 0);
        let name = self.scopes.get(cscope).simple_name;
        self.emit.load_const_str(name);
        // `class C():` has an empty classdef_2 node.
        let mut parents = arg(pns, 1);
        if parents.as_rule(Rule::Classdef2).is_some() {
            parents = &NULL_NODE;
        }
        self.compile_trailer_paren_helper(parents, false, 2);
        name
    }

    /// `compile_built_in_decorator`: true for `@micropython.xxx` (even if invalid).
    fn compile_built_in_decorator(
        &mut self,
        name_nodes: &'a [Node<'a>],
        emit: &mut EmitOpt,
    ) -> bool {
        let Some(first) = name_nodes.first() else {
            return false;
        };
        if !matches!(first, Node::Id(q) if *q == self.names.micropython) {
            return false;
        }
        if name_nodes.len() != 2 {
            self.syntax_error(first, ErrorKind::InvalidMicropythonDecorator);
            return true;
        }
        let attr_node = &name_nodes[1];
        let attr = self.id(attr_node);
        let n = &self.names;
        if attr == n.bytecode {
            *emit = EmitOpt::Bytecode;
        } else if attr == n.native {
            *emit = EmitOpt::NativePython;
        } else if attr == n.viper {
            *emit = EmitOpt::Viper;
        } else if attr == n.asm_thumb || attr == n.asm_xtensa || attr == n.asm_rv32 {
            *emit = EmitOpt::Asm;
        } else {
            self.syntax_error(attr_node, ErrorKind::InvalidMicropythonDecorator);
        }
        let arch = self.settings.arch;
        let has_native = matches!(arch, Some(a) if a != Arch::Rv64imc);
        let has_asm = matches!(
            arch,
            Some(
                Arch::Armv6
                    | Arch::Armv6m
                    | Arch::Armv7m
                    | Arch::Armv7em
                    | Arch::Armv7emsp
                    | Arch::Armv7emdp
                    | Arch::Xtensa
                    | Arch::Xtensawin
                    | Arch::Rv32imc
            )
        );
        match *emit {
            EmitOpt::NativePython | EmitOpt::Viper if !has_native => {
                self.syntax_error(attr_node, ErrorKind::InvalidArch)
            }
            EmitOpt::Asm if !has_asm => self.syntax_error(attr_node, ErrorKind::InvalidArch),
            _ => {}
        }
        true
    }

    fn compile_decorated(&mut self, pns: &'a RuleNode<'a>) {
        let decorators = extract_list(arg(pns, 0), Rule::Decorators);
        let mut emit_options = self.scope_cur().emit_options;
        let mut num_built_in = 0;
        for d in decorators {
            let Node::Rule(pns_decorator) = d else {
                return self.malformed(d);
            };
            let name_nodes = extract_list(arg(pns_decorator, 0), Rule::DottedName);
            if self.compile_built_in_decorator(name_nodes, &mut emit_options) {
                num_built_in += 1;
            } else {
                if let Some((first, rest)) = name_nodes.split_first() {
                    self.compile_node(first);
                    for n in rest {
                        let q = self.id(n);
                        self.emit.attr(q, AccessKind::Load);
                    }
                }
                let call = arg(pns_decorator, 1);
                if !call.is_null() {
                    self.compile_node(call);
                }
            }
        }

        let body_name = match arg(pns, 1) {
            Node::Rule(body) if body.rule == Rule::Funcdef => {
                self.compile_funcdef_helper(body, emit_options)
            }
            Node::Rule(body) if body.rule == Rule::AsyncFuncdef => {
                let Node::Rule(pns0) = arg(body, 0) else {
                    return self.malformed(arg(body, 0));
                };
                let name = self.compile_funcdef_helper(pns0, emit_options);
                if let Some(f) = self.scope_of(pns0) {
                    self.scopes.get_mut(f).scope_flags |= SCOPE_FLAG_GENERATOR;
                }
                name
            }
            Node::Rule(body) if body.rule == Rule::Classdef => {
                self.compile_classdef_helper(body, emit_options)
            }
            other => return self.malformed(other),
        };

        for _ in 0..decorators.len() - num_built_in {
            self.emit.call_function(1, 0, 0);
        }
        self.store_id(body_name);
    }

    fn compile_funcdef(&mut self, pns: &'a RuleNode<'a>) {
        let emit = self.scope_cur().emit_options;
        let fname = self.compile_funcdef_helper(pns, emit);
        self.store_id(fname);
    }

    // ---------------------------------------------------------------------------------------
    // Simple statements

    fn c_del_stmt(&mut self, pn: &'a Node<'a>) {
        let cannot: &Node = match pn {
            Node::Id(q) => return self.delete_id(*q),
            Node::Rule(pns) if pns.rule == Rule::AtomExprNormal => {
                self.compile_node(arg(pns, 0));
                if let Node::Rule(pns1) = arg(pns, 1) {
                    let mut pns1: &'a RuleNode<'a> = pns1;
                    if pns1.rule == Rule::AtomExprTrailers {
                        let n = pns1.args.len();
                        for t in pns1.args.iter().take(n.saturating_sub(1)) {
                            self.compile_node(t);
                        }
                        match pns1.args.last() {
                            Some(Node::Rule(last)) => pns1 = last,
                            _ => return self.syntax_error(pn, ErrorKind::CannotDelete),
                        }
                    }
                    if pns1.rule == Rule::TrailerBracket {
                        self.compile_node(arg(pns1, 0));
                        self.emit.subscr(AccessKind::Delete);
                        return;
                    } else if pns1.rule == Rule::TrailerPeriod {
                        let q = self.id(arg(pns1, 0));
                        self.emit.attr(q, AccessKind::Delete);
                        return;
                    }
                }
                pn
            }
            Node::Rule(pns) if pns.rule == Rule::AtomParen => {
                let inner = arg(pns, 0);
                match inner {
                    Node::Rule(tc) if !has_comp_for(tc) => {
                        for n in tc.args {
                            self.c_del_stmt(n);
                        }
                        return;
                    }
                    _ => inner,
                }
            }
            _ => pn,
        };
        self.syntax_error(cannot, ErrorKind::CannotDelete);
    }

    fn compile_del_stmt(&mut self, pns: &'a RuleNode<'a>) {
        self.apply_to_single_or_list(arg(pns, 0), Rule::Exprlist, Self::c_del_stmt);
    }

    fn compile_break_cont_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let label = if pns.rule == Rule::BreakStmt {
            self.break_label
        } else {
            self.continue_label
        };
        if label == INVALID_LABEL {
            self.syntax_error_rule(pns, ErrorKind::BreakContinueOutsideLoop);
        }
        let depth = self
            .cur_except_level
            .saturating_sub(self.break_continue_except_level);
        self.emit.unwind_jump(label, depth);
    }

    fn compile_return_stmt(&mut self, pns: &'a RuleNode<'a>) {
        if self.scope_cur().kind != ScopeKind::Function {
            return self.syntax_error_rule(pns, ErrorKind::ReturnOutsideFunction);
        }
        let value = arg(pns, 0);
        if value.is_null() {
            self.emit.load_const_tok(ConstTok::None);
        } else if let Some(if_expr) = value.as_rule(Rule::TestIfExpr) {
            // `return a if c else b` returns from each branch, as CPython does.
            let Node::Rule(if_else) = arg(if_expr, 1) else {
                return self.malformed(value);
            };
            let l_fail = self.next_label();
            self.c_if_cond(arg(if_else, 0), false, l_fail);
            self.compile_node(arg(if_expr, 0));
            self.emit.return_value();
            self.emit.label_assign(l_fail);
            self.compile_node(arg(if_else, 1));
        } else {
            self.compile_node(value);
        }
        self.emit.return_value();
    }

    fn compile_yield_stmt(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_node(arg(pns, 0));
        self.emit.pop_top();
    }

    fn compile_raise_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let a0 = arg(pns, 0);
        if a0.is_null() {
            self.emit.raise_varargs(0);
        } else if let Some(r) = a0.as_rule(Rule::RaiseStmtArg) {
            self.compile_node(arg(r, 0));
            self.compile_node(arg(r, 1));
            self.emit.raise_varargs(2);
        } else {
            self.compile_node(a0);
            self.emit.raise_varargs(1);
        }
    }

    /// `do_import_name`: imports the (dotted) name and returns the name to bind.
    fn do_import_name(&mut self, mut pn: &'a Node<'a>) -> Qstr {
        let mut is_as = false;
        let mut q_base = self.names.empty;
        if let Some(r) = pn.as_rule(Rule::DottedAsName) {
            q_base = self.id(arg(r, 1));
            pn = arg(r, 0);
            is_as = true;
        }
        match pn {
            Node::Null => {
                // `from . import x`: import the empty name.
                q_base = self.names.empty;
                self.emit.import(self.names.empty, ImportKind::Name);
            }
            Node::Id(q) => {
                if !is_as {
                    q_base = *q;
                }
                self.emit.import(*q, ImportKind::Name);
            }
            Node::Rule(r) if r.rule == Rule::DottedName && !r.args.is_empty() => {
                if !is_as {
                    q_base = self.id(&r.args[0]);
                }
                let mut full = Vec::new();
                for (i, n) in r.args.iter().enumerate() {
                    if i > 0 {
                        full.push(b'.');
                    }
                    let q = self.id(n);
                    full.extend_from_slice(self.pool.get(q));
                }
                let q_full = self.pool.intern(&full);
                self.emit.import(q_full, ImportKind::Name);
                if is_as {
                    for n in &r.args[1..] {
                        let q = self.id(n);
                        self.emit.attr(q, AccessKind::Load);
                    }
                }
            }
            _ => self.malformed(pn),
        }
        q_base
    }

    fn compile_dotted_as_name(&mut self, pn: &'a Node<'a>) {
        self.emit.load_const_small_int(0);
        self.emit.load_const_tok(ConstTok::None);
        let q_base = self.do_import_name(pn);
        self.store_id(q_base);
    }

    fn compile_import_name(&mut self, pns: &'a RuleNode<'a>) {
        self.apply_to_single_or_list(
            arg(pns, 0),
            Rule::DottedAsNames,
            Self::compile_dotted_as_name,
        );
    }

    fn compile_import_from(&mut self, pns: &'a RuleNode<'a>) {
        let mut pn_import_source = arg(pns, 0);

        // Leading dots (or ellipses) of a relative import give the level.
        let mut import_level: i64 = 0;
        let pn_rel = if matches!(pn_import_source, Node::Token(_))
            || pn_import_source
                .as_rule(Rule::OneOrMorePeriodOrEllipsis)
                .is_some()
        {
            let rel = pn_import_source;
            pn_import_source = &NULL_NODE;
            Some(rel)
        } else if let Some(r) = pn_import_source.as_rule(Rule::ImportFrom2b) {
            pn_import_source = arg(r, 1);
            Some(arg(r, 0))
        } else {
            None
        };
        if let Some(rel) = pn_rel {
            for n in extract_list(rel, Rule::OneOrMorePeriodOrEllipsis) {
                import_level += if n.is_token(Tok::DelPeriod) { 1 } else { 3 };
            }
        }

        let what = arg(pns, 1);
        if what.is_token(Tok::OpStar) {
            if self.scope_cur().kind != ScopeKind::Module {
                return self.syntax_error_rule(pns, ErrorKind::ImportStarNotAtModuleLevel);
            }
            self.emit.load_const_small_int(import_level);
            self.emit.load_const_str(self.names.star);
            self.emit.build(1, BuildKind::Tuple);
            self.do_import_name(pn_import_source);
            self.emit.import(self.names.empty, ImportKind::Star);
        } else {
            self.emit.load_const_small_int(import_level);
            let names = extract_list(what, Rule::ImportAsNames);
            for n in names {
                let Node::Rule(r) = n else {
                    return self.malformed(n);
                };
                let q = self.id(arg(r, 0));
                self.emit.load_const_str(q);
            }
            self.emit.build(names.len() as u64, BuildKind::Tuple);
            self.do_import_name(pn_import_source);
            for n in names {
                let Node::Rule(r) = n else {
                    return self.malformed(n);
                };
                let q = self.id(arg(r, 0));
                self.emit.import(q, ImportKind::From);
                let as_name = arg(r, 1);
                if as_name.is_null() {
                    self.store_id(q);
                } else {
                    let q2 = self.id(as_name);
                    self.store_id(q2);
                }
            }
            self.emit.pop_top();
        }
    }

    fn compile_declare_global(&mut self, pn: &Node, id_index: usize) {
        let id = self.scope_cur().id_info[id_index];
        if id.kind != IdKind::Undecided && id.kind != IdKind::GlobalExplicit {
            return self.syntax_error(pn, ErrorKind::RedefinedAsGlobal);
        }
        self.scope_cur_mut().id_info[id_index].kind = IdKind::GlobalExplicit;
        // The module's own binding becomes explicit too.
        if let Some((g, i)) = self.scopes.find_global(self.cur, id.qst) {
            self.scopes.get_mut(g).id_info[i].kind = IdKind::GlobalExplicit;
        }
    }

    fn compile_declare_nonlocal(&mut self, pn: &Node, id_index: usize) {
        let kind = self.scope_cur().id_info[id_index].kind;
        if kind == IdKind::Undecided {
            self.scope_cur_mut().id_info[id_index].kind = IdKind::GlobalImplicit;
            self.scopes.check_to_close_over(self.cur, id_index);
            if self.scope_cur().id_info[id_index].kind == IdKind::GlobalImplicit {
                self.syntax_error(pn, ErrorKind::NoBindingForNonlocal);
            }
        } else if kind != IdKind::Free {
            self.syntax_error(pn, ErrorKind::RedefinedAsNonlocal);
        }
    }

    fn compile_declare_global_or_nonlocal(&mut self, pn: &Node, id_index: usize, global: bool) {
        if global {
            self.compile_declare_global(pn, id_index);
        } else {
            self.compile_declare_nonlocal(pn, id_index);
        }
    }

    fn compile_global_nonlocal_stmt(&mut self, pns: &'a RuleNode<'a>, pn: &'a Node<'a>) {
        if self.pass != Pass::Scope {
            return;
        }
        let is_global = pns.rule == Rule::GlobalStmt;
        if !is_global && self.scope_cur().kind == ScopeKind::Module {
            return self.syntax_error_rule(pns, ErrorKind::NonlocalAtModuleLevel);
        }
        for n in extract_list(arg(pns, 0), Rule::NameList) {
            let q = self.id(n);
            let i = self.scope_cur_mut().find_or_add_id(q, IdKind::Undecided);
            self.compile_declare_global_or_nonlocal(pn, i, is_global);
        }
    }

    fn compile_assert_stmt(&mut self, pns: &'a RuleNode<'a>) {
        // With optimisations enabled assertions are not compiled.
        if self.settings.opt_level != 0 {
            return;
        }
        let l_end = self.next_label();
        self.c_if_cond(arg(pns, 0), true, l_end);
        self.emit
            .load_global(self.names.assertion_error, GlobalKind::Global);
        let msg = arg(pns, 1);
        if !msg.is_null() {
            self.compile_node(msg);
            self.emit.call_function(1, 0, 0);
        }
        self.emit.raise_varargs(1);
        self.emit.label_assign(l_end);
    }

    // ---------------------------------------------------------------------------------------
    // Compound statements

    fn compile_if_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let l_end = self.next_label();
        'done: {
            let cond = arg(pns, 0);
            // `if False:` emits nothing.
            if !self.is_const_false(cond) {
                let l_fail = self.next_label();
                self.c_if_cond(cond, false, l_fail);
                self.compile_node(arg(pns, 1));
                // `if True:` skips everything else.
                if self.is_const_true(cond) {
                    break 'done;
                }
                // No jump over non-existent elif/else blocks.
                if !(arg(pns, 2).is_null() && arg(pns, 3).is_null()) {
                    self.emit.jump(l_end);
                }
                self.emit.label_assign(l_fail);
            }

            for elif in extract_list(arg(pns, 2), Rule::IfStmtElifList) {
                let Node::Rule(pns_elif) = elif else {
                    self.malformed(elif);
                    break 'done;
                };
                let cond = arg(pns_elif, 0);
                if !self.is_const_false(cond) {
                    let l_fail = self.next_label();
                    self.c_if_cond(cond, false, l_fail);
                    self.compile_node(arg(pns_elif, 1));
                    if self.is_const_true(cond) {
                        break 'done;
                    }
                    self.emit.jump(l_end);
                    self.emit.label_assign(l_fail);
                }
            }

            self.compile_node(arg(pns, 3));
        }
        self.emit.label_assign(l_end);
    }

    /// `START_BREAK_CONTINUE_BLOCK`: returns (saved state, break label, continue label).
    fn start_break_continue_block(&mut self) -> ((u32, u32, u32), u32, u32) {
        let saved = (
            self.break_label,
            self.continue_label,
            self.break_continue_except_level,
        );
        let break_label = self.next_label();
        let continue_label = self.next_label();
        self.break_label = break_label;
        self.continue_label = continue_label;
        self.break_continue_except_level = self.cur_except_level;
        (saved, break_label, continue_label)
    }

    /// `END_BREAK_CONTINUE_BLOCK`.
    fn end_break_continue_block(&mut self, saved: (u32, u32, u32)) {
        (
            self.break_label,
            self.continue_label,
            self.break_continue_except_level,
        ) = saved;
    }

    fn compile_while_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let (saved, break_label, continue_label) = self.start_break_continue_block();
        let cond = arg(pns, 0);
        // `while False:` emits nothing.
        if !self.is_const_false(cond) {
            let top_label = self.next_label();
            // `while True:` needs no jump to the condition.
            if !self.is_const_true(cond) {
                self.emit.jump(continue_label);
            }
            self.emit.label_assign(top_label);
            self.compile_node(arg(pns, 1));
            self.emit.label_assign(continue_label);
            self.c_if_cond(cond, true, top_label);
        }
        // break/continue in the else block apply to the outer loop.
        self.end_break_continue_block(saved);
        self.compile_node(arg(pns, 2));
        self.emit.label_assign(break_label);
    }

    /// `for <var> in range(<start>, <end>, <step>)` with a constant step: the loop variable
    /// is incremented on the stack, without an iterator object.
    #[allow(clippy::too_many_arguments)]
    fn compile_for_stmt_optimised_range(
        &mut self,
        pn_var: &'a Node<'a>,
        pn_start: &'a Node<'a>,
        pn_end: &'a Node<'a>,
        pn_step: &'a Node<'a>,
        pn_body: &'a Node<'a>,
        pn_else: &'a Node<'a>,
    ) {
        let (saved, break_label, continue_label) = self.start_break_continue_block();
        let top_label = self.next_label();
        let entry_label = self.next_label();

        // The end value goes on the stack unless it is a small-int constant.
        let end_on_stack = !matches!(pn_end, Node::SmallInt(_));
        if end_on_stack {
            self.compile_node(pn_end);
        }
        self.compile_node(pn_start);
        self.emit.jump(entry_label);
        self.emit.label_assign(top_label);

        self.emit.dup_top();
        self.c_assign(pn_var, AssignKind::Store);
        self.compile_node(pn_body);

        self.emit.label_assign(continue_label);
        self.compile_node(pn_step);
        self.emit.binary_op(BinaryOp::InplaceAdd);

        self.emit.label_assign(entry_label);
        if end_on_stack {
            self.emit.dup_top_two();
            self.emit.rot_two();
        } else {
            self.emit.dup_top();
            self.compile_node(pn_end);
        }
        let step_non_negative = matches!(pn_step, Node::SmallInt(v) if *v >= 0);
        if step_non_negative {
            self.emit.binary_op(BinaryOp::Less);
        } else {
            self.emit.binary_op(BinaryOp::More);
        }
        self.emit.pop_jump_if(true, top_label);

        self.end_break_continue_block(saved);

        // The else block may break/continue: pop the loop values first.
        let mut end_label = 0;
        if !pn_else.is_null() {
            self.emit.pop_top();
            if end_on_stack {
                self.emit.pop_top();
            }
            self.compile_node(pn_else);
            end_label = self.next_label();
            self.emit.jump(end_label);
            self.emit.adjust_stack_size(1 + end_on_stack as i64);
        }

        self.emit.label_assign(break_label);
        // The final value of var that failed the condition, and maybe <end>.
        self.emit.pop_top();
        if end_on_stack {
            self.emit.pop_top();
        }
        if !pn_else.is_null() {
            self.emit.label_assign(end_label);
        }
    }

    fn compile_for_stmt(&mut self, pns: &'a RuleNode<'a>) {
        if let (Node::Id(_), Some(pns_it)) =
            (arg(pns, 0), arg(pns, 1).as_rule(Rule::AtomExprNormal))
        {
            if matches!(arg(pns_it, 0), Node::Id(q) if *q == self.names.range) {
                if let Some(paren) = arg(pns_it, 1).as_rule(Rule::TrailerParen) {
                    if self.try_for_range(pns, arg(paren, 0)) {
                        return;
                    }
                }
            }
        }

        let (saved, break_label, continue_label) = self.start_break_continue_block();
        self.break_label |= BREAK_FROM_FOR;

        let pop_label = self.next_label();
        self.compile_node(arg(pns, 1));
        self.emit.get_iter(true);
        self.emit.label_assign(continue_label);
        self.emit.for_iter(pop_label);
        self.c_assign(arg(pns, 0), AssignKind::Store);
        self.compile_node(arg(pns, 2));
        self.emit.jump(continue_label);
        self.emit.label_assign(pop_label);
        self.emit.for_iter_end();

        self.end_break_continue_block(saved);
        self.compile_node(arg(pns, 3));
        self.emit.label_assign(break_label);
    }

    /// The range-loop optimisation of `compile_for_stmt`, if its arguments allow it.
    fn try_for_range(&mut self, pns: &'a RuleNode<'a>, pn_range_args: &'a Node<'a>) -> bool {
        static ZERO: Node = Node::SmallInt(0);
        static ONE: Node = Node::SmallInt(1);
        let args = extract_list(pn_range_args, Rule::Arglist);
        let (start, end, step) = match args {
            [end] => (&ZERO, end, &ONE),
            [start, end] => (start, end, &ONE),
            [start, end, step] => {
                // The step must be a non-zero small-int constant.
                if !matches!(step, Node::SmallInt(v) if *v != 0) {
                    return false;
                }
                (start, end, step)
            }
            _ => return false,
        };
        // The arguments must be plain expressions.
        let plain = |n: &Node| {
            !matches!(n, Node::Rule(r) if matches!(
                r.rule,
                Rule::ArglistStar | Rule::ArglistDblStar | Rule::Argument
            ))
        };
        if !plain(start) || !plain(end) {
            return false;
        }
        self.compile_for_stmt_optimised_range(
            arg(pns, 0),
            start,
            end,
            step,
            arg(pns, 2),
            arg(pns, 3),
        );
        true
    }

    fn compile_try_except(
        &mut self,
        pn_body: &'a Node<'a>,
        pn_excepts: &'a [Node<'a>],
        pn_else: &'a Node<'a>,
    ) {
        let l1 = self.next_label();
        let success_label = self.next_label();

        self.increase_except_level(l1, BlockKind::Except);
        self.compile_node(pn_body);
        self.emit.pop_except_jump(success_label, false);

        self.emit.label_assign(l1);
        self.emit.start_except_handler();
        // The exception is on the top of the stack.

        let l2 = self.next_label();
        let n_except = pn_excepts.len();
        for (i, pn_except) in pn_excepts.iter().enumerate() {
            let Node::Rule(pns_except) = pn_except else {
                return self.malformed(pn_except);
            };
            let mut qstr_exception_local = None;
            let end_finally_label = self.next_label();

            let exc = arg(pns_except, 0);
            if exc.is_null() {
                // A catch-all handler must be last.
                if i + 1 != n_except {
                    self.syntax_error(pn_except, ErrorKind::DefaultExceptNotLast);
                    self.decrease_except_level();
                    return;
                }
            } else {
                let mut exc_expr = exc;
                if let Some(as_name) = exc.as_rule(Rule::TryStmtAsName) {
                    exc_expr = arg(as_name, 0);
                    qstr_exception_local = Some(self.id(arg(as_name, 1)));
                }
                self.emit.dup_top();
                self.compile_node(exc_expr);
                self.emit.binary_op(BinaryOp::ExceptionMatch);
                self.emit.pop_jump_if(false, end_finally_label);
            }

            match qstr_exception_local {
                None => self.emit.pop_top(),
                Some(q) => self.store_id(q),
            }

            // A handler that binds the exception runs in a try-finally that deletes it.
            let mut l3 = 0;
            if qstr_exception_local.is_some() {
                l3 = self.next_label();
                self.increase_except_level(l3, BlockKind::Finally);
            }
            self.compile_node(arg(pns_except, 1));
            if let Some(q) = qstr_exception_local {
                self.emit.load_const_tok(ConstTok::None);
                self.emit.label_assign(l3);
                self.emit.adjust_stack_size(1); // for a possible return value
                self.emit.load_const_tok(ConstTok::None);
                self.store_id(q);
                self.delete_id(q);
                self.emit.adjust_stack_size(-1);
                self.decrease_except_level();
            }

            self.emit.pop_except_jump(l2, true);
            self.emit.label_assign(end_finally_label);
            self.emit.adjust_stack_size(1); // the exception instance
        }

        self.decrease_except_level();
        self.emit.end_except_handler();

        self.emit.label_assign(success_label);
        self.compile_node(pn_else);
        self.emit.label_assign(l2);
    }

    fn compile_try_finally(
        &mut self,
        pn_body: &'a Node<'a>,
        pn_excepts: &'a [Node<'a>],
        pn_else: &'a Node<'a>,
        pn_finally: &'a Node<'a>,
    ) {
        let l_finally_block = self.next_label();
        self.increase_except_level(l_finally_block, BlockKind::Finally);

        if pn_excepts.is_empty() {
            self.emit.adjust_stack_size(3); // for a possible UNWIND_JUMP state
            self.compile_node(pn_body);
            self.emit.adjust_stack_size(-3);
        } else {
            self.compile_try_except(pn_body, pn_excepts, pn_else);
        }

        // None on the stack tells the runtime the try part finished normally.
        self.emit.load_const_tok(ConstTok::None);
        self.emit.label_assign(l_finally_block);
        self.emit.adjust_stack_size(1); // for a possible return value
        self.compile_node(pn_finally);
        self.emit.adjust_stack_size(-1);

        self.decrease_except_level();
    }

    fn compile_try_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let body = arg(pns, 0);
        let Node::Rule(pns2) = arg(pns, 1) else {
            return self.malformed(arg(pns, 1));
        };
        match pns2.rule {
            Rule::TryStmtFinally => {
                self.compile_try_finally(body, &[], &NULL_NODE, arg(pns2, 0));
            }
            Rule::TryStmtExceptAndMore => {
                let excepts = extract_list(arg(pns2, 0), Rule::TryStmtExceptList);
                let finally = arg(pns2, 2);
                match finally {
                    Node::Null => self.compile_try_except(body, excepts, arg(pns2, 1)),
                    Node::Rule(f) => {
                        self.compile_try_finally(body, excepts, arg(pns2, 1), arg(f, 0))
                    }
                    _ => self.malformed(finally),
                }
            }
            _ => {
                let excepts = extract_list(arg(pns, 1), Rule::TryStmtExceptList);
                self.compile_try_except(body, excepts, &NULL_NODE);
            }
        }
    }

    fn compile_with_stmt_helper(&mut self, nodes: &'a [Node<'a>], body: &'a Node<'a>) {
        let Some((first, rest)) = nodes.split_first() else {
            // No more pre-bits: the body.
            return self.compile_node(body);
        };
        let l_end = self.next_label();
        if let Some(item) = first.as_rule(Rule::WithItem) {
            // `a as b`
            self.compile_node(arg(item, 0));
            self.increase_except_level(l_end, BlockKind::With);
            self.c_assign(arg(item, 1), AssignKind::Store);
        } else {
            self.compile_node(first);
            self.increase_except_level(l_end, BlockKind::With);
            self.emit.pop_top();
        }
        self.compile_with_stmt_helper(rest, body);
        self.emit.with_cleanup(l_end);
        self.decrease_except_level();
    }

    fn compile_with_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let nodes = extract_list(arg(pns, 0), Rule::WithStmtList);
        self.compile_with_stmt_helper(nodes, arg(pns, 1));
    }

    fn compile_yield_from(&mut self) {
        self.emit.get_iter(false);
        self.emit.load_const_tok(ConstTok::None);
        self.emit_yield(YieldKind::From);
    }

    fn compile_await_object_method(&mut self, method: Qstr) {
        self.emit.load_method(method, false);
        self.emit.call_method(0, 0, 0);
        self.compile_yield_from();
    }

    fn compile_async_for_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let while_else_label = self.next_label();
        let try_exception_label = self.next_label();
        let try_else_label = self.next_label();
        let try_finally_label = self.next_label();

        self.compile_node(arg(pns, 1));
        self.emit.load_method(self.names.aiter, false);
        self.emit.call_method(0, 0, 0);

        let (saved, break_label, continue_label) = self.start_break_continue_block();

        self.emit.label_assign(continue_label);
        self.increase_except_level(try_exception_label, BlockKind::Except);
        self.emit.dup_top();
        self.compile_await_object_method(self.names.anext);
        self.c_assign(arg(pns, 0), AssignKind::Store);
        self.emit.pop_except_jump(try_else_label, false);

        self.emit.label_assign(try_exception_label);
        self.emit.start_except_handler();
        self.emit.dup_top();
        self.emit
            .load_global(self.names.stop_async_iteration, GlobalKind::Global);
        self.emit.binary_op(BinaryOp::ExceptionMatch);
        self.emit.pop_jump_if(false, try_finally_label);
        self.emit.pop_top();
        self.emit.pop_except_jump(while_else_label, true);

        self.emit.label_assign(try_finally_label);
        self.emit.adjust_stack_size(1); // the exception is on the stack
        self.decrease_except_level();
        self.emit.end_except_handler();

        self.emit.label_assign(try_else_label);
        self.compile_node(arg(pns, 2));
        self.emit.jump(continue_label);
        self.end_break_continue_block(saved);

        self.emit.label_assign(while_else_label);
        self.compile_node(arg(pns, 3));
        self.emit.label_assign(break_label);
        self.emit.pop_top();
    }

    fn compile_async_with_stmt_helper(&mut self, nodes: &'a [Node<'a>], body: &'a Node<'a>) {
        let Some((first, rest)) = nodes.split_first() else {
            return self.compile_node(body);
        };
        let l_finally_block = self.next_label();
        let l_aexit_no_exc = self.next_label();
        let l_ret_unwind_jump = self.next_label();
        let l_end = self.next_label();

        if let Some(item) = first.as_rule(Rule::WithItem) {
            self.compile_node(arg(item, 0));
            self.emit.dup_top();
            self.compile_await_object_method(self.names.aenter);
            self.c_assign(arg(item, 1), AssignKind::Store);
        } else {
            self.compile_node(first);
            self.emit.dup_top();
            self.compile_await_object_method(self.names.aenter);
            self.emit.pop_top();
        }

        // try-finally around the rest of the pre-bits and the body.
        self.increase_except_level(l_finally_block, BlockKind::Finally);
        self.emit.adjust_stack_size(3);
        self.compile_async_with_stmt_helper(rest, body);
        self.emit.adjust_stack_size(-3);

        // Case 1, no exception: call __aexit__.
        self.emit.async_with_setup_finally(
            l_aexit_no_exc,
            l_finally_block,
            l_ret_unwind_jump,
            self.names.base_exception,
        );

        // Case 2, an exception: call __aexit__, then swallow or re-raise it.
        self.emit.dup_top();
        self.emit.rot_three();
        self.emit.rot_two();
        self.emit.load_method(self.names.aexit, false);
        self.emit.rot_three();
        self.emit.rot_three();
        self.emit.dup_top();
        self.emit.attr(self.names.dunder_class, AccessKind::Load);
        self.emit.rot_two();
        self.emit.load_const_tok(ConstTok::None);
        self.emit.call_method(3, 0, 0);
        self.compile_yield_from();
        self.emit.pop_jump_if(false, l_end);
        self.emit.pop_top();
        self.emit.load_const_tok(ConstTok::None);
        self.emit.jump(l_end);
        self.emit.adjust_stack_size(2);

        // Case 3, return or unwind jump: call __aexit__.
        self.emit.label_assign(l_ret_unwind_jump);
        self.emit.rot_three();
        self.emit.rot_three();
        self.emit.label_assign(l_aexit_no_exc);
        self.emit.load_method(self.names.aexit, false);
        self.emit.load_const_tok(ConstTok::None);
        self.emit.dup_top();
        self.emit.dup_top();
        self.emit.call_method(3, 0, 0);
        self.compile_yield_from();
        self.emit.pop_top();
        self.emit.adjust_stack_size(-1);

        self.emit.label_assign(l_end);
        self.decrease_except_level();
    }

    fn compile_async_with_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let nodes = extract_list(arg(pns, 0), Rule::WithStmtList);
        self.compile_async_with_stmt_helper(nodes, arg(pns, 1));
    }

    fn compile_async_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let Node::Rule(pns0) = arg(pns, 0) else {
            return self.malformed(arg(pns, 0));
        };
        if pns0.rule == Rule::Funcdef {
            // async def
            self.compile_funcdef(pns0);
            if let Some(f) = self.scope_of(pns0) {
                self.scopes.get_mut(f).scope_flags |= SCOPE_FLAG_GENERATOR;
            }
        } else {
            // async for/with must be in an async function
            if self.scope_cur().scope_flags & SCOPE_FLAG_GENERATOR == 0 {
                return self.syntax_error_rule(pns0, ErrorKind::AsyncOutsideAsyncFunction);
            }
            if pns0.rule == Rule::ForStmt {
                self.compile_async_for_stmt(pns0);
            } else {
                self.compile_async_with_stmt(pns0);
            }
        }
    }

    fn compile_expr_stmt(&mut self, pns: &'a RuleNode<'a>) {
        let lhs = arg(pns, 0);
        let mut pn_rhs = arg(pns, 1);
        if pn_rhs.is_null() {
            // An expression statement: evaluate and discard, unless a lonely constant.
            let lonely_const = matches!(
                lhs,
                Node::SmallInt(_) | Node::Str(_) | Node::Token(_) | Node::Const(_)
            );
            if !lonely_const {
                self.compile_node(lhs);
                self.emit.pop_top();
            }
            return;
        }
        if let Node::Rule(pns1) = pn_rhs {
            match pns1.rule {
                Rule::Annassign => {
                    // The annotation (args[0]) is ignored.
                    let value = arg(pns1, 1);
                    if value.is_null() {
                        // `x: y` declares x a local inside a function.
                        if self.scope_cur().kind == ScopeKind::Function {
                            if let Node::Id(q) = lhs {
                                self.scope_cur_mut().find_or_add_id(*q, IdKind::Local);
                            }
                        }
                        return;
                    }
                    pn_rhs = value;
                }
                Rule::ExprStmtAugassign => {
                    self.c_assign(lhs, AssignKind::AugLoad);
                    self.compile_node(arg(pns1, 1));
                    let op = match arg(pns1, 0) {
                        Node::Token(t) => augassign_op(*t),
                        _ => None,
                    };
                    let Some(op) = op else {
                        return self.malformed(arg(pns1, 0));
                    };
                    self.emit.binary_op(op);
                    self.c_assign(lhs, AssignKind::AugStore);
                    return;
                }
                Rule::ExprStmtAssignList => {
                    let Some((rhs, middle)) = pns1.args.split_last() else {
                        return self.malformed(pn_rhs);
                    };
                    self.compile_node(rhs);
                    // Like CPython, store the leftmost first.
                    if !middle.is_empty() {
                        self.emit.dup_top();
                    }
                    self.c_assign(lhs, AssignKind::Store);
                    for (i, target) in middle.iter().enumerate() {
                        if i + 1 < middle.len() {
                            self.emit.dup_top();
                        }
                        self.c_assign(target, AssignKind::Store);
                    }
                    return;
                }
                _ => {}
            }
        }

        // plain_assign: `a, b = c, d` and `a, b, c = d, e, f` avoid building a tuple.
        if let (Some(pns0), Some(pns1)) = (
            lhs.as_rule(Rule::TestlistStarExpr),
            pn_rhs.as_rule(Rule::TestlistStarExpr),
        ) {
            let n = pns0.args.len();
            if n == pns1.args.len()
                && (n == 2 || n == 3)
                && !pns0
                    .args
                    .iter()
                    .any(|a| a.as_rule(Rule::StarExpr).is_some())
            {
                self.compile_node(&pns1.args[0]);
                self.compile_node(&pns1.args[1]);
                if n == 3 {
                    self.compile_node(&pns1.args[2]);
                    self.emit.rot_three();
                }
                self.emit.rot_two();
                self.c_assign(&pns0.args[0], AssignKind::Store);
                self.c_assign(&pns0.args[1], AssignKind::Store);
                if n == 3 {
                    self.c_assign(&pns0.args[2], AssignKind::Store);
                }
                return;
            }
        }
        self.compile_node(pn_rhs);
        self.c_assign(lhs, AssignKind::Store);
    }

    // ---------------------------------------------------------------------------------------
    // Expressions

    fn compile_test_if_expr(&mut self, pns: &'a RuleNode<'a>) {
        let Some(if_else) = arg(pns, 1).as_rule(Rule::TestIfElse) else {
            return self.malformed(arg(pns, 1));
        };
        let l_fail = self.next_label();
        let l_end = self.next_label();
        self.c_if_cond(arg(if_else, 0), false, l_fail);
        self.compile_node(arg(pns, 0));
        self.emit.jump(l_end);
        self.emit.label_assign(l_fail);
        self.emit.adjust_stack_size(-1);
        self.compile_node(arg(if_else, 1));
        self.emit.label_assign(l_end);
    }

    fn compile_lambdef(&mut self, pns: &'a RuleNode<'a>) {
        if self.pass == Pass::Scope {
            let emit = self.scope_cur().emit_options;
            self.new_scope(ScopeKind::Lambda, pns, pns, self.names.lambda, emit);
        }
        let Some(scope) = self.scope_of(pns) else {
            return;
        };
        self.compile_funcdef_lambdef(scope, arg(pns, 0), Rule::Varargslist);
    }

    fn compile_namedexpr_helper(&mut self, pn_name: &'a Node<'a>, pn_expr: &'a Node<'a>) {
        let Node::Id(target) = *pn_name else {
            return self.syntax_error(pn_name, ErrorKind::CannotAssign);
        };
        self.compile_node(pn_expr);
        self.emit.dup_top();

        // In a comprehension the target binds in the enclosing scope (PEP 572), honouring
        // its global/nonlocal declarations.
        if self.pass == Pass::Scope && self.scope_cur().kind.is_comp_like() {
            if let Some(parent) = self.scope_cur().parent {
                let pi = self.scopes.get_mut(parent).get_id_for_modification(target);
                if self.scopes.get(parent).id_info[pi].kind == IdKind::GlobalExplicit {
                    self.scope_cur_mut()
                        .find_or_add_id(target, IdKind::GlobalExplicit);
                } else {
                    let i = self
                        .scope_cur_mut()
                        .find_or_add_id(target, IdKind::Undecided);
                    // A comprehension at module level binds a global.
                    let is_global = self.scopes.get(parent).parent.is_none();
                    if !is_global && self.scope_cur().id_info[i].kind == IdKind::GlobalImplicit {
                        // Referenced before: it must now be closed over.
                        self.scope_cur_mut().id_info[i].kind = IdKind::Undecided;
                    }
                    self.compile_declare_global_or_nonlocal(pn_name, i, is_global);
                }
            }
        }
        self.store_id(target);
    }

    fn compile_namedexpr(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_namedexpr_helper(arg(pns, 0), arg(pns, 1));
    }

    fn compile_or_and_test(&mut self, pns: &'a RuleNode<'a>) {
        let cond = pns.rule == Rule::OrTest;
        let l_end = self.next_label();
        let n = pns.args.len();
        for (i, a) in pns.args.iter().enumerate() {
            self.compile_node(a);
            if i + 1 < n {
                self.emit.jump_if_or_pop(cond, l_end);
            }
        }
        self.emit.label_assign(l_end);
    }

    fn compile_not_test_2(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_node(arg(pns, 0));
        self.emit.unary_op(UnaryOp::Not);
    }

    fn compile_comparison(&mut self, pns: &'a RuleNode<'a>) {
        let num_nodes = pns.args.len();
        self.compile_node(arg(pns, 0));
        let multi = num_nodes > 3;
        let l_fail = if multi { self.next_label() } else { 0 };
        let mut i = 1;
        while i + 1 < num_nodes {
            self.compile_node(&pns.args[i + 1]);
            if i + 2 < num_nodes {
                self.emit.dup_top();
                self.emit.rot_three();
            }
            let op_node = &pns.args[i];
            let op = match op_node {
                Node::Token(Tok::KwIn) => Some(BinaryOp::In),
                Node::Token(t) => compare_op(*t),
                Node::Rule(r) if r.rule == Rule::CompOpNotIn => Some(BinaryOp::NotIn),
                Node::Rule(r) if r.rule == Rule::CompOpIs => Some(if arg(r, 0).is_null() {
                    BinaryOp::Is
                } else {
                    BinaryOp::IsNot
                }),
                _ => None,
            };
            let Some(op) = op else {
                return self.malformed(op_node);
            };
            self.emit.binary_op(op);
            if i + 2 < num_nodes {
                self.emit.jump_if_or_pop(false, l_fail);
            }
            i += 2;
        }
        if multi {
            let l_end = self.next_label();
            self.emit.jump(l_end);
            self.emit.label_assign(l_fail);
            self.emit.adjust_stack_size(1);
            self.emit.rot_two();
            self.emit.pop_top();
            self.emit.label_assign(l_end);
        }
    }

    fn compile_star_expr(&mut self, pns: &'a RuleNode<'a>) {
        self.syntax_error_rule(pns, ErrorKind::StarExprNotAssignmentTarget);
    }

    fn compile_binary_op(&mut self, pns: &'a RuleNode<'a>) {
        let op = match pns.rule {
            Rule::XorExpr => BinaryOp::Xor,
            Rule::AndExpr => BinaryOp::And,
            _ => BinaryOp::Or,
        };
        self.compile_node(arg(pns, 0));
        for a in pns.args.iter().skip(1) {
            self.compile_node(a);
            self.emit.binary_op(op);
        }
    }

    fn compile_term(&mut self, pns: &'a RuleNode<'a>) {
        let num_nodes = pns.args.len();
        self.compile_node(arg(pns, 0));
        let mut i = 1;
        while i + 1 < num_nodes {
            self.compile_node(&pns.args[i + 1]);
            let op = match &pns.args[i] {
                Node::Token(t) => term_op(*t),
                _ => None,
            };
            let Some(op) = op else {
                return self.malformed(&pns.args[i]);
            };
            self.emit.binary_op(op);
            i += 2;
        }
    }

    fn compile_factor_2(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_node(arg(pns, 1));
        let op = match arg(pns, 0) {
            Node::Token(Tok::OpTilde) => UnaryOp::Invert,
            Node::Token(Tok::OpPlus) => UnaryOp::Positive,
            Node::Token(Tok::OpMinus) => UnaryOp::Negative,
            other => return self.malformed(other),
        };
        self.emit.unary_op(op);
    }

    fn compile_atom_expr_normal(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_node(arg(pns, 0));
        // compile_atom_expr_await may pass a node without trailers.
        let t = arg(pns, 1);
        if t.is_null() {
            return;
        }
        let trail: &'a [Node<'a>] = match t {
            Node::Rule(r) if r.rule == Rule::AtomExprTrailers => r.args,
            _ => std::slice::from_ref(t),
        };
        // A buffer of our own while nested calls take theirs.
        let mut trailers = self.trailer_bufs.pop().unwrap_or_default();
        trailers.clear();
        for n in trail {
            match n {
                Node::Rule(r) => trailers.push(r),
                _ => return self.malformed(n),
            }
        }
        let num_trail = trailers.len();
        if num_trail == 0 {
            return self.malformed(t);
        }
        self.compile_trailers(pns, trail, &trailers);
        self.trailer_bufs.push(trailers);
    }

    /// The trailers of `compile_atom_expr_normal` (`trail`, each a rule node in `trailers`).
    fn compile_trailers(
        &mut self,
        pns: &'a RuleNode<'a>,
        trail: &'a [Node<'a>],
        trailers: &[&'a RuleNode<'a>],
    ) {
        let num_trail = trailers.len();
        let mut i = 0;

        // super() inside a function: load __class__ and the first argument.
        if self.scope_cur().kind == ScopeKind::Function
            && matches!(arg(pns, 0), Node::Id(q) if *q == self.names.super_)
            && trailers[0].rule == Rule::TrailerParen
            && arg(trailers[0], 0).is_null()
        {
            self.load_id(self.names.dunder_class);
            let first_param = self
                .scope_cur()
                .id_info
                .iter()
                .find(|id| id.flags & ID_FLAG_IS_PARAM != 0)
                .map(|id| id.qst);
            let Some(first_param) = first_param else {
                return self.syntax_error_rule(trailers[0], ErrorKind::SuperCannotFindSelf);
            };
            self.load_id(first_param);
            if num_trail >= 3
                && trailers[1].rule == Rule::TrailerPeriod
                && trailers[2].rule == Rule::TrailerParen
            {
                // super().f(...) without allocating a super object.
                let q = self.id(arg(trailers[1], 0));
                self.emit.load_method(q, true);
                self.compile_trailer_paren_helper(arg(trailers[2], 0), true, 0);
                i = 3;
            } else {
                self.emit.call_function(2, 0, 0);
                i = 1;
            }
        }

        while i < num_trail {
            if i + 1 < num_trail
                && trailers[i].rule == Rule::TrailerPeriod
                && trailers[i + 1].rule == Rule::TrailerParen
            {
                // a.f(...) as a method call.
                let q = self.id(arg(trailers[i], 0));
                self.emit.load_method(q, false);
                self.compile_trailer_paren_helper(arg(trailers[i + 1], 0), true, 0);
                i += 1;
            } else {
                self.compile_node(&trail[i]);
            }
            i += 1;
        }
    }

    fn compile_power(&mut self, pns: &'a RuleNode<'a>) {
        self.compile_generic_all_nodes(pns);
        self.emit.binary_op(BinaryOp::Power);
    }

    fn compile_trailer_paren_helper(
        &mut self,
        pn_arglist: &'a Node<'a>,
        is_method_call: bool,
        n_positional_extra: u64,
    ) {
        let args = extract_list(pn_arglist, Rule::Arglist);
        let mut n_positional = n_positional_extra;
        let mut n_keyword: u64 = 0;
        let mut star_flags = 0;
        let mut star_args: u64 = 0;
        for (i, a) in args.iter().enumerate() {
            let mut normal = true;
            if let Node::Rule(pns_arg) = a {
                match pns_arg.rule {
                    Rule::ArglistStar => {
                        normal = false;
                        if star_flags & STAR_FLAG_DOUBLE != 0 {
                            return self
                                .syntax_error_rule(pns_arg, ErrorKind::StarArgAfterDoubleStar);
                        }
                        if n_keyword != 0 {
                            // *arg after a keyword argument is not supported by MicroPython.
                            return self.syntax_error_rule(pns_arg, ErrorKind::StarArgAfterKwarg);
                        }
                        // The star-args bitmap must fit a small int.
                        if i >= (self.settings.small_int_bits as usize).wrapping_sub(1) {
                            return self.syntax_error_rule(pns_arg, ErrorKind::TooManyArgs);
                        }
                        star_flags |= STAR_FLAG_SINGLE;
                        // (x86 masks the shift count, as `wrapping_shl` does.)
                        star_args |= 1u64.wrapping_shl(i as u32);
                        self.compile_node(arg(pns_arg, 0));
                        n_positional += 1;
                    }
                    Rule::ArglistDblStar => {
                        normal = false;
                        star_flags |= STAR_FLAG_DOUBLE;
                        // **kwargs is a keyword argument with a null key.
                        self.emit.load_null();
                        self.compile_node(arg(pns_arg, 0));
                        n_keyword += 1;
                    }
                    Rule::Argument => {
                        normal = false;
                        let a1 = arg(pns_arg, 1);
                        if let Some(a3) = a1.as_rule(Rule::Argument3) {
                            self.compile_namedexpr_helper(arg(pns_arg, 0), arg(a3, 0));
                            n_positional += 1;
                        } else if a1.as_rule(Rule::CompFor).is_none() {
                            let Node::Id(kw) = arg(pns_arg, 0) else {
                                return self
                                    .syntax_error_rule(pns_arg, ErrorKind::KeywordArgLhsNotId);
                            };
                            self.emit.load_const_str(*kw);
                            self.compile_node(a1);
                            n_keyword += 1;
                        } else {
                            self.compile_comprehension(pns_arg, ScopeKind::GenExpr);
                            n_positional += 1;
                        }
                    }
                    _ => {}
                }
            }
            if normal {
                if star_flags & STAR_FLAG_DOUBLE != 0 {
                    return self.syntax_error(a, ErrorKind::PositionalAfterDoubleStar);
                }
                if n_keyword > 0 {
                    return self.syntax_error(a, ErrorKind::PositionalAfterKeyword);
                }
                self.compile_node(a);
                n_positional += 1;
            }
        }

        if star_flags != 0 {
            // The bitmap of which positional arguments are *args.
            self.emit.load_const_small_int(star_args as i64);
        }
        if is_method_call {
            self.emit.call_method(n_positional, n_keyword, star_flags);
        } else {
            self.emit.call_function(n_positional, n_keyword, star_flags);
        }
    }

    /// `compile_comprehension`: `pns` has the element expression and a comp_for node.
    fn compile_comprehension(&mut self, pns: &'a RuleNode<'a>, kind: ScopeKind) {
        let Node::Rule(pns_comp_for) = arg(pns, 1) else {
            return self.malformed(arg(pns, 1));
        };
        if self.pass == Pass::Scope {
            let name = match kind {
                ScopeKind::ListComp => self.names.listcomp,
                ScopeKind::DictComp => self.names.dictcomp,
                ScopeKind::SetComp => self.names.setcomp,
                _ => self.names.genexpr,
            };
            let emit = self.scope_cur().emit_options;
            self.new_scope(kind, pns, pns_comp_for, name, emit);
        }
        let Some(this_scope) = self.scope_of(pns_comp_for) else {
            return;
        };
        self.close_over_variables_etc(this_scope, 0, 0);
        self.compile_node(arg(pns_comp_for, 1)); // the iterable
        if kind == ScopeKind::GenExpr {
            self.emit.get_iter(false);
        }
        self.emit.call_function(1, 0, 0);
    }

    fn compile_atom_paren(&mut self, pns: &'a RuleNode<'a>) {
        match arg(pns, 0) {
            Node::Null => self.emit.build(0, BuildKind::Tuple),
            Node::Rule(tc) if has_comp_for(tc) => {
                self.compile_comprehension(tc, ScopeKind::GenExpr)
            }
            Node::Rule(tc) => self.compile_generic_tuple(tc),
            other => self.malformed(other),
        }
    }

    fn compile_atom_bracket(&mut self, pns: &'a RuleNode<'a>) {
        let a0 = arg(pns, 0);
        if a0.is_null() {
            self.emit.build(0, BuildKind::List);
        } else if let Some(tc) = a0.as_rule(Rule::TestlistComp) {
            if has_comp_for(tc) {
                self.compile_comprehension(tc, ScopeKind::ListComp);
            } else {
                self.compile_generic_all_nodes(tc);
                self.emit.build(tc.args.len() as u64, BuildKind::List);
            }
        } else {
            self.compile_node(a0);
            self.emit.build(1, BuildKind::List);
        }
    }

    fn compile_atom_brace_helper(&mut self, pns: &'a RuleNode<'a>, create_map: bool) {
        let pn = arg(pns, 0);
        match pn {
            Node::Null => {
                if create_map {
                    self.emit.build(0, BuildKind::Map);
                }
            }
            Node::Rule(inner) if inner.rule == Rule::DictorsetmakerItem => {
                // A dict with one element.
                if create_map {
                    self.emit.build(1, BuildKind::Map);
                }
                self.compile_node(pn);
                self.emit.store_map();
            }
            Node::Rule(inner) if inner.rule == Rule::Dictorsetmaker => {
                let Node::Rule(pns1) = arg(inner, 1) else {
                    return self.malformed(arg(inner, 1));
                };
                let first = arg(inner, 0);
                let first_is_kv = first.as_rule(Rule::DictorsetmakerItem).is_some();
                if pns1.rule == Rule::DictorsetmakerList {
                    // Several elements; the first says whether it is a dict or a set.
                    let nodes = extract_list(arg(pns1, 0), Rule::DictorsetmakerList2);
                    let is_dict = first_is_kv;
                    if is_dict {
                        if create_map {
                            self.emit.build(1 + nodes.len() as u64, BuildKind::Map);
                        }
                        self.compile_node(first);
                        self.emit.store_map();
                    } else {
                        self.compile_node(first);
                    }
                    for n in nodes {
                        let is_key_value = n.as_rule(Rule::DictorsetmakerItem).is_some();
                        self.compile_node(n);
                        if is_dict {
                            if !is_key_value {
                                return self
                                    .syntax_error_rule(inner, ErrorKind::ExpectingKeyValueForDict);
                            }
                            self.emit.store_map();
                        } else if is_key_value {
                            return self
                                .syntax_error_rule(inner, ErrorKind::ExpectingJustValueForSet);
                        }
                    }
                    if !is_dict {
                        self.emit.build(1 + nodes.len() as u64, BuildKind::Set);
                    }
                } else if first_is_kv {
                    self.compile_comprehension(inner, ScopeKind::DictComp);
                } else {
                    self.compile_comprehension(inner, ScopeKind::SetComp);
                }
            }
            _ => {
                // A set with one element.
                self.compile_node(pn);
                self.emit.build(1, BuildKind::Set);
            }
        }
    }

    fn compile_subscript(&mut self, pns: &'a RuleNode<'a>) {
        let mut pns = pns;
        if pns.rule == Rule::Subscript2 {
            self.compile_node(arg(pns, 0)); // start of the slice
            match arg(pns, 1) {
                Node::Rule(r) => pns = r,
                other => return self.malformed(other),
            }
        } else {
            self.emit.load_const_tok(ConstTok::None);
        }
        // pns is a subscript_3
        let pn = arg(pns, 0);
        match pn {
            Node::Null => {
                // [?:]
                self.emit.load_const_tok(ConstTok::None);
                self.emit.build(2, BuildKind::Slice);
            }
            Node::Rule(r) if r.rule == Rule::Subscript3c => {
                self.emit.load_const_tok(ConstTok::None);
                let step = arg(r, 0);
                if step.is_null() {
                    // [?::]
                    self.emit.build(2, BuildKind::Slice);
                } else {
                    // [?::x]
                    self.compile_node(step);
                    self.emit.build(3, BuildKind::Slice);
                }
            }
            Node::Rule(r) if r.rule == Rule::Subscript3d => {
                self.compile_node(arg(r, 0));
                let Some(sliceop) = arg(r, 1).as_rule(Rule::Sliceop) else {
                    return self.malformed(arg(r, 1));
                };
                let step = arg(sliceop, 0);
                if step.is_null() {
                    // [?:x:]
                    self.emit.build(2, BuildKind::Slice);
                } else {
                    // [?:x:x]
                    self.compile_node(step);
                    self.emit.build(3, BuildKind::Slice);
                }
            }
            _ => {
                // [?:x]
                self.compile_node(pn);
                self.emit.build(2, BuildKind::Slice);
            }
        }
    }

    fn compile_dictorsetmaker_item(&mut self, pns: &'a RuleNode<'a>) {
        // A dict key:value pair: value first.
        self.compile_node(arg(pns, 1));
        self.compile_node(arg(pns, 0));
    }

    fn compile_classdef(&mut self, pns: &'a RuleNode<'a>) {
        let emit = self.scope_cur().emit_options;
        let cname = self.compile_classdef_helper(pns, emit);
        self.store_id(cname);
    }

    fn compile_yield_expr(&mut self, pns: &'a RuleNode<'a>) {
        let kind = self.scope_cur().kind;
        if kind != ScopeKind::Function && kind != ScopeKind::Lambda {
            return self.syntax_error_rule(pns, ErrorKind::YieldOutsideFunction);
        }
        let a0 = arg(pns, 0);
        if a0.is_null() {
            self.emit.load_const_tok(ConstTok::None);
            self.emit_yield(YieldKind::Value);
        } else if let Some(from) = a0.as_rule(Rule::YieldArgFrom) {
            self.compile_node(arg(from, 0));
            self.compile_yield_from();
        } else {
            self.compile_node(a0);
            self.emit_yield(YieldKind::Value);
        }
    }

    fn compile_atom_expr_await(&mut self, pns: &'a RuleNode<'a>) {
        let kind = self.scope_cur().kind;
        if kind != ScopeKind::Function && kind != ScopeKind::Lambda {
            return self.syntax_error_rule(pns, ErrorKind::AwaitOutsideFunction);
        }
        self.compile_atom_expr_normal(pns);
        self.compile_yield_from();
    }

    /// `compile_node`.
    fn compile_node(&mut self, pn: &'a Node<'a>) {
        match pn {
            Node::Null => {}
            Node::SmallInt(v) => self.emit.load_const_small_int(*v),
            Node::Id(q) => self.load_id(*q),
            Node::Str(q) => self.emit.load_const_str(*q),
            // A NEWLINE can be let through by file_input.
            Node::Token(Tok::Newline) => {}
            Node::Token(t) => self.load_const_tok(pn, *t),
            Node::Const(c) => match self.constant(*c) {
                Some(k) => {
                    self.emit.set_source_line(k.line);
                    self.emit.load_const_value(c.0 as usize, &k.value);
                }
                None => self.malformed(pn),
            },
            Node::Rule(r) => {
                self.emit.set_source_line(r.line);
                self.compile_rule(r, pn);
            }
        }
    }

    /// The `compile_function` table: dispatch on the rule.
    fn compile_rule(&mut self, r: &'a RuleNode<'a>, pn: &'a Node<'a>) {
        match r.rule {
            Rule::FileInput
            | Rule::FileInput2
            | Rule::SimpleStmt2
            | Rule::PassStmt
            | Rule::SuiteBlockStmts => self.compile_generic_all_nodes(r),
            Rule::Decorated => self.compile_decorated(r),
            Rule::Funcdef => self.compile_funcdef(r),
            Rule::ExprStmt => self.compile_expr_stmt(r),
            Rule::TestlistStarExpr | Rule::Subscriptlist | Rule::Testlist => {
                self.compile_generic_tuple(r)
            }
            Rule::DelStmt => self.compile_del_stmt(r),
            Rule::BreakStmt | Rule::ContinueStmt => self.compile_break_cont_stmt(r),
            Rule::ReturnStmt => self.compile_return_stmt(r),
            Rule::YieldStmt => self.compile_yield_stmt(r),
            Rule::RaiseStmt => self.compile_raise_stmt(r),
            Rule::ImportName => self.compile_import_name(r),
            Rule::ImportFrom => self.compile_import_from(r),
            Rule::GlobalStmt | Rule::NonlocalStmt => self.compile_global_nonlocal_stmt(r, pn),
            Rule::AssertStmt => self.compile_assert_stmt(r),
            Rule::AsyncStmt => self.compile_async_stmt(r),
            Rule::IfStmt => self.compile_if_stmt(r),
            Rule::WhileStmt => self.compile_while_stmt(r),
            Rule::ForStmt => self.compile_for_stmt(r),
            Rule::TryStmt => self.compile_try_stmt(r),
            Rule::WithStmt => self.compile_with_stmt(r),
            Rule::NamedexprTest => self.compile_namedexpr(r),
            Rule::TestIfExpr => self.compile_test_if_expr(r),
            Rule::Lambdef | Rule::LambdefNocond => self.compile_lambdef(r),
            Rule::OrTest | Rule::AndTest => self.compile_or_and_test(r),
            Rule::NotTest2 => self.compile_not_test_2(r),
            Rule::Comparison => self.compile_comparison(r),
            Rule::StarExpr => self.compile_star_expr(r),
            Rule::Expr | Rule::XorExpr | Rule::AndExpr => self.compile_binary_op(r),
            Rule::ShiftExpr | Rule::ArithExpr | Rule::Term => self.compile_term(r),
            Rule::Factor2 => self.compile_factor_2(r),
            Rule::Power => self.compile_power(r),
            Rule::AtomExprAwait => self.compile_atom_expr_await(r),
            Rule::AtomExprNormal => self.compile_atom_expr_normal(r),
            Rule::AtomParen => self.compile_atom_paren(r),
            Rule::AtomBracket => self.compile_atom_bracket(r),
            Rule::AtomBrace => self.compile_atom_brace_helper(r, true),
            Rule::TrailerParen => self.compile_trailer_paren_helper(arg(r, 0), false, 0),
            Rule::TrailerBracket => {
                self.compile_node(arg(r, 0));
                self.emit.subscr(AccessKind::Load);
            }
            Rule::TrailerPeriod => {
                let q = self.id(arg(r, 0));
                self.emit.attr(q, AccessKind::Load);
            }
            Rule::Subscript2 | Rule::Subscript3 => self.compile_subscript(r),
            Rule::DictorsetmakerItem => self.compile_dictorsetmaker_item(r),
            Rule::Classdef => self.compile_classdef(r),
            Rule::YieldExpr => self.compile_yield_expr(r),
            _ => self.malformed(pn),
        }
    }

    // ---------------------------------------------------------------------------------------
    // Scopes

    fn compile_scope_func_lambda_param(&mut self, pn: &'a Node<'a>, name: Rule, star: Rule) {
        // **kwargs must be last.
        if self.scope_cur().scope_flags & SCOPE_FLAG_VARKEYWORDS != 0 {
            return self.syntax_error(pn, ErrorKind::InvalidSyntax);
        }
        let mut param_name = None;
        let mut param_flag = ID_FLAG_IS_PARAM;
        let count_param = |c: &mut Self| {
            let have_star = c.have_star;
            let s = c.scope_cur_mut();
            if have_star {
                s.num_kwonly_args += 1;
            } else {
                s.num_pos_args += 1;
            }
        };
        match pn {
            Node::Id(q) => {
                param_name = Some(*q);
                count_param(self);
            }
            Node::Rule(pns) if pns.rule == name => {
                param_name = Some(self.id(arg(pns, 0)));
                count_param(self);
            }
            Node::Rule(pns) if pns.rule == star => {
                if self.have_star {
                    // More than one star.
                    return self.syntax_error(pn, ErrorKind::InvalidSyntax);
                }
                self.have_star = true;
                param_flag = ID_FLAG_IS_PARAM | ID_FLAG_IS_STAR_PARAM;
                match arg(pns, 0) {
                    Node::Null => {} // bare star
                    Node::Id(q) => {
                        self.scope_cur_mut().scope_flags |= SCOPE_FLAG_VARARGS;
                        param_name = Some(*q);
                    }
                    Node::Rule(tfpdef) => {
                        // Named star with an annotation.
                        self.scope_cur_mut().scope_flags |= SCOPE_FLAG_VARARGS;
                        param_name = Some(self.id(arg(tfpdef, 0)));
                    }
                    other => return self.malformed(other),
                }
            }
            Node::Rule(pns) => {
                // Double star, possibly annotated.
                param_name = Some(self.id(arg(pns, 0)));
                param_flag = ID_FLAG_IS_PARAM | ID_FLAG_IS_DBL_STAR_PARAM;
                self.scope_cur_mut().scope_flags |= SCOPE_FLAG_VARKEYWORDS;
            }
            _ => return self.malformed(pn),
        }

        if let Some(q) = param_name {
            let i = self.scope_cur_mut().find_or_add_id(q, IdKind::Undecided);
            if self.scope_cur().id_info[i].kind != IdKind::Undecided {
                return self.syntax_error(pn, ErrorKind::ArgumentNameReused);
            }
            let id = &mut self.scope_cur_mut().id_info[i];
            id.kind = IdKind::Local;
            id.flags = param_flag;
        }
    }

    fn compile_scope_func_param(&mut self, pn: &'a Node<'a>) {
        self.compile_scope_func_lambda_param(pn, Rule::TypedargslistName, Rule::TypedargslistStar);
    }

    fn compile_scope_lambda_param(&mut self, pn: &'a Node<'a>) {
        self.compile_scope_func_lambda_param(pn, Rule::VarargslistName, Rule::VarargslistStar);
    }

    fn compile_scope_comp_iter(
        &mut self,
        pns_comp_for: &'a RuleNode<'a>,
        pn_inner_expr: &'a Node<'a>,
        for_depth: u64,
    ) {
        let l_top = self.next_label();
        let l_end = self.next_label();
        self.emit.label_assign(l_top);
        self.emit.for_iter(l_end);
        self.c_assign(arg(pns_comp_for, 0), AssignKind::Store);
        let mut pn_iter = arg(pns_comp_for, 2);
        loop {
            match pn_iter {
                Node::Null => {
                    // No more nested if/for: the element expression.
                    self.compile_node(pn_inner_expr);
                    let kind = self.scope_cur().kind;
                    if kind == ScopeKind::GenExpr {
                        self.emit_yield(YieldKind::Value);
                        self.emit.pop_top();
                    } else {
                        self.emit.store_comp(kind, 4 * for_depth + 5);
                    }
                    break;
                }
                Node::Rule(r) if r.rule == Rule::CompIf => {
                    self.c_if_cond(arg(r, 0), false, l_top);
                    pn_iter = arg(r, 1);
                }
                Node::Rule(r) => {
                    // A nested for.
                    self.compile_node(arg(r, 1));
                    self.emit.get_iter(true);
                    self.compile_scope_comp_iter(r, pn_inner_expr, for_depth + 1);
                    break;
                }
                other => {
                    self.malformed(other);
                    break;
                }
            }
        }
        self.emit.jump(l_top);
        self.emit.label_assign(l_end);
        self.emit.for_iter_end();
    }

    /// `compile_scope`: one pass over one scope.
    fn compile_scope(&mut self, scope_id: ScopeId, pass: Pass) -> PassEnd {
        self.pass = pass;
        self.cur = scope_id;
        self.next_label = 0;
        self.emit.common.start_pass();
        self.emit.start_pass(pass, self.scopes.get(scope_id));

        if pass == Pass::Scope {
            // The maximum sizes are computed from this pass on.
            let s = self.scope_cur_mut();
            s.stack_size = 0;
            s.exc_stack_size = 0;
            self.emit.scope_stack_size = 0;
        }

        let scope = self.scopes.get(scope_id);
        let kind = scope.kind;
        match (kind, scope.pn) {
            (ScopeKind::Module, ScopeNode::Root(root)) => {
                self.compile_node(root);
                self.emit.load_const_tok(ConstTok::None);
                self.emit.return_value();
            }
            (ScopeKind::Function, ScopeNode::Rule(pns)) => {
                // Parameters first, so that they are numbered first.
                if pass == Pass::Scope {
                    self.have_star = false;
                    self.apply_to_single_or_list(
                        arg(pns, 1),
                        Rule::Typedargslist,
                        Self::compile_scope_func_param,
                    );
                }
                self.compile_node(arg(pns, 3));
                self.emit.load_const_tok(ConstTok::None);
                self.emit.return_value();
            }
            (ScopeKind::Lambda, ScopeNode::Rule(pns)) => {
                self.emit.set_source_line(pns.line);
                if pass == Pass::Scope {
                    self.have_star = false;
                    self.apply_to_single_or_list(
                        arg(pns, 0),
                        Rule::Varargslist,
                        Self::compile_scope_lambda_param,
                    );
                }
                self.compile_node(arg(pns, 1));
                // A generator lambda returns None, not its expression.
                if self.scope_cur().scope_flags & SCOPE_FLAG_GENERATOR != 0 {
                    self.emit.pop_top();
                    self.emit.load_const_tok(ConstTok::None);
                }
                self.emit.return_value();
            }
            (k, ScopeNode::Rule(pns)) if k.is_comp_like() => {
                let Node::Rule(pns_comp_for) = arg(pns, 1) else {
                    self.malformed(arg(pns, 1));
                    return self.end_scope_pass(scope_id);
                };
                // The iterator argument is named by the empty qstr.
                let qstr_arg = self.names.empty;
                if pass == Pass::Scope {
                    let s = self.scope_cur_mut();
                    s.find_or_add_id(qstr_arg, IdKind::Local);
                    s.num_pos_args = 1;
                }
                self.emit.set_source_line(pns.line);
                match k {
                    ScopeKind::ListComp => self.emit.build(0, BuildKind::List),
                    ScopeKind::DictComp => self.emit.build(0, BuildKind::Map),
                    ScopeKind::SetComp => self.emit.build(0, BuildKind::Set),
                    _ => {}
                }
                // Four stack slots for the iterator; a null first says the second one holds
                // the iterator object.
                if k == ScopeKind::GenExpr {
                    self.emit.load_null();
                    self.load_id(qstr_arg);
                    self.emit.load_null();
                    self.emit.load_null();
                } else {
                    self.load_id(qstr_arg);
                    self.emit.get_iter(true);
                }
                self.compile_scope_comp_iter(pns_comp_for, arg(pns, 0), 0);
                if k == ScopeKind::GenExpr {
                    self.emit.load_const_tok(ConstTok::None);
                }
                self.emit.return_value();
            }
            (ScopeKind::Class, ScopeNode::Rule(pns)) => {
                let dunder_class = self.names.dunder_class;
                if pass == Pass::Scope {
                    self.scope_cur_mut()
                        .find_or_add_id(dunder_class, IdKind::Local);
                }
                self.load_id(self.names.dunder_name);
                self.store_id(self.names.dunder_module);
                let name = self.id(arg(pns, 0));
                self.emit.load_const_str(name);
                self.store_id(self.names.dunder_qualname);
                self.compile_node(arg(pns, 2));
                let id = self
                    .scope_cur()
                    .find(dunder_class)
                    .map(|i| self.scope_cur().id_info[i]);
                match id {
                    Some(id) if id.kind != IdKind::Local => {
                        self.emit.load_local(id.local_num, LocalKind::Fast)
                    }
                    _ => self.emit.load_const_tok(ConstTok::None),
                }
                self.emit.return_value();
            }
            (_, pn) => {
                if let ScopeNode::Root(n) = pn {
                    self.malformed(n);
                } else {
                    self.error.get_or_insert(ErrorKind::MalformedTree);
                }
            }
        }
        self.end_scope_pass(scope_id)
    }

    fn end_scope_pass(&mut self, scope_id: ScopeId) -> PassEnd {
        let end = self.emit.end_pass(self.scopes.get(scope_id));
        let scope = self.scopes.get_mut(scope_id);
        scope.stack_size = self.emit.scope_stack_size;
        if self.pass == Pass::Emit && end == PassEnd::Done {
            if let Some(fun_data) = self.emit.take_fun_data() {
                scope.raw_code = Some(crate::scope::RawCode {
                    fun_data,
                    children: self.emit.common.children.clone(),
                });
            }
        }
        end
    }
}

// -------------------------------------------------------------------------------------------
// Parse-node helpers (`py/parse.c`)

/// `pns->nodes[i]`, or a null node past the end.
fn arg<'a>(r: &'a RuleNode<'a>, i: usize) -> &'a Node<'a> {
    r.args.get(i).unwrap_or(&NULL_NODE)
}

/// `mp_parse_node_extract_list`: the children of a `kind` node, or the node itself.
fn extract_list<'a>(pn: &'a Node<'a>, kind: Rule) -> &'a [Node<'a>] {
    match pn {
        Node::Null => &[],
        Node::Rule(r) if r.rule == kind => r.args,
        _ => std::slice::from_ref(pn),
    }
}

/// `MP_PARSE_NODE_TESTLIST_COMP_HAS_COMP_FOR`.
fn has_comp_for(pns: &RuleNode) -> bool {
    pns.args.len() == 2 && pns.args[1].as_rule(Rule::CompFor).is_some()
}

/// The in-place operator of an augmented-assignment token.
fn augassign_op(t: Tok) -> Option<BinaryOp> {
    Some(match t {
        Tok::DelPipeEqual => BinaryOp::InplaceOr,
        Tok::DelCaretEqual => BinaryOp::InplaceXor,
        Tok::DelAmpersandEqual => BinaryOp::InplaceAnd,
        Tok::DelDblLessEqual => BinaryOp::InplaceLshift,
        Tok::DelDblMoreEqual => BinaryOp::InplaceRshift,
        Tok::DelPlusEqual => BinaryOp::InplaceAdd,
        Tok::DelMinusEqual => BinaryOp::InplaceSubtract,
        Tok::DelStarEqual => BinaryOp::InplaceMultiply,
        Tok::DelAtEqual => BinaryOp::InplaceMatMultiply,
        Tok::DelDblSlashEqual => BinaryOp::InplaceFloorDivide,
        Tok::DelSlashEqual => BinaryOp::InplaceTrueDivide,
        Tok::DelPercentEqual => BinaryOp::InplaceModulo,
        Tok::DelDblStarEqual => BinaryOp::InplacePower,
        _ => return None,
    })
}

/// The comparison operator of a comparison token.
fn compare_op(t: Tok) -> Option<BinaryOp> {
    Some(match t {
        Tok::OpLess => BinaryOp::Less,
        Tok::OpMore => BinaryOp::More,
        Tok::OpDblEqual => BinaryOp::Equal,
        Tok::OpLessEqual => BinaryOp::LessEqual,
        Tok::OpMoreEqual => BinaryOp::MoreEqual,
        Tok::OpNotEqual => BinaryOp::NotEqual,
        _ => return None,
    })
}

/// The binary operator of a shift/arith/term token.
fn term_op(t: Tok) -> Option<BinaryOp> {
    Some(match t {
        Tok::OpDblLess => BinaryOp::Lshift,
        Tok::OpDblMore => BinaryOp::Rshift,
        Tok::OpPlus => BinaryOp::Add,
        Tok::OpMinus => BinaryOp::Subtract,
        Tok::OpStar => BinaryOp::Multiply,
        Tok::OpAt => BinaryOp::MatMultiply,
        Tok::OpDblSlash => BinaryOp::FloorDivide,
        Tok::OpSlash => BinaryOp::TrueDivide,
        Tok::OpPercent => BinaryOp::Modulo,
        _ => return None,
    })
}
