//! A zero-copy, allocation-free reader for `.mpy` v6.x files.
//!
//! Corresponds to the loading half of MicroPython's `py/persistentcode.c`
//! (`mp_raw_code_load`, `load_raw_code`, `load_qstr`, `load_obj`, `mp_native_relocate`).
//!
//! [`MpyFile::parse`] walks and validates the whole file once; afterwards every view
//! ([`Qstrs`], [`Consts`], [`RawCode::children`], [`RawCodes`]) re-decodes on demand from
//! the borrowed bytes and cannot fail. Recursion is replaced by fixed-size stacks, bounded
//! by [`MAX_CONST_DEPTH`] and [`MAX_RAW_CODE_DEPTH`]; every loop consumes input, so
//! parsing terminates on any input.
//!
//! Differences from MicroPython's loader (all of them stricter, never more permissive on
//! files MicroPython writes):
//! - the file must end exactly after the raw-code tree;
//! - str and bytes constants and inline qstrs must be NUL-terminated, and str/qstr data
//!   must be UTF-8;
//! - int constants must be `-?[0-9]+`, float and complex constants must look like the
//!   text MicroPython's `repr` writes;
//! - bytecode and native-Python preludes are checked to fit their function data and to
//!   reference qstrs inside the table; the qstr table must not be empty;
//! - the bytecode itself (opcodes) is not checked here: see [`crate::insn`].
//!
//! Viper relocation streams are read after the raw code's children, as MicroPython's
//! loader does (`mpy-tool.py` reads them before; no tool writes both).

use super::{obj, static_qstr, CodeKind, Header, HEADER_LEN, MAGIC, VERSION};
use crate::prelude::{
    PreludeError, Signature, Size, SCOPE_FLAG_VIPERBSS, SCOPE_FLAG_VIPERRELOC,
    SCOPE_FLAG_VIPERRODATA,
};
use crate::vuint::{self, VuintError};
use core::fmt;

/// Deepest nesting of tuple constants accepted.
pub const MAX_CONST_DEPTH: usize = 32;
/// Deepest nesting of raw codes accepted (the module is depth 0).
pub const MAX_RAW_CODE_DEPTH: usize = 64;

/// The part of the file being read when an error occurred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// The four header bytes.
    Header,
    /// The arch-flags vuint.
    ArchFlags,
    /// The qstr count.
    QstrCount,
    /// The constant count.
    ConstCount,
    /// A qstr-table entry.
    Qstr,
    /// A constant.
    Const,
    /// A raw-code header vuint.
    RawCodeHeader,
    /// A raw code's function data.
    FunData,
    /// The prelude offset of native Python code.
    PreludeOffset,
    /// The scope flags of viper or asm code.
    NativeScopeFlags,
    /// The argument count of asm code.
    AsmArgCount,
    /// The type signature of asm code.
    AsmTypeSig,
    /// The rodata size of viper code.
    ViperRodataSize,
    /// The bss size of viper code.
    ViperBssSize,
    /// The rodata of viper code.
    ViperRodata,
    /// The relocation stream of viper code.
    ViperRelocations,
    /// A raw code's child count.
    ChildCount,
}

