//! What the call says: the built-in prompts (made by `prompts/make.sh` with
//! espeak-ng and compiled in), and the operator's own recordings from
//! `voice.prompts_dir/<lang>/<name>.wav`, which replace them one by one.

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

/// The prompts a call uses (file names without `.wav`).
pub const NAMES: [&str; 15] = [
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
];

macro_rules! builtin {
    ($($lang:literal => [$($name:literal),*]),*) => {
        /// (language, name, WAV bytes) of every built-in prompt.
        static BUILTIN: &[(&str, &str, &[u8])] = &[$($(
            ($lang, $name, include_bytes!(concat!("../prompts/", $lang, "/", $name, ".wav"))),
        )*)*];
    };
}

builtin! {
    "en" => ["approve", "pin", "accepted", "refused", "fraud_reported", "digit_0", "digit_1",
             "digit_2", "digit_3", "digit_4", "digit_5", "digit_6", "digit_7", "digit_8", "digit_9"],
    "de" => ["approve", "pin", "accepted", "refused", "fraud_reported", "digit_0", "digit_1",
             "digit_2", "digit_3", "digit_4", "digit_5", "digit_6", "digit_7", "digit_8", "digit_9"]
}

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
        Ok(Prompts { by_name })
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
            for name in NAMES {
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
}

#[cfg(test)]
#[path = "prompts_tests.rs"]
mod tests;
