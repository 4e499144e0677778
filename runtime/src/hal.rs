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

/// The pins of an Arduino-shaped board: D0..D13, and LED on D13 (the host simulator's and
/// the QEMU firmware's board).
pub const ARDUINO_PINS: &[(&str, u8)] = &[
    ("D0", 0),
    ("D1", 1),
    ("D2", 2),
    ("D3", 3),
    ("D4", 4),
    ("D5", 5),
    ("D6", 6),
    ("D7", 7),
    ("D8", 8),
    ("D9", 9),
    ("D10", 10),
    ("D11", 11),
    ("D12", 12),
    ("D13", 13),
    ("LED", 13),
];

/// The state of `N` pins for a board that reports level changes (a simulator, or firmware
/// printing them): each pin's mode, output latch and the level last reported. All pins start
/// released and low. [`PinStates::set_mode`] and [`PinStates::write`] return the new level
/// when a driven pin's level changed, for the board to report.
pub struct PinStates<const N: usize> {
    mode: [PinMode; N],
    latch: [bool; N],
    level: [bool; N],
}

impl<const N: usize> PinStates<N> {
    /// All pins released and low.
    pub const fn new() -> Self {
        PinStates {
            mode: [PinMode::Off; N],
            latch: [false; N],
            level: [false; N],
        }
    }

    /// The level to report if pin `p` is driven and its level changed.
    fn change(&mut self, p: usize) -> Option<bool> {
        let driven = matches!(self.mode[p], PinMode::Output | PinMode::OpenDrain);
        if !driven || self.latch[p] == self.level[p] {
            return None;
        }
        self.level[p] = self.latch[p];
        Some(self.level[p])
    }

    /// Set pin `pin`'s mode (ignored beyond `N`); returns a level change to report.
    pub fn set_mode(&mut self, pin: u8, mode: PinMode) -> Option<bool> {
        let p = usize::from(pin);
        *self.mode.get_mut(p)? = mode;
        self.change(p)
    }

    /// Set pin `pin`'s output latch (ignored beyond `N`); returns a level change to report.
    pub fn write(&mut self, pin: u8, high: bool) -> Option<bool> {
        let p = usize::from(pin);
        *self.latch.get_mut(p)? = high;
        self.change(p)
    }

    /// The level of pin `pin`: what an output drives, high for an input pulled up.
    pub fn read(&self, pin: u8) -> bool {
        match self.mode.get(usize::from(pin)) {
            Some(PinMode::Output | PinMode::OpenDrain) => self.latch[usize::from(pin)],
            Some(PinMode::Input(Pull::Up)) => true,
            _ => false,
        }
    }
}

impl<const N: usize> Default for PinStates<N> {
    fn default() -> Self {
        Self::new()
    }
}
