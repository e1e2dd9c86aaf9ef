//! The report of a results folder: `report.md` and a self-contained `report.html` (charts
//! embedded as base64 PNG), for a planner to put in front of a ministry.
//!
//! It holds the provenance (from `summary.json` and `provenance.json` when present), the
//! target table (mean, 95% CI, share of replications meeting each target, first year
//! met), the charts, and findings written from the numbers: which targets are met and
//! with what probability, where boxes stalled, the main bottleneck, the most utilised
//! resource. Like the
//! plots, it reads only the folder's files; it must never run the simulation, and it
//! writes only `report.md`, `report.html` and the charts under `plots/`, atomically.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value;

use super::network::{CsvTable, ReadError};
use super::plots::appraisal::{AppraisalRecord, read_appraisal};
use super::plots::data::{Results, SummaryRecord, TargetRecord};
use super::plots::format::{TargetOutcome, day_of_year, percent, thousands};
use super::plots::{
    HeatmapRow, PLOTS_DIR, PlotError, PlotOptions, bottleneck_series, chart_file_stem,
    draw_results, short_scenario_name, utilization_heatmap,
};
use super::{MARGINS_CSV, PROVENANCE_JSON, SUMMARY_JSON, write_bytes_atomic};
use crate::metrics::{Metric, Range, Subject, SubjectKind};

pub const REPORT_MD: &str = "report.md";
pub const REPORT_HTML: &str = "report.html";

/// Draws the charts (default options) and writes `report.md` and `report.html` into
/// `results_dir`; returns their paths.
pub fn write_report(results_dir: &Path) -> Result<(PathBuf, PathBuf), PlotError> {
    write_report_with(results_dir, &PlotOptions::default())
}

/// As `write_report`, drawing the charts with `opts`.
pub fn write_report_with(
    results_dir: &Path,
    opts: &PlotOptions,
) -> Result<(PathBuf, PathBuf), PlotError> {
    let results = Results::load(results_dir)?;
    let charts = draw_results(&results, &results_dir.join(PLOTS_DIR), opts)?;
    let summary_json = read_json(&results_dir.join(SUMMARY_JSON))?;
    let provenance_json = read_json(&results_dir.join(PROVENANCE_JSON))?;
    let appraisal = read_appraisal(results_dir)?.unwrap_or_default();
    let margins = read_margins(results_dir)?;
    let doc = build(
        &results,
        opts,
        summary_json.as_ref(),
        provenance_json.as_ref(),
        &charts,
        &appraisal,
        &margins,
    );
    let md = render_md(&doc);
    let html = render_html(&doc, results_dir)?;
    let md_path = results_dir.join(REPORT_MD);
    let html_path = results_dir.join(REPORT_HTML);
    write_bytes_atomic(&md_path, md.as_bytes())?;
    write_bytes_atomic(&html_path, html.as_bytes())?;
    Ok((md_path, html_path))
}

fn read_json(path: &Path) -> Result<Option<Value>, PlotError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ReadError {
                path: path.to_path_buf(),
                line: None,
                message: e.to_string(),
            }
            .into());
        }
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        ReadError {
            path: path.to_path_buf(),
            line: Some(e.line() as u64),
            message: format!("invalid JSON: {e}"),
        }
        .into()
    })
}

/// A report as blocks, rendered to Markdown and to HTML.
#[derive(Debug, Clone, PartialEq)]
enum Block {
    Heading(u8, String),
    Para(String),
    Bullets(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    /// Relative path from the results folder, alt text, caption.
    Image(String, String, String),
}

/// The unit written after a value, from the catalogue (shares are written as percentages).
fn unit(metric: Metric) -> &'static str {
    match metric.info().unit {
        "TEU" => " TEU",
        "days" => " days",
        "hours" | "TEU·hours" => " h",
        _ => "",
    }
}

fn is_share(metric: Metric) -> bool {
    metric.info().range == Range::Share
}

/// A value in a metric's unit, for prose and tables: TEU whole, durations and other
/// amounts with one decimal below 100, shares as percentages.
fn value(metric: Metric, v: f64) -> String {
    format!("{}{}", bare(metric, v), unit(metric))
}

fn bare(metric: Metric, v: f64) -> String {
    if v.is_nan() {
        return "n/a".to_string();
    }
    if is_share(metric) {
        return percent(v, 1);
    }
    let decimals = if v.abs() >= 100.0 || metric.info().unit == "TEU" {
        0
    } else {
        1
    };
    thousands(v, decimals)
}

/// "56,080 – 56,701 TEU": the unit once, after both bounds.
fn interval(metric: Metric, lo: f64, hi: f64) -> String {
    if lo.is_nan() || hi.is_nan() {
        "n/a".to_string()
    } else {
        format!(
            "{} – {}{}",
            bare(metric, lo),
            bare(metric, hi),
            unit(metric)
        )
    }
}

fn op(direction: &str) -> &'static str {
    if direction == "at_most" { "≤" } else { "≥" }
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", thousands(v, 0))
    } else {
        thousands(v, 0)
    }
}

fn outcome<'a>(t: &TargetRecord, firsts: &'a [(i32, u64)]) -> TargetOutcome<'a> {
    TargetOutcome {
        ceiling: t.direction == "at_most",
        year: t.year,
        n: t.n.and_then(|n| u64::try_from(n).ok()),
        share_met: t.share_met,
        first_years: firsts,
    }
}

fn firsts(t: &TargetRecord) -> Vec<(i32, u64)> {
    t.first_year_met_by_year
        .iter()
        .map(|&(y, c)| (y, u64::try_from(c).unwrap_or(0)))
        .collect()
}

/// The target table's last column: when replications first reached a floor, as counts per
/// year (a mean year such as 2029.6 is no year anyone can plan for).
fn first_year(t: &TargetRecord) -> String {
    if t.direction == "at_most" {
        return "– (a ceiling)".to_string();
    }
    let f = firsts(t);
    if let Some(p) = outcome(t, &f).first_years_phrase() {
        return p.trim_start_matches("first reached in ").to_string();
    }
    // Folders written before `first_year_met_by_year` existed: the range only.
    match (t.first_year_met_min, t.first_year_met_max) {
        (Some(a), Some(b)) if a == b => format!("{a}"),
        (Some(a), Some(b)) => format!("between {a} and {b}"),
        _ => "never".to_string(),
    }
}

fn verdict(share: f64) -> &'static str {
    if share.is_nan() {
        "not measured"
    } else if share >= 0.95 {
        "met with high confidence"
    } else if share >= 0.5 {
        "more likely met than not"
    } else if share > 0.0 {
        "unlikely to be met"
    } else {
        "not met in any replication"
    }
}

/// "Aktau → Alat: TEU carried", "corridor: TEU delivered".
fn measure(results: &Results, scenario: &str, metric: Metric, subject: &str) -> String {
    format!(
        "{}: {}",
        results.place_name(scenario, subject),
        metric.label()
    )
}

fn target_sentence(results: &Results, t: &TargetRecord, with_scenario: bool) -> String {
    let f = firsts(t);
    let o = outcome(t, &f);
    let mut s = format!(
        "Target {} ({} {} {} in {}){}: {}",
        t.target,
        measure(results, &t.scenario, t.metric, &t.subject),
        op(&t.direction),
        value(t.metric, t.threshold),
        t.year,
        if with_scenario {
            format!(", scenario {}", t.scenario)
        } else {
            String::new()
        },
        verdict(t.share_met),
    );
    if t.share_met.is_finite() {
        let _ = write!(
            s,
            " — {}; mean {}, 95% CI {}",
            o.share_phrase(),
            value(t.metric, t.mean),
            interval(t.metric, t.ci95_low, t.ci95_high)
        );
    }
    if let Some(p) = o.first_years_phrase() {
        let _ = write!(s, "; {p}");
    }
    s.push('.');
    s
}

