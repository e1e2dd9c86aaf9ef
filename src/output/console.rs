//! The short text a planner reads in the terminal after a run: for every simulated year
//! the demand (TEU created), the TEU delivered with its 95% interval, the share served
//! and what is left waiting; the places that stalled, if any; the targets, worded exactly;
//! where containers wait longest;
//! the busiest resources; and, for a batch or a comparison, the paired differences against
//! the first scenario.
//!
//! It formats rows that `analysis` computed (never the runner's or the study's results);
//! it must never compute statistics of its own beyond picking, ranking and dividing two
//! means, and never write files. Places are
//! named by `PlaceNames` ("Aktau → Alat"), numbers with thousands separators, shares as
//! percentages, like the report.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::analysis::appraisal::{AppraisalParams, AppraisalRow, Way};
use crate::analysis::precision::{PrecisionReport, PrecisionRow, Stop};
use crate::analysis::{Comparison, StallRow, SummaryRow, TargetRow};
use crate::metrics::{Metric, Subject, SubjectKind};
use crate::output::ScenarioSummary;
use crate::output::plots::format::{TargetOutcome, day_of_year, percent, thousands as grouped};
use crate::output::plots::names::PlaceNames;
use crate::scenario::TargetDirection;

/// `1234567.8` → `1,234,568`.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    grouped(x, 0)
}

/// Set once stdout turned out to be a closed pipe (`corridor run … | head`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout; when the reader has gone away (a closed pipe), stays quiet from then
/// on instead of panicking like `print!`, so that the command still finishes writing its
/// files and exits normally (exit 0). Other write errors are ignored the same way: the
/// console text is a courtesy, the files are the results.
pub fn print(text: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        grouped(x, decimals)
    } else {
        "–".to_string()
    }
}

/// Decimals that keep about three significant digits of a duration or small count.
fn decimals_for(x: f64) -> usize {
    if x.abs() < 1.0 {
        3
    } else if x.abs() < 100.0 {
        1
    } else {
        0
    }
}

fn interval_with(r: &SummaryRow, f: impl Fn(f64) -> String) -> String {
    if r.ci95_low.is_finite() {
        format!("{} [{}–{}]", f(r.mean), f(r.ci95_low), f(r.ci95_high))
    } else {
        f(r.mean)
    }
}

fn find<'a>(
    rows: &'a [SummaryRow],
    year: i32,
    metric: Metric,
    kind: SubjectKind,
    subject: &str,
) -> Option<&'a SummaryRow> {
    rows.iter()
        .find(|r| r.year == year && r.metric == metric && r.kind == kind && r.subject == subject)
}

fn corridor(rows: &[SummaryRow], year: i32, metric: Metric) -> Option<&SummaryRow> {
    find(
        rows,
        year,
        metric,
        SubjectKind::Corridor,
        Subject::CORRIDOR_ID,
    )
}

fn years(job: &ScenarioSummary<'_>) -> Vec<i32> {
    job.summary
        .iter()
        .map(|r| r.year)
        .collect::<BTreeSet<i32>>()
        .into_iter()
        .collect()
}

