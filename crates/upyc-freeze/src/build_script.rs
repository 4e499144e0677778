//! For a firmware's `build.rs`: compile and freeze a directory of Python into `OUT_DIR`,
//! telling cargo to rerun when any of it changes, so `cargo build` is the whole workflow.
//!
//! ```no_run
//! // build.rs
//! let img = upyc_freeze::build_script::freeze_dir(
//!     std::path::Path::new("python"),
//!     &upyc_freeze::FreezeOptions::default(),
//! ).expect("freeze");
//! // main.rs: static IMAGE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/upyc_frozen.bin"));
//! # let _ = img;
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::image::Image;
use crate::input::{self, FreezeOptions};
use crate::FreezeError;

/// File name of the image written into `OUT_DIR`.
pub const IMAGE_FILE: &str = "upyc_frozen.bin";

/// Freeze every `.py` below `src_dir` into `$OUT_DIR/upyc_frozen.bin`, printing
/// `cargo:rerun-if-changed` for the directory and each file; returns the image path.
pub fn freeze_dir(src_dir: &Path, opts: &FreezeOptions) -> Result<PathBuf, FreezeError> {
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| FreezeError::Io {
            path: PathBuf::from("$OUT_DIR"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "OUT_DIR is not set (call this from a build script)",
            ),
        })?;
    freeze_dir_to(src_dir, &out_dir, opts, &mut std::io::stdout())
}

/// [`freeze_dir`] with an explicit output directory and where the cargo lines go.
pub fn freeze_dir_to(
    src_dir: &Path,
    out_dir: &Path,
    opts: &FreezeOptions,
    cargo: &mut dyn Write,
) -> Result<PathBuf, FreezeError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| FreezeError::Io { path, source }
    };
    let _ = writeln!(cargo, "cargo:rerun-if-changed={}", src_dir.display());
    for rel in input::python_files(src_dir)? {
        let _ = writeln!(
            cargo,
            "cargo:rerun-if-changed={}",
            src_dir.join(rel).display()
        );
    }
    let modules = input::collect_dir(src_dir, opts)?;
    let image = Image::from_modules(&modules)?;
    let dest = out_dir.join(IMAGE_FILE);
    // Write beside and rename: a failed build never leaves a half-written image.
    let tmp = out_dir.join(format!("{IMAGE_FILE}.tmp"));
    std::fs::write(&tmp, &image).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
    Ok(dest)
}
