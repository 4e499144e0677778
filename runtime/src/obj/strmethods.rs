//! The methods of `str` (most also serve `bytes`), including `str.format`.
//!
//! Corresponds to the method table of MicroPython's `py/objstr.c` (and
//! `py/objstrunicode.c` for character indexing).
//!
//! Offsets given and returned are character indexes for str and byte indexes for bytes;
//! case mapping and character classes are ASCII-only, as in MicroPython.

use crate::builtins::{method, NativeDef};
use crate::obj::str::{self as s, SRef};
use crate::obj::{Obj, TypeId};
use crate::vm::{Fmt, Out, Vm};
use crate::{q, PyResult};

struct Me {
    o: Obj,
    r: SRef,
    tid: TypeId,
}

fn me(vm: &mut Vm, args: &[Obj]) -> PyResult<Me> {
    let o = match args.first() {
        Some(&o) => o,
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "expected str")),
    };
    let o = if vm.is_instance_obj(o) {
        vm.native_base(o, TypeId::STR)
    } else {
        o
    };
    match vm.buffer_ref(o) {
        Some(r) => {
            let tid = if vm.is_str(o) {
                TypeId::STR
            } else {
                TypeId::BYTES
            };
            Ok(Me { o, r, tid })
        }
        None => Err(vm.raise(TypeId::TYPE_ERROR, "expected str")),
    }
}

/// The bytes of an argument that must be the same kind as self.
fn arg_ref(vm: &mut Vm, m: &Me, a: Obj) -> PyResult<SRef> {
    let ok = if m.tid == TypeId::STR {
        vm.is_str(a)
    } else {
        !vm.is_str(a)
    };
    match vm.buffer_ref(a) {
        Some(r) if ok => Ok(r),
        _ => {
            if m.tid == TypeId::STR {
                Err(vm.err_str_implicit(a))
            } else {
                Err(vm.raise(TypeId::TYPE_ERROR, "a bytes-like object is required"))
            }
        }
    }
}

/// Byte range of the optional `start`/`end` arguments (character indexes for str).
fn range_args(vm: &mut Vm, m: &Me, args: &[Obj]) -> PyResult<(usize, usize)> {
    let n = if m.tid == TypeId::STR {
        vm.str_char_len(m.o)
    } else {
        m.r.len()
    };
    let start = match args.first() {
        Some(&a) if a != Obj::NONE => vm.slice_bound(a, n)?,
        _ => 0,
    };
    let end = match args.get(1) {
        Some(&a) if a != Obj::NONE => vm.slice_bound(a, n)?,
        _ => n,
    };
    if m.tid == TypeId::STR {
        Ok(vm.str_char_range(m.o, start, end.max(start)))
    } else {
        Ok((start, end.max(start)))
    }
}

fn byte_to_index(vm: &Vm, m: &Me, off: usize) -> isize {
    if m.tid == TypeId::STR && !vm.str_is_ascii(m.o) {
        s::char_count(&vm.sbytes(m.r)[..off]) as isize
    } else {
        off as isize
    }
}

fn find_impl(vm: &mut Vm, args: &[Obj], rev: bool) -> PyResult<Option<isize>> {
    vm.check_nargs(args, 2, 4)?;
    let m = me(vm, args)?;
    let needle = arg_ref(vm, &m, args[1])?;
    let (a, b) = range_args(vm, &m, &args[2..])?;
    let hay = vm.sbytes(m.r);
    let nb = vm.sbytes(needle);
    let hay_range = &hay[..b.min(hay.len())];
    let pos = if rev {
        s::rfind(hay_range, nb, a, b)
    } else {
        s::find(hay_range, nb, a)
    };
    Ok(pos.map(|p| byte_to_index(vm, &m, p)))
}

/// `str.find`.
pub fn find(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(
        find_impl(vm, args, false)?.unwrap_or(-1),
    ))
}

/// `str.rfind`.
pub fn rfind(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(Obj::small_unchecked(
        find_impl(vm, args, true)?.unwrap_or(-1),
    ))
}

/// `str.index`.
pub fn index(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    match find_impl(vm, args, false)? {
        Some(i) => Ok(Obj::small_unchecked(i)),
        None => Err(vm.raise(TypeId::VALUE_ERROR, "substring not found")),
    }
}

/// `str.rindex`.
pub fn rindex(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    match find_impl(vm, args, true)? {
        Some(i) => Ok(Obj::small_unchecked(i)),
        None => Err(vm.raise(TypeId::VALUE_ERROR, "substring not found")),
    }
}

