//! The appraisal chart of `corridor appraise`: each investment's NPV with its 95%
//! interval, leave one out of the full plan and add one to the base side by side, as
//! horizontal bars ranked by the leave-one-out NPV. Read from `appraisal.csv` alone; this
//! module must never read replications or recompute an appraisal.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{
    AXIS_DESC_SIZE, Chart as ChartTrait, DResult, GRID, INK, LABEL_SIZE, OrMsg, Swatch, TICK_SIZE,
    TITLE_BAND, draw_legend, draw_title, fit_text, font, nice_ticks, text, text_size,
};
use super::format::thousands;
use super::throughput::{LEGEND_W, legend_note};
use super::{HEIGHT, WIDTH};
use crate::output::network::{CsvTable, ReadError};

/// The file `corridor appraise` writes (`output::APPRAISAL_CSV`).
pub const APPRAISAL_FILE: &str = "appraisal.csv";

/// One row of `appraisal.csv` as the chart and the report need it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalRecord {
    pub investment: String,
    /// `leave_one_out` or `add_one`.
    pub way: String,
    pub capex_eur: f64,
    pub npv_eur: f64,
    pub npv_ci95_low: f64,
    pub npv_ci95_high: f64,
    pub bcr: f64,
    pub bcr_ci95_low: f64,
    pub bcr_ci95_high: f64,
    pub p_npv_positive: f64,
    pub teu_gained: f64,
    pub teu_per_million_capex: f64,
    pub days_saved_last_year: f64,
    pub n: i64,
}

/// Reads `<dir>/appraisal.csv`; `Ok(None)` when the folder holds none.
pub fn read_appraisal(dir: &Path) -> Result<Option<Vec<AppraisalRecord>>, ReadError> {
    let Some(t) = CsvTable::read(&dir.join(APPRAISAL_FILE))? else {
        return Ok(None);
    };
    let col = |n: &str| t.col(n);
    let (inv, way, capex, npv, lo, hi) = (
        col("investment")?,
        col("way")?,
        col("capex_eur")?,
        col("npv_eur")?,
        col("npv_ci95_low")?,
        col("npv_ci95_high")?,
    );
    let (bcr, blo, bhi, p, teu, tpm, days, n) = (
        col("bcr")?,
        col("bcr_ci95_low")?,
        col("bcr_ci95_high")?,
        col("p_npv_positive")?,
        col("teu_gained")?,
        col("teu_per_million_capex")?,
        col("days_saved_last_year")?,
        col("n")?,
    );
    let mut out = Vec::new();
    for r in t.rows() {
        out.push(AppraisalRecord {
            investment: r.text(inv).to_string(),
            way: r.text(way).to_string(),
            capex_eur: r.float(capex)?,
            npv_eur: r.float(npv)?,
            npv_ci95_low: r.float(lo)?,
            npv_ci95_high: r.float(hi)?,
            bcr: r.float(bcr)?,
            bcr_ci95_low: r.float(blo)?,
            bcr_ci95_high: r.float(bhi)?,
            p_npv_positive: r.float(p)?,
            teu_gained: r.float(teu)?,
            teu_per_million_capex: r.float(tpm)?,
            days_saved_last_year: r.float(days)?,
            n: r.opt_int(n)?.unwrap_or(0),
        });
    }
    Ok(Some(out))
}

