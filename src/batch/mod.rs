//! The runner: many replications of one or more jobs on a local thread pool, persisted one
//! by one so that nothing is lost, resumable, and splittable into shards that run on other
//! machines and are gathered back.
//!
//! Work items are (job, replication) pairs in a fixed order; results are gathered in that
//! order whatever thread finished first, and each replication derives its random streams
//! from (seed, replication), so the runs returned are the same for any thread count, any
//! sharding and any number of interruptions. The runner returns runs: it must never
//! summarise them, know the names of the files the study writes beside its own
//! (`batch.json`, `.replications/`), decide what a results folder may hold, print
//! (progress goes through a callback), or delete anything but its own persisted files.

pub mod interrupt;
pub mod shard;
mod store;

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::metrics::Quantity;
use crate::model::results::RunResult;
use crate::model::{Model, RunError};
use crate::output::OutputError;
use crate::output::files::{OutDir, OutDirError};
use crate::scenario::target::Target;

pub use shard::{SHARD_COUNT_VAR, SHARD_VAR, Shard, ShardError};
pub use store::{MANIFEST, ManifestError, REPLICATIONS_DIR, scenario_dir_name};

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
            return check_jobs_threads(n).map_err(|e| match e {
                BatchError::InvalidOptions(why) => {
                    BatchError::InvalidOptions(OptionsError::FromEnvironment {
                        threads: n,
                        why: Box::new(why),
                    })
                }
                other => other,
            });
        }
        return Ok(());
    }
    let max_threads = max_jobs_threads();
    if threads > max_threads {
        return Err(BatchError::InvalidOptions(OptionsError::TooManyThreads {
            threads,
            max: max_threads,
        }));
    }
    Ok(())
}

/// Options the runner refuses before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error(
        "--jobs {threads} is more than {max} ({JOBS_PER_CORE} per core on this machine's {} cores): threads beyond the cores only add memory and switching, and results are the same for any value; use --jobs {max} or less (0: one per core)",
        max / JOBS_PER_CORE
    )]
    TooManyThreads { threads: usize, max: usize },
    /// The thread count came from `RAYON_NUM_THREADS`.
    #[error("RAYON_NUM_THREADS={threads}: {why}")]
    FromEnvironment {
        threads: usize,
        why: Box<OptionsError>,
    },
    #[error(
        "the batch has {total} replications in all (scenarios × replications); the limit is {MAX_BATCH_REPLICATIONS}: each one is a file under .replications and is held in memory until the summaries are written; run fewer replications or fewer scenarios"
    )]
    TooManyReplications { total: u64 },
    #[error("a sweep needs one grid point per job: {points} points for {jobs} jobs")]
    SweepPoints { points: usize, jobs: usize },
}

/// A model that can run one replication. Implementations derive every random stream from
/// their seed and `replication`, so a replication's result does not depend on which
/// thread, process or machine runs it, nor on what ran before.
///
/// The trait lives with the runner and the runner implements it for `Model`, so that the
/// model never depends on the runner.
pub trait Simulate: Sync {
    fn run_replication(&self, replication: u64) -> RunResult;

    /// Like `run_replication`, but a model that can stop a replication on a guard rail
    /// (e.g. a backlog that would exhaust memory) says why instead of panicking. The
    /// runner calls this one.
    fn try_run_replication(&self, replication: u64) -> Result<RunResult, RunError> {
        Ok(self.run_replication(replication))
    }
}

impl Simulate for Model {
    fn run_replication(&self, replication: u64) -> RunResult {
        self.run(replication)
    }

