//! Interned strings (qstrs): the `.mpy` static list, the runtime's own names, and the
//! strings interned at load time.
//!
//! Corresponds to MicroPython's `py/qstr.c` and the generated `genhdr/qstrdefs.generated.h`.
//!
//! Ids: 0 is the null qstr; `1..=STATIC_QSTR_COUNT` are the `.mpy` static qstrs (the same
//! ids a `.mpy` qstr table uses); then the names the runtime itself needs
//! (special methods, builtins, method names), resolved at compile time by the [`q!`] macro;
//! then the dynamic qstrs interned into the heap pool (see `Vm::intern`).
//!
//! Where we differ from MicroPython: there is no build step generating the table: the
//! runtime's names are a `const` list checked at compile time; the texts are one `const`
//! blob with a table of end offsets, and the text-to-id index is a `const` array of ids
//! sorted by hash (searched by bisection). The hash is a word-sized djb2 variant
//! (MicroPython truncates it to one or two bytes).

use upyc_bytecode::mpy::{STATIC_QSTRS, STATIC_QSTR_COUNT};

/// A qstr id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct Qstr(pub u16);

impl Qstr {
    /// The null qstr.
    pub const NULL: Qstr = Qstr(0);
}

/// Names the runtime needs beyond the `.mpy` static list (ids follow the static ones), in
/// groups `[cfg predicate] names;`. Every group is `[all()]` today, whatever the features:
/// a frozen image refers to these ids (and checks a fingerprint of the table), so the table
/// must be the same in the host's `upyc freeze` and in a trimmed firmware. Gating a group
/// by feature saves flash (about 1.5 KB in the minimal build) but needs images that name
/// the runtime's qstrs by text, not id.
macro_rules! extra {
    ($([$cfg:meta] $($s:literal),* $(,)?;)*) => {
        /// Number of runtime names.
        pub const EXTRA_COUNT: usize = [$($(#[cfg($cfg)] $s,)*)*].len();
        const fn extra_list() -> [&'static str; EXTRA_COUNT] { [$($(#[cfg($cfg)] $s,)*)*] }
    };
}

extra! {
    [all()]
    "__add__", "__sub__", "__mul__", "__matmul__", "__floordiv__", "__truediv__", "__mod__",
    "__pow__", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__", "__radd__",
    "__rsub__", "__rmul__", "__rmatmul__", "__rfloordiv__", "__rtruediv__", "__rmod__",
    "__rpow__", "__rand__", "__ror__", "__rxor__", "__rlshift__", "__rrshift__", "__iadd__",
    "__isub__", "__imul__", "__imatmul__", "__ifloordiv__", "__itruediv__", "__imod__",
    "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__lt__",
    "__gt__", "__eq__", "__le__", "__ge__", "__ne__", "__contains__", "__neg__", "__pos__",
    "__invert__", "__abs__", "__bool__", "__float__", "__index__", "__divmod__", "__del__",
    "__get__", "__set__", "__delete__", "__delattr__", "__setattr__", "__bases__", "__dict__",
    "__doc__", "__file__", "__path__", "__builtins__", "__import__", "__build_class__",
    "__version__", "__reversed__", "__sizeof__", "__round__", "__self__", "__func__",
    "__traceback__", "__cause__", "__context__", "__set_name__", "__init_subclass__",
    "__missing__", "__mro__", "__format__", "__await__", "__aiter__", "__anext__", "__aenter__",
    "__aexit__", "__length_hint__", "__orig_bases__", "__slots__", "__annotations__", "float",
    "frozenset", "slice", "function", "bound_method", "generator", "module", "cell", "property",
    "ellipsis", "NotImplementedType", "NotImplemented", "iterator", "enumerate", "filter",
    "reversed", "dict_view", "dict_keys", "dict_values", "dict_items", "closure",
    "builtin_function_or_method", "StopAsyncIteration", "UnicodeError", "UnboundLocalError",
    "RecursionError", "ModuleNotFoundError", "bin", "delattr", "hex", "input", "max", "min",
    "oct", "vars", "compile", "encode", "decode", "istitle", "isdecimal", "isnumeric",
    "isprintable", "isascii", "maketrans", "translate", "format_map", "fromkeys", "fromhex",
    "bit_length", "bit_count", "numerator", "denominator", "big", "signed", "byteorder",
    "length", "with_traceback", "code", "errno", "indices", "default", "maxsplit", "base",
    "ndigits", "fget", "fset", "fdel", "doc", "getter", "setter", "deleter", "utf8", "ascii",
    "strict", "errors", "encoding", "file", "flush", "mro", "cls", "x", "object_", "name",
    "msg", "filename", "lineno", "sys", "gc", "time", "argv", "path", "modules",
    "implementation", "version", "version_info", "platform", "maxsize", "exit", "stdout",
    "stderr", "stdin", "print_exception", "_mpy", "exc_info", "getsizeof", "linux", "upyc",
    "buffer", "collect", "mem_free", "mem_alloc", "enable", "disable", "isenabled", "threshold",
    "opt_level", "mem_info", "qstr_info", "heap_lock", "heap_unlock", "kbd_intr", "sleep",
    "sleep_ms", "sleep_us", "ticks_ms", "ticks_us", "ticks_cpu", "ticks_diff", "ticks_add",
    "time_ns", "monotonic", "perf_counter", "localtime", "gmtime", "mktime", "builtins_",
    "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<stdin>", "<string>",
    "TextIOWrapper", "metaclass", "_machine", "usys", "utime", "__bytes__", "offset",
    "memoryview", "EACCES", "EADDRINUSE", "EAGAIN", "EALREADY", "EBADF", "ECONNABORTED",
    "ECONNREFUSED", "ECONNRESET", "EEXIST", "EHOSTUNREACH", "EINPROGRESS", "EINVAL", "EIO",
    "EISDIR", "ENOBUFS", "ENODEV", "ENOENT", "ENOMEM", "ENOTCONN", "EOPNOTSUPP", "EPERM",
    "ETIMEDOUT", "errorcode", "schedule", "stack_use", "__getattribute__", "complex",
    "conjugate", "real", "imag", "__trunc__";
    [all()]
    "sqrt", "floor", "ceil", "trunc", "fabs", "isnan", "isinf", "isfinite", "copysign", "fmod",
    "modf", "frexp", "ldexp", "exp", "log", "log2", "log10", "sin", "cos", "tan", "asin",
    "acos", "atan", "atan2", "degrees", "radians", "gcd", "isqrt", "factorial", "hypot", "pi",
    "e", "inf", "nan", "tau", "math", "umath", "abs_tol", "acosh", "asinh", "atanh", "cosh",
    "erf", "erfc", "expm1", "gamma", "isclose", "lgamma", "log1p", "rel_tol", "sinh", "tanh",
    "is_integer", "as_integer_ratio", "__floor__", "__ceil__";
    [all()]
    "__complex__";
    [all()]
    "add", "difference", "difference_update", "discard", "intersection", "intersection_update",
    "isdisjoint", "issubset", "issuperset", "symmetric_difference",
    "symmetric_difference_update", "union";
    [all()]
    "partition", "rpartition", "splitlines", "center", "ljust", "rjust", "zfill", "title",
    "capitalize", "swapcase", "casefold", "isalnum", "expandtabs", "removeprefix",
    "removesuffix", "isidentifier", "keepends", "tabsize";
    [all()]
    "calcsize", "pack", "pack_into", "unpack", "unpack_from";
    [all()]
    "tobytes";
    [all()]
    "board", "digitalio", "nativeio", "machine", "microcontroller", "DigitalInOut",
    "Direction", "Pull", "DriveMode", "INPUT", "OUTPUT", "UP", "DOWN", "PUSH_PULL",
    "OPEN_DRAIN", "switch_to_output", "switch_to_input", "direction", "pull", "drive_mode",
    "deinit", "Pin", "IN", "OUT", "PULL_UP", "PULL_DOWN", "init", "on", "off", "toggle",
    "high", "low", "mode", "pin";
}

/// First dynamic (heap-interned) qstr id.
pub const DYN_BASE: u16 = (1 + STATIC_QSTR_COUNT + EXTRA_COUNT) as u16;

/// Number of ids with a built-in text (the null id 0 included).
const N_BUILTIN: usize = DYN_BASE as usize;

/// Text of a static or runtime qstr (`None` for null and dynamic ids).
pub fn builtin_text(q: Qstr) -> Option<&'static [u8]> {
    let id = q.0 as usize;
    if id == 0 || id >= N_BUILTIN {
        return None;
    }
    let start = *TEXT_END.get(id - 1)? as usize;
    let end = *TEXT_END.get(id)? as usize;
    TEXT.get(start..end)
}

/// The text of built-in id `id` (`1..DYN_BASE`), usable in `const` contexts.
pub(crate) const fn text_at(id: usize) -> &'static [u8] {
    if id <= STATIC_QSTR_COUNT {
        STATIC_QSTRS[id - 1].as_bytes()
    } else {
        extra_list()[id - 1 - STATIC_QSTR_COUNT].as_bytes()
    }
}

const fn text_len() -> usize {
    let mut n = 0;
    let mut id = 1;
    while id < N_BUILTIN {
        n += text_at(id).len();
        id += 1;
    }
    n
}

/// Bytes of all built-in texts, concatenated in id order.
const TEXT_LEN: usize = text_len();

/// The built-in texts, back to back (one blob and [`TEXT_END`] take less flash than a
/// table of `&str`, two words per entry).
static TEXT: [u8; TEXT_LEN] = build_text();

/// `TEXT_END[id]`: where the text of `id` ends in [`TEXT`] (it starts at `TEXT_END[id - 1]`).
static TEXT_END: [u16; N_BUILTIN] = build_text_end();

const fn build_text() -> [u8; TEXT_LEN] {
    let mut t = [0u8; TEXT_LEN];
    let mut n = 0;
    let mut id = 1;
    while id < N_BUILTIN {
        let b = text_at(id);
        let mut i = 0;
        while i < b.len() {
            t[n] = b[i];
            n += 1;
            i += 1;
        }
        id += 1;
    }
    t
}

const fn build_text_end() -> [u16; N_BUILTIN] {
    assert!(TEXT_LEN <= u16::MAX as usize);
    let mut t = [0u16; N_BUILTIN];
    let mut n = 0;
    let mut id = 1;
    while id < N_BUILTIN {
        n += text_at(id).len();
        t[id] = n as u16;
        id += 1;
    }
    t
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The hash of a string's bytes (also `hash(str)`); never 0.
pub const fn hash_bytes(b: &[u8]) -> usize {
    let mut h: usize = 5381;
    let mut i = 0;
    while i < b.len() {
        h = h.wrapping_mul(33) ^ b[i] as usize;
        i += 1;
    }
    // Keep it a non-negative small int on every word size. On 32-bit targets hashes are
    // 16 bits, as MicroPython's (so the built-in table keeps two bytes per name); no dict
    // on such a part comes near 65,536 keys.
    h &= if usize::BITS >= 64 {
        usize::MAX >> 2
    } else {
        0xffff
    };
    if h == 0 {
        1
    } else {
        h
    }
}

/// Id of a static or runtime name, at compile time (fails to compile if unknown).
pub const fn qid(s: &str) -> Qstr {
    let b = s.as_bytes();
    let mut id = 1;
    while id < DYN_BASE as usize {
        if bytes_eq(text_at(id), b) {
            return Qstr(id as u16);
        }
        id += 1;
    }
    panic!("not a runtime qstr: add it to qstr::EXTRA")
}

/// The qstr for a string literal, resolved at compile time.
#[macro_export]
macro_rules! q {
    ($s:literal) => {{
        const Q: $crate::qstr::Qstr = $crate::qstr::qid($s);
        Q
    }};
}

/// A built-in name's hash as stored in [`HASHES`]: the whole hash on 64-bit hosts, two
/// bytes on 32-bit targets (where [`hash_bytes`] is 16 bits).
#[cfg(target_pointer_width = "64")]
pub type HashWord = usize;
/// A built-in name's hash as stored in [`HASHES`] (16 bits on 32-bit targets).
#[cfg(not(target_pointer_width = "64"))]
pub type HashWord = u16;

/// Hashes of the static and runtime names, by id.
static HASHES: [HashWord; N_BUILTIN] = build_hashes();

/// The hash of built-in id `id` ([`hash_bytes`] of its text; 0 for ids without one).
#[inline]
pub fn builtin_hash(id: usize) -> usize {
    // The conversion is from u16 on 32-bit targets.
    #[allow(clippy::useless_conversion)]
    HASHES.get(id).map_or(0, |&h| usize::from(h))
}

/// The ids of the static and runtime names (duplicated texts: the first id only), sorted by
/// hash: on a host [`find_builtin`] searches it by bisection. A 32-bit target scans
/// [`HASHES`] instead, as MicroPython scans its pool, and saves the table's flash (the
/// lookup runs when a name is interned, not in the instruction loop).
#[cfg(target_pointer_width = "64")]
static BY_HASH: [u16; N_UNIQUE] = build_by_hash();

/// Number of distinct built-in texts.
#[cfg(target_pointer_width = "64")]
const N_UNIQUE: usize = count_unique();

const fn build_hashes() -> [HashWord; N_BUILTIN] {
    let mut t = [0; N_BUILTIN];
    let mut id = 1;
    while id < N_BUILTIN {
        t[id] = hash_bytes(text_at(id)) as HashWord;
        id += 1;
    }
    t
}

/// Whether an earlier id has the same text as `id`.
#[cfg(target_pointer_width = "64")]
const fn is_dup(id: usize) -> bool {
    let mut j = 1;
    while j < id {
        if bytes_eq(text_at(j), text_at(id)) {
            return true;
        }
        j += 1;
    }
    false
}

#[cfg(target_pointer_width = "64")]
const fn count_unique() -> usize {
    let mut n = 0;
    let mut id = 1;
    while id < N_BUILTIN {
        if !is_dup(id) {
            n += 1;
        }
        id += 1;
    }
    n
}

#[cfg(target_pointer_width = "64")]
const fn build_by_hash() -> [u16; N_UNIQUE] {
    let hashes = build_hashes();
    let mut t = [0u16; N_UNIQUE];
    let mut n = 0;
    let mut id = 1;
    while id < N_BUILTIN {
        if !is_dup(id) {
            // Insertion sort by hash.
            let h = hashes[id];
            let mut i = n;
            while i > 0 && hashes[t[i - 1] as usize] > h {
                t[i] = t[i - 1];
                i -= 1;
            }
            t[i] = id as u16;
            n += 1;
        }
        id += 1;
    }
    t
}

/// Id of a static or runtime name with this text (`hash` is [`hash_bytes`] of it); of
/// names with the same text, the first id.
#[cfg(target_pointer_width = "64")]
pub fn find_builtin(b: &[u8], hash: usize) -> Option<Qstr> {
    let hash_of = |i: usize| {
        let id = BY_HASH.get(i).copied().unwrap_or(0) as usize;
        builtin_hash(id)
    };
    // First entry with this hash, then every entry sharing it.
    let (mut lo, mut hi) = (0, BY_HASH.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if hash_of(mid) < hash {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while lo < BY_HASH.len() && hash_of(lo) == hash {
        let q = Qstr(BY_HASH[lo]);
        if builtin_text(q) == Some(b) {
            return Some(q);
        }
        lo += 1;
    }
    None
}

/// Id of a static or runtime name with this text (`hash` is [`hash_bytes`] of it); of
/// names with the same text, the first id.
#[cfg(not(target_pointer_width = "64"))]
pub fn find_builtin(b: &[u8], hash: usize) -> Option<Qstr> {
    scan_builtin(b, hash)
}

/// [`find_builtin`] by scanning [`HASHES`] in id order (the 32-bit lookup; a host's tests
/// check it against the bisection).
#[cfg(any(test, not(target_pointer_width = "64")))]
fn scan_builtin(b: &[u8], hash: usize) -> Option<Qstr> {
    (1..N_BUILTIN)
        .find(|&id| builtin_hash(id) == hash && builtin_text(Qstr(id as u16)) == Some(b))
        .map(|id| Qstr(id as u16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_lookup() {
        assert_eq!(q!("<module>"), Qstr(7));
        assert_eq!(builtin_text(q!("__add__")), Some(&b"__add__"[..]));
        assert_eq!(builtin_text(q!("zip")), Some(&b"zip"[..]));
        assert_eq!(builtin_text(Qstr(1)), Some(&b""[..]));
        for id in 1..DYN_BASE {
            let t = builtin_text(Qstr(id)).unwrap();
            assert_eq!(t, text_at(id as usize));
            let found = find_builtin(t, hash_bytes(t)).unwrap();
            assert_eq!(builtin_text(found), Some(t));
            assert!(found.0 <= id);
            assert_eq!(scan_builtin(t, hash_bytes(t)), Some(found));
        }
        assert_eq!(find_builtin(b"nope_nope", hash_bytes(b"nope_nope")), None);
        assert_eq!(scan_builtin(b"nope_nope", hash_bytes(b"nope_nope")), None);
        assert_eq!(builtin_text(Qstr(DYN_BASE)), None);
    }
}
