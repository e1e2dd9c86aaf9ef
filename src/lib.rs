//! `corridor`: a discrete-event simulator of container flows on the Middle Corridor
//! (Trans-Caspian International Transport Route: China → Kazakhstan → Caspian Sea →
//! Azerbaijan → Georgia → Türkiye/Europe).
//!
//! # Architecture
//!
//! Data flows one way. Each module uses only those listed after it, so there are no
//! cycles (`grep -rn "crate::batch" src/model src/output` prints nothing, and
//! `tests/architecture.rs` checks the whole table):
//!
//! ```text
//! main.rs  ─► study                      the CLI: parse, call a plan, print, exit code
//! study    ─► batch analysis output model scenario engine
//! batch    ─► model output scenario      (output: atomic writes and the folder lock)
//! output   ─► analysis model scenario    (rows, RunResult and the network tables)
//! analysis ─► model scenario engine
//! model    ─► scenario engine
//! scenario ─► engine
//! engine                                 queueing: reference models for the tests
//! metrics                                the metric catalogue: used by all, uses none
//! ```
//!
//! **Lifecycle of a run.** A `study` plan (`study::run`, `batch`, `compare`, `sweep`,
//! `merge_folders`, `warmup`) loads each scenario file (`scenario::load`: `extends`
//! resolved, every problem reported with file:line:column), builds a `model::Model`
//! once (ids resolved to indices; `BuildError` if something is inconsistent), and turns
//! it into `batch::Job`s: the replication count, the seed (a comparison gives both
//! scenarios the first one's: common random numbers), a sweep's grid points. It opens
//! and locks the results folder (`output::files::OutDir`) and applies the folder policy
//! (refuse, `--force` or `--resume`). The runner, `batch::run`, writes `batch.json`,
//! runs the (job, replication) work items of the shard on a thread pool, persists each
//! finished replication at once, catches panics and guard-rail stops (`model::RunError`,
//! carried intact in `BatchError::ReplicationFailed`), and returns the runs in job and
//! replication order. The plan then has `analysis` summarise them (means, Student-t
//! intervals, targets, paired differences) and `output` write the summary set, the
//! provenance and the network tables; `Outcome::write_report` draws the charts and the
//! report. Each replication derives every random stream from (seed, replication,
//! source), so every file but `provenance.json` is byte-identical for any thread count,
//! sharding or interruption.
//!
//! **Ordering guarantees.** Inside a replication the engine's `Calendar` fires pending
//! events in (time, sequence) order: simultaneous events fire in the order they were
//! scheduled, never by heap accident, and time never runs backwards (scheduling in the
//! past is an error). Flow arrivals are kept outside the calendar, one next time per
//! flow (`model::demand`); the event loop (`model::sim`) compares the earliest arrival
//! with the calendar's next event and lets the calendar win ties, so an arrival at tick
//! t comes after every calendar event due at t, including those that handlers schedule
//! at t meanwhile; simultaneous arrivals of several flows come in flow order (the order
//! of the scenario's flows). Across replications the runner gathers results in work-item
//! order, whatever thread finished first.
//!
//! **Errors.** Each layer has its own typed error and none is flattened to a `String` on
//! the way up: `scenario::ScenarioError` (every `Diagnostic`, file:line:column),
//! `model::BuildError` and `model::RunError` (a guard rail stopped a replication),
//! `batch::BatchError` (with `MergeError`, `OptionsError`, `ManifestError`),
//! `output::OutputError`, `output::files::OutDirError`, `output::plots::PlotError`; a plan
//! returns them inside `study::StudyError`. `StudyError::is_bad_input` and
//! `is_interrupted` give the CLI its exit code, and `StudyError::diagnostics` gives every
//! scenario problem, whichever stage found it, as a located `Diagnostic`.
//!
//! **What each module must never do.**
//! - `metrics`: depend on any other part of the crate (it is the vocabulary they share).
//! - `engine`: know anything of freight, files or threads.
//! - `scenario`: simulate, write files, or panic on any input.
//! - `model`: read or write files, print, plot, or depend on the runner or the study.
//! - `batch` (the runner): summarise runs, know the output layer's file names or decide
//!   what a results folder may hold, print, or delete anything but its own persisted
//!   replications and manifest.
//! - `analysis`: touch files or threads; it computes rows from runs.
//! - `output`: know the event loop, threads, shards or the runner (it takes rows and
//!   `RunResult`s), format non-deterministically, or replace a file corridor did not write.
//! - `study`: print, simulate by itself, or format numbers for people.
//! - `main.rs`: anything but parse arguments, call a plan, print and choose the exit code
//!   from the typed `study::StudyError` (2 bad input, 1 failure, 130/143 interrupted).

pub mod analysis;
pub mod batch;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod output;
pub mod queueing;
pub mod scenario;
pub mod study;