/// The years table: every simulated year, so that a crisis year in the middle of the
/// horizon is never hidden.
fn years_table(out: &mut String, job: &ScenarioSummary<'_>) {
    let _ = writeln!(
        out,
        "  {:<6} {:>11} {:>32} {:>8} {:>12} {:>12} {:>16}",
        "year",
        "created TEU",
        "delivered TEU [95% CI]",
        "served",
        "backlog TEU",
        "in corridor",
        "transit days"
    );
    let _ = writeln!(
        out,
        "  {:<6} {:>11} {:>32} {:>8} {:>12} {:>12} {:>16}",
        "", "(demand)", "", "", "(year end)", "(year end)", "mean / p95"
    );
    let mut over = false;
    for year in years(job) {
        let mean = |m: Metric| corridor(job.summary, year, m).map(|r| r.mean);
        let created = mean(Metric::CreatedTeu);
        let delivered = corridor(job.summary, year, Metric::DeliveredTeu);
        let served = match (delivered.map(|r| r.mean), created) {
            (Some(d), Some(c)) if c > 0.0 => {
                over |= d > c;
                percent(d / c, 0)
            }
            _ => "–".into(),
        };
        let transit = match (mean(Metric::TransitDaysMean), mean(Metric::TransitDaysP95)) {
            (Some(m), Some(p)) => format!(
                "{} / {}",
                num(m, decimals_for(m).max(1)),
                num(p, decimals_for(p).max(1))
            ),
            (Some(m), None) => num(m, 1),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "  {year:<6} {:>11} {:>32} {served:>8} {:>12} {:>12} {transit:>16}",
            created.map(thousands).unwrap_or_else(|| "–".into()),
            delivered
                .map(|r| interval_with(r, thousands))
                .unwrap_or_else(|| "–".into()),
            mean(Metric::BacklogTeu)
                .map(thousands)
                .unwrap_or_else(|| "–".into()),
            mean(Metric::InSystemTeu)
                .map(thousands)
                .unwrap_or_else(|| "–".into()),
        );
    }
    let _ = writeln!(
        out,
        "  served = delivered ÷ created in the year{}; backlog = TEU held outside full yards.",
        if over {
            " (above 100% when boxes of earlier years are delivered as a backlog clears)"
        } else {
            ""
        }
    );
}

/// Places listed in the stall block; the rest are counted. `summary.json` lists them all.
const STALL_PLACES_SHOWN: usize = 8;

/// The stalls of a scenario: one line per place that stalled in any replication, each of
/// its years with how many replications stalled there, the mean stall days over those
/// replications (the mean `summary.csv` gives `stall_days`, whose `n` is that count: the
/// model records the metric only when a place stalls) and the earliest start. Nothing at
/// all when nothing stalled.
fn stalls(out: &mut String, job: &ScenarioSummary<'_>, names: &PlaceNames) {
    if job.stalls.is_empty() {
        return;
    }
    let threshold = job
        .stall_threshold_days
        .map(|d| {
            let whole = d.fract() == 0.0;
            format!("≥ {} days", num(d, if whole { 0 } else { 1 }))
        })
        .unwrap_or_else(|| "the scenario's run.stall_days".into());
    let _ = writeln!(
        out,
        "  stalls (boxes waiting, nothing leaving for {threshold}; days = mean over the replications that stalled):"
    );
    // Grouped by place, in the order of the rows (by subject, then kind, then year).
    let mut places: Vec<Vec<&StallRow>> = Vec::new();
    for r in job.stalls {
        match places
            .iter_mut()
            .find(|p| p[0].kind == r.kind && p[0].subject == r.subject)
        {
            Some(p) => p.push(r),
            None => places.push(vec![r]),
        }
    }
    for rows in places.iter().take(STALL_PLACES_SHOWN) {
        let years: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{} in {} of {} replications, {} days from {}",
                    r.year,
                    r.replications,
                    job.replications,
                    num(r.days_mean, 0),
                    day_of_year(r.start_day_min)
                )
            })
            .collect();
        let what = if rows[0].kind == SubjectKind::Link {
            " (link)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    {}{what}: {}",
            names.short(&rows[0].subject),
            years.join("; ")
        );
    }
    if places.len() > STALL_PLACES_SHOWN {
        let _ = writeln!(
            out,
            "    and {} more places (summary.json, \"stalls\")",
            places.len() - STALL_PLACES_SHOWN
        );
    }
}

fn target_line(t: &TargetRow, names: &PlaceNames) -> String {
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
    let firsts: Vec<(i32, u64)> = t
        .first_year_met
        .by_year
        .iter()
        .map(|&(y, c)| (y, c as u64))
        .collect();
    let o = TargetOutcome {
        ceiling: t.direction == TargetDirection::AtMost,
        year: t.year,
        n: Some(t.n as u64),
        share_met: t.share_met,
        first_years: &firsts,
    };
    let first = o
        .first_years_phrase()
        .map(|p| format!("; {p}"))
        .unwrap_or_default();
    format!(
        "  {}: {}: {} in {} {} {} — mean {}; {}{}",
        t.target,
        names.short(&t.subject),
        t.metric.label(),
        t.year,
        op,
        f(t.threshold),
        value,
        o.share_phrase(),
        first
    )
}

