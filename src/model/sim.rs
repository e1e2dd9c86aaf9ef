//! One replication of the corridor: run state, the event loop and the statistics it keeps.
//!
//! Containers live in an arena and are referred to by `u32` index; trains and vessels hold
//! index lists whose buffers are reused, so the steady state allocates nothing per event.
//! Events are a small `Copy` enum. The behaviour of each kind of place is in its own file
//! (`terminal.rs`, `rail.rs`, `sea.rs`, `demand.rs`, `timeline.rs`) as `impl Sim` blocks;
//! this file holds the shared state and turns it into `RunResult` records at the end. It
//! must never read files or print.
//!
//! Places are made of the engine's resource kit (`engine::resource`): a node's cranes are
//! `FreeTimes`, its berths `Servers`, its yard a `Level` and its gate a `Store`; a link's
//! waiting boxes are a `Store`, a rail line's paths a `SingleServer`, a wagon pool a
//! `Stock`.
//! A link's state is `LinkState` plus one `Carriers` variant per kind of link, matched
//! wherever the kinds differ (never "not rail, so sea"). Adding a link kind: a variant of
//! `network::LinkKind` (built in `Model::build`) and of `Carriers` (built in `Sim::new`), a
//! file like `rail.rs` for its departures, and the arms the compiler then asks for:
//! `start_link` and `try_depart` (here), `on_year_end`, `binding`, `wait_cause`
//! (`binding.rs`) and the end of a closure (`timeline.rs`). Adding a node resource: a kit
//! field in `NodeState`, built in `Sim::new`, used in `terminal.rs`.

use std::collections::VecDeque;

use crate::engine::resource::{FreeTimes, Level, Servers, SingleServer, Stock, Store};
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_YEAR};
use crate::engine::{
    Calendar, EventKey, Mean, Quantiles, Stream, StreamFactory, Tally, Ticks, TimeWeighted,
    prefetch,
};

use super::network::{LinkKind, Model};
use super::results::{Conservation, Record, RunResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ev {
    Ready {
        node: u32,
        container: u32,
    },
    RailTimer {
        link: u32,
    },
    TrainSlot {
        link: u32,
    },
    TrainArrival {
        train: u32,
    },
    /// The vessel finished its current timed activity (handling or sailing).
    Vessel {
        vessel: u32,
    },
    VesselTimeout {
        vessel: u32,
        epoch: u32,
    },
    StormStart {
        link: u32,
        epoch: u32,
    },
    StormEnd {
        link: u32,
    },
    Change {
        index: u32,
    },
    ClosureStart {
        disruption: u32,
        epoch: u32,
    },
    ClosureEnd {
        disruption: u32,
    },
    /// Yard space was freed at the node: admit what waits outside.
    Admit {
        node: u32,
    },
    /// A wagon set is back in its pool after its turnaround.
    WagonReturn {
        pool: u32,
    },
    /// Boxes that waited longer than their flow's patience at their origin leave.
    PatienceSweep,
    /// Shippers' daily look at the corridor (`choice.rs`).
    ChoiceDay,
    /// The end of a market's re-evaluation interval.
    MarketUpdate {
        flow: u32,
    },
    /// Daily look for stalls: places where boxes wait and nothing has left for long.
    StallWatch,
    YearEnd,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Container {
    pub created: Ticks,
    /// Start of the current phase: arrival at a node, then admission, then readiness.
    pub mark: Ticks,
    /// Arrival at the current node (entry, at the origin) and boarding of the carrier
    /// that takes it on: the node's and the leg's times (`node_hours_mean`, ...).
    pub arrived: Ticks,
    pub boarded: Ticks,
    /// Waiting accumulated at the current node (outside the yard, crane queue, dwell).
    pub node_wait: Ticks,
    pub flow: u32,
    pub route: u32,
    pub teu: u8,
    pub leg: u8,
}

/// What arrives at a node: a box from a flow, or a train or vessel with boxes aboard (and,
/// while the yard is full, what waits at its gate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    Container(u32),
    Train(u32),
    Vessel(u32),
}

/// A container admitted to a node with cranes whose handling is not over. Start and end of
/// handling are computed on admission (FIFO over the cranes' free times), which is exact
/// for a first-come-first-served multi-server queue and saves an event per container; a
/// change of cranes or a closure re-plans the containers not yet started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Planned {
    pub c: u32,
    pub admitted: Ticks,
    pub start: Ticks,
    pub done: Ticks,
    pub service: Ticks,
    pub dwell: Ticks,
    pub key: EventKey,
}

/// A container waiting at a node that has no crane at all for the moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stalled {
    pub c: u32,
    pub admitted: Ticks,
    pub service: Ticks,
    pub dwell: Ticks,
}

pub(crate) struct NodeState {
    pub cranes: u32,
    pub handling_scale: f64,
    pub dwell_scale: f64,
    /// When each crane can start its next container.
    pub crane_free: FreeTimes,
    /// Admitted containers in admission order whose handling may not be over.
    pub planned: VecDeque<Planned>,
    /// Index in `planned` of the first entry not started at the last look.
    pub unstarted_from: usize,
    pub stalled: VecDeque<Stalled>,
    /// End times of the boxes in handling that outnumbered the cranes at the last re-plan
    /// (a cut of cranes under way): their cranes count as capacity until they finish.
    pub excess_done: Vec<Ticks>,
    /// End of the latest closure: no handling starts before it.
    pub closed_until: Ticks,
    /// TEU in the yard.
    pub yard: Level,
    /// What waits outside a full yard, by TEU (carriers count their boxes still aboard).
    pub gate: Store<Arrival>,
    /// Admissions into the yard seen, for stalls at its gate.
    pub stall: StallClock,
    /// Container berths (vessels by index).
    pub berths: Servers,
    pub quay_cranes_per_vessel: u32,
    /// Rail ferry berths; unused when the node has none (ferries take container berths).
    pub ferry_berths: Servers,
    pub closed: u32,
    pub admit_pending: bool,
    /// Outgoing links, to retry departures when the node reopens.
    pub out_links: Vec<u32>,
    pub tw_cranes: TimeWeighted,
}

/// A train: its boxes and the wagon set it runs with.
pub(crate) struct Train {
    pub link: u32,
    pub containers: Vec<u32>,
    pub teu: f64,
    pub pool: Option<u32>,
}

/// A pool of wagon sets. Sets are either available, running (with a train, or returning
/// empty) or retired when the timeline cut the pool while they were out.
pub(crate) struct PoolState {
    /// The sets; its queue holds the rail links that wanted to dispatch a train and found
    /// no set, in that order.
    pub sets: Stock,
    /// Sets out with trains held outside a full yard, by node: a link short of sets for
    /// that reason is kept waiting by that yard, not by the pool's size.
    pub held_at: Vec<u32>,
}

/// When a place last saw something leave (a departure, an admission), and since when it
/// has been stalled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StallClock {
    pub last: Ticks,
    pub since: Option<Ticks>,
}