impl Section {
    fn as_str(self) -> &'static str {
        match self {
            Section::Header => "header",
            Section::ArchFlags => "arch flags",
            Section::QstrCount => "qstr count",
            Section::ConstCount => "constant count",
            Section::Qstr => "qstr",
            Section::Const => "constant",
            Section::RawCodeHeader => "raw code header",
            Section::FunData => "function data",
            Section::PreludeOffset => "native prelude offset",
            Section::NativeScopeFlags => "native scope flags",
            Section::AsmArgCount => "asm argument count",
            Section::AsmTypeSig => "asm type signature",
            Section::ViperRodataSize => "viper rodata size",
            Section::ViperBssSize => "viper bss size",
            Section::ViperRodata => "viper rodata",
            Section::ViperRelocations => "viper relocations",
            Section::ChildCount => "child count",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a `.mpy` file was rejected. Offsets are byte offsets into the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The file ends inside `section`.
    UnexpectedEnd {
        /// What was being read.
        section: Section,
        /// Where that item starts.
        offset: usize,
    },
    /// A vuint in `section` does not fit in 64 bits.
    VuintOverflow {
        /// What was being read.
        section: Section,
        /// Where the vuint starts.
        offset: usize,
    },
    /// The first byte is not `'M'`.
    BadMagic {
        /// The byte found.
        found: u8,
    },
    /// The major version is not 6.
    UnsupportedVersion {
        /// The version found.
        found: u8,
    },
    /// The qstr table is empty (entry 0 must name the source file).
    EmptyQstrTable,
    /// A static qstr id is 0 or past the static qstr list.
    StaticQstrOutOfRange {
        /// Where the entry starts.
        offset: usize,
        /// The id found.
        id: u64,
    },
    /// Str or qstr data is not valid UTF-8.
    InvalidUtf8 {
        /// Where the data starts.
        offset: usize,
    },
    /// Str, bytes or qstr data is not followed by a NUL byte.
    MissingNul {
        /// Where the NUL was expected.
        offset: usize,
    },
    /// A constant has an unknown type tag.
    UnknownConstTag {
        /// Where the constant starts.
        offset: usize,
        /// The tag found.
        tag: u8,
    },
    /// An int, float or complex constant's text is malformed.
    InvalidNumber {
        /// Where the constant starts.
        offset: usize,
        /// Its type tag.
        tag: u8,
    },
    /// Tuple constants are nested deeper than [`MAX_CONST_DEPTH`].
    ConstNestingTooDeep {
        /// Where the innermost rejected tuple starts.
        offset: usize,
    },
    /// Raw codes are nested deeper than [`MAX_RAW_CODE_DEPTH`].
    RawCodeNestingTooDeep {
        /// Where the rejected raw code starts.
        offset: usize,
    },
    /// A prelude cannot be decoded.
    BadPrelude {
        /// Where the raw code's function data starts.
        offset: usize,
        /// The decoding problem.
        error: PreludeError,
    },
    /// A native prelude offset points past the function data.
    PreludeOffsetOutOfRange {
        /// Where the raw code's function data starts.
        offset: usize,
        /// The offset found.
        prelude_offset: u64,
    },
    /// The function and argument names run past the prelude's source-info section.
    PreludeNamesOverrun {
        /// Where the raw code's function data starts.
        offset: usize,
    },
    /// The prelude's source-info and closure sections run past the function data.
    PreludeSectionsOverrun {
        /// Where the raw code's function data starts.
        offset: usize,
    },
    /// A prelude name references a qstr index past the qstr table.
    QstrIndexOutOfRange {
        /// Where the raw code's function data starts.
        offset: usize,
        /// The index found.
        index: u64,
    },
    /// Bytes follow the raw-code tree.
    TrailingBytes {
        /// Where they start.
        offset: usize,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ReadError::UnexpectedEnd { section, offset } => {
                write!(f, "file ends inside the {section} at offset {offset}")
            }
            ReadError::VuintOverflow { section, offset } => {
                write!(f, "integer in the {section} at offset {offset} does not fit in 64 bits")
            }
            ReadError::BadMagic { found } => {
                write!(f, "not a .mpy file (first byte is 0x{found:02x}, expected 0x4d 'M')")
            }
            ReadError::UnsupportedVersion { found } => {
                write!(f, "unsupported .mpy version {found} (expected {VERSION})")
            }
            ReadError::EmptyQstrTable => f.write_str("the qstr table is empty"),
            ReadError::StaticQstrOutOfRange { offset, id } => {
                write!(f, "static qstr id {id} at offset {offset} is not a static qstr")
            }
            ReadError::InvalidUtf8 { offset } => write!(f, "string at offset {offset} is not UTF-8"),
            ReadError::MissingNul { offset } => {
                write!(f, "string at offset {offset} is not NUL-terminated")
            }
            ReadError::UnknownConstTag { offset, tag } => {
                write!(f, "constant at offset {offset} has unknown type tag {tag}")
            }
            ReadError::InvalidNumber { offset, tag } => {
                let kind = match tag {
                    obj::INT => "int",
                    obj::FLOAT => "float",
                    _ => "complex",
                };
                write!(f, "{kind} constant at offset {offset} is malformed")
            }
            ReadError::ConstNestingTooDeep { offset } => write!(
                f,
                "tuple constant at offset {offset} is nested deeper than {MAX_CONST_DEPTH} levels"
            ),
            ReadError::RawCodeNestingTooDeep { offset } => write!(
                f,
                "raw code at offset {offset} is nested deeper than {MAX_RAW_CODE_DEPTH} levels"
            ),
            ReadError::BadPrelude { offset, error } => {
                write!(f, "prelude of the function data at offset {offset}: {error}")
            }
            ReadError::PreludeOffsetOutOfRange { offset, prelude_offset } => write!(
                f,
                "native prelude offset {prelude_offset} is outside the function data at offset {offset}"
            ),
            ReadError::PreludeNamesOverrun { offset } => write!(
                f,
                "names run past the source info in the prelude of the function data at offset {offset}"
            ),
            ReadError::PreludeSectionsOverrun { offset } => write!(
                f,
                "prelude sections run past the function data at offset {offset}"
            ),
            ReadError::QstrIndexOutOfRange { offset, index } => write!(
                f,
                "prelude of the function data at offset {offset} references qstr {index}, past the qstr table"
            ),
            ReadError::TrailingBytes { offset } => {
                write!(f, "unexpected bytes after the last raw code at offset {offset}")
            }
        }
    }
}

