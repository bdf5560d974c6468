//! Ed25519 signer and verifier keys in the encodings of Go's
//! `golang.org/x/mod/sumdb/note` (C2SP `signed-note`), so that checkpoints can be checked
//! with the tools the transparency-log ecosystem already has.
//!
//! * key id: the first 4 bytes (big-endian) of `SHA-256(name || 0x0A || 0x01 || pubkey)`;
//! * verifier key: `<name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>`;
//! * signer key: `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>`.
//!
//! A key name is non-empty and holds no whitespace, no control character and no `+`.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The algorithm byte of Ed25519 keys in note key encodings.
const ALG_ED25519: u8 = 0x01;

/// Why a key or key string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The string does not have the shape of a key encoding.
    #[error("malformed key string: expected {expected}")]
    Malformed {
        /// The expected shape.
        expected: &'static str,
    },
    /// The key name is empty or holds whitespace, a control character or `+`.
    #[error(
        "invalid key name {0:?}: it must be non-empty, without spaces, control characters or '+'"
    )]
    InvalidName(String),
    /// The key is for an algorithm other than Ed25519.
    #[error("unsupported key algorithm byte {0:#04x} (only 0x01, Ed25519, is supported)")]
    UnsupportedAlgorithm(u8),
    /// The key id in the string is not the one computed from the name and key.
    #[error("key id {stated:08x} does not match the key (computed {computed:08x})")]
    KeyIdMismatch {
        /// The id written in the key string.
        stated: u32,
        /// The id computed from the name and public key.
        computed: u32,
    },
    /// The 32 bytes are not a valid Ed25519 public key.
    #[error("the public key is not a valid Ed25519 point")]
    InvalidPublicKey,
}

/// Whether `name` may name a key (Go's `isValidName`, plus no control characters).
pub(crate) fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// The note key id of an Ed25519 key: `SHA-256(name || 0x0A || 0x01 || public key)[..4]`.
pub fn ed25519_key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ALG_ED25519]);
    hasher.update(public_key.as_bytes());
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Splits `<8 hex>+<base64(0x01 || 32 bytes)>` into the stated id and the 32 key bytes.
fn parse_id_and_key(
    id: &str,
    key: &str,
    expected: &'static str,
) -> Result<(u32, [u8; 32]), KeyError> {
    let malformed = KeyError::Malformed { expected };
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed);
    }
    let stated = u32::from_str_radix(id, 16).map_err(|_| malformed.clone())?;
    let raw = STANDARD.decode(key).map_err(|_| malformed.clone())?;
    match raw.split_first() {
        Some((&ALG_ED25519, rest)) => {
            let bytes: [u8; 32] = rest.try_into().map_err(|_| malformed)?;
            Ok((stated, bytes))
        }
        Some((&alg, _)) => Err(KeyError::UnsupportedAlgorithm(alg)),
        None => Err(malformed),
    }
}

/// Base64 of `0x01 || bytes`, the key part of both encodings.
fn encode_key(bytes: &[u8; 32]) -> String {
    let mut raw = [0u8; 33];
    raw[0] = ALG_ED25519;
    raw[1..].copy_from_slice(bytes);
    STANDARD.encode(raw)
}

/// A named Ed25519 public key that checks note signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteVerifier {
    /// The key name, written in every signature line so readers know which key to use.
    name: String,
    /// The Ed25519 public key.
    key: VerifyingKey,
    /// Cached key id, which disambiguates keys of the same name (rotation).
    key_id: u32,
}

impl NoteVerifier {
    /// A verifier for `key` under `name`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let key_id = ed25519_key_id(name, &key);
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// Parses a verifier key string `<name>+<8 hex key id>+<base64(0x01 || pubkey)>`.
    pub fn parse(vkey: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str = "<name>+<8 hex digits>+<base64 of 0x01 and a 32-byte key>";
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::Malformed { expected: EXPECTED });
        };
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let (stated, bytes) = parse_id_and_key(id, key, EXPECTED)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        let verifier = Self::new(name, key)?;
        if verifier.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    /// The verifier key string, as Go's `note.NewEd25519VerifierKey` writes it.
    pub fn to_verifier_key_string(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key(self.key.as_bytes())
        )
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id, as a big-endian number.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Strict Ed25519 verification of `signature` over `msg`.
    pub(crate) fn verify_raw(&self, msg: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.key.verify_strict(msg, &signature).is_ok()
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_verifier_key_string())
    }
}

/// A named Ed25519 private key that signs notes. Its `Debug` output omits the secret.
#[derive(Clone)]
pub struct NoteSigner {
    /// The key name, written in every signature line.
    name: String,
    /// The Ed25519 private key (zeroized on drop by `ed25519-dalek`).
    key: SigningKey,
    /// Cached key id of the public half.
    key_id: u32,
}

impl NoteSigner {
    /// A signer for `key` under `name`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self, KeyError> {
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let key_id = ed25519_key_id(name, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            key,
            key_id,
        })
    }

    /// A fresh key: `fill_seed` must fill the 32-byte seed from a cryptographic random
    /// source, e.g. `|seed| rand_core::OsRng.fill_bytes(seed)`. The domain crate has no
    /// random source of its own.
    pub fn generate(name: &str, fill_seed: impl FnOnce(&mut [u8; 32])) -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        fill_seed(&mut seed);
        let signer = Self::new(name, SigningKey::from_bytes(&seed));
        seed.fill(0);
        signer
    }

    /// Parses a signer key string `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || seed)>`.
    pub fn parse(skey: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str =
            "PRIVATE+KEY+<name>+<8 hex digits>+<base64 of 0x01 and a 32-byte seed>";
        let malformed = KeyError::Malformed { expected: EXPECTED };
        let Some(rest) = skey.strip_prefix("PRIVATE+KEY+") else {
            return Err(malformed);
        };
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed);
        };
        if !is_valid_key_name(name) {
            return Err(KeyError::InvalidName(name.to_owned()));
        }
        let (stated, seed) = parse_id_and_key(id, key, EXPECTED)?;
        let signer = Self::new(name, SigningKey::from_bytes(&seed))?;
        if signer.key_id != stated {
            return Err(KeyError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// The signer key string. It holds the secret seed: store it as a secret.
    pub fn to_signer_key_string(&self) -> String {
        let seed = self.key.to_bytes();
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            encode_key(&seed)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            key_id: self.key_id,
        }
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id, as a big-endian number.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Ed25519 signature of `msg` (deterministic, RFC 8032).
    pub(crate) fn sign_raw(&self, msg: &[u8]) -> [u8; 64] {
        self.key.sign(msg).to_bytes()
    }
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}