/// `str.count`.
pub fn count(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 4)?;
    let m = me(vm, args)?;
    let needle = arg_ref(vm, &m, args[1])?;
    let (a, b) = range_args(vm, &m, &args[2..])?;
    let hay = &vm.sbytes(m.r)[..b];
    let nb = vm.sbytes(needle);
    if nb.is_empty() {
        let n = if m.tid == TypeId::STR {
            s::char_count(&hay[a..])
        } else {
            b - a
        };
        return Ok(Obj::small_unchecked(n as isize + 1));
    }
    let mut c = 0;
    let mut i = a;
    while let Some(p) = s::find(hay, nb, i) {
        c += 1;
        i = p + nb.len();
    }
    Ok(Obj::small_unchecked(c))
}

fn starts_ends(vm: &mut Vm, args: &[Obj], ends: bool) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 4)?;
    let m = me(vm, args)?;
    let (a, b) = range_args(vm, &m, &args[2..])?;
    let check = |vm: &mut Vm, p: Obj| -> PyResult<bool> {
        let pr = arg_ref(vm, &m, p)?;
        let hay = &vm.sbytes(m.r)[a..b];
        let nb = vm.sbytes(pr);
        Ok(if ends {
            hay.ends_with(nb)
        } else {
            hay.starts_with(nb)
        })
    };
    if vm.is_tuple(args[1]) {
        for i in 0..vm.tuple_len(args[1]) {
            let p = vm.tuple_get(args[1], i);
            if check(vm, p)? {
                return Ok(Obj::TRUE);
            }
        }
        return Ok(Obj::FALSE);
    }
    check(vm, args[1]).map(Obj::bool)
}

/// `str.startswith`.
pub fn startswith(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    starts_ends(vm, args, false)
}

/// `str.endswith`.
pub fn endswith(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    starts_ends(vm, args, true)
}

fn strip_impl(vm: &mut Vm, args: &[Obj], left: bool, right: bool) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let m = me(vm, args)?;
    let chars = match args.get(1) {
        Some(&c) if c != Obj::NONE => Some(arg_ref(vm, &m, c)?),
        _ => None,
    };
    let b = vm.sbytes(m.r);
    let is_strip = |c: u8| match chars {
        Some(cr) => vm.sbytes(cr).contains(&c),
        None => s::is_space(c),
    };
    let mut a = 0;
    let mut e = b.len();
    if left {
        while a < e && is_strip(b[a]) {
            a += 1;
        }
    }
    if right {
        while e > a && is_strip(b[e - 1]) {
            e -= 1;
        }
    }
    if a == 0 && e == b.len() {
        return Ok(m.o);
    }
    vm.new_str_from_ref(m.tid, m.r, a, e)
}

/// `str.strip`.
pub fn strip(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    strip_impl(vm, args, true, true)
}

/// `str.lstrip`.
pub fn lstrip(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    strip_impl(vm, args, true, false)
}

/// `str.rstrip`.
pub fn rstrip(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    strip_impl(vm, args, false, true)
}

fn map_bytes(vm: &mut Vm, args: &[Obj], f: fn(u8, &mut MapState) -> u8) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let m = me(vm, args)?;
    let n = m.r.len();
    let o = vm.alloc_str(m.tid, n)?;
    let mut st = MapState {
        prev_alpha: false,
        first: true,
    };
    for i in 0..n {
        let c = vm.sbytes(m.r)[i];
        let d = f(c, &mut st);
        st.first = false;
        vm.heap.bytes_mut(Vm::str_data(o) + i, 1)[0] = d;
    }
    vm.str_finish(o);
    Ok(o)
}

struct MapState {
    #[cfg_attr(not(feature = "str-extra"), allow(dead_code))]
    prev_alpha: bool,
    first: bool,
}

/// `str.upper`.
pub fn upper(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    map_bytes(vm, args, |c, _| c.to_ascii_uppercase())
}

/// `str.lower`.
pub fn lower(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    map_bytes(vm, args, |c, _| c.to_ascii_lowercase())
}

/// `str.swapcase`.
#[cfg(feature = "str-extra")]
pub fn swapcase(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    map_bytes(vm, args, |c, _| {
        if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        }
    })
}

/// `str.title`.
#[cfg(feature = "str-extra")]
pub fn title(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    map_bytes(vm, args, |c, st| {
        let r = if st.prev_alpha {
            c.to_ascii_lowercase()
        } else {
            c.to_ascii_uppercase()
        };
        st.prev_alpha = c.is_ascii_alphabetic();
        r
    })
}

