//! Fuzz target `import_csv`: the first pass of a directory import
//! ([`jianxin_api::import::check_file`]) on arbitrary bytes saved as a `.csv` file.
//!
//! Departments hand over CSV exports in UTF-8 or GB18030 from whatever software they
//! use; the importer reads them as files (the CLI's path, the HTTP upload's temporary
//! file). A file of any bytes must end in a report or an error, never a panic. The first
//! byte picks the directory (subjects, inspectors, items) and whether the encoding is
//! detected or forced.

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
        std::env::temp_dir().join(format!("jianxin-fuzz-{}.csv", std::process::id()))
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
    let encoding = match (selector / 3) % 4 {
        0 | 1 => None,
        2 => Some("utf-8".to_owned()),
        _ => Some("gb18030".to_owned()),
    };
    if std::fs::write(path(), bytes).is_err() {
        return;
    }
    let options = ImportOptions {
        kind,
        encoding,
        sheet: None,
        dry_run: true,
        effective: None,
        progress: false,
    };
    let _ = check_file(path(), &options, divisions());
});
