//! The study layer: what a planner asks for, as library functions. Each plan (`run`,
//! `batch`, `compare`, `sweep`, `merge`, `warmup`, `check`, `plot`) loads its scenarios,
//! builds the models, has the runner replicate them, analyses the runs and writes the
//! results folder, and returns what happened with typed errors; the `corridor` binary
//! only parses arguments, calls a plan, prints and chooses the exit code.
//!
//! The plans own the rules that span layers: which seed a comparison shares (common
//! random numbers), how a sweep's grid becomes scenarios, what a results folder may
//! already hold (`--force`, `--resume`), and the order in which its files are written
//! (the folder's ledger records that order, and it is part of the byte-identical output). This module must never print, read
//! the environment except for the shard variables (through `batch::Shard::from_env`),
//! simulate itself, or format numbers for people (that is `output::console`).

mod plans;
pub mod sweep;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use crate::analysis::precision::{self, PrecisionReport};
use crate::analysis::{self, Comparison, StallRow, SummaryRow, TargetRow};
use crate::batch::{self, BatchError, BatchOptions, Job, Runs, Shard, ShardError};
use crate::model::results::RunResult;
use crate::model::{BuildError, RunError};
use crate::output::files::{OutDir, OutDirError};
use crate::output::json::ProvenanceScenario;
use crate::output::plots::PlotError;
use crate::output::{self, OutputError, ScenarioSummary, SummarySetError};
use crate::scenario::params::ParamError;
use crate::scenario::target::Target;
use crate::scenario::{Diagnostic, Issue, ScenarioError};

pub use crate::batch::{ProgressEvent, interrupt};
pub use plans::{
    Appraised, CheckOutcome, MAX_REPLICATIONS, MAX_WARMUP_REPLICATIONS, MarginRow, Margins,
    Outcome, OverriddenSweep, PlotRequest, RunOptions, Warmup, WarmupOptions, appraise, batch,
    capacities, check, compare, default_out, margins, merge_folders, plot, run, sweep, warmup,
};
pub use sweep::{
    MAX_GRID_POINTS, MAX_RANGE_VALUES, MAX_SWEEP_NAME_BYTES, SweepError, check_axes, grid,
    parse_set, sweep_name,
};

