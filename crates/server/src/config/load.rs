//! Reading the layers (defaults, file, environment, flags) into a [`Config`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Value;

use super::schema::{self, Kind, KEYS};
use super::typed::build;
use super::{Config, ConfigErrors};

/// Command-line flags, the last and strongest layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

/// Loads from the process environment.
pub fn load(overrides: &Overrides) -> Result<Config, ConfigErrors> {
    load_with_env(overrides, &|name| std::env::var(name).ok())
}

pub fn load_with_env(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut problems = Vec::new();
    let mut values = defaults();
    let mut sources = Sources::new(&values);
    if let Some(path) = &overrides.config_file {
        read_file(path, &mut values, &mut problems);
        sources.mark(&values, |_| format!("file {}", path.display()));
    }
    read_env(env, &mut values, &mut problems);
    sources.mark(&values, |key| {
        format!("environment {}", schema::env_name(key))
    });
    if let Some(dir) = &overrides.data_dir {
        values.insert("data_dir", Value::String(dir.display().to_string()));
    }
    if let Some(listen) = &overrides.listen {
        values.insert("http.listen", Value::String(listen.clone()));
    }
    sources.mark(&values, |_| "command line".to_string());
    let mut config = build(&values, &mut problems);
    config.sources = sources.names;
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Which layer gave each key its value (shown read-only by the console).
struct Sources {
    seen: BTreeMap<&'static str, Value>,
    names: BTreeMap<String, String>,
}

impl Sources {
    fn new(defaults: &BTreeMap<&'static str, Value>) -> Self {
        let names = defaults
            .keys()
            .map(|k| (k.to_string(), "default".to_string()))
            .collect();
        Self {
            seen: defaults.clone(),
            names,
        }
    }

    /// Names `layer` as the source of every value it set or changed.
    fn mark(&mut self, values: &BTreeMap<&'static str, Value>, layer: impl Fn(&str) -> String) {
        for (key, value) in values {
            if self.seen.get(key) != Some(value) {
                self.names.insert(key.to_string(), layer(key));
            }
        }
        self.seen = values.clone();
    }
}

fn defaults() -> BTreeMap<&'static str, Value> {
    KEYS.iter()
        .filter_map(|k| {
            let literal = k.default?;
            let table: toml::Table = toml::from_str(&format!("v = {literal}")).ok()?;
            table.get("v").cloned().map(|v| (k.path, v))
        })
        .collect()
}

fn read_file(path: &Path, values: &mut BTreeMap<&'static str, Value>, problems: &mut Vec<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return problems.push(format!(
                "cannot read the configuration file {}: {e}",
                path.display()
            ))
        }
    };
    let table: toml::Table = match toml::from_str(&text) {
        Ok(table) => table,
        Err(e) => return problems.push(format!("{} is not valid TOML: {e}", path.display())),
    };
    for (name, value) in table {
        flatten(name, value, values, problems);
    }
}

/// `[section]` and `[section.sub]` tables become `section.sub.key` paths.
fn flatten(
    path: String,
    value: Value,
    values: &mut BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) {
    match value {
        Value::Table(section) if schema::find(&path).is_none() => {
            for (inner, value) in section {
                flatten(format!("{path}.{inner}"), value, values, problems);
            }
        }
        value => set(&path, value, values, problems),
    }
}

fn set(
    path: &str,
    value: Value,
    values: &mut BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) {
    let Some(key) = schema::find(path) else {
        let section = schema::section_of(path);
        let known: Vec<&str> = KEYS
            .iter()
            .filter(|k| schema::section_of(k.path) == section)
            .map(|k| k.path)
            .collect();
        return problems.push(format!(
            "{path}: unknown key (known here: {})",
            known.join(", ")
        ));
    };
    // A list key given one value means a list of one.
    let value = match (key.kind, value) {
        (Kind::List, Value::String(one)) => Value::Array(vec![Value::String(one)]),
        (_, value) => value,
    };
    let fits = matches!(
        (key.kind, &value),
        (Kind::Str, Value::String(_))
            | (Kind::Int, Value::Integer(_))
            | (Kind::Bool, Value::Boolean(_))
    ) || (key.kind == Kind::List && is_string_list(&value))
        || (key.kind == Kind::Tables
            && value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_table)));
    if fits {
        values.insert(key.path, value);
    } else {
        problems.push(format!(
            "{path}: expected {}, found {}",
            kind_name(key.kind),
            value.type_str()
        ));
    }
}

fn read_env(
    env: &dyn Fn(&str) -> Option<String>,
    values: &mut BTreeMap<&'static str, Value>,
    problems: &mut Vec<String>,
) {
    for key in KEYS {
        let name = schema::env_name(key.path);
        let mut text = env(&name);
        if key.secret {
            if let Some(file) = env(&format!("{name}_FILE")) {
                match std::fs::read_to_string(&file) {
                    Ok(content) => text = Some(content.trim().to_string()),
                    Err(e) => problems.push(format!("{name}_FILE: cannot read {file}: {e}")),
                }
            }
        }
        let Some(text) = text else { continue };
        let parsed = match key.kind {
            Kind::Str => Some(Value::String(text.clone())),
            Kind::Int => text.trim().parse::<i64>().ok().map(Value::Integer),
            Kind::Bool => parse_bool(&text).map(Value::Boolean),
            Kind::Tables => {
                problems.push(format!(
                    "{name}: {} can only be set in the configuration file",
                    key.path
                ));
                continue;
            }
            Kind::List => Some(Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            )),
        };
        match parsed {
            Some(value) => {
                values.insert(key.path, value);
            }
            None => problems.push(format!(
                "{name}: expected {}, found '{text}'",
                kind_name(key.kind)
            )),
        }
    }
}

fn is_string_list(value: &Value) -> bool {
    value
        .as_array()
        .is_some_and(|items| items.iter().all(Value::is_str))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "a string",
        Kind::Int => "an integer",
        Kind::Bool => "true or false",
        Kind::List => "a list of strings like [\"a\", \"b\"]",
        Kind::Tables => "a list of tables ([[section.key]])",
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
