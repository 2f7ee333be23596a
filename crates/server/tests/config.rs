//! `countersign config example` prints a file that `config check` accepts;
//! a bad file is refused with every problem listed by its key.

mod common;

use common::*;

#[tokio::test]
async fn config_example_and_check_sqlite() {
    config_example_and_check(Db::sqlite()).await;
}

#[tokio::test]
async fn config_example_and_check_postgres() {
    config_example_and_check(Db::postgres().await).await;
}

async fn config_example_and_check(db: Db) {
    let node = Server::new(&db);
    let example = node.cli_ok(&["config", "example"]);
    let keys = toml_keys(&example);
    for key in [
        "data_dir",
        "database.max_connections",
        "http.listen",
        "http.body_limit",
        "log.level",
        "log.format",
        "verify.totp_window",
        "verify.hotp_lookahead",
        "verify.lockout_threshold",
        "verify.lockout_minutes",
        "otp.issuer",
    ] {
        assert!(
            keys.contains(&key.to_string()),
            "the example sets {key}; it sets {keys:?}"
        );
    }
    for key in ["database.url", "security.encryption_key"] {
        assert!(
            example.contains(&format!("# {} = ", key.rsplit('.').next().expect("name"))),
            "the example shows {key}"
        );
    }
    let env_lines = example
        .lines()
        .filter(|l| l.starts_with("# env: COUNTERSIGN_"))
        .count();
    assert!(
        env_lines >= keys.len(),
        "every key names its environment variable:\n{example}"
    );

    let file = node.data_dir().join("countersign.toml");
    std::fs::write(&file, &example).expect("write the example");
    let config = file.to_str().expect("a UTF-8 path");
    let checked = node.cli_ok(&["--config", config, "config", "check"]);
    assert!(
        checked.contains("valid"),
        "config check accepts the example: {checked}"
    );
    let expected_db = if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert!(
        checked.contains(expected_db),
        "config check names the database: {checked}"
    );

    let bad = "colour = \"blue\"\n[verify]\nlockout_threshold = 0\n[http]\nlisten = \"nowhere\"\n";
    std::fs::write(&file, bad).expect("write a bad config");
    let output = node.cli(&["--config", config, "config", "check"]);
    assert!(
        !output.status.success(),
        "a bad config is refused: {}",
        stdout(&output)
    );
    let errors = stderr(&output);
    for key in ["colour", "verify.lockout_threshold", "http.listen"] {
        assert!(
            errors.contains(key),
            "every problem is listed, missing {key}:\n{errors}"
        );
    }
    let served = node.cli(&["--config", config, "serve", "--listen", "127.0.0.1:1"]);
    assert!(
        !served.status.success() && stderr(&served).contains("colour"),
        "serve refuses it too: {}",
        stderr(&served)
    );
}

/// `section.key` for every assignment of the example, checking the simple TOML it
/// uses on the way (`config check` then parses it for real).
fn toml_keys(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut keys = Vec::new();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("not a TOML assignment: {line}"));
        let value = value.trim();
        let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
        let array = value.starts_with('[') && value.ends_with(']');
        let plain = value.parse::<i64>().is_ok() || value == "true" || value == "false";
        assert!(quoted || array || plain, "not a TOML value: {line}");
        keys.push(if section.is_empty() {
            key.to_string()
        } else {
            format!("{section}.{key}")
        });
    }
    keys
}
