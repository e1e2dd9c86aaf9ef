//! Reference queueing models built only on the engine, used to validate it against exact
//! queueing theory and to benchmark it.
//!
//! A network of FIFO multi-server stations in tandem: customers arrive as a Poisson stream
//! (or a renewal stream with any interarrival distribution), visit stations 1..k in order and
//! leave. Everything runs on `crate::engine` exactly as the corridor model does: the
//! `Calendar` with a small `Copy` event enum, one named random stream per source (the
//! arrivals, each station's service), `Tally` and `TimeWeighted` statistics. Customers live in
//! an arena (a `Vec` with a free list) and queues hold arena indices, so a run allocates
//! nothing per event once the arena and queues have grown to their working size.
//!
//! This module must never know about freight (containers, trains, ports): it is the
//! independent yardstick the engine is checked against in `tests/queueing_validation.rs`,
//! and it must stay as plain as the textbook models it reproduces. Time unit: hours (rates
//! per hour, durations in hours), converted to the engine's integer ticks.

use std::collections::VecDeque;

use rand_distr::{Distribution, Exp};

use crate::engine::dist::DistError;
use crate::engine::time::{Ticks, hours_to_ticks, ticks_to_hours};
use crate::engine::{Calendar, Dist, DistSpec, Stream, StreamFactory, Tally, TimeWeighted};

/// One station: `servers` identical servers in parallel sharing one FIFO queue.
#[derive(Debug, Clone)]
pub struct StationSpec {
    pub servers: u32,
    /// Service time in hours.
    pub service: Dist,
}

impl StationSpec {
    /// Exponential service at `rate` customers per hour per server (M/M/c).
    pub fn exponential(servers: u32, rate: f64) -> Result<Self, QueueingError> {
        let service = DistSpec::Exponential(crate::engine::dist::ExponentialSpec {
            mean: None,
            rate: Some(rate),
        })
        .build()?;
        Ok(StationSpec { servers, service })
    }

    /// Constant service time of `hours` (M/D/c).
    pub fn deterministic(servers: u32, hours: f64) -> Result<Self, QueueingError> {
        let service = DistSpec::Constant(hours).build()?;
        Ok(StationSpec { servers, service })
    }
}

/// How customers arrive at the first station.
#[derive(Debug, Clone)]
pub enum Arrivals {
    /// Poisson stream of `rate` customers per hour.
    Poisson { rate: f64 },
    /// Renewal stream: independent interarrival times (hours) drawn from `interarrival`.
    Renewal { interarrival: Dist },
}

/// A tandem network and the observation window of one run.
#[derive(Debug, Clone)]
pub struct NetworkSpec {
    pub arrivals: Arrivals,
    /// Visited in order; at least one.
    pub stations: Vec<StationSpec>,
    /// The run covers [0, horizon]; events at exactly the horizon still fire.
    pub horizon_hours: f64,
    /// Customers arriving before this time are not measured, and time averages start here.
    pub warm_up_hours: f64,
    /// For each threshold t, each station counts the measured customers whose wait in queue
    /// exceeded t (to estimate P(Wq > t)). Empty by default.
    pub wait_thresholds_hours: Vec<f64>,
}

impl NetworkSpec {
    /// A network with no warm-up and no wait thresholds.
    pub fn new(arrivals: Arrivals, stations: Vec<StationSpec>, horizon_hours: f64) -> Self {
        NetworkSpec {
            arrivals,
            stations,
            horizon_hours,
            warm_up_hours: 0.0,
            wait_thresholds_hours: Vec::new(),
        }
    }

    /// Poisson arrivals at `rate` per hour.
    pub fn poisson(rate: f64, stations: Vec<StationSpec>, horizon_hours: f64) -> Self {
        Self::new(Arrivals::Poisson { rate }, stations, horizon_hours)
    }

    pub fn with_warm_up(mut self, hours: f64) -> Self {
        self.warm_up_hours = hours;
        self
    }

    pub fn with_wait_thresholds(mut self, hours: Vec<f64>) -> Self {
        self.wait_thresholds_hours = hours;
        self
    }

