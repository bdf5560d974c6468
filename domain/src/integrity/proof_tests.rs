//! Tests of [`proof`](super::proof): the RFC 6962 vectors, the edge cases the RFC leaves to
//! the implementer, and properties over every index and old size of random trees.

use proptest::prelude::*;

use super::merkle::{leaf_hash, root_from_leaf_hashes, Hash, EMPTY_ROOT};
use super::proof::*;
use super::proof_json::{ConsistencyProof, InclusionPath, InclusionProof};
use super::test_support::{ct_leaves, hx, path, subproof, CT_CONSISTENCY, CT_INCLUSION, CT_ROOTS};

fn leaves(seed: u64, n: usize) -> Vec<Hash> {
    (0..n as u64)
        .map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat()))
        .collect()
}

fn flip(hash: &Hash, byte: usize, bit: u8) -> Hash {
    let mut h = *hash;
    h[byte % 32] ^= 1 << (bit % 8);
    h
}

#[test]
fn inclusion_proofs_match_the_rfc6962_vectors() {
    let leaves = ct_leaves();
    for (index, size, want) in CT_INCLUSION {
        let tree = &leaves[..size as usize];
        let want: Vec<Hash> = want.iter().map(|h| hx(h)).collect();
        assert_eq!(inclusion_proof(tree, index), Ok(want.clone()));
        let root = hx(CT_ROOTS[size as usize]);
        let leaf = &leaves[index as usize];
        assert_eq!(verify_inclusion(index, size, leaf, &want, &root), Ok(()));
    }
}

#[test]
fn consistency_proofs_match_the_rfc6962_vectors() {
    let leaves = ct_leaves();
    for (old, new, want) in CT_CONSISTENCY {
        let want: Vec<Hash> = want.iter().map(|h| hx(h)).collect();
        assert_eq!(
            consistency_proof(&leaves[..new as usize], old),
            Ok(want.clone())
        );
        let (old_root, new_root) = (hx(CT_ROOTS[old as usize]), hx(CT_ROOTS[new as usize]));
        assert_eq!(
            verify_consistency(old, new, &old_root, &new_root, &want),
            Ok(())
        );
    }
}

#[test]
fn inclusion_edge_cases() {
    let out = |index, tree_size| ProofError::IndexOutOfRange { index, tree_size };
    assert_eq!(inclusion_proof(&[], 0), Err(out(0, 0)));
    assert_eq!(inclusion_proof(&leaves(1, 3), 3), Err(out(3, 3)));
    assert_eq!(
        inclusion_proof(&leaves(1, 3), u64::MAX),
        Err(out(u64::MAX, 3))
    );
    assert_eq!(
        verify_inclusion(0, 0, &EMPTY_ROOT, &[], &EMPTY_ROOT),
        Err(out(0, 0))
    );
    // A one-leaf tree: the root is the leaf hash and the proof is empty.
    let one = leaves(1, 1);
    assert_eq!(inclusion_proof(&one, 0), Ok(vec![]));
    assert_eq!(verify_inclusion(0, 1, &one[0], &[], &one[0]), Ok(()));
    let extra = [one[0]];
    assert_eq!(
        verify_inclusion(0, 1, &one[0], &extra, &one[0]),
        Err(ProofError::ProofTooLong)
    );
}

#[test]
fn consistency_edge_cases() {
    let tree = leaves(2, 5);
    let root = root_from_leaf_hashes(&tree);
    let too_large = ProofError::OldSizeTooLarge {
        old_size: 6,
        new_size: 5,
    };
    assert_eq!(consistency_proof(&tree, 6), Err(too_large.clone()));
    assert_eq!(verify_consistency(6, 5, &root, &root, &[]), Err(too_large));
    // Equal sizes: empty proof, equal roots.
    assert_eq!(consistency_proof(&tree, 5), Ok(vec![]));
    assert_eq!(verify_consistency(5, 5, &root, &root, &[]), Ok(()));
    assert_eq!(
        verify_consistency(5, 5, &root, &EMPTY_ROOT, &[]),
        Err(ProofError::NewRootMismatch)
    );
    assert_eq!(
        verify_consistency(5, 5, &root, &root, &[root]),
        Err(ProofError::ProofTooLong)
    );
    // From the empty tree: empty proof, and the old root must be the empty-tree hash.
    assert_eq!(consistency_proof(&tree, 0), Ok(vec![]));
    assert_eq!(verify_consistency(0, 5, &EMPTY_ROOT, &root, &[]), Ok(()));
    assert_eq!(
        verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]),
        Ok(())
    );
    assert_eq!(
        verify_consistency(0, 5, &root, &root, &[]),
        Err(ProofError::OldRootMismatch)
    );
    assert_eq!(
        verify_consistency(0, 5, &EMPTY_ROOT, &root, &[root]),
        Err(ProofError::ProofTooLong)
    );
    // Different non-zero sizes need a proof.
    let old_root = root_from_leaf_hashes(&tree[..3]);
    assert_eq!(
        verify_consistency(3, 5, &old_root, &root, &[]),
        Err(ProofError::EmptyProof)
    );
}

