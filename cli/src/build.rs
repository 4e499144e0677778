//! `upyc build [DIR]`: builds a project with upyc-build and reports on the terminal.
//!
//! Human output: a progress bar on a terminal (stderr), plain lines otherwise; every error of
//! every module with a snippet, then a summary. `--message-format json`: one JSON object per
//! line on stdout, for tools and editors. Exit code 1 if anything failed.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use upyc_build::{
    diagnostics, BuildError, BuildOptions, ModuleError, Outcome, Progress, Project, TargetReport,
};

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// `--message-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

/// The arguments of `upyc build`.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The project directory (default: the current directory).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Build only this target (repeatable; default: every target of upyc.toml).
    #[arg(long = "target", value_name = "NAME")]
    targets: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// Print only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also list modules that were up to date.
    #[arg(short, long)]
    verbose: bool,
    /// `human` (default) or `json` (one object per line on stdout).
    #[arg(long, value_enum, default_value = "human")]
    message_format: MessageFormat,
}

/// A progress bar on stderr, or nothing.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Progress for Bar {
    fn start(&self, target: &str, total: usize) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(format!("Building {target}"));
        if let Ok(mut b) = self.bar.lock() {
            if let Some(old) = b.replace(bar) {
                old.finish_and_clear();
            }
        }
    }

    fn advance(&self, rel: &str) {
        if let Ok(b) = self.bar.lock() {
            if let Some(bar) = b.as_ref() {
                bar.set_message(rel.to_string());
                bar.inc(1);
            }
        }
    }
}

