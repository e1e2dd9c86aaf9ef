//! Sea crossings: a fleet of vessel classes shuttling between two ports.
//!
//! A vessel idles at the origin until enough cargo waits (a share of its usable capacity)
//! or it has waited long enough; it then claims that cargo, queues for a berth, loads for
//! the port's vessel handling time, sails unless a storm or closure holds it, queues for a
//! berth at the destination, unloads, waits at the berth until the yard takes all its
//! boxes (back-pressure), and sails back empty. Berths are the port's (`terminal.rs`);
//! this file says how long a call holds one. Storms hold every departure in both
//! directions; vessels already at sea continue. Usable capacity is nominal capacity times
//! `load_cap_share` (draft limits). This file must never handle containers landside.

use crate::engine::time::{hours_to_ticks, ticks_to_hours};
use rand_distr::{Distribution, Exp1};

use crate::engine::time::TICKS_PER_YEAR;

use super::demand::spend_mass;
use super::network::LinkKind;
use super::sim::{Arrival, Ev, Sim, Vessel, VesselState};

impl Sim<'_> {
    pub(crate) fn start_sea(&mut self, l: usize) {
        let LinkKind::Sea(def) = &self.m.links[l].kind else {
            return;
        };
        for (k, class) in def.classes.iter().enumerate() {
            for _ in 0..class.count {
                self.add_vessel(l, k);
            }
        }
        self.schedule_storm(l);
    }

    fn add_vessel(&mut self, l: usize, class: usize) {
        let now = self.now();
        let v = self.vessels.len() as u32;
        self.vessels.push(Vessel {
            link: l as u32,
            class: class as u32,
            state: VesselState::Retired,
            cargo: Vec::new(),
            cargo_teu: 0.0,
            claimed_capacity_teu: 0.0,
            epoch: 0,
            expired: false,
            since: now,
        });
        if let Some(s) = self.links[l].sea_mut() {
            s.in_state[VesselState::Retired as usize] += 1;
        }
        if let Some(s) = self.links[l].sea_mut() {
            s.class_active[class] += 1;
            let fleet = s.tw_fleet.current() + 1.0;
            s.tw_fleet.set(now, fleet);
            let busy = s.tw_busy.current() + 1.0;
            s.tw_busy.set(now, busy);
        }
        self.vessel_idle(v);
    }

    fn set_busy(&mut self, l: usize, delta: f64) {
        let now = self.now();
        if let Some(s) = self.links[l].sea_mut() {
            let b = s.tw_busy.current() + delta;
            s.tw_busy.set(now, b);
        }
    }

    /// The vessel is at the origin with nothing to do.
    fn vessel_idle(&mut self, v: u32) {
        let l = self.vessels[v as usize].link as usize;
        let class = self.vessels[v as usize].class as usize;
        let now = self.now();
        let retire = {
            let Some(s) = self.links[l].sea() else {
                return;
            };
            s.class_active[class] > s.class_target[class]
        };
        if retire {
            self.retire_vessel(v);
            return;
        }
        self.set_busy(l, -1.0);
        self.set_vstate(v, VesselState::Idle);
        let vs = &mut self.vessels[v as usize];
        vs.epoch = vs.epoch.wrapping_add(1);
        vs.expired = false;
        let epoch = vs.epoch;
        let max_wait = self.links[l].sea().and_then(|s| s.max_wait);
        if let Some(s) = self.links[l].sea_mut() {
            s.idle.push_back(v);
        }
        if let Some(w) = max_wait {
            self.schedule_at(
                now.saturating_add(w),
                Ev::VesselTimeout { vessel: v, epoch },
            );
        }
        self.try_sea(l);
    }

    /// Moves the vessel to `next`, charging the time it spent in its previous state with
    /// boxes on board to what held it: a berth queue to that port's berths, a storm or
    /// closure to the weather. The link's waiting boxes are looked at first, since what the
    /// fleet is doing decides to what their waiting is charged.
    pub(crate) fn set_vstate(&mut self, v: u32, next: VesselState) {
        let now = self.now();
        let l = self.vessels[v as usize].link as usize;
        self.note_wait(l);
        let vs = &mut self.vessels[v as usize];
        let (prev, since, teu) = (vs.state, vs.since, vs.cargo_teu);
        vs.state = next;
        vs.since = now;
        if let Some(s) = self.links[l].sea_mut() {
            s.in_state[prev as usize] -= 1;
            s.in_state[next as usize] += 1;
        }
        if teu > 0.0
            && let Some(y) = self.year_now
        {
            let teu_hours = teu * ticks_to_hours(now.saturating_sub(since));
            let link = &self.m.links[l];
            match prev {
                VesselState::QueuedOrigin => {
                    self.years[y].nodes[link.from].berth_teu_hours += teu_hours;
                    self.years[y].links[l].berth_from_teu_hours += teu_hours;
                }
                VesselState::QueuedDest => {
                    self.years[y].nodes[link.to].berth_teu_hours += teu_hours;
                    self.years[y].links[l].berth_to_teu_hours += teu_hours;
                }
                VesselState::HoldOrigin => self.years[y].links[l].weather_teu_hours += teu_hours,
                _ => {}
            }
        }
    }

    fn retire_vessel(&mut self, v: u32) {
        let now = self.now();
        let l = self.vessels[v as usize].link as usize;
        let class = self.vessels[v as usize].class as usize;
        self.set_vstate(v, VesselState::Retired);
        if let Some(s) = self.links[l].sea_mut() {
            s.class_active[class] -= 1;
            let fleet = s.tw_fleet.current() - 1.0;
            s.tw_fleet.set(now, fleet);
            let busy = s.tw_busy.current() - 1.0;
            s.tw_busy.set(now, busy);
        }
    }

    pub(crate) fn on_vessel_timeout(&mut self, v: u32, epoch: u32) {
        let vs = &mut self.vessels[v as usize];
        if vs.epoch == epoch && vs.state == VesselState::Idle {
            vs.expired = true;
            let l = vs.link as usize;
            self.try_sea(l);
        }
    }

    fn usable_capacity(&self, v: u32) -> f64 {
        let vs = &self.vessels[v as usize];
        let Some(s) = self.links[vs.link as usize].sea() else {
            return 0.0;
        };
        s.class_capacity_teu[vs.class as usize] * s.load_cap_share
    }

    /// Sends idle vessels to load while the waiting cargo justifies it.
    pub(crate) fn try_sea(&mut self, l: usize) {
        self.charge_wait(l);
        self.try_sea_now(l);
        self.note_wait(l);
    }

    fn try_sea_now(&mut self, l: usize) {
        let from = self.m.links[l].from;
        loop {
            if self.links[l].closed > 0
                || self.nodes[from].closed > 0
                || self.links[l].waiting.is_empty()
            {
                return;
            }
            let Some(s) = self.links[l].sea() else {
                return;
            };
            let Some(&v) = s.idle.front() else { return };
            let usable = self.usable_capacity(v);
            let waiting = self.links[l].waiting.size();
            let enough = waiting >= s.min_load_share * usable || waiting >= usable;
            if !(enough || self.vessels[v as usize].expired) {
                return;
            }
            if let Some(s) = self.links[l].sea_mut() {
                s.idle.pop_front();
            }
            self.set_busy(l, 1.0);
            // Claim the cargo now so that two vessels never count the same boxes.
            let mut cargo = std::mem::take(&mut self.vessels[v as usize].cargo);
            cargo.clear();
            let mut teu = 0.0;
            while let Some(c) = self.links[l].waiting.front() {
                let t = f64::from(self.containers[c as usize].teu);
                if !cargo.is_empty() && teu + t > usable {
                    break;
                }
                self.links[l].waiting.pop_front(t);
                teu += t;
                cargo.push(c);
            }
            let vs = &mut self.vessels[v as usize];
            vs.cargo = cargo;
            vs.cargo_teu = teu;
            vs.claimed_capacity_teu = usable.max(teu);
            self.set_vstate(v, VesselState::QueuedOrigin);
            self.departed(l);
            self.request_berth(from, v);
        }
    }

    pub(crate) fn is_ferry(&self, v: u32) -> bool {
        let vs = &self.vessels[v as usize];
        match &self.m.links[vs.link as usize].kind {
            LinkKind::Sea(sea) => sea.classes[vs.class as usize].rail_ferry,
            LinkKind::Rail(_) => false,
        }
    }

    /// A berth at `n` took the vessel (`terminal::occupy_berth`): it loads or unloads for
    /// the call's time.
    pub(crate) fn vessel_berthed(&mut self, n: usize, v: u32) {
        let hours = self.berth_hours(n, v);
        let next = match self.vessels[v as usize].state {
            VesselState::QueuedOrigin => VesselState::Loading,
            _ => VesselState::Unloading,
        };
        self.set_vstate(v, next);
        self.schedule_in(hours_to_ticks(hours), Ev::Vessel { vessel: v });
    }

    /// How long the call holds the berth: the fixed part, plus the boxes lifted (feeders:
    /// one move per box, by the quay cranes working the vessel) or the wagons rolled (rail
    /// ferries: a platform carries up to 2 TEU), so a half-empty vessel frees the berth
    /// sooner than a full one.
    fn berth_hours(&mut self, n: usize, v: u32) -> f64 {
        let def = &self.m.nodes[n];
        let ferry_call = if self.is_ferry(v) {
            def.ferry_call_hours.as_ref()
        } else {
            None
        };
        let call = match ferry_call.or(def.vessel_call_hours.as_ref()) {
            Some(d) => d.sample(&mut self.node_rng[n]),
            None => 0.0,
        };
        let vs = &self.vessels[v as usize];
        let LinkKind::Sea(sea) = &self.m.links[vs.link as usize].kind else {
            return call;
        };
        let ferry = sea.classes[vs.class as usize].rail_ferry;
        let (moves, per_hour) = if ferry {
            (
                (vs.cargo_teu / crate::scenario::validate::TEU_PER_WAGON).ceil(),
                def.ferry_wagons_per_hour,
            )
        } else {
            (
                vs.cargo.len() as f64,
                def.quay_moves_per_hour
                    .map(|r| r * f64::from(self.nodes[n].quay_cranes_per_vessel)),
            )
        };
        match per_hour {
            Some(r) if r > 0.0 => call + moves / r,
            _ => call,
        }
    }

    fn sea_open(&self, l: usize) -> bool {
        let s = self.links[l].sea();
        self.links[l].closed == 0 && s.is_some_and(|s| s.storms == 0)
    }

    pub(crate) fn on_vessel(&mut self, v: u32) {
        let l = self.vessels[v as usize].link as usize;
        let (from, to) = (self.m.links[l].from, self.m.links[l].to);
        match self.vessels[v as usize].state {
            VesselState::Loading => {
                let cargo = std::mem::take(&mut self.vessels[v as usize].cargo);
                for &c in &cargo {
                    self.leave_node(from, l, c);
                }
                self.vessels[v as usize].cargo = cargo;
                let teu = self.vessels[v as usize].cargo_teu;
                self.links[l].in_transit_teu += teu;
                if let Some(y) = self.year_now {
                    // Fix: against the usable capacity the cargo was claimed for, not the
                    // one in force at departure (a timeline cut of `load_cap_share` while
                    // the vessel queued for its berth gave load factors above 1).
                    let usable = self.vessels[v as usize].claimed_capacity_teu;
                    let ly = &mut self.years[y].links[l];
                    ly.carried_teu += teu;
                    ly.departures += 1.0;
                    if usable > 0.0 {
                        ly.load_factor.add(teu / usable);
                    }
                }
                self.release_berth(from, v);
                self.request_admit(from);
                self.depart_or_hold(v, VesselState::HoldOrigin);
            }
            VesselState::Sailing => {
                self.set_vstate(v, VesselState::QueuedDest);
                self.request_berth(to, v);
            }
            VesselState::Unloading => {
                if self.unload_at_node(to, Arrival::Vessel(v)) {
                    self.vessel_emptied(v);
                } else {
                    self.set_vstate(v, VesselState::BlockedDest);
                }
            }
            VesselState::Returning => self.vessel_idle(v),
            _ => {}
        }
    }

    /// The destination yard took the last box: free the berth and head back.
    pub(crate) fn vessel_emptied(&mut self, v: u32) {
        let l = self.vessels[v as usize].link as usize;
        let to = self.m.links[l].to;
        let vs = &mut self.vessels[v as usize];
        vs.cargo.clear();
        vs.cargo_teu = 0.0;
        self.release_berth(to, v);
        self.depart_or_hold(v, VesselState::HoldDest);
    }

    fn depart_or_hold(&mut self, v: u32, hold: VesselState) {
        let l = self.vessels[v as usize].link as usize;
        if self.sea_open(l) {
            self.sail(v, hold == VesselState::HoldOrigin);
        } else {
            self.set_vstate(v, hold);
            if let Some(s) = self.links[l].sea_mut() {
                s.hold.push(v);
            }
        }
    }

    fn sail(&mut self, v: u32, outbound: bool) {
        let l = self.vessels[v as usize].link as usize;
        let LinkKind::Sea(def) = &self.m.links[l].kind else {
            return;
        };
        let rng = &mut self.link_rng[l];
        let hours = if outbound {
            def.sailing_hours.sample(rng)
        } else {
            def.return_hours.sample(rng)
        };
        self.set_vstate(
            v,
            if outbound {
                VesselState::Sailing
            } else {
                VesselState::Returning
            },
        );
        self.schedule_in(hours_to_ticks(hours), Ev::Vessel { vessel: v });
    }

    /// The crossing reopened: held vessels sail, in the order they were held.
    pub(crate) fn release_held_vessels(&mut self, l: usize) {
        if !self.sea_open(l) {
            return;
        }
        let held = match self.links[l].sea_mut() {
            Some(s) => std::mem::take(&mut s.hold),
            None => return,
        };
        for &v in &held {
            let outbound = self.vessels[v as usize].state == VesselState::HoldOrigin;
            self.sail(v, outbound);
        }
        if let Some(s) = self.links[l].sea_mut() {
            let mut held = held;
            held.clear();
            s.hold = held;
        }
    }

    /// Fleet size of a class changed: add vessels at the origin now; retire idle ones now
    /// and busy ones when they next come back empty.
    pub(crate) fn set_fleet_count(&mut self, l: usize, class: usize, target: u32) {
        let active = {
            let Some(s) = self.links[l].sea_mut() else {
                return;
            };
            s.class_target[class] = target;
            s.class_active[class]
        };
        for _ in active..target {
            self.add_vessel(l, class);
        }
        if active > target {
            let idle: Vec<u32> = self.links[l]
                .sea()
                .map(|s| s.idle.iter().copied().collect())
                .unwrap_or_default();
            for v in idle {
                let over = self.links[l]
                    .sea()
                    .is_some_and(|s| s.class_active[class] > s.class_target[class]);
                if over && self.vessels[v as usize].class as usize == class {
                    if let Some(s) = self.links[l].sea_mut() {
                        s.idle.retain(|x| *x != v);
                    }
                    // An idle vessel counts as not busy; retiring removes it from both.
                    self.set_busy(l, 1.0);
                    self.retire_vessel(v);
                }
            }
        }
    }

    // ---- storms ----

    pub(crate) fn schedule_storm(&mut self, l: usize) {
        let LinkKind::Sea(def) = &self.m.links[l].kind else {
            return;
        };
        let Some(st) = &def.storms else { return };
        let Some(s) = self.links[l].sea() else {
            return;
        };
        let per_year = s.storm_rate_per_year;
        let epoch = s.storm_epoch;
        if per_year <= 0.0 {
            return;
        }
        let monthly = st.monthly;
        let mass: f64 = Exp1.sample(&mut self.weather_rng[l]);
        let rate = |_y: usize, m: usize| per_year * monthly[m] / TICKS_PER_YEAR as f64;
        if let Some(at) = spend_mass(self.now(), mass, self.m.end, rate) {
            self.schedule_at(
                at,
                Ev::StormStart {
                    link: l as u32,
                    epoch,
                },
            );
        }
    }

    pub(crate) fn on_storm_start(&mut self, l: usize, epoch: u32) {
        let now = self.now();
        if self.links[l].sea().is_none_or(|s| s.storm_epoch != epoch) {
            return;
        }
        let LinkKind::Sea(def) = &self.m.links[l].kind else {
            return;
        };
        let Some(st) = &def.storms else { return };
        let hours = st.duration_hours.sample(&mut self.weather_rng[l]);
        if let Some(s) = self.links[l].sea_mut() {
            s.storms += 1;
            s.tw_storm.set(now, 1.0);
        }
        self.schedule_in(hours_to_ticks(hours), Ev::StormEnd { link: l as u32 });
        self.schedule_storm(l);
        self.refresh_routes();
    }

    pub(crate) fn on_storm_end(&mut self, l: usize) {
        let now = self.now();
        if let Some(s) = self.links[l].sea_mut() {
            s.storms -= 1;
            if s.storms == 0 {
                s.tw_storm.set(now, 0.0);
            }
        }
        self.release_held_vessels(l);
        self.refresh_routes();
    }

    /// The storm rate changed: redraw the next storm from now (memoryless, so exact).
    pub(crate) fn reschedule_storms(&mut self, l: usize) {
        if let Some(s) = self.links[l].sea_mut() {
            s.storm_epoch = s.storm_epoch.wrapping_add(1);
        }
        self.schedule_storm(l);
    }
}