    /// Checks every parameter; the first problem found is returned.
    pub fn validate(&self) -> Result<(), QueueingError> {
        match &self.arrivals {
            Arrivals::Poisson { rate } => {
                if !(rate.is_finite() && *rate > 0.0) {
                    return Err(QueueingError::ArrivalRate { rate: *rate });
                }
            }
            Arrivals::Renewal { interarrival } => {
                let mean = interarrival.mean();
                // A zero-mean stream would put infinitely many arrivals at one instant.
                if !(mean.is_finite() && mean > 0.0) || interarrival.min_value() < 0.0 {
                    return Err(QueueingError::Interarrival {
                        mean,
                        min: interarrival.min_value(),
                    });
                }
            }
        }
        if self.stations.is_empty() {
            return Err(QueueingError::NoStations);
        }
        if self.stations.len() > u32::MAX as usize {
            return Err(QueueingError::TooManyStations {
                count: self.stations.len(),
            });
        }
        for (station, s) in self.stations.iter().enumerate() {
            if s.servers == 0 {
                return Err(QueueingError::NoServers { station });
            }
            let min = s.service.min_value();
            if min < 0.0 {
                return Err(QueueingError::NegativeService { station, min });
            }
        }
        let h = self.horizon_hours;
        if !(h.is_finite() && h > 0.0) || hours_to_ticks(h) == 0 {
            return Err(QueueingError::Horizon { hours: h });
        }
        let w = self.warm_up_hours;
        if !(w.is_finite() && w >= 0.0 && w < h) {
            return Err(QueueingError::WarmUp {
                hours: w,
                horizon: h,
            });
        }
        for (index, &value) in self.wait_thresholds_hours.iter().enumerate() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(QueueingError::WaitThreshold { index, value });
            }
        }
        Ok(())
    }
}

/// An invalid network parameter. The message starts with the parameter's path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueingError {
    #[error("arrivals.rate: must be a positive, finite number per hour, got {rate}")]
    ArrivalRate { rate: f64 },
    #[error(
        "arrivals.interarrival: must have a positive, finite mean and no negative values, got mean {mean}, minimum {min}"
    )]
    Interarrival { mean: f64, min: f64 },
    #[error("stations: the network needs at least one station")]
    NoStations,
    #[error("stations: at most 2^32 - 1 stations, got {count}")]
    TooManyStations { count: usize },
    #[error("stations[{station}].servers: must be >= 1, got 0")]
    NoServers { station: usize },
    #[error(
        "stations[{station}].service: durations must be >= 0, but the distribution can give {min}"
    )]
    NegativeService { station: usize, min: f64 },
    #[error("horizon_hours: must be a positive, finite duration of at least one tick, got {hours}")]
    Horizon { hours: f64 },
    #[error("warm_up_hours: must be >= 0 and shorter than the horizon ({horizon} h), got {hours}")]
    WarmUp { hours: f64, horizon: f64 },
    #[error("wait_thresholds_hours[{index}]: must be a finite number >= 0, got {value}")]
    WaitThreshold { index: usize, value: f64 },
    #[error("service: {0}")]
    Service(#[from] DistError),
}

impl QueueingError {
    /// The path of the offending parameter, e.g. `stations[2].servers`.
    pub fn parameter(&self) -> String {
        match self {
            QueueingError::ArrivalRate { .. } => "arrivals.rate".into(),
            QueueingError::Interarrival { .. } => "arrivals.interarrival".into(),
            QueueingError::NoStations | QueueingError::TooManyStations { .. } => "stations".into(),
            QueueingError::NoServers { station } => format!("stations[{station}].servers"),
            QueueingError::NegativeService { station, .. } => {
                format!("stations[{station}].service")
            }
            QueueingError::Horizon { .. } => "horizon_hours".into(),
            QueueingError::WarmUp { .. } => "warm_up_hours".into(),
            QueueingError::WaitThreshold { index, .. } => format!("wait_thresholds_hours[{index}]"),
            QueueingError::Service(e) => format!("service.{}", e.param),
        }
    }
}

/// Deliberately broken behaviours. They exist only so that the validation tests can show
/// that they would catch such a bug (mutation testing); `run` never uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Serve queues last-in, first-out instead of FIFO.
    Lifo,
    /// The `nth` service start (0-based, over all stations) never schedules its departure:
    /// one lost event.
    LoseDeparture { nth: u64 },
}