/// Bounds-checked reading position.
#[derive(Clone)]
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn byte(&mut self, section: Section, item: usize) -> Result<u8, ReadError> {
        let b = *self.data.get(self.pos).ok_or(ReadError::UnexpectedEnd {
            section,
            offset: item,
        })?;
        self.pos += 1;
        Ok(b)
    }

    fn vuint(&mut self, section: Section) -> Result<u64, ReadError> {
        let offset = self.pos;
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        match vuint::decode(rest) {
            Ok((v, n)) => {
                self.pos += n;
                Ok(v)
            }
            Err(VuintError::Truncated) => Err(ReadError::UnexpectedEnd { section, offset }),
            Err(VuintError::Overflow) => Err(ReadError::VuintOverflow { section, offset }),
        }
    }

    /// A vuint giving a length or count of items, each at least `min_item_len` bytes, that
    /// must still fit in the rest of the input.
    fn count(
        &mut self,
        section: Section,
        min_item_len: usize,
        item: usize,
    ) -> Result<usize, ReadError> {
        let v = self.vuint(section)?;
        let max = (self.remaining() / min_item_len.max(1)) as u64;
        if v > max {
            return Err(ReadError::UnexpectedEnd {
                section,
                offset: item,
            });
        }
        Ok(v as usize)
    }

    fn bytes(&mut self, len: usize, section: Section, item: usize) -> Result<&'a [u8], ReadError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.data.len())
            .ok_or(ReadError::UnexpectedEnd {
                section,
                offset: item,
            })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// `len` bytes followed by a NUL.
    fn nul_terminated(
        &mut self,
        len: usize,
        section: Section,
        item: usize,
    ) -> Result<&'a [u8], ReadError> {
        let s = self.bytes(len, section, item)?;
        let nul_at = self.pos;
        if self.byte(section, item)? != 0 {
            return Err(ReadError::MissingNul { offset: nul_at });
        }
        Ok(s)
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<&str, ReadError> {
    core::str::from_utf8(bytes).map_err(|_| ReadError::InvalidUtf8 { offset })
}

/// An entry of the qstr table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qstr<'a> {
    /// A static qstr, by id (see [`super::STATIC_QSTRS`]).
    Static(usize),
    /// A qstr stored in the file.
    Inline(&'a str),
}

impl<'a> Qstr<'a> {
    /// The qstr's text.
    pub fn as_str(&self) -> &'a str {
        match *self {
            Qstr::Static(id) => static_qstr(id).unwrap_or(""),
            Qstr::Inline(s) => s,
        }
    }
}

fn read_qstr<'a>(c: &mut Cursor<'a>) -> Result<Qstr<'a>, ReadError> {
    let item = c.pos;
    let v = c.vuint(Section::Qstr)?;
    if v & 1 == 1 {
        let id = v >> 1;
        return match usize::try_from(id)
            .ok()
            .filter(|&i| static_qstr(i).is_some())
        {
            Some(id) => Ok(Qstr::Static(id)),
            None => Err(ReadError::StaticQstrOutOfRange { offset: item, id }),
        };
    }
    let len = usize::try_from(v >> 1).map_err(|_| ReadError::UnexpectedEnd {
        section: Section::Qstr,
        offset: item,
    })?;
    let start = c.pos;
    let bytes = c.nul_terminated(len, Section::Qstr, item)?;
    Ok(Qstr::Inline(utf8(bytes, start)?))
}

/// A constant of the constant table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Const<'a> {
    /// The native function table (only in files with native code).
    FunTable,
    /// `None`.
    None,
    /// `False`.
    False,
    /// `True`.
    True,
    /// `...`.
    Ellipsis,
    /// A str.
    Str(&'a str),
    /// A bytes object.
    Bytes(&'a [u8]),
    /// An int, as decimal text (`-?[0-9]+`).
    Int(&'a str),
    /// A float, as the text MicroPython's `repr` wrote.
    Float(&'a str),
    /// A complex, as the text MicroPython's `repr` wrote (`2j`, `(1+2j)`).
    Complex(&'a str),
    /// A tuple of constants.
    Tuple(Tuple<'a>),
}

/// A tuple constant: its items, decoded on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple<'a> {
    len: usize,
    items: &'a [u8],
}

impl<'a> Tuple<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tuple is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The items.
    pub fn iter(&self) -> TupleItems<'a> {
        TupleItems {
            cursor: Cursor::new(self.items, 0),
            remaining: self.len,
        }
    }
}

/// Iterator over the items of a [`Tuple`].
#[derive(Clone)]
pub struct TupleItems<'a> {
    cursor: Cursor<'a>,
    remaining: usize,
}

impl<'a> Iterator for TupleItems<'a> {
    type Item = Const<'a>;

    fn next(&mut self) -> Option<Const<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        // Validated by `MpyFile::parse`; an error here cannot happen, so end quietly.
        read_const(&mut self.cursor).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

fn is_digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// `-?[0-9]+`
fn is_int_text(s: &[u8]) -> bool {
    is_digits(s.strip_prefix(b"-").unwrap_or(s))
}

/// A float without sign: `inf`, `nan`, or digits with optional point and exponent.
fn is_unsigned_float_text(s: &[u8]) -> bool {
    if s.eq_ignore_ascii_case(b"inf")
        || s.eq_ignore_ascii_case(b"nan")
        || s.eq_ignore_ascii_case(b"infinity")
    {
        return true;
    }
    let (mantissa, exponent) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => {
            let (int, frac) = (&mantissa[..i], &mantissa[i + 1..]);
            (is_digits(int) || int.is_empty())
                && (is_digits(frac) || frac.is_empty())
                && !(int.is_empty() && frac.is_empty())
        }
        None => is_digits(mantissa),
    };
    let exponent_ok = match exponent {
        Some(e) => is_digits(
            e.strip_prefix(b"+")
                .or_else(|| e.strip_prefix(b"-"))
                .unwrap_or(e),
        ),
        None => true,
    };
    mantissa_ok && exponent_ok
}

fn is_float_text(s: &[u8]) -> bool {
    let unsigned = s
        .strip_prefix(b"+")
        .or_else(|| s.strip_prefix(b"-"))
        .unwrap_or(s);
    is_unsigned_float_text(unsigned)
}

/// Split complex text (`2j`, `(1+2j)`, `(-0-1.5e+20j)`, `1.5`) into its optional real part
/// and its imaginary part (with sign, without `j`), or `(real, None)` when there is no
/// imaginary part. Returns `None` if the text is not of that shape.
pub(crate) fn split_complex(s: &str) -> Option<(Option<&str>, Option<&str>)> {
    let s = match (s.strip_prefix('('), s.strip_suffix(')')) {
        (Some(_), Some(_)) if s.len() >= 2 => &s[1..s.len() - 1],
        (None, None) => s,
        _ => return None,
    };
    let b = s.as_bytes();
    let Some(body) = s.strip_suffix('j').or_else(|| s.strip_suffix('J')) else {
        return is_float_text(b).then_some((Some(s), None));
    };
    let bb = body.as_bytes();
    let split = (1..bb.len())
        .rev()
        .find(|&i| (bb[i] == b'+' || bb[i] == b'-') && !matches!(bb[i - 1], b'e' | b'E'));
    match split {
        Some(i) => {
            let (re, im) = (&body[..i], &body[i..]);
            (is_float_text(re.as_bytes()) && is_unsigned_float_text(&im.as_bytes()[1..]))
                .then_some((Some(re), Some(im)))
        }
        None => is_float_text(bb).then_some((None, Some(body))),
    }
}

fn read_const<'a>(c: &mut Cursor<'a>) -> Result<Const<'a>, ReadError> {
    let item = c.pos;
    let tag = c.byte(Section::Const, item)?;
    if tag != obj::TUPLE {
        return read_leaf(c, tag, item);
    }
    let len = c.count(Section::Const, 1, item)?;
    let start = c.pos;
    skip_const_items(c, len)?;
    Ok(Const::Tuple(Tuple {
        len,
        items: &c.data[start..c.pos],
    }))
}

