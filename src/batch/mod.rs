//! Scenario batches: many replications of one or more scenarios on a local thread pool,
//! persisted one by one so that nothing is lost, resumable, splittable into shards that
//! run on other machines and merged back, and swept over parameter grids.
//!
//! Work items are (job, replication) pairs in a fixed order; results are gathered in that
//! order whatever thread finished first, and each replication derives its random streams
//! from (seed, replication), so every output file is byte-identical for any thread count,
//! any sharding and any number of interruptions. This module must never print (progress
//! goes through a callback), never touch files outside the output folder it is given, and
//! never delete anything there but its own files.

pub mod interrupt;
pub mod shard;
mod store;
pub mod sweep;

use std::fmt;
use std::fs;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use crate::analysis::{self, Comparison, SummaryRow, TargetRow};
use crate::model::results::RunResult;
use crate::output::files::{OutDir, OutDirError};
use crate::output::{self, OutputError, json::ProvenanceScenario};
use crate::scenario::target::Target;

pub use shard::{SHARD_COUNT_VAR, SHARD_VAR, Shard, ShardError};
pub use store::{MANIFEST, REPLICATIONS_DIR, scenario_dir_name};
pub use sweep::{
    MAX_GRID_POINTS, MAX_RANGE_VALUES, SweepError, check_axes, grid, parse_set, sweep_name,
    write_sweep_table,
};

/// Worker threads allowed per core: a little oversubscription is harmless, a billion
/// threads took minutes to spawn.
pub const JOBS_PER_CORE: usize = 4;

/// Most replications one batch may hold (over all its scenarios).
pub const MAX_BATCH_REPLICATIONS: u64 = 1_000_000;

/// The largest `jobs_threads` accepted: `JOBS_PER_CORE` times the cores available.
pub fn max_jobs_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * JOBS_PER_CORE
}

/// Refuses more worker threads than `max_jobs_threads`; 0 (rayon's default) is checked
/// through `RAYON_NUM_THREADS`, which that default reads.
pub fn check_jobs_threads(threads: usize) -> Result<(), BatchError> {
    if threads == 0 {
        if let Some(n) = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
        {
            return check_jobs_threads(n)
                .map_err(|e| BatchError::InvalidOptions(format!("RAYON_NUM_THREADS={n}: {e}")));
        }
        return Ok(());
    }
    let max_threads = max_jobs_threads();
    if threads > max_threads {
        return Err(BatchError::InvalidOptions(format!(
            "--jobs {threads} is more than {max_threads} ({JOBS_PER_CORE} per core on this machine's {} cores): threads beyond the cores only add memory and switching, and results are the same for any value; use --jobs {max_threads} or less (0: one per core)",
            max_threads / JOBS_PER_CORE
        )));
    }
    Ok(())
}

/// A model that can run one replication. Implementations derive every random stream from
/// their seed and `replication`, so a replication's result does not depend on which
/// thread, process or machine runs it, nor on what ran before.
pub trait Simulate: Sync {
    fn run_replication(&self, replication: u64) -> RunResult;

    /// Like `run_replication`, but a model that can stop a replication on a guard rail
    /// (e.g. a backlog that would exhaust memory) says why instead of panicking. The batch
    /// calls this one.
    fn try_run_replication(&self, replication: u64) -> Result<RunResult, String> {
        Ok(self.run_replication(replication))
    }
}

/// One scenario to replicate.
#[derive(Clone)]
pub struct Job {
    /// Unique within a batch; names the outputs' `scenario` column and the folder of its
    /// persisted replications.
    pub scenario: String,
    /// Hash of the scenario file (as loaded, `extends` resolved); a persisted replication
    /// with another hash is stale and is run again on `--resume`.
    pub scenario_hash: String,
    pub seed: u64,
    /// Replications are numbered `0..replications`.
    pub replications: u64,
    pub targets: Vec<Target>,
    pub sim: Arc<dyn Simulate + Send + Sync>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("scenario", &self.scenario)
            .field("scenario_hash", &self.scenario_hash)
            .field("seed", &self.seed)
            .field("replications", &self.replications)
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

/// How to run a batch.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// Threads of the local pool; 0 uses rayon's default (all cores, or `RAYON_NUM_THREADS`).
    pub jobs_threads: usize,
    /// Where to persist replications and write the output files; `None` keeps everything
    /// in memory.
    pub out_dir: Option<PathBuf>,
    /// Reuse the valid replications already persisted in `out_dir`.
    pub resume: bool,
    /// Delete the results of an earlier run in `out_dir` first.
    pub force: bool,
    /// Run only this shard's work items.
    pub shard: Option<Shard>,
    /// For a sweep: the grid point of each job, in job order (empty for a plain batch).
    /// Recorded in the manifest, and `sweep.csv` is written instead of `comparison.csv`.
    pub sweep: Vec<Vec<(String, f64)>>,
    /// `out_dir` already opened (and locked) by the caller, who keeps it open to write
    /// more files there afterwards (the CLI's charts and report). Without it, the batch
    /// opens the folder itself and releases the lock when it returns.
    pub opened: Option<Arc<OutDir>>,
}