/// `str.capitalize`.
#[cfg(feature = "str-extra")]
pub fn capitalize(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    map_bytes(vm, args, |c, st| {
        if st.first {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        }
    })
}

fn classify(vm: &mut Vm, args: &[Obj], f: fn(u8) -> bool, cased: Option<bool>) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let m = me(vm, args)?;
    let b = vm.sbytes(m.r);
    if b.is_empty() {
        return Ok(Obj::FALSE);
    }
    match cased {
        None => Ok(Obj::bool(b.iter().all(|&c| f(c)))),
        Some(upper) => {
            let mut any = false;
            for &c in b {
                if c.is_ascii_alphabetic() {
                    any = true;
                    if c.is_ascii_uppercase() != upper {
                        return Ok(Obj::FALSE);
                    }
                }
            }
            Ok(Obj::bool(any))
        }
    }
}

/// `str.isdigit`.
pub fn isdigit(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, |c| c.is_ascii_digit(), None)
}

/// `str.isalpha`.
pub fn isalpha(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, |c| c.is_ascii_alphabetic() || c >= 0x80, None)
}

/// `str.isalnum`.
#[cfg(feature = "str-extra")]
pub fn isalnum(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, |c| c.is_ascii_alphanumeric() || c >= 0x80, None)
}

/// `str.isspace`.
pub fn isspace(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, s::is_space, None)
}

/// `str.isupper`.
pub fn isupper(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, |_| true, Some(true))
}

/// `str.islower`.
pub fn islower(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    classify(vm, args, |_| true, Some(false))
}

#[cfg(feature = "str-extra")]
fn isidentifier(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let m = me(vm, args)?;
    let b = vm.sbytes(m.r);
    let ok = !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter()
            .all(|&c| c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80);
    Ok(Obj::bool(ok))
}

/// `sep.join(iterable)`.
pub fn join(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let m = me(vm, args)?;
    let l = if vm.items(args[1]).is_some() {
        args[1]
    } else {
        vm.list_from_iter(args[1])?
    };
    vm.root(l)?;
    let n = vm.items(l).map_or(0, |it| it.len);
    // Total size first.
    let mut total = 0usize;
    for i in 0..n {
        let it = vm.items(l).unwrap_or(crate::obj::tuple::Items {
            base: Obj::NULL,
            first: 0,
            len: 0,
        });
        let x = vm.item(it, i);
        let ok = if m.tid == TypeId::STR {
            vm.is_str(x)
        } else {
            !vm.is_str(x) && vm.buffer_ref(x).is_some()
        };
        if !ok {
            return Err(vm.raise(
                TypeId::TYPE_ERROR,
                "join expects a list of str/bytes objects consistent with self object",
            ));
        }
        total += vm.buffer_ref(x).map_or(0, |r| r.len());
    }
    total += m.r.len() * n.saturating_sub(1);
    let o = vm.alloc_str(m.tid, total)?;
    let mut pos = Vm::str_data(o);
    for i in 0..n {
        if i > 0 {
            vm.copy_sref(m.r, pos);
            pos += m.r.len();
        }
        let it = vm.items(l).unwrap_or(crate::obj::tuple::Items {
            base: Obj::NULL,
            first: 0,
            len: 0,
        });
        let x = vm.item(it, i);
        if let Some(r) = vm.buffer_ref(x) {
            vm.copy_sref(r, pos);
            pos += r.len();
        }
    }
    vm.str_finish(o);
    Ok(o)
}

