//! The catalogue of what a run measures: subject kinds (corridor, node, link, flow, route,
//! wagon pool) and every metric, each described once — name, unit, the kinds of subject it
//! applies to, its range, how a year's value is formed, and what it means.
//!
//! The model records `Metric`s of `Subject`s; validation refuses a target whose metric does
//! not apply to its subject; analysis cuts intervals to a metric's range; the console,
//! report and charts look metrics up here. docs/outputs.md's metric table is checked
//! against this catalogue by a test. This module must never depend on any other part of
//! the crate: it is the vocabulary they share. Across replications every metric is
//! summarised the same way (mean with a Student-t interval), so only the within-year rule
//! varies.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a recorded value is about. Ids are unique within a kind only: a flow and a route
/// may both be called `through`, and they are distinct subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    Corridor,
    Node,
    Link,
    Flow,
    Route,
    WagonPool,
    Investment,
    Alternative,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 8] = [
        SubjectKind::Corridor,
        SubjectKind::Node,
        SubjectKind::Link,
        SubjectKind::Flow,
        SubjectKind::Route,
        SubjectKind::WagonPool,
        SubjectKind::Investment,
        SubjectKind::Alternative,
    ];

    /// The `subject_kind` column's value.
    pub fn name(self) -> &'static str {
        match self {
            SubjectKind::Corridor => "corridor",
            SubjectKind::Node => "node",
            SubjectKind::Link => "link",
            SubjectKind::Flow => "flow",
            SubjectKind::Route => "route",
            SubjectKind::WagonPool => "wagon_pool",
            SubjectKind::Investment => "investment",
            SubjectKind::Alternative => "alternative",
        }
    }

    /// The scenario section that declares subjects of this kind (`nodes`, `links`, ...),
    /// as written in a qualified target subject (`flows.titr-westbound`).
    pub fn section(self) -> &'static str {
        match self {
            SubjectKind::Corridor => "corridor",
            SubjectKind::Node => "nodes",
            SubjectKind::Link => "links",
            SubjectKind::Flow => "flows",
            SubjectKind::Route => "routes",
            SubjectKind::WagonPool => "wagon_pools",
            SubjectKind::Investment => "investments",
            SubjectKind::Alternative => "alternatives",
        }
    }

    /// A plain word for messages: "node", "wagon pool".
    pub fn noun(self) -> &'static str {
        match self {
            SubjectKind::WagonPool => "wagon pool",
            k => k.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<SubjectKind> {
        SubjectKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn from_section(section: &str) -> Option<SubjectKind> {
        SubjectKind::ALL
            .into_iter()
            .find(|k| *k != SubjectKind::Corridor && k.section() == section)
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A subject: its kind and its id (`corridor` for the corridor itself).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

impl Subject {
    pub const CORRIDOR_ID: &'static str = "corridor";

    pub fn new(kind: SubjectKind, id: impl Into<String>) -> Subject {
        Subject {
            kind,
            id: id.into(),
        }
    }

    pub fn corridor() -> Subject {
        Subject::new(SubjectKind::Corridor, Subject::CORRIDOR_ID)
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SubjectKind::Corridor => f.write_str(Subject::CORRIDOR_ID),
            k => write!(f, "{}.{}", k.section(), self.id),
        }
    }
}

/// One quantity a study can hold to a precision (`--precision`): a metric of a subject in
/// one year, or in every year the runs report (`year: None`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    pub metric: Metric,
    pub subject: Subject,
    pub year: Option<i32>,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.metric.name(), self.subject)?;
        if let Some(y) = self.year {
            write!(f, " in {y}")?;
        }
        Ok(())
    }
}

/// The values a metric can take; analysis cuts confidence intervals to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// A share of something: 0 to 1.
    Share,
    /// A count, an amount of TEU or a duration: never below zero.
    NonNegative,
    /// No bound is used (see each metric's note).
    Unbounded,
}