/// The subject of a heatmap row (a node's handling or berths, or a link).
fn place_subject(r: &HeatmapRow) -> Subject {
    let kind = if r.link {
        SubjectKind::Link
    } else {
        SubjectKind::Node
    };
    Subject::new(kind, r.subject.clone())
}

/// The year the corridor served the smallest share of its demand, with that share.
fn worst_served_year(results: &Results, scenario: &str) -> Option<(i32, f64, f64, f64)> {
    results
        .corridor_series(scenario, Metric::CreatedTeu)
        .into_iter()
        .filter_map(|c| {
            let d = results.get(scenario, Metric::DeliveredTeu, &Subject::corridor(), c.year)?;
            (c.mean > 0.0).then(|| (c.year, d.mean / c.mean, d.mean, c.mean))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
}

/// What binds in `s`'s last year with waiting: the capacities the model charges waiting to
/// (`*_binding_teu_hours`), largest first, as "the berths of Aktau (62%), ..."; `None`
/// for a folder without them (written before they existed, or without any waiting).
fn binding_sentence(results: &Results, s: &str) -> Option<String> {
    let rows: Vec<_> = results
        .summary
        .iter()
        .filter(|r| r.scenario == s && r.metric.is_binding() && r.mean > 0.0)
        .collect();
    let year = rows.iter().map(|r| r.year).max()?;
    let mut rows: Vec<_> = rows.into_iter().filter(|r| r.year == year).collect();
    let total: f64 = rows.iter().map(|r| r.mean).sum();
    rows.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    let name = |r: &SummaryRecord| {
        let capacity = r.metric.binding_capacity().unwrap_or("capacity");
        let place = if r.kind == SubjectKind::WagonPool {
            format!("pool {}", r.subject)
        } else {
            results.place_name(s, &r.subject)
        };
        format!("the {capacity} of {place}")
    };
    let top = rows[0];
    let mut sentence = format!(
        "What binds in {year}: {}, to which {} of the TEU-hours waited in the corridor are \
         charged ({} TEU-hours)",
        name(top),
        percent(top.mean / total, 0),
        thousands(top.mean, 0)
    );
    let next: Vec<String> = rows
        .iter()
        .skip(1)
        .take(2)
        .map(|r| format!("{} ({})", name(r), percent(r.mean / total, 0)))
        .collect();
    if !next.is_empty() {
        let _ = write!(sentence, "; then {}", next.join(" and "));
    }
    sentence.push_str(
        ". Waiting is charged to the capacity that causes it: a box outside a full yard to \
         what keeps the yard full, a vessel queueing for a berth to the berths.",
    );
    Some(sentence)
}

/// What limits a scenario: the capacity that binds (from the model's binding metrics),
/// the main place of waiting in its last year with its use of capacity, and the most
/// used resource when that is another.
fn limit_sentences(results: &Results, s: &str) -> Vec<String> {
    let mut out: Vec<String> = binding_sentence(results, s).into_iter().collect();
    let binds = !out.is_empty();
    let wait_year = results
        .summary
        .iter()
        .filter(|r| r.scenario == s && r.metric == Metric::WaitTeuHours)
        .map(|r| r.year)
        .max();
    let heat = utilization_heatmap(results, s);
    let util_of = |subject: &str, year: i32| {
        let h = heat.as_ref()?;
        let c = h.years.iter().position(|&y| y == year)?;
        // A port has two rows (handling and berths): the busier one is what limits it.
        h.rows
            .iter()
            .filter(|r| r.subject == subject && r.values[c].is_finite())
            .max_by(|a, b| a.values[c].total_cmp(&b.values[c]))
            .map(|r| (r.values[c], r.label.clone()))
    };
    let mut top_subject = None;
    if let Some(y) = wait_year {
        if let Some(top) =
            bottleneck_series(results, s, Some((y, y))).and_then(|b| b.bars.first().cloned())
        {
            let per_box = results
                .get(
                    s,
                    Metric::WaitHoursMean,
                    &Subject::new(top.kind, top.subject.clone()),
                    y,
                )
                .map(|r| format!(", {} h per box on average", thousands(r.mean, 0)))
                .unwrap_or_default();
            let util = util_of(&top.subject, y)
                .map(|(u, label)| {
                    if label == top.label {
                        format!(", running at {} of its capacity", percent(u, 0))
                    } else {
                        format!(", with {label} at {} of capacity", percent(u, 0))
                    }
                })
                .unwrap_or_default();
            let lead = if binds {
                format!("Containers wait longest in {y} at")
            } else {
                format!("What limits it in {y}:")
            };
            out.push(format!(
                "{lead} {}, where {} of all TEU-hours waited in the corridor \
                 are spent ({} TEU-hours{per_box}){util}.",
                top.label,
                percent(top.shares[0], 0),
                thousands(top.teu_hours[0], 0)
            ));
            top_subject = Some(top.subject);
        }
    }
    if let Some(h) = &heat {
        if let Some(c) = h.years.len().checked_sub(1) {
            let best = h
                .rows
                .iter()
                .filter(|r| r.values[c].is_finite())
                .max_by(|a, b| a.values[c].total_cmp(&b.values[c]));
            if let Some(r) = best.filter(|r| Some(&r.subject) != top_subject.as_ref()) {
                let year = h.years[c];
                let ci = results
                    .get(s, r.metric, &place_subject(r), year)
                    .map(|x| (x.ci95_low, x.ci95_high))
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .map(|(a, b)| format!(" (95% CI {})", interval(Metric::Utilization, a, b)))
                    .unwrap_or_default();
                out.push(format!(
                    "The most heavily used resource in {year} is {} at {} of its capacity{ci}.",
                    r.label,
                    percent(r.values[c], 0)
                ));
            }
        }
    }
    out
}

fn demand_sentence(results: &Results, s: &str) -> Option<String> {
    let (year, share, delivered, created) = worst_served_year(results, s)?;
    if share >= 0.95 {
        return Some(format!(
            "Demand is served: every year the corridor delivers at least 95% as many TEU as \
             are created (lowest {} in {year}).",
            percent(share, 0)
        ));
    }
    let backlog = results
        .get(s, Metric::BacklogTeu, &Subject::corridor(), year)
        .filter(|r| r.mean >= 0.5)
        .map(|r| {
            format!(
                ", and {} TEU are held in backlog at year end",
                thousands(r.mean, 0)
            )
        })
        .unwrap_or_default();
    Some(format!(
        "Demand is not all served: in {year} the corridor delivers {} TEU of the {} TEU \
         created ({}){backlog}.",
        thousands(delivered, 0),
        thousands(created, 0),
        percent(share, 0)
    ))
}

/// Places named in a stall sentence; the rest are counted.
const STALL_PLACES_NAMED: usize = 3;

/// The stalls of `s`, from `summary.csv` alone: every place and year with a `stall_days`
/// row, which the model records only in the replications that stalled, so the row's `n`
/// counts them and its mean is over them; the start is the mean `stall_start_day` over
/// the same replications. `None` when nothing stalled.
fn stall_sentence(results: &Results, s: &str) -> Option<String> {
    let rows: Vec<&SummaryRecord> = results
        .summary
        .iter()
        .filter(|r| r.scenario == s && r.metric == Metric::StallDays && r.n > 0)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let phrase = |r: &SummaryRecord| {
        let subject = Subject::new(r.kind, r.subject.clone());
        // Every replication records the corridor's created TEU: its n is the replications run.
        let of = results
            .get(s, Metric::CreatedTeu, &Subject::corridor(), r.year)
            .map(|c| format!(" of {}", c.n))
            .unwrap_or_default();
        let start = results
            .get(s, Metric::StallStartDay, &subject, r.year)
            .map(|d| {
                format!(
                    ", starting on average on day {}, {}",
                    thousands(d.mean, 0),
                    day_of_year(d.mean)
                )
            })
            .unwrap_or_default();
        let what = if r.kind == SubjectKind::Link {
            "the link "
        } else {
            ""
        };
        format!(
            "{what}{} in {} in {}{of} replications ({} days on average in those{start})",
            results.place_name(s, &r.subject),
            r.year,
            r.n,
            thousands(r.mean, 0),
        )
    };
    let mut named: Vec<String> = rows
        .iter()
        .take(STALL_PLACES_NAMED)
        .map(|r| phrase(r))
        .collect();
    if rows.len() > STALL_PLACES_NAMED {
        named.push(format!(
            "{} more places and years (the `stall_days` rows of summary.csv)",
            rows.len() - STALL_PLACES_NAMED
        ));
    }
    Some(format!(
        "Stalls, where boxes wait and nothing leaves for at least the scenario's \
         `run.stall_days`: {}.",
        named.join("; ")
    ))
}

/// Every scenario the options select. The report's sentences and tables speak of all of
/// them: `max_scenarios` limits what a chart can draw, not what the report may count ("8 of
/// 8 scenarios" for a nine-point sweep would be false).
fn all_selected(results: &Results, opts: &PlotOptions) -> Vec<String> {
    results
        .scenarios
        .iter()
        .filter(|s| opts.scenarios.as_ref().is_none_or(|w| w.contains(s)))
        .cloned()
        .collect()
}

/// More scenarios than this (a sweep) and findings are grouped by target, not by scenario.
const FINDINGS_PER_SCENARIO_MAX: usize = 3;

/// The findings sentences, from the numbers: for each scenario whether it meets its
/// targets, whether demand is served, what limits it; then what the compared scenarios
/// change. With many scenarios (a sweep) each target gets one sentence saying where it
/// is met.
pub fn findings(results: &Results, opts: &PlotOptions) -> Vec<String> {
    let mut out = Vec::new();
    let scenarios = all_selected(results, opts);
    let targets_of = |s: &str| {
        results
            .targets
            .iter()
            .filter(|t| t.scenario == s)
            .collect::<Vec<_>>()
    };
    if scenarios.len() <= FINDINGS_PER_SCENARIO_MAX {
        let several = scenarios.len() > 1;
        for s in &scenarios {
            let prefix = if several {
                format!("{s} — ")
            } else {
                String::new()
            };
            for t in targets_of(s) {
                out.push(format!("{prefix}{}", target_sentence(results, t, false)));
            }
            if let Some(d) = demand_sentence(results, s) {
                out.push(format!("{prefix}{d}"));
            }
            if let Some(st) = stall_sentence(results, s) {
                out.push(format!("{prefix}{st}"));
            }
            for l in limit_sentences(results, s) {
                out.push(format!("{prefix}{l}"));
            }
        }
    } else {
        let mut ids: Vec<&str> = Vec::new();
        for t in &results.targets {
            if scenarios.contains(&t.scenario) && !ids.contains(&t.target.as_str()) {
                ids.push(&t.target);
            }
        }
        for id in ids {
            let rows: Vec<&TargetRecord> = results
                .targets
                .iter()
                .filter(|t| t.target == id && scenarios.contains(&t.scenario))
                .collect();
            let sure: Vec<String> = rows
                .iter()
                .filter(|t| t.share_met >= 0.95)
                .map(|t| short_scenario_name(&t.scenario))
                .collect();
            let t0 = rows[0];
            let list = if sure.is_empty() {
                String::new()
            } else if sure.len() <= 4 {
                format!(" ({})", sure.join("; "))
            } else {
                format!(" (among them {})", sure[..4].join("; "))
            };
            let best = rows
                .iter()
                .filter(|t| t.share_met.is_finite())
                .max_by(|a, b| a.share_met.total_cmp(&b.share_met));
            let best = best
                .map(|b| {
                    format!(
                        "; at best met by {} of replications ({})",
                        percent(b.share_met, 0),
                        short_scenario_name(&b.scenario)
                    )
                })
                .unwrap_or_default();
            let head = format!(
                "Target {id} ({} {} {} in {}): met with high confidence (in at least 95% of \
                 replications)",
                measure(results, &t0.scenario, t0.metric, &t0.subject),
                op(&t0.direction),
                value(t0.metric, t0.threshold),
                t0.year,
            );
            if sure.len() == rows.len() {
                out.push(format!("{head} in all {} scenarios.", rows.len()));
            } else {
                out.push(format!(
                    "{head} in {} of {} scenarios{list}{best}.",
                    sure.len(),
                    rows.len()
                ));
            }
        }
        // Stalls: which scenarios have any (one sentence each would drown a sweep).
        let stalled: Vec<String> = scenarios
            .iter()
            .filter(|s| stall_sentence(results, s).is_some())
            .map(|s| short_scenario_name(s))
            .collect();
        if !stalled.is_empty() {
            let list = if stalled.len() <= 4 {
                stalled.join("; ")
            } else {
                format!("among them {}", stalled[..4].join("; "))
            };
            out.push(format!(
                "Stalls (boxes waiting and nothing leaving for at least the scenario's \
                 `run.stall_days`) in {} of {} scenarios ({list}); the `stall_days` rows of \
                 summary.csv say where and for how long.",
                stalled.len(),
                scenarios.len()
            ));
        }
        // The most common main bottleneck across the scenarios.
        let mut tops: Vec<(String, i32)> = Vec::new();
        for s in &scenarios {
            let y = results
                .summary
                .iter()
                .filter(|r| r.scenario == *s && r.metric == Metric::WaitTeuHours)
                .map(|r| r.year)
                .max();
            if let Some(y) = y {
                if let Some(top) = bottleneck_series(results, s, Some((y, y)))
                    .and_then(|b| b.bars.first().cloned())
                {
                    tops.push((top.label, y));
                }
            }
        }
        let mut counts: Vec<(String, i32, usize)> = Vec::new();
        for (l, y) in tops {
            match counts.iter_mut().find(|(a, b, _)| *a == l && *b == y) {
                Some(c) => c.2 += 1,
                None => counts.push((l, y, 1)),
            }
        }
        counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        if let Some((label, y, n)) = counts.first() {
            out.push(format!(
                "The main bottleneck in {y} is {label} in {n} of {} scenarios.",
                scenarios.len()
            ));
        }
    }
    // Paired comparisons: the effect on corridor throughput in the last compared year.
    let last_cmp = results
        .comparison
        .iter()
        .filter(|c| c.metric == Metric::DeliveredTeu && c.kind == SubjectKind::Corridor)
        .map(|c| c.year)
        .max();
    if let Some(y) = last_cmp {
        // The largest effects first; beyond a few (an appraisal compares every variant),
        // the rest are counted and left to comparison.csv and the chart.
        let mut cmps: Vec<_> = results
            .comparison
            .iter()
            .filter(|c| {
                c.metric == Metric::DeliveredTeu && c.kind == SubjectKind::Corridor && c.year == y
            })
            .collect();
        let many = cmps.len() > FINDINGS_PER_SCENARIO_MAX;
        if many {
            cmps.sort_by(|a, b| {
                b.mean_diff
                    .abs()
                    .total_cmp(&a.mean_diff.abs())
                    .then_with(|| a.scenario_b.cmp(&b.scenario_b))
            });
        }
        let rest = cmps.len().saturating_sub(FINDINGS_PER_SCENARIO_MAX);
        for c in cmps.into_iter().take(FINDINGS_PER_SCENARIO_MAX) {
            let clear = c.ci95_low > 0.0 || c.ci95_high < 0.0;
            out.push(format!(
                "What it would take: against {}, {} changes corridor deliveries in {y} by {} \
                 TEU (paired 95% CI {} to {}){}.",
                c.scenario_a,
                c.scenario_b,
                signed(c.mean_diff),
                signed(c.ci95_low),
                signed(c.ci95_high),
                if clear {
                    ""
                } else {
                    ": not distinguishable from zero with these replications"
                }
            ));
        }
        if many {
            out.push(format!(
                "Those are the {FINDINGS_PER_SCENARIO_MAX} largest paired effects on corridor \
                 deliveries in {y}; {rest} more comparisons are in comparison.csv and the \
                 comparison chart."
            ));
        }
    }
    if out.is_empty() {
        out.push(
            "The results folder holds no targets, waiting or utilization to report on.".into(),
        );
    }
    out
}

/// The TEU-by-year table: demand, deliveries with their interval, the share served, the
/// backlog and the mean transit time, every year of each scenario (the last year of each
/// scenario when there are many).
fn throughput_table(results: &Results, scenarios: &[String]) -> Block {
    let header = [
        "Scenario",
        "Year",
        "TEU created (demand)",
        "TEU delivered",
        "95% CI",
        "Served",
        "Backlog at year end",
        "Mean transit",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    let many = scenarios.len() > FINDINGS_PER_SCENARIO_MAX;
    for s in scenarios {
        let years = results.years(s);
        let years: Vec<i32> = if many {
            years.last().copied().into_iter().collect()
        } else {
            years
        };
        for y in years {
            let corridor = Subject::corridor();
            let get = |m: Metric| results.get(s, m, &corridor, y);
            let created = get(Metric::CreatedTeu);
            let delivered = get(Metric::DeliveredTeu);
            if created.is_none() && delivered.is_none() {
                continue;
            }
            let served = match (created, delivered) {
                (Some(c), Some(d)) if c.mean > 0.0 => percent(d.mean / c.mean, 0),
                _ => "n/a".into(),
            };
            rows.push(vec![
                short_scenario_name(s),
                y.to_string(),
                created.map_or("n/a".into(), |r| value(r.metric, r.mean)),
                delivered.map_or("n/a".into(), |r| value(r.metric, r.mean)),
                delivered.map_or("n/a".into(), |r| {
                    interval(r.metric, r.ci95_low, r.ci95_high)
                }),
                served,
                get(Metric::BacklogTeu).map_or("n/a".into(), |r| value(r.metric, r.mean)),
                get(Metric::TransitDaysMean).map_or("n/a".into(), |r| value(r.metric, r.mean)),
            ]);
        }
    }
    Block::Table(header, rows)
}

/// EUR as millions or billions, for prose, with a minus sign before the euro sign.
fn eur(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let sign = if x < 0.0 { "−" } else { "" };
    let a = x.abs();
    if a >= 1e9 {
        format!("{sign}€{} bn", thousands(a / 1e9, 1))
    } else {
        format!("{sign}€{} m", thousands(a / 1e6, 2))
    }
}

/// The appraisal (`appraisal.csv`, written by `corridor appraise`): what the first-ranked
/// investment is worth when left out of the full plan, which buys most per euro, which
/// cost more than they buy, then the table. Every figure is a cell of that file.
fn appraisal_blocks(rows: &[AppraisalRecord]) -> Vec<Block> {
    if rows.is_empty() {
        return Vec::new();
    }
    let loo: Vec<&AppraisalRecord> = rows.iter().filter(|r| r.way == "leave_one_out").collect();
    let mut sentences = Vec::new();
    let by = |key: fn(&AppraisalRecord) -> f64| {
        loo.iter()
            .copied()
            .filter(|r| key(r).is_finite())
            .max_by(|a, b| {
                key(a)
                    .total_cmp(&key(b))
                    .then_with(|| b.investment.cmp(&a.investment))
            })
    };
    let replications = |r: &AppraisalRecord| {
        format!(
            "{} of the {} paired replications",
            (r.p_npv_positive * r.n as f64).round(),
            r.n
        )
    };
    if let Some(r) = by(|r| r.npv_eur) {
        let interval = format!(
            "95% interval {} to {}",
            eur(r.npv_ci95_low),
            eur(r.npv_ci95_high)
        );
        sentences.push(if r.npv_eur > 0.0 {
            format!(
                "Of the plan's investments, {} is worth most: leaving it out of the full plan \
                 loses an NPV of {} ({interval}); its NPV is positive in {}.",
                r.investment,
                eur(r.npv_eur),
                replications(r)
            )
        } else {
            format!(
                "No investment of the plan pays for itself in this scenario: the best, {}, has \
                 an NPV of {} ({interval}), positive in {}.",
                r.investment,
                eur(r.npv_eur),
                replications(r)
            )
        });
    }
    if let Some(r) = by(|r| r.bcr) {
        sentences.push(format!(
            "Per euro, {} buys most: a benefit–cost ratio of {} (95% interval {} to {}) for {} \
             of capex{}.",
            r.investment,
            thousands(r.bcr, 2),
            thousands(r.bcr_ci95_low, 2),
            thousands(r.bcr_ci95_high, 2),
            eur(r.capex_eur),
            if r.bcr < 1.0 {
                ", below 1: it returns less than it costs"
            } else {
                ""
            }
        ));
    }
    let losing: Vec<String> = loo
        .iter()
        .filter(|r| r.npv_ci95_high < 0.0)
        .map(|r| format!("{} ({})", r.investment, eur(r.npv_eur)))
        .collect();
    if !losing.is_empty() {
        sentences.push(format!(
            "Costing more than they buy in this scenario, with the whole interval below zero: {}.",
            losing.join(", ")
        ));
    }
    let header = [
        "Investment",
        "Measured by",
        "Capex",
        "NPV",
        "NPV 95% CI",
        "BCR",
        "P(NPV > 0)",
        "TEU gained",
        "Days saved per TEU (last year)",
    ]
    .map(String::from)
    .to_vec();
    let table = rows
        .iter()
        .map(|r| {
            vec![
                r.investment.clone(),
                r.way.replace('_', " "),
                eur(r.capex_eur),
                eur(r.npv_eur),
                format!("{} – {}", eur(r.npv_ci95_low), eur(r.npv_ci95_high)),
                thousands(r.bcr, 2),
                percent(r.p_npv_positive, 0),
                thousands(r.teu_gained, 0),
                thousands(r.days_saved_last_year, 2),
            ]
        })
        .collect();
    vec![
        Block::Heading(2, "What each investment buys".into()),
        Block::Bullets(sentences),
        Block::Para(
            "Leave one out: the full scenario against it without the investment; add one: the \
             scenario without any investment against it with this one alone. Both sides run on \
             the same seed (common random numbers), so the difference is the investment's; \
             docs/appraisal.md gives the method and its limits."
                .into(),
        ),
        Block::Table(header, table),
    ]
}

/// One row of `margins.csv` (written by `corridor margins`).
struct MarginRecord {
    capacity: String,
    unit: String,
    year: i32,
    delta_teu: (f64, f64, f64),
    days_saved: (f64, f64, f64),
    n: i64,
}

fn read_margins(dir: &Path) -> Result<Vec<MarginRecord>, ReadError> {
    let Some(t) = CsvTable::read(&dir.join(MARGINS_CSV))? else {
        return Ok(Vec::new());
    };
    let c = |n: &str| t.col(n);
    let (cap, unit, year, d, dl, dh, s, sl, sh, n) = (
        c("capacity")?,
        c("unit")?,
        c("year")?,
        c("delta_teu")?,
        c("delta_teu_ci95_low")?,
        c("delta_teu_ci95_high")?,
        c("days_saved")?,
        c("days_saved_ci95_low")?,
        c("days_saved_ci95_high")?,
        c("n")?,
    );
    let mut out = Vec::new();
    for r in t.rows() {
        out.push(MarginRecord {
            capacity: r.text(cap).to_string(),
            unit: r.text(unit).to_string(),
            year: r.year(year)?,
            delta_teu: (r.float(d)?, r.float(dl)?, r.float(dh)?),
            days_saved: (r.float(s)?, r.float(sl)?, r.float(sh)?),
            n: r.opt_int(n)?.unwrap_or(0),
        });
    }
    Ok(out)
}

/// The capacity path `corridor margins` adds a unit of, for a binding metric's subject
/// (`fleet` matches any vessel class of the link).
fn binding_capacity_path(metric: Metric, subject: &str) -> Option<String> {
    Some(match metric {
        Metric::BerthBindingTeuHours => format!("nodes.{subject}.berths"),
        Metric::CraneBindingTeuHours => format!("nodes.{subject}.cranes"),
        Metric::YardBindingTeuHours => format!("nodes.{subject}.yard_capacity_teu"),
        Metric::FleetBindingTeuHours => format!("links.{subject}.sea.fleet."),
        Metric::PathBindingTeuHours => format!("links.{subject}.rail.paths_per_day"),
        Metric::WagonBindingTeuHours => format!("wagon_pools.{subject}.sets"),
        _ => return None,
    })
}

/// What one more unit of each capacity buys (`margins.csv`): the first-ranked capacity
/// with its paired effect, whether the scenario's binding metric names the same capacity
/// (and if not, where its capacity ranks), any unit that lowers deliveries beyond noise,
/// then the ranked table. Every figure is a cell of margins.csv or summary.csv.
fn margins_blocks(results: &Results, rows: &[MarginRecord]) -> Vec<Block> {
    let Some(first) = rows.first() else {
        return Vec::new();
    };
    let y = first.year;
    let teu = |v: (f64, f64, f64)| {
        format!(
            "{} TEU (95% interval {} to {})",
            signed(v.0),
            signed(v.1),
            signed(v.2)
        )
    };
    let days = |v: (f64, f64, f64)| {
        format!(
            "{} days of mean transit saved ({} to {})",
            thousands(v.0, 2),
            thousands(v.1, 2),
            thousands(v.2, 2)
        )
    };
    let mut sentences = vec![format!(
        "Ranked first in {y}: one more unit ({}) of {}: {}, {} ({} paired replications).",
        first.unit,
        first.capacity,
        teu(first.delta_teu),
        days(first.days_saved),
        first.n
    )];
    // The base scenario is the folder's first; its largest binding metric in that year.
    let base = results.scenarios.first();
    let binding = base.and_then(|s| {
        results
            .summary
            .iter()
            .filter(|r| &r.scenario == s && r.year == y && r.metric.is_binding() && r.mean > 0.0)
            .max_by(|a, b| {
                a.mean
                    .total_cmp(&b.mean)
                    .then_with(|| b.subject.cmp(&a.subject))
            })
    });
    if let Some(b) = binding
        && let Some(path) = binding_capacity_path(b.metric, &b.subject)
    {
        let what = format!(
            "the {} of {}",
            b.metric.binding_capacity().unwrap_or("capacity"),
            b.subject
        );
        let rank = rows.iter().position(|r| r.capacity.starts_with(&path));
        sentences.push(match rank {
            Some(0) => format!(
                "This is the capacity the scenario's waiting is charged to most in {y} ({what}): \
                 the named bottleneck and the paired margin agree."
            ),
            Some(k) => format!(
                "The scenario's waiting in {y} is charged most to {what}, but one more unit of \
                 it ranks {} here: the named bottleneck and the paired margin disagree, and \
                 the margin is the one to act on.",
                k + 1
            ),
            None => format!(
                "The scenario's waiting in {y} is charged most to {what}, which margins did not \
                 vary."
            ),
        });
    }
    let lowering: Vec<String> = rows
        .iter()
        .filter(|r| r.delta_teu.2 < 0.0)
        .map(|r| format!("{} ({} TEU)", r.capacity, signed(r.delta_teu.0)))
        .collect();
    if !lowering.is_empty() {
        sentences.push(format!(
            "One more unit lowers deliveries beyond noise for: {}; the model's margins are \
             wrong there (docs/model.md).",
            lowering.join(", ")
        ));
    }
    let slower: Vec<String> = rows
        .iter()
        .filter(|r| r.days_saved.2 < 0.0)
        .map(|r| format!("{} ({} days)", r.capacity, thousands(-r.days_saved.0, 2)))
        .collect();
    if !slower.is_empty() {
        sentences.push(format!(
            "One more unit makes mean transit longer beyond noise for: {}; a wrong-way margin \
             on time (docs/model.md).",
            slower.join(", ")
        ));
    }
    let header = [
        "Rank",
        "Capacity",
        "Unit",
        "Δ TEU delivered",
        "95% CI",
        "Days saved",
        "95% CI",
    ]
    .map(String::from)
    .to_vec();
    let table = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.capacity.clone(),
                r.unit.clone(),
                signed(r.delta_teu.0),
                format!("{} – {}", signed(r.delta_teu.1), signed(r.delta_teu.2)),
                thousands(r.days_saved.0, 2),
                format!(
                    "{} – {}",
                    thousands(r.days_saved.1, 2),
                    thousands(r.days_saved.2, 2)
                ),
            ]
        })
        .collect();
    vec![
        Block::Heading(2, format!("What one more unit buys in {y}")),
        Block::Bullets(sentences),
        Block::Para(
            "Each capacity gets one more unit throughout the horizon (and in every timeline \
             change of it), on the same seed as the scenario, so each difference is that \
             unit's (docs/appraisal.md, margins)."
                .into(),
        ),
        Block::Table(header, table),
    ]
}

