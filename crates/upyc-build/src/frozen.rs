//! Frozen outputs: the compiled modules of a target in one ROM image inside an object file.
//!
//! [`write_object`] receives every module of the target (dotted name, package or not, `.mpy`
//! bytes) sorted by name and returns the object file's bytes, made by `upyc-freeze`
//! (`Image::from_modules`, then an ELF relocatable object for the target's triple with the
//! image under the target's symbol); the build writes it atomically and caches it like any
//! output. Callers may bring their own freezer (`BuildOptions::freezer`; a test uses a
//! readable stand-in to check the incremental path).
//!
//! Incremental: the object is rewritten only when the spec or a module (name, kind, `.mpy`
//! hash) changed; modules that were up to date are read back from their `.mpy` files (kept in
//! `DIR/.upyc-mpy/` when the `.mpy` tree is not an output) and checked against the cached hash.
//! When a module fails, the object is removed, so no stale image is left to flash.

use crate::manifest::FrozenSpec;

/// Whether this build of upyc can write frozen objects.
pub const AVAILABLE: bool = true;

/// One module of a frozen image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrozenModule {
    /// Dotted name (`pkg.mod`; `pkg` for `pkg/__init__.py`).
    pub name: String,
    pub is_package: bool,
    pub mpy: Vec<u8>,
}

/// Why a frozen object could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FreezeError {
    /// This build has no freezer (`upyc-freeze` is not linked in).
    Unavailable,
    /// The freezer refused (an unknown target triple, a module it cannot freeze ...).
    Failed(String),
}

impl std::fmt::Display for FreezeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FreezeError::Unavailable => f.write_str(
                "freezing is not available in this build of upyc (upyc-freeze is not linked in)",
            ),
            FreezeError::Failed(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for FreezeError {}

/// The object file holding the image of `modules` (sorted by name) for `spec`.
pub fn write_object(spec: &FrozenSpec, modules: &[FrozenModule]) -> Result<Vec<u8>, FreezeError> {
    let fail = |e: upyc_freeze::FreezeError| FreezeError::Failed(e.to_string());
    let target = upyc_freeze::object::Target::from_triple(&spec.triple).map_err(fail)?;
    let modules: Vec<upyc_freeze::image::Module> = modules
        .iter()
        .map(|m| upyc_freeze::image::Module {
            name: m.name.clone(),
            is_package: m.is_package,
            mpy: m.mpy.clone(),
        })
        .collect();
    let image = upyc_freeze::image::Image::from_modules(&modules).map_err(fail)?;
    upyc_freeze::object::write(
        &image,
        target,
        &spec.symbol,
        upyc_freeze::object::Format::Object,
    )
    .map_err(fail)
}
