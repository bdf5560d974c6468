//! Reading the files departments hand over: CSV (UTF-8 with or without BOM, or
//! GB18030/GBK as Chinese office software exports it — detected, or `--encoding`) and
//! XLSX (the first sheet, or `--sheet`). CSV rows stream one at a time, so a file of ten
//! million rows never sits in memory; each row carries its number as the user sees it
//! in a spreadsheet (the header is row 1). An XLSX sheet is read whole (calamine), which
//! Excel's own limit of 1,048,576 rows keeps bounded.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{open_workbook, open_workbook_auto, Data, Reader, Xlsx};
use encoding_rs::{Encoding, GB18030, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file cannot be opened or read.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// Neither `.csv` nor `.xlsx`.
    #[error("{0}: unsupported file type; expected .csv or .xlsx")]
    UnsupportedType(String),
    /// `--encoding` names no supported encoding.
    #[error("unknown encoding {0:?}; expected utf-8, gb18030 or gbk")]
    UnknownEncoding(String),
    /// A row is not well-formed CSV, or holds bytes invalid in the encoding.
    #[error("row {row}: {reason}")]
    Malformed {
        /// Row number (header = 1).
        row: u64,
        /// What is wrong.
        reason: String,
    },
    /// The named sheet does not exist.
    #[error("no sheet {name:?}; the workbook has: {available}")]
    NoSheet {
        /// The name asked for.
        name: String,
        /// The sheets there are.
        available: String,
    },
    /// The file has no header row.
    #[error("{0}: empty file (expected a header row)")]
    Empty(String),
    /// The file exceeds a bound of [`ImportLimits`], checked before it is paid for.
    #[error("{what}: over the limit of {limit} ({setting}; docs/IMPORT.md \"Limits\")")]
    Limit {
        /// What is too large, and where.
        what: String,
        /// The limit in force.
        limit: u64,
        /// The environment variable that sets it.
        setting: &'static str,
    },
}

/// Bounds on what reading one file may cost, checked as it is read, so that a small
/// upload that inflates (a zip bomb of a spreadsheet, a header of a million columns, a
/// field of half a gigabyte) is refused before it takes the memory or the time. Each is
/// set by an environment variable of the process (`serve` or the CLI); the defaults
/// admit any real directory (Excel's own grid holds 1,048,576 rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Columns of the header or of any row (`JIANXIN_IMPORT_MAX_COLUMNS`, 256).
    pub max_columns: usize,
    /// Characters of one field (`JIANXIN_IMPORT_MAX_FIELD_CHARS`, 4,096).
    pub max_field_chars: usize,
    /// Non-empty cells of an XLSX sheet (`JIANXIN_IMPORT_MAX_CELLS`, 15,000,000).
    pub max_cells: u64,
    /// Bytes of an XLSX sheet once decompressed, as declared and as read
    /// (`JIANXIN_IMPORT_MAX_SHEET_BYTES`, 512 MiB).
    pub max_sheet_bytes: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_columns: 256,
            max_field_chars: 4096,
            max_cells: 15_000_000,
            max_sheet_bytes: 512 << 20,
        }
    }
}

impl ImportLimits {
    /// The defaults, each replaced by its environment variable when that is a number.
    pub fn from_env() -> ImportLimits {
        let d = ImportLimits::default();
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let size = |name: &str, default: usize| {
            var(name)
                .and_then(|v| usize::try_from(v).ok())
                .unwrap_or(default)
        };
        ImportLimits {
            max_columns: size("JIANXIN_IMPORT_MAX_COLUMNS", d.max_columns),
            max_field_chars: size("JIANXIN_IMPORT_MAX_FIELD_CHARS", d.max_field_chars),
            max_cells: var("JIANXIN_IMPORT_MAX_CELLS").unwrap_or(d.max_cells),
            max_sheet_bytes: var("JIANXIN_IMPORT_MAX_SHEET_BYTES").unwrap_or(d.max_sheet_bytes),
        }
    }

    /// A row's fields within the column and field bounds.
    fn check_row(&self, row: u64, fields: &[String]) -> Result<(), SourceError> {
        if fields.len() > self.max_columns {
            return Err(SourceError::Limit {
                what: format!("row {row} has {} columns", fields.len()),
                limit: self.max_columns as u64,
                setting: "JIANXIN_IMPORT_MAX_COLUMNS",
            });
        }
        for (i, field) in fields.iter().enumerate() {
            let chars = field.chars().count();
            if chars > self.max_field_chars {
                return Err(SourceError::Limit {
                    what: format!("row {row}, column {}: a field of {chars} characters", i + 1),
                    limit: self.max_field_chars as u64,
                    setting: "JIANXIN_IMPORT_MAX_FIELD_CHARS",
                });
            }
        }
        Ok(())
    }
}

