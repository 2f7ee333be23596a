use std::collections::HashMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn file_with(text: &str) -> (tempdir::Dir, Overrides) {
    let dir = tempdir::Dir::new();
    let path = dir.0.join("countersign.toml");
    std::fs::write(&path, text).expect("write config");
    let overrides = Overrides {
        config_file: Some(path),
        ..Overrides::default()
    };
    (dir, overrides)
}

mod tempdir {
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "cs-config-{}",
                countersign_domain::model::ids::random_text(10)
            ));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir(path)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn no_file_gives_sqlite_in_the_data_dir() {
    let config = load_with_env(&Overrides::default(), &env_of(&[])).expect("defaults are valid");
    assert_eq!(
        config.database_url,
        "sqlite://./countersign-data/countersign.db"
    );
    assert_eq!(config.listen, "127.0.0.1:8080");
    assert_eq!(config.lockout_threshold, 10);
    assert_eq!(config.totp_window, 1);
    // Shipped on: no door tells which of name, lock or password was wrong.
    assert!(config.refusals.generic);
    assert!(config.refusals.message.is_none());
    assert_eq!(config.messaging.sends.per_destination, 5);
    assert!(config.messaging.sends.allowed_prefixes.is_empty());
}

#[test]
fn environment_overrides_file_and_flags_override_environment() {
    let (_dir, mut overrides) =
        file_with("[http]\nlisten = \"127.0.0.1:9000\"\n[verify]\nlockout_threshold = 5\n");
    let env = env_of(&[
        ("COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD", "7"),
        ("COUNTERSIGN_DATABASE_URL", "postgres://h/db"),
    ]);
    let config = load_with_env(&overrides, &env).expect("valid");
    assert_eq!(config.listen, "127.0.0.1:9000");
    assert_eq!(config.lockout_threshold, 7);
    assert_eq!(config.database_url, "postgres://h/db");
    let source = |config: &crate::config::Config, key: &str| config.sources[key].clone();
    assert!(source(&config, "http.listen").starts_with("file "));
    assert_eq!(
        source(&config, "verify.lockout_threshold"),
        "environment COUNTERSIGN_VERIFY_LOCKOUT_THRESHOLD"
    );
    assert_eq!(source(&config, "http.body_limit"), "default");
    overrides.listen = Some("0.0.0.0:1".into());
    let flagged = load_with_env(&overrides, &env).expect("valid");
    assert_eq!(flagged.listen, "0.0.0.0:1");
    assert_eq!(source(&flagged, "http.listen"), "command line");
    let shown = flagged.server_settings();
    let listen = shown
        .iter()
        .find(|(k, _, _)| k == "http.listen")
        .expect("listen shown");
    assert_eq!(listen.2, "command line");
    let database = shown
        .iter()
        .find(|(k, _, _)| k == "database.url")
        .expect("db shown");
    assert_eq!(database.2, "environment COUNTERSIGN_DATABASE_URL");
}

#[test]
fn secrets_come_from_files_named_by_the_environment() {
    let dir = tempdir::Dir::new();
    let key_file = dir.0.join("key");
    std::fs::write(&key_file, "c2VjcmV0\n").expect("write");
    let path = key_file.display().to_string();
    let env = env_of(&[("COUNTERSIGN_SECURITY_ENCRYPTION_KEY_FILE", path.as_str())]);
    let config = load_with_env(&Overrides::default(), &env).expect("valid");
    assert_eq!(config.encryption_key.as_deref(), Some("c2VjcmV0"));
}

#[test]
fn every_problem_is_reported_at_once_with_its_key() {
    let (_dir, overrides) = file_with(
        "colour = \"blue\"\n[http]\nlisten = 8080\n[verify]\nlockout_threshold = 0\ntotp_window = 99\n[log]\nformat = \"xml\"\n",
    );
    let env = env_of(&[("COUNTERSIGN_DATABASE_MAX_CONNECTIONS", "many")]);
    let errors = load_with_env(&overrides, &env).expect_err("invalid").0;
    let text = errors.join("\n");
    for expected in [
        "colour: unknown key",
        "http.listen: expected a string",
        "verify.lockout_threshold: 0 is out of range",
        "verify.totp_window: 99",
        "log.format: 'xml'",
        "COUNTERSIGN_DATABASE_MAX_CONNECTIONS: expected an integer",
    ] {
        assert!(text.contains(expected), "missing '{expected}' in:\n{text}");
    }
}

#[test]
fn the_example_file_loads_and_documents_every_key() {
    let example = schema::example();
    let (_dir, overrides) = file_with(&example);
    let config = load_with_env(&overrides, &env_of(&[])).expect("example is valid");
    assert_eq!(config.listen, "127.0.0.1:8080");
    for key in KEYS {
        assert!(
            example.contains(&schema::env_name(key.path)),
            "{} undocumented",
            key.path
        );
    }
}

#[test]
fn syntax_errors_name_the_file() {
    let (_dir, overrides) = file_with("[http\nlisten=");
    let errors = load_with_env(&overrides, &env_of(&[]))
        .expect_err("invalid")
        .0;
    assert!(errors[0].contains("is not valid TOML"), "{errors:?}");
}

#[test]
fn docs_configuration_md_shows_the_current_example() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("read docs");
    assert!(
        doc.contains(&schema::example()),
        "docs/configuration.md is out of date: paste the output of `countersign config example` into it"
    );
}
