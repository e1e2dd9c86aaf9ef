//! The `corridor` command line: parses arguments, calls a plan of the study layer
//! (`corridor::study`), prints, and maps its typed errors to exit codes (0 success, 1
//! failure while running or writing, 2 bad input: scenario files, arguments, 128 + the
//! signal when interrupted). It must never build jobs, choose seeds, write files or
//! contain simulation or statistics logic: that is the library's.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use corridor::output::{console, plots};
use corridor::scenario::ScenarioError;
use corridor::study::{
    self, MAX_REPLICATIONS, Outcome, ProgressEvent, RunOptions, StudyError, interrupt,
};

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
                  `corridor run … | head`: the files are still written), 1 failure while running or writing\n\
                  (also, with --strict, a stall: every result is written first),\n\
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
    /// Appraise every named investment of a scenario: paired NPV, BCR, IRR and TEU gained,
    /// leave one out and add one (docs/appraisal.md).
    Appraise {
        /// Scenario file with [[investments]].
        scenario: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// What to buy next: one more unit of each capacity in turn (berth, crane, vessel of
    /// each class, wagon set, train path, +10% yard), paired, ranked.
    Margins {
        /// Scenario file.
        scenario: PathBuf,
        /// The year assessed (default: the scenario's last year).
        #[arg(long, value_name = "YEAR")]
        year: Option<i32>,
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
    /// Replications, 1 to 100000 (default: the scenario's `run.replications`); with
    /// --precision, the pilot (default 10).
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
    /// Exit 1 (after writing every result) when boxes stalled anywhere: waiting with
    /// nothing leaving for the scenario's run.stall_days.
    #[arg(long)]
    strict: bool,
    /// Add replications in stages until the 95% half-width of every target's metric (and
    /// of each --metric) is at most REL of its mean, e.g. 0.05; --reps is then the pilot
    /// (default 10). Same result for any --jobs or shards (docs/performance.md).
    #[arg(long, value_name = "REL", allow_negative_numbers = true, value_parser = parse_precision)]
    precision: Option<f64>,
    /// With --precision: the most replications to run (default 200).
    #[arg(long, value_name = "N", requires = "precision", allow_negative_numbers = true, value_parser = parse_reps)]
    max_reps: Option<u64>,
    /// With --precision: also hold this metric of SUBJECT (default: the corridor) to the
    /// precision in every year reported, e.g. transit_days_mean or handled_teu@aktau;
    /// repeatable.
    #[arg(long = "metric", value_name = "NAME[@SUBJECT]", requires = "precision")]
    metric: Vec<String>,
}

impl RunOpts {
    fn study(&self) -> RunOptions {
        RunOptions {
            reps: self.reps,
            seed: self.seed,
            jobs: self.jobs,
            out: self.out.clone(),
            force: self.force,
            resume: self.resume,
            shard: self.shard.clone(),
            no_plots: self.no_plots,
            strict: self.strict,
            precision: self.precision,
            max_reps: self.max_reps,
            metrics: self.metric.clone(),
        }
    }
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

/// `--precision`: a relative half-width strictly between 0 and 1.
fn parse_precision(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(
            "the relative half-width must be a number between 0 and 1, exclusive (0.05: the 95% half-width at most 5% of the mean)"
                .to_string(),
        ),
    }
}

/// What stderr says for a failure: one `error:` line per problem.
fn message(e: &StudyError) -> String {
    match e {
        StudyError::Scenario(ScenarioError::Invalid(diags)) => {
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
        StudyError::Inputs(all) => all.iter().map(message).collect::<Vec<_>>().join("\n"),
        e if e.is_interrupted() => format!(
            "stopped by {}: {e}",
            interrupt::received().unwrap_or("request")
        ),
        other => format!("error: {other}"),
    }
}

fn progress_bar(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} replications{msg}, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Runs a plan with a progress bar on stderr, then prints its summary, draws its report
/// and says where the results are.
fn replicate(
    quiet: bool,
    plan: impl FnOnce(&(dyn Fn(ProgressEvent) + Sync)) -> Result<Outcome, StudyError>,
) -> Result<(), StudyError> {
    let outcome = with_progress(quiet, plan)?;
    report_outcome(&outcome)
}

/// Prints a finished plan's summary (or a shard's counts), draws its report and says
/// where the results are.
fn report_outcome(outcome: &Outcome) -> Result<(), StudyError> {
    if let Some(text) = outcome.summary_text() {
        print!("{text}");
        if let Some(text) = outcome.precision_text() {
            print!("{text}");
        }
        if let Some(html) = outcome.write_report()? {
            println!("\nreport: {}", html.display());
        }
    } else if let Some(s) = outcome.result.shard {
        println!(
            "shard {s}: {} replications run, {} resumed; merge the shard folders with `corridor merge`",
            outcome.result.replications_run, outcome.result.replications_resumed
        );
        if outcome.is_staged() {
            println!(
                "--precision: a shard runs its share of the pilot only; once merged, the merged folder says whether more are needed (continue with --resume on it)"
            );
        }
    }
    println!("\nresults in {}", outcome.out.display());
    outcome.check()
}

/// Runs a plan with a progress bar on stderr (notes about discarded replications are
/// printed even with --quiet).
fn with_progress<T>(
    quiet: bool,
    plan: impl FnOnce(&(dyn Fn(ProgressEvent) + Sync)) -> Result<T, StudyError>,
) -> Result<T, StudyError> {
    let bar = progress_bar(quiet);
    let on_progress = |e: ProgressEvent| match e {
        ProgressEvent::Planned { items } => bar.set_length(items),
        ProgressEvent::Replication { done, .. } => bar.set_position(done),
        ProgressEvent::Stage {
            stage,
            replications,
        } => bar.set_message(format!(
            " (--precision stage {stage}: to {replications} each)"
        )),
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
    let outcome = plan(&on_progress);
    bar.finish_and_clear();
    outcome
}

fn run(cli: Cli) -> Result<(), StudyError> {
    match cli.command {
        Command::Run { scenario, opts } => {
            replicate(opts.quiet, |p| study::run(&scenario, &opts.study(), p))
        }
        Command::Batch { scenarios, opts } => {
            replicate(opts.quiet, |p| study::batch(&scenarios, &opts.study(), p))
        }
        Command::Compare { a, b, opts } => {
            replicate(opts.quiet, |p| study::compare(&a, &b, &opts.study(), p))
        }
        Command::Margins {
            scenario,
            year,
            opts,
        } => {
            let m = with_progress(opts.quiet, |p| {
                study::margins(&scenario, year, &opts.study(), p)
            })?;
            match m.text() {
                Some(text) => {
                    print!("{text}");
                    if let Some(text) = m.outcome.precision_text() {
                        print!("{text}");
                    }
                    if let Some(html) = m.outcome.write_report()? {
                        println!("\nreport: {}", html.display());
                    }
                    println!(
                        "\nresults in {} (margins.csv; every variant's tables beside it)",
                        m.outcome.out.display()
                    );
                    m.outcome.check()
                }
                None => report_outcome(&m.outcome),
            }
        }
        Command::Appraise { scenario, opts } => {
            let appraised =
                with_progress(opts.quiet, |p| study::appraise(&scenario, &opts.study(), p))?;
            match appraised.text() {
                Some(text) => {
                    print!("{text}");
                    if let Some(text) = appraised.outcome.precision_text() {
                        print!("{text}");
                    }
                    if let Some(html) = appraised.outcome.write_report()? {
                        println!("\nreport: {}", html.display());
                    }
                    println!(
                        "\nresults in {} (appraisal.csv; every variant's tables beside it)",
                        appraised.outcome.out.display()
                    );
                    appraised.outcome.check()
                }
                None => report_outcome(&appraised.outcome),
            }
        }
        Command::Sweep {
            scenario,
            set,
            opts,
        } => {
            let warn = |w: &study::OverriddenSweep| {
                eprintln!(
                    "warning: --set {}: timeline change `{}` sets it to {} from {}, \
                     overriding the swept values from then on; sweep the change's own value \
                     with --set timeline.{}.{}=..., or a scenario without that change to \
                     vary it for the whole run (docs/scenario-format.md, \"Sweeps and the \
                     timeline\")",
                    w.path, w.change, w.value, w.date, w.change, w.path
                );
            };
            replicate(opts.quiet, |p| {
                study::sweep(&scenario, &set, &opts.study(), &warn, p)
            })
        }
        Command::Merge {
            dirs,
            out,
            force,
            no_plots,
        } => {
            let outcome = study::merge_folders(&dirs, &out, force, no_plots)?;
            if let Some(text) = outcome.summary_text() {
                print!("{text}");
                if let Some(text) = outcome.precision_text() {
                    print!("{text}");
                }
                outcome.write_report()?;
            }
            println!("\nmerged {} folders into {}", dirs.len(), out.display());
            Ok(())
        }
        Command::Warmup {
            scenario,
            reps,
            bin_days,
            window,
            csv,
        } => {
            let w = study::warmup(
                &scenario,
                &study::WarmupOptions {
                    reps,
                    bin_days,
                    window,
                },
            )?;
            print!(
                "{}",
                console::warmup_text(
                    &w.scenario,
                    w.reps,
                    w.bin_days,
                    &w.smooth[..w.first_year_bins.min(w.smooth.len())],
                    w.cut_days,
                    w.warmup_days
                )
            );
            match csv {
                Some(file) => w.write_csv(&file),
                None => Ok(()),
            }
        }
        Command::Plot {
            dir,
            map_year,
            metric,
            subject,
        } => {
            let req = study::PlotRequest {
                map_year,
                metric,
                subject,
            };
            let (md, html) = study::plot(&dir, &req)?;
            println!(
                "charts in {}\nreport: {} and {}",
                dir.join(plots::PLOTS_DIR).display(),
                md.display(),
                html.display()
            );
            Ok(())
        }
        Command::Check { files } => {
            let mut failed = Vec::new();
            for (f, checked) in study::check(&files) {
                match checked {
                    Ok(()) => println!("ok: {}", f.display()),
                    Err(e) => failed.push(e),
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(StudyError::Inputs(failed))
            }
        }
    }
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
            | Command::Appraise { .. }
            | Command::Margins { .. }
            | Command::Sweep { .. }
    ) {
        let _ = interrupt::install_signal_handlers();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", message(&e));
            if e.is_interrupted() {
                ExitCode::from(interrupt::exit_code())
            } else if e.is_bad_input() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
