//! Scopes and identifier bookkeeping (MicroPython `py/scope.c`, `py/scope.h`).
//!
//! A [`Scope`] is a "block" in Python's sense: the module, a class body, a function, a lambda
//! or a comprehension. Scopes live in one arena ([`Scopes`]) in creation order, which is also
//! the order MicroPython links them (`scope_new_and_link` appends to a list) and therefore the
//! order in which they are compiled. Where MicroPython follows `parent` pointers we follow
//! [`ScopeId`]s.
//!
//! Also here: `scope_compute_things` from `py/compile.c` (local numbering once the SCOPE pass
//! has decided every identifier's kind), since it is pure scope logic.

use rustc_hash::FxHashMap as HashMap;
use upyc_syntax::qstr::Qstr;
use upyc_syntax::tree::{ConstNode, Node, RuleNode};

/// Index of a scope in [`Scopes`].
pub type ScopeId = usize;

/// What kind of block a scope is (`scope_kind_t`; the order matters for the `is_*` tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeKind {
    Module,
    Class,
    Lambda,
    ListComp,
    DictComp,
    SetComp,
    GenExpr,
    Function,
}

impl ScopeKind {
    /// `SCOPE_IS_FUNC_LIKE`: lambdas, comprehensions and functions have fast locals.
    pub fn is_func_like(self) -> bool {
        self >= ScopeKind::Lambda
    }

    /// `SCOPE_IS_COMP_LIKE`.
    pub fn is_comp_like(self) -> bool {
        (ScopeKind::ListComp..=ScopeKind::GenExpr).contains(&self)
    }
}

/// How an identifier is bound in a scope (`id_info_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Undecided,
    GlobalImplicit,
    GlobalImplicitAssigned,
    GlobalExplicit,
    /// In a function, written and only referenced by it.
    Local,
    /// In a function, read or written by nested functions.
    Cell,
    /// In a function, belongs to an enclosing function.
    Free,
}

/// `ID_FLAG_IS_PARAM`.
pub const ID_FLAG_IS_PARAM: u8 = 0x01;
/// `ID_FLAG_IS_STAR_PARAM`.
pub const ID_FLAG_IS_STAR_PARAM: u8 = 0x02;
/// `ID_FLAG_IS_DBL_STAR_PARAM`.
pub const ID_FLAG_IS_DBL_STAR_PARAM: u8 = 0x04;

/// Scope flags (`MP_SCOPE_FLAG_*` in `py/runtime0.h`); the low four are stored in the prelude.
pub const SCOPE_FLAG_ALL_SIG: u16 = 0x0f;
pub const SCOPE_FLAG_GENERATOR: u16 = 0x01;
pub const SCOPE_FLAG_VARKEYWORDS: u16 = 0x02;
pub const SCOPE_FLAG_VARARGS: u16 = 0x04;
pub const SCOPE_FLAG_DEFKWARGS: u16 = 0x08;
/// Set when a scope makes functions (only meaningful to native emitters).
pub const SCOPE_FLAG_REFGLOBALS: u16 = 0x10;
/// Set when a scope makes functions (only meaningful to native emitters).
pub const SCOPE_FLAG_HASCONSTS: u16 = 0x20;

/// One identifier of a scope (`id_info_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdInfo {
    pub kind: IdKind,
    pub flags: u8,
    /// Local slot number for locals, cell or free variable number for cells and frees.
    pub local_num: u16,
    pub qst: Qstr,
}

/// How a scope's code is to be emitted (`MP_EMIT_OPT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitOpt {
    /// No preference (mpy-cross's default): bytecode.
    None,
    Bytecode,
    NativePython,
    Viper,
    Asm,
}

/// The bytecode of one compiled scope (the part of `mp_raw_code_t` a `.mpy` stores).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawCode {
    /// Prelude, code info, closure section and bytecode.
    pub fun_data: Vec<u8>,
    /// The scopes whose functions this code makes, in child-index order.
    pub children: Vec<ScopeId>,
}

