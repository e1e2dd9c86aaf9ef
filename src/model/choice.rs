//! Shippers choose: boxes pick among their flow's routes by generalized cost, and a flow
//! that is a market wins a share of it against alternatives outside the corridor.
//!
//! What shippers know is what the corridor did lately: for each link, an exponentially
//! weighted mean (and second moment) of the hours boxes took from arriving at its origin
//! to arriving at its end (time at the origin, waiting, moving), updated once a day from
//! that day's completed segments; for each destination that handles its boxes, the same
//! of its handling time. Until a segment has been observed its free-flow time from the
//! inputs stands in. A link whose oldest waiting box has already been there longer than
//! the mean counts that age instead, so a stall, where no box completes the segment,
//! cannot look fast. A route closed today (a closure of one of its links or nodes, or a
//! storm holding its sailings) gets no new boxes while another is open.
//!
//! Generalized cost of a route = its tariffs + value of time × expected days + value of
//! reliability × standard deviation of days (segments taken as independent). Route
//! probabilities are a logit with the flow's shares as weights (or all on the cheapest),
//! recomputed once a day and whenever a closure or storm starts or ends; a box draws its
//! route from them with the same one uniform number as with fixed shares. A market's
//! share is re-evaluated every `interval_days` from the mean of the daily expected costs
//! over the interval just ended, against the alternatives' costs, and moves a `damping`
//! fraction of the way to the logit share. Nothing here draws a random number: with no
//! flow choosing, the state is absent and a run is byte-identical to one without this
//! file. This file must never decide how a box moves once its route is set.

use crate::engine::Ticks;
use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_YEAR};

use super::demand::month_bounds;
use super::network::{LinkKind, Model};
use super::sim::{Carriers, Ev, Sim};

/// A day-by-day exponentially weighted mean and second moment of hours.
#[derive(Debug, Clone, Copy)]
struct Ewma {
    day_sum: f64,
    day_sq: f64,
    day_n: u32,
    mean: f64,
    m2: f64,
}

impl Ewma {
    fn new(nominal_hours: f64) -> Self {
        Ewma {
            day_sum: 0.0,
            day_sq: 0.0,
            day_n: 0,
            mean: nominal_hours,
            m2: nominal_hours * nominal_hours,
        }
    }

    #[inline]
    fn add(&mut self, hours: f64) {
        self.day_sum += hours;
        self.day_sq += hours * hours;
        self.day_n += 1;
    }

    fn roll(&mut self, alpha: f64) {
        if self.day_n > 0 {
            let n = f64::from(self.day_n);
            self.mean += alpha * (self.day_sum / n - self.mean);
            self.m2 += alpha * (self.day_sq / n - self.m2);
        }
        self.day_sum = 0.0;
        self.day_sq = 0.0;
        self.day_n = 0;
    }

    fn var(&self) -> f64 {
        (self.m2 - self.mean * self.mean).max(0.0)
    }
}

/// A market's running state.
#[derive(Debug, Clone)]
pub(crate) struct MarketState {
    /// The corridor's share of the contestable market (market minus committed).
    pub share: f64,
    /// Each alternative's share (market order); with `share` they sum to 1.
    pub alt_share: Vec<f64>,
    gc_sum: f64,
    gc_n: u32,
    /// Exponential "mass" left of the flow's next arrival, valid from `mass_at`.
    pub mass_left: f64,
    pub mass_at: Ticks,
}

/// One simulated year of choices.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceYear {
    share_ticks: Vec<f64>,
    gc_sum: Vec<f64>,
    gc_n: Vec<f64>,
    swing: Vec<f64>,
    lost_teu: Vec<f64>,
    alt_won_teu: Vec<f64>,
    alt_contestable_teu: Vec<f64>,
    alt_gc_sum: Vec<f64>,
    alt_gc_n: Vec<f64>,
    pub route_created_teu: Vec<f64>,
}

/// What shippers know and have chosen, in one replication.
pub(crate) struct ChoiceState {
    alpha: f64,
    seg: Vec<Ewma>,
    dest: Vec<Ewma>,
    /// Per flow: (cumulative probability, route), as `FlowDef::routes`.
    pub route_cum: Vec<Vec<(f64, usize)>>,
    /// The flows that choose a route or are a market.
    choosing: Vec<usize>,
    /// Per flow: the expected generalized cost of its next box over its routes.
    expected_gc: Vec<f64>,
    pub markets: Vec<Option<MarketState>>,
    pub years: Vec<ChoiceYear>,
    /// Share areas are accumulated up to here.
    accounted_to: Ticks,
    /// The routes whose TEU chosen are reported: those of flows that choose their route.
    routes_reported: Vec<bool>,
}

