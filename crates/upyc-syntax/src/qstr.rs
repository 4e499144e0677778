//! Interned strings (MicroPython `py/qstr.c`), as mpy-cross's parser and compiler see them.
//!
//! Byte-identical output depends on this pool: the parser interns every name and every string
//! of at most `INTERN_STRING_LEN` bytes, and turns a longer string into a qstr only if the pool
//! already holds it (mpy-cross's built-in qstrs, or anything interned earlier in the same run).
//! The pool therefore starts with the built-in qstrs of mpy-cross 1.29 (`builtin_qstrs.rs`).

use rustc_hash::FxHashMap as HashMap;

/// Strings up to this many bytes are always interned by the parser
/// (`MICROPY_ALLOC_PARSE_INTERN_STRING_LEN`).
pub const INTERN_STRING_LEN: usize = 10;

/// An interned string: an index into a [`QstrPool`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qstr(pub u32);

/// The qstr pool of one compilation.
#[derive(Clone, Debug)]
pub struct QstrPool {
    strs: Vec<Box<[u8]>>,
    index: HashMap<Box<[u8]>, Qstr>,
}

impl Default for QstrPool {
    fn default() -> Self {
        Self::new()
    }
}

impl QstrPool {
    /// A pool holding mpy-cross's built-in qstrs.
    pub fn new() -> Self {
        let mut pool = QstrPool::empty();
        for s in crate::builtin_qstrs::BUILTIN_QSTRS {
            pool.intern(s.as_bytes());
        }
        pool
    }

    /// A pool with nothing in it (for tests).
    pub fn empty() -> Self {
        QstrPool {
            strs: Vec::new(),
            index: HashMap::default(),
        }
    }

    /// Interns `s`, returning its existing id if it is already in the pool.
    pub fn intern(&mut self, s: &[u8]) -> Qstr {
        if let Some(&q) = self.index.get(s) {
            return q;
        }
        let q = Qstr(self.strs.len() as u32);
        let owned: Box<[u8]> = s.into();
        self.strs.push(owned.clone());
        self.index.insert(owned, q);
        q
    }

    /// Interns a `&str`.
    pub fn intern_str(&mut self, s: &str) -> Qstr {
        self.intern(s.as_bytes())
    }

    /// The id of `s` if it is already interned (`qstr_find_strn`).
    pub fn find(&self, s: &[u8]) -> Option<Qstr> {
        self.index.get(s).copied()
    }

    /// The bytes of `q`.
    pub fn get(&self, q: Qstr) -> &[u8] {
        &self.strs[q.0 as usize]
    }

    /// The text of `q`, with invalid UTF-8 replaced (for messages only).
    pub fn text(&self, q: Qstr) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.get(q))
    }

    pub fn len(&self) -> usize {
        self.strs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strs.is_empty()
    }
}