/// The parse node a scope was made from (`scope->pn`).
#[derive(Clone, Copy, Debug)]
pub enum ScopeNode<'a> {
    /// The module: the whole tree.
    Root(&'a Node<'a>),
    /// A funcdef, classdef, lambdef, or the two-node rule holding a comprehension.
    Rule(&'a RuleNode<'a>),
}

impl ScopeNode<'_> {
    /// The source line of the node, if it is a rule or a constant (MicroPython's "struct"
    /// nodes); `consts` is the tree's constant table.
    pub fn line(&self, consts: &[ConstNode]) -> Option<u32> {
        match self {
            ScopeNode::Root(Node::Rule(r)) => Some(r.line),
            ScopeNode::Rule(r) => Some(r.line),
            ScopeNode::Root(Node::Const(c)) => consts.get(c.0 as usize).map(|c| c.line),
            ScopeNode::Root(_) => None,
        }
    }
}

/// Scopes with at least this many identifiers look them up through an index; smaller ones
/// (most functions) are scanned, which is as fast for a few entries.
const ID_INDEX_MIN: usize = 24;

/// A block of code (`scope_t`).
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    /// The parse node the scope was made from.
    pub pn: ScopeNode<'a>,
    pub simple_name: Qstr,
    pub scope_flags: u16,
    pub emit_options: EmitOpt,
    pub num_pos_args: u16,
    pub num_kwonly_args: u16,
    pub num_def_pos_args: u16,
    pub num_locals: u16,
    /// Maximum size of the value stack.
    pub stack_size: u16,
    /// Maximum depth of the exception stack.
    pub exc_stack_size: u16,
    /// The identifiers, in MicroPython's order. Only [`Scope::find_or_add_id`] adds to it
    /// and only [`Scope::compute_things`] reorders it, as both keep `id_index` in step.
    pub id_info: Vec<IdInfo>,
    /// Once the scope has [`ID_INDEX_MIN`] identifiers: each one's index in `id_info`, so
    /// that lookups in large scopes (a module's globals) need no scan.
    id_index: HashMap<Qstr, u32>,
    /// Set by the final emit pass.
    pub raw_code: Option<RawCode>,
}

impl<'a> Scope<'a> {
    pub fn new(
        kind: ScopeKind,
        pn: ScopeNode<'a>,
        simple_name: Qstr,
        emit_options: EmitOpt,
    ) -> Self {
        Scope {
            kind,
            parent: None,
            pn,
            simple_name,
            scope_flags: 0,
            emit_options,
            num_pos_args: 0,
            num_kwonly_args: 0,
            num_def_pos_args: 0,
            num_locals: 0,
            stack_size: 0,
            exc_stack_size: 0,
            id_info: Vec::new(),
            id_index: HashMap::default(),
            raw_code: None,
        }
    }

    /// Index of the identifier `qst` in this scope (`scope_find`).
    pub fn find(&self, qst: Qstr) -> Option<usize> {
        if self.id_info.len() >= ID_INDEX_MIN {
            return self.id_index.get(&qst).map(|&i| i as usize);
        }
        self.id_info.iter().position(|id| id.qst == qst)
    }

    /// Index of `qst`, adding it with `kind` if absent (`scope_find_or_add_id`). New
    /// identifiers go to the end: parameters are added first, so they are numbered first.
    pub fn find_or_add_id(&mut self, qst: Qstr, kind: IdKind) -> usize {
        if let Some(i) = self.find(qst) {
            return i;
        }
        self.id_info.push(IdInfo {
            kind,
            flags: 0,
            local_num: 0,
            qst,
        });
        let n = self.id_info.len();
        if n == ID_INDEX_MIN {
            self.id_index = (self.id_info.iter().enumerate())
                .map(|(i, id)| (id.qst, i as u32))
                .collect();
        } else if n > ID_INDEX_MIN {
            self.id_index.insert(qst, n as u32 - 1);
        }
        n - 1
    }

