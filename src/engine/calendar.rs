//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Simultaneous events fire in the order they were scheduled, which makes runs reproducible
//! without relying on heap tie-breaking. Events are plain data (`E` is usually a small `Copy`
//! enum); the calendar stores them inline in an implicit 4-ary min-heap, so steady-state scheduling
//! allocates nothing and memory is proportional to the number of *pending* events, never to
//! past ones. Cancelling is O(1): the key goes into a tombstone set and the entry is dropped
//! when it reaches the top. The calendar must never reorder ties or let time run backwards.

use std::collections::HashSet;

use super::time::Ticks;

/// Identifies one scheduled event, so that it can be cancelled (a departure held by a storm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    seq: u64,
}

#[derive(Clone, Copy)]
struct Entry<E> {
    time: Ticks,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    /// Strict total order on (time, seq): no two entries share a sequence number, so the
    /// pop order is fully determined whatever the heap's shape.
    #[inline(always)]
    fn before(&self, other: &Self) -> bool {
        // One 128-bit comparison, branch-free: time in the high half, seq in the low half.
        ((u128::from(self.time) << 64) | u128::from(self.seq))
            < ((u128::from(other.time) << 64) | u128::from(other.seq))
    }
}

/// Children per node of the heap. A 4-ary heap is half as deep as a binary one and its four
/// children sit next to each other in memory, which saves cache misses on large calendars.
const ARITY: usize = 4;

/// A pending-event set with a clock.
pub struct Calendar<E> {
    /// Implicit 4-ary min-heap on (time, seq).
    heap: Vec<Entry<E>>,
    cancelled: HashSet<u64>,
    now: Ticks,
    next_seq: u64,
    fired: u64,
}

/// Returned when an event would be scheduled before the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event scheduled at tick {at} which is before the current time {now}")]
pub struct PastEventError {
    pub at: Ticks,
    pub now: Ticks,
}

