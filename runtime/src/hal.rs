//! The hardware abstraction the board implements: named pins, their mode and level.
//!
//! No MicroPython file corresponds one to one: this is the part of a port's `machine_pin.c`
//! and CircuitPython's `common-hal/digitalio` that touches hardware, reduced to four calls.
//! The Python-visible modules built on it (`board`, `digitalio`/`nativeio`, `machine.Pin`)
//! are in [`crate::modules::board`]. A firmware implements [`Hal`] with register writes (or
//! semihosting output in QEMU); `upyc run --board sim` implements it on the host.
//!
//! The runtime reaches the board through [`crate::Host::hal`]; a host without a board
//! returns `None` and the hardware modules are then not importable.

/// How a pin is driven.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum PinMode {
    /// Released (high impedance, not driven); the state after `deinit()`.
    Off,
    /// An input, with an optional pull resistor.
    Input(Pull),
    /// A push-pull output.
    Output,
    /// An open-drain output (drives low, floats high).
    OpenDrain,
}

/// A pull resistor on an input.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub enum Pull {
    /// No pull resistor.
    None,
    /// Pull up.
    Up,
    /// Pull down.
    Down,
}

/// The board's pins, implemented by the firmware (or the host simulator).
///
/// Pins are numbered by the board (`0..128`); [`Hal::pins`] names them. Several names may
/// share a number (`LED` and `D13` on many boards). Every call gets a number that appears
/// in [`Hal::pins`].
pub trait Hal {
    /// The named pins: `(name, number)`, in the order `board` lists them.
    fn pins(&self) -> &'static [(&'static str, u8)];
    /// Set the mode of a pin.
    fn pin_mode(&mut self, pin: u8, mode: PinMode);
    /// Drive an output pin high or low.
    fn pin_write(&mut self, pin: u8, high: bool);
    /// Read the level of a pin (an output reads back what it drives).
    fn pin_read(&mut self, pin: u8) -> bool;
}

/// The first name of pin `pin` on this board, if it has one.
pub fn pin_name(hal: &dyn Hal, pin: u8) -> Option<&'static str> {
    hal.pins().iter().find(|p| p.1 == pin).map(|p| p.0)
}

/// The number of the pin called `name`, if the board has one.
pub fn pin_by_name(hal: &dyn Hal, name: &[u8]) -> Option<u8> {
    hal.pins()
        .iter()
        .find(|p| p.0.as_bytes() == name)
        .map(|p| p.1)
}