/// Free-flow hours of each link's segment (origin handling and dwell, travel, the calls
/// at both ends) and of each node's handling and dwell, from the inputs' means.
fn nominal_hours(m: &Model) -> (Vec<f64>, Vec<f64>) {
    let node_hours: Vec<f64> = m
        .nodes
        .iter()
        .map(|n| {
            let handling = if n.cranes > 0 {
                n.handling_minutes.as_ref().map_or(0.0, |d| d.mean() / 60.0)
            } else {
                0.0
            };
            handling + n.dwell_hours.as_ref().map_or(0.0, |d| d.mean())
        })
        .collect();
    let call = |n: usize| {
        m.nodes[n]
            .vessel_call_hours
            .as_ref()
            .map_or(0.0, |d| d.mean())
    };
    let seg = m
        .links
        .iter()
        .map(|l| {
            let moving = match &l.kind {
                LinkKind::Rail(r) => {
                    let speed = r.speed_km_per_day.as_ref().map_or(0.0, |d| d.mean());
                    let run = if speed > 0.0 {
                        r.distance_km / speed * 24.0
                    } else {
                        0.0
                    };
                    run + r.extra_hours.as_ref().map_or(0.0, |d| d.mean())
                }
                LinkKind::Sea(s) => s.sailing_hours.mean() + call(l.from) + call(l.to),
            };
            node_hours[l.from] + moving
        })
        .collect();
    (seg, node_hours)
}

impl ChoiceState {
    /// None when no flow chooses: the run then keeps no choice state at all.
    pub fn new(m: &Model, years: usize) -> Option<Box<ChoiceState>> {
        let choosing: Vec<usize> = (0..m.flows.len())
            .filter(|&f| m.flows[f].choice.is_some() || m.flows[f].market.is_some())
            .collect();
        if choosing.is_empty() {
            return None;
        }
        let memory_days = choosing
            .iter()
            .filter_map(|&f| m.flows[f].choice.as_ref().map(|c| c.memory_days))
            .fold(f64::INFINITY, f64::min);
        let memory_days = if memory_days.is_finite() {
            memory_days
        } else {
            7.0
        };
        let (seg, node) = nominal_hours(m);
        let nf = m.flows.len();
        let na = m.alternatives.len();
        let year = ChoiceYear {
            share_ticks: vec![0.0; nf],
            gc_sum: vec![0.0; nf],
            gc_n: vec![0.0; nf],
            swing: vec![0.0; nf],
            lost_teu: vec![0.0; nf],
            alt_won_teu: vec![0.0; na],
            alt_contestable_teu: vec![0.0; na],
            alt_gc_sum: vec![0.0; na],
            alt_gc_n: vec![0.0; na],
            route_created_teu: vec![0.0; m.routes.len()],
        };
        let markets = m
            .flows
            .iter()
            .map(|fd| {
                fd.market.as_ref().map(|mk| MarketState {
                    share: mk.initial_share,
                    alt_share: vec![0.0; mk.alternatives.len()],
                    gc_sum: 0.0,
                    gc_n: 0,
                    mass_left: 0.0,
                    mass_at: m.start,
                })
            })
            .collect();
        Some(Box::new(ChoiceState {
            alpha: 1.0 - (-1.0 / memory_days).exp(),
            seg: seg.into_iter().map(Ewma::new).collect(),
            dest: node.into_iter().map(Ewma::new).collect(),
            route_cum: m.flows.iter().map(|f| f.routes.clone()).collect(),
            routes_reported: {
                let mut v = vec![false; m.routes.len()];
                for f in m.flows.iter().filter(|f| f.choice.is_some()) {
                    f.routes.iter().for_each(|&(_, r)| v[r] = true);
                }
                v
            },
            choosing,
            expected_gc: vec![0.0; nf],
            markets,
            years: vec![year; years],
            accounted_to: m.start,
        }))
    }

    #[inline]
    pub fn observe_segment(&mut self, link: usize, hours: f64) {
        self.seg[link].add(hours);
    }

    #[inline]
    pub fn observe_destination(&mut self, node: usize, hours: f64) {
        self.dest[node].add(hours);
    }

    pub fn share(&self, f: usize) -> f64 {
        self.markets[f].as_ref().map_or(1.0, |m| m.share)
    }
}