impl StallClock {
    pub fn new(t: Ticks) -> Self {
        StallClock {
            last: t,
            since: None,
        }
    }

    /// Something left: a stall there is over.
    pub fn moved(&mut self, now: Ticks) {
        self.last = now;
        self.since = None;
    }
}

/// Days stalled in a year, and the day of the year (1-based) the first stall began.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StallYear {
    pub days: f64,
    pub start_day: f64,
}

/// Why boxes ready at a link's origin are waiting, between two looks at the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitCause {
    /// A train or vessel is there and waits to fill: consolidation, not a capacity.
    Cargo,
    /// No vessel at the origin: the time is charged to what the fleet is doing.
    Fleet,
    /// A train is due but the next path is not free yet.
    Paths,
    /// A train is due but its wagon pool has no set.
    Sets,
    /// The link or its origin is closed.
    Closed,
}

/// Number of vessel states (for per-link counts).
pub(crate) const VESSEL_STATES: usize = 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VesselState {
    Idle,
    QueuedOrigin,
    Loading,
    HoldOrigin,
    Sailing,
    QueuedDest,
    Unloading,
    BlockedDest,
    HoldDest,
    Returning,
    Retired,
}

pub(crate) struct Vessel {
    pub link: u32,
    pub class: u32,
    pub state: VesselState,
    pub cargo: Vec<u32>,
    pub cargo_teu: f64,
    /// Usable capacity when the cargo was claimed (at least the first box's TEU): what the
    /// departure's load factor is measured against.
    pub claimed_capacity_teu: f64,
    pub epoch: u32,
    pub expired: bool,
    /// When the vessel entered its current state.
    pub since: Ticks,
}

pub(crate) struct RailState {
    pub train_capacity_teu: f64,
    pub paths_per_day: Option<f64>,
    pub max_wait: Option<Ticks>,
    pub timetable: Option<Ticks>,
    /// The line's train paths: one server whose work is the headway between trains.
    pub paths: SingleServer,
    pub next_timer: Ticks,
    pub slot_running: bool,
    pub tw_paths: TimeWeighted,
    pub pool: Option<u32>,
    /// Listed in its pool's `waiting_links`.
    pub waiting_for_set: bool,
}

pub(crate) struct SeaState {
    pub load_cap_share: f64,
    pub min_load_share: f64,
    pub max_wait: Option<Ticks>,
    pub storm_rate_per_year: f64,
    pub storm_epoch: u32,
    pub storms: u32,
    pub class_capacity_teu: Vec<f64>,
    pub class_target: Vec<u32>,
    pub class_active: Vec<u32>,
    pub idle: VecDeque<u32>,
    pub hold: Vec<u32>,
    pub tw_fleet: TimeWeighted,
    pub tw_busy: TimeWeighted,
    pub tw_storm: TimeWeighted,
    /// Vessels of the link in each state (`VesselState as usize`).
    pub in_state: [u32; VESSEL_STATES],
}

/// What carries a link's boxes, by kind of link.
// Links are few and never move once built; boxing the larger variant would only add a
// pointer chase to every look at a departure.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Carriers {
    Rail(RailState),
    Sea(SeaState),
}

pub(crate) struct LinkState {
    /// Boxes ready at the origin, by TEU, in the order they became ready.
    pub waiting: Store<u32>,
    pub in_transit_teu: f64,
    pub closed: u32,
    pub carriers: Carriers,
    /// Since when `waiting_teu` has waited for the reason `cause` (see `note_wait`).
    pub wait_mark: Ticks,
    pub cause: WaitCause,
    /// Departures seen, for stalls.
    pub stall: StallClock,
}

impl LinkState {
    /// The rail line's state; None on a link of another kind.
    pub fn rail(&self) -> Option<&RailState> {
        match &self.carriers {
            Carriers::Rail(r) => Some(r),
            Carriers::Sea(_) => None,
        }
    }

    pub fn rail_mut(&mut self) -> Option<&mut RailState> {
        match &mut self.carriers {
            Carriers::Rail(r) => Some(r),
            Carriers::Sea(_) => None,
        }
    }

    /// The crossing's state; None on a link of another kind.
    pub fn sea(&self) -> Option<&SeaState> {
        match &self.carriers {
            Carriers::Sea(s) => Some(s),
            Carriers::Rail(_) => None,
        }
    }

    pub fn sea_mut(&mut self) -> Option<&mut SeaState> {
        match &mut self.carriers {
            Carriers::Sea(s) => Some(s),
            Carriers::Rail(_) => None,
        }
    }
}

impl RailState {
    /// When the next train path is free.
    #[inline]
    pub fn next_path(&self) -> Ticks {
        self.paths.free_at()
    }
}

#[derive(Clone, Default)]
pub(crate) struct NodeYear {
    pub handled_teu: f64,
    /// Crane-ticks spent handling, and container-ticks spent queueing for a crane.
    pub busy_ticks: f64,
    pub queue_ticks: f64,
    /// TEU-ticks spent queueing for a crane.
    pub queue_teu_ticks: f64,
    /// TEU-hours charged to this node's berths (vessels with boxes on board queueing for
    /// one, and boxes ashore waiting for a vessel that is queueing here).
    pub berth_teu_hours: f64,
    /// TEU-hours boxes waited outside this node's full yard.
    pub yard_teu_hours: f64,
    pub stall: StallYear,
    /// Hours from a box's arrival to its boarding, counted when it reaches the next node.
    pub node_hours: Mean,
    /// Crane-ticks of cranes removed by the timeline while handling a box, which work on
    /// until the box is done (see `NodeState::excess_done`).
    pub excess_crane_ticks: f64,
    pub wait_hours: Mean,
    pub wait_teu_hours: f64,
    pub utilization: f64,
    pub berth_utilization: f64,
    /// Busy share of the rail-ferry berths (nodes with `ferry_berths`).
    pub ferry_berth_utilization: f64,
    pub queue_mean: f64,
    pub queue_max: f64,
    pub yard_mean: f64,
    pub yard_max: f64,
}

#[derive(Clone, Default)]
pub(crate) struct LinkYear {
    pub carried_teu: f64,
    pub departures: f64,
    /// Rail departures made while the link had a limited number of paths: only these
    /// use the paths offered (a link may gain a path limit mid-year through the timeline).
    pub departures_on_paths: f64,
    pub load_factor: Tally,
    pub wait_hours: Mean,
    pub wait_teu_hours: f64,
    pub utilization: f64,
    pub storm_hours: f64,
    pub vessels_mean: f64,
    /// TEU-hours of boxes waiting at the origin, by `WaitCause` (the fleet's share goes to
    /// `fleet_teu_hours`, berths and yards of the ends, or weather).
    pub cargo_teu_hours: f64,
    pub fleet_teu_hours: f64,
    pub path_teu_hours: f64,
    pub weather_teu_hours: f64,
    pub closed_teu_hours: f64,
    /// This link's share of the charges to its pool and to its ends' berths and yard
    /// (for charging a full yard upstream to what keeps it full).
    pub sets_teu_hours: f64,
    pub berth_from_teu_hours: f64,
    pub berth_to_teu_hours: f64,
    pub stall: StallYear,
    /// Per box reaching the link's end: hours aboard, and hours since arriving at the
    /// link's origin.
    pub moving_hours: Mean,
    pub leg_hours: Mean,
}

