//! The timeline: dated changes to capacities (investments, policies) and closures of
//! nodes and links (dated or random disruptions).
//!
//! A change takes effect at its date and wakes whatever it may unblock (queued handling,
//! berths, yards, departures). A closure stops handling and departures at a node, or
//! departures on a link, until it ends; closures may overlap (a counter, not a flag).
//! This file must never sample anything but disruption times and durations.

use rand_distr::{Distribution, Exp1};

use crate::engine::time::{TICKS_PER_YEAR, hours_to_ticks};
use crate::scenario::params::{FleetParam, NodeParam, PoolParam, RailParam, SeaParam};

use super::demand::spend_mass;
use super::network::{Param, Subject};
use super::sim::{Carriers, Ev, Sim};

impl Sim<'_> {
    pub(crate) fn apply_change(&mut self, index: usize) {
        let m = self.m;
        let now = self.now();
        for &(param, value) in &m.changes[index].sets {
            match param {
                Param::Node(n, p) => {
                    let node = &mut self.nodes[n];
                    match p {
                        NodeParam::Cranes => {
                            node.cranes = value as u32;
                            node.tw_cranes.set(now, value);
                            self.replan_handling(n);
                        }
                        NodeParam::Berths => {
                            // Occupied berths cannot vanish under their vessels: they
                            // count as offered until released (`Servers`).
                            node.berths.set_capacity(now, value as u32);
                            self.serve_berth_queue(n);
                        }
                        NodeParam::FerryBerths => {
                            // As container berths: an occupied berth stays until released.
                            node.ferry_berths.set_capacity(now, value as u32);
                            self.serve_berth_queue(n);
                        }
                        NodeParam::YardCapacityTeu => {
                            node.yard.set_capacity(value);
                            self.request_admit(n);
                        }
                        NodeParam::HandlingScale => node.handling_scale = value,
                        NodeParam::DwellScale => node.dwell_scale = value,
                        NodeParam::QuayCranesPerVessel => {
                            node.quay_cranes_per_vessel = value as u32
                        }
                    }
                }
                Param::Pool(p, PoolParam::Sets) => self.set_pool_sets(p, value as u32),
                Param::Rail(l, p) => {
                    if let Some(r) = self.links[l].rail_mut() {
                        match p {
                            RailParam::TrainCapacityTeu => r.train_capacity_teu = value,
                            RailParam::PathsPerDay => {
                                r.paths_per_day = Some(value);
                                r.tw_paths.set(now, value);
                            }
                            RailParam::MaxWaitHours => r.max_wait = Some(hours_to_ticks(value)),
                            RailParam::TimetableHours => {
                                r.timetable = Some(hours_to_ticks(value).max(1))
                            }
                        }
                    }
                    self.ensure_timetable(l);
                    self.try_depart(l);
                }
                Param::Sea(l, p) => {
                    if let Some(s) = self.links[l].sea_mut() {
                        match p {
                            SeaParam::LoadCapShare => s.load_cap_share = value,
                            SeaParam::MinLoadShare => s.min_load_share = value,
                            SeaParam::MaxWaitHours => s.max_wait = Some(hours_to_ticks(value)),
                            SeaParam::StormEventsPerYear => s.storm_rate_per_year = value,
                        }
                    }
                    if p == SeaParam::StormEventsPerYear {
                        self.reschedule_storms(l);
                    }
                    self.try_depart(l);
                }
                Param::Fleet(l, class, p) => {
                    match p {
                        FleetParam::Count => self.set_fleet_count(l, class, value as u32),
                        FleetParam::CapacityTeu => {
                            if let Some(s) = self.links[l].sea_mut() {
                                s.class_capacity_teu[class] = value;
                            }
                        }
                    }
                    self.try_depart(l);
                }
            }
        }
    }

    pub(crate) fn schedule_disruption(&mut self, d: usize) {
        let def = &self.m.disruptions[d];
        let epoch = self.disruption_epoch[d];
        if let Some(start) = def.start {
            // A dated closure happens once; the epoch guard keeps it from repeating.
            if epoch == 0 {
                self.schedule_at(
                    start,
                    Ev::ClosureStart {
                        disruption: d as u32,
                        epoch,
                    },
                );
            }
            return;
        }
        if def.events_per_year <= 0.0 {
            return;
        }
        let per_tick = def.events_per_year / TICKS_PER_YEAR as f64;
        let mass: f64 = Exp1.sample(&mut self.disruption_rng[d]);
        if let Some(at) = spend_mass(self.now(), mass, self.m.end, |_, _| per_tick) {
            self.schedule_at(
                at,
                Ev::ClosureStart {
                    disruption: d as u32,
                    epoch,
                },
            );
        }
    }

    pub(crate) fn on_closure_start(&mut self, d: usize, epoch: u32) {
        if self.disruption_epoch[d] != epoch {
            return;
        }
        self.disruption_epoch[d] = epoch.wrapping_add(1);
        let def = &self.m.disruptions[d];
        let hours = def.duration_hours.sample(&mut self.disruption_rng[d]);
        let until = self.now().saturating_add(hours_to_ticks(hours));
        match def.subject {
            Subject::Node(n) => {
                self.nodes[n].closed += 1;
                // Handling stops until the closure ends: what has not started waits.
                self.nodes[n].closed_until = self.nodes[n].closed_until.max(until);
                self.replan_handling(n);
            }
            Subject::Link(l) => self.links[l].closed += 1,
        }
        self.schedule_at(
            until,
            Ev::ClosureEnd {
                disruption: d as u32,
            },
        );
        if def.start.is_none() {
            self.schedule_disruption(d);
        }
        // Shippers stop booking onto what closed.
        self.refresh_routes();
    }

    pub(crate) fn on_closure_end(&mut self, d: usize) {
        match self.m.disruptions[d].subject {
            Subject::Node(n) => {
                self.nodes[n].closed -= 1;
                if self.nodes[n].closed == 0 {
                    // The boxes that waited unplanned during the closure get their cranes.
                    self.replan_handling(n);
                    self.serve_berth_queue(n);
                    for i in 0..self.nodes[n].out_links.len() {
                        let l = self.nodes[n].out_links[i] as usize;
                        self.try_depart(l);
                    }
                }
            }
            Subject::Link(l) => {
                self.links[l].closed -= 1;
                if self.links[l].closed == 0 {
                    self.try_depart(l);
                    match self.links[l].carriers {
                        Carriers::Sea(_) => self.release_held_vessels(l),
                        Carriers::Rail(_) => {}
                    }
                }
            }
        }
        self.refresh_routes();
    }
}
