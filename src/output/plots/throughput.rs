//! The throughput chart: corridor delivered TEU per year with its 95% band, one line per
//! scenario, and the TEU targets marked. Also the line-chart panel the sweep and
//! comparison charts share. It must never compute statistics: it draws the summary's
//! means and intervals as they are.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, LABEL_SIZE, LEGEND_SIZE, LabelPlacer,
    MUTED, OrMsg, Swatch, TICK_SIZE, TITLE_BAND, bold, boxed_label, draw_legend, draw_marker,
    draw_title, font, line_colour, nice_max, nice_ticks, text, text_size,
};
use super::format::{thousands, tick};
use super::{HEIGHT, WIDTH};
use crate::metrics::{Metric, Subject, SubjectKind};

/// One line of a chart: a label and points (x, mean, ci95_low, ci95_high); NaN bounds
/// mean "no interval" (fewer than two replications).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// A target drawn on the throughput chart: a marker at (year, threshold) and a label.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetMark {
    pub target: String,
    pub metric: Metric,
    pub subject: Subject,
    pub year: i32,
    pub threshold: f64,
    pub label: String,
}

/// Corridor `delivered_teu` per year for each scenario (those without it are left out).
pub fn throughput_series(results: &Results, scenarios: &[String]) -> Vec<Series> {
    scenarios
        .iter()
        .filter_map(|s| {
            let points: Vec<_> = results
                .corridor_series(s, Metric::DeliveredTeu)
                .into_iter()
                .map(|r| (r.year as f64, r.mean, r.ci95_low, r.ci95_high))
                .collect();
            (!points.is_empty()).then(|| Series {
                label: s.clone(),
                points,
            })
        })
        .collect()
}

/// The targets on `delivered_teu` or `handled_teu` of the given scenarios, each once
/// (scenarios of a batch usually share their targets).
pub fn throughput_targets(results: &Results, scenarios: &[String]) -> Vec<TargetMark> {
    let mut out: Vec<TargetMark> = Vec::new();
    for t in &results.targets {
        if !scenarios.contains(&t.scenario)
            || !matches!(t.metric, Metric::DeliveredTeu | Metric::HandledTeu)
            || !t.threshold.is_finite()
        {
            continue;
        }
        let subject = Subject::new(t.kind, t.subject.clone());
        let dup = out.iter().any(|m| {
            m.target == t.target
                && m.year == t.year
                && m.threshold == t.threshold
                && m.subject == subject
                && m.metric == t.metric
        });
        if dup {
            continue;
        }
        let thr = thousands(t.threshold, 0);
        let label = if t.kind == SubjectKind::Corridor {
            format!("{} ({}): {thr} TEU", t.target, t.year)
        } else {
            let place = results.place_name(&t.scenario, &t.subject);
            format!("{} ({}): {thr} TEU at {place}", t.target, t.year)
        };
        out.push(TargetMark {
            target: t.target.clone(),
            metric: t.metric,
            subject,
            year: t.year,
            threshold: t.threshold,
            label,
        });
    }
    out
}

/// A thinner line drawn under the scenario lines in a scenario's colour: the demand, or
/// the series of a target's own subject, so that every target marker sits against the
/// line it is measured on.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// Index of the scenario whose colour it takes.
    pub colour: usize,
    pub kind: GuideKind,
    /// Written at the line's right end (the subject of a target line).
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuideKind {
    /// Corridor TEU created per year.
    Demand,
    /// The metric of a target on another subject than the corridor (a flow, a port).
    TargetSubject,
}

/// The guides of the throughput chart: each scenario's demand, and for each target on a
/// subject other than the corridor, that subject's metric per year.
pub fn throughput_guides(results: &Results, scenarios: &[String]) -> Vec<Guide> {
    let mut out = Vec::new();
    let marks = throughput_targets(results, scenarios);
    for (i, s) in scenarios.iter().enumerate() {
        let line = |metric: Metric, subject: &Subject| -> Vec<(f64, f64)> {
            results
                .series(s, metric, subject)
                .into_iter()
                .map(|r| (f64::from(r.year), r.mean))
                .collect()
        };
        let demand = line(Metric::CreatedTeu, &Subject::corridor());
        if !demand.is_empty() {
            out.push(Guide {
                colour: i,
                kind: GuideKind::Demand,
                label: String::new(),
                points: demand,
            });
        }
        let mut seen: Vec<(Metric, &Subject)> = Vec::new();
        for m in marks
            .iter()
            .filter(|m| m.subject.kind != SubjectKind::Corridor)
        {
            if seen.contains(&(m.metric, &m.subject)) {
                continue;
            }
            seen.push((m.metric, &m.subject));
            let points = line(m.metric, &m.subject);
            if !points.is_empty() {
                out.push(Guide {
                    colour: i,
                    kind: GuideKind::TargetSubject,
                    label: format!(
                        "{}: {}",
                        results.place_name(s, &m.subject.id),
                        m.metric.label()
                    ),
                    points,
                });
            }
        }
    }
    out
}