/// One data row: its number (header = 1) and its fields as text.
pub type Row = (u64, Vec<String>);

/// An opened file: its header and its data rows.
pub struct Source {
    /// Header fields.
    pub header: Vec<String>,
    /// The data rows, in order.
    pub rows: Box<dyn Iterator<Item = Result<Row, SourceError>> + Send>,
    /// What was read: `csv (utf-8)`, `csv (gb18030)`, `xlsx (sheet …)`.
    pub described: String,
}

/// The encoding named by `--encoding`.
pub fn encoding_named(name: &str) -> Result<&'static Encoding, SourceError> {
    match name.trim().to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Ok(UTF_8),
        // GBK is a subset of GB18030: decoding as GB18030 reads both.
        "gb18030" | "gbk" | "gb2312" | "cp936" => Ok(GB18030),
        _ => Err(SourceError::UnknownEncoding(name.to_string())),
    }
}

/// Guess the encoding of a CSV from its first bytes: a UTF-8 BOM or valid UTF-8 means
/// UTF-8, anything else GB18030.
pub fn detect_encoding(sample: &[u8]) -> &'static Encoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return UTF_8;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => UTF_8,
        // a multi-byte character cut by the end of the sample is still UTF-8
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

/// Open `path` (by extension) for streaming.
pub fn open(
    path: &Path,
    encoding: Option<&str>,
    sheet: Option<&str>,
) -> Result<Source, SourceError> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" => open_csv(path, encoding),
        "xlsx" | "xlsm" | "xls" => open_xlsx(path, sheet),
        _ => Err(SourceError::UnsupportedType(shown)),
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> SourceError {
    SourceError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn open_csv(path: &Path, encoding: Option<&str>) -> Result<Source, SourceError> {
    let encoding = match encoding {
        Some(name) => encoding_named(name)?,
        None => {
            let mut sample = vec![0u8; 64 * 1024];
            let mut f = File::open(path).map_err(|e| io(path, e))?;
            let n = read_up_to(&mut f, &mut sample).map_err(|e| io(path, e))?;
            detect_encoding(&sample[..n])
        }
    };
    let file = File::open(path).map_err(|e| io(path, e))?;
    let decoded: Box<dyn Read + Send> = Box::new(
        DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .build(BufReader::with_capacity(1 << 20, file)),
    );
    let limits = ImportLimits::from_env();
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded)
        .into_records();
    let header = match records.next() {
        None => return Err(SourceError::Empty(path.display().to_string())),
        Some(r) => fields(1, r)?,
    };
    limits.check_row(1, &header)?;
    let name = encoding.name().to_ascii_lowercase();
    let rows = records.enumerate().filter_map(move |(i, r)| {
        let row = i as u64 + 2;
        let read = fields(row, r).and_then(|f| limits.check_row(row, &f).map(|()| f));
        match read {
            // wholly empty lines are not rows
            Ok(f) if f.iter().all(|x| x.trim().is_empty()) => None,
            other => Some(other.map(|f| (row, f))),
        }
    });
    Ok(Source {
        header,
        rows: Box::new(rows),
        described: format!("csv ({name})"),
    })
}

fn fields(row: u64, r: Result<csv::StringRecord, csv::Error>) -> Result<Vec<String>, SourceError> {
    let record = r.map_err(|e| SourceError::Malformed {
        row,
        reason: match e.kind() {
            csv::ErrorKind::Utf8 { .. } => {
                "bytes invalid in the file's encoding (try --encoding gb18030 or utf-8)".to_string()
            }
            _ => e.to_string(),
        },
    })?;
    let out: Vec<String> = record.iter().map(|f| f.to_string()).collect();
    if out.iter().any(|f| f.contains('\u{FFFD}')) {
        return Err(SourceError::Malformed {
            row,
            reason: "bytes invalid in the file's encoding (try --encoding gb18030 or utf-8)".into(),
        });
    }
    Ok(out)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Excel's grid: 1,048,576 rows by 16,384 columns (`XFD`). A cell placed beyond it is
/// not a spreadsheet Excel wrote.
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLUMNS: u32 = 1 << 14;

/// The sheet to read: the one named, or the first.
fn sheet_name(path: &Path, names: &[String], sheet: Option<&str>) -> Result<String, SourceError> {
    match sheet {
        Some(s) if names.iter().any(|n| n == s) => Ok(s.to_string()),
        Some(s) => Err(SourceError::NoSheet {
            name: s.to_string(),
            available: names.join(", "),
        }),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| SourceError::Empty(path.display().to_string())),
    }
}

