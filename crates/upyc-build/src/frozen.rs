//! Frozen outputs: the compiled modules of a target in one ROM image inside an object file.
//!
//! The image and object writer belong to `upyc-freeze` (the freezing issue), which is not part
//! of this build yet. The build is already shaped for it: [`write_object`] receives every module
//! of the target (dotted name, package or not, `.mpy` bytes) sorted by name, and returns the
//! object file's bytes, which the build writes atomically and caches like any output. Until
//! `upyc-freeze` is linked in, [`AVAILABLE`] is false and a target asking for a frozen output
//! is rejected before anything is compiled, unless the caller brings its own freezer
//! (`BuildOptions::freezer`; the tests use a stand-in to check this path).
//!
//! Incremental: the object is rewritten only when the spec or a module (name, kind, `.mpy`
//! hash) changed; modules that were up to date are read back from their `.mpy` files (kept in
//! `DIR/.upyc-mpy/` when the `.mpy` tree is not an output) and checked against the cached hash.
//! When a module fails, the object is removed, so no stale image is left to flash.

use crate::manifest::FrozenSpec;

/// Whether this build of upyc can write frozen objects.
pub const AVAILABLE: bool = false;

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
}

impl std::fmt::Display for FreezeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FreezeError::Unavailable => f.write_str(
                "freezing is not available in this build of upyc (upyc-freeze is not linked in)",
            ),
        }
    }
}

impl std::error::Error for FreezeError {}

/// The object file holding the image of `modules` (sorted by name) for `spec`.
///
/// To be: `upyc_freeze::Image::from_modules(..)` then
/// `upyc_freeze::object::write(image, &spec.triple, &spec.symbol, format)`.
pub fn write_object(spec: &FrozenSpec, modules: &[FrozenModule]) -> Result<Vec<u8>, FreezeError> {
    let _ = (spec, modules);
    Err(FreezeError::Unavailable)
}
