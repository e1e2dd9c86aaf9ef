//! The network tables `nodes.csv` and `links.csv`, and reading tidy CSV tables back.
//!
//! A results folder holds numbers keyed by node and link ids; these two tables say what
//! the ids are (name, kind, country, position; end nodes, mode, length), so that charts
//! and reports can be redrawn from the folder alone. One row per scenario and node (or
//! link), so a batch of several scenarios, whose networks may differ, is described
//! completely. This module also holds the small CSV reader the plots and the report use
//! to read the run's tables back: it reports a malformed file with its path and line and
//! never panics. It must never simulate, and it must never write anything but whole files
//! (atomically, via `write_atomic`).

use std::fmt;
use std::path::{Path, PathBuf};

use super::{OutputError, fmt_f64, write_bytes_atomic};
use crate::scenario::{LinkMode, NodeKind, ScenarioFile};

/// File names of the network tables.
pub const NODES_CSV: &str = "nodes.csv";
pub const LINKS_CSV: &str = "links.csv";

/// Header of `nodes.csv`.
pub const NODES_HEADER: [&str; 7] = ["scenario", "id", "name", "kind", "country", "lat", "lon"];
/// Header of `links.csv`.
pub const LINKS_HEADER: [&str; 6] = ["scenario", "id", "from", "to", "mode", "distance_km"];

/// The snake_case name a node kind has in scenario files and in `nodes.csv`.
pub fn node_kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Terminal => "terminal",
        NodeKind::Border => "border",
        NodeKind::Port => "port",
        NodeKind::Gateway => "gateway",
    }
}

/// The name a link mode has in scenario files and in `links.csv`.
pub fn link_mode_name(m: LinkMode) -> &'static str {
    match m {
        LinkMode::Rail => "rail",
        LinkMode::Sea => "sea",
    }
}

fn csv_bytes(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, OutputError> {
    let invalid = |e: ::csv::Error| OutputError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record(header).map_err(invalid)?;
    for r in rows {
        w.write_record(r).map_err(invalid)?;
    }
    w.into_inner().map_err(|e| OutputError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `nodes.csv` and `links.csv` into `dir` for every scenario of a batch, in the
/// order given, nodes and links in the order of each scenario file. Both files are
/// replaced as a whole (atomically); missing names, countries, positions and distances
/// are empty cells.
pub fn write_network_csv(
    dir: &Path,
    scenarios: &[(&str, &ScenarioFile)],
) -> Result<(), OutputError> {
    let mut nodes = Vec::new();
    let mut links = Vec::new();
    for (scenario, file) in scenarios {
        for n in &file.nodes {
            nodes.push(vec![
                scenario.to_string(),
                n.id.clone(),
                n.name.clone().unwrap_or_default(),
                node_kind_name(n.kind).to_string(),
                n.country.clone().unwrap_or_default(),
                fmt_f64(n.lat.unwrap_or(f64::NAN)),
                fmt_f64(n.lon.unwrap_or(f64::NAN)),
            ]);
        }
        for l in &file.links {
            links.push(vec![
                scenario.to_string(),
                l.id.clone(),
                l.from.clone(),
                l.to.clone(),
                link_mode_name(l.mode).to_string(),
                fmt_f64(l.distance_km.unwrap_or(f64::NAN)),
            ]);
        }
    }
    let np = dir.join(NODES_CSV);
    let lp = dir.join(LINKS_CSV);
    let nb = csv_bytes(&np, &NODES_HEADER, &nodes)?;
    let lb = csv_bytes(&lp, &LINKS_HEADER, &links)?;
    write_bytes_atomic(&np, &nb)?;
    write_bytes_atomic(&lp, &lb)
}

/// One row of `nodes.csv`. `name` is the id when the file leaves it empty; `lat`/`lon` are
/// NaN when unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub scenario: String,
    pub id: String,
    pub name: String,
    pub kind: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
}

/// One row of `links.csv`; `distance_km` is NaN when unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRow {
    pub scenario: String,
    pub id: String,
    pub from: String,
    pub to: String,
    pub mode: String,
    pub distance_km: f64,
}

/// Reads `nodes.csv`; `Ok(None)` when the file does not exist.
pub fn read_nodes_csv(path: &Path) -> Result<Option<Vec<NodeRow>>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let c: Vec<usize> = NODES_HEADER
        .iter()
        .map(|h| t.col(h))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(t.rows.len());
    for r in t.rows() {
        let id = r.text(c[1]).to_string();
        let name = match r.text(c[2]) {
            "" => id.clone(),
            s => s.to_string(),
        };
        out.push(NodeRow {
            scenario: r.text(c[0]).to_string(),
            id,
            name,
            kind: r.text(c[3]).to_string(),
            country: r.text(c[4]).to_string(),
            lat: r.float(c[5])?,
            lon: r.float(c[6])?,
        });
    }
    Ok(Some(out))
}

/// Reads `links.csv`; `Ok(None)` when the file does not exist.
pub fn read_links_csv(path: &Path) -> Result<Option<Vec<LinkRow>>, ReadError> {
    let Some(t) = CsvTable::read(path)? else {
        return Ok(None);
    };
    let c: Vec<usize> = LINKS_HEADER
        .iter()
        .map(|h| t.col(h))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(t.rows.len());
    for r in t.rows() {
        out.push(LinkRow {
            scenario: r.text(c[0]).to_string(),
            id: r.text(c[1]).to_string(),
            from: r.text(c[2]).to_string(),
            to: r.text(c[3]).to_string(),
            mode: r.text(c[4]).to_string(),
            distance_km: r.float(c[5])?,
        });
    }
    Ok(Some(out))
}

/// A CSV file that cannot be read: the path, the line (1 = header) when known, and what
/// is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ReadError {}

