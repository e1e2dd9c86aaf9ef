//! The transit-time charts: per year and scenario, a box from the median to the 95th
//! percentile of transit days and the mean with its 95% interval, for the corridor as a
//! whole (`transit-time`) and for each flow in its own panel (`transit-flows`). It draws the
//! summary's numbers as they are and must never compute statistics of its own.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, LEGEND_SIZE, OrMsg, Swatch, TICK_SIZE,
    bold, draw_legend, draw_marker, draw_title, fit_text, font, line_colour, nice_max, nice_ticks,
    text,
};
use super::format::{thousands, tick};
use super::throughput::{LEGEND_W, body, legend_note, min_max};
use crate::metrics::{Metric, Subject, SubjectKind};
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One year of one scenario; NaN where the summary has no value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransitPoint {
    pub year: i32,
    /// Means over replications of each replication's median and 95th percentile.
    pub p50: f64,
    pub p95: f64,
    pub mean: f64,
    pub mean_ci95_low: f64,
    pub mean_ci95_high: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransitSeries {
    pub scenario: String,
    pub points: Vec<TransitPoint>,
}

/// Corridor transit days per year (`transit_days_p50`, `transit_days_p95`,
/// `transit_days_mean` and its interval) for each scenario that recorded any of them.
pub fn transit_series(results: &Results, scenarios: &[String]) -> Vec<TransitSeries> {
    scenarios
        .iter()
        .filter_map(|s| subject_transit(results, s, &Subject::corridor()))
        .collect()
}

/// The transit of one flow (one origin–destination demand), per scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowTransit {
    /// The flow's id in `summary.csv` (`subject_kind = flow`).
    pub flow: String,
    /// One series per scenario that recorded the flow's transit.
    pub series: Vec<TransitSeries>,
}

/// At most this many flows get a panel of the per-flow transit chart (the rest are named
/// in its subtitle).
pub const MAX_FLOW_PANELS: usize = 4;

/// Transit days per year of each flow (`subject_kind = flow`, the same metrics as the
/// corridor's), flows in first-seen order across the scenarios.
pub fn flow_transit_series(results: &Results, scenarios: &[String]) -> Vec<FlowTransit> {
    let mut flows: Vec<String> = Vec::new();
    for s in scenarios {
        for m in [
            Metric::TransitDaysMean,
            Metric::TransitDaysP50,
            Metric::TransitDaysP95,
        ] {
            for sub in results.subjects(s, m) {
                if sub.kind == SubjectKind::Flow && !flows.contains(&sub.id) {
                    flows.push(sub.id);
                }
            }
        }
    }
    flows
        .into_iter()
        .map(|f| {
            let subject = Subject::new(SubjectKind::Flow, f.clone());
            FlowTransit {
                series: scenarios
                    .iter()
                    .filter_map(|s| subject_transit(results, s, &subject))
                    .collect(),
                flow: f,
            }
        })
        .filter(|f| !f.series.is_empty())
        .collect()
}

/// The transit series of one subject in one scenario; `None` when it recorded none.
fn subject_transit(results: &Results, s: &str, subject: &Subject) -> Option<TransitSeries> {
    let mut years: Vec<i32> = [
        Metric::TransitDaysP50,
        Metric::TransitDaysP95,
        Metric::TransitDaysMean,
    ]
    .into_iter()
    .flat_map(|m| results.series(s, m, subject))
    .map(|r| r.year)
    .collect();
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        return None;
    }
    let v = |m: Metric, y: i32| results.get(s, m, subject, y);
    let points = years
        .into_iter()
        .map(|y| {
            let mean = v(Metric::TransitDaysMean, y);
            TransitPoint {
                year: y,
                p50: v(Metric::TransitDaysP50, y).map_or(f64::NAN, |r| r.mean),
                p95: v(Metric::TransitDaysP95, y).map_or(f64::NAN, |r| r.mean),
                mean: mean.map_or(f64::NAN, |r| r.mean),
                mean_ci95_low: mean.map_or(f64::NAN, |r| r.ci95_low),
                mean_ci95_high: mean.map_or(f64::NAN, |r| r.ci95_high),
            }
        })
        .collect();
    Some(TransitSeries {
        scenario: s.to_string(),
        points,
    })
}