impl Bar {
    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(bar) = b.take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// The path to show for `rel` in project `dir` (as the user named the directory).
fn shown(dir: &Path, rel: &str) -> String {
    if dir == Path::new(".") {
        rel.to_string()
    } else {
        dir.join(rel).to_string_lossy().into_owned()
    }
}

fn shown_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// `upyc build`.
pub fn run(args: &BuildArgs) -> ExitCode {
    let verbosity = if args.quiet {
        Verbosity::Quiet
    } else if args.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let json = args.message_format == MessageFormat::Json;
    let color = !json && std::io::stderr().is_terminal();
    let started = Instant::now();
    let bar = Bar {
        bar: Mutex::new(None),
        enabled: !json && verbosity != Verbosity::Quiet && std::io::stderr().is_terminal(),
    };
    let result = Project::load(&args.dir).and_then(|project| {
        let options = BuildOptions {
            targets: args.targets.clone(),
            jobs: args.jobs,
            freezer: None,
        };
        upyc_build::build(&project, &options, &bar)
    });
    bar.finish();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if json {
                let _ = writeln!(out, "{}", build_error_json(&e));
            } else {
                let text = match &e {
                    BuildError::Manifest(m) => diagnostics::render_manifest_error(m, color),
                    other => format!("error: {other}\n"),
                };
                let _ = err.write_all(text.as_bytes());
            }
            return ExitCode::FAILURE;
        }
    };
    let mut reported = std::collections::HashSet::new();
    let (mut failed, mut errors) = (0usize, 0usize);
    for t in &report.targets {
        for m in &t.modules {
            let rel = &m.source.rel;
            let name = shown(&args.dir, rel);
            let output = shown_path(&m.output);
            match &m.outcome {
                Outcome::Compiled | Outcome::UpToDate => {
                    let compiled = matches!(m.outcome, Outcome::Compiled);
                    if json {
                        let status = if compiled { "compiled" } else { "fresh" };
                        let _ = writeln!(
                            out,
                            "{}",
                            json!({"reason": "module", "target": t.name, "source": name,
                                   "output": output, "status": status})
                        );
                    } else if !bar.enabled
                        && (verbosity == Verbosity::Verbose
                            || (compiled && verbosity == Verbosity::Normal))
                    {
                        let what = if compiled { "compiled" } else { "fresh" };
                        let _ = writeln!(err, "{what:>9} {name}");
                    }
                }
                Outcome::Failed(e) => {
                    failed += 1;
                    let (text, count) = match e {
                        ModuleError::Compile { error, source } => {
                            diagnostics::render_compile_error(error, &name, source, color)
                        }
                        ModuleError::Io { what, path, error } => (
                            format!("error: cannot {what} {}: {error}\n", path.display()),
                            1,
                        ),
                    };
                    if json {
                        let _ = writeln!(
                            out,
                            "{}",
                            json!({"reason": "module", "target": t.name, "source": name,
                                   "output": output, "status": "failed"})
                        );
                        for d in module_error_json(e, &t.name, &name) {
                            let _ = writeln!(out, "{d}");
                        }
                    } else if reported.insert(text.clone()) {
                        errors += count;
                        let _ = err.write_all(text.as_bytes());
                    }
                }
            }
        }
        for p in &t.removed {
            let p = shown_path(p);
            if json {
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"reason": "removed", "target": t.name, "output": p})
                );
            } else if verbosity != Verbosity::Quiet {
                let _ = writeln!(err, "{:>9} {p}", "removed");
            }
        }
        if let Some(fe) = &t.frozen_error {
            if json {
                let _ = writeln!(
                    out,
                    "{}",
                    json!({"reason": "frozen-error", "target": t.name, "message": fe.to_string()})
                );
            } else {
                let _ = writeln!(err, "error: target `{}`: {fe}", t.name);
            }
        }
        if let Some(p) = &t.frozen_written {
            if !json && verbosity != Verbosity::Quiet {
                let _ = writeln!(err, "{:>9} {}", "froze", shown_path(p));
            }
        }
        if !json && verbosity != Verbosity::Quiet {
            let _ = writeln!(err, "{}", summary(t));
        }
    }
    let success = report.success();
    if json {
        let sum = |f: fn(&TargetReport) -> usize| report.targets.iter().map(f).sum::<usize>();
        let _ = writeln!(
            out,
            "{}",
            json!({"reason": "build-finished", "success": success,
                   "compiled": sum(TargetReport::compiled),
                   "fresh": sum(TargetReport::up_to_date),
                   "failed": sum(TargetReport::failed),
                   "removed": sum(|t| t.removed.len())})
        );
    } else if !success && failed > 0 {
        let _ = writeln!(
            err,
            "error: could not build: {failed} module{} failed ({errors} error{})",
            if failed == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
        );
    } else if verbosity != Verbosity::Quiet {
        let _ = writeln!(
            err,
            "{:>9} in {:.2}s",
            "finished",
            started.elapsed().as_secs_f64()
        );
    }
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn summary(t: &TargetReport) -> String {
    let mut s = format!(
        "{:>9} target `{}` -> {}: {} compiled, {} up to date",
        "built",
        t.name,
        shown_path(&t.dir),
        t.compiled(),
        t.up_to_date()
    );
    if t.failed() > 0 {
        s.push_str(&format!(", {} failed", t.failed()));
    }
    if !t.removed.is_empty() {
        s.push_str(&format!(", {} removed", t.removed.len()));
    }
    s
}

fn module_error_json(e: &ModuleError, target: &str, file: &str) -> Vec<serde_json::Value> {
    match e {
        ModuleError::Compile { error, source } => diagnostics::locate(error, source)
            .into_iter()
            .map(|l| {
                let end = l
                    .span
                    .as_ref()
                    .map(|s| diagnostics::line_column(source, s.end));
                json!({"reason": "diagnostic", "target": target, "file": file,
                       "line": l.line, "column": l.column,
                       "end_line": end.map(|e| e.0), "end_column": end.map(|e| e.1),
                       "message": l.message})
            })
            .collect(),
        ModuleError::Io { what, path, error } => vec![json!({
            "reason": "diagnostic", "target": target, "file": file,
            "line": null, "column": null, "end_line": null, "end_column": null,
            "message": format!("cannot {what} {}: {error}", path.display())})],
    }
}

fn build_error_json(e: &BuildError) -> serde_json::Value {
    match e {
        BuildError::Manifest(m) => json!({"reason": "manifest-error",
            "file": m.path.to_string_lossy(), "line": m.line, "column": m.column,
            "key": m.key, "message": m.message}),
        other => json!({"reason": "build-error", "message": other.to_string()}),
    }
}
