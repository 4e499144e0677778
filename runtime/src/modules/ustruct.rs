//! The `struct` module: packing values into bytes by a format string.
//!
//! Corresponds to MicroPython's `py/modstruct.c` (with `py/binary.c`).
//!
//! Formats: an optional byte order (`@` native with alignment, `=`/`<` little, `>`/`!`
//! big), then items `[count]type` with types `x c b B ? h H i I l L q Q f d s P`.
//! Errors are `ValueError`, as in MicroPython (CPython raises `struct.error`).

use crate::builtins::{function, NativeDef};
use crate::obj::{Obj, TypeId};
use crate::vm::Vm;
use crate::{q, PyResult};

/// One parsed format item.
#[derive(Clone, Copy)]
struct Item {
    ty: u8,
    count: usize,
}

struct Format<'a> {
    text: &'a [u8],
    pos: usize,
    little: bool,
    align: bool,
}

fn size_of(ty: u8) -> Option<usize> {
    Some(match ty {
        b'x' | b'c' | b'b' | b'B' | b'?' | b's' => 1,
        b'h' | b'H' => 2,
        b'i' | b'I' | b'l' | b'L' | b'f' => 4,
        b'q' | b'Q' | b'd' => 8,
        b'P' => core::mem::size_of::<usize>(),
        _ => return None,
    })
}

impl<'a> Format<'a> {
    fn new(text: &'a [u8]) -> Format<'a> {
        let (little, align, pos) = match text.first() {
            Some(b'<') | Some(b'=') => (true, false, 1),
            Some(b'>') | Some(b'!') => (false, false, 1),
            Some(b'@') => (cfg!(target_endian = "little"), true, 1),
            _ => (cfg!(target_endian = "little"), true, 0),
        };
        Format {
            text,
            pos,
            little,
            align,
        }
    }

    /// The next item, `Err(())` for a bad format.
    fn next(&mut self) -> Option<Result<Item, ()>> {
        while self.pos < self.text.len() && self.text[self.pos] == b' ' {
            self.pos += 1;
        }
        if self.pos >= self.text.len() {
            return None;
        }
        let mut count = 0usize;
        let mut has = false;
        while self.pos < self.text.len() && self.text[self.pos].is_ascii_digit() {
            count = count
                .saturating_mul(10)
                .saturating_add((self.text[self.pos] - b'0') as usize);
            self.pos += 1;
            has = true;
        }
        let ty = match self.text.get(self.pos) {
            Some(&t) => t,
            None => return Some(Err(())),
        };
        self.pos += 1;
        if size_of(ty).is_none() {
            return Some(Err(()));
        }
        Some(Ok(Item {
            ty,
            count: if has { count } else { 1 },
        }))
    }
}

fn bad_format(vm: &mut Vm) -> crate::PyErr {
    vm.raise(TypeId::VALUE_ERROR, "bad format string")
}

/// Total size of a format, and the number of values it takes.
fn calc(vm: &mut Vm, fmt: &[u8]) -> PyResult<(usize, usize)> {
    let mut f = Format::new(fmt);
    let mut size = 0usize;
    let mut nvals = 0usize;
    while let Some(it) = f.next() {
        let it = match it {
            Ok(it) => it,
            Err(()) => return Err(bad_format(vm)),
        };
        let sz = size_of(it.ty).unwrap_or(1);
        if f.align && it.ty != b's' && it.ty != b'x' {
            size = size.div_ceil(sz) * sz;
        }
        match it.ty {
            b's' => {
                size += it.count;
                nvals += 1;
            }
            b'x' => size += it.count,
            _ => {
                size += sz * it.count;
                nvals += it.count;
            }
        }
    }
    Ok((size, nvals))
}

fn fmt_bytes(vm: &mut Vm, o: Obj, buf: &mut [u8; 64]) -> PyResult<usize> {
    let b = match vm.buffer_ref(o) {
        Some(r) => vm.sbytes(r),
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "format must be str")),
    };
    if b.len() > buf.len() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "format too long"));
    }
    buf[..b.len()].copy_from_slice(b);
    Ok(b.len())
}

fn calcsize(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let mut fb = [0u8; 64];
    let n = fmt_bytes(vm, args[0], &mut fb)?;
    let (size, _) = calc(vm, &fb[..n])?;
    Ok(Obj::small_unchecked(size as isize))
}

