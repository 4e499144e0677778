//! upyc-freeze: frozen ROM images of MicroPython modules and the objects that carry them.
//!
//! Corresponds to MicroPython's `tools/mpy-tool.py -f` (which writes C for the firmware's
//! own build) and the `FROZEN_MANIFEST` machinery; we write the image and the ELF
//! relocatable object directly, for any target.
//!
//! - [`image`]: the image format (constants shared with `upyc_runtime::frozen`, whose
//!   reader validates every image we write), [`Image::from_modules`],
//!   [`Image::to_modules`] and [`Image::summary`];
//! - [`input`]: `.py` files, directories and `.mpy` files to [`Module`]s;
//! - [`object`]: the image as an ELF object (`object`), a raw file or Rust source;
//! - [`inspect`]: find and read an image in an object or linked firmware (`goblin`);
//! - [`build_script`]: the function a firmware's `build.rs` calls.
//!
//! Invariant: never panics on any input; every image written passes the runtime's reader.

pub mod build_script;
pub mod image;
pub mod input;
pub mod inspect;
pub mod object;

pub use image::{Image, Module, ModuleCost, Summary};
pub use input::FreezeOptions;
pub use object::{Format, Target};
pub use upyc_runtime::frozen::FrozenError;

use std::path::PathBuf;

/// Why freezing (or reading a frozen image) failed.
#[derive(Debug, thiserror::Error)]
pub enum FreezeError {
    /// A `.mpy` input that does not parse.
    #[error("module {module}: not a valid .mpy v6.3 file ({reason})")]
    Mpy {
        /// Module name.
        module: String,
        /// What the reader said.
        reason: String,
    },
    /// A `.mpy` with native code (the image holds bytecode only).
    #[error("module {0}: native code cannot be frozen (compile with -X emit=bytecode)")]
    Native(String),
    /// A bad module name.
    #[error("bad module name '{0}'")]
    ModuleName(String),
    /// Two inputs give the same module.
    #[error("module '{0}' given twice")]
    DuplicateModule(String),
    /// A field does not fit its width in the format.
    #[error("too large for the frozen image format: {0}")]
    TooLarge(&'static str),
    /// The runtime's reader rejects the image.
    #[error("{0}")]
    Image(#[from] FrozenError),
    /// An image whose tables are inconsistent.
    #[error("corrupt frozen image: {0}")]
    Corrupt(&'static str),
    /// A Python source that does not compile.
    #[error("{path}: {message}")]
    Compile {
        /// The file.
        path: PathBuf,
        /// The compiler's message (mpy-cross's text).
        message: String,
    },
    /// An input or output file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An unknown target triple.
    #[error("unknown target '{0}' (known: {known})", known = object::Target::known_names())]
    UnknownTarget(String),
    /// The object writer failed.
    #[error("writing the object: {0}")]
    Object(String),
    /// No image found in an ELF file.
    #[error("no frozen image in this file (looked for symbol '{0}' and the magic)")]
    NotFound(String),
    /// The file is not ELF.
    #[error("not an ELF file: {0}")]
    Elf(String),
}
