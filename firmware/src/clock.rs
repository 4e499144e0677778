//! The board's clock for `time`: the Cortex-M SysTick timer, which every Cortex-M core has
//! (M0 included), interrupting once a millisecond.
//!
//! The interrupt counts milliseconds; [`now_us`] adds the microseconds elapsed in the
//! current millisecond from the counter's current value. [`sleep_us`] waits with `wfi`
//! until the clock has passed the deadline, so the core idles between the interrupts.
//!
//! The core clock is lm3s6965's as QEMU models it: a 200 MHz PLL divided by the reset value
//! of RCC's SYSDIV (16), 12.5 MHz. A board with another clock changes [`CORE_HZ`].
//!
//! In QEMU, `-icount shift=N,sleep=off` (the runner in `.cargo/config.toml`) makes time
//! virtual: each instruction takes 2^N ns, and a `wfi` jumps to the next timer interrupt
//! instead of waiting, so a program that sleeps 10 s finishes at once and prints the same
//! on any host. Without `-icount` the same binary sleeps in real time.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;

/// The core clock SysTick counts (Hz).
pub const CORE_HZ: u32 = 12_500_000;

/// Core cycles in one millisecond: SysTick's period.
const CYCLES_PER_MS: u32 = CORE_HZ / 1000;

/// Milliseconds since [`start`], low and high words (written by the interrupt only).
static MILLIS_LO: AtomicU32 = AtomicU32::new(0);
static MILLIS_HI: AtomicU32 = AtomicU32::new(0);

/// Start the clock at 0: SysTick on the core clock, one interrupt a millisecond.
pub fn start(syst: &mut SYST) {
    MILLIS_LO.store(0, Ordering::Relaxed);
    MILLIS_HI.store(0, Ordering::Relaxed);
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(CYCLES_PER_MS - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// One millisecond has passed. Only this handler writes the counters; the core has no
/// atomic read-modify-write on Cortex-M0, and needs none here.
#[cortex_m_rt::exception]
fn SysTick() {
    let lo = MILLIS_LO.load(Ordering::Relaxed).wrapping_add(1);
    MILLIS_LO.store(lo, Ordering::Relaxed);
    if lo == 0 {
        let hi = MILLIS_HI.load(Ordering::Relaxed).wrapping_add(1);
        MILLIS_HI.store(hi, Ordering::Relaxed);
    }
}

/// Microseconds since [`start`].
pub fn now_us() -> u64 {
    loop {
        let hi = MILLIS_HI.load(Ordering::Relaxed);
        let lo = MILLIS_LO.load(Ordering::Relaxed);
        let current = SYST::get_current();
        // The interrupt of a reload between the reads has run by now (thread mode, enabled
        // interrupts); if it did, the counters moved and the values are read again.
        if lo == MILLIS_LO.load(Ordering::Relaxed) && hi == MILLIS_HI.load(Ordering::Relaxed) {
            let ms = (u64::from(hi) << 32) | u64::from(lo);
            // The counter runs down from CYCLES_PER_MS - 1 to 0.
            let cycles = (CYCLES_PER_MS - 1).saturating_sub(current);
            let us = u64::from(cycles) * 1_000_000 / u64::from(CORE_HZ);
            return ms * 1000 + us;
        }
    }
}

/// Wait `us` microseconds, idling between clock interrupts.
pub fn sleep_us(us: u64) {
    let deadline = now_us().saturating_add(us);
    while now_us() < deadline {
        cortex_m::asm::wfi();
    }
}