/// An int argument as i128 (big ints included).
fn int_arg(vm: &mut Vm, o: Obj) -> PyResult<i128> {
    if let Some(v) = vm.small_of(o) {
        return Ok(v as i128);
    }
    #[cfg(feature = "bigint")]
    if let Some(b) = vm.big_of(o) {
        if let Some(v) = b.to_i128() {
            return Ok(v);
        }
    }
    let v = vm.to_isize(o)?;
    Ok(v as i128)
}

/// Pack `vals` by `fmt` into `out` (which has the format's size).
fn pack_into_buf(vm: &mut Vm, fmt: &[u8], vals: &[Obj], base: usize) -> PyResult<()> {
    let mut f = Format::new(fmt);
    let mut off = 0usize;
    let mut vi = 0usize;
    let little = f.little;
    while let Some(it) = f.next() {
        let it = match it {
            Ok(it) => it,
            Err(()) => return Err(bad_format(vm)),
        };
        let sz = size_of(it.ty).unwrap_or(1);
        if f.align && it.ty != b's' && it.ty != b'x' {
            off = off.div_ceil(sz) * sz;
        }
        match it.ty {
            b'x' => off += it.count,
            b's' => {
                let v = match vals.get(vi) {
                    Some(&v) => v,
                    None => return Err(vm.raise(TypeId::VALUE_ERROR, "not enough arguments")),
                };
                vi += 1;
                let r = match vm.buffer_ref(v) {
                    Some(r) => r,
                    None => return Err(vm.raise(TypeId::TYPE_ERROR, "expected bytes")),
                };
                let n = r.len().min(it.count);
                let mut tmp = [0u8; 64];
                let mut done = 0;
                while done < n {
                    let k = (n - done).min(64);
                    tmp[..k].copy_from_slice(&vm.sbytes(r)[done..done + k]);
                    vm.heap
                        .bytes_mut(base + off + done, k)
                        .copy_from_slice(&tmp[..k]);
                    done += k;
                }
                off += it.count;
            }
            _ => {
                for _ in 0..it.count {
                    let v = match vals.get(vi) {
                        Some(&v) => v,
                        None => return Err(vm.raise(TypeId::VALUE_ERROR, "not enough arguments")),
                    };
                    vi += 1;
                    let bits: u64 = match it.ty {
                        #[cfg(feature = "float")]
                        b'f' => (vm.to_f64(v)? as f32).to_bits() as u64,
                        #[cfg(feature = "float")]
                        b'd' => vm.to_f64(v)?.to_bits(),
                        b'?' => vm.is_true(v)? as u64,
                        b'c' => match vm.buffer_ref(v) {
                            Some(r) if r.len() == 1 => vm.sbytes(r)[0] as u64,
                            _ => {
                                return Err(vm.raise(
                                    TypeId::VALUE_ERROR,
                                    "char format requires a bytes object of length 1",
                                ))
                            }
                        },
                        _ => int_arg(vm, v)? as u64,
                    };
                    let dst = vm.heap.bytes_mut(base + off, sz);
                    for (k, d) in dst.iter_mut().enumerate() {
                        let shift = if little { 8 * k } else { 8 * (sz - 1 - k) };
                        *d = (bits >> shift) as u8;
                    }
                    off += sz;
                }
            }
        }
    }
    if vi != vals.len() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "too many arguments"));
    }
    Ok(())
}

fn pack(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.is_empty() {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "function missing 1 required positional arguments",
        ));
    }
    let mut fb = [0u8; 64];
    let n = fmt_bytes(vm, args[0], &mut fb)?;
    let (size, _) = calc(vm, &fb[..n])?;
    let o = vm.alloc_str(TypeId::BYTES, size)?;
    vm.root(o)?;
    pack_into_buf(vm, &fb[..n], &args[1..], Vm::str_data(o))?;
    vm.str_finish(o);
    Ok(o)
}

fn pack_into(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    if args.len() < 3 {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "function missing required positional arguments",
        ));
    }
    let mut fb = [0u8; 64];
    let n = fmt_bytes(vm, args[0], &mut fb)?;
    let (size, _) = calc(vm, &fb[..n])?;
    let buf = args[1];
    if vm.tid_of(buf) != TypeId::BYTEARRAY {
        return Err(vm.raise(TypeId::TYPE_ERROR, "expected a writable buffer"));
    }
    let len = vm.heap.get_int(buf, 1);
    let mut off = vm.to_isize(args[2])?;
    if off < 0 {
        off += len as isize;
    }
    if off < 0 || off as usize + size > len {
        return Err(vm.raise(TypeId::VALUE_ERROR, "buffer too small"));
    }
    let data = vm.heap.get_obj(buf, 2);
    pack_into_buf(vm, &fb[..n], &args[3..], Vm::str_data(data) + off as usize)?;
    Ok(Obj::NONE)
}

