//! Bulk import of the directories (批量导入): reading the files departments hand over
//! ([`source`]), validating every row and writing all or nothing ([`run`]).

pub mod run;
pub mod source;

pub use run::{check_file, import_file, Checked, ImportError, ImportOptions, Imported};
