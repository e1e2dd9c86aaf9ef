//! The JSON documents: `summary.json` (the CSV content with its provenance: program
//! version, scenario hash, seed, replications) and `provenance.json` (when and how the
//! files were made).
//!
//! `summary.json` is deterministic, like the CSV files. This module must never put
//! wall-clock time or anything machine-dependent anywhere but `provenance.json`, which
//! docs/outputs.md declares the only file that differs between identical runs.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::{OutputError, write_atomic};
use crate::analysis::precision::PrecisionReport;
use crate::analysis::{Comparison, StallRow, SummaryRow, TargetRow};

/// Writes any serialisable value as pretty JSON with a final newline, atomically.
/// `serde_json` writes floats with the shortest round-trip representation and NaN or
/// infinities as `null`.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), OutputError> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })
}

/// A statistic for JSON: rounded like the CSV cells (`csv::round_stat`), null when not finite.
fn opt(x: f64) -> Option<f64> {
    if x.is_finite() {
        Some(super::csv::round_stat(x))
    } else {
        None
    }
}

/// A raw value (a replication's record, a threshold) exactly, null when not finite.
fn raw(x: f64) -> Option<f64> {
    if x.is_finite() { Some(x) } else { None }
}

/// What `summary.json` says about one scenario; borrowed from the batch's results.
#[derive(Debug, Clone, Copy)]
pub struct ScenarioSummary<'a> {
    pub scenario: &'a str,
    pub scenario_hash: &'a str,
    pub seed: u64,
    pub replications: u64,
    /// Swept parameter values of this grid point; empty outside sweeps.
    pub sweep: &'a [(String, f64)],
    pub summary: &'a [SummaryRow],
    pub targets: &'a [TargetRow],
    /// Replications whose conservation check failed (TEU created ≠ delivered + in system).
    pub conservation_violations: &'a [u64],
    /// Places that stalled, by year (`analysis::stalls`).
    pub stalls: &'a [StallRow],
    /// The scenario's `run.stall_days` when known, for the console's wording only: no file
    /// holds it (a merge does not know it, and must write what an unsharded run writes).
    pub stall_threshold_days: Option<f64>,
    /// The reporting currency of `cost_per_teu`, when known (wording only, as above).
    pub currency: Option<&'a str>,
}

#[derive(Serialize)]
struct Doc<'a> {
    format: &'static str,
    program_version: &'a str,
    scenarios: Vec<ScenarioDoc<'a>>,
    comparisons: Vec<ComparisonDoc<'a>>,
    /// Only with `--precision`, so that a fixed-replications summary is what it always was.
    #[serde(skip_serializing_if = "Option::is_none")]
    precision: Option<PrecisionDoc<'a>>,
}

#[derive(Serialize)]
struct PrecisionDoc<'a> {
    relative_half_width: f64,
    min_replications: u64,
    max_replications: u64,
    metrics: &'a [String],
    /// The replication count after each stage, the pilot first.
    stages: &'a [u64],
    replications_used: u64,
    stopped_because: &'static str,
    /// The next stage's replication count, when more are needed than the folder holds.
    next_replications: Option<u64>,
    held: Vec<HeldDoc<'a>>,
}

#[derive(Serialize)]
struct HeldDoc<'a> {
    scenario: &'a str,
    year: i32,
    metric: &'static str,
    subject_kind: &'static str,
    subject: &'a str,
    n: usize,
    mean: Option<f64>,
    half_width: Option<f64>,
    relative_half_width: Option<f64>,
    precise: bool,
}

