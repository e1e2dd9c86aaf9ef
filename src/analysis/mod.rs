//! Statistics across replications: summaries with Student-t intervals, target assessment,
//! and paired (common random numbers) or unpaired scenario comparisons.
//!
//! Everything here is a pure function of `RunResult`s and `Target`s. This module must
//! never read or write files, print, or know how the runs were produced (threads, shards,
//! resumed files): the same runs must always give the same rows, in the same order.

pub mod appraisal;
pub mod precision;
pub mod warmup;

use std::collections::{BTreeMap, BTreeSet};

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::engine::stats::Summary;
use crate::metrics::{Metric, SubjectKind};
use crate::model::results::RunResult;
use crate::scenario::schema::TargetDirection;
use crate::scenario::target::Target;

/// One metric of one subject in one year, summarised across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub scenario: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Replications that recorded a (non-NaN) value; may be fewer than were run.
    pub n: usize,
}

/// When replications first met a target, among those that ever met it.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstYearMet {
    /// Replications that met the threshold in some year.
    pub n: usize,
    /// Mean of their first years; NaN when `n == 0`.
    pub mean: f64,
    pub min: Option<i32>,
    pub max: Option<i32>,
    /// How many replications first met it in each year, years ascending: the distribution
    /// that `mean`, `min` and `max` summarise (a mean year such as 2029.6 is no year).
    pub by_year: Vec<(i32, usize)>,
}

/// A target assessed across replications.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRow {
    pub scenario: String,
    pub target: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub direction: TargetDirection,
    pub threshold: f64,
    /// Replications with a value for the target's year (the base of `mean` and `share_met`).
    pub n: usize,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Share of those `n` replications meeting the threshold in the target year; NaN if n = 0.
    pub share_met: f64,
    pub first_year_met: FirstYearMet,
}

/// Difference `b − a` of one metric, paired by replication number.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRow {
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    /// Means over the paired replications only, so that `mean_b − mean_a == mean_diff`
    /// up to rounding.
    pub mean_a: f64,
    pub mean_b: f64,
    pub mean_diff: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    /// Number of pairs: replications where both scenarios recorded a value.
    pub n: usize,
}

/// Difference `b − a` of one metric treating the two samples as independent (Welch).
#[derive(Debug, Clone, PartialEq)]
pub struct UnpairedRow {
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub mean_a: f64,
    pub mean_b: f64,
    pub mean_diff: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n_a: usize,
    pub n_b: usize,
    /// Welch–Satterthwaite degrees of freedom (not an integer in general).
    pub df: f64,
}

/// The paired differences of one scenario against a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The baseline (`a`).
    pub scenario_a: String,
    pub scenario_b: String,
    pub rows: Vec<DiffRow>,
}

/// (metric name, subject id, subject kind, year): rows sort by metric name, then subject,
/// then kind, then year.
type Key<'a> = (&'static str, &'a str, SubjectKind, i32);

/// Per (metric, subject, year), the values of each run keyed by replication number.
/// Keys borrow from the runs, so no string is copied per record. A run contributes at most
/// one value per key (the first it recorded): a duplicate is a model bug, and counting it
/// twice would silently weight that replication double. The subject's kind is part of the
/// key, so a flow and a route with one id stay two rows.
fn collect(runs: &[RunResult]) -> BTreeMap<Key<'_>, (Metric, BTreeMap<u64, f64>)> {
    let mut map: BTreeMap<Key<'_>, (Metric, BTreeMap<u64, f64>)> = BTreeMap::new();
    for run in runs {
        for r in &run.records {
            map.entry((r.metric.name(), r.subject.as_str(), r.kind, r.year))
                .or_insert_with(|| (r.metric, BTreeMap::new()))
                .1
                .entry(run.replication)
                .or_insert(r.value);
        }
    }
    map
}

/// The range a metric's values can take, from the catalogue.
pub fn metric_bounds(metric: Metric) -> (f64, f64) {
    metric.info().range.bounds()
}

/// A Student-t interval of the mean cut to the range the metric can take. With few
/// replications of a quantity near zero (a backlog that appears in one replication of
/// twenty), mean − t·s/√n falls below zero; the true mean cannot, so the part of the
/// interval outside the range holds no possible value and is dropped. The cut interval
/// covers the true mean whenever the uncut one does. The mean and sd are never changed.
fn clip_interval(metric: Metric, low: f64, high: f64) -> (f64, f64) {
    let (min, max) = metric_bounds(metric);
    if low.is_nan() || high.is_nan() {
        return (low, high);
    }
    (low.clamp(min, max), high.clamp(min, max))
}

