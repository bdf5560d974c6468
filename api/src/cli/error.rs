//! Command-line failures and their exit codes.

use jianxin_projections::StoreError;

use crate::keys::KeyFileError;
use crate::ops::OpError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input or a rule refused it (exit 1).
    #[error("{message}")]
    Invalid {
        /// Stable code, e.g. `invalid_uscc`.
        code: &'static str,
        /// What is wrong and what was expected.
        message: String,
        /// Where, when known.
        location: Option<String>,
    },
    /// Wrong usage: flags, configuration (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The log or a proof failed verification (exit 3).
    #[error("{message}")]
    Integrity {
        /// What differs.
        message: String,
        /// Where (e.g. `global_sequence 17`, a file name).
        location: Option<String>,
    },
    /// The database or the file system failed (exit 4).
    #[error("{0}")]
    Infra(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Invalid { .. } => 1,
            CliError::Usage(_) => 2,
            CliError::Integrity { .. } => 3,
            CliError::Infra(_) => 4,
        }
    }

    /// The stable error code in JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Invalid { code, .. } => code,
            CliError::Usage(_) => "usage",
            CliError::Integrity { .. } => "integrity",
            CliError::Infra(_) => "infrastructure",
        }
    }

    /// Where, when known.
    pub fn location(&self) -> Option<&str> {
        match self {
            CliError::Invalid { location, .. } | CliError::Integrity { location, .. } => {
                location.as_deref()
            }
            _ => None,
        }
    }

    /// An invalid-input error.
    pub fn invalid(
        code: &'static str,
        message: impl Into<String>,
        location: Option<String>,
    ) -> Self {
        CliError::Invalid {
            code,
            message: message.into(),
            location,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Config(m) => CliError::Usage(m),
            StoreError::Conflict { .. } | StoreError::Refused(_) => {
                CliError::invalid("refused", e.to_string(), None)
            }
            full if full.is_storage_full() => CliError::Infra(format!(
                "the disk holding the database is full, so nothing was written; free space \
                 on its file system and run the command again ({full})"
            )),
            other => CliError::Infra(other.to_string()),
        }
    }
}

impl From<OpError> for CliError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Invalid { message, location } => {
                CliError::invalid("invalid_input", message, location)
            }
            OpError::Refused(m) => CliError::invalid("refused", m, None),
            OpError::NotFound(m) => CliError::invalid("not_found", m, None),
            OpError::Forbidden(m) => CliError::invalid("forbidden", m, None),
            OpError::Store(s) => s.into(),
        }
    }
}

impl From<KeyFileError> for CliError {
    fn from(e: KeyFileError) -> Self {
        match e {
            KeyFileError::Io { .. } => CliError::Infra(e.to_string()),
            _ => CliError::Usage(e.to_string()),
        }
    }
}
