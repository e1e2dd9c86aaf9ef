//! What binds: the waiting of boxes charged to the capacity that keeps them waiting, so
//! that the "main bottleneck" names the resource whose next unit buys most, not the place
//! where boxes happen to sit.
//!
//! Boxes ready at a link's origin wait for one reason at a time (`WaitCause`): a carrier
//! filling (consolidation, not a capacity), a train path, a wagon set, a closure, or no
//! vessel at the origin. The last is charged to what holds the link's vessels at that
//! moment, in proportion to the vessels each holds: queueing for a berth (that port's
//! berths), held by a storm (weather), blocked outside a full yard (that yard); only when
//! none is held, every vessel working, to the fleet (a vessel more would join the queue
//! that holds the others, so the fleet is not what binds while any queue stands). Vessels
//! charge their own cargo's time in a berth queue or a storm hold (`set_vstate`); boxes
//! charge their time outside a full yard (`admit`) and in a crane queue (`plan`); a link
//! short of wagon sets because sets stand with trains outside a full yard charges that
//! yard. This file
//! must never change what the model does: it only keeps accounts.

use crate::engine::Ticks;
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_YEAR, ticks_to_hours};

use super::sim::{Carriers, Sim, StallClock, StallYear, VesselState, WaitCause, YearStats};

impl Sim<'_> {
    /// Charges the TEU waiting at `l`'s origin since the last look to their cause, then
    /// works out the cause from now on. Called before the waiting TEU or the state of the
    /// link's carriers change, and after every departure decision.
    pub(crate) fn note_wait(&mut self, l: usize) {
        self.charge_wait(l);
        self.links[l].cause = self.wait_cause(l);
    }

    /// The first half of `note_wait`, for callers that always call `note_wait(l)` again
    /// before time moves on (`try_rail`, `try_sea`, a train slot, a box becoming ready):
    /// the cause worked out now would be overwritten before any time were charged to it,
    /// and working it out (a look at the oldest box, the pool, the fleet) was most of the
    /// cost of these accounts.
    pub(crate) fn charge_wait(&mut self, l: usize) {
        let now = self.now();
        let link = &mut self.links[l];
        let since = std::mem::replace(&mut link.wait_mark, now);
        if now <= since {
            return;
        }
        let teu = link.waiting.size();
        if teu > 0.0
            && let Some(y) = self.year_now
        {
            let teu_hours = teu * ticks_to_hours(now - since);
            let (from, to) = (self.m.links[l].from, self.m.links[l].to);
            let ys = &mut self.years[y];
            match self.links[l].cause {
                WaitCause::Cargo => ys.links[l].cargo_teu_hours += teu_hours,
                WaitCause::Paths => ys.links[l].path_teu_hours += teu_hours,
                WaitCause::Closed => ys.links[l].closed_teu_hours += teu_hours,
                WaitCause::Sets => {
                    if let Some(p) = self.links[l].rail().and_then(|r| r.pool) {
                        // Sets held outside full yards are kept there by those yards
                        // (charged on to what keeps them full, see `binding`).
                        let pool = &self.pools[p as usize];
                        let out = f64::from(pool.sets.out().max(1));
                        let mut own = teu_hours;
                        for (n, &held) in pool.held_at.iter().enumerate() {
                            if held > 0 {
                                let part = teu_hours * f64::from(held) / out;
                                ys.nodes[n].yard_teu_hours += part;
                                own -= part;
                            }
                        }
                        ys.pools[p as usize].teu_hours += own;
                        ys.links[l].sets_teu_hours += own;
                    }
                }
                WaitCause::Fleet => {
                    let counts = self.links[l].sea().map(|s| s.in_state).unwrap_or_default();
                    let n = |s: VesselState| f64::from(counts[s as usize]);
                    let berth_from = n(VesselState::QueuedOrigin);
                    let berth_to = n(VesselState::QueuedDest);
                    let yard_to = n(VesselState::BlockedDest);
                    let weather = n(VesselState::HoldOrigin) + n(VesselState::HoldDest);
                    // A vessel held outside its work (a berth queue at either end, a full
                    // yard, a storm) is a vessel the fleet has but cannot use: while any
                    // is held, the wait is charged to what holds them, in proportion,
                    // and none to the fleet, since a vessel more would join the same
                    // queue. Only when every vessel of the link is working (loading,
                    // sailing, unloading, returning) is the fleet what binds.
                    let held = berth_from + berth_to + yard_to + weather;
                    if held > 0.0 {
                        let share = teu_hours / held;
                        ys.nodes[from].berth_teu_hours += share * berth_from;
                        ys.nodes[to].berth_teu_hours += share * berth_to;
                        ys.links[l].berth_from_teu_hours += share * berth_from;
                        ys.links[l].berth_to_teu_hours += share * berth_to;
                        ys.nodes[to].yard_teu_hours += share * yard_to;
                        ys.links[l].weather_teu_hours += share * weather;
                    } else {
                        ys.links[l].fleet_teu_hours += teu_hours;
                    }
                }
            }
        }
    }

    fn wait_cause(&self, l: usize) -> WaitCause {
        let now = self.now();
        let link = &self.links[l];
        if link.closed > 0 || self.nodes[self.m.links[l].from].closed > 0 {
            return WaitCause::Closed;
        }
        match &link.carriers {
            Carriers::Rail(r) => {
                if r.timetable.is_some() {
                    return WaitCause::Cargo;
                }
                let full = link.waiting.size() >= r.train_capacity_teu;
                let oldest = link
                    .waiting
                    .front()
                    .map(|c| self.containers[c as usize].mark)
                    .unwrap_or(now);
                let due = full || r.max_wait.is_some_and(|w| oldest.saturating_add(w) <= now);
                if !due {
                    WaitCause::Cargo
                } else if now < r.next_path() {
                    WaitCause::Paths
                } else if r
                    .pool
                    .is_some_and(|p| self.pools[p as usize].sets.available() == 0)
                {
                    WaitCause::Sets
                } else {
                    WaitCause::Cargo
                }
            }
            Carriers::Sea(s) if s.idle.is_empty() => WaitCause::Fleet,
            Carriers::Sea(_) => WaitCause::Cargo,
        }
    }
}

