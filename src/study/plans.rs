//! The plans, one per question a planner asks: each turns scenario files and options
//! into jobs (the seed a comparison shares, the scenarios of a sweep's grid, the replication
//! count), has `run_jobs` or `merge` replicate, analyse and write them, and returns an
//! `Outcome` that can draw the charts.
//!
//! A plan must never print: what it has to say (warnings included) goes back to the
//! caller in its result, and the caller decides how to show it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::{BatchResult, MergeOptions, PrecisionError, StudyError, run_jobs};
use crate::analysis::appraisal;
use crate::analysis::precision;
use crate::analysis::warmup::{mser5, welch};
use crate::batch::{self, BatchOptions, Job, ProgressEvent, Shard};
use crate::metrics::{Metric, Quantity, Subject, SubjectKind};
use crate::model::{BuildError, Model};
use crate::output::files::OutDir;
use crate::output::plots::{PlotOptions, names::PlaceNames};
use crate::output::{self, console, network, report};
use crate::scenario::{self, Date, LoadedScenario, ParamPath, ScenarioFile};

/// Largest replication count accepted: far beyond any useful interval, small enough that
/// the per-replication files of a run stay manageable.
pub const MAX_REPLICATIONS: u64 = 100_000;

/// Largest replication count of a warm-up study: it keeps every trace in memory.
pub const MAX_WARMUP_REPLICATIONS: u64 = 1000;

/// How to run the replications of a run, batch, comparison or sweep.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replications, 1 to `MAX_REPLICATIONS` (default: each scenario's `run.replications`).
    pub reps: Option<u64>,
    /// Master seed (default: each scenario's; a comparison uses the first scenario's).
    pub seed: Option<u64>,
    /// Worker threads; 0 uses every core (or `RAYON_NUM_THREADS`).
    pub jobs: usize,
    /// Results folder (default: `default_out` of the plan's name).
    pub out: Option<PathBuf>,
    pub force: bool,
    pub resume: bool,
    /// `K/N` as the user wrote it; `None` reads the shard from the environment
    /// (`Shard::from_env`).
    pub shard: Option<String>,
    /// Tables only: `Outcome::write_report` draws nothing.
    pub no_plots: bool,
    /// `--strict`: `Outcome::check` fails when any replication stalled anywhere.
    pub strict: bool,
    /// `--precision REL`: add replications in stages until every held quantity's 95%
    /// half-width is at most REL of its mean (`analysis::precision`); `reps` is then the
    /// pilot (default `precision::DEFAULT_MIN_REPLICATIONS`).
    pub precision: Option<f64>,
    /// `--max-reps`: the cap of a `--precision` run (default
    /// `precision::DEFAULT_MAX_REPLICATIONS`).
    pub max_reps: Option<u64>,
    /// `--metric NAME[@SUBJECT]`: more quantities to hold to the precision, in every year
    /// reported, besides each target's metric in its year.
    pub metrics: Vec<String>,
}

/// A finished run, batch, comparison, sweep or merge. Holds the results folder locked
/// until it is dropped, so that the charts are drawn from exactly the files written.
#[derive(Debug)]
pub struct Outcome {
    pub result: BatchResult,
    /// The results folder.
    pub out: PathBuf,
    no_plots: bool,
    strict: bool,
    staged: bool,
    _opened: Arc<OutDir>,
}

impl Outcome {
    /// The console text of a complete run (`None` for a shard).
    pub fn summary_text(&self) -> Option<String> {
        self.result.complete.then(|| {
            console::summary_text(
                &self.result.rows(),
                &self.result.comparisons,
                &PlaceNames::load(&self.out),
            )
        })
    }

    /// The `--precision` outcome for the console (`None` without it, or for a shard).
    pub fn precision_text(&self) -> Option<String> {
        self.result.precision.as_ref().map(console::precision_text)
    }

    /// True when the run followed `--precision` (recorded for a shard too).
    pub fn is_staged(&self) -> bool {
        self.staged
    }

    /// Draws the charts and writes `report.md` and `report.html` of a complete run, unless
    /// the options said `no_plots`; returns the HTML report's path when it drew. Separate
    /// from the plan because drawing takes seconds: a caller can show the numbers first.
    pub fn write_report(&self) -> Result<Option<PathBuf>, StudyError> {
        if !self.result.complete || self.no_plots {
            return Ok(None);
        }
        let (_, html) = report::write_report(&self.out).map_err(StudyError::Report)?;
        Ok(Some(html))
    }

    /// Fails when any replication lost or made TEU: a model bug. The results stay written.
    pub fn check_conservation(&self) -> Result<(), StudyError> {
        let violations: usize = self
            .result
            .jobs
            .iter()
            .map(|j| j.conservation_violations.len())
            .sum();
        if violations > 0 {
            return Err(StudyError::Conservation {
                violations,
                out: self.out.clone(),
            });
        }
        Ok(())
    }

