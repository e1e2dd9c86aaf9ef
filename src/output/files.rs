//! Which files of an output folder corridor wrote, and the lock that keeps two runs out of
//! one folder. This is what lets a run share a folder with a user's own files.
//!
//! An open [`OutDir`] holds an exclusive advisory lock on `<dir>/.corridor.lock` (`flock`
//! through `fs4`) for as long as it lives. It also keeps a ledger, `<dir>/.corridor-files.log`:
//! one JSON line per file corridor wrote there, with the file's path and the SHA-256 of its
//! bytes. Every atomic write into the folder (`output::write_atomic`) is checked and
//! recorded here before its rename. A write may replace an existing file only if the ledger
//! proves corridor wrote it, meaning the name is listed with the hash of its current
//! content. A caller may delete only such files ([`OutDir::remove_own`]). Persisted
//! replications under `.replications/` are the exception: that hidden folder and its
//! `rep-NNNNNN.json` files belong to corridor by name, and they are too many to hash one
//! by one. This module must never delete or replace a file it cannot prove it wrote. It
//! must never take the lock on anything but a folder's own `.corridor.lock`, and it must
//! never delete that lock file: a lock file removed while another process waits on it
//! would let two processes each hold a "lock".

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::OutputError;

/// The lock file. It is empty, never deleted, and the same in every folder.
pub const LOCK_FILE: &str = ".corridor.lock";
/// The ledger of files corridor wrote in the folder (JSON lines: `sha256`, `path`).
pub const LEDGER_FILE: &str = ".corridor-files.log";
/// The folder of persisted replications; its content is corridor's by name.
pub const REPLICATIONS_DIR: &str = ".replications";

/// Why an output folder cannot be used. `Busy`, `NotAFolder`, `DanglingLink` and `NotOurs`
/// are the user's to fix (bad input); `Io` is a failure of the file system.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    #[error(
        "{} is in use by another corridor process (it holds the lock {}); wait for it to finish, or choose another --out",
        path.display(),
        path.join(LOCK_FILE).display()
    )]
    Busy { path: PathBuf },
    #[error("{} exists and is not a folder; choose another --out", path.display())]
    NotAFolder { path: PathBuf },
    #[error(
        "{} is a symbolic link to {}, which does not exist; create that folder or choose another --out",
        path.display(),
        target.display()
    )]
    DanglingLink { path: PathBuf, target: PathBuf },
    #[error(
        "{} {} not written by corridor in this folder, or {} changed since (the folder's {LEDGER_FILE} has no record of {}); corridor never replaces or deletes files it did not write: move {} away or choose another --out",
        list(paths),
        if paths.len() == 1 { "was" } else { "were" },
        if paths.len() == 1 { "it" } else { "they" },
        if paths.len() == 1 { "its content" } else { "their content" },
        if paths.len() == 1 { "it" } else { "them" }
    )]
    NotOurs { paths: Vec<PathBuf> },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .take(5)
        .map(|p| p.display().to_string())
        .collect();
    let more = if paths.len() > 5 {
        format!(" and {} more", paths.len() - 5)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutDirError + '_ {
    move |source| OutDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Serialize, Deserialize)]
struct LedgerLine {
    sha256: String,
    path: String,
}

/// The SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file's content; `None` if it is not a readable regular file.
fn file_sha256(path: &Path) -> Option<String> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex(&h.finalize()))
}

/// Hashes what is written through it, so that `write_atomic` knows the hash of a file
/// without reading it back.
pub(crate) struct HashingWriter<W> {
    pub inner: W,
    pub hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }
    pub fn finish(self) -> (W, String) {
        (self.inner, hex(&self.hasher.finalize()))
    }
}

struct Ledger {
    /// Append handle of the ledger file.
    file: File,
    /// Relative path (`/`-separated) → every hash corridor wrote there. More than one
    /// because a kill between the ledger line and the rename leaves the old content.
    owned: BTreeMap<String, BTreeSet<String>>,
    /// Hashes of the files written by this process, by relative path.
    written: BTreeMap<String, String>,
}

/// An output folder opened for writing: locked, with its ledger loaded. While it lives,
/// every `write_atomic` under it is checked against and recorded in the ledger. Dropping
/// it rewrites the ledger and then releases the lock, in that order and on the dropping
/// thread, so that the folder is final when the lock is free.
pub struct OutDir {
    shared: Arc<Ledgered>,
    _lock: File,
}

