//! What the call says: the built-in prompts (made by `prompts/make.sh` with
//! espeak-ng and compiled in), and the operator's own recordings from
//! `voice.prompts_dir/<lang>/<name>.wav`, which replace them one by one.

use crate::speech::Speech;
use crate::wav::{self, WavError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;

/// Audio at 8000 samples a second, 16-bit, mono; cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prompt {
    samples: Arc<[i16]>,
}

impl Prompt {
    pub fn from_samples(samples: Vec<i16>) -> Self {
        Prompt {
            samples: samples.into(),
        }
    }

    /// A prompt from an 8 kHz mono 16-bit PCM WAV file's bytes.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, WavError> {
        wav::parse(bytes).map(Prompt::from_samples)
    }

    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 / 8
    }

    /// The parts one after another, with `gap_ms` of silence between them.
    pub fn concat(parts: &[&Prompt], gap_ms: u32) -> Prompt {
        let gap = (gap_ms * 8) as usize;
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.resize(out.len() + gap, 0);
            }
            out.extend_from_slice(p.samples());
        }
        Prompt::from_samples(out)
    }
}

/// The languages with built-in prompts: the portal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    En,
    De,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::De];

    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }

    /// `en`, `de`, also `en-US`, `de_AT`.
    pub fn from_code(code: &str) -> Option<Language> {
        let base = code.split(['-', '_']).next().unwrap_or("");
        Language::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(base))
    }
}

/// The prompts a call uses (file names without `.wav`), each built in.
pub const NAMES: [&str; 43] = [
    "intro",
    "countersign",
    "approve",
    "pin",
    "accepted",
    "refused",
    "fraud_reported",
    "digit_0",
    "digit_1",
    "digit_2",
    "digit_3",
    "digit_4",
    "digit_5",
    "digit_6",
    "digit_7",
    "digit_8",
    "digit_9",
    "letter_a",
    "letter_b",
    "letter_c",
    "letter_d",
    "letter_e",
    "letter_f",
    "letter_g",
    "letter_h",
    "letter_i",
    "letter_j",
    "letter_k",
    "letter_l",
    "letter_m",
    "letter_n",
    "letter_o",
    "letter_p",
    "letter_q",
    "letter_r",
    "letter_s",
    "letter_t",
    "letter_u",
    "letter_v",
    "letter_w",
    "letter_x",
    "letter_y",
    "letter_z",
];

/// Prompts only the operator supplies: the organisation's account name said
/// by a person (else it is spoken by espeak-ng or spelled).
pub const OPERATOR_ONLY: [&str; 1] = ["account_name"];

macro_rules! builtin {
    ($($lang:literal),*) => {
        /// (language, name, WAV bytes) of every built-in prompt.
        static BUILTIN: &[(&str, &str, &[u8])] = &[$(
            builtin!(@one $lang, "intro"), builtin!(@one $lang, "countersign"),
            builtin!(@one $lang, "approve"), builtin!(@one $lang, "pin"),
            builtin!(@one $lang, "accepted"), builtin!(@one $lang, "refused"),
            builtin!(@one $lang, "fraud_reported"),
            builtin!(@one $lang, "digit_0"), builtin!(@one $lang, "digit_1"),
            builtin!(@one $lang, "digit_2"), builtin!(@one $lang, "digit_3"),
            builtin!(@one $lang, "digit_4"), builtin!(@one $lang, "digit_5"),
            builtin!(@one $lang, "digit_6"), builtin!(@one $lang, "digit_7"),
            builtin!(@one $lang, "digit_8"), builtin!(@one $lang, "digit_9"),
            builtin!(@one $lang, "letter_a"), builtin!(@one $lang, "letter_b"),
            builtin!(@one $lang, "letter_c"), builtin!(@one $lang, "letter_d"),
            builtin!(@one $lang, "letter_e"), builtin!(@one $lang, "letter_f"),
            builtin!(@one $lang, "letter_g"), builtin!(@one $lang, "letter_h"),
            builtin!(@one $lang, "letter_i"), builtin!(@one $lang, "letter_j"),
            builtin!(@one $lang, "letter_k"), builtin!(@one $lang, "letter_l"),
            builtin!(@one $lang, "letter_m"), builtin!(@one $lang, "letter_n"),
            builtin!(@one $lang, "letter_o"), builtin!(@one $lang, "letter_p"),
            builtin!(@one $lang, "letter_q"), builtin!(@one $lang, "letter_r"),
            builtin!(@one $lang, "letter_s"), builtin!(@one $lang, "letter_t"),
            builtin!(@one $lang, "letter_u"), builtin!(@one $lang, "letter_v"),
            builtin!(@one $lang, "letter_w"), builtin!(@one $lang, "letter_x"),
            builtin!(@one $lang, "letter_y"), builtin!(@one $lang, "letter_z"),
        )*];
    };
    (@one $lang:literal, $name:literal) => {
        ($lang, $name, include_bytes!(concat!("../prompts/", $lang, "/", $name, ".wav")))
    };
}

builtin!("en", "de");

#[derive(Debug, Error)]
pub enum PromptError {
    #[error("voice.prompts_dir {dir}: cannot read it: {reason}")]
    Dir { dir: PathBuf, reason: String },
    #[error("prompt file {file}: {reason}")]
    File { file: PathBuf, reason: String },
    #[error("{} prompt file(s) unusable:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Vec<PromptError>),
    #[error(
        "built-in prompt {lang}/{name} is broken ({source}); run crates/voice/prompts/make.sh"
    )]
    Builtin {
        lang: &'static str,
        name: &'static str,
        source: WavError,
    },
}

