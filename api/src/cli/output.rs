//! Printing results and errors in the chosen format.

use std::io::Write;

use serde::Serialize;

use super::{CliError, Format};

/// Print `value` as JSON, or `table` as text.
pub fn print<T: Serialize>(format: Format, value: &T, table: impl FnOnce() -> String) {
    match format {
        Format::Json => match serde_json::to_string_pretty(value) {
            Ok(s) => out(&format!("{s}\n")),
            Err(e) => eprintln!("{{\"code\":\"internal\",\"message\":\"{e}\"}}"),
        },
        Format::Table => {
            let text = table();
            if text.ends_with('\n') {
                out(&text);
            } else {
                out(&format!("{text}\n"));
            }
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`jianxin … | head`) ends the process
/// quietly with status 0, as Unix tools do, where `println!` would panic; any other
/// write error ends it with the infrastructure status (4). What the command did is done
/// by then: printing is its last step.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(4);
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
