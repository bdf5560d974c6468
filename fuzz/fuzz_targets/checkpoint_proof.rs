//! Fuzz target `checkpoint_proof`: the parsers and verifiers an auditor runs on what the
//! log serves — checkpoint bodies and signed notes, verifier and signer keys, inclusion
//! and consistency proofs in their JSON form.
//!
//! The first byte picks the parser; the rest is its input. Beyond "no panic", each
//! checks what the format promises:
//!
//! - a checkpoint body that parses is canonical: [`Checkpoint::body`] gives it back;
//! - a body signed with a fixed key opens to exactly what [`Checkpoint::parse_body`] says;
//! - a key that parses prints to a string that parses to the same key;
//! - an inclusion proof that verifies against a real tree proves a leaf of that tree;
//! - proofs generated for a real tree at any sizes verify (completeness).

#![no_main]

use std::sync::OnceLock;

use jianxin_domain::integrity::{
    consistency_proof, hash_from_hex, hash_to_hex, inclusion_proof, leaf_hash, open_checkpoint,
    open_note, root_from_leaf_hashes, sign_note, verify_consistency, verify_inclusion, Checkpoint,
    ConsistencyProof, Hash, InclusionProof, NoteSigner, NoteVerifier,
};
use libfuzzer_sys::fuzz_target;

/// Leaves of the reference tree.
const LEAVES: usize = 70;

fn leaves() -> &'static [Hash] {
    static LEAVES_: OnceLock<Vec<Hash>> = OnceLock::new();
    LEAVES_.get_or_init(|| (0..LEAVES).map(|i| leaf_hash(&i.to_be_bytes())).collect())
}

/// A fixed signer, so that fuzzed bodies get past the signature to the body parser.
fn signer() -> Option<&'static NoteSigner> {
    static SIGNER: OnceLock<Option<NoteSigner>> = OnceLock::new();
    SIGNER
        .get_or_init(|| NoteSigner::generate("fuzz.example/log", |seed| *seed = [7; 32]).ok())
        .as_ref()
}

/// The root of the first `size` leaves (all of them beyond).
fn root(size: u64) -> Hash {
    let size = usize::try_from(size).unwrap_or(usize::MAX).min(LEAVES);
    root_from_leaf_hashes(&leaves()[..size])
}

fn checkpoint_body(text: &str) {
    if let Ok(checkpoint) = Checkpoint::parse_body(text) {
        assert_eq!(checkpoint.body(), text, "a parsed body is not canonical");
        assert_eq!(
            checkpoint.validate(),
            Ok(()),
            "a parsed checkpoint is invalid"
        );
    }
}

fn signed_checkpoint(text: &str) {
    let Some(signer) = signer() else {
        return;
    };
    let verifier = signer.verifier();
    let _ = open_checkpoint(text, &verifier);
    let _ = open_note(text, &verifier);
    if let Ok(note) = sign_note(text, signer) {
        match open_note(&note, &verifier) {
            Ok(opened) => assert_eq!(opened, text, "a signed note opens to other text"),
            Err(e) => panic!("a note signed here does not open: {e}"),
        }
        assert_eq!(
            open_checkpoint(&note, &verifier).ok(),
            Checkpoint::parse_body(text).ok(),
            "opening and parsing disagree"
        );
    }
}

fn keys(text: &str) {
    if let Ok(verifier) = NoteVerifier::parse(text) {
        let printed = verifier.to_verifier_key_string();
        match NoteVerifier::parse(&printed) {
            Ok(again) => assert_eq!(again, verifier, "{printed} parses to another key"),
            Err(e) => panic!("{printed}, printed from {text:?}, does not parse: {e}"),
        }
    }
    if let Ok(signer) = NoteSigner::parse(text) {
        let printed = signer.to_signer_key_string();
        match NoteSigner::parse(&printed) {
            Ok(again) => assert_eq!(again.verifier(), signer.verifier()),
            Err(e) => panic!("a printed signer key does not parse: {e}"),
        }
    }
}

fn inclusion(bytes: &[u8]) {
    let Ok(proof) = serde_json::from_slice::<InclusionProof>(bytes) else {
        return;
    };
    for hex in &proof.hashes {
        if let Some(hash) = hash_from_hex(hex) {
            assert_eq!(hash_to_hex(&hash), *hex, "hex is not canonical");
        }
    }
    let index = usize::try_from(proof.leaf_index).unwrap_or(usize::MAX);
    let size = usize::try_from(proof.tree_size).unwrap_or(usize::MAX);
    if size > LEAVES || index >= LEAVES {
        let _ = proof.verify(&leaves()[0], &root(LEAVES as u64));
        return;
    }
    let tree = &leaves()[..size];
    if proof
        .verify(&leaves()[index], &root_from_leaf_hashes(tree))
        .is_ok()
    {
        // Without a hash collision, the one path that verifies is the one we build.
        match inclusion_proof(tree, proof.leaf_index) {
            Ok(path) => assert_eq!(
                proof,
                InclusionProof::new(proof.leaf_index, proof.tree_size, &path),
                "another path verified"
            ),
            Err(e) => panic!("a proof verified where none exists: {e}"),
        }
    }
}

fn consistency(bytes: &[u8]) {
    let Ok(proof) = serde_json::from_slice::<ConsistencyProof>(bytes) else {
        return;
    };
    let _ = proof.verify(&root(proof.old_size), &root(proof.new_size));
}

/// Proofs generated over the reference tree verify, at sizes and an index from `bytes`.
fn generated(bytes: &[u8]) {
    let [a, b, c, ..] = bytes else {
        return;
    };
    let new_size = usize::from(*a) % LEAVES + 1;
    let old_size = usize::from(*b) % (new_size + 1);
    let index = usize::from(*c) % new_size;
    let tree = &leaves()[..new_size];
    let new_root = root_from_leaf_hashes(tree);
    let (n, m, i) = (new_size as u64, old_size as u64, index as u64);
    match inclusion_proof(tree, i) {
        Ok(path) => assert_eq!(
            verify_inclusion(i, n, &tree[index], &path, &new_root),
            Ok(())
        ),
        Err(e) => panic!("no inclusion proof of {i} in {n}: {e}"),
    }
    match consistency_proof(tree, m) {
        Ok(path) => assert_eq!(
            verify_consistency(
                m,
                n,
                &root_from_leaf_hashes(&tree[..old_size]),
                &new_root,
                &path
            ),
            Ok(())
        ),
        Err(e) => panic!("no consistency proof of {m} to {n}: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest).ok();
    match (selector % 6, text) {
        (0, Some(text)) => checkpoint_body(text),
        (1, Some(text)) => signed_checkpoint(text),
        (2, Some(text)) => keys(text),
        (3, _) => inclusion(rest),
        (4, _) => consistency(rest),
        (5, _) => generated(rest),
        _ => {}
    }
});