    /// `mp_emit_common_get_id_for_modification`: the identifier about to be stored to or
    /// deleted; an implicit global becomes a local in function-like scopes, and is marked as
    /// assigned (so it is never closed over) elsewhere.
    pub fn get_id_for_modification(&mut self, qst: Qstr) -> usize {
        let i = self.find_or_add_id(qst, IdKind::GlobalImplicit);
        let is_func_like = self.kind.is_func_like();
        let id = &mut self.id_info[i];
        if id.kind == IdKind::GlobalImplicit {
            id.kind = if is_func_like {
                IdKind::Local
            } else {
                IdKind::GlobalImplicitAssigned
            };
        }
        i
    }

    /// `scope_compute_things` (`py/compile.c`): orders the parameters and numbers the locals,
    /// cells and free variables, after the SCOPE pass has decided every identifier's kind.
    /// `parent_ids` is the enclosing scope's identifier table, `dunder_class` the qstr
    /// `__class__`.
    pub fn compute_things(&mut self, parent_ids: Option<&[IdInfo]>, dunder_class: Qstr) {
        // The *args parameter goes after all other parameters except **kwargs.
        if self.scope_flags & SCOPE_FLAG_VARARGS != 0 {
            let mut id_param: Option<usize> = None;
            for i in (0..self.id_info.len()).rev() {
                let flags = self.id_info[i].flags;
                if flags & ID_FLAG_IS_STAR_PARAM != 0 {
                    if let Some(p) = id_param {
                        self.id_info.swap(i, p);
                        if self.id_info.len() >= ID_INDEX_MIN {
                            self.id_index.insert(self.id_info[i].qst, i as u32);
                            self.id_index.insert(self.id_info[p].qst, p as u32);
                        }
                    }
                    break;
                } else if id_param.is_none() && flags == ID_FLAG_IS_PARAM {
                    id_param = Some(i);
                }
            }
        }

        // Implicit globals of function-like scopes become explicit; number the locals.
        self.num_locals = 0;
        let is_class = self.kind == ScopeKind::Class;
        let is_func_like = self.kind.is_func_like();
        for id in &mut self.id_info {
            if is_class && id.qst == dunder_class {
                // __class__ is not a local; if it is used it becomes a cell.
                continue;
            }
            if is_func_like && id.kind == IdKind::GlobalImplicit {
                id.kind = IdKind::GlobalExplicit;
            }
            // Parameters always take one local slot, even when they are cells.
            if id.kind == IdKind::Local || id.flags & ID_FLAG_IS_PARAM != 0 {
                id.local_num = self.num_locals;
                self.num_locals += 1;
            }
        }

        // Cells come right after the fast locals (parameters keep their slots).
        for id in &mut self.id_info {
            if id.kind == IdKind::Cell && id.flags & ID_FLAG_IS_PARAM == 0 {
                id.local_num = self.num_locals;
                self.num_locals += 1;
            }
        }

        // Free variables come first, in the order of the parent scope.
        if let Some(parent_ids) = parent_ids {
            let mut num_free: u16 = 0;
            for pid in parent_ids {
                if pid.kind == IdKind::Cell || pid.kind == IdKind::Free {
                    for id2 in &mut self.id_info {
                        if id2.kind == IdKind::Free && id2.qst == pid.qst {
                            id2.local_num = num_free;
                            num_free += 1;
                        }
                    }
                }
            }
            if num_free > 0 {
                for id in &mut self.id_info {
                    if id.kind != IdKind::Free || id.flags & ID_FLAG_IS_PARAM != 0 {
                        id.local_num += num_free;
                    }
                }
                // Free variables are passed in like parameters.
                self.num_pos_args += num_free;
                self.num_locals += num_free;
            }
        }
    }
}

/// All scopes of one compilation, in creation (= compilation) order.
#[derive(Debug, Default)]
pub struct Scopes<'a> {
    pub list: Vec<Scope<'a>>,
}

impl<'a> Scopes<'a> {
    /// Adds a scope as the child of `parent` (`scope_new_and_link`).
    pub fn add(&mut self, mut scope: Scope<'a>, parent: Option<ScopeId>) -> ScopeId {
        scope.parent = parent;
        self.list.push(scope);
        self.list.len() - 1
    }

