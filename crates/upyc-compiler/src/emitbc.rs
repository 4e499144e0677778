//! The bytecode emitter (MicroPython `py/emitbc.c`).
//!
//! The compiler drives an [`Emitter`] through the same four passes as MicroPython, calling
//! methods named after `emit_method_table_t` (`py/emit.h`) in snake_case:
//! - [`Pass::Scope`]: nothing is measured; qstrs, constants and children are already
//!   registered in [`EmitCommon`] in order of first use, exactly as mpy-cross does.
//! - [`Pass::StackSize`]: the maximum value-stack depth is measured; jumps take 3 bytes.
//! - [`Pass::CodeSize`]: label offsets are known (forward ones from the previous pass), so
//!   jumps shrink to 2 bytes where the offset fits.
//! - [`Pass::Emit`]: the final bytes; repeated while the code keeps shrinking.
//!
//! Where we differ: MicroPython counts bytes in the early passes and writes into a buffer
//! allocated after CODE_SIZE; we simply write into growable buffers in every pass (offsets are
//! their lengths). The emitter keeps its own copy of the scope's stack size and generator flag;
//! the compiler copies them back (see `compile.rs`).

use upyc_bytecode::opcode::{self as op, BinaryOp, UnaryOp};
use upyc_bytecode::vuint;
use upyc_syntax::qstr::Qstr;
use upyc_syntax::tree::ConstValue;

use crate::emitcommon::{ConstId, ConstObj, EmitCommon};
use crate::scope::{IdKind, Scope, ScopeId, ScopeKind, ID_FLAG_IS_PARAM, SCOPE_FLAG_ALL_SIG};

/// `MP_OBJ_ITER_BUF_NSLOTS`: stack slots an iterator takes with `GET_ITER_STACK`.
pub const ITER_BUF_NSLOTS: i32 = 4;

/// `MP_EMIT_BREAK_FROM_FOR`: flag on a break label saying a for-loop's iterator must be popped.
pub const BREAK_FROM_FOR: u32 = 0x8000;

/// Compiler passes (`pass_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pass {
    /// Work out identifiers and their kinds.
    Scope = 1,
    /// Work out the maximum stack size.
    StackSize = 2,
    /// Work out the code size and label offsets.
    CodeSize = 3,
    /// Emit the code (possibly more than once).
    Emit = 4,
}

/// `MP_EMIT_IDOP_LOCAL_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    Fast,
    Deref,
}

/// `MP_EMIT_IDOP_GLOBAL_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalKind {
    Name,
    Global,
}

/// `MP_EMIT_IMPORT_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Name,
    From,
    Star,
}

/// `MP_EMIT_SUBSCR_*` and `MP_EMIT_ATTR_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Load,
    Store,
    Delete,
}

/// `MP_EMIT_SETUP_BLOCK_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    With,
    Except,
    Finally,
}

/// `MP_EMIT_BUILD_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildKind {
    Tuple,
    List,
    Map,
    Set,
    Slice,
}

/// `MP_EMIT_YIELD_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YieldKind {
    Value,
    From,
}

/// The constant tokens `load_const_tok` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstTok {
    False,
    None,
    True,
    Ellipsis,
}

/// `MP_EMIT_STAR_FLAG_SINGLE`.
pub const STAR_FLAG_SINGLE: u32 = 0x01;
/// `MP_EMIT_STAR_FLAG_DOUBLE`.
pub const STAR_FLAG_DOUBLE: u32 = 0x02;

/// Appends `val` as a vuint (`mp_encode_uint`).
#[inline]
pub fn encode_uint(out: &mut Vec<u8>, val: u64) {
    // Nearly every operand (qstr, constant and local indices) fits one byte.
    if val < 0x80 {
        out.push(val as u8);
    } else {
        vuint::encode_with(val, |b| out.push(b));
    }
}

/// Appends `num` as a signed vuint (`emit_write_bytecode_byte_int`).
pub fn encode_int(out: &mut Vec<u8>, num: i64) {
    vuint::encode_signed_with(num, |b| out.push(b));
}

/// How a pass ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassEnd {
    /// The pass is complete.
    Done,
    /// The code shrank during an emit pass: run another one.
    Again,
    /// A jump offset does not fit its encoding (`RuntimeError: bytecode overflow`).
    Overflow,
}