/// Skip `n` constants, the items of a tuple at nesting depth 1.
fn skip_const_items(c: &mut Cursor<'_>, n: usize) -> Result<(), ReadError> {
    let mut stack = [0usize; MAX_CONST_DEPTH];
    let mut depth = 0;
    let mut remaining = n;
    loop {
        if remaining == 0 {
            if depth == 0 {
                return Ok(());
            }
            depth -= 1;
            remaining = stack[depth];
            continue;
        }
        remaining -= 1;
        let item = c.pos;
        let tag = c.byte(Section::Const, item)?;
        if tag == obj::TUPLE {
            // The enclosing tuple is level 1; this one is level depth + 2.
            if depth + 2 > MAX_CONST_DEPTH {
                return Err(ReadError::ConstNestingTooDeep { offset: item });
            }
            let len = c.count(Section::Const, 1, item)?;
            stack[depth] = remaining;
            depth += 1;
            remaining = len;
        } else {
            read_leaf(c, tag, item)?;
        }
    }
}

fn read_leaf<'a>(c: &mut Cursor<'a>, tag: u8, item: usize) -> Result<Const<'a>, ReadError> {
    Ok(match tag {
        obj::FUN_TABLE => Const::FunTable,
        obj::NONE => Const::None,
        obj::FALSE => Const::False,
        obj::TRUE => Const::True,
        obj::ELLIPSIS => Const::Ellipsis,
        obj::STR => {
            let len = c.count(Section::Const, 1, item)?;
            let start = c.pos;
            Const::Str(utf8(c.nul_terminated(len, Section::Const, item)?, start)?)
        }
        obj::BYTES => {
            let len = c.count(Section::Const, 1, item)?;
            Const::Bytes(c.nul_terminated(len, Section::Const, item)?)
        }
        obj::INT | obj::FLOAT | obj::COMPLEX => {
            let len = c.count(Section::Const, 1, item)?;
            let text = c.bytes(len, Section::Const, item)?;
            let bad = ReadError::InvalidNumber { offset: item, tag };
            let ok = match tag {
                obj::INT => is_int_text(text),
                obj::FLOAT => is_float_text(text),
                _ => core::str::from_utf8(text)
                    .ok()
                    .and_then(split_complex)
                    .is_some_and(|(_, im)| im.is_some()),
            };
            if !ok {
                return Err(bad);
            }
            // Checked to be ASCII above.
            let text = core::str::from_utf8(text).map_err(|_| bad)?;
            match tag {
                obj::INT => Const::Int(text),
                obj::FLOAT => Const::Float(text),
                _ => Const::Complex(text),
            }
        }
        _ => return Err(ReadError::UnknownConstTag { offset: item, tag }),
    })
}