/// Waiting places of one year ranked by total TEU-hours waited, with their share.
fn waiting_ranking(rows: &[SummaryRow], year: i32) -> Vec<(&SummaryRow, f64, Option<&SummaryRow>)> {
    let waits: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.year == year && r.metric == Metric::WaitTeuHours && r.mean > 0.0)
        .collect();
    let total: f64 = waits.iter().map(|r| r.mean).sum();
    let mut ranked: Vec<_> = waits
        .into_iter()
        .map(|r| {
            let per_box = find(rows, year, Metric::WaitHoursMean, r.kind, &r.subject);
            (r, r.mean / total, per_box)
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then_with(|| a.0.subject.cmp(&b.0.subject))
    });
    ranked
}

/// The capacity each TEU-hour of waiting is charged to (the model's `*_binding_teu_hours`),
/// largest first: the first is the one whose next unit buys most.
fn binding(out: &mut String, job: &ScenarioSummary<'_>, year: i32, names: &PlaceNames) {
    let mut rows: Vec<&SummaryRow> = job
        .summary
        .iter()
        .filter(|r| r.year == year && r.metric.is_binding() && r.mean > 0.0)
        .collect();
    if rows.is_empty() {
        return;
    }
    let total: f64 = rows.iter().map(|r| r.mean).sum();
    rows.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    let _ = writeln!(
        out,
        "  what binds in {year} (waiting charged to the capacity that causes it):"
    );
    for (i, r) in rows.iter().take(3).enumerate() {
        let what = r.metric.binding_capacity().unwrap_or("capacity");
        let _ = writeln!(
            out,
            "    {}. {:<32} {:>6}  {} TEU-hours",
            i + 1,
            format!("{} {what}", names.short(&r.subject)),
            percent(r.mean / total, 1),
            num(r.mean, 0)
        );
    }
}

fn waiting(out: &mut String, job: &ScenarioSummary<'_>, year: i32, names: &PlaceNames) {
    let ranked = waiting_ranking(job.summary, year);
    if ranked.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  where containers wait longest in {year} (share of all TEU-hours waited; mean wait per box):"
    );
    for (i, (r, share, per_box)) in ranked.iter().take(3).enumerate() {
        let per = per_box
            .map(|p| {
                let d = decimals_for(p.mean);
                let hours = interval_with(p, |x| num(x, d));
                format!("{hours} h per box (≈ {} days)", num(p.mean / 24.0, 1))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {}. {:<24} {:>6}  {}",
            i + 1,
            names.short(&r.subject),
            percent(*share, 1),
            per
        );
    }
}

/// The named investments' capex and opex by year (the corridor rows), in EUR million;
/// years without spending are left out, and nothing at all without investments.
fn spending(out: &mut String, job: &ScenarioSummary<'_>) {
    let rows: Vec<(i32, f64, f64)> = years(job)
        .into_iter()
        .filter_map(|y| {
            let capex = corridor(job.summary, y, Metric::CapexEur)?.mean;
            let opex = corridor(job.summary, y, Metric::OpexEur).map_or(0.0, |r| r.mean);
            (capex > 0.0 || opex > 0.0).then_some((y, capex, opex))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  investment spending by year (EUR million; capex / opex of the named investments):"
    );
    for (y, capex, opex) in rows {
        let _ = writeln!(
            out,
            "    {y}  {:>10} / {}",
            grouped(capex / 1e6, 1),
            grouped(opex / 1e6, 1)
        );
    }
}

/// Cost and time per TEU of each flow (an origin–destination pair) in `year`, when the
/// scenario prices its segments. The cost is the mean over the flow's delivered TEU.
fn costs(out: &mut String, job: &ScenarioSummary<'_>, year: i32) {
    let flows: Vec<&SummaryRow> = job
        .summary
        .iter()
        .filter(|r| r.year == year && r.metric == Metric::CostPerTeu && r.kind == SubjectKind::Flow)
        .collect();
    if flows.is_empty() {
        return;
    }
    let currency = job.currency.unwrap_or("reporting currency");
    let _ = writeln!(
        out,
        "  cost and time per TEU in {year} ({currency}; tariffs of the priced segments):"
    );
    for r in flows {
        let days = find(
            job.summary,
            year,
            Metric::TransitDaysMean,
            SubjectKind::Flow,
            &r.subject,
        )
        .map(|d| format!("  {} days in transit", num(d.mean, 1)))
        .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<24} {:>8} per TEU{days}",
            r.subject,
            thousands(r.mean)
        );
    }
}

