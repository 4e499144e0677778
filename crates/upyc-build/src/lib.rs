//! upyc-build: builds a MicroPython project, not a file.
//!
//! MicroPython builds with a `manifest.py` run by make, calling mpy-cross once per file
//! (`tools/manifestfile.py`, `py/mkrules.mk`). Here one call does it in process:
//! - [`manifest`]: the optional `upyc.toml` (sources, excludes, options per module or package,
//!   named targets, each an `.mpy` tree, a frozen object, or both);
//! - [`discover`]: the `.py` files of the project;
//! - [`cache`]: what each output was built from, so a rebuild redoes only what changed;
//! - [`build`]: compiles on all cores (rayon) with results in path order, writes each output
//!   through a temporary file and a rename, removes outputs of deleted sources;
//! - [`frozen`]: the frozen output (waits for `upyc-freeze`);
//! - [`diagnostics`]: errors with snippets (codespan-reporting).
//!
//! Each `.mpy` is byte-identical to `mpy-cross -s REL REL` run in the project directory, REL
//! being the file's path relative to the project, so outputs do not depend on where the
//! project is checked out, nor on the number of threads.
//!
//! This crate does no terminal output and never exits the process: it returns a [`Report`]
//! and reports progress through [`Progress`].

pub mod cache;
pub mod diagnostics;
pub mod discover;
pub mod frozen;
pub mod manifest;

use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use upyc_compiler::{CompileError, CompileOptions};

use cache::{Cache, Entry, FrozenEntry, Stamp};
/// For a firmware's `build.rs`: compile and freeze a directory of Python into `OUT_DIR` with
/// `cargo:rerun-if-changed` lines (`build_script::freeze_dir(dir, &FreezeOptions::default())`),
/// so `cargo build` of the firmware is the whole workflow.
pub use upyc_freeze::build_script;
pub use upyc_freeze::FreezeOptions;

pub use discover::SourceFile;
pub use frozen::FrozenModule;
pub use manifest::{Manifest, ManifestError, ModuleOptions, Target, MANIFEST_FILE};

/// The suffix of files being written (see `Workspace`).
const TMP_SUFFIX: &str = ".upyc-tmp";
/// Present in a target's output directory while a build writes into it.
const DIRTY_MARKER: &str = ".upyc-writing";
/// The lock file that keeps two builds of one target apart.
const LOCK_FILE: &str = ".upyc-lock";
/// Where a target without an `.mpy` output keeps its `.mpy` files (for its frozen image).
const MPY_STORE: &str = ".upyc-mpy";

/// A failure that stops the build as a whole (module errors are in the [`Report`]).
#[derive(Debug)]
pub enum BuildError {
    /// `upyc.toml` is invalid.
    Manifest(ManifestError),
    /// `--target NAME` names no target of the manifest.
    UnknownTarget { name: String, known: Vec<String> },
    /// A glob that globset rejects (manifest globs are checked when parsing; this is for
    /// manifests built in code).
    Glob { glob: String, message: String },
    /// A file or directory name that is not UTF-8 (it cannot be a source name).
    NonUtf8Path(PathBuf),
    /// An I/O error outside any one module: the manifest, a directory, the cache, the lock.
    Io {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Manifest(e) => e.fmt(f),
            BuildError::UnknownTarget { name, known } => {
                write!(f, "no target `{name}` (targets: {})", known.join(", "))
            }
            BuildError::Glob { glob, message } => write!(f, "invalid glob `{glob}`: {message}"),
            BuildError::NonUtf8Path(p) => write!(f, "{}: path is not valid UTF-8", p.display()),
            BuildError::Io { what, path, error } => {
                write!(f, "cannot {what} {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for BuildError {}

impl From<ManifestError> for BuildError {
    fn from(e: ManifestError) -> Self {
        BuildError::Manifest(e)
    }
}

fn io_err<'a>(
    what: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> BuildError + 'a {
    move |error| BuildError::Io {
        what,
        path: path.to_path_buf(),
        error,
    }
}

/// A project: its root directory and its manifest (or the defaults).
#[derive(Clone, Debug)]
pub struct Project {
    pub root: PathBuf,
    pub manifest: Manifest,
}

impl Project {
    /// Loads the project at `root`, reading `root/upyc.toml` if there is one.
    pub fn load(root: &Path) -> Result<Project, BuildError> {
        let md = std::fs::metadata(root).map_err(io_err("open project directory", root))?;
        if !md.is_dir() {
            return Err(BuildError::Io {
                what: "open project directory",
                path: root.to_path_buf(),
                error: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
            });
        }
        let path = if root == Path::new(".") {
            PathBuf::from(MANIFEST_FILE)
        } else {
            root.join(MANIFEST_FILE)
        };
        let manifest = match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|e| {
                    let valid = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes());
                    BuildError::from(ManifestError::new(
                        &path,
                        &text,
                        valid..valid,
                        None,
                        "the manifest is not valid UTF-8".into(),
                    ))
                })?;
                Manifest::parse(&path, &text)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        Ok(Project {
            root: root.to_path_buf(),
            manifest,
        })
    }
}

/// How to build.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// The targets to build (empty: all).
    pub targets: Vec<String>,
    /// Worker threads (`None`: one per core).
    pub jobs: Option<usize>,
    /// Writes frozen objects (`None`: [`frozen::write_object`], if this build has a freezer).
    /// A firmware's build script, or a test, can bring its own.
    pub freezer: Option<Freezer>,
}

