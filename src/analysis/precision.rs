//! `--precision`: replications added in stages until every held quantity is estimated
//! precisely enough, by the relative-precision sequential procedure of Law & Kelton,
//! *Simulation Modeling and Analysis* (5th ed., §9.4.1).
//!
//! With `n` replications, a quantity's 95% half-width is `t(n−1, 0.975)·s/√n` (the
//! Student-t interval of `summary.csv`, before it is cut to the metric's range). It is
//! precise when that half-width is at most `γ'·|mean|`, where `γ' = γ/(1+γ)` and `γ` is
//! the relative precision asked for: Law & Kelton's adjustment, so that the *actual*
//! relative error `|mean − μ|/|μ|` is at most `γ` (not `γ'`) with about 95% confidence.
//! A quantity whose values have no spread (mean 0 and sd 0 included) has half-width 0 and
//! is precise; one that no replication recorded (a mean transit time in a year with no
//! deliveries) cannot be estimated and holds nothing up; one recorded by a single
//! replication is imprecise.
//!
//! The procedure: run the pilot (`min` replications); while some quantity is imprecise
//! and fewer than `max` replications ran, run a stage up to `clamp(needed, n + 1, 2n)`
//! replications (never above `max`), where `needed` is the largest, over the imprecise
//! quantities, of Law & Kelton's estimate `min{i ≥ n : t(i−1)·s/√i ≤ γ'·|mean|}` with the
//! current mean and sd (`2n` when it cannot be estimated: a mean of 0, one value).
//! Every stage is decided from the replications `0..n` alone, so the count reached, and
//! every output, are the same for any thread count, shard split or interruption; `retrace`
//! replays the procedure on replications already gathered.
//!
//! This module computes; it never runs anything. The coverage of a sequential procedure
//! is approximate (the stopping time depends on the same data the interval is built from);
//! Law & Kelton report it close to the nominal level for a pilot of 10 or more.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::stats::{Summary, t_critical};
use crate::metrics::{Metric, Quantity, SubjectKind};
use crate::model::results::RunResult;

/// The pilot when `--reps` is not given: the t-interval needs a few degrees of freedom
/// before `s` says anything about the spread (with 2 or 3 replications a stage can stop
/// on a lucky small sample), and Law & Kelton's procedure starts from `n0 ≥ 10`.
pub const DEFAULT_MIN_REPLICATIONS: u64 = 10;

/// The cap when `--max-reps` is not given.
pub const DEFAULT_MAX_REPLICATIONS: u64 = 200;

/// The fewest replications a pilot may have: one degree of freedom.
pub const LEAST_MIN_REPLICATIONS: u64 = 2;

/// What the procedure is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// `γ`, in (0, 1).
    pub relative_half_width: f64,
    pub min_replications: u64,
    pub max_replications: u64,
}

impl Rule {
    /// `γ' = γ/(1+γ)`: the half-width bound relative to the sample mean.
    pub fn adjusted(&self) -> f64 {
        self.relative_half_width / (1.0 + self.relative_half_width)
    }
}

/// One held quantity of one scenario in one year, as estimated from `n` replications.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRow {
    pub scenario: String,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub year: i32,
    /// Replications that recorded a value.
    pub n: usize,
    pub mean: f64,
    /// `t(n−1, 0.975)·s/√n`; NaN with fewer than two values.
    pub half_width: f64,
    /// `half_width / |mean|`: 0 without spread, infinite for a mean of 0 with spread, NaN
    /// with fewer than two values.
    pub relative_half_width: f64,
    pub precise: bool,
    /// Replications this quantity needs by the current estimate; `None` when precise or
    /// when it cannot be estimated.
    pub needed: Option<u64>,
}

/// Why the procedure stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Every held quantity is precise.
    Precise,
    /// The cap was reached with some quantity still imprecise.
    Cap,
    /// More replications are needed than are held (a shard's pilot, or merged shards):
    /// the next stage would run `next`.
    Pending { next: u64 },
}

