//! The image as something a firmware build consumes: an ELF relocatable object (written
//! with the `object` crate), the raw image, or a Rust source file with a `static`.
//!
//! The object has the image in a read-only, allocated section `.rodata.<symbol>` (4-byte
//! aligned), a GLOBAL data symbol `<symbol>` whose size is the image length, and
//! `<symbol>_version`, a 4-byte `u32` holding the format version. No relocations (the
//! image is position-independent). ELF header flags follow each target's ABI so the
//! usual linker accepts the object without a warning (ARM: EABI 5 and the float ABI;
//! RISC-V: RVC and soft float; x86-64: an empty `.note.GNU-stack`, a non-executable stack).

use object::write::{Object, StandardSegment, Symbol, SymbolSection};
use object::{
    elf, Architecture, BinaryFormat, Endianness, FileFlags, SectionKind, SymbolFlags, SymbolKind,
    SymbolScope,
};

use crate::FreezeError;

/// The targets objects are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Cortex-M0/M0+ (`thumbv6m-none-eabi`).
    Thumbv6m,
    /// Cortex-M3 (`thumbv7m-none-eabi`).
    Thumbv7m,
    /// Cortex-M4/M7, soft-float ABI (`thumbv7em-none-eabi`).
    Thumbv7em,
    /// Cortex-M4F/M7F, hard-float ABI (`thumbv7em-none-eabihf`).
    Thumbv7emHf,
    /// RISC-V 32 with compressed instructions (`riscv32imc-unknown-none-elf`).
    Riscv32imc,
    /// ESP32 Xtensa (`xtensa-esp32-none-elf`).
    XtensaEsp32,
    /// x86-64 Linux (`x86_64-unknown-linux-gnu`).
    X86_64,
    /// AArch64 (`aarch64-unknown-linux-gnu`, `aarch64-unknown-none`).
    Aarch64,
}

const TARGETS: &[(&str, Target)] = &[
    ("thumbv6m-none-eabi", Target::Thumbv6m),
    ("thumbv7m-none-eabi", Target::Thumbv7m),
    ("thumbv7em-none-eabi", Target::Thumbv7em),
    ("thumbv7em-none-eabihf", Target::Thumbv7emHf),
    ("riscv32imc-unknown-none-elf", Target::Riscv32imc),
    ("xtensa-esp32-none-elf", Target::XtensaEsp32),
    ("x86_64-unknown-linux-gnu", Target::X86_64),
    ("aarch64-unknown-linux-gnu", Target::Aarch64),
    ("aarch64-unknown-none", Target::Aarch64),
];

impl Target {
    /// The target for a Rust target triple.
    pub fn from_triple(triple: &str) -> Result<Target, FreezeError> {
        TARGETS
            .iter()
            .find(|(n, _)| *n == triple)
            .map(|&(_, t)| t)
            .ok_or_else(|| FreezeError::UnknownTarget(triple.to_owned()))
    }

    /// Every accepted triple.
    pub fn triples() -> impl Iterator<Item = &'static str> {
        TARGETS.iter().map(|(n, _)| *n)
    }

    /// The accepted triples, comma-separated.
    pub fn known_names() -> String {
        Target::triples().collect::<Vec<_>>().join(", ")
    }

    /// The host's target, if it is one of ours.
    pub fn host() -> Option<Target> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Target::X86_64),
            "aarch64" => Some(Target::Aarch64),
            _ => None,
        }
    }

    /// Object architecture.
    pub fn architecture(self) -> Architecture {
        match self {
            Target::Thumbv6m | Target::Thumbv7m | Target::Thumbv7em | Target::Thumbv7emHf => {
                Architecture::Arm
            }
            Target::Riscv32imc => Architecture::Riscv32,
            Target::XtensaEsp32 => Architecture::Xtensa,
            Target::X86_64 => Architecture::X86_64,
            Target::Aarch64 => Architecture::Aarch64,
        }
    }

    /// ELF `e_machine`.
    pub fn elf_machine(self) -> u16 {
        match self.architecture() {
            Architecture::Arm => elf::EM_ARM,
            Architecture::Riscv32 => elf::EM_RISCV,
            Architecture::Xtensa => elf::EM_XTENSA,
            Architecture::X86_64 => elf::EM_X86_64,
            _ => elf::EM_AARCH64,
        }
    }

    /// ELF `e_flags` as the target's compiler writes them.
    pub fn elf_flags(self) -> u32 {
        match self {
            Target::Thumbv6m | Target::Thumbv7m | Target::Thumbv7em => {
                elf::EF_ARM_EABI_VER5 | elf::EF_ARM_ABI_FLOAT_SOFT
            }
            Target::Thumbv7emHf => elf::EF_ARM_EABI_VER5 | elf::EF_ARM_ABI_FLOAT_HARD,
            Target::Riscv32imc => elf::EF_RISCV_RVC | elf::EF_RISCV_FLOAT_ABI_SOFT,
            Target::XtensaEsp32 | Target::X86_64 | Target::Aarch64 => 0,
        }
    }

    /// Whether pointers are 64-bit (ELF64).
    pub fn is_64(self) -> bool {
        matches!(self, Target::X86_64 | Target::Aarch64)
    }

    /// Whether the target's linker expects a `.note.GNU-stack` section.
    pub fn wants_gnu_stack_note(self) -> bool {
        matches!(self, Target::X86_64 | Target::Aarch64)
    }
}