    fn try_run_replication(&self, replication: u64) -> Result<RunResult, RunError> {
        self.try_run(replication)
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

/// A run that adds replications until precise enough (`--precision`), as the runner
/// records it: plain data, kept in the manifest so that `--resume` and `merge` continue
/// the same procedure. The runner runs the replications it is asked for and never decides
/// how many: that is the study's (`analysis::precision`).
#[derive(Debug, Clone, PartialEq)]
pub struct Precision {
    /// The relative half-width asked for, in (0, 1).
    pub relative_half_width: f64,
    /// The pilot: replications of the first stage (`--reps`).
    pub min_replications: u64,
    /// The cap (`--max-reps`).
    pub max_replications: u64,
    /// The `--metric` arguments as written.
    pub metrics: Vec<String>,
    /// The quantities held, per job in job order.
    pub held: Vec<Vec<Quantity>>,
}

/// How to run a batch.
#[derive(Debug, Clone, Default)]
pub struct BatchOptions {
    /// Threads of the local pool; 0 uses rayon's default (all cores, or `RAYON_NUM_THREADS`).
    pub jobs_threads: usize,
    /// Where to persist replications (and, for the study, write the output files); `None`
    /// keeps everything in memory.
    pub out_dir: Option<PathBuf>,
    /// Reuse the valid replications already persisted in `out_dir`.
    pub resume: bool,
    /// Delete the results of an earlier run in `out_dir` first (done by the study's folder
    /// policy; the runner only refuses it together with `resume`).
    pub force: bool,
    /// Run only this shard's work items.
    pub shard: Option<Shard>,
    /// For a sweep: the grid point of each job, in job order (empty for a plain batch).
    /// Recorded in the manifest, so that a merge knows a sweep.
    pub sweep: Vec<Vec<(String, f64)>>,
    /// `out_dir` already opened (and locked) by the caller, who keeps it open to write
    /// more files there afterwards (the CLI's charts and report). Without it, the study
    /// opens the folder itself and releases the lock when it returns.
    pub opened: Option<Arc<OutDir>>,
    /// Recorded in the manifest: the run is one stage of a `--precision` procedure. With
    /// it, `--resume` accepts a folder whose replication count differs (an earlier or
    /// later stage of the same procedure).
    pub precision: Option<Precision>,
    /// Run only replications `first_replication..replications` of each job (a later stage
    /// of a `--precision` run: the earlier ones are held by the caller). Shards still
    /// split the whole batch `0..replications`, so a shard's items do not depend on it.
    pub first_replication: u64,
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
    /// A `--precision` run starts a stage (sent by the study, which decides the stages):
    /// the `stage`-th (1 for the pilot), running every job to `replications`.
    Stage { stage: usize, replications: u64 },
}

/// Why the runner could not run or gather a batch. Every message names what to do or which
/// path is at fault.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("--force and --resume exclude each other: --force deletes what --resume would reuse")]
    ForceAndResume,
    /// A folder cannot be locked or cleared: busy (another process holds its lock), not a
    /// folder, a dangling link, or holding files of ours' names that corridor did not write.
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    /// `--resume` on a folder whose `batch.json` describes another run.
    #[error(
        "cannot resume {}: {differences}; --resume only continues the run the folder holds (same scenarios, seeds and replications); use --force to replace its results with a new run",
        path.display()
    )]
    ResumeMismatch {
        path: PathBuf,
        differences: Differences,
    },
    #[error("scenario name `{0}` appears twice in the batch; scenario names must be unique")]
    DuplicateScenario(String),
    #[error(transparent)]
    InvalidOptions(#[from] OptionsError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A persisted replication or the manifest could not be written.
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
        "replication {replication} of scenario `{scenario}` stopped: {source} (finished replications are kept)"
    )]
    ReplicationFailed {
        scenario: String,
        replication: u64,
        #[source]
        source: RunError,
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
    ThreadPool(#[source] rayon::ThreadPoolBuildError),
    #[error(transparent)]
    Shard(#[from] ShardError),
    #[error("cannot merge: {0}")]
    Merge(#[from] MergeError),
    #[error(
        "cannot merge: replications missing for {}; run the shards that hold them (with --resume) and merge again",
        list_missing(.0)
    )]
    MissingReplications(Vec<Missing>),
}

/// Why folders of persisted replications cannot be gathered into one batch.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no folders to merge")]
    NoFolders,
    #[error("the output folder {} is also an input; merge into a new folder", .0.display())]
    OutputIsInput(PathBuf),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// `manifest`'s folder was made by another version than the first folder's.
    #[error(
        "{} made by corridor {version} while {} was made by {first_version}",
        manifest.display(),
        first.display()
    )]
    OtherVersion {
        manifest: PathBuf,
        version: String,
        first: PathBuf,
        first_version: String,
    },
    #[error("{} describes other jobs than {}", manifest.display(), first.display())]
    OtherJobs { manifest: PathBuf, first: PathBuf },
    #[error(
        "the folders were made by corridor {found}, this is corridor {}; merge with the same version",
        env!("CARGO_PKG_VERSION")
    )]
    NotThisVersion { found: String },
    #[error("scenario name `{0}` appears twice in the batch; scenario names must be unique")]
    DuplicateScenario(String),
    #[error(
        "replication {replication} of `{scenario}` differs between {} and {}",
        first.display(),
        second.display()
    )]
    Differs {
        scenario: String,
        replication: u64,
        first: PathBuf,
        second: PathBuf,
    },
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

