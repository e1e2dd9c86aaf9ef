//! Rail links: trains formed at the departing node, leaving when full, after a maximum
//! wait, or on a timetable, each needing a free train path; then running for a travel time
//! drawn from distance and speed plus stops.
//!
//! A train takes waiting containers in arrival order up to its capacity in TEU (never
//! overtaking: a 40-ft box that does not fit ends the loading). A line's train paths are
//! one kit server (`SingleServer`) whose work is the headway between trains; a wagon pool is
//! a kit `Stock` of sets whose queue holds the links waiting for one. This file must never
//! touch a node's cranes or yard other than through `leave_node` and `unload_at_node`.

use crate::engine::Ticks;
use crate::engine::time::hours_to_ticks;
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR};

use super::network::LinkKind;
use super::sim::{Arrival, Ev, Sim};

impl Sim<'_> {
    pub(crate) fn ensure_timetable(&mut self, l: usize) {
        let Some(r) = self.links[l].rail_mut() else {
            return;
        };
        if let Some(tt) = r.timetable
            && !r.slot_running
        {
            r.slot_running = true;
            self.schedule_in(tt, Ev::TrainSlot { link: l as u32 });
        }
    }

    fn rail_open(&self, l: usize) -> bool {
        self.links[l].closed == 0 && self.nodes[self.m.links[l].from].closed == 0
    }

    pub(crate) fn try_rail(&mut self, l: usize) {
        self.charge_wait(l);
        self.try_rail_now(l);
        self.note_wait(l);
    }

    fn try_rail_now(&mut self, l: usize) {
        let now = self.now();
        loop {
            if !self.rail_open(l) || self.links[l].waiting.is_empty() {
                return;
            }
            let Some(r) = self.links[l].rail() else {
                return;
            };
            if r.timetable.is_some() {
                return; // departures happen only at slots
            }
            let full = self.links[l].waiting.size() >= r.train_capacity_teu;
            let oldest = self.links[l]
                .waiting
                .front()
                .map(|c| self.containers[c as usize].mark)
                .unwrap_or(now);
            let due_at = r.max_wait.map(|w| oldest.saturating_add(w));
            let due = full || due_at.is_some_and(|d| d <= now);
            if !due {
                if let Some(d) = due_at {
                    self.rail_timer(l, d);
                }
                return;
            }
            if now < r.next_path() {
                let at = r.next_path();
                self.rail_timer(l, at);
                return;
            }
            if !self.take_wagon_set(l) {
                return;
            }
            self.dispatch_train(l);
        }
    }

    /// A train of `l` is due: takes a wagon set from the link's pool, or puts the link in
    /// the pool's queue (it is woken when a set comes back). Links without a pool always
    /// have stock.
    fn take_wagon_set(&mut self, l: usize) -> bool {
        let now = self.now();
        let Some(r) = self.links[l].rail_mut() else {
            return false;
        };
        let Some(p) = r.pool else { return true };
        let pool = &mut self.pools[p as usize];
        if pool.sets.lend(now) {
            let since = std::mem::replace(&mut self.set_wait_since[l], Ticks::MAX);
            if since < now
                && let Some(y) = self.year_now
            {
                self.years[y].pools[p as usize].wait_hours +=
                    (now - since) as f64 / TICKS_PER_HOUR as f64;
            }
            true
        } else {
            if !r.waiting_for_set {
                r.waiting_for_set = true;
                pool.sets.join_queue(l as u32);
            }
            if self.set_wait_since[l] == Ticks::MAX {
                self.set_wait_since[l] = now;
            }
            false
        }
    }

    /// The train is empty: its wagon set heads back to the pool.
    pub(crate) fn train_emptied(&mut self, t: u32) {
        self.free_trains.push(t);
        let Some(p) = self.trains[t as usize].pool.take() else {
            return;
        };
        let hours = self.m.pools[p as usize]
            .turnaround_hours
            .sample(&mut self.pool_rng[p as usize]);
        self.schedule_in(hours_to_ticks(hours), Ev::WagonReturn { pool: p });
    }

    pub(crate) fn on_wagon_return(&mut self, p: usize) {
        let now = self.now();
        // Retired now if the timeline cut the pool while this set was out.
        self.pools[p].sets.give_back(now);
        self.wake_pool(p);
    }

    /// Sets are available: links waiting for one try again, in the order they asked.
    pub(crate) fn wake_pool(&mut self, p: usize) {
        while let Some(l) = self.pools[p].sets.next_served() {
            if let Some(r) = self.links[l as usize].rail_mut() {
                r.waiting_for_set = false;
            }
            if self.links[l as usize]
                .rail()
                .is_some_and(|r| r.timetable.is_some())
            {
                // A timetabled link leaves at its next slot; it keeps no claim on the set.
                continue;
            }
            self.try_rail(l as usize);
        }
    }

    /// The timeline set the pool's size: new sets are available now, removed ones go
    /// from the available first and the rest retire as they come back.
    pub(crate) fn set_pool_sets(&mut self, p: usize, target: u32) {
        let now = self.now();
        self.pools[p].sets.set_target(now, target);
        self.wake_pool(p);
    }

    /// Asks for a retry at `at` unless one is already due no later.
    fn rail_timer(&mut self, l: usize, at: Ticks) {
        let Some(r) = self.links[l].rail_mut() else {
            return;
        };
        if at < r.next_timer {
            r.next_timer = at;
            self.schedule_at(at, Ev::RailTimer { link: l as u32 });
        }
    }

    pub(crate) fn on_rail_timer(&mut self, l: usize) {
        let now = self.now();
        if let Some(r) = self.links[l].rail_mut()
            && r.next_timer <= now
        {
            r.next_timer = Ticks::MAX;
        }
        self.try_rail(l);
    }

    pub(crate) fn on_train_slot(&mut self, l: usize) {
        let now = self.now();
        let Some(r) = self.links[l].rail_mut() else {
            return;
        };
        let Some(tt) = r.timetable else {
            r.slot_running = false;
            return;
        };
        self.schedule_in(tt, Ev::TrainSlot { link: l as u32 });
        let path_free = self.links[l].rail().is_some_and(|r| now >= r.next_path());
        self.charge_wait(l);
        if self.rail_open(l)
            && path_free
            && !self.links[l].waiting.is_empty()
            && self.take_wagon_set(l)
        {
            self.dispatch_train(l);
        }
        self.note_wait(l);
    }

    fn dispatch_train(&mut self, l: usize) {
        let now = self.now();
        let from = self.m.links[l].from;
        let (capacity, headway, on_paths) = {
            let Some(r) = self.links[l].rail() else {
                return;
            };
            let on_paths = r.paths_per_day.is_some();
            let headway = r
                .paths_per_day
                .filter(|p| *p > 0.0)
                .map(|p| (TICKS_PER_DAY as f64 / p).round() as Ticks);
            (r.train_capacity_teu, headway, on_paths)
        };
        let tr = self.alloc_train(l as u32);
        self.trains[tr as usize].pool = self.links[l].rail().and_then(|r| r.pool);
        let mut list = std::mem::take(&mut self.trains[tr as usize].containers);
        let mut teu = 0.0;
        while let Some(c) = self.links[l].waiting.front() {
            let t = f64::from(self.containers[c as usize].teu);
            // The first box always boards, so that a train smaller than a 40-ft box cannot
            // block the link for ever.
            if !list.is_empty() && teu + t > capacity {
                break;
            }
            self.links[l].waiting.pop_front(t);
            teu += t;
            list.push(c);
            self.leave_node(from, l, c);
        }
        let train = &mut self.trains[tr as usize];
        train.containers = list;
        train.teu = teu;
        self.links[l].in_transit_teu += teu;
        if let Some(r) = self.links[l].rail_mut() {
            r.paths.occupy(now + headway.unwrap_or(0));
        }
        if let Some(y) = self.year_now {
            let ly = &mut self.years[y].links[l];
            ly.carried_teu += teu;
            ly.departures += 1.0;
            if on_paths {
                ly.departures_on_paths += 1.0;
            }
            // On [0, 1]: a box larger than the train boards alone (see above).
            ly.load_factor.add((teu / capacity).min(1.0));
        }
        let travel = self.rail_travel_ticks(l);
        self.schedule_in(travel, Ev::TrainArrival { train: tr });
        self.departed(l);
        self.request_admit(from);
    }

    fn rail_travel_ticks(&mut self, l: usize) -> Ticks {
        let LinkKind::Rail(r) = &self.m.links[l].kind else {
            return 0;
        };
        let rng = &mut self.link_rng[l];
        let mut hours = 0.0;
        if let Some(speed) = &r.speed_km_per_day {
            let v = speed.sample(rng);
            if v > 0.0 {
                hours += r.distance_km / v * 24.0;
            }
        }
        if let Some(extra) = &r.extra_hours {
            hours += extra.sample(rng);
        }
        hours_to_ticks(hours)
    }

    pub(crate) fn on_train_arrival(&mut self, t: u32) {
        let l = self.trains[t as usize].link as usize;
        let to = self.m.links[l].to;
        if self.unload_at_node(to, Arrival::Train(t)) {
            self.train_emptied(t);
        }
    }
}