fn split_impl(vm: &mut Vm, args: &[Obj], kw: Obj, rev: bool) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let m = me(vm, args)?;
    let sep = match args.get(1).copied().or(vm.kwarg(kw, q!("sep"))?) {
        Some(x) if x != Obj::NONE => Some(arg_ref(vm, &m, x)?),
        _ => None,
    };
    let maxsplit = match args.get(2).copied().or(vm.kwarg(kw, q!("maxsplit"))?) {
        Some(x) => vm.to_isize(x)?,
        None => -1,
    };
    let l = vm.new_list(&[])?;
    vm.root(l)?;
    let n = m.r.len();
    // Collect (start, end) pieces.
    let mut splits = 0isize;
    match sep {
        None => {
            if !rev {
                let mut i = 0;
                loop {
                    while i < n && s::is_space(vm.sbytes(m.r)[i]) {
                        i += 1;
                    }
                    if i >= n {
                        break;
                    }
                    if maxsplit >= 0 && splits >= maxsplit {
                        let mut e = n;
                        while e > i && s::is_space(vm.sbytes(m.r)[e - 1]) {
                            e -= 1;
                        }
                        let p = vm.new_str_from_ref(m.tid, m.r, i, e)?;
                        vm.list_append(l, p)?;
                        break;
                    }
                    let st = i;
                    while i < n && !s::is_space(vm.sbytes(m.r)[i]) {
                        i += 1;
                    }
                    let p = vm.new_str_from_ref(m.tid, m.r, st, i)?;
                    vm.list_append(l, p)?;
                    splits += 1;
                }
            } else {
                let mut e = n;
                loop {
                    while e > 0 && s::is_space(vm.sbytes(m.r)[e - 1]) {
                        e -= 1;
                    }
                    if e == 0 {
                        break;
                    }
                    if maxsplit >= 0 && splits >= maxsplit {
                        let mut st = 0;
                        while st < e && s::is_space(vm.sbytes(m.r)[st]) {
                            st += 1;
                        }
                        let p = vm.new_str_from_ref(m.tid, m.r, st, e)?;
                        vm.list_insert(l, 0, p)?;
                        break;
                    }
                    let end = e;
                    while e > 0 && !s::is_space(vm.sbytes(m.r)[e - 1]) {
                        e -= 1;
                    }
                    let p = vm.new_str_from_ref(m.tid, m.r, e, end)?;
                    vm.list_insert(l, 0, p)?;
                    splits += 1;
                }
            }
        }
        Some(sr) => {
            let sl = sr.len();
            if sl == 0 {
                return Err(vm.raise(TypeId::VALUE_ERROR, "empty separator"));
            }
            if !rev {
                let mut i = 0;
                loop {
                    let found = if maxsplit >= 0 && splits >= maxsplit {
                        None
                    } else {
                        s::find(vm.sbytes(m.r), vm.sbytes(sr), i)
                    };
                    match found {
                        Some(p) => {
                            let piece = vm.new_str_from_ref(m.tid, m.r, i, p)?;
                            vm.list_append(l, piece)?;
                            i = p + sl;
                            splits += 1;
                        }
                        None => {
                            let piece = vm.new_str_from_ref(m.tid, m.r, i, n)?;
                            vm.list_append(l, piece)?;
                            break;
                        }
                    }
                }
            } else {
                let mut e = n;
                loop {
                    let found = if maxsplit >= 0 && splits >= maxsplit {
                        None
                    } else {
                        s::rfind(vm.sbytes(m.r), vm.sbytes(sr), 0, e)
                    };
                    match found {
                        Some(p) => {
                            let piece = vm.new_str_from_ref(m.tid, m.r, p + sl, e)?;
                            vm.list_insert(l, 0, piece)?;
                            e = p;
                            splits += 1;
                        }
                        None => {
                            let piece = vm.new_str_from_ref(m.tid, m.r, 0, e)?;
                            vm.list_insert(l, 0, piece)?;
                            break;
                        }
                    }
                }
            }
        }
    }
    Ok(l)
}

/// `str.split`.
pub fn split(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    split_impl(vm, args, kw, false)
}

/// `str.rsplit`.
pub fn rsplit(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    split_impl(vm, args, kw, true)
}

/// `str.splitlines`.
#[cfg(feature = "str-extra")]
pub fn splitlines(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let m = me(vm, args)?;
    let keep = match args.get(1).copied().or(vm.kwarg(kw, q!("keepends"))?) {
        Some(k) => vm.is_true(k)?,
        None => false,
    };
    let l = vm.new_list(&[])?;
    vm.root(l)?;
    let n = m.r.len();
    let mut i = 0;
    while i < n {
        let st = i;
        while i < n && !matches!(vm.sbytes(m.r)[i], b'\n' | b'\r') {
            i += 1;
        }
        let mut e = i;
        if i < n {
            if vm.sbytes(m.r)[i] == b'\r' && i + 1 < n && vm.sbytes(m.r)[i + 1] == b'\n' {
                i += 2;
            } else {
                i += 1;
            }
            if keep {
                e = i;
            }
        }
        let p = vm.new_str_from_ref(m.tid, m.r, st, e)?;
        vm.list_append(l, p)?;
    }
    Ok(l)
}

