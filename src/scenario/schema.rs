//! The scenario file format: the serde structures a scenario TOML file deserialises into.
//!
//! Field names carry their units (`_teu`, `_hours`, `_km`, `_per_day`, `_eur`). Every field
//! is documented in `docs/scenario-format.md`, which must change in the same commit as this
//! file. These types hold ids as strings, exactly as written; they are checked by
//! `validate` and resolved to indices by the model. This module must never do I/O or
//! simulation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::DistSpec;

use super::money::{CostsSpec, Money};

/// A whole scenario file (after `extends` has been resolved, the merged file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioFile {
    /// Path of a base scenario, relative to this file. Entries of this file override the
    /// base's entries with the same id, field by field; new ids are added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// Entries of the base to drop, as `section.id` (e.g. `"nodes.kuryk"`, `"flows.uzbek"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    pub run: RunSpec,
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// Pools of rail wagon sets (one per gauge network or operator) that rail links draw
    /// their trains from.
    #[serde(default)]
    pub wagon_pools: Vec<WagonPoolSpec>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    #[serde(default)]
    pub flows: Vec<FlowSpec>,
    #[serde(default)]
    pub timeline: Vec<ChangeSpec>,
    #[serde(default)]
    pub disruptions: Vec<DisruptionSpec>,
    #[serde(default)]
    pub targets: Vec<TargetSpec>,
    /// Named investments: groups of timeline changes with their capex, opex and life.
    #[serde(default)]
    pub investments: Vec<InvestmentSpec>,
    /// How investments are appraised (docs/appraisal.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appraisal: Option<AppraisalSpec>,
    /// The reporting currency and exchange rates for the tariffs of nodes and links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<CostsSpec>,
    /// Ways to ship outside the corridor (the northern rail route, the sea), against which
    /// a flow with a `market` competes.
    #[serde(default)]
    pub alternatives: Vec<AlternativeSpec>,
}

impl ScenarioFile {
    /// The currency costs are reported in (`[costs] currency`, EUR by default), when a
    /// node or link states a tariff; None when the scenario prices nothing.
    pub fn reporting_currency(&self) -> Option<String> {
        let priced = self
            .nodes
            .iter()
            .any(|n| n.handling_cost_per_teu.is_some() || n.border_cost_per_teu.is_some())
            || self
                .links
                .iter()
                .any(|l| l.cost_per_teu.is_some() || l.cost_per_teu_km.is_some())
            || self.flows.iter().any(|f| {
                f.value_of_time_per_teu_day.is_some()
                    || f.route_choice.is_some()
                    || f.market.is_some()
            });
        priced.then(|| self.costs.clone().unwrap_or_default().currency)
    }
}

/// A named investment. Its timeline changes name it (`investment = "<id>"`); it opens
/// with the first of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestmentSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Capital expenditure in EUR: a total, spent in the year the investment opens, or
    /// amounts by year, e.g. `{ "2026" = 60e6, "2027" = 40e6 }`.
    pub capex_eur: CapexSpec,
    /// Operating cost per year of operation, in EUR.
    #[serde(default)]
    pub opex_eur_per_year: f64,
    /// Years of operation from the year it opens.
    pub life_years: u32,
}

impl InvestmentSpec {
    /// The year it opens: that of its earliest timeline change (`s.run.first_year` when
    /// none names it, which validation refuses).
    pub fn opens_year(&self, s: &ScenarioFile) -> i32 {
        s.timeline
            .iter()
            .filter(|c| c.investment.as_deref() == Some(self.id.as_str()))
            .map(|c| c.date.year)
            .min()
            .unwrap_or(s.run.first_year)
    }

    /// Capex by calendar year: a total is spent in the year it opens.
    pub fn capex_by_year(&self, opens_year: i32) -> Vec<(i32, f64)> {
        match &self.capex_eur {
            CapexSpec::Total(x) => vec![(opens_year, *x)],
            CapexSpec::ByYear(m) => m
                .iter()
                .filter_map(|(y, x)| Some((y.parse::<i32>().ok()?, *x)))
                .collect(),
        }
    }
}