    /// Every place that stalled in any replication held (a shard's own), with its years:
    /// "node khorgos in 2030, 2031", in the scenarios' order.
    pub fn stalled_places(&self) -> Vec<String> {
        let several = self.result.jobs.len() > 1;
        let mut places: Vec<String> = Vec::new();
        for j in &self.result.jobs {
            let mut seen: Vec<(crate::metrics::SubjectKind, &str, Vec<i32>)> = Vec::new();
            for r in &j.stalls {
                match seen
                    .iter_mut()
                    .find(|(k, s, _)| *k == r.kind && *s == r.subject)
                {
                    Some(e) => e.2.push(r.year),
                    None => seen.push((r.kind, &r.subject, vec![r.year])),
                }
            }
            for (kind, subject, years) in seen {
                let years: Vec<String> = years.iter().map(i32::to_string).collect();
                let of = if several {
                    format!(" ({})", j.scenario)
                } else {
                    String::new()
                };
                places.push(format!(
                    "{} {subject} in {}{of}",
                    kind.noun(),
                    years.join(", ")
                ));
            }
        }
        places
    }

    /// The checks that decide the exit status once every file is written: conservation
    /// always, stalls with `strict`.
    pub fn check(&self) -> Result<(), StudyError> {
        self.check_conservation()?;
        let places = self.stalled_places();
        if self.strict && !places.is_empty() {
            return Err(StudyError::Stalled {
                places,
                out: self.out.clone(),
            });
        }
        Ok(())
    }
}

/// `results/<name>`, always one plain folder directly under `results/`: characters other
/// than letters, digits, `-`, `_` and `.` become `_`, a leading `.` becomes `_` (so `.`
/// and `..` cannot name the current or parent folder), and a name too long for a file
/// system keeps a readable prefix and a hash of the whole.
pub fn default_out(name: &str) -> PathBuf {
    const MAX_BYTES: usize = 100;
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        safe.insert(0, '_');
    }
    if safe.len() > MAX_BYTES {
        safe.truncate(MAX_BYTES - 17);
        let h = crate::engine::rng::SourceId::from_name(name).0;
        safe.push_str(&format!("-{h:016x}"));
    }
    PathBuf::from("results").join(safe)
}

fn build(loaded: &LoadedScenario) -> Result<Model, StudyError> {
    Model::build(&loaded.file).map_err(|source| build_error(loaded, loaded.path.clone(), source))
}

fn build_error(loaded: &LoadedScenario, file: PathBuf, source: BuildError) -> StudyError {
    let diagnostic = Box::new(loaded.locations.diagnostic(
        &source.path,
        source.message.clone(),
        None,
    ));
    StudyError::Build {
        file,
        source,
        diagnostic,
    }
}

fn load_and_build(path: &Path) -> Result<(LoadedScenario, Model), StudyError> {
    let loaded = scenario::load(path)?;
    let model = build(&loaded)?;
    Ok((loaded, model))
}

fn job(
    loaded: &LoadedScenario,
    name: String,
    mut model: Model,
    opts: &RunOptions,
) -> Result<Job, StudyError> {
    let reps = match (opts.reps, opts.precision) {
        (Some(r), _) => r,
        (None, Some(_)) => precision::DEFAULT_MIN_REPLICATIONS,
        (None, None) => u64::from(loaded.file.run.replications),
    };
    if reps == 0 || reps > MAX_REPLICATIONS {
        return Err(StudyError::Replications {
            got: reps,
            max: MAX_REPLICATIONS,
        });
    }
    if let Some(seed) = opts.seed {
        model.set_seed(seed);
    }
    Ok(Job {
        scenario: name,
        scenario_hash: loaded.hash.clone(),
        seed: model.seed(),
        replications: reps,
        targets: scenario::target::targets(&loaded.file),
        sim: Arc::new(model),
    })
}

fn shard(opts: &RunOptions) -> Result<Option<Shard>, StudyError> {
    match &opts.shard {
        Some(s) => Shard::parse(s)
            .map(Some)
            .map_err(|source| StudyError::ShardArg {
                arg: s.clone(),
                source,
            }),
        None => Shard::from_env().map_err(StudyError::ShardEnv),
    }
}

/// Refuses `--max-reps` or `--metric` without `--precision`, and a relative half-width
/// outside (0, 1), before anything is loaded.
fn check_precision_args(opts: &RunOptions) -> Result<(), StudyError> {
    match opts.precision {
        None if opts.max_reps.is_some() => {
            Err(PrecisionError::WithoutPrecision("--max-reps").into())
        }
        None if !opts.metrics.is_empty() => {
            Err(PrecisionError::WithoutPrecision("--metric").into())
        }
        Some(rel) if !(rel.is_finite() && rel > 0.0 && rel < 1.0) => {
            Err(PrecisionError::Relative(rel).into())
        }
        _ => Ok(()),
    }
}