pub(crate) struct Chart {
    pub series: Vec<Series>,
    pub targets: Vec<TargetMark>,
    pub guides: Vec<Guide>,
    pub hidden: usize,
}

/// Width of the legend column on the right of line charts.
pub(crate) const LEGEND_W: i32 = 380;

impl ChartTrait for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        let mut subtitle =
            "TEU delivered to their destination per year; line: mean over replications, \
             band: 95% confidence interval; each target against its own measure's line"
                .to_string();
        if self.hidden > 0 {
            subtitle.push_str(&format!(" ({} more scenarios not shown)", self.hidden));
        }
        draw_title(root, "Container throughput of the corridor", &subtitle)?;
        let (plot, legend) = body(root);
        let panel = Panel {
            x_desc: "Year",
            y_desc: "Delivered TEU per year",
            series: &self.series,
            years: true,
            error_bars: false,
            zero_line: false,
            y_from_zero: true,
            marks: &self.targets,
            guides: &self.guides,
        };
        draw_panel(root, &plot, &panel)?;
        let mut entries = vec![(Swatch::Heading, "Scenario".to_string())];
        entries.extend(self.series.iter().enumerate().map(|(i, s)| {
            (
                Swatch::Line(line_colour(i), i),
                short_scenario_name(&s.label),
            )
        }));
        entries.push((Swatch::Band(MUTED), "95% CI of the mean".to_string()));
        if self.guides.iter().any(|g| g.kind == GuideKind::Demand) {
            entries.push((
                Swatch::Width(MUTED, 1),
                "thin: demand (TEU created)".to_string(),
            ));
        }
        if self
            .guides
            .iter()
            .any(|g| g.kind == GuideKind::TargetSubject)
        {
            entries.push((
                Swatch::Width(MUTED, 2),
                "dashed: a target's measure".to_string(),
            ));
        }
        if !self.targets.is_empty() {
            entries.push((Swatch::Marker(INK, 3), "target".to_string()));
        }
        let (x0, y0) = legend.get_base_pixel();
        draw_legend(root, (x0 + 10, y0 + 20), LEGEND_W - 30, &entries)?;
        Ok(())
    }
}

/// Splits the canvas below the title into the plot area and the legend column.
pub(crate) fn body<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let (_, below) = root.split_vertically(TITLE_BAND);
    below.split_horizontally(WIDTH as i32 - LEGEND_W)
}

/// One line chart: axes, lines with markers, CI bands or whiskers, target marks.
pub(crate) struct Panel<'a> {
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub series: &'a [Series],
    /// x values are years: integer ticks without separators, half-year padding.
    pub years: bool,
    /// Intervals as whiskers (dodged sideways per series) instead of bands.
    pub error_bars: bool,
    pub zero_line: bool,
    pub y_from_zero: bool,
    pub marks: &'a [TargetMark],
    pub guides: &'a [Guide],
}