/// Capex as one total or by year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CapexSpec {
    Total(f64),
    ByYear(BTreeMap<String, f64>),
}

/// The appraisal's parameters; every field has a default (docs/appraisal.md says why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppraisalSpec {
    /// Real discount rate per year.
    #[serde(default = "default_discount_rate")]
    pub discount_rate: f64,
    /// Year amounts are discounted to (default: the first simulated year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_year: Option<i32>,
    /// Shippers' value of time per TEU and day, in EUR.
    #[serde(default)]
    pub value_of_time_eur_per_teu_day: f64,
    /// What one more TEU carried is worth, in EUR (0: time savings only).
    #[serde(default)]
    pub value_eur_per_teu_gained: f64,
    /// The last simulated year's benefit continues to the end of each investment's life.
    #[serde(default = "default_true")]
    pub extend_to_life: bool,
}

impl Default for AppraisalSpec {
    fn default() -> Self {
        AppraisalSpec {
            discount_rate: default_discount_rate(),
            base_year: None,
            value_of_time_eur_per_teu_day: 0.0,
            value_eur_per_teu_gained: 0.0,
            extend_to_life: true,
        }
    }
}

/// ADB's minimum economic rate of return for transport projects, 9% real (docs/appraisal.md).
fn default_discount_rate() -> f64 {
    0.09
}

fn default_true() -> bool {
    true
}

fn default_seed() -> u64 {
    1
}
fn default_replications() -> u32 {
    10
}
fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// First calendar year reported (statistics start on 1 January of it).
    pub first_year: i32,
    /// Last calendar year simulated and reported (inclusive).
    pub last_year: i32,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Days simulated before 1 January of `first_year` and discarded, so that statistics do
    /// not start from an empty corridor.
    #[serde(default)]
    pub warmup_days: f64,
    /// A place where boxes wait and nothing has left for this many days is a stall:
    /// reported by place and year (`stall_days`, `stall_start_day`).
    #[serde(default = "default_stall_days")]
    pub stall_days: f64,
}

