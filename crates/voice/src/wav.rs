//! WAV files for prompts: RIFF/WAVE with a `fmt ` chunk of 16-bit PCM,
//! 8000 Hz, one channel (what G.711 carries). Anything else is refused with
//! the command that converts it.

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
    #[error("the WAV file is {found}, a prompt must be 16-bit PCM, 8000 Hz, mono; {CONVERT}")]
    Format { found: String },
}

#[derive(Debug, Clone, Copy)]
struct Format {
    tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
}

/// The samples of an 8 kHz mono 16-bit PCM WAV file.
pub fn parse(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
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
                check(f)?;
                // sox and others write 0 or too large a size when streaming: take what is there.
                let data = body.unwrap_or(&rest[8..]);
                return Ok(data
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect());
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
    if f.tag == 1 && f.channels == 1 && f.rate == RATE && f.bits == 16 {
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