/// The part of an open folder that `write_atomic` reaches through the registry. A writer
/// thread may hold it for a moment after the `OutDir` is gone; that is harmless, because
/// only the lock and the final ledger rewrite belong to the `OutDir`.
pub struct Ledgered {
    path: PathBuf,
    canonical: PathBuf,
    ledger: Mutex<Ledger>,
}

impl std::ops::Deref for OutDir {
    type Target = Ledgered;
    fn deref(&self) -> &Ledgered {
        &self.shared
    }
}

impl std::fmt::Debug for OutDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutDir").field("path", &self.path).finish()
    }
}

/// The folders open in this process (a library user may open several at once).
static OPEN: Mutex<Vec<Arc<Ledgered>>> = Mutex::new(Vec::new());

/// True for the temporary names `write_atomic` uses: `.<name>.tmp-<pid>-<n>`.
pub fn is_stale_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some(pos) = rest.rfind(".tmp-") else {
        return false;
    };
    let tail = &rest[pos + 5..];
    let mut parts = tail.split('-');
    let digits =
        |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    pos > 0 && digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

impl OutDir {
    /// Creates the folder if needed, takes its lock (refusing at once if another process
    /// holds it), loads the ledger, and deletes the temporary files a killed run left in
    /// it. Those are safe to delete only because nobody else can be writing there now.
    pub fn open(dir: &Path) -> Result<Arc<OutDir>, OutDirError> {
        if let Ok(meta) = fs::symlink_metadata(dir) {
            if meta.file_type().is_symlink() && fs::metadata(dir).is_err() {
                let target = fs::read_link(dir).unwrap_or_default();
                return Err(OutDirError::DanglingLink {
                    path: dir.to_path_buf(),
                    target,
                });
            }
        }
        if dir.exists() && !dir.is_dir() {
            return Err(OutDirError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        fs::create_dir_all(dir).map_err(io_at(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io_at(&lock_path))?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&lock) {
            Ok(true) => {}
            Ok(false) => {
                return Err(OutDirError::Busy {
                    path: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(io_at(&lock_path)(e)),
        }
        let canonical = fs::canonicalize(dir).map_err(io_at(dir))?;
        clean_stale_temps(dir)?;
        let owned = current_owned(dir, &read_ledger(&dir.join(LEDGER_FILE)));
        let file = write_ledger(dir, &owned)?;
        let shared = Arc::new(Ledgered {
            path: dir.to_path_buf(),
            canonical,
            ledger: Mutex::new(Ledger {
                file,
                owned,
                written: BTreeMap::new(),
            }),
        });
        OPEN.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(&shared));
        Ok(Arc::new(OutDir {
            shared,
            _lock: lock,
        }))
    }
}

impl Ledgered {
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True if `rel` exists and the ledger proves corridor wrote its current content.
    pub fn owns(&self, rel: &str) -> bool {
        let Some(h) = file_sha256(&self.path.join(rel)) else {
            return false;
        };
        self.ledger().owned.get(rel).is_some_and(|s| s.contains(&h))
    }

    /// Of `rels`, those that exist but are not proven corridor's.
    pub fn foreign(&self, rels: &[&str]) -> Vec<PathBuf> {
        rels.iter()
            .filter(|r| fs::symlink_metadata(self.path.join(r)).is_ok() && !self.owns(r))
            .map(|r| self.path.join(r))
            .collect()
    }

    /// Deletes `rel` if corridor wrote it; does nothing if it is absent; refuses if it is
    /// someone else's (or was changed since).
    pub fn remove_own(&self, rel: &str) -> Result<(), OutDirError> {
        let p = self.path.join(rel);
        if fs::symlink_metadata(&p).is_err() {
            return Ok(());
        }
        if !self.owns(rel) {
            return Err(OutDirError::NotOurs { paths: vec![p] });
        }
        fs::remove_file(&p).map_err(io_at(&p))?;
        let mut l = self.ledger();
        l.owned.remove(rel);
        l.written.remove(rel);
        Ok(())
    }

    /// The files under `prefix` (e.g. `plots/`) that corridor wrote and that still hold
    /// what it wrote.
    pub fn owned_under(&self, prefix: &str) -> Vec<String> {
        let names: Vec<String> = self
            .ledger()
            .owned
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        names.into_iter().filter(|n| self.owns(n)).collect()
    }

    /// The hash of `rel` as this process wrote it, if it did.
    pub fn written_sha256(&self, rel: &str) -> Option<String> {
        self.ledger().written.get(rel).cloned()
    }

    /// `path` relative to this folder, `/`-separated, if it lies inside it.
    fn relative(&self, path: &Path) -> Option<String> {
        let parent = path.parent()?;
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let canon = fs::canonicalize(parent).ok()?;
        let rel_dir = canon.strip_prefix(&self.canonical).ok()?;
        let mut parts: Vec<String> = rel_dir
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.push(path.file_name()?.to_string_lossy().into_owned());
        Some(parts.join("/"))
    }

    /// Called by `write_atomic` just before it renames its temporary file over `path`.
    fn before_rename(&self, path: &Path, rel: &str, sha256: &str) -> Result<(), OutputError> {
        if rel == LEDGER_FILE || rel == LOCK_FILE || rel.starts_with(REPLICATIONS_DIR) {
            return Ok(());
        }
        let exists = fs::symlink_metadata(path).is_ok();
        if exists && !self.owns(rel) {
            return Err(OutputError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "a file of that name exists and corridor did not write it (no record in {LEDGER_FILE}, or it was changed since); corridor never replaces files it did not write: move it away or choose another --out"
                ),
            });
        }
        let mut l = self.ledger();
        // The line goes first: a kill between it and the rename leaves a ledger that
        // claims a content nobody wrote, which proves nothing; the opposite order would
        // leave a file of ours that the ledger does not know.
        let mut line = serde_json::to_string(&LedgerLine {
            sha256: sha256.to_string(),
            path: rel.to_string(),
        })
        .unwrap_or_default();
        line.push('\n');
        l.file
            .write_all(line.as_bytes())
            .map_err(|source| OutputError::Io {
                path: self.path.join(LEDGER_FILE),
                source,
            })?;
        l.owned
            .entry(rel.to_string())
            .or_default()
            .insert(sha256.to_string());
        l.written.insert(rel.to_string(), sha256.to_string());
        Ok(())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        OPEN.lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|l| !Arc::ptr_eq(l, &self.shared));
        // Rewrites the ledger to what the folder now holds (one line per file, sorted), so
        // it does not grow run after run. Best effort: the appended ledger is valid too.
        // The lock (`_lock`) is released after this body.
        let owned = self.ledger().owned.clone();
        let _ = write_ledger(&self.path, &current_owned(&self.path, &owned));
    }
}

/// Takes a shared lock on a folder that is only read (an input of `merge`), so that a
/// folder a run is still writing is refused instead of read half-way. `None` when the
/// folder has no lock file (not made by this version, or not a results folder at all).
pub fn lock_for_reading(dir: &Path) -> Result<Option<File>, OutDirError> {
    let lock_path = dir.join(LOCK_FILE);
    let Ok(f) = File::open(&lock_path) else {
        return Ok(None);
    };
    match fs4::fs_std::FileExt::try_lock_shared(&f) {
        Ok(true) => Ok(Some(f)),
        Ok(false) => Err(OutDirError::Busy {
            path: dir.to_path_buf(),
        }),
        Err(e) => Err(io_at(&lock_path)(e)),
    }
}

/// Lets `write_atomic` check and record a write into an open folder.
pub(crate) fn before_rename(path: &Path, sha256: &str) -> Result<(), OutputError> {
    let open: Vec<Arc<Ledgered>> = OPEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // The innermost folder wins if one open folder lies inside another.
    let mut best: Option<(usize, &Arc<Ledgered>, String)> = None;
    for od in &open {
        if let Some(rel) = od.relative(path) {
            let depth = od.canonical.components().count();
            if best.as_ref().is_none_or(|(d, _, _)| depth > *d) {
                best = Some((depth, od, rel));
            }
        }
    }
    match best {
        Some((_, od, rel)) => od.before_rename(path, &rel, sha256),
        None => Ok(()),
    }
}

fn read_ledger(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut owned: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Ok(text) = fs::read_to_string(path) {
        // A line torn by a kill is skipped: it can only fail to prove something.
        for line in text.lines() {
            if let Ok(l) = serde_json::from_str::<LedgerLine>(line) {
                owned.entry(l.path).or_default().insert(l.sha256);
            }
        }
    }
    owned
}

/// Of the ledger's entries, those whose file still holds a recorded content.
fn current_owned(
    dir: &Path,
    owned: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, BTreeSet<String>> {
    owned
        .iter()
        .filter_map(|(rel, hashes)| {
            let h = file_sha256(&dir.join(rel))?;
            hashes
                .contains(&h)
                .then(|| (rel.clone(), BTreeSet::from([h])))
        })
        .collect()
}

/// Rewrites the ledger atomically with `owned` (sorted, so that equal folders have equal
/// ledgers), and returns an append handle on it.
fn write_ledger(
    dir: &Path,
    owned: &BTreeMap<String, BTreeSet<String>>,
) -> Result<File, OutDirError> {
    let path = dir.join(LEDGER_FILE);
    let mut text = String::new();
    for (rel, hashes) in owned {
        for h in hashes.iter().cloned() {
            text.push_str(
                &serde_json::to_string(&LedgerLine {
                    sha256: h,
                    path: rel.clone(),
                })
                .unwrap_or_default(),
            );
            text.push('\n');
        }
    }
    let tmp = dir.join(format!(".{LEDGER_FILE}.tmp-{}-0", std::process::id()));
    let write = || -> io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(io_at(&path)(e));
    }
    OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(io_at(&path))
}

/// Deletes `write_atomic`'s temporary files in the folder, `plots/` and each
/// `.replications/<scenario>/`. Only names of that exact shape are touched.
fn clean_stale_temps(dir: &Path) -> Result<(), OutDirError> {
    let mut dirs = vec![dir.to_path_buf(), dir.join(super::plots::PLOTS_DIR)];
    if let Ok(entries) = fs::read_dir(dir.join(REPLICATIONS_DIR)) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                dirs.push(e.path());
            }
        }
    }
    for d in dirs {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let is_file = e.file_type().is_ok_and(|t| t.is_file());
            if is_file && name.to_str().is_some_and(is_stale_temp_name) {
                let p = e.path();
                fs::remove_file(&p).map_err(io_at(&p))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names() {
        assert!(is_stale_temp_name(".summary.json.tmp-123-4"));
        assert!(is_stale_temp_name(".rep-000001.json.tmp-1-1"));
        assert!(!is_stale_temp_name("summary.json.tmp-123-4"));
        assert!(!is_stale_temp_name(".summary.json.tmp-123"));
        assert!(!is_stale_temp_name(".summary.json.tmp-12a-4"));
        assert!(!is_stale_temp_name(".tmp-1-2"));
        assert!(!is_stale_temp_name(".notes.tmp-1-2-3"));
    }

    #[test]
    fn second_open_is_refused_while_the_first_lives() {
        let tmp = tempfile::tempdir().unwrap();
        let a = OutDir::open(tmp.path()).unwrap();
        assert!(matches!(
            OutDir::open(tmp.path()),
            Err(OutDirError::Busy { .. })
        ));
        drop(a);
        OutDir::open(tmp.path()).unwrap();
    }

    /// Another thread writing into another open folder used to hold a strong reference
    /// to every open folder for a moment, so that dropping one could leave its lock (and
    /// its ledger rewrite) to that thread, later: the next open of the folder was refused
    /// as busy now and then (seen in tests/batch.rs after a merge with main).
    #[test]
    fn a_dropped_folder_is_free_at_once_while_others_write() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let _b = OutDir::open(b.path()).unwrap();
        let stop = AtomicBool::new(false);
        std::thread::scope(|sc| {
            sc.spawn(|| {
                // What `write_atomic` does for each file, without the fsync that would
                // make the window rare.
                let x = b.path().join("x.txt");
                while !stop.load(Ordering::Relaxed) {
                    before_rename(&x, "0").unwrap();
                }
            });
            for _ in 0..300 {
                let od = OutDir::open(a.path());
                let ok = od.is_ok();
                drop(od);
                if !ok {
                    stop.store(true, Ordering::Relaxed);
                    panic!("the folder was still locked after its OutDir was dropped");
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
    }

    #[test]
    fn only_recorded_content_is_ours() {
        let tmp = tempfile::tempdir().unwrap();
        let od = OutDir::open(tmp.path()).unwrap();
        let p = tmp.path().join("summary.csv");
        super::super::write_bytes_atomic(&p, b"ours").unwrap();
        assert!(od.owns("summary.csv"));
        fs::write(&p, b"edited by hand").unwrap();
        assert!(!od.owns("summary.csv"));
        assert!(super::super::write_bytes_atomic(&p, b"again").is_err());
        assert!(matches!(
            od.remove_own("summary.csv"),
            Err(OutDirError::NotOurs { .. })
        ));
        assert_eq!(fs::read(&p).unwrap(), b"edited by hand");
        let mine = tmp.path().join("mine.txt");
        fs::write(&mine, b"x").unwrap();
        assert!(super::super::write_bytes_atomic(&mine, b"y").is_err());
        assert_eq!(fs::read(&mine).unwrap(), b"x");
    }
}