/// A function from a target's modules (sorted by dotted name) to its frozen object's bytes.
pub type Freezer =
    fn(&manifest::FrozenSpec, &[FrozenModule]) -> Result<Vec<u8>, frozen::FreezeError>;

/// Progress callbacks, called from worker threads in any order (for progress bars only;
/// the [`Report`] has the results in a deterministic order).
pub trait Progress: Sync {
    /// A target starts: `total` modules to check.
    fn start(&self, _target: &str, _total: usize) {}
    /// One module was checked or compiled.
    fn advance(&self, _rel: &str) {}
}

/// No progress reporting.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Why one module has no output.
#[derive(Debug)]
pub enum ModuleError {
    /// The compiler rejected it; `source` is what it read (for snippets).
    Compile {
        error: CompileError,
        source: Vec<u8>,
    },
    /// Reading the source or writing the output failed.
    Io {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
}

/// What happened to one module.
#[derive(Debug)]
pub enum Outcome {
    /// Compiled and written.
    Compiled,
    /// The output on disk was built from the same source and options: not touched.
    UpToDate,
    /// No output (any previous one was removed).
    Failed(ModuleError),
}

/// One module's result.
#[derive(Debug)]
pub struct ModuleReport {
    pub source: SourceFile,
    pub options: ModuleOptions,
    /// The `.mpy` file written (or that would have been).
    pub output: PathBuf,
    pub outcome: Outcome,
}

/// One target's results.
#[derive(Debug)]
pub struct TargetReport {
    pub name: String,
    pub dir: PathBuf,
    /// Every module, sorted by source path.
    pub modules: Vec<ModuleReport>,
    /// Outputs removed because their source is gone (paths), sorted.
    pub removed: Vec<PathBuf>,
    /// The frozen object, when written in this build.
    pub frozen_written: Option<PathBuf>,
    /// Why the frozen object could not be written, if it could not.
    pub frozen_error: Option<FrozenFailure>,
}

impl TargetReport {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.modules.iter().filter(|m| f(&m.outcome)).count()
    }
    pub fn compiled(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Compiled))
    }
    pub fn up_to_date(&self) -> usize {
        self.count(|o| matches!(o, Outcome::UpToDate))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }
}

/// The results of a build.
#[derive(Debug, Default)]
pub struct Report {
    pub targets: Vec<TargetReport>,
}

impl Report {
    /// Whether every module and every frozen object was built.
    pub fn success(&self) -> bool {
        self.targets
            .iter()
            .all(|t| t.failed() == 0 && t.frozen_error.is_none())
    }
}

/// Rejects what this build cannot do (a frozen output without a freezer), pointing at the
/// manifest line that asks for it.
pub fn check_supported(
    manifest: &Manifest,
    targets: &[&Target],
    options: &BuildOptions,
) -> Result<(), BuildError> {
    if frozen::AVAILABLE || options.freezer.is_some() {
        return Ok(());
    }
    for t in targets {
        if t.frozen.is_some() {
            let (path, text) = match (&manifest.path, &manifest.text) {
                (Some(p), Some(t)) => (p.clone(), t.clone()),
                _ => (PathBuf::from(MANIFEST_FILE), String::new()),
            };
            return Err(ManifestError::new(
                &path,
                &text,
                t.frozen_span.clone().unwrap_or(0..0),
                Some(format!("target.{}.output", t.name)),
                frozen::FreezeError::Unavailable.to_string(),
            )
            .into());
        }
    }
    Ok(())
}

