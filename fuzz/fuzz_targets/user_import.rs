//! The user-import CSV (`countersign user import`, `POST /api/v1/users/import`):
//! `parse` never panics; rows come in line order after the header, with a
//! username and only trimmed, non-empty cells; what a row asks for is
//! checked (`desired`) without panicking, and splitting the rows into groups
//! keeps every row and each user's lines in file order.
#![no_main]

use countersign_domain::admin::user_import::{desired, group, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = parse::parse(data) else {
        return;
    };
    assert!(!rows.is_empty(), "a parsed file has at least one user line");
    let lines = data.split(|b| *b == b'\n').count();
    let mut last = 0;
    for row in &rows {
        let at = match row {
            Ok(row) => row.at,
            Err((at, _, reason)) => {
                assert!(!reason.is_empty(), "a refused line says why");
                *at
            }
        };
        assert!(at > last && at <= lines, "line {at} after {last}, within {lines}");
        last = at;
        let Ok(row) = row else { continue };
        assert!(!row.username.is_empty() && row.username.trim() == row.username);
        for cell in [
            &row.first_name,
            &row.last_name,
            &row.email,
            &row.country_code,
            &row.phone,
            &row.extension,
            &row.backup_country_code,
            &row.backup_phone,
            &row.default_method,
            &row.enabled,
            &row.token_serial,
            &row.language,
        ]
        .into_iter()
        .flatten()
        {
            assert!(!cell.is_empty() && cell.trim() == cell, "cells are trimmed: {cell:?}");
        }
        if let Ok(want) = desired::desired(row) {
            if let Some(phone) = want.phone {
                assert!(phone.starts_with('+'), "phones become E.164: {phone}");
            }
        }
    }
    let count = rows.len();
    let order: Vec<usize> = rows.iter().map(line_of).collect();
    let groups = group::split(rows, 1 + data.first().copied().unwrap_or(0) as usize % 8);
    assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), count, "no row lost");
    for g in &groups {
        let lines: Vec<usize> = g.iter().map(line_of).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "file order in a group");
        assert!(lines.iter().all(|l| order.contains(l)));
    }
});

fn line_of(row: &parse::Parsed) -> usize {
    match row {
        Ok(row) => row.at,
        Err((at, _, _)) => *at,
    }
}
