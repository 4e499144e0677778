//! Text disassembly of `.mpy` files, in the format of MicroPython's
//! `tools/mpy-tool.py -d` (its `CompiledModule.disassemble`, `RawCodeBytecode.disassemble`
//! and `RawCodeNative.disassemble`); the instruction decoding follows `py/persistentcode.c`.
//!
//! For every file `mpy-cross` 1.29 writes, [`disassemble_file`] prints exactly what
//! `mpy-tool.py -d PATH` prints (snapshot tests in `tests/data/` check this). Deliberate
//! differences:
//! - [`disassemble`] has no file name, so it omits the first line (`mpy_source_file: ...`);
//!   [`disassemble_file`] prints it with the name given.
//! - Where `mpy-tool.py` would stop with a Python exception (out-of-range qstr or constant
//!   index, truncated instruction, corrupt container) we return a [`DisasmError`]; the
//!   text printed up to that point stays in `out`. Files that `mpy-tool.py` accepts but
//!   our reader rejects (see [`crate::mpy::MpyFile::parse`]) print nothing.
//! - Non-ASCII characters in `repr()` of str constants and argument names are escaped
//!   following a built-in approximation of Unicode printability (see `pyrepr`).
//! - `mpy-tool.py` accepts any sub-version for bytecode-only files and rejects a native
//!   file whose sub-version is not 3, or whose arch differs from earlier files given on
//!   the same command line; we accept any sub-version.
//! - Like `mpy-tool.py`, we print neither the prelude nor the children of viper and asm
//!   code (a viper function nested in a viper function is not shown).
//! - Opcode 0x41 (unused) has a signed offset here, as in `py/persistentcode.c`;
//!   `mpy-tool.py` treats it as unsigned.

mod pyrepr;

use crate::insn::{self, Arg, InsnError};
use crate::mpy::{CodeKind, Const, MpyFile, NativeInfo, RawCode, ReadError};
use crate::opcode::{self, Multi, OpFormat};
use core::fmt::{self, Write};

/// Why a file could not be disassembled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisasmError {
    /// The file is not a valid `.mpy` file.
    Read(ReadError),
    /// An instruction could not be decoded.
    Insn {
        /// File offset of the raw code's function data.
        fun_data_offset: usize,
        /// The problem, with the offset inside the function data.
        error: InsnError,
    },
    /// An instruction references a qstr past the qstr table.
    QstrIndexOutOfRange {
        /// File offset of the instruction.
        offset: usize,
        /// The index found.
        index: u64,
    },
    /// `LOAD_CONST_OBJ` references a constant past the constant table.
    ConstIndexOutOfRange {
        /// File offset of the instruction.
        offset: usize,
        /// The index found.
        index: u64,
    },
    /// The output sink failed.
    Write,
}

impl fmt::Display for DisasmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisasmError::Read(e) => write!(f, "invalid .mpy file: {e}"),
            DisasmError::Insn { fun_data_offset, error } => {
                write!(f, "in the function data at file offset {fun_data_offset}: {error}")
            }
            DisasmError::QstrIndexOutOfRange { offset, index } => write!(
                f,
                "instruction at file offset {offset} references qstr {index}, past the qstr table"
            ),
            DisasmError::ConstIndexOutOfRange { offset, index } => write!(
                f,
                "instruction at file offset {offset} references constant {index}, past the constant table"
            ),
            DisasmError::Write => f.write_str("could not write the disassembly"),
        }
    }
}

impl From<ReadError> for DisasmError {
    #[cold]
    fn from(e: ReadError) -> Self {
        DisasmError::Read(e)
    }
}

impl From<fmt::Error> for DisasmError {
    #[cold]
    fn from(_: fmt::Error) -> Self {
        DisasmError::Write
    }
}

/// Disassemble `data`, printing the text of `mpy-tool.py -d` without its first line.
pub fn disassemble(data: &[u8], out: &mut dyn Write) -> Result<(), DisasmError> {
    let file = MpyFile::parse(data)?;
    Disassembler { file: &file, out }.module()
}

/// Disassemble `data`, printing the text of `mpy-tool.py -d PATH` with `path` as given.
pub fn disassemble_file(path: &str, data: &[u8], out: &mut dyn Write) -> Result<(), DisasmError> {
    let file = MpyFile::parse(data)?;
    writeln!(out, "mpy_source_file: {path}")?;
    Disassembler { file: &file, out }.module()
}

