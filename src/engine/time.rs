//! Simulated time as integer ticks.
//!
//! One tick is one millisecond. Integer time makes event ordering exact and runs reproducible
//! bit for bit across machines (no floating-point drift in the clock); a `u64` of milliseconds
//! covers 584 million years, so a 15-year corridor horizon is far from overflow while a
//! sampled duration keeps sub-second resolution (rounding error under 0.5 ms per draw).
//! Conversions from floating-point durations must never panic: negative or NaN durations
//! become zero and huge ones saturate.

/// Simulated time or duration, in milliseconds.
pub type Ticks = u64;

pub const TICKS_PER_SECOND: Ticks = 1_000;
pub const TICKS_PER_MINUTE: Ticks = 60 * TICKS_PER_SECOND;
pub const TICKS_PER_HOUR: Ticks = 60 * TICKS_PER_MINUTE;
pub const TICKS_PER_DAY: Ticks = 24 * TICKS_PER_HOUR;
/// The model calendar uses 365-day years (leap days ignored): 0.07% of a year, far below
/// any figure the corridor is calibrated against.
pub const TICKS_PER_YEAR: Ticks = 365 * TICKS_PER_DAY;

/// Largest duration a sample may produce: 10,000 years. Keeps `now + delay` from overflowing.
pub const MAX_DURATION_TICKS: Ticks = 10_000 * TICKS_PER_YEAR;

/// Converts a duration in a unit given by `ticks_per_unit`, rounding to the nearest tick.
#[inline]
pub fn to_ticks(value: f64, ticks_per_unit: Ticks) -> Ticks {
    let t = value * ticks_per_unit as f64;
    if t.is_nan() || t <= 0.0 {
        0
    } else if t >= MAX_DURATION_TICKS as f64 {
        MAX_DURATION_TICKS
    } else {
        (t + 0.5) as Ticks
    }
}

#[inline]
pub fn hours_to_ticks(hours: f64) -> Ticks {
    to_ticks(hours, TICKS_PER_HOUR)
}

#[inline]
pub fn ticks_to_hours(t: Ticks) -> f64 {
    t as f64 / TICKS_PER_HOUR as f64
}

#[inline]
pub fn ticks_to_days(t: Ticks) -> f64 {
    t as f64 / TICKS_PER_DAY as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_and_saturate() {
        assert_eq!(hours_to_ticks(1.0), 3_600_000);
        assert_eq!(hours_to_ticks(1.6 / 3_600_000.0), 2); // rounds to nearest tick
        assert_eq!(hours_to_ticks(-3.0), 0);
        assert_eq!(hours_to_ticks(f64::NAN), 0);
        assert_eq!(hours_to_ticks(f64::INFINITY), MAX_DURATION_TICKS);
        assert!((ticks_to_days(TICKS_PER_DAY * 3) - 3.0).abs() < 1e-12);
    }
}
