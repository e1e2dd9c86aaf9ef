//! The resource kit: the few building blocks every place of a model is made of, in the
//! spirit of SimPy's three words.
//!
//! - servers: `Servers` (counted, with a FIFO queue of claimants: berths), `FreeTimes`
//!   (servers known by when each is next free, for planning ahead: cranes) and
//!   `SingleServer` (the same for one server: a line's train paths);
//! - levels: `Level` (an amount held up to a capacity: yard TEU) and `Stock` (whole units
//!   lent out and given back, with a target size and a FIFO queue of claimants: wagon sets);
//! - a FIFO store: `Store` (items in arrival order with their total size: boxes waiting for
//!   a carrier, arrivals waiting at a gate).
//!
//! Claimants and items are plain indices (`u32`, or any `Copy` tag) into the caller's
//! arenas: the kit never holds callbacks or shared pointers. It says whether a claim is
//! served and who is next; the caller acts (schedules, moves boxes). Each keeps the time
//! averages its owner reports, through the same `TimeWeighted` calls in the same order as a
//! hand-written copy would, so adopting it changes no output. This module must never know
//! about freight, and must never allocate per event (queues reuse their buffers).

use std::collections::VecDeque;

use super::stats::TimeWeighted;
use super::time::Ticks;

/// `capacity` identical servers and a FIFO queue of claimants. A cut of capacity under
/// busy servers leaves them busy until released: they count as offered until then.
#[derive(Debug, Clone)]
pub struct Servers {
    capacity: u32,
    busy: u32,
    queue: VecDeque<u32>,
    tw_busy: TimeWeighted,
    tw_offered: TimeWeighted,
}

impl Servers {
    pub fn new(t0: Ticks, capacity: u32) -> Self {
        Servers {
            capacity,
            busy: 0,
            queue: VecDeque::new(),
            tw_busy: TimeWeighted::new(t0, 0.0),
            tw_offered: TimeWeighted::new(t0, f64::from(capacity)),
        }
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// A newcomer is served at once: a server is free and nobody waits ahead of it.
    #[inline]
    pub fn serves_newcomer(&self) -> bool {
        self.busy < self.capacity && self.queue.is_empty()
    }

    /// The claimant waits its turn.
    pub fn join_queue(&mut self, who: u32) {
        self.queue.push_back(who);
    }

    /// The next claimant in the queue, taken out of it, when a server is free.
    pub fn next_served(&mut self) -> Option<u32> {
        if self.busy < self.capacity {
            self.queue.pop_front()
        } else {
            None
        }
    }

    /// As `next_served`, but the claimant with the largest `key` goes first (the earliest
    /// among equals, so equal keys keep the queue's order).
    pub fn next_served_largest(&mut self, key: impl Fn(u32) -> f64) -> Option<u32> {
        if self.busy >= self.capacity {
            return None;
        }
        let mut best: Option<(usize, f64)> = None;
        for (i, &who) in self.queue.iter().enumerate() {
            let k = key(who);
            if best.is_none_or(|(_, b)| k > b) {
                best = Some((i, k));
            }
        }
        best.and_then(|(i, _)| self.queue.remove(i))
    }

    /// One server starts working.
    pub fn seize(&mut self, now: Ticks) {
        self.busy += 1;
        self.tw_busy.set(now, f64::from(self.busy));
    }

    /// One server is done; a server cut while busy stops being offered now.
    pub fn release(&mut self, now: Ticks) {
        self.busy -= 1;
        self.tw_busy.set(now, f64::from(self.busy));
        self.tw_offered.set(now, f64::from(self.offered()));
    }

    pub fn set_capacity(&mut self, now: Ticks, capacity: u32) {
        self.capacity = capacity;
        self.tw_offered.set(now, f64::from(self.offered()));
    }

    fn offered(&self) -> u32 {
        self.capacity.max(self.busy)
    }

    /// Server-ticks busy and offered since the last `roll`, up to `now`.
    pub fn areas_until(&self, now: Ticks) -> (f64, f64) {
        (
            self.tw_busy.area_until(now),
            self.tw_offered.area_until(now),
        )
    }

    /// Starts a new reporting window at `now`.
    pub fn roll(&mut self, now: Ticks) {
        self.tw_busy.roll(now);
        self.tw_offered.roll(now);
    }
}

/// Servers known by the time each is next free. Work is planned ahead, first come first
/// served: a claim goes to the server free first, which is exact for a FIFO multi-server
/// queue and needs no event per start.
#[derive(Debug, Clone)]
pub struct FreeTimes {
    free_at: Vec<Ticks>,
}

impl FreeTimes {
    /// `servers` servers, all free from `t0`.
    pub fn new(t0: Ticks, servers: usize) -> Self {
        FreeTimes {
            free_at: vec![t0; servers],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.free_at.is_empty()
    }

    /// The server free first (the lowest index among equals) and when.
    #[inline]
    pub fn earliest(&self) -> Option<(usize, Ticks)> {
        self.free_at
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|(_, t)| *t)
    }

