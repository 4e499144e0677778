//! Finding a frozen image in an ELF file (a relocatable object from `upyc freeze` or a
//! linked firmware) with `goblin`, for `upyc inspect`.
//!
//! The image is found by its symbol (its section's file offset plus the symbol's value,
//! minus the section address in a linked file), or failing that by scanning allocated
//! sections for the magic at aligned offsets. A raw image file is accepted as is.

use goblin::elf::{header, section_header, Elf};

use crate::FreezeError;
use upyc_runtime::frozen as fz;

/// Where an image was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// Byte offset in the file.
    pub file_offset: usize,
    /// Image length.
    pub len: usize,
    /// The symbol it was found by, if any.
    pub symbol: Option<String>,
    /// The section holding it.
    pub section: String,
    /// ELF `e_machine` (0 for a raw image).
    pub machine: u16,
    /// ELF `e_type` (0 for a raw image).
    pub elf_type: u16,
}

/// Locate the image in `file` (an ELF file or a raw image).
pub fn locate(file: &[u8], symbol: &str) -> Result<Located, FreezeError> {
    if file.starts_with(&fz::MAGIC) {
        return Ok(Located {
            file_offset: 0,
            len: file.len(),
            symbol: None,
            section: String::new(),
            machine: 0,
            elf_type: 0,
        });
    }
    let elf = Elf::parse(file).map_err(|e| FreezeError::Elf(e.to_string()))?;
    let sec_name = |i: usize| {
        elf.section_headers
            .get(i)
            .and_then(|s| elf.shdr_strtab.get_at(s.sh_name))
            .unwrap_or("")
            .to_owned()
    };
    let linked = elf.header.e_type != header::ET_REL;
    for sym in elf.syms.iter() {
        if elf.strtab.get_at(sym.st_name) != Some(symbol) {
            continue;
        }
        let Some(sh) = elf.section_headers.get(sym.st_shndx) else {
            continue;
        };
        if sh.sh_type == section_header::SHT_NOBITS {
            continue;
        }
        let within = if linked {
            sym.st_value.checked_sub(sh.sh_addr)
        } else {
            Some(sym.st_value)
        };
        let off = within.and_then(|w| sh.sh_offset.checked_add(w));
        let (Some(off), Ok(len)) = (off, usize::try_from(sym.st_size)) else {
            continue;
        };
        let Ok(off) = usize::try_from(off) else {
            continue;
        };
        if off.checked_add(len).is_some_and(|e| e <= file.len()) {
            return Ok(Located {
                file_offset: off,
                len,
                symbol: Some(symbol.to_owned()),
                section: sec_name(sym.st_shndx),
                machine: elf.header.e_machine,
                elf_type: elf.header.e_type,
            });
        }
    }
    // No symbol (stripped firmware): look for the magic.
    for (i, sh) in elf.section_headers.iter().enumerate() {
        if sh.sh_type != section_header::SHT_PROGBITS
            || sh.sh_flags & u64::from(section_header::SHF_ALLOC) == 0
        {
            continue;
        }
        let (Ok(start), Ok(size)) = (usize::try_from(sh.sh_offset), usize::try_from(sh.sh_size))
        else {
            continue;
        };
        let Some(data) = start.checked_add(size).and_then(|e| file.get(start..e)) else {
            continue;
        };
        let mut k = 0;
        while k + fz::HEADER_LEN <= data.len() {
            if data[k..k + 4] == fz::MAGIC {
                let b = &data[k + fz::hdr::IMAGE_LEN..k + fz::hdr::IMAGE_LEN + 4];
                let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
                if k.checked_add(len).is_some_and(|e| e <= data.len()) {
                    return Ok(Located {
                        file_offset: start + k,
                        len,
                        symbol: None,
                        section: sec_name(i),
                        machine: elf.header.e_machine,
                        elf_type: elf.header.e_type,
                    });
                }
            }
            k += fz::ALIGN;
        }
    }
    Err(FreezeError::NotFound(symbol.to_owned()))
}

/// The image bytes [`locate`] found.
pub fn image_in<'a>(file: &'a [u8], found: &Located) -> &'a [u8] {
    file.get(found.file_offset..found.file_offset + found.len)
        .unwrap_or(&[])
}

/// A name for an ELF machine number.
pub fn machine_name(m: u16) -> &'static str {
    match m {
        0 => "raw image",
        header::EM_ARM => "ARM",
        header::EM_RISCV => "RISC-V",
        header::EM_XTENSA => "Xtensa",
        header::EM_X86_64 => "x86-64",
        header::EM_AARCH64 => "AArch64",
        _ => "other",
    }
}