/// Extra sections stored after the function data of native code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeInfo<'a> {
    /// Bytecode: nothing extra.
    None,
    /// Native Python: where the prelude starts in the function data.
    Py {
        /// Offset of the prelude within the function data.
        prelude_offset: usize,
    },
    /// Viper code.
    Viper {
        /// Scope flags (`MP_SCOPE_FLAG_VIPER*` say which sections follow).
        scope_flags: u64,
        /// Read-only data.
        rodata: &'a [u8],
        /// Size of the zero-initialised data.
        bss_size: u64,
        /// The relocation stream, including its 0xff terminator (empty if none).
        relocations: &'a [u8],
    },
    /// Inline assembler.
    Asm {
        /// Scope flags.
        scope_flags: u64,
        /// Number of positional arguments.
        n_pos_args: u64,
        /// Type signature.
        type_sig: u64,
    },
}

/// A decoded bytecode (or native-Python) prelude.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prelude<'a> {
    /// The signature.
    pub signature: Signature,
    /// The section sizes.
    pub size: Size,
    /// Qstr index of the function's name.
    pub name: usize,
    /// Offset of the prelude in the function data (0 for bytecode).
    pub prelude_offset: usize,
    /// Offset of the source-info section (the name) in the function data.
    pub source_info_offset: usize,
    /// Offset of the line-number table in the function data (after the names).
    pub line_info_offset: usize,
    /// Offset of the closure section in the function data.
    pub closure_offset: usize,
    /// Offset of the first opcode in the function data.
    pub opcodes_offset: usize,
    arg_names: &'a [u8],
    n_args: usize,
    fun_data: &'a [u8],
}

impl<'a> Prelude<'a> {
    /// Qstr indexes of the parameters: positional, then keyword-only.
    pub fn arg_names(&self) -> ArgNames<'a> {
        ArgNames {
            data: self.arg_names,
            remaining: self.n_args,
        }
    }

    /// The line-number table (see [`crate::prelude::LineInfo`]).
    pub fn line_info(&self) -> &'a [u8] {
        &self.fun_data[self.line_info_offset..self.closure_offset]
    }

    /// Local numbers of the cells to create (one byte each).
    pub fn closure(&self) -> &'a [u8] {
        &self.fun_data[self.closure_offset..self.opcodes_offset]
    }

    /// The opcodes (for bytecode: everything after the prelude).
    pub fn code(&self) -> &'a [u8] {
        &self.fun_data[self.opcodes_offset..]
    }
}

/// Iterator over the argument-name qstr indexes of a [`Prelude`].
#[derive(Clone, Debug)]
pub struct ArgNames<'a> {
    data: &'a [u8],
    remaining: usize,
}

impl Iterator for ArgNames<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let (v, n) = vuint::decode(self.data).ok()?;
        self.data = &self.data[n..];
        usize::try_from(v).ok()
    }
}

fn parse_prelude<'a>(
    fun_data: &'a [u8],
    prelude_offset: usize,
    n_qstr: usize,
    offset: usize,
) -> Result<Prelude<'a>, ReadError> {
    let bad = |error| ReadError::BadPrelude { offset, error };
    let rest = fun_data
        .get(prelude_offset..)
        .ok_or(ReadError::PreludeOffsetOutOfRange {
            offset,
            prelude_offset: prelude_offset as u64,
        })?;
    let (signature, n_sig) = Signature::decode(rest).map_err(bad)?;
    let (size, n_size) = Size::decode(&rest[n_sig..]).map_err(bad)?;
    let source_info_offset = prelude_offset + n_sig + n_size;
    let overrun = ReadError::PreludeSectionsOverrun { offset };
    let closure_offset = source_info_offset
        .checked_add(size.n_info as usize)
        .ok_or(overrun)?;
    let opcodes_offset = closure_offset
        .checked_add(size.n_cell as usize)
        .ok_or(overrun)?;
    if opcodes_offset > fun_data.len() {
        return Err(overrun);
    }
    let info = &fun_data[source_info_offset..closure_offset];
    let n_args = (signature.n_pos_args as usize).saturating_add(signature.n_kwonly_args as usize);
    let mut pos = 0;
    let mut name = 0;
    let mut arg_names_start = 0;
    // Name plus arguments; each takes at least one byte, so a huge count fails fast.
    for i in 0..=n_args {
        let (index, n) = vuint::decode(&info[pos..]).map_err(|e| match e {
            VuintError::Truncated => ReadError::PreludeNamesOverrun { offset },
            VuintError::Overflow => ReadError::QstrIndexOutOfRange {
                offset,
                index: u64::MAX,
            },
        })?;
        if index >= n_qstr as u64 {
            return Err(ReadError::QstrIndexOutOfRange { offset, index });
        }
        pos += n;
        if i == 0 {
            name = index as usize;
            arg_names_start = pos;
        }
    }
    Ok(Prelude {
        signature,
        size,
        name,
        prelude_offset,
        source_info_offset,
        line_info_offset: source_info_offset + pos,
        closure_offset,
        opcodes_offset,
        arg_names: &info[arg_names_start..pos],
        n_args,
        fun_data,
    })
}

/// The part of a raw code before its children.
struct Head<'a> {
    offset: usize,
    kind: CodeKind,
    fun_data: &'a [u8],
    fun_data_offset: usize,
    native: NativeInfo<'a>,
    n_children: usize,
    children_offset: usize,
}

