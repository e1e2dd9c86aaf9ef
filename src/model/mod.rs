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
}

impl crate::batch::Simulate for Model {
    fn run_replication(&self, replication: u64) -> RunResult {
        self.run(replication)
    }
}
