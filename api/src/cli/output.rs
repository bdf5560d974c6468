//! Printing results and errors in the chosen format.

use serde::Serialize;

use super::{CliError, Format};

/// Print `value` as JSON, or `table` as text.
pub fn print<T: Serialize>(format: Format, value: &T, table: impl FnOnce() -> String) {
    match format {
        Format::Json => match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("{{\"code\":\"internal\",\"message\":\"{e}\"}}"),
        },
        Format::Table => {
            let text = table();
            if text.ends_with('\n') {
                print!("{text}");
            } else {
                println!("{text}");
            }
        }
    }
}

/// Print an error on stderr.
pub fn error(format: Format, e: &CliError) {
    match format {
        Format::Json => {
            let body = serde_json::json!({
                "code": e.code(),
                "message": e.to_string(),
                "location": e.location(),
            });
            eprintln!("{body}");
        }
        Format::Table => match e.location() {
            Some(loc) => eprintln!("error: {e} ({loc})"),
            None => eprintln!("error: {e}"),
        },
    }
}
