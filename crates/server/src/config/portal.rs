//! The `[console]` and `[portal]` sections: session limits and enrolment links.

use countersign_domain::portal::PortalPolicy;
use countersign_domain::sessions::SessionPolicy;

use super::reader::Reader;

pub fn console_sessions(r: &mut Reader) -> SessionPolicy {
    SessionPolicy {
        idle_seconds: r.int("console.idle_minutes", 1, 1440) * 60,
        absolute_seconds: r.int("console.absolute_hours", 1, 168) * 3600,
    }
}

/// The portal's links point at `public_url`, else at the listen address.
pub fn policy(r: &mut Reader, listen: &str) -> PortalPolicy {
    PortalPolicy {
        link_seconds: r.int("portal.link_days", 1, 90) * 86_400,
        public_url: r
            .text("public_url")
            .unwrap_or_else(|| format!("http://{listen}")),
        sessions: SessionPolicy {
            idle_seconds: r.int("portal.idle_minutes", 1, 1440) * 60,
            absolute_seconds: r.int("portal.absolute_hours", 1, 168) * 3600,
        },
        ..PortalPolicy::default()
    }
}