/// The bytecode emitter (`emit_t` of `py/emitbc.c`).
#[derive(Debug)]
pub struct Emitter {
    /// The module-wide tables (`emit->emit_common`).
    pub common: EmitCommon,
    pass: Pass,
    /// True in dead code after an unconditional jump, return or raise.
    suppress: bool,
    stack_size: i64,
    /// The scope's maximum stack size (`scope->stack_size`), updated as code is emitted.
    pub scope_stack_size: u16,
    /// The qstr `*`, the name of argument positions without a parameter.
    star: Qstr,
    /// Whether line numbers are recorded (not with `-O3` or `-X no-source-lines`).
    source_lines: bool,
    last_source_line_offset: usize,
    last_source_line: u32,
    label_offsets: Vec<usize>,
    code_info: Vec<u8>,
    bytecode: Vec<u8>,
    code_info_size: usize,
    bytecode_size: usize,
    overflow: bool,
    n_info: usize,
    n_cell: usize,
    fun_data: Option<Vec<u8>>,
}

impl Emitter {
    /// `emit_bc_new`.
    pub fn new(common: EmitCommon, source_lines: bool, star: Qstr) -> Self {
        Emitter {
            common,
            pass: Pass::Scope,
            suppress: false,
            stack_size: 0,
            scope_stack_size: 0,
            star,
            source_lines,
            last_source_line_offset: 0,
            last_source_line: 1,
            label_offsets: Vec::new(),
            code_info: Vec::new(),
            bytecode: Vec::new(),
            code_info_size: 0,
            bytecode_size: 0,
            overflow: false,
            n_info: 0,
            n_cell: 0,
            fun_data: None,
        }
    }

    /// `emit_bc_set_max_num_labels`.
    pub fn set_max_num_labels(&mut self, n: usize) {
        if self.label_offsets.len() < n {
            self.label_offsets.resize(n, 0);
        }
    }

    /// The finished code of the scope, after an emit pass ended with [`PassEnd::Done`].
    pub fn take_fun_data(&mut self) -> Option<Vec<u8>> {
        self.fun_data.take()
    }

    fn bytecode_offset(&self) -> usize {
        self.bytecode.len()
    }

    fn write_code_info_qstr(&mut self, q: Qstr) {
        let idx = self.common.use_qstr(q);
        encode_uint(&mut self.code_info, idx as u64);
    }

    /// Line-number table entries (`emit_write_code_info_bytes_lines`).
    fn write_code_info_bytes_lines(&mut self, mut bytes_to_skip: usize, mut lines_to_skip: usize) {
        while bytes_to_skip > 0 || lines_to_skip > 0 {
            let (b, l);
            if lines_to_skip <= 6 || bytes_to_skip > 0xf {
                // 0b0LLBBBBB
                b = bytes_to_skip.min(0x1f);
                l = if b < bytes_to_skip {
                    0
                } else {
                    lines_to_skip.min(0x3)
                };
                self.code_info.push((b | (l << 5)) as u8);
            } else {
                // 0b1LLLBBBB 0bLLLLLLLL
                b = bytes_to_skip.min(0xf);
                l = lines_to_skip.min(0x7ff);
                self.code_info.push((0x80 | b | ((l >> 4) & 0x70)) as u8);
                self.code_info.push(l as u8);
            }
            bytes_to_skip -= b;
            lines_to_skip -= l;
        }
    }

    fn write_bytecode_raw_byte(&mut self, b: u8) {
        if !self.suppress {
            self.bytecode.push(b);
        }
    }

    fn write_bytecode_byte(&mut self, stack_adj: i64, b: u8) {
        self.adjust_stack_size(stack_adj);
        self.write_bytecode_raw_byte(b);
    }

    fn write_bytecode_byte_int(&mut self, stack_adj: i64, b: u8, num: i64) {
        self.write_bytecode_byte(stack_adj, b);
        if !self.suppress {
            encode_int(&mut self.bytecode, num);
        }
    }

    fn write_bytecode_byte_uint(&mut self, stack_adj: i64, b: u8, val: u64) {
        self.write_bytecode_byte(stack_adj, b);
        if !self.suppress {
            encode_uint(&mut self.bytecode, val);
        }
    }

    fn write_bytecode_byte_qstr(&mut self, stack_adj: i64, b: u8, q: Qstr) {
        let idx = self.common.use_qstr(q);
        self.write_bytecode_byte_uint(stack_adj, b, idx as u64);
    }

