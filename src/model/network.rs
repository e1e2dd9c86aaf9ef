//! The corridor as the simulation sees it: a scenario file resolved into plain data with
//! indices instead of ids, distributions built, dates turned into ticks.
//!
//! Building is the only place where ids are looked up by name; the event loop then works on
//! indices alone. Building takes a scenario that passed `scenario::validate` (loading
//! validates; a sweep validates each point) and checks nothing validation checks: ranges,
//! required fields and consistency rules live there once. What building cannot do without
//! (an id to look up, a distribution to build, a year key to parse) still fails as a
//! `BuildError` rather than a panic. It must never sample random numbers or hold run state.

use std::collections::HashMap;

use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_YEAR, hours_to_ticks};
use crate::engine::{Dist, DistSpec, Ticks};
use crate::scenario::params::{FleetParam, NodeParam, ParamPath, PoolParam, RailParam, SeaParam};
use crate::scenario::{ArrivalProcess, ChoiceRule, Date, LinkMode, Money, ScenarioFile};

/// Why a scenario could not be turned into a model (field path and message).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct BuildError {
    pub path: String,
    pub message: String,
}

fn berr(path: impl Into<String>, message: impl Into<String>) -> BuildError {
    BuildError {
        path: path.into(),
        message: message.into(),
    }
}

