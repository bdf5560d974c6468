//! Bulk import of the directories (批量导入): reading files, validating every row, and writing all or nothing.

pub mod source;
