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

/// Checks that `dir` holds a complete summary set: the marker exists, every file it lists
/// has the listed content, and no other summary file lies beside them. The error is a
/// sentence naming what is wrong.
pub fn check_summary_set(dir: &Path) -> Result<(), String> {
    let marker = dir.join(SUMMARY_SET_JSON);
    let text = fs::read_to_string(&marker).map_err(|e| {
        format!(
            "{} has no complete summary set ({}: {e}): the run that wrote it was stopped before it finished; run it again with --resume",
            dir.display(),
            marker.display()
        )
    })?;
    let doc: SummarySet = serde_json::from_str(&text)
        .ok()
        .filter(|d: &SummarySet| d.format == SUMMARY_SET_FORMAT)
        .ok_or_else(|| format!("{} is not a summary-set marker", marker.display()))?;
    for f in &doc.files {
        let p = dir.join(&f.path);
        let ok = fs::read(&p).is_ok_and(|b| files::sha256_hex(&b) == f.sha256);
        if !ok {
            return Err(format!(
                "{} is missing or differs from what the run wrote (see {}); run again with --resume to rewrite the summaries",
                p.display(),
                marker.display()
            ));
        }
    }
    for m in SUMMARY_SET_MEMBERS {
        if dir.join(m).exists() && !doc.files.iter().any(|f| f.path == *m) {
            return Err(format!(
                "{} is not part of the summary set {} lists; run again with --resume to rewrite the summaries",
                dir.join(m).display(),
                marker.display()
            ));
        }
    }
    Ok(())
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
