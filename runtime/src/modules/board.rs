//! The hardware modules: `board` (the board's pin names), `digitalio.DigitalInOut` (and its
//! predecessor `nativeio`, CircuitPython 1.0's name for the same API) and `machine.Pin`
//! (MicroPython's API), all on the board's [`Hal`].
//!
//! Corresponds to CircuitPython's `shared-bindings/board`, `shared-bindings/digitalio`
//! (`DigitalInOut.c`, `Direction.c`, `Pull.c`, `DriveMode.c`) and MicroPython's
//! `machine_pin.c` of a port. Error texts are theirs.
//!
//! Where we differ: nothing of these modules lives in the heap but what a program makes.
//! Board pins and the enumeration values (`Direction.OUTPUT` ...) are immediates; the modules'
//! attributes are answered from static tables ([`module_attr`]), not copied into their
//! globals; a `DigitalInOut` or a `machine.Pin` is one heap block (a header and a state
//! word). `nativeio` raises `AttributeError` where CircuitPython 1.0 raised `OSError`, as
//! `digitalio` does.

use crate::builtins::{method, NativeDef};
use crate::hal::{self, PinMode, Pull};
use crate::obj::{header, Obj, TypeId};
use crate::qstr::Qstr;
use crate::vm::{Fmt, Out, Vm};
use crate::{q, PyErr, PyResult};

// The state word of a DigitalInOut or machine.Pin (a small int in slot 1).
const PIN_BITS: usize = 0x7f;
const DEINIT: usize = 1 << 8;
const OUTPUT: usize = 1 << 9;
const VALUE: usize = 1 << 10;
const OPEN_DRAIN: usize = 1 << 11;
const PULL_SHIFT: u32 = 12;
const PULL_BITS: usize = 3 << PULL_SHIFT;
/// machine.Pin: a mode was set (`Pin(id)` alone leaves the pin as it is).
const MODE_SET: usize = 1 << 14;

// Enumeration values (the low byte of an enum immediate).
const DIR_INPUT: u8 = 0;
const DIR_OUTPUT: u8 = 1;
const PULL_UP: u8 = 1;
const PULL_DOWN: u8 = 2;
const DRIVE_PUSH_PULL: u8 = 0;
const DRIVE_OPEN_DRAIN: u8 = 1;

// machine.Pin constants.
const MP_IN: isize = 0;
const MP_OUT: isize = 1;
const MP_OPEN_DRAIN: isize = 2;
const MP_PULL_UP: isize = 1;
const MP_PULL_DOWN: isize = 2;

const DEINIT_MSG: &str =
    "Object has been deinitialized and can no longer be used. Create a new object.";

/// Whether the host has a board, i.e. whether the hardware modules can be imported.
pub fn available(vm: &mut Vm) -> bool {
    vm.host.hal().is_some()
}

/// Whether `name` is one of the hardware modules.
pub fn is_module(name: Qstr) -> bool {
    [
        q!("board"),
        q!("digitalio"),
        q!("nativeio"),
        q!("machine"),
        q!("microcontroller"),
    ]
    .contains(&name)
}

fn no_board(vm: &mut Vm) -> PyErr {
    vm.raise(TypeId::RUNTIME_ERROR, "no board")
}

/// An attribute of a hardware module `m` (answered from the board and static tables).
pub fn module_attr(vm: &mut Vm, m: Obj, q: Qstr) -> Option<Obj> {
    let name = vm.heap.get_obj(m, 1);
    if !name.is_qstr() {
        return None;
    }
    match name.qstr_value() {
        n if n == q!("board") => {
            let mut buf = [0u8; 32];
            let text = vm.qstr_text(q, &mut buf);
            let h = vm.host.hal()?;
            hal::pin_by_name(h, text.as_bytes()).map(Obj::board_pin)
        }
        n if n == q!("digitalio") || n == q!("nativeio") => match q {
            _ if q == q!("DigitalInOut") => Some(Obj::type_obj(TypeId::DIGITALINOUT)),
            _ if q == q!("Direction") => Some(Obj::type_obj(TypeId::DIRECTION)),
            _ if q == q!("Pull") => Some(Obj::type_obj(TypeId::PULL)),
            _ if q == q!("DriveMode") => Some(Obj::type_obj(TypeId::DRIVE_MODE)),
            _ => None,
        },
        n if n == q!("machine") && q == q!("Pin") => Some(Obj::type_obj(TypeId::MACHINE_PIN)),
        n if n == q!("microcontroller") && q == q!("Pin") => Some(Obj::type_obj(TypeId::BOARD_PIN)),
        _ => None,
    }
}

