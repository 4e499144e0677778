//! The firmware's board for the blink demo: the runtime's [`Hal`] over semihosting (each
//! change of a driven pin is printed as `D13 -> 1`), a clock for `time`, and the console.
//!
//! lm3s6965evb in QEMU has no LED to watch, so the "hardware" is the semihosting console:
//! the pin levels live in a [`PinStates`] and every change of an output's level is one line on
//! stdout, in order with the program's own output. `time` reads the board's clock, the
//! SysTick timer ([`crate::clock`]), and `time.sleep()` idles on it.

use upyc_runtime::hal::{Hal, PinMode, PinStates};
use upyc_runtime::Host;

use crate::Console;

/// The board's pins: D0..D13, LED on D13.
pub const PINS: &[(&str, u8)] = upyc_runtime::hal::ARDUINO_PINS;

/// The console, the pins and the clock: what the runtime sees of the board.
pub struct BoardHost {
    /// Semihosting stdout/stderr.
    pub console: Console,
    pins: PinStates<14>,
}

impl BoardHost {
    /// A board with all pins released and low. The clock ([`crate::clock::start`]) is
    /// started by whoever owns the core peripherals.
    pub fn new() -> BoardHost {
        BoardHost {
            console: Console::new(),
            pins: PinStates::new(),
        }
    }

    /// [`BoardHost::new`] built in `slot`. Not inlined: the value it builds on the way
    /// leaves the stack with it, so the caller's frame (live while a program runs) holds
    /// only the slot.
    #[inline(never)]
    pub fn new_in(slot: &mut core::mem::MaybeUninit<BoardHost>) -> &mut BoardHost {
        slot.write(BoardHost::new())
    }

    /// Print a level change of pin `pin` (`D13 -> 1`).
    fn report(&mut self, pin: u8, high: Option<bool>) {
        let Some(high) = high else {
            return;
        };
        let name = upyc_runtime::hal::pin_name(self, pin).unwrap_or("?");
        self.console.stdout(name.as_bytes());
        self.console
            .stdout(if high { b" -> 1\n" } else { b" -> 0\n" });
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
        let change = self.pins.set_mode(pin, mode);
        self.report(pin, change);
    }

    fn pin_write(&mut self, pin: u8, high: bool) {
        let change = self.pins.write(pin, high);
        self.report(pin, change);
    }

    fn pin_read(&mut self, pin: u8) -> bool {
        self.pins.read(pin)
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
        crate::clock::now_us()
    }

    fn sleep_us(&mut self, us: u64) {
        crate::clock::sleep_us(us)
    }

    fn hal(&mut self) -> Option<&mut dyn Hal> {
        Some(self)
    }
}