/// Capex and opex by year of each scenario's named investments (years with spending
/// only), in EUR million. Empty when no scenario has investments.
fn spending_blocks(results: &Results, scenarios: &[String]) -> Vec<Block> {
    let header = [
        "Scenario",
        "Year",
        "Capex, EUR m",
        "Opex, EUR m",
        "Capex by investment, EUR m",
    ]
    .map(String::from)
    .to_vec();
    let mut rows = Vec::new();
    for s in scenarios.iter().take(FINDINGS_PER_SCENARIO_MAX) {
        let investments: Vec<Subject> = results
            .subjects(s, Metric::CapexEur)
            .into_iter()
            .filter(|x| x.kind == SubjectKind::Investment)
            .collect();
        let corridor = Subject::corridor();
        for y in results.years(s) {
            let get = |m: Metric, x: &Subject| results.get(s, m, x, y).map_or(0.0, |r| r.mean);
            let (capex, opex) = (
                get(Metric::CapexEur, &corridor),
                get(Metric::OpexEur, &corridor),
            );
            if capex <= 0.0 && opex <= 0.0 {
                continue;
            }
            let mut by: Vec<(f64, &str)> = investments
                .iter()
                .map(|i| (get(Metric::CapexEur, i), i.id.as_str()))
                .filter(|(c, _)| *c > 0.0)
                .collect();
            by.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            let by: Vec<String> = by
                .iter()
                .map(|(c, id)| format!("{id} {}", thousands(c / 1e6, 1)))
                .collect();
            rows.push(vec![
                short_scenario_name(s),
                y.to_string(),
                thousands(capex / 1e6, 1),
                thousands(opex / 1e6, 1),
                by.join(", "),
            ]);
        }
    }
    if rows.is_empty() {
        return Vec::new();
    }
    vec![
        Block::Heading(2, "Investment spending by year".into()),
        Block::Para(
            "Capex and opex of the scenario's named investments as its [[investments]] state \
             them (a total is spent in the year the investment opens; opex runs over its \
             life), in the years simulated."
                .into(),
        ),
        Block::Table(header, rows),
    ]
}