impl Range {
    pub fn bounds(self) -> (f64, f64) {
        match self {
            Range::Share => (0.0, 1.0),
            Range::NonNegative => (0.0, f64::INFINITY),
            Range::Unbounded => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// How one replication forms a year's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithinYear {
    /// A total over the year (TEU, hours, TEU·hours, departures).
    Sum,
    /// A mean over the year's observations or over time.
    Mean,
    /// A quantile of the year's observations.
    Quantile,
    /// The largest value seen in the year.
    Max,
    /// A state at the end of the year.
    YearEnd,
    /// A ratio of two of the year's totals.
    Ratio,
    /// A day of the year.
    Day,
}

macro_rules! catalogue {
    ($( $variant:ident = $name:literal, $unit:literal, [$($kind:ident),+], $range:ident, $within:ident, $meaning:literal; )+) => {
        /// Every metric the model records. Names are stable ids (docs/outputs.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Metric { $($variant),+ }

        /// The catalogue, in `Metric` order.
        pub const CATALOGUE: &[MetricInfo] = &[
            $(MetricInfo {
                metric: Metric::$variant,
                name: $name,
                unit: $unit,
                subjects: &[$(SubjectKind::$kind),+],
                range: Range::$range,
                within_year: WithinYear::$within,
                meaning: $meaning,
            }),+
        ];
    };
}

/// One metric, described once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricInfo {
    pub metric: Metric,
    /// The id in the tables (`delivered_teu`).
    pub name: &'static str,
    pub unit: &'static str,
    /// The kinds of subject the model records it for.
    pub subjects: &'static [SubjectKind],
    pub range: Range,
    pub within_year: WithinYear,
    pub meaning: &'static str,
}

// Ranges: every amount of TEU, count, duration and day is non-negative; shares of
// capacity or of boxes are in [0, 1]. The buffer time index, (p95 − mean) / mean, is
// unbounded: a p95 read from a compressed histogram can sit below a skewed mean.
catalogue! {
    CreatedTeu = "created_teu", "TEU", [Corridor, Flow, Route], NonNegative, Sum,
        "TEU that entered the corridor in the year (for a route: that chose it, when some flow chooses its route)";
    DeliveredTeu = "delivered_teu", "TEU", [Corridor, Flow, Route], NonNegative, Sum,
        "TEU that reached their destination in the year";
    TransitDaysMean = "transit_days_mean", "days", [Corridor, Flow, Route], NonNegative, Mean,
        "mean door-to-door time of the boxes delivered in the year";
    TransitDaysP50 = "transit_days_p50", "days", [Corridor, Flow, Route], NonNegative, Quantile,
        "median door-to-door time of the boxes delivered in the year";
    TransitDaysP95 = "transit_days_p95", "days", [Corridor, Flow, Route], NonNegative, Quantile,
        "95th percentile of the door-to-door time of the boxes delivered in the year";
    BufferTimeIndex = "buffer_time_index", "share", [Flow], Unbounded, Ratio,
        "(p95 − mean) / mean of the flow's transit";
    OnTimeShare = "on_time_share", "share", [Flow], Share, Ratio,
        "share of the flow's delivered boxes that took no longer than its promised days";
    UndeliveredAgeDaysMean = "undelivered_age_days_mean", "days", [Corridor, Flow], NonNegative, YearEnd,
        "mean age at the end of the year of the boxes neither delivered nor diverted";
    BacklogTeu = "backlog_teu", "TEU", [Corridor], NonNegative, YearEnd,
        "TEU held outside full yards at the end of the year";
    InSystemTeu = "in_system_teu", "TEU", [Corridor], NonNegative, YearEnd,
        "TEU in the corridor at the end of the year";
    DivertedTeu = "diverted_teu", "TEU", [Corridor, Node, Flow], NonNegative, Sum,
        "TEU that left the corridor after waiting longer than their flow's patience";
    HandledTeu = "handled_teu", "TEU", [Node], NonNegative, Sum,
        "TEU lifted by the node's cranes in the year";
    WaitHoursMean = "wait_hours_mean", "hours", [Node, Link], NonNegative, Mean,
        "mean wait per container at the node or for the link";
    WaitTeuHours = "wait_teu_hours", "TEU·hours", [Node, Link], NonNegative, Sum,
        "total waiting, weighted by TEU";
    Utilization = "utilization", "share", [Node, Link], Share, Ratio,
        "busy crane, path or vessel time over the time available";
    BerthUtilization = "berth_utilization", "share", [Node], Share, Ratio,
        "busy berth time over the berth time available";
    FerryBerthUtilization = "ferry_berth_utilization", "share", [Node], Share, Ratio,
        "busy rail-ferry berth time over the ferry berth time available";
    QueueMean = "queue_mean", "containers", [Node], NonNegative, Mean,
        "time-average number of containers waiting for a crane";
    QueueMax = "queue_max", "containers", [Node], NonNegative, Max,
        "largest number of containers waiting for a crane";
    YardOccupancyMeanTeu = "yard_occupancy_mean_teu", "TEU", [Node], NonNegative, Mean,
        "time-average yard occupancy";
    YardOccupancyMaxTeu = "yard_occupancy_max_teu", "TEU", [Node], NonNegative, Max,
        "largest yard occupancy";
    CarriedTeu = "carried_teu", "TEU", [Link], NonNegative, Sum,
        "TEU loaded on the link's departures in the year";
    Departures = "departures", "trains or sailings", [Link], NonNegative, Sum,
        "departures in the year";
    LoadFactorMean = "load_factor_mean", "share", [Link], Share, Mean,
        "mean share of usable capacity filled per departure";
    StormHours = "storm_hours", "hours", [Link], NonNegative, Sum,
        "hours a sea link was closed by storms in the year";
    VesselsMean = "vessels_mean", "vessels", [Link], NonNegative, Mean,
        "time-average fleet size of a sea link";
    WagonSetsBusyShare = "wagon_sets_busy_share", "share", [WagonPool], Share, Mean,
        "time-average share of the pool's sets out with a train or returning";
    WagonWaitHours = "wagon_wait_hours", "hours", [WagonPool], NonNegative, Sum,
        "hours links spent with a train due and no set of this pool";
    CraneBindingTeuHours = "crane_binding_teu_hours", "TEU·hours", [Node], NonNegative, Sum,
        "waiting charged to the node's cranes";
    BerthBindingTeuHours = "berth_binding_teu_hours", "TEU·hours", [Node], NonNegative, Sum,
        "waiting charged to the node's berths";
    YardBindingTeuHours = "yard_binding_teu_hours", "TEU·hours", [Node], NonNegative, Sum,
        "waiting outside the full yard not passed on to what keeps it full";
    FleetBindingTeuHours = "fleet_binding_teu_hours", "TEU·hours", [Link], NonNegative, Sum,
        "TEU waiting at the origin with no vessel there while every vessel is working";
    PathBindingTeuHours = "path_binding_teu_hours", "TEU·hours", [Link], NonNegative, Sum,
        "TEU waiting with a train due and no free path";
    WagonBindingTeuHours = "wagon_binding_teu_hours", "TEU·hours", [WagonPool], NonNegative, Sum,
        "TEU waiting with a train due and no set of the pool";
    CargoWaitTeuHours = "cargo_wait_teu_hours", "TEU·hours", [Link], NonNegative, Sum,
        "TEU waiting for a train or vessel that is there to fill up";
    WeatherTeuHours = "weather_teu_hours", "TEU·hours", [Link], NonNegative, Sum,
        "TEU held by storms or closures";
    StallDays = "stall_days", "days", [Node, Link], NonNegative, Sum,
        "days in the year during a stall";
    StallStartDay = "stall_start_day", "day of year", [Node, Link], NonNegative, Day,
        "when the first stall of the year began";
    NodeHoursMean = "node_hours_mean", "hours", [Node], NonNegative, Mean,
        "mean hours from a box's arrival at the node (its entry, at an origin) to boarding the next train or vessel; at a border, CAREC CPMM's time to clear it";
    MovingHoursMean = "moving_hours_mean", "hours", [Link], NonNegative, Mean,
        "mean hours from boarding a train or vessel of the link to arriving at its end";
    LegHoursMean = "leg_hours_mean", "hours", [Link], NonNegative, Mean,
        "mean hours from arriving at the link's origin to arriving at its end: time at the origin plus moving";
    SpeedKmPerHour = "speed_km_per_hour", "km/h", [Link], NonNegative, Ratio,
        "a link's distance over its leg hours: CAREC CPMM's speed with delay";
    MovingSpeedKmPerHour = "moving_speed_km_per_hour", "km/h", [Link], NonNegative, Ratio,
        "a link's distance over its moving hours: CAREC CPMM's speed without delay";
    CostPerTeu = "cost_per_teu", "currency/TEU", [Corridor, Node, Link, Flow, Route], NonNegative, Ratio,
        "tariffs per TEU in the reporting currency: a node's or link's own, a route's sum, a flow's and the corridor's mean over the TEU they delivered";
    CapexEur = "capex_eur", "EUR", [Corridor, Investment], NonNegative, Sum,
        "capital expenditure in the year, as the scenario's investments state it";
    OpexEur = "opex_eur", "EUR", [Corridor, Investment], NonNegative, Sum,
        "operating cost in the year, over each investment's life from the year it opens";
    CostPer500Km = "cost_per_500_km", "currency/TEU", [Link], NonNegative, Ratio,
        "a rail link's tariff per TEU for 500 km: CAREC CPMM's corridor cost indicator";
    GeneralizedCostPerTeu = "generalized_cost_per_teu", "currency/TEU", [Flow, Alternative], Unbounded, Mean,
        "mean over the year's days of the cost shippers weigh: tariffs + value of time × expected days + value of reliability × their standard deviation (a market flow's with the legs outside the network; an alternative's with its constant, which may be negative)";
    MarketShare = "market_share", "share", [Flow, Alternative], Share, Mean,
        "time-mean share of the contestable market (market minus committed) the corridor wins for the flow, or the alternative takes";
    MarketTeu = "market_teu", "TEU", [Flow], NonNegative, Sum,
        "the whole market the flow competes in, corridor and alternatives (an input)";
    LostTeu = "lost_teu", "TEU", [Flow], NonNegative, Sum,
        "contestable TEU the alternatives took in the year (expected, from the shares)";
    MarketShareSwing = "market_share_swing", "share", [Flow], Share, Max,
        "largest change of the market share at one re-evaluation in the year: near 0 once it has settled";
}

impl Metric {
    pub fn info(self) -> &'static MetricInfo {
        &CATALOGUE[self as usize]
    }