/// What one station measured over the observation window.
#[derive(Debug, Clone, PartialEq)]
pub struct StationResult {
    /// Wait in queue (hours) of each measured customer who started service.
    pub wait: Tally,
    /// Wait + service (hours) of each measured customer who left the station.
    pub sojourn: Tally,
    /// Measured customers whose wait was > 0.
    pub waited: u64,
    /// Per threshold of `NetworkSpec::wait_thresholds_hours`: measured waits above it.
    pub waits_above: Vec<u64>,
    /// Measured customers who left the station.
    pub served: u64,
    /// Time averages over [warm-up, horizon].
    pub mean_in_queue: f64,
    pub mean_in_system: f64,
    pub mean_busy_servers: f64,
    pub max_in_queue: f64,
}

impl StationResult {
    /// Share of measured customers who waited (probability of waiting).
    pub fn p_wait(&self) -> f64 {
        self.waited as f64 / self.wait.count() as f64
    }

    /// Share of measured customers whose wait exceeded threshold `i`.
    pub fn p_wait_above(&self, i: usize) -> f64 {
        self.waits_above[i] as f64 / self.wait.count() as f64
    }
}

/// Where every customer who ever arrived is at the end of the run. Counted independently:
/// `waiting` from the queues, `in_service` from the departure events still pending in the
/// calendar, so an event that is lost (or invented) breaks the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conservation {
    /// Customers who arrived since time 0 (warm-up included).
    pub arrived: u64,
    /// Customers who left the last station.
    pub departed: u64,
    /// Customers in the stations' queues.
    pub waiting: u64,
    /// Departure events pending in the calendar (its live events minus the next arrival).
    pub in_service: u64,
    /// Busy servers according to the stations' own counters.
    pub busy_servers: u64,
}

impl Conservation {
    /// arrived = departed + waiting + in service, and every busy server has a pending departure.
    pub fn holds(&self) -> bool {
        self.arrived == self.departed + self.waiting + self.in_service
            && self.in_service == self.busy_servers
    }
}

/// What one replication measured.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkResult {
    pub replication: u64,
    pub stations: Vec<StationResult>,
    /// Network sojourn (hours) of measured customers who left the last station.
    pub sojourn: Tally,
    /// Measured customers (arrived at or after the warm-up).
    pub arrivals_measured: u64,
    /// Time average of the number of customers in the network over [warm-up, horizon].
    pub mean_in_network: f64,
    /// Length of the observation window, hours.
    pub observed_hours: f64,
    pub conservation: Conservation,
    /// Events fired by the calendar.
    pub events: u64,
    /// Customer slots the arena ever allocated: the peak number in the network, not the
    /// number of customers served (slots are reused).
    pub arena_slots: usize,
}

impl NetworkResult {
    /// Observed arrival rate (measured arrivals per hour of the observation window).
    pub fn arrival_rate(&self) -> f64 {
        self.arrivals_measured as f64 / self.observed_hours
    }
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival,
    Departure { station: u32, customer: u32 },
    EndWarmUp,
}

#[derive(Debug, Clone, Copy)]
struct Customer {
    network_arrival: Ticks,
    station_arrival: Ticks,
    measured: bool,
}

enum ArrivalSampler {
    Poisson(Exp<f64>),
    Renewal(Dist),
}

struct Station {
    servers: u32,
    busy: u32,
    service: Dist,
    rng: Stream,
    queue: VecDeque<u32>,
    wait: Tally,
    sojourn: Tally,
    waited: u64,
    waits_above: Vec<u64>,
    served: u64,
    in_queue: TimeWeighted,
    in_system: TimeWeighted,
    busy_tw: TimeWeighted,
}

struct Sim<'a> {
    cal: Calendar<Event>,
    customers: Vec<Customer>,
    free: Vec<u32>,
    stations: Vec<Station>,
    thresholds: &'a [Ticks],
    warm_up: Ticks,
    arrival_rng: Stream,
    arrivals: ArrivalSampler,
    sojourn: Tally,
    in_network: TimeWeighted,
    arrived: u64,
    measured: u64,
    departed: u64,
    starts: u64,
    fault: Fault,
}

