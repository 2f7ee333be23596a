//! Typed reads of the merged configuration values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml::Value;

/// Reads typed values with range checks, collecting every problem.
pub(super) struct Reader<'a> {
    values: &'a BTreeMap<&'static str, Value>,
    pub(super) problems: &'a mut Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(
        values: &'a BTreeMap<&'static str, Value>,
        problems: &'a mut Vec<String>,
    ) -> Self {
        Self { values, problems }
    }

    pub(super) fn text(&self, path: &str) -> Option<String> {
        self.values
            .get(path)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    }

    pub(super) fn int(&mut self, path: &str, min: i64, max: i64) -> i64 {
        let value = self
            .values
            .get(path)
            .and_then(Value::as_integer)
            .unwrap_or(min);
        if value < min || value > max {
            self.problems.push(format!(
                "{path}: {value} is out of range, expected {min} to {max}"
            ));
            return min;
        }
        value
    }

    pub(super) fn flag(&self, path: &str) -> bool {
        self.values
            .get(path)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub(super) fn list(&self, path: &str) -> Vec<String> {
        let items = self.values.get(path).and_then(Value::as_array);
        items
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn path(&self, path: &str) -> Option<PathBuf> {
        self.text(path).map(PathBuf::from)
    }

    pub(super) fn one_of(&mut self, path: &str, allowed: &[&str]) -> String {
        let value = self.text(path).unwrap_or_default();
        if !allowed.contains(&value.as_str()) {
            self.problems.push(format!(
                "{path}: '{value}' is not one of {}",
                allowed.join(", ")
            ));
        }
        value
    }
}