/// The name `mpy-tool.py` gives an opcode byte, written to `out` (multi opcodes include
/// their folded operand, e.g. `BINARY_OP 27 __add__`).
pub fn write_opcode_name(out: &mut dyn Write, op: u8) -> fmt::Result {
    match opcode::multi(op) {
        Some(Multi::LoadConstSmallInt(v)) => write!(out, "LOAD_CONST_SMALL_INT {v}"),
        Some(Multi::LoadFast(n)) => write!(out, "LOAD_FAST {n}"),
        Some(Multi::StoreFast(n)) => write!(out, "STORE_FAST {n}"),
        Some(Multi::UnaryOp(u)) => write!(out, "UNARY_OP {} {}", u as u8, u.method_name()),
        Some(Multi::BinaryOp(b)) => write!(out, "BINARY_OP {} {}", b as u8, b.method_name()),
        None => out.write_str(match op {
            // mpy-tool.py builds its name table from every `MP_BC_*` class attribute, so
            // these unused bytes get the names of group bases and counts.
            0x00 => "BASE_RESERVED",
            0x04 => "UNARY_OP_MULTI_NUM",
            0x60 => "BASE_BYTE_E",
            _ => opcode::name(op),
        }),
    }
}

/// Counts the bytes written through it, for `%-11s`-style padding.
struct Counting<'w> {
    out: &'w mut dyn Write,
    n: usize,
}

impl Write for Counting<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.n += s.chars().count();
        self.out.write_str(s)
    }
}

/// `binascii.hexlify(b, ":")`.
fn write_hex(out: &mut dyn Write, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.write_char(':')?;
        }
        write!(out, "{b:02x}")?;
    }
    Ok(())
}

struct Disassembler<'f, 'a, 'w> {
    file: &'f MpyFile<'a>,
    out: &'w mut dyn Write,
}

impl<'a> Disassembler<'_, 'a, '_> {
    fn qstr_str(&self, index: usize) -> Option<&'a str> {
        self.file.qstr(index).map(|q| q.as_str())
    }

    fn module(&mut self) -> Result<(), DisasmError> {
        let file = self.file;
        let header = file.header();
        writeln!(self.out, "source_file: {}", file.source_file().as_str())?;
        self.out.write_str("header: ")?;
        write_hex(self.out, &header.to_bytes())?;
        // mpy-tool.py knows the arches up to RV64IMC.
        let arch = match header.arch() {
            Some(a) if (a as u8) <= crate::mpy::Arch::Rv64imc as u8 => a.name(),
            _ => "UNKNOWN",
        };
        write!(self.out, "\narch: {arch}\n")?;
        if let Some(flags) = file.arch_flags() {
            writeln!(self.out, "arch_flags: {flags:#x}")?;
        }
        writeln!(self.out, "qstr_table[{}]:", file.qstr_count())?;
        for q in file.qstrs() {
            writeln!(self.out, "    {}", q.as_str())?;
        }
        self.out.write_str("obj_table: [")?;
        for (i, c) in file.consts().enumerate() {
            if i > 0 {
                self.out.write_str(", ")?;
            }
            write_const(self.out, c)?;
        }
        self.out.write_str("]\n")?;
        // Raw codes in file order is the order mpy-tool.py's recursion prints them. It
        // does not descend into viper and asm code, so their children are not printed.
        let mut hidden_below: Option<usize> = None;
        for rc in file.raw_codes() {
            match hidden_below {
                Some(depth) if rc.depth() > depth => continue,
                _ => hidden_below = None,
            }
            self.raw_code(&rc)?;
            if rc.prelude().is_none() {
                hidden_below = Some(rc.depth());
            }
        }
        Ok(())
    }

    fn raw_code(&mut self, rc: &RawCode<'a>) -> Result<(), DisasmError> {
        let name = self.qstr_str(rc.name_index()).unwrap_or("");
        writeln!(self.out, "simple_name: {name}")?;
        let fun_data = rc.fun_data();
        if rc.kind() == CodeKind::Bytecode {
            write!(self.out, "  raw bytecode: {} ", fun_data.len())?;
            write_hex(self.out, fun_data)?;
            self.out.write_char('\n')?;
        } else {
            write!(self.out, "  raw data: {} ", fun_data.len())?;
            write_hex(self.out, &fun_data[..fun_data.len().min(32)])?;
            self.out
                .write_str(if fun_data.len() > 32 { " ...\n" } else { " \n" })?;
        }
        let Some(prelude) = rc.prelude() else {
            // Viper and asm code: mpy-tool.py prints neither prelude nor children.
            return Ok(());
        };
        let s = prelude.signature;
        writeln!(
            self.out,
            "  prelude: ({}, {}, {}, {}, {}, {})",
            s.n_state,
            s.n_exc_stack,
            s.scope_flags,
            s.n_pos_args,
            s.n_kwonly_args,
            s.n_def_pos_args
        )?;
        self.out.write_str("  args: [")?;
        for (i, q) in prelude.arg_names().enumerate() {
            if i > 0 {
                self.out.write_str(", ")?;
            }
            let arg = self.qstr_str(q).unwrap_or("");
            pyrepr::write_str(self.out, arg)?;
        }
        self.out.write_str("]\n  line info: ")?;
        let line_info = &fun_data[prelude.line_info_offset..prelude.opcodes_offset];
        if let NativeInfo::Py { prelude_offset } = rc.native() {
            pyrepr::write_bytes(self.out, line_info)?;
            self.out.write_char('\n')?;
            for chunk in fun_data[..prelude_offset].chunks(16) {
                self.out.write_str("  ")?;
                write_hex(self.out, chunk)?;
                self.out.write_char('\n')?;
            }
        } else {
            write_hex(self.out, line_info)?;
            self.out.write_char('\n')?;
            self.code(rc, prelude.opcodes_offset)?;
        }
        self.out.write_str("  children: [")?;
        for (i, child) in rc.children().enumerate() {
            if i > 0 {
                self.out.write_str(", ")?;
            }
            let child_name = self.qstr_str(child.name_index()).unwrap_or("");
            self.out.write_str(child_name)?;
        }
        self.out.write_str("]\n")?;
        Ok(())
    }

    fn code(&mut self, rc: &RawCode<'a>, start: usize) -> Result<(), DisasmError> {
        let fun_data = rc.fun_data();
        let mut pos = start;
        while pos < fun_data.len() {
            let insn = insn::decode(fun_data, pos).map_err(|error| DisasmError::Insn {
                fun_data_offset: rc.fun_data_offset(),
                error,
            })?;
            let file_offset = rc.fun_data_offset() + pos;
            // "  %-11s %s" % (hex, name), then " " and the argument.
            self.out.write_str("  ")?;
            let mut hex = Counting {
                out: self.out,
                n: 0,
            };
            write_hex(&mut hex, &fun_data[pos..insn.end()])?;
            let width = hex.n;
            for _ in width..11 {
                self.out.write_char(' ')?;
            }
            self.out.write_char(' ')?;
            write_opcode_name(self.out, insn.op)?;
            self.out.write_char(' ')?;
            match (insn.arg, opcode::format(insn.op)) {
                (Arg::Uint(i), _) if insn.op == opcode::LOAD_CONST_OBJ => {
                    let c = usize::try_from(i)
                        .ok()
                        .and_then(|i| self.file.constant(i))
                        .ok_or(DisasmError::ConstIndexOutOfRange {
                            offset: file_offset,
                            index: i,
                        })?;
                    write_const(self.out, c)?;
                }
                (Arg::Uint(i), OpFormat::Qstr) => {
                    let q = usize::try_from(i)
                        .ok()
                        .and_then(|i| self.qstr_str(i))
                        .ok_or(DisasmError::QstrIndexOutOfRange {
                            offset: file_offset,
                            index: i,
                        })?;
                    self.out.write_str(q)?;
                }
                (Arg::Uint(v), _) => write!(self.out, "{v}")?,
                (Arg::Int(v), _) => write!(self.out, "{v}")?,
                (Arg::Offset(v), _) => write!(self.out, "{v}")?,
                (Arg::None, _) => {}
            }
            self.out.write_char('\n')?;
            pos = insn.end();
        }
        Ok(())
    }
}

