//! Reading a results folder's CSV tables back into typed rows, with the look-ups the
//! charts and the report need.
//!
//! Only the CSV files are read (never replication files, never a scenario): the charts
//! depend on the documented table formats alone. A missing file means "no such data"; a
//! malformed one is an error naming the file and line. Rows whose mean is empty (NaN) are
//! treated as absent. This module must never write anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::PlotOptions;
use super::names::PlaceNames;
use crate::metrics::{Metric, Subject, SubjectKind};
use crate::output::network::{
    CsvTable, LINKS_CSV, LinkRow, NODES_CSV, NodeRow, ReadError, read_links_csv, read_nodes_csv,
};
use crate::output::{COMPARISON_CSV, SUMMARY_CSV, SWEEP_CSV, TARGETS_CSV};

/// One row of `summary.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRecord {
    pub scenario: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub mean: f64,
    pub sd: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n: i64,
}

/// One row of `targets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecord {
    pub scenario: String,
    pub target: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub threshold: f64,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub share_met: f64,
    pub first_year_met_mean: f64,
    pub first_year_met_min: Option<i64>,
    pub first_year_met_max: Option<i64>,
    /// `at_least` or `at_most` (`at_least` when the column is absent).
    pub direction: String,
    pub n: Option<i64>,
    pub first_year_met_n: Option<i64>,
    /// (year, replications that first met the target that year), years ascending; empty
    /// when the column is absent.
    pub first_year_met_by_year: Vec<(i32, i64)>,
}

/// One row of `comparison.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    pub scenario_a: String,
    pub scenario_b: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub mean_a: f64,
    pub mean_b: f64,
    pub mean_diff: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n: i64,
}

/// One row of `sweep.csv`: the swept values (in the order of `SweepTable::axes`) and the
/// summary of that grid point.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRecord {
    pub values: Vec<f64>,
    pub scenario: String,
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    pub subject: String,
    pub mean: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub n: i64,
}

/// `sweep.csv`: the swept parameter paths (the columns before `scenario`) and the rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepTable {
    pub axes: Vec<String>,
    pub rows: Vec<SweepRecord>,
}

/// Whether a subject is a node or a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceKind {
    Node,
    Link,
}

/// (scenario, metric, subject kind, subject id).
type Key = (String, Metric, SubjectKind, String);

/// Everything the charts and the report read from a results folder.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub dir: PathBuf,
    pub summary: Vec<SummaryRecord>,
    pub targets: Vec<TargetRecord>,
    pub comparison: Vec<ComparisonRow>,
    pub sweep: Option<SweepTable>,
    pub nodes: Vec<NodeRow>,
    pub links: Vec<LinkRow>,
    /// Scenario names in the order they first appear (summary, then targets, comparison).
    pub scenarios: Vec<String>,
    index: BTreeMap<Key, BTreeMap<i32, usize>>,
}

impl Results {
    /// Reads every table the folder holds.
    pub fn load(dir: &Path) -> Result<Results, ReadError> {
        let summary = read_summary(&dir.join(SUMMARY_CSV))?.unwrap_or_default();
        let targets = read_targets(&dir.join(TARGETS_CSV))?.unwrap_or_default();
        let comparison = read_comparison(&dir.join(COMPARISON_CSV))?.unwrap_or_default();
        let sweep = read_sweep(&dir.join(SWEEP_CSV))?;
        let nodes = read_nodes_csv(&dir.join(NODES_CSV))?.unwrap_or_default();
        let links = read_links_csv(&dir.join(LINKS_CSV))?.unwrap_or_default();
        Ok(Results::from_parts(
            dir, summary, targets, comparison, sweep, nodes, links,
        ))
    }

