//! The sweep chart: one metric (default corridor `delivered_teu` in the last year) against
//! a swept parameter, with the 95% band, one line per combination of the other swept
//! parameters. Reads `sweep.csv` only; it must never run the sweep.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::PlotOptions;
use super::data::{Results, subject_matches};
use super::draw::{
    Chart as ChartTrait, DResult, MUTED, Swatch, draw_legend, draw_title, line_colour,
};
use super::format::tick;
use super::throughput::{LEGEND_W, Panel, Series, body, draw_panel};
use crate::metrics::{Metric, Range};

#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    /// The swept parameter path on the x axis.
    pub axis: String,
    /// The other swept parameters, short (`short_param`), in `sweep.csv` order.
    pub others: Vec<String>,
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
        .filter(|r| {
            r.metric.name() == metric.as_str()
                && subject_matches(subject, r.kind, &r.subject)
                && r.mean.is_finite()
        })
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
                } else if t.axes.len() == 2 {
                    // The legend's heading names the one other parameter; entries its values.
                    let v = r.values[1 - ax];
                    format!(
                        "= {}",
                        tick(v, 1e-6).trim_end_matches('0').trim_end_matches('.')
                    )
                } else {
                    t.axes
                        .iter()
                        .zip(&r.values)
                        .enumerate()
                        .filter(|(i, _)| *i != ax)
                        .map(|(_, (a, v))| {
                            format!(
                                "{}={}",
                                short_param(a),
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
    let others = t
        .axes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != ax)
        .map(|(_, a)| short_param(a))
        .collect();
    Some(SweepChart {
        others,
        axis: t.axes[ax].clone(),
        metric: metric.clone(),
        subject: subject.clone(),
        year,
        series,
    })
}

/// A swept parameter path shortened for legends and titles: the place and the field,
/// with the part before a generic field (`count`, `capacity_teu`, …) that says what is
/// counted. `nodes.aktau.berths` → `aktau berths`;
/// `links.aktau-alat.sea.fleet.kmtf-feeder.count` → `aktau-alat kmtf-feeder count`.
pub fn short_param(path: &str) -> String {
    // `timeline.<change>.<path>`: the parameter's short name, then the change that sets it
    // (change ids hold no dots in the bundled scenarios; the first segment is taken).
    if let Some((change, param)) = path
        .strip_prefix("timeline.")
        .and_then(|rest| rest.split_once('.'))
    {
        return format!("{} (set by {change})", short_param(param));
    }
    let parts: Vec<&str> = path.split('.').collect();
    if parts.len() < 3 || !matches!(parts[0], "nodes" | "links" | "flows" | "routes") {
        return path.to_string();
    }
    let place = parts[1];
    let last = parts[parts.len() - 1];
    const GENERIC: [&str; 6] = ["count", "capacity_teu", "share", "value", "rate", "scale"];
    if GENERIC.contains(&last) && parts.len() > 3 {
        format!("{place} {} {last}", parts[parts.len() - 2])
    } else {
        format!("{place} {last}")
    }
}

/// The axis title of a metric from the catalogue; the id as written otherwise.
fn metric_label(metric: &str) -> String {
    Metric::from_name(metric).map_or_else(|| metric.to_string(), |m| m.title().to_string())
}

/// The unit of a metric from the catalogue, as an axis says it.
fn unit(metric: &str) -> &'static str {
    match Metric::from_name(metric).map(|m| (m.info().unit, m.info().range)) {
        Some((_, Range::Share)) => "share",
        Some(("TEU·hours", _)) => "hours",
        Some((u, _)) => u,
        None => "",
    }
}

impl SweepChart {
    /// Every x value is a whole number, few enough to tick each one.
    pub fn integer_axis(&self) -> bool {
        let xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        !xs.is_empty() && xs.iter().all(|x| x.fract() == 0.0) && hi - lo <= 30.0
    }

    /// No grid point differs beyond simulation noise: the spread of the means is within
    /// the widest 95% half-interval (or below 0.1% when there are no intervals).
    pub fn is_flat(&self) -> bool {
        let pts: Vec<&(f64, f64, f64, f64)> =
            self.series.iter().flat_map(|s| s.points.iter()).collect();
        let (lo, hi) = pts
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        let half = pts
            .iter()
            .map(|p| (p.3 - p.2) / 2.0)
            .filter(|h| h.is_finite())
            .fold(0.0f64, f64::max);
        pts.len() > 1 && (hi - lo) <= half.max(1e-3 * hi.abs().max(lo.abs()))
    }
}

impl ChartTrait for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let what = format!(
            "{} of {} in {}",
            metric_label(&self.metric),
            self.subject,
            self.year
        );
        let flat = self.is_flat();
        let note = if flat {
            " — no grid point differs beyond simulation noise; `corridor plot DIR --metric …` draws another metric"
        } else {
            "; line: mean over replications, band: 95% confidence interval"
        };
        draw_title(
            root,
            &format!("Sensitivity to {}", short_param(&self.axis)),
            &format!("{what}{note}"),
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
                // An integer parameter (berths, vessels) gets integer ticks only.
                years: self.integer_axis(),
                error_bars: false,
                zero_line: false,
                y_from_zero: true,
                marks: &[],
                guides: &[],
            },
        )?;
        let heading = match self.others.as_slice() {
            [one] => one.clone(),
            _ => "Other parameters".to_string(),
        };
        let mut entries = vec![(Swatch::Heading, heading)];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_read_short() {
        assert_eq!(short_param("nodes.aktau.berths"), "aktau berths");
        assert_eq!(
            short_param("links.aktau-alat.sea.fleet.kmtf-feeder.count"),
            "aktau-alat kmtf-feeder count"
        );
        assert_eq!(short_param("run.replications"), "run.replications");
        assert_eq!(
            short_param("timeline.aktau-hub-phase-1.nodes.aktau.berths"),
            "aktau berths (set by aktau-hub-phase-1)"
        );
    }
}