#[test]
fn serialized_proofs_have_a_stable_shape_and_decode_strictly() {
    let tree = leaves(3, 7);
    let root = root_from_leaf_hashes(&tree);
    let hashes = inclusion_proof(&tree, 4).expect("index in range");
    let proof = InclusionProof::new(4, 7, &hashes);
    let json = serde_json::to_value(&proof).expect("serializable");
    assert_eq!(json["leaf_index"], 4);
    assert_eq!(json["tree_size"], 7);
    assert_eq!(json["hashes"][0], hex::encode(hashes[0]));
    let back: InclusionProof = serde_json::from_value(json).expect("round trip");
    assert_eq!(back.verify(&tree[4], &root), Ok(()));

    let mut bad = back.clone();
    bad.hashes[1] = bad.hashes[1].to_uppercase();
    assert_eq!(
        bad.verify(&tree[4], &root),
        Err(ProofError::InvalidHex { position: 1 })
    );
    let unknown = r#"{"leaf_index":0,"tree_size":1,"hashes":[],"extra":1}"#;
    assert!(serde_json::from_str::<InclusionProof>(unknown).is_err());

    let old_root = root_from_leaf_hashes(&tree[..3]);
    let hashes = consistency_proof(&tree, 3).expect("old size in range");
    let proof = ConsistencyProof::new(3, 7, &hashes);
    let text = serde_json::to_string(&proof).expect("serializable");
    let back: ConsistencyProof = serde_json::from_str(&text).expect("round trip");
    assert_eq!(back, proof);
    assert_eq!(back.verify(&old_root, &root), Ok(()));
    assert_eq!(back.verify(&root, &root), Err(ProofError::OldRootMismatch));
}