    fn write_bytecode_byte_obj(&mut self, stack_adj: i64, b: u8, id: ConstId, obj: &ConstObj) {
        let idx = self.common.use_const_obj(id, obj);
        self.write_bytecode_byte_uint(stack_adj, b, idx as u64);
    }

    fn write_bytecode_byte_child(&mut self, stack_adj: i64, b: u8, child: ScopeId) {
        let idx = self.common.alloc_const_child(child);
        self.write_bytecode_byte_uint(stack_adj, b, idx as u64);
    }

    /// A jump to `label`, relative to the end of the instruction: one offset byte when it
    /// fits, else two. Sizes only ever shrink from one pass to the next.
    fn write_bytecode_byte_label(&mut self, stack_adj: i64, b: u8, label: u32) {
        self.adjust_stack_size(stack_adj);
        if self.suppress {
            return;
        }
        let is_signed = op::has_signed_offset(b);
        let mut two_bytes = true;
        let mut offset: i64 = 0;
        if self.pass >= Pass::CodeSize {
            let target = self.label_offsets.get(label as usize).copied().unwrap_or(0);
            offset = target as i64 - self.bytecode_offset() as i64 - 2;
            if (is_signed && (-64..=63).contains(&offset))
                || (!is_signed && (0..=127).contains(&offset))
            {
                two_bytes = false;
            }
            if two_bytes {
                offset -= 1;
            }
        }
        self.bytecode.push(b);
        if !two_bytes {
            if is_signed {
                offset += 0x40;
            }
            self.bytecode.push(offset as u8);
        } else {
            if is_signed {
                offset += 0x4000;
            }
            if self.pass == Pass::Emit && !(0..=0x7fff).contains(&offset) {
                self.overflow = true;
            }
            self.bytecode.push(0x80 | (offset & 0x7f) as u8);
            self.bytecode.push((offset >> 7) as u8);
        }
    }

    /// `mp_emit_bc_start_pass`: writes the prelude signature (from the sizes measured so far),
    /// the prelude size (from the previous pass), the name and the argument names.
    pub fn start_pass(&mut self, pass: Pass, scope: &Scope<'_>) {
        self.pass = pass;
        self.stack_size = 0;
        self.suppress = false;
        self.scope_stack_size = scope.stack_size;
        self.last_source_line_offset = 0;
        self.last_source_line = 1;
        self.bytecode.clear();
        self.code_info.clear();
        self.overflow = false;
        self.fun_data = None;

        // Signature and (from CODE_SIZE on) prelude size, in upyc-bytecode's encodings.
        let n_state = (scope.num_locals as u32 + scope.stack_size as u32).max(1);
        let signature = upyc_bytecode::prelude::Signature {
            n_state,
            n_exc_stack: scope.exc_stack_size as u32,
            scope_flags: (scope.scope_flags & SCOPE_FLAG_ALL_SIG) as u32,
            n_pos_args: scope.num_pos_args as u32,
            n_kwonly_args: scope.num_kwonly_args as u32,
            n_def_pos_args: scope.num_def_pos_args as u32,
        };
        signature.encode_with(|b| self.code_info.push(b));
        if pass >= Pass::CodeSize {
            let size = upyc_bytecode::prelude::Size {
                n_info: self.n_info as u32,
                n_cell: self.n_cell as u32,
            };
            size.encode_with(|b| self.code_info.push(b));
        }

        self.n_info = self.code_info.len();

        self.write_code_info_qstr(scope.simple_name);

        // Argument names, for keyword arguments; "*" where a position has no parameter.
        let n_args = scope.num_pos_args as usize + scope.num_kwonly_args as usize;
        for i in 0..n_args {
            let q = scope
                .id_info
                .iter()
                .find(|id| id.flags & ID_FLAG_IS_PARAM != 0 && id.local_num as usize == i)
                .map(|id| id.qst)
                .unwrap_or(self.star);
            self.write_code_info_qstr(q);
        }
    }