/// A constant of a hardware class (`Direction.OUTPUT`, `Pin.OUT` ...).
pub fn class_const(t: TypeId, q: Qstr) -> Option<Obj> {
    let e = |v| Some(Obj::enum_value(t, v));
    let i = |v| Some(Obj::small_unchecked(v));
    match t {
        TypeId::DIRECTION => match q {
            _ if q == q!("INPUT") => e(DIR_INPUT),
            _ if q == q!("OUTPUT") => e(DIR_OUTPUT),
            _ => None,
        },
        TypeId::PULL => match q {
            _ if q == q!("UP") => e(PULL_UP),
            _ if q == q!("DOWN") => e(PULL_DOWN),
            _ => None,
        },
        TypeId::DRIVE_MODE => match q {
            _ if q == q!("PUSH_PULL") => e(DRIVE_PUSH_PULL),
            _ if q == q!("OPEN_DRAIN") => e(DRIVE_OPEN_DRAIN),
            _ => None,
        },
        TypeId::MACHINE_PIN => match q {
            _ if q == q!("IN") => i(MP_IN),
            _ if q == q!("OUT") => i(MP_OUT),
            _ if q == q!("OPEN_DRAIN") => i(MP_OPEN_DRAIN),
            _ if q == q!("PULL_UP") => i(MP_PULL_UP),
            _ if q == q!("PULL_DOWN") => i(MP_PULL_DOWN),
            _ => None,
        },
        _ => None,
    }
}

fn state(vm: &Vm, o: Obj) -> usize {
    vm.heap.get_obj(o, 1).small_value() as usize
}

fn set_state(vm: &mut Vm, o: Obj, s: usize) {
    vm.heap.set_obj(o, 1, Obj::small_unchecked(s as isize));
}

fn pin_of(s: usize) -> u8 {
    (s & PIN_BITS) as u8
}

fn pull_of(s: usize) -> Pull {
    match (s & PULL_BITS) >> PULL_SHIFT {
        1 => Pull::Up,
        2 => Pull::Down,
        _ => Pull::None,
    }
}

fn pull_bits(p: Pull) -> usize {
    (match p {
        Pull::None => 0,
        Pull::Up => 1,
        Pull::Down => 2,
    }) << PULL_SHIFT
}

fn hal_mode(vm: &mut Vm, pin: u8, mode: PinMode) -> PyResult<()> {
    match vm.host.hal() {
        Some(h) => {
            h.pin_mode(pin, mode);
            Ok(())
        }
        None => Err(no_board(vm)),
    }
}

fn hal_write(vm: &mut Vm, pin: u8, high: bool) -> PyResult<()> {
    match vm.host.hal() {
        Some(h) => {
            h.pin_write(pin, high);
            Ok(())
        }
        None => Err(no_board(vm)),
    }
}

fn hal_read(vm: &mut Vm, pin: u8) -> PyResult<bool> {
    match vm.host.hal() {
        Some(h) => Ok(h.pin_read(pin)),
        None => Err(no_board(vm)),
    }
}

/// Print the board's name of `pin` (or its number).
fn out_pin_name(vm: &mut Vm, out: Out, pin: u8) -> PyResult<()> {
    let name = vm.host.hal().and_then(|h| hal::pin_name(h, pin));
    match name {
        Some(n) => vm.out(out, n.as_bytes()),
        None => {
            let mut buf = [0u8; 24];
            let s = crate::print::fmt_isize(pin as isize, &mut buf);
            vm.out(out, s)
        }
    }
}

fn raise_pin_fmt(vm: &mut Vm, t: TypeId, pin: u8, msg: &'static str) -> PyErr {
    let name = vm.host.hal().and_then(|h| hal::pin_name(h, pin));
    let q = name.and_then(|n| vm.intern(n.as_bytes()).ok());
    match q {
        Some(q) => vm.raise_fmt(t, &[Fmt::Q(q), Fmt::S(msg)]),
        None => vm.raise(t, msg),
    }
}