/// `str.replace(old, new[, count])`.
pub fn replace(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 3, 4)?;
    let m = me(vm, args)?;
    let old = arg_ref(vm, &m, args[1])?;
    let new = arg_ref(vm, &m, args[2])?;
    let max = match args.get(3) {
        Some(&c) => vm.to_isize(c)?,
        None => -1,
    };
    let sb = vm.sb_new(m.r.len())?;
    let n = m.r.len();
    let ol = old.len();
    let mut i = 0;
    let mut done = 0isize;
    if ol == 0 {
        // Insert `new` between every character.
        let mut pos = 0;
        while pos <= n {
            if max >= 0 && done >= max {
                push_ref(vm, sb, m.r, pos, n)?;
                return vm.sb_finish(sb, m.tid);
            }
            push_ref(vm, sb, new, 0, new.len())?;
            done += 1;
            if pos == n {
                break;
            }
            let mut e = pos + 1;
            while e < n && vm.sbytes(m.r)[e] & 0xc0 == 0x80 {
                e += 1;
            }
            push_ref(vm, sb, m.r, pos, e)?;
            pos = e;
        }
        return vm.sb_finish(sb, m.tid);
    }
    while i <= n {
        let found = if max >= 0 && done >= max {
            None
        } else {
            s::find(vm.sbytes(m.r), vm.sbytes(old), i)
        };
        match found {
            Some(p) => {
                push_ref(vm, sb, m.r, i, p)?;
                push_ref(vm, sb, new, 0, new.len())?;
                i = p + ol;
                done += 1;
            }
            None => {
                push_ref(vm, sb, m.r, i, n)?;
                break;
            }
        }
    }
    vm.sb_finish(sb, m.tid)
}

fn push_ref(vm: &mut Vm, sb: crate::vm::Sb, r: SRef, a: usize, b: usize) -> PyResult<()> {
    if b <= a {
        return Ok(());
    }
    match r {
        SRef::Static(t) => vm.sb_push(sb, &t[a..b]),
        SRef::Heap(off, _) => vm.sb_push_heap(sb, off + a, b - a),
    }
}

#[cfg(feature = "str-extra")]
fn justify(vm: &mut Vm, args: &[Obj], align: u8) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let m = me(vm, args)?;
    let width = vm.to_isize(args[1])?.max(0) as usize;
    let fill = match args.get(2) {
        Some(&f) => {
            let fr = arg_ref(vm, &m, f)?;
            if vm.len(f)? != 1 {
                return Err(vm.raise(
                    TypeId::TYPE_ERROR,
                    "The fill character must be exactly one character long",
                ));
            }
            fr
        }
        None => SRef::Static(b" "),
    };
    let n = if m.tid == TypeId::STR {
        vm.str_char_len(m.o)
    } else {
        m.r.len()
    };
    if n >= width {
        return Ok(m.o);
    }
    let padn = width - n;
    let (left, right) = match align {
        b'<' => (0, padn),
        b'>' => (padn, 0),
        _ => {
            // CPython centres with the extra space on the right when padn is odd and
            // the width is even... the exact rule: left = padn/2 + (padn & width & 1).
            let left = padn / 2 + (padn & width & 1);
            (left, padn - left)
        }
    };
    let sb = vm.sb_new(m.r.len() + padn)?;
    for _ in 0..left {
        push_ref(vm, sb, fill, 0, fill.len())?;
    }
    push_ref(vm, sb, m.r, 0, m.r.len())?;
    for _ in 0..right {
        push_ref(vm, sb, fill, 0, fill.len())?;
    }
    vm.sb_finish(sb, m.tid)
}

/// `str.ljust`.
#[cfg(feature = "str-extra")]
pub fn ljust(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    justify(vm, args, b'<')
}

/// `str.rjust`.
#[cfg(feature = "str-extra")]
pub fn rjust(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    justify(vm, args, b'>')
}

/// `str.center`.
#[cfg(feature = "str-extra")]
pub fn center(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    justify(vm, args, b'^')
}

/// `str.zfill`.
#[cfg(feature = "str-extra")]
pub fn zfill(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let m = me(vm, args)?;
    let width = vm.to_isize(args[1])?.max(0) as usize;
    let n = m.r.len();
    if n >= width {
        return Ok(m.o);
    }
    let sb = vm.sb_new(width)?;
    let sign = n > 0 && matches!(vm.sbytes(m.r)[0], b'+' | b'-');
    if sign {
        push_ref(vm, sb, m.r, 0, 1)?;
    }
    for _ in 0..width - n {
        vm.sb_push(sb, b"0")?;
    }
    push_ref(vm, sb, m.r, usize::from(sign), n)?;
    vm.sb_finish(sb, m.tid)
}