impl Head<'_> {
    fn has_relocations(&self) -> bool {
        matches!(self.native, NativeInfo::Viper { scope_flags, .. } if scope_flags & u64::from(SCOPE_FLAG_VIPERRELOC) != 0)
    }
}

fn read_head<'a>(c: &mut Cursor<'a>, n_qstr: usize) -> Result<Head<'a>, ReadError> {
    let offset = c.pos;
    let kind_len = c.vuint(Section::RawCodeHeader)?;
    let kind = CodeKind::from_header_bits(kind_len as u8);
    let has_children = kind_len & 4 != 0;
    let fun_data_offset = c.pos;
    let len = usize::try_from(kind_len >> 3).map_err(|_| ReadError::UnexpectedEnd {
        section: Section::FunData,
        offset: fun_data_offset,
    })?;
    let fun_data = c.bytes(len, Section::FunData, fun_data_offset)?;
    let native = match kind {
        CodeKind::Bytecode => {
            parse_prelude(fun_data, 0, n_qstr, fun_data_offset)?;
            NativeInfo::None
        }
        CodeKind::NativePy => {
            let v = c.vuint(Section::PreludeOffset)?;
            let prelude_offset = usize::try_from(v)
                .ok()
                .filter(|&p| p <= fun_data.len())
                .ok_or(ReadError::PreludeOffsetOutOfRange {
                    offset: fun_data_offset,
                    prelude_offset: v,
                })?;
            parse_prelude(fun_data, prelude_offset, n_qstr, fun_data_offset)?;
            NativeInfo::Py { prelude_offset }
        }
        CodeKind::NativeViper => {
            let scope_flags = c.vuint(Section::NativeScopeFlags)?;
            let rodata_size = if scope_flags & u64::from(SCOPE_FLAG_VIPERRODATA) != 0 {
                let item = c.pos;
                Some((c.vuint(Section::ViperRodataSize)?, item))
            } else {
                None
            };
            let bss_size = if scope_flags & u64::from(SCOPE_FLAG_VIPERBSS) != 0 {
                c.vuint(Section::ViperBssSize)?
            } else {
                0
            };
            let rodata = match rodata_size {
                Some((size, item)) => {
                    let size = usize::try_from(size).map_err(|_| ReadError::UnexpectedEnd {
                        section: Section::ViperRodata,
                        offset: item,
                    })?;
                    c.bytes(size, Section::ViperRodata, item)?
                }
                None => &[],
            };
            NativeInfo::Viper {
                scope_flags,
                rodata,
                bss_size,
                relocations: &[],
            }
        }
        CodeKind::NativeAsm => NativeInfo::Asm {
            scope_flags: c.vuint(Section::NativeScopeFlags)?,
            n_pos_args: c.vuint(Section::AsmArgCount)?,
            type_sig: c.vuint(Section::AsmTypeSig)?,
        },
    };
    let n_children = if has_children {
        c.count(Section::ChildCount, 1, c.pos)?
    } else {
        0
    };
    Ok(Head {
        offset,
        kind,
        fun_data,
        fun_data_offset,
        native,
        n_children,
        children_offset: c.pos,
    })
}

/// Skip a viper relocation stream up to and including its 0xff terminator.
fn skip_relocations(c: &mut Cursor<'_>) -> Result<(), ReadError> {
    let item = c.pos;
    loop {
        let mut op = c.byte(Section::ViperRelocations, item)?;
        if op == 0xff {
            return Ok(());
        }
        if op & 1 != 0 {
            c.vuint(Section::ViperRelocations)?;
        }
        op >>= 1;
        if op <= 5 && op & 1 != 0 {
            c.vuint(Section::ViperRelocations)?;
        }
    }
}

/// Read and validate the raw code at the cursor and its whole subtree; the first raw code
/// has nesting depth `base_depth`.
fn walk(c: &mut Cursor<'_>, n_qstr: usize, base_depth: usize) -> Result<(), ReadError> {
    // Per open raw code: children still to read, and whether relocations follow them.
    let mut stack = [(0usize, false); MAX_RAW_CODE_DEPTH];
    let mut depth = 0;
    loop {
        if depth > 0 {
            let (remaining, relocs) = &mut stack[depth - 1];
            if *remaining == 0 {
                if *relocs {
                    skip_relocations(c)?;
                }
                depth -= 1;
                if depth == 0 {
                    return Ok(());
                }
                continue;
            }
            *remaining -= 1;
        }
        if base_depth + depth >= MAX_RAW_CODE_DEPTH {
            return Err(ReadError::RawCodeNestingTooDeep { offset: c.pos });
        }
        let head = read_head(c, n_qstr)?;
        stack[depth] = (head.n_children, head.has_relocations());
        depth += 1;
    }
}

/// A raw code: one function's code, with its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawCode<'a> {
    file: &'a [u8],
    n_qstr: usize,
    depth: usize,
    offset: usize,
    kind: CodeKind,
    fun_data: &'a [u8],
    fun_data_offset: usize,
    native: NativeInfo<'a>,
    n_children: usize,
    children_offset: usize,
    end: usize,
}

