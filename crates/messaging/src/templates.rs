//! Message texts: built-in templates (minijinja), overridable by the
//! operator, with per-language variants.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment};

use crate::error::{describe_io, SendError};

/// The built-in templates, by name.
const BUILTIN: &[(&str, &str)] = &[
    (
        "welcome.subject",
        include_str!("../templates/welcome.subject"),
    ),
    ("welcome.txt", include_str!("../templates/welcome.txt")),
    ("welcome.html", include_str!("../templates/welcome.html")),
    (
        "code_email.subject",
        include_str!("../templates/code_email.subject"),
    ),
    (
        "code_email.txt",
        include_str!("../templates/code_email.txt"),
    ),
    ("code_sms.txt", include_str!("../templates/code_sms.txt")),
    ("reply_sms.txt", include_str!("../templates/reply_sms.txt")),
    (
        "confirm_sms.txt",
        include_str!("../templates/confirm_sms.txt"),
    ),
    (
        "confirm_email.subject",
        include_str!("../templates/confirm_email.subject"),
    ),
    (
        "confirm_email.txt",
        include_str!("../templates/confirm_email.txt"),
    ),
    (
        "changed_sms.txt",
        include_str!("../templates/changed_sms.txt"),
    ),
    (
        "changed_email.subject",
        include_str!("../templates/changed_email.subject"),
    ),
    (
        "changed_email.txt",
        include_str!("../templates/changed_email.txt"),
    ),
];

/// A template that cannot be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the template directory {}: {reason}: fix the path or its permissions", dir.display())]
    ReadDir { dir: PathBuf, reason: String },
    #[error("cannot read the template {}: {reason}: fix the file or remove it", path.display())]
    ReadFile { path: PathBuf, reason: String },
    #[error("the template {} has a mistake: {detail}: fix the file", origin(name, file.as_deref()))]
    Syntax {
        name: String,
        file: Option<PathBuf>,
        detail: String,
    },
    #[error("the template {} failed: {detail}", origin(name, file.as_deref()))]
    Render {
        name: String,
        file: Option<PathBuf>,
        detail: String,
    },
    #[error("there is no template {name:?}")]
    Unknown { name: String },
    #[error("{}", join(.0))]
    Several(Vec<TemplateError>),
}

fn origin(name: &str, file: Option<&Path>) -> String {
    match file {
        Some(path) => path.display().to_string(),
        None => name.to_owned(),
    }
}

fn join(errors: &[TemplateError]) -> String {
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    texts.join("; ")
}

/// The message templates: built-ins, replaced by files of the same name in
/// the operator's directory (`welcome.txt`), with language variants
/// (`welcome.de.txt`) picked for `language = "de"` and otherwise falling
/// back to the plain name. Only `*.html` templates escape HTML.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
    /// Where each operator template came from, for error messages.
    files: HashMap<String, PathBuf>,
}

impl Templates {
    /// Loads the built-ins, then every file of `dir`; reports every
    /// unreadable file and every syntax mistake at once.
    pub fn new(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // Block tags on lines of their own leave no blank lines behind.
        let whitespace = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid");
        env.set_syntax(whitespace);
        env.set_auto_escape_callback(|name| match name.ends_with(".html") {
            true => AutoEscape::Html,
            false => AutoEscape::None,
        });
        for (name, source) in BUILTIN {
            env.add_template(name, source)
                .map_err(|e| syntax(name, None, &e))?;
        }
        let mut templates = Self {
            env,
            files: HashMap::new(),
        };
        if let Some(dir) = dir {
            templates.load_dir(dir)?;
        }
        Ok(templates)
    }

