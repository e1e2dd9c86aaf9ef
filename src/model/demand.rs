//! Demand: flows create containers at their origin, as a Poisson process or as block
//! trains, at a rate that varies by year (linear between given years) and by month
//! (seasonality).
//!
//! Arrivals of a non-homogeneous Poisson process with a piecewise-constant rate are drawn
//! exactly: one unit exponential "mass" is spent month by month until it runs out. A flow
//! draws from its own stream only, so changing another flow leaves its arrivals unchanged.
//! This file must never decide where a container goes after its origin node.

use rand::Rng;
use rand_distr::{Distribution, Exp1};

use crate::engine::Ticks;
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_YEAR};
use crate::scenario::ArrivalProcess;

use super::network::CUM_DAYS;
use super::sim::{Container, Sim};

/// Start tick of the month containing `t`, its end, and (year offset, month index).
#[inline]
pub(crate) fn month_bounds(t: Ticks) -> (Ticks, usize, usize) {
    let year = (t / TICKS_PER_YEAR) as usize;
    let in_year = t % TICKS_PER_YEAR;
    let doy = in_year / TICKS_PER_DAY;
    let month = CUM_DAYS.iter().rposition(|d| *d <= doy).unwrap_or(0);
    let next = if month == 11 {
        (year as u64 + 1) * TICKS_PER_YEAR
    } else {
        year as u64 * TICKS_PER_YEAR + CUM_DAYS[month + 1] * TICKS_PER_DAY
    };
    (next, year, month)
}

/// Time at which a cumulative intensity `mass` is reached from `t`, with a rate (per tick)
/// constant within each calendar month; None if it is not reached before `limit`.
pub(crate) fn spend_mass(
    mut t: Ticks,
    mut mass: f64,
    limit: Ticks,
    rate: impl Fn(usize, usize) -> f64,
) -> Option<Ticks> {
    while t < limit {
        let (next, year, month) = month_bounds(t);
        let r = rate(year, month);
        let span = (next.min(limit) - t) as f64;
        if r > 0.0 && r * span >= mass {
            let dt = (mass / r).round() as Ticks;
            return Some(t + dt);
        }
        mass -= r * span;
        t = next.min(limit);
    }
    None
}

/// The cumulative intensity from `t0` to `t1` of a rate (per tick) constant within each
/// calendar month: what `spend_mass` spends over that span.
pub(crate) fn mass_between(mut t: Ticks, t1: Ticks, rate: impl Fn(usize, usize) -> f64) -> f64 {
    let mut mass = 0.0;
    while t < t1 {
        let (next, year, month) = month_bounds(t);
        let end = next.min(t1);
        mass += rate(year, month) * (end - t) as f64;
        t = end;
    }
    mass
}

impl Sim<'_> {
    /// Rate of the flow in TEU per tick during (year offset from epoch, month). A market
    /// flow's is its committed TEU plus its share of the rest of the market.
    pub(crate) fn flow_teu_rate(&self, f: usize, year: usize, month: usize) -> f64 {
        let fd = &self.m.flows[f];
        let mut annual = fd.teu_per_year.get(year).copied().unwrap_or(0.0);
        if let (Some(mk), Some(ch)) = (&fd.market, self.choice.as_deref()) {
            let market = mk.teu_per_year.get(year).copied().unwrap_or(0.0);
            annual += ch.share(f) * (market - annual).max(0.0);
        }
        annual * fd.monthly[month] / TICKS_PER_YEAR as f64
    }

    pub(crate) fn schedule_next_arrival(&mut self, f: usize) {
        let fd = &self.m.flows[f];
        let mean_box_teu = 1.0 + fd.share_40ft;
        let mass = match fd.arrivals {
            // Exp(1) mass in boxes; the rate is converted from TEU to boxes below.
            ArrivalProcess::Poisson => {
                let e: f64 = Exp1.sample(&mut self.flow_rng[f]);
                e * mean_box_teu
            }
            ArrivalProcess::BlockTrains => fd.block_train_teu,
        };
        let now = self.now();
        if let Some(ms) = self
            .choice
            .as_deref_mut()
            .and_then(|c| c.markets[f].as_mut())
        {
            // A market's share changes between arrivals: what is left of this mass is
            // spent again at the new rate (`choice::on_market_update`).
            ms.mass_left = mass;
            ms.mass_at = now;
        }
        let at = spend_mass(now, mass, self.m.end, |y, mo| self.flow_teu_rate(f, y, mo));
        // Arrivals are kept out of the calendar: the run loop compares the earliest one
        // with the calendar's next event.
        self.next_arrival[f] = at.unwrap_or(Ticks::MAX);
    }

    pub(crate) fn on_flow_arrival(&mut self, f: usize) {
        let fd = &self.m.flows[f];
        match fd.arrivals {
            ArrivalProcess::Poisson => {
                let teu = if self.flow_rng[f].random::<f64>() < fd.share_40ft {
                    2
                } else {
                    1
                };
                self.create_container(f, teu);
            }
            ArrivalProcess::BlockTrains => {
                let mut remaining = fd.block_train_teu.round().max(1.0) as u32;
                while remaining > 0 {
                    let teu = if remaining >= 2 && self.flow_rng[f].random::<f64>() < fd.share_40ft
                    {
                        2
                    } else {
                        1
                    };
                    remaining -= teu;
                    self.create_container(f, teu as u8);
                }
            }
        }
        self.schedule_next_arrival(f);
    }

    fn create_container(&mut self, f: usize, teu: u8) {
        let fd = &self.m.flows[f];
        // Shippers' current probabilities when the flow chooses, else its fixed shares.
        let routes = match &self.choice {
            Some(ch) => &ch.route_cum[f],
            None => &fd.routes,
        };
        let route = if routes.len() == 1 {
            routes[0].1
        } else {
            let u: f64 = self.flow_rng[f].random();
            routes
                .iter()
                .find(|(cum, _)| u < *cum)
                .map(|r| r.1)
                .unwrap_or(routes[routes.len() - 1].1)
        };
        let now = self.now();
        let c = self.alloc_container(Container {
            created: now,
            mark: now,
            arrived: now,
            boarded: now,
            node_wait: 0,
            flow: f as u32,
            route: route as u32,
            teu,
            leg: 0,
        });
        self.created_teu += f64::from(teu);
        let local = self.m.flows[f].local;
        if local {
            self.local_alive_teu += f64::from(teu);
        }
        if let Some(y) = self.year_now {
            let ys = &mut self.years[y];
            if !local {
                ys.created_teu += f64::from(teu);
            }
            ys.flow_created_teu[f] += f64::from(teu);
            if let Some(ch) = self.choice.as_deref_mut() {
                ch.years[y].route_created_teu[route] += f64::from(teu);
            }
        }
        let origin = self.m.flows[f].origin;
        self.arrive_at_node(origin, c);
    }
}

