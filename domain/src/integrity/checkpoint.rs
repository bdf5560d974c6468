//! Signed checkpoints: the log's periodic, signed statement "my tree has this size and
//! this root, at this time", in the C2SP `tlog-checkpoint` format inside a C2SP
//! `signed-note`. Anyone holding two checkpoints can demand a consistency proof between
//! them; a log that rewrote history cannot produce one.
//!
//! The body is exactly four lines, each ending in `\n`:
//!
//! ```text
//! jianxin.example/log
//! 1234
//! <base64 of the 32-byte root, standard alphabet, padded>
//! time 2024-05-01T08:00:00Z
//! ```
//!
//! The fourth line is jianxin's one extension line; a body with any other extension line
//! is rejected, so a verifier never signs off on text it did not understand.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, Utc};

use super::keys::{NoteSigner, NoteVerifier};
use super::merkle::Hash;
use super::note::{open_note, sign_note, NoteError};

/// The `chrono` format of the time line: RFC 3339, UTC, whole seconds, `Z`.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Why a checkpoint could not be built, signed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note around the body is malformed or not signed by the expected key.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A body line does not have the form the format requires.
    #[error("checkpoint line {line}: expected {expected}, found {found:?}")]
    Line {
        /// One-based line number (the same in the body and in the whole note).
        line: usize,
        /// What the line should hold.
        expected: &'static str,
        /// The line as found, cut to 80 characters.
        found: String,
    },
    /// The body ends before a required line.
    #[error("checkpoint line {line}: expected {expected}, but the body ends before it")]
    MissingLine {
        /// One-based line number.
        line: usize,
        /// What the line should hold.
        expected: &'static str,
    },
    /// The origin is empty or holds a control character.
    #[error("checkpoint origin must be non-empty and free of control characters")]
    InvalidOrigin,
    /// The time has sub-second precision or lies outside years 0000-9999.
    #[error("checkpoint time must be whole seconds within years 0000-9999")]
    InvalidTime,
}

// What each body line must hold, as the error messages say it.
const ORIGIN: &str = "the origin (non-empty, no control characters)";
const SIZE: &str = "the tree size (decimal, no sign, no leading zeros)";
const ROOT: &str = "the root hash (padded standard base64 of 32 bytes)";
const TIME: &str = "`time <YYYY-MM-DDTHH:MM:SSZ>`";
const END: &str = "the end of the checkpoint body (no further extension lines)";

/// A log checkpoint: the state of the tree at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `jianxin.example/log`; a checkpoint of one log can never
    /// pass for one of another.
    pub origin: String,
    /// Number of leaves in the tree.
    pub tree_size: u64,
    /// RFC 9162 root of the tree of `tree_size` leaves.
    pub root: Hash,
    /// When the log issued the checkpoint (whole seconds), passed in by the caller.
    pub time: DateTime<Utc>,
}

impl Checkpoint {
    /// A validated checkpoint; `time` is truncated to whole seconds.
    pub fn new(
        origin: &str,
        tree_size: u64,
        root: Hash,
        time: DateTime<Utc>,
    ) -> Result<Self, CheckpointError> {
        let checkpoint = Self {
            origin: origin.to_owned(),
            tree_size,
            root,
            time: time.trunc_subsecs(0),
        };
        checkpoint.validate()?;
        Ok(checkpoint)
    }

    /// Checks what [`Checkpoint::body`] needs: a valid origin and a representable time.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if !is_valid_origin(&self.origin) {
            return Err(CheckpointError::InvalidOrigin);
        }
        if self.time.timestamp_subsec_nanos() != 0 || !(0..=9999).contains(&self.time.year()) {
            return Err(CheckpointError::InvalidTime);
        }
        Ok(())
    }

    /// The body text that is signed. Meaningful only for a checkpoint that passes
    /// [`Checkpoint::validate`] (which [`sign_checkpoint`] checks).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.tree_size,
            STANDARD.encode(self.root),
            self.time.format(TIME_FORMAT)
        )
    }

    /// Parses a body, accepting only the canonical encoding [`Checkpoint::body`] writes.
    pub fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let lines: Vec<&str> = body.split_inclusive('\n').collect();
        let line = |number: usize, expected| {
            let Some(text) = lines.get(number - 1) else {
                return Err(CheckpointError::MissingLine {
                    line: number,
                    expected,
                });
            };
            text.strip_suffix('\n')
                .ok_or_else(|| line_error(number, "a line ending in a newline", text))
        };
        let origin = line(1, ORIGIN)?;
        if !is_valid_origin(origin) {
            return Err(line_error(1, ORIGIN, origin));
        }
        let size = line(2, SIZE)?;
        let tree_size = parse_size(size).ok_or_else(|| line_error(2, SIZE, size))?;
        let root = line(3, ROOT)?;
        let root = parse_root(root).ok_or_else(|| line_error(3, ROOT, root))?;
        let time = line(4, TIME)?;
        let time = parse_time(time).ok_or_else(|| line_error(4, TIME, time))?;
        if let Some(extra) = lines.get(4) {
            return Err(line_error(5, END, extra.trim_end_matches('\n')));
        }
        Ok(Self {
            origin: origin.to_owned(),
            tree_size,
            root,
            time,
        })
    }
}

/// A [`CheckpointError::Line`], with the offending text cut to 80 characters.
fn line_error(line: usize, expected: &'static str, found: &str) -> CheckpointError {
    CheckpointError::Line {
        line,
        expected,
        found: found.chars().take(80).collect(),
    }
}

/// Non-empty and free of control characters, so the body stays one line per field.
fn is_valid_origin(origin: &str) -> bool {
    !origin.is_empty() && !origin.chars().any(char::is_control)
}

/// Canonical decimal only: digits, no sign, no leading zero, within `u64`.
fn parse_size(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

/// Padded standard base64 of exactly 32 bytes (canonical trailing bits).
fn parse_root(text: &str) -> Option<Hash> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

/// `time ` followed by the canonical RFC 3339 UTC spelling with whole seconds.
fn parse_time(line: &str) -> Option<DateTime<Utc>> {
    let text = line.strip_prefix("time ")?;
    let time = NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .ok()?
        .and_utc();
    // Only the canonical spelling, the one `body()` would write back; no leap second.
    let canonical = time.format(TIME_FORMAT).to_string() == text;
    (canonical && time.timestamp_subsec_nanos() == 0).then_some(time)
}

/// Signs a checkpoint and returns the whole note (body, blank line, signature line).
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    signer: &NoteSigner,
) -> Result<String, CheckpointError> {
    checkpoint.validate()?;
    Ok(sign_note(&checkpoint.body(), signer)?)
}

/// Opens a checkpoint note: at least one signature must be by `verifier` and valid
/// (signatures by other keys are ignored), then the body must parse.
///
/// The caller still has to check that `origin` is the log it expects.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, CheckpointError> {
    let body = open_note(note, verifier)?;
    Checkpoint::parse_body(body)
}