/// The transit chart's y axis: linear from zero, or logarithmic (base 10) when the values
/// span more than a factor of 30, as when one scenario's boxes take 15 days and another's
/// 4,000: on a linear axis the short ones would be squashed onto zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct YScale {
    pub log: bool,
    /// Axis range: days when linear, log10(days) when logarithmic.
    pub range: (f64, f64),
    /// Tick step of the linear axis.
    pub linear_step: f64,
}

/// Days below this are drawn at it on a log axis (a zero-day transit has no logarithm).
const LOG_FLOOR_DAYS: f64 = 0.1;

impl YScale {
    pub fn for_values(vals: &[f64]) -> YScale {
        let positive: Vec<f64> = vals
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let hi = min_max(vals).map_or(1.0, |m| m.1);
        if let Some((lo, top)) = min_max(&positive) {
            if top / lo > 30.0 {
                let lo = lo.max(LOG_FLOOR_DAYS);
                return YScale {
                    log: true,
                    range: (lo.log10().floor(), top.log10().ceil()),
                    linear_step: f64::NAN,
                };
            }
        }
        let y1 = nice_max(hi);
        let ticks = nice_ticks(0.0, y1, 8);
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        YScale {
            log: false,
            range: (0.0, y1),
            linear_step: step,
        }
    }

    /// A value in days as an axis coordinate.
    pub fn axis_of(self, days: f64) -> f64 {
        if self.log {
            days.max(LOG_FLOOR_DAYS).log10()
        } else {
            days
        }
    }

    /// 1, 2, 5 × 10^k days within the log range.
    pub fn log_ticks(&self) -> Vec<f64> {
        let (a, b) = self.range;
        let mut out = Vec::new();
        let mut k = a.floor() as i32;
        while f64::from(k) <= b {
            for m in [1.0, 2.0, 5.0] {
                let t = m * 10f64.powi(k);
                if t.log10() >= a - 1e-9 && t.log10() <= b + 1e-9 {
                    out.push(t);
                }
            }
            k += 1;
        }
        out
    }
}

pub(crate) struct Chart {
    pub series: Vec<TransitSeries>,
    pub hidden: usize,
}

/// Every value a set of series draws (for the shared y scale).
fn values(series: &[TransitSeries]) -> Vec<f64> {
    series
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .flat_map(|p| [p.p50, p.p95, p.mean, p.mean_ci95_low, p.mean_ci95_high])
        })
        .collect()
}