impl Sim<'_> {
    /// Boxes of flows with limited patience that have waited at their origin, for their
    /// first train or vessel, longer than their flow accepts leave the corridor: they are
    /// counted as diverted (by year, flow and origin node) and free their yard space. Only
    /// boxes still waiting for their first departure are looked at: once a box has left
    /// its origin, its shipper has committed to the corridor.
    pub(crate) fn sweep_impatient(&mut self) {
        let now = self.now();
        for i in 0..self.patience_links.len() {
            let l = self.patience_links[i] as usize;
            let from = self.m.links[l].from;
            let expired = |s: &Self, c: u32| {
                let ct = &s.containers[c as usize];
                let fd = &s.m.flows[ct.flow as usize];
                ct.leg == 0
                    && fd.origin == from
                    && fd
                        .patience
                        .is_some_and(|p| now.saturating_sub(ct.created) > p)
            };
            if !self.links[l].waiting.iter().any(|c| expired(self, c)) {
                continue;
            }
            self.note_wait(l);
            let waiting = self.links[l].waiting.take_items();
            let mut kept = std::collections::VecDeque::with_capacity(waiting.len());
            for c in waiting {
                if expired(self, c) {
                    self.divert(from, l, c);
                } else {
                    kept.push_back(c);
                }
            }
            self.links[l].waiting.restore(kept);
            self.note_wait(l);
        }
    }

    /// The box leaves the corridor from the yard of `n`, where it waited for `link`.
    fn divert(&mut self, n: usize, link: usize, c: u32) {
        let now = self.now();
        let ct = self.containers[c as usize];
        let teu = f64::from(ct.teu);
        self.links[link].waiting.shrink(teu);
        self.nodes[n].yard.take(now, teu);
        self.alive_teu -= teu;
        self.diverted_teu += teu;
        let local = self.m.flows[ct.flow as usize].local;
        if local {
            self.local_alive_teu -= teu;
        }
        if let Some(y) = self.year_now {
            let ys = &mut self.years[y];
            if !local {
                ys.diverted_teu += teu;
                ys.node_diverted_teu[n] += teu;
            }
            ys.flow_diverted_teu[ct.flow as usize] += teu;
        }
        self.free_containers.push(c);
        self.request_admit(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bounds_walk_the_calendar() {
        let (next, y, m) = month_bounds(0);
        assert_eq!((next, y, m), (31 * TICKS_PER_DAY, 0, 0));
        let (next, y, m) = month_bounds(TICKS_PER_YEAR + 59 * TICKS_PER_DAY);
        assert_eq!((next, y, m), (TICKS_PER_YEAR + 90 * TICKS_PER_DAY, 1, 2));
        let (next, _, m) = month_bounds(TICKS_PER_YEAR - 1);
        assert_eq!((next, m), (TICKS_PER_YEAR, 11));
    }

    #[test]
    fn mass_spent_across_months() {
        // Rate 1 per day in January, 2 per day afterwards: mass 41 is reached on 5 Feb.
        let rate = |_y: usize, m: usize| if m == 0 { 1.0 } else { 2.0 } / TICKS_PER_DAY as f64;
        let at = spend_mass(0, 41.0, TICKS_PER_YEAR, rate).unwrap();
        assert_eq!(at, 36 * TICKS_PER_DAY);
        assert_eq!(spend_mass(0, 1e9, TICKS_PER_YEAR, rate), None);
    }
}