    /// `mp_emit_bc_end_pass`: writes the closure section; after an emit pass, finishes the
    /// code or asks for another pass if it shrank.
    pub fn end_pass(&mut self, scope: &Scope<'_>) -> PassEnd {
        if self.pass == Pass::Scope {
            return PassEnd::Done;
        }
        self.n_info = self.code_info.len() - self.n_info;

        self.n_cell = 0;
        for id in &scope.id_info {
            if id.kind == IdKind::Cell {
                self.code_info.push(id.local_num as u8);
                self.n_cell += 1;
            }
        }

        match self.pass {
            Pass::CodeSize => {
                self.code_info_size = self.code_info.len();
                self.bytecode_size = self.bytecode.len();
            }
            Pass::Emit => {
                if self.code_info.len() != self.code_info_size
                    || self.bytecode.len() != self.bytecode_size
                {
                    self.code_info_size = self.code_info.len();
                    self.bytecode_size = self.bytecode.len();
                    return PassEnd::Again;
                }
                if self.overflow {
                    return PassEnd::Overflow;
                }
                let mut data = Vec::with_capacity(self.code_info.len() + self.bytecode.len());
                data.extend_from_slice(&self.code_info);
                data.extend_from_slice(&self.bytecode);
                self.fun_data = Some(data);
            }
            _ => {}
        }
        PassEnd::Done
    }

    /// `mp_emit_bc_adjust_stack_size`.
    pub fn adjust_stack_size(&mut self, delta: i64) {
        if self.pass == Pass::Scope {
            return;
        }
        self.stack_size += delta;
        if self.stack_size > self.scope_stack_size as i64 {
            self.scope_stack_size = self.stack_size as u16;
        }
    }

    /// `mp_emit_bc_set_source_line`.
    pub fn set_source_line(&mut self, line: u32) {
        if !self.source_lines {
            return;
        }
        if line > self.last_source_line {
            let bytes_to_skip = self.bytecode_offset() - self.last_source_line_offset;
            let lines_to_skip = (line - self.last_source_line) as usize;
            self.write_code_info_bytes_lines(bytes_to_skip, lines_to_skip);
            self.last_source_line_offset = self.bytecode_offset();
            self.last_source_line = line;
        }
    }

    /// `mp_emit_bc_load_local`.
    pub fn load_local(&mut self, local_num: u16, kind: LocalKind) {
        match kind {
            LocalKind::Fast if local_num <= 15 => {
                self.write_bytecode_byte(1, op::LOAD_FAST_MULTI + local_num as u8)
            }
            LocalKind::Fast => self.write_bytecode_byte_uint(1, op::LOAD_FAST_N, local_num as u64),
            LocalKind::Deref => self.write_bytecode_byte_uint(1, op::LOAD_DEREF, local_num as u64),
        }
    }

    /// `mp_emit_bc_load_global`.
    pub fn load_global(&mut self, q: Qstr, kind: GlobalKind) {
        let b = match kind {
            GlobalKind::Name => op::LOAD_NAME,
            GlobalKind::Global => op::LOAD_GLOBAL,
        };
        self.write_bytecode_byte_qstr(1, b, q);
    }

    /// `mp_emit_bc_store_local`.
    pub fn store_local(&mut self, local_num: u16, kind: LocalKind) {
        match kind {
            LocalKind::Fast if local_num <= 15 => {
                self.write_bytecode_byte(-1, op::STORE_FAST_MULTI + local_num as u8)
            }
            LocalKind::Fast => {
                self.write_bytecode_byte_uint(-1, op::STORE_FAST_N, local_num as u64)
            }
            LocalKind::Deref => {
                self.write_bytecode_byte_uint(-1, op::STORE_DEREF, local_num as u64)
            }
        }
    }

    /// `mp_emit_bc_store_global`.
    pub fn store_global(&mut self, q: Qstr, kind: GlobalKind) {
        let b = match kind {
            GlobalKind::Name => op::STORE_NAME,
            GlobalKind::Global => op::STORE_GLOBAL,
        };
        self.write_bytecode_byte_qstr(-1, b, q);
    }

    /// `mp_emit_bc_delete_local`.
    pub fn delete_local(&mut self, local_num: u16, kind: LocalKind) {
        let b = match kind {
            LocalKind::Fast => op::DELETE_FAST,
            LocalKind::Deref => op::DELETE_DEREF,
        };
        self.write_bytecode_byte_uint(0, b, local_num as u64);
    }

    /// `mp_emit_bc_delete_global`.
    pub fn delete_global(&mut self, q: Qstr, kind: GlobalKind) {
        let b = match kind {
            GlobalKind::Name => op::DELETE_NAME,
            GlobalKind::Global => op::DELETE_GLOBAL,
        };
        self.write_bytecode_byte_qstr(0, b, q);
    }

