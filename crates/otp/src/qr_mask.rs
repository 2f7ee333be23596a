//! The QR encoder's mask choice, computed on a flat grid.
//!
//! `qrcode::QrCode::new` tries all eight masks and keeps the one with the
//! lowest penalty (ISO/IEC 18004 §7.8.3), but its scoring boxes a closure
//! for every module it looks at: 0.6 ms of a welcome email's 0.7 ms QR (a
//! 100,000-user directory sync sends 100,000 of them). This module builds
//! the same canvas through the crate's public parts and scores each mask
//! with the crate's own rules (including its quirks, so the choice, and the
//! code, are identical; `qr_tests` compares them) over a `Vec<bool>`.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::types::{Color, EcLevel, QrResult};

/// The order the crate tries them in: on a tie, the first wins.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The modules (row by row, `true` dark) and the width of `data`'s code at
/// error correction level M, the smallest version that holds it: what
/// `QrCode::new(data)` makes.
pub(crate) fn encode(data: &[u8]) -> QrResult<(Vec<bool>, usize)> {
    let ec_level = EcLevel::M;
    let bits = qrcode::bits::encode_auto(data, ec_level)?;
    let version = bits.version();
    let width = version.width() as usize;
    let raw = bits.into_bytes();
    let (encoded, ec) = qrcode::ec::construct_codewords(&raw, version, ec_level)?;
    let mut canvas = Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&encoded, &ec);
    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(mask);
        let dark: Vec<bool> = masked
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = penalty(&Grid::new(&dark, width));
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, dark));
        }
    }
    let (_, dark) = best.unwrap_or_default();
    Ok((dark, width))
}

/// The masked modules row by row, and the same transposed (columns as
/// rows), so every rule reads contiguous slices.
struct Grid<'a> {
    dark: &'a [bool],
    columns: Vec<bool>,
    width: usize,
}

impl<'a> Grid<'a> {
    fn new(dark: &'a [bool], width: usize) -> Grid<'a> {
        let mut columns = vec![false; dark.len()];
        for (i, d) in dark.iter().enumerate() {
            columns[(i % width) * width + i / width] = *d;
        }
        Grid {
            dark,
            columns,
            width,
        }
    }

    /// Every row, then every column.
    fn lines(&self) -> impl Iterator<Item = &[bool]> {
        self.dark
            .chunks(self.width)
            .chain(self.columns.chunks(self.width))
    }
}

fn penalty(grid: &Grid<'_>) -> u32 {
    grid.lines().map(|l| runs(l) + finders(l)).sum::<u32>() + blocks(grid) + balance(grid)
}

/// Every run of 5 + N modules of one colour in the line: 3 + N.
fn runs(line: &[bool]) -> u32 {
    let mut score = 0;
    let mut run = 1;
    for pair in line.windows(2) {
        if pair[0] == pair[1] {
            run += 1;
            continue;
        }
        if run >= 5 {
            score += run - 2;
        }
        run = 1;
    }
    if run >= 5 {
        score += run - 2;
    }
    score
}

/// Every 2×2 block of one colour (overlapping ones too): 3.
fn blocks(grid: &Grid<'_>) -> u32 {
    let rows: Vec<&[bool]> = grid.dark.chunks(grid.width).collect();
    let mut score = 0;
    for pair in rows.windows(2) {
        let (top, bottom) = (pair[0], pair[1]);
        for x in 0..grid.width - 1 {
            let c = top[x];
            if top[x + 1] == c && bottom[x] == c && bottom[x + 1] == c {
                score += 3;
            }
        }
    }
    score
}

/// Every `#.###.#` in the line with no dark module in the four before it or
/// in the four after it (outside the code counts as light): 40, as the
/// crate counts it. (The crate then subtracts the 18 matches the finder
/// patterns make in every mask: a constant, so the choice is the same.)
fn finders(line: &[bool]) -> u32 {
    const PATTERN: [bool; 7] = [true, false, true, true, true, false, true];
    let w = line.len();
    let mut score: u32 = 0;
    for (j, window) in line.windows(7).enumerate() {
        if window != PATTERN {
            continue;
        }
        let before = line[j.saturating_sub(4)..j].contains(&true);
        let after = line[j + 7..(j + 11).min(w)].contains(&true);
        if !before || !after {
            score += 40;
        }
    }
    score
}

/// The distance of the dark share from half, in half-percents (at most 100).
fn balance(grid: &Grid<'_>) -> u32 {
    let dark = grid.dark.iter().filter(|d| **d).count();
    let ratio = dark * 200 / grid.dark.len();
    ratio.abs_diff(100) as u32
}
