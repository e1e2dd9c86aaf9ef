//! The utilization heatmap of one scenario: node cranes (`utilization`), node berths
//! (`berth_utilization`), rail-ferry berths (`ferry_berth_utilization`) and links (`utilization`) against years, coloured on the
//! viridis scale with the percentage written in each cell and a colour bar. It draws the
//! summary's means and must never compute statistics of its own.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::data::{Results, short_scenario_name};
use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, INK, NO_DATA, OrMsg, TICK_SIZE, TITLE_BAND,
    draw_colour_bar, draw_title, fit_text, font, text, text_on, text_size, viridis,
};
use super::{HEIGHT, WIDTH};
use crate::metrics::{Metric, Subject, SubjectKind};

/// One row of the heatmap: a resource and its mean utilization (0–1) per year of
/// `Heatmap::years` (NaN where not recorded).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRow {
    pub label: String,
    pub subject: String,
    pub metric: Metric,
    /// A link's row (nodes come first).
    pub link: bool,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub scenario: String,
    pub years: Vec<i32>,
    pub rows: Vec<HeatmapRow>,
}

/// The heatmap of `scenario`, or `None` when it recorded no utilization.
pub fn utilization_heatmap(results: &Results, scenario: &str) -> Option<Heatmap> {
    let mut keys: Vec<((usize, String), u8, Metric, Subject)> = Vec::new();
    for metric in [
        Metric::Utilization,
        Metric::BerthUtilization,
        Metric::FerryBerthUtilization,
    ] {
        for subject in results.subjects(scenario, metric) {
            if subject.kind == SubjectKind::Corridor {
                continue;
            }
            let order = results.place_order(scenario, &subject.id);
            let m = match metric {
                Metric::Utilization => 0,
                Metric::BerthUtilization => 1,
                _ => 2,
            };
            keys.push((order, m, metric, subject));
        }
    }
    // A link of the network that recorded no utilization (a rail link without a path
    // limit has no capacity to use) is shown as a row of "no data", not left out, so the
    // reader sees every link and knows which ones the model does not measure.
    for l in results.links_of(scenario) {
        if !keys
            .iter()
            .any(|k| k.3.kind == SubjectKind::Link && k.3.id == l.id)
        {
            let order = results.place_order(scenario, &l.id);
            keys.push((
                order,
                0,
                Metric::Utilization,
                Subject::new(SubjectKind::Link, l.id.clone()),
            ));
        }
    }
    keys.sort();
    let years = results.years(scenario);
    let rows: Vec<HeatmapRow> = keys
        .into_iter()
        .map(|(_, _, metric, subject)| {
            let name = results.place_name(scenario, &subject.id);
            let link = subject.kind == SubjectKind::Link;
            let label = match (link, metric) {
                (_, Metric::BerthUtilization) => format!("{name}: berths"),
                (_, Metric::FerryBerthUtilization) => format!("{name}: ferry berths"),
                (true, _) => name,
                _ => format!("{name}: handling"),
            };
            let values = years
                .iter()
                .map(|&y| {
                    results
                        .get(scenario, metric, &subject, y)
                        .map_or(f64::NAN, |r| r.mean)
                })
                .collect();
            HeatmapRow {
                label,
                subject: subject.id,
                metric,
                link,
                values,
            }
        })
        .filter(|r: &HeatmapRow| r.link || r.values.iter().any(|v| v.is_finite()))
        .collect();
    if !rows.iter().any(|r| r.values.iter().any(|v| v.is_finite())) {
        return None;
    }
    // Keep only the years that have at least one value.
    let keep: Vec<usize> = (0..years.len())
        .filter(|&i| rows.iter().any(|r| r.values[i].is_finite()))
        .collect();
    Some(Heatmap {
        scenario: scenario.to_string(),
        years: keep.iter().map(|&i| years[i]).collect(),
        rows: rows
            .into_iter()
            .map(|mut r| {
                r.values = keep.iter().map(|&i| r.values[i]).collect();
                r
            })
            .collect(),
    })
}

