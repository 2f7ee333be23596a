//! Rendering portal pages: built-in templates (overridable by files of the
//! same name in `portal.templates`), escaped for HTML, with the words of
//! every page from a catalogue per shipped language (English, German)
//! chosen by the browser's Accept-Language.

use std::collections::HashMap;
use std::path::Path;

use axum::http::header::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;

use crate::http::page::page_or_error;
use countersign_domain::DomainError;
use minijinja::{context, Environment, Value};

use super::PortalState;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/portal/base.html"),
    ),
    (
        "login.html",
        include_str!("../../templates/portal/login.html"),
    ),
    (
        "link.html",
        include_str!("../../templates/portal/link.html"),
    ),
    (
        "verify.html",
        include_str!("../../templates/portal/verify.html"),
    ),
    (
        "home.html",
        include_str!("../../templates/portal/home.html"),
    ),
    (
        "totp.html",
        include_str!("../../templates/portal/totp.html"),
    ),
    ("app.html", include_str!("../../templates/portal/app.html")),
    (
        "contact.html",
        include_str!("../../templates/portal/contact.html"),
    ),
    (
        "secret.html",
        include_str!("../../templates/portal/secret.html"),
    ),
    (
        "passkeys.html",
        include_str!("../../templates/portal/passkeys.html"),
    ),
    (
        "remember.html",
        include_str!("../../templates/portal/remember.html"),
    ),
    (
        "browsers.html",
        include_str!("../../templates/portal/browsers.html"),
    ),
    (
        "message.html",
        include_str!("../../templates/portal/message.html"),
    ),
    (
        "sso_base.html",
        include_str!("../../templates/portal/sso_base.html"),
    ),
    (
        "sso_login.html",
        include_str!("../../templates/portal/sso_login.html"),
    ),
    (
        "sso_verify.html",
        include_str!("../../templates/portal/sso_verify.html"),
    ),
    (
        "sso_message.html",
        include_str!("../../templates/portal/sso_message.html"),
    ),
    (
        "sso_continue.html",
        include_str!("../../templates/portal/sso_continue.html"),
    ),
];

const CATALOGUES: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../../templates/portal/i18n/en.txt")),
    (Lang::De, include_str!("../../templates/portal/i18n/de.txt")),
];

/// The languages the portal ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    De,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The first shipped language the browser asks for (by q, then order).
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let text = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Lang::choose(text)
    }

    pub fn choose(accept: &str) -> Lang {
        let mut wanted: Vec<(f32, usize, Lang)> = accept
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next().unwrap_or("");
                let lang = match primary {
                    "en" => Lang::En,
                    "de" => Lang::De,
                    _ => return None,
                };
                (q > 0.0).then_some((q, i, lang))
            })
            .collect();
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        wanted.first().map_or(Lang::En, |w| w.2)
    }
}

/// The portal's templates and word catalogues, loaded once at start.
pub struct Pages {
    env: Environment<'static>,
    words: HashMap<Lang, HashMap<String, String>>,
    /// The same words as template values, made once (not on every page).
    values: HashMap<Lang, Value>,
}

impl Pages {
    /// The built-ins, with any file of the same name in `dir` instead.
    pub fn load(dir: Option<&Path>) -> Result<Pages, String> {
        let mut env = Environment::new();
        for (name, builtin) in TEMPLATES {
            let source = match dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                Some(path) => std::fs::read_to_string(&path).map_err(|e| {
                    format!("portal.templates: cannot read {}: {e}", path.display())
                })?,
                None => builtin.to_string(),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| format!("portal template {name} has a mistake: {e}"))?;
        }
        let english = parse_catalogue(CATALOGUES[0].1);
        let words = CATALOGUES
            .iter()
            .map(|(lang, text)| {
                let mut merged = english.clone();
                merged.extend(parse_catalogue(text));
                (*lang, merged)
            })
            .collect();
        let values = words_as_values(&words);
        Ok(Pages { env, words, values })
    }

    pub fn builtin() -> Pages {
        Pages::load(None).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the portal's built-in templates do not load");
            Pages {
                env: Environment::new(),
                words: HashMap::new(),
                values: HashMap::new(),
            }
        })
    }

    pub fn word(&self, lang: Lang, key: &str) -> String {
        self.words
            .get(&lang)
            .and_then(|w| w.get(key))
            .cloned()
            .unwrap_or_else(|| key.to_string())
    }

    fn words_of(&self, lang: Lang) -> Value {
        self.values.get(&lang).cloned().unwrap_or_default()
    }

    pub fn render(&self, lang: Lang, status: StatusCode, name: &str, ctx: Value) -> Response {
        let ctx = context! { t => self.words_of(lang), lang => lang.code(), ..ctx };
        let rendered = self.env.get_template(name).and_then(|t| t.render(ctx));
        page_or_error("portal", status, name, rendered)
    }
}