/// An `.xlsx`/`.xlsm` sheet, read cell by cell. calamine's `worksheet_range` would
/// allocate the whole rectangle between the first and the last cell, so two cells far
/// apart (`A1`, `XFD1048576`) in a 2 KB upload asked for 17 billion cells; here memory
/// follows the cells the file holds, and a cell outside Excel's grid is refused.
fn open_xlsx(path: &Path, sheet: Option<&str>) -> Result<Source, SourceError> {
    let is_xls = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xls"));
    if is_xls {
        return open_xls(path, sheet);
    }
    let limits = ImportLimits::from_env();
    check_declared_sizes(path, &limits)?;
    let mut book: Xlsx<_> = open_workbook(path).map_err(|e| io(path, e))?;
    let name = sheet_name(path, book.sheet_names().as_slice(), sheet)?;
    let mut reader = book
        .worksheet_cells_reader(&name)
        .map_err(|e| io(path, e))?;
    // Row → column → text, non-empty cells only.
    let mut cells: BTreeMap<u32, BTreeMap<u32, String>> = BTreeMap::new();
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(cell) = reader.next_cell().map_err(|e| io(path, e))? {
        let (row, column) = cell.get_position();
        if row >= MAX_ROWS || column >= MAX_COLUMNS {
            return Err(SourceError::Malformed {
                row: u64::from(row) + 1,
                reason: format!(
                    "a cell at row {}, column {} lies outside the sheet (at most {MAX_ROWS} rows, {MAX_COLUMNS} columns)",
                    u64::from(row) + 1,
                    u64::from(column) + 1
                ),
            });
        }
        if column as usize >= limits.max_columns {
            return Err(SourceError::Limit {
                what: format!(
                    "row {}: a cell in column {}",
                    u64::from(row) + 1,
                    u64::from(column) + 1
                ),
                limit: limits.max_columns as u64,
                setting: "JIANXIN_IMPORT_MAX_COLUMNS",
            });
        }
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            count += 1;
            bytes += text.len() as u64;
            let over = |what: String, limit: u64, setting| SourceError::Limit {
                what,
                limit,
                setting,
            };
            if count > limits.max_cells {
                let what = format!("sheet {name} holds more cells");
                return Err(over(what, limits.max_cells, "JIANXIN_IMPORT_MAX_CELLS"));
            }
            if bytes > limits.max_sheet_bytes {
                let what = format!("sheet {name} holds more text, in bytes");
                return Err(over(
                    what,
                    limits.max_sheet_bytes,
                    "JIANXIN_IMPORT_MAX_SHEET_BYTES",
                ));
            }
            let chars = text.chars().count();
            if chars > limits.max_field_chars {
                let what = format!(
                    "row {}, column {}: a cell of {chars} characters",
                    u64::from(row) + 1,
                    u64::from(column) + 1
                );
                let setting = "JIANXIN_IMPORT_MAX_FIELD_CHARS";
                return Err(over(what, limits.max_field_chars as u64, setting));
            }
            cells.entry(row).or_default().insert(column, text);
        }
    }
    xlsx_rows(path, cells, format!("xlsx (sheet {name})"))
}

/// The worksheets' sizes once decompressed, as the archive declares them, within the
/// bound: a bomb is refused before a byte of it is inflated. (A size declared falsely
/// is caught while reading, by the cell and text bounds.)
fn check_declared_sizes(path: &Path, limits: &ImportLimits) -> Result<(), SourceError> {
    let file = File::open(path).map_err(|e| io(path, e))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| io(path, e))?;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| io(path, e))?;
        let name = entry.name().map_err(|e| io(path, e))?.into_owned();
        if name.starts_with("xl/worksheets/") && entry.size() > limits.max_sheet_bytes {
            return Err(SourceError::Limit {
                what: format!("{name} inflates to {} bytes", entry.size()),
                limit: limits.max_sheet_bytes,
                setting: "JIANXIN_IMPORT_MAX_SHEET_BYTES",
            });
        }
    }
    Ok(())
}