pub(crate) fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    p: &Panel<'_>,
) -> DResult {
    let finite = |v: &f64| v.is_finite();
    let xs: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|q| q.0))
        .chain(p.marks.iter().map(|m| m.year as f64))
        .filter(finite)
        .collect();
    let ys: Vec<f64> = p
        .series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|q| [q.1, q.2, q.3]))
        .chain(p.marks.iter().map(|m| m.threshold))
        .chain(p.guides.iter().flat_map(|g| g.points.iter().map(|q| q.1)))
        .chain(p.zero_line.then_some(0.0))
        .filter(finite)
        .collect();
    let (mut x0, mut x1) = min_max(&xs).unwrap_or((0.0, 1.0));
    if p.years {
        x0 -= 0.5;
        x1 += 0.5;
    } else if x1 > x0 {
        let pad = (x1 - x0) * 0.04;
        x0 -= pad;
        x1 += pad;
    } else {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let (lo, hi) = min_max(&ys).unwrap_or((0.0, 1.0));
    let (y0, y1) = if p.y_from_zero && lo >= 0.0 {
        (0.0, nice_max(hi))
    } else {
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        let t = nice_ticks(lo - span * 0.08, hi + span * 0.08, 7);
        let step = if t.len() > 1 { t[1] - t[0] } else { span };
        (
            ((lo - span * 0.05) / step).floor() * step,
            ((hi + span * 0.05) / step).ceil() * step,
        )
    };
    let y_ticks = nice_ticks(y0, y1, 8);
    let y_step = if y_ticks.len() > 1 {
        y_ticks[1] - y_ticks[0]
    } else {
        1.0
    };
    let x_ticks = nice_ticks(x0, x1, 16);
    let x_step = if x_ticks.len() > 1 {
        x_ticks[1] - x_ticks[0]
    } else {
        1.0
    };

    let mut chart = ChartBuilder::on(area)
        .margin_top(16)
        .margin_right(40)
        .margin_left(10)
        .margin_bottom(10)
        .x_label_area_size(70)
        .y_label_area_size(150)
        .build_cartesian_2d(x0..x1, y0..y1)
        .m()?;
    let years = p.years;
    let x_fmt = move |x: &f64| {
        if years {
            format!("{:.0}", x)
        } else {
            tick(*x, x_step)
        }
    };
    let y_fmt = move |y: &f64| tick(*y, y_step);
    let n_years = (x1 - x0).round() as usize;
    chart
        .configure_mesh()
        .x_desc(p.x_desc)
        .y_desc(p.y_desc)
        .axis_desc_style(font(AXIS_DESC_SIZE).color(&INK))
        .label_style(font(TICK_SIZE).color(&INK))
        .x_labels(if years { n_years.clamp(2, 17) } else { 12 })
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE.mix(0.0))
        .axis_style(INK.stroke_width(2))
        .draw()
        .m()?;

    // Dashed and thin: a series lying on zero (no difference in the first years) then reads
    // as the series over a rule, not as one segment drawn twice as thick.
    if p.zero_line {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, 0.0), (x1, 0.0)],
                8,
                6,
                INK.stroke_width(1),
            ))
            .m()?;
    }

    let n = p.series.len().max(1);
    let dodge = |i: usize| -> f64 {
        if p.error_bars && n > 1 {
            let w = if p.years { 0.5 } else { (x1 - x0) * 0.02 };
            (i as f64 - (n - 1) as f64 / 2.0) * w / n as f64
        } else {
            0.0
        }
    };
    // Bands first, so that every line is drawn over every band.
    if !p.error_bars {
        for (i, s) in p.series.iter().enumerate() {
            let c = line_colour(i);
            for run in band_runs(&s.points) {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|q| (q.0, q.3)).collect();
                poly.extend(run.iter().rev().map(|q| (q.0, q.2)));
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .m()?;
            }
        }
    }
    // Guides under the scenario lines: demand thin and solid, a target's measure dashed,
    // labelled at its right end.
    for g in p.guides {
        let c = line_colour(g.colour);
        match g.kind {
            GuideKind::Demand => {
                chart
                    .draw_series(LineSeries::new(
                        g.points.clone(),
                        c.mix(0.7).stroke_width(1),
                    ))
                    .m()?;
            }
            GuideKind::TargetSubject => {
                chart
                    .draw_series(DashedLineSeries::new(
                        g.points.clone(),
                        10,
                        6,
                        c.mix(0.9).stroke_width(2),
                    ))
                    .m()?;
            }
        }
    }
    for (i, s) in p.series.iter().enumerate() {
        let c = line_colour(i);
        let d = dodge(i);
        if p.error_bars {
            for q in &s.points {
                if q.2.is_finite() && q.3.is_finite() {
                    let (a, b) = (
                        chart.backend_coord(&(q.0 + d, q.2)),
                        chart.backend_coord(&(q.0 + d, q.3)),
                    );
                    root.draw(&PathElement::new(vec![a, b], c.stroke_width(3)))
                        .m()?;
                    for e in [a, b] {
                        root.draw(&PathElement::new(
                            vec![(e.0 - 7, e.1), (e.0 + 7, e.1)],
                            c.stroke_width(3),
                        ))
                        .m()?;
                    }
                }
            }
        }
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|q| q.1.is_finite())
            .map(|q| (q.0 + d, q.1))
            .collect();
        chart
            .draw_series(LineSeries::new(
                pts.clone(),
                c.mix(if p.error_bars { 0.5 } else { 1.0 }).stroke_width(3),
            ))
            .m()?;
        if pts.len() <= 40 {
            for q in &pts {
                draw_marker(root, chart.backend_coord(q), i, c, 6)?;
            }
        }
    }

    // Targets: a dotted guide at the threshold, a marker, a label that avoids the others.
    let (px, py) = chart.plotting_area().get_pixel_range();
    let mut placer = LabelPlacer::new([px.start + 4, py.start + 4, px.end - 4, py.end - 4]);
    for m in p.marks {
        let at = chart.backend_coord(&(m.year as f64, m.threshold));
        placer.reserve([at.0 - 10, at.1 - 10, at.0 + 10, at.1 + 10]);
    }
    // Labels should not hide the data: reserve the lines, sampled every few pixels.
    if !p.marks.is_empty() || !p.guides.is_empty() {
        let lines = p
            .series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .filter(|q| q.1.is_finite())
                    .map(|q| (q.0, q.1))
                    .collect::<Vec<_>>()
            })
            .chain(p.guides.iter().map(|g| g.points.clone()));
        for line in lines {
            let px: Vec<(i32, i32)> = line.iter().map(|q| chart.backend_coord(q)).collect();
            for w in px.windows(2) {
                let (a, b) = (w[0], w[1]);
                let len = (((b.0 - a.0).pow(2) + (b.1 - a.1).pow(2)) as f64).sqrt();
                let steps = (len / 6.0).ceil().max(1.0) as i32;
                for k in 0..=steps {
                    let x = a.0 + (b.0 - a.0) * k / steps;
                    let y = a.1 + (b.1 - a.1) * k / steps;
                    placer.reserve([x - 5, y - 5, x + 5, y + 5]);
                }
            }
        }
    }
    // A guide's label near its right end, clear of the lines, markers and other labels.
    for g in p.guides.iter().filter(|g| !g.label.is_empty()) {
        let Some(last) = g.points.last() else {
            continue;
        };
        let at = chart.backend_coord(last);
        let f = font(LEGEND_SIZE - 4.0);
        let sz = text_size(root, &g.label, &f);
        let cands = [
            (at.0 - sz.0 - 10, at.1 + 10),
            (at.0 - sz.0 - 10, at.1 - sz.1 - 10),
            (at.0 - sz.0 - 10, at.1 + sz.1 + 16),
            (at.0 - sz.0 - 10, at.1 - 2 * sz.1 - 16),
            (at.0 - sz.0 - 10, at.1 + 2 * sz.1 + 22),
            (at.0 - sz.0 - 10, at.1 - 3 * sz.1 - 22),
        ];
        let pos = placer.place(sz, &cands);
        root.draw(&Text::new(
            g.label.clone(),
            pos,
            text(
                LEGEND_SIZE - 4.0,
                line_colour(g.colour),
                HPos::Left,
                VPos::Top,
            ),
        ))
        .m()?;
    }
    for m in p.marks {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, m.threshold), (m.year as f64, m.threshold)],
                6,
                6,
                INK.mix(0.6).stroke_width(1),
            ))
            .m()?;
        let at = chart.backend_coord(&(m.year as f64, m.threshold));
        draw_marker(root, at, 3, INK, 9)?;
        let f = bold(LABEL_SIZE);
        let sz = text_size(root, &m.label, &f);
        let cands = [
            (at.0 - sz.0 - 14, at.1 - sz.1 - 12),
            (at.0 - sz.0 - 14, at.1 + 12),
            (at.0 + 14, at.1 - sz.1 - 12),
            (at.0 + 14, at.1 + 12),
            (at.0 - sz.0 - 16, at.1 - sz.1 / 2),
            (at.0 - sz.0 - 14, at.1 - 2 * sz.1 - 16),
            (at.0 - sz.0 - 14, at.1 + sz.1 + 16),
            (at.0 - sz.0 / 2, at.1 - sz.1 - 16),
            (at.0 - sz.0 / 2, at.1 - 2 * sz.1 - 20),
            (at.0 - sz.0 / 2, at.1 - 3 * sz.1 - 24),
            (at.0 - sz.0 / 2, at.1 + 16),
            (at.0 - sz.0 / 2, at.1 + sz.1 + 20),
        ];
        let pos = placer.place(sz, &cands);
        boxed_label(root, pos, sz, &m.label, &f, INK)?;
    }
    Ok(())
}

/// Runs of consecutive points that all have a finite interval.
fn band_runs(points: &[(f64, f64, f64, f64)]) -> Vec<&[(f64, f64, f64, f64)]> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, q) in points.iter().enumerate() {
        let ok = q.2.is_finite() && q.3.is_finite();
        match (ok, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&points[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&points[s..]);
    }
    out.into_iter().filter(|r| r.len() >= 2).collect()
}

pub(crate) fn min_max(v: &[f64]) -> Option<(f64, f64)> {
    let mut it = v.iter().copied().filter(|x| x.is_finite());
    let first = it.next()?;
    Some(it.fold((first, first), |(a, b), x| (a.min(x), b.max(x))))
}

/// A note in the legend column's foot, for what the legend cannot say in a line.
pub(crate) fn legend_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lines: &[&str],
) -> DResult {
    let x = WIDTH as i32 - LEGEND_W + 10;
    let mut y = HEIGHT as i32 - 30 - (lines.len() as i32) * 28;
    for l in lines {
        root.draw(&Text::new(
            l.to_string(),
            (x, y),
            text(LEGEND_SIZE - 2.0, MUTED, HPos::Left, VPos::Top),
        ))
        .m()?;
        y += 28;
    }
    Ok(())
}
