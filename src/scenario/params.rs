//! Parameter paths: the names of the numbers a timeline change or a sweep may set, such as
//! `nodes.aktau.cranes` or `links.aktau-alat.sea.fleet.feeder-350.count`.
//!
//! Parsing a path checks its shape and field name only; whether the ids exist is checked
//! by validation against a scenario. This module must never know how the model applies a
//! value at run time.

use super::schema::{LinkMode, ScenarioFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeParam {
    Cranes,
    Berths,
    YardCapacityTeu,
    HandlingScale,
    DwellScale,
    QuayCranesPerVessel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RailParam {
    TrainCapacityTeu,
    PathsPerDay,
    MaxWaitHours,
    TimetableHours,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeaParam {
    LoadCapShare,
    MinLoadShare,
    MaxWaitHours,
    StormEventsPerYear,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetParam {
    Count,
    CapacityTeu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolParam {
    Sets,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamPath {
    Node {
        node: String,
        param: NodeParam,
    },
    Rail {
        link: String,
        param: RailParam,
    },
    Sea {
        link: String,
        param: SeaParam,
    },
    Fleet {
        link: String,
        class: String,
        param: FleetParam,
    },
    Pool {
        pool: String,
        param: PoolParam,
    },
}

pub const NODE_PARAMS: &[&str] = &[
    "cranes",
    "berths",
    "yard_capacity_teu",
    "handling_scale",
    "dwell_scale",
    "quay_cranes_per_vessel",
];
pub const RAIL_PARAMS: &[&str] = &[
    "train_capacity_teu",
    "paths_per_day",
    "max_wait_hours",
    "timetable_hours",
];
pub const SEA_PARAMS: &[&str] = &[
    "load_cap_share",
    "min_load_share",
    "max_wait_hours",
    "storms.events_per_year",
];
pub const FLEET_PARAMS: &[&str] = &["count", "capacity_teu"];
pub const POOL_PARAMS: &[&str] = &["sets"];

/// Why a parameter path or value is not acceptable, with what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub message: String,
    pub hint: String,
}

fn perr(message: impl Into<String>, hint: impl Into<String>) -> ParamError {
    ParamError {
        message: message.into(),
        hint: hint.into(),
    }
}

fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn unknown_field(field: &str, allowed: &[&str]) -> ParamError {
    let hint = match closest(field, allowed.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? settable here: {}", allowed.join(", ")),
        None => format!("settable here: {}", allowed.join(", ")),
    };
    perr(format!("`{field}` is not a settable parameter"), hint)
}

impl ParamPath {
    /// Parses the shape of a path (ids may contain dashes but not dots).
    pub fn parse(path: &str) -> Result<ParamPath, ParamError> {
        let parts: Vec<&str> = path.split('.').collect();
        let shape = "nodes.<id>.<field>, links.<id>.rail.<field>, links.<id>.sea.<field>, links.<id>.sea.fleet.<class>.<field> or wagon_pools.<id>.<field>";
        match parts.as_slice() {
            ["nodes", node, field] => {
                let param = match *field {
                    "cranes" => NodeParam::Cranes,
                    "berths" => NodeParam::Berths,
                    "yard_capacity_teu" => NodeParam::YardCapacityTeu,
                    "handling_scale" => NodeParam::HandlingScale,
                    "dwell_scale" => NodeParam::DwellScale,
                    "quay_cranes_per_vessel" => NodeParam::QuayCranesPerVessel,
                    other => return Err(unknown_field(other, NODE_PARAMS)),
                };
                Ok(ParamPath::Node {
                    node: node.to_string(),
                    param,
                })
            }
            ["links", link, "rail", field] => {
                let param = match *field {
                    "train_capacity_teu" => RailParam::TrainCapacityTeu,
                    "paths_per_day" => RailParam::PathsPerDay,
                    "max_wait_hours" => RailParam::MaxWaitHours,
                    "timetable_hours" => RailParam::TimetableHours,
                    other => return Err(unknown_field(other, RAIL_PARAMS)),
                };
                Ok(ParamPath::Rail {
                    link: link.to_string(),
                    param,
                })
            }
            ["wagon_pools", pool, field] => {
                let param = match *field {
                    "sets" => PoolParam::Sets,
                    other => return Err(unknown_field(other, POOL_PARAMS)),
                };
                Ok(ParamPath::Pool {
                    pool: pool.to_string(),
                    param,
                })
            }
            ["links", link, "sea", "fleet", class, field] => {
                let param = match *field {
                    "count" => FleetParam::Count,
                    "capacity_teu" => FleetParam::CapacityTeu,
                    other => return Err(unknown_field(other, FLEET_PARAMS)),
                };
                Ok(ParamPath::Fleet {
                    link: link.to_string(),
                    class: class.to_string(),
                    param,
                })
            }
            ["links", link, "sea", rest @ ..] => {
                let field = rest.join(".");
                let param = match field.as_str() {
                    "load_cap_share" => SeaParam::LoadCapShare,
                    "min_load_share" => SeaParam::MinLoadShare,
                    "max_wait_hours" => SeaParam::MaxWaitHours,
                    "storms.events_per_year" => SeaParam::StormEventsPerYear,
                    other => return Err(unknown_field(other, SEA_PARAMS)),
                };
                Ok(ParamPath::Sea {
                    link: link.to_string(),
                    param,
                })
            }
            _ => Err(perr(
                format!("`{path}` is not a parameter path"),
                format!("expected {shape}"),
            )),
        }
    }

    /// Checks that the ids exist in `scenario` and that `value` is in range.
    pub fn check(&self, scenario: &ScenarioFile, value: f64) -> Result<(), ParamError> {
        if !value.is_finite() {
            return Err(perr(
                format!("value {value} is not a finite number"),
                "give a finite number",
            ));
        }
        let node_ids = || scenario.nodes.iter().map(|n| n.id.as_str());
        let link_ids = || scenario.links.iter().map(|l| l.id.as_str());
        let find_link = |id: &str, mode: LinkMode| -> Result<(), ParamError> {
            match scenario.links.iter().find(|l| l.id == id) {
                None => Err(perr(
                    format!("unknown link `{id}`"),
                    match closest(id, link_ids()) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => "name a link defined in [[links]]".to_string(),
                    },
                )),
                Some(l) if l.mode != mode => Err(perr(
                    format!("link `{id}` is a {:?} link", l.mode).to_lowercase(),
                    format!(
                        "use links.{id}.{}.<field>",
                        if l.mode == LinkMode::Rail {
                            "rail"
                        } else {
                            "sea"
                        }
                    ),
                )),
                Some(_) => Ok(()),
            }
        };
        let non_negative_int = |what: &str| {
            if value < 0.0 || value.fract() != 0.0 || value > 1e6 {
                Err(perr(
                    format!("{what} must be a whole number between 0 and 1,000,000, got {value}"),
                    "e.g. 4",
                ))
            } else {
                Ok(())
            }
        };
        let positive = |what: &str| {
            if value > 0.0 {
                Ok(())
            } else {
                Err(perr(
                    format!("{what} must be > 0, got {value}"),
                    "give a positive number",
                ))
            }
        };
        let non_negative = |what: &str| {
            if value >= 0.0 {
                Ok(())
            } else {
                Err(perr(
                    format!("{what} must be >= 0, got {value}"),
                    "give zero or a positive number",
                ))
            }
        };
        let share = |what: &str| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(perr(
                    format!("{what} must be between 0 and 1, got {value}"),
                    "e.g. 0.8",
                ))
            }
        };
        match self {
            ParamPath::Node { node, param } => {
                if !scenario.nodes.iter().any(|n| &n.id == node) {
                    return Err(perr(
                        format!("unknown node `{node}`"),
                        match closest(node, node_ids()) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name a node defined in [[nodes]]".to_string(),
                        },
                    ));
                }
                match param {
                    NodeParam::Cranes => non_negative_int("cranes"),
                    NodeParam::Berths => non_negative_int("berths"),
                    NodeParam::YardCapacityTeu => positive("yard_capacity_teu"),
                    NodeParam::HandlingScale => non_negative("handling_scale"),
                    NodeParam::DwellScale => non_negative("dwell_scale"),
                    NodeParam::QuayCranesPerVessel => {
                        non_negative_int("quay_cranes_per_vessel")?;
                        positive("quay_cranes_per_vessel")
                    }
                }
            }
            ParamPath::Rail { link, param } => {
                find_link(link, LinkMode::Rail)?;
                match param {
                    RailParam::TrainCapacityTeu => positive("train_capacity_teu"),
                    RailParam::PathsPerDay => positive("paths_per_day"),
                    RailParam::MaxWaitHours => non_negative("max_wait_hours"),
                    RailParam::TimetableHours => positive("timetable_hours"),
                }
            }
            ParamPath::Sea { link, param } => {
                find_link(link, LinkMode::Sea)?;
                match param {
                    SeaParam::LoadCapShare => {
                        share("load_cap_share")?;
                        positive("load_cap_share")
                    }
                    SeaParam::MinLoadShare => share("min_load_share"),
                    SeaParam::MaxWaitHours => non_negative("max_wait_hours"),
                    SeaParam::StormEventsPerYear => non_negative("storms.events_per_year"),
                }
            }
            ParamPath::Fleet { link, class, param } => {
                find_link(link, LinkMode::Sea)?;
                let sea = scenario
                    .links
                    .iter()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.sea.as_ref());
                let classes: Vec<&str> = sea
                    .map(|s| s.fleet.iter().map(|c| c.class.as_str()).collect())
                    .unwrap_or_default();
                if !classes.contains(&class.as_str()) {
                    return Err(perr(
                        format!("link `{link}` has no vessel class `{class}`"),
                        match closest(class, classes.iter().copied()) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => format!("classes on this link: {}", classes.join(", ")),
                        },
                    ));
                }
                match param {
                    FleetParam::Count => non_negative_int("count"),
                    FleetParam::CapacityTeu => positive("capacity_teu"),
                }
            }
            ParamPath::Pool { pool, param } => {
                let ids = || scenario.wagon_pools.iter().map(|p| p.id.as_str());
                if !ids().any(|id| id == pool) {
                    return Err(perr(
                        format!("unknown wagon pool `{pool}`"),
                        match closest(pool, ids()) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name a pool defined in [[wagon_pools]]".to_string(),
                        },
                    ));
                }
                match param {
                    PoolParam::Sets => non_negative_int("sets"),
                }
            }
        }
    }

    /// Writes `value` into the scenario (used by sweeps, which vary a base scenario).
    /// The path must have passed `check`.
    pub fn apply(&self, scenario: &mut ScenarioFile, value: f64) {
        match self {
            ParamPath::Node { node, param } => {
                if let Some(n) = scenario.nodes.iter_mut().find(|n| &n.id == node) {
                    match param {
                        NodeParam::Cranes => n.cranes = value as u32,
                        NodeParam::Berths => n.berths = value as u32,
                        NodeParam::YardCapacityTeu => n.yard_capacity_teu = Some(value),
                        NodeParam::HandlingScale => n.handling_scale = value,
                        NodeParam::DwellScale => n.dwell_scale = value,
                        NodeParam::QuayCranesPerVessel => n.quay_cranes_per_vessel = value as u32,
                    }
                }
            }
            ParamPath::Pool { pool, param } => {
                if let Some(p) = scenario.wagon_pools.iter_mut().find(|p| &p.id == pool) {
                    match param {
                        PoolParam::Sets => p.sets = value as u32,
                    }
                }
            }
            ParamPath::Rail { link, param } => {
                if let Some(r) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.rail.as_mut())
                {
                    match param {
                        RailParam::TrainCapacityTeu => r.train_capacity_teu = value,
                        RailParam::PathsPerDay => r.paths_per_day = Some(value),
                        RailParam::MaxWaitHours => r.max_wait_hours = Some(value),
                        RailParam::TimetableHours => r.timetable_hours = Some(value),
                    }
                }
            }
            ParamPath::Sea { link, param } => {
                if let Some(s) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.sea.as_mut())
                {
                    match param {
                        SeaParam::LoadCapShare => s.load_cap_share = value,
                        SeaParam::MinLoadShare => s.min_load_share = value,
                        SeaParam::MaxWaitHours => s.max_wait_hours = Some(value),
                        SeaParam::StormEventsPerYear => {
                            if let Some(st) = s.storms.as_mut() {
                                st.events_per_year = value;
                            }
                        }
                    }
                }
            }
            ParamPath::Fleet { link, class, param } => {
                if let Some(c) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.sea.as_mut())
                    .and_then(|s| s.fleet.iter_mut().find(|c| &c.class == class))
                {
                    match param {
                        FleetParam::Count => c.count = value as u32,
                        FleetParam::CapacityTeu => c.capacity_teu = value,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_shapes() {
        assert_eq!(
            ParamPath::parse("nodes.aktau.cranes").unwrap(),
            ParamPath::Node {
                node: "aktau".into(),
                param: NodeParam::Cranes
            }
        );
        assert_eq!(
            ParamPath::parse("links.aktau-alat.sea.fleet.feeder-350.count").unwrap(),
            ParamPath::Fleet {
                link: "aktau-alat".into(),
                class: "feeder-350".into(),
                param: FleetParam::Count
            }
        );
        assert_eq!(
            ParamPath::parse("links.aktau-alat.sea.storms.events_per_year").unwrap(),
            ParamPath::Sea {
                link: "aktau-alat".into(),
                param: SeaParam::StormEventsPerYear
            }
        );
    }

    #[test]
    fn suggests_close_field() {
        let e = ParamPath::parse("nodes.aktau.crane").unwrap_err();
        assert!(e.hint.contains("`cranes`"), "{e:?}");
        assert!(ParamPath::parse("aktau.cranes").is_err());
    }
}
