//! Charts of a results folder, drawn from its CSV files alone (PNG and SVG, 1600×900).
//!
//! `draw_all` reads `summary.csv`, `targets.csv`, `comparison.csv`, `sweep.csv`,
//! `nodes.csv` and `links.csv` from a results folder and writes each chart into
//! `<results>/plots/` as `<name>.png` and `<name>.svg`, so that `corridor plot RESULTS_DIR`
//! can redraw everything without rerunning anything. A chart whose data is absent is
//! skipped; a malformed file is a `PlotError` naming the file and line. Each chart's data
//! is computed by a public `*_series` function (tested against the CSV numbers) and drawn
//! by a private function, the same drawing code for both back ends.
//!
//! Text is drawn with DejaVu Sans, whose files are compiled into the program (see
//! `fonts/LICENSE`), never with system font libraries: the charts look the same on every
//! machine. This module must never run the simulation, never read replication files, and
//! never write outside `<results>/plots/`; every file is written atomically.

pub mod appraisal;
mod basemap;
mod bottlenecks;
mod comparison;
pub mod data;
mod draw;
pub mod format;
mod map;
pub mod names;
mod sweep;
mod throughput;
mod transit;
mod utilization;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;

pub use self::basemap::{Basemap, basemap, project, project_at, unproject};
pub use self::bottlenecks::{BottleneckBar, BottleneckChart, MAX_BARS, bottleneck_series};
pub use self::comparison::{ComparisonPanel, comparison_series};
pub use self::data::{
    ComparisonRow, Results, SummaryRecord, SweepRecord, SweepTable, TargetRecord, chart_file_stem,
    short_scenario_name,
};
pub use self::map::{MapData, MapLayout, MapLink, MapNode, MapView, PlacedLabel, map_series};
pub use self::sweep::{SweepChart, sweep_series};
pub use self::throughput::{
    Guide, GuideKind, Series, TargetMark, throughput_guides, throughput_series, throughput_targets,
};
pub use self::transit::{
    FlowTransit, MAX_FLOW_PANELS, TransitPoint, TransitSeries, flow_transit_series, transit_series,
};
pub use self::utilization::{Heatmap, HeatmapRow, utilization_heatmap};
use super::{OutputError, write_bytes_atomic};
use crate::output::network::ReadError;

/// Chart size in pixels: a 16:9 slide, and legible on an A4 page.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 900;

/// The folder, inside a results folder, that holds the charts.
pub const PLOTS_DIR: &str = "plots";

/// What to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotOptions {
    /// Year of the corridor map; `None` = the last year of each scenario.
    pub map_year: Option<i32>,
    /// Years of the bottleneck chart; `None` = 2028 and 2040 when in the horizon, otherwise
    /// the first and the last year.
    pub bottleneck_years: Option<(i32, i32)>,
    /// Scenarios to draw (in the order of the results); `None` = all of them.
    pub scenarios: Option<Vec<String>>,
    /// At most this many scenarios get lines in the multi-scenario charts and their own
    /// per-scenario charts (heatmap, bottlenecks, map): beyond eight lines no palette stays
    /// readable. The rest are named in the subtitle.
    pub max_scenarios: usize,
    /// Sweep chart: the metric and subject on the y axis (default corridor delivered_teu)
    /// and the year (default the last year).
    pub sweep_metric: String,
    pub sweep_subject: String,
    pub sweep_year: Option<i32>,
    /// Sweep chart: the swept parameter on the x axis (default the first one).
    pub sweep_axis: Option<String>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions {
            map_year: None,
            bottleneck_years: None,
            scenarios: None,
            max_scenarios: 8,
            sweep_metric: "delivered_teu".to_string(),
            sweep_subject: "corridor".to_string(),
            sweep_year: None,
            sweep_axis: None,
        }
    }
}