/// `repr()`/`str()` of the hardware objects.
pub fn print(vm: &mut Vm, out: Out, o: Obj, tid: TypeId) -> PyResult<()> {
    match tid {
        TypeId::BOARD_PIN => {
            vm.out(out, b"board.")?;
            out_pin_name(vm, out, o.as_board_pin().unwrap_or(0))
        }
        TypeId::DIGITALINOUT => vm.out(out, b"<DigitalInOut>"),
        TypeId::MACHINE_PIN => {
            let s = state(vm, o);
            vm.out(out, b"Pin(")?;
            out_pin_name(vm, out, pin_of(s))?;
            if s & MODE_SET != 0 {
                vm.out(out, b", mode=")?;
                let m: &[u8] = match (s & OUTPUT != 0, s & OPEN_DRAIN != 0) {
                    (true, true) => b"OPEN_DRAIN",
                    (true, false) => b"OUT",
                    _ => b"IN",
                };
                vm.out(out, m)?;
                match pull_of(s) {
                    Pull::Up => vm.out(out, b", pull=PULL_UP")?,
                    Pull::Down => vm.out(out, b", pull=PULL_DOWN")?,
                    Pull::None => {}
                }
            }
            vm.out(out, b")")
        }
        _ => {
            let (t, v) = o.as_enum_value().unwrap_or((tid, 0));
            let (cls, name): (&[u8], &[u8]) = match (t, v) {
                (TypeId::DIRECTION, DIR_INPUT) => (b"Direction", b"INPUT"),
                (TypeId::DIRECTION, _) => (b"Direction", b"OUTPUT"),
                (TypeId::PULL, PULL_UP) => (b"Pull", b"UP"),
                (TypeId::PULL, _) => (b"Pull", b"DOWN"),
                (_, DRIVE_PUSH_PULL) => (b"DriveMode", b"PUSH_PULL"),
                _ => (b"DriveMode", b"OPEN_DRAIN"),
            };
            vm.out(out, b"digitalio.")?;
            vm.out(out, cls)?;
            vm.out(out, b".")?;
            vm.out(out, name)
        }
    }
}

// ------------------------------------------------------------------ digitalio.DigitalInOut

/// `DigitalInOut(pin)`: claims the pin and makes it an input without pull.
pub fn make_dio(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_kwargs(kw, &[q!("pin")])?;
    let pin = match (args.first(), vm.kwarg(kw, q!("pin"))?) {
        (Some(&p), None) if args.len() == 1 => p,
        (None, Some(p)) => p,
        _ => return Err(vm.raise(TypeId::TYPE_ERROR, "function takes 1 positional arguments")),
    };
    let Some(n) = pin.as_board_pin() else {
        let tn = vm.type_name(pin);
        return Err(vm.raise_fmt(
            TypeId::TYPE_ERROR,
            &[Fmt::S("pin must be of type Pin, not "), Fmt::Q(tn)],
        ));
    };
    if n as usize >= 128 || vm.pins_claimed & (1u128 << n) != 0 {
        return Err(raise_pin_fmt(vm, TypeId::VALUE_ERROR, n, " in use"));
    }
    let o = vm.alloc(TypeId::DIGITALINOUT, header::LEAF, 2)?;
    set_state(vm, o, n as usize);
    vm.pins_claimed |= 1u128 << n;
    hal_mode(vm, n, PinMode::Input(Pull::None))?;
    Ok(o)
}

/// The state of a live DigitalInOut (ValueError once deinitialised).
fn dio_state(vm: &mut Vm, o: Obj) -> PyResult<usize> {
    let s = state(vm, o);
    if s & DEINIT != 0 {
        return Err(vm.raise(TypeId::VALUE_ERROR, DEINIT_MSG));
    }
    Ok(s)
}

fn dio_to_output(vm: &mut Vm, o: Obj, value: bool, open_drain: bool) -> PyResult<()> {
    let s = dio_state(vm, o)?;
    let pin = pin_of(s);
    let mode = if open_drain {
        PinMode::OpenDrain
    } else {
        PinMode::Output
    };
    hal_mode(vm, pin, mode)?;
    hal_write(vm, pin, value)?;
    let mut ns = (s & PIN_BITS) | OUTPUT;
    if value {
        ns |= VALUE;
    }
    if open_drain {
        ns |= OPEN_DRAIN;
    }
    set_state(vm, o, ns);
    Ok(())
}

