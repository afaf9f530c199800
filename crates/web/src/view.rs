//! Formatting for pages: Copenhagen local times and the triage clock in words.

use jiff::Timestamp;
use vink_app::concern::ClockView;
use vink_domain::concern::local_tz;

use crate::i18n::Tr;

/// `24.11.2026 14:05` in Copenhagen time.
pub fn instant(t: Timestamp) -> String {
    t.to_zoned_datetime(local_tz())
        .strftime("%d.%m.%Y %H:%M")
        .to_string()
}

/// A duration in minutes as `2 d 3 t`, `5 t 12 min` or `12 min`.
pub fn duration(tr: &Tr, minutes: i64) -> String {
    let m = minutes.abs();
    let (d, h, min) = (m / (24 * 60), (m / 60) % 24, m % 60);
    let (ud, uh, um) = (tr.t("time.d"), tr.t("time.h"), tr.t("time.min"));
    if d > 0 {
        format!("{d} {ud} {h} {uh}")
    } else if h > 0 {
        format!("{h} {uh} {min} {um}")
    } else {
        format!("{min} {um}")
    }
}

/// The clock in words: time left, overdue, paused or decided.
pub fn clock_text(tr: &Tr, c: &ClockView) -> String {
    let d = duration(tr, c.minutes_left);
    match c.state {
        "stopped" if c.minutes_left < 0 => tr.f("clock.decided_late", &[("d", d)]),
        "stopped" => tr.t("clock.decided_in_time").to_string(),
        "paused" => tr.f("clock.paused", &[("d", d)]),
        _ if c.overdue => tr.f("clock.overdue", &[("d", d)]),
        _ => tr.f("clock.left", &[("d", d)]),
    }
}

/// The badge colour of the clock.
pub fn clock_class(c: &ClockView) -> &'static str {
    match c.state {
        "stopped" => "badge",
        "paused" => "badge badge-info",
        _ if c.overdue => "badge badge-error",
        _ if c.due_soon => "badge badge-warning",
        _ => "badge badge-success",
    }
}

/// A stored day (`2009-04-05`) as `05.04.2009`; a year alone stays a year,
/// and anything else is shown as stored.
pub fn day(stored: &str) -> String {
    match stored.parse::<jiff::civil::Date>() {
        Ok(d) => d.strftime("%d.%m.%Y").to_string(),
        Err(_) => stored.to_string(),
    }
}
