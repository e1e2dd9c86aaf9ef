//! The short text a planner reads in the terminal after a run: for each reported year the
//! TEU delivered against the targets, transit times, where containers wait longest and
//! the busiest resources, with 95% intervals.
//!
//! It formats numbers that `analysis` computed; it must never compute statistics of its
//! own beyond picking and ranking rows, and never write files.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::analysis::{SummaryRow, TargetRow};
use crate::batch::{BatchResult, JobOutcome};
use crate::scenario::TargetDirection;

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    let neg = x < 0.0;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg && out != "0" {
        out.insert(0, '-');
    }
    out
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "–".to_string()
    }
}

fn interval(r: &SummaryRow, decimals: usize, big: bool) -> String {
    let f = |x: f64| if big { thousands(x) } else { num(x, decimals) };
    if r.ci95_low.is_finite() {
        format!("{} [{}–{}]", f(r.mean), f(r.ci95_low), f(r.ci95_high))
    } else {
        f(r.mean)
    }
}

fn find<'a>(
    rows: &'a [SummaryRow],
    year: i32,
    metric: &str,
    subject: &str,
) -> Option<&'a SummaryRow> {
    rows.iter()
        .find(|r| r.year == year && r.metric == metric && r.subject == subject)
}

/// The years worth a line: each target's year, 2028 and 2040 when simulated, the first and
/// the last year.
fn years_of_interest(job: &JobOutcome) -> Vec<i32> {
    let all: BTreeSet<i32> = job.summary.iter().map(|r| r.year).collect();
    let mut pick = BTreeSet::new();
    if let (Some(first), Some(last)) = (all.first(), all.last()) {
        pick.insert(*first);
        pick.insert(*last);
    }
    for y in [2028, 2040] {
        if all.contains(&y) {
            pick.insert(y);
        }
    }
    for t in &job.target_rows {
        if all.contains(&t.year) {
            pick.insert(t.year);
        }
    }
    pick.into_iter().collect()
}

fn target_line(t: &TargetRow) -> String {
    let op = match t.direction {
        TargetDirection::AtLeast => "≥",
        TargetDirection::AtMost => "≤",
    };
    let big = t.threshold.abs() >= 1000.0;
    let f = |x: f64| if big { thousands(x) } else { num(x, 2) };
    let value = if t.ci95_low.is_finite() {
        format!("{} [{}–{}]", f(t.mean), f(t.ci95_low), f(t.ci95_high))
    } else {
        f(t.mean)
    };
    let met = if t.share_met.is_finite() {
        format!("met in {:.0}% of replications", t.share_met * 100.0)
    } else {
        "not measured".to_string()
    };
    let first = match (t.first_year_met.min, t.first_year_met.max) {
        (Some(a), Some(b)) if a == b => format!("; first met {a}"),
        (Some(a), Some(b)) => format!("; first met {a}–{b}"),
        _ => String::new(),
    };
    format!(
        "  {} ({} {} {}): {} vs {} {} — {}{}",
        t.target,
        t.metric,
        t.subject,
        t.year,
        value,
        op,
        f(t.threshold),
        met,
        first
    )
}

/// Waiting places of one year ranked by total TEU-hours waited, with their share.
fn waiting_ranking(rows: &[SummaryRow], year: i32) -> Vec<(&SummaryRow, f64, Option<&SummaryRow>)> {
    let waits: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.year == year && r.metric == "wait_teu_hours" && r.mean > 0.0)
        .collect();
    let total: f64 = waits.iter().map(|r| r.mean).sum();
    let mut ranked: Vec<_> = waits
        .into_iter()
        .map(|r| {
            let per_box = find(rows, year, "wait_hours_mean", &r.subject);
            (r, r.mean / total, per_box)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| a.0.subject.cmp(&b.0.subject))
    });
    ranked
}

/// The text printed after a run or a batch.
pub fn summary_text(result: &BatchResult) -> String {
    let mut out = String::new();
    for job in &result.jobs {
        let _ = writeln!(
            out,
            "\n{} — {} replications, seed {}",
            job.scenario,
            job.runs.len(),
            job.seed
        );
        let _ = writeln!(
            out,
            "  {:<6} {:>34} {:>18} {:>22}",
            "year", "TEU delivered (95% CI)", "backlog TEU", "transit days mean/p95"
        );
        for year in years_of_interest(job) {
            let delivered = find(&job.summary, year, "delivered_teu", "corridor")
                .map(|r| interval(r, 0, true))
                .unwrap_or_else(|| "–".into());
            let backlog = find(&job.summary, year, "backlog_teu", "corridor")
                .map(|r| thousands(r.mean))
                .unwrap_or_else(|| "–".into());
            let transit = match (
                find(&job.summary, year, "transit_days_mean", "corridor"),
                find(&job.summary, year, "transit_days_p95", "corridor"),
            ) {
                (Some(m), Some(p)) => {
                    let d = if m.mean < 1.0 { 3 } else { 1 };
                    format!("{} / {}", num(m.mean, d), num(p.mean, d))
                }
                (Some(m), None) => num(m.mean, 1),
                _ => "–".into(),
            };
            let _ = writeln!(
                out,
                "  {year:<6} {delivered:>34} {backlog:>18} {transit:>22}"
            );
        }
        if !job.target_rows.is_empty() {
            let _ = writeln!(out, "  targets:");
            for t in &job.target_rows {
                let _ = writeln!(out, "{}", target_line(t));
            }
        }
        let last = job.summary.iter().map(|r| r.year).max();
        if let Some(year) = last {
            let ranked = waiting_ranking(&job.summary, year);
            if !ranked.is_empty() {
                let _ = writeln!(
                    out,
                    "  where containers wait longest in {year} (share of all TEU-hours waited):"
                );
                for (i, (r, share, per_box)) in ranked.iter().take(3).enumerate() {
                    let per = per_box
                        .map(|p| {
                            format!(
                                "{} h per box",
                                interval(p, if p.mean < 10.0 { 3 } else { 1 }, false)
                            )
                        })
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "    {}. {:<20} {:>5.1}%  {}",
                        i + 1,
                        r.subject,
                        share * 100.0,
                        per
                    );
                }
            }
            let mut util: Vec<&SummaryRow> = job
                .summary
                .iter()
                .filter(|r| {
                    r.year == year && (r.metric == "utilization" || r.metric == "berth_utilization")
                })
                .collect();
            util.sort_by(|a, b| {
                b.mean
                    .total_cmp(&a.mean)
                    .then_with(|| a.subject.cmp(&b.subject))
            });
            if !util.is_empty() {
                let _ = writeln!(out, "  busiest resources in {year}:");
                for r in util.iter().take(3) {
                    let what = if r.metric == "berth_utilization" {
                        "berths"
                    } else {
                        "utilization"
                    };
                    let _ = writeln!(
                        out,
                        "    {:<20} {:<12} {}",
                        r.subject,
                        what,
                        interval(r, 3, false)
                    );
                }
            }
        }
        if !job.conservation_violations.is_empty() {
            let _ = writeln!(
                out,
                "  WARNING: conservation failed in replications {:?} (a model bug; please report it)",
                job.conservation_violations
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(865000.0), "865,000");
        assert_eq!(thousands(1234567.6), "1,234,568");
        assert_eq!(thousands(12.0), "12");
        assert_eq!(thousands(-4321.0), "-4,321");
        assert_eq!(thousands(f64::NAN), "–");
    }
}
