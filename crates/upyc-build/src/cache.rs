//! The incremental cache: per target, what each output was built from (postcard).
//!
//! An output is trusted only if the cache says it was built from a source with the same
//! content hash (xxh3-128), with the same options, by the same upyc, and the file on disk still
//! has the length and modification time recorded right after it was written. Anything else is
//! rebuilt. The cache is written (atomically) after the outputs it describes, so a build killed
//! in between leaves outputs the cache does not vouch for, which the next build redoes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::manifest::ModuleOptions;

/// The cache file's name inside a target's output directory.
pub const CACHE_FILE: &str = ".upyc-cache";

/// First bytes of a cache file; a file with other bytes is ignored (everything rebuilds).
const MAGIC: &[u8; 8] = b"UPYCBC\x00\x01";

/// Identifies the tool that wrote a cache: outputs of another upyc are rebuilt.
pub const TOOL: &str = concat!("upyc-build ", env!("CARGO_PKG_VERSION"));

/// The state of a written file: length and modification time (seconds, nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub len: u64,
    pub mtime: (u64, u32),
}

impl Stamp {
    /// The stamp of the file at `path`, if it is a readable regular file.
    pub fn of(path: &Path) -> Option<Stamp> {
        let md = std::fs::symlink_metadata(path).ok()?;
        if !md.is_file() {
            return None;
        }
        let t = md.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(Stamp {
            len: md.len(),
            mtime: (t.as_secs(), t.subsec_nanos()),
        })
    }
}

/// What one module's output was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub source_hash: u128,
    pub options: ModuleOptions,
    /// The `.mpy` file, relative to the directory it is written to.
    pub output: String,
    pub stamp: Stamp,
    /// Hash of the `.mpy` bytes (frozen images are rebuilt when one changes).
    pub mpy_hash: u128,
}

/// What a frozen object was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenEntry {
    /// Hash over the spec and every module's name, kind and `.mpy` hash.
    pub inputs_hash: u128,
    pub object: String,
    pub stamp: Stamp,
}

/// One target's cache.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    pub tool: String,
    /// By source path relative to the project root.
    pub entries: BTreeMap<String, Entry>,
    pub frozen: Option<FrozenEntry>,
}

impl Cache {
    /// Reads the cache at `path`; a missing, foreign, corrupt or other-tool cache is empty.
    pub fn load(path: &Path) -> Cache {
        let Ok(bytes) = std::fs::read(path) else {
            return Cache::default();
        };
        let Some(body) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Cache::default();
        };
        match postcard::from_bytes::<Cache>(body) {
            Ok(c) if c.tool == TOOL => c,
            _ => Cache::default(),
        }
    }

    /// The bytes of the cache file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        // Serializing plain data into a Vec cannot fail; an empty cache is the safe fallback.
        out.extend(postcard::to_allocvec(self).unwrap_or_default());
        out
    }
}

/// The content hash used for sources and outputs.
pub fn hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CACHE_FILE);
        let mut c = Cache {
            tool: TOOL.into(),
            ..Cache::default()
        };
        c.entries.insert(
            "a.py".into(),
            Entry {
                source_hash: 7,
                options: ModuleOptions::default(),
                output: "a.mpy".into(),
                stamp: Stamp {
                    len: 3,
                    mtime: (1, 2),
                },
                mpy_hash: 9,
            },
        );
        std::fs::write(&p, c.to_bytes()).unwrap();
        assert_eq!(Cache::load(&p), c);
        let mut bytes = c.to_bytes();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&p, bytes).unwrap();
        assert_eq!(Cache::load(&p), Cache::default());
        std::fs::write(&p, b"junk").unwrap();
        assert_eq!(Cache::load(&p), Cache::default());
    }
}
