//! The event calendar: pending events ordered by (time, insertion sequence).
//!
//! Simultaneous events fire in the order they were scheduled, which makes runs reproducible
//! without relying on heap tie-breaking. Events are plain data (`E` is usually a small `Copy`
//! enum); the calendar stores them inline in a binary heap, so steady-state scheduling
//! allocates nothing and memory is proportional to the number of *pending* events, never to
//! past ones. Cancelling is O(1): the key goes into a tombstone set and the entry is dropped
//! when it reaches the top. The calendar must never reorder ties or let time run backwards.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};

use super::time::Ticks;

/// Identifies one scheduled event, so that it can be cancelled (a departure held by a storm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    seq: u64,
}

struct Entry<E> {
    time: Ticks,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed so that std's max-heap pops the earliest (time, seq) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// A pending-event set with a clock.
pub struct Calendar<E> {
    heap: BinaryHeap<Entry<E>>,
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

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Calendar<E> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Calendar {
            heap: BinaryHeap::with_capacity(capacity),
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

    /// Number of events fired so far.
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
        self.heap.push(Entry { time, seq, event });
        EventKey { seq }
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
    pub fn peek_time(&mut self) -> Option<Ticks> {
        self.drop_cancelled_top();
        self.heap.peek().map(|e| e.time)
    }

    #[inline]
    fn drop_cancelled_top(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(top) = self.heap.peek() {
            if self.cancelled.remove(&top.seq) {
                self.heap.pop();
            } else {
                break;
            }
        }
    }

    /// Removes and returns the next event, advancing the clock to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(Ticks, E)> {
        self.drop_cancelled_top();
        let e = self.heap.pop()?;
        self.now = e.time;
        self.fired += 1;
        Some((e.time, e.event))
    }

    /// Removes and returns the next event if it is due at or before `limit`; otherwise
    /// advances the clock to `limit` (if later than now) and returns `None`.
    #[inline]
    pub fn pop_until(&mut self, limit: Ticks) -> Option<(Ticks, E)> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop(),
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
