//! The corridor model: containers moving through terminals, rail links and sea crossings,
//! driven by the engine's calendar.
//!
//! `Model::build` turns a validated scenario into plain indexed data once; `Model::run`
//! simulates one replication and returns its `RunResult`. The model reacts to events and
//! owns no files: it must never read or write files, print, or plot.

mod binding;
mod choice;
mod demand;
mod network;
mod rail;
pub mod results;
mod sea;
mod sim;
mod terminal;
mod timeline;

pub use network::{BuildError, Model};
pub use results::{Conservation, Record, RunResult};
pub use sim::MAX_CONTAINERS_IN_SYSTEM;

/// Why a replication stopped before the end of its horizon.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// A guard rail: the backlog grew past `limit` containers (see
    /// `MAX_CONTAINERS_IN_SYSTEM`), so demand far exceeds capacity somewhere.
    #[error(
        "more than {limit} containers in the corridor at once in {year} (guard rail: demand far exceeds capacity, so the backlog would grow until memory runs out); the largest queue is at {place} with {teu:.0} TEU; lower the flows' teu_per_year or add capacity there"
    )]
    Overloaded {
        limit: usize,
        year: i32,
        place: String,
        teu: f64,
    },
}

impl Model {
    /// Simulates replication `replication` (its random streams derive from the model's
    /// seed and this number only), or says why it had to stop.
    pub fn try_run(&self, replication: u64) -> Result<RunResult, RunError> {
        sim::Sim::new(self, replication).run(replication)
    }

    /// Like `try_run`, for callers that know the scenario stays within the guard rails.
    ///
    /// # Panics
    /// When the replication stops on a guard rail (`RunError`), with its message.
    pub fn run(&self, replication: u64) -> RunResult {
        self.try_run(replication).unwrap_or_else(|e| panic!("{e}"))
    }

    /// For choosing a warm-up: the mean transit time (days) of the containers delivered in
    /// each `bin_days` window from the start of the run, warm-up included (NaN for a window
    /// without deliveries). Statistics of the returned result are as for `run`.
    pub fn transit_trace(
        &self,
        replication: u64,
        bin_days: f64,
    ) -> Result<(RunResult, Vec<f64>), RunError> {
        let bin = crate::engine::time::to_ticks(
            bin_days.max(1.0 / 24.0),
            crate::engine::time::TICKS_PER_DAY,
        );
        let bins = ((self.end - self.start) / bin + 1) as usize;
        let mut s = sim::Sim::new(self, replication);
        s.trace = Some((bin, vec![crate::engine::Tally::new(); bins]));
        let (r, trace) = s.run_with_trace(replication)?;
        let means = trace.unwrap_or_default().iter().map(|t| t.mean()).collect();
        Ok((r, means))
    }

    /// Days simulated before the first reported year (the scenario's warm-up).
    pub fn warmup_days(&self) -> f64 {
        crate::engine::time::ticks_to_days(self.stats_start - self.start)
    }
}
