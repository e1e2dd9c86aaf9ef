//! What one replication measured, as tidy records: (year, metric, subject, value).
//!
//! Metrics come from the catalogue in `crate::metrics`; a subject is a kind (corridor,
//! node, link, flow, route, wagon pool) and an id unique within that kind. This module must
//! never know about files, formats or the batch layer: it only describes one run.

use serde::{Deserialize, Serialize};

use crate::metrics::{Metric, SubjectKind};

/// One measured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub year: i32,
    pub metric: Metric,
    pub kind: SubjectKind,
    /// The subject's id within its kind (`corridor` for the corridor).
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
    /// The value of one metric of one subject, if recorded.
    pub fn value(
        &self,
        year: i32,
        metric: Metric,
        kind: SubjectKind,
        subject: &str,
    ) -> Option<f64> {
        self.records
            .iter()
            .find(|r| {
                r.year == year && r.metric == metric && r.kind == kind && r.subject == subject
            })
            .map(|r| r.value)
    }

    /// The value of a metric named as in a scenario's targets: `metric` is a catalogue id,
    /// `subject` is `corridor`, qualified (`flows.f`, `nodes.a`) or a bare id. `None` when
    /// nothing matches, or when a bare id names recorded subjects of two kinds.
    pub fn value_of(&self, year: i32, metric: &str, subject: &str) -> Option<f64> {
        let metric = Metric::from_name(metric)?;
        let mut found = self.records.iter().filter(|r| {
            r.year == year
                && r.metric == metric
                && (r.subject == subject
                    || crate::metrics::Subject::new(r.kind, r.subject.as_str()).to_string()
                        == subject)
        });
        let first = found.next()?;
        match found.find(|r| r.kind != first.kind) {
            Some(_) => None,
            None => Some(first.value),
        }
    }
}
