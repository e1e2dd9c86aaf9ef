//! The CSV tables: one tidy row per (scenario, year, metric, subject, ...).
//!
//! Column sets and orders are part of the documented interface (docs/outputs.md); new
//! columns are only ever appended. This module must never compute statistics: it writes
//! the rows it is given, in the order it is given them.
//!
//! Raw values (`replications.csv`, thresholds, swept values) are written with Rust's
//! shortest round-trip representation. Statistics (means, sds, intervals, shares) are
//! rounded to `STAT_DIGITS` significant digits first: a mean of twenty values carries the
//! rounding noise of its sum in its last digits (`56390.799999999996` for 56,390.8), which
//! is no information and reads as a bug; twelve digits are far more than any interval
//! resolves.

use std::io::{self, Write};
use std::path::Path;

use super::{OutputError, fmt_f64, write_atomic};
use crate::analysis::appraisal::AppraisalRow;
use crate::analysis::{Comparison, SummaryRow, TargetRow};
use crate::engine::stats::Summary;
use crate::model::results::RunResult;
use crate::scenario::schema::TargetDirection;

fn csv_io(e: ::csv::Error) -> io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Writes a CSV file atomically; `rows` receives a writer whose header is already written.
fn write_csv<F>(path: &Path, header: &[&str], rows: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut ::csv::Writer<&mut dyn Write>) -> Result<(), ::csv::Error>,
{
    write_atomic(path, |w| {
        let mut out = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_writer(w);
        out.write_record(header).map_err(csv_io)?;
        rows(&mut out).map_err(csv_io)?;
        out.flush()
    })
}

/// Significant digits of the statistics written to CSV and JSON.
pub const STAT_DIGITS: usize = 12;

/// `x` rounded to `STAT_DIGITS` significant digits (NaN and infinities unchanged).
pub fn round_stat(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.*e}", STAT_DIGITS - 1, x).parse().unwrap_or(x)
}

/// A statistic for a CSV cell: rounded by `round_stat`, then written like `fmt_f64`.
pub fn fmt_stat(x: f64) -> String {
    fmt_f64(round_stat(x))
}

