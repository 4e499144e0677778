//! Discovery: the project's `.py` files (walkdir), filtered by the manifest's globs (globset).
//!
//! Skipped: hidden directories (names starting with `.`) anywhere, and at the project root
//! `build/`, `target/` and every target's output directory. Files come out sorted by their
//! relative path, so everything downstream is deterministic.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::manifest::Manifest;
use crate::BuildError;

/// One source file of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path relative to the project root, with `/` separators (`pkg/mod.py`); also the
    /// source name stored in the `.mpy` (as `mpy-cross -s pkg/mod.py`).
    pub rel: String,
    /// The file on disk (the project root joined with `rel`).
    pub path: PathBuf,
    /// The dotted module name (`pkg.mod`; `pkg` for `pkg/__init__.py`).
    pub module: String,
    /// Whether the file is a package's `__init__.py`.
    pub is_package: bool,
}

impl SourceFile {
    /// The `.mpy` path relative to an output directory: `pkg/mod.mpy`.
    pub fn mpy_rel(&self) -> String {
        let stem = self.rel.strip_suffix(".py").unwrap_or(&self.rel);
        format!("{stem}.mpy")
    }
}

/// The module name of a relative path: `a/b.py` is `a.b`, `a/__init__.py` is the package `a`.
pub fn module_name(rel: &str) -> (String, bool) {
    let stem = rel.strip_suffix(".py").unwrap_or(rel);
    match stem.strip_suffix("/__init__") {
        Some(pkg) => (pkg.replace('/', "."), true),
        None if stem == "__init__" => (String::new(), true),
        None => (stem.replace('/', "."), false),
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, BuildError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| BuildError::Glob {
                glob: g.clone(),
                message: e.kind().to_string(),
            })?;
        b.add(glob);
    }
    b.build().map_err(|e| BuildError::Glob {
        glob: globs.join(", "),
        message: e.kind().to_string(),
    })
}

/// The project's source files under `root`, sorted by relative path.
pub fn discover(root: &Path, manifest: &Manifest) -> Result<Vec<SourceFile>, BuildError> {
    let include = glob_set(&manifest.sources)?;
    let exclude = glob_set(&manifest.exclude)?;
    let skipped_dirs: Vec<PathBuf> = ["build", "target"]
        .iter()
        .map(PathBuf::from)
        .chain(manifest.targets.iter().map(|t| t.dir.clone()))
        .collect();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            if e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            let rel = e.path().strip_prefix(root).unwrap_or(e.path());
            !skipped_dirs.iter().any(|d| d == rel)
        });
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.map_err(|e| BuildError::Io {
            what: "read directory",
            path: e
                .path()
                .map_or_else(|| root.to_path_buf(), Path::to_path_buf),
            error: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("directory loop")),
        })?;
        // A symlink to a file is a source too (directories behind symlinks are not walked).
        let is_file = entry.file_type().is_file()
            || (entry.path_is_symlink()
                && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()));
        if !is_file {
            continue;
        }
        let Ok(rel_path) = entry.path().strip_prefix(root) else {
            continue;
        };
        let Some(rel) = rel_path.to_str() else {
            return Err(BuildError::NonUtf8Path(entry.path().to_path_buf()));
        };
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        if !rel.ends_with(".py") || !include.is_match(&rel) || exclude.is_match(&rel) {
            continue;
        }
        let (module, is_package) = module_name(&rel);
        files.push(SourceFile {
            path: entry.path().to_path_buf(),
            rel,
            module,
            is_package,
        });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert_eq!(module_name("main.py"), ("main".into(), false));
        assert_eq!(module_name("a/b/c.py"), ("a.b.c".into(), false));
        assert_eq!(module_name("a/b/__init__.py"), ("a.b".into(), true));
    }
}