/// What shippers chose in `year`: each market flow's share, TEU won and lost against its
/// alternatives, with the costs they weighed; each choosing flow's split over its routes.
fn choice(out: &mut String, job: &ScenarioSummary<'_>, year: i32) {
    let rows = job.summary;
    let of = |metric: Metric, kind: SubjectKind| -> Vec<&SummaryRow> {
        rows.iter()
            .filter(|r| r.year == year && r.metric == metric && r.kind == kind)
            .collect()
    };
    let markets = of(Metric::MarketShare, SubjectKind::Flow);
    let routes = of(Metric::CreatedTeu, SubjectKind::Route);
    if markets.is_empty() && routes.is_empty() {
        return;
    }
    let currency = job.currency.unwrap_or("reporting currency");
    let gc = |kind: SubjectKind, id: &str| {
        find(rows, year, Metric::GeneralizedCostPerTeu, kind, id)
            .map(|r| format!("; cost weighed {} {currency}/TEU", thousands(r.mean)))
            .unwrap_or_default()
    };
    for m in markets {
        let won = find(
            rows,
            year,
            Metric::CreatedTeu,
            SubjectKind::Flow,
            &m.subject,
        );
        let lost = find(rows, year, Metric::LostTeu, SubjectKind::Flow, &m.subject);
        let _ = writeln!(
            out,
            "  market won by {} in {year}: {} of the contestable market, {} TEU won, {} TEU lost{}",
            m.subject,
            interval_with(m, |x| percent(x, 1)),
            won.map_or("?".into(), |r| thousands(r.mean)),
            lost.map_or("?".into(), |r| thousands(r.mean)),
            gc(SubjectKind::Flow, &m.subject),
        );
    }
    for a in of(Metric::MarketShare, SubjectKind::Alternative) {
        let _ = writeln!(
            out,
            "    {:<22} {:>6} of it{}",
            a.subject,
            percent(a.mean, 1),
            gc(SubjectKind::Alternative, &a.subject)
        );
    }
    let total: f64 = routes.iter().map(|r| r.mean).sum();
    if total > 0.0 {
        let _ = writeln!(
            out,
            "  routes chosen in {year} by the flows that choose (share of the TEU entering them):"
        );
        let mut routes = routes;
        routes.sort_by(|a, b| {
            b.mean
                .total_cmp(&a.mean)
                .then_with(|| a.subject.cmp(&b.subject))
        });
        for r in routes.iter().filter(|r| r.mean > 0.0) {
            let _ = writeln!(
                out,
                "    {:<24} {:>6}  {} TEU",
                r.subject,
                percent(r.mean / total, 1),
                thousands(r.mean)
            );
        }
    }
}

fn busiest(out: &mut String, job: &ScenarioSummary<'_>, year: i32, names: &PlaceNames) {
    let mut util: Vec<&SummaryRow> = job
        .summary
        .iter()
        .filter(|r| r.year == year && r.metric.is_utilization())
        .collect();
    util.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    if util.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "  busiest resources in {year} (share of capacity in use):"
    );
    for r in util.iter().take(3) {
        // Fix: a node's crane utilization was labelled "link" (destination ports such as
        // Batumi are often the busiest now that they handle their boxes).
        let what = if r.metric == Metric::BerthUtilization {
            "berths"
        } else if r.metric == Metric::FerryBerthUtilization {
            "ferries"
        } else if r.kind == crate::metrics::SubjectKind::Node {
            "cranes"
        } else {
            "link"
        };
        let _ = writeln!(
            out,
            "    {:<24} {:<7} {}",
            names.short(&r.subject),
            what,
            interval_with(r, |x| percent(x, 1))
        );
    }
}

