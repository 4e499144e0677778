//! `upyc.toml`: the project manifest, parsed with serde + toml and validated with spans.
//!
//! MicroPython's counterpart is a `manifest.py` executed by make (`tools/manifestfile.py`);
//! ours is declarative data. Every error names the file, the line, the column and the key.
//!
//! ```toml
//! [project]
//! name = "blink"
//! sources = ["**/*.py"]      # globs over paths relative to the project directory
//! exclude = ["tests/**"]
//! opt-level = 0              # mpy-cross -O
//! small-int-bits = 31        # mpy-cross -msmall-int-bits
//!
//! [modules."drivers"]        # a module, or a package and everything under it
//! opt-level = 3
//!
//! [target.pico]              # several named targets, e.g. one per board
//! output = ["mpy", "frozen"] # an .mpy tree, a frozen object, or both
//! dir = "build/pico"         # default: build/NAME (build/ when there are no targets)
//! opt-level = 2
//! triple = "thumbv6m-none-eabi"
//! symbol = "upyc_frozen"
//! object = "frozen.o"
//! ```
//!
//! Options resolve from the most general to the most specific: `[project]`, then the target,
//! then the `[modules]` entry with the longest matching name.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// The manifest's file name, at the project root.
pub const MANIFEST_FILE: &str = "upyc.toml";

/// The lowest and highest `opt-level` (mpy-cross's `-O0` to `-O3`).
pub const OPT_LEVELS: Range<u8> = 0..4;
/// The accepted `small-int-bits` (mpy-cross defaults to 31; 64-bit ports use 63).
pub const SMALL_INT_BITS: Range<u8> = 8..64;
/// The default global symbol of a frozen image.
pub const DEFAULT_SYMBOL: &str = "upyc_frozen";
/// The default file name of a frozen object, inside the target's directory.
pub const DEFAULT_OBJECT: &str = "frozen.o";

/// A manifest error: where, which key, and what is wrong (boxed: errors stay one word).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError(Box<ManifestErrorDetails>);

/// The fields of a [`ManifestError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestErrorDetails {
    /// The manifest's path.
    pub path: PathBuf,
    /// The manifest's text (for rendering a snippet).
    pub text: String,
    /// The byte range the error is about.
    pub span: Range<usize>,
    /// 1-based line and column of `span.start`.
    pub line: usize,
    pub column: usize,
    /// The key, as a dotted path when known (`target.pico.opt-level`).
    pub key: Option<String>,
    pub message: String,
}

impl std::ops::Deref for ManifestError {
    type Target = ManifestErrorDetails;
    fn deref(&self) -> &ManifestErrorDetails {
        &self.0
    }
}

impl ManifestError {
    /// An error about `span` of the manifest `text` read from `path`.
    pub fn new(
        path: &Path,
        text: &str,
        span: Range<usize>,
        key: Option<String>,
        message: String,
    ) -> Self {
        let span = crate::diagnostics::fit(text, span);
        let (start, end) = (span.start, span.end);
        let (line, column) = crate::diagnostics::line_column(text.as_bytes(), start);
        ManifestError(Box::new(ManifestErrorDetails {
            path: path.to_path_buf(),
            text: text.to_string(),
            span: start..end,
            line,
            column,
            key,
            message,
        }))
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ManifestError {}

/// Compile options that a level of the manifest may set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub opt_level: Option<u8>,
    pub small_int_bits: Option<u8>,
}

/// The options one module is compiled with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModuleOptions {
    pub opt_level: u8,
    pub small_int_bits: u8,
}

impl Default for ModuleOptions {
    fn default() -> Self {
        ModuleOptions {
            opt_level: 0,
            small_int_bits: upyc_compiler::CompileOptions::default().small_int_bits,
        }
    }
}

impl ModuleOptions {
    fn apply(&mut self, o: &Overrides) {
        if let Some(v) = o.opt_level {
            self.opt_level = v;
        }
        if let Some(v) = o.small_int_bits {
            self.small_int_bits = v;
        }
    }
}

/// A frozen output: the compiled modules in a ROM image inside an object file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FrozenSpec {
    /// The target triple the object is for (`thumbv7m-none-eabi`).
    pub triple: String,
    /// The image's global symbol.
    pub symbol: String,
    /// The object's file name inside the target directory.
    pub object: String,
}

/// One named output of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    /// The output directory, relative to the project root.
    pub dir: PathBuf,
    /// Whether the `.mpy` tree is an output.
    pub mpy: bool,
    /// The frozen output, if asked for.
    pub frozen: Option<FrozenSpec>,
    /// Where the manifest asks for the frozen output (for errors), if it does.
    pub frozen_span: Option<Range<usize>>,
    pub overrides: Overrides,
}