fn dio_to_input(vm: &mut Vm, o: Obj, pull: Pull) -> PyResult<()> {
    let s = dio_state(vm, o)?;
    hal_mode(vm, pin_of(s), PinMode::Input(pull))?;
    set_state(vm, o, (s & PIN_BITS) | pull_bits(pull));
    Ok(())
}

/// A `Pull` argument: `None` or a `digitalio.Pull` value.
fn pull_arg(vm: &mut Vm, p: Obj) -> PyResult<Pull> {
    match p.as_enum_value() {
        _ if p == Obj::NONE => Ok(Pull::None),
        Some((TypeId::PULL, PULL_UP)) => Ok(Pull::Up),
        Some((TypeId::PULL, _)) => Ok(Pull::Down),
        _ => {
            let tn = vm.type_name(p);
            Err(vm.raise_fmt(
                TypeId::TYPE_ERROR,
                &[
                    Fmt::S("pull must be of type Pull or None, not "),
                    Fmt::Q(tn),
                ],
            ))
        }
    }
}

/// A `DriveMode` argument: whether it asks for open drain.
fn drive_arg(vm: &mut Vm, d: Obj) -> PyResult<bool> {
    match d.as_enum_value() {
        Some((TypeId::DRIVE_MODE, v)) => Ok(v == DRIVE_OPEN_DRAIN),
        _ => {
            let tn = vm.type_name(d);
            Err(vm.raise_fmt(
                TypeId::TYPE_ERROR,
                &[
                    Fmt::S("drive_mode must be of type DriveMode, not "),
                    Fmt::Q(tn),
                ],
            ))
        }
    }
}

/// Positional argument `i` (after self) or keyword `name`.
fn arg(vm: &mut Vm, args: &[Obj], kw: Obj, i: usize, name: Qstr) -> PyResult<Option<Obj>> {
    if let Some(&a) = args.get(i) {
        return Ok(Some(a));
    }
    vm.kwarg(kw, name)
}

fn dio_switch_to_output(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    vm.check_kwargs(kw, &[q!("value"), q!("drive_mode")])?;
    let value = match arg(vm, args, kw, 1, q!("value"))? {
        Some(v) => vm.is_true(v)?,
        None => false,
    };
    let open_drain = match arg(vm, args, kw, 2, q!("drive_mode"))? {
        Some(d) => drive_arg(vm, d)?,
        None => false,
    };
    dio_to_output(vm, args[0], value, open_drain)?;
    Ok(Obj::NONE)
}

fn dio_switch_to_input(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    vm.check_kwargs(kw, &[q!("pull")])?;
    let pull = match arg(vm, args, kw, 1, q!("pull"))? {
        Some(p) => pull_arg(vm, p)?,
        None => Pull::None,
    };
    dio_to_input(vm, args[0], pull)?;
    Ok(Obj::NONE)
}

fn dio_deinit(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let o = args[0];
    let s = state(vm, o);
    if s & DEINIT == 0 {
        let pin = pin_of(s);
        hal_mode(vm, pin, PinMode::Off)?;
        vm.pins_claimed &= !(1u128 << pin);
        set_state(vm, o, (s & PIN_BITS) | DEINIT);
    }
    Ok(Obj::NONE)
}

fn dio_enter(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    dio_state(vm, args[0])?;
    Ok(args[0])
}

fn dio_exit(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 4)?;
    dio_deinit(vm, &args[..1], kw)
}

/// Methods of `DigitalInOut`.
pub static DIO_METHODS: [NativeDef; 5] = [
    method(q!("switch_to_output"), dio_switch_to_output),
    method(q!("switch_to_input"), dio_switch_to_input),
    method(q!("deinit"), dio_deinit),
    method(q!("__enter__"), dio_enter),
    method(q!("__exit__"), dio_exit),
];

fn attr_error(vm: &mut Vm, msg: &str) -> PyErr {
    vm.raise(TypeId::ATTRIBUTE_ERROR, msg)
}