    pub fn get(&self, id: ScopeId) -> &Scope<'a> {
        &self.list[id]
    }

    pub fn get_mut(&mut self, id: ScopeId) -> &mut Scope<'a> {
        &mut self.list[id]
    }

    /// The outermost scope of `id`'s chain (`scope_find_global` looks there).
    fn outermost(&self, mut id: ScopeId) -> ScopeId {
        while let Some(p) = self.list[id].parent {
            id = p;
        }
        id
    }

    /// Index of `qst` in the module scope, if present (`scope_find_global`).
    pub fn find_global(&self, scope: ScopeId, qst: Qstr) -> Option<(ScopeId, usize)> {
        let g = self.outermost(scope);
        self.list[g].find(qst).map(|i| (g, i))
    }

    /// `scope_close_over_in_parents`: marks `qst` free in each enclosing function up to the
    /// one that binds it, which turns it into a cell.
    fn close_over_in_parents(&mut self, scope: ScopeId, qst: Qstr) {
        let mut s = self.list[scope].parent;
        while let Some(sid) = s {
            // The module scope is never reached: the caller checked that a function binds it.
            if self.list[sid].parent.is_none() {
                return;
            }
            let i = self.list[sid].find_or_add_id(qst, IdKind::Undecided);
            let id = &mut self.list[sid].id_info[i];
            if id.kind == IdKind::Undecided {
                // Not declared here: free here, keep searching outwards.
                id.kind = IdKind::Free;
            } else {
                if id.kind == IdKind::Local {
                    id.kind = IdKind::Cell;
                }
                // Free or Cell: already closed over.
                return;
            }
            s = self.list[sid].parent;
        }
    }

    /// `scope_check_to_close_over`: if an enclosing function (not the module) binds the
    /// identifier `id_index` of `scope`, it becomes free here and is closed over.
    pub fn check_to_close_over(&mut self, scope: ScopeId, id_index: usize) {
        let qst = self.list[scope].id_info[id_index].qst;
        let mut s = self.list[scope].parent;
        while let Some(sid) = s {
            if self.list[sid].parent.is_none() {
                break;
            }
            if let Some(i2) = self.list[sid].find(qst) {
                let k = self.list[sid].id_info[i2].kind;
                if matches!(k, IdKind::Local | IdKind::Cell | IdKind::Free) {
                    self.list[scope].id_info[id_index].kind = IdKind::Free;
                    self.close_over_in_parents(scope, qst);
                }
                break;
            }
            s = self.list[sid].parent;
        }
    }

    /// Runs [`Scope::compute_things`] on scope `id`.
    pub fn compute_things(&mut self, id: ScopeId, dunder_class: Qstr) {
        let parent_ids = self.list[id].parent.map(|p| self.list[p].id_info.clone());
        self.list[id].compute_things(parent_ids.as_deref(), dunder_class);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static ROOT: Node = Node::Null;

    fn scope(kind: ScopeKind, name: u32) -> Scope<'static> {
        Scope::new(kind, ScopeNode::Root(&ROOT), Qstr(name), EmitOpt::None)
    }

    /// Lookups through the index of a large scope agree with a scan, before and after
    /// `compute_things` moves the *args parameter.
    #[test]
    fn large_scopes_find_identifiers_as_a_scan_does() {
        let mut sc = scope(ScopeKind::Function, 1);
        sc.scope_flags |= SCOPE_FLAG_VARARGS;
        let star = sc.find_or_add_id(Qstr(1000), IdKind::Local);
        sc.id_info[star].flags = ID_FLAG_IS_STAR_PARAM;
        let param = sc.find_or_add_id(Qstr(1001), IdKind::Local);
        sc.id_info[param].flags = ID_FLAG_IS_PARAM;
        for q in 0..3 * ID_INDEX_MIN as u32 {
            sc.find_or_add_id(Qstr(2000 + q * 7 % 50), IdKind::GlobalImplicit);
        }
        let check = |sc: &Scope<'_>| {
            for q in (990..1010).chain(1990..2060) {
                let scan = sc.id_info.iter().position(|id| id.qst == Qstr(q));
                assert_eq!(sc.find(Qstr(q)), scan, "qstr {q}");
            }
        };
        assert!(sc.id_info.len() > ID_INDEX_MIN);
        check(&sc);
        sc.compute_things(None, Qstr(5));
        assert_eq!(sc.id_info[0].qst, Qstr(1001), "the parameter moved first");
        check(&sc);
    }

    #[test]
    fn a_free_variable_is_a_cell_in_its_binder_and_numbered_after_the_locals() {
        let (a, x, class) = (Qstr(10), Qstr(11), Qstr(12));
        let mut scopes = Scopes::default();
        let m = scopes.add(scope(ScopeKind::Module, 0), None);
        let f = scopes.add(scope(ScopeKind::Function, 1), Some(m));
        let g = scopes.add(scope(ScopeKind::Function, 2), Some(f));

        // def f(a): x = ...; def g(): return x
        let pa = scopes.get_mut(f).find_or_add_id(a, IdKind::Undecided);
        scopes.get_mut(f).id_info[pa].kind = IdKind::Local;
        scopes.get_mut(f).id_info[pa].flags = ID_FLAG_IS_PARAM;
        scopes.get_mut(f).num_pos_args = 1;
        scopes.get_mut(f).get_id_for_modification(x);
        let gx = scopes.get_mut(g).find_or_add_id(x, IdKind::GlobalImplicit);

        scopes.check_to_close_over(g, gx);
        assert_eq!(scopes.get(g).id_info[gx].kind, IdKind::Free);
        let fx = scopes.get(f).find(x).expect("x in f");
        assert_eq!(scopes.get(f).id_info[fx].kind, IdKind::Cell);

        for s in [m, f, g] {
            scopes.compute_things(s, class);
        }
        // f: the parameter first, then the cell.
        assert_eq!(scopes.get(f).id_info[pa].local_num, 0);
        assert_eq!(scopes.get(f).id_info[fx].local_num, 1);
        assert_eq!(scopes.get(f).num_locals, 2);
        // g: the free variable comes first and is passed like a parameter.
        assert_eq!(scopes.get(g).id_info[gx].local_num, 0);
        assert_eq!(scopes.get(g).num_pos_args, 1);
    }

    #[test]
    fn module_globals_are_never_closed_over() {
        let x = Qstr(11);
        let mut scopes = Scopes::default();
        let m = scopes.add(scope(ScopeKind::Module, 0), None);
        let f = scopes.add(scope(ScopeKind::Function, 1), Some(m));
        scopes.get_mut(m).get_id_for_modification(x);
        assert_eq!(
            scopes.get(m).id_info[0].kind,
            IdKind::GlobalImplicitAssigned
        );
        let fx = scopes.get_mut(f).find_or_add_id(x, IdKind::GlobalImplicit);
        scopes.check_to_close_over(f, fx);
        assert_eq!(scopes.get(f).id_info[fx].kind, IdKind::GlobalImplicit);
        scopes.compute_things(f, Qstr(12));
        assert_eq!(scopes.get(f).id_info[fx].kind, IdKind::GlobalExplicit);
    }

    #[test]
    fn star_args_parameter_moves_after_the_others() {
        let (a, b, c) = (Qstr(10), Qstr(11), Qstr(12));
        let mut scopes = Scopes::default();
        let m = scopes.add(scope(ScopeKind::Module, 0), None);
        let f = scopes.add(scope(ScopeKind::Function, 1), Some(m));
        // def f(a, *b, c)
        for (q, flags) in [
            (a, ID_FLAG_IS_PARAM),
            (b, ID_FLAG_IS_PARAM | ID_FLAG_IS_STAR_PARAM),
            (c, ID_FLAG_IS_PARAM),
        ] {
            let i = scopes.get_mut(f).find_or_add_id(q, IdKind::Local);
            scopes.get_mut(f).id_info[i].flags = flags;
        }
        scopes.get_mut(f).scope_flags |= SCOPE_FLAG_VARARGS;
        scopes.compute_things(f, Qstr(99));
        let order: Vec<Qstr> = scopes.get(f).id_info.iter().map(|id| id.qst).collect();
        assert_eq!(order, [a, c, b]);
        assert_eq!(scopes.get(f).id_info[2].local_num, 2);
    }
}