/// The quantity `--metric NAME[@SUBJECT]` names in `file` (the corridor when no subject
/// is written and the metric is measured for it), held in every year reported.
fn metric_arg(arg: &str, scenario: &str, file: &ScenarioFile) -> Result<Quantity, StudyError> {
    let (name, subject) = match arg.split_once('@') {
        Some((n, s)) => (n.trim(), Some(s.trim())),
        None => (arg.trim(), None),
    };
    let Some(metric) = Metric::from_name(name) else {
        let known: Vec<&str> = Metric::all().map(Metric::name).collect();
        return Err(PrecisionError::UnknownMetric {
            arg: arg.to_string(),
            name: name.to_string(),
            known: known.join(", "),
        }
        .into());
    };
    let kinds = |m: Metric| scenario::target::kinds_phrase(m.info().subjects, true);
    let subject = match subject {
        None if metric.applies_to(SubjectKind::Corridor) => Subject::corridor(),
        None => {
            return Err(PrecisionError::Subject {
                arg: arg.to_string(),
                why: format!(
                    "`{name}` is not measured for the corridor; name {} after @ (e.g. {name}@<id>)",
                    kinds(metric)
                ),
            }
            .into());
        }
        Some(written) => {
            use scenario::target::SubjectProblem as P;
            scenario::target::resolve_subject(file, Some(metric), written).map_err(|p| {
                let why = match p {
                    P::Unknown => format!("scenario `{scenario}` has no subject `{written}`"),
                    P::NotMeasured(k) => format!(
                        "`{name}` is not measured for {} `{written}` of scenario `{scenario}`, only for {}",
                        scenario::target::kinds_phrase(&k, true),
                        kinds(metric)
                    ),
                    P::Ambiguous(k) => format!(
                        "`{written}` names {} in scenario `{scenario}`; qualify it ({})",
                        scenario::target::kinds_phrase(&k, true),
                        k.iter()
                            .map(|k| format!("{}.{written}", k.section()))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                };
                StudyError::Precision(PrecisionError::Subject {
                    arg: arg.to_string(),
                    why,
                })
            })?
        }
    };
    Ok(Quantity {
        metric,
        subject,
        year: None,
    })
}

/// What `--precision` holds for each job, with the procedure's rule; `None` without it.
/// Each job holds its targets' metrics in their years and the `--metric` quantities in
/// every year; a job with neither holds the corridor's delivered TEU in every year.
fn precision_of(
    jobs: &[Job],
    files: &[(String, ScenarioFile)],
    opts: &RunOptions,
) -> Result<Option<batch::Precision>, StudyError> {
    check_precision_args(opts)?;
    let Some(rel) = opts.precision else {
        return Ok(None);
    };
    let min = jobs
        .first()
        .map_or(precision::DEFAULT_MIN_REPLICATIONS, |j| j.replications);
    if min < precision::LEAST_MIN_REPLICATIONS {
        return Err(PrecisionError::Pilot(min).into());
    }
    let max = opts
        .max_reps
        .unwrap_or(precision::DEFAULT_MAX_REPLICATIONS.max(min));
    if max > MAX_REPLICATIONS {
        return Err(PrecisionError::CapTooLarge {
            got: max,
            max: MAX_REPLICATIONS,
        }
        .into());
    }
    if max < min {
        return Err(PrecisionError::CapBelowMinimum { max, min }.into());
    }
    let mut held = Vec::with_capacity(jobs.len());
    for j in jobs {
        let mut all: Vec<Quantity> = j
            .targets
            .iter()
            .map(|t| Quantity {
                metric: t.metric,
                subject: t.subject.clone(),
                year: Some(t.year),
            })
            .collect();
        if let Some((_, file)) = files.iter().find(|(n, _)| *n == j.scenario) {
            for m in &opts.metrics {
                all.push(metric_arg(m, &j.scenario, file)?);
            }
        }
        if all.is_empty() {
            all.push(Quantity {
                metric: Metric::DeliveredTeu,
                subject: Subject::corridor(),
                year: None,
            });
        }
        // Two targets on one quantity (a lower and an upper bound) hold it once, and a
        // target's year is left to a `--metric` that holds the same quantity every year.
        let every_year = |q: &Quantity| {
            q.year.is_some()
                && all
                    .iter()
                    .any(|o| o.year.is_none() && o.metric == q.metric && o.subject == q.subject)
        };
        let mut qs: Vec<Quantity> = Vec::with_capacity(all.len());
        for q in &all {
            if !qs.contains(q) && !every_year(q) {
                qs.push(q.clone());
            }
        }
        held.push(qs);
    }
    Ok(Some(batch::Precision {
        relative_half_width: rel,
        min_replications: min,
        max_replications: max,
        metrics: opts.metrics.clone(),
        held,
    }))
}

/// Runs the jobs into `out`, then writes the network tables beside the results.
fn execute(
    jobs: Vec<Job>,
    files: &[(String, ScenarioFile)],
    opts: &RunOptions,
    out: PathBuf,
    sweep: Vec<Vec<(String, f64)>>,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let shard = shard(opts)?;
    let precision = precision_of(&jobs, files, opts)?;
    let staged = precision.is_some();
    batch::check_jobs_threads(opts.jobs)?;
    // Locked from here to the last chart: another run into this folder is refused, and
    // every file written into it is recorded in its ledger.
    let opened = OutDir::open(&out)?;
    let batch_opts = BatchOptions {
        jobs_threads: opts.jobs,
        out_dir: Some(out.clone()),
        resume: opts.resume,
        force: opts.force,
        shard,
        sweep,
        opened: Some(Arc::clone(&opened)),
        precision,
        first_replication: 0,
    };
    let mut result = run_jobs(&jobs, &batch_opts, progress)?;
    // Jobs are named after their scenario files (one per job, sweep points included).
    for j in &mut result.jobs {
        let file = files.iter().find(|(n, _)| *n == j.scenario).map(|(_, f)| f);
        j.stall_threshold_days = file.map(|f| f.run.stall_days);
        j.currency = file.and_then(|f| f.reporting_currency());
    }
    let named: Vec<(&str, &ScenarioFile)> = files.iter().map(|(n, f)| (n.as_str(), f)).collect();
    network::write_network_csv(&out, &named)?;
    Ok(Outcome {
        result,
        out,
        no_plots: opts.no_plots,
        strict: opts.strict,
        staged,
        _opened: opened,
    })
}

/// `corridor run`: the replications of one scenario, into `results/<name>` by default.
pub fn run(
    path: &Path,
    opts: &RunOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let (loaded, model) = load_and_build(path)?;
    let name = loaded.file.run.name.clone();
    let out = opts.out.clone().unwrap_or_else(|| default_out(&name));
    let files = vec![(name.clone(), loaded.file.clone())];
    let j = job(&loaded, name, model, opts)?;
    execute(vec![j], &files, opts, out, Vec::new(), progress)
}

/// `corridor batch`: several scenarios, paired against the first. Every file's problems
/// are reported at once (`StudyError::Inputs`).
pub fn batch(
    paths: &[PathBuf],
    opts: &RunOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let mut jobs = Vec::new();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match load_and_build(path) {
            Ok((l, m)) => {
                let name = l.file.run.name.clone();
                files.push((name.clone(), l.file.clone()));
                jobs.push(job(&l, name, m, opts)?);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(StudyError::Inputs(errors));
    }
    // Named after its scenarios, so that two batches never share a folder by default.
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&format!("batch-{}", names.join("-"))));
    execute(jobs, &files, opts, out, Vec::new(), progress)
}