    /// Builds the look-ups from rows already read.
    pub fn from_parts(
        dir: &Path,
        summary: Vec<SummaryRecord>,
        targets: Vec<TargetRecord>,
        comparison: Vec<ComparisonRow>,
        sweep: Option<SweepTable>,
        nodes: Vec<NodeRow>,
        links: Vec<LinkRow>,
    ) -> Results {
        let summary: Vec<SummaryRecord> =
            summary.into_iter().filter(|r| r.mean.is_finite()).collect();
        let mut scenarios: Vec<String> = Vec::new();
        let mut seen = BTreeSet::new();
        let names = summary
            .iter()
            .map(|r| &r.scenario)
            .chain(targets.iter().map(|t| &t.scenario))
            .chain(
                comparison
                    .iter()
                    .flat_map(|c| [&c.scenario_a, &c.scenario_b]),
            );
        for s in names {
            if seen.insert(s.clone()) {
                scenarios.push(s.clone());
            }
        }
        let mut index: BTreeMap<Key, BTreeMap<i32, usize>> = BTreeMap::new();
        for (i, r) in summary.iter().enumerate() {
            index
                .entry((r.scenario.clone(), r.metric, r.kind, r.subject.clone()))
                .or_default()
                .entry(r.year)
                .or_insert(i);
        }
        Results {
            dir: dir.to_path_buf(),
            summary,
            targets,
            comparison,
            sweep,
            nodes,
            links,
            scenarios,
            index,
        }
    }

    /// The summary row of (scenario, metric, subject, year), if recorded.
    pub fn get(
        &self,
        scenario: &str,
        metric: Metric,
        subject: &Subject,
        year: i32,
    ) -> Option<&SummaryRecord> {
        self.index
            .get(&(
                scenario.to_string(),
                metric,
                subject.kind,
                subject.id.clone(),
            ))
            .and_then(|m| m.get(&year))
            .map(|&i| &self.summary[i])
    }

    /// The rows of (scenario, metric, subject), years ascending.
    pub fn series(&self, scenario: &str, metric: Metric, subject: &Subject) -> Vec<&SummaryRecord> {
        self.index
            .get(&(
                scenario.to_string(),
                metric,
                subject.kind,
                subject.id.clone(),
            ))
            .map(|m| m.values().map(|&i| &self.summary[i]).collect())
            .unwrap_or_default()
    }

    /// The corridor's rows of `metric` in `scenario`, years ascending.
    pub fn corridor_series(&self, scenario: &str, metric: Metric) -> Vec<&SummaryRecord> {
        self.series(scenario, metric, &Subject::corridor())
    }

    /// Subjects that recorded `metric` in `scenario`, in first-seen order.
    pub fn subjects(&self, scenario: &str, metric: Metric) -> Vec<Subject> {
        let mut seen = BTreeSet::new();
        self.summary
            .iter()
            .filter(|r| r.scenario == scenario && r.metric == metric)
            .map(|r| Subject::new(r.kind, r.subject.clone()))
            .filter(|s| seen.insert(s.clone()))
            .collect()
    }