/// Why a plan could not complete. The message (`Display`) is one sentence naming what to
/// do or which path is at fault; `is_bad_input` and `is_interrupted` say what kind of
/// failure it is (the CLI's exit codes 2 and 130; 1 for the rest).
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A scenario file cannot be read or is not valid (every problem, with
    /// file:line:column).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A valid scenario file that cannot be turned into a model; `diagnostic` says where
    /// the field is written.
    #[error("{}: {source}", file.display())]
    Build {
        file: PathBuf,
        #[source]
        source: BuildError,
        diagnostic: Box<Diagnostic>,
    },
    /// A sweep point's scenario that cannot be turned into a model.
    #[error("{source}")]
    PointBuild {
        point: String,
        #[source]
        source: BuildError,
        diagnostic: Box<Diagnostic>,
    },
    /// A sweep point's scenario fails validation.
    #[error("sweep point {point}: {}: {}", issue.path, issue.message)]
    PointInvalid {
        point: String,
        issue: Issue,
        diagnostic: Box<Diagnostic>,
    },
    /// Several scenarios with problems (a batch reports every file's at once).
    #[error("{}", join_lines(.0))]
    Inputs(Vec<StudyError>),
    #[error("--reps must be between 1 and {max}, got {got}")]
    Replications { got: u64, max: u64 },
    /// `--precision`, `--max-reps` or `--metric` cannot be used as given.
    #[error(transparent)]
    Precision(#[from] PrecisionError),
    #[error("--bin-days must be between 1/24 and 365, got {0}")]
    BinDays(f64),
    #[error(
        "--shard {arg}: {source}; shards are numbered 0 to N−1 (--shard 0/3, 1/3 and 2/3 run the three shards)"
    )]
    ShardArg {
        arg: String,
        #[source]
        source: ShardError,
    },
    #[error("shard from environment: {0}")]
    ShardEnv(#[source] ShardError),
    #[error("--set {arg}: {source}")]
    SetSyntax {
        arg: String,
        #[source]
        source: SweepError,
    },
    #[error("--set {arg}: {} ({})", param.message, param.hint)]
    SetParam { arg: String, param: ParamError },
    /// `--set timeline.<change>.<path>=...` names no change, or a parameter the change
    /// does not set.
    #[error("--set {arg}: {message} ({hint})")]
    SetTimeline {
        arg: String,
        message: String,
        hint: String,
    },
    #[error("{0}")]
    Axes(#[source] SweepError),
    /// The runner failed (options, persisted state, a replication, an interruption).
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error(transparent)]
    OutDir(#[from] OutDirError),
    #[error(
        "{} already holds results of an earlier run; use --force to replace them or --resume to continue that run",
        path.display()
    )]
    OutDirHasResults { path: PathBuf },
    /// As `OutDirHasResults`, for a merge, which cannot resume.
    #[error(
        "{} already holds results; use --force to replace them, or merge into another folder",
        path.display()
    )]
    MergeOutDirHasResults { path: PathBuf },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A replication stopped on a guard rail outside the runner (the warm-up traces).
    #[error(transparent)]
    Run(#[from] RunError),
    /// The charts or report of a run could not be drawn.
    #[error("drawing the charts: {0}")]
    Report(#[source] PlotError),
    /// `plot`: the charts or report of a folder could not be drawn.
    #[error("{0}")]
    Plot(#[source] PlotError),
    #[error("{} is not a folder", .0.display())]
    NotAFolder(PathBuf),
    #[error(
        "{}: no [[investments]] to appraise; name the timeline changes of each with investment = \"<id>\" (docs/appraisal.md)",
        .0.display()
    )]
    NoInvestments(PathBuf),
    #[error("--year {year} is outside the scenario's horizon {first}–{last}")]
    MarginYear { year: i32, first: i32, last: i32 },
    #[error(
        "{} has no {}: not the folder of a finished run (a shard folder needs `corridor merge` first)",
        .0.display(),
        output::SUMMARY_CSV
    )]
    NoSummary(PathBuf),
    #[error(transparent)]
    SummarySet(#[from] SummarySetError),
    /// The runs do not conserve TEU: a model bug. The results are written all the same.
    #[error(
        "TEU conservation failed in {violations} replication(s): a model bug, results kept in {}",
        out.display()
    )]
    Conservation { violations: usize, out: PathBuf },
    /// `--strict`: some replication stalled somewhere. The results are written all the
    /// same; `places` names each stalled place and its years ("node khorgos in 2030").
    #[error(
        "--strict: stalls (boxes waiting, nothing leaving) at {}; results kept in {}",
        places.join(", "),
        out.display()
    )]
    Stalled { places: Vec<String>, out: PathBuf },
}

fn join_lines(errors: &[StudyError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl StudyError {
    /// Every problem this error finds in scenario files, as the loader's one diagnostic
    /// type (file:line:column, field path, message, hint), whatever stage found it:
    /// loading and validation, building the model, or a sweep point. Empty for errors
    /// that are not about a scenario file.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            StudyError::Scenario(e) => e.diagnostics().to_vec(),
            StudyError::Build { diagnostic, .. }
            | StudyError::PointBuild { diagnostic, .. }
            | StudyError::PointInvalid { diagnostic, .. } => vec![(**diagnostic).clone()],
            StudyError::Inputs(all) => all.iter().flat_map(StudyError::diagnostics).collect(),
            _ => Vec::new(),
        }
    }

    /// Bad input: scenario files, arguments, or a folder that cannot be used as asked.
    pub fn is_bad_input(&self) -> bool {
        use StudyError as S;
        match self {
            S::Scenario(_)
            | S::Build { .. }
            | S::PointBuild { .. }
            | S::PointInvalid { .. }
            | S::Inputs(_)
            | S::Replications { .. }
            | S::Precision(_)
            | S::BinDays(_)
            | S::ShardArg { .. }
            | S::ShardEnv(_)
            | S::SetSyntax { .. }
            | S::SetParam { .. }
            | S::SetTimeline { .. }
            | S::Axes(_)
            | S::OutDirHasResults { .. }
            | S::MergeOutDirHasResults { .. }
            | S::NotAFolder(_)
            | S::NoInvestments(_)
            | S::MarginYear { .. }
            | S::NoSummary(_)
            | S::SummarySet(_) => true,
            S::Plot(e) => matches!(e, PlotError::Read(_) | PlotError::Options(_)),
            S::OutDir(e) => out_dir_is_bad_input(e),
            S::Batch(e) => batch_is_bad_input(e),
            S::Output(_)
            | S::Io { .. }
            | S::Run(_)
            | S::Report(_)
            | S::Conservation { .. }
            | S::Stalled { .. } => false,
        }
    }

    /// The runner was stopped by a signal or a cancellation flag; finished replications
    /// are kept for `--resume`.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, StudyError::Batch(BatchError::Interrupted { .. }))
    }
}