/// `corridor compare`: B against A with common random numbers.
pub fn compare(
    a: &Path,
    b: &Path,
    opts: &RunOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let la = scenario::load(a)?;
    let lb = scenario::load(b)?;
    let (ma, mb) = (build(&la)?, build(&lb)?);
    // Common random numbers: both scenarios use the same master seed (A's unless a seed
    // is given), so every random source they share draws the same numbers.
    let mut opts = opts.clone();
    opts.seed = Some(opts.seed.unwrap_or(ma.seed()));
    let (na, mut nb) = (la.file.run.name.clone(), lb.file.run.name.clone());
    if na == nb {
        nb = format!("{nb} (b)");
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&format!("compare-{na}-vs-{nb}")));
    let files = vec![(na.clone(), la.file.clone()), (nb.clone(), lb.file.clone())];
    let jobs = vec![job(&la, na, ma, &opts)?, job(&lb, nb, mb, &opts)?];
    execute(jobs, &files, &opts, out, Vec::new(), progress)
}

/// A swept parameter that a timeline change of the scenario overrides from its date,
/// which silently flattens the sweep from then on.
#[derive(Debug, Clone, PartialEq)]
pub struct OverriddenSweep {
    pub path: String,
    /// The timeline change's id, the value it sets and its date.
    pub change: String,
    pub value: f64,
    pub date: Date,
}

/// `corridor sweep`: the full grid of `sets` (`PATH=VALUES` each), one scenario per point.
/// `warn` hears of every swept parameter a timeline change overrides, before any run.
pub fn sweep(
    path: &Path,
    sets: &[String],
    opts: &RunOptions,
    warn: &dyn Fn(&OverriddenSweep),
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let loaded = scenario::load(path)?;
    let mut axes = Vec::new();
    for s in sets {
        let (path, values) = super::parse_set(s).map_err(|source| StudyError::SetSyntax {
            arg: s.clone(),
            source,
        })?;
        // `timeline.<change>.<path>` sweeps the value a timeline change sets.
        let param = match timeline_target(&loaded.file, &path) {
            Some(Ok((_, param))) => param,
            Some(Err((message, hint))) => {
                return Err(StudyError::SetTimeline {
                    arg: s.clone(),
                    message,
                    hint,
                });
            }
            None => path.clone(),
        };
        let pp = ParamPath::parse(&param).map_err(|param| StudyError::SetParam {
            arg: s.clone(),
            param,
        })?;
        for v in &values {
            pp.check(&loaded.file, *v)
                .map_err(|param| StudyError::SetParam {
                    arg: s.clone(),
                    param,
                })?;
        }
        axes.push((path, values));
    }
    super::check_axes(&axes).map_err(StudyError::Axes)?;
    for (path, _) in &axes {
        for c in loaded
            .file
            .timeline
            .iter()
            .filter(|c| c.set.contains_key(path))
        {
            warn(&OverriddenSweep {
                path: path.clone(),
                change: c.id.clone(),
                value: c.set[path],
                date: c.date,
            });
        }
    }
    let base = loaded.file.run.name.clone();
    let grid = super::grid(&axes);
    let mut jobs = Vec::with_capacity(grid.len());
    let mut files = Vec::with_capacity(grid.len());
    for point in &grid {
        let mut file = loaded.file.clone();
        for (path, value) in point {
            if let Some(Ok((i, param))) = timeline_target(&loaded.file, path) {
                file.timeline[i].set.insert(param, *value);
            } else if let Ok(pp) = ParamPath::parse(path) {
                pp.apply(&mut file, *value);
            }
        }
        let name = super::sweep_name(&base, point);
        // Located where the base scenario writes the field: the swept value replaced it.
        let at = |path: &str, message: &str, hint: Option<String>| {
            Box::new(loaded.locations.diagnostic(
                path,
                format!("sweep point {name}: {message}"),
                hint,
            ))
        };
        if let Some(issue) = scenario::validate(&file).into_iter().next() {
            let diagnostic = at(&issue.path, &issue.message, issue.hint.clone());
            return Err(StudyError::PointInvalid {
                point: name,
                issue,
                diagnostic,
            });
        }
        let model = Model::build(&file).map_err(|source| StudyError::PointBuild {
            point: name.clone(),
            diagnostic: at(&source.path, &source.message, None),
            source,
        })?;
        files.push((name.clone(), file.clone()));
        let variant = LoadedScenario {
            file,
            ..loaded.clone()
        };
        jobs.push(job(&variant, name, model, opts)?);
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&format!("sweep-{base}")));
    execute(jobs, &files, opts, out, grid, progress)
}

