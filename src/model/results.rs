//! What one replication measured, as tidy records: (year, metric, subject, value).
//!
//! Metric names are stable identifiers documented in `docs/outputs.md` (`delivered_teu`,
//! `handled_teu`, `transit_days_mean`, ...); subjects are `corridor` or the id of a node,
//! link, flow or route. This module must never know about files, formats or the batch
//! layer: it only describes one run.

use serde::{Deserialize, Serialize};

/// One measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub year: i32,
    pub metric: String,
    pub subject: String,
    pub value: f64,
}

/// Where the TEU created in a run are at its end: created = delivered + diverted (left
/// the corridor after waiting too long at their origin) + in system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conservation {
    pub created_teu: f64,
    pub delivered_teu: f64,
    pub diverted_teu: f64,
    /// TEU still in the corridor at the end, by place (`node:<id>`, `link:<id>`).
    pub in_system_teu: Vec<(String, f64)>,
}

impl Conservation {
    pub fn in_system_total(&self) -> f64 {
        self.in_system_teu.iter().map(|(_, v)| v).sum()
    }

    /// Created minus delivered, diverted and in system; zero when nothing was lost or
    /// invented.
    pub fn imbalance_teu(&self) -> f64 {
        self.created_teu - self.delivered_teu - self.diverted_teu - self.in_system_total()
    }

    pub fn holds(&self) -> bool {
        self.imbalance_teu().abs() < 1e-6
    }
}

/// The results of one replication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub replication: u64,
    pub records: Vec<Record>,
    pub conservation: Conservation,
    /// Events fired by the engine (for performance reports).
    pub events: u64,
}

impl RunResult {
    /// The value of one metric, if recorded.
    pub fn value(&self, year: i32, metric: &str, subject: &str) -> Option<f64> {
        self.records
            .iter()
            .find(|r| r.year == year && r.metric == metric && r.subject == subject)
            .map(|r| r.value)
    }
}
