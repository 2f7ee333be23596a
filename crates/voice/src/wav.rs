//! WAV files for prompts: RIFF/WAVE with a `fmt ` chunk of 16-bit PCM or
//! 8-bit µ-law, 8000 Hz, one channel (what G.711 carries). Anything else is
//! refused with the command that converts it. [`parse_any_rate`] reads a mono
//! 16-bit file of another rate (espeak-ng's 22050 Hz) for [`resample`].

use thiserror::Error;

/// The sample rate, channels and bits a prompt must have.
pub const RATE: u32 = 8000;

/// Longest prompt file read (10 minutes at 8 kHz, 16 bit).
pub const MAX_LEN: usize = 10 * 60 * 16_000 + 1024;

const CONVERT: &str = "convert it with: sox IN.wav -r 8000 -c 1 -b 16 -e signed-integer OUT.wav";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WavError {
    #[error("not a WAV file (no RIFF/WAVE header); {CONVERT}")]
    NotWav,
    #[error("the WAV file is {0} bytes, more than a 10 minute prompt; shorten it")]
    TooLong(usize),
    #[error("the WAV file ends inside its {0:?} chunk: it is cut short; make it again")]
    Truncated(String),
    #[error("the WAV file has no fmt chunk before its data; {CONVERT}")]
    NoFormat,
    #[error("the WAV file has no data chunk; {CONVERT}")]
    NoData,
    #[error("the WAV file is {found}, a prompt must be 16-bit PCM or 8-bit µ-law, 8000 Hz, mono; {CONVERT}")]
    Format { found: String },
}

#[derive(Debug, Clone, Copy)]
struct Format {
    tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
}

/// The samples of an 8 kHz mono WAV file (16-bit PCM or 8-bit µ-law).
pub fn parse(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
    let (format, data) = chunks(bytes)?;
    check(format)?;
    Ok(samples(format, data))
}

/// The rate and samples of a mono 16-bit PCM or µ-law WAV file of any rate.
pub fn parse_any_rate(bytes: &[u8]) -> Result<(u32, Vec<i16>), WavError> {
    let (format, data) = chunks(bytes)?;
    check(Format {
        rate: RATE,
        ..format
    })?;
    Ok((format.rate, samples(format, data)))
}