/// The properties of a DigitalInOut or machine.Pin instance (`None`: not a property).
pub fn instance_attr(vm: &mut Vm, o: Obj, tid: TypeId, q: Qstr) -> PyResult<Option<Obj>> {
    if tid != TypeId::DIGITALINOUT {
        return Ok(None);
    }
    let is_prop = q == q!("direction") || q == q!("value") || q == q!("pull");
    if !is_prop && q != q!("drive_mode") {
        return Ok(None);
    }
    let s = dio_state(vm, o)?;
    let output = s & OUTPUT != 0;
    let v = match q {
        _ if q == q!("direction") => Obj::enum_value(
            TypeId::DIRECTION,
            if output { DIR_OUTPUT } else { DIR_INPUT },
        ),
        _ if q == q!("value") => Obj::bool(hal_read(vm, pin_of(s))?),
        _ if q == q!("pull") => {
            if output {
                return Err(attr_error(vm, "Pull not used when direction is output."));
            }
            match pull_of(s) {
                Pull::None => Obj::NONE,
                Pull::Up => Obj::enum_value(TypeId::PULL, PULL_UP),
                Pull::Down => Obj::enum_value(TypeId::PULL, PULL_DOWN),
            }
        }
        _ => {
            if !output {
                return Err(attr_error(
                    vm,
                    "Drive mode not used when direction is input.",
                ));
            }
            let d = if s & OPEN_DRAIN != 0 {
                DRIVE_OPEN_DRAIN
            } else {
                DRIVE_PUSH_PULL
            };
            Obj::enum_value(TypeId::DRIVE_MODE, d)
        }
    };
    Ok(Some(v))
}

/// Setting a property of a DigitalInOut (`v` NULL: deleting, which is refused).
pub fn dio_store(vm: &mut Vm, o: Obj, q: Qstr, v: Obj) -> PyResult<()> {
    let known = q == q!("direction") || q == q!("value") || q == q!("pull");
    if !known && q != q!("drive_mode") {
        return Err(vm.attribute_error(o, q));
    }
    if v.is_null() {
        return Err(attr_error(vm, "can't delete attribute"));
    }
    let s = dio_state(vm, o)?;
    let output = s & OUTPUT != 0;
    match q {
        _ if q == q!("direction") => match v.as_enum_value() {
            Some((TypeId::DIRECTION, DIR_OUTPUT)) => dio_to_output(vm, o, false, false),
            Some((TypeId::DIRECTION, _)) => dio_to_input(vm, o, Pull::None),
            _ => {
                let tn = vm.type_name(v);
                Err(vm.raise_fmt(
                    TypeId::TYPE_ERROR,
                    &[
                        Fmt::S("direction must be of type Direction, not "),
                        Fmt::Q(tn),
                    ],
                ))
            }
        },
        _ if q == q!("value") => {
            if !output {
                return Err(attr_error(vm, "Cannot set value when direction is input."));
            }
            let high = vm.is_true(v)?;
            hal_write(vm, pin_of(s), high)?;
            let ns = if high { s | VALUE } else { s & !VALUE };
            set_state(vm, o, ns);
            Ok(())
        }
        _ if q == q!("pull") => {
            if output {
                return Err(attr_error(vm, "Pull not used when direction is output."));
            }
            let p = pull_arg(vm, v)?;
            dio_to_input(vm, o, p)
        }
        _ => {
            if !output {
                return Err(attr_error(
                    vm,
                    "Drive mode not used when direction is input.",
                ));
            }
            let od = drive_arg(vm, v)?;
            dio_to_output(vm, o, s & VALUE != 0, od)
        }
    }
}

// ------------------------------------------------------------------------- machine.Pin

/// The pin number named by a `machine.Pin` id: a number, a name or a board pin.
fn pin_id(vm: &mut Vm, id: Obj) -> PyResult<u8> {
    let found = if let Some(n) = id.as_board_pin() {
        Some(n)
    } else if id.is_small() {
        let n = id.small_value();
        let pins = vm.host.hal().map(|h| h.pins()).unwrap_or(&[]);
        pins.iter().find(|p| p.1 as isize == n).map(|p| p.1)
    } else if vm.is_str(id) {
        let mut buf = [0u8; 32];
        let b = vm.str_bytes(id);
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        let exact = n == b.len();
        let h = vm.host.hal();
        match h {
            Some(h) if exact => hal::pin_by_name(h, &buf[..n]),
            _ => None,
        }
    } else {
        None
    };
    match found {
        Some(n) if (n as usize) < 128 => Ok(n),
        _ => Err(vm.raise(TypeId::VALUE_ERROR, "invalid pin")),
    }
}