/// Options of `merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Delete the results of an earlier run in the output folder first.
    pub force: bool,
    /// The output folder already opened by the caller; see `BatchOptions::opened`.
    pub opened: Option<Arc<OutDir>>,
}

/// What the batch is doing, for a progress bar or a log. Events come from worker threads,
/// in no particular order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// Before any work: the number of (job, replication) items this run (or shard) covers.
    Planned { items: u64 },
    /// One item is settled, either simulated now or loaded from an earlier run.
    Replication {
        scenario: String,
        replication: u64,
        resumed: bool,
        /// Items settled so far, this one included.
        done: u64,
        items: u64,
    },
    /// A persisted replication could not be used and is simulated again.
    Discarded {
        scenario: String,
        replication: u64,
        path: PathBuf,
        reason: String,
    },
    /// An output file was written.
    Wrote { path: PathBuf },
}

/// Why a batch or a merge could not complete. Every message names what to do or which
/// path is at fault.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(
        "{} already holds results of an earlier run; use --force to replace them or --resume to continue that run",
        path.display()
    )]
    OutDirHasResults { path: PathBuf },
    #[error("--force and --resume exclude each other: --force deletes what --resume would reuse")]
    ForceAndResume,
    /// The output folder cannot be used: busy (another process holds its lock), not a
    /// folder, a dangling link, or holding files of ours' names that corridor did not write.
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    /// `--resume` on a folder whose `batch.json` describes another run.
    #[error(
        "cannot resume {}: {differences}; --resume only continues the run the folder holds (same scenarios, seeds and replications); use --force to replace its results with a new run",
        path.display()
    )]
    ResumeMismatch { path: PathBuf, differences: String },
    #[error("scenario name `{0}` appears twice in the batch; scenario names must be unique")]
    DuplicateScenario(String),
    #[error("{0}")]
    InvalidOptions(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(
        "replication {replication} of scenario `{scenario}` panicked: {message} (finished replications are kept; fix the cause and use --resume)"
    )]
    ReplicationPanicked {
        scenario: String,
        replication: u64,
        message: String,
    },
    /// A replication stopped on one of the model's guard rails (see `Simulate::
    /// try_run_replication`): the scenario runs but cannot be simulated to its end.
    #[error(
        "replication {replication} of scenario `{scenario}` stopped: {message} (finished replications are kept)"
    )]
    ReplicationFailed {
        scenario: String,
        replication: u64,
        message: String,
    },
    /// The cancellation flag was set (Ctrl-C, see `interrupt`): no new replication was
    /// started; those finished are persisted in `out` when there is one.
    #[error("{}", interrupted_message(*finished, *items, out.as_deref()))]
    Interrupted {
        finished: u64,
        items: u64,
        out: Option<PathBuf>,
    },
    #[error("cannot start the thread pool: {0}")]
    ThreadPool(String),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error(
        "cannot merge: replications missing for {0}; run the shards that hold them (with --resume) and merge again"
    )]
    MissingReplications(String),
}

fn interrupted_message(finished: u64, items: u64, out: Option<&Path>) -> String {
    match out {
        Some(dir) => format!(
            "interrupted: {finished} of {items} replications finished and are kept in {}; no summary was written; run the same command with --resume to run the rest",
            dir.display()
        ),
        None => format!(
            "interrupted after {finished} of {items} replications; nothing was saved (no output folder)"
        ),
    }
}

/// One job's results.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub targets: Vec<Target>,
    /// This job's grid point in a sweep; empty otherwise.
    pub sweep: Vec<(String, f64)>,
    /// Sorted by replication. In a shard, only that shard's replications.
    pub runs: Vec<RunResult>,
    pub summary: Vec<SummaryRow>,
    pub target_rows: Vec<TargetRow>,
    /// Replications whose conservation check failed.
    pub conservation_violations: Vec<u64>,
    /// Engine events over `runs`.
    pub events: u64,
}

