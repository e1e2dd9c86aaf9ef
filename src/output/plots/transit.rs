//! The transit-time chart: per year and scenario, a box from the median to the 95th
//! percentile of corridor transit days and the mean with its 95% interval. It draws the
//! summary's numbers as they are and must never compute statistics of its own.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, OrMsg, Swatch, TICK_SIZE, draw_legend,
    draw_marker, draw_title, font, line_colour, nice_max, nice_ticks, text,
};
use super::format::{thousands, tick};
use super::throughput::{LEGEND_W, body, legend_note, min_max};
use crate::metrics::{Metric, Subject};
use plotters::style::text_anchor::{HPos, VPos};

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
    let mut out = Vec::new();
    for s in scenarios {
        let mut years: Vec<i32> = [
            Metric::TransitDaysP50,
            Metric::TransitDaysP95,
            Metric::TransitDaysMean,
        ]
        .into_iter()
        .flat_map(|m| results.corridor_series(s, m))
        .map(|r| r.year)
        .collect();
        years.sort_unstable();
        years.dedup();
        if years.is_empty() {
            continue;
        }
        let corridor = Subject::corridor();
        let v = |m: Metric, y: i32| results.get(s, m, &corridor, y);
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
        out.push(TransitSeries {
            scenario: s.clone(),
            points,
        });
    }
    out
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
        let mut k = a as i32;
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

impl ChartTrait for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let mut subtitle = "Corridor, days from creation to delivery of containers delivered \
                            that year; means over replications"
            .to_string();
        if self.hidden > 0 {
            subtitle.push_str(&format!(" ({} more scenarios not shown)", self.hidden));
        }
        let (plot, legend) = body(root);
        let years: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.year as f64))
            .collect();
        let vals: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| {
                s.points
                    .iter()
                    .flat_map(|p| [p.p50, p.p95, p.mean, p.mean_ci95_low, p.mean_ci95_high])
            })
            .collect();
        let (x0, x1) = min_max(&years).unwrap_or((0.0, 1.0));
        let (x0, x1) = (x0 - 0.5, x1 + 0.5);
        let scale = YScale::for_values(&vals);
        if scale.log {
            subtitle.push_str("; logarithmic axis: the times differ by more than a factor of 30");
        }
        draw_title(root, "Transit time through the corridor", &subtitle)?;
        let (y0, y1) = scale.range;
        let step = scale.linear_step;
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(40)
            .margin_left(10)
            .margin_bottom(10)
            .x_label_area_size(70)
            .y_label_area_size(150)
            .build_cartesian_2d(x0..x1, y0..y1)
            .m()?;
        let x_fmt = |x: &f64| format!("{:.0}", x);
        let y_fmt = move |y: &f64| tick(*y, step);
        let log = scale.log;
        let fy = |v: f64| scale.axis_of(v);
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
            .x_labels(((x1 - x0).round() as usize).clamp(2, 17))
            .y_labels(if log { 0 } else { 8 })
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(WHITE.mix(0.0))
            .axis_style(INK.stroke_width(2))
            .draw()
            .m()?;

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
                root.draw(&Text::new(
                    thousands(t, 0),
                    (px.start - 10, y),
                    text(TICK_SIZE, INK, HPos::Right, VPos::Center),
                ))
                .m()?;
            }
        }
        let n = self.series.len().max(1);
        let slot = 0.8 / n as f64;
        let half = (slot * 0.38).min(0.2);
        for (i, s) in self.series.iter().enumerate() {
            let c = line_colour(i);
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
                    let a = chart.backend_coord(&(x, fy(p.mean_ci95_low)));
                    let b = chart.backend_coord(&(x, fy(p.mean_ci95_high)));
                    root.draw(&PathElement::new(vec![a, b], INK.stroke_width(2)))
                        .m()?;
                    for e in [a, b] {
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

        let mut entries = vec![(Swatch::Heading, "Scenario".to_string())];
        entries.extend(self.series.iter().enumerate().map(|(i, s)| {
            (
                Swatch::Box(line_colour(i)),
                short_scenario_name(&s.scenario),
            )
        }));
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