/// The distribution of first years, `2029:9 2030:7` (year:replications, years ascending).
fn by_year_cell(by_year: &[(i32, usize)]) -> String {
    by_year
        .iter()
        .map(|(y, n)| format!("{y}:{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn opt_i32(x: Option<i32>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

pub(crate) fn direction_name(d: TargetDirection) -> &'static str {
    match d {
        TargetDirection::AtLeast => "at_least",
        TargetDirection::AtMost => "at_most",
    }
}

/// `replications.csv`: every record of every run, scenarios in the given order, runs in
/// the given order, records in the order the model produced them.
pub fn write_replications_csv(
    path: &Path,
    scenarios: &[(&str, &[RunResult])],
) -> Result<(), OutputError> {
    write_csv(
        path,
        &[
            "scenario",
            "replication",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "value",
        ],
        |w| {
            for (scenario, runs) in scenarios {
                for run in *runs {
                    let rep = run.replication.to_string();
                    for r in &run.records {
                        w.write_record([
                            *scenario,
                            &rep,
                            &r.year.to_string(),
                            r.metric.name(),
                            r.kind.name(),
                            &r.subject,
                            &fmt_f64(r.value),
                        ])?;
                    }
                }
            }
            Ok(())
        },
    )
}

/// `summary.csv`.
pub fn write_summary_csv(path: &Path, rows: &[SummaryRow]) -> Result<(), OutputError> {
    write_csv(
        path,
        &[
            "scenario",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "n",
        ],
        |w| {
            for r in rows {
                w.write_record([
                    r.scenario.as_str(),
                    &r.year.to_string(),
                    r.metric.name(),
                    r.kind.name(),
                    &r.subject,
                    &fmt_stat(r.mean),
                    &fmt_stat(r.sd),
                    &fmt_stat(r.ci95_low),
                    &fmt_stat(r.ci95_high),
                    &r.n.to_string(),
                ])?;
            }
            Ok(())
        },
    )
}

/// `targets.csv`. The first thirteen columns are those of the original specification;
/// `direction`, `n`, `first_year_met_n` and `first_year_met_by_year` follow so that the
/// file explains itself.
pub fn write_targets_csv(path: &Path, rows: &[TargetRow]) -> Result<(), OutputError> {
    write_csv(
        path,
        &[
            "scenario",
            "target",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "threshold",
            "mean",
            "ci95_low",
            "ci95_high",
            "share_met",
            "first_year_met_mean",
            "first_year_met_min",
            "first_year_met_max",
            "direction",
            "n",
            "first_year_met_n",
            "first_year_met_by_year",
        ],
        |w| {
            for r in rows {
                w.write_record([
                    r.scenario.as_str(),
                    &r.target,
                    &r.year.to_string(),
                    r.metric.name(),
                    r.kind.name(),
                    &r.subject,
                    &fmt_f64(r.threshold),
                    &fmt_stat(r.mean),
                    &fmt_stat(r.ci95_low),
                    &fmt_stat(r.ci95_high),
                    &fmt_stat(r.share_met),
                    &fmt_stat(r.first_year_met.mean),
                    &opt_i32(r.first_year_met.min),
                    &opt_i32(r.first_year_met.max),
                    direction_name(r.direction),
                    &r.n.to_string(),
                    &r.first_year_met.n.to_string(),
                    &by_year_cell(&r.first_year_met.by_year),
                ])?;
            }
            Ok(())
        },
    )
}

/// `comparison.csv`: paired differences `scenario_b − scenario_a`.
pub fn write_comparison_csv(path: &Path, comparisons: &[Comparison]) -> Result<(), OutputError> {
    write_csv(
        path,
        &[
            "scenario_a",
            "scenario_b",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "mean_a",
            "mean_b",
            "mean_diff",
            "ci95_low",
            "ci95_high",
            "n",
        ],
        |w| {
            for c in comparisons {
                for r in &c.rows {
                    w.write_record([
                        c.scenario_a.as_str(),
                        &c.scenario_b,
                        &r.year.to_string(),
                        r.metric.name(),
                        r.kind.name(),
                        &r.subject,
                        &fmt_stat(r.mean_a),
                        &fmt_stat(r.mean_b),
                        &fmt_stat(r.mean_diff),
                        &fmt_stat(r.ci95_low),
                        &fmt_stat(r.ci95_high),
                        &r.n.to_string(),
                    ])?;
                }
            }
            Ok(())
        },
    )
}

/// One grid point of a sweep: the values of the swept parameter paths and the summary of
/// the scenario run with them.
#[derive(Debug, Clone, Copy)]
pub struct SweepPoint<'a> {
    pub values: &'a [(String, f64)],
    pub summary: &'a [SummaryRow],
}

/// `sweep.csv`: one column per swept path (in the order of the first point), then
/// scenario, year, metric, subject, mean, ci95_low, ci95_high, n. Every point must sweep
/// the same paths in the same order.
pub fn write_sweep_csv(path: &Path, points: &[SweepPoint<'_>]) -> Result<(), OutputError> {
    let axes: Vec<&str> = points
        .first()
        .map(|p| p.values.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    for p in points {
        let same =
            p.values.len() == axes.len() && p.values.iter().zip(&axes).all(|((k, _), a)| k == a);
        if !same {
            return Err(OutputError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "sweep points do not share the same parameter paths ({} vs {})",
                    axes.join(","),
                    p.values
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            });
        }
    }
    let fixed = [
        "scenario",
        "year",
        "metric",
        "subject_kind",
        "subject",
        "mean",
        "ci95_low",
        "ci95_high",
        "n",
    ];
    for a in &axes {
        if fixed.contains(a) {
            return Err(OutputError::Invalid {
                path: path.to_path_buf(),
                message: format!("swept path `{a}` clashes with a fixed column name"),
            });
        }
    }
    let header: Vec<&str> = axes.iter().copied().chain(fixed).collect();
    write_csv(path, &header, |w| {
        for p in points {
            let swept: Vec<String> = p.values.iter().map(|(_, v)| fmt_f64(*v)).collect();
            for r in p.summary {
                let mut rec = swept.clone();
                rec.extend([
                    r.scenario.clone(),
                    r.year.to_string(),
                    r.metric.name().to_string(),
                    r.kind.name().to_string(),
                    r.subject.clone(),
                    fmt_stat(r.mean),
                    fmt_stat(r.ci95_low),
                    fmt_stat(r.ci95_high),
                    r.n.to_string(),
                ]);
                w.write_record(&rec)?;
            }
        }
        Ok(())
    })
}

/// `appraisal.csv`: one row per investment and way, ranked (docs/appraisal.md).
pub fn write_appraisal_csv(path: &Path, rows: &[AppraisalRow]) -> Result<(), OutputError> {
    let stat = |s: &Summary| {
        [
            fmt_stat(s.mean),
            fmt_stat(s.ci95_low),
            fmt_stat(s.ci95_high),
        ]
    };
    write_csv(
        path,
        &[
            "investment",
            "way",
            "capex_eur",
            "npv_eur",
            "npv_ci95_low",
            "npv_ci95_high",
            "bcr",
            "bcr_ci95_low",
            "bcr_ci95_high",
            "irr_median",
            "irr_n",
            "p_npv_positive",
            "p_npv_positive_low",
            "p_npv_positive_high",
            "teu_gained",
            "teu_gained_ci95_low",
            "teu_gained_ci95_high",
            "teu_per_million_capex",
            "teu_per_million_capex_ci95_low",
            "teu_per_million_capex_ci95_high",
            "days_saved_last_year",
            "days_saved_last_year_ci95_low",
            "days_saved_last_year_ci95_high",
            "cost_saved_per_teu_last_year",
            "cost_saved_per_teu_last_year_ci95_low",
            "cost_saved_per_teu_last_year_ci95_high",
            "n",
        ],
        |w| {
            for r in rows {
                let a = &r.appraisal;
                let mut rec = vec![
                    r.investment.clone(),
                    r.way.name().to_string(),
                    fmt_f64(r.capex_eur),
                ];
                rec.extend(stat(&a.npv));
                rec.extend(stat(&a.bcr));
                rec.push(fmt_stat(a.irr_median));
                rec.push(a.irr_n.to_string());
                rec.push(fmt_stat(a.p_npv_positive));
                rec.push(fmt_stat(a.p_npv_positive_low));
                rec.push(fmt_stat(a.p_npv_positive_high));
                rec.extend(stat(&r.teu_gained));
                rec.extend(stat(&a.teu_per_million_capex));
                rec.extend(stat(&r.days_saved_last_year));
                rec.extend(stat(&r.cost_saved_per_teu_last_year));
                rec.push(r.n.to_string());
                w.write_record(&rec)?;
            }
            Ok(())
        },
    )
}

/// `appraisal_years.csv`: each investment's paired effects year by year, in the order
/// of `appraisal.csv` (docs/outputs.md).
pub fn write_appraisal_years_csv(path: &Path, rows: &[AppraisalRow]) -> Result<(), OutputError> {
    let stat = |s: &Summary| {
        [
            fmt_stat(s.mean),
            fmt_stat(s.ci95_low),
            fmt_stat(s.ci95_high),
        ]
    };
    const QUANTITIES: [&str; 5] = [
        "teu_gained",
        "diverted_teu_avoided",
        "days_saved_per_teu",
        "cost_saved_per_teu",
        "benefit_eur",
    ];
    let mut names: Vec<String> = ["investment", "way", "year"].map(String::from).to_vec();
    for q in QUANTITIES {
        names.extend([
            q.to_string(),
            format!("{q}_ci95_low"),
            format!("{q}_ci95_high"),
        ]);
    }
    names.push("n".to_string());
    let header: Vec<&str> = names.iter().map(String::as_str).collect();
    write_csv(path, &header, |w| {
        for r in rows {
            for y in &r.years {
                let mut rec = vec![
                    r.investment.clone(),
                    r.way.name().to_string(),
                    y.year.to_string(),
                ];
                for s in [
                    &y.teu_gained,
                    &y.diverted_teu_avoided,
                    &y.days_saved_per_teu,
                    &y.cost_saved_per_teu,
                    &y.benefit_eur,
                ] {
                    rec.extend(stat(s));
                }
                rec.push(y.teu_gained.n.to_string());
                w.write_record(&rec)?;
            }
        }
        Ok(())
    })
}

/// One row of `margins.csv` as the study ranked it.
#[derive(Debug, Clone, Copy)]
pub struct MarginLine<'a> {
    pub path: &'a str,
    pub unit: &'a str,
    pub year: i32,
    pub delta_teu: &'a Summary,
    pub days_saved: &'a Summary,
}

/// `margins.csv`: one more unit of each capacity, ranked (docs/outputs.md).
pub fn write_margins_csv(path: &Path, rows: &[MarginLine<'_>]) -> Result<(), OutputError> {
    write_csv(
        path,
        &[
            "rank",
            "capacity",
            "unit",
            "year",
            "delta_teu",
            "delta_teu_ci95_low",
            "delta_teu_ci95_high",
            "days_saved",
            "days_saved_ci95_low",
            "days_saved_ci95_high",
            "n",
        ],
        |w| {
            for (i, r) in rows.iter().enumerate() {
                w.write_record([
                    (i + 1).to_string(),
                    r.path.to_string(),
                    r.unit.to_string(),
                    r.year.to_string(),
                    fmt_stat(r.delta_teu.mean),
                    fmt_stat(r.delta_teu.ci95_low),
                    fmt_stat(r.delta_teu.ci95_high),
                    fmt_stat(r.days_saved.mean),
                    fmt_stat(r.days_saved.ci95_low),
                    fmt_stat(r.days_saved.ci95_high),
                    r.delta_teu.n.to_string(),
                ])?;
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::results::Record;

    #[test]
    fn statistics_lose_float_noise_not_information() {
        assert_eq!(fmt_stat(56390.799999999996), "56390.8");
        assert_eq!(fmt_stat(212461.49999999997), "212461.5");
        assert_eq!(fmt_stat(0.1 + 0.2), "0.3");
        assert_eq!(fmt_stat(1.2909944487358056), "1.29099444874");
        assert_eq!(fmt_stat(-7.377912367255631), "-7.37791236726");
        assert_eq!(fmt_stat(f64::NAN), "");
        assert_eq!(fmt_stat(0.0), "0");
        assert_eq!(by_year_cell(&[(2029, 9), (2030, 7)]), "2029:9 2030:7");
    }

    #[test]
    fn nan_is_empty_and_commas_are_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        let rows = vec![SummaryRow {
            scenario: "base[a=1,b=2]".into(),
            year: 2030,
            metric: crate::metrics::Metric::DeliveredTeu,
            kind: crate::metrics::SubjectKind::Corridor,
            subject: "corridor".into(),
            mean: 12.5,
            sd: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
            n: 1,
        }];
        write_summary_csv(&p, &rows).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "scenario,year,metric,subject_kind,subject,mean,sd,ci95_low,ci95_high,n\n\
             \"base[a=1,b=2]\",2030,delivered_teu,corridor,corridor,12.5,,,,1\n"
        );
    }

    #[test]
    fn replications_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("replications.csv");
        let run = RunResult {
            replication: 3,
            records: vec![Record {
                year: 2025,
                metric: crate::metrics::Metric::HandledTeu,
                kind: crate::metrics::SubjectKind::Node,
                subject: "s".into(),
                value: 0.25,
            }],
            ..Default::default()
        };
        write_replications_csv(&p, &[("x", std::slice::from_ref(&run))]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "scenario,replication,year,metric,subject_kind,subject,value\nx,3,2025,handled_teu,node,s,0.25\n"
        );
    }

    #[test]
    fn sweep_points_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sweep.csv");
        let a = vec![("x".to_string(), 1.0)];
        let b = vec![("y".to_string(), 1.0)];
        let pts = [
            SweepPoint {
                values: &a,
                summary: &[],
            },
            SweepPoint {
                values: &b,
                summary: &[],
            },
        ];
        assert!(write_sweep_csv(&p, &pts).is_err());
    }
}
