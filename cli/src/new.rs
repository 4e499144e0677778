//! `upyc new NAME`: scaffolds a project directory with a `upyc.toml` and a `main.py`.

use std::path::Path;
use std::process::ExitCode;

/// The manifest of a new project (`{name}` is replaced).
const MANIFEST: &str = r#"# upyc project manifest: `upyc build` compiles every source to build/<path>.mpy.
[project]
name = "{name}"
sources = ["**/*.py"]
exclude = []
opt-level = 0
small-int-bits = 31

# Options for one module, or a package and everything under it:
# [modules."drivers"]
# opt-level = 3

# Named targets (e.g. one per board), each written to build/<name>/ by default:
# [target.board]
# output = ["mpy"]
# opt-level = 2
"#;

const MAIN: &str = "print(\"hello from {name}\")\n";
const GITIGNORE: &str = "/build/\n";

/// Creates the project; fails if `path` exists.
pub fn run(path: &Path) -> ExitCode {
    match create(path) {
        Ok(()) => {
            eprintln!("{:>9} project `{}`", "created", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot create project `{}`: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn create(path: &Path) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && !n.contains('"') && !n.contains('\\'))
        .ok_or_else(|| std::io::Error::other("not a usable project name"))?;
    // Fails if the directory exists: never overwrite a project.
    std::fs::create_dir(path)?;
    std::fs::write(
        path.join(upyc_build::MANIFEST_FILE),
        MANIFEST.replace("{name}", &name),
    )?;
    std::fs::write(path.join("main.py"), MAIN.replace("{name}", &name))?;
    std::fs::write(path.join(".gitignore"), GITIGNORE)?;
    Ok(())
}