impl Sim<'_> {
    /// Looks for stalls once a day: a link whose boxes wait while nothing has left on it
    /// for `run.stall_days`, or a node whose gate holds arrivals while nothing has entered
    /// its yard for as long. Stalled time is counted by year from the moment the stall
    /// began (so a stall is never shorter than the threshold) until the next departure or
    /// admission.
    pub(crate) fn watch_stalls(&mut self) {
        for l in 0..self.links.len() {
            let waiting = !self.links[l].waiting.is_empty();
            let clock = self.links[l].stall;
            self.links[l].stall = self.watch(clock, waiting, |ys| &mut ys.links[l].stall);
        }
        for n in 0..self.nodes.len() {
            let waiting = !self.nodes[n].gate.is_empty();
            let clock = self.nodes[n].stall;
            self.nodes[n].stall = self.watch(clock, waiting, |ys| &mut ys.nodes[n].stall);
        }
    }

    /// One daily look at one place: returns its clock after the look, and adds the day's
    /// stalled time (the whole stall so far when it has just been found) to `year`.
    fn watch(
        &mut self,
        mut clock: StallClock,
        waiting: bool,
        year: impl Fn(&mut YearStats) -> &mut StallYear,
    ) -> StallClock {
        let now = self.now();
        if !waiting {
            clock.moved(now);
            return clock;
        }
        let yesterday = now.saturating_sub(TICKS_PER_DAY);
        let counted_from = match clock.since {
            Some(s) => s.max(yesterday),
            None if now.saturating_sub(clock.last) >= self.m.stall => {
                let start = clock.last;
                clock.since = Some(start);
                if let Some(y) = self.year_index(start.max(self.m.stats_start)) {
                    let day = self.day_of_year(start);
                    let st = year(&mut self.years[y]);
                    if st.start_day == 0.0 {
                        st.start_day = day;
                    }
                }
                start
            }
            None => return clock,
        };
        for (y, d) in self.days_by_year(counted_from, now) {
            year(&mut self.years[y]).days += d;
        }
        clock
    }

    /// A departure from `l`: any stall there is over.
    pub(crate) fn departed(&mut self, l: usize) {
        let now = self.now();
        self.links[l].stall.moved(now);
    }

    fn day_of_year(&self, t: Ticks) -> f64 {
        let in_year = t.saturating_sub(self.m.stats_start) % TICKS_PER_YEAR;
        (in_year / TICKS_PER_DAY + 1) as f64
    }

    /// The days of [a, b) in each reported year.
    fn days_by_year(&self, a: Ticks, b: Ticks) -> Vec<(usize, f64)> {
        let mut v = Vec::new();
        let mut t = a.max(self.m.stats_start);
        while t < b {
            let Some(y) = self.year_index(t) else { break };
            let end = self.m.stats_start + (y as u64 + 1) * TICKS_PER_YEAR;
            let upto = b.min(end);
            v.push((y, (upto - t) as f64 / TICKS_PER_DAY as f64));
            t = upto;
        }
        v
    }
}