/// A resolved manifest (or the defaults when a project has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The manifest file, if the project has one.
    pub path: Option<PathBuf>,
    /// The manifest's text, if the project has one.
    pub text: Option<String>,
    pub name: Option<String>,
    pub sources: Vec<String>,
    pub exclude: Vec<String>,
    pub defaults: ModuleOptions,
    /// Per-module or per-package overrides, by dotted name.
    pub modules: BTreeMap<String, Overrides>,
    /// At least one target; in the manifest's (sorted) order.
    pub targets: Vec<Target>,
}

/// The target used when the manifest names none: the `.mpy` tree under `build/`.
pub fn default_target() -> Target {
    Target {
        name: "default".into(),
        dir: PathBuf::from("build"),
        mpy: true,
        frozen: None,
        frozen_span: None,
        overrides: Overrides::default(),
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            path: None,
            text: None,
            name: None,
            sources: vec!["**/*.py".into()],
            exclude: Vec::new(),
            defaults: ModuleOptions::default(),
            modules: BTreeMap::new(),
            targets: vec![default_target()],
        }
    }
}

impl Manifest {
    /// The options `module` (dotted name) is compiled with for `target`.
    pub fn options_for(&self, target: &Target, module: &str) -> ModuleOptions {
        let mut o = self.defaults;
        o.apply(&target.overrides);
        let best = self
            .modules
            .iter()
            .filter(|(k, _)| {
                module == k.as_str()
                    || (module.starts_with(k.as_str()) && module[k.len()..].starts_with('.'))
            })
            .max_by_key(|(k, _)| k.len());
        if let Some((_, over)) = best {
            o.apply(over);
        }
        o
    }

    /// Parses and validates the manifest text read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = key_at(text, span.start);
            ManifestError::new(path, text, span, key, e.message().trim().to_string())
        })?;
        Validator { path, text }.resolve(raw)
    }
}