fn precision_doc(p: &PrecisionReport) -> PrecisionDoc<'_> {
    PrecisionDoc {
        relative_half_width: p.rule.relative_half_width,
        min_replications: p.rule.min_replications,
        max_replications: p.rule.max_replications,
        metrics: &p.metrics,
        stages: &p.stages,
        replications_used: p.replications_used,
        stopped_because: p.stopped_because.name(),
        next_replications: match p.stopped_because {
            crate::analysis::precision::Stop::Pending { next } => Some(next),
            _ => None,
        },
        held: p
            .rows
            .iter()
            .map(|r| HeldDoc {
                scenario: &r.scenario,
                year: r.year,
                metric: r.metric.name(),
                subject_kind: r.kind.name(),
                subject: &r.subject,
                n: r.n,
                mean: opt(r.mean),
                half_width: opt(r.half_width),
                relative_half_width: opt(r.relative_half_width),
                precise: r.precise,
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct ScenarioDoc<'a> {
    scenario: &'a str,
    scenario_hash: &'a str,
    seed: u64,
    replications: u64,
    sweep: Vec<SweepDoc<'a>>,
    conservation_violations: &'a [u64],
    summary: Vec<SummaryDoc<'a>>,
    targets: Vec<TargetDoc<'a>>,
    /// Always present (empty when nothing stalled), so that readers need no special case.
    stalls: Vec<StallDoc<'a>>,
}

#[derive(Serialize)]
struct StallDoc<'a> {
    subject_kind: &'static str,
    subject: &'a str,
    year: i32,
    replications_stalled: usize,
    stall_days_mean: Option<f64>,
    stall_start_day_min: Option<f64>,
}

#[derive(Serialize)]
struct SweepDoc<'a> {
    path: &'a str,
    value: Option<f64>,
}

#[derive(Serialize)]
struct SummaryDoc<'a> {
    year: i32,
    metric: &'static str,
    subject_kind: &'static str,
    subject: &'a str,
    mean: Option<f64>,
    sd: Option<f64>,
    ci95_low: Option<f64>,
    ci95_high: Option<f64>,
    n: usize,
}

#[derive(Serialize)]
struct TargetDoc<'a> {
    target: &'a str,
    year: i32,
    metric: &'static str,
    subject_kind: &'static str,
    subject: &'a str,
    direction: &'static str,
    threshold: Option<f64>,
    n: usize,
    mean: Option<f64>,
    ci95_low: Option<f64>,
    ci95_high: Option<f64>,
    share_met: Option<f64>,
    first_year_met: FirstYearDoc,
}

#[derive(Serialize)]
struct FirstYearDoc {
    n: usize,
    mean: Option<f64>,
    min: Option<i32>,
    max: Option<i32>,
    /// `{year: replications}` that first met the target that year.
    by_year: std::collections::BTreeMap<String, usize>,
}

#[derive(Serialize)]
struct ComparisonDoc<'a> {
    scenario_a: &'a str,
    scenario_b: &'a str,
    rows: Vec<DiffDoc<'a>>,
}

#[derive(Serialize)]
struct DiffDoc<'a> {
    year: i32,
    metric: &'static str,
    subject_kind: &'static str,
    subject: &'a str,
    mean_a: Option<f64>,
    mean_b: Option<f64>,
    mean_diff: Option<f64>,
    ci95_low: Option<f64>,
    ci95_high: Option<f64>,
    n: usize,
}

