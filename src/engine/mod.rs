//! The discrete-event core: a clock in integer ticks, an event calendar, reproducible random
//! streams, distributions, statistics and a resource kit (servers, levels, a FIFO store).
//!
//! This module is generic. It must never know about containers, trains, ports or any other
//! freight notion: the corridor model (`crate::model`) and the validation stations in
//! `tests/` are both built on top of it, and that separation is what lets the engine be
//! checked against exact queueing theory on its own.

pub mod calendar;
pub mod dist;
pub mod resource;
pub mod rng;
pub mod stats;
pub mod time;

pub use calendar::{Calendar, EventKey};
pub use dist::{Dist, DistError, DistSpec};
pub use rng::{SourceId, Stream, StreamFactory};
pub use stats::{Mean, Quantiles, Summary, Tally, TimeWeighted};
pub use time::Ticks;

/// Asks the CPU to bring `value`'s cache line in without waiting for it. Changes nothing a
/// program computes; it pays where the next piece of work is known one step ahead and its
/// data is scattered over more memory than the caches hold (a large arena of entities).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, and `value` is a valid reference anyway.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (value as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
