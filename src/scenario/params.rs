//! The parameter catalogue: every number a sweep (`--set`) or a timeline change may set,
//! such as `nodes.aktau.cranes` or `links.aktau-alat.sea.fleet.feeder-350.count`, described
//! once in `CATALOGUE` (path shape, field, unit, accepted values, guard rails, where it
//! applies, how a sweep writes it into a scenario).
//!
//! Parsing a path checks its shape and field name against the catalogue; `check` tests
//! the ids against a scenario and the value against the row's `Values`; validation adds
//! the row's guard rails (`ceiling`, `floor`) for timeline changes; sweeps write values
//! with the row's setter; the model's build resolves ids to indices. Adding a parameter
//! is a variant in its scope's enum (`NodeParam`, …) and a row here; the compiler then
//! points at the one place the model applies it at run time (`model::timeline`). This
//! module must never know how the model applies a value at run time.

use super::schema::{
    LinkMode, NodeSpec, RailSpec, ScenarioFile, SeaSpec, VesselClassSpec, WagonPoolSpec,
};
use super::validate::{
    MAX_CRANES, MAX_EVENTS_PER_YEAR, MAX_TRAIN_CAPACITY_TEU, MAX_VESSEL_CAPACITY_TEU,
    MAX_VESSEL_COUNT, MIN_TIMETABLE_HOURS,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeParam {
    Cranes,
    Berths,
    YardCapacityTeu,
    HandlingScale,
    DwellScale,
    QuayCranesPerVessel,
    FerryBerths,
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

/// One member of the parameter family, whatever its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Node(NodeParam),
    Rail(RailParam),
    Sea(SeaParam),
    Fleet(FleetParam),
    Pool(PoolParam),
}

/// The kind of entry a parameter belongs to, which fixes the shape of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `nodes.<id>.<field>`
    Node,
    /// `links.<id>.rail.<field>`
    Rail,
    /// `links.<id>.sea.<field>`
    Sea,
    /// `links.<id>.sea.fleet.<class>.<field>`
    Fleet,
    /// `wagon_pools.<id>.<field>`
    Pool,
}

impl ParamKind {
    pub fn scope(self) -> Scope {
        match self {
            ParamKind::Node(_) => Scope::Node,
            ParamKind::Rail(_) => Scope::Rail,
            ParamKind::Sea(_) => Scope::Sea,
            ParamKind::Fleet(_) => Scope::Fleet,
            ParamKind::Pool(_) => Scope::Pool,
        }
    }
}

/// Values a parameter accepts wherever it is set (`ParamPath::check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// A whole number between 0 and 1,000,000.
    WholeNumber,
    /// A whole number between 1 and 1,000,000.
    PositiveWholeNumber,
    Positive,
    NonNegative,
    /// Between 0 and 1.
    Share,
    /// Above 0, at most 1.
    PositiveShare,
}

/// A guard rail validation applies to timeline changes, so that a dated change cannot do
/// what the scenario's own field may not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guard {
    pub limit: f64,
    /// Why, said in the message; None: the limit speaks for itself.
    pub why: Option<&'static str>,
}

/// Where a parameter is read: from the scenario file at build, by sweeps, by the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applies {
    pub build: bool,
    pub sweep: bool,
    pub timeline: bool,
}

const EVERYWHERE: Applies = Applies {
    build: true,
    sweep: true,
    timeline: true,
};

/// How a sweep writes a value into the scenario entry the path names.
#[derive(Clone, Copy)]
enum Setter {
    Node(fn(&mut NodeSpec, f64)),
    Rail(fn(&mut RailSpec, f64)),
    Sea(fn(&mut SeaSpec, f64)),
    Fleet(fn(&mut VesselClassSpec, f64)),
    Pool(fn(&mut WagonPoolSpec, f64)),
}

/// One settable parameter, described once.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    pub kind: ParamKind,
    /// The path's last part (`storms.events_per_year` holds a dot).
    pub field: &'static str,
    pub unit: &'static str,
    pub values: Values,
    /// Highest value a timeline change may set.
    pub ceiling: Option<Guard>,
    /// Lowest value above 0 a timeline change may set.
    pub floor: Option<Guard>,
    pub applies: Applies,
    set: Setter,
}