    /// `mp_emit_bc_label_assign`: ends any dead-code region.
    pub fn label_assign(&mut self, label: u32) {
        self.suppress = false;
        if self.pass == Pass::Scope {
            return;
        }
        let l = label as usize;
        if l >= self.label_offsets.len() {
            self.label_offsets.resize(l + 1, 0);
        }
        self.label_offsets[l] = self.bytecode_offset();
    }

    /// `mp_emit_bc_import`.
    pub fn import(&mut self, q: Qstr, kind: ImportKind) {
        match kind {
            ImportKind::Name => self.write_bytecode_byte_qstr(-1, op::IMPORT_NAME, q),
            ImportKind::From => self.write_bytecode_byte_qstr(1, op::IMPORT_FROM, q),
            ImportKind::Star => self.write_bytecode_byte(-1, op::IMPORT_STAR),
        }
    }

    /// `mp_emit_bc_load_const_tok`.
    pub fn load_const_tok(&mut self, tok: ConstTok) {
        match tok {
            ConstTok::False => self.write_bytecode_byte(1, op::LOAD_CONST_FALSE),
            ConstTok::None => self.write_bytecode_byte(1, op::LOAD_CONST_NONE),
            ConstTok::True => self.write_bytecode_byte(1, op::LOAD_CONST_TRUE),
            ConstTok::Ellipsis => {
                self.write_bytecode_byte_obj(1, op::LOAD_CONST_OBJ, None, &ConstObj::Ellipsis)
            }
        }
    }

    /// `mp_emit_bc_load_const_small_int`.
    pub fn load_const_small_int(&mut self, arg: i64) {
        let min = op::SMALL_INT_MULTI_MIN as i64;
        let max = op::SMALL_INT_MULTI_MAX as i64;
        if (min..=max).contains(&arg) {
            self.write_bytecode_byte(
                1,
                op::LOAD_CONST_SMALL_INT_MULTI
                    + (op::LOAD_CONST_SMALL_INT_MULTI_EXCESS as i64 + arg) as u8,
            );
        } else {
            self.write_bytecode_byte_int(1, op::LOAD_CONST_SMALL_INT, arg);
        }
    }

    /// `mp_emit_bc_load_const_str`.
    pub fn load_const_str(&mut self, q: Qstr) {
        self.write_bytecode_byte_qstr(1, op::LOAD_CONST_STRING, q);
    }

    /// `mp_emit_bc_load_const_obj`.
    pub fn load_const_obj(&mut self, id: ConstId, obj: &ConstObj) {
        self.write_bytecode_byte_obj(1, op::LOAD_CONST_OBJ, id, obj);
    }

    /// [`Emitter::load_const_obj`] of a parse tree constant (`id`: its index in the tree's
    /// constant table).
    pub fn load_const_value(&mut self, id: usize, value: &ConstValue) {
        let idx = self.common.use_const_value(id, value);
        self.write_bytecode_byte_uint(1, op::LOAD_CONST_OBJ, idx as u64);
    }

    /// `mp_emit_bc_load_null`.
    pub fn load_null(&mut self) {
        self.write_bytecode_byte(1, op::LOAD_NULL);
    }

    /// `mp_emit_bc_load_method`.
    pub fn load_method(&mut self, q: Qstr, is_super: bool) {
        if is_super {
            self.write_bytecode_byte_qstr(-1, op::LOAD_SUPER_METHOD, q);
        } else {
            self.write_bytecode_byte_qstr(1, op::LOAD_METHOD, q);
        }
    }

    /// `mp_emit_bc_load_build_class`.
    pub fn load_build_class(&mut self) {
        self.write_bytecode_byte(1, op::LOAD_BUILD_CLASS);
    }

    /// `mp_emit_bc_subscr`.
    pub fn subscr(&mut self, kind: AccessKind) {
        match kind {
            AccessKind::Load => self.write_bytecode_byte(-1, op::LOAD_SUBSCR),
            AccessKind::Store => self.write_bytecode_byte(-3, op::STORE_SUBSCR),
            AccessKind::Delete => {
                self.load_null();
                self.rot_three();
                self.write_bytecode_byte(-3, op::STORE_SUBSCR);
            }
        }
    }

    /// `mp_emit_bc_attr`.
    pub fn attr(&mut self, q: Qstr, kind: AccessKind) {
        match kind {
            AccessKind::Load => self.write_bytecode_byte_qstr(0, op::LOAD_ATTR, q),
            AccessKind::Store => self.write_bytecode_byte_qstr(-2, op::STORE_ATTR, q),
            AccessKind::Delete => {
                self.load_null();
                self.rot_two();
                self.write_bytecode_byte_qstr(-2, op::STORE_ATTR, q);
            }
        }
    }