fn out_dir_is_bad_input(e: &OutDirError) -> bool {
    !matches!(e, OutDirError::Io { .. })
}

fn batch_is_bad_input(e: &BatchError) -> bool {
    use BatchError as B;
    match e {
        B::ForceAndResume
        | B::DuplicateScenario(_)
        | B::InvalidOptions(_)
        | B::ResumeMismatch { .. }
        | B::Merge(_)
        | B::MissingReplications(_)
        | B::Shard(_) => true,
        B::OutDir(o) => out_dir_is_bad_input(o),
        B::Io { .. }
        | B::Output(_)
        | B::ReplicationPanicked { .. }
        | B::ReplicationFailed { .. }
        | B::Interrupted { .. }
        | B::ThreadPool(_) => false,
    }
}

/// Why `--precision`, `--max-reps` or `--metric` cannot be used as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrecisionError {
    #[error(
        "--precision {0}: the relative half-width must be a number between 0 and 1, exclusive (0.05: the 95% half-width at most 5% of the mean)"
    )]
    Relative(f64),
    #[error(
        "--reps {0} with --precision: the pilot needs at least {least} replications for a t-interval (default {default})",
        least = precision::LEAST_MIN_REPLICATIONS,
        default = precision::DEFAULT_MIN_REPLICATIONS
    )]
    Pilot(u64),
    #[error(
        "--max-reps {max} is below the minimum of {min} replications (--reps, or {default} by default with --precision)",
        default = precision::DEFAULT_MIN_REPLICATIONS
    )]
    CapBelowMinimum { max: u64, min: u64 },
    #[error("--max-reps {got} is more than {max}")]
    CapTooLarge { got: u64, max: u64 },
    #[error("{0} is only meaningful with --precision")]
    WithoutPrecision(&'static str),
    #[error(
        "--metric {arg}: no metric `{name}` in the catalogue (docs/outputs.md lists them: {known})"
    )]
    UnknownMetric {
        arg: String,
        name: String,
        known: String,
    },
    #[error("--metric {arg}: {why}")]
    Subject { arg: String, why: String },
}

/// One scenario's runs and what `analysis` made of them.
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
    /// Places that stalled, by year (`analysis::stalls`).
    pub stalls: Vec<StallRow>,
    /// The scenario's `run.stall_days`, when the plan loaded the scenario (not in a merge,
    /// which reads persisted replications only). The console names it; no file does, so
    /// that a merged folder stays identical to an unsharded one.
    pub stall_threshold_days: Option<f64>,
    /// The scenario's reporting currency when it prices anything, for wording only (as
    /// `stall_threshold_days`, and for the same reason).
    pub currency: Option<String>,
    /// Engine events over `runs`.
    pub events: u64,
}

impl JobOutcome {
    /// The rows the output layer writes and prints for this scenario.
    pub fn rows(&self) -> ScenarioSummary<'_> {
        ScenarioSummary {
            scenario: &self.scenario,
            scenario_hash: &self.scenario_hash,
            seed: self.seed,
            replications: self.replications,
            sweep: &self.sweep,
            summary: &self.summary,
            targets: &self.target_rows,
            conservation_violations: &self.conservation_violations,
            stalls: &self.stalls,
            stall_threshold_days: self.stall_threshold_days,
            currency: self.currency.as_deref(),
        }
    }
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
    /// With `--precision`, when complete: the stages run, why they stopped, and every held
    /// quantity's relative half-width.
    pub precision: Option<PrecisionReport>,
}

impl BatchResult {
    /// Every scenario's rows, in job order.
    pub fn rows(&self) -> Vec<ScenarioSummary<'_>> {
        self.jobs.iter().map(JobOutcome::rows).collect()
    }
}