/// A path kept as bytes serializes byte for byte as the proof with hex strings does,
/// to JSON text and to a JSON value, and verifies the same.
#[test]
fn an_inclusion_path_serializes_exactly_as_its_inclusion_proof() {
    let tree = leaves(5, 300);
    let root = root_from_leaf_hashes(&tree);
    for index in [0, 1, 17, 255, 256, 299] {
        let hashes = inclusion_proof(&tree, index).expect("index in range");
        let path = InclusionPath {
            leaf_index: index,
            tree_size: 300,
            hashes: hashes.clone(),
        };
        let proof = InclusionProof::new(index, 300, &hashes);
        assert_eq!(
            serde_json::to_string(&path).expect("serializable"),
            serde_json::to_string(&proof).expect("serializable")
        );
        assert_eq!(
            serde_json::to_value(&path).expect("serializable"),
            serde_json::to_value(&proof).expect("serializable")
        );
        assert_eq!(InclusionProof::from(&path), proof);
        assert_eq!(path.verify(&tree[index as usize], &root), Ok(()));
    }
    let empty = InclusionPath {
        leaf_index: 0,
        tree_size: 1,
        hashes: vec![],
    };
    assert_eq!(
        serde_json::to_string(&empty).expect("serializable"),
        r#"{"leaf_index":0,"tree_size":1,"hashes":[]}"#
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_inclusion_proof_verifies_and_nothing_else_does(seed: u64, n in 1usize..=300) {
        let tree = leaves(seed, n);
        let root = root_from_leaf_hashes(&tree);
        let size = n as u64;
        for i in 0..n {
            let index = i as u64;
            let proof = inclusion_proof(&tree, index).expect("index in range");
            prop_assert_eq!(&proof, &path(i, &tree));
            prop_assert_eq!(verify_inclusion(index, size, &tree[i], &proof, &root), Ok(()));
            for wrong in [index.wrapping_sub(1), index + 1, index ^ 2] {
                if wrong != index {
                    prop_assert!(verify_inclusion(wrong, size, &tree[i], &proof, &root).is_err());
                }
            }
            for wrong in [size * 2, size / 2] {
                prop_assert!(verify_inclusion(index, wrong, &tree[i], &proof, &root).is_err());
            }
            prop_assert!(verify_inclusion(index, size, &tree[i], &proof, &flip(&root, i, 0)).is_err());
            prop_assert!(verify_inclusion(index, size, &flip(&tree[i], i, 1), &proof, &root).is_err());
        }
    }

    #[test]
    fn tampered_inclusion_proofs_fail(
        seed: u64, n in 2usize..=300, pick: usize, byte: usize, bit: u8,
    ) {
        let tree = leaves(seed, n);
        let root = root_from_leaf_hashes(&tree);
        let i = pick % n;
        let (index, size) = (i as u64, n as u64);
        let proof = inclusion_proof(&tree, index).expect("index in range");
        let mut tampered = proof.clone();
        let at = byte % proof.len();
        tampered[at] = flip(&proof[at], byte / 7, bit);
        prop_assert!(verify_inclusion(index, size, &tree[i], &tampered, &root).is_err());
        let mut longer = proof.clone();
        longer.push(root);
        prop_assert_eq!(
            verify_inclusion(index, size, &tree[i], &longer, &root),
            Err(ProofError::ProofTooLong)
        );
        let shorter = &proof[..proof.len() - 1];
        prop_assert!(verify_inclusion(index, size, &tree[i], shorter, &root).is_err());
    }

    #[test]
    fn every_consistency_proof_verifies_and_nothing_else_does(seed: u64, n in 1usize..=300) {
        let tree = leaves(seed, n);
        let new_root = root_from_leaf_hashes(&tree);
        let new_size = n as u64;
        for m in 0..=n {
            let old_size = m as u64;
            let old_root = root_from_leaf_hashes(&tree[..m]);
            let proof = consistency_proof(&tree, old_size).expect("old size in range");
            if m > 0 {
                prop_assert_eq!(&proof, &subproof(m, &tree, true));
            }
            prop_assert_eq!(
                verify_consistency(old_size, new_size, &old_root, &new_root, &proof),
                Ok(())
            );
            prop_assert!(
                verify_consistency(old_size, new_size, &flip(&old_root, m, 2), &new_root, &proof)
                    .is_err()
            );
            if m == 0 || m == n {
                continue;
            }
            prop_assert!(
                verify_consistency(old_size, new_size, &old_root, &flip(&new_root, m, 3), &proof)
                    .is_err()
            );
            for wrong in [old_size - 1, old_size + 1, old_size ^ 2] {
                if wrong != old_size && wrong > 0 && wrong < new_size {
                    prop_assert!(
                        verify_consistency(wrong, new_size, &old_root, &new_root, &proof).is_err()
                    );
                }
            }
            for wrong in [new_size * 2, new_size / 2] {
                prop_assert!(
                    verify_consistency(old_size, wrong, &old_root, &new_root, &proof).is_err()
                );
            }
        }
    }

    #[test]
    fn tampered_consistency_proofs_fail(
        seed: u64, n in 2usize..=300, pick: usize, byte: usize, bit: u8,
    ) {
        let tree = leaves(seed, n);
        let new_root = root_from_leaf_hashes(&tree);
        let m = 1 + pick % (n - 1);
        let old_root = root_from_leaf_hashes(&tree[..m]);
        let (old_size, new_size) = (m as u64, n as u64);
        let proof = consistency_proof(&tree, old_size).expect("old size in range");
        let mut tampered = proof.clone();
        let at = byte % proof.len();
        tampered[at] = flip(&proof[at], byte / 7, bit);
        prop_assert!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &tampered).is_err()
        );
        let mut longer = proof.clone();
        longer.push(new_root);
        prop_assert!(
            verify_consistency(old_size, new_size, &old_root, &new_root, &longer).is_err()
        );
        let shorter = &proof[..proof.len() - 1];
        prop_assert!(
            verify_consistency(old_size, new_size, &old_root, &new_root, shorter).is_err()
        );
    }
}