/// A code or key in groups of four for reading and typing (`ABCD EFGH`).
pub fn grouped(text: &str) -> String {
    text.as_bytes()
        .chunks(4)
        .map(String::from_utf8_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

fn words_as_values(words: &HashMap<Lang, HashMap<String, String>>) -> HashMap<Lang, Value> {
    words
        .iter()
        .map(|(lang, map)| (*lang, Value::from(minijinja::value::Serde(map.clone()))))
        .collect()
}

/// `key = text` lines; `#` starts a comment line.
fn parse_catalogue(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

pub fn render(
    state: &impl AsRef<PortalState>,
    lang: Lang,
    status: StatusCode,
    name: &str,
    ctx: Value,
) -> Response {
    state.as_ref().pages.render(lang, status, name, ctx)
}

/// A page with a title and a message, both catalogue keys.
pub fn message(
    state: &impl AsRef<PortalState>,
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: &str,
) -> Response {
    let pages = &state.as_ref().pages;
    let ctx = context! { title => pages.word(lang, title), message => pages.word(lang, text) };
    render(state, lang, status, "message.html", ctx)
}

/// 403 for a feature the settings turn off, `why` naming the setting in words.
pub fn turned_off(state: &impl AsRef<PortalState>, lang: Lang, why: &str) -> Response {
    message(state, lang, StatusCode::FORBIDDEN, "not_allowed", why)
}

/// A domain failure on a page: in words, with the right status.
pub fn failure(state: &impl AsRef<PortalState>, lang: Lang, e: DomainError) -> Response {
    if let Some(busy) = crate::http::throttle::busy_page(&e) {
        return busy;
    }
    let status = match &e {
        DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
        DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    if status == StatusCode::SERVICE_UNAVAILABLE {
        tracing::error!(error = %e, "portal request failed");
        return message(state, lang, status, "server_problem", "server_problem_text");
    }
    let pages = &state.as_ref().pages;
    let ctx = context! { title => pages.word(lang, "not_accepted"), message => e.to_string() };
    render(state, lang, status, "message.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_follow_accept_language() {
        assert_eq!(Lang::choose("de-DE,de;q=0.9,en;q=0.8"), Lang::De);
        assert_eq!(Lang::choose("fr-FR,fr;q=0.9,de;q=0.5,en;q=0.7"), Lang::En);
        assert_eq!(Lang::choose("fr"), Lang::En);
        assert_eq!(Lang::choose(""), Lang::En);
        assert_eq!(Lang::choose("en;q=0,de"), Lang::De);
    }

    #[test]
    fn pages_show_the_words_of_the_language() {
        let pages = Pages::load(None).expect("built-ins load");
        let page = |lang| {
            let response = pages.render(
                lang,
                StatusCode::OK,
                "message.html",
                context! { title => "x", message => "y" },
            );
            futures_body(response)
        };
        assert!(page(Lang::En).contains("Sign-in settings"));
        assert!(page(Lang::De).contains("Anmeldeeinstellungen"));
    }

    fn futures_body(response: Response) -> String {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .ok()
            .and_then(|rt| {
                rt.block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                    .ok()
            })
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).to_string()
    }

    #[test]
    fn every_shipped_language_has_every_english_word() {
        let english = parse_catalogue(CATALOGUES[0].1);
        let german = parse_catalogue(CATALOGUES[1].1);
        let missing: Vec<_> = english
            .keys()
            .filter(|k| !german.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "German lacks {missing:?}");
        assert!(Pages::load(None).is_ok());
    }
}