impl std::fmt::Debug for ParamSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamSpec")
            .field("kind", &self.kind)
            .field("field", &self.field)
            .field("unit", &self.unit)
            .field("values", &self.values)
            .finish_non_exhaustive()
    }
}

impl ParamSpec {
    /// The path with placeholders, as docs/scenario-format.md lists it:
    /// `links.<id>.sea.fleet.<class>.count`.
    pub fn pattern(&self) -> String {
        let f = self.field;
        match self.kind.scope() {
            Scope::Node => format!("nodes.<id>.{f}"),
            Scope::Rail => format!("links.<id>.rail.{f}"),
            Scope::Sea => format!("links.<id>.sea.{f}"),
            Scope::Fleet => format!("links.<id>.sea.fleet.<class>.{f}"),
            Scope::Pool => format!("wagon_pools.<id>.{f}"),
        }
    }

    /// The ceiling's message for `value` above it (validation of timeline changes).
    pub fn ceiling_message(&self, value: f64) -> Option<String> {
        let c = self.ceiling?;
        (value > c.limit).then(|| {
            let why = c.why.map(|w| format!(" ({w})")).unwrap_or_default();
            format!("{} must be <= {}{why}, got {value}", self.field, c.limit)
        })
    }

    /// The floor's message for `value` in (0, floor); also said for the scenario's own field.
    pub fn floor_message(&self, value: f64) -> Option<String> {
        let f = self.floor?;
        (value > 0.0 && value < f.limit).then(|| {
            let why = f.why.map(|w| format!(" ({w})")).unwrap_or_default();
            format!("must be >= {} {}{why}, got {value}", f.limit, self.unit)
        })
    }
}

const CRANES_RAIL: &str = "guard rail: every box scans every crane";

