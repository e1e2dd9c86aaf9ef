//! The transit-time chart: per year and scenario, a box from the median to the 95th
//! percentile of corridor transit days and the mean with its 95% interval. It draws the
//! summary's numbers as they are and must never compute statistics of its own.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, OrMsg, Swatch, TICK_SIZE, draw_legend,
    draw_marker, draw_title, font, line_colour, nice_max, nice_ticks,
};
use super::format::tick;
use super::throughput::{LEGEND_W, body, legend_note, min_max};

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
        let mut years: Vec<i32> = ["transit_days_p50", "transit_days_p95", "transit_days_mean"]
            .iter()
            .flat_map(|m| results.series(s, m, "corridor"))
            .map(|r| r.year)
            .collect();
        years.sort_unstable();
        years.dedup();
        if years.is_empty() {
            continue;
        }
        let v = |m: &str, y: i32| results.get(s, m, "corridor", y);
        let points = years
            .into_iter()
            .map(|y| {
                let mean = v("transit_days_mean", y);
                TransitPoint {
                    year: y,
                    p50: v("transit_days_p50", y).map_or(f64::NAN, |r| r.mean),
                    p95: v("transit_days_p95", y).map_or(f64::NAN, |r| r.mean),
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
        draw_title(root, "Transit time through the corridor", &subtitle)?;
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
        let y1 = nice_max(min_max(&vals).map_or(1.0, |m| m.1));
        let ticks = nice_ticks(0.0, y1, 8);
        let step = if ticks.len() > 1 {
            ticks[1] - ticks[0]
        } else {
            1.0
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(16)
            .margin_right(40)
            .margin_left(10)
            .margin_bottom(10)
            .x_label_area_size(70)
            .y_label_area_size(150)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .m()?;
        let x_fmt = |x: &f64| format!("{:.0}", x);
        let y_fmt = move |y: &f64| tick(*y, step);
        chart
            .configure_mesh()
            .x_desc("Year")
            .y_desc("Transit time, days")
            .axis_desc_style(font(AXIS_DESC_SIZE).color(&INK))
            .label_style(font(TICK_SIZE).color(&INK))
            .x_labels(((x1 - x0).round() as usize).clamp(2, 17))
            .y_labels(8)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(WHITE.mix(0.0))
            .axis_style(INK.stroke_width(2))
            .draw()
            .m()?;

        let n = self.series.len().max(1);
        let slot = 0.8 / n as f64;
        let half = (slot * 0.38).min(0.2);
        for (i, s) in self.series.iter().enumerate() {
            let c = line_colour(i);
            let d = (i as f64 - (n - 1) as f64 / 2.0) * slot;
            for p in &s.points {
                let x = p.year as f64 + d;
                if p.p50.is_finite() && p.p95.is_finite() {
                    let a = chart.backend_coord(&(x - half, p.p95));
                    let b = chart.backend_coord(&(x + half, p.p50));
                    root.draw(&Rectangle::new([a, b], c.mix(0.25).filled()))
                        .m()?;
                    root.draw(&Rectangle::new([a, b], c.stroke_width(2))).m()?;
                }
                if p.p50.is_finite() {
                    let a = chart.backend_coord(&(x - half, p.p50));
                    let b = chart.backend_coord(&(x + half, p.p50));
                    root.draw(&PathElement::new(vec![a, b], c.stroke_width(4)))
                        .m()?;
                }
                if p.mean_ci95_low.is_finite() && p.mean_ci95_high.is_finite() {
                    let a = chart.backend_coord(&(x, p.mean_ci95_low));
                    let b = chart.backend_coord(&(x, p.mean_ci95_high));
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
                    draw_marker(root, chart.backend_coord(&(x, p.mean)), 3, INK, 6)?;
                    draw_marker(root, chart.backend_coord(&(x, p.mean)), 3, c, 4)?;
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
