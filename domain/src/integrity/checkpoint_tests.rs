//! Tests of [`checkpoint`](super::checkpoint): the exact body and note, round trips,
//! tampering with each field, wrong keys, and the line-specific errors of malformed bodies.

use chrono::{DateTime, TimeZone, Utc};

use super::checkpoint::*;
use super::merkle::{leaf_hash, Hash};
use super::note::{sign_note, NoteError};
use super::note_tests::test_signer;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
}

fn example() -> Checkpoint {
    let root: Hash = leaf_hash(b"jianxin");
    Checkpoint::new("jianxin.example/log", 1234, root, at(2024, 5, 1, 8, 0, 0)).expect("valid")
}

#[test]
fn the_body_and_the_note_are_pinned() {
    // Both values cross-checked with Python's hashlib and `cryptography` (Ed25519 is
    // deterministic, so an independent signer must produce the same bytes).
    let body = "jianxin.example/log\n1234\nN7HLdNJBvWyazGcWAk2iPl78GVdc0ku19N/zw66pdBY=\n\
                time 2024-05-01T08:00:00Z\n";
    let sig = "xRqGE04t91Hih1LRxykG8CcgSuPDMtDXr/WiQIWjVsIrZ0r1TYcpWn2ikn/0/5gD/EkKl8imqXpiBVxJf7e2TP+kFQU=";
    assert_eq!(example().body(), body);
    let signer = test_signer("jianxin.example/log", 7);
    let note = sign_checkpoint(&example(), &signer).expect("valid checkpoint");
    assert_eq!(
        note,
        format!("{body}\n\u{2014} jianxin.example/log {sig}\n")
    );
}

#[test]
fn a_signed_checkpoint_opens_to_itself() {
    let signer = test_signer("jianxin.example/log", 7);
    let note = sign_checkpoint(&example(), &signer).expect("valid checkpoint");
    assert_eq!(open_checkpoint(&note, &signer.verifier()), Ok(example()));
    assert_eq!(Checkpoint::parse_body(&example().body()), Ok(example()));
    let empty = Checkpoint::new("o", 0, [0; 32], at(1970, 1, 1, 0, 0, 0)).expect("valid");
    let note = sign_checkpoint(&empty, &signer).expect("valid checkpoint");
    assert_eq!(open_checkpoint(&note, &signer.verifier()), Ok(empty));
}

#[test]
fn changing_any_field_breaks_the_signature() {
    let signer = test_signer("jianxin.example/log", 7);
    let note = sign_checkpoint(&example(), &signer).expect("valid checkpoint");
    let root = example()
        .body()
        .lines()
        .nth(2)
        .expect("root line")
        .to_owned();
    let other_root = example()
        .body()
        .replace(&root, &"A".repeat(43))
        .lines()
        .nth(2)
        .map(|l| format!("{l}="))
        .expect("root line");
    for (from, to) in [
        ("jianxin.example/log\n1234", "jianxin.example/other\n1234"),
        ("\n1234\n", "\n1233\n"),
        (root.as_str(), other_root.as_str()),
        ("08:00:00Z", "08:00:01Z"),
    ] {
        let tampered = note.replacen(from, to, 1);
        assert_ne!(tampered, note);
        assert!(
            matches!(
                open_checkpoint(&tampered, &signer.verifier()),
                Err(CheckpointError::Note(NoteError::InvalidSignature {
                    line: 6,
                    ..
                }))
            ),
            "{from:?} -> {to:?} was accepted"
        );
    }
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let signer = test_signer("jianxin.example/log", 7);
    let impostor = test_signer("jianxin.example/log", 8);
    let note = sign_checkpoint(&example(), &impostor).expect("valid checkpoint");
    assert!(matches!(
        open_checkpoint(&note, &signer.verifier()),
        Err(CheckpointError::Note(NoteError::NotSigned { .. }))
    ));
}

/// Parses `body`, both bare and inside a note validly signed over it.
fn body_error(body: &str) -> CheckpointError {
    let signer = test_signer("jianxin.example/log", 7);
    let bare = Checkpoint::parse_body(body).expect_err("body must be rejected");
    let note = sign_note(body, &signer).expect("note text");
    let opened = open_checkpoint(&note, &signer.verifier()).expect_err("must be rejected");
    assert_eq!(bare, opened);
    bare
}

fn line_of(error: CheckpointError) -> usize {
    match error {
        CheckpointError::Line { line, .. } | CheckpointError::MissingLine { line, .. } => line,
        other => panic!("not a line error: {other:?}"),
    }
}

#[test]
fn malformed_bodies_name_the_line_and_what_was_expected() {
    let good = example().body();
    let lines: Vec<&str> = good.lines().collect();
    let with = |index: usize, text: &str| {
        let mut l = lines.clone();
        l[index] = text;
        format!("{}\n", l.join("\n"))
    };
    assert_eq!(line_of(body_error(&with(0, "jianxin\u{7f}log"))), 1);
    for size in ["", "01", "+1", "-1", "1 ", "0x10", "18446744073709551616"] {
        assert_eq!(line_of(body_error(&with(1, size))), 2, "size {size:?}");
    }
    let short = "A".repeat(40) + "AA==";
    for root in [
        "",
        "not base64!",
        &short,
        &lines[2][..43],
        &format!("{}A", lines[2]),
    ] {
        assert_eq!(line_of(body_error(&with(2, root))), 3, "root {root:?}");
    }
    for time in [
        "time 2024-05-01T08:00:00.5Z",
        "time 2024-05-01T08:00:60Z",
        "time 2024-13-01T08:00:00Z",
        "time 2024-05-01T08:00:00+00:00",
        "time 2024-05-01 08:00:00Z",
        "time 2024-5-01T08:00:00Z",
        "time  2024-05-01T08:00:00Z",
        "Time 2024-05-01T08:00:00Z",
        "2024-05-01T08:00:00Z",
    ] {
        assert_eq!(line_of(body_error(&with(3, time))), 4, "time {time:?}");
    }
    let missing = body_error(&format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]));
    assert!(matches!(
        missing,
        CheckpointError::MissingLine { line: 4, .. }
    ));
    assert_eq!(line_of(body_error(&format!("{good}extension\n"))), 5);
    let unterminated = Checkpoint::parse_body(good.trim_end()).expect_err("no final newline");
    assert_eq!(line_of(unterminated), 4);

    let message = body_error(&with(1, "01")).to_string();
    assert_eq!(
        message,
        "checkpoint line 2: expected the tree size (decimal, no sign, no leading zeros), \
         found \"01\""
    );
}

#[test]
fn only_representable_checkpoints_are_signed() {
    let signer = test_signer("jianxin.example/log", 7);
    let precise = at(2024, 5, 1, 8, 0, 0) + chrono::Duration::milliseconds(250);
    let truncated = Checkpoint::new("o", 1, [0; 32], precise).expect("valid");
    assert_eq!(truncated.time, at(2024, 5, 1, 8, 0, 0));
    let mut raw = truncated.clone();
    raw.time = precise;
    assert_eq!(
        sign_checkpoint(&raw, &signer),
        Err(CheckpointError::InvalidTime)
    );
    raw.time = at(10_000, 1, 1, 0, 0, 0);
    assert_eq!(raw.validate(), Err(CheckpointError::InvalidTime));
    for origin in ["", "a\nb", "a\tb"] {
        let err = Checkpoint::new(origin, 1, [0; 32], at(2024, 1, 1, 0, 0, 0));
        assert_eq!(
            err,
            Err(CheckpointError::InvalidOrigin),
            "origin {origin:?}"
        );
    }
}