/// Cost and time by origin–destination (flow) and by segment in the last year of each
/// scenario (at most `FINDINGS_PER_SCENARIO_MAX` scenarios): CAREC CPMM's indicators
/// (time and cost at a border, speed with and without delay, cost per 500 km). Empty
/// when no scenario reports `cost_per_teu` or segment times.
fn cost_time_blocks(results: &Results, scenarios: &[String]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let na = || "n/a".to_string();
    for s in scenarios.iter().take(FINDINGS_PER_SCENARIO_MAX) {
        let Some(&y) = results.years(s).last() else {
            continue;
        };
        let names = results.place_names(s);
        let get = |m: Metric, kind: SubjectKind, id: &str| {
            results
                .get(s, m, &Subject::new(kind, id), y)
                .map(|r| r.mean)
        };
        let cell = |m: Metric, v: Option<f64>| v.map_or_else(na, |v| bare(m, v));
        let flows = results.subjects(s, Metric::TransitDaysMean);
        // Flows (origin–destination pairs) first, then the routes they split over.
        let flows: Vec<&Subject> = flows
            .iter()
            .filter(|x| x.kind == SubjectKind::Flow)
            .chain(flows.iter().filter(|x| x.kind == SubjectKind::Route))
            .collect();
        let priced = results
            .subjects(s, Metric::CostPerTeu)
            .iter()
            .any(|x| x.kind == SubjectKind::Flow);
        let mut flow_rows = Vec::new();
        for f in &flows {
            let mut row = vec![
                format!("{} {}", f.kind.noun(), f.id),
                cell(
                    Metric::DeliveredTeu,
                    get(Metric::DeliveredTeu, f.kind, &f.id),
                ),
            ];
            if priced {
                row.push(cell(
                    Metric::CostPerTeu,
                    get(Metric::CostPerTeu, f.kind, &f.id),
                ));
            }
            for m in [Metric::TransitDaysMean, Metric::TransitDaysP95] {
                row.push(cell(m, get(m, f.kind, &f.id)));
            }
            row.push(get(Metric::OnTimeShare, f.kind, &f.id).map_or_else(na, |v| percent(v, 0)));
            flow_rows.push(row);
        }
        let mut seg_rows = Vec::new();
        for n in results.nodes_of(s) {
            let hours = get(Metric::NodeHoursMean, SubjectKind::Node, &n.id);
            let cost = get(Metric::CostPerTeu, SubjectKind::Node, &n.id);
            if hours.is_none() && cost.is_none() {
                continue;
            }
            seg_rows.push(vec![
                names.short(&n.id),
                "at the node".into(),
                cell(Metric::CostPerTeu, cost),
                cell(Metric::NodeHoursMean, hours),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for l in results.links_of(s) {
            let leg = get(Metric::LegHoursMean, SubjectKind::Link, &l.id);
            if leg.is_none() {
                continue;
            }
            let g = |m: Metric| cell(m, get(m, SubjectKind::Link, &l.id));
            seg_rows.push(vec![
                names.short(&l.id),
                "origin to end".into(),
                g(Metric::CostPerTeu),
                cell(Metric::LegHoursMean, leg),
                g(Metric::MovingHoursMean),
                g(Metric::SpeedKmPerHour),
                g(Metric::MovingSpeedKmPerHour),
                g(Metric::CostPer500Km),
            ]);
        }
        if flow_rows.is_empty() && seg_rows.is_empty() {
            continue;
        }
        blocks.push(Block::Heading(
            3,
            format!("{} in {y}", short_scenario_name(s)),
        ));
        if !flow_rows.is_empty() {
            let mut header = vec![
                "Flow (origin → destination) or route".to_string(),
                "TEU delivered".to_string(),
            ];
            if priced {
                header.push("Cost per TEU".into());
            }
            header.extend(["Mean transit, days", "p95 transit, days", "On time"].map(String::from));
            blocks.push(Block::Table(header, flow_rows));
        }
        if !seg_rows.is_empty() {
            let header = [
                "Segment",
                "Time measured",
                "Cost per TEU",
                "Hours per box",
                "Of which moving, h",
                "Speed with delay, km/h",
                "Speed without delay, km/h",
                "Cost per TEU per 500 km",
            ]
            .map(String::from)
            .to_vec();
            blocks.push(Block::Table(header, seg_rows));
        }
    }
    if !blocks.is_empty() {
        blocks.insert(
            0,
            Block::Para(
                "Costs are the tariffs the scenario states on its nodes and links, converted \
                 with each year's exchange rate into the scenario's reporting currency \
                 ([costs] currency, EUR unless it says otherwise); a flow's cost is the mean \
                 over the TEU it delivered, and segments without a stated tariff add nothing. \
                 Hours at a node run from a box's arrival to its boarding the next train or \
                 vessel (at a border, CAREC CPMM's time to clear it); a link's hours from \
                 arrival at its origin to arrival at its end, of which moving is the time \
                 aboard. Speeds are the link's distance over those hours (CPMM's speed with \
                 and without delay)."
                    .into(),
            ),
        );
        blocks.insert(
            0,
            Block::Heading(2, "Cost and time by flow and segment".into()),
        );
    }
    blocks
}

/// What shippers chose (docs/model.md § 1.7): for each market flow, by year, the share of
/// its contestable market the corridor won, the TEU won and lost, and the costs weighed
/// against each alternative's; for flows that choose their route, the split in the last
/// year. Empty when no scenario has a market or a route choice.
fn choice_blocks(results: &Results, scenarios: &[String]) -> Vec<Block> {
    let mut blocks = Vec::new();
    let na = || "n/a".to_string();
    for s in scenarios.iter().take(FINDINGS_PER_SCENARIO_MAX) {
        let get = |m: Metric, x: &Subject, y: i32| results.get(s, m, x, y);
        let markets: Vec<Subject> = results
            .subjects(s, Metric::MarketShare)
            .into_iter()
            .filter(|x| x.kind == SubjectKind::Flow)
            .collect();
        let alternatives: Vec<Subject> = results
            .subjects(s, Metric::MarketShare)
            .into_iter()
            .filter(|x| x.kind == SubjectKind::Alternative)
            .collect();
        for f in &markets {
            let mut header = vec![
                "Year".to_string(),
                "Corridor's share".to_string(),
                "TEU won".to_string(),
                "TEU lost".to_string(),
                "Corridor's cost weighed, per TEU".to_string(),
            ];
            for a in &alternatives {
                header.push(format!("{} share", a.id));
                header.push(format!("{} cost weighed", a.id));
            }
            header.push("Largest change at one re-evaluation".to_string());
            let mut rows = Vec::new();
            for y in results.years(s) {
                let Some(share) = get(Metric::MarketShare, f, y) else {
                    continue;
                };
                let mean =
                    |m: Metric, x: &Subject| get(m, x, y).map_or_else(na, |r| bare(m, r.mean));
                let mut row = vec![
                    y.to_string(),
                    format!(
                        "{} {}",
                        percent(share.mean, 1),
                        interval(Metric::MarketShare, share.ci95_low, share.ci95_high)
                    ),
                    mean(Metric::CreatedTeu, f),
                    mean(Metric::LostTeu, f),
                    mean(Metric::GeneralizedCostPerTeu, f),
                ];
                for a in &alternatives {
                    row.push(
                        get(Metric::MarketShare, a, y).map_or_else(na, |r| percent(r.mean, 1)),
                    );
                    row.push(mean(Metric::GeneralizedCostPerTeu, a));
                }
                row.push(
                    get(Metric::MarketShareSwing, f, y).map_or_else(na, |r| percent(r.mean, 1)),
                );
                rows.push(row);
            }
            if rows.is_empty() {
                continue;
            }
            blocks.push(Block::Heading(
                3,
                format!("{}: the market of flow {}", short_scenario_name(s), f.id),
            ));
            blocks.push(Block::Table(header, rows));
        }
        let routes: Vec<Subject> = results
            .subjects(s, Metric::CreatedTeu)
            .into_iter()
            .filter(|x| x.kind == SubjectKind::Route)
            .collect();
        let Some(&y) = results.years(s).last() else {
            continue;
        };
        let mut chosen: Vec<(f64, &Subject)> = routes
            .iter()
            .filter_map(|r| get(Metric::CreatedTeu, r, y).map(|x| (x.mean, r)))
            .filter(|(t, _)| *t > 0.0)
            .collect();
        let total: f64 = chosen.iter().map(|(t, _)| t).sum();
        if total > 0.0 {
            chosen.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
            let rows = chosen
                .iter()
                .map(|(t, r)| {
                    let delivered = get(Metric::TransitDaysMean, r, y)
                        .map_or_else(na, |x| bare(Metric::TransitDaysMean, x.mean));
                    vec![
                        r.id.clone(),
                        thousands(*t, 0),
                        percent(t / total, 1),
                        delivered,
                    ]
                })
                .collect();
            blocks.push(Block::Heading(
                3,
                format!("{}: routes chosen in {y}", short_scenario_name(s)),
            ));
            blocks.push(Block::Table(
                ["Route", "TEU entering on it", "Share", "Mean transit, days"]
                    .map(String::from)
                    .to_vec(),
                rows,
            ));
        }
    }
    if !blocks.is_empty() {
        blocks.insert(
            0,
            Block::Para(
                "Shippers weigh a generalized cost per TEU: tariffs + value of time × expected days + value of reliability × their standard deviation, the expectation read from what the corridor's boxes took lately (docs/model.md § 1.7). A flow that chooses its route draws each box's route from a logit on those costs; a market flow wins a share of the contestable market (the market less its committed volume) against its alternatives, re-evaluated at a fixed interval and damped. TEU won are the flow's created TEU; TEU lost are expected values from the shares. Routes chosen: the TEU entering on each route of the flows that choose their route."
                    .into(),
            ),
        );
        blocks.insert(0, Block::Heading(2, "What shippers chose".into()));
    }
    blocks
}

fn build(
    results: &Results,
    opts: &PlotOptions,
    summary: Option<&Value>,
    provenance: Option<&Value>,
    charts: &[PathBuf],
    appraisal: &[AppraisalRecord],
    margins: &[MarginRecord],
) -> Vec<Block> {
    let mut doc = vec![Block::Heading(
        1,
        "Middle Corridor container flows: simulation report".into(),
    )];
    // Nothing here depends on the folder's name or on when and how the run went, so the
    // report is byte-identical for the same scenarios and seeds like every other output;
    // provenance.json says when and where it ran.
    doc.push(Block::Para(
        "Every number is a mean over independent replications of the simulation; intervals \
         are Student-t 95% confidence intervals of that mean, cut at zero (and at 100% for \
         shares of capacity) where a quantity cannot go beyond."
            .into(),
    ));

    doc.push(Block::Heading(2, "Findings".into()));
    doc.push(Block::Bullets(findings(results, opts)));
    doc.extend(appraisal_blocks(appraisal));
    doc.extend(margins_blocks(results, margins));

    doc.push(Block::Heading(2, "Throughput by year".into()));
    let scenarios = all_selected(results, opts);
    doc.push(Block::Para(
        "Served is TEU delivered ÷ TEU created in the year: above 100% when boxes created in \
         earlier years are delivered as a backlog clears. Backlog: TEU held outside full yards."
            .into(),
    ));
    doc.push(throughput_table(results, &scenarios));
    doc.extend(cost_time_blocks(results, &scenarios));
    doc.extend(choice_blocks(results, &scenarios));
    doc.extend(spending_blocks(results, &scenarios));

    doc.push(Block::Heading(2, "Targets".into()));
    let targets: Vec<&TargetRecord> = results.targets.iter().collect();
    if targets.is_empty() {
        doc.push(Block::Para("No scenario of this run has targets.".into()));
    } else {
        let header = [
            "Scenario",
            "Target",
            "Measure",
            "Year",
            "Threshold",
            "Mean",
            "95% CI",
            "Met in the target year",
            "First reached (replications)",
        ]
        .map(String::from)
        .to_vec();
        let rows = targets
            .iter()
            .map(|t| {
                vec![
                    short_scenario_name(&t.scenario),
                    t.target.clone(),
                    measure(results, &t.scenario, t.metric, &t.subject),
                    t.year.to_string(),
                    format!("{} {}", op(&t.direction), value(t.metric, t.threshold)),
                    value(t.metric, t.mean),
                    interval(t.metric, t.ci95_low, t.ci95_high),
                    match t.n {
                        Some(n) if t.share_met.is_finite() => format!(
                            "{} of {n} ({})",
                            (t.share_met * n as f64).round(),
                            percent(t.share_met, 0)
                        ),
                        _ => percent(t.share_met, 0),
                    },
                    first_year(t),
                ]
            })
            .collect();
        doc.push(Block::Table(header, rows));
    }

    doc.push(Block::Heading(2, "Charts".into()));
    let pngs: Vec<&PathBuf> = charts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    if pngs.is_empty() {
        doc.push(Block::Para(
            "The results folder holds no data to chart.".into(),
        ));
    }
    for p in pngs {
        let name = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (title, caption) = caption(results, &name);
        doc.push(Block::Heading(3, title.clone()));
        doc.push(Block::Image(
            format!("{PLOTS_DIR}/{name}.png"),
            title,
            caption,
        ));
    }

    doc.push(Block::Heading(2, "Provenance".into()));
    doc.extend(provenance_blocks(summary, provenance));
    doc
}

fn caption(results: &Results, name: &str) -> (String, String) {
    let scenario = |prefix: &str| {
        let stem = name.strip_prefix(prefix).unwrap_or("");
        results
            .scenarios
            .iter()
            .find(|s| chart_file_stem(s) == stem)
            .cloned()
            .unwrap_or_else(|| stem.to_string())
    };
    match name {
        "throughput" => (
            "Throughput".into(),
            "Corridor TEU delivered per year, mean and 95% band per scenario; the thin line is \
             the demand (TEU created). Diamonds mark the TEU targets; a target on a flow or a \
             port sits against its own measure, the dashed line labelled with it."
                .into(),
        ),
        "transit-time" => (
            "Transit time".into(),
            "Days from creation to delivery: box from median to 95th percentile, diamond the \
             mean with its 95% interval."
                .into(),
        ),
        "sweep" => (
            "Sensitivity".into(),
            "The metric against the swept parameter, with 95% bands.".into(),
        ),
        "appraisal" => (
            "What each investment buys".into(),
            "Net present value of each named investment with its 95% interval: leaving it out \
             of the full plan (dark) and adding it alone to the plan without investments \
             (light), paired on the same seed."
                .into(),
        ),
        "comparison" => (
            "Difference from the baseline".into(),
            "Paired differences (scenario − baseline) with 95% intervals; an interval clear of \
             zero is an effect beyond simulation noise."
                .into(),
        ),
        n if n.starts_with("utilization-") => (
            format!("Utilization — {}", scenario("utilization-")),
            "Share of capacity in use per resource and year.".into(),
        ),
        n if n.starts_with("bottlenecks-") => (
            format!("Where containers wait — {}", scenario("bottlenecks-")),
            "Each place's share of all TEU-hours waited.".into(),
        ),
        n if n.starts_with("map-") => (
            format!("Map — {}", scenario("map-")),
            "Links by TEU carried (width) and utilization (colour), over Natural Earth \
             borders and coastlines (Lambert conformal conic); the Caucasus and the Caspian \
             enlarged below the overview."
                .into(),
        ),
        n => (n.to_string(), String::new()),
    }
}

fn json_str(v: &Value) -> String {
    match v {
        Value::Null => "n/a".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        other => other.to_string(),
    }
}

/// The `--precision` outcome of `summary.json`, as one sentence.
fn precision_fact(p: &Value) -> String {
    let g = |k: &str| p.get(k).map(json_str).unwrap_or_else(|| "n/a".into());
    let stages: Vec<String> = p
        .get("stages")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(json_str).collect())
        .unwrap_or_default();
    let imprecise = p.get("held").and_then(Value::as_array).map_or(0, |h| {
        h.iter()
            .filter(|x| x.get("precise") == Some(&Value::Bool(false)))
            .count()
    });
    let held = p.get("held").and_then(Value::as_array).map_or(0, Vec::len);
    let why = match p.get("stopped_because").and_then(Value::as_str) {
        Some("precision_reached") => format!("every held quantity ({held}) reached it"),
        Some("cap_reached") => format!(
            "the cap was reached with {imprecise} of {held} held quantities short of it (summary.json, \"precision\")"
        ),
        Some("more_replications_needed") => {
            format!("{imprecise} of {held} held quantities are short of it; continue with --resume")
        }
        _ => "n/a".to_string(),
    };
    format!(
        "Replications added until the 95% half-width is within {} of the mean (--precision, Law & Kelton's sequential procedure): {} used, in stages {}; {why}",
        p.get("relative_half_width")
            .and_then(Value::as_f64)
            .map_or_else(
                || "n/a".to_string(),
                |x| crate::output::plots::format::percent(x, if x < 0.01 { 2 } else { 1 })
            ),
        g("replications_used"),
        stages.join(" → ")
    )
}

fn provenance_blocks(summary: Option<&Value>, provenance: Option<&Value>) -> Vec<Block> {
    let mut out = Vec::new();
    let mut facts = Vec::new();
    let _ = provenance; // when and where the run went: provenance.json, not the report
    if let Some(v) = summary.and_then(|s| s.get("program_version")) {
        facts.push(format!("Program version: {}", json_str(v)));
        facts.push("When, where and how long it ran: provenance.json".to_string());
    }
    if let Some(p) = summary.and_then(|s| s.get("precision")) {
        facts.push(precision_fact(p));
    }
    if facts.is_empty() {
        out.push(Block::Para(
            "No summary.json or provenance.json in the folder: provenance unknown.".into(),
        ));
    } else {
        out.push(Block::Bullets(facts));
    }
    let scen = summary
        .and_then(|s| s.get("scenarios"))
        .and_then(Value::as_array);
    if let Some(list) = scen {
        let header = [
            "Scenario",
            "Seed",
            "Replications",
            "Scenario hash",
            "Conservation violations",
        ]
        .map(String::from)
        .to_vec();
        let rows = list
            .iter()
            .map(|s| {
                let g = |k: &str| s.get(k).map(json_str).unwrap_or_else(|| "n/a".into());
                vec![
                    g("scenario"),
                    g("seed"),
                    g("replications"),
                    g("scenario_hash"),
                    g("conservation_violations"),
                ]
            })
            .collect();
        out.push(Block::Table(header, rows));
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('\n', " ")
}

fn render_md(doc: &[Block]) -> String {
    let mut s = String::new();
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(s, "{} {t}\n", "#".repeat(*l as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(s, "{t}\n");
            }
            Block::Bullets(items) => {
                for i in items {
                    let _ = writeln!(s, "- {i}");
                }
                s.push('\n');
            }
            Block::Table(h, rows) => {
                let cells =
                    |r: &[String]| r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ");
                let _ = writeln!(s, "| {} |", cells(h));
                let _ = writeln!(s, "|{}", "---|".repeat(h.len()));
                for r in rows {
                    let _ = writeln!(s, "| {} |", cells(r));
                }
                s.push('\n');
            }
            Block::Image(path, alt, caption) => {
                let _ = writeln!(s, "![{alt}]({path})\n");
                if !caption.is_empty() {
                    let _ = writeln!(s, "*{caption}*\n");
                }
            }
        }
    }
    s
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Escapes text and turns `code` spans into <code>.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

const CSS: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:1200px;\
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.8em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}\
th,td{border:1px solid #ccc;padding:.35em .6em;text-align:left;vertical-align:top}\
th{background:#eef4f9}tr:nth-child(even) td{background:#fafafa}\
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #ddd}\
figcaption{color:#555;font-style:italic;margin-top:.3em}\
@media print{body{max-width:none}figure{page-break-inside:avoid}}";

fn render_html(doc: &[Block], dir: &Path) -> Result<String, PlotError> {
    let title = doc
        .iter()
        .find_map(|b| match b {
            Block::Heading(1, t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("Report");
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(title)
    );
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(s, "<h{l}>{}</h{l}>", inline(t));
            }
            Block::Para(t) => {
                let _ = writeln!(s, "<p>{}</p>", inline(t));
            }
            Block::Bullets(items) => {
                s.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(s, "<li>{}</li>", inline(i));
                }
                s.push_str("</ul>\n");
            }
            Block::Table(h, rows) => {
                s.push_str("<table>\n<thead><tr>");
                for c in h {
                    let _ = write!(s, "<th>{}</th>", inline(c));
                }
                s.push_str("</tr></thead>\n<tbody>\n");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        let _ = write!(s, "<td>{}</td>", inline(c));
                    }
                    s.push_str("</tr>\n");
                }
                s.push_str("</tbody>\n</table>\n");
            }
            Block::Image(path, alt, caption) => {
                let full = dir.join(path);
                let bytes = std::fs::read(&full).map_err(|e| ReadError {
                    path: full.clone(),
                    line: None,
                    message: e.to_string(),
                })?;
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                let _ = writeln!(
                    s,
                    "<figure><img alt=\"{}\" src=\"data:image/png;base64,{b64}\">\
                     <figcaption>{}</figcaption></figure>",
                    esc(alt),
                    inline(caption)
                );
            }
        }
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(esc("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        assert_eq!(inline("folder `x<y`"), "folder <code>x&lt;y</code>");
        assert_eq!(md_cell("base[a=1|2]"), "base[a=1\\|2]");
        assert_eq!(value(Metric::DeliveredTeu, 865_000.0), "865,000 TEU");
        assert_eq!(value(Metric::Utilization, 0.871), "87.1%");
    }

    fn row(
        scenario: &str,
        metric: Metric,
        kind: SubjectKind,
        subject: &str,
        mean: f64,
        n: i64,
    ) -> SummaryRecord {
        SummaryRecord {
            scenario: scenario.into(),
            year: 2030,
            metric,
            kind,
            subject: subject.into(),
            mean,
            sd: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
            n,
        }
    }

    fn folder(summary: Vec<SummaryRecord>) -> Results {
        Results::from_parts(
            Path::new("."),
            summary,
            vec![],
            vec![],
            None,
            vec![],
            vec![],
        )
    }

    #[test]
    fn stall_findings_quote_the_csv_rows() {
        let c = SubjectKind::Corridor;
        let mut rows = vec![
            row("s", Metric::CreatedTeu, c, "corridor", 1000.0, 20),
            row(
                "s",
                Metric::StallDays,
                SubjectKind::Node,
                "khorgos",
                301.4,
                12,
            ),
            row(
                "s",
                Metric::StallStartDay,
                SubjectKind::Node,
                "khorgos",
                63.7,
                12,
            ),
        ];
        let one = stall_sentence(&folder(rows.clone()), "s").unwrap();
        assert!(
            one.contains("khorgos in 2030 in 12 of 20 replications (301 days on average in those, starting on average on day 64, 5 March)"),
            "{one}"
        );
        // Four stalled places: three named, the fourth counted.
        for id in ["a-b", "b-c", "c-d"] {
            rows.push(row("s", Metric::StallDays, SubjectKind::Link, id, 40.0, 1));
        }
        let many = stall_sentence(&folder(rows.clone()), "s").unwrap();
        assert!(many.contains("1 more places and years"), "{many}");
        assert!(many.contains("the link "), "{many}");
        // No stall rows, no sentence.
        assert!(stall_sentence(&folder(rows[..1].to_vec()), "s").is_none());
        // A sweep (more than three scenarios): one sentence naming those with stalls.
        let mut sweep = Vec::new();
        for (i, stalls) in [true, false, true, false, false].into_iter().enumerate() {
            let s = format!("p{i}");
            sweep.push(row(&s, Metric::CreatedTeu, c, "corridor", 1000.0, 5));
            if stalls {
                sweep.push(row(
                    &s,
                    Metric::StallDays,
                    SubjectKind::Node,
                    "aktau",
                    35.0,
                    2,
                ));
            }
        }
        let f = findings(&folder(sweep), &PlotOptions::default());
        let st: Vec<&String> = f.iter().filter(|x| x.starts_with("Stalls")).collect();
        assert_eq!(st.len(), 1, "{f:?}");
        assert!(st[0].contains("in 2 of 5 scenarios (p0; p2)"), "{}", st[0]);
    }
}
