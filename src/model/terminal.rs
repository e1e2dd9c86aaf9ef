//! Terminals: dry ports, border and gauge-change points and the landside of ports.
//!
//! A container arriving at a node waits outside if the yard is full (back-pressure: the
//! train or vessel that brought it is held, nothing is dropped), then enters the yard, is
//! handled by one of the node's cranes (FIFO), spends a dwell (customs, inspection) and
//! becomes ready to leave on the next link of its route, where it waits for a train or a
//! vessel. It leaves the yard when it departs. A container reaching the last node of its
//! route is delivered: on arrival at a gateway (`kind = "gateway"`, the network's edge),
//! and at any other node (a destination port or terminal) once handled there like any
//! box, when it is ready; it then leaves the yard, so the destination's cranes, yard and
//! dwell bind as elsewhere. Vessels queue here for the node's berths (container berths, and
//! ferry berths where the node has them).
//!
//! A node's resources are kit pieces (`engine::resource`): cranes `FreeTimes` (handling is
//! planned ahead, FIFO), berths `Servers`, the yard a `Level`, the gate a `Store`. A new
//! node resource is one such field in `NodeState` and its use here. This file must never
//! decide when trains or vessels leave.

use crate::engine::resource::Servers;
use crate::engine::time::{hours_to_ticks, ticks_to_days, ticks_to_hours};
use crate::engine::{Ticks, prefetch};

use crate::engine::time::TICKS_PER_YEAR;

use super::sim::{Arrival, Ev, NodeYear, Planned, Sim, Stalled};

/// Selectors of the node statistics that `add_span` accumulates.
const QUEUE: fn(&mut NodeYear) -> &mut f64 = |y| &mut y.queue_ticks;
const BUSY: fn(&mut NodeYear) -> &mut f64 = |y| &mut y.busy_ticks;
const EXCESS: fn(&mut NodeYear) -> &mut f64 = |y| &mut y.excess_crane_ticks;
const QUEUE_TEU: fn(&mut NodeYear) -> &mut f64 = |y| &mut y.queue_teu_ticks;