    fn load_dir(&mut self, dir: &Path) -> Result<(), TemplateError> {
        let mut errors = Vec::new();
        for (name, path) in list_dir(dir)? {
            let source = match std::fs::read(&path) {
                Ok(bytes) => {
                    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
                }
                Err(e) => Err(describe_io(&e)),
            };
            let source = match source {
                Ok(source) => source,
                Err(reason) => {
                    errors.push(TemplateError::ReadFile { path, reason });
                    continue;
                }
            };
            match self.env.add_template_owned(name.clone(), source) {
                Ok(()) => {
                    self.files.insert(name, path);
                }
                Err(e) => errors.push(syntax(&name, Some(path), &e)),
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(TemplateError::Several(errors)),
        }
    }

    /// Renders `name` (such as `welcome.txt`) in `language` if a variant
    /// exists (`de-AT` tries `welcome.de-at.txt`, then `welcome.de.txt`),
    /// else the plain one. `*.subject` templates come out as one line.
    pub fn render(
        &self,
        name: &str,
        language: Option<&str>,
        context: &serde_json::Value,
    ) -> Result<String, TemplateError> {
        let chosen = candidates(name, language)
            .into_iter()
            .find(|candidate| self.env.get_template(candidate).is_ok())
            .ok_or_else(|| TemplateError::Unknown {
                name: name.to_owned(),
            })?;
        let template = self
            .env
            .get_template(&chosen)
            .map_err(|e| self.failed(&chosen, &e))?;
        let text = template
            .render(Value::from(Serde(context)))
            .map_err(|e| self.failed(&chosen, &e))?;
        Ok(if name.ends_with(".subject") {
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            text
        })
    }

    fn failed(&self, name: &str, e: &minijinja::Error) -> TemplateError {
        TemplateError::Render {
            name: name.to_owned(),
            file: self.files.get(name).cloned(),
            detail: e.to_string(),
        }
    }
}

/// The regular files of `dir` whose names can be template names.
fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, TemplateError> {
    let read_dir_error = |e: std::io::Error| TemplateError::ReadDir {
        dir: dir.to_owned(),
        reason: describe_io(&e),
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir_error)? {
        let path = entry.map_err(read_dir_error)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        if name.starts_with('.') || name.ends_with('~') || !path.is_file() {
            continue;
        }
        found.push((name, path));
    }
    found.sort();
    Ok(found)
}

fn syntax(name: &str, file: Option<PathBuf>, e: &minijinja::Error) -> TemplateError {
    TemplateError::Syntax {
        name: name.to_owned(),
        file,
        detail: e.to_string(),
    }
}

/// `welcome.txt` in `de-AT`: `welcome.de-at.txt`, `welcome.de.txt`, `welcome.txt`.
fn candidates(name: &str, language: Option<&str>) -> Vec<String> {
    let mut names = Vec::new();
    let tag = language
        .map(|l| l.trim().to_ascii_lowercase().replace('_', "-"))
        .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if let Some(tag) = tag {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((stem, ext)) => (stem, format!(".{ext}")),
            None => (name, String::new()),
        };
        names.push(format!("{stem}.{tag}{ext}"));
        if let Some((primary, _)) = tag.split_once('-') {
            names.push(format!("{stem}.{primary}{ext}"));
        }
    }
    names.push(name.to_owned());
    names
}

/// The engine for the HTTP gateway's URL, headers and body: the same
/// filters, nothing escaped automatically.
#[derive(Clone)]
pub(crate) struct GatewayTemplates {
    env: Environment<'static>,
}

impl fmt::Debug for GatewayTemplates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GatewayTemplates")
    }
}

impl GatewayTemplates {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        Self { env }
    }

    /// Renders `source`; `label` names the setting in errors (`sms.url`).
    pub(crate) fn render(
        &self,
        label: &str,
        source: &str,
        context: &serde_json::Value,
    ) -> Result<String, SendError> {
        self.env
            .render_named_str(label, source, Value::from(Serde(context)))
            .map_err(|e| SendError::GatewayTemplate {
                template: label.to_owned(),
                source: match e.kind() {
                    minijinja::ErrorKind::SyntaxError => syntax(label, None, &e),
                    _ => TemplateError::Render {
                        name: label.to_owned(),
                        file: None,
                        detail: e.to_string(),
                    },
                },
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_candidates_go_from_specific_to_plain() {
        assert_eq!(
            candidates("welcome.txt", Some("de_AT")),
            ["welcome.de-at.txt", "welcome.de.txt", "welcome.txt"]
        );
        assert_eq!(
            candidates("welcome.subject", Some("fr")),
            ["welcome.fr.subject", "welcome.subject"]
        );
        assert_eq!(candidates("welcome.txt", Some("../x")), ["welcome.txt"]);
        assert_eq!(candidates("welcome.txt", None), ["welcome.txt"]);
    }
}
