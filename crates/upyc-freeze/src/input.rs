//! Inputs to freeze: `.py` files (compiled here, as `upyc compile` would), directories
//! (every `.py` below, module names from the relative paths, `pkg/__init__.py` is package
//! `pkg`) and `.mpy` files.
//!
//! Module names: `dir/a/b.py` given as `dir` is `a.b`; a file given alone is named after
//! its stem. Directory walks are sorted, so the same tree gives the same image.

use std::path::{Path, PathBuf};

use upyc_compiler::CompileOptions;

use crate::image::Module;
use crate::FreezeError;

/// Compiler settings for `.py` inputs (as `upyc compile`'s `-O` and `-msmall-int-bits`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreezeOptions {
    /// `-O<N>`.
    pub opt_level: u8,
    /// `-msmall-int-bits=N`.
    pub small_int_bits: u8,
}

impl Default for FreezeOptions {
    fn default() -> Self {
        FreezeOptions {
            opt_level: 0,
            small_int_bits: upyc_bytecode::mpy::DEFAULT_SMALL_INT_BITS,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FreezeError + '_ {
    move |source| FreezeError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Compile Python source to `.mpy`; `source_name` is what tracebacks show.
pub fn compile(
    source: &[u8],
    source_name: &str,
    path: &Path,
    opts: &FreezeOptions,
) -> Result<Vec<u8>, FreezeError> {
    let co = CompileOptions {
        source_name: source_name.to_owned(),
        opt_level: opts.opt_level,
        small_int_bits: opts.small_int_bits,
        ..CompileOptions::default()
    };
    upyc_compiler::compile_source(source, &co).map_err(|e| FreezeError::Compile {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The `.py` files below `dir`, sorted, as paths relative to `dir`.
pub fn python_files(dir: &Path) -> Result<Vec<PathBuf>, FreezeError> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = dir.join(&rel);
        let mut entries: Vec<_> = std::fs::read_dir(&full)
            .map_err(io(&full))?
            .collect::<Result<_, _>>()
            .map_err(io(&full))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries.iter().rev() {
            let name = PathBuf::from(e.file_name());
            let ft = e.file_type().map_err(io(&e.path()))?;
            if ft.is_dir() {
                stack.push(rel.join(&name));
            } else if name.extension().is_some_and(|x| x == "py") {
                out.push(rel.join(&name));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Module name and package flag of a `.py` path relative to a source root.
pub fn module_name(rel: &Path) -> Option<(String, bool)> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let last = parts.pop()?;
    let stem = last
        .strip_suffix(".py")
        .or_else(|| last.strip_suffix(".mpy"))?;
    let is_package = stem == "__init__";
    if !is_package {
        parts.push(stem.to_owned());
    }
    if parts.is_empty() || parts.iter().any(|p| p.is_empty() || p.contains('.')) {
        return None;
    }
    Some((parts.join("."), is_package))
}

/// Every module below source root `dir`.
pub fn collect_dir(dir: &Path, opts: &FreezeOptions) -> Result<Vec<Module>, FreezeError> {
    let mut out = Vec::new();
    for rel in python_files(dir)? {
        let (name, is_package) =
            module_name(&rel).ok_or_else(|| FreezeError::ModuleName(rel.display().to_string()))?;
        let path = dir.join(&rel);
        let src = std::fs::read(&path).map_err(io(&path))?;
        let source_name = rel.to_string_lossy().replace('\\', "/");
        out.push(Module {
            name,
            is_package,
            mpy: compile(&src, &source_name, &path, opts)?,
        });
    }
    Ok(out)
}

/// Modules from command-line inputs: directories, `.py` and `.mpy` files.
pub fn collect(inputs: &[PathBuf], opts: &FreezeOptions) -> Result<Vec<Module>, FreezeError> {
    let mut out = Vec::new();
    for p in inputs {
        let meta = std::fs::metadata(p).map_err(io(p))?;
        if meta.is_dir() {
            out.extend(collect_dir(p, opts)?);
            continue;
        }
        let file = p.file_name().map(PathBuf::from).unwrap_or_default();
        let (name, is_package) =
            module_name(&file).ok_or_else(|| FreezeError::ModuleName(p.display().to_string()))?;
        let bytes = std::fs::read(p).map_err(io(p))?;
        let mpy = if p.extension().is_some_and(|x| x == "mpy") {
            bytes
        } else {
            compile(&bytes, &file.to_string_lossy(), p, opts)?
        };
        out.push(Module {
            name,
            is_package,
            mpy,
        });
    }
    Ok(out)
}