/// Logit probabilities of costs `gc` with weights `w` (0 where not available): stable for
/// any scale of cost, since only differences to the cheapest count.
pub(crate) fn logit(gc: &[f64], w: &[f64], dispersion: f64, out: &mut Vec<f64>) {
    out.clear();
    let min = gc
        .iter()
        .zip(w)
        .filter(|(_, w)| **w > 0.0)
        .map(|(g, _)| *g)
        .fold(f64::INFINITY, f64::min);
    out.extend(gc.iter().zip(w).map(|(g, w)| {
        if *w > 0.0 {
            w * (-dispersion * (g - min)).exp()
        } else {
            0.0
        }
    }));
    let sum: f64 = out.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        out.iter_mut().for_each(|p| *p /= sum);
    }
}

impl Sim<'_> {
    /// Index of the simulated year whose tariffs and exchange rates apply at `t` (the first
    /// year's during the warm-up).
    fn cost_year(&self, t: Ticks) -> usize {
        let m = self.m;
        let n = (m.last_year - m.first_year + 1) as usize;
        let y = m.epoch_year + (t / TICKS_PER_YEAR) as i32 - m.first_year;
        (y.max(0) as usize).min(n - 1)
    }

    pub(crate) fn choice_start(&mut self) {
        let ci = self.cost_year(self.now());
        let Some(ch) = self.choice.as_deref_mut() else {
            return;
        };
        // The alternatives split what the corridor does not win as their own logit does.
        for (f, fd) in self.m.flows.iter().enumerate() {
            let (Some(mk), Some(ms)) = (&fd.market, ch.markets[f].as_mut()) else {
                continue;
            };
            let vot = fd.value_of_time.get(ci).copied().unwrap_or(0.0);
            let vor = fd.value_of_reliability.get(ci).copied().unwrap_or(0.0);
            let gc: Vec<f64> = mk
                .alternatives
                .iter()
                .map(|&a| alternative_gc(self.m, a, ci, vot, vor))
                .collect();
            let mut p = Vec::new();
            logit(&gc, &vec![1.0; gc.len()], mk.dispersion, &mut p);
            for (s, p) in ms.alt_share.iter_mut().zip(p) {
                *s = (1.0 - mk.initial_share) * p;
            }
        }
        self.refresh_routes();
        self.schedule_in(TICKS_PER_DAY, Ev::ChoiceDay);
        for f in 0..self.m.flows.len() {
            if let Some(mk) = &self.m.flows[f].market {
                self.schedule_in(mk.interval, Ev::MarketUpdate { flow: f as u32 });
            }
        }
    }

    /// Whether a box booked now could start on `route` today.
    fn route_open(&self, route: usize) -> bool {
        let r = &self.m.routes[route];
        let link_open = |l: usize| {
            self.links[l].closed == 0
                && self.nodes[self.m.links[l].from].closed == 0
                && match &self.links[l].carriers {
                    Carriers::Sea(s) => s.storms == 0,
                    Carriers::Rail(_) => true,
                }
        };
        r.links.iter().all(|&l| link_open(l))
            && r.nodes.last().is_none_or(|&n| self.nodes[n].closed == 0)
    }

    /// The expected generalized cost of a box starting on `route` now.
    fn route_gc(&self, f: usize, route: usize, ci: usize) -> f64 {
        let Some(ch) = self.choice.as_deref() else {
            return 0.0;
        };
        let now = self.now();
        let fd = &self.m.flows[f];
        let r = &self.m.routes[route];
        let (mut hours, mut var) = (0.0, 0.0);
        for &l in &r.links {
            let e = &ch.seg[l];
            let head = self.links[l]
                .waiting
                .front()
                .map_or(0.0, |c| (now - self.containers[c as usize].arrived) as f64)
                / crate::engine::time::TICKS_PER_HOUR as f64;
            hours += e.mean.max(head);
            var += e.var();
        }
        if let Some(&d) = r.nodes.last()
            && !self.m.nodes[d].delivers_on_arrival
        {
            hours += ch.dest[d].mean;
            var += ch.dest[d].var();
        }
        let tariff = self
            .m
            .costs
            .as_ref()
            .map_or(0.0, |c| c.route_per_teu[ci][route]);
        let vot = fd.value_of_time.get(ci).copied().unwrap_or(0.0);
        let vor = fd.value_of_reliability.get(ci).copied().unwrap_or(0.0);
        tariff + vot * hours / 24.0 + vor * var.sqrt() / 24.0
    }

    /// Recomputes every choosing flow's route probabilities and expected cost.
    pub(crate) fn refresh_routes(&mut self) {
        let Some(ch) = self.choice.as_deref() else {
            return;
        };
        let ci = self.cost_year(self.now());
        let choosing = ch.choosing.clone();
        let (mut gc, mut w, mut p) = (Vec::new(), Vec::new(), Vec::new());
        for f in choosing {
            let fd = &self.m.flows[f];
            gc.clear();
            w.clear();
            let mut prev = 0.0;
            let mut any_open = false;
            for &(cum, r) in &fd.routes {
                gc.push(self.route_gc(f, r, ci));
                let open = self.route_open(r);
                any_open |= open && cum > prev;
                w.push(if open { cum - prev } else { 0.0 });
                prev = cum;
            }
            if !any_open {
                // Every route is closed: boxes book as if all were open and wait.
                let mut prev = 0.0;
                for (i, &(cum, _)) in fd.routes.iter().enumerate() {
                    w[i] = cum - prev;
                    prev = cum;
                }
            }
            match &fd.choice {
                Some(c) if c.cheapest => {
                    let best = (0..gc.len())
                        .filter(|&i| w[i] > 0.0)
                        .min_by(|&a, &b| gc[a].total_cmp(&gc[b]))
                        .unwrap_or(0);
                    p.clear();
                    p.extend((0..gc.len()).map(|i| if i == best { 1.0 } else { 0.0 }));
                }
                Some(c) => logit(&gc, &w, c.dispersion, &mut p),
                // A market without route choice keeps its shares (closed routes aside).
                None => {
                    let sum: f64 = w.iter().sum();
                    p.clear();
                    p.extend(w.iter().map(|x| x / sum));
                }
            }
            let expected: f64 = gc.iter().zip(&p).map(|(g, p)| g * p).sum();
            let Some(ch) = self.choice.as_deref_mut() else {
                return;
            };
            ch.expected_gc[f] = expected;
            let cum = &mut ch.route_cum[f];
            let mut acc = 0.0;
            let last_positive = p.iter().rposition(|x| *x > 0.0).unwrap_or(p.len() - 1);
            for (i, entry) in cum.iter_mut().enumerate() {
                acc += p[i];
                // Draws compare `u < cum`: from the last route with a chance on, 1 exactly.
                entry.0 = if i >= last_positive { 1.0 } else { acc };
            }
        }
    }

    /// Once a day: fold the day's observations in, refresh the routes, and let each market
    /// see the corridor's cost of the day.
    pub(crate) fn on_choice_day(&mut self) {
        let Some(ch) = self.choice.as_deref_mut() else {
            return;
        };
        let alpha = ch.alpha;
        ch.seg.iter_mut().for_each(|e| e.roll(alpha));
        ch.dest.iter_mut().for_each(|e| e.roll(alpha));
        self.refresh_routes();
        let ci = self.cost_year(self.now());
        let year = self.year_now;
        let m = self.m;
        let Some(ch) = self.choice.as_deref_mut() else {
            return;
        };
        for i in 0..ch.choosing.len() {
            let f = ch.choosing[i];
            let fd = &m.flows[f];
            let vot = fd.value_of_time.get(ci).copied().unwrap_or(0.0);
            let vor = fd.value_of_reliability.get(ci).copied().unwrap_or(0.0);
            let mut gc = ch.expected_gc[f];
            if let Some(mk) = &fd.market {
                gc += mk.outside_cost.get(ci).copied().unwrap_or(0.0) + vot * mk.outside_days;
                if let Some(ms) = ch.markets[f].as_mut() {
                    ms.gc_sum += gc;
                    ms.gc_n += 1;
                }
                if let Some(y) = year {
                    for &a in &mk.alternatives {
                        ch.years[y].alt_gc_sum[a] += alternative_gc(m, a, ci, vot, vor);
                        ch.years[y].alt_gc_n[a] += 1.0;
                    }
                }
            }
            if let Some(y) = year {
                ch.years[y].gc_sum[f] += gc;
                ch.years[y].gc_n[f] += 1.0;
            }
        }
        self.schedule_in(TICKS_PER_DAY, Ev::ChoiceDay);
    }

    /// Integral of a market flow's contestable TEU rate (market minus committed, with its
    /// seasonality) from `t0` to `t1`.
    fn contestable_teu(&self, f: usize, t0: Ticks, t1: Ticks) -> f64 {
        let fd = &self.m.flows[f];
        let Some(mk) = &fd.market else { return 0.0 };
        let (mut t, mut sum) = (t0, 0.0);
        while t < t1 {
            let (next, year, month) = month_bounds(t);
            let c = fd.teu_per_year.get(year).copied().unwrap_or(0.0);
            let mt = mk.teu_per_year.get(year).copied().unwrap_or(0.0);
            let end = next.min(t1);
            sum += (mt - c).max(0.0) * fd.monthly[month] * (end - t) as f64 / TICKS_PER_YEAR as f64;
            t = end;
        }
        sum
    }

    /// Adds the shares held since the last call to the year being simulated.
    pub(crate) fn account_shares(&mut self, year: Option<usize>) {
        let now = self.now();
        let Some(ch) = self.choice.as_deref() else {
            return;
        };
        let from = ch.accounted_to;
        if now <= from {
            return;
        }
        let contest: Vec<f64> = (0..self.m.flows.len())
            .map(|f| self.contestable_teu(f, from, now))
            .collect();
        let m = self.m;
        let Some(ch) = self.choice.as_deref_mut() else {
            return;
        };
        ch.accounted_to = now;
        let Some(y) = year else { return };
        for (f, fd) in m.flows.iter().enumerate() {
            let (Some(mk), Some(ms)) = (&fd.market, ch.markets[f].as_ref()) else {
                continue;
            };
            let yr = &mut ch.years[y];
            yr.share_ticks[f] += ms.share * (now - from) as f64;
            yr.lost_teu[f] += (1.0 - ms.share) * contest[f];
            for (k, &a) in mk.alternatives.iter().enumerate() {
                yr.alt_won_teu[a] += ms.alt_share[k] * contest[f];
                yr.alt_contestable_teu[a] += contest[f];
            }
        }
    }

    /// The end of a market's interval: its share moves towards the logit share of the
    /// corridor's mean cost over the interval against its alternatives' costs.
    pub(crate) fn on_market_update(&mut self, f: usize) {
        let now = self.now();
        self.account_shares(self.year_now);
        let m = self.m;
        let fd = &m.flows[f];
        let Some(mk) = &fd.market else { return };
        let ci = self.cost_year(now);
        let Some(ms) = self.choice.as_deref().and_then(|c| c.markets[f].as_ref()) else {
            return;
        };
        let (gc_sum, gc_n, mass_left, mass_at) = (ms.gc_sum, ms.gc_n, ms.mass_left, ms.mass_at);
        // The mass spent at the old share, before the share changes.
        let spent = super::demand::mass_between(mass_at, now, |y, mo| self.flow_teu_rate(f, y, mo));
        let remaining = (mass_left - spent).max(0.0);
        let vot = fd.value_of_time.get(ci).copied().unwrap_or(0.0);
        let vor = fd.value_of_reliability.get(ci).copied().unwrap_or(0.0);
        let year = self.year_now;
        let Some(ch) = self.choice.as_deref_mut() else {
            return;
        };
        let Some(ms) = ch.markets[f].as_mut() else {
            return;
        };
        if gc_n > 0 {
            let mut gc = vec![gc_sum / f64::from(gc_n)];
            gc.extend(
                mk.alternatives
                    .iter()
                    .map(|&a| alternative_gc(m, a, ci, vot, vor)),
            );
            let mut p = Vec::new();
            logit(&gc, &vec![1.0; gc.len()], mk.dispersion, &mut p);
            let old = ms.share;
            ms.share += mk.damping * (p[0] - ms.share);
            for (s, target) in ms.alt_share.iter_mut().zip(&p[1..]) {
                *s += mk.damping * (target - *s);
            }
            if let Some(y) = year {
                let sw = &mut ch.years[y].swing[f];
                *sw = sw.max((ms.share - old).abs());
            }
        }
        ms.gc_sum = 0.0;
        ms.gc_n = 0;
        ms.mass_left = remaining;
        ms.mass_at = now;
        let end = m.end;
        let at =
            super::demand::spend_mass(now, remaining, end, |y, mo| self.flow_teu_rate(f, y, mo));
        self.next_arrival[f] = at.unwrap_or(Ticks::MAX);
        self.schedule_in(mk.interval, Ev::MarketUpdate { flow: f as u32 });
    }

    /// The year's choice records (only for what chooses: nothing when no flow does).
    pub(crate) fn choice_records(
        &self,
        mut push: impl FnMut(i32, crate::metrics::Metric, crate::metrics::SubjectKind, &str, f64),
    ) {
        use crate::metrics::{Metric as M, SubjectKind as K};
        let Some(ch) = self.choice.as_deref() else {
            return;
        };
        let m = self.m;
        let mut used = vec![false; m.alternatives.len()];
        for fd in &m.flows {
            if let Some(mk) = &fd.market {
                mk.alternatives.iter().for_each(|&a| used[a] = true);
            }
        }
        let nan_div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        for (yi, y) in ch.years.iter().enumerate() {
            let year = m.first_year + yi as i32;
            let epoch_index = (year - m.epoch_year) as usize;
            for (f, fd) in m.flows.iter().enumerate() {
                if fd.choice.is_none() && fd.market.is_none() {
                    continue;
                }
                push(
                    year,
                    M::GeneralizedCostPerTeu,
                    K::Flow,
                    &fd.id,
                    nan_div(y.gc_sum[f], y.gc_n[f]),
                );
                let Some(mk) = &fd.market else { continue };
                push(
                    year,
                    M::MarketShare,
                    K::Flow,
                    &fd.id,
                    y.share_ticks[f] / TICKS_PER_YEAR as f64,
                );
                push(
                    year,
                    M::MarketTeu,
                    K::Flow,
                    &fd.id,
                    mk.teu_per_year.get(epoch_index).copied().unwrap_or(0.0),
                );
                push(year, M::LostTeu, K::Flow, &fd.id, y.lost_teu[f]);
                push(year, M::MarketShareSwing, K::Flow, &fd.id, y.swing[f]);
            }
            for (a, ad) in m.alternatives.iter().enumerate() {
                if !used[a] {
                    continue;
                }
                push(
                    year,
                    M::MarketShare,
                    K::Alternative,
                    &ad.id,
                    nan_div(y.alt_won_teu[a], y.alt_contestable_teu[a]),
                );
                push(
                    year,
                    M::GeneralizedCostPerTeu,
                    K::Alternative,
                    &ad.id,
                    nan_div(y.alt_gc_sum[a], y.alt_gc_n[a]),
                );
            }
            for (r, rd) in m.routes.iter().enumerate() {
                if ch.routes_reported[r] {
                    push(
                        year,
                        M::CreatedTeu,
                        K::Route,
                        &rd.id,
                        y.route_created_teu[r],
                    );
                }
            }
        }
    }
}

