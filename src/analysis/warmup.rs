//! Choosing a warm-up period: Welch's moving average over replications and the MSER-5
//! truncation rule (White, 1997), applied to an output series that starts empty.
//!
//! Pure functions on numbers; they must never run a simulation or print.

/// Averages the series of several replications point by point, skipping NaN, then
/// smooths with a centred moving average of half-width `window` (Welch's method).
pub fn welch(series: &[Vec<f64>], window: usize) -> Vec<f64> {
    let len = series.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut mean = vec![f64::NAN; len];
    for (i, m) in mean.iter_mut().enumerate() {
        let vals: Vec<f64> = series
            .iter()
            .filter_map(|s| s.get(i).copied())
            .filter(|v| !v.is_nan())
            .collect();
        if !vals.is_empty() {
            *m = vals.iter().sum::<f64>() / vals.len() as f64;
        }
    }
    (0..len)
        .map(|i| {
            // Near the start the window shrinks so that it stays centred.
            let w = window.min(i).min(len - 1 - i);
            let vals: Vec<f64> = mean[i - w..=i + w]
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .collect();
            if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        })
        .collect()
}

/// MSER-5: the number of leading observations to delete. The series is cut into batches
/// of 5 (NaN points skipped); for each candidate deletion d (in batches, up to half of
/// them) the statistic is the variance of the remaining batch means divided by their
/// count; the d minimising it is returned, converted back to observations.
pub fn mser5(series: &[f64]) -> usize {
    let points: Vec<f64> = series.iter().copied().filter(|v| !v.is_nan()).collect();
    let batches: Vec<f64> = points
        .chunks_exact(5)
        .map(|c| c.iter().sum::<f64>() / 5.0)
        .collect();
    let n = batches.len();
    if n < 4 {
        return 0;
    }
    let mut best = (f64::INFINITY, 0);
    for d in 0..=n / 2 {
        let rest = &batches[d..];
        let m = rest.iter().sum::<f64>() / rest.len() as f64;
        let ss: f64 = rest.iter().map(|x| (x - m).powi(2)).sum();
        let stat = ss / (rest.len() as f64).powi(2);
        if stat < best.0 {
            best = (stat, d);
        }
    }
    best.1 * 5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mser5_cuts_an_initial_transient() {
        // 40 points rising from 0 to 10, then 200 points at 10 ± 0.1: the transient must go.
        let mut s: Vec<f64> = (0..40).map(|i| i as f64 / 4.0).collect();
        s.extend((0..200).map(|i| 10.0 + if i % 2 == 0 { 0.1 } else { -0.1 }));
        let d = mser5(&s);
        assert!((35..=45).contains(&d), "{d}");
        // A stationary series needs no deletion.
        let flat: Vec<f64> = (0..200)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert_eq!(mser5(&flat), 0);
    }

    #[test]
    fn welch_averages_and_smooths() {
        let a = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        let b = vec![3.0, 2.0, 1.0, f64::NAN, 5.0];
        let w = welch(&[a, b], 1);
        // point means: 2, 2, 2, 4, 5; centred window of half-width 1 (shrinking at ends)
        assert_eq!(w[0], 2.0);
        assert_eq!(w[1], 2.0);
        assert!((w[2] - 8.0 / 3.0).abs() < 1e-12);
        assert!((w[3] - 11.0 / 3.0).abs() < 1e-12);
        assert_eq!(w[4], 5.0);
    }
}