    /// Server `i` is busy until `until`.
    #[inline]
    pub fn occupy(&mut self, i: usize, until: Ticks) {
        if let Some(f) = self.free_at.get_mut(i) {
            *f = until;
        }
    }

    /// Re-plans `servers` servers from `now`: `in_hand` holds the end times (sorted) of
    /// the work under way. With more work in hand than servers, a server frees only when
    /// one of the last `servers` pieces of work ends. No server is free before
    /// `not_before` (a closure).
    pub fn reset(&mut self, servers: usize, in_hand: &[Ticks], now: Ticks, not_before: Ticks) {
        self.free_at.clear();
        if servers >= in_hand.len() {
            self.free_at.extend_from_slice(in_hand);
            self.free_at.resize(servers, now);
        } else {
            self.free_at
                .extend_from_slice(&in_hand[in_hand.len() - servers..]);
        }
        for f in self.free_at.iter_mut() {
            *f = (*f).max(not_before);
        }
    }
}

/// One server known by when it is next free: the single-server case of `FreeTimes`,
/// without the scan, for a check made on every look at a departure.
#[derive(Debug, Clone, Copy)]
pub struct SingleServer {
    free_at: Ticks,
}

impl SingleServer {
    /// Free from `t0`.
    pub fn new(t0: Ticks) -> Self {
        SingleServer { free_at: t0 }
    }

    #[inline]
    pub fn free_at(&self) -> Ticks {
        self.free_at
    }

    /// Busy until `until`.
    #[inline]
    pub fn occupy(&mut self, until: Ticks) {
        self.free_at = until;
    }
}

/// An amount held up to a capacity (SimPy's `Container`), with its time average.
#[derive(Debug, Clone)]
pub struct Level {
    amount: f64,
    capacity: f64,
    tw: TimeWeighted,
}

impl Level {
    /// Empty at `t0`.
    pub fn new(t0: Ticks, capacity: f64) -> Self {
        Level {
            amount: 0.0,
            capacity,
            tw: TimeWeighted::new(t0, 0.0),
        }
    }

    #[inline]
    pub fn amount(&self) -> f64 {
        self.amount
    }

    /// `x` more fits.
    #[inline]
    pub fn fits(&self, x: f64) -> bool {
        self.amount + x <= self.capacity
    }

    #[inline]
    pub fn put(&mut self, now: Ticks, x: f64) {
        self.amount += x;
        self.tw.set(now, self.amount);
    }

    #[inline]
    pub fn take(&mut self, now: Ticks, x: f64) {
        self.amount -= x;
        self.tw.set(now, self.amount);
    }

    /// What is held may exceed a lowered capacity: nothing more fits until it is below.
    pub fn set_capacity(&mut self, capacity: f64) {
        self.capacity = capacity;
    }

    /// Closes the reporting window at `now`: (mean, max) over it.
    pub fn roll(&mut self, now: Ticks) -> (f64, f64) {
        self.tw.roll(now)
    }
}

/// Whole units lent out and given back, with a target size and a FIFO queue of claimants
/// waiting for a unit. A cut below what is out retires units as they come back.
#[derive(Debug, Clone)]
pub struct Stock {
    available: u32,
    out: u32,
    target: u32,
    queue: VecDeque<u32>,
    tw_out: TimeWeighted,
    tw_units: TimeWeighted,
}

impl Stock {
    pub fn new(t0: Ticks, units: u32) -> Self {
        Stock {
            available: units,
            out: 0,
            target: units,
            queue: VecDeque::new(),
            tw_out: TimeWeighted::new(t0, 0.0),
            tw_units: TimeWeighted::new(t0, f64::from(units)),
        }
    }

    #[inline]
    pub fn available(&self) -> u32 {
        self.available
    }

    #[inline]
    pub fn out(&self) -> u32 {
        self.out
    }

    /// Lends a unit when one is available.
    #[inline]
    pub fn lend(&mut self, now: Ticks) -> bool {
        if self.available > 0 {
            self.available -= 1;
            self.out += 1;
            self.tw_out.set(now, f64::from(self.out));
            true
        } else {
            false
        }
    }

    /// A unit comes back: available again, or retired if the stock was cut meanwhile.
    pub fn give_back(&mut self, now: Ticks) {
        self.out -= 1;
        self.tw_out.set(now, f64::from(self.out));
        if self.available + self.out >= self.target {
            self.tw_units
                .set(now, f64::from(self.target.max(self.available + self.out)));
        } else {
            self.available += 1;
        }
    }

    /// New units are available now; removed ones go from the available first and the
    /// rest retire as they come back.
    pub fn set_target(&mut self, now: Ticks, target: u32) {
        self.target = target;
        let total = self.available + self.out;
        if target > total {
            self.available += target - total;
        } else {
            let cut = (total - target).min(self.available);
            self.available -= cut;
        }
        self.tw_units
            .set(now, f64::from(target.max(self.available + self.out)));
    }

    /// The claimant waits for a unit.
    pub fn join_queue(&mut self, who: u32) {
        self.queue.push_back(who);
    }

