//! The corridor model: containers moving through terminals, rail links and sea crossings,
//! driven by the engine's calendar.
//!
//! It reacts to events and owns no files: it receives a validated scenario and returns a
//! `RunResult` per replication. It must never read or write files, print, or plot.

pub mod results;

pub use results::{Conservation, Record, RunResult};