fn default_stall_days() -> f64 {
    30.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A rail terminal or dry port.
    #[default]
    Terminal,
    /// A border crossing, often with a gauge change (1435 ↔ 1520 mm).
    Border,
    /// A sea port (berths for vessels).
    Port,
    /// Where containers enter or leave the modelled network (origin or destination).
    Gateway,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Latitude in degrees north, for maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude in degrees east, for maps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Servers that handle every arriving container one at a time (cranes, reach stackers,
    /// transshipment tracks). 0 means no handling step.
    #[serde(default)]
    pub cranes: u32,
    /// Time for one server to handle one container (box), in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_minutes: Option<DistSpec>,
    /// Multiplier on handling times (a timeline lever: faster equipment).
    #[serde(default = "one")]
    pub handling_scale: f64,
    /// Customs, inspection and paperwork after handling, per container, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwell_hours: Option<DistSpec>,
    /// Multiplier on dwell times (a timeline lever: digital documents).
    #[serde(default = "one")]
    pub dwell_scale: f64,
    /// Yard capacity in TEU; absent means unlimited. A full yard holds arriving trains and
    /// vessels upstream; containers are never dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yard_capacity_teu: Option<f64>,
    /// Berths for vessels of the sea links that start or end here.
    #[serde(default)]
    pub berths: u32,
    /// Fixed part of a vessel's call at a berth, in hours: mooring, pilotage, formalities,
    /// whatever the vessel carries. The berth is held this long plus the moves below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vessel_call_hours: Option<DistSpec>,
    /// Quay cranes working one vessel at a berth (container feeders).
    #[serde(default = "one_u32")]
    pub quay_cranes_per_vessel: u32,
    /// Box moves per hour of one quay crane: a feeder's call adds the boxes it unloads or
    /// loads divided by (quay_cranes_per_vessel × quay_moves_per_hour) hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quay_moves_per_hour: Option<f64>,
    /// Rail wagons rolled off or on a rail ferry per hour: a rail ferry's call adds the
    /// wagons it unloads or loads divided by this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ferry_wagons_per_hour: Option<f64>,
    /// Berths kept for rail ferries (Alat has 2 beside its container berths); 0: rail
    /// ferries use the container `berths`.
    #[serde(default)]
    pub ferry_berths: u32,
    /// Fixed part of a rail ferry's call, in hours; absent: `vessel_call_hours`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ferry_call_hours: Option<DistSpec>,
    /// Terminal handling charge per TEU, paid by every box whose route passes through
    /// the node (`"290 USD"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_cost_per_teu: Option<Money>,
    /// Border-crossing and gauge-change fees per TEU (CAREC CPMM's "cost to clear a
    /// border crossing point").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub border_cost_per_teu: Option<Money>,
}

fn one_u32() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMode {
    Rail,
    Sea,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkSpec {
    pub id: String,
    pub from: String,
    pub to: String,
    pub mode: LinkMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// Required when `mode = "rail"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rail: Option<RailSpec>,
    /// Required when `mode = "sea"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sea: Option<SeaSpec>,
    /// Tariff per TEU for the whole link (sea freight, a through rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_teu: Option<Money>,
    /// Tariff per TEU and km (rail), times `distance_km`; added to `cost_per_teu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_teu_km: Option<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RailSpec {
    /// Capacity of one train in TEU (a block train of 41–57 FEU is 82–114 TEU).
    pub train_capacity_teu: f64,
    /// A train leaves when full, or when its first container has waited this long.
    /// Absent: trains leave only when full (or on the timetable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_hours: Option<f64>,
    /// Scheduled departures every this many hours, each taking what is waiting up to
    /// capacity. When set, trains leave only on the timetable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timetable_hours: Option<f64>,
    /// Train paths per day on this link; departures are spaced at least 24 / paths hours
    /// apart. Absent: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths_per_day: Option<f64>,
    /// Running speed in km per day (travel time = distance_km / speed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_km_per_day: Option<DistSpec>,
    /// Travel time in hours, when given instead of (or added to) distance / speed:
    /// stops, crew and locomotive changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_hours: Option<DistSpec>,
    /// Id of the wagon pool a train of this link needs a set from. Absent: rolling stock
    /// is unlimited on this link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wagon_pool: Option<String>,
}

/// A pool of wagon sets (a set of platforms makes one train). A train leaves only with a
/// set; the set comes back to the pool, empty, a turnaround after its train was emptied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WagonPoolSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Track gauge of the network, in mm (1435 or 1520), for documentation and checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gauge_mm: Option<u32>,
    /// Wagon sets in the pool (each makes one train).
    pub sets: u32,
    /// From the moment a train is emptied until its set can leave again: the empty run
    /// back, inspection and repair, in hours.
    pub turnaround_hours: DistSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VesselKind {
    /// A container ship: its boxes are lifted by quay cranes, one move per box.
    #[default]
    Feeder,
    /// A rail ferry: wagons roll on and off (a platform carries up to 2 TEU), so its call
    /// time counts wagons at the port's `ferry_wagons_per_hour`.
    RailFerry,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VesselClassSpec {
    /// Id of the class, unique within the link (timeline paths use it).
    pub class: String,
    #[serde(default)]
    pub kind: VesselKind,
    /// Nominal capacity of one vessel, in TEU.
    pub capacity_teu: f64,
    /// Number of vessels of this class on the link.
    pub count: u32,
    /// Rail wagons one vessel takes (required for `kind = "rail_ferry"`, where it bounds
    /// `capacity_teu` at 2 TEU per wagon; not allowed for feeders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wagons: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StormSpec {
    /// Mean number of storm closures per year (Poisson).
    pub events_per_year: f64,
    /// Twelve relative weights, January to December; absent means flat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_weights: Option<Vec<f64>>,
    /// Duration of one closure, in hours.
    pub duration_hours: DistSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeaSpec {
    /// Sailing time from `from` to `to`, in hours.
    pub sailing_hours: DistSpec,
    /// Sailing time back (empty), in hours; absent means the same as `sailing_hours`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_hours: Option<DistSpec>,
    /// A vessel at berth starts loading once this share of its usable capacity is waiting...
    #[serde(default)]
    pub min_load_share: f64,
    /// ...or once it has waited this long at berth, in hours. Absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_hours: Option<f64>,
    /// Usable share of nominal capacity (draft limits from the falling Caspian level).
    #[serde(default = "one")]
    pub load_cap_share: f64,
    pub fleet: Vec<VesselClassSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storms: Option<StormSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub id: String,
    /// Node ids, origin first, destination last; consecutive nodes must be joined by a link.
    pub nodes: Vec<String>,
    /// Optional link ids, one per leg, when two links join the same pair of nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteShare {
    pub route: String,
    pub share: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalProcess {
    /// Containers arrive one by one as a (seasonal, year-varying) Poisson process.
    #[default]
    Poisson,
    /// Containers arrive in block trains of `block_train_teu`, evenly spaced.
    BlockTrains,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Routes with their shares of the flow (shares sum to 1).
    pub routes: Vec<RouteShare>,
    /// TEU per year for some years (keys are years as strings, e.g. `"2025" = 77000`):
    /// linear in between, flat before the first and after the last.
    pub teu_per_year: BTreeMap<String, f64>,
    /// Twelve monthly factors (January first), normalised to mean 1. Absent: flat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seasonality: Option<Vec<f64>>,
    /// Share of boxes that are 40-ft (2 TEU); the rest are 20-ft (1 TEU).
    #[serde(default)]
    pub share_40ft: f64,
    #[serde(default)]
    pub arrivals: ArrivalProcess,
    /// TEU per block train when `arrivals = "block_trains"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_train_teu: Option<f64>,
    /// Days a box accepts to wait at its origin for its first train or vessel; a box still
    /// there after this leaves the corridor (counted as `diverted_teu`). Absent: boxes
    /// wait for ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patience_days: Option<f64>,
    /// Door-to-door days promised to shippers: `on_time_share` is the share of the flow's
    /// delivered boxes that took no longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised_days: Option<f64>,
    /// A node's own traffic, not the corridor's (e.g. Batumi's Black Sea liner boxes): it
    /// uses the cranes, yards, links and vessels of its route like any flow, and is
    /// reported as a flow, but is left out of the corridor's totals (created, delivered,
    /// diverted, transit, in the corridor). Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub local: bool,
    /// Shippers' value of time, per TEU and day in transit (cargo holding cost): what a day
    /// saved is worth to them when they choose a route or a corridor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_of_time_per_teu_day: Option<Money>,
    /// What one day less of standard deviation of transit is worth per TEU (reliability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_of_reliability_per_teu_day: Option<Money>,
    /// Boxes choose among the flow's routes by generalized cost instead of fixed shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_choice: Option<RouteChoiceSpec>,
    /// The flow is the corridor's share of a market it wins against named alternatives:
    /// `teu_per_year` is then the committed part, which comes whatever the corridor does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketSpec>,
}

/// How a box picks its route (docs/model.md § Shippers choose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChoiceRule {
    /// Multinomial logit on generalized cost, with the routes' shares as weights.
    #[default]
    Logit,
    /// Every box takes the route of least generalized cost (the logit's limit).
    Cheapest,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteChoiceSpec {
    #[serde(default)]
    pub rule: ChoiceRule,
    /// Logit dispersion per unit of the reporting currency: a route dearer by 1/dispersion
    /// gets e times fewer boxes. Required for `rule = "logit"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispersion: Option<f64>,
    /// Time constant of the exponentially weighted mean of observed segment times, in days.
    #[serde(default = "default_memory_days")]
    pub memory_days: f64,
}

fn default_memory_days() -> f64 {
    7.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketSpec {
    /// The whole market's TEU per year (corridor and alternatives), keyed by year like a
    /// flow's `teu_per_year`: linear in between, flat outside.
    pub teu_per_year: BTreeMap<String, f64>,
    /// Ids of `[[alternatives]]` the corridor competes with.
    pub alternatives: Vec<String>,
    /// Logit dispersion per unit of the reporting currency between the corridor and the
    /// alternatives.
    pub dispersion: f64,
    /// The corridor's share of the contestable market (market minus committed) at the start.
    pub initial_share: f64,
    /// Days between re-evaluations of the share.
    #[serde(default = "default_interval_days")]
    pub interval_days: f64,
    /// Fraction of the gap to the logit share closed at each re-evaluation (0 < d <= 1).
    #[serde(default = "default_damping")]
    pub damping: f64,
    /// Days the corridor's boxes spend outside the modelled network (first and last miles,
    /// the legs before its first and after its last node), added to its simulated time.
    #[serde(default)]
    pub outside_days: f64,
    /// Cost per TEU of those legs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_cost_per_teu: Option<Money>,
}

fn default_interval_days() -> f64 {
    30.0
}

fn default_damping() -> f64 {
    0.5
}

/// A way to ship outside the corridor, described by its door-to-door cost and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlternativeSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Freight per TEU, door to door as its source states it.
    pub cost_per_teu: Money,
    pub transit_days: f64,
    /// Standard deviation of its transit (reliability).
    #[serde(default)]
    pub transit_sd_days: f64,
    /// What the model leaves out (risk, frequency, habit), as a cost per TEU added to the
    /// alternative's generalized cost; may be negative. State how it was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant_per_teu: Option<Money>,
}

/// A calendar date (TOML local date `2028-01-01`, or the same as a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "DateInput", into = "String")]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl TryFrom<toml::value::Datetime> for Date {
    type Error = String;
    fn try_from(dt: toml::value::Datetime) -> Result<Self, String> {
        match dt.date {
            Some(d) if dt.time.is_none() => Ok(Date {
                year: i32::from(d.year),
                month: d.month,
                day: d.day,
            }),
            _ => Err(format!("expected a date like 2028-01-01, got {dt}")),
        }
    }
}

/// What a date may be written as: a TOML date, or the same text in a string. Dates reach
/// serde as a string from `toml::Value` and as a datetime map from toml's own
/// deserializer, so both forms are accepted.
pub struct DateInput(toml::value::Datetime);

impl<'de> Deserialize<'de> for DateInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DateInput;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a date like 2028-01-01")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<DateInput, E> {
                s.parse::<toml::value::Datetime>()
                    .map(DateInput)
                    .map_err(|_| E::custom(format!("expected a date like 2028-01-01, got `{s}`")))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<DateInput, A::Error> {
                toml::value::Datetime::deserialize(serde::de::value::MapAccessDeserializer::new(
                    map,
                ))
                .map(DateInput)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl TryFrom<DateInput> for Date {
    type Error = String;
    fn try_from(d: DateInput) -> Result<Self, String> {
        Date::try_from(d.0)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A dated change to the network: an investment or a policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub date: Date,
    /// Parameter paths and their new values, e.g.
    /// `{ "nodes.aktau.cranes" = 6, "links.aktau-alat.sea.fleet.feeder-700.count" = 2 }`.
    pub set: BTreeMap<String, f64>,
    /// Capital expenditure, in EUR (reported, not simulated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capex_eur: Option<f64>,
    /// The investment (`[[investments]]` id) this change belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment: Option<String>,
}

/// A closure of a node or link: dated, or random (Poisson) over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisruptionSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `"nodes.<id>"` or `"links.<id>"`.
    pub subject: String,
    /// Start of a dated closure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    /// Mean number of random closures per year (instead of `start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_per_year: Option<f64>,
    /// Duration of each closure, in hours.
    pub duration_hours: DistSpec,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetDirection {
    /// Met when the value is at least the threshold.
    #[default]
    AtLeast,
    /// Met when the value is at most the threshold.
    AtMost,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSpec {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A metric name from docs/outputs.md, e.g. `delivered_teu`, `handled_teu`.
    pub metric: String,
    /// `"corridor"`, or the id of a node, link, flow or route, as the metric requires.
    #[serde(default = "corridor_subject")]
    pub subject: String,
    pub year: i32,
    pub threshold: f64,
    #[serde(default)]
    pub direction: TargetDirection,
}

fn corridor_subject() -> String {
    "corridor".to_string()
}