    /// The next claimant, taken out of the queue, while a unit is available.
    pub fn next_served(&mut self) -> Option<u32> {
        if self.available > 0 {
            self.queue.pop_front()
        } else {
            None
        }
    }

    /// Unit-ticks out and owned since the last `roll`, up to `now`.
    pub fn areas_until(&self, now: Ticks) -> (f64, f64) {
        (self.tw_out.area_until(now), self.tw_units.area_until(now))
    }

    pub fn roll(&mut self, now: Ticks) {
        self.tw_out.roll(now);
        self.tw_units.roll(now);
    }
}

/// Items in arrival order (FIFO) with their total size. The kit does not know an item's
/// size, so the caller says it on the way in and out.
#[derive(Debug, Clone)]
pub struct Store<T> {
    items: VecDeque<T>,
    size: f64,
}

impl<T: Copy> Default for Store<T> {
    fn default() -> Self {
        Store {
            items: VecDeque::new(),
            size: 0.0,
        }
    }
}

impl<T: Copy> Store<T> {
    #[inline]
    pub fn size(&self) -> f64 {
        self.size
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    #[inline]
    pub fn front(&self) -> Option<T> {
        self.items.front().copied()
    }

    #[inline]
    pub fn push(&mut self, item: T, size: f64) {
        self.items.push_back(item);
        self.size += size;
    }

    /// Takes the front item out; `size` is its size.
    #[inline]
    pub fn pop_front(&mut self, size: f64) -> Option<T> {
        let item = self.items.pop_front();
        self.size -= size;
        item
    }

    /// Part of the front item left the store (a carrier unloading into the yard bit by
    /// bit): the item stays, the size shrinks.
    #[inline]
    pub fn shrink(&mut self, size: f64) {
        self.size -= size;
    }

    /// Takes the front item out after its size has gone with `shrink`.
    #[inline]
    pub fn pop_emptied(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.items.iter().copied()
    }

    /// Takes every item out for a sweep that keeps some (`restore` puts those back); the
    /// size stays until the leaving ones `shrink` it.
    pub fn take_items(&mut self) -> VecDeque<T> {
        std::mem::take(&mut self.items)
    }

    pub fn restore(&mut self, items: VecDeque<T>) {
        self.items = items;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_claim_goes_first_and_equals_keep_their_order() {
        let mut s = Servers::new(0, 1);
        s.seize(0);
        for who in [7, 3, 9, 4] {
            s.join_queue(who);
        }
        let load = |who: u32| match who {
            3 | 9 => 500.0,
            _ => 100.0,
        };
        assert_eq!(s.next_served_largest(load), None, "no server free");
        s.release(1);
        assert_eq!(
            s.next_served_largest(load),
            Some(3),
            "largest, earliest of equals"
        );
        s.seize(1);
        s.release(2);
        assert_eq!(s.next_served_largest(load), Some(9));
        s.seize(2);
        s.release(3);
        assert_eq!(
            s.next_served_largest(load),
            Some(7),
            "then the queue's order"
        );
    }

    #[test]
    fn servers_serve_in_order_and_count_a_cut_until_release() {
        let mut s = Servers::new(0, 1);
        assert!(s.serves_newcomer());
        s.seize(0);
        s.join_queue(7);
        s.join_queue(8);
        assert_eq!(s.next_served(), None);
        s.set_capacity(10, 0);
        s.release(20);
        assert_eq!(s.next_served(), None);
        s.set_capacity(30, 1);
        assert_eq!(s.next_served(), Some(7));
        // Busy 0..20; offered 1 until the release at 20 (cut at 10 under a busy server),
        // then 0 until 30.
        assert_eq!(s.areas_until(30), (20.0, 20.0));
    }

    #[test]
    fn free_times_pick_the_first_free_and_reset_keeps_the_latest_work() {
        let mut f = FreeTimes::new(5, 3);
        assert_eq!(f.earliest(), Some((0, 5)));
        f.occupy(0, 50);
        assert_eq!(f.earliest(), Some((1, 5)));
        f.reset(2, &[10, 20, 30], 8, 0);
        assert_eq!(f.earliest(), Some((0, 20)));
        f.reset(3, &[10], 8, 9);
        assert_eq!(f.earliest(), Some((1, 9)));
    }

    #[test]
    fn stock_retires_units_cut_while_out() {
        let mut s = Stock::new(0, 2);
        assert!(s.lend(0) && s.lend(0) && !s.lend(0));
        s.set_target(10, 1);
        s.give_back(20);
        assert_eq!(s.available(), 0);
        s.give_back(30);
        assert_eq!(s.available(), 1);
    }

    #[test]
    fn level_and_store() {
        let mut l = Level::new(0, 10.0);
        assert!(l.fits(10.0));
        l.put(0, 6.0);
        assert!(!l.fits(5.0));
        let mut st: Store<u32> = Store::default();
        st.push(1, 2.0);
        st.push(2, 1.0);
        assert_eq!(st.pop_front(2.0), Some(1));
        assert_eq!(st.size(), 1.0);
    }
}