    /// `mp_emit_bc_dup_top`.
    pub fn dup_top(&mut self) {
        self.write_bytecode_byte(1, op::DUP_TOP);
    }

    /// `mp_emit_bc_dup_top_two`.
    pub fn dup_top_two(&mut self) {
        self.write_bytecode_byte(2, op::DUP_TOP_TWO);
    }

    /// `mp_emit_bc_pop_top`.
    pub fn pop_top(&mut self) {
        self.write_bytecode_byte(-1, op::POP_TOP);
    }

    /// `mp_emit_bc_rot_two`.
    pub fn rot_two(&mut self) {
        self.write_bytecode_byte(0, op::ROT_TWO);
    }

    /// `mp_emit_bc_rot_three`.
    pub fn rot_three(&mut self) {
        self.write_bytecode_byte(0, op::ROT_THREE);
    }

    /// `mp_emit_bc_jump`.
    pub fn jump(&mut self, label: u32) {
        self.write_bytecode_byte_label(0, op::JUMP, label);
        self.suppress = true;
    }

    /// `mp_emit_bc_pop_jump_if`.
    pub fn pop_jump_if(&mut self, cond: bool, label: u32) {
        let b = if cond {
            op::POP_JUMP_IF_TRUE
        } else {
            op::POP_JUMP_IF_FALSE
        };
        self.write_bytecode_byte_label(-1, b, label);
    }

    /// `mp_emit_bc_jump_if_or_pop`.
    pub fn jump_if_or_pop(&mut self, cond: bool, label: u32) {
        let b = if cond {
            op::JUMP_IF_TRUE_OR_POP
        } else {
            op::JUMP_IF_FALSE_OR_POP
        };
        self.write_bytecode_byte_label(-1, b, label);
    }

    /// `mp_emit_bc_unwind_jump`: a break/continue, leaving `except_depth` exception blocks.
    pub fn unwind_jump(&mut self, label: u32, except_depth: u32) {
        let target = label & !BREAK_FROM_FOR;
        if except_depth == 0 {
            if label & BREAK_FROM_FOR != 0 {
                // Pop the iterator and its iter_buf slots.
                for _ in 0..ITER_BUF_NSLOTS {
                    self.write_bytecode_raw_byte(op::POP_TOP);
                }
            }
            self.write_bytecode_byte_label(0, op::JUMP, target);
        } else {
            self.write_bytecode_byte_label(0, op::UNWIND_JUMP, target);
            let flag = if label & BREAK_FROM_FOR != 0 { 0x80 } else { 0 };
            self.write_bytecode_raw_byte(flag | except_depth as u8);
        }
        self.suppress = true;
    }

    /// `mp_emit_bc_setup_block`.
    pub fn setup_block(&mut self, label: u32, kind: BlockKind) {
        match kind {
            // SETUP_WITH pops the context manager and pushes __exit__, it and the value.
            BlockKind::With => self.write_bytecode_byte_label(2, op::SETUP_WITH, label),
            BlockKind::Except => self.write_bytecode_byte_label(0, op::SETUP_EXCEPT, label),
            BlockKind::Finally => self.write_bytecode_byte_label(0, op::SETUP_FINALLY, label),
        }
    }

    /// `mp_emit_bc_with_cleanup`.
    pub fn with_cleanup(&mut self, label: u32) {
        self.load_const_tok(ConstTok::None);
        self.label_assign(label);
        // +2 to have room to call __exit__, then cancel it and SETUP_WITH's +2.
        self.write_bytecode_byte(2, op::WITH_CLEANUP);
        self.adjust_stack_size(-4);
    }

    /// `mp_emit_bc_async_with_setup_finally`.
    pub fn async_with_setup_finally(
        &mut self,
        label_aexit_no_exc: u32,
        label_finally_block: u32,
        label_ret_unwind_jump: u32,
        base_exception: Qstr,
    ) {
        self.load_const_tok(ConstTok::None);
        self.rot_two();
        self.jump(label_aexit_no_exc);
        self.label_assign(label_finally_block);
        self.dup_top();
        self.load_global(base_exception, GlobalKind::Global);
        self.binary_op(BinaryOp::ExceptionMatch);
        self.pop_jump_if(false, label_ret_unwind_jump);
    }

