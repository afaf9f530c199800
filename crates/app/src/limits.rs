//! A small in-memory sliding-window limiter for log-in attempts and public
//! reports. In memory on purpose: one `vink` process serves one unit, and a
//! restart only forgets a few minutes of attempts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// At most `max` hits per key within `window`.
pub struct RateLimiter {
    max: usize,
    window: SignedDuration,
    hits: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: SignedDuration) -> Self {
        RateLimiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Checks and counts one hit in one step: true when `key` still had
    /// allowance at `now` (and the hit is recorded), false when it is used up.
    /// Parallel bursts cannot slip through between a check and a record.
    pub fn try_hit(&self, key: &str, now: Timestamp) -> bool {
        let mut map = self.lock();
        // Keep memory bounded under a flood of distinct keys.
        if map.len() > 10_000 {
            let window = self.window;
            map.retain(|_, q| {
                Self::prune(q, now, window);
                !q.is_empty()
            });
        }
        let q = map.entry(key.to_string()).or_default();
        Self::prune(q, now, self.window);
        if q.len() >= self.max {
            return false;
        }
        q.push_back(now);
        true
    }

    /// Gives back the most recent hit of `key` (an attempt that succeeded).
    pub fn refund(&self, key: &str) {
        if let Some(q) = self.lock().get_mut(key) {
            q.pop_back();
        }
    }

    /// Forgets `key` (after a successful log-in).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn prune(q: &mut VecDeque<Timestamp>, now: Timestamp, window: SignedDuration) {
        while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
            q.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Timestamp>>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // beyond a lost hit, so a poisoned lock is simply taken over.
        self.hits.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_hit_is_atomic_under_parallel_bursts() {
        let l = std::sync::Arc::new(RateLimiter::new(5, SignedDuration::from_mins(10)));
        let t0 = Timestamp::UNIX_EPOCH + SignedDuration::from_hours(1000);
        let handles: Vec<_> = (0..40)
            .map(|_| {
                let l = l.clone();
                std::thread::spawn(move || l.try_hit("k", t0))
            })
            .collect();
        let granted = handles
            .into_iter()
            .map(|h| h.join().unwrap_or(false))
            .filter(|ok| *ok)
            .count();
        assert_eq!(granted, 5);
        l.refund("k");
        assert!(l.try_hit("k", t0));
        assert!(!l.try_hit("k", t0));
    }

    #[test]
    fn blocks_after_max_and_frees_after_window() {
        let l = RateLimiter::new(2, SignedDuration::from_mins(10));
        let t0 = Timestamp::UNIX_EPOCH + SignedDuration::from_hours(1000);
        assert!(l.try_hit("a", t0));
        assert!(l.try_hit("a", t0));
        assert!(!l.try_hit("a", t0), "blocked after max");
        assert!(l.try_hit("b", t0), "other keys are free");
        assert!(
            l.try_hit("a", t0 + SignedDuration::from_mins(10)),
            "free after the window"
        );
        l.clear("a");
        assert!(l.try_hit("a", t0));
    }
}
