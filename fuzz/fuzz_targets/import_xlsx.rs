//! Fuzz target `import_xlsx`: the first pass of a directory import
//! ([`jianxin_api::import::check_file`]) on arbitrary bytes saved as an `.xlsx` file.
//!
//! A spreadsheet is a zip of XML parts, read with calamine; a damaged or hostile one must
//! end in an error, never a panic. The first byte picks the directory and whether a
//! sheet is named; seeds in `fuzz/seeds/import_xlsx` are small real workbooks so that the
//! fuzzer starts from zips that open.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use jianxin_api::import::{check_file, ImportOptions};
use jianxin_domain::directory::import::ImportKind;
use jianxin_domain::identifiers::DivisionTable;
use libfuzzer_sys::fuzz_target;

/// The file every run writes, one per process.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("jianxin-fuzz-{}.xlsx", std::process::id()))
    })
}

fn divisions() -> &'static DivisionTable {
    static TABLE: OnceLock<DivisionTable> = OnceLock::new();
    TABLE.get_or_init(DivisionTable::default_table)
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = match selector % 3 {
        0 => ImportKind::Subjects,
        1 => ImportKind::Inspectors,
        _ => ImportKind::Items,
    };
    let sheet = ((selector / 3) % 2 == 1).then(|| "Sheet1".to_owned());
    if std::fs::write(path(), bytes).is_err() {
        return;
    }
    let options = ImportOptions {
        kind,
        encoding: None,
        sheet,
        dry_run: true,
        effective: None,
        progress: false,
    };
    let _ = check_file(path(), &options, divisions());
});