/// Every settable parameter. The order within a scope is the order hints list them in.
pub static CATALOGUE: &[ParamSpec] = &[
    ParamSpec {
        kind: ParamKind::Node(NodeParam::Cranes),
        field: "cranes",
        unit: "cranes",
        values: Values::WholeNumber,
        ceiling: Some(Guard {
            limit: MAX_CRANES as f64,
            why: Some(CRANES_RAIL),
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.cranes = v as u32),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::Berths),
        field: "berths",
        unit: "berths",
        values: Values::WholeNumber,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.berths = v as u32),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::YardCapacityTeu),
        field: "yard_capacity_teu",
        unit: "TEU",
        values: Values::Positive,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.yard_capacity_teu = Some(v)),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::HandlingScale),
        field: "handling_scale",
        unit: "factor",
        values: Values::NonNegative,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.handling_scale = v),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::DwellScale),
        field: "dwell_scale",
        unit: "factor",
        values: Values::NonNegative,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.dwell_scale = v),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::QuayCranesPerVessel),
        field: "quay_cranes_per_vessel",
        unit: "cranes",
        values: Values::PositiveWholeNumber,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.quay_cranes_per_vessel = v as u32),
    },
    ParamSpec {
        kind: ParamKind::Node(NodeParam::FerryBerths),
        field: "ferry_berths",
        unit: "berths",
        values: Values::PositiveWholeNumber,
        ceiling: Some(Guard {
            limit: MAX_CRANES as f64,
            why: None,
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Node(|n, v| n.ferry_berths = v as u32),
    },
    ParamSpec {
        kind: ParamKind::Rail(RailParam::TrainCapacityTeu),
        field: "train_capacity_teu",
        unit: "TEU",
        values: Values::Positive,
        ceiling: Some(Guard {
            limit: MAX_TRAIN_CAPACITY_TEU,
            why: None,
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Rail(|r, v| r.train_capacity_teu = v),
    },
    ParamSpec {
        kind: ParamKind::Rail(RailParam::PathsPerDay),
        field: "paths_per_day",
        unit: "paths per day",
        values: Values::Positive,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Rail(|r, v| r.paths_per_day = Some(v)),
    },
    ParamSpec {
        kind: ParamKind::Rail(RailParam::MaxWaitHours),
        field: "max_wait_hours",
        unit: "hours",
        values: Values::NonNegative,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Rail(|r, v| r.max_wait_hours = Some(v)),
    },
    ParamSpec {
        kind: ParamKind::Rail(RailParam::TimetableHours),
        field: "timetable_hours",
        unit: "hours",
        values: Values::Positive,
        ceiling: None,
        floor: Some(Guard {
            limit: MIN_TIMETABLE_HOURS,
            why: Some(
                "guard rail: every slot is an event, and an interval near zero would never let the clock advance",
            ),
        }),
        applies: EVERYWHERE,
        set: Setter::Rail(|r, v| r.timetable_hours = Some(v)),
    },
    ParamSpec {
        kind: ParamKind::Sea(SeaParam::LoadCapShare),
        field: "load_cap_share",
        unit: "share",
        values: Values::PositiveShare,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Sea(|s, v| s.load_cap_share = v),
    },
    ParamSpec {
        kind: ParamKind::Sea(SeaParam::MinLoadShare),
        field: "min_load_share",
        unit: "share",
        values: Values::Share,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Sea(|s, v| s.min_load_share = v),
    },
    ParamSpec {
        kind: ParamKind::Sea(SeaParam::MaxWaitHours),
        field: "max_wait_hours",
        unit: "hours",
        values: Values::NonNegative,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Sea(|s, v| s.max_wait_hours = Some(v)),
    },
    ParamSpec {
        kind: ParamKind::Sea(SeaParam::StormEventsPerYear),
        field: "storms.events_per_year",
        unit: "storms per year",
        values: Values::NonNegative,
        ceiling: Some(Guard {
            limit: MAX_EVENTS_PER_YEAR,
            why: Some(
                "guard rail: one storm a day; many more would pile up storm events at the same instant",
            ),
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Sea(|s, v| {
            if let Some(st) = s.storms.as_mut() {
                st.events_per_year = v;
            }
        }),
    },
    ParamSpec {
        kind: ParamKind::Fleet(FleetParam::Count),
        field: "count",
        unit: "vessels",
        values: Values::WholeNumber,
        ceiling: Some(Guard {
            limit: MAX_VESSEL_COUNT as f64,
            why: None,
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Fleet(|c, v| c.count = v as u32),
    },
    ParamSpec {
        kind: ParamKind::Fleet(FleetParam::CapacityTeu),
        field: "capacity_teu",
        unit: "TEU",
        values: Values::Positive,
        ceiling: Some(Guard {
            limit: MAX_VESSEL_CAPACITY_TEU,
            why: None,
        }),
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Fleet(|c, v| c.capacity_teu = v),
    },
    ParamSpec {
        kind: ParamKind::Pool(PoolParam::Sets),
        field: "sets",
        unit: "wagon sets",
        values: Values::WholeNumber,
        ceiling: None,
        floor: None,
        applies: EVERYWHERE,
        set: Setter::Pool(|p, v| p.sets = v as u32),
    },
];

/// The catalogue's row for `kind`.
pub fn spec(kind: ParamKind) -> &'static ParamSpec {
    CATALOGUE
        .iter()
        .find(|s| s.kind == kind)
        .unwrap_or_else(|| panic!("{kind:?} has no row in the parameter catalogue"))
}

fn fields(scope: Scope) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|s| s.kind.scope() == scope)
        .map(|s| s.field)
        .collect()
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

/// The row of `scope` named `field`, or an error listing the fields settable there.
fn field_of(scope: Scope, field: &str) -> Result<ParamKind, ParamError> {
    if let Some(s) = CATALOGUE
        .iter()
        .find(|s| s.kind.scope() == scope && s.field == field)
    {
        return Ok(s.kind);
    }
    let allowed = fields(scope);
    let hint = match closest(field, allowed.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? settable here: {}", allowed.join(", ")),
        None => format!("settable here: {}", allowed.join(", ")),
    };
    Err(perr(format!("`{field}` is not a settable parameter"), hint))
}

impl Values {
    /// Checks `value` (finite) for the parameter named `what`.
    fn check(self, what: &str, value: f64) -> Result<(), ParamError> {
        let whole = || {
            if value < 0.0 || value.fract() != 0.0 || value > 1e6 {
                Err(perr(
                    format!("{what} must be a whole number between 0 and 1,000,000, got {value}"),
                    "e.g. 4",
                ))
            } else {
                Ok(())
            }
        };
        let positive = || {
            if value > 0.0 {
                Ok(())
            } else {
                Err(perr(
                    format!("{what} must be > 0, got {value}"),
                    "give a positive number",
                ))
            }
        };
        let share = || {
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
            Values::WholeNumber => whole(),
            Values::PositiveWholeNumber => whole().and_then(|()| positive()),
            Values::Positive => positive(),
            Values::NonNegative => {
                if value >= 0.0 {
                    Ok(())
                } else {
                    Err(perr(
                        format!("{what} must be >= 0, got {value}"),
                        "give zero or a positive number",
                    ))
                }
            }
            Values::Share => share(),
            Values::PositiveShare => share().and_then(|()| positive()),
        }
    }
}

impl ParamPath {
    /// Parses the shape of a path (ids may contain dashes but not dots).
    pub fn parse(path: &str) -> Result<ParamPath, ParamError> {
        let parts: Vec<&str> = path.split('.').collect();
        let shape = "nodes.<id>.<field>, links.<id>.rail.<field>, links.<id>.sea.<field>, links.<id>.sea.fleet.<class>.<field> or wagon_pools.<id>.<field>";
        // Fleet before sea: a sea field never starts with `fleet.`.
        let (scope, field, ids): (Scope, String, [&str; 2]) = match parts.as_slice() {
            ["nodes", node, field] => (Scope::Node, field.to_string(), [node, ""]),
            ["links", link, "rail", field] => (Scope::Rail, field.to_string(), [link, ""]),
            ["wagon_pools", pool, field] => (Scope::Pool, field.to_string(), [pool, ""]),
            ["links", link, "sea", "fleet", class, field] => {
                (Scope::Fleet, field.to_string(), [link, class])
            }
            ["links", link, "sea", rest @ ..] => (Scope::Sea, rest.join("."), [link, ""]),
            _ => {
                return Err(perr(
                    format!("`{path}` is not a parameter path"),
                    format!("expected {shape}"),
                ));
            }
        };
        let [id, class] = ids.map(str::to_string);
        Ok(match field_of(scope, &field)? {
            ParamKind::Node(param) => ParamPath::Node { node: id, param },
            ParamKind::Rail(param) => ParamPath::Rail { link: id, param },
            ParamKind::Sea(param) => ParamPath::Sea { link: id, param },
            ParamKind::Fleet(param) => ParamPath::Fleet {
                link: id,
                class,
                param,
            },
            ParamKind::Pool(param) => ParamPath::Pool { pool: id, param },
        })
    }

    pub fn kind(&self) -> ParamKind {
        match self {
            ParamPath::Node { param, .. } => ParamKind::Node(*param),
            ParamPath::Rail { param, .. } => ParamKind::Rail(*param),
            ParamPath::Sea { param, .. } => ParamKind::Sea(*param),
            ParamPath::Fleet { param, .. } => ParamKind::Fleet(*param),
            ParamPath::Pool { param, .. } => ParamKind::Pool(*param),
        }
    }

    /// The catalogue's row for this path's parameter.
    pub fn spec(&self) -> &'static ParamSpec {
        spec(self.kind())
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
        match self {
            ParamPath::Node { node, .. } => {
                if !scenario.nodes.iter().any(|n| &n.id == node) {
                    return Err(perr(
                        format!("unknown node `{node}`"),
                        match closest(node, node_ids()) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name a node defined in [[nodes]]".to_string(),
                        },
                    ));
                }
            }
            ParamPath::Rail { link, .. } => find_link(link, LinkMode::Rail)?,
            ParamPath::Sea { link, .. } => find_link(link, LinkMode::Sea)?,
            ParamPath::Fleet { link, class, .. } => {
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
            }
            ParamPath::Pool { pool, .. } => {
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
            }
        }
        let spec = self.spec();
        spec.values.check(spec.field, value)
    }

    /// Writes `value` into the scenario (used by sweeps, which vary a base scenario).
    /// The path must have passed `check`.
    pub fn apply(&self, scenario: &mut ScenarioFile, value: f64) {
        match (self, self.spec().set) {
            (ParamPath::Node { node, .. }, Setter::Node(set)) => {
                if let Some(n) = scenario.nodes.iter_mut().find(|n| &n.id == node) {
                    set(n, value);
                }
            }
            (ParamPath::Pool { pool, .. }, Setter::Pool(set)) => {
                if let Some(p) = scenario.wagon_pools.iter_mut().find(|p| &p.id == pool) {
                    set(p, value);
                }
            }
            (ParamPath::Rail { link, .. }, Setter::Rail(set)) => {
                if let Some(r) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.rail.as_mut())
                {
                    set(r, value);
                }
            }
            (ParamPath::Sea { link, .. }, Setter::Sea(set)) => {
                if let Some(s) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.sea.as_mut())
                {
                    set(s, value);
                }
            }
            (ParamPath::Fleet { link, class, .. }, Setter::Fleet(set)) => {
                if let Some(c) = scenario
                    .links
                    .iter_mut()
                    .find(|l| &l.id == link)
                    .and_then(|l| l.sea.as_mut())
                    .and_then(|s| s.fleet.iter_mut().find(|c| &c.class == class))
                {
                    set(c, value);
                }
            }
            // A row's setter is of its own scope (`catalogue_is_consistent`).
            _ => {}
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
        assert_eq!(
            e.hint,
            "did you mean `cranes`? settable here: cranes, berths, yard_capacity_teu, handling_scale, dwell_scale, quay_cranes_per_vessel, ferry_berths"
        );
        assert!(ParamPath::parse("aktau.cranes").is_err());
    }

    /// Each row once, its setter of its own scope, and every row reachable by its path.
    #[test]
    fn catalogue_is_consistent() {
        for (i, s) in CATALOGUE.iter().enumerate() {
            assert!(
                CATALOGUE[..i].iter().all(|o| o.kind != s.kind),
                "{:?} twice",
                s.kind
            );
            let setter_scope = match s.set {
                Setter::Node(_) => Scope::Node,
                Setter::Rail(_) => Scope::Rail,
                Setter::Sea(_) => Scope::Sea,
                Setter::Fleet(_) => Scope::Fleet,
                Setter::Pool(_) => Scope::Pool,
            };
            assert_eq!(setter_scope, s.kind.scope(), "{:?}", s.kind);
            let path = s.pattern().replace("<id>", "x").replace("<class>", "c");
            assert_eq!(ParamPath::parse(&path).unwrap().kind(), s.kind, "{path}");
        }
    }

    /// The format page lists every settable path, and nothing else, in its table.
    #[test]
    fn format_page_lists_the_catalogue() {
        let page = include_str!("../../docs/scenario-format.md");
        let section = page
            .split("## Settable parameter paths")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("the format page has a section on parameter paths");
        let listed: Vec<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        let catalogue: Vec<String> = CATALOGUE.iter().map(ParamSpec::pattern).collect();
        for p in &catalogue {
            assert!(
                listed.contains(&p.as_str()),
                "{p} missing from docs/scenario-format.md"
            );
        }
        for l in &listed {
            assert!(
                catalogue.iter().any(|p| p == l),
                "docs/scenario-format.md lists {l}, which the catalogue does not have"
            );
        }
    }

    #[test]
    fn guard_messages() {
        let c = spec(ParamKind::Node(NodeParam::Cranes));
        assert_eq!(
            c.ceiling_message(2000.0).unwrap(),
            "cranes must be <= 1000 (guard rail: every box scans every crane), got 2000"
        );
        assert_eq!(c.ceiling_message(1000.0), None);
        let t = spec(ParamKind::Rail(RailParam::TimetableHours));
        assert_eq!(
            t.floor_message(0.05).unwrap(),
            "must be >= 0.1 hours (guard rail: every slot is an event, and an interval near zero would never let the clock advance), got 0.05"
        );
    }
}
