use super::*;
use qrcode::{Color, QrCode};

const URI: &str = "otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30";

/// The reference: the encoder's own modules with a 4-module light border.
fn expected_modules(data: &str) -> Vec<Vec<bool>> {
    let code = QrCode::new(data.as_bytes()).expect("test data fits in a QR code");
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    (0..size)
        .map(|y| {
            (0..size)
                .map(|x| {
                    let (Some(cx), Some(cy)) = (x.checked_sub(4), y.checked_sub(4)) else {
                        return false;
                    };
                    cx < width && cy < width && colors[cy * width + cx] == Color::Dark
                })
                .collect()
        })
        .collect()
}

/// Reads the modules back out of our SVG path ("M{x} {y}h{run}v1h-{run}z").
fn modules_from_svg(svg: &str, size: usize) -> Vec<Vec<bool>> {
    let mut grid = vec![vec![false; size]; size];
    let path = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next());
    for run in path
        .expect("the SVG has a path")
        .split('M')
        .filter(|s| !s.is_empty())
    {
        let numbers: Vec<usize> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("numbers"))
            .collect();
        let (x, y, len) = (numbers[0], numbers[1], numbers[2]);
        for cell in &mut grid[y][x..x + len] {
            *cell = true;
        }
    }
    grid
}

#[test]
fn svg_draws_exactly_the_code_modules_with_a_quiet_zone() {
    let svg = svg(URI).expect("fits");
    let expected = expected_modules(URI);
    let size = expected.len();
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains(&format!("viewBox=\"0 0 {size} {size}\"")));
    assert!(svg.contains("fill=\"#fff\"") && svg.contains("fill=\"#000\""));
    assert!(
        !svg.contains("JBSWY3DPEHPK3PXP"),
        "the secret leaked into the SVG text"
    );
    assert_eq!(modules_from_svg(&svg, size), expected);
}

#[test]
fn png_pixels_match_the_code_modules() {
    let module_px = 3;
    let bytes = png(URI, module_px).expect("fits");
    let mut decoder = png::Decoder::new(bytes.as_slice());
    // Read as 8-bit pixels (0 or 255), whatever the file's depth.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a valid PNG");
    assert_eq!(
        reader.info().bit_depth,
        png::BitDepth::One,
        "black and white"
    );
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("one frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);

    let expected = expected_modules(URI);
    let side = expected.len() * module_px as usize;
    assert_eq!((info.width as usize, info.height as usize), (side, side));
    for (y, row) in pixels.chunks(info.line_size).take(side).enumerate() {
        for (x, &pixel) in row.iter().take(side).enumerate() {
            let dark = expected[y / 3][x / 3];
            assert_eq!(pixel, if dark { 0 } else { 255 }, "pixel ({x}, {y})");
        }
    }
}

#[test]
fn png_rejects_module_sizes_out_of_range() {
    for module_px in [0, MAX_MODULE_PX + 1, u32::MAX] {
        assert_eq!(
            png(URI, module_px),
            Err(QrError::ModuleSize {
                module_px,
                max: MAX_MODULE_PX
            })
        );
    }
    assert!(png(URI, 1).is_ok());
}

#[test]
fn ansi_draws_the_code_in_half_blocks_black_on_white() {
    let text = ansi(URI).expect("fits");
    let expected = expected_modules(URI);
    let size = expected.len();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert_eq!(lines.len(), size.div_ceil(2));
    for (row, line) in lines.iter().enumerate() {
        let body = line
            .strip_prefix(ANSI_COLORS)
            .and_then(|rest| rest.strip_suffix("\x1b[0m\n"))
            .unwrap_or_else(|| panic!("line {row} is not coloured and reset: {line:?}"));
        let cells: Vec<char> = body.chars().collect();
        assert_eq!(cells.len(), size, "line {row}");
        for (x, cell) in cells.into_iter().enumerate() {
            let top = expected[2 * row][x];
            let bottom = expected.get(2 * row + 1).is_some_and(|r| r[x]);
            assert_eq!(cell, half_block(top, bottom), "cell ({x}, {row})");
        }
    }
}

#[test]
fn data_too_long_for_a_qr_code_is_an_error() {
    let data = "x".repeat(5000);
    assert_eq!(svg(&data), Err(QrError::TooLong { len: 5000 }));
    assert_eq!(png(&data, 4), Err(QrError::TooLong { len: 5000 }));
    assert_eq!(ansi(&data), Err(QrError::TooLong { len: 5000 }));
    assert!(QrError::TooLong { len: 5000 }
        .to_string()
        .contains("shorten"));
}

#[test]
fn empty_data_still_renders() {
    assert!(svg("").is_ok());
    assert!(ansi("").is_ok());
}

/// The fast mask choice makes exactly the crate's code: data of every
/// length up to version 10 or so, in the byte, alphanumeric and numeric
/// modes, and an activation link as the welcome email carries it.
#[test]
fn the_mask_choice_is_the_encoders_own() {
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut samples = vec![
        URI.to_string(),
        "https://mfa.example.org/app/#activate=1234567890123456&pin=sha256/47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU".to_string(),
    ];
    for len in 1..260 {
        let alphabet: &[u8] = match len % 3 {
            0 => b"0123456789",
            1 => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:",
            _ => b"abcdefghijklmnopqrstuvwxyz0123456789?&=%/:._-",
        };
        let text: String = (0..len)
            .map(|_| alphabet[next() as usize % alphabet.len()] as char)
            .collect();
        samples.push(text);
    }
    for data in samples {
        let code = QrCode::new(data.as_bytes()).expect("fits");
        let theirs: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
        let (ours, width) = crate::qr_mask::encode(data.as_bytes()).expect("fits");
        assert_eq!(width, code.width(), "{data}");
        assert!(ours == theirs, "a different code for {data:?}");
    }
}