/// Paired differences of each scenario against the first, for corridor deliveries and
/// mean transit time in every compared year.
pub fn comparison_text(comparisons: &[Comparison]) -> String {
    let mut out = String::new();
    for c in comparisons {
        let _ = writeln!(
            out,
            "\n{} − {} (paired by replication, common random numbers; 95% CI):",
            c.scenario_b, c.scenario_a
        );
        let _ = writeln!(
            out,
            "  {:<6} {:>32} {:>34}",
            "year", "Δ delivered TEU", "Δ mean transit days"
        );
        let years: BTreeSet<i32> = c
            .rows
            .iter()
            .filter(|r| r.kind == SubjectKind::Corridor)
            .map(|r| r.year)
            .collect();
        for y in years {
            let cell = |metric: Metric, f: &dyn Fn(f64) -> String| {
                c.rows
                    .iter()
                    .find(|r| r.year == y && r.kind == SubjectKind::Corridor && r.metric == metric)
                    .map(|r| {
                        if r.ci95_low.is_finite() {
                            format!(
                                "{} [{} – {}]",
                                f(r.mean_diff),
                                f(r.ci95_low),
                                f(r.ci95_high)
                            )
                        } else {
                            f(r.mean_diff)
                        }
                    })
                    .unwrap_or_else(|| "–".into())
            };
            let teu = |x: f64| signed(x, 0);
            let days = |x: f64| signed(x, 1);
            let _ = writeln!(
                out,
                "  {y:<6} {:>32} {:>34}",
                cell(Metric::DeliveredTeu, &teu),
                cell(Metric::TransitDaysMean, &days)
            );
        }
    }
    out
}

