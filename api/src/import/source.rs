//! Reading the files departments hand over: CSV (UTF-8 with or without BOM, or
//! GB18030/GBK as Chinese office software exports it — detected, or `--encoding`) and
//! XLSX (the first sheet, or `--sheet`). CSV rows stream one at a time, so a file of ten
//! million rows never sits in memory; each row carries its number as the user sees it
//! in a spreadsheet (the header is row 1). An XLSX sheet is read whole (calamine), which
//! Excel's own limit of 1,048,576 rows keeps bounded.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
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
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded)
        .into_records();
    let header = match records.next() {
        None => return Err(SourceError::Empty(path.display().to_string())),
        Some(r) => fields(1, r)?,
    };
    let name = encoding.name().to_ascii_lowercase();
    let rows = records.enumerate().filter_map(move |(i, r)| {
        let row = i as u64 + 2;
        match fields(row, r) {
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

fn open_xlsx(path: &Path, sheet: Option<&str>) -> Result<Source, SourceError> {
    let mut book = open_workbook_auto(path).map_err(|e| io(path, e))?;
    let names = book.sheet_names().to_vec();
    let name = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                return Err(SourceError::NoSheet {
                    name: s.to_string(),
                    available: names.join(", "),
                });
            }
            s.to_string()
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| SourceError::Empty(path.display().to_string()))?,
    };
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
        described: format!("xlsx (sheet {name})"),
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

    #[test]
    fn excel_cells_read_as_people_see_them() {
        assert_eq!(cell_text(&Data::Float(110101.0)), "110101");
        assert_eq!(cell_text(&Data::Float(0.5)), "0.5");
        assert_eq!(cell_text(&Data::String("X".into())), "X");
        assert_eq!(cell_text(&Data::Empty), "");
    }
}
