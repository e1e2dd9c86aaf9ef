//! The `corridor` command line: parses arguments, calls the library, prints, and maps
//! errors to exit codes (0 success, 1 failure while running or writing, 2 bad input:
//! scenario files, arguments). It must never contain simulation or statistics logic.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use corridor::batch::{self, BatchOptions, BatchResult, Job, MergeOptions, ProgressEvent, Shard};
use corridor::model::Model;
use corridor::output::{console, network, plots, report};
use corridor::scenario::{self, LoadedScenario, ParamPath, ScenarioError};

// `print!` and `println!` panic when stdout is a closed pipe (`corridor run … | head`);
// these shadow them with `console::print`, which goes quiet instead, so the command still
// writes all its files and exits 0.
macro_rules! print {
    ($($arg:tt)*) => {
        console::print(&format!($($arg)*))
    };
}
macro_rules! println {
    () => {
        console::print("\n")
    };
    ($($arg:tt)*) => {
        console::print(&format!("{}\n", format_args!($($arg)*)))
    };
}

#[derive(Parser)]
#[command(
    name = "corridor",
    version,
    about = "Simulate container flows on the Middle Corridor (China → Kazakhstan → Caspian → Azerbaijan → Georgia)",
    long_about = "Discrete-event simulation of container flows on the Trans-Caspian International Transport Route.\n\
                  Scenarios are TOML files (see docs/scenario-format.md); results are tidy CSV and JSON files\n\
                  (see docs/outputs.md). Exit codes: 0 success (also when stdout is a closed pipe, as in\n\
                  `corridor run … | head`: the files are still written), 1 failure while running or writing,\n\
                  2 bad input (scenario files, arguments), 130 interrupted by Ctrl-C (finished replications\n\
                  are kept; rerun with --resume)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the replications of one scenario and write its results.
    Run {
        /// Scenario file (TOML), e.g. scenarios/baseline-2025.toml.
        scenario: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run several scenarios as one batch (paired against the first).
    Batch {
        /// Scenario files; the first is the baseline the others are paired against.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Compare two scenarios with common random numbers: paired differences with 95% intervals.
    Compare {
        /// The baseline scenario file.
        a: PathBuf,
        /// The scenario file compared with it (differences are B − A).
        b: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run a full grid of parameter values, e.g. --set nodes.aktau.cranes=2,4,6.
    Sweep {
        /// The scenario file whose parameters are swept.
        scenario: PathBuf,
        /// PATH=V1,V2,... or PATH=START:STOP:STEP; repeat for more dimensions.
        #[arg(long = "set", required = true, value_name = "PATH=VALUES")]
        set: Vec<String>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Merge the folders of shards into the files one unsharded run would write.
    Merge {
        /// The shard folders (each written by `--shard K/N` with the same command).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The folder to write the merged results into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Replace results already in the output folder.
        #[arg(long)]
        force: bool,
        /// Write the tables only: no charts, no report.
        #[arg(long)]
        no_plots: bool,
    },
    /// Help choose a warm-up: Welch's moving average of transit times from an empty start,
    /// and the MSER-5 truncation point.
    Warmup {
        /// Scenario file (TOML).
        scenario: PathBuf,
        /// Replications to average.
        #[arg(long, value_name = "N", default_value_t = 5)]
        reps: u64,
        /// Width of a time bin, in days.
        #[arg(long, value_name = "DAYS", default_value_t = 7.0)]
        bin_days: f64,
        /// Half-width of the moving average, in bins.
        #[arg(long, value_name = "BINS", default_value_t = 2)]
        window: usize,
        /// Write the series as CSV (bin_start_day, welch_transit_days) to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
    },
    /// Redraw the charts and the report of a results folder from its CSV files alone.
    Plot {
        /// A results folder of a finished run (holding summary.csv).
        dir: PathBuf,
        /// Year of the corridor map (default: the last year).
        #[arg(long, value_name = "YEAR")]
        map_year: Option<i32>,
        /// The sweep chart's metric, e.g. transit_days_mean or wait_teu_hours (default:
        /// delivered_teu); see docs/outputs.md for the metrics.
        #[arg(long, value_name = "METRIC")]
        metric: Option<String>,
        /// The sweep chart's subject: corridor, or a node, link or flow id (default: corridor).
        #[arg(long, value_name = "SUBJECT")]
        subject: Option<String>,
    },
    /// Validate scenario files and report every problem found.
    Check {
        /// Scenario files to validate.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct RunOpts {
    /// Replications, 1 to 100000 (default: the scenario's `run.replications`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_reps)]
    reps: Option<u64>,
    /// Master seed, 0 to 2^63-1 like a scenario's `run.seed` (default: the scenario's).
    #[arg(long, value_name = "S", value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Worker threads (default: all cores; at most 4 per core). Results are identical for any value.
    #[arg(long, short = 'j', value_name = "J", default_value_t = 0)]
    jobs: usize,
    /// Results folder (default: results/<name>).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace the results of an earlier run in the folder.
    #[arg(long, conflicts_with = "resume")]
    force: bool,
    /// Continue an interrupted run: keep finished replications, run the rest.
    #[arg(long)]
    resume: bool,
    /// Run only shard K of N; shards are numbered 0 to N−1 (0/3, 1/3 and 2/3 are the three
    /// shards of a run). Also read from SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX +
    /// CORRIDOR_SHARD_COUNT, or CORRIDOR_SHARD.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Write the tables only: no charts, no report.
    #[arg(long)]
    no_plots: bool,
}

/// What went wrong, and so which exit code.
enum Failure {
    /// Bad input: scenario files or arguments (exit 2).
    Input(String),
    /// Something failed while running or writing (exit 1).
    Run(String),
    /// Ctrl-C during a batch: finished replications are kept (exit 130).
    Interrupted(String),
}

impl From<batch::BatchError> for Failure {
    fn from(e: batch::BatchError) -> Self {
        use batch::BatchError as B;
        use corridor::output::files::OutDirError as O;
        match e {
            B::OutDirHasResults { .. }
            | B::ForceAndResume
            | B::DuplicateScenario(_)
            | B::InvalidOptions(_)
            | B::ResumeMismatch { .. }
            | B::Merge(_)
            | B::MissingReplications(_)
            | B::OutDir(O::Busy { .. } | O::NotAFolder { .. } | O::DanglingLink { .. })
            | B::OutDir(O::NotOurs { .. })
            | B::Shard(_) => Failure::Input(format!("error: {e}")),
            B::Interrupted { .. } => Failure::Interrupted(format!(
                "stopped by {}: {e}",
                batch::interrupt::received().unwrap_or("request")
            )),
            other => Failure::Run(format!("error: {other}")),
        }
    }
}

impl From<corridor::output::files::OutDirError> for Failure {
    fn from(e: corridor::output::files::OutDirError) -> Self {
        Failure::from(batch::BatchError::OutDir(e))
    }
}

fn scenario_error(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Invalid(diags) => {
            let mut s = String::new();
            for d in diags {
                s.push_str(&format!("error: {d}\n"));
            }
            s.push_str(&format!(
                "{} problem{} found",
                diags.len(),
                if diags.len() == 1 { "" } else { "s" }
            ));
            s
        }
        other => format!("error: {other}"),
    }
}

fn load(path: &Path) -> Result<LoadedScenario, Failure> {
    scenario::load(path).map_err(|e| Failure::Input(scenario_error(&e)))
}

fn build(loaded: &LoadedScenario) -> Result<Model, Failure> {
    Model::build(&loaded.file)
        .map_err(|e| Failure::Input(format!("error: {}: {e}", loaded.path.display())))
}

/// `--reps`: a whole number between 1 and `MAX_REPLICATIONS`, said plainly for `-3` or `ten`.
fn parse_reps(s: &str) -> Result<u64, String> {
    match s.trim().parse::<i128>() {
        Ok(n) if (1..=i128::from(MAX_REPLICATIONS)).contains(&n) => Ok(n as u64),
        _ => Err(format!(
            "the number of replications must be a whole number between 1 and {MAX_REPLICATIONS}"
        )),
    }
}

/// Largest replication count accepted: far beyond any useful interval, small enough that
/// the per-replication files of a run stay manageable.
const MAX_REPLICATIONS: u64 = 100_000;

fn job(
    loaded: &LoadedScenario,
    name: String,
    mut model: Model,
    opts: &RunOpts,
) -> Result<Job, Failure> {
    let reps = opts.reps.unwrap_or(u64::from(loaded.file.run.replications));
    if reps == 0 || reps > MAX_REPLICATIONS {
        return Err(Failure::Input(format!(
            "error: --reps must be between 1 and {MAX_REPLICATIONS}, got {reps}"
        )));
    }
    if let Some(seed) = opts.seed {
        model.set_seed(seed);
    }
    Ok(Job {
        scenario: name,
        scenario_hash: loaded.hash.clone(),
        seed: model.seed(),
        replications: reps,
        targets: corridor::scenario::target::targets(&loaded.file),
        sim: Arc::new(model),
    })
}

fn shard(opts: &RunOpts) -> Result<Option<Shard>, Failure> {
    match &opts.shard {
        Some(s) => Shard::parse(s).map(Some).map_err(|e| {
            Failure::Input(format!(
                "error: --shard {s}: {e}; shards are numbered 0 to N−1 (--shard 0/3, 1/3 and 2/3 run the three shards)"
            ))
        }),
        None => Shard::from_env()
            .map_err(|e| Failure::Input(format!("error: shard from environment: {e}"))),
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} replications, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn execute(
    jobs: Vec<Job>,
    files: &[(String, scenario::ScenarioFile)],
    opts: &RunOpts,
    out: PathBuf,
    sweep: Vec<Vec<(String, f64)>>,
) -> Result<BatchResult, Failure> {
    let shard = shard(opts)?;
    batch::check_jobs_threads(opts.jobs)?;
    // Locked from here to the last chart: another run into this folder is refused, and
    // every file written into it is recorded in its ledger.
    let opened = corridor::output::files::OutDir::open(&out)?;
    let batch_opts = BatchOptions {
        jobs_threads: opts.jobs,
        out_dir: Some(out.clone()),
        resume: opts.resume,
        force: opts.force,
        shard,
        sweep,
        opened: Some(opened),
    };
    let bar = progress_bar(opts.quiet);
    let on_progress = |e: ProgressEvent| match e {
        ProgressEvent::Planned { items } => bar.set_length(items),
        ProgressEvent::Replication { done, .. } => bar.set_position(done),
        ProgressEvent::Discarded {
            scenario,
            replication,
            reason,
            ..
        } => {
            // Printed whatever stderr is (a log file, a pipe) and even with --quiet: it says
            // that a persisted result was not used.
            let note =
                format!("note: replication {replication} of {scenario} is run again ({reason})");
            bar.suspend(|| eprintln!("{note}"));
        }
        _ => {}
    };
    let result = batch::run_batch(&jobs, &batch_opts, &on_progress);
    bar.finish_and_clear();
    let result = result?;
    let named: Vec<(&str, &scenario::ScenarioFile)> =
        files.iter().map(|(n, f)| (n.as_str(), f)).collect();
    network::write_network_csv(&out, &named).map_err(|e| Failure::Run(format!("error: {e}")))?;
    if result.complete {
        print!(
            "{}",
            console::summary_text(&result, &plots::names::PlaceNames::load(&out))
        );
        if !opts.no_plots {
            match report::write_report(&out) {
                Ok((_, html)) => println!("\nreport: {}", html.display()),
                Err(e) => return Err(Failure::Run(format!("error: drawing the charts: {e}"))),
            }
        }
    } else if let Some(s) = result.shard {
        println!(
            "shard {s}: {} replications run, {} resumed; merge the shard folders with `corridor merge`",
            result.replications_run, result.replications_resumed
        );
    }
    println!("\nresults in {}", out.display());
    let violations: usize = result
        .jobs
        .iter()
        .map(|j| j.conservation_violations.len())
        .sum();
    if violations > 0 {
        return Err(Failure::Run(format!(
            "error: TEU conservation failed in {violations} replication(s): a model bug, results kept in {}",
            out.display()
        )));
    }
    Ok(result)
}

/// `results/<name>`, always one plain folder directly under `results/`: characters other
/// than letters, digits, `-`, `_` and `.` become `_`, a leading `.` becomes `_` (so `.`
/// and `..` cannot name the current or parent folder), and a name too long for a file
/// system keeps a readable prefix and a hash of the whole.
fn default_out(name: &str) -> PathBuf {
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
        let h = corridor::engine::rng::SourceId::from_name(name).0;
        safe.push_str(&format!("-{h:016x}"));
    }
    PathBuf::from("results").join(safe)
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run { scenario, opts } => {
            let loaded = load(&scenario)?;
            let model = build(&loaded)?;
            let name = loaded.file.run.name.clone();
            let out = opts.out.clone().unwrap_or_else(|| default_out(&name));
            let files = vec![(name.clone(), loaded.file.clone())];
            let j = job(&loaded, name, model, &opts)?;
            execute(vec![j], &files, &opts, out, Vec::new())?;
        }
        Command::Batch { scenarios, opts } => {
            let mut jobs = Vec::new();
            let mut files = Vec::new();
            let mut errors = Vec::new();
            for path in &scenarios {
                match load(path).and_then(|l| build(&l).map(|m| (l, m))) {
                    Ok((l, m)) => {
                        let name = l.file.run.name.clone();
                        files.push((name.clone(), l.file.clone()));
                        jobs.push(job(&l, name, m, &opts)?);
                    }
                    Err(Failure::Input(e)) => errors.push(e),
                    Err(e) => return Err(e),
                }
            }
            if !errors.is_empty() {
                return Err(Failure::Input(errors.join("\n")));
            }
            // Named after its scenarios, so that two batches never share a folder by default.
            let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            let out = opts
                .out
                .clone()
                .unwrap_or_else(|| default_out(&format!("batch-{}", names.join("-"))));
            execute(jobs, &files, &opts, out, Vec::new())?;
        }
        Command::Compare { a, b, opts } => {
            let la = load(&a)?;
            let lb = load(&b)?;
            let (ma, mb) = (build(&la)?, build(&lb)?);
            // Common random numbers: both scenarios use the same master seed (A's unless
            // --seed is given), so every random source they share draws the same numbers.
            let mut opts = opts;
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
            execute(jobs, &files, &opts, out, Vec::new())?;
        }
        Command::Sweep {
            scenario,
            set,
            opts,
        } => {
            let loaded = load(&scenario)?;
            let mut axes = Vec::new();
            for s in &set {
                let (path, values) = batch::parse_set(s)
                    .map_err(|e| Failure::Input(format!("error: --set {s}: {e}")))?;
                let pp = ParamPath::parse(&path).map_err(|e| {
                    Failure::Input(format!("error: --set {s}: {} ({})", e.message, e.hint))
                })?;
                for v in &values {
                    pp.check(&loaded.file, *v).map_err(|e| {
                        Failure::Input(format!("error: --set {s}: {} ({})", e.message, e.hint))
                    })?;
                }
                axes.push((path, values));
            }
            batch::check_axes(&axes).map_err(|e| Failure::Input(format!("error: {e}")))?;
            // A swept value is the value from the start; a timeline change of the same
            // parameter overrides it from its date, which silently flattens the sweep.
            for (path, _) in &axes {
                for c in loaded
                    .file
                    .timeline
                    .iter()
                    .filter(|c| c.set.contains_key(path))
                {
                    eprintln!(
                        "warning: --set {path}: timeline change `{}` sets it to {} from {}, \
                         overriding the swept values from then on; sweep a scenario without \
                         that change to vary it for the whole run (docs/scenario-format.md, \
                         \"Sweeps and the timeline\")",
                        c.id, c.set[path], c.date
                    );
                }
            }
            let base = loaded.file.run.name.clone();
            let grid = batch::grid(&axes);
            let mut jobs = Vec::with_capacity(grid.len());
            let mut files = Vec::with_capacity(grid.len());
            for point in &grid {
                let mut file = loaded.file.clone();
                for (path, value) in point {
                    if let Ok(pp) = ParamPath::parse(path) {
                        pp.apply(&mut file, *value);
                    }
                }
                let issues = scenario::validate(&file);
                if let Some(i) = issues.first() {
                    return Err(Failure::Input(format!(
                        "error: sweep point {}: {}: {}",
                        batch::sweep_name(&base, point),
                        i.path,
                        i.message
                    )));
                }
                let model =
                    Model::build(&file).map_err(|e| Failure::Input(format!("error: {e}")))?;
                let name = batch::sweep_name(&base, point);
                files.push((name.clone(), file.clone()));
                let variant = LoadedScenario {
                    file,
                    ..loaded.clone()
                };
                jobs.push(job(&variant, name, model, &opts)?);
            }
            let out = opts
                .out
                .clone()
                .unwrap_or_else(|| default_out(&format!("sweep-{base}")));
            execute(jobs, &files, &opts, out, grid)?;
        }
        Command::Merge {
            dirs,
            out,
            force,
            no_plots,
        } => {
            let opened = corridor::output::files::OutDir::open(&out)?;
            let result = batch::merge(
                &dirs,
                &out,
                &MergeOptions {
                    force,
                    opened: Some(Arc::clone(&opened)),
                },
            )
            .map_err(|e| match e {
                // The batch message offers --resume, which merge does not have.
                batch::BatchError::OutDirHasResults { path } => Failure::Input(format!(
                    "error: {} already holds results; use --force to replace them, or merge into another folder",
                    path.display()
                )),
                other => other.into(),
            })?;
            // The network tables are the same in every shard folder: take the first's.
            for f in [network::NODES_CSV, network::LINKS_CSV] {
                if let Some(src) = dirs.iter().map(|d| d.join(f)).find(|p| p.exists()) {
                    let bytes = std::fs::read(&src)
                        .map_err(|e| Failure::Run(format!("error: {}: {e}", src.display())))?;
                    corridor::output::write_bytes_atomic(&out.join(f), &bytes)
                        .map_err(|e| Failure::Run(format!("error: {e}")))?;
                }
            }
            if result.complete {
                print!(
                    "{}",
                    console::summary_text(&result, &plots::names::PlaceNames::load(&out))
                );
                if !no_plots {
                    report::write_report(&out)
                        .map_err(|e| Failure::Run(format!("error: drawing the charts: {e}")))?;
                }
            }
            println!("\nmerged {} folders into {}", dirs.len(), out.display());
        }
        Command::Warmup {
            scenario,
            reps,
            bin_days,
            window,
            csv,
        } => warmup(&scenario, reps, bin_days, window, csv.as_deref())?,
        Command::Plot {
            dir,
            map_year,
            metric,
            subject,
        } => {
            if !dir.is_dir() {
                return Err(Failure::Input(format!(
                    "error: {} is not a folder",
                    dir.display()
                )));
            }
            // Held until the charts and report are written: no run may change the folder
            // meanwhile, and only files corridor wrote are replaced.
            let _open = corridor::output::files::OutDir::open(&dir)?;
            let summary = dir.join(corridor::output::SUMMARY_CSV);
            if !summary.is_file() {
                return Err(Failure::Input(format!(
                    "error: {} has no {}: not the folder of a finished run (a shard folder needs `corridor merge` first)",
                    dir.display(),
                    corridor::output::SUMMARY_CSV
                )));
            }
            // A folder a run wrote (it has batch.json) must hold a complete summary set; a
            // folder of tables made by other means is drawn as it is.
            if dir.join(batch::MANIFEST).exists() {
                corridor::output::check_summary_set(&dir)
                    .map_err(|e| Failure::Input(format!("error: {e}")))?;
            }
            let defaults = plots::PlotOptions::default();
            let opts = plots::PlotOptions {
                map_year,
                sweep_metric: metric.unwrap_or(defaults.sweep_metric.clone()),
                sweep_subject: subject.unwrap_or(defaults.sweep_subject.clone()),
                ..defaults
            };
            let (md, html) = report::write_report_with(&dir, &opts).map_err(|e| match e {
                plots::PlotError::Read(_) | plots::PlotError::Options(_) => {
                    Failure::Input(format!("error: {e}"))
                }
                other => Failure::Run(format!("error: {other}")),
            })?;
            println!(
                "charts in {}\nreport: {} and {}",
                dir.join(plots::PLOTS_DIR).display(),
                md.display(),
                html.display()
            );
        }
        Command::Check { files } => {
            let mut failed = Vec::new();
            for f in &files {
                match scenario::load(f) {
                    Ok(l) => match Model::build(&l.file) {
                        Ok(_) => println!("ok: {}", f.display()),
                        Err(e) => failed.push(format!("error: {}: {e}", f.display())),
                    },
                    Err(e) => failed.push(scenario_error(&e)),
                }
            }
            if !failed.is_empty() {
                return Err(Failure::Input(failed.join("\n")));
            }
        }
    }
    Ok(())
}

/// Runs `reps` replications from an empty corridor and reports where transit times settle.
fn warmup(
    path: &Path,
    reps: u64,
    bin_days: f64,
    window: usize,
    csv: Option<&Path>,
) -> Result<(), Failure> {
    if !(bin_days.is_finite() && (1.0 / 24.0..=365.0).contains(&bin_days)) {
        return Err(Failure::Input(format!(
            "error: --bin-days must be between 1/24 and 365, got {bin_days}"
        )));
    }
    if reps == 0 || reps > 1000 {
        return Err(Failure::Input(format!(
            "error: --reps must be between 1 and 1000, got {reps}"
        )));
    }
    let loaded = load(path)?;
    let model = build(&loaded)?;
    use rayon::prelude::*;
    let series: Vec<Vec<f64>> = (0..reps)
        .into_par_iter()
        .map(|r| model.transit_trace(r, bin_days).map(|(_, s)| s))
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Run(format!("error: {e}")))?;
    let smooth = corridor::analysis::warmup::welch(&series, window);
    // Demand grows and investments arrive over a long horizon, so the series is not
    // stationary after the start; MSER-5 looks at the warm-up plus the first reported
    // year only, where the transient from an empty corridor is what varies.
    let first_year_bins = ((model.warmup_days() + 365.0) / bin_days).ceil() as usize;
    let cut = corridor::analysis::warmup::mser5(&smooth[..first_year_bins.min(smooth.len())]);
    let cut_days = cut as f64 * bin_days;
    println!(
        "{}: mean transit time of deliveries per {bin_days}-day bin from an empty corridor, {reps} replications",
        loaded.file.run.name
    );
    println!("  {:>10} {:>14}", "day", "transit days");
    let shown = first_year_bins.min(smooth.len());
    let step = (shown / 30).max(1);
    for (i, v) in smooth[..shown].iter().enumerate().step_by(step) {
        println!("  {:>10.0} {:>14.2}", i as f64 * bin_days, v);
    }
    println!(
        "MSER-5 truncation over the warm-up and first reported year: {cut_days:.0} days (the scenario's warm-up is {:.0} days{})",
        model.warmup_days(),
        if cut_days > model.warmup_days() {
            "; consider a longer warmup_days"
        } else {
            ""
        }
    );
    if let Some(file) = csv {
        let mut text = String::from("bin_start_day,welch_transit_days\n");
        for (i, v) in smooth.iter().enumerate() {
            text.push_str(&format!(
                "{},{}\n",
                i as f64 * bin_days,
                corridor::output::fmt_f64(*v)
            ));
        }
        corridor::output::write_bytes_atomic(file, text.as_bytes())
            .map_err(|e| Failure::Run(format!("error: {e}")))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C or SIGTERM during a batch stops starting replications and keeps the finished
    // ones; a second signal exits at once. Other commands keep the signals' default effect
    // (they write atomically, so being killed loses nothing but their own work).
    if matches!(
        cli.command,
        Command::Run { .. }
            | Command::Batch { .. }
            | Command::Compare { .. }
            | Command::Sweep { .. }
    ) {
        let _ = batch::interrupt::install_signal_handlers();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(1)
        }
        Err(Failure::Interrupted(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(batch::interrupt::exit_code())
        }
    }
}