/// Rows from sparse cells, as calamine's range would give them: the header is the first
/// row holding a cell, columns start at the leftmost cell of the sheet, rows are
/// numbered from the header (= 1), and wholly empty rows are left out. The header spans
/// every column used; a data row ends at its last cell (a short row reads as empty
/// cells, as in a CSV).
fn xlsx_rows(
    path: &Path,
    cells: BTreeMap<u32, BTreeMap<u32, String>>,
    described: String,
) -> Result<Source, SourceError> {
    let first_column = cells
        .values()
        .filter_map(|row| row.keys().next())
        .min()
        .copied()
        .unwrap_or(0);
    let last_column = cells
        .values()
        .filter_map(|row| row.keys().next_back())
        .max()
        .copied()
        .unwrap_or(0);
    let fields = |row: &BTreeMap<u32, String>, end: u32| -> Vec<String> {
        (first_column..=end)
            .map(|c| row.get(&c).cloned().unwrap_or_default())
            .collect()
    };
    let mut rows = cells.iter();
    let Some((&header_row, header_cells)) = rows.next() else {
        return Err(SourceError::Empty(path.display().to_string()));
    };
    let header = fields(header_cells, last_column);
    let data: Vec<Result<Row, SourceError>> = rows
        .filter(|(_, row)| !row.values().all(|x| x.trim().is_empty()))
        .map(|(&r, row)| {
            let end = row.keys().next_back().copied().unwrap_or(first_column);
            Ok((u64::from(r - header_row) + 1, fields(row, end)))
        })
        .collect();
    Ok(Source {
        header,
        rows: Box::new(data.into_iter()),
        described,
    })
}

/// An `.xls` (BIFF) sheet, read whole: its format caps a sheet at 65,536 rows by 256
/// columns, so the range stays bounded.
fn open_xls(path: &Path, sheet: Option<&str>) -> Result<Source, SourceError> {
    let mut book = open_workbook_auto(path).map_err(|e| io(path, e))?;
    let name = sheet_name(path, &book.sheet_names(), sheet)?;
    let range = book.worksheet_range(&name).map_err(|e| io(path, e))?;
    let mut rows = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect::<Vec<String>>());
    let header = rows
        .next()
        .ok_or_else(|| SourceError::Empty(path.display().to_string()))?;
    let data: Vec<Result<Row, SourceError>> = rows
        .enumerate()
        .filter(|(_, f)| !f.iter().all(|x| x.trim().is_empty()))
        .map(|(i, f)| Ok((i as u64 + 2, f)))
        .collect();
    Ok(Source {
        header,
        rows: Box::new(data.into_iter()),
        described: format!("xls (sheet {name})"),
    })
}