/// One panel of boxes per year and scenario, on `scale`; `title` above it when given.
/// Scenario colours follow `colour_of` (the scenario's index in the legend).
fn draw_boxes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    series: &[TransitSeries],
    scale: YScale,
    title: Option<&str>,
    colour_of: &dyn Fn(&str) -> RGBColor,
) -> DResult {
    let years: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.year as f64))
        .collect();
    let (x0, x1) = min_max(&years).unwrap_or((0.0, 1.0));
    let (x0, x1) = (x0 - 0.5, x1 + 0.5);
    let (y0, y1) = scale.range;
    let step = scale.linear_step;
    let small = title.is_some();
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(if small { 44 } else { 16 })
        .margin_right(if small { 14 } else { 40 })
        .margin_left(10)
        .margin_bottom(10)
        .x_label_area_size(70)
        .y_label_area_size(if small { 110 } else { 150 });
    let mut chart = builder.build_cartesian_2d(x0..x1, y0..y1).m()?;
    let x_fmt = |x: &f64| format!("{:.0}", x);
    let y_fmt = move |y: &f64| tick(*y, step);
    let log = scale.log;
    let fy = |v: f64| scale.axis_of(v);
    let span = (x1 - x0).round() as usize;
    chart
        .configure_mesh()
        .x_desc("Year")
        .y_desc(if log {
            "Transit time, days (logarithmic scale)"
        } else {
            "Transit time, days"
        })
        .axis_desc_style(font(AXIS_DESC_SIZE).color(&INK))
        .label_style(font(TICK_SIZE).color(&INK))
        .x_labels(if small {
            span.clamp(2, 5)
        } else {
            span.clamp(2, 17)
        })
        .y_labels(if log { 0 } else { 8 })
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .axis_style(INK.stroke_width(2))
        .draw()
        .m()?;
    if let Some(t) = title {
        let (px, py) = chart.plotting_area().get_pixel_range();
        let f = bold(LEGEND_SIZE);
        let t = fit_text(root, t, &f, px.end - px.start);
        root.draw(&Text::new(
            t,
            (px.start, py.start - 12),
            f.color(&INK).pos(Pos::new(HPos::Left, VPos::Bottom)),
        ))
        .m()?;
    }

    if log {
        // Plotters places ticks evenly on the axis; on a log axis the readable ticks are
        // 1, 2, 5, 10, 20, 50 … days, drawn here with their grid lines.
        let (px, _) = chart.plotting_area().get_pixel_range();
        for t in scale.log_ticks() {
            let (_, y) = chart.backend_coord(&(x0, fy(t)));
            root.draw(&PathElement::new(
                vec![(px.start, y), (px.end, y)],
                GRID.stroke_width(1),
            ))
            .m()?;
            // Below one day the tick needs its decimals (0.5, 0.2, 0.05), never "0".
            let decimals = if t < 1.0 {
                (-t.log10()).ceil().max(1.0) as usize
            } else {
                0
            };
            root.draw(&Text::new(
                thousands(t, decimals),
                (px.start - 10, y),
                text(TICK_SIZE, INK, HPos::Right, VPos::Center),
            ))
            .m()?;
        }
    }
    let n = series.len().max(1);
    let slot = 0.8 / n as f64;
    let half = (slot * 0.38).min(0.2);
    for (i, s) in series.iter().enumerate() {
        let c = colour_of(&s.scenario);
        let d = (i as f64 - (n - 1) as f64 / 2.0) * slot;
        for p in &s.points {
            let x = p.year as f64 + d;
            if p.p50.is_finite() && p.p95.is_finite() {
                let a = chart.backend_coord(&(x - half, fy(p.p95)));
                let b = chart.backend_coord(&(x + half, fy(p.p50)));
                root.draw(&Rectangle::new([a, b], c.mix(0.25).filled()))
                    .m()?;
                root.draw(&Rectangle::new([a, b], c.stroke_width(2))).m()?;
            }
            if p.p50.is_finite() {
                let a = chart.backend_coord(&(x - half, fy(p.p50)));
                let b = chart.backend_coord(&(x + half, fy(p.p50)));
                root.draw(&PathElement::new(vec![a, b], c.stroke_width(4)))
                    .m()?;
            }
            if p.mean_ci95_low.is_finite() && p.mean_ci95_high.is_finite() {
                // A whisker beyond the axis (a lower bound at or below zero on a log axis)
                // stops at the axis, without its cap.
                let (lo, hi) = (fy(p.mean_ci95_low), fy(p.mean_ci95_high));
                let a = chart.backend_coord(&(x, lo.clamp(y0, y1)));
                let b = chart.backend_coord(&(x, hi.clamp(y0, y1)));
                root.draw(&PathElement::new(vec![a, b], INK.stroke_width(2)))
                    .m()?;
                let capped = [(a, lo >= y0 && lo <= y1), (b, hi >= y0 && hi <= y1)];
                for e in capped.iter().filter(|c| c.1).map(|c| c.0) {
                    root.draw(&PathElement::new(
                        vec![(e.0 - 5, e.1), (e.0 + 5, e.1)],
                        INK.stroke_width(2),
                    ))
                    .m()?;
                }
            }
            if p.mean.is_finite() {
                draw_marker(root, chart.backend_coord(&(x, fy(p.mean))), 3, INK, 6)?;
                draw_marker(root, chart.backend_coord(&(x, fy(p.mean))), 3, c, 4)?;
            }
        }
    }
    Ok(())
}

