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
        refusal_delay_ms: r.int("limits.refusal_delay_ms", 0, 10_000) as u64,
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
        (
            "limits.refusal_delay_ms".into(),
            limits.refusal_delay_ms.to_string(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::load::{load_with_env, Overrides};
    use countersign_domain::throttle::{cores, Door};

    #[test]
    fn defaults_file_and_environment() {
        let none = |_: &str| None;
        let config = load_with_env(&Overrides::default(), &none).expect("defaults");
        assert_eq!(
            config.limits,
            countersign_domain::throttle::Limits::default()
        );
        assert_eq!(config.limits.hash.workers, cores(), "0 is one per core");

        let dir = std::env::temp_dir().join(format!(
            "cs-limits-{}",
            countersign_domain::model::ids::random_text(10)
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("countersign.toml");
        std::fs::write(
            &file,
            "[limits]\nsignin_per_address = 3\nhash_workers = 1\nverify_per_key = 0\n",
        )
        .expect("write");
        let overrides = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        let env =
            |name: &str| (name == "COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS").then(|| "4".to_string());
        let config = load_with_env(&overrides, &env).expect("valid");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(config.limits.of(Door::PortalSignIn).per_key, 4, "env wins");
        assert_eq!(config.limits.of(Door::ConsoleSignIn).per_key, 4);
        assert_eq!(config.limits.hash.workers, 1);
        assert_eq!(config.limits.of(Door::Verify).per_key, 0);
        assert_eq!(
            config
                .sources
                .get("limits.signin_per_address")
                .map(String::as_str),
            Some("environment COUNTERSIGN_LIMITS_SIGNIN_PER_ADDRESS")
        );
        let shown = config.server_settings();
        assert!(shown
            .iter()
            .any(|(k, v, _)| k == "limits.signin_per_address" && v == "4 a minute"));
    }

    #[test]
    fn out_of_range_is_a_problem() {
        let env = |name: &str| (name == "COUNTERSIGN_LIMITS_HASH_WORKERS").then(|| "999".into());
        let problems = load_with_env(&Overrides::default(), &env).expect_err("refused");
        assert!(problems
            .0
            .iter()
            .any(|p| p.starts_with("limits.hash_workers: 999 is out of range")));
    }
}
