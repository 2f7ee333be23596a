use super::*;

fn rms(p: &Prompt) -> f64 {
    let s = p.samples();
    let sum: f64 = s.iter().map(|&x| (f64::from(x) / 32768.0).powi(2)).sum();
    (sum / s.len().max(1) as f64).sqrt()
}

#[test]
fn every_builtin_prompt_is_speech_of_a_plausible_length() {
    let prompts = Prompts::builtin().expect("built-in prompts parse");
    for lang in Language::ALL {
        for name in NAMES {
            let p = prompts.get(lang, name);
            let ms = p.duration_ms();
            let short = ["digit_", "letter_", "intro", "countersign"];
            let (min, max) = if short.iter().any(|s| name.starts_with(s)) {
                (150, 1500)
            } else {
                (1000, 20_000)
            };
            assert!((min..=max).contains(&ms), "{}/{name}: {ms} ms", lang.code());
            assert!(rms(&p) > 0.03, "{}/{name}: rms {}", lang.code(), rms(&p));
        }
    }
}

#[test]
fn digits_and_concat() {
    let prompts = Prompts::builtin().expect("built-in prompts parse");
    let one = prompts.get(Language::En, "digit_1");
    let two = prompts.get(Language::En, "digit_2");
    let both = prompts.digits(Language::En, "1-2");
    assert_eq!(
        both.samples().len(),
        one.samples().len() + 1200 + two.samples().len()
    );
    assert!(prompts.get(Language::De, "nope").samples().is_empty());
    assert_eq!(Language::from_code("de_AT"), Some(Language::De));
    assert_eq!(Language::from_code("fr"), None);
}

#[test]
fn the_operator_replaces_prompts_and_hears_about_bad_files() {
    let dir = std::env::temp_dir().join(format!("countersign-prompts-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("en")).expect("mkdir");
    std::fs::create_dir_all(dir.join("de")).expect("mkdir");
    std::fs::write(dir.join("en/approve.wav"), wav::write(&[1000; 800])).expect("write");
    let prompts = Prompts::load(Some(&dir)).expect("loads");
    assert_eq!(
        prompts.get(Language::En, "approve").samples(),
        &[1000; 800][..]
    );
    assert!(prompts.get(Language::De, "approve").duration_ms() > 1000);

    let mut stereo = wav::write(&[0; 800]);
    stereo[22] = 2;
    std::fs::write(dir.join("de/pin.wav"), stereo).expect("write");
    std::fs::write(dir.join("en/refused.wav"), b"not a wav").expect("write");
    let err = Prompts::load(Some(&dir))
        .expect_err("two bad files")
        .to_string();
    assert!(err.starts_with("2 prompt file(s) unusable"), "{err}");
    assert!(
        err.contains("de/pin.wav") && err.contains("2 channel(s)"),
        "{err}"
    );
    assert!(
        err.contains("en/refused.wav") && err.contains("not a WAV file"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");

    let missing = Prompts::load(Some(Path::new("/nonexistent/prompts"))).expect_err("no dir");
    assert!(missing.to_string().contains("cannot read it"), "{missing}");
}

#[test]
fn the_greeting_says_the_account_name() {
    let prompts = Prompts::builtin().expect("built-in prompts parse");
    for lang in Language::ALL {
        let len = |name: &str| prompts.get(lang, name).samples().len();
        let spelled = prompts.spell(lang, "Ab 1");
        // a, 120 ms, b, 400 ms, 1.
        assert_eq!(
            spelled.samples().len(),
            len("letter_a") + 960 + len("letter_b") + 3200 + len("digit_1")
        );
        assert_eq!(
            prompts.spell(lang, "Äß").samples().len(),
            len("letter_a") + 960 + len("letter_s")
        );
        let g = prompts.greeting(lang, "Ab 1", false);
        let expect = len("intro") + 1200 + spelled.samples().len() + 4800 + len("approve");
        assert_eq!(g.samples().len(), expect, "{}", lang.code());
        let pin = prompts.greeting(lang, "Ab 1", true);
        assert_eq!(pin.samples().len(), expect - len("approve") + len("pin"));
        // No name (or nothing to spell): the built-in "Countersign".
        for empty in ["", " ", "!!"] {
            let g = prompts.greeting(lang, empty, false);
            assert_eq!(
                g.samples().len(),
                len("intro") + 1200 + len("countersign") + 4800 + len("approve")
            );
        }
        assert!(rms(&g) > 0.03);
    }
}

#[test]
fn the_operators_account_name_recording_comes_first() {
    let dir = std::env::temp_dir().join(format!("countersign-name-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("de")).expect("mkdir");
    std::fs::write(dir.join("de/account_name.wav"), wav::write(&[700; 4000])).expect("write");
    let prompts = Prompts::load(Some(&dir)).expect("loads");
    assert_eq!(
        prompts.account_name(Language::De, "Acme").samples(),
        &[700; 4000][..]
    );
    // English has no recording: spelled (no espeak-ng asked for).
    assert_eq!(
        prompts.account_name(Language::En, "Acme"),
        prompts.spell(Language::En, "Acme")
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