/// Options of `merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Delete the results of an earlier run in the output folder first.
    pub force: bool,
    /// The output folder already opened by the caller; see `BatchOptions::opened`.
    pub opened: Option<Arc<OutDir>>,
}

/// The runner's own names first, then the output layer's: the order a refusal lists them.
fn own_files() -> Vec<&'static str> {
    let mut names = vec![batch::MANIFEST];
    names.extend_from_slice(output::RESULT_FILES);
    names
}

/// How the folder is to be treated when it already holds results.
enum Reuse<'a> {
    /// A run: refuse, unless `--force` (clear) or `--resume` of the same jobs.
    Run {
        jobs: &'a [Job],
        opts: &'a BatchOptions,
    },
    /// A merge: refuse unless `--force`.
    Merge { force: bool },
}

/// Opens (and locks) the output folder, refusing to mix with an earlier run's results
/// unless told, and refusing a `--resume` of another run than the folder holds; then
/// removes the summaries it held, which are rewritten when the new run completes.
fn prepare_out_dir(
    dir: &Path,
    opened: Option<&Arc<OutDir>>,
    reuse: Reuse<'_>,
) -> Result<Arc<OutDir>, StudyError> {
    let od = match opened {
        Some(od) => Arc::clone(od),
        None => OutDir::open(dir)?,
    };
    // Files with our names that we cannot prove are ours are a user's: never replaced,
    // whatever the options.
    let foreign = od.foreign(&own_files());
    if !foreign.is_empty() {
        return Err(OutDirError::NotOurs { paths: foreign }.into());
    }
    if batch::holds_runs(dir) || output::holds_results(dir) {
        let (force, resume) = match &reuse {
            Reuse::Run { opts, .. } => (opts.force, opts.resume),
            Reuse::Merge { force } => (*force, false),
        };
        if force {
            batch::clear_runs(&od)?;
            output::clear_results(&od)?;
        } else if !resume {
            return Err(match reuse {
                Reuse::Run { .. } => StudyError::OutDirHasResults {
                    path: dir.to_path_buf(),
                },
                Reuse::Merge { .. } => StudyError::MergeOutDirHasResults {
                    path: dir.to_path_buf(),
                },
            });
        } else if let Reuse::Run { jobs, opts } = reuse {
            batch::check_resumable(dir, jobs, opts)?;
        }
    }
    // A folder never holds summaries that disagree with its replications (e.g. a shard
    // resumed after the batch was complete).
    output::remove_derived(&od)?;
    Ok(od)
}

/// Runs `jobs` and, with `opts.out_dir`, writes the results folder: the runner's
/// persisted replications and `batch.json`, `provenance.json`, and, when every
/// replication of every job is present (always, unless sharded), the summary files:
/// `replications.csv`, `summary.csv`, `targets.csv`, `summary.json`, and
/// `comparison.csv` (two or more jobs) or `sweep.csv` (a sweep). See docs/outputs.md.
///
/// The Ctrl-C flag is honoured when the program installed it (`interrupt`).
pub fn run_jobs(
    jobs: &[Job],
    opts: &BatchOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<BatchResult, StudyError> {
    let flag = interrupt::installed();
    run_jobs_with_cancel(jobs, opts, progress, flag.as_deref())
}

/// `run_jobs` with an explicit cancellation flag: once it is set, no new replication
/// starts, the ones in progress finish and are persisted, and the study returns
/// `BatchError::Interrupted` (unless every item had already been settled).
pub fn run_jobs_with_cancel(
    jobs: &[Job],
    opts: &BatchOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
    cancel: Option<&AtomicBool>,
) -> Result<BatchResult, StudyError> {
    let started = Instant::now();
    let started_at = output::json::now_utc();
    batch::check(jobs, opts)?;
    if let Some(p) = &opts.precision {
        // Refused before anything runs: a procedure that could reach more replications
        // than a batch may hold.
        let capped: Vec<Job> = jobs
            .iter()
            .map(|j| Job {
                replications: p.max_replications,
                ..j.clone()
            })
            .collect();
        batch::check(&capped, opts)?;
    }
    let out = opts.out_dir.as_deref();
    // Keeps the folder locked until this function returns (the caller may hold it longer).
    let _out_dir = match out {
        Some(dir) => Some(prepare_out_dir(
            dir,
            opts.opened.as_ref(),
            Reuse::Run { jobs, opts },
        )?),
        None => None,
    };
    let runs = match &opts.precision {
        None => batch::run(jobs, opts, progress, cancel)?,
        Some(p) => run_stages(jobs, opts, p, progress, cancel)?,
    };
    let threads = runs.threads;
    let mut result = finish(runs, out, progress)?;
    if let Some(dir) = out {
        let path = write_provenance(dir, &result, "run", started_at, started, threads, vec![])?;
        progress(ProgressEvent::Wrote { path: path.clone() });
        result.files.push(path);
    }
    Ok(result)
}

/// The procedure's rule, as the runner records it.
fn rule_of(p: &batch::Precision) -> precision::Rule {
    precision::Rule {
        relative_half_width: p.relative_half_width,
        min_replications: p.min_replications,
        max_replications: p.max_replications,
    }
}

/// What the precision procedure looks at in each job: its held quantities and its runs.
fn held_of(jobs: &[batch::JobRuns]) -> Vec<precision::Held<'_>> {
    jobs.iter()
        .map(|j| precision::Held {
            scenario: &j.scenario,
            quantities: &j.held,
            runs: &j.runs,
        })
        .collect()
}