#[cfg(feature = "str-extra")]
fn partition_impl(vm: &mut Vm, args: &[Obj], rev: bool) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let m = me(vm, args)?;
    let sep = arg_ref(vm, &m, args[1])?;
    if sep.is_empty() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "empty separator"));
    }
    let n = m.r.len();
    let found = if rev {
        s::rfind(vm.sbytes(m.r), vm.sbytes(sep), 0, n)
    } else {
        s::find(vm.sbytes(m.r), vm.sbytes(sep), 0)
    };
    let t = vm.alloc_tuple(3)?;
    vm.root(t)?;
    let empty = if m.tid == TypeId::STR {
        vm.new_str(b"")?
    } else {
        vm.new_str_like(m.tid, b"")?
    };
    let ti = crate::obj::tuple::T_ITEMS;
    for k in 0..3 {
        vm.heap.set_obj(t, ti + k, empty);
    }
    match found {
        Some(p) => {
            let a = vm.new_str_from_ref(m.tid, m.r, 0, p)?;
            vm.heap.set_obj(t, ti, a);
            vm.heap.set_obj(t, ti + 1, args[1]);
            let c = vm.new_str_from_ref(m.tid, m.r, p + sep.len(), n)?;
            vm.heap.set_obj(t, ti + 2, c);
        }
        None if rev => vm.heap.set_obj(t, ti + 2, m.o),
        None => vm.heap.set_obj(t, ti, m.o),
    }
    Ok(t)
}

/// `str.partition`.
#[cfg(feature = "str-extra")]
pub fn partition(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    partition_impl(vm, args, false)
}

/// `str.rpartition`.
#[cfg(feature = "str-extra")]
pub fn rpartition(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    partition_impl(vm, args, true)
}

fn encode(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    let m = me(vm, args)?;
    let n = m.r.len();
    vm.new_str_from_ref(TypeId::BYTES, m.r, 0, n)
}

/// `str.removeprefix`.
#[cfg(feature = "str-extra")]
pub fn removeprefix(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let m = me(vm, args)?;
    let p = arg_ref(vm, &m, args[1])?;
    if vm.sbytes(m.r).starts_with(vm.sbytes(p)) {
        let n = m.r.len();
        return vm.new_str_from_ref(m.tid, m.r, p.len(), n);
    }
    Ok(m.o)
}

/// `str.removesuffix`.
#[cfg(feature = "str-extra")]
pub fn removesuffix(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let m = me(vm, args)?;
    let p = arg_ref(vm, &m, args[1])?;
    if !p.is_empty() && vm.sbytes(m.r).ends_with(vm.sbytes(p)) {
        let n = m.r.len();
        return vm.new_str_from_ref(m.tid, m.r, 0, n - p.len());
    }
    Ok(m.o)
}

/// `str.expandtabs`.
#[cfg(feature = "str-extra")]
pub fn expandtabs(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let m = me(vm, args)?;
    let ts = match args.get(1) {
        Some(&t) => vm.to_isize(t)?.max(0) as usize,
        None => 8,
    };
    let sb = vm.sb_new(m.r.len())?;
    let mut col = 0;
    for i in 0..m.r.len() {
        let c = vm.sbytes(m.r)[i];
        match c {
            b'\t' => {
                if ts > 0 {
                    let k = ts - col % ts;
                    for _ in 0..k {
                        vm.sb_push(sb, b" ")?;
                    }
                    col += k;
                }
            }
            b'\n' | b'\r' => {
                vm.sb_push(sb, &[c])?;
                col = 0;
            }
            _ => {
                vm.sb_push(sb, &[c])?;
                if c & 0xc0 != 0x80 {
                    col += 1;
                }
            }
        }
    }
    vm.sb_finish(sb, m.tid)
}

struct Auto {
    next: usize,
    manual: bool,
    used: bool,
}

