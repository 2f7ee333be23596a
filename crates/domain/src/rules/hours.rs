//! A rule's time window: `HH:MM-HH:MM` in a time zone (IANA names, read
//! with jiff from the system's tz database or its bundled copy; see
//! docs/decisions/0010-time-zones.md). A window whose end is before its
//! start runs over midnight (`22:00-06:00`).

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::model::error::DomainError;

#[derive(Debug, Clone)]
pub struct Window {
    /// Minutes after midnight, start inclusive, end exclusive.
    start: u16,
    end: u16,
    zone: TimeZone,
}

impl Window {
    pub fn parse(hours: &str, time_zone: Option<&str>) -> Result<Window, DomainError> {
        let bad = || {
            DomainError::invalid(
                "hours",
                format!("'{hours}' is not a time window like 08:00-18:00 (24-hour clock)"),
            )
        };
        let (from, to) = hours.trim().split_once('-').ok_or_else(bad)?;
        let (start, end) = (minutes(from).ok_or_else(bad)?, minutes(to).ok_or_else(bad)?);
        if start == end {
            return Err(DomainError::invalid(
                "hours",
                format!("'{hours}' is an empty window: its start and end are the same"),
            ));
        }
        Ok(Window {
            start,
            end,
            zone: zone(time_zone)?,
        })
    }

    /// Whether `at` (Unix seconds) falls inside the window.
    pub fn contains(&self, at: i64) -> bool {
        let Ok(stamp) = Timestamp::from_second(at) else {
            return false;
        };
        let local = self.zone.to_datetime(stamp);
        let now = u16::from(local.hour() as u8) * 60 + u16::from(local.minute() as u8);
        if self.start < self.end {
            self.start <= now && now < self.end
        } else {
            now >= self.start || now < self.end
        }
    }
}

/// The time zone named, UTC when none is.
pub fn zone(name: Option<&str>) -> Result<TimeZone, DomainError> {
    match name.map(str::trim) {
        None | Some("") => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            DomainError::invalid(
                "time_zone",
                format!(
                    "'{name}' is not a known time zone: use an IANA name like Europe/Berlin or UTC"
                ),
            )
        }),
    }
}

fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-12-07 12:00:00 UTC, a Monday.
    const NOON: i64 = 1_796_644_800;

    #[test]
    fn windows_in_zones() {
        let office = Window::parse("08:00-18:00", None).expect("parse");
        assert!(office.contains(NOON));
        assert!(!office.contains(NOON + 7 * 3600));
        let night = Window::parse("22:00-06:00", Some("UTC")).expect("parse");
        assert!(!night.contains(NOON) && night.contains(NOON + 11 * 3600));
        // Noon UTC is 21:00 in Tokyo.
        let tokyo = Window::parse("08:00-18:00", Some("Asia/Tokyo")).expect("parse");
        assert!(!tokyo.contains(NOON));
        let whole = Window::parse("00:00-24:00", None).expect("parse");
        assert!(whole.contains(NOON));
    }

    #[test]
    fn bad_windows_and_zones_are_refused() {
        for bad in [
            "",
            "8-18",
            "08:00",
            "25:00-26:00",
            "08:60-09:00",
            "08:00-08:00",
            "a:bc-d:ef",
        ] {
            assert!(Window::parse(bad, None).is_err(), "{bad}");
        }
        assert!(Window::parse("08:00-18:00", Some("Mars/Olympus")).is_err());
    }
}
