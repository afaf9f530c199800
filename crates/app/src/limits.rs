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

    /// Whether `key` has used up its allowance at `now`.
    pub fn is_blocked(&self, key: &str, now: Timestamp) -> bool {
        let mut map = self.lock();
        match map.get_mut(key) {
            Some(q) => {
                Self::prune(q, now, self.window);
                q.len() >= self.max
            }
            None => false,
        }
    }

    /// Counts one hit for `key`.
    pub fn hit(&self, key: &str, now: Timestamp) {
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
        q.push_back(now);
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
    fn blocks_after_max_and_frees_after_window() {
        let l = RateLimiter::new(2, SignedDuration::from_mins(10));
        let t0 = Timestamp::UNIX_EPOCH + SignedDuration::from_hours(1000);
        assert!(!l.is_blocked("a", t0));
        l.hit("a", t0);
        l.hit("a", t0);
        assert!(l.is_blocked("a", t0));
        assert!(!l.is_blocked("b", t0));
        assert!(!l.is_blocked("a", t0 + SignedDuration::from_mins(10)));
        l.hit("a", t0);
        l.clear("a");
        assert!(!l.is_blocked("a", t0));
    }
}