impl Sim<'_> {
    #[inline]
    fn next_interarrival(&mut self) -> Ticks {
        let hours = match &self.arrivals {
            ArrivalSampler::Poisson(exp) => exp.sample(&mut self.arrival_rng),
            ArrivalSampler::Renewal(d) => d.sample(&mut self.arrival_rng),
        };
        hours_to_ticks(hours)
    }

    #[inline]
    fn arrive(&mut self, t: Ticks) {
        self.arrived += 1;
        let measured = t >= self.warm_up;
        self.measured += u64::from(measured);
        let c = Customer {
            network_arrival: t,
            station_arrival: t,
            measured,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.customers[i as usize] = c;
                i
            }
            None => {
                self.customers.push(c);
                (self.customers.len() - 1) as u32
            }
        };
        self.in_network.add(t, 1.0);
        self.enter(0, idx, t);
        let dt = self.next_interarrival();
        self.cal.schedule_in(dt, Event::Arrival);
    }

    #[inline]
    fn enter(&mut self, s: usize, c: u32, t: Ticks) {
        self.customers[c as usize].station_arrival = t;
        let st = &mut self.stations[s];
        st.in_system.add(t, 1.0);
        if st.busy < st.servers {
            self.start_service(s, c, t);
        } else {
            st.queue.push_back(c);
            st.in_queue.add(t, 1.0);
        }
    }

    #[inline]
    fn start_service(&mut self, s: usize, c: u32, t: Ticks) {
        let cust = self.customers[c as usize];
        let st = &mut self.stations[s];
        st.busy += 1;
        st.busy_tw.set(t, f64::from(st.busy));
        if cust.measured {
            let wait = t - cust.station_arrival;
            st.wait.add(ticks_to_hours(wait));
            st.waited += u64::from(wait > 0);
            for (n, &limit) in st.waits_above.iter_mut().zip(self.thresholds) {
                *n += u64::from(wait > limit);
            }
        }
        let dt = hours_to_ticks(st.service.sample(&mut st.rng));
        let lost = matches!(self.fault, Fault::LoseDeparture { nth } if nth == self.starts);
        self.starts += 1;
        if !lost {
            self.cal.schedule_in(
                dt,
                Event::Departure {
                    station: s as u32,
                    customer: c,
                },
            );
        }
    }

    #[inline]
    fn depart(&mut self, s: usize, c: u32, t: Ticks) {
        let cust = self.customers[c as usize];
        let lifo = self.fault == Fault::Lifo;
        let st = &mut self.stations[s];
        st.busy -= 1;
        st.busy_tw.set(t, f64::from(st.busy));
        st.in_system.add(t, -1.0);
        if cust.measured {
            st.served += 1;
            st.sojourn.add(ticks_to_hours(t - cust.station_arrival));
        }
        let next = if lifo {
            st.queue.pop_back()
        } else {
            st.queue.pop_front()
        };
        if let Some(n) = next {
            st.in_queue.add(t, -1.0);
            self.start_service(s, n, t);
        }
        if s + 1 < self.stations.len() {
            self.enter(s + 1, c, t);
        } else {
            self.departed += 1;
            if cust.measured {
                self.sojourn.add(ticks_to_hours(t - cust.network_arrival));
            }
            self.in_network.add(t, -1.0);
            self.free.push(c);
        }
    }

    fn end_warm_up(&mut self, t: Ticks) {
        self.in_network.roll(t);
        for st in &mut self.stations {
            st.in_queue.roll(t);
            st.in_system.roll(t);
            st.busy_tw.roll(t);
        }
    }
}

/// Runs one replication of `spec`. The same (spec, seed, replication) always gives the same
/// result; replications differ only through their random streams.
pub fn run(
    spec: &NetworkSpec,
    seed: u64,
    replication: u64,
) -> Result<NetworkResult, QueueingError> {
    run_with_fault(spec, seed, replication, Fault::None)
}

