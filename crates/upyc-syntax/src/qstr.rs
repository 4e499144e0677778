//! Interned strings (MicroPython `py/qstr.c`), as mpy-cross's parser and compiler see them.
//!
//! Byte-identical output depends on this pool: the parser interns every name and every string
//! of at most `INTERN_STRING_LEN` bytes, and turns a longer string into a qstr only if the pool
//! already holds it (mpy-cross's built-in qstrs, or anything interned earlier in the same run).
//! The pool therefore starts with the built-in qstrs of mpy-cross 1.29 (`builtin_qstrs.rs`).

use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

/// Strings up to this many bytes are always interned by the parser
/// (`MICROPY_ALLOC_PARSE_INTERN_STRING_LEN`).
pub const INTERN_STRING_LEN: usize = 10;

/// An interned string: an index into a [`QstrPool`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qstr(pub u32);

/// The qstr pool of one compilation.
///
/// Every `upyc compile` process builds one, so making it and interning are kept cheap: the
/// built-in qstrs are borrowed from the static table (no allocation), each other string is
/// allocated once and shared by the id table and the index (`Arc`), and both tables start with
/// room for the built-in qstrs and a small module, so that most never grow (a larger start
/// costs a small file more in page faults than the growth it saves a large one).
#[derive(Clone, Debug)]
pub struct QstrPool {
    strs: Vec<Text>,
    index: HashMap<Text, Qstr>,
}

/// The bytes of a qstr: static for the built-in ones, shared otherwise.
#[derive(Clone, Debug)]
enum Text {
    Static(&'static [u8]),
    Shared(Arc<[u8]>),
}

impl Text {
    fn bytes(&self) -> &[u8] {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

// Hashed and compared as the bytes they hold, so the index can be searched with a `&[u8]`.
impl Borrow<[u8]> for Text {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Text {}

/// The number of qstrs a new pool has room for before it grows.
const INITIAL_CAPACITY: usize = 128;

impl Default for QstrPool {
    fn default() -> Self {
        Self::new()
    }
}

impl QstrPool {
    /// A pool holding mpy-cross's built-in qstrs.
    pub fn new() -> Self {
        let mut pool = QstrPool {
            strs: Vec::with_capacity(INITIAL_CAPACITY),
            index: HashMap::with_capacity_and_hasher(INITIAL_CAPACITY, Default::default()),
        };
        for s in crate::builtin_qstrs::BUILTIN_QSTRS {
            pool.insert_new(Text::Static(s.as_bytes()));
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
        self.insert_new(Text::Shared(s.into()))
    }

    /// Interns `text`, which the caller has made (or borrowed) already.
    fn insert_new(&mut self, text: Text) -> Qstr {
        let next = Qstr(self.strs.len() as u32);
        match self.index.entry(text) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.strs.push(e.key().clone());
                e.insert(next);
                next
            }
        }
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
        self.strs[q.0 as usize].bytes()
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