/// Resolve a replacement field name (`""`, `0`, `name`, with `.attr`/`[key]` chains) in
/// bytes `st..end` of the format string.
fn resolve_field(
    vm: &mut Vm,
    m: &Me,
    st: usize,
    end: usize,
    pos: &[Obj],
    kw: Obj,
    auto: &mut Auto,
) -> PyResult<Obj> {
    let first_end = {
        let mut e = st;
        while e < end && !matches!(vm.sbytes(m.r)[e], b'.' | b'[') {
            e += 1;
        }
        e
    };
    let mut obj = if first_end == st {
        if auto.manual {
            return Err(vm.raise(
                TypeId::VALUE_ERROR,
                "can't switch from manual field specification to automatic field numbering",
            ));
        }
        auto.used = true;
        let o = match pos.get(auto.next) {
            Some(&o) => o,
            None => return Err(vm.raise(TypeId::INDEX_ERROR, "tuple index out of range")),
        };
        auto.next += 1;
        o
    } else if vm.sbytes(m.r)[st].is_ascii_digit() {
        if auto.used {
            return Err(vm.raise(
                TypeId::VALUE_ERROR,
                "can't switch from automatic field numbering to manual field specification",
            ));
        }
        auto.manual = true;
        let mut k = 0usize;
        for &d in &vm.sbytes(m.r)[st..first_end] {
            k = k
                .saturating_mul(10)
                .saturating_add(d.wrapping_sub(b'0') as usize);
        }
        match pos.get(k) {
            Some(&o) => o,
            None => return Err(vm.raise(TypeId::INDEX_ERROR, "tuple index out of range")),
        }
    } else {
        let key = vm.new_str_from_ref(TypeId::STR, m.r, st, first_end)?;
        vm.root(key)?;
        let found = if kw.is_null() {
            None
        } else {
            vm.dict_get(kw, key)?
        };
        match found {
            Some(o) => o,
            None => return Err(crate::obj::dict::key_error(vm, key)),
        }
    };
    let mut j = first_end;
    while j < end {
        let c = vm.sbytes(m.r)[j];
        j += 1;
        let st2 = j;
        if c == b'.' {
            while j < end && !matches!(vm.sbytes(m.r)[j], b'.' | b'[') {
                j += 1;
            }
            let a = vm.new_str_from_ref(TypeId::STR, m.r, st2, j)?;
            let q = vm.intern_obj(a)?;
            obj = vm.load_attr(obj, q)?;
            vm.root(obj)?;
        } else {
            while j < end && vm.sbytes(m.r)[j] != b']' {
                j += 1;
            }
            let txt = &vm.sbytes(m.r)[st2..j];
            let key = if !txt.is_empty() && txt.iter().all(|c| c.is_ascii_digit()) {
                let mut k = 0isize;
                for &d in txt {
                    k = k.saturating_mul(10).saturating_add((d - b'0') as isize);
                }
                Obj::small_unchecked(k)
            } else {
                let k = vm.new_str_from_ref(TypeId::STR, m.r, st2, j)?;
                vm.root(k)?;
                k
            };
            j += 1;
            obj = vm.subscr(obj, key)?;
            vm.root(obj)?;
        }
    }
    Ok(obj)
}