    /// Years `scenario` recorded anything in, ascending.
    pub fn years(&self, scenario: &str) -> Vec<i32> {
        self.summary
            .iter()
            .filter(|r| r.scenario == scenario)
            .map(|r| r.year)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The scenarios the options select, in results order, at most `max_scenarios`.
    pub fn scenarios_for(&self, opts: &PlotOptions) -> Vec<String> {
        self.selected(opts)
            .into_iter()
            .take(opts.max_scenarios.max(1))
            .collect()
    }

    /// How many selected scenarios `max_scenarios` leaves out.
    pub fn hidden_scenarios(&self, opts: &PlotOptions) -> usize {
        self.selected(opts)
            .len()
            .saturating_sub(opts.max_scenarios.max(1))
    }

    fn selected(&self, opts: &PlotOptions) -> Vec<String> {
        self.scenarios
            .iter()
            .filter(|s| opts.scenarios.as_ref().is_none_or(|w| w.contains(s)))
            .cloned()
            .collect()
    }

    /// The nodes of `scenario` from `nodes.csv`: its own rows, or else those of the first
    /// scenario listed (a batch whose scenarios share one network may list it once).
    pub fn nodes_of(&self, scenario: &str) -> Vec<&NodeRow> {
        let own: Vec<&NodeRow> = self
            .nodes
            .iter()
            .filter(|n| n.scenario == scenario)
            .collect();
        if !own.is_empty() {
            return own;
        }
        match self.nodes.first() {
            Some(f) => self
                .nodes
                .iter()
                .filter(|n| n.scenario == f.scenario)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The links of `scenario` from `links.csv` (same fallback as `nodes_of`).
    pub fn links_of(&self, scenario: &str) -> Vec<&LinkRow> {
        let own: Vec<&LinkRow> = self
            .links
            .iter()
            .filter(|n| n.scenario == scenario)
            .collect();
        if !own.is_empty() {
            return own;
        }
        match self.links.first() {
            Some(f) => self
                .links
                .iter()
                .filter(|n| n.scenario == f.scenario)
                .collect(),
            None => Vec::new(),
        }
    }

    /// Whether `subject` is a node or a link of `scenario`: from the network tables when
    /// they name it, otherwise from the kind its summary rows carry.
    pub fn place_kind(&self, scenario: &str, subject: &str) -> Option<PlaceKind> {
        if self.links_of(scenario).iter().any(|l| l.id == subject) {
            return Some(PlaceKind::Link);
        }
        if self.nodes_of(scenario).iter().any(|n| n.id == subject) {
            return Some(PlaceKind::Node);
        }
        let kinds: BTreeSet<SubjectKind> = self
            .summary
            .iter()
            .filter(|r| r.scenario == scenario && r.subject == subject)
            .map(|r| r.kind)
            .collect();
        if kinds.contains(&SubjectKind::Link) {
            Some(PlaceKind::Link)
        } else if kinds.contains(&SubjectKind::Node) {
            Some(PlaceKind::Node)
        } else {
            None
        }
    }

    /// The short name of a node or link ("Alat", "Aktau → Alat"), or the id itself; see
    /// `names::PlaceNames`.
    pub fn place_name(&self, scenario: &str, subject: &str) -> String {
        self.place_names(scenario).short(subject)
    }

    /// The short names of `scenario`'s places.
    pub fn place_names(&self, scenario: &str) -> PlaceNames {
        PlaceNames::new(self.nodes_of(scenario), self.links_of(scenario))
    }

    /// Order of places for tables and heatmaps: nodes, then links, in `nodes.csv` /
    /// `links.csv` order; subjects not listed there after them, by name.
    pub fn place_order(&self, scenario: &str, subject: &str) -> (usize, String) {
        if let Some(i) = self.nodes_of(scenario).iter().position(|n| n.id == subject) {
            return (i, String::new());
        }
        if let Some(i) = self.links_of(scenario).iter().position(|l| l.id == subject) {
            return (10_000 + i, String::new());
        }
        let base = match self.place_kind(scenario, subject) {
            Some(PlaceKind::Node) => 20_000,
            Some(PlaceKind::Link) => 30_000,
            None => 40_000,
        };
        (base, subject.to_string())
    }
}

/// Whether a subject the user wrote (`corridor`, a bare id, or `flows.<id>`-style)
/// names the subject (kind, id).
pub fn subject_matches(written: &str, kind: SubjectKind, id: &str) -> bool {
    written == id || written == Subject::new(kind, id).to_string()
}

/// A shorter name for charts: a sweep point `base[nodes.aktau.cranes=4,links.x.fleet=6]`
/// becomes `base[cranes=4, fleet=6]` (each path cut to its last segment, unless two
/// paths would then read the same). Other names are returned as they are.
pub fn short_scenario_name(name: &str) -> String {
    let Some(open) = name.find('[') else {
        return name.to_string();
    };
    let Some(inner) = name[open + 1..].strip_suffix(']') else {
        return name.to_string();
    };
    let pairs: Vec<(&str, &str)> = inner
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    if pairs.is_empty() || pairs.len() != inner.split(',').count() {
        return name.to_string();
    }
    let last = |k: &str| k.rsplit('.').next().unwrap_or(k).to_string();
    let lasts: Vec<String> = pairs.iter().map(|(k, _)| last(k)).collect();
    let unique = lasts.iter().collect::<BTreeSet<_>>().len() == lasts.len();
    let body: Vec<String> = pairs
        .iter()
        .zip(&lasts)
        .map(|((k, v), l)| format!("{}={v}", if unique { l.as_str() } else { k }))
        .collect();
    format!("{}[{}]", &name[..open], body.join(", "))
}

/// A file name stem for a scenario: its name when it is made of letters, digits and
/// `._-`; otherwise the other characters become `_` and a short hash of the full name is
/// appended, so that two names never share a file.
pub fn chart_file_stem(scenario: &str) -> String {
    let clean: String = scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == scenario && !scenario.is_empty() && !scenario.starts_with('.') {
        return clean;
    }
    // FNV-1a, 32 bits: stable across versions and platforms.
    let mut h: u32 = 0x811c_9dc5;
    for b in scenario.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    let clean = clean.trim_start_matches('.');
    format!("{clean}-{h:08x}")
}

fn read_summary(path: &Path) -> Result<Option<Vec<SummaryRecord>>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let [s, y, m, k, sub, mean, sd, lo, hi, n] = cols(
        &t,
        [
            "scenario",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "mean",
            "sd",
            "ci95_low",
            "ci95_high",
            "n",
        ],
    )?;
    let mut out = Vec::with_capacity(t.rows.len());
    for r in t.rows() {
        out.push(SummaryRecord {
            scenario: r.text(s).to_string(),
            year: r.year(y)?,
            metric: r.metric(m)?,
            kind: r.subject_kind(k)?,
            subject: r.text(sub).to_string(),
            mean: r.float(mean)?,
            sd: r.float(sd)?,
            ci95_low: r.float(lo)?,
            ci95_high: r.float(hi)?,
            n: r.int(n)?,
        });
    }
    Ok(Some(out))
}

fn cols<const N: usize>(t: &CsvTable, names: [&str; N]) -> Result<[usize; N], ReadError> {
    let mut out = [0; N];
    for (o, n) in out.iter_mut().zip(names) {
        *o = t.col(n)?;
    }
    Ok(out)
}

fn read_targets(path: &Path) -> Result<Option<Vec<TargetRecord>>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let [
        s,
        tg,
        y,
        m,
        k,
        sub,
        thr,
        mean,
        lo,
        hi,
        share,
        fmean,
        fmin,
        fmax,
    ] = cols(
        &t,
        [
            "scenario",
            "target",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "threshold",
            "mean",
            "ci95_low",
            "ci95_high",
            "share_met",
            "first_year_met_mean",
            "first_year_met_min",
            "first_year_met_max",
        ],
    )?;
    let dir = t.find("direction");
    let n = t.find("n");
    let fnn = t.find("first_year_met_n");
    let fby = t.find("first_year_met_by_year");
    let mut out = Vec::with_capacity(t.rows.len());
    for (line, r) in t.rows.iter().map(|(l, _)| *l).zip(t.rows()) {
        let by_year = match fby {
            Some(c) => parse_by_year(r.text(c)).ok_or_else(|| ReadError {
                path: t.path.clone(),
                line: Some(line),
                message: format!(
                    "column `first_year_met_by_year`: `{}` is not a list of YEAR:COUNT",
                    r.text(c)
                ),
            })?,
            None => Vec::new(),
        };
        out.push(TargetRecord {
            scenario: r.text(s).to_string(),
            target: r.text(tg).to_string(),
            year: r.year(y)?,
            metric: r.metric(m)?,
            kind: r.subject_kind(k)?,
            subject: r.text(sub).to_string(),
            threshold: r.float(thr)?,
            mean: r.float(mean)?,
            ci95_low: r.float(lo)?,
            ci95_high: r.float(hi)?,
            share_met: r.float(share)?,
            first_year_met_mean: r.float(fmean)?,
            first_year_met_min: r.opt_int(fmin)?,
            first_year_met_max: r.opt_int(fmax)?,
            direction: dir
                .map(|c| r.text(c).to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "at_least".to_string()),
            n: n.map(|c| r.opt_int(c)).transpose()?.flatten(),
            first_year_met_n: fnn.map(|c| r.opt_int(c)).transpose()?.flatten(),
            first_year_met_by_year: by_year,
        });
    }
    Ok(Some(out))
}

/// `2029:9 2030:7` → [(2029, 9), (2030, 7)]; `None` when malformed.
fn parse_by_year(cell: &str) -> Option<Vec<(i32, i64)>> {
    cell.split_whitespace()
        .map(|p| {
            let (y, n) = p.split_once(':')?;
            Some((y.parse().ok()?, n.parse().ok()?))
        })
        .collect()
}

fn read_comparison(path: &Path) -> Result<Option<Vec<ComparisonRow>>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let [a, b, y, m, k, sub, ma, mb, md, lo, hi, n] = cols(
        &t,
        [
            "scenario_a",
            "scenario_b",
            "year",
            "metric",
            "subject_kind",
            "subject",
            "mean_a",
            "mean_b",
            "mean_diff",
            "ci95_low",
            "ci95_high",
            "n",
        ],
    )?;
    let mut out = Vec::with_capacity(t.rows.len());
    for r in t.rows() {
        out.push(ComparisonRow {
            scenario_a: r.text(a).to_string(),
            scenario_b: r.text(b).to_string(),
            year: r.year(y)?,
            metric: r.metric(m)?,
            kind: r.subject_kind(k)?,
            subject: r.text(sub).to_string(),
            mean_a: r.float(ma)?,
            mean_b: r.float(mb)?,
            mean_diff: r.float(md)?,
            ci95_low: r.float(lo)?,
            ci95_high: r.float(hi)?,
            n: r.int(n)?,
        });
    }
    Ok(Some(out))
}

