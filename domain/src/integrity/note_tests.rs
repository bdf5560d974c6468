//! Tests of [`keys`](super::keys) and [`note`](super::note): the Go `sumdb/note` example
//! reproduced byte for byte, key string round trips and manglings, note opening rules and
//! domain-separated message signatures.

use ed25519_dalek::SigningKey;

use super::keys::*;
use super::note::*;

// The example key and note of golang.org/x/mod/sumdb/note's documentation.
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_SIG: &str = "\u{2014} PeterNeumann \
    x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

pub(crate) fn test_signer(name: &str, byte: u8) -> NoteSigner {
    NoteSigner::new(name, SigningKey::from_bytes(&[byte; 32])).expect("valid name")
}

#[test]
fn the_go_example_is_reproduced_byte_for_byte() {
    let signer = NoteSigner::parse(GO_SKEY).expect("Go's signer key parses");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.to_signer_key_string(), GO_SKEY);
    assert_eq!(signer.verifier().to_verifier_key_string(), GO_VKEY);
    let verifier = NoteVerifier::parse(GO_VKEY).expect("Go's verifier key parses");
    assert_eq!(verifier, signer.verifier());
    assert_eq!(verifier.to_string(), GO_VKEY);

    let note = sign_note(GO_TEXT, &signer).expect("text ends with a newline");
    assert_eq!(note, format!("{GO_TEXT}\n{GO_SIG}"));
    assert_eq!(open_note(&note, &verifier), Ok(GO_TEXT));
}

#[test]
fn key_id_of_a_jianxin_key_is_pinned() {
    // Computed once, and cross-checked with Python's `cryptography` package:
    // SHA-256("jianxin.example/log" || 0x0A || 0x01 || pubkey(seed = 32 x 0x07))[..4].
    let signer = test_signer("jianxin.example/log", 7);
    assert_eq!(format!("{:08x}", signer.key_id()), "c51a8613");
    assert_eq!(
        ed25519_key_id("jianxin.example/log", signer.verifier().public_key()),
        signer.key_id()
    );
}

#[test]
fn key_strings_round_trip() {
    let signer =
        NoteSigner::generate("jianxin.example/log", |seed| seed.fill(42)).expect("valid name");
    let again = NoteSigner::parse(&signer.to_signer_key_string()).expect("round trip");
    assert_eq!(again.verifier(), signer.verifier());
    let verifier =
        NoteVerifier::parse(&signer.verifier().to_verifier_key_string()).expect("round trip");
    assert_eq!(verifier, signer.verifier());
    let skey = signer.to_signer_key_string();
    let seed = skey.splitn(5, '+').nth(4).expect("five parts");
    assert!(
        !format!("{signer:?}").contains(seed),
        "Debug must not show the seed"
    );
}

#[test]
fn every_truncation_or_single_byte_change_of_a_key_string_is_rejected() {
    for key in [GO_VKEY, GO_SKEY] {
        let parse_ok = |s: &str| {
            if key == GO_VKEY {
                NoteVerifier::parse(s).is_ok()
            } else {
                NoteSigner::parse(s).is_ok()
            }
        };
        assert!(parse_ok(key));
        let bytes = key.as_bytes();
        for i in 0..bytes.len() {
            for j in i + 1..=bytes.len() {
                if (i, j) != (0, bytes.len()) {
                    assert!(!parse_ok(&key[i..j]), "{:?} parsed", &key[i..j]);
                }
            }
            let mut mangled = bytes.to_vec();
            mangled[i] += 1;
            let mangled = String::from_utf8(mangled).expect("ASCII stays ASCII");
            assert!(!parse_ok(&mangled), "{mangled:?} parsed");
        }
    }
}