fn samples(f: Format, data: &[u8]) -> Vec<i16> {
    if f.tag == 7 {
        return data
            .iter()
            .map(|&b| crate::g711::Law::Ulaw.decode(b))
            .collect();
    }
    data.chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// The format and the data chunk's bytes.
fn chunks(bytes: &[u8]) -> Result<(Format, &[u8]), WavError> {
    if bytes.len() > MAX_LEN {
        return Err(WavError::TooLong(bytes.len()));
    }
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(WavError::NotWav);
    }
    let mut rest = &bytes[12..];
    let mut format = None;
    while rest.len() >= 8 {
        let id = &rest[..4];
        let size = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let name = String::from_utf8_lossy(id).into_owned();
        let body = rest.get(8..8usize.saturating_add(size));
        match id {
            b"fmt " => format = Some(read_format(body.ok_or(WavError::Truncated(name))?)?),
            b"data" => {
                let f = format.ok_or(WavError::NoFormat)?;
                // sox and others write 0 or too large a size when streaming: take what is there.
                return Ok((f, body.unwrap_or(&rest[8..])));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        let skip = 8usize.saturating_add(size).saturating_add(size & 1);
        rest = rest.get(skip..).unwrap_or(&[]);
    }
    Err(WavError::NoData)
}

fn read_format(body: &[u8]) -> Result<Format, WavError> {
    if body.len() < 16 {
        return Err(WavError::Truncated("fmt ".into()));
    }
    let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
    let mut tag = u16_at(0);
    // WAVE_FORMAT_EXTENSIBLE: the real format is the subformat GUID's first two bytes.
    if tag == 0xFFFE && body.len() >= 26 {
        tag = u16_at(24);
    }
    Ok(Format {
        tag,
        channels: u16_at(2),
        rate: u32::from_le_bytes([body[4], body[5], body[6], body[7]]),
        bits: u16_at(14),
    })
}

fn check(f: Format) -> Result<(), WavError> {
    let pcm = f.tag == 1 && f.bits == 16;
    let ulaw = f.tag == 7 && f.bits == 8;
    if (pcm || ulaw) && f.channels == 1 && f.rate == RATE {
        return Ok(());
    }
    let kind = match f.tag {
        1 => "PCM".to_string(),
        3 => "floating point".to_string(),
        6 => "A-law".to_string(),
        7 => "µ-law".to_string(),
        t => format!("format {t}"),
    };
    Err(WavError::Format {
        found: format!(
            "{kind}, {} Hz, {} channel(s), {} bit",
            f.rate, f.channels, f.bits
        ),
    })
}

/// An 8 kHz mono 16-bit PCM WAV file of `samples` (for tests and tools).
pub fn write(samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// `samples` at `from` Hz to 8000 Hz: a windowed-sinc low-pass at 3.6 kHz
/// evaluated at each output instant (espeak-ng's 22050 Hz speech to the
/// phone's rate without aliasing).
pub fn resample(samples: &[i16], from: u32) -> Vec<i16> {
    if from == RATE || from == 0 || samples.is_empty() {
        return samples.to_vec();
    }
    const HALF: i64 = 24;
    let step = f64::from(from) / f64::from(RATE);
    // The cutoff relative to the input rate (below the lower Nyquist).
    let cutoff = 3600.0 / f64::from(from);
    let out_len = (samples.len() as f64 / step) as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let t = n as f64 * step;
        let centre = t.floor() as i64;
        let mut acc = 0.0;
        for k in centre - HALF + 1..=centre + HALF {
            let Some(&x) = usize::try_from(k).ok().and_then(|i| samples.get(i)) else {
                continue;
            };
            let d = t - k as f64;
            let sinc = if d.abs() < 1e-9 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * d).sin() / (std::f64::consts::PI * d)
            };
            let window = 0.5 + 0.5 * (std::f64::consts::PI * d / HALF as f64).cos();
            acc += f64::from(x) * sinc * window;
        }
        out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_extra_chunks() {
        let samples = [0i16, 1, -1, i16::MAX, i16::MIN];
        assert_eq!(parse(&write(&samples)), Ok(samples.to_vec()));
        // A LIST chunk of odd size (padded) between fmt and data, as sox writes comments.
        let mut w = write(&samples);
        let list = [b"LIST".as_slice(), &3u32.to_le_bytes(), b"abc\0"].concat();
        w.splice(36..36, list);
        assert_eq!(parse(&w), Ok(samples.to_vec()));
    }

    #[test]
    fn wrong_formats_say_what_they_are() {
        let mut w = write(&[0; 10]);
        w[24..28].copy_from_slice(&44_100u32.to_le_bytes());
        let err = parse(&w).expect_err("44.1 kHz refused");
        assert!(
            err.to_string()
                .contains("PCM, 44100 Hz, 1 channel(s), 16 bit"),
            "{err}"
        );
        assert!(err.to_string().contains("sox IN.wav -r 8000"));
        let mut w = write(&[0; 10]);
        w[22] = 2;
        assert!(matches!(parse(&w), Err(WavError::Format { .. })));
        let mut w = write(&[0; 10]);
        w[20] = 7;
        assert!(parse(&w).expect_err("µ-law").to_string().contains("µ-law"));
    }

    #[test]
    fn ulaw_files_and_other_rates() {
        // 8-bit µ-law as sox writes it (fmt of 18 bytes, a fact chunk).
        let codes = [0xFFu8, 0x7F, 0x00, 0x80];
        let mut w =
            b"RIFF\0\0\0\0WAVEfmt \x12\0\0\0\x07\0\x01\0\x40\x1f\0\0\x40\x1f\0\0\x01\0\x08\0\0\0"
                .to_vec();
        w.extend_from_slice(b"fact\x04\0\0\0\x04\0\0\0data\x04\0\0\0");
        w.extend_from_slice(&codes);
        let expect: Vec<i16> = codes
            .iter()
            .map(|&c| crate::g711::Law::Ulaw.decode(c))
            .collect();
        assert_eq!(parse(&w), Ok(expect));
        // 22050 Hz is refused as a prompt but read for resampling.
        let mut w = write(&[100; 2205]);
        w[24..28].copy_from_slice(&22_050u32.to_le_bytes());
        assert!(matches!(parse(&w), Err(WavError::Format { .. })));
        let (rate, samples) = parse_any_rate(&w).expect("any rate");
        assert_eq!((rate, samples.len()), (22_050, 2205));
    }

    #[test]
    fn resampling_keeps_speech_band_and_drops_what_aliases() {
        let tone = |freq: f64, rate: u32| -> Vec<i16> {
            (0..rate)
                .map(|i| {
                    (8000.0
                        * (2.0 * std::f64::consts::PI * freq * f64::from(i) / f64::from(rate))
                            .sin()) as i16
                })
                .collect()
        };
        let rms = |s: &[i16]| {
            let mid = &s[s.len() / 4..3 * s.len() / 4];
            (mid.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / mid.len() as f64).sqrt()
        };
        let low = resample(&tone(1000.0, 22_050), 22_050);
        assert_eq!(low.len(), 8000);
        let r = rms(&low);
        assert!(
            (r - 8000.0 / 2f64.sqrt()).abs() < 400.0,
            "1 kHz kept: rms {r}"
        );
        // 7 kHz would fold to 1 kHz at 8 kHz: it must be gone.
        let high = resample(&tone(7000.0, 22_050), 22_050);
        assert!(rms(&high) < 150.0, "7 kHz removed: rms {}", rms(&high));
        assert_eq!(resample(&[1, 2, 3], 8000), vec![1, 2, 3]);
    }

    #[test]
    fn broken_files() {
        assert_eq!(parse(b"RIFF\0\0\0\0WAVX"), Err(WavError::NotWav));
        assert_eq!(parse(b"ID3"), Err(WavError::NotWav));
        assert_eq!(parse(b"RIFF\0\0\0\0WAVE"), Err(WavError::NoData));
        let w = write(&[0; 10]);
        assert_eq!(parse(&w[..30]), Err(WavError::Truncated("fmt ".into())));
        let mut no_fmt = b"RIFF\0\0\0\0WAVE".to_vec();
        no_fmt.extend_from_slice(&w[36..]);
        assert_eq!(parse(&no_fmt), Err(WavError::NoFormat));
        // A data size larger than the file: the samples that are there.
        let mut long = write(&[5; 4]);
        long[40..44].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(parse(&long), Ok(vec![5; 4]));
    }
}