/// Summarises every (year, metric, subject) recorded in any run, sorted by metric, subject
/// and year. NaN values (e.g. a mean transit time in a year with no deliveries) are left
/// out, as are replications that did not record the metric; `n` tells how many remained.
pub fn summarise(scenario: &str, runs: &[RunResult]) -> Vec<SummaryRow> {
    collect(runs)
        .into_iter()
        .map(|((_, subject, kind, year), (metric, by_rep))| {
            let values: Vec<f64> = by_rep.into_values().collect();
            let s = Summary::of(&values);
            let (ci95_low, ci95_high) = clip_interval(metric, s.ci95_low, s.ci95_high);
            SummaryRow {
                scenario: scenario.to_string(),
                year,
                metric,
                kind,
                subject: subject.to_string(),
                mean: s.mean,
                sd: s.sd,
                ci95_low,
                ci95_high,
                n: s.n,
            }
        })
        .collect()
}

fn meets(direction: TargetDirection, value: f64, threshold: f64) -> bool {
    match direction {
        TargetDirection::AtLeast => value >= threshold,
        TargetDirection::AtMost => value <= threshold,
    }
}

/// Assesses each target (in the given order) across the runs.
///
/// The first year met of a replication is the earliest year, among those it recorded for
/// the target's metric and subject, whose value meets the threshold; it is never earlier
/// than the run's first simulated year because a run records no year before it. A
/// replication that never meets it does not enter `first_year_met` (whose `n` says how
/// many did).
pub fn assess_targets(scenario: &str, targets: &[Target], runs: &[RunResult]) -> Vec<TargetRow> {
    let mut runs_sorted: Vec<&RunResult> = runs.iter().collect();
    runs_sorted.sort_by_key(|r| r.replication);
    targets
        .iter()
        .map(|t| {
            let mut values = Vec::new();
            let mut met = 0usize;
            let mut firsts: Vec<i32> = Vec::new();
            for run in &runs_sorted {
                let mut first: Option<i32> = None;
                let mut at_year: Option<f64> = None;
                for r in &run.records {
                    if r.metric != t.metric
                        || r.kind != t.subject.kind
                        || r.subject != t.subject.id
                        || r.value.is_nan()
                    {
                        continue;
                    }
                    if r.year == t.year && at_year.is_none() {
                        at_year = Some(r.value);
                    }
                    if meets(t.direction, r.value, t.threshold) && first.is_none_or(|f| r.year < f)
                    {
                        first = Some(r.year);
                    }
                }
                if let Some(v) = at_year {
                    values.push(v);
                    if meets(t.direction, v, t.threshold) {
                        met += 1;
                    }
                }
                if let Some(f) = first {
                    firsts.push(f);
                }
            }
            let s = Summary::of(&values);
            let (ci95_low, ci95_high) = clip_interval(t.metric, s.ci95_low, s.ci95_high);
            let share_met = if values.is_empty() {
                f64::NAN
            } else {
                met as f64 / values.len() as f64
            };
            let first_year_met = FirstYearMet {
                n: firsts.len(),
                mean: if firsts.is_empty() {
                    f64::NAN
                } else {
                    firsts.iter().map(|&y| f64::from(y)).sum::<f64>() / firsts.len() as f64
                },
                min: firsts.iter().copied().min(),
                max: firsts.iter().copied().max(),
                by_year: firsts
                    .iter()
                    .fold(BTreeMap::<i32, usize>::new(), |mut m, &y| {
                        *m.entry(y).or_default() += 1;
                        m
                    })
                    .into_iter()
                    .collect(),
            };
            TargetRow {
                scenario: scenario.to_string(),
                target: t.id.clone(),
                year: t.year,
                metric: t.metric,
                kind: t.subject.kind,
                subject: t.subject.id.clone(),
                direction: t.direction,
                threshold: t.threshold,
                n: s.n,
                mean: s.mean,
                ci95_low,
                ci95_high,
                share_met,
                first_year_met,
            }
        })
        .collect()
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Paired differences `b − a`: replication `r` of A is paired with replication `r` of B,
/// which share their random numbers (common random numbers), and the Student-t interval is
/// that of the per-replication differences. Only keys recorded by both scenarios appear,
/// sorted by metric, subject and year; a replication enters a key's pairs only if both
/// runs recorded a non-NaN value for it.
pub fn paired_difference(a: &[RunResult], b: &[RunResult]) -> Vec<DiffRow> {
    let (ma, mb) = (collect(a), collect(b));
    let mut rows = Vec::new();
    for (key, (metric, va)) in &ma {
        let Some((_, vb)) = mb.get(key) else { continue };
        let mut xa = Vec::new();
        let mut xb = Vec::new();
        let mut d = Vec::new();
        for (rep, &x) in va {
            if let Some(&y) = vb.get(rep) {
                if !x.is_nan() && !y.is_nan() {
                    xa.push(x);
                    xb.push(y);
                    d.push(y - x);
                }
            }
        }
        let s = Summary::of(&d);
        rows.push(DiffRow {
            year: key.3,
            metric: *metric,
            kind: key.2,
            subject: key.1.to_string(),
            mean_a: mean(&xa),
            mean_b: mean(&xb),
            mean_diff: s.mean,
            ci95_low: s.ci95_low,
            ci95_high: s.ci95_high,
            n: s.n,
        });
    }
    rows
}

/// Two-sided 95% Student-t critical value for a real number of degrees of freedom.
fn t975(df: f64) -> f64 {
    if df.is_nan() || df <= 0.0 || df.is_infinite() {
        return f64::NAN;
    }
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(0.975),
        Err(_) => f64::NAN,
    }
}

