//! Statistics collected during a run and summarised across runs.
//!
//! `Tally` (count, mean, variance by Welford's method), `TimeWeighted` (the time average of
//! a piecewise-constant quantity: queue length, busy servers, yard occupancy), `Quantiles`
//! (p50/p90/p95/p99 from an HDR histogram with 3 significant digits, so memory is fixed
//! whatever the number of observations) and `Summary` (mean, sd and Student-t 95% interval
//! across independent replications). Nothing here stores individual observations.

use hdrhistogram::Histogram;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Count, mean, variance, min and max of a series of observations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    sum: f64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
}

impl Tally {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
        self.sum += x;
        if x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
    }

    pub fn count(&self) -> u64 {
        self.n
    }
    pub fn sum(&self) -> f64 {
        self.sum
    }
    /// Mean, or NaN with no observations.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }
    /// Sample variance (n - 1 denominator), NaN below two observations.
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }
    pub fn min(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.min }
    }
    pub fn max(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.max }
    }

    /// Combines two tallies as if all observations had been added to one (Chan et al.).
    pub fn merge(&mut self, other: &Tally) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let d = other.mean - self.mean;
        self.mean += d * other.n as f64 / n as f64;
        self.m2 += other.m2 + d * d * (self.n as f64 * other.n as f64) / n as f64;
        self.n = n;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Count and mean only: two additions per observation, for hot paths that report a mean
/// and nothing else (Welford's division per observation is measurable there).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Mean {
    sum: f64,
    n: u64,
}

impl Mean {
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.sum += x;
        self.n += 1;
    }
    pub fn count(&self) -> u64 {
        self.n
    }
    /// Mean, or NaN with no observations.
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.sum / self.n as f64
        }
    }
}

/// Time average of a piecewise-constant value (integer ticks as time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWeighted {
    start: u64,
    last_t: u64,
    value: f64,
    area: f64,
    max: f64,
}

impl TimeWeighted {
    /// Starts observing at `start` with the given current value.
    pub fn new(start: u64, value: f64) -> Self {
        TimeWeighted {
            start,
            last_t: start,
            value,
            area: 0.0,
            max: value,
        }
    }

    /// Records that the value changes to `value` at time `t` (t never before the last change).
    #[inline]
    pub fn set(&mut self, t: u64, value: f64) {
        let t = t.max(self.last_t);
        self.area += self.value * (t - self.last_t) as f64;
        self.last_t = t;
        self.value = value;
        if value > self.max {
            self.max = value;
        }
    }

    #[inline]
    pub fn add(&mut self, t: u64, delta: f64) {
        let v = self.value + delta;
        self.set(t, v);
    }

    pub fn current(&self) -> f64 {
        self.value
    }

    pub fn max(&self) -> f64 {
        self.max
    }

    /// Integral of the value from the start to `t`, in value × ticks.
    pub fn area_until(&self, t: u64) -> f64 {
        self.area + self.value * (t.saturating_sub(self.last_t)) as f64
    }

    /// Time average from the start to `t`; NaN over an empty interval.
    pub fn mean_until(&self, t: u64) -> f64 {
        let span = t.saturating_sub(self.start);
        if span == 0 {
            f64::NAN
        } else {
            self.area_until(t) / span as f64
        }
    }

    /// Closes the current window at `t` and starts a new one there, keeping the value:
    /// used to report per-year averages. Returns (mean over the closed window, its max).
    pub fn roll(&mut self, t: u64) -> (f64, f64) {
        let mean = self.mean_until(t);
        let max = self.max;
        self.area = 0.0;
        self.start = t;
        self.last_t = t;
        self.max = self.value;
        (mean, max)
    }
}

/// Quantiles of non-negative observations with 3 significant digits, fixed memory.
#[derive(Debug, Clone)]
pub struct Quantiles {
    hist: Histogram<u64>,
    scale: f64,
}

impl Quantiles {
    /// `resolution` is the smallest distinguishable value (e.g. 0.01 hours); values are
    /// stored as integer multiples of it.
    pub fn new(resolution: f64) -> Self {
        let hist = Histogram::new(3).expect("3 significant digits is a valid HDR precision");
        Quantiles {
            hist,
            scale: 1.0 / resolution,
        }
    }