fn signed(x: f64, decimals: usize) -> String {
    let s = num(x, decimals);
    if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// The text printed after a complete run, batch or merge: every scenario's rows (as for
/// `summary.json`) and the paired differences. `names` gives the places' short names
/// (`PlaceNames::load` of the results folder).
pub fn summary_text(
    scenarios: &[ScenarioSummary<'_>],
    comparisons: &[Comparison],
    names: &PlaceNames,
) -> String {
    let mut out = String::new();
    for job in scenarios {
        let _ = writeln!(
            out,
            "\n{} — {} replications, seed {}",
            job.scenario, job.replications, job.seed
        );
        years_table(&mut out, job);
        stalls(&mut out, job, names);
        if !job.targets.is_empty() {
            let _ = writeln!(out, "  targets:");
            for t in job.targets {
                let _ = writeln!(out, "{}", target_line(t, names));
            }
        }
        spending(&mut out, job);
        if let Some(&year) = years(job).last() {
            costs(&mut out, job, year);
            choice(&mut out, job, year);
            binding(&mut out, job, year, names);
            waiting(&mut out, job, year, names);
            busiest(&mut out, job, year, names);
        }
        if !job.conservation_violations.is_empty() {
            let _ = writeln!(
                out,
                "  WARNING: conservation failed in replications {:?} (a model bug; please report it)",
                job.conservation_violations
            );
        }
    }
    out.push_str(&comparison_text(comparisons));
    out
}

/// The `--precision` outcome: how many replications, in which stages, and why the
/// procedure stopped; at the cap, or when more are needed, the quantities still imprecise
/// with their relative half-widths (the worst first, ten at most).
pub fn precision_text(p: &PrecisionReport) -> String {
    let pct = |x: f64| percent(x, if x < 0.01 { 2 } else { 1 });
    let mut s = String::new();
    let stages: Vec<String> = p.stages.iter().map(u64::to_string).collect();
    let goal = pct(p.rule.relative_half_width);
    let _ = write!(
        s,
        "\nprecision: {} replications (stages {}; pilot {}, cap {}): ",
        p.replications_used,
        stages.join(" → "),
        p.rule.min_replications,
        p.rule.max_replications
    );
    let held = p.rows.len();
    let _ = match p.stopped_because {
        Stop::Precise if held == 1 => writeln!(
            s,
            "the held quantity has a 95% half-width within {goal} of its mean"
        ),
        Stop::Precise => writeln!(
            s,
            "all {held} held quantities have a 95% half-width within {goal} of their mean"
        ),
        Stop::Cap => writeln!(
            s,
            "cap reached ({} of {held} held quantities not within {goal}; a higher --max-reps with --resume continues):",
            p.imprecise().count()
        ),
        Stop::Pending { next } => writeln!(
            s,
            "more needed ({} of {held} not within {goal}); the next stage runs to {next}: \
             continue with the run's command (without --shard) and --resume on this folder:",
            p.imprecise().count()
        ),
    };
    if p.stopped_because != Stop::Precise {
        let mut worst: Vec<&PrecisionRow> = p.imprecise().collect();
        worst.sort_by(|a, b| {
            let key = |r: &PrecisionRow| {
                if r.relative_half_width.is_nan() {
                    f64::INFINITY
                } else {
                    r.relative_half_width
                }
            };
            key(b).total_cmp(&key(a))
        });
        for r in worst.iter().take(10) {
            let rel = if r.relative_half_width.is_finite() {
                format!("±{}", pct(r.relative_half_width))
            } else if r.n < 2 {
                "too few values".to_string()
            } else {
                "mean 0".to_string()
            };
            let _ = writeln!(
                s,
                "  {} {} {} {}: mean {}, {rel}",
                r.scenario,
                r.metric.name(),
                Subject::new(r.kind, r.subject.as_str()),
                r.year,
                num(r.mean, 1),
            );
        }
        if worst.len() > 10 {
            let _ = writeln!(
                s,
                "  and {} more (summary.json, \"precision\")",
                worst.len() - 10
            );
        }
    }
    s
}

/// The text of `corridor warmup`: Welch's moving average over the warm-up and the first
/// reported year (`shown`, one value per `bin_days` bin, thinned to about 30 lines), and
/// the MSER-5 truncation point against the scenario's warm-up.
pub fn warmup_text(
    scenario: &str,
    reps: u64,
    bin_days: f64,
    shown: &[f64],
    cut_days: f64,
    warmup_days: f64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{scenario}: mean transit time of deliveries per {bin_days}-day bin from an empty corridor, {reps} replications"
    );
    let _ = writeln!(out, "  {:>10} {:>14}", "day", "transit days");
    let step = (shown.len() / 30).max(1);
    for (i, v) in shown.iter().enumerate().step_by(step) {
        let _ = writeln!(out, "  {:>10.0} {:>14.2}", i as f64 * bin_days, v);
    }
    let _ = writeln!(
        out,
        "MSER-5 truncation over the warm-up and first reported year: {cut_days:.0} days (the scenario's warm-up is {warmup_days:.0} days{})",
        if cut_days > warmup_days {
            "; consider a longer warmup_days"
        } else {
            ""
        }
    );
    out
}

/// The table `corridor appraise` prints: for each way (leave one out, add one), the
/// investments ranked by NPV with their intervals (docs/appraisal.md).
pub fn appraisal_text(scenario: &str, rows: &[AppraisalRow], p: &AppraisalParams) -> String {
    let mut out = String::new();
    let n = rows.first().map_or(0, |r| r.n);
    let _ = writeln!(
        out,
        "{scenario} — appraisal of {} investments, {n} paired replications; discount rate {} to {}; value of time {} EUR per TEU-day{}",
        rows.iter().filter(|r| r.way == Way::LeaveOneOut).count(),
        percent(p.discount_rate, 1),
        p.base_year,
        thousands(p.value_of_time_per_teu_day),
        if p.value_per_teu_gained > 0.0 {
            format!(", {} EUR per TEU gained", thousands(p.value_per_teu_gained))
        } else {
            String::new()
        }
    );
    // Millions of EUR with about three significant digits.
    let m = |x: f64| {
        if x.is_finite() {
            let v = x / 1e6;
            grouped(
                v,
                if v.abs() < 10.0 {
                    2
                } else if v.abs() < 100.0 {
                    1
                } else {
                    0
                },
            )
        } else {
            "–".into()
        }
    };
    let ci = |s: &crate::engine::stats::Summary, f: &dyn Fn(f64) -> String| {
        if s.ci95_low.is_finite() {
            format!("{} [{} – {}]", f(s.mean), f(s.ci95_low), f(s.ci95_high))
        } else {
            f(s.mean)
        }
    };
    for way in [Way::LeaveOneOut, Way::AddOne] {
        let _ = writeln!(
            out,
            "\n  {}",
            match way {
                Way::LeaveOneOut =>
                    "what each investment adds to the full plan (the plan with it − without it):",
                Way::AddOne =>
                    "what each investment buys alone (no investment + it − no investment):",
            }
        );
        let _ = writeln!(
            out,
            "  {:<26} {:>9} {:>30} {:>20} {:>7} {:>9} {:>28}",
            "investment",
            "capex €m",
            "NPV €m [95% CI]",
            "BCR [95% CI]",
            "IRR",
            "P(NPV>0)",
            "TEU gained [95% CI]"
        );
        for r in rows.iter().filter(|r| r.way == way) {
            let a = &r.appraisal;
            let irr = if a.irr_n > 0 {
                percent(a.irr_median, 0)
            } else {
                "none".into()
            };
            let _ = writeln!(
                out,
                "  {:<26} {:>9} {:>30} {:>20} {:>7} {:>9} {:>28}",
                r.investment,
                m(r.capex_eur),
                ci(&a.npv, &m),
                ci(&a.bcr, &|x| num(x, 2)),
                irr,
                percent(a.p_npv_positive, 0),
                ci(&r.teu_gained, &|x| thousands(x)),
            );
        }
    }
    let _ = writeln!(
        out,
        "\n  NPV = discounted time and tariff savings (rule of a half) − capex − opex over the life; IRR: median over the replications that have one; TEU gained: summed over the simulated years (docs/appraisal.md)."
    );
    out
}

/// One row of the table `corridor margins` prints.
#[derive(Debug, Clone, Copy)]
pub struct MarginCells<'a> {
    pub path: &'a str,
    pub unit: &'a str,
    pub delta_teu: &'a crate::engine::stats::Summary,
    pub days_saved: &'a crate::engine::stats::Summary,
}