/// `repr()` of a constant, as `mpy-tool.py` prints it after loading it into Python.
fn write_const(out: &mut dyn Write, c: Const<'_>) -> fmt::Result {
    match c {
        Const::FunTable => out.write_str("mp_fun_table"),
        Const::None => out.write_str("None"),
        Const::False => out.write_str("False"),
        Const::True => out.write_str("True"),
        Const::Ellipsis => out.write_str("Ellipsis"),
        Const::Str(s) => pyrepr::write_str(out, s),
        Const::Bytes(b) => pyrepr::write_bytes(out, b),
        Const::Int(t) => pyrepr::write_int(out, t),
        Const::Float(t) => match pyrepr::parse_float(t) {
            Some(x) => pyrepr::write_float(out, x),
            None => out.write_str(t),
        },
        Const::Complex(t) => {
            let parsed = crate::mpy::split_complex(t).and_then(|(re, im)| {
                let re = match re {
                    Some(r) => pyrepr::parse_float(r)?,
                    None => 0.0,
                };
                let im = match im {
                    Some(i) => pyrepr::parse_float(i)?,
                    None => 0.0,
                };
                Some((re, im))
            });
            match parsed {
                Some((re, im)) => pyrepr::write_complex(out, re, im),
                None => out.write_str(t),
            }
        }
        Const::Tuple(t) => {
            out.write_char('(')?;
            for (i, item) in t.iter().enumerate() {
                if i > 0 {
                    out.write_str(", ")?;
                }
                write_const(out, item)?;
            }
            out.write_str(if t.len() == 1 { ",)" } else { ")" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_sizes_stay_small() {
        assert!(core::mem::size_of::<ReadError>() <= 24);
        assert!(core::mem::size_of::<DisasmError>() <= 32);
    }

    #[test]
    fn opcode_names_as_mpy_tool_prints_them() {
        let name = |op| {
            let mut s = std::string::String::new();
            write_opcode_name(&mut s, op).unwrap();
            s
        };
        assert_eq!(name(0x70), "LOAD_CONST_SMALL_INT -16");
        assert_eq!(name(0xd3), "UNARY_OP 3 <not>");
        assert_eq!(name(0xf9), "BINARY_OP 34 __pow__");
        assert_eq!(name(0x04), "UNARY_OP_MULTI_NUM");
        assert_eq!(name(0xd4), "unknown");
    }
}