fn unpack_impl(vm: &mut Vm, fmt: Obj, data: Obj, offset: usize, exact: bool) -> PyResult<Obj> {
    let mut fb = [0u8; 64];
    let n = fmt_bytes(vm, fmt, &mut fb)?;
    let (size, nvals) = calc(vm, &fb[..n])?;
    let r = match vm.buffer_ref(data) {
        Some(r) => r,
        None => return Err(vm.raise(TypeId::TYPE_ERROR, "object with buffer protocol required")),
    };
    if (exact && r.len() != size) || offset + size > r.len() {
        return Err(vm.raise(TypeId::VALUE_ERROR, "buffer too small"));
    }
    let t = vm.alloc_tuple(nvals)?;
    vm.root(t)?;
    let mut f = Format::new(&fb[..n]);
    let little = f.little;
    let mut off = offset;
    let mut vi = 0;
    while let Some(Ok(it)) = f.next() {
        let sz = size_of(it.ty).unwrap_or(1);
        if f.align && it.ty != b's' && it.ty != b'x' {
            off = (off - offset).div_ceil(sz) * sz + offset;
        }
        match it.ty {
            b'x' => off += it.count,
            b's' => {
                let r = vm
                    .buffer_ref(data)
                    .unwrap_or(crate::obj::str::SRef::Static(b""));
                let v = vm.new_str_from_ref(TypeId::BYTES, r, off, off + it.count)?;
                vm.heap.set_obj(t, crate::obj::tuple::T_ITEMS + vi, v);
                vi += 1;
                off += it.count;
            }
            _ => {
                for _ in 0..it.count {
                    let r = vm
                        .buffer_ref(data)
                        .unwrap_or(crate::obj::str::SRef::Static(b""));
                    let b = vm.sbytes(r);
                    let mut bits: u64 = 0;
                    for k in 0..sz {
                        let byte = b.get(off + k).copied().unwrap_or(0) as u64;
                        let shift = if little { 8 * k } else { 8 * (sz - 1 - k) };
                        bits |= byte << shift;
                    }
                    let signed = matches!(it.ty, b'b' | b'h' | b'i' | b'l' | b'q');
                    let v = match it.ty {
                        #[cfg(feature = "float")]
                        b'f' => vm.new_float(f32::from_bits(bits as u32) as f64)?,
                        #[cfg(feature = "float")]
                        b'd' => vm.new_float(f64::from_bits(bits))?,
                        b'?' => Obj::bool(bits != 0),
                        b'c' => vm.new_bytes(&[bits as u8])?,
                        _ => {
                            let v = if signed && sz < 8 {
                                let sh = 64 - 8 * sz as u32;
                                ((bits << sh) as i64 >> sh) as i128
                            } else if signed {
                                bits as i64 as i128
                            } else {
                                bits as i128
                            };
                            vm.new_int(v)?
                        }
                    };
                    vm.heap.set_obj(t, crate::obj::tuple::T_ITEMS + vi, v);
                    vi += 1;
                    off += sz;
                }
            }
        }
    }
    Ok(t)
}

fn unpack(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    unpack_impl(vm, args[0], args[1], 0, true)
}

fn unpack_from(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 3)?;
    let off = match args.get(2).copied().or(vm.kwarg(kw, q!("offset"))?) {
        Some(o) => vm.to_isize(o)?,
        None => 0,
    };
    let len = vm.buffer_ref(args[1]).map_or(0, |r| r.len()) as isize;
    let off = if off < 0 { off + len } else { off };
    if off < 0 {
        return Err(vm.raise(TypeId::VALUE_ERROR, "buffer too small"));
    }
    unpack_impl(vm, args[0], args[1], off as usize, false)
}

/// `struct` functions.
pub static FUNS: [NativeDef; 5] = [
    function(q!("calcsize"), calcsize),
    function(q!("pack"), pack),
    function(q!("pack_into"), pack_into),
    function(q!("unpack"), unpack),
    function(q!("unpack_from"), unpack_from),
];