/// An alternative's generalized cost per TEU for shippers with these values of time and
/// reliability.
fn alternative_gc(m: &Model, a: usize, ci: usize, vot: f64, vor: f64) -> f64 {
    let ad = &m.alternatives[a];
    ad.cost.get(ci).copied().unwrap_or(0.0) + vot * ad.transit_days + vor * ad.transit_sd_days
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_follows_the_formula_and_ignores_what_is_unavailable() {
        let mut p = Vec::new();
        logit(&[100.0, 100.0], &[1.0, 1.0], 0.01, &mut p);
        assert_eq!(p, vec![0.5, 0.5]);
        // 100 dearer at dispersion 0.01: odds e^-1.
        logit(&[1000.0, 1100.0], &[1.0, 1.0], 0.01, &mut p);
        let expected = 1.0 / (1.0 + (-1.0f64).exp());
        assert!((p[0] - expected).abs() < 1e-12, "{p:?}");
        // Weights multiply the odds; a weight of 0 (closed) gets nothing.
        logit(&[1e9, 1e9, 0.0], &[3.0, 1.0, 0.0], 0.5, &mut p);
        assert_eq!(p, vec![0.75, 0.25, 0.0]);
        // Costs in the millions do not overflow: only differences count.
        logit(&[5e6, 5e6 + 1.0], &[1.0, 1.0], 1.0, &mut p);
        assert!((p[0] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn the_weighted_mean_forgets_at_its_rate_and_keeps_a_variance() {
        let mut e = Ewma::new(10.0);
        assert_eq!(e.var(), 0.0);
        e.roll(0.5); // nothing seen: unchanged
        assert_eq!(e.mean, 10.0);
        e.add(20.0);
        e.add(40.0);
        e.roll(0.5);
        assert_eq!(e.mean, 20.0); // 10 + 0.5 × (30 − 10)
        // m2 = 100 + 0.5 × (1000 − 100) = 550; var = 550 − 400 = 150
        assert!((e.var() - 150.0).abs() < 1e-9);
    }
}
