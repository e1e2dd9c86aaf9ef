//! Validation of a deserialised scenario: every cross-reference, range and consistency rule
//! that serde cannot express, reported all at once as `Issue`s with id-based field paths.
//!
//! This module is pure: it must never read files, know about spans or stop at the first
//! problem. The loader maps each issue's path back to a line and column. Paths name array
//! entries by their id (`nodes.aktau.cranes`, `links.aktau-alat.sea.fleet.feeder-350`) and
//! fall back to an index (`nodes[3]`) only for an entry whose id is empty or already taken,
//! exactly as the loader's span index does.

use std::collections::{HashMap, HashSet};

use crate::engine::DistSpec;

use super::params::{self, NodeParam, ParamKind, ParamPath, RailParam, SeaParam};
use super::schema::{ArrivalProcess, ChoiceRule, LinkMode, ScenarioFile};

/// Years a scenario may talk about at all.
pub const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1900..=2200;
/// Longest horizon, in years (a guard rail against typos such as 2205 for 2025).
pub const MAX_HORIZON_YEARS: i32 = 100;
pub const MAX_REPLICATIONS: u32 = 100_000;
pub const MAX_WARMUP_DAYS: f64 = 3650.0;
pub const MAX_TRAIN_CAPACITY_TEU: f64 = 10_000.0;
pub const MAX_VESSEL_CAPACITY_TEU: f64 = 100_000.0;
pub const MAX_VESSEL_COUNT: u32 = 10_000;
/// Largest flow, in TEU per year: about five times what the whole corridor could carry by
/// 2040, so only a typo (an extra zero or two) reaches it.
pub const MAX_TEU_PER_YEAR: f64 = 1e8;
/// Tolerance on the sum of a flow's route shares.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-6;

// ---- guard rails against inputs that would exhaust memory or never end -----------------
// (docs/robustness.md lists each one with its reason; tests/bad_input.rs tests each one.)

/// Most cranes at one node. Handling assigns each box to the crane free first by scanning
/// every crane, so a typo like 4000000000 would allocate 32 GB and then scan it per box;
/// the busiest real terminals have a few dozen cranes or tracks.
pub const MAX_CRANES: u32 = 1_000;
/// Fastest quay crane or ferry ramp accepted, in moves (or wagons) per hour: the fastest
/// ship-to-shore cranes make 40-50 moves an hour, so 1,000 leaves room for twin lifts.
pub const MAX_MOVES_PER_HOUR: f64 = 1_000.0;
/// Most wagons on one rail ferry (Caspian ferries take up to 54 railcars).
pub const MAX_FERRY_WAGONS: u32 = 500;
/// TEU one container platform carries: two 20-ft or one 40-ft box.
pub const TEU_PER_WAGON: f64 = 2.0;
/// Most wagon sets in one pool (each is a whole train).
pub const MAX_WAGON_SETS: u32 = 100_000;
/// Shortest rail timetable interval, in hours. Every slot is an event whether or not a
/// train leaves, and an interval that rounds to zero ticks would never let the clock
/// advance; a departure every 6 minutes is already beyond any line's signalling.
pub const MIN_TIMETABLE_HOURS: f64 = 0.1;
/// Block trains carry at least one box (a smaller "train" still creates one 20-ft box per
/// arrival, so a tiny value would multiply the demand without bound) and at most what
/// the longest train may carry.
pub const MIN_BLOCK_TRAIN_TEU: f64 = 1.0;
/// Most nodes on one route: a container counts its legs in one byte (255 legs).
pub const MAX_ROUTE_NODES: usize = 256;
/// Most TEU all flows together may create in one replication (warm-up included). Every
/// box is simulated one by one (about 0.2 to 1 µs each), so this keeps a replication to
/// minutes; it is about 15 times the largest bundled scenario (ebrd-2040, some 14 million
/// TEU over 2025-2040).
pub const MAX_TEU_PER_REPLICATION: f64 = 2e8;
/// Most rail timetable slots one replication may have, over all links (warm-up included).
/// Every slot is an event whether a train leaves or not, about 0.1 µs each, so this keeps
/// a replication to about ten seconds of slots; `timetable_hours = 0.1` on 500 links over
/// 100 years would be 4.4×10^9 slots, some seven minutes per replication. The bundled
/// scenarios have at most a few tens of thousands.
pub const MAX_TIMETABLE_SLOTS_PER_REPLICATION: f64 = 1e8;
/// Most random storm closures per year on a sea link (as for disruptions): one a day.
pub const MAX_EVENTS_PER_YEAR: f64 = 365.0;

/// One problem found by validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Field path, e.g. `nodes.aktau.cranes`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What would be right.
    pub hint: Option<String>,
}

/// Checks everything serde does not; returns every problem (empty when valid).
pub fn validate(s: &ScenarioFile) -> Vec<Issue> {
    let mut v = Validator::new(s);
    v.run();
    v.ids();
    v.nodes();
    v.links();
    v.wagon_pools();
    v.routes();
    v.destinations();
    v.never_moves();
    v.flows();
    v.total_demand();
    v.timeline();
    v.timetable_slots();
    v.disruptions();
    v.targets();
    v.investments();
    v.costs();
    v.choice();
    v.issues
}

/// The closest candidate to `word`, if it is close enough to be a plausible typo: at most
/// one edit per three characters (at least one edit), counting transpositions as one.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    candidates
        .into_iter()
        .filter(|c| !c.is_empty() && *c != word)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 1.max(len.max(c.chars().count()) / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The path of entry `i` of `section`: by id, unless the id is empty or was already used
/// by an earlier entry (then by index, so that the duplicate itself can be pointed at).
pub(crate) fn entry_paths<'a>(
    section: &str,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            if !id.is_empty() && seen.insert(id) {
                format!("{section}.{id}")
            } else {
                format!("{section}[{i}]")
            }
        })
        .collect()
}

fn fmt_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let v: Vec<String> = ids.into_iter().take(12).map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "none defined".to_string()
    } else {
        v.join(", ")
    }
}

struct Validator<'a> {
    s: &'a ScenarioFile,
    issues: Vec<Issue>,
    node_paths: Vec<String>,
    link_paths: Vec<String>,
    route_paths: Vec<String>,
    flow_paths: Vec<String>,
    change_paths: Vec<String>,
    disruption_paths: Vec<String>,
    target_paths: Vec<String>,
    node_ids: HashSet<&'a str>,
    link_ids: HashSet<&'a str>,
}

impl<'a> Validator<'a> {
    fn new(s: &'a ScenarioFile) -> Self {
        Validator {
            s,
            issues: Vec::new(),
            node_paths: entry_paths("nodes", s.nodes.iter().map(|n| n.id.as_str())),
            link_paths: entry_paths("links", s.links.iter().map(|l| l.id.as_str())),
            route_paths: entry_paths("routes", s.routes.iter().map(|r| r.id.as_str())),
            flow_paths: entry_paths("flows", s.flows.iter().map(|f| f.id.as_str())),
            change_paths: entry_paths("timeline", s.timeline.iter().map(|c| c.id.as_str())),
            disruption_paths: entry_paths(
                "disruptions",
                s.disruptions.iter().map(|d| d.id.as_str()),
            ),
            target_paths: entry_paths("targets", s.targets.iter().map(|t| t.id.as_str())),
            node_ids: s.nodes.iter().map(|n| n.id.as_str()).collect(),
            link_ids: s.links.iter().map(|l| l.id.as_str()).collect(),
        }
    }

    fn issue(&mut self, path: impl Into<String>, message: impl Into<String>, hint: Option<String>) {
        self.issues.push(Issue {
            path: path.into(),
            message: message.into(),
            hint,
        });
    }