pub(crate) const MONTH_DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
pub(crate) const CUM_DAYS: [u64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

#[derive(Debug, Clone)]
pub(crate) struct NodeDef {
    pub id: String,
    /// A gateway (`kind = "gateway"`): boxes whose route ends here are delivered on
    /// arrival. Any other kind handles them first (yard, cranes, dwell), as it handles
    /// boxes passing through, and delivers them when they are ready.
    pub delivers_on_arrival: bool,
    pub cranes: u32,
    pub handling_minutes: Option<Dist>,
    pub handling_scale: f64,
    pub dwell_hours: Option<Dist>,
    pub dwell_scale: f64,
    pub yard_capacity_teu: f64,
    pub berths: u32,
    /// Fixed part of a vessel call (mooring, formalities), whatever the load.
    pub vessel_call_hours: Option<Dist>,
    pub quay_cranes_per_vessel: u32,
    /// Per quay crane; absent: a feeder's call is the fixed part alone.
    pub quay_moves_per_hour: Option<f64>,
    pub ferry_wagons_per_hour: Option<f64>,
    /// Berths for rail ferries only; 0: ferries use the container berths.
    pub ferry_berths: u32,
    /// Fixed part of a rail ferry's call; None: `vessel_call_hours`.
    pub ferry_call_hours: Option<Dist>,
}

#[derive(Debug, Clone)]
pub(crate) struct RailDef {
    pub train_capacity_teu: f64,
    pub max_wait: Option<Ticks>,
    pub timetable: Option<Ticks>,
    pub paths_per_day: Option<f64>,
    pub distance_km: f64,
    pub speed_km_per_day: Option<Dist>,
    pub extra_hours: Option<Dist>,
    /// Index of the wagon pool each train needs a set from; None: unlimited stock.
    pub pool: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct PoolDef {
    pub id: String,
    pub sets: u32,
    pub turnaround_hours: Dist,
}

#[derive(Debug, Clone)]
pub(crate) struct VesselClassDef {
    pub id: String,
    pub capacity_teu: f64,
    pub count: u32,
    /// Rail ferry: wagons roll on and off, so its call counts wagons, not box moves.
    pub rail_ferry: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct StormDef {
    pub events_per_year: f64,
    /// Monthly rate multipliers, normalised so that a year yields `events_per_year`.
    pub monthly: [f64; 12],
    pub duration_hours: Dist,
}

#[derive(Debug, Clone)]
pub(crate) struct SeaDef {
    pub sailing_hours: Dist,
    pub return_hours: Dist,
    pub min_load_share: f64,
    pub max_wait: Option<Ticks>,
    pub load_cap_share: f64,
    pub classes: Vec<VesselClassDef>,
    pub storms: Option<StormDef>,
}

#[derive(Debug, Clone)]
pub(crate) enum LinkKind {
    Rail(RailDef),
    Sea(SeaDef),
}

#[derive(Debug, Clone)]
pub(crate) struct LinkDef {
    pub id: String,
    pub from: usize,
    pub to: usize,
    pub kind: LinkKind,
}

#[derive(Debug, Clone)]
pub(crate) struct RouteDef {
    pub id: String,
    pub nodes: Vec<usize>,
    /// One link per leg: `links[i]` joins `nodes[i]` to `nodes[i + 1]`.
    pub links: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct FlowDef {
    pub id: String,
    pub origin: usize,
    /// (cumulative share, route index), last cumulative share is 1.
    pub routes: Vec<(f64, usize)>,
    /// TEU per year for each simulated calendar year, from `epoch_year`.
    pub teu_per_year: Vec<f64>,
    /// Monthly rate multipliers, normalised so that a year yields `teu_per_year`.
    pub monthly: [f64; 12],
    pub share_40ft: f64,
    pub arrivals: ArrivalProcess,
    pub block_train_teu: f64,
    /// How long a box waits at the origin before it leaves the corridor; None: for ever.
    pub patience: Option<Ticks>,
    /// Days promised to shippers, for the share delivered on time.
    pub promised_days: Option<f64>,
    /// A node's own traffic: left out of the corridor's totals.
    pub local: bool,
    /// Route choice by generalized cost; None: the fixed shares of `routes`.
    pub choice: Option<ChoiceDef>,
    /// The flow is a share of a market; None: `teu_per_year` is its whole demand.
    pub market: Option<MarketDef>,
    /// Shippers' value of time and of reliability per TEU-day, in the reporting currency,
    /// by simulated year (index 0 is `first_year`); empty when the flow states none.
    pub value_of_time: Vec<f64>,
    pub value_of_reliability: Vec<f64>,
}

/// How a flow's boxes pick their route (docs/model.md § 1.7).
#[derive(Debug, Clone)]
pub(crate) struct ChoiceDef {
    pub cheapest: bool,
    /// Logit dispersion per unit of the reporting currency (0 with `cheapest`).
    pub dispersion: f64,
    pub memory_days: f64,
}

/// A flow that is the corridor's share of a market (docs/model.md § 1.7).
#[derive(Debug, Clone)]
pub(crate) struct MarketDef {
    /// The whole market's TEU per year, for each simulated calendar year from `epoch_year`.
    pub teu_per_year: Vec<f64>,
    pub alternatives: Vec<usize>,
    pub dispersion: f64,
    pub initial_share: f64,
    pub interval: Ticks,
    pub damping: f64,
    pub outside_days: f64,
    /// Cost of the legs outside the network, by simulated year; 0 where none is stated.
    pub outside_cost: Vec<f64>,
}

/// A way to ship outside the corridor.
#[derive(Debug, Clone)]
pub(crate) struct AlternativeDef {
    pub id: String,
    /// Freight plus constant per TEU in the reporting currency, by simulated year.
    pub cost: Vec<f64>,
    pub transit_days: f64,
    pub transit_sd_days: f64,
}

/// A parameter resolved to indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Param {
    Node(usize, NodeParam),
    Rail(usize, RailParam),
    Sea(usize, SeaParam),
    Fleet(usize, usize, FleetParam),
    Pool(usize, PoolParam),
}

#[derive(Debug, Clone)]
pub(crate) struct ChangeDef {
    pub at: Ticks,
    pub sets: Vec<(Param, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subject {
    Node(usize),
    Link(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct DisruptionDef {
    pub id: String,
    pub subject: Subject,
    pub start: Option<Ticks>,
    pub events_per_year: f64,
    pub duration_hours: Dist,
}

/// The corridor model, ready to simulate any number of replications.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) name: String,
    pub(crate) seed: u64,
    pub(crate) epoch_year: i32,
    pub(crate) first_year: i32,
    pub(crate) last_year: i32,
    /// Tick at which the run starts (warm-up start).
    pub(crate) start: Ticks,
    /// Tick of 1 January of `first_year`: statistics start here.
    pub(crate) stats_start: Ticks,
    /// Tick of 1 January after `last_year`: the run ends here.
    pub(crate) end: Ticks,
    pub(crate) nodes: Vec<NodeDef>,
    pub(crate) links: Vec<LinkDef>,
    pub(crate) pools: Vec<PoolDef>,
    pub(crate) routes: Vec<RouteDef>,
    pub(crate) flows: Vec<FlowDef>,
    pub(crate) changes: Vec<ChangeDef>,
    pub(crate) disruptions: Vec<DisruptionDef>,
    /// Days without a departure, with boxes waiting, that make a stall.
    pub(crate) stall: Ticks,
    /// Tariffs in the reporting currency; None when the scenario prices nothing.
    pub(crate) costs: Option<CostDef>,
    /// The named investments' spending, reported by year (`capex_eur`, `opex_eur`).
    pub(crate) investments: Vec<InvestmentDef>,
    /// Ways to ship outside the corridor that markets compare it with.
    pub(crate) alternatives: Vec<AlternativeDef>,
}

/// What a named investment spends, in EUR, by calendar year.
#[derive(Debug, Clone)]
pub(crate) struct InvestmentDef {
    pub id: String,
    pub capex_by_year: Vec<(i32, f64)>,
    pub opex_per_year: f64,
    pub opens_year: i32,
    pub life_years: u32,
}

impl InvestmentDef {
    pub fn capex(&self, year: i32) -> f64 {
        self.capex_by_year
            .iter()
            .filter(|(y, _)| *y == year)
            .map(|(_, x)| x)
            .sum()
    }

    pub fn opex(&self, year: i32) -> f64 {
        let end = self.opens_year + self.life_years as i32;
        if (self.opens_year..end).contains(&year) {
            self.opex_per_year
        } else {
            0.0
        }
    }
}

/// Tariffs per TEU in the reporting currency, by simulated year (index 0 is `first_year`):
/// converted once here with each year's exchange rate, so the event loop never sees money.
#[derive(Debug, Clone)]
pub(crate) struct CostDef {
    pub currency: String,
    /// Handling plus border fees of each node; NaN where the node states no cost.
    pub node_per_teu: Vec<Vec<f64>>,
    /// Tariff of each link (per TEU plus per TEU-km × distance); NaN where none is stated.
    pub link_per_teu: Vec<Vec<f64>>,
    /// Sum over each route's nodes (origin and destination included) and links; a
    /// segment without a stated cost adds nothing.
    pub route_per_teu: Vec<Vec<f64>>,
}

impl CostDef {
    /// None when no node or link states a cost. Validation guarantees a rate for every
    /// amount and year; one missing anyway is a `BuildError`.
    fn build(s: &ScenarioFile, routes: &[RouteDef]) -> Result<Option<CostDef>, BuildError> {
        if s.reporting_currency().is_none() {
            return Ok(None);
        }
        let default = crate::scenario::CostsSpec::default();
        let spec = s.costs.as_ref().unwrap_or(&default);
        let convert = |m: &Option<crate::scenario::Money>, path: String, year: i32| {
            m.as_ref().map_or(Ok(None), |m| {
                spec.convert(m, year).map(Some).ok_or_else(|| {
                    berr(
                        path,
                        format!("no exchange rate from {} for {year}", m.currency),
                    )
                })
            })
        };
        let (mut node_per_teu, mut link_per_teu, mut route_per_teu) =
            (Vec::new(), Vec::new(), Vec::new());
        for year in s.run.first_year..=s.run.last_year {
            let mut nodes = Vec::with_capacity(s.nodes.len());
            for n in &s.nodes {
                let p = |f: &str| format!("nodes.{}.{f}", n.id);
                let h = convert(&n.handling_cost_per_teu, p("handling_cost_per_teu"), year)?;
                let b = convert(&n.border_cost_per_teu, p("border_cost_per_teu"), year)?;
                nodes.push(match (h, b) {
                    (None, None) => f64::NAN,
                    (h, b) => h.unwrap_or(0.0) + b.unwrap_or(0.0),
                });
            }
            let mut links = Vec::with_capacity(s.links.len());
            for l in &s.links {
                let p = |f: &str| format!("links.{}.{f}", l.id);
                let t = convert(&l.cost_per_teu, p("cost_per_teu"), year)?;
                let k = convert(&l.cost_per_teu_km, p("cost_per_teu_km"), year)?
                    .map(|k| k * l.distance_km.unwrap_or(0.0));
                links.push(match (t, k) {
                    (None, None) => f64::NAN,
                    (t, k) => t.unwrap_or(0.0) + k.unwrap_or(0.0),
                });
            }
            let known = |x: f64| if x.is_nan() { 0.0 } else { x };
            let r: Vec<f64> = routes
                .iter()
                .map(|r| {
                    r.nodes.iter().map(|&n| known(nodes[n])).sum::<f64>()
                        + r.links.iter().map(|&l| known(links[l])).sum::<f64>()
                })
                .collect();
            node_per_teu.push(nodes);
            link_per_teu.push(links);
            route_per_teu.push(r);
        }
        Ok(Some(CostDef {
            currency: spec.currency.clone(),
            node_per_teu,
            link_per_teu,
            route_per_teu,
        }))
    }
}

fn dist(spec: &DistSpec, path: &str) -> Result<Dist, BuildError> {
    spec.build().map_err(|e| berr(path, e.to_string()))
}

fn opt_dist(spec: &Option<DistSpec>, path: &str) -> Result<Option<Dist>, BuildError> {
    spec.as_ref().map(|s| dist(s, path)).transpose()
}

/// Twelve weights (validated: finite, >= 0, positive sum) as rate multipliers.
fn monthly(weights: &Option<Vec<f64>>) -> [f64; 12] {
    let mut m = [1.0; 12];
    if let Some(w) = weights {
        // Normalised so that a year at rate r * m[month] yields exactly r: months differ in
        // length, so the weights are scaled by day counts, not just to a mean of 1.
        let weighted_days: f64 = w.iter().zip(MONTH_DAYS).map(|(x, d)| x * d as f64).sum();
        for (mi, x) in m.iter_mut().zip(w) {
            *mi = x * 365.0 / weighted_days;
        }
    }
    m
}

impl Model {
    /// Ticks since the model epoch of a calendar date (365-day years; 29 February is 1 March).
    pub(crate) fn date_ticks(epoch_year: i32, d: Date) -> Ticks {
        if d.year < epoch_year {
            return 0;
        }
        let years = (d.year - epoch_year) as u64;
        let m = usize::from(d.month.clamp(1, 12)) - 1;
        let day = u64::from(d.day.clamp(1, 31)) - 1;
        let doy = (CUM_DAYS[m] + day).min(364);
        years * TICKS_PER_YEAR + doy * TICKS_PER_DAY
    }

    /// Resolves ids to indices and builds every distribution.
    pub fn build(s: &ScenarioFile) -> Result<Model, BuildError> {
        let run = &s.run;
        let warmup = (run.warmup_days * TICKS_PER_DAY as f64).round() as Ticks;
        let warmup_years = warmup.div_ceil(TICKS_PER_YEAR) as i32;
        let epoch_year = run.first_year - warmup_years;
        let stats_start = (run.first_year - epoch_year) as u64 * TICKS_PER_YEAR;
        let end = (run.last_year + 1 - epoch_year) as u64 * TICKS_PER_YEAR;
        let start = stats_start - warmup;

        let node_index: HashMap<&str, usize> = s
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let link_index: HashMap<&str, usize> = s
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i))
            .collect();
        let route_index: HashMap<&str, usize> = s
            .routes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let node_of = |id: &str, path: String| {
            node_index
                .get(id)
                .copied()
                .ok_or_else(|| berr(path, format!("unknown node `{id}`")))
        };

        let mut nodes = Vec::with_capacity(s.nodes.len());
        for n in &s.nodes {
            let p = format!("nodes.{}", n.id);
            let handling_minutes = opt_dist(&n.handling_minutes, &format!("{p}.handling_minutes"))?;
            nodes.push(NodeDef {
                id: n.id.clone(),
                delivers_on_arrival: n.kind == crate::scenario::NodeKind::Gateway,
                cranes: n.cranes,
                handling_minutes,
                handling_scale: n.handling_scale,
                dwell_hours: opt_dist(&n.dwell_hours, &format!("{p}.dwell_hours"))?,
                dwell_scale: n.dwell_scale,
                yard_capacity_teu: n.yard_capacity_teu.unwrap_or(f64::INFINITY),
                berths: n.berths,
                vessel_call_hours: opt_dist(
                    &n.vessel_call_hours,
                    &format!("{p}.vessel_call_hours"),
                )?,
                quay_cranes_per_vessel: n.quay_cranes_per_vessel,
                quay_moves_per_hour: n.quay_moves_per_hour,
                ferry_wagons_per_hour: n.ferry_wagons_per_hour,
                ferry_berths: n.ferry_berths,
                ferry_call_hours: opt_dist(&n.ferry_call_hours, &format!("{p}.ferry_call_hours"))?,
            });
        }

        let pool_index: HashMap<&str, usize> = s
            .wagon_pools
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id.as_str(), i))
            .collect();
        let mut pools = Vec::with_capacity(s.wagon_pools.len());
        for w in &s.wagon_pools {
            pools.push(PoolDef {
                id: w.id.clone(),
                sets: w.sets,
                turnaround_hours: dist(
                    &w.turnaround_hours,
                    &format!("wagon_pools.{}.turnaround_hours", w.id),
                )?,
            });
        }
        let mut links = Vec::with_capacity(s.links.len());
        for l in &s.links {
            let p = format!("links.{}", l.id);
            let from = node_of(&l.from, format!("{p}.from"))?;
            let to = node_of(&l.to, format!("{p}.to"))?;
            let kind = match l.mode {
                LinkMode::Rail => {
                    let r = l.rail.as_ref().ok_or_else(|| {
                        berr(
                            format!("{p}.rail"),
                            "a rail link needs a [links.rail] table",
                        )
                    })?;
                    let speed =
                        opt_dist(&r.speed_km_per_day, &format!("{p}.rail.speed_km_per_day"))?;
                    LinkKind::Rail(RailDef {
                        train_capacity_teu: r.train_capacity_teu,
                        max_wait: r.max_wait_hours.map(hours_to_ticks),
                        timetable: r.timetable_hours.map(hours_to_ticks).map(|t| t.max(1)),
                        paths_per_day: r.paths_per_day,
                        distance_km: l.distance_km.unwrap_or(0.0),
                        speed_km_per_day: speed,
                        extra_hours: opt_dist(&r.extra_hours, &format!("{p}.rail.extra_hours"))?,
                        pool: match &r.wagon_pool {
                            None => None,
                            Some(id) => Some(*pool_index.get(id.as_str()).ok_or_else(|| {
                                berr(
                                    format!("{p}.rail.wagon_pool"),
                                    format!("unknown wagon pool `{id}`"),
                                )
                            })?),
                        },
                    })
                }
                LinkMode::Sea => {
                    let sea = l.sea.as_ref().ok_or_else(|| {
                        berr(format!("{p}.sea"), "a sea link needs a [links.sea] table")
                    })?;
                    let sailing = dist(&sea.sailing_hours, &format!("{p}.sea.sailing_hours"))?;
                    let ret = match &sea.return_hours {
                        Some(r) => dist(r, &format!("{p}.sea.return_hours"))?,
                        None => sailing.clone(),
                    };
                    let storms = match &sea.storms {
                        Some(st) => Some(StormDef {
                            events_per_year: st.events_per_year,
                            monthly: monthly(&st.monthly_weights),
                            duration_hours: dist(
                                &st.duration_hours,
                                &format!("{p}.sea.storms.duration_hours"),
                            )?,
                        }),
                        None => None,
                    };
                    LinkKind::Sea(SeaDef {
                        sailing_hours: sailing,
                        return_hours: ret,
                        min_load_share: sea.min_load_share,
                        max_wait: sea.max_wait_hours.map(hours_to_ticks),
                        load_cap_share: sea.load_cap_share,
                        classes: sea
                            .fleet
                            .iter()
                            .map(|c| VesselClassDef {
                                id: c.class.clone(),
                                capacity_teu: c.capacity_teu,
                                count: c.count,
                                rail_ferry: c.kind == crate::scenario::VesselKind::RailFerry,
                            })
                            .collect(),
                        storms,
                    })
                }
            };
            links.push(LinkDef {
                id: l.id.clone(),
                from,
                to,
                kind,
            });
        }

        let mut routes = Vec::with_capacity(s.routes.len());
        for r in &s.routes {
            let p = format!("routes.{}", r.id);
            let ns = r
                .nodes
                .iter()
                .map(|id| node_of(id, format!("{p}.nodes")))
                .collect::<Result<Vec<_>, _>>()?;
            let mut ls = Vec::with_capacity(ns.len().saturating_sub(1));
            for (leg, w) in ns.windows(2).enumerate() {
                let link = match &r.links {
                    Some(ids) => {
                        let id = ids
                            .get(leg)
                            .ok_or_else(|| berr(format!("{p}.links"), "needs one link per leg"))?;
                        *link_index.get(id.as_str()).ok_or_else(|| {
                            berr(format!("{p}.links"), format!("unknown link `{id}`"))
                        })?
                    }
                    None => links
                        .iter()
                        .position(|l| l.from == w[0] && l.to == w[1])
                        .ok_or_else(|| {
                            berr(
                                format!("{p}.nodes"),
                                format!(
                                    "no link from `{}` to `{}`",
                                    nodes[w[0]].id, nodes[w[1]].id
                                ),
                            )
                        })?,
                };
                ls.push(link);
            }
            routes.push(RouteDef {
                id: r.id.clone(),
                nodes: ns,
                links: ls,
            });
        }

        let years = (run.last_year - epoch_year + 1) as usize;
        let mut flows = Vec::with_capacity(s.flows.len());
        for f in &s.flows {
            let p = format!("flows.{}", f.id);
            let mut cum = 0.0;
            let mut rs = Vec::new();
            for rs_spec in &f.routes {
                let ri = *route_index.get(rs_spec.route.as_str()).ok_or_else(|| {
                    berr(
                        format!("{p}.routes"),
                        format!("unknown route `{}`", rs_spec.route),
                    )
                })?;
                cum += rs_spec.share;
                rs.push((cum, ri));
            }
            // Shares sum to 1 within validation's tolerance; the last is made exact.
            if let Some(last) = rs.last_mut() {
                last.0 = 1.0;
            }
            let origin = rs
                .first()
                .map(|&(_, r)| routes[r].nodes[0])
                .ok_or_else(|| berr(format!("{p}.routes"), "no route to start from"))?;
            let mut points: Vec<(i32, f64)> = Vec::new();
            for (k, v) in &f.teu_per_year {
                let y: i32 = k.trim().parse().map_err(|_| {
                    berr(
                        format!("{p}.teu_per_year.{k}"),
                        "keys must be years, e.g. \"2025\"",
                    )
                })?;
                points.push((y, *v));
            }
            points.sort_by_key(|p| p.0);
            let teu_per_year = (0..years)
                .map(|i| interpolate(&points, epoch_year + i as i32))
                .collect();
            let block_train_teu = match f.arrivals {
                ArrivalProcess::Poisson => 0.0,
                ArrivalProcess::BlockTrains => f.block_train_teu.unwrap_or(0.0),
            };
            flows.push(FlowDef {
                id: f.id.clone(),
                origin,
                routes: rs,
                teu_per_year,
                monthly: monthly(&f.seasonality),
                share_40ft: f.share_40ft,
                arrivals: f.arrivals,
                block_train_teu,
                patience: f.patience_days.map(|d| hours_to_ticks(d * 24.0).max(1)),
                promised_days: f.promised_days,
                local: f.local,
                choice: f.route_choice.as_ref().map(|c| ChoiceDef {
                    cheapest: c.rule == ChoiceRule::Cheapest,
                    dispersion: c.dispersion.unwrap_or(0.0),
                    memory_days: c.memory_days,
                }),
                market: None,
                value_of_time: Vec::new(),
                value_of_reliability: Vec::new(),
            });
        }

        let mut changes = Vec::with_capacity(s.timeline.len());
        for c in &s.timeline {
            let p = format!("timeline.{}", c.id);
            let mut sets = Vec::new();
            for (path, value) in &c.set {
                // Validation checked the path, its ids and the value (`ParamPath::check`
                // and the catalogue's guard rails); here ids become indices.
                let pp = ParamPath::parse(path).map_err(|e| berr(format!("{p}.set"), e.message))?;
                let unknown = |what: &str, id: &str| {
                    berr(format!("{p}.set"), format!("unknown {what} `{id}`"))
                };
                let param = match &pp {
                    ParamPath::Node { node, param } => Param::Node(
                        *node_index
                            .get(node.as_str())
                            .ok_or_else(|| unknown("node", node))?,
                        *param,
                    ),
                    ParamPath::Rail { link, param } => Param::Rail(
                        *link_index
                            .get(link.as_str())
                            .ok_or_else(|| unknown("link", link))?,
                        *param,
                    ),
                    ParamPath::Sea { link, param } => Param::Sea(
                        *link_index
                            .get(link.as_str())
                            .ok_or_else(|| unknown("link", link))?,
                        *param,
                    ),
                    ParamPath::Fleet { link, class, param } => {
                        let li = *link_index
                            .get(link.as_str())
                            .ok_or_else(|| unknown("link", link))?;
                        let ci = match &links[li].kind {
                            LinkKind::Sea(sea) => sea.classes.iter().position(|k| &k.id == class),
                            LinkKind::Rail(_) => None,
                        }
                        .ok_or_else(|| unknown("vessel class", class))?;
                        Param::Fleet(li, ci, *param)
                    }
                    ParamPath::Pool { pool, param } => Param::Pool(
                        *pool_index
                            .get(pool.as_str())
                            .ok_or_else(|| unknown("wagon pool", pool))?,
                        *param,
                    ),
                };
                sets.push((param, *value));
            }
            changes.push(ChangeDef {
                at: Self::date_ticks(epoch_year, c.date).max(start),
                sets,
            });
        }
        // Stable: changes on the same date apply in file order.
        changes.sort_by_key(|c| c.at);

        let mut disruptions = Vec::with_capacity(s.disruptions.len());
        for d in &s.disruptions {
            let p = format!("disruptions.{}", d.id);
            let subject =
                match d.subject.split_once('.') {
                    Some(("nodes", id)) => Subject::Node(node_of(id, format!("{p}.subject"))?),
                    Some(("links", id)) => Subject::Link(*link_index.get(id).ok_or_else(|| {
                        berr(format!("{p}.subject"), format!("unknown link `{id}`"))
                    })?),
                    _ => {
                        return Err(berr(
                            format!("{p}.subject"),
                            "must be nodes.<id> or links.<id>",
                        ));
                    }
                };
            disruptions.push(DisruptionDef {
                id: d.id.clone(),
                subject,
                start: d
                    .start
                    .map(|date| Self::date_ticks(epoch_year, date).max(start)),
                events_per_year: d.events_per_year.unwrap_or(0.0),
                duration_hours: dist(&d.duration_hours, &format!("{p}.duration_hours"))?,
            });
        }

        let costs = CostDef::build(s, &routes)?;
        let alternatives = choice_defs(s, &mut flows, epoch_year, years)?;
        let investments = s
            .investments
            .iter()
            .map(|i| {
                let opens_year = i.opens_year(s);
                InvestmentDef {
                    id: i.id.clone(),
                    capex_by_year: i.capex_by_year(opens_year),
                    opex_per_year: i.opex_eur_per_year,
                    opens_year,
                    life_years: i.life_years,
                }
            })
            .collect();
        Ok(Model {
            name: run.name.clone(),
            seed: run.seed,
            epoch_year,
            first_year: run.first_year,
            last_year: run.last_year,
            start,
            stats_start,
            end,
            nodes,
            links,
            pools,
            routes,
            flows,
            changes,
            disruptions,
            stall: hours_to_ticks(run.stall_days * 24.0),
            costs,
            investments,
            alternatives,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The currency `cost_per_teu` and `cost_per_500_km` are in; None when the scenario
    /// prices nothing.
    pub fn currency(&self) -> Option<&str> {
        self.costs.as_ref().map(|c| c.currency.as_str())
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Replaces the master seed (the `--seed` option).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    pub fn first_year(&self) -> i32 {
        self.first_year
    }

    pub fn last_year(&self) -> i32 {
        self.last_year
    }

    /// Total TEU the corridor's flows (not local ones) are asked to carry over the
    /// reported years (demand).
    pub fn demand_teu(&self) -> f64 {
        let from = (self.first_year - self.epoch_year) as usize;
        self.flows
            .iter()
            .filter(|f| !f.local)
            .map(|f| f.teu_per_year[from..].iter().sum::<f64>())
            .sum()
    }
}

/// Linear between given years, flat outside.
/// Shippers' values, markets and alternatives in the reporting currency, converted once
/// here with each simulated year's rate (validation guarantees every rate).
fn choice_defs(
    s: &ScenarioFile,
    flows: &mut [FlowDef],
    epoch_year: i32,
    years: usize,
) -> Result<Vec<AlternativeDef>, BuildError> {
    let default = crate::scenario::CostsSpec::default();
    let spec = s.costs.as_ref().unwrap_or(&default);
    let by_year = |m: Option<&Money>, path: &str| -> Result<Vec<f64>, BuildError> {
        (s.run.first_year..=s.run.last_year)
            .map(|y| match m {
                None => Ok(0.0),
                Some(m) => spec.convert(m, y).ok_or_else(|| {
                    berr(
                        path,
                        format!("no exchange rate from {} for {y}", m.currency),
                    )
                }),
            })
            .collect()
    };
    let mut alternatives = Vec::with_capacity(s.alternatives.len());
    for a in &s.alternatives {
        let p = format!("alternatives.{}", a.id);
        let cost = by_year(Some(&a.cost_per_teu), &format!("{p}.cost_per_teu"))?;
        let constant = by_year(
            a.constant_per_teu.as_ref(),
            &format!("{p}.constant_per_teu"),
        )?;
        alternatives.push(AlternativeDef {
            id: a.id.clone(),
            cost: cost.iter().zip(&constant).map(|(c, k)| c + k).collect(),
            transit_days: a.transit_days,
            transit_sd_days: a.transit_sd_days,
        });
    }
    for (fd, f) in flows.iter_mut().zip(&s.flows) {
        let p = format!("flows.{}", f.id);
        if f.route_choice.is_none() && f.market.is_none() {
            continue;
        }
        fd.value_of_time = by_year(
            f.value_of_time_per_teu_day.as_ref(),
            &format!("{p}.value_of_time_per_teu_day"),
        )?;
        fd.value_of_reliability = by_year(
            f.value_of_reliability_per_teu_day.as_ref(),
            &format!("{p}.value_of_reliability_per_teu_day"),
        )?;
        let Some(m) = &f.market else { continue };
        let mut points: Vec<(i32, f64)> = Vec::new();
        for (k, v) in &m.teu_per_year {
            let y: i32 = k.trim().parse().map_err(|_| {
                berr(
                    format!("{p}.market.teu_per_year.{k}"),
                    "keys must be years, e.g. \"2025\"",
                )
            })?;
            points.push((y, *v));
        }
        points.sort_by_key(|p| p.0);
        let mut alts = Vec::with_capacity(m.alternatives.len());
        for id in &m.alternatives {
            let i = s
                .alternatives
                .iter()
                .position(|a| &a.id == id)
                .ok_or_else(|| {
                    berr(
                        format!("{p}.market.alternatives"),
                        format!("unknown alternative `{id}`"),
                    )
                })?;
            alts.push(i);
        }
        fd.market = Some(MarketDef {
            teu_per_year: (0..years)
                .map(|i| interpolate(&points, epoch_year + i as i32))
                .collect(),
            alternatives: alts,
            dispersion: m.dispersion,
            initial_share: m.initial_share,
            interval: hours_to_ticks(m.interval_days * 24.0).max(TICKS_PER_DAY),
            damping: m.damping,
            outside_days: m.outside_days,
            outside_cost: by_year(
                m.outside_cost_per_teu.as_ref(),
                &format!("{p}.market.outside_cost_per_teu"),
            )?,
        });
    }
    Ok(alternatives)
}

fn interpolate(points: &[(i32, f64)], year: i32) -> f64 {
    match points.iter().position(|(y, _)| *y >= year) {
        None => points.last().map(|p| p.1).unwrap_or(0.0),
        Some(0) => points[0].1,
        Some(i) => {
            let (y0, v0) = points[i - 1];
            let (y1, v1) = points[i];
            v0 + (v1 - v0) * f64::from(year - y0) / f64::from(y1 - y0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_linear_and_flat_outside() {
        let pts = [(2025, 100.0), (2035, 200.0)];
        assert_eq!(interpolate(&pts, 2020), 100.0);
        assert_eq!(interpolate(&pts, 2025), 100.0);
        assert_eq!(interpolate(&pts, 2030), 150.0);
        assert_eq!(interpolate(&pts, 2035), 200.0);
        assert_eq!(interpolate(&pts, 2040), 200.0);
    }

    #[test]
    fn dates_to_ticks() {
        let d = |y, m, day| Date {
            year: y,
            month: m,
            day,
        };
        assert_eq!(Model::date_ticks(2024, d(2024, 1, 1)), 0);
        assert_eq!(Model::date_ticks(2024, d(2025, 1, 1)), TICKS_PER_YEAR);
        assert_eq!(Model::date_ticks(2024, d(2024, 3, 1)), 59 * TICKS_PER_DAY);
        assert_eq!(Model::date_ticks(2024, d(2024, 2, 29)), 59 * TICKS_PER_DAY);
        assert_eq!(Model::date_ticks(2024, d(2020, 6, 1)), 0);
    }
}