/// `str.format(*args, **kwargs)`.
pub fn format(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    let m = me(vm, args)?;
    let sb = vm.sb_new(m.r.len() + 16)?;
    let out = Out::Sb(sb);
    let pos = &args[1..];
    let n = m.r.len();
    let mut i = 0;
    let mut auto = Auto {
        next: 0,
        manual: false,
        used: false,
    };
    while i < n {
        let c = vm.sbytes(m.r)[i];
        if c == b'}' {
            if i + 1 < n && vm.sbytes(m.r)[i + 1] == b'}' {
                vm.out(out, b"}")?;
                i += 2;
                continue;
            }
            return Err(vm.raise(
                TypeId::VALUE_ERROR,
                "single '}' encountered in format string",
            ));
        }
        if c != b'{' {
            let st = i;
            while i < n && !matches!(vm.sbytes(m.r)[i], b'{' | b'}') {
                i += 1;
            }
            push_ref(vm, sb, m.r, st, i)?;
            continue;
        }
        if i + 1 < n && vm.sbytes(m.r)[i + 1] == b'{' {
            vm.out(out, b"{")?;
            i += 2;
            continue;
        }
        // A replacement field: find its end, counting nested braces in the spec.
        i += 1;
        let st = i;
        let mut depth = 1;
        while i < n {
            match vm.sbytes(m.r)[i] {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= n {
            return Err(vm.raise(TypeId::VALUE_ERROR, "unmatched '{' in format"));
        }
        let field_end = i;
        i += 1;
        let field_mark = vm.roots_mark();
        let mut name_end = st;
        while name_end < field_end && !matches!(vm.sbytes(m.r)[name_end], b'!' | b':') {
            name_end += 1;
        }
        let mut conv = 0u8;
        let mut spec_start = name_end;
        if name_end < field_end && vm.sbytes(m.r)[name_end] == b'!' {
            if name_end + 1 >= field_end {
                return Err(vm.raise(
                    TypeId::VALUE_ERROR,
                    "end of format while looking for conversion specifier",
                ));
            }
            conv = vm.sbytes(m.r)[name_end + 1];
            spec_start = name_end + 2;
            if spec_start < field_end && vm.sbytes(m.r)[spec_start] != b':' {
                return Err(vm.raise(TypeId::VALUE_ERROR, "expected ':' after format specifier"));
            }
        }
        let (sp0, sp1) = if spec_start < field_end && vm.sbytes(m.r)[spec_start] == b':' {
            (spec_start + 1, field_end)
        } else {
            (field_end, field_end)
        };
        let obj = resolve_field(vm, &m, st, name_end, pos, kw, &mut auto)?;
        vm.root(obj)?;
        let obj = match conv {
            0 => obj,
            b'r' | b'a' => vm.obj_repr(obj)?,
            b's' => vm.obj_str(obj)?,
            _ => {
                return Err(vm.raise_fmt(
                    TypeId::VALUE_ERROR,
                    &[
                        Fmt::S("unknown conversion specifier "),
                        Fmt::S(core::str::from_utf8(&[conv]).unwrap_or("?")),
                    ],
                ))
            }
        };
        vm.root(obj)?;
        // Expand nested {fields} in the spec (continuing the automatic numbering).
        let mut spec = [0u8; 64];
        let mut sl = 0;
        let mut k = sp0;
        while k < sp1 {
            let c = vm.sbytes(m.r)[k];
            if c == b'{' {
                let fs = k + 1;
                let mut fe = fs;
                while fe < sp1 && vm.sbytes(m.r)[fe] != b'}' {
                    fe += 1;
                }
                let v = resolve_field(vm, &m, fs, fe, pos, kw, &mut auto)?;
                let vs = vm.obj_str(v)?;
                vm.root(vs)?;
                for &b in vm.str_bytes(vs) {
                    if sl < spec.len() {
                        spec[sl] = b;
                        sl += 1;
                    }
                }
                k = fe + 1;
            } else {
                if sl < spec.len() {
                    spec[sl] = c;
                    sl += 1;
                }
                k += 1;
            }
        }
        crate::print::format_with_spec(vm, out, obj, &spec[..sl])?;
        vm.unroot_to(field_mark);
    }
    vm.sb_str(sb)
}

/// `str` methods (sorted by nothing in particular; looked up by qstr).
pub static METHODS: &[NativeDef] = &[
    #[cfg(feature = "str-extra")]
    method(q!("capitalize"), capitalize),
    #[cfg(feature = "str-extra")]
    method(q!("center"), center),
    method(q!("count"), count),
    method(q!("encode"), encode),
    method(q!("endswith"), endswith),
    #[cfg(feature = "str-extra")]
    method(q!("expandtabs"), expandtabs),
    method(q!("find"), find),
    method(q!("format"), format),
    method(q!("index"), index),
    #[cfg(feature = "str-extra")]
    method(q!("isalnum"), isalnum),
    method(q!("isalpha"), isalpha),
    method(q!("isdecimal"), isdigit),
    method(q!("isdigit"), isdigit),
    #[cfg(feature = "str-extra")]
    method(q!("isidentifier"), isidentifier),
    method(q!("islower"), islower),
    method(q!("isnumeric"), isdigit),
    method(q!("isspace"), isspace),
    method(q!("isupper"), isupper),
    method(q!("join"), join),
    #[cfg(feature = "str-extra")]
    method(q!("ljust"), ljust),
    method(q!("lower"), lower),
    method(q!("lstrip"), lstrip),
    #[cfg(feature = "str-extra")]
    method(q!("partition"), partition),
    #[cfg(feature = "str-extra")]
    method(q!("removeprefix"), removeprefix),
    #[cfg(feature = "str-extra")]
    method(q!("removesuffix"), removesuffix),
    method(q!("replace"), replace),
    method(q!("rfind"), rfind),
    method(q!("rindex"), rindex),
    #[cfg(feature = "str-extra")]
    method(q!("rjust"), rjust),
    #[cfg(feature = "str-extra")]
    method(q!("rpartition"), rpartition),
    method(q!("rsplit"), rsplit),
    method(q!("rstrip"), rstrip),
    method(q!("split"), split),
    #[cfg(feature = "str-extra")]
    method(q!("splitlines"), splitlines),
    method(q!("startswith"), startswith),
    method(q!("strip"), strip),
    #[cfg(feature = "str-extra")]
    method(q!("swapcase"), swapcase),
    #[cfg(feature = "str-extra")]
    method(q!("title"), title),
    method(q!("upper"), upper),
    #[cfg(feature = "str-extra")]
    method(q!("zfill"), zfill),
    #[cfg(feature = "str-extra")]
    method(q!("casefold"), lower),
];
