//! Writing results to files: tidy CSV tables and JSON documents, each written atomically.
//!
//! The output layer turns rows that `analysis` computed (and raw `RunResult` records) into
//! bytes. It must never know about the event loop, threads or shards, and it must never
//! format anything non-deterministically: the same rows always give the same bytes, so
//! that runs can be compared with `cmp`. Floats are written with Rust's shortest
//! round-trip `Display` (never exponent notation, never locale-dependent), statistics
//! after rounding to 12 significant digits (`csv::round_stat`); NaN is an empty CSV cell
//! and a JSON `null`. Wall-clock time appears only in `provenance.json`. Inside an output
//! folder opened with `files::OutDir`, an atomic write never replaces a file that
//! corridor cannot prove it wrote (see `files`).

pub mod console;
pub mod csv;
pub mod files;
pub mod json;
pub mod network;
pub mod plots;
pub mod report;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use self::csv::{
    SweepPoint, write_comparison_csv, write_replications_csv, write_summary_csv, write_sweep_csv,
    write_targets_csv,
};
pub use self::json::{
    Provenance, ScenarioSummary, write_json, write_provenance_json, write_summary_json,
};

/// The files a complete batch writes into its output folder (besides `.replications/`).
pub const REPLICATIONS_CSV: &str = "replications.csv";
pub const SUMMARY_CSV: &str = "summary.csv";
pub const TARGETS_CSV: &str = "targets.csv";
pub const COMPARISON_CSV: &str = "comparison.csv";
pub const SWEEP_CSV: &str = "sweep.csv";
pub const APPRAISAL_CSV: &str = "appraisal.csv";
pub const APPRAISAL_YEARS_CSV: &str = "appraisal_years.csv";
pub const MARGINS_CSV: &str = "margins.csv";
pub const SUMMARY_JSON: &str = "summary.json";
/// The only file whose content depends on when and where the program ran.
pub const PROVENANCE_JSON: &str = "provenance.json";
/// The marker of a complete summary set: written after every other summary file, it lists
/// each one with its SHA-256. A folder without it, or whose files do not match it, holds
/// no complete summary (a run was stopped while writing them, or a file was changed).
pub const SUMMARY_SET_JSON: &str = "files.json";
const SUMMARY_SET_FORMAT: &str = "corridor-summary-set/1";

/// The files of a summary set, whichever of them a batch writes.
const SUMMARY_SET_MEMBERS: &[&str] = &[
    REPLICATIONS_CSV,
    SUMMARY_CSV,
    TARGETS_CSV,
    COMPARISON_CSV,
    SWEEP_CSV,
    SUMMARY_JSON,
];

#[derive(serde::Serialize, serde::Deserialize)]
struct SummarySet {
    format: String,
    files: Vec<SummarySetFile>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SummarySetFile {
    path: String,
    sha256: String,
}

/// Writes the summary-set marker listing `files` (name, SHA-256), atomically.
pub fn write_summary_set(path: &Path, files: &[(String, String)]) -> Result<(), OutputError> {
    let doc = SummarySet {
        format: SUMMARY_SET_FORMAT.to_string(),
        files: files
            .iter()
            .map(|(p, h)| SummarySetFile {
                path: p.clone(),
                sha256: h.clone(),
            })
            .collect(),
    };
    write_json(path, &doc)
}

/// Why a folder holds no complete summary set; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SummarySetError {
    #[error(
        "{} has no complete summary set ({}: {source}): the run that wrote it was stopped before it finished; run it again with --resume",
        dir.display(),
        marker.display()
    )]
    NoMarker {
        dir: PathBuf,
        marker: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a summary-set marker", marker.display())]
    NotAMarker { marker: PathBuf },
    #[error(
        "{} is missing or differs from what the run wrote (see {}); run again with --resume to rewrite the summaries",
        path.display(),
        marker.display()
    )]
    Changed { path: PathBuf, marker: PathBuf },
    #[error(
        "{} is not part of the summary set {} lists; run again with --resume to rewrite the summaries",
        path.display(),
        marker.display()
    )]
    NotListed { path: PathBuf, marker: PathBuf },
}