/// A cell as the text a person sees: integral numbers without `.0` (region codes are
/// often stored as numbers), dates as YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) => t.date().format("%Y-%m-%d").to_string(),
            None => d.to_string(),
        },
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    fn read_all(p: &Path, enc: Option<&str>) -> (Vec<String>, Vec<Row>) {
        let s = open(p, enc, None).unwrap();
        let rows = s.rows.collect::<Result<Vec<_>, _>>().unwrap();
        (s.header, rows)
    }

    #[test]
    fn utf8_with_and_without_bom_and_gb18030_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let text = "统一社会信用代码,名称\n91350100M000100Y43,福州某某有限公司\n\n";
        let plain = write(&dir, "a.csv", text.as_bytes());
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        let bom = write(&dir, "b.csv", &bom);
        let (gbk, _, _) = GB18030.encode(text);
        let gbk = write(&dir, "c.csv", &gbk);
        let expected = read_all(&plain, None);
        assert_eq!(expected.0, vec!["统一社会信用代码", "名称"]);
        assert_eq!(
            expected.1,
            vec![(
                2,
                vec![
                    "91350100M000100Y43".to_string(),
                    "福州某某有限公司".to_string()
                ]
            )]
        );
        assert_eq!(read_all(&bom, None), expected);
        assert_eq!(read_all(&gbk, None), expected);
        assert_eq!(read_all(&gbk, Some("gbk")), expected);
    }

    #[test]
    fn a_wrong_forced_encoding_is_an_error_naming_the_row() {
        let dir = tempfile::tempdir().unwrap();
        let (gbk, _, _) = GB18030.encode("a,b\n1,福州\n");
        let p = write(&dir, "g.csv", &gbk);
        let s = open(&p, Some("utf-8"), None).unwrap();
        let err = s.rows.collect::<Result<Vec<_>, _>>().unwrap_err();
        assert!(
            matches!(err, SourceError::Malformed { row: 2, .. }),
            "{err}"
        );
        assert!(matches!(
            encoding_named("latin1"),
            Err(SourceError::UnknownEncoding(_))
        ));
    }

    #[test]
    fn unsupported_and_empty_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            open(&write(&dir, "x.json", b"{}"), None, None),
            Err(SourceError::UnsupportedType(_))
        ));
        assert!(matches!(
            open(&write(&dir, "e.csv", b""), None, None),
            Err(SourceError::Empty(_))
        ));
    }

    /// A workbook of one sheet `Sheet1` whose `<sheetData>` is `sheet_data`, stored.
    fn xlsx(sheet_data: &str) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
        const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
        const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
            ),
            (
                "_rels/.rels",
                format!(r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ),
            (
                "xl/workbook.xml",
                format!(r#"<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                format!(r#"<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>"#),
            ),
        ];
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, text) in parts {
            zip.start_file(name, stored).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn inline(cell: &str, text: &str) -> String {
        format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn xlsx_rows_read_like_the_range_did() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = format!(
            r#"<row r="2">{}{}</row><row r="3">{}</row><row r="4"></row><row r="5">{}{}</row>"#,
            inline("B2", "uscc"),
            inline("D2", "name"),
            inline("B3", "91350100M000100Y43"),
            inline("C5", "x"),
            inline("D5", "y"),
        );
        let p = write(&dir, "s.xlsx", &xlsx(&sheet));
        let (header, rows) = read_all(&p, None);
        assert_eq!(header, vec!["uscc", "", "name"]);
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            rows,
            vec![
                (2, strings(&["91350100M000100Y43"])),
                (4, strings(&["", "x", "y"]))
            ]
        );
    }

    /// Fuzzing (import_xlsx, docs/RELIABILITY.md): a cell reference of seven letters
    /// overflowed calamine's column arithmetic; a panic in builds with overflow checks,
    /// a wrapped column in release. Either way the file must be refused.
    #[test]
    fn fuzz_xlsx_cell_reference_beyond_u32_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = format!(
            r#"<row r="1">{}{}</row>"#,
            inline("A1", "uscc"),
            inline("Fnxmlformats.org/package/2006/relationships", "x"),
        );
        let p = write(&dir, "f.xlsx", &xlsx(&sheet));
        assert!(open(&p, None, None).is_err());
        // Eight letters wrap to column 2,431,782,358: outside the sheet.
        let sheet = format!(r#"<row r="1">{}</row>"#, inline("ZZZZZZZZ1", "x"));
        let p = write(&dir, "z.xlsx", &xlsx(&sheet));
        assert!(matches!(
            open(&p, None, None),
            Err(SourceError::Malformed { .. })
        ));
    }

    /// Fuzzing (import_xlsx): two cells far apart made calamine allocate the rectangle
    /// between them (17 billion cells); cells are now read one by one, and a cell in a
    /// column beyond the import's bound (issue 27) is refused as it is read.
    #[test]
    fn fuzz_xlsx_cells_far_apart_read_without_the_rectangle() {
        let dir = tempfile::tempdir().unwrap();
        let sheet = format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            inline("A1", "uscc"),
            inline("A1048576", "far"),
        );
        let p = write(&dir, "far.xlsx", &xlsx(&sheet));
        let (header, rows) = read_all(&p, None);
        assert_eq!(header.len(), 1);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].0, rows[0].1.len()), (1_048_576, 1));
        let sheet = format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            inline("A1", "uscc"),
            inline("XFD1048576", "far"),
        );
        let p = write(&dir, "wide.xlsx", &xlsx(&sheet));
        assert!(matches!(
            open(&p, None, None),
            Err(SourceError::Limit {
                setting: "JIANXIN_IMPORT_MAX_COLUMNS",
                ..
            })
        ));
        let beyond = format!(r#"<row r="1">{}</row>"#, inline("XFE1", "x"));
        let p = write(&dir, "beyond.xlsx", &xlsx(&beyond));
        assert!(matches!(
            open(&p, None, None),
            Err(SourceError::Malformed { .. })
        ));
    }

    #[test]
    fn excel_cells_read_as_people_see_them() {
        assert_eq!(cell_text(&Data::Float(110101.0)), "110101");
        assert_eq!(cell_text(&Data::Float(0.5)), "0.5");
        assert_eq!(cell_text(&Data::String("X".into())), "X");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