impl<'a> RawCode<'a> {
    /// Decode the raw code starting at `offset` of a validated file.
    fn at(
        file: &'a [u8],
        offset: usize,
        n_qstr: usize,
        depth: usize,
    ) -> Result<RawCode<'a>, ReadError> {
        let mut c = Cursor::new(file, offset);
        let mut head = read_head(&mut c, n_qstr)?;
        for _ in 0..head.n_children {
            walk(&mut c, n_qstr, depth + 1)?;
        }
        if head.has_relocations() {
            let start = c.pos;
            skip_relocations(&mut c)?;
            if let NativeInfo::Viper { relocations, .. } = &mut head.native {
                *relocations = &file[start..c.pos];
            }
        }
        Ok(RawCode {
            file,
            n_qstr,
            depth,
            offset: head.offset,
            kind: head.kind,
            fun_data: head.fun_data,
            fun_data_offset: head.fun_data_offset,
            native: head.native,
            n_children: head.n_children,
            children_offset: head.children_offset,
            end: c.pos,
        })
    }

    /// Kind of code.
    pub fn kind(&self) -> CodeKind {
        self.kind
    }

    /// The function data (bytecode with prelude, or machine code).
    pub fn fun_data(&self) -> &'a [u8] {
        self.fun_data
    }

    /// File offset of the raw-code header.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// File offset of the function data.
    pub fn fun_data_offset(&self) -> usize {
        self.fun_data_offset
    }

    /// File offset just past this raw code, its children and relocations.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Nesting depth (the module is 0).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Sections that follow native code.
    pub fn native(&self) -> NativeInfo<'a> {
        self.native
    }

    /// Number of children.
    pub fn child_count(&self) -> usize {
        self.n_children
    }

    /// The children, in order.
    pub fn children(&self) -> Children<'a> {
        Children {
            file: self.file,
            n_qstr: self.n_qstr,
            depth: self.depth + 1,
            pos: self.children_offset,
            remaining: self.n_children,
        }
    }

    /// The prelude of bytecode and native-Python code (`None` for viper and asm).
    pub fn prelude(&self) -> Option<Prelude<'a>> {
        let prelude_offset = match self.native {
            NativeInfo::None => 0,
            NativeInfo::Py { prelude_offset } => prelude_offset,
            _ => return None,
        };
        parse_prelude(
            self.fun_data,
            prelude_offset,
            self.n_qstr,
            self.fun_data_offset,
        )
        .ok()
    }

    /// Qstr index of the function's name: from the prelude, or 0 (the source file) for
    /// viper and asm code, as `mpy-tool.py` names them.
    pub fn name_index(&self) -> usize {
        self.prelude().map_or(0, |p| p.name)
    }
}

/// Iterator over the children of a [`RawCode`].
#[derive(Clone, Debug)]
pub struct Children<'a> {
    file: &'a [u8],
    n_qstr: usize,
    depth: usize,
    pos: usize,
    remaining: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = RawCode<'a>;

    fn next(&mut self) -> Option<RawCode<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        // Validated by `MpyFile::parse`; an error cannot happen, so end quietly.
        let rc = RawCode::at(self.file, self.pos, self.n_qstr, self.depth).ok()?;
        self.pos = rc.end;
        Some(rc)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

/// Iterator over all raw codes of a file in file order (pre-order: a raw code, then its
/// children); [`RawCode::depth`] gives the nesting.
#[derive(Clone, Debug)]
pub struct RawCodes<'a> {
    file: &'a [u8],
    n_qstr: usize,
    root: Option<RawCode<'a>>,
    /// Per open level: (offset of the next child, children left).
    stack: [(usize, usize); MAX_RAW_CODE_DEPTH],
    depth: usize,
}

impl<'a> Iterator for RawCodes<'a> {
    type Item = RawCode<'a>;

    fn next(&mut self) -> Option<RawCode<'a>> {
        let rc = if let Some(root) = self.root.take() {
            root
        } else {
            loop {
                if self.depth == 0 {
                    return None;
                }
                let (pos, remaining) = &mut self.stack[self.depth - 1];
                if *remaining == 0 {
                    self.depth -= 1;
                    continue;
                }
                *remaining -= 1;
                // Validated by `MpyFile::parse`; an error cannot happen, so end quietly.
                let rc = RawCode::at(self.file, *pos, self.n_qstr, self.depth).ok()?;
                *pos = rc.end;
                break rc;
            }
        };
        if rc.n_children > 0 && self.depth < MAX_RAW_CODE_DEPTH {
            self.stack[self.depth] = (rc.children_offset, rc.n_children);
            self.depth += 1;
        }
        Some(rc)
    }
}

/// A validated `.mpy` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MpyFile<'a> {
    data: &'a [u8],
    header: Header,
    arch_flags: Option<u64>,
    n_qstr: usize,
    n_const: usize,
    qstrs_offset: usize,
    consts_offset: usize,
    raw_code: RawCode<'a>,
}