/// Checks that `dir` holds a complete summary set: the marker exists, every file it lists
/// has the listed content, and no other summary file lies beside them.
pub fn check_summary_set(dir: &Path) -> Result<(), SummarySetError> {
    let marker = dir.join(SUMMARY_SET_JSON);
    let text = match fs::read_to_string(&marker) {
        Ok(t) => t,
        Err(source) => {
            return Err(SummarySetError::NoMarker {
                dir: dir.to_path_buf(),
                marker,
                source,
            });
        }
    };
    let Some(doc) = serde_json::from_str(&text)
        .ok()
        .filter(|d: &SummarySet| d.format == SUMMARY_SET_FORMAT)
    else {
        return Err(SummarySetError::NotAMarker { marker });
    };
    for f in &doc.files {
        let p = dir.join(&f.path);
        let ok = fs::read(&p).is_ok_and(|b| files::sha256_hex(&b) == f.sha256);
        if !ok {
            return Err(SummarySetError::Changed { path: p, marker });
        }
    }
    for m in SUMMARY_SET_MEMBERS {
        if dir.join(m).exists() && !doc.files.iter().any(|f| f.path == *m) {
            return Err(SummarySetError::NotListed {
                path: dir.join(m),
                marker,
            });
        }
    }
    Ok(())
}

/// Every name the output layer writes at the top of a results folder, in the order a
/// refusal lists them (the runner's `batch.json` and `.replications/` are the runner's).
pub const RESULT_FILES: &[&str] = &[
    REPLICATIONS_CSV,
    SUMMARY_CSV,
    TARGETS_CSV,
    COMPARISON_CSV,
    SWEEP_CSV,
    APPRAISAL_CSV,
    APPRAISAL_YEARS_CSV,
    MARGINS_CSV,
    SUMMARY_JSON,
    SUMMARY_SET_JSON,
    PROVENANCE_JSON,
    network::NODES_CSV,
    network::LINKS_CSV,
    report::REPORT_MD,
    report::REPORT_HTML,
];

/// The files derived from the persisted replications, rewritten whenever a run completes.
/// The summary-set marker goes first, so that a folder is never marked complete while its
/// summaries are being removed.
const DERIVED_FILES: &[&str] = &[
    SUMMARY_SET_JSON,
    REPLICATIONS_CSV,
    SUMMARY_CSV,
    TARGETS_CSV,
    COMPARISON_CSV,
    SWEEP_CSV,
    APPRAISAL_CSV,
    APPRAISAL_YEARS_CSV,
    MARGINS_CSV,
    SUMMARY_JSON,
    report::REPORT_MD,
    report::REPORT_HTML,
];

/// True when `dir` holds any of `RESULT_FILES`.
pub fn holds_results(dir: &Path) -> bool {
    RESULT_FILES.iter().any(|f| dir.join(f).exists())
}

/// Removes the summaries and charts an earlier run left, so that a folder never holds
/// summaries that disagree with its replications; they are rewritten at the end of any
/// run that completes. Only files the folder's ledger proves corridor wrote are removed:
/// charts of its own under `plots/` go, a user's file there stays (and so does the folder).
pub fn remove_derived(od: &files::OutDir) -> Result<(), files::OutDirError> {
    for f in DERIVED_FILES {
        od.remove_own(f)?;
    }
    remove_own_plots(od)
}

/// `--force`: removes every result file the ledger proves ours, charts included.
pub fn clear_results(od: &files::OutDir) -> Result<(), files::OutDirError> {
    for f in RESULT_FILES {
        od.remove_own(f)?;
    }
    for f in od.owned_under("") {
        od.remove_own(&f)?;
    }
    remove_own_plots(od)
}

fn remove_own_plots(od: &files::OutDir) -> Result<(), files::OutDirError> {
    let prefix = format!("{}/", plots::PLOTS_DIR);
    for f in od.owned_under(&prefix) {
        od.remove_own(&f)?;
    }
    // Only when empty: anything left in it is not ours.
    let _ = fs::remove_dir(od.path().join(plots::PLOTS_DIR));
    Ok(())
}