impl<E: Copy> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> Calendar<E> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Calendar {
            heap: Vec::with_capacity(capacity),
            cancelled: HashSet::new(),
            now: 0,
            next_seq: 0,
            fired: 0,
        }
    }

    /// Current simulated time.
    #[inline]
    pub fn now(&self) -> Ticks {
        self.now
    }

    /// Sets the clock of an empty calendar, e.g. to start a run at a warm-up date.
    pub fn start_at(&mut self, t: Ticks) {
        debug_assert!(self.heap.is_empty());
        self.now = t;
    }

    /// Moves the clock to `t` for an event kept outside the calendar (a source whose next
    /// time the caller tracks itself, such as arrivals, saving a heap operation each).
    /// `t` must be no earlier than now and no later than the next pending event, so that
    /// time never runs backwards; otherwise the clock is left unchanged and false returned.
    pub fn advance_to(&mut self, t: Ticks) -> bool {
        if t < self.now || self.peek_time().is_some_and(|next| next < t) {
            return false;
        }
        self.now = t;
        self.fired += 1;
        true
    }

    /// Number of events fired so far (including those passed to `advance_to`).
    pub fn fired(&self) -> u64 {
        self.fired
    }

    /// Number of live (not cancelled) pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `event` at absolute time `at`. Times before `now` are an error, never a
    /// silent reordering.
    #[inline]
    pub fn schedule_at(&mut self, at: Ticks, event: E) -> Result<EventKey, PastEventError> {
        if at < self.now {
            return Err(PastEventError { at, now: self.now });
        }
        Ok(self.push(at, event))
    }

    /// Schedules `event` after `delay` ticks (saturating at the end of time).
    #[inline]
    pub fn schedule_in(&mut self, delay: Ticks, event: E) -> EventKey {
        let at = self.now.saturating_add(delay);
        self.push(at, event)
    }

    #[inline]
    fn push(&mut self, time: Ticks, event: E) -> EventKey {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry { time, seq, event };
        self.heap.push(entry);
        self.sift_up(self.heap.len() - 1, entry);
        EventKey { seq }
    }

    /// Moves a hole at `i` up until `entry` fits, then puts it there: one copy per level
    /// instead of a swap.
    #[inline]
    fn sift_up(&mut self, mut i: usize, entry: Entry<E>) {
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if entry.before(&self.heap[parent]) {
                self.heap[i] = self.heap[parent];
                i = parent;
            } else {
                break;
            }
        }
        self.heap[i] = entry;
    }

    /// Index of the earliest of the children starting at `first` (at least one exists).
    #[inline(always)]
    fn min_child(&self, first: usize, n: usize) -> usize {
        if first + ARITY <= n {
            // A full node: a branch-free tournament (two independent comparisons, then one),
            // which the compiler turns into conditional moves: no mispredicted branches.
            let h = &self.heap[first..first + ARITY];
            let a = usize::from(h[1].before(&h[0]));
            let b = 2 + usize::from(h[3].before(&h[2]));
            let m = if h[b].before(&h[a]) { b } else { a };
            first + m
        } else {
            let mut m = first;
            for c in first + 1..n {
                if self.heap[c].before(&self.heap[m]) {
                    m = c;
                }
            }
            m
        }
    }

    /// Removes the earliest entry (cancelled or not).
    ///
    /// Bottom-up deletion: the last entry replaces the root, is moved down along the path of
    /// earliest children all the way to a leaf without comparing it (it came from the bottom,
    /// so it usually belongs near there), then sifted up. Fewer and more predictable
    /// comparisons than the classic sift-down.
    #[inline]
    fn pop_entry(&mut self) -> Option<Entry<E>> {
        let last = self.heap.pop()?;
        if self.heap.is_empty() {
            return Some(last);
        }
        let top = self.heap[0];
        let n = self.heap.len();
        // The hole left by the root walks down the path of earliest children to a leaf;
        // `last` then rises from there to its place.
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let m = self.min_child(first, n);
            self.heap[i] = self.heap[m];
            i = m;
        }
        self.sift_up(i, last);
        Some(top)
    }

    /// Cancels a pending event. Returns false if it already fired or was already cancelled.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        if key.seq >= self.next_seq {
            return false;
        }
        // An event that already fired cannot be found in the heap; checking that would be
        // O(n), so callers keep keys only for events they know are pending (the model
        // forgets a key when its event fires). Inserting a stale key would make `len` wrong,
        // so guard with a scan only in debug builds.
        debug_assert!(self.heap.iter().any(|e| e.seq == key.seq));
        self.cancelled.insert(key.seq)
    }

    /// Time of the next live event, if any.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Ticks> {
        self.drop_cancelled_top();
        self.heap.first().map(|e| e.time)
    }

    #[inline]
    fn drop_cancelled_top(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(top) = self.heap.first() {
            if self.cancelled.remove(&top.seq) {
                self.pop_entry();
            } else {
                break;
            }
        }
    }

    /// Removes and returns the next event, advancing the clock to its time.
    /// The event at the root, cancelled or not: it is usually the next to fire, which lets
    /// a model fetch that event's data into cache while it handles the current one. Only a
    /// hint: the next event may still be one scheduled meanwhile.
    #[inline]
    pub fn peek_event(&self) -> Option<&E> {
        self.heap.first().map(|e| &e.event)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Ticks, E)> {
        self.drop_cancelled_top();
        let e = self.pop_entry()?;
        self.now = e.time;
        self.fired += 1;
        Some((e.time, e.event))
    }

    /// Removes and returns the next event if it is due at or before `limit`; otherwise
    /// advances the clock to `limit` (if later than now) and returns `None`.
    #[inline]
    pub fn pop_until(&mut self, limit: Ticks) -> Option<(Ticks, E)> {
        // peek_time has dropped any cancelled entries on top, so the root is live.
        match self.peek_time() {
            Some(t) if t <= limit => {
                let e = self.pop_entry()?;
                self.now = e.time;
                self.fired += 1;
                Some((e.time, e.event))
            }
            _ => {
                if limit > self.now {
                    self.now = limit;
                }
                None
            }
        }
    }

    /// Runs `handler` on every event up to and including `limit`.
    pub fn run_until(&mut self, limit: Ticks, mut handler: impl FnMut(&mut Self, Ticks, E)) {
        while let Some((t, e)) = self.pop_until(limit) {
            handler(self, t, e);
        }
    }

    /// Runs `handler` until no event is pending.
    pub fn run_to_empty(&mut self, mut handler: impl FnMut(&mut Self, Ticks, E)) {
        while let Some((t, e)) = self.pop() {
            handler(self, t, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_fire_in_scheduling_order() {
        let mut c = Calendar::new();
        for i in 0..100u32 {
            c.schedule_at(5, i).unwrap();
        }
        c.schedule_at(1, 1000).unwrap();
        assert_eq!(c.pop(), Some((1, 1000)));
        for i in 0..100u32 {
            assert_eq!(c.pop(), Some((5, i)));
        }
        assert_eq!(c.pop(), None);
    }

    #[test]
    fn time_ordering_and_clock() {
        let mut c = Calendar::new();
        c.schedule_at(30, 'c').unwrap();
        c.schedule_at(10, 'a').unwrap();
        c.schedule_at(20, 'b').unwrap();
        assert_eq!(c.pop(), Some((10, 'a')));
        assert_eq!(c.now(), 10);
        let k = c.schedule_in(5, 'x');
        assert_eq!(c.peek_time(), Some(15));
        assert!(c.cancel(k));
        assert!(!c.cancel(k));
        assert_eq!(c.len(), 2);
        assert_eq!(c.pop(), Some((20, 'b')));
        assert_eq!(
            c.schedule_at(19, 'z'),
            Err(PastEventError { at: 19, now: 20 })
        );
        assert_eq!(c.pop_until(25), None);
        assert_eq!(c.now(), 25);
        assert_eq!(c.pop_until(30), Some((30, 'c')));
        assert!(c.is_empty());
        assert_eq!(c.fired(), 3);
    }

    #[test]
    fn cancel_then_reschedule_moves_event() {
        let mut c = Calendar::new();
        let k = c.schedule_at(10, "depart").unwrap();
        c.schedule_at(12, "other").unwrap();
        c.cancel(k);
        c.schedule_at(50, "depart").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| c.pop()).collect();
        assert_eq!(order, vec![(12, "other"), (50, "depart")]);
    }

    #[test]
    fn matches_a_stable_sort_with_many_ties_and_cancels() {
        // Reference: every scheduled event, sorted stably by time (= by (time, seq)), minus
        // the cancelled ones. Times drawn from a small range so that ties are frequent, and
        // pops interleaved with pushes as in a simulation.
        use rand::Rng;
        let mut rng = crate::engine::rng::StreamFactory::new(9, 0).named("calendar-test");
        let mut c = Calendar::new();
        let mut reference: Vec<(Ticks, u32)> = Vec::new();
        let mut popped = Vec::new();
        let mut keys = Vec::new();
        let mut cancelled = std::collections::HashSet::new();
        for i in 0..20_000u32 {
            let at = c.now() + rng.random_range(0..20u64);
            let k = c.schedule_at(at, i).unwrap();
            keys.push((k, i));
            reference.push((at, i));
            if rng.random_range(0..10) == 0 {
                // Cancel a random event that is still pending (the API's contract: callers
                // never cancel a fired or already-dropped event).
                let (k, id) = keys[rng.random_range(0..keys.len())];
                let pending = !cancelled.contains(&id) && !popped.iter().any(|&(_, p)| p == id);
                if pending && c.cancel(k) {
                    cancelled.insert(id);
                }
            }
            if rng.random_range(0..3) == 0 {
                if let Some(e) = c.pop() {
                    popped.push(e);
                }
            }
        }
        while let Some(e) = c.pop() {
            popped.push(e);
        }
        // Events popped so far must be non-decreasing in time, ties in id (= seq) order.
        for w in popped.windows(2) {
            assert!(
                w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1),
                "{w:?}"
            );
        }
        reference.retain(|(_, id)| !cancelled.contains(id));
        reference.sort_by_key(|&(t, id)| (t, id));
        assert_eq!(popped, reference);
    }

    #[test]
    fn run_until_stops_at_limit() {
        let mut c = Calendar::new();
        c.schedule_at(0, 0u64).unwrap();
        let mut seen = 0;
        c.run_until(100, |cal, _t, n| {
            seen += 1;
            cal.schedule_in(10, n + 1);
        });
        assert_eq!(seen, 11); // 0,10,...,100
        assert_eq!(c.now(), 100);
        assert_eq!(c.len(), 1);
    }
}