/// A batch's results.
#[derive(Debug, Clone)]
pub struct BatchResult {
    /// In the order the jobs were given.
    pub jobs: Vec<JobOutcome>,
    /// Paired differences of every job against the first, when the batch has two or more
    /// jobs, is complete and is not a sweep.
    pub comparisons: Vec<Comparison>,
    pub shard: Option<Shard>,
    /// Every replication of every job is present (true unless sharded).
    pub complete: bool,
    pub replications_run: u64,
    pub replications_resumed: u64,
    pub replications_discarded: u64,
    /// Files written into the output folder, besides the persisted replications.
    pub files: Vec<PathBuf>,
}

/// What one work item produced.
enum Item {
    Ran(RunResult),
    Loaded(RunResult),
    Failed(BatchError),
    Skipped,
}

/// Job metadata, shared by fresh runs and merges.
struct Meta {
    scenario: String,
    scenario_hash: String,
    seed: u64,
    replications: u64,
    targets: Vec<Target>,
    sweep: Vec<(String, f64)>,
}

impl Meta {
    fn key(&self) -> store::RepKey<'_> {
        store::RepKey {
            scenario: &self.scenario,
            scenario_hash: &self.scenario_hash,
            seed: self.seed,
        }
    }

    fn to_manifest(&self) -> store::ManifestJob {
        store::ManifestJob {
            scenario: self.scenario.clone(),
            scenario_hash: self.scenario_hash.clone(),
            seed: self.seed,
            replications: self.replications,
            targets: self
                .targets
                .iter()
                .map(store::ManifestTarget::from)
                .collect(),
            sweep: self
                .sweep
                .iter()
                .map(|(p, v)| (p.clone(), store::Exact(*v)))
                .collect(),
        }
    }

    fn from_manifest(j: &store::ManifestJob) -> Meta {
        Meta {
            scenario: j.scenario.clone(),
            scenario_hash: j.scenario_hash.clone(),
            seed: j.seed,
            replications: j.replications,
            targets: j.targets.iter().map(Target::from).collect(),
            sweep: j.sweep.iter().map(|(p, v)| (p.clone(), v.0)).collect(),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Every name this module writes at the top of an output folder.
const OWN_FILES: &[&str] = &[
    store::MANIFEST,
    output::REPLICATIONS_CSV,
    output::SUMMARY_CSV,
    output::TARGETS_CSV,
    output::COMPARISON_CSV,
    output::SWEEP_CSV,
    output::SUMMARY_JSON,
    output::SUMMARY_SET_JSON,
    output::PROVENANCE_JSON,
    output::network::NODES_CSV,
    output::network::LINKS_CSV,
    output::report::REPORT_MD,
    output::report::REPORT_HTML,
];

/// The files derived from the persisted replications, rewritten whenever a run completes.
/// The summary-set marker goes first, so that a folder is never marked complete while its
/// summaries are being removed.
const DERIVED_FILES: &[&str] = &[
    output::SUMMARY_SET_JSON,
    output::REPLICATIONS_CSV,
    output::SUMMARY_CSV,
    output::TARGETS_CSV,
    output::COMPARISON_CSV,
    output::SWEEP_CSV,
    output::SUMMARY_JSON,
    output::report::REPORT_MD,
    output::report::REPORT_HTML,
];

/// Removes summaries an earlier run left, so that a folder never holds summaries that
/// disagree with its replications (e.g. a shard resumed after the batch was complete);
/// they are rewritten at the end of any run that completes. Only files the folder's ledger
/// proves corridor wrote are removed: charts of its own under `plots/` go, a user's file
/// there stays (and so does the folder).
fn remove_derived(od: &OutDir) -> Result<(), BatchError> {
    for f in DERIVED_FILES {
        od.remove_own(f)?;
    }
    remove_own_plots(od)
}

fn remove_own_plots(od: &OutDir) -> Result<(), BatchError> {
    let prefix = format!("{}/", output::plots::PLOTS_DIR);
    for f in od.owned_under(&prefix) {
        od.remove_own(&f)?;
    }
    // Only when empty: anything left in it is not ours.
    let _ = fs::remove_dir(od.path().join(output::plots::PLOTS_DIR));
    Ok(())
}

fn has_results(dir: &Path) -> bool {
    dir.join(store::REPLICATIONS_DIR).exists() || OWN_FILES.iter().any(|f| dir.join(f).exists())
}

/// True for the name of a persisted replication, `rep-NNNNNN.json`.
fn is_rep_file_name(name: &str) -> bool {
    name.strip_prefix("rep-")
        .and_then(|r| r.strip_suffix(".json"))
        .is_some_and(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `--force`: deletes every file of an earlier run (those the ledger proves ours, and the
/// persisted replications by name), then the folders left empty. Anything else stays.
fn clear_results(od: &OutDir) -> Result<(), BatchError> {
    let reps = od.path().join(store::REPLICATIONS_DIR);
    if let Ok(entries) = fs::read_dir(&reps) {
        for e in entries.flatten() {
            let d = e.path();
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            for f in fs::read_dir(&d).map_err(io_err(&d))?.flatten() {
                let is_file = f.file_type().is_ok_and(|t| t.is_file());
                if is_file && f.file_name().to_str().is_some_and(is_rep_file_name) {
                    let p = f.path();
                    fs::remove_file(&p).map_err(io_err(&p))?;
                }
            }
            let _ = fs::remove_dir(&d);
        }
        let _ = fs::remove_dir(&reps);
    }
    for f in OWN_FILES {
        od.remove_own(f)?;
    }
    for f in od.owned_under("") {
        od.remove_own(&f)?;
    }
    remove_own_plots(od)
}

/// What differs between the run a folder holds and the one asked for, or `None`.
fn manifest_differences(old: &store::Manifest, new: &store::Manifest) -> Option<String> {
    let mut diffs = Vec::new();
    if old.program_version != new.program_version {
        diffs.push(format!(
            "the folder was made by corridor {}, this is corridor {}",
            old.program_version, new.program_version
        ));
    }
    let names = |m: &store::Manifest| {
        m.jobs
            .iter()
            .map(|j| j.scenario.clone())
            .collect::<Vec<_>>()
    };
    if names(old) != names(new) {
        let show = |v: Vec<String>| {
            let n = v.len();
            let mut s: Vec<String> = v.into_iter().take(5).map(|x| format!("`{x}`")).collect();
            if n > 5 {
                s.push(format!("and {} more", n - 5));
            }
            s.join(", ")
        };
        diffs.push(format!(
            "the folder holds scenarios {}, this run has {}",
            show(names(old)),
            show(names(new))
        ));
    } else {
        for (o, n) in old.jobs.iter().zip(&new.jobs) {
            let s = &n.scenario;
            if o.scenario_hash != n.scenario_hash {
                diffs.push(format!(
                    "scenario `{s}` was edited (hash {} in the folder, {} now)",
                    o.scenario_hash, n.scenario_hash
                ));
            }
            if o.seed != n.seed {
                diffs.push(format!(
                    "scenario `{s}` has seed {} in the folder, {} now",
                    o.seed, n.seed
                ));
            }
            if o.replications != n.replications {
                diffs.push(format!(
                    "scenario `{s}` has {} replications in the folder, {} now",
                    o.replications, n.replications
                ));
            }
            if o.targets != n.targets {
                diffs.push(format!("scenario `{s}` has other targets"));
            }
            if o.sweep != n.sweep {
                diffs.push(format!("scenario `{s}` has other sweep values"));
            }
        }
    }
    if diffs.is_empty() {
        return None;
    }
    let n = diffs.len();
    if n > 5 {
        diffs.truncate(5);
        diffs.push(format!("{} more differences", n - 5));
    }
    Some(diffs.join("; "))
}

/// Opens (and locks) the output folder, refusing to mix with an earlier run's results
/// unless told, and refusing a `--resume` of another run than the folder holds.
fn prepare_out_dir(
    dir: &Path,
    opened: Option<&Arc<OutDir>>,
    force: bool,
    resume: bool,
    manifest: Option<&store::Manifest>,
) -> Result<Arc<OutDir>, BatchError> {
    let od = match opened {
        Some(od) => Arc::clone(od),
        None => OutDir::open(dir)?,
    };
    // Files with our names that we cannot prove are ours are a user's: never replaced,
    // whatever the options.
    let foreign = od.foreign(OWN_FILES);
    if !foreign.is_empty() {
        return Err(OutDirError::NotOurs { paths: foreign }.into());
    }
    if has_results(dir) {
        if force {
            clear_results(&od)?;
        } else if !resume {
            return Err(BatchError::OutDirHasResults {
                path: dir.to_path_buf(),
            });
        } else if let (Some(new), true) = (manifest, dir.join(store::MANIFEST).exists()) {
            let old = store::read_manifest(dir).map_err(|why| BatchError::ResumeMismatch {
                path: dir.to_path_buf(),
                differences: why,
            })?;
            if let Some(differences) = manifest_differences(&old, new) {
                return Err(BatchError::ResumeMismatch {
                    path: dir.to_path_buf(),
                    differences,
                });
            }
        }
    }
    Ok(od)
}

fn check_unique(names: impl Iterator<Item = String>) -> Result<(), BatchError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut dirs = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n.clone()) || !dirs.insert(store::scenario_dir_name(&n)) {
            return Err(BatchError::DuplicateScenario(n));
        }
    }
    Ok(())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

/// Runs every (job, replication) item of the batch, or of one shard of it.
///
/// With `out_dir`, each finished replication is persisted atomically as soon as it is
/// done, `batch.json` records the jobs, `provenance.json` records how the run went, and,
/// when every replication of every job is present (always, unless sharded), the summary
/// files are written: `replications.csv`, `summary.csv`, `targets.csv`, `summary.json`,
/// and `comparison.csv` (two or more jobs) or `sweep.csv` (a sweep). See docs/outputs.md.
///
/// A replication that panics stops the batch (items not yet started are skipped) and is
/// reported as an error; every replication finished before is kept for `--resume`.
pub fn run_batch(
    jobs: &[Job],
    opts: &BatchOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<BatchResult, BatchError> {
    // The Ctrl-C flag, when the program installed the handler (`interrupt`).
    let flag = interrupt::installed();
    run_batch_with_cancel(jobs, opts, progress, flag.as_deref())
}

/// `run_batch` with an explicit cancellation flag: once it is set, no new replication
/// starts, the ones in progress finish and are persisted, and the batch returns
/// `BatchError::Interrupted` (unless every item had already been settled).
pub fn run_batch_with_cancel(
    jobs: &[Job],
    opts: &BatchOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
    cancel: Option<&AtomicBool>,
) -> Result<BatchResult, BatchError> {
    let started = Instant::now();
    let started_at = output::json::now_utc();
    if opts.force && opts.resume {
        return Err(BatchError::ForceAndResume);
    }
    check_jobs_threads(opts.jobs_threads)?;
    let total: u64 = jobs
        .iter()
        .map(|j| j.replications)
        .fold(0, u64::saturating_add);
    if total > MAX_BATCH_REPLICATIONS {
        return Err(BatchError::InvalidOptions(format!(
            "the batch has {total} replications in all (scenarios × replications); the limit is {MAX_BATCH_REPLICATIONS}: each one is a file under .replications and is held in memory until the summaries are written; run fewer replications or fewer scenarios"
        )));
    }
    check_unique(jobs.iter().map(|j| j.scenario.clone()))?;
    if !opts.sweep.is_empty() && opts.sweep.len() != jobs.len() {
        return Err(BatchError::InvalidOptions(format!(
            "a sweep needs one grid point per job: {} points for {} jobs",
            opts.sweep.len(),
            jobs.len()
        )));
    }
    let metas: Vec<Meta> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| Meta {
            scenario: j.scenario.clone(),
            scenario_hash: j.scenario_hash.clone(),
            seed: j.seed,
            replications: j.replications,
            targets: j.targets.clone(),
            sweep: opts.sweep.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let out = opts.out_dir.as_deref();
    // Keeps the folder locked until this function returns (the caller may hold it longer).
    let mut _out_dir = None;
    if let Some(dir) = out {
        let manifest = store::Manifest::new(metas.iter().map(Meta::to_manifest).collect());
        let od = prepare_out_dir(
            dir,
            opts.opened.as_ref(),
            opts.force,
            opts.resume,
            Some(&manifest),
        )?;
        remove_derived(&od)?;
        // The manifest goes first: a shard that crashes half-way must still be mergeable
        // once resumed, and merge needs it to know what a complete batch is.
        store::write_manifest(dir, &manifest)?;
        _out_dir = Some(od);
        for m in &metas {
            let d = store::scenario_dir(dir, &m.scenario);
            fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
    }

    let mut items: Vec<(usize, u64)> = Vec::new();
    let mut index: u64 = 0;
    for (j, job) in jobs.iter().enumerate() {
        for rep in 0..job.replications {
            if opts.shard.is_none_or(|s| s.contains(index)) {
                items.push((j, rep));
            }
            index += 1;
        }
    }
    let n_items = items.len() as u64;
    progress(ProgressEvent::Planned { items: n_items });

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs_threads)
        .build()
        .map_err(|e| BatchError::ThreadPool(e.to_string()))?;
    let threads = pool.current_num_threads();
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let discarded = AtomicU64::new(0);

    let process = |&(j, rep): &(usize, u64)| -> Item {
        if stop.load(Ordering::Relaxed) || interrupt::requested(cancel) {
            return Item::Skipped;
        }
        let job = &jobs[j];
        let meta = &metas[j];
        let settled = |resumed: bool| {
            progress(ProgressEvent::Replication {
                scenario: job.scenario.clone(),
                replication: rep,
                resumed,
                done: done.fetch_add(1, Ordering::Relaxed) + 1,
                items: n_items,
            })
        };
        if let (Some(dir), true) = (out, opts.resume) {
            let path = store::rep_path(dir, &job.scenario, rep);
            match store::read_rep(&path, meta.key(), rep) {
                store::RepRead::Valid(run) => {
                    settled(true);
                    return Item::Loaded(run);
                }
                store::RepRead::Missing => {}
                store::RepRead::Invalid(reason) => {
                    discarded.fetch_add(1, Ordering::Relaxed);
                    progress(ProgressEvent::Discarded {
                        scenario: job.scenario.clone(),
                        replication: rep,
                        path,
                        reason,
                    });
                }
            }
        }
        let mut run = match catch_unwind(AssertUnwindSafe(|| job.sim.try_run_replication(rep))) {
            Ok(Ok(run)) => run,
            Ok(Err(message)) => {
                stop.store(true, Ordering::Relaxed);
                return Item::Failed(BatchError::ReplicationFailed {
                    scenario: job.scenario.clone(),
                    replication: rep,
                    message,
                });
            }
            Err(payload) => {
                stop.store(true, Ordering::Relaxed);
                return Item::Failed(BatchError::ReplicationPanicked {
                    scenario: job.scenario.clone(),
                    replication: rep,
                    message: panic_message(payload.as_ref()),
                });
            }
        };
        // The work item, not the model, is the authority on which replication this is.
        run.replication = rep;
        if let Some(dir) = out {
            if let Err(e) = store::write_rep(dir, meta.key(), &run) {
                stop.store(true, Ordering::Relaxed);
                return Item::Failed(e.into());
            }
        }
        settled(false);
        Item::Ran(run)
    };
    let results: Vec<Item> = pool.install(|| items.par_iter().map(process).collect());

    let mut runs: Vec<Vec<RunResult>> = vec![Vec::new(); jobs.len()];
    let (mut ran, mut resumed) = (0u64, 0u64);
    let mut first_error = None;
    let mut skipped = 0u64;
    for (&(j, _), item) in items.iter().zip(results) {
        match item {
            Item::Ran(r) => {
                ran += 1;
                runs[j].push(r);
            }
            Item::Loaded(r) => {
                resumed += 1;
                runs[j].push(r);
            }
            Item::Failed(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
            Item::Skipped => skipped += 1,
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Only an interruption that actually left work undone is one: a flag set during the
    // last replication lets the batch complete normally.
    if skipped > 0 && interrupt::requested(cancel) {
        return Err(BatchError::Interrupted {
            finished: ran + resumed,
            items: n_items,
            out: out.map(Path::to_path_buf),
        });
    }

    let mut result = finish(metas, runs, out, progress)?;
    result.shard = opts.shard;
    result.replications_run = ran;
    result.replications_resumed = resumed;
    result.replications_discarded = discarded.load(Ordering::Relaxed);
    if let Some(dir) = out {
        let p = provenance(&result, "run", started_at, started, threads, Vec::new());
        let path = dir.join(output::PROVENANCE_JSON);
        output::write_provenance_json(&path, &p)?;
        progress(ProgressEvent::Wrote { path: path.clone() });
        result.files.push(path);
    }
    Ok(result)
}

fn provenance(
    r: &BatchResult,
    operation: &str,
    started_at: String,
    started: Instant,
    threads: usize,
    merged_from: Vec<String>,
) -> output::Provenance {
    output::Provenance {
        program: env!("CARGO_PKG_NAME").to_string(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        operation: operation.to_string(),
        started_at,
        finished_at: output::json::now_utc(),
        wall_seconds: started.elapsed().as_secs_f64(),
        threads,
        shard: r.shard.map(|s| s.to_string()),
        replications_run: r.replications_run,
        replications_resumed: r.replications_resumed,
        replications_discarded: r.replications_discarded,
        merged_from,
        complete: r.complete,
        scenarios: r
            .jobs
            .iter()
            .map(|j| ProvenanceScenario {
                scenario: j.scenario.clone(),
                scenario_hash: j.scenario_hash.clone(),
                seed: j.seed,
                replications: j.replications,
                events: j.events,
            })
            .collect(),
    }
}

/// Analyses the gathered runs and, when they are complete and a folder is given, writes
/// the deterministic output files. Shared by `run_batch` and `merge`, which is what makes
/// a merged folder identical to an unsharded one.
fn finish(
    metas: Vec<Meta>,
    runs: Vec<Vec<RunResult>>,
    out: Option<&Path>,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<BatchResult, BatchError> {
    let complete = metas
        .iter()
        .zip(&runs)
        .all(|(m, r)| r.len() as u64 == m.replications);
    let is_sweep = metas.iter().any(|m| !m.sweep.is_empty());
    let jobs: Vec<JobOutcome> = metas
        .into_iter()
        .zip(runs)
        .map(|(m, runs)| {
            let summary = analysis::summarise(&m.scenario, &runs);
            let target_rows = analysis::assess_targets(&m.scenario, &m.targets, &runs);
            let conservation_violations = runs
                .iter()
                .filter(|r| !r.conservation.holds())
                .map(|r| r.replication)
                .collect();
            let events = runs.iter().map(|r| r.events).sum();
            JobOutcome {
                scenario: m.scenario,
                scenario_hash: m.scenario_hash,
                seed: m.seed,
                replications: m.replications,
                targets: m.targets,
                sweep: m.sweep,
                runs,
                summary,
                target_rows,
                conservation_violations,
                events,
            }
        })
        .collect();
    let comparisons = if complete && !is_sweep && jobs.len() >= 2 {
        jobs[1..]
            .iter()
            .map(|b| Comparison {
                scenario_a: jobs[0].scenario.clone(),
                scenario_b: b.scenario.clone(),
                rows: analysis::paired_difference(&jobs[0].runs, &b.runs),
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut result = BatchResult {
        jobs,
        comparisons,
        shard: None,
        complete,
        replications_run: 0,
        replications_resumed: 0,
        replications_discarded: 0,
        files: Vec::new(),
    };
    if let (Some(dir), true) = (out, complete) {
        result.files = write_outputs(dir, &result, is_sweep, progress)?;
    }
    Ok(result)
}

fn write_outputs(
    dir: &Path,
    r: &BatchResult,
    is_sweep: bool,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Vec<PathBuf>, BatchError> {
    let mut files = Vec::new();
    let mut wrote = |name: &str| -> PathBuf {
        let p = dir.join(name);
        files.push(p.clone());
        p
    };
    let reps: Vec<(&str, &[RunResult])> = r
        .jobs
        .iter()
        .map(|j| (j.scenario.as_str(), j.runs.as_slice()))
        .collect();
    output::write_replications_csv(&wrote(output::REPLICATIONS_CSV), &reps)?;
    let summary: Vec<SummaryRow> = r
        .jobs
        .iter()
        .flat_map(|j| j.summary.iter().cloned())
        .collect();
    output::write_summary_csv(&wrote(output::SUMMARY_CSV), &summary)?;
    let targets: Vec<TargetRow> = r
        .jobs
        .iter()
        .flat_map(|j| j.target_rows.iter().cloned())
        .collect();
    output::write_targets_csv(&wrote(output::TARGETS_CSV), &targets)?;
    if is_sweep {
        sweep::write_sweep_table(&wrote(output::SWEEP_CSV), r)?;
    } else if r.jobs.len() >= 2 {
        output::write_comparison_csv(&wrote(output::COMPARISON_CSV), &r.comparisons)?;
    }
    let scenarios: Vec<output::ScenarioSummary<'_>> = r
        .jobs
        .iter()
        .map(|j| output::ScenarioSummary {
            scenario: &j.scenario,
            scenario_hash: &j.scenario_hash,
            seed: j.seed,
            replications: j.replications,
            sweep: &j.sweep,
            summary: &j.summary,
            targets: &j.target_rows,
            conservation_violations: &j.conservation_violations,
        })
        .collect();
    output::write_summary_json(
        &wrote(output::SUMMARY_JSON),
        env!("CARGO_PKG_VERSION"),
        &scenarios,
        &r.comparisons,
    )?;
    // Last: the marker that the set is complete, with each file's hash, so that a reader
    // (or `corridor plot`) can tell a complete set from one a kill left half-written.
    let listed: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let bytes = fs::read(p).ok()?;
            Some((name, output::files::sha256_hex(&bytes)))
        })
        .collect();
    let marker = dir.join(output::SUMMARY_SET_JSON);
    output::write_summary_set(&marker, &listed)?;
    files.push(marker);
    for f in &files {
        progress(ProgressEvent::Wrote { path: f.clone() });
    }
    Ok(files)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Gathers the persisted replications of several shard folders (or any folders holding
/// parts of the same batch) into `out`, producing exactly the files one unsharded run
/// would have written (`provenance.json` aside), persisted replications included, so the
/// merged folder can itself be resumed or merged.
///
/// Every folder must hold the same `batch.json` (same jobs and program version). A
/// replication found in several folders must be identical in all; a corrupt copy is
/// ignored if a valid one exists elsewhere. If any replication is missing, nothing is
/// written and the error lists what is missing.
pub fn merge(dirs: &[PathBuf], out: &Path, opts: &MergeOptions) -> Result<BatchResult, BatchError> {
    let started = Instant::now();
    let started_at = output::json::now_utc();
    if dirs.is_empty() {
        return Err(BatchError::Merge("no folders to merge".to_string()));
    }
    if let Some(d) = dirs.iter().find(|d| same_dir(d, out)) {
        return Err(BatchError::Merge(format!(
            "the output folder {} is also an input; merge into a new folder",
            d.display()
        )));
    }
    // Held until the merge is done: a shard still running is refused, not read half-way.
    let mut _input_locks = Vec::new();
    for d in dirs {
        _input_locks.push(output::files::lock_for_reading(d)?);
    }
    let mut manifest: Option<store::Manifest> = None;
    for d in dirs {
        let m = store::read_manifest(d).map_err(BatchError::Merge)?;
        match &manifest {
            None => manifest = Some(m),
            Some(first) if *first == m => {}
            Some(first) => {
                let why = if first.program_version != m.program_version {
                    format!(
                        "made by corridor {} while {} was made by {}",
                        m.program_version,
                        dirs[0].display(),
                        first.program_version
                    )
                } else {
                    format!("describes other jobs than {}", dirs[0].display())
                };
                return Err(BatchError::Merge(format!(
                    "{} {why}",
                    d.join(store::MANIFEST).display()
                )));
            }
        }
    }
    let manifest = manifest.unwrap_or_else(|| store::Manifest::new(Vec::new()));
    if manifest.program_version != env!("CARGO_PKG_VERSION") {
        return Err(BatchError::Merge(format!(
            "the folders were made by corridor {}, this is corridor {}; merge with the same version",
            manifest.program_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    let metas: Vec<Meta> = manifest.jobs.iter().map(Meta::from_manifest).collect();
    check_unique(metas.iter().map(|m| m.scenario.clone()))
        .map_err(|e| BatchError::Merge(e.to_string()))?;

    let mut runs: Vec<Vec<RunResult>> = Vec::with_capacity(metas.len());
    let mut missing: Vec<String> = Vec::new();
    for m in &metas {
        let mut found = Vec::new();
        let mut lacking: Vec<String> = Vec::new();
        for rep in 0..m.replications {
            let mut chosen: Option<(RunResult, Vec<u8>, &Path)> = None;
            let mut problems = Vec::new();
            for d in dirs {
                let path = store::rep_path(d, &m.scenario, rep);
                match store::read_rep(&path, m.key(), rep) {
                    store::RepRead::Missing => {}
                    store::RepRead::Invalid(why) => {
                        problems.push(format!("{}: {why}", path.display()))
                    }
                    store::RepRead::Valid(run) => {
                        let bytes = store::rep_bytes(m.key(), &run);
                        match &chosen {
                            None => chosen = Some((run, bytes, d)),
                            Some((_, b, _)) if *b == bytes => {}
                            Some((_, _, first)) => {
                                return Err(BatchError::Merge(format!(
                                    "replication {rep} of `{}` differs between {} and {}",
                                    m.scenario,
                                    first.display(),
                                    d.display()
                                )));
                            }
                        }
                    }
                }
            }
            match chosen {
                Some((run, _, _)) => found.push(run),
                None if problems.is_empty() => lacking.push(rep.to_string()),
                None => lacking.push(format!("{rep} ({})", problems.join("; "))),
            }
        }
        if !lacking.is_empty() {
            let shown: Vec<&str> = lacking.iter().take(10).map(String::as_str).collect();
            let more = if lacking.len() > 10 {
                format!(" and {} more", lacking.len() - 10)
            } else {
                String::new()
            };
            missing.push(format!("`{}`: {}{more}", m.scenario, shown.join(", ")));
        }
        runs.push(found);
    }
    if !missing.is_empty() {
        return Err(BatchError::MissingReplications(missing.join("; ")));
    }

    let od = prepare_out_dir(out, opts.opened.as_ref(), opts.force, false, None)?;
    remove_derived(&od)?;
    store::write_manifest(out, &manifest)?;
    for (m, rs) in metas.iter().zip(&runs) {
        let d = store::scenario_dir(out, &m.scenario);
        fs::create_dir_all(&d).map_err(io_err(&d))?;
        for r in rs {
            store::write_rep(out, m.key(), r)?;
        }
    }
    let total: u64 = runs.iter().map(|r| r.len() as u64).sum();
    let mut result = finish(metas, runs, Some(out), &|_| {})?;
    result.replications_resumed = total;
    let p = provenance(
        &result,
        "merge",
        started_at,
        started,
        0,
        dirs.iter().map(|d| d.display().to_string()).collect(),
    );
    let path = out.join(output::PROVENANCE_JSON);
    output::write_provenance_json(&path, &p)?;
    result.files.push(path);
    Ok(result)
}