/// A sweep path of the form `timeline.<change id>.<parameter path>`: the index of the
/// change and the parameter, when the change sets it; an error (message, hint) when the
/// path starts with `timeline.` but names no change or a parameter it does not set; None
/// for any other path.
fn timeline_target(
    file: &ScenarioFile,
    path: &str,
) -> Option<Result<(usize, String), (String, String)>> {
    let rest = path.strip_prefix("timeline.")?;
    // Change ids may hold dots: the longest id the path starts with wins.
    let found = file
        .timeline
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            rest.strip_prefix(c.id.as_str())
                .and_then(|r| r.strip_prefix('.'))
                .map(|param| (i, c.id.len(), param))
        })
        .max_by_key(|(_, len, _)| *len);
    let ids: Vec<&str> = file.timeline.iter().map(|c| c.id.as_str()).collect();
    Some(match found {
        None => Err((
            format!("no timeline change is named in `{rest}`"),
            format!(
                "write timeline.<change id>.<parameter path>; the changes are {}",
                ids.join(", ")
            ),
        )),
        Some((i, _, param)) if file.timeline[i].set.contains_key(param) => {
            Ok((i, param.to_string()))
        }
        Some((i, _, param)) => {
            let c = &file.timeline[i];
            let sets: Vec<&str> = c.set.keys().map(String::as_str).collect();
            Err((
                format!("timeline change `{}` does not set `{param}`", c.id),
                format!("it sets {}", sets.join(", ")),
            ))
        }
    })
}

/// `corridor merge`: shard folders into the files one unsharded run writes, and the
/// network tables (the same in every shard folder: the first's are taken).
pub fn merge_folders(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
    no_plots: bool,
) -> Result<Outcome, StudyError> {
    let opened = OutDir::open(out)?;
    let result = super::merge(
        dirs,
        out,
        &MergeOptions {
            force,
            opened: Some(Arc::clone(&opened)),
        },
    )?;
    let staged = result.precision.is_some();
    for f in [network::NODES_CSV, network::LINKS_CSV] {
        if let Some(src) = dirs.iter().map(|d| d.join(f)).find(|p| p.exists()) {
            let bytes = std::fs::read(&src).map_err(|source| StudyError::Io {
                path: src.clone(),
                source,
            })?;
            output::write_bytes_atomic(&out.join(f), &bytes)?;
        }
    }
    Ok(Outcome {
        result,
        out: out.to_path_buf(),
        no_plots,
        strict: false,
        staged,
        _opened: opened,
    })
}

/// How to look for the end of the warm-up.
#[derive(Debug, Clone)]
pub struct WarmupOptions {
    /// Replications to average, 1 to `MAX_WARMUP_REPLICATIONS`.
    pub reps: u64,
    /// Width of a time bin, in days (1/24 to 365).
    pub bin_days: f64,
    /// Half-width of Welch's moving average, in bins.
    pub window: usize,
}

/// Where transit times settle from an empty corridor.
#[derive(Debug, Clone)]
pub struct Warmup {
    pub scenario: String,
    pub reps: u64,
    pub bin_days: f64,
    /// Welch's moving average of the mean transit time per bin, over the whole run.
    pub smooth: Vec<f64>,
    /// Bins covering the warm-up and the first reported year (what MSER-5 looks at).
    pub first_year_bins: usize,
    /// MSER-5's truncation point, in days.
    pub cut_days: f64,
    /// The scenario's warm-up, in days.
    pub warmup_days: f64,
}

impl Warmup {
    /// Writes the series as CSV (`bin_start_day,welch_transit_days`).
    pub fn write_csv(&self, file: &Path) -> Result<(), StudyError> {
        let mut text = String::from("bin_start_day,welch_transit_days\n");
        for (i, v) in self.smooth.iter().enumerate() {
            text.push_str(&format!(
                "{},{}\n",
                i as f64 * self.bin_days,
                output::fmt_f64(*v)
            ));
        }
        Ok(output::write_bytes_atomic(file, text.as_bytes())?)
    }
}