impl Sim<'_> {
    /// A single container (from a flow) arrives at `n`.
    pub(crate) fn arrive_at_node(&mut self, n: usize, c: u32) {
        let teu = f64::from(self.containers[c as usize].teu);
        let node = &mut self.nodes[n];
        if node.gate.is_empty() && node.yard.fits(teu) {
            self.admit(n, c);
        } else {
            node.gate.push(Arrival::Container(c), teu);
        }
    }

    /// A train or vessel arrives at `n` with containers: at a gateway those whose route
    /// ends here are delivered, the others (and, at any other node, all of them) enter the
    /// yard as space allows; the rest keep the carrier waiting. Returns true when the
    /// carrier is empty.
    pub(crate) fn unload_at_node(&mut self, n: usize, carrier: Arrival) -> bool {
        let link = match carrier {
            Arrival::Train(t) => self.trains[t as usize].link as usize,
            Arrival::Vessel(v) => self.vessels[v as usize].link as usize,
            Arrival::Container(_) => return true,
        };
        let (mut list, mut teu_kept) = self.take_cargo(carrier);
        // At a gateway deliver what ends here; advance the others to their next leg (at
        // their last node that leg is the handling before delivery, see `on_ready`).
        let mut kept = 0;
        for i in 0..list.len() {
            // The boxes of a carrier lie all over the arena: ask for a few ahead.
            if let Some(&ahead) = list.get(i + 8) {
                prefetch(&self.containers[ahead as usize]);
            }
            let c = list[i];
            let now = self.cal.now();
            let ct = &mut self.containers[c as usize];
            if let Some(ch) = self.choice.as_deref_mut() {
                ch.observe_segment(link, ticks_to_hours(now - ct.arrived));
            }
            if let Some(y) = self.year_now {
                let ys = &mut self.years[y];
                let ly = &mut ys.links[link];
                ly.moving_hours.add(ticks_to_hours(now - ct.boarded));
                ly.leg_hours.add(ticks_to_hours(now - ct.arrived));
                ys.nodes[self.m.links[link].from]
                    .node_hours
                    .add(ticks_to_hours(ct.boarded - ct.arrived));
            }
            ct.arrived = now;
            ct.leg += 1;
            ct.mark = now;
            let route = &self.m.routes[ct.route as usize];
            if usize::from(ct.leg) + 1 >= route.nodes.len() && self.m.nodes[n].delivers_on_arrival {
                let teu = f64::from(ct.teu);
                self.links[link].in_transit_teu -= teu;
                teu_kept -= teu;
                self.deliver(c);
            } else {
                list[kept] = c;
                kept += 1;
            }
        }
        list.truncate(kept);
        self.put_cargo(carrier, list, teu_kept);
        if self.nodes[n].gate.is_empty() {
            self.admit_from_carrier(n, carrier, link);
        }
        if self.cargo_len(carrier) == 0 {
            true
        } else {
            let teu = self.cargo_teu(carrier);
            self.nodes[n].gate.push(carrier, teu);
            if let Arrival::Train(t) = carrier
                && let Some(p) = self.trains[t as usize].pool
            {
                self.pools[p as usize].held_at[n] += 1;
            }
            false
        }
    }

    /// Takes a carrier's boxes and their TEU out of it (the list's allocation goes back
    /// with `put_cargo`).
    fn take_cargo(&mut self, carrier: Arrival) -> (Vec<u32>, f64) {
        match carrier {
            Arrival::Train(t) => {
                let tr = &mut self.trains[t as usize];
                (std::mem::take(&mut tr.containers), tr.teu)
            }
            Arrival::Vessel(v) => {
                let vs = &mut self.vessels[v as usize];
                (std::mem::take(&mut vs.cargo), vs.cargo_teu)
            }
            Arrival::Container(_) => (Vec::new(), 0.0),
        }
    }

    fn put_cargo(&mut self, carrier: Arrival, list: Vec<u32>, teu: f64) {
        match carrier {
            Arrival::Train(t) => {
                let tr = &mut self.trains[t as usize];
                tr.containers = list;
                tr.teu = teu;
            }
            Arrival::Vessel(v) => {
                let vs = &mut self.vessels[v as usize];
                vs.cargo = list;
                vs.cargo_teu = teu;
            }
            Arrival::Container(_) => {}
        }
    }

    fn cargo_len(&self, carrier: Arrival) -> usize {
        match carrier {
            Arrival::Train(t) => self.trains[t as usize].containers.len(),
            Arrival::Vessel(v) => self.vessels[v as usize].cargo.len(),
            Arrival::Container(_) => 0,
        }
    }

    fn cargo_teu(&self, carrier: Arrival) -> f64 {
        match carrier {
            Arrival::Train(t) => self.trains[t as usize].teu,
            Arrival::Vessel(v) => self.vessels[v as usize].cargo_teu,
            Arrival::Container(c) => f64::from(self.containers[c as usize].teu),
        }
    }

    /// Moves containers from a carrier into the yard of `n`, in order, while they fit.
    /// Returns the TEU admitted.
    fn admit_from_carrier(&mut self, n: usize, carrier: Arrival, link: usize) -> f64 {
        let (mut list, teu_before) = self.take_cargo(carrier);
        let mut taken = 0;
        let mut admitted = 0.0;
        while taken < list.len() {
            let c = list[taken];
            let teu = f64::from(self.containers[c as usize].teu);
            if !self.nodes[n].yard.fits(teu) {
                break;
            }
            self.links[link].in_transit_teu -= teu;
            admitted += teu;
            self.admit(n, c);
            taken += 1;
        }
        list.drain(..taken);
        self.put_cargo(carrier, list, teu_before - admitted);
        admitted
    }

    /// Admits waiting arrivals in order while the yard has room.
    pub(crate) fn try_admit(&mut self, n: usize) {
        while let Some(w) = self.nodes[n].gate.front() {
            match w {
                Arrival::Container(c) => {
                    let teu = f64::from(self.containers[c as usize].teu);
                    if !self.nodes[n].yard.fits(teu) {
                        return;
                    }
                    self.nodes[n].gate.pop_front(teu);
                    self.admit(n, c);
                }
                Arrival::Train(t) => {
                    let link = self.trains[t as usize].link as usize;
                    let admitted = self.admit_from_carrier(n, w, link);
                    self.nodes[n].gate.shrink(admitted);
                    if self.trains[t as usize].containers.is_empty() {
                        self.nodes[n].gate.pop_emptied();
                        if let Some(p) = self.trains[t as usize].pool {
                            self.pools[p as usize].held_at[n] -= 1;
                        }
                        self.train_emptied(t);
                    } else {
                        return;
                    }
                }
                Arrival::Vessel(v) => {
                    let link = self.vessels[v as usize].link as usize;
                    let admitted = self.admit_from_carrier(n, w, link);
                    self.nodes[n].gate.shrink(admitted);
                    if self.vessels[v as usize].cargo.is_empty() {
                        self.nodes[n].gate.pop_emptied();
                        self.vessel_emptied(v);
                    } else {
                        return;
                    }
                }
            }
        }
    }

    /// The container enters the yard of `n`.
    fn admit(&mut self, n: usize, c: u32) {
        let now = self.now();
        let ct = &mut self.containers[c as usize];
        let outside = now - ct.mark;
        ct.node_wait += outside;
        ct.mark = now;
        let teu = f64::from(ct.teu);
        if outside > 0
            && let Some(y) = self.year_now
        {
            self.years[y].nodes[n].yard_teu_hours += teu * ticks_to_hours(outside);
        }
        let node = &mut self.nodes[n];
        node.yard.put(now, teu);
        node.stall.moved(now);
        // Handled means lifted by the node's cranes, counted in the year the lift ends
        // (`plan`): a node without any has no handling.
        if self.m.nodes[n].cranes == 0 {
            // A node defined without cranes has no handling step at all.
            self.after_handling(n, c);
            return;
        }
        // Handling time, then dwell, drawn on admission from the node's stream.
        let minutes = match &self.m.nodes[n].handling_minutes {
            Some(d) => d.sample(&mut self.node_rng[n]) * self.nodes[n].handling_scale,
            None => 0.0,
        };
        let service = hours_to_ticks(minutes / 60.0);
        let dwell = match &self.m.nodes[n].dwell_hours {
            Some(d) => hours_to_ticks(d.sample(&mut self.node_rng[n]) * self.nodes[n].dwell_scale),
            None => 0,
        };
        self.drop_finished(n);
        // While the node is closed nothing is planned: the box waits unplanned (no calendar
        // entry) and is planned when the node reopens, so that overlapping closures do not
        // re-plan an ever longer queue at each start.
        let closed = self.nodes[n].closed_until > now;
        if closed || self.nodes[n].crane_free.is_empty() || !self.nodes[n].stalled.is_empty() {
            self.nodes[n].stalled.push_back(Stalled {
                c,
                admitted: now,
                service,
                dwell,
            });
        } else {
            self.plan(n, c, now, service, dwell);
        }
        self.note_queue_length(n);
    }

    /// Forgets planned entries at the front whose handling is over.
    fn drop_finished(&mut self, n: usize) {
        let now = self.now();
        let node = &mut self.nodes[n];
        while node.planned.front().is_some_and(|p| p.done <= now) {
            node.planned.pop_front();
            node.unstarted_from = node.unstarted_from.saturating_sub(1);
        }
    }

    /// Records the crane queue length now (containers admitted, not yet started).
    fn note_queue_length(&mut self, n: usize) {
        let now = self.now();
        let node = &mut self.nodes[n];
        // Starts are non-decreasing in admission order (FIFO), so the started entries are
        // a prefix and one pointer tracks its end.
        while node.unstarted_from < node.planned.len()
            && node.planned[node.unstarted_from].start <= now
        {
            node.unstarted_from += 1;
        }
        let q = (node.planned.len() - node.unstarted_from + node.stalled.len()) as f64;
        if let Some(y) = self.year_now {
            let ny = &mut self.years[y].nodes[n];
            if q > ny.queue_max {
                ny.queue_max = q;
            }
        }
    }

    /// Adds `sign` × the part of [a, b) falling in each reported year to the node
    /// statistic `field` selects (a span may cross a year end, so it is split there).
    fn add_span(
        &mut self,
        n: usize,
        a: Ticks,
        b: Ticks,
        sign: f64,
        field: fn(&mut NodeYear) -> &mut f64,
    ) {
        let mut t = a.max(self.m.stats_start);
        while t < b {
            let Some(y) = self.year_index(t) else { return };
            let year_end = self.m.stats_start + (y as u64 + 1) * TICKS_PER_YEAR;
            let upto = b.min(year_end);
            *field(&mut self.years[y].nodes[n]) += sign * (upto - t) as f64;
            t = upto;
        }
    }

    /// Assigns the container to the crane free first (FIFO over cranes) and schedules the
    /// moment it is ready to leave: end of handling plus dwell.
    fn plan(&mut self, n: usize, c: u32, admitted: Ticks, service: Ticks, dwell: Ticks) {
        let node = &mut self.nodes[n];
        let (s, free) = node.crane_free.earliest().unwrap_or((0, admitted));
        let start = admitted.max(free).max(node.closed_until);
        let done = start.saturating_add(service);
        node.crane_free.occupy(s, done);
        let ready_at = done.saturating_add(dwell);
        let key = self
            .cal
            .schedule_at(
                ready_at.max(self.cal.now()),
                Ev::Ready {
                    node: n as u32,
                    container: c,
                },
            )
            .unwrap_or_else(|_| {
                self.cal.schedule_in(
                    0,
                    Ev::Ready {
                        node: n as u32,
                        container: c,
                    },
                )
            });
        self.nodes[n].planned.push_back(Planned {
            c,
            admitted,
            start,
            done,
            service,
            dwell,
            key,
        });
        self.containers[c as usize].node_wait += (start - admitted) + dwell;
        self.add_span(n, admitted, start, 1.0, QUEUE);
        let teu = f64::from(self.containers[c as usize].teu);
        // Throughput in the year the lift ends (fix: counted on admission, a saturated
        // node such as a destination port with an unlimited yard reported more TEU
        // handled than its cranes can lift).
        if let Some(y) = self.year_index(done) {
            self.years[y].nodes[n].handled_teu += teu;
        }
        self.add_span(n, admitted, start, teu, QUEUE_TEU);
        self.add_span(n, start, done, 1.0, BUSY);
    }

    /// The cranes changed or the node closed: containers whose handling has not started
    /// are planned again, in their admission order, on the cranes available from now.
    pub(crate) fn replan_handling(&mut self, n: usize) {
        if self.m.nodes[n].cranes == 0 {
            return;
        }
        let now = self.now();
        self.drop_finished(n);
        let node = &mut self.nodes[n];
        let mut in_service: Vec<Ticks> = node
            .planned
            .iter()
            .filter(|p| p.start <= now && p.done > now)
            .map(|p| p.done)
            .collect();
        in_service.sort_unstable();
        let first_unstarted = node
            .planned
            .iter()
            .position(|p| p.start > now)
            .unwrap_or(node.planned.len());
        let unstarted: Vec<Planned> = node.planned.drain(first_unstarted..).collect();
        node.unstarted_from = node.unstarted_from.min(node.planned.len());
        let k = node.cranes as usize;
        // Boxes in handling beyond the cranes now available keep their cranes until done:
        // count those cranes as capacity, replacing what an earlier re-plan counted for
        // the time from now on, so that a busy crane-hour is never more than an offered one.
        let earlier = std::mem::take(&mut node.excess_done);
        let excess: Vec<Ticks> = in_service
            .get(..in_service.len().saturating_sub(k))
            .unwrap_or_default()
            .to_vec();
        let node = &mut self.nodes[n];
        node.excess_done = excess.clone();
        for d in earlier {
            self.add_span(n, now, d, -1.0, EXCESS);
        }
        for &d in &excess {
            self.add_span(n, now, d, 1.0, EXCESS);
        }
        let node = &mut self.nodes[n];
        // More boxes in handling than cranes now: a new start needs the excess to finish.
        let closed_until = node.closed_until;
        node.crane_free.reset(k, &in_service, now, closed_until);
        for p in &unstarted {
            self.cal.cancel(p.key);
            self.containers[p.c as usize].node_wait -= (p.start - p.admitted) + p.dwell;
            self.add_span(n, p.admitted, p.start, -1.0, QUEUE);
            let teu = f64::from(self.containers[p.c as usize].teu);
            if let Some(y) = self.year_index(p.done) {
                self.years[y].nodes[n].handled_teu -= teu;
            }
            self.add_span(n, p.admitted, p.start, -teu, QUEUE_TEU);
            self.add_span(n, p.start, p.done, -1.0, BUSY);
        }
        if closed_until > now {
            // Closed: the unplanned boxes wait, in admission order ahead of those already
            // waiting, until `on_closure_end` plans them all once.
            let node = &mut self.nodes[n];
            for p in unstarted.iter().rev() {
                node.stalled.push_front(Stalled {
                    c: p.c,
                    admitted: p.admitted,
                    service: p.service,
                    dwell: p.dwell,
                });
            }
            return;
        }
        let stalled: Vec<Stalled> = self.nodes[n].stalled.drain(..).collect();
        let again = unstarted
            .iter()
            .map(|p| Stalled {
                c: p.c,
                admitted: p.admitted,
                service: p.service,
                dwell: p.dwell,
            })
            .chain(stalled);
        for st in again {
            if self.nodes[n].crane_free.is_empty() {
                self.nodes[n].stalled.push_back(st);
            } else {
                self.plan(n, st.c, st.admitted, st.service, st.dwell);
            }
        }
    }

    fn after_handling(&mut self, n: usize, c: u32) {
        let dwell_hours = match &self.m.nodes[n].dwell_hours {
            Some(d) => d.sample(&mut self.node_rng[n]) * self.nodes[n].dwell_scale,
            None => 0.0,
        };
        let dt: Ticks = hours_to_ticks(dwell_hours);
        if dt == 0 {
            self.on_ready(n, c);
        } else {
            self.containers[c as usize].node_wait += dt;
            self.schedule_in(
                dt,
                Ev::Ready {
                    node: n as u32,
                    container: c,
                },
            );
        }
    }

    // ---- berths: vessels queue for them (FIFO) and hold one while loading or unloading ----

    /// Rail ferries use the node's ferry berths when it has any (Alat: 2 ferry berths
    /// beside its container berths); otherwise every vessel uses the container berths.
    fn berths_for(&mut self, n: usize, v: u32) -> &mut Servers {
        if self.m.nodes[n].ferry_berths > 0 && self.is_ferry(v) {
            &mut self.nodes[n].ferry_berths
        } else {
            &mut self.nodes[n].berths
        }
    }

    /// The vessel asks `n` for a berth: it gets one now, or queues.
    pub(crate) fn request_berth(&mut self, n: usize, v: u32) {
        let open = self.nodes[n].closed == 0;
        if open && self.berths_for(n, v).serves_newcomer() {
            self.occupy_berth(n, v);
        } else {
            self.berths_for(n, v).join_queue(v);
        }
    }

    fn occupy_berth(&mut self, n: usize, v: u32) {
        let now = self.now();
        self.berths_for(n, v).seize(now);
        self.vessel_berthed(n, v);
    }

    /// The vessel leaves its berth at `n`; the next in the queue takes it.
    pub(crate) fn release_berth(&mut self, n: usize, v: u32) {
        let now = self.now();
        // A berth removed by the timeline while a vessel was at it stays in use until the
        // vessel leaves (fix: berth_utilization above 1 after a cut); now it goes.
        self.berths_for(n, v).release(now);
        self.serve_berth_queue(n);
    }

    /// Free berths take queued vessels, container berths first, while the node is open:
    /// the vessel with the most TEU aboard (or claimed to load) first, the earliest among
    /// equals. Each call holds the berth a fixed time whatever the vessel carries, so a
    /// busy berth moves most boxes when the fullest vessels go first, and a small vessel
    /// added to the fleet takes berth time only when no larger load is waiting (in first
    /// come, first served, one more 125-TEU charter cut `ebrd-2040`'s 2040 deliveries by
    /// 8,000 TEU at Aktau's binding berths).
    pub(crate) fn serve_berth_queue(&mut self, n: usize) {
        while self.nodes[n].closed == 0 {
            let vessels = &self.vessels;
            let Some(v) = self.nodes[n]
                .berths
                .next_served_largest(|v| vessels[v as usize].cargo_teu)
            else {
                break;
            };
            self.occupy_berth(n, v);
        }
        while self.nodes[n].closed == 0 {
            let vessels = &self.vessels;
            let Some(v) = self.nodes[n]
                .ferry_berths
                .next_served_largest(|v| vessels[v as usize].cargo_teu)
            else {
                break;
            };
            self.occupy_berth(n, v);
        }
    }

    /// Handling and dwell are over: the container waits for its next link.
    pub(crate) fn on_ready(&mut self, n: usize, c: u32) {
        let now = self.now();
        let ct = &mut self.containers[c as usize];
        let wait_h = ticks_to_hours(ct.node_wait);
        let teu = f64::from(ct.teu);
        ct.node_wait = 0;
        ct.mark = now;
        let leg = usize::from(ct.leg);
        let route = &self.m.routes[ct.route as usize];
        if let Some(y) = self.year_now {
            let ny = &mut self.years[y].nodes[n];
            ny.wait_hours.add(wait_h);
            ny.wait_teu_hours += wait_h * teu;
        }
        let Some(&link) = route.links.get(leg) else {
            // The route ends here (a node that handles what it receives): the box was
            // handled and has dwelt, so it leaves the yard, delivered.
            self.nodes[n].yard.take(now, teu);
            self.deliver(c);
            self.request_admit(n);
            return;
        };
        // `try_depart` works out the cause afterwards.
        self.charge_wait(link);
        self.links[link].waiting.push(c, teu);
        self.try_depart(link);
    }

    /// The container leaves the yard of `n` on `link` (loaded on a train or vessel).
    pub(crate) fn leave_node(&mut self, n: usize, link: usize, c: u32) {
        let now = self.now();
        let ct = &self.containers[c as usize];
        let teu = f64::from(ct.teu);
        let wait_h = ticks_to_hours(now - ct.mark);
        self.containers[c as usize].boarded = now;
        self.nodes[n].yard.take(now, teu);
        if let Some(y) = self.year_now {
            let ly = &mut self.years[y].links[link];
            ly.wait_hours.add(wait_h);
            ly.wait_teu_hours += wait_h * teu;
        }
    }

    fn deliver(&mut self, c: u32) {
        let now = self.now();
        let ct = self.containers[c as usize];
        let teu = f64::from(ct.teu);
        self.delivered_teu += teu;
        self.alive_teu -= teu;
        let local = self.m.flows[ct.flow as usize].local;
        if local {
            self.local_alive_teu -= teu;
        }
        if let Some((bin, bins)) = self.trace.as_mut()
            && !local
        {
            let i = ((now - self.m.start) / *bin) as usize;
            if let Some(t) = bins.get_mut(i) {
                t.add(ticks_to_days(now - ct.created));
            }
        }
        if let Some(ch) = self.choice.as_deref_mut()
            && let Some(&d) = self.m.routes[ct.route as usize].nodes.last()
            && !self.m.nodes[d].delivers_on_arrival
        {
            ch.observe_destination(d, ticks_to_hours(now - ct.arrived));
        }
        if let Some(y) = self.year_now {
            let days = ticks_to_days(now - ct.created);
            let ys = &mut self.years[y];
            // At a destination that handles its boxes, the time there runs to delivery.
            let dest = self.m.routes[ct.route as usize].nodes.last().copied();
            if let Some(d) = dest.filter(|&d| !self.m.nodes[d].delivers_on_arrival) {
                ys.nodes[d].node_hours.add(ticks_to_hours(now - ct.arrived));
            }
            if !local {
                // A node's own traffic is not the corridor's (`FlowSpec::local`).
                ys.delivered_teu += teu;
                ys.transit_days.add(days);
                ys.transit_q.add(days);
            }
            ys.flow_delivered_teu[ct.flow as usize] += teu;
            ys.route_delivered_teu[ct.route as usize] += teu;
            ys.flow_route_delivered_teu
                [ct.flow as usize * self.m.routes.len() + ct.route as usize] += teu;
            ys.flow_transit_days[ct.flow as usize].add(days);
            ys.flow_transit_q[ct.flow as usize].add(days);
            ys.flow_delivered_boxes[ct.flow as usize] += 1.0;
            if self.m.flows[ct.flow as usize]
                .promised_days
                .is_some_and(|p| days <= p)
            {
                ys.flow_on_time[ct.flow as usize] += 1.0;
            }
            ys.route_transit_days[ct.route as usize].add(days);
            ys.route_transit_q[ct.route as usize].add(days);
        }
        self.free_containers.push(c);
    }
}