#[derive(Clone, Default)]
pub(crate) struct PoolYear {
    /// TEU-hours boxes waited for a set of this pool.
    pub teu_hours: f64,
    /// Time-average share of the pool's sets out with a train or returning.
    pub busy_share: f64,
    /// Hours links waited for a set with a train due (summed over waits).
    pub wait_hours: f64,
}

#[derive(Clone)]
pub(crate) struct YearStats {
    pub created_teu: f64,
    pub delivered_teu: f64,
    pub transit_days: Mean,
    pub transit_q: Quantiles,
    pub backlog_teu: f64,
    pub in_system_teu: f64,
    pub flow_created_teu: Vec<f64>,
    pub flow_delivered_teu: Vec<f64>,
    pub flow_transit_days: Vec<Mean>,
    pub flow_transit_q: Vec<Quantiles>,
    /// Boxes of the flow delivered within its promised days.
    pub flow_on_time: Vec<f64>,
    pub flow_delivered_boxes: Vec<f64>,
    /// Mean age (days) of the flow's boxes still in the corridor at the end of the year.
    pub flow_undelivered_age_days: Vec<Mean>,
    pub undelivered_age_days: Mean,
    pub route_transit_days: Vec<Mean>,
    pub route_transit_q: Vec<Quantiles>,
    pub route_delivered_teu: Vec<f64>,
    /// TEU delivered by (flow, route), at `flow * routes + route`: a route may serve
    /// several flows, and a flow's cost per TEU weighs its own boxes only.
    pub flow_route_delivered_teu: Vec<f64>,
    pub diverted_teu: f64,
    pub flow_diverted_teu: Vec<f64>,
    pub node_diverted_teu: Vec<f64>,
    pub nodes: Vec<NodeYear>,
    pub links: Vec<LinkYear>,
    pub pools: Vec<PoolYear>,
}

/// A capacity that boxes can be kept waiting by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Binding {
    Crane(usize),
    Berth(usize),
    Yard(usize),
    Fleet(usize),
    Paths(usize),
    Sets(usize),
}

/// The TEU-hours of one year charged to each capacity, with the waiting outside a full
/// yard passed on to what keeps that yard full: the capacities its outbound links wait
/// for (fleet, paths, wagon sets, the berths at their ends), in proportion to what those
/// links charged them. A yard whose outbound links charged nothing keeps its own.
pub(crate) fn binding(m: &Model, y: &YearStats) -> Vec<(Binding, f64)> {
    let hours = |ticks: f64| ticks / TICKS_PER_HOUR as f64;
    let crane: Vec<f64> = y.nodes.iter().map(|n| hours(n.queue_teu_ticks)).collect();
    let mut berth: Vec<f64> = y.nodes.iter().map(|n| n.berth_teu_hours).collect();
    let mut yard: Vec<f64> = y.nodes.iter().map(|n| n.yard_teu_hours).collect();
    let mut fleet: Vec<f64> = y.links.iter().map(|l| l.fleet_teu_hours).collect();
    let mut paths: Vec<f64> = y.links.iter().map(|l| l.path_teu_hours).collect();
    let mut sets: Vec<f64> = y.pools.iter().map(|p| p.teu_hours).collect();
    for (n, full) in y.nodes.iter().map(|n| n.yard_teu_hours).enumerate() {
        if full <= 0.0 {
            continue;
        }
        let out: Vec<usize> = (0..m.links.len())
            .filter(|&l| m.links[l].from == n)
            .collect();
        let charged: f64 = out
            .iter()
            .map(|&l| {
                let ly = &y.links[l];
                ly.fleet_teu_hours
                    + ly.path_teu_hours
                    + ly.sets_teu_hours
                    + ly.berth_from_teu_hours
                    + ly.berth_to_teu_hours
            })
            .sum();
        if charged <= 0.0 {
            continue;
        }
        yard[n] = 0.0;
        let k = full / charged;
        for &l in &out {
            let ly = &y.links[l];
            fleet[l] += k * ly.fleet_teu_hours;
            paths[l] += k * ly.path_teu_hours;
            berth[m.links[l].from] += k * ly.berth_from_teu_hours;
            berth[m.links[l].to] += k * ly.berth_to_teu_hours;
            if let LinkKind::Rail(r) = &m.links[l].kind
                && let Some(p) = r.pool
            {
                sets[p] += k * ly.sets_teu_hours;
            }
        }
    }
    let mut v = Vec::new();
    for (n, def) in m.nodes.iter().enumerate() {
        if def.cranes > 0 || crane[n] > 0.0 {
            v.push((Binding::Crane(n), crane[n]));
        }
        if def.berths > 0 {
            v.push((Binding::Berth(n), berth[n]));
        }
        if def.yard_capacity_teu.is_finite() {
            v.push((Binding::Yard(n), yard[n]));
        }
    }
    for (l, def) in m.links.iter().enumerate() {
        match &def.kind {
            LinkKind::Sea(_) => v.push((Binding::Fleet(l), fleet[l])),
            LinkKind::Rail(r) => {
                if r.paths_per_day.is_some() || paths[l] > 0.0 {
                    v.push((Binding::Paths(l), paths[l]));
                }
            }
        }
    }
    for (p, x) in sets.iter().enumerate() {
        v.push((Binding::Sets(p), *x));
    }
    v
}

/// One random stream per entity, named `<kind>:<id>` (see docs/model.md § Randomness).
fn streams<'a>(
    f: &StreamFactory,
    kind: &str,
    ids: impl Iterator<Item = &'a String>,
) -> Vec<Stream> {
    ids.map(|id| f.named(&format!("{kind}:{id}"))).collect()
}

/// The state of one replication.
pub(crate) struct Sim<'m> {
    pub m: &'m Model,
    pub cal: Calendar<Ev>,
    pub containers: Vec<Container>,
    pub free_containers: Vec<u32>,
    pub nodes: Vec<NodeState>,
    pub links: Vec<LinkState>,
    pub trains: Vec<Train>,
    pub free_trains: Vec<u32>,
    pub vessels: Vec<Vessel>,
    pub pools: Vec<PoolState>,
    pub pool_rng: Vec<Stream>,
    /// When each link started waiting for a wagon set (`Ticks::MAX`: not waiting).
    pub set_wait_since: Vec<Ticks>,
    /// Links that are a first leg of a flow with limited patience, and how often to look.
    pub patience_links: Vec<u32>,
    pub patience_every: Ticks,
    pub flow_rng: Vec<Stream>,
    pub node_rng: Vec<Stream>,
    pub link_rng: Vec<Stream>,
    pub weather_rng: Vec<Stream>,
    pub disruption_rng: Vec<Stream>,
    pub disruption_epoch: Vec<u32>,
    /// Next arrival time of each flow (`Ticks::MAX`: none before the end).
    pub next_arrival: Vec<Ticks>,
    /// Warm-up analysis: transit days of deliveries per time bin from the run's start
    /// (warm-up included), when asked for.
    pub trace: Option<(Ticks, Vec<Tally>)>,
    /// `year_index(now)`, kept up to date by the year-end events (time only moves forward,
    /// and a year-end event fires before anything else scheduled at its tick).
    pub year_now: Option<usize>,
    pub years: Vec<YearStats>,
    pub created_teu: f64,
    pub delivered_teu: f64,
    pub diverted_teu: f64,
    pub alive_teu: f64,
    /// TEU of local flows (a node's own traffic) alive: in `alive_teu`, not in the
    /// corridor's `in_system_teu`.
    pub local_alive_teu: f64,
    /// Set when more than `MAX_CONTAINERS_IN_SYSTEM` containers are alive at once; the
    /// run loop then stops (guard rail, see `try_run`).
    pub overloaded: bool,
    /// What shippers know and chose; None when no flow chooses (`choice.rs`).
    pub choice: Option<Box<super::choice::ChoiceState>>,
}

