//! The `time` module, on the host's clock ([`crate::Host::ticks_us`]).
//!
//! Corresponds to MicroPython's `extmod/modtime.c` and `extmod/utime_mphal.c`.
//! Ticks wrap at 2^30 as MicroPython's `MICROPY_PY_TIME_TICKS_PERIOD`.

use crate::builtins::{function, NativeDef};
use crate::obj::Obj;
#[cfg(feature = "float")]
use crate::obj::TypeId;
use crate::vm::Vm;
use crate::{q, PyResult};

const PERIOD: i64 = 1 << 30;

fn ticks(vm: &mut Vm, div: u64) -> Obj {
    let t = vm.host.ticks_us() / div;
    Obj::small_unchecked((t as i64 & (PERIOD - 1)) as isize)
}

fn ticks_ms(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(ticks(vm, 1000))
}

fn ticks_us(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    Ok(ticks(vm, 1))
}

fn ticks_diff(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let a = vm.to_isize(args[0])? as i64;
    let b = vm.to_isize(args[1])? as i64;
    let d = ((a - b + PERIOD / 2) & (PERIOD - 1)) - PERIOD / 2;
    Ok(Obj::small_unchecked(d as isize))
}

fn ticks_add(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 2, 2)?;
    let a = vm.to_isize(args[0])? as i64;
    let b = vm.to_isize(args[1])? as i64;
    Ok(Obj::small_unchecked(((a + b) & (PERIOD - 1)) as isize))
}

fn sleep_us_n(vm: &mut Vm, us: u64) {
    vm.host.sleep_us(us);
}

fn sleep(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    #[cfg(feature = "float")]
    {
        let s = vm.to_f64(args[0])?;
        if s < 0.0 {
            return Err(vm.raise(TypeId::VALUE_ERROR, "sleep length must be non-negative"));
        }
        sleep_us_n(vm, (s * 1e6) as u64);
    }
    #[cfg(not(feature = "float"))]
    {
        let s = vm.to_isize(args[0])?;
        sleep_us_n(vm, s.max(0) as u64 * 1_000_000);
    }
    Ok(Obj::NONE)
}

fn sleep_ms(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let ms = vm.to_isize(args[0])?;
    sleep_us_n(vm, ms.max(0) as u64 * 1000);
    Ok(Obj::NONE)
}

fn sleep_us(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let us = vm.to_isize(args[0])?;
    sleep_us_n(vm, us.max(0) as u64);
    Ok(Obj::NONE)
}

fn time(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let us = vm.host.ticks_us();
    #[cfg(feature = "float")]
    return vm.new_float(us as f64 / 1e6);
    #[cfg(not(feature = "float"))]
    return vm.new_int((us / 1_000_000) as i128);
}

fn time_ns(vm: &mut Vm, _args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    let us = vm.host.ticks_us();
    vm.new_int(us as i128 * 1000)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn gmtime(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 0, 1)?;
    let secs: i64 = match args.first() {
        Some(&s) if s != Obj::NONE => {
            #[cfg(feature = "float")]
            {
                crate::obj::float::floor(vm.to_f64(s)?) as i64
            }
            #[cfg(not(feature = "float"))]
            {
                vm.to_isize(s)? as i64
            }
        }
        _ => (vm.host.ticks_us() / 1_000_000) as i64,
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wday = (days + 3).rem_euclid(7);
    let yday = days - days_from_civil(y, 1, 1) + 1;
    let f = [y, m, d, rem / 3600, rem / 60 % 60, rem % 60, wday, yday, 0];
    let mut items = [Obj::NULL; 9];
    for (o, v) in items.iter_mut().zip(f) {
        *o = Obj::small_unchecked(v as isize);
    }
    vm.new_tuple(&items)
}

fn mktime(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let mut f = [0i64; 6];
    for (i, v) in f.iter_mut().enumerate() {
        let o = vm.subscr(args[0], Obj::small_unchecked(i as isize))?;
        *v = vm.to_isize(o)? as i64;
    }
    let days = days_from_civil(f[0], f[1], f[2]);
    vm.new_int((days * 86_400 + f[3] * 3600 + f[4] * 60 + f[5]) as i128)
}

/// `time` functions.
pub static FUNS: [NativeDef; 15] = [
    function(q!("gmtime"), gmtime),
    function(q!("localtime"), gmtime),
    function(q!("mktime"), mktime),
    function(q!("monotonic"), time),
    function(q!("perf_counter"), time),
    function(q!("sleep"), sleep),
    function(q!("sleep_ms"), sleep_ms),
    function(q!("sleep_us"), sleep_us),
    function(q!("ticks_add"), ticks_add),
    function(q!("ticks_cpu"), ticks_us),
    function(q!("ticks_diff"), ticks_diff),
    function(q!("ticks_ms"), ticks_ms),
    function(q!("ticks_us"), ticks_us),
    function(q!("time"), time),
    function(q!("time_ns"), time_ns),
];