    /// `mp_emit_bc_end_finally`.
    pub fn end_finally(&mut self) {
        self.write_bytecode_byte(-1, op::END_FINALLY);
    }

    /// `mp_emit_bc_get_iter`.
    pub fn get_iter(&mut self, use_stack: bool) {
        if use_stack {
            self.write_bytecode_byte(ITER_BUF_NSLOTS as i64 - 1, op::GET_ITER_STACK);
        } else {
            self.write_bytecode_byte(0, op::GET_ITER);
        }
    }

    /// `mp_emit_bc_for_iter`.
    pub fn for_iter(&mut self, label: u32) {
        self.write_bytecode_byte_label(1, op::FOR_ITER, label);
    }

    /// `mp_emit_bc_for_iter_end`.
    pub fn for_iter_end(&mut self) {
        self.adjust_stack_size(-(ITER_BUF_NSLOTS as i64));
    }

    /// `mp_emit_bc_pop_except_jump`.
    pub fn pop_except_jump(&mut self, label: u32, _within_exc_handler: bool) {
        self.write_bytecode_byte_label(0, op::POP_EXCEPT_JUMP, label);
        self.suppress = true;
    }

    /// `mp_emit_bc_unary_op`.
    pub fn unary_op(&mut self, unop: UnaryOp) {
        self.write_bytecode_byte(0, op::UNARY_OP_MULTI + unop as u8);
    }

    /// `mp_emit_bc_binary_op`: `not in` and `is not` become the positive test then `not`.
    pub fn binary_op(&mut self, binop: BinaryOp) {
        let (binop, invert) = match binop {
            BinaryOp::NotIn => (BinaryOp::In, true),
            BinaryOp::IsNot => (BinaryOp::Is, true),
            b => (b, false),
        };
        self.write_bytecode_byte(-1, op::BINARY_OP_MULTI + binop as u8);
        if invert {
            self.write_bytecode_byte(0, op::UNARY_OP_MULTI + UnaryOp::Not as u8);
        }
    }

    /// `mp_emit_bc_build`.
    pub fn build(&mut self, n_args: u64, kind: BuildKind) {
        let b = match kind {
            BuildKind::Tuple => op::BUILD_TUPLE,
            BuildKind::List => op::BUILD_LIST,
            BuildKind::Map => op::BUILD_MAP,
            BuildKind::Set => op::BUILD_SET,
            BuildKind::Slice => op::BUILD_SLICE,
        };
        let stack_adj = if kind == BuildKind::Map {
            1
        } else {
            1 - n_args as i64
        };
        self.write_bytecode_byte_uint(stack_adj, b, n_args);
    }

    /// `mp_emit_bc_store_map`.
    pub fn store_map(&mut self) {
        self.write_bytecode_byte(-2, op::STORE_MAP);
    }

    /// `mp_emit_bc_store_comp`: the low 2 bits of the argument give the collection type.
    pub fn store_comp(&mut self, kind: ScopeKind, collection_stack_index: u64) {
        let (n, t) = match kind {
            ScopeKind::ListComp => (0, 0),
            ScopeKind::DictComp => (1, 1),
            _ => (0, 2),
        };
        self.write_bytecode_byte_uint(
            -1 - n as i64,
            op::STORE_COMP,
            ((collection_stack_index + n) << 2) | t,
        );
    }

    /// `mp_emit_bc_unpack_sequence`.
    pub fn unpack_sequence(&mut self, n_args: u64) {
        self.write_bytecode_byte_uint(-1 + n_args as i64, op::UNPACK_SEQUENCE, n_args);
    }

    /// `mp_emit_bc_unpack_ex`.
    pub fn unpack_ex(&mut self, n_left: u64, n_right: u64) {
        self.write_bytecode_byte_uint(
            -1 + n_left as i64 + n_right as i64 + 1,
            op::UNPACK_EX,
            n_left | (n_right << 8),
        );
    }

    /// `mp_emit_bc_make_function`.
    pub fn make_function(&mut self, scope: ScopeId, n_pos_defaults: u32, n_kw_defaults: u32) {
        if n_pos_defaults == 0 && n_kw_defaults == 0 {
            self.write_bytecode_byte_child(1, op::MAKE_FUNCTION, scope);
        } else {
            self.write_bytecode_byte_child(-1, op::MAKE_FUNCTION_DEFARGS, scope);
        }
    }