#[test]
fn key_errors_say_what_is_wrong() {
    let id = |s: &str| NoteVerifier::parse(s).expect_err("must be rejected");
    assert!(matches!(id("PeterNeumann"), KeyError::Malformed { .. }));
    assert!(matches!(
        id("PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        KeyError::KeyIdMismatch {
            stated: 0,
            computed: 0xc74f20a3
        }
    ));
    assert_eq!(
        id("PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        KeyError::UnsupportedAlgorithm(2)
    );
    assert!(matches!(
        id("Peter Neumann+c74f20a3+AA=="),
        KeyError::InvalidName(_)
    ));
    assert!(NoteSigner::new("", SigningKey::from_bytes(&[1; 32])).is_err());
    assert!(NoteSigner::new("a+b", SigningKey::from_bytes(&[1; 32])).is_err());
    assert!(NoteSigner::new("a\u{7}", SigningKey::from_bytes(&[1; 32])).is_err());
}

#[test]
fn signatures_by_other_keys_are_ignored_but_one_by_the_key_is_required() {
    let ours = test_signer("jianxin.example/log", 1);
    let other = test_signer("witness.example", 2);
    let by_other = sign_note("hello\n", &other).expect("valid text");
    let by_ours = sign_note("hello\n", &ours).expect("valid text");
    let other_line = &by_other["hello\n\n".len()..];
    let our_line = &by_ours["hello\n\n".len()..];

    let both = format!("hello\n\n{other_line}{our_line}");
    assert_eq!(open_note(&both, &ours.verifier()), Ok("hello\n"));
    assert_eq!(open_note(&both, &other.verifier()), Ok("hello\n"));
    let key = format!("jianxin.example/log+{:08x}", ours.key_id());
    assert_eq!(
        open_note(&by_other, &ours.verifier()),
        Err(NoteError::NotSigned { key })
    );
    // Same name, another key (e.g. after rotation): ignored, not an error.
    let rotated = test_signer("jianxin.example/log", 3);
    assert!(matches!(
        open_note(&by_ours, &rotated.verifier()),
        Err(NoteError::NotSigned { .. })
    ));
}

#[test]
fn a_changed_text_fails_on_the_signature_line() {
    let signer = test_signer("jianxin.example/log", 1);
    let note = sign_note("a\nb\n", &signer).expect("valid text");
    let tampered = note.replacen("b\n", "c\n", 1);
    assert!(matches!(
        open_note(&tampered, &signer.verifier()),
        Err(NoteError::InvalidSignature { line: 4, .. })
    ));
}

#[test]
fn malformed_notes_name_the_line() {
    let signer = test_signer("jianxin.example/log", 1);
    let v = signer.verifier();
    let note = sign_note("a\nb\n", &signer).expect("valid text");
    let sig = note.split('\n').nth(3).expect("signature line");
    assert_eq!(sign_note("a", &signer), Err(NoteError::TextNotTerminated));
    assert_eq!(
        sign_note("a\u{1}\n", &signer),
        Err(NoteError::ControlCharacter { line: 1 })
    );
    assert_eq!(
        open_note("a\nb\r\n\n", &v),
        Err(NoteError::ControlCharacter { line: 2 })
    );
    assert_eq!(open_note("a\nb\n", &v), Err(NoteError::MissingSignatures));
    assert_eq!(
        open_note(note.trim_end(), &v),
        Err(NoteError::MissingFinalNewline)
    );
    let dash = |line| NoteError::MalformedSignature { line, problem: "" };
    let problem = |note: &str| match open_note(note, &v) {
        Err(NoteError::MalformedSignature { line, .. }) => dash(line),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(problem(&format!("a\nb\n\n{sig}\n- x AAAAAAA=\n")), dash(5));
    assert_eq!(problem("a\nb\n\n\u{2014} x\n"), dash(4));
    assert_eq!(problem("a\nb\n\n\u{2014} a+b AAAAAAA=\n"), dash(4));
    assert_eq!(problem("a\nb\n\n\u{2014} x AAAA\n"), dash(4));
    assert_eq!(problem("a\nb\n\n\u{2014} x !!!!\n"), dash(4));
    let many = format!("a\nb\n\n{}", format!("{sig}\n").repeat(101));
    assert_eq!(open_note(&many, &v), Err(NoteError::TooManySignatures));
    let message = NoteError::MalformedSignature {
        line: 5,
        problem: "no dash",
    }
    .to_string();
    assert!(
        message.starts_with("note line 5: expected a signature line"),
        "{message}"
    );
}

#[test]
fn message_signatures_are_bound_to_their_domain() {
    let signer = test_signer("jianxin.example/api", 9);
    let v = signer.verifier();
    let sig = sign_message(&signer, "jianxin-api-token-v1", b"subject=42").expect("valid domain");
    assert_eq!(
        verify_message(&v, "jianxin-api-token-v1", b"subject=42", &sig),
        Ok(())
    );
    let bad = Err(MessageError::BadSignature);
    assert_eq!(
        verify_message(&v, "jianxin-api-token-v2", b"subject=42", &sig),
        bad
    );
    assert_eq!(
        verify_message(&v, "jianxin-api-token-v1", b"subject=43", &sig),
        bad
    );
    assert_eq!(
        verify_message(&v, "jianxin-api-token-v1", b"subject=42", &sig[..63]),
        bad
    );
    let other = test_signer("jianxin.example/api", 10).verifier();
    assert_eq!(
        verify_message(&other, "jianxin-api-token-v1", b"subject=42", &sig),
        bad
    );
    // Moving bytes between domain and message changes the signed bytes.
    assert_eq!(
        verify_message(&v, "jianxin-api-token-v1\0subject", b"=42", &sig),
        Err(MessageError::InvalidDomain)
    );
    assert_eq!(
        sign_message(&signer, "", b"x"),
        Err(MessageError::InvalidDomain)
    );
}
