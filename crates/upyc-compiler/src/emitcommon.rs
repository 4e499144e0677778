//! State shared by all scopes of one compilation (MicroPython `py/emitcommon.c` and the
//! `mp_emit_common_*` helpers of `py/compile.c`): the module's qstr table, its constant-object
//! table and the child counter of the scope being emitted.
//!
//! The qstr table is in order of first use, across every pass of every scope, starting with
//! the source file name (index 0): that is the order mpy-cross writes it. The constant table
//! is in order of first use too, deduplicated with MicroPython's `strictly_equal`.
//!
//! Where we differ: MicroPython stores heap objects and compares pointers first; we store
//! [`ConstObj`] values and compare an optional identity (the index of the tree constant an
//! object came from), which gives the same answers, including for NaN, which equals itself
//! only when it is the very same object.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};

use rustc_hash::FxHashMap as HashMap;

use num_bigint::BigInt;
use upyc_syntax::qstr::Qstr;
use upyc_syntax::tree::ConstValue;

use crate::scope::ScopeId;

/// A constant object as the compiler and the `.mpy` writer see it.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstObj {
    None,
    False,
    True,
    Ellipsis,
    /// Any int (small or not): both have type `int` and print the same way.
    Int(BigInt),
    Float(f64),
    /// Real and imaginary parts.
    Complex(f64, f64),
    Str(Vec<u8>),
    Bytes(Vec<u8>),
    Tuple(Vec<ConstObj>),
}

impl ConstObj {
    /// The object a tree constant stands for.
    pub fn from_value(v: &ConstValue) -> ConstObj {
        match v {
            ConstValue::Int(i) => ConstObj::Int(i.clone()),
            ConstValue::Float(f) => ConstObj::Float(*f),
            ConstValue::Complex(re, im) => ConstObj::Complex(*re, *im),
            ConstValue::Str(s) => ConstObj::Str(s.clone()),
            ConstValue::Bytes(b) => ConstObj::Bytes(b.clone()),
            ConstValue::None => ConstObj::None,
            ConstValue::True => ConstObj::True,
            ConstValue::False => ConstObj::False,
            ConstValue::Ellipsis => ConstObj::Ellipsis,
            ConstValue::Tuple(items) => {
                ConstObj::Tuple(items.iter().map(Self::from_value).collect())
            }
        }
    }

    /// Python truth value (`mp_obj_is_true`).
    pub fn is_true(&self) -> bool {
        match self {
            ConstObj::None | ConstObj::False => false,
            ConstObj::True | ConstObj::Ellipsis => true,
            ConstObj::Int(i) => i.sign() != num_bigint::Sign::NoSign,
            ConstObj::Float(f) => *f != 0.0,
            ConstObj::Complex(re, im) => *re != 0.0 || *im != 0.0,
            ConstObj::Str(s) | ConstObj::Bytes(s) => !s.is_empty(),
            ConstObj::Tuple(t) => !t.is_empty(),
        }
    }

    /// `strictly_equal` of `py/emitcommon.c`: equal values of the same type; `0.0` and
    /// `-0.0` differ; `True` differs from `1`.
    pub fn strictly_equal(&self, other: &ConstObj) -> bool {
        match (self, other) {
            (ConstObj::None, ConstObj::None)
            | (ConstObj::False, ConstObj::False)
            | (ConstObj::True, ConstObj::True)
            | (ConstObj::Ellipsis, ConstObj::Ellipsis) => true,
            (ConstObj::Int(a), ConstObj::Int(b)) => a == b,
            (ConstObj::Float(a), ConstObj::Float(b)) => {
                (a == b && (*a != 0.0 || a.is_sign_negative() == b.is_sign_negative()))
                    || (is_static_nan(*a) && is_static_nan(*b))
            }
            (ConstObj::Complex(ar, ai), ConstObj::Complex(br, bi)) => ar == br && ai == bi,
            (ConstObj::Str(a), ConstObj::Str(b)) | (ConstObj::Bytes(a), ConstObj::Bytes(b)) => {
                a == b
            }
            (ConstObj::Tuple(a), ConstObj::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.strictly_equal(y))
            }
            _ => false,
        }
    }
}