/// The procedure on the runs held, or `None` without `--precision` or when incomplete.
fn precision_report(runs: &Runs) -> Option<PrecisionReport> {
    let p = runs.precision.as_ref()?;
    if !runs.complete {
        return None;
    }
    let held = held_of(&runs.jobs);
    let available = runs.jobs.iter().map(|j| j.replications).min().unwrap_or(0);
    Some(precision::retrace(
        &rule_of(p),
        &p.metrics,
        &held,
        available,
    ))
}

/// `--precision`: the pilot, then stage after stage (`analysis::precision`), each stage
/// one runner call for replications `n..next` of every job, all jobs kept at one count so
/// that comparisons stay paired. A shard runs the pilot only (its share of it): the stages
/// after it are decided once the shards are merged, and run by `--resume` on the merged
/// folder. Progress counts on across stages.
fn run_stages(
    jobs: &[Job],
    opts: &BatchOptions,
    p: &batch::Precision,
    progress: &(dyn Fn(ProgressEvent) + Sync),
    cancel: Option<&AtomicBool>,
) -> Result<Runs, StudyError> {
    let rule = rule_of(p);
    let mut n = p.min_replications;
    let mut first = 0u64;
    let mut all: Option<Runs> = None;
    let mut stage_number = 0;
    loop {
        stage_number += 1;
        progress(ProgressEvent::Stage {
            stage: stage_number,
            replications: n,
        });
        let stage: Vec<Job> = jobs
            .iter()
            .map(|j| Job {
                replications: n,
                ..j.clone()
            })
            .collect();
        let stage_opts = BatchOptions {
            first_replication: first,
            ..opts.clone()
        };
        let before = first * jobs.len() as u64;
        let shifted = |e: ProgressEvent| match e {
            ProgressEvent::Planned { items } => progress(ProgressEvent::Planned {
                items: before + items,
            }),
            ProgressEvent::Replication {
                scenario,
                replication,
                resumed,
                done,
                items,
            } => progress(ProgressEvent::Replication {
                scenario,
                replication,
                resumed,
                done: before + done,
                items: before + items,
            }),
            other => progress(other),
        };
        let runs = batch::run(&stage, &stage_opts, &shifted, cancel).map_err(|e| match e {
            // Counted over the whole procedure, like the progress.
            BatchError::Interrupted {
                finished,
                items,
                out,
            } => BatchError::Interrupted {
                finished: before + finished,
                items: before + items,
                out,
            },
            other => other,
        })?;
        let acc = match all.take() {
            None => runs,
            Some(mut acc) => {
                for (a, b) in acc.jobs.iter_mut().zip(runs.jobs) {
                    a.replications = b.replications;
                    a.runs.extend(b.runs);
                }
                acc.complete &= runs.complete;
                acc.replications_run += runs.replications_run;
                acc.replications_resumed += runs.replications_resumed;
                acc.replications_discarded += runs.replications_discarded;
                acc
            }
        };
        if opts.shard.is_some() || !acc.complete {
            return Ok(acc);
        }
        let held = held_of(&acc.jobs);
        match precision::retrace(&rule, &p.metrics, &held, n).stopped_because {
            precision::Stop::Pending { next } => {
                first = n;
                n = next;
                all = Some(acc);
            }
            precision::Stop::Precise | precision::Stop::Cap => return Ok(acc),
        }
    }
}

