//! C2SP `signed-note` framing (Go's `golang.org/x/mod/sumdb/note`), the envelope of
//! checkpoints, and domain-separated signatures for jianxin's other signed artefacts.
//!
//! A note is its text (UTF-8, no control characters but `\n`, ending in `\n`), a blank
//! line, and one or more lines `— <key name> <base64(4-byte key id || signature)>\n`, the
//! dash being U+2014 EM DASH. The signature is Ed25519 over the text bytes.
//!
//! Message signatures ([`sign_message`]) cover `domain || 0x00 || msg`. The domain names
//! the kind of artefact (e.g. `jianxin-api-token-v1`), so a signature made for one kind can
//! never be replayed as another; and because note texts cannot contain `0x00`, no message
//! signature is ever a valid note signature, nor the reverse.

use base64::{engine::general_purpose::STANDARD, Engine as _};

use super::keys::{is_valid_key_name, NoteSigner, NoteVerifier};

/// The prefix of every signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// More signature lines than this make a note malformed (as in Go), bounding the work.
const MAX_SIGNATURES: usize = 100;

/// Why a note could not be signed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A line holds a control character other than the line feed.
    #[error("note line {line}: control character (only \\n is allowed)")]
    ControlCharacter {
        /// One-based line number.
        line: usize,
    },
    /// The text to sign is empty or does not end with `\n`.
    #[error("note text must be non-empty and end with a newline")]
    TextNotTerminated,
    /// There is no blank line separating the text from the signature lines.
    #[error("note has no blank line followed by signature lines")]
    MissingSignatures,
    /// The note does not end with `\n`.
    #[error("note does not end with a newline")]
    MissingFinalNewline,
    /// A signature line is not `— <key name> <base64 of key id and signature>`.
    #[error(
        "note line {line}: expected a signature line `\u{2014} <key name> <base64>`, but {problem}"
    )]
    MalformedSignature {
        /// One-based line number.
        line: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The note carries more than 100 signatures.
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signature by the expected key is present and does not verify.
    #[error("note line {line}: signature by {key} does not verify")]
    InvalidSignature {
        /// One-based line number.
        line: usize,
        /// `<name>+<key id>` of the key.
        key: String,
    },
    /// No signature line is by the expected key.
    #[error("note is not signed by {key}")]
    NotSigned {
        /// `<name>+<key id>` of the key.
        key: String,
    },
}

/// Why a message signature could not be made or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The domain is empty or contains `0x00`, which would make the encoding ambiguous.
    #[error("signature domain must be non-empty and free of NUL bytes")]
    InvalidDomain,
    /// The signature is not 64 bytes or does not verify.
    #[error("message signature does not verify")]
    BadSignature,
}

/// Signs `text` and returns the whole note: text, blank line, one signature line.
pub fn sign_note(text: &str, signer: &NoteSigner) -> Result<String, NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::TextNotTerminated);
    }
    check_control_characters(text)?;
    let mut blob = Vec::with_capacity(68);
    blob.extend_from_slice(&signer.key_id().to_be_bytes());
    blob.extend_from_slice(&signer.sign_raw(text.as_bytes()));
    let sig = STANDARD.encode(blob);
    Ok(format!("{text}\n{SIG_PREFIX}{} {sig}\n", signer.name()))
}

/// Opens a note and returns its text, which `verifier` has signed.
///
/// As in Go's `note.Open`: signatures by other keys are ignored, repeated signatures by
/// `verifier` are checked once, and a signature by `verifier` that fails is an error even
/// when another one verifies.
pub fn open_note<'a>(note: &'a str, verifier: &NoteVerifier) -> Result<&'a str, NoteError> {
    check_control_characters(note)?;
    if !note.ends_with('\n') {
        return Err(NoteError::MissingFinalNewline);
    }
    let Some(split) = note.rfind("\n\n") else {
        return Err(NoteError::MissingSignatures);
    };
    let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
    if signatures.is_empty() {
        return Err(NoteError::MissingSignatures);
    }
    // Line numbers: the text has one line per '\n', then comes the blank line.
    let first_line = text.matches('\n').count() + 2;
    let key = format!("{}+{:08x}", verifier.name(), verifier.key_id());
    let mut verified = false;
    for (offset, line) in signatures.lines().enumerate() {
        let line_no = first_line + offset;
        if offset >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let (name, key_id, signature) = parse_signature_line(line, line_no)?;
        if name != verifier.name() || key_id != verifier.key_id() || verified {
            continue;
        }
        if !verifier.verify_raw(text.as_bytes(), signature.as_slice()) {
            return Err(NoteError::InvalidSignature { line: line_no, key });
        }
        verified = true;
    }
    if !verified {
        return Err(NoteError::NotSigned { key });
    }
    Ok(text)
}

/// Splits one signature line into key name, key id and signature bytes.
fn parse_signature_line(line: &str, line_no: usize) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let bad = |problem| NoteError::MalformedSignature {
        line: line_no,
        problem,
    };
    let Some(rest) = line.strip_prefix(SIG_PREFIX) else {
        return Err(bad("it does not start with U+2014 EM DASH and a space"));
    };
    let Some((name, b64)) = rest.split_once(' ') else {
        return Err(bad("there is no space between key name and signature"));
    };
    if !is_valid_key_name(name) {
        return Err(bad(
            "the key name is empty or holds spaces, control characters or '+'",
        ));
    }
    let Ok(blob) = STANDARD.decode(b64) else {
        return Err(bad("the signature is not padded standard base64"));
    };
    match blob.as_slice() {
        [a, b, c, d, signature @ ..] if !signature.is_empty() => Ok((
            name,
            u32::from_be_bytes([*a, *b, *c, *d]),
            signature.to_vec(),
        )),
        _ => Err(bad("the signature is shorter than a key id and one byte")),
    }
}

/// Rejects control characters other than `\n`, naming the line.
fn check_control_characters(text: &str) -> Result<(), NoteError> {
    for (index, line) in text.split('\n').enumerate() {
        if line.chars().any(|c| c < ' ') {
            return Err(NoteError::ControlCharacter { line: index + 1 });
        }
    }
    Ok(())
}

/// The signed bytes of a message signature: `domain || 0x00 || msg`.
fn message_bytes(domain: &str, msg: &[u8]) -> Result<Vec<u8>, MessageError> {
    if domain.is_empty() || domain.as_bytes().contains(&0) {
        return Err(MessageError::InvalidDomain);
    }
    let mut bytes = Vec::with_capacity(domain.len() + 1 + msg.len());
    bytes.extend_from_slice(domain.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(msg);
    Ok(bytes)
}

/// Signs `msg` for the artefact kind `domain`: Ed25519 over `domain || 0x00 || msg`.
///
/// Use one fixed, versioned domain per kind of artefact (e.g. `jianxin-api-token-v1`);
/// it is not transmitted, the verifier supplies the same constant.
pub fn sign_message(
    signer: &NoteSigner,
    domain: &str,
    msg: &[u8],
) -> Result<[u8; 64], MessageError> {
    Ok(signer.sign_raw(&message_bytes(domain, msg)?))
}

/// Checks a signature made by [`sign_message`] with the same `domain`.
pub fn verify_message(
    verifier: &NoteVerifier,
    domain: &str,
    msg: &[u8],
    signature: &[u8],
) -> Result<(), MessageError> {
    if verifier.verify_raw(&message_bytes(domain, msg)?, signature) {
        Ok(())
    } else {
        Err(MessageError::BadSignature)
    }
}