fn read_sweep(path: &Path) -> Result<Option<SweepTable>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let s = t.col("scenario")?;
    let axes: Vec<String> = t.header[..s].to_vec();
    let [y, m, k, sub, mean, lo, hi, n] = cols(
        &t,
        [
            "year",
            "metric",
            "subject_kind",
            "subject",
            "mean",
            "ci95_low",
            "ci95_high",
            "n",
        ],
    )?;
    let mut rows = Vec::with_capacity(t.rows.len());
    for r in t.rows() {
        let values = (0..s).map(|c| r.float(c)).collect::<Result<Vec<_>, _>>()?;
        rows.push(SweepRecord {
            values,
            scenario: r.text(s).to_string(),
            year: r.year(y)?,
            metric: r.metric(m)?,
            kind: r.subject_kind(k)?,
            subject: r.text(sub).to_string(),
            mean: r.float(mean)?,
            ci95_low: r.float(lo)?,
            ci95_high: r.float(hi)?,
            n: r.int(n)?,
        });
    }
    Ok(Some(SweepTable { axes, rows }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(
            short_scenario_name("base[nodes.aktau.cranes=4,links.aktau-alat.fleet=6]"),
            "base[cranes=4, fleet=6]"
        );
        assert_eq!(
            short_scenario_name("b[nodes.a.cranes=1,nodes.b.cranes=2]"),
            "b[nodes.a.cranes=1, nodes.b.cranes=2]"
        );
        assert_eq!(short_scenario_name("baseline"), "baseline");
        assert_eq!(short_scenario_name("odd[x]"), "odd[x]");
    }

    #[test]
    fn stems_are_safe_and_distinct() {
        assert_eq!(chart_file_stem("base"), "base");
        let a = chart_file_stem("base[a=1,b=2]");
        let b = chart_file_stem("base_a_1_b_2_");
        assert!(a.starts_with("base_a_1_b_2_-"), "{a}");
        assert_ne!(a, b);
        assert!(!chart_file_stem("../x").contains('/'));
    }
}