/// `run` with a deliberate fault injected; for the validation tests only.
#[doc(hidden)]
pub fn run_with_fault(
    spec: &NetworkSpec,
    seed: u64,
    replication: u64,
    fault: Fault,
) -> Result<NetworkResult, QueueingError> {
    spec.validate()?;
    let streams = StreamFactory::new(seed, replication);
    let horizon = hours_to_ticks(spec.horizon_hours);
    let warm_up = hours_to_ticks(spec.warm_up_hours);
    let thresholds: Vec<Ticks> = spec
        .wait_thresholds_hours
        .iter()
        .map(|&h| hours_to_ticks(h))
        .collect();
    let arrivals = match &spec.arrivals {
        Arrivals::Poisson { rate } => match Exp::new(*rate) {
            Ok(e) => ArrivalSampler::Poisson(e),
            Err(_) => return Err(QueueingError::ArrivalRate { rate: *rate }),
        },
        Arrivals::Renewal { interarrival } => ArrivalSampler::Renewal(interarrival.clone()),
    };
    let stations = spec
        .stations
        .iter()
        .enumerate()
        .map(|(i, s)| Station {
            servers: s.servers,
            busy: 0,
            service: s.service.clone(),
            rng: streams.named(&format!("queueing/station/{i}/service")),
            queue: VecDeque::with_capacity(64),
            wait: Tally::new(),
            sojourn: Tally::new(),
            waited: 0,
            waits_above: vec![0; thresholds.len()],
            served: 0,
            in_queue: TimeWeighted::new(0, 0.0),
            in_system: TimeWeighted::new(0, 0.0),
            busy_tw: TimeWeighted::new(0, 0.0),
        })
        .collect();
    let total_servers: usize = spec.stations.iter().map(|s| s.servers as usize).sum();
    let mut sim = Sim {
        cal: Calendar::with_capacity(total_servers.min(1 << 16) + 2),
        customers: Vec::with_capacity(1024),
        free: Vec::with_capacity(1024),
        stations,
        thresholds: &thresholds,
        warm_up,
        arrival_rng: streams.named("queueing/arrivals"),
        arrivals,
        sojourn: Tally::new(),
        in_network: TimeWeighted::new(0, 0.0),
        arrived: 0,
        measured: 0,
        departed: 0,
        starts: 0,
        fault,
    };

    // Scheduled first so that, at the warm-up instant, statistics restart before any
    // arrival due at the same tick (ties fire in scheduling order).
    sim.cal.schedule_in(warm_up, Event::EndWarmUp);
    let first = sim.next_interarrival();
    sim.cal.schedule_in(first, Event::Arrival);

    while let Some((t, e)) = sim.cal.pop_until(horizon) {
        match e {
            Event::Arrival => sim.arrive(t),
            Event::Departure { station, customer } => sim.depart(station as usize, customer, t),
            Event::EndWarmUp => sim.end_warm_up(t),
        }
    }

    // The calendar holds exactly one pending arrival plus the pending departures (warm-up
    // ends before the horizon, so its event has fired).
    let in_service = (sim.cal.len() as u64).saturating_sub(1);
    let conservation = Conservation {
        arrived: sim.arrived,
        departed: sim.departed,
        waiting: sim.stations.iter().map(|s| s.queue.len() as u64).sum(),
        in_service,
        busy_servers: sim.stations.iter().map(|s| u64::from(s.busy)).sum(),
    };
    let stations = sim
        .stations
        .iter()
        .map(|st| StationResult {
            wait: st.wait,
            sojourn: st.sojourn,
            waited: st.waited,
            waits_above: st.waits_above.clone(),
            served: st.served,
            mean_in_queue: st.in_queue.mean_until(horizon),
            mean_in_system: st.in_system.mean_until(horizon),
            mean_busy_servers: st.busy_tw.mean_until(horizon),
            max_in_queue: st.in_queue.max(),
        })
        .collect();
    Ok(NetworkResult {
        replication,
        stations,
        sojourn: sim.sojourn,
        arrivals_measured: sim.measured,
        mean_in_network: sim.in_network.mean_until(horizon),
        observed_hours: ticks_to_hours(horizon - warm_up),
        conservation,
        events: sim.cal.fired(),
        arena_slots: sim.customers.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(hours: f64) -> Dist {
        DistSpec::Constant(hours).build().unwrap()
    }

    fn dd1(interarrival: f64, service: f64, horizon: f64) -> NetworkSpec {
        NetworkSpec::new(
            Arrivals::Renewal {
                interarrival: constant(interarrival),
            },
            vec![StationSpec::deterministic(1, service).unwrap()],
            horizon,
        )
    }

    #[test]
    fn dd1_underloaded_by_hand() {
        // Arrivals at 1, 2, ..., 10 h; each served for 0.5 h at once. Departures at 1.5 ..
        // 9.5; the customer arriving at 10 is still in service at the horizon.
        let r = run(&dd1(1.0, 0.5, 10.0), 1, 0).unwrap();
        let s = &r.stations[0];
        assert_eq!(s.wait.count(), 10);
        assert_eq!(s.wait.max(), 0.0);
        assert_eq!(s.waited, 0);
        assert_eq!(s.served, 9);
        assert!((s.sojourn.mean() - 0.5).abs() < 1e-12);
        // Busy 9 × 0.5 h over 10 h.
        assert!((s.mean_busy_servers - 0.45).abs() < 1e-12);
        assert!((s.mean_in_system - 0.45).abs() < 1e-12);
        assert_eq!(s.mean_in_queue, 0.0);
        let c = r.conservation;
        assert_eq!(
            (c.arrived, c.departed, c.waiting, c.in_service),
            (10, 9, 0, 1)
        );
        assert!(c.holds());
        // 1 warm-up end + 10 arrivals + 9 departures.
        assert_eq!(r.events, 20);
    }

    #[test]
    fn dd1_overloaded_by_hand() {
        // Arrival n (1-based) at n h; service 1.5 h, so service n starts at 1 + 1.5 (n - 1)
        // and waits 0.5 (n - 1). Starts at 1, 2.5, 4, 5.5, 7, 8.5 and 10 (the departure at 10
        // was scheduled before the arrival at 10, so it fires first): 7 waits 0, 0.5 .. 3.
        let spec = dd1(1.0, 1.5, 10.0).with_wait_thresholds(vec![0.0, 1.0, 2.9]);
        let r = run(&spec, 1, 0).unwrap();
        let s = &r.stations[0];
        assert_eq!(s.wait.count(), 7);
        assert!((s.wait.mean() - 1.5).abs() < 1e-12);
        assert_eq!(s.waited, 6);
        assert!((s.p_wait() - 6.0 / 7.0).abs() < 1e-12);
        assert_eq!(s.waits_above, vec![6, 4, 1]);
        assert_eq!(s.served, 6);
        // Queue: customers 3..10 arrive at 3..10 and leave it at 4, 5.5, 7, 8.5, 10.
        // Queue length by hand: [3,4):1 [4,5):0... integrate piecewise:
        // t in [2,2.5):1 (cust 2 waits from 2 to 2.5), [3,4):1, [4,5):1, [5,5.5):2, [5.5,6):1,
        // [6,7):2, [7,8):2, [8,8.5):3, [8.5,9):2, [9,10):3 → area 0.5+1+1+1+0.5+2+2+1.5+1+3 = 13.5
        assert!(
            (s.mean_in_queue - 1.35).abs() < 1e-12,
            "{}",
            s.mean_in_queue
        );
        assert_eq!(s.max_in_queue, 3.0);
        let c = r.conservation;
        // 10 arrived, 6 left, 3 queued (8, 9, 10), 1 in service (7).
        assert_eq!(
            (c.arrived, c.departed, c.waiting, c.in_service),
            (10, 6, 3, 1)
        );
        assert!(c.holds());
    }

    #[test]
    fn tandem_sojourn_adds_up_and_warm_up_discards() {
        let spec = NetworkSpec::new(
            Arrivals::Renewal {
                interarrival: constant(2.0),
            },
            vec![
                StationSpec::deterministic(1, 0.5).unwrap(),
                StationSpec::deterministic(2, 1.25).unwrap(),
            ],
            100.0,
        )
        .with_warm_up(50.0);
        let r = run(&spec, 3, 0).unwrap();
        // Arrivals at 2, 4, ..., 100: those at 50..100 are measured (26); the one at 100
        // is still at station 1 at the horizon, the one at 98 at station 2 (98.5..99.75 left
        // at 99.75 ≤ 100, so it left).
        assert_eq!(r.arrivals_measured, 26);
        assert_eq!(r.stations[0].wait.count(), 26);
        assert_eq!(r.stations[0].served, 25);
        assert_eq!(r.sojourn.count(), 25);
        assert!((r.sojourn.mean() - 1.75).abs() < 1e-12);
        assert!((r.observed_hours - 50.0).abs() < 1e-12);
        // In network: 1.75 h out of every 2 h, except the last arrival (0 h at 100).
        // Over [50, 100]: 25 full sojourns → 43.75 / 50.
        assert!(
            (r.mean_in_network - 0.875).abs() < 1e-12,
            "{}",
            r.mean_in_network
        );
        assert!(r.conservation.holds());
    }

    #[test]
    fn same_seed_same_result_other_replication_differs() {
        let spec = NetworkSpec::poisson(
            0.8,
            vec![StationSpec::exponential(1, 1.0).unwrap()],
            2_000.0,
        );
        let a = run(&spec, 42, 0).unwrap();
        let b = run(&spec, 42, 0).unwrap();
        let c = run(&spec, 42, 1).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.stations[0].wait, c.stations[0].wait);
        assert_eq!(c.replication, 1);
    }

    #[test]
    fn adding_a_station_leaves_arrivals_and_first_station_unchanged() {
        // Common random numbers: station 2 has its own stream.
        let one = NetworkSpec::poisson(0.8, vec![StationSpec::exponential(1, 1.0).unwrap()], 500.0);
        let mut two = one.clone();
        two.stations.push(StationSpec::exponential(2, 1.0).unwrap());
        let a = run(&one, 7, 0).unwrap();
        let b = run(&two, 7, 0).unwrap();
        assert_eq!(a.stations[0], b.stations[0]);
        assert_eq!(a.conservation.arrived, b.conservation.arrived);
    }

    #[test]
    fn invalid_parameters_are_named_errors() {
        let ok =
            || NetworkSpec::poisson(1.0, vec![StationSpec::exponential(1, 2.0).unwrap()], 10.0);
        let cases: Vec<(NetworkSpec, &str)> = vec![
            (
                {
                    let mut s = ok();
                    s.stations[0].servers = 0;
                    s
                },
                "stations[0].servers",
            ),
            (
                NetworkSpec::poisson(0.0, ok().stations, 10.0),
                "arrivals.rate",
            ),
            (
                NetworkSpec::poisson(-1.0, ok().stations, 10.0),
                "arrivals.rate",
            ),
            (
                NetworkSpec::poisson(f64::NAN, ok().stations, 10.0),
                "arrivals.rate",
            ),
            (
                NetworkSpec::poisson(f64::INFINITY, ok().stations, 10.0),
                "arrivals.rate",
            ),
            (NetworkSpec::poisson(1.0, vec![], 10.0), "stations"),
            (
                NetworkSpec::poisson(1.0, ok().stations, 0.0),
                "horizon_hours",
            ),
            (
                NetworkSpec::poisson(1.0, ok().stations, f64::NAN),
                "horizon_hours",
            ),
            (
                NetworkSpec::poisson(1.0, ok().stations, 1e-9),
                "horizon_hours",
            ),
            (ok().with_warm_up(10.0), "warm_up_hours"),
            (ok().with_warm_up(-1.0), "warm_up_hours"),
            (
                ok().with_wait_thresholds(vec![1.0, f64::NAN]),
                "wait_thresholds_hours[1]",
            ),
            (
                NetworkSpec::new(
                    Arrivals::Renewal {
                        interarrival: constant(0.0),
                    },
                    ok().stations,
                    10.0,
                ),
                "arrivals.interarrival",
            ),
            (
                {
                    let mut s = ok();
                    s.stations
                        .push(StationSpec::deterministic(1, -2.0).unwrap());
                    s
                },
                "stations[1].service",
            ),
        ];
        for (spec, param) in cases {
            let e = run(&spec, 1, 0).unwrap_err();
            assert_eq!(e.parameter(), param, "{e}");
            assert!(e.to_string().starts_with(param), "{e}");
        }
        let e = StationSpec::exponential(1, 0.0).unwrap_err();
        assert_eq!(e.parameter(), "service.rate");
    }

    #[test]
    fn arena_is_reused() {
        // ρ = 0.5 over 20,000 customers: the arena never holds more than the peak number
        // in system, far below the number of customers.
        let spec = NetworkSpec::poisson(
            1.0,
            vec![StationSpec::exponential(1, 2.0).unwrap()],
            20_000.0,
        );
        let r = run(&spec, 5, 0).unwrap();
        assert!(r.conservation.arrived > 19_000);
        assert!(r.arena_slots < 100, "{}", r.arena_slots);
        assert!(r.arena_slots as f64 >= r.stations[0].max_in_queue + 1.0);
    }
}
