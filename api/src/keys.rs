//! The deployment's Ed25519 key (`jianxin keygen`): signs ledger checkpoints and API
//! tokens (each under its own domain-separation label). Stored as a Go-`note`-style
//! signer key string in a file readable only by its owner.

use std::io::Write;
use std::path::Path;

use jianxin_domain::integrity::NoteSigner;

/// Why the key could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// No key file where one was expected.
    #[error(
        "no signing key at {path}: run `jianxin keygen --out {path}` (or set JIANXIN_KEY_FILE)"
    )]
    Missing {
        /// The path looked at.
        path: String,
    },
    /// The file exists but does not hold a signer key.
    #[error("{path}: not a jianxin signer key: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Refusing to overwrite an existing key.
    #[error(
        "{path} exists: refusing to overwrite a signing key (remove it yourself if you mean it)"
    )]
    Exists {
        /// The file.
        path: String,
    },
}

/// Read the signer key at `path`.
pub fn load(path: &Path) -> Result<NoteSigner, KeyFileError> {
    let p = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(KeyFileError::Missing { path: p })
        }
        Err(source) => return Err(KeyFileError::Io { path: p, source }),
    };
    NoteSigner::parse(text.trim()).map_err(|e| KeyFileError::Invalid {
        path: p,
        reason: e.to_string(),
    })
}

/// Generate a key named `name` and write it to `path` (mode 0600), never overwriting.
pub fn generate(path: &Path, name: &str) -> Result<NoteSigner, KeyFileError> {
    let p = path.display().to_string();
    let signer = NoteSigner::generate(name, |seed| {
        use rand_core::RngCore;
        rand_core::OsRng.fill_bytes(seed)
    })
    .map_err(|e| KeyFileError::Invalid {
        path: p.clone(),
        reason: e.to_string(),
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(KeyFileError::Exists { path: p })
        }
        Err(source) => return Err(KeyFileError::Io { path: p, source }),
    };
    writeln!(file, "{}", signer.to_signer_key_string())
        .and_then(|_| file.sync_all())
        .map_err(|source| KeyFileError::Io { path: p, source })?;
    Ok(signer)
}

/// Load the key, or generate it when absent (demo mode only).
pub fn load_or_generate(path: &Path, name: &str) -> Result<NoteSigner, KeyFileError> {
    match load(path) {
        Err(KeyFileError::Missing { .. }) => generate(path, name),
        other => other,
    }
}