    /// The id in the tables.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        CATALOGUE.iter().find(|m| m.name == name).map(|m| m.metric)
    }

    /// A phrase for sentences and legends ("TEU delivered"); the id where none is set.
    pub fn label(self) -> &'static str {
        match self {
            Metric::DeliveredTeu => "TEU delivered",
            Metric::CreatedTeu => "TEU created",
            Metric::CarriedTeu => "TEU carried",
            Metric::HandledTeu => "TEU handled",
            Metric::BacklogTeu => "TEU in backlog",
            Metric::InSystemTeu => "TEU in the corridor",
            Metric::TransitDaysMean => "mean transit days",
            Metric::TransitDaysP50 => "median transit days",
            Metric::TransitDaysP95 => "95th-percentile transit days",
            Metric::WaitHoursMean => "mean hours waited per box",
            Metric::WaitTeuHours => "TEU-hours waited",
            Metric::Utilization => "utilization",
            Metric::BerthUtilization => "berth utilization",
            m => m.name(),
        }
    }

    /// A chart axis title ("Delivered TEU"); the id where none is set.
    pub fn title(self) -> &'static str {
        match self {
            Metric::DeliveredTeu => "Delivered TEU",
            Metric::CreatedTeu => "TEU entering the corridor",
            Metric::HandledTeu => "Handled TEU",
            Metric::CarriedTeu => "Carried TEU",
            Metric::TransitDaysMean => "Mean transit time",
            Metric::TransitDaysP50 => "Median transit time",
            Metric::TransitDaysP95 => "95th percentile transit time",
            Metric::BacklogTeu => "Backlog, TEU",
            Metric::Utilization => "Utilization",
            Metric::WaitTeuHours => "TEU-hours waited",
            m => m.name(),
        }
    }

    /// The capacity a `*_binding_teu_hours` metric charges ("berths", "wagon sets").
    pub fn binding_capacity(self) -> Option<&'static str> {
        Some(match self {
            Metric::BerthBindingTeuHours => "berths",
            Metric::CraneBindingTeuHours => "cranes",
            Metric::YardBindingTeuHours => "yard",
            Metric::FleetBindingTeuHours => "fleet",
            Metric::PathBindingTeuHours => "train paths",
            Metric::WagonBindingTeuHours => "wagon sets",
            _ => return None,
        })
    }

    /// Whether the model records this metric for subjects of `kind`.
    pub fn applies_to(self, kind: SubjectKind) -> bool {
        self.info().subjects.contains(&kind)
    }

    /// The share of waiting charged to one capacity (docs/outputs.md, "What binds").
    pub fn is_binding(self) -> bool {
        self.binding_capacity().is_some()
    }

    /// A share of a capacity's time (0–1), drawn as a utilization.
    pub fn is_utilization(self) -> bool {
        matches!(
            self,
            Metric::Utilization | Metric::BerthUtilization | Metric::FerryBerthUtilization
        )
    }

    pub fn all() -> impl Iterator<Item = Metric> {
        CATALOGUE.iter().map(|m| m.metric)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Metric {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Metric, D::Error> {
        let name = String::deserialize(d)?;
        Metric::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown metric `{name}`")))
    }
}

impl Serialize for SubjectKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SubjectKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SubjectKind, D::Error> {
        let name = String::deserialize(d)?;
        SubjectKind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown subject kind `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_in_enum_order_with_unique_names() {
        for (i, m) in CATALOGUE.iter().enumerate() {
            assert_eq!(m.metric as usize, i, "{} out of order", m.name);
            assert_eq!(Metric::from_name(m.name), Some(m.metric));
            assert!(!m.subjects.is_empty());
        }
        let mut names: Vec<_> = CATALOGUE.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
        assert_eq!(Metric::from_name("no_such_metric"), None);
    }

    #[test]
    fn kinds_round_trip_by_name_and_section() {
        for k in SubjectKind::ALL {
            assert_eq!(SubjectKind::from_name(k.name()), Some(k));
        }
        assert_eq!(
            SubjectKind::from_section("wagon_pools"),
            Some(SubjectKind::WagonPool)
        );
        assert_eq!(SubjectKind::from_section("corridor"), None);
        assert_eq!(
            Subject::new(SubjectKind::Flow, "through").to_string(),
            "flows.through"
        );
        assert_eq!(Subject::corridor().to_string(), "corridor");
    }

    /// docs/outputs.md's metric table names every catalogue metric once, with the same
    /// subject kinds and unit, and nothing else.
    #[test]
    fn the_documented_table_is_the_catalogue() {
        let docs = include_str!("../docs/outputs.md");
        let table = docs
            .split("\n## Metrics\n")
            .nth(1)
            .expect("a Metrics section")
            .split("\n## ")
            .next()
            .unwrap();
        let mut seen = Vec::new();
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split(" | ").collect();
            let subjects = cells[1];
            let kinds: Vec<SubjectKind> = SubjectKind::ALL
                .into_iter()
                .filter(|k| subjects.contains(k.noun()))
                .collect();
            for name in cells[0].trim_start_matches("| ").split(", ") {
                let name = name.trim_matches('`');
                let m = Metric::from_name(name)
                    .unwrap_or_else(|| panic!("docs name `{name}`, not in the catalogue"));
                assert_eq!(m.info().subjects, kinds.as_slice(), "subjects of {name}");
                assert!(
                    cells[2].starts_with(m.info().unit),
                    "unit of {name}: docs `{}`, catalogue `{}`",
                    cells[2],
                    m.info().unit
                );
                seen.push(m);
            }
        }
        let mut all: Vec<Metric> = Metric::all().collect();
        seen.sort();
        all.sort();
        assert_eq!(seen, all, "every metric documented exactly once");
    }
}
