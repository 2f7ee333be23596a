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
        let score = penalty(&Grid { dark: &dark, width });
        if best.as_ref().is_none_or(|(lowest, _)| score < *lowest) {
            best = Some((score, dark));
        }
    }
    let (_, dark) = best.unwrap_or_default();
    Ok((dark, width))
}

struct Grid<'a> {
    dark: &'a [bool],
    width: usize,
}

impl Grid<'_> {
    /// The module in `line` at `at`, along rows (`horizontal`) or columns.
    fn at(&self, horizontal: bool, line: usize, at: usize) -> bool {
        match horizontal {
            true => self.dark[line * self.width + at],
            false => self.dark[at * self.width + line],
        }
    }
}

fn penalty(grid: &Grid<'_>) -> u32 {
    runs(grid, true)
        + runs(grid, false)
        + blocks(grid)
        + finders(grid, true)
        + finders(grid, false)
        + balance(grid)
}

/// Every run of 5 + N modules of one colour in a row or column: 3 + N.
fn runs(grid: &Grid<'_>, horizontal: bool) -> u32 {
    let mut score = 0;
    for line in 0..grid.width {
        let mut run = 1;
        for at in 1..=grid.width {
            if at < grid.width && grid.at(horizontal, line, at) == grid.at(horizontal, line, at - 1)
            {
                run += 1;
                continue;
            }
            if run >= 5 {
                score += run - 2;
            }
            run = 1;
        }
    }
    score
}

/// Every 2×2 block of one colour (overlapping ones too): 3.
fn blocks(grid: &Grid<'_>) -> u32 {
    let w = grid.width;
    let mut score = 0;
    for y in 0..w - 1 {
        for x in 0..w - 1 {
            let c = grid.dark[y * w + x];
            if grid.dark[y * w + x + 1] == c
                && grid.dark[(y + 1) * w + x] == c
                && grid.dark[(y + 1) * w + x + 1] == c
            {
                score += 3;
            }
        }
    }
    score
}

/// Every `#.###.#` with no dark module in the four before it or in the four
/// after it (outside the code counts as light): 40, less the 9 matches the
/// three finder patterns always make (360), as the crate counts it.
fn finders(grid: &Grid<'_>, horizontal: bool) -> u32 {
    const PATTERN: [bool; 7] = [true, false, true, true, true, false, true];
    let w = grid.width;
    let mut score: u32 = 0;
    for line in 0..w {
        for j in 0..w - 6 {
            if (0..7).any(|k| grid.at(horizontal, line, j + k) != PATTERN[k]) {
                continue;
            }
            let before = (j.saturating_sub(4)..j).any(|k| grid.at(horizontal, line, k));
            let after = (j + 7..(j + 11).min(w)).any(|k| grid.at(horizontal, line, k));
            if !before || !after {
                score += 40;
            }
        }
    }
    // The three finder patterns' 9 matches are always there.
    score.saturating_sub(360)
}

/// The distance of the dark share from half, in half-percents (at most 100).
fn balance(grid: &Grid<'_>) -> u32 {
    let dark = grid.dark.iter().filter(|d| **d).count();
    let ratio = dark * 200 / grid.dark.len();
    ratio.abs_diff(100) as u32
}