/// The legend of both transit charts: scenarios, how to read a box, the note.
fn transit_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    legend: &DrawingArea<DB, Shift>,
    scenarios: &[String],
) -> DResult {
    let mut entries = vec![(Swatch::Heading, "Scenario".to_string())];
    entries.extend(
        scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| (Swatch::Box(line_colour(i)), short_scenario_name(s))),
    );
    let (x, y) = legend.get_base_pixel();
    let y = draw_legend(root, (x + 10, y + 20), LEGEND_W - 30, &entries)?;
    draw_legend(
        root,
        (x + 10, y + 16),
        LEGEND_W - 30,
        &[
            (Swatch::Heading, "Reading a box".to_string()),
            (Swatch::Box(INK), "median (bar) to 95th pct.".to_string()),
            (Swatch::Marker(INK, 3), "mean, with 95% CI".to_string()),
        ],
    )?;
    legend_note(
        root,
        &[
            "Percentiles: each replication's",
            "median and 95th percentile,",
            "averaged over replications.",
        ],
    )
}

impl ChartTrait for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let mut subtitle = "Corridor, days from creation to delivery of containers delivered \
                            that year; means over replications"
            .to_string();
        if self.hidden > 0 {
            subtitle.push_str(&format!(" ({} more scenarios not shown)", self.hidden));
        }
        let (plot, legend) = body(root);
        let scale = YScale::for_values(&values(&self.series));
        if scale.log {
            subtitle.push_str("; logarithmic axis: the times differ by more than a factor of 30");
        }
        draw_title(root, "Transit time through the corridor", &subtitle)?;
        let names: Vec<String> = self.series.iter().map(|s| s.scenario.clone()).collect();
        let colour_of = |s: &str| line_colour(names.iter().position(|n| n == s).unwrap_or(0));
        draw_boxes(root, &plot, &self.series, scale, None, &colour_of)?;
        transit_legend(root, &legend, &names)
    }
}

/// The per-flow transit chart: one panel per flow, the corridor chart's boxes in each, on
/// one shared y axis (logarithmic by the same rule).
pub(crate) struct FlowChart {
    pub flows: Vec<FlowTransit>,
    /// Scenarios in legend order (colours as in the corridor chart).
    pub scenarios: Vec<String>,
    pub hidden: usize,
}

impl ChartTrait for FlowChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let shown = &self.flows[..self.flows.len().min(MAX_FLOW_PANELS)];
        let mut subtitle = "Per flow (origin to destination), days from creation to delivery \
                            of the flow's containers delivered that year; means over replications"
            .to_string();
        if self.flows.len() > shown.len() {
            let rest: Vec<&str> = self.flows[shown.len()..]
                .iter()
                .map(|f| f.flow.as_str())
                .collect();
            subtitle.push_str(&format!("; not shown: {}", rest.join(", ")));
        }
        if self.hidden > 0 {
            subtitle.push_str(&format!(" ({} more scenarios not shown)", self.hidden));
        }
        let all: Vec<TransitSeries> = shown.iter().flat_map(|f| f.series.clone()).collect();
        let scale = YScale::for_values(&values(&all));
        if scale.log {
            subtitle.push_str("; logarithmic axis");
        }
        draw_title(root, "Transit time per flow", &subtitle)?;
        let (plot, legend) = body(root);
        let colour_of =
            |s: &str| line_colour(self.scenarios.iter().position(|n| n == s).unwrap_or(0));
        let panels = plot.split_evenly((1, shown.len().max(1)));
        for (f, area) in shown.iter().zip(panels.iter()) {
            draw_boxes(
                root,
                area,
                &f.series,
                scale,
                Some(&format!("Flow {}", f.flow)),
                &colour_of,
            )?;
        }
        transit_legend(root, &legend, &self.scenarios)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_only_when_times_differ_thirtyfold() {
        let lin = YScale::for_values(&[15.0, 22.0, 40.0]);
        assert!(!lin.log);
        assert_eq!(lin.range.0, 0.0);
        let log = YScale::for_values(&[15.0, 22.0, 3_650.0, f64::NAN]);
        assert!(log.log);
        assert_eq!(log.range, (1.0, 4.0));
        assert_eq!(log.log_ticks()[..4], [10.0, 20.0, 50.0, 100.0]);
        assert_eq!(log.axis_of(100.0), 2.0);
        assert_eq!(log.axis_of(0.0), LOG_FLOOR_DAYS.log10());
    }
}