/// Builds `project`.
pub fn build(
    project: &Project,
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<Report, BuildError> {
    let manifest = &project.manifest;
    let mut selected: Vec<&Target> = Vec::new();
    if options.targets.is_empty() {
        selected.extend(manifest.targets.iter());
    } else {
        for name in &options.targets {
            match manifest.targets.iter().find(|t| &t.name == name) {
                Some(t) => selected.push(t),
                None => {
                    return Err(BuildError::UnknownTarget {
                        name: name.clone(),
                        known: manifest.targets.iter().map(|t| t.name.clone()).collect(),
                    })
                }
            }
        }
    }
    check_supported(manifest, &selected, options)?;
    let sources = discover::discover(&project.root, manifest)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .thread_name(|i| format!("upyc-build-{i}"))
        .build()
        .map_err(|e| BuildError::Io {
            what: "start worker threads for",
            path: project.root.clone(),
            error: std::io::Error::other(e),
        })?;
    let mut report = Report::default();
    for target in selected {
        let r = pool.install(|| build_target(project, target, &sources, options, progress))?;
        report.targets.push(r);
    }
    Ok(report)
}

/// Where a target's `.mpy` files go: its directory, or a hidden store if the `.mpy` tree is
/// not one of its outputs.
fn mpy_dir(out: &Path, target: &Target) -> PathBuf {
    if target.mpy {
        out.to_path_buf()
    } else {
        out.join(MPY_STORE)
    }
}

/// Why a target's frozen object was not written.
#[derive(Debug)]
pub enum FrozenFailure {
    /// Some modules did not compile, so there is no image to write.
    ModulesFailed,
    /// The freezer rejected the modules.
    Freeze(frozen::FreezeError),
    /// Reading a module's `.mpy` back or writing the object failed.
    Io {
        what: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for FrozenFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrozenFailure::ModulesFailed => {
                f.write_str("no frozen object: some modules failed to compile")
            }
            FrozenFailure::Freeze(e) => e.fmt(f),
            FrozenFailure::Io { what, path, error } => {
                write!(f, "cannot {what} {}: {error}", path.display())
            }
        }
    }
}

/// Holds the target's lock and writes its files atomically.
///
/// A file is written to a temporary file beside it (`.NAME.PID.upyc-tmp`, same directory:
/// creating files in one shared temporary directory and renaming them away measured several
/// times slower on ext4) and renamed over it. While a build writes, a marker file says so; a
/// build that finds the marker (its predecessor was killed) first sweeps the output
/// directory for temporary files. A no-op build writes nothing, not even the marker.
struct Workspace {
    out: PathBuf,
    marker: PathBuf,
    dirty: OnceLock<std::io::Result<()>>,
    dirs: Mutex<HashSet<PathBuf>>,
    _lock: std::fs::File,
}

impl Workspace {
    fn open(out: &Path) -> Result<Workspace, BuildError> {
        std::fs::create_dir_all(out).map_err(io_err("create output directory", out))?;
        let lock_path = out.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err("open lock file", &lock_path))?;
        lock.lock().map_err(io_err("lock", &lock_path))?;
        let marker = out.join(DIRTY_MARKER);
        if marker.exists() {
            // Left over from a killed build: never trusted, removed.
            for entry in walkdir::WalkDir::new(out).into_iter().flatten() {
                if entry.file_type().is_file()
                    && entry.file_name().to_string_lossy().ends_with(TMP_SUFFIX)
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            std::fs::remove_file(&marker).map_err(io_err("remove", &marker))?;
        }
        Ok(Workspace {
            out: out.to_path_buf(),
            marker,
            dirty: OnceLock::new(),
            dirs: Mutex::new(HashSet::new()),
            _lock: lock,
        })
    }