/// `corridor warmup`: Welch's moving average of transit times from an empty corridor and
/// the MSER-5 truncation point.
pub fn warmup(path: &Path, opts: &WarmupOptions) -> Result<Warmup, StudyError> {
    let bin_days = opts.bin_days;
    if !(bin_days.is_finite() && (1.0 / 24.0..=365.0).contains(&bin_days)) {
        return Err(StudyError::BinDays(bin_days));
    }
    if opts.reps == 0 || opts.reps > MAX_WARMUP_REPLICATIONS {
        return Err(StudyError::Replications {
            got: opts.reps,
            max: MAX_WARMUP_REPLICATIONS,
        });
    }
    let (loaded, model) = load_and_build(path)?;
    let series: Vec<Vec<f64>> = (0..opts.reps)
        .into_par_iter()
        .map(|r| model.transit_trace(r, bin_days).map(|(_, s)| s))
        .collect::<Result<_, _>>()?;
    let smooth = welch(&series, opts.window);
    // Demand grows and investments arrive over a long horizon, so the series is not
    // stationary after the start; MSER-5 looks at the warm-up plus the first reported
    // year only, where the transient from an empty corridor is what varies.
    let first_year_bins = ((model.warmup_days() + 365.0) / bin_days).ceil() as usize;
    let cut = mser5(&smooth[..first_year_bins.min(smooth.len())]);
    Ok(Warmup {
        scenario: loaded.file.run.name.clone(),
        reps: opts.reps,
        bin_days,
        first_year_bins,
        cut_days: cut as f64 * bin_days,
        warmup_days: model.warmup_days(),
        smooth,
    })
}

/// What `check` found in one file.
pub type CheckOutcome = (PathBuf, Result<(), StudyError>);

/// `corridor check`: loads, validates and builds every file; one outcome per file, in
/// order.
pub fn check(files: &[PathBuf]) -> Vec<CheckOutcome> {
    files
        .iter()
        .map(|f| (f.clone(), load_and_build_checked(f)))
        .collect()
}

fn load_and_build_checked(path: &Path) -> Result<(), StudyError> {
    let loaded = scenario::load(path)?;
    Model::build(&loaded.file)
        .map_err(|source| build_error(&loaded, path.to_path_buf(), source))?;
    Ok(())
}

/// What `plot` draws.
#[derive(Debug, Clone, Default)]
pub struct PlotRequest {
    pub map_year: Option<i32>,
    pub metric: Option<String>,
    pub subject: Option<String>,
}

/// `corridor plot`: redraws the charts and report of a results folder from its CSV files
/// alone; returns the paths of `report.md` and `report.html`.
pub fn plot(dir: &Path, req: &PlotRequest) -> Result<(PathBuf, PathBuf), StudyError> {
    if !dir.is_dir() {
        return Err(StudyError::NotAFolder(dir.to_path_buf()));
    }
    // Held until the charts and report are written: no run may change the folder
    // meanwhile, and only files corridor wrote are replaced.
    let _open = OutDir::open(dir)?;
    if !dir.join(output::SUMMARY_CSV).is_file() {
        return Err(StudyError::NoSummary(dir.to_path_buf()));
    }
    // A folder a run wrote (it has batch.json) must hold a complete summary set; a folder
    // of tables made by other means is drawn as it is.
    if dir.join(batch::MANIFEST).exists() {
        output::check_summary_set(dir)?;
    }
    let defaults = PlotOptions::default();
    let opts = PlotOptions {
        map_year: req.map_year,
        sweep_metric: req.metric.clone().unwrap_or(defaults.sweep_metric.clone()),
        sweep_subject: req
            .subject
            .clone()
            .unwrap_or(defaults.sweep_subject.clone()),
        ..defaults
    };
    report::write_report_with(dir, &opts).map_err(StudyError::Plot)
}

/// Runs variants of one loaded scenario as one batch on one seed, into
/// `results/<plan>-<name>` by default. The first variant is the scenario itself, whose
/// model `first` is already built; each variant is its own scenario for `--resume` (the
/// file's hash and the variant's name).
fn run_variants(
    loaded: &LoadedScenario,
    first: Model,
    variants: &[(String, ScenarioFile)],
    opts: &RunOptions,
    plan: &str,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Outcome, StudyError> {
    let mut first = Some(first);
    let mut jobs = Vec::with_capacity(variants.len());
    for (vname, vfile) in variants {
        let model = match first.take() {
            Some(m) => m,
            None => Model::build(vfile)
                .map_err(|source| build_error(loaded, loaded.path.clone(), source))?,
        };
        let mut j = job(loaded, vname.clone(), model, opts)?;
        j.scenario_hash = format!("{}:{vname}", loaded.hash);
        jobs.push(j);
    }
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&format!("{plan}-{}", loaded.file.run.name)));
    execute(jobs, variants, opts, out, Vec::new(), progress)
}

/// What `corridor appraise` measured: the batch of scenario variants it ran and each
/// investment's appraisal, ranked.
#[derive(Debug)]
pub struct Appraised {
    pub outcome: Outcome,
    pub scenario: String,
    pub params: appraisal::AppraisalParams,
    /// Empty for a shard (nothing to pair yet); ranked otherwise.
    pub rows: Vec<appraisal::AppraisalRow>,
}