impl ChartTrait for Heatmap {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        draw_title(
            root,
            &format!(
                "Utilization of handling, berths and lines — {}",
                short_scenario_name(&self.scenario)
            ),
            "Mean over replications of the share of capacity in use (handling: cranes and \
             tracks; berths; rail: train paths used; sea: fleet time not idle)",
        )?;
        let nrows = self.rows.len() as i32;
        let ncols = self.years.len().max(1) as i32;
        let top = TITLE_BAND + 30;
        let bottom = HEIGHT as i32 - 90;
        let right = WIDTH as i32 - 210;
        let cell_h = ((bottom - top) / nrows.max(1)).clamp(4, 64);
        let label_size = (cell_h as f64 * 0.62).clamp(11.0, 22.0);
        let lf = font(label_size);
        let max_label = self
            .rows
            .iter()
            .map(|r| text_size(root, &r.label, &lf).0)
            .max()
            .unwrap_or(0);
        let left = (max_label + 40).clamp(160, 560);
        let cell_w = ((right - left) / ncols).max(2);
        let grid_w = cell_w * ncols;
        let grid_h = cell_h * nrows;

        for (ri, row) in self.rows.iter().enumerate() {
            let y = top + ri as i32 * cell_h;
            let label = fit_text(root, &row.label, &lf, left - 30);
            root.draw(&Text::new(
                label,
                (left - 14, y + cell_h / 2),
                lf.clone()
                    .color(&INK)
                    .pos(plotters::style::text_anchor::Pos::new(
                        HPos::Right,
                        VPos::Center,
                    )),
            ))
            .m()?;
            for (ci, v) in row.values.iter().enumerate() {
                let x = left + ci as i32 * cell_w;
                let colour = viridis(*v);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w, y + cell_h)],
                    colour.filled(),
                ))
                .m()?;
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell_w, y + cell_h)],
                    WHITE.stroke_width(1),
                ))
                .m()?;
                let size = (cell_h as f64 * 0.5).min(cell_w as f64 * 0.32).min(20.0);
                if size >= 10.0 {
                    let s = if v.is_finite() {
                        format!("{:.0}", v * 100.0)
                    } else {
                        "–".to_string()
                    };
                    let tc = if v.is_finite() { text_on(colour) } else { INK };
                    root.draw(&Text::new(
                        s,
                        (x + cell_w / 2, y + cell_h / 2),
                        text(size, tc, HPos::Center, VPos::Center),
                    ))
                    .m()?;
                }
            }
        }
        // A rule between the node rows and the link rows.
        if let Some(i) = self.rows.iter().position(|r| r.link).filter(|&i| i > 0) {
            let y = top + i as i32 * cell_h;
            root.draw(&PathElement::new(
                vec![(20, y), (left + grid_w, y)],
                INK.stroke_width(3),
            ))
            .m()?;
        }
        // Year ticks: every year if they fit, else every second or fifth.
        let every = [1, 2, 5, 10]
            .into_iter()
            .find(|k| cell_w * k >= 64)
            .unwrap_or(10);
        for (ci, y) in self.years.iter().enumerate() {
            if every > 1 && y % every != 0 {
                continue;
            }
            let x = left + ci as i32 * cell_w + cell_w / 2;
            root.draw(&Text::new(
                y.to_string(),
                (x, top + grid_h + 10),
                text(TICK_SIZE, INK, HPos::Center, VPos::Top),
            ))
            .m()?;
        }
        root.draw(&Text::new(
            "Year".to_string(),
            (left + grid_w / 2, top + grid_h + 46),
            text(AXIS_DESC_SIZE, INK, HPos::Center, VPos::Top),
        ))
        .m()?;
        let bar_h = (grid_h).clamp(200, 520);
        draw_colour_bar(
            root,
            (left + grid_w + 40, top + 30),
            (36, bar_h),
            "Utilization",
        )?;
        let note_y = top + 30 + bar_h + 40;
        root.draw(&Rectangle::new(
            [
                (left + grid_w + 40, note_y),
                (left + grid_w + 76, note_y + 24),
            ],
            NO_DATA.filled(),
        ))
        .m()?;
        root.draw(&Text::new(
            "no data".to_string(),
            (left + grid_w + 86, note_y + 12),
            text(TICK_SIZE - 2.0, INK, HPos::Left, VPos::Center),
        ))
        .m()?;
        root.draw(&Text::new(
            "Cells: % of capacity".to_string(),
            (left + grid_w + 40, note_y + 44),
            text(TICK_SIZE - 4.0, INK, HPos::Left, VPos::Center),
        ))
        .m()?;
        Ok(())
    }
}