    fn hint_closest<'b>(
        word: &str,
        candidates: impl IntoIterator<Item = &'b str> + Clone,
        what: &str,
    ) -> Option<String> {
        match closest(word, candidates.clone()) {
            Some(c) => Some(format!("did you mean `{c}`?")),
            None => Some(format!("known {what}: {}", fmt_ids(candidates))),
        }
    }

    fn unknown_node(&mut self, path: String, id: &str) {
        let hint = Self::hint_closest(id, self.s.nodes.iter().map(|n| n.id.as_str()), "nodes");
        self.issue(path, format!("unknown node `{id}`"), hint);
    }

    fn horizon(&self) -> (i32, i32) {
        (self.s.run.first_year, self.s.run.last_year)
    }

    // ---- generic number checks -------------------------------------------------------

    fn finite(&mut self, path: &str, v: f64) -> bool {
        if v.is_finite() {
            true
        } else {
            self.issue(path, format!("must be a finite number, got {v}"), None);
            false
        }
    }

    fn positive(&mut self, path: &str, v: f64, hint: &str) {
        if self.finite(path, v) && v <= 0.0 {
            self.issue(
                path,
                format!("must be > 0, got {v}"),
                Some(hint.to_string()),
            );
        }
    }

    fn non_negative(&mut self, path: &str, v: f64) {
        if self.finite(path, v) && v < 0.0 {
            self.issue(path, format!("must be >= 0, got {v}"), None);
        }
    }

    fn in_range(&mut self, path: &str, v: f64, lo: f64, hi: f64, hint: &str) {
        if self.finite(path, v) && !(lo..=hi).contains(&v) {
            self.issue(
                path,
                format!("must be between {lo} and {hi}, got {v}"),
                Some(hint.to_string()),
            );
        }
    }

    /// A duration distribution: must build, and must never produce a negative time.
    fn time_dist(&mut self, path: &str, d: &DistSpec) {
        match d.build() {
            Err(e) => self.issue(path, e.to_string(), Some(dist_hint())),
            Ok(dist) => {
                let min = dist.min_value();
                if min < 0.0 {
                    self.issue(
                        path,
                        format!("a duration cannot be negative, but this distribution goes down to {min}"),
                        Some("make its lowest value >= 0".into()),
                    );
                }
            }
        }
    }

    fn twelve_weights(&mut self, path: &str, w: &[f64], what: &str) {
        if w.len() != 12 {
            self.issue(
                path,
                format!(
                    "{what} needs exactly 12 values (January to December), got {}",
                    w.len()
                ),
                None,
            );
            return;
        }
        let mut ok = true;
        for (i, x) in w.iter().enumerate() {
            if !x.is_finite() || *x < 0.0 {
                self.issue(
                    format!("{path}[{i}]"),
                    format!("must be a finite number >= 0, got {x}"),
                    None,
                );
                ok = false;
            }
        }
        if ok && w.iter().sum::<f64>() <= 0.0 {
            self.issue(
                path,
                format!("{what} must have a positive sum"),
                Some("e.g. twelve 1s for flat".into()),
            );
        }
    }

    fn year_in_horizon(&mut self, path: &str, year: i32, allow_year_before: bool) {
        let (first, last) = self.horizon();
        let lo = if allow_year_before {
            first.saturating_sub(1)
        } else {
            first
        };
        if !(lo..=last).contains(&year) {
            self.issue(
                path,
                format!("year {year} is outside the horizon {first}..={last}"),
                Some(if allow_year_before {
                    format!("use a year from {lo} (before the horizon, for changes already in place) to {last}")
                } else {
                    format!("use a year from {first} to {last}, or widen [run]")
                }),
            );
        }
    }

    // ---- sections ----------------------------------------------------------------------

    fn run(&mut self) {
        let r = &self.s.run;
        if r.name.trim().is_empty() {
            self.issue(
                "run.name",
                "must not be empty",
                Some("name the scenario, e.g. name = \"baseline\"".into()),
            );
        } else if let Some(why) = run_name_problem(&r.name) {
            // The name becomes a folder (results/<name>) and part of file names, so it must
            // be one safe path component: `..` or `a/b` would send results elsewhere.
            self.issue(
                "run.name",
                why,
                Some(format!(
                    "use 1 to {MAX_RUN_NAME_CHARS} letters, digits, `-`, `_` and `.`, not starting with `.`, e.g. name = \"baseline-2025\""
                )),
            );
        }
        let mut years_ok = true;
        for (key, y) in [
            ("run.first_year", r.first_year),
            ("run.last_year", r.last_year),
        ] {
            if !YEAR_RANGE.contains(&y) {
                years_ok = false;
                self.issue(
                    key,
                    format!(
                        "year {y} is outside {}..={}",
                        YEAR_RANGE.start(),
                        YEAR_RANGE.end()
                    ),
                    Some("write a four-digit calendar year, e.g. 2025".into()),
                );
            }
        }
        if years_ok {
            if r.first_year > r.last_year {
                self.issue(
                    "run.last_year",
                    format!(
                        "last_year {} is before first_year {}",
                        r.last_year, r.first_year
                    ),
                    Some("last_year must be >= first_year".into()),
                );
            } else if r.last_year - r.first_year + 1 > MAX_HORIZON_YEARS {
                self.issue(
                    "run.last_year",
                    format!(
                        "horizon {}..={} is {} years, more than the limit of {MAX_HORIZON_YEARS}",
                        r.first_year,
                        r.last_year,
                        r.last_year - r.first_year + 1
                    ),
                    None,
                );
            }
        }
        if !(1..=MAX_REPLICATIONS).contains(&r.replications) {
            self.issue(
                "run.replications",
                format!(
                    "must be between 1 and {MAX_REPLICATIONS}, got {}",
                    r.replications
                ),
                Some("10 to 100 is usual".into()),
            );
        }
        self.in_range(
            "run.warmup_days",
            r.warmup_days,
            0.0,
            MAX_WARMUP_DAYS,
            "e.g. 365",
        );
        if !(r.stall_days.is_finite() && r.stall_days >= 1.0 && r.stall_days <= 3650.0) {
            self.issue(
                "run.stall_days",
                format!("must be between 1 and 3650 days, got {}", r.stall_days),
                Some("days without a departure that make a stall, e.g. 30".into()),
            );
        }
    }

    fn ids(&mut self) {
        let s = self.s;
        let sections: [(&str, Vec<&str>); 10] = [
            ("nodes", s.nodes.iter().map(|x| x.id.as_str()).collect()),
            ("links", s.links.iter().map(|x| x.id.as_str()).collect()),
            (
                "wagon_pools",
                s.wagon_pools.iter().map(|x| x.id.as_str()).collect(),
            ),
            ("routes", s.routes.iter().map(|x| x.id.as_str()).collect()),
            ("flows", s.flows.iter().map(|x| x.id.as_str()).collect()),
            (
                "timeline",
                s.timeline.iter().map(|x| x.id.as_str()).collect(),
            ),
            (
                "disruptions",
                s.disruptions.iter().map(|x| x.id.as_str()).collect(),
            ),
            ("targets", s.targets.iter().map(|x| x.id.as_str()).collect()),
            (
                "investments",
                s.investments.iter().map(|x| x.id.as_str()).collect(),
            ),
            (
                "alternatives",
                s.alternatives.iter().map(|x| x.id.as_str()).collect(),
            ),
        ];
        for (section, ids) in sections {
            let paths = entry_paths(section, ids.iter().copied());
            self.id_list(section, "id", &ids, &paths);
        }
        for (l, lp) in s.links.iter().zip(self.link_paths.clone()) {
            if let Some(sea) = &l.sea {
                let classes: Vec<&str> = sea.fleet.iter().map(|c| c.class.as_str()).collect();
                let section = format!("{lp}.sea.fleet");
                let paths = entry_paths(&section, classes.iter().copied());
                self.id_list(&section, "class", &classes, &paths);
            }
        }
    }

    fn id_list(&mut self, section: &str, key: &str, ids: &[&str], paths: &[String]) {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, (id, path)) in ids.iter().zip(paths).enumerate() {
            let at = format!("{path}.{key}");
            if id.is_empty() {
                self.issue(
                    at,
                    format!("{key} must not be empty"),
                    Some("e.g. \"aktau\"".into()),
                );
            } else if let Some(j) = first.get(id) {
                self.issue(
                    at,
                    format!("duplicate {key} `{id}` (already used by entry {j} of {section})"),
                    Some(format!("{key}s must be unique within {section}; rename one, or merge the two entries")),
                );
            } else {
                first.insert(id, i);
                if id.contains('.') || id.chars().any(char::is_whitespace) {
                    self.issue(
                        at,
                        format!("{key} `{id}` contains a dot or whitespace"),
                        Some(
                            "use letters, digits, `-` and `_`; dots separate parameter paths"
                                .into(),
                        ),
                    );
                }
            }
        }
    }

    fn nodes(&mut self) {
        // Ends of sea links need berths; collect which nodes are such ends, and by which link.
        let mut sea_ends: HashMap<&str, &str> = HashMap::new();
        for l in &self.s.links {
            if l.mode == LinkMode::Sea {
                sea_ends.entry(l.from.as_str()).or_insert(l.id.as_str());
                sea_ends.entry(l.to.as_str()).or_insert(l.id.as_str());
            }
        }
        let mut ferry_ends: HashMap<&str, &str> = HashMap::new();
        for l in &self.s.links {
            let ferries = l.sea.as_ref().is_some_and(|s| {
                s.fleet
                    .iter()
                    .any(|c| c.kind == super::schema::VesselKind::RailFerry)
            });
            if ferries {
                ferry_ends.entry(l.from.as_str()).or_insert(l.id.as_str());
                ferry_ends.entry(l.to.as_str()).or_insert(l.id.as_str());
            }
        }
        for (n, p) in self.s.nodes.iter().zip(self.node_paths.clone()) {
            if n.cranes > MAX_CRANES {
                self.issue(
                    format!("{p}.cranes"),
                    format!("must be <= {MAX_CRANES} (guard rail: every box scans every crane, so a larger number only costs memory and time), got {}", n.cranes),
                    Some("a large container terminal has a few dozen cranes".into()),
                );
            }
            if n.cranes > 0 && n.handling_minutes.is_none() {
                self.issue(
                    format!("{p}.handling_minutes"),
                    format!("missing handling_minutes: required when cranes > 0 (cranes = {})", n.cranes),
                    Some("e.g. handling_minutes = { triangular = [2, 3, 6] }, or cranes = 0 for no handling step".into()),
                );
            }
            if let Some(d) = &n.handling_minutes {
                self.time_dist(&format!("{p}.handling_minutes"), d);
            }
            if let Some(d) = &n.dwell_hours {
                self.time_dist(&format!("{p}.dwell_hours"), d);
            }
            if let Some(d) = &n.vessel_call_hours {
                self.time_dist(&format!("{p}.vessel_call_hours"), d);
            }
            if let Some(d) = &n.ferry_call_hours {
                self.time_dist(&format!("{p}.ferry_call_hours"), d);
            }
            if n.ferry_berths > MAX_CRANES {
                self.issue(
                    format!("{p}.ferry_berths"),
                    format!("must be <= {MAX_CRANES}, got {}", n.ferry_berths),
                    None,
                );
            }
            if n.quay_cranes_per_vessel == 0 || n.quay_cranes_per_vessel > MAX_CRANES {
                self.issue(
                    format!("{p}.quay_cranes_per_vessel"),
                    format!(
                        "must be between 1 and {MAX_CRANES}, got {}",
                        n.quay_cranes_per_vessel
                    ),
                    Some("a Caspian feeder is worked by 1 or 2 cranes".into()),
                );
            }
            for (key, v, hint) in [
                (
                    "quay_moves_per_hour",
                    n.quay_moves_per_hour,
                    "box moves per hour of one quay crane, e.g. 12",
                ),
                (
                    "ferry_wagons_per_hour",
                    n.ferry_wagons_per_hour,
                    "wagons rolled on or off per hour, e.g. 10",
                ),
            ] {
                if let Some(v) = v {
                    let kp = format!("{p}.{key}");
                    if self.finite(&kp, v) && !(v > 0.0 && v <= MAX_MOVES_PER_HOUR) {
                        self.issue(
                            kp,
                            format!("must be > 0 and <= {MAX_MOVES_PER_HOUR}, got {v}"),
                            Some(hint.into()),
                        );
                    }
                }
            }
            if let Some(y) = n.yard_capacity_teu {
                self.positive(
                    &format!("{p}.yard_capacity_teu"),
                    y,
                    "omit yard_capacity_teu for an unlimited yard",
                );
            }
            self.non_negative(&format!("{p}.handling_scale"), n.handling_scale);
            self.non_negative(&format!("{p}.dwell_scale"), n.dwell_scale);
            if let Some(lat) = n.lat {
                self.in_range(
                    &format!("{p}.lat"),
                    lat,
                    -90.0,
                    90.0,
                    "degrees north, e.g. 43.65",
                );
            }
            if let Some(lon) = n.lon {
                self.in_range(
                    &format!("{p}.lon"),
                    lon,
                    -180.0,
                    180.0,
                    "degrees east, e.g. 51.17",
                );
            }
            if let Some(link) = sea_ends.get(n.id.as_str()) {
                if n.berths == 0 {
                    self.issue(
                        format!("{p}.berths"),
                        format!("must be >= 1: this node is an end of sea link `{link}`, got 0"),
                        Some("e.g. berths = 2".into()),
                    );
                }
                if n.vessel_call_hours.is_none() {
                    self.issue(
                        format!("{p}.vessel_call_hours"),
                        format!(
                            "missing vessel_call_hours: required at an end of sea link `{link}`"
                        ),
                        Some("the fixed part of a call (mooring, formalities), e.g. vessel_call_hours = { triangular = [4, 6, 10] }".into()),
                    );
                }
            }
            if let Some(link) = ferry_ends.get(n.id.as_str())
                && n.ferry_wagons_per_hour.is_none()
            {
                self.issue(
                    format!("{p}.ferry_wagons_per_hour"),
                    format!("missing ferry_wagons_per_hour: rail ferries of link `{link}` call here, and their call time counts wagons"),
                    Some("e.g. ferry_wagons_per_hour = 10".into()),
                );
            }
        }
    }

    fn links(&mut self) {
        for (l, p) in self.s.links.iter().zip(self.link_paths.clone()) {
            for (key, id) in [("from", &l.from), ("to", &l.to)] {
                if !self.node_ids.contains(id.as_str()) {
                    self.unknown_node(format!("{p}.{key}"), id);
                }
            }
            if l.from == l.to {
                self.issue(
                    format!("{p}.to"),
                    format!("a link cannot join node `{}` to itself", l.to),
                    None,
                );
            }
            if let Some(d) = l.distance_km {
                self.positive(&format!("{p}.distance_km"), d, "a distance in km, e.g. 420");
            }
            match l.mode {
                LinkMode::Rail => {
                    if l.sea.is_some() {
                        self.issue(
                            format!("{p}.sea"),
                            "a rail link takes a [links.rail] table, not [links.sea]",
                            Some("remove the sea table, or set mode = \"sea\"".into()),
                        );
                    }
                    match &l.rail {
                        None => self.issue(
                            format!("{p}.rail"),
                            "missing rail table: required when mode = \"rail\"",
                            Some("add rail = { train_capacity_teu = 82, extra_hours = { constant = 30 } }".into()),
                        ),
                        Some(_) => self.rail(l, &p),
                    }
                }
                LinkMode::Sea => {
                    if l.rail.is_some() {
                        self.issue(
                            format!("{p}.rail"),
                            "a sea link takes a [links.sea] table, not [links.rail]",
                            Some("remove the rail table, or set mode = \"rail\"".into()),
                        );
                    }
                    match &l.sea {
                        None => self.issue(
                            format!("{p}.sea"),
                            "missing sea table: required when mode = \"sea\"",
                            Some("add [links.sea] with sailing_hours and fleet".into()),
                        ),
                        Some(_) => self.sea(l, &p),
                    }
                }
            }
        }
    }

    fn rail(&mut self, l: &super::schema::LinkSpec, p: &str) {
        let Some(r) = &l.rail else { return };
        let rp = format!("{p}.rail");
        let cap = format!("{rp}.train_capacity_teu");
        if self.finite(&cap, r.train_capacity_teu)
            && !(r.train_capacity_teu > 0.0 && r.train_capacity_teu <= MAX_TRAIN_CAPACITY_TEU)
        {
            self.issue(
                cap,
                format!(
                    "must be > 0 and <= {MAX_TRAIN_CAPACITY_TEU}, got {}",
                    r.train_capacity_teu
                ),
                Some("a block train of 41-57 FEU carries 82-114 TEU".into()),
            );
        }
        if let Some(w) = r.max_wait_hours {
            self.non_negative(&format!("{rp}.max_wait_hours"), w);
        }
        if let Some(t) = r.timetable_hours {
            let tp = format!("{rp}.timetable_hours");
            self.positive(&tp, t, "hours between departures, e.g. 24");
            if t > 0.0 && t < MIN_TIMETABLE_HOURS {
                self.issue(
                    tp,
                    timetable_message(t),
                    Some("hours between departures, e.g. 24".into()),
                );
            }
        }
        if let Some(x) = r.paths_per_day {
            self.positive(
                &format!("{rp}.paths_per_day"),
                x,
                "omit paths_per_day for unlimited paths",
            );
        }
        if r.speed_km_per_day.is_none() && r.extra_hours.is_none() {
            self.issue(
                rp.clone(),
                "no travel time: give speed_km_per_day (with distance_km), extra_hours, or both",
                Some("e.g. speed_km_per_day = { constant = 800 }".into()),
            );
        }
        if let Some(speed) = &r.speed_km_per_day {
            let sp = format!("{rp}.speed_km_per_day");
            if l.distance_km.is_none() {
                self.issue(
                    sp.clone(),
                    "speed_km_per_day needs the link's distance_km",
                    Some("add distance_km to the link, or give extra_hours instead".into()),
                );
            }
            match speed.build() {
                Err(e) => self.issue(sp, e.to_string(), Some(dist_hint())),
                Ok(d) => {
                    let min = d.min_value();
                    if min.is_nan() || min <= 0.0 {
                        self.issue(
                            sp,
                            format!("speed must stay above 0 (a speed of 0 is an infinite trip), but this distribution goes down to {min}"),
                            Some("use a form bounded away from 0: constant, uniform, triangular or empirical with a lowest value > 0".into()),
                        );
                    }
                }
            }
        }
        if let Some(x) = &r.extra_hours {
            self.time_dist(&format!("{rp}.extra_hours"), x);
        }
        if let Some(pool) = &r.wagon_pool
            && !self.s.wagon_pools.iter().any(|w| &w.id == pool)
        {
            let hint = Self::hint_closest(
                pool,
                self.s.wagon_pools.iter().map(|w| w.id.as_str()),
                "wagon_pools",
            );
            self.issue(
                format!("{rp}.wagon_pool"),
                format!("unknown wagon pool `{pool}`"),
                hint,
            );
        }
    }

    fn wagon_pools(&mut self) {
        let paths = entry_paths(
            "wagon_pools",
            self.s.wagon_pools.iter().map(|w| w.id.as_str()),
        );
        for (w, p) in self.s.wagon_pools.iter().zip(paths) {
            if w.sets == 0 || w.sets > MAX_WAGON_SETS {
                self.issue(
                    format!("{p}.sets"),
                    format!("must be between 1 and {MAX_WAGON_SETS}, got {}", w.sets),
                    Some("wagon sets in the pool, one per train, e.g. 40".into()),
                );
            }
            self.time_dist(&format!("{p}.turnaround_hours"), &w.turnaround_hours);
            if let Some(g) = w.gauge_mm
                && !(600..=2000).contains(&g)
            {
                self.issue(
                    format!("{p}.gauge_mm"),
                    format!("must be a track gauge in mm between 600 and 2000, got {g}"),
                    Some("1435 (standard) or 1520 (Russian)".into()),
                );
            }
            let used = self.s.links.iter().any(|l| {
                l.rail
                    .as_ref()
                    .is_some_and(|r| r.wagon_pool.as_deref() == Some(w.id.as_str()))
            });
            if !used {
                self.issue(
                    format!("{p}.id"),
                    format!("wagon pool `{}` is used by no rail link", w.id),
                    Some(format!(
                        "set wagon_pool = \"{}\" in a link's [links.rail] table, or remove the pool",
                        w.id
                    )),
                );
            }
        }
    }

    /// Configurations that can never move a box, refused before a run that would report
    /// nothing for years.
    fn never_moves(&mut self) {
        let s = self.s;
        let has_40ft = s.flows.iter().any(|f| f.share_40ft > 0.0);
        // A timeline change may yet make it work: then it is the user's plan, not an error.
        let changed = |prefix: &str| {
            s.timeline
                .iter()
                .any(|c| c.set.keys().any(|k| k.starts_with(prefix)))
        };
        for (l, p) in s.links.iter().zip(self.link_paths.clone()) {
            let Some(from) = s.nodes.iter().find(|n| n.id == l.from) else {
                continue;
            };
            if changed(&format!("nodes.{}.yard_capacity_teu", l.from))
                || changed(&format!("links.{}.", l.id))
            {
                continue;
            }
            if let Some(r) = &l.rail {
                if has_40ft && r.train_capacity_teu > 0.0 && r.train_capacity_teu < 2.0 {
                    self.issue(
                        format!("{p}.rail.train_capacity_teu"),
                        format!(
                            "a train of {} TEU cannot carry a 40-ft box (2 TEU), and some flows send 40-ft boxes",
                            r.train_capacity_teu
                        ),
                        Some("train_capacity_teu >= 2".into()),
                    );
                }
                if let Some(yard) = from.yard_capacity_teu
                    && r.max_wait_hours.is_none()
                    && r.timetable_hours.is_none()
                    && yard > 0.0
                    && yard < r.train_capacity_teu
                {
                    self.issue(
                        format!("{p}.rail.max_wait_hours"),
                        format!(
                            "trains leave only when full ({} TEU), but the yard of `{}` holds {yard} TEU: no train would ever leave",
                            r.train_capacity_teu, from.id
                        ),
                        Some("give max_wait_hours (e.g. 48) or a timetable, or a larger yard".into()),
                    );
                }
            }
            if let Some(sea) = &l.sea {
                let to = s.nodes.iter().find(|n| n.id == l.to);
                let yards = [from.yard_capacity_teu, to.and_then(|n| n.yard_capacity_teu)];
                if sea.max_wait_hours.is_none()
                    && let Some(smallest) = sea
                        .fleet
                        .iter()
                        .map(|c| c.capacity_teu * sea.load_cap_share * sea.min_load_share)
                        .reduce(f64::min)
                    && let Some(yard) = yards[0]
                    && yard > 0.0
                    && yard < smallest
                {
                    self.issue(
                        format!("{p}.sea.max_wait_hours"),
                        format!(
                            "vessels wait for {smallest} TEU before loading, but the yard of `{}` holds {yard} TEU: no vessel would ever sail",
                            from.id
                        ),
                        Some("give max_wait_hours (e.g. 72), a lower min_load_share, or a larger yard".into()),
                    );
                }
            }
        }
        // A yard smaller than a 40-ft box on the route of a flow that sends them never
        // admits one (at a destination that handles its boxes, too): nothing gets through.
        for (n, p) in s.nodes.iter().zip(self.node_paths.clone()) {
            let Some(yard) = n.yard_capacity_teu else {
                continue;
            };
            if !(yard > 0.0 && yard < 2.0) || changed(&format!("nodes.{}.yard_capacity_teu", n.id))
            {
                continue;
            }
            let flow = s.flows.iter().find(|f| {
                f.share_40ft > 0.0
                    && f.routes.iter().any(|rs| {
                        s.routes.iter().any(|r| {
                            r.id == rs.route
                                && r.nodes.iter().enumerate().any(|(i, x)| {
                                    x == &n.id
                                        && !(i + 1 == r.nodes.len()
                                            && n.kind == super::schema::NodeKind::Gateway)
                                })
                        })
                    })
            });
            if let Some(f) = flow {
                self.issue(
                    format!("{p}.yard_capacity_teu"),
                    format!(
                        "the yard of `{}` holds {yard} TEU, less than one 40-ft box (2 TEU), and flow `{}` sends 40-ft boxes through it: none would ever be admitted",
                        n.id, f.id
                    ),
                    Some("yard_capacity_teu >= 2, or omit it for an unlimited yard".into()),
                );
            }
        }
        for (f, p) in s.flows.iter().zip(self.flow_paths.clone()) {
            if let Some(d) = f.promised_days {
                let pp = format!("{p}.promised_days");
                if self.finite(&pp, d) && !(d > 0.0 && d <= 3650.0) {
                    self.issue(
                        pp,
                        format!("must be > 0 and <= 3650 days, got {d}"),
                        Some("door-to-door days promised to shippers, e.g. 18".into()),
                    );
                }
            }
            if let Some(d) = f.patience_days {
                let pp = format!("{p}.patience_days");
                if self.finite(&pp, d) && !(d > 0.0 && d <= 3650.0) {
                    self.issue(
                        pp,
                        format!("must be > 0 and <= 3650 days, got {d}"),
                        Some("days a box accepts to wait at its origin, e.g. 14".into()),
                    );
                }
            }
        }
    }

    fn sea(&mut self, l: &super::schema::LinkSpec, p: &str) {
        let Some(s) = &l.sea else { return };
        let sp = format!("{p}.sea");
        self.time_dist(&format!("{sp}.sailing_hours"), &s.sailing_hours);
        if let Some(r) = &s.return_hours {
            self.time_dist(&format!("{sp}.return_hours"), r);
        }
        let lcs = format!("{sp}.load_cap_share");
        if self.finite(&lcs, s.load_cap_share)
            && !(s.load_cap_share > 0.0 && s.load_cap_share <= 1.0)
        {
            self.issue(
                lcs,
                format!("must be > 0 and <= 1, got {}", s.load_cap_share),
                Some("the usable share of nominal capacity, e.g. 0.8 for draft limits".into()),
            );
        }
        self.in_range(
            &format!("{sp}.min_load_share"),
            s.min_load_share,
            0.0,
            1.0,
            "e.g. 0.7",
        );
        if let Some(w) = s.max_wait_hours {
            self.non_negative(&format!("{sp}.max_wait_hours"), w);
        }
        if s.fleet.is_empty() {
            self.issue(
                format!("{sp}.fleet"),
                "a sea link needs at least one vessel class",
                Some("add [[links.sea.fleet]] with class, capacity_teu and count".into()),
            );
        }
        let class_paths = entry_paths(
            &format!("{sp}.fleet"),
            s.fleet.iter().map(|c| c.class.as_str()),
        );
        let mut total: u64 = 0;
        for (c, cp) in s.fleet.iter().zip(class_paths) {
            let cap = format!("{cp}.capacity_teu");
            if self.finite(&cap, c.capacity_teu)
                && !(c.capacity_teu > 0.0 && c.capacity_teu <= MAX_VESSEL_CAPACITY_TEU)
            {
                self.issue(
                    cap.clone(),
                    format!(
                        "must be > 0 and <= {MAX_VESSEL_CAPACITY_TEU}, got {}",
                        c.capacity_teu
                    ),
                    Some("Caspian feeders carry 100-800 TEU".into()),
                );
            }
            match (c.kind, c.wagons) {
                (super::schema::VesselKind::RailFerry, None) => self.issue(
                    format!("{cp}.wagons"),
                    "missing wagons: required for kind = \"rail_ferry\" (its call time counts wagons)",
                    Some("e.g. wagons = 50 (up to 54 railcars per Kuryk ferry)".into()),
                ),
                (super::schema::VesselKind::RailFerry, Some(w)) => {
                    if w == 0 || w > MAX_FERRY_WAGONS {
                        self.issue(
                            format!("{cp}.wagons"),
                            format!("must be between 1 and {MAX_FERRY_WAGONS}, got {w}"),
                            None,
                        );
                    } else if c.capacity_teu > f64::from(w) * TEU_PER_WAGON {
                        self.issue(
                            cap.clone(),
                            format!(
                                "a rail ferry of {w} wagons carries at most {} TEU ({TEU_PER_WAGON} TEU per platform), got {}",
                                f64::from(w) * TEU_PER_WAGON,
                                c.capacity_teu
                            ),
                            Some(format!("capacity_teu = {}", f64::from(w) * TEU_PER_WAGON)),
                        );
                    }
                }
                (super::schema::VesselKind::Feeder, Some(_)) => self.issue(
                    format!("{cp}.wagons"),
                    "wagons applies to kind = \"rail_ferry\" only",
                    Some("remove wagons, or set kind = \"rail_ferry\"".into()),
                ),
                (super::schema::VesselKind::Feeder, None) => {}
            }
            if c.count > MAX_VESSEL_COUNT {
                self.issue(
                    format!("{cp}.count"),
                    format!("must be <= {MAX_VESSEL_COUNT}, got {}", c.count),
                    None,
                );
            }
            total += u64::from(c.count);
        }
        if !s.fleet.is_empty() && total == 0 {
            self.issue(
                format!("{sp}.fleet"),
                "the fleet has no vessel: every count is 0",
                Some(
                    "give at least one class a count >= 1 (a timeline change may add more later)"
                        .into(),
                ),
            );
        }
        if let Some(st) = &s.storms {
            let stp = format!("{sp}.storms");
            self.in_range(
                &format!("{stp}.events_per_year"),
                st.events_per_year,
                0.0,
                365.0,
                "e.g. 6",
            );
            if let Some(w) = &st.monthly_weights {
                self.twelve_weights(&format!("{stp}.monthly_weights"), w, "monthly_weights");
            }
            self.time_dist(&format!("{stp}.duration_hours"), &st.duration_hours);
        }
    }

    fn routes(&mut self) {
        for (r, p) in self.s.routes.iter().zip(self.route_paths.clone()) {
            let np = format!("{p}.nodes");
            if r.nodes.len() < 2 {
                self.issue(
                    np.clone(),
                    format!(
                        "a route needs at least 2 nodes (origin and destination), got {}",
                        r.nodes.len()
                    ),
                    None,
                );
            }
            if r.nodes.len() > MAX_ROUTE_NODES {
                self.issue(
                    np.clone(),
                    format!(
                        "a route may have at most {MAX_ROUTE_NODES} nodes (guard rail: a container counts its legs in one byte), got {}",
                        r.nodes.len()
                    ),
                    Some("split the route into shorter flows".into()),
                );
            }
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, n) in r.nodes.iter().enumerate() {
                if !self.node_ids.contains(n.as_str()) {
                    self.unknown_node(format!("{np}[{i}]"), n);
                }
                if let Some(j) = seen.insert(n.as_str(), i) {
                    self.issue(
                        format!("{np}[{i}]"),
                        format!(
                            "node `{n}` appears twice (also at position {j}): a route may not loop"
                        ),
                        None,
                    );
                }
            }
            let legs = r.nodes.len().saturating_sub(1);
            match &r.links {
                Some(links) => {
                    let lp = format!("{p}.links");
                    if links.len() != legs {
                        self.issue(
                            lp.clone(),
                            format!(
                                "needs one link per leg: {legs} legs, got {} links",
                                links.len()
                            ),
                            None,
                        );
                    }
                    for (i, (id, pair)) in links.iter().zip(r.nodes.windows(2)).enumerate() {
                        let (a, b) = match pair {
                            [a, b] => (a, b),
                            _ => continue,
                        };
                        match self.s.links.iter().find(|l| &l.id == id) {
                            None => {
                                let hint = Self::hint_closest(id, self.s.links.iter().map(|l| l.id.as_str()), "links");
                                self.issue(format!("{lp}[{i}]"), format!("unknown link `{id}`"), hint);
                            }
                            Some(l) if !(&l.from == a && &l.to == b) => self.issue(
                                format!("{lp}[{i}]"),
                                format!("link `{id}` joins `{}` to `{}`, but leg {i} goes from `{a}` to `{b}`", l.from, l.to),
                                None,
                            ),
                            Some(_) => {}
                        }
                    }
                }
                None => {
                    for (i, pair) in r.nodes.windows(2).enumerate() {
                        let (a, b) = match pair {
                            [a, b] => (a, b),
                            _ => continue,
                        };
                        if !(self.node_ids.contains(a.as_str())
                            && self.node_ids.contains(b.as_str()))
                        {
                            continue; // already reported as unknown
                        }
                        if !self.s.links.iter().any(|l| &l.from == a && &l.to == b) {
                            let reverse = self.s.links.iter().find(|l| &l.from == b && &l.to == a);
                            let hint = match reverse {
                                Some(l) => format!(
                                    "links are one-way: `{}` goes from `{b}` to `{a}`; add a link from `{a}` to `{b}`",
                                    l.id
                                ),
                                None => format!(
                                    "add a [[links]] entry with from = \"{a}\" and to = \"{b}\""
                                ),
                            };
                            self.issue(
                                format!("{np}[{}]", i + 1),
                                format!("no link from `{a}` to `{b}`"),
                                Some(hint),
                            );
                        }
                    }
                }
            }
        }
    }

    /// The rule for a route's last node is its kind: a gateway delivers on arrival, any
    /// other kind handles the box first. A gateway that only ever ends routes and has
    /// handling resources would silently not use them: refused, with the fix.
    fn destinations(&mut self) {
        use super::schema::NodeKind;
        let s = self.s;
        for (n, p) in s.nodes.iter().zip(self.node_paths.clone()) {
            if n.kind != NodeKind::Gateway {
                continue;
            }
            let ends = s.routes.iter().find(|r| r.nodes.last() == Some(&n.id));
            let passes = s
                .routes
                .iter()
                .any(|r| r.nodes.iter().rev().skip(1).any(|x| x == &n.id));
            let Some(route) = ends else { continue };
            if passes {
                continue;
            }
            let mut unused = Vec::new();
            if n.cranes > 0 {
                unused.push("cranes");
            }
            if n.dwell_hours.is_some() {
                unused.push("dwell_hours");
            }
            if n.yard_capacity_teu.is_some() {
                unused.push("yard_capacity_teu");
            }
            if unused.is_empty() {
                continue;
            }
            self.issue(
                format!("{p}.kind"),
                format!(
                    "`{}` is a gateway that ends route `{}`: boxes are delivered there on arrival, so its {} would never be used",
                    n.id,
                    route.id,
                    unused.join(", ")
                ),
                Some("set kind = \"port\" (or \"terminal\") to handle arriving boxes before delivery, or remove those fields".into()),
            );
        }
    }

    fn flows(&mut self) {
        let route_origin: HashMap<&str, Option<&str>> = self
            .s
            .routes
            .iter()
            .map(|r| (r.id.as_str(), r.nodes.first().map(String::as_str)))
            .collect();
        for (f, p) in self.s.flows.iter().zip(self.flow_paths.clone()) {
            let rp = format!("{p}.routes");
            if f.routes.is_empty() {
                self.issue(
                    rp.clone(),
                    "a flow needs at least one route",
                    Some("routes = [{ route = \"main\", share = 1.0 }]".into()),
                );
            }
            let mut sum = 0.0;
            let mut shares_ok = true;
            let mut origins: Vec<(usize, &str, &str)> = Vec::new();
            let mut seen: HashSet<&str> = HashSet::new();
            for (i, rs) in f.routes.iter().enumerate() {
                let ep = format!("{rp}[{i}]");
                match route_origin.get(rs.route.as_str()) {
                    None => {
                        let hint = Self::hint_closest(
                            &rs.route,
                            self.s.routes.iter().map(|r| r.id.as_str()),
                            "routes",
                        );
                        self.issue(
                            format!("{ep}.route"),
                            format!("unknown route `{}`", rs.route),
                            hint,
                        );
                    }
                    Some(Some(origin)) => origins.push((i, rs.route.as_str(), origin)),
                    Some(None) => {}
                }
                if !seen.insert(rs.route.as_str()) {
                    self.issue(
                        format!("{ep}.route"),
                        format!("route `{}` is listed twice in this flow", rs.route),
                        Some("give each route once, with its total share".into()),
                    );
                }
                if !rs.share.is_finite() || !(0.0..=1.0).contains(&rs.share) {
                    shares_ok = false;
                    self.issue(
                        format!("{ep}.share"),
                        format!("must be between 0 and 1, got {}", rs.share),
                        None,
                    );
                }
                sum += rs.share;
            }
            if shares_ok && !f.routes.is_empty() && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                self.issue(
                    rp.clone(),
                    format!("route shares must sum to 1, they sum to {sum}"),
                    Some("shares are fractions of the flow, e.g. 0.7 and 0.3".into()),
                );
            }
            if let Some((_, r0, o0)) = origins.first().copied() {
                for (i, r, o) in origins.iter().skip(1).copied() {
                    if o != o0 {
                        self.issue(
                            format!("{rp}[{i}].route"),
                            format!("route `{r}` starts at `{o}`, but route `{r0}` of the same flow starts at `{o0}`"),
                            Some("all routes of a flow start at the flow's origin; split it into two flows".into()),
                        );
                    }
                }
            }
            let tp = format!("{p}.teu_per_year");
            if f.teu_per_year.is_empty() {
                self.issue(
                    tp.clone(),
                    "needs at least one year",
                    Some("e.g. teu_per_year = { \"2025\" = 50000 }".into()),
                );
            }
            for (year, teu) in &f.teu_per_year {
                let yp = format!("{tp}.{year}");
                match year.trim().parse::<i32>() {
                    Ok(y) if YEAR_RANGE.contains(&y) => {}
                    _ => self.issue(
                        yp.clone(),
                        format!(
                            "`{year}` is not a year in {}..={}",
                            YEAR_RANGE.start(),
                            YEAR_RANGE.end()
                        ),
                        Some("keys are years, e.g. \"2025\" = 50000".into()),
                    ),
                }
                if !teu.is_finite() || *teu < 0.0 || *teu > MAX_TEU_PER_YEAR {
                    self.issue(
                        yp,
                        format!("must be between 0 and {MAX_TEU_PER_YEAR} TEU per year (guard rail), got {teu}"),
                        None,
                    );
                }
            }
            if let Some(sz) = &f.seasonality {
                self.twelve_weights(&format!("{p}.seasonality"), sz, "seasonality");
            }
            self.in_range(
                &format!("{p}.share_40ft"),
                f.share_40ft,
                0.0,
                1.0,
                "e.g. 0.8 for mostly 40-ft boxes",
            );
            if f.arrivals == ArrivalProcess::BlockTrains {
                match f.block_train_teu {
                    None => self.issue(
                        format!("{p}.block_train_teu"),
                        "missing block_train_teu: required when arrivals = \"block_trains\"",
                        Some("e.g. block_train_teu = 82".into()),
                    ),
                    Some(b) => {
                        let bp = format!("{p}.block_train_teu");
                        if self.finite(&bp, b)
                            && !(MIN_BLOCK_TRAIN_TEU..=MAX_TRAIN_CAPACITY_TEU).contains(&b)
                        {
                            self.issue(
                                bp,
                                format!("must be between {MIN_BLOCK_TRAIN_TEU} and {MAX_TRAIN_CAPACITY_TEU} TEU (guard rail: each block train creates at least one box, so a smaller value multiplies the demand, and a larger one creates more boxes at once than any train carries), got {b}"),
                                Some("e.g. 82".into()),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Guard rail: the TEU all flows create in one replication, warm-up years included,
    /// interpolated per year exactly as the model does. Checked only when the horizon and
    /// every flow's figures are valid (otherwise those issues are reported instead).
    fn total_demand(&mut self) {
        let r = &self.s.run;
        let horizon_ok = YEAR_RANGE.contains(&r.first_year)
            && YEAR_RANGE.contains(&r.last_year)
            && r.first_year <= r.last_year
            && r.last_year - r.first_year < MAX_HORIZON_YEARS;
        let warmup_ok =
            r.warmup_days.is_finite() && (0.0..=MAX_WARMUP_DAYS).contains(&r.warmup_days);
        if !(horizon_ok && warmup_ok) {
            return;
        }
        let warmup_years = (r.warmup_days / 365.0).ceil() as i32;
        let first = r.first_year - warmup_years;
        let mut total = 0.0;
        let mut largest: Option<(f64, &str, String)> = None;
        for (f, p) in self.s.flows.iter().zip(self.flow_paths.clone()) {
            let mut points: Vec<(i32, f64)> = Vec::new();
            // A market flow creates at most its whole market.
            let teu_per_year = f
                .market
                .as_ref()
                .map_or(&f.teu_per_year, |m| &m.teu_per_year);
            for (k, v) in teu_per_year {
                match k.trim().parse::<i32>() {
                    Ok(y) if YEAR_RANGE.contains(&y) && v.is_finite() && *v >= 0.0 => {
                        points.push((y, *v))
                    }
                    _ => return,
                }
            }
            points.sort_by_key(|p| p.0);
            let flow_total: f64 = (first..=r.last_year)
                .map(|y| interpolate_teu(&points, y))
                .sum();
            total += flow_total;
            if largest.as_ref().is_none_or(|(t, _, _)| flow_total > *t) {
                largest = Some((flow_total, f.id.as_str(), format!("{p}.teu_per_year")));
            }
        }
        if total > MAX_TEU_PER_REPLICATION {
            let (t, id, path) = largest.unwrap_or((total, "", "flows".to_string()));
            self.issue(
                path,
                format!(
                    "the flows create {total:.3e} TEU per replication over {first}..={} (warm-up included), more than the limit of {MAX_TEU_PER_REPLICATION:.0e} (guard rail: every box is simulated one by one, so a replication would run for hours and hold its backlog in memory); the largest is flow `{id}` with {t:.3e} TEU",
                    r.last_year
                ),
                Some("check teu_per_year for an extra zero, or shorten the horizon".into()),
            );
        }
    }

    /// The rail timetables' slots per replication, each link counted at the shortest
    /// interval it ever has (its own or one set by the timeline), over the whole horizon.
    fn timetable_slots(&mut self) {
        let r = &self.s.run;
        let horizon_ok = YEAR_RANGE.contains(&r.first_year)
            && YEAR_RANGE.contains(&r.last_year)
            && r.first_year <= r.last_year
            && r.last_year - r.first_year < MAX_HORIZON_YEARS;
        if !(horizon_ok && r.warmup_days.is_finite() && r.warmup_days >= 0.0) {
            return;
        }
        let years = f64::from(r.last_year - r.first_year + 1) + r.warmup_days / 365.0;
        let mut total = 0.0;
        let mut largest: Option<(f64, String)> = None;
        for (l, p) in self.s.links.iter().zip(self.link_paths.clone()) {
            let mut shortest = l.rail.as_ref().and_then(|rl| rl.timetable_hours);
            let mut at = format!("{p}.rail.timetable_hours");
            for (c, cp) in self.s.timeline.iter().zip(self.change_paths.clone()) {
                for (path, value) in &c.set {
                    if let Ok(ParamPath::Rail {
                        link,
                        param: RailParam::TimetableHours,
                    }) = ParamPath::parse(path)
                    {
                        if link == l.id && shortest.is_none_or(|t| *value < t) {
                            shortest = Some(*value);
                            at = format!("{cp}.set.{path}");
                        }
                    }
                }
            }
            let Some(t) = shortest.filter(|t| t.is_finite() && *t >= MIN_TIMETABLE_HOURS) else {
                continue;
            };
            let slots = 8760.0 / t * years;
            total += slots;
            if largest.as_ref().is_none_or(|(s, _)| slots > *s) {
                largest = Some((slots, at));
            }
        }
        if total > MAX_TIMETABLE_SLOTS_PER_REPLICATION {
            let (most, path) = largest.unwrap_or((total, "links".to_string()));
            self.issue(
                path,
                format!(
                    "the rail timetables give {total:.3e} departure slots per replication ({years:.1} years, warm-up included), more than the limit of {MAX_TIMETABLE_SLOTS_PER_REPLICATION:.0e} (guard rail: every slot is an event whether a train leaves or not, so a replication would run for minutes); this link has the most, {most:.3e}"
                ),
                Some("use longer timetable_hours (24 for a daily train), or omit it for trains that leave when full".into()),
            );
        }
    }

    fn timeline(&mut self) {
        for (c, p) in self.s.timeline.iter().zip(self.change_paths.clone()) {
            if c.set.is_empty() {
                self.issue(
                    format!("{p}.set"),
                    "sets nothing",
                    Some("e.g. set = { \"nodes.aktau.cranes\" = 6 }".into()),
                );
            }
            for (path, value) in &c.set {
                let sp = format!("{p}.set.{path}");
                let parsed = ParamPath::parse(path);
                match parsed.clone().and_then(|pp| pp.check(self.s, *value)) {
                    Ok(()) => {}
                    Err(e) => self.issue(sp.clone(), e.message, Some(e.hint)),
                }
                // Guard rails `check` leaves to validation: the same limits as the fields
                // themselves (the catalogue's ceiling and floor), so that a dated change
                // cannot do what the scenario may not.
                if value.is_finite()
                    && let Ok(pp) = &parsed
                {
                    let spec = pp.spec();
                    if !spec.applies.timeline {
                        self.issue(
                            sp.clone(),
                            format!("{} cannot be changed by the timeline", spec.field),
                            None,
                        );
                    }
                    if let Some(m) = spec.ceiling_message(*value) {
                        self.issue(sp.clone(), m, None);
                    }
                    if let Some(m) = spec.floor_message(*value) {
                        self.issue(sp.clone(), m, None);
                    }
                }
                // Values `check` accepts but that the model could not act on.
                match parsed {
                    // `cranes = 0` has one meaning: the node has no handling step (a border,
                    // a gateway). Whether a node has one is fixed by [[nodes]]; the timeline
                    // only changes how many cranes a handling node has. The model used to
                    // ignore cranes set on a node without a handling step, and to stop a
                    // handling node for good when its cranes were set to 0.
                    Ok(ParamPath::Node {
                        node,
                        param: NodeParam::Cranes,
                    }) if self.s.nodes.iter().any(|n| n.id == node && n.cranes == 0) => {
                        self.issue(
                            sp,
                            format!("node `{node}` has no handling step (cranes = 0), and a change cannot add one: cranes = 0 means no handling step, not a stopped terminal"),
                            Some(format!("give nodes.{node} cranes and handling_minutes from the start, and let the timeline change their number")),
                        );
                    }
                    // Whether rail ferries have berths of their own is fixed by [[nodes]]
                    // (ferry_berths > 0); the timeline changes how many.
                    Ok(ParamPath::Node {
                        node,
                        param: NodeParam::FerryBerths,
                    }) if self
                        .s
                        .nodes
                        .iter()
                        .any(|n| n.id == node && n.ferry_berths == 0) =>
                    {
                        self.issue(
                            sp,
                            format!("node `{node}` has no ferry berths (ferry_berths = 0: its rail ferries use the container berths), and a change cannot add them"),
                            Some(format!("give nodes.{node} ferry_berths from the start, and let the timeline change their number, or change nodes.{node}.berths")),
                        );
                    }
                    Ok(ParamPath::Node {
                        node,
                        param: NodeParam::Cranes,
                    }) if *value == 0.0 => {
                        self.issue(
                            sp,
                            format!("a change cannot set the cranes of node `{node}` to 0: cranes = 0 means no handling step, and a node's handling step is fixed by [[nodes]]"),
                            Some(format!("to stop handling at `{node}` for a time, add a [[disruptions]] closure with subject = \"nodes.{node}\", a start and duration_hours; to cut capacity, set 1 or more cranes")),
                        );
                    }
                    Ok(ParamPath::Node {
                        node,
                        param: NodeParam::Cranes,
                    }) if *value > 0.0 => {
                        let lacks = self
                            .s
                            .nodes
                            .iter()
                            .any(|n| n.id == node && n.handling_minutes.is_none());
                        if lacks {
                            self.issue(
                                sp,
                                format!("node `{node}` has no handling_minutes, so its cranes would have no handling time"),
                                Some(format!("give nodes.{node} a handling_minutes distribution")),
                            );
                        }
                    }
                    Ok(ParamPath::Sea {
                        link,
                        param: SeaParam::StormEventsPerYear,
                    }) => {
                        let lacks = self.s.links.iter().any(|l| {
                            l.id == link && l.sea.as_ref().is_some_and(|s| s.storms.is_none())
                        });
                        if lacks {
                            self.issue(
                                sp,
                                format!("link `{link}` has no storms table, so this change would do nothing"),
                                Some(format!("add [links.sea.storms] to link `{link}` (events_per_year = 0 for none yet)")),
                            );
                        }
                    }
                    _ => {}
                }
            }
            self.year_in_horizon(&format!("{p}.date"), c.date.year, true);
            if let Some(x) = c.capex_eur {
                self.non_negative(&format!("{p}.capex_eur"), x);
            }
        }
    }

    fn disruptions(&mut self) {
        for (d, p) in self.s.disruptions.iter().zip(self.disruption_paths.clone()) {
            let sub = format!("{p}.subject");
            match d.subject.split_once('.') {
                Some(("nodes", id)) => {
                    if !self.node_ids.contains(id) {
                        self.unknown_node(sub.clone(), id);
                    }
                }
                Some(("links", id)) => {
                    if !self.link_ids.contains(id) {
                        let hint = Self::hint_closest(
                            id,
                            self.s.links.iter().map(|l| l.id.as_str()),
                            "links",
                        );
                        self.issue(sub.clone(), format!("unknown link `{id}`"), hint);
                    }
                }
                _ => self.issue(
                    sub.clone(),
                    format!("`{}` is not a closable subject", d.subject),
                    Some("write \"nodes.<id>\" or \"links.<id>\"".into()),
                ),
            }
            match (&d.start, d.events_per_year) {
                (Some(_), Some(_)) => self.issue(
                    p.clone(),
                    "give either start (a dated closure) or events_per_year (random closures), not both",
                    None,
                ),
                (None, None) => self.issue(
                    p.clone(),
                    "give start (a dated closure) or events_per_year (random closures)",
                    Some("e.g. start = 2027-03-01".into()),
                ),
                (Some(start), None) => self.year_in_horizon(&format!("{p}.start"), start.year, true),
                (None, Some(e)) => {
                    let ep = format!("{p}.events_per_year");
                    if self.finite(&ep, e) && !(e > 0.0 && e <= 365.0) {
                        self.issue(ep, format!("must be > 0 and <= 365, got {e}"), Some("e.g. 2".into()));
                    }
                }
            }
            self.time_dist(&format!("{p}.duration_hours"), &d.duration_hours);
        }
    }

    fn targets(&mut self) {
        use super::target::{SubjectProblem, kinds_phrase, resolve_subject};
        use crate::metrics::{CATALOGUE, Metric, SubjectKind};
        for (t, p) in self.s.targets.iter().zip(self.target_paths.clone()) {
            let metric = Metric::from_name(&t.metric);
            if metric.is_none() {
                let hint =
                    Self::hint_closest(&t.metric, CATALOGUE.iter().map(|m| m.name), "metrics");
                self.issue(
                    format!("{p}.metric"),
                    format!("unknown metric `{}`", t.metric),
                    hint,
                );
            }
            let s = self.s;
            match resolve_subject(s, metric, &t.subject) {
                Ok(_) => {}
                Err(SubjectProblem::Unknown) => {
                    let all = std::iter::once("corridor")
                        .chain(s.nodes.iter().map(|n| n.id.as_str()))
                        .chain(s.links.iter().map(|l| l.id.as_str()))
                        .chain(s.flows.iter().map(|f| f.id.as_str()))
                        .chain(s.routes.iter().map(|r| r.id.as_str()))
                        .chain(s.wagon_pools.iter().map(|r| r.id.as_str()));
                    let hint = match closest(&t.subject, all) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => {
                            "use \"corridor\" or the id of a node, link, flow or route".to_string()
                        }
                    };
                    self.issue(
                        format!("{p}.subject"),
                        format!("unknown subject `{}`", t.subject),
                        Some(hint),
                    );
                }
                Err(SubjectProblem::NotMeasured(kinds)) => {
                    let m = metric.map_or("", |m| m.name());
                    let measured: Vec<SubjectKind> = metric
                        .map(|m| m.info().subjects.to_vec())
                        .unwrap_or_default();
                    self.issue(
                        format!("{p}.subject"),
                        format!(
                            "`{m}` is not measured for `{}` ({})",
                            t.subject,
                            kinds_phrase(&kinds, true)
                        ),
                        Some(format!(
                            "`{m}` is measured for: {}",
                            kinds_phrase(&measured, false)
                        )),
                    );
                }
                Err(SubjectProblem::Ambiguous(kinds)) => {
                    let forms: Vec<String> = kinds
                        .iter()
                        .map(|k| format!("`{}.{}`", k.section(), t.subject))
                        .collect();
                    self.issue(
                        format!("{p}.subject"),
                        format!(
                            "`{}` names {}, and the metric is measured for each",
                            t.subject,
                            kinds_phrase(&kinds, true)
                        ),
                        Some(format!("say which: {}", forms.join(" or "))),
                    );
                }
            }
            self.year_in_horizon(&format!("{p}.year"), t.year, false);
            self.finite(&format!("{p}.threshold"), t.threshold);
        }
    }
}

impl Validator<'_> {
    /// Investments and the appraisal's parameters (docs/appraisal.md).
    fn investments(&mut self) {
        use super::schema::CapexSpec;
        let s = self.s;
        let paths = entry_paths("investments", s.investments.iter().map(|x| x.id.as_str()));
        for (inv, p) in s.investments.iter().zip(&paths) {
            match &inv.capex_eur {
                CapexSpec::Total(x) => self.non_negative(&format!("{p}.capex_eur"), *x),
                CapexSpec::ByYear(m) => {
                    if m.is_empty() {
                        self.issue(
                            format!("{p}.capex_eur"),
                            "no amounts",
                            Some("e.g. capex_eur = { \"2026\" = 60e6 } or capex_eur = 60e6".into()),
                        );
                    }
                    for (year, x) in m {
                        let yp = format!("{p}.capex_eur.{year}");
                        match year.parse::<i32>() {
                            Ok(y) if YEAR_RANGE.contains(&y) => self.non_negative(&yp, *x),
                            _ => self.issue(
                                yp,
                                format!("`{year}` is not a year"),
                                Some(format!(
                                    "a year between {} and {}",
                                    YEAR_RANGE.start(),
                                    YEAR_RANGE.end()
                                )),
                            ),
                        }
                    }
                }
            }
            self.non_negative(&format!("{p}.opex_eur_per_year"), inv.opex_eur_per_year);
            if !(1..=200).contains(&inv.life_years) {
                self.issue(
                    format!("{p}.life_years"),
                    format!("must be between 1 and 200, got {}", inv.life_years),
                    Some("e.g. 25 for a port terminal".into()),
                );
            }
            if !s
                .timeline
                .iter()
                .any(|c| c.investment.as_deref() == Some(inv.id.as_str()))
            {
                self.issue(
                    p.clone(),
                    format!("investment `{}` is used by no timeline change", inv.id),
                    Some(format!(
                        "add investment = \"{}\" to the [[timeline]] changes it makes",
                        inv.id
                    )),
                );
            }
        }
        for (c, p) in s.timeline.iter().zip(self.change_paths.clone()) {
            if let Some(name) = &c.investment {
                if !s.investments.iter().any(|i| &i.id == name) {
                    let hint = Self::hint_closest(
                        name,
                        s.investments.iter().map(|i| i.id.as_str()),
                        "investments",
                    );
                    self.issue(
                        format!("{p}.investment"),
                        format!("unknown investment `{name}`"),
                        hint,
                    );
                }
            }
        }
        if let Some(a) = &s.appraisal {
            if self.finite("appraisal.discount_rate", a.discount_rate)
                && !(a.discount_rate > -1.0 && a.discount_rate < 1.0)
            {
                self.issue(
                    "appraisal.discount_rate",
                    format!(
                        "must be between -1 and 1 (exclusive), got {}",
                        a.discount_rate
                    ),
                    Some("a rate per year as a fraction, e.g. 0.09 for 9%".into()),
                );
            }
            if let Some(y) = a.base_year {
                if !YEAR_RANGE.contains(&y) {
                    self.issue(
                        "appraisal.base_year",
                        format!("`{y}` is not a plausible year"),
                        None,
                    );
                }
            }
            self.non_negative(
                "appraisal.value_of_time_eur_per_teu_day",
                a.value_of_time_eur_per_teu_day,
            );
            self.non_negative(
                "appraisal.value_eur_per_teu_gained",
                a.value_eur_per_teu_gained,
            );
        }
    }
}

impl Validator<'_> {
    /// The reporting currency, the exchange rates and every tariff of nodes and links:
    /// known currencies, a rate for each currency used in every simulated year, no
    /// negative amounts (docs/scenario-format.md § Costs).
    fn costs(&mut self) {
        use super::money::{CURRENCIES, RateSpec};
        let s = self.s;
        let default = super::money::CostsSpec::default();
        let costs = s.costs.as_ref().unwrap_or(&default);
        let (first, last) = self.horizon();
        let known = |c: &str| CURRENCIES.contains(&c);
        let currency_hint =
            |c: &str| Self::hint_closest(c, CURRENCIES.iter().copied(), "currencies");
        if !known(&costs.currency) {
            self.issue(
                "costs.currency",
                format!("unknown currency `{}`", costs.currency),
                currency_hint(&costs.currency),
            );
        }
        for (code, rate) in &costs.exchange_rates {
            let p = format!("costs.exchange_rates.{code}");
            if !known(code) {
                self.issue(
                    p.clone(),
                    format!("unknown currency `{code}`"),
                    currency_hint(code),
                );
            }
            let rate_ok = |v: &mut Self, path: &str, r: f64| {
                if v.finite(path, r) && r <= 0.0 {
                    v.issue(
                        path,
                        format!("an exchange rate must be > 0, got {r}"),
                        Some(format!("units of {} per {code}", costs.currency)),
                    );
                }
            };
            match rate {
                RateSpec::Fixed(r) => rate_ok(self, &p, *r),
                RateSpec::ByYear(m) => {
                    for (year, r) in m {
                        let yp = format!("{p}.{year}");
                        match year.parse::<i32>() {
                            Ok(y) if YEAR_RANGE.contains(&y) => rate_ok(self, &yp, *r),
                            _ => self.issue(yp, format!("`{year}` is not a year"), None),
                        }
                    }
                }
            }
        }
        // The appraisal adds tariff savings to benefits in EUR (its fields are `*_eur`).
        if costs.currency != "EUR"
            && (!s.investments.is_empty() || s.appraisal.is_some())
            && s.reporting_currency().is_some()
        {
            self.issue(
                "costs.currency",
                format!(
                    "the appraisal counts in EUR, but costs are reported in {}",
                    costs.currency
                ),
                Some(
                    "set currency = \"EUR\" in [costs] (amounts may stay in their own currencies)"
                        .into(),
                ),
            );
        }
        // Every amount: a known currency with a rate in every simulated year, >= 0.
        let mut amounts: Vec<(String, &super::money::Money)> = Vec::new();
        let node_paths = entry_paths("nodes", s.nodes.iter().map(|n| n.id.as_str()));
        for (n, p) in s.nodes.iter().zip(&node_paths) {
            if let Some(m) = &n.handling_cost_per_teu {
                amounts.push((format!("{p}.handling_cost_per_teu"), m));
            }
            if let Some(m) = &n.border_cost_per_teu {
                amounts.push((format!("{p}.border_cost_per_teu"), m));
            }
        }
        let link_paths = entry_paths("links", s.links.iter().map(|l| l.id.as_str()));
        for (l, p) in s.links.iter().zip(&link_paths) {
            if let Some(m) = &l.cost_per_teu {
                amounts.push((format!("{p}.cost_per_teu"), m));
            }
            if let Some(m) = &l.cost_per_teu_km {
                amounts.push((format!("{p}.cost_per_teu_km"), m));
                if l.distance_km.is_none() {
                    self.issue(
                        format!("{p}.cost_per_teu_km"),
                        "a tariff per km needs the link's `distance_km`",
                        Some("add distance_km, or state the tariff per TEU as cost_per_teu".into()),
                    );
                }
            }
        }
        let flow_paths = self.flow_paths.clone();
        for (f, p) in s.flows.iter().zip(&flow_paths) {
            if let Some(m) = &f.value_of_time_per_teu_day {
                amounts.push((format!("{p}.value_of_time_per_teu_day"), m));
            }
            if let Some(m) = &f.value_of_reliability_per_teu_day {
                amounts.push((format!("{p}.value_of_reliability_per_teu_day"), m));
            }
            if let Some(m) = f
                .market
                .as_ref()
                .and_then(|m| m.outside_cost_per_teu.as_ref())
            {
                amounts.push((format!("{p}.market.outside_cost_per_teu"), m));
            }
        }
        let alt_paths = entry_paths("alternatives", s.alternatives.iter().map(|a| a.id.as_str()));
        let mut signed: Vec<String> = Vec::new();
        for (a, p) in s.alternatives.iter().zip(&alt_paths) {
            amounts.push((format!("{p}.cost_per_teu"), &a.cost_per_teu));
            if let Some(m) = &a.constant_per_teu {
                // A constant stands for what the model leaves out: it may favour or penalise.
                signed.push(format!("{p}.constant_per_teu"));
                amounts.push((format!("{p}.constant_per_teu"), m));
            }
        }
        for (p, m) in amounts {
            if self.finite(&p, m.amount) && m.amount < 0.0 && !signed.contains(&p) {
                self.issue(
                    p.clone(),
                    format!("a cost cannot be negative, got {m}"),
                    Some("a tariff, fee or charge of 0 or more".into()),
                );
            }
            if !known(&m.currency) {
                self.issue(
                    p,
                    format!("unknown currency `{}`", m.currency),
                    currency_hint(&m.currency),
                );
                continue;
            }
            let missing: Vec<i32> = (first..=last)
                .filter(|&y| costs.rate(&m.currency, y).is_none())
                .collect();
            if let (Some(y0), Some(y1)) = (missing.first(), missing.last()) {
                let years = if y0 == y1 {
                    y0.to_string()
                } else {
                    format!("{} of the years {y0}–{y1}", missing.len())
                };
                self.issue(
                    p,
                    format!(
                        "no exchange rate from {} to {} for {years}",
                        m.currency, costs.currency
                    ),
                    Some(format!(
                        "add [costs.exchange_rates] {} = <{} per {}> (one number for every year, or {{ {y0} = ..., ... }})",
                        m.currency, costs.currency, m.currency
                    )),
                );
            }
        }
    }

    /// Route choice, markets and alternatives (docs/model.md § 1.7).
    fn choice(&mut self) {
        let s = self.s;
        let alt_ids: Vec<&str> = s.alternatives.iter().map(|a| a.id.as_str()).collect();
        let mut used: HashSet<&str> = HashSet::new();
        for (f, p) in s.flows.iter().zip(self.flow_paths.clone()) {
            let needs_vot = f.route_choice.is_some() || f.market.is_some();
            if needs_vot && f.value_of_time_per_teu_day.is_none() {
                self.issue(
                    format!("{p}.value_of_time_per_teu_day"),
                    "a flow that chooses (route_choice or market) needs its shippers' value of time",
                    Some("e.g. value_of_time_per_teu_day = \"300 EUR\" (cargo holding cost per TEU-day)".into()),
                );
            }
            if let Some(rc) = &f.route_choice {
                let rp = format!("{p}.route_choice");
                if f.routes.len() < 2 {
                    self.issue(
                        rp.clone(),
                        format!(
                            "route choice on a flow with {} route: there is nothing to choose",
                            f.routes.len()
                        ),
                        Some("add another route to the flow, or drop route_choice".into()),
                    );
                }
                match (rc.rule, rc.dispersion) {
                    (ChoiceRule::Logit, None) => self.issue(
                        format!("{rp}.dispersion"),
                        "a logit needs its dispersion",
                        Some("e.g. dispersion = 0.002 (per unit of the reporting currency), or rule = \"cheapest\"".into()),
                    ),
                    (_, Some(d)) => self.dispersion(&format!("{rp}.dispersion"), d),
                    _ => {}
                }
                let mp = format!("{rp}.memory_days");
                if self.finite(&mp, rc.memory_days) && rc.memory_days < 1.0 {
                    self.issue(
                        mp,
                        format!("must be at least 1 day, got {}", rc.memory_days),
                        Some("observed times are averaged day by day; e.g. memory_days = 7".into()),
                    );
                }
            }
            let Some(m) = &f.market else { continue };
            let mp = format!("{p}.market");
            if m.alternatives.is_empty() {
                self.issue(
                    format!("{mp}.alternatives"),
                    "a market needs at least one alternative to the corridor",
                    Some(
                        "e.g. alternatives = [\"northern-rail\"], each defined in [[alternatives]]"
                            .into(),
                    ),
                );
            }
            for (i, a) in m.alternatives.iter().enumerate() {
                if alt_ids.contains(&a.as_str()) {
                    used.insert(a.as_str());
                } else {
                    let hint = Self::hint_closest(a, alt_ids.iter().copied(), "alternatives");
                    self.issue(
                        format!("{mp}.alternatives[{i}]"),
                        format!("unknown alternative `{a}`"),
                        hint,
                    );
                }
            }
            self.dispersion(&format!("{mp}.dispersion"), m.dispersion);
            self.in_range(
                &format!("{mp}.initial_share"),
                m.initial_share,
                0.0,
                1.0,
                "the corridor's share of the contestable market at the start, e.g. 0.05",
            );
            let ip = format!("{mp}.interval_days");
            if self.finite(&ip, m.interval_days) && m.interval_days < 1.0 {
                self.issue(
                    ip,
                    format!("must be at least 1 day, got {}", m.interval_days),
                    Some("shippers re-book monthly or quarterly: e.g. interval_days = 30".into()),
                );
            }
            let dp = format!("{mp}.damping");
            if self.finite(&dp, m.damping) && !(m.damping > 0.0 && m.damping <= 1.0) {
                self.issue(
                    dp,
                    format!("must be in (0, 1], got {}", m.damping),
                    Some(
                        "the share of the gap to the logit share closed each interval, e.g. 0.5"
                            .into(),
                    ),
                );
            }
            self.non_negative(&format!("{mp}.outside_days"), m.outside_days);
            let tp = format!("{mp}.teu_per_year");
            if m.teu_per_year.is_empty() {
                self.issue(
                    tp.clone(),
                    "needs at least one year",
                    Some("the whole market, e.g. teu_per_year = { \"2025\" = 1400000 }".into()),
                );
            }
            let mut points: Vec<(i32, f64)> = Vec::new();
            let mut ok = true;
            for (year, teu) in &m.teu_per_year {
                let yp = format!("{tp}.{year}");
                match year.trim().parse::<i32>() {
                    Ok(y) if YEAR_RANGE.contains(&y) => points.push((y, *teu)),
                    _ => {
                        ok = false;
                        self.issue(yp.clone(), format!("`{year}` is not a year"), None)
                    }
                }
                if !teu.is_finite() || *teu < 0.0 || *teu > MAX_TEU_PER_YEAR {
                    ok = false;
                    self.issue(
                        yp,
                        format!("must be between 0 and {MAX_TEU_PER_YEAR} TEU per year (guard rail), got {teu}"),
                        None,
                    );
                }
            }
            let mut committed: Vec<(i32, f64)> = Vec::new();
            for (k, v) in &f.teu_per_year {
                match k.trim().parse::<i32>() {
                    Ok(y) if v.is_finite() => committed.push((y, *v)),
                    _ => ok = false,
                }
            }
            if ok && !points.is_empty() {
                points.sort_by_key(|p| p.0);
                committed.sort_by_key(|p| p.0);
                let (first, last) = self.horizon();
                if let Some((y, c, t)) = (first..=last)
                    .map(|y| {
                        (
                            y,
                            interpolate_teu(&committed, y),
                            interpolate_teu(&points, y),
                        )
                    })
                    .find(|(_, c, t)| c > t)
                {
                    self.issue(
                        tp,
                        format!("the market ({t:.0} TEU in {y}) is smaller than the flow's committed volume ({c:.0} TEU, its teu_per_year)"),
                        Some("the market is the whole of it, corridor and alternatives; the flow's teu_per_year is the part that comes whatever the corridor does".into()),
                    );
                }
            }
        }
        for (a, p) in s
            .alternatives
            .iter()
            .zip(entry_paths("alternatives", alt_ids.iter().copied()))
        {
            let tp = format!("{p}.transit_days");
            if self.finite(&tp, a.transit_days) && a.transit_days <= 0.0 {
                self.issue(
                    tp,
                    format!(
                        "an alternative needs its door-to-door time, got {} days",
                        a.transit_days
                    ),
                    Some("e.g. transit_days = 23 for the northern rail route".into()),
                );
            }
            self.non_negative(&format!("{p}.transit_sd_days"), a.transit_sd_days);
            if !used.contains(a.id.as_str()) {
                self.issue(
                    p.clone(),
                    format!("alternative `{}` is in no flow's market", a.id),
                    Some("name it in a flow's market.alternatives, or remove it".into()),
                );
            }
        }
    }

    fn dispersion(&mut self, path: &str, d: f64) {
        if !d.is_finite() || d <= 0.0 {
            self.issue(
                path,
                format!("a dispersion must be a finite number > 0, got {d}"),
                Some("per unit of the reporting currency: 0.001 means a route 1,000 dearer gets e (2.7) times fewer boxes; for the deterministic limit use rule = \"cheapest\"".into()),
            );
        }
    }
}

fn timetable_message(t: f64) -> String {
    // The field's floor is the catalogue's, said as for a timeline change.
    params::spec(ParamKind::Rail(RailParam::TimetableHours))
        .floor_message(t)
        .unwrap_or_default()
}

/// TEU per year of a flow in `year`: linear between the given years, flat outside; the
/// same rule as the model's (`model::network`), repeated here because validation must not
/// depend on the model.
fn interpolate_teu(points: &[(i32, f64)], year: i32) -> f64 {
    match points.iter().position(|(y, _)| *y >= year) {
        None => points.last().map_or(0.0, |p| p.1),
        Some(0) => points.first().map_or(0.0, |p| p.1),
        Some(i) => match (points.get(i - 1), points.get(i)) {
            (Some(&(y0, v0)), Some(&(y1, v1))) if y1 > y0 => {
                v0 + (v1 - v0) * f64::from(year - y0) / f64::from(y1 - y0)
            }
            _ => 0.0,
        },
    }
}

fn dist_hint() -> String {
    "e.g. { triangular = [min, mode, max] }, { exponential = { mean = 2.5 } }, { constant = 4 }"
        .to_string()
}

/// Longest `run.name`: it becomes a folder name and a part of file names (charts, the
/// compare and sweep folders), which most file systems cap at 255 bytes.
pub const MAX_RUN_NAME_CHARS: usize = 64;

/// Why `name` cannot be a scenario name, or `None`.
pub fn run_name_problem(name: &str) -> Option<String> {
    if name.chars().count() > MAX_RUN_NAME_CHARS {
        return Some(format!(
            "is {} characters long; the limit is {MAX_RUN_NAME_CHARS} (it names the results folder and files)",
            name.chars().count()
        ));
    }
    if name.starts_with('.') {
        return Some(format!(
            "`{name}` starts with `.`; it names the results folder, and `.`, `..` or a hidden name would put results in the wrong place"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(format!(
            "`{name}` contains {c:?}, which is not allowed in a name that becomes a folder"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_use_ids_then_indices_for_duplicates() {
        let p = entry_paths("nodes", ["a", "b", "a", ""]);
        assert_eq!(p, vec!["nodes.a", "nodes.b", "nodes[2]", "nodes[3]"]);
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("aktua", ["aktau", "alat", "poti"]), Some("aktau"));
        assert_eq!(closest("zzzzzzzz", ["aktau", "alat"]), None);
        assert_eq!(closest("zz", ["", "ab"]), None);
        assert_eq!(
            closest("triangle", ["constant", "triangular"]),
            Some("triangular")
        );
    }
}