/// `summary.json`.
pub fn write_summary_json(
    path: &Path,
    program_version: &str,
    scenarios: &[ScenarioSummary<'_>],
    comparisons: &[Comparison],
    precision: Option<&PrecisionReport>,
) -> Result<(), OutputError> {
    let doc = Doc {
        precision: precision.map(precision_doc),
        format: "corridor-summary/2",
        program_version,
        scenarios: scenarios
            .iter()
            .map(|s| ScenarioDoc {
                scenario: s.scenario,
                scenario_hash: s.scenario_hash,
                seed: s.seed,
                replications: s.replications,
                sweep: s
                    .sweep
                    .iter()
                    .map(|(p, v)| SweepDoc {
                        path: p,
                        value: raw(*v),
                    })
                    .collect(),
                conservation_violations: s.conservation_violations,
                summary: s
                    .summary
                    .iter()
                    .map(|r| SummaryDoc {
                        year: r.year,
                        metric: r.metric.name(),
                        subject_kind: r.kind.name(),
                        subject: &r.subject,
                        mean: opt(r.mean),
                        sd: opt(r.sd),
                        ci95_low: opt(r.ci95_low),
                        ci95_high: opt(r.ci95_high),
                        n: r.n,
                    })
                    .collect(),
                targets: s
                    .targets
                    .iter()
                    .map(|t| TargetDoc {
                        target: &t.target,
                        year: t.year,
                        metric: t.metric.name(),
                        subject_kind: t.kind.name(),
                        subject: &t.subject,
                        direction: super::csv::direction_name(t.direction),
                        threshold: raw(t.threshold),
                        n: t.n,
                        mean: opt(t.mean),
                        ci95_low: opt(t.ci95_low),
                        ci95_high: opt(t.ci95_high),
                        share_met: opt(t.share_met),
                        first_year_met: FirstYearDoc {
                            n: t.first_year_met.n,
                            mean: opt(t.first_year_met.mean),
                            min: t.first_year_met.min,
                            max: t.first_year_met.max,
                            by_year: t
                                .first_year_met
                                .by_year
                                .iter()
                                .map(|(y, n)| (y.to_string(), *n))
                                .collect(),
                        },
                    })
                    .collect(),
                stalls: s
                    .stalls
                    .iter()
                    .map(|r| StallDoc {
                        subject_kind: r.kind.name(),
                        subject: &r.subject,
                        year: r.year,
                        replications_stalled: r.replications,
                        stall_days_mean: opt(r.days_mean),
                        stall_start_day_min: raw(r.start_day_min),
                    })
                    .collect(),
            })
            .collect(),
        comparisons: comparisons
            .iter()
            .map(|c| ComparisonDoc {
                scenario_a: &c.scenario_a,
                scenario_b: &c.scenario_b,
                rows: c
                    .rows
                    .iter()
                    .map(|r| DiffDoc {
                        year: r.year,
                        metric: r.metric.name(),
                        subject_kind: r.kind.name(),
                        subject: &r.subject,
                        mean_a: opt(r.mean_a),
                        mean_b: opt(r.mean_b),
                        mean_diff: opt(r.mean_diff),
                        ci95_low: opt(r.ci95_low),
                        ci95_high: opt(r.ci95_high),
                        n: r.n,
                    })
                    .collect(),
            })
            .collect(),
    };
    write_json(path, &doc)
}

/// One scenario's line in `provenance.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceScenario {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    /// Events fired by the engine over the replications this process holds.
    pub events: u64,
}

/// `provenance.json`: how, when and from what the folder was produced. The only
/// non-deterministic output file.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub program: String,
    pub program_version: String,
    /// `run` or `merge`.
    pub operation: String,
    /// UTC, RFC 3339; `SOURCE_DATE_EPOCH` (seconds) overrides the clock when set.
    pub started_at: String,
    pub finished_at: String,
    pub wall_seconds: f64,
    /// Worker threads of the pool (0 when nothing was simulated, e.g. for `merge`).
    pub threads: usize,
    /// `K/N` when this folder holds one shard of a batch.
    pub shard: Option<String>,
    pub replications_run: u64,
    pub replications_resumed: u64,
    pub replications_discarded: u64,
    /// Folders a `merge` gathered, in the order given.
    pub merged_from: Vec<String>,
    /// Whether every replication of every scenario is in this folder (so the summary
    /// files were written).
    pub complete: bool,
    pub scenarios: Vec<ProvenanceScenario>,
}

/// `provenance.json`.
pub fn write_provenance_json(path: &Path, p: &Provenance) -> Result<(), OutputError> {
    write_json(path, p)
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`, or `SOURCE_DATE_EPOCH` when it is set
/// (the reproducible-builds convention), so that even provenance can be pinned.
pub fn now_utc() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    format_utc(secs)
}

/// Seconds since 1970 as an RFC 3339 UTC timestamp (proleptic Gregorian calendar).
pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn nan_becomes_null() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.json");
        let rows = vec![SummaryRow {
            scenario: "s".into(),
            year: 2025,
            metric: crate::metrics::Metric::DeliveredTeu,
            kind: crate::metrics::SubjectKind::Flow,
            subject: "c".into(),
            mean: 1.5,
            sd: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
            n: 1,
        }];
        let s = ScenarioSummary {
            scenario: "s",
            scenario_hash: "h",
            seed: 7,
            replications: 1,
            sweep: &[],
            summary: &rows,
            targets: &[],
            conservation_violations: &[],
            stalls: &[],
            stall_threshold_days: None,
            currency: None,
        };
        write_summary_json(&p, "0.1.0", &[s], &[], None).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let row = &v["scenarios"][0]["summary"][0];
        assert_eq!(row["mean"], 1.5);
        assert!(row["sd"].is_null());
        assert_eq!(v["scenarios"][0]["seed"], 7);
    }
}
