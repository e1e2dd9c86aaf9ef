//! The comparison chart: paired differences (scenario − baseline) of corridor
//! `delivered_teu` and `transit_days_mean` per year, with their 95% intervals and a zero
//! line. Reads `comparison.csv` only; the pairing was done by the analysis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Results, short_scenario_name};
use super::draw::{
    Chart as ChartTrait, DResult, INK, Swatch, draw_legend, draw_title, line_colour,
};
use super::throughput::{LEGEND_W, Panel, Series, body, draw_panel, legend_note};
use crate::metrics::{Metric, SubjectKind};

/// One panel: the differences of one metric, one series per compared scenario
/// (points: year, mean_diff, ci95_low, ci95_high).
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonPanel {
    pub metric: String,
    pub subject: String,
    pub baseline: String,
    pub y_desc: String,
    pub series: Vec<Series>,
}

/// Panels for corridor `delivered_teu` and `transit_days_mean` (those with rows), each
/// with one series per `scenario_b`, in file order.
pub fn comparison_series(results: &Results) -> Vec<ComparisonPanel> {
    let mut panels = Vec::new();
    for (metric, y_desc) in [
        (Metric::DeliveredTeu, "Δ delivered TEU per year"),
        (Metric::TransitDaysMean, "Δ mean transit time, days"),
    ] {
        let rows: Vec<_> = results
            .comparison
            .iter()
            .filter(|r| {
                r.metric == metric && r.kind == SubjectKind::Corridor && r.mean_diff.is_finite()
            })
            .collect();
        let Some(first) = rows.first() else { continue };
        let mut series: Vec<Series> = Vec::new();
        for r in &rows {
            let label = if r.scenario_a == first.scenario_a {
                r.scenario_b.clone()
            } else {
                format!("{} vs {}", r.scenario_b, r.scenario_a)
            };
            let i = match series.iter().position(|s| s.label == label) {
                Some(i) => i,
                None => {
                    series.push(Series {
                        label,
                        points: Vec::new(),
                    });
                    series.len() - 1
                }
            };
            series[i]
                .points
                .push((r.year as f64, r.mean_diff, r.ci95_low, r.ci95_high));
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        panels.push(ComparisonPanel {
            metric: metric.to_string(),
            subject: "corridor".to_string(),
            baseline: first.scenario_a.clone(),
            y_desc: y_desc.to_string(),
            series,
        });
    }
    panels
}

pub(crate) struct Chart {
    pub panels: Vec<ComparisonPanel>,
}

impl ChartTrait for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let baseline = self.panels.first().map_or("", |p| p.baseline.as_str());
        draw_title(
            root,
            &format!("Scenarios compared with the baseline “{baseline}”"),
            "Scenario minus baseline, replication by replication (common random numbers): mean \
             difference and its 95% confidence interval",
        )?;
        let (plot, legend) = body(root);
        let parts = plot.split_evenly((self.panels.len().max(1), 1));
        let last = self.panels.len().saturating_sub(1);
        for (i, (p, area)) in self.panels.iter().zip(&parts).enumerate() {
            draw_panel(
                root,
                area,
                &Panel {
                    x_desc: if i == last { "Year" } else { "" },
                    y_desc: &p.y_desc,
                    series: &p.series,
                    years: true,
                    error_bars: true,
                    zero_line: true,
                    y_from_zero: false,
                    marks: &[],
                    guides: &[],
                },
            )?;
        }
        let labels: Vec<String> = self
            .panels
            .iter()
            .flat_map(|p| p.series.iter().map(|s| s.label.clone()))
            .fold(Vec::new(), |mut v, l| {
                if !v.contains(&l) {
                    v.push(l);
                }
                v
            });
        let mut entries = vec![(Swatch::Heading, "Scenario".to_string())];
        entries.extend(
            labels
                .iter()
                .enumerate()
                .map(|(i, l)| (Swatch::Line(line_colour(i), i), short_scenario_name(l))),
        );
        entries.push((
            Swatch::Width(INK, 1),
            "dashed: zero, no difference".to_string(),
        ));
        let (x, y) = legend.get_base_pixel();
        draw_legend(root, (x + 10, y + 20), LEGEND_W - 30, &entries)?;
        legend_note(
            root,
            &[
                "Whiskers: 95% CI of the",
                "paired difference. A whisker",
                "clear of zero: a real effect.",
            ],
        )
    }
}
