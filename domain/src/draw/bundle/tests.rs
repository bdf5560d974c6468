//! Tests of the bundle: built from a task driven through its lifecycle by the real
//! aggregate, stored in a ledger among other entries, proven and signed; it verifies,
//! and every kind of tampering is refused, naming the file at fault.

use std::collections::BTreeMap;

use super::test_support::*;
use super::*;
use crate::draw::fixture::inspector_id;
use crate::integrity::NoteSigner;
use crate::task::TaskEvent;

type Files = BTreeMap<String, Vec<u8>>;

fn log_signer() -> NoteSigner {
    signer("jianxin.test", 7)
}

fn published() -> (Events, Files) {
    let (history, _) = drawn_with_recusals();
    let files = bundle_of(&history, &log_signer());
    (history, files)
}

fn text(files: &Files, name: &str) -> String {
    String::from_utf8(files[name].clone()).unwrap()
}

fn mismatch(files: &Files, pinned: Option<&NoteVerifier>) -> BundleMismatch {
    match verify_bundle(files, pinned) {
        Ok(report) => panic!("the tampered bundle verified: {report:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_drawn_task_with_recusals_verifies() {
    let (history, files) = published();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let mut expected = BUNDLE_FILES.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    let verifier = log_signer().verifier();
    let report = verify_bundle(&files, Some(&verifier)).unwrap();
    assert_eq!(report.task_id, TASK_ID);
    assert_eq!(report.origin, "jianxin.test/log");
    assert_eq!(report.events, history.len());
    assert_eq!((report.attempt, report.recusals), (1, 2));
    assert_eq!(report.teams, report.subjects_drawn);
    assert_eq!(
        (report.key_name.as_str(), report.key_id),
        ("jianxin.test", verifier.key_id())
    );
    let ledger = Ledger::of(&history);
    assert_eq!(report.tree_size, ledger.entries.len() as u64);
    assert_eq!(verify_bundle(&files, None), Ok(report));
}

#[test]
fn the_files_hold_what_the_events_say() {
    let (history, files) = published();
    let task = text(&files, "task.json");
    assert!(
        task.starts_with(r#"{"as_of":"2026-05-16","attempt":1,"beacon_chain":"52db9ba7"#),
        "{task}"
    );
    assert!(
        task.contains(r#""format":"jianxin-draw-bundle-v1""#),
        "{task}"
    );
    assert!(
        task.contains(&format!(r#""task_id":"{}""#, TASK_ID.hyphenated())),
        "{task}"
    );
    assert!(task.contains(
        r#""items":[{"code":"YJGL-007","department":"YJGL","qualification":"安全生产"}"#
    ));
    let frozen = golden_pool();
    assert_eq!(
        text(&files, "subjects.csv"),
        crate::draw::FrozenTexts::of(&frozen).subjects
    );
    let (u98, u99) = (
        crate::draw::fixture::uscc(98),
        crate::draw::fixture::uscc(99),
    );
    assert_eq!(
        text(&files, "exclusions.csv"),
        format!(
            "uscc,reason\n{},\"inspected by SCJG on 2026-03-02, within 12 months\"\n\
             {},registered less than 6 months ago\n",
            u98.as_str(),
            u99.as_str()
        )
    );
    let randomness = text(&files, "randomness.json");
    assert!(randomness.contains(r#""round":123"#), "{randomness}");
    assert!(
        randomness.contains(r#""department":"YJGL","secret":null,"status":"missing""#),
        "{randomness}"
    );
    assert!(randomness.contains(r#""status":"valid""#), "{randomness}");
    let Some(TaskEvent::SubjectsDrawn { seed_text, .. }) = history
        .iter()
        .map(|r| &r.event)
        .find(|e| matches!(e, TaskEvent::SubjectsDrawn { .. }))
    else {
        panic!("no draw")
    };
    assert_eq!(&text(&files, "seed.txt"), seed_text);
    assert!(text(&files, "result.txt").starts_with("jianxin-draw-result-v1\nseed="));
    let recusals = text(&files, "recusals.csv");
    let lines: Vec<&str> = recusals.lines().collect();
    assert_eq!(lines[0], "uscc,number,recused,replacement,reason");
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].contains(",1,") && lines[2].contains(",2,"),
        "{recusals}"
    );
    let final_teams = teams(&history);
    let teams_csv = text(&files, "teams.csv");
    let first = &final_teams[0];
    let members: Vec<&str> = first.members.iter().map(|m| m.as_str()).collect();
    assert_eq!(
        teams_csv.lines().nth(1),
        Some(format!("{},{}", first.uscc, members.join(";")).as_str())
    );
    assert_eq!(text(&files, "events.jsonl").lines().count(), history.len());
    assert!(text(&files, "key.txt").starts_with("jianxin.test+"));
}

/// Byte positions to flip in a file of `len` bytes: both ends and a spread between.
fn positions(len: usize) -> Vec<usize> {
    let mut at: Vec<usize> = [
        0,
        1,
        len / 5,
        len / 3,
        len / 2,
        2 * len / 3,
        4 * len / 5,
        len - 2,
        len - 1,
    ]
    .into_iter()
    .filter(|p| *p < len)
    .collect();
    at.dedup();
    at
}

#[test]
fn flipping_any_byte_of_any_file_names_that_file() {
    let (_, files) = published();
    let verifier = log_signer().verifier();
    let mut checked = 0;
    for name in BUNDLE_FILES {
        for position in positions(files[name].len()) {
            let mut tampered = files.clone();
            if let Some(bytes) = tampered.get_mut(name) {
                bytes[position] ^= 0x01;
            }
            for pinned in [None, Some(&verifier)] {
                let e = mismatch(&tampered, pinned);
                assert_eq!(e.file, name, "byte {position} of {name}: {e}");
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn a_missing_or_an_extra_file_is_named() {
    let (_, files) = published();
    for name in BUNDLE_FILES {
        let mut fewer = files.clone();
        fewer.remove(name);
        let e = mismatch(&fewer, None);
        assert_eq!(
            (e.file.as_str(), e.what.as_str()),
            (name, "missing from the bundle")
        );
    }
    let mut more = files.clone();
    more.insert("notes.txt".into(), b"trust me\n".to_vec());
    assert_eq!(mismatch(&more, None).file, "notes.txt");
}

#[test]
fn another_key_is_refused_when_a_key_is_pinned() {
    let (history, files) = published();
    let other = signer("jianxin.test", 8).verifier();
    let e = mismatch(&files, Some(&other));
    assert_eq!(e.file, "key.txt", "{e}");
    // A bundle re-signed by someone else is consistent on its own, so only a pinned key
    // tells it apart.
    let forged = bundle_of(&history, &signer("jianxin.test", 8));
    assert!(verify_bundle(&forged, None).is_ok());
    let e = mismatch(&forged, Some(&log_signer().verifier()));
    assert_eq!(e.file, "key.txt", "{e}");
}

/// Drops the `index`-th line of events.jsonl and its proof.
fn drop_event(files: &Files, index: usize) -> Files {
    let mut out = files.clone();
    let events = text(files, "events.jsonl");
    let kept: Vec<&str> = events
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, l)| l)
        .collect();
    out.insert(
        "events.jsonl".into(),
        format!("{}\n", kept.join("\n")).into_bytes(),
    );
    let mut proofs: Vec<serde_json::Value> = serde_json::from_slice(&files["proofs.json"]).unwrap();
    proofs.remove(index);
    let json = crate::event_log::canonical_json(&serde_json::Value::Array(proofs)).unwrap();
    out.insert("proofs.json".into(), json);
    out
}

#[test]
fn an_event_dropped_with_its_proof_is_a_gap() {
    let (_, files) = published();
    let e = mismatch(&drop_event(&files, 2), None);
    assert_eq!(e.file, "events.jsonl");
    assert!(
        e.what.contains("expected 3 (events 1 to n, without gaps)"),
        "{e}"
    );
    let mut only_line = drop_event(&files, 2);
    only_line.insert("proofs.json".into(), files["proofs.json"].clone());
    let e = mismatch(&only_line, None);
    assert_eq!(e.file, "events.jsonl");
    assert!(e.what.contains("lines, but proofs.json proves"), "{e}");
}

#[test]
fn a_swapped_subjects_line_differs_from_the_frozen_digest() {
    let (_, files) = published();
    let subjects = text(&files, "subjects.csv");
    let mut lines: Vec<&str> = subjects.lines().collect();
    lines.swap(3, 4);
    let mut tampered = files.clone();
    tampered.insert(
        "subjects.csv".into(),
        format!("{}\n", lines.join("\n")).into_bytes(),
    );
    let e = mismatch(&tampered, None);
    assert_eq!(e.file, "subjects.csv");
    assert!(e.what.starts_with("SHA-256 "), "{e}");
    assert!(e.what.contains("published at the freeze (event "), "{e}");
    assert!(e.what.contains("; line 4: expected \"91330106"), "{e}");
}

#[test]
fn an_edited_transcript_line_is_shown() {
    let (_, files) = published();
    let result = text(&files, "result.txt");
    let team_line = result.lines().position(|l| l.starts_with("team=")).unwrap();
    let mut lines: Vec<String> = result.lines().map(str::to_owned).collect();
    lines[team_line] = lines[team_line].replace("SCJG-", "SCJG-0");
    let mut tampered = files.clone();
    tampered.insert(
        "result.txt".into(),
        format!("{}\n", lines.join("\n")).into_bytes(),
    );
    let e = mismatch(&tampered, None);
    assert_eq!(e.file, "result.txt");
    assert!(
        e.what
            .starts_with(&format!("line {}: expected \"team=", team_line + 1)),
        "{e}"
    );
}

#[test]
fn a_tampered_recusal_is_refused() {
    let (history, files) = published();
    // In the published file.
    let recusals = text(&files, "recusals.csv");
    let mut tampered = files.clone();
    tampered.insert(
        "recusals.csv".into(),
        recusals.replacen(",1,", ",3,", 1).into_bytes(),
    );
    assert_eq!(mismatch(&tampered, None).file, "recusals.csv");
    // In the log itself, proven and signed: the replay of the recusal tells.
    let mut forged = history.clone();
    let replacement = forged
        .iter_mut()
        .find_map(|r| match &mut r.event {
            TaskEvent::ReplacementDrawn { replacement, .. } => Some(replacement),
            _ => None,
        })
        .unwrap();
    let chosen = if replacement.as_str() == "SCJG-08" {
        "SCJG-01"
    } else {
        "SCJG-08"
    };
    *replacement = inspector_id(chosen);
    let forged = bundle_of(&forged, &log_signer());
    let e = mismatch(&forged, Some(&log_signer().verifier()));
    assert_eq!(e.file, "recusals.csv", "{e}");
    assert!(
        e.what.contains(&format!("published replacement {chosen}")),
        "{e}"
    );
}

#[test]
fn a_draw_the_log_recorded_wrongly_is_refused() {
    let (mut history, _) = drawn_with_recusals();
    history.truncate(history.len() - 4);
    for recorded in &mut history {
        if let TaskEvent::SubjectsDrawn { teams, .. } = &mut recorded.event {
            teams[0].members.swap(0, 1);
        }
    }
    let forged = bundle_of(&history, &log_signer());
    let e = mismatch(&forged, None);
    assert_eq!(e.file, "result.txt", "{e}");
    assert!(e.what.starts_with("recomputed: line "), "{e}");
}

#[test]
fn a_recusal_without_replacement_is_published_with_a_dash() {
    let history = unstaffable_recusal();
    let files = bundle_of(&history, &log_signer());
    let recusals = text(&files, "recusals.csv");
    let line = recusals.lines().nth(1).unwrap();
    assert!(line.contains(",1,SCJG-0") && line.contains(",-,"), "{line}");
    let report = verify_bundle(&files, Some(&log_signer().verifier())).unwrap();
    assert_eq!(report.recusals, 1);
    let team = text(&files, "teams.csv");
    assert_eq!(
        team.lines().nth(1).map(|l| l.matches("SCJG-").count()),
        Some(1),
        "{team}"
    );
}

#[test]
fn after_a_redraw_the_second_attempt_is_published_with_the_whole_history() {
    let (history, second) = redrawn();
    let files = bundle_of(&history, &log_signer());
    let report = verify_bundle(&files, None).unwrap();
    assert_eq!(
        (report.attempt, report.recusals, report.events),
        (2, 0, history.len())
    );
    assert_eq!(
        text(&files, "subjects.csv"),
        crate::draw::FrozenTexts::of(&second).subjects
    );
    assert!(text(&files, "task.json").contains(r#""attempt":2"#));
    assert_eq!(
        text(&files, "recusals.csv"),
        "uscc,number,recused,replacement,reason\n"
    );
    let draws = text(&files, "events.jsonl")
        .matches("\"SubjectsDrawn\"")
        .count();
    assert_eq!(draws, 2);
}

#[test]
fn build_refuses_an_undrawn_task_a_foreign_entry_and_a_bad_proof() {
    let (history, _) = drawn_with_recusals();
    let signer = log_signer();
    let verifier = signer.verifier();
    let frozen_only: Vec<_> = history
        .iter()
        .take_while(|r| !matches!(r.event, TaskEvent::SubjectsDrawn { .. }))
        .cloned()
        .collect();
    let (entries, proofs, note) = Ledger::of(&frozen_only).publish(&signer);
    let e = build_bundle(&entries, &proofs, &note, &verifier).unwrap_err();
    assert!(
        matches!(
            e,
            BundleError::History(HistoryError::NotDrawn { phase: "frozen" })
        ),
        "{e}"
    );
    let ledger = Ledger::of(&history);
    let (mut entries, mut proofs, note) = ledger.publish(&signer);
    let e = build_bundle(&entries, &proofs[1..], &note, &verifier).unwrap_err();
    assert!(matches!(e, BundleError::ProofCount { .. }), "{e}");
    let other = signer_other();
    assert!(matches!(
        build_bundle(&entries, &proofs, &note, &other).unwrap_err(),
        BundleError::Checkpoint { .. }
    ));
    proofs.swap(0, 1);
    let e = build_bundle(&entries, &proofs, &note, &verifier).unwrap_err();
    assert!(matches!(e, BundleError::Proof { .. }), "{e}");
    proofs.swap(0, 1);
    let foreign = (1, ledger.entries[0].clone());
    let path = crate::integrity::inclusion_proof(
        &ledger
            .entries
            .iter()
            .map(|e| crate::integrity::leaf_hash(e))
            .collect::<Vec<_>>(),
        0,
    )
    .unwrap();
    entries.insert(0, foreign);
    proofs.insert(
        0,
        InclusionProof::new(0, ledger.entries.len() as u64, &path),
    );
    let e = build_bundle(&entries, &proofs, &note, &verifier).unwrap_err();
    assert!(
        matches!(e, BundleError::History(HistoryError::Foreign { .. })),
        "{e}"
    );
}

fn signer_other() -> NoteVerifier {
    signer("jianxin.other", 9).verifier()
}