impl Stop {
    /// The `stopped_because` value of `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Stop::Precise => "precision_reached",
            Stop::Cap => "cap_reached",
            Stop::Pending { .. } => "more_replications_needed",
        }
    }
}

/// What the procedure did: the stages it ran, where it stopped and why, and every held
/// quantity at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionReport {
    pub rule: Rule,
    /// The `--metric` arguments as written.
    pub metrics: Vec<String>,
    /// The replication count after each stage, the pilot first.
    pub stages: Vec<u64>,
    pub replications_used: u64,
    pub stopped_because: Stop,
    /// Every held quantity of every scenario, in scenario order.
    pub rows: Vec<PrecisionRow>,
}

impl PrecisionReport {
    /// The quantities still imprecise.
    pub fn imprecise(&self) -> impl Iterator<Item = &PrecisionRow> {
        self.rows.iter().filter(|r| !r.precise)
    }
}

/// One scenario's held quantities and runs.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    pub scenario: &'a str,
    pub quantities: &'a [Quantity],
    /// Sorted by replication; only replications below the count assessed are used.
    pub runs: &'a [RunResult],
}

/// Smallest `i ≥ n` with `t(i−1)·sd/√i ≤ bound`, the values' count Law & Kelton's
/// approximation says is needed; `None` if no `i` up to 10⁹ does.
fn values_needed(n: usize, sd: f64, bound: f64) -> Option<u64> {
    const LIMIT: u64 = 1_000_000_000;
    let ok = |i: u64| t_critical(0.95, (i - 1) as usize) * sd / (i as f64).sqrt() <= bound;
    let mut lo = (n as u64).max(2);
    if ok(lo) {
        return Some(lo);
    }
    // The condition holds from some i on (t·sd/√i decreases): double, then bisect.
    let mut hi = lo;
    loop {
        hi = hi.saturating_mul(2).min(LIMIT);
        if ok(hi) {
            break;
        }
        if hi == LIMIT {
            return None;
        }
        lo = hi;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// One quantity in one year from `values` (NaN skipped), out of `reps` replications.
fn row(
    scenario: &str,
    q: &Quantity,
    year: i32,
    values: &[f64],
    reps: u64,
    rule: &Rule,
) -> PrecisionRow {
    let s = Summary::of(values);
    let bound = rule.adjusted() * s.mean.abs();
    let (half_width, precise, needed) = match s.n {
        0 => (f64::NAN, true, None),
        1 => (f64::NAN, false, None),
        n => {
            let hw = t_critical(0.95, n - 1) * s.sd / (n as f64).sqrt();
            let precise = hw <= bound;
            let needed = if precise || bound <= 0.0 {
                None
            } else {
                // In replications: values are missing from some replications at the same
                // rate as so far.
                values_needed(n, s.sd, bound)
                    .map(|v| ((v as f64) * reps as f64 / n as f64).ceil() as u64)
            };
            (hw, precise, needed)
        }
    };
    let relative_half_width = if half_width == 0.0 {
        0.0
    } else {
        half_width / s.mean.abs()
    };
    PrecisionRow {
        scenario: scenario.to_string(),
        metric: q.metric,
        kind: q.subject.kind,
        subject: q.subject.id.clone(),
        year,
        n: s.n,
        mean: s.mean,
        half_width,
        relative_half_width,
        precise,
        needed,
    }
}

/// Every held quantity of every scenario, estimated from replications `0..n`: a
/// quantity with a year in that year, one without in every year some run recorded it.
/// Each run's records are read once; a run gives a quantity at most one value a year (the
/// first it recorded, as `RunResult::value`), in replication order.
pub fn assess(rule: &Rule, held: &[Held<'_>], n: u64) -> Vec<PrecisionRow> {
    let mut rows = Vec::new();
    for h in held {
        let mut values: BTreeMap<(usize, i32), Vec<f64>> = BTreeMap::new();
        for (qi, q) in h.quantities.iter().enumerate() {
            if let Some(y) = q.year {
                values.entry((qi, y)).or_default();
            }
        }
        let mut seen: BTreeSet<(usize, i32)> = BTreeSet::new();
        for run in h.runs.iter().filter(|r| r.replication < n) {
            seen.clear();
            for r in &run.records {
                for (qi, q) in h.quantities.iter().enumerate() {
                    let matches = r.metric == q.metric
                        && r.kind == q.subject.kind
                        && q.year.is_none_or(|y| y == r.year)
                        && r.subject == q.subject.id;
                    if matches && seen.insert((qi, r.year)) {
                        values.entry((qi, r.year)).or_default().push(r.value);
                    }
                }
            }
        }
        for ((qi, year), v) in &values {
            rows.push(row(h.scenario, &h.quantities[*qi], *year, v, n, rule));
        }
    }
    rows
}

/// The decision after a stage of `n` replications.
pub fn decide(rule: &Rule, rows: &[PrecisionRow], n: u64) -> Stop {
    if rows.iter().all(|r| r.precise) {
        return Stop::Precise;
    }
    if n >= rule.max_replications {
        return Stop::Cap;
    }
    let doubled = n.saturating_mul(2);
    let needed = rows
        .iter()
        .filter(|r| !r.precise)
        .map(|r| r.needed.unwrap_or(doubled))
        .max()
        .unwrap_or(doubled);
    let next = needed.clamp(n + 1, doubled.max(n + 1));
    Stop::Pending {
        next: next.min(rule.max_replications),
    }
}

/// Replays the procedure on the replications held (`available` of each scenario, numbered
/// `0..available`): from the pilot, stage after stage, until it stops or would need more
/// than `available`. The live run and a merge both call it, so they agree.
pub fn retrace(
    rule: &Rule,
    metrics: &[String],
    held: &[Held<'_>],
    available: u64,
) -> PrecisionReport {
    let mut n = rule.min_replications.min(available);
    let mut stages = Vec::new();
    loop {
        let rows = assess(rule, held, n);
        let stop = decide(rule, &rows, n);
        stages.push(n);
        match stop {
            Stop::Pending { next } if next <= available => n = next,
            _ => {
                return PrecisionReport {
                    rule: *rule,
                    metrics: metrics.to_vec(),
                    stages,
                    replications_used: n,
                    stopped_because: stop,
                    rows,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Subject;
    use crate::model::results::Record;

    fn runs(values: &[f64]) -> Vec<RunResult> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| RunResult {
                replication: i as u64,
                records: vec![Record {
                    year: 2030,
                    metric: Metric::DeliveredTeu,
                    kind: SubjectKind::Corridor,
                    subject: "corridor".into(),
                    value: v,
                }],
                ..Default::default()
            })
            .collect()
    }

    fn teu() -> Vec<Quantity> {
        vec![Quantity {
            metric: Metric::DeliveredTeu,
            subject: Subject::corridor(),
            year: None,
        }]
    }

    fn rule(rel: f64, min: u64, max: u64) -> Rule {
        Rule {
            relative_half_width: rel,
            min_replications: min,
            max_replications: max,
        }
    }

    /// 100 ± 10, alternating: mean 100 and, for an even n, sd = 10·√(n/(n−1)).
    fn alternating(n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| if i % 2 == 0 { 90.0 } else { 110.0 })
            .collect()
    }

    #[test]
    fn hand_checked_stopping() {
        // γ = 0.05, γ' = 0.05/1.05 = 0.047619, bound 4.7619 on a mean of 100.
        // n = 10: sd = 10.541, t(9) = 2.2622, half-width 7.541 > 4.762: imprecise.
        // Estimate: t(i−1)·10.541/√i ≤ 4.7619 first holds at i = 22 (t(20)=2.0860,
        // 2.0860·10.541/√21 = 4.798 > 4.762; t(21)=2.0796, 2.0796·10.541/√22 = 4.674).
        // So the stage runs to min(22, 2·10) = 20.
        // n = 20: sd = 10.260, t(19) = 2.0930, half-width 4.802 > 4.762: imprecise;
        // 2.0860·10.260/√21 = 4.670 ≤ 4.762, so needed is 21: the stage runs to 21.
        // n = 21: mean 99.524 (bound 4.739), sd = 10.235, t(20) = 2.0860, half-width
        // 4.659 ≤ 4.739: precise.
        let r = rule(0.05, 10, 200);
        let data = runs(&alternating(40));
        let q = teu();
        let held = [Held {
            scenario: "s",
            quantities: &q,
            runs: &data,
        }];
        let rows = assess(&r, &held, 10);
        assert_eq!(rows.len(), 1);
        assert!((rows[0].half_width - 7.541).abs() < 1e-3, "{rows:?}");
        assert!(!rows[0].precise);
        assert_eq!(rows[0].needed, Some(22));
        assert_eq!(decide(&r, &rows, 10), Stop::Pending { next: 20 });
        let report = retrace(&r, &[], &held, 40);
        assert_eq!(report.stages, vec![10, 20, 21]);
        assert_eq!(report.replications_used, 21);
        assert_eq!(report.stopped_because, Stop::Precise);
        assert!((report.rows[0].half_width - 4.659).abs() < 1e-3);
    }

    #[test]
    fn a_loose_precision_stops_at_the_pilot_and_a_tight_one_at_the_cap() {
        let data = runs(&alternating(200));
        let q = teu();
        let held = [Held {
            scenario: "s",
            quantities: &q,
            runs: &data,
        }];
        let loose = retrace(&rule(0.2, 10, 200), &[], &held, 200);
        assert_eq!(loose.stages, vec![10]);
        assert_eq!(loose.stopped_because, Stop::Precise);
        let tight = retrace(&rule(0.001, 10, 50), &[], &held, 200);
        assert_eq!(tight.stages, vec![10, 20, 40, 50]);
        assert_eq!(tight.stopped_because, Stop::Cap);
        assert!(tight.rows[0].relative_half_width > 0.001);
        // With only 30 held, the procedure would go on beyond them.
        let pending = retrace(&rule(0.001, 10, 50), &[], &held[..], 30);
        assert_eq!(pending.stages, vec![10, 20]);
        assert_eq!(pending.stopped_because, Stop::Pending { next: 40 });
    }

    #[test]
    fn no_spread_is_precise_and_no_value_holds_nothing_up() {
        let q = teu();
        let zeros = runs(&[0.0; 10]);
        let held = [Held {
            scenario: "s",
            quantities: &q,
            runs: &zeros,
        }];
        let rows = assess(&rule(0.01, 10, 200), &held, 10);
        assert!(rows[0].precise && rows[0].half_width == 0.0);
        assert_eq!(rows[0].relative_half_width, 0.0);
        let nan = runs(&[f64::NAN; 10]);
        let held = [Held {
            scenario: "s",
            quantities: &[Quantity {
                year: Some(2030),
                ..q[0].clone()
            }],
            runs: &nan,
        }];
        let rows = assess(&rule(0.01, 10, 200), &held, 10);
        assert_eq!(rows[0].n, 0);
        assert!(rows[0].precise);
        // A mean of 0 with spread cannot be estimated: the stage doubles.
        let centred = runs(&[-1.0, 1.0, -1.0, 1.0]);
        let held = [Held {
            scenario: "s",
            quantities: &q,
            runs: &centred,
        }];
        let r = rule(0.01, 4, 200);
        let rows = assess(&r, &held, 4);
        assert!(!rows[0].precise && rows[0].needed.is_none());
        assert!(rows[0].relative_half_width.is_infinite());
        assert_eq!(decide(&r, &rows, 4), Stop::Pending { next: 8 });
    }

    #[test]
    fn only_replications_below_n_count() {
        let mut values = alternating(10);
        values.extend([1e9; 10]);
        let data = runs(&values);
        let q = teu();
        let held = [Held {
            scenario: "s",
            quantities: &q,
            runs: &data,
        }];
        let rows = assess(&rule(0.05, 10, 200), &held, 10);
        assert_eq!(rows[0].n, 10);
        assert_eq!(rows[0].mean, 100.0);
    }
}