/// Differences `b − a` treating the samples as independent: Welch's interval. This is the
/// interval one would get without common random numbers; it exists so that the gain from
/// pairing can be shown, not as the recommended comparison.
pub fn unpaired_difference(a: &[RunResult], b: &[RunResult]) -> Vec<UnpairedRow> {
    let (ma, mb) = (collect(a), collect(b));
    let mut rows = Vec::new();
    for (key, (metric, va)) in &ma {
        let Some((_, vb)) = mb.get(key) else { continue };
        let xa: Vec<f64> = va.values().copied().collect();
        let xb: Vec<f64> = vb.values().copied().collect();
        let (sa, sb) = (Summary::of(&xa), Summary::of(&xb));
        let diff = sb.mean - sa.mean;
        let (lo, hi, df) = if sa.n >= 2 && sb.n >= 2 {
            let (na, nb) = (sa.n as f64, sb.n as f64);
            let (qa, qb) = (sa.sd * sa.sd / na, sb.sd * sb.sd / nb);
            let se = (qa + qb).sqrt();
            let df = if qa + qb > 0.0 {
                (qa + qb).powi(2) / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0))
            } else {
                // Both samples constant: no spread, a zero-width interval is the truth.
                na + nb - 2.0
            };
            let half = t975(df) * se;
            (diff - half, diff + half, df)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        rows.push(UnpairedRow {
            year: key.3,
            metric: *metric,
            kind: key.2,
            subject: key.1.to_string(),
            mean_a: sa.mean,
            mean_b: sb.mean,
            mean_diff: diff,
            ci95_low: lo,
            ci95_high: hi,
            n_a: sa.n,
            n_b: sb.n,
            df,
        });
    }
    rows
}

/// A place that stalled in a year: boxes waiting there and nothing leaving (a departure
/// of a link, an admission into a node's full yard) for at least the scenario's
/// `run.stall_days`. The model records `stall_days` and `stall_start_day` only in the
/// replications that stalled, so `replications` is the summary row's `n` and `days_mean`
/// is its mean: a mean over the stalled replications, as in `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StallRow {
    pub year: i32,
    pub kind: SubjectKind,
    pub subject: String,
    /// Replications that stalled there that year.
    pub replications: usize,
    /// Mean `stall_days` over those replications.
    pub days_mean: f64,
    /// The earliest `stall_start_day` of those replications (day of year, 1 = 1 January);
    /// NaN if none recorded it.
    pub start_day_min: f64,
}

