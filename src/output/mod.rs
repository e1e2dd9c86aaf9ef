//! Writing results to files: tidy CSV tables and JSON documents, each written atomically.
//!
//! The output layer turns rows that `analysis` computed (and raw `RunResult` records) into
//! bytes. It must never know about the event loop, threads or shards, and it must never
//! format anything non-deterministically: the same rows always give the same bytes, so
//! that runs can be compared with `cmp`. Floats are written with Rust's shortest
//! round-trip `Display` (never exponent notation, never locale-dependent), statistics
//! after rounding to 12 significant digits (`csv::round_stat`); NaN is an empty CSV cell
//! and a JSON `null`. Wall-clock time appears only in `provenance.json`.

pub mod console;
pub mod csv;
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
pub const SUMMARY_JSON: &str = "summary.json";
/// The only file whose content depends on when and where the program ran.
pub const PROVENANCE_JSON: &str = "provenance.json";

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

/// True for the temporary files `write_atomic` creates, so that a folder left by a crash
/// can be cleaned without touching anything else.
pub fn is_temp_file_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
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
    let result = (|| -> io::Result<()> {
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
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