/// Apply `init(mode, pull, value=)` to a machine.Pin (`-1`/absent: unchanged).
fn pin_init(vm: &mut Vm, o: Obj, args: &[Obj], kw: Obj) -> PyResult<()> {
    vm.check_kwargs(kw, &[q!("mode"), q!("pull"), q!("value")])?;
    let mut s = state(vm, o);
    let pin = pin_of(s);
    let mode = match arg(vm, args, kw, 0, q!("mode"))? {
        Some(m) if m != Obj::NONE => Some(vm.to_isize(m)?),
        _ => None,
    };
    let pull = match arg(vm, args, kw, 1, q!("pull"))? {
        Some(p) if p == Obj::NONE => Some(0),
        Some(p) => Some(vm.to_isize(p)?),
        None => None,
    };
    if let Some(v) = vm.kwarg(kw, q!("value"))? {
        if v != Obj::NONE {
            let high = vm.is_true(v)?;
            hal_write(vm, pin, high)?;
        }
    }
    let mode = mode.filter(|&m| m != -1);
    let pull = pull.filter(|&p| p != -1);
    if mode.is_none() && pull.is_none() {
        return Ok(());
    }
    if let Some(m) = mode {
        s &= !(OUTPUT | OPEN_DRAIN);
        match m {
            MP_IN => {}
            MP_OUT => s |= OUTPUT,
            MP_OPEN_DRAIN => s |= OUTPUT | OPEN_DRAIN,
            _ => return Err(vm.raise(TypeId::VALUE_ERROR, "invalid pin mode")),
        }
    }
    if let Some(p) = pull {
        let p = match p {
            0 => Pull::None,
            MP_PULL_UP => Pull::Up,
            MP_PULL_DOWN => Pull::Down,
            _ => return Err(vm.raise(TypeId::VALUE_ERROR, "invalid pull")),
        };
        s = (s & !PULL_BITS) | pull_bits(p);
    }
    s |= MODE_SET;
    let hm = match (s & OUTPUT != 0, s & OPEN_DRAIN != 0) {
        (true, true) => PinMode::OpenDrain,
        (true, false) => PinMode::Output,
        _ => PinMode::Input(pull_of(s)),
    };
    hal_mode(vm, pin, hm)?;
    set_state(vm, o, s);
    Ok(())
}

/// `machine.Pin(id, mode=-1, pull=-1, *, value=None)`.
pub fn make_pin(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    if args.is_empty() || args.len() > 3 {
        return Err(vm.raise(
            TypeId::TYPE_ERROR,
            "function takes 1 to 3 positional arguments",
        ));
    }
    let pin = pin_id(vm, args[0])?;
    let o = vm.alloc(TypeId::MACHINE_PIN, header::LEAF, 2)?;
    set_state(vm, o, pin as usize);
    let mark = vm.roots_mark();
    let r = vm.root(o).and_then(|_| pin_init(vm, o, &args[1..], kw));
    vm.unroot_to(mark);
    r.map(|_| o)
}

fn mpin_init(vm: &mut Vm, args: &[Obj], kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 3)?;
    pin_init(vm, args[0], &args[1..], kw)?;
    Ok(Obj::NONE)
}

fn mpin_value(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 2)?;
    let pin = pin_of(state(vm, args[0]));
    match args.get(1) {
        None => Ok(Obj::small_unchecked(hal_read(vm, pin)? as isize)),
        Some(&v) => {
            let high = vm.is_true(v)?;
            hal_write(vm, pin, high)?;
            Ok(Obj::NONE)
        }
    }
}

fn mpin_set(vm: &mut Vm, args: &[Obj], high: bool) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let pin = pin_of(state(vm, args[0]));
    hal_write(vm, pin, high)?;
    Ok(Obj::NONE)
}

fn mpin_on(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    mpin_set(vm, args, true)
}

fn mpin_off(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    mpin_set(vm, args, false)
}

fn mpin_toggle(vm: &mut Vm, args: &[Obj], _kw: Obj) -> PyResult<Obj> {
    vm.check_nargs(args, 1, 1)?;
    let pin = pin_of(state(vm, args[0]));
    let now = hal_read(vm, pin)?;
    hal_write(vm, pin, !now)?;
    Ok(Obj::NONE)
}

/// Methods of `machine.Pin`.
pub static PIN_METHODS: [NativeDef; 7] = [
    method(q!("init"), mpin_init),
    method(q!("value"), mpin_value),
    method(q!("on"), mpin_on),
    method(q!("off"), mpin_off),
    method(q!("high"), mpin_on),
    method(q!("low"), mpin_off),
    method(q!("toggle"), mpin_toggle),
];