/// What `upyc freeze` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An ELF relocatable object.
    Object,
    /// The raw image.
    Bin,
    /// A Rust source file: `pub static SYMBOL: [u8; N]` (aligned) and `SYMBOL_VERSION`.
    Rust,
}

impl Format {
    /// Parse `obj`, `bin` or `rust`.
    pub fn from_name(s: &str) -> Option<Format> {
        match s {
            "obj" | "object" | "elf" => Some(Format::Object),
            "bin" => Some(Format::Bin),
            "rust" | "rs" => Some(Format::Rust),
            _ => None,
        }
    }
}

/// Name of the version symbol that goes with image symbol `symbol`.
pub fn version_symbol(symbol: &str) -> String {
    format!("{symbol}_version")
}

/// Whether `s` is a valid C/Rust identifier (symbols must be).
pub fn valid_symbol(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch == '_' || ch.is_ascii_alphabetic())
        && c.all(|ch| ch == '_' || ch.is_ascii_alphanumeric())
}

/// Write `image` in `format` (the target matters only for [`Format::Object`]).
pub fn write(
    image: &[u8],
    target: Target,
    symbol: &str,
    format: Format,
) -> Result<Vec<u8>, FreezeError> {
    if !valid_symbol(symbol) {
        return Err(FreezeError::Object(format!(
            "'{symbol}' is not a valid symbol name"
        )));
    }
    match format {
        Format::Bin => Ok(image.to_vec()),
        Format::Rust => Ok(rust_source(image, symbol).into_bytes()),
        Format::Object => elf_object(image, target, symbol),
    }
}

fn elf_object(image: &[u8], target: Target, symbol: &str) -> Result<Vec<u8>, FreezeError> {
    let mut obj = Object::new(BinaryFormat::Elf, target.architecture(), Endianness::Little);
    obj.flags = FileFlags::Elf {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_flags: target.elf_flags(),
    };
    let seg = obj.segment_name(StandardSegment::Data).to_vec();
    let sec = obj.add_section(
        seg.clone(),
        format!(".rodata.{symbol}").into_bytes(),
        SectionKind::ReadOnlyData,
    );
    let off = obj.append_section_data(sec, image, 4);
    obj.add_symbol(Symbol {
        name: symbol.as_bytes().to_vec(),
        value: off,
        size: image.len() as u64,
        kind: SymbolKind::Data,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(sec),
        flags: SymbolFlags::None,
    });
    let vsym = version_symbol(symbol);
    let vsec = obj.add_section(
        seg,
        format!(".rodata.{vsym}").into_bytes(),
        SectionKind::ReadOnlyData,
    );
    let voff = obj.append_section_data(
        vsec,
        &u32::from(upyc_runtime::frozen::VERSION).to_le_bytes(),
        4,
    );
    obj.add_symbol(Symbol {
        name: vsym.into_bytes(),
        value: voff,
        size: 4,
        kind: SymbolKind::Data,
        scope: SymbolScope::Dynamic,
        weak: false,
        section: SymbolSection::Section(vsec),
        flags: SymbolFlags::None,
    });
    if target.wants_gnu_stack_note() {
        obj.add_section(
            Vec::new(),
            b".note.GNU-stack".to_vec(),
            SectionKind::Elf(elf::SHT_PROGBITS),
        );
    }
    obj.write().map_err(|e| FreezeError::Object(e.to_string()))
}

fn rust_source(image: &[u8], symbol: &str) -> String {
    let upper = symbol.to_ascii_uppercase();
    let mut s = String::with_capacity(image.len() * 5 + 512);
    s.push_str("// Generated by `upyc freeze`: a frozen MicroPython image. Do not edit.\n");
    s.push_str("#[repr(C, align(4))]\n");
    s.push_str(&format!(
        "pub struct {upper}Aligned(pub [u8; {}]);\n",
        image.len()
    ));
    s.push_str(&format!(
        "/// Format version of the image (checked again by `Frozen::from_static`).\npub const {upper}_VERSION: u32 = {};\n",
        upyc_runtime::frozen::VERSION
    ));
    s.push_str(&format!(
        "/// The image; pass `&{upper}.0` to `upyc_runtime::Frozen::from_static`.\npub static {upper}: {upper}Aligned = {upper}Aligned([\n"
    ));
    for chunk in image.chunks(16) {
        s.push_str("   ");
        for b in chunk {
            s.push_str(&format!(" {b},"));
        }
        s.push('\n');
    }
    s.push_str("]);\n");
    s
}