impl Margins {
    /// The console text: the ranked table (`None` for a shard).
    pub fn text(&self) -> Option<String> {
        self.outcome.result.complete.then(|| {
            let cells: Vec<console::MarginCells<'_>> = self
                .rows
                .iter()
                .map(|r| console::MarginCells {
                    path: &r.path,
                    unit: r.unit,
                    delta_teu: &r.delta_teu,
                    days_saved: &r.days_saved,
                })
                .collect();
            console::margins_text(&self.scenario, self.year, self.demand_served, &cells)
        })
    }
}

impl Appraised {
    /// The console text: the appraisal table (`None` for a shard).
    pub fn text(&self) -> Option<String> {
        self.outcome
            .result
            .complete
            .then(|| console::appraisal_text(&self.scenario, &self.rows, &self.params))
    }
}

/// `corridor appraise`: every named investment of the scenario measured twice, paired on
/// one seed (docs/appraisal.md): the full scenario against the full scenario without it
/// (leave one out), and the scenario without any investment against it with this one
/// only (add one). Runs 2 + 2 × investments scenario variants as one batch, so it is
/// parallel, resumable and shardable like any other; writes `appraisal.csv` beside the
/// usual tables.
pub fn appraise(
    path: &Path,
    opts: &RunOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Appraised, StudyError> {
    let loaded = scenario::load(path)?;
    let file = &loaded.file;
    if file.investments.is_empty() {
        return Err(StudyError::NoInvestments(path.to_path_buf()));
    }
    let full = build(&loaded)?;
    // Common random numbers: every variant uses the same master seed.
    let mut opts = opts.clone();
    opts.seed = Some(opts.seed.unwrap_or(full.seed()));
    let name = file.run.name.clone();
    let ids: Vec<&str> = file.investments.iter().map(|i| i.id.as_str()).collect();
    let mut variants: Vec<(String, ScenarioFile)> = vec![(name.clone(), file.clone())];
    for id in &ids {
        variants.push((
            format!("{name}-without-{id}"),
            appraisal::without_investments(file, &[id]),
        ));
    }
    let none = format!("{name}-without-investments");
    variants.push((none.clone(), appraisal::without_investments(file, &ids)));
    for id in &ids {
        let others: Vec<&str> = ids.iter().copied().filter(|x| x != id).collect();
        variants.push((
            format!("{name}-only-{id}"),
            appraisal::without_investments(file, &others),
        ));
    }
    let outcome = run_variants(&loaded, full, &variants, &opts, "appraise", progress)?;
    let params = appraisal::params_of(file);
    let mut rows = Vec::new();
    if outcome.result.complete {
        let runs = |n: &str| {
            outcome
                .result
                .jobs
                .iter()
                .find(|j| j.scenario == n)
                .map(|j| j.runs.as_slice())
                .unwrap_or_default()
        };
        for inv in &file.investments {
            let costs = appraisal::investment_costs(file, inv);
            rows.push(appraisal::appraise(
                &inv.id,
                appraisal::Way::LeaveOneOut,
                runs(&format!("{name}-without-{}", inv.id)),
                runs(&name),
                &costs,
                &params,
            ));
            rows.push(appraisal::appraise(
                &inv.id,
                appraisal::Way::AddOne,
                runs(&none),
                runs(&format!("{name}-only-{}", inv.id)),
                &costs,
                &params,
            ));
        }
        appraisal::rank(&mut rows);
        output::csv::write_appraisal_csv(&outcome.out.join(output::APPRAISAL_CSV), &rows)?;
        output::csv::write_appraisal_years_csv(
            &outcome.out.join(output::APPRAISAL_YEARS_CSV),
            &rows,
        )?;
    }
    Ok(Appraised {
        outcome,
        scenario: name,
        params,
        rows,
    })
}

/// One more unit of one capacity, as `corridor margins` adds it.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginRow {
    /// The settable parameter path (`nodes.aktau.berths`).
    pub path: String,
    /// `+1` or `+10%`.
    pub unit: &'static str,
    pub year: i32,
    /// Paired differences (with − without) in `year`, corridor-wide.
    pub delta_teu: crate::engine::stats::Summary,
    pub days_saved: crate::engine::stats::Summary,
}

/// What `corridor margins` measured.
#[derive(Debug)]
pub struct Margins {
    pub outcome: Outcome,
    pub scenario: String,
    pub year: i32,
    /// True when the scenario without the extra unit delivers at least 99% of the TEU
    /// created in `year`: there is no TEU to gain, so the rows are ranked by days saved.
    pub demand_served: bool,
    /// Ranked, the capacity whose unit buys most first.
    pub rows: Vec<MarginRow>,
}

