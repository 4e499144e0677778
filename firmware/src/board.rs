//! The firmware's board for the blink demo: the runtime's [`Hal`] over semihosting (each
//! change of a driven pin is printed as `D13 -> 1`), a clock for `time`, and the console.
//!
//! lm3s6965evb in QEMU has no LED to watch, so the "hardware" is the semihosting console:
//! the pin levels live in [`Pins`] and every change of an output's level is one line on
//! stdout, in order with the program's own output. The clock is virtual: `time.sleep()`
//! advances it without waiting (as `upyc run --virtual-time` does), so a run takes the same
//! time and prints the same text on any host.

use upyc_runtime::hal::{Hal, PinMode, Pull};
use upyc_runtime::Host;

use crate::Console;

/// The board's pins: D0..D13, LED on D13.
pub const PINS: &[(&str, u8)] = &[
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

const N: usize = 14;

/// Pin modes, output latches and the levels last reported (all low at reset).
pub struct Pins {
    mode: [PinMode; N],
    latch: [bool; N],
    level: [bool; N],
}

/// The console, the pins and the clock: what the runtime sees of the board.
pub struct BoardHost {
    /// Semihosting stdout/stderr.
    pub console: Console,
    pins: Pins,
    clock_us: u64,
}

impl BoardHost {
    /// A board with all pins released and low, the clock at 0.
    pub fn new() -> BoardHost {
        BoardHost {
            console: Console::new(),
            pins: Pins {
                mode: [PinMode::Off; N],
                latch: [false; N],
                level: [false; N],
            },
            clock_us: 0,
        }
    }

    /// Print pin `p`'s level if it is driven and changed.
    fn update(&mut self, p: usize) {
        let driven = matches!(self.pins.mode[p], PinMode::Output | PinMode::OpenDrain);
        if !driven || self.pins.latch[p] == self.pins.level[p] {
            return;
        }
        self.pins.level[p] = self.pins.latch[p];
        let name = PINS
            .iter()
            .find(|x| usize::from(x.1) == p)
            .map_or("?", |x| x.0);
        self.console.stdout(name.as_bytes());
        self.console.stdout(if self.pins.level[p] {
            b" -> 1\n"
        } else {
            b" -> 0\n"
        });
    }
}

impl Default for BoardHost {
    fn default() -> Self {
        BoardHost::new()
    }
}

impl Hal for BoardHost {
    fn pins(&self) -> &'static [(&'static str, u8)] {
        PINS
    }

    fn pin_mode(&mut self, pin: u8, mode: PinMode) {
        let p = usize::from(pin);
        if p < N {
            self.pins.mode[p] = mode;
            self.update(p);
        }
    }

    fn pin_write(&mut self, pin: u8, high: bool) {
        let p = usize::from(pin);
        if p < N {
            self.pins.latch[p] = high;
            self.update(p);
        }
    }

    fn pin_read(&mut self, pin: u8) -> bool {
        let p = usize::from(pin);
        if p >= N {
            return false;
        }
        match self.pins.mode[p] {
            PinMode::Output | PinMode::OpenDrain => self.pins.latch[p],
            PinMode::Input(Pull::Up) => true,
            _ => false,
        }
    }
}

impl Host for BoardHost {
    fn write_stdout(&mut self, b: &[u8]) {
        self.console.stdout(b);
    }

    fn write_stderr(&mut self, b: &[u8]) {
        self.console.stderr(b);
    }

    fn ticks_us(&mut self) -> u64 {
        self.clock_us
    }

    fn sleep_us(&mut self, us: u64) {
        self.clock_us = self.clock_us.saturating_add(us);
    }

    fn hal(&mut self) -> Option<&mut dyn Hal> {
        Some(self)
    }
}
