//! SQL only with bound parameters, checked on every run (issue 11, security): a value
//! never reaches the database as SQL text. The production sources (`*/src/**/*.rs`) are
//! scanned for SQL statements built with `format!`; each one may interpolate only
//! identifiers and fixed fragments the code itself defines (a table name from a fixed
//! list, a constant `WHERE` clause), never input, and must say so in a comment
//! `// sql-safe: <why>` on one of the three lines above it. A new dynamic statement
//! without that note fails this test, so a reviewer sees every one.
//!
//! Tests and benchmarks are not scanned: they build databases and tamper with rows on
//! purpose.

use std::path::{Path, PathBuf};

/// The crates whose `src/` is production code.
const CRATES: [&str; 4] = ["domain", "projections", "scheduler", "api"];

/// Words that make a string literal a SQL statement (a message that merely names a
/// keyword, such as "INSERT and SELECT only", does not match).
const STATEMENT_STARTS: [&str; 9] = [
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "CREATE INDEX",
    "CREATE DATABASE",
    "DROP ",
    "ALTER ",
];

fn is_sql(literal: &str) -> bool {
    let upper = literal.to_uppercase();
    STATEMENT_STARTS.iter().any(|s| {
        upper.match_indices(s).any(|(i, _)| {
            let rest = &upper[i..];
            match *s {
                "SELECT " => rest.contains(" FROM "),
                "UPDATE " => rest.contains(" SET "),
                "DROP " => ["TABLE", "DATABASE", "ROLE", "INDEX"]
                    .iter()
                    .any(|k| rest[5..].trim_start().starts_with(k)),
                "ALTER " => ["TABLE", "ROLE"]
                    .iter()
                    .any(|k| rest[6..].trim_start().starts_with(k)),
                _ => true,
            }
        })
    })
}

/// The first argument of each `format!(` in `text` when it is a plain or raw string
/// literal: (line number from 1, the literal's text).
fn format_literals(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    for (at, _) in text.match_indices("format!(") {
        let rest = text[at + "format!(".len()..].trim_start();
        let literal = if let Some(body) = rest.strip_prefix('"') {
            let mut s = String::new();
            let mut escaped = false;
            for c in body.chars() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    break;
                }
                s.push(c);
            }
            s
        } else if let Some(body) = rest.strip_prefix("r#\"") {
            body.split("\"#").next().unwrap_or_default().to_owned()
        } else {
            continue;
        };
        let line = text[..at].matches('\n').count() + 1;
        out.push((line, literal));
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Dynamic SQL in `text` with no `// sql-safe:` note on the three lines above it.
fn unjustified(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    format_literals(text)
        .into_iter()
        .filter(|(_, literal)| is_sql(literal) && literal.contains('{'))
        .filter(|(line, _)| {
            let from = line.saturating_sub(4);
            let to = (*line).min(lines.len());
            !lines[from..to].iter().any(|l| l.contains("// sql-safe:"))
        })
        .collect()
}

#[test]
fn sql_is_built_only_from_identifiers_the_code_defines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![];
    for krate in CRATES {
        rust_files(&root.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 50, "the sources were found: {}", files.len());
    let mut bad = vec![];
    let mut dynamic = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read source");
        dynamic += format_literals(&text)
            .iter()
            .filter(|(_, l)| is_sql(l) && l.contains('{'))
            .count();
        for (line, literal) in unjustified(&text) {
            bad.push(format!("{}:{line}: {literal}", file.display()));
        }
    }
    assert!(dynamic > 0, "the scan sees the known dynamic statements");
    assert!(
        bad.is_empty(),
        "SQL built with format! and no `// sql-safe: <why>` note (bind values with $n \
         instead, or say why only code-defined identifiers are interpolated):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scan_tells_statements_from_messages_and_sees_notes() {
    assert!(is_sql("SELECT a FROM {table} WHERE b = $1"));
    assert!(is_sql("DELETE FROM {t}"));
    assert!(is_sql("UPDATE {t} SET x = 1"));
    assert!(!is_sql(
        "{role} may now run the service: INSERT and SELECT only on the log"
    ));
    assert!(!is_sql("update {n} rows, select one"));
    let text = "fn a() {\n    let s = format!(\"SELECT * FROM {t}\");\n}\n";
    assert_eq!(unjustified(text).len(), 1);
    let noted = "fn a() {\n    // sql-safe: t is one of TABLES\n    let s = format!(\n        \"SELECT * FROM {t}\");\n}\n";
    assert!(unjustified(noted).is_empty());
    let raw = "let s = format!(r#\"DELETE FROM {t}\"#);";
    assert_eq!(unjustified(raw).len(), 1);
}