/// What a folder's manifest says against the run asked for, for `ResumeMismatch`.
#[derive(Debug)]
pub enum Differences {
    /// The manifest cannot be read.
    Unreadable(ManifestError),
    /// Each difference, as a clause (never empty).
    Found(Vec<String>),
}

impl fmt::Display for Differences {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Differences::Unreadable(e) => write!(f, "{e}"),
            Differences::Found(diffs) => {
                // Five are enough to see what happened; a changed grid can differ in all.
                let n = diffs.len();
                let mut shown: Vec<String> = diffs.iter().take(5).cloned().collect();
                if n > 5 {
                    shown.push(format!("{} more differences", n - 5));
                }
                f.write_str(&shown.join("; "))
            }
        }
    }
}

/// A scenario's replications that no merged folder holds (valid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub scenario: String,
    pub replications: Vec<Lacking>,
}

/// One missing replication, with the copies found but unusable (path, why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lacking {
    pub replication: u64,
    pub unusable: Vec<(PathBuf, String)>,
}

impl fmt::Display for Lacking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.replication)?;
        if !self.unusable.is_empty() {
            let why: Vec<String> = self
                .unusable
                .iter()
                .map(|(p, why)| format!("{}: {why}", p.display()))
                .collect();
            write!(f, " ({})", why.join("; "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ten are enough to find the shard; a lost shard lacks thousands.
        let shown: Vec<String> = self
            .replications
            .iter()
            .take(10)
            .map(ToString::to_string)
            .collect();
        write!(f, "`{}`: {}", self.scenario, shown.join(", "))?;
        if self.replications.len() > 10 {
            write!(f, " and {} more", self.replications.len() - 10)?;
        }
        Ok(())
    }
}

fn list_missing(missing: &[Missing]) -> String {
    missing
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One job's runs.
#[derive(Debug, Clone)]
pub struct JobRuns {
    pub scenario: String,
    pub scenario_hash: String,
    pub seed: u64,
    pub replications: u64,
    pub targets: Vec<Target>,
    /// This job's grid point in a sweep; empty otherwise.
    pub sweep: Vec<(String, f64)>,
    /// The quantities `--precision` holds for this job (empty without it).
    pub held: Vec<Quantity>,
    /// Sorted by replication. In a shard, only that shard's replications; in a later stage
    /// of a `--precision` run, only replications from `first_replication` on.
    pub runs: Vec<RunResult>,
}

/// What the runner returns: every job's runs, in the order the jobs were given.
#[derive(Debug, Clone)]
pub struct Runs {
    pub jobs: Vec<JobRuns>,
    pub shard: Option<Shard>,
    /// The `--precision` procedure the batch follows (from the options, or from the
    /// manifest of gathered folders).
    pub precision: Option<Precision>,
    /// Every replication asked for of every job is present (true unless sharded).
    pub complete: bool,
    pub replications_run: u64,
    pub replications_resumed: u64,
    pub replications_discarded: u64,
    /// Threads of the pool that ran them (0 for gathered runs).
    pub threads: usize,
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
    held: Vec<Quantity>,
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
            held: self
                .held
                .iter()
                .map(store::ManifestQuantity::from)
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
            held: j.held.iter().map(Quantity::from).collect(),
        }
    }

    fn with_runs(self, runs: Vec<RunResult>) -> JobRuns {
        JobRuns {
            scenario: self.scenario,
            scenario_hash: self.scenario_hash,
            seed: self.seed,
            replications: self.replications,
            targets: self.targets,
            sweep: self.sweep,
            held: self.held,
            runs,
        }
    }
}