/// The key assigned on the line containing `offset`, if the line is `key = value`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = crate::diagnostics::fit(text, offset..offset).start;
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..line_end];
    // `key = value`: the key, whether the error is about the key or the value.
    let eq = line.find('=')?;
    let key = line[..eq].trim();
    if key.is_empty() || key.starts_with('[') || key.starts_with('#') {
        return None;
    }
    // The table the line belongs to: the last `[header]` line before it.
    let header = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .and_then(|l| l.strip_prefix('['))
        .and_then(|l| l.split(']').next())
        .map(str::trim);
    Some(match header {
        Some(h) if !h.is_empty() => format!("{h}.{key}"),
        _ => key.to_string(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    project: Option<RawProject>,
    #[serde(default)]
    modules: BTreeMap<Spanned<String>, RawOverrides>,
    #[serde(default)]
    target: BTreeMap<Spanned<String>, RawTarget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProject {
    name: Option<Spanned<String>>,
    sources: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    opt_level: Option<Spanned<i64>>,
    small_int_bits: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverrides {
    opt_level: Option<Spanned<i64>>,
    small_int_bits: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTarget {
    output: Option<Spanned<Vec<Spanned<String>>>>,
    dir: Option<Spanned<String>>,
    opt_level: Option<Spanned<i64>>,
    small_int_bits: Option<Spanned<i64>>,
    triple: Option<Spanned<String>>,
    symbol: Option<Spanned<String>>,
    object: Option<Spanned<String>>,
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Validator<'_> {
    fn err(&self, span: Range<usize>, key: &str, msg: impl Into<String>) -> ManifestError {
        ManifestError::new(
            self.path,
            self.text,
            span,
            Some(key.to_string()),
            msg.into(),
        )
    }

    fn resolve(&self, raw: RawManifest) -> Result<Manifest, ManifestError> {
        let mut m = Manifest {
            path: Some(self.path.to_path_buf()),
            text: Some(self.text.to_string()),
            ..Manifest::default()
        };
        if let Some(p) = raw.project {
            m.name = p.name.map(Spanned::into_inner);
            if let Some(sources) = p.sources {
                m.sources = self.globs(sources, "project.sources")?;
            }
            if let Some(exclude) = p.exclude {
                m.exclude = self.globs(exclude, "project.exclude")?;
            }
            let o = self.overrides(p.opt_level, p.small_int_bits, "project")?;
            m.defaults.apply(&o);
        }
        for (name, raw) in raw.modules {
            let key = format!("modules.{}", name.get_ref());
            if !is_dotted_name(name.get_ref()) {
                return Err(self.err(
                    name.span(),
                    &key,
                    "not a module or package name (dotted identifiers, e.g. `drivers.sensor`)",
                ));
            }
            let o = self.overrides(raw.opt_level, raw.small_int_bits, &key)?;
            m.modules.insert(name.into_inner(), o);
        }
        if !raw.target.is_empty() {
            m.targets.clear();
        }
        for (name, raw) in raw.target {
            let span = name.span();
            let t = self.target(name, raw)?;
            if let Some(other) = m.targets.iter().find(|o| o.dir == t.dir) {
                return Err(self.err(
                    span,
                    &format!("target.{}.dir", t.name),
                    format!(
                        "`{}` is also the directory of target `{}`",
                        t.dir.display(),
                        other.name
                    ),
                ));
            }
            m.targets.push(t);
        }
        Ok(m)
    }

    fn globs(&self, list: Vec<Spanned<String>>, key: &str) -> Result<Vec<String>, ManifestError> {
        list.into_iter()
            .map(|g| match globset::Glob::new(g.get_ref()) {
                Ok(_) => Ok(g.into_inner()),
                Err(e) => Err(self.err(g.span(), key, format!("invalid glob: {}", e.kind()))),
            })
            .collect()
    }

    fn overrides(
        &self,
        opt: Option<Spanned<i64>>,
        bits: Option<Spanned<i64>>,
        prefix: &str,
    ) -> Result<Overrides, ManifestError> {
        let ranged = |v: Option<Spanned<i64>>, name: &str, r: Range<u8>| match v {
            None => Ok(None),
            Some(v) => {
                let n = *v.get_ref();
                if n >= r.start as i64 && n < r.end as i64 {
                    Ok(Some(n as u8))
                } else {
                    Err(self.err(
                        v.span(),
                        &format!("{prefix}.{name}"),
                        format!(
                            "{n} is out of range (expected {} to {})",
                            r.start,
                            r.end - 1
                        ),
                    ))
                }
            }
        };
        Ok(Overrides {
            opt_level: ranged(opt, "opt-level", OPT_LEVELS)?,
            small_int_bits: ranged(bits, "small-int-bits", SMALL_INT_BITS)?,
        })
    }

    fn target(&self, name: Spanned<String>, raw: RawTarget) -> Result<Target, ManifestError> {
        let key = format!("target.{}", name.get_ref());
        let valid_name = !name.get_ref().is_empty()
            && !name.get_ref().starts_with('.')
            && name
                .get_ref()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid_name {
            return Err(self.err(
                name.span(),
                &key,
                "a target name is letters, digits, `-`, `_` and `.` (it names a directory)",
            ));
        }
        let (mut mpy, mut frozen_span) = (true, None);
        if let Some(output) = &raw.output {
            mpy = false;
            if output.get_ref().is_empty() {
                return Err(self.err(
                    output.span(),
                    &format!("{key}.output"),
                    "no outputs: expected \"mpy\", \"frozen\" or both",
                ));
            }
            for o in output.get_ref() {
                let dup = match o.get_ref().as_str() {
                    "mpy" => std::mem::replace(&mut mpy, true),
                    "frozen" => frozen_span.replace(o.span()).is_some(),
                    other => {
                        return Err(self.err(
                            o.span(),
                            &format!("{key}.output"),
                            format!("unknown output \"{other}\" (expected \"mpy\" or \"frozen\")"),
                        ))
                    }
                };
                if dup {
                    return Err(self.err(
                        o.span(),
                        &format!("{key}.output"),
                        format!("\"{}\" is listed twice", o.get_ref()),
                    ));
                }
            }
        }
        let dir = match raw.dir {
            None => PathBuf::from("build").join(name.get_ref()),
            Some(d) => {
                let p = PathBuf::from(d.get_ref());
                let inside = !d.get_ref().is_empty()
                    && p.components().all(|c| matches!(c, Component::Normal(_)))
                    && !p
                        .components()
                        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
                if !inside {
                    return Err(self.err(
                        d.span(),
                        &format!("{key}.dir"),
                        "must be a relative path inside the project (no `..`, no hidden directories)",
                    ));
                }
                p
            }
        };
        let frozen_only = |v: &Option<Spanned<String>>, field: &str| -> Result<(), ManifestError> {
            match v {
                Some(v) if frozen_span.is_none() => Err(self.err(
                    v.span(),
                    &format!("{key}.{field}"),
                    "only used by a frozen output (add \"frozen\" to `output`)",
                )),
                _ => Ok(()),
            }
        };
        frozen_only(&raw.triple, "triple")?;
        frozen_only(&raw.symbol, "symbol")?;
        frozen_only(&raw.object, "object")?;
        let frozen = match &frozen_span {
            None => None,
            Some(span) => {
                let triple = match raw.triple {
                    Some(t) if upyc_freeze::Target::from_triple(t.get_ref()).is_ok() => {
                        t.into_inner()
                    }
                    Some(t) => {
                        return Err(self.err(
                            t.span(),
                            &format!("{key}.triple"),
                            format!(
                                "not a target the freezer knows (known: {})",
                                upyc_freeze::Target::known_names()
                            ),
                        ))
                    }
                    None => {
                        return Err(self.err(
                            span.clone(),
                            &format!("{key}.triple"),
                            "a frozen output needs `triple` (e.g. \"thumbv7m-none-eabi\")",
                        ))
                    }
                };
                let symbol = match raw.symbol {
                    None => DEFAULT_SYMBOL.to_string(),
                    Some(s) if is_c_identifier(s.get_ref()) => s.into_inner(),
                    Some(s) => return Err(self.err(
                        s.span(),
                        &format!("{key}.symbol"),
                        "not a symbol name (letters, digits and `_`, not starting with a digit)",
                    )),
                };
                let object = match raw.object {
                    None => DEFAULT_OBJECT.to_string(),
                    Some(o)
                        if !o.get_ref().is_empty()
                            && !o.get_ref().starts_with('.')
                            && !o.get_ref().contains(['/', '\\']) =>
                    {
                        o.into_inner()
                    }
                    Some(o) => {
                        return Err(self.err(
                            o.span(),
                            &format!("{key}.object"),
                            "must be a plain file name (no directories, not hidden)",
                        ))
                    }
                };
                Some(FrozenSpec {
                    triple,
                    symbol,
                    object,
                })
            }
        };
        let overrides = self.overrides(raw.opt_level, raw.small_int_bits, &key)?;
        Ok(Target {
            name: name.into_inner(),
            dir,
            mpy,
            frozen,
            frozen_span,
            overrides,
        })
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_c_identifier(s: &str) -> bool {
    s.is_ascii() && is_identifier(s)
}

fn is_dotted_name(s: &str) -> bool {
    s.split('.').all(is_identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(Path::new("upyc.toml"), text)
    }

    #[test]
    fn empty_manifest_is_the_default() {
        let m = parse("").unwrap();
        assert_eq!(m.targets, vec![default_target()]);
        assert_eq!(m.sources, vec!["**/*.py".to_string()]);
    }

    #[test]
    fn most_specific_module_override_wins() {
        let m = parse(
            "[project]\nopt-level = 1\n[modules.drv]\nopt-level = 2\n[modules.\"drv.spi\"]\nopt-level = 3\n\
             [target.a]\nsmall-int-bits = 63\n",
        )
        .unwrap();
        let t = &m.targets[0];
        assert_eq!(m.options_for(t, "main").opt_level, 1);
        assert_eq!(m.options_for(t, "main").small_int_bits, 63);
        assert_eq!(m.options_for(t, "drv").opt_level, 2);
        assert_eq!(m.options_for(t, "drv.i2c").opt_level, 2);
        assert_eq!(m.options_for(t, "drv.spi").opt_level, 3);
        assert_eq!(m.options_for(t, "drv.spi.x").opt_level, 3);
        assert_eq!(m.options_for(t, "drvx").opt_level, 1);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = parse("[project]\nname = \"x\"\noptlevel = 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(e.key.as_deref(), Some("project.optlevel"));
        assert!(e.message.contains("optlevel"), "{e}");
    }

    #[test]
    fn bad_value_names_key() {
        let e = parse("[target.b]\nopt-level = 9\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("target.b.opt-level"));
        assert_eq!((e.line, e.column), (2, 13));
        let e = parse("[project]\nopt-level = \"3\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("project.opt-level"));
        assert_eq!(e.line, 2);
    }

    #[test]
    fn frozen_needs_triple() {
        let e = parse("[target.b]\noutput = [\"frozen\"]\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("target.b.triple"));
        let m =
            parse("[target.b]\noutput = [\"frozen\"]\ntriple = \"thumbv7m-none-eabi\"\n").unwrap();
        assert!(!m.targets[0].mpy);
        assert_eq!(m.targets[0].frozen.as_ref().unwrap().symbol, DEFAULT_SYMBOL);
    }

    #[test]
    fn targets_need_their_own_directories() {
        let e = parse("[target.a]\ndir = \"out\"\n[target.b]\ndir = \"out\"\n").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("target.b.dir"));
        assert_eq!(e.line, 3);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = parse(&s);
        }

        #[test]
        fn manifest_like_text_never_panics(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("[project]".to_string()),
                    proptest::strategy::Just("[target.x]".to_string()),
                    proptest::strategy::Just("[modules.\"a.b\"]".to_string()),
                    "[a-z-]{1,14} = [0-9]{1,3}",
                    "[a-z-]{1,14} = \"[^\"\n]{0,10}\"",
                    "[a-z-]{1,14} = \\[\"[a-z*/.]{0,8}\"\\]",
                    "\\PC{0,20}",
                ],
                0..12,
            )
        ) {
            let _ = parse(&lines.join("\n"));
        }
    }
}
