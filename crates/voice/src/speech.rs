//! The account name said by espeak-ng at run time, when it is on the PATH
//! and the operator turned it on: 22050 Hz from espeak-ng, resampled to
//! 8000 Hz in Rust (`wav::resample`), silence cut, level set to -3 dBFS as
//! `prompts/make.sh` does for the built-in clips. No sox at run time.

use crate::prompts::{Language, Prompt};
use crate::wav;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest name said (longer ones are cut).
const MAX_CHARS: usize = 64;

/// espeak-ng found at start, and what it said already.
#[derive(Debug, Clone)]
pub struct Speech {
    program: PathBuf,
    said: Arc<Mutex<HashMap<(Language, String), Prompt>>>,
}

impl Speech {
    /// espeak-ng from the PATH, if it is there.
    pub fn find() -> Option<Speech> {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("espeak-ng"))
            .find(|p| p.is_file())
            .map(Speech::at)
    }

    pub fn at(program: PathBuf) -> Speech {
        Speech {
            program,
            said: Arc::default(),
        }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// `text` said in `lang`'s voice; `None` when espeak-ng fails (the
    /// caller spells instead). Each (language, text) is made once.
    pub fn say(&self, lang: Language, text: &str) -> Option<Prompt> {
        let text = speakable(text);
        if text.is_empty() {
            return None;
        }
        let key = (lang, text.clone());
        if let Some(p) = self.said.lock().ok()?.get(&key) {
            return Some(p.clone());
        }
        let bytes = self.run(voice(lang), &text)?;
        let (rate, samples) = wav::parse_any_rate(&bytes).ok()?;
        let prompt = Prompt::from_samples(level(trim(&wav::resample(&samples, rate))));
        if prompt.duration_ms() < 100 {
            return None;
        }
        self.said.lock().ok()?.insert(key, prompt.clone());
        Some(prompt)
    }

    fn run(&self, voice: &str, text: &str) -> Option<Vec<u8>> {
        // The text goes in on stdin: nothing in it can become an option.
        let mut child = Command::new(&self.program)
            .args(["-v", voice, "-s", "150", "--stdout"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(text.as_bytes()).ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while child.try_wait().ok()?.is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().ok()?;
        out.status.success().then_some(out.stdout)
    }
}

fn voice(lang: Language) -> &'static str {
    match lang {
        Language::En => "en-us",
        Language::De => "de",
    }
}

/// Letters, digits, spaces and a few joiners; at most [`MAX_CHARS`].
pub fn speakable(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '.' | '&' | '\''))
        .take(MAX_CHARS)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Without the quiet ends (below 0.5 % of full scale, as make.sh's sox `silence`).
fn trim(samples: &[i16]) -> &[i16] {
    let loud = |s: &i16| s.unsigned_abs() > 164;
    let start = samples.iter().position(loud).unwrap_or(samples.len());
    let end = samples.iter().rposition(loud).map_or(start, |i| i + 1);
    &samples[start..end]
}

/// Peak at -3 dBFS.
fn level(samples: &[i16]) -> Vec<i16> {
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    if peak == 0 {
        return samples.to_vec();
    }
    let gain = 23_197.0 / f64::from(peak);
    samples
        .iter()
        .map(|&s| (f64::from(s) * gain).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_trimmed() {
        assert_eq!(
            speakable("  Acme <b>Corp</b>;  rm -rf / "),
            "Acme bCorpb rm -rf"
        );
        assert_eq!(speakable(&"x".repeat(100)).len(), MAX_CHARS);
        assert_eq!(trim(&[0, 10, 500, 0, -600, 3, 0]), &[500, 0, -600]);
        assert_eq!(level(&[100, -200])[1], -23_197);
    }

    #[test]
    fn espeak_says_a_name_when_installed() {
        let Some(speech) = Speech::find() else {
            eprintln!("espeak-ng not on PATH: nothing to check here");
            return;
        };
        let p = speech
            .say(Language::En, "Acme Bank")
            .expect("espeak-ng speaks");
        assert!(
            (300..5000).contains(&p.duration_ms()),
            "{} ms",
            p.duration_ms()
        );
        let peak = p.samples().iter().map(|s| s.unsigned_abs()).max();
        assert_eq!(peak, Some(23_197));
        // Made once: the second answer is the cached one.
        assert_eq!(speech.say(Language::En, "Acme  Bank"), Some(p));
        let missing = Speech::at(PathBuf::from("/nonexistent/espeak-ng"));
        assert_eq!(missing.say(Language::De, "Acme"), None);
    }
}
