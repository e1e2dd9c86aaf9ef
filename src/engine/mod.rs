//! The discrete-event core: a clock in integer ticks, an event calendar, reproducible random
//! streams, distributions, statistics and a resource kit (servers, levels, a FIFO store).
//!
//! This module is generic. It must never know about containers, trains, ports or any other
//! freight notion: the corridor model (`crate::model`) and the validation stations in
//! `tests/` are both built on top of it, and that separation is what lets the engine be
//! checked against exact queueing theory on its own.

pub mod calendar;
pub mod dist;
pub mod resource;
pub mod rng;
pub mod stats;
pub mod time;

pub use calendar::{Calendar, EventKey};
pub use dist::{Dist, DistError, DistSpec};
pub use rng::{SourceId, Stream, StreamFactory};
pub use stats::{Mean, Quantiles, Summary, Tally, TimeWeighted};
pub use time::Ticks;
