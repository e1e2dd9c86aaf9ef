//! The bottleneck chart of one scenario: each place's share of all TEU-hours waited
//! (`wait_teu_hours` of nodes and links) in two years, as horizontal bars, largest first.
//! Shares are of the summary's means; this module must never read replications.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, LABEL_SIZE, OrMsg, Swatch, TICK_SIZE,
    TITLE_BAND, draw_legend, draw_title, fit_text, font, nice_ticks, text, text_size,
};
use super::format::{compact, percent, thousands};
use super::throughput::{LEGEND_W, legend_note};
use super::{HEIGHT, WIDTH};
use crate::metrics::{Metric, Subject, SubjectKind};

/// Places beyond this many are summed into one "other" bar.
pub const MAX_BARS: usize = 12;

/// One place (or "other"): its share of all waiting (0–1) and its TEU-hours, per year of
/// `BottleneckChart::years` (NaN / 0 where the place recorded nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct BottleneckBar {
    pub subject: String,
    /// Node or link (the corridor for the "other places" bar).
    pub kind: SubjectKind,
    pub label: String,
    pub shares: Vec<f64>,
    pub teu_hours: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BottleneckChart {
    pub scenario: String,
    /// One or two years.
    pub years: Vec<i32>,
    /// Total TEU-hours waited per year.
    pub totals: Vec<f64>,
    /// Largest share in the last year first; "other" last.
    pub bars: Vec<BottleneckBar>,
}

/// Years that recorded positive waiting in `scenario`.
fn waiting_years(results: &Results, scenario: &str) -> Vec<i32> {
    let mut ys: Vec<i32> = results
        .summary
        .iter()
        .filter(|r| {
            r.scenario == scenario
                && r.metric == Metric::WaitTeuHours
                && r.kind != SubjectKind::Corridor
        })
        .map(|r| r.year)
        .collect();
    ys.sort_unstable();
    ys.dedup();
    ys
}

/// The chart of `scenario`: in `years` if given (each kept if recorded), otherwise 2028
/// and 2040 when both are recorded, otherwise the first and last year recorded. `None`
/// when the scenario recorded no waiting.
pub fn bottleneck_series(
    results: &Results,
    scenario: &str,
    years: Option<(i32, i32)>,
) -> Option<BottleneckChart> {
    let recorded = waiting_years(results, scenario);
    let (first, last) = (*recorded.first()?, *recorded.last()?);
    let mut chosen: Vec<i32> = match years {
        Some((a, b)) => [a, b]
            .into_iter()
            .filter(|y| recorded.contains(y))
            .collect(),
        None if recorded.contains(&2028) && recorded.contains(&2040) => vec![2028, 2040],
        None => vec![first, last],
    };
    chosen.dedup();
    if chosen.is_empty() {
        return None;
    }
    let subjects: Vec<Subject> = results
        .subjects(scenario, Metric::WaitTeuHours)
        .into_iter()
        .filter(|s| s.kind != SubjectKind::Corridor)
        .collect();
    let value = |s: &Subject, y: i32| {
        results
            .get(scenario, Metric::WaitTeuHours, s, y)
            .map_or(0.0, |r| r.mean.max(0.0))
    };
    let totals: Vec<f64> = chosen
        .iter()
        .map(|&y| subjects.iter().map(|s| value(s, y)).sum())
        .collect();
    if totals.iter().all(|t| *t <= 0.0) {
        return None;
    }
    let share = |v: f64, t: f64| if t > 0.0 { v / t } else { f64::NAN };
    let mut bars: Vec<BottleneckBar> = subjects
        .iter()
        .map(|s| {
            let teu_hours: Vec<f64> = chosen.iter().map(|&y| value(s, y)).collect();
            BottleneckBar {
                subject: s.id.clone(),
                kind: s.kind,
                label: results.place_name(scenario, &s.id),
                shares: teu_hours
                    .iter()
                    .zip(&totals)
                    .map(|(v, t)| share(*v, *t))
                    .collect(),
                teu_hours,
            }
        })
        .filter(|b| b.teu_hours.iter().any(|v| *v > 0.0))
        .collect();
    let key = |b: &BottleneckBar| {
        let last = b.shares.last().copied().unwrap_or(0.0);
        let first = b.shares.first().copied().unwrap_or(0.0);
        (
            if last.is_nan() { 0.0 } else { last },
            if first.is_nan() { 0.0 } else { first },
        )
    };
    bars.sort_by(|a, b| {
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.subject.cmp(&b.subject))
    });
    if bars.len() > MAX_BARS {
        let rest = bars.split_off(MAX_BARS - 1);
        let teu_hours: Vec<f64> = (0..chosen.len())
            .map(|i| rest.iter().map(|b| b.teu_hours[i]).sum())
            .collect();
        bars.push(BottleneckBar {
            subject: String::new(),
            kind: SubjectKind::Corridor,
            label: format!("other ({} places)", rest.len()),
            shares: teu_hours
                .iter()
                .zip(&totals)
                .map(|(v, t)| share(*v, *t))
                .collect(),
            teu_hours,
        });
    }
    Some(BottleneckChart {
        scenario: scenario.to_string(),
        years: chosen,
        totals,
        bars,
    })
}