/// The capacities of `s` one can buy one more unit of: (path, unit, new base value).
pub fn capacities(s: &ScenarioFile) -> Vec<(String, &'static str, f64)> {
    let mut v = Vec::new();
    for n in &s.nodes {
        if n.berths > 0 {
            v.push((
                format!("nodes.{}.berths", n.id),
                "+1",
                f64::from(n.berths + 1),
            ));
        }
        if n.ferry_berths > 0 {
            v.push((
                format!("nodes.{}.ferry_berths", n.id),
                "+1",
                f64::from(n.ferry_berths + 1),
            ));
        }
        if n.cranes > 0 {
            v.push((
                format!("nodes.{}.cranes", n.id),
                "+1",
                f64::from(n.cranes + 1),
            ));
        }
        if let Some(y) = n.yard_capacity_teu {
            v.push((format!("nodes.{}.yard_capacity_teu", n.id), "+10%", y * 1.1));
        }
    }
    for l in &s.links {
        if let Some(p) = l.rail.as_ref().and_then(|r| r.paths_per_day) {
            v.push((format!("links.{}.rail.paths_per_day", l.id), "+1", p + 1.0));
        }
        if let Some(sea) = &l.sea {
            for c in &sea.fleet {
                v.push((
                    format!("links.{}.sea.fleet.{}.count", l.id, c.class),
                    "+1",
                    f64::from(c.count + 1),
                ));
            }
        }
    }
    for p in &s.wagon_pools {
        v.push((
            format!("wagon_pools.{}.sets", p.id),
            "+1",
            f64::from(p.sets + 1),
        ));
    }
    v
}

/// `s` with one more unit of `path` throughout the horizon: the base value and every
/// timeline change of the same path get the unit, so that a later change does not take
/// it away again.
fn with_unit(s: &ScenarioFile, path: &str, unit: &str, base_value: f64) -> Option<ScenarioFile> {
    let p = ParamPath::parse(path).ok()?;
    let mut out = s.clone();
    p.apply(&mut out, base_value);
    for c in &mut out.timeline {
        if let Some(v) = c.set.get_mut(path) {
            *v = if unit == "+10%" { *v * 1.1 } else { *v + 1.0 };
        }
    }
    Some(out)
}

/// `corridor margins`: one more unit of each capacity in turn (a berth, a crane, a vessel
/// of each class, a wagon set, a train path per day, 10% more yard), each paired with the
/// scenario on one seed; ranked by TEU gained in `year` (default the last), or by days
/// saved when the scenario already serves that year's demand. Writes `margins.csv`.
pub fn margins(
    path: &Path,
    year: Option<i32>,
    opts: &RunOptions,
    progress: &(dyn Fn(ProgressEvent) + Sync),
) -> Result<Margins, StudyError> {
    use crate::metrics::{Metric, Subject, SubjectKind};
    let loaded = scenario::load(path)?;
    let file = &loaded.file;
    let year = year.unwrap_or(file.run.last_year);
    if !(file.run.first_year..=file.run.last_year).contains(&year) {
        return Err(StudyError::MarginYear {
            year,
            first: file.run.first_year,
            last: file.run.last_year,
        });
    }
    let base = build(&loaded)?;
    let mut opts = opts.clone();
    opts.seed = Some(opts.seed.unwrap_or(base.seed()));
    let name = file.run.name.clone();
    let mut variants: Vec<(String, ScenarioFile)> = vec![(name.clone(), file.clone())];
    let mut units = Vec::new();
    for (p, unit, value) in capacities(file) {
        if let Some(f) = with_unit(file, &p, unit, value) {
            variants.push((format!("{name}[{p}{unit}]"), f));
            units.push((p, unit));
        }
    }
    let outcome = run_variants(&loaded, base, &variants, &opts, "margins", progress)?;
    let mut rows = Vec::new();
    let mut demand_served = false;
    if outcome.result.complete {
        let jobs = &outcome.result.jobs;
        let v = |r: &crate::model::RunResult, m: Metric| {
            r.value(year, m, SubjectKind::Corridor, Subject::CORRIDOR_ID)
                .unwrap_or(f64::NAN)
        };
        let base_runs = &jobs[0].runs;
        let (created, delivered): (f64, f64) = base_runs.iter().fold((0.0, 0.0), |a, r| {
            (
                a.0 + v(r, Metric::CreatedTeu),
                a.1 + v(r, Metric::DeliveredTeu),
            )
        });
        demand_served = delivered >= 0.99 * created;
        for ((p, unit), job) in units.iter().zip(&jobs[1..]) {
            let mut dteu = Vec::new();
            let mut ddays = Vec::new();
            for (b, w) in base_runs.iter().zip(&job.runs) {
                dteu.push(v(w, Metric::DeliveredTeu) - v(b, Metric::DeliveredTeu));
                ddays.push(v(b, Metric::TransitDaysMean) - v(w, Metric::TransitDaysMean));
            }
            rows.push(MarginRow {
                path: p.clone(),
                unit,
                year,
                delta_teu: crate::engine::stats::Summary::of(&dteu),
                days_saved: crate::engine::stats::Summary::of(&ddays),
            });
        }
        rows.sort_by(|a, b| {
            let key = |r: &MarginRow| {
                if demand_served {
                    r.days_saved.mean
                } else {
                    r.delta_teu.mean
                }
            };
            key(b).total_cmp(&key(a)).then_with(|| a.path.cmp(&b.path))
        });
        output::csv::write_margins_csv(
            &outcome.out.join(output::MARGINS_CSV),
            &rows
                .iter()
                .map(|r| output::csv::MarginLine {
                    path: &r.path,
                    unit: r.unit,
                    year: r.year,
                    delta_teu: &r.delta_teu,
                    days_saved: &r.days_saved,
                })
                .collect::<Vec<_>>(),
        )?;
    }
    Ok(Margins {
        outcome,
        scenario: name,
        year,
        demand_served,
        rows,
    })
}
