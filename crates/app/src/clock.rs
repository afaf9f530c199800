//! The one clock. `serve` uses the system clock; tests use a fixed one they
//! step, so period edges, due dates and overdue states are testable. Nothing
//! below `app` reads the wall clock: `domain` takes `now` or `today` as input.

use std::sync::Mutex;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from.
#[derive(Debug)]
pub enum Clock {
    System,
    /// A clock that stands still until moved.
    Fixed(Mutex<Timestamp>),
}

impl Clock {
    pub fn fixed(at: Timestamp) -> Self {
        Clock::Fixed(Mutex::new(at))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Today in the unit's time zone.
    pub fn today(&self) -> Date {
        vink_domain::concern::local_date(self.now())
    }

    /// Moves a fixed clock (no effect on the system clock).
    pub fn advance(&self, by: SignedDuration) {
        if let Clock::Fixed(t) = self {
            let mut g = t.lock().unwrap_or_else(|p| p.into_inner());
            *g = g.saturating_add(by).unwrap_or(*g);
        }
    }

    /// Sets a fixed clock.
    pub fn set(&self, at: Timestamp) {
        if let Clock::Fixed(t) = self {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }
}