/// Writes the summary set of a complete batch into `dir`: `replications.csv`,
/// `summary.csv`, `targets.csv`, `comparison.csv` (two or more scenarios) or `sweep.csv`
/// (a sweep), `summary.json`, and last the marker that the set is complete. Returns the
/// paths written, in that order.
pub fn write_summary_files(
    dir: &Path,
    scenarios: &[ScenarioSummary<'_>],
    replications: &[(&str, &[crate::model::results::RunResult])],
    comparisons: &[crate::analysis::Comparison],
    is_sweep: bool,
    precision: Option<&crate::analysis::precision::PrecisionReport>,
) -> Result<Vec<PathBuf>, OutputError> {
    let mut written = Vec::new();
    let mut wrote = |name: &str| -> PathBuf {
        let p = dir.join(name);
        written.push(p.clone());
        p
    };
    write_replications_csv(&wrote(REPLICATIONS_CSV), replications)?;
    let summary: Vec<crate::analysis::SummaryRow> = scenarios
        .iter()
        .flat_map(|s| s.summary.iter().cloned())
        .collect();
    write_summary_csv(&wrote(SUMMARY_CSV), &summary)?;
    let targets: Vec<crate::analysis::TargetRow> = scenarios
        .iter()
        .flat_map(|s| s.targets.iter().cloned())
        .collect();
    write_targets_csv(&wrote(TARGETS_CSV), &targets)?;
    if is_sweep {
        let points: Vec<SweepPoint<'_>> = scenarios
            .iter()
            .map(|s| SweepPoint {
                values: s.sweep,
                summary: s.summary,
            })
            .collect();
        write_sweep_csv(&wrote(SWEEP_CSV), &points)?;
    } else if scenarios.len() >= 2 {
        write_comparison_csv(&wrote(COMPARISON_CSV), comparisons)?;
    }
    write_summary_json(
        &wrote(SUMMARY_JSON),
        env!("CARGO_PKG_VERSION"),
        scenarios,
        comparisons,
        precision,
    )?;
    // Last: the marker that the set is complete, with each file's hash, so that a reader
    // (or `corridor plot`) can tell a complete set from one a kill left half-written.
    let listed: Vec<(String, String)> = written
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let bytes = fs::read(p).ok()?;
            Some((name, files::sha256_hex(&bytes)))
        })
        .collect();
    let marker = dir.join(SUMMARY_SET_JSON);
    write_summary_set(&marker, &listed)?;
    written.push(marker);
    Ok(written)
}

/// A file could not be written; always names the path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// Formats a float for a CSV cell: shortest round-trip decimal, NaN as an empty cell.
/// Infinities are written `inf` / `-inf`, which common CSV readers parse back.
pub fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Makes temp file names unique across the threads of one process; the pid makes them
/// unique across processes sharing a folder.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// True for the temporary files `write_atomic` creates (`.<name>.tmp-<pid>-<n>`), so that
/// a folder left by a crash can be cleaned without touching anything else.
pub fn is_temp_file_name(name: &str) -> bool {
    files::is_stale_temp_name(name)
}

/// Writes a file so that readers (and a later `--resume`) see either the old content or
/// the complete new one, never a torn file: the content goes to a temporary file in the
/// same folder (a rename is only atomic within one file system), which is flushed and
/// fsynced before it is renamed over `path`; the folder is then fsynced so the rename
/// itself survives a power cut.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<(), OutputError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let io_err = |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| OutputError::Invalid {
            path: path.to_path_buf(),
            message: "not a file path".to_string(),
        })?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> io::Result<String> {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut w = files::HashingWriter::new(BufWriter::new(file));
        fill(&mut w)?;
        let (w, sha256) = w.finish();
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        Ok(sha256)
    })();
    let result = result.map_err(io_err).and_then(|sha256| {
        // In an open output folder: refuse to replace a file corridor did not write, and
        // record this one before it appears under its name.
        files::before_rename(path, &sha256)?;
        fs::rename(&tmp, path).map_err(io_err)
    });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(&dir);
    Ok(())
}

/// Best effort: some platforms and file systems cannot open or fsync a directory, and the
/// file itself is already durable, so a failure here is not worth failing the run for.
fn sync_dir(dir: &Path) {
    if cfg!(unix) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes bytes atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomic(path, |w| w.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_format_is_shortest_and_plain() {
        assert_eq!(fmt_f64(0.1), "0.1");
        assert_eq!(fmt_f64(100.0), "100");
        assert_eq!(fmt_f64(1e21), "1000000000000000000000");
        assert_eq!(fmt_f64(f64::NAN), "");
        assert_eq!(fmt_f64(f64::INFINITY), "inf");
        let x = 0.1 + 0.2;
        assert_eq!(fmt_f64(x).parse::<f64>().unwrap(), x);
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_bytes_atomic(&p, b"one").unwrap();
        write_bytes_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn failed_fill_keeps_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_bytes_atomic(&p, b"old").unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn unwritable_dir_names_the_path() {
        let p = Path::new("/nonexistent-corridor-dir/x/summary.csv");
        let e = write_bytes_atomic(p, b"x").unwrap_err();
        assert!(
            e.to_string()
                .contains("/nonexistent-corridor-dir/x/summary.csv"),
            "{e}"
        );
    }
}