    /// Writes `data` to `path` through a temporary file and a rename: `path` holds either
    /// its old content or all of `data`, never a part.
    fn write(&self, path: &Path, data: &[u8]) -> std::io::Result<Stamp> {
        if let Err(e) = self
            .dirty
            .get_or_init(|| std::fs::write(&self.marker, b"").map(drop))
        {
            return Err(std::io::Error::new(e.kind(), e.to_string()));
        }
        let parent = path.parent().unwrap_or(&self.out);
        let known = self
            .dirs
            .lock()
            .map(|d| d.contains(parent))
            .unwrap_or(false);
        if !known {
            std::fs::create_dir_all(parent)?;
            if let Ok(mut d) = self.dirs.lock() {
                d.insert(parent.to_path_buf());
            }
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = parent.join(format!(".{name}.{}{TMP_SUFFIX}", std::process::id()));
        let result = (|| {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
            let mut f = options.open(&tmp)?;
            f.write_all(data)?;
            drop(f);
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        Stamp::of(path).ok_or_else(|| std::io::Error::other("output vanished after writing"))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if self.dirty.get().is_some() {
            let _ = std::fs::remove_file(&self.marker);
        }
    }
}

/// The result of one module's job.
struct Job {
    report: ModuleReport,
    entry: Option<Entry>,
    /// The `.mpy` bytes when compiled in this build.
    mpy: Option<Vec<u8>>,
}

fn build_target(
    project: &Project,
    target: &Target,
    sources: &[SourceFile],
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<TargetReport, BuildError> {
    let out = project.root.join(&target.dir);
    let ws = Workspace::open(&out)?;
    let cache_path = out.join(cache::CACHE_FILE);
    let old = Cache::load(&cache_path);
    let mpy_dir = mpy_dir(&out, target);
    progress.start(&target.name, sources.len());

    let jobs: Vec<Job> = sources
        .par_iter()
        .map(|src| {
            let options = project.manifest.options_for(target, &src.module);
            let job = build_module(&ws, &old, &mpy_dir, src, options);
            progress.advance(&src.rel);
            job
        })
        .collect();

    // Outputs whose source is gone (or is no longer part of the project).
    let mut removed = Vec::new();
    let live: std::collections::BTreeSet<&str> = sources.iter().map(|s| s.rel.as_str()).collect();
    for (rel, entry) in &old.entries {
        // The cache is a file anyone can edit: delete only what this tool could have written.
        if !live.contains(rel.as_str()) && is_output_path(&entry.output) {
            let path = mpy_dir.join(&entry.output);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    remove_empty_parents(&path, &mpy_dir);
                    removed.push(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("remove stale output", &path)(e)),
            }
        }
    }

    let mut new = Cache {
        tool: cache::TOOL.into(),
        ..Cache::default()
    };
    for job in &jobs {
        if let Some(e) = &job.entry {
            new.entries.insert(job.report.source.rel.clone(), e.clone());
        }
    }

    let failed = jobs
        .iter()
        .any(|j| matches!(j.report.outcome, Outcome::Failed(_)));
    let (mut frozen_written, mut frozen_error) = (None, None);
    if let Some(spec) = &target.frozen {
        let result = if failed {
            Err(FrozenFailure::ModulesFailed)
        } else {
            let freezer = options.freezer.unwrap_or(frozen::write_object);
            build_frozen(&ws, &out, &mpy_dir, spec, &jobs, &old, freezer)
        };
        match result {
            Ok((entry, written)) => {
                new.frozen = Some(entry);
                frozen_written = written;
            }
            Err(e) => {
                // An object without the current modules must not stay behind to be flashed.
                let object = out.join(&spec.object);
                match std::fs::remove_file(&object) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("remove stale object", &object)(e)),
                }
                frozen_error = Some(e);
            }
        }
    }

    if new != old {
        ws.write(&cache_path, &new.to_bytes())
            .map_err(io_err("write cache", &cache_path))?;
    }
    Ok(TargetReport {
        name: target.name.clone(),
        dir: out,
        modules: jobs.into_iter().map(|j| j.report).collect(),
        removed,
        frozen_written,
        frozen_error,
    })
}

/// Whether `rel` is a path this tool writes `.mpy` files to: relative, no `..`, `.mpy`.
fn is_output_path(rel: &str) -> bool {
    rel.ends_with(".mpy")
        && Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn remove_empty_parents(path: &Path, stop: &Path) {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d == stop || !d.starts_with(stop) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

fn build_module(
    ws: &Workspace,
    old: &Cache,
    mpy_dir: &Path,
    src: &SourceFile,
    options: ModuleOptions,
) -> Job {
    let output_rel = src.mpy_rel();
    let output = mpy_dir.join(&output_rel);
    let fail = |error: ModuleError| {
        // No output for a failed module: a stale one must not stay behind.
        let _ = std::fs::remove_file(&output);
        Job {
            report: ModuleReport {
                source: src.clone(),
                options,
                output: output.clone(),
                outcome: Outcome::Failed(error),
            },
            entry: None,
            mpy: None,
        }
    };
    let source = match std::fs::read(&src.path) {
        Ok(s) => s,
        Err(error) => {
            return fail(ModuleError::Io {
                what: "read",
                path: src.path.clone(),
                error,
            })
        }
    };
    let source_hash = cache::hash(&source);
    if let Some(e) = old.entries.get(&src.rel) {
        if e.source_hash == source_hash
            && e.options == options
            && e.output == output_rel
            && Stamp::of(&output) == Some(e.stamp)
        {
            return Job {
                report: ModuleReport {
                    source: src.clone(),
                    options,
                    output,
                    outcome: Outcome::UpToDate,
                },
                entry: Some(e.clone()),
                mpy: None,
            };
        }
    }
    let compile_options = CompileOptions {
        source_name: src.rel.clone(),
        opt_level: options.opt_level,
        small_int_bits: options.small_int_bits,
        ..CompileOptions::default()
    };
    // One compile context per worker thread: each file's parse tree reuses the arena of the
    // previous one.
    thread_local! {
        static COMPILER: std::cell::RefCell<upyc_compiler::Compiler> =
            std::cell::RefCell::new(upyc_compiler::Compiler::new());
    }
    let compiled = COMPILER.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => c.compile(&source, &compile_options),
        Err(_) => upyc_compiler::compile_source(&source, &compile_options),
    });
    let mpy = match compiled {
        Ok(m) => m,
        Err(error) => return fail(ModuleError::Compile { error, source }),
    };
    match ws.write(&output, &mpy) {
        Ok(stamp) => Job {
            entry: Some(Entry {
                source_hash,
                options,
                output: output_rel,
                stamp,
                mpy_hash: cache::hash(&mpy),
            }),
            report: ModuleReport {
                source: src.clone(),
                options,
                output,
                outcome: Outcome::Compiled,
            },
            mpy: Some(mpy),
        },
        Err(error) => fail(ModuleError::Io {
            what: "write",
            path: output.clone(),
            error,
        }),
    }
}

/// Writes the target's frozen object if any input changed. Returns its cache entry and, if
/// it was written, its path.
fn build_frozen(
    ws: &Workspace,
    out: &Path,
    mpy_dir: &Path,
    spec: &manifest::FrozenSpec,
    jobs: &[Job],
    old: &Cache,
    freezer: Freezer,
) -> Result<(FrozenEntry, Option<PathBuf>), FrozenFailure> {
    let mut order: Vec<&Job> = jobs.iter().collect();
    order.sort_by(|a, b| a.report.source.module.cmp(&b.report.source.module));
    let mut key = Vec::new();
    for part in [&spec.triple, &spec.symbol, &spec.object] {
        key.extend_from_slice(part.as_bytes());
        key.push(0);
    }
    for j in &order {
        let Some(e) = &j.entry else { continue };
        key.extend_from_slice(j.report.source.module.as_bytes());
        key.push(j.report.source.is_package as u8);
        key.extend_from_slice(&e.mpy_hash.to_le_bytes());
    }
    let inputs_hash = cache::hash(&key);
    let object = out.join(&spec.object);
    if let Some(f) = &old.frozen {
        if f.inputs_hash == inputs_hash
            && f.object == spec.object
            && Stamp::of(&object) == Some(f.stamp)
        {
            return Ok((f.clone(), None));
        }
    }
    let mut modules = Vec::with_capacity(order.len());
    for j in order {
        let mpy = match (&j.mpy, &j.entry) {
            (Some(m), _) => m.clone(),
            (None, Some(entry)) => {
                // Up to date: read back the output this build vouched for.
                let path = mpy_dir.join(&entry.output);
                let bytes = std::fs::read(&path).map_err(|error| FrozenFailure::Io {
                    what: "read",
                    path: path.clone(),
                    error,
                })?;
                if cache::hash(&bytes) != entry.mpy_hash {
                    return Err(FrozenFailure::Io {
                        what: "use",
                        path,
                        error: std::io::Error::other("changed while building"),
                    });
                }
                bytes
            }
            (None, None) => continue,
        };
        modules.push(FrozenModule {
            name: j.report.source.module.clone(),
            is_package: j.report.source.is_package,
            mpy,
        });
    }
    let bytes = freezer(spec, &modules).map_err(FrozenFailure::Freeze)?;
    let stamp = ws
        .write(&object, &bytes)
        .map_err(|error| FrozenFailure::Io {
            what: "write",
            path: object.clone(),
            error,
        })?;
    Ok((
        FrozenEntry {
            inputs_hash,
            object: spec.object.clone(),
            stamp,
        },
        Some(object),
    ))
}