/// One investment's bars: (mean, low, high) NPV in EUR for each way (NaN when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalBar {
    pub investment: String,
    pub leave_one_out: (f64, f64, f64),
    pub add_one: (f64, f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppraisalChart {
    /// Ranked by the leave-one-out NPV, largest first (then by add-one, then by id).
    pub bars: Vec<AppraisalBar>,
    /// Pairs of replications behind the figures (the smallest over the rows).
    pub n: i64,
}

const NAN3: (f64, f64, f64) = (f64::NAN, f64::NAN, f64::NAN);

/// The chart's data; `None` without rows.
pub fn appraisal_series(rows: &[AppraisalRecord]) -> Option<AppraisalChart> {
    let mut bars: Vec<AppraisalBar> = Vec::new();
    for r in rows {
        let i = match bars.iter().position(|b| b.investment == r.investment) {
            Some(i) => i,
            None => {
                bars.push(AppraisalBar {
                    investment: r.investment.clone(),
                    leave_one_out: NAN3,
                    add_one: NAN3,
                });
                bars.len() - 1
            }
        };
        let v = (r.npv_eur, r.npv_ci95_low, r.npv_ci95_high);
        match r.way.as_str() {
            "leave_one_out" => bars[i].leave_one_out = v,
            "add_one" => bars[i].add_one = v,
            _ => {}
        }
    }
    if bars.is_empty() {
        return None;
    }
    let key = |x: f64| if x.is_finite() { x } else { f64::NEG_INFINITY };
    bars.sort_by(|a, b| {
        key(b.leave_one_out.0)
            .total_cmp(&key(a.leave_one_out.0))
            .then_with(|| key(b.add_one.0).total_cmp(&key(a.add_one.0)))
            .then_with(|| a.investment.cmp(&b.investment))
    });
    let n = rows.iter().map(|r| r.n).min().unwrap_or(0);
    Some(AppraisalChart { bars, n })
}

const WAY_COLOURS: [RGBColor; 2] = [RGBColor(0x00, 0x4F, 0x7C), RGBColor(0xE6, 0x9F, 0x00)];
const WAYS: [&str; 2] = ["leave one out of the full plan", "add one to the base"];

/// EUR in one unit for the whole chart (bn, m or k, from the largest magnitude) with
/// enough decimals for `step`, the tick spacing; a minus sign before the euro sign.
#[derive(Debug, Clone, Copy)]
struct EurScale {
    divisor: f64,
    unit: &'static str,
    decimals: usize,
}

impl EurScale {
    fn new(max_abs: f64, step: f64) -> EurScale {
        let (divisor, unit) = if max_abs >= 1e9 {
            (1e9, "bn")
        } else if max_abs >= 1e6 {
            (1e6, "m")
        } else {
            (1e3, "k")
        };
        let s = (step / divisor).abs();
        let decimals = if s >= 1.0 || s == 0.0 {
            0
        } else {
            ((-s.log10()).ceil() as usize).min(3)
        };
        EurScale {
            divisor,
            unit,
            decimals,
        }
    }

    fn fmt(&self, x: f64, extra: usize) -> String {
        let v = x / self.divisor;
        let sign = if v < 0.0
            && thousands(-v, self.decimals + extra) != thousands(0.0, self.decimals + extra)
        {
            "−"
        } else {
            ""
        };
        format!(
            "{sign}€{} {}",
            thousands(v.abs(), self.decimals + extra),
            self.unit
        )
    }
}

impl ChartTrait for AppraisalChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DResult {
        draw_title(
            root,
            "What each investment buys: net present value",
            "NPV of shippers' time and tariff savings (and TEU gained) against capex and opex, \
             paired replications; whiskers: 95% intervals",
        )?;
        let nrows = self.bars.len().max(1) as i32;
        let top = TITLE_BAND + 30;
        let bottom = HEIGHT as i32 - 110;
        let right = WIDTH as i32 - LEGEND_W - 30;
        let row_h = ((bottom - top) / nrows).min(90);
        let lf = font(if row_h >= 36 { 22.0 } else { 18.0 });
        let max_label = self
            .bars
            .iter()
            .map(|b| text_size(root, &b.investment, &lf).0)
            .max()
            .unwrap_or(0);
        let left = (max_label + 40).clamp(180, 520);
        let values: Vec<f64> = self
            .bars
            .iter()
            .flat_map(|b| {
                [
                    b.leave_one_out.0,
                    b.leave_one_out.1,
                    b.leave_one_out.2,
                    b.add_one.0,
                    b.add_one.1,
                    b.add_one.2,
                ]
            })
            .filter(|v| v.is_finite())
            .collect();
        let lo = values.iter().copied().fold(0.0f64, f64::min);
        let hi = values.iter().copied().fold(0.0f64, f64::max);
        let span = (hi - lo).max(1.0);
        let ticks = nice_ticks(lo - 0.02 * span, hi + 0.02 * span, 6);
        let (x_lo, x_hi) = (
            ticks.first().copied().unwrap_or(lo).min(lo),
            ticks.last().copied().unwrap_or(hi).max(hi) + 0.18 * span,
        );
        let x_of = |v: f64| left + (((v - x_lo) / (x_hi - x_lo)) * (right - left) as f64) as i32;
        let step = match ticks.as_slice() {
            [a, b, ..] => b - a,
            _ => span,
        };
        let scale = EurScale::new(lo.abs().max(hi.abs()), step);
        let grid_bottom = top + row_h * nrows;
        for t in &ticks {
            let x = x_of(*t);
            root.draw(&PathElement::new(
                vec![(x, top - 6), (x, grid_bottom)],
                GRID.stroke_width(1),
            ))
            .m()?;
            root.draw(&Text::new(
                scale.fmt(*t, 0),
                (x, grid_bottom + 10),
                text(TICK_SIZE, INK, HPos::Center, VPos::Top),
            ))
            .m()?;
        }
        // The zero line: an investment left of it costs more than it buys.
        let x0 = x_of(0.0);
        root.draw(&PathElement::new(
            vec![(x0, top - 6), (x0, grid_bottom)],
            INK.stroke_width(2),
        ))
        .m()?;
        root.draw(&Text::new(
            "Net present value, EUR (discounted to the appraisal's base year)".to_string(),
            ((left + right) / 2, grid_bottom + 46),
            text(AXIS_DESC_SIZE, INK, HPos::Center, VPos::Top),
        ))
        .m()?;
        let bar_h = ((row_h - 14) / 2).clamp(4, 32);
        let vf = font(LABEL_SIZE.min(bar_h as f64 * 0.9).max(12.0));
        for (ri, b) in self.bars.iter().enumerate() {
            let y = top + ri as i32 * row_h;
            let y0 = y + (row_h - 2 * bar_h) / 2;
            let label = fit_text(root, &b.investment, &lf, left - 24);
            root.draw(&Text::new(
                label,
                (left - 12, y + row_h / 2),
                lf.clone()
                    .color(&INK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .m()?;
            for (k, (mean, low, high)) in [b.leave_one_out, b.add_one].into_iter().enumerate() {
                if !mean.is_finite() {
                    continue;
                }
                let by = y0 + k as i32 * bar_h;
                let (xa, xb) = (x0.min(x_of(mean)), x0.max(x_of(mean)));
                root.draw(&Rectangle::new(
                    [(xa, by + 2), (xb.max(xa + 1), by + bar_h - 2)],
                    WAY_COLOURS[k].filled(),
                ))
                .m()?;
                let mid = by + bar_h / 2;
                if low.is_finite() && high.is_finite() {
                    let (wl, wh) = (x_of(low), x_of(high));
                    root.draw(&PathElement::new(
                        vec![(wl, mid), (wh, mid)],
                        INK.stroke_width(2),
                    ))
                    .m()?;
                    for wx in [wl, wh] {
                        root.draw(&PathElement::new(
                            vec![(wx, mid - bar_h / 3), (wx, mid + bar_h / 3)],
                            INK.stroke_width(2),
                        ))
                        .m()?;
                    }
                }
                if bar_h >= 12 {
                    let end = [
                        x_of(mean),
                        x0,
                        if high.is_finite() { x_of(high) } else { x0 },
                    ]
                    .into_iter()
                    .max()
                    .unwrap_or(x0);
                    root.draw(&Text::new(
                        scale.fmt(mean, 1),
                        (end + 8, mid),
                        vf.clone()
                            .color(&INK)
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    ))
                    .m()?;
                }
            }
        }
        let x = WIDTH as i32 - LEGEND_W + 10;
        let mut entries = vec![(Swatch::Heading, "Measured by".to_string())];
        for (k, w) in WAYS.iter().enumerate() {
            entries.push((Swatch::Width(WAY_COLOURS[k], 18), (*w).to_string()));
        }
        draw_legend(root, (x, TITLE_BAND + 30), LEGEND_W - 30, &entries)?;
        legend_note(
            root,
            &[
                "Same seed with and without",
                "each investment (common",
                &format!("random numbers), {} pairs.", self.n),
                "docs/appraisal.md: method.",
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(inv: &str, way: &str, npv: f64) -> AppraisalRecord {
        AppraisalRecord {
            investment: inv.into(),
            way: way.into(),
            capex_eur: 1e6,
            npv_eur: npv,
            npv_ci95_low: npv - 1.0,
            npv_ci95_high: npv + 1.0,
            bcr: 1.0,
            bcr_ci95_low: 0.5,
            bcr_ci95_high: 1.5,
            p_npv_positive: 0.5,
            teu_gained: 0.0,
            teu_per_million_capex: 0.0,
            days_saved_last_year: 0.0,
            n: 4,
        }
    }

    #[test]
    fn bars_pair_the_two_ways_and_rank_by_the_leave_one_out_npv() {
        let rows = [
            row("a", "leave_one_out", 5.0),
            row("b", "leave_one_out", 9.0),
            row("a", "add_one", 7.0),
            row("c", "add_one", 1.0),
        ];
        let c = appraisal_series(&rows).unwrap();
        let ids: Vec<&str> = c.bars.iter().map(|b| b.investment.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        assert_eq!(c.bars[1].add_one, (7.0, 6.0, 8.0));
        assert!(c.bars[0].add_one.0.is_nan());
        assert_eq!(c.n, 4);
        assert!(appraisal_series(&[]).is_none());
    }
}
