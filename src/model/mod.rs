//! The corridor model: containers moving through terminals, rail links and sea crossings,
//! driven by the engine's calendar.
//!
//! `Model::build` turns a validated scenario into plain indexed data once; `Model::run`
//! simulates one replication and returns its `RunResult`. The model reacts to events and
//! owns no files: it must never read or write files, print, or plot.

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

impl Model {
    /// Simulates replication `replication` (its random streams derive from the model's
    /// seed and this number only).
    pub fn run(&self, replication: u64) -> RunResult {
        sim::Sim::new(self, replication).run(replication)
    }

    /// For choosing a warm-up: the mean transit time (days) of the containers delivered in
    /// each `bin_days` window from the start of the run, warm-up included (NaN for a window
    /// without deliveries). Statistics of the returned result are as for `run`.
    pub fn transit_trace(&self, replication: u64, bin_days: f64) -> (RunResult, Vec<f64>) {
        let bin = crate::engine::time::to_ticks(
            bin_days.max(1.0 / 24.0),
            crate::engine::time::TICKS_PER_DAY,
        );
        let bins = ((self.end - self.start) / bin + 1) as usize;
        let mut s = sim::Sim::new(self, replication);
        s.trace = Some((bin, vec![crate::engine::Tally::new(); bins]));
        let (r, trace) = s.run_with_trace(replication);
        let means = trace.unwrap_or_default().iter().map(|t| t.mean()).collect();
        (r, means)
    }

    /// Days simulated before the first reported year (the scenario's warm-up).
    pub fn warmup_days(&self) -> f64 {
        crate::engine::time::ticks_to_days(self.stats_start - self.start)
    }
}

impl crate::batch::Simulate for Model {
    fn run_replication(&self, replication: u64) -> RunResult {
        self.run(replication)
    }
}