/// Gathers the persisted replications of several shard folders (or any folders holding
/// parts of the same batch) into `out`, producing exactly the files one unsharded run
/// would have written (`provenance.json` aside), persisted replications included, so the
/// merged folder can itself be resumed or merged. If any replication is missing, nothing
/// is written and the error lists what is missing. See `batch::gather`.
pub fn merge(dirs: &[PathBuf], out: &Path, opts: &MergeOptions) -> Result<BatchResult, StudyError> {
    let started = Instant::now();
    let started_at = output::json::now_utc();
    // Held until the merge is done: its input locks are released when it is dropped.
    let gathered = batch::gather(dirs, out)?;
    let _od = prepare_out_dir(
        out,
        opts.opened.as_ref(),
        Reuse::Merge { force: opts.force },
    )?;
    gathered.persist(out)?;
    // A partial move: the input locks stay in `gathered` until this function returns.
    let mut result = finish(gathered.runs, Some(out), &|_| {})?;
    let merged_from = dirs.iter().map(|d| d.display().to_string()).collect();
    let path = write_provenance(out, &result, "merge", started_at, started, 0, merged_from)?;
    result.files.push(path);
    Ok(result)
}

/// Analyses the runs and, when they are complete and a folder is given, writes the
/// deterministic output files. Shared by `run_jobs` and `merge`, which is what makes a
/// merged folder identical to an unsharded one.
fn finish(
    runs: Runs,
    out: Option<&Path>,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<BatchResult, StudyError> {
    let complete = runs.complete;
    let precision = precision_report(&runs);
    let is_sweep = runs.jobs.iter().any(|j| !j.sweep.is_empty());
    let jobs: Vec<JobOutcome> = runs
        .jobs
        .into_iter()
        .map(|j| {
            let summary = analysis::summarise(&j.scenario, &j.runs);
            let target_rows = analysis::assess_targets(&j.scenario, &j.targets, &j.runs);
            let conservation_violations = j
                .runs
                .iter()
                .filter(|r| !r.conservation.holds())
                .map(|r| r.replication)
                .collect();
            let stalls = analysis::stalls(&summary, &j.runs);
            let events = j.runs.iter().map(|r| r.events).sum();
            JobOutcome {
                scenario: j.scenario,
                scenario_hash: j.scenario_hash,
                seed: j.seed,
                replications: j.replications,
                targets: j.targets,
                sweep: j.sweep,
                runs: j.runs,
                summary,
                target_rows,
                conservation_violations,
                stalls,
                stall_threshold_days: None,
                currency: None,
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
        shard: runs.shard,
        complete,
        replications_run: runs.replications_run,
        replications_resumed: runs.replications_resumed,
        replications_discarded: runs.replications_discarded,
        files: Vec::new(),
        precision,
    };
    if let (Some(dir), true) = (out, complete) {
        let reps: Vec<(&str, &[RunResult])> = result
            .jobs
            .iter()
            .map(|j| (j.scenario.as_str(), j.runs.as_slice()))
            .collect();
        let files = output::write_summary_files(
            dir,
            &result.rows(),
            &reps,
            &result.comparisons,
            is_sweep,
            result.precision.as_ref(),
        )?;
        for f in &files {
            progress(ProgressEvent::Wrote { path: f.clone() });
        }
        result.files = files;
    }
    Ok(result)
}

fn write_provenance(
    dir: &Path,
    r: &BatchResult,
    operation: &str,
    started_at: String,
    started: Instant,
    threads: usize,
    merged_from: Vec<String>,
) -> Result<PathBuf, StudyError> {
    let p = output::Provenance {
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
    };
    let path = dir.join(output::PROVENANCE_JSON);
    output::write_provenance_json(&path, &p)?;
    Ok(path)
}
