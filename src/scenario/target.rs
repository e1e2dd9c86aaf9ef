//! A target as the rest of the crate sees it: its metric from the catalogue and its subject
//! resolved to a kind and an id, so that a flow and a route that share an id can never be
//! confused.
//!
//! A target's `subject` is written `corridor`, qualified (`flows.titr-westbound`,
//! `nodes.aktau`, `links.aktau-alat`, `routes.via-alat`, `wagon_pools.kz-1520`) or as a
//! bare id, which is resolved among the kinds the metric is measured for. Validation
//! reports what does not resolve (`validate.rs`); this module only resolves. It must never
//! read files or know about the model.

use crate::metrics::{Metric, Subject, SubjectKind};

use super::schema::{ScenarioFile, TargetDirection, TargetSpec};

/// A target whose metric and subject are resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub id: String,
    pub description: Option<String>,
    pub metric: Metric,
    pub subject: Subject,
    pub year: i32,
    pub threshold: f64,
    pub direction: TargetDirection,
}

/// Why a target's subject does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectProblem {
    /// No subject of any kind has this id.
    Unknown,
    /// Subjects of these kinds have the id, but the metric is not measured for any of them.
    NotMeasured(Vec<SubjectKind>),
    /// The bare id names subjects of several kinds the metric is measured for.
    Ambiguous(Vec<SubjectKind>),
}

/// The ids a scenario declares, by kind.
pub fn ids_of(s: &ScenarioFile, kind: SubjectKind) -> Vec<&str> {
    match kind {
        SubjectKind::Corridor => vec![Subject::CORRIDOR_ID],
        SubjectKind::Node => s.nodes.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::Link => s.links.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::Flow => s.flows.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::Route => s.routes.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::WagonPool => s.wagon_pools.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::Investment => s.investments.iter().map(|x| x.id.as_str()).collect(),
        SubjectKind::Alternative => s.alternatives.iter().map(|x| x.id.as_str()).collect(),
    }
}

fn has(s: &ScenarioFile, kind: SubjectKind, id: &str) -> bool {
    ids_of(s, kind).contains(&id)
}

/// The subject `written` names for `metric` (any kind when the metric is unknown).
pub fn resolve_subject(
    s: &ScenarioFile,
    metric: Option<Metric>,
    written: &str,
) -> Result<Subject, SubjectProblem> {
    let measured = |k: SubjectKind| metric.is_none_or(|m| m.applies_to(k));
    let holders: Vec<SubjectKind> = if written == Subject::CORRIDOR_ID {
        vec![SubjectKind::Corridor]
    } else if let Some((kind, id)) = written
        .split_once('.')
        .and_then(|(section, id)| Some((SubjectKind::from_section(section)?, id)))
        .filter(|(kind, id)| has(s, *kind, id))
    {
        return if measured(kind) {
            Ok(Subject::new(kind, id))
        } else {
            Err(SubjectProblem::NotMeasured(vec![kind]))
        };
    } else {
        SubjectKind::ALL
            .into_iter()
            .filter(|&k| k != SubjectKind::Corridor && has(s, k, written))
            .collect()
    };
    let fitting: Vec<SubjectKind> = holders.iter().copied().filter(|&k| measured(k)).collect();
    match (holders.is_empty(), fitting.as_slice()) {
        (true, _) => Err(SubjectProblem::Unknown),
        (false, []) => Err(SubjectProblem::NotMeasured(holders)),
        (false, [k]) => Ok(Subject::new(*k, written)),
        (false, _) => Err(SubjectProblem::Ambiguous(fitting)),
    }
}

/// The scenario's targets, resolved. A target that does not resolve is left out: a
/// validated scenario has none (validation refuses it first).
pub fn targets(s: &ScenarioFile) -> Vec<Target> {
    s.targets.iter().filter_map(|t| resolve(s, t)).collect()
}

/// One target, resolved, if its metric is known and its subject resolves.
pub fn resolve(s: &ScenarioFile, t: &TargetSpec) -> Option<Target> {
    let metric = Metric::from_name(&t.metric)?;
    let subject = resolve_subject(s, Some(metric), &t.subject).ok()?;
    Some(Target {
        id: t.id.clone(),
        description: t.description.clone(),
        metric,
        subject,
        year: t.year,
        threshold: t.threshold,
        direction: t.direction,
    })
}

/// "a node", "a flow and a route": for messages.
pub fn kinds_phrase(kinds: &[SubjectKind], article: bool) -> String {
    let words: Vec<String> = kinds
        .iter()
        .map(|k| {
            if article {
                format!("a {}", k.noun())
            } else {
                k.noun().to_string()
            }
        })
        .collect();
    match words.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