    /// `mp_emit_bc_make_closure`.
    pub fn make_closure(
        &mut self,
        scope: ScopeId,
        n_closed_over: u32,
        n_pos_defaults: u32,
        n_kw_defaults: u32,
    ) {
        if n_pos_defaults == 0 && n_kw_defaults == 0 {
            let stack_adj = -(n_closed_over as i64) + 1;
            self.write_bytecode_byte_child(stack_adj, op::MAKE_CLOSURE, scope);
        } else {
            let stack_adj = -2 - n_closed_over as i64 + 1;
            self.write_bytecode_byte_child(stack_adj, op::MAKE_CLOSURE_DEFARGS, scope);
        }
        self.write_bytecode_raw_byte(n_closed_over as u8);
    }

    fn call_function_method_helper(
        &mut self,
        mut stack_adj: i64,
        base: u8,
        n_positional: u64,
        n_keyword: u64,
        star_flags: u32,
    ) {
        let arg = (n_keyword << 8) | n_positional;
        if star_flags != 0 {
            // Positional args are one object, keyword args two, plus the star-args bitmap.
            stack_adj -= n_positional as i64 + 2 * n_keyword as i64 + 1;
            self.write_bytecode_byte_uint(stack_adj, base + 1, arg);
        } else {
            stack_adj -= n_positional as i64 + 2 * n_keyword as i64;
            self.write_bytecode_byte_uint(stack_adj, base, arg);
        }
    }

    /// `mp_emit_bc_call_function`.
    pub fn call_function(&mut self, n_positional: u64, n_keyword: u64, star_flags: u32) {
        self.call_function_method_helper(0, op::CALL_FUNCTION, n_positional, n_keyword, star_flags);
    }

    /// `mp_emit_bc_call_method`.
    pub fn call_method(&mut self, n_positional: u64, n_keyword: u64, star_flags: u32) {
        self.call_function_method_helper(-1, op::CALL_METHOD, n_positional, n_keyword, star_flags);
    }

    /// `mp_emit_bc_return_value`.
    pub fn return_value(&mut self) {
        self.write_bytecode_byte(-1, op::RETURN_VALUE);
        self.suppress = true;
    }

    /// `mp_emit_bc_raise_varargs`.
    pub fn raise_varargs(&mut self, n_args: u32) {
        let b = match n_args {
            0 => op::RAISE_LAST,
            1 => op::RAISE_OBJ,
            _ => op::RAISE_FROM,
        };
        self.write_bytecode_byte(-(n_args as i64), b);
        self.suppress = true;
    }

    /// `mp_emit_bc_yield` (the caller marks the scope as a generator).
    pub fn yield_(&mut self, kind: YieldKind) {
        match kind {
            YieldKind::Value => self.write_bytecode_byte(0, op::YIELD_VALUE),
            YieldKind::From => self.write_bytecode_byte(-1, op::YIELD_FROM),
        }
    }

    /// `mp_emit_bc_start_except_handler`: room for the exception and an UNWIND_JUMP state.
    pub fn start_except_handler(&mut self) {
        self.adjust_stack_size(4);
    }

    /// `mp_emit_bc_end_except_handler`.
    pub fn end_except_handler(&mut self) {
        self.adjust_stack_size(-3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_u(v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_uint(&mut out, v);
        out
    }

    fn enc_i(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        encode_int(&mut out, v);
        out
    }

    #[test]
    fn vuint_encoding_is_msb_first() {
        assert_eq!(enc_u(0), [0]);
        assert_eq!(enc_u(127), [0x7f]);
        assert_eq!(enc_u(128), [0x81, 0x00]);
        assert_eq!(enc_u(247), [0x81, 0x77]);
        assert_eq!(enc_u(u64::MAX).len(), 10);
    }

    #[test]
    fn signed_vuint_keeps_the_sign_in_bit_6() {
        assert_eq!(enc_i(0), [0x00]);
        assert_eq!(enc_i(63), [0x3f]);
        assert_eq!(enc_i(64), [0x80, 0x40]);
        assert_eq!(enc_i(-1), [0x7f]);
        assert_eq!(enc_i(-64), [0x40]);
        assert_eq!(enc_i(-65), [0xff, 0x3f]);
        assert_eq!(enc_i(i64::MIN).len(), 10);
        assert_eq!(enc_i(i64::MAX).len(), 10);
    }
}