fn metas(jobs: &[Job], opts: &BatchOptions) -> Vec<Meta> {
    jobs.iter()
        .enumerate()
        .map(|(i, j)| Meta {
            scenario: j.scenario.clone(),
            scenario_hash: j.scenario_hash.clone(),
            seed: j.seed,
            replications: j.replications,
            targets: j.targets.clone(),
            sweep: opts.sweep.get(i).cloned().unwrap_or_default(),
            held: opts
                .precision
                .as_ref()
                .and_then(|p| p.held.get(i).cloned())
                .unwrap_or_default(),
        })
        .collect()
}

fn manifest_precision(p: &Precision) -> store::ManifestPrecision {
    store::ManifestPrecision {
        relative_half_width: store::Exact(p.relative_half_width),
        min_replications: p.min_replications,
        max_replications: p.max_replications,
        metrics: p.metrics.clone(),
    }
}

fn manifest_of(metas: &[Meta], opts: &BatchOptions) -> store::Manifest {
    store::Manifest::new(
        metas.iter().map(Meta::to_manifest).collect(),
        opts.precision.as_ref().map(manifest_precision),
    )
}

/// The runs hold replications `first..replications` of each job.
fn runs_of(metas: Vec<Meta>, runs: Vec<Vec<RunResult>>, first: u64) -> (Vec<JobRuns>, bool) {
    let complete = metas
        .iter()
        .zip(&runs)
        .all(|(m, r)| r.len() as u64 == m.replications.saturating_sub(first));
    let jobs = metas
        .into_iter()
        .zip(runs)
        .map(|(m, r)| m.with_runs(r))
        .collect();
    (jobs, complete)
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// True when `dir` holds what a run of the runner leaves there (its manifest or persisted
/// replications).
pub fn holds_runs(dir: &Path) -> bool {
    dir.join(store::REPLICATIONS_DIR).exists() || dir.join(store::MANIFEST).exists()
}

/// True for the name of a persisted replication, `rep-NNNNNN.json`.
fn is_rep_file_name(name: &str) -> bool {
    name.strip_prefix("rep-")
        .and_then(|r| r.strip_suffix(".json"))
        .is_some_and(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// `--force`: deletes the persisted replications (by name) and the folders left empty,
/// then the manifest if the folder's ledger proves it ours. Anything else stays.
pub fn clear_runs(od: &OutDir) -> Result<(), BatchError> {
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
    od.remove_own(store::MANIFEST)?;
    Ok(())
}

/// `--resume`: refuses a folder whose manifest describes another run than `jobs`.
pub fn check_resumable(dir: &Path, jobs: &[Job], opts: &BatchOptions) -> Result<(), BatchError> {
    if !dir.join(store::MANIFEST).exists() {
        return Ok(());
    }
    let new = manifest_of(&metas(jobs, opts), opts);
    let old = store::read_manifest(dir).map_err(|why| BatchError::ResumeMismatch {
        path: dir.to_path_buf(),
        differences: Differences::Unreadable(why),
    })?;
    let found = manifest_differences(&old, &new);
    if !found.is_empty() {
        return Err(BatchError::ResumeMismatch {
            path: dir.to_path_buf(),
            differences: Differences::Found(found),
        });
    }
    Ok(())
}

/// What differs between the run a folder holds and the one asked for, or `None`.
fn manifest_differences(old: &store::Manifest, new: &store::Manifest) -> Vec<String> {
    let mut diffs = Vec::new();
    if old.program_version != new.program_version {
        diffs.push(format!(
            "the folder was made by corridor {}, this is corridor {}",
            old.program_version, new.program_version
        ));
    }
    // A `--precision` run's replication count is the stage it reached, not a choice: the
    // procedure (recorded whole) must match instead.
    // A higher cap continues the same procedure: every stage it ran is one the higher cap
    // runs too (the cap only bounds the stages), so the folder holds no replication the
    // new run would not use, and the result is that of a fresh run with the higher cap.
    let continues = |o: &store::ManifestPrecision, n: &store::ManifestPrecision| {
        o == n
            || (o.max_replications < n.max_replications
                && store::ManifestPrecision {
                    max_replications: n.max_replications,
                    ..o.clone()
                } == *n)
    };
    let same_procedure = match (&old.precision, &new.precision) {
        (Some(o), Some(n)) => continues(o, n),
        (None, None) => true,
        _ => false,
    };
    let staged = old.precision.is_some() && same_procedure;
    match (&old.precision, &new.precision) {
        (Some(o), Some(n)) if !continues(o, n) => diffs.push(format!(
            "the folder's run used --precision {} --reps {} --max-reps {}{}, this one --precision {} --reps {} --max-reps {}{} (only a higher --max-reps continues it)",
            o.relative_half_width.0,
            o.min_replications,
            o.max_replications,
            metric_args(&o.metrics),
            n.relative_half_width.0,
            n.min_replications,
            n.max_replications,
            metric_args(&n.metrics),
        )),
        (Some(o), None) => diffs.push(format!(
            "the folder's run adds replications until precise enough (--precision {} --reps {} --max-reps {}{}); give the same options to continue it",
            o.relative_half_width.0,
            o.min_replications,
            o.max_replications,
            metric_args(&o.metrics),
        )),
        (None, Some(_)) => diffs.push(
            "the folder's run has a fixed number of replications (no --precision)".to_string(),
        ),
        _ => {}
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
            if o.replications != n.replications && !staged && same_procedure {
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
            if o.held != n.held && same_procedure {
                diffs.push(format!(
                    "scenario `{s}` holds other quantities to the precision"
                ));
            }
        }
    }
    diffs
}

fn metric_args(metrics: &[String]) -> String {
    metrics.iter().map(|m| format!(" --metric {m}")).collect()
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

/// The checks `run` makes before touching any folder; the study calls it before its own
/// folder policy so that a bad option is reported first.
pub fn check(jobs: &[Job], opts: &BatchOptions) -> Result<(), BatchError> {
    if opts.force && opts.resume {
        return Err(BatchError::ForceAndResume);
    }
    check_jobs_threads(opts.jobs_threads)?;
    let total: u64 = jobs
        .iter()
        .map(|j| j.replications)
        .fold(0, u64::saturating_add);
    if total > MAX_BATCH_REPLICATIONS {
        return Err(BatchError::InvalidOptions(
            OptionsError::TooManyReplications { total },
        ));
    }
    check_unique(jobs.iter().map(|j| j.scenario.clone()))?;
    if !opts.sweep.is_empty() && opts.sweep.len() != jobs.len() {
        return Err(BatchError::InvalidOptions(OptionsError::SweepPoints {
            points: opts.sweep.len(),
            jobs: jobs.len(),
        }));
    }
    Ok(())
}

/// Runs every (job, replication) item of the batch, or of one shard of it, and returns
/// the runs in job and replication order.
///
/// With `out_dir` (which the caller has prepared: the runner never decides what else the
/// folder may hold), `batch.json` records the jobs first and each finished replication is
/// persisted atomically as soon as it is done; with `resume`, valid persisted
/// replications are loaded instead of run.
///
/// A replication that panics or stops on a guard rail stops the batch (items not yet
/// started are skipped) and is reported as an error; every replication finished before is
/// kept for `--resume`. Once `cancel` is set, no new replication starts, the ones in
/// progress finish and are persisted, and the runner returns `BatchError::Interrupted`
/// (unless every item had already been settled).
pub fn run(
    jobs: &[Job],
    opts: &BatchOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
    cancel: Option<&AtomicBool>,
) -> Result<Runs, BatchError> {
    check(jobs, opts)?;
    let metas = metas(jobs, opts);
    let out = opts.out_dir.as_deref();
    if let Some(dir) = out {
        let manifest = manifest_of(&metas, opts);
        // The manifest goes first: a shard that crashes half-way must still be mergeable
        // once resumed, and merge needs it to know what a complete batch is.
        store::write_manifest(dir, &manifest)?;
        for m in &metas {
            let d = store::scenario_dir(dir, &m.scenario);
            fs::create_dir_all(&d).map_err(io_err(&d))?;
        }
    }

    let mut items: Vec<(usize, u64)> = Vec::new();
    let mut index: u64 = 0;
    for (j, job) in jobs.iter().enumerate() {
        for rep in 0..job.replications {
            if rep >= opts.first_replication && opts.shard.is_none_or(|s| s.contains(index)) {
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
        .map_err(BatchError::ThreadPool)?;
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
            Ok(Err(source)) => {
                stop.store(true, Ordering::Relaxed);
                return Item::Failed(BatchError::ReplicationFailed {
                    scenario: job.scenario.clone(),
                    replication: rep,
                    source,
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
    let (jobs, complete) = runs_of(metas, runs, opts.first_replication);
    Ok(Runs {
        jobs,
        shard: opts.shard,
        precision: opts.precision.clone(),
        complete,
        replications_run: ran,
        replications_resumed: resumed,
        replications_discarded: discarded.load(Ordering::Relaxed),
        threads,
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The persisted replications of several folders gathered into one complete batch; see
/// `gather`.
pub struct Gathered {
    /// Every replication of every job, as loaded (`replications_resumed` counts them).
    pub runs: Runs,
    manifest: store::Manifest,
    /// Read locks on the input folders, released when this is dropped.
    _locks: Vec<Option<File>>,
}

impl fmt::Debug for Gathered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gathered")
            .field("runs", &self.runs)
            .finish_non_exhaustive()
    }
}

impl Gathered {
    /// Persists the gathered batch into `out` (manifest and replications), so that the
    /// merged folder can itself be resumed or merged. The caller has prepared `out`.
    pub fn persist(&self, out: &Path) -> Result<(), BatchError> {
        store::write_manifest(out, &self.manifest)?;
        for j in &self.runs.jobs {
            let d = store::scenario_dir(out, &j.scenario);
            fs::create_dir_all(&d).map_err(io_err(&d))?;
            let key = store::RepKey {
                scenario: &j.scenario,
                scenario_hash: &j.scenario_hash,
                seed: j.seed,
            };
            for r in &j.runs {
                store::write_rep(out, key, r)?;
            }
        }
        Ok(())
    }
}

/// Gathers the persisted replications of several shard folders (or any folders holding
/// parts of the same batch) to be merged into `out`, which must not be one of them.
///
/// Every folder must hold the same `batch.json` (same jobs and program version). A
/// replication found in several folders must be identical in all; a corrupt copy is
/// ignored if a valid one exists elsewhere. If any replication is missing, the error lists
/// what is missing. The input folders stay locked for reading until the result is dropped,
/// so a shard still running is refused, not read half-way.
pub fn gather(dirs: &[PathBuf], out: &Path) -> Result<Gathered, BatchError> {
    if dirs.is_empty() {
        return Err(MergeError::NoFolders.into());
    }
    if let Some(d) = dirs.iter().find(|d| same_dir(d, out)) {
        return Err(MergeError::OutputIsInput(d.clone()).into());
    }
    let mut locks = Vec::new();
    for d in dirs {
        locks.push(crate::output::files::lock_for_reading(d)?);
    }
    let mut manifest: Option<store::Manifest> = None;
    for d in dirs {
        let m = store::read_manifest(d).map_err(MergeError::from)?;
        match &manifest {
            None => manifest = Some(m),
            Some(first) if *first == m => {}
            Some(first) => {
                let path = d.join(store::MANIFEST);
                return Err(if first.program_version != m.program_version {
                    MergeError::OtherVersion {
                        manifest: path,
                        version: m.program_version,
                        first: dirs[0].clone(),
                        first_version: first.program_version.clone(),
                    }
                } else {
                    MergeError::OtherJobs {
                        manifest: path,
                        first: dirs[0].clone(),
                    }
                }
                .into());
            }
        }
    }
    let manifest = manifest.unwrap_or_else(|| store::Manifest::new(Vec::new(), None));
    if manifest.program_version != env!("CARGO_PKG_VERSION") {
        return Err(MergeError::NotThisVersion {
            found: manifest.program_version.clone(),
        }
        .into());
    }
    let metas: Vec<Meta> = manifest.jobs.iter().map(Meta::from_manifest).collect();
    check_unique(metas.iter().map(|m| m.scenario.clone())).map_err(|e| match e {
        BatchError::DuplicateScenario(n) => BatchError::Merge(MergeError::DuplicateScenario(n)),
        other => other,
    })?;

    let mut runs: Vec<Vec<RunResult>> = Vec::with_capacity(metas.len());
    let mut missing: Vec<Missing> = Vec::new();
    for m in &metas {
        let mut found = Vec::new();
        let mut lacking: Vec<Lacking> = Vec::new();
        for rep in 0..m.replications {
            let mut chosen: Option<(RunResult, Vec<u8>, &Path)> = None;
            let mut problems = Vec::new();
            for d in dirs {
                let path = store::rep_path(d, &m.scenario, rep);
                match store::read_rep(&path, m.key(), rep) {
                    store::RepRead::Missing => {}
                    store::RepRead::Invalid(why) => problems.push((path, why)),
                    store::RepRead::Valid(run) => {
                        let bytes = store::rep_bytes(m.key(), &run);
                        match &chosen {
                            None => chosen = Some((run, bytes, d)),
                            Some((_, b, _)) if *b == bytes => {}
                            Some((_, _, first)) => {
                                return Err(MergeError::Differs {
                                    scenario: m.scenario.clone(),
                                    replication: rep,
                                    first: first.to_path_buf(),
                                    second: d.clone(),
                                }
                                .into());
                            }
                        }
                    }
                }
            }
            match chosen {
                Some((run, _, _)) => found.push(run),
                None => lacking.push(Lacking {
                    replication: rep,
                    unusable: problems,
                }),
            }
        }
        if !lacking.is_empty() {
            missing.push(Missing {
                scenario: m.scenario.clone(),
                replications: lacking,
            });
        }
        runs.push(found);
    }
    if !missing.is_empty() {
        return Err(BatchError::MissingReplications(missing));
    }
    let total: u64 = runs.iter().map(|r| r.len() as u64).sum();
    let precision = manifest.precision.as_ref().map(|p| Precision {
        relative_half_width: p.relative_half_width.0,
        min_replications: p.min_replications,
        max_replications: p.max_replications,
        metrics: p.metrics.clone(),
        held: metas.iter().map(|m| m.held.clone()).collect(),
    });
    let (jobs, complete) = runs_of(metas, runs, 0);
    Ok(Gathered {
        runs: Runs {
            jobs,
            shard: None,
            precision,
            complete,
            replications_run: 0,
            replications_resumed: total,
            replications_discarded: 0,
            threads: 0,
        },
        manifest,
        _locks: locks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(reps: u64, precision: Option<(f64, u64, u64)>) -> store::Manifest {
        let job = store::ManifestJob {
            scenario: "s".into(),
            scenario_hash: "h".into(),
            seed: 1,
            replications: reps,
            targets: vec![],
            sweep: vec![],
            held: vec![],
        };
        store::Manifest::new(
            vec![job],
            precision.map(|(rel, min, max)| store::ManifestPrecision {
                relative_half_width: store::Exact(rel),
                min_replications: min,
                max_replications: max,
                metrics: vec![],
            }),
        )
    }

    #[test]
    fn resume_follows_the_procedure_not_the_count() {
        let p = Some((0.01, 10, 200));
        // Another stage of the same procedure.
        assert!(manifest_differences(&manifest(40, p), &manifest(10, p)).is_empty());
        // A higher cap continues it; a lower one, another REL or pilot does not.
        let higher = Some((0.01, 10, 400));
        assert!(manifest_differences(&manifest(200, p), &manifest(10, higher)).is_empty());
        for other in [
            Some((0.01, 10, 100)),
            Some((0.02, 10, 200)),
            Some((0.01, 5, 200)),
        ] {
            let d = manifest_differences(&manifest(40, p), &manifest(10, other));
            assert_eq!(d.len(), 1, "{d:?}");
            assert!(d[0].contains("--precision"), "{d:?}");
        }
        // A fixed count is a choice: it must match, and a procedure is not a fixed count.
        assert_eq!(
            manifest_differences(&manifest(40, None), &manifest(10, None)).len(),
            1
        );
        let d = manifest_differences(&manifest(40, p), &manifest(40, None));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("give the same options"), "{d:?}");
        let d = manifest_differences(&manifest(40, None), &manifest(10, p));
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains("fixed number"), "{d:?}");
    }
}
