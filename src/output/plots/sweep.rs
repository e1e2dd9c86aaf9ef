//! The sweep chart: one metric (default corridor `delivered_teu` in the last year) against
//! a swept parameter, with the 95% band, one line per combination of the other swept
//! parameters. Reads `sweep.csv` only; it must never run the sweep.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::PlotOptions;
use super::data::Results;
use super::draw::{
    Chart as ChartTrait, DResult, MUTED, Swatch, draw_legend, draw_title, line_colour,
};
use super::format::tick;
use super::throughput::{LEGEND_W, Panel, Series, body, draw_panel};

#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// The swept parameter path on the x axis.
    pub axis: String,
    pub metric: String,
    pub subject: String,
    pub year: i32,
    /// One line per combination of the other swept parameters (label "path=value, …", or
    /// "all points" when only one parameter is swept); points sorted by x.
    pub series: Vec<Series>,
}

/// The sweep chart's data, or `None` without `sweep.csv` or without rows for the metric.
pub fn sweep_series(results: &Results, opts: &PlotOptions) -> Option<SweepChart> {
    let t = results.sweep.as_ref()?;
    if t.axes.is_empty() {
        return None;
    }
    let ax = opts
        .sweep_axis
        .as_ref()
        .and_then(|a| t.axes.iter().position(|x| x == a))
        .unwrap_or(0);
    let (metric, subject) = (&opts.sweep_metric, &opts.sweep_subject);
    let rows: Vec<_> = t
        .rows
        .iter()
        .filter(|r| &r.metric == metric && &r.subject == subject && r.mean.is_finite())
        .collect();
    let year = match opts.sweep_year {
        Some(y) => y,
        None => rows.iter().map(|r| r.year).max()?,
    };
    let mut groups: Vec<(Vec<u64>, Series)> = Vec::new();
    for r in rows.iter().filter(|r| r.year == year) {
        let Some(&x) = r.values.get(ax) else { continue };
        let key: Vec<u64> = r
            .values
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != ax)
            .map(|(_, v)| v.to_bits())
            .collect();
        let idx = match groups.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let label = if t.axes.len() == 1 {
                    "all points".to_string()
                } else {
                    t.axes
                        .iter()
                        .zip(&r.values)
                        .enumerate()
                        .filter(|(i, _)| *i != ax)
                        .map(|(_, (a, v))| {
                            format!(
                                "{a}={}",
                                tick(*v, 1e-6).trim_end_matches('0').trim_end_matches('.')
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                groups.push((
                    key,
                    Series {
                        label,
                        points: Vec::new(),
                    },
                ));
                groups.len() - 1
            }
        };
        groups[idx]
            .1
            .points
            .push((x, r.mean, r.ci95_low, r.ci95_high));
    }
    if groups.is_empty() {
        return None;
    }
    let series = groups
        .into_iter()
        .map(|(_, mut s)| {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            s
        })
        .collect();
    Some(SweepChart {
        axis: t.axes[ax].clone(),
        metric: metric.clone(),
        subject: subject.clone(),
        year,
        series,
    })
}

/// A readable name for the metrics planners ask about most; the id otherwise.
fn metric_label(metric: &str) -> String {
    match metric {
        "delivered_teu" => "Delivered TEU".into(),
        "created_teu" => "TEU entering the corridor".into(),
        "handled_teu" => "Handled TEU".into(),
        "carried_teu" => "Carried TEU".into(),
        "transit_days_mean" => "Mean transit time".into(),
        "transit_days_p50" => "Median transit time".into(),
        "transit_days_p95" => "95th percentile transit time".into(),
        "backlog_teu" => "Backlog, TEU".into(),
        "utilization" => "Utilization".into(),
        "wait_teu_hours" => "TEU-hours waited".into(),
        other => other.to_string(),
    }
}

fn unit(metric: &str) -> &'static str {
    if metric.ends_with("_teu") {
        "TEU"
    } else if metric.starts_with("transit_days") {
        "days"
    } else if metric.contains("hours") {
        "hours"
    } else if metric.contains("utilization") || metric.contains("factor") {
        "share"
    } else {
        ""
    }
}

impl ChartTrait for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let what = format!("{} of {} in {}", self.metric, self.subject, self.year);
        draw_title(
            root,
            &format!("Sensitivity to {}", self.axis),
            &format!("{what}; line: mean over replications, band: 95% confidence interval"),
        )?;
        let (plot, legend) = body(root);
        let u = unit(&self.metric);
        let name = metric_label(&self.metric);
        let y_desc = if u.is_empty() || name.ends_with(u) {
            format!("{name} in {}", self.year)
        } else {
            format!("{name} in {}, {u}", self.year)
        };
        draw_panel(
            root,
            &plot,
            &Panel {
                x_desc: &self.axis,
                y_desc: &y_desc,
                series: &self.series,
                years: false,
                error_bars: false,
                zero_line: false,
                y_from_zero: true,
                marks: &[],
                guides: &[],
            },
        )?;
        let mut entries = vec![(Swatch::Heading, "Other parameters".to_string())];
        entries.extend(
            self.series
                .iter()
                .enumerate()
                .map(|(i, s)| (Swatch::Line(line_colour(i), i), s.label.clone())),
        );
        entries.push((Swatch::Band(MUTED), "95% CI of the mean".to_string()));
        let (x, y) = legend.get_base_pixel();
        draw_legend(root, (x + 10, y + 20), LEGEND_W - 30, &entries)?;
        Ok(())
    }
}
