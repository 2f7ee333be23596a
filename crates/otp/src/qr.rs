//! QR codes of otpauth:// URIs for setup screens: SVG for web pages, PNG
//! for downloads and mail, ANSI text for terminals.
//!
//! Every rendering has the 4-module quiet zone scanners need, dark modules
//! on a light background. The data (which holds a secret) is never written
//! into the output except as the QR modules themselves.

use std::fmt::Write as _;

pub use crate::error::QrError;

/// Light modules around the code, as ISO/IEC 18004 requires.
const QUIET_ZONE: usize = 4;
/// Largest PNG module size: keeps a version-40 PNG under about 35 MB of pixels.
pub const MAX_MODULE_PX: u32 = 32;

/// The module grid with its quiet zone: `dark(x, y)` for any coordinates.
struct Grid {
    dark: Vec<bool>,
    width: usize,
}

impl Grid {
    fn new(data: &str) -> Result<Self, QrError> {
        let (dark, width) = crate::qr_mask::encode(data.as_bytes()).map_err(|err| match err {
            qrcode::types::QrError::DataTooLong => QrError::TooLong { len: data.len() },
            other => QrError::Encode {
                reason: other.to_string(),
            },
        })?;
        Ok(Grid { dark, width })
    }

    /// Side length in modules, quiet zone included.
    fn size(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }

    /// Whether the module at (x, y), in quiet-zone coordinates, is dark.
    /// Anything outside the code (quiet zone or beyond) is light.
    fn dark(&self, x: usize, y: usize) -> bool {
        let inside = |v: usize| v.checked_sub(QUIET_ZONE).filter(|&v| v < self.width);
        match (inside(x), inside(y)) {
            (Some(x), Some(y)) => self.dark.get(y * self.width + x) == Some(&true),
            _ => false,
        }
    }
}

/// A standalone `<svg>` element: a white square with black modules, one
/// unit per module and a `viewBox`, so it scales to its container.
pub fn svg(data: &str) -> Result<String, QrError> {
    let grid = Grid::new(data)?;
    let size = grid.size();
    let mut path = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            let run = (x..size).take_while(|&i| grid.dark(i, y)).count();
            if run > 0 {
                // Writing to a String cannot fail.
                let _ = write!(path, "M{x} {y}h{run}v1h-{run}z");
            }
            x += run.max(1);
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// A 1-bit grayscale PNG (black and white are all a QR code has; 8-bit
/// pixels made each welcome email's inline code several times larger and
/// slower to compress), `module_px` pixels per module (1 to
/// [`MAX_MODULE_PX`]), with a 4-module quiet zone.
pub fn png(data: &str, module_px: u32) -> Result<Vec<u8>, QrError> {
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(QrError::ModuleSize {
            module_px,
            max: MAX_MODULE_PX,
        });
    }
    let grid = Grid::new(data)?;
    let scale = module_px as usize;
    let side = grid.size() * scale;
    // Each row packs 8 pixels a byte, first pixel in the high bit; 1 is white.
    let row_bytes = side.div_ceil(8);
    let mut pixels = Vec::with_capacity(row_bytes * side);
    for y in 0..grid.size() {
        let mut row = vec![0u8; row_bytes];
        for px in 0..side {
            if !grid.dark(px / scale, y) {
                row[px / 8] |= 0x80 >> (px % 8);
            }
        }
        for _ in 0..scale {
            pixels.extend_from_slice(&row);
        }
    }
    encode_png(&pixels, side)
}

fn encode_png(pixels: &[u8], side: usize) -> Result<Vec<u8>, QrError> {
    let png_error = |err: png::EncodingError| QrError::Png {
        reason: err.to_string(),
    };
    // side is at most (177 + 8) * MAX_MODULE_PX, far below u32::MAX.
    let side = u32::try_from(side).map_err(|_| QrError::Png {
        reason: "image too large".into(),
    })?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(pixels).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(out)
}

/// Black on white (256-colour palette entries 16 and 231 are exact black
/// and white in every palette), so the code scans whatever the terminal's
/// own colours are.
const ANSI_COLORS: &str = "\x1b[38;5;16;48;5;231m";
const ANSI_RESET_LINE: &str = "\x1b[0m\n";

/// Text for a terminal: each character holds two modules stacked (Unicode
/// half blocks), explicitly coloured black on white; every line ends with
/// `"\x1b[0m\n"`.
pub fn ansi(data: &str) -> Result<String, QrError> {
    let grid = Grid::new(data)?;
    let size = grid.size();
    let mut out = String::new();
    for y in (0..size).step_by(2) {
        out.push_str(ANSI_COLORS);
        out.extend((0..size).map(|x| half_block(grid.dark(x, y), grid.dark(x, y + 1))));
        out.push_str(ANSI_RESET_LINE);
    }
    Ok(out)
}

/// The character for a top and bottom module; the foreground is black.
fn half_block(top: bool, bottom: bool) -> char {
    match (top, bottom) {
        (true, true) => '█',
        (true, false) => '▀',
        (false, true) => '▄',
        (false, false) => ' ',
    }
}

#[cfg(test)]
#[path = "qr_tests.rs"]
mod tests;