impl<'a> MpyFile<'a> {
    /// Validate `data` as a whole `.mpy` v6.x file.
    pub fn parse(data: &'a [u8]) -> Result<MpyFile<'a>, ReadError> {
        let mut c = Cursor::new(data, 0);
        let h = c.bytes(HEADER_LEN, Section::Header, 0)?;
        if h[0] != MAGIC {
            return Err(ReadError::BadMagic { found: h[0] });
        }
        if h[1] != VERSION {
            return Err(ReadError::UnsupportedVersion { found: h[1] });
        }
        let header = Header {
            version: h[1],
            feature: h[2],
            small_int_bits: h[3],
        };
        let arch_flags = if header.has_arch_flags() {
            Some(c.vuint(Section::ArchFlags)?)
        } else {
            None
        };
        let n_qstr = c.count(Section::QstrCount, 1, c.pos)?;
        let n_const = c.count(Section::ConstCount, 1, c.pos)?;
        if n_qstr == 0 {
            return Err(ReadError::EmptyQstrTable);
        }
        let qstrs_offset = c.pos;
        for _ in 0..n_qstr {
            read_qstr(&mut c)?;
        }
        let consts_offset = c.pos;
        for _ in 0..n_const {
            read_const(&mut c)?;
        }
        let raw_code_offset = c.pos;
        walk(&mut c, n_qstr, 0)?;
        if c.pos != data.len() {
            return Err(ReadError::TrailingBytes { offset: c.pos });
        }
        let raw_code = RawCode::at(data, raw_code_offset, n_qstr, 0)?;
        Ok(MpyFile {
            data,
            header,
            arch_flags,
            n_qstr,
            n_const,
            qstrs_offset,
            consts_offset,
            raw_code,
        })
    }

    /// The file's bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The arch-flags vuint, if the header says one is present.
    pub fn arch_flags(&self) -> Option<u64> {
        self.arch_flags
    }

    /// Number of qstr-table entries.
    pub fn qstr_count(&self) -> usize {
        self.n_qstr
    }

    /// The qstr table.
    pub fn qstrs(&self) -> Qstrs<'a> {
        Qstrs {
            cursor: Cursor::new(self.data, self.qstrs_offset),
            remaining: self.n_qstr,
        }
    }

    /// Qstr-table entry `index` (a linear walk).
    pub fn qstr(&self, index: usize) -> Option<Qstr<'a>> {
        self.qstrs().nth(index)
    }

    /// Qstr 0, the source file name.
    pub fn source_file(&self) -> Qstr<'a> {
        self.qstr(0).unwrap_or(Qstr::Inline(""))
    }

    /// Number of constants.
    pub fn const_count(&self) -> usize {
        self.n_const
    }

    /// The constant table.
    pub fn consts(&self) -> Consts<'a> {
        Consts {
            cursor: Cursor::new(self.data, self.consts_offset),
            remaining: self.n_const,
        }
    }

    /// Constant `index` (a linear walk).
    pub fn constant(&self, index: usize) -> Option<Const<'a>> {
        self.consts().nth(index)
    }

    /// The module's raw code (the root of the tree).
    pub fn raw_code(&self) -> RawCode<'a> {
        self.raw_code
    }

    /// Every raw code, in file order.
    pub fn raw_codes(&self) -> RawCodes<'a> {
        RawCodes {
            file: self.data,
            n_qstr: self.n_qstr,
            root: Some(self.raw_code),
            stack: [(0, 0); MAX_RAW_CODE_DEPTH],
            depth: 0,
        }
    }
}

/// Iterator over the qstr table.
#[derive(Clone)]
pub struct Qstrs<'a> {
    cursor: Cursor<'a>,
    remaining: usize,
}

impl<'a> Iterator for Qstrs<'a> {
    type Item = Qstr<'a>;

    fn next(&mut self) -> Option<Qstr<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        read_qstr(&mut self.cursor).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

/// Iterator over the constant table.
#[derive(Clone)]
pub struct Consts<'a> {
    cursor: Cursor<'a>,
    remaining: usize,
}

impl<'a> Iterator for Consts<'a> {
    type Item = Const<'a>;

    fn next(&mut self) -> Option<Const<'a>> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        read_const(&mut self.cursor).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_text() {
        assert!(is_int_text(b"-123"));
        assert!(!is_int_text(b"+1"));
        assert!(!is_int_text(b""));
        assert!(!is_int_text(b"-"));
        assert!(!is_int_text(b"1_0"));
        for ok in [
            "1.5",
            "1e+100",
            "1e-10",
            "inf",
            "-inf",
            "nan",
            "1000000000000000.0",
            "4.940656458412465e-324",
            ".5",
            "5.",
        ] {
            assert!(is_float_text(ok.as_bytes()), "{ok}");
        }
        for bad in ["", ".", "e5", "1e", "1.5.2", "--1", "0x10"] {
            assert!(!is_float_text(bad.as_bytes()), "{bad}");
        }
        assert_eq!(split_complex("2j"), Some((None, Some("2"))));
        assert_eq!(split_complex("1e+20j"), Some((None, Some("1e+20"))));
        assert_eq!(split_complex("(1-2j)"), Some((Some("1"), Some("-2"))));
        assert_eq!(
            split_complex("(-1e-05+nanj)"),
            Some((Some("-1e-05"), Some("+nan")))
        );
        assert_eq!(split_complex("(1+2j"), None);
        assert_eq!(split_complex("j"), None);
    }
}