    #[inline]
    pub fn add(&mut self, x: f64) {
        let v = if x.is_finite() && x > 0.0 {
            (x * self.scale).round().min(1e18) as u64
        } else {
            0
        };
        // Auto-resizing grows the histogram to the range actually seen; the saturating
        // fallback only applies beyond u64 range, which the clamp above rules out.
        if self.hist.record(v).is_err() {
            self.hist.saturating_record(v);
        }
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The q-quantile (q in [0, 1]); NaN with no observations.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return f64::NAN;
        }
        self.hist.value_at_quantile(q) as f64 / self.scale
    }

    pub fn merge(&mut self, other: &Quantiles) {
        // Both histograms auto-resize, so adding cannot fail for this configuration.
        let _ = self.hist.add(&other.hist);
    }
}

/// Mean, sd and Student-t 95% confidence interval of independent replication values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

/// Two-sided Student-t critical value for confidence `level` with `df` degrees of freedom.
pub fn t_critical(level: f64, df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) => t.inverse_cdf(0.5 + level / 2.0),
        Err(_) => f64::NAN,
    }
}

impl Summary {
    /// Summarises values; NaN values are skipped. With one value the interval is NaN
    /// (undefined), never a misleading zero-width band.
    pub fn of(values: &[f64]) -> Summary {
        Self::with_level(values, 0.95)
    }

    pub fn with_level(values: &[f64], level: f64) -> Summary {
        let mut t = Tally::new();
        for &v in values {
            if !v.is_nan() {
                t.add(v);
            }
        }
        let n = t.count() as usize;
        let mean = t.mean();
        let sd = t.sd();
        let (lo, hi) = if n >= 2 {
            let half = t_critical(level, n - 1) * sd / (n as f64).sqrt();
            (mean - half, mean + half)
        } else {
            (f64::NAN, f64::NAN)
        };
        Summary {
            n,
            mean,
            sd,
            ci95_low: lo,
            ci95_high: hi,
        }
    }

    pub fn half_width(&self) -> f64 {
        (self.ci95_high - self.ci95_low) / 2.0
    }

    pub fn contains(&self, x: f64) -> bool {
        self.ci95_low <= x && x <= self.ci95_high
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_matches_two_pass() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut t = Tally::new();
        xs.iter().for_each(|&x| t.add(x));
        assert_eq!(t.count(), 8);
        assert!((t.mean() - 5.0).abs() < 1e-12);
        assert!((t.variance() - 32.0 / 7.0).abs() < 1e-12);
        assert_eq!(t.min(), 2.0);
        assert_eq!(t.max(), 9.0);
        let (mut a, mut b) = (Tally::new(), Tally::new());
        xs[..3].iter().for_each(|&x| a.add(x));
        xs[3..].iter().for_each(|&x| b.add(x));
        a.merge(&b);
        assert!((a.variance() - t.variance()).abs() < 1e-12);
        assert!((a.mean() - t.mean()).abs() < 1e-12);
    }

    #[test]
    fn mean_is_sum_over_count() {
        let mut m = Mean::default();
        assert!(m.mean().is_nan());
        [1.0, 2.0, 6.0].iter().for_each(|&x| m.add(x));
        assert_eq!(m.mean(), 3.0);
        assert_eq!(m.count(), 3);
    }

    #[test]
    fn time_weighted_average() {
        // 0 for 10 ticks, 2 for 30 ticks, 1 for 60 ticks: area 120 over 100.
        let mut w = TimeWeighted::new(0, 0.0);
        w.set(10, 2.0);
        w.set(40, 1.0);
        assert!((w.mean_until(100) - 1.2).abs() < 1e-12);
        assert_eq!(w.max(), 2.0);
        let (m, mx) = w.roll(100);
        assert!((m - 1.2).abs() < 1e-12);
        assert_eq!(mx, 2.0);
        assert!((w.mean_until(150) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn quantiles_of_uniform_grid() {
        let mut q = Quantiles::new(0.01);
        for i in 1..=10_000 {
            q.add(i as f64 / 100.0); // 0.01 .. 100
        }
        assert!((q.quantile(0.5) - 50.0).abs() < 0.1, "{}", q.quantile(0.5));
        assert!((q.quantile(0.95) - 95.0).abs() < 0.1);
        assert!((q.quantile(0.99) - 99.0).abs() < 0.1);
    }

    #[test]
    fn student_t_interval() {
        // t(0.975, 4) = 2.776445
        assert!((t_critical(0.95, 4) - 2.776_445).abs() < 1e-5);
        let s = Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let half = 2.776_445 * (2.5f64).sqrt() / 5f64.sqrt();
        assert!((s.ci95_low - (3.0 - half)).abs() < 1e-5);
        assert!((s.ci95_high - (3.0 + half)).abs() < 1e-5);
        let one = Summary::of(&[3.0]);
        assert_eq!(one.mean, 3.0);
        assert!(one.ci95_low.is_nan());
    }
}