/// Every prompt in every language, each from the operator's directory if
/// it has one, else built in.
#[derive(Debug, Clone)]
pub struct Prompts {
    by_name: HashMap<(Language, String), Prompt>,
    /// espeak-ng for the account name, when found and wanted.
    speech: Option<Speech>,
}

impl Prompts {
    /// The built-in prompts only.
    pub fn builtin() -> Result<Self, PromptError> {
        let mut by_name = HashMap::new();
        for &(lang, name, bytes) in BUILTIN {
            let prompt = Prompt::from_wav(bytes).map_err(|source| PromptError::Builtin {
                lang,
                name,
                source,
            })?;
            if let Some(l) = Language::from_code(lang) {
                by_name.insert((l, name.to_string()), prompt);
            }
        }
        Ok(Prompts {
            by_name,
            speech: None,
        })
    }

    /// The built-in prompts, replaced by `dir/<lang>/<name>.wav` where such
    /// a file exists. Every unusable file is reported, all at once.
    pub fn load(dir: Option<&Path>) -> Result<Self, PromptError> {
        let mut prompts = Self::builtin()?;
        let Some(dir) = dir else {
            return Ok(prompts);
        };
        if let Err(e) = std::fs::read_dir(dir) {
            return Err(PromptError::Dir {
                dir: dir.to_path_buf(),
                reason: e.to_string(),
            });
        }
        let mut errors = Vec::new();
        for lang in Language::ALL {
            for name in NAMES.iter().chain(&OPERATOR_ONLY) {
                let file = dir.join(lang.code()).join(format!("{name}.wav"));
                let bytes = match std::fs::read(&file) {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => {
                        errors.push(PromptError::File {
                            file,
                            reason: e.to_string(),
                        });
                        continue;
                    }
                };
                match Prompt::from_wav(&bytes) {
                    Ok(p) => {
                        prompts.by_name.insert((lang, name.to_string()), p);
                    }
                    Err(e) => errors.push(PromptError::File {
                        file,
                        reason: e.to_string(),
                    }),
                }
            }
        }
        if errors.is_empty() {
            Ok(prompts)
        } else {
            Err(PromptError::Many(errors))
        }
    }

    /// One prompt by name (see [`NAMES`]); empty for an unknown name.
    pub fn get(&self, lang: Language, name: &str) -> Prompt {
        self.by_name
            .get(&(lang, name.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Digits said one by one (other characters are skipped), 150 ms apart.
    pub fn digits(&self, lang: Language, digits: &str) -> Prompt {
        let clips: Vec<Prompt> = digits
            .chars()
            .filter(|c| c.is_ascii_digit())
            .map(|d| self.get(lang, &format!("digit_{d}")))
            .collect();
        Prompt::concat(&clips.iter().collect::<Vec<_>>(), 150)
    }

    /// Says account names with espeak-ng when `speech` is given (see
    /// [`Speech::find`]); else they are spelled.
    pub fn with_speech(mut self, speech: Option<Speech>) -> Self {
        self.speech = speech;
        self
    }

    pub fn speech(&self) -> Option<&Speech> {
        self.speech.as_ref()
    }

    /// Letters and digits said one by one, 120 ms apart, 400 ms between
    /// words; anything else is skipped (`Ä` as `A`, as the keypad has it).
    pub fn spell(&self, lang: Language, text: &str) -> Prompt {
        let mut words = Vec::new();
        for word in text.split_whitespace() {
            let clips: Vec<Prompt> = word
                .chars()
                .filter_map(|c| {
                    let c = fold(c);
                    match c {
                        '0'..='9' => Some(format!("digit_{c}")),
                        'a'..='z' => Some(format!("letter_{c}")),
                        _ => None,
                    }
                })
                .map(|name| self.get(lang, &name))
                .collect();
            if !clips.is_empty() {
                words.push(Prompt::concat(&clips.iter().collect::<Vec<_>>(), 120));
            }
        }
        Prompt::concat(&words.iter().collect::<Vec<_>>(), 400)
    }

    /// The organisation's name as the call says it: the operator's
    /// `account_name.wav`, else espeak-ng (when on), else spelled; the
    /// built-in "Countersign" when the name is empty.
    pub fn account_name(&self, lang: Language, name: &str) -> Prompt {
        let own = self.get(lang, "account_name");
        if !own.samples().is_empty() {
            return own;
        }
        if name.trim().is_empty() {
            return self.get(lang, "countersign");
        }
        if let Some(said) = self.speech.as_ref().and_then(|s| s.say(lang, name)) {
            return said;
        }
        let spelled = self.spell(lang, name);
        if spelled.samples().is_empty() {
            self.get(lang, "countersign")
        } else {
            spelled
        }
    }

    /// What the call says when answered: "This is <account name>." then
    /// how to approve (press #, or the PIN and #) and to report fraud.
    pub fn greeting(&self, lang: Language, account_name: &str, pin_mode: bool) -> Prompt {
        let intro = self.get(lang, "intro");
        let name = self.account_name(lang, account_name);
        let ask = self.get(lang, if pin_mode { "pin" } else { "approve" });
        let head = Prompt::concat(&[&intro, &name], 150);
        Prompt::concat(&[&head, &ask], 600)
    }
}

/// A letter without its accent, lower case (`Ä` → `a`, `ß` → `s`).
fn fold(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ß' => 's',
        other => other,
    }
}

#[cfg(test)]
#[path = "prompts_tests.rs"]
mod tests;