/// The table `corridor margins` prints: what one more unit of each capacity buys, ranked.
pub fn margins_text(
    scenario: &str,
    year: i32,
    demand_served: bool,
    rows: &[MarginCells<'_>],
) -> String {
    let mut out = String::new();
    let n = rows.first().map_or(0, |r| r.delta_teu.n);
    let _ = writeln!(
        out,
        "{scenario} — what one more unit of each capacity buys in {year} ({n} paired replications; {}):",
        if demand_served {
            "demand is served that year, so ranked by transit days saved"
        } else {
            "ranked by TEU gained"
        }
    );
    let _ = writeln!(
        out,
        "  {:>4}  {:<52} {:>5} {:>30} {:>26}",
        "rank", "capacity", "unit", "Δ TEU delivered [95% CI]", "days saved [95% CI]"
    );
    let ci = |s: &crate::engine::stats::Summary, f: &dyn Fn(f64) -> String| {
        if s.ci95_low.is_finite() {
            format!("{} [{} – {}]", f(s.mean), f(s.ci95_low), f(s.ci95_high))
        } else {
            f(s.mean)
        }
    };
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>4}  {:<52} {:>5} {:>30} {:>26}",
            i + 1,
            r.path,
            r.unit,
            ci(r.delta_teu, &|x| signed(x, 0)),
            ci(r.days_saved, &|x| signed(x, 2)),
        );
    }
    let _ = writeln!(
        out,
        "\n  Each unit is added throughout the horizon (to the scenario and to every timeline change of the same parameter); differences are paired on one seed."
    );
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
        assert_eq!(num(85336.5, 1), "85,336.5");
        assert_eq!(signed(1234.0, 0), "+1,234");
        assert_eq!(signed(-0.04, 1), "0.0");
    }
}