/// [`ConstObj::is_true`] of the object made from `v`, without making it.
pub fn value_is_true(v: &ConstValue) -> bool {
    match v {
        ConstValue::None | ConstValue::False => false,
        ConstValue::True | ConstValue::Ellipsis => true,
        ConstValue::Int(i) => i.sign() != num_bigint::Sign::NoSign,
        ConstValue::Float(f) => *f != 0.0,
        ConstValue::Complex(re, im) => *re != 0.0 || *im != 0.0,
        ConstValue::Str(s) | ConstValue::Bytes(s) => !s.is_empty(),
        ConstValue::Tuple(t) => !t.is_empty(),
    }
}

/// Bits of `math.nan`, C's `NAN`.
const STATIC_NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// Whether `f` is (as far as we can tell) MicroPython's one static `math.nan` object, which
/// the parser substitutes for every `math.nan`: NaN is unequal to itself, so only being the
/// same object makes two NaN constants one. A NaN made by folding arithmetic (`inf - inf`)
/// is a new object each time, and on x86 it has the sign bit set, so the bits tell them
/// apart (a folded operation on `math.nan` itself is the exception we cannot see).
fn is_static_nan(f: f64) -> bool {
    f.to_bits() == STATIC_NAN_BITS
}

/// A hash of the type and value of a str, bytes or int constant (`None` for other kinds):
/// strictly equal objects of these kinds have the same hash.
fn value_hash(obj: &ConstObj) -> Option<u64> {
    let mut h = rustc_hash::FxHasher::default();
    match obj {
        ConstObj::Str(s) => (0u8, s).hash(&mut h),
        ConstObj::Bytes(b) => (1u8, b).hash(&mut h),
        ConstObj::Int(i) => (2u8, i).hash(&mut h),
        _ => return None,
    }
    Some(h.finish())
}

/// Identity of a constant object: the same identity means the same object.
pub type ConstId = Option<usize>;

/// `mp_emit_common_t`.
#[derive(Debug)]
pub struct EmitCommon {
    /// For each qstr id, its index in `qstrs` plus one (0: not in the table). Qstr ids are
    /// dense (indices into the pool), so a vector is cheaper than a hash map here.
    qstr_slot: Vec<u32>,
    /// The module's qstr table, in order of first use.
    pub qstrs: Vec<Qstr>,
    /// The module's constant table, in order of first use.
    pub consts: Vec<(ConstId, ConstObj)>,
    /// The answer [`EmitCommon::use_const_obj`] gave for each identity it was asked about.
    /// The table only grows, so asking again about the same object gives the same answer;
    /// remembering it saves a scan of the table (and making the object) on each later pass.
    const_by_id: HashMap<usize, usize>,
    /// For str, bytes and int constants: a hash of the value and the first table index with
    /// that hash. Strict equality needs the same type and value, so a value whose hash is
    /// absent here is in the table nowhere, and no scan of the table is needed (other kinds,
    /// and hash collisions, are rare and take the scan).
    const_by_hash: HashMap<u64, usize>,
    /// Children allocated so far in the current pass of the current scope.
    pub children: Vec<ScopeId>,
}

impl EmitCommon {
    /// `mp_emit_common_init`: the source file is always qstr 0.
    pub fn new(source_file: Qstr) -> Self {
        let mut common = EmitCommon {
            qstr_slot: Vec::new(),
            qstrs: Vec::new(),
            consts: Vec::new(),
            const_by_id: HashMap::default(),
            const_by_hash: HashMap::default(),
            children: Vec::new(),
        };
        common.use_qstr(source_file);
        common
    }

    /// `mp_emit_common_start_pass`: restarts child numbering.
    pub fn start_pass(&mut self) {
        self.children.clear();
    }

    /// `mp_emit_common_use_qstr`: the index of `q` in the qstr table, adding it if new.
    pub fn use_qstr(&mut self, q: Qstr) -> usize {
        let id = q.0 as usize;
        if let Some(&slot) = self.qstr_slot.get(id) {
            if slot != 0 {
                return slot as usize - 1;
            }
        } else {
            self.qstr_slot.resize(id + 1, 0);
        }
        let i = self.qstrs.len();
        self.qstrs.push(q);
        self.qstr_slot[id] = i as u32 + 1;
        i
    }

