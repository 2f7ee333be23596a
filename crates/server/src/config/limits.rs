//! The `[limits]` section: rate limits of the guessable doors and the
//! size of the work pool (`countersign_domain::throttle`).

use countersign_domain::throttle::{cores, DoorLimit, LaneSize, Limits};

use super::reader::Reader;

pub fn read(r: &mut Reader) -> Limits {
    let per_minute = |r: &mut Reader, key: &str| r.int(key, 0, 1_000_000) as u32;
    let door = |r: &mut Reader, per_key: &str, global: Option<&str>| DoorLimit {
        per_key: per_minute(r, per_key),
        global: global.map_or(0, |g| per_minute(r, g)),
    };
    let hash_workers = match r.int("limits.hash_workers", 0, 256) as usize {
        0 => cores(),
        n => n,
    };
    Limits {
        hash: LaneSize {
            workers: hash_workers,
            queue: r.int("limits.hash_queue", 0, 10_000) as usize,
        },
        directory: LaneSize {
            workers: r.int("limits.directory_binds", 1, 1000) as usize,
            queue: r.int("limits.directory_queue", 0, 10_000) as usize,
        },
        signin: door(r, "limits.signin_per_address", Some("limits.signin_global")),
        links: door(r, "limits.links_per_address", Some("limits.links_global")),
        activation: door(
            r,
            "limits.activation_per_address",
            Some("limits.activation_global"),
        ),
        verify: door(r, "limits.verify_per_key", None),
        contact: door(
            r,
            "limits.contact_per_address",
            Some("limits.contact_global"),
        ),
    }
}

/// The limits as the console shows them (read-only, with their source).
pub fn shown(limits: &Limits) -> Vec<(String, String)> {
    let per = |n: u32| match n {
        0 => "no limit".to_string(),
        n => format!("{n} a minute"),
    };
    vec![
        (
            "limits.hash_workers".into(),
            format!("{} (+{} waiting)", limits.hash.workers, limits.hash.queue),
        ),
        (
            "limits.directory_binds".into(),
            format!(
                "{} (+{} waiting)",
                limits.directory.workers, limits.directory.queue
            ),
        ),
        (
            "limits.signin_per_address".into(),
            per(limits.signin.per_key),
        ),
        ("limits.signin_global".into(), per(limits.signin.global)),
        ("limits.links_per_address".into(), per(limits.links.per_key)),
        (
            "limits.activation_per_address".into(),
            per(limits.activation.per_key),
        ),
        ("limits.verify_per_key".into(), per(limits.verify.per_key)),
        (
            "limits.contact_per_address".into(),
            per(limits.contact.per_key),
        ),
    ]
}