/// Why charts could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// A CSV file is malformed (path, line, what).
    #[error("{0}")]
    Read(#[from] ReadError),
    #[error("{0}")]
    Write(#[from] OutputError),
    #[error("cannot create {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot draw chart `{chart}`: {message}")]
    Draw { chart: String, message: String },
    /// An option asks for something the results do not hold (a map year outside the run).
    #[error("{0}")]
    Options(String),
}

impl PlotOptions {
    /// Refuses options the results cannot honour, before anything is drawn: an empty map
    /// of a year that was never simulated would look like a corridor carrying nothing.
    pub fn check(&self, results: &Results) -> Result<(), PlotError> {
        if let Some(t) = &results.sweep {
            let default = PlotOptions::default();
            let asked = self.sweep_metric != default.sweep_metric
                || self.sweep_subject != default.sweep_subject;
            let found = t.rows.iter().any(|r| {
                r.metric.name() == self.sweep_metric
                    && data::subject_matches(&self.sweep_subject, r.kind, &r.subject)
            });
            if asked && !found {
                return Err(PlotError::Options(format!(
                    "--metric {} --subject {}: sweep.csv has no such rows",
                    self.sweep_metric, self.sweep_subject
                )));
            }
        }
        if let Some(y) = self.map_year {
            let years: std::collections::BTreeSet<i32> =
                results.summary.iter().map(|r| r.year).collect();
            if !years.contains(&y) {
                let range = match (years.first(), years.last()) {
                    (Some(a), Some(b)) => format!("{a}–{b}"),
                    _ => "none".to_string(),
                };
                return Err(PlotError::Options(format!(
                    "--map-year {y}: the results hold no year {y} (years simulated: {range})"
                )));
            }
        }
        Ok(())
    }
}

static FONTS: Once = Once::new();

/// Registers the bundled DejaVu Sans (regular and bold) as "sans-serif". Idempotent.
pub fn register_fonts() {
    FONTS.call_once(|| {
        // The bytes are valid fonts (checked by a test), so these cannot fail; if they ever
        // did, text would be missing rather than the program crashing.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("fonts/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Bold,
            include_bytes!("fonts/DejaVuSans-Bold.ttf"),
        );
    });
}

/// Draws every chart whose data the results folder holds, into `<results_dir>/plots/`;
/// returns the files written (PNG then SVG of each chart, in drawing order).
pub fn draw_all(results_dir: &Path, opts: &PlotOptions) -> Result<Vec<PathBuf>, PlotError> {
    let results = Results::load(results_dir)?;
    draw_results(&results, &results_dir.join(PLOTS_DIR), opts)
}

/// Draws the charts of already-loaded results into `out_dir` (created if needed).
pub fn draw_results(
    results: &Results,
    out_dir: &Path,
    opts: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    opts.check(results)?;
    register_fonts();
    let mut charts: Vec<(String, Box<dyn draw::DynChart>)> = Vec::new();
    let scenarios = results.scenarios_for(opts);

    let series = throughput_series(results, &scenarios);
    if !series.is_empty() {
        let targets = throughput_targets(results, &scenarios);
        let guides = throughput_guides(results, &scenarios);
        charts.push((
            "throughput".into(),
            Box::new(throughput::Chart {
                series,
                targets,
                guides,
                hidden: results.hidden_scenarios(opts),
            }),
        ));
    }
    let transit = transit_series(results, &scenarios);
    if !transit.is_empty() {
        charts.push((
            "transit-time".into(),
            Box::new(transit::Chart {
                series: transit,
                hidden: results.hidden_scenarios(opts),
            }),
        ));
    }
    let flows = flow_transit_series(results, &scenarios);
    if !flows.is_empty() {
        charts.push((
            "transit-flows".into(),
            Box::new(transit::FlowChart {
                flows,
                scenarios: scenarios.clone(),
                hidden: results.hidden_scenarios(opts),
            }),
        ));
    }
    for s in &scenarios {
        let stem = chart_file_stem(s);
        if let Some(h) = utilization_heatmap(results, s) {
            charts.push((format!("utilization-{stem}"), Box::new(h)));
        }
        if let Some(b) = bottleneck_series(results, s, opts.bottleneck_years) {
            charts.push((format!("bottlenecks-{stem}"), Box::new(b)));
        }
        if let Some(m) = map_series(results, s, opts.map_year) {
            charts.push((format!("map-{stem}"), Box::new(m)));
        }
    }
    if let Some(sw) = sweep_series(results, opts) {
        charts.push(("sweep".into(), Box::new(sw)));
    }
    if let Some(a) = appraisal::read_appraisal(&results.dir)?
        .as_deref()
        .and_then(appraisal::appraisal_series)
    {
        charts.push(("appraisal".into(), Box::new(a)));
    }
    let cmp = comparison_series(results);
    if !cmp.is_empty() {
        charts.push((
            "comparison".into(),
            Box::new(comparison::Chart { panels: cmp }),
        ));
    }

    if charts.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(out_dir).map_err(|source| PlotError::Io {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, chart) in &charts {
        let (png, svg) = draw::render(name, chart.as_ref())?;
        let p = out_dir.join(format!("{name}.png"));
        write_bytes_atomic(&p, &png)?;
        written.push(p);
        let p = out_dir.join(format!("{name}.svg"));
        write_bytes_atomic(&p, svg.as_bytes())?;
        written.push(p);
    }
    Ok(written)
}