/// Every stall in `runs`, in the order of `summary` (metric, subject, kind, year): one row
/// per place and year that stalled in any replication. `summary` must be
/// `summarise(runs)`, whose `stall_days` rows give the count and the mean, so that these
/// numbers are the CSV's.
pub fn stalls(summary: &[SummaryRow], runs: &[RunResult]) -> Vec<StallRow> {
    summary
        .iter()
        .filter(|r| r.metric == Metric::StallDays && r.n > 0)
        .map(|r| {
            let start_day_min = runs
                .iter()
                .flat_map(|run| &run.records)
                .filter(|x| {
                    x.metric == Metric::StallStartDay
                        && x.year == r.year
                        && x.kind == r.kind
                        && x.subject == r.subject
                        && !x.value.is_nan()
                })
                .map(|x| x.value)
                .fold(f64::NAN, f64::min);
            StallRow {
                year: r.year,
                kind: r.kind,
                subject: r.subject.clone(),
                replications: r.n,
                days_mean: r.mean,
                start_day_min,
            }
        })
        .collect()
}

/// The distinct years any run recorded, ascending.
pub fn years(runs: &[RunResult]) -> Vec<i32> {
    let set: BTreeSet<i32> = runs
        .iter()
        .flat_map(|r| r.records.iter().map(|x| x.year))
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Subject;
    use crate::model::results::Record;

    /// The kind a test subject id stands for: `corridor`, `l…` a link, `r…` a route,
    /// anything else a flow.
    fn kind_of(id: &str) -> SubjectKind {
        match id.as_bytes().first() {
            _ if id == "corridor" => SubjectKind::Corridor,
            Some(b'l') => SubjectKind::Link,
            Some(b'r') => SubjectKind::Route,
            _ => SubjectKind::Flow,
        }
    }

    fn record(year: i32, m: &str, s: &str, value: f64) -> Record {
        Record {
            year,
            metric: Metric::from_name(m).unwrap_or_else(|| panic!("no metric {m}")),
            kind: kind_of(s),
            subject: s.to_string(),
            value,
        }
    }

    fn run(rep: u64, recs: &[(i32, &str, &str, f64)]) -> RunResult {
        RunResult {
            replication: rep,
            records: recs
                .iter()
                .map(|&(year, m, s, value)| record(year, m, s, value))
                .collect(),
            ..Default::default()
        }
    }

    fn target(metric: Metric, subject: &str, year: i32, threshold: f64) -> Target {
        Target {
            id: "t".into(),
            description: None,
            metric,
            subject: Subject::new(kind_of(subject), subject),
            year,
            threshold,
            direction: TargetDirection::AtLeast,
        }
    }

    #[test]
    fn a_flow_and_a_route_with_one_id_stay_apart() {
        // The bug this guards against: keyed by (metric, id) only, the route's delivered
        // TEU disappeared behind the flow's.
        let mut r = run(0, &[(2025, "delivered_teu", "through", 29_782.0)]);
        r.records.push(Record {
            kind: SubjectKind::Route,
            ..record(2025, "delivered_teu", "through", 59_735.0)
        });
        let rows = summarise("s", std::slice::from_ref(&r));
        let got: Vec<_> = rows.iter().map(|x| (x.kind, x.mean)).collect();
        assert_eq!(
            got,
            vec![
                (SubjectKind::Flow, 29_782.0),
                (SubjectKind::Route, 59_735.0)
            ]
        );
        let route = Target {
            subject: Subject::new(SubjectKind::Route, "through"),
            ..target(Metric::DeliveredTeu, "through", 2025, 50_000.0)
        };
        let t = &assess_targets("s", &[route], std::slice::from_ref(&r))[0];
        assert_eq!((t.mean, t.share_met), (59_735.0, 1.0));
        assert_eq!(paired_difference(&[r.clone()], &[r]).len(), 2);
    }

    #[test]
    fn summary_sorted_and_counts_only_present_values() {
        let runs = vec![
            run(
                0,
                &[
                    (2026, "delivered_teu", "x", 1.0),
                    (2025, "delivered_teu", "x", 2.0),
                    (2025, "created_teu", "y", 10.0),
                ],
            ),
            run(
                1,
                &[
                    (2025, "delivered_teu", "x", 4.0),
                    (2025, "created_teu", "y", f64::NAN),
                ],
            ),
            run(2, &[(2025, "delivered_teu", "x", 6.0)]),
        ];
        let rows = summarise("s", &runs);
        let keys: Vec<_> = rows
            .iter()
            .map(|r| (r.metric.name(), r.subject.as_str(), r.year, r.n))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("created_teu", "y", 2025, 1),
                ("delivered_teu", "x", 2025, 3),
                ("delivered_teu", "x", 2026, 1)
            ]
        );
        assert_eq!(rows[0].mean, 10.0);
        assert!(rows[0].ci95_low.is_nan());
        assert_eq!(rows[1].mean, 4.0);
        assert_eq!(rows[1].sd, 2.0);
    }

    #[test]
    fn duplicate_record_counts_once() {
        let runs = vec![run(
            0,
            &[
                (2025, "delivered_teu", "c", 1.0),
                (2025, "delivered_teu", "c", 99.0),
            ],
        )];
        let rows = summarise("s", &runs);
        assert_eq!(rows[0].n, 1);
        assert_eq!(rows[0].mean, 1.0);
    }

    #[test]
    fn target_first_year_and_share() {
        let t = target(Metric::DeliveredTeu, "c", 2027, 10.0);
        let runs = vec![
            run(
                0,
                &[
                    (2025, "delivered_teu", "c", 5.0),
                    (2026, "delivered_teu", "c", 10.0),
                    (2027, "delivered_teu", "c", 12.0),
                ],
            ),
            run(
                1,
                &[
                    (2025, "delivered_teu", "c", 5.0),
                    (2026, "delivered_teu", "c", 6.0),
                    (2027, "delivered_teu", "c", 8.0),
                ],
            ),
            run(
                2,
                &[
                    (2025, "delivered_teu", "c", 11.0),
                    (2026, "delivered_teu", "c", 9.0),
                    (2027, "delivered_teu", "c", 10.0),
                ],
            ),
        ];
        let rows = assess_targets("s", std::slice::from_ref(&t), &runs);
        let r = &rows[0];
        assert_eq!(r.n, 3);
        assert_eq!(r.mean, 10.0);
        assert!((r.share_met - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(r.first_year_met.n, 2);
        assert_eq!(r.first_year_met.mean, 2025.5);
        assert_eq!(r.first_year_met.min, Some(2025));
        assert_eq!(r.first_year_met.max, Some(2026));
        assert_eq!(r.first_year_met.by_year, vec![(2025, 1), (2026, 1)]);

        let at_most = Target {
            direction: TargetDirection::AtMost,
            threshold: 4.0,
            ..t
        };
        let rows = assess_targets("s", &[at_most], &runs);
        assert_eq!(rows[0].share_met, 0.0);
        assert_eq!(rows[0].first_year_met.n, 0);
        assert!(rows[0].first_year_met.mean.is_nan());
        assert_eq!(rows[0].first_year_met.min, None);
    }

    #[test]
    fn intervals_stay_in_the_metric_range() {
        // One replication of five has a backlog: mean 2, sd 4.47, t interval [-3.55, 7.55].
        let backlog: Vec<_> = [10.0, 0.0, 0.0, 0.0, 0.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "backlog_teu", "corridor", x)]))
            .collect();
        let r = &summarise("s", &backlog)[0];
        assert_eq!(r.mean, 2.0);
        assert_eq!(r.ci95_low, 0.0);
        assert!((r.ci95_high - 7.552).abs() < 1e-3, "{}", r.ci95_high);
        // A utilization near one is not given an upper bound above one.
        let util: Vec<_> = [1.0, 0.9, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "utilization", "l", x)]))
            .collect();
        assert_eq!(summarise("s", &util)[0].ci95_high, 1.0);
        // A quantity that can be negative keeps its interval.
        let any: Vec<_> = [1.0, -1.0, 0.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "buffer_time_index", "l", x)]))
            .collect();
        assert!(summarise("s", &any)[0].ci95_low < -1.0);
    }

    #[test]
    fn target_without_data_is_nan_not_panic() {
        let t = target(Metric::HandledTeu, "corridor", 2030, 1.0);
        let rows = assess_targets("s", &[t], &[run(0, &[(2030, "delivered_teu", "c", 1.0)])]);
        assert_eq!(rows[0].n, 0);
        assert!(rows[0].mean.is_nan() && rows[0].share_met.is_nan());
    }

    #[test]
    fn paired_difference_by_hand() {
        // Differences 1, 2, 3: mean 2, sd 1, half-width t(0.975, 2) / sqrt(3).
        let a = vec![
            run(0, &[(2025, "delivered_teu", "c", 10.0)]),
            run(1, &[(2025, "delivered_teu", "c", 20.0)]),
            run(2, &[(2025, "delivered_teu", "c", 30.0)]),
        ];
        let b = vec![
            run(2, &[(2025, "delivered_teu", "c", 33.0)]),
            run(0, &[(2025, "delivered_teu", "c", 11.0)]),
            run(1, &[(2025, "delivered_teu", "c", 22.0)]),
        ];
        let rows = paired_difference(&a, &b);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.n, 3);
        assert_eq!(r.mean_a, 20.0);
        assert_eq!(r.mean_b, 22.0);
        assert_eq!(r.mean_diff, 2.0);
        let half = 4.302_652_7 / 3f64.sqrt();
        assert!((r.ci95_low - (2.0 - half)).abs() < 1e-6);
        assert!((r.ci95_high - (2.0 + half)).abs() < 1e-6);
    }

    #[test]
    fn pairing_narrows_interval_with_positive_correlation() {
        // B = A + 5 + small noise: a strong common component, as common random numbers give.
        let base = [100.0, 140.0, 90.0, 160.0, 120.0, 75.0, 130.0, 110.0];
        let noise = [0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, 0.0];
        let a: Vec<_> = base
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "delivered_teu", "c", x)]))
            .collect();
        let b: Vec<_> = base
            .iter()
            .zip(noise)
            .enumerate()
            .map(|(i, (&x, e))| run(i as u64, &[(2025, "delivered_teu", "c", x + 5.0 + e)]))
            .collect();
        let p = &paired_difference(&a, &b)[0];
        let u = &unpaired_difference(&a, &b)[0];
        assert!((p.mean_diff - u.mean_diff).abs() < 1e-9);
        let (wp, wu) = (p.ci95_high - p.ci95_low, u.ci95_high - u.ci95_low);
        assert!(wp * 20.0 < wu, "paired {wp} vs unpaired {wu}");
        assert!(p.ci95_low > 0.0, "paired interval excludes zero");
        assert!(u.ci95_low < 0.0, "unpaired interval does not");
    }

    #[test]
    fn welch_by_hand() {
        // a = 1,2,3 (var 1), b = 2,4,6,8 (var 20/3).
        let a: Vec<_> = [1.0, 2.0, 3.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "delivered_teu", "c", x)]))
            .collect();
        let b: Vec<_> = [2.0, 4.0, 6.0, 8.0]
            .iter()
            .enumerate()
            .map(|(i, &x)| run(i as u64, &[(2025, "delivered_teu", "c", x)]))
            .collect();
        let u = &unpaired_difference(&a, &b)[0];
        let (qa, qb) = (1.0 / 3.0, (20.0 / 3.0) / 4.0);
        let df = (qa + qb) * (qa + qb) / (qa * qa / 2.0 + qb * qb / 3.0);
        assert!((u.df - df).abs() < 1e-12);
        assert_eq!(u.mean_diff, 3.0);
        assert_eq!((u.n_a, u.n_b), (3, 4));
        let half = t975(df) * (qa + qb).sqrt();
        assert!((u.ci95_high - 3.0 - half).abs() < 1e-12);
    }

    #[test]
    fn stalls_count_the_stalled_replications_and_take_the_earliest_start() {
        // Link l1 stalls in two of three replications (100 and 50 days, from days 60 and
        // 40); nothing else stalls.
        let runs = vec![
            run(
                0,
                &[
                    (2030, "stall_days", "l1", 100.0),
                    (2030, "stall_start_day", "l1", 60.0),
                ],
            ),
            run(1, &[(2030, "delivered_teu", "corridor", 5.0)]),
            run(
                2,
                &[
                    (2030, "stall_days", "l1", 50.0),
                    (2030, "stall_start_day", "l1", 40.0),
                ],
            ),
        ];
        let summary = summarise("s", &runs);
        let rows = stalls(&summary, &runs);
        assert_eq!(rows.len(), 1, "{rows:?}");
        let r = &rows[0];
        assert_eq!(
            (r.year, r.kind, r.subject.as_str()),
            (2030, SubjectKind::Link, "l1")
        );
        assert_eq!(r.replications, 2);
        assert_eq!(r.days_mean, 75.0);
        assert_eq!(r.start_day_min, 40.0);
        assert!(stalls(&summarise("s", &runs[1..2]), &runs[1..2]).is_empty());
    }
}