    /// `mp_emit_common_use_const_obj`: the index of `obj` in the constant table, adding it if
    /// no strictly equal object is there yet.
    pub fn use_const_obj(&mut self, id: ConstId, obj: &ConstObj) -> usize {
        self.use_const(id, Cow::Borrowed(obj))
    }

    /// [`EmitCommon::use_const_obj`] for the constant `value` of the parse node `id`, made
    /// into a [`ConstObj`] only when the node is new to the table (and then moved into it).
    pub fn use_const_value(&mut self, id: usize, value: &ConstValue) -> usize {
        match self.const_by_id.get(&id) {
            Some(&i) => i,
            None => self.use_const(Some(id), Cow::Owned(ConstObj::from_value(value))),
        }
    }

    fn use_const(&mut self, id: ConstId, obj: Cow<'_, ConstObj>) -> usize {
        if let Some(&i) = id.and_then(|id| self.const_by_id.get(&id)) {
            return i;
        }
        // (An entry made with the identity `id` is in `const_by_id` already, so only strict
        // equality can find one now.)
        let hash = value_hash(&obj);
        let found = match hash.map(|h| (h, self.const_by_hash.get(&h))) {
            Some((_, None)) => None,
            Some((_, Some(&i))) if self.consts[i].1.strictly_equal(&obj) => Some(i),
            _ => self.consts.iter().position(|(_, e)| e.strictly_equal(&obj)),
        };
        let i = found.unwrap_or_else(|| {
            self.consts.push((id, obj.into_owned()));
            let i = self.consts.len() - 1;
            if let Some(h) = hash {
                self.const_by_hash.entry(h).or_insert(i);
            }
            i
        });
        if let Some(id) = id {
            self.const_by_id.insert(id, i);
        }
        i
    }

    /// `mp_emit_common_alloc_const_child`: the child index of the function made from `scope`.
    pub fn alloc_const_child(&mut self, scope: ScopeId) -> usize {
        self.children.push(scope);
        self.children.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_equality_follows_micropython() {
        let i1 = ConstObj::Int(1.into());
        assert!(!i1.strictly_equal(&ConstObj::True));
        assert!(!i1.strictly_equal(&ConstObj::Float(1.0)));
        assert!(!ConstObj::Float(0.0).strictly_equal(&ConstObj::Float(-0.0)));
        assert!(ConstObj::Float(-0.0).strictly_equal(&ConstObj::Float(-0.0)));
        let folded_nan = f64::from_bits(0xfff8_0000_0000_0000);
        assert!(!ConstObj::Float(folded_nan).strictly_equal(&ConstObj::Float(folded_nan)));
        let math_nan = f64::from_bits(STATIC_NAN_BITS);
        assert!(ConstObj::Float(math_nan).strictly_equal(&ConstObj::Float(math_nan)));
        assert!(ConstObj::Complex(0.0, 0.0).strictly_equal(&ConstObj::Complex(-0.0, 0.0)));
        assert!(!ConstObj::Str(b"a".to_vec()).strictly_equal(&ConstObj::Bytes(b"a".to_vec())));
        let t1 = ConstObj::Tuple(vec![i1.clone(), ConstObj::None]);
        let t2 = ConstObj::Tuple(vec![i1, ConstObj::None]);
        assert!(t1.strictly_equal(&t2));
    }

    #[test]
    fn tables_are_in_order_of_first_use() {
        let mut c = EmitCommon::new(Qstr(7));
        assert_eq!(c.use_qstr(Qstr(3)), 1);
        assert_eq!(c.use_qstr(Qstr(7)), 0);
        assert_eq!(c.use_qstr(Qstr(3)), 1);
        let nan = ConstObj::Float(f64::from_bits(0xfff8_0000_0000_0000));
        assert_eq!(c.use_const_obj(Some(10), &nan), 0);
        assert_eq!(c.use_const_obj(Some(10), &nan), 0);
        assert_eq!(c.use_const_obj(Some(11), &nan), 1);
        assert_eq!(c.use_const_obj(None, &ConstObj::Ellipsis), 2);
        assert_eq!(c.use_const_obj(None, &ConstObj::Ellipsis), 2);
    }
}