/// A whole CSV file with a header row, read into memory (the tables of a results folder
/// are small). Every row has as many cells as the header, or reading fails.
#[derive(Debug, Clone)]
pub struct CsvTable {
    pub path: PathBuf,
    pub header: Vec<String>,
    /// (line number in the file, cells)
    pub rows: Vec<(u64, ::csv::StringRecord)>,
}

impl CsvTable {
    /// Reads `path`; `Ok(None)` when it does not exist.
    pub fn read(path: &Path) -> Result<Option<CsvTable>, ReadError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(ReadError {
                    path: path.to_path_buf(),
                    line: None,
                    message: e.to_string(),
                });
            }
        };
        Self::parse(path, &bytes).map(Some)
    }

    /// Parses CSV text; `path` only names the source in errors.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<CsvTable, ReadError> {
        let err = |e: ::csv::Error| {
            let line = e.position().map(|p| p.line());
            let message = match e.kind() {
                ::csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("{len} cells where the header has {expected_len}"),
                ::csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_string(),
                _ => e.to_string(),
            };
            ReadError {
                path: path.to_path_buf(),
                line,
                message,
            }
        };
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let header: Vec<String> = rdr
            .headers()
            .map_err(err)?
            .iter()
            .map(|s| s.trim().to_string())
            .collect();
        if header.iter().all(|h| h.is_empty()) {
            return Err(ReadError {
                path: path.to_path_buf(),
                line: Some(1),
                message: "empty file or header".to_string(),
            });
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(err)?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            rows.push((line, rec));
        }
        Ok(CsvTable {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The index of a required column, or an error naming it (line 1).
    pub fn col(&self, name: &str) -> Result<usize, ReadError> {
        self.find(name).ok_or_else(|| ReadError {
            path: self.path.clone(),
            line: Some(1),
            message: format!("missing column `{name}`"),
        })
    }

    /// The index of a column, if present.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The rows, with typed access that reports errors by line and column.
    pub fn rows(&self) -> impl Iterator<Item = CsvRow<'_>> {
        self.rows.iter().map(move |(line, rec)| CsvRow {
            table: self,
            line: *line,
            rec,
        })
    }
}

/// One data row of a `CsvTable`.
#[derive(Debug, Clone, Copy)]
pub struct CsvRow<'a> {
    table: &'a CsvTable,
    pub line: u64,
    rec: &'a ::csv::StringRecord,
}

impl CsvRow<'_> {
    fn error(&self, col: usize, what: &str) -> ReadError {
        let name = self
            .table
            .header
            .get(col)
            .map(String::as_str)
            .unwrap_or("?");
        ReadError {
            path: self.table.path.clone(),
            line: Some(self.line),
            message: format!("column `{name}`: {what}"),
        }
    }

    /// The cell's text ("" when out of range, which `CsvTable` rules out).
    pub fn text(&self, col: usize) -> &str {
        self.rec.get(col).unwrap_or("")
    }

    /// A float cell; empty means NaN.
    pub fn float(&self, col: usize) -> Result<f64, ReadError> {
        let s = self.text(col).trim();
        if s.is_empty() {
            return Ok(f64::NAN);
        }
        s.parse::<f64>()
            .map_err(|_| self.error(col, &format!("`{s}` is not a number")))
    }

    /// A required integer cell.
    pub fn int(&self, col: usize) -> Result<i64, ReadError> {
        let s = self.text(col).trim();
        s.parse::<i64>()
            .map_err(|_| self.error(col, &format!("`{s}` is not an integer")))
    }

    /// A year cell (required, within ±100,000).
    pub fn year(&self, col: usize) -> Result<i32, ReadError> {
        let v = self.int(col)?;
        i32::try_from(v)
            .ok()
            .filter(|y| y.abs() < 100_000)
            .ok_or_else(|| self.error(col, &format!("`{v}` is not a plausible year")))
    }

    /// A metric id from the catalogue (`crate::metrics`).
    pub fn metric(&self, col: usize) -> Result<crate::metrics::Metric, ReadError> {
        let s = self.text(col).trim();
        crate::metrics::Metric::from_name(s).ok_or_else(|| {
            self.error(
                col,
                &format!("`{s}` is not a metric this version of corridor knows"),
            )
        })
    }

    /// A subject kind (`corridor`, `node`, `link`, `flow`, `route`, `wagon_pool`).
    pub fn subject_kind(&self, col: usize) -> Result<crate::metrics::SubjectKind, ReadError> {
        let s = self.text(col).trim();
        crate::metrics::SubjectKind::from_name(s).ok_or_else(|| {
            self.error(
                col,
                &format!(
                    "`{s}` is not a subject kind (corridor, node, link, flow, route, wagon_pool)"
                ),
            )
        })
    }

    /// An optional integer cell (empty → None).
    pub fn opt_int(&self, col: usize) -> Result<Option<i64>, ReadError> {
        if self.text(col).trim().is_empty() {
            Ok(None)
        } else {
            self.int(col).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_number_names_file_line_and_column() {
        let t = CsvTable::parse(Path::new("x.csv"), b"a,b\n1,2\n3,zz\n").unwrap();
        let errs: Vec<_> = t.rows().map(|r| r.float(1)).collect();
        assert!(errs[0].is_ok());
        let e = errs[1].clone().unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().starts_with("x.csv:3: column `b`"), "{e}");
    }

    #[test]
    fn ragged_row_is_an_error_with_line() {
        let e = CsvTable::parse(Path::new("x.csv"), b"a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn missing_file_is_none() {
        assert!(
            CsvTable::read(Path::new("/nonexistent-corridor/x.csv"))
                .unwrap()
                .is_none()
        );
    }
}