const YEAR_COLOURS: [RGBColor; 2] = [RGBColor(0x56, 0xB4, 0xE9), RGBColor(0x00, 0x4F, 0x7C)];

impl ChartTrait for BottleneckChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        draw_title(
            root,
            &format!(
                "Where containers wait — {}",
                short_scenario_name(&self.scenario)
            ),
            "Share of all TEU-hours waited in the corridor, by place: outside full yards, for \
             cranes, in customs dwell, and for a train or vessel",
        )?;
        let nrows = self.bars.len().max(1) as i32;
        let ny = self.years.len().max(1) as i32;
        let top = TITLE_BAND + 30;
        let bottom = HEIGHT as i32 - 100;
        let right = WIDTH as i32 - LEGEND_W - 30;
        let row_h = ((bottom - top) / nrows).min(80);
        let lf = font(if row_h >= 36 { 22.0 } else { 18.0 });
        let max_label = self
            .bars
            .iter()
            .map(|b| text_size(root, &b.label, &lf).0)
            .max()
            .unwrap_or(0);
        let left = (max_label + 40).clamp(180, 520);
        let max_share = self
            .bars
            .iter()
            .flat_map(|b| b.shares.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        // Ticks stop at the data (never past 100%); the scale leaves room right of the
        // longest bar for its "share · TEU-hours" label.
        let ticks = nice_ticks(0.0, (max_share * 1.12).clamp(0.01, 1.0), 6);
        let x_max = ticks.last().copied().unwrap_or(1.0).max(max_share * 1.4);
        let x_of = |s: f64| left + ((s / x_max) * (right - left) as f64).round() as i32;
        let grid_bottom = top + row_h * nrows;

        for t in &ticks {
            let x = x_of(*t);
            root.draw(&PathElement::new(
                vec![(x, top - 6), (x, grid_bottom)],
                GRID.stroke_width(1),
            ))
            .m()?;
            root.draw(&Text::new(
                percent(
                    *t,
                    if ticks.len() > 1 && ticks[1] - ticks[0] < 0.01 {
                        1
                    } else {
                        0
                    },
                ),
                (x, grid_bottom + 10),
                text(TICK_SIZE, INK, HPos::Center, VPos::Top),
            ))
            .m()?;
        }
        root.draw(&PathElement::new(
            vec![(left, top - 6), (left, grid_bottom)],
            INK.stroke_width(2),
        ))
        .m()?;
        root.draw(&Text::new(
            "Share of all waiting, % of TEU-hours".to_string(),
            ((left + right) / 2, grid_bottom + 46),
            text(AXIS_DESC_SIZE, INK, HPos::Center, VPos::Top),
        ))
        .m()?;

        let bar_h = ((row_h - 12) / ny).clamp(4, 30);
        let vf = font(LABEL_SIZE.min(bar_h as f64 * 0.9).max(12.0));
        for (ri, b) in self.bars.iter().enumerate() {
            let y = top + ri as i32 * row_h;
            let group_h = bar_h * ny;
            let y0 = y + (row_h - group_h) / 2;
            let label = fit_text(root, &b.label, &lf, left - 24);
            root.draw(&Text::new(
                label,
                (left - 12, y + row_h / 2),
                lf.clone()
                    .color(&INK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .m()?;
            for (k, s) in b.shares.iter().enumerate() {
                let by = y0 + k as i32 * bar_h;
                let c = YEAR_COLOURS[(k + 2 - self.years.len().min(2)) % 2];
                let w = if s.is_finite() { x_of(*s) } else { left };
                root.draw(&Rectangle::new(
                    [(left, by + 1), (w.max(left + 1), by + bar_h - 1)],
                    c.filled(),
                ))
                .m()?;
                if bar_h >= 12 {
                    // The absolute amount beside the share: a share can fall while the
                    // waiting it stands for grows (everything else grew faster).
                    let amount = b
                        .teu_hours
                        .get(k)
                        .filter(|h| h.is_finite())
                        .map(|h| format!(" · {} TEU-h", compact(*h)))
                        .unwrap_or_default();
                    root.draw(&Text::new(
                        format!("{}{amount}", percent(*s, if *s < 0.0995 { 1 } else { 0 })),
                        (w + 8, by + bar_h / 2),
                        vf.clone()
                            .color(&INK)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .m()?;
                }
            }
        }

        let x = WIDTH as i32 - LEGEND_W + 10;
        let mut entries = vec![(Swatch::Heading, "Year".to_string())];
        for (k, y) in self.years.iter().enumerate() {
            let c = YEAR_COLOURS[(k + 2 - self.years.len().min(2)) % 2];
            entries.push((Swatch::Width(c, 18), y.to_string()));
        }
        let y = draw_legend(root, (x, TITLE_BAND + 30), LEGEND_W - 30, &entries)?;
        let mut totals = vec![(Swatch::Heading, "Total waiting".to_string())];
        for (y, t) in self.years.iter().zip(&self.totals) {
            totals.push((Swatch::Text, format!("{y}: {} TEU-h", thousands(*t, 0))));
        }
        draw_legend(root, (x, y + 20), LEGEND_W - 30, &totals)?;
        legend_note(
            root,
            &[
                "TEU-hours: each TEU waiting",
                "one hour counts one.",
                "Means over replications.",
            ],
        )
    }
}