/// Most containers alive at once in one replication. A guard rail: when demand far
/// exceeds capacity the backlog grows without bound (nothing is ever dropped), at some
/// 100-150 bytes per waiting box (arena slot, queue entry, planned handling, event), so a
/// valid-looking scenario such as 10^8 TEU a year through one terminal would exhaust
/// memory within seconds. Five million boxes (under 1 GB) is some hundred times what the
/// whole corridor holds at any moment in the bundled scenarios; beyond it the results
/// would only describe an ever-growing queue.
pub const MAX_CONTAINERS_IN_SYSTEM: usize = 5_000_000;

impl<'m> Sim<'m> {
    pub fn new(m: &'m Model, replication: u64) -> Self {
        let f = StreamFactory::new(m.seed, replication);
        let t0 = m.start;
        let nodes: Vec<NodeState> = m
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| NodeState {
                cranes: n.cranes,
                handling_scale: n.handling_scale,
                dwell_scale: n.dwell_scale,
                crane_free: FreeTimes::new(t0, n.cranes as usize),
                planned: VecDeque::new(),
                unstarted_from: 0,
                stalled: VecDeque::new(),
                excess_done: Vec::new(),
                closed_until: 0,
                yard: Level::new(t0, n.yard_capacity_teu),
                gate: Store::default(),
                stall: StallClock::new(t0),
                berths: Servers::new(t0, n.berths),
                quay_cranes_per_vessel: n.quay_cranes_per_vessel,
                ferry_berths: Servers::new(t0, n.ferry_berths),
                closed: 0,
                admit_pending: false,
                out_links: m
                    .links
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.from == i)
                    .map(|(j, _)| j as u32)
                    .collect(),
                tw_cranes: TimeWeighted::new(t0, f64::from(n.cranes)),
            })
            .collect();
        let links: Vec<LinkState> = m
            .links
            .iter()
            .map(|l| LinkState {
                waiting: Store::default(),
                in_transit_teu: 0.0,
                closed: 0,
                wait_mark: t0,
                cause: WaitCause::Cargo,
                stall: StallClock::new(t0),
                carriers: match &l.kind {
                    LinkKind::Rail(r) => Carriers::Rail(RailState {
                        train_capacity_teu: r.train_capacity_teu,
                        paths_per_day: r.paths_per_day,
                        max_wait: r.max_wait,
                        timetable: r.timetable,
                        paths: SingleServer::new(0),
                        next_timer: Ticks::MAX,
                        slot_running: false,
                        tw_paths: TimeWeighted::new(t0, r.paths_per_day.unwrap_or(0.0)),
                        pool: r.pool.map(|p| p as u32),
                        waiting_for_set: false,
                    }),
                    LinkKind::Sea(s) => Carriers::Sea(SeaState {
                        load_cap_share: s.load_cap_share,
                        min_load_share: s.min_load_share,
                        max_wait: s.max_wait,
                        storm_rate_per_year: s
                            .storms
                            .as_ref()
                            .map(|st| st.events_per_year)
                            .unwrap_or(0.0),
                        storm_epoch: 0,
                        storms: 0,
                        class_capacity_teu: s.classes.iter().map(|c| c.capacity_teu).collect(),
                        class_target: s.classes.iter().map(|c| c.count).collect(),
                        class_active: vec![0; s.classes.len()],
                        idle: VecDeque::new(),
                        hold: Vec::new(),
                        tw_fleet: TimeWeighted::new(t0, 0.0),
                        tw_busy: TimeWeighted::new(t0, 0.0),
                        tw_storm: TimeWeighted::new(t0, 0.0),
                        in_state: [0; VESSEL_STATES],
                    }),
                },
            })
            .collect();
        let nyears = (m.last_year - m.first_year + 1) as usize;
        let year = YearStats {
            created_teu: 0.0,
            delivered_teu: 0.0,
            transit_days: Mean::default(),
            transit_q: Quantiles::new(0.001),
            backlog_teu: 0.0,
            in_system_teu: 0.0,
            flow_created_teu: vec![0.0; m.flows.len()],
            flow_delivered_teu: vec![0.0; m.flows.len()],
            flow_transit_days: vec![Mean::default(); m.flows.len()],
            flow_transit_q: vec![Quantiles::new(0.001); m.flows.len()],
            flow_on_time: vec![0.0; m.flows.len()],
            flow_delivered_boxes: vec![0.0; m.flows.len()],
            flow_undelivered_age_days: vec![Mean::default(); m.flows.len()],
            undelivered_age_days: Mean::default(),
            route_transit_days: vec![Mean::default(); m.routes.len()],
            route_transit_q: vec![Quantiles::new(0.001); m.routes.len()],
            route_delivered_teu: vec![0.0; m.routes.len()],
            flow_route_delivered_teu: vec![0.0; m.flows.len() * m.routes.len()],
            diverted_teu: 0.0,
            flow_diverted_teu: vec![0.0; m.flows.len()],
            node_diverted_teu: vec![0.0; m.nodes.len()],
            nodes: vec![NodeYear::default(); m.nodes.len()],
            links: vec![LinkYear::default(); m.links.len()],
            pools: vec![PoolYear::default(); m.pools.len()],
        };
        let pools = m
            .pools
            .iter()
            .map(|p| PoolState {
                sets: Stock::new(t0, p.sets),
                held_at: vec![0; m.nodes.len()],
            })
            .collect();
        // Boxes give up only while waiting at their origin for the first train or vessel.
        let mut patience_links: Vec<u32> = Vec::new();
        let mut shortest = Ticks::MAX;
        for f in &m.flows {
            if let Some(p) = f.patience {
                shortest = shortest.min(p);
                for &(_, r) in &f.routes {
                    let l = m.routes[r].links[0] as u32;
                    if !patience_links.contains(&l) {
                        patience_links.push(l);
                    }
                }
            }
        }
        patience_links.sort_unstable();
        // Looked at twenty times per patience, at least hourly and at most daily: a box
        // leaves within 5% of its patience (or an hour) of the moment it ran out.
        let patience_every = (shortest / 20).clamp(TICKS_PER_HOUR, 24 * TICKS_PER_HOUR);
        let mut cal = Calendar::with_capacity(1024);
        cal.start_at(t0);
        Sim {
            m,
            cal,
            containers: Vec::new(),
            free_containers: Vec::new(),
            nodes,
            links,
            trains: Vec::new(),
            free_trains: Vec::new(),
            vessels: Vec::new(),
            pools,
            pool_rng: streams(&f, "wagons", m.pools.iter().map(|x| &x.id)),
            set_wait_since: vec![Ticks::MAX; m.links.len()],
            patience_links,
            patience_every,
            flow_rng: streams(&f, "flow", m.flows.iter().map(|x| &x.id)),
            node_rng: streams(&f, "node", m.nodes.iter().map(|x| &x.id)),
            link_rng: streams(&f, "link", m.links.iter().map(|x| &x.id)),
            weather_rng: streams(&f, "weather", m.links.iter().map(|x| &x.id)),
            disruption_rng: streams(&f, "disruption", m.disruptions.iter().map(|x| &x.id)),
            disruption_epoch: vec![0; m.disruptions.len()],
            next_arrival: vec![Ticks::MAX; m.flows.len()],
            trace: None,
            year_now: None,
            years: vec![year; nyears],
            created_teu: 0.0,
            delivered_teu: 0.0,
            diverted_teu: 0.0,
            alive_teu: 0.0,
            local_alive_teu: 0.0,
            overloaded: false,
            choice: super::choice::ChoiceState::new(m, nyears),
        }
    }

    /// Index of the reported year containing `t`, or None during warm-up / past the end.
    #[inline]
    pub fn year_index(&self, t: Ticks) -> Option<usize> {
        if t < self.m.stats_start {
            return None;
        }
        let i = ((t - self.m.stats_start) / TICKS_PER_YEAR) as usize;
        (i < self.years.len()).then_some(i)
    }

    #[inline]
    pub fn now(&self) -> Ticks {
        self.cal.now()
    }

    pub fn schedule_in(&mut self, delay: Ticks, ev: Ev) {
        self.cal.schedule_in(delay, ev);
    }

    pub fn schedule_at(&mut self, at: Ticks, ev: Ev) {
        let at = at.max(self.cal.now());
        // `at` is clamped to now, so scheduling cannot fail.
        let _ = self.cal.schedule_at(at, ev);
    }

    /// Admits waiting arrivals at `n` once the current event is over. Deferring (rather
    /// than admitting inside a departure) keeps the call depth bounded whatever the queue.
    pub fn request_admit(&mut self, n: usize) {
        if !self.nodes[n].admit_pending && !self.nodes[n].gate.is_empty() {
            self.nodes[n].admit_pending = true;
            self.schedule_in(0, Ev::Admit { node: n as u32 });
        }
    }

    pub fn alloc_container(&mut self, c: Container) -> u32 {
        self.alive_teu += f64::from(c.teu);
        if let Some(i) = self.free_containers.pop() {
            self.containers[i as usize] = c;
            i
        } else {
            // No free slot: every slot holds a live container, so the arena's length is
            // the number alive.
            if self.containers.len() >= MAX_CONTAINERS_IN_SYSTEM {
                self.overloaded = true;
            }
            self.containers.push(c);
            (self.containers.len() - 1) as u32
        }
    }

    pub fn alloc_train(&mut self, link: u32) -> u32 {
        if let Some(i) = self.free_trains.pop() {
            let t = &mut self.trains[i as usize];
            t.link = link;
            t.teu = 0.0;
            t.pool = None;
            t.containers.clear();
            i
        } else {
            self.trains.push(Train {
                link,
                containers: Vec::new(),
                teu: 0.0,
                pool: None,
            });
            (self.trains.len() - 1) as u32
        }
    }

    /// Runs the replication from warm-up start to the end of the last year, or stops it
    /// when the corridor holds more than `MAX_CONTAINERS_IN_SYSTEM` containers.
    pub fn run(self, replication: u64) -> Result<RunResult, super::RunError> {
        self.run_with_trace(replication).map(|(r, _)| r)
    }

    /// As `run`, returning the trace too when one was set up.
    pub fn run_with_trace(
        mut self,
        replication: u64,
    ) -> Result<(RunResult, Option<Vec<Tally>>), super::RunError> {
        self.start();
        let end = self.m.end;
        loop {
            if self.overloaded {
                return Err(self.overload_error());
            }
            // The earliest flow arrival (flows are few: a scan beats a heap).
            let (mut flow, mut at) = (usize::MAX, Ticks::MAX);
            for (f, t) in self.next_arrival.iter().enumerate() {
                if *t < at {
                    (flow, at) = (f, *t);
                }
            }
            // Calendar events first on a tie: deterministic, and the order within a tick
            // does not bias any statistic.
            match self.cal.peek_time() {
                Some(t) if t <= at && t <= end => {
                    if let Some((_, ev)) = self.cal.pop() {
                        // A box's readiness is the commonest event and its first touch of
                        // the box is a cache miss: start it now, behind this event's work.
                        if let Some(&Ev::Ready { container, .. }) = self.cal.peek_event()
                            && let Some(ct) = self.containers.get(container as usize)
                        {
                            prefetch(ct);
                        }
                        self.handle(ev);
                    }
                }
                _ if at <= end && self.cal.advance_to(at) => self.on_flow_arrival(flow),
                _ => break,
            }
        }
        let trace = self.trace.take().map(|(_, bins)| bins);
        Ok((self.finish(replication), trace))
    }

    /// Where the backlog is when the run stops for overload: the place holding most TEU.
    fn overload_error(&self) -> super::RunError {
        let mut worst = (0.0, String::new());
        for (i, n) in self.nodes.iter().enumerate() {
            let teu = n.gate.size() + n.yard.amount();
            if teu > worst.0 {
                worst = (teu, format!("node `{}`", self.m.nodes[i].id));
            }
        }
        for (i, l) in self.links.iter().enumerate() {
            if l.waiting.size() > worst.0 {
                worst = (l.waiting.size(), format!("link `{}`", self.m.links[i].id));
            }
        }
        let now = self.now();
        let year = self.m.first_year + (now / TICKS_PER_YEAR) as i32
            - ((self.m.stats_start / TICKS_PER_YEAR) as i32);
        super::RunError::Overloaded {
            limit: MAX_CONTAINERS_IN_SYSTEM,
            year,
            place: worst.1,
            teu: worst.0,
        }
    }

    fn start(&mut self) {
        let m = self.m;
        self.year_now = self.year_index(self.now());
        // Year boundaries: the first one closes the warm-up window.
        let mut t = m.stats_start;
        while t <= m.end {
            self.schedule_at(t, Ev::YearEnd);
            t += TICKS_PER_YEAR;
        }
        for (i, c) in m.changes.iter().enumerate() {
            self.schedule_at(c.at, Ev::Change { index: i as u32 });
        }
        for l in 0..m.links.len() {
            self.start_link(l);
        }
        for f in 0..m.flows.len() {
            self.schedule_next_arrival(f);
        }
        for d in 0..m.disruptions.len() {
            self.schedule_disruption(d);
        }
        if !self.patience_links.is_empty() {
            self.schedule_in(self.patience_every, Ev::PatienceSweep);
        }
        self.schedule_in(TICKS_PER_DAY, Ev::StallWatch);
        self.choice_start();
    }

    // ---- what differs by kind of link: one arm per kind ----

    /// Starts the processes of a link at the beginning of the run.
    pub(crate) fn start_link(&mut self, l: usize) {
        match &self.m.links[l].kind {
            LinkKind::Rail(_) => self.ensure_timetable(l),
            LinkKind::Sea(_) => self.start_sea(l),
        }
    }

    /// Something changed at the origin of `l` (a container is ready, the link or node
    /// reopened, a parameter changed): leave if the rules allow.
    pub(crate) fn try_depart(&mut self, l: usize) {
        match self.links[l].carriers {
            Carriers::Rail(_) => self.try_rail(l),
            Carriers::Sea(_) => self.try_sea(l),
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Ready { node, container } => self.on_ready(node as usize, container),
            Ev::RailTimer { link } => self.on_rail_timer(link as usize),
            Ev::TrainSlot { link } => self.on_train_slot(link as usize),
            Ev::TrainArrival { train } => self.on_train_arrival(train),
            Ev::Vessel { vessel } => self.on_vessel(vessel),
            Ev::VesselTimeout { vessel, epoch } => self.on_vessel_timeout(vessel, epoch),
            Ev::StormStart { link, epoch } => self.on_storm_start(link as usize, epoch),
            Ev::StormEnd { link } => self.on_storm_end(link as usize),
            Ev::Change { index } => self.apply_change(index as usize),
            Ev::ClosureStart { disruption, epoch } => {
                self.on_closure_start(disruption as usize, epoch)
            }
            Ev::ClosureEnd { disruption } => self.on_closure_end(disruption as usize),
            Ev::Admit { node } => {
                self.nodes[node as usize].admit_pending = false;
                self.try_admit(node as usize);
            }
            Ev::WagonReturn { pool } => self.on_wagon_return(pool as usize),
            Ev::ChoiceDay => self.on_choice_day(),
            Ev::MarketUpdate { flow } => self.on_market_update(flow as usize),
            Ev::PatienceSweep => {
                self.sweep_impatient();
                self.schedule_in(self.patience_every, Ev::PatienceSweep);
            }
            Ev::StallWatch => {
                self.watch_stalls();
                self.schedule_in(TICKS_PER_DAY, Ev::StallWatch);
            }
            Ev::YearEnd => self.on_year_end(),
        }
    }

    /// Closes the year that ends now: time averages and end-of-year stocks.
    fn on_year_end(&mut self) {
        let now = self.now();
        let closing = if now == 0 {
            None
        } else {
            self.year_index(now - 1)
        };
        if self.choice.is_some() {
            self.account_shares(closing);
        }
        self.year_now = self.year_index(now);
        let backlog: f64 = self.nodes.iter().map(|n| n.gate.size()).sum();
        let in_system = self.alive_teu - self.local_alive_teu;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            let mut cap = n.tw_cranes.area_until(now);
            if let Some(y) = closing {
                // Fix: without these, a cut of cranes while boxes were in handling
                // gave a utilization above 1 (busy time beyond the cranes counted).
                cap += self.years[y].nodes[i].excess_crane_ticks;
            }
            let (bb, bc) = n.berths.areas_until(now);
            let (fb, fc) = n.ferry_berths.areas_until(now);
            let (y_mean, y_max) = n.yard.roll(now);
            n.tw_cranes.roll(now);
            n.berths.roll(now);
            n.ferry_berths.roll(now);
            if let Some(y) = closing {
                let ny = &mut self.years[y].nodes[i];
                let has_cranes = self.m.nodes[i].cranes > 0 || cap > 0.0;
                ny.utilization = if cap > 0.0 {
                    ny.busy_ticks / cap
                } else {
                    f64::NAN
                };
                ny.berth_utilization = if bc > 0.0 { bb / bc } else { f64::NAN };
                ny.ferry_berth_utilization = if fc > 0.0 { fb / fc } else { f64::NAN };
                ny.queue_mean = if has_cranes {
                    ny.queue_ticks / TICKS_PER_YEAR as f64
                } else {
                    f64::NAN
                };
                if !has_cranes {
                    ny.queue_max = f64::NAN;
                }
                ny.yard_mean = y_mean;
                ny.yard_max = y_max;
            }
        }
        for (i, l) in self.links.iter_mut().enumerate() {
            let mut util = f64::NAN;
            let mut storm_hours = f64::NAN;
            let mut vessels = f64::NAN;
            match &mut l.carriers {
                Carriers::Rail(r) => {
                    let (paths_mean, _) = r.tw_paths.roll(now);
                    if r.paths_per_day.is_some() && paths_mean > 0.0 {
                        util = paths_mean * 365.0; // paths offered in the year
                    }
                }
                Carriers::Sea(s) => {
                    let fleet = s.tw_fleet.area_until(now);
                    let busy = s.tw_busy.area_until(now);
                    util = if fleet > 0.0 { busy / fleet } else { f64::NAN };
                    let (fleet_mean, _) = s.tw_fleet.roll(now);
                    s.tw_busy.roll(now);
                    let storm_area = s.tw_storm.area_until(now);
                    s.tw_storm.roll(now);
                    storm_hours = storm_area / TICKS_PER_HOUR as f64;
                    vessels = fleet_mean;
                }
            }
            if let Some(y) = closing {
                let ly = &mut self.years[y].links[i];
                ly.utilization = match l.carriers {
                    // Rail utilization: trains run on paths over paths offered. Only
                    // departures made under a path limit count (fix: departures while
                    // paths were unlimited, before a timeline change set a limit, used
                    // to push this above 1). Departures spaced by the headway can still
                    // number one more than the paths offered in the year (a train at
                    // 1 January 00:00 and every headway after it): that fraction of a
                    // path is capped, so the share stays a share.
                    Carriers::Rail(_) if util.is_nan() => f64::NAN,
                    Carriers::Rail(_) => (ly.departures_on_paths / util).min(1.0),
                    Carriers::Sea(_) => util,
                };
                ly.storm_hours = storm_hours;
                ly.vessels_mean = vessels;
            }
        }
        for (i, p) in self.pools.iter_mut().enumerate() {
            let (out, sets) = p.sets.areas_until(now);
            p.sets.roll(now);
            if let Some(y) = closing {
                self.years[y].pools[i].busy_share = if sets > 0.0 {
                    (out / sets).min(1.0)
                } else {
                    f64::NAN
                };
            }
        }
        if let Some(y) = closing {
            self.years[y].backlog_teu = backlog;
            self.years[y].in_system_teu = in_system;
            // Boxes still on their way, with their age now: a stall can never look fast
            // (the transit of delivered boxes alone would get shorter as boxes get stuck).
            let mut free = vec![false; self.containers.len()];
            for &c in &self.free_containers {
                free[c as usize] = true;
            }
            let m_flows = &self.m.flows;
            let ys = &mut self.years[y];
            for (c, ct) in self.containers.iter().enumerate() {
                if !free[c] {
                    let age = crate::engine::time::ticks_to_days(now - ct.created);
                    if !m_flows[ct.flow as usize].local {
                        ys.undelivered_age_days.add(age);
                    }
                    ys.flow_undelivered_age_days[ct.flow as usize].add(age);
                }
            }
        }
    }

    fn finish(self, replication: u64) -> RunResult {
        use crate::metrics::{Metric as M, SubjectKind as K};
        let m = self.m;
        let mut records = Vec::new();
        // A NaN means "not applicable this year" (no cranes, no observation): it is left out
        // rather than written, so a summary's n counts only the years that had the metric.
        let mut push = |year: i32, metric: M, kind: K, subject: &str, value: f64| {
            if value.is_nan() {
                return;
            }
            records.push(Record {
                year,
                metric,
                kind,
                subject: subject.to_string(),
                value,
            });
        };
        for (yi, y) in self.years.iter().enumerate() {
            let year = m.first_year + yi as i32;
            let c = "corridor";
            push(year, M::CreatedTeu, K::Corridor, c, y.created_teu);
            push(year, M::DeliveredTeu, K::Corridor, c, y.delivered_teu);
            push(
                year,
                M::TransitDaysMean,
                K::Corridor,
                c,
                y.transit_days.mean(),
            );
            push(
                year,
                M::TransitDaysP50,
                K::Corridor,
                c,
                y.transit_q.quantile(0.50),
            );
            push(
                year,
                M::TransitDaysP95,
                K::Corridor,
                c,
                y.transit_q.quantile(0.95),
            );
            push(year, M::BacklogTeu, K::Corridor, c, y.backlog_teu);
            push(year, M::DivertedTeu, K::Corridor, c, y.diverted_teu);
            push(year, M::InSystemTeu, K::Corridor, c, y.in_system_teu);
            for (i, f) in m.flows.iter().enumerate() {
                push(year, M::CreatedTeu, K::Flow, &f.id, y.flow_created_teu[i]);
                push(
                    year,
                    M::DeliveredTeu,
                    K::Flow,
                    &f.id,
                    y.flow_delivered_teu[i],
                );
                push(
                    year,
                    M::TransitDaysMean,
                    K::Flow,
                    &f.id,
                    y.flow_transit_days[i].mean(),
                );
                if f.patience.is_some() {
                    push(year, M::DivertedTeu, K::Flow, &f.id, y.flow_diverted_teu[i]);
                }
                let mean = y.flow_transit_days[i].mean();
                let p95 = y.flow_transit_q[i].quantile(0.95);
                push(
                    year,
                    M::TransitDaysP50,
                    K::Flow,
                    &f.id,
                    y.flow_transit_q[i].quantile(0.50),
                );
                push(year, M::TransitDaysP95, K::Flow, &f.id, p95);
                if mean > 0.0 {
                    push(
                        year,
                        M::BufferTimeIndex,
                        K::Flow,
                        &f.id,
                        (p95 - mean) / mean,
                    );
                }
                if f.promised_days.is_some() && y.flow_delivered_boxes[i] > 0.0 {
                    push(
                        year,
                        M::OnTimeShare,
                        K::Flow,
                        &f.id,
                        y.flow_on_time[i] / y.flow_delivered_boxes[i],
                    );
                }
                push(
                    year,
                    M::UndeliveredAgeDaysMean,
                    K::Flow,
                    &f.id,
                    y.flow_undelivered_age_days[i].mean(),
                );
            }
            push(
                year,
                M::UndeliveredAgeDaysMean,
                K::Corridor,
                c,
                y.undelivered_age_days.mean(),
            );
            for (i, r) in m.routes.iter().enumerate() {
                push(
                    year,
                    M::DeliveredTeu,
                    K::Route,
                    &r.id,
                    y.route_delivered_teu[i],
                );
                push(
                    year,
                    M::TransitDaysMean,
                    K::Route,
                    &r.id,
                    y.route_transit_days[i].mean(),
                );
                push(
                    year,
                    M::TransitDaysP50,
                    K::Route,
                    &r.id,
                    y.route_transit_q[i].quantile(0.50),
                );
                push(
                    year,
                    M::TransitDaysP95,
                    K::Route,
                    &r.id,
                    y.route_transit_q[i].quantile(0.95),
                );
            }
            for (i, n) in m.nodes.iter().enumerate() {
                let ny = &y.nodes[i];
                if n.cranes > 0 || ny.handled_teu > 0.0 {
                    push(year, M::HandledTeu, K::Node, &n.id, ny.handled_teu);
                }
                push(year, M::WaitHoursMean, K::Node, &n.id, ny.wait_hours.mean());
                push(year, M::WaitTeuHours, K::Node, &n.id, ny.wait_teu_hours);
                push(year, M::Utilization, K::Node, &n.id, ny.utilization);
                push(
                    year,
                    M::BerthUtilization,
                    K::Node,
                    &n.id,
                    ny.berth_utilization,
                );
                push(
                    year,
                    M::FerryBerthUtilization,
                    K::Node,
                    &n.id,
                    ny.ferry_berth_utilization,
                );
                push(year, M::QueueMean, K::Node, &n.id, ny.queue_mean);
                push(year, M::QueueMax, K::Node, &n.id, ny.queue_max);
                push(year, M::YardOccupancyMeanTeu, K::Node, &n.id, ny.yard_mean);
                push(year, M::YardOccupancyMaxTeu, K::Node, &n.id, ny.yard_max);
                if ny.stall.days > 0.0 {
                    push(year, M::StallDays, K::Node, &n.id, ny.stall.days);
                    push(year, M::StallStartDay, K::Node, &n.id, ny.stall.start_day);
                }
                if y.node_diverted_teu[i] > 0.0 {
                    push(year, M::DivertedTeu, K::Node, &n.id, y.node_diverted_teu[i]);
                }
            }
            for (i, p) in m.pools.iter().enumerate() {
                let py = &y.pools[i];
                push(
                    year,
                    M::WagonSetsBusyShare,
                    K::WagonPool,
                    &p.id,
                    py.busy_share,
                );
                push(year, M::WagonWaitHours, K::WagonPool, &p.id, py.wait_hours);
            }
            for (i, l) in m.links.iter().enumerate() {
                let ly = &y.links[i];
                push(year, M::CarriedTeu, K::Link, &l.id, ly.carried_teu);
                push(year, M::Departures, K::Link, &l.id, ly.departures);
                push(
                    year,
                    M::LoadFactorMean,
                    K::Link,
                    &l.id,
                    ly.load_factor.mean(),
                );
                push(year, M::WaitHoursMean, K::Link, &l.id, ly.wait_hours.mean());
                push(year, M::WaitTeuHours, K::Link, &l.id, ly.wait_teu_hours);
                push(year, M::Utilization, K::Link, &l.id, ly.utilization);
                if ly.stall.days > 0.0 {
                    push(year, M::StallDays, K::Link, &l.id, ly.stall.days);
                    push(year, M::StallStartDay, K::Link, &l.id, ly.stall.start_day);
                }
                if matches!(l.kind, LinkKind::Sea(_)) {
                    push(year, M::StormHours, K::Link, &l.id, ly.storm_hours);
                    push(year, M::VesselsMean, K::Link, &l.id, ly.vessels_mean);
                }
            }
        }
        for (yi, y) in self.years.iter().enumerate() {
            let year = m.first_year + yi as i32;
            for b in binding(m, y) {
                let (metric, kind, subject) = match b.0 {
                    Binding::Crane(n) => (M::CraneBindingTeuHours, K::Node, &m.nodes[n].id),
                    Binding::Berth(n) => (M::BerthBindingTeuHours, K::Node, &m.nodes[n].id),
                    Binding::Yard(n) => (M::YardBindingTeuHours, K::Node, &m.nodes[n].id),
                    Binding::Fleet(l) => (M::FleetBindingTeuHours, K::Link, &m.links[l].id),
                    Binding::Paths(l) => (M::PathBindingTeuHours, K::Link, &m.links[l].id),
                    Binding::Sets(p) => (M::WagonBindingTeuHours, K::WagonPool, &m.pools[p].id),
                };
                push(year, metric, kind, subject, b.1);
            }
            for (i, l) in m.links.iter().enumerate() {
                let ly = &y.links[i];
                push(
                    year,
                    M::CargoWaitTeuHours,
                    K::Link,
                    &l.id,
                    ly.cargo_teu_hours,
                );
                if matches!(l.kind, LinkKind::Sea(_)) {
                    push(
                        year,
                        M::WeatherTeuHours,
                        K::Link,
                        &l.id,
                        ly.weather_teu_hours,
                    );
                }
            }
        }
        // Time by segment (CAREC CPMM: time at a border, speed with and without delay)
        // and tariffs, after every other metric so that earlier rows keep their order.
        for (yi, y) in self.years.iter().enumerate() {
            let year = m.first_year + yi as i32;
            for (i, n) in m.nodes.iter().enumerate() {
                push(
                    year,
                    M::NodeHoursMean,
                    K::Node,
                    &n.id,
                    y.nodes[i].node_hours.mean(),
                );
            }
            for (i, l) in m.links.iter().enumerate() {
                let ly = &y.links[i];
                let (moving, leg) = (ly.moving_hours.mean(), ly.leg_hours.mean());
                push(year, M::MovingHoursMean, K::Link, &l.id, moving);
                push(year, M::LegHoursMean, K::Link, &l.id, leg);
                if let LinkKind::Rail(r) = &l.kind
                    && r.distance_km > 0.0
                {
                    push(year, M::SpeedKmPerHour, K::Link, &l.id, r.distance_km / leg);
                    push(
                        year,
                        M::MovingSpeedKmPerHour,
                        K::Link,
                        &l.id,
                        r.distance_km / moving,
                    );
                }
            }
            if !m.investments.is_empty() {
                let (mut capex, mut opex) = (0.0, 0.0);
                for inv in &m.investments {
                    let (c, o) = (inv.capex(year), inv.opex(year));
                    push(year, M::CapexEur, K::Investment, &inv.id, c);
                    push(year, M::OpexEur, K::Investment, &inv.id, o);
                    capex += c;
                    opex += o;
                }
                push(year, M::CapexEur, K::Corridor, "corridor", capex);
                push(year, M::OpexEur, K::Corridor, "corridor", opex);
            }
            let Some(costs) = &m.costs else { continue };
            for (i, n) in m.nodes.iter().enumerate() {
                push(
                    year,
                    M::CostPerTeu,
                    K::Node,
                    &n.id,
                    costs.node_per_teu[yi][i],
                );
            }
            for (i, l) in m.links.iter().enumerate() {
                let c = costs.link_per_teu[yi][i];
                push(year, M::CostPerTeu, K::Link, &l.id, c);
                if let LinkKind::Rail(r) = &l.kind
                    && r.distance_km > 0.0
                {
                    push(
                        year,
                        M::CostPer500Km,
                        K::Link,
                        &l.id,
                        c * 500.0 / r.distance_km,
                    );
                }
            }
            let route_cost = &costs.route_per_teu[yi];
            for (i, r) in m.routes.iter().enumerate() {
                push(year, M::CostPerTeu, K::Route, &r.id, route_cost[i]);
            }
            // A flow's and the corridor's cost: the mean over the TEU they delivered in
            // the year, each at its route's tariff (none delivered: no value).
            let nr = m.routes.len();
            let (mut corridor_sum, mut corridor_teu) = (0.0, 0.0);
            for (f, fd) in m.flows.iter().enumerate() {
                let row = &y.flow_route_delivered_teu[f * nr..(f + 1) * nr];
                let teu: f64 = row.iter().sum();
                let sum: f64 = row.iter().zip(route_cost).map(|(t, c)| t * c).sum();
                let v = if teu > 0.0 { sum / teu } else { f64::NAN };
                push(year, M::CostPerTeu, K::Flow, &fd.id, v);
                // A node's own traffic is not the corridor's (`FlowSpec::local`).
                if !fd.local {
                    corridor_sum += sum;
                    corridor_teu += teu;
                }
            }
            let v = if corridor_teu > 0.0 {
                corridor_sum / corridor_teu
            } else {
                f64::NAN
            };
            push(year, M::CostPerTeu, K::Corridor, "corridor", v);
        }
        self.choice_records(&mut push);
        let conservation = self.conservation();
        RunResult {
            replication,
            records,
            conservation,
            events: self.cal.fired(),
        }
    }

    /// Where the TEU still in the corridor are, counted from the places themselves (yards,
    /// gates, trains, vessels), independently of the created/delivered counters.
    pub fn conservation(&self) -> Conservation {
        let mut places = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let id = &self.m.nodes[i].id;
            if n.yard.amount() > 0.0 {
                places.push((format!("node:{id}"), n.yard.amount()));
            }
            let outside: f64 = n
                .gate
                .iter()
                .map(|w| match w {
                    Arrival::Container(c) => f64::from(self.containers[c as usize].teu),
                    Arrival::Train(_) | Arrival::Vessel(_) => 0.0,
                })
                .sum();
            if outside > 0.0 {
                places.push((format!("gate:{id}"), outside));
            }
        }
        for (i, l) in self.links.iter().enumerate() {
            if l.in_transit_teu > 0.0 {
                places.push((format!("link:{}", self.m.links[i].id), l.in_transit_teu));
            }
        }
        Conservation {
            created_teu: self.created_teu,
            delivered_teu: self.delivered_teu,
            diverted_teu: self.diverted_teu,
            in_system_teu: places,
        }
    }
}
